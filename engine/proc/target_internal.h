/*
 * target_internal.h - what the target files share: target.c (files, a
 * buffer; reading), target_core.c (core files), target_procs.c (processes)
 *
 * A page's where word:
 *
 *   processes  its address in process proc of the walk
 *   core/raw   its offset in the file << 12 | (its bytes - 1): the last page
 *              of a file or of a segment may be short, and reads
 *              zero-padded, as memory past a segment's file size is zeros
 *   buffer     its index
 */
#ifndef ZBUD_TARGET_INTERNAL_H
#define ZBUD_TARGET_INTERNAL_H

#include <stdint.h>

#include "target.h"
#include "zswap.h"

#define TPAGE ZSWAP_PAGE_SIZE
#define FILE_SPAN(off, bytes) ((off) << 12 | ((bytes) - 1))
#define SPAN_OFFSET(span) ((span) >> 12)
#define SPAN_BYTES(span) ((size_t)((span) & 0xfff) + 1)
#define WALK_BATCH 1024                 /* pages given to a walk's function at once */

/* A core's segment that is walked: what of it is in the file. */
struct segment {
	uint64_t offset, in_file, memsz;
};

struct target {
	enum target_kind kind;
	int fd;                         /* the file */
	uint64_t size;                  /* raw: the file's bytes */
	struct segment *seg;            /* core */
	size_t nseg;
	const unsigned char *pages;     /* buffer */
	size_t npages;
	struct procset *set;            /* processes */
	struct procmem_select sel;
	bool frames;
	struct pfnset *seen;
	struct procmem **pm;            /* the last walk's */
	size_t npm, cap;
};

struct target *target_new(enum target_kind kind);

/*
 * target_open_file - open @path for reading, never blocking (a FIFO with
 * no writer) and taking only regular files and block devices; its size
 * in *@size.  0, or a negative errno with @why.
 */
int target_open_file(struct target *t, const char *path, uint64_t *size, char *why,
		     size_t len);

/* pread() until @len bytes, the end, or an error: the bytes read. */
size_t target_pread(int fd, void *buf, size_t len, uint64_t off);

int target_walk_core(struct target *t, struct target_counts *c, target_fn fn, void *arg);
int target_walk_procs(struct target *t, struct target_counts *c, target_fn fn, void *arg,
		      char *why, size_t len);
void target_close_procs(struct target *t);

#endif /* ZBUD_TARGET_INTERNAL_H */
