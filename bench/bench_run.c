/*
 * bench_run.c - `zbud bench run`: zbud run on the workload,
 * against the program alone and beside the floors of a fault-in
 *
 * The workload (bench_run_workload.c) runs alone, then under `zbud run
 * --limit`, --repeat times; the floors (bench_run_floors.c) are measured
 * in the same run.  Figures are ranges over the repeats.  Goals: memory of
 * zbud and the program together at most 0.7 x the program alone; a median
 * fault-in under 10 us.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_run.h"
#include "cli.h"

#define PAGE 4096
#define MAX_REPEAT 20
#define MAX_ACCESSES 100000000ul
#define MAX_FAULTS 10000000ul
#define GOAL_MEMORY 0.7
#define GOAL_MEDIAN_US 10.0

struct bopts {
	unsigned long mib, hot, share, accesses, repeat, faults;
	const char *limit, *compressor, *zpool;
};

struct one_run {
	double fill_us, access_us, slow_median_us, slow_p99_us;
	unsigned long hwm_kb, slow;
	/* under zbud run */
	double zbud_rss_kb, zbud_anon_kb, handler_median_us, handler_p99_us, throttle_s;
	unsigned long long zswpin, zswpout, pool, orig, compr;
};

struct range {
	double lo, hi;
};

static void widen(struct range *r, double v, int first)
{
	if (first || v < r->lo)
		r->lo = v;
	if (first || v > r->hi)
		r->hi = v;
}

/* Run argv (this zbud, again), its descriptor @fd (1: stdout, 2: stderr)
 * into @out; 0 when it exited 0. */
