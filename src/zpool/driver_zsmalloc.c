/*
 * driver_zsmalloc.c - zsmalloc as two zpool drivers (the kernel's zs_zpool_*):
 * "zsmalloc", our geometry, and "zsmalloc-kernel", the kernel's exact one
 * (zsmalloc_internal.h draws both)
 */
#define ZPOOL_STATIC_LINKING_ONLY
#include "zpool_driver.h"
#include "zsmalloc_internal.h"

static void *zs_zpool_create(const char *name, const struct zpool_ops *ops, struct zpool *zpool,
			     const struct zpool_config *cfg)
{
	const struct zs_config ours = { .chain = cfg->chain_pages };

	(void)name, (void)ops, (void)zpool; /* never evicts: ops->evict is not called */
	return zs_create_pool(&cfg->source, &ours);
}

static void *zs_zpool_create_kernel(const char *name, const struct zpool_ops *ops,
				    struct zpool *zpool, const struct zpool_config *cfg)
{
	const struct zs_config kernel = { .chain = cfg->chain_pages, .kernel = true, .handle = true };

	(void)name, (void)ops, (void)zpool;
	return zs_create_pool(&cfg->source, &kernel);
}

static void zs_zpool_destroy(void *pool)
{
	zs_destroy_pool(pool);
}

static int zs_zpool_malloc(void *pool, size_t size, unsigned long *handle)
{
	return zs_malloc(pool, size, handle);
}

static void zs_zpool_free(void *pool, unsigned long handle)
{
	zs_free(pool, handle);
}

static void *zs_zpool_map(void *pool, unsigned long handle, enum zpool_mapmode mm)
{
	static const enum zs_mapmode zs_mm[] = {
		[ZPOOL_MM_RW] = ZS_MM_RW, [ZPOOL_MM_RO] = ZS_MM_RO, [ZPOOL_MM_WO] = ZS_MM_WO,
	};

	return zs_map_object(pool, handle, zs_mm[mm]);
}

static void zs_zpool_unmap(void *pool, unsigned long handle)
{
	zs_unmap_object(pool, handle);
}

static uint64_t zs_zpool_total_size(void *pool)
{
	return zs_get_total_pages(pool) * ZBUD_PAGE_SIZE;
}

static int64_t zs_zpool_compact(void *pool)
{
	return zs_compact(pool);
}

static enum zpool_place zs_zpool_handle_place(void *pool, unsigned long handle)
{
	(void)pool, (void)handle;
	return ZPOOL_PLACE_SLOT;
}

static int zs_zpool_check(void *pool, char *msg, size_t len)
{
	return zs_check_pool(pool, msg, len);
}

/* The slots of a zspage's page in use, in its bytes, a region each: a
 * straddling object shows its part in each of its two pages.  Under the
 * pool lock. */
static int walk_page(const struct zs_pool *pool, uint32_t pgno, void *arg)
{
	const struct zs_page *zp = zs_page(pool, pgno);
	const struct size_class *class = &pool->class[zp->class_idx];
	const size_t base = (size_t)zp->index * ZBUD_PAGE_SIZE; /* in the zspage */
	const size_t size = class->size;
	size_t slot = base / size, end = (base + ZBUD_PAGE_SIZE + size - 1) / size;
	uint32_t first = zs_first(pool, pgno);
	struct zpool_walk *w = arg;

	if (end > class->cap[zs_npages(pool, first)])
		end = class->cap[zs_npages(pool, first)];
	zpool_walk_page(w, pgno, (unsigned int)size);
	for (; slot < end; slot++) {
		size_t from = slot * size, to = from + size;

		if (slot_free(pool, first, (unsigned int)slot))
			continue;
		zpool_walk_add(w, (unsigned int)((from > base ? from : base) - base),
			       (unsigned int)((to < base + ZBUD_PAGE_SIZE ? to : base + ZBUD_PAGE_SIZE) -
					      base), ZPOOL_PLACE_SLOT);
	}
	return zpool_walk_done(w);
}

static int zs_zpool_walk(void *pool, int (*fn)(const struct zpool_page_info *, void *), void *arg)
{
	struct zpool_walk w = { .fn = fn, .arg = arg };

	return zs_walk_pages(pool, walk_page, &w);
}

/* Both drivers' calls: all but creation. */
#define ZS_ZPOOL_CALLS \
	.destroy = zs_zpool_destroy, \
	.malloc = zs_zpool_malloc, \
	.free = zs_zpool_free, \
	.reclaim_page = NULL, /* as the kernel's: zsmalloc does not evict */ \
	.map = zs_zpool_map, \
	.unmap = zs_zpool_unmap, \
	.total_size = zs_zpool_total_size, \
	.compact = zs_zpool_compact, \
	.handle_place = zs_zpool_handle_place, \
	.check = zs_zpool_check, \
	.walk = zs_zpool_walk

const struct zpool_driver zpool_zsmalloc_driver = {
	.info = {
		.type = "zsmalloc",
		.max_size = ZS_MAX_ALLOC_SIZE,
		.compacts = true,
	},
	.create = zs_zpool_create,
	ZS_ZPOOL_CALLS,
};

const struct zpool_driver zpool_zsmalloc_kernel_driver = {
	.info = {
		.type = "zsmalloc-kernel",
		.max_size = ZS_MAX_ALLOC_SIZE,
		.compacts = true,
	},
	.create = zs_zpool_create_kernel,
	ZS_ZPOOL_CALLS,
};
