#!/usr/bin/env bash
# house.sh BUILD SRCDIR - the rules of docs/ARCHITECTURE.md that a machine can
# check: every global symbol of libzbud.a has the project's prefix; nothing
# outside src/ compiles with src/ on its include path; no folder holds more
# than 15 C files; no C file of the library, engine, CLI or benchmarks is over
# 700 lines, and no function in them over 100.
set -u
build=$1 src=$2
fail=0
bad() { echo "house: $*"; fail=1; }

# 1. Prefixes.
while read -r sym; do
	bad "libzbud.a: global symbol without a project prefix: $sym"
done < <(nm -g --defined-only "$build/libzbud.a" | awk 'NF == 3 { print $3 }' |
	grep -Ev '^(zbud|zpool|zswap|zs|z3fold|zblock)_')

# 2. Include paths, from the compile commands CMake wrote.
python3 - "$build/compile_commands.json" "$src" <<'PY' || fail=1
import json, os, re, shlex, sys
cc, src = sys.argv[1], os.path.realpath(sys.argv[2])
libdir = os.path.join(src, "src")
bad = 0
for e in json.load(open(cc)):
    f = os.path.realpath(e["file"])
    if f.startswith(libdir + os.sep):
        continue
    args = e.get("arguments") or shlex.split(e["command"])
    for i, a in enumerate(args):
        d = a[2:] if a.startswith("-I") and len(a) > 2 else (args[i + 1] if a in ("-I", "-isystem") else None)
        if d and (os.path.realpath(d) + os.sep).startswith(libdir + os.sep):
            print(f"house: {os.path.relpath(f, src)} compiles with {os.path.relpath(d, src)} on its include path")
            bad = 1
sys.exit(bad)
PY

# 3-5. Sizes.
cd "$src" || exit 1
while read -r dir; do
	n=$(find "$dir" -maxdepth 1 -name '*.c' | wc -l)
	[ "$n" -le 15 ] || bad "$dir holds $n C files (at most 15)"
done < <(git ls-files -co --exclude-standard '*.c' | xargs -n1 dirname | sort -u)
while read -r f; do
	n=$(wc -l <"$f")
	[ "$n" -le 700 ] || bad "$f is $n lines (at most 700)"
	# A function body runs from a '{' alone in column 0 to the next '}' in
	# column 0 (the kernel style every file here follows).
	awk -v f="$f" '/^\{/ { start = NR; name = prev } /^\}/ && start {
			if (NR - start - 1 > 100) printf "house: %s:%d: %s is %d lines (at most 100)\n", f, start, name, NR - start - 1
			start = 0 } { prev = $0 }' "$f" | grep . && fail=1
done < <(git ls-files -co --exclude-standard 'src/*.c' 'engine/*.c' 'tools/*.c' 'bench/*.c')
[ $fail = 0 ] && echo "house: 1 passed, 0 failed"
exit $fail
