/*
 * test_z3fold.c - one test per decision of Linux's z3fold (mm/z3fold.c, v6.1),
 * then data across compaction, the zpool driver, the checker, threads and
 * fault injection
 *
 * Each rule test sets up the smallest pool that makes one rule visible and
 * checks the outcome the kernel would give: return codes, the buddy and its
 * offset, which page (z3fold_locate()), the page count, and what reclaim
 * offers, in which order.  Sizes are written in chunks of 64 bytes; a page
 * has 62 of them after the two-chunk header, FIRST starting at chunk 2.
 *
 * The thread test runs WORKERS threads allocating, freeing and holding maps
 * while one more thread reclaims without pause (ZBUD_STRESS_MS, default 1 s).
 * The fault test fails each page allocation, and each growth of the handle
 * table, of a fixed workload in turn.
 */
#define ZPOOL_STATIC_LINKING_ONLY
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "evict_log.h"
#include "fault.h"
#include "stress_util.h"
#include "z3fold_internal.h"
#include "zpool.h"

#define CHUNK Z3FOLD_CHUNK_SIZE

static int evict(struct z3fold_pool *pool, unsigned long handle)
{
	if (evict_log_refuses(handle, z3fold_get_pool_size(pool)))
		return -EBUSY;
	z3fold_free(pool, handle);
	return 0;
}

static const struct z3fold_ops ops = { .evict = evict };

static int setup(void **state)
{
	evict_log_clear();
	*state = z3fold_create_pool(&ops, NULL, NULL);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	char msg[256];

	if (z3fold_check_pool(*state, msg, sizeof(msg)))
		fail_msg("z3fold_check_pool: %s", msg);
	z3fold_destroy_pool(*state);
	return 0;
}

static unsigned long alloc_ok(struct z3fold_pool *pool, size_t size)
{
	unsigned long h = 0;

	assert_int_equal(z3fold_alloc(pool, size, &h), 0);
	assert_true(h != 0);
	return h;
}

static unsigned long alloc_chunks(struct z3fold_pool *pool, int chunks)
{
	return alloc_ok(pool, (size_t)chunks * CHUNK);
}

struct place {
	uint32_t page;
	enum z3fold_buddy bud;
	unsigned int offset;
};

static struct place where(struct z3fold_pool *pool, unsigned long h)
{
	struct place p;

	assert_int_equal(z3fold_locate(pool, h, &p.page, &p.bud, &p.offset), 0);
	return p;
}

static void expect_at(struct z3fold_pool *pool, unsigned long h, enum z3fold_buddy bud,
		      unsigned int offset_chunk)
{
	struct place p = where(pool, h);

	assert_int_equal(p.bud, bud);
	assert_int_equal(p.offset, offset_chunk * CHUNK);
}

static uint32_t page_of(struct z3fold_pool *pool, unsigned long h)
{
	return where(pool, h).page;
}

/* Fill an object with bytes from @seed, and check them. */
static void fill(struct z3fold_pool *pool, unsigned long h, size_t size, unsigned int seed)
{
	unsigned char *p = z3fold_map(pool, h);

	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7);
	z3fold_unmap(pool, h);
}

static void verify(struct z3fold_pool *pool, unsigned long h, size_t size, unsigned int seed)
{
	const unsigned char *p = z3fold_map(pool, h);

	assert_non_null(p);
	for (size_t i = 0; i < size; i++)
		if (p[i] != (unsigned char)(seed * 31 + i * 7))
			fail_msg("handle %lu, byte %zu overwritten", h, i);
	z3fold_unmap(pool, h);
}

/* FIRST, LAST and MIDDLE of @f, @l, @m chunks in one new page: MIDDLE at 2 + f. */
static void three(struct z3fold_pool *pool, int f, int l, int m, unsigned long h[3])
{
	h[0] = alloc_chunks(pool, f);
	h[1] = alloc_chunks(pool, l);
	h[2] = alloc_chunks(pool, m);
	expect_at(pool, h[2], Z3FOLD_MIDDLE, 2 + f);
}

/* ---- sizes and geometry ---- */

static void test_size_limits(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long h = 12345;

	assert_int_equal(z3fold_alloc(pool, 0, &h), -EINVAL);
	assert_int_equal(z3fold_alloc(pool, Z3FOLD_MAX_SIZE + 1, &h), -ENOSPC);
	assert_int_equal(z3fold_alloc(pool, SIZE_MAX, &h), -ENOSPC);
	assert_int_equal(h, 12345); /* a failed call changes nothing */
	assert_int_equal(z3fold_get_pool_size(pool), 0);
	/* 3904 bytes, 61 chunks, is the largest object with a header: it
	 * leaves one chunk, which a 64-byte object takes as LAST. */
	h = alloc_ok(pool, Z3FOLD_MAX_BUDDY_SIZE);
	expect_at(pool, h, Z3FOLD_FIRST, 2);
	expect_at(pool, alloc_ok(pool, 64), Z3FOLD_LAST, 63);
	assert_int_equal(z3fold_get_pool_size(pool), 1);
	/* One byte more, up to a whole page: a headless page each. */
	expect_at(pool, alloc_ok(pool, Z3FOLD_MAX_BUDDY_SIZE + 1), Z3FOLD_HEADLESS, 0);
	expect_at(pool, alloc_ok(pool, Z3FOLD_MAX_SIZE), Z3FOLD_HEADLESS, 0);
	assert_int_equal(z3fold_get_pool_size(pool), 3);
}

