/*
 * estimate_cli.h - what the files of `zbud estimate` share
 *
 *   cmd_estimate.c        the files written, Ctrl-C, and the command's flow
 *   estimate_run.c        the work: the target, once or over time
 *   estimate_options.c    the options, and the usage
 *   estimate_report.c     the table
 *   estimate_json.c       the JSON (schema in docs/estimate.md)
 *   estimate_csv.c        the series for spreadsheets
 *   estimate_plot.c       the PNG (with PLplot)
 *   estimate_kernel.c     the running kernel's zswap and zram beside the table
 *
 * A report format is a row of est_formats[]: the option that picks it and
 * its printer, which gets the whole report.  A new format is a printer and
 * a row.
 */
#ifndef ZBUD_ESTIMATE_CLI_H
#define ZBUD_ESTIMATE_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "estimate.h"
#include "child.h"
#include "follow.h"
#include "procset.h"

#define EST_MAX_PIDS 64
#define EST_MAX_CGROUPS 16

struct est_kernel;                     /* estimate_kernel.h */
struct est_format;

struct est_args {
	struct est_config cfg;
	struct procmem_select sel;
	const char *core, *raw, *plot, *save_sizes, *csv, *out;
	pid_t pid[EST_MAX_PIDS];
	size_t npids;
	const char *cgroup[EST_MAX_CGROUPS];
	size_t ncgroups;
	char **cmd;                     /* after --, NULL-terminated */
	double delay, every, duration;  /* seconds; 0: none */
	bool once, follow, vs_kernel, sample_given;
	const struct est_format *format;
};

/* estimate_options.c: -1 to go on, else the exit status (--help: 0). */
int est_parse(int argc, char **argv, struct est_args *a);

struct est_report {
	const struct est_args *args;
	const struct est_config *cfg;
	const struct est_result *res;   /* the figures reported; NULL when none */
	const char *kind;               /* "built-in", "command", "process", "processes",
					   "cgroup", "core", "raw" */
	const char *name;               /* the command, the process, the cgroup, the file */
	long pid;                       /* the command's, or the one process's; 0 */
	const char *at;                 /* when the figures were read: "SIGSTOP", "exit",
					   "delay", "running", "stopped", "peak"; NULL */
	const struct est_follow *follow;        /* over time; NULL: once */
	const struct est_kernel *kernel;        /* NULL when not looked at */
	bool frames;                    /* pages of one frame counted once */
	const char *ended;              /* how the command ended: "exited with status 0" */
};

struct est_format {
	const char *option;             /* NULL: the default */
	int (*print)(FILE *f, const struct est_report *rep);    /* 0, or -ENOMEM */
};

extern const struct est_format est_formats[];

/* What a run holds until its report is written. */
struct est_work {
	struct target *t;
	struct procset *set;
	struct child child;
	bool started;                   /* the command (or the built-in) */
	struct est_result res;          /* once */
	struct est_follow follow;       /* over time */
	char name[64];                  /* the process's */
	char ended[96];                 /* how the command ended */
	struct est_kernel *kernel;      /* the kernel beside */
};

/*
 * estimate_run.c: the work, into @rep: 0, or the exit status after one
 * line.  @tick (NULL: none) is told of each point over time.
 */
int est_work_run(struct est_args *a, struct est_work *w, struct est_report *rep,
		 volatile sig_atomic_t *stop, void (*tick)(void *arg, const struct follow_point *p));

/* est_work_end - a command let go (killed when @failed), and all freed */
void est_work_end(struct est_work *w, bool failed);

/* estimate_report.c */
int estimate_print_table(FILE *f, const struct est_report *rep);
/* estimate_json.c */
int estimate_print_json(FILE *f, const struct est_report *rep);
/* estimate_csv.c: the series, a row a point */
int estimate_print_csv(FILE *f, const struct est_report *rep);
/* the sizes, one a line: 0, or the errno of a failed write negated */
int estimate_save_sizes(FILE *f, const uint16_t *size, size_t n);

/* estimate_plot.c (with PLplot): the PNG in *@bytes (malloc()ed) of
 * *@size; 0, or -1 with @why */
int estimate_plot(const struct est_report *rep, char **bytes, size_t *size, char *why,
		  size_t len);

#endif /* ZBUD_ESTIMATE_CLI_H */
