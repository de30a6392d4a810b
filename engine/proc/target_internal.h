/*
 * target_internal.h - what target.c and target_core.c share
 *
 * A target is a list of where[] words, one a page, found when it is opened:
 *
 *   process   the page's address, read through procmem
 *   core/raw  the page's offset in the file << 12 | (its bytes - 1): the
 *             last page of a file or of a segment may be short, and reads
 *             zero-padded, as memory past a segment's file size is zeros
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

struct target {
	enum target_kind kind;
	struct target_counts counts;
	uint64_t *where;                /* a page's address, or its FILE_SPAN() */
	size_t cap;
	int fd;                         /* the file */
	struct procmem *pm;             /* the process */
};

struct target *target_new(enum target_kind kind);
int target_add(struct target *t, uint64_t where);

/*
 * target_open_file - open @path for reading, never blocking (a FIFO with
 * no writer) and taking only regular files and block devices; its size
 * in *@size.  0, or a negative errno with @why.
 */
int target_open_file(struct target *t, const char *path, uint64_t *size, char *why,
		     size_t len);

/* pread() until @len bytes, the end, or an error: the bytes read. */
size_t target_pread(int fd, void *buf, size_t len, uint64_t off);

#endif /* ZBUD_TARGET_INTERNAL_H */
