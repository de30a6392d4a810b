/*
 * zsmalloc_check.c - the zsmalloc pool's invariant checker, statistics and
 * page walk
 *
 * Slow on purpose: it trusts no counter and no link.  It walks every page's
 * descriptor, every zspage's chain of pages and free-slot bitmap, every
 * fullness list and the whole handle table, and checks that the live
 * handles and the used slots match one for one.  Map and unmap may run
 * meanwhile: they change only the map counts of entries, which the checker
 * ignores.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "zsmalloc_internal.h"

/* Scratch for one check, all from zeroed memory. */
struct walk {
	uint8_t *listed;        /* per page: seen on a fullness list */
	uint32_t *slot_base;    /* per first page: its slots' first bit below */
	uint64_t *owned_slot;   /* per slot: a live handle points at it */
	uint64_t *free_handle;  /* per handle: on the table's free list */
	uint64_t zspages[ZS_SIZE_CLASSES], full[ZS_SIZE_CLASSES], inuse[ZS_SIZE_CLASSES];
	uint64_t present[ZS_SIZE_CLASSES];      /* slots in the class's zspages' pages */
};

static bool test_and_set(uint64_t *bits, uint64_t i)
{
	bool was = bits[i / 64] & 1ULL << i % 64;

	bits[i / 64] |= 1ULL << i % 64;
	return was;
}

static bool page_is_free(const void *meta)
{
	return !(((const struct zs_page *)meta)->flags & ZS_PAGE_USED);
}

/* The free bits of a zspage's page @zp (its @n-th): only for the @slots
 * the zspage has in its pages now. */
static int check_free_bits(unsigned int slots, const struct zs_page *zp, unsigned int n,
			   unsigned int *free_nr, uint32_t first, char *msg, size_t len)
{
	for (unsigned int w = 0; w < ZS_SLOTS_PER_DESC / 64; w++) {
		unsigned int from = n * ZS_SLOTS_PER_DESC + w * 64;
		uint64_t valid = from >= slots ? 0 : slots - from >= 64 ? ~0ULL
					       : (1ULL << (slots - from)) - 1;

		if (zp->free[w] & ~valid)
			return zbud_check_fail(msg, len, "zspage %u: free bits %#llx past its %u slots", first,
					  (unsigned long long)zp->free[w], slots);
		*free_nr += (unsigned int)__builtin_popcountll(zp->free[w]);
	}
	return 0;
}

/* A zspage from its first page: the chain, the counts, the free bitmap. */
static int check_zspage(const struct zs_pool *pool, uint32_t first, uint64_t *slot_count,
			uint32_t *pages, struct walk *w, char *msg, size_t len)
{
	const struct zs_page *zp = zs_page(pool, first);
	const struct size_class *class = &pool->class[zp->class_idx];
	const unsigned int npages = zs_npages(pool, first), slots = class->cap[npages];
	unsigned int n = 0, free_nr = 0;

	if (pool->class_of[zp->class_idx] != zp->class_idx)
		return zbud_check_fail(msg, len, "zspage %u: class %u is merged into %u", first,
				  zp->class_idx, pool->class_of[zp->class_idx]);
	for (uint32_t p = first; p != ZBUD_PAGE_NIL; p = zs_page(pool, p)->next, n++) {
		const struct zs_page *pd;
		int err;

		if (p >= pool->src.next || n >= npages)
			return zbud_check_fail(msg, len, "zspage %u: page %u is out of range or past its "
					  "%u pages (class %u)", first, p, npages, class->size);
		pd = zs_page(pool, p);
		if (!(pd->flags & ZS_PAGE_USED) || zs_first(pool, p) != first || pd->index != n ||
		    pd->class_idx != zp->class_idx)
			return zbud_check_fail(msg, len, "zspage %u: its page %u says first %u, index %u, "
					  "class %u, flags %#x", first, p, zs_first(pool, p), pd->index,
					  pd->class_idx, pd->flags);
		err = check_free_bits(slots, pd, n, &free_nr, first, msg, len);
		if (err)
			return err;
	}
	if (n != npages || npages > class->pages_per_zspage ||
	    (!pool->grow && npages != class->pages_per_zspage))
		return zbud_check_fail(msg, len, "zspage %u: %u pages, says %u, class %u has %u%s",
				       first, n, npages, class->size, class->pages_per_zspage,
				       pool->grow ? " at most" : "");
	if (zp->inuse == 0 || zp->inuse + free_nr != slots ||
	    (zp->flags & ZS_PAGE_ISOLATED))
		return zbud_check_fail(msg, len, "zspage %u: %u objects + %u free slots of %u%s", first,
				  zp->inuse, free_nr, slots,
				  zp->flags & ZS_PAGE_ISOLATED ? ", isolated" : "");
	w->slot_base[first] = (uint32_t)*slot_count;
	*slot_count += slots;
	w->present[class->index] += slots;
	*pages += n;
	w->zspages[class->index]++;
	w->full[class->index] += zp->inuse == class->objs_per_zspage;
	w->inuse[class->index] += zp->inuse;
	return 0;
}

