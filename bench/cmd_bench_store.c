/*
 * cmd_bench_store.c - `zbud bench store`: the store on real pages, as
 * `zstd -b` measures a compressor
 *
 * Page sets: files installed here, and the heap of a Python program started
 * for the purpose and read while it is stopped (procmem.c).  For each set,
 * compressor and allocator, the fastest of PASSES passes of:
 *
 *  - the compressor alone (zswap_compressor_at(), no store): each page into a
 *    4 KiB slot, the store's own limit, then back; the figures the store's
 *    are held against;
 *  - the store with one shard, one thread's figures: store every page, load
 *    every page it took and compare each byte, store every page again over
 *    itself, then invalidate them all (untimed).
 *
 * The first stores grow the pool from empty, and pay for its pages coming
 * into memory: the page source gives them back to the OS as the pool
 * shrinks.  Storing again over a full pool reuses them, as a kernel's zswap
 * in steady state does; the goals' lines give both.
 */
#define ZSWAP_STATIC_LINKING_ONLY
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "cli.h"
#include "zswap.h"
#include "pageset.h"
#include "procmem.h"
#include "workload.h"
#include "zpool.h"
#include "zswap.h"

#define PASSES 3
#define DEFAULT_MIB 32          /* a set big enough to leave the caches */
#define MAX_MIB 4096
#define MAX_CODECS 16
#define MAX_ZPOOLS 8
#define MAX_THREADS 64
#define HEAP_TIMEOUT_MS 120000  /* the built-in heap takes a second or two */
#define PAGE PAGESET_PAGE

/* The goals, as the project states them. */
#define GOAL_STORE_OVER 1.10    /* store time / lz4 compress time */
#define GOAL_LOAD_OVER 1.15     /* load time / (lz4 decompress + memcpy) */
#define GOAL_SAME_GBPS 5.0      /* same-filled store and load */
#define GOAL_SPEEDUP 1.8        /* 2 threads over 1 */

struct codec {
	const struct zswap_compressor *comp;
	int level;                      /* 0 for those without levels */
	char label[24];                 /* "zstd:3" */
};

struct options {
	struct codec codec[MAX_CODECS];
	const char *zpool[MAX_ZPOOLS];
	int ncodecs, nzpools;
	char **files;                   /* NULL: the built-in list */
	size_t nfiles, max_pages;
	char **heap_cmd;                /* NULL: python3 with workload_python_heap */
	bool heap;
	unsigned int threads;
};

/* Room to work on one page set. */
struct work {
	const struct pageset *ps;
	unsigned char *slots;           /* compressed pages, 4 KiB apart */
	unsigned char *out;             /* where loads and decompressions land */
	uint32_t *len;                  /* compressed lengths; 0: did not fit */
	bool *kept;                     /* the store took the page */
	char why[256];                  /* what failed */
};

struct raw {
	double comp, decomp;            /* seconds */
	uint64_t bytes;                 /* compressed, 4096 for pages that did not fit */
	size_t fit;                     /* pages that fit: those decompressed */
};

