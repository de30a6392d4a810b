/*
 * test_z3fold_threads.c - z3fold on WORKERS threads allocating, freeing and
 * holding maps while one more thread reclaims without pause (ZBUD_STRESS_MS,
 * default 1 s)
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stress_util.h"
#include "z3fold_test.h"

/* ---- threads ---- */

#define WORKERS 4
#define SLOTS_PER_WORKER 512
#define SLOTS (WORKERS * SLOTS_PER_WORKER)
#define HANDLES (1 << 16)               /* far above the slots a pool can use */
#define CHECK_EVERY 4096
/* Half the slots live make some 400 pages: reclaim keeps the pool below
 * that, as zswap's limit would, so that pages fill before they are taken. */
#define RECLAIM_ABOVE 256

enum { FREE, LIVE, BUSY };              /* an object's state, with a generation */

struct tslot {
	_Atomic uint64_t word;          /* generation << 2 | state */
	_Atomic unsigned long handle;
	size_t size;                    /* written by whoever holds it BUSY or FREE */
};

struct stress {
	struct z3fold_pool *pool;
	struct tslot slot[SLOTS];
	_Atomic int owner[HANDLES];     /* the slot each handle was last given to */
	atomic_bool stop;
	atomic_ulong ops, evicted, refused, reclaimed;
	struct thread_errors errors;
};

static struct stress *current;          /* for the evict callback */

static uint64_t word(uint64_t gen, int st)
{
	return gen << 2 | (uint64_t)st;
}

static uint64_t cookie(int s, uint64_t gen, size_t i)
{
	return ((uint64_t)s << 40 ^ gen) * 0x9e3779b97f4a7c15ULL + i;
}

static void put_cookie(struct stress *st, int s, uint64_t gen)
{
	unsigned char *p = z3fold_map(st->pool, st->slot[s].handle);

	for (size_t i = 0; i < st->slot[s].size; i++)
		p[i] = (unsigned char)cookie(s, gen, i);
	z3fold_unmap(st->pool, st->slot[s].handle);
}

static void check_cookie(struct stress *st, int s, uint64_t gen)
{
	const unsigned char *p = z3fold_map(st->pool, st->slot[s].handle);
	bool ok = p != NULL;

	for (size_t i = 0; ok && i < st->slot[s].size; i++)
		ok = p[i] == (unsigned char)cookie(s, gen, i);
	z3fold_unmap(st->pool, st->slot[s].handle);
	if (!ok)
		report(&st->errors, "slot %d, generation %" PRIu64 ": cookie overwritten", s, gen);
}

/* LIVE -> BUSY at generation @gen: the right to use or free the object. */
static bool claim(struct stress *st, int s, uint64_t gen)
{
	uint64_t live = word(gen, LIVE);

	return atomic_compare_exchange_strong(&st->slot[s].word, &live, word(gen, BUSY));
}

static void release(struct stress *st, int s, uint64_t gen)
{
	check_cookie(st, s, gen);
	z3fold_free(st->pool, st->slot[s].handle);
	atomic_store(&st->slot[s].word, word(gen + 1, FREE));
}

static int stress_evict(struct z3fold_pool *pool, unsigned long handle)
{
	struct stress *st = current;
	int s = handle < HANDLES ? atomic_load(&st->owner[handle]) : -1;
	uint64_t w = s >= 0 ? atomic_load(&st->slot[s].word) : 0;

	if (pool != st->pool || handle >= HANDLES)
		report(&st->errors, "evict(%#lx): another pool, or a handle past HANDLES", handle);
	/* The handle read after LIVE(gen) is that generation's, if the claim
	 * of LIVE(gen) then succeeds. */
	if (s < 0 || (w & 3) != LIVE || atomic_load(&st->slot[s].handle) != handle ||
	    !claim(st, s, w >> 2)) {
		atomic_fetch_add(&st->refused, 1);
		return -EBUSY;
	}
	release(st, s, w >> 2);
	atomic_fetch_add(&st->evicted, 1);
	return 0;
}

static const struct z3fold_ops stress_ops = { .evict = stress_evict };

struct worker {
	struct stress *st;
	int id;
	uint64_t rng;
};

