/*
 * zpool_stress.h - any zpool driver on several threads at once (the
 * allocators' thread tests, src/ALLOCATOR/test_*_threads.c)
 *
 * WORKERS threads each allocate, fill, check, rewrite (a read-write map) and
 * free objects of their own, read objects that every thread shares, and hand
 * objects to each other through handoff slots, each object's bytes a
 * pattern from an ID that no other object has.  One more thread runs the
 * caller's @extra (a compactor, a checker) until the others stop.  After
 * ZBUD_STRESS_MS (default 1.5 s), every object left must be intact and the
 * pool's checker content.  cmocka's asserts run on the main thread only:
 * the others report() (stress_util.h).
 */
#ifndef ZBUD_TEST_ZPOOL_STRESS_H
#define ZBUD_TEST_ZPOOL_STRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "alloc_test.h"
#include "stress_util.h"

#define WORKERS 4
#define SLOTS_PER_WORKER 512
#define SHARED 256              /* read by every worker, never freed */
#define HANDOFF 64              /* objects passed from thread to thread */
#define STRESS_DEFAULT_MS 1500
#define BUSY (~0UL)             /* a handoff slot being filled: no handle */
#define HANDED_ID(k) (0xabcd0000u + (k))

struct zp_stress {
	struct zpool *pool;
	struct test_obj shared[SHARED];
	_Atomic unsigned long handoff[HANDOFF]; /* handle, BUSY, or 0 */
	size_t handoff_size[HANDOFF];            /* written before the handle */
	atomic_bool stop;
	atomic_ulong ops, passed, extra;         /* extra: the extra thread's count */
	struct thread_errors errors;
};

struct zp_worker {
	struct zp_stress *st;
	int id;
	uint64_t seed;
	struct test_obj obj[SLOTS_PER_WORKER];
	uint64_t gen[SLOTS_PER_WORKER];
};

static inline uint64_t zp_id_of(const struct zp_worker *w, int s)
{
	return (uint64_t)(w->id + 1) << 48 | (uint64_t)s << 32 | w->gen[s];
}

/* Hand object @s to another thread, or take one handed: a giver claims an
 * empty slot (BUSY) before it writes the size and publishes the handle. */
static inline void zp_handoff(struct zp_worker *w, int s)
{
	struct zp_stress *st = w->st;
	unsigned int k = (unsigned int)(test_rng(&w->seed) % HANDOFF);
	unsigned long h = atomic_load(&st->handoff[k]), none = 0;
	struct test_obj *o = &w->obj[s];

	if (h && h != BUSY) {
		size_t size;

		/* Claimed as BUSY, not emptied, until its size is read: an empty
		 * slot lets another thread write a new size meanwhile (TSan). */
		if (!atomic_compare_exchange_strong(&st->handoff[k], &h, BUSY))
			return;
		size = st->handoff_size[k];
		atomic_store(&st->handoff[k], 0);
		if (!zp_intact(st->pool, h, size, HANDED_ID(k)))
			report(&st->errors, "handed object %u changed", k);
		zpool_free(st->pool, h);
		atomic_fetch_add(&st->passed, 1);
		return;
	}
	if (!o->handle || !atomic_compare_exchange_strong(&st->handoff[k], &none, BUSY))
		return;
	zp_fill(st->pool, o->handle, o->size, HANDED_ID(k));
	st->handoff_size[k] = o->size;
	atomic_store(&st->handoff[k], o->handle);
	o->handle = 0;
	w->gen[s]++;
}

