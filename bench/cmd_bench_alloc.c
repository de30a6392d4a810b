/*
 * cmd_bench_alloc.c - `zbud bench alloc`: zbud against the general allocators
 *
 * For each working set (live objects) and each allocator, in a child process
 * of its own so that resident memory is its alone: allocate the working set
 * with sizes drawn from a real heap's compressed sizes and write every byte
 * once, then time random free-then-alloc pairs (no copy: the allocator's own
 * cost), three times, keeping the fastest.  mimalloc and jemalloc replace
 * malloc in their child alone: it re-executes zbud with LD_PRELOAD, and checks
 * that the allocator really is the one in use before it measures.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "text.h"
#include "zbud.h"
#include "zpool.h"

#define DEFAULT_SIZES "python-heap.lz4-sizes.txt"
#define DEFAULT_PAIRS 2000000UL
/* At ~50 ns a pair, a minute a round and allocator: more is a typo. */
#define MAX_PAIRS 1000000000UL
/* The largest set's pool takes up to 4 KiB an object (4 GiB): more than a
 * test machine has to spare, past this. */
#define MAX_LIVE 1000000UL
#define ROUNDS 3
/* Runs of every allocator in turn, each a child: past this, a typo. */
#define MAX_RUNS 100

struct result {
	double ns_per_pair;             /* the fastest run's */
	double slowest;                 /* the slowest run's (with --runs) */
	uint64_t resident_pages;        /* after the working set is written */
	uint64_t pool_pages, ideal_pages, meta_bytes; /* zbud only */
	int ok;
};

struct allocator {
	const char *name;
	const char *preload;            /* LD_PRELOAD for its child, or NULL */
	const char *marker;             /* a symbol only that allocator defines */
};

/* The rows: zbud through its own zbud.h, then every other zpool driver, from
 * the driver table, through zpool.h, then the general allocators. */
#define ZBUD_DIRECT "zbud"
/* The same with an evict callback (never called here), as zswap's pool has:
 * it keeps the LRU, which a pool that cannot reclaim does without. */
#define ZBUD_LRU "zbud-lru"
#define MAX_ALLOCATORS 16

static const struct allocator general[] = {
	{ "glibc", NULL, NULL },
	{ "mimalloc", "libmimalloc.so.2", "mi_malloc" },
	{ "jemalloc", "libjemalloc.so.2", "mallctl" },
};

static struct allocator allocators[MAX_ALLOCATORS];
static size_t nallocators;

