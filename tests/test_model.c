/*
 * test_model.c - zbud against a reference model, one random operation at a time
 *
 * The model is Linux's mm/zbud.c (v6.1) written as plainly as possible, with
 * no lists at all.  Each page carries two stamps from one clock, taken when
 * it goes to the head of an unbuddied list and to the head of the LRU:
 *
 *   head of unbuddied[i] = the one-buddy page with i free chunks and the
 *                          greatest buddy stamp (lists are newest first)
 *   LRU tail             = the page with the least LRU stamp
 *
 * so every decision is a scan over the pages: slow, but too simple to share a
 * bug with src/zbud.c.  Live objects are kept below MAX_OBJECTS to bound it.
 *
 * The pool and the model see the same operations.  After each one the test
 * compares the return code, the page count, the buddy of a new object and
 * its page (a model page is paired with the pool's page number when both are
 * created), and for reclaim the objects offered to the evict callback, in
 * order.  Every object holds a pattern made from its unique ID, checked when
 * it is freed or evicted and, every CHECK_EVERY operations, for all live
 * objects, along with zbud_check_pool() and zbud_get_stats().
 *
 * ZBUD_TEST_SEED and ZBUD_MODEL_OPS override the seed and the operation
 * count (the fixed-buffer test runs a fifth of it); a failure prints the seed.
 */
#define ZBUD_STATIC_LINKING_ONLY
#include "model_util.h"
#include "zbud.h"

#define DEFAULT_SEED 0x7a627564ULL /* "zbud" */
/* Live objects at most.  A page holds at least one object outside reclaim,
 * so this bounds the model's pages, and so its scans, too. */
#define MAX_OBJECTS 2048
#define MAX_RETRIES 9
#define MAX_OFFERS (2 * MAX_RETRIES) /* evict calls one reclaim can make */
/* On average, operations between two redraws of the target population. */
#define DRIFT_PERIOD 20000

/* ---- The model ---- */

/* An object of the test's, known to the model by its slot in harness.obj[]. */
struct object {
	uint64_t id;            /* unique in the run: seeds the byte pattern */
	unsigned long handle;
	size_t size;
	int page;               /* where the model has it */
	enum zbud_buddy bud;
	bool pinned;            /* the evict callback refuses it */
};

struct mpage {
	int chunks[2];          /* by enum zbud_buddy; 0 for no such buddy */
	int obj[2];             /* the objects there (test slots), -1 for none */
	uint64_t buddy_stamp, lru_stamp;
	uint32_t real;          /* the pool's page number */
};

struct model {
	struct index_set pages;
	struct mpage page[MAX_OBJECTS];
	uint64_t clock;
	int limit;              /* pages the source can give */
	struct index_map of_real; /* model page of each real page number */
};

/* Where the model put an object. */
struct placement {
	int page;
	enum zbud_buddy bud;
	bool new_page;
};

static int free_chunks(const struct mpage *p)
{
	return ZBUD_NCHUNKS - p->chunks[ZBUD_FIRST] - p->chunks[ZBUD_LAST];
}

static bool one_buddy(const struct mpage *p)
{
	return !p->chunks[ZBUD_FIRST] != !p->chunks[ZBUD_LAST];
}

