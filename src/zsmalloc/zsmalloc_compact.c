/*
 * zsmalloc_compact.c - compaction: move objects out of the sparsest zspages
 * and free those
 *
 * As the kernel, compaction frees as many zspages of a class as
 * zs_can_compact() allows (unused slots / objects per zspage), moving
 * objects into the zspages allocation would pick.  Unlike the kernel's, it
 * empties the sparsest zspages of a class (the kernel: the head of
 * ZS_ALMOST_EMPTY, whichever that is), finds the handles of their objects
 * with one walk of the handle table (objects carry no handle), and skips
 * mapped objects rather than waiting for them.
 */
#include <errno.h>
#include <stdlib.h>

#include "fault.h"
#include "zsmalloc_internal.h"

/* A debug build's checker (src/common/debug.h). */
static int debug_check(void *pool, char *msg, size_t len)
{
	return zs_check_pool(pool, msg, len);
}

/* Scratch for one compaction. */
struct compact {
	uint64_t *marks;        /* per first page: its zspage is a source */
	uint32_t *isolated;     /* the sources, in the order taken */
	size_t nisolated;
	uint32_t *sorted;       /* one class's candidates, sparsest first */
};

/* Claim the entry of a live object that is not mapped, so that no map
 * starts while it moves; false if it is mapped. */
static bool claim(_Atomic uint64_t *entry, uint64_t e)
{
	return !zs_entry_maps(e) &&
	       atomic_compare_exchange_strong_explicit(entry, &e, e | ZS_ENTRY_MOVING,
						       memory_order_acquire, memory_order_relaxed);
}

/* Copy the object at @e to the slot @place and publish it there. */
static void copy_and_publish(struct zs_pool *pool, _Atomic uint64_t *entry, uint64_t e,
			     uint64_t place)
{
	char buf[ZS_MAX_ALLOC_SIZE];

	zs_copy_from_obj(pool, buf, e);
	zs_copy_to_obj(pool, place, buf);
	atomic_store_explicit(entry, place, memory_order_release);
}

/* Move one object of a source zspage to where allocation would put it (ours
 * growing that zspage if need be), unless it is mapped. */
static void move_object(struct zs_pool *pool, uint32_t idx, uint64_t e)
{
	_Atomic uint64_t *entry = &pool->handles.table[idx];
	struct size_class *class = &pool->class[zs_loc_class(e)];
	uint32_t dst = find_get_zspage(class), src = zs_loc_first(e);
	unsigned int inuse;
	uint64_t place;

	if (dst == ZBUD_PAGE_NIL || zs_entry_maps(e) ||
	    (!zs_room(pool, class, dst) && zs_grow_zspage(pool, class, dst)) || !claim(entry, e))
		return;
	place = zs_loc(dst, obj_malloc(pool, dst), class->index);
	inuse = zs_page(pool, dst)->inuse;
	fix_fullness_group(pool, class, dst, inuse - 1, inuse);
	copy_and_publish(pool, entry, e, place);
	obj_free(pool, src, zs_loc_slot(e));
	if (!zs_page(pool, src)->inuse)
		zs_free_zspage(pool, class, src); /* isolated: in no group */
}

/* Ours: an object of a zspage that is not full, past as many slots as it
 * has objects, moves to the zspage's lowest free slot, so that its trailing
 * pages empty; unless it is mapped. */
static void move_down(struct zs_pool *pool, uint32_t idx, uint64_t e)
{
	_Atomic uint64_t *entry = &pool->handles.table[idx];
	const struct size_class *class = &pool->class[zs_loc_class(e)];
	uint32_t first = zs_loc_first(e);
	const struct zs_page *zp = zs_page(pool, first);

	if (zp->inuse == class->objs_per_zspage || zs_loc_slot(e) < zp->inuse || !claim(entry, e))
		return;
	copy_and_publish(pool, entry, e, zs_loc(first, obj_malloc(pool, first), class->index));
	obj_free(pool, first, zs_loc_slot(e));
}

/* Zspages a class can do without: all but as many as its objects fill. */
static uint64_t spare_zspages(const struct size_class *class, const uint64_t stat[ZS_NR_STATS])
{
	return class->zspages -
	       (stat[ZS_OBJ_USED] + class->objs_per_zspage - 1) / class->objs_per_zspage;
}

/* Take the class's @n sparsest zspages off their lists (fewest objects
 * first; on a tie, ZS_ALMOST_EMPTY's order), and mark their pages. */
static void isolate_sparsest(struct zs_pool *pool, struct size_class *class, uint64_t n,
			     struct compact *cc)
{
	static const int groups[] = { ZS_ALMOST_EMPTY, ZS_ALMOST_FULL };
	uint32_t at[ZS_MAX_OBJS_PER_ZSPAGE + 1] = { 0 };

