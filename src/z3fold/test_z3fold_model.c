/*
 * test_z3fold_model.c - z3fold against a reference model, one random
 * operation at a time
 *
 * The model is Linux's mm/z3fold.c (v6.1) decisions written as plainly as
 * possible, with the kernel's numbers restated and no lists at all.  Each
 * page carries two stamps from one clock, taken when it goes to the head of
 * an unbuddied list and to the head of the LRU:
 *
 *   head of unbuddied[i] = the listed page with i free chunks and the
 *                          greatest list stamp (lists are newest first)
 *   LRU tail             = the page with the least LRU stamp
 *
 * so every decision is a scan over the pages: slow, but too simple to share a
 * bug with src/z3fold.c.  Compaction is modelled where the kernel's
 * do_compact_page() would run it, at once, as src/z3fold.c runs it.
 *
 * The pool and the model see the same operations: allocations of sizes from
 * a real heap's LZ4 output and of every edge, frees, reclaims with objects
 * that refuse eviction, maps held across operations (a mapped object does
 * not move), and frees of stale handles.  After each one the test compares
 * the return code and page count; an allocation's buddy, offset and page
 * (paired with the pool's when both are made); after a free, every object of
 * the pages it touched; for reclaim, the objects offered to evict, in order.
 * Every object's bytes (a pattern from its ID) are checked when it goes and,
 * every CHECK_EVERY operations, with its place, for all, with the checker.
 *
 * ZBUD_TEST_SEED and ZBUD_MODEL_OPS override the seed and the operation
 * count (the fixed-buffer test runs a fifth of it); a failure prints the seed.
 */
#include "model_util.h"
#include "z3fold_internal.h"

#define DEFAULT_SEED 0x7a33666f6c64ULL /* "z3fold" */
/* Live objects at most, so pages at most too (outside reclaim a page holds
 * an object): this bounds the model's scans. */
#define MAX_OBJECTS 2048
#define MAX_RETRIES 9
#define MAX_OFFERS (3 * MAX_RETRIES)
#define MAX_HELD 4              /* maps held across operations at once */
#define DRIFT_PERIOD 20000      /* operations between redraws of the target, on average */

/* The kernel's geometry with 4 KiB pages, restated: 64-byte chunks, a
 * header of two, 62 left; one chunk is kept free beside a buddy. */
enum {
	CHUNK = 64, HDR = 2, TOTAL = 64, NCHUNKS = TOTAL - HDR,
	MAX_BUDDY = 4096 - (HDR + 1) * CHUNK, MAX_SIZE = 4096, GAP = 3,
};
enum { FIRST, MIDDLE, LAST, HEADLESS };

/* ---- The model ---- */

struct object {
	uint64_t id;            /* unique in the run: seeds the byte pattern */
	unsigned long handle;
	size_t size;
	bool pinned;            /* the evict callback refuses it */
	bool held;              /* mapped across operations: refused too */
	int page, bud;          /* where the model has it */
	bool foreign;           /* moved in from another page */
};

struct mpage {
	bool headless;
	int chunks[3], start_middle;
	int obj[3];             /* objects there, -1 for none (headless: obj[0]) */
	bool listed;            /* on an unbuddied list */
	uint64_t list_stamp, lru_stamp;
	uint32_t real;          /* the pool's page number */
};

struct model {
	struct index_set pages;
	struct mpage page[MAX_OBJECTS];
	uint64_t clock;
	int limit;              /* pages the source can give */
	struct index_map of_real; /* model page of each real page number */
};

static int free_chunks(const struct mpage *p)
{
	if (p->chunks[MIDDLE]) {
		int before = p->chunks[FIRST] ? 0 : p->start_middle - HDR;
		int after = p->chunks[LAST] ? 0 : TOTAL - p->start_middle - p->chunks[MIDDLE];

		return before > after ? before : after;
	}
	return NCHUNKS - p->chunks[FIRST] - p->chunks[LAST];
}

static int objects_in(const struct mpage *p)
{
	return (p->obj[0] >= 0) + (p->obj[1] >= 0) + (p->obj[2] >= 0);
}

