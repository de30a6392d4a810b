/*
 * zpool.c - the registry of allocators and the calls that reach them
 */
#define ZPOOL_STATIC_LINKING_ONLY
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "zpool_driver.h"

/* Every built-in allocator: one entry each. */
static const struct zpool_driver *const drivers[] = {
	&zpool_zbud_driver,
	&zpool_z3fold_driver,
	&zpool_zsmalloc_driver,
	&zpool_zsmalloc_kernel_driver,
	&zpool_zblock_driver,
};

#define NDRIVERS (sizeof(drivers) / sizeof(drivers[0]))

/* zpool_shrink() asks for each page with the kernel's retry count. */
#define ZPOOL_SHRINK_RETRIES 8

struct zpool {
	/* the driver's two calls of every store and load, copied here: one
	 * dependent load fewer each */
	int (*malloc)(void *pool, size_t size, unsigned long *handle);
	void (*free)(void *pool, unsigned long handle);
	void *pool;
	const struct zpool_driver *driver;
	const struct zpool_ops *ops;
	bool evictable;
	void *private_data;
	char name[];
};

static const struct zpool_driver *find_driver(const char *type)
{
	for (size_t i = 0; type && i < NDRIVERS; i++)
		if (!strcmp(drivers[i]->info.type, type))
			return drivers[i];
	return NULL;
}

const struct zpool_info *zpool_info(const char *type)
{
	const struct zpool_driver *driver = find_driver(type);

	return driver ? &driver->info : NULL;
}

const struct zpool_info *zpool_driver_info(unsigned int i)
{
	return i < NDRIVERS ? &drivers[i]->info : NULL;
}

/* The words of `zbud replay` logs and the letters of `zbud inspect`. */
static const struct {
	const char *name;
	char letter;
} places[ZPOOL_PLACE_NR] = {
	[ZPOOL_PLACE_STALE] = { "stale", '?' },
	[ZPOOL_PLACE_SLOT] = { "ok", 'o' },
	[ZPOOL_PLACE_FIRST] = { "first", 'F' },
	[ZPOOL_PLACE_MIDDLE] = { "middle", 'M' },
	[ZPOOL_PLACE_LAST] = { "last", 'L' },
	[ZPOOL_PLACE_HEADLESS] = { "headless", 'H' },
	[ZPOOL_PLACE_HEADER] = { "header", 'h' },
};

const char *zpool_place_name(enum zpool_place place)
{
	return (unsigned int)place < ZPOOL_PLACE_NR ? places[place].name : "?";
}

char zpool_place_letter(enum zpool_place place)
{
	return (unsigned int)place < ZPOOL_PLACE_NR ? places[place].letter : '?';
}

void zpool_walk_add(struct zpool_walk *w, unsigned int start, unsigned int end,
		    enum zpool_place place)
{
	struct zpool_page_info *info = &w->info;

	if (info->nregions == ZPOOL_MAX_REGIONS) {
		info->region[ZPOOL_MAX_REGIONS - 1].end = (uint16_t)end;
		return;
	}
	info->region[info->nregions++] = (struct zpool_region){
		(uint16_t)start, (uint16_t)end, place,
	};
}

bool zpool_has_pool(const char *type)
{
	return find_driver(type) != NULL;
}

const char *zpool_driver_name(unsigned int i)
{
	return i < NDRIVERS ? drivers[i]->info.type : NULL;
}

struct zpool *zpool_create_pool_config(const char *type, const char *name,
				       const struct zpool_ops *ops,
				       const struct zpool_config *cfg)
{
	static const struct zpool_config defaults;
	const struct zpool_driver *driver = find_driver(type);
	size_t name_len = name ? strlen(name) : 0;
	struct zpool *zpool;

	if (!driver) {
		errno = ENOENT;
		return NULL;
	}
	if (!cfg)
		cfg = &defaults;
	zpool = zbud_fault_hit(ZBUD_FAULT_META) ? NULL : calloc(1, sizeof(*zpool) + name_len + 1);
	if (!zpool) {
		errno = ENOMEM;
		return NULL;
	}
	if (name_len)
		memcpy(zpool->name, name, name_len);
	zpool->driver = driver;
	zpool->malloc = driver->malloc;
	zpool->free = driver->free;
	zpool->ops = ops;
	zpool->evictable = driver->reclaim_page && ops && ops->evict;
	zpool->private_data = cfg->private_data;
	zpool->pool = driver->create(zpool->name, ops, zpool, cfg);
	if (!zpool->pool) {
		free(zpool); /* errno is the driver's */
		return NULL;
	}
	return zpool;
}

struct zpool *zpool_create_pool(const char *type, const char *name,
				const struct zpool_ops *ops)
{
	return zpool_create_pool_config(type, name, ops, NULL);
}

void zpool_destroy_pool(struct zpool *zpool)
{
	if (!zpool)
		return;
	zpool->driver->destroy(zpool->pool);
	free(zpool);
}

const char *zpool_get_type(struct zpool *zpool)
{
	return zpool->driver->info.type;
}

const char *zpool_get_name(struct zpool *zpool)
{
	return zpool->name;
}

void *zpool_get_private(struct zpool *zpool)
{
	return zpool->private_data;
}

int zpool_evict(struct zpool *zpool, unsigned long handle)
{
	if (zpool->ops && zpool->ops->evict)
		return zpool->ops->evict(zpool, handle);
	return -ENOENT;
}

int zpool_malloc(struct zpool *zpool, size_t size, unsigned long *handle)
{
	return zpool->malloc(zpool->pool, size, handle);
}

void zpool_free(struct zpool *zpool, unsigned long handle)
{
	zpool->free(zpool->pool, handle);
}

int zpool_reclaim_page(struct zpool *zpool, unsigned int retries)
{
	if (!zpool->driver->reclaim_page)
		return -EINVAL;
	return zpool->driver->reclaim_page(zpool->pool, retries);
}

int zpool_shrink(struct zpool *zpool, unsigned int pages, unsigned int *reclaimed)
{
	unsigned int total = 0;
	int ret = -EINVAL;

	while (zpool->driver->reclaim_page && total < pages) {
		ret = zpool->driver->reclaim_page(zpool->pool, ZPOOL_SHRINK_RETRIES);
		if (ret < 0)
			break;
		total++;
	}
	if (reclaimed)
		*reclaimed = total;
	return ret;
}

void *zpool_map_handle(struct zpool *zpool, unsigned long handle, enum zpool_mapmode mm)
{
	return zpool->driver->map(zpool->pool, handle, mm);
}

void zpool_unmap_handle(struct zpool *zpool, unsigned long handle)
{
	zpool->driver->unmap(zpool->pool, handle);
}

uint64_t zpool_get_total_size(struct zpool *zpool)
{
	return zpool->driver->total_size(zpool->pool);
}

int64_t zpool_compact(struct zpool *zpool)
{
	return zpool->driver->compact ? zpool->driver->compact(zpool->pool) : 0;
}

bool zpool_evictable(struct zpool *zpool)
{
	return zpool->evictable;
}

enum zpool_place zpool_handle_place(struct zpool *zpool, unsigned long handle)
{
	return zpool->driver->handle_place(zpool->pool, handle);
}

int zpool_walk(struct zpool *zpool, int (*fn)(const struct zpool_page_info *, void *),
	       void *arg)
{
	return zpool->driver->walk ? zpool->driver->walk(zpool->pool, fn, arg) : -EOPNOTSUPP;
}

int zpool_check(struct zpool *zpool, char *msg, size_t len)
{
	return zpool->driver->check(zpool->pool, msg, len);
}
