/*
 * cli.h - the `zbud` subcommands; the only code that prints or exits
 */
#ifndef ZBUD_CLI_H
#define ZBUD_CLI_H

#include <stddef.h>
#include <stdio.h>

/* Each returns the process's exit status: 0, 1 (failure), 2 (bad input). */
int cmd_replay(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_estimate(int argc, char **argv);

/* The benchmarks behind `zbud bench`, one file each. */
int bench_alloc(int argc, char **argv);
int bench_store(int argc, char **argv);

/* Allocation sizes, one a line (the format of data/python-heap.lz4-sizes.txt).
 * On error prints "zbud: FILE:LINE: ..." and returns NULL. */
unsigned *sizes_load(const char *path, size_t *count);
/* The same from an open file; @path names it in messages. */
unsigned *sizes_read(FILE *f, const char *path, size_t *count);

/* Where the data shipped with zbud is: the installed copy, else the source
 * tree's. */
const char *data_path(const char *name);

struct zpool_page_info;

/* inspect_plot.c (built with PLplot): draw @n pages into @png, which it
 * closes; 0, or -1 with one line in @err. */
int inspect_plot(FILE *png, const char *title, const struct zpool_page_info *pages, size_t n,
		 char *err, size_t errlen);

#endif /* ZBUD_CLI_H */
