/*
 * builtin.h - the workload zbud runs when it is given none: a Python heap,
 * as a service's, for `zbud estimate` and `zbud bench store`
 */
#ifndef ZBUD_BUILTIN_H
#define ZBUD_BUILTIN_H

#include <stdint.h>

#include "pageset.h"
#include "procmem.h"

/*
 * A Python heap of about 64 MiB: records of strings, numbers and lists in
 * a dict, series of ints, and byte strings of every kind (random, text,
 * zeros, a pattern).  The same every run.  It stops itself with SIGSTOP
 * once built, and ends when continued.
 */
extern const char builtin_python_heap[];

/* builtin_argv - "python3 -c PROGRAM", NULL-terminated, for child_start() */
char *const *builtin_argv(void);

/*
 * builtin_heap_read - start @argv, wait @timeout_s seconds at most until it
 * stops itself with SIGSTOP, add its pages to @ps (counts in @c, pages it
 * could not read in *@unreadable), then end it
 *
 * Returns 0; -ENOENT when it cannot be started for want of the command;
 * another negative errno, with @how saying what it did instead ("ended
 * with status 1 before it stopped itself", "cannot be read: ...").
 */
int builtin_heap_read(char *const *argv, int timeout_s, struct pageset *ps,
		      struct procmem_counts *c, uint64_t *unreadable, char *how, size_t len);

#endif /* ZBUD_BUILTIN_H */