/* Sizes round up to 64-byte chunks: LAST's offset shows how many. */
static void test_chunk_rounding(void **state)
{
	struct z3fold_pool *pool = *state;
	static const struct { size_t size; unsigned int chunks; } cases[] = {
		{ 1, 1 }, { 64, 1 }, { 65, 2 }, { 128, 2 }, { 129, 3 }, { 1984, 31 }, { 1985, 32 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long first = alloc_ok(pool, 64), last = alloc_ok(pool, cases[i].size);

		assert_int_equal(page_of(pool, first), page_of(pool, last));
		expect_at(pool, last, Z3FOLD_LAST, Z3FOLD_TOTAL_CHUNKS - cases[i].chunks);
		z3fold_free(pool, first);
		z3fold_free(pool, last);
		assert_int_equal(z3fold_get_pool_size(pool), 0);
	}
}

/* ---- placement ---- */

/* FIRST, then LAST, then MIDDLE right after FIRST; then the page is full. */
static void test_first_last_middle(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long a = alloc_ok(pool, 1000), b = alloc_ok(pool, 1000), c = alloc_ok(pool, 500);

	expect_at(pool, a, Z3FOLD_FIRST, 2);
	expect_at(pool, b, Z3FOLD_LAST, 64 - 16);
	expect_at(pool, c, Z3FOLD_MIDDLE, 2 + 16);
	assert_int_equal(page_of(pool, a), page_of(pool, c));
	assert_int_equal(z3fold_get_pool_size(pool), 1);
	/* 62 - 16 - 16 - 8 chunks are free, but no buddy is: a new page. */
	assert_int_not_equal(page_of(pool, alloc_ok(pool, 64)), page_of(pool, a));
}

/* The lowest unbuddied list that fits wins, not the newest page. */
static void test_lowest_list_first(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long tight = alloc_chunks(pool, 52);  /* 10 free chunks */
	unsigned long roomy = alloc_chunks(pool, 22);  /* 52 + 22 > 62: 40 free */

	assert_int_not_equal(page_of(pool, tight), page_of(pool, roomy));
	assert_int_equal(page_of(pool, alloc_chunks(pool, 5)), page_of(pool, tight));
	assert_int_equal(page_of(pool, alloc_chunks(pool, 11)), page_of(pool, roomy));
}

/* Within a list the page added last is taken first, and a free re-adds its
 * page at the head. */
static void test_list_is_lifo(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long p1 = alloc_chunks(pool, 40), p2 = alloc_chunks(pool, 40);
	unsigned long p3 = alloc_chunks(pool, 40), y, z;

	/* All three pages sit on unbuddied[22]; p3's page was added last. */
	assert_int_equal(page_of(pool, alloc_chunks(pool, 22)), page_of(pool, p3));
	y = alloc_chunks(pool, 22);
	z = alloc_chunks(pool, 22);
	assert_int_equal(page_of(pool, y), page_of(pool, p2));
	assert_int_equal(page_of(pool, z), page_of(pool, p1));
	z3fold_free(pool, y);
	z3fold_free(pool, z); /* p1's page is back last: at the head */
	assert_int_equal(page_of(pool, alloc_chunks(pool, 22)), page_of(pool, p1));
	assert_int_equal(page_of(pool, alloc_chunks(pool, 22)), page_of(pool, p2));
}

/* get_free_buddy() with a MIDDLE: FIRST if the object fits before it, else
 * LAST.  A mapped MIDDLE stays where it is, so the page keeps it. */
static void test_free_buddy_beside_middle(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long h[3];

	three(pool, 10, 10, 10, h);
	assert_non_null(z3fold_map(pool, h[2]));
	z3fold_free(pool, h[0]);
	z3fold_free(pool, h[1]); /* MIDDLE alone at 12: 10 chunks before, 42 after */
	expect_at(pool, h[2], Z3FOLD_MIDDLE, 12);
	expect_at(pool, alloc_chunks(pool, 20), Z3FOLD_LAST, 44);
	expect_at(pool, alloc_chunks(pool, 10), Z3FOLD_FIRST, 2);
	z3fold_unmap(pool, h[2]);
	assert_int_equal(z3fold_get_pool_size(pool), 1);
}

/* ---- compaction at free ---- */

/* MIDDLE moves next to LAST once FIRST is gone, then, alone, becomes FIRST;
 * the handle and the bytes follow it. */
static void test_middle_moves_and_becomes_first(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long h[3];

	three(pool, 10, 10, 10, h);
	fill(pool, h[2], 10 * CHUNK, 7);
	z3fold_free(pool, h[0]);
	expect_at(pool, h[2], Z3FOLD_MIDDLE, 64 - 10 - 10);
	verify(pool, h[2], 10 * CHUNK, 7);
	z3fold_free(pool, h[1]);
	expect_at(pool, h[2], Z3FOLD_FIRST, 2);
	verify(pool, h[2], 10 * CHUNK, 7);
	/* As FIRST it leaves LAST's place to the next object. */
	expect_at(pool, alloc_chunks(pool, 30), Z3FOLD_LAST, 34);
}

/* MIDDLE moves toward its one neighbour only across a gap of 3 chunks.  The
 * gap is made by freeing a neighbour while MIDDLE is mapped (so it stays)
 * and refilling that place with a smaller object. */
static void test_big_chunk_gap(void **state)
{
	struct z3fold_pool *pool = *state;
	static const struct {
		int last;       /* LAST's chunks; FIRST and MIDDLE have 10 */
		int refill;     /* the neighbour refilled: 0 FIRST, 1 LAST */
		int chunks;     /* ... with this many chunks */
		int start;      /* MIDDLE's chunk once the other one is freed */
	} cases[] = {
		{ 10, 0, 8, 12 }, { 10, 0, 7, 9 },     /* 2, then 3 chunks after FIRST */
		{ 20, 1, 40, 12 }, { 20, 1, 39, 15 },  /* 2, then 3 chunks before LAST */
	};
	unsigned long h[3], again;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		three(pool, 10, cases[i].last, 10, h);
		z3fold_map(pool, h[2]);
		z3fold_free(pool, h[cases[i].refill]);
		expect_at(pool, h[2], Z3FOLD_MIDDLE, 12); /* mapped: not moved */
		again = alloc_chunks(pool, cases[i].chunks);
		assert_int_equal(page_of(pool, again), page_of(pool, h[2]));
		z3fold_unmap(pool, h[2]);
		z3fold_free(pool, h[1 - cases[i].refill]);
		expect_at(pool, h[2], Z3FOLD_MIDDLE, (unsigned int)cases[i].start);
		z3fold_free(pool, again);
		z3fold_free(pool, h[2]);
		assert_int_equal(z3fold_get_pool_size(pool), 0);
	}
}

