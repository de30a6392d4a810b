/*
 * z3fold_check.c - the z3fold pool's invariant checker
 *
 * Slow on purpose: it trusts no counter and no link, and walks everything:
 * each page's layout, the unbuddied lists and the LRU, the handle slots in
 * both directions, and the page source.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "z3fold_internal.h"

/* Marks per page, so that each list may hold a page once. */
enum { ON_LRU = 1, ON_UNBUDDIED = 2 };

static const char *const bud_name[] = { "FIRST", "MIDDLE", "LAST", "headless" };

bool z3fold_page_is_free(const void *meta)
{
	return !(((const struct z3fold_page *)meta)->flags & Z3FOLD_PAGE_IN_USE);
}

static bool full(const struct z3fold_page *zp)
{
	return zp->chunks[Z3FOLD_FIRST] && zp->chunks[Z3FOLD_MIDDLE] && zp->chunks[Z3FOLD_LAST];
}

/* Chunks [2, 64) hold FIRST, MIDDLE and LAST in that order, apart. */
static int check_layout(const struct z3fold_page *zp, uint32_t p, char *msg, size_t len)
{
	int first = zp->chunks[Z3FOLD_FIRST], middle = zp->chunks[Z3FOLD_MIDDLE];
	int last = zp->chunks[Z3FOLD_LAST], end_first = Z3FOLD_ZHDR_CHUNKS + first;
	int start_last = Z3FOLD_TOTAL_CHUNKS - last;

	for (int b = 0; b < Z3FOLD_BUDDIES; b++)
		if (zp->chunks[b] > Z3FOLD_NCHUNKS - 1)
			return zbud_check_fail(msg, len, "page %u: %s has %u chunks, over %d", p,
					  bud_name[b], zp->chunks[b], Z3FOLD_NCHUNKS - 1);
	if (!middle) {
		if (zp->start_middle)
			return zbud_check_fail(msg, len, "page %u: no MIDDLE, but it starts at %u", p,
					  zp->start_middle);
		if (end_first > start_last)
			return zbud_check_fail(msg, len, "page %u: FIRST (%d chunks) overlaps LAST (%d)",
					  p, first, last);
		return 0;
	}
	if (zp->start_middle < end_first)
		return zbud_check_fail(msg, len, "page %u: MIDDLE at chunk %u overlaps FIRST (%d chunks)",
				  p, zp->start_middle, first);
	if (zp->start_middle + middle > start_last)
		return zbud_check_fail(msg, len, "page %u: MIDDLE (%u + %d) overlaps LAST (%d chunks)", p,
				  zp->start_middle, middle, last);
	return 0;
}

/* Each buddy's slot names the page and the buddy back; the page's counts
 * are the sums over its objects. */
static int check_objects(const struct z3fold_pool *pool, const struct z3fold_page *zp,
			 uint32_t p, uint64_t *objects, char *msg, size_t len)
{
	bool headless = zp->flags & Z3FOLD_PAGE_HEADLESS;
	unsigned int foreign = 0;
	uint64_t mapped = 0;

	for (int b = 0; b < Z3FOLD_BUDDIES; b++) {
		uint32_t i = zp->slot[b];
		int bud = headless ? Z3FOLD_HEADLESS : b;
		const struct z3fold_slot *s;

		if (!headless && !zp->chunks[b] != (i == Z3FOLD_SLOT_NIL))
			return zbud_check_fail(msg, len, "page %u: %s has %u chunks and slot %u", p,
					  bud_name[b], zp->chunks[b], i);
		if (i == Z3FOLD_SLOT_NIL)
			continue;
		if ((headless && b != Z3FOLD_FIRST) || i >= pool->slots_cap)
			return zbud_check_fail(msg, len, "page %u: %s: bad slot %u", p, bud_name[b], i);
		s = &pool->slots[i];
		if (s->state != SLOT_LIVE || s->pgno != p || s->bud != bud)
			return zbud_check_fail(msg, len,
					  "page %u: %s's slot %u says state %u, page %u, buddy %u", p,
					  bud_name[bud], i, s->state, s->pgno, s->bud);
		foreign += s->foreign;
		mapped += s->maps;
		++*objects;
	}
	if (foreign != zp->foreign || mapped != zp->mapped)
		return zbud_check_fail(msg, len, "page %u: %u foreign, %u mapped; its objects say %u, %llu",
				  p, zp->foreign, zp->mapped, foreign, (unsigned long long)mapped);
	return 0;
}

