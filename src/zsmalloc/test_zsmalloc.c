/*
 * test_zsmalloc.c - the zsmalloc driver: one test per rule of Linux's
 * mm/zsmalloc.c (v6.1) kept here, maps, compaction, density, threads, failed
 * page allocations and the invariant checker
 *
 * The randomized comparison against a reference model is
 * test_zsmalloc_model.c.  ZBUD_STRESS_MS overrides how long the thread test
 * runs.
 */
#define ZPOOL_STATIC_LINKING_ONLY
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fault.h"
#include "stress_util.h"
#include "zpool.h"
#include "zpool_driver.h"
#include "zsmalloc_internal.h"


/* ---- Helpers ---- */

/* The kernel's geometry with v6.1's chains of at most 4 pages and no handle
 * in the objects: what these rules were written for.  Ours (growing
 * zspages) is test_zsmalloc_dense.c's. */
static const struct zs_config kernel4 = { .chain = 4, .kernel = true };

static struct zs_pool *new_pool(void)
{
	static const struct zbud_source_config arena;
	struct zs_pool *pool = zs_create_pool(&arena, &kernel4);

	assert_non_null(pool);
	return pool;
}

static void check_ok(struct zs_pool *pool)
{
	char msg[256];

	if (zs_check_pool(pool, msg, sizeof(msg)))
		fail_msg("zs_check_pool: %s", msg);
}

static unsigned long alloc_ok(struct zs_pool *pool, size_t size)
{
	unsigned long h = 0;

	assert_int_equal(zs_malloc(pool, size, &h), 0);
	assert_true(h != 0);
	return h;
}

static unsigned int slot_of(struct zs_pool *pool, unsigned long h, uint32_t *first)
{
	unsigned int slot;
	uint32_t f;

	assert_true(zs_handle_slot(pool, h, &f, &slot));
	if (first)
		*first = f;
	return slot;
}

static uint32_t zspage_of(struct zs_pool *pool, unsigned long h)
{
	uint32_t first;

	slot_of(pool, h, &first);
	return first;
}

/* Byte k of object @id: distinct per object and offset. */
static unsigned char pattern(uint64_t id, size_t k)
{
	uint64_t x = (id + 1) * 0x9e3779b97f4a7c15ULL + k * 0xd6e8feb86659fd93ULL;

	return (unsigned char)(x >> 56);
}

static void fill(struct zs_pool *pool, unsigned long h, size_t size, uint64_t id)
{
	unsigned char *p = zs_map_object(pool, h, ZS_MM_WO);

	assert_non_null(p);
	for (size_t k = 0; k < size; k++)
		p[k] = pattern(id, k);
	zs_unmap_object(pool, h);
}

static bool intact(struct zs_pool *pool, unsigned long h, size_t size, uint64_t id)
{
	const unsigned char *p = zs_map_object(pool, h, ZS_MM_RO);
	bool ok = p != NULL;

	for (size_t k = 0; ok && k < size; k++)
		ok = p[k] == pattern(id, k);
	zs_unmap_object(pool, h);
	return ok;
}

