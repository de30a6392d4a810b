/*
 * zbud.c - the `zbud` command: dispatch to one subcommand per file
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "zbud.h"

static int help(int argc, char **argv);

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "estimate", cmd_estimate, "what zswap would save on a process, per compressor x allocator" },
	{ "stat", cmd_stat, "the running kernel's zswap and zram, readable" },
	{ "replay", cmd_replay, "drive a pool through a trace, log every decision" },
	{ "inspect", cmd_inspect, "draw a pool a page a row: where its free space is" },
	{ "run", cmd_run, "run a program with zswap for it alone, in userspace" },
	{ "bench", cmd_bench, "measure: `zbud bench alloc` the allocators, `zbud bench store` the store" },
	{ "help", help, "a command's options: `zbud help COMMAND`" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	int width = 0;

	for (size_t i = 0; i < NCOMMANDS; i++)
		if ((int)strlen(commands[i].name) > width)
			width = (int)strlen(commands[i].name);
	fprintf(f, "usage: zbud COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-*s  %s\n", width, commands[i].name, commands[i].what);
	fprintf(f, "\n`zbud help COMMAND` or `zbud COMMAND --help` tells more; `man zbud-COMMAND`\n"
		"tells all.  Exit status: 0 done, 1 failure, 2 bad input.\n");
}

static int unknown(const char *name)
{
	fprintf(stderr, "zbud: unknown command '%s' (try 'zbud --help')\n", name);
	return 2;
}

/* `zbud help [COMMAND [JOB]]`: COMMAND [JOB] --help */
static int help(int argc, char **argv)
{
	char *args[] = { argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : "--help", "--help", NULL };

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (argc > 3) {
		fprintf(stderr, "zbud help: one command (and bench's job) at most\n");
		return 2;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc, args);
	return unknown(argv[1]);
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
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	return unknown(argv[1]);
}

int main(int argc, char **argv)
{
	return cli_close_stdout("zbud", run(argc, argv));
}
