/*
 * test_stress.c - threads allocating, freeing and reclaiming in one pool at once
 *
 * WORKERS threads allocate and free while one more calls zbud_reclaim_page()
 * without pause, so that its evict callback races with everything else.  Each
 * object sits in a slot of a shared table, whose state word holds a
 * generation and a state:
 *
 *   FREE --allocated by the slot's owner--> LIVE --CAS by a freer--> BUSY
 *     ^                                                                |
 *     +------------ freed, generation + 1 -----------------------------+
 *
 * Only the compare-and-swap LIVE -> BUSY grants the right to free, so the
 * evict callback and the thread that frees the object in the ordinary way
 * (its owner, or in the hand-off test the thread it was handed to) never both
 * free it; the generation tells an out-of-date hand-off from the object now
 * in the slot.  The evict callback gets only a handle: a hash of the live
 * handles, one mutex per bucket, leads to the slot, and its CAS is done under
 * the bucket's lock so that the slot cannot hold another object meanwhile.
 *
 * Every object is filled with a cookie made from its slot and generation and
 * checked by whoever frees it.  Threads count failures in `errors` and keep
 * the first message: cmocka's asserts run on the main thread, after the joins.
 * ZBUD_STRESS_MS overrides how long each test runs.
 */
#define ZBUD_STATIC_LINKING_ONLY
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "stress_util.h"
#include "zbud.h"

#define WORKERS 4
/* About half the slots are live at a time: some 2,000 objects, enough pages
 * for reclaim to pick from and few enough that threads meet on them. */
#define SLOTS_PER_WORKER 1024
#define SLOTS (WORKERS * SLOTS_PER_WORKER)
#define BUCKET_BITS 10
#define BUCKETS (1 << BUCKET_BITS)
#define RECLAIM_RETRIES 8
#define DEFAULT_MS 2000
/* Operations of a worker between two zbud_check_pool() calls, which hold the
 * pool lock for a walk of every page. */
#define CHECK_EVERY 4096
/* Hand-offs waiting for one worker.  Twice the slots of the worker feeding
 * it: out-of-date entries may sit beside the current ones. */
#define QUEUE_LEN (2 * SLOTS_PER_WORKER)

enum { FREE, LIVE, BUSY };

static uint64_t make_word(uint64_t gen, int state)
{
	return gen << 2 | (uint64_t)state;
}

static int state_of(uint64_t word)
{
	return (int)(word & 3);
}

static uint64_t gen_of(uint64_t word)
{
	return word >> 2;
}

struct slot {
	_Atomic uint64_t word;
	unsigned long handle;   /* written by the owner while FREE, read by a claimer */
	size_t size;
	int next;               /* along its bucket's chain, under the bucket's lock */
};

struct bucket {
	pthread_mutex_t lock;
	int head;               /* a slot, or -1 */
};

struct handoff {
	int slot;
	uint64_t gen;
};

/* A ring of hand-offs to one worker. */
struct queue {
	pthread_mutex_t lock;
	unsigned int head, len;
	struct handoff item[QUEUE_LEN];
};

struct stress {
	struct zbud_pool *pool;
	struct slot slot[SLOTS];
	struct bucket bucket[BUCKETS];
	struct queue queue[WORKERS];
	atomic_bool stop;
	atomic_ulong ops, evicted, refused, reclaimed, handed;
	struct thread_errors errors;
};

struct worker {
	struct stress *st;
	int id;
	bool handoff;           /* hand objects to the next worker to free */
	uint64_t rng;
	pthread_t thread;
};

/* zbud_create_pool() takes no private pointer; cmocka runs one test at a time. */
static struct stress *current;