static int check_lists(const struct zs_pool *pool, const struct size_class *class,
		       struct walk *w, char *msg, size_t len)
{
	uint64_t listed = 0;

	if (class->list[ZS_EMPTY] != ZBUD_PAGE_NIL)
		return zbud_check_fail(msg, len, "class %u: a zspage on ZS_EMPTY", class->size);
	for (int g = ZS_ALMOST_EMPTY; g <= ZS_ALMOST_FULL; g++) {
		uint32_t prev = ZBUD_PAGE_NIL;

		for (uint32_t p = class->list[g]; p != ZBUD_PAGE_NIL; prev = p, p = zs_page(pool, p)->list.next) {
			const struct zs_page *zp;

			if (p >= pool->src.next || w->listed[p])
				return zbud_check_fail(msg, len, "class %u, list %d: page %u out of range "
						  "or listed twice", class->size, g, p);
			w->listed[p] = 1;
			zp = zs_page(pool, p);
			if (!(zp->flags & ZS_PAGE_USED) || zp->index != 0 ||
			    zp->class_idx != class->index || zs_fullness(class, zp->inuse) != g)
				return zbud_check_fail(msg, len, "class %u, list %d: page %u is no zspage of "
						  "the class in that group (%u objects)", class->size, g,
						  p, zp->inuse);
			if (prev != ZBUD_PAGE_NIL && zp->list.prev != prev) /* a head's: nothing */
				return zbud_check_fail(msg, len, "class %u, list %d: page %u points back to "
						  "%u, not %u", class->size, g, p, zp->list.prev, prev);
			listed++;
		}
	}
	if (listed + w->full[class->index] != w->zspages[class->index])
		return zbud_check_fail(msg, len, "class %u: lists hold %llu of %llu zspages not full",
				  class->size, (unsigned long long)listed,
				  (unsigned long long)(w->zspages[class->index] - w->full[class->index]));
	/* With the lists and the zspages right, so are zs_class_stat()'s counts. */
	if (class->zspages != w->zspages[class->index] ||
	    class->present != w->present[class->index])
		return zbud_check_fail(msg, len, "class %u: %llu zspages of %llu slots, counted %llu "
				       "of %llu", class->size, (unsigned long long)class->zspages,
				       (unsigned long long)class->present,
				       (unsigned long long)w->zspages[class->index],
				       (unsigned long long)w->present[class->index]);
	return 0;
}

