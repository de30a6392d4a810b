/*
 * zblock_run.c - runs of contiguous pages for zblock's blocks
 *
 * The kernel's zblock takes its blocks from the page allocator (and, in the
 * mm tree, from vmalloc).  Here they come from the pool's page source, which
 * gives one page at a time: pages taken in a row from its never-used end are
 * contiguous, and they are what a fresh run is made of, because zblock gives
 * no page back to the source (so that its free stacks stay empty) until the
 * pool holds no block.  Free runs are zblock's own, kept on stacks by length
 * (zblock_internal.h draws them); their pages stay on the source's books.
 *
 * A run of n pages is taken from, in order: the free runs of length n (hot,
 * then cold), the source's never-used pages, and a longer free run cut in
 * two.  Runs are never merged: a pool that stops using one length leaves its
 * runs cold, costing address space and 24 bytes of descriptor a page, not
 * memory.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "fault.h"
#include "zblock_internal.h"

static void push_run(struct zblock_pool *pool, uint32_t first, unsigned int pages, bool hot)
{
	struct zblock_runs *r = &pool->runs;
	struct zblock_page *zp = zblock_page(pool, first);

	for (unsigned int i = 0; i < pages; i++) {
		struct zblock_page *p = zblock_page(pool, first + i);

		memset(p, 0, sizeof(*p));
		p->first = first;
		p->flags = ZBLOCK_PAGE_FREE;
	}
	zp->pages = (uint8_t)pages;
	if (hot) {
		zp->flags |= ZBLOCK_PAGE_HOT;
		zp->next = r->hot[pages];
		r->hot[pages] = first;
		r->hot_nr[pages]++;
		r->resident += pages;
	} else {
		zp->next = r->cold[pages];
		r->cold[pages] = first;
		r->cold_nr[pages]++;
	}
	r->pages += pages;
}

/* Take the top run of a stack that is not empty; its descriptors zeroed. */
static uint32_t pop_run(struct zblock_pool *pool, unsigned int pages, bool hot)
{
	struct zblock_runs *r = &pool->runs;
	uint32_t first = hot ? r->hot[pages] : r->cold[pages];

	if (hot) {
		r->hot[pages] = zblock_page(pool, first)->next;
		r->hot_nr[pages]--;
		r->resident -= pages;
	} else {
		r->cold[pages] = zblock_page(pool, first)->next;
		r->cold_nr[pages]--;
	}
	r->pages -= pages;
	memset(zblock_page(pool, first), 0, (size_t)pages * sizeof(struct zblock_page));
	return first;
}

/* Pages [first, first + n), taken from the source but in no run, as free
 * runs of at most ZBLOCK_MAX_BLOCK_PAGES, each a power of two. */
static void push_pieces(struct zblock_pool *pool, uint32_t first, unsigned int n, bool hot)
{
	for (unsigned int len = ZBLOCK_MAX_BLOCK_PAGES; n; len /= 2)
		while (n >= len) {
			push_run(pool, first, len, hot);
			first += len;
			n -= len;
		}
}

/* Whether the source's never-used end has @pages in a row for a fresh run:
 * they are contiguous only while the source holds no free page of its own. */
static bool fresh_room(const struct zbud_source *ps, unsigned int pages)
{
	return ps->hot == ZBUD_PAGE_NIL && ps->cold == ZBUD_PAGE_NIL && ps->capacity - ps->next >= pages;
}

/* @pages in a row from the source's never-used end.  On a failure after some,
 * those become free runs: no block changes, the pages are not lost. */
static int fresh_run(struct zblock_pool *pool, unsigned int pages, uint32_t *first)
{
	struct zbud_source *ps = &pool->src;
	unsigned int got = 0;

	*first = ps->next;
	for (; got < pages; got++) {
		uint32_t pgno;
		int err = zbud_source_get(ps, &pgno);

		if (err) {
			push_pieces(pool, *first, got, true);
			return err;
		}
	}
	return 0;
}

/* The shortest longer free run, hot before cold, cut: its head is the run. */
static int cut_run(struct zblock_pool *pool, unsigned int pages, uint32_t *first)
{
	const struct zblock_runs *r = &pool->runs;

	for (unsigned int len = pages * 2; len <= ZBLOCK_MAX_BLOCK_PAGES; len *= 2)
		for (int hot = 1; hot >= 0; hot--) {
			if ((hot ? r->hot[len] : r->cold[len]) == ZBUD_PAGE_NIL)
				continue;
			*first = pop_run(pool, len, hot);
			push_pieces(pool, *first + pages, len - pages, hot);
			return 0;
		}
	return -ENOMEM;
}

int zblock_run_get(struct zblock_pool *pool, unsigned int pages, uint32_t *first)
{
	const struct zblock_runs *r = &pool->runs;

	assert(pages && pages <= ZBLOCK_MAX_BLOCK_PAGES && !(pages & (pages - 1)));
	if (r->hot[pages] != ZBUD_PAGE_NIL || r->cold[pages] != ZBUD_PAGE_NIL) {
		/* Reusing a free run is the source's page handed out again. */
		if (zbud_fault_hit(ZBUD_FAULT_PAGE))
			return -ENOMEM;
		*first = pop_run(pool, pages, r->hot[pages] != ZBUD_PAGE_NIL);
		return 0;
	}
	if (fresh_room(&pool->src, pages))
		return fresh_run(pool, pages, first);
	if (zbud_fault_hit(ZBUD_FAULT_PAGE))
		return -ENOMEM;
	return cut_run(pool, pages, first);
}

/* Every page back to the source, which starts over when it has none out. */
static void release_all(struct zblock_pool *pool)
{
	uint32_t given = pool->src.next;

	memset(&pool->runs, 0, sizeof(pool->runs));
	for (unsigned int n = 0; n <= ZBLOCK_MAX_BLOCK_PAGES; n++)
		pool->runs.hot[n] = pool->runs.cold[n] = ZBUD_PAGE_NIL;
	for (uint32_t p = 0; p < given; p++)
		zbud_source_put(&pool->src, p);
}

static void release(struct zblock_pool *pool, uint32_t first, unsigned int pages)
{
	zbud_source_discard(&pool->src, first, pages);
}

/* Hot runs back to the OS, the most recently freed first, down to @keep
 * resident pages. */
static void trim(struct zblock_pool *pool, uint64_t keep)
{
	for (unsigned int n = ZBLOCK_MAX_BLOCK_PAGES; n && pool->runs.resident > keep; n /= 2)
		while (pool->runs.hot[n] != ZBUD_PAGE_NIL && pool->runs.resident > keep) {
			uint32_t first = pop_run(pool, n, true);

			release(pool, first, n);
			push_run(pool, first, n, false);
		}
}

void zblock_run_put(struct zblock_pool *pool, uint32_t first, unsigned int pages)
{
	assert(first + pages <= pool->src.next);
	uint64_t in_blocks = atomic_load_explicit(&pool->pages_nr, memory_order_relaxed);
	uint64_t limit = ZBLOCK_RUN_CACHE_MIN + in_blocks / ZBLOCK_RUN_CACHE_DIV;

	if (!in_blocks) {
		release_all(pool);
		return;
	}
	push_run(pool, first, pages, true);
	/* As the page source: past the limit, down to half of it at once, so
	 * that a pool shrinking page by page does not call the OS each time. */
	if (pool->src.arena && pool->runs.resident > limit)
		trim(pool, limit / 2);
}