static bool empty(const struct mpage *p)
{
	return !p->chunks[ZBUD_FIRST] && !p->chunks[ZBUD_LAST];
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

/* The first page of the lowest non-empty unbuddied list from @chunks up. */
static int model_find(const struct model *m, int chunks)
{
	const struct mpage *best = NULL;
	int found = -1;

	for (int i = 0; i < m->pages.n; i++) {
		int pg = m->pages.member[i];
		const struct mpage *p = &m->page[pg];
		int f = free_chunks(p);

		if (!one_buddy(p) || f < chunks)
			continue;
		if (!best || f < free_chunks(best) ||
		    (f == free_chunks(best) && p->buddy_stamp > best->buddy_stamp)) {
			best = p;
			found = pg;
		}
	}
	return found;
}

static int model_lru_tail(const struct model *m)
{
	int tail = m->pages.member[0];

	for (int i = 1; i < m->pages.n; i++) {
		int pg = m->pages.member[i];

		if (m->page[pg].lru_stamp < m->page[tail].lru_stamp)
			tail = pg;
	}
	return tail;
}

/* Back on a list after a change: unbuddied[free chunks] at its head. */
static void model_relist(struct model *m, struct mpage *p)
{
	if (one_buddy(p))
		p->buddy_stamp = ++m->clock;
}

static int model_alloc(struct model *m, size_t size, int obj, struct placement *where)
{
	struct mpage *p;
	int chunks;

	if (size == 0)
		return -EINVAL;
	if (size > ZBUD_MAX_SIZE)
		return -ENOSPC;
	chunks = (int)((size + ZBUD_CHUNK_SIZE - 1) / ZBUD_CHUNK_SIZE);
	where->page = model_find(m, chunks);
	where->new_page = where->page < 0;
	if (where->new_page) {
		if (m->pages.n == m->limit)
			return -ENOMEM;
		where->page = set_take(&m->pages);
		m->page[where->page] = (struct mpage){ .obj = { -1, -1 } };
	}
	p = &m->page[where->page];
	where->bud = p->chunks[ZBUD_FIRST] ? ZBUD_LAST : ZBUD_FIRST;
	p->chunks[where->bud] = chunks;
	p->obj[where->bud] = obj;
	model_relist(m, p);
	p->lru_stamp = ++m->clock;
	return 0;
}

static void model_free(struct model *m, int pg, enum zbud_buddy bud)
{
	struct mpage *p = &m->page[pg];

	p->chunks[bud] = 0;
	p->obj[bud] = -1;
	if (empty(p))
		model_drop_page(m, pg);
	else
		model_relist(m, p); /* the LRU stays as it is */
}

/* Run zbud_reclaim_page() in the model; @ids gets the IDs offered, in order. */
static int model_reclaim(struct model *m, unsigned int retries, const struct object *objs,
			 uint64_t *ids, int *n)
{
	*n = 0;
	if (!m->pages.n || !retries)
		return -EINVAL;
	for (unsigned int i = 0; i < retries; i++) {
		int pg = model_lru_tail(m);
		struct mpage *p = &m->page[pg];

		/* FIRST then LAST; a refusal ends the page's turn.  The page is
		 * off every list meanwhile, so a free only clears chunks. */
		for (int bud = ZBUD_FIRST; bud <= ZBUD_LAST; bud++) {
			int o = p->obj[bud];

			if (o < 0)
				continue;
			ids[(*n)++] = objs[o].id;
			if (objs[o].pinned)
				break;
			p->chunks[bud] = 0;
			p->obj[bud] = -1;
		}
		if (empty(p)) {
			model_drop_page(m, pg);
			return 0;
		}
		model_relist(m, p);
		p->lru_stamp = ++m->clock;
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
	struct zbud_pool *pool;
	void *buffer;
	struct model *model;
	struct index_set objs;
	struct object obj[MAX_OBJECTS];
	struct index_map at;    /* object of each handle >> ZBUD_CHUNK_SHIFT */
	uint64_t offered[MAX_OFFERS]; /* IDs given to the evict callback, in order */
	int n_offered;
	struct stale_ring stale; /* replayed to zbud_free(), which must ignore them */
	int target, pin_percent, max_target;
	uint64_t evictions, enomem;
};

/* zbud_create_pool() takes no private pointer; cmocka runs one test at a time. */
static struct harness *current;

static void verify_bytes(const struct harness *h, const struct object *o)
{
	if (!pattern_intact(zbud_map(h->pool, o->handle), o->size, o->id))
		fail_run(&h->run, "object %" PRIu64 " (handle %#lx, %zu bytes) was overwritten",
			 o->id, o->handle, o->size);
	zbud_unmap(h->pool, o->handle);
}

/* The slot in at[] for a handle: FIRST and LAST offsets are chunk multiples. */
static size_t at_index(unsigned long handle)
{
	return handle >> ZBUD_CHUNK_SHIFT;
}

static int object_at(const struct harness *h, unsigned long handle)
{
	return map_get(&h->at, at_index(handle));
}

/* Record a new object the pool and the model agree on, and fill it. */
static void object_add(struct harness *h, int slot, size_t size, unsigned long handle,
		       const struct placement *where)
{
	struct object *o = &h->obj[slot];

	if (!map_bind(&h->at, at_index(handle), slot))
		fail_run(&h->run, "handle %#lx given twice", handle);
	*o = (struct object){ .id = h->next_id++, .handle = handle, .size = size,
			      .page = where->page, .bud = where->bud };
	pattern_fill(zbud_map(h->pool, handle), size, o->id);
	zbud_unmap(h->pool, handle);
}

/* Check an object's bytes, free it in the pool and forget it. */
static void object_release(struct harness *h, int slot)
{
	const struct object *o = &h->obj[slot];

	verify_bytes(h, o);
	zbud_free(h->pool, o->handle);
	map_set(&h->at, at_index(o->handle), -1);
	stale_add(&h->stale, o->handle);
	set_put(&h->objs, slot);
}

/* The evict callback: refuse pinned objects, free the others. */
static int evict(struct zbud_pool *pool, unsigned long handle)
{
	struct harness *h = current;
	int slot = object_at(h, handle);

	if (pool != h->pool || slot < 0 || h->n_offered == MAX_OFFERS)
		fail_run(&h->run, "evict(%#lx): no such object, or too many calls", handle);
	h->offered[h->n_offered++] = h->obj[slot].id;
	if (h->obj[slot].pinned)
		return -EBUSY;
	object_release(h, slot);
	h->evictions++;
	return 0;
}

static const struct zbud_ops evict_ops = { .evict = evict };

/* ---- Operations ---- */

/* Mostly sizes like LZ4's output on a real heap, then any size, then the
 * edges of each rule. */
static size_t random_size(struct harness *h)
{
	static const size_t edge[] = {
		0, 1, 64, 65, 1984, 2016, 3904, ZBUD_MAX_SIZE, ZBUD_MAX_SIZE + 1,
		ZBUD_PAGE_SIZE, 1UL << 20, SIZE_MAX,
	};
	unsigned int r = below(&h->run, 100);

	if (r < 80)
		return lz4_heap_size(&h->run);
	if (r < 92)
		return 1 + below(&h->run, ZBUD_MAX_SIZE);
	return edge[below(&h->run, sizeof(edge) / sizeof(edge[0]))];
}

static int random_live(struct harness *h)
{
	return h->objs.member[below(&h->run, (unsigned int)h->objs.n)];
}

static bool pick_pinned(struct harness *h)
{
	return below(&h->run, 100) < (unsigned int)h->pin_percent;
}

static void op_alloc(struct harness *h)
{
	size_t size = random_size(h);
	int slot = set_take(&h->objs);
	struct placement where = { .page = -1 }; /* set by the model on success */
	unsigned long handle = 0;
	int want = model_alloc(h->model, size, slot, &where);
	int rc = zbud_alloc(h->pool, size, &handle);

	expect_eq(&h->run, "zbud_alloc", rc, want);
	if (rc) {
		set_put(&h->objs, slot);
		h->enomem += rc == -ENOMEM;
		return;
	}
	expect_eq(&h->run, "buddy", zbud_handle_buddy(handle), where.bud);
	if (where.new_page) {
		if (!model_bind(h->model, where.page, (uint32_t)(handle >> ZBUD_PAGE_SHIFT)))
			fail_run(&h->run, "new page %lu is already in use",
				 handle >> ZBUD_PAGE_SHIFT);
	} else {
		expect_eq(&h->run, "page", (long long)(handle >> ZBUD_PAGE_SHIFT),
			  h->model->page[where.page].real);
	}
	object_add(h, slot, size, handle, &where);
	h->obj[slot].pinned = pick_pinned(h);
}

static void op_free(struct harness *h)
{
	int slot = random_live(h);

	model_free(h->model, h->obj[slot].page, h->obj[slot].bud);
	object_release(h, slot);
}

/* zbud_free() of a handle that is no longer allocated must change nothing. */
static void op_free_stale(struct harness *h)
{
	unsigned long handle;

	if (stale_pick(&h->stale, &h->run, &handle) && object_at(h, handle) < 0)
		zbud_free(h->pool, handle); /* the next full check sees any damage */
}

static void op_reclaim(struct harness *h)
{
	unsigned int retries = below(&h->run, MAX_RETRIES + 1);
	uint64_t want_ids[MAX_OFFERS];
	int n_want, want, rc;

	want = model_reclaim(h->model, retries, h->obj, want_ids, &n_want);
	h->n_offered = 0;
	rc = zbud_reclaim_page(h->pool, retries);
	expect_eq(&h->run, "zbud_reclaim_page", rc, want);
	expect_offers(&h->run, h->offered, h->n_offered, want_ids, n_want);
}

static void op_pin(struct harness *h)
{
	h->obj[random_live(h)].pinned = pick_pinned(h);
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
	else if (r < 98)
		op_pin(h);
	else
		op_free_stale(h);
	expect_eq(&h->run, "pages", (long long)zbud_get_pool_size(h->pool), h->model->pages.n);
}

/* ---- Full checks ---- */

static void check_stats(const struct harness *h)
{
	const struct model *m = h->model;
	uint64_t unbuddied[ZBUD_NCHUNKS] = { 0 }, buddied = 0, objects = 0, chunks = 0;
	struct zbud_stats st;

	for (int i = 0; i < m->pages.n; i++) {
		const struct mpage *p = &m->page[m->pages.member[i]];

		objects += !!p->chunks[ZBUD_FIRST] + !!p->chunks[ZBUD_LAST];
		chunks += (uint64_t)(p->chunks[ZBUD_FIRST] + p->chunks[ZBUD_LAST]);
		if (one_buddy(p))
			unbuddied[free_chunks(p)]++;
		else
			buddied++;
	}
	zbud_get_stats(h->pool, &st);
	expect_eq(&h->run, "stats.pages", (long long)st.pages, m->pages.n);
	expect_eq(&h->run, "stats.buddied_pages", (long long)st.buddied_pages, (long long)buddied);
	expect_eq(&h->run, "stats.objects", (long long)st.objects, (long long)objects);
	expect_eq(&h->run, "stats.object_chunks", (long long)st.object_chunks, (long long)chunks);
	for (int i = 0; i < ZBUD_NCHUNKS; i++)
		if (st.unbuddied[i] != unbuddied[i])
			fail_run(&h->run, "stats.unbuddied[%d]: pool %" PRIu64 ", model %" PRIu64,
				 i, st.unbuddied[i], unbuddied[i]);
}

static void check_all(const struct harness *h)
{
	char msg[256];

	for (int i = 0; i < h->objs.n; i++)
		verify_bytes(h, &h->obj[h->objs.member[i]]);
	if (zbud_check_pool(h->pool, msg, sizeof(msg)))
		fail_run(&h->run, "zbud_check_pool: %s", msg);
	check_stats(h);
}

/* ---- Set-up and the tests ---- */

static struct zbud_pool *open_pool(struct harness *h, size_t buffer_pages)
{
	struct zbud_config cfg = { .ops = &evict_ops };

	if (!buffer_pages)
		return zbud_create_pool(&evict_ops);
	/* The buffer also holds the descriptors: a page and a bit per page. */
	cfg.source.buffer_size = buffer_pages * (ZBUD_PAGE_SIZE + ZBUD_CHUNK_SIZE);
	cfg.source.buffer = h->buffer = malloc(cfg.source.buffer_size);
	assert_non_null(h->buffer);
	return zbud_create_pool_config(&cfg);
}

static int setup(void **state, const struct params *p)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct zbud_stats st;

	assert_non_null(h);
	h->model = calloc(1, sizeof(*h->model));
	assert_non_null(h->model);
	run_init(&h->run, DEFAULT_SEED);
	h->max_target = p->max_target;
	set_init(&h->objs, MAX_OBJECTS);
	set_init(&h->model->pages, MAX_OBJECTS);
	h->pool = open_pool(h, p->buffer_pages);
	assert_non_null(h->pool);
	zbud_get_stats(h->pool, &st);
	assert_in_range(st.source_capacity, 1, p->buffer_pages ? p->buffer_pages : UINT32_MAX);
	h->model->limit = st.source_capacity < MAX_OBJECTS ? (int)st.source_capacity : MAX_OBJECTS;
	current = h;
	*state = h;
	return 0;
}

static int setup_arena(void **state)
{
	static const struct params p = { .max_target = 2000 };

	return setup(state, &p);
}

/* 16 pages hold 32 objects at best: targets up to 60 run the pool dry. */
static int setup_buffer(void **state)
{
	static const struct params p = { .max_target = 60, .buffer_pages = 16 };

	return setup(state, &p);
}

static int teardown(void **state)
{
	struct harness *h = *state;

	zbud_destroy_pool(h->pool);
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
	drift(h);
	h->target = h->max_target; /* fill the pool first */
	run_steps(&h->run, h, ops, step, check_all);
	while (h->objs.n) {
		int slot = h->objs.member[0];

		model_free(h->model, h->obj[slot].page, h->obj[slot].bud);
		object_release(h, slot);
	}
	expect_eq(&h->run, "pages", (long long)zbud_get_pool_size(h->pool), 0);
	check_all(h);
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
