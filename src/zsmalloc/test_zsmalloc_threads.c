/*
 * test_zsmalloc_threads.c - zsmalloc through zpool, in both geometries, on
 * several threads at once (tests/zpool_stress.h) while one more thread
 * compacts without pause and checks now and then.  ZBUD_STRESS_MS says how
 * long.
 */
#include "zpool_stress.h"

static void *compactor_main(void *arg)
{
	struct zp_stress *st = arg;
	char msg[160];

	for (unsigned long n = 0; !atomic_load_explicit(&st->stop, memory_order_relaxed); n++) {
		int64_t freed = zpool_compact(st->pool);

		if (freed < 0)
			report(&st->errors, "zpool_compact: %lld", (long long)freed);
		else
			atomic_fetch_add(&st->extra, (unsigned long)freed);
		if (n % 16 == 0 && zpool_check(st->pool, msg, sizeof(msg)))
			report(&st->errors, "zpool_check: %s", msg);
	}
	return NULL;
}

static void test_threads(void **state)
{
	static struct zp_stress st;

	(void)state;
	zp_stress_run(&st, "zsmalloc", compactor_main);
	assert_true(atomic_load(&st.extra) > 0); /* pages compaction freed */
}

static void test_threads_kernel(void **state)
{
	static struct zp_stress st;

	(void)state;
	zp_stress_run(&st, "zsmalloc-kernel", compactor_main);
	assert_true(atomic_load(&st.extra) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_threads_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
