/*
 * model_util.h - what the reference-model tests share (test_model.c,
 * test_z3fold_model.c, test_zsmalloc_model.c)
 *
 * A run is a seed and an operation counter: every failure names both, and
 * ZBUD_TEST_SEED=<seed> replays it (ZBUD_MODEL_OPS sets the length).  Around
 * it, the pieces each model test builds its harness from:
 *
 *   run_steps()        the run itself, with a full check now and then
 *   draw_target()      how many live objects the run steers toward
 *   struct index_set   small integers, dense for scans and random picks
 *   struct index_map   pool numbers (pages, handles) to model indexes
 *   struct stale_ring  recently freed handles, to free once more
 *   pattern_*()        the bytes an object holds, made from its unique ID
 *   lz4_heap_size()    object sizes like LZ4's output on a real heap
 */
#ifndef ZBUD_TEST_MODEL_UTIL_H
#define ZBUD_TEST_MODEL_UTIL_H

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MODEL_OPS 1000000ULL    /* operations of a run, unless ZBUD_MODEL_OPS says */
/* A full check walks every live object's bytes: every 10k operations keeps
 * it to a few percent of the run. */
#define CHECK_EVERY 10000
#define INDEX_SET_MAX 4096      /* above any model's objects or pages */
#define STALE_HANDLES 64

/* ---- The run: seed, random numbers, failures ---- */

struct model_run {
	uint64_t seed, rng;
	uint64_t op;            /* the operation under way */
};

static inline void __attribute__((format(printf, 2, 3)))
fail_run(const struct model_run *r, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fail_msg("op %" PRIu64 ": %s (replay with ZBUD_TEST_SEED=%" PRIu64 ")", r->op, why,
		 r->seed);
}

static inline void expect_eq(const struct model_run *r, const char *what, long long got,
			     long long want)
{
	if (got != want)
		fail_run(r, "%s: pool %lld, model %lld", what, got, want);
}

