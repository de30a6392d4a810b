/*
 * test_zblock_threads.c - zblock through zpool on several threads at once
 * (tests/zpool_stress.h), while one more thread runs the checker without
 * pause.  ZBUD_STRESS_MS says how long.
 */
#include "zpool_stress.h"

static void *checker_main(void *arg)
{
	struct zp_stress *st = arg;
	char msg[160];

	while (!atomic_load_explicit(&st->stop, memory_order_relaxed)) {
		if (zpool_check(st->pool, msg, sizeof(msg)))
			report(&st->errors, "zpool_check: %s", msg);
		atomic_fetch_add(&st->extra, 1);
	}
	return NULL;
}

static void test_threads(void **state)
{
	static struct zp_stress st;

	(void)state;
	zp_stress_run(&st, "zblock", checker_main);
	assert_true(atomic_load(&st.extra) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
