/*
 * cmd_run.c - `zbud run`: zswap for one program, in userspace (docs/run.md)
 *
 * Starts the program with the pager in it, waits for it while passing on
 * the signals meant for it, prints the figures it was asked for, and ends
 * as the program ended: its exit status, or the signal that killed it.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "run_launch.h"
#include "zpool.h"
#include "zswap.h"

#ifndef ZBUD_RUN_LIB_INSTALLED
#define ZBUD_RUN_LIB_INSTALLED "/usr/local/lib/zbud/" RUN_LIB_NAME
#endif
#define MIN_LIMIT (256ull << 10)
#define MAX_SIZE (1ull << 50)
#define MAX_EVERY_S 86400.0

struct args {
	struct run_config cfg;
	bool json, limit_given;
	const char *stats_path;
	double every;                   /* seconds; 0: only at the end */
	char **cmd;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: zbud run --limit SIZE [OPTION...] -- CMD [ARG...]\n"
		"\n"
		"Run CMD so that its anonymous memory beyond SIZE (each process) lives\n"
		"compressed in a zswap store inside it and comes back when touched: zswap\n"
		"for one program, without root, swap or a kernel setting (docs/run.md).\n"
		"\n"
		"  --limit SIZE          resident anonymous memory of each process (64M, 1.5G)\n"
		"  --pool-limit SIZE     the compressed pool's own limit (default: none)\n"
		"  --compressor NAME     lz4 (default), lz4hc (less memory, slower evictions) or lzo\n"
		"  --zpool NAME          zsmalloc (default), zbud, z3fold or zblock\n"
		"  --writeback FILE      the coldest compressed pages go to FILE.PID (unlinked\n"
		"                        at once: nothing is left behind)\n"
		"  --json                the figures as JSON on stdout when CMD ends\n"
		"  --stats FILE          the figures as JSON lines in FILE (at the end, and\n"
		"                        every --stats-every)\n"
		"  --stats-every SECS    figures while CMD runs (to stderr without --stats)\n"
		"  --dev-userfaultfd     take the userfaultfd from /dev/userfaultfd\n"
		"  --verbose             say what each process manages\n"
		"\n"
		"Exit status: CMD's (or zbud's own 1, 2 for bad usage, 127 when CMD is not found).\n"
		"\n"
		"Examples:\n"
		"  zbud run --limit 64M -- python3 build_index.py\n"
		"  zbud run --limit 1G --pool-limit 256M --writeback /var/tmp/job --json -- ./job\n"
		"  zbud run --limit 512M --stats-every 5 -- make -j2\n");
}

/* One line for bad input, and its status. */
static int __attribute__((format(printf, 1, 2))) bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("zbud run: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int size_opt(const char *opt, const char *arg, uint64_t min, uint64_t *v)
{
	char why[160];

	if (run_parse_size(arg, opt, min, MAX_SIZE, v, why, sizeof(why)))
		return bad("%s", why);
	return 0;
}

static int name_opt(const char *opt, const char *arg, const char **out)
{
	bool known = false;

	if (!strcmp(opt, "--compressor")) {
		if (!strcmp(arg, "zstd") || !strcmp(arg, "deflate"))
			return bad("--compressor %s: its library allocates from the program's heap, "
				   "which the pager manages; use lz4, lz4hc or lzo", arg);
		for (unsigned i = 0; zswap_compressor_name(i); i++)
			known |= !strcmp(arg, zswap_compressor_name(i));
	} else {
		known = zpool_has_pool(arg);
	}
	if (!known)
		return bad(!strcmp(opt, "--zpool") ? "unknown zpool '%s' (zsmalloc, zbud, z3fold, zblock)"
						   : "unknown compressor '%s' (lz4, lz4hc, lzo)", arg);
	*out = arg;
	return 0;
}

static int every_opt(const char *arg, double *v)
{
	char *end;

	*v = strtod(arg, &end);
	if (!*arg || *end || !(*v >= 0.1) || *v > MAX_EVERY_S)
		return bad("bad --stats-every value '%s' (seconds, from 0.1 to 86400)", arg);
	return 0;
}

static int option(int argc, char **argv, int *i, struct args *a)
{
	const char *opt = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;
	static const char *const valued[] = { "--limit", "--pool-limit", "--compressor", "--zpool",
					      "--writeback", "--stats", "--stats-every" };

	for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++)
		if (!strcmp(opt, valued[k]) && !val)
			return bad("%s needs a value", opt);
	if (!strcmp(opt, "--limit"))
		return (*i)++, a->limit_given = true, size_opt(opt, val, MIN_LIMIT, &a->cfg.limit_bytes);
	if (!strcmp(opt, "--pool-limit"))
		return (*i)++, size_opt(opt, val, 4096, &a->cfg.pool_limit_bytes);
	if (!strcmp(opt, "--compressor") || !strcmp(opt, "--zpool"))
		return (*i)++, name_opt(opt, val, opt[2] == 'c' ? &a->cfg.compressor : &a->cfg.zpool);
	if (!strcmp(opt, "--writeback"))
		return (*i)++, a->cfg.writeback = val, 0;
	if (!strcmp(opt, "--stats"))
		return (*i)++, a->stats_path = val, 0;
	if (!strcmp(opt, "--stats-every"))
		return (*i)++, every_opt(val, &a->every);
	if (!strcmp(opt, "--json"))
		return a->json = true, 0;
	if (!strcmp(opt, "--dev-userfaultfd"))
		return a->cfg.flags |= RUN_FLAG_DEV_UFFD, 0;
	if (!strcmp(opt, "--verbose"))
		return a->cfg.flags |= RUN_FLAG_VERBOSE, 0;
	if (!strcmp(opt, "--no-syscall-check"))    /* tests: the unsafe way, to show why not */
		return a->cfg.flags |= RUN_FLAG_NO_SUD, 0;
	return bad("unknown option '%s' (try 'zbud run --help')", opt);
}

