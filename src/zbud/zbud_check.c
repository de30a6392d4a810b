/*
 * zbud_check.c - the zbud pool's invariant checker and statistics
 *
 * Slow on purpose: it trusts no counter and no link, and walks everything.
 */
#define ZBUD_STATIC_LINKING_ONLY
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "zbud_internal.h"

/* Marks per page, so that each list may hold a page once. */
enum { ON_LRU = 1, ON_UNBUDDIED = 2 };

static bool page_is_free(const void *meta)
{
	const struct zbud_page *zp = meta;

	return !zp->chunks[ZBUD_FIRST] && !zp->chunks[ZBUD_LAST] && !zp->under_reclaim;
}

static int check_page(const struct zbud_page *zp, uint32_t pgno, char *msg, size_t len)
{
	if (zp->chunks[ZBUD_FIRST] > ZBUD_NCHUNKS - 1 || zp->chunks[ZBUD_LAST] > ZBUD_NCHUNKS - 1)
		return zbud_check_fail(msg, len, "page %u: first %u, last %u chunks: over %u", pgno,
				  zp->chunks[ZBUD_FIRST], zp->chunks[ZBUD_LAST], ZBUD_NCHUNKS - 1);
	if (zp->chunks[ZBUD_FIRST] + zp->chunks[ZBUD_LAST] > ZBUD_NCHUNKS)
		return zbud_check_fail(msg, len, "page %u: FIRST (%u chunks) overlaps LAST (%u chunks)",
				  pgno, zp->chunks[ZBUD_FIRST], zp->chunks[ZBUD_LAST]);
	return 0;
}

/* What the list walks need to check a page, and to say what is wrong. */
struct visit {
	const struct zbud_pool *pool;
	char *msg;
	size_t len;
};

static int visit_lru(uint32_t p, int list, void *arg)
{
	const struct visit *v = arg;
	const struct zbud_page *zp = zbud_page(v->pool, p);

	(void)list;
	if (page_is_free(zp) || zp->under_reclaim)
		return zbud_check_fail(v->msg, v->len, "LRU: page %u is %s", p,
				  zp->under_reclaim ? "under reclaim" : "free");
	return 0;
}

static int visit_unbuddied(uint32_t p, int list, void *arg)
{
	const struct visit *v = arg;
	const struct zbud_page *zp = zbud_page(v->pool, p);

	if (!zp->chunks[ZBUD_FIRST] == !zp->chunks[ZBUD_LAST] || zp->under_reclaim)
		return zbud_check_fail(v->msg, v->len, "unbuddied[%d]: page %u has first %u, last %u%s",
				  list, p, zp->chunks[ZBUD_FIRST], zp->chunks[ZBUD_LAST],
				  zp->under_reclaim ? ", under reclaim" : "");
	if (num_free_chunks(zp) != list)
		return zbud_check_fail(v->msg, v->len, "unbuddied[%d]: page %u has %d free chunks",
				  list, p, num_free_chunks(zp));
	return 0;
}

static int check_lists(const struct zbud_pool *pool, uint8_t *marks, uint64_t *on_lru,
		       uint64_t *on_unbuddied, char *msg, size_t len)
{
	struct visit v = { pool, msg, len };
	int err = zbud_plist_check(LRU_LINKS(pool), &pool->lru, -1, "LRU", pool->src.next, marks, ON_LRU,
			      visit_lru, &v, on_lru, msg, len);

	return err ? err : zbud_plist_check_lists(BUDDY_LINKS(pool), pool->unbuddied, ZBUD_NCHUNKS,
					     pool->unbuddied_mask, "unbuddied", pool->src.next,
					     marks, ON_UNBUDDIED, visit_unbuddied, &v,
					     on_unbuddied, msg, len);
}

