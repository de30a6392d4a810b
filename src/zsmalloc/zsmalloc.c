/*
 * zsmalloc.c - Linux's zsmalloc (v6.1): size classes, zspages, alloc and free
 *
 * The layout, the handle table and the locking rules are drawn in
 * zsmalloc_internal.h; map and unmap are zsmalloc_map.c, compaction
 * zsmalloc_compact.c, the zpool driver zpool_zsmalloc.c.  What follows the
 * kernel:
 *
 *  - size classes 16 bytes apart from 32 to 4096, each with the kernel's
 *    pages per zspage (get_pages_per_zspage(): the count of 1 to 4 pages that
 *    wastes the least, in whole percent, the smallest on a tie), and adjacent
 *    classes merged when they have the same pages and objects per zspage;
 *  - the fullness groups, their lists and the kernel's order on them
 *    (insert_zspage(), find_get_zspage()); empty zspages freed at once.
 *
 * Where it differs, and why:
 *
 *  - free slots are a bitmap in the descriptor, the lowest taken first, not
 *    a list through the free slots (a data page touched per call), and
 *    full zspages are counted, not listed (nothing walks that list);
 *  - objects carry no handle (the kernel adds 8 bytes to each to find it on
 *    migration), so they go to the class of their own size;
 *  - one pool lock instead of per-class locks; map and unmap take no lock.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "debug.h"
#include "fault.h"
#include "zsmalloc_internal.h"

/* A debug build's checker (src/common/debug.h). */
static int debug_check(void *pool, char *msg, size_t len)
{
	return zs_check_pool(pool, msg, len);
}

_Static_assert(sizeof(struct zs_page) == 32, "two descriptors a cache line");
_Static_assert(ZS_MAX_PAGES_PER_ZSPAGE <= 16, "zs_page.index has 4 bits");

/* Handle table entries made read-write at a time: 64 KiB of them, so that a
 * pool of a few hundred objects commits one step and a large one grows with
 * one mprotect() per 8192 handles. */
#define ZS_HANDLE_GROW 8192u

/* The most live handles a page can hold: one per smallest slot. */
#define ZS_HANDLES_PER_PAGE (ZBUD_PAGE_SIZE / ZS_MIN_ALLOC_SIZE)

/* ---- Size classes ---- */

/* The kernel's get_pages_per_zspage(): most bytes used, in whole percent. */
static unsigned int get_pages_per_zspage(unsigned int class_size)
{
	unsigned int best = 1, max_usedpc = 0;

	for (unsigned int i = 1; i <= ZS_MAX_PAGES_PER_ZSPAGE; i++) {
		unsigned int zspage_size = i * ZBUD_PAGE_SIZE;
		unsigned int usedpc = (zspage_size - zspage_size % class_size) * 100 / zspage_size;

		if (usedpc > max_usedpc) {
			max_usedpc = usedpc;
			best = i;
		}
	}
	return best;
}

static unsigned int size_index(size_t size)
{
	if (size <= ZS_MIN_ALLOC_SIZE)
		return 0;
	return (unsigned int)((size - ZS_MIN_ALLOC_SIZE + ZS_SIZE_CLASS_DELTA - 1) /
			      ZS_SIZE_CLASS_DELTA);
}

/* From the largest class down, as the kernel: a class with the same pages
 * and objects per zspage as the one above it is merged into that one. */
static void init_classes(struct zs_pool *pool)
{
	struct size_class *prev = NULL;

	for (int i = ZS_SIZE_CLASSES - 1; i >= 0; i--) {
		unsigned int size = ZS_MIN_ALLOC_SIZE + (unsigned int)i * ZS_SIZE_CLASS_DELTA;
		unsigned int pages = get_pages_per_zspage(size);
		unsigned int objs = pages * ZBUD_PAGE_SIZE / size;

		if (prev && prev->pages_per_zspage == pages && prev->objs_per_zspage == objs) {
			pool->class_of[i] = prev->index;
			continue;
		}
		prev = &pool->class[i];
		*prev = (struct size_class){
			.size = (uint16_t)size,
			.objs_per_zspage = (uint16_t)objs,
			.almost_full = (uint16_t)(3 * objs / ZS_FULLNESS_THRESHOLD_FRAC + 1),
			.pages_per_zspage = (uint8_t)pages,
			.index = (uint8_t)i,
			.list = { ZBUD_PAGE_NIL, ZBUD_PAGE_NIL, ZBUD_PAGE_NIL },
		};
		pool->class_of[i] = (uint8_t)i;
	}
}

const struct size_class *zs_size_class(const struct zs_pool *pool, size_t size)
{
	if (!size || size > ZS_MAX_ALLOC_SIZE)
		return NULL;
	return &pool->class[pool->class_of[size_index(size)]];
}

