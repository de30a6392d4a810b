/*
 * driver_zblock.c - zblock as a zpool driver (the kernel's zblock_zpool_*)
 */
#include "zblock_internal.h"
#include "zpool_driver.h"

static void *zblock_zpool_create(const char *name, const struct zpool_ops *ops,
				 struct zpool *zpool, const struct zpool_config *cfg)
{
	(void)name, (void)ops, (void)zpool; /* never evicts: ops->evict is not called */
	return zblock_create_pool(&cfg->source);
}

static void zblock_zpool_destroy(void *pool)
{
	zblock_destroy_pool(pool);
}

static int zblock_zpool_malloc(void *pool, size_t size, unsigned long *handle)
{
	return zblock_alloc(pool, size, handle);
}

static void zblock_zpool_free(void *pool, unsigned long handle)
{
	zblock_free(pool, handle);
}

static void *zblock_zpool_map(void *pool, unsigned long handle, enum zpool_mapmode mm)
{
	(void)mm; /* a block is contiguous: every map is a pointer, never a copy */
	return zblock_map(pool, handle);
}

static void zblock_zpool_unmap(void *pool, unsigned long handle)
{
	(void)pool, (void)handle;
}

static uint64_t zblock_zpool_total_size(void *pool)
{
	return zblock_get_total_pages(pool) * ZBUD_PAGE_SIZE;
}

static enum zpool_place zblock_zpool_handle_place(void *pool, unsigned long handle)
{
	(void)pool, (void)handle;
	return ZPOOL_PLACE_SLOT;
}

static int zblock_zpool_check(void *pool, char *msg, size_t len)
{
	return zblock_check_pool(pool, msg, len);
}

/* The used slots of a block that reach into its page @pgno, in the page's
 * bytes, a region each: a slot crossing into the next page shows its part
 * in each. */
static int walk_page(const struct zblock_pool *pool, uint32_t pgno, void *arg)
{
	const struct zblock_page *head = zblock_page(pool, zblock_page(pool, pgno)->first);
	const struct zblock_type *type = &pool->type[head->type];
	const size_t base = (size_t)(pgno - zblock_page(pool, pgno)->first) << ZBUD_PAGE_SHIFT;
	struct zpool_walk *w = arg;

	zpool_walk_page(w, pgno, type->size);
	for (unsigned int s = (unsigned int)(base / type->size); s < type->slots; s++) {
		size_t from = (size_t)s * type->size, to = from + type->size;

		if (from >= base + ZBUD_PAGE_SIZE)
			break;
		if (head->used >> s & 1)
			zpool_walk_add(w, (unsigned int)(from > base ? from - base : 0),
				       (unsigned int)(to < base + ZBUD_PAGE_SIZE ? to - base
									: ZBUD_PAGE_SIZE),
				       ZPOOL_PLACE_SLOT);
	}
	return zpool_walk_done(w);
}

static int zblock_zpool_walk(void *pool, int (*fn)(const struct zpool_page_info *, void *),
			     void *arg)
{
	struct zpool_walk w = { .fn = fn, .arg = arg };

	return zblock_walk_pages(pool, walk_page, &w);
}

const struct zpool_driver zpool_zblock_driver = {
	.info = {
		.type = "zblock",
		.max_size = ZBLOCK_MAX_SIZE,
	},
	.create = zblock_zpool_create,
	.destroy = zblock_zpool_destroy,
	.malloc = zblock_zpool_malloc,
	.free = zblock_zpool_free,
	.reclaim_page = NULL, /* as the kernel's: zblock does not evict */
	.map = zblock_zpool_map,
	.unmap = zblock_zpool_unmap,
	.total_size = zblock_zpool_total_size,
	.compact = NULL, /* nor compact */
	.handle_place = zblock_zpool_handle_place,
	.check = zblock_zpool_check,
	.walk = zblock_zpool_walk,
};
