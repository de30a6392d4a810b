/*
 * zblock_internal.h - the zblock pool's layout (internal): zblock.c (types,
 * blocks, alloc and free), zblock_run.c (runs of pages for the blocks),
 * zblock_check.c (checker, statistics, page walk) and the zpool driver
 *
 * zblock, proposed for Linux in 2025 (docs/zblock.md), puts each object in a
 * slot of a *block*: a run of 1, 2, 4 or 8 contiguous pages cut into equal
 * slots.  A table of block types gives each type's slot size, slots and
 * pages; an object goes to the type with the smallest slot that holds it.
 * Slots may cross a page boundary inside their block, and since a block's
 * pages are contiguous in the arena, an object is always one pointer:
 *
 *   type 13 (904-byte slots, 9 in 2 pages)        block at pages 12-13
 *   | page 12                         | page 13                     |
 *   [ 0 ][ 1 ][ 2 ][ 3 ][ 4 ][  5  ...|...][ 6 ][ 7 ][ 8 ]...unused..|
 *
 * Descriptors are out of line, 24 bytes a page in the page source's array.
 * The block's first page's describes the block: its type, a bitmap of the
 * slots in use and how many, and its links on its type's list; every page
 * of the block names the first.  So no header takes room in the block, and
 * neither allocation nor free touches a data page.
 *
 *   pool->active[t]   block -> block -> ... -> NIL   type t's blocks with a
 *                     (newest first; a block that was full and gets a slot
 *                     back goes to the tail)         free slot
 *
 * Full blocks are on no list (the kernel's full_list is never walked).
 * Allocation takes the head of active[t], a new block if there is none, and
 * in it the lowest free slot; a block left empty is freed at once.
 *
 * A handle names the block's first page and the object's byte offset in the
 * block, (first << ZBLOCK_DELTA_BITS | offset) + 1 (so that none is 0): map
 * is a shift, a mask and two additions, and free reads one descriptor, the
 * block's, and finds the slot by one multiply (the slot size's reciprocal).
 * (A handle that was the offset in the arena made free read the descriptor
 * of the object's page first, and then the block's: two dependent cache
 * misses at 20,000 live objects, which cost zblock 28% against zbud.)
 *
 * Runs of pages (zblock_run.c): the page source gives one page at a time;
 * zblock takes a fresh run as that many pages in a row from its never-used
 * end, which are contiguous because zblock gives no single page back to the
 * source until the pool is empty (then it gives back all, and the source
 * starts over).  Free runs are kept by length, the most recent first, hot
 * (still resident) up to a cache and cold (handed back to the OS) past it; a
 * run is reused at its own length, else fresh, else cut from a longer one.
 *
 * Locking: one pool lock for everything but map and unmap, which take none;
 * lock order: pool->lock, then nothing.
 */
#ifndef ZBUD_ZBLOCK_INTERNAL_H
#define ZBUD_ZBLOCK_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "debug.h"
#include "lock.h"
#include "page_source.h"
#include "pagelist.h"

/* Blocks of 1, 2, 4 or 8 pages, as the kernel's (order 0 to 3). */
#define ZBLOCK_MAX_BLOCK_PAGES 8
/* A block holds at most 64 slots (one 64-bit bitmap); at most 32 in a block
 * of more than one page, where 32 slots are already small enough. */
#define ZBLOCK_MAX_SLOTS 64
#define ZBLOCK_MAX_SLOTS_MULTI 32
/* Slots are multiples of 8 bytes (the kernel's sizeof(long) alignment). */
#define ZBLOCK_ALIGN 8
#define ZBLOCK_MAX_SIZE ZBUD_PAGE_SIZE
/* The types the rule of zblock.c makes (78 for 4 KiB pages), with room. */
#define ZBLOCK_MAX_TYPES 96

/*
 * Free pages a pool keeps resident in free runs, for reuse without a page
 * fault or a call to the OS: at least ZBLOCK_RUN_CACHE_MIN (1 MiB) and
 * 1/ZBLOCK_RUN_CACHE_DIV of the pages in blocks; past that, down to half at
 * once.  The page source keeps 64 pages; runs come in four lengths, and one
 * length does not serve a block of another but cut (runs never merge), so
 * 64 pages a length.  With 64 in all, a pool of 1,000 Python-heap objects
 * under random churn called madvise() every ~1,800 free+alloc pairs, about
 * 1 ns a pair of the 3 zblock took over zbud; with 256, every ~54,000, for
 * ~40 pages more resident on average (of ~500 in blocks).
 */
#define ZBLOCK_RUN_CACHE_MIN 256u
#define ZBLOCK_RUN_CACHE_DIV 32u

struct zblock_type {
	uint16_t size;          /* slot size, a multiple of ZBLOCK_ALIGN */
	uint8_t slots;          /* slots per block */
	uint8_t pages;          /* pages per block */
	uint32_t recip;         /* ceil(2^32 / size): offset * recip >> 32 is
				   the slot, exactly, for offsets in a block */
};

/* The descriptor of every page the pool holds. */
struct zblock_page {
	uint32_t next;          /* first block page: next on active[type];
				   first free-run page: next on its stack.
				   First, as the page source links through it */
	uint32_t prev;          /* first block page: previous on active[type] */
	uint64_t used;          /* first block page: bit i set, slot i in use */
	uint32_t first;         /* every page: the first page of its block or run */
	uint8_t type;           /* first block page: the block's type */
	uint8_t inuse;          /* first block page: slots in use (1..slots) */
	uint8_t flags;          /* ZBLOCK_PAGE_* */
	uint8_t pages;          /* first page: pages of the block or run */
};

enum {
	ZBLOCK_PAGE_BLOCK = 0x1,        /* part of a block */
	ZBLOCK_PAGE_FREE = 0x2,         /* part of a free run */
	ZBLOCK_PAGE_HOT = 0x4,          /* free run's first page: still resident */
};

