/*
 * cmd_bench_store_passes.c - one pass of each of `zbud bench store`'s
 * measurements, and the room they work in
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_bench_store.h"

double bs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bs_keep_best(double *best, double t, int pass)
{
	if (!pass || t < *best)
		*best = t;
}

int bs_fail(struct work *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	return -1;
}

int bs_work_init(struct work *w, const struct pageset *ps)
{
	size_t n = ps->count;

	memset(w, 0, sizeof(*w));
	w->ps = ps;
	w->slots = malloc(n * PAGE);
	w->out = malloc(n * PAGE);
	w->len = calloc(n, sizeof(*w->len));
	w->kept = calloc(n, sizeof(*w->kept));
	if (!w->slots || !w->out || !w->len || !w->kept)
		return -ENOMEM;
	/* In memory before any pass is timed. */
	memset(w->slots, 0, n * PAGE);
	memset(w->out, 0, n * PAGE);
	return 0;
}

void bs_work_fini(struct work *w)
{
	free(w->slots);
	free(w->out);
	free(w->len);
	free(w->kept);
}

double bs_mbps(size_t pages, double secs)
{
	return (double)pages * PAGE / secs / 1e6;
}

/* ---- one pass of each measurement ---- */

double bs_copy_pass(struct work *w)
{
	double t0 = bs_now();

	for (size_t i = 0; i < w->ps->count; i++)
		memcpy(w->out + i * PAGE, pageset_page(w->ps, i), PAGE);
	return bs_now() - t0;
}

/* The compressor alone: every page into its slot, then back, checked. */
int bs_raw_pass(struct work *w, const struct est_codec *k, void *ctx, int pass, struct raw *r)
{
	const struct zswap_compressor *c = k->comp;
	const struct pageset *ps = w->ps;
	double t0 = bs_now();

	for (size_t i = 0; i < ps->count; i++) {
		long len = c->compress(ctx, pageset_page(ps, i), PAGE, w->slots + i * PAGE, PAGE);

		if (len < 0)
			return bs_fail(w, "%s: compressing page %zu of %s failed", k->label, i,
				     ps->name);
		w->len[i] = (uint32_t)len;
	}
	bs_keep_best(&r->comp, bs_now() - t0, pass);
	t0 = bs_now();
	for (size_t i = 0; i < ps->count; i++)
		if (w->len[i] &&
		    c->decompress(ctx, w->slots + i * PAGE, w->len[i], w->out + i * PAGE, PAGE))
			return bs_fail(w, "%s: decompressing page %zu of %s failed", k->label, i,
				     ps->name);
	bs_keep_best(&r->decomp, bs_now() - t0, pass);
	r->bytes = r->fit = 0;
	for (size_t i = 0; i < ps->count; i++) {
		if (w->len[i] && memcmp(w->out + i * PAGE, pageset_page(ps, i), PAGE))
			return bs_fail(w, "%s: page %zu of %s decompresses to other bytes", k->label,
				     i, ps->name);
		r->bytes += w->len[i] ? w->len[i] : PAGE;
		r->fit += w->len[i] != 0;
	}
	return 0;
}

static int store_all(struct work *w, struct zswap *zs, const char *what)
{
	for (size_t i = 0; i < w->ps->count; i++) {
		int err = zswap_store(zs, i, pageset_page(w->ps, i));

		if (err && err != -ENOSPC)
			return bs_fail(w, "%s: storing page %zu of %s: %s", what, i, w->ps->name,
				     strerror(-err));
		w->kept[i] = !err;
	}
	return 0;
}

static int load_all(struct work *w, struct zswap *zs, const char *what)
{
	for (size_t i = 0; i < w->ps->count; i++) {
		int err = w->kept[i] ? zswap_load(zs, i, w->out + i * PAGE) : 0;

		if (err)
			return bs_fail(w, "%s: loading page %zu of %s: %s", what, i, w->ps->name,
				     strerror(-err));
	}
	return 0;
}

/* Every page taken loads as it was stored, and the stats say so. */
static int check_all(struct work *w, const struct zswap_stats *st, const char *what)
{
	const unsigned long long stored = st->stored_pages, same = st->same_filled_pages;
	const unsigned long long poor = st->reject_compress_poor;
	size_t kept = 0;

	for (size_t i = 0; i < w->ps->count; i++) {
		if (w->kept[i] && memcmp(w->out + i * PAGE, pageset_page(w->ps, i), PAGE))
			return bs_fail(w, "%s: page %zu of %s loads other bytes than were stored",
				     what, i, w->ps->name);
		kept += w->kept[i];
	}
	if (stored != kept || same > stored || poor != w->ps->count - kept)
		return bs_fail(w, "%s: the stats count %llu stored (%llu same-filled) and %llu "
			     "rejected of %zu pages, %zu of them taken", what, stored, same, poor,
			     w->ps->count, kept);
	return 0;
}

/* The store: every page stored, those taken loaded and checked, all stored
 * again, then all invalidated (untimed).  The stats are those after the
 * first stores. */
int bs_store_pass(struct work *w, struct zswap *zs, const char *what, int pass, struct row *r)
{
	double t0 = bs_now();
	int err = store_all(w, zs, what);

	bs_keep_best(&r->store, bs_now() - t0, pass);
	if (!pass)
		zswap_get_stats(zs, &r->st);
	t0 = bs_now();
	err = err ? err : load_all(w, zs, what);
	bs_keep_best(&r->load, bs_now() - t0, pass);
	err = err ? err : check_all(w, &r->st, what);
	/* The first stores paid for the pool's pages coming into memory (an
	 * emptied pool gives them back to the OS); these reuse them. */
	t0 = bs_now();
	err = err ? err : store_all(w, zs, what);
	bs_keep_best(&r->restore, bs_now() - t0, pass);
	for (size_t i = 0; i < w->ps->count; i++)
		zswap_invalidate(zs, i);
	return err;
}

/* A store of one shard: one thread's figures. */
struct zswap *bs_store_new(struct work *w, const struct est_codec *k, const char *zpool)
{
	const struct zswap_config cfg = { .compressor = k->comp->name, .level = k->level,
					  .zpool = zpool, .shards = 1 };
	struct zswap *zs = zswap_create(&cfg);

	if (!zs)
		bs_fail(w, "%s/%s: cannot create the store: %s", k->label, zpool, strerror(errno));
	return zs;
}

/* ---- threads: stores and loads mixed ---- */

