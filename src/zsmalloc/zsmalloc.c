/*
 * zsmalloc.c - Linux's zsmalloc: size classes, zspages, alloc and free
 *
 * The layout, the two geometries, the handle table and the locking rules
 * are drawn in zsmalloc_internal.h; map and unmap are zsmalloc_map.c,
 * compaction zsmalloc_compact.c, the zpool drivers driver_zsmalloc.c.  What
 * follows the kernel:
 *
 *  - size classes 16 bytes apart from 32 to 4096, each with the kernel's
 *    chain (Linux 6.3's calculate_zspage_chain_size(): of 1 to `chain`
 *    pages, the fewest that leave the least unused at the zspage's end; one
 *    page for a power of two), and in the kernel's geometry adjacent classes
 *    merged when they have the same pages and objects per zspage, and 8
 *    bytes added to each object's size for the handle the kernel keeps in it;
 *  - the fullness groups, their lists and the kernel's order on them
 *    (insert_zspage(), find_get_zspage()); empty zspages freed at once.
 *
 * Where it differs, and why:
 *
 *  - the kernel geometry's fullness groups are v6.1's two (3/4 full), not
 *    6.3's ten of 10%: they only decide which zspage of a class takes the
 *    next object.  Ours keeps one list, newest first (the groups bought no
 *    density on the Python-heap churn, and cost a branch a call);
 *  - free slots are a bitmap in the descriptor, the lowest taken first, not
 *    a list through the free slots (a data page touched per call); full
 *    zspages are on no list (nothing walks it); and the per-class counts
 *    come from the lists when asked, not from each call;
 *  - in our geometry, objects carry no handle, so they go to the class of
 *    their own size, and zspages grow and shrink a page at a time;
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
_Static_assert(ZS_MAX_PAGES_PER_ZSPAGE <= 16, "zs_page.index and .pages have 4 bits");
_Static_assert(ZS_MAX_OBJS_PER_ZSPAGE < 4096, "zs_page.inuse has 12 bits");

/* Handle table entries made read-write at a time: 64 KiB of them, so that a
 * pool of a few hundred objects commits one step and a large one grows with
 * one mprotect() per 8192 handles. */
#define ZS_HANDLE_GROW 8192u

/* The most live handles a page can hold: one per smallest slot. */
#define ZS_HANDLES_PER_PAGE (ZBUD_PAGE_SIZE / ZS_MIN_ALLOC_SIZE)

/* ---- Size classes ---- */

/* Linux 6.3's calculate_zspage_chain_size(): of 1 to @chain pages, the
 * fewest that leave the least unused after the last slot. */
