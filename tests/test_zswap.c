/*
 * test_zswap.c - the store's behaviour, one test per rule
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define ZSWAP_STATIC_LINKING_ONLY
#define ZPOOL_STATIC_LINKING_ONLY
#include "zpool.h"
#include "zswap.h"
#include "zswap_pages.h"

static unsigned char page[PAGE], back[PAGE];

static struct zswap *create(const struct zswap_config *cfg)
{
	struct zswap *zs = zswap_create(cfg);

	if (!zs)
		fail_msg("zswap_create: %s", strerror(errno));
	return zs;
}

static void assert_loads(struct zswap *zs, uint64_t key, const void *want)
{
	memset(back, 0xa5, PAGE);
	assert_int_equal(zswap_load(zs, key, back), 0);
	assert_memory_equal(back, want, PAGE);
}

/* Text pages 0 .. @n - 1 under keys 0 .. @n - 1: stored, then loaded back. */
static void round_trip_text(struct zswap *zs, uint64_t n)
{
	for (uint64_t k = 0; k < n; k++) {
		text_page(page, k);
		assert_int_equal(zswap_store(zs, k, page), 0);
	}
	for (uint64_t k = 0; k < n; k++) {
		text_page(page, k);
		assert_loads(zs, k, page);
	}
}

static struct zswap_stats stats(struct zswap *zs)
{
	struct zswap_stats st;

	zswap_get_stats(zs, &st);
	return st;
}

/* Text pages round-trip through every compressor and allocator. */
static void test_round_trip_everywhere(void **state)
{
	(void)state;
	for (unsigned c = 0; zswap_compressor_name(c); c++) {
		for (unsigned a = 0; zpool_driver_name(a); a++) {
			const struct zswap_config cfg = {
				.compressor = zswap_compressor_name(c), .zpool = zpool_driver_name(a),
			};
			struct zswap *zs = create(&cfg);

			round_trip_text(zs, 64);
			assert_true(stats(zs).compr_data_size < stats(zs).orig_data_size);
			zswap_destroy(zs);
		}
	}
}

static void test_bad_config(void **state)
{
	const struct zswap_config bad[] = {
		{ .compressor = "lz5" },
		{ .zpool = "zbud3" },
		{ .compressor = "zstd", .level = 99 },
		{ .compressor = "lz4", .level = 3 },
		{ .accept_threshold_percent = 101 },
		{ .max_pool_percent = 20 },     /* of no stated memory */
		{ .flags = 0x100 },
		{ .shards = 1000 },
		{ .source_flags = 0x4 },
		{ .source_flags = ZBUD_SOURCE_HUGEPAGES | ZBUD_SOURCE_SMALLPAGES },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_null(zswap_create(&bad[i]));
		assert_int_equal(errno, EINVAL);
	}
	zswap_destroy(NULL);
}

/* Same-filled pages are one word: no pool memory; switchable off. */
static void test_same_filled(void **state)
{
	struct zswap *zs = create(NULL);
	const struct zswap_config off = { .flags = ZSWAP_NO_SAME_FILLED };
	struct zswap_stats st;

	(void)state;
	same_page(page, 0);
	assert_int_equal(zswap_store(zs, 1, page), 0);
	same_page(page, 0x0123456789abcdefUL);
	assert_int_equal(zswap_store(zs, 2, page), 0);
	st = stats(zs);
	assert_int_equal(st.same_filled_pages, 2);
	assert_int_equal(st.stored_pages, 2); /* as Linux counts them */
	assert_int_equal(st.orig_data_size, 2 * PAGE);
	assert_int_equal(st.compr_data_size, 0);
	assert_int_equal(st.pool_total_size, 0);
	assert_loads(zs, 2, page);
	same_page(page, 0);
	assert_loads(zs, 1, page);
	zswap_destroy(zs);

	zs = create(&off);
	assert_int_equal(zswap_store(zs, 1, page), 0);
	st = stats(zs);
	assert_int_equal(st.same_filled_pages, 0);
	assert_int_equal(st.stored_pages, 1);
	assert_true(st.pool_total_size > 0);
	assert_loads(zs, 1, page);
	zswap_destroy(zs);
}

static void test_non_same_filled_off(void **state)
{
	const struct zswap_config cfg = { .flags = ZSWAP_NO_NON_SAME_FILLED };
	struct zswap *zs = create(&cfg);

	(void)state;
	text_page(page, 1);
	assert_int_equal(zswap_store(zs, 1, page), -EPERM);
	assert_int_equal(zswap_load(zs, 1, back), -ENOENT);
	same_page(page, 7);
	assert_int_equal(zswap_store(zs, 2, page), 0);
	zswap_destroy(zs);
}

