/*
 * zpool_zbud.c - zbud as a zpool driver (the kernel's zbud_zpool_*)
 */
#define ZPOOL_STATIC_LINKING_ONLY
#define ZBUD_STATIC_LINKING_ONLY
#include <errno.h>

#include "zbud.h"
#include "zpool_driver.h"

static int zbud_zpool_evict(struct zbud_pool *pool, unsigned long handle)
{
	return zpool_evict(zbud_get_private(pool), handle);
}

static const struct zbud_ops zbud_zpool_ops = {
	.evict = zbud_zpool_evict,
};

static void *zbud_zpool_create(const char *name, const struct zpool_ops *ops,
			       struct zpool *zpool, const struct zpool_config *cfg)
{
	const struct zbud_config zcfg = {
		.ops = ops ? &zbud_zpool_ops : NULL,
		.private_data = zpool,
		.source = cfg->source,
	};

	(void)name;
	return zbud_create_pool_config(&zcfg);
}

static void zbud_zpool_destroy(void *pool)
{
	zbud_destroy_pool(pool);
}

static int zbud_zpool_malloc(void *pool, size_t size, unsigned long *handle)
{
	return zbud_alloc(pool, size, handle);
}

static void zbud_zpool_free(void *pool, unsigned long handle)
{
	zbud_free(pool, handle);
}

static int zbud_zpool_reclaim_page(void *pool, unsigned int retries)
{
	return zbud_reclaim_page(pool, retries);
}

static void *zbud_zpool_map(void *pool, unsigned long handle, enum zpool_mapmode mm)
{
	(void)mm;
	return zbud_map(pool, handle);
}

static void zbud_zpool_unmap(void *pool, unsigned long handle)
{
	zbud_unmap(pool, handle);
}

static uint64_t zbud_zpool_total_size(void *pool)
{
	return zbud_get_pool_size(pool) * ZBUD_PAGE_SIZE;
}

static enum zpool_place zbud_zpool_handle_place(void *pool, unsigned long handle)
{
	(void)pool;
	return zbud_handle_buddy(handle) == ZBUD_FIRST ? ZPOOL_PLACE_FIRST : ZPOOL_PLACE_LAST;
}

static int zbud_zpool_check(void *pool, char *msg, size_t len)
{
	return zbud_check_pool(pool, msg, len);
}

static int walk_page(uint64_t page, unsigned int first, unsigned int last, void *arg)
{
	struct zpool_walk *w = arg;

	zpool_walk_page(w, page, 0);
	zpool_walk_add(w, 0, ZBUD_CHUNK_SIZE, ZPOOL_PLACE_HEADER);
	if (first)
		zpool_walk_add(w, ZBUD_CHUNK_SIZE, (first + 1) * ZBUD_CHUNK_SIZE, ZPOOL_PLACE_FIRST);
	if (last)
		zpool_walk_add(w, ZBUD_PAGE_SIZE - last * ZBUD_CHUNK_SIZE, ZBUD_PAGE_SIZE,
			       ZPOOL_PLACE_LAST);
	return zpool_walk_done(w);
}

static int zbud_zpool_walk(void *pool, int (*fn)(const struct zpool_page_info *, void *),
			   void *arg)
{
	struct zpool_walk w = { .fn = fn, .arg = arg };

	return zbud_walk_pages(pool, walk_page, &w);
}

const struct zpool_driver zpool_zbud_driver = {
	.info = {
		.type = "zbud",
		.max_size = ZBUD_MAX_SIZE,
		.evicts = true,
		.full_places = 1u << ZPOOL_PLACE_FIRST | 1u << ZPOOL_PLACE_LAST,
		.full_name = "buddied",
		.lists_name = "unbuddied",
	},
	.create = zbud_zpool_create,
	.destroy = zbud_zpool_destroy,
	.malloc = zbud_zpool_malloc,
	.free = zbud_zpool_free,
	.reclaim_page = zbud_zpool_reclaim_page,
	.map = zbud_zpool_map,
	.unmap = zbud_zpool_unmap,
	.total_size = zbud_zpool_total_size,
	.handle_place = zbud_zpool_handle_place,
	.check = zbud_zpool_check,
	.walk = zbud_zpool_walk,
};