static inline void zp_worker_step(struct zp_worker *w)
{
	struct zp_stress *st = w->st;
	int s = (int)(test_rng(&w->seed) % SLOTS_PER_WORKER);
	struct test_obj *o = &w->obj[s];
	unsigned int r = (unsigned int)(test_rng(&w->seed) % 100);

	if (r < 15) {
		const struct test_obj *sh = &st->shared[test_rng(&w->seed) % SHARED];

		if (!zp_intact(st->pool, sh->handle, sh->size, (uint64_t)(sh - st->shared)))
			report(&st->errors, "shared object %td changed", sh - st->shared);
	} else if (r < 20) {
		zp_handoff(w, s);
	} else if (!o->handle) {
		int err;

		o->size = 1 + (size_t)(test_rng(&w->seed) % 4096);
		err = zpool_malloc(st->pool, o->size, &o->handle);
		if (err)
			report(&st->errors, "zpool_malloc(%zu): %d", o->size, err);
		else
			zp_fill(st->pool, o->handle, o->size, zp_id_of(w, s));
	} else if (!zp_intact(st->pool, o->handle, o->size, zp_id_of(w, s))) {
		report(&st->errors, "worker %d, slot %d: object changed", w->id, s);
	} else if (r < 50) {
		w->gen[s]++;
		zp_fill_as(st->pool, o->handle, o->size, zp_id_of(w, s), ZPOOL_MM_RW);
	} else {
		zpool_free(st->pool, o->handle);
		o->handle = 0;
		w->gen[s]++;
	}
}

static inline void *zp_worker_main(void *arg)
{
	struct zp_worker *w = arg;
	unsigned long n;

	for (n = 0; !atomic_load_explicit(&w->st->stop, memory_order_relaxed); n++)
		zp_worker_step(w);
	atomic_fetch_add(&w->st->ops, n);
	return NULL;
}

/* Everything left intact, and the pool sound; on the main thread. */
static inline void zp_stress_verify(struct zp_stress *st, const struct zp_worker *w)
{
	char msg[160];

	expect_no_errors(&st->errors);
	for (int i = 0; i < SHARED; i++)
		assert_true(zp_intact(st->pool, st->shared[i].handle, st->shared[i].size,
				      (uint64_t)i));
	for (int i = 0; i < WORKERS; i++)
		for (int k = 0; k < SLOTS_PER_WORKER; k++)
			if (w[i].obj[k].handle)
				assert_true(zp_intact(st->pool, w[i].obj[k].handle, w[i].obj[k].size,
						      zp_id_of(&w[i], k)));
	for (unsigned int k = 0; k < HANDOFF; k++)
		if (st->handoff[k])
			assert_true(zp_intact(st->pool, st->handoff[k], st->handoff_size[k],
					      HANDED_ID(k)));
	if (zpool_check(st->pool, msg, sizeof(msg)))
		fail_msg("zpool_check: %s", msg);
}

/* The whole run on a new pool of @type; @extra gets @st. */
static inline void zp_stress_run(struct zp_stress *st, const char *type, void *(*extra)(void *))
{
	static struct zp_worker w[WORKERS];
	long ms = stress_ms(STRESS_DEFAULT_MS);
	struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };
	pthread_t thread[WORKERS + 1];
	uint64_t seed = 99;

	memset(st, 0, sizeof(*st));
	st->pool = zpool_create_pool(type, "stress", NULL);
	assert_non_null(st->pool);
	for (int i = 0; i < SHARED; i++) {
		st->shared[i].size = 1 + test_rng(&seed) % 4096;
		assert_int_equal(zpool_malloc(st->pool, st->shared[i].size, &st->shared[i].handle), 0);
		zp_fill(st->pool, st->shared[i].handle, st->shared[i].size, (uint64_t)i);
	}
	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct zp_worker){ .st = st, .id = i, .seed = 1000 + (uint64_t)i };
		assert_int_equal(pthread_create(&thread[i], NULL, zp_worker_main, &w[i]), 0);
	}
	assert_int_equal(pthread_create(&thread[WORKERS], NULL, extra, st), 0);
	nanosleep(&t, NULL);
	atomic_store(&st->stop, true);
	for (int i = 0; i <= WORKERS; i++)
		assert_int_equal(pthread_join(thread[i], NULL), 0);
	print_message("%s: %lu operations, %lu objects passed between threads, %lu by the "
		      "other thread\n", type, (unsigned long)atomic_load(&st->ops),
		      (unsigned long)atomic_load(&st->passed), (unsigned long)atomic_load(&st->extra));
	zp_stress_verify(st, w);
	assert_true(atomic_load(&st->passed) > 0);
	zpool_destroy_pool(st->pool);
}

#endif /* ZBUD_TEST_ZPOOL_STRESS_H */
