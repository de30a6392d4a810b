/*
 * cmd_bench_store_threads.c - the store's stores and loads by 1 and N
 * threads, and lz4's alone: the most the machine's CPUs allow
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "cmd_bench_store.h"

#define GOAL_SPEEDUP 1.8        /* 2 threads over 1 */

struct mixer {
	struct zswap *zs;               /* NULL: lz4 alone */
	struct work *w;
	size_t first, end;
	atomic_bool *go;
	int err;
	size_t bad;
};

/* lz4 alone, each page compressed and decompressed again: the most the
 * machine's CPUs allow the store's threads. */
static int mix_raw(const struct zswap_compressor *lz4, void *ctx, const void *page)
{
	unsigned char c[PAGE], d[PAGE];
	long len = lz4->compress(ctx, page, PAGE, c, PAGE);

	return len < 0 || (len && lz4->decompress(ctx, c, (size_t)len, d, PAGE)) ? -EIO : 0;
}

/* Store each page of the thread's range in turn, and after each load one
 * of those it stored before, at random; without a store, mix_raw() each. */
static void *mix(void *arg)
{
	struct mixer *m = arg;
	const struct pageset *ps = m->w->ps;
	const struct zswap_compressor *lz4 = zswap_compressor_find("lz4");
	void *ctx = m->zs ? NULL : lz4->ctx_new(0);
	unsigned char buf[PAGE] __attribute__((aligned(64)));
	uint64_t s = m->first * 0x9e3779b97f4a7c15ULL + 1;

	if (!m->zs && !ctx)
		m->err = -ENOMEM, m->bad = m->first;
	while (!atomic_load(m->go))
		sched_yield();
	for (size_t i = m->first; i < m->end && !m->err; i++) {
		int err = m->zs ? zswap_store(m->zs, i, pageset_page(ps, i))
				: mix_raw(lz4, ctx, pageset_page(ps, i));
		size_t j;

		m->w->kept[i] = !err;
		if ((err && err != -ENOSPC) || !m->zs) {
			m->err = err, m->bad = i;
			continue;
		}
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		j = m->first + s % (i - m->first + 1);
		err = zswap_load(m->zs, j, buf);
		if (m->w->kept[j] ? err || memcmp(buf, pageset_page(ps, j), PAGE) : err != -ENOENT)
			m->err = err ? err : -EILSEQ, m->bad = j;
	}
	if (ctx)
		lz4->ctx_free(ctx);
	return NULL;
}

static int run_mix(struct work *w, struct zswap *zs, unsigned int n, double *secs)
{
	struct mixer m[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	atomic_bool go = false;
	unsigned int started = 0;
	double t0;
	int err = 0;

	for (; started < n; started++) {
		m[started] = (struct mixer){ zs, w, w->ps->count * started / n,
					     w->ps->count * (started + 1) / n, &go, 0, 0 };
		err = pthread_create(&tid[started], NULL, mix, &m[started]);
		if (err) {
			bs_fail(w, "cannot start a thread: %s", strerror(err));
			for (unsigned int t = 0; t < started; t++)
				m[t].end = m[t].first; /* they stop at once */
			break;
		}
	}
	t0 = bs_now();
	atomic_store(&go, true);
	for (unsigned int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	*secs = bs_now() - t0;
	for (unsigned int t = 0; t < started && !err; t++)
		if (m[t].err)
			err = bs_fail(w, "%s, %u threads: page %zu of %s: %s",
				    zs ? "lz4/zbud" : "lz4", n, m[t].bad, w->ps->name,
				    m[t].err == -EILSEQ ? "loads other bytes than were stored"
				    : strerror(-m[t].err));
	return err ? -1 : 0;
}

/* ---- one page set's table ---- */

/*
 * The store's stores and loads by 1 and @n threads, and lz4's alone: the
 * most the machine's CPUs allow.  The four take turns, pass after pass, so
 * that whatever else runs on the machine weighs on all of them alike.
 */
int bs_bench_threads(struct work *w, unsigned int n)
{
	struct zswap *zs = zswap_create(NULL);  /* lz4, zbud, default shards */
	double secs[2][2], t;                   /* [store][n threads] */
	const int runs = n > 1 ? 2 : 1;
	int err = zs ? 0 : bs_fail(w, "cannot create the store: %s", strerror(errno));

	for (int pass = 0; pass < PASSES && !err; pass++) {
		for (int k = 0; k < 2 * runs && !err; k++) {
			struct zswap *on = k / runs ? NULL : zs;

			err = run_mix(w, on, k % runs ? n : 1, &t);
			bs_keep_best(&secs[!on][k % runs], t, pass);
			for (size_t i = 0; on && i < w->ps->count; i++)
				zswap_invalidate(on, i);
		}
	}
	zswap_destroy(zs);
	if (err)
		return -1;
	printf("threads (lz4/zbud, default shards, %s, a load after each store): "
	       "1 thread %.1f MB/s", w->ps->name, 2 * bs_mbps(w->ps->count, secs[0][0]));
	if (n > 1)
		printf(", %u threads %.1f MB/s: speed-up %.2fx (lz4 alone: %.2fx)", n,
		       2 * bs_mbps(w->ps->count, secs[0][1]), secs[0][0] / secs[0][1],
		       secs[1][0] / secs[1][1]);
	if (n == 2)
		printf("; goal >= %.1fx: %s", GOAL_SPEEDUP,
		       bs_verdict(secs[0][0] / secs[0][1] >= GOAL_SPEEDUP));
	putchar('\n');
	return 0;
}

/* ---- the page sets ---- */

/* The files' pages up to --mib; a note for each that cannot be read, or
 * the error when none can. */