static inline uint64_t next_rand(struct model_run *r)
{
	/* splitmix64: one state word, and good enough to pick operations */
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline unsigned int below(struct model_run *r, unsigned int n)
{
	return (unsigned int)(next_rand(r) % n);
}

static inline uint64_t env_u64(const char *name, uint64_t fallback)
{
	const char *s = getenv(name);
	char *end;
	uint64_t v;

	if (!s || !*s)
		return fallback;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		fail_msg("%s=%s is not a number", name, s);
	return v;
}

/* Seed @r from ZBUD_TEST_SEED, else @fallback. */
static inline void run_init(struct model_run *r, uint64_t fallback)
{
	r->seed = r->rng = env_u64("ZBUD_TEST_SEED", fallback);
}

static inline uint64_t model_ops(void)
{
	return env_u64("ZBUD_MODEL_OPS", MODEL_OPS);
}

/* The objects the evict callback was offered, in order, against the model's. */
static inline void expect_offers(const struct model_run *r, const uint64_t *got, int n_got,
				 const uint64_t *want, int n_want)
{
	expect_eq(r, "evict calls", n_got, n_want);
	for (int i = 0; i < n_want; i++)
		if (got[i] != want[i])
			fail_run(r, "evict call %d: object %" PRIu64 ", model %" PRIu64, i, got[i],
				 want[i]);
}

/* ---- The run's shape ---- */

struct harness;                 /* each model test's own */

/* @ops calls of @step, with @check_all every CHECK_EVERY of them and after
 * the last; @r->op counts them. */
static inline void run_steps(struct model_run *r, struct harness *h, uint64_t ops,
			     void (*step)(struct harness *),
			     void (*check_all)(const struct harness *))
{
	print_message("seed %" PRIu64 ", %" PRIu64 " operations\n", r->seed, ops);
	for (r->op = 0; r->op < ops; r->op++) {
		step(h);
		if (r->op % CHECK_EVERY == CHECK_EVERY - 1)
			check_all(h);
	}
	check_all(h);
}

/* A new target of live objects, up to @max: redrawn now and then, it makes
 * the run wander between an empty pool and a full one.  A quarter of the
 * targets are tiny, so that the pool often empties and starts over. */
static inline int draw_target(struct model_run *r, int max)
{
	int most = below(r, 4) ? max : 16;

	return (int)below(r, (unsigned int)most + 1);
}

/* ---- Small integers, as a set that is dense for scans and random picks ---- */

/* member[0..n) are in the set, member[n..cap) are free to take. */
struct index_set {
	int n, cap;
	int member[INDEX_SET_MAX];
	int pos[INDEX_SET_MAX];         /* where each integer sits in member[] */
};

static inline void set_init(struct index_set *s, int cap)
{
	assert_in_range(cap, 1, INDEX_SET_MAX);
	s->n = 0;
	s->cap = cap;
	for (int i = 0; i < cap; i++)
		s->member[i] = s->pos[i] = i;
}

static inline int set_take(struct index_set *s)
{
	assert_true(s->n < s->cap);
	return s->member[s->n++];
}

static inline void set_put(struct index_set *s, int x)
{
	int last = s->member[--s->n], at = s->pos[x];

	s->member[at] = last;
	s->pos[last] = at;
	s->member[s->n] = x;
	s->pos[x] = s->n;
}

/* ---- Pool numbers to model indexes, -1 for none; grows as needed ---- */

struct index_map {
	int *of;
	size_t len;
};

static inline int map_get(const struct index_map *m, size_t key)
{
	return key < m->len ? m->of[key] : -1;
}

static inline void map_set(struct index_map *m, size_t key, int value)
{
	size_t old = m->len;

	if (key >= old) {
		m->len = 2 * key + 64;
		m->of = realloc(m->of, m->len * sizeof(*m->of));
		assert_non_null(m->of);
		for (size_t i = old; i < m->len; i++)
			m->of[i] = -1;
	}
	m->of[key] = value;
}

/* Map @key to @value if @key is free: false if it is taken. */
static inline bool map_bind(struct index_map *m, size_t key, int value)
{
	if (map_get(m, key) >= 0)
		return false;
	map_set(m, key, value);
	return true;
}

/* ---- Recently freed handles: freeing one again must change nothing ---- */

struct stale_ring {
	unsigned long handle[STALE_HANDLES];
	unsigned int n;                 /* ever added */
};

static inline void stale_add(struct stale_ring *s, unsigned long handle)
{
	s->handle[s->n++ % STALE_HANDLES] = handle;
}

/* One of the last STALE_HANDLES freed, at random; false if none was. */
static inline bool stale_pick(const struct stale_ring *s, struct model_run *r,
			      unsigned long *handle)
{
	if (!s->n)
		return false;
	*handle = s->handle[below(r, s->n < STALE_HANDLES ? s->n : STALE_HANDLES)];
	return true;
}

/* ---- Object bytes ---- */

/* Word k of object @id's pattern: distinct per object and per offset, so a
 * misplaced or overlapping object shows. */
static inline uint64_t pattern_word(uint64_t id, size_t k)
{
	return (id * 0xd6e8feb86659fd93ULL) ^ (k * 0x9e3779b97f4a7c15ULL) ^ 0x5a5a5a5a5a5a5a5aULL;
}

static inline void pattern_fill(unsigned char *p, size_t size, uint64_t id)
{
	for (size_t i = 0; i < size; i += 8) {
		uint64_t w = pattern_word(id, i / 8);

		memcpy(p + i, &w, size - i < 8 ? size - i : 8);
	}
}

static inline bool pattern_intact(const unsigned char *p, size_t size, uint64_t id)
{
	for (size_t i = 0; i < size; i += 8) {
		uint64_t w = pattern_word(id, i / 8);

		if (memcmp(p + i, &w, size - i < 8 ? size - i : 8))
			return false;
	}
	return true;
}

/* ---- Object sizes ---- */

/* A size like LZ4's output on a real heap: the 5% quantiles of
 * data/python-heap.lz4-sizes.txt, interpolated. */
static inline size_t lz4_heap_size(struct model_run *r)
{
	static const uint16_t lz4_quantile[21] = {
		31, 864, 877, 918, 992, 1033, 1046, 1073, 1162, 1255, 1318,
		1366, 1407, 1446, 1486, 1533, 1594, 1715, 2026, 2081, 3434,
	};
	unsigned int u = below(r, 20 * 256), q = u / 256, frac = u % 256;

	return lz4_quantile[q] + (size_t)(lz4_quantile[q + 1] - lz4_quantile[q]) * frac / 256;
}

#endif /* ZBUD_TEST_MODEL_UTIL_H */
