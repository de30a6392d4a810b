/*
 * estimate_internal.h - what the estimate's files share
 *
 *   estimate.c   the run: which pages (all, or a sample drawn stratum by
 *                stratum as the target is walked), windows of them, and the
 *                figures at the end with their intervals
 *   measure.c    phase 1 of a window: its pages read and compressed, on
 *                many threads
 *   pools.c      phase 2: each view's sizes given to a fresh pool of each
 *                allocator, one thread a pool, and what the pools say for
 *                the whole target
 *
 * A window's slots, each a page read (a page drawn by two replicates is two
 * slots), in page order:
 *
 *   slot[i]     where the page is, and the replicate that drew it
 *   len[c][i]   0 unread | 1..4096 compressed bytes | LEN_OVER no fit |
 *               LEN_SAME same-filled
 *
 * A view is a set of slots: all of them; and for a sample, all but one
 * replicate's, for each replicate (the jackknife's).  A job is a view, a
 * compressor and an allocator: one pool, filled by one thread.
 */
#ifndef ZBUD_ESTIMATE_INTERNAL_H
#define ZBUD_ESTIMATE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "estimate.h"

#define PAGE ZSWAP_PAGE_SIZE
#define LEN_OVER (PAGE + 1)
#define LEN_SAME (PAGE + 2)
#define CHUNK 32                        /* slots read at once: 128 KiB, in L2 */


struct slot {
	uint64_t where;                 /* a target_page's */
	uint32_t proc;
	uint32_t group;                 /* the replicate that drew it; 0 for all */
};

/* One job's tally over the windows so far, in slots and pool pages. */
struct sums {
	uint64_t read, same, over, refused, stored, bytes;
	uint64_t windows;               /* pools filled */
	uint64_t first_n;               /* objects the first pool was given */
	double first_whole, first_half, first_slope;
	double growth;                  /* later windows: the pages their slots added
					   to a pool warmed up by the tail */
};

struct run;

/* A thread's room: for phase 1, its compressors and buffers. */
struct worker {
	struct run *run;
	pthread_t thread;
	void *(*fn)(void *);            /* the phase's work */
	void *ctx[EST_MAX_CODECS];
	unsigned char *in, *out, *back;
	struct target_page page[CHUNK];
	bool ok[CHUNK], same[CHUNK];
	double ns[EST_MAX_CODECS][2];           /* compress, decompress */
	uint64_t pages[EST_MAX_CODECS][2];
	uint64_t chunks;                        /* taken, over the run */
};

struct run {
	struct target *t;
	const struct est_config *cfg;
	bool sampled, intervals;
	uint64_t population;            /* the target's pages (a sample: counted first) */
	uint64_t drawn;                 /* slots drawn (all pages, or 20 a stratum) */
	uint64_t strata;
	bool repeat;                    /* a one-window sample: its sizes given
					   to its pools many times (pools.c) */
	size_t nviews, njobs;
	/* the window */
	struct slot *slot;
	size_t nslots, cap;
	uint16_t *len[EST_MAX_CODECS];
	unsigned char *bytes;           /* keep_bytes: the slots' pages, as read */
	size_t nbytes;                  /* pages in it, once kept: those read */
	/* the previous windows' last slots (a quarter window), given again to
	 * the next window's pools first: a fresh pool is all partly used pages
	 * at first, which a pool that had held the earlier pages would fill */
	uint32_t *tail_group;
	uint16_t *tail_len[EST_MAX_CODECS];
	size_t ntail, tail_cap;
	/* the walk, and a sample's draws in the stratum at hand */
	uint64_t index, stratum;
	struct draw {
		uint64_t page;
		uint32_t group;
	} draw[EST_REPLICATES];
	size_t ndraw, at;
	/* what the windows add up to */
	struct sums *sums;              /* [view][codec][zpool] */
	uint64_t hist[EST_MAX_CODECS][EST_HIST];
	uint64_t measured, windows;
	/* the threads */
	struct worker *w;
	unsigned int nworkers;
	atomic_size_t next, done;
	atomic_uint finished;
	atomic_int failed;
	pthread_mutex_t lock;
	int err;
	char why[160];
	double seconds_measure, seconds_pools;
};

/* What a kept sample holds: a one-window sample's slots, for refiguring. */
struct est_kept {
	struct run run;                 /* its plan, slots and lengths */
};

/* estimate.c */
int est_fail(struct run *run, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
double est_clock_ns(clockid_t clock);
int est_phase(struct run *run, void *(*fn)(void *), const char *what, size_t total,
	      double *seconds);
size_t est_view_slots(const struct run *run, size_t view);
uint64_t est_pool_cap(const struct run *run);
struct sums *est_sums(const struct run *run, size_t view, int c, int z);

/* measure.c */
struct worker *est_workers_new(struct run *run, unsigned int n, bool compress);
void est_workers_free(struct run *run);
void *est_measure(void *arg);
void est_timings(const struct run *run, struct est_result *r);

/* pools.c */
void *est_fill(void *arg);
void est_keep_tail(struct run *run);
double est_pool_pages(const struct run *run, size_t view, int c, int z);
unsigned int est_max_object(const char *type);

#endif /* ZBUD_ESTIMATE_INTERNAL_H */
