/*
 * zsmalloc.c - Linux's zsmalloc (v6.1) as a zpool driver
 *
 * The layout, the handle table and the locking rules are drawn in
 * zsmalloc_internal.h.  What follows the kernel:
 *
 *  - size classes 16 bytes apart from 32 to 4096, each with the kernel's
 *    pages per zspage (get_pages_per_zspage(): the count of 1 to 4 pages that
 *    wastes the least, in whole percent, the smallest on a tie), and adjacent
 *    classes merged when they have the same pages and objects per zspage;
 *  - the fullness groups, their lists and the kernel's order on them
 *    (insert_zspage(), find_get_zspage()); empty zspages freed at once;
 *  - a straddling object is copied to a per-thread buffer on map (not for
 *    ZPOOL_MM_WO) and back on unmap (not for ZPOOL_MM_RO); any other map is
 *    a pointer into the page;
 *  - compaction frees as many zspages of a class as zs_can_compact() allows
 *    (unused slots / objects per zspage), moving objects into the zspages
 *    allocation would pick.
 *
 * Where it differs, and why:
 *
 *  - free slots are a bitmap in the descriptor, the lowest taken first, not
 *    a list through the free slots (a data page touched per call), and
 *    full zspages are counted, not listed (nothing walks that list);
 *  - objects carry no handle (the kernel adds 8 bytes to each to find it on
 *    migration), so they go to the class of their own size; compaction finds
 *    the handles of the zspages it empties with one walk of the handle table;
 *  - compaction empties the sparsest zspages of a class (the kernel: the
 *    head of ZS_ALMOST_EMPTY, whichever that is), and skips mapped objects
 *    rather than waiting for them;
 *  - one pool lock instead of per-class locks; map and unmap take no lock.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fault.h"
#include "zpool_driver.h"
#include "zsmalloc_internal.h"

_Static_assert(sizeof(struct zs_page) == 32, "two descriptors a cache line");
_Static_assert(ZS_MAX_PAGES_PER_ZSPAGE <= 16, "zs_page.index has 4 bits");

/* Handle table entries made read-write at a time: 64 KiB of them, so that a
 * pool of a few hundred objects commits one step and a large one grows with
 * one mprotect() per 8192 handles. */
#define ZS_HANDLE_GROW 8192u

/* Straddling maps one thread may hold at once, each with a page-sized buffer
 * of its own.  The kernel allows one per CPU; two let a caller copy one
 * object into another. */
#define ZS_MAP_AREAS 2

/* Spins of a map that finds its object being moved before it yields: a move
 * is one copy of at most a page. */
#define ZS_MOVE_SPINS 128

/* The most live handles a page can hold: one per smallest slot. */
#define ZS_HANDLES_PER_PAGE (ZBUD_PAGE_SIZE / ZS_MIN_ALLOC_SIZE)

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

static char *page_addr(const struct zs_pool *pool, uint32_t pgno)
{
	return page_source_addr(&pool->src, pgno);
}

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
			.list = { PAGE_NIL, PAGE_NIL, PAGE_NIL },
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
	for (; cap; cap /= 2) {
		size_t len = round_up(cap * sizeof(uint64_t), ZBUD_PAGE_SIZE);
		void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);

		if (p != MAP_FAILED) {
			h->table = p;
			h->reserved_len = len;
			h->capacity = (uint32_t)cap;
			h->free_head = ZS_HANDLE_NIL;
			return 0;
		}
	}
	return -ENOMEM;
}

static int __attribute__((noinline)) handles_grow(struct zs_handles *h)
{
	uint32_t committed = atomic_load_explicit(&h->committed, memory_order_relaxed);
	uint32_t step = h->capacity - committed;

	if (step > ZS_HANDLE_GROW)
		step = ZS_HANDLE_GROW;
	if (!step || fault_hit(FAULT_META))
		return -ENOMEM;
	if (mprotect((void *)(h->table + committed), round_up(step * sizeof(uint64_t), ZBUD_PAGE_SIZE),
		     PROT_READ | PROT_WRITE))
		return -ENOMEM;
	/* As the page descriptors: every free and most maps read an entry at
	 * random, so spare the TLB. */
	madvise((void *)(h->table + committed), round_up(step * sizeof(uint64_t), ZBUD_PAGE_SIZE),
		MADV_HUGEPAGE);
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
	madvise((void *)h->table, round_up((size_t)h->next * sizeof(uint64_t), ZBUD_PAGE_SIZE),
		MADV_DONTNEED);
	h->next = 0;
	h->free_head = ZS_HANDLE_NIL;
	h->free_nr = 0;
}

