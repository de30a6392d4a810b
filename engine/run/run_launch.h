/*
 * run_launch.h - `zbud run`'s engine: start a program with the pager in it,
 * wait for it, read what each of its processes reports
 *
 * The pager itself is libzbud_run.so (shim_*.c), which the dynamic linker
 * loads into the program from LD_PRELOAD; docs/run.md tells how it works.
 * Nothing here prints or exits; errors come back as -errno with one line in
 * a `why` buffer.
 */
#ifndef ZBUD_RUN_LAUNCH_H
#define ZBUD_RUN_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "run_proto.h"

#define RUN_LIB_NAME "libzbud_run.so"

struct run_config {
	uint64_t limit_bytes;           /* resident anonymous memory, each process */
	uint64_t pool_limit_bytes;      /* 0: none */
	const char *compressor;         /* NULL: lz4 */
	const char *zpool;              /* NULL: zsmalloc */
	const char *writeback;          /* a path prefix (each process: PREFIX.PID), or NULL */
	unsigned flags;                 /* RUN_FLAG_* */
	const char *lib;                /* the pager library; run_find_lib() */
};

struct run_child {
	pid_t pid;
	int pidfd;
	int memfd;                      /* the stats page's memfd, inherited */
	struct run_stats_page *page;    /* NULL: no figures (RLIMIT_FSIZE too small) */
};

/* What the pager cannot be loaded into, found before the program runs. */
enum run_kind {
	RUN_DYNAMIC,            /* loads LD_PRELOAD: managed */
	RUN_STATIC,             /* no dynamic linker: unmanaged */
	RUN_SETID,              /* set-user/group-ID: the dynamic linker ignores LD_PRELOAD */
	RUN_UNKNOWN,            /* not found or not readable: exec will tell */
};

/*
 * run_find_lib - where libzbud_run.so is: $ZBUD_RUN_LIB, else beside the
 * running zbud (a build tree), else @installed.  0 or -ENOENT with @why.
 */
int run_find_lib(char *path, size_t len, const char *installed, char *why, size_t wlen);

/* run_classify - whether @cmd (looked up in PATH, through a #! line) can be managed */
enum run_kind run_classify(const char *cmd);

/*
 * run_start - start argv[0] (looked up in PATH) with the pager, or without
 * it when @managed is false
 *
 * The child gets the signal dispositions zbud was started with and zbud's
 * settings in its environment.  Returns 0, or -errno with @why: the exec's own
 * failure (-ENOENT: no such program) as well as the setup's.
 */
int run_start(struct run_child *c, const struct run_config *cfg, char *const argv[], bool managed,
	      char *why, size_t len);

/*
 * run_wait - wait up to @timeout_ms (-1: no limit) for the program to end
 *
 * Returns 1 with its wait status in *status, 0 on time out or when a
 * signal interrupted the wait, -errno on error.
 */
int run_wait(struct run_child *c, int timeout_ms, int *status);

/* run_end - free what run_start() made (the program must have ended) */
void run_end(struct run_child *c);

/* run_read - process @i's slot, copied whole; false when the slot is unused */
bool run_read(const struct run_child *c, unsigned i, struct run_proc_stats *out);

/* Every used slot summed (hist and store counters too); how many were used. */
unsigned run_total(const struct run_child *c, struct run_proc_stats *sum);

/* run_quantile - the fault-in latency (ns) at quantile @q of a histogram; 0 if empty */
uint64_t run_quantile(const uint64_t hist[RUN_HIST_BUCKETS], double q);

/*
 * run_parse_size - "4096", "64K", "64M", "1G", "1.5G" (powers of 1024) in
 * [@min, @max] bytes; 0 or -EINVAL with a line naming @what in @why
 */
int run_parse_size(const char *s, const char *what, uint64_t min, uint64_t max, uint64_t *out,
		   char *why, size_t len);

#endif /* ZBUD_RUN_LAUNCH_H */
