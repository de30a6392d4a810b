/*
 * run_check.h - the known-content program of `zbud run`'s tests (run_check.c)
 */
#ifndef ZBUD_RUN_CHECK_H
#define ZBUD_RUN_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Memory touched round and round so that the pager evicts the rest. */
struct rc_pressure {
	char *mem;
	size_t pages;
};

uint64_t rc_word(uint64_t i, uint64_t v, unsigned j);
void rc_fill(void *page, uint64_t i, uint64_t v);
/* 0, or 1 after a line naming @what and the first wrong word */
int rc_check(const void *page, uint64_t i, uint64_t v, const char *what);
int rc_zero(const void *page, const char *what);
int rc_check_region(const char *m, size_t pages, uint64_t first, uint64_t v, const char *what);
void *rc_region(size_t pages, uint64_t first, uint64_t v);
bool rc_present(const void *p);
int rc_pressure_init(struct rc_pressure *pr, size_t mib);
bool rc_evict(const void *p, struct rc_pressure *pr);

/* The modes; each returns the exit status. */
int rc_threads(size_t mib);
int rc_fork(size_t mib);
int rc_remap(size_t mib);
int rc_madvise(size_t mib);
int rc_brk(size_t mib);
int rc_syscalls(size_t mib);
int rc_exec(size_t mib);
int rc_exec_child(int argc, char **argv);
int rc_signals(size_t mib);
int rc_sleep(size_t mib);
int rc_hot(size_t mib);

#endif /* ZBUD_RUN_CHECK_H */
