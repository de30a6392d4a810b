/*
 * test_z3fold_rules.c - one test per decision of Linux's z3fold (mm/z3fold.c,
 * v6.1), then data across compaction, the zpool driver and the checker
 *
 * Each rule test sets up the smallest pool that makes one rule visible and
 * checks the outcome the kernel would give: return codes, the buddy and its
 * offset, which page (z3fold_locate()), the page count, and what reclaim
 * offers, in which order.  Sizes are written in chunks of 64 bytes; a page
 * has 62 of them after the two-chunk header, FIRST starting at chunk 2.
 * Threads are test_z3fold_threads.c's, fault injection test_z3fold_faults.c's.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "z3fold_test.h"

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
		cmocka_unit_test(test_zpool_driver),
		T(test_checker_catches_corruption),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
