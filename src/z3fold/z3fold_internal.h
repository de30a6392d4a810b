/*
 * z3fold_internal.h - the z3fold pool's layout, shared by z3fold.c, its
 * checker and the tests
 *
 * A z3fold page holds up to three objects.  The kernel's header takes the
 * first ZHDR_CHUNKS chunks of the page; here it lives out of line, in the
 * page source's descriptor array, and those chunks stay unused so that every
 * offset, and so every decision, is the kernel's:
 *
 *   chunk 0   2                                                         64
 *        +----+------------+-----------+-------------+-----+------------+
 *        |hdr | FIRST ->   |   free    |   MIDDLE    |free |    <- LAST |
 *        +----+------------+-----------+-------------+-----+------------+
 *              2 .. 2+first             start_middle        64-last .. 64
 *
 * An object bigger than a page less the header and a chunk gets a page of
 * its own, "headless", at offset 0.
 *
 * A MIDDLE object moves (toward FIRST or LAST, or to become FIRST), and a
 * page's last object may move to another page, so a handle cannot be an
 * address.  As the kernel's buddy slots do, a handle names a slot, and the
 * slot holds where the object is now:
 *
 *   handle - 1 -> pool->slots[i] = { pgno, bud } -> page pgno's descriptor,
 *                                                   whose slot[bud] is i
 *
 *   pool->unbuddied[i] -> page -> page -> NIL   pages with a free buddy and
 *                                               i free chunks, newest first
 *   pool->lru      -> page -> ... -> page     (pagelist.h)
 *
 * Lock order: pool->lock, then nothing.  The evict callback runs unlocked.
 */
#ifndef ZBUD_Z3FOLD_INTERNAL_H
#define ZBUD_Z3FOLD_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "debug.h"
#include "lock.h"
#include "page_source.h"
#include "pagelist.h"

/*
 * Geometry, as Linux's mm/z3fold.c (v6.1) with 4 KiB pages on a 64-bit
 * machine.  The kernel's struct z3fold_header is 88 bytes there (list 16,
 * spinlock 4, kref 4, work_struct 32, two pointers 16, five shorts and the
 * bit fields 12), which round_up(, CHUNK_SIZE) makes two chunks: 62 usable.
 */
#define Z3FOLD_CHUNK_SHIFT 6
#define Z3FOLD_CHUNK_SIZE (1U << Z3FOLD_CHUNK_SHIFT)
#define Z3FOLD_ZHDR_CHUNKS 2
#define Z3FOLD_TOTAL_CHUNKS ((int)(ZBUD_PAGE_SIZE >> Z3FOLD_CHUNK_SHIFT))  /* 64 */
#define Z3FOLD_NCHUNKS (Z3FOLD_TOTAL_CHUNKS - Z3FOLD_ZHDR_CHUNKS)           /* 62 */
/* Larger objects are headless: z3fold_alloc()'s PAGE_SIZE - ZHDR_SIZE_ALIGNED
 * - CHUNK_SIZE, so that a page with a header always keeps a free chunk. */
#define Z3FOLD_MAX_BUDDY_SIZE \
	(ZBUD_PAGE_SIZE - (Z3FOLD_ZHDR_CHUNKS + 1) * Z3FOLD_CHUNK_SIZE)    /* 3904 */
#define Z3FOLD_MAX_SIZE ZBUD_PAGE_SIZE                                   /* 4096 */
/* z3fold_compact_page() moves MIDDLE within its page only to close a gap of
 * at least this many chunks: moving data is expensive. */
#define Z3FOLD_BIG_CHUNK_GAP 3

enum z3fold_buddy { Z3FOLD_FIRST, Z3FOLD_MIDDLE, Z3FOLD_LAST, Z3FOLD_HEADLESS };
#define Z3FOLD_BUDDIES 3        /* the buddies of a page with a header */

/* A headless page's one object is its slot[Z3FOLD_FIRST]. */
#define Z3FOLD_PAGE_IN_USE 0x1u
#define Z3FOLD_PAGE_HEADLESS 0x2u
#define Z3FOLD_PAGE_RECLAIM 0x4u        /* off every list, under reclaim */

#define Z3FOLD_SLOT_NIL UINT32_MAX
#define Z3FOLD_NO_LIST (-1)

struct z3fold_page {
	struct zbud_plink buddy;     /* on its unbuddied list; first, so that the
				   page source may link free pages through it */
	struct zbud_plink lru;       /* next: older, prev: newer */
	uint32_t slot[Z3FOLD_BUDDIES]; /* each buddy's handle slot, or SLOT_NIL */
	uint32_t mapped;        /* maps outstanding: the kernel's mapped_count */
	uint8_t chunks[Z3FOLD_BUDDIES];
	uint8_t start_middle;   /* MIDDLE's first chunk; 0 without MIDDLE */
	uint8_t foreign;        /* objects moved in from another page: the
				   kernel's foreign_handles */
	uint8_t flags;          /* Z3FOLD_PAGE_*; 0 while the page is free */
	int8_t list;            /* the unbuddied list it is on, or NO_LIST */
};

enum z3fold_slot_state { SLOT_FREE, SLOT_LIVE, SLOT_DEAD };

/*
 * A handle's slot.  DEAD: freed while its page was under reclaim; reclaim
 * gives it back once the callbacks are done, so that no handle it offers can
 * name another object meanwhile (the kernel's z3fold_free() likewise leaves
 * a claimed page's handles alone).
 */