/* Free runs, by length (index: pages); stacks linked through the first
 * page's descriptor. */
struct zblock_runs {
	uint32_t hot[ZBLOCK_MAX_BLOCK_PAGES + 1], cold[ZBLOCK_MAX_BLOCK_PAGES + 1];
	uint32_t hot_nr[ZBLOCK_MAX_BLOCK_PAGES + 1], cold_nr[ZBLOCK_MAX_BLOCK_PAGES + 1];
	uint64_t resident;      /* pages in hot runs */
	uint64_t pages;         /* pages in all free runs */
};

struct zblock_pool {
	struct zbud_debug debug;                /* a debug build's operation count */
	struct zbud_lock lock;
	struct zbud_source src;
	struct zblock_runs runs;
	_Atomic uint64_t pages_nr;      /* pages in blocks; read without the lock */
	unsigned int ntypes;
	struct zblock_type type[ZBLOCK_MAX_TYPES];
	uint8_t type_of[ZBLOCK_MAX_SIZE / ZBLOCK_ALIGN + 1]; /* (size + 7) / 8 -> type */
	struct zbud_plist active[ZBLOCK_MAX_TYPES];
	uint64_t blocks[ZBLOCK_MAX_TYPES]; /* objects: zblock_type_objects() */
};

static inline struct zblock_page *zblock_page(const struct zblock_pool *pool, uint32_t pgno)
{
	return (struct zblock_page *)pool->src.meta + pgno;
}

#define ZBLOCK_LINKS(pool) ZBUD_PLINKS((pool)->src.meta, struct zblock_page, next)

/* ---- zblock_run.c: runs of contiguous pages, under the pool lock ---- */

/* zblock_run_get - @pages (1, 2, 4 or 8) contiguous pages; their descriptors
 * zeroed.  0 or -ENOMEM; a failure leaves every block as it was. */
int zblock_run_get(struct zblock_pool *pool, unsigned int pages, uint32_t *first);
/* zblock_run_put - a run back; the whole pool's pages go back to the page
 * source when it holds no block any more. */
void zblock_run_put(struct zblock_pool *pool, uint32_t first, unsigned int pages);

/* ---- The pool's calls; src/zpool/driver_zblock.c makes them a zpool driver ---- */

struct zblock_pool *zblock_create_pool(const struct zbud_source_config *source);
void zblock_destroy_pool(struct zblock_pool *pool);
/* 0, -EINVAL (size 0), -ENOSPC (over a page), -ENOMEM; a failed call changes
 * no block. */
int zblock_alloc(struct zblock_pool *pool, size_t size, unsigned long *handle);
/* A handle that does not name a slot in use is ignored. */
void zblock_free(struct zblock_pool *pool, unsigned long handle);
/* A slot's byte offset in its block, under ZBLOCK_MAX_BLOCK_PAGES pages. */
#define ZBLOCK_DELTA_BITS 15
_Static_assert(ZBLOCK_MAX_BLOCK_PAGES * ZBUD_PAGE_SIZE <= 1u << ZBLOCK_DELTA_BITS,
	       "a block's offsets fit in a handle's low bits");

static inline unsigned long zblock_handle(uint32_t first, uint32_t offset)
{
	return ((unsigned long)first << ZBLOCK_DELTA_BITS | offset) + 1;
}

static inline uint32_t zblock_handle_first(unsigned long handle)
{
	return (uint32_t)((handle - 1) >> ZBLOCK_DELTA_BITS);
}

static inline uint32_t zblock_handle_offset(unsigned long handle)
{
	return (uint32_t)((handle - 1) & ((1u << ZBLOCK_DELTA_BITS) - 1));
}

static inline void *zblock_map(struct zblock_pool *pool, unsigned long handle)
{
	return pool->src.base + ((size_t)zblock_handle_first(handle) << ZBUD_PAGE_SHIFT) +
	       zblock_handle_offset(handle);
}
uint64_t zblock_get_total_pages(struct zblock_pool *pool);

/* The type objects of @size go to, or NULL for sizes out of range. */
const struct zblock_type *zblock_size_type(const struct zblock_pool *pool, size_t size);

/* ---- zblock_check.c ---- */

struct zblock_stats {
	uint64_t pages;                 /* in blocks */
	uint64_t blocks, objects;
	uint64_t free_run_pages, resident_free_pages;
	uint64_t meta_bytes;            /* descriptors and the pool */
	uint64_t type_blocks[ZBLOCK_MAX_TYPES], type_objects[ZBLOCK_MAX_TYPES];
};

/* zblock_check_pool - walk everything; 0 or -EUCLEAN with @msg (-ENOMEM) */
int zblock_check_pool(struct zblock_pool *pool, char *msg, size_t len);
/* zblock_type_objects - objects in blocks of type @t, counted from its
 * active list when asked (a block on none is full), not by every call */
uint64_t zblock_type_objects(const struct zblock_pool *pool, unsigned int t);
void zblock_get_stats(struct zblock_pool *pool, struct zblock_stats *st);
/* Where a live handle's object is: its block's first page and its slot.
 * Returns false for a handle that is not live. */
bool zblock_handle_slot(struct zblock_pool *pool, unsigned long handle, uint32_t *first,
			unsigned int *slot);
/* zblock_walk_pages - @fn for each page in a block, in page order, under the
 * pool lock; stops at @fn's first nonzero return and returns it, else 0 */
int zblock_walk_pages(struct zblock_pool *pool,
		      int (*fn)(const struct zblock_pool *pool, uint32_t pgno, void *arg),
		      void *arg);

#endif /* ZBUD_ZBLOCK_INTERNAL_H */
