/*
 * cmd_stat.c - `zbud stat`: the running kernel's zswap and zram, readable
 * (docs/stat.md)
 *
 * Reads only.  Without root it shows what anyone can read (zswap's
 * settings, /proc/meminfo's and /proc/vmstat's figures, every zram device)
 * and says once what needs root (zswap's counters in debugfs).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "kstat.h"
#include "stat_report.h"

#define MAX_WATCH_S 86400.0
#define MIN_WATCH_S 0.01
#define HEAD_EVERY 20                   /* --watch: column heads again every N lines */

struct args {
	const char *root;
	bool json, prometheus;
	double watch;                   /* seconds; 0: once */
	unsigned long count;            /* --watch lines; 0: until interrupted */
};

static volatile sig_atomic_t interrupted;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: zbud stat [--json | --prometheus | --watch SECONDS [--count N]]\n"
		"                 [--root DIR]\n"
		"\n"
		"The running kernel's zswap and zram: zswap's settings, its pool and what it\n"
		"holds, its counters (rejects by cause, writeback, pool-limit hits), and every\n"
		"zram device's algorithm, sizes, pages and I/O.  Sizes in KiB/MiB/GiB.\n"
		"\n"
		"Options:\n"
		"  --json             every figure, named as the kernel names it, sizes in\n"
		"                     bytes, others as counts (pages, events)\n"
		"  --prometheus       the text exposition format, for node_exporter's textfile\n"
		"                     collector (a cron line: see below)\n"
		"  --watch SECONDS    a line of rates every SECONDS (0.01 to 86400): pages in\n"
		"                     and out of zswap, written back, each zram device's I/O;\n"
		"                     until Ctrl-C\n"
		"  --count N          --watch: stop after N lines\n"
		"  --root DIR         read DIR/sys, DIR/proc instead of /sys, /proc (tests)\n"
		"\n"
		"Reads /sys/module/zswap/parameters, /sys/kernel/debug/zswap (root only),\n"
		"/proc/meminfo, /proc/vmstat, /sys/class/zram-control and /sys/block/zram*.\n"
		"Changes nothing.\n"
		"\n"
		"Exit status: 0 done; 1 cannot read or write; 2 bad option, or a kernel file\n"
		"that does not read as the kernel writes it.\n"
		"\n"
		"Examples:\n"
		"  sudo zbud stat\n"
		"  zbud stat --json | jq '.zram.devices[].mm_stat'\n"
		"  zbud stat --watch 1\n"
		"  # for node_exporter's textfile collector, once a minute: /etc/cron.d/zbud\n"
		"  * * * * * root zbud stat --prometheus >/var/lib/prometheus/node-exporter/zbud.prom.tmp && mv /var/lib/prometheus/node-exporter/zbud.prom.tmp /var/lib/prometheus/node-exporter/zbud.prom\n");
}

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "zbud stat: %s%s%s%s\n", what, arg ? " '" : "", arg ? arg : "",
		arg ? "'" : "");
	return 2;
}

/* -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct args *a)
{
	char *end;

	memset(a, 0, sizeof(*a));
	a->root = "";
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const bool valued = !strcmp(o, "--watch") || !strcmp(o, "--count") ||
				    !strcmp(o, "--root");
		const char *v = valued && i + 1 < argc ? argv[++i] : NULL;

		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			usage(stdout);
			return 0;
		}
		if (valued && !v)
			return bad("needs a value:", o);
		if (!strcmp(o, "--json")) {
			a->json = true;
		} else if (!strcmp(o, "--prometheus")) {
			a->prometheus = true;
		} else if (!strcmp(o, "--root")) {
			a->root = v;
		} else if (!strcmp(o, "--watch")) {
			a->watch = strtod(v, &end);
			if (!*v || *end || !(a->watch >= MIN_WATCH_S && a->watch <= MAX_WATCH_S))
				return bad("--watch takes seconds from 0.01 to 86400, not", v);
		} else if (!strcmp(o, "--count")) {
			errno = 0;
			a->count = strtoul(v, &end, 10);
			if (*v < '0' || *v > '9' || *end || errno || !a->count)
				return bad("--count takes a positive integer, not", v);
		} else {
			return bad("unknown option (try --help):", o);
		}
	}
	if (a->json + a->prometheus + (a->watch > 0) > 1)
		return bad("one of --json, --prometheus and --watch", NULL);
	if (a->count && !a->watch)
		return bad("--count is for --watch", NULL);
	return -1;
}

/* 0, or the exit status after saying why. */
static int snapshot(const struct args *a, struct kstat_snapshot *s)
{
	char why[512];
	const int err = kstat_read(a->root, s, why, sizeof(why));

	if (!err)
		return 0;
	fprintf(stderr, "zbud stat: %s\n", why);
	return err == -EINVAL ? 2 : 1;
}

static int written(int err)
{
	if (!err && fflush(stdout))
		err = -errno;
	if (err)
		fprintf(stderr, "zbud stat: cannot write: %s\n", strerror(-err));
	return err ? 1 : 0;
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static bool same_devices(const struct kstat_snapshot *a, const struct kstat_snapshot *b)
{
	if (a->zram.ndev != b->zram.ndev)
		return false;
	for (int i = 0; i < a->zram.ndev; i++)
		if (strcmp(a->zram.dev[i].name, b->zram.dev[i].name))
			return false;
	return true;
}

/* Sleep @secs; false when a signal ended it. */
static bool pause_for(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - floor(secs)) * 1e9) };

	while (!interrupted && nanosleep(&ts, &ts))
		if (errno != EINTR)
			return false;
	return !interrupted;
}

static int watch(const struct args *a, struct kstat_snapshot *prev)
{
	const struct sigaction sa = { .sa_handler = on_signal };
	struct kstat_snapshot s;
	unsigned long lines = 0;
	int rc = 0, err = stat_print_watch_head(stdout, prev);

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!err && !rc && (!a->count || lines < a->count) && pause_for(a->watch)) {
		rc = snapshot(a, &s);
		if (rc)
			break;
		lines++;
		if (!same_devices(prev, &s) || (lines % HEAD_EVERY == 0 && isatty(STDOUT_FILENO)))
			err = stat_print_watch_head(stdout, &s);
		if (!err)
			err = stat_print_watch_line(stdout, prev, &s);
		if (!err && fflush(stdout))
			err = -errno;
		kstat_free(prev);
		*prev = s;
	}
	return rc ? rc : written(err);
}

int cmd_stat(int argc, char **argv)
{
	struct kstat_snapshot s;
	struct args a;
	struct stat st;
	int rc = parse(argc, argv, &a), err;

	if (rc >= 0)
		return rc;
	if (*a.root && (stat(a.root, &st) || !S_ISDIR(st.st_mode)))
		return bad("--root is not a folder:", a.root);
	rc = snapshot(&a, &s);
	if (rc)
		return rc;
	if (a.watch > 0) {
		rc = watch(&a, &s);
	} else {
		err = a.json ? stat_print_json(stdout, &s) : a.prometheus
			? stat_print_prometheus(stdout, &s) : stat_print_text(stdout, &s);
		rc = written(err);
	}
	kstat_free(&s);
	return rc;
}
