/*
 * test_zblock_threads.c - zblock through zpool on several threads at once:
 * each worker allocates, fills, checks and frees objects of its own, reads
 * objects every thread shares, and hands objects to other threads, while
 * one more thread runs the checker.  ZBUD_STRESS_MS says how long.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "stress_util.h"
#include "zblock_test.h"

/* ---- Threads ---- */

#define WORKERS 4
#define SLOTS_PER_WORKER 512
#define SHARED 256              /* read by every worker, never freed */
#define HANDOFF 64              /* objects passed from thread to thread */
#define DEFAULT_MS 1500

struct stress {
	struct zpool *pool;
	struct test_obj shared[SHARED];
	_Atomic unsigned long handoff[HANDOFF]; /* handle, or 0 */
	size_t handoff_size[HANDOFF];            /* written before the handle */
	atomic_bool stop;
	atomic_ulong ops, passed;
	struct thread_errors errors;
};

struct worker {
	struct stress *st;
	int id;
	uint64_t seed;
	struct test_obj obj[SLOTS_PER_WORKER];
	uint64_t gen[SLOTS_PER_WORKER];
};

static uint64_t id_of(const struct worker *w, int s)
{
	return (uint64_t)(w->id + 1) << 48 | (uint64_t)s << 32 | w->gen[s];
}

#define BUSY (~0UL)              /* a handoff slot being filled: no handle */

/* Hand object @s to another thread through a handoff slot, or take one
 * there: a handed object holds the pattern of its handoff slot.  A giver
 * claims an empty slot (BUSY) before it writes the size and publishes. */
static void handoff(struct worker *w, int s)
{
	struct stress *st = w->st;
	unsigned int k = (unsigned int)(test_rng(&w->seed) % HANDOFF);
	unsigned long h = atomic_load(&st->handoff[k]), none = 0;
	struct test_obj *o = &w->obj[s];

	if (h && h != BUSY) {
		if (!atomic_compare_exchange_strong(&st->handoff[k], &h, 0))
			return;
		if (!zp_intact(st->pool, h, st->handoff_size[k], 0xabcd0000u + k))
			report(&st->errors, "handed object %u changed", k);
		zpool_free(st->pool, h);
		atomic_fetch_add(&st->passed, 1);
		return;
	}
	if (!o->handle || !atomic_compare_exchange_strong(&st->handoff[k], &none, BUSY))
		return;
	zp_fill(st->pool, o->handle, o->size, 0xabcd0000u + k);
	st->handoff_size[k] = o->size;
	atomic_store(&st->handoff[k], o->handle);
	o->handle = 0;
	w->gen[s]++;
}

static void worker_step(struct worker *w)
{
	struct stress *st = w->st;
	int s = (int)(test_rng(&w->seed) % SLOTS_PER_WORKER);
	struct test_obj *o = &w->obj[s];
	unsigned int r = (unsigned int)(test_rng(&w->seed) % 100);

	if (r < 15) {
		const struct test_obj *sh = &st->shared[test_rng(&w->seed) % SHARED];

		if (!zp_intact(st->pool, sh->handle, sh->size, (uint64_t)(sh - st->shared)))
			report(&st->errors, "shared object %td changed", sh - st->shared);
	} else if (r < 20) {
		handoff(w, s);
	} else if (!o->handle) {
		int err;

		o->size = 1 + (size_t)(test_rng(&w->seed) % 4096);
		err = zpool_malloc(st->pool, o->size, &o->handle);
		if (err)
			report(&st->errors, "zpool_malloc(%zu): %d", o->size, err);
		else
			zp_fill(st->pool, o->handle, o->size, id_of(w, s));
	} else if (!zp_intact(st->pool, o->handle, o->size, id_of(w, s))) {
		report(&st->errors, "worker %d, slot %d: object changed", w->id, s);
	} else {
		zpool_free(st->pool, o->handle);
		o->handle = 0;
		w->gen[s]++;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned long n;

	for (n = 0; !atomic_load_explicit(&w->st->stop, memory_order_relaxed); n++)
		worker_step(w);
	atomic_fetch_add(&w->st->ops, n);
	return NULL;
}

static void *checker_main(void *arg)
{
	struct stress *st = arg;
	char msg[160];

	while (!atomic_load_explicit(&st->stop, memory_order_relaxed))
		if (zpool_check(st->pool, msg, sizeof(msg)))
			report(&st->errors, "zpool_check: %s", msg);
	return NULL;
}

static void test_threads(void **state)
{
	static struct stress st;
	static struct worker w[WORKERS];
	long ms = stress_ms(DEFAULT_MS);
	struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };
	pthread_t thread[WORKERS + 1];
	uint64_t seed = 99;
	char msg[160];

	(void)state;
	memset(&st, 0, sizeof(st));
	st.pool = zpool_create_pool("zblock", "stress", NULL);
	assert_non_null(st.pool);
	for (int i = 0; i < SHARED; i++) {
		st.shared[i].size = 1 + test_rng(&seed) % 4096;
		assert_int_equal(zpool_malloc(st.pool, st.shared[i].size, &st.shared[i].handle), 0);
		zp_fill(st.pool, st.shared[i].handle, st.shared[i].size, (uint64_t)i);
	}
	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){ .st = &st, .id = i, .seed = 1000 + (uint64_t)i };
		assert_int_equal(pthread_create(&thread[i], NULL, worker_main, &w[i]), 0);
	}
	assert_int_equal(pthread_create(&thread[WORKERS], NULL, checker_main, &st), 0);
	nanosleep(&t, NULL);
	atomic_store(&st.stop, true);
	for (int i = 0; i <= WORKERS; i++)
		assert_int_equal(pthread_join(thread[i], NULL), 0);
	print_message("%lu operations, %lu objects passed between threads\n",
		      (unsigned long)atomic_load(&st.ops), (unsigned long)atomic_load(&st.passed));
	expect_no_errors(&st.errors);
	assert_true(atomic_load(&st.passed) > 0);
	for (int i = 0; i < SHARED; i++)
		assert_true(zp_intact(st.pool, st.shared[i].handle, st.shared[i].size, (uint64_t)i));
	for (int i = 0; i < WORKERS; i++)
		for (int k = 0; k < SLOTS_PER_WORKER; k++)
			if (w[i].obj[k].handle)
				assert_true(zp_intact(st.pool, w[i].obj[k].handle, w[i].obj[k].size,
						      id_of(&w[i], k)));
	for (int k = 0; k < HANDOFF; k++)
		if (st.handoff[k])
			assert_true(zp_intact(st.pool, st.handoff[k], st.handoff_size[k],
					      0xabcd0000u + (unsigned int)k));
	if (zpool_check(st.pool, msg, sizeof(msg)))
		fail_msg("zpool_check: %s", msg);
	zpool_destroy_pool(st.pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