static int capture(char *const argv[], int fd, char *out, size_t len)
{
	int p[2], st;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], fd);
		close(p[0]);
		close(p[1]);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(p[1]);
	while (n + 1 < len && (r = read(p[0], out + n, len - n - 1)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(p[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int parse_workload(const char *out, struct one_run *r)
{
	const char *l = strstr(out, "workload ");

	return l && sscanf(l, "workload fill_us=%lf access_us=%lf hwm_kb=%lu slow=%lu "
			   "slow_median_us=%lf slow_p99_us=%lf", &r->fill_us, &r->access_us,
			   &r->hwm_kb, &r->slow, &r->slow_median_us, &r->slow_p99_us) == 6 ? 0 : -1;
}

static unsigned long long jnum(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (unsigned long long)json_integer_value(v) : 0;
}

static int parse_zbud(const char *out, struct one_run *r)
{
	const char *j = strrchr(out, '{') ? strstr(out, "\n{") : NULL;
	json_t *o = j ? json_loads(j + 1, JSON_DISABLE_EOF_CHECK, NULL) : NULL;

	if (!o)
		return -1;
	r->zswpin = jnum(o, "faults");
	r->zswpout = jnum(o, "evictions");
	r->pool = jnum(o, "pool_total_size");
	r->orig = jnum(o, "orig_data_size");
	r->compr = jnum(o, "compr_data_size");
	r->zbud_rss_kb = (double)jnum(o, "zbud_rss_peak_bytes") / 1024;
	r->zbud_anon_kb = (double)jnum(o, "zbud_rss_anon_bytes") / 1024;
	r->handler_median_us = (double)jnum(o, "fault_in_median_ns") / 1e3;
	r->handler_p99_us = (double)jnum(o, "fault_in_p99_ns") / 1e3;
	r->throttle_s = json_number_value(json_object_get(o, "throttle_seconds"));
	json_decref(o);
	return 0;
}

static int one(const struct bopts *o, unsigned long seed, struct one_run *alone, struct one_run *zb)
{
	static char out[1 << 16];
	char mib[24], hot[24], share[24], acc[24], sd[24];
	char *w[] = { "zbud", "bench", "run", "--workload", mib, hot, share, acc, sd, NULL };
	char *z[32] = { "zbud", "run", "--limit", (char *)o->limit, "--json", "--compressor",
			(char *)o->compressor, "--zpool", (char *)o->zpool, "--", "/proc/self/exe" };

	snprintf(mib, sizeof(mib), "%lu", o->mib);
	snprintf(hot, sizeof(hot), "%lu", o->hot);
	snprintf(share, sizeof(share), "%lu", o->share);
	snprintf(acc, sizeof(acc), "%lu", o->accesses);
	snprintf(sd, sizeof(sd), "%lu", seed);
	if (capture(w, 1, out, sizeof(out)) || parse_workload(out, alone))
		return fprintf(stderr, "zbud bench run: the workload failed alone\n"), -1;
	for (int i = 1; w[i]; i++)       /* the program is zbud again, as argv[0] */
		z[10 + i] = w[i];
	if (capture(z, 1, out, sizeof(out)) || parse_workload(out, zb) || parse_zbud(out, zb))
		return fprintf(stderr, "zbud bench run: the workload failed under zbud run\n"), -1;
	return 0;
}

static void floor_line(const char *what, const struct bench_floor *f)
{
	printf("  %-52s %8.2f %8.2f\n", what, f->median_us, f->p99_us);
}

static void report_floors(const struct bench_floors *fl)
{
	printf("floors, this run (us; median, p99):\n");
	floor_line("fault served by the faulting thread (SIGBUS mode)", &fl->sigbus);
	floor_line("fault served by a handler thread, other CPU", &fl->thread_other);
	floor_line("fault served by a handler thread, same CPU", &fl->thread_same);
	floor_line("LZ4 decompress of a workload page", &fl->decompress);
	floor_line("system call (getppid)", &fl->syscall);
	floor_line("system call trapped by syscall user dispatch", &fl->syscall_trapped);
	floor_line("UFFDIO_MOVE out, per page, one at a time", &fl->move1);
	floor_line("UFFDIO_MOVE out, per page, 16 at a time", &fl->move16);
	floor_line("UFFDIO_COPY of 4 KiB into a missing page, no fault", &fl->copy);
	printf("  workload pages compress %.2f:1 under LZ4\n", fl->lz4_ratio);
}

static void report(const struct bopts *o, const struct one_run *a, const struct one_run *z, unsigned n,
		   const struct bench_floors *fl)
{
	struct range t_alone = { 0 }, t_zbud = { 0 }, slow = { 0 }, mem = { 0 }, med = { 0 }, p99 = { 0 },
		     smed = { 0 }, sp99 = { 0 }, in = { 0 }, outp = { 0 }, pool = { 0 }, thr = { 0 },
		     mem_all = { 0 };

	for (unsigned i = 0; i < n; i++) {
		double ta = a[i].fill_us + a[i].access_us, tz = z[i].fill_us + z[i].access_us;

		widen(&t_alone, ta / 1e6, !i);
		widen(&t_zbud, tz / 1e6, !i);
		widen(&slow, tz / ta, !i);
		/* zbud's file pages are the workload's own (it is zbud): counted once */
		widen(&mem, ((double)z[i].hwm_kb + z[i].zbud_anon_kb) / (double)a[i].hwm_kb, !i);
		widen(&mem_all, ((double)z[i].hwm_kb + z[i].zbud_rss_kb) / (double)a[i].hwm_kb, !i);
		widen(&med, z[i].handler_median_us, !i);
		widen(&p99, z[i].handler_p99_us, !i);
		widen(&smed, z[i].slow_median_us, !i);
		widen(&sp99, z[i].slow_p99_us, !i);
		widen(&in, (double)z[i].zswpin, !i);
		widen(&outp, (double)z[i].zswpout, !i);
		widen(&pool, (double)z[i].pool / 1048576, !i);
		widen(&thr, z[i].throttle_s, !i);
	}
	printf("the workload: %lu MiB, %lu%% of pages get %lu%% of %lu accesses; --limit %s, %s, %s; %u runs\n",
	       o->mib, o->hot / 10, o->share / 10, o->accesses, o->limit, o->compressor, o->zpool, n);
	printf("  time alone                     %8.2f - %-8.2f s\n", t_alone.lo, t_alone.hi);
	printf("  time under zbud run            %8.2f - %-8.2f s\n", t_zbud.lo, t_zbud.hi);
	printf("  slowdown                       %8.2f - %-8.2f x\n", slow.lo, slow.hi);
	printf("  memory, zbud+program / alone   %8.3f - %-8.3f x   (goal <= %.1f: %s)\n", mem.lo, mem.hi,
	       GOAL_MEMORY, mem.hi <= GOAL_MEMORY ? "met" : "NOT met");
	printf("    alone %.1f MiB; under zbud run %.1f MiB + zbud %.1f MiB anonymous; pool %.1f - %.1f MiB\n",
	       a[0].hwm_kb / 1024.0, z[0].hwm_kb / 1024.0, z[0].zbud_anon_kb / 1024, pool.lo, pool.hi);
	printf("    with zbud's whole RSS (%.1f MiB, its libraries counted twice) %.3f - %.3f x\n",
	       z[0].zbud_rss_kb / 1024, mem_all.lo, mem_all.hi);
	printf("  fault-in in the handler (us)   median %.2f - %.2f, p99 %.2f - %.2f   (goal median < %.0f: %s)\n",
	       med.lo, med.hi, p99.lo, p99.hi, GOAL_MEDIAN_US, med.hi < GOAL_MEDIAN_US ? "met" : "NOT met");
	printf("    the handler's floor, this run: UFFDIO_COPY %.2f + LZ4 decompress %.2f = %.2f us\n",
	       fl->copy.median_us, fl->decompress.median_us, fl->copy.median_us + fl->decompress.median_us);
	printf("  fault-in the program saw (us)  median %.2f - %.2f, p99 %.2f - %.2f\n", smed.lo, smed.hi,
	       sp99.lo, sp99.hi);
	printf("  waiting for the pager at the limit (throttled)  %.2f - %.2f s\n", thr.lo, thr.hi);
	printf("  faults %.0f - %.0f, evictions %.0f - %.0f; store ratio %.2f:1\n", in.lo, in.hi, outp.lo,
	       outp.hi, z[0].compr ? (double)z[0].orig / (double)z[0].compr : 0.0);
}

/* The largest value of each numeric option: the workload runs alone too, so
 * it fits this machine's memory. */
static unsigned long max_of(const struct bopts *o, const unsigned long *num)
{
	unsigned long ram_mib = (unsigned long)(sysconf(_SC_PHYS_PAGES) / (1048576 / sysconf(_SC_PAGESIZE)));

	return num == &o->mib ? ram_mib : num == &o->hot || num == &o->share ? 1000
	       : num == &o->repeat ? MAX_REPEAT : num == &o->accesses ? MAX_ACCESSES : MAX_FAULTS;
}

static int parse(int argc, char **argv, struct bopts *o)
{
	*o = (struct bopts){ 256, 100, 900, 4000000, 3, 16384, "64M", "lz4", "zsmalloc" };
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long *num = !strcmp(opt, "--mib") ? &o->mib : !strcmp(opt, "--hot") ? &o->hot
				   : !strcmp(opt, "--share") ? &o->share
				   : !strcmp(opt, "--accesses") ? &o->accesses
				   : !strcmp(opt, "--repeat") ? &o->repeat
				   : !strcmp(opt, "--faults") ? &o->faults : NULL;
		char *end;

		if (!strcmp(opt, "--help")) {
			printf("usage: zbud bench run [--mib N] [--limit SIZE] [--hot PERMILLE] "
			       "[--share PERMILLE] [--accesses N] [--repeat N] [--faults N] "
			       "[--compressor NAME] [--zpool NAME]\n"
			       "\n"
			       "The workload alone and under `zbud run`, beside the floors of a fault-in.\n"
			       "\n"
			       "Examples:\n"
			       "  zbud bench run\n"
			       "  zbud bench run --mib 256 --limit 64M --hot 100 --repeat 3\n");
			return -1;
		}
		if (!v)
			return fprintf(stderr, "zbud bench run: %s needs a value\n", opt), 2;
		i++;
		if (!strcmp(opt, "--limit") || !strcmp(opt, "--compressor") || !strcmp(opt, "--zpool")) {
			*(opt[2] == 'l' ? &o->limit : opt[2] == 'c' ? &o->compressor : &o->zpool) = v;
			continue;
		}
		if (!num)
			return fprintf(stderr, "zbud bench run: unknown option '%s'\n", opt), 2;
		errno = 0;
		*num = strtoul(v, &end, 10);
		/* strtoul() takes "-1" as ULONG_MAX: digits only */
		if (*v < '0' || *v > '9' || *end || errno || !*num || *num > max_of(o, num))
			return fprintf(stderr, "zbud bench run: %s '%s' is not a number from 1 to %lu\n",
				       opt, v, max_of(o, num)), 2;
	}
	return 0;
}

/*
 * The options `zbud run` takes (--limit, --compressor, --zpool), tried on
 * `true` before anything is measured: a bad one is said in zbud run's own
 * words, on one line, rather than after the workload ran alone.
 */
static int preflight(const struct bopts *o)
{
	char out[512], *nl;
	char *z[] = { "zbud", "run", "--limit", (char *)o->limit, "--compressor", (char *)o->compressor,
		      "--zpool", (char *)o->zpool, "--", "true", NULL };
	const char *why = out;

	if (!capture(z, 2, out, sizeof(out)))
		return 0;
	if ((nl = strchr(out, '\n')))
		*nl = '\0';
	if (!strncmp(why, "zbud run: ", 10))
		why += 10;
	fprintf(stderr, "zbud bench run: %s\n", *why ? why : "zbud run fails on `true`");
	return 2;
}

int bench_run(int argc, char **argv)
{
	struct one_run alone[MAX_REPEAT], zb[MAX_REPEAT];
	struct bench_floors fl;
	struct bopts o;
	char *pages;
	double load = 0;
	FILE *f;
	int rc;

	if (argc >= 2 && !strcmp(argv[1], "--workload"))
		return bench_run_workload(argc, argv);
	if ((rc = parse(argc, argv, &o)))
		return rc < 0 ? 0 : rc;
	if ((rc = preflight(&o)))
		return rc;
	if ((f = fopen("/proc/loadavg", "r")) && fscanf(f, "%lf", &load) == 1 && load > 1.5)
		printf("note: load average %.2f: figures are noisy (measure when it is under 1.5)\n", load);
	if (f)
		fclose(f);
	pages = malloc(4096 * (size_t)PAGE);
	for (uint64_t i = 0; pages && i < 4096; i++)
		bench_text_page(pages + i * PAGE, i);
	if (!pages || bench_floors(o.faults, pages, 4096, &fl))
		fprintf(stderr, "zbud bench run: some floors could not be measured\n");
	free(pages);
	report_floors(&fl);
	for (unsigned i = 0; i < o.repeat; i++)
		if (one(&o, i + 1, &alone[i], &zb[i]))
			return 1;
	report(&o, alone, zb, (unsigned)o.repeat, &fl);
	return 0;
}
