/*
 * driver_z3fold.c - z3fold as a zpool driver (the kernel's z3fold_zpool_*)
 */
#define ZPOOL_STATIC_LINKING_ONLY
#include <errno.h>

#include "z3fold_internal.h"
#include "zpool_driver.h"

static int z3fold_zpool_evict(struct z3fold_pool *pool, unsigned long handle)
{
	return zpool_evict(z3fold_get_private(pool), handle);
}

static const struct z3fold_ops z3fold_zpool_ops = {
	.evict = z3fold_zpool_evict,
};

static void *z3fold_zpool_create(const char *name, const struct zpool_ops *ops,
				 struct zpool *zpool, const struct zpool_config *cfg)
{
	(void)name;
	return z3fold_create_pool(ops ? &z3fold_zpool_ops : NULL, zpool, &cfg->source);
}

static void z3fold_zpool_destroy(void *pool)
{
	z3fold_destroy_pool(pool);
}

static int z3fold_zpool_malloc(void *pool, size_t size, unsigned long *handle)
{
	return z3fold_alloc(pool, size, handle);
}

static void z3fold_zpool_free(void *pool, unsigned long handle)
{
	z3fold_free(pool, handle);
}

static int z3fold_zpool_reclaim_page(void *pool, unsigned int retries)
{
	return z3fold_reclaim_page(pool, retries);
}

static void *z3fold_zpool_map(void *pool, unsigned long handle, enum zpool_mapmode mm)
{
	(void)mm;
	return z3fold_map(pool, handle);
}

static void z3fold_zpool_unmap(void *pool, unsigned long handle)
{
	z3fold_unmap(pool, handle);
}

static uint64_t z3fold_zpool_total_size(void *pool)
{
	return z3fold_get_pool_size(pool) * ZBUD_PAGE_SIZE;
}

static enum zpool_place z3fold_zpool_handle_place(void *pool, unsigned long handle)
{
	static const enum zpool_place place[] = {
		ZPOOL_PLACE_FIRST, ZPOOL_PLACE_MIDDLE, ZPOOL_PLACE_LAST, ZPOOL_PLACE_HEADLESS,
	};
	enum z3fold_buddy bud;
	unsigned int offset;
	uint32_t pgno;

	if (z3fold_locate(pool, handle, &pgno, &bud, &offset))
		return ZPOOL_PLACE_STALE;
	return place[bud];
}

static int z3fold_zpool_check(void *pool, char *msg, size_t len)
{
	return z3fold_check_pool(pool, msg, len);
}

/* The regions of a page in use, for zpool_walk(); under the pool lock. */
static int walk_page(uint32_t pgno, const struct z3fold_page *zp, void *arg)
{
	static const enum zpool_place place[] = {
		ZPOOL_PLACE_FIRST, ZPOOL_PLACE_MIDDLE, ZPOOL_PLACE_LAST,
	};
	struct zpool_walk *w = arg;

	zpool_walk_page(w, pgno, 0);
	if (zp->flags & Z3FOLD_PAGE_HEADLESS) {
		zpool_walk_add(w, 0, ZBUD_PAGE_SIZE, ZPOOL_PLACE_HEADLESS);
		return zpool_walk_done(w);
	}
	zpool_walk_add(w, 0, Z3FOLD_ZHDR_CHUNKS << Z3FOLD_CHUNK_SHIFT, ZPOOL_PLACE_HEADER);
	/* FIRST, MIDDLE, LAST lie in that order in the page. */
	for (int b = Z3FOLD_FIRST; b <= Z3FOLD_LAST; b++) {
		unsigned int start = z3fold_offset(zp, b);

		if (zp->chunks[b])
			zpool_walk_add(w, start, start + (zp->chunks[b] << Z3FOLD_CHUNK_SHIFT),
				       place[b]);
	}
	return zpool_walk_done(w);
}

static int z3fold_zpool_walk(void *pool, int (*fn)(const struct zpool_page_info *, void *),
			     void *arg)
{
	struct zpool_walk w = { .fn = fn, .arg = arg };

	return z3fold_walk_pages(pool, walk_page, &w);
}

const struct zpool_driver zpool_z3fold_driver = {
	.info = {
		.type = "z3fold",
		.max_size = Z3FOLD_MAX_SIZE,
		.evicts = true,
		.full_places = 1u << ZPOOL_PLACE_FIRST | 1u << ZPOOL_PLACE_MIDDLE |
			       1u << ZPOOL_PLACE_LAST,
		.full_name = "3 buddies",
	},
	.create = z3fold_zpool_create,
	.destroy = z3fold_zpool_destroy,
	.malloc = z3fold_zpool_malloc,
	.free = z3fold_zpool_free,
	.reclaim_page = z3fold_zpool_reclaim_page,
	.map = z3fold_zpool_map,
	.unmap = z3fold_zpool_unmap,
	.total_size = z3fold_zpool_total_size,
	.handle_place = z3fold_zpool_handle_place,
	.check = z3fold_zpool_check,
	.walk = z3fold_zpool_walk,
};
