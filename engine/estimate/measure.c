/*
 * measure.c - phase 1 of a window: its pages read and compressed
 *
 * A thread takes CHUNK slots, reads them in one call, and for each
 * compressor compresses them all, then (one chunk in DECOMPRESS_EVERY)
 * decompresses them all, each pass timed by the thread's CPU clock.
 */
#define ZSWAP_STATIC_LINKING_ONLY
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estimate_internal.h"

/* Decompression is timed on one chunk in this many: its mean over a
 * thousand pages is as good, and timing every page would cost lz4-only
 * estimates a fifth more time. */
#define DECOMPRESS_EVERY 16

static int pack(struct worker *w, int c, size_t first, size_t n)
{
	const struct zswap_compressor *k = w->run->cfg->codec[c].comp;
	uint16_t *len = w->run->len[c] + first;
	double t0 = est_clock_ns(CLOCK_THREAD_CPUTIME_ID), t1;

	for (size_t i = 0; i < n; i++) {
		long got;

		if (!w->ok[i] || w->same[i]) {
			len[i] = w->ok[i] ? LEN_SAME : 0;
			continue;
		}
		got = k->compress(w->ctx[c], w->in + i * PAGE, PAGE, w->out + i * PAGE, PAGE);
		if (got < 0)
			return est_fail(w->run, -EIO, "%s failed to compress a page", k->name);
		len[i] = got ? (uint16_t)got : LEN_OVER;
		w->pages[c][0]++;
	}
	t1 = est_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (size_t i = 0; w->chunks % DECOMPRESS_EVERY == 0 && i < n; i++) {
		if (!len[i] || len[i] > PAGE)
			continue;
		if (k->decompress(w->ctx[c], w->out + i * PAGE, len[i], w->back, PAGE))
			return est_fail(w->run, -EIO, "%s failed to decompress its own page",
					k->name);
		w->pages[c][1]++;
	}
	w->ns[c][0] += t1 - t0;
	w->ns[c][1] += est_clock_ns(CLOCK_THREAD_CPUTIME_ID) - t1;
	return 0;
}

void *est_measure(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	size_t first;

	while (!atomic_load(&run->failed) &&
	       (first = atomic_fetch_add(&run->next, CHUNK)) < run->nslots) {
		const size_t n = run->nslots - first < CHUNK ? run->nslots - first : CHUNK;
		unsigned long word;
		int err = 0;

		for (size_t i = 0; i < n; i++)
			w->page[i] = (struct target_page){ run->slot[first + i].where,
							   run->slot[first + i].proc };
		if (target_read(run->t, w->page, n, w->in, w->ok)) {
			est_fail(run, -EINVAL, "cannot read the target's pages");
			break;
		}
		for (size_t i = 0; i < n; i++)
			w->same[i] = w->ok[i] && zswap_page_same_filled(w->in + i * PAGE, &word);
		if (run->bytes)
			memcpy(run->bytes + first * PAGE, w->in, n * PAGE);
		for (int c = 0; c < run->cfg->ncodecs && !err; c++)
			err = pack(w, c, first, n);
		w->chunks++;
		atomic_fetch_add(&run->done, n);
	}
	atomic_fetch_add(&run->finished, 1);
	return NULL;
}

struct worker *est_workers_new(struct run *run, unsigned int n, bool compress)
{
	struct worker *w = calloc(n, sizeof(*w));

	run->w = w;
	run->nworkers = w ? n : 0;
	for (unsigned int i = 0; w && i < n; i++) {
		w[i].run = run;
		if (!compress)
			continue;
		w[i].in = malloc(CHUNK * PAGE);
		w[i].out = malloc(CHUNK * PAGE);
		w[i].back = malloc(PAGE);
		if (!w[i].in || !w[i].out || !w[i].back)
			return NULL;
		for (int c = 0; c < run->cfg->ncodecs; c++) {
			w[i].ctx[c] = run->cfg->codec[c].comp->ctx_new(run->cfg->codec[c].level);
			if (!w[i].ctx[c])
				return NULL;
		}
	}
	return w;
}

void est_workers_free(struct run *run)
{
	for (unsigned int i = 0; run->w && i < run->nworkers; i++) {
		for (int c = 0; c < run->cfg->ncodecs; c++)
			if (run->w[i].ctx[c])
				run->cfg->codec[c].comp->ctx_free(run->w[i].ctx[c]);
		free(run->w[i].in);
		free(run->w[i].out);
		free(run->w[i].back);
	}
	free(run->w);
	run->w = NULL;
	run->nworkers = 0;
}

/* CPU time a page, over all threads. */
void est_timings(const struct run *run, struct est_result *r)
{
	for (int c = 0; c < run->cfg->ncodecs; c++) {
		double ns[2] = { 0, 0 }, pages[2] = { 0, 0 };

		for (unsigned int i = 0; i < run->nworkers; i++)
			for (int k = 0; k < 2; k++)
				ns[k] += run->w[i].ns[c][k], pages[k] += (double)run->w[i].pages[c][k];
		r->codec[c].compress_ns = pages[0] ? ns[0] / pages[0] : 0;
		r->codec[c].decompress_ns = pages[1] ? ns[1] / pages[1] : 0;
	}
}
