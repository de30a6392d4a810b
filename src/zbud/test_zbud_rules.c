/*
 * test_zbud_rules.c - one test per decision of Linux's zbud (mm/zbud.c, v6.1)
 *
 * Each test sets up the smallest pool that makes one rule visible and checks
 * the outcome the kernel would give: return codes, FIRST or LAST, which page
 * (handle >> 12), the page count, and what reclaim evicts, in which order.
 */
#define ZBUD_STATIC_LINKING_ONLY
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "evict_log.h"
#include "zbud.h"
#include "zbud_internal.h"

static int evict(struct zbud_pool *pool, unsigned long handle)
{
	if (evict_log_refuses(handle, zbud_get_pool_size(pool)))
		return -EBUSY;
	zbud_free(pool, handle);
	return 0;
}

static const struct zbud_ops ops = { .evict = evict };

static int setup(void **state)
{
	evict_log_clear();
	*state = zbud_create_pool(&ops);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	char msg[256];

	assert_int_equal(zbud_check_pool(*state, msg, sizeof(msg)), 0);
	zbud_destroy_pool(*state);
	return 0;
}

static unsigned long alloc_ok(struct zbud_pool *pool, size_t size)
{
	unsigned long h = 0;

	assert_int_equal(zbud_alloc(pool, size, &h), 0);
	assert_true(h != 0);
	return h;
}

static unsigned long page_of(unsigned long h)
{
	return h >> ZBUD_PAGE_SHIFT;
}

static unsigned long offset_of(unsigned long h)
{
	return h & (ZBUD_PAGE_SIZE - 1);
}

/* ---- sizes ---- */

static void test_size_limits(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long h = 12345;

	assert_int_equal(zbud_alloc(pool, 0, &h), -EINVAL);
	assert_int_equal(zbud_alloc(pool, ZBUD_MAX_SIZE + 1, &h), -ENOSPC);
	assert_int_equal(zbud_alloc(pool, SIZE_MAX, &h), -ENOSPC);
	assert_int_equal(h, 12345); /* a failed call changes nothing */
	assert_int_equal(zbud_get_pool_size(pool), 0);
	h = alloc_ok(pool, ZBUD_MAX_SIZE);
	assert_int_equal(offset_of(h), ZBUD_CHUNK_SIZE);
	h = alloc_ok(pool, 1); /* 62 + 1 chunks: the same page */
	assert_int_equal(offset_of(h), ZBUD_PAGE_SIZE - ZBUD_CHUNK_SIZE);
	assert_int_equal(zbud_get_pool_size(pool), 1);
}

