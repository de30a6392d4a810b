/*
 * test_zblock_rules.c - the zblock driver: its block types, one test per rule
 * of the kernel's zblock kept here, runs of pages, density and the walk
 *
 * Threads are test_zblock_threads.c's; failed page allocations, the checker
 * and the debug build test_zblock_faults.c's; the randomized comparison
 * against a reference model test_zblock_model.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "zblock_test.h"
#include "zpool_driver.h"

/* ---- Block types ---- */

/* The rule of zblock.c, written out again as plainly as possible. */
static bool made_by_rule(unsigned int size, unsigned int slots, unsigned int pages)
{
	return (pages == 1 || pages == 2 || pages == 4 || pages == 8) && slots >= 1 &&
	       slots <= (pages == 1 ? 64u : 32u) && size == (pages * 4096 / slots) / 8 * 8 &&
	       size <= 4096;
}

static void test_type_table(void **state)
{
	struct zblock_pool *pool = new_pool();

	(void)state;
	assert_int_equal(pool->ntypes, 78);
	assert_int_equal(pool->type[0].size, 64);
	assert_int_equal(pool->type[0].slots, 64);
	assert_int_equal(pool->type[pool->ntypes - 1].size, 4096);
	for (unsigned int i = 0; i < pool->ntypes; i++) {
		const struct zblock_type *t = &pool->type[i];

		assert_true(made_by_rule(t->size, t->slots, t->pages));
		assert_true(i == 0 || t->size > pool->type[i - 1].size);
		/* No block of fewer pages, nor of the same pages and more slots,
		 * gives this slot size. */
		for (unsigned int p = 1; p <= t->pages; p *= 2)
			for (unsigned int n = 1; n <= 64; n++)
				if (made_by_rule(t->size, n, p))
					assert_true(p == t->pages && n <= t->slots);
	}
	/* Every size goes to the smallest slot that holds it. */
	for (size_t size = 1; size <= 4096; size++) {
		const struct zblock_type *t = zblock_size_type(pool, size);

		assert_true(t->size >= size);
		assert_true(t == pool->type || t[-1].size < size);
	}
	assert_null(zblock_size_type(pool, 0));
	assert_null(zblock_size_type(pool, 4097));
	zblock_destroy_pool(pool);
}

/* The reciprocal finds every slot from its offset, and no offset inside a
 * slot passes for its start. */
static void test_slot_reciprocal(void **state)
{
	struct zblock_pool *pool = new_pool();

	(void)state;
	for (unsigned int i = 0; i < pool->ntypes; i++) {
		const struct zblock_type *t = &pool->type[i];

		for (uint32_t off = 0; off < t->pages * 4096u; off++) {
			uint32_t slot = (uint32_t)(((uint64_t)off * t->recip) >> 32);

			assert_int_equal(slot, off / t->size);
		}
	}
	zblock_destroy_pool(pool);
}

/* ---- The kernel's rules ---- */

static void test_size_limits(void **state)
{
	struct zblock_pool *pool = new_pool();
	unsigned long h = 77;

	(void)state;
	assert_int_equal(zblock_alloc(pool, 0, &h), -EINVAL);
	assert_int_equal(zblock_alloc(pool, 4097, &h), -ENOSPC);
	assert_int_equal(zblock_alloc(pool, (size_t)-1, &h), -ENOSPC);
	assert_int_equal(h, 77);
	assert_int_equal(zblock_get_total_pages(pool), 0);
	h = alloc_ok(pool, 4096);
	assert_int_equal(zblock_get_total_pages(pool), 1);
	h = alloc_ok(pool, 1);
	assert_int_equal(type_index(pool, 1), 0); /* 64-byte slots */
	check_ok(pool);
	zblock_destroy_pool(pool);
}

/*
 * One type, 904-byte slots, 9 to a block of 2 pages: a new block's first
 * object takes slot 0 at the block's start; the next ones the lowest free
 * slot of the same block; a full block leaves the list and the next object
 * opens a new block, at the head.
 */