static uint64_t rng(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Pages the live objects need at best: full zspages but the last of each
 * class, from the pool's own per-class counts. */
static uint64_t packed_pages(struct zs_pool *pool)
{
	static struct zs_stats st;
	uint64_t pages = 0;

	zs_get_stats(pool, &st);
	for (int i = 0; i < ZS_SIZE_CLASSES; i++) {
		const struct size_class *c = &pool->class[i];
		uint64_t used = st.class_stat[i][ZS_OBJ_USED];

		if (pool->class_of[i] == i)
			pages += (used + c->objs_per_zspage - 1) / c->objs_per_zspage *
				 c->pages_per_zspage;
	}
	return pages;
}

/* ---- Size classes ---- */

struct ref_class {
	unsigned int size, pages, objs;
};

/* The kernel's rules (6.3's chain: the fewest pages of 1 to 4 that leave
 * the least unused; one for a power of two), written out again as plainly
 * as possible. */
static void ref_classes(struct ref_class ref[ZS_SIZE_CLASSES])
{
	for (int i = 0; i < ZS_SIZE_CLASSES; i++) {
		unsigned int size = 32 + 16 * (unsigned int)i, least = 4096, pages = 1;

		for (unsigned int k = 1; k <= 4 && (size & (size - 1)); k++)
			if (k * 4096 % size < least) {
				least = k * 4096 % size;
				pages = k;
			}
		ref[i] = (struct ref_class){ size, pages, pages * 4096 / size };
	}
	/* Merging, from the top: a class like the one above it takes its place. */
	for (int i = ZS_SIZE_CLASSES - 2; i >= 0; i--)
		if (ref[i].pages == ref[i + 1].pages && ref[i].objs == ref[i + 1].objs)
			ref[i] = ref[i + 1];
}

static void test_class_table(void **state)
{
	struct ref_class ref[ZS_SIZE_CLASSES];
	struct zs_pool *pool = new_pool();
	const struct size_class *prev = NULL;
	int distinct = 0;

	(void)state;
	ref_classes(ref);
	for (size_t size = 1; size <= 4096; size++) {
		const struct size_class *c = zs_size_class(pool, size);
		const struct ref_class *r = &ref[size <= 32 ? 0 : (size - 32 + 15) / 16];

		assert_non_null(c);
		assert_true(c->size >= size);
		assert_int_equal(c->size, r->size);
		assert_int_equal(c->pages_per_zspage, r->pages);
		assert_int_equal(c->objs_per_zspage, r->objs);
		if (c != prev)
			distinct++;
		prev = c;
	}
	assert_null(zs_size_class(pool, 0));
	assert_null(zs_size_class(pool, 4097));
	assert_int_equal(distinct, 69); /* of 255 size classes */

	/* A few rows of the kernel's own table (debugfs zsmalloc/classes). */
	static const struct { size_t size; unsigned int class_size, pages, objs; } rows[] = {
		{ 1, 32, 1, 128 },    { 32, 32, 1, 128 },   { 33, 48, 3, 256 },
		{ 1361, 1488, 4, 11 }, { 1488, 1488, 4, 11 }, { 1489, 1536, 3, 8 },
		{ 2048, 2048, 1, 2 }, { 3072, 3072, 3, 4 },  { 3265, 4096, 1, 1 },
		{ 4096, 4096, 1, 1 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct size_class *c = zs_size_class(pool, rows[i].size);

		assert_int_equal(c->size, rows[i].class_size);
		assert_int_equal(c->pages_per_zspage, rows[i].pages);
		assert_int_equal(c->objs_per_zspage, rows[i].objs);
		assert_int_equal(c->almost_full, 3 * rows[i].objs / 4 + 1);
	}
	zs_destroy_pool(pool);
}

static void test_size_limits(void **state)
{
	struct zs_pool *pool = new_pool();
	unsigned long h = 12345;

	(void)state;
	assert_int_equal(zs_malloc(pool, 0, &h), -EINVAL);
	assert_int_equal(zs_malloc(pool, 4097, &h), -ENOSPC);
	assert_int_equal(zs_malloc(pool, SIZE_MAX, &h), -ENOSPC);
	assert_int_equal(h, 12345); /* a failed call changes nothing */
	assert_int_equal(zs_get_total_pages(pool), 0);
	h = alloc_ok(pool, 4096);  /* a page of its own */
	assert_int_equal(zs_get_total_pages(pool), 1);
	alloc_ok(pool, 1);         /* a new zspage of class 32 */
	assert_int_equal(zs_get_total_pages(pool), 2);
	fill(pool, h, 4096, 7);
	assert_true(intact(pool, h, 4096, 7));
	check_ok(pool);
	zs_destroy_pool(pool);
}

/* ---- Placement ---- */

/* A zspage is filled lowest slot first before the next is made. */
static void test_fill_in_order(void **state)
{
	struct zs_pool *pool = new_pool();
	const struct size_class *c = zs_size_class(pool, 1400); /* 1488: 4 pages, 11 */
	unsigned long h[12];

	(void)state;
	for (unsigned int i = 0; i < 11; i++) {
		h[i] = alloc_ok(pool, 1400);
		assert_int_equal(slot_of(pool, h[i], NULL), i);
		assert_int_equal(zspage_of(pool, h[i]), zspage_of(pool, h[0]));
	}
	assert_int_equal(zs_get_total_pages(pool), c->pages_per_zspage);
	h[11] = alloc_ok(pool, 1480);
	assert_int_not_equal(zspage_of(pool, h[11]), zspage_of(pool, h[0]));
	assert_int_equal(slot_of(pool, h[11], NULL), 0);
	assert_int_equal(zs_get_total_pages(pool), 2 * c->pages_per_zspage);
	/* The lowest free slot is reused first. */
	zs_free(pool, h[7]);
	zs_free(pool, h[3]);
	assert_int_equal(slot_of(pool, alloc_ok(pool, 1400), NULL), 3);
	check_ok(pool);
	zs_destroy_pool(pool);
}

static void class_groups(struct zs_pool *pool, const struct size_class *c, uint64_t *ae,
			 uint64_t *af, uint64_t *full)
{
	static struct zs_stats st;

	zs_get_stats(pool, &st);
	*ae = st.class_stat[c->index][ZS_ALMOST_EMPTY];
	*af = st.class_stat[c->index][ZS_ALMOST_FULL];
	*full = st.class_stat[c->index][ZS_FULL];
	assert_int_equal(st.class_stat[c->index][ZS_EMPTY], 0);
}

static void expect_groups(struct zs_pool *pool, const struct size_class *c, uint64_t ae,
			  uint64_t af, uint64_t full)
{
	uint64_t a, b, f;

	class_groups(pool, c, &a, &b, &f);
	assert_int_equal(a, ae);
	assert_int_equal(b, af);
	assert_int_equal(f, full);
}

/*
 * Class 1488 has 11 slots: ZS_ALMOST_EMPTY up to 8 objects, ZS_ALMOST_FULL
 * 9 and 10.  Allocation takes the head of ZS_ALMOST_FULL, else of
 * ZS_ALMOST_EMPTY; a zspage joins a list at the head, unless it has fewer
 * objects than the head, then right after it.
 */
static void test_fullness_groups(void **state)
{
	struct zs_pool *pool = new_pool();
	const struct size_class *c = zs_size_class(pool, 1488);
	unsigned long a[11], b[11], d[11];
	uint32_t za, zb, zd;

	(void)state;
	for (int i = 0; i < 11; i++)
		a[i] = alloc_ok(pool, 1488);
	for (int i = 0; i < 11; i++)
		b[i] = alloc_ok(pool, 1488);
	for (int i = 0; i < 11; i++)
		d[i] = alloc_ok(pool, 1488);
	za = zspage_of(pool, a[0]), zb = zspage_of(pool, b[0]), zd = zspage_of(pool, d[0]);
	expect_groups(pool, c, 0, 0, 3);

	zs_free(pool, a[0]);             /* A: 10, the head of ALMOST_FULL */
	zs_free(pool, a[1]);             /* A: 9, stays where it is */
	zs_free(pool, b[0]);             /* B: 10 >= A's 9: the new head */
	expect_groups(pool, c, 0, 2, 1);
	assert_int_equal(zspage_of(pool, alloc_ok(pool, 1488)), zb); /* B: full again */
	for (int i = 0; i < 4; i++)
		zs_free(pool, d[i]);     /* D: 7, ALMOST_EMPTY */
	expect_groups(pool, c, 1, 1, 1);
	assert_int_equal(zspage_of(pool, alloc_ok(pool, 1488)), za); /* A: 10 */
	assert_int_equal(zspage_of(pool, alloc_ok(pool, 1488)), za); /* A: full */
	expect_groups(pool, c, 1, 0, 2);
	assert_int_equal(zspage_of(pool, alloc_ok(pool, 1488)), zd); /* D: 8 */
	zs_free(pool, a[5]);             /* A: 10, ALMOST_FULL's head */
	assert_int_equal(zspage_of(pool, alloc_ok(pool, 1488)), za); /* not D */
	assert_int_equal(zspage_of(pool, alloc_ok(pool, 1488)), zd); /* D: 9 */
	expect_groups(pool, c, 0, 1, 2);
	check_ok(pool);
	zs_destroy_pool(pool);
}

/*
 * Compaction empties the sparsest zspage of a class, but not of a mapped
 * object, and puts what is left back on its list: after the head, which has
 * more objects.  Freeing every object of a class from 1488's 11 slots, a
 * zspage only ever joins a list at 10, 9, 8 or 1 objects, so this is where
 * the kernel's "fewer than the head" case shows.
 */
static void test_compaction_skips_mapped(void **state)
{
	struct zs_pool *pool = new_pool();
	unsigned long s[11], h[11];
	uint32_t zs, zh;
	void *p;

	(void)state;
	for (int i = 0; i < 11; i++)
		s[i] = alloc_ok(pool, 1488);
	for (int i = 0; i < 11; i++)
		h[i] = alloc_ok(pool, 1488);
	zs = zspage_of(pool, s[0]), zh = zspage_of(pool, h[0]);
	for (int i = 2; i < 11; i++)
		zs_free(pool, s[i]);     /* S: 2 objects, ALMOST_EMPTY */
	for (int i = 5; i < 11; i++)
		zs_free(pool, h[i]);     /* H: 5, joined ALMOST_EMPTY at 8: the head */
	fill(pool, s[0], 1488, 1);
	fill(pool, s[1], 1488, 2);
	p = zs_map_object(pool, s[0], ZS_MM_RO);
	assert_non_null(p);
	/* 15 slots unused: one zspage to spare.  S's s[1] moves to H; s[0] is
	 * mapped, so S stays, with 1 object, behind H (6). */
	assert_int_equal(zs_compact(pool), 0);
	assert_int_equal(zspage_of(pool, s[0]), zs);
	assert_int_equal(zspage_of(pool, s[1]), zh);
	assert_ptr_equal(zs_map_object(pool, s[0], ZS_MM_RO), p); /* still there */
	zs_unmap_object(pool, s[0]);
	check_ok(pool);
	assert_int_equal(zspage_of(pool, alloc_ok(pool, 1488)), zh); /* the head */
	zs_unmap_object(pool, s[0]);
	assert_int_equal(zs_compact(pool), 4);
	assert_int_equal(zspage_of(pool, s[0]), zh);
	assert_true(intact(pool, s[0], 1488, 1));
	assert_true(intact(pool, s[1], 1488, 2));
	assert_int_equal(zs_get_total_pages(pool), 4);
	check_ok(pool);
	zs_destroy_pool(pool);
}

/* Freeing every object frees the zspages, and an empty pool holds nothing,
 * not even handle table entries. */
static void test_empty_pool_holds_nothing(void **state)
{
	struct zs_pool *pool = new_pool();
	static struct zs_stats st;
	unsigned long h[300];
	uint64_t seed = 1;

	(void)state;
	for (int i = 0; i < 300; i++)
		h[i] = alloc_ok(pool, 1 + rng(&seed) % 4096);
	assert_true(zs_get_total_pages(pool) > 10);
	for (int i = 0; i < 300; i++) {
		zs_free(pool, h[i]);
		if (i % 50 == 0)
			check_ok(pool);
	}
	zs_get_stats(pool, &st);
	assert_int_equal(st.pages, 0);
	assert_int_equal(st.objects, 0);
	assert_int_equal(st.zspages, 0);
	assert_int_equal(st.handles_given, 0);
	assert_int_equal(pool->src.in_use, 0);
	assert_int_equal(pool->src.next, 0);
	check_ok(pool);
	zs_destroy_pool(pool);
}

/* Handles that are not live are ignored by free and refused by map. */
static void test_stale_handles(void **state)
{
	struct zs_pool *pool = new_pool();
	unsigned long a = alloc_ok(pool, 100), b = alloc_ok(pool, 100);

	(void)state;
	zs_free(pool, a);
	zs_free(pool, a);
	zs_free(pool, 0);
	zs_free(pool, 1UL << 40);
	assert_null(zs_map_object(pool, a, ZS_MM_RO));
	assert_null(zs_map_object(pool, 0, ZS_MM_RO));
	assert_null(zs_map_object(pool, 1UL << 40, ZS_MM_RO));
	zs_unmap_object(pool, a); /* not mapped: nothing happens */
	fill(pool, b, 100, 3);
	assert_true(intact(pool, b, 100, 3));
	check_ok(pool);
	zs_destroy_pool(pool);
}

/* ---- Maps ---- */

static bool straddling(struct zs_pool *pool, unsigned long h, size_t size)
{
	const struct size_class *c = zs_size_class(pool, size);

	return slot_of(pool, h, NULL) * c->size % 4096 + c->size > 4096;
}

static bool in_pool(struct zs_pool *pool, const void *p)
{
	const char *base = pool->src.base;

	return (const char *)p >= base && (const char *)p < base + (size_t)pool->src.next * 4096;
}

/* Class 1488 in 4 pages: slots 2, 5 and 8 straddle a page boundary. */
static void test_straddling_maps(void **state)
{
	struct zs_pool *pool = new_pool();
	unsigned long h[11];
	int straddlers = 0;

	(void)state;
	for (int i = 0; i < 11; i++) {
		h[i] = alloc_ok(pool, 1488);
		fill(pool, h[i], 1488, (uint64_t)i);            /* WO */
	}
	for (int i = 0; i < 11; i++) {
		unsigned char *p;

		assert_true(intact(pool, h[i], 1488, (uint64_t)i)); /* RO */
		straddlers += straddling(pool, h[i], 1488);
		/* Direct pointers into the page, but for straddlers, whose copy
		 * an RO map does not write back. */
		p = zs_map_object(pool, h[i], ZS_MM_RO);
		assert_int_equal(in_pool(pool, p), !straddling(pool, h[i], 1488));
		assert_int_equal((uintptr_t)p % 16, 0);
		if (straddling(pool, h[i], 1488))
			memset(p, 0, 1488);
		zs_unmap_object(pool, h[i]);
		assert_true(intact(pool, h[i], 1488, (uint64_t)i));
		/* RW: read, changed, written back. */
		p = zs_map_object(pool, h[i], ZS_MM_RW);
		for (int k = 0; k < 1488; k++) {
			assert_int_equal(p[k], pattern((uint64_t)i, (size_t)k));
			p[k] = pattern((uint64_t)i + 100, (size_t)k);
		}
		zs_unmap_object(pool, h[i]);
	}
	assert_int_equal(straddlers, 3);
	for (int i = 0; i < 11; i++)
		assert_true(intact(pool, h[i], 1488, (uint64_t)i + 100));
	check_ok(pool);
	zs_destroy_pool(pool);
}

/* Two straddling maps at once per thread, each in a buffer of its own; a
 * third is refused.  Direct maps have no limit. */
static void test_nested_maps(void **state)
{
	struct zs_pool *pool = new_pool();
	unsigned long h[11];
	unsigned char *p[3];
	int s[3], n = 0;

	(void)state;
	for (int i = 0; i < 11; i++) {
		h[i] = alloc_ok(pool, 1488);
		fill(pool, h[i], 1488, (uint64_t)i);
		if (straddling(pool, h[i], 1488))
			s[n++] = i;
	}
	p[0] = zs_map_object(pool, h[s[0]], ZS_MM_RW);
	p[1] = zs_map_object(pool, h[s[1]], ZS_MM_RO);
	assert_non_null(p[0]);
	assert_non_null(p[1]);
	assert_ptr_not_equal(p[0], p[1]);
	assert_null(zs_map_object(pool, h[s[2]], ZS_MM_RO));
	memcpy(p[0], p[1], 1488); /* one object into another */
	for (int i = 0; i < 11; i++) {
		if (i != s[0] && i != s[1] && i != s[2]) {
			assert_non_null(zs_map_object(pool, h[i], ZS_MM_RO));
			zs_unmap_object(pool, h[i]);
		}
	}
	zs_unmap_object(pool, h[s[1]]);
	zs_unmap_object(pool, h[s[0]]);
	assert_true(intact(pool, h[s[0]], 1488, (uint64_t)s[1]));
	assert_true(intact(pool, h[s[2]], 1488, (uint64_t)s[2]));
	check_ok(pool);
	zs_destroy_pool(pool);
}

/* ---- Compaction ---- */

struct obj {
	unsigned long handle;
	size_t size;
};

static void test_compaction_keeps_bytes_and_handles(void **state)
{
	struct zs_pool *pool = new_pool();
	enum { N = 4000 };
	static struct obj o[N];
	uint64_t seed = 42, before, freed;

	(void)state;
	for (int i = 0; i < N; i++) {
		o[i].size = 1 + rng(&seed) % 4096;
		o[i].handle = alloc_ok(pool, o[i].size);
		fill(pool, o[i].handle, o[i].size, (uint64_t)i);
	}
	for (int i = 0; i < N; i++) {
		if (rng(&seed) % 4) {
			zs_free(pool, o[i].handle);
			o[i].handle = 0;
		}
	}
	check_ok(pool);
	before = zs_get_total_pages(pool);
	freed = zs_compact(pool);
	print_message("%" PRIu64 " pages, compaction frees %" PRIu64 "\n", before, freed);
	assert_true(freed > before / 4);
	assert_int_equal(zs_get_total_pages(pool), before - freed);
	assert_int_equal(zs_get_total_pages(pool), packed_pages(pool)); /* nothing to spare */
	check_ok(pool);
	for (int i = 0; i < N; i++)
		if (o[i].handle && !intact(pool, o[i].handle, o[i].size, (uint64_t)i))
			fail_msg("object %d (%zu bytes) changed", i, o[i].size);
	assert_int_equal(zs_compact(pool), 0);
	zs_destroy_pool(pool);
}

/* ---- Density on a real heap's compressed sizes ---- */

static unsigned *load_sizes(size_t *n)
{
	const char *path = ZBUD_SOURCE_DIR "/data/python-heap.lz4-sizes.txt";
	unsigned *v = NULL, x;
	size_t cap = 0;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	*n = 0;
	while (fscanf(f, "%u", &x) == 1) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 65536;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[(*n)++] = x;
	}
	fclose(f);
	return v;
}

/*
 * The kernel's classes pack this heap within 5.0% of the ideal
 * ceil(bytes / 4096), and that is their limit: every zspage but the last of
 * each class is full, so the rest is slot rounding, which no zspage of 1 to
 * 4 pages avoids (sizes 1361..1488 can only go 11 to 4 pages, for one).
 */
static void test_density(void **state)
{
	struct zs_pool *pool = new_pool();
	uint64_t bytes = 0, ideal, pages, seed = 7;
	size_t n;
	unsigned *size = load_sizes(&n);
	unsigned long *h = calloc(n, sizeof(*h));

	(void)state;
	assert_int_equal(n, 51949);
	for (size_t i = 0; i < n; i++) {
		h[i] = alloc_ok(pool, size[i]);
		bytes += size[i];
	}
	ideal = (bytes + 4095) / 4096;
	pages = zs_get_total_pages(pool);
	print_message("in order: %" PRIu64 " pages, ideal %" PRIu64 ": %.4fx\n", pages, ideal,
		      (double)pages / (double)ideal);
	assert_int_equal(pages, packed_pages(pool));
	assert_true(pages * 1000 <= ideal * 1051);

	bytes = 0;
	for (size_t i = 0; i < n; i++) {
		if (rng(&seed) & 1) {
			zs_free(pool, h[i]);
			h[i] = 0;
		} else {
			bytes += size[i];
		}
	}
	ideal = (bytes + 4095) / 4096;
	pages = zs_get_total_pages(pool);
	print_message("half freed: %" PRIu64 " pages; ", pages);
	print_message("compaction frees %" PRIu64 "\n", zs_compact(pool));
	pages = zs_get_total_pages(pool);
	print_message("compacted: %" PRIu64 " pages, ideal %" PRIu64 ": %.4fx\n", pages, ideal,
		      (double)pages / (double)ideal);
	assert_int_equal(pages, packed_pages(pool));
	assert_true(pages * 1000 <= ideal * 1060);
	check_ok(pool);
	free(h);
	free(size);
	zs_destroy_pool(pool);
}

/* ---- Threads ---- */

#define WORKERS 4
#define SLOTS_PER_WORKER 512
#define SHARED 256              /* read by every worker, never freed */
#define DEFAULT_MS 1500

struct stress {
	struct zpool *pool;
	struct obj shared[SHARED];
	atomic_bool stop;
	atomic_ulong ops, compactions, freed_pages;
	struct thread_errors errors;
};

static bool zp_intact(struct zpool *pool, const struct obj *o, uint64_t id)
{
	const unsigned char *p = zpool_map_handle(pool, o->handle, ZPOOL_MM_RO);
	bool ok = p != NULL;

	for (size_t k = 0; ok && k < o->size; k++)
		ok = p[k] == pattern(id, k);
	zpool_unmap_handle(pool, o->handle);
	return ok;
}

static void zp_fill(struct zpool *pool, const struct obj *o, uint64_t id, enum zpool_mapmode mm)
{
	unsigned char *p = zpool_map_handle(pool, o->handle, mm);

	for (size_t k = 0; p && k < o->size; k++)
		p[k] = pattern(id, k);
	zpool_unmap_handle(pool, o->handle);
}

struct worker {
	struct stress *st;
	int id;
	uint64_t seed;
	struct obj obj[SLOTS_PER_WORKER];
	uint64_t gen[SLOTS_PER_WORKER];
};

/* Object ids: worker, slot and generation, so that no two are alike. */
static uint64_t id_of(const struct worker *w, int s)
{
	return (uint64_t)(w->id + 1) << 48 | (uint64_t)s << 32 | w->gen[s];
}

static void worker_step(struct worker *w)
{
	struct stress *st = w->st;
	int s = (int)(rng(&w->seed) % SLOTS_PER_WORKER);
	struct obj *o = &w->obj[s];
	unsigned int r = (unsigned int)(rng(&w->seed) % 100);

	if (r < 20) {
		const struct obj *sh = &st->shared[rng(&w->seed) % SHARED];

		if (!zp_intact(st->pool, sh, (uint64_t)(sh - st->shared)))
			report(&st->errors, "shared object %td changed", sh - st->shared);
	} else if (!o->handle) {
		int err;

		o->size = 1 + (size_t)(rng(&w->seed) % 4096);
		err = zpool_malloc(st->pool, o->size, &o->handle);
		if (err)
			report(&st->errors, "zpool_malloc(%zu): %d", o->size, err);
		else
			zp_fill(st->pool, o, id_of(w, s), ZPOOL_MM_WO);
	} else if (!zp_intact(st->pool, o, id_of(w, s))) {
		report(&st->errors, "worker %d, slot %d: object changed", w->id, s);
	} else if (r < 50) {
		w->gen[s]++;
		zp_fill(st->pool, o, id_of(w, s), ZPOOL_MM_RW);
	} else {
		zpool_free(st->pool, o->handle);
		o->handle = 0;
		w->gen[s]++;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned long n;

	for (n = 0; !atomic_load_explicit(&w->st->stop, memory_order_relaxed); n++)
		worker_step(w);
	atomic_fetch_add(&w->st->ops, n);
	return NULL;
}

static void *compactor_main(void *arg)
{
	struct stress *st = arg;
	char msg[160];

	for (unsigned long n = 0; !atomic_load_explicit(&st->stop, memory_order_relaxed); n++) {
		atomic_fetch_add(&st->freed_pages, zpool_compact(st->pool));
		atomic_fetch_add(&st->compactions, 1);
		if (n % 16 == 0 && zpool_check(st->pool, msg, sizeof(msg)))
			report(&st->errors, "zpool_check: %s", msg);
	}
	return NULL;
}

static void test_threads(void **state)
{
	static struct stress st;
	static struct worker w[WORKERS];
	long ms = stress_ms(DEFAULT_MS);
	struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };
	pthread_t thread[WORKERS + 1];
	uint64_t seed = 99;
	char msg[160];

	(void)state;
	memset(&st, 0, sizeof(st));
	st.pool = zpool_create_pool("zsmalloc", "stress", NULL);
	assert_non_null(st.pool);
	for (int i = 0; i < SHARED; i++) {
		st.shared[i].size = 1 + rng(&seed) % 4096;
		assert_int_equal(zpool_malloc(st.pool, st.shared[i].size, &st.shared[i].handle), 0);
		zp_fill(st.pool, &st.shared[i], (uint64_t)i, ZPOOL_MM_WO);
	}
	for (int i = 0; i < WORKERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i] = (struct worker){ .st = &st, .id = i, .seed = 1000 + (uint64_t)i };
		assert_int_equal(pthread_create(&thread[i], NULL, worker_main, &w[i]), 0);
	}
	assert_int_equal(pthread_create(&thread[WORKERS], NULL, compactor_main, &st), 0);
	nanosleep(&t, NULL);
	atomic_store(&st.stop, true);
	for (int i = 0; i <= WORKERS; i++)
		assert_int_equal(pthread_join(thread[i], NULL), 0);
	print_message("%lu operations; %lu compactions freed %lu pages\n",
		      (unsigned long)atomic_load(&st.ops), (unsigned long)atomic_load(&st.compactions),
		      (unsigned long)atomic_load(&st.freed_pages));
	expect_no_errors(&st.errors);
	assert_true(atomic_load(&st.freed_pages) > 0);
	/* Everything left is intact, and the pool sound. */
	for (int i = 0; i < SHARED; i++)
		assert_true(zp_intact(st.pool, &st.shared[i], (uint64_t)i));
	for (int i = 0; i < WORKERS; i++)
		for (int k = 0; k < SLOTS_PER_WORKER; k++)
			if (w[i].obj[k].handle)
				assert_true(zp_intact(st.pool, &w[i].obj[k], id_of(&w[i], k)));
	if (zpool_check(st.pool, msg, sizeof(msg)))
		fail_msg("zpool_check: %s", msg);
	zpool_destroy_pool(st.pool);
}

