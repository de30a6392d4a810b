/*
 * estimate.c - measure a target's pages on many threads, fill a pool per
 * compressor and allocator with their sizes, and scale the figures up
 *
 * The pages to read, the slots, are chosen before any is read:
 *
 *   every page   slot i is page i, one group
 *   a sample     EST_REPLICATES groups, each drawing one page at random from
 *                each of `strata` equal runs of the page list: each group
 *                is a stratified sample of the whole, and the groups are
 *                independent.  Slots are sorted by page: reads go in order.
 *
 * Phase 1, "pages": a thread takes CHUNK slots, reads them in one call, and
 * for each compressor compresses them all, then (one chunk in
 * DECOMPRESS_EVERY) decompresses them all, each pass timed by the thread's
 * CPU clock.  It records per slot and compressor
 *
 *   0 unread | 1..4096 compressed bytes | LEN_OVER no fit | LEN_SAME same-filled
 *
 * Phase 2, "pools": a view is a set of slots: all of them; and for a sample,
 * all but group g, for each g (the jackknife's).  For each view, compressor
 * and allocator one thread fills a fresh pool with the view's sizes in slot
 * order.  A sample's sizes are given R times over, so that its pool holds
 * about as many objects as the target's would (up to POOL_CAP), and its
 * growth over the last passes is carried on to the target's size: a pool's
 * partly used pages (a zsmalloc class's last zspage) are a fixed cost, not
 * one to scale up with the sample.  A pool's pages live in a MAP_NORESERVE
 * buffer that the allocators never write to: a pool of any size costs only
 * its descriptors.
 */
#define _GNU_SOURCE
#define ZSWAP_STATIC_LINKING_ONLY
#define ZPOOL_STATIC_LINKING_ONLY
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "estimate.h"
#include "zpool.h"

#define PAGE ZSWAP_PAGE_SIZE
#define CHUNK 32                        /* slots read at once: 128 KiB, in L2 */
/* Decompression is timed on one chunk in this many: its mean over a
 * thousand pages is as good, and timing every page would cost lz4-only
 * estimates a fifth more time. */
#define DECOMPRESS_EVERY 16
#define LEN_OVER (PAGE + 1)
#define LEN_SAME (PAGE + 2)
#define POOL_CAP 65536                  /* objects: growth seen over many zspages */
#define POOL_SLACK_PAGES 4096           /* above one a page: 255 classes x 4 */
#define POOL_PAGE_ROOM (PAGE + 256)     /* a page and its descriptor */
#define NAP_NS 10000000L                /* progress is looked at this often */
#define PROGRESS_NAPS 10

const char *const est_figure_name[EST_NFIGURES] = {
	"scanned_pages", "same_filled_pages", "incompressible_pages", "stored_pages",
	"compressed_bytes", "pool_pages", "effective_ratio", "saved_bytes",
};

struct slot {
	uint64_t page;
	uint32_t group;
};

/* One view, compressor and allocator, in slots. */
struct sums {
	uint64_t read, same, over, refused, stored, bytes;
	double pool_pages;              /* for the whole target */
};

struct run {
	struct target *t;
	const struct est_config *cfg;
	uint64_t population, strata;
	struct slot *slot;
	size_t nslots, nviews, njobs;
	uint16_t *len[EST_MAX_CODECS];
	struct sums *sums;              /* [view][codec][zpool] */
	atomic_size_t next, done;
	atomic_uint finished;
	atomic_int failed;
	pthread_mutex_t lock;
	int err;
	char why[160];
};

struct worker {
	struct run *run;
	pthread_t thread;
	void *ctx[EST_MAX_CODECS];
	unsigned char *in, *out, *back;
	uint64_t index[CHUNK];
	bool ok[CHUNK], same[CHUNK];
	double ns[EST_MAX_CODECS][2];           /* compress, decompress */
	uint64_t pages[EST_MAX_CODECS][2];
};

static int fail(struct run *run, int err, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&run->lock);
	if (!atomic_load(&run->failed)) {
		va_start(ap, fmt);
		vsnprintf(run->why, sizeof(run->why), fmt, ap);
		va_end(ap);
		run->err = err;
		atomic_store(&run->failed, 1);
	}
	pthread_mutex_unlock(&run->lock);
	return err;
}

