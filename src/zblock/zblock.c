/*
 * zblock.c - zblock (Linux mm tree, 2025): block types, alloc and free
 *
 * The layout, the handles and the locking are drawn in zblock_internal.h;
 * runs of pages are zblock_run.c, the checker zblock_check.c, the zpool
 * driver src/zpool/driver_zblock.c.  What follows the kernel's zblock:
 *
 *  - each object in a slot of the type with the smallest slot that holds it;
 *  - allocation from the first block of the type's list of blocks with a
 *    free slot, in it the lowest free slot; a new block at the head of the
 *    list; a block filled up leaves the list; a full block that gets a slot
 *    back goes to the tail; an empty block is freed at once;
 *  - no eviction, no compaction.
 *
 * Where it differs, and why:
 *
 *  - the block types come from a rule (init_types()), not a hand-made table:
 *    on the Python-heap sizes they pack as well as the mm tree's table (1.036x
 *    the ideal pages against 1.039x) and say why each type is there;
 *  - descriptors are out of line: slots get the whole block, and alloc and
 *    free touch no data page;
 *  - a size finds its type in a 513-entry table, not a red-black tree, and
 *    an object of exactly a slot's size takes that slot (the kernel's
 *    interval test sends it one type up);
 *  - one pool lock instead of a spinlock per type (and the mm tree's RCU
 *    list): every allocator here has one, and the lock is not where the
 *    time goes in a critical section this short.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "debug.h"
#include "fault.h"
#include "zblock_internal.h"

/* A debug build's checker (src/common/debug.h). */
static int debug_check(void *pool, char *msg, size_t len)
{
	return zblock_check_pool(pool, msg, len);
}

_Static_assert(sizeof(struct zblock_page) == 24, "a descriptor is 24 bytes");
_Static_assert(ZBLOCK_MAX_SLOTS <= 64, "one 64-bit bitmap per block");
_Static_assert(ZBLOCK_MAX_SLOTS <= UINT8_MAX, "zblock_page.inuse counts slots");

/* ---- Block types ---- */

/*
 * Every block of 1, 2, 4 or 8 pages cut into n equal slots, n up to
 * ZBLOCK_MAX_SLOTS for one page and ZBLOCK_MAX_SLOTS_MULTI for more, the slot
 * being the block's bytes over n rounded down to ZBLOCK_ALIGN; of the blocks
 * giving one slot size, the fewest pages (the last block of a type is the
 * part-filled one, so smaller is cheaper), then the most slots.  Sorted by
 * slot size: 78 types from 64 to 4096 bytes.
 */
static void consider(struct zblock_type *best, unsigned int pages, unsigned int slots)
{
	unsigned int size = (unsigned int)(pages * ZBUD_PAGE_SIZE / slots) & ~(ZBLOCK_ALIGN - 1u);
	struct zblock_type *t = &best[size / ZBLOCK_ALIGN];

	if (size > ZBLOCK_MAX_SIZE)
		return;
	if (t->size && (t->pages < pages || (t->pages == pages && t->slots >= slots)))
		return;
	*t = (struct zblock_type){
		.size = (uint16_t)size,
		.slots = (uint8_t)slots,
		.pages = (uint8_t)pages,
		.recip = (uint32_t)(((1ULL << 32) + size - 1) / size),
	};
}

static int init_types(struct zblock_pool *pool)
{
	struct zblock_type best[ZBLOCK_MAX_SIZE / ZBLOCK_ALIGN + 1] = { 0 };
	unsigned int n = 0, t = 0;

	for (unsigned int pages = 1; pages <= ZBLOCK_MAX_BLOCK_PAGES; pages *= 2) {
		unsigned int most = pages == 1 ? ZBLOCK_MAX_SLOTS : ZBLOCK_MAX_SLOTS_MULTI;

		for (unsigned int slots = 1; slots <= most; slots++)
			consider(best, pages, slots);
	}
	for (unsigned int i = 0; i < sizeof(best) / sizeof(best[0]); i++) {
		if (!best[i].size)
			continue;
		if (n == ZBLOCK_MAX_TYPES)
			return -EINVAL;
		pool->type[n++] = best[i];
	}
	pool->ntypes = n;
	/* Sizes up to each type's slot, from the smallest, go to it. */
	for (unsigned int i = 0; i < sizeof(pool->type_of); i++) {
		while (pool->type[t].size < i * ZBLOCK_ALIGN)
			t++;
		pool->type_of[i] = (uint8_t)t;
	}
	return 0;
}

