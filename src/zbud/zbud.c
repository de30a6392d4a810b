/*
 * zbud.c - Linux's zbud, decision for decision, with out-of-line headers
 *
 * Each function below makes the same decisions, in the same order, as its
 * namesake in Linux's mm/zbud.c (v6.1); the comments name the kernel's step
 * where the code differs in form.  See zbud_internal.h for the layout.
 *
 * A handle is the page number above the object's byte offset in its page,
 * (pgno << 12) | offset, just as the kernel's is the page's address plus
 * the offset: FIRST is always at offset 64, LAST at 4096 - 64 * last_chunks,
 * so the offset alone says which buddy a handle is, and zbud_map() is one
 * addition.
 */
#define ZBUD_STATIC_LINKING_ONLY
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "debug.h"
#include "fault.h"
#include "zbud_internal.h"

/* A debug build's checker (src/common/debug.h). */
static int debug_check(void *pool, char *msg, size_t len)
{
	return zbud_check_pool(pool, msg, len);
}

#define OFFSET_MASK (ZBUD_PAGE_SIZE - 1)

/* FIRST sits after the header chunk, LAST against the page's end.  Which of
 * the two a free or an allocation meets is a coin toss, so this is a select
 * (bits.h): compilers make a branch of the plain ?:, and it mispredicts half
 * the time. */
static unsigned long buddy_offset(enum zbud_buddy bud, unsigned int chunks)
{
	return zbud_pick(bud == ZBUD_LAST, ZBUD_PAGE_SIZE - (chunks << ZBUD_CHUNK_SHIFT),
			 ZBUD_CHUNK_SIZE);
}

static unsigned long encode_handle(uint32_t pgno, const struct zbud_page *zp,
				   enum zbud_buddy bud)
{
	return ((unsigned long)pgno << ZBUD_PAGE_SHIFT) | buddy_offset(bud, zp->chunks[bud]);
}

enum zbud_buddy zbud_handle_buddy(unsigned long handle)
{
	return (handle & OFFSET_MASK) == ZBUD_CHUNK_SIZE ? ZBUD_FIRST : ZBUD_LAST;
}

/* ---- The unbuddied lists (the kernel's list_add/list_del on zhdr->buddy) ---- */

static void unbuddied_add(struct zbud_pool *pool, uint32_t pgno, struct zbud_page *zp)
{
	zbud_plists_add(BUDDY_LINKS(pool), pool->unbuddied, &pool->unbuddied_mask,
			num_free_chunks(zp), pgno);
}

/* @zp must still have the chunks it was listed under. */
static void unbuddied_del(struct zbud_pool *pool, uint32_t pgno, struct zbud_page *zp)
{
	zbud_plists_del(BUDDY_LINKS(pool), pool->unbuddied, &pool->unbuddied_mask,
			num_free_chunks(zp), pgno);
}

/* Put a page with at least one buddy on the buddied or an unbuddied list. */
static void buddy_list_add(struct zbud_pool *pool, uint32_t pgno, struct zbud_page *zp)
{
	if (zbud_buddied(zp))
		pool->buddied_nr++;
	else
		unbuddied_add(pool, pgno, zp);
}

static void buddy_list_del(struct zbud_pool *pool, uint32_t pgno, struct zbud_page *zp)
{
	if (zbud_buddied(zp))
		pool->buddied_nr--;
	else
		unbuddied_del(pool, pgno, zp);
}

static void add_pages(struct zbud_pool *pool, int64_t delta)
{
	atomic_store_explicit(&pool->pages_nr,
			      atomic_load_explicit(&pool->pages_nr, memory_order_relaxed) + delta,
			      memory_order_relaxed);
}

static void free_zbud_page(struct zbud_pool *pool, uint32_t pgno)
{
	zbud_source_put(&pool->src, pgno);
	add_pages(pool, -1);
}

/* ---- API ---- */

struct zbud_pool *zbud_create_pool_config(const struct zbud_config *cfg)
{
	static const struct zbud_config defaults;
	struct zbud_pool *pool;
	int err;

	if (!cfg)
		cfg = &defaults;
	pool = zbud_fault_hit(ZBUD_FAULT_META) ? NULL : calloc(1, sizeof(*pool));
	if (!pool) {
		errno = ENOMEM;
		return NULL;
	}
	err = zbud_source_init(&pool->src, &cfg->source, sizeof(struct zbud_page));
	if (err) {
		free(pool);
		errno = -err;
		return NULL;
	}
	zbud_lock_init(&pool->lock);
	for (int i = 0; i < ZBUD_NCHUNKS; i++)
		zbud_plist_init(&pool->unbuddied[i]);
	zbud_plist_init(&pool->lru);
	pool->ops = cfg->ops;
	pool->reclaims = cfg->ops && cfg->ops->evict;
	pool->private_data = cfg->private_data;
	return pool;
}

