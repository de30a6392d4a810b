#!/usr/bin/env bash
# run.sh ZBUD SRCDIR RUN_CHECK - `zbud run` end to end: every byte comes back
# (run_check's modes: threads, system calls, fork, munmap/mremap, madvise,
# brk, exec, signals) while pages really go out and come back; python3
# prints the same under the pager as without it; the unprivileged path;
# writeback full and damaged; exit statuses and signals pass through;
# Ctrl-C and kill leave no process and no file; bad input is one line.
#
# ZBUD_RUN_QUICK=1 (sanitizer builds): the pager and run_check are built
# plain in every build, so the byte-for-byte sweep of every mode and
# allocator is the plain build's; a sanitized build runs one mode of it and
# all of what its own code (the zbud command) does.
set -u
quick=${ZBUD_RUN_QUICK:-0}
zbud=$1
src=$2
check=$3
. "$src/tests/lib.sh"
pids=
trap 'rm -rf "$tmp"; for p in $pids; do kill -9 -- "$p" 2>/dev/null; done' EXIT
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)

# field FILE KEY: a top-level figure of the last JSON line of FILE
field() {
	"$py" -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])[sys.argv[2]])' "$1" "$2" 2>/dev/null
}

# The kernel must have what the pager needs; say why not and skip.
"$zbud" run --limit 16M --stats "$tmp/probe" -- "$check" threads 1 >"$tmp/out" 2>"$tmp/err"
if grep -q "ran unmanaged" "$tmp/err"; then
	echo "SKIP: $(cat "$tmp/err")"
	exit 77
fi

# paged WHAT ZBUD-ARGS... -- CMD: exit 0, pages went out and came back
paged() {
	local what=$1
	shift
	"$zbud" run --stats "$tmp/s" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	local st=$? out in
	out=$(field "$tmp/s" evictions)
	in=$(field "$tmp/s" faults)
	if [ "$st" = 0 ] && [ "${out:-0}" -gt 0 ] && [ "${in:-0}" -gt 0 ]; then
		pass
	else
		fail "$what: exit $st, evictions ${out:-?}, faults ${in:-?}: $(head -3 "$tmp/err")"
	fi
}

modes="threads syscalls fork remap madvise brk exec signals"
[ "$quick" = 1 ] && modes=fork
for mode in $modes; do
	paged "$mode" --limit 8M -- "$check" "$mode" 32
done
[ "$quick" = 1 ] || {
paged "lz4hc and zbud" --limit 8M --compressor lz4hc --zpool zbud -- "$check" threads 24
paged "lzo and z3fold" --limit 8M --compressor lzo --zpool z3fold -- "$check" remap 24
# the pager's heat: a hot set under the limit stays in (run_check says so)
paged "hot set" --limit 8M -- "$check" hot 32
# Linux 6.18's UFFDIO_MOVE can move a page and report an error or a short
# count (shim_uffd.c); believed, that count lost a page a few runs in a
# hundred.  Here every move reports so: the pager must go by the page tables,
# taking pages out (threads, remap) and putting refused ones back (pool full).
lying() {
	local what=$1 n
	shift
	ZBUD_RUN_TEST_LYING_MOVES=1 paged "moves that misreport: $what" "$@"
	n=$(field "$tmp/s" moves_recounted)
	[ "${n:-0}" -gt 0 ] && pass || fail "moves that misreport: $what: none recounted"
}
lying threads --limit 8M -- "$check" threads 32
lying remap --limit 8M -- "$check" remap 32
lying "refused pages put back" --limit 8M --pool-limit 1M -- "$check" hot 32
}

# Many processes in one run (pyenv's python3 shim took 79 slots; the
# figures once had room for 64): the last one's figures are still kept.
"$zbud" run --stats "$tmp/s" --limit 4M -- sh -c 'for i in $(seq 100); do /bin/true; done; exec "$0" threads 8' \
	"$check" >/dev/null 2>"$tmp/err"