/* Each live handle at a used slot of a zspage of its class, none shared. */
static int check_handle(const struct zs_pool *pool, uint32_t idx, uint64_t e, struct walk *w,
			char *msg, size_t len)
{
	uint32_t first = zs_loc_first(e);
	const struct zs_page *zp = first < pool->src.next ? zs_page(pool, first) : NULL;
	unsigned int slot = zs_loc_slot(e);

	if (e & ZS_ENTRY_MOVING)
		return zbud_check_fail(msg, len, "handle %u: moving outside compaction", idx + 1);
	if (!zp || !(zp->flags & ZS_PAGE_USED) || zp->index || zp->class_idx != zs_loc_class(e))
		return zbud_check_fail(msg, len, "handle %u: page %u is no zspage of class %u", idx + 1,
				  first, zs_loc_class(e));
	if (slot >= pool->class[zp->class_idx].objs_per_zspage)
		return zbud_check_fail(msg, len, "handle %u: slot %u of zspage %u is past its %u",
				  idx + 1, slot, first, pool->class[zp->class_idx].objs_per_zspage);
	if (slot_free(pool, first, slot))
		return zbud_check_fail(msg, len, "handle %u: its slot %u of zspage %u is free", idx + 1,
				  slot, first);
	if (test_and_set(w->owned_slot, w->slot_base[first] + slot))
		return zbud_check_fail(msg, len, "handle %u: slot %u of zspage %u has another handle",
				  idx + 1, slot, first);
	return 0;
}

static int check_handles(const struct zs_pool *pool, struct walk *w, uint64_t objects,
			 char *msg, size_t len)
{
	const struct zs_handles *h = &pool->handles;
	uint32_t committed = atomic_load(&h->committed);
	uint64_t free_nr = 0, live = 0;

	if (h->next > committed || committed > h->capacity)
		return zbud_check_fail(msg, len, "handles: %u given, %u committed, %u reserved", h->next,
				  committed, h->capacity);
	for (uint32_t i = h->free_head; i != ZS_HANDLE_NIL; free_nr++) {
		uint64_t e;

		if (i >= h->next || test_and_set(w->free_handle, i))
			return zbud_check_fail(msg, len, "handle free list: %u out of range or twice", i + 1);
		e = atomic_load(&h->table[i]);
		if (e & ZS_ENTRY_LIVE)
			return zbud_check_fail(msg, len, "handle free list: handle %u is live", i + 1);
		i = (uint32_t)e;
	}
	for (uint32_t i = 0; i < h->next; i++) {
		uint64_t e = atomic_load(&h->table[i]);
		int err;

		if (!(e & ZS_ENTRY_LIVE)) {
			if (!(w->free_handle[i / 64] & 1ULL << i % 64))
				return zbud_check_fail(msg, len, "handle %u: neither live nor free", i + 1);
			continue;
		}
		err = check_handle(pool, i, e, w, msg, len);
		if (err)
			return err;
		live++;
	}
	if (live != objects)
		return zbud_check_fail(msg, len, "%llu live handles for %llu objects",
				  (unsigned long long)live, (unsigned long long)objects);
	return 0;
}

static int check_locked(const struct zs_pool *pool, struct walk *w, char *msg, size_t len)
{
	uint32_t pages = 0, used = 0;
	uint64_t slots = 0, objects = 0;
	int err;

	for (uint32_t p = 0; p < pool->src.next; p++) {
		const struct zs_page *zp = zs_page(pool, p);

		if (!(zp->flags & ZS_PAGE_USED))
			continue;
		used++;
		if (zp->index == 0) {
			err = check_zspage(pool, p, &slots, &pages, w, msg, len);
			if (err)
				return err;
		}
	}
	if (pages != used || used != pool->src.in_use || used != atomic_load(&pool->pages_nr))
		return zbud_check_fail(msg, len, "%u pages in zspages, %u marked used, source %u, "
				  "pool %llu", pages, used, pool->src.in_use,
				  (unsigned long long)atomic_load(&pool->pages_nr));
	for (int i = 0; i < ZS_SIZE_CLASSES; i++) {
		if (pool->class_of[i] != i)
			continue;
		err = check_lists(pool, &pool->class[i], w, msg, len);
		if (err)
			return err;
		objects += w->inuse[i];
	}
	err = check_handles(pool, w, objects, msg, len);
	if (err)
		return err;
	return zbud_source_check(&pool->src, page_is_free, msg, len);
}

