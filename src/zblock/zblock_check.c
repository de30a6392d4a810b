/*
 * zblock_check.c - the zblock pool's invariant checker, statistics and page
 * walk
 *
 * Slow on purpose: it trusts no counter and no link.  It walks every page's
 * descriptor, so that each page of the source is in exactly one block or one
 * free run, then every type's list and every free-run stack, and recounts
 * blocks, objects and pages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "zblock_internal.h"

/* Marks per page while checking: on an active list, on a run stack. */
enum { LISTED = 1, STACKED = 2 };

struct tally {
	uint64_t blocks[ZBLOCK_MAX_TYPES], objects[ZBLOCK_MAX_TYPES], full[ZBLOCK_MAX_TYPES];
	uint64_t block_pages, run_pages, hot_runs[ZBLOCK_MAX_BLOCK_PAGES + 1];
	uint64_t cold_runs[ZBLOCK_MAX_BLOCK_PAGES + 1], resident;
	uint8_t *marks;
};

static bool page_is_free(const void *meta)
{
	return !(((const struct zblock_page *)meta)->flags & (ZBLOCK_PAGE_BLOCK | ZBLOCK_PAGE_FREE));
}

/* A block from its first page: its pages, its type, its slots. */
static int check_block(const struct zblock_pool *pool, uint32_t first, struct tally *t,
		       char *msg, size_t len)
{
	const struct zblock_page *zp = zblock_page(pool, first);
	const struct zblock_type *type;
	uint64_t valid;

	if (zp->type >= pool->ntypes)
		return zbud_check_fail(msg, len, "block %u: type %u of %u", first, zp->type, pool->ntypes);
	type = &pool->type[zp->type];
	valid = type->slots == 64 ? ~0ULL : (1ULL << type->slots) - 1;
	if (zp->pages != type->pages || first + zp->pages > pool->src.next)
		return zbud_check_fail(msg, len, "block %u: %u pages, its type %u-byte slots has %u",
				  first, zp->pages, type->size, type->pages);
	for (uint32_t p = first + 1; p < first + zp->pages; p++) {
		const struct zblock_page *pd = zblock_page(pool, p);

		if (pd->flags != ZBLOCK_PAGE_BLOCK || pd->first != first)
			return zbud_check_fail(msg, len, "block %u: its page %u says first %u, flags %#x",
					  first, p, pd->first, pd->flags);
	}
	if ((zp->used & ~valid) || !zp->inuse ||
	    (unsigned int)__builtin_popcountll(zp->used) != zp->inuse)
		return zbud_check_fail(msg, len, "block %u: %u in use, bitmap %#llx, %u slots", first,
				  zp->inuse, (unsigned long long)zp->used, type->slots);
	t->blocks[zp->type]++;
	t->objects[zp->type] += zp->inuse;
	t->full[zp->type] += zp->inuse == type->slots;
	t->block_pages += zp->pages;
	return 0;
}

static int check_run(const struct zblock_pool *pool, uint32_t first, struct tally *t,
		     char *msg, size_t len)
{
	const struct zblock_page *zp = zblock_page(pool, first);

	if (zp->pages > ZBLOCK_MAX_BLOCK_PAGES || (zp->pages & (zp->pages - 1)) || !zp->pages ||
	    first + zp->pages > pool->src.next)
		return zbud_check_fail(msg, len, "free run %u: %u pages", first, zp->pages);
	for (uint32_t p = first + 1; p < first + zp->pages; p++) {
		const struct zblock_page *pd = zblock_page(pool, p);

		if (pd->flags != ZBLOCK_PAGE_FREE || pd->first != first)
			return zbud_check_fail(msg, len, "free run %u: its page %u says first %u, flags %#x",
					  first, p, pd->first, pd->flags);
	}
	if (zp->flags & ZBLOCK_PAGE_HOT) {
		t->hot_runs[zp->pages]++;
		t->resident += zp->pages;
	} else {
		t->cold_runs[zp->pages]++;
	}
	t->run_pages += zp->pages;
	return 0;
}

/* Every page given by the source is in one block or one free run. */
static int check_pages(const struct zblock_pool *pool, struct tally *t, char *msg, size_t len)
{
	for (uint32_t p = 0; p < pool->src.next;) {
		const struct zblock_page *zp = zblock_page(pool, p);
		int err;

		if (zp->first != p || !(zp->flags & (ZBLOCK_PAGE_BLOCK | ZBLOCK_PAGE_FREE)))
			return zbud_check_fail(msg, len, "page %u: first %u, flags %#x: in no block or run",
					  p, zp->first, zp->flags);
		err = zp->flags & ZBLOCK_PAGE_BLOCK ? check_block(pool, p, t, msg, len)
						    : check_run(pool, p, t, msg, len);
		if (err)
			return err;
		p += zp->pages;
	}
	return 0;
}

