/*
 * test_zpool_fault.c - every allocator when memory runs out: creating a pool
 * fails cleanly at each allocation it makes, and a fixed workload with each
 * page allocation failing in turn gets -ENOMEM from that call and from no
 * other, while no page, object or byte changes
 */
#include <errno.h>
#include <string.h>

#include "alloc_test.h"
#include "fault.h"

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

/* ---- Failed page allocations change nothing ---- */

/* FNV-1a over the bytes at @p */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	for (const unsigned char *b = p; n--; b++)
		h = (h ^ *b) * 1099511628211ULL;
	return h;
}

/* Every page that holds an object: its number, its class and where each
 * object is.  (A page taken and still empty may stay, as a cache.) */
static int digest_page(const struct zpool_page_info *page, void *arg)
{
	uint64_t *h = arg;

	if (!page->nregions)
		return 0;
	*h = mix(*h, &page->page, sizeof(page->page));
	*h = mix(*h, &page->slot_size, sizeof(page->slot_size));
	*h = mix(*h, page->region, page->nregions * sizeof(page->region[0]));
	return 0;
}

static uint64_t digest(struct zpool *pool)
{
	uint64_t h = 1469598103934665603ULL;
	uint64_t size = zpool_get_total_size(pool);

	assert_int_equal(zpool_walk(pool, digest_page, &h), 0);
	return mix(h, &size, sizeof(size));
}

static void check_ok(struct zpool *pool)
{
	char msg[256];

	if (zpool_check(pool, msg, sizeof(msg)))
		fail_msg("%s: %s", zpool_get_type(pool), msg);
}

#define FAULT_OPS 400
#define FAULT_SLOTS 64

/* A fixed workload; returns how many allocations failed, each with -ENOMEM,
 * no handle and no change, while every object stays intact. */
static int fault_workload(const struct zpool_info *info, const struct zpool_config *cfg)
{
	struct zpool *pool = zpool_create_pool_config(info->type, "faults", NULL, cfg);
	struct test_obj slot[FAULT_SLOTS] = { 0 };
	size_t most = info->max_size < 4096 ? info->max_size : 4096;
	uint64_t seed = 42;
	int failures = 0;

	assert_non_null(pool);
	for (int op = 0; op < FAULT_OPS; op++) {
		struct test_obj *o = &slot[test_rng(&seed) % FAULT_SLOTS];
		uint64_t before;
		int err;

		if (o->handle) {
			assert_true(zp_intact(pool, o->handle, o->size, (uint64_t)(o - slot)));
			zpool_free(pool, o->handle);
			o->handle = 0;
			continue;
		}
		o->size = 1 + test_rng(&seed) % most;
		before = digest(pool);
		err = zpool_malloc(pool, o->size, &o->handle);
		if (!err) {
			zp_fill(pool, o->handle, o->size, (uint64_t)(o - slot));
			continue;
		}
		assert_int_equal(err, -ENOMEM);
		assert_int_equal(o->handle, 0);
		if (digest(pool) != before)
			fail_msg("%s: op %d: a failed allocation changed the pool", info->type, op);
		failures++;
		check_ok(pool);
	}
	check_ok(pool);
	for (int i = 0; i < FAULT_SLOTS; i++)
		if (slot[i].handle)
			assert_true(zp_intact(pool, slot[i].handle, slot[i].size, (uint64_t)i));
	zpool_destroy_pool(pool);
	return failures;
}

static void every_page_fails_once(const struct zpool_info *info, const struct zpool_config *cfg)
{
	uint64_t calls;

	zbud_fault_arm(ZBUD_FAULT_PAGE, 0);
	assert_int_equal(fault_workload(info, cfg), 0);
	calls = zbud_fault_calls(ZBUD_FAULT_PAGE);
	print_message("%s (%s): %llu page allocations to fail\n", info->type,
		      cfg->source.buffer ? "buffer" : "arena", (unsigned long long)calls);
	assert_true(calls > 50);
	for (uint64_t n = 1; n <= calls; n++) {
		zbud_fault_arm(ZBUD_FAULT_PAGE, n);
		assert_int_equal(fault_workload(info, cfg), 1);
	}
	zbud_fault_arm(ZBUD_FAULT_PAGE, 0);
}

/* Each allocator, with pages from its own arena and from a caller's buffer. */
static void test_every_page_allocation_fails_once(void **state)
{
	static const struct zpool_config arena;
	enum { BUFFER = 16 << 20 };
	struct zpool_config fixed = { .source = { .buffer = malloc(BUFFER), .buffer_size = BUFFER } };
	const struct zpool_info *info;

	(void)state;
	assert_non_null(fixed.source.buffer);
	for (unsigned int i = 0; (info = zpool_driver_info(i)); i++) {
		every_page_fails_once(info, &arena);
		every_page_fails_once(info, &fixed);
	}
	free(fixed.source.buffer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_creation_failure_sets_errno),
		cmocka_unit_test(test_every_page_allocation_fails_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