/* ---- Failed page and handle-table allocations change nothing ---- */

static bool same_stats(struct zs_pool *pool, const struct zs_stats *before)
{
	static struct zs_stats now;

	zs_get_stats(pool, &now);
	now.meta_bytes = before->meta_bytes; /* pages once given are still counted */
	return !memcmp(&now, before, sizeof(now));
}

#define FAULT_OPS 400
#define FAULT_SLOTS 64

/* A fixed workload; returns how many allocations failed, each with -ENOMEM
 * and no change, while every object stays intact. */
static int fault_workload(void)
{
	struct zs_pool *pool = new_pool();
	struct obj slot[FAULT_SLOTS] = { 0 };
	static struct zs_stats before;
	uint64_t seed = 42;
	int failures = 0;

	for (int op = 0; op < FAULT_OPS; op++) {
		struct obj *o = &slot[rng(&seed) % FAULT_SLOTS];
		size_t size = 1 + rng(&seed) % 4096;

		if (o->handle) {
			assert_true(intact(pool, o->handle, o->size, (uint64_t)(o - slot)));
			zs_free(pool, o->handle);
			o->handle = 0;
			continue;
		}
		zs_get_stats(pool, &before);
		o->size = size;
		if (zs_malloc(pool, size, &o->handle) == 0) {
			fill(pool, o->handle, size, (uint64_t)(o - slot));
			continue;
		}
		assert_true(same_stats(pool, &before));
		o->handle = 0;
		failures++;
		check_ok(pool);
	}
	check_ok(pool);
	for (int i = 0; i < FAULT_SLOTS; i++)
		if (slot[i].handle)
			assert_true(intact(pool, slot[i].handle, slot[i].size, (uint64_t)i));
	zs_destroy_pool(pool);
	return failures;
}