/* A page left with one object hands it to the page z3fold_alloc() would
 * pick, and is freed; the object keeps its handle and its bytes. */
static void test_single_buddy_moves(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long a1 = alloc_chunks(pool, 20), a2 = alloc_chunks(pool, 20);
	unsigned long b1 = alloc_chunks(pool, 30); /* 22 free chunks in a1's page: new */
	uint32_t b_page = page_of(pool, b1);

	fill(pool, a1, 20 * CHUNK, 3);
	z3fold_free(pool, a2);
	assert_int_equal(z3fold_get_pool_size(pool), 1);
	assert_int_equal(page_of(pool, a1), b_page);
	expect_at(pool, a1, Z3FOLD_LAST, 44);
	verify(pool, a1, 20 * CHUNK, 3);
	assert_int_equal(z3fold_page(pool, b_page)->foreign, 1);
}

/* The object moves to the lowest list that fits, and a page holding a
 * foreign object keeps its own last object: no second move. */
static void test_foreign_page_keeps_its_object(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long a1 = alloc_chunks(pool, 20), a2 = alloc_chunks(pool, 20);
	unsigned long b1 = alloc_chunks(pool, 30), d1 = alloc_chunks(pool, 40);

	z3fold_free(pool, a2); /* b1's page has 32 free chunks, d1's 22: d1's */
	assert_int_equal(page_of(pool, a1), page_of(pool, d1));
	z3fold_free(pool, d1); /* a1 alone, but foreign: it stays */
	assert_int_equal(z3fold_get_pool_size(pool), 2);
	expect_at(pool, a1, Z3FOLD_LAST, 44);
	(void)b1;
}

/* A mapped object is never moved to another page; unmapping does not
 * compact either, as in the kernel. */
static void test_mapped_object_stays(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long a1 = alloc_chunks(pool, 20), a2 = alloc_chunks(pool, 20);
	uint32_t a_page = page_of(pool, a1);

	alloc_chunks(pool, 30);
	z3fold_map(pool, a1);
	z3fold_free(pool, a2);
	assert_int_equal(page_of(pool, a1), a_page);
	z3fold_unmap(pool, a1);
	assert_int_equal(page_of(pool, a1), a_page);
	assert_int_equal(z3fold_get_pool_size(pool), 2);
}

/* ---- pages and handles ---- */

static void test_empty_pool_holds_nothing(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long h[300];

	for (int i = 0; i < 300; i++)
		h[i] = alloc_ok(pool, 1 + (size_t)i * 13);
	assert_true(z3fold_get_pool_size(pool) > 50);
	for (int i = 0; i < 300; i++)
		z3fold_free(pool, h[(i * 7) % 300]);
	assert_int_equal(z3fold_get_pool_size(pool), 0);
	assert_int_equal(pool->src.in_use, 0);
	assert_int_equal(pool->src.next, 0);
	assert_null(pool->slots);
}

