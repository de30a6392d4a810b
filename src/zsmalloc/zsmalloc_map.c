/*
 * zsmalloc_map.c - map and unmap: pins on the handle's entry, no lock
 *
 * As the kernel, a straddling object is copied to a per-thread buffer on map
 * (not for ZS_MM_WO) and back on unmap (not for ZS_MM_RO); any other
 * map is a pointer into the page.  Unlike the kernel's, map and unmap take
 * no lock: zsmalloc_internal.h says how they and compaction keep out of each
 * other's way.  Compaction moves objects with the same copies.
 */
#include <sched.h>
#include <string.h>

#include "zsmalloc_internal.h"

/* Straddling maps one thread may hold at once, each with a page-sized buffer
 * of its own.  The kernel allows one per CPU; two let a caller copy one
 * object into another. */
#define ZS_MAP_AREAS 2

/* Spins of a map that finds its object being moved before it yields: a move
 * is one copy of at most a page. */
#define ZS_MOVE_SPINS 128

static char *page_addr(const struct zs_pool *pool, uint32_t pgno)
{
	return zbud_source_addr(&pool->src, pgno);
}

/* Where a slot starts: its page and the offset there. */
static inline uint32_t slot_page(const struct zs_pool *pool, uint64_t place, size_t *off)
{
	size_t zoff = (size_t)zs_loc_slot(place) * pool->class[zs_loc_class(place)].size;

	*off = zoff & (ZBUD_PAGE_SIZE - 1);
	return page_along(pool, zs_loc_first(place), (unsigned int)(zoff >> ZBUD_PAGE_SHIFT));
}

void zs_copy_from_obj(const struct zs_pool *pool, char *buf, uint64_t place)
{
	size_t size = pool->class[zs_loc_class(place)].size, off;
	uint32_t pgno = slot_page(pool, place, &off);
	size_t head = ZBUD_PAGE_SIZE - off;

	if (head >= size) {
		memcpy(buf, page_addr(pool, pgno) + off, size);
		return;
	}
	memcpy(buf, page_addr(pool, pgno) + off, head);
	memcpy(buf + head, page_addr(pool, zs_page(pool, pgno)->next), size - head);
}

void zs_copy_to_obj(const struct zs_pool *pool, uint64_t place, const char *buf)
{
	size_t size = pool->class[zs_loc_class(place)].size, off;
	uint32_t pgno = slot_page(pool, place, &off);
	size_t head = ZBUD_PAGE_SIZE - off;

	if (head >= size) {
		memcpy(page_addr(pool, pgno) + off, buf, size);
		return;
	}
	memcpy(page_addr(pool, pgno) + off, buf, head);
	memcpy(page_addr(pool, zs_page(pool, pgno)->next), buf + head, size - head);
}

/* ---- Map and unmap ---- */

struct zs_map_area {
	_Alignas(64) char buf[ZS_MAX_ALLOC_SIZE];
	struct zs_pool *pool;           /* NULL: unused */
	unsigned long handle;
	enum zs_mapmode mm;
};

static __thread struct zs_map_area map_areas[ZS_MAP_AREAS];

static _Atomic uint64_t *entry_of(struct zs_pool *pool, unsigned long handle)
{
	const uint32_t idx = zs_handle_index(handle);

	if (idx >= atomic_load_explicit(&pool->handles.committed, memory_order_relaxed))
		return NULL;
	zs_prefetch_hint(pool, handle);
	return &pool->handles.table[idx];
}

/* Add a map to a live entry; returns the entry as it was, or 0. */
static uint64_t pin(_Atomic uint64_t *slot)
{
	uint64_t e = atomic_load_explicit(slot, memory_order_acquire);

	for (unsigned int spins = 0;;) {
		if (!(e & ZS_ENTRY_LIVE))
			return 0;
		if ((e & ZS_ENTRY_MOVING) || zs_entry_maps(e) == ZS_ENTRY_MAPS_MAX) {
			if (++spins > ZS_MOVE_SPINS)
				sched_yield();
			e = atomic_load_explicit(slot, memory_order_acquire);
			continue;
		}
		if (zbud_only_thread()) {
			/* no compaction can run: as the pool lock does */
			atomic_store_explicit(slot, e + ZS_ENTRY_MAP_ONE, memory_order_relaxed);
			return e;
		}
		if (atomic_compare_exchange_weak_explicit(slot, &e, e + ZS_ENTRY_MAP_ONE,
							  memory_order_acquire, memory_order_acquire))
			return e;
	}
}

static void unpin(_Atomic uint64_t *slot)
{
	uint64_t e = atomic_load_explicit(slot, memory_order_relaxed);

	do {
		if (!(e & ZS_ENTRY_LIVE) || !zs_entry_maps(e))
			return; /* not mapped: ignore */
		if (zbud_only_thread()) {
			atomic_store_explicit(slot, e - ZS_ENTRY_MAP_ONE, memory_order_relaxed);
			return;
		}
	} while (!atomic_compare_exchange_weak_explicit(slot, &e, e - ZS_ENTRY_MAP_ONE,
						       memory_order_release, memory_order_relaxed));
}

void *zs_map_object(struct zs_pool *pool, unsigned long handle, enum zs_mapmode mm)
{
	_Atomic uint64_t *slot = entry_of(pool, handle);
	uint64_t e = slot ? pin(slot) : 0;
	struct zs_map_area *area = NULL;
	uint32_t pgno;
	size_t off;

	if (!e)
		return NULL;
	pgno = slot_page(pool, e, &off);
	if (off + pool->class[zs_loc_class(e)].size <= ZBUD_PAGE_SIZE)
		return page_addr(pool, pgno) + off;
	for (int i = 0; i < ZS_MAP_AREAS && !area; i++)
		if (!map_areas[i].pool)
			area = &map_areas[i];
	if (!area) {
		unpin(slot);
		return NULL;
	}
	/* field by field: a compound literal would clear the page-sized buffer */
	area->pool = pool;
	area->handle = handle;
	area->mm = mm;
	if (mm != ZS_MM_WO)
		zs_copy_from_obj(pool, area->buf, e);
	return area->buf;
}

void zs_unmap_object(struct zs_pool *pool, unsigned long handle)
{
	_Atomic uint64_t *slot = entry_of(pool, handle);
	uint64_t e = slot ? atomic_load_explicit(slot, memory_order_acquire) : 0;

	if (!(e & ZS_ENTRY_LIVE) || !zs_entry_maps(e))
		return;
	for (int i = ZS_MAP_AREAS - 1; i >= 0; i--) {
		struct zs_map_area *area = &map_areas[i];

		if (area->pool != pool || area->handle != handle)
			continue;
		if (area->mm != ZS_MM_RO)
			zs_copy_to_obj(pool, e, area->buf);
		area->pool = NULL;
		break;
	}
	unpin(slot);
}
