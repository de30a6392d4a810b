/*
 * cmd_bench_estimate.c - `zbud bench estimate`: how much slower a workload
 * runs while `zbud estimate` follows it, at the default interval
 *
 * The workload is this program again (`zbud bench estimate --workload`):
 * it fills --mib MiB with pages of text, numbers and zeros, then goes over
 * them --passes times, changing a word in each page, and prints the
 * seconds that took, from its start (measured by itself, so that zbud's
 * own start and report are not counted).  Runs alone and under `zbud
 * estimate -- WORKLOAD` take turns, --runs times each, so that whatever
 * else the machine does weighs on both alike.  The goal: at most 5%
 * slower (docs/estimate.md, "Cost").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "text.h"

#define PAGE 4096
#define MAX_RUNS 20
#define GOAL 1.05

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The workload: its own seconds on stdout. */
static int workload(uint64_t mib, uint64_t passes)
{
	const size_t pages = (size_t)(mib << 20) / PAGE;
	const double t0 = now();
	unsigned char *m = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t s = 1, sum = 0;

	if (m == MAP_FAILED)
		return 1;
	for (size_t i = 0; i < pages; i++) {
		unsigned char *p = m + i * PAGE;

		/* A third text, a third numbers, a third mostly zeros. */
		for (size_t k = 0; k < PAGE && i % 3 != 2; k += 8) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			memcpy(p + k, i % 3 ? "the pool" : (const char *)&s, 8);
			p[k + (s & 7)] = (unsigned char)(s >> 8) % 26 + 'a';
		}
		p[i % PAGE] = (unsigned char)i;
	}
	for (uint64_t pass = 0; pass < passes; pass++)
		for (size_t i = 0; i < pages; i++) {
			uint64_t *w = (uint64_t *)(void *)(m + i * PAGE);

			for (size_t k = 0; k < PAGE / 8; k += 8)
				sum += w[k];
			w[(pass + i) % (PAGE / 8)] = sum;
		}
	printf("%.3f %llu\n", now() - t0, (unsigned long long)(sum & 1));
	return 0;
}

/* Run @argv, its stdout read for the seconds it printed; -1 on failure. */
static double timed(char *const argv[])
{
	int fd[2], status;
	char out[64] = "";
	ssize_t got;
	pid_t pid;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		if (!freopen("/dev/null", "w", stderr))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	got = pid > 0 ? read(fd[0], out, sizeof(out) - 1) : -1;
	close(fd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) || got <= 0)
		return -1;
	return atof(out);
}

static int by_value(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int number(const char *opt, const char *arg, uint64_t max, uint64_t *v)
{
	const struct text_field f = { arg, strlen(arg) };
	char why[128];

	if (!text_number(&f, opt, 1, max, v, why, sizeof(why)))
		return 0;
	fprintf(stderr, "zbud bench estimate: %s\n", why);
	return 2;
}

static int parse(int argc, char **argv, uint64_t *mib, uint64_t *passes, uint64_t *runs,
		 bool *work)
{
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		int rc = 0;

		if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
			printf("usage: zbud bench estimate [--mib N] [--passes N] [--runs N]\n\n"
			       "A workload of --mib MiB (default 1024) that goes over its pages "
			       "--passes times\n(default 20), timed by itself --runs times (default "
			       "3) alone and as many under\n`zbud estimate` at the default interval, "
			       "in turn: the slowdown, against a goal of %.0f%%.\n\n"
			       "Examples:\n"
			       "  zbud bench estimate\n"
			       "  zbud bench estimate --mib 256 --passes 40 --runs 5\n",
			       (GOAL - 1) * 100);
			return 0;
		}
		if (!strcmp(opt, "--workload")) {
			*work = true;
			continue;
		}
		if (i + 1 == argc || (strcmp(opt, "--mib") && strcmp(opt, "--passes") &&
				      strcmp(opt, "--runs"))) {
			fprintf(stderr, "zbud bench estimate: unknown or incomplete option '%s' "
				"(try --help)\n", opt);
			return 2;
		}
		rc = number(opt, argv[++i], !strcmp(opt, "--mib") ? 65536 : !strcmp(opt, "--runs")
			    ? MAX_RUNS : 1000, !strcmp(opt, "--mib") ? mib : !strcmp(opt, "--passes")
			    ? passes : runs);
		if (rc)
			return rc;
	}
	return -1;
}

int bench_estimate(int argc, char **argv)
{
	uint64_t mib = 1024, passes = 20, runs = 3;
	double alone[MAX_RUNS], followed[MAX_RUNS], pair[MAX_RUNS];
	char self[4096], m[24], p[24];
	bool work = false;
	int rc = parse(argc, argv, &mib, &passes, &runs, &work);
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (rc >= 0)
		return rc;
	if (work)
		return workload(mib, passes);
	if (n <= 0)
		return fprintf(stderr, "zbud bench estimate: cannot find zbud itself\n"), 1;
	self[n] = '\0';
	snprintf(m, sizeof(m), "%llu", (unsigned long long)mib);
	snprintf(p, sizeof(p), "%llu", (unsigned long long)passes);
	{
		char *solo[] = { self, "bench", "estimate", "--workload", "--mib", m, "--passes", p,
				 NULL };
		char *under[] = { self, "estimate", "--", self, "bench", "estimate", "--workload",
				  "--mib", m, "--passes", p, NULL };

		for (uint64_t r = 0; r < runs; r++) {
			alone[r] = timed(solo);
			followed[r] = timed(under);
			if (alone[r] < 0 || followed[r] < 0)
				return fprintf(stderr, "zbud bench estimate: a run failed\n"), 1;
			pair[r] = followed[r] / alone[r];
			printf("run %llu: alone %.2f s, under zbud estimate %.2f s (%+.1f%%)\n",
			       (unsigned long long)r + 1, alone[r], followed[r],
			       100 * (followed[r] / alone[r] - 1));
			fflush(stdout);
		}
	}
	qsort(alone, runs, sizeof(double), by_value);
	qsort(followed, runs, sizeof(double), by_value);
	qsort(pair, runs, sizeof(double), by_value);
	/* The median of the runs' own slowdowns, each followed run beside the
	 * run alone just before it: a machine whose load changes weighs on
	 * both of a pair alike. */
	printf("estimate overhead (%llu MiB, %llu passes, %llu runs each): alone %.2f-%.2f s, "
	       "followed %.2f-%.2f s; runs %+.1f%% to %+.1f%%, median %+.1f%%, goal <= %+.0f%%: "
	       "%s\n", (unsigned long long)mib, (unsigned long long)passes,
	       (unsigned long long)runs, alone[0], alone[runs - 1], followed[0], followed[runs - 1],
	       100 * (pair[0] - 1), 100 * (pair[runs - 1] - 1), 100 * (pair[runs / 2] - 1),
	       (GOAL - 1) * 100, pair[runs / 2] <= GOAL ? "met" : "MISSED");
	return 0;
}