/* A handle that is not live is ignored, not a second free. */
static void test_stale_free_ignored(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long a = alloc_ok(pool, 500), b = alloc_ok(pool, 700);

	z3fold_free(pool, b);
	z3fold_free(pool, b);
	z3fold_free(pool, 0);
	z3fold_free(pool, a + 1000);
	assert_null(z3fold_map(pool, b));
	z3fold_unmap(pool, b);
	assert_int_equal(z3fold_get_pool_size(pool), 1);
	assert_int_equal(z3fold_check_pool(pool, NULL, 0), 0);
	z3fold_free(pool, a);
	assert_int_equal(z3fold_get_pool_size(pool), 0);
}

/* ---- the LRU ---- */

/* Allocating into a page makes it the newest: reclaim takes the other. */
static void test_alloc_moves_page_to_lru_head(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long old = alloc_chunks(pool, 32), young = alloc_chunks(pool, 47);

	assert_int_equal(page_of(pool, alloc_chunks(pool, 30)), page_of(pool, old));
	assert_int_equal(z3fold_reclaim_page(pool, 1), 0);
	assert_int_equal(ev.nseen, 1);
	assert_int_equal(ev.seen[0], young);
}

/* Freeing, compaction included, does not touch the LRU order. */
static void test_free_keeps_lru_order(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long a = alloc_chunks(pool, 16), a2 = alloc_chunks(pool, 16);

	alloc_chunks(pool, 47); /* 15 free chunks: too few to take a */
	z3fold_free(pool, a2);
	assert_int_equal(z3fold_reclaim_page(pool, 1), 0);
	assert_int_equal(ev.nseen, 1);
	assert_int_equal(ev.seen[0], a);
}

/* ---- reclaim ---- */

static void test_reclaim_einval(void **state)
{
	struct z3fold_pool *pool = *state, *noops = z3fold_create_pool(NULL, NULL, NULL);
	unsigned long h;

	assert_int_equal(z3fold_reclaim_page(pool, 8), -EINVAL); /* empty */
	alloc_ok(pool, 10);
	assert_int_equal(z3fold_reclaim_page(pool, 0), -EINVAL);
	assert_int_equal(ev.nseen, 0);
	assert_non_null(noops);
	h = alloc_ok(noops, 10);
	assert_int_equal(z3fold_reclaim_page(noops, 8), -EINVAL); /* no callback */
	z3fold_free(noops, h);
	z3fold_destroy_pool(noops);
}

/* MIDDLE, then FIRST, then LAST; the page is freed once all are gone. */
static void test_reclaim_order(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long h[3];

	three(pool, 10, 10, 10, h);
	assert_int_equal(z3fold_reclaim_page(pool, 1), 0);
	assert_int_equal(ev.nseen, 3);
	assert_int_equal(ev.seen[0], h[2]);
	assert_int_equal(ev.seen[1], h[0]);
	assert_int_equal(ev.seen[2], h[1]);
	assert_int_equal(ev.pages_during, 1); /* z3fold_free() left the page to reclaim */
	assert_int_equal(z3fold_get_pool_size(pool), 0);
}

/* A refusal ends the page's turn; the page goes back to its list. */
static void test_reclaim_refusal_ends_turn(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long h[3];

	three(pool, 10, 10, 10, h);
	refuse(h[2]);
	assert_int_equal(z3fold_reclaim_page(pool, 1), -EAGAIN);
	assert_int_equal(ev.nseen, 1);
	ev.nrefuse = ev.nseen = 0;
	refuse(h[0]);
	assert_int_equal(z3fold_reclaim_page(pool, 1), -EAGAIN);
	assert_int_equal(ev.nseen, 2); /* MIDDLE evicted, FIRST refused, LAST kept */
	assert_int_equal(ev.seen[1], h[0]);
	/* Back on unbuddied[62 - 20]: a new MIDDLE goes after FIRST. */
	expect_at(pool, alloc_chunks(pool, 10), Z3FOLD_MIDDLE, 12);
	assert_int_equal(z3fold_get_pool_size(pool), 1);
}

/* A page that reclaim leaves with one object is not compacted. */
static void test_reclaim_does_not_compact(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long a1 = alloc_chunks(pool, 20), a2 = alloc_chunks(pool, 20);
	uint32_t a_page = page_of(pool, a1);

	alloc_chunks(pool, 30); /* a newer page with room for a2 */
	refuse(a2);
	assert_int_equal(z3fold_reclaim_page(pool, 1), -EAGAIN);
	assert_int_equal(ev.nseen, 2);
	assert_int_equal(page_of(pool, a2), a_page);
	assert_int_equal(z3fold_get_pool_size(pool), 2);
}

/* Retries count pages; each try takes the LRU tail, and a refused page goes
 * back at the head, so reclaim walks the LRU from the oldest page. */
