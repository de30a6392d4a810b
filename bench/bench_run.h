/*
 * bench_run.h - `zbud bench run`: the workload, its floors, the report
 */
#ifndef ZBUD_BENCH_RUN_H
#define ZBUD_BENCH_RUN_H

#include <stddef.h>
#include <stdint.h>

struct bench_floor {
	double median_us, p99_us;
};

struct bench_floors {
	struct bench_floor sigbus;              /* the faulting thread serves itself */
	struct bench_floor thread_other;        /* a handler thread on the other CPU */
	struct bench_floor thread_same;         /* ... on the faulting thread's CPU */
	struct bench_floor decompress;          /* LZ4, a workload page */
	struct bench_floor syscall, syscall_trapped;    /* getppid, plain and trapped */
	struct bench_floor move1, move16;       /* UFFDIO_MOVE out, per page, 1 or 16 at once */
	struct bench_floor copy;                /* UFFDIO_COPY of 4 KiB into a missing page, alone */
	double lz4_ratio;
};

/* The workload's pages: text-like, about 2:1 under LZ4; page @i of a set. */
void bench_text_page(char *page, uint64_t i);

/* Median and 99th percentile of @n values (sorted in place). */
void bench_quantiles(double *v, size_t n, double *median, double *p99);

/* Measure the floors over @faults faults, decompressing @npages of @pages. */
int bench_floors(size_t faults, const char *pages, size_t npages, struct bench_floors *fl);

/* The workload itself (`zbud bench run --workload ...`); prints one line. */
int bench_run_workload(int argc, char **argv);

#endif /* ZBUD_BENCH_RUN_H */