st=$?
n=$(field "$tmp/s" processes)
out=$(field "$tmp/s" evictions)
[ "$st" = 0 ] && [ "${n:-0}" -gt 100 ] && [ "${out:-0}" -gt 0 ] && pass ||
	fail "101 processes: exit $st, processes ${n:-?}, evictions ${out:-?}: $(head -2 "$tmp/err")"

# A store that refuses (the pool full, no writeback) while pages have heat:
# the pager backs off to its next tick (100 ms) instead of trying again at
# once, so it tries at most a few batches (64 pages) a tick; it once tried
# without end (60,000 refusals for 8,192 pages in 5 s).
paged "pool full" --limit 8M --pool-limit 1M -- "$check" hot 32
kept=$(field "$tmp/s" kept_resident)
secs=$(field "$tmp/s" elapsed_seconds)
"$py" -c 'import sys; k, s = int(sys.argv[1]), float(sys.argv[2]); sys.exit(k > 2 * 64 * (10 * s + 2))' \
	"${kept:-0}" "${secs:-0}" && pass || fail "pool full: $kept pages refused in $secs s: the pager did not back off"

# Without the system call interception the kernel meets evicted pages: EFAULT.
"$zbud" run --limit 8M --no-syscall-check -- "$check" syscalls 32 >/dev/null 2>"$tmp/err"
st=$?
[ "$st" = 2 ] && grep -q "Bad address" "$tmp/err" && pass ||
	fail "--no-syscall-check: exit $st (want 2, EFAULT): $(head -2 "$tmp/err")"

# python3 builds and reads back a structure: the same output as alone.
cat >"$tmp/heap.py" <<'PY'
import hashlib
rows = [{"id": i, "name": "row-%07d" % i, "tags": ["t%d" % (i % 97), "x" * (i % 50)]}
        for i in range(150000)]
h = hashlib.sha256()
for r in rows:
    h.update(("%d %s %s\n" % (r["id"], r["name"], ",".join(r["tags"]))).encode())
print(len(rows), h.hexdigest())
PY
if [ "$quick" = 0 ]; then
	"$py" "$tmp/heap.py" >"$tmp/alone" 2>&1
	paged python3 --limit 16M -- "$py" "$tmp/heap.py"
	cmp -s "$tmp/alone" "$tmp/out" && pass || fail "python3: output differs: $(cat "$tmp/out")"
fi

# The unprivileged path: a user without CAP_SYS_PTRACE, and the device.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$tmp"
	mkdir -m 1777 "$tmp/nobody"
	asuser() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
	if asuser test -x "$check"; then
		asuser "$zbud" run --limit 8M --stats "$tmp/nobody/s.json" -- "$check" syscalls 32 >/dev/null 2>"$tmp/err"
		st=$?
		[ "$st" = 0 ] && [ "$(field "$tmp/nobody/s.json" evictions)" -gt 0 ] && pass ||
			fail "as nobody: exit $st: $(head -2 "$tmp/err")"
		asuser "$zbud" run --limit 8M --dev-userfaultfd -- "$check" threads 8 >/dev/null 2>"$tmp/err"
		st=$?
		if [ -r /dev/userfaultfd ] || ! [ -e /dev/userfaultfd ]; then
			pass
		else
			[ "$st" = 0 ] && grep -q "ran unmanaged: /dev/userfaultfd" "$tmp/err" && pass ||
				fail "nobody with --dev-userfaultfd: exit $st: $(head -2 "$tmp/err")"
		fi
	else
		echo "skip: nobody cannot run $check (a directory above it is closed)"
	fi
fi
if [ -w /dev/userfaultfd ]; then
	paged "--dev-userfaultfd" --limit 8M --dev-userfaultfd -- "$check" syscalls 32
fi

