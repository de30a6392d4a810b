/*
 * test_zpool.c - the registry and the calls through it, with zbud behind
 */
#define ZPOOL_STATIC_LINKING_ONLY
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_test.h"
#include "zpool.h"

static int evictions;

static int evict(struct zpool *pool, unsigned long handle)
{
	evictions++;
	zpool_free(pool, handle);
	return 0;
}

static const struct zpool_ops ops = { .evict = evict };

static void test_registry(void **state)
{
	(void)state;
	assert_true(zpool_has_pool("zbud"));
	assert_false(zpool_has_pool("zbud2"));
	assert_false(zpool_has_pool(""));
	assert_false(zpool_has_pool(NULL));
	assert_string_equal(zpool_driver_name(0), "zbud");
	for (unsigned i = 0; zpool_driver_name(i); i++)
		assert_true(zpool_has_pool(zpool_driver_name(i)));
	errno = 0;
	assert_null(zpool_create_pool("nope", "x", NULL));
	assert_int_equal(errno, ENOENT);
}

/* Each allocator's own account of itself is what it does: its largest
 * object (found by bisection, as a user once had to), whether it evicts and
 * compacts. */
static void test_drivers_describe_themselves(void **state)
{
	const struct zpool_info *info;

	(void)state;
	assert_null(zpool_info("nope"));
	assert_null(zpool_info(NULL));
	for (unsigned int i = 0; (info = zpool_driver_info(i)); i++) {
		struct zpool *pool = zpool_create_pool(info->type, "x", &ops);
		unsigned int lo = 0, hi = 1u << 20;
		unsigned long h;

		assert_ptr_equal(zpool_info(info->type), info);
		assert_string_equal(zpool_driver_name(i), info->type);
		assert_non_null(pool);
		while (lo < hi) {
			const unsigned int mid = (lo + hi + 1) / 2;

			if (zpool_malloc(pool, mid, &h))
				hi = mid - 1;
			else
				lo = mid;
		}
		assert_int_equal(lo, info->max_size);
		assert_int_equal(zpool_evictable(pool), info->evicts);
		assert_int_equal(zpool_shrink(pool, 1, NULL) == 0, info->evicts);
		if (!info->full_places)
			assert_null(info->full_name);
		zpool_destroy_pool(pool);
	}
	assert_int_equal(zpool_place_letter(ZPOOL_PLACE_SLOT), 'o');
	assert_string_equal(zpool_place_name(ZPOOL_PLACE_SLOT), "ok");
	for (int p = 0; p < ZPOOL_PLACE_NR; p++)
		for (int q = 0; q < p; q++) {
			assert_true(zpool_place_letter(p) != zpool_place_letter(q));
			assert_true(strcmp(zpool_place_name(p), zpool_place_name(q)));
		}
	assert_int_equal(zpool_place_letter(ZPOOL_PLACE_NR), '?');
}

/* Every driver through zpool: the limits, the largest object's bytes, the
 * calls that do nothing for it, and an empty pool again. */
static void test_every_driver(void **state)
{
	const struct zpool_info *info;

	(void)state;
	for (unsigned int i = 0; (info = zpool_driver_info(i)); i++) {
		struct zpool *pool = zpool_create_pool(info->type, "x", NULL);
		unsigned long h = 0;
		unsigned int reclaimed = 99;
		char msg[128], *p;

		assert_non_null(pool);
		assert_string_equal(zpool_get_type(pool), info->type);
		assert_false(zpool_evictable(pool)); /* no evict callback */
		assert_int_equal(zpool_malloc(pool, 0, &h), -EINVAL);
		assert_int_equal(zpool_malloc(pool, info->max_size + 1, &h), -ENOSPC);
		assert_int_equal(h, 0);
		assert_int_equal(zpool_malloc(pool, info->max_size, &h), 0);
		assert_true(zpool_handle_place(pool, h) != ZPOOL_PLACE_STALE);
		assert_int_equal(zpool_get_total_size(pool), 4096);
		assert_int_equal(zpool_shrink(pool, 1, &reclaimed), -EINVAL);
		assert_int_equal(reclaimed, 0);
		p = zpool_map_handle(pool, h, ZPOOL_MM_WO);
		memset(p, 0x5a, info->max_size);
		zpool_unmap_handle(pool, h);
		p = zpool_map_handle(pool, h, ZPOOL_MM_RO);
		assert_int_equal(p[0], 0x5a);
		assert_int_equal(p[info->max_size - 1], 0x5a);
		zpool_unmap_handle(pool, h);
		assert_int_equal(zpool_compact(pool), 0);
		assert_int_equal(zpool_check(pool, msg, sizeof(msg)), 0);
		zpool_free(pool, h);
		assert_int_equal(zpool_get_total_size(pool), 0);
		zpool_destroy_pool(pool);
	}
}

