/*
 * cmd_estimate.c - `zbud estimate`: what zswap (or zram) would save on a
 * workload, for each compressor and allocator (docs/estimate.md)
 *
 * The target: a command zbud starts (or, with none, the built-in Python
 * heap), processes given by number or by cgroup, an ELF core file, or a
 * file's bytes.  Processes are followed over their life (engine/estimate/
 * follow.c) and reported at their peak; with --once, or a file, they are
 * read once.  The files the report goes to are opened before any work, so
 * that a path that cannot be written is said at once, and written whole at
 * the end (cli_output: never through a link, never half written).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builtin.h"
#include "child.h"
#include "cli.h"
#include "estimate_cli.h"

#define BAR_WIDTH 40
#define FOREVER_S 3600.0                /* waits for a command, a round at a time */

/* ---- the files written ---- */

/* 0, a write's errno negated, or 1 with @why. */
typedef int (*writer)(FILE *f, const struct est_report *rep, char *why, size_t len);

struct output_file {
	const char *path;
	writer write;
	struct cli_output o;
	FILE *f;
};

struct outputs {
	struct output_file report, csv, plot, sizes;
	int sizes_err;                  /* the first failed write of the sizes */
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
	if (rep && out->write)
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

static int print_report(FILE *f, const struct est_report *rep, char *why, size_t len)
{
	int err = rep->args->format->print(f, rep);

	if (err == -ENOMEM)
		snprintf(why, len, "out of memory");
	return err == -ENOMEM ? 1 : 0;
}

static int print_csv(FILE *f, const struct est_report *rep, char *why, size_t len)
{
	(void)why, (void)len;
	return estimate_print_csv(f, rep);
}

#ifdef ZBUD_PLPLOT
/* Drawn in memory: cairo's own writes lose the errno of a failure. */
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

/* The sizes file is written as the sizes come. */
static int sizes_done(FILE *f, const struct est_report *rep, char *why, size_t len)
{
	(void)f, (void)why, (void)len;
	return ((const struct outputs *)rep->args->cfg.sizes_arg)->sizes_err;
}

static void sizes_out(void *arg, const uint16_t *size, size_t n)
{
	struct outputs *o = arg;
	const int err = o->sizes_err ? 0 : estimate_save_sizes(o->sizes.f, size, n);

	o->sizes_err = o->sizes_err ? o->sizes_err : err;
}

static int open_outputs(struct est_args *a, struct outputs *o)
{
	*o = (struct outputs){
		.report = { .path = a->out, .write = print_report },
		.csv = { .path = a->csv, .write = print_csv },
#ifdef ZBUD_PLPLOT
		.plot = { .path = a->plot, .write = plot },
#endif
		.sizes = { .path = a->save_sizes, .write = sizes_done },
	};
	if (a->save_sizes) {
		a->cfg.sizes = sizes_out;
		a->cfg.sizes_arg = o;
	}
	return open_file(&o->report) || open_file(&o->csv) || open_file(&o->plot) ||
	       open_file(&o->sizes);
}

/* The report where it goes, and the files: 0, or 1 after one line. */
static int close_outputs(struct outputs *o, const struct est_report *rep)
{
	FILE *f = rep && rep->args->cmd ? stderr : stdout;
	char why[256];
	int rc = 0;

	if (rep && !o->report.f) {
		errno = 0;
		rc = print_report(f, rep, why, sizeof(why));
		if (!rc && (fflush(f) || ferror(f))) {
			snprintf(why, sizeof(why), "cannot write the report: %s",
				 strerror(errno ? errno : EIO));
			rc = 1;
		}
		if (rc)
			fprintf(stderr, "zbud estimate: %s\n", why);
		rep = rc ? NULL : rep;
	}
	rc |= close_file(&o->report, rep);
	rc |= close_file(&o->csv, rc ? NULL : rep);
	rc |= close_file(&o->plot, rc ? NULL : rep);
	rc |= close_file(&o->sizes, rc ? NULL : rep);
	return rc;
}

/* ---- progress ---- */

static void progress(void *arg, const char *what, uint64_t done, uint64_t total)
{
	const int fill = total ? (int)((double)(done < total ? done : total) / (double)total *
				       BAR_WIDTH) : BAR_WIDTH;

	(void)arg;
	fprintf(stderr, "\rzbud estimate: %-5s [%.*s%*s] %3.0f%%", what, fill,
		"########################################", BAR_WIDTH - fill, "",
		total ? 100.0 * (double)(done < total ? done : total) / (double)total : 100.0);
	if (done >= total)
		fprintf(stderr, "\r\033[K");
	fflush(stderr);
}

static void tick_line(void *arg, const struct follow_point *p)
{
	const struct est_follow *f = arg;

	fprintf(stderr, "\r\033[Kzbud estimate: %.1f s, %u process%s, %.1f MiB (peak %.1f MiB), "
		"%u reading%s", p->t, p->processes, p->processes == 1 ? "" : "es",
		(double)p->pages * ZSWAP_PAGE_SIZE / 1048576.0,
		(double)f->most_pages * ZSWAP_PAGE_SIZE / 1048576.0, f->measurements,
		f->measurements == 1 ? "" : "s");
	fflush(stderr);
}

/* ---- Ctrl-C ---- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* SIGINT, SIGTERM, SIGHUP end the following, and the report is written:
 * sigaction() without SA_RESTART, so that a wait returns at once. */
static void catch_signals(bool on)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on ? on_signal : SIG_DFL };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

int cmd_estimate(int argc, char **argv)
{
	struct est_args a;
	struct est_work w;
	struct est_report rep;
	struct outputs o;
	int rc = est_parse(argc, argv, &a);

	if (rc >= 0)
		return rc;
	if (open_outputs(&a, &o)) {
		close_outputs(&o, NULL);
		return 1;
	}
	if (isatty(STDERR_FILENO) && !a.cmd && (a.once || a.core || a.raw))
		a.cfg.progress = progress;
	catch_signals(true);
	rc = est_work_run(&a, &w, &rep, &stop,
			  isatty(STDERR_FILENO) && !a.cmd && !a.once ? tick_line : NULL);
	catch_signals(false);
	if (a.cfg.progress || (isatty(STDERR_FILENO) && !a.cmd && !a.once))
		fprintf(stderr, "\r\033[K");
	rc = rc ? rc : close_outputs(&o, &rep);
	if (rc)
		close_outputs(&o, NULL);
	est_work_end(&w, rc != 0);
	return rc;
}