/* A page that does not compress is refused; or kept raw if asked. */
static void test_incompressible(void **state)
{
	const struct zswap_config raw = { .flags = ZSWAP_STORE_INCOMPRESSIBLE };
	struct zswap *zs = create(NULL);
	struct zswap_stats st;

	(void)state;
	random_page(page, 3);
	assert_int_equal(zswap_store(zs, 1, page), -ENOSPC);
	assert_int_equal(zswap_load(zs, 1, back), -ENOENT);
	st = stats(zs);
	assert_int_equal(st.reject_compress_poor, 1);
	assert_int_equal(st.zbud_mem_used_total, 0);
	zswap_destroy(zs);

	zs = create(&raw);
	assert_int_equal(zswap_store(zs, 1, page), 0);
	assert_loads(zs, 1, page);
	st = stats(zs);
	assert_int_equal(st.stored_incompressible_pages, 1);
	assert_int_equal(st.stored_pages, 1);
	assert_int_equal(st.compr_data_size, PAGE);
	assert_int_equal(st.pool_total_size, PAGE);
	assert_int_equal(st.reject_compress_poor, 0);
	zswap_invalidate(zs, 1);
	assert_int_equal(stats(zs).stored_incompressible_pages, 0);
	zswap_destroy(zs);
}

/* A key stored again is replaced; if the new store fails, the key is gone:
 * never the old, stale bytes. */
static void test_duplicate(void **state)
{
	struct zswap *zs = create(NULL);

	(void)state;
	text_page(page, 1);
	assert_int_equal(zswap_store(zs, 9, page), 0);
	text_page(page, 2);
	assert_int_equal(zswap_store(zs, 9, page), 0);
	assert_loads(zs, 9, page);
	assert_int_equal(stats(zs).duplicate_entry, 1);
	assert_int_equal(stats(zs).stored_pages, 1);
	random_page(page, 5);
	assert_int_equal(zswap_store(zs, 9, page), -ENOSPC);
	assert_int_equal(zswap_load(zs, 9, back), -ENOENT);
	assert_int_equal(stats(zs).duplicate_entry, 2);
	assert_int_equal(stats(zs).stored_pages, 0);
	zswap_destroy(zs);
}

static void test_load_invalidate_exclusive(void **state)
{
	const struct zswap_config excl = { .flags = ZSWAP_EXCLUSIVE_LOADS };
	struct zswap *zs = create(NULL);

	(void)state;
	assert_int_equal(zswap_load(zs, 5, back), -ENOENT);
	text_page(page, 5);
	assert_int_equal(zswap_store(zs, 5, page), 0);
	assert_loads(zs, 5, page);
	assert_loads(zs, 5, page);
	zswap_invalidate(zs, 5);
	zswap_invalidate(zs, 5);
	assert_int_equal(zswap_load(zs, 5, back), -ENOENT);
	assert_int_equal(stats(zs).zbud_load_misses, 2);
	assert_int_equal(stats(zs).zswpin, 2);
	assert_int_equal(stats(zs).zbud_loads, 4);
	assert_int_equal(stats(zs).zbud_mem_used_total, 0);
	zswap_destroy(zs);

	zs = create(&excl);
	assert_int_equal(zswap_store(zs, 5, page), 0);
	assert_loads(zs, 5, page);
	assert_int_equal(zswap_load(zs, 5, back), -ENOENT);
	zswap_destroy(zs);
}

/* A fresh store's counters are all zero: zswap_get_stats() fills every
 * field, none left as the caller's bytes. */
static void test_stats_every_field(void **state)
{
	struct zswap *zs = create(NULL);
	struct zswap_stats st;
	uint64_t words[sizeof(st) / sizeof(uint64_t)];

	(void)state;
	memset(&st, 0xa5, sizeof(st));
	zswap_get_stats(zs, &st);
	memcpy(words, &st, sizeof(st));
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		assert_int_equal(words[i], 0);
	zswap_destroy(zs);
}