/* ---- The handle table ---- */

static int handles_init(struct zs_handles *h, uint64_t pages)
{
	uint64_t cap = pages * ZS_HANDLES_PER_PAGE;

	if (cap > ZS_HANDLE_NIL - 1)
		cap = ZS_HANDLE_NIL - 1;
	/* Where the address space is short, settle for fewer handles. */
	if (zbud_vm_reserve(&h->vm, zbud_os_round(cap * sizeof(uint64_t)), ZBUD_OS_PAGE))
		return -ENOMEM;
	h->table = (_Atomic uint64_t *)h->vm.base;
	h->capacity = (uint32_t)(h->vm.reserved / sizeof(uint64_t) < cap
					 ? h->vm.reserved / sizeof(uint64_t) : cap);
	h->free_head = ZS_HANDLE_NIL;
	return 0;
}

static int __attribute__((noinline)) handles_grow(struct zs_handles *h)
{
	uint32_t committed = atomic_load_explicit(&h->committed, memory_order_relaxed);
	uint32_t step = h->capacity - committed;

	if (step > ZS_HANDLE_GROW)
		step = ZS_HANDLE_GROW;
	if (!step || zbud_fault_hit(ZBUD_FAULT_META))
		return -ENOMEM;
	/* As the page descriptors: every free and most maps read an entry at
	 * random, so spare the TLB. */
	if (zbud_vm_commit(&h->vm, zbud_os_round((size_t)(committed + step) * sizeof(uint64_t)), true))
		return -ENOMEM;
	atomic_store_explicit(&h->committed, committed + step, memory_order_relaxed);
	return 0;
}

/* The index the next handle will have; commits more of the table if need be. */
static inline int handle_peek(struct zs_handles *h, uint32_t *idx)
{
	int err;

	if (h->free_head != ZS_HANDLE_NIL) {
		*idx = h->free_head;
		return 0;
	}
	if (h->next == atomic_load_explicit(&h->committed, memory_order_relaxed)) {
		err = handles_grow(h);
		if (err)
			return err;
	}
	*idx = h->next;
	return 0;
}

static inline void handle_take(struct zs_handles *h, uint32_t idx, uint64_t entry)
{
	if (idx == h->free_head) {
		h->free_head = (uint32_t)atomic_load_explicit(&h->table[idx], memory_order_relaxed);
		h->free_nr--;
	} else {
		h->next++;
	}
	atomic_store_explicit(&h->table[idx], entry, memory_order_release);
}

static void handle_release(struct zs_handles *h, uint32_t idx)
{
	atomic_store_explicit(&h->table[idx], h->free_head, memory_order_relaxed);
	h->free_head = idx;
	h->free_nr++;
}

/* The pool is empty: give the table's memory back, as the page source does. */
static void handles_reset(struct zs_handles *h)
{
	zbud_os_discard(h->vm.base, zbud_os_round((size_t)h->next * sizeof(uint64_t)));
	h->next = 0;
	h->free_head = ZS_HANDLE_NIL;
	h->free_nr = 0;
}

/* ---- Zspages ---- */

