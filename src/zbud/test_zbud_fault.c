/*
 * test_fault.c - a failed page allocation changes nothing
 *
 * A fixed workload is run once to count its page allocations, then once more
 * for each N with the Nth allocation failing: that zbud_alloc() must return
 * -ENOMEM and leave every count, list and byte as it was, and the rest of
 * the workload must run on as if the failed call had not been made.
 */
#define ZBUD_STATIC_LINKING_ONLY
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fault.h"
#include "zbud.h"

#define OPS 400
#define SLOTS 64

struct slot {
	unsigned long handle;
	size_t size;
	unsigned char fill;
};

static uint64_t rng(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static void verify(struct zbud_pool *pool, const struct slot *s)
{
	const unsigned char *p = zbud_map(pool, s->handle);

	for (size_t i = 0; i < s->size; i++)
		assert_int_equal(p[i], s->fill);
}

/* Runs the workload; returns how many allocations failed. */
static int workload(void)
{
	struct zbud_pool *pool = zbud_create_pool(NULL);
	struct slot slot[SLOTS] = { 0 };
	uint64_t seed = 42;
	int failures = 0;
	char msg[256];

	assert_non_null(pool);
	for (int op = 0; op < OPS; op++) {
		struct slot *s = &slot[rng(&seed) % SLOTS];
		size_t size = 1 + rng(&seed) % ZBUD_MAX_SIZE;

		if (s->handle) {
			verify(pool, s);
			zbud_free(pool, s->handle);
			s->handle = 0;
		} else {
			struct zbud_stats before, after;
			unsigned long h = 0;
			int err;

			zbud_get_stats(pool, &before);
			err = zbud_alloc(pool, size, &h);
			if (err) {
				assert_int_equal(err, -ENOMEM);
				assert_int_equal(h, 0);
				zbud_get_stats(pool, &after);
				assert_memory_equal(&before, &after, sizeof(before));
				failures++;
				continue;
			}
			*s = (struct slot){ h, size, (unsigned char)op };
			memset(zbud_map(pool, h), s->fill, size);
		}
		assert_int_equal(zbud_check_pool(pool, msg, sizeof(msg)), 0);
	}
	for (int i = 0; i < SLOTS; i++)
		if (slot[i].handle)
			verify(pool, &slot[i]);
	zbud_destroy_pool(pool);
	return failures;
}

static void test_every_page_allocation_fails_once(void **state)
{
	uint64_t calls;

	(void)state;
	zbud_fault_arm(ZBUD_FAULT_PAGE, 0);
	assert_int_equal(workload(), 0);
	calls = zbud_fault_calls(ZBUD_FAULT_PAGE);
	assert_true(calls > 50);
	for (uint64_t n = 1; n <= calls; n++) {
		zbud_fault_arm(ZBUD_FAULT_PAGE, n);
		assert_int_equal(workload(), 1);
	}
	zbud_fault_arm(ZBUD_FAULT_PAGE, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_page_allocation_fails_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
