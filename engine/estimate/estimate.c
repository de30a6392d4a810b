/*
 * estimate.c - which pages are measured, a window of them at a time, and
 * what the windows add up to
 *
 * The target is walked once to count its pages, then again to take them:
 *
 *   every page   each page a slot, in the order walked
 *   a sample     EST_REPLICATES replicates, each drawing one page at random
 *                from each of `strata` equal runs of the pages (a stratum):
 *                each replicate is a stratified sample of the whole, and the
 *                replicates are independent.  The draws are made stratum by
 *                stratum as the walk reaches it, from a counter-based
 *                generator (replicate g's draw in stratum j is the
 *                (g * strata + j)-th number of the seed's splitmix64
 *                sequence), so no list of them is kept.
 *
 * Slots gather in a window; a full window is measured (measure.c) and its
 * sizes given to the pools (pools.c), then it is emptied.  What is kept
 * from one to the next is the tally: counts, bytes, a histogram, and what
 * each pool says a page costs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "estimate_internal.h"

#define GOLDEN 0x9e3779b97f4a7c15ULL
#define NAP_NS 10000000L                /* progress is looked at this often */
#define PROGRESS_NAPS 10

const char *const est_figure_name[EST_NFIGURES] = {
	"scanned_pages", "same_filled_pages", "incompressible_pages", "stored_pages",
	"compressed_bytes", "pool_pages", "effective_ratio", "saved_bytes",
};

int est_fail(struct run *run, int err, const char *fmt, ...)
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

double est_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

size_t est_view_slots(const struct run *run, size_t view)
{
	return view ? run->drawn - run->strata : run->drawn;
}

uint64_t est_pool_cap(const struct run *run)
{
	return run->cfg->pool_cap ? run->cfg->pool_cap : EST_POOL_CAP;
}

struct sums *est_sums(const struct run *run, size_t view, int c, int z)
{
	return &run->sums[(view * (size_t)run->cfg->ncodecs + (size_t)c) * (size_t)run->cfg->nzpools +
			  (size_t)z];
}

/* A worker at nice 19 (Linux's setpriority() on a thread id is that
 * thread's alone), then its work. */
static void *in_background(void *arg)
{
	struct worker *w = arg;

	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	return w->fn(w);
}