static void test_reclaim_walks_lru(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long h[4];

	for (int i = 0; i < 4; i++) {
		h[i] = alloc_chunks(pool, 47);
		refuse(h[i]);
	}
	assert_int_equal(z3fold_reclaim_page(pool, 6), -EAGAIN);
	assert_int_equal(ev.nseen, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(ev.seen[i], h[i % 4]);
}

/* Pages holding foreign handles are passed over; none left: -EAGAIN. */
static void test_reclaim_skips_foreign(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long a1 = alloc_chunks(pool, 20), a2 = alloc_chunks(pool, 20);
	unsigned long b1 = alloc_chunks(pool, 30), c;

	z3fold_free(pool, a2); /* a1 moves into b1's page */
	assert_int_equal(z3fold_reclaim_page(pool, 3), -EAGAIN);
	assert_int_equal(ev.nseen, 0);
	c = alloc_chunks(pool, 47); /* newer, but the only page reclaim may take */
	assert_int_equal(z3fold_reclaim_page(pool, 1), 0);
	assert_int_equal(ev.nseen, 1);
	assert_int_equal(ev.seen[0], c);
	z3fold_free(pool, a1); /* no foreign handle left */
	assert_int_equal(z3fold_reclaim_page(pool, 1), 0);
	assert_int_equal(ev.seen[1], b1);
	assert_int_equal(z3fold_get_pool_size(pool), 0);
}

static void test_reclaim_headless(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long h = alloc_ok(pool, 4000), small = alloc_ok(pool, 100);

	refuse(h);
	assert_int_equal(z3fold_reclaim_page(pool, 1), -EAGAIN);
	assert_int_equal(ev.seen[0], h);
	ev.nrefuse = 0; /* the headless page went to the head: small's is next */
	assert_int_equal(z3fold_reclaim_page(pool, 1), 0);
	assert_int_equal(ev.seen[1], small);
	assert_int_equal(z3fold_reclaim_page(pool, 1), 0);
	assert_int_equal(ev.seen[2], h);
	assert_int_equal(z3fold_get_pool_size(pool), 0);
}

/* ---- data ---- */

/* Objects keep their bytes through every move compaction makes. */
static void test_data_survives_compaction(void **state)
{
	struct z3fold_pool *pool = *state;
	enum { N = 240 };
	unsigned long h[N];
	size_t size[N];
	struct place before[N];
	uint64_t rng = 1;
	int moves = 0;

	for (int i = 0; i < N; i++) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		size[i] = 1 + (size_t)(rng >> 33) % (i % 16 ? 2000 : Z3FOLD_MAX_SIZE);
		h[i] = alloc_ok(pool, size[i]);
		fill(pool, h[i], size[i], (unsigned int)i);
	}
	for (int k = 0; k < N; k++) {
		int victim = (k * 97) % N;

		for (int i = 0; i < N; i++)
			if (h[i])
				before[i] = where(pool, h[i]);
		verify(pool, h[victim], size[victim], (unsigned int)victim);
		z3fold_free(pool, h[victim]);
		h[victim] = 0;
		for (int i = 0; i < N; i++) {
			struct place now;

			if (!h[i])
				continue;
			verify(pool, h[i], size[i], (unsigned int)i);
			now = where(pool, h[i]);
			moves += now.page != before[i].page || now.offset != before[i].offset;
		}
	}
	print_message("%d moves\n", moves);
	assert_true(moves > 10);
}

/* ---- the zpool driver ---- */

static int zevict(struct zpool *pool, unsigned long handle)
{
	zpool_free(pool, handle);
	return 0;
}

static void test_zpool_driver(void **state)
{
	static const struct zpool_ops zops = { .evict = zevict };
	struct zpool *zp = zpool_create_pool("z3fold", "test", &zops);
	unsigned long a, b, c, big;
	unsigned int reclaimed = 0;
	char *p;

	(void)state;
	assert_non_null(zp);
	assert_true(zpool_has_pool("z3fold"));
	assert_true(zpool_evictable(zp));
	assert_int_equal(zpool_malloc(zp, 1000, &a), 0);
	assert_int_equal(zpool_malloc(zp, 1000, &b), 0);
	assert_int_equal(zpool_malloc(zp, 500, &c), 0);
	assert_int_equal(zpool_malloc(zp, 4000, &big), 0);
	assert_int_equal(zpool_handle_place(zp, a), ZPOOL_PLACE_FIRST);
	assert_int_equal(zpool_handle_place(zp, b), ZPOOL_PLACE_LAST);
	assert_int_equal(zpool_handle_place(zp, c), ZPOOL_PLACE_MIDDLE);
	assert_int_equal(zpool_handle_place(zp, big), ZPOOL_PLACE_HEADLESS);
	assert_int_equal(zpool_get_total_size(zp), 2 * ZBUD_PAGE_SIZE);
	p = zpool_map_handle(zp, c, ZPOOL_MM_WO);
	memset(p, 0x5a, 500);
	zpool_unmap_handle(zp, c);
	zpool_free(zp, a);
	assert_int_equal(zpool_handle_place(zp, a), ZPOOL_PLACE_STALE);
	p = zpool_map_handle(zp, c, ZPOOL_MM_RO);
	assert_int_equal(p[0], 0x5a);
	assert_int_equal(p[499], 0x5a);
	zpool_unmap_handle(zp, c);
	assert_int_equal(zpool_compact(zp), 0);
	assert_int_equal(zpool_check(zp, NULL, 0), 0);
	assert_int_equal(zpool_shrink(zp, 2, &reclaimed), 0);
	assert_int_equal(reclaimed, 2);
	assert_int_equal(zpool_get_total_size(zp), 0);
	zpool_destroy_pool(zp);
	zp = zpool_create_pool("z3fold", "no evict", NULL);
	assert_non_null(zp);
	assert_false(zpool_evictable(zp));
	assert_int_equal(zpool_malloc(zp, 100, &a), 0);
	assert_int_equal(zpool_reclaim_page(zp, 8), -EINVAL);
	zpool_destroy_pool(zp);
}