static void test_every_page_allocation_fails_once(void **state)
{
	uint64_t calls;

	(void)state;
	zbud_fault_arm(ZBUD_FAULT_PAGE, 0);
	assert_int_equal(fault_workload(), 0);
	calls = zbud_fault_calls(ZBUD_FAULT_PAGE);
	assert_true(calls > 50);
	for (uint64_t n = 1; n <= calls; n++) {
		zbud_fault_arm(ZBUD_FAULT_PAGE, n);
		assert_int_equal(fault_workload(), 1);
	}
	zbud_fault_arm(ZBUD_FAULT_PAGE, 0);
}

/* The handle table grows by 8192 entries; a failed growth is -ENOMEM too. */
static void test_handle_table_growth_fails(void **state)
{
	struct zs_pool *pool = new_pool();
	static struct zs_stats before;
	enum { N = 8192 };
	unsigned long *h = calloc(N + 1, sizeof(*h)), x = 0;

	(void)state;
	zbud_fault_arm(ZBUD_FAULT_META, 1);
	zs_get_stats(pool, &before);
	assert_int_equal(zs_malloc(pool, 100, &x), -ENOMEM);
	assert_true(same_stats(pool, &before));
	for (int i = 0; i < N; i++)
		h[i] = alloc_ok(pool, 100 + (size_t)i % 2000);
	zbud_fault_arm(ZBUD_FAULT_META, 1);
	zs_get_stats(pool, &before);
	assert_int_equal(zs_malloc(pool, 100, &x), -ENOMEM);
	assert_true(same_stats(pool, &before));
	assert_int_equal(x, 0);
	h[N] = alloc_ok(pool, 100);
	zbud_fault_arm(ZBUD_FAULT_META, 0);
	check_ok(pool);
	for (int i = 0; i <= N; i++)
		zs_free(pool, h[i]);
	assert_int_equal(zs_get_total_pages(pool), 0);
	free(h);
	zs_destroy_pool(pool);
}