	/* A counting sort by objects in use, which keeps the lists' order. */
	for (int g = 0; g < 2; g++)
		for (uint32_t p = class->list[groups[g]]; p != ZBUD_PAGE_NIL; p = zs_page(pool, p)->list.next)
			at[zs_page(pool, p)->inuse]++;
	for (unsigned int i = 0, sum = 0; i <= class->objs_per_zspage; i++) {
		unsigned int count = at[i];

		at[i] = sum;
		sum += count;
	}
	for (int g = 0; g < 2; g++)
		for (uint32_t p = class->list[groups[g]]; p != ZBUD_PAGE_NIL; p = zs_page(pool, p)->list.next)
			cc->sorted[at[zs_page(pool, p)->inuse]++] = p;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t first = cc->sorted[i];

		remove_zspage(pool, class, first);
		zs_page(pool, first)->flags |= ZS_PAGE_ISOLATED;
		cc->marks[first / 64] |= 1ULL << first % 64;
		cc->isolated[cc->nisolated++] = first;
	}
}

/* The sparsest zspages of each class, as many as it can spare, emptied into
 * the others: 0 or -ENOMEM (then nothing moved).  Under the pool lock. */
static int empty_sparsest(struct zs_pool *pool)
{
	uint64_t spare = 0, nonfull = 0, stat[ZS_NR_STATS], can[ZS_SIZE_CLASSES] = { 0 };
	struct compact cc = { 0 };
	size_t words;

	for (int i = 0; i < ZS_SIZE_CLASSES; i++) {
		const struct size_class *class = &pool->class[i];

		if (pool->class_of[i] != i)
			continue;
		zs_class_stat(pool, class, stat);
		can[i] = spare_zspages(class, stat);
		spare += can[i];
		if (can[i] && stat[ZS_ALMOST_EMPTY] + stat[ZS_ALMOST_FULL] > nonfull)
			nonfull = stat[ZS_ALMOST_EMPTY] + stat[ZS_ALMOST_FULL];
	}
	if (!spare)
		return 0;
	words = (pool->src.next + 63) / 64;
	cc.marks = zbud_fault_hit(ZBUD_FAULT_META) ? NULL
		   : calloc(1, words * sizeof(uint64_t) + (spare + nonfull) * sizeof(uint32_t));
	if (!cc.marks)
		return -ENOMEM;
	cc.isolated = (uint32_t *)(cc.marks + words);
	cc.sorted = cc.isolated + spare;
	for (int i = 0; i < ZS_SIZE_CLASSES; i++)
		if (can[i])
			isolate_sparsest(pool, &pool->class[i], can[i], &cc);
	for (uint32_t idx = 0; idx < pool->handles.next; idx++) {
		uint64_t e = atomic_load_explicit(&pool->handles.table[idx], memory_order_relaxed);
		uint32_t first = zs_loc_first(e);

		if ((e & ZS_ENTRY_LIVE) && cc.marks[first / 64] & 1ULL << first % 64)
			move_object(pool, idx, e);
	}
	for (size_t i = 0; i < cc.nisolated; i++) {
		struct zs_page *zp = zs_page(pool, cc.isolated[i]);

		if (zp->flags & ZS_PAGE_ISOLATED) {
			zp->flags = ZS_PAGE_USED;
			insert_zspage(pool, &pool->class[zp->class_idx], cc.isolated[i]);
		}
	}
	free(cc.marks);
	return 0;
}

/* Ours: every zspage that is not full, its objects moved to its lowest
 * slots, in handle order, and its trailing pages given back. */
static void pack_low(struct zs_pool *pool)
{
	for (uint32_t idx = 0; idx < pool->handles.next; idx++) {
		uint64_t e = atomic_load_explicit(&pool->handles.table[idx], memory_order_relaxed);

		if (e & ZS_ENTRY_LIVE)
			move_down(pool, idx, e);
	}
	for (int i = 0; i < ZS_SIZE_CLASSES; i++)
		for (int g = ZS_ALMOST_EMPTY; pool->class_of[i] == i && g <= ZS_ALMOST_FULL; g++)
			for (uint32_t p = pool->class[i].list[g]; p != ZBUD_PAGE_NIL;
			     p = zs_page(pool, p)->list.next)
				zs_shrink_zspage(pool, &pool->class[i], p);
}

/*
 * The sparsest zspages of every class are taken off their lists, as many as
 * the class can spare, and one walk of the handle table moves the objects
 * they hold, in handle order, each to where allocation would put it then.
 * Emptied zspages are freed; any left (they hold a mapped object) go back on
 * their lists, in the order they were taken off.  Ours then packs each
 * zspage that is not full low and shrinks it.  All under the pool lock.
 */
int64_t zs_compact(struct zs_pool *pool)
{
	uint64_t before, after;
	int err;

	/* Pages are counted under the lock: other threads change them outside. */
	zbud_lock_take(&pool->lock);
	before = atomic_load_explicit(&pool->pages_nr, memory_order_relaxed);
	err = empty_sparsest(pool);
	if (!err && pool->grow)
		pack_low(pool);
	after = atomic_load_explicit(&pool->pages_nr, memory_order_relaxed);
	zbud_lock_release(&pool->lock);
	zbud_debug_op(&pool->debug, debug_check, pool, "zsmalloc");
	/* Ours may take a page for a zspage it fills, then find the rest of the
	 * source mapped: a pool no smaller reads as none freed. */
	return err ? err : after < before ? (int64_t)(before - after) : 0;
}