static int parse(int argc, char **argv, struct args *a)
{
	int i, rc;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return -1;
		}
		if ((rc = option(argc, argv, &i, a)))
			return rc;
	}
	if (i >= argc - 1)
		return bad("%s", "which command? (zbud run --limit SIZE -- CMD [ARG...])");
	if (!a->limit_given)
		return bad("%s", "--limit SIZE is needed (the resident memory each process may keep)");
	a->cmd = argv + i + 1;
	return 0;
}

/* ---- figures ---- */

#define PAGER(f, name) { name, offsetof(struct run_proc_stats, f) }
#define STORE(f) { #f, offsetof(struct run_proc_stats, store) + offsetof(struct zswap_stats, f) }

/* The figures, as JSON names them: the pager's, then the store's under zswap's names. */
static const struct {
	const char *name;
	size_t off;
} fields[] = {
	PAGER(limit_bytes, "limit_bytes"), PAGER(managed_bytes, "managed_bytes"),
	PAGER(resident_pages, "resident_pages"), PAGER(resident_peak, "resident_peak_pages"),
	PAGER(rss_anon_peak, "rss_anon_peak_bytes"), PAGER(own_bytes, "pager_own_bytes"),
	PAGER(faults, "faults"), PAGER(evictions, "evictions"), PAGER(zero_fills, "zero_fills"),
	PAGER(kept_resident, "kept_resident"), PAGER(syscalls, "syscalls_checked"),
	PAGER(prefaults, "syscall_prefaults"), PAGER(events, "events"),
	PAGER(moves_recounted, "moves_recounted"),
	STORE(pool_limit_hit), STORE(reject_reclaim_fail), STORE(reject_alloc_fail),
	STORE(reject_kmemcache_fail), STORE(reject_compress_fail), STORE(reject_compress_poor),
	STORE(decompress_fail), STORE(written_back_pages), STORE(duplicate_entry),
	STORE(pool_total_size), STORE(stored_pages), STORE(same_filled_pages),
	STORE(stored_incompressible_pages), STORE(zswpout), STORE(zswpin), STORE(orig_data_size),
	STORE(compr_data_size), STORE(mem_used_total), STORE(mem_used_max), STORE(pages_compacted),
	STORE(zbud_backing_pages),
	STORE(zbud_mem_used_total), STORE(zbud_mem_used_max), STORE(zbud_load_errors),
};

static json_t *figures(const struct run_proc_stats *s)
{
	json_t *o = json_object();

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		json_object_set_new(o, fields[i].name,
				    json_integer((json_int_t)*(const uint64_t *)((const char *)s + fields[i].off)));
	json_object_set_new(o, "fault_in_median_ns", json_integer((json_int_t)run_quantile(s->hist, 0.5)));
	json_object_set_new(o, "fault_in_p99_ns", json_integer((json_int_t)run_quantile(s->hist, 0.99)));
	json_object_set_new(o, "fault_seconds", json_real((double)s->fault_ns / 1e9));
	json_object_set_new(o, "pager_seconds", json_real((double)s->pager_ns / 1e9));
	json_object_set_new(o, "throttle_seconds", json_real((double)s->throttle_ns / 1e9));
	return o;
}

/* zbud's own peak RSS: part of what zbud and the program cost together. */
static json_int_t zbud_rss_peak(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? 0 : (json_int_t)ru.ru_maxrss * 1024;
}

