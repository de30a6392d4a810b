/*
 * cmd_estimate.c - `zbud estimate`: what zswap (or zram) would save on a
 * real process, for each compressor and allocator (docs/estimate.md)
 *
 * One target: a running process (--pid), a command started for it (-- CMD),
 * an ELF core file (--core), a file's bytes (--raw), or with none the
 * built-in Python heap.  A command is read when it stops itself with
 * SIGSTOP, at its exit, or after --delay; it then runs on, and zbud waits
 * for its end after printing (zbud's exit status stays its own).
 */
#define ZSWAP_STATIC_LINKING_ONLY
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "estimate_cli.h"
#include "estimate_prom.h"
#include "text.h"
#include "builtin.h"
#include "child.h"
#include "zpool.h"

#define MAX_THREADS 256
#define MAX_DELAY_S 1e6
#define BAR_WIDTH 40

struct args {
	struct est_config cfg;
	struct procmem_select sel;
	const char *core, *raw, *plot, *save_sizes;
	long pid;
	char **cmd;                     /* after --, NULL-terminated */
	double delay;                   /* seconds; 0: none */
	bool json, prometheus;
};

static void usage(FILE *f)
{
	char codecs[160], zpools[160];

	fprintf(f,
		"usage: zbud estimate [--pid PID | --core FILE | --raw FILE] [OPTION...]\n"
		"       zbud estimate [OPTION...] -- CMD [ARG...]\n"
		"\n"
		"What zswap or zram would save on a program's memory, for each compressor and\n"
		"allocator: same-filled and incompressible pages, the pool each allocator would\n"
		"fill, the effective ratio and the memory saved (docs/estimate.md).\n"
		"\n"
		"Targets (with none: a Python heap of ~64 MiB, built in, needs python3):\n"
		"  --pid PID          a running process, read as it runs; the kernel's ptrace\n"
		"                     access rules must allow it\n"
		"  -- CMD [ARG...]    run CMD (no shell) and read it when it stops itself with\n"
		"                     SIGSTOP, at its exit, or after --delay, the first of them;\n"
		"                     it then runs on, and zbud waits for it to end\n"
		"  --core FILE        an ELF core file (64-bit): its PT_LOAD segments\n"
		"  --raw FILE         a file's bytes as 4 KiB pages\n"
		"\n"
		"Options:\n"
		"  --all              every page in memory, not only the anonymous private ones\n"
		"                     zswap is given\n"
		"  --mapping TEXT     processes: only mappings whose path contains TEXT\n"
		"  --delay SECONDS    -- CMD: read it after this long at the latest\n"
		"  --compressor LIST  NAME[:LEVEL],... (default: all of %s)\n"
		"  --zpool LIST       allocators (default: all of %s;\n"
		"                     ideal: the compressed bytes in whole pages)\n"
		"  --threads N        compressing threads (default: the CPUs online)\n"
		"  --sample FRACTION  measure a random sample of the pages, 0 < FRACTION <= 1,\n"
		"  --sample-pages N   or of N pages; figures are scaled to the whole, with 95%%\n"
		"                     intervals\n"
		"  --seed N           the sample's random seed (default 1)\n"
		"  --json             all figures as JSON\n"
		"  --prometheus       the figures in Prometheus's text exposition format\n"
		"  --plot FILE.png    the size histogram and the ratios, drawn\n"
		"  --save-sizes FILE  the first compressor's sizes, one a line (zbud inspect)\n",
		est_known(zswap_compressor_name, false, codecs, sizeof(codecs)),
		est_known(zpool_driver_name, true, zpools, sizeof(zpools)));
}

/* ---- options ---- */

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "zbud estimate: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 2;
}

static int number(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *v)
{
	const struct text_field f = { arg, strlen(arg) };
	char why[128];

	if (text_number(&f, opt, min, max, v, why, sizeof(why)))
		return bad("%s", why);
	return 0;
}

static int real(const char *opt, const char *arg, double max, double *v)
{
	char *end;

	*v = strtod(arg, &end);
	if (!*arg || *end || !(*v > 0) || *v > max) {
		fprintf(stderr, "zbud estimate: bad %s value '%s' (more than 0, at most %g)\n", opt,
			arg, max);
		return 2;
	}
	return 0;
}

static int list(char *arg, struct est_config *cfg, bool codecs)
{
	char why[256];
	const int n = codecs ? est_codecs_parse(arg, cfg->codec, EST_MAX_CODECS, why, sizeof(why))
			     : est_zpools_parse(arg, cfg->zpool, EST_MAX_ZPOOLS, true, why,
						sizeof(why));

	if (n < 0)
		return bad("%s", why);
	*(codecs ? &cfg->ncodecs : &cfg->nzpools) = n;
	return 0;
}

