/*
 * zbud.h - Linux's zbud allocator for compressed pages, in userspace
 *
 * zbud stores up to two objects ("buddies") in each 4 KiB page.  A page is
 * cut into 64 chunks of 64 bytes.  Chunk 0 is reserved for the page header
 * (here it stays empty: the header lives out of line, but the geometry and
 * so every decision is the kernel's).  The FIRST buddy starts right after it,
 * the LAST buddy ends at the end of the page:
 *
 *   chunk 0    1 ...            ...             ... 63
 *        +-----+--------------+---------------+--------------+
 *        | hdr | FIRST ->     |     free      |      <- LAST |
 *        +-----+--------------+---------------+--------------+
 *
 * so a page has 63 - first_chunks - last_chunks free chunks, and an object
 * is at most 62 chunks, 3968 bytes, so that two always fit.
 *
 * Every decision is Linux's mm/zbud.c (v6.1): which page an object goes to
 * (the first page on the lowest-numbered non-empty unbuddied list that fits,
 * lists kept newest first), which buddy it becomes, when a page moves between
 * lists, the LRU order, and what zbud_reclaim_page() evicts.  docs/zbud.md
 * draws it all.
 *
 * Handles are opaque.  A handle stays valid, and the bytes written through
 * zbud_map() stay unchanged, until the handle is freed (by the caller or by
 * an eviction callback).
 *
 * Concurrency: every function may be called from several threads at once on
 * the same pool, except zbud_destroy_pool(), which must be the last call.
 * The pool has one lock, as in the kernel.  The evict callback is called
 * without it, so it may call zbud_free() (it must, to evict) and any other
 * function but zbud_destroy_pool().  zbud_map() and zbud_unmap() take no
 * lock; what a thread does with the bytes of a handle is its own business.
 *
 * All functions returning int return 0 or a negative errno value; a failed
 * call changes nothing.
 */
#ifndef ZBUD_H
#define ZBUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zbud_source.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* The version of libzbud: a new MINOR adds API, a new MAJOR breaks it. */
#define ZBUD_VERSION_MAJOR 0
#define ZBUD_VERSION_MINOR 2
#define ZBUD_VERSION_PATCH 0
#define ZBUD_VERSION_NUMBER \
	(ZBUD_VERSION_MAJOR * 10000 + ZBUD_VERSION_MINOR * 100 + ZBUD_VERSION_PATCH)
#define ZBUD_VERSION_STRING_(a, b, c) #a "." #b "." #c
#define ZBUD_VERSION_STRING_EXPAND_(a, b, c) ZBUD_VERSION_STRING_(a, b, c)
#define ZBUD_VERSION_STRING \
	ZBUD_VERSION_STRING_EXPAND_(ZBUD_VERSION_MAJOR, ZBUD_VERSION_MINOR, ZBUD_VERSION_PATCH)

/* The version of the library linked in, which may be newer than the
 * header's: ZBUD_VERSION_NUMBER and ZBUD_VERSION_STRING at its build. */
unsigned int zbud_version_number(void);
const char *zbud_version_string(void);

/* Geometry, as the kernel's with 4 KiB pages. */
#define ZBUD_CHUNK_SHIFT 6
#define ZBUD_CHUNK_SIZE (1U << ZBUD_CHUNK_SHIFT)
#define ZBUD_NCHUNKS ((int)((ZBUD_PAGE_SIZE - ZBUD_CHUNK_SIZE) >> ZBUD_CHUNK_SHIFT)) /* 63 */
#define ZBUD_MAX_SIZE (ZBUD_PAGE_SIZE - 2 * ZBUD_CHUNK_SIZE)                   /* 3968 */

struct zbud_pool;

struct zbud_ops {
	/*
	 * Called by zbud_reclaim_page() for each live buddy of the page being
	 * reclaimed, FIRST then LAST.  To evict, write the object elsewhere,
	 * call zbud_free(pool, handle) and return 0.  Any other return value
	 * refuses: the page keeps what is left and reclaim moves on.
	 */
	int (*evict)(struct zbud_pool *pool, unsigned long handle);
};

/*
 * zbud_create_pool - a new, empty pool backed by the default arena
 * @ops: the evict callback, or NULL for a pool that is never reclaimed
 *
 * A pool without an evict callback keeps no LRU: zbud_reclaim_page() refuses
 * it at once, so nothing could see the order, and keeping it is the dearest
 * step of an allocation.  Every other decision is the same.
 *
 * Returns the pool, or NULL when out of memory.
 */
struct zbud_pool *zbud_create_pool(const struct zbud_ops *ops);

/*
 * zbud_destroy_pool - free the pool and every page it holds
 *
 * Handles still allocated become invalid.  NULL is allowed.
 */
void zbud_destroy_pool(struct zbud_pool *pool);

/*
 * zbud_alloc - allocate @size bytes
 *
 * On success stores the handle in *@handle and returns 0.  Returns -EINVAL
 * for size 0, -ENOSPC for a size above ZBUD_MAX_SIZE, -ENOMEM when a new page
 * is needed and the page source has none.
 */
int zbud_alloc(struct zbud_pool *pool, size_t size, unsigned long *handle);

/*
 * zbud_free - free an allocation
 *
 * While its page is being reclaimed, the page itself is freed by reclaim.
 * A handle that is not allocated in this pool is ignored.
 */
void zbud_free(struct zbud_pool *pool, unsigned long handle);

