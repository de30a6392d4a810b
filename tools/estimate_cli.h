/*
 * estimate_cli.h - what the files of `zbud estimate` share
 *
 *   cmd_estimate.c        options, and the run
 *   estimate_report.c     the table and the JSON
 *   estimate_plot.c       the PNG (with PLplot)
 */
#ifndef ZBUD_ESTIMATE_CLI_H
#define ZBUD_ESTIMATE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "estimate.h"

/* estimate_report.c: what `zbud estimate` prints. */
struct est_report {
	const struct est_config *cfg;
	const struct est_result *res;
	const struct target_counts *counts;
	const char *kind;               /* "process", "command", "built-in", "core", "raw" */
	const char *name;               /* the command, or file; NULL */
	long pid;                       /* 0 for files */
	const char *at;                 /* when it was read: "SIGSTOP", "exit", ... */
	bool all;                       /* every mapping, not only anonymous private */
	const char *mapping;
};

int estimate_print_table(FILE *f, const struct est_report *rep);
int estimate_print_json(FILE *f, const struct est_report *rep);
/* estimate_save_sizes - the sizes, one a line: 0, or the errno of a failed
 * write negated */
int estimate_save_sizes(FILE *f, const struct est_result *res);

/* estimate_plot.c (with PLplot): the histogram and the ratios as a PNG,
 * in *@bytes (malloc()ed) of *@size; 0, or -1 with @why */
int estimate_plot(const struct est_report *rep, char **bytes, size_t *size, char *why,
		  size_t len);

#endif /* ZBUD_ESTIMATE_CLI_H */