static void defaults(struct args *a)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(a, 0, sizeof(*a));
	a->cfg.ncodecs = est_codecs_default(a->cfg.codec, EST_MAX_CODECS);
	a->cfg.nzpools = est_zpools_default(a->cfg.zpool, EST_MAX_ZPOOLS, true);
	a->cfg.threads = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (unsigned int)cpus;
	a->cfg.seed = 1;
}

/* The options that take a value. */
static const char *const valued[] = {
	"--pid", "--core", "--raw", "--plot", "--save-sizes", "--mapping", "--delay",
	"--compressor", "--zpool", "--threads", "--sample", "--sample-pages", "--seed",
};

/* The option at argv[*i], and its value if it takes one; 0 or the exit status. */
static int option(int argc, char **argv, int *i, struct args *a)
{
	const char *opt = argv[*i];
	size_t k = 0;
	uint64_t v = 0;
	char *arg;
	int rc = 0;

	if (!strcmp(opt, "--prometheus"))
		return a->prometheus = true, 0;
	if (!strcmp(opt, "--all") || !strcmp(opt, "--json")) {
		*(opt[2] == 'a' ? &a->sel.all : &a->json) = true;
		return 0;
	}
	while (k < sizeof(valued) / sizeof(valued[0]) && strcmp(opt, valued[k]))
		k++;
	if (k == sizeof(valued) / sizeof(valued[0]))
		return bad("unknown option '%s' (try --help)", opt);
	if (++*i == argc)
		return bad("%s needs a value", opt);
	arg = argv[*i];
	if (!strcmp(opt, "--pid")) {
		rc = number(opt, arg, 1, INT32_MAX, &v);
		a->pid = (long)v;
	} else if (!strcmp(opt, "--core") || !strcmp(opt, "--raw")) {
		*(opt[2] == 'c' ? &a->core : &a->raw) = arg;
	} else if (!strcmp(opt, "--plot") || !strcmp(opt, "--save-sizes")) {
		*(opt[2] == 'p' ? &a->plot : &a->save_sizes) = arg;
	} else if (!strcmp(opt, "--mapping")) {
		a->sel.mapping = arg;
	} else if (!strcmp(opt, "--delay")) {
		rc = real(opt, arg, MAX_DELAY_S, &a->delay);
	} else if (!strcmp(opt, "--compressor") || !strcmp(opt, "--zpool")) {
		rc = list(arg, &a->cfg, opt[2] == 'c');
	} else if (!strcmp(opt, "--threads")) {
		rc = number(opt, arg, 1, MAX_THREADS, &v);
		a->cfg.threads = (unsigned int)v;
	} else if (!strcmp(opt, "--sample")) {
		rc = real(opt, arg, 1, &a->cfg.sample_fraction);
	} else if (!strcmp(opt, "--sample-pages")) {
		rc = number(opt, arg, 1, UINT64_MAX, &a->cfg.sample_pages);
	} else {
		rc = number(opt, arg, 0, UINT64_MAX, &a->cfg.seed);
	}
	return rc;
}

/* -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct args *a)
{
	int targets;

	defaults(a);
	for (int i = 1; i < argc; i++) {
		int rc;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--")) {
			if (i + 1 == argc)
				return bad("%s", "-- needs a command after it");
			a->cmd = &argv[i + 1];
			break;
		}
		rc = option(argc, argv, &i, a);
		if (rc)
			return rc;
	}
	targets = !!a->pid + !!a->core + !!a->raw + !!a->cmd;
	if (targets > 1)
		return bad("%s", "one target at most: --pid, --core, --raw or -- CMD");
	if (a->json && a->prometheus)
		return bad("%s", "--json or --prometheus, not both");
	if (a->cfg.sample_fraction > 0 && a->cfg.sample_pages)
		return bad("%s", "--sample or --sample-pages, not both");
	if (a->delay > 0 && !a->cmd)
		return bad("%s", "--delay is for a command started with -- CMD");
	if (a->sel.mapping && (a->core || a->raw))
		return bad("%s", "--mapping is for processes, not files");
#ifndef ZBUD_PLPLOT
	if (a->plot)
		return bad("%s", "--plot needs PLplot, and this zbud was built without it "
				 "(install libplplot-dev and rebuild)");
#endif
	return -1;
}

/* ---- running ---- */

