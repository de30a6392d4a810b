/*
 * test_estimate_follow.c - `zbud estimate` over a workload's life: its
 * peak, its process tree, a cgroup's processes, and the engine's windows
 *
 * The workloads are this program started again as `--child MODE DIR`:
 *
 *   peak      maps pages of known kinds (estimate_util.h) in a private file
 *             mapping, stops itself, then frees them and exits: the peak,
 *             read at the SIGSTOP, is what must be reported, not the end
 *   hold      the same pages held a while without stopping, then freed: the
 *             ticks must find them
 *   tree      KIDS processes each map their share of the pages; once all
 *             have, the parent stops itself: --follow reads them all
 *   kid       one process of a cgroup: maps its share, says so, sleeps
 *
 * Every figure that does not depend on the order pages are given to a
 * pool is checked exactly against liblz4 (estimate_util.h).
 *
 * usage: test_estimate_follow ZBUD
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "estimate.h"

static const char *zbud_path;
static char self[4096], dir[64];

#include "estimate_util.h"
#include "scratch_dir.h"

#define KIDS 3
#define SHARE (2 * NKINDS * 4)          /* pages a kid maps */
#define HOLD_US 3000000                 /* "hold": the ticks come every 50 ms */

/* ---- the workloads ---- */

/*
 * Pages [first, first + n) of make_page() in a private mapping of @name.
 * The file holds them first, and each becomes the process's own by one
 * store of the byte it has: its copy is whole when zbud can see it, so
 * a reading, at any moment, finds pages of known bytes (written in the
 * mapping, a page read mid-write had other bytes than the test's).
 */
static unsigned char *map_pages(const char *name, size_t first, size_t n)
{
	unsigned char page[PAGE];
	volatile unsigned char *v;
	char path[160];
	int fd;
	unsigned char *m;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		_exit(10);
	for (size_t i = 0; i < n; i++) {
		make_page(first + i, page);
		if (pwrite(fd, page, PAGE, (off_t)(i * PAGE)) != PAGE)
			_exit(10);
	}
	m = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		_exit(11);
	v = m;
	for (size_t i = 0; i < n; i++)
		v[i * PAGE] = v[i * PAGE];
	return m;
}

static void tree(void)
{
	int ready[2];
	pid_t kid[KIDS];
	char byte, name[32];

	if (pipe(ready))
		_exit(12);
	for (int k = 0; k < KIDS; k++) {
		kid[k] = fork();
		if (kid[k] == 0) {
			snprintf(name, sizeof(name), "tree-%d", k);
			map_pages(name, (size_t)k * SHARE, SHARE);
			if (write(ready[1], "", 1) != 1)
				_exit(13);
			pause();
			_exit(0);
		}
	}
	for (int k = 0; k < KIDS; k++)
		if (read(ready[0], &byte, 1) != 1)
			_exit(14);
	raise(SIGSTOP);                 /* every kid holds its pages: read now */
	for (int k = 0; k < KIDS; k++)
		kill(kid[k], SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
}

/* No atexit handlers: LeakSanitizer's would trace a process zbud traces. */
static void child(const char *mode, int k)
{
	unsigned char *m;

	if (!strcmp(mode, "tree"))
		tree();
	if (!strcmp(mode, "peak") || !strcmp(mode, "hold")) {
		m = map_pages(mode, 0, NPAGES);
		if (mode[0] == 'p')
			raise(SIGSTOP);
		else
			usleep(HOLD_US);
		munmap(m, NPAGES * PAGE);
		usleep(300000);
	}
	if (!strcmp(mode, "kid")) {
		char name[32];

		snprintf(name, sizeof(name), "cg-%d", k);
		map_pages(name, (size_t)k * SHARE, SHARE);
		if (write(STDOUT_FILENO, "", 1) != 1)
			_exit(15);
		pause();
	}
	_exit(0);
}

/* ---- the checks ---- */

static json_t *over_time(json_t *root)
{
	json_t *o = json_object_get(root, "over_time");

	assert_true(json_is_object(o));
	return o;
}

static const char *peak_why(json_t *root)
{
	return json_string_value(json_object_get(json_object_get(over_time(root), "peak"), "why"));
}

/* A child of known memory that peaks, then frees it before it exits. */
static void peaks_and_frees(void **state)
{
	char mapping[128];
	json_t *root, *points, *last;

	(void)state;
	snprintf(mapping, sizeof(mapping), "%s/peak", dir);
	root = run_json("--sample", "1", "--compressor", "lz4", "--mapping", mapping, "--", self,
			"--child", "peak", dir, NULL);
	assert_string_equal(peak_why(root), "SIGSTOP");
	expect_lz4(root);
	points = json_object_get(over_time(root), "points");
	last = json_array_get(points, json_array_size(points) - 1);
	/* Freed before its end: the last points hold none of it. */
	assert_int_equal(json_integer_value(json_object_get(last, "pages")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "command"),
							     "exit_status")), 0);
	json_decref(root);
}