const struct zblock_type *zblock_size_type(const struct zblock_pool *pool, size_t size)
{
	if (!size || size > ZBLOCK_MAX_SIZE)
		return NULL;
	return &pool->type[pool->type_of[(size + ZBLOCK_ALIGN - 1) / ZBLOCK_ALIGN]];
}

/* ---- Blocks ---- */

static void add_pages(struct zblock_pool *pool, int64_t delta)
{
	atomic_store_explicit(&pool->pages_nr,
			      atomic_load_explicit(&pool->pages_nr, memory_order_relaxed) + delta,
			      memory_order_relaxed);
}

/* A new block of type @t with every slot free, at the head of active[t]. */
static int __attribute__((noinline)) new_block(struct zblock_pool *pool, unsigned int t,
					       uint32_t *first)
{
	const struct zblock_type *type = &pool->type[t];
	int err = zblock_run_get(pool, type->pages, first);

	if (err)
		return err;
	for (unsigned int i = 0; i < type->pages; i++) {
		struct zblock_page *zp = zblock_page(pool, *first + i); /* zeroed */

		zp->first = *first;
		zp->flags = ZBLOCK_PAGE_BLOCK;
	}
	zblock_page(pool, *first)->type = (uint8_t)t;
	zblock_page(pool, *first)->pages = type->pages;
	zbud_plist_add(ZBLOCK_LINKS(pool), &pool->active[t], *first);
	pool->blocks[t]++;
	add_pages(pool, type->pages);
	return 0;
}

static void __attribute__((noinline)) free_block(struct zblock_pool *pool, unsigned int t,
						 uint32_t first)
{
	const struct zblock_type *type = &pool->type[t];

	pool->blocks[t]--;
	add_pages(pool, -(int64_t)type->pages);
	zblock_run_put(pool, first, type->pages);
}

/* ---- API ---- */

struct zblock_pool *zblock_create_pool(const struct zbud_source_config *source)
{
	struct zblock_pool *pool = zbud_fault_hit(ZBUD_FAULT_META) ? NULL : calloc(1, sizeof(*pool));
	int err;

	if (!pool) {
		errno = ENOMEM;
		return NULL;
	}
	err = init_types(pool);
	if (!err)
		err = zbud_source_init(&pool->src, source, sizeof(struct zblock_page));
	if (err) {
		free(pool);
		errno = -err;
		return NULL;
	}
	for (unsigned int t = 0; t < ZBLOCK_MAX_TYPES; t++)
		zbud_plist_init(&pool->active[t]);
	for (unsigned int n = 0; n <= ZBLOCK_MAX_BLOCK_PAGES; n++)
		pool->runs.hot[n] = pool->runs.cold[n] = ZBUD_PAGE_NIL;
	zbud_lock_init(&pool->lock);
	return pool;
}

void zblock_destroy_pool(struct zblock_pool *pool)
{
	if (!pool)
		return;
	zbud_source_fini(&pool->src);
	free(pool);
}

/*
 * As in zbud.c: the calls' common paths run under the lock and release it
 * themselves, and everything rare (a new block, a block freed, a contended
 * lock) is a tail call out of line, so that the common path makes no call
 * and needs few saved registers.
 */

/* Under the lock, which it releases: the object goes into @first, the head
 * of active[@t]. */
static inline int alloc_in(struct zblock_pool *pool, unsigned int t, uint32_t first,
			   unsigned long *handle)
{
	const struct zblock_type *type = &pool->type[t];
	struct zblock_page *zp = zblock_page(pool, first);
	unsigned int slot = (unsigned int)__builtin_ctzll(~zp->used);

	zp->used |= 1ULL << slot;
	/* Full now: off the active list (it was the head). */
	zbud_plist_pop_if(ZBLOCK_LINKS(pool), &pool->active[t], ++zp->inuse == type->slots);
	*handle = zblock_handle(first, slot * type->size);
	zbud_lock_release(&pool->lock);
	return 0;
}

/* No block of the type has a free slot: a new one first. */
static int __attribute__((noinline)) alloc_new_block(struct zblock_pool *pool, unsigned int t,
						     unsigned long *handle)
{
	uint32_t first;
	int err = new_block(pool, t, &first);

	if (err) {
		zbud_lock_release(&pool->lock);
		return err;
	}
	return alloc_in(pool, t, first, handle);
}

