/*
 * target.h - the pages `zbud estimate` measures: a process's memory, an ELF
 * core file's, or a plain file's, as a numbered list of 4 KiB pages
 *
 * Opening a target finds its pages without reading them: a process's
 * resident pages from /proc/PID/smaps and pagemap, a core's from its
 * program headers.  target_read() then copies any of them, from any thread,
 * so that a sample reads only the pages drawn.
 *
 * Which pages, by default: those zswap would be given, anonymous private
 * pages in memory (a private mapping's page that pagemap does not call a
 * file page: heap, stacks, anonymous mmap()s, and the copied-on-write pages
 * of private file mappings such as a library's data).  target_select.all
 * takes every page in memory of every mapping.  A core file does not tell
 * private from shared: its anonymous pages are those of the segments its
 * NT_FILE note does not name.
 *
 * Pages are read as they are when read: a process that runs meanwhile
 * (`--pid`) is read as it changes.
 */
#ifndef ZBUD_TARGET_H
#define ZBUD_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TARGET_PAGE 4096

enum target_kind { TARGET_PROCESS, TARGET_CORE, TARGET_RAW };

struct target_select {
	bool all;                       /* every mapping, not only anonymous private */
	const char *mapping;            /* processes: only mappings whose path has this */
};

/* In 4 KiB pages. */
struct target_counts {
	uint64_t pages;                 /* the pages to measure: numbered 0..pages-1 */
	uint64_t mappings;              /* mappings (core: segments) holding them */
	/* skipped, and why */
	uint64_t not_resident;          /* never touched, or dropped (core: a hole) */
	uint64_t swapped;               /* already in swap */
	uint64_t not_in_file;           /* core: left out of the file, or cut off */
};

struct target;

/*
 * target_open_process - the pages of process @pid, which may be running
 *
 * Returns 0, or a negative errno with a message in @why: -EACCES or -EPERM
 * when the kernel's ptrace access rules refuse to let this process read it
 * (never worked around), -ESRCH when there is no such process, another
 * from reading /proc, -ENOMEM.
 */
int target_open_process(struct target **t, pid_t pid, const struct target_select *sel,
			char *why, size_t len);

/*
 * target_open_core - the PT_LOAD segments of a 64-bit ELF core file
 *
 * Returns 0; -EINVAL with @why for a file that is not such a core (bad
 * magic, class, byte order, type, or headers outside the file); the errno
 * of open() or read(); -ENOMEM.
 */
int target_open_core(struct target **t, const char *path, const struct target_select *sel,
		     char *why, size_t len);

/* target_open_raw - a file's bytes as pages, the last zero-padded; errors
 * as target_open_core()'s */
int target_open_raw(struct target **t, const char *path, char *why, size_t len);

enum target_kind target_kind(const struct target *t);
const struct target_counts *target_counts(const struct target *t);

/*
 * target_read - copy pages @index[0..n) to @buf, 4 KiB apart
 *
 * @n is at most TARGET_READ_MAX.  ok[i] is false for a page that could not
 * be read (a process unmapped it since; an I/O error), its bytes undefined.
 * Returns 0, or a negative errno when the target itself is lost: -ESRCH
 * (the process ended), -EPERM.  Safe from many threads at once.
 */
#define TARGET_READ_MAX 256
int target_read(struct target *t, const uint64_t *index, size_t n, unsigned char *buf,
		bool *ok);

void target_close(struct target *t);

#endif /* ZBUD_TARGET_H */