# Writeback: the coldest compressed pages go to the file; a full file
# (RLIMIT_FSIZE) keeps pages in memory; a damaged one stops the program.
paged writeback --limit 8M --pool-limit 2M --writeback "$tmp/wb" -- "$check" threads 32
[ "$(field "$tmp/s" written_back_pages)" -gt 0 ] && pass || fail "writeback: nothing written back"
ls "$tmp"/wb* >/dev/null 2>&1 && fail "writeback: a file was left behind" || pass
# the file full: RLIMIT_FSIZE set on the running program
"$zbud" run --limit 8M --pool-limit 1M --writeback "$tmp/full" --stats "$tmp/s" -- "$check" sleep 32 >"$tmp/full.out" 2>"$tmp/err" &
zpid=$!
pids="$pids $zpid"
for _ in $(seq 100); do grep -q ready "$tmp/full.out" 2>/dev/null && break; sleep 0.1; done
cpid=$(pgrep -P "$zpid" | head -1)
prlimit --pid "$cpid" --fsize=65536:65536 && kill -USR1 "$zpid"
wait "$zpid"
st=$?
[ "$st" = 0 ] && [ "$(field "$tmp/s" reject_reclaim_fail)" -gt 0 ] && pass ||
	fail "writeback file full: exit $st, reject_reclaim_fail $(field "$tmp/s" reject_reclaim_fail): $(head -2 "$tmp/err")"
"$zbud" run --limit 8M --pool-limit 1M --writeback "$tmp/bad" -- "$check" sleep 32 >"$tmp/fifo.out" 2>"$tmp/err" &
zpid=$!
pids="$pids $zpid"
for _ in $(seq 100); do grep -q ready "$tmp/fifo.out" 2>/dev/null && break; sleep 0.1; done
cpid=$(pgrep -P "$zpid" | head -1)
wbfd=$(ls -l /proc/"$cpid"/fd 2>/dev/null | sed -n 's|.* \([0-9]*\) -> .*/bad\.[0-9]* (deleted)$|\1|p' | head -1)
if [ -n "$wbfd" ]; then
	dd if=/dev/zero of=/proc/"$cpid"/fd/"$wbfd" bs=64k count=64 conv=notrunc status=none
	kill -USR1 "$zpid"
	wait "$zpid"
	st=$?
	[ "$st" = 1 ] && grep -q "was stopped: .*damaged" "$tmp/err" && pass ||
		fail "damaged writeback file: exit $st (want 1): $(head -2 "$tmp/err")"
else
	fail "damaged writeback file: no writeback file open in $cpid"
	kill "$zpid"
fi

# Exit status and signals pass through.
"$zbud" run --limit 8M -- sh -c 'exit 7'
[ $? = 7 ] && pass || fail "exit status 7 not passed through"
"$zbud" run --limit 8M -- sh -c 'kill -TERM $$'
[ $? = 143 ] && pass || fail "death by SIGTERM not passed through"

# Ctrl-C: the terminal signals the whole group; nothing stopped or left.
# (setsid -f in the foreground: a background job of a script ignores SIGINT,
# and zbud hands its dispositions on, as nohup needs.)
setsid -f "$zbud" run --limit 8M --writeback "$tmp/cc" -- "$check" sleep 32 >"$tmp/ccout" 2>&1
for _ in $(seq 200); do grep -q ready "$tmp/ccout" 2>/dev/null && break; sleep 0.1; done
zpid=$(pgrep -f "writeback $tmp/cc " | head -1)
pids="$pids $zpid"
pgid=$(ps -o pgid= -p "$zpid" | tr -d ' ')
kill -INT -- -"$pgid"
for _ in $(seq 100); do pgrep -g "$pgid" >/dev/null || break; sleep 0.1; done
left=$(pgrep -g "$pgid" | wc -l)
stopped=$(ps -o stat= -g "$pgid" 2>/dev/null | grep -c T)
[ "$left" = 0 ] && [ "$stopped" = 0 ] && ! ls "$tmp"/cc.* >/dev/null 2>&1 && pass ||
	fail "Ctrl-C: $left processes left ($stopped stopped), files: $(ls "$tmp" | grep '^cc\.' | head -2)"
