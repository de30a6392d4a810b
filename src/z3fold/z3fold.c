/*
 * z3fold.c - Linux's z3fold, decision for decision, with out-of-line headers
 *
 * Each function below makes the decisions of its namesake in Linux's
 * mm/z3fold.c (v6.1); z3fold_internal.h draws the layout.  The rules:
 *
 *  - Sizes: 0 is -EINVAL, over a page -ENOSPC; over 3904 bytes (61 chunks)
 *    the object gets a headless page of its own.
 *  - z3fold_alloc(): the first page of the lowest unbuddied list from the
 *    object's chunks up, else a new page.  In that page, get_free_buddy():
 *    with a MIDDLE, FIRST if free and the object fits before MIDDLE, else
 *    LAST; without one, FIRST, else LAST, else MIDDLE right after FIRST.
 *    The page goes back to the head of unbuddied[free chunks] if a buddy is
 *    still free, and to the head of the LRU.
 *  - z3fold_free(): an emptied page is freed.  Otherwise the page is
 *    compacted (do_compact_page()): if it is left with one object, native to
 *    it and not mapped, that object moves to the page z3fold_alloc() would
 *    pick for it, and this page is freed (compact_single_buddy()); else
 *    z3fold_compact_page() moves an unmapped MIDDLE to FIRST's place when
 *    it is alone, or next to its one neighbour when that closes a gap of at
 *    least BIG_CHUNK_GAP chunks.  The page goes to the head of its list; the
 *    LRU does not change.
 *  - z3fold_reclaim_page(): the LRU's last page not holding objects moved in
 *    from another page; evict MIDDLE, FIRST, then LAST, the first refusal
 *    ending the page's turn.  An emptied page is freed (0); else it goes to
 *    the LRU's head and its unbuddied list, uncompacted, and the next try
 *    starts over from the tail.  -EINVAL without a callback, with retries 0
 *    or an empty LRU; -EAGAIN when no page is left to try or retries run out.
 *
 * Where this differs in form, not in decisions:
 *  - one set of unbuddied lists, as the kernel's per-CPU lists on one CPU;
 *  - compaction runs at once, under the pool lock, where the kernel queues
 *    it on the page's CPU (NEEDS_COMPACTING): no page ever waits for it, so
 *    nothing is left for zpool_compact() to do (.compact is NULL);
 *  - no page migration (PageIsolated is never true), and one pool lock
 *    where the kernel adds a lock per page;
 *  - handles are slots in one table beside the pages (12 bytes an object,
 *    from malloc() even for a fixed-buffer source, as the kernel's slots
 *    come from a kmem_cache), not slots allocated per page; a freed handle
 *    is ignored, not a crash;
 *  - reclaim offers only handles still live in its page: one that another
 *    thread freed after the page was picked is skipped (the kernel would
 *    offer it).
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "debug.h"
#include "fault.h"
#include "z3fold_internal.h"

/* A debug build's checker (src/common/debug.h). */
static int debug_check(void *pool, char *msg, size_t len)
{
	return z3fold_check_pool(pool, msg, len);
}

/* The slot table's first size, in slots; it doubles from there. */
#define SLOTS_MIN 64u

/* A headless page keeps its object where a page with a header keeps FIRST. */
static int slot_at(enum z3fold_buddy bud)
{
	return bud == Z3FOLD_HEADLESS ? Z3FOLD_FIRST : (int)bud;
}

static char *buddy_addr(const struct z3fold_pool *pool, uint32_t pgno,
			const struct z3fold_page *zp, enum z3fold_buddy bud)
{
	return (char *)zbud_source_addr(&pool->src, pgno) + z3fold_offset(zp, bud);
}

static bool page_empty(const struct z3fold_page *zp)
{
	for (int b = 0; b < Z3FOLD_BUDDIES; b++)
		if (zp->slot[b] != Z3FOLD_SLOT_NIL)
			return false;
	return true;
}

/* ---- The unbuddied lists (the kernel's zhdr->buddy) ---- */

