/*
 * test_zsmalloc_model.c - zsmalloc against a reference model, one random
 * operation at a time
 *
 * The model is the placement rules of src/zsmalloc.c (as
 * zsmalloc_internal.h tells, in both geometries; setup() with no geometry
 * is ours) written as plainly as possible: each zspage
 * is an array of slots, each fullness list an ordered array, and every
 * decision a scan.  Class geometry (slot size, pages and slots per zspage)
 * it takes from the pool: test_zsmalloc.c checks that against the kernel's
 * rules.  The rules:
 *
 *   group(n)      0: empty, all slots: full, n < 3/4 of the slots + 1:
 *                 ZS_ALMOST_EMPTY, else ZS_ALMOST_FULL
 *   allocation    the first zspage of ZS_ALMOST_FULL, else of
 *                 ZS_ALMOST_EMPTY, else a new one; its lowest free slot
 *   a new group   at the front of its list, unless the front zspage has
 *                 more objects, then second; full zspages on no list
 *   free          an empty zspage goes at once
 *   compaction    per class, (slots - objects) / slots per zspage of its
 *                 zspages, sparsest first (ties: ZS_ALMOST_EMPTY's order,
 *                 then ZS_ALMOST_FULL's), leave their lists; their objects
 *                 move in handle order to where allocation would put them,
 *                 but for mapped ones; sources left go back in order
 *
 * The pool and the model see the same operations.  After each one the test
 * compares the return code and the pool's pages with the model's; a new
 * object's zspage (paired with the pool's first page when both are made)
 * and slot; and after compaction, the pages freed and every object's place.
 * Every object holds a pattern made from a unique ID, checked when it is
 * freed or mapped, and every CHECK_EVERY operations for all objects, along
 * with zs_check_pool() and the per-class counts of zs_get_stats().
 *
 * ZBUD_TEST_SEED and ZBUD_MODEL_OPS override the seed and the operation
 * count (the fixed-buffer test runs a fifth of it); a failure prints the seed.
 */
#include "zsmalloc_model.h"

#define DEFAULT_SEED 0x7a736d616cULL /* "zsmal" */
#define MAX_PINS 4              /* objects mapped across a compaction */
/* On average, operations between two redraws of the target population. */
#define DRIFT_PERIOD 20000

/* ---- The pool's side ---- */

struct object {
	uint64_t id;            /* unique in the run: seeds the byte pattern */
	unsigned long handle;
	size_t size;
	int cls, zspage, slot;  /* where the model has it */
	bool pinned;            /* mapped across a compaction */
};

struct params {
	int max_target;
	size_t buffer_pages;    /* 0: the default arena, else a fixed buffer */
	struct zs_config geometry;
};

struct harness {
	struct model_run run;
	uint64_t next_id;
	struct zs_pool *pool;
	void *buffer;
	struct model *model;
	struct index_set objs;
	struct object obj[MAX_OBJECTS];
	struct stale_ring stale;
	int target, max_target;
	uint64_t enomem, compactions, moved_pages, pinned;
};

static void verify_bytes(const struct harness *h, const struct object *o)
{
	const unsigned char *p = zs_map_object(h->pool, o->handle, ZS_MM_RO);

	if (!p || !pattern_intact(p, o->size, o->id))
		fail_run(&h->run, "object %" PRIu64 " (handle %lu, %zu bytes) was overwritten",
			 o->id, o->handle, o->size);
	zs_unmap_object(h->pool, o->handle);
}

/* The pool's place of an object against the model's. */
static void expect_place(const struct harness *h, const struct object *o)
{
	const struct mzspage *z = &h->model->zs[o->zspage];
	unsigned int slot;
	uint32_t first;

	if (!zs_handle_slot(h->pool, o->handle, &first, &slot))
		fail_run(&h->run, "object %" PRIu64 ": handle %lu is not live", o->id, o->handle);
	expect_eq(&h->run, "zspage", first, z->real);
	expect_eq(&h->run, "slot", slot, o->slot);
}

/* ---- Operations ---- */

/* Mostly sizes like LZ4's output on a real heap, then any size, then the
 * edges of classes and limits. */
