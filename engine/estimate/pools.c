/*
 * pools.c - phase 2 of a window: each view's sizes given to a fresh pool of
 * each allocator, and what the pools say for the whole target
 *
 * One thread fills one pool with a view's sizes in slot order: the order
 * decides where objects land.  A sample of one window gives its sizes R
 * times over, so that its pool holds about as many objects as the
 * target's would (up to est_config.pool_cap), and its growth over the last passes is
 * carried on to the target's size: a pool's partly used pages (a zsmalloc
 * class's last zspage) are a fixed cost, not one to scale up with the
 * sample.  A target of many windows: each later window's pool is first
 * given the last quarter window's sizes before it (warmed up, as a pool that had held
 * them all would be: partly used pages to fill), and what the window's own
 * sizes then add is its share; the first window's fixed cost is counted
 * once.
 *
 * A pool's pages live in a MAP_NORESERVE buffer that the allocators never
 * write to: a pool of any size costs only its descriptors.
 */
#define _GNU_SOURCE
#define ZSWAP_STATIC_LINKING_ONLY
#define ZPOOL_STATIC_LINKING_ONLY
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>

#include "estimate_internal.h"
#include "zpool.h"

#define POOL_SLACK_PAGES 4096           /* above one a page: 255 classes x 4 */
#define POOL_PAGE_ROOM (PAGE + 256)     /* a page and its descriptor */

/* How many times a view's sizes are given to its pool. */
static uint64_t repeats(const struct run *run, size_t view)
{
	const double want = (double)(run->population < est_pool_cap(run) ? run->population : est_pool_cap(run));

	if (!run->repeat)
		return 1;
	return (uint64_t)fmax(1, round(want / (double)est_view_slots(run, view)));
}

/* A pool whose pages are address space only; the arena where that fails. */
static struct zpool *new_pool(const char *type, uint64_t objects, void **buf, size_t *len)
{
	struct zpool_config cfg = { 0 };

