/*
 * target.h - the pages `zbud estimate` measures: the memory of a set of
 * processes, an ELF core file's, or a plain file's, walked in order
 *
 *	target_walk(t, &counts, each, arg, why, len);   pages to each()
 *	target_read(t, pages, n, buf, ok);               their bytes
 *
 * A walk finds the pages without reading them (a process's by procmem.h's
 * rule, the pages zswap would be given; a core's from its program
 * headers) and gives them in order, a run at a time, keeping nothing a
 * page: a target of any size costs the same memory to walk.  Pages given
 * may be read, from any thread, until the next walk.  A set of processes
 * is found again at each walk (procset_refresh() is the caller's), and
 * read as it is when read: running processes change meanwhile.
 *
 * A core file does not tell private from shared: its anonymous pages are
 * those of the segments its NT_FILE note does not name.
 */
#ifndef ZBUD_TARGET_H
#define ZBUD_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "procmem.h"
#include "procset.h"

enum target_kind { TARGET_PROCESS, TARGET_CORE, TARGET_RAW };

/* In 4 KiB pages, for one walk. */
struct target_counts {
	uint64_t pages;                 /* the pages walked: numbered 0..pages-1 */
	uint64_t mappings;              /* mappings (core: segments) holding them */
	uint64_t shared;                /* processes: of the pages, mapped elsewhere too */
	uint64_t duplicate;             /* processes: a frame another page had (once) */
	/* skipped, and why */
	uint64_t not_resident;          /* never touched, or dropped (core: a hole) */
	uint64_t swapped;               /* already in swap */
	uint64_t unevictable;           /* mlock()ed, hugetlbfs */
	uint64_t not_in_file;           /* core: left out of the file, or cut off */
	/* processes */
	uint32_t processes;             /* walked */
	uint32_t ended;                 /* gone before or while walked */
	uint32_t refused;               /* the kernel would not let zbud read them */
};

/* Where one page is: valid until the next walk. */
struct target_page {
	uint64_t where;                 /* an address, or a span of the file */
	uint32_t proc;                  /* processes: which of the walk's */
};

struct target;

/*
 * target_open_processes - the processes of @set, each walk those it has
 * then; pages of one frame counted once when @frames (procmem.h)
 *
 * Returns 0 or -ENOMEM.  The set stays the caller's, and must outlive t.
 */
int target_open_processes(struct target **t, struct procset *set,
			  const struct procmem_select *sel, bool frames);

/*
 * target_open_core - the PT_LOAD segments of a 64-bit ELF core file
 *
 * Returns 0; -EINVAL with @why for a file that is not such a core or whose
 * segments are impossible (bad magic, class, byte order, type; headers
 * outside the file; segments that overlap in memory or in the file, that
 * hold more than they span, or that end past the largest address space)
 * or that is not a regular file (-EISDIR for a directory); the errno of
 * open() or read(); -ENOMEM.
 */
int target_open_core(struct target **t, const char *path, const struct procmem_select *sel,
		     char *why, size_t len);

/* target_open_raw - a file's bytes as pages, the last zero-padded; errors
 * as target_open_core()'s, and -ENODATA for an empty file */
int target_open_raw(struct target **t, const char *path, char *why, size_t len);

/* target_open_buffer - @n pages at @pages, the caller's, as a target */
int target_open_buffer(struct target **t, const unsigned char *pages, size_t n);

enum target_kind target_kind(const struct target *t);

/* A walk's function: @n pages in order; nonzero stops the walk. */
typedef int (*target_fn)(void *arg, const struct target_page *pages, size_t n);

/*
 * target_walk - every page of the target, in order, to @fn (NULL: count
 * only), counted in @c
 *
 * Processes: each member of the set in turn, by number; one that ended or
 * that the kernel will not let zbud read is counted and passed over.
 * Returns 0; @fn's result; -ESRCH when no member could be walked (@why says
 * why: none left, or the ptrace refusal); -ENOMEM; another negative errno
 * with @why.
 */
int target_walk(struct target *t, struct target_counts *c, target_fn fn, void *arg, char *why,
		size_t len);

/*
 * target_count - the target's pages counted, fast: for processes, their
 * anonymous and shared memory in memory as the kernel counts it
 * (procmem_resident(): mlock()ed pages in, a frame two processes share
 * twice), or, for --all or --mapping, from the page table ranges alone
 * (PAGEMAP_SCAN), each frame not told from another (duplicate and shared
 * stay 0).  A tick's count; a reading walks.
 */
int target_count(struct target *t, struct target_counts *c, char *why, size_t len);

/*
 * target_read - copy @n pages the last walk gave to @buf, 4 KiB apart
 *
 * @n is at most TARGET_READ_MAX.  ok[i] is false for a page that could not
 * be read (unmapped since, its process ended; an I/O error), its bytes
 * undefined.  Returns 0, or -EINVAL.  Safe from many threads at once.
 */
#define TARGET_READ_MAX 256
int target_read(struct target *t, const struct target_page *pages, size_t n,
		unsigned char *buf, bool *ok);

/* target_frames - whether pages of one frame are counted once: asked
 * for, and the kernel shows frame numbers (CAP_SYS_ADMIN) */
bool target_frames(const struct target *t);

void target_close(struct target *t);

#endif /* ZBUD_TARGET_H */
