#!/usr/bin/env bash
# man.sh ZBUD SRCDIR BUILDDIR - the manual and the completion keep up with
# the program: every command `zbud --help` lists has a man page, every
# option a command's --help names is in that page, every page renders with
# `man -l` and groff without a warning and has EXAMPLES, EXIT STATUS and
# FILES; the bash completion offers the commands and each one's options.
# A new command or option without its man page fails here.
set -u
zbud=$1
src=$2
build=$3
. "$src/tests/lib.sh"
export LC_ALL=C.UTF-8 MANWIDTH=80

# The commands, as `zbud --help` lists them ("  NAME  what it does").
commands=$("$zbud" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$commands" ] && pass || fail "zbud --help lists no command"

# page CMD: the man page of a command (zbud(1) tells of `zbud help`)
page() { if [ "$1" = help ]; then echo "$build/man/zbud.1"; else echo "$build/man/zbud-$1.1"; fi; }

# options ARGS...: the long options `zbud ARGS --help` names above its
# examples (which may show other commands' options)
options() {
	"$zbud" "$@" --help 2>&1 | sed '/^Examples:$/,$d' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

for cmd in $commands; do
	p=$(page "$cmd")
	if [ ! -f "$p" ]; then
		fail "'zbud $cmd' has no man page (man/zbud-$cmd.1, and man/CMakeLists.txt)"
		continue
	fi
	pass
	helps=("$cmd")
	if [ "$cmd" = bench ]; then # its jobs' helps too
		helps=()
		for job in $("$zbud" bench --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'); do
			helps+=("bench $job")
		done
	fi
	text=$(sed 's/\\-/-/g' "$p")
	for h in "${helps[@]}"; do
		for opt in $(options $h); do
			grep -qF -- "$opt" <<<"$text" && pass ||
				fail "'zbud $h --help' names $opt, man/zbud-$cmd.1 does not"
		done
	done
done

for p in "$build"/man/*.1; do
	name=$(basename "$p")
	for section in 'EXAMPLES' '"EXIT STATUS"|EXIT STATUS' 'FILES' 'SEE ALSO'; do
		grep -qE "^\.SH ($section)\$" "$p" && pass || fail "$name has no $section section"
	done
	grep -q '@[A-Z]*@' "$p" && fail "$name: a @PLACEHOLDER@ left" || pass
	warnings=$(groff -wall -man -Tutf8 "$p" 2>&1 >/dev/null)
	[ -z "$warnings" ] && pass || fail "groff -wall $name: $warnings"
	out=$(man --warnings -l "$p" 2>&1 >/dev/null)
	[ -z "$out" ] && pass || fail "man -l $name: $out"
	man -l "$p" 2>/dev/null | grep -q '^NAME' && pass || fail "man -l $name: no NAME"
done

# ---- every command's --help ends with examples ----
for h in $commands "bench alloc" "bench store" "bench zram" "bench run"; do
	[ "$h" = help ] && continue
	"$zbud" $h --help >"$tmp/out" 2>&1
	sed -n '/^Examples:$/,$p' "$tmp/out" | grep -q "^  .*zbud " && ! sed '1,/^Examples:$/d' "$tmp/out" |
		grep -qvE '^  |^$' && pass || fail "'zbud $h --help' does not end with Examples: and example lines"
done

# ---- zbud help ----
for cmd in $commands; do
	[ "$cmd" = help ] && continue
	[ "$("$zbud" help "$cmd" 2>&1)" = "$("$zbud" "$cmd" --help 2>&1)" ] && pass ||
		fail "'zbud help $cmd' is not 'zbud $cmd --help'"
done
[ "$("$zbud" help bench store)" = "$("$zbud" bench store --help)" ] && pass || fail "zbud help bench store"
"$zbud" help >"$tmp/out" && [ "$(sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' "$tmp/out")" = "$commands" ] &&
	pass || fail "zbud help: not the commands of zbud --help"
"$zbud" help nope 2>"$tmp/err"
[ $? = 2 ] && grep -qx "zbud: unknown command 'nope' (try 'zbud --help')" "$tmp/err" && pass ||
	fail "zbud help nope: $(cat "$tmp/err")"

# ---- the bash completion ----
. "$src/completion/zbud.bash"
# completes WORD... -- WANT...: completing the last WORD offers every WANT
completes() {
	local words=() w
	while [ "$1" != -- ]; do words+=("$1"); shift; done
	shift
	COMP_WORDS=("$zbud" "${words[@]}")
	COMP_CWORD=${#words[@]}
	COMPREPLY=()
	_zbud
	for w in "$@"; do
		printf '%s\n' "${COMPREPLY[@]}" | grep -qx -- "$w" ||
			{ fail "completing 'zbud ${words[*]}': no $w in: ${COMPREPLY[*]}"; return; }
	done
	pass
}
completes "" -- $commands help
completes s -- stat
completes help "" -- $commands
completes stat --j -- --json
completes stat "" -- --json --prometheus --watch --count --root
completes bench "" -- alloc store
completes bench store --m -- --mib
completes inspect --allocator "" -- zbud z3fold zsmalloc
completes estimate --compressor z -- zstd
mkdir -p "$tmp/dir" && : >"$tmp/dir/trace.txt"
completes replay "$tmp/dir/tr" -- "$tmp/dir/trace.txt"

finish man
