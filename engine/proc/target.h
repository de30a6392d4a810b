/*
 * target.h - the pages `zbud estimate` measures: a process's memory, an ELF
 * core file's, or a plain file's, as a numbered list of 4 KiB pages
 *
 * Opening a target finds its pages without reading them: a process's by
 * procmem.h's rule (the pages zswap would be given), a core's from its
 * program headers.  target_read() then copies any of them, from any thread,
 * so that a sample reads only the pages drawn.
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

enum target_kind { TARGET_PROCESS, TARGET_CORE, TARGET_RAW };

/* In 4 KiB pages. */
struct target_counts {
	uint64_t pages;                 /* the pages to measure: numbered 0..pages-1 */
	uint64_t mappings;              /* mappings (core: segments) holding them */
	uint64_t shared;                /* processes: of the pages, mapped elsewhere too */
	/* skipped, and why */
	uint64_t not_resident;          /* never touched, or dropped (core: a hole) */
	uint64_t swapped;               /* already in swap */
	uint64_t unevictable;           /* mlock()ed, hugetlbfs */
	uint64_t not_in_file;           /* core: left out of the file, or cut off */
};

struct target;

/*
 * target_open_process - the pages of process @pid, which may be running
 *
 * Returns 0, or a negative errno with a message in @why (procmem_open()'s
 * and procmem_walk()'s).
 */
int target_open_process(struct target **t, pid_t pid, const struct procmem_select *sel,
			char *why, size_t len);

/*
 * target_open_core - the PT_LOAD segments of a 64-bit ELF core file
 *
 * Returns 0; -EINVAL with @why for a file that is not such a core or whose
 * segments are impossible (bad magic, class, byte order, type; headers
 * outside the file; segments that overlap in memory or in the file, that
 * hold more than they span, or that end past the largest address space);
 * -EISDIR, -EFTYPE-like -EINVAL for what is not a regular file; the errno
 * of open() or read(); -ENOMEM.
 */
int target_open_core(struct target **t, const char *path, const struct procmem_select *sel,
		     char *why, size_t len);

/* target_open_raw - a file's bytes as pages, the last zero-padded; errors
 * as target_open_core()'s, and -ENODATA for an empty file */
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
