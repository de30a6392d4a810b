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

			for (uint64_t k = 0; k < 64; k++) {
				text_page(page, k);
				assert_int_equal(zswap_store(zs, k, page), 0);
			}
			for (uint64_t k = 0; k < 64; k++) {
				text_page(page, k);
				assert_loads(zs, k, page);
			}
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

static char *tmp_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "/tmp/zswap-test-%d-%s", (int)getpid(), name);
	unlink(path);
	return path;
}

/* With a backing file, a full pool writes back its oldest pages; every page
 * loads back; the file is private and new. */
static void test_writeback(void **state)
{
	const struct zswap_config cfg = {
		.max_pool_bytes = 20 * PAGE, .writeback_path = tmp_path("wb"), .shards = 4,
	};
	struct zswap *zs = create(&cfg);
	struct zswap_stats st;
	struct stat sb;

	(void)state;
	assert_int_equal(stat(cfg.writeback_path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	for (uint64_t k = 0; k < 300; k++) {
		text_page(page, k);
		assert_int_equal(zswap_store(zs, k, page), 0);
	}
	st = stats(zs);
	assert_true(st.written_back_pages > 100);
	assert_true(st.pool_total_size <= 21 * PAGE);
	assert_int_equal(st.zbud_backing_pages + st.stored_pages, 300);
	assert_int_equal(st.written_back_pages, st.zbud_backing_pages);
	/* The oldest went first. */
	for (uint64_t k = 0; k < 300; k++) {
		text_page(page, k);
		assert_loads(zs, k, page);
	}
	/* Freed slots are reused: the file does not grow. */
	assert_int_equal(stat(cfg.writeback_path, &sb), 0);
	for (uint64_t k = 0; k < 300; k++)
		zswap_invalidate(zs, k);
	for (uint64_t k = 0; k < 200; k++) {
		text_page(page, k + 1000);
		assert_int_equal(zswap_store(zs, k + 1000, page), 0);
	}
	{
		struct stat after;

		assert_int_equal(stat(cfg.writeback_path, &after), 0);
		assert_true(after.st_size <= sb.st_size);
	}
	/* The path must be new. */
	errno = 0;
	assert_null(zswap_create(&cfg));
	assert_int_equal(errno, EEXIST);
	zswap_destroy(zs);
	assert_int_not_equal(access(cfg.writeback_path, F_OK), 0);
}

static void test_writeback_refuses_links(void **state)
{
	char *target = strdup(tmp_path("target"));
	const struct zswap_config cfg = { .writeback_path = tmp_path("link") };

	(void)state;
	assert_int_equal(symlink(target, cfg.writeback_path), 0);
	assert_null(zswap_create(&cfg));
	assert_int_not_equal(access(target, F_OK), 0);
	unlink(cfg.writeback_path);
	free(target);
}

/* zswap_shrink writes back on demand; a damaged or cut file gives -EIO. */
static void test_shrink_and_damage(void **state)
{
	const struct zswap_config cfg = { .writeback_path = tmp_path("dmg"), .shards = 2 };
	struct zswap *zs = create(&cfg);
	const struct zswap_config none = { 0 };
	struct zswap *plain = create(&none);
	int fd;

	(void)state;
	assert_int_equal(zswap_shrink(plain, 1), -EINVAL);
	zswap_destroy(plain);
	for (uint64_t k = 0; k < 10; k++) {
		text_page(page, k);
		assert_int_equal(zswap_store(zs, k, page), 0);
	}
	assert_int_equal(zswap_shrink(zs, 4), 4);
	assert_int_equal(stats(zs).zbud_backing_pages, 4);
	assert_int_equal(stats(zs).stored_pages, 6);
	assert_int_equal(zswap_shrink(zs, 100), 6);
	assert_int_equal(stats(zs).pool_total_size, 0);
	/* Flip a byte of one slot, cut the file short of another. */
	fd = open(cfg.writeback_path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 100), 1);
	assert_int_equal(ftruncate(fd, 8 * PAGE + 10), 0);
	close(fd);
	assert_int_equal(zswap_load(zs, 0, back), -EIO);
	assert_int_equal(zswap_load(zs, 0, back), -ENOENT); /* dropped */
	for (uint64_t k = 1; k < 8; k++) {
		text_page(page, k);
		assert_loads(zs, k, page);
	}
	assert_int_equal(zswap_load(zs, 8, back), -EIO);
	assert_int_equal(zswap_load(zs, 9, back), -EIO);
	assert_int_equal(stats(zs).zbud_load_errors, 3);
	assert_int_equal(stats(zs).decompress_fail, 0); /* the file, not the codec */
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
		cmocka_unit_test(test_writeback),
		cmocka_unit_test(test_writeback_refuses_links),
		cmocka_unit_test(test_shrink_and_damage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