/* The same, held a while and freed with no stop: the ticks find it, at
 * whatever moment a reading falls (one made as the pages came, whose walk
 * found them all, is read again once they are held), in one window. */
static void ticks_find_the_peak(void **state)
{
	char mapping[128];
	json_t *root;

	(void)state;
	snprintf(mapping, sizeof(mapping), "%s/hold", dir);
	root = run_json("--every", "0.05", "--sample", "1", "--compressor", "lz4", "--mapping",
			mapping, "--", self, "--child", "hold", dir, NULL);
	assert_string_equal(peak_why(root), "tick");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "run"),
							    "windows")), 1);
	expect_lz4(root);
	json_decref(root);
}

/* --follow: the processes the command starts are read with it. */
static void follows_the_tree(void **state)
{
	char mapping[128];
	json_t *root;

	(void)state;
	snprintf(mapping, sizeof(mapping), "%s/tree-", dir);
	root = run_json("--follow", "--sample", "1", "--compressor", "lz4", "--mapping", mapping,
			"--", self, "--child", "tree", dir, NULL);
	assert_string_equal(peak_why(root), "SIGSTOP");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(over_time(root),
							"peak"), "processes")), KIDS + 1);
	expect_lz4_n(root, KIDS * SHARE, false);
	json_decref(root);
}

/* ---- a cgroup of known processes ---- */

/* A new cgroup under the first writable hierarchy of @roots: its path in
 * @path, or false. */
static bool make_cgroup(const char *root, char *path, size_t len)
{
	snprintf(path, len, "%s/zbud-test-%d", root, (int)getpid());
	return !mkdir(path, 0755);
}

static void kids_in(const char *cgroup, pid_t *kid)
{
	char procs[320], ready;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
	for (int k = 0; k < KIDS; k++) {
		char index[8];
		char *argv[] = { self, "--child", "kid", dir, index, NULL };
		int fd[2];
		FILE *f;

		snprintf(index, sizeof(index), "%d", k);
		assert_int_equal(pipe(fd), 0);
		kid[k] = fork();
		if (kid[k] == 0) {
			dup2(fd[1], STDOUT_FILENO);
			execv(self, argv);
			_exit(127);
		}
		close(fd[1]);
		assert_int_equal(read(fd[0], &ready, 1), 1);
		close(fd[0]);
		f = fopen(procs, "w");
		assert_non_null(f);
		fprintf(f, "%d\n", (int)kid[k]);
		assert_int_equal(fclose(f), 0);
	}
}

static void cgroup_at(const char *root)
{
	char cgroup[256], mapping[128];
	pid_t kid[KIDS];
	json_t *once, *over;

	if (!make_cgroup(root, cgroup, sizeof(cgroup))) {
		printf("estimate_follow: cannot make a cgroup under %s (%s): not tried there\n",
		       root, strerror(errno));
		return;
	}
	kids_in(cgroup, kid);
	snprintf(mapping, sizeof(mapping), "%s/cg-", dir);
	once = run_json("--once", "--sample", "1", "--compressor", "lz4", "--mapping", mapping,
			"--cgroup", cgroup, NULL);
	over = run_json("--duration", "0.5", "--sample", "1", "--compressor", "lz4", "--mapping",
			mapping, "--cgroup", cgroup, NULL);
	for (int k = 0; k < KIDS; k++) {
		kill(kid[k], SIGKILL);
		waitpid(kid[k], NULL, 0);
	}
	rmdir(cgroup);
	assert_int_equal(target_field(once, "processes"), KIDS);
	expect_lz4_n(once, KIDS * SHARE, false);
	expect_lz4_n(over, KIDS * SHARE, false);
	json_decref(once);
	json_decref(over);
}

