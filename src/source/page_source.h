/*
 * page_source.h - numbered 4 KiB pages for the allocators (internal)
 *
 * A page source hands out page numbers.  Page n's bytes are at
 * base + n * ZBUD_PAGE_SIZE, and beside them, out of line, each page has
 * meta_size bytes of descriptor that belong to the allocator while the page
 * is in use.  Address arithmetic is all a map needs: no lookup, and the
 * allocator never touches a page's bytes.
 *
 *   base ->  [page 0][page 1][page 2] ...            [page capacity-1]
 *   meta ->  [d0][d1][d2] ...                         (meta_size each)
 *
 * Free pages are kept on two stacks linked through the first four bytes of
 * their descriptor: "hot" pages, still resident and reused first, and "cold"
 * pages, already handed back to the OS.  Pages from `next` up have never been
 * used.  When the last page is put back the whole source is reset, so an
 * emptied pool holds nothing.
 *
 * Not thread-safe: the allocator calls it under its own lock.
 */
#ifndef ZBUD_PAGE_SOURCE_H
#define ZBUD_PAGE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"
#include "zbud_source.h"

#define ZBUD_PAGE_NIL UINT32_MAX

struct zbud_source {
	char *base;             /* page n at base + (n << ZBUD_PAGE_SHIFT) */
	char *meta;             /* page n's descriptor at meta + n * meta_size */
	size_t meta_size;
	uint32_t capacity;      /* pages this source can ever give */
	uint32_t committed;     /* pages [0, committed) are mapped read-write */
	uint32_t next;          /* pages [next, capacity) were never given */
	uint32_t in_use;
	uint32_t hot, hot_nr;   /* free and resident: reused first */
	uint32_t cold, cold_nr; /* free and returned to the OS */
	bool arena;             /* else a caller's buffer */
	unsigned int flags;
	struct zbud_vm data, descs; /* arena: the reserved mappings */
};

/*
 * zbud_source_init - set up a source for descriptors of @meta_size bytes
 * (a multiple of 4, at least 4).  Returns 0, -EINVAL (buffer too small for
 * one page) or -ENOMEM (no address space).
 */
int zbud_source_init(struct zbud_source *ps, const struct zbud_source_config *cfg,
		     size_t meta_size);
void zbud_source_fini(struct zbud_source *ps);

/* zbud_source_get - a page number, its descriptor zeroed; 0 or -ENOMEM */
int zbud_source_get(struct zbud_source *ps, uint32_t *pgno);

/* zbud_source_put - give a page back; the allocator is done with it */
void zbud_source_put(struct zbud_source *ps, uint32_t pgno);

/*
 * zbud_source_discard - hand the memory of free pages [@first, @first +
 * @pages) back to the OS (an arena's; they read as zeros after); pages
 * handed out and not put back are the caller's to keep track of
 */
void zbud_source_discard(struct zbud_source *ps, uint32_t first, uint32_t pages);

/* zbud_source_meta_bytes - memory the descriptors of used pages take */
uint64_t zbud_source_meta_bytes(const struct zbud_source *ps);

/*
 * zbud_source_check - the free stacks are well formed, hold only pages that
 * @page_free says are free, and with in_use account for every page given.
 * Returns 0 or -EUCLEAN with @msg.
 */
int zbud_source_check(const struct zbud_source *ps,
		      bool (*page_free)(const void *meta), char *msg, size_t len);

static inline void *zbud_source_addr(const struct zbud_source *ps, uint32_t pgno)
{
	return ps->base + ((size_t)pgno << ZBUD_PAGE_SHIFT);
}

static inline void *zbud_source_desc(const struct zbud_source *ps, uint32_t pgno)
{
	return ps->meta + (size_t)pgno * ps->meta_size;
}

#endif /* ZBUD_PAGE_SOURCE_H */
