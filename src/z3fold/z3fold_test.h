/*
 * z3fold_test.h - what z3fold's white-box tests share: a pool with an evict
 * callback that logs (evict_log.h), its checker at teardown, where an object
 * is, and its bytes
 */
#ifndef ZBUD_Z3FOLD_TEST_H
#define ZBUD_Z3FOLD_TEST_H

#define ZPOOL_STATIC_LINKING_ONLY
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "evict_log.h"
#include "z3fold_internal.h"
#include "zpool.h"

#define CHUNK Z3FOLD_CHUNK_SIZE

static inline int evict(struct z3fold_pool *pool, unsigned long handle)
{
	if (evict_log_refuses(handle, z3fold_get_pool_size(pool)))
		return -EBUSY;
	z3fold_free(pool, handle);
	return 0;
}

static const struct z3fold_ops ops = { .evict = evict };

static inline int setup(void **state)
{
	evict_log_clear();
	*state = z3fold_create_pool(&ops, NULL, NULL);
	return *state ? 0 : -1;
}

static inline int teardown(void **state)
{
	char msg[256];

	if (z3fold_check_pool(*state, msg, sizeof(msg)))
		fail_msg("z3fold_check_pool: %s", msg);
	z3fold_destroy_pool(*state);
	return 0;
}

static inline unsigned long alloc_ok(struct z3fold_pool *pool, size_t size)
{
	unsigned long h = 0;

	assert_int_equal(z3fold_alloc(pool, size, &h), 0);
	assert_true(h != 0);
	return h;
}

static inline unsigned long alloc_chunks(struct z3fold_pool *pool, int chunks)
{
	return alloc_ok(pool, (size_t)chunks * CHUNK);
}

struct place {
	uint32_t page;
	enum z3fold_buddy bud;
	unsigned int offset;
};

static inline struct place where(struct z3fold_pool *pool, unsigned long h)
{
	struct place p;

	assert_int_equal(z3fold_locate(pool, h, &p.page, &p.bud, &p.offset), 0);
	return p;
}

static inline void expect_at(struct z3fold_pool *pool, unsigned long h, enum z3fold_buddy bud,
		      unsigned int offset_chunk)
{
	struct place p = where(pool, h);

	assert_int_equal(p.bud, bud);
	assert_int_equal(p.offset, offset_chunk * CHUNK);
}

static inline uint32_t page_of(struct z3fold_pool *pool, unsigned long h)
{
	return where(pool, h).page;
}

/* Fill an object with bytes from @seed, and check them. */
static inline void fill(struct z3fold_pool *pool, unsigned long h, size_t size, unsigned int seed)
{
	unsigned char *p = z3fold_map(pool, h);

	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7);
	z3fold_unmap(pool, h);
}

static inline void verify(struct z3fold_pool *pool, unsigned long h, size_t size, unsigned int seed)
{
	const unsigned char *p = z3fold_map(pool, h);

	assert_non_null(p);
	for (size_t i = 0; i < size; i++)
		if (p[i] != (unsigned char)(seed * 31 + i * 7))
			fail_msg("handle %lu, byte %zu overwritten", h, i);
	z3fold_unmap(pool, h);
}

/* FIRST, LAST and MIDDLE of @f, @l, @m chunks in one new page: MIDDLE at 2 + f. */
static inline void three(struct z3fold_pool *pool, int f, int l, int m, unsigned long h[3])
{
	h[0] = alloc_chunks(pool, f);
	h[1] = alloc_chunks(pool, l);
	h[2] = alloc_chunks(pool, m);
	expect_at(pool, h[2], Z3FOLD_MIDDLE, 2 + f);
}


#endif /* ZBUD_Z3FOLD_TEST_H */