static void cgroup_of_known_processes(void **state)
{
	(void)state;
	if (geteuid()) {
		printf("estimate_follow: not root: no cgroup made, the cgroup test skipped\n");
		skip();
	}
	/* v2 (the unified hierarchy, alone or beside v1) and v1's memory one. */
	if (!access("/sys/fs/cgroup/cgroup.controllers", F_OK))
		cgroup_at("/sys/fs/cgroup");
	else if (!access("/sys/fs/cgroup/unified/cgroup.procs", F_OK))
		cgroup_at("/sys/fs/cgroup/unified");
	if (!access("/sys/fs/cgroup/memory/cgroup.procs", F_OK))
		cgroup_at("/sys/fs/cgroup/memory");
}

/* ---- windows ---- */

/* A target of many windows gives the figures of one window for every
 * count and byte, and pool pages within a hair of them. */
static void windows(void **state)
{
	enum { N = 1200 * NKINDS, W = 300 * NKINDS };
	unsigned char *pages = malloc((size_t)N * PAGE);
	struct est_config cfg = { .threads = 2, .seed = 1 };
	struct est_result one, many;
	struct target *t;
	char why[256];

	(void)state;
	assert_non_null(pages);
	for (size_t i = 0; i < N; i++)
		make_page(i, pages + i * PAGE);
	cfg.ncodecs = est_codecs_default(cfg.codec, 1);
	cfg.nzpools = est_zpools_default(cfg.zpool, EST_MAX_ZPOOLS, true);
	assert_int_equal(target_open_buffer(&t, pages, N), 0);
	assert_int_equal(estimate_run(t, &cfg, &one, why, sizeof(why)), 0);
	cfg.window = W;
	assert_int_equal(estimate_run(t, &cfg, &many, why, sizeof(why)), 0);
	assert_int_equal(one.windows, 1);
	assert_int_equal(many.windows, N / W);
	for (int z = 0; z < cfg.nzpools; z++)
		for (int f = 0; f < EST_NFIGURES; f++) {
			const double a = one.codec[0].fig[z][f].value, b = many.codec[0].fig[z][f].value;

			if (f == EST_POOL_PAGES || f == EST_RATIO || f == EST_SAVED_BYTES) {
				if (!(fabs(a - b) <= 0.03 * fabs(a) + 2))
					fail_msg("%s %s: %g in one window, %g in %llu", cfg.zpool[z],
						 est_figure_name[f], a, b,
						 (unsigned long long)many.windows);
			}
			else
				assert_true(a == b);
		}
	target_close(t);
	free(pages);
}

static int setup(void **state)
{
	(void)state;
	if (scratch_dir_make(dir, sizeof(dir), "zbud-test-follow-XXXXXX"))
		return -1;
	return realpath("/proc/self/exe", self) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return scratch_dir_remove(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(peaks_and_frees),
		cmocka_unit_test(ticks_find_the_peak),
		cmocka_unit_test(follows_the_tree),
		cmocka_unit_test(cgroup_of_known_processes),
		cmocka_unit_test(windows),
	};

	if (argc >= 4 && !strcmp(argv[1], "--child")) {
		snprintf(dir, sizeof(dir), "%s", argv[3]);
		child(argv[2], argc > 4 ? atoi(argv[4]) : 0);
	}
	if (argc != 2) {
		fprintf(stderr, "usage: test_estimate_follow ZBUD\n");
		return 2;
	}
	zbud_path = argv[1];
	return cmocka_run_group_tests(tests, setup, teardown);
}