static void test_basic_calls(void **state)
{
	int token;
	const struct zpool_config cfg = { .private_data = &token };
	struct zpool *pool = zpool_create_pool_config("zbud", "mine", &ops, &cfg);
	unsigned long a, b;
	char *p;

	(void)state;
	assert_non_null(pool);
	assert_string_equal(zpool_get_type(pool), "zbud");
	assert_string_equal(zpool_get_name(pool), "mine");
	assert_ptr_equal(zpool_get_private(pool), &token);
	assert_true(zpool_evictable(pool));
	assert_int_equal(zpool_malloc(pool, 0, &a), -EINVAL);
	assert_int_equal(zpool_malloc(pool, 4000, &a), -ENOSPC);
	assert_int_equal(zpool_malloc(pool, 1000, &a), 0);
	assert_int_equal(zpool_malloc(pool, 1000, &b), 0);
	assert_int_equal(zpool_handle_place(pool, a), ZPOOL_PLACE_FIRST);
	assert_int_equal(zpool_handle_place(pool, b), ZPOOL_PLACE_LAST);
	assert_int_equal(zpool_get_total_size(pool), 4096); /* bytes, not pages */
	p = zpool_map_handle(pool, a, ZPOOL_MM_WO);
	memcpy(p, "hello", 6);
	zpool_unmap_handle(pool, a);
	p = zpool_map_handle(pool, a, ZPOOL_MM_RO);
	assert_string_equal(p, "hello");
	zpool_unmap_handle(pool, a);
	assert_int_equal(zpool_check(pool, NULL, 0), 0);
	zpool_free(pool, a);
	zpool_free(pool, b);
	assert_int_equal(zpool_get_total_size(pool), 0);
	zpool_destroy_pool(pool);
	zpool_destroy_pool(NULL);
}

/* zpool_shrink reclaims page by page and reports how many it freed. */
static void test_shrink(void **state)
{
	struct zpool *pool = zpool_create_pool("zbud", "s", &ops);
	unsigned long h;
	unsigned int got = 99;

	(void)state;
	for (int i = 0; i < 10; i++)
		assert_int_equal(zpool_malloc(pool, 3000, &h), 0);
	evictions = 0;
	assert_int_equal(zpool_shrink(pool, 4, &got), 0);
	assert_int_equal(got, 4);
	assert_int_equal(evictions, 4);
	assert_int_equal(zpool_get_total_size(pool), 6 * 4096);
	assert_int_equal(zpool_shrink(pool, 0, &got), -EINVAL);
	assert_int_equal(got, 0);
	assert_int_equal(zpool_shrink(pool, 100, &got), -EINVAL); /* emptied after 6 */
	assert_int_equal(got, 6);
	assert_int_equal(zpool_reclaim_page(pool, 1), -EINVAL);
	zpool_destroy_pool(pool);
}

/* Without ops a pool is not evictable and cannot shrink; with ops but no
 * evict, every eviction is refused (-ENOENT), as in the kernel. */
static void test_not_evictable(void **state)
{
	static const struct zpool_ops no_evict = { 0 };
	struct zpool *pool = zpool_create_pool("zbud", "n", NULL);
	unsigned long h;
	unsigned int got;

	(void)state;
	assert_false(zpool_evictable(pool));
	assert_int_equal(zpool_malloc(pool, 100, &h), 0);
	assert_int_equal(zpool_shrink(pool, 1, &got), -EINVAL);
	assert_int_equal(got, 0);
	zpool_destroy_pool(pool);

	pool = zpool_create_pool("zbud", "n", &no_evict);
	assert_false(zpool_evictable(pool));
	assert_int_equal(zpool_malloc(pool, 100, &h), 0);
	assert_int_equal(zpool_reclaim_page(pool, 3), -EAGAIN);
	assert_int_equal(zpool_get_total_size(pool), 4096);
	zpool_destroy_pool(pool);
}

/* A fixed buffer through zpool. */
static void test_buffer_source(void **state)
{
	static char buf[4 * 4100];
	const struct zpool_config cfg = { .source = { .buffer = buf, .buffer_size = sizeof(buf) } };
	struct zpool *pool = zpool_create_pool_config("zbud", "b", NULL, &cfg);
	unsigned long h;
	int n = 0;

	(void)state;
	assert_non_null(pool);
	while (zpool_malloc(pool, 3000, &h) == 0)
		n++;
	assert_int_equal(n, 3); /* 16400 bytes: 3 pages and their descriptors */
	assert_int_equal(zpool_malloc(pool, 3000, &h), -ENOMEM);
	zpool_destroy_pool(pool);
}

/* The walk shows each page's header, FIRST and LAST where they are. */
static void test_walk(void **state)
{
	struct zpool *pool = zpool_create_pool("zbud", "w", NULL);
	struct seen seen = { 0 };
	unsigned long a, b, c;

	(void)state;
	assert_int_equal(zpool_malloc(pool, 1000, &a), 0);
	assert_int_equal(zpool_malloc(pool, 3000, &b), 0);
	assert_int_equal(zpool_malloc(pool, 3000, &c), 0);
	zpool_free(pool, a);
	assert_int_equal(zpool_walk(pool, record, &seen), 0);
	assert_int_equal(seen.pages, 2);
	assert_string_equal(seen.layout[0], "h0-64 L1088-4096 ");
	assert_string_equal(seen.layout[1], "h0-64 F64-3072 ");
	zpool_destroy_pool(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_drivers_describe_themselves),
		cmocka_unit_test(test_every_driver),
		cmocka_unit_test(test_basic_calls),
		cmocka_unit_test(test_shrink),
		cmocka_unit_test(test_not_evictable),
		cmocka_unit_test(test_buffer_source),
		cmocka_unit_test(test_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