static unsigned int below(struct worker *w, unsigned int n)
{
	/* splitmix64: one state word per thread */
	uint64_t z = (w->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (unsigned int)((z ^ (z >> 31)) % n);
}

/* ---- Cookies ---- */

/* Distinct per slot, generation and offset, so that an object written over
 * by another, or by itself at another place, shows. */
static uint64_t cookie_word(int slot, uint64_t gen, size_t k)
{
	return ((uint64_t)slot << 40 ^ gen) * 0xd6e8feb86659fd93ULL ^ k * 0x9e3779b97f4a7c15ULL;
}

static void put_cookie(struct stress *st, int s, uint64_t gen)
{
	const struct slot *sl = &st->slot[s];
	unsigned char *p = zbud_map(st->pool, sl->handle);

	for (size_t i = 0; i < sl->size; i += 8) {
		uint64_t w = cookie_word(s, gen, i / 8);

		memcpy(p + i, &w, sl->size - i < 8 ? sl->size - i : 8);
	}
	zbud_unmap(st->pool, sl->handle);
}

static bool cookie_intact(struct stress *st, int s, uint64_t gen)
{
	const struct slot *sl = &st->slot[s];
	const unsigned char *p = zbud_map(st->pool, sl->handle);
	bool ok = true;

	for (size_t i = 0; ok && i < sl->size; i += 8) {
		uint64_t w = cookie_word(s, gen, i / 8);

		ok = !memcmp(p + i, &w, sl->size - i < 8 ? sl->size - i : 8);
	}
	zbud_unmap(st->pool, sl->handle);
	return ok;
}

/* ---- The handle -> slot hash, for the evict callback ---- */

static struct bucket *bucket_of(struct stress *st, unsigned long handle)
{
	uint64_t h = (uint64_t)(handle >> ZBUD_CHUNK_SHIFT) * 0x9e3779b97f4a7c15ULL;

	return &st->bucket[h >> (64 - BUCKET_BITS)]; /* Fibonacci hashing: the top bits */
}

static void hash_insert(struct stress *st, int s)
{
	struct bucket *b = bucket_of(st, st->slot[s].handle);

	pthread_mutex_lock(&b->lock);
	st->slot[s].next = b->head;
	b->head = s;
	pthread_mutex_unlock(&b->lock);
}

/* Under @b's lock. */
static void unlink_locked(struct stress *st, struct bucket *b, int s)
{
	int *p = &b->head;

	while (*p != s)
		p = &st->slot[*p].next;
	*p = st->slot[s].next;
}

/* LIVE -> BUSY for generation @gen of slot @s: true if this thread may free it. */
static bool claim(struct stress *st, int s, uint64_t gen)
{
	uint64_t live = make_word(gen, LIVE);
	struct bucket *b;

	if (!atomic_compare_exchange_strong(&st->slot[s].word, &live, make_word(gen, BUSY)))
		return false;
	b = bucket_of(st, st->slot[s].handle);
	pthread_mutex_lock(&b->lock);
	unlink_locked(st, b, s);
	pthread_mutex_unlock(&b->lock);
	return true;
}

/* The evict callback's claim: the live slot holding @handle, or -1. */
static int claim_handle(struct stress *st, unsigned long handle)
{
	struct bucket *b = bucket_of(st, handle);
	int s;

	pthread_mutex_lock(&b->lock);
	for (s = b->head; s >= 0; s = st->slot[s].next) {
		uint64_t word = atomic_load(&st->slot[s].word);

		if (st->slot[s].handle != handle)
			continue;
		/* Not LIVE: its owner is still filling it, or someone frees it. */
		if (state_of(word) != LIVE ||
		    !atomic_compare_exchange_strong(&st->slot[s].word, &word,
						    make_word(gen_of(word), BUSY)))
			s = -1;
		else
			unlink_locked(st, b, s);
		break;
	}
	pthread_mutex_unlock(&b->lock);
	return s;
}

/* ---- Objects ---- */

/* Allocate into FREE slot @s (this worker's) and publish it LIVE. */
static bool make_live(struct worker *w, int s, uint64_t gen)
{
	struct stress *st = w->st;
	struct slot *sl = &st->slot[s];
	size_t size = 1 + below(w, ZBUD_MAX_SIZE);
	int rc = zbud_alloc(st->pool, size, &sl->handle);

	if (rc) {
		report(&st->errors, "zbud_alloc(%zu): %d", size, rc);
		return false;
	}
	sl->size = size;
	put_cookie(st, s, gen);
	hash_insert(st, s);
	atomic_store_explicit(&sl->word, make_word(gen, LIVE), memory_order_release);
	return true;
}

/* Free the object in claimed (BUSY) slot @s, and let its owner reuse it. */
static void release(struct stress *st, int s)
{
	struct slot *sl = &st->slot[s];
	uint64_t gen = gen_of(atomic_load_explicit(&sl->word, memory_order_relaxed));

	if (!cookie_intact(st, s, gen))
		report(&st->errors, "slot %d, generation %" PRIu64 ": cookie overwritten", s, gen);
	zbud_free(st->pool, sl->handle);
	atomic_store_explicit(&sl->word, make_word(gen + 1, FREE), memory_order_release);
}

static int evict(struct zbud_pool *pool, unsigned long handle)
{
	struct stress *st = current;
	int s = claim_handle(st, handle);

	if (pool != st->pool)
		report(&st->errors, "evict(%#lx) for another pool", handle);
	if (s < 0) {
		atomic_fetch_add(&st->refused, 1);
		return -EBUSY;
	}
	release(st, s);
	atomic_fetch_add(&st->evicted, 1);
	return 0;
}

static const struct zbud_ops evict_ops = { .evict = evict };

/* ---- Hand-off queues ---- */

static bool queue_push(struct queue *q, struct handoff item)
{
	bool room;

	pthread_mutex_lock(&q->lock);
	room = q->len < QUEUE_LEN;
	if (room)
		q->item[(q->head + q->len++) % QUEUE_LEN] = item;
	pthread_mutex_unlock(&q->lock);
	return room;
}

static bool queue_pop(struct queue *q, struct handoff *item)
{
	bool any;

	pthread_mutex_lock(&q->lock);
	any = q->len > 0;
	if (any) {
		*item = q->item[q->head];
		q->head = (q->head + 1) % QUEUE_LEN;
		q->len--;
	}
	pthread_mutex_unlock(&q->lock);
	return any;
}

/* ---- Threads ---- */

/* A random slot of this worker's: allocate into it if FREE, else claim and
 * free what it holds, unless the evict callback got there first. */
static void own_step(struct worker *w)
{
	struct stress *st = w->st;
	int s = w->id * SLOTS_PER_WORKER + (int)below(w, SLOTS_PER_WORKER);
	uint64_t word = atomic_load_explicit(&st->slot[s].word, memory_order_acquire);

	if (state_of(word) == FREE)
		make_live(w, s, gen_of(word));
	else if (claim(st, s, gen_of(word)))
		release(st, s);
}

/* A FREE slot of this worker's, from a random start; -1 if all are taken. */
static int find_free(struct worker *w, uint64_t *word)
{
	int first = w->id * SLOTS_PER_WORKER, at = (int)below(w, SLOTS_PER_WORKER);

	for (int i = 0; i < SLOTS_PER_WORKER; i++) {
		int s = first + (at + i) % SLOTS_PER_WORKER;

		*word = atomic_load_explicit(&w->st->slot[s].word, memory_order_acquire);
		if (state_of(*word) == FREE)
			return s;
	}
	return -1;
}

/*
 * Allocate and hand the object to the next worker, or free one handed to
 * us, at even odds: the backlog wanders between empty and all our slots.
 */
static void handoff_step(struct worker *w)
{
	struct stress *st = w->st;
	struct handoff item;
	uint64_t word;

	if (below(w, 2)) {
		item.slot = find_free(w, &word);
		item.gen = gen_of(word);
		if (item.slot < 0 || !make_live(w, item.slot, item.gen))
			return;
		if (!queue_push(&st->queue[(w->id + 1) % WORKERS], item) &&
		    claim(st, item.slot, item.gen))
			release(st, item.slot); /* no room: free it ourselves */
	} else if (queue_pop(&st->queue[w->id], &item) && claim(st, item.slot, item.gen)) {
		release(st, item.slot);
		atomic_fetch_add(&st->handed, 1);
	}
}

static void check_now(struct stress *st)
{
	char msg[128];

	if (zbud_check_pool(st->pool, msg, sizeof(msg)))
		report(&st->errors, "zbud_check_pool: %s", msg);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned long n;

	for (n = 0; !atomic_load_explicit(&w->st->stop, memory_order_relaxed); n++) {
		if (w->handoff)
			handoff_step(w);
		else
			own_step(w);
		if (n % CHECK_EVERY == CHECK_EVERY - 1)
			check_now(w->st);
	}
	atomic_fetch_add(&w->st->ops, n);
	return NULL;
}

static void *reclaimer_main(void *arg)
{
	struct stress *st = arg;

	while (!atomic_load_explicit(&st->stop, memory_order_relaxed)) {
		int rc = zbud_reclaim_page(st->pool, RECLAIM_RETRIES);

		if (rc == 0)
			atomic_fetch_add(&st->reclaimed, 1);
		else if (rc != -EAGAIN && rc != -EINVAL) /* -EINVAL: the pool is empty */
			report(&st->errors, "zbud_reclaim_page: %d", rc);
	}
	return NULL;
}

/* ---- The tests ---- */

static int setup(void **state)
{
	struct stress *st = calloc(1, sizeof(*st));

	assert_non_null(st);
	for (int s = 0; s < SLOTS; s++)
		atomic_init(&st->slot[s].word, make_word(0, FREE));
	for (int i = 0; i < BUCKETS; i++) {
		pthread_mutex_init(&st->bucket[i].lock, NULL);
		st->bucket[i].head = -1;
	}
	for (int i = 0; i < WORKERS; i++)
		pthread_mutex_init(&st->queue[i].lock, NULL);
	st->pool = zbud_create_pool(&evict_ops);
	assert_non_null(st->pool);
	current = st;
	*state = st;
	return 0;
}

static int teardown(void **state)
{
	struct stress *st = *state;

	zbud_destroy_pool(st->pool);
	for (int i = 0; i < BUCKETS; i++)
		pthread_mutex_destroy(&st->bucket[i].lock);
	for (int i = 0; i < WORKERS; i++)
		pthread_mutex_destroy(&st->queue[i].lock);
	free(st);
	current = NULL;
	return 0;
}

static void run_threads(struct stress *st, bool handoff)
{
	struct worker w[WORKERS];
	pthread_t reclaimer;
	long ms = stress_ms(DEFAULT_MS);
	struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };

	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){ .st = st, .id = i, .handoff = handoff,
					.rng = 0x7a627564ULL + (uint64_t)i };
		assert_int_equal(pthread_create(&w[i].thread, NULL, worker_main, &w[i]), 0);
	}
	assert_int_equal(pthread_create(&reclaimer, NULL, reclaimer_main, st), 0);
	nanosleep(&t, NULL);
	atomic_store(&st->stop, true);
	for (int i = 0; i < WORKERS; i++)
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
	assert_int_equal(pthread_join(reclaimer, NULL), 0);
}