/* Sizes round up to 64-byte chunks: LAST's offset shows how many. */
static void test_chunk_rounding(void **state)
{
	struct zbud_pool *pool = *state;
	static const struct { size_t size; unsigned chunks; } cases[] = {
		{ 1, 1 }, { 64, 1 }, { 65, 2 }, { 128, 2 }, { 129, 3 }, { 1984, 31 }, { 1985, 32 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long first = alloc_ok(pool, 64), last = alloc_ok(pool, cases[i].size);

		assert_int_equal(page_of(first), page_of(last));
		assert_int_equal(offset_of(last), ZBUD_PAGE_SIZE - cases[i].chunks * ZBUD_CHUNK_SIZE);
		zbud_free(pool, first);
		zbud_free(pool, last);
		assert_int_equal(zbud_get_pool_size(pool), 0);
	}
}

/* ---- placement ---- */

static void test_first_then_last_same_page(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long a = alloc_ok(pool, 100), b = alloc_ok(pool, 3000);

	assert_int_equal(zbud_handle_buddy(a), ZBUD_FIRST);
	assert_int_equal(zbud_handle_buddy(b), ZBUD_LAST);
	assert_int_equal(page_of(a), page_of(b));
	assert_int_equal(offset_of(a), 64);
	assert_int_equal(offset_of(b), 4096 - 47 * 64);
	assert_int_equal(zbud_get_pool_size(pool), 1);
}

/* free chunks = 63 - first - last: 31 + 32 fit exactly, 32 + 32 do not. */
static void test_exact_fit(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long a = alloc_ok(pool, 31 * 64), b = alloc_ok(pool, 32 * 64);
	unsigned long c = alloc_ok(pool, 32 * 64), d = alloc_ok(pool, 32 * 64 + 1);

	assert_int_equal(page_of(a), page_of(b));
	assert_int_not_equal(page_of(c), page_of(d));
	assert_int_equal(zbud_get_pool_size(pool), 3);
}

/* The lowest unbuddied list that fits wins, not the newest page. */
static void test_lowest_list_first(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long tight = alloc_ok(pool, 53 * 64); /* 10 free chunks */
	unsigned long roomy = alloc_ok(pool, 23 * 64); /* 40 free: 53 + 23 > 63 */
	unsigned long h;

	assert_int_not_equal(page_of(tight), page_of(roomy));
	h = alloc_ok(pool, 5 * 64);
	assert_int_equal(page_of(h), page_of(tight));
	h = alloc_ok(pool, 11 * 64); /* the tight page is full now */
	assert_int_equal(page_of(h), page_of(roomy));
}

/* Within one list, the page added last is taken first. */
static void test_list_is_lifo(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long p1 = alloc_ok(pool, 40 * 64), p2 = alloc_ok(pool, 40 * 64);
	unsigned long p3 = alloc_ok(pool, 40 * 64), h;

	/* All three pages sit on unbuddied[23]; p3's page was added last. */
	h = alloc_ok(pool, 64);
	assert_int_equal(page_of(h), page_of(p3));
	/* Freeing p3's partner re-adds that page at the head again. */
	zbud_free(pool, h);
	h = alloc_ok(pool, 64);
	assert_int_equal(page_of(h), page_of(p3));
	h = alloc_ok(pool, 64);
	assert_int_equal(page_of(h), page_of(p2));
	h = alloc_ok(pool, 64);
	assert_int_equal(page_of(h), page_of(p1));
}

/* A page that kept only its LAST buddy gives its next object the FIRST. */
static void test_free_first_refills_first(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long a = alloc_ok(pool, 1000), b = alloc_ok(pool, 1000), c;

	zbud_free(pool, a);
	c = alloc_ok(pool, 200);
	assert_int_equal(zbud_handle_buddy(c), ZBUD_FIRST);
	assert_int_equal(page_of(c), page_of(b));
	assert_int_equal(c, a); /* same place, same handle */
}

/* ---- lists and page counts ---- */

static void test_list_moves(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long a = alloc_ok(pool, 10 * 64), b = alloc_ok(pool, 20 * 64);
	struct zbud_stats st;

	zbud_get_stats(pool, &st);
	assert_int_equal(st.buddied_pages, 1);
	assert_int_equal(st.objects, 2);
	assert_int_equal(st.object_chunks, 30);
	zbud_free(pool, b); /* buddied -> unbuddied[63 - 10] */
	zbud_get_stats(pool, &st);
	assert_int_equal(st.buddied_pages, 0);
	assert_int_equal(st.unbuddied[53], 1);
	assert_int_equal(st.pages, 1);
	zbud_free(pool, a); /* empty -> freed */
	zbud_get_stats(pool, &st);
	assert_int_equal(st.pages, 0);
	assert_int_equal(st.unbuddied[53], 0);
}

/* An emptied pool gives every page back to its source. */
static void test_empty_pool_holds_nothing(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long h[300];

	for (int i = 0; i < 300; i++)
		h[i] = alloc_ok(pool, 3000);
	assert_int_equal(zbud_get_pool_size(pool), 300);
	for (int i = 0; i < 300; i++)
		zbud_free(pool, h[i]);
	assert_int_equal(zbud_get_pool_size(pool), 0);
	assert_int_equal(pool->src.in_use, 0);
	assert_int_equal(pool->src.next, 0);
	assert_int_equal(pool->src.hot_nr + pool->src.cold_nr, 0);
}

/* A handle that is not live is ignored, not a second free. */
static void test_stale_free_ignored(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long a = alloc_ok(pool, 500), b = alloc_ok(pool, 700);

	zbud_free(pool, b);
	zbud_free(pool, b);
	zbud_free(pool, a + 64);          /* not an object's start */
	zbud_free(pool, 1000UL << 12 | 64); /* a page never used */
	assert_int_equal(zbud_get_pool_size(pool), 1);
	assert_int_equal(zbud_check_pool(pool, NULL, 0), 0);
	zbud_free(pool, a);
	assert_int_equal(zbud_get_pool_size(pool), 0);
}

/* ---- the LRU ---- */

/* Allocating into a page makes it the newest: reclaim takes the other. */
static void test_alloc_moves_page_to_lru_head(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long old = alloc_ok(pool, 2000), young = alloc_ok(pool, 3000), h;

	assert_int_not_equal(page_of(old), page_of(young));
	h = alloc_ok(pool, 1900); /* 30 chunks: only old's page has room */
	assert_int_equal(page_of(h), page_of(old));
	assert_int_equal(zbud_reclaim_page(pool, 1), 0);
	assert_int_equal(ev.nseen, 1);
	assert_int_equal(ev.seen[0], young);
}

/* Freeing does not touch the LRU order. */
static void test_free_keeps_lru_order(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long a = alloc_ok(pool, 1000), a2 = alloc_ok(pool, 1000);
	unsigned long b = alloc_ok(pool, 3000);

	assert_int_equal(page_of(a), page_of(a2));
	zbud_free(pool, a2); /* a's page is still the older one */
	assert_int_equal(zbud_reclaim_page(pool, 1), 0);
	assert_int_equal(ev.nseen, 1);
	assert_int_equal(ev.seen[0], a);
	(void)b;
}

/* ---- reclaim ---- */

static void test_reclaim_einval(void **state)
{
	struct zbud_pool *pool = *state, *noops = zbud_create_pool(NULL);
	unsigned long h;

	assert_int_equal(zbud_reclaim_page(pool, 8), -EINVAL); /* empty */
	h = alloc_ok(pool, 10);
	assert_int_equal(zbud_reclaim_page(pool, 0), -EINVAL);
	assert_int_equal(ev.nseen, 0);
	assert_non_null(noops);
	h = alloc_ok(noops, 10);
	assert_int_equal(zbud_reclaim_page(noops, 8), -EINVAL); /* no callback */
	zbud_free(noops, h);
	zbud_destroy_pool(noops);
}

/* FIRST is evicted before LAST; the page is freed only after both. */
static void test_reclaim_first_then_last(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long a = alloc_ok(pool, 1500), b = alloc_ok(pool, 1500);

	assert_int_equal(zbud_reclaim_page(pool, 1), 0);
	assert_int_equal(ev.nseen, 2);
	assert_int_equal(ev.seen[0], a);
	assert_int_equal(ev.seen[1], b);
	/* zbud_free() inside the callback left the page to reclaim. */
	assert_int_equal(ev.pages_during, 1);
	assert_int_equal(zbud_get_pool_size(pool), 0);
}

/* A page holding LAST only: one callback, for LAST. */
static void test_reclaim_last_only(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long a = alloc_ok(pool, 1500), b = alloc_ok(pool, 1500);

	zbud_free(pool, a);
	assert_int_equal(zbud_reclaim_page(pool, 1), 0);
	assert_int_equal(ev.nseen, 1);
	assert_int_equal(ev.seen[0], b);
}

/* A refused FIRST ends the page's turn: LAST is not asked; the page goes
 * to the LRU head and the next tail page is tried. */
static void test_reclaim_refused_first(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long a = alloc_ok(pool, 1500), b = alloc_ok(pool, 1500);
	unsigned long c = alloc_ok(pool, 3000);

	refuse(a);
	assert_int_equal(zbud_reclaim_page(pool, 2), 0);
	assert_int_equal(ev.nseen, 2);
	assert_int_equal(ev.seen[0], a);
	assert_int_equal(ev.seen[1], c);
	assert_int_equal(zbud_get_pool_size(pool), 1);
	(void)b;
}

/* A refused LAST after an evicted FIRST: the page keeps LAST, becomes
 * unbuddied and newest, and reclaim fails when out of retries. */
static void test_reclaim_refused_last(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long a = alloc_ok(pool, 10 * 64), b = alloc_ok(pool, 20 * 64), h;
	struct zbud_stats st;

	refuse(b);
	assert_int_equal(zbud_reclaim_page(pool, 1), -EAGAIN);
	assert_int_equal(ev.nseen, 2);
	zbud_get_stats(pool, &st);
	assert_int_equal(st.unbuddied[43], 1);
	h = alloc_ok(pool, 64);
	assert_int_equal(h, a); /* FIRST's place is free again */
}

/* Retries count pages: a lone page refused is retried each time. */
static void test_reclaim_retries(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long a = alloc_ok(pool, 100);

	refuse(a);
	assert_int_equal(zbud_reclaim_page(pool, 3), -EAGAIN);
	assert_int_equal(ev.nseen, 3);
	assert_int_equal(zbud_get_pool_size(pool), 1);
}

/* Each retry takes the LRU tail; a refused page goes back at the head,
 * so reclaim walks the LRU from the oldest page. */
static void test_reclaim_walks_lru(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long h[4];

	for (int i = 0; i < 4; i++) {
		h[i] = alloc_ok(pool, 3000);
		refuse(h[i]);
	}
	assert_int_equal(zbud_reclaim_page(pool, 6), -EAGAIN);
	assert_int_equal(ev.nseen, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(ev.seen[i], h[i % 4]);
}

/* ---- data ---- */

static void test_data_survives(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long h[64];
	size_t size[64];

	for (int i = 0; i < 64; i++) {
		size[i] = 1 + (size_t)i * 61;
		h[i] = alloc_ok(pool, size[i]);
		memset(zbud_map(pool, h[i]), i, size[i]);
		zbud_unmap(pool, h[i]);
	}
	for (int i = 0; i < 64; i += 2)
		zbud_free(pool, h[i]);
	for (int i = 0; i < 64; i += 2)
		h[i] = alloc_ok(pool, size[i]); /* fill the holes with other bytes */
	for (int i = 0; i < 64; i += 2)
		memset(zbud_map(pool, h[i]), 0xff, size[i]);
	for (int i = 1; i < 64; i += 2) {
		const unsigned char *p = zbud_map(pool, h[i]);

		for (size_t j = 0; j < size[i]; j++)
			assert_int_equal(p[j], i);
	}
}

/* ---- beyond the kernel ---- */

static void test_private_and_config(void **state)
{
	int token;
	const struct zbud_config cfg = { .ops = &ops, .private_data = &token };
	struct zbud_pool *pool = zbud_create_pool_config(&cfg);

	(void)state;
	assert_non_null(pool);
	assert_ptr_equal(zbud_get_private(pool), &token);
	zbud_destroy_pool(pool);
	pool = zbud_create_pool_config(NULL);
	assert_non_null(pool);
	assert_null(zbud_get_private(pool));
	zbud_destroy_pool(pool);
	zbud_destroy_pool(NULL);
}

/* The checker finds a corrupted descriptor. */
static void test_checker_catches_corruption(void **state)
{
	struct zbud_pool *pool = *state;
	unsigned long a = alloc_ok(pool, 1000), b = alloc_ok(pool, 2000);
	struct zbud_page *zp = zbud_page(pool, (uint32_t)page_of(a));
	char msg[256];

	(void)b;
	zp->chunks[ZBUD_FIRST] = 40; /* 40 + 32 > 63: FIRST now overlaps LAST */
	assert_int_equal(zbud_check_pool(pool, msg, sizeof(msg)), -EUCLEAN);
	assert_non_null(strstr(msg, "overlaps"));
	zp->chunks[ZBUD_FIRST] = 16;
	assert_int_equal(zbud_check_pool(pool, msg, sizeof(msg)), 0);
	zp->lru.prev = 7;
	assert_int_equal(zbud_check_pool(pool, msg, sizeof(msg)), -EUCLEAN);
	assert_non_null(strstr(msg, "LRU"));
	zp->lru.prev = ZBUD_PAGE_NIL;
	pool->buddied_nr++;
	assert_int_equal(zbud_check_pool(pool, msg, sizeof(msg)), -EUCLEAN);
	pool->buddied_nr--;
}

/* A pool that cannot reclaim keeps no LRU, and makes every other decision
 * as one that can: the same calls give the same handles and pool sizes. */
static void test_no_evict_keeps_no_lru(void **state)
{
	struct zbud_pool *with = *state, *without = zbud_create_pool(NULL);
	static const struct zbud_ops no_evict = { .evict = NULL };
	struct zbud_pool *null_evict = zbud_create_pool(&no_evict);
	unsigned long hw[64] = { 0 }, hn[64] = { 0 }, hz[64] = { 0 };
	uint64_t seed = 7;

	assert_non_null(without);
	assert_non_null(null_evict);
	for (int op = 0; op < 4000; op++) {
		int i;
		size_t size;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		i = (int)(seed >> 58);
		size = 1 + (size_t)(seed >> 20) % ZBUD_MAX_SIZE;
		if (hw[i]) {
			zbud_free(with, hw[i]);
			zbud_free(without, hn[i]);
			zbud_free(null_evict, hz[i]);
			hw[i] = hn[i] = hz[i] = 0;
		} else {
			hw[i] = alloc_ok(with, size);
			hn[i] = alloc_ok(without, size);
			hz[i] = alloc_ok(null_evict, size);
			assert_int_equal(hn[i], hw[i]);
			assert_int_equal(hz[i], hw[i]);
		}
		assert_int_equal(zbud_get_pool_size(without), zbud_get_pool_size(with));
	}
	assert_true(zbud_plist_empty(&without->lru));
	assert_true(zbud_plist_empty(&null_evict->lru));
	assert_false(zbud_plist_empty(&with->lru));
	assert_int_equal(zbud_check_pool(without, NULL, 0), 0);
	assert_int_equal(zbud_check_pool(null_evict, NULL, 0), 0);
	assert_int_equal(zbud_reclaim_page(without, 8), -EINVAL);
	assert_int_equal(zbud_reclaim_page(null_evict, 8), -EINVAL);
	for (int i = 0; i < 64; i++) {
		if (hw[i]) {
			zbud_free(with, hw[i]);
			zbud_free(without, hn[i]);
			zbud_free(null_evict, hz[i]);
		}
	}
	assert_int_equal(zbud_get_pool_size(without), 0);
	zbud_destroy_pool(without);
	zbud_destroy_pool(null_evict);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_size_limits),
		T(test_chunk_rounding),
		T(test_first_then_last_same_page),
		T(test_exact_fit),
		T(test_lowest_list_first),
		T(test_list_is_lifo),
		T(test_free_first_refills_first),
		T(test_list_moves),
		T(test_empty_pool_holds_nothing),
		T(test_stale_free_ignored),
		T(test_alloc_moves_page_to_lru_head),
		T(test_free_keeps_lru_order),
		T(test_reclaim_einval),
		T(test_reclaim_first_then_last),
		T(test_reclaim_last_only),
		T(test_reclaim_refused_first),
		T(test_reclaim_refused_last),
		T(test_reclaim_retries),
		T(test_reclaim_walks_lru),
		T(test_data_survives),
		T(test_private_and_config),
		T(test_checker_catches_corruption),
		T(test_no_evict_keeps_no_lru),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
