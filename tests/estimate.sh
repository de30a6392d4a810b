#!/usr/bin/env bash
# estimate.sh ZBUD SRCDIR - `zbud estimate` from the command line: bad input
# is one line on stderr and a non-zero status (2 for bad input, 1 for what
# cannot be done); the kernel's ptrace refusal, as an unprivileged user
# against a process this script starts; the table, the sizes file that
# `zbud inspect` reads, the PNG, and the built-in workload.
set -u
zbud=$1
src=$2
. "$src/tests/lib.sh"
victim=
trap 'rm -rf "$tmp"; [ -n "$victim" ] && kill "$victim" 2>/dev/null' EXIT

# refused STATUS PATTERN CMD...: exits STATUS, one line on stderr matching
# PATTERN, nothing on stdout
refused() {
	local want=$1 pattern=$2
	shift 2
	"$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	local st=$?
	if [ "$st" = "$want" ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
		grep -qE -- "$pattern" "$tmp/err"; then
		pass
	else
		fail "$*: exit $st (want $want), stderr: $(head -3 "$tmp/err")"
	fi
}

# works CMD...: exits 0, stdout to $tmp/out, nothing on stderr
works() {
	"$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	local st=$?
	if [ "$st" = 0 ] && [ ! -s "$tmp/err" ]; then
		return 0
	fi
	fail "$*: exit $st, stderr: $(head -3 "$tmp/err")"
	return 1
}

est() { "$zbud" estimate "$@"; }

head -c 100000 /dev/urandom >"$tmp/random"
: >"$tmp/empty"
printf '\177ELF\001\001\001\000' >"$tmp/elf32"
head -c 56 /dev/zero >>"$tmp/elf32"

# Files: missing, empty, a directory, not a core.
refused 1 "^zbud estimate: cannot open '$tmp/nope': No such file or directory$" est --raw "$tmp/nope"
refused 1 "^zbud estimate: cannot open '$tmp/nope': No such file or directory$" est --core "$tmp/nope"
refused 1 "^zbud estimate: '$tmp/empty' is empty: no pages to measure$" est --raw "$tmp/empty"
refused 2 "^zbud estimate: '$tmp' is a directory: zbud reads regular files and block devices$" est --raw "$tmp"
refused 2 "^zbud estimate: '$tmp/random' is not a core file: not an ELF file$" est --core "$tmp/random"
refused 2 "^zbud estimate: '$tmp/elf32' is not a core file: a 32-bit ELF file" est --core "$tmp/elf32"
refused 2 "is not a core file: an ELF file of type 3, not a core" est --core "$zbud"

# Options.
for bad in 0 1.5 x -0.5 ''; do
	refused 2 "^zbud estimate: bad --sample value '$bad' \(more than 0, at most 1\)$" \
		est --raw "$tmp/random" --sample "$bad"
done
refused 2 "^zbud estimate: --sample-pages '0' is not a positive integer$" est --sample-pages 0
refused 2 "^zbud estimate: --sample or --sample-pages, not both$" est --sample 0.1 --sample-pages 9
refused 2 "^zbud estimate: unknown compressor 'foo' \(known: lz4, lz4hc, zstd, lzo, deflate\)$" \
	est --compressor lz4,foo
refused 2 "^zbud estimate: bad level '99' for zstd \(1 to 22\)$" est --compressor zstd:99
refused 2 "^zbud estimate: unknown zpool 'foo' \(known: zbud, .*, ideal\)$" est --zpool foo
refused 2 "^zbud estimate: --threads '0' is not a positive integer$" est --threads 0
refused 2 "^zbud estimate: unknown option '--frob' \(try --help\)$" est --frob
refused 2 "^zbud estimate: --pid needs a value$" est --pid
refused 2 "^zbud estimate: one target at most" est --raw "$tmp/random" --core "$tmp/random"
refused 2 "^zbud estimate: --delay is for --once with a command$" est --raw "$tmp/random" --delay 1
refused 2 "^zbud estimate: --mapping is for processes" est --raw "$tmp/random" --mapping x
refused 2 "^zbud estimate: -- needs a command after it$" est --

# Commands and processes: none such, gone, and one the kernel will not let
# another user read (never worked around).
refused 1 "^zbud estimate: cannot run 'zbud-no-such-command': No such file or directory$" \
	est -- zbud-no-such-command
true &
gone=$!
wait "$gone"
refused 1 "^zbud estimate: no process $gone$" est --pid "$gone"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	sleep 60 &
	victim=$!
	refused 1 "^zbud estimate: the kernel's ptrace access rules do not let zbud read process $victim \(Permission denied" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$zbud" estimate --pid "$victim"
	kill "$victim"
	wait "$victim" 2>/dev/null
	victim=
else
	echo "estimate: not root, so the ptrace refusal is not tried"
fi

# Issue 11: hostile input never crashes, hangs or writes through a link.
# More compressors than the list holds: counted before written.
many=lz4,lz4hc,zstd,lzo,deflate,zstd:1,zstd:2,zstd:4,zstd:5,zstd:6,zstd:7,zstd:8,zstd:9,zstd:10,zstd:11,zstd:12,zstd:13
refused 2 "^zbud estimate: too many compressors at 'zstd:13' \(16 at most\)$" \
	est --raw "$tmp/random" --compressor "$many"
refused 2 "^zbud bench store: too many compressors at 'zstd:13' \(16 at most\)$" \
	"$zbud" bench store --compressor "$many"
refused 2 "^zbud estimate: compressor 'lz4' named twice$" \
	est --raw "$tmp/random" --compressor lz4,lz4,lz4,lz4,lz4,lz4,lz4,lz4,lz4,lz4
refused 2 "^zbud estimate: zpool 'zbud' named twice$" est --raw "$tmp/random" --zpool zbud,zbud
# Nothing to measure: one line, no double free.  A command held at its
# exit stop, which SIGKILL alone does not end, ends promptly.
for once in --once ''; do
	refused 1 "^zbud estimate: no pages to measure: none that zswap would be given" \
		timeout 60 "$zbud" estimate $once --mapping NOMATCH -- sleep 0.2
	refused 1 "^zbud estimate: no pages to measure: none that zswap would be given" \
		timeout 60 "$zbud" estimate $once --mapping NOMATCH -- sh -c 'kill -STOP $$'
done
sleep 60 &
victim=$!
refused 1 "^zbud estimate: no pages to measure: none that zswap would be given" \
	est --once --mapping NOMATCH --pid "$victim"
kill "$victim"
wait "$victim" 2>/dev/null
victim=
# Core files that are damaged or made up: said what is wrong, at once.
for kind in big overlap-file overlap-mem more-file empty cut; do
	python3 "$src/tests/make_core.py" "$kind" "$tmp/core-$kind"
done
refused 2 "^zbud estimate: '.*core-big' is not a core file: segment 0 \(0x100000000000000 bytes at 0\) ends past the largest address space" \
	timeout 60 "$zbud" estimate --core "$tmp/core-big"
refused 2 "is not a core file: segments 0 and 1 overlap in the file \(at 0x" \
	timeout 60 "$zbud" estimate --core "$tmp/core-overlap-file"
refused 2 "is not a core file: segments 0 and 1 overlap in memory \(at 0x10000000\)$" \
	est --core "$tmp/core-overlap-mem"
refused 2 "is not a core file: segment 0 holds more in the file \(8192 bytes\) than it spans in memory \(4096\)$" \
	est --core "$tmp/core-more-file"
refused 1 "^zbud estimate: no pages to measure: none of its segments is in the file$" \
	est --core "$tmp/core-empty"
if works est --core "$tmp/core-cut" --compressor lz4 --zpool zbud; then
	grep -q "^pages: 1 anonymous pages .* in 1 segment$" "$tmp/out" &&
		grep -q ", 4 not in the file$" "$tmp/out" && pass || fail "cut core: $(head -3 "$tmp/out")"
fi
# A FIFO with no writer is refused, not waited on; a zombie is said so.
mkfifo "$tmp/fifo"
refused 2 "^zbud estimate: '$tmp/fifo' is a FIFO: zbud reads regular files and block devices$" \
	timeout 10 "$zbud" estimate --raw "$tmp/fifo"
refused 2 "is a FIFO" timeout 10 "$zbud" estimate --core "$tmp/fifo"
sh -c 'sleep 0 & echo $! >"$1"; exec sleep 30' sh "$tmp/zombie" &
victim=$!
while [ "$(sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$(cat "$tmp/zombie" 2>/dev/null)/status" 2>/dev/null)" != Z ]; do
	sleep 0.05
done
refused 1 "^zbud estimate: process $(cat "$tmp/zombie") has exited \(a zombie, not yet reaped by its parent\): its memory is gone$" \
	est --pid "$(cat "$tmp/zombie")"
kill "$victim"
wait "$victim" 2>/dev/null
victim=
# A full disk is said as such; a file is written whole, replacing a link
# at its name, never what the link points to (tools/cli_output.c).
"$zbud" estimate --raw "$tmp/random" --compressor lz4 --json >/dev/full 2>"$tmp/err"
st=$?
[ "$st" = 1 ] && [ "$(cat "$tmp/err")" = "zbud estimate: cannot write the report: No space left on device" ] &&
	pass || fail "--json >/dev/full: exit $st, $(head -2 "$tmp/err")"
est --raw "$tmp/random" --compressor lz4 --save-sizes /dev/full >/dev/null 2>"$tmp/err"
st=$?
[ "$st" = 1 ] && [ "$(cat "$tmp/err")" = "zbud estimate: cannot write '/dev/full': No space left on device" ] &&
	[ -c /dev/full ] && pass || fail "--save-sizes /dev/full: exit $st, $(head -2 "$tmp/err")"
# A character device, or a descriptor by its name, is written to as it is;
# a FIFO, a directory or a descriptor not open is refused.
works est --raw "$tmp/random" --compressor lz4 -o /dev/null && [ ! -s "$tmp/out" ] && [ -c /dev/null ] &&
	pass || fail "-o /dev/null: $(head -2 "$tmp/out")"
works est --raw "$tmp/random" --compressor lz4 --zpool zbud -o /dev/stdout &&
	grep -qE '^lz4 +zbud +[0-9]+ ' "$tmp/out" && [ -L /dev/stdout ] &&
	pass || fail "-o /dev/stdout: $(head -2 "$tmp/out")"
refused 1 "^zbud estimate: '$tmp/fifo' is not a regular file: not replaced$" \
	est --raw "$tmp/random" --compressor lz4 -o "$tmp/fifo"
refused 1 "^zbud estimate: '$tmp' is not a regular file: not replaced$" \
	est --raw "$tmp/random" --compressor lz4 --save-sizes "$tmp"
refused 1 "^zbud estimate: cannot write '/dev/fd/9': not open$" \
	est --raw "$tmp/random" --compressor lz4 -o /dev/fd/9
echo precious >"$tmp/precious"
for opt in --plot --save-sizes; do
	ln -sf "$tmp/precious" "$tmp/link"
	works "$zbud" estimate --raw "$tmp/random" --compressor lz4 $opt "$tmp/link" &&
		[ ! -L "$tmp/link" ] && [ -s "$tmp/link" ] && [ "$(cat "$tmp/precious")" = precious ] &&
		pass || fail "$opt over a link: the link followed, or not replaced"
done

# The table, and the sizes `zbud inspect` reads.
if works est --raw "$zbud" --compressor lz4,zstd --zpool zbud,ideal --save-sizes "$tmp/sizes"; then
	grep -q "^zbud estimate: raw file '$zbud'$" "$tmp/out" &&
		grep -qE '^lz4 +zbud +[0-9]+ +[0-9]+ ' "$tmp/out" &&
		grep -qE '^zstd +zbud ' "$tmp/out" && grep -qE '^over 4096 +[0-9.]+% +[0-9.]+%$' "$tmp/out" &&
		pass || fail "table: $(head -12 "$tmp/out")"
	works "$zbud" inspect --sizes "$tmp/sizes" && pass
fi
# Every row's columns under the header's, "zsmalloc-kernel" the longest name.
if works est --raw "$zbud" --compressor lz4,zstd --zpool zbud,zsmalloc-kernel,ideal; then
	awk '/^compressor/ { h = index($0, "stored") + 5 }
		h && /^(lz4|zstd)? +[a-z-]+ +[0-9]+ +[0-9]+ / { n++; if (match($0, /^[a-z0-9]* +[a-z-]+ +[0-9]+ +[0-9]+/) && RSTART + RLENGTH - 1 != h) bad++ }
		END { exit !(n == 6 && !bad) }' "$tmp/out" && pass || fail "columns: $(sed -n 7,10p "$tmp/out")"
fi
# A command read once at its own SIGSTOP, then let go to exit; followed,
# its end said, and its output its own: the report on stderr, or -o.
if works est --once -o "$tmp/rep" --compressor lz4 --zpool zbud -- sh -c 'kill -STOP $$; exit 0'; then
	grep -qE "^zbud estimate: command [0-9]+ \(sh\), read at its SIGSTOP$" "$tmp/rep" &&
		pass || fail "SIGSTOP: $(head -3 "$tmp/rep")"
fi
"$zbud" estimate --json --compressor lz4 --zpool zbud -- sh -c 'echo hello; exit 3' >"$tmp/out" 2>"$tmp/err"
st=$?
[ "$st" = 0 ] && [ "$(cat "$tmp/out")" = hello ] &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["command"]["exit_status"] == 3' "$tmp/err" &&
	pass || fail "a command's output and its end: exit $st, out $(head -c 100 "$tmp/out"), err $(head -c 300 "$tmp/err")"
if works est -o "$tmp/rep" --compressor lz4 --zpool zbud -- sh -c 'kill -9 $$'; then
	grep -qE "^zbud estimate: command [0-9]+ \(sh\), followed for [0-9.]+ s: it was killed by signal 9 " "$tmp/rep" &&
		pass || fail "killed: $(head -3 "$tmp/rep")"
fi
# Bad targets over time: no cgroup, a process that ends mid-run.
refused 2 "^zbud estimate: no cgroup '/nonexistent/zbud': neither it nor a path below a cgroup root" \
	est --cgroup /nonexistent/zbud
sh -c 'sleep 1' &
victim=$!
if works est --pid "$victim" --compressor lz4 --zpool zbud; then
	grep -qE "^zbud estimate: process $victim \([a-z]+\), followed for [0-9.]+ s: its processes ended$" "$tmp/out" &&
		pass || fail "ended mid-run: $(head -3 "$tmp/out")"
fi
wait "$victim" 2>/dev/null
victim=
# A sample says so, with intervals.
if works est --raw "$zbud" --compressor lz4 --sample-pages 20 --seed 7; then
	grep -qE '^sample: [0-9]+ pages .*20 replicates of [0-9]+, seed 7;' "$tmp/out" &&
		grep -qE '^lz4 +zbud .* \+-[0-9.]+ ' "$tmp/out" && pass || fail "sample: $(head -8 "$tmp/out")"
fi

# The JSON, full and sampled, against the schema in docs/estimate.md (when
# python3 has jsonschema: python3-jsonschema).
if python3 -c 'import jsonschema' 2>/dev/null; then
	for args in "--raw $zbud --compressor lz4,zstd:3" "--raw $zbud --sample-pages 20 --zpool zsmalloc,ideal" \
		"--compressor lz4 --zpool zbud,ideal --every 0.05 -- sh -c 'x=\$(seq 100000); sleep 0.3'"; do
		# shellcheck disable=SC2086
		eval works est --json -o "$tmp/out" $args || continue
		python3 - "$src/docs/estimate.md" "$tmp/out" <<-'EOF' && pass || fail "schema: $args"
		import json, re, sys, jsonschema
		schema = json.loads(re.findall(r"```json\n(.*?)```", open(sys.argv[1]).read(), re.S)[1])
		jsonschema.validate(json.load(open(sys.argv[2])), schema,
		                    cls=jsonschema.Draft202012Validator)
		EOF
	done
else
	echo "estimate: no python3 jsonschema, so the JSON schema is not checked"
fi

# The kernel beside: its zswap's compressor, as the kernel names it.
if [ -r /sys/module/zswap/parameters/compressor ] &&
	works est --raw "$tmp/random" --compressor lz4 --zpool zbud --json -o "$tmp/k.json"; then
	python3 - "$tmp/k.json" <<-'EOF' && pass || fail "kernel: $(head -c 300 "$tmp/k.json")"
	import json, sys
	k = json.load(open(sys.argv[1]))["kernel"]
	assert k["zswap"]["compressor"] == open("/sys/module/zswap/parameters/compressor").read().strip()
	EOF
fi
# --vs-kernel, held against a zram device this script makes itself: the
# same pages (the file, zero-padded to whole pages, as zbud reads it), the
# same algorithm and size give the kernel's same mm_stat.  No device left.
zram_count() { ls /sys/block | grep -c '^zram'; }
if [ "$(id -u)" = 0 ] && [ -e /sys/class/zram-control/hot_add ] &&
	grep -qw lz4 /sys/block/zram*/comp_algorithm 2>/dev/null; then
	before=$(zram_count)
	if works est --raw "$tmp/random" --compressor lz4 --zpool zsmalloc --vs-kernel --json -o "$tmp/vs.json"; then
		[ "$(zram_count)" = "$before" ] && pass || fail "--vs-kernel left a zram device"
		{ cat "$tmp/random"; head -c $((25 * 4096 - 100000)) /dev/zero; } >"$tmp/padded"
		id=$(cat /sys/class/zram-control/hot_add)
		echo lz4 >"/sys/block/zram$id/comp_algorithm" && echo $((256 * 4096)) >"/sys/block/zram$id/disksize" &&
			dd if="$tmp/padded" of="/dev/zram$id" bs=4096 oflag=direct conv=fsync status=none &&
			cat "/sys/block/zram$id/mm_stat" >"$tmp/mm_stat"
		echo 1 >"/sys/block/zram$id/reset"
		echo "$id" >/sys/class/zram-control/hot_remove
		python3 - "$tmp/vs.json" "$tmp/mm_stat" <<-'EOF' && pass || fail "--vs-kernel: $(cat "$tmp/mm_stat") vs $(head -c 600 "$tmp/vs.json")"
		import json, sys
		vs = json.load(open(sys.argv[1]))["kernel"]["vs_kernel"]
		mm = [int(x) for x in open(sys.argv[2]).read().split()]
		k = vs["compressors"][0]["kernel"]
		assert vs["why_not"] is None and vs["pages"] == 25, vs
		assert [k["orig_data_size"], k["compr_data_size"], k["same_pages"]] == [mm[0], mm[1], mm[5]], (k, mm)
		assert len(mm) < 8 or k["huge_pages"] == mm[7], (k, mm)
		EOF
	fi
else
	echo "estimate: not root, or no zram with lz4: --vs-kernel not held against a zram device"
fi
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$tmp" && chmod 644 "$tmp/random"
	if works setpriv --reuid=65534 --regid=65534 --clear-groups "$zbud" estimate --raw "$tmp/random" \
		--compressor lz4 --zpool zbud --vs-kernel; then
		grep -q "^--vs-kernel: needs root: only root makes zram devices$" "$tmp/out" && pass ||
			fail "--vs-kernel as nobody: $(grep vs-kernel "$tmp/out")"
	fi
fi

# The PNG, or one line saying this zbud has no PLplot.
"$zbud" estimate --raw "$zbud" --compressor lz4 --plot "$tmp/e.png" >/dev/null 2>"$tmp/err"
st=$?
if [ "$st" = 2 ] && grep -q "built without it" "$tmp/err"; then
	echo "estimate: built without PLplot, --plot refused as it should be"
	pass
elif [ "$st" = 0 ] &&
	[ "$(head -c 8 "$tmp/e.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
	pass
else
	fail "--plot: exit $st, $(head -3 "$tmp/err")"
fi

# The built-in workload, when python3 is here.
if command -v python3 >/dev/null; then
	if works est --compressor lz4 --zpool zbud --sample-pages 400 --json -o "$tmp/rep"; then
		# Its peak is the SIGSTOP it ends with, or, when Python's heap held
		# more pages while it was built (a loaded machine reads it then),
		# a reading as it ran: never its exit.
		grep -q '"kind": "built-in"' "$tmp/rep" &&
			grep -qE '"read_at": "(SIGSTOP|tick|grew)"' "$tmp/rep" &&
			pass || fail "built-in: $(head -c 600 "$tmp/rep")"
	fi
fi

finish estimate