static bool any_of(const struct mpage *p, const struct object *objs, bool foreign)
{
	for (int b = 0; b < 3; b++)
		if (p->obj[b] >= 0 && (foreign ? objs[p->obj[b]].foreign : objs[p->obj[b]].held))
			return true;
	return false;
}

static unsigned int model_offset(const struct mpage *p, int bud)
{
	switch (bud) {
	case FIRST: return HDR * CHUNK;
	case MIDDLE: return (unsigned int)(p->start_middle * CHUNK);
	case LAST: return (unsigned int)((TOTAL - p->chunks[LAST]) * CHUNK);
	default: return 0;
	}
}

static void model_drop_page(struct model *m, int pg)
{
	map_set(&m->of_real, m->page[pg].real, -1);
	set_put(&m->pages, pg);
}

/* Pair model page @pg with the pool's page @real; false if @real is taken. */
static bool model_bind(struct model *m, int pg, uint32_t real)
{
	if (!map_bind(&m->of_real, real, pg))
		return false;
	m->page[pg].real = real;
	return true;
}

/* Back on a list after a change, at its head, if it has a free buddy. */
static void model_relist(struct model *m, struct mpage *p)
{
	p->listed = !p->headless && (!p->chunks[FIRST] || !p->chunks[MIDDLE] || !p->chunks[LAST]);
	if (p->listed)
		p->list_stamp = ++m->clock;
}

/* The head of the lowest listed unbuddied list from @chunks up, or -1. */
static int model_find(const struct model *m, int chunks)
{
	int found = -1, best = 0;

	for (int i = 0; i < m->pages.n; i++) {
		int pg = m->pages.member[i], f;
		const struct mpage *p = &m->page[pg];

		if (!p->listed || (f = free_chunks(p)) < chunks)
			continue;
		if (found < 0 || f < best || (f == best && p->list_stamp > m->page[found].list_stamp)) {
			found = pg;
			best = f;
		}
	}
	return found;
}

static int model_free_buddy(const struct mpage *p, int chunks)
{
	if (p->chunks[MIDDLE])
		return !p->chunks[FIRST] && chunks <= p->start_middle - HDR ? FIRST : LAST;
	if (!p->chunks[FIRST])
		return FIRST;
	return p->chunks[LAST] ? MIDDLE : LAST;
}

static void model_place(struct model *m, struct object *objs, int pg, int bud, int chunks, int o)
{
	struct mpage *p = &m->page[pg];

	p->chunks[bud] = chunks;
	if (bud == MIDDLE)
		p->start_middle = HDR + p->chunks[FIRST];
	p->obj[bud] = o;
	objs[o].page = pg;
	objs[o].bud = bud;
}

static void model_take_out(struct mpage *p, int bud)
{
	p->obj[bud == HEADLESS ? 0 : bud] = -1;
	if (bud == HEADLESS)
		return;
	p->chunks[bud] = 0;
	if (bud == MIDDLE)
		p->start_middle = 0;
}

static int model_new_page(struct model *m, bool headless)
{
	int pg;

	if (m->pages.n == m->limit)
		return -1;
	pg = set_take(&m->pages);
	m->page[pg] = (struct mpage){ .headless = headless, .obj = { -1, -1, -1 } };
	return pg;
}

/* Where the model put a new object. */
struct placement {
	int page, bud;
	bool new_page;
};

static int model_alloc(struct model *m, struct object *objs, size_t size, int o,
		       struct placement *where)
{
	int chunks = (int)((size + CHUNK - 1) / CHUNK);

	if (size == 0)
		return -EINVAL;
	if (size > MAX_SIZE)
		return -ENOSPC;
	where->page = size > MAX_BUDDY ? -1 : model_find(m, chunks);
	where->new_page = where->page < 0;
	if (where->new_page) {
		where->page = model_new_page(m, size > MAX_BUDDY);
		if (where->page < 0)
			return -ENOMEM;
	}
	if (size > MAX_BUDDY) {
		where->bud = HEADLESS;
		m->page[where->page].obj[0] = o;
		objs[o].page = where->page;
		objs[o].bud = HEADLESS;
	} else {
		where->bud = where->new_page ? FIRST : model_free_buddy(&m->page[where->page], chunks);
		model_place(m, objs, where->page, where->bud, chunks, o);
	}
	objs[o].foreign = false;
	model_relist(m, &m->page[where->page]);
	m->page[where->page].lru_stamp = ++m->clock;
	return 0;
}