static size_t random_size(struct harness *h)
{
	static const size_t edge[] = {
		0, 1, 32, 33, 48, 49, 1360, 1361, 1488, 1489, 3264, 3265, 4095, 4096, 4097,
		1UL << 20, SIZE_MAX,
	};
	unsigned int r = below(&h->run, 100);

	if (r < 80)
		return lz4_heap_size(&h->run);
	if (r < 92)
		return 1 + below(&h->run, ZS_MAX_ALLOC_SIZE);
	return edge[below(&h->run, sizeof(edge) / sizeof(edge[0]))];
}

static int random_live(struct harness *h)
{
	return h->objs.member[below(&h->run, (unsigned int)h->objs.n)];
}

static int model_alloc(struct harness *h, size_t size, int o, bool *fresh)
{
	struct model *m = h->model;
	const struct size_class *c;
	int z;

	if (size == 0)
		return -EINVAL;
	if (size > ZS_MAX_ALLOC_SIZE)
		return -ENOSPC;
	c = zs_size_class(h->pool, size);
	z = model_target(m, c->index);
	*fresh = z < 0;
	if (*fresh) {
		if (m->pages + (m->grow ? 1 : c->pages_per_zspage) > m->limit)
			return -ENOMEM;
		z = model_new_zspage(m, c->index);
	} else if (!model_make_room(m, z)) {
		return -ENOMEM;
	}
	h->obj[o].cls = c->index;
	h->obj[o].zspage = z;
	h->obj[o].slot = model_place(m, z, o);
	if (*fresh)
		model_insert(m, z);
	m->cls[c->index]->objects++;
	return 0;
}

static void op_alloc(struct harness *h)
{
	size_t size = random_size(h);
	int o = set_take(&h->objs);
	unsigned long handle = 0;
	bool fresh = false;
	int want = model_alloc(h, size, o, &fresh);
	int rc = zs_malloc(h->pool, size, &handle);
	struct object *obj = &h->obj[o];
	unsigned char *p;

	expect_eq(&h->run, "zs_malloc", rc, want);
	if (rc) {
		set_put(&h->objs, o);
		h->enomem += rc == -ENOMEM;
		return;
	}
	obj->id = h->next_id++;
	obj->handle = handle;
	obj->size = size;
	obj->pinned = false;
	if (fresh) {
		uint32_t first;
		unsigned int slot;

		assert_true(zs_handle_slot(h->pool, handle, &first, &slot));
		if (!model_bind(h->model, obj->zspage, first))
			fail_run(&h->run, "new zspage %u is already in use", first);
	}
	expect_place(h, obj);
	p = zs_map_object(h->pool, handle, ZS_MM_WO);
	pattern_fill(p, size, obj->id);
	zs_unmap_object(h->pool, handle);
}

static void release(struct harness *h, int o)
{
	struct object *obj = &h->obj[o];

	verify_bytes(h, obj);
	model_unplace(h->model, obj->zspage, obj->slot);
	h->model->cls[obj->cls]->objects--;
	zs_free(h->pool, obj->handle);
	stale_add(&h->stale, obj->handle);
	set_put(&h->objs, o);
}

static void op_free(struct harness *h)
{
	release(h, random_live(h));
}

/* A freed handle, freed again: ignored, unless it is live once more. */
static void op_free_stale(struct harness *h)
{
	unsigned long handle;
	uint32_t first;
	unsigned int slot;

	if (stale_pick(&h->stale, &h->run, &handle) &&
	    !zs_handle_slot(h->pool, handle, &first, &slot))
		zs_free(h->pool, handle); /* the next full check sees any damage */
}

/* Map one object: read it, rewrite it, or both. */
static void op_map(struct harness *h)
{
	static const enum zs_mapmode modes[] = { ZS_MM_RO, ZS_MM_RW, ZS_MM_WO };
	struct object *obj = &h->obj[random_live(h)];
	enum zs_mapmode mm = modes[below(&h->run, 3)];
	unsigned char *p = zs_map_object(h->pool, obj->handle, mm);

	if (!p)
		fail_run(&h->run, "zs_map_object(%lu) failed", obj->handle);
	if (mm != ZS_MM_WO && !pattern_intact(p, obj->size, obj->id))
		fail_run(&h->run, "object %" PRIu64 " was overwritten", obj->id);
	if (mm != ZS_MM_RO) {
		obj->id = h->next_id++;
		pattern_fill(p, obj->size, obj->id);
	}
	zs_unmap_object(h->pool, obj->handle);
}

