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
refused 1 "^zbud estimate: '$tmp' is a directory: zbud reads regular files and block devices$" est --raw "$tmp"
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
refused 2 "^zbud estimate: --delay is for a command" est --raw "$tmp/random" --delay 1
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

# The table, and the sizes `zbud inspect` reads.
if works est --raw "$zbud" --compressor lz4,zstd --zpool zbud,ideal --save-sizes "$tmp/sizes"; then
	grep -q "^zbud estimate: raw file '$zbud'$" "$tmp/out" &&
		grep -qE '^lz4 +zbud +[0-9]+ +[0-9]+ ' "$tmp/out" &&
		grep -qE '^zstd +zbud ' "$tmp/out" && grep -qE '^over 4096 +[0-9.]+% +[0-9.]+%$' "$tmp/out" &&
		pass || fail "table: $(head -12 "$tmp/out")"
	works "$zbud" inspect --sizes "$tmp/sizes" && pass
fi
# A command read at its own SIGSTOP, then let go to exit.
if works est --compressor lz4 --zpool zbud -- sh -c 'kill -STOP $$; exit 0'; then
	grep -qE "^zbud estimate: command [0-9]+ \(sh\), read at its SIGSTOP$" "$tmp/out" &&
		pass || fail "SIGSTOP: $(head -3 "$tmp/out")"
fi
# A sample says so, with intervals.
if works est --raw "$zbud" --compressor lz4 --sample-pages 20 --seed 7; then
	grep -qE '^sample: [0-9]+ pages .*20 replicates of [0-9]+, seed 7;' "$tmp/out" &&
		grep -qE '^lz4 +zbud .* \+-[0-9.]+ ' "$tmp/out" && pass || fail "sample: $(head -8 "$tmp/out")"
fi

# The JSON, full and sampled, against the schema in docs/estimate.md (when
# python3 has jsonschema: python3-jsonschema).
if python3 -c 'import jsonschema' 2>/dev/null; then
	for args in "--compressor lz4,zstd:3" "--sample-pages 20 --zpool zsmalloc,ideal"; do
		# shellcheck disable=SC2086
		works est --raw "$zbud" --json $args || continue
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
	if works est --compressor lz4 --zpool zbud --sample-pages 400 --json; then
		grep -q '"kind": "built-in"' "$tmp/out" && grep -q '"read_at": "SIGSTOP"' "$tmp/out" &&
			pass || fail "built-in: $(head -c 600 "$tmp/out")"
	fi
fi

finish estimate