static double clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- the slots ---- */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int by_page(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return x->page != y->page ? (x->page < y->page ? -1 : 1)
				  : (x->group > y->group) - (x->group < y->group);
}

static int plan(struct run *run, struct est_result *r)
{
	const struct est_config *cfg = run->cfg;
	const uint64_t n = run->population;
	uint64_t want = cfg->sample_pages, seed = cfg->seed;

	if (cfg->sample_fraction > 0)
		want = (uint64_t)ceil(cfg->sample_fraction * (double)n);
	/* A fraction of a small target is too few pages to say anything within
	 * 2%; below EST_MIN_SAMPLE pages, read that many (or all) instead. */
	if (cfg->sample_fraction > 0 && want < EST_MIN_SAMPLE)
		want = EST_MIN_SAMPLE < n ? EST_MIN_SAMPLE : n;
	run->strata = (want + EST_REPLICATES - 1) / EST_REPLICATES;
	r->sampled = want && run->strata * EST_REPLICATES < n;
	r->strata = r->sampled ? run->strata : 0;
	run->nslots = r->sampled ? run->strata * EST_REPLICATES : n;
	run->nviews = r->sampled ? 1 + EST_REPLICATES : 1;
	run->slot = malloc(run->nslots * sizeof(*run->slot));
	if (!run->slot)
		return fail(run, -ENOMEM, "out of memory");
	for (size_t i = 0; !r->sampled && i < n; i++)
		run->slot[i] = (struct slot){ i, 0 };
	for (uint32_t g = 0; r->sampled && g < EST_REPLICATES; g++) {
		for (uint64_t j = 0; j < run->strata; j++) {
			const uint64_t lo = (uint64_t)((unsigned __int128)j * n / run->strata);
			const uint64_t hi = (uint64_t)((unsigned __int128)(j + 1) * n / run->strata);
			const uint64_t at = (uint64_t)(((unsigned __int128)splitmix64(&seed) *
							(hi - lo)) >> 64);

			run->slot[g * run->strata + j] = (struct slot){ lo + at, g };
		}
	}
	if (r->sampled)
		qsort(run->slot, run->nslots, sizeof(*run->slot), by_page);
	return 0;
}

static size_t view_slots(const struct run *run, size_t view)
{
	return view ? run->nslots - run->strata : run->nslots;
}

/* How many times a view's sizes are given to its pool. */
static uint64_t repeats(const struct run *run, size_t view)
{
	const double want = (double)(run->population < POOL_CAP ? run->population : POOL_CAP);

	return run->nviews == 1 ? 1 : (uint64_t)fmax(1, round(want / (double)view_slots(run, view)));
}

/* ---- phase 1: the pages ---- */

static int pack(struct worker *w, int c, size_t first, size_t n)
{
	const struct zswap_compressor *k = w->run->cfg->codec[c].comp;
	uint16_t *len = w->run->len[c] + first;
	double t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t1;

	for (size_t i = 0; i < n; i++) {
		long got;

		if (!w->ok[i] || w->same[i]) {
			len[i] = w->ok[i] ? LEN_SAME : 0;
			continue;
		}
		got = k->compress(w->ctx[c], w->in + i * PAGE, PAGE, w->out + i * PAGE, PAGE);
		if (got < 0)
			return fail(w->run, -EIO, "%s failed to compress a page", k->name);
		len[i] = got ? (uint16_t)got : LEN_OVER;
		w->pages[c][0]++;
	}
	t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (size_t i = 0; first / CHUNK % DECOMPRESS_EVERY == 0 && i < n; i++) {
		if (!len[i] || len[i] > PAGE)
			continue;
		if (k->decompress(w->ctx[c], w->out + i * PAGE, len[i], w->back, PAGE))
			return fail(w->run, -EIO, "%s failed to decompress its own page", k->name);
		w->pages[c][1]++;
	}
	w->ns[c][0] += t1 - t0;
	w->ns[c][1] += clock_ns(CLOCK_THREAD_CPUTIME_ID) - t1;
	return 0;
}