/* ---- Fullness groups ---- */

/* The kernel's insert_zspage() into group @fg: at the head of its list,
 * unless the head has more objects in use, then right after it. */
static inline void group_add(struct zs_pool *pool, struct size_class *class, uint32_t first,
			     int fg)
{
	struct zs_page *zp = zs_page(pool, first);
	uint32_t head, prev = PAGE_NIL, next;

	class->stat[fg]++;
	if (fg == ZS_FULL)
		return;
	head = next = class->list[fg];
	if (head != PAGE_NIL && zp->inuse < zs_page(pool, head)->inuse) {
		prev = head;
		next = zs_page(pool, head)->list.next;
	}
	zp->list.prev = prev;
	zp->list.next = next;
	if (next != PAGE_NIL)
		zs_page(pool, next)->list.prev = first;
	if (prev != PAGE_NIL)
		zs_page(pool, prev)->list.next = first;
	else
		class->list[fg] = first;
}

static inline void group_del(struct zs_pool *pool, struct size_class *class, uint32_t first,
			     int fg)
{
	const struct zs_page *zp = zs_page(pool, first);

	class->stat[fg]--;
	if (fg == ZS_FULL)
		return;
	if (zp->list.prev != PAGE_NIL)
		zs_page(pool, zp->list.prev)->list.next = zp->list.next;
	else
		class->list[fg] = zp->list.next;
	if (zp->list.next != PAGE_NIL)
		zs_page(pool, zp->list.next)->list.prev = zp->list.prev;
}

static void insert_zspage(struct zs_pool *pool, struct size_class *class, uint32_t first)
{
	group_add(pool, class, first, zs_fullness(class, zs_page(pool, first)->inuse));
}

static void remove_zspage(struct zs_pool *pool, struct size_class *class, uint32_t first)
{
	group_del(pool, class, first, zs_fullness(class, zs_page(pool, first)->inuse));
}

/*
 * The kernel's fix_fullness_group() after one object more or less, @hi
 * being the more of the two counts: the group changes only across
 * almost_full - 1 | almost_full and slots - 1 | slots (0 | 1, a zspage made
 * or freed, is its caller's).
 */
static inline void fix_fullness_group(struct zs_pool *pool, struct size_class *class,
				      uint32_t first, unsigned int was, unsigned int hi)
{
	if (hi != class->almost_full && hi != class->objs_per_zspage)
		return;
	group_del(pool, class, first, zs_fullness(class, was));
	group_add(pool, class, first, zs_fullness(class, zs_page(pool, first)->inuse));
}

/* The kernel's find_get_zspage(): where the next object goes, or PAGE_NIL. */
static inline uint32_t find_get_zspage(const struct size_class *class)
{
	return class->list[ZS_ALMOST_FULL] != PAGE_NIL ? class->list[ZS_ALMOST_FULL]
						       : class->list[ZS_ALMOST_EMPTY];
}

/* ---- Zspages and the slots in them ---- */

