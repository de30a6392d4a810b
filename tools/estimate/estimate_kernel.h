/*
 * estimate_kernel.h - the running kernel beside the estimate
 *
 *   - its zswap's compressor and zpool (/sys/module/zswap/parameters), and
 *     each zram device's algorithm, read through engine/kstat: the table's
 *     rows that match them are marked; a kernel whose zswap has no zpool
 *     parameter has only zsmalloc (Linux 6.15 and later), and the rows of
 *     other allocators say so;
 *   - with --vs-kernel (root, zram): the pages of the reading reported,
 *     written through a scratch zram device made for each chosen
 *     compressor the kernel offers (engine/estimate/zram.h), and its own
 *     mm_stat beside zbud's figures for the same pages (zsmalloc's pool,
 *     as zram's).  The device is always reset and removed, on errors and
 *     Ctrl-C too.
 */
#ifndef ZBUD_ESTIMATE_KERNEL_H
#define ZBUD_ESTIMATE_KERNEL_H

#include <jansson.h>
#include <signal.h>
#include <stdio.h>

#include "estimate_cli.h"
#include "kstat.h"

#define EST_MAX_ZRAM 16

/* mm_stat's fields the comparison shows, kernel's and ours alike. */
enum est_mm { EST_MM_ORIG, EST_MM_COMPR, EST_MM_USED, EST_MM_SAME, EST_MM_HUGE, EST_MM_N };

struct est_vs {
	char label[24];
	bool offered;                   /* this kernel's zram has the algorithm */
	uint64_t kernel[EST_MM_N], zbud[EST_MM_N];
	bool have_huge;                 /* mm_stat has huge_pages (4.14+) */
};

struct est_kernel {
	bool zswap;                     /* the kernel has zswap */
	int enabled;                    /* 1, 0; -1 when it does not say */
	char compressor[KSTAT_NAME_MAX], zpool[KSTAT_NAME_MAX];
	bool zsmalloc_only;             /* no zpool parameter: 6.15 and later */
	struct {
		char name[KSTAT_NAME_MAX], algorithm[KSTAT_NAME_MAX];
	} zram[EST_MAX_ZRAM];
	int nzram;
	/* --vs-kernel */
	bool asked;
	char why_not[256];              /* "": done */
	uint64_t pages;
	struct est_vs vs[EST_MAX_CODECS];
	int nvs;
};

/* estimate_kernel_read - what the running kernel has (nothing changed) */
void estimate_kernel_read(struct est_kernel *k);

/*
 * estimate_vs_kernel - @rep's reading's pages through zram, for each of
 * @rep's compressors the kernel offers; what could not be done said in
 * k->why_not.  Stops early (devices removed) when *@stop is set.
 */
void estimate_vs_kernel(struct est_kernel *k, const struct est_report *rep,
			volatile sig_atomic_t *stop);

/* estimate_kernel_mark - "zswap", "zram0", "not in this kernel", or "":
 * what the kernel has of compressor @c with allocator @z */
const char *estimate_kernel_mark(const struct est_kernel *k, const struct est_config *cfg,
				 int c, int z, char *buf, size_t len);

/* estimate_kernel_print - its lines under the table */
void estimate_kernel_print(FILE *f, const struct est_kernel *k);

/* estimate_kernel_json - the kernel beside, or null when not looked at */
json_t *estimate_kernel_json(const struct est_kernel *k);

#endif /* ZBUD_ESTIMATE_KERNEL_H */
