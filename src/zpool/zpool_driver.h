/*
 * zpool_driver.h - what an allocator provides to zpool (internal)
 *
 * As the kernel's struct zpool_driver.  To add an allocator: write one file
 * that defines a `const struct zpool_driver`, and add it to the table in
 * zpool.c.
 */
#ifndef ZBUD_ZPOOL_DRIVER_H
#define ZBUD_ZPOOL_DRIVER_H

#define ZPOOL_STATIC_LINKING_ONLY
#include "zpool.h"

struct zpool_driver {
	struct zpool_info info;         /* info.type: the name it is created by */
	/* @zpool is handed back to zpool_evict() when the driver evicts. */
	void *(*create)(const char *name, const struct zpool_ops *ops, struct zpool *zpool,
			const struct zpool_config *cfg);
	void (*destroy)(void *pool);
	int (*malloc)(void *pool, size_t size, unsigned long *handle);
	void (*free)(void *pool, unsigned long handle);
	/* NULL for a driver that cannot evict */
	int (*reclaim_page)(void *pool, unsigned int retries);
	void *(*map)(void *pool, unsigned long handle, enum zpool_mapmode mm);
	void (*unmap)(void *pool, unsigned long handle);
	uint64_t (*total_size)(void *pool);
	/* NULL when there is nothing to compact on demand; returns pages freed
	 * or -ENOMEM */
	int64_t (*compact)(void *pool);
	enum zpool_place (*handle_place)(void *pool, unsigned long handle);
	int (*check)(void *pool, char *msg, size_t len);
	int (*walk)(void *pool, int (*fn)(const struct zpool_page_info *, void *), void *arg);
};

/*
 * A driver's page walk: the page it is on, then its regions in address order,
 * then the caller's callback.  Each driver keeps one of these for a walk.
 */
struct zpool_walk {
	int (*fn)(const struct zpool_page_info *, void *);
	void *arg;
	struct zpool_page_info info;
};

/* Page @page begins, of slots of @slot_size bytes (0: not a size class). */
static inline void zpool_walk_page(struct zpool_walk *w, uint64_t page, unsigned int slot_size)
{
	w->info.page = page;
	w->info.slot_size = slot_size;
	w->info.nregions = 0;
}

/* Bytes [@start, @end) of the page hold @place: one more region.  Were
 * ZPOOL_MAX_REGIONS reached, the last would grow over them and the gap; no
 * page comes near it (at most 128: 32-byte slots). */
void zpool_walk_add(struct zpool_walk *w, unsigned int start, unsigned int end,
		    enum zpool_place place);

static inline int zpool_walk_done(struct zpool_walk *w)
{
	return w->fn(&w->info, w->arg);
}

/* The pool's evict callback, or -ENOENT when it has none (as the kernel). */
int zpool_evict(struct zpool *zpool, unsigned long handle);

extern const struct zpool_driver zpool_zbud_driver;
extern const struct zpool_driver zpool_z3fold_driver;
extern const struct zpool_driver zpool_zsmalloc_driver;
extern const struct zpool_driver zpool_zsmalloc_kernel_driver;
extern const struct zpool_driver zpool_zblock_driver;

#endif /* ZBUD_ZPOOL_DRIVER_H */
