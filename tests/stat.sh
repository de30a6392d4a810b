#!/usr/bin/env bash
# stat.sh ZBUD SRCDIR - `zbud stat` end to end on fake /sys and /proc trees
# (--root) written here as the kernels write them: zswap on (v6.1 and 6.18
# names), off, never set up and absent; zram with 7 to 9 mm_stat fields, a
# backing device, none; debugfs unmounted and unreadable without root; files
# that are not what the kernel writes.  Every --prometheus output goes
# through prom_check.py, every --json through python's json.
set -u
zbud=$1
src=$2
. "$src/tests/lib.sh"

# put ROOT PATH TEXT: a file of the fake tree (printf's %b: \n, \t)
put() {
	mkdir -p "$1/$(dirname "$2")"
	printf '%b' "$3" >"$1/$2"
}

meminfo() { # meminfo ROOT ZSWAP_KB ZSWAPPED_KB
	put "$1" proc/meminfo "MemTotal:       16384000 kB\nMemFree:         8000000 kB\nSwapTotal:       8388604 kB\nSwapFree:        8000000 kB\nZswap:          $2 kB\nZswapped:       $3 kB\nHugePages_Total:       0\nHugepagesize:       2048 kB\n"
}

# A v6.1 kernel, zswap on with zbud; zram0 set up (9 mm_stat fields), zram1 a
# 4.x-style 7-field one not set up.
tree_61() {
	local r=$1 p=sys/module/zswap/parameters d=sys/kernel/debug/zswap
	put "$r" $p/enabled 'Y\n'
	put "$r" $p/compressor 'lzo\n'
	put "$r" $p/zpool 'zbud\n'
	put "$r" $p/max_pool_percent '20\n'
	put "$r" $p/accept_threshold_percent '90\n'
	put "$r" $p/same_filled_pages_enabled 'Y\n'
	put "$r" $p/non_same_filled_pages_enabled 'Y\n'
	put "$r" $d/pool_limit_hit '3\n'
	put "$r" $d/reject_reclaim_fail '1\n'
	put "$r" $d/reject_alloc_fail '0\n'
	put "$r" $d/reject_kmemcache_fail '0\n'
	put "$r" $d/reject_compress_poor '17\n'
	put "$r" $d/written_back_pages '250\n'
	put "$r" $d/duplicate_entry '0\n'
	put "$r" $d/pool_total_size '41943040\n'
	put "$r" $d/stored_pages '25600\n'
	put "$r" $d/same_filled_pages '1024\n'
	meminfo "$r" 40960 102400
	put "$r" proc/vmstat 'nr_free_pages 2000000\npswpin 10\npswpout 20\nzswpin 500\nzswpout 26000\nthp_swpout 0\n'
	mkdir -p "$r/sys/class/zram-control"
	put "$r" sys/block/zram0/initstate '1\n'
	put "$r" sys/block/zram0/disksize '4294967296\n'
	put "$r" sys/block/zram0/comp_algorithm 'lzo [lzo-rle] lz4 lz4hc 842 zstd \n'
	put "$r" sys/block/zram0/mm_stat ' 4194304  1048576  1310720        0  1310720      256        0       16       16\n'
	put "$r" sys/block/zram0/io_stat '       0        0        0       12\n'
	put "$r" sys/block/zram0/stat '     300        0     8192       10     1024        0     8192       30        0       40       40        0        0        0        0        0        0\n'
	put "$r" sys/block/zram1/initstate '0\n'
	put "$r" sys/block/zram1/disksize '0\n'
	put "$r" sys/block/zram1/comp_algorithm '[lzo] lz4\n'
	put "$r" sys/block/zram1/mm_stat '       0        0        0        0        0        0        0\n'
	put "$r" sys/block/zram1/stat '       0        0        0        0        0        0        0        0        0        0        0\n'
	mkdir -p "$r/sys/block/vda" "$r/sys/block/zramx"
}

