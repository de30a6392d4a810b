/*
 * zsmalloc_test.h - what zsmalloc's white-box tests share: a pool of the
 * geometry the kernel's rules were written for, its checker, where an object
 * is, its bytes, and the pages the live objects need at best
 */
#ifndef ZBUD_ZSMALLOC_TEST_H
#define ZBUD_ZSMALLOC_TEST_H

#include "alloc_test.h"
#include "zsmalloc_internal.h"

/* The kernel's geometry with v6.1's chains of at most 4 pages and no handle
 * in the objects: what these rules were written for.  Ours (growing
 * zspages) is test_zsmalloc_dense.c's. */
static const struct zs_config kernel4 = { .chain = 4, .kernel = true };

static inline struct zs_pool *new_pool(void)
{
	static const struct zbud_source_config arena;
	struct zs_pool *pool = zs_create_pool(&arena, &kernel4);

	assert_non_null(pool);
	return pool;
}

static inline void check_ok(struct zs_pool *pool)
{
	char msg[256];

	if (zs_check_pool(pool, msg, sizeof(msg)))
		fail_msg("zs_check_pool: %s", msg);
}

static inline unsigned long alloc_ok(struct zs_pool *pool, size_t size)
{
	unsigned long h = 0;

	assert_int_equal(zs_malloc(pool, size, &h), 0);
	assert_true(h != 0);
	return h;
}

static inline unsigned int slot_of(struct zs_pool *pool, unsigned long h, uint32_t *first)
{
	unsigned int slot;
	uint32_t f;

	assert_true(zs_handle_slot(pool, h, &f, &slot));
	if (first)
		*first = f;
	return slot;
}

static inline uint32_t zspage_of(struct zs_pool *pool, unsigned long h)
{
	uint32_t first;

	slot_of(pool, h, &first);
	return first;
}

/* Byte k of object @id: distinct per object and offset. */
static inline void fill(struct zs_pool *pool, unsigned long h, size_t size, uint64_t id)
{
	unsigned char *p = zs_map_object(pool, h, ZS_MM_WO);

	assert_non_null(p);
	test_fill(p, size, id);
	zs_unmap_object(pool, h);
}

static inline bool intact(struct zs_pool *pool, unsigned long h, size_t size, uint64_t id)
{
	bool ok = test_intact(zs_map_object(pool, h, ZS_MM_RO), size, id);

	zs_unmap_object(pool, h);
	return ok;
}

/* Pages the live objects need at best: full zspages but the last of each
 * class, from the pool's own per-class counts. */
static inline uint64_t packed_pages(struct zs_pool *pool)
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


#endif /* ZBUD_ZSMALLOC_TEST_H */
