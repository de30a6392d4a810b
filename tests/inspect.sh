#!/usr/bin/env bash
# inspect.sh ZBUD SRCDIR - `zbud inspect` end to end: the exact picture of a
# tiny pool, its summary, the shipped inputs, one-line errors with the right
# exit status, and the PNG when zbud was built with PLplot.
set -u
zbud=$1
src=$2
. "$src/tests/lib.sh"

# run ARGS...: zbud inspect ARGS, stdout and stderr to $tmp/out, $tmp/err
run() {
	"$zbud" inspect "$@" >"$tmp/out" 2>"$tmp/err"
}

# shows WANT-FILE ARGS...: succeeds, prints exactly WANT-FILE, says nothing on stderr
shows() {
	local want=$1
	shift
	run "$@" </dev/null
	local st=$?
	if [ "$st" != 0 ] || [ -s "$tmp/err" ] || ! cmp -s "$tmp/out" "$want"; then
		fail "inspect $*: exit $st, $(head -2 "$tmp/err")"
		diff "$want" "$tmp/out" | head -8
	else
		pass
	fi
}

# refuses STATUS PATTERN ARGS...: exits STATUS with one line on stderr matching PATTERN
refuses() {
	local want=$1 pattern=$2
	shift 2
	run "$@" </dev/null
	local st=$?
	if [ "$st" = "$want" ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -qE -- "$pattern" "$tmp/err"; then
		pass
	else
		fail "inspect $*: exit $st (want $want), stderr: $(head -3 "$tmp/err")"
	fi
}

# The spec's first three allocations: zbud puts 3000 B as the LAST buddy of
# page 0 and 200 B on a new page 1; z3fold fits all three in one page.
printf 'a 1 100\na 2 3000\na 3 200\n' >"$tmp/tiny.trace"
cat >"$tmp/tiny.zbud" <<'EOF'
zbud pool after replaying TRACE: 2 pages
   0 |h|FF..............LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL|  free  896 B
   1 |h|FFFF...........................................................|  free 3776 B

pages          2 (8192 B)
stored         3300 B in 3 objects: fill 40.3%
overhead       220 B (headers, sizes rounded up)
free           4672 B
free chunks    pages on each unbuddied list (its free chunks)
  unbuddied[59]       1 ##############################
  buddied             1 ##############################
wasted halves  1 of 2 pages are more than half empty
ideal          1 page for 3300 B, against 2: 2.00x
EOF
sed -i "s|TRACE|$tmp/tiny.trace|" "$tmp/tiny.zbud"
shows "$tmp/tiny.zbud" --trace "$tmp/tiny.trace"
shows "$tmp/tiny.zbud" --allocator zbud --rows 40 --trace "$tmp/tiny.trace"

cat >"$tmp/tiny.z3fold" <<'EOF'
   0 |hh|FFMMMM.........LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL|  free  576 B
EOF
run --allocator z3fold --trace "$tmp/tiny.trace" &&
	sed -n 2p "$tmp/out" | cmp -s - "$tmp/tiny.z3fold" &&
	grep -qx '  3 buddies           1 ##############################' "$tmp/out" &&
	grep -qx 'ideal          1 page for 3300 B, against 1: 1.00x' "$tmp/out" && pass ||
	fail "z3fold tiny: $(cat "$tmp/out" "$tmp/err")"

# The same sizes from a file, with one too large for zbud; --rows 1.
printf '100\n3000\n# a comment\n200\n5000\n' >"$tmp/tiny.sizes"
run --sizes "$tmp/tiny.sizes" --rows 1 && [ ! -s "$tmp/err" ] &&
	sed -n 2p "$tmp/out" | cmp -s - <(sed -n 2p "$tmp/tiny.zbud") &&
	grep -qx '\.\.\. 1 more page' "$tmp/out" &&
	grep -qx 'refused        1 size too large for the allocator' "$tmp/out" &&
	grep -qx 'wasted halves  1 of 2 pages are more than half empty' "$tmp/out" && pass ||
	fail "sizes: $(cat "$tmp/out" "$tmp/err")"
"$zbud" inspect --sizes - --rows 0 <"$tmp/tiny.sizes" >"$tmp/out" 2>&1 &&
	[ "$(head -1 "$tmp/out")" = "zbud pool holding the sizes in stdin: 2 pages" ] &&
	! grep -q '|' "$tmp/out" && pass || fail "sizes on stdin, --rows 0: $(cat "$tmp/out")"

# Everything freed: an empty pool is no error.
printf 'a 1 100\nf 1\n' >"$tmp/empty.trace"
run --trace "$tmp/empty.trace" && grep -qx 'pages          0 (0 B)' "$tmp/out" && pass ||
	fail "empty pool: $(cat "$tmp/out" "$tmp/err")"

# The shipped inputs, with every allocator.  The trace's reclaims were
# written for zbud (another allocator evicts other objects, which the trace
# frees later): the others replay it without them, from standard input.
run --rows 5 --trace "$src/examples/python-heap.trace" && grep -q '^ideal ' "$tmp/out" && pass ||
	fail "python-heap.trace: $(head -3 "$tmp/err")"
grep -v '^r ' "$src/examples/python-heap.trace" >"$tmp/no-reclaim.trace"
allocators=$("$zbud" inspect --help | sed -n 's/.*known: \(.*\))$/\1/p')
[ -n "$allocators" ] && pass || fail "no allocators in --help"
for a in $allocators; do
	run --allocator "$a" --rows 5 --trace - <"$tmp/no-reclaim.trace" &&
		grep -q '^ideal ' "$tmp/out" && [ ! -s "$tmp/err" ] && pass ||
		fail "python-heap.trace without reclaims on $a: $(head -3 "$tmp/err")"
	run --allocator "$a" --rows 5 --sizes "$src/data/python-heap.lz4-sizes.txt" </dev/null &&
		grep -q '^stored         69683571 B in 51949 objects' "$tmp/out" && pass ||
		fail "python-heap sizes on $a: $(head -3 "$tmp/err")"
done

# A size class's page: each object's boundary (o, O by turns), the class;
# --worst: the emptiest pages, emptiest first.
printf '100\n100\n200\n' >"$tmp/classes.sizes"
cat >"$tmp/classes.zsmalloc" <<'EOF'
zsmalloc pool holding the sizes in SIZES: 2 pages
   0 |ooOO............................................................|  free 3872 B  class 112
   1 |oooo............................................................|  free 3888 B  class 208
EOF
sed -i "s|SIZES|$tmp/classes.sizes|" "$tmp/classes.zsmalloc"
run --allocator zsmalloc --sizes "$tmp/classes.sizes" && head -3 "$tmp/out" | cmp -s - "$tmp/classes.zsmalloc" &&
	pass || fail "size classes drawn: $(head -3 "$tmp/out")"
run --allocator zsmalloc --worst 1 --sizes "$tmp/classes.sizes" &&
	sed -n 2p "$tmp/out" | cmp -s - <(sed -n 3p "$tmp/classes.zsmalloc") &&
	grep -qx '\.\.\. 1 more page' "$tmp/out" && pass || fail "--worst 1: $(head -3 "$tmp/out")"
# --worst 0: the summary alone, as --rows 0 (it once handed qsort() a null array).
run --allocator zsmalloc --worst 0 --sizes "$tmp/classes.sizes" &&
	! grep -q '^ *[0-9]* |' "$tmp/out" && grep -q '^stored ' "$tmp/out" && [ ! -s "$tmp/err" ] &&
	pass || fail "--worst 0: $(head -3 "$tmp/out") $(head -3 "$tmp/err")"
free_bytes() { sed -n '2,4p' "$tmp/out" | sed 's/.*free *\([0-9]*\) B.*/\1/' | tr '\n' ' '; }
run --worst 3 --sizes "$src/data/python-heap.lz4-sizes.txt" &&
	[ "$(free_bytes)" = "$(free_bytes | tr ' ' '\n' | sort -rn | tr '\n' ' ' | sed 's/^ //')" ] &&
	pass || fail "--worst 3 not emptiest first: $(head -4 "$tmp/out")"

# Bad arguments and input: 2; files that cannot be read: 1.
printf 'a 1 100\na 2 3000\nf 9\n' >"$tmp/bad.trace"
printf '100\nabc\n' >"$tmp/bad.sizes"
refuses 2 '^zbud inspect: what to inspect\? --trace FILE or --sizes FILE$'
refuses 2 '^zbud inspect: --trace or --sizes, not both$' --trace a --sizes b
refuses 2 "^zbud inspect: unknown allocator 'nope' \(known: zbud" --allocator nope --trace "$tmp/tiny.trace"
refuses 2 '^zbud inspect: --allocator needs a NAME$' --trace "$tmp/tiny.trace" --allocator
refuses 2 "^zbud inspect: --rows 'x' is not a non-negative integer$" --rows x --trace "$tmp/tiny.trace"
refuses 2 "^zbud inspect: --worst '-1' is not a non-negative integer$" --worst -1 --trace "$tmp/tiny.trace"
refuses 2 '^zbud inspect: --rows or --worst, not both$' --rows 1 --worst 1 --trace "$tmp/tiny.trace"
refuses 2 "^zbud inspect: unknown option '--frob' \(try --help\)$" --frob
refuses 2 "^zbud inspect: unknown argument 'extra' \(try --help\)$" extra
refuses 2 '^zbud inspect: line 3: ID 9 is not allocated$' --trace "$tmp/bad.trace"
refuses 2 "^zbud: $tmp/bad.sizes:2: size 'abc' is not a positive integer$" --sizes "$tmp/bad.sizes"
refuses 1 "^zbud inspect: cannot open '$tmp/nope': No such file or directory$" --trace "$tmp/nope"
refuses 1 "^zbud inspect: cannot open '$tmp/nope': No such file or directory$" --sizes "$tmp/nope"
refuses 1 "^zbud inspect: $tmp: read error: Is a directory$" --trace "$tmp"
run --help && grep -q '^usage: zbud inspect' "$tmp/out" && pass || fail "--help"

# The picture as a PNG, or one line saying this zbud has no PLplot.
run --trace "$tmp/tiny.trace" --plot "$tmp/tiny.png"
st=$?
if [ "$st" = 2 ] && grep -q 'built without it' "$tmp/err"; then
	echo "inspect: built without PLplot, --plot refused as it should be"
	pass
elif [ "$st" = 0 ] && [ ! -s "$tmp/err" ] && cmp -s "$tmp/out" "$tmp/tiny.zbud" &&
	[ "$(head -c 8 "$tmp/tiny.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
	[ "$(stat -c %s "$tmp/tiny.png")" -gt 1000 ]; then
	pass
	refuses 1 "^zbud inspect: cannot create '$tmp/nope/x.png': No such file or directory$" \
		--trace "$tmp/tiny.trace" --plot "$tmp/nope/x.png"
	# A character device is written to, never replaced (a device node, as
	# root); a FIFO is refused.
	refuses 1 "^zbud inspect: /dev/full: write error: No space left on device$" \
		--trace "$tmp/tiny.trace" --plot /dev/full
	[ -c /dev/full ] && pass || fail "--plot /dev/full replaced the device"
	mkfifo "$tmp/fifo.png"
	refuses 1 "^zbud inspect: '$tmp/fifo.png' is not a regular file: not replaced$" \
		--trace "$tmp/tiny.trace" --plot "$tmp/fifo.png"
	# A write that fails (the file may not grow: EFBIG) leaves nothing.
	(trap '' XFSZ; ulimit -f 4; "$zbud" inspect --trace "$tmp/tiny.trace" \
		--plot "$tmp/big.png" >/dev/null 2>"$tmp/err")
	[ $? = 1 ] && grep -q '^zbud inspect: .*big.png: write error: File too large$' "$tmp/err" &&
		[ -z "$(ls "$tmp" | grep big.png)" ] && pass ||
		fail "--plot, write error: $(cat "$tmp/err"; ls "$tmp")"
	# A symlink at the path is replaced, never followed; a file replaced whole.
	echo secret >"$tmp/target"
	ln -s "$tmp/target" "$tmp/link.png"
	run --trace "$tmp/tiny.trace" --plot "$tmp/link.png" &&
		[ "$(cat "$tmp/target")" = secret ] && [ -f "$tmp/link.png" ] &&
		[ ! -L "$tmp/link.png" ] && cmp -s "$tmp/link.png" "$tmp/tiny.png" && pass ||
		fail "--plot over a symlink: $(cat "$tmp/err"; ls -l "$tmp")"
else
	fail "--plot: exit $st, $(head -3 "$tmp/err")"
fi

finish inspect
