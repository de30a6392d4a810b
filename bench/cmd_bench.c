/*
 * cmd_bench.c - `zbud bench`: dispatch to one benchmark per file
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
} benches[] = {
	{ "alloc", bench_alloc, "free+alloc pairs: zbud against glibc, mimalloc, jemalloc" },
	{ "store", bench_store, "the store: each compressor x allocator on real pages" },
	{ "zram", bench_zram, "our pools against the running kernel's zram on the same pages" },
	{ "estimate", bench_estimate, "zbud estimate's cost: a workload alone and followed" },
	{ "run", bench_run, "zbud run: slowdown, fault-in beside its floors, memory" },
};

#define NBENCHES (sizeof(benches) / sizeof(benches[0]))

static void usage(FILE *f)
{
	int w = 0;

	/* The names' column as wide as the longest name. */
	for (size_t i = 0; i < NBENCHES; i++)
		w = (int)strlen(benches[i].name) > w ? (int)strlen(benches[i].name) : w;
	fprintf(f, "usage: zbud bench NAME [OPTIONS]   (`zbud bench NAME --help`)\n\n");
	for (size_t i = 0; i < NBENCHES; i++)
		fprintf(f, "  %-*s  %s\n", w, benches[i].name, benches[i].what);
	fprintf(f, "\nExamples:\n  zbud bench alloc --live 20000\n"
		"  zbud bench store --mib 8 --no-heap --compressor lz4,zstd\n"
		"  sudo zbud bench zram\n");
}

int cmd_bench(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; argc >= 2 && i < NBENCHES; i++)
		if (!strcmp(argv[1], benches[i].name))
			return benches[i].run(argc - 1, argv + 1);
	fprintf(stderr, "zbud bench: %s%s%s (alloc, store, zram, estimate or run; try --help)\n",
		argc >= 2 ? "unknown benchmark '" : "which benchmark?", argc >= 2 ? argv[1] : "",
		argc >= 2 ? "'" : "");
	return 2;
}