/* A new zspage with every slot free, in no group yet. */
static int __attribute__((noinline))
alloc_zspage(struct zs_pool *pool, struct size_class *class, uint32_t *first)
{
	uint32_t pages[ZS_MAX_PAGES_PER_ZSPAGE] = { 0 };
	unsigned int n = class->pages_per_zspage, objs = class->objs_per_zspage;

	for (unsigned int i = 0; i < n; i++) {
		int err = page_source_get(&pool->src, &pages[i]);

		if (err) {
			while (i--)
				page_source_put(&pool->src, pages[i]);
			return err;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		struct zs_page *zp = zs_page(pool, pages[i]); /* zeroed by the source */

		zp->next = i + 1 < n ? pages[i + 1] : PAGE_NIL;
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

/* Free an empty zspage that is in no group. */
static void __attribute__((noinline))
free_zspage(struct zs_pool *pool, struct size_class *class, uint32_t first)
{
	for (uint32_t pgno = first, next; pgno != PAGE_NIL; pgno = next) {
		next = zs_page(pool, pgno)->next;
		memset(zs_page(pool, pgno), 0, sizeof(struct zs_page));
		page_source_put(&pool->src, pgno);
	}
	class->stat[ZS_OBJ_ALLOCATED] -= class->objs_per_zspage;
	atomic_fetch_sub_explicit(&pool->pages_nr, class->pages_per_zspage, memory_order_relaxed);
}

/* The page @n pages along the zspage from @pgno. */
static inline uint32_t page_along(const struct zs_pool *pool, uint32_t pgno, unsigned int n)
{
	while (n--)
		pgno = zs_page(pool, pgno)->next;
	return pgno;
}

/* The descriptor holding the free bit of slot @slot: the first page's, but
 * for slots past 128 (the 48-byte class). */
static inline struct zs_page *bits_of(const struct zs_pool *pool, uint32_t first,
				      unsigned int slot)
{
	if (slot < ZS_SLOTS_PER_DESC)
		return zs_page(pool, first);
	return zs_page(pool, page_along(pool, first, slot / ZS_SLOTS_PER_DESC));
}

/* Take the zspage's lowest free slot; its group is the caller's to fix. */
static inline unsigned int obj_malloc(struct zs_pool *pool, uint32_t first)
{
	struct zs_page *zp = zs_page(pool, first), *bits = zp;
	unsigned int slot = 0, w;

	while (!(bits->free[0] | bits->free[1])) {
		bits = zs_page(pool, bits->next);
		slot += ZS_SLOTS_PER_DESC;
	}
	w = !bits->free[0];
	slot += w * 64 + (unsigned int)__builtin_ctzll(bits->free[w]);
	bits->free[w] &= bits->free[w] - 1;
	zp->inuse++;
	return slot;
}

static inline void obj_free(struct zs_pool *pool, uint32_t first, unsigned int slot)
{
	struct zs_page *bits = bits_of(pool, first, slot);

	slot %= ZS_SLOTS_PER_DESC;
	bits->free[slot / 64] |= 1ULL << slot % 64;
	zs_page(pool, first)->inuse--;
}

/* Where a slot starts: its page and the offset there. */
static inline uint32_t slot_page(const struct zs_pool *pool, uint64_t place, size_t *off)
{
	size_t zoff = (size_t)zs_loc_slot(place) * pool->class[zs_loc_class(place)].size;

	*off = zoff & (ZBUD_PAGE_SIZE - 1);
	return page_along(pool, zs_loc_first(place), (unsigned int)(zoff >> ZBUD_PAGE_SHIFT));
}

/* Copy an object's slot out of, or into, the pages it may straddle. */
static void copy_from_obj(const struct zs_pool *pool, char *buf, uint64_t place)
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

static void copy_to_obj(const struct zs_pool *pool, uint64_t place, const char *buf)
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

/* ---- API ---- */

struct zs_pool *zs_create_pool(const struct zbud_source_config *source)
{
	struct zs_pool *pool = calloc(1, sizeof(*pool));
	int err;

	if (!pool)
		return NULL;
	init_classes(pool);
	err = page_source_init(&pool->src, source, sizeof(struct zs_page));
	if (!err) {
		err = handles_init(&pool->handles, pool->src.capacity);
		if (err)
			page_source_fini(&pool->src);
	}
	if (err) {
		free(pool);
		errno = -err;
		return NULL;
	}
	lock_init(&pool->lock);
	return pool;
}

void zs_destroy_pool(struct zs_pool *pool)
{
	if (!pool)
		return;
	page_source_fini(&pool->src);
	munmap((void *)pool->handles.table, pool->handles.reserved_len);
	free(pool);
}

int zs_malloc(struct zs_pool *pool, size_t size, unsigned long *handle)
{
	struct size_class *class;
	uint32_t idx, first;
	int err;

	if (!size)
		return -EINVAL;
	if (size > ZS_MAX_ALLOC_SIZE)
		return -ENOSPC;
	class = &pool->class[pool->class_of[size_index(size)]];
	lock_take(&pool->lock);
	err = handle_peek(&pool->handles, &idx);
	if (err)
		goto out;
	first = find_get_zspage(class);
	if (first != PAGE_NIL) {
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
	lock_release(&pool->lock);
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
		free_zspage(pool, class, first);
	}
}

void zs_free(struct zs_pool *pool, unsigned long handle)
{
	struct size_class *class;
	uint64_t e = 0;

	lock_take(&pool->lock);
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
	lock_release(&pool->lock);
}

uint64_t zs_get_total_pages(struct zs_pool *pool)
{
	return atomic_load_explicit(&pool->pages_nr, memory_order_relaxed);
}

/* ---- Map and unmap: pins on the handle's entry, no lock ---- */

struct zs_map_area {
	_Alignas(64) char buf[ZS_MAX_ALLOC_SIZE];
	struct zs_pool *pool;           /* NULL: unused */
	unsigned long handle;
	enum zpool_mapmode mm;
};

static __thread struct zs_map_area map_areas[ZS_MAP_AREAS];

static _Atomic uint64_t *entry_of(struct zs_pool *pool, unsigned long handle)
{
	if (handle == 0 ||
	    handle > atomic_load_explicit(&pool->handles.committed, memory_order_relaxed))
		return NULL;
	return &pool->handles.table[handle - 1];
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
		if (only_thread()) {
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
		if (only_thread()) {
			atomic_store_explicit(slot, e - ZS_ENTRY_MAP_ONE, memory_order_relaxed);
			return;
		}
	} while (!atomic_compare_exchange_weak_explicit(slot, &e, e - ZS_ENTRY_MAP_ONE,
						       memory_order_release, memory_order_relaxed));
}

void *zs_map_object(struct zs_pool *pool, unsigned long handle, enum zpool_mapmode mm)
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
	*area = (struct zs_map_area){ .pool = pool, .handle = handle, .mm = mm };
	if (mm != ZPOOL_MM_WO)
		copy_from_obj(pool, area->buf, e);
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
		if (area->mm != ZPOOL_MM_RO)
			copy_to_obj(pool, e, area->buf);
		area->pool = NULL;
		break;
	}
	unpin(slot);
}

/* ---- Compaction ---- */

/* Scratch for one compaction. */
struct compact {
	uint64_t *marks;        /* per first page: its zspage is a source */
	uint32_t *isolated;     /* the sources, in the order taken */
	size_t nisolated;
	uint32_t *sorted;       /* one class's candidates, sparsest first */
};

/* Move one object of a source zspage to where allocation would put it,
 * unless it is mapped.  Returns the pages this freed. */
static unsigned int move_object(struct zs_pool *pool, uint32_t idx, uint64_t e)
{
	_Atomic uint64_t *slot = &pool->handles.table[idx];
	struct size_class *class = &pool->class[zs_loc_class(e)];
	uint32_t dst = find_get_zspage(class), src = zs_loc_first(e);
	char buf[ZS_MAX_ALLOC_SIZE];
	unsigned int inuse;
	uint64_t place;

	if (dst == PAGE_NIL || zs_entry_maps(e) ||
	    !atomic_compare_exchange_strong_explicit(slot, &e, e | ZS_ENTRY_MOVING,
						     memory_order_acquire, memory_order_relaxed))
		return 0;
	place = zs_loc(dst, obj_malloc(pool, dst), class->index);
	inuse = zs_page(pool, dst)->inuse;
	fix_fullness_group(pool, class, dst, inuse - 1, inuse);
	copy_from_obj(pool, buf, e);
	copy_to_obj(pool, place, buf);
	atomic_store_explicit(slot, place, memory_order_release);
	obj_free(pool, src, zs_loc_slot(e));
	if (zs_page(pool, src)->inuse)
		return 0;
	free_zspage(pool, class, src); /* isolated: in no group */
	return class->pages_per_zspage;
}

/* Zspages a class can do without: its unused slots, in whole zspages. */
static uint64_t spare_zspages(const struct size_class *class)
{
	return (class->stat[ZS_OBJ_ALLOCATED] - class->stat[ZS_OBJ_USED]) / class->objs_per_zspage;
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
		for (uint32_t p = class->list[groups[g]]; p != PAGE_NIL; p = zs_page(pool, p)->list.next)
			at[zs_page(pool, p)->inuse]++;
	for (unsigned int i = 0, sum = 0; i <= class->objs_per_zspage; i++) {
		unsigned int count = at[i];

		at[i] = sum;
		sum += count;
	}
	for (int g = 0; g < 2; g++)
		for (uint32_t p = class->list[groups[g]]; p != PAGE_NIL; p = zs_page(pool, p)->list.next)
			cc->sorted[at[zs_page(pool, p)->inuse]++] = p;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t first = cc->sorted[i];

		remove_zspage(pool, class, first);
		zs_page(pool, first)->flags |= ZS_PAGE_ISOLATED;
		cc->marks[first / 64] |= 1ULL << first % 64;
		cc->isolated[cc->nisolated++] = first;
	}
}

