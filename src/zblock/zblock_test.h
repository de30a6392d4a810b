/*
 * zblock_test.h - what zblock's white-box tests share: a pool, its checker,
 * where an object is, and its bytes
 */
#ifndef ZBUD_ZBLOCK_TEST_H
#define ZBUD_ZBLOCK_TEST_H

#include "alloc_test.h"
#include "zblock_internal.h"

static inline struct zblock_pool *new_pool(void)
{
	static const struct zbud_source_config arena;
	struct zblock_pool *pool = zblock_create_pool(&arena);

	assert_non_null(pool);
	return pool;
}

static inline void check_ok(struct zblock_pool *pool)
{
	char msg[256];

	if (zblock_check_pool(pool, msg, sizeof(msg)))
		fail_msg("zblock_check_pool: %s", msg);
}

static inline unsigned long alloc_ok(struct zblock_pool *pool, size_t size)
{
	unsigned long h = 0;

	assert_int_equal(zblock_alloc(pool, size, &h), 0);
	assert_true(h != 0);
	return h;
}

static inline unsigned int slot_of(struct zblock_pool *pool, unsigned long h, uint32_t *first)
{
	unsigned int slot;
	uint32_t f;

	assert_true(zblock_handle_slot(pool, h, &f, &slot));
	if (first)
		*first = f;
	return slot;
}

static inline uint32_t block_of(struct zblock_pool *pool, unsigned long h)
{
	uint32_t first;

	slot_of(pool, h, &first);
	return first;
}

static inline unsigned int type_index(const struct zblock_pool *pool, size_t size)
{
	return (unsigned int)(zblock_size_type(pool, size) - pool->type);
}

static inline void fill(struct zblock_pool *pool, unsigned long h, size_t size, uint64_t id)
{
	test_fill(zblock_map(pool, h), size, id);
}

static inline bool intact(struct zblock_pool *pool, unsigned long h, size_t size, uint64_t id)
{
	return test_intact(zblock_map(pool, h), size, id);
}

#endif /* ZBUD_ZBLOCK_TEST_H */
