/*
 * cmd_bench_store.h - what the files of `zbud bench store` share
 *
 *   cmd_bench_store.c          options, and the run: sets, then tables
 *   cmd_bench_store_sets.c     the page sets: installed files, a program's heap
 *   cmd_bench_store_passes.c   one pass of each measurement, and room for them
 *   cmd_bench_store_rows.c     a set's table: a row per compressor x allocator;
 *                              same-filled pages
 *   cmd_bench_store_threads.c  stores and loads by 1 and N threads
 */
#ifndef ZBUD_CMD_BENCH_STORE_H
#define ZBUD_CMD_BENCH_STORE_H

#define ZSWAP_STATIC_LINKING_ONLY
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "pageset.h"
#include "zswap.h"

#define PASSES 3
#define PAGE ZSWAP_PAGE_SIZE
#define MAX_THREADS 64

struct options {
	struct est_codec codec[EST_MAX_CODECS];
	const char *zpool[EST_MAX_ZPOOLS];
	int ncodecs, nzpools;
	char **files;                   /* NULL: the built-in list */
	size_t nfiles, max_pages;
	char **heap_cmd;                /* NULL: python3 with the built-in heap */
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

/* The compressor alone, the fastest pass. */
struct raw {
	double comp, decomp;            /* seconds */
	uint64_t bytes;                 /* compressed, 4096 for pages that did not fit */
	size_t fit;                     /* pages that fit: those decompressed */
};

/* The store, the fastest pass. */
struct row {
	double store, load;             /* seconds */
	double restore;                 /* storing every page again, over itself */
	struct zswap_stats st;          /* after one pass of stores */
};

/* cmd_bench_store_passes.c */
double bs_now(void);
void bs_keep_best(double *best, double t, int pass);
int bs_fail(struct work *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int bs_work_init(struct work *w, const struct pageset *ps);
void bs_work_fini(struct work *w);
double bs_mbps(size_t pages, double secs);
double bs_copy_pass(struct work *w);
int bs_raw_pass(struct work *w, const struct est_codec *k, void *ctx, int pass, struct raw *r);
int bs_store_pass(struct work *w, struct zswap *zs, const char *what, int pass, struct row *r);
struct zswap *bs_store_new(struct work *w, const struct est_codec *k, const char *zpool);

/* cmd_bench_store_rows.c */
const char *bs_verdict(bool met);
int bs_bench_set(const struct options *o, struct work *w);
int bs_bench_same(struct work *files, size_t count);

/* cmd_bench_store_threads.c */
int bs_bench_threads(struct work *w, unsigned int n);

/* cmd_bench_store_sets.c: 0, or the exit status after one line */
int bs_files_set(const struct options *o, struct pageset *ps, char *title, size_t len);
int bs_heap_set(const struct options *o, struct pageset *ps, char *title, size_t len);

#endif /* ZBUD_CMD_BENCH_STORE_H */