static inline int alloc_locked(struct zblock_pool *pool, unsigned int t, unsigned long *handle)
{
	uint32_t first = pool->active[t].head;

	if (first == ZBUD_PAGE_NIL)
		return alloc_new_block(pool, t, handle);
	return alloc_in(pool, t, first, handle);
}

static int __attribute__((noinline)) alloc_contended(struct zblock_pool *pool, unsigned int t,
						     unsigned long *handle)
{
	zbud_lock_wait(&pool->lock);
	return alloc_locked(pool, t, handle);
}

static int alloc(struct zblock_pool *pool, size_t size, unsigned long *handle)
{
	unsigned int t;

	if (!size)
		return -EINVAL;
	if (size > ZBLOCK_MAX_SIZE)
		return -ENOSPC;
	t = pool->type_of[(size + ZBLOCK_ALIGN - 1) / ZBLOCK_ALIGN];
	if (!zbud_lock_try(&pool->lock))
		return alloc_contended(pool, t, handle);
	return alloc_locked(pool, t, handle);
}

/* The first page of the block holding the live object @handle names, and its
 * slot; ZBUD_PAGE_NIL for a handle that names no slot in use. */
static uint32_t live_slot(const struct zblock_pool *pool, unsigned long handle,
			  unsigned int *slot)
{
	uint32_t first = zblock_handle_first(handle), delta = zblock_handle_offset(handle);
	const struct zblock_page *head;
	const struct zblock_type *type;

	/* (handle 0 wraps to a page past any there is, or to one checked below) */
	if ((handle - 1) >> ZBLOCK_DELTA_BITS >= pool->src.next)
		return ZBUD_PAGE_NIL;
	head = zblock_page(pool, first);
	if (!(head->flags & ZBLOCK_PAGE_BLOCK) || head->first != first)
		return ZBUD_PAGE_NIL;
	type = &pool->type[head->type];
	*slot = (unsigned int)(((uint64_t)delta * type->recip) >> 32);
	if (*slot * type->size != delta || *slot >= type->slots || !(head->used >> *slot & 1))
		return ZBUD_PAGE_NIL;
	return first;
}

/* The block's last object is gone: the block goes. */
static void __attribute__((noinline)) free_last(struct zblock_pool *pool, unsigned int t,
						uint32_t first, bool was_full)
{
	if (!was_full) /* a one-slot block, full, is on no list */
		zbud_plist_del(ZBLOCK_LINKS(pool), &pool->active[t], first);
	free_block(pool, t, first);
	zbud_lock_release(&pool->lock);
}

/* Under the lock, which it releases. */
static inline void free_locked(struct zblock_pool *pool, unsigned long handle)
{
	struct zblock_page *zp;
	unsigned int slot, t;
	uint32_t first = live_slot(pool, handle, &slot);
	bool was_full;

	if (first == ZBUD_PAGE_NIL) {
		zbud_lock_release(&pool->lock); /* not live: ignored */
		return;
	}
	zp = zblock_page(pool, first);
	t = zp->type;
	was_full = zp->inuse == pool->type[t].slots;
	zp->used &= ~(1ULL << slot);
	if (--zp->inuse == 0) {
		free_last(pool, t, first, was_full); /* releases the lock */
		return;
	}
	/* The kernel's list_add_tail(), for a block that was full. */
	zbud_plist_add_tail_if(ZBLOCK_LINKS(pool), &pool->active[t], first, was_full);
	zbud_lock_release(&pool->lock);
}

static void __attribute__((noinline)) free_contended(struct zblock_pool *pool, unsigned long handle)
{
	zbud_lock_wait(&pool->lock);
	free_locked(pool, handle);
}

static void free_handle(struct zblock_pool *pool, unsigned long handle)
{
	if (zbud_lock_try(&pool->lock))
		free_locked(pool, handle);
	else
		free_contended(pool, handle);
}

uint64_t zblock_get_total_pages(struct zblock_pool *pool)
{
	return atomic_load_explicit(&pool->pages_nr, memory_order_relaxed);
}

/* ---- The calls, with a debug build's checks after them ---- */

int zblock_alloc(struct zblock_pool *pool, size_t size, unsigned long *handle)
{
	int ret = alloc(pool, size, handle);

	zbud_debug_op(&pool->debug, debug_check, pool, "zblock");
	return ret;
}

void zblock_free(struct zblock_pool *pool, unsigned long handle)
{
	free_handle(pool, handle);
	zbud_debug_op(&pool->debug, debug_check, pool, "zblock");
}
