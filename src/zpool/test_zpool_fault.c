/*
 * test_zpool_fault.c - creating a pool of any allocator when memory runs out
 * at each allocation it makes: NULL, errno ENOMEM, nothing leaked (the ASan
 * build says), and the next try works
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fault.h"
#include "zpool_driver.h"

static void test_every_creation_failure_sets_errno(void **state)
{
	const struct zpool_info *info;

	(void)state;
	for (unsigned int i = 0; (info = zpool_driver_info(i)); i++) {
		struct zpool *pool = NULL;
		uint64_t n = 1;

		for (; !pool; n++) {
			assert_true(n < 10);
			zbud_fault_arm(ZBUD_FAULT_META, n);
			errno = 0;
			pool = zpool_create_pool(info->type, "f", NULL);
			if (!pool)
				assert_int_equal(errno, ENOMEM);
		}
		zbud_fault_arm(ZBUD_FAULT_META, 0);
		print_message("%s: %llu allocations to fail\n", info->type,
			      (unsigned long long)(n - 2));
		assert_true(n - 2 >= 2); /* zpool's own and the driver's */
		zpool_destroy_pool(pool);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_creation_failure_sets_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
