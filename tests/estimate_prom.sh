#!/usr/bin/env bash
# estimate_prom.sh ZBUD SRCDIR - `zbud estimate --prometheus`: a raw file of
# known pages (zero pages, random ones, text) gives the exact page counts
# in the exposition format, which prom_check.py holds to the format; a
# sample adds each figure's 95% interval; --json with it is refused.
set -u
zbud=$1
src=$2
. "$src/tests/lib.sh"

head -c $((64 * 4096)) /dev/zero >"$tmp/raw"
head -c $((32 * 4096)) /dev/urandom >>"$tmp/raw"
for i in $(seq 1 8000); do printf 'line %06d of text\n' "$i"; done | head -c $((32 * 4096)) >>"$tmp/raw"

# check ARGS...: estimate --prometheus ARGS passes prom_check; output in $tmp/out
check() {
	if "$zbud" estimate --prometheus "$@" >"$tmp/out" 2>"$tmp/err" &&
		python3 "$src/tests/prom_check.py" "$tmp/out" >"$tmp/check"; then
		pass
	else
		fail "estimate --prometheus $*: $(cat "$tmp/err" "$tmp/check" 2>/dev/null | head -3)"
	fi
}
has() { # has LINE: the last output has exactly this line
	grep -qxF -- "$1" "$tmp/out" && pass || fail "no line '$1'"
}

check --raw "$tmp/raw" --compressor lz4,zstd:3 --zpool zbud,ideal
has 'zbud_estimate_target_info{kind="raw",name="'"$tmp/raw"'",pid="0"} 1'
has 'zbud_estimate_target_pages 128'
has 'zbud_estimate_sampled 0'
has 'zbud_estimate_scanned_pages{compressor="lz4",zpool="zbud"} 128'
has 'zbud_estimate_same_filled_pages{compressor="zstd:3",zpool="ideal"} 64'
has 'zbud_estimate_incompressible_pages{compressor="lz4",zpool="zbud"} 32'
has 'zbud_estimate_stored_pages{compressor="lz4",zpool="zbud"} 32'
grep -q '_low{' "$tmp/out" && fail "intervals without a sample" || pass

big=$tmp/big
for _ in $(seq 1 40); do cat "$tmp/raw"; done >"$big"
check --raw "$big" --compressor lz4 --zpool zbud --sample-pages 2000
has 'zbud_estimate_sampled 1'
grep -q '^zbud_estimate_saved_bytes_low{compressor="lz4",zpool="zbud"} ' "$tmp/out" &&
	grep -q '^zbud_estimate_saved_bytes_high{compressor="lz4",zpool="zbud"} ' "$tmp/out" && pass ||
	fail "no interval of saved_bytes in a sample"

"$zbud" estimate --raw "$tmp/raw" --json --prometheus >"$tmp/out" 2>"$tmp/err"
[ $? = 2 ] && grep -qx 'zbud estimate: --json or --prometheus, not both' "$tmp/err" && pass ||
	fail "--json --prometheus: $(cat "$tmp/err")"
# Part of issue 12's "a new user's" list, beside the exposition format:
# a one-page target whose zsmalloc pool outweighs it says why its ratio is
# below 1 (the kernel's geometry: a whole zspage of several pages for one
# object; ours takes one page), and --plot refuses a name that is not a PNG's.
head -c 4096 "$src/README.md" >"$tmp/page"
"$zbud" estimate --raw "$tmp/page" --compressor lz4 --zpool zsmalloc-kernel >"$tmp/out" 2>&1 &&
	grep -q '^ratio below 1: the pool would take more than the pages; on a target this small (1 page)$' \
		"$tmp/out" && pass || fail "no note on a ratio below 1: $(cat "$tmp/out")"
"$zbud" estimate --raw "$tmp/page" --zpool zbud --plot "$tmp/x.jpg" >"$tmp/out" 2>"$tmp/err"
[ $? = 2 ] && grep -q "^zbud estimate: --plot writes a PNG, not what '.*x.jpg' names" "$tmp/err" &&
	[ ! -e "$tmp/x.jpg" ] && pass || fail "--plot x.jpg: $(cat "$tmp/err")"
finish estimate_prom
