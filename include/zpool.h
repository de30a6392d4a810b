/*
 * zpool.h - one interface over every compressed-page allocator
 *
 * As Linux's include/linux/zpool.h: a pool is created by the name of its
 * allocator ("zbud", and each driver added after it), and then used through
 * the same calls whichever allocator is behind it.  Sizes are in bytes.
 *
 * Concurrency is the driver's: each driver's header says which calls may run
 * at once (for zbud: all but zpool_destroy_pool()).  The evict callback runs
 * without any pool lock held and may call zpool_free().
 *
 * zsmalloc: every call but zpool_destroy_pool() may run at once with any
 * other, and a map takes no pool lock.  An object that straddles two pages
 * is mapped as a copy in a buffer of the calling thread's, which has two: a
 * thread may hold at most two such maps at once, and a third returns NULL.
 * One handle may be mapped at most 63 times at once; a 64th map waits for an
 * unmap.  zsmalloc never evicts (zpool_evictable() is false).
 *
 * Functions returning int return 0 or a negative errno value.
 */
#ifndef ZPOOL_H
#define ZPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zbud_source.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

enum zpool_mapmode {
	ZPOOL_MM_RW, /* read and write (the default) */
	ZPOOL_MM_RO, /* read only */
	ZPOOL_MM_WO, /* write only: the old contents need not be read */
};

struct zpool;

struct zpool_ops {
	/* As zbud_ops.evict: free the handle with zpool_free() and return 0 to
	 * evict it, anything else to refuse. */
	int (*evict)(struct zpool *pool, unsigned long handle);
};

/* zpool_has_pool - whether an allocator of that name is built in */
bool zpool_has_pool(const char *type);

/*
 * zpool_create_pool - a new pool of the allocator @type
 * @name: a name for the pool (kept for the caller; drivers may ignore it)
 * @ops:  the evict callback, or NULL
 *
 * Returns NULL with errno ENOENT for an unknown type, ENOMEM when out of
 * memory.
 */
struct zpool *zpool_create_pool(const char *type, const char *name,
				const struct zpool_ops *ops);

/* zpool_destroy_pool - free the pool and all it holds; NULL is allowed */
void zpool_destroy_pool(struct zpool *pool);

/* zpool_get_type - the allocator's name */
const char *zpool_get_type(struct zpool *pool);

/* zpool_malloc - as the driver's alloc: 0, -EINVAL, -ENOSPC or -ENOMEM */
int zpool_malloc(struct zpool *pool, size_t size, unsigned long *handle);

/* zpool_free - free an allocation */
void zpool_free(struct zpool *pool, unsigned long handle);

/*
 * zpool_shrink - evict until @pages pages are freed
 *
 * Reclaims a page at a time (zbud: zbud_reclaim_page(pool, 8)) and stops at
 * the first failure.  Stores the pages freed in *@reclaimed if non-NULL.
 * Returns the last reclaim's result: 0 when all @pages were freed; -EINVAL
 * when the pool is not evictable or @pages is 0.
 */
int zpool_shrink(struct zpool *pool, unsigned int pages, unsigned int *reclaimed);

/* zpool_map_handle - the bytes of an allocation, until zpool_unmap_handle() */
void *zpool_map_handle(struct zpool *pool, unsigned long handle,
		       enum zpool_mapmode mm);

/* zpool_unmap_handle - end a map */
void zpool_unmap_handle(struct zpool *pool, unsigned long handle);

/* zpool_get_total_size - the memory the pool holds, in bytes */
uint64_t zpool_get_total_size(struct zpool *pool);

/* zpool_evictable - whether the driver can reclaim and @ops has evict */
bool zpool_evictable(struct zpool *pool);

/* ---- Beyond the kernel's API ---- */

struct zpool_config {
	void *private_data;             /* returned by zpool_get_private() */
	struct zbud_source_config source;
	unsigned int chain_pages;       /* zsmalloc: the most pages of a zspage,
					   1 to 16; 0: 8, the kernel's default
					   (CONFIG_ZSMALLOC_CHAIN_SIZE) */
};

/* zpool_create_pool_config - zpool_create_pool() with a chosen page source
 * and options; @cfg NULL is zpool_create_pool().  errno EINVAL for a bad
 * source config or option. */
struct zpool *zpool_create_pool_config(const char *type, const char *name,
				       const struct zpool_ops *ops,
				       const struct zpool_config *cfg);

/* zpool_get_private - the private_data given at creation (NULL otherwise) */
void *zpool_get_private(struct zpool *pool);

/* zpool_get_name - the name given at creation */
const char *zpool_get_name(struct zpool *pool);

/* zpool_driver_name - the @i-th built-in allocator's name, NULL past the last */
const char *zpool_driver_name(unsigned int i);