# kill of zbud: passed on to the program
"$zbud" run --limit 8M -- "$check" sleep 16 >"$tmp/k.out" 2>&1 &
zpid=$!
pids="$pids $zpid"
for _ in $(seq 100); do grep -q ready "$tmp/k.out" 2>/dev/null && break; sleep 0.1; done
cpid=$(pgrep -P "$zpid" | head -1)
kill -TERM "$zpid"
wait "$zpid"
st=$?
[ "$st" = 143 ] && ! kill -0 "$cpid" 2>/dev/null && pass || fail "kill: exit $st (want 143), child ${cpid} left"

# Figures: --json on stdout, --stats-every while it runs, zswap's names.
"$zbud" run --limit 8M --json -- "$check" threads 16 >"$tmp/j" 2>/dev/null
for k in faults evictions zswpin zswpout written_back_pages stored_pages pool_total_size same_filled_pages reject_compress_poor \
	fault_in_median_ns fault_in_p99_ns rss_anon_peak_bytes; do
	[ -n "$(field "$tmp/j" $k)" ] || fail "--json: no $k"
done
pass
"$zbud" run --limit 8M --stats "$tmp/every" --stats-every 0.2 -- "$check" threads 32 >/dev/null 2>&1
[ "$(wc -l <"$tmp/every")" -ge 2 ] && pass || fail "--stats-every: $(wc -l <"$tmp/every") lines"

# A statically linked program runs unmanaged, with a note.
if [ -x /sbin/ldconfig ] && ! "$py" -c 'import sys; sys.exit(b"PT_INTERP" in open("/sbin/ldconfig","rb").read())' 2>/dev/null; then
	"$zbud" run --limit 8M -- /sbin/ldconfig --version >/dev/null 2>"$tmp/err"
	st=$?
	[ "$st" = 0 ] && grep -q "statically linked: it runs unmanaged" "$tmp/err" && pass ||
		fail "static: exit $st: $(cat "$tmp/err")"
fi

# Bad input: one line, status 2 (127: no such command).
bad() {
	local want=$1
	shift
	"$zbud" run "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	local st=$?
	[ "$st" = "$want" ] && [ "$(wc -l <"$tmp/err")" = 1 ] && [ ! -s "$tmp/out" ] && pass ||
		fail "zbud run $*: exit $st (want $want): $(head -2 "$tmp/err")"
}
bad 2 -- true
bad 2 --limit
bad 2 --limit 0 -- true
bad 2 --limit 12Q -- true
bad 2 --limit -5M -- true
bad 2 --limit 99999999999T -- true
bad 2 --limit 8M
bad 2 --limit 8M --bogus -- true
bad 2 --limit 8M --compressor zstd -- true
bad 2 --limit 8M --compressor nope -- true
bad 2 --limit 8M --zpool nope -- true
bad 2 --limit 8M --stats-every 0 -- true
bad 2 --limit 8M --stats-every x -- true
bad 2 --limit 8M --writeback /nonexistent/dir/wb -- true
bad 2 --limit 8M --writeback "$tmp/" -- true
bad 1 --limit 8M --stats /nonexistent/dir/s -- true
# --stats on a FIFO nothing reads: refused at once (fopen() once waited
# for a reader forever); on a link: refused, the file it names untouched.
mkfifo "$tmp/stats.fifo"
echo keep >"$tmp/kept"
ln -s "$tmp/kept" "$tmp/stats.link"
timeout 20 "$zbud" run --limit 8M --stats "$tmp/stats.fifo" -- true </dev/null >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] && grep -qx "zbud run: --stats: '$tmp/stats.fifo' is a FIFO that nothing reads" "$tmp/err" &&
	pass || fail "--stats on a FIFO nothing reads: $(head -2 "$tmp/err")"
bad 1 --limit 8M --stats "$tmp/stats.link" -- true
[ "$(cat "$tmp/kept")" = keep ] && pass || fail "--stats followed a link"
bad 127 --limit 8M -- /nonexistent/program

finish run