/* Run @fn on every worker; 0 or the first failure. */
int est_phase(struct run *run, void *(*fn)(void *), const char *what, size_t total,
	      double *seconds)
{
	const struct est_config *cfg = run->cfg;
	const double t0 = est_clock_ns(CLOCK_MONOTONIC);
	const size_t base = fn == est_measure ? run->measured : 0;
	const size_t all = fn == est_measure ? run->drawn : total;
	unsigned int started = 0;

	atomic_store(&run->next, 0);
	atomic_store(&run->done, 0);
	atomic_store(&run->finished, 0);
	for (unsigned int i = 0; i < run->nworkers; i++)
		run->w[i].fn = fn;
	while (started < run->nworkers &&
	       !pthread_create(&run->w[started].thread, NULL, cfg->background ? in_background : fn,
			       &run->w[started]))
		started++;
	if (!started)
		return est_fail(run, -EAGAIN, "cannot start a thread");
	for (unsigned int naps = 0; cfg->progress && atomic_load(&run->finished) < started; naps++) {
		if (naps % PROGRESS_NAPS == 0)
			cfg->progress(cfg->progress_arg, what, base + atomic_load(&run->done), all);
		nanosleep(&(struct timespec){ 0, NAP_NS }, NULL);
	}
	for (unsigned int i = 0; i < started; i++)
		pthread_join(run->w[i].thread, NULL);
	*seconds += (est_clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	return atomic_load(&run->failed) ? run->err : 0;
}

/* ---- the plan ---- */

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int by_page(const void *a, const void *b)
{
	const struct draw *x = a, *y = b;

	return x->page != y->page ? (x->page < y->page ? -1 : 1)
				  : (x->group > y->group) - (x->group < y->group);
}

/* Each replicate's page in stratum j, in page order. */
static void draw_stratum(struct run *run, uint64_t j)
{
	const uint64_t n = run->population, m = run->strata;
	const uint64_t lo = (uint64_t)((unsigned __int128)j * n / m);
	const uint64_t hi = (uint64_t)((unsigned __int128)(j + 1) * n / m);

	for (uint32_t g = 0; g < EST_REPLICATES; g++) {
		const uint64_t r = mix(run->cfg->seed + (g * m + j + 1) * GOLDEN);

		run->draw[g] = (struct draw){ lo + (uint64_t)(((unsigned __int128)r * (hi - lo)) >> 64),
					      g };
	}
	qsort(run->draw, EST_REPLICATES, sizeof(run->draw[0]), by_page);
	run->stratum = j;
	run->ndraw = EST_REPLICATES;
	run->at = 0;
}

static void plan(struct run *run, struct est_result *r)
{
	const struct est_config *cfg = run->cfg;
	const uint64_t n = run->population;
	const size_t window = cfg->window ? cfg->window : EST_WINDOW;
	uint64_t want = cfg->sample_pages;

	if (cfg->sample_fraction > 0)
		want = (uint64_t)ceil(cfg->sample_fraction * (double)n);
	/* A fraction of a small target is too few pages to say anything within
	 * 2%; below EST_MIN_SAMPLE pages, read that many (or all) instead. */
	if (cfg->sample_fraction > 0 && want < EST_MIN_SAMPLE)
		want = EST_MIN_SAMPLE < n ? EST_MIN_SAMPLE : n;
	run->strata = (want + EST_REPLICATES - 1) / EST_REPLICATES;
	run->sampled = r->sampled = want && run->strata * EST_REPLICATES < n;
	run->strata = r->strata = run->sampled ? run->strata : 0;
	run->drawn = run->sampled ? run->strata * EST_REPLICATES : n;
	run->intervals = r->intervals = run->sampled && !cfg->no_intervals;
	run->nviews = run->intervals ? 1 + EST_REPLICATES : 1;
	run->repeat = run->sampled && run->drawn <= window;
	run->cap = window < run->drawn ? window : run->drawn ? (size_t)run->drawn : 1;
	if (run->sampled)
		draw_stratum(run, 0);
}

/* ---- the windows ---- */

static int sizes_out(struct run *run)
{
	const uint16_t *len = run->len[0];
	uint16_t out[CHUNK * 8];
	size_t k = 0;

	for (size_t i = 0; i < run->nslots; i++) {
		if (len[i] && len[i] <= PAGE)
			out[k++] = len[i];
		if (k == sizeof(out) / sizeof(out[0]) || (i + 1 == run->nslots && k)) {
			run->cfg->sizes(run->cfg->sizes_arg, out, k);
			k = 0;
		}
	}
	return 0;
}

static int window_done(struct run *run)
{
	const struct est_config *cfg = run->cfg;
	int err = est_phase(run, est_measure, "pages", run->nslots, &run->seconds_measure);

	if (err)
		return err;
	for (int c = 0; c < cfg->ncodecs; c++)
		for (size_t i = 0; i < run->nslots; i++) {
			const unsigned int l = run->len[c][i];

			run->hist[c][l == LEN_SAME ? EST_HIST_SAME : l == LEN_OVER ? EST_HIST_OVER
				     : (l + EST_BUCKET - 1) / EST_BUCKET] += l != 0;
		}
	if (cfg->sizes)
		sizes_out(run);
	run->measured += run->nslots;
	run->windows++;
	err = est_phase(run, est_fill, "pools", run->njobs, &run->seconds_pools);
	if (!err && run->tail_cap)
		est_keep_tail(run);
	run->nslots = 0;
	return err;
}

/* The tail's room: there will be a next window. */
static int make_tail(struct run *run)
{
	run->tail_cap = run->cap / 4 ? run->cap / 4 : 1;
	run->tail_group = malloc(run->tail_cap * sizeof(uint32_t));
	for (int c = 0; c < run->cfg->ncodecs; c++)
		if (!(run->tail_len[c] = malloc(run->tail_cap * sizeof(uint16_t))))
			return est_fail(run, -ENOMEM, "out of memory");
	return run->tail_group ? 0 : est_fail(run, -ENOMEM, "out of memory");
}

/*
 * A live target can have more pages when walked than when counted just
 * before.  Every page's window grows with it, up to a whole window: cut
 * where the count said, the walk's last pages went to later windows, each
 * of fresh pools (a count of one page: a pool a page), and a reading of
 * a process that grew as it was read had pool pages that were not its
 * pages' (estimate_follow's held peak, under TSan, read mid-fill).
 */
static int grow_window(struct run *run, size_t window)
{
	const size_t cap = run->cap * 2 < window ? run->cap * 2 : window;
	struct slot *slot = realloc(run->slot, cap * sizeof(*slot));
	unsigned char *bytes = NULL;

	if (!slot)
		return est_fail(run, -ENOMEM, "out of memory");
	run->slot = slot;
	for (int c = 0; c < run->cfg->ncodecs; c++) {
		uint16_t *len = realloc(run->len[c], cap * sizeof(uint16_t));

		if (!len)
			return est_fail(run, -ENOMEM, "out of memory");
		run->len[c] = len;
	}
	/* The pages' bytes only as long as prepare() would have kept them. */
	if (run->bytes && cap <= EST_KEEP_PAGES && !(bytes = realloc(run->bytes, cap * PAGE)))
		return est_fail(run, -ENOMEM, "out of memory");
	if (!bytes)
		free(run->bytes);
	run->bytes = bytes;
	run->cap = cap;
	return 0;
}

static int add_slot(struct run *run, const struct target_page *p, uint32_t group)
{
	const size_t window = run->cfg->window ? run->cfg->window : EST_WINDOW;

	run->slot[run->nslots++] = (struct slot){ p->where, p->proc, group };
	if (run->nslots < run->cap)
		return 0;
	if (!run->sampled && run->cap < window)
		return grow_window(run, window);
	if (!run->tail_cap && run->cap == window && make_tail(run))
		return run->err;
	return window_done(run);
}

/* The walk's pages: each a slot, or those a replicate drew. */
static int take(void *arg, const struct target_page *p, size_t n)
{
	struct run *run = arg;
	int err = 0;

	for (size_t i = 0; !err && i < n; i++, run->index++) {
		if (!run->sampled) {
			err = add_slot(run, &p[i], 0);
			continue;
		}
		while (!err && run->at < run->ndraw && run->draw[run->at].page == run->index)
			err = add_slot(run, &p[i], run->draw[run->at++].group);
		if (run->at == run->ndraw && run->stratum + 1 < run->strata)
			draw_stratum(run, run->stratum + 1);
	}
	return err;
}

/* ---- the figures ---- */

static void figures(const struct run *run, size_t view, int c, int z, double f[EST_NFIGURES])
{
	const struct sums *s = est_sums(run, view, c, z);
	const double scale = (double)run->population / (double)est_view_slots(run, view);
	double held;

	f[EST_SCANNED] = scale * (double)s->read;
	f[EST_SAME_FILLED] = scale * (double)s->same;
	f[EST_INCOMPRESSIBLE] = scale * (double)(s->over + s->refused);
	f[EST_STORED] = scale * (double)s->stored;
	f[EST_COMPRESSED_BYTES] = scale * (double)s->bytes;
	f[EST_POOL_PAGES] = !strcmp(run->cfg->zpool[z], EST_IDEAL)
				    ? ceil(f[EST_COMPRESSED_BYTES] / PAGE) : est_pool_pages(run, view, c, z);
	held = PAGE * (f[EST_POOL_PAGES] + f[EST_INCOMPRESSIBLE]);
	f[EST_RATIO] = held > 0 ? PAGE * f[EST_SCANNED] / held : 0;
	f[EST_SAVED_BYTES] = PAGE * f[EST_SCANNED] - held;
}

/* theta[0] from all slots, theta[1..k] each leaving a replicate out. */
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
				const double slots = (double)est_view_slots(run, v);
				double f[EST_NFIGURES];

				figures(run, v, c, z, f);
				for (int k = 0; k < EST_NFIGURES; k++)
					theta[k][v] = f[k];
				unread[v] = (double)run->population / slots *
					    (slots - (double)est_sums(run, v, c, z)->read);
			}
			for (int k = 0; k < EST_NFIGURES; k++)
				r->codec[c].fig[z][k] = interval(theta[k], run->nviews,
								 k == EST_SAVED_BYTES);
		}
		memcpy(r->codec[c].hist, run->hist[c], sizeof(run->hist[c]));
	}
	r->unreadable = interval(unread, run->nviews, false);
	r->population = run->population;
	r->measured = run->measured;
	r->windows = run->windows;
	r->pool_objects = run->measured * (run->repeat ? (uint64_t)fmax(1, round(
		(double)(run->population < est_pool_cap(run) ? run->population : est_pool_cap(run)) /
		(double)run->drawn)) : 1);
	r->seconds_measure = run->seconds_measure;
	r->seconds_pools = run->seconds_pools;
}