static void test_fill_in_order(void **state)
{
	struct zblock_pool *pool = new_pool();
	const struct zblock_type *t = zblock_size_type(pool, 900);
	unsigned long h[20];

	(void)state;
	assert_int_equal(t->size, 904);
	assert_int_equal(t->slots, 9);
	assert_int_equal(t->pages, 2);
	for (int i = 0; i < 9; i++) {
		h[i] = alloc_ok(pool, 900);
		assert_int_equal(h[i], (unsigned long)i * 904 + 1); /* block at page 0 */
		assert_int_equal(slot_of(pool, h[i], NULL), i);
	}
	assert_true(zbud_plist_empty(&pool->active[type_index(pool, 900)]));
	h[9] = alloc_ok(pool, 904);
	assert_int_equal(h[9], (2ul << 15) + 1); /* the next block, at page 2 */
	assert_int_equal(zblock_get_total_pages(pool), 4);
	/* A slot crossing a page boundary is one pointer: the block is one run. */
	fill(pool, h[4], 904, 4);
	assert_ptr_equal((char *)zblock_map(pool, h[5]), (char *)zblock_map(pool, h[4]) + 904);
	assert_true(intact(pool, h[4], 904, 4));
	check_ok(pool);
	zblock_destroy_pool(pool);
}

/*
 * The list's order: new blocks at the head; a block that was full and gets
 * a slot back at the tail, so that it fills after the blocks that were
 * already open; the freed slot is the one taken next in it.
 */
static void test_list_order(void **state)
{
	struct zblock_pool *pool = new_pool();
	unsigned long a[9], b[9], c;
	uint32_t ba, bb;

	(void)state;
	for (int i = 0; i < 9; i++)
		a[i] = alloc_ok(pool, 900);
	for (int i = 0; i < 5; i++)
		b[i] = alloc_ok(pool, 900);
	ba = block_of(pool, a[0]);
	bb = block_of(pool, b[0]);
	zblock_free(pool, a[3]);        /* a: full -> open, to the tail */
	c = alloc_ok(pool, 900);        /* b is still the head */
	assert_int_equal(block_of(pool, c), bb);
	assert_int_equal(slot_of(pool, c, NULL), 5);
	for (int i = 6; i < 9; i++)
		b[i] = alloc_ok(pool, 900); /* b fills and leaves */
	c = alloc_ok(pool, 900);        /* now a, at its freed slot */
	assert_int_equal(block_of(pool, c), ba);
	assert_int_equal(slot_of(pool, c, NULL), 3);
	/* A block left empty goes at once, its pages with it. */
	for (int i = 0; i < 9; i++)
		zblock_free(pool, i == 3 ? c : a[i]);
	assert_int_equal(zblock_get_total_pages(pool), 2);
	check_ok(pool);
	zblock_destroy_pool(pool);
}

/* Freeing what is not a live slot changes nothing. */
static void test_stale_and_foreign_handles(void **state)
{
	struct zblock_pool *pool = new_pool();
	unsigned long h = alloc_ok(pool, 1000), k = alloc_ok(pool, 1000);
	struct zblock_stats before, after;

	(void)state;
	zblock_free(pool, h);
	zblock_get_stats(pool, &before);
	zblock_free(pool, h);                   /* twice */
	zblock_free(pool, 0);
	zblock_free(pool, k + 1);               /* inside a slot */
	zblock_free(pool, k + 1024);            /* a free slot of the block */
	zblock_free(pool, k + 40 * 4096);       /* past every page */
	zblock_free(pool, (unsigned long)-1);
	zblock_get_stats(pool, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(zblock_get_total_pages(pool), 1); /* 1024-byte slots, 4 a page */
	check_ok(pool);
	zblock_free(pool, k);
	assert_int_equal(zblock_get_total_pages(pool), 0);
	zblock_destroy_pool(pool);
}

/* ---- Runs ---- */

/* An empty pool gives every page back: the source starts over. */
static void test_empty_pool_holds_nothing(void **state)
{
	struct zblock_pool *pool = new_pool();
	enum { N = 3000 };
	static unsigned long h[N];
	uint64_t seed = 5;

	(void)state;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i++)
			h[i] = alloc_ok(pool, 1 + test_rng(&seed) % 4096);
		for (int i = 0; i < N; i++)
			zblock_free(pool, h[(i * 7919) % N]);
		assert_int_equal(zblock_get_total_pages(pool), 0);
		assert_int_equal(pool->src.next, 0);
		assert_int_equal(pool->src.in_use, 0);
		assert_int_equal(pool->runs.pages, 0);
		check_ok(pool);
	}
	zblock_destroy_pool(pool);
}

/* A freed run is reused at its length, the most recent first; past the
 * cache, freed runs go back to the OS. */
