#!/usr/bin/env bash
# hostile.sh ZBUD SRCDIR - inputs meant to break `zbud replay`, `zbud inspect
# --sizes` and `zbud bench alloc`'s options: each gets one line naming what
# is wrong and a non-zero status, in bounded time and memory, or works.
set -u
zbud=$1
src=$2
. "$src/tests/lib.sh"

# A sanitizer needs terabytes of address space to start; without one, each
# check gets 1 GB (LIMIT_KB), so that a regression cannot fill the memory
# of a machine that others share, and 20 seconds.
sanitized=0
nm "$zbud" 2>/dev/null | grep -qE '__(asan|tsan)_init' && sanitized=1

# check NAME STATUS STDERR-PATTERN -- CMD...: status and one line on stderr.
check() {
	local name=$1 status=$2 want=$3
	shift 4
	(
		[ $sanitized = 1 ] || ulimit -v "${LIMIT_KB:-1000000}"
		exec timeout 20 "$@"
	) >"$tmp/out" 2>"$tmp/err" </dev/null
	local got=$?
	if [ "$got" != "$status" ]; then
		fail "$name: exit $got, want $status ($(head -c 300 "$tmp/err"))"
	elif [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -qE -- "$want" "$tmp/err"; then
		fail "$name: stderr is not one line matching /$want/: $(head -c 300 "$tmp/err")"
	else
		pass
	fi
}

# Lines have a limit (4096 bytes): one past it is refused, even when the
# line would parse (trailing blanks), and a file with no newline at all
# is refused at once instead of read into memory.
long=$(printf '%4090s' '')
printf 'a 1 10%s\n' "${long%?????}" >"$tmp/at-limit.trace"      # 4095 bytes
printf 'a 1 10%s\nf 1\n' "$long" >"$tmp/past-limit.trace"        # 4096 + 0
printf 'a 1 10%s \nf 1\n' "$long" >"$tmp/over-limit.trace"       # 4097
"$zbud" replay "$tmp/at-limit.trace" >"$tmp/out" 2>&1 && [ "$(cat "$tmp/out")" = "a 1 first 1" ] &&
	pass || fail "a line of 4095 bytes: $(head -3 "$tmp/out")"
"$zbud" replay "$tmp/past-limit.trace" >"$tmp/out" 2>&1 && pass ||
	fail "a line of 4096 bytes: $(head -3 "$tmp/out")"
check "a line of 4097 bytes" 2 '^zbud replay: line 1: longer than 4096 bytes$' -- \
	"$zbud" replay "$tmp/over-limit.trace"
check "replay /dev/zero" 2 '^zbud replay: line 1: longer than 4096 bytes$' -- \
	"$zbud" replay /dev/zero
check "inspect --sizes /dev/zero" 2 "^zbud: /dev/zero:1: line longer than 4096 bytes$" -- \
	"$zbud" inspect --sizes /dev/zero
printf '100\n%s%s200\n' "$long" "$long" >"$tmp/long.sizes"
check "a long sizes line" 2 "^zbud: $tmp/long.sizes:2: line longer than 4096 bytes$" -- \
	"$zbud" inspect --sizes "$tmp/long.sizes"

# Out of memory is not the end of the input: a 64 MiB line (valid blanks)
# under a 200 MB address-space limit.  Not under a sanitizer, which needs
# terabytes of address space to start.
if [ $sanitized = 1 ]; then
	echo "hostile: sanitizer build, the out-of-memory case is not run"
	pass
else
	{ printf 'a 1 10\n'; head -c 67108864 /dev/zero | tr '\0' ' '; printf '\nf 1\n'; } \
		>"$tmp/huge.trace"
	LIMIT_KB=200000 check "a 64 MiB line, short of memory" 2 \
		'^zbud replay: line 2: longer than 4096 bytes$' -- "$zbud" replay "$tmp/huge.trace"
	rm -f "$tmp/huge.trace"
fi

# RETRIES has a limit: a pinned pool answers within it, at once.
printf 'a 1 100\np 1\nr 1048576\n' >"$tmp/pinned.trace"
"$zbud" replay "$tmp/pinned.trace" >"$tmp/out" 2>&1 &&
	[ "$(tail -1 "$tmp/out")" = "r EAGAIN 1" ] && pass || fail "r 1048576, pinned: $(cat "$tmp/out")"
printf 'a 1 100\np 1\nr 4294967295\n' >"$tmp/forever.trace"
check "r 4294967295" 2 "^zbud replay: line 3: RETRIES '4294967295' is too large \(at most 1048576\)$" -- \
	"$zbud" replay "$tmp/forever.trace"

# A TRACE that starts with '-' after '--'; a directory; an empty file.
cp "$src/examples/basic.trace" "$tmp/-x.trace"
(cd "$tmp" && "$zbud" replay -- -x.trace) >"$tmp/out" 2>&1 &&
	cmp -s "$tmp/out" "$src/examples/basic.expect" && pass || fail "replay -- -x.trace"
check "replay a directory" 1 "^zbud replay: $tmp: read error: Is a directory$" -- "$zbud" replay "$tmp"
: >"$tmp/empty.sizes"
check "empty sizes" 2 "^zbud: $tmp/empty.sizes: no sizes in it$" -- \
	"$zbud" inspect --sizes "$tmp/empty.sizes"
# A name that is refused is quoted on its one line: a newline is a '?'.
check "inspect --plot with a newline" 2 \
	"^zbud inspect: --plot writes a PNG, not what 'x\?y\.jpg' names: name it FILE.png$" -- \
	"$zbud" inspect --sizes "$tmp/empty.sizes" --plot $'x\ny.jpg'

# A FIFO that nothing writes to is refused after 5 s, by every reader of
# lines (it once blocked open() forever); one written to is read.  The four
# waits run side by side.
mkfifo "$tmp/fifo"
readers=("replay" "inspect --trace" "inspect --sizes" "bench alloc --live 1 --pairs 1 --sizes")
for i in "${!readers[@]}"; do
	# shellcheck disable=SC2086
	timeout 20 "$zbud" ${readers[$i]} "$tmp/fifo" >/dev/null 2>"$tmp/fifo-err.$i" </dev/null &
	pids[$i]=$!
done
for i in "${!readers[@]}"; do
	wait "${pids[$i]}"
	st=$?
	[ $st = 1 ] && [ "$(wc -l <"$tmp/fifo-err.$i")" = 1 ] &&
		grep -qE "^zbud.*: '$tmp/fifo' is a FIFO that nothing wrote to in 5 s$" "$tmp/fifo-err.$i" &&
		pass || fail "${readers[$i]} on a FIFO with no writer: exit $st, $(head -c 300 "$tmp/fifo-err.$i")"
done
(sleep 0.5; cat "$src/examples/basic.trace" >"$tmp/fifo") &
timeout 20 "$zbud" replay "$tmp/fifo" >"$tmp/out" 2>&1 && cmp -s "$tmp/out" "$src/examples/basic.expect" &&
	pass || fail "replay of a FIFO a writer opens late: $(head -c 300 "$tmp/out")"
wait
timeout 20 "$zbud" replay <(sleep 0.5; cat "$src/examples/basic.trace") >"$tmp/out" 2>&1 &&
	cmp -s "$tmp/out" "$src/examples/basic.expect" && pass || fail "replay <(...): $(head -c 300 "$tmp/out")"

# Numbers at and past their limits: bench alloc.
for bad in -1 0 +5 ' 5' 1000000001 18446744073709551616 x ''; do
	check "bench alloc --pairs '$bad'" 2 "^zbud bench alloc: --pairs '.*' is (not a positive integer|too large \(at most 1000000000\))$" -- \
		"$zbud" bench alloc --pairs "$bad"
done
check "bench alloc --live 1,,2" 2 "^zbud bench alloc: --live '' is not a positive integer$" -- \
	"$zbud" bench alloc --live 1,,2
check "bench alloc --live 9 sets" 2 '^zbud bench alloc: --live: at most 8 working sets$' -- \
	"$zbud" bench alloc --live 1,2,3,4,5,6,7,8,9
check "bench alloc --live 1000001" 2 "^zbud bench alloc: --live '1000001' is too large \(at most 1000000\)$" -- \
	"$zbud" bench alloc --live 1000001
for bad in 0 101 x; do
	check "bench alloc --runs '$bad'" 2 "^zbud bench alloc: --runs '$bad' is (not a positive integer|too large \(at most 100\))$" -- \
		"$zbud" bench alloc --runs "$bad"
done

# bench run: numbers are digits within limits ("-1" was ULONG_MAX, and a
# workload of that size ran out of memory); zbud run's options are tried
# before anything runs, and said in one line.
for bad in "--mib -1" "--mib 0" "--mib 99999999" "--accesses -1" "--faults 99999999999999999999" \
	"--hot 1001" "--share x" "--repeat 21" "--mib +5"; do
	# shellcheck disable=SC2086
	check "bench run $bad" 2 "^zbud bench run: --[a-z]+ '.*' is not a number from 1 to [0-9]+$" -- \
		"$zbud" bench run $bad
done
check "bench run --limit x" 2 "^zbud bench run: bad --limit value 'x'" -- "$zbud" bench run --limit x
check "bench run --zpool nope" 2 "^zbud bench run: unknown zpool 'nope'" -- "$zbud" bench run --zpool nope

# Killed while writing --plot: the temporary file goes too, and the path
# is never made.  (A background job of a script ignores SIGINT: SIGTERM.)
if "$zbud" inspect --help | grep -q 'not in this build'; then
	echo "hostile: built without PLplot, --plot interrupted is not run"
	pass
else
	"$zbud" inspect --sizes "$src/data/python-heap.lz4-sizes.txt" --rows 100000 \
		--plot "$tmp/killed.png" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 500); do
		ls "$tmp"/killed.png.*.tmp >/dev/null 2>&1 && break
		sleep 0.01
	done
	if ls "$tmp"/killed.png.*.tmp >/dev/null 2>&1; then
		kill -TERM $pid
		wait $pid
		[ -z "$(ls "$tmp" | grep killed.png)" ] && pass ||
			fail "--plot killed left: $(ls "$tmp" | grep killed.png)"
	else
		wait $pid
		echo "hostile: the plot was done before it could be interrupted: not checked"
		pass
	fi
fi

# Standard output that cannot be written: ENOSPC, said once, status 1, for
# every command (--help too).
for cmd in "--help" "replay --help" "inspect --help" "bench alloc --help"; do
	# shellcheck disable=SC2086
	check "zbud $cmd > /dev/full" 1 'cannot write.*: No space left on device$' -- \
		bash -c "exec '$zbud' $cmd >/dev/full"
done
check "estimate --json > /dev/full" 1 '^zbud estimate: cannot write the report: No space left on device$' -- \
	bash -c "exec '$zbud' estimate --raw '$src/README.md' --json >/dev/full"
check "replay > /dev/full" 1 '^zbud replay: cannot write the log: No space left on device$' -- \
	bash -c "exec '$zbud' replay '$src/examples/basic.trace' >/dev/full"

finish hostile
