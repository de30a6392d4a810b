# lib.sh - what the end-to-end test scripts share (cli.sh, inspect.sh,
# estimate.sh); sourced after they set $zbud and $src.
#
# $tmp is a scratch directory removed at exit; fail/pass count checks; the
# script ends with `finish NAME`, which prints the closing "N passed, N
# failed" line and sets the exit status.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 passed=0

# Under ASan: PLplot's driver loader (libltdl) and fontconfig keep what they
# load until the process ends, which LeakSanitizer would report.
printf 'leak:libfontconfig.so\nleak:libltdl.so\n' >"$tmp/lsan.supp"
export LSAN_OPTIONS="suppressions=$tmp/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# Sanitizer builds: the runtimes write to files, not to the stderr the
# tests compare, so that a runtime's own warning (no llvm-symbolizer to match
# LeakSanitizer's suppressions with, on a machine without llvm) fails no
# test; `finish` fails on any error a runtime reported and shows the rest.
# A sanitized process that finds an error still exits non-zero as well.
for v in ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS; do
	export "$v=log_path=$tmp/sanitizer${!v:+:${!v}}"
done

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { passed=$((passed + 1)); }

# sanitizer_logs: fail on each runtime log under $tmp that reports an error
sanitizer_logs() {
	local log
	while IFS= read -r log; do
		if grep -qE 'ERROR: |runtime error: |WARNING: ThreadSanitizer' "$log"; then
			fail "a sanitizer reported, in $log:"
			head -40 "$log"
		else
			echo "note: a sanitizer runtime said (no fault found): $(head -c 300 "$log")"
		fi
	done < <(find "$tmp" -name 'sanitizer.*' -type f)
}

finish() {
	sanitizer_logs
	echo "$1: $passed passed, $failures failed"
	[ "$failures" = 0 ]
}