/* ---- the run ---- */

static int prepare(struct run *run)
{
	const struct est_config *cfg = run->cfg;

	run->njobs = run->nviews * (size_t)cfg->ncodecs * (size_t)cfg->nzpools;
	run->sums = calloc(run->njobs, sizeof(*run->sums));
	run->slot = malloc(run->cap * sizeof(*run->slot));
	if (cfg->keep && cfg->keep_bytes && run->drawn <= run->cap && run->cap <= EST_KEEP_PAGES &&
	    !(run->bytes = malloc(run->cap * PAGE)))
		return est_fail(run, -ENOMEM, "out of memory");
	for (int c = 0; c < cfg->ncodecs; c++)
		if (!(run->len[c] = malloc(run->cap * sizeof(uint16_t))))
			return est_fail(run, -ENOMEM, "out of memory");
	/* A tail only when there will be a next window. */
	if (run->drawn > run->cap && make_tail(run))
		return run->err;
	if (!run->sums || !run->slot || !est_workers_new(run, cfg->threads ? cfg->threads : 1, true))
		return est_fail(run, -ENOMEM, "out of memory");
	return 0;
}

static void release(struct run *run, bool window)
{
	est_workers_free(run);
	free(run->sums);
	run->sums = NULL;
	for (int c = 0; window && c < run->cfg->ncodecs; c++)
		free(run->len[c]);
	for (int c = 0; c < run->cfg->ncodecs; c++)
		free(run->tail_len[c]);
	free(run->tail_group);
	if (window) {
		free(run->slot);
		free(run->bytes);
	}
	pthread_mutex_destroy(&run->lock);
}