	*len = (size_t)(objects + POOL_SLACK_PAGES) * POOL_PAGE_ROOM;
	*buf = mmap(NULL, *len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (*buf == MAP_FAILED) {
		*buf = NULL;
		return zpool_create_pool(type, "estimate", NULL);
	}
	cfg.source.buffer = *buf;
	cfg.source.buffer_size = *len;
	return zpool_create_pool_config(type, "estimate", NULL, &cfg);
}

/* The first window's pool: @n objects in all, @half pages after @n_half. */
static void first_window(struct sums *s, uint64_t n, uint64_t n_half, double half, double whole)
{
	s->first_n = n;
	s->first_half = half;
	s->first_whole = whole;
	s->first_slope = n > n_half ? (whole - half) / (double)(n - n_half)
				    : n ? whole / (double)n : 0;
}

/* The tail's sizes for one view, before a later window's: 0 or an error. */
static int warm_up(struct run *run, struct zpool *pool, size_t view, int c)
{
	const uint32_t skip = view ? (uint32_t)view - 1 : UINT32_MAX;

	for (size_t i = 0; i < run->ntail; i++) {
		const uint16_t len = run->tail_len[c][i];
		unsigned long handle;
		int err;

		if (run->tail_group[i] == skip || !len || len > PAGE)
			continue;
		err = zpool_malloc(pool, len, &handle);
		if (err && err != -ENOSPC)
			return err;
	}
	return 0;
}

void est_keep_tail(struct run *run)
{
	const size_t keep = run->nslots < run->tail_cap ? run->nslots : run->tail_cap;
	const size_t old = run->ntail + keep > run->tail_cap ? run->tail_cap - keep : run->ntail;

	/* The last tail_cap of the tail and this window's slots, in order. */
	memmove(run->tail_group, run->tail_group + run->ntail - old, old * sizeof(uint32_t));
	for (size_t i = 0; i < keep; i++)
		run->tail_group[old + i] = run->slot[run->nslots - keep + i].group;
	for (int c = 0; c < run->cfg->ncodecs; c++) {
		memmove(run->tail_len[c], run->tail_len[c] + run->ntail - old, old * sizeof(uint16_t));
		memcpy(run->tail_len[c] + old, run->len[c] + run->nslots - keep,
		       keep * sizeof(uint16_t));
	}
	run->ntail = old + keep;
}

/* The window's sizes for one view: counted, and those that fit a page. */
static uint64_t tally(struct run *run, size_t view, int c, struct sums *s, uint64_t *bytes)
{
	const uint32_t skip = view ? (uint32_t)view - 1 : UINT32_MAX;
	const uint16_t *len = run->len[c];
	uint64_t fit = 0;

	*bytes = 0;
	for (size_t i = 0; i < run->nslots; i++) {
		if (run->slot[i].group == skip || !len[i])
			continue;
		s->read++;
		s->same += len[i] == LEN_SAME;
		s->over += len[i] == LEN_OVER;
		fit += len[i] <= PAGE;
		*bytes += len[i] <= PAGE ? len[i] : 0;
	}
	return fit;
}

static int fill_pool(struct run *run, size_t job)
{
	const int nz = run->cfg->nzpools, z = (int)(job % (size_t)nz);
	const int c = (int)(job / (size_t)nz % (size_t)run->cfg->ncodecs);
	const size_t view = job / (size_t)nz / (size_t)run->cfg->ncodecs;
	const uint32_t skip = view ? (uint32_t)view - 1 : UINT32_MAX;
	const char *type = run->cfg->zpool[z];
	const uint16_t *len = run->len[c];
	const uint64_t times = repeats(run, view);
	struct sums *s = est_sums(run, view, c, z);
	uint64_t bytes, tried = 0, n = 0, n_half = 0;
	const uint64_t fit = tally(run, view, c, s, &bytes);
	double half = 0, warm = 0, whole;
	struct zpool *pool;
	size_t buflen = 0;
	void *buf = NULL;
	int err = 0;

	if (!strcmp(type, EST_IDEAL)) {
		s->stored += fit;
		s->bytes += bytes;
		return 0;
	}
	pool = new_pool(type, fit * times + (s->windows ? run->ntail : 0), &buf, &buflen);
	if (!pool)
		return est_fail(run, -ENOMEM, "cannot create a %s pool: %s", type, strerror(errno));
	if (s->windows) {
		err = warm_up(run, pool, view, c);
		warm = (double)zpool_get_total_size(pool) / PAGE;
	}
	for (uint64_t pass = 0; pass < times && !err; pass++) {
		/* Half: after half the passes, or half the sizes of the one. */
		if (times >= 2 && pass == times / 2) {
			half = (double)zpool_get_total_size(pool) / PAGE;
			n_half = n;
		}
		for (size_t i = 0; i < run->nslots && !err; i++) {
			unsigned long handle;

			if (run->slot[i].group == skip || !len[i] || len[i] > PAGE)
				continue;
			if (times < 2 && tried++ == fit / 2) {
				half = (double)zpool_get_total_size(pool) / PAGE;
				n_half = n;
			}
			err = zpool_malloc(pool, len[i], &handle);
			if (err == -ENOSPC)
				s->refused += !pass, err = 0;
			else if (!err)
				n++, s->stored += !pass, s->bytes += pass ? 0 : len[i];
		}
	}
	whole = (double)zpool_get_total_size(pool) / PAGE;
	if (!s->windows++)
		first_window(s, n, n_half, half, whole);
	else
		s->growth += whole - warm;
	zpool_destroy_pool(pool);
	if (buf)
		munmap(buf, buflen);
	return err ? est_fail(run, err, "the %s pool failed: %s", type, strerror(-err)) : 0;
}

void *est_fill(void *arg)
{
	struct run *run = ((struct worker *)arg)->run;
	size_t job;

	while (!atomic_load(&run->failed) && (job = atomic_fetch_add(&run->next, 1)) < run->njobs) {
		fill_pool(run, job);
		atomic_fetch_add(&run->done, 1);
	}
	atomic_fetch_add(&run->finished, 1);
	return NULL;
}

/*
 * The pool pages the whole target would fill.  One window given @times
 * over: @half pages after half the passes, @whole after all; a pool grows
 * by the same pages each pass but for its partly used pages, a fixed cost,
 * kept as it is rather than scaled up.  Many windows: the first's fixed
 * cost once, and each window's pages a page.
 */
double est_pool_pages(const struct run *run, size_t view, int c, int z)
{
	const struct sums *s = est_sums(run, view, c, z);
	const double passes = (double)run->population / (double)est_view_slots(run, view);
	const uint64_t times = repeats(run, view);

	if (s->windows <= 1 && times < 2)
		return s->first_whole * passes;
	if (s->windows <= 1)
		return s->first_whole + (s->first_whole - s->first_half) /
					(double)(times - times / 2) * (passes - (double)times);
	return s->first_whole - s->first_slope * (double)s->first_n +
	       passes * (s->first_slope * (double)s->first_n + s->growth);
}

/* The largest size the allocator takes, as it says (ideal: a page). */
unsigned int est_max_object(const char *type)
{
	const struct zpool_info *info = zpool_info(type);

	return info ? (unsigned int)info->max_size : PAGE;
}