struct row {
	double store, load;             /* seconds */
	double restore;                 /* storing every page again, over itself */
	struct zswap_stats st;          /* after one pass of stores */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void keep_best(double *best, double t, int pass)
{
	if (!pass || t < *best)
		*best = t;
}

static int failf(struct work *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	return -1;
}

static int work_init(struct work *w, const struct pageset *ps)
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

static void work_fini(struct work *w)
{
	free(w->slots);
	free(w->out);
	free(w->len);
	free(w->kept);
}

static double mbps(size_t pages, double secs)
{
	return (double)pages * PAGE / secs / 1e6;
}

/* ---- one pass of each measurement ---- */

static double copy_pass(struct work *w)
{
	double t0 = now();

	for (size_t i = 0; i < w->ps->count; i++)
		memcpy(w->out + i * PAGE, pageset_page(w->ps, i), PAGE);
	return now() - t0;
}

/* The compressor alone: every page into its slot, then back, checked. */
static int raw_pass(struct work *w, const struct codec *k, void *ctx, int pass, struct raw *r)
{
	const struct zswap_compressor *c = k->comp;
	const struct pageset *ps = w->ps;
	double t0 = now();

	for (size_t i = 0; i < ps->count; i++) {
		long len = c->compress(ctx, pageset_page(ps, i), PAGE, w->slots + i * PAGE, PAGE);

		if (len < 0)
			return failf(w, "%s: compressing page %zu of %s failed", k->label, i,
				     ps->name);
		w->len[i] = (uint32_t)len;
	}
	keep_best(&r->comp, now() - t0, pass);
	t0 = now();
	for (size_t i = 0; i < ps->count; i++)
		if (w->len[i] &&
		    c->decompress(ctx, w->slots + i * PAGE, w->len[i], w->out + i * PAGE, PAGE))
			return failf(w, "%s: decompressing page %zu of %s failed", k->label, i,
				     ps->name);
	keep_best(&r->decomp, now() - t0, pass);
	r->bytes = r->fit = 0;
	for (size_t i = 0; i < ps->count; i++) {
		if (w->len[i] && memcmp(w->out + i * PAGE, pageset_page(ps, i), PAGE))
			return failf(w, "%s: page %zu of %s decompresses to other bytes", k->label,
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
			return failf(w, "%s: storing page %zu of %s: %s", what, i, w->ps->name,
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
			return failf(w, "%s: loading page %zu of %s: %s", what, i, w->ps->name,
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
			return failf(w, "%s: page %zu of %s loads other bytes than were stored",
				     what, i, w->ps->name);
		kept += w->kept[i];
	}
	if (stored != kept || same > stored || poor != w->ps->count - kept)
		return failf(w, "%s: the stats count %llu stored (%llu same-filled) and %llu "
			     "rejected of %zu pages, %zu of them taken", what, stored, same, poor,
			     w->ps->count, kept);
	return 0;
}

/* The store: every page stored, those taken loaded and checked, all stored
 * again, then all invalidated (untimed).  The stats are those after the
 * first stores. */
static int store_pass(struct work *w, struct zswap *zs, const char *what, int pass, struct row *r)
{
	double t0 = now();
	int err = store_all(w, zs, what);

	keep_best(&r->store, now() - t0, pass);
	if (!pass)
		zswap_get_stats(zs, &r->st);
	t0 = now();
	err = err ? err : load_all(w, zs, what);
	keep_best(&r->load, now() - t0, pass);
	err = err ? err : check_all(w, &r->st, what);
	/* The first stores paid for the pool's pages coming into memory (an
	 * emptied pool gives them back to the OS); these reuse them. */
	t0 = now();
	err = err ? err : store_all(w, zs, what);
	keep_best(&r->restore, now() - t0, pass);
	for (size_t i = 0; i < w->ps->count; i++)
		zswap_invalidate(zs, i);
	return err;
}

/* A store of one shard: one thread's figures. */
static struct zswap *store_new(struct work *w, const struct codec *k, const char *zpool)
{
	const struct zswap_config cfg = { .compressor = k->comp->name, .level = k->level,
					  .zpool = zpool, .shards = 1 };
	struct zswap *zs = zswap_create(&cfg);

	if (!zs)
		failf(w, "%s/%s: cannot create the store: %s", k->label, zpool, strerror(errno));
	return zs;
}

/* ---- threads: stores and loads mixed ---- */

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
			failf(w, "cannot start a thread: %s", strerror(err));
			for (unsigned int t = 0; t < started; t++)
				m[t].end = m[t].first; /* they stop at once */
			break;
		}
	}
	t0 = now();
	atomic_store(&go, true);
	for (unsigned int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	*secs = now() - t0;
	for (unsigned int t = 0; t < started && !err; t++)
		if (m[t].err)
			err = failf(w, "%s, %u threads: page %zu of %s: %s",
				    zs ? "lz4/zbud" : "lz4", n, m[t].bad, w->ps->name,
				    m[t].err == -EILSEQ ? "loads other bytes than were stored"
				    : strerror(-m[t].err));
	return err ? -1 : 0;
}

/* ---- one page set's table ---- */

static const char *verdict(bool met)
{
	return met ? "met" : "MISSED";
}

static void print_header(void)
{
	printf("%-9s %-8s %9s %9s %6s %10s %10s %8s %8s %7s %6s %6s %6s %10s %14s\n",
	       "codec", "zpool", "comp MB/s", "dec MB/s", "ratio", "store MB/s", "load MB/s",
	       "pool pg", "ideal pg", "x ideal", "same", "poor", "eff", "store/comp",
	       "load/(dec+cpy)");
}

static void print_row(const struct work *w, const struct codec *k, const char *zpool,
		      const struct raw *raw, const struct row *r, double copy)
{
	const size_t n = w->ps->count;
	const size_t taken = r->st.stored_pages; /* same-filled ones included */
	/* the bytes of the pages the pool holds: same-filled ones take none */
	const double in_pool = (double)(r->st.orig_data_size - r->st.same_filled_pages * PAGE);
	const uint64_t pool = r->st.pool_total_size / PAGE;
	const uint64_t ideal = (r->st.compr_data_size + PAGE - 1) / PAGE;
	const double pool_bytes = (double)r->st.pool_total_size;

	printf("%-9s %-8s %9.1f %9.1f %6.3f %10.1f %10.1f %8llu %8llu %7.3f %6llu %6llu %6.3f "
	       "%10.3f %14.3f\n", k->label, zpool, mbps(n, raw->comp), mbps(raw->fit, raw->decomp),
	       (double)n * PAGE / (double)raw->bytes, mbps(n, r->store), mbps(taken, r->load),
	       (unsigned long long)pool, (unsigned long long)ideal,
	       ideal ? (double)pool / (double)ideal : 0.0,
	       (unsigned long long)r->st.same_filled_pages,
	       (unsigned long long)r->st.reject_compress_poor,
	       pool_bytes ? in_pool / pool_bytes : 0.0,
	       r->store / raw->comp, r->load / (raw->decomp + copy));
}

/* The goals' lines, on lz4's rows: store, store again, load overheads. */
static void print_goals(const struct options *o, double (*over)[3])
{
	printf("goals on lz4: store time <= %.2f x lz4's compress time; load time <= %.2f x "
	       "(lz4's decompress + a 4 KiB memcpy) time\n", GOAL_STORE_OVER, GOAL_LOAD_OVER);
	for (int z = 0; z < o->nzpools; z++)
		printf("  lz4/%-8s store %.3f %s (storing over a full pool: %.3f %s); "
		       "load %.3f %s\n",
		       o->zpool[z], over[z][0], verdict(over[z][0] <= GOAL_STORE_OVER), over[z][1],
		       verdict(over[z][1] <= GOAL_STORE_OVER), over[z][2],
		       verdict(over[z][2] <= GOAL_LOAD_OVER));
}

/*
 * One compressor's rows.  Its passes alone and the stores' take turns, so
 * that whatever else runs on the machine weighs on all of them alike.
 */
static int bench_codec(const struct options *o, struct work *w, const struct codec *k,
		       double (*over)[3])
{
	struct zswap *zs[MAX_ZPOOLS] = { 0 };
	struct row row[MAX_ZPOOLS];
	struct raw raw = { 0 };
	double copy = 0;
	void *ctx = k->comp->ctx_new(k->level);
	int err = ctx ? 0 : failf(w, "%s: out of memory", k->label);

	memset(row, 0, sizeof(row));
	for (int z = 0; z < o->nzpools && !err; z++)
		err = (zs[z] = store_new(w, k, o->zpool[z])) ? 0 : -1;
	for (int pass = 0; pass < PASSES && !err; pass++) {
		keep_best(&copy, copy_pass(w), pass);
		err = raw_pass(w, k, ctx, pass, &raw);
		for (int z = 0; z < o->nzpools && !err; z++) {
			char what[48];

			snprintf(what, sizeof(what), "%s/%s", k->label, o->zpool[z]);
			err = store_pass(w, zs[z], what, pass, &row[z]);
		}
	}
	for (int z = 0; z < o->nzpools && !err; z++) {
		print_row(w, k, o->zpool[z], &raw, &row[z], copy);
		over[z][0] = row[z].store / raw.comp;
		over[z][1] = row[z].restore / raw.comp;
		over[z][2] = row[z].load / (raw.decomp + copy);
	}
	for (int z = 0; z < o->nzpools; z++)
		zswap_destroy(zs[z]);
	if (ctx)
		k->comp->ctx_free(ctx);
	return err;
}

static int bench_set(const struct options *o, struct work *w)
{
	double over[MAX_ZPOOLS][3], other[MAX_ZPOOLS][3];
	bool lz4 = false;

	print_header();
	for (int c = 0; c < o->ncodecs; c++) {
		bool is_lz4 = !strcmp(o->codec[c].comp->name, "lz4");

		if (bench_codec(o, w, &o->codec[c], is_lz4 ? over : other))
			return -1;
		lz4 |= is_lz4;
		fflush(stdout);
	}
	if (lz4)
		print_goals(o, over);
	return 0;
}

/* Same-filled pages, 3 in 4 of them zeros, as many as the files set. */
static int bench_same(struct work *files, size_t count)
{
	const struct codec lz4 = { zswap_compressor_find("lz4"), 0, "lz4" };
	struct pageset same;
	struct zswap *zs;
	struct work w;
	struct row r = { 0 };
	int err;

	pageset_init(&same, "same-filled pages");
	memset(&w, 0, sizeof(w));
	if (!pageset_grow(&same, count) || work_init(&w, &same)) {
		failf(files, "same-filled pages: out of memory");
		work_fini(&w);
		pageset_free(&same);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		unsigned long *word = (unsigned long *)(void *)pageset_page(&same, i);

		for (size_t k = 0; k < PAGE / sizeof(*word); k++)
			word[k] = i % 4 ? 0 : i * 0x0101010101010101UL;
	}
	zs = store_new(&w, &lz4, "zbud");
	err = zs ? 0 : -1;
	for (int pass = 0; pass < PASSES && !err; pass++)
		err = store_pass(&w, zs, "same-filled pages, lz4/zbud", pass, &r);
	zswap_destroy(zs);
	if (err)
		memcpy(files->why, w.why, sizeof(w.why));
	else
		printf("same-filled pages (lz4/zbud, one shard): %zu pages, 3 in 4 zeros: "
		       "store %.2f GB/s, load %.2f GB/s; goal >= %.0f GB/s each: %s\n", count,
		       mbps(count, r.store) / 1e3, mbps(count, r.load) / 1e3, GOAL_SAME_GBPS,
		       verdict(mbps(count, r.store) / 1e3 >= GOAL_SAME_GBPS &&
			       mbps(count, r.load) / 1e3 >= GOAL_SAME_GBPS));
	work_fini(&w);
	pageset_free(&same);
	return err;
}

/*
 * The store's stores and loads by 1 and @n threads, and lz4's alone: the
 * most the machine's CPUs allow.  The four take turns, pass after pass, so
 * that whatever else runs on the machine weighs on all of them alike.
 */
static int bench_threads(struct work *w, unsigned int n)
{
	struct zswap *zs = zswap_create(NULL);  /* lz4, zbud, default shards */
	double secs[2][2], t;                   /* [store][n threads] */
	const int runs = n > 1 ? 2 : 1;
	int err = zs ? 0 : failf(w, "cannot create the store: %s", strerror(errno));

	for (int pass = 0; pass < PASSES && !err; pass++) {
		for (int k = 0; k < 2 * runs && !err; k++) {
			struct zswap *on = k / runs ? NULL : zs;

			err = run_mix(w, on, k % runs ? n : 1, &t);
			keep_best(&secs[!on][k % runs], t, pass);
			for (size_t i = 0; on && i < w->ps->count; i++)
				zswap_invalidate(on, i);
		}
	}
	zswap_destroy(zs);
	if (err)
		return -1;
	printf("threads (lz4/zbud, default shards, %s, a load after each store): "
	       "1 thread %.1f MB/s", w->ps->name, 2 * mbps(w->ps->count, secs[0][0]));
	if (n > 1)
		printf(", %u threads %.1f MB/s: speed-up %.2fx (lz4 alone: %.2fx)", n,
		       2 * mbps(w->ps->count, secs[0][1]), secs[0][0] / secs[0][1],
		       secs[1][0] / secs[1][1]);
	if (n == 2)
		printf("; goal >= %.1fx: %s", GOAL_SPEEDUP,
		       verdict(secs[0][0] / secs[0][1] >= GOAL_SPEEDUP));
	putchar('\n');
	return 0;
}

/* ---- the page sets ---- */

/* The files' pages up to --mib; a note for each that cannot be read, or
 * the error when none can. */
static int files_set(const struct options *o, struct pageset *ps, char *title, size_t len)
{
	glob_t g = { 0 };
	char **paths = o->files;
	size_t n = o->nfiles, read = 0, failed = 0;
	int *errs = NULL, rc = 0;

	if (!paths) {
		if (pageset_default_files(&g)) {
			fprintf(stderr, "zbud bench store: none of the built-in files is here; "
				"name some with --files\n");
			return 1;
		}
		paths = g.gl_pathv, n = g.gl_pathc;
	}
	errs = calloc(n, sizeof(*errs));
	for (size_t i = 0; errs && i < n && ps->count < o->max_pages; i++) {
		long got = pageset_add_file(ps, paths[i], o->max_pages);

		errs[i] = got < 0 ? (int)-got : 0;
		failed += got < 0, read += got >= 0;
	}
	if (!errs || !ps->count) {
		size_t i = 0;

		while (errs && i < n && !errs[i])
			i++;
		if (!errs)
			fprintf(stderr, "zbud bench store: out of memory\n");
		else if (i < n)
			fprintf(stderr, "zbud bench store: cannot read '%s': %s%s\n", paths[i],
				strerror(errs[i]), failed > 1 ? " (nor the other files)" : "");
		else
			fprintf(stderr, "zbud bench store: no pages: the files are empty\n");
		rc = 1;
	}
	for (size_t i = 0; !rc && i < n; i++)
		if (errs[i])
			fprintf(stderr, "zbud bench store: note: cannot read '%s': %s; skipped\n",
				paths[i], strerror(errs[i]));
	snprintf(title, len, "%zu pages (%.1f MiB) of %zu %sfile%s%s", ps->count,
		 (double)ps->count * PAGE / 1048576, read, o->files ? "" : "installed ",
		 read == 1 ? "" : "s",
		 ps->count >= o->max_pages ? ", cut at --mib" : "");
	free(errs);
	globfree(&g);
	return rc;
}

static void describe_end(int status, char *buf, size_t len)
{
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : WSTOPSIG(status);

	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d before it stopped itself",
			 WEXITSTATUS(status));
	else
		snprintf(buf, len, "was %s by signal %d (%s)%s",
			 WIFSIGNALED(status) ? "killed" : "stopped", sig, strsignal(sig),
			 WIFSIGNALED(status) ? " before it stopped itself" : ", not SIGSTOP");
}

/* The heap of the program started for it; none, with a note, when the
 * built-in one's python3 is not installed. */
static int heap_set(const struct options *o, struct pageset *ps, char *title, size_t len)
{
	char *builtin[] = { "python3", "-c", (char *)workload_python_heap, NULL };
	char *const *argv = o->heap_cmd ? o->heap_cmd : builtin;
	struct procmem_child c;
	struct procmem_stats st;
	char how[96];
	int err = procmem_start(&c, argv, HEAP_TIMEOUT_MS);

	if (err == -ENOENT && !o->heap_cmd) {
		fprintf(stderr, "zbud bench store: note: no python3 here, so no heap set\n");
		return 0;
	}
	if (err == -ECHILD)
		describe_end(c.status, how, sizeof(how));
	else if (err == -ETIMEDOUT)
		snprintf(how, sizeof(how), "did not stop itself within %d s",
			 HEAP_TIMEOUT_MS / 1000);
	else
		snprintf(how, sizeof(how), "cannot be started: %s", strerror(-err));
	if (!err) {
		err = procmem_read(&c, ps, &st);
		procmem_end(&c);
		snprintf(how, sizeof(how), "cannot be read: %s", strerror(-err));
	}
	if (err) {
		fprintf(stderr, "zbud bench store: the heap program '%s' %s\n", argv[0], how);
		return 1;
	}
	snprintf(title, len, "%llu pages (%.1f MiB) of %s's heap, from %llu mappings; skipped: "
		 "%llu not in memory, %llu unreadable", (unsigned long long)st.pages_read,
		 (double)st.pages_read * PAGE / 1048576, o->heap_cmd ? argv[0] : "a Python program",
		 (unsigned long long)st.mappings, (unsigned long long)st.not_resident,
		 (unsigned long long)st.unreadable);
	return 0;
}

/* The table of @ps under @title, with @w left for the caller to free. */
static int run_set(const struct options *o, const struct pageset *ps, const char *title,
		   struct work *w)
{
	printf("\n== %s: %s\n", ps->name, title);
	if (work_init(w, ps))
		return failf(w, "%s: out of memory", ps->name);
	return bench_set(o, w);
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: zbud bench store [--files PATH...] [--mib N] [--no-heap]\n"
		"                        [--compressor NAME[:LEVEL][,...]] [--zpool NAME[,...]]\n"
		"                        [--threads N] [--heap-cmd CMD [ARG...]]\n"
		"\n"
		"Measures the store on real pages, for each compressor and allocator, the\n"
		"fastest of %d passes, every page loaded checked byte for byte:\n"
		"  comp, dec MB/s, ratio  the compressor alone, each page into 4 KiB (a page\n"
		"                         that does not fit counts 4096 bytes)\n"
		"  store, load MB/s       the store with one shard\n"
		"  pool pg, ideal pg      its pool's pages; ceil(compressed bytes / 4096)\n"
		"  same, poor             pages kept as one word; refused, compressing poorly\n"
		"  eff                    original bytes / pool bytes of the pages in the pool\n"
		"  store/comp             store time / the compressor's compress time\n"
		"  load/(dec+cpy)         load time / (its decompress + a 4 KiB memcpy) time\n"
		"Then the goals' figures: lz4's rows, same-filled pages, and threads.\n"
		"\n"
		"Page sets: the files (default: libraries, programs, licences and Perl\n"
		"modules installed here) up to --mib MiB (default %d), and the heap of a\n"
		"Python program it starts (python3; --no-heap: none), or of CMD, which must\n"
		"stop itself with SIGSTOP once its heap is built (--heap-cmd comes last).\n"
		"\n"
		"  --compressor  default: each of them at its default level\n"
		"  --zpool       default: each allocator built in\n"
		"  --threads N   the threads row: 1 thread against N (default 2)\n"
		"\n"
		"Examples:\n"
		"  zbud bench store --mib 8 --no-heap --compressor lz4,zstd --zpool zbud,zsmalloc\n"
		"  zbud bench store --files /usr/bin/python3 --mib 4 --heap-cmd python3 heap.py\n",
		PASSES, DEFAULT_MIB);
}