static void test_runs_reused_and_released(void **state)
{
	struct zblock_pool *pool = new_pool();
	enum { N = 4000 };
	static unsigned long h[N];
	unsigned long keep = alloc_ok(pool, 4096);      /* the pool never empties */
	uint32_t freed, next;
	struct zblock_stats st;

	(void)state;
	for (int i = 0; i < N; i++)
		h[i] = alloc_ok(pool, 4096);            /* 1-page blocks */
	next = pool->src.next;
	freed = block_of(pool, h[100]);
	zblock_free(pool, h[100]);
	h[100] = alloc_ok(pool, 4096);
	assert_int_equal(block_of(pool, h[100]), freed);
	assert_int_equal(pool->src.next, next);
	for (int i = 0; i < N; i++)
		zblock_free(pool, h[i]);
	zblock_get_stats(pool, &st);
	assert_int_equal(st.pages, 1);
	assert_int_equal(st.free_run_pages, N);
	assert_in_range(st.resident_free_pages, 1, ZBLOCK_RUN_CACHE_MIN);
	check_ok(pool);
	/* 8-page blocks (32-byte... 1056-byte slots, 31 in 8 pages) take no
	 * 1-page run: they come from fresh pages. */
	h[0] = alloc_ok(pool, 1050);
	assert_int_equal(zblock_size_type(pool, 1050)->pages, 8);
	assert_int_equal(block_of(pool, h[0]), next);
	zblock_free(pool, h[0]);
	zblock_free(pool, keep);
	assert_int_equal(pool->src.next, 0);
	zblock_destroy_pool(pool);
}

/* A caller's buffer: runs run out with -ENOMEM, nothing is lost, and longer
 * free runs are cut for shorter blocks. */
static void test_fixed_buffer(void **state)
{
	enum { PAGES = 40, MAX = 400 };
	size_t len = PAGES * (4096 + sizeof(struct zblock_page)) + 64;
	void *buf = malloc(len);
	struct zbud_source_config cfg = { .buffer = buf, .buffer_size = len };
	struct zblock_pool *pool = zblock_create_pool(&cfg);
	static struct test_obj o[MAX];
	static unsigned long big[5 * 31];
	uint64_t seed = 3;
	int n = 0, refused = 0;
	unsigned long small;

	(void)state;
	assert_non_null(pool);
	assert_int_equal(pool->src.capacity, PAGES);
	for (int i = 0; i < 5 * 31; i++)
		big[i] = alloc_ok(pool, 1050);  /* 5 full 8-page blocks: all 40 pages */
	assert_int_equal(zblock_alloc(pool, 1050, &small), -ENOMEM);
	assert_int_equal(zblock_alloc(pool, 10, &small), -ENOMEM);
	for (int i = 0; i < 5 * 31; i++)
		if (i / 31 != 2)
			zblock_free(pool, big[i]);
	assert_int_equal(zblock_get_total_pages(pool), 8);
	/* Only 8-page runs are free: a 1-page block cuts one. */
	small = alloc_ok(pool, 4096);
	assert_int_equal(pool->runs.pages, 31);
	check_ok(pool);
	zblock_free(pool, small);
	while (n < MAX && refused < 20) {
		o[n].size = 1 + test_rng(&seed) % 4096;
		if (zblock_alloc(pool, o[n].size, &o[n].handle)) {
			refused++;
			continue;
		}
		fill(pool, o[n].handle, o[n].size, (uint64_t)n);
		n++;
	}
	assert_int_equal(refused, 20);
	assert_true(zblock_get_total_pages(pool) <= PAGES);
	check_ok(pool);
	for (int i = 0; i < n; i++) {
		assert_true(intact(pool, o[i].handle, o[i].size, (uint64_t)i));
		zblock_free(pool, o[i].handle);
	}
	for (int i = 2 * 31; i < 3 * 31; i++)
		zblock_free(pool, big[i]);
	assert_int_equal(zblock_get_total_pages(pool), 0);
	check_ok(pool);
	zblock_destroy_pool(pool);
	free(buf);
}

