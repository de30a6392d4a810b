/*
 * test_zsmalloc_rules.c - zsmalloc in the kernel's geometry: one test per
 * rule of Linux's mm/zsmalloc.c kept here (classes and their chains,
 * placement, fullness groups), maps, compaction and density
 *
 * Our geometry is test_zsmalloc_dense.c's; threads test_zsmalloc_threads.c's;
 * failures and the checker test_zsmalloc_faults.c's; the driver and the page
 * walk test_zsmalloc_walk.c's; the model test_zsmalloc_model.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "zsmalloc_test.h"

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
		h[i] = alloc_ok(pool, 1 + test_rng(&seed) % 4096);
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
			assert_int_equal(p[k], test_pattern((uint64_t)i, (size_t)k));
			p[k] = test_pattern((uint64_t)i + 100, (size_t)k);
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

static void test_compaction_keeps_bytes_and_handles(void **state)
{
	struct zs_pool *pool = new_pool();
	enum { N = 4000 };
	static struct test_obj o[N];
	uint64_t seed = 42, before, freed;

	(void)state;
	for (int i = 0; i < N; i++) {
		o[i].size = 1 + test_rng(&seed) % 4096;
		o[i].handle = alloc_ok(pool, o[i].size);
		fill(pool, o[i].handle, o[i].size, (uint64_t)i);
	}
	for (int i = 0; i < N; i++) {
		if (test_rng(&seed) % 4) {
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
	unsigned *size = load_heap_sizes(&n);
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
		if (test_rng(&seed) & 1) {
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