/* qsort() has no argument for the comparison: the objects sorted. */
static const struct object *sorting;

/* Handle order is the order of the handle table's entries, which compaction
 * walks: the index, not the hint above it. */
static int cmp_by_handle(const void *a, const void *b)
{
	uint32_t x = zs_handle_index(sorting[*(const int *)a].handle),
		 y = zs_handle_index(sorting[*(const int *)b].handle);

	return (x > y) - (x < y);
}

/* Per class, the zspages compaction takes, in the order it takes them. */
static int model_isolate(struct model *m, int ci, int *taken, int n)
{
	struct mclass *c = m->cls[ci];
	int spare = c->zspages - (c->objects + c->slots - 1) / c->slots, cand[MAX_ZSPAGES], k = 0;

	for (int l = 0; l < 2; l++)
		for (int i = 0; i < c->len[l]; i++)
			cand[k++] = c->list[l][i];
	/* A stable sort by objects in use: insertion sort, fine at this size. */
	for (int i = 1; i < k; i++) {
		int z = cand[i], j = i;

		for (; j > 0 && m->zs[cand[j - 1]].inuse > m->zs[z].inuse; j--)
			cand[j] = cand[j - 1];
		cand[j] = z;
	}
	for (int i = 0; i < spare; i++) {
		model_remove(m, cand[i], group(c, m->zs[cand[i]].inuse));
		m->zs[cand[i]].isolated = true;
		taken[n++] = cand[i];
	}
	return n;
}

/* Ours: objects of zspages that are not full, past as many slots as they
 * have objects, to the lowest free slot (in handle order, not if mapped);
 * then every such zspage shrunk. */
static void model_pack_low(struct harness *h, const int *order)
{
	struct model *m = h->model;

	for (int i = 0; i < h->objs.n; i++) {
		struct object *obj = &h->obj[order[i]];
		struct mzspage *z = &m->zs[obj->zspage];
		int s;

		if (obj->pinned || z->inuse == m->cls[z->cls]->slots || obj->slot < z->inuse)
			continue;
		s = model_lowest_free(m, obj->zspage);
		z->obj[s] = order[i];
		z->obj[obj->slot] = -1;
		obj->slot = s;
	}
	for (int ci = 0; ci < ZS_SIZE_CLASSES; ci++)
		for (int l = 0; m->cls[ci] && l < 2; l++)
			for (int i = 0; i < m->cls[ci]->len[l]; i++)
				model_shrink(m, m->cls[ci]->list[l][i]);
}

static uint64_t model_compact(struct harness *h)
{
	struct model *m = h->model;
	static int taken[MAX_ZSPAGES], order[MAX_OBJECTS];
	const int pages = m->pages;
	int n = 0;

	for (int ci = 0; ci < ZS_SIZE_CLASSES; ci++)
		if (m->cls[ci])
			n = model_isolate(m, ci, taken, n);
	for (int i = 0; i < h->objs.n; i++)
		order[i] = h->objs.member[i];
	sorting = h->obj;
	qsort(order, (size_t)h->objs.n, sizeof(order[0]), cmp_by_handle);
	for (int i = 0; i < h->objs.n; i++) {
		struct object *obj = &h->obj[order[i]];
		int src = obj->zspage, slot = obj->slot, dst;

		if (!m->zs[src].isolated || obj->pinned)
			continue;
		dst = model_target(m, obj->cls);
		if (dst < 0 || !model_make_room(m, dst))
			continue;
		obj->zspage = dst;
		obj->slot = model_place(m, dst, order[i]);
		m->zs[src].obj[slot] = -1;
		if (--m->zs[src].inuse == 0)
			model_drop_zspage(m, src);
	}
	for (int i = 0; i < n; i++) {
		struct mzspage *z = &m->zs[taken[i]];

		if (z->isolated && z->inuse) {
			z->isolated = false;
			model_insert(m, taken[i]);
		}
	}
	if (m->grow)
		model_pack_low(h, order);
	return (uint64_t)(pages - m->pages);
}