struct zbud_pool *zbud_create_pool(const struct zbud_ops *ops)
{
	const struct zbud_config cfg = { .ops = ops };

	return zbud_create_pool_config(&cfg);
}

void zbud_destroy_pool(struct zbud_pool *pool)
{
	if (!pool)
		return;
	zbud_source_fini(&pool->src);
	free(pool);
}

void *zbud_get_private(struct zbud_pool *pool)
{
	return pool->private_data;
}

/*
 * The calls' common paths run under the lock and release it themselves:
 * everything rare (a new page, a page freed, a contended lock) is a tail
 * call to an out-of-line function, so that the common path makes no call
 * and keeps its values in registers that need no saving.
 */

/* No page has room: a new one, FIRST in it (the kernel's alloc_page()). */
static int __attribute__((noinline)) alloc_new_page(struct zbud_pool *pool, int chunks,
						    unsigned long *handle)
{
	struct zbud_page *zp;
	uint32_t pgno;
	int err = zbud_source_get(&pool->src, &pgno);

	if (!err) {
		add_pages(pool, 1);
		zp = zbud_page(pool, pgno);
		zp->chunks[ZBUD_FIRST] = (uint8_t)chunks;
		unbuddied_add(pool, pgno, zp);
		if (pool->reclaims)
			zbud_plist_add(LRU_LINKS(pool), &pool->lru, pgno);
		*handle = encode_handle(pgno, zp, ZBUD_FIRST);
	}
	zbud_lock_release(&pool->lock);
	return err;
}

/* The kernel's list_del() and list_add(): @pgno is the LRU's newest.  Out of
 * line, as only a pool that can reclaim keeps an LRU.  Releases the lock. */
static int __attribute__((noinline)) lru_touch(struct zbud_pool *pool, uint32_t pgno)
{
	zbud_plist_del(LRU_LINKS(pool), &pool->lru, pgno);
	zbud_plist_add(LRU_LINKS(pool), &pool->lru, pgno);
	zbud_lock_release(&pool->lock);
	return 0;
}

/* Under the lock, which it releases. */
static inline int alloc_locked(struct zbud_pool *pool, int chunks, unsigned long *handle)
{
	/* The first page of the lowest unbuddied list that fits. */
	int fits = zbud_plists_first(pool->unbuddied_mask, chunks);
	enum zbud_buddy bud;
	struct zbud_page *zp;
	uint32_t pgno;

	if (fits < 0)
		return alloc_new_page(pool, chunks, handle);
	pgno = zbud_plists_pop(BUDDY_LINKS(pool), pool->unbuddied, &pool->unbuddied_mask, fits);
	zp = zbud_page(pool, pgno);
	bud = zp->chunks[ZBUD_FIRST] ? ZBUD_LAST : ZBUD_FIRST;
	zp->chunks[bud] = (uint8_t)chunks;
	pool->buddied_nr++; /* it holds two buddies now */
	*handle = encode_handle(pgno, zp, bud);
	if (pool->reclaims)
		return lru_touch(pool, pgno);
	zbud_lock_release(&pool->lock);
	return 0;
}

static int __attribute__((noinline)) alloc_contended(struct zbud_pool *pool, int chunks,
						     unsigned long *handle)
{
	zbud_lock_wait(&pool->lock);
	return alloc_locked(pool, chunks, handle);
}

static int alloc(struct zbud_pool *pool, size_t size, unsigned long *handle)
{
	int chunks;

	if (!size)
		return -EINVAL;
	if (size > ZBUD_MAX_SIZE)
		return -ENOSPC;
	chunks = (int)zbud_div_round_up(size, ZBUD_CHUNK_SIZE);
	if (!zbud_lock_try(&pool->lock))
		return alloc_contended(pool, chunks, handle);
	return alloc_locked(pool, chunks, handle);
}

/* The page of a live handle, or NULL: a stale or foreign handle is ignored. */
static struct zbud_page *live_page(struct zbud_pool *pool, unsigned long handle,
				   enum zbud_buddy *bud)
{
	unsigned long pgno = handle >> ZBUD_PAGE_SHIFT;
	struct zbud_page *zp;
	unsigned int chunks;

	if (pgno >= pool->src.next)
		return NULL;
	zp = zbud_page(pool, (uint32_t)pgno);
	*bud = zbud_handle_buddy(handle);
	chunks = zp->chunks[*bud];
	return chunks && (handle & OFFSET_MASK) == buddy_offset(*bud, chunks) ? zp : NULL;
}

/* The page's last buddy is gone: off its unbuddied list and the LRU, and
 * back to the source. */
