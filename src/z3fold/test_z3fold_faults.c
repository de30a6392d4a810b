/*
 * test_z3fold_faults.c - a fixed workload with each page allocation, and each
 * growth of the handle table, failing in turn: -ENOMEM and nothing changed
 */
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "z3fold_test.h"

/* ---- fault injection ---- */

/* What a failed call must leave as it was: every list, every in-use
 * descriptor and where every live handle points (not the handle table's
 * size, which may have grown ahead of the page that failed). */
static uint64_t fingerprint(const struct z3fold_pool *pool)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *bytes;

#define MIX(p, n) for (bytes = (const void *)(p); bytes < (const unsigned char *)(p) + (n); bytes++) \
		h = (h ^ *bytes) * 1099511628211ULL
	MIX(pool->unbuddied, sizeof(pool->unbuddied));
	MIX(&pool->unbuddied_mask, sizeof(pool->unbuddied_mask));
	MIX(&pool->lru, sizeof(pool->lru));
	MIX(&pool->src.in_use, sizeof(pool->src.in_use));
	for (uint32_t p = 0; p < pool->src.next; p++)
		if (!z3fold_page_is_free(z3fold_page(pool, p)))
			MIX(z3fold_page(pool, p), sizeof(struct z3fold_page));
	for (uint32_t i = 0; i < pool->slots_cap; i++)
		if (pool->slots[i].state != SLOT_FREE)
			MIX(&pool->slots[i], sizeof(pool->slots[i]));
#undef MIX
	return h;
}

/* A fixed workload; returns how many allocations failed. */
static int workload(void)
{
	enum { OPS = 400, N = 64 };
	struct z3fold_pool *pool = z3fold_create_pool(NULL, NULL, NULL);
	unsigned long h[N] = { 0 };
	size_t size[N] = { 0 };
	uint64_t rng = 42;
	int failures = 0;
	char msg[256];

	assert_non_null(pool);
	for (int op = 0; op < OPS; op++) {
		int i;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		i = (int)((rng >> 33) % N);
		if (h[i]) {
			verify(pool, h[i], size[i], (unsigned int)i);
			z3fold_free(pool, h[i]);
			h[i] = 0;
		} else {
			uint64_t before = fingerprint(pool);
			int err;

			size[i] = 1 + (size_t)(rng >> 40) % Z3FOLD_MAX_SIZE;
			err = z3fold_alloc(pool, size[i], &h[i]);
			if (err) {
				assert_int_equal(err, -ENOMEM);
				assert_int_equal(h[i], 0);
				assert_true(fingerprint(pool) == before);
				failures++;
				continue;
			}
			fill(pool, h[i], size[i], (unsigned int)i);
		}
		if (z3fold_check_pool(pool, msg, sizeof(msg)))
			fail_msg("op %d: %s", op, msg);
	}
	for (int i = 0; i < N; i++)
		if (h[i])
			verify(pool, h[i], size[i], (unsigned int)i);
	z3fold_destroy_pool(pool);
	return failures;
}

/* Fail each call at @site from the @from-th on, one run each. */
static void sweep(enum zbud_fault_site site, uint64_t at_least, uint64_t from)
{
	uint64_t calls;

	zbud_fault_arm(site, 0);
	assert_int_equal(workload(), 0);
	calls = zbud_fault_calls(site);
	assert_true(calls >= at_least);
	for (uint64_t n = from; n <= calls; n++) {
		zbud_fault_arm(site, n);
		assert_int_equal(workload(), 1);
	}
	zbud_fault_arm(site, 0);
}

static void test_every_page_allocation_fails_once(void **state)
{
	(void)state;
	sweep(ZBUD_FAULT_PAGE, 50, 1);
}

static void test_every_table_growth_fails_once(void **state)
{
	(void)state;
	sweep(ZBUD_FAULT_META, 2, 2); /* the first is the pool's creation (test_zpool_fault) */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_page_allocation_fails_once),
		cmocka_unit_test(test_every_table_growth_fails_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
