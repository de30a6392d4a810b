/*
 * bench_run_workload.c - the program `zbud bench run` runs alone and under
 * `zbud run`
 *
 *   zbud bench run --workload MIB HOT_PERMILLE SHARE_PERMILLE ACCESSES SEED
 *
 * MIB of text-like pages (about 2:1 under LZ4); HOT_PERMILLE of them (every
 * n-th page, spread over the whole) get SHARE_PERMILLE of the ACCESSES, the
 * rest the others, uniformly.  An access reads a few words of a page and
 * writes one.  Each access is timed: those over a microsecond are faults,
 * whose median and 99th percentile are what the program saw.  One line
 * out: elapsed times, peak RSS (VmHWM), the slow accesses.
 *
 * The slow accesses go to a histogram of fixed size, touched whole before
 * the run: a list of them grew with the faults, so the program held ~3 MiB
 * more under `zbud run` than alone, counted against zbud.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "bench_run.h"

#define PAGE 4096
#define SLOW_NS 1000            /* an access this slow was a fault */
#define SUB_BITS 6              /* 64 buckets an octave: within 1.6% */
#define SUB (1u << SUB_BITS)

/* Log-linear buckets of nanoseconds, as HdrHistogram's: exact below SUB. */
static uint64_t hist[64 * SUB];

static unsigned bucket_of(uint64_t d)
{
	unsigned o = 63u - (unsigned)__builtin_clzll(d | 1);

	if (o < SUB_BITS)
		return (unsigned)d;
	return ((o - SUB_BITS + 1) << SUB_BITS) | (unsigned)((d >> (o - SUB_BITS)) & (SUB - 1));
}

/* The middle of bucket @b, in microseconds. */
static double bucket_us(unsigned b)
{
	unsigned o = (b >> SUB_BITS) + SUB_BITS - 1;
	uint64_t width;

	if (b < SUB)
		return b / 1e3;
	width = 1ull << (o - SUB_BITS);
	return (double)(((SUB | (b & (SUB - 1))) * width) + width / 2) / 1e3;
}

/* The value of rank @k (from 0) of the @n in hist[], as bench_quantiles(). */
static double hist_rank(uint64_t n, uint64_t k)
{
	uint64_t seen = 0;

	for (unsigned b = 0; b < 64 * SUB; b++)
		if ((seen += hist[b]) > k)
			return bucket_us(b);
	return n ? bucket_us(64 * SUB - 1) : 0;
}

static const char *const words[] = {
	"the", "of", "and", "a", "to", "in", "is", "page", "memory", "kernel", "pool", "store",
	"fault", "thread", "process", "swap", "limit", "user", "compressed", "zswap", "zbud",
	"allocator", "handle", "buddy", "chunk", "free", "list", "map", "unmap", "evict", "load",
	"write", "back", "file", "size", "ratio", "same", "filled", "reject", "entry", "key",
	"shard", "lock", "index", "value", "object", "class", "zsmalloc", "z3fold", "lz4",
	"zstd", "decompress", "userfaultfd", "signal", "handler", "syscall", "dispatch", "table",
	"record", "resident", "scratch", "cluster", "move", "copy",
};

static uint64_t rng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

void bench_text_page(char *page, uint64_t i)
{
	uint64_t x = 0x9e3779b97f4a7c15ull * (i + 1);
	size_t n = 0;

	while (n < PAGE) {
		uint64_t r = rng(&x);
		char w[32];
		int len;

		if (r % 24 == 0)
			len = snprintf(w, sizeof(w), "%llu ", (unsigned long long)(r >> 20) % 1000000);
		else
			len = snprintf(w, sizeof(w), "%s ", words[(r >> 8) % (sizeof(words) / sizeof(words[0]))]);
		memcpy(page + n, w, n + (size_t)len > PAGE ? PAGE - n : (size_t)len);
		n += (size_t)len;
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void bench_quantiles(double *v, size_t n, double *median, double *p99)
{
	if (!n) {
		*median = *p99 = 0;
		return;
	}
	qsort(v, n, sizeof(*v), cmp);
	*median = v[n / 2];
	*p99 = v[n * 99 / 100 < n ? n * 99 / 100 : n - 1];
}

static uint64_t ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static unsigned long hwm_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

int bench_run_workload(int argc, char **argv)
{
	size_t pages, hot, accesses, nslow = 0;
	unsigned share;
	uint64_t seed, sum = 0, t0, t1, t2;
	char *m;

	if (argc != 7)
		return fprintf(stderr, "zbud bench run --workload: MIB HOT SHARE ACCESSES SEED\n"), 2;
	pages = strtoull(argv[2], NULL, 10) * 256;
	hot = pages * strtoull(argv[3], NULL, 10) / 1000;
	share = (unsigned)strtoul(argv[4], NULL, 10);
	accesses = strtoull(argv[5], NULL, 10);
	seed = strtoull(argv[6], NULL, 10) | 1;
	m = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(hist, 0, sizeof(hist)); /* resident in both runs, from here */
	if (m == MAP_FAILED || !hot || hot > pages) {
		if (m != MAP_FAILED)
			munmap(m, pages * PAGE);
		return fprintf(stderr, "zbud bench run --workload: no memory\n"), 1;
	}
	t0 = ns();
	for (size_t i = 0; i < pages; i++)
		bench_text_page(m + i * PAGE, i);
	t1 = ns();
	for (size_t k = 0; k < accesses; k++) {
		uint64_t r = rng(&seed), p, a0, d;
		uint64_t *w;

		/* hot pages are every (pages / hot)-th one */
		p = r % 1000 < share ? (rng(&seed) % hot) * (pages / hot) : rng(&seed) % pages;
		w = (uint64_t *)(m + p * PAGE);
		a0 = ns();
		sum += w[(r >> 16) % 512] + w[(r >> 32) % 512];
		w[0]++;
		d = ns() - a0;
		if (d >= SLOW_NS) {
			hist[bucket_of(d)]++;
			nslow++;
		}
	}
	t2 = ns();
	printf("workload fill_us=%.0f access_us=%.0f hwm_kb=%lu slow=%zu slow_median_us=%.2f "
	       "slow_p99_us=%.2f sum=%llu\n", (double)(t1 - t0) / 1e3, (double)(t2 - t1) / 1e3,
	       hwm_kb(), nslow, hist_rank(nslow, nslow / 2), hist_rank(nslow, nslow * 99 / 100),
	       (unsigned long long)(sum & 0xffff));
	return 0;
}
