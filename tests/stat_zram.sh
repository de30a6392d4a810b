#!/usr/bin/env bash
# stat_zram.sh ZBUD SRCDIR - `zbud stat` on a real zram device that this test
# makes itself: hot_add, a 64 MiB disksize, 256 zero pages, 256 random pages
# and 256 pages of text written with O_DIRECT, then what zbud reads is what
# the kernel must have counted.  The device is reset and removed at exit,
# whatever happened; no other device is touched.  Exit 77 (skipped) without
# root or zram.
set -u
zbud=$1
src=$2
. "$src/tests/lib.sh"
ctl=/sys/class/zram-control
PAGES=256

skip() { echo "stat_zram: skipped: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root to make a zram device"
[ -w $ctl/hot_add ] || modprobe zram num_devices=0 2>/dev/null
[ -r $ctl/hot_add ] || skip "no zram here ($ctl: no zram module)"
id=$(cat $ctl/hot_add 2>/dev/null) || skip "hot_add refused a new zram device"
dev=zram$id
# Ours from here: reset and remove it however the test ends.
cleanup() {
	echo 1 >/sys/block/$dev/reset 2>/dev/null
	echo "$id" >$ctl/hot_remove || echo "stat_zram: could not remove $dev" >&2
	rm -rf "$tmp"
}
trap cleanup EXIT
echo $((64 << 20)) >/sys/block/$dev/disksize || { fail "disksize"; finish stat_zram; exit; }
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/$dev ] && break; sleep 0.2; done
[ -b /dev/$dev ] || skip "/dev/$dev did not appear (no devtmpfs?)"

# The three kinds of page, each a 1 MiB run.
head -c $((PAGES * 4096)) /dev/zero >"$tmp/data"
head -c $((PAGES * 4096)) /dev/urandom >>"$tmp/data"
for i in $(seq 1 $((PAGES * 100))); do printf 'line %08d of some text zram compresses well\n' "$i"; done |
	head -c $((PAGES * 4096)) >>"$tmp/data"
dd if="$tmp/data" of=/dev/$dev bs=1M oflag=direct status=none || fail "dd to /dev/$dev"
dd if=/dev/$dev of="$tmp/back" bs=1M count=3 iflag=direct status=none || fail "dd from /dev/$dev"
cmp -s "$tmp/data" "$tmp/back" && pass || fail "$dev gave back other bytes"

"$zbud" stat --json >"$tmp/json" 2>"$tmp/err" || fail "stat --json: $(cat "$tmp/err")"
selected=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/block/$dev/comp_algorithm)
if python3 - "$tmp/json" "$dev" "$PAGES" "$selected" <<'EOF'; then pass; else fail "stat --json of $dev"; fi
import json, sys
j = json.load(open(sys.argv[1]))
dev, pages, algo = sys.argv[2], int(sys.argv[3]), sys.argv[4]
d = [d for d in j["zram"]["devices"] if d["name"] == dev]
checks = [
    ("one device named " + dev, len(d) == 1),
]
if d:
    d = d[0]
    m, s = d["mm_stat"], d["stat"]
    checks += [
        ("initstate 1", d["initstate"] == 1),
        ("disksize 64 MiB", d["disksize"] == 64 << 20),
        ("comp_algorithm " + algo, d["comp_algorithm"] == algo),
        ("orig_data_size: every page, same-filled ones too", m["orig_data_size"] == 3 * pages * 4096),
        ("same_pages: the zero pages", m["same_pages"] == pages),
        ("huge_pages: the random pages", m["huge_pages"] == pages),
        ("compr_data_size: random pages whole, text far less",
         pages * 4096 <= m["compr_data_size"] < pages * 4096 * 3 // 2),
        ("mem_used_total >= compr_data_size", m["mem_used_total"] >= m["compr_data_size"]),
        ("write_sectors: 3 MiB", s["write_sectors"] == 3 * pages * 8),
        ("read_sectors: at least 3 MiB", s["read_sectors"] >= 3 * pages * 8),
    ]
bad = [what for what, ok in checks if not ok]
for what in bad:
    print("stat_zram: wrong: %s: %s" % (what, json.dumps(d)))
sys.exit(1 if bad else 0)
EOF

"$zbud" stat >"$tmp/out" 2>"$tmp/err"
grep -qE "^$dev +$selected, disksize 64\.0 MiB$" "$tmp/out" &&
	grep -qE "3\.0 MiB stored in 1\.[0-9] MiB compressed" "$tmp/out" &&
	grep -qE "same_pages $PAGES, huge_pages $PAGES \($PAGES since set up\)" "$tmp/out" &&
	pass || { fail "stat of $dev:"; grep -A6 "^$dev" "$tmp/out"; }
"$zbud" stat --prometheus >"$tmp/prom" && python3 "$src/tests/prom_check.py" "$tmp/prom" >/dev/null &&
	grep -qx "zbud_zram_same_pages{device=\"$dev\"} $PAGES" "$tmp/prom" && pass ||
	fail "stat --prometheus of $dev"
finish stat_zram