static void list_allocators(void)
{
	const char *type;

	nallocators = 0; /* the table is built afresh each time arguments are parsed */
	allocators[nallocators++] = (struct allocator){ ZBUD_DIRECT, NULL, NULL };
	allocators[nallocators++] = (struct allocator){ ZBUD_LRU, NULL, NULL };
	for (unsigned int i = 0; (type = zpool_driver_name(i)); i++)
		if (strcmp(type, ZBUD_DIRECT) && nallocators < MAX_ALLOCATORS - 3 &&
		    strcmp(type, ZBUD_LRU))
			allocators[nallocators++] = (struct allocator){ type, NULL, NULL };
	for (size_t i = 0; i < sizeof(general) / sizeof(general[0]); i++)
		allocators[nallocators++] = general[i];
}

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: cheap, and the same stream for every allocator */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* A number below n, without a division (Lemire's multiply-shift). */
static size_t rng_below(uint64_t *s, size_t n)
{
	return (size_t)(((rng_next(s) >> 32) * (uint64_t)n) >> 32);
}

/* CPU time of the measuring thread: while the machine's other work has the
 * CPU, the clock stops, so a busy machine slows no allocator's figure. */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t resident_pages(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (uint64_t)sysconf(_SC_PAGESIZE) / ZBUD_PAGE_SIZE;
}

/* What a row measures: zbud itself, a zpool driver, or malloc (neither). */
struct subject {
	struct zbud_pool *zbud;
	struct zpool *zpool;
};

/* Handles are unsigned long for zbud and zpool, pointers for malloc. */
static unsigned long do_alloc(const struct subject *t, size_t size)
{
	unsigned long h;

	if (t->zbud)
		return zbud_alloc(t->zbud, size, &h) ? 0 : h;
	if (t->zpool)
		return zpool_malloc(t->zpool, size, &h) ? 0 : h;
	return (unsigned long)malloc(size);
}

static void do_free(const struct subject *t, unsigned long h)
{
	if (t->zbud)
		zbud_free(t->zbud, h);
	else if (t->zpool)
		zpool_free(t->zpool, h);
	else
		free((void *)h);
}

/* Write every byte of an object once, so that its memory is resident. */
static void fill(const struct subject *t, unsigned long h, int byte, size_t size)
{
	if (t->zbud) {
		memset(zbud_map(t->zbud, h), byte, size);
	} else if (t->zpool) {
		memset(zpool_map_handle(t->zpool, h, ZPOOL_MM_WO), byte, size);
		zpool_unmap_handle(t->zpool, h);
	} else {
		memset((void *)h, byte, size);
	}
}

static int refuse(struct zbud_pool *pool, unsigned long handle)
{
	(void)pool, (void)handle;
	return -1;
}

static int open_subject(const struct allocator *a, struct subject *t)
{
	static const struct zbud_ops keep_lru = { .evict = refuse };

	if (!strcmp(a->name, ZBUD_DIRECT))
		t->zbud = zbud_create_pool(NULL);
	else if (!strcmp(a->name, ZBUD_LRU))
		t->zbud = zbud_create_pool(&keep_lru);
	else if (zpool_has_pool(a->name))
		t->zpool = zpool_create_pool(a->name, "bench", NULL);
	else
		return a->marker && !dlsym(RTLD_DEFAULT, a->marker) ? -1 : 0;
	return t->zbud || t->zpool ? 0 : -1;
}

/* Free what is left of a subject's @n objects (0 handles: none), then it. */
static void close_subject(struct subject *t, const unsigned long *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (h[i])
			do_free(t, h[i]);
	if (t->zbud)
		zbud_destroy_pool(t->zbud);
	if (t->zpool)
		zpool_destroy_pool(t->zpool);
}

static struct result measure(const struct allocator *a, const unsigned *sizes, size_t nsizes,
			     size_t live, unsigned long pairs)
{
	struct result r = { 0 };
	unsigned long *h = calloc(live, sizeof(*h));
	unsigned *sz = calloc(live, sizeof(*sz));
	uint64_t seed = 0x2545f4914f6cdd1dULL ^ live, rss0, bytes = 0;
	struct subject t = { 0 };

	if (!h || !sz || open_subject(a, &t))
		goto out;
	rss0 = resident_pages();
	for (size_t i = 0; i < live; i++) {
		sz[i] = sizes[rng_below(&seed, nsizes)];
		h[i] = do_alloc(&t, sz[i]);
		if (!h[i])
			goto out;
		fill(&t, h[i], (int)i, sz[i]);
	}
	r.resident_pages = resident_pages() - rss0;
	for (int round = 0; round <= ROUNDS; round++) {
		double t0 = now_ns(), ns;

		/* Round 0 warms up; the same pairs for every allocator. */
		for (unsigned long n = 0; n < pairs; n++) {
			size_t i = rng_below(&seed, live);

			do_free(&t, h[i]);
			sz[i] = sizes[rng_below(&seed, nsizes)];
			h[i] = do_alloc(&t, sz[i]);
			if (!h[i])
				goto out;
		}
		ns = (now_ns() - t0) / (double)pairs;
		if (round && (round == 1 || ns < r.ns_per_pair))
			r.ns_per_pair = ns;
	}
	if (t.zbud || t.zpool) {
		for (size_t i = 0; i < live; i++)
			bytes += sz[i];
		r.ideal_pages = (bytes + ZBUD_PAGE_SIZE - 1) / ZBUD_PAGE_SIZE;
	}
	if (t.zbud) {
		struct zbud_stats st;

		zbud_get_stats(t.zbud, &st);
		r.pool_pages = st.pages;
		r.meta_bytes = st.meta_bytes;
	} else if (t.zpool) {
		r.pool_pages = zpool_get_total_size(t.zpool) / ZBUD_PAGE_SIZE;
	}
	r.ok = 1;
out:
	close_subject(&t, h, h && sz ? live : 0);
	free(h);
	free(sz);
	return r;
}

/*
 * One measurement in a child process of its own, which writes its result
 * to a pipe; ok = 0 when it could not run.  A child that preloads another
 * malloc is this program again, in `--measure` mode.
 */
static struct result run_child(const struct allocator *a, const char *path,
			       const unsigned *sizes, size_t nsizes, size_t live,
			       unsigned long pairs)
{
	struct result r = { 0 };
	int fd[2], status;
	pid_t pid;

	if (pipe(fd))
		return r;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		if (a->preload) {
			char l[32], p[32];

			snprintf(l, sizeof(l), "%zu", live);
			snprintf(p, sizeof(p), "%lu", pairs);
			setenv("LD_PRELOAD", a->preload, 1);
			if (dup2(fd[1], STDOUT_FILENO) < 0)
				_exit(1);
			execl("/proc/self/exe", "zbud", "bench", "alloc", "--measure", a->name,
			      "--sizes", path, "--live", l, "--pairs", p, (char *)NULL);
			_exit(1);
		}
		r = measure(a, sizes, nsizes, live, pairs);
		_exit(write(fd[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(fd[1]);
	if (pid < 0 || read(fd[0], &r, sizeof(r)) != sizeof(r))
		memset(&r, 0, sizeof(r));
	close(fd[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return r;
}

static const struct allocator *find_allocator(const char *name)
{
	for (size_t k = 0; k < nallocators; k++)
		if (!strcmp(allocators[k].name, name))
			return &allocators[k];
	return NULL;
}

static void print_row(const struct allocator *a, size_t live, const struct result *r,
		      unsigned int runs)
{
	if (!r->ok) {
		printf("%9zu  %-15s %9s\n", live, a->name, "(not available)");
		return;
	}
	printf("%9zu  %-15s %9.1f %10llu", live, a->name, r->ns_per_pair,
	       (unsigned long long)r->resident_pages);
	if (r->pool_pages)
		printf(" %11llu %7llu %7.3f", (unsigned long long)r->pool_pages,
		       (unsigned long long)r->ideal_pages,
		       (double)r->pool_pages / (double)r->ideal_pages);
	if (r->meta_bytes) /* zbud's own statistics say */
		printf(" %7.3f",
		       100.0 * (double)r->meta_bytes / (double)(r->pool_pages * ZBUD_PAGE_SIZE));
	if (runs > 1)
		printf("  (%u runs: %.1f-%.1f ns)", runs, r->ns_per_pair, r->slowest);
	putchar('\n');
}

/* The goals, as issue 13 states them: pair time against zbud's. */
static const struct {
	const char *name;
	double most;                    /* x zbud's ns per pair */
} pair_goals[] = {
	{ "zsmalloc", 1.5 },
	{ "zblock", 1.2 },
};

static const struct result *result_of(const char *name, const struct result *r)
{
	for (size_t k = 0; k < nallocators; k++)
		if (!strcmp(allocators[k].name, name))
			return r[k].ok ? &r[k] : NULL;
	return NULL;
}

/* Under each working set's rows, its goals, met or not: zbud faster than
 * every general allocator that ran, and the pools within their ratios. */
static void print_goals(size_t live, const struct result *r)
{
	const struct result *zbud = result_of(ZBUD_DIRECT, r);
	bool faster = true;

	if (!zbud)
		return;
	printf("%9zu  goals: zbud %.1f ns against", live, zbud->ns_per_pair);
	for (size_t i = 0; i < sizeof(general) / sizeof(general[0]); i++) {
		const struct result *g = result_of(general[i].name, r);

		if (g) {
			printf(" %s %.1f", general[i].name, g->ns_per_pair);
			faster = faster && zbud->ns_per_pair < g->ns_per_pair;
		}
	}
	printf(": faster than each: %s\n%9s ", faster ? "met" : "MISSED", "");
	for (size_t i = 0; i < sizeof(pair_goals) / sizeof(pair_goals[0]); i++) {
		const struct result *p = result_of(pair_goals[i].name, r);
		double x = p ? p->ns_per_pair / zbud->ns_per_pair : 0;

		if (p)
			printf(" %s %.2fx zbud's (<= %.1fx): %s%s", pair_goals[i].name, x,
			       pair_goals[i].most, x <= pair_goals[i].most ? "met" : "MISSED",
			       i + 1 < sizeof(pair_goals) / sizeof(pair_goals[0]) ? ";" : "");
	}
	putchar('\n');
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: zbud bench alloc [--sizes FILE] [--live N[,N...]] [--pairs N]\n"
		"                        [--runs N]\n"
		"\n"
		"Times random free-then-alloc pairs at each working set of live objects,\n"
		"with sizes drawn from FILE (one a line; - for stdin; default: the shipped\n"
		"LZ4 sizes of a real Python heap), each allocator in a process of its own:\n ");
	for (size_t k = 0, col = 1; k < nallocators; k++) {
		char item[64];

		snprintf(item, sizeof(item), " %s%s%s", allocators[k].name,
			 !strcmp(allocators[k].name, ZBUD_DIRECT) ? " (zbud.h)"
			 : !strcmp(allocators[k].name, ZBUD_LRU) ? " (zbud.h, keeping the LRU)"
			 : zpool_has_pool(allocators[k].name) ? " (zpool)"
			 : allocators[k].preload ? " (where installed)" : "",
			 k + 1 < nallocators ? "," : ".");
		if (col + strlen(item) > 78) {
			fputs("\n ", f);
			col = 1;
		}
		col += strlen(item);
		fputs(item, f);
	}
	fprintf(f, "\n"
		"Prints ns of CPU time per pair (the measuring thread's: other work on the\n"
		"machine does not count), resident pages once the working set is written,\n"
		"each pool's pages against the ideal ceil(bytes / 4096), and the goals.\n"
		"--runs N runs every allocator's process N times, taking turns, so that a\n"
		"busy machine slows each alike; rows give the fastest and the range.\n"
		"Defaults: --live 1000,20000,200000 --pairs %lu --runs 1.  --live takes up\n"
		"to %d sets, each 1 to %lu objects; --pairs is 1 to %lu; --runs 1 to %d.\n"
		"\n"
		"Examples:\n"
		"  zbud bench alloc --live 20000\n"
		"  zbud bench alloc --sizes sizes.txt --live 1000,100000 --pairs 500000\n",
		DEFAULT_PAIRS,
		BENCH_ALLOC_MAX_LIVE_SETS, MAX_LIVE, MAX_PAIRS, MAX_RUNS);
}

/* A plain decimal in [@min, @max] for @opt; 0, or -1 with one line said. */
static int number(const char *opt, const char *arg, size_t arglen, uint64_t min, uint64_t max,
		  uint64_t *v)
{
	const struct text_field f = { arg, arglen };
	char why[160];

	if (text_number(&f, opt, min, max, v, why, sizeof(why))) {
		fprintf(stderr, "zbud bench alloc: %s\n", why);
		return -1;
	}
	return 0;
}

static int parse_live(const char *arg, struct bench_alloc_args *a)
{
	a->nlive = 0;
	for (const char *p = arg;; p++) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		uint64_t v;

		if (a->nlive == BENCH_ALLOC_MAX_LIVE_SETS) {
			fprintf(stderr, "zbud bench alloc: --live: at most %d working sets\n",
				BENCH_ALLOC_MAX_LIVE_SETS);
			return -1;
		}
		if (number("--live", p, len, 1, MAX_LIVE, &v))
			return -1;
		a->live[a->nlive++] = (size_t)v;
		if (!comma)
			return 0;
		p = comma;
	}
}

int bench_alloc_parse_args(int argc, char **argv, struct bench_alloc_args *a)
{
	char q[CLI_QUOTE_SIZE];
	uint64_t v;

	list_allocators();
	*a = (struct bench_alloc_args){
		.live = { 1000, 20000, 200000 }, .nlive = 3, .pairs = DEFAULT_PAIRS, .runs = 1,
		.path = data_path(DEFAULT_SIZES),
	};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--measure") && i + 1 < argc) {
			a->only = find_allocator(argv[++i]); /* a child: see run_child() */
			if (!a->only) {
				fprintf(stderr, "zbud bench alloc: --measure: unknown allocator '%s'\n",
					cli_quote(argv[i], q));
				return 2;
			}
		} else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
			a->path = argv[++i];
		} else if (!strcmp(argv[i], "--live") && i + 1 < argc) {
			if (parse_live(argv[++i], a))
				return 2;
		} else if (!strcmp(argv[i], "--pairs") && i + 1 < argc) {
			if (number("--pairs", argv[i + 1], strlen(argv[i + 1]), 1, MAX_PAIRS, &v))
				return 2;
			a->pairs = (unsigned long)v;
			i++;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			if (number("--runs", argv[i + 1], strlen(argv[i + 1]), 1, MAX_RUNS, &v))
				return 2;
			a->runs = (unsigned int)v;
			i++;
		} else {
			fprintf(stderr, "zbud bench alloc: unknown or incomplete option '%s' "
				"(try --help)\n", cli_quote(argv[i], q));
			return 2;
		}
	}
	return -1;
}

/* Working set @l's results, every allocator's child run a.runs times in
 * turn: the fastest run's figures, and the slowest time.  One run prints
 * each row as it ends; more print after the last. */
static void measure_runs(const struct bench_alloc_args *a, int l, const unsigned *sizes,
			 size_t nsizes, struct result *r)
{
	for (unsigned int run = 0; run < a->runs; run++) {
		for (size_t k = 0; k < nallocators; k++) {
			struct result x = run_child(&allocators[k], a->path, sizes, nsizes,
						    a->live[l], a->pairs);

			x.slowest = x.ns_per_pair;
			if (!run || (x.ok && !r[k].ok)) {
				r[k] = x;
			} else if (x.ok) {
				if (x.ns_per_pair > r[k].slowest)
					r[k].slowest = x.ns_per_pair;
				if (x.ns_per_pair < r[k].ns_per_pair) {
					x.slowest = r[k].slowest;
					r[k] = x;
				}
			}
			if (a->runs == 1)
				print_row(&allocators[k], a->live[l], &r[k], 1);
		}
	}
}

/*
 * Sizes read from standard input, which each allocator's process cannot
 * read again: written to a memory file the children inherit, and named as
 * /dev/fd/N.  0, or -1 with the reason printed.
 */
static int sizes_to_memfd(const unsigned *sizes, size_t n, char *path, size_t len)
{
	int fd = memfd_create("zbud-sizes", 0);
	FILE *f = fd >= 0 ? fdopen(dup(fd), "w") : NULL;
	bool ok = f != NULL;

	for (size_t i = 0; ok && i < n; i++)
		ok = fprintf(f, "%u\n", sizes[i]) > 0;
	if (f && fclose(f))
		ok = false;
	if (!ok) {
		fprintf(stderr, "zbud bench alloc: cannot keep the sizes from stdin: %s\n",
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(path, len, "/dev/fd/%d", fd);
	return 0;
}

int bench_alloc(int argc, char **argv)
{
	char stdin_copy[32];
	struct bench_alloc_args a;
	int st = bench_alloc_parse_args(argc, argv, &a);
	const char *path = a.path;
	unsigned *sizes;
	size_t nsizes;

	if (st >= 0)
		return st;
	sizes = sizes_load(path, &nsizes);
	if (!sizes)
		return 1;
	for (size_t i = 0; i < nsizes; i++) {
		if (sizes[i] > ZBUD_MAX_SIZE) {
			fprintf(stderr, "zbud bench alloc: %s: size %u is over zbud's %u\n", path,
				sizes[i], (unsigned)ZBUD_MAX_SIZE);
			free(sizes);
			return 2;
		}
	}
	if (!strcmp(path, "-") && !a.only) {
		if (sizes_to_memfd(sizes, nsizes, stdin_copy, sizeof(stdin_copy))) {
			free(sizes);
			return 1;
		}
		a.path = stdin_copy;
	}
	if (a.only) {
		struct result r = measure(a.only, sizes, nsizes, a.live[0], a.pairs);

		free(sizes);
		return write(STDOUT_FILENO, &r, sizeof(r)) == sizeof(r) ? 0 : 1;
	}
	printf("zbud bench alloc: random free+alloc pairs, CPU time, best of %d rounds of %lu%s;\n"
	       "sizes from %s (%zu)\n", ROUNDS, a.pairs, a.runs > 1 ? " in each run" : "",
	       cli_input_name(path), nsizes);
	printf("%9s  %-15s %9s %10s %11s %7s %7s %7s\n", "live", "allocator", "ns/pair",
	       "resident", "pool pages", "ideal", "x ideal", "meta %");
	for (int l = 0; l < a.nlive; l++) {
		struct result r[MAX_ALLOCATORS];

		measure_runs(&a, l, sizes, nsizes, r);
		for (size_t k = 0; a.runs > 1 && k < nallocators; k++)
			print_row(&allocators[k], a.live[l], &r[k], a.runs);
		print_goals(a.live[l], r);
	}
	free(sizes);
	return 0;
}