static void __attribute__((noinline)) free_page_of(struct zbud_pool *pool, uint32_t pgno,
						   struct zbud_page *zp, enum zbud_buddy bud)
{
	unbuddied_del(pool, pgno, zp);
	zp->chunks[bud] = 0;
	if (pool->reclaims)
		zbud_plist_del(LRU_LINKS(pool), &pool->lru, pgno);
	free_zbud_page(pool, pgno);
	zbud_lock_release(&pool->lock);
}

/* Under the lock, which it releases. */
static inline void free_locked(struct zbud_pool *pool, unsigned long handle)
{
	uint32_t pgno = (uint32_t)(handle >> ZBUD_PAGE_SHIFT);
	enum zbud_buddy bud;
	struct zbud_page *zp = live_page(pool, handle, &bud);

	/* The kernel clears the chunks first and then looks at the page; this
	 * decides from what the page held before, which unlinking needs. */
	if (!zp) {
		/* not live: ignored */
	} else if (zp->under_reclaim) {
		zp->chunks[bud] = 0; /* reclaim will free the page */
	} else if (zp->chunks[!bud]) {
		/* It was buddied: its other buddy now waits on an unbuddied list. */
		pool->buddied_nr--;
		zp->chunks[bud] = 0;
		unbuddied_add(pool, pgno, zp);
	} else {
		free_page_of(pool, pgno, zp, bud); /* releases the lock */
		return;
	}
	zbud_lock_release(&pool->lock);
}

static void __attribute__((noinline)) free_contended(struct zbud_pool *pool, unsigned long handle)
{
	zbud_lock_wait(&pool->lock);
	free_locked(pool, handle);
}

static void free_handle(struct zbud_pool *pool, unsigned long handle)
{
	if (zbud_lock_try(&pool->lock))
		free_locked(pool, handle);
	else
		free_contended(pool, handle);
}

static int reclaim(struct zbud_pool *pool, unsigned int retries)
{
	unsigned long first_handle, last_handle;
	struct zbud_page *zp;
	uint32_t pgno;

	zbud_lock_take(&pool->lock);
	if (!pool->reclaims || zbud_plist_empty(&pool->lru) || retries == 0) {
		zbud_lock_release(&pool->lock);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < retries; i++) {
		pgno = pool->lru.tail;
		if (pgno == ZBUD_PAGE_NIL)
			break; /* other threads' reclaims hold every page */
		zp = zbud_page(pool, pgno);
		zbud_plist_del(LRU_LINKS(pool), &pool->lru, pgno);
		buddy_list_del(pool, pgno, zp);
		/* Protect the page against free; take the handles while locked. */
		zp->under_reclaim = true;
		first_handle = zp->chunks[ZBUD_FIRST] ? encode_handle(pgno, zp, ZBUD_FIRST) : 0;
		last_handle = zp->chunks[ZBUD_LAST] ? encode_handle(pgno, zp, ZBUD_LAST) : 0;
		zbud_lock_release(&pool->lock);

		/* FIRST, then LAST; the first refusal ends this page's turn. */
		if (!first_handle || !pool->ops->evict(pool, first_handle))
			if (last_handle)
				pool->ops->evict(pool, last_handle);

		zbud_lock_take(&pool->lock);
		zp->under_reclaim = false;
		if (zp->chunks[ZBUD_FIRST] == 0 && zp->chunks[ZBUD_LAST] == 0) {
			free_zbud_page(pool, pgno);
			zbud_lock_release(&pool->lock);
			return 0;
		}
		buddy_list_add(pool, pgno, zp);
		zbud_plist_add(LRU_LINKS(pool), &pool->lru, pgno);
	}
	zbud_lock_release(&pool->lock);
	return -EAGAIN;
}

void *zbud_map(struct zbud_pool *pool, unsigned long handle)
{
	return pool->src.base + handle;
}

void zbud_unmap(struct zbud_pool *pool, unsigned long handle)
{
	(void)pool;
	(void)handle;
}

uint64_t zbud_get_pool_size(struct zbud_pool *pool)
{
	return atomic_load_explicit(&pool->pages_nr, memory_order_relaxed);
}

/* ---- The calls, with a debug build's checks after them ---- */

int zbud_alloc(struct zbud_pool *pool, size_t size, unsigned long *handle)
{
	int ret = alloc(pool, size, handle);

	zbud_debug_op(&pool->debug, debug_check, pool, "zbud");
	return ret;
}

void zbud_free(struct zbud_pool *pool, unsigned long handle)
{
	free_handle(pool, handle);
	zbud_debug_op(&pool->debug, debug_check, pool, "zbud");
}

int zbud_reclaim_page(struct zbud_pool *pool, unsigned int retries)
{
	int ret = reclaim(pool, retries);

	zbud_debug_op(&pool->debug, debug_check, pool, "zbud");
	return ret;
}