/* The kernel's z3fold_compact_page(): MIDDLE moves within its page. */
static void model_compact_page(struct model *m, struct object *objs, struct mpage *p)
{
	int f = p->chunks[FIRST], mid = p->chunks[MIDDLE], l = p->chunks[LAST];
	int o = p->obj[MIDDLE];

	if (!mid || objs[o].held)
		return;
	if (!f && !l) {
		model_take_out(p, MIDDLE);
		model_place(m, objs, objs[o].page, FIRST, mid, o);
	} else if (f && !l && p->start_middle - (HDR + f) >= GAP) {
		p->start_middle = HDR + f;
	} else if (l && !f && TOTAL - (l + p->start_middle + mid) >= GAP) {
		p->start_middle = TOTAL - l - mid;
	}
}

/* Free object @o; @touched gets the pages whose objects may have moved. */
static void model_free(struct model *m, struct object *objs, int o, int touched[2])
{
	int pg = objs[o].page, single = -1;
	struct mpage *p = &m->page[pg];

	touched[0] = touched[1] = -1;
	model_take_out(p, objs[o].bud);
	if (!objects_in(p)) {
		model_drop_page(m, pg);
		return;
	}
	touched[0] = pg;
	p->listed = false;
	for (int b = 0; b < 3; b++)
		if (p->obj[b] >= 0)
			single = objects_in(p) == 1 ? b : -1;
	/* compact_single_buddy(): the one object to the page alloc would pick */
	if (single >= 0 && !any_of(p, objs, true) && !any_of(p, objs, false)) {
		int chunks = p->chunks[single], to = model_find(m, chunks), moved = p->obj[single];

		if (to >= 0) {
			model_take_out(p, single);
			model_place(m, objs, to, model_free_buddy(&m->page[to], chunks), chunks, moved);
			objs[moved].foreign = true;
			model_relist(m, &m->page[to]);
			model_drop_page(m, pg);
			touched[0] = to;
			return;
		}
	}
	model_compact_page(m, objs, p);
	model_relist(m, p);
}

/* Run z3fold_reclaim_page() in the model; @ids gets the IDs offered, in order. */
static int model_reclaim(struct model *m, struct object *objs, unsigned int retries,
			 uint64_t *ids, int *n)
{
	static const int order[] = { MIDDLE, FIRST, LAST };

	*n = 0;
	if (!retries || !m->pages.n)
		return -EINVAL;
	for (unsigned int i = 0; i < retries; i++) {
		struct mpage *p = NULL;
		int pg = -1;

		for (int k = 0; k < m->pages.n; k++) {
			int q = m->pages.member[k];

			if (!any_of(&m->page[q], objs, true) &&
			    (pg < 0 || m->page[q].lru_stamp < m->page[pg].lru_stamp))
				pg = q;
		}
		if (pg < 0)
			break;
		p = &m->page[pg];
		/* MIDDLE, FIRST, LAST; the first refusal ends the page's turn. */
		for (int k = 0; k < 3; k++) {
			int b = p->headless ? HEADLESS : order[k], o = p->obj[b == HEADLESS ? 0 : b];

			if (o < 0)
				continue;
			ids[(*n)++] = objs[o].id;
			if (objs[o].pinned || objs[o].held)
				break;
			model_take_out(p, b);
		}
		if (!objects_in(p)) {
			model_drop_page(m, pg);
			return 0;
		}
		p->lru_stamp = ++m->clock;
		model_relist(m, p);
	}
	return -EAGAIN;
}

/* ---- The pool's side ---- */

struct params {
	int max_target;         /* the live-object target is drawn from 0..this */
	size_t buffer_pages;    /* 0: the default arena, else a fixed buffer */
};

