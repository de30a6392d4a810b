/*
 * test_zsmalloc_walk.c - zsmalloc through its zpool driver, its page walk,
 * and a caller's fixed buffer
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "zpool_driver.h"
#include "zsmalloc_test.h"

/* ---- Through zpool, and on a fixed buffer ---- */

/* ---- The page walk ---- */

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
	assert_string_equal(seen.layout[1], "o0-368 o368-1856 o1856-3344 ");
	assert_string_equal(seen.layout[2], "o736-2224 o2224-3712 o3712-4096 ");
	assert_string_equal(seen.layout[3], "o0-1104 o1104-2592 o2592-4080 ");
	assert_string_equal(seen.layout[4], "o0-32 o64-96 o96-128 ");
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

/* Regions in order, one an object, inside the page; pages in increasing
 * order.  A page may show none: its zspage's objects are all in its others. */
static int tally(const struct zpool_page_info *page, void *arg)
{
	struct tally *t = arg;
	unsigned int end = 0;

	t->bad |= t->pages && page->page <= t->last;
	t->bad |= page->nregions > ZPOOL_MAX_REGIONS;
	for (unsigned i = 0; i < page->nregions; i++) {
		const struct zpool_region *r = &page->region[i];

		t->bad |= r->place != ZPOOL_PLACE_SLOT || r->start >= r->end || r->end > 4096 ||
			  (i && r->start < end) || page->slot_size < (unsigned int)(r->end - r->start);
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
	static struct test_obj o[N];
	struct tally t = { 0 };
	uint64_t seed = 11, used = 0;

	(void)state;
	for (int i = 0; i < N; i++) {
		/* first 256 slots of the 48-byte class, whose bitmap takes two
		 * descriptors */
		o[i].size = i < 256 ? 48 : 1 + test_rng(&seed) % 4096;
		o[i].handle = alloc_ok(pool, o[i].size);
	}
	for (int i = 0; i < N; i++) {
		if (test_rng(&seed) % 3) {
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
	struct test_obj o[MAX];
	uint64_t seed = 3;
	int n = 0, refused = 0;

	(void)state;
	assert_non_null(pool);
	assert_int_equal(pool->src.capacity, PAGES);
	while (n < MAX && refused < 20) {
		o[n].size = 1 + test_rng(&seed) % 4096;
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
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_walk_most_regions),
		cmocka_unit_test(test_walk_matches_objects),
		cmocka_unit_test(test_fixed_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