/* The rest of an error line: "a, b, c)". */
static void list_names(const char *(*name)(unsigned int))
{
	for (unsigned int i = 0; name(i); i++)
		fprintf(stderr, "%s%s", i ? ", " : "", name(i));
	fprintf(stderr, ")\n");
}

static void set_codec(struct codec *k, const struct zswap_compressor *c, int level)
{
	k->comp = c;
	k->level = c->max_level ? level : 0;
	if (c->max_level)
		snprintf(k->label, sizeof(k->label), "%s:%d", c->name, level);
	else
		snprintf(k->label, sizeof(k->label), "%s", c->name);
}

static int parse_codecs(char *arg, struct options *o)
{
	o->ncodecs = 0;
	for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
		char *colon = strchr(tok, ':'), *end = NULL;
		struct codec *k = &o->codec[o->ncodecs];
		long level = 0;

		if (colon)
			*colon = '\0', level = strtol(colon + 1, &end, 10);
		k->comp = zswap_compressor_find(tok);
		if (!k->comp || o->ncodecs == MAX_CODECS) {
			fprintf(stderr, "zbud bench store: %s compressor '%s' (",
				k->comp ? "too many of them at" : "unknown", tok);
			list_names(zswap_compressor_name);
			return -1;
		}
		if (colon && (!k->comp->max_level || *end || end == colon + 1 ||
			      level < k->comp->min_level || level > k->comp->max_level)) {
			if (k->comp->max_level)
				fprintf(stderr, "zbud bench store: bad level '%s' for %s "
					"(%d to %d)\n", colon + 1, tok, k->comp->min_level,
					k->comp->max_level);
			else
				fprintf(stderr, "zbud bench store: %s has no levels, got '%s'\n",
					tok, colon + 1);
			return -1;
		}
		set_codec(k, k->comp, colon ? (int)level : k->comp->default_level);
		o->ncodecs++;
	}
	if (!o->ncodecs)
		fprintf(stderr, "zbud bench store: --compressor names none\n");
	return o->ncodecs ? 0 : -1;
}

