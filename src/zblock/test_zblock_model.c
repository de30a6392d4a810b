/*
 * test_zblock_model.c - zblock against a reference model, one random
 * operation at a time
 *
 * The model is the rules of src/zblock (zblock_internal.h tells them)
 * written as plainly as possible: each type's list of open blocks is an
 * ordered array, each block an array of slots, each stack of free runs an
 * array, and every decision a scan.  Block types it takes from the pool:
 * test_zblock.c checks them against the rule.  The rules:
 *
 *   allocation    the head of the type's list, else a new block at the head;
 *                 its lowest free slot; a block that fills leaves the list
 *   free          a full block that gets a slot back goes to the tail; an
 *                 empty block goes at once, its run with it
 *   a run of n    the top hot run of n, else the top cold one, else n fresh
 *                 pages from the source's never-used end, else the shortest
 *                 longer run (hot first) cut: its head is taken, the rest
 *                 goes back as runs of 8, 4, 2, 1 pages, hot as it was
 *   a freed run   hot, at the top; past 64 + (pages in blocks) / 32 resident
 *                 pages (an arena only), hot runs go cold, the longest
 *                 lengths' tops first, down to half of that; the pool's
 *                 last block gone, every page goes back to the source
 *
 * The pool and the model see the same operations.  After each one the test
 * compares the return code, the handle (which says the block's page and the
 * slot), and the pool's pages with the model's.  Every object holds a
 * pattern made from a unique ID, checked when it is freed or mapped, and
 * every CHECK_EVERY operations for all objects, with zblock_check_pool(),
 * the per-type counts and every free-run stack, run by run.
 *
 * ZBUD_TEST_SEED and ZBUD_MODEL_OPS override the seed and the operation
 * count (the fixed-buffer test runs a fifth of it); a failure prints the seed.
 */
#include "model_util.h"
#include "zblock_internal.h"

#define DEFAULT_SEED 0x7a626c6f63ULL /* "zbloc" */
#define MAX_OBJECTS 2048
#define MAX_BLOCKS (MAX_OBJECTS + 64)
/* On average, operations between two redraws of the target population. */
#define DRIFT_PERIOD 20000

/* ---- The model ---- */

struct mtype {
	int size, slots, pages;
	int list[MAX_BLOCKS], len;      /* open blocks, head first */
	int blocks, objects;
};

struct mblock {
	int type, inuse;
	uint32_t first;
	int obj[ZBLOCK_MAX_SLOTS];      /* object in each slot, or -1 */
};

struct stack {
	uint32_t *run;
	size_t n, cap;
};

struct mruns {
	struct stack s[2][ZBLOCK_MAX_BLOCK_PAGES + 1]; /* [hot][pages] */
	uint64_t resident, pages;
	uint32_t next, capacity, most;  /* most: the highest next seen */
	uint64_t cuts;                  /* runs cut from longer ones */
	bool arena;
};

struct model {
	struct mtype type[ZBLOCK_MAX_TYPES];
	int ntypes;
	struct index_set blocks;
	struct mblock b[MAX_BLOCKS];
	struct mruns runs;
	uint64_t pages;                 /* in blocks */
};

static void push(struct stack *s, uint32_t first)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->run = realloc(s->run, s->cap * sizeof(*s->run));
		assert_non_null(s->run);
	}
	s->run[s->n++] = first;
}

static void push_run(struct mruns *r, uint32_t first, unsigned int n, bool hot)
{
	push(&r->s[hot][n], first);
	r->pages += n;
	r->resident += hot ? n : 0;
}

static uint32_t pop_run(struct mruns *r, unsigned int n, bool hot)
{
	r->pages -= n;
	r->resident -= hot ? n : 0;
	return r->s[hot][n].run[--r->s[hot][n].n];
}

static void push_pieces(struct mruns *r, uint32_t first, unsigned int n, bool hot)
{
	for (unsigned int len = ZBLOCK_MAX_BLOCK_PAGES; n; len /= 2)
		while (n >= len) {
			push_run(r, first, len, hot);
			first += len;
			n -= len;
		}
}

static bool run_get(struct mruns *r, unsigned int n, uint32_t *first)
{
	for (int hot = 1; hot >= 0; hot--)
		if (r->s[hot][n].n) {
			*first = pop_run(r, n, hot);
			return true;
		}
	if (r->capacity - r->next >= n) {
		*first = r->next;
		r->next += n;
		r->most = r->next > r->most ? r->next : r->most;
		return true;
	}
	for (unsigned int len = 2 * n; len <= ZBLOCK_MAX_BLOCK_PAGES; len *= 2)
		for (int hot = 1; hot >= 0; hot--)
			if (r->s[hot][len].n) {
				*first = pop_run(r, len, hot);
				push_pieces(r, *first + n, len - n, hot);
				r->cuts++;
				return true;
			}
	return false;
}