struct harness {
	struct model_run run;
	uint64_t next_id;
	struct z3fold_pool *pool;
	void *buffer;
	struct model *model;
	struct index_set objs;
	struct object obj[MAX_OBJECTS];
	struct index_map at;    /* object of each handle */
	uint64_t offered[MAX_OFFERS]; /* IDs given to the evict callback, in order */
	int n_offered;
	struct stale_ring stale;
	int held[MAX_HELD], n_held;
	int target, pin_percent, max_target;
	uint64_t evictions, enomem, moves;
};

static struct harness *current; /* for the evict callback */

static void fill(struct harness *h, const struct object *o)
{
	pattern_fill(z3fold_map(h->pool, o->handle), o->size, o->id);
	z3fold_unmap(h->pool, o->handle);
}

/* The object is where the model has it. */
static void verify_place(const struct harness *h, const struct object *o)
{
	const struct mpage *p = &h->model->page[o->page];
	enum z3fold_buddy bud;
	unsigned int offset;
	uint32_t pgno;

	if (z3fold_locate(h->pool, o->handle, &pgno, &bud, &offset))
		fail_run(&h->run, "object %" PRIu64 ": handle %#lx is not live", o->id, o->handle);
	if (pgno != p->real || (int)bud != o->bud || offset != model_offset(p, o->bud))
		fail_run(&h->run, "object %" PRIu64 ": at page %u, buddy %d, offset %u; "
			 "model: page %u, buddy %d, offset %u", o->id, pgno, bud, offset, p->real,
			 o->bud, model_offset(p, o->bud));
}

static void verify_bytes(const struct harness *h, const struct object *o)
{
	if (!pattern_intact(z3fold_map(h->pool, o->handle), o->size, o->id))
		fail_run(&h->run, "object %" PRIu64 " (%zu bytes) overwritten", o->id, o->size);
	z3fold_unmap(h->pool, o->handle);
}

static void unhold(struct harness *h, int k)
{
	int o = h->held[k];

	z3fold_unmap(h->pool, h->obj[o].handle);
	h->obj[o].held = false;
	h->held[k] = h->held[--h->n_held];
}

/* Check an object's bytes, free it in the pool and forget it. */
static void object_release(struct harness *h, int slot)
{
	struct object *o = &h->obj[slot];

	for (int k = 0; k < h->n_held; k++)
		if (h->held[k] == slot)
			unhold(h, k);
	verify_bytes(h, o);
	z3fold_free(h->pool, o->handle);
	map_set(&h->at, o->handle, -1);
	stale_add(&h->stale, o->handle);
	set_put(&h->objs, slot);
}

/* The evict callback: refuse pinned and held objects, free the others. */
static int evict(struct z3fold_pool *pool, unsigned long handle)
{
	struct harness *h = current;
	int slot = map_get(&h->at, handle);

	if (pool != h->pool || slot < 0 || h->n_offered == MAX_OFFERS)
		fail_run(&h->run, "evict(%#lx): no such object, or too many calls", handle);
	h->offered[h->n_offered++] = h->obj[slot].id;
	if (h->obj[slot].pinned || h->obj[slot].held)
		return -EBUSY;
	object_release(h, slot);
	h->evictions++;
	return 0;
}

static const struct z3fold_ops evict_ops = { .evict = evict };

/* ---- Operations ---- */

/* Mostly sizes like LZ4's output on a real heap, then any size, then the
 * edges of each rule. */
static size_t random_size(struct harness *h)
{
	static const size_t edge[] = {
		0, 1, 64, 65, 128, 640, 1984, 2016, MAX_BUDDY, MAX_BUDDY + 1, MAX_SIZE,
		MAX_SIZE + 1, 1UL << 20, SIZE_MAX,
	};
	unsigned int r = below(&h->run, 100);

	if (r < 70)
		return lz4_heap_size(&h->run);
	if (r < 85)
		return 1 + below(&h->run, 1500);  /* three to a page */
	if (r < 95)
		return 1 + below(&h->run, MAX_SIZE);
	return edge[below(&h->run, sizeof(edge) / sizeof(edge[0]))];
}

static int random_live(struct harness *h)
{
	return h->objs.member[below(&h->run, (unsigned int)h->objs.n)];
}

