/*
 * test_zsmalloc_threads.c - zsmalloc through zpool on several threads at
 * once, mapping, rewriting and freeing while another thread compacts and
 * checks.  ZBUD_STRESS_MS says how long.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "stress_util.h"
#include "zsmalloc_test.h"

/* ---- Threads ---- */

#define WORKERS 4
#define SLOTS_PER_WORKER 512
#define SHARED 256              /* read by every worker, never freed */
#define DEFAULT_MS 1500

struct stress {
	struct zpool *pool;
	struct test_obj shared[SHARED];
	atomic_bool stop;
	atomic_ulong ops, compactions, freed_pages;
	struct thread_errors errors;
};

struct worker {
	struct stress *st;
	int id;
	uint64_t seed;
	struct test_obj obj[SLOTS_PER_WORKER];
	uint64_t gen[SLOTS_PER_WORKER];
};

/* Object ids: worker, slot and generation, so that no two are alike. */
static uint64_t id_of(const struct worker *w, int s)
{
	return (uint64_t)(w->id + 1) << 48 | (uint64_t)s << 32 | w->gen[s];
}

static void worker_step(struct worker *w)
{
	struct stress *st = w->st;
	int s = (int)(test_rng(&w->seed) % SLOTS_PER_WORKER);
	struct test_obj *o = &w->obj[s];
	unsigned int r = (unsigned int)(test_rng(&w->seed) % 100);

	if (r < 20) {
		const struct test_obj *sh = &st->shared[test_rng(&w->seed) % SHARED];

		if (!zp_intact(st->pool, sh->handle, sh->size, (uint64_t)(sh - st->shared)))
			report(&st->errors, "shared object %td changed", sh - st->shared);
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
	} else if (r < 50) {
		w->gen[s]++;
		zp_fill_as(st->pool, o->handle, o->size, id_of(w, s), ZPOOL_MM_RW);
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

static void *compactor_main(void *arg)
{
	struct stress *st = arg;
	char msg[160];

	for (unsigned long n = 0; !atomic_load_explicit(&st->stop, memory_order_relaxed); n++) {
		atomic_fetch_add(&st->freed_pages, zpool_compact(st->pool));
		atomic_fetch_add(&st->compactions, 1);
		if (n % 16 == 0 && zpool_check(st->pool, msg, sizeof(msg)))
			report(&st->errors, "zpool_check: %s", msg);
	}
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
	st.pool = zpool_create_pool("zsmalloc", "stress", NULL);
	assert_non_null(st.pool);
	for (int i = 0; i < SHARED; i++) {
		st.shared[i].size = 1 + test_rng(&seed) % 4096;
		assert_int_equal(zpool_malloc(st.pool, st.shared[i].size, &st.shared[i].handle), 0);
		zp_fill(st.pool, st.shared[i].handle, st.shared[i].size, (uint64_t)i);
	}
	for (int i = 0; i < WORKERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i] = (struct worker){ .st = &st, .id = i, .seed = 1000 + (uint64_t)i };
		assert_int_equal(pthread_create(&thread[i], NULL, worker_main, &w[i]), 0);
	}
	assert_int_equal(pthread_create(&thread[WORKERS], NULL, compactor_main, &st), 0);
	nanosleep(&t, NULL);
	atomic_store(&st.stop, true);
	for (int i = 0; i <= WORKERS; i++)
		assert_int_equal(pthread_join(thread[i], NULL), 0);
	print_message("%lu operations; %lu compactions freed %lu pages\n",
		      (unsigned long)atomic_load(&st.ops), (unsigned long)atomic_load(&st.compactions),
		      (unsigned long)atomic_load(&st.freed_pages));
	expect_no_errors(&st.errors);
	assert_true(atomic_load(&st.freed_pages) > 0);
	/* Everything left is intact, and the pool sound. */
	for (int i = 0; i < SHARED; i++)
		assert_true(zp_intact(st.pool, st.shared[i].handle, st.shared[i].size, (uint64_t)i));
	for (int i = 0; i < WORKERS; i++)
		for (int k = 0; k < SLOTS_PER_WORKER; k++)
			if (w[i].obj[k].handle)
				assert_true(zp_intact(st.pool, w[i].obj[k].handle, w[i].obj[k].size,
						      id_of(&w[i], k)));
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
