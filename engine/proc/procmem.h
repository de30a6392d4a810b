/*
 * procmem.h - the resident private memory of a program this process starts
 *
 * What would a compressed store hold of a real program?  Start the program,
 * let it build its heap and stop itself (raise(SIGSTOP)), copy the pages it
 * has in memory, kill it:
 *
 *	struct procmem_child c;
 *	if (!procmem_start(&c, argv, 60000)) {
 *		procmem_read(&c, &set, &stats);
 *		procmem_end(&c);
 *	}
 *
 * Only a child started here, and stopped, can be read: there is no call
 * that takes a process id.  The pages read are those of private writable
 * mappings that are anonymous ([heap], [stack], mmap()ed memory, named
 * [anon:...] ones): what Linux would swap, and so give zswap.  Pages of
 * mapped files are not read, nor pages not in memory (never touched, or
 * swapped out), which /proc/PID/pagemap tells.
 */
#ifndef ZBUD_PROCMEM_H
#define ZBUD_PROCMEM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pageset.h"

struct procmem_child {
	pid_t pid;                      /* 0 once ended */
	bool stopped;                   /* by its own SIGSTOP: readable */
	int status;                     /* waitpid()'s, when it did not stop */
};

/* In 4 KiB pages. */
struct procmem_stats {
	uint64_t mappings;              /* the mappings read */
	uint64_t pages_read;
	uint64_t not_resident;          /* skipped: not in memory */
	uint64_t unreadable;            /* skipped: present, but reads failed */
};

/*
 * procmem_start - run @argv (execvp(): a PATH search, never a shell) and
 * wait until it stops itself with SIGSTOP
 *
 * Returns 0 with @c stopped; or, with no child left behind:
 * the exec's errno negated (-ENOENT: no such command, -EACCES, ...);
 * -ECHILD when it ended, or was stopped by another signal, before that
 * (@c->status says how); -ETIMEDOUT when it had not stopped after
 * @timeout_ms (it is killed); another negative errno from pipe() or fork().
 */
int procmem_start(struct procmem_child *c, char *const argv[], unsigned int timeout_ms);

/*
 * procmem_read - append the stopped child's resident anonymous private
 * pages to @ps, in address order, and count them in @st (zeroed first)
 *
 * Reads with process_vm_readv() 4 MiB at a time, /proc/PID/mem page by
 * page where that fails.  Returns 0; -EINVAL when @c is not a stopped
 * child; -ENOMEM; or the errno of opening or reading /proc/PID/smaps or
 * pagemap.  Pages read before a failure stay in @ps.
 */
int procmem_read(const struct procmem_child *c, struct pageset *ps, struct procmem_stats *st);

/* procmem_end - kill the child and reap it; nothing when already ended */
void procmem_end(struct procmem_child *c);

#endif /* ZBUD_PROCMEM_H */
