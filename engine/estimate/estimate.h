/*
 * estimate.h - what zswap (or zram) would save on a target's pages, for each
 * compressor and allocator: `zbud estimate` (docs/estimate.md)
 *
 * Each page is looked at as zswap would: a page whose 8-byte words are all
 * equal is same-filled and kept as that one word (no pool memory); any
 * other is compressed into at most 4096 bytes, and an allocator that will
 * not take that size (zpool_malloc() -ENOSPC: more than its largest object)
 * or a page that does not compress into 4096 bytes leaves it incompressible:
 * zswap refuses it and it stays in memory, a whole page.  So what the store
 * would hold of the pages scanned is
 *
 *	held = pool pages * 4096 + incompressible pages * 4096
 *
 * the effective ratio is scanned * 4096 / held, and the memory saved is
 * scanned * 4096 - held.  The pool pages are measured, not guessed: each
 * stored page's compressed size is allocated, in page order, into a fresh
 * pool of that allocator ("ideal": ceil(compressed bytes / 4096)).  The
 * entries' own memory (zswap's ~80 bytes a stored page) is left out.
 *
 * Pages are taken a window at a time (est_config.window, 65536 pages by
 * default): read and compressed on many threads, a compressor context
 * each, then each window's sizes given to a fresh pool of each allocator,
 * by one thread a pool, as its page order matters.  A pool's growth over
 * the second half of a window is what each page costs it; its first
 * window's fixed cost (partly used pages) is counted once.  A target of
 * one window is measured exactly; of more, with memory that does not grow
 * with the target (no list of its pages is kept, only a window's sizes).
 */
#ifndef ZBUD_ESTIMATE_H
#define ZBUD_ESTIMATE_H

#define ZSWAP_STATIC_LINKING_ONLY
#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "target.h"
#include "zswap.h"

/* Compressed sizes by 64-byte bucket, zbud's chunk: bucket b (1..64) holds
 * sizes 64(b-1)+1 to 64b; two more for same-filled pages and pages that did
 * not compress into 4096 bytes. */
#define EST_BUCKET 64
#define EST_NBUCKETS (ZSWAP_PAGE_SIZE / EST_BUCKET)
#define EST_HIST_SAME 0
#define EST_HIST_OVER (EST_NBUCKETS + 1)
#define EST_HIST (EST_NBUCKETS + 2)

/*
 * A sample is this many replicates, each a stratified sample of the page
 * list (one page drawn from each of its equal runs); the interval comes
 * from leaving one replicate out at a time (delete-a-group jackknife), with
 * Student's t at 95% for REPLICATES - 1 degrees of freedom.
 */
#define EST_REPLICATES 20
#define EST_T95 2.093

/* The fewest pages --sample FRACTION draws: on real heaps, compressed sizes
 * vary so from page to page that fewer than ~2,000 pages (8 MiB) do not give
 * a ratio within 2% (measured: 1% of a 64 MiB Python heap, 180 pages, was
 * within 2% in 42% of seeds; 2,000 pages in 90%).  --sample-pages N is taken
 * as it is. */
#define EST_MIN_SAMPLE 2000

/* Pages taken at a time: read, compressed, their sizes kept, given to
 * fresh pools.  Large enough that a pool's growth over half of it is
 * steady (a zsmalloc pool has ~250 classes of partly used zspages), small
 * enough that a window's sizes and pools cost a few MiB. */
#define EST_WINDOW 65536

/* A sample's sizes are given to its pools many times over, up to this
 * many objects, so that a pool's fixed cost (its partly used pages) is
 * told from what each page costs it (pools.c).  A reading over time gives
 * fewer: it costs about as many allocations. */
#define EST_POOL_CAP 65536

/* The most pages whose bytes a kept reading holds: 64 MiB. */
#define EST_KEEP_PAGES 16384