/* After the joins: free what is left, checking each cookie, and the pool
 * must be empty and sound. */
static void drain(struct stress *st)
{
	char msg[128];

	for (int s = 0; s < SLOTS; s++) {
		uint64_t word = atomic_load(&st->slot[s].word);

		assert_int_not_equal(state_of(word), BUSY);
		if (state_of(word) == LIVE) {
			assert_true(claim(st, s, gen_of(word)));
			release(st, s);
		}
	}
	for (int i = 0; i < BUCKETS; i++)
		assert_int_equal(st->bucket[i].head, -1);
	expect_no_errors(&st->errors);
	assert_int_equal(zbud_get_pool_size(st->pool), 0);
	if (zbud_check_pool(st->pool, msg, sizeof(msg)))
		fail_msg("zbud_check_pool: %s", msg);
}

static void run(struct stress *st, bool handoff)
{
	run_threads(st, handoff);
	print_message("%lu operations, %lu handed off, %lu evicted, %lu evictions refused, "
		      "%lu pages reclaimed\n", (unsigned long)st->ops, (unsigned long)st->handed,
		      (unsigned long)st->evicted, (unsigned long)st->refused,
		      (unsigned long)st->reclaimed);
	drain(st);
	assert_true(st->evicted > 0);
	if (handoff)
		assert_true(st->handed > 0);
}

static void test_stress_own(void **state)
{
	run(*state, false);
}

static void test_stress_handoff(void **state)
{
	run(*state, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stress_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stress_handoff, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
