/*
 * zbud.c - the `zbud` command: dispatch to one subcommand per file
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "zbud.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "replay", cmd_replay, "drive a pool through a trace, log every decision" },
	{ "inspect", cmd_inspect, "draw a pool a page a row: where its free space is" },
	{ "estimate", cmd_estimate, "what zswap would save on a process, per compressor x allocator" },
	{ "stat", cmd_stat, "the running kernel's zswap and zram, readable" },
	{ "bench", cmd_bench, "measure: `zbud bench alloc` (free+alloc pairs vs malloc)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: zbud COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\n`zbud COMMAND --help` tells more.\n");
}

static int run(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("zbud %s\n", zbud_version_string());
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "zbud: unknown command '%s' (try 'zbud --help')\n", argv[1]);
	return 2;
}

int main(int argc, char **argv)
{
	return cli_close_stdout("zbud", run(argc, argv));
}