struct est_config {
	struct est_codec codec[EST_MAX_CODECS];
	int ncodecs;
	const char *zpool[EST_MAX_ZPOOLS];      /* zpool drivers, and EST_IDEAL */
	int nzpools;
	unsigned int threads;
	double sample_fraction;         /* (0, 1]; 0: by sample_pages; at least
					   EST_MIN_SAMPLE pages are drawn */
	uint64_t sample_pages;          /* both 0: every page */
	uint64_t seed;
	size_t window;                  /* pages a window; 0: EST_WINDOW */
	size_t pool_cap;                /* objects a sample's pool is given at
					   most; 0: EST_POOL_CAP */
	bool no_intervals;              /* a sample's figures only, no jackknife */
	bool background;                /* the threads at the lowest priority
					   (nice 19): a reading while a workload
					   runs takes what CPU it leaves */
	bool keep;                      /* a reading of one window: kept in the
					   result, for estimate_refigure() */
	bool keep_bytes;                /* and its pages' bytes, up to
					   EST_KEEP_PAGES (estimate_kept_pages()) */
	/* Called with the first compressor's sizes of the stored pages (1 to
	 * 4096 bytes), in page order, a window at a time. */
	void (*sizes)(void *arg, const uint16_t *size, size_t n);
	void *sizes_arg;
	/* Called every tenth of a second from the calling thread, and once at
	 * the end of each phase ("pages", then "pools"). */
	void (*progress)(void *arg, const char *what, uint64_t done, uint64_t total);
	void *progress_arg;
};

/* A figure for the whole target: measured, or scaled up from a sample with
 * its 95% interval (low == high == value when every page was measured). */
struct est_value {
	double value, low, high;
};

enum est_figure {
	EST_SCANNED,                    /* pages read */
	EST_SAME_FILLED,
	EST_INCOMPRESSIBLE,
	EST_STORED,                     /* pages in the pool */
	EST_COMPRESSED_BYTES,           /* of the stored pages */
	EST_POOL_PAGES,
	EST_RATIO,                      /* scanned * 4096 / held; 0 when nothing is held */
	EST_SAVED_BYTES,                /* scanned * 4096 - held */
	EST_NFIGURES
};

/* The figures' names in JSON. */
extern const char *const est_figure_name[EST_NFIGURES];

struct est_codec_result {
	double compress_ns, decompress_ns;      /* CPU time a page (de)compressed */
	uint64_t hist[EST_HIST];                /* pages measured (sampled) */
	struct est_value fig[EST_MAX_ZPOOLS][EST_NFIGURES];
};

struct est_kept;

struct est_result {
	struct target_counts counts;    /* the walk's (a sample's: its second walk) */
	uint64_t population;            /* the target's pages */
	uint64_t measured;              /* pages drawn and read: all, or the sample */
	struct est_value unreadable;    /* pages that could not be read */
	bool sampled;
	uint64_t strata;                /* sampled: pages a replicate draws */
	uint64_t pool_objects;          /* sampled: the objects a simulated pool gets */
	unsigned int threads;
	double seconds_measure, seconds_pools;
	unsigned int max_object[EST_MAX_ZPOOLS];
	uint64_t windows;               /* of pages taken at a time */
	bool changed;                   /* the walk that took the pages found
					   more or fewer than the count before it:
					   a live target, read as it changed */
	bool intervals;                 /* low, high: a jackknife's; else = value */
	struct est_codec_result codec[EST_MAX_CODECS];
	struct est_kept *kept;          /* est_config.keep: the sample's sizes */
};

/*
 * estimate_run - measure @t as @cfg says into @r (zeroed first)
 *
 * Walks the target twice: to count (a sample's strata, a window's size),
 * then to take the pages.
 * Returns 0, or a negative errno with a message in @why: the target's walk
 * (target_walk()), a compressor failing, -ENOMEM.
 */
int estimate_run(struct target *t, const struct est_config *cfg, struct est_result *r,
		 char *why, size_t len);

/*
 * estimate_refigure - @r's figures again from its kept sample, as @cfg
 * says (its intervals, its sizes function); nothing is read again
 *
 * Returns 0, -EINVAL when @r kept nothing, -ENOMEM, with @why.
 */
int estimate_refigure(struct est_result *r, const struct est_config *cfg, char *why,
		      size_t len);

/*
 * estimate_kept_pages - the bytes of the pages a kept reading read, one
 * after another, and their number in *@n; NULL when none were kept (not
 * asked for, more than one window, or more than EST_KEEP_PAGES pages)
 */
const unsigned char *estimate_kept_pages(const struct est_result *r, size_t *n);

/* estimate_free - what @r holds (its kept sample); @r stays readable */
void estimate_free(struct est_result *r);

#endif /* ZBUD_ESTIMATE_H */