/* A one-window reading kept in the result: its window outlives the run,
 * its pages' bytes (those read) one after another. */
static void keep(struct run *run, struct est_result *r)
{
	for (size_t i = 0; run->bytes && i < run->measured; i++)
		if (run->len[0][i])
			memmove(run->bytes + run->nbytes++ * PAGE, run->bytes + i * PAGE, PAGE);
	r->kept = malloc(sizeof(*r->kept));
	if (r->kept)
		r->kept->run = *run;
	release(run, !r->kept);
}

const unsigned char *estimate_kept_pages(const struct est_result *r, size_t *n)
{
	*n = r->kept && r->kept->run.bytes ? r->kept->run.nbytes : 0;
	return *n ? r->kept->run.bytes : NULL;
}

int estimate_run(struct target *t, const struct est_config *cfg, struct est_result *r,
		 char *why, size_t len)
{
	struct run *run = calloc(1, sizeof(*run));
	int err = run ? 0 : -ENOMEM;

	memset(r, 0, sizeof(*r));
	if (err) {
		snprintf(why, len, "out of memory");
		return err;
	}
	run->t = t;
	run->cfg = cfg;
	pthread_mutex_init(&run->lock, NULL);
	r->threads = cfg->threads ? cfg->threads : 1;
	for (int z = 0; z < cfg->nzpools; z++)
		r->max_object[z] = est_max_object(cfg->zpool[z]);
	/* Counted first: a sample's strata are cut from the count. */
	err = target_walk(t, &r->counts, NULL, NULL, why, len);
	if (!err) {
		run->population = r->counts.pages;
		plan(run, r);
		err = prepare(run);
	}
	if (!err) {
		const uint64_t counted = r->counts.pages;

		err = target_walk(t, &r->counts, take, run, why, len);
		r->changed = r->counts.pages != counted;
	}
	if (!err && run->nslots)
		err = window_done(run);
	if (!err && !run->sampled)
		run->population = run->drawn = run->measured;   /* as walked */
	if (!err && !run->measured && !run->sampled)
		err = est_fail(run, -ENODATA, "no pages to measure");
	if (err && atomic_load(&run->failed))
		snprintf(why, len, "%s", run->why);
	if (!err) {
		est_timings(run, r);
		results(run, r);
	}
	if (!err && cfg->keep && run->windows == 1)
		keep(run, r);
	else
		release(run, true);
	free(run);
	return err;
}

int estimate_refigure(struct est_result *r, const struct est_config *cfg, char *why, size_t len)
{
	struct run run;
	int err;

	if (!r->kept) {
		snprintf(why, len, "no sample kept to figure again");
		return -EINVAL;
	}
	run = r->kept->run;
	run.cfg = cfg;
	run.nslots = (size_t)run.measured;      /* the one window, measured */
	run.intervals = r->intervals = run.sampled && !cfg->no_intervals;
	run.nviews = run.intervals ? 1 + EST_REPLICATES : 1;
	run.njobs = run.nviews * (size_t)cfg->ncodecs * (size_t)cfg->nzpools;
	run.sums = calloc(run.njobs, sizeof(*run.sums));
	run.seconds_pools = 0;
	atomic_store(&run.failed, 0);
	pthread_mutex_init(&run.lock, NULL);
	err = run.sums && est_workers_new(&run, cfg->threads ? cfg->threads : 1, false) ? 0
		: est_fail(&run, -ENOMEM, "out of memory");
	if (!err && cfg->sizes)
		sizes_out(&run);
	if (!err)
		err = est_phase(&run, est_fill, "pools", run.njobs, &run.seconds_pools);
	if (err)
		snprintf(why, len, "%s", run.why);
	else
		results(&run, r);
	est_workers_free(&run);
	free(run.sums);
	pthread_mutex_destroy(&run.lock);
	return err;
}

void estimate_free(struct est_result *r)
{
	if (!r->kept)
		return;
	for (int c = 0; c < EST_MAX_CODECS; c++)
		free(r->kept->run.len[c]);
	free(r->kept->run.slot);
	free(r->kept->run.bytes);
	free(r->kept);
	r->kept = NULL;
}