static void op_alloc(struct harness *h)
{
	size_t size = random_size(h);
	int slot = set_take(&h->objs);
	struct placement where = { .page = -1 };
	struct model *m = h->model;
	struct object *o = &h->obj[slot];
	unsigned long handle = 0;
	enum z3fold_buddy bud;
	unsigned int offset;
	uint32_t pgno;
	int want, rc;

	*o = (struct object){ .id = h->next_id, .size = size };
	want = model_alloc(m, h->obj, size, slot, &where);
	rc = z3fold_alloc(h->pool, size, &handle);
	expect_eq(&h->run, "z3fold_alloc", rc, want);
	if (rc) {
		set_put(&h->objs, slot);
		h->enomem += rc == -ENOMEM;
		return;
	}
	h->next_id++;
	o->handle = handle;
	if (!map_bind(&h->at, handle, slot))
		fail_run(&h->run, "handle %#lx given twice", handle);
	assert_int_equal(z3fold_locate(h->pool, handle, &pgno, &bud, &offset), 0);
	expect_eq(&h->run, "buddy", bud, where.bud);
	if (where.new_page && !model_bind(m, where.page, pgno))
		fail_run(&h->run, "new page %u is already in use", pgno);
	expect_eq(&h->run, "page", pgno, m->page[where.page].real);
	expect_eq(&h->run, "offset", offset, model_offset(&m->page[where.page], where.bud));
	fill(h, o);
	o->pinned = below(&h->run, 100) < (unsigned int)h->pin_percent;
}

static void op_free(struct harness *h)
{
	int slot = random_live(h), touched[2];
	struct model *m = h->model;

	verify_place(h, &h->obj[slot]);
	model_free(m, h->obj, slot, touched);
	object_release(h, slot);
	/* Whatever compaction moved is where the model says, bytes and all. */
	for (int t = 0; t < 2; t++) {
		if (touched[t] < 0)
			continue;
		for (int b = 0; b < 3; b++) {
			int o = m->page[touched[t]].obj[b];

			if (o >= 0) {
				verify_place(h, &h->obj[o]);
				verify_bytes(h, &h->obj[o]);
			}
		}
	}
}

/* z3fold_free() of a handle that is no longer allocated must change nothing. */
static void op_free_stale(struct harness *h)
{
	unsigned long handle;

	if (stale_pick(&h->stale, &h->run, &handle) && map_get(&h->at, handle) < 0)
		z3fold_free(h->pool, handle); /* the next full check sees any damage */
}

static void op_reclaim(struct harness *h)
{
	unsigned int retries = below(&h->run, MAX_RETRIES + 1);
	uint64_t want_ids[MAX_OFFERS];
	int n_want, want, rc;

	want = model_reclaim(h->model, h->obj, retries, want_ids, &n_want);
	h->n_offered = 0;
	rc = z3fold_reclaim_page(h->pool, retries);
	expect_eq(&h->run, "z3fold_reclaim_page", rc, want);
	expect_offers(&h->run, h->offered, h->n_offered, want_ids, n_want);
}

/* Hold a map on an object across operations, or let one go. */
static void op_hold(struct harness *h)
{
	int o = random_live(h);

	if (h->n_held && (h->n_held == MAX_HELD || below(&h->run, 2))) {
		unhold(h, (int)below(&h->run, (unsigned int)h->n_held));
	} else if (!h->obj[o].held) {
		const struct mpage *p = &h->model->page[h->obj[o].page];
		char *want = (char *)h->pool->src.base + ((size_t)p->real << ZBUD_PAGE_SHIFT) +
			     model_offset(p, h->obj[o].bud);

		if ((char *)z3fold_map(h->pool, h->obj[o].handle) != want)
			fail_run(&h->run, "object %" PRIu64 " mapped at the wrong place",
				 h->obj[o].id);
		h->obj[o].held = true;
		h->held[h->n_held++] = o;
	}
}

/* A new target, with more or fewer objects that refuse eviction. */
static void drift(struct harness *h)
{
	static const int pin_percent[] = { 0, 10, 30, 60 };

	h->target = draw_target(&h->run, h->max_target);
	h->pin_percent = pin_percent[below(&h->run, 4)];
}