/* Sources too small for a page, or for a type's block: refused, cleanly. */
static void test_tiny_sources(void **state)
{
	char buf[4096 + 100];
	struct zbud_source_config none = { .buffer = buf, .buffer_size = 4000 };
	struct zbud_source_config five = { .max_pages = 5 };
	struct zblock_pool *pool;
	unsigned long h[5];

	(void)state;
	errno = 0;
	assert_null(zblock_create_pool(&none));
	assert_int_equal(errno, EINVAL);
	pool = zblock_create_pool(&five);
	assert_non_null(pool);
	assert_int_equal(zblock_alloc(pool, 1050, &h[0]), -ENOMEM); /* 8-page blocks */
	assert_int_equal(zblock_alloc(pool, 2700, &h[0]), 0);     /* 2 pages */
	assert_int_equal(zblock_alloc(pool, 2700, &h[1]), 0);
	assert_int_equal(zblock_alloc(pool, 2700, &h[2]), 0);
	assert_int_equal(zblock_alloc(pool, 2700, &h[3]), 0);
	assert_int_equal(zblock_alloc(pool, 4096, &h[4]), 0);     /* the fifth page */
	assert_int_equal(zblock_alloc(pool, 10, &h[4]), -ENOMEM);
	assert_int_equal(zblock_get_total_pages(pool), 5);
	check_ok(pool);
	zblock_destroy_pool(pool);
}

/* ---- Density ---- */

/*
 * Pages the objects of each type need at best: full blocks but the last.
 * In-order allocation must reach it exactly, and the heap's sizes must come
 * within 1.06x of ceil(bytes / 4096) (issue 13's goal; the rule gives 1.036x).
 */
static void test_density(void **state)
{
	struct zblock_pool *pool = new_pool();
	uint64_t bytes = 0, ideal, pages, best = 0;
	size_t n;
	unsigned *size = load_heap_sizes(&n);
	static uint64_t count[ZBLOCK_MAX_TYPES];

	(void)state;
	assert_int_equal(n, 51949);
	for (size_t i = 0; i < n; i++) {
		alloc_ok(pool, size[i]);
		bytes += size[i];
		count[type_index(pool, size[i])]++;
	}
	for (unsigned int t = 0; t < pool->ntypes; t++)
		best += (count[t] + pool->type[t].slots - 1) / pool->type[t].slots *
			pool->type[t].pages;
	ideal = (bytes + 4095) / 4096;
	pages = zblock_get_total_pages(pool);
	print_message("in order: %" PRIu64 " pages, ideal %" PRIu64 ": %.4fx\n", pages, ideal,
		      (double)pages / (double)ideal);
	assert_int_equal(pages, best);
	assert_true(pages * 1000 <= ideal * 1060);
	check_ok(pool);
	free(size);
	zblock_destroy_pool(pool);
}

/* ---- Through zpool ---- */

/*
 * 904-byte slots, 9 in 2 pages, slots 1 and 5 free (5 crosses the pages);
 * then a whole page:
 *
 *   page 0  [ 0 ][ 1 free ][ 2 ][ 3 ][ 4 ..|        slot 4: bytes 3616-4520
 *   page 1  |.. 4 ][ 5 free ][ 6 ][ 7 ][ 8 ]   the block's last 56 bytes unused
 */
static void test_walk(void **state)
{
	struct zpool *pool = zpool_create_pool("zblock", "w", NULL);
	struct seen seen = { 0 };
	unsigned long h[9], whole;

	(void)state;
	for (int i = 0; i < 9; i++)
		assert_int_equal(zpool_malloc(pool, 900, &h[i]), 0);
	assert_int_equal(zpool_malloc(pool, 4096, &whole), 0);
	zpool_free(pool, h[1]);
	zpool_free(pool, h[5]);
	assert_int_equal(zpool_walk(pool, record, &seen), 0);
	assert_int_equal(seen.pages, 3);
	assert_string_equal(seen.layout[0], "o0-904 o1808-2712 o2712-3616 o3616-4096 ");
	assert_string_equal(seen.layout[1], "o0-424 o1328-2232 o2232-3136 o3136-4040 ");
	assert_string_equal(seen.layout[2], "o0-4096 ");
	zpool_destroy_pool(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_table),
		cmocka_unit_test(test_slot_reciprocal),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_fill_in_order),
		cmocka_unit_test(test_list_order),
		cmocka_unit_test(test_stale_and_foreign_handles),
		cmocka_unit_test(test_empty_pool_holds_nothing),
		cmocka_unit_test(test_runs_reused_and_released),
		cmocka_unit_test(test_fixed_buffer),
		cmocka_unit_test(test_tiny_sources),
		cmocka_unit_test(test_density),
		cmocka_unit_test(test_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