/* add_to_unbuddied(): if a buddy is free, at the head of its list. */
static void unbuddied_add(struct z3fold_pool *pool, uint32_t pgno, struct z3fold_page *zp)
{
	const uint8_t *c = zp->chunks;
	int i = z3fold_free_chunks(zp);

	if (c[Z3FOLD_FIRST] && c[Z3FOLD_MIDDLE] && c[Z3FOLD_LAST])
		return;
	zp->list = (int8_t)i;
	zbud_plists_add(Z3FOLD_BUDDY_LINKS(pool), pool->unbuddied, &pool->unbuddied_mask, i, pgno);
}

static void unbuddied_del(struct z3fold_pool *pool, uint32_t pgno, struct z3fold_page *zp)
{
	int i = zp->list;

	if (i == Z3FOLD_NO_LIST)
		return;
	zbud_plists_del(Z3FOLD_BUDDY_LINKS(pool), pool->unbuddied, &pool->unbuddied_mask, i, pgno);
	zp->list = Z3FOLD_NO_LIST;
}

/* __z3fold_alloc(): the first page of the lowest list from @chunks up, off
 * its list; ZBUD_PAGE_NIL if none. */
static uint32_t unbuddied_take(struct z3fold_pool *pool, int chunks)
{
	int fits = zbud_plists_first(pool->unbuddied_mask, chunks);
	uint32_t pgno;

	if (fits < 0)
		return ZBUD_PAGE_NIL;
	pgno = pool->unbuddied[fits].head;
	unbuddied_del(pool, pgno, z3fold_page(pool, pgno));
	return pgno;
}

/* ---- The LRU: head is the page most recently allocated into ---- */

static void lru_add(struct z3fold_pool *pool, uint32_t pgno)
{
	zbud_plist_add(Z3FOLD_LRU_LINKS(pool), &pool->lru, pgno);
}

static void lru_del(struct z3fold_pool *pool, uint32_t pgno)
{
	zbud_plist_del(Z3FOLD_LRU_LINKS(pool), &pool->lru, pgno);
}

/* ---- Pages ---- */

static void add_pages(struct z3fold_pool *pool, int64_t delta)
{
	atomic_store_explicit(&pool->pages_nr,
			      atomic_load_explicit(&pool->pages_nr, memory_order_relaxed) + delta,
			      memory_order_relaxed);
}

static int new_page(struct z3fold_pool *pool, uint32_t *pgno)
{
	struct z3fold_page *zp;
	int err = zbud_source_get(&pool->src, pgno);

	if (err)
		return err;
	zp = z3fold_page(pool, *pgno);
	zp->buddy.next = zp->buddy.prev = ZBUD_PAGE_NIL;
	for (int b = 0; b < Z3FOLD_BUDDIES; b++)
		zp->slot[b] = Z3FOLD_SLOT_NIL;
	zp->list = Z3FOLD_NO_LIST;
	zp->flags = Z3FOLD_PAGE_IN_USE;
	add_pages(pool, 1);
	return 0;
}

/* The page is off every list. */
static void free_page(struct z3fold_pool *pool, uint32_t pgno)
{
	memset(z3fold_page(pool, pgno), 0, sizeof(struct z3fold_page));
	zbud_source_put(&pool->src, pgno);
	add_pages(pool, -1);
}

/* ---- Handle slots ---- */

/* Make sure a slot is free: the pool's only allocation besides pages, and
 * so its only failure besides them (-ENOMEM, nothing changed). */