/* A new zspage with every slot free, in no group yet. */
static int __attribute__((noinline))
alloc_zspage(struct zs_pool *pool, struct size_class *class, uint32_t *first)
{
	uint32_t pages[ZS_MAX_PAGES_PER_ZSPAGE] = { 0 };
	unsigned int n = class->pages_per_zspage, objs = class->objs_per_zspage;

	for (unsigned int i = 0; i < n; i++) {
		int err = zbud_source_get(&pool->src, &pages[i]);

		if (err) {
			while (i--)
				zbud_source_put(&pool->src, pages[i]);
			return err;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		struct zs_page *zp = zs_page(pool, pages[i]); /* zeroed by the source */

		zp->next = i + 1 < n ? pages[i + 1] : ZBUD_PAGE_NIL;
		zp->class_idx = class->index;
		zp->flags = ZS_PAGE_USED;
		zp->index = i & 15;
		if (i)
			zp->first = pages[0];
		for (unsigned int w = 0; w < ZS_SLOTS_PER_DESC / 64; w++) {
			unsigned int from = i * ZS_SLOTS_PER_DESC + w * 64;

			if (from < objs)
				zp->free[w] = objs - from >= 64 ? ~0ULL : (1ULL << (objs - from)) - 1;
		}
	}
	*first = pages[0];
	class->stat[ZS_OBJ_ALLOCATED] += objs;
	atomic_fetch_add_explicit(&pool->pages_nr, n, memory_order_relaxed);
	return 0;
}

/* The kernel's free_zspage(); out of line, as alloc_zspage(): both are rare
 * beside the calls that take or give back one slot. */
void __attribute__((noinline))
zs_free_zspage(struct zs_pool *pool, struct size_class *class, uint32_t first)
{
	assert(!zs_page(pool, first)->inuse);
	for (uint32_t pgno = first, next; pgno != ZBUD_PAGE_NIL; pgno = next) {
		next = zs_page(pool, pgno)->next;
		memset(zs_page(pool, pgno), 0, sizeof(struct zs_page));
		zbud_source_put(&pool->src, pgno);
	}
	class->stat[ZS_OBJ_ALLOCATED] -= class->objs_per_zspage;
	atomic_fetch_sub_explicit(&pool->pages_nr, class->pages_per_zspage, memory_order_relaxed);
}

/* ---- API ---- */

struct zs_pool *zs_create_pool(const struct zbud_source_config *source)
{
	struct zs_pool *pool = zbud_fault_hit(ZBUD_FAULT_META) ? NULL : calloc(1, sizeof(*pool));
	int err;

	if (!pool) {
		errno = ENOMEM;
		return NULL;
	}
	init_classes(pool);
	err = zbud_source_init(&pool->src, source, sizeof(struct zs_page));
	if (!err) {
		err = handles_init(&pool->handles, pool->src.capacity);
		if (err)
			zbud_source_fini(&pool->src);
	}
	if (err) {
		free(pool);
		errno = -err;
		return NULL;
	}
	zbud_lock_init(&pool->lock);
	return pool;
}

void zs_destroy_pool(struct zs_pool *pool)
{
	if (!pool)
		return;
	zbud_source_fini(&pool->src);
	zbud_vm_release(&pool->handles.vm);
	free(pool);
}

static int alloc(struct zs_pool *pool, size_t size, unsigned long *handle)
{
	struct size_class *class;
	uint32_t idx, first;
	int err;

	if (!size)
		return -EINVAL;
	if (size > ZS_MAX_ALLOC_SIZE)
		return -ENOSPC;
	class = &pool->class[pool->class_of[size_index(size)]];
	zbud_lock_take(&pool->lock);
	err = handle_peek(&pool->handles, &idx);
	if (err)
		goto out;
	first = find_get_zspage(class);
	if (first != ZBUD_PAGE_NIL) {
		unsigned int inuse;

		handle_take(&pool->handles, idx, zs_loc(first, obj_malloc(pool, first), class->index));
		inuse = zs_page(pool, first)->inuse;
		fix_fullness_group(pool, class, first, inuse - 1, inuse);
	} else {
		err = alloc_zspage(pool, class, &first);
		if (err)
			goto out;
		handle_take(&pool->handles, idx, zs_loc(first, obj_malloc(pool, first), class->index));
		insert_zspage(pool, class, first);
	}
	class->stat[ZS_OBJ_USED]++;
	*handle = (unsigned long)idx + 1;
out:
	zbud_lock_release(&pool->lock);
	return err;
}

/* An object's zspage just lost it: regroup it, or free it if empty. */
static inline void put_zspage(struct zs_pool *pool, struct size_class *class, uint32_t first)
{
	unsigned int inuse = zs_page(pool, first)->inuse;

	if (inuse) {
		fix_fullness_group(pool, class, first, inuse + 1, inuse + 1);
	} else {
		group_del(pool, class, first, zs_fullness(class, 1));
		zs_free_zspage(pool, class, first);
	}
}

static void free_handle(struct zs_pool *pool, unsigned long handle)
{
	struct size_class *class;
	uint64_t e = 0;

	zbud_lock_take(&pool->lock);
	if (handle && handle <= pool->handles.next)
		e = atomic_load_explicit(&pool->handles.table[handle - 1], memory_order_acquire);
	if (e & ZS_ENTRY_LIVE) {
		class = &pool->class[zs_loc_class(e)];
		obj_free(pool, zs_loc_first(e), zs_loc_slot(e));
		put_zspage(pool, class, zs_loc_first(e));
		class->stat[ZS_OBJ_USED]--;
		handle_release(&pool->handles, (uint32_t)(handle - 1));
		if (!atomic_load_explicit(&pool->pages_nr, memory_order_relaxed))
			handles_reset(&pool->handles);
	}
	zbud_lock_release(&pool->lock);
}

uint64_t zs_get_total_pages(struct zs_pool *pool)
{
	return atomic_load_explicit(&pool->pages_nr, memory_order_relaxed);
}

/* ---- The calls, with a debug build's checks after them ---- */

int zs_malloc(struct zs_pool *pool, size_t size, unsigned long *handle)
{
	int ret = alloc(pool, size, handle);

	zbud_debug_op(&pool->debug, debug_check, pool, "zsmalloc");
	return ret;
}

void zs_free(struct zs_pool *pool, unsigned long handle)
{
	free_handle(pool, handle);
	zbud_debug_op(&pool->debug, debug_check, pool, "zsmalloc");
}