static int check_page(const struct z3fold_pool *pool, const struct z3fold_page *zp, uint32_t p,
		      uint64_t *objects, char *msg, size_t len)
{
	bool reclaim = zp->flags & Z3FOLD_PAGE_RECLAIM;
	int err;

	if (zp->flags & Z3FOLD_PAGE_HEADLESS) {
		if (zp->chunks[0] || zp->chunks[1] || zp->chunks[2] || zp->start_middle ||
		    zp->foreign || zp->list != Z3FOLD_NO_LIST)
			return zbud_check_fail(msg, len, "page %u: headless, but has buddies or a list", p);
	} else {
		err = check_layout(zp, p, msg, len);
		if (err)
			return err;
	}
	err = check_objects(pool, zp, p, objects, msg, len);
	if (err)
		return err;
	if (!reclaim && zp->slot[0] == Z3FOLD_SLOT_NIL && zp->slot[1] == Z3FOLD_SLOT_NIL &&
	    zp->slot[2] == Z3FOLD_SLOT_NIL)
		return zbud_check_fail(msg, len, "page %u: in use, but holds nothing", p);
	if (reclaim && zp->list != Z3FOLD_NO_LIST)
		return zbud_check_fail(msg, len, "page %u: under reclaim, but on unbuddied[%d]", p, zp->list);
	if (!reclaim && !(zp->flags & Z3FOLD_PAGE_HEADLESS) &&
	    (full(zp) ? zp->list != Z3FOLD_NO_LIST : zp->list != z3fold_free_chunks(zp)))
		return zbud_check_fail(msg, len, "page %u: %d free chunks, on list %d", p,
				  full(zp) ? -1 : z3fold_free_chunks(zp), zp->list);
	return 0;
}

/* What the list walks need to check a page, and to say what is wrong. */
struct visit {
	const struct z3fold_pool *pool;
	char *msg;
	size_t len;
};

static int visit_lru(uint32_t p, int list, void *arg)
{
	const struct visit *v = arg;
	const struct z3fold_page *zp = z3fold_page(v->pool, p);

	(void)list;

	if (z3fold_page_is_free(zp) || (zp->flags & Z3FOLD_PAGE_RECLAIM))
		return zbud_check_fail(v->msg, v->len, "LRU: page %u is %s", p,
				  z3fold_page_is_free(zp) ? "free" : "under reclaim");
	return 0;
}

static int visit_unbuddied(uint32_t p, int list, void *arg)
{
	const struct visit *v = arg;
	const struct z3fold_page *zp = z3fold_page(v->pool, p);

	if (z3fold_page_is_free(zp) || zp->list != list)
		return zbud_check_fail(v->msg, v->len, "unbuddied[%d]: page %u is %s", list, p,
				  z3fold_page_is_free(zp) ? "free" : "on another list");
	return 0;
}

static int check_lists(const struct z3fold_pool *pool, uint8_t *marks, uint64_t *on_lru,
		       uint64_t *on_unbuddied, char *msg, size_t len)
{
	struct visit v = { pool, msg, len };
	int err = zbud_plist_check(Z3FOLD_LRU_LINKS(pool), &pool->lru, -1, "LRU", pool->src.next, marks,
			      ON_LRU, visit_lru, &v, on_lru, msg, len);

	return err ? err : zbud_plist_check_lists(Z3FOLD_BUDDY_LINKS(pool), pool->unbuddied,
					     Z3FOLD_NCHUNKS, pool->unbuddied_mask, "unbuddied",
					     pool->src.next, marks, ON_UNBUDDIED, visit_unbuddied,
					     &v, on_unbuddied, msg, len);
}