/* Compaction that cannot get memory to plan says so and moves nothing. */
static void test_compaction_out_of_memory(void **state)
{
	struct zs_pool *pool = new_pool();
	static struct zs_stats before;
	unsigned long h[200];

	(void)state;
	for (int i = 0; i < 200; i++)
		h[i] = alloc_ok(pool, 1000);
	for (int i = 0; i < 200; i += 2)
		zs_free(pool, h[i]);
	zs_get_stats(pool, &before);
	zbud_fault_arm(ZBUD_FAULT_META, 1);
	assert_int_equal(zs_compact(pool), -ENOMEM);
	zbud_fault_arm(ZBUD_FAULT_META, 0);
	assert_true(same_stats(pool, &before));
	check_ok(pool);
	assert_true(zs_compact(pool) > 0);
	check_ok(pool);
	zs_destroy_pool(pool);
}

/* ---- The checker ---- */

static void expect_caught(struct zs_pool *pool, const char *what)
{
	char msg[256];

	if (zs_check_pool(pool, msg, sizeof(msg)) != -EUCLEAN)
		fail_msg("the checker missed: %s", what);
	print_message("%-34s -> %s\n", what, msg);
}

/* One corruption at a time, each put right again before the next. */
static void test_checker_catches_corruption(void **state)
{
	struct zs_pool *pool = new_pool();
	unsigned long h[400], big, small;
	uint32_t first, sfirst;
	struct zs_page *zp, saved;
	uint64_t e, e2, u;
	unsigned int slot;

	(void)state;
	for (int i = 0; i < 400; i++)
		h[i] = alloc_ok(pool, 40 + (size_t)i * 10); /* 48 .. 4030 bytes */
	for (int i = 0; i < 400; i += 3)
		zs_free(pool, h[i]);
	small = alloc_ok(pool, 40);                        /* 48: 256 slots, 3 pages */
	for (int i = 0; i < 200; i++)
		alloc_ok(pool, 40);
	big = alloc_ok(pool, 1400);
	zs_free(pool, h[2]); /* on the handle free list, alone */
	check_ok(pool);
	slot = slot_of(pool, big, &first);
	zp = zs_page(pool, first);
	saved = *zp;

	zp->inuse++;
	expect_caught(pool, "objects in use off by one");
	*zp = saved;
	zp->free[slot / 64] |= 1ULL << slot % 64;
	expect_caught(pool, "a used slot marked free");
	*zp = saved;
	zp->free[0] &= zp->free[0] - 1; /* the lowest free slot, marked used */
	expect_caught(pool, "a free slot marked used");
	*zp = saved;
	zp->list.prev = first;
	expect_caught(pool, "a list link");
	*zp = saved;
	check_ok(pool);

	/* Slots past 128 have their bits in the second page's descriptor. */
	slot_of(pool, small, &sfirst);
	zp = zs_page(pool, zs_page(pool, sfirst)->next);
	saved = *zp;
	zp->free[0] |= 1; /* slot 128, in use */
	expect_caught(pool, "a free bit in the second page");
	*zp = saved;
	zp->flags = 0;
	expect_caught(pool, "a page of a zspage marked free");
	*zp = saved;
	zp->index = 2;
	expect_caught(pool, "a page out of order");
	*zp = saved;
	check_ok(pool);

	e = atomic_load(&pool->handles.table[big - 1]);
	e2 = atomic_load(&pool->handles.table[h[1] - 1]);
	atomic_store(&pool->handles.table[h[1] - 1], e);
	expect_caught(pool, "two handles at one slot");
	atomic_store(&pool->handles.table[h[1] - 1], e2);
	atomic_store(&pool->handles.table[big - 1], e | ZS_ENTRY_MOVING);
	expect_caught(pool, "an entry left moving");
	atomic_store(&pool->handles.table[big - 1], e + 1);
	expect_caught(pool, "a handle at the wrong slot");
	atomic_store(&pool->handles.table[big - 1], e);
	e = atomic_load(&pool->handles.table[h[2] - 1]);
	atomic_store(&pool->handles.table[h[2] - 1], e2);
	expect_caught(pool, "a free handle made live");
	atomic_store(&pool->handles.table[h[2] - 1], e);
	check_ok(pool);
	pool->handles.free_nr++;
	expect_caught(pool, "the handle free list's count");
	pool->handles.free_nr--;

	u = zs_size_class(pool, 1400)->stat[ZS_OBJ_USED];
	pool->class[zs_size_class(pool, 1400)->index].stat[ZS_OBJ_USED] = u + 1;
	expect_caught(pool, "a class's object count");
	pool->class[zs_size_class(pool, 1400)->index].stat[ZS_OBJ_USED] = u;
	atomic_fetch_add(&pool->pages_nr, 1);
	expect_caught(pool, "the pool's page count");
	atomic_fetch_sub(&pool->pages_nr, 1);
	check_ok(pool);
	zs_destroy_pool(pool);
}