static unsigned int below(struct worker *w, unsigned int n)
{
	w->rng = w->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned int)((w->rng >> 33) % n);
}

/* A random slot of ours: fill it, or free what it holds, or hold a map on
 * it a moment while other threads compact its page. */
static void step(struct worker *w)
{
	struct stress *st = w->st;
	int s = w->id * SLOTS_PER_WORKER + (int)below(w, SLOTS_PER_WORKER);
	uint64_t wd = atomic_load(&st->slot[s].word), gen = wd >> 2;
	unsigned long h = 0;

	if ((wd & 3) == FREE) {
		int rc;

		st->slot[s].size = 1 + below(w, below(w, 8) ? 2000 : Z3FOLD_MAX_SIZE);
		rc = z3fold_alloc(st->pool, st->slot[s].size, &h);
		if (rc || h >= HANDLES) {
			report(&st->errors, "z3fold_alloc(%zu): %d, handle %#lx", st->slot[s].size,
			       rc, h);
			return;
		}
		atomic_store(&st->slot[s].handle, h);
		put_cookie(st, s, gen);
		atomic_store(&st->owner[h], s);
		atomic_store(&st->slot[s].word, word(gen, LIVE));
	} else if (claim(st, s, gen)) {
		if (below(w, 4)) {
			release(st, s, gen);
		} else {
			check_cookie(st, s, gen);
			atomic_store(&st->slot[s].word, word(gen, LIVE));
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned long n;
	char msg[160];

	for (n = 0; !atomic_load(&w->st->stop); n++) {
		step(w);
		if (n % CHECK_EVERY == CHECK_EVERY - 1 &&
		    z3fold_check_pool(w->st->pool, msg, sizeof(msg)))
			report(&w->st->errors, "z3fold_check_pool: %s", msg);
	}
	atomic_fetch_add(&w->st->ops, n);
	return NULL;
}

static void *reclaimer_main(void *arg)
{
	struct stress *st = arg;

	while (!atomic_load(&st->stop)) {
		int rc;

		if (z3fold_get_pool_size(st->pool) < RECLAIM_ABOVE) {
			sched_yield();
			continue;
		}
		rc = z3fold_reclaim_page(st->pool, 8);

		if (rc == 0)
			atomic_fetch_add(&st->reclaimed, 1);
		else if (rc != -EAGAIN && rc != -EINVAL)
			report(&st->errors, "z3fold_reclaim_page: %d", rc);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct stress *st = calloc(1, sizeof(*st));
	struct worker w[WORKERS];
	pthread_t t[WORKERS], reclaimer;
	long ms = stress_ms(1000);
	struct timespec pause = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };
	char msg[256];

	(void)state;
	assert_non_null(st);
	for (int i = 0; i < HANDLES; i++)
		atomic_init(&st->owner[i], -1);
	st->pool = z3fold_create_pool(&stress_ops, NULL, NULL);
	assert_non_null(st->pool);
	current = st;
	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){ .st = st, .id = i, .rng = 0x7a33ULL + (uint64_t)i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	assert_int_equal(pthread_create(&reclaimer, NULL, reclaimer_main, st), 0);
	nanosleep(&pause, NULL);
	atomic_store(&st->stop, true);
	for (int i = 0; i < WORKERS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(pthread_join(reclaimer, NULL), 0);
	print_message("%lu operations, %lu evicted, %lu refused, %lu pages reclaimed\n",
		      (unsigned long)st->ops, (unsigned long)st->evicted,
		      (unsigned long)st->refused, (unsigned long)st->reclaimed);
	for (int s = 0; s < SLOTS; s++) {
		uint64_t wd = atomic_load(&st->slot[s].word);

		assert_int_not_equal(wd & 3, BUSY);
		if ((wd & 3) == LIVE && claim(st, s, wd >> 2))
			release(st, s, wd >> 2);
	}
	expect_no_errors(&st->errors);
	assert_true(st->evicted > 0);
	assert_int_equal(z3fold_get_pool_size(st->pool), 0);
	if (z3fold_check_pool(st->pool, msg, sizeof(msg)))
		fail_msg("z3fold_check_pool: %s", msg);
	z3fold_destroy_pool(st->pool);
	free(st);
	current = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
