/*
 * test_run_engine.c - `zbud run`'s engine (engine/run/run_launch.c) on its own:
 * sizes, the latency quantiles, which programs can be managed, finding the
 * pager, and a child that reports through the shared page.  The pager
 * itself is tested end to end by run.sh (it runs only inside a program).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_launch.h"

static char why[256];

static int size(const char *s, uint64_t *v)
{
	return run_parse_size(s, "--limit", 4096, 1ull << 50, v, why, sizeof(why));
}

static void test_sizes(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(size("64M", &v), 0);
	assert_int_equal(v, 64ull << 20);
	assert_int_equal(size("64m", &v), 0);
	assert_int_equal(v, 64ull << 20);
	assert_int_equal(size("1.5G", &v), 0);
	assert_int_equal(v, 3ull << 29);
	assert_int_equal(size("256KiB", &v), 0);
	assert_int_equal(v, 256ull << 10);
	assert_int_equal(size("2TB", &v), 0);
	assert_int_equal(v, 2ull << 40);
	for (const char *const *bad = (const char *const[]){ "", "M", "12Q", "-5M", "1.2.3M", "64 M",
							       "4095", "1025T", "0x100", "1e9", NULL };
	     *bad; bad++) {
		v = 7;
		assert_int_equal(size(*bad, &v), -EINVAL);
		assert_int_equal(v, 7);         /* a failed call changes nothing */
		assert_non_null(strstr(why, "--limit"));
	}
	/* a message cut to its buffer is still terminated */
	assert_int_equal(run_parse_size("x", "--limit", 1, 2, &v, why, 5), -EINVAL);
	assert_int_equal(strlen(why), 4);
}

/* shim_stats.c's buckets: eight a doubling of nanoseconds */
static unsigned bucket(uint64_t ns)
{
	unsigned msb = 63u - (unsigned)__builtin_clzll(ns);

	return msb < 3 ? (unsigned)ns : (msb << 3) | (unsigned)((ns >> (msb - 3)) & 7);
}

static void test_quantiles(void **state)
{
	uint64_t hist[RUN_HIST_BUCKETS] = { 0 };

	(void)state;
	assert_int_equal(run_quantile(hist, 0.5), 0);
	hist[bucket(5000)] = 98;        /* 98 faults of 5 us, 2 of 1 ms */
	hist[bucket(1000000)] = 2;
	assert_in_range(run_quantile(hist, 0.5), 4600, 5400);
	assert_in_range(run_quantile(hist, 0.98), 4600, 5400);
	assert_in_range(run_quantile(hist, 0.99), 920000, 1080000);
	hist[bucket(3)] = 1000;
	assert_int_equal(run_quantile(hist, 0.5), 3);
}

static void test_classify(void **state)
{
	char script[] = "/tmp/zbud-test-run-XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(run_classify("sh"), RUN_DYNAMIC);
	assert_int_equal(run_classify("/nonexistent/program"), RUN_UNKNOWN);
	if (access("/sbin/ldconfig", X_OK) == 0)
		assert_int_equal(run_classify("/sbin/ldconfig"), RUN_STATIC);
	/* a script is its interpreter */
	fd = mkstemp(script);
	assert_true(fd >= 0);
	assert_true(write(fd, "#!/bin/sh\nexit 0\n", 17) == 17);
	close(fd);
	chmod(script, 0700);
	assert_int_equal(run_classify(script), RUN_DYNAMIC);
	unlink(script);
}

static void test_find_lib(void **state)
{
	char path[4096];

	(void)state;
	setenv("ZBUD_RUN_LIB", "/nonexistent/libzbud_run.so", 1);
	assert_int_equal(run_find_lib(path, sizeof(path), "/nope", why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "ZBUD_RUN_LIB"));
	unsetenv("ZBUD_RUN_LIB");
	/* beside this program in a build tree, else nowhere */
	if (run_find_lib(path, sizeof(path), "/nope", why, sizeof(why)) == 0) {
		assert_non_null(strstr(path, "/" RUN_LIB_NAME));
		assert_int_equal(access(path, R_OK), 0);
	} else {
		assert_non_null(strstr(why, RUN_LIB_NAME));
	}
}

/* An unmanaged child: started, waited for, its status; no slot taken. */
static void test_start_wait(void **state)
{
	struct run_config cfg = { .limit_bytes = 8 << 20, .lib = "/nonexistent.so" };
	char *const ok[] = { "sh", "-c", "exit 5", NULL };
	char *const missing[] = { "/nonexistent/program", NULL };
	struct run_proc_stats sum;
	struct run_child c;
	int st = 0, r;

	(void)state;
	assert_int_equal(run_start(&c, &cfg, ok, false, why, sizeof(why)), 0);
	while ((r = run_wait(&c, 1000, &st)) == 0)
		;
	assert_int_equal(r, 1);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 5);
	assert_int_equal(run_total(&c, &sum), 0);
	run_end(&c);
	assert_int_equal(run_start(&c, &cfg, missing, false, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "/nonexistent/program"));
	run_end(&c);
	/* a path LD_PRELOAD cannot hold */
	cfg.lib = "/tmp/a b.so";
	assert_int_equal(run_start(&c, &cfg, ok, true, why, sizeof(why)), -EINVAL);
	run_end(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_find_lib),
		cmocka_unit_test(test_start_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