/* ---- Through zpool, and on a fixed buffer ---- */

static int evict_calls;

static int evict(struct zpool *pool, unsigned long handle)
{
	(void)pool, (void)handle;
	evict_calls++;
	return 0;
}

static void test_zpool_driver(void **state)
{
	static const struct zpool_ops ops = { .evict = evict };
	struct zpool *pool = zpool_create_pool("zsmalloc", "zs", &ops);
	unsigned long h;
	unsigned int reclaimed = 99;
	char msg[128], *p;

	(void)state;
	assert_true(zpool_has_pool("zsmalloc"));
	assert_non_null(pool);
	assert_string_equal(zpool_get_type(pool), "zsmalloc");
	assert_false(zpool_evictable(pool)); /* as the kernel's: never evicts */
	assert_int_equal(zpool_malloc(pool, 0, &h), -EINVAL);
	assert_int_equal(zpool_malloc(pool, 4097, &h), -ENOSPC);
	assert_int_equal(zpool_malloc(pool, 4096, &h), 0);
	assert_int_equal(zpool_handle_place(pool, h), ZPOOL_PLACE_SLOT);
	assert_int_equal(zpool_get_total_size(pool), 4096);
	assert_int_equal(zpool_shrink(pool, 1, &reclaimed), -EINVAL);
	assert_int_equal(reclaimed, 0);
	assert_int_equal(zpool_reclaim_page(pool, 8), -EINVAL);
	assert_int_equal(evict_calls, 0);
	p = zpool_map_handle(pool, h, ZPOOL_MM_WO);
	memset(p, 0x5a, 4096);
	zpool_unmap_handle(pool, h);
	p = zpool_map_handle(pool, h, ZPOOL_MM_RO);
	assert_int_equal(p[4095], 0x5a);
	zpool_unmap_handle(pool, h);
	assert_int_equal(zpool_compact(pool), 0);
	assert_int_equal(zpool_check(pool, msg, sizeof(msg)), 0);
	zpool_free(pool, h);
	assert_int_equal(zpool_get_total_size(pool), 0);
	zpool_destroy_pool(pool);
}

