/*
 * procmem.h - a process's memory: which of its pages zswap would be given,
 * and their bytes
 *
 *	struct procmem *pm;
 *	if (!procmem_open(&pm, pid, why, sizeof(why))) {
 *		procmem_walk(pm, &sel, NULL, &counts, each, arg, why, sizeof(why));
 *		... procmem_read(pm, addr, n, buf, ok) on addresses it gave ...
 *		procmem_close(pm);
 *	}
 *
 * THE RULE.  zswap is handed a page when reclaim swaps it out, and only
 * swap-backed pages are swapped: those on the kernel's anonymous LRU lists.
 * So the pages zswap would be given are a process's pages that are
 *
 *   - in memory (pagemap bit 63; swapped ones are already gone), and
 *   - swap-backed: in a private mapping, an anonymous page (pagemap bit 61
 *     clear): the heap, stacks, anonymous mmap()s, and the written
 *     (copied-on-write) pages of private file mappings such as a library's
 *     data, whatever the mapping's protection is now (RELRO pages and
 *     mprotect()ed heaps are read-only, and still anonymous); in a shared
 *     mapping, a page of shared memory (shmem: MAP_SHARED|MAP_ANONYMOUS,
 *     System V and POSIX shared memory, memfd, files on tmpfs), which the
 *     kernel swaps as it swaps anonymous pages; and
 *   - evictable: not in an mlock()ed mapping nor a hugetlbfs one (VmFlags
 *     "lo", "ht"), whose pages reclaim never takes.
 *
 * Pages of ordinary files (the page cache) are written back to their file,
 * never to swap, and are not taken; nor are device and kernel mappings.
 * A private mapping whose smaps says "Anonymous: 0 kB" has no anonymous
 * page and its pagemap is not read: its present pages are file pages, or
 * the kernel's shared zero page that a read of untouched memory maps.
 * procmem_select.all takes every page in memory of every mapping instead.
 *
 * A page two processes share (after fork(), until one writes it; shared
 * memory) is one page to zswap.  pagemap bit 56 says that a page is mapped
 * only here; where the kernel shows frame numbers (CAP_SYS_ADMIN), a
 * pfnset given to procmem_walk() counts each frame once across the walks
 * that share it.
 *
 * Pages are read as they are when read: a running process is read as it
 * changes.  The caller must be allowed to read the process (ptrace(2),
 * "Ptrace access mode checking"): zbud never works around a refusal.
 */
#ifndef ZBUD_PROCMEM_H
#define ZBUD_PROCMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pfnset.h"

struct procmem_select {
	bool all;                       /* every page in memory of every mapping */
	const char *mapping;            /* only mappings whose path contains this */
};

/* In 4 KiB pages, added to by each walk. */
struct procmem_counts {
	uint64_t pages;                 /* taken: given to the walk's function */
	uint64_t mappings;              /* mappings holding them */
	uint64_t shared;                /* of the pages: mapped by another process too */
	/* left out, and why */
	uint64_t not_resident;          /* anonymous memory never touched, or dropped */
	uint64_t swapped;               /* already in swap */
	uint64_t unevictable;           /* mlock()ed or hugetlbfs: never swapped */
	uint64_t duplicate;             /* a frame an earlier page of the walk had */
};

struct procmem;

/*
 * procmem_open - process @pid, to be walked and read
 *
 * Returns 0, or a negative errno with one line in @why: -ESRCH when there
 * is no such process, or it has exited (a zombie) or has no user memory (a
 * kernel thread); -EACCES or -EPERM when the kernel's ptrace access rules
 * refuse; another from /proc; -ENOMEM.
 */
int procmem_open(struct procmem **pm, pid_t pid, char *why, size_t len);

void procmem_close(struct procmem *pm);

pid_t procmem_pid(const struct procmem *pm);

/* Called with runs of taken pages' addresses, in address order; a nonzero
 * return stops the walk and is its result. */
typedef int (*procmem_fn)(void *arg, const uint64_t *addr, size_t n);

/*
 * procmem_walk - the pages @sel takes, by THE RULE above, to @fn (NULL:
 * count only), counted into @c
 *
 * @seen (may be NULL): frames already taken; a page whose frame is in it
 * is counted as a duplicate and not taken, and taken frames are added.
 * Returns 0; @fn's result; -ESRCH when the process ended meanwhile; -ENOMEM;
 * another negative errno from /proc, with @why.
 */
int procmem_walk(struct procmem *pm, const struct procmem_select *sel, struct pfnset *seen,
		 struct procmem_counts *c, procmem_fn fn, void *arg, char *why, size_t len);

/*
 * procmem_read - copy the 4 KiB pages at @addr[0..n) to @buf, 4 KiB apart
 *
 * @n is at most PROCMEM_READ_MAX.  ok[i] is false for a page that could not
 * be read (unmapped since), its bytes undefined.  Returns 0, or -ESRCH (the
 * process ended) or -EPERM.  Safe from many threads at once.
 */
#define PROCMEM_READ_MAX 256
int procmem_read(struct procmem *pm, const uint64_t *addr, size_t n, unsigned char *buf,
		 bool *ok);

/* procmem_frames_visible - whether pagemap shows frame numbers to this
 * process (CAP_SYS_ADMIN): without them, pages two processes share cannot
 * be told apart */
bool procmem_frames_visible(void);

/*
 * procmem_state - one letter from /proc/PID/stat ('R', 'S', 'T', 'Z', ...)
 * and the process's name; 0 when there is no such process
 */
char procmem_state(pid_t pid, char *name, size_t len);

/* procmem_cpu - the CPU seconds a process has used (user and system, its
 * threads'), from /proc/PID/stat; 0 when it is gone */
double procmem_cpu(pid_t pid);

/* procmem_resident - the 4 KiB pages of anonymous and shared memory a
 * process has in memory (RssAnon + RssShmem of /proc/PID/status: the
 * kernel's counters, no page table walked); -1 when it is gone */
int64_t procmem_resident(pid_t pid);

#endif /* ZBUD_PROCMEM_H */
