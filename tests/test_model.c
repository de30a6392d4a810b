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
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zbud.h"

#define DEFAULT_SEED 0x7a627564ULL /* "zbud" */
#define DEFAULT_OPS 1000000ULL
/* A full check walks every live object's bytes: every 10k operations keeps
 * it to a few percent of the run. */
#define CHECK_EVERY 10000
/* Live objects at most.  A page holds at least one object outside reclaim,
 * so this bounds the model's pages, and so its scans, too. */
#define MAX_OBJECTS 2048
#define MAX_RETRIES 9
#define MAX_OFFERS (2 * MAX_RETRIES) /* evict calls one reclaim can make */
/* Recently freed handles, replayed to zbud_free(), which must ignore them. */
#define STALE_HANDLES 64
/* On average, operations between two redraws of the target population. */
#define DRIFT_PERIOD 20000

/* ---- Small integers, as a set that is dense for scans and random picks ---- */

/* member[0..n) are in the set, member[n..MAX_OBJECTS) are free to take. */
struct index_set {
	int n;
	int member[MAX_OBJECTS];
	int pos[MAX_OBJECTS];   /* where each integer sits in member[] */
};

static void set_init(struct index_set *s)
{
	s->n = 0;
	for (int i = 0; i < MAX_OBJECTS; i++)
		s->member[i] = s->pos[i] = i;
}

static int set_take(struct index_set *s)
{
	assert_true(s->n < MAX_OBJECTS);
	return s->member[s->n++];
}

static void set_put(struct index_set *s, int x)
{
	int last = s->member[--s->n], at = s->pos[x];

	s->member[at] = last;
	s->pos[last] = at;
	s->member[s->n] = x;
	s->pos[x] = s->n;
}

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
	int *of_real;           /* model page of each real page number, or -1 */
	size_t of_real_len;
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
	m->of_real[m->page[pg].real] = -1;
	set_put(&m->pages, pg);
}

/* Pair model page @pg with the pool's page @real; false if @real is taken. */
static bool model_bind(struct model *m, int pg, uint32_t real)
{
	size_t old = m->of_real_len;

	if (real >= old) {
		m->of_real_len = 2 * (size_t)real + 64;
		m->of_real = realloc(m->of_real, m->of_real_len * sizeof(*m->of_real));
		assert_non_null(m->of_real);
		for (size_t i = old; i < m->of_real_len; i++)
			m->of_real[i] = -1;
	}
	if (m->of_real[real] >= 0)
		return false;
	m->of_real[real] = pg;
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
	uint64_t seed, rng, op, next_id;
	struct zbud_pool *pool;
	void *buffer;
	struct model *model;
	struct index_set objs;
	struct object obj[MAX_OBJECTS];
	int *at;                /* object of each handle >> ZBUD_CHUNK_SHIFT, or -1 */
	size_t at_len;
	uint64_t offered[MAX_OFFERS]; /* IDs given to the evict callback, in order */
	int n_offered;
	unsigned long stale[STALE_HANDLES];
	unsigned int n_stale;
	int target, pin_percent, max_target;
	uint64_t evictions, enomem;
};

/* zbud_create_pool() takes no private pointer; cmocka runs one test at a time. */
static struct harness *current;

static void __attribute__((format(printf, 2, 3)))
fail_run(const struct harness *h, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fail_msg("op %" PRIu64 ": %s (replay with ZBUD_TEST_SEED=%" PRIu64 ")", h->op, why,
		 h->seed);
}

static void expect_eq(const struct harness *h, const char *what, long long got, long long want)
{
	if (got != want)
		fail_run(h, "%s: pool %lld, model %lld", what, got, want);
}