# A 6.18 kernel, zswap on (no zpool parameter, shrinker, the new counters, and
# one this zbud does not know); zram10 with a backing device.
tree_618() {
	local r=$1 p=sys/module/zswap/parameters d=sys/kernel/debug/zswap
	put "$r" $p/enabled 'Y\n'
	put "$r" $p/compressor 'zstd\n'
	put "$r" $p/max_pool_percent '25\n'
	put "$r" $p/accept_threshold_percent '80\n'
	put "$r" $p/shrinker_enabled 'Y\n'
	for c in pool_limit_hit reject_reclaim_fail reject_alloc_fail reject_kmemcache_fail decompress_fail; do
		put "$r" $d/$c '0\n'
	done
	put "$r" $d/reject_compress_fail '2\n'
	put "$r" $d/reject_compress_poor '5\n'
	put "$r" $d/written_back_pages '7\n'
	put "$r" $d/pool_total_size '8388608\n'
	put "$r" $d/stored_pages '4096\n'
	put "$r" $d/stored_incompressible_pages '10\n'
	put "$r" $d/some_later_counter '42\n'
	meminfo "$r" 8192 16384
	put "$r" proc/vmstat 'nr_free_pages 2000000\nzswpin 3\nzswpout 4106\nzswpwb 7\n'
	mkdir -p "$r/sys/class/zram-control"
	put "$r" sys/block/zram10/initstate '1\n'
	put "$r" sys/block/zram10/disksize '1073741824\n'
	put "$r" sys/block/zram10/comp_algorithm 'lzo-rle lzo lz4 [zstd] \n'
	put "$r" sys/block/zram10/mm_stat '  1048576   131072   262144  8388608   262144      128        2        1        3\n'
	put "$r" sys/block/zram10/io_stat '       1        2 0        9\n'
	put "$r" sys/block/zram10/bd_stat '       5        2        5\n'
	put "$r" sys/block/zram10/backing_dev '/dev/loop7\n'
	put "$r" sys/block/zram10/stat '     3 0 24 0 256 0 2048 0 0 0 0 0 0 0 0 0 0\n'
}

# This machine's state: 6.18, zswap off and never set up, debugfs unmounted,
# zram loaded with no device.
tree_off() {
	local r=$1 p=sys/module/zswap/parameters
	put "$r" $p/enabled 'N\n'
	put "$r" $p/compressor 'lzo\n'
	put "$r" $p/max_pool_percent '20\n'
	put "$r" $p/accept_threshold_percent '90\n'
	put "$r" $p/shrinker_enabled 'N\n'
	mkdir -p "$r/sys/kernel/debug" "$r/sys/class/zram-control" "$r/sys/block/loop0"
	meminfo "$r" 0 0
	put "$r" proc/vmstat 'zswpin 0\nzswpout 0\nzswpwb 0\n'
}

# run ARGS...: zbud stat ARGS, stdout and stderr to $tmp/out, $tmp/err
run() {
	timeout 60 "$zbud" stat "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
}

# says WHAT ARGS... -- PATTERN...: exits 0, quiet on stderr, and stdout has
# every PATTERN (grep -E)
says() {
	local what=$1 args=() st
	shift
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	run "${args[@]}"
	st=$?
	if [ $st != 0 ] || [ -s "$tmp/err" ]; then
		fail "$what: exit $st: $(head -2 "$tmp/err")"
		return
	fi
	for p in "$@"; do
		grep -qE -- "$p" "$tmp/out" || { fail "$what: no '$p' in:"; head -30 "$tmp/out"; return; }
	done
	pass
}

# lacks WHAT PATTERN: the last output has no PATTERN
lacks() {
	if grep -qE -- "$2" "$tmp/out"; then fail "$1: '$2' should not be there"; else pass; fi
}

# json WHAT ROOT PYTHON-EXPR...: each expression is true of `zbud stat --json`
# (bound to j)
json() {
	local what=$1 root=$2
	shift 2
	run --json --root "$root" || { fail "$what: --json exit $?: $(head -2 "$tmp/err")"; return; }
	if python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
for e in sys.argv[2:]:
    if not eval(e):
        print("false: " + e)
        sys.exit(1)' "$tmp/out" "$@"; then pass; else fail "$what: JSON"; fi
}

# prom WHAT ARGS...: `zbud stat --prometheus ARGS` passes prom_check.py
prom() {
	local what=$1
	shift
	run --prometheus "$@" || { fail "$what: --prometheus exit $?: $(head -2 "$tmp/err")"; return; }
	if python3 "$src/tests/prom_check.py" "$tmp/out" >"$tmp/check"; then
		pass
	else
		fail "$what: $(cat "$tmp/check")"
	fi
}

