/*
 * run_proto.h - what `zbud run` and the pager it injects into a program say
 * to each other
 *
 * zbud starts the program with the pager (libzbud_run.so) in LD_PRELOAD and
 * its settings in the environment (ZBUD_RUN_*), so that every process the
 * program starts, by fork or exec, is managed too, each with its own store
 * and its own limit.  They report through one shared page table of slots,
 * a memfd that zbud creates and every process inherits: a process takes a
 * free slot when its pager starts and writes its figures there; zbud reads
 * them while the program runs (--stats-every) and at the end.
 *
 * Nothing here is a file: when zbud or the program dies, the memory goes
 * with the last process that holds it.
 */
#ifndef ZBUD_RUN_PROTO_H
#define ZBUD_RUN_PROTO_H

#include <stdatomic.h>
#include <stdint.h>

#include <zswap.h>

/* The environment the pager reads (zbud sets them; values are plain text). */
#define RUN_ENV_LIMIT       "ZBUD_RUN_LIMIT"        /* bytes of resident memory */
#define RUN_ENV_POOL_LIMIT  "ZBUD_RUN_POOL_LIMIT"   /* bytes; absent: no limit */
#define RUN_ENV_COMPRESSOR  "ZBUD_RUN_COMPRESSOR"
#define RUN_ENV_ZPOOL       "ZBUD_RUN_ZPOOL"
#define RUN_ENV_WRITEBACK   "ZBUD_RUN_WRITEBACK"    /* a path prefix: PREFIX.PID */
#define RUN_ENV_STATS       "ZBUD_RUN_STATS"        /* "FD:PID" of zbud's memfd */
#define RUN_ENV_FLAGS       "ZBUD_RUN_FLAGS"        /* RUN_FLAG_* in decimal */
/* tests: every UFFDIO_MOVE that succeeds reports failure or a short count,
 * as Linux 6.18's sometimes does (shim_uffd.c); set in zbud's environment */
#define RUN_ENV_TEST_LYING_MOVES "ZBUD_RUN_TEST_LYING_MOVES"

/* RUN_ENV_FLAGS */
#define RUN_FLAG_NO_SUD     0x1u    /* tests: no syscall interception */
#define RUN_FLAG_DEV_UFFD   0x2u    /* take the userfaultfd from /dev/userfaultfd */
#define RUN_FLAG_VERBOSE    0x4u    /* say on stderr what is managed */

#define RUN_STATS_MAGIC     0x316e75726475627aull   /* "zbudrun1" */
/* Processes a run keeps figures for, over its whole life: a shell script,
 * make or pyenv's python3 shim starts many (a run of the shim took 79 slots). */
#define RUN_MAX_PROCS       1024
/*
 * Fault-in latency histogram: bucket b counts faults that took
 * [2^(b/8), 2^((b+1)/8)) nanoseconds, eight buckets a doubling: 9% wide,
 * fine enough for a median and a 99th percentile.
 */
#define RUN_HIST_BUCKETS    256

enum run_proc_state {
	RUN_PROC_FREE,          /* slot unused */
	RUN_PROC_RUNNING,       /* managed, running */
	RUN_PROC_EXITED,        /* managed, gone: the figures are final */
	RUN_PROC_UNMANAGED,     /* runs without the pager: note says why */
	RUN_PROC_FAILED,        /* stopped by the pager: note says why */
};

struct run_proc_stats {
	atomic_int pid;                 /* 0: free; the owner writes all below */
	atomic_int state;               /* enum run_proc_state */
	atomic_uint_least64_t seq;      /* odd while the owner writes */
	char note[160];                 /* unmanaged or failed: why */
	uint64_t limit_bytes;
	uint64_t managed_bytes;         /* registered with the userfaultfd */
	uint64_t resident_pages;        /* managed pages in memory now */
	uint64_t resident_peak;         /* ... at most */
	uint64_t rss_anon_peak;         /* the process's anonymous RSS, at most */
	uint64_t own_bytes;             /* the pager's own memory, store included */
	uint64_t faults;                /* fault-ins served from the store */
	uint64_t zero_fills;            /* first touches and dropped pages */
	uint64_t evictions;             /* pages given to the store */
	uint64_t kept_resident;         /* refused by the store: kept, counted */
	uint64_t syscalls;              /* system calls checked for pointers */
	uint64_t prefaults;             /* pages faulted in for a system call */
	uint64_t events;                /* remove, unmap, remap events */
	uint64_t fault_ns;              /* time spent serving faults */
	uint64_t pager_ns;              /* time the pager thread worked */
	uint64_t throttle_ns;           /* time threads waited for the pager, over the limit */
	uint64_t moves_recounted;       /* UFFDIO_MOVEs whose count the page tables corrected */
	uint64_t hist[RUN_HIST_BUCKETS];
	struct zswap_stats store;
};

struct run_stats_page {
	uint64_t magic;
	uint32_t nprocs;                /* RUN_MAX_PROCS */
	uint32_t version;
	struct run_proc_stats procs[RUN_MAX_PROCS];
};

#endif /* ZBUD_RUN_PROTO_H */