/* The counters add up. */
static void test_stats(void **state)
{
	struct zswap *zs = create(NULL);
	struct zswap_stats st;

	(void)state;
	for (uint64_t k = 0; k < 200; k++) {
		text_page(page, k);
		assert_int_equal(zswap_store(zs, k, page), 0);
	}
	st = stats(zs);
	assert_int_equal(st.zbud_stores, 200);
	assert_int_equal(st.zswpout, 200);
	assert_int_equal(st.stored_pages, 200);
	assert_int_equal(st.orig_data_size, 200 * PAGE);
	assert_true(st.compr_data_size <= st.pool_total_size);
	assert_true(st.pool_total_size % PAGE == 0);
	assert_int_equal(st.mem_used_total, st.pool_total_size);
	assert_int_equal(st.mem_used_max, st.mem_used_total);
	assert_true(st.zbud_mem_used_total > st.pool_total_size);
	assert_true(st.zbud_mem_used_max >= st.zbud_mem_used_total);
	for (uint64_t k = 0; k < 200; k++)
		zswap_invalidate(zs, k);
	st = stats(zs);
	assert_int_equal(st.zbud_invalidates, 200);
	assert_int_equal(st.stored_pages, 0);
	assert_int_equal(st.pool_total_size, 0);
	assert_int_equal(st.compr_data_size, 0);
	assert_int_equal(st.orig_data_size, 0);
	assert_int_equal(st.mem_used_total, 0);
	assert_int_equal(st.zbud_mem_used_total, 0);
	assert_true(st.mem_used_max > 0);
	assert_true(st.zbud_mem_used_max > st.mem_used_max);
	zswap_destroy(zs);
}

/* Once the limit is hit, stores are refused until the pool is back under
 * the accept threshold. */
static void test_limit_hysteresis(void **state)
{
	const struct zswap_config cfg = {
		.max_pool_percent = 10, .total_ram_bytes = 1000 * PAGE,  /* 100 pages */
		.accept_threshold_percent = 50, .shards = 1,
	};
	struct zswap *zs = create(&cfg);
	uint64_t k = 0, stored;
	int err;

	(void)state;
	do {
		text_page(page, k);
		err = zswap_store(zs, k++, page);
	} while (!err);
	assert_int_equal(err, -ENOMEM);
	stored = k - 1;
	assert_true(stats(zs).pool_total_size > 100 * PAGE);
	assert_int_equal(stats(zs).pool_limit_hit, 1);
	/* Under the limit, but not under half of it: still refused. */
	for (uint64_t i = 0; stats(zs).pool_total_size > 80 * PAGE; i++)
		zswap_invalidate(zs, i);
	text_page(page, k);
	assert_int_equal(zswap_store(zs, k, page), -ENOMEM);
	assert_int_equal(stats(zs).pool_limit_hit, 1);
	/* Under half: accepted again. */
	for (uint64_t i = 0; i < stored && stats(zs).pool_total_size >= 50 * PAGE; i++)
		zswap_invalidate(zs, i);
	assert_int_equal(zswap_store(zs, k, page), 0);
	assert_loads(zs, k, page);
	zswap_destroy(zs);
}

/* A tiny limit still works: the accept threshold (rounded up) is above an
 * empty pool, so writeback can always bring the store back.  A percent of
 * a tiny total_ram_bytes that comes to no byte is refused, not "no limit". */
static void test_tiny_limits(void **state)
{
	const uint64_t limits[] = { 1, 99, 100, PAGE - 1, PAGE };
	const struct zswap_config nothing = { .max_pool_percent = 20, .total_ram_bytes = 4 };
	const struct zswap_config some = { .max_pool_percent = 20, .total_ram_bytes = 5 };
	char path[64];

	(void)state;
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct zswap_config cfg = { .max_pool_bytes = limits[i], .writeback_path = path,
					    .shards = 1 };
		struct zswap *zs;

		snprintf(path, sizeof(path), "/tmp/zswap-tiny-%d", (int)getpid());
		unlink(path);
		zs = create(&cfg);
		round_trip_text(zs, 20);
		assert_true(stats(zs).written_back_pages >= 18);
		zswap_destroy(zs);
	}
	errno = 0;
	assert_null(zswap_create(&nothing));
	assert_int_equal(errno, EINVAL);
	zswap_destroy(create(&some)); /* 1 byte */
}

/* arena_pages is each pool's hard end: the store past it is refused with
 * -ENOMEM and counted as reject_alloc_fail; what is stored loads back, a
 * same-filled page needs no pool page, and a freed slot takes a store
 * again. */
static void test_arena_pages(void **state)
{
	(void)state;
	for (unsigned a = 0; zpool_driver_name(a); a++) {
		const struct zswap_config cfg = { .zpool = zpool_driver_name(a), .shards = 1,
						  .arena_pages = 8 };
		struct zswap *zs = create(&cfg);
		uint64_t k = 0;
		int err;

		do {
			text_page(page, k);
			err = zswap_store(zs, k++, page);
		} while (!err && k < 10000);
		assert_int_equal(err, -ENOMEM);
		k--;
		assert_true(k >= 1);
		assert_int_equal(stats(zs).reject_alloc_fail, 1);
		assert_true(stats(zs).pool_total_size <= 8 * PAGE);
		assert_int_equal(zswap_load(zs, k, back), -ENOENT);
		for (uint64_t i = 0; i < k; i++) {
			text_page(page, i);
			assert_loads(zs, i, page);
		}
		memset(page, 0, PAGE);
		assert_int_equal(zswap_store(zs, k, page), 0);
		zswap_invalidate(zs, 0);
		text_page(page, 0);
		assert_int_equal(zswap_store(zs, 0, page), 0);
		assert_loads(zs, 0, page);
		zswap_destroy(zs);
	}
}