static void run_put(struct mruns *r, uint32_t first, unsigned int n, uint64_t in_blocks)
{
	uint64_t limit = ZBLOCK_RUN_CACHE_MIN + in_blocks / ZBLOCK_RUN_CACHE_DIV;

	if (!in_blocks) {
		for (int hot = 0; hot < 2; hot++)
			for (unsigned int len = 0; len <= ZBLOCK_MAX_BLOCK_PAGES; len++)
				r->s[hot][len].n = 0;
		r->resident = r->pages = 0;
		r->next = 0;
		return;
	}
	push_run(r, first, n, true);
	if (!r->arena || r->resident <= limit)
		return;
	for (unsigned int len = ZBLOCK_MAX_BLOCK_PAGES; len; len /= 2)
		while (r->s[1][len].n && r->resident > limit / 2)
			push_run(r, pop_run(r, len, true), len, false);
}

static int lowest_free(const struct mblock *b, int slots)
{
	for (int s = 0; s < slots; s++)
		if (b->obj[s] < 0)
			return s;
	return -1;
}

static void list_remove(struct mtype *t, int b)
{
	int at = 0;

	while (t->list[at] != b)
		at++;
	memmove(&t->list[at], &t->list[at + 1], (size_t)(t->len - at - 1) * sizeof(int));
	t->len--;
}

/* ---- The pool's side ---- */

struct object {
	uint64_t id;
	unsigned long handle;
	size_t size;
	int block, slot;
};

struct params {
	int max_target;
	size_t buffer_pages;    /* 0: the default arena, else a fixed buffer */
};

struct harness {
	struct model_run run;
	uint64_t next_id;
	struct zblock_pool *pool;
	void *buffer;
	struct model *model;
	struct index_set objs;
	struct object obj[MAX_OBJECTS];
	struct stale_ring stale;
	int target, max_target;
	uint64_t enomem;
};

static void verify_bytes(const struct harness *h, const struct object *o)
{
	if (!pattern_intact(zblock_map(h->pool, o->handle), o->size, o->id))
		fail_run(&h->run, "object %" PRIu64 " (handle %lu, %zu bytes) was overwritten",
			 o->id, o->handle, o->size);
}

/* The model's decision for a new object @o of @size: 0 and its block and
 * slot, or the error. */
static int model_alloc(struct harness *h, size_t size, int o)
{
	struct model *m = h->model;
	struct mtype *t;
	struct mblock *b;
	int ti, bi, s;

	if (size == 0)
		return -EINVAL;
	if (size > ZBLOCK_MAX_SIZE)
		return -ENOSPC;
	ti = (int)(zblock_size_type(h->pool, size) - h->pool->type);
	t = &m->type[ti];
	if (!t->len) {
		uint32_t first;

		if (!run_get(&m->runs, (unsigned int)t->pages, &first))
			return -ENOMEM;
		bi = set_take(&m->blocks);
		m->b[bi] = (struct mblock){ .type = ti, .first = first };
		for (int k = 0; k < ZBLOCK_MAX_SLOTS; k++)
			m->b[bi].obj[k] = -1;
		memmove(&t->list[1], &t->list[0], (size_t)t->len * sizeof(int));
		t->list[0] = bi;
		t->len++;
		t->blocks++;
		m->pages += (uint64_t)t->pages;
	}
	bi = t->list[0];
	b = &m->b[bi];
	s = lowest_free(b, t->slots);
	b->obj[s] = o;
	if (++b->inuse == t->slots)
		list_remove(t, bi);
	t->objects++;
	h->obj[o].block = bi;
	h->obj[o].slot = s;
	return 0;
}

static void model_free(struct harness *h, int o)
{
	struct model *m = h->model;
	struct mblock *b = &m->b[h->obj[o].block];
	struct mtype *t = &m->type[b->type];
	bool was_full = b->inuse == t->slots;

	b->obj[h->obj[o].slot] = -1;
	t->objects--;
	if (--b->inuse == 0) {
		if (!was_full)
			list_remove(t, h->obj[o].block);
		t->blocks--;
		m->pages -= (uint64_t)t->pages;
		set_put(&m->blocks, h->obj[o].block);
		run_put(&m->runs, b->first, (unsigned int)t->pages, m->pages);
	} else if (was_full) {
		t->list[t->len++] = h->obj[o].block;
	}
}