/*
 * The sparsest zspages of every class are taken off their lists, as many as
 * the class can spare, and one walk of the handle table moves the objects
 * they hold, in handle order, each to where allocation would put it then.
 * Emptied zspages are freed; any left (they hold a mapped object) go back on
 * their lists, in the order they were taken off.  All under the pool lock.
 */
uint64_t zs_compact(struct zs_pool *pool)
{
	uint64_t freed = 0, spare = 0, nonfull = 0;
	struct compact cc = { 0 };
	size_t words;

	lock_take(&pool->lock);
	for (int i = 0; i < ZS_SIZE_CLASSES; i++) {
		const struct size_class *class = &pool->class[i];

		if (pool->class_of[i] != i || !spare_zspages(class))
			continue;
		spare += spare_zspages(class);
		if (class->stat[ZS_ALMOST_EMPTY] + class->stat[ZS_ALMOST_FULL] > nonfull)
			nonfull = class->stat[ZS_ALMOST_EMPTY] + class->stat[ZS_ALMOST_FULL];
	}
	if (!spare)
		goto out;
	words = (pool->src.next + 63) / 64;
	cc.marks = calloc(1, words * sizeof(uint64_t) + (spare + nonfull) * sizeof(uint32_t));
	if (!cc.marks)
		goto out;
	cc.isolated = (uint32_t *)(cc.marks + words);
	cc.sorted = cc.isolated + spare;
	for (int i = 0; i < ZS_SIZE_CLASSES; i++)
		if (pool->class_of[i] == i && spare_zspages(&pool->class[i]))
			isolate_sparsest(pool, &pool->class[i], spare_zspages(&pool->class[i]), &cc);
	for (uint32_t idx = 0; idx < pool->handles.next; idx++) {
		uint64_t e = atomic_load_explicit(&pool->handles.table[idx], memory_order_relaxed);
		uint32_t first = zs_loc_first(e);

		if ((e & ZS_ENTRY_LIVE) && cc.marks[first / 64] & 1ULL << first % 64)
			freed += move_object(pool, idx, e);
	}
	for (size_t i = 0; i < cc.nisolated; i++) {
		struct zs_page *zp = zs_page(pool, cc.isolated[i]);

		if (zp->flags & ZS_PAGE_ISOLATED) {
			zp->flags = ZS_PAGE_USED;
			insert_zspage(pool, &pool->class[zp->class_idx], cc.isolated[i]);
		}
	}
	free(cc.marks);
out:
	lock_release(&pool->lock);
	return freed;
}