/*
 * zbud's anonymous memory now (its own, never shared): the rest of its RSS
 * is the pages of its binary and libraries, which the program maps too
 * when it is linked against the same ones (zbud bench run's workload is
 * zbud itself), and is then counted once, in the program's.
 */
static json_int_t zbud_rss_anon(void)
{
	/* statm: size, resident, shared (file and shmem) in pages; the rest of
	 * the resident is RssAnon */
	FILE *f = fopen("/proc/self/statm", "r");
	long long size, resident = 0, shared = 0;

	if (f && fscanf(f, "%lld %lld %lld", &size, &resident, &shared) != 3)
		resident = shared = 0;
	if (f)
		fclose(f);
	return (json_int_t)(resident - shared) * sysconf(_SC_PAGESIZE);
}

static const char *const state_name[] = { "free", "running", "exited", "unmanaged", "failed" };

static json_t *snapshot(const struct run_child *c, const struct args *a, double elapsed,
			const int *status)
{
	struct run_proc_stats sum, p;
	json_t *o, *procs = json_array(), *cmd = json_array();
	unsigned n = run_total(c, &sum);

	o = figures(&sum);
	for (char **s = a->cmd; *s; s++)
		json_array_append_new(cmd, json_string(*s));
	json_object_set_new(o, "command", cmd);
	json_object_set_new(o, "elapsed_seconds", json_real(elapsed));
	json_object_set_new(o, "zbud_rss_peak_bytes", json_integer(zbud_rss_peak()));
	json_object_set_new(o, "zbud_rss_anon_bytes", json_integer(zbud_rss_anon()));
	json_object_set_new(o, "processes", json_integer(n));
	if (status && WIFEXITED(*status))
		json_object_set_new(o, "exit_status", json_integer(WEXITSTATUS(*status)));
	else if (status && WIFSIGNALED(*status))
		json_object_set_new(o, "exit_signal", json_string(strsignal(WTERMSIG(*status))));
	for (unsigned i = 0; i < RUN_MAX_PROCS; i++) {
		json_t *one;
		int st;

		if (!run_read(c, i, &p))
			continue;
		st = atomic_load(&p.state);
		one = figures(&p);
		json_object_set_new(one, "pid", json_integer(atomic_load(&p.pid)));
		json_object_set_new(one, "state", json_string(st >= 0 && st <= RUN_PROC_FAILED ?
							     state_name[st] : "?"));
		if (p.note[0])
			json_object_set_new(one, "note", json_string(p.note));
		json_array_append_new(procs, one);
	}
	json_object_set_new(o, "per_process", procs);
	return o;
}

static void line(const struct run_child *c, double elapsed)
{
	struct run_proc_stats s;

	run_total(c, &s);
	fprintf(stderr,
		"zbud run: %.1fs: resident %.1f MiB (peak %.1f), pool %.1f MiB for %llu pages, "
		"faults %llu, evictions %llu, fault-in median %.1f us, p99 %.1f us\n",
		elapsed, s.resident_pages * 4096.0 / 1048576, s.resident_peak * 4096.0 / 1048576,
		s.store.pool_total_size / 1048576.0, (unsigned long long)s.store.stored_pages,
		(unsigned long long)s.faults, (unsigned long long)s.evictions,
		run_quantile(s.hist, 0.5) / 1e3, run_quantile(s.hist, 0.99) / 1e3);
}

static int write_stats(FILE *f, json_t *o)
{
	int rc = json_dumpf(o, f, JSON_COMPACT) || fputc('\n', f) == EOF || fflush(f);

	json_decref(o);
	return rc;
}

/* ---- running ---- */

static volatile sig_atomic_t forward_pid;

static void pass_on(int sig)
{
	if (forward_pid > 0)
		kill((pid_t)forward_pid, sig);
}

/* Ctrl-C and Ctrl-\ reach the program from the terminal; TERM and HUP zbud passes on. */
static void signals_for_run(pid_t pid)
{
	struct sigaction sa = { .sa_handler = pass_on };

	forward_pid = pid;
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int wait_reporting(struct run_child *c, const struct args *a, FILE *stats, int *status)
{
	struct timespec t0;
	double next = a->every;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		double now = seconds_since(&t0);
		int timeout = a->every ? (int)((next > now ? next - now : 0) * 1000) : -1;

		r = run_wait(c, timeout, status);
		if (r)
			return r;
		now = seconds_since(&t0);
		if (a->every && now >= next) {
			if (stats)
				write_stats(stats, snapshot(c, a, now, NULL));
			else
				line(c, now);
			next += a->every;
		}
	}
}

