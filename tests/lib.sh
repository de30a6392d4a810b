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

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { passed=$((passed + 1)); }

finish() {
	echo "$1: $passed passed, $failures failed"
	[ "$failures" = 0 ]
}