/* ---- the checker ---- */

static void expect_caught(struct z3fold_pool *pool, const char *what)
{
	char msg[256];

	assert_int_equal(z3fold_check_pool(pool, msg, sizeof(msg)), -EUCLEAN);
	if (!strstr(msg, what))
		fail_msg("checker said \"%s\", expected \"%s\"", msg, what);
}

static void test_checker_catches_corruption(void **state)
{
	struct z3fold_pool *pool = *state;
	unsigned long h[3];
	struct z3fold_page *zp;
	struct z3fold_slot *s;

	three(pool, 10, 10, 10, h);
	zp = z3fold_page(pool, page_of(pool, h[0]));
	s = z3fold_slot_of(pool, h[1]);
	zp->chunks[Z3FOLD_FIRST] = 11;
	expect_caught(pool, "overlaps FIRST");
	zp->chunks[Z3FOLD_FIRST] = 10;
	zp->lru.prev = 7;
	expect_caught(pool, "LRU");
	zp->lru.prev = ZBUD_PAGE_NIL;
	s->bud = Z3FOLD_MIDDLE;
	expect_caught(pool, "slot");
	s->bud = Z3FOLD_LAST;
	zp->foreign = 1;
	expect_caught(pool, "foreign");
	zp->foreign = 0;
	zp->list = 3;
	expect_caught(pool, "on list 3");
	zp->list = Z3FOLD_NO_LIST;
	atomic_fetch_add(&pool->pages_nr, 1);
	expect_caught(pool, "pages in use");
	atomic_fetch_sub(&pool->pages_nr, 1);
	assert_int_equal(z3fold_check_pool(pool, NULL, 0), 0);
}

/* ---- threads ---- */

#define WORKERS 4
#define SLOTS_PER_WORKER 512
#define SLOTS (WORKERS * SLOTS_PER_WORKER)
#define HANDLES (1 << 16)               /* far above the slots a pool can use */
#define CHECK_EVERY 4096
/* Half the slots live make some 400 pages: reclaim keeps the pool below
 * that, as zswap's limit would, so that pages fill before they are taken. */
#define RECLAIM_ABOVE 256

enum { FREE, LIVE, BUSY };              /* an object's state, with a generation */

struct tslot {
	_Atomic uint64_t word;          /* generation << 2 | state */
	_Atomic unsigned long handle;
	size_t size;                    /* written by whoever holds it BUSY or FREE */
};

struct stress {
	struct z3fold_pool *pool;
	struct tslot slot[SLOTS];
	_Atomic int owner[HANDLES];     /* the slot each handle was last given to */
	atomic_bool stop;
	atomic_ulong ops, evicted, refused, reclaimed;
	struct thread_errors errors;
};

static struct stress *current;          /* for the evict callback */

static uint64_t word(uint64_t gen, int st)
{
	return gen << 2 | (uint64_t)st;
}

static uint64_t cookie(int s, uint64_t gen, size_t i)
{
	return ((uint64_t)s << 40 ^ gen) * 0x9e3779b97f4a7c15ULL + i;
}

static void put_cookie(struct stress *st, int s, uint64_t gen)
{
	unsigned char *p = z3fold_map(st->pool, st->slot[s].handle);

	for (size_t i = 0; i < st->slot[s].size; i++)
		p[i] = (unsigned char)cookie(s, gen, i);
	z3fold_unmap(st->pool, st->slot[s].handle);
}

static void check_cookie(struct stress *st, int s, uint64_t gen)
{
	const unsigned char *p = z3fold_map(st->pool, st->slot[s].handle);
	bool ok = p != NULL;

	for (size_t i = 0; ok && i < st->slot[s].size; i++)
		ok = p[i] == (unsigned char)cookie(s, gen, i);
	z3fold_unmap(st->pool, st->slot[s].handle);
	if (!ok)
		report(&st->errors, "slot %d, generation %" PRIu64 ": cookie overwritten", s, gen);
}

/* LIVE -> BUSY at generation @gen: the right to use or free the object. */
static bool claim(struct stress *st, int s, uint64_t gen)
{
	uint64_t live = word(gen, LIVE);

	return atomic_compare_exchange_strong(&st->slot[s].word, &live, word(gen, BUSY));
}

static void release(struct stress *st, int s, uint64_t gen)
{
	check_cookie(st, s, gen);
	z3fold_free(st->pool, st->slot[s].handle);
	atomic_store(&st->slot[s].word, word(gen + 1, FREE));
}