/* Notes the processes left: why one ran unmanaged, or why it was stopped. */
static bool notes(const struct run_child *c)
{
	struct run_proc_stats p;
	bool failed = false;

	for (unsigned i = 0; i < RUN_MAX_PROCS; i++) {
		int st;

		if (!run_read(c, i, &p))
			continue;
		st = atomic_load(&p.state);
		if (st == RUN_PROC_FAILED) {
			fprintf(stderr, "zbud run: process %d was stopped: %s\n", atomic_load(&p.pid), p.note);
			failed = true;
		} else if (st == RUN_PROC_UNMANAGED && p.note[0]) {
			fprintf(stderr, "zbud run: note: process %d ran unmanaged: %s\n",
				atomic_load(&p.pid), p.note);
		}
	}
	return failed;
}

/* The writeback files' directory must take new files: say so now, not in each process. */
static int check_writeback(const char *prefix)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(prefix, '/');

	if (!*prefix || (slash && !slash[1]))
		return bad("bad --writeback '%s' (a file name prefix, not a directory)", prefix);
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - prefix) + 1 : 1, slash ? prefix : ".");
	if (access(dir, W_OK | X_OK)) {
		fprintf(stderr, "zbud run: --writeback %s: %s: %s\n", prefix, dir, strerror(errno));
		return 2;
	}
	return 0;
}

static bool decide_managed(const struct args *a)
{
	switch (run_classify(a->cmd[0])) {
	case RUN_STATIC:
		fprintf(stderr, "zbud run: note: %s is statically linked: it runs unmanaged (the pager "
			"is loaded by the dynamic linker)\n", a->cmd[0]);
		return false;
	case RUN_SETID:
		fprintf(stderr, "zbud run: note: %s is set-user-ID or set-group-ID: it runs unmanaged "
			"(the dynamic linker ignores LD_PRELOAD for it)\n", a->cmd[0]);
		return false;
	default:
		return true;
	}
}

/* End as the program ended: its status, or death by its signal. */
static int pass_status(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		fflush(NULL);
		signal(sig, SIG_DFL);
		raise(sig);
		return 128 + sig;       /* a signal that does not kill zbud */
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int finish(struct run_child *c, const struct args *a, FILE *stats, int status, double t)
{
	bool failed = notes(c);
	int rc = 0;

	if (stats && write_stats(stats, snapshot(c, a, t, &status))) {
		fprintf(stderr, "zbud run: %s: %s\n", a->stats_path, strerror(errno));
		rc = 1;
	}
	if (a->json) {
		write_stats(stdout, snapshot(c, a, t, &status));
		if (cli_close_stdout("zbud run", 0))
			rc = 1;
	}
	if (stats && fclose(stats) && !rc) {
		fprintf(stderr, "zbud run: %s: %s\n", a->stats_path, strerror(errno));
		rc = 1;
	}
	run_end(c);
	if (failed)
		return 1;
	return rc ? rc : pass_status(status);
}

int cmd_run(int argc, char **argv)
{
	struct run_child c;
	struct args a;
	char lib[PATH_MAX], why[PATH_MAX + 128];
	struct timespec t0;
	FILE *stats = NULL;
	int rc = parse(argc, argv, &a), status = 0;
	bool managed;

	if (rc)
		return rc < 0 ? 0 : rc;
	if (run_find_lib(lib, sizeof(lib), ZBUD_RUN_LIB_INSTALLED, why, sizeof(why))) {
		fprintf(stderr, "zbud run: %s\n", why);
		return 1;
	}
	a.cfg.lib = lib;
	if (a.cfg.writeback && (rc = check_writeback(a.cfg.writeback)))
		return rc;
	if (a.stats_path && !(stats = cli_stream_open(a.stats_path, why, sizeof(why)))) {
		fprintf(stderr, "zbud run: --stats: %s\n", why);
		return 1;
	}
	managed = decide_managed(&a);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = run_start(&c, &a.cfg, a.cmd, managed, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "zbud run: %s\n", why);
		if (stats)
			fclose(stats);
		run_end(&c);
		return rc == -ENOENT || rc == -EACCES ? 127 : 1;
	}
	if (!c.page)
		fprintf(stderr, "zbud run: note: no figures (RLIMIT_FSIZE is too small for the "
			"stats page)\n");
	signals_for_run(c.pid);
	rc = wait_reporting(&c, &a, stats, &status);
	if (rc < 0) {
		fprintf(stderr, "zbud run: waiting for %s: %s\n", a.cmd[0], strerror(-rc));
		return 1;
	}
	return finish(&c, &a, stats, status, seconds_since(&t0));
}