/*
 * zpool_reclaim_page - one reclaim with the driver's own retry count, as
 * zbud_reclaim_page(): 0, -EINVAL (not evictable, empty, retries 0), -EAGAIN
 */
int zpool_reclaim_page(struct zpool *pool, unsigned int retries);

/*
 * zpool_compact - move objects out of sparsely used pages and free those
 * pages, as zsmalloc's zs_compact(); handles stay valid.  Returns the pages
 * freed (0 for a driver that never moves objects, as zbud), or -ENOMEM when
 * it had no memory to plan the moves, and then nothing moved.
 */
int64_t zpool_compact(struct zpool *pool);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* ZPOOL_H */

#if defined(ZPOOL_STATIC_LINKING_ONLY) && !defined(ZPOOL_H_STATIC)
#define ZPOOL_H_STATIC
/*
 * ---- For static linking only ----
 *
 * What the zbud tools and tests use beyond the stable API above: what each
 * allocator is (its largest object, whether it evicts, how its pages are
 * named), where it put an object, a walk over its pages, and its invariant
 * checker.  These may change between versions; link libzbud statically to
 * use them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/*
 * Where an allocator puts an object in a page: the word `zbud replay` logs
 * after each allocation (zpool_place_name()), and the letter `zbud inspect`
 * draws in each byte it takes (zpool_place_letter()).
 */
enum zpool_place {
	ZPOOL_PLACE_STALE,      /* no live object: "stale", '?' */
	ZPOOL_PLACE_SLOT,       /* one of a class's equal slots: "ok", 'o' */
	ZPOOL_PLACE_FIRST,      /* from the start of the page: "first", 'F' */
	ZPOOL_PLACE_MIDDLE,     /* between FIRST and LAST: "middle", 'M' */
	ZPOOL_PLACE_LAST,       /* up to the end of the page: "last", 'L' */
	ZPOOL_PLACE_HEADLESS,   /* the whole page, no header: "headless", 'H' */
	ZPOOL_PLACE_HEADER,     /* room a page's header takes (kept out of line,
				   but its room is kept): "header", 'h' */
	ZPOOL_PLACE_NR
};

const char *zpool_place_name(enum zpool_place place);
char zpool_place_letter(enum zpool_place place);

/* What a zpool user needs to know of an allocator, without probing it. */
struct zpool_info {
	const char *type;               /* its name, as zpool_create_pool() takes it */
	size_t max_size;                /* the largest object; larger: -ENOSPC */
	bool evicts;                    /* zpool_shrink() and zpool_reclaim_page() can
					   free pages (with an evict callback) */
	bool compacts;                  /* zpool_compact() can free pages */
	unsigned int full_places;       /* bit (1 << place): a page holding an object
					   at every such place takes no more (zbud:
					   FIRST and LAST); 0 when pages are not full
					   by their places */
	const char *full_name;          /* what such pages are called ("buddied") */
	const char *lists_name;         /* the lists the other pages are on, by their
					   free 64-byte chunks ("unbuddied"), or NULL */
};

/* zpool_info - the allocator @type's, or NULL when none has that name */
const struct zpool_info *zpool_info(const char *type);
/* zpool_driver_info - the @i-th built-in allocator's, NULL past the last */
const struct zpool_info *zpool_driver_info(unsigned int i);

/* zpool_handle_place - where the allocator put a live handle */
enum zpool_place zpool_handle_place(struct zpool *pool, unsigned long handle);

/* One page of a pool, as inspection draws it: the bytes in use, and by what. */
#define ZPOOL_MAX_REGIONS 128

struct zpool_region {
	uint16_t start, end;            /* bytes [start, end) of the page */
	enum zpool_place place;
};

struct zpool_page_info {
	uint64_t page;                  /* its number in the pool */
	unsigned int slot_size;         /* a size class's page: its slot size, and
					   each object (or its part in the page)
					   is a region of its own; else 0 */
	unsigned int nregions;          /* regions in use, in address order */
	struct zpool_region region[ZPOOL_MAX_REGIONS];
};

/*
 * zpool_walk - call @fn for each page the pool holds, in page order
 *
 * @fn runs under the pool's lock: it must not call the pool.  Stops at
 * @fn's first nonzero return and returns it; 0 when all pages were seen;
 * -EOPNOTSUPP for a driver that cannot show its pages.
 */
int zpool_walk(struct zpool *pool, int (*fn)(const struct zpool_page_info *page, void *arg),
	       void *arg);

/* zpool_check - the driver's invariant checker; 0 or -EUCLEAN with @msg */
int zpool_check(struct zpool *pool, char *msg, size_t len);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* ZPOOL_STATIC_LINKING_ONLY */