static void *measure(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	size_t first;

	while (!atomic_load(&run->failed) &&
	       (first = atomic_fetch_add(&run->next, CHUNK)) < run->nslots) {
		const size_t n = run->nslots - first < CHUNK ? run->nslots - first : CHUNK;
		unsigned long word;
		int err;

		for (size_t i = 0; i < n; i++)
			w->index[i] = run->slot[first + i].page;
		err = target_read(run->t, w->index, n, w->in, w->ok);
		if (err) {
			fail(run, err, "cannot read the target any more: %s",
			     err == -ESRCH ? "the process has ended" : strerror(-err));
			break;
		}
		for (size_t i = 0; i < n; i++)
			w->same[i] = w->ok[i] && zswap_page_same_filled(w->in + i * PAGE, &word);
		for (int c = 0; c < run->cfg->ncodecs && !err; c++)
			err = pack(w, c, first, n);
		atomic_fetch_add(&run->done, n);
	}
	atomic_fetch_add(&run->finished, 1);
	return NULL;
}

/* ---- phase 2: the pools ---- */

static struct sums *sums_at(const struct run *run, size_t view, int c, int z)
{
	return &run->sums[(view * (size_t)run->cfg->ncodecs + (size_t)c) * (size_t)run->cfg->nzpools +
			  (size_t)z];
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

/*
 * The pool pages the whole target would fill, from a pool given a view's
 * sizes @times over: @half pages after half the passes, @whole after all.
 * A pool grows by the same pages each pass but for its partly used pages,
 * a fixed cost, which is kept as it is rather than scaled up with the rest.
 */
static double extrapolate(const struct run *run, size_t view, uint64_t times, double half,
			  double whole)
{
	const double passes = (double)run->population / (double)view_slots(run, view);

	if (times < 2)
		return whole * passes;
	return whole + (whole - half) / (double)(times - times / 2) * (passes - (double)times);
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
	struct sums *s = sums_at(run, view, c, z);
	struct zpool *pool = NULL;
	size_t buflen = 0;
	void *buf = NULL;
	int err = 0;
	uint64_t fit = 0, fit_bytes = 0;
	double half = 0, whole;

	for (size_t i = 0; i < run->nslots; i++) {
		if (run->slot[i].group == skip || !len[i])
			continue;
		s->read++;
		s->same += len[i] == LEN_SAME;
		s->over += len[i] == LEN_OVER;
		fit += len[i] <= PAGE;
		fit_bytes += len[i] <= PAGE ? len[i] : 0;
	}
	if (!strcmp(type, EST_IDEAL)) {
		s->stored = fit;
		s->bytes = fit_bytes;
		return 0;
	}
	pool = new_pool(type, fit * times, &buf, &buflen);
	if (!pool)
		return fail(run, -ENOMEM, "cannot create a %s pool: %s", type, strerror(errno));
	for (uint64_t pass = 0; pass < times && !err; pass++) {
		if (pass == times / 2)
			half = (double)zpool_get_total_size(pool) / PAGE;
		for (size_t i = 0; i < run->nslots && !err; i++) {
			unsigned long handle;

			if (run->slot[i].group == skip || !len[i] || len[i] > PAGE)
				continue;
			err = zpool_malloc(pool, len[i], &handle);
			if (err == -ENOSPC)
				s->refused += !pass, err = 0;
			else if (!err)
				s->stored += !pass, s->bytes += pass ? 0 : len[i];
		}
	}
	whole = (double)zpool_get_total_size(pool) / PAGE;
	s->pool_pages = extrapolate(run, view, times, half, whole);
	zpool_destroy_pool(pool);
	if (buf)
		munmap(buf, buflen);
	return err ? fail(run, err, "the %s pool failed: %s", type, strerror(-err)) : 0;
}

static void *fill(void *arg)
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

/* ---- running a phase, and the results ---- */

static int run_phase(struct run *run, struct worker *w, unsigned int n, void *(*fn)(void *),
		     const char *what, size_t total, double *seconds)
{
	const struct est_config *cfg = run->cfg;
	const double t0 = clock_ns(CLOCK_MONOTONIC);
	unsigned int started = 0;

	atomic_store(&run->next, 0);
	atomic_store(&run->done, 0);
	atomic_store(&run->finished, 0);
	while (started < n && !pthread_create(&w[started].thread, NULL, fn, &w[started]))
		started++;
	if (!started)
		return fail(run, -EAGAIN, "cannot start a thread");
	for (unsigned int naps = 0; cfg->progress && atomic_load(&run->finished) < started; naps++) {
		if (naps % PROGRESS_NAPS == 0)
			cfg->progress(cfg->progress_arg, what, atomic_load(&run->done), total);
		nanosleep(&(struct timespec){ 0, NAP_NS }, NULL);
	}
	for (unsigned int i = 0; i < started; i++)
		pthread_join(w[i].thread, NULL);
	if (cfg->progress && !atomic_load(&run->failed))
		cfg->progress(cfg->progress_arg, what, total, total);
	*seconds = (clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	return atomic_load(&run->failed) ? run->err : 0;
}

static void figures(const struct run *run, size_t view, int c, int z, double f[EST_NFIGURES])
{
	const struct sums *s = sums_at(run, view, c, z);
	const double scale = (double)run->population / (double)view_slots(run, view);
	double held;

	f[EST_SCANNED] = scale * (double)s->read;
	f[EST_SAME_FILLED] = scale * (double)s->same;
	f[EST_INCOMPRESSIBLE] = scale * (double)(s->over + s->refused);
	f[EST_STORED] = scale * (double)s->stored;
	f[EST_COMPRESSED_BYTES] = scale * (double)s->bytes;
	f[EST_POOL_PAGES] = !strcmp(run->cfg->zpool[z], EST_IDEAL)
				    ? ceil(f[EST_COMPRESSED_BYTES] / PAGE) : s->pool_pages;
	held = PAGE * (f[EST_POOL_PAGES] + f[EST_INCOMPRESSIBLE]);
	f[EST_RATIO] = held > 0 ? PAGE * f[EST_SCANNED] / held : 0;
	f[EST_SAVED_BYTES] = PAGE * f[EST_SCANNED] - held;
}

/* theta[0] from all slots, theta[1..k] each leaving a group out. */
static struct est_value interval(const double *theta, size_t nviews, bool signed_figure)
{
	struct est_value v = { theta[0], theta[0], theta[0] };
	const double k = (double)nviews - 1;
	double mean = 0, ss = 0, half;

	if (nviews < 3)
		return v;
	for (size_t i = 1; i < nviews; i++)
		mean += theta[i] / k;
	for (size_t i = 1; i < nviews; i++)
		ss += (theta[i] - mean) * (theta[i] - mean);
	half = EST_T95 * sqrt((k - 1) / k * ss);
	v.low = signed_figure ? v.value - half : fmax(0, v.value - half);
	v.high = v.value + half;
	return v;
}

static void results(const struct run *run, struct est_result *r)
{
	const struct est_config *cfg = run->cfg;
	double theta[EST_NFIGURES][1 + EST_REPLICATES], unread[1 + EST_REPLICATES];

	for (int c = 0; c < cfg->ncodecs; c++) {
		for (int z = 0; z < cfg->nzpools; z++) {
			for (size_t v = 0; v < run->nviews; v++) {
				double f[EST_NFIGURES];

				figures(run, v, c, z, f);
				for (int k = 0; k < EST_NFIGURES; k++)
					theta[k][v] = f[k];
				unread[v] = (double)run->population / (double)view_slots(run, v) *
					    (double)(view_slots(run, v) - sums_at(run, v, c, z)->read);
			}
			for (int k = 0; k < EST_NFIGURES; k++)
				r->codec[c].fig[z][k] = interval(theta[k], run->nviews,
								 k == EST_SAVED_BYTES);
		}
		for (size_t i = 0; i < run->nslots; i++) {
			const unsigned int l = run->len[c][i];

			r->codec[c].hist[l == LEN_SAME ? EST_HIST_SAME : l == LEN_OVER ? EST_HIST_OVER
											: (l + EST_BUCKET - 1) / EST_BUCKET] += l != 0;
		}
	}
	r->unreadable = interval(unread, run->nviews, false);
	r->measured = run->nslots;
	r->pool_objects = run->nslots * repeats(run, 0);
	for (size_t i = 0; r->sizes && i < run->nslots; i++)
		if (run->len[0][i] && run->len[0][i] <= PAGE)
			r->sizes[r->nsizes++] = run->len[0][i];
}

/* The largest size the allocator takes, as it says (ideal: a page). */
static unsigned int max_object(const char *type)
{
	const struct zpool_info *info = zpool_info(type);

	return info ? (unsigned int)info->max_size : PAGE;
}

static int workers_new(struct run *run, struct worker *w, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		w[i].run = run;
		w[i].in = malloc(CHUNK * PAGE);
		w[i].out = malloc(CHUNK * PAGE);
		w[i].back = malloc(PAGE);
		if (!w[i].in || !w[i].out || !w[i].back)
			return -ENOMEM;
		for (int c = 0; c < run->cfg->ncodecs; c++) {
			w[i].ctx[c] = run->cfg->codec[c].comp->ctx_new(run->cfg->codec[c].level);
			if (!w[i].ctx[c])
				return -ENOMEM;
		}
	}
	return 0;
}

static void workers_free(const struct run *run, struct worker *w, unsigned int n)
{
	for (unsigned int i = 0; w && i < n; i++) {
		for (int c = 0; c < run->cfg->ncodecs; c++)
			if (w[i].ctx[c])
				run->cfg->codec[c].comp->ctx_free(w[i].ctx[c]);
		free(w[i].in);
		free(w[i].out);
		free(w[i].back);
	}
	free(w);
}

/* CPU time a page, over all threads. */
static void timings(const struct run *run, const struct worker *w, unsigned int n,
		    struct est_result *r)
{
	for (int c = 0; c < run->cfg->ncodecs; c++) {
		double ns[2] = { 0, 0 }, pages[2] = { 0, 0 };

		for (unsigned int i = 0; i < n; i++)
			for (int k = 0; k < 2; k++)
				ns[k] += w[i].ns[c][k], pages[k] += (double)w[i].pages[c][k];
		r->codec[c].compress_ns = pages[0] ? ns[0] / pages[0] : 0;
		r->codec[c].decompress_ns = pages[1] ? ns[1] / pages[1] : 0;
	}
}

int estimate_run(struct target *t, const struct est_config *cfg, struct est_result *r,
		 char *why, size_t len)
{
	const unsigned int n = cfg->threads ? cfg->threads : 1;
	struct run run = { .t = t, .cfg = cfg, .population = target_counts(t)->pages };
	struct worker *w = calloc(n, sizeof(*w));
	int err = w ? 0 : -ENOMEM;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&run.lock, NULL);
	r->population = run.population;
	r->threads = n;
	for (int z = 0; z < cfg->nzpools; z++)
		r->max_object[z] = max_object(cfg->zpool[z]);
	if (!err)
		err = plan(&run, r);
	for (int c = 0; !err && c < cfg->ncodecs; c++)
		if (!(run.len[c] = malloc(run.nslots * sizeof(uint16_t) + 1)))
			err = -ENOMEM;
	if (!err)
		err = workers_new(&run, w, n);
	if (!err)
		err = run_phase(&run, w, n, measure, "pages", run.nslots, &r->seconds_measure);
	if (!err) {
		timings(&run, w, n, r);
		run.njobs = run.nviews * (size_t)cfg->ncodecs * (size_t)cfg->nzpools;
		run.sums = calloc(run.njobs, sizeof(*run.sums));
		r->sizes = cfg->keep_sizes ? malloc(run.nslots * sizeof(*r->sizes) + 1) : NULL;
		err = !run.sums || (cfg->keep_sizes && !r->sizes) ? -ENOMEM : 0;
	}
	if (!err)
		err = run_phase(&run, w, n, fill, "pools", run.njobs, &r->seconds_pools);
	if (!err)
		results(&run, r);
	if (err)
		snprintf(why, len, "%s", run.why[0] ? run.why : strerror(-err));
	workers_free(&run, w, n);
	for (int c = 0; c < cfg->ncodecs; c++)
		free(run.len[c]);
	free(run.sums);
	free(run.slot);
	pthread_mutex_destroy(&run.lock);
	return err;
}

void estimate_free(struct est_result *r)
{
	free(r->sizes);
	r->sizes = NULL;
	r->nsizes = 0;
}