/* An object in the @rank-th sparsest zspage of class @ci (or, if there are
 * not so many, any object): where compaction starts. */
static int sparse_object(struct harness *h, int ci, int rank)
{
	const struct model *m = h->model;
	const struct mclass *c = m->cls[ci];
	int cand[MAX_ZSPAGES], n = 0;

	for (int l = 0; l < 2; l++)
		for (int i = 0; i < c->len[l]; i++)
			cand[n++] = c->list[l][i];
	if (rank >= n)
		return random_live(h);
	for (int i = 0; i <= rank; i++)         /* a partial selection sort */
		for (int j = i + 1; j < n; j++)
			if (m->zs[cand[j]].inuse < m->zs[cand[i]].inuse) {
				int t = cand[i];

				cand[i] = cand[j];
				cand[j] = t;
			}
	for (int s = 0;; s++)
		if (m->zs[cand[rank]].obj[s] >= 0)
			return m->zs[cand[rank]].obj[s];
}

/* Compaction, now and then with objects mapped across it: mostly in the
 * sparsest zspages of one class, which compaction empties first, so that
 * some stay and go back on their lists.  (A thread may map two straddling
 * objects at once: a refused map pins nothing.) */
static void op_compact(struct harness *h)
{
	int pin[MAX_PINS], npin = 0;
	int tries = below(&h->run, 3) ? 0 : 1 + (int)below(&h->run, MAX_PINS);
	int ci = h->objs.n ? h->obj[random_live(h)].cls : 0;
	uint64_t want, got;

	for (int i = 0; i < tries; i++) {
		int o = below(&h->run, 4) ? sparse_object(h, ci, i) : random_live(h);

		if (h->obj[o].pinned || !zs_map_object(h->pool, h->obj[o].handle, ZS_MM_RO))
			continue;
		h->obj[o].pinned = true;
		pin[npin++] = o;
		h->pinned++;
	}
	want = model_compact(h);
	got = zs_compact(h->pool);
	expect_eq(&h->run, "pages freed by compaction", (long long)got, (long long)want);
	h->compactions++;
	h->moved_pages += got;
	for (int i = 0; i < npin; i++) {
		zs_unmap_object(h->pool, h->obj[pin[i]].handle);
		h->obj[pin[i]].pinned = false;
	}
	for (int i = 0; i < h->objs.n; i++)
		expect_place(h, &h->obj[h->objs.member[i]]);
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
	else if (r < 980)
		op_map(h);
	else if (r < 990)
		op_compact(h);
	else
		op_free_stale(h);
	expect_eq(&h->run, "pages", (long long)zs_get_total_pages(h->pool), h->model->pages);
}

/* ---- Full checks ---- */

static void check_stats(const struct harness *h)
{
	static struct zs_stats st;
	static int present[ZS_SIZE_CLASSES];
	const struct model *m = h->model;

	zs_get_stats(h->pool, &st);
	memset(present, 0, sizeof(present));
	for (int i = 0; i < m->zspages.n; i++) {
		const struct mzspage *z = &m->zs[m->zspages.member[i]];

		present[z->cls] += m->cls[z->cls]->cap[z->npages];
	}
	for (int ci = 0; ci < ZS_SIZE_CLASSES; ci++) {
		const struct mclass *c = m->cls[ci];
		const uint64_t *s = st.class_stat[ci];

		if (!c)
			continue;
		if (s[ZS_EMPTY] || s[ZS_ALMOST_EMPTY] != (uint64_t)c->len[0] ||
		    s[ZS_ALMOST_FULL] != (uint64_t)c->len[1] || s[ZS_FULL] != (uint64_t)c->full ||
		    s[ZS_OBJ_ALLOCATED] != (uint64_t)present[ci] ||
		    s[ZS_OBJ_USED] != (uint64_t)c->objects)
			fail_run(&h->run, "class %d: pool %" PRIu64 "/%" PRIu64 "/%" PRIu64
				 " zspages, %" PRIu64 " of %" PRIu64 " slots; "
				 "model %d/%d/%d, %d of %d", c->size, s[ZS_ALMOST_EMPTY],
				 s[ZS_ALMOST_FULL], s[ZS_FULL], s[ZS_OBJ_USED], s[ZS_OBJ_ALLOCATED],
				 c->len[0], c->len[1], c->full, c->objects, present[ci]);
	}
	expect_eq(&h->run, "objects", (long long)st.objects, h->objs.n);
}

