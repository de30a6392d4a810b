#!/usr/bin/env bash
# cli.sh ZBUD SRCDIR - the zbud command end to end: the shipped examples,
# bad traces and arguments (one line on stderr, the right exit status).
set -u
zbud=$1
src=$2
. "$src/tests/lib.sh"

# expect NAME STATUS STDOUT-FILE STDERR-PATTERN -- CMD...: run, compare.
expect() {
	local name=$1 status=$2 want_out=$3 want_err=$4
	shift 5
	"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local got=$?
	if [ "$got" != "$status" ]; then
		fail "$name: exit $got, want $status ($(head -c 300 "$tmp/err"))"
		return
	fi
	if [ -n "$want_out" ] && ! cmp -s "$tmp/out" "$want_out"; then
		fail "$name: stdout differs:"; diff "$tmp/out" "$want_out" | head -5
		return
	fi
	if [ -n "$want_err" ]; then
		if [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -qE -- "$want_err" "$tmp/err"; then
			fail "$name: stderr is not one line matching /$want_err/: $(head -3 "$tmp/err")"
			return
		fi
	elif [ "$status" = 0 ] && [ -s "$tmp/err" ] && [ "$name" != summary ]; then
		fail "$name: unexpected stderr: $(head -3 "$tmp/err")"
		return
	fi
	pass
}

# The examples with Linux's own logs (*.expect); with --check too.
for e in "$src"/examples/*.expect; do
	t=${e%.expect}.trace
	expect "$(basename "$t")" 0 "$e" "" -- "$zbud" replay "$t"
	expect "$(basename "$t") --check" 0 "$e" "" -- "$zbud" replay --check "$t"
done
expect "python-heap --check" 0 "" "" -- "$zbud" replay --check --no-log "$src/examples/python-heap.trace"

# The spec's example on standard input, both ways.
printf 'a 1 100\na 2 3000\na 3 200\nf 1\na 4 5000\na 5 0\nr 3\n' >"$tmp/spec.trace"
printf 'a 1 first 1\na 2 last 1\na 3 first 2\nf 1 2\na 4 ENOSPC 2\na 5 EINVAL 2\nr 0 1 2\n' >"$tmp/spec.expect"
"$zbud" replay <"$tmp/spec.trace" >"$tmp/stdin.out" 2>&1 && cmp -s "$tmp/stdin.out" "$tmp/spec.expect" && pass || fail "stdin"
"$zbud" replay - <"$tmp/spec.trace" >"$tmp/stdin.out" 2>&1 && cmp -s "$tmp/stdin.out" "$tmp/spec.expect" && pass || fail "stdin -"

# A bad line: the log so far, one line naming the line, exit 2.
printf 'a 1 100\na 2 3000\nf 9\na 3 1\n' >"$tmp/bad.trace"
printf 'a 1 first 1\na 2 last 1\n' >"$tmp/bad.expect"
expect "bad trace" 2 "$tmp/bad.expect" '^zbud replay: line 3: ID 9 is not allocated$' -- "$zbud" replay "$tmp/bad.trace"
printf 'a 1 100\nz\n' >"$tmp/bad2.trace"
expect "bad op" 2 "" "^zbud replay: line 2: unknown operation 'z'" -- "$zbud" replay "$tmp/bad2.trace"
head -c 3000 /dev/urandom >"$tmp/random.trace"
"$zbud" replay "$tmp/random.trace" >/dev/null 2>"$tmp/err"
st=$?
{ [ "$st" = 2 ] || [ "$st" = 0 ]; } && [ "$(wc -l <"$tmp/err")" -le 1 ] && pass || fail "random bytes: exit $st"

# Files and arguments.
expect "missing file" 1 "" "^zbud replay: cannot open '$tmp/nope': No such file or directory$" -- "$zbud" replay "$tmp/nope"
expect "directory" 1 "" "^zbud replay: $tmp: read error: Is a directory$" -- "$zbud" replay "$tmp"
expect "unknown option" 2 "" "^zbud replay: unknown option '--frobnicate'" -- "$zbud" replay --frobnicate
expect "two traces" 2 "" "^zbud replay: one TRACE at most" -- "$zbud" replay a b
expect "allocator missing" 2 "" "^zbud replay: --allocator needs a NAME$" -- "$zbud" replay --allocator
expect "unknown allocator" 2 "" "^zbud replay: unknown allocator 'nope' \(known: zbud" -- "$zbud" replay --allocator nope "$tmp/spec.trace"
expect "allocator zbud" 0 "$tmp/spec.expect" "" -- "$zbud" replay --allocator zbud "$tmp/spec.trace"
expect "no command" 2 "" "" -- "$zbud"
expect "unknown command" 2 "" "^zbud: unknown command 'frob'" -- "$zbud" frob
expect "help" 0 "" "" -- "$zbud" --help
expect "replay help" 0 "" "" -- "$zbud" replay --help
expect "bench usage" 2 "" "^zbud bench: which benchmark\? \(alloc, store, zram, estimate or run" -- "$zbud" bench
# The benchmarks' descriptions start in one column, whatever the names.
"$zbud" bench --help | awk '/^  [a-z]+  +[a-z]/ { n++; c[index($0, $2)] = 1 }
	END { for (k in c) cols++; exit !(n >= 5 && cols == 1) }' &&
	pass || fail "bench --help: the descriptions are not in one column"
expect "bench unknown" 2 "" "^zbud bench: unknown benchmark 'x'" -- "$zbud" bench x
expect "bench bad live" 2 "" "^zbud bench alloc: --live 'x' is not a positive integer$" -- "$zbud" bench alloc --live x
expect "bench bad sizes" 1 "" "cannot open '$tmp/nope'" -- "$zbud" bench alloc --sizes "$tmp/nope"
printf '100\nabc\n' >"$tmp/sizes"
expect "bench bad size line" 1 "" "$tmp/sizes:2: size 'abc' is not a positive integer" -- "$zbud" bench alloc --sizes "$tmp/sizes"
# "--sizes -" is standard input, for the allocators measured in their own
# processes too (mimalloc, jemalloc, glibc re-read it from a copy).
out=$(printf '100\n2000\n3000\n' | "$zbud" bench alloc --sizes - --live 100 --pairs 1000 2>&1)
grep -q '^sizes from stdin (3)$' <<<"$out" && grep -qE '^ +100  glibc +[0-9.]+ ' <<<"$out" &&
	! grep -q 'no sizes' <<<"$out" && pass || fail "bench alloc --sizes -: $(head -c 400 <<<"$out")"
out=$(printf '100\nabc\n' | "$zbud" bench alloc --sizes - 2>&1)
[ "$out" = "zbud: stdin:2: size 'abc' is not a positive integer" ] && pass ||
	fail "bench alloc --sizes - with a bad line: $out"
out=$(printf '300\n500\n' | "$zbud" inspect --sizes - --allocator zsmalloc 2>&1)
grep -q 'objects' <<<"$out" && pass || fail "inspect --sizes -: $(head -c 300 <<<"$out")"

# The summary goes to stderr, the log stays as it was.
"$zbud" replay --summary "$tmp/spec.trace" >"$tmp/out" 2>"$tmp/err"
cmp -s "$tmp/out" "$tmp/spec.expect" && grep -q 'allocations  3 (first 2, last 1), 2 refused' "$tmp/err" &&
	grep -q 'pool pages   1 at the end, 2 at the peak' "$tmp/err" && pass || fail "summary: $(cat "$tmp/err")"
"$zbud" replay --summary --no-log "$tmp/spec.trace" >"$tmp/out" 2>/dev/null
[ ! -s "$tmp/out" ] && pass || fail "--no-log printed a log"

# The benchmark runs and prints a row per allocator.
"$zbud" bench alloc --live 200 --pairs 2000 >"$tmp/out" 2>&1 && grep -qE '^ +200  zbud +[0-9.]+ ' "$tmp/out" &&
	grep -qE '^ +200  glibc' "$tmp/out" && pass || fail "bench: $(cat "$tmp/out")"
# Two runs in turn: each row gives the fastest and the range, goals under them.
"$zbud" bench alloc --live 200 --pairs 2000 --runs 2 >"$tmp/out" 2>&1 &&
	grep -qE '^ +200  zbud +[0-9.]+ .*\(2 runs: [0-9.]+-[0-9.]+ ns\)$' "$tmp/out" &&
	grep -qE '^ +200  goals: zbud' "$tmp/out" && pass || fail "bench --runs: $(cat "$tmp/out")"

# The store benchmark on two small files: a row, the goals, the extra rows.
"$zbud" bench store --files "$zbud" "$src/README.md" --mib 1 --compressor lz4 --zpool zbud \
	--no-heap >"$tmp/out" 2>"$tmp/err" && [ ! -s "$tmp/err" ] &&
	grep -qE '^lz4 +zbud( +[0-9]+\.?[0-9]*){13}$' "$tmp/out" &&
	grep -qE '^  lz4/zbud +store [0-9.]+ (met|MISSED) .*; load [0-9.]+ (met|MISSED)$' "$tmp/out" &&
	grep -qE '^same-filled pages .*: store [0-9.]+ GB/s, load [0-9.]+ GB/s' "$tmp/out" &&
	grep -qE '^threads .*speed-up [0-9.]+x' "$tmp/out" && pass || fail "bench store: $(cat "$tmp/out" "$tmp/err")"
expect "bench store bad compressor" 2 "" "^zbud bench store: unknown compressor 'x'" -- "$zbud" bench store --compressor x
expect "bench store bad level" 2 "" "^zbud bench store: bad level '99' for zstd" -- "$zbud" bench store --compressor zstd:99
expect "bench store bad zpool" 2 "" "^zbud bench store: unknown zpool 'x'" -- "$zbud" bench store --zpool x
expect "bench store no file" 1 "" "^zbud bench store: cannot read '$tmp/nope'" -- "$zbud" bench store --files "$tmp/nope" --no-heap

finish cli
