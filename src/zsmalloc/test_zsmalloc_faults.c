/*
 * test_zsmalloc_faults.c - what zsmalloc does when things go wrong: the
 * handle table's growth failing, compaction without memory, and the
 * invariant checker seeing each kind of corruption.  (Every page allocation
 * failing in turn, for every allocator: src/zpool/test_zpool_fault.c.)
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fault.h"
#include "zsmalloc_test.h"

/* ---- Failed page and handle-table allocations change nothing ---- */

static bool same_stats(struct zs_pool *pool, const struct zs_stats *before)
{
	static struct zs_stats now;

	zs_get_stats(pool, &now);
	now.meta_bytes = before->meta_bytes; /* pages once given are still counted */
	return !memcmp(&now, before, sizeof(now));
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
	uint64_t e, e2;
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
	zp->list.next = first; /* a loop */
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

	e = atomic_load(&pool->handles.table[zs_handle_index(big)]);
	e2 = atomic_load(&pool->handles.table[zs_handle_index(h[1])]);
	atomic_store(&pool->handles.table[zs_handle_index(h[1])], e);
	expect_caught(pool, "two handles at one slot");
	atomic_store(&pool->handles.table[zs_handle_index(h[1])], e2);
	atomic_store(&pool->handles.table[zs_handle_index(big)], e | ZS_ENTRY_MOVING);
	expect_caught(pool, "an entry left moving");
	atomic_store(&pool->handles.table[zs_handle_index(big)], e + 1);
	expect_caught(pool, "a handle at the wrong slot");
	atomic_store(&pool->handles.table[zs_handle_index(big)], e);
	e = atomic_load(&pool->handles.table[zs_handle_index(h[2])]);
	atomic_store(&pool->handles.table[zs_handle_index(h[2])], e2);
	expect_caught(pool, "a free handle made live");
	atomic_store(&pool->handles.table[zs_handle_index(h[2])], e);
	check_ok(pool);

	pool->class[zs_size_class(pool, 1400)->index].zspages++;
	expect_caught(pool, "a class's zspage count");
	pool->class[zs_size_class(pool, 1400)->index].zspages--;
	pool->class[zs_size_class(pool, 1400)->index].present--;
	expect_caught(pool, "a class's slot count");
	pool->class[zs_size_class(pool, 1400)->index].present++;
	atomic_fetch_add(&pool->pages_nr, 1);
	expect_caught(pool, "the pool's page count");
	atomic_fetch_sub(&pool->pages_nr, 1);
	check_ok(pool);
	zs_destroy_pool(pool);
}

/* A head's back link means nothing (popping the head leaves the next
 * one's), but every other zspage's must name the one before it. */
static void test_checker_sees_back_links(void **state)
{
	struct zs_pool *pool = new_pool();
	const unsigned int per = zs_size_class(pool, 1400)->objs_per_zspage;
	unsigned long h[2 * ZS_MAX_OBJS_PER_ZSPAGE];
	uint32_t a, b;
	struct zs_page *zb;

	(void)state;
	for (unsigned int i = 0; i < 2 * per; i++)
		h[i] = alloc_ok(pool, 1400);    /* two full zspages, on no list */
	slot_of(pool, h[0], &a);
	slot_of(pool, h[per], &b);
	assert_int_not_equal(a, b);
	zs_free(pool, h[0]);                    /* a, then b, pushed: b -> a */
	zs_free(pool, h[per]);
	assert_int_equal(zs_size_class(pool, 1400)->list[ZS_ALMOST_FULL], b);
	zs_page(pool, b)->list.prev = a;        /* the head's: no matter */
	check_ok(pool);
	zb = zs_page(pool, a);
	assert_int_equal(zb->list.prev, b);
	zb->list.prev = a;
	expect_caught(pool, "a back link past the head");
	zb->list.prev = b;
	check_ok(pool);
	/* and a pop of b leaves a's back link, which the next free uses */
	alloc_ok(pool, 1400);                   /* fills b: a is the head */
	assert_int_equal(zs_size_class(pool, 1400)->list[ZS_ALMOST_FULL], a);
	check_ok(pool);
	zs_free(pool, h[per + 1]);              /* b back: b -> a */
	zs_free(pool, h[1]);
	for (unsigned int i = 2; i < per; i++)
		zs_free(pool, h[i]);            /* a empties from behind b: unlinked */
	assert_int_equal(zs_size_class(pool, 1400)->list[ZS_ALMOST_FULL], b);
	assert_int_equal(zs_page(pool, b)->list.next, ZBUD_PAGE_NIL);
	check_ok(pool);
	zs_destroy_pool(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handle_table_growth_fails),
		cmocka_unit_test(test_compaction_out_of_memory),
		cmocka_unit_test(test_checker_catches_corruption),
		cmocka_unit_test(test_checker_sees_back_links),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