static int slot_reserve(struct z3fold_pool *pool)
{
	uint32_t old = pool->slots_cap, cap = old ? 2 * old : SLOTS_MIN;
	struct z3fold_slot *slots;

	if (pool->slots_free != Z3FOLD_SLOT_NIL)
		return 0;
	if (zbud_fault_hit(ZBUD_FAULT_META) || cap < old || cap == Z3FOLD_SLOT_NIL)
		return -ENOMEM;
	slots = realloc(pool->slots, (size_t)cap * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (uint32_t i = cap; i-- > old;)
		slots[i] = (struct z3fold_slot){ .pgno = i + 1 < cap ? i + 1 : Z3FOLD_SLOT_NIL };
	pool->slots = slots;
	pool->slots_cap = cap;
	pool->slots_free = old;
	return 0;
}

/* With no slot in use, give the table back: an emptied pool holds nothing. */
static void slots_trim(struct z3fold_pool *pool)
{
	if (pool->slots_used)
		return;
	free(pool->slots);
	pool->slots = NULL;
	pool->slots_cap = 0;
	pool->slots_free = Z3FOLD_SLOT_NIL;
}

/* After slot_reserve(): a handle for the new object at @bud of page @pgno. */
static unsigned long slot_take(struct z3fold_pool *pool, uint32_t pgno, struct z3fold_page *zp,
			       enum z3fold_buddy bud)
{
	uint32_t i = pool->slots_free;

	pool->slots_free = pool->slots[i].pgno;
	pool->slots[i] = (struct z3fold_slot){ .pgno = pgno, .state = SLOT_LIVE,
					       .bud = (uint8_t)bud };
	pool->slots_used++;
	zp->slot[slot_at(bud)] = i;
	return (unsigned long)i + 1;
}

static void slot_release(struct z3fold_pool *pool, uint32_t i)
{
	pool->slots[i] = (struct z3fold_slot){ .pgno = pool->slots_free, .state = SLOT_FREE };
	pool->slots_free = i;
	pool->slots_used--;
	slots_trim(pool);
}

static struct z3fold_slot *live_slot(const struct z3fold_pool *pool, unsigned long handle)
{
	struct z3fold_slot *s = z3fold_slot_of(pool, handle);

	return s && s->state == SLOT_LIVE ? s : NULL;
}

/* ---- Placement ---- */

/* get_free_buddy() for a page taken from a list that fits @chunks. */
static enum z3fold_buddy get_free_buddy(const struct z3fold_page *zp, int chunks)
{
	const uint8_t *c = zp->chunks;

	if (c[Z3FOLD_MIDDLE]) {
		if (!c[Z3FOLD_FIRST] && chunks <= zp->start_middle - Z3FOLD_ZHDR_CHUNKS)
			return Z3FOLD_FIRST;
		/* With LAST taken, the free chunks are those before MIDDLE: the
		 * kernel's HEADLESS ("no free buddy") cannot happen. */
		assert(!c[Z3FOLD_LAST]);
		return Z3FOLD_LAST;
	}
	if (!c[Z3FOLD_FIRST])
		return Z3FOLD_FIRST;
	return c[Z3FOLD_LAST] ? Z3FOLD_MIDDLE : Z3FOLD_LAST;
}

static void place(struct z3fold_page *zp, enum z3fold_buddy bud, int chunks)
{
	zp->chunks[bud] = (uint8_t)chunks;
	if (bud == Z3FOLD_MIDDLE)
		zp->start_middle = (uint8_t)(zp->chunks[Z3FOLD_FIRST] + Z3FOLD_ZHDR_CHUNKS);
}

/* Take the object at @bud out of its page: freed, evicted or moved. */
static void clear_buddy(struct z3fold_page *zp, const struct z3fold_slot *s)
{
	int b = slot_at(s->bud);

	zp->slot[b] = Z3FOLD_SLOT_NIL;
	zp->chunks[b] = 0;
	if (s->bud == Z3FOLD_MIDDLE)
		zp->start_middle = 0;
	zp->foreign -= s->foreign;
	zp->mapped -= s->maps;
}

/* ---- Compaction, done at once where the kernel queues work ---- */

static int single_buddy(const struct z3fold_page *zp)
{
	int found = -1;

	for (int b = 0; b < Z3FOLD_BUDDIES; b++) {
		if (!zp->chunks[b])
			continue;
		if (found >= 0)
			return -1;
		found = b;
	}
	return found;
}

/* compact_single_buddy(): move the page's one object to the page that
 * z3fold_alloc() would pick for it.  That object is a foreign handle there. */
static bool compact_single_buddy(struct z3fold_pool *pool, uint32_t pgno,
				 struct z3fold_page *zp, enum z3fold_buddy bud)
{
	int chunks = zp->chunks[bud];
	uint32_t to = unbuddied_take(pool, chunks), i = zp->slot[bud];
	struct z3fold_slot *s = &pool->slots[i];
	enum z3fold_buddy new_bud;
	struct z3fold_page *tp;

	if (to == ZBUD_PAGE_NIL)
		return false;
	tp = z3fold_page(pool, to);
	new_bud = get_free_buddy(tp, chunks);
	place(tp, new_bud, chunks);
	memcpy(buddy_addr(pool, to, tp, new_bud), buddy_addr(pool, pgno, zp, bud),
	       (size_t)chunks << Z3FOLD_CHUNK_SHIFT);
	clear_buddy(zp, s);
	*s = (struct z3fold_slot){ .pgno = to, .state = SLOT_LIVE, .bud = (uint8_t)new_bud,
				   .foreign = true };
	tp->slot[new_bud] = i;
	tp->foreign++;
	unbuddied_add(pool, to, tp);
	return true;
}

static void move_middle(struct z3fold_pool *pool, uint32_t pgno, struct z3fold_page *zp,
			int to_chunk)
{
	char *page = zbud_source_addr(&pool->src, pgno);

	memmove(page + ((size_t)to_chunk << Z3FOLD_CHUNK_SHIFT),
		page + ((size_t)zp->start_middle << Z3FOLD_CHUNK_SHIFT),
		(size_t)zp->chunks[Z3FOLD_MIDDLE] << Z3FOLD_CHUNK_SHIFT);
	zp->start_middle = (uint8_t)to_chunk;
}

/* z3fold_compact_page(): move an unmapped MIDDLE within its page. */
static void compact_page(struct z3fold_pool *pool, uint32_t pgno, struct z3fold_page *zp)
{
	int first = zp->chunks[Z3FOLD_FIRST], middle = zp->chunks[Z3FOLD_MIDDLE];
	int last = zp->chunks[Z3FOLD_LAST];
	uint32_t i = zp->slot[Z3FOLD_MIDDLE];

	if (!middle || pool->slots[i].maps)
		return;
	if (!first && !last) {
		/* Alone: to the start, where it is FIRST from now on. */
		move_middle(pool, pgno, zp, Z3FOLD_ZHDR_CHUNKS);
		zp->chunks[Z3FOLD_FIRST] = (uint8_t)middle;
		zp->slot[Z3FOLD_FIRST] = i;
		zp->chunks[Z3FOLD_MIDDLE] = 0;
		zp->slot[Z3FOLD_MIDDLE] = Z3FOLD_SLOT_NIL;
		zp->start_middle = 0;
		pool->slots[i].bud = Z3FOLD_FIRST;
	} else if (first && !last &&
		   zp->start_middle - (first + Z3FOLD_ZHDR_CHUNKS) >= Z3FOLD_BIG_CHUNK_GAP) {
		move_middle(pool, pgno, zp, first + Z3FOLD_ZHDR_CHUNKS);
	} else if (last && !first &&
		   Z3FOLD_TOTAL_CHUNKS - (last + zp->start_middle + middle) >= Z3FOLD_BIG_CHUNK_GAP) {
		move_middle(pool, pgno, zp, Z3FOLD_TOTAL_CHUNKS - last - middle);
	}
}

/* do_compact_page() for a page that a free left with objects. */
static void compact_after_free(struct z3fold_pool *pool, uint32_t pgno, struct z3fold_page *zp)
{
	int single = single_buddy(zp);

	unbuddied_del(pool, pgno, zp);
	if (!zp->foreign && single >= 0 && !zp->mapped &&
	    compact_single_buddy(pool, pgno, zp, (enum z3fold_buddy)single)) {
		lru_del(pool, pgno);
		free_page(pool, pgno);
		return;
	}
	compact_page(pool, pgno, zp);
	unbuddied_add(pool, pgno, zp);
}

/* ---- API ---- */

struct z3fold_pool *z3fold_create_pool(const struct z3fold_ops *ops, void *private_data,
				       const struct zbud_source_config *source)
{
	static const struct zbud_source_config defaults;
	struct z3fold_pool *pool = zbud_fault_hit(ZBUD_FAULT_META) ? NULL : calloc(1, sizeof(*pool));
	int err;

	if (!pool) {
		errno = ENOMEM;
		return NULL;
	}
	err = zbud_source_init(&pool->src, source ? source : &defaults,
			       sizeof(struct z3fold_page));
	if (err) {
		free(pool);
		errno = -err;
		return NULL;
	}
	zbud_lock_init(&pool->lock);
	for (int i = 0; i < Z3FOLD_NCHUNKS; i++)
		zbud_plist_init(&pool->unbuddied[i]);
	zbud_plist_init(&pool->lru);
	pool->slots_free = Z3FOLD_SLOT_NIL;
	pool->ops = ops;
	pool->private_data = private_data;
	return pool;
}

void z3fold_destroy_pool(struct z3fold_pool *pool)
{
	if (!pool)
		return;
	zbud_source_fini(&pool->src);
	free(pool->slots);
	free(pool);
}

void *z3fold_get_private(struct z3fold_pool *pool)
{
	return pool->private_data;
}

static int alloc(struct z3fold_pool *pool, size_t size, unsigned long *handle)
{
	bool headless = size > Z3FOLD_MAX_BUDDY_SIZE;
	enum z3fold_buddy bud;
	struct z3fold_page *zp;
	uint32_t pgno;
	int chunks, err;

	if (!size)
		return -EINVAL;
	if (size > Z3FOLD_MAX_SIZE)
		return -ENOSPC;
	chunks = (int)zbud_div_round_up(size, Z3FOLD_CHUNK_SIZE);
	zbud_lock_take(&pool->lock);
	err = slot_reserve(pool);
	if (err)
		goto out;
	pgno = headless ? ZBUD_PAGE_NIL : unbuddied_take(pool, chunks);
	if (pgno != ZBUD_PAGE_NIL) {
		zp = z3fold_page(pool, pgno);
		bud = get_free_buddy(zp, chunks);
		lru_del(pool, pgno); /* to be re-added at the head */
	} else {
		err = new_page(pool, &pgno);
		if (err) {
			slots_trim(pool);
			goto out;
		}
		zp = z3fold_page(pool, pgno);
		bud = headless ? Z3FOLD_HEADLESS : Z3FOLD_FIRST;
	}
	if (headless) {
		zp->flags |= Z3FOLD_PAGE_HEADLESS;
	} else {
		place(zp, bud, chunks);
		unbuddied_add(pool, pgno, zp);
	}
	lru_add(pool, pgno);
	*handle = slot_take(pool, pgno, zp, bud);
out:
	zbud_lock_release(&pool->lock);
	return err;
}

static void free_handle(struct z3fold_pool *pool, unsigned long handle)
{
	struct z3fold_slot *s;
	struct z3fold_page *zp;
	uint32_t pgno;

	zbud_lock_take(&pool->lock);
	s = live_slot(pool, handle);
	if (!s)
		goto out; /* a stale or foreign handle is ignored */
	pgno = s->pgno;
	zp = z3fold_page(pool, pgno);
	clear_buddy(zp, s);
	if (zp->flags & Z3FOLD_PAGE_RECLAIM) {
		s->state = SLOT_DEAD; /* reclaim frees the page and the slot */
		goto out;
	}
	slot_release(pool, (uint32_t)(handle - 1));
	if (page_empty(zp)) {
		unbuddied_del(pool, pgno, zp);
		lru_del(pool, pgno);
		free_page(pool, pgno);
	} else {
		compact_after_free(pool, pgno, zp);
	}
out:
	zbud_lock_release(&pool->lock);
}

/* The LRU's last page that reclaim may take: none with foreign handles. */
static uint32_t lru_victim(const struct z3fold_pool *pool)
{
	uint32_t p = pool->lru.tail;

	while (p != ZBUD_PAGE_NIL && z3fold_page(pool, p)->foreign)
		p = z3fold_page(pool, p)->lru.prev;
	return p;
}

/* Offer slot @i of page @pgno to the callback: false if it refused. */
static bool evict_one(struct z3fold_pool *pool, uint32_t pgno, uint32_t i)
{
	bool live;

	zbud_lock_take(&pool->lock);
	live = i < pool->slots_cap && pool->slots[i].state == SLOT_LIVE &&
	       pool->slots[i].pgno == pgno;
	zbud_lock_release(&pool->lock);
	return !live || pool->ops->evict(pool, (unsigned long)i + 1) == 0;
}

static int reclaim(struct z3fold_pool *pool, unsigned int retries)
{
	static const enum z3fold_buddy order[] = { Z3FOLD_MIDDLE, Z3FOLD_FIRST, Z3FOLD_LAST };
	uint32_t victim[Z3FOLD_BUDDIES];
	struct z3fold_page *zp;
	uint32_t pgno;

	zbud_lock_take(&pool->lock);
	if (!pool->ops || !pool->ops->evict || retries == 0) {
		zbud_lock_release(&pool->lock);
		return -EINVAL;
	}
	for (unsigned int n = 0; n < retries; n++) {
		if (zbud_plist_empty(&pool->lru)) {
			zbud_lock_release(&pool->lock);
			return -EINVAL;
		}
		pgno = lru_victim(pool);
		if (pgno == ZBUD_PAGE_NIL)
			break;
		zp = z3fold_page(pool, pgno);
		lru_del(pool, pgno);
		unbuddied_del(pool, pgno, zp);
		zp->flags |= Z3FOLD_PAGE_RECLAIM;
		for (int k = 0; k < Z3FOLD_BUDDIES; k++)
			victim[k] = zp->slot[order[k]];
		zbud_lock_release(&pool->lock);

		for (int k = 0; k < Z3FOLD_BUDDIES; k++)
			if (victim[k] != Z3FOLD_SLOT_NIL && !evict_one(pool, pgno, victim[k]))
				break;

		zbud_lock_take(&pool->lock);
		zp->flags &= (uint8_t)~Z3FOLD_PAGE_RECLAIM;
		for (int k = 0; k < Z3FOLD_BUDDIES; k++)
			if (victim[k] != Z3FOLD_SLOT_NIL && pool->slots[victim[k]].state == SLOT_DEAD)
				slot_release(pool, victim[k]); /* may free the table, but only
								  when no slot is in use */
		if (page_empty(zp)) {
			free_page(pool, pgno);
			zbud_lock_release(&pool->lock);
			return 0;
		}
		lru_add(pool, pgno);
		if (!(zp->flags & Z3FOLD_PAGE_HEADLESS))
			unbuddied_add(pool, pgno, zp);
	}
	zbud_lock_release(&pool->lock);
	return -EAGAIN;
}

void *z3fold_map(struct z3fold_pool *pool, unsigned long handle)
{
	struct z3fold_slot *s;
	struct z3fold_page *zp;
	void *addr = NULL;

	zbud_lock_take(&pool->lock);
	s = live_slot(pool, handle);
	if (s) {
		zp = z3fold_page(pool, s->pgno);
		s->maps++;
		zp->mapped++;
		addr = buddy_addr(pool, s->pgno, zp, s->bud);
	}
	zbud_lock_release(&pool->lock);
	return addr;
}

void z3fold_unmap(struct z3fold_pool *pool, unsigned long handle)
{
	struct z3fold_slot *s;

	zbud_lock_take(&pool->lock);
	s = live_slot(pool, handle);
	if (s && s->maps) {
		s->maps--;
		z3fold_page(pool, s->pgno)->mapped--;
	}
	zbud_lock_release(&pool->lock);
}

int z3fold_locate(struct z3fold_pool *pool, unsigned long handle, uint32_t *pgno,
		  enum z3fold_buddy *bud, unsigned int *offset)
{
	struct z3fold_slot *s;

	zbud_lock_take(&pool->lock);
	s = live_slot(pool, handle);
	if (s) {
		*pgno = s->pgno;
		*bud = s->bud;
		*offset = z3fold_offset(z3fold_page(pool, s->pgno), s->bud);
	}
	zbud_lock_release(&pool->lock);
	return s ? 0 : -ENOENT;
}

uint64_t z3fold_get_pool_size(struct z3fold_pool *pool)
{
	return atomic_load_explicit(&pool->pages_nr, memory_order_relaxed);
}

/* ---- The calls, with a debug build's checks after them ---- */

int z3fold_alloc(struct z3fold_pool *pool, size_t size, unsigned long *handle)
{
	int ret = alloc(pool, size, handle);

	zbud_debug_op(&pool->debug, debug_check, pool, "z3fold");
	return ret;
}

void z3fold_free(struct z3fold_pool *pool, unsigned long handle)
{
	free_handle(pool, handle);
	zbud_debug_op(&pool->debug, debug_check, pool, "z3fold");
}

int z3fold_reclaim_page(struct z3fold_pool *pool, unsigned int retries)
{
	int ret = reclaim(pool, retries);

	zbud_debug_op(&pool->debug, debug_check, pool, "z3fold");
	return ret;
}
