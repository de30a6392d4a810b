/*
 * pageset.h - a named, growable array of 4 KiB pages: what the benchmarks
 * (and `zbud estimate`) give the store
 *
 * The pages lie one after another in one buffer, so that a pass over a set
 * walks memory in order and page i is at pages + i * PAGESET_PAGE.  Nothing
 * here prints: a failure is a negative errno value for the caller to report.
 */
#ifndef ZBUD_PAGESET_H
#define ZBUD_PAGESET_H

#include <glob.h>
#include <stddef.h>
#include <stdint.h>

#include "procmem.h"
#include "zswap.h"

#define PAGESET_PAGE ZSWAP_PAGE_SIZE

struct pageset {
	char name[32];
	unsigned char *pages;
	size_t count, cap;              /* in pages */
};

/* pageset_init - an empty set called @name (cut to fit) */
void pageset_init(struct pageset *ps, const char *name);

/* pageset_free - free the pages; the set is empty again */
void pageset_free(struct pageset *ps);

static inline unsigned char *pageset_page(const struct pageset *ps, size_t i)
{
	return ps->pages + i * PAGESET_PAGE;
}

/*
 * pageset_grow - @n more pages at the end, their bytes undefined
 *
 * Returns the first of them, or NULL when out of memory (the set as it
 * was).  Earlier pages may move: take their address again after a call.
 */
unsigned char *pageset_grow(struct pageset *ps, size_t n);

/* pageset_truncate - keep the first @count pages (no more than there are) */
void pageset_truncate(struct pageset *ps, size_t count);

/*
 * pageset_add_file - the bytes of @path as pages, the last zero-padded,
 * until the set holds @max_pages
 *
 * Returns the pages added, or a negative errno value from open() or read(),
 * -EISDIR for a directory, -EINVAL for what is not a regular file (a FIFO
 * is never waited on), the set as it was.
 */
long pageset_add_file(struct pageset *ps, const char *path, size_t max_pages);

/*
 * pageset_default_files - files found on most Debian systems, text and
 * machine code in turn, about 32 MiB in all
 *
 * Fills @g with those present (globfree() it).  Returns 0, or -ENOENT when
 * none is.
 */
int pageset_default_files(glob_t *g);

/*
 * pageset_add_process - the pages of @pm that zswap would be given
 * (procmem.h), read, appended in address order and counted in @c
 *
 * Returns 0, or a negative errno with @why (procmem_walk()'s, -ENOMEM);
 * pages read before a failure stay in the set.  Pages that could not be
 * read are counted in *@unreadable and left out.
 */
int pageset_add_process(struct pageset *ps, struct procmem *pm, struct procmem_counts *c,
			uint64_t *unreadable, char *why, size_t len);

#endif /* ZBUD_PAGESET_H */
