/*
 * cli.h - the `zbud` subcommands; the only code that prints or exits
 */
#ifndef ZBUD_CLI_H
#define ZBUD_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Each returns the process's exit status: 0, 1 (failure), 2 (bad input). */
int cmd_replay(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_estimate(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_run(int argc, char **argv);

/*
 * A command's arguments, parsed apart from its work (so that fuzz_cli_args
 * can drive the parser alone).  Each X_parse_args() returns -1 to go on,
 * else the exit status, with one line said (or --help's text printed).
 */
#include "replay.h"
struct replay_args {
	struct replay_opts opts;
	const char *path;               /* TRACE; NULL or "-": standard input */
	bool summary;
};
int replay_parse_args(int argc, char **argv, struct replay_args *a);

/* Rows kept for drawing are whole zpool_page_info copies (~800 bytes);
 * more rows than this nobody reads. */
#define INSPECT_MAX_ROWS 100000
struct inspect_args {
	const char *allocator, *trace, *sizes, *plot;
	size_t rows;
	bool worst;     /* rows are the emptiest pages, not the first */
};
int inspect_parse_args(int argc, char **argv, struct inspect_args *a);

/* The benchmarks behind `zbud bench`, one file each. */
int bench_alloc(int argc, char **argv);

/* bench alloc's arguments, parsed apart from the work (so fuzz_cli_args can). */
#define BENCH_ALLOC_MAX_LIVE_SETS 8
struct allocator;
struct bench_alloc_args {
	const struct allocator *only;   /* --measure: a child measuring one */
	size_t live[BENCH_ALLOC_MAX_LIVE_SETS];
	int nlive;
	unsigned long pairs;
	unsigned int runs;              /* --runs: each allocator's child, interleaved */
	const char *path;               /* --sizes */
};
int bench_alloc_parse_args(int argc, char **argv, struct bench_alloc_args *a);
int bench_store(int argc, char **argv);
int bench_zram(int argc, char **argv);
int bench_estimate(int argc, char **argv);
int bench_run(int argc, char **argv);

/* Allocation sizes, one a line (the format of data/python-heap.lz4-sizes.txt).
 * On error prints "zbud: FILE:LINE: ..." and returns NULL. */
unsigned *sizes_load(const char *path, size_t *count);
/* The same from an open file; @path names it in messages. */
unsigned *sizes_read(FILE *f, const char *path, size_t *count);

/* Where the data shipped with zbud is: the installed copy, else the source
 * tree's. */
const char *data_path(const char *name);

/*
 * cli_input_open - @path opened to be read line by line, or NULL with one
 * line in @err ("cannot open 'PATH': ...").  A FIFO (a named one, or a pipe
 * named as /dev/fd/N) that no writer has written to or closed within
 * CLI_INPUT_FIFO_WAIT_S seconds is refused, rather than waited on forever;
 * once something came, a writer that pauses is waited for as with any pipe.
 * "-" is standard input, as it is: close what it gives with cli_input_close().
 */
#define CLI_INPUT_FIFO_WAIT_S 5
FILE *cli_input_open(const char *path, char *err, size_t errlen);
/* cli_input_close - close @f, unless it is stdin */
void cli_input_close(FILE *f);
/* cli_input_name - @path as messages name it: "stdin" for "-" (or NULL) */
const char *cli_input_name(const char *path);

/*
 * cli_output.c: a file a command makes (--plot), written under a temporary
 * name beside @path and renamed over it by cli_output_finish() once
 * complete: a symlink at @path is replaced, never followed; a failed write
 * leaves @path as it was.  A character device named as itself (/dev/null)
 * and a descriptor's name (/dev/stdout, /dev/fd/N) are written to as they
 * are; a directory, block device, FIFO or socket at @path is refused.
 */
struct cli_output {
	const char *path;
	char *tmp;
	FILE *f;
	bool direct;                    /* written to, not renamed over */
};

/* The FILE to write (closed by the caller, or whatever it hands it to), or
 * NULL with one line in @err. */
FILE *cli_output_open(struct cli_output *o, const char *path, char *err, size_t errlen);
/* Once o->f is closed: @ok, put it at the path; else remove it.  0, or -1
 * (always when !@ok) with one line in @err when the rename failed. */
int cli_output_finish(struct cli_output *o, bool ok, char *err, size_t errlen);

/*
 * cli_stream_open - @path opened to be written as the command goes (JSON
 * lines a reader may follow), or NULL with one line in @err.  A regular file
 * is created or truncated; a descriptor's name (/dev/stdout, /dev/fd/N) and
 * a device are written to; a FIFO only if something reads it.  A symbolic
 * link is refused, never followed.
 */
FILE *cli_stream_open(const char *path, char *err, size_t errlen);

/* cli_quote - an argument to quote in a one-line message: its printable
 * bytes ('?' for others: a newline would make two lines), cut if long */
#define CLI_QUOTE_MAX 64
#define CLI_QUOTE_SIZE (CLI_QUOTE_MAX + 4)
const char *cli_quote(const char *s, char buf[CLI_QUOTE_SIZE]);

/* Every command's last word on standard output: flushed; a write error
 * (ENOSPC for > /dev/full) said in one line, status 1, if the command had
 * not already failed; else @status. */
int cli_close_stdout(const char *cmd, int status);

/* Whether @path may take a PNG: its extension is .png (any case), or it has
 * none (/dev/stdout); a .jpg name holding a PNG would mislead. */
bool cli_png_name(const char *path);

struct zpool_page_info;

/* inspect_plot.c (built with PLplot): draw @n pages into @png, which it
 * closes; 0, or -1 with one line in @err. */
int inspect_plot(FILE *png, const char *title, const struct zpool_page_info *pages, size_t n,
		 char *err, size_t errlen);

#endif /* ZBUD_CLI_H */