static int parse_zpools(char *arg, struct options *o)
{
	o->nzpools = 0;
	for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
		if (!zpool_has_pool(tok) || o->nzpools == MAX_ZPOOLS) {
			fprintf(stderr, "zbud bench store: %s zpool '%s' (",
				zpool_has_pool(tok) ? "too many of them at" : "unknown", tok);
			list_names(zpool_driver_name);
			return -1;
		}
		o->zpool[o->nzpools++] = tok;
	}
	if (!o->nzpools)
		fprintf(stderr, "zbud bench store: --zpool names none\n");
	return o->nzpools ? 0 : -1;
}

static int parse_number(const char *opt, const char *arg, unsigned long max, unsigned long *v)
{
	char *end;

	*v = strtoul(arg, &end, 10);
	if (*end || !*arg || *arg == '-' || !*v || *v > max) {
		fprintf(stderr, "zbud bench store: bad %s '%s' (1 to %lu)\n", opt, arg, max);
		return -1;
	}
	return 0;
}

static void default_options(struct options *o)
{
	memset(o, 0, sizeof(*o));
	for (unsigned int i = 0; zswap_compressor_at(i) && i < MAX_CODECS; i++, o->ncodecs++)
		set_codec(&o->codec[i], zswap_compressor_at(i), zswap_compressor_at(i)->default_level);
	for (unsigned int i = 0; zpool_driver_name(i) && i < MAX_ZPOOLS; i++)
		o->zpool[o->nzpools++] = zpool_driver_name(i);
	o->max_pages = (size_t)DEFAULT_MIB << 20 >> 12;
	o->heap = true;
	o->threads = 2;
}

