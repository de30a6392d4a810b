/*
 * zbud_source.h - where a pool's 4 KiB pages come from
 *
 * Every allocator in libzbud (zbud and the zpool drivers after it) takes its
 * pages from a page source.  There are two:
 *
 *  - the arena (the default): a reserved range of virtual memory that the
 *    pool grows into as it needs pages.  Freed pages are kept in a small cache
 *    and the rest are handed back to the operating system with
 *    madvise(MADV_DONTNEED), so an emptied pool holds no resident pages.
 *    Page descriptors live in a separate, dense array, never inside the pages.
 *
 *  - a fixed buffer supplied by the caller, for machines without an MMU or
 *    for a hard memory limit.  Pages and their descriptors are both carved
 *    out of the buffer; nothing else is allocated for them.  When the buffer
 *    is full, allocation fails with -ENOMEM and nothing else changes.
 *
 * A zeroed struct zbud_source_config selects the arena with its defaults.
 */
#ifndef ZBUD_SOURCE_H
#define ZBUD_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The page size of every pool, whatever the machine's own page size. */
#define ZBUD_PAGE_SHIFT 12
#define ZBUD_PAGE_SIZE (1UL << ZBUD_PAGE_SHIFT)

/*
 * The arena reserves address space (not memory) for this many pages unless
 * told otherwise: 64 GiB, far more than any pool should hold, and cheap
 * because reserved address space costs nothing until a page is used.
 */
#define ZBUD_ARENA_DEFAULT_PAGES (1ULL << 24)

/*
 * What backs the arena's pages.  By default, transparent huge pages where
 * the OS allows (madvise mode): a growing pool takes a fault a 2 MiB frame
 * rather than one a page, which on some machines (virtual ones above all)
 * costs more than the store that first writes the page.  A frame that pages
 * are handed back from is left in 4 KiB pages until the pool empties, so
 * that khugepaged cannot bring them back in.
 *
 * ZBUD_SOURCE_HUGEPAGES: huge pages even there (khugepaged may later bring
 * released pages back in).  ZBUD_SOURCE_SMALLPAGES: 4 KiB pages only, each
 * faulted in as it is first used.  The descriptor array always asks for huge
 * pages.
 */
#define ZBUD_SOURCE_HUGEPAGES 0x1u
#define ZBUD_SOURCE_SMALLPAGES 0x2u

struct zbud_source_config {
	void *buffer;           /* non-NULL: use this caller-owned buffer */
	size_t buffer_size;     /* its size in bytes */
	uint64_t max_pages;     /* arena: most pages ever held; 0: the default */
	unsigned int flags;     /* ZBUD_SOURCE_* */
};

#ifdef __cplusplus
}
#endif

#endif /* ZBUD_SOURCE_H */