int zs_check_pool(struct zs_pool *pool, char *msg, size_t len)
{
	struct walk *w;
	int err = -ENOMEM;
	uint64_t pages;

	zbud_lock_take(&pool->lock);
	pages = pool->src.next;
	w = calloc(1, sizeof(*w));
	if (w) {
		/* A page starts at most 128 slots, the smallest's. */
		w->listed = calloc(pages + 1, 1);
		w->slot_base = calloc(pages + 1, sizeof(uint32_t));
		w->owned_slot = calloc(pages * 2 + 1, sizeof(uint64_t));
		w->free_handle = calloc(pool->handles.next / 64 + 1, sizeof(uint64_t));
		if (w->listed && w->slot_base && w->owned_slot && w->free_handle)
			err = check_locked(pool, w, msg, len);
		free(w->listed);
		free(w->slot_base);
		free(w->owned_slot);
		free(w->free_handle);
		free(w);
	}
	zbud_lock_release(&pool->lock);
	if (!err && len)
		msg[0] = '\0';
	return err;
}

int zs_walk_pages(struct zs_pool *pool,
		  int (*fn)(const struct zs_pool *pool, uint32_t pgno, void *arg), void *arg)
{
	int ret = 0;

	zbud_lock_take(&pool->lock);
	for (uint32_t p = 0; p < pool->src.next && !ret; p++)
		if (!page_is_free(zs_page(pool, p)))
			ret = fn(pool, p, arg);
	zbud_lock_release(&pool->lock);
	return ret;
}

/* ---- Statistics ---- */

void zs_class_stat(const struct zs_pool *pool, const struct size_class *class,
		   uint64_t stat[ZS_NR_STATS])
{
	uint64_t inuse = 0;

	memset(stat, 0, ZS_NR_STATS * sizeof(stat[0]));
	for (int g = ZS_ALMOST_EMPTY; g <= ZS_ALMOST_FULL; g++)
		for (uint32_t p = class->list[g]; p != ZBUD_PAGE_NIL; p = zs_page(pool, p)->list.next) {
			stat[g]++;
			inuse += zs_page(pool, p)->inuse;
		}
	stat[ZS_FULL] = class->zspages - stat[ZS_ALMOST_EMPTY] - stat[ZS_ALMOST_FULL];
	stat[ZS_OBJ_ALLOCATED] = class->present;
	stat[ZS_OBJ_USED] = inuse + stat[ZS_FULL] * class->objs_per_zspage;
}

uint64_t zs_meta_bytes(const struct zs_pool *pool)
{
	uint64_t table = ((uint64_t)pool->handles.next * sizeof(uint64_t) + ZBUD_PAGE_SIZE - 1) &
			 ~(uint64_t)(ZBUD_PAGE_SIZE - 1);

	return sizeof(*pool) + zbud_source_meta_bytes(&pool->src) + table;
}

void zs_get_stats(struct zs_pool *pool, struct zs_stats *st)
{
	memset(st, 0, sizeof(*st));
	zbud_lock_take(&pool->lock);
	for (int i = 0; i < ZS_SIZE_CLASSES; i++) {
		const struct size_class *class = &pool->class[i];

		if (pool->class_of[i] != i)
			continue;
		zs_class_stat(pool, class, st->class_stat[i]);
		st->zspages += class->zspages;
		st->objects += st->class_stat[i][ZS_OBJ_USED];
	}
	st->pages = atomic_load(&pool->pages_nr);
	st->handles_given = pool->handles.next;
	/* at most every entry given: a list that loops ends there */
	for (uint32_t i = pool->handles.free_head;
	     i < pool->handles.next && st->handles_free < pool->handles.next; st->handles_free++)
		i = (uint32_t)atomic_load(&pool->handles.table[i]);
	st->meta_bytes = zs_meta_bytes(pool);
	zbud_lock_release(&pool->lock);
}

bool zs_handle_slot(struct zs_pool *pool, unsigned long handle, uint32_t *first,
		    unsigned int *slot)
{
	const uint32_t idx = zs_handle_index(handle);
	bool live = false;

	zbud_lock_take(&pool->lock);
	if (idx < pool->handles.next) {
		uint64_t e = atomic_load(&pool->handles.table[idx]);

		if (e & ZS_ENTRY_LIVE) {
			*first = zs_loc_first(e);
			*slot = zs_loc_slot(e);
			live = true;
		}
	}
	zbud_lock_release(&pool->lock);
	return live;
}