/* 0 to go on, else the exit status: --help or a bad argument. */
static int parse(int argc, char **argv, struct options *o)
{
	unsigned long v;

	default_options(o);
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		char *arg = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
			usage(stdout);
			return -1;
		} else if (!strcmp(opt, "--files") && arg && strncmp(arg, "--", 2)) {
			o->files = &argv[i + 1];
			for (o->nfiles = 0; i + 1 < argc && strncmp(argv[i + 1], "--", 2); i++)
				o->nfiles++;
		} else if (!strcmp(opt, "--heap-cmd") && arg) {
			o->heap_cmd = &argv[i + 1];     /* the rest, NULL-terminated */
			o->heap = true;
			break;
		} else if (!strcmp(opt, "--no-heap")) {
			o->heap = false;
		} else if (!strcmp(opt, "--compressor") && arg) {
			if (parse_codecs(argv[++i], o))
				return 2;
		} else if (!strcmp(opt, "--zpool") && arg) {
			if (parse_zpools(argv[++i], o))
				return 2;
		} else if (!strcmp(opt, "--mib") && arg) {
			if (parse_number(opt, argv[++i], MAX_MIB, &v))
				return 2;
			o->max_pages = (size_t)v << 20 >> 12;
		} else if (!strcmp(opt, "--threads") && arg) {
			if (parse_number(opt, argv[++i], MAX_THREADS, &v))
				return 2;
			o->threads = (unsigned int)v;
		} else {
			fprintf(stderr, "zbud bench store: unknown or incomplete option '%s' "
				"(try --help)\n", opt);
			return 2;
		}
	}
	return 0;
}