struct visit {
	const struct zblock_pool *pool;
	char *msg;
	size_t len;
};

static int visit_active(uint32_t p, int list, void *arg)
{
	const struct visit *v = arg;
	const struct zblock_page *zp = zblock_page(v->pool, p);

	if (zp->flags != ZBLOCK_PAGE_BLOCK || zp->first != p || zp->type != list ||
	    zp->inuse >= v->pool->type[list].slots)
		return zbud_check_fail(v->msg, v->len, "active[%d]: page %u is no block of the type with "
				  "a free slot (flags %#x, type %u, %u in use)", list, p, zp->flags,
				  zp->type, zp->inuse);
	return 0;
}

static int check_lists(const struct zblock_pool *pool, struct tally *t, char *msg, size_t len)
{
	struct visit v = { pool, msg, len };

	for (unsigned int i = 0; i < ZBLOCK_MAX_TYPES; i++) {
		uint64_t listed = 0;
		int err;

		if (i >= pool->ntypes && !zbud_plist_empty(&pool->active[i]))
			return zbud_check_fail(msg, len, "active[%u]: no such type, but listed", i);
		err = zbud_plist_check(ZBLOCK_LINKS(pool), &pool->active[i], (int)i, "active",
				  pool->src.next, t->marks, LISTED, visit_active, &v, &listed, msg, len);
		if (err)
			return err;
		if (i >= pool->ntypes)
			continue;
		if (listed != t->blocks[i] - t->full[i] || t->blocks[i] != pool->blocks[i] ||
		    t->objects[i] != zblock_type_objects(pool, i))
			return zbud_check_fail(msg, len, "type %u (%u B): %llu blocks, %llu full, %llu listed; "
					  "pool says %llu blocks, %llu objects, counted %llu", i,
					  pool->type[i].size, (unsigned long long)t->blocks[i],
					  (unsigned long long)t->full[i], (unsigned long long)listed,
					  (unsigned long long)pool->blocks[i],
					  (unsigned long long)zblock_type_objects(pool, i),
					  (unsigned long long)t->objects[i]);
	}
	return 0;
}

static int check_stack(const struct zblock_pool *pool, uint32_t head, unsigned int pages,
		       bool hot, uint64_t nr, struct tally *t, char *msg, size_t len)
{
	uint64_t count = 0;

	for (uint32_t p = head; p != ZBUD_PAGE_NIL; p = zblock_page(pool, p)->next) {
		const struct zblock_page *zp;

		if (p >= pool->src.next || (t->marks[p] & STACKED) || ++count > nr)
			return zbud_check_fail(msg, len, "%s runs of %u: page %u out of range, twice, or "
					  "past %llu", hot ? "hot" : "cold", pages, p,
					  (unsigned long long)nr);
		t->marks[p] |= STACKED;
		zp = zblock_page(pool, p);
		if (!(zp->flags & ZBLOCK_PAGE_FREE) || zp->first != p || zp->pages != pages ||
		    !(zp->flags & ZBLOCK_PAGE_HOT) != !hot)
			return zbud_check_fail(msg, len, "%s runs of %u: page %u is no such run (flags "
					  "%#x, %u pages)", hot ? "hot" : "cold", pages, p, zp->flags,
					  zp->pages);
	}
	if (count != nr || nr != (hot ? t->hot_runs[pages] : t->cold_runs[pages]))
		return zbud_check_fail(msg, len, "%s runs of %u: %llu stacked, %llu counted, %llu found",
				  hot ? "hot" : "cold", pages, (unsigned long long)count,
				  (unsigned long long)nr,
				  (unsigned long long)(hot ? t->hot_runs[pages] : t->cold_runs[pages]));
	return 0;
}