/*
 * zbud_reclaim_page - evict the least recently allocated-into page
 * @retries: how many pages to try, from the LRU tail, before giving up
 *
 * Calls the evict callback for the page's FIRST buddy, then its LAST; stops
 * at the first refusal.  A page whose buddies are all gone is freed and 0 is
 * returned; otherwise the page goes back to the head of the LRU and the next
 * tail page is tried.  Returns -EINVAL when the pool has no evict callback,
 * is empty, or @retries is 0, and -EAGAIN when no page was freed.
 */
int zbud_reclaim_page(struct zbud_pool *pool, unsigned int retries);

/* zbud_map - the address of an allocation's bytes; valid until it is freed */
void *zbud_map(struct zbud_pool *pool, unsigned long handle);

/* zbud_unmap - end a zbud_map(); nothing to undo for zbud */
void zbud_unmap(struct zbud_pool *pool, unsigned long handle);

/* zbud_get_pool_size - the pages the pool holds, as the kernel counts them */
uint64_t zbud_get_pool_size(struct zbud_pool *pool);

/* ---- Beyond the kernel's API ---- */

struct zbud_config {
	const struct zbud_ops *ops;     /* as for zbud_create_pool() */
	void *private_data;             /* returned by zbud_get_private() */
	struct zbud_source_config source;
};

/*
 * zbud_create_pool_config - a new pool with a chosen page source
 *
 * @cfg NULL is zbud_create_pool(NULL).  Returns NULL with errno set: EINVAL
 * for a buffer too small for one page, ENOMEM when out of memory or address
 * space.
 */
struct zbud_pool *zbud_create_pool_config(const struct zbud_config *cfg);

/* zbud_get_private - the private_data given at creation (NULL otherwise) */
void *zbud_get_private(struct zbud_pool *pool);

struct zbud_stats {
	uint64_t pages;                       /* zbud_get_pool_size() */
	uint64_t buddied_pages;               /* pages holding two objects */
	uint64_t unbuddied[ZBUD_NCHUNKS];     /* one-object pages, by free chunks */
	uint64_t objects;                     /* allocations live */
	uint64_t object_chunks;               /* chunks those allocations use */
	uint64_t cached_pages;                /* free pages kept for reuse */
	uint64_t source_capacity;             /* most pages the source can give */
	uint64_t meta_bytes;                  /* memory for the pool and descriptors */
};

/* zbud_get_stats - a consistent snapshot of the pool's counters */
void zbud_get_stats(struct zbud_pool *pool, struct zbud_stats *stats);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* ZBUD_H */

#if defined(ZBUD_STATIC_LINKING_ONLY) && !defined(ZBUD_H_STATIC)
#define ZBUD_H_STATIC
/*
 * ---- For static linking only ----
 *
 * What the zbud tools and tests use beyond the stable API above: where an
 * object went, a walk over the pages, the invariant checker, and the hash
 * map the store keeps its keys in.  These may change between versions;
 * link libzbud statically to use them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

enum zbud_buddy { ZBUD_FIRST, ZBUD_LAST };

/* zbud_handle_buddy - which buddy a valid handle names */
enum zbud_buddy zbud_handle_buddy(unsigned long handle);

/*
 * zbud_walk_pages - call @fn(page, first_chunks, last_chunks, @arg) for each
 * page in use, in page order, under the pool lock (@fn must not call the
 * pool).  Stops at the first nonzero return and returns it.
 */
int zbud_walk_pages(struct zbud_pool *pool,
		    int (*fn)(uint64_t page, unsigned int first, unsigned int last, void *arg),
		    void *arg);

/*
 * zbud_check_pool - verify every invariant of the pool
 *
 * Walks all lists and descriptors: list links, list membership by free
 * chunks, the buddied count, LRU membership of every page, chunk accounting
 * (FIRST and LAST never overlap), the page counter and the page source's free
 * lists.  Returns 0, or -EUCLEAN with the first violation described in @msg
 * (@len bytes, may be 0).  Takes the pool lock; O(pages).
 */
int zbud_check_pool(struct zbud_pool *pool, char *msg, size_t len);

/*
 * struct zbud_idmap - an open-addressing hash map from uint64_t keys to
 * uint64_t values: the store's key index, the replay's IDs and handles.
 * Linear probing with backward-shift deletion, so there are no tombstones
 * to clean up.  Not thread-safe.
 */
struct zbud_idmap_slot {
	uint64_t key;
	uint64_t value;
	bool used;
};

struct zbud_idmap {
	struct zbud_idmap_slot *slots;
	size_t mask;    /* capacity - 1; capacity is a power of two */
	size_t count;
};

void zbud_idmap_init(struct zbud_idmap *m);
void zbud_idmap_fini(struct zbud_idmap *m);
/* zbud_idmap_put - insert or replace; 0 or -ENOMEM */
int zbud_idmap_put(struct zbud_idmap *m, uint64_t key, uint64_t value);
/* zbud_idmap_get - true and *value when present */
bool zbud_idmap_get(const struct zbud_idmap *m, uint64_t key, uint64_t *value);
/* zbud_idmap_del - true when it was present */
bool zbud_idmap_del(struct zbud_idmap *m, uint64_t key);
/* zbud_idmap_for_each - every used slot @s of @m, in no order; no changes meanwhile */
#define zbud_idmap_for_each(m, s) \
	for ((s) = (m)->slots; (m)->slots && (s) <= (m)->slots + (m)->mask; (s)++) \
		if ((s)->used)
/* zbud_idmap_bytes - the memory it holds */
size_t zbud_idmap_bytes(const struct zbud_idmap *m);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* ZBUD_STATIC_LINKING_ONLY */
