/*
 * test_zswap_stress.c - many threads on one store (run under TSan too)
 *
 * Each worker owns a range of keys and stores, loads, replaces and
 * invalidates them, checking every load against what it stored, while
 * another thread keeps writing the oldest pages back to the file, or keeps
 * packing the pool (zswap_compact(), zsmalloc).  Workers touch the same
 * shards and, through writeback, the pool limit and compaction, each
 * other's entries.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "zswap.h"
#include "zswap_pages.h"

#define WORKERS 4
#define KEYS_EACH 256
#define OPS_EACH 20000
#define ABSENT UINT64_MAX

struct worker {
	struct zswap *zs;
	int id;
	uint64_t seed[KEYS_EACH];       /* what each key holds, or ABSENT */
	char error[160];
};

static atomic_bool stop;

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned char page[PAGE], got[PAGE];
	uint64_t s = (uint64_t)w->id * 7919 + 1;

	for (int i = 0; i < KEYS_EACH; i++)
		w->seed[i] = ABSENT;
	for (int op = 0; op < OPS_EACH && !w->error[0]; op++) {
		uint64_t r = page_rng(&s), i = r % KEYS_EACH;
		uint64_t key = (uint64_t)w->id * KEYS_EACH + i;
		int err;

		switch ((r >> 16) % 4) {
		case 0:
			zswap_invalidate(w->zs, key);
			w->seed[i] = ABSENT;
			break;
		case 1:
			err = zswap_load(w->zs, key, got);
			if (w->seed[i] == ABSENT ? err != -ENOENT : err != 0)
				snprintf(w->error, sizeof(w->error), "key %llu: load gave %d",
					 (unsigned long long)key, err);
			mixed_page(page, w->seed[i]);
			if (!err && memcmp(page, got, PAGE))
				snprintf(w->error, sizeof(w->error), "key %llu changed",
					 (unsigned long long)key);
			break;
		default: {
			uint64_t seed = r >> 20;

			mixed_page(page, seed);
			err = zswap_store(w->zs, key, page);
			w->seed[i] = err ? ABSENT : seed;
			if (err && err != -ENOSPC && err != -ENOMEM)
				snprintf(w->error, sizeof(w->error), "store gave %d", err);
		}
		}
	}
	return NULL;
}

static void *shrinker(void *arg)
{
	while (!atomic_load(&stop))
		zswap_shrink(arg, 4);
	return NULL;
}

static void *compactor(void *arg)
{
	while (!atomic_load(&stop))
		zswap_compact(arg);
	return NULL;
}

/* The workers, and beside them @side: writing back (with a file) or packing. */
static struct zswap_stats stress(struct zswap_config *cfg, void *(*side)(void *))
{
	static struct worker w[WORKERS];
	pthread_t t[WORKERS], s;
	struct zswap_stats st;

	w[0].zs = zswap_create(cfg);
	assert_non_null(w[0].zs);
	atomic_store(&stop, false);
	assert_int_equal(pthread_create(&s, NULL, side, w[0].zs), 0);
	for (int i = 0; i < WORKERS; i++) {
		w[i].zs = w[0].zs;
		w[i].id = i;
		w[i].error[0] = '\0';
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	atomic_store(&stop, true);
	pthread_join(s, NULL);
	for (int i = 0; i < WORKERS; i++)
		if (w[i].error[0])
			fail_msg("worker %d: %s", i, w[i].error);
	/* Every key holds what its worker last stored. */
	for (int i = 0; i < WORKERS; i++) {
		for (int k = 0; k < KEYS_EACH; k++) {
			unsigned char want[PAGE], got[PAGE];
			uint64_t key = (uint64_t)i * KEYS_EACH + (uint64_t)k;

			if (w[i].seed[k] == ABSENT) {
				assert_int_equal(zswap_load(w[0].zs, key, got), -ENOENT);
				continue;
			}
			mixed_page(want, w[i].seed[k]);
			assert_int_equal(zswap_load(w[0].zs, key, got), 0);
			assert_memory_equal(want, got, PAGE);
		}
	}
	zswap_get_stats(w[0].zs, &st);
	print_message("%s: %llu stores, %llu loads, %llu written back, %llu pages compacted\n",
		      cfg->zpool ? cfg->zpool : "zbud", (unsigned long long)st.zbud_stores,
		      (unsigned long long)st.zbud_loads, (unsigned long long)st.written_back_pages,
		      (unsigned long long)st.pages_compacted);
	zswap_destroy(w[0].zs);
	return st;
}

static void test_threads(void **state)
{
	char path[128];
	struct zswap_config cfg = { .max_pool_bytes = 64 * PAGE, .writeback_path = path };

	(void)state;
	snprintf(path, sizeof(path), "/tmp/zswap-stress-%d", (int)getpid());
	unlink(path);
	assert_true(stress(&cfg, shrinker).written_back_pages > 0);
}

static void test_threads_compacting(void **state)
{
	struct zswap_config cfg = { .zpool = "zsmalloc", .shards = 2 };

	(void)state;
	assert_true(stress(&cfg, compactor).pages_compacted > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_threads_compacting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