static void check_all(const struct harness *h)
{
	char msg[256];

	for (int i = 0; i < h->objs.n; i++) {
		verify_bytes(h, &h->obj[h->objs.member[i]]);
		expect_place(h, &h->obj[h->objs.member[i]]);
	}
	if (zs_check_pool(h->pool, msg, sizeof(msg)))
		fail_run(&h->run, "zs_check_pool: %s", msg);
	check_stats(h);
}

static int setup(void **state, const struct params *p)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct zbud_source_config cfg = { 0 };

	assert_non_null(h);
	h->model = calloc(1, sizeof(*h->model));
	assert_non_null(h->model);
	run_init(&h->run, DEFAULT_SEED);
	h->max_target = p->max_target;
	set_init(&h->objs, MAX_OBJECTS);
	if (p->buffer_pages) {
		cfg.buffer_size = p->buffer_pages * (ZBUD_PAGE_SIZE + sizeof(struct zs_page)) + 64;
		cfg.buffer = h->buffer = malloc(cfg.buffer_size);
		assert_non_null(h->buffer);
	}
	h->pool = zs_create_pool(&cfg, &p->geometry);
	assert_non_null(h->pool);
	model_init(h->model, h->pool);
	*state = h;
	return 0;
}

/* Ours, the kernel's as the "zsmalloc-kernel" driver makes it, and the
 * kernel's with chains of 16 and no handle (the longest chains, the most
 * slots a zspage has). */
#define KERNEL { .kernel = true, .handle = true }
#define KERNEL16 { .chain = 16, .kernel = true }

static int setup_arena(void **state)
{
	static const struct params p = { .max_target = 2000 };

	return setup(state, &p);
}

static int setup_arena_kernel(void **state)
{
	static const struct params p = { .max_target = 2000, .geometry = KERNEL };

	return setup(state, &p);
}

static int setup_arena_kernel16(void **state)
{
	static const struct params p = { .max_target = 2000, .geometry = KERNEL16 };

	return setup(state, &p);
}

/* 48 pages hold some 130 of these objects: targets up to 200 run it dry. */
static int setup_buffer(void **state)
{
	static const struct params p = { .max_target = 200, .buffer_pages = 48 };

	return setup(state, &p);
}

static int setup_buffer_kernel(void **state)
{
	static const struct params p = { .max_target = 200, .buffer_pages = 48,
					 .geometry = KERNEL };

	return setup(state, &p);
}

static int teardown(void **state)
{
	struct harness *h = *state;

	zs_destroy_pool(h->pool);
	free(h->buffer);
	for (int ci = 0; ci < ZS_SIZE_CLASSES; ci++)
		free(h->model->cls[ci]);
	free(h->model->of_real.of);
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
	expect_eq(&h->run, "pages", (long long)zs_get_total_pages(h->pool), 0);
	check_all(h);
	print_message("%" PRIu64 " objects, %" PRIu64 " compactions freed %" PRIu64
		      " pages (%" PRIu64 " objects mapped across one), %" PRIu64 " -ENOMEM\n",
		      h->next_id, h->compactions, h->moved_pages, h->pinned, h->enomem);
}

static void test_model_arena(void **state)
{
	run(*state, model_ops());
}

static void test_model_arena_fifth(void **state)
{
	run(*state, model_ops() / 5);
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
		cmocka_unit_test_setup_teardown(test_model_arena, setup_arena_kernel, teardown),
		cmocka_unit_test_setup_teardown(test_model_arena_fifth, setup_arena_kernel16, teardown),
		cmocka_unit_test_setup_teardown(test_model_fixed_buffer, setup_buffer, teardown),
		cmocka_unit_test_setup_teardown(test_model_fixed_buffer, setup_buffer_kernel, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