static void progress(void *arg, const char *what, uint64_t done, uint64_t total)
{
	const int fill = total ? (int)((double)done / (double)total * BAR_WIDTH) : BAR_WIDTH;

	(void)arg;
	fprintf(stderr, "\rzbud estimate: %-5s [%.*s%*s] %3.0f%%", what, fill,
		"########################################", BAR_WIDTH - fill, "",
		total ? 100.0 * (double)done / (double)total : 100.0);
	if (done == total)
		fprintf(stderr, "\r\033[K");
	fflush(stderr);
}

/*
 * Start the command and hold it where it is read: its own SIGSTOP, its
 * exit, or the delay, the first of them.  0 with *@at saying which, or
 * the exit status with nothing left running.
 */
static int start(struct child *c, char *const *argv, bool builtin, double delay,
		 const char **at)
{
	const double forever = 3600;
	struct child_event ev = { .kind = CHILD_TIMEOUT };
	char why[256], how[96];
	int err = child_start(c, argv, CHILD_TRACE, why, sizeof(why));

	if (err == -ENOENT && builtin) {
		fprintf(stderr, "zbud estimate: the built-in workload needs python3, which is not "
			"here; name a target (--pid, --core, --raw or -- CMD)\n");
		return 1;
	}
	if (err) {
		fprintf(stderr, "zbud estimate: %s\n", why);
		return 1;
	}
	while (!(err = child_next(c, delay > 0 && !c->interrupted ? delay : forever, &ev))) {
		if (ev.kind == CHILD_STOPPED || ev.kind == CHILD_EXITING || ev.kind == CHILD_DONE)
			break;
		if (ev.kind == CHILD_TIMEOUT && delay > 0 && !c->interrupted)
			child_interrupt(c);
	}
	*at = ev.kind == CHILD_EXITING ? "exit" : ev.by_zbud ? "delay" : "SIGSTOP";
	if (!err && ev.kind != CHILD_DONE)
		return 0;
	if (!err) {
		child_describe_end(ev.status, how, sizeof(how));
		fprintf(stderr, "zbud estimate: '%s' %s before it could be read%s\n", argv[0], how,
			c->traced || WIFSIGNALED(ev.status) ? "" : " (the kernel refused to trace it: "
			"it can be read only when it stops itself, or after --delay)");
	} else {
		fprintf(stderr, "zbud estimate: cannot follow '%s': %s\n", argv[0], strerror(-err));
	}
	child_kill(c);
	child_end(c);
	return 1;
}

/* Let the command run on to its end, as it would have without zbud. */
static void finish(struct child *c, bool failed)
{
	struct child_event ev = { .kind = CHILD_TIMEOUT };

	if (failed)
		child_kill(c);
	child_release(c);
	while (!c->done && !child_next(c, 3600, &ev))
		child_release(c);
	child_end(c);
}

static int open_target(const struct args *a, pid_t pid, struct target **t)
{
	char why[256];
	int err;

	*t = NULL;
	if (a->core)
		err = target_open_core(t, a->core, &a->sel, why, sizeof(why));
	else if (a->raw)
		err = target_open_raw(t, a->raw, why, sizeof(why));
	else
		err = target_open_process(t, pid, &a->sel, why, sizeof(why));
	if (!err && !target_counts(*t)->pages) {
		snprintf(why, sizeof(why), "no pages to measure: none %s", a->raw ? "in the file" :
			 a->core ? "of its segments is in the file" : a->sel.all ? "in memory"
			 : "that zswap would be given (see --all)");
		target_close(*t);
		*t = NULL;
		err = -ENODATA;
	}
	if (err)
		fprintf(stderr, "zbud estimate: %s\n", why);
	/* A file that is not one zbud can read (a directory, a FIFO, a core
	 * that is not one) is bad input; one that cannot be read, a failure. */
	return !err ? 0 : err == -EINVAL || err == -EISDIR ? 2 : 1;
}

/*
 * The files zbud writes (--save-sizes, --plot), opened before any work so
 * that a path that cannot be written is said at once, and written whole
 * through cli_output at the end: never through a link, never half written.
 */
struct output_file {
	const char *path;
	struct cli_output o;
	FILE *f;
	/* 0, a write's errno negated, or 1 with @why */
	int (*write)(FILE *f, const struct est_report *rep, char *why, size_t len);
};

static int open_file(struct output_file *out)
{
	char why[256];

	if (!out->path)
		return 0;
	out->f = cli_output_open(&out->o, out->path, why, sizeof(why));
	if (out->f)
		return 0;
	fprintf(stderr, "zbud estimate: %s\n", why);
	return 1;
}

