/*
 * zbud_internal.h - the zbud pool's layout, shared by zbud.c and its checker
 *
 * The kernel keeps each page's header in chunk 0 of the page itself and
 * links pages through it, so every list operation touches a different 4 KiB
 * page: at 200k objects that is a cache and TLB miss per link.  Here the
 * headers are 20-byte descriptors in one dense array beside the pages (the
 * page source's), linked by 32-bit page numbers.  Chunk 0 of each page stays
 * unused so that every offset, and so every decision, is the kernel's.
 *
 *   pool->unbuddied[i]  page -> page -> NIL      pages with one buddy and
 *                                                i free chunks, newest first
 *   pool->lru           page -> ... -> page      most recently allocated
 *                                                into first (pagelist.h)
 *
 * Only a pool with an evict callback keeps the LRU: without one,
 * zbud_reclaim_page() refuses at once, and nothing else can see the order.
 * Moving a page to its head on every allocation is the most expensive step
 * of one (2.5 ns of 16 a pair at 1k live, 4.5 of 30 at 200k).
 *
 * The kernel's buddied list is never walked (it shares storage with the
 * unused unbuddied[0]); a count stands in for it.  A page under reclaim is on
 * no list, as in the kernel.
 *
 * Lock order: pool->lock, then nothing.  The evict callback runs unlocked.
 */
#ifndef ZBUD_INTERNAL_H
#define ZBUD_INTERNAL_H

#include "debug.h"
#include "lock.h"
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "page_source.h"
#include "pagelist.h"
#include "zbud.h"

struct zbud_page {
	struct zbud_plink buddy;     /* on unbuddied[free chunks]; first, so that the
				   page source may link free pages through it */
	struct zbud_plink lru;       /* next: older, prev: newer */
	uint8_t chunks[2];           /* [ZBUD_FIRST], [ZBUD_LAST]: the kernel's
				   first_chunks, last_chunks */
	bool under_reclaim;
};

struct zbud_pool {
	struct zbud_debug debug;                /* a debug build's operation count */
	struct zbud_lock lock;
	struct zbud_source src;
	uint64_t unbuddied_mask;            /* bit i: unbuddied[i] is not empty */
	struct zbud_plist unbuddied[ZBUD_NCHUNKS];
	struct zbud_plist lru;              /* kept only if the pool can reclaim */
	bool reclaims;                      /* it has an evict callback */
	uint64_t buddied_nr;
	_Atomic uint64_t pages_nr;          /* read without the lock */
	const struct zbud_ops *ops;
	void *private_data;
};

static inline struct zbud_page *zbud_page(const struct zbud_pool *pool, uint32_t pgno)
{
	return (struct zbud_page *)pool->src.meta + pgno;
}

#define BUDDY_LINKS(pool) ZBUD_PLINKS((pool)->src.meta, struct zbud_page, buddy)
#define LRU_LINKS(pool) ZBUD_PLINKS((pool)->src.meta, struct zbud_page, lru)

/* Both buddies in place: the kernel's buddied list, which is a count here. */
static inline bool zbud_buddied(const struct zbud_page *zp)
{
	return zp->chunks[ZBUD_FIRST] && zp->chunks[ZBUD_LAST];
}

static inline int num_free_chunks(const struct zbud_page *zp)
{
	return ZBUD_NCHUNKS - zp->chunks[ZBUD_FIRST] - zp->chunks[ZBUD_LAST];
}

#endif /* ZBUD_INTERNAL_H */