static void step(struct harness *h)
{
	bool grow = h->objs.n < h->target;
	unsigned int r = below(&h->run, 100);

	if (below(&h->run, DRIFT_PERIOD) == 0)
		drift(h);
	if (h->objs.n == 0 && r >= 90)
		op_reclaim(h); /* of an empty pool: -EINVAL */
	else if (h->objs.n == 0 || (h->objs.n < MAX_OBJECTS && r < (grow ? 50u : 25u)))
		op_alloc(h);
	else if (r < 70)
		op_free(h);
	else if (r < 80)
		op_reclaim(h);
	else if (r < 90)
		h->obj[random_live(h)].pinned = below(&h->run, 100) < (unsigned int)h->pin_percent;
	else if (r < 97)
		op_hold(h);
	else
		op_free_stale(h);
	expect_eq(&h->run, "pages", (long long)z3fold_get_pool_size(h->pool), h->model->pages.n);
}

static void check_all(const struct harness *h)
{
	char msg[256];

	for (int i = 0; i < h->objs.n; i++) {
		verify_place(h, &h->obj[h->objs.member[i]]);
		verify_bytes(h, &h->obj[h->objs.member[i]]);
	}
	if (z3fold_check_pool(h->pool, msg, sizeof(msg)))
		fail_run(&h->run, "z3fold_check_pool: %s", msg);
}

/* ---- Set-up and the tests ---- */

static int setup(void **state, const struct params *p)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct zbud_source_config src = { 0 };

	assert_non_null(h);
	h->model = calloc(1, sizeof(*h->model));
	assert_non_null(h->model);
	run_init(&h->run, DEFAULT_SEED);
	h->max_target = p->max_target;
	set_init(&h->objs, MAX_OBJECTS);
	set_init(&h->model->pages, MAX_OBJECTS);
	if (p->buffer_pages) {
		src.buffer_size = p->buffer_pages * (ZBUD_PAGE_SIZE + sizeof(struct z3fold_page));
		src.buffer = h->buffer = aligned_alloc(64, src.buffer_size);
		assert_non_null(h->buffer);
	}
	h->pool = z3fold_create_pool(&evict_ops, NULL, &src);
	assert_non_null(h->pool);
	assert_in_range(h->pool->src.capacity, 1, p->buffer_pages ? p->buffer_pages : UINT32_MAX);
	h->model->limit = h->pool->src.capacity < MAX_OBJECTS ? (int)h->pool->src.capacity
							       : MAX_OBJECTS;
	current = h;
	*state = h;
	return 0;
}

static int setup_arena(void **state)
{
	static const struct params p = { .max_target = 2000 };

	return setup(state, &p);
}

/* 24 pages hold 72 objects at best: targets up to 90 run the pool dry. */
static int setup_buffer(void **state)
{
	static const struct params p = { .max_target = 90, .buffer_pages = 24 };

	return setup(state, &p);
}

static int teardown(void **state)
{
	struct harness *h = *state;

	z3fold_destroy_pool(h->pool);
	free(h->buffer);
	free(h->model->of_real.of);
	free(h->model);
	free(h->at.of);
	free(h);
	current = NULL;
	return 0;
}

static void run(struct harness *h, uint64_t ops)
{
	int touched[2];

	drift(h);
	h->target = h->max_target; /* fill the pool first */
	run_steps(&h->run, h, ops, step, check_all);
	while (h->objs.n) {
		int slot = h->objs.member[0];

		model_free(h->model, h->obj, slot, touched);
		object_release(h, slot);
	}
	expect_eq(&h->run, "pages", (long long)z3fold_get_pool_size(h->pool), 0);
	check_all(h);
	assert_null(h->pool->slots);
	print_message("%" PRIu64 " objects, %" PRIu64 " evicted, %" PRIu64 " -ENOMEM\n",
		      h->next_id, h->evictions, h->enomem);
}

static void test_model_arena(void **state)
{
	run(*state, model_ops());
}

static void test_model_fixed_buffer(void **state)
{
	struct harness *h = *state;

	run(h, model_ops() / 5);
	assert_true(h->enomem > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_model_arena, setup_arena, teardown),
		cmocka_unit_test_setup_teardown(test_model_fixed_buffer, setup_buffer, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