/* Write it (when @rep), or throw it away: 0, or 1 after one line. */
static int close_file(struct output_file *out, const struct est_report *rep)
{
	char why[256] = "", end[256] = "";
	int err = rep ? 0 : 1;

	if (!out->f)
		return 0;
	errno = 0;
	if (rep)
		err = out->write(out->f, rep, why, sizeof(why));
	if (!err && (fflush(out->f) || ferror(out->f)))
		err = -(errno ? errno : EIO);
	if (fclose(out->f) && !err)
		err = -(errno ? errno : EIO);
	out->f = NULL;
	if (err < 0)
		snprintf(why, sizeof(why), "cannot write '%s': %s", out->path, strerror(-err));
	if (!cli_output_finish(&out->o, !err, end, sizeof(end)))
		return 0;
	if (rep)
		fprintf(stderr, "zbud estimate: %s\n", err ? why : end);
	return 1;
}

static int save_sizes(FILE *f, const struct est_report *rep, char *why, size_t len)
{
	(void)why, (void)len;
	return estimate_save_sizes(f, rep->res);
}

#ifdef ZBUD_PLPLOT
/* The PNG is drawn in memory: cairo's own writes lose the errno of a
 * failure, and a full disk is to be said as such. */
static int plot(FILE *f, const struct est_report *rep, char *why, size_t len)
{
	char *png;
	size_t size;
	int err = 0;

	if (estimate_plot(rep, &png, &size, why, len))
		return 1;
	errno = 0;
	if (fwrite(png, 1, size, f) != size)
		err = -(errno ? errno : EIO);
	free(png);
	return err;
}
#endif

static int output(const struct args *a, const struct est_report *rep)
{
	int err;

	errno = 0;
	err = a->prometheus ? estimate_print_prometheus(stdout, rep) : a->json
		? estimate_print_json(stdout, rep) : estimate_print_table(stdout, rep);
	if (err == -ENOMEM) {
		fprintf(stderr, "zbud estimate: out of memory\n");
		return 1;
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "zbud estimate: cannot write the report: %s\n",
			strerror(errno ? errno : EIO));
		return 1;
	}
	return 0;
}

int cmd_estimate(int argc, char **argv)
{
	struct args a;
	struct child c = { 0 };
	struct est_result res = { 0 };
	struct target *t = NULL;
	struct est_report rep = { .cfg = &a.cfg, .res = &res };
	char why[256], name[64];
	const char *at = NULL;
	bool stopped = false;
	int rc = parse(argc, argv, &a), err;
	const bool started = rc < 0 && !a.pid && !a.core && !a.raw;
	char *const *argv_run = a.cmd ? a.cmd : builtin_argv();
	struct output_file out[] = {
		{ .path = a.save_sizes, .write = save_sizes },
#ifdef ZBUD_PLPLOT
		{ .path = a.plot, .write = plot },
#endif
	};
	const size_t nout = sizeof(out) / sizeof(out[0]);

	if (rc >= 0)
		return rc;
	rc = 0;
	for (size_t i = 0; !rc && i < nout; i++)
		rc = open_file(&out[i]);
	if (!rc && started)
		rc = start(&c, argv_run, !a.cmd, a.delay, &at);
	if (rc) {
		for (size_t i = 0; i < nout; i++)
			close_file(&out[i], NULL);
		return rc;
	}
	if (a.pid) {
		const char state = procmem_state((pid_t)a.pid, name, sizeof(name));

		stopped = state == 'T' || state == 't';
		if (!state)
			snprintf(name, sizeof(name), "?");
	}
	rc = open_target(&a, started ? c.held_pid : (pid_t)a.pid, &t);
	a.cfg.keep_sizes = a.save_sizes != NULL;
	if (isatty(STDERR_FILENO))
		a.cfg.progress = progress;
	err = rc ? 0 : estimate_run(t, &a.cfg, &res, why, sizeof(why));
	if (err) {
		fprintf(stderr, "%szbud estimate: %s\n", a.cfg.progress ? "\r\033[K" : "", why);
		rc = 1;
	}
	if (started)
		child_release(&c);
	if (!rc) {
		rep.counts = target_counts(t);
		rep.kind = a.core ? "core" : a.raw ? "raw" : a.pid ? "process" : a.cmd ? "command"
									      : "built-in";
		rep.name = a.core ? a.core : a.raw ? a.raw : started ? argv_run[0] : name;
		rep.pid = started ? (long)c.pid : a.pid;
		rep.at = started ? at : !a.pid ? NULL : stopped ? "stopped" : "running";
		rep.all = a.sel.all;
		rep.mapping = a.sel.mapping;
		rc = output(&a, &rep);
	}
	for (size_t i = 0; i < nout; i++)
		rc |= close_file(&out[i], rc ? NULL : &rep);
	target_close(t);
	estimate_free(&res);
	if (started)
		finish(&c, rc != 0);
	return rc;
}
