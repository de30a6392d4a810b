/*
 * builtin.h - the workload zbud runs when it is given none: a Python heap,
 * as a service's, for `zbud estimate` and `zbud bench store`
 */
#ifndef ZBUD_BUILTIN_H
#define ZBUD_BUILTIN_H

/*
 * A Python heap of about 64 MiB: records of strings, numbers and lists in
 * a dict, series of ints, and byte strings of every kind (random, text,
 * zeros, a pattern).  The same every run.  It stops itself with SIGSTOP
 * once built, and ends when continued.
 */
extern const char builtin_python_heap[];

/* builtin_argv - "python3 -c PROGRAM", NULL-terminated, for child_start() */
char *const *builtin_argv(void);

#endif /* ZBUD_BUILTIN_H */