/* ---- The zpool driver ---- */

static void *zs_zpool_create(const char *name, const struct zpool_ops *ops, struct zpool *zpool,
			     const struct zbud_source_config *source)
{
	(void)name, (void)ops, (void)zpool; /* never evicts: ops->evict is not called */
	return zs_create_pool(source);
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
	return zs_map_object(pool, handle, mm);
}

static void zs_zpool_unmap(void *pool, unsigned long handle)
{
	zs_unmap_object(pool, handle);
}

static uint64_t zs_zpool_total_size(void *pool)
{
	return zs_get_total_pages(pool) * ZBUD_PAGE_SIZE;
}

static uint64_t zs_zpool_compact(void *pool)
{
	return zs_compact(pool);
}

static const char *zs_zpool_handle_place(void *pool, unsigned long handle)
{
	(void)pool, (void)handle;
	return "ok";
}

static int zs_zpool_check(void *pool, char *msg, size_t len)
{
	return zs_check_pool(pool, msg, len);
}

const struct zpool_driver zpool_zsmalloc_driver = {
	.type = "zsmalloc",
	.create = zs_zpool_create,
	.destroy = zs_zpool_destroy,
	.malloc = zs_zpool_malloc,
	.free = zs_zpool_free,
	.reclaim_page = NULL, /* as the kernel's: zsmalloc does not evict */
	.map = zs_zpool_map,
	.unmap = zs_zpool_unmap,
	.total_size = zs_zpool_total_size,
	.compact = zs_zpool_compact,
	.handle_place = zs_zpool_handle_place,
	.check = zs_zpool_check,
};
