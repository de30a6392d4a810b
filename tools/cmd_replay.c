/*
 * cmd_replay.c - `zbud replay`: the command line around replay_run()
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "replay.h"
#include "zpool.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: zbud replay [--allocator NAME] [--check] [--summary] [--no-log] [--] [TRACE]\n"
		"\n"
		"Reads a trace (TRACE, or standard input when absent or '-') and prints one\n"
		"line per decision of the allocator (docs/replay.md).\n"
		"\n"
		"  --allocator NAME  the zpool driver to drive (default zbud; known:");
	for (unsigned i = 0; zpool_driver_name(i); i++)
		fprintf(f, " %s", zpool_driver_name(i));
	fprintf(f, ")\n"
		"  --check           verify every invariant after each operation, and\n"
		"                    every object's bytes when it is freed or evicted\n"
		"  --summary         a short readable summary on standard error at the end\n"
		"  --no-log          print no log (with --summary: the summary alone)\n"
		"\n"
		"Exit status: 0; 1 when the trace cannot be read or a check fails; 2 for a\n"
		"bad trace or bad arguments (the log up to the bad line is printed).\n"
		"\n"
		"Examples:\n"
		"  printf 'a 1 100\\na 2 3000\\nf 1\\nr 3\\n' | zbud replay\n"
		"  zbud replay --allocator zsmalloc --check --summary --no-log trace.txt\n");
}

static void print_summary(const char *name, const struct replay_summary *s)
{
	uint64_t ideal = (s->live_bytes + ZBUD_PAGE_SIZE - 1) / ZBUD_PAGE_SIZE;

	fprintf(stderr, "%s: %llu lines, %llu operations\n", name,
		(unsigned long long)s->lines, (unsigned long long)s->ops);
	fprintf(stderr, "  allocations  %llu (", (unsigned long long)s->allocs);
	for (int i = 0; i < REPLAY_MAX_PLACES && s->places[i].name; i++)
		fprintf(stderr, "%s%s %llu", i ? ", " : "", s->places[i].name,
			(unsigned long long)s->places[i].count);
	fprintf(stderr, "), %llu refused\n", (unsigned long long)s->alloc_errors);
	fprintf(stderr, "  frees        %llu\n", (unsigned long long)s->frees);
	fprintf(stderr, "  reclaims     %llu (%llu freed a page), %llu objects evicted\n",
		(unsigned long long)s->reclaims, (unsigned long long)s->reclaims_ok,
		(unsigned long long)s->evicted);
	fprintf(stderr, "  pool pages   %llu at the end, %llu at the peak\n",
		(unsigned long long)s->pages, (unsigned long long)s->peak_pages);
	fprintf(stderr, "  live         %llu objects, %llu bytes: %llu pages if packed",
		(unsigned long long)s->live_objects, (unsigned long long)s->live_bytes,
		(unsigned long long)ideal);
	if (ideal)
		fprintf(stderr, ", the pool uses %.2fx that", (double)s->pages / (double)ideal);
	fputc('\n', stderr);
}

/* An option's NAME, or -1 with one line said. */
static int take_value(int argc, char **argv, int *i, const char **to)
{
	if (++*i == argc) {
		fprintf(stderr, "zbud replay: %s needs a NAME\n", argv[*i - 1]);
		return -1;
	}
	*to = argv[*i];
	return 0;
}

int replay_parse_args(int argc, char **argv, struct replay_args *a)
{
	char q[CLI_QUOTE_SIZE], q2[CLI_QUOTE_SIZE];
	bool options = true;

	*a = (struct replay_args){ .opts = { .allocator = "zbud", .log = true } };
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (options && (!strcmp(arg, "--help") || !strcmp(arg, "-h"))) {
			usage(stdout);
			return 0;
		} else if (options && !strcmp(arg, "--allocator")) {
			if (take_value(argc, argv, &i, &a->opts.allocator))
				return 2;
		} else if (options && !strcmp(arg, "--check")) {
			a->opts.check = true;
		} else if (options && !strcmp(arg, "--summary")) {
			a->summary = true;
		} else if (options && !strcmp(arg, "--no-log")) {
			a->opts.log = false;
		} else if (options && !strcmp(arg, "--")) {
			options = false;        /* a TRACE may start with '-' after it */
		} else if (options && arg[0] == '-' && arg[1]) {
			fprintf(stderr, "zbud replay: unknown option '%s' (try --help)\n",
				cli_quote(arg, q));
			return 2;
		} else if (a->path) {
			fprintf(stderr, "zbud replay: one TRACE at most, got '%s' and '%s'\n",
				cli_quote(a->path, q), cli_quote(arg, q2));
			return 2;
		} else {
			a->path = arg;
		}
	}
	if (!zpool_has_pool(a->opts.allocator)) {
		fprintf(stderr, "zbud replay: unknown allocator '%s' (known:",
			cli_quote(a->opts.allocator, q));
		for (unsigned i = 0; zpool_driver_name(i); i++)
			fprintf(stderr, " %s", zpool_driver_name(i));
		fprintf(stderr, ")\n");
		return 2;
	}
	return -1;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_args a;
	struct replay_summary sum;
	enum replay_status st;
	char err[512];
	FILE *in = stdin;
	int status = replay_parse_args(argc, argv, &a);
	const char *path = a.path;

	if (status >= 0)
		return status;
	if (path && !(in = cli_input_open(path, err, sizeof(err)))) {
		fprintf(stderr, "zbud replay: %s\n", err);
		return 1;
	}
	st = replay_run(in, stdout, &a.opts, &sum, err, sizeof(err));
	cli_input_close(in);
	if (fflush(stdout) && st == REPLAY_OK) {
		fprintf(stderr, "zbud replay: cannot write the log: %s\n", strerror(errno));
		return 1;
	}
	if (st != REPLAY_OK)
		fprintf(stderr, "zbud replay: %s%s%s\n", path && st == REPLAY_FAILED ? path : "",
			path && st == REPLAY_FAILED ? ": " : "", err);
	else if (a.summary)
		print_summary(cli_input_name(path), &sum);
	return st == REPLAY_OK ? 0 : st == REPLAY_BAD_TRACE ? 2 : 1;
}