/* The free list holds every slot that no page holds, and nothing else. */
static int check_slots(const struct z3fold_pool *pool, uint64_t objects, char *msg, size_t len)
{
	uint64_t live = 0, dead = 0, free_nr = 0;

	if (!pool->slots != !pool->slots_cap || pool->slots_used > pool->slots_cap)
		return zbud_check_fail(msg, len, "slots: table %p of %u, %u used", (void *)pool->slots,
				  pool->slots_cap, pool->slots_used);
	for (uint32_t i = 0; i < pool->slots_cap; i++) {
		const struct z3fold_slot *s = &pool->slots[i];

		live += s->state == SLOT_LIVE;
		dead += s->state == SLOT_DEAD;
		if (s->state == SLOT_DEAD && (s->pgno >= pool->src.next ||
		    !(z3fold_page(pool, s->pgno)->flags & Z3FOLD_PAGE_RECLAIM)))
			return zbud_check_fail(msg, len, "slot %u: dead, but page %u is not under reclaim",
					  i, s->pgno);
	}
	for (uint32_t i = pool->slots_free; i != Z3FOLD_SLOT_NIL; i = pool->slots[i].pgno) {
		if (i >= pool->slots_cap || pool->slots[i].state != SLOT_FREE ||
		    ++free_nr > pool->slots_cap)
			return zbud_check_fail(msg, len, "slots: free list reaches slot %u, not free", i);
	}
	if (live != objects || live + dead != pool->slots_used ||
	    pool->slots_used + free_nr != pool->slots_cap)
		return zbud_check_fail(msg, len,
				  "slots: %llu live, %llu dead, %llu free, %u used of %u; pages hold %llu",
				  (unsigned long long)live, (unsigned long long)dead,
				  (unsigned long long)free_nr, pool->slots_used, pool->slots_cap,
				  (unsigned long long)objects);
	return 0;
}

static int check_locked(const struct z3fold_pool *pool, uint8_t *marks, char *msg, size_t len)
{
	uint64_t in_use = 0, reclaiming = 0, listable = 0, objects = 0;
	uint64_t on_lru = 0, on_unbuddied = 0;
	int err;

	for (uint32_t p = 0; p < pool->src.next; p++) {
		const struct z3fold_page *zp = z3fold_page(pool, p);

		if (z3fold_page_is_free(zp))
			continue;
		err = check_page(pool, zp, p, &objects, msg, len);
		if (err)
			return err;
		in_use++;
		reclaiming += !!(zp->flags & Z3FOLD_PAGE_RECLAIM);
		listable += zp->list != Z3FOLD_NO_LIST;
	}
	if (in_use != atomic_load(&pool->pages_nr) || in_use != pool->src.in_use)
		return zbud_check_fail(msg, len, "%llu pages in use, pages_nr %llu, source says %u",
				  (unsigned long long)in_use,
				  (unsigned long long)atomic_load(&pool->pages_nr), pool->src.in_use);
	err = check_lists(pool, marks, &on_lru, &on_unbuddied, msg, len);
	if (err)
		return err;
	if (on_lru != in_use - reclaiming)
		return zbud_check_fail(msg, len, "LRU holds %llu pages of %llu in use",
				  (unsigned long long)on_lru, (unsigned long long)(in_use - reclaiming));
	if (on_unbuddied != listable)
		return zbud_check_fail(msg, len, "unbuddied lists hold %llu of %llu pages with a list",
				  (unsigned long long)on_unbuddied, (unsigned long long)listable);
	err = check_slots(pool, objects, msg, len);
	if (err)
		return err;
	return zbud_source_check(&pool->src, z3fold_page_is_free, msg, len);
}

int z3fold_check_pool(struct z3fold_pool *pool, char *msg, size_t len)
{
	uint8_t *marks;
	int err;

	zbud_lock_take(&pool->lock);
	marks = calloc(pool->src.next ? pool->src.next : 1, 1);
	err = marks ? check_locked(pool, marks, msg, len) : -ENOMEM;
	zbud_lock_release(&pool->lock);
	free(marks);
	if (!err && len)
		msg[0] = '\0';
	return err;
}

int z3fold_walk_pages(struct z3fold_pool *pool,
		      int (*fn)(uint32_t pgno, const struct z3fold_page *zp, void *arg), void *arg)
{
	int ret = 0;

	zbud_lock_take(&pool->lock);
	for (uint32_t p = 0; p < pool->src.next && !ret; p++)
		if (!z3fold_page_is_free(z3fold_page(pool, p)))
			ret = fn(p, z3fold_page(pool, p), arg);
	zbud_lock_release(&pool->lock);
	return ret;
}