static int stress_evict(struct z3fold_pool *pool, unsigned long handle)
{
	struct stress *st = current;
	int s = handle < HANDLES ? atomic_load(&st->owner[handle]) : -1;
	uint64_t w = s >= 0 ? atomic_load(&st->slot[s].word) : 0;

	if (pool != st->pool || handle >= HANDLES)
		report(&st->errors, "evict(%#lx): another pool, or a handle past HANDLES", handle);
	/* The handle read after LIVE(gen) is that generation's, if the claim
	 * of LIVE(gen) then succeeds. */
	if (s < 0 || (w & 3) != LIVE || atomic_load(&st->slot[s].handle) != handle ||
	    !claim(st, s, w >> 2)) {
		atomic_fetch_add(&st->refused, 1);
		return -EBUSY;
	}
	release(st, s, w >> 2);
	atomic_fetch_add(&st->evicted, 1);
	return 0;
}

static const struct z3fold_ops stress_ops = { .evict = stress_evict };

struct worker {
	struct stress *st;
	int id;
	uint64_t rng;
};

static unsigned int below(struct worker *w, unsigned int n)
{
	w->rng = w->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned int)((w->rng >> 33) % n);
}

/* A random slot of ours: fill it, or free what it holds, or hold a map on
 * it a moment while other threads compact its page. */