static uint64_t next_rand(struct harness *h)
{
	/* splitmix64: one state word, and good enough to pick operations */
	uint64_t z = (h->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int below(struct harness *h, unsigned int n)
{
	return (unsigned int)(next_rand(h) % n);
}

/* Word k of object @id's pattern: distinct per object and per offset, so a
 * misplaced or overlapping object shows. */
static uint64_t pattern_word(uint64_t id, size_t k)
{
	return (id * 0xd6e8feb86659fd93ULL) ^ (k * 0x9e3779b97f4a7c15ULL) ^ 0x5a5a5a5a5a5a5a5aULL;
}

static void fill(unsigned char *p, size_t size, uint64_t id)
{
	for (size_t i = 0; i < size; i += 8) {
		uint64_t w = pattern_word(id, i / 8);

		memcpy(p + i, &w, size - i < 8 ? size - i : 8);
	}
}

static bool intact(const unsigned char *p, size_t size, uint64_t id)
{
	for (size_t i = 0; i < size; i += 8) {
		uint64_t w = pattern_word(id, i / 8);

		if (memcmp(p + i, &w, size - i < 8 ? size - i : 8))
			return false;
	}
	return true;
}

static void verify_bytes(const struct harness *h, const struct object *o)
{
	if (!intact(zbud_map(h->pool, o->handle), o->size, o->id))
		fail_run(h, "object %" PRIu64 " (handle %#lx, %zu bytes) was overwritten", o->id,
			 o->handle, o->size);
	zbud_unmap(h->pool, o->handle);
}

/* The slot in at[] for a handle: FIRST and LAST offsets are chunk multiples. */
static size_t at_index(unsigned long handle)
{
	return handle >> ZBUD_CHUNK_SHIFT;
}

static int object_at(const struct harness *h, unsigned long handle)
{
	return at_index(handle) < h->at_len ? h->at[at_index(handle)] : -1;
}

static void set_object_at(struct harness *h, unsigned long handle, int slot)
{
	size_t i = at_index(handle), old = h->at_len;

	if (i >= old) {
		h->at_len = 2 * i + ZBUD_PAGE_SIZE;
		h->at = realloc(h->at, h->at_len * sizeof(*h->at));
		assert_non_null(h->at);
		for (size_t k = old; k < h->at_len; k++)
			h->at[k] = -1;
	}
	h->at[i] = slot;
}

/* Record a new object the pool and the model agree on, and fill it. */
static void object_add(struct harness *h, int slot, size_t size, unsigned long handle,
		       const struct placement *where)
{
	struct object *o = &h->obj[slot];

	if (object_at(h, handle) >= 0)
		fail_run(h, "handle %#lx given twice", handle);
	*o = (struct object){ .id = h->next_id++, .handle = handle, .size = size,
			      .page = where->page, .bud = where->bud };
	set_object_at(h, handle, slot);
	fill(zbud_map(h->pool, handle), size, o->id);
	zbud_unmap(h->pool, handle);
}

/* Check an object's bytes, free it in the pool and forget it. */
static void object_release(struct harness *h, int slot)
{
	const struct object *o = &h->obj[slot];

	verify_bytes(h, o);
	zbud_free(h->pool, o->handle);
	set_object_at(h, o->handle, -1);
	h->stale[h->n_stale++ % STALE_HANDLES] = o->handle;
	set_put(&h->objs, slot);
}

/* The evict callback: refuse pinned objects, free the others. */
static int evict(struct zbud_pool *pool, unsigned long handle)
{
	struct harness *h = current;
	int slot = object_at(h, handle);

	if (pool != h->pool || slot < 0 || h->n_offered == MAX_OFFERS)
		fail_run(h, "evict(%#lx): no such object, or too many calls", handle);
	h->offered[h->n_offered++] = h->obj[slot].id;
	if (h->obj[slot].pinned)
		return -EBUSY;
	object_release(h, slot);
	h->evictions++;
	return 0;
}

static const struct zbud_ops evict_ops = { .evict = evict };

/* ---- Operations ---- */

/* Mostly sizes like LZ4's output on a real heap: the 5% quantiles of
 * data/python-heap.lz4-sizes.txt, interpolated.  Then any size, then the
 * edges of each rule. */
static size_t random_size(struct harness *h)
{
	static const uint16_t lz4_quantile[21] = {
		31, 864, 877, 918, 992, 1033, 1046, 1073, 1162, 1255, 1318,
		1366, 1407, 1446, 1486, 1533, 1594, 1715, 2026, 2081, 3434,
	};
	static const size_t edge[] = {
		0, 1, 64, 65, 1984, 2016, 3904, ZBUD_MAX_SIZE, ZBUD_MAX_SIZE + 1,
		ZBUD_PAGE_SIZE, 1UL << 20, SIZE_MAX,
	};
	unsigned int r = below(h, 100);

	if (r < 80) {
		unsigned int u = below(h, 20 * 256), q = u / 256, frac = u % 256;

		return lz4_quantile[q] + (size_t)(lz4_quantile[q + 1] - lz4_quantile[q]) * frac / 256;
	}
	if (r < 92)
		return 1 + below(h, ZBUD_MAX_SIZE);
	return edge[below(h, sizeof(edge) / sizeof(edge[0]))];
}

static int random_live(struct harness *h)
{
	return h->objs.member[below(h, (unsigned int)h->objs.n)];
}

static bool pick_pinned(struct harness *h)
{
	return below(h, 100) < (unsigned int)h->pin_percent;
}

static void op_alloc(struct harness *h)
{
	size_t size = random_size(h);
	int slot = set_take(&h->objs);
	struct placement where = { .page = -1 }; /* set by the model on success */
	unsigned long handle = 0;
	int want = model_alloc(h->model, size, slot, &where);
	int rc = zbud_alloc(h->pool, size, &handle);

	expect_eq(h, "zbud_alloc", rc, want);
	if (rc) {
		set_put(&h->objs, slot);
		h->enomem += rc == -ENOMEM;
		return;
	}
	expect_eq(h, "buddy", zbud_handle_buddy(handle), where.bud);
	if (where.new_page) {
		if (!model_bind(h->model, where.page, (uint32_t)(handle >> ZBUD_PAGE_SHIFT)))
			fail_run(h, "new page %lu is already in use", handle >> ZBUD_PAGE_SHIFT);
	} else {
		expect_eq(h, "page", (long long)(handle >> ZBUD_PAGE_SHIFT),
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

	if (!h->n_stale)
		return;
	handle = h->stale[below(h, h->n_stale < STALE_HANDLES ? h->n_stale : STALE_HANDLES)];
	if (object_at(h, handle) < 0)
		zbud_free(h->pool, handle); /* the next full check sees any damage */
}

static void op_reclaim(struct harness *h)
{
	unsigned int retries = below(h, MAX_RETRIES + 1);
	uint64_t want_ids[MAX_OFFERS];
	int n_want, want, rc;

	want = model_reclaim(h->model, retries, h->obj, want_ids, &n_want);
	h->n_offered = 0;
	rc = zbud_reclaim_page(h->pool, retries);
	expect_eq(h, "zbud_reclaim_page", rc, want);
	expect_eq(h, "evict calls", h->n_offered, n_want);
	for (int i = 0; i < n_want; i++)
		if (h->offered[i] != want_ids[i])
			fail_run(h, "evict call %d: object %" PRIu64 ", model %" PRIu64, i,
				 h->offered[i], want_ids[i]);
}

static void op_pin(struct harness *h)
{
	h->obj[random_live(h)].pinned = pick_pinned(h);
}

/* Wander between an empty pool and a full one, with more or fewer objects
 * that refuse eviction.  A quarter of the targets are tiny, so that the pool
 * often empties and its page source starts over. */
static void drift(struct harness *h)
{
	static const int pin_percent[] = { 0, 10, 30, 60 };
	int most = below(h, 4) ? h->max_target : 16;

	h->target = (int)below(h, (unsigned int)most + 1);
	h->pin_percent = pin_percent[below(h, 4)];
}

static void step(struct harness *h)
{
	bool grow = h->objs.n < h->target;
	unsigned int r = below(h, 100);

	if (below(h, DRIFT_PERIOD) == 0)
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
	expect_eq(h, "pages", (long long)zbud_get_pool_size(h->pool), h->model->pages.n);
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
	expect_eq(h, "stats.pages", (long long)st.pages, m->pages.n);
	expect_eq(h, "stats.buddied_pages", (long long)st.buddied_pages, (long long)buddied);
	expect_eq(h, "stats.objects", (long long)st.objects, (long long)objects);
	expect_eq(h, "stats.object_chunks", (long long)st.object_chunks, (long long)chunks);
	for (int i = 0; i < ZBUD_NCHUNKS; i++)
		if (st.unbuddied[i] != unbuddied[i])
			fail_run(h, "stats.unbuddied[%d]: pool %" PRIu64 ", model %" PRIu64, i,
				 st.unbuddied[i], unbuddied[i]);
}

static void check_all(const struct harness *h)
{
	char msg[256];

	for (int i = 0; i < h->objs.n; i++)
		verify_bytes(h, &h->obj[h->objs.member[i]]);
	if (zbud_check_pool(h->pool, msg, sizeof(msg)))
		fail_run(h, "zbud_check_pool: %s", msg);
	check_stats(h);
}

/* ---- Set-up and the tests ---- */

static uint64_t env_u64(const char *name, uint64_t fallback)
{
	const char *s = getenv(name);
	char *end;
	uint64_t v;

	if (!s || !*s)
		return fallback;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		fail_msg("%s=%s is not a number", name, s);
	return v;
}

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
	h->seed = h->rng = env_u64("ZBUD_TEST_SEED", DEFAULT_SEED);
	h->max_target = p->max_target;
	set_init(&h->objs);
	set_init(&h->model->pages);
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
	free(h->model->of_real);
	free(h->model);
	free(h->at);
	free(h);
	current = NULL;
	return 0;
}

static void run(struct harness *h, uint64_t ops)
{
	print_message("seed %" PRIu64 ", %" PRIu64 " operations\n", h->seed, ops);
	drift(h);
	h->target = h->max_target; /* fill the pool first */
	for (h->op = 0; h->op < ops; h->op++) {
		step(h);
		if (h->op % CHECK_EVERY == CHECK_EVERY - 1)
			check_all(h);
	}
	check_all(h);
	while (h->objs.n) {
		int slot = h->objs.member[0];

		model_free(h->model, h->obj[slot].page, h->obj[slot].bud);
		object_release(h, slot);
	}
	expect_eq(h, "pages", (long long)zbud_get_pool_size(h->pool), 0);
	check_all(h);
	print_message("%" PRIu64 " objects, %" PRIu64 " evicted, %" PRIu64 " -ENOMEM\n",
		      h->next_id, h->evictions, h->enomem);
}

static void test_model_arena(void **state)
{
	run(*state, env_u64("ZBUD_MODEL_OPS", DEFAULT_OPS));
}

static void test_model_fixed_buffer(void **state)
{
	struct harness *h = *state;

	run(h, env_u64("ZBUD_MODEL_OPS", DEFAULT_OPS) / 5);
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