static int check_locked(const struct zbud_pool *pool, uint8_t *marks, char *msg, size_t len)
{
	uint64_t in_use = 0, reclaiming = 0, buddied = 0, unbuddied = 0;
	uint64_t on_lru = 0, on_unbuddied = 0;
	int err;

	for (uint32_t p = 0; p < pool->src.next; p++) {
		const struct zbud_page *zp = zbud_page(pool, p);

		err = check_page(zp, p, msg, len);
		if (err)
			return err;
		if (page_is_free(zp))
			continue;
		in_use++;
		if (zp->under_reclaim)
			reclaiming++;
		else if (zbud_buddied(zp))
			buddied++;
		else if (zp->chunks[ZBUD_FIRST] || zp->chunks[ZBUD_LAST])
			unbuddied++;
	}
	if (in_use != atomic_load(&pool->pages_nr) || in_use != pool->src.in_use)
		return zbud_check_fail(msg, len, "%llu pages in use, pages_nr %llu, source says %u",
				  (unsigned long long)in_use,
				  (unsigned long long)atomic_load(&pool->pages_nr), pool->src.in_use);
	if (buddied != pool->buddied_nr)
		return zbud_check_fail(msg, len, "%llu buddied pages, counted %llu",
				  (unsigned long long)buddied, (unsigned long long)pool->buddied_nr);
	err = check_lists(pool, marks, &on_lru, &on_unbuddied, msg, len);
	if (err)
		return err;
	if (on_lru != (pool->reclaims ? in_use - reclaiming : 0))
		return zbud_check_fail(msg, len, "LRU holds %llu pages of %llu in use%s",
				  (unsigned long long)on_lru, (unsigned long long)(in_use - reclaiming),
				  pool->reclaims ? "" : ", in a pool that keeps no LRU");
	if (on_unbuddied != unbuddied)
		return zbud_check_fail(msg, len, "unbuddied lists hold %llu of %llu one-buddy pages",
				  (unsigned long long)on_unbuddied, (unsigned long long)unbuddied);
	if (unbuddied + buddied + reclaiming != in_use)
		return zbud_check_fail(msg, len, "an in-use page holds no buddy");
	return zbud_source_check(&pool->src, page_is_free, msg, len);
}

int zbud_check_pool(struct zbud_pool *pool, char *msg, size_t len)
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

void zbud_get_stats(struct zbud_pool *pool, struct zbud_stats *st)
{
	memset(st, 0, sizeof(*st));
	zbud_lock_take(&pool->lock);
	for (uint32_t p = 0; p < pool->src.next; p++) {
		const struct zbud_page *zp = zbud_page(pool, p);

		st->objects += !!zp->chunks[ZBUD_FIRST] + !!zp->chunks[ZBUD_LAST];
		st->object_chunks += zp->chunks[ZBUD_FIRST] + zp->chunks[ZBUD_LAST];
		if (zp->under_reclaim)
			continue;
		if (zbud_buddied(zp))
			st->buddied_pages++;
		else if (zp->chunks[ZBUD_FIRST] || zp->chunks[ZBUD_LAST])
			st->unbuddied[num_free_chunks(zp)]++;
	}
	st->pages = atomic_load(&pool->pages_nr);
	st->cached_pages = pool->src.hot_nr;
	st->source_capacity = pool->src.capacity;
	st->meta_bytes = sizeof(*pool) + zbud_source_meta_bytes(&pool->src);
	zbud_lock_release(&pool->lock);
}

int zbud_walk_pages(struct zbud_pool *pool,
		    int (*fn)(uint64_t page, unsigned int first, unsigned int last, void *arg),
		    void *arg)
{
	int ret = 0;

	zbud_lock_take(&pool->lock);
	for (uint32_t p = 0; p < pool->src.next && !ret; p++) {
		const struct zbud_page *zp = zbud_page(pool, p);

		if (!page_is_free(zp))
			ret = fn(p, zp->chunks[ZBUD_FIRST], zp->chunks[ZBUD_LAST], arg);
	}
	zbud_lock_release(&pool->lock);
	return ret;
}