static void step(struct worker *w)
{
	struct stress *st = w->st;
	int s = w->id * SLOTS_PER_WORKER + (int)below(w, SLOTS_PER_WORKER);
	uint64_t wd = atomic_load(&st->slot[s].word), gen = wd >> 2;
	unsigned long h = 0;

	if ((wd & 3) == FREE) {
		int rc;

		st->slot[s].size = 1 + below(w, below(w, 8) ? 2000 : Z3FOLD_MAX_SIZE);
		rc = z3fold_alloc(st->pool, st->slot[s].size, &h);
		if (rc || h >= HANDLES) {
			report(&st->errors, "z3fold_alloc(%zu): %d, handle %#lx", st->slot[s].size,
			       rc, h);
			return;
		}
		atomic_store(&st->slot[s].handle, h);
		put_cookie(st, s, gen);
		atomic_store(&st->owner[h], s);
		atomic_store(&st->slot[s].word, word(gen, LIVE));
	} else if (claim(st, s, gen)) {
		if (below(w, 4)) {
			release(st, s, gen);
		} else {
			check_cookie(st, s, gen);
			atomic_store(&st->slot[s].word, word(gen, LIVE));
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned long n;
	char msg[160];

	for (n = 0; !atomic_load(&w->st->stop); n++) {
		step(w);
		if (n % CHECK_EVERY == CHECK_EVERY - 1 &&
		    z3fold_check_pool(w->st->pool, msg, sizeof(msg)))
			report(&w->st->errors, "z3fold_check_pool: %s", msg);
	}
	atomic_fetch_add(&w->st->ops, n);
	return NULL;
}

static void *reclaimer_main(void *arg)
{
	struct stress *st = arg;

	while (!atomic_load(&st->stop)) {
		int rc;

		if (z3fold_get_pool_size(st->pool) < RECLAIM_ABOVE) {
			sched_yield();
			continue;
		}
		rc = z3fold_reclaim_page(st->pool, 8);

		if (rc == 0)
			atomic_fetch_add(&st->reclaimed, 1);
		else if (rc != -EAGAIN && rc != -EINVAL)
			report(&st->errors, "z3fold_reclaim_page: %d", rc);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct stress *st = calloc(1, sizeof(*st));
	struct worker w[WORKERS];
	pthread_t t[WORKERS], reclaimer;
	long ms = stress_ms(1000);
	struct timespec pause = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };
	char msg[256];

	(void)state;
	assert_non_null(st);
	for (int i = 0; i < HANDLES; i++)
		atomic_init(&st->owner[i], -1);
	st->pool = z3fold_create_pool(&stress_ops, NULL, NULL);
	assert_non_null(st->pool);
	current = st;
	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){ .st = st, .id = i, .rng = 0x7a33ULL + (uint64_t)i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	assert_int_equal(pthread_create(&reclaimer, NULL, reclaimer_main, st), 0);
	nanosleep(&pause, NULL);
	atomic_store(&st->stop, true);
	for (int i = 0; i < WORKERS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(pthread_join(reclaimer, NULL), 0);
	print_message("%lu operations, %lu evicted, %lu refused, %lu pages reclaimed\n",
		      (unsigned long)st->ops, (unsigned long)st->evicted,
		      (unsigned long)st->refused, (unsigned long)st->reclaimed);
	for (int s = 0; s < SLOTS; s++) {
		uint64_t wd = atomic_load(&st->slot[s].word);

		assert_int_not_equal(wd & 3, BUSY);
		if ((wd & 3) == LIVE && claim(st, s, wd >> 2))
			release(st, s, wd >> 2);
	}
	expect_no_errors(&st->errors);
	assert_true(st->evicted > 0);
	assert_int_equal(z3fold_get_pool_size(st->pool), 0);
	if (z3fold_check_pool(st->pool, msg, sizeof(msg)))
		fail_msg("z3fold_check_pool: %s", msg);
	z3fold_destroy_pool(st->pool);
	free(st);
	current = NULL;
}

/* ---- fault injection ---- */

/* What a failed call must leave as it was: every list, every in-use
 * descriptor and where every live handle points (not the handle table's
 * size, which may have grown ahead of the page that failed). */
static uint64_t fingerprint(const struct z3fold_pool *pool)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *bytes;

#define MIX(p, n) for (bytes = (const void *)(p); bytes < (const unsigned char *)(p) + (n); bytes++) \
		h = (h ^ *bytes) * 1099511628211ULL
	MIX(pool->unbuddied, sizeof(pool->unbuddied));
	MIX(&pool->unbuddied_mask, sizeof(pool->unbuddied_mask));
	MIX(&pool->lru, sizeof(pool->lru));
	MIX(&pool->src.in_use, sizeof(pool->src.in_use));
	for (uint32_t p = 0; p < pool->src.next; p++)
		if (!z3fold_page_is_free(z3fold_page(pool, p)))
			MIX(z3fold_page(pool, p), sizeof(struct z3fold_page));
	for (uint32_t i = 0; i < pool->slots_cap; i++)
		if (pool->slots[i].state != SLOT_FREE)
			MIX(&pool->slots[i], sizeof(pool->slots[i]));
#undef MIX
	return h;
}

/* A fixed workload; returns how many allocations failed. */
static int workload(void)
{
	enum { OPS = 400, N = 64 };
	struct z3fold_pool *pool = z3fold_create_pool(NULL, NULL, NULL);
	unsigned long h[N] = { 0 };
	size_t size[N] = { 0 };
	uint64_t rng = 42;
	int failures = 0;
	char msg[256];

	assert_non_null(pool);
	for (int op = 0; op < OPS; op++) {
		int i;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		i = (int)((rng >> 33) % N);
		if (h[i]) {
			verify(pool, h[i], size[i], (unsigned int)i);
			z3fold_free(pool, h[i]);
			h[i] = 0;
		} else {
			uint64_t before = fingerprint(pool);
			int err;

			size[i] = 1 + (size_t)(rng >> 40) % Z3FOLD_MAX_SIZE;
			err = z3fold_alloc(pool, size[i], &h[i]);
			if (err) {
				assert_int_equal(err, -ENOMEM);
				assert_int_equal(h[i], 0);
				assert_true(fingerprint(pool) == before);
				failures++;
				continue;
			}
			fill(pool, h[i], size[i], (unsigned int)i);
		}
		if (z3fold_check_pool(pool, msg, sizeof(msg)))
			fail_msg("op %d: %s", op, msg);
	}
	for (int i = 0; i < N; i++)
		if (h[i])
			verify(pool, h[i], size[i], (unsigned int)i);
	z3fold_destroy_pool(pool);
	return failures;
}

/* Fail each call at @site from the @from-th on, one run each. */
static void sweep(enum zbud_fault_site site, uint64_t at_least, uint64_t from)
{
	uint64_t calls;

	zbud_fault_arm(site, 0);
	assert_int_equal(workload(), 0);
	calls = zbud_fault_calls(site);
	assert_true(calls >= at_least);
	for (uint64_t n = from; n <= calls; n++) {
		zbud_fault_arm(site, n);
		assert_int_equal(workload(), 1);
	}
	zbud_fault_arm(site, 0);
}

static void test_every_page_allocation_fails_once(void **state)
{
	(void)state;
	sweep(ZBUD_FAULT_PAGE, 50, 1);
}

static void test_every_table_growth_fails_once(void **state)
{
	(void)state;
	sweep(ZBUD_FAULT_META, 2, 2); /* the first is the pool's creation (test_zpool_fault) */
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_size_limits),
		T(test_chunk_rounding),
		T(test_first_last_middle),
		T(test_lowest_list_first),
		T(test_list_is_lifo),
		T(test_free_buddy_beside_middle),
		T(test_middle_moves_and_becomes_first),
		T(test_big_chunk_gap),
		T(test_single_buddy_moves),
		T(test_foreign_page_keeps_its_object),
		T(test_mapped_object_stays),
		T(test_empty_pool_holds_nothing),
		T(test_stale_free_ignored),
		T(test_alloc_moves_page_to_lru_head),
		T(test_free_keeps_lru_order),
		T(test_reclaim_einval),
		T(test_reclaim_order),
		T(test_reclaim_refusal_ends_turn),
		T(test_reclaim_does_not_compact),
		T(test_reclaim_walks_lru),
		T(test_reclaim_skips_foreign),
		T(test_reclaim_headless),
		T(test_data_survives_compaction),
		T(test_checker_catches_corruption),
		cmocka_unit_test(test_zpool_driver),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_every_page_allocation_fails_once),
		cmocka_unit_test(test_every_table_growth_fails_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
