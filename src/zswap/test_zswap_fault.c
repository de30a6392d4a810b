/*
 * test_zswap_fault.c - no stored page is ever lost or changed, whatever fails
 *
 * A workload of stores, loads, invalidations and shrinks runs on a small
 * store with a pool limit, a backing file and raw pages, first to count the
 * calls at each fault site (page allocation, metadata allocation,
 * compression, backing-file write), then once for every N with the Nth call
 * at one site failing.  A model of what the store must hold is kept beside
 * it: a store that returned 0 must load back byte for byte until the key is
 * stored again or invalidated; a store that failed must leave the key absent.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fault.h"
#include "zswap.h"
#include "zswap_pages.h"

#define KEYS 48
#define OPS 400
#define ABSENT UINT64_MAX

static const char *const site_names[ZBUD_FAULT_NR] = { "page", "metadata", "compress", "write" };

static void expect_page(struct zswap *zs, uint64_t key, uint64_t seed, const char *when)
{
	unsigned char want[PAGE], got[PAGE];
	int err = zswap_load(zs, key, got);

	if (seed == ABSENT) {
		if (err != -ENOENT)
			fail_msg("%s: key %llu should be absent, load gave %d", when,
				 (unsigned long long)key, err);
		return;
	}
	mixed_page(want, seed);
	if (err || memcmp(want, got, PAGE))
		fail_msg("%s: key %llu lost or changed (load %d)", when, (unsigned long long)key, err);
}

/* Returns how many calls failed; fails the test if a page was lost. */
static int workload(const char *when)
{
	char path[128];
	struct zswap_config cfg = {
		.max_pool_bytes = 12 * PAGE, .shards = 2, .writeback_path = path,
		.flags = ZSWAP_STORE_INCOMPRESSIBLE,
	};
	uint64_t model[KEYS], s = 12345;
	unsigned char page[PAGE];
	struct zswap *zs;
	int failed = 0;

	snprintf(path, sizeof(path), "/tmp/zswap-fault-%d", (int)getpid());
	unlink(path);
	zs = zswap_create(&cfg);
	if (!zs)
		return 1; /* creation itself failed: nothing to check */
	for (int k = 0; k < KEYS; k++)
		model[k] = ABSENT;
	for (int op = 0; op < OPS; op++) {
		uint64_t r = page_rng(&s), key = r % KEYS;

		switch ((r >> 8) % 8) {
		case 0:
			zswap_invalidate(zs, key);
			model[key] = ABSENT;
			break;
		case 1: {
			long n = zswap_shrink(zs, 2);

			failed += n < 0;
			break;
		}
		case 2:
		case 3:
			expect_page(zs, key, model[key], when);
			break;
		default:
			mixed_page(page, (uint64_t)op);
			if (zswap_store(zs, key, page)) {
				failed++;
				model[key] = ABSENT;
			} else {
				model[key] = (uint64_t)op;
			}
		}
	}
	for (uint64_t k = 0; k < KEYS; k++)
		expect_page(zs, k, model[k], when);
	zswap_destroy(zs);
	return failed;
}

static void test_every_fault(void **state)
{
	uint64_t calls[ZBUD_FAULT_NR];

	(void)state;
	for (int site = 0; site < ZBUD_FAULT_NR; site++)
		zbud_fault_arm(site, 0);
	assert_int_equal(workload("no fault"), 0);
	for (int site = 0; site < ZBUD_FAULT_NR; site++) {
		calls[site] = zbud_fault_calls(site);
		assert_true(calls[site] > 0);
	}
	for (int site = 0; site < ZBUD_FAULT_NR; site++) {
		for (uint64_t n = 1; n <= calls[site]; n++) {
			char when[64];

			snprintf(when, sizeof(when), "%s call %llu failing", site_names[site],
				 (unsigned long long)n);
			zbud_fault_arm(site, n);
			workload(when); /* checks every key as it goes */
			zbud_fault_arm(site, 0);
		}
		print_message("%s: %llu calls, each failed once\n", site_names[site],
			      (unsigned long long)calls[site]);
	}
}

/* A compressor that fails refuses the store (reject_compress_fail, as Linux
 * v6.7 counts it), or, with ZSWAP_STORE_INCOMPRESSIBLE, keeps the page raw
 * (stored_incompressible_pages, as v6.18 does). */
static void test_compress_fail_counts(void **state)
{
	const struct zswap_config raw = { .flags = ZSWAP_STORE_INCOMPRESSIBLE, .shards = 1 };
	unsigned char page[PAGE], got[PAGE];
	struct zswap_stats st;
	struct zswap *zs;

	(void)state;
	mixed_page(page, 7);
	for (int keep_raw = 0; keep_raw < 2; keep_raw++) {
		zs = zswap_create(keep_raw ? &raw : NULL);
		assert_non_null(zs);
		zbud_fault_arm(ZBUD_FAULT_COMPRESS, 1);
		assert_int_equal(zswap_store(zs, 1, page), keep_raw ? 0 : -EIO);
		zbud_fault_arm(ZBUD_FAULT_COMPRESS, 0);
		zswap_get_stats(zs, &st);
		assert_int_equal(st.reject_compress_fail, keep_raw ? 0 : 1);
		assert_int_equal(st.stored_incompressible_pages, keep_raw ? 1 : 0);
		assert_int_equal(st.stored_pages, keep_raw ? 1 : 0);
		assert_int_equal(zswap_load(zs, 1, got), keep_raw ? 0 : -ENOENT);
		assert_true(!keep_raw || !memcmp(page, got, PAGE));
		zswap_destroy(zs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compress_fail_counts),
		cmocka_unit_test(test_every_fault),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