struct z3fold_slot {
	uint32_t pgno;          /* LIVE: the page; FREE: the next free slot */
	uint8_t state;          /* enum z3fold_slot_state */
	uint8_t bud;            /* enum z3fold_buddy */
	bool foreign;           /* moved here from the page it was allocated in */
	uint8_t pad;
	uint32_t maps;          /* maps outstanding of this object */
};

struct z3fold_pool;

struct z3fold_ops {
	/* As zbud's: free the handle with z3fold_free() and return 0 to evict
	 * it, anything else to refuse. */
	int (*evict)(struct z3fold_pool *pool, unsigned long handle);
};

struct z3fold_pool {
	struct zbud_debug debug;                /* a debug build's operation count */
	struct zbud_lock lock;
	struct zbud_source src;
	uint64_t unbuddied_mask;                /* bit i: unbuddied[i] not empty */
	struct zbud_plist unbuddied[Z3FOLD_NCHUNKS];
	struct zbud_plist lru;
	_Atomic uint64_t pages_nr;              /* read without the lock */
	struct z3fold_slot *slots;              /* NULL while no slot is used */
	uint32_t slots_cap, slots_used;         /* used: LIVE and DEAD */
	uint32_t slots_free;                    /* free list head, or SLOT_NIL */
	const struct z3fold_ops *ops;
	void *private_data;
};

#define Z3FOLD_BUDDY_LINKS(pool) ZBUD_PLINKS((pool)->src.meta, struct z3fold_page, buddy)
#define Z3FOLD_LRU_LINKS(pool) ZBUD_PLINKS((pool)->src.meta, struct z3fold_page, lru)

static inline struct z3fold_page *z3fold_page(const struct z3fold_pool *pool, uint32_t pgno)
{
	return (struct z3fold_page *)zbud_source_desc(&pool->src, pgno);
}

/* The slot of a handle that names one, else NULL. */
static inline struct z3fold_slot *z3fold_slot_of(const struct z3fold_pool *pool,
						 unsigned long handle)
{
	return handle && handle <= pool->slots_cap ? &pool->slots[handle - 1] : NULL;
}

/* The kernel's num_free_chunks(): with MIDDLE, the larger gap beside it. */
static inline int z3fold_free_chunks(const struct z3fold_page *zp)
{
	const uint8_t *c = zp->chunks;

	if (c[Z3FOLD_MIDDLE]) {
		int before = c[Z3FOLD_FIRST] ? 0 : zp->start_middle - Z3FOLD_ZHDR_CHUNKS;
		int after = c[Z3FOLD_LAST] ? 0
			: Z3FOLD_TOTAL_CHUNKS - zp->start_middle - c[Z3FOLD_MIDDLE];

		return before > after ? before : after;
	}
	return Z3FOLD_NCHUNKS - c[Z3FOLD_FIRST] - c[Z3FOLD_LAST];
}

/* Byte offset of a buddy in its page. */
static inline unsigned int z3fold_offset(const struct z3fold_page *zp, enum z3fold_buddy bud)
{
	switch (bud) {
	case Z3FOLD_FIRST:
		return Z3FOLD_ZHDR_CHUNKS << Z3FOLD_CHUNK_SHIFT;
	case Z3FOLD_MIDDLE:
		return (unsigned int)zp->start_middle << Z3FOLD_CHUNK_SHIFT;
	case Z3FOLD_LAST:
		return (unsigned int)(Z3FOLD_TOTAL_CHUNKS - zp->chunks[Z3FOLD_LAST])
		       << Z3FOLD_CHUNK_SHIFT;
	default:
		return 0;
	}
}

/*
 * The kernel's z3fold API, as its zpool driver wraps it (z3fold.c).  All may
 * run at once on one pool but z3fold_destroy_pool().  z3fold_map() and
 * z3fold_unmap() take the pool lock: a mapped object never moves.
 */
struct z3fold_pool *z3fold_create_pool(const struct z3fold_ops *ops, void *private_data,
				       const struct zbud_source_config *source);
void z3fold_destroy_pool(struct z3fold_pool *pool);
int z3fold_alloc(struct z3fold_pool *pool, size_t size, unsigned long *handle);
void z3fold_free(struct z3fold_pool *pool, unsigned long handle);
int z3fold_reclaim_page(struct z3fold_pool *pool, unsigned int retries);
void *z3fold_map(struct z3fold_pool *pool, unsigned long handle);
void z3fold_unmap(struct z3fold_pool *pool, unsigned long handle);
uint64_t z3fold_get_pool_size(struct z3fold_pool *pool);
void *z3fold_get_private(struct z3fold_pool *pool);

/* Where a live handle's object is now: 0, or -ENOENT for a handle not live. */
int z3fold_locate(struct z3fold_pool *pool, unsigned long handle, uint32_t *pgno,
		  enum z3fold_buddy *bud, unsigned int *offset);

/* z3fold_walk_pages - @fn for each page in use, in page order, under the pool
 * lock; stops at the first nonzero return and returns it */
int z3fold_walk_pages(struct z3fold_pool *pool,
		      int (*fn)(uint32_t pgno, const struct z3fold_page *zp, void *arg), void *arg);

/* z3fold_check.c: the invariant checker; 0 or -EUCLEAN with @msg */
int z3fold_check_pool(struct z3fold_pool *pool, char *msg, size_t len);
bool z3fold_page_is_free(const void *meta);

#endif /* ZBUD_Z3FOLD_INTERNAL_H */