# refuses STATUS PATTERN ARGS...: exits STATUS, one line on stderr matching PATTERN
refuses() {
	local want=$1 pattern=$2
	shift 2
	run "$@"
	local st=$?
	if [ "$st" = "$want" ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -qE -- "$pattern" "$tmp/err"; then
		pass
	else
		fail "stat $*: exit $st (want $want), stderr: $(head -3 "$tmp/err")"
	fi
}

t61=$tmp/v6.1 t618=$tmp/v6.18 off=$tmp/off none=$tmp/none
tree_61 "$t61"
tree_618 "$t618"
tree_off "$off"
mkdir -p "$none/proc" && meminfo "$none" 0 0

# ---- for people ----
says "v6.1 on" --root "$t61" -- '^zswap +enabled, compressor lzo, zpool zbud, max_pool_percent 20' \
	'pool +40\.0 MiB holding 100\.0 MiB \(ratio 2\.50\)' 'limit +3\.1 GiB \(20% of 15\.6 GiB\), 1\.2% used' \
	'zswpin 500 zswpout 26000 \(pages\)' 'pool_total_size 40\.0 MiB' 'stored_pages +25600' \
	'same_filled_pages +1024' 'reject_compress_poor +17' 'duplicate_entry +0' \
	'^zram0 +lzo-rle, disksize 4\.0 GiB$' '4\.0 MiB stored in 1\.0 MiB compressed, 1\.2 MiB of memory \(ratio 3\.20\)' \
	'same_pages 256, huge_pages 16 \(16 since set up\)' 'read 4\.0 MiB in 300 requests, written 4\.0 MiB in 1024' \
	'notify_free 12' '^zram1 +lzo, disksize 0 B \(not initialized\)'
lacks "v6.1 on" 'zramx|vda|reject_compress_fail|decompress_fail|root|^zram1.*\n  data'
grep -A1 '^zram1' "$tmp/out" | tail -1 | grep -q '^  ' && fail "zram1, not initialized, has figures" || pass
says "6.18 on" --root "$t618" -- 'shrinker on' 'stored_incompressible_pages +10' 'reject_compress_fail +2' \
	'some_later_counter +42' 'zswpwb 7' 'backing +/dev/loop7: 20\.0 KiB held, 2 pages read, 5 written' \
	'memory +limit 8\.0 MiB, most used 256\.0 KiB' '^zram10 +zstd'
lacks "6.18 on" 'zpool|same_filled_pages|duplicate_entry'
says "off" --root "$off" -- '^zswap +disabled, compressor lzo' 'debugfs not mounted' '^zram +no devices$'
mkdir -p "$off/sys/kernel/debug/block"
says "never set up" --root "$off" -- 'zswap not set up since boot'
says "absent" --root "$none" -- '^zswap +not in this kernel' '^zram +no devices \(module not loaded'
says "this machine" --

# ---- JSON: the kernel's names, bytes and counts ----
json "v6.1 on" "$t61" 'j["zswap"]["parameters"] == {"enabled": True, "max_pool_percent": 20, "accept_threshold_percent": 90, "same_filled_pages_enabled": True, "non_same_filled_pages_enabled": True, "compressor": "lzo", "zpool": "zbud"}' \
	'j["zswap"]["counters"]["stored_pages"] == 25600' 'j["zswap"]["counters"]["pool_total_size"] == 41943040' \
	'len(j["zswap"]["counters"]) == 10' 'j["meminfo"]["Zswap"] == 40960 * 1024' 'j["vmstat"] == {"zswpin": 500, "zswpout": 26000, "pswpin": 10, "pswpout": 20}' \
	'[d["name"] for d in j["zram"]["devices"]] == ["zram0", "zram1"]' \
	'j["zram"]["devices"][0]["mm_stat"]["huge_pages_since"] == 16' 'j["zram"]["devices"][0]["comp_algorithms"][1] == "lzo-rle"' \
	'len(j["zram"]["devices"][1]["mm_stat"]) == 7' 'j["zram"]["devices"][0]["stat"] == {"read_ios": 300, "read_sectors": 8192, "write_ios": 1024, "write_sectors": 8192}' \
	'"bd_stat" not in j["zram"]["devices"][0] and j["zram"]["devices"][0]["backing_dev"] is None' 'j["needs_root"] == []'
json "6.18 on" "$t618" '"zpool" not in j["zswap"]["parameters"]' '"same_filled_pages" not in j["zswap"]["counters"]' \
	'j["zswap"]["counters"]["stored_incompressible_pages"] == 10' 'j["zswap"]["other_counters"] == {"some_later_counter": 42}' \
	'j["zram"]["devices"][0]["bd_stat"] == {"bd_count": 5, "bd_reads": 2, "bd_writes": 5}' \
	'j["zram"]["devices"][0]["io_stat"]["notify_free"] == 9' 'j["zram"]["devices"][0]["backing_dev"] == "/dev/loop7"'
json "never set up" "$off" 'j["zswap"]["debugfs"] == "absent"' '"counters" not in j["zswap"]' 'j["zram"] == {"present": True, "devices": []}'
json "absent" "$none" 'j["zswap"] == {"present": False}' 'j["zram"]["present"] is False'

# ---- Prometheus, checked by a strict parser; and the parser itself ----
for r in "$t61" "$t618" "$off" "$none"; do prom "$(basename "$r")" --root "$r"; done
prom "this machine"
run --prometheus --root "$t618"
grep -qx 'zbud_zram_bd_writes_total{device="zram10"} 5' "$tmp/out" &&
	grep -qx 'zbud_zswap_pool_total_size_bytes 8388608' "$tmp/out" &&
	grep -qx 'zbud_zswap_debugfs_other{counter="some_later_counter"} 42' "$tmp/out" &&
	grep -qx 'zbud_vmstat_zswpwb_total 7' "$tmp/out" && pass || fail "prometheus: figures"
for bad in 'a 1\nb 1\na{x="y"} 1\n' '# TYPE a_total counter\n# TYPE a_total counter\na_total 1\n' \
	'a{x="\\q"} 1\n' 'a{__x="1"} 1\n' 'a 1\na 2\n' 'a one\n' 'a 1 1.5\n' 'a 1'; do
	printf '%b' "$bad" | python3 "$src/tests/prom_check.py" >/dev/null && fail "prom_check took: $bad" || pass
done

# ---- without root: what it can, and what needs root said once ----
cp -a "$t61" "$tmp/denied"
chmod 700 "$tmp/denied/sys/kernel/debug"
chmod -R a+rX "$tmp" && chmod 700 "$tmp/denied/sys/kernel/debug"
as_user=()
[ "$(id -u)" = 0 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if "${as_user[@]}" test -x "$zbud"; then
	# where nobody may write a sanitizer's log
	mkdir -m 1777 "$tmp/nobody"
	for v in ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS; do
		export "$v=${!v}:log_path=$tmp/nobody/sanitizer"
	done
	"${as_user[@]}" "$zbud" stat --root "$tmp/denied" >"$tmp/out" 2>"$tmp/err"
	st=$?
	[ $st = 0 ] && [ ! -s "$tmp/err" ] && grep -q 'counters (/sys/kernel/debug/zswap: needs root)' "$tmp/out" &&
		[ "$(grep -c 'without root' "$tmp/out")" = 1 ] && grep -q '^zram0' "$tmp/out" &&
		grep -qE 'pool +40.0 MiB' "$tmp/out" && pass || fail "without root: exit $st: $(cat "$tmp/out" "$tmp/err")"
else
	echo "stat.sh: skipped the without-root run: $zbud is not executable by nobody"
fi

# ---- files that are not what the kernel writes ----
cp -a "$t61" "$tmp/bad"
b=$tmp/bad
put "$b" sys/kernel/debug/zswap/stored_pages '12x\n'
refuses 2 "bad/sys/kernel/debug/zswap/stored_pages: '12x' is not a non-negative integer" --root "$b"
put "$b" sys/kernel/debug/zswap/stored_pages '1\n2\n'
refuses 2 "stored_pages: '1\?2\?' is not one line of text" --root "$b"
put "$b" sys/kernel/debug/zswap/stored_pages '18446744073709551616\n'
refuses 2 "stored_pages: '18446744073709551616' is too large" --root "$b"
put "$b" sys/kernel/debug/zswap/stored_pages '18446744073709551615\n'
# jansson's integers are signed: past 2^63 a count comes out as a (rounded) real
json "u64 max" "$b" 'j["zswap"]["counters"]["stored_pages"] == float(2**64 - 1)'
rm "$b/sys/kernel/debug/zswap/stored_pages" && mkfifo "$b/sys/kernel/debug/zswap/stored_pages"
refuses 2 'stored_pages: not a regular file' --root "$b"
rm "$b/sys/kernel/debug/zswap/stored_pages"
# What a later kernel may add is skipped, unless it is a file of one number.
mkdir "$b/sys/kernel/debug/zswap/a_folder" && mkfifo "$b/sys/kernel/debug/zswap/a_fifo"
put "$b" sys/kernel/debug/zswap/a_text 'some words\n'
json "later additions" "$b" 'j["zswap"]["other_counters"] == {}' '"stored_pages" not in j["zswap"]["counters"]'
put "$b" sys/module/zswap/parameters/enabled 'yes\n'
refuses 2 "parameters/enabled: 'yes' is not Y or N" --root "$b"
put "$b" sys/module/zswap/parameters/enabled 'Y\n'
put "$b" proc/meminfo 'MemTotal: 100 kB\nZswap:   12 MB\n'
refuses 2 "proc/meminfo:2: Zswap: '12 MB' is not a number" --root "$b"
put "$b" proc/meminfo 'Zswap: 1 kB\nZswap: 1 kB\n'
refuses 2 'proc/meminfo:2: Zswap a second time' --root "$b"
meminfo "$b" 1 2
put "$b" sys/block/zram0/mm_stat '1 2 3 4 5 6\n'
refuses 2 'zram0/mm_stat: 6 fields, expected at least 7' --root "$b"
put "$b" sys/block/zram0/mm_stat '1 2 3 4 5 6 7 8 9 10 11\n'
json "mm_stat of a later kernel" "$b" 'j["zram"]["devices"][0]["mm_stat"]["huge_pages_since"] == 9'
put "$b" sys/block/zram0/comp_algorithm 'lzo lz4\n'
refuses 2 'comp_algorithm: no algorithm is \[selected\]' --root "$b"
put "$b" sys/block/zram0/comp_algorithm '[lzo] [lz4]\n'
refuses 2 'comp_algorithm: two algorithms are \[selected\]' --root "$b"
put "$b" sys/block/zram0/comp_algorithm '[lzo]\n'
head -c 300000 /dev/zero >"$b/proc/vmstat"
refuses 2 'proc/vmstat: longer than any file the kernel writes there' --root "$b"

# ---- options ----
refuses 2 "unknown option \(try --help\): '--bogus'" --bogus
refuses 2 "needs a value: '--root'" --root
refuses 2 "--root is not a folder: '/nonexistent'" --root /nonexistent
refuses 2 "--root is not a folder" --root /dev/null
refuses 2 "--watch takes seconds from 0.01 to 86400, not '0'" --watch 0
refuses 2 "--watch takes seconds.*'nan'" --watch nan
refuses 2 "--count takes a positive integer, not '-1'" --watch 1 --count -1
refuses 2 'one of --json, --prometheus and --watch' --json --prometheus
refuses 2 '--count is for --watch' --count 3
run --help && grep -q '^Examples:' "$tmp/out" && pass || fail "--help"

# ---- --watch: a head and N lines of rates ----
run --root "$t618" --watch 0.01 --count 3
if [ $? = 0 ] && [ "$(wc -l <"$tmp/out")" = 4 ] && head -1 "$tmp/out" | grep -q 'zswpin/s.*zram10' &&
	[ "$(grep -c '^ *0\.0 ' "$tmp/out")" = 3 ]; then pass; else fail "--watch: $(cat "$tmp/out" "$tmp/err")"; fi
# Ctrl-C ends --watch cleanly (exit 0), once it has printed two lines.
"$zbud" stat --watch 0.05 >"$tmp/out" 2>&1 &
pid=$!
for _ in $(seq 1 400); do [ "$(wc -l <"$tmp/out")" -ge 3 ] && break; sleep 0.05; done
kill -INT $pid
wait $pid
st=$?
[ $st = 0 ] && [ "$(wc -l <"$tmp/out")" -ge 3 ] && pass || fail "--watch stopped by SIGINT: exit $st"
"$zbud" stat --watch 0.01 --count 1000 --root "$t61" 2>"$tmp/err" | head -2 >/dev/null
st=${PIPESTATUS[0]}
[ "$st" = 141 ] && pass || fail "--watch into a closed pipe: exit $st (want SIGPIPE's 141): $(cat "$tmp/err")"
"$zbud" stat --json >/dev/full 2>"$tmp/err"
[ $? = 1 ] && grep -q 'cannot write: No space left on device' "$tmp/err" && pass || fail "/dev/full: $(cat "$tmp/err")"

finish stat