static unsigned int chain_size(unsigned int class_size, unsigned int chain)
{
	unsigned int best = 1, min_waste = UINT32_MAX;

	if (!(class_size & (class_size - 1)))
		return 1;
	for (unsigned int i = 1; i <= chain; i++) {
		unsigned int waste = i * ZBUD_PAGE_SIZE % class_size;

		if (waste < min_waste) {
			min_waste = waste;
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

/* From the largest class down, as the kernel: in its geometry, a class with
 * the same pages and objects per zspage as the one above it is merged into
 * that one, and a zspage is almost full past 3/4 of its slots; in ours, from
 * its first object. */
static void init_classes(struct zs_pool *pool, unsigned int chain, bool kernel)
{
	struct size_class *prev = NULL;

	for (int i = ZS_SIZE_CLASSES - 1; i >= 0; i--) {
		unsigned int size = ZS_MIN_ALLOC_SIZE + (unsigned int)i * ZS_SIZE_CLASS_DELTA;
		unsigned int pages = chain_size(size, chain);
		unsigned int objs = pages * ZBUD_PAGE_SIZE / size;

		if (kernel && prev && prev->pages_per_zspage == pages &&
		    prev->objs_per_zspage == objs) {
			pool->class_of[i] = prev->index;
			continue;
		}
		prev = &pool->class[i];
		*prev = (struct size_class){
			.size = (uint16_t)size,
			.objs_per_zspage = (uint16_t)objs,
			/* ours: any zspage in use is "almost full" (one list) */
			.almost_full = kernel ? (uint16_t)(3 * objs / ZS_FULLNESS_THRESHOLD_FRAC + 1)
					      : 1,
			.pages_per_zspage = (uint8_t)pages,
			.index = (uint8_t)i,
			.list = { ZBUD_PAGE_NIL, ZBUD_PAGE_NIL, ZBUD_PAGE_NIL },
		};
		for (unsigned int c = 1; c <= pages; c++)
			prev->cap[c] = (uint16_t)(c < pages ? c * ZBUD_PAGE_SIZE / size : objs);
		pool->class_of[i] = (uint8_t)i;
	}
}

/* The class index of @size, the kernel's handle added in its geometry: a
 * size of up to a page but for those 8 bytes goes to the last class. */
static unsigned int class_index(const struct zs_pool *pool, size_t size)
{
	unsigned int i = size_index(size + pool->handle_bytes);

	return i < ZS_SIZE_CLASSES ? i : ZS_SIZE_CLASSES - 1;
}

/* The class of @size, 1 to ZS_MAX_ALLOC_SIZE, by one lookup: every size
 * with the same (size + handle_bytes + 15) / 16 has the same index. */
static unsigned int class_of_size(const struct zs_pool *pool, size_t size)
{
	return pool->class_by_size[(size + pool->handle_bytes + ZS_SIZE_CLASS_DELTA - 1) /
				   ZS_SIZE_CLASS_DELTA];
}

static void init_class_by_size(struct zs_pool *pool)
{
	for (unsigned int k = 1; k < sizeof(pool->class_by_size); k++) {
		/* the largest size of bucket k, a page at most */
		size_t size = k * ZS_SIZE_CLASS_DELTA - pool->handle_bytes;

		if (size > ZS_MAX_ALLOC_SIZE)
			size = ZS_MAX_ALLOC_SIZE;
		pool->class_by_size[k] = pool->class_of[class_index(pool, size)];
	}
}

const struct size_class *zs_size_class(const struct zs_pool *pool, size_t size)
{
	if (!size || size > ZS_MAX_ALLOC_SIZE)
		return NULL;
	return &pool->class[class_of_size(pool, size)];
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
	if (zbud_vm_commit(&h->vm, zbud_os_round((size_t)(committed + step) * sizeof(uint64_t)),
			   ZBUD_VM_HUGE))
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

/* Give @idx, the head of the free entries, the live @entry. */
static inline void handle_pop(struct zs_handles *h, uint32_t idx, uint64_t entry)
{
	h->free_head = (uint32_t)atomic_load_explicit(&h->table[idx], memory_order_relaxed);
	atomic_store_explicit(&h->table[idx], entry, memory_order_release);
}

/* Give @idx, which handle_peek() named, the live @entry. */
static inline void handle_take(struct zs_handles *h, uint32_t idx, uint64_t entry)
{
	if (idx == h->free_head) {
		handle_pop(h, idx, entry);
	} else {
		h->next++;
		atomic_store_explicit(&h->table[idx], entry, memory_order_release);
	}
}

static void handle_release(struct zs_handles *h, uint32_t idx)
{
	atomic_store_explicit(&h->table[idx], h->free_head, memory_order_relaxed);
	h->free_head = idx;
}

/* The pool is empty: give the table's memory back, as the page source does. */
static void handles_reset(struct zs_handles *h)
{
	zbud_vm_empty(&h->vm, zbud_os_round((size_t)h->next * sizeof(uint64_t)));
	h->next = 0;
	h->free_head = ZS_HANDLE_NIL;
}

/* ---- Zspages ---- */

/* Low @n bits set (n <= 64). */
static inline uint64_t low_bits(unsigned int n)
{
	return n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

/* Mark slots [@from, @to) of the zspage at @first free (@free) or absent:
 * each in the bitmap of the descriptor that holds it. */
static void mark_slots(struct zs_pool *pool, uint32_t first, unsigned int from, unsigned int to,
		       bool free)
{
	while (from < to) {
		struct zs_page *bits = bits_of(pool, first, from);
		unsigned int bit = from % ZS_SLOTS_PER_DESC, w = bit / 64, n = to - from;
		uint64_t mask;

		if (n > 64 - bit % 64)
			n = 64 - bit % 64;
		mask = low_bits(n) << bit % 64;
		if (free)
			bits->free[w] |= mask;
		else
			bits->free[w] &= ~mask;
		from += n;
	}
}

/* Page @pgno, zeroed by the source, as page @i of the zspage at @first. */
static void init_page(struct zs_pool *pool, const struct size_class *class, uint32_t first,
		      uint32_t pgno, unsigned int i)
{
	struct zs_page *zp = zs_page(pool, pgno);

	zp->next = ZBUD_PAGE_NIL;
	zp->class_idx = class->index;
	zp->flags = ZS_PAGE_USED;
	zp->index = i & 15;
	if (i)
		zp->first = first;
}

/* A new zspage of @n pages with every present slot free, in no group yet. */
static int __attribute__((noinline))
alloc_zspage(struct zs_pool *pool, struct size_class *class, unsigned int n, uint32_t *first)
{
	uint32_t pages[ZS_MAX_PAGES_PER_ZSPAGE] = { 0 };

	for (unsigned int i = 0; i < n; i++) {
		int err = zbud_source_get(&pool->src, &pages[i]);

		if (err) {
			while (i--)
				zbud_source_put(&pool->src, pages[i]);
			return err;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		init_page(pool, class, pages[0], pages[i], i);
		if (i)
			zs_page(pool, pages[i - 1])->next = pages[i];
	}
	*first = pages[0];
	zs_page(pool, *first)->pages = (n - 1) & 15;
	mark_slots(pool, *first, 0, class->cap[n], true);
	class->zspages++;
	class->present += class->cap[n];
	atomic_fetch_add_explicit(&pool->pages_nr, n, memory_order_relaxed);
	return 0;
}

/* The kernel's free_zspage(); out of line, as alloc_zspage(): both are rare
 * beside the calls that take or give back one slot. */
void __attribute__((noinline))
zs_free_zspage(struct zs_pool *pool, struct size_class *class, uint32_t first)
{
	unsigned int n = zs_npages(pool, first);

	assert(!zs_page(pool, first)->inuse);
	for (uint32_t pgno = first, next; pgno != ZBUD_PAGE_NIL; pgno = next) {
		next = zs_page(pool, pgno)->next;
		memset(zs_page(pool, pgno), 0, sizeof(struct zs_page));
		zbud_source_put(&pool->src, pgno);
	}
	class->zspages--;
	class->present -= class->cap[n];
	atomic_fetch_sub_explicit(&pool->pages_nr, n, memory_order_relaxed);
}

int __attribute__((noinline))
zs_grow_zspage(struct zs_pool *pool, struct size_class *class, uint32_t first)
{
	const unsigned int n = zs_npages(pool, first);
	uint32_t pgno;
	int err;

	assert(n < class->pages_per_zspage);
	err = zbud_source_get(&pool->src, &pgno);
	if (err)
		return err;
	init_page(pool, class, first, pgno, n);
	zs_page(pool, page_along(pool, first, n - 1))->next = pgno;
	zs_page(pool, first)->pages = n & 15;
	mark_slots(pool, first, class->cap[n], class->cap[n + 1], true);
	class->present += class->cap[n + 1] - class->cap[n];
	atomic_fetch_add_explicit(&pool->pages_nr, 1, memory_order_relaxed);
	return 0;
}

/* Whether slots [@from, @to) of the zspage at @first are all free. */
static bool slots_free(const struct zs_pool *pool, uint32_t first, unsigned int from,
		       unsigned int to)
{
	while (from < to) {
		const struct zs_page *bits = bits_of(pool, first, from);
		unsigned int bit = from % ZS_SLOTS_PER_DESC, n = to - from;
		uint64_t mask;

		if (n > 64 - bit % 64)
			n = 64 - bit % 64;
		mask = low_bits(n) << bit % 64;
		if ((bits->free[bit / 64] & mask) != mask)
			return false;
		from += n;
	}
	return true;
}

unsigned int zs_shrink_zspage(struct zs_pool *pool, struct size_class *class, uint32_t first)
{
	unsigned int n = zs_npages(pool, first), shrunk = 0;

	/* The last page holds slots from the one that starts before it (or at
	 * its start) to the last present: cap[n - 1] is that first one. */
	for (; n > 1 && slots_free(pool, first, class->cap[n - 1], class->cap[n]); n--) {
		uint32_t before = page_along(pool, first, n - 2), last = zs_page(pool, before)->next;

		mark_slots(pool, first, class->cap[n - 1], class->cap[n], false);
		zs_page(pool, before)->next = ZBUD_PAGE_NIL;
		zs_page(pool, first)->pages = (n - 2) & 15;
		memset(zs_page(pool, last), 0, sizeof(struct zs_page));
		zbud_source_put(&pool->src, last);
		class->present -= class->cap[n] - class->cap[n - 1];
		shrunk++;
	}
	atomic_fetch_sub_explicit(&pool->pages_nr, shrunk, memory_order_relaxed);
	return shrunk;
}

/* ---- API ---- */

struct zs_pool *zs_create_pool(const struct zbud_source_config *source,
			       const struct zs_config *cfg)
{
	static const struct zs_config ours;
	struct zs_pool *pool;
	unsigned int chain;
	int err;

	if (!cfg)
		cfg = &ours;
	chain = cfg->chain ? cfg->chain : ZS_CHAIN_DEFAULT;
	if (chain > ZS_MAX_PAGES_PER_ZSPAGE) {
		errno = EINVAL;
		return NULL;
	}
	pool = zbud_fault_hit(ZBUD_FAULT_META) ? NULL : calloc(1, sizeof(*pool));
	if (!pool) {
		errno = ENOMEM;
		return NULL;
	}
	pool->grow = !cfg->kernel;
	pool->handle_bytes = cfg->handle ? ZS_HANDLE_SIZE : 0;
	init_classes(pool, chain, cfg->kernel);
	init_class_by_size(pool);
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

/*
 * As zbud's, the calls' common paths run under the lock and release it
 * themselves, and everything else is a tail call to an out-of-line
 * function that does the same: so that the common path makes no call and
 * keeps its values in registers that need no saving.  The common path is
 * our geometry's; the kernel geometry's groups take the general one.
 */

/* Any allocation, in either geometry: a zspage to grow or make, a handle
 * entry to commit, the kernel's groups.  Releases the lock. */
static int __attribute__((noinline))
alloc_any(struct zs_pool *pool, struct size_class *class, unsigned long *handle)
{
	uint32_t idx, first;
	int err;

	err = handle_peek(&pool->handles, &idx);
	if (err)
		goto out;
	first = find_get_zspage(class);
	if (first != ZBUD_PAGE_NIL && !zs_room(pool, class, first)) {
		err = zs_grow_zspage(pool, class, first); /* ours: its present slots are full */
		if (err)
			goto out;
	}
	if (first != ZBUD_PAGE_NIL) {
		unsigned int inuse;

		handle_take(&pool->handles, idx, zs_loc(first, obj_malloc(pool, first), class->index));
		inuse = zs_page(pool, first)->inuse;
		fix_fullness_group(pool, class, first, inuse - 1, inuse);
	} else {
		err = alloc_zspage(pool, class, pool->grow ? 1 : class->pages_per_zspage, &first);
		if (err)
			goto out;
		handle_take(&pool->handles, idx, zs_loc(first, obj_malloc(pool, first), class->index));
		insert_zspage(pool, class, first);
	}
	*handle = zs_handle_make(idx, first);
out:
	zbud_lock_release(&pool->lock);
	return err;
}

/* Ours, the class's list empty and a freed handle entry @idx to reuse:
 * alloc_any()'s decisions, made directly, as with a few objects a class
 * this is every twentieth allocation: a zspage of one page, its slot 0
 * taken, on the list unless that filled it.  Releases the lock. */
static int __attribute__((noinline))
alloc_new_zspage(struct zs_pool *pool, struct size_class *class, uint32_t idx,
		 unsigned long *handle)
{
	const unsigned int present = class->cap[1];
	struct zs_page *zp;
	uint32_t first;
	int err = zbud_source_get(&pool->src, &first);

	if (err) {
		zbud_lock_release(&pool->lock);
		return err;
	}
	init_page(pool, class, first, first, 0);
	zp = zs_page(pool, first); /* zeroed: one page, no objects */
	zp->free[0] = low_bits(present) & ~1ULL; /* slot 0 taken */
	zp->free[1] = present > 64 ? low_bits(present - 64) : 0;
	zp->inuse_word = 1;
	if (class->objs_per_zspage > 1) {
		zp->list.next = ZBUD_PAGE_NIL; /* alone on it */
		class->list[ZS_ALMOST_FULL] = first;
	}
	class->zspages++;
	class->present += present;
	atomic_fetch_add_explicit(&pool->pages_nr, 1, memory_order_relaxed);
	*handle = zs_handle_make(idx, first);
	handle_pop(&pool->handles, idx, zs_loc(first, 0, class->index));
	zbud_lock_release(&pool->lock);
	return 0;
}

/* Under the lock, which it releases.  The common case: our geometry, a
 * freed handle entry to reuse, and at the head of the class's one list a
 * zspage with a present free slot among its first 128 (the bitmap holds
 * present slots only). */
static inline int alloc_locked(struct zs_pool *pool, unsigned int ci, unsigned long *handle)
{
	struct size_class *class = &pool->class[ci];
	struct zs_handles *h = &pool->handles;
	uint32_t idx = h->free_head, first = class->list[ZS_ALMOST_FULL];
	struct zs_page *zp;

	if (!pool->grow || idx == ZS_HANDLE_NIL)
		return alloc_any(pool, class, handle);
	if (first == ZBUD_PAGE_NIL)
		return alloc_new_zspage(pool, class, idx, handle);
	zp = zs_page(pool, first);
	if (!(zp->free[0] | zp->free[1]))
		return alloc_any(pool, class, handle);
	*handle = zs_handle_make(idx, first);
	handle_pop(h, idx, zs_loc(first, obj_take(zp), ci));
	pop_head_if_full(pool, class, first, zp->inuse);
	zbud_lock_release(&pool->lock);
	return 0;
}

static int __attribute__((noinline))
alloc_contended(struct zs_pool *pool, unsigned int ci, unsigned long *handle)
{
	zbud_lock_wait(&pool->lock);
	return alloc_locked(pool, ci, handle);
}

static int alloc(struct zs_pool *pool, size_t size, unsigned long *handle)
{
	unsigned int ci;

	if (!size)
		return -EINVAL;
	if (size > ZS_MAX_ALLOC_SIZE)
		return -ENOSPC;
	ci = class_of_size(pool, size);
	if (!zbud_lock_try(&pool->lock))
		return alloc_contended(pool, ci, handle);
	return alloc_locked(pool, ci, handle);
}

/* Any free of the live entry @e at @idx, in either geometry: a zspage to
 * free if empty, else regrouped.  Ours keeps a zspage's pages until
 * compaction packs it (a zspage that gave a page back at each free would
 * take it again at the next allocation).  Releases the lock. */
static void __attribute__((noinline)) free_any(struct zs_pool *pool, uint32_t idx, uint64_t e)
{
	struct size_class *class = &pool->class[zs_loc_class(e)];
	uint32_t first = zs_loc_first(e);
	unsigned int n;

	obj_free(pool, first, zs_loc_slot(e));
	n = zs_page(pool, first)->inuse;
	if (n) {
		regroup_after_free(pool, class, first, n);
	} else {
		/* the zspage goes, and with the pool's last page, the handle
		 * table's memory (after its entry is released) */
		group_del(pool, class, first, zs_fullness(class, 1));
		zs_free_zspage(pool, class, first);
	}
	handle_release(&pool->handles, idx);
	if (!atomic_load_explicit(&pool->pages_nr, memory_order_relaxed))
		handles_reset(&pool->handles);
	zbud_lock_release(&pool->lock);
}

/* Under the lock, which it releases.  The common case: our geometry, a
 * slot among the first 128, the object where its handle's hint says (not
 * moved by compaction), and objects left in the zspage. */
static inline void free_locked(struct zs_pool *pool, unsigned long handle)
{
	const uint32_t idx = zs_handle_index(handle);
	struct size_class *class;
	struct zs_page *zp;
	unsigned int slot, n;
	uint32_t first;
	uint64_t e;

	if (idx >= pool->handles.next)
		goto out; /* not live: ignored */
	e = atomic_load_explicit(&pool->handles.table[idx], memory_order_acquire);
	if (!(e & ZS_ENTRY_LIVE))
		goto out;
	slot = zs_loc_slot(e);
	/* From the handle, not the entry, so that the work on the zspage need
	 * not wait for the entry's read (at 200k live, a cache miss) */
	first = zs_free_first(handle, e);
	if (!pool->grow || slot >= ZS_SLOTS_PER_DESC || zs_loc_first(e) != first) {
		free_any(pool, idx, e);
		return;
	}
	zp = zs_page(pool, first);
	if (zp->inuse == 1) {
		free_any(pool, idx, e); /* it empties the zspage */
		return;
	}
	class = &pool->class[zp->class_idx];
	obj_free(pool, first, slot);
	n = zp->inuse;
	push_head_if_was_full(pool, class, first, n);
	handle_release(&pool->handles, idx);
out:
	zbud_lock_release(&pool->lock);
}

static void __attribute__((noinline)) free_contended(struct zs_pool *pool, unsigned long handle)
{
	zbud_lock_wait(&pool->lock);
	free_locked(pool, handle);
}

static void free_handle(struct zs_pool *pool, unsigned long handle)
{
	zs_prefetch_hint(pool, handle);
	if (zbud_lock_try(&pool->lock))
		free_locked(pool, handle);
	else
		free_contended(pool, handle);
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