int bench_store(int argc, char **argv)
{
	struct pageset files, heap;
	struct work wf, wh;
	struct options o;
	char files_title[256], heap_title[256];
	int rc = parse(argc, argv, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	pageset_init(&files, "files");
	pageset_init(&heap, "heap");
	memset(&wf, 0, sizeof(wf));
	memset(&wh, 0, sizeof(wh));
	/* Both sets first: a heap program that fails says so at once. */
	rc = files_set(&o, &files, files_title, sizeof(files_title));
	if (!rc && o.heap)
		rc = heap_set(&o, &heap, heap_title, sizeof(heap_title));
	if (rc)
		goto out;
	printf("zbud bench store: the fastest of %d passes; MB/s of original bytes (10^6 bytes/s); "
	       "the store with one shard\n", PASSES);
	if (run_set(&o, &files, files_title, &wf) ||
	    (heap.count && run_set(&o, &heap, heap_title, &wh)) ||
	    putchar('\n') == EOF || bench_same(&wf, files.count) || bench_threads(&wf, o.threads)) {
		fprintf(stderr, "zbud bench store: %s\n", wh.why[0] ? wh.why : wf.why);
		rc = 1;
	}
out:
	work_fini(&wh);
	work_fini(&wf);
	pageset_free(&heap);
	pageset_free(&files);
	return rc;
}