/* ---- The page walk ---- */

struct seen {
	int pages;
	uint64_t page[8];
	char layout[8][1024];   /* up to 64 regions of "o4032-4064 " */
};

static int record(const struct zpool_page_info *page, void *arg)
{
	struct seen *s = arg;
	char *out = s->layout[s->pages];

	s->page[s->pages++] = page->page;
	for (unsigned i = 0; i < page->nregions; i++)
		out += sprintf(out, "%c%u-%u ", zpool_place_letter(page->region[i].place), page->region[i].start,
			       page->region[i].end);
	return s->pages == 8;
}

/*
 * Class 1488 in 4 pages (slots 2, 5 and 8 straddle) with slots 1 and 5
 * freed, 32-byte slots with one gap, a whole page:
 *
 *   page 0   [0 ][ 1 free ][ 2 ..|      page 2  |.5 free..][ 6 ][ 7 ][ 8 ..|
 *   page 1  |..2 ][ 3 ][ 4 ][ 5 ..      page 3  |..8 ][ 9 ][ 10 ]  (16 left)
 */
static void test_walk(void **state)
{
	struct zpool *pool = zpool_create_pool("zsmalloc", "w", NULL);
	struct seen seen = { 0 };
	unsigned long big[11], small[4], whole;

	(void)state;
	for (int i = 0; i < 11; i++)
		assert_int_equal(zpool_malloc(pool, 1488, &big[i]), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(zpool_malloc(pool, 20, &small[i]), 0); /* 32-byte slots */
	assert_int_equal(zpool_malloc(pool, 4096, &whole), 0);
	zpool_free(pool, big[1]);
	zpool_free(pool, big[5]);
	zpool_free(pool, small[1]);
	assert_int_equal(zpool_walk(pool, record, &seen), 0);
	assert_int_equal(seen.pages, zpool_get_total_size(pool) / 4096);
	assert_int_equal(seen.pages, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(seen.page[i], i); /* a new arena's pages, in order */
	assert_string_equal(seen.layout[0], "o0-1488 o2976-4096 ");
	assert_string_equal(seen.layout[1], "o0-3344 ");
	assert_string_equal(seen.layout[2], "o736-4096 ");
	assert_string_equal(seen.layout[3], "o0-4080 ");
	assert_string_equal(seen.layout[4], "o0-32 o64-128 ");
	assert_string_equal(seen.layout[5], "o0-4096 ");

	/* Stops at the callback's first nonzero return. */
	memset(&seen, 0, sizeof(seen));
	seen.pages = 5;
	assert_int_equal(zpool_walk(pool, record, &seen), 1);
	assert_int_equal(seen.pages, 8);

	/* A zspage's pages leave the walk with its last object. */
	for (int i = 0; i < 11; i++)
		zpool_free(pool, big[i]); /* freed ones again: ignored */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(zpool_walk(pool, record, &seen), 0);
	assert_int_equal(seen.pages, 2);
	assert_int_equal(seen.page[0], 4);
	assert_int_equal(seen.page[1], 5);
	zpool_destroy_pool(pool);
}

/* The most regions a page can have: every other 32-byte slot in use. */
static void test_walk_most_regions(void **state)
{
	struct zpool *pool = zpool_create_pool("zsmalloc", "w", NULL);
	struct seen seen = { 0 };
	unsigned long h[128];
	char want[1024], *out = want;

	(void)state;
	for (int i = 0; i < 128; i++)
		assert_int_equal(zpool_malloc(pool, 32, &h[i]), 0);
	for (int i = 0; i < 128; i += 2) {
		zpool_free(pool, h[i + 1]);
		out += sprintf(out, "o%d-%d ", i * 32, i * 32 + 32);
	}
	assert_int_equal(zpool_walk(pool, record, &seen), 0);
	assert_int_equal(seen.pages, 1);
	assert_string_equal(seen.layout[0], want);
	zpool_destroy_pool(pool);
}

struct tally {
	uint64_t pages, bytes, last;
	bool bad;
};

/* Regions in order, apart, inside the page; pages in increasing order.  A
 * page may show none: its zspage's objects are all in its other pages. */
static int tally(const struct zpool_page_info *page, void *arg)
{
	struct tally *t = arg;
	unsigned int end = 0;

	t->bad |= t->pages && page->page <= t->last;
	t->bad |= page->nregions > ZPOOL_MAX_REGIONS;
	for (unsigned i = 0; i < page->nregions; i++) {
		const struct zpool_region *r = &page->region[i];

		t->bad |= r->place != ZPOOL_PLACE_SLOT || r->start >= r->end || r->end > 4096 ||
			  (i && r->start <= end);
		end = r->end;
		t->bytes += r->end - r->start;
	}
	t->last = page->page;
	t->pages++;
	return 0;
}

/* Random sizes, half freed, compacted: the walk shows every slot in use and
 * no other byte, in all the pool's pages. */
static void test_walk_matches_objects(void **state)
{
	struct zs_pool *pool = new_pool();
	enum { N = 3000 };
	static struct obj o[N];
	struct tally t = { 0 };
	uint64_t seed = 11, used = 0;

	(void)state;
	for (int i = 0; i < N; i++) {
		/* first 256 slots of the 48-byte class, whose bitmap takes two
		 * descriptors */
		o[i].size = i < 256 ? 48 : 1 + rng(&seed) % 4096;
		o[i].handle = alloc_ok(pool, o[i].size);
	}
	for (int i = 0; i < N; i++) {
		if (rng(&seed) % 3) {
			zs_free(pool, o[i].handle);
			o[i].handle = 0;
		} else {
			used += zs_size_class(pool, o[i].size)->size;
		}
	}
	zs_compact(pool);
	check_ok(pool);
	assert_int_equal(zpool_zsmalloc_driver.walk(pool, tally, &t), 0);
	assert_false(t.bad);
	assert_int_equal(t.pages, zs_get_total_pages(pool));
	assert_int_equal(t.bytes, used);
	zs_destroy_pool(pool);
}

/* A caller's buffer: pages run out with -ENOMEM, nothing is lost. */
static void test_fixed_buffer(void **state)
{
	enum { PAGES = 40, MAX = 400 };
	size_t len = PAGES * (4096 + sizeof(struct zs_page)) + 64;
	void *buf = malloc(len);
	struct zbud_source_config cfg = { .buffer = buf, .buffer_size = len };
	struct zs_pool *pool = zs_create_pool(&cfg, &kernel4);
	struct obj o[MAX];
	uint64_t seed = 3;
	int n = 0, refused = 0;

	(void)state;
	assert_non_null(pool);
	assert_int_equal(pool->src.capacity, PAGES);
	while (n < MAX && refused < 20) {
		o[n].size = 1 + rng(&seed) % 4096;
		if (zs_malloc(pool, o[n].size, &o[n].handle)) {
			refused++;
			continue;
		}
		fill(pool, o[n].handle, o[n].size, (uint64_t)n);
		n++;
	}
	assert_int_equal(refused, 20);
	assert_true(zs_get_total_pages(pool) <= PAGES);
	check_ok(pool);
	for (int i = 0; i < n; i++) {
		assert_true(intact(pool, o[i].handle, o[i].size, (uint64_t)i));
		zs_free(pool, o[i].handle);
	}
	assert_int_equal(zs_get_total_pages(pool), 0);
	check_ok(pool);
	zs_destroy_pool(pool);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_table),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_fill_in_order),
		cmocka_unit_test(test_fullness_groups),
		cmocka_unit_test(test_empty_pool_holds_nothing),
		cmocka_unit_test(test_stale_handles),
		cmocka_unit_test(test_straddling_maps),
		cmocka_unit_test(test_nested_maps),
		cmocka_unit_test(test_compaction_keeps_bytes_and_handles),
		cmocka_unit_test(test_compaction_skips_mapped),
		cmocka_unit_test(test_density),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_every_page_allocation_fails_once),
		cmocka_unit_test(test_handle_table_growth_fails),
		cmocka_unit_test(test_compaction_out_of_memory),
		cmocka_unit_test(test_checker_catches_corruption),
		cmocka_unit_test(test_zpool_driver),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_walk_most_regions),
		cmocka_unit_test(test_walk_matches_objects),
		cmocka_unit_test(test_fixed_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