static unsigned long model_handle(const struct harness *h, int o)
{
	const struct mblock *b = &h->model->b[h->obj[o].block];

	/* the block's first page above 15 bits of offset in the block */
	return ((unsigned long)b->first << 15 |
		(unsigned long)h->obj[o].slot * (unsigned long)h->model->type[b->type].size) + 1;
}

/* ---- Operations ---- */

/* Mostly sizes like LZ4's output on a real heap, then any size, then the
 * edges of types and limits. */
static size_t random_size(struct harness *h)
{
	static const size_t edge[] = {
		0, 1, 64, 65, 128, 904, 905, 1056, 1057, 2048, 2049, 4095, 4096, 4097,
		1UL << 20, SIZE_MAX,
	};
	unsigned int r = below(&h->run, 100);

	if (r < 75)
		return lz4_heap_size(&h->run);
	if (r < 85)
		return 1 + below(&h->run, 300);
	if (r < 93)
		return 1 + below(&h->run, ZBLOCK_MAX_SIZE);
	return edge[below(&h->run, sizeof(edge) / sizeof(edge[0]))];
}

static int random_live(struct harness *h)
{
	return h->objs.member[below(&h->run, (unsigned int)h->objs.n)];
}

static void op_alloc(struct harness *h)
{
	size_t size = random_size(h);
	int o = set_take(&h->objs);
	unsigned long handle = 0;
	int want = model_alloc(h, size, o);
	int rc = zblock_alloc(h->pool, size, &handle);
	struct object *obj = &h->obj[o];

	expect_eq(&h->run, "zblock_alloc", rc, want);
	if (rc) {
		set_put(&h->objs, o);
		h->enomem += rc == -ENOMEM;
		return;
	}
	obj->id = h->next_id++;
	obj->handle = handle;
	obj->size = size;
	expect_eq(&h->run, "handle", (long long)handle, (long long)model_handle(h, o));
	pattern_fill(zblock_map(h->pool, handle), size, obj->id);
}

static void release(struct harness *h, int o)
{
	struct object *obj = &h->obj[o];

	verify_bytes(h, obj);
	model_free(h, o);
	zblock_free(h->pool, obj->handle);
	stale_add(&h->stale, obj->handle);
	set_put(&h->objs, o);
}

static void op_free(struct harness *h)
{
	release(h, random_live(h));
}

/* A freed handle freed again, or any number at all: ignored, unless it
 * names a live slot (then the next full check would see the damage). */
static void op_free_bogus(struct harness *h)
{
	unsigned long handle;
	uint32_t first;
	unsigned int slot;

	if (below(&h->run, 2) || !stale_pick(&h->stale, &h->run, &handle))
		handle = ((unsigned long)below(&h->run, h->model->runs.next + 2) << 15) +
			 below(&h->run, 8 * ZBUD_PAGE_SIZE) + 1;
	if (!zblock_handle_slot(h->pool, handle, &first, &slot))
		zblock_free(h->pool, handle);
}

static void op_map(struct harness *h)
{
	struct object *obj = &h->obj[random_live(h)];
	unsigned char *p = zblock_map(h->pool, obj->handle);

	if (!pattern_intact(p, obj->size, obj->id))
		fail_run(&h->run, "object %" PRIu64 " was overwritten", obj->id);
	obj->id = h->next_id++;
	pattern_fill(p, obj->size, obj->id);
}

static void drift(struct harness *h)
{
	h->target = draw_target(&h->run, h->max_target);
}

static void step(struct harness *h)
{
	bool grow = h->objs.n < h->target;
	unsigned int r = below(&h->run, 1000);

	if (below(&h->run, DRIFT_PERIOD) == 0)
		drift(h);
	if (h->objs.n == 0 || (h->objs.n < MAX_OBJECTS && r < (grow ? 500u : 250u)))
		op_alloc(h);
	else if (r < 700)
		op_free(h);
	else if (r < 990)
		op_map(h);
	else
		op_free_bogus(h);
	expect_eq(&h->run, "pages", (long long)zblock_get_total_pages(h->pool),
		  (long long)h->model->pages);
}

/* ---- Full checks ---- */