/*
 * zswap_compact(): after a random half of the pages is invalidated, a pool
 * that compacts gives pages back, and every page left loads as stored; the
 * pool's size in the counters follows it.  A pool that cannot compact
 * frees nothing and changes nothing.  Both page backings.
 */
static void test_compact(void **state)
{
	static const unsigned int backing[] = { 0, ZBUD_SOURCE_SMALLPAGES };
	const uint64_t n = 3000;

	(void)state;
	for (unsigned a = 0; zpool_driver_info(a); a++) {
		for (unsigned b = 0; b < 2; b++) {
			const struct zpool_info *info = zpool_driver_info(a);
			const struct zswap_config cfg = { .zpool = info->type, .shards = 2,
							  .source_flags = backing[b] };
			struct zswap *zs = create(&cfg);
			uint64_t s = 12345, before, after;
			bool gone[3000] = { false };
			long freed;

			for (uint64_t k = 0; k < n; k++) {
				text_page(page, k);
				assert_int_equal(zswap_store(zs, k, page), 0);
			}
			for (uint64_t k = 0; k < n; k++)
				if (page_rng(&s) & 1) {
					zswap_invalidate(zs, k);
					gone[k] = true;
				}
			before = stats(zs).pool_total_size;
			freed = zswap_compact(zs);
			after = stats(zs).pool_total_size;
			if (info->compacts) {
				assert_true(freed > 0);
				assert_true(after < before);
				assert_true(before - after <= (uint64_t)freed * PAGE);
				assert_int_equal(stats(zs).pages_compacted, freed);
			} else {
				assert_int_equal(freed, 0);
				assert_int_equal(after, before);
				assert_int_equal(stats(zs).pages_compacted, 0);
			}
			assert_true(stats(zs).mem_used_max >= before);
			assert_int_equal(zswap_compact(zs) >= 0, 1);
			for (uint64_t k = 0; k < n; k++) {
				text_page(page, k);
				if (gone[k])
					assert_int_equal(zswap_load(zs, k, back), -ENOENT);
				else
					assert_loads(zs, k, page);
			}
			zswap_destroy(zs);
		}
	}
	assert_int_equal(zswap_compact(NULL), -EINVAL);
}

/* NULL where the header does not say it may be: refused, never a crash. */
static void test_null(void **state)
{
	const struct zswap_config empty_path = { .writeback_path = "" };
	struct zswap *zs = create(NULL);
	struct zswap_stats st;
	unsigned long word = 1;

	(void)state;
	text_page(page, 1);
	assert_int_equal(zswap_store(NULL, 1, page), -EINVAL);
	assert_int_equal(zswap_store(zs, 1, NULL), -EINVAL);
	assert_int_equal(zswap_load(NULL, 1, back), -EINVAL);
	assert_int_equal(zswap_load(zs, 1, NULL), -EINVAL);
	assert_int_equal(zswap_shrink(NULL, 1), -EINVAL);
	zswap_invalidate(NULL, 1);
	zswap_get_stats(zs, NULL);
	memset(&st, 0xa5, sizeof(st));
	zswap_get_stats(NULL, &st);
	assert_int_equal(st.stored_pages, 0);
	assert_int_equal(st.zbud_mem_used_max, 0);
	errno = 0;
	assert_null(zswap_create(&empty_path));
	assert_int_equal(errno, EINVAL);
	assert_null(zswap_compressor_find(NULL));
	assert_false(zswap_page_same_filled(NULL, &word));
	same_page(page, 3);
	assert_true(zswap_page_same_filled(page, NULL));
	assert_int_equal(stats(zs).zbud_stores, 0);
	zswap_destroy(zs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_everywhere),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_same_filled),
		cmocka_unit_test(test_non_same_filled_off),
		cmocka_unit_test(test_incompressible),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_load_invalidate_exclusive),
		cmocka_unit_test(test_stats_every_field),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_limit_hysteresis),
		cmocka_unit_test(test_tiny_limits),
		cmocka_unit_test(test_arena_pages),
		cmocka_unit_test(test_compact),
		cmocka_unit_test(test_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
