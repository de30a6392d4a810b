/*
 * test_page_source.c - the arena and the fixed buffer, and their limits
 */
#define ZBUD_STATIC_LINKING_ONLY
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "page_source.h"
#include "zbud.h"
#include "zbud_internal.h"

/* Pages of [addr, addr + pages * 4 KiB) resident in memory, by mincore(). */
static size_t resident(const void *addr, size_t pages)
{
	size_t os_page = (size_t)sysconf(_SC_PAGESIZE), n = 0;
	size_t len = pages * ZBUD_PAGE_SIZE, vecs = (len + os_page - 1) / os_page;
	unsigned char *vec = malloc(vecs);

	assert_non_null(vec);
	assert_int_equal(mincore((void *)addr, len, vec), 0);
	for (size_t i = 0; i < vecs; i++)
		n += vec[i] & 1;
	free(vec);
	return n * os_page / ZBUD_PAGE_SIZE;
}

static void assert_consistent(struct zbud_pool *pool)
{
	char msg[256];

	if (zbud_check_pool(pool, msg, sizeof(msg)))
		fail_msg("%s", msg);
}

/* A full buffer: -ENOMEM, and nothing else changes; space freed is reused. */
static void test_buffer_exhaustion(void **state)
{
	enum { PAGES = 8 };
	size_t len = PAGES * (ZBUD_PAGE_SIZE + sizeof(struct zbud_page)) + 65;
	char *buf = malloc(len);
	const struct zbud_config cfg = { .source = { .buffer = buf + 1, .buffer_size = len - 1 } };
	struct zbud_pool *pool = zbud_create_pool_config(&cfg);
	unsigned long h[PAGES], extra = 777, small;
	struct zbud_stats before, after;

	(void)state;
	assert_non_null(pool);
	for (int i = 0; i < PAGES; i++) {
		assert_int_equal(zbud_alloc(pool, 3000, &h[i]), 0);
		/* Every page lies inside the caller's buffer, 64-byte aligned. */
		assert_true((char *)zbud_map(pool, h[i]) >= buf + 1);
		assert_true((char *)zbud_map(pool, h[i]) + 3000 <= buf + len);
		assert_int_equal((uintptr_t)zbud_map(pool, h[i]) % 64, 0);
		memset(zbud_map(pool, h[i]), i, 3000);
	}
	zbud_get_stats(pool, &before);
	assert_int_equal(zbud_alloc(pool, 3000, &extra), -ENOMEM);
	assert_int_equal(extra, 777);
	zbud_get_stats(pool, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_consistent(pool);
	/* Small objects still fit beside the big ones. */
	assert_int_equal(zbud_alloc(pool, 900, &small), 0);
	zbud_free(pool, small);
	zbud_free(pool, h[3]);
	assert_int_equal(zbud_alloc(pool, 3000, &extra), 0);
	for (int i = 0; i < PAGES; i++) {
		const unsigned char *p = zbud_map(pool, h[i]);

		if (i != 3)
			assert_int_equal(p[0] + p[2999], 2 * i);
	}
	assert_consistent(pool);
	zbud_destroy_pool(pool);
	free(buf);
}

static void test_buffer_too_small(void **state)
{
	char buf[ZBUD_PAGE_SIZE];
	const struct zbud_config cfg = { .source = { .buffer = buf, .buffer_size = sizeof(buf) } };

	(void)state;
	errno = 0;
	assert_null(zbud_create_pool_config(&cfg));
	assert_int_equal(errno, EINVAL);
}

/* An arena with a page limit behaves like a full buffer at the limit. */
static void test_arena_limit(void **state)
{
	const struct zbud_config cfg = { .source = { .max_pages = 600 } };
	struct zbud_pool *pool = zbud_create_pool_config(&cfg);
	unsigned long h;

	(void)state;
	assert_non_null(pool);
	for (int i = 0; i < 600; i++)
		assert_int_equal(zbud_alloc(pool, 2100, &h), 0);
	assert_int_equal(zbud_alloc(pool, 2100, &h), -ENOMEM);
	assert_int_equal(zbud_get_pool_size(pool), 600);
	assert_consistent(pool);
	zbud_destroy_pool(pool);
}

/* Freed pages go back to the OS: all of them when the pool empties, and
 * all but a small cache while it shrinks; whatever backs the pages (@state:
 * the source flags). */
static void test_arena_releases_memory(void **state)
{
	enum { N = 4000 };
	const struct zbud_config cfg = { .source = { .flags = *(unsigned int *)*state } };
	struct zbud_pool *pool = zbud_create_pool_config(&cfg);
	unsigned long *h = calloc(N, sizeof(*h));
	struct zbud_stats st;

	assert_non_null(pool);
	/* the arena starts on a huge page frame */
	assert_int_equal((uintptr_t)pool->src.base % (2u << 20), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(zbud_alloc(pool, 3000, &h[i]), 0);
		memset(zbud_map(pool, h[i]), 1, 3000);
	}
	assert_true(resident(pool->src.base, N) >= N);
	for (int i = 0; i < N - 100; i++)
		zbud_free(pool, h[i]);
	zbud_get_stats(pool, &st);
	assert_int_equal(st.pages, 100);
	assert_true(st.cached_pages <= 64 + 100 / 32);
	assert_true(resident(pool->src.base, N) <= 100 + st.cached_pages);
	assert_consistent(pool);
	for (int i = N - 100; i < N; i++)
		zbud_free(pool, h[i]);
	assert_int_equal(resident(pool->src.base, N), 0);
	assert_int_equal(pool->src.next, 0);
	/* And it grows again from nothing. */
	assert_int_equal(zbud_alloc(pool, 3000, &h[0]), 0);
	assert_int_equal(h[0] >> ZBUD_PAGE_SHIFT, 0);
	zbud_free(pool, h[0]);
	free(h);
	zbud_destroy_pool(pool);
}

/* The page source itself: reuse order and its free stacks. */
static void test_source_reuse_order(void **state)
{
	static const struct zbud_source_config cfg = { .max_pages = 4096 };
	struct zbud_source ps;
	uint32_t a, b, c, d;

	(void)state;
	assert_int_equal(zbud_source_init(&ps, &cfg, 8), 0);
	assert_int_equal(zbud_source_get(&ps, &a), 0);
	assert_int_equal(zbud_source_get(&ps, &b), 0);
	assert_int_equal(zbud_source_get(&ps, &c), 0);
	assert_int_equal(a, 0);
	assert_int_equal(c, 2);
	zbud_source_put(&ps, a);
	zbud_source_put(&ps, b);
	assert_int_equal(ps.hot_nr, 2);
	/* The page freed last is reused first: its cache lines are warm. */
	assert_int_equal(zbud_source_get(&ps, &d), 0);
	assert_int_equal(d, b);
	assert_int_equal(zbud_source_get(&ps, &d), 0);
	assert_int_equal(d, a);
	assert_int_equal(zbud_source_get(&ps, &d), 0);
	assert_int_equal(d, 3);
	zbud_source_fini(&ps);
}

/* Pool growth crosses the arena's 512-page steps without a seam. */
static void test_arena_grows(void **state)
{
	enum { N = 1500 };
	struct zbud_pool *pool = zbud_create_pool(NULL);
	unsigned long *h = calloc(N, sizeof(*h));

	(void)state;
	for (int i = 0; i < N; i++) {
		assert_int_equal(zbud_alloc(pool, 3968, &h[i]), 0);
		memset(zbud_map(pool, h[i]), (int)i, 3968);
	}
	assert_int_equal(zbud_get_pool_size(pool), N);
	for (int i = 0; i < N; i++)
		assert_int_equal(((unsigned char *)zbud_map(pool, h[i]))[3967], (unsigned char)i);
	assert_consistent(pool);
	free(h);
	zbud_destroy_pool(pool);
}

int main(void)
{
	static unsigned int flags[] = { 0, ZBUD_SOURCE_HUGEPAGES, ZBUD_SOURCE_SMALLPAGES };

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buffer_exhaustion),
		cmocka_unit_test(test_buffer_too_small),
		cmocka_unit_test(test_arena_limit),
		cmocka_unit_test_prestate(test_arena_releases_memory, &flags[0]),
		cmocka_unit_test_prestate(test_arena_releases_memory, &flags[1]),
		cmocka_unit_test_prestate(test_arena_releases_memory, &flags[2]),
		cmocka_unit_test(test_source_reuse_order),
		cmocka_unit_test(test_arena_grows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