static void check_runs(const struct harness *h)
{
	const struct zblock_runs *r = &h->pool->runs;
	const struct mruns *m = &h->model->runs;

	expect_eq(&h->run, "pages given by the source", h->pool->src.next, m->next);
	expect_eq(&h->run, "pages in free runs", (long long)r->pages, (long long)m->pages);
	expect_eq(&h->run, "resident free pages", (long long)r->resident, (long long)m->resident);
	for (int hot = 0; hot < 2; hot++)
		for (unsigned int n = 1; n <= ZBLOCK_MAX_BLOCK_PAGES; n *= 2) {
			const struct stack *s = &m->s[hot][n];
			uint32_t p = hot ? r->hot[n] : r->cold[n];

			for (size_t i = s->n; i-- > 0; p = zblock_page(h->pool, p)->next)
				if (p != s->run[i])
					fail_run(&h->run, "%s runs of %u, %zu from the top: page %u, "
						 "model %u", hot ? "hot" : "cold", n, s->n - 1 - i, p,
						 s->run[i]);
			if (p != ZBUD_PAGE_NIL)
				fail_run(&h->run, "%s runs of %u: more than the model's %zu",
					 hot ? "hot" : "cold", n, s->n);
		}
}

static void check_all(const struct harness *h)
{
	static struct zblock_stats st;
	char msg[256];

	for (int i = 0; i < h->objs.n; i++)
		verify_bytes(h, &h->obj[h->objs.member[i]]);
	if (zblock_check_pool(h->pool, msg, sizeof(msg)))
		fail_run(&h->run, "zblock_check_pool: %s", msg);
	zblock_get_stats(h->pool, &st);
	for (int t = 0; t < h->model->ntypes; t++) {
		const struct mtype *mt = &h->model->type[t];

		if (st.type_blocks[t] != (uint64_t)mt->blocks ||
		    st.type_objects[t] != (uint64_t)mt->objects)
			fail_run(&h->run, "type %d (%d B): pool %" PRIu64 " blocks, %" PRIu64
				 " objects; model %d, %d", t, mt->size, st.type_blocks[t],
				 st.type_objects[t], mt->blocks, mt->objects);
	}
	expect_eq(&h->run, "objects", (long long)st.objects, h->objs.n);
	check_runs(h);
}

/* ---- Set-up and the tests ---- */

static int setup(void **state, const struct params *p)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct zbud_source_config cfg = { 0 };
	struct model *m;

	assert_non_null(h);
	m = h->model = calloc(1, sizeof(*h->model));
	assert_non_null(m);
	run_init(&h->run, DEFAULT_SEED);
	h->max_target = p->max_target;
	set_init(&h->objs, MAX_OBJECTS);
	set_init(&m->blocks, MAX_BLOCKS);
	if (p->buffer_pages) {
		cfg.buffer_size = p->buffer_pages * (ZBUD_PAGE_SIZE + sizeof(struct zblock_page)) + 64;
		cfg.buffer = h->buffer = malloc(cfg.buffer_size);
		assert_non_null(h->buffer);
	}
	h->pool = zblock_create_pool(&cfg);
	assert_non_null(h->pool);
	m->ntypes = (int)h->pool->ntypes;
	for (int t = 0; t < m->ntypes; t++)
		m->type[t] = (struct mtype){ .size = h->pool->type[t].size,
					     .slots = h->pool->type[t].slots,
					     .pages = h->pool->type[t].pages };
	m->runs.capacity = h->pool->src.capacity;
	m->runs.arena = !p->buffer_pages;
	*state = h;
	return 0;
}

static int setup_arena(void **state)
{
	static const struct params p = { .max_target = 2000 };

	return setup(state, &p);
}

/* 48 pages hold some 130 of these objects: targets up to 200 run it dry. */
static int setup_buffer(void **state)
{
	static const struct params p = { .max_target = 200, .buffer_pages = 48 };

	return setup(state, &p);
}

static int teardown(void **state)
{
	struct harness *h = *state;

	zblock_destroy_pool(h->pool);
	free(h->buffer);
	for (int hot = 0; hot < 2; hot++)
		for (unsigned int n = 0; n <= ZBLOCK_MAX_BLOCK_PAGES; n++)
			free(h->model->runs.s[hot][n].run);
	free(h->model);
	free(h);
	return 0;
}

static void run(struct harness *h, uint64_t ops)
{
	drift(h);
	h->target = h->max_target; /* fill the pool first */
	run_steps(&h->run, h, ops, step, check_all);
	while (h->objs.n)
		release(h, h->objs.member[0]);
	expect_eq(&h->run, "pages", (long long)zblock_get_total_pages(h->pool), 0);
	check_all(h);
	expect_eq(&h->run, "pages given by an empty pool's source", h->pool->src.next, 0);
	print_message("%" PRIu64 " objects, %" PRIu64 " -ENOMEM, %u pages given at most, %" PRIu64
		      " runs cut\n", h->next_id, h->enomem, h->model->runs.most, h->model->runs.cuts);
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
	assert_true(h->model->runs.cuts > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_model_arena, setup_arena, teardown),
		cmocka_unit_test_setup_teardown(test_model_fixed_buffer, setup_buffer, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
