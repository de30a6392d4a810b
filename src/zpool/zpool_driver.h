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
	const char *type;
	/* @zpool is handed back to zpool_evict() when the driver evicts. */
	void *(*create)(const char *name, const struct zpool_ops *ops, struct zpool *zpool,
			const struct zbud_source_config *source);
	void (*destroy)(void *pool);
	int (*malloc)(void *pool, size_t size, unsigned long *handle);
	void (*free)(void *pool, unsigned long handle);
	/* NULL for a driver that cannot evict */
	int (*reclaim_page)(void *pool, unsigned int retries);
	void *(*map)(void *pool, unsigned long handle, enum zpool_mapmode mm);
	void (*unmap)(void *pool, unsigned long handle);
	uint64_t (*total_size)(void *pool);
	/* NULL when there is nothing to compact on demand; returns pages freed */
	uint64_t (*compact)(void *pool);
	const char *(*handle_place)(void *pool, unsigned long handle);
	int (*check)(void *pool, char *msg, size_t len);
	int (*walk)(void *pool, int (*fn)(const struct zpool_page_info *, void *), void *arg);
};

/* The pool's evict callback, or -ENOENT when it has none (as the kernel). */
int zpool_evict(struct zpool *zpool, unsigned long handle);

extern const struct zpool_driver zpool_zbud_driver;
extern const struct zpool_driver zpool_z3fold_driver;
extern const struct zpool_driver zpool_zsmalloc_driver;
extern const struct zpool_driver zpool_zblock_driver;

#endif /* ZBUD_ZPOOL_DRIVER_H */