static int check_runs(const struct zblock_pool *pool, struct tally *t, char *msg, size_t len)
{
	const struct zblock_runs *r = &pool->runs;

	for (unsigned int n = 0; n <= ZBLOCK_MAX_BLOCK_PAGES; n++) {
		int err = check_stack(pool, r->hot[n], n, true, r->hot_nr[n], t, msg, len);

		if (!err)
			err = check_stack(pool, r->cold[n], n, false, r->cold_nr[n], t, msg, len);
		if (err)
			return err;
	}
	if (r->pages != t->run_pages || r->resident != t->resident)
		return zbud_check_fail(msg, len, "free runs: %llu pages, %llu resident; counted %llu, %llu",
				  (unsigned long long)r->pages, (unsigned long long)r->resident,
				  (unsigned long long)t->run_pages, (unsigned long long)t->resident);
	return 0;
}

static int check_locked(const struct zblock_pool *pool, struct tally *t, char *msg, size_t len)
{
	int err = check_pages(pool, t, msg, len);

	if (!err)
		err = check_lists(pool, t, msg, len);
	if (!err)
		err = check_runs(pool, t, msg, len);
	if (err)
		return err;
	if (t->block_pages != atomic_load(&pool->pages_nr) ||
	    t->block_pages + t->run_pages != pool->src.in_use)
		return zbud_check_fail(msg, len, "%llu pages in blocks (pool says %llu) + %llu in free "
				  "runs, source has %u out", (unsigned long long)t->block_pages,
				  (unsigned long long)atomic_load(&pool->pages_nr),
				  (unsigned long long)t->run_pages, pool->src.in_use);
	return zbud_source_check(&pool->src, page_is_free, msg, len);
}

int zblock_check_pool(struct zblock_pool *pool, char *msg, size_t len)
{
	struct tally *t = calloc(1, sizeof(*t));
	int err = -ENOMEM;

	zbud_lock_take(&pool->lock);
	if (t)
		t->marks = calloc((size_t)pool->src.next + 1, 1);
	if (t && t->marks)
		err = check_locked(pool, t, msg, len);
	zbud_lock_release(&pool->lock);
	if (t)
		free(t->marks);
	free(t);
	if (!err && len)
		msg[0] = '\0';
	return err;
}

uint64_t zblock_type_objects(const struct zblock_pool *pool, unsigned int t)
{
	uint64_t listed = 0, objects = 0;

	for (uint32_t p = pool->active[t].head; p != ZBUD_PAGE_NIL; p = zblock_page(pool, p)->next) {
		listed++;
		objects += zblock_page(pool, p)->inuse;
	}
	return objects + (pool->blocks[t] - listed) * pool->type[t].slots;
}

void zblock_get_stats(struct zblock_pool *pool, struct zblock_stats *st)
{
	memset(st, 0, sizeof(*st));
	zbud_lock_take(&pool->lock);
	for (unsigned int i = 0; i < pool->ntypes; i++) {
		st->type_blocks[i] = pool->blocks[i];
		st->type_objects[i] = zblock_type_objects(pool, i);
		st->blocks += pool->blocks[i];
		st->objects += st->type_objects[i];
	}
	st->pages = atomic_load(&pool->pages_nr);
	st->free_run_pages = pool->runs.pages;
	st->resident_free_pages = pool->runs.resident;
	st->meta_bytes = sizeof(*pool) + zbud_source_meta_bytes(&pool->src);
	zbud_lock_release(&pool->lock);
}

bool zblock_handle_slot(struct zblock_pool *pool, unsigned long handle, uint32_t *first,
			unsigned int *slot)
{
	bool live = false;

	zbud_lock_take(&pool->lock);
	if (handle && (handle - 1) >> ZBLOCK_DELTA_BITS < pool->src.next) {
		uint32_t f = zblock_handle_first(handle), delta = zblock_handle_offset(handle);
		const struct zblock_page *head = zblock_page(pool, f);
		const struct zblock_type *type = &pool->type[head->type];

		if ((head->flags & ZBLOCK_PAGE_BLOCK) && head->first == f && delta % type->size == 0 &&
		    delta / type->size < type->slots && (head->used >> (delta / type->size) & 1)) {
			*first = f;
			*slot = (unsigned int)(delta / type->size);
			live = true;
		}
	}
	zbud_lock_release(&pool->lock);
	return live;
}

int zblock_walk_pages(struct zblock_pool *pool,
		      int (*fn)(const struct zblock_pool *pool, uint32_t pgno, void *arg),
		      void *arg)
{
	int ret = 0;

	zbud_lock_take(&pool->lock);
	for (uint32_t p = 0; p < pool->src.next && !ret; p++)
		if (zblock_page(pool, p)->flags & ZBLOCK_PAGE_BLOCK)
			ret = fn(pool, p, arg);
	zbud_lock_release(&pool->lock);
	return ret;
}
