/*
 * fuzz_cli_args.c - the commands' argument parsers, alone, on any argv
 *
 * Input: byte 0 picks the parser (replay, inspect, bench alloc); the rest
 * is the arguments, split at NUL bytes (at most MAX_ARGS).  The parser runs
 * without the work behind it (X_parse_args() in tools/cli.h).  Checks:
 *
 *  - it returns -1 (go on), 0 (--help) or 2 (bad arguments), nothing else;
 *  - a refusal says so in exactly one line on stderr, naming the command;
 *    going on says nothing;
 *  - what it accepted holds: every pointer is one of the arguments (or the
 *    default), numbers are within their documented limits, an allocator is
 *    one zpool knows, inspect has exactly one of --trace and --sizes.
 */
#define _GNU_SOURCE /* memfd_create */
#define ZPOOL_STATIC_LINKING_ONLY
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "fuzz.h"
#include "zpool.h"

#define MAX_ARGS 16

struct argv {
	char *v[MAX_ARGS + 2];
	int c;
	char *buf;
};

/* argv[0], then the input's NUL-separated strings. */
static void split(const uint8_t *data, size_t size, const char *cmd, struct argv *a)
{
	a->buf = malloc(size + 1);
	FUZZ_CHECK(a->buf, "out of memory");
	memcpy(a->buf, data, size);
	a->buf[size] = '\0';
	a->v[0] = (char *)cmd;
	a->c = 1;
	for (char *p = a->buf; p <= a->buf + size && a->c <= MAX_ARGS; p += strlen(p) + 1)
		a->v[a->c++] = p;
	a->v[a->c] = NULL;
}

static bool from_argv(const struct argv *a, const char *s)
{
	for (int i = 1; i < a->c; i++)
		if (s == a->v[i])
			return true;
	return false;
}

static void check_replay(const struct argv *a, const struct replay_args *r)
{
	FUZZ_CHECK(zpool_has_pool(r->opts.allocator), "allocator '%s'", r->opts.allocator);
	FUZZ_CHECK(!r->path || from_argv(a, r->path), "TRACE not an argument");
}

static void check_inspect(const struct argv *a, const struct inspect_args *r)
{
	FUZZ_CHECK(zpool_has_pool(r->allocator), "allocator '%s'", r->allocator);
	FUZZ_CHECK(!r->trace != !r->sizes, "--trace and --sizes: one of them");
	FUZZ_CHECK((!r->trace || from_argv(a, r->trace)) && (!r->sizes || from_argv(a, r->sizes)),
		   "a FILE not an argument");
	FUZZ_CHECK(r->rows <= INSPECT_MAX_ROWS, "--rows %zu", r->rows);
}

static void check_bench_alloc(const struct argv *a, const struct bench_alloc_args *r)
{
	(void)a;
	FUZZ_CHECK(r->nlive >= 1 && r->nlive <= BENCH_ALLOC_MAX_LIVE_SETS, "%d sets", r->nlive);
	for (int i = 0; i < r->nlive; i++)
		FUZZ_CHECK(r->live[i] >= 1 && r->live[i] <= 1000000, "--live %zu", r->live[i]);
	FUZZ_CHECK(r->pairs >= 1 && r->pairs <= 1000000000UL, "--pairs %lu", r->pairs);
}

/* Run one parser with stderr caught in @err and stdout (--help) thrown
 * away; returns its status. */
static int parse(int which, struct argv *a, int err, int null)
{
	union {
		struct replay_args replay;
		struct inspect_args inspect;
		struct bench_alloc_args bench;
	} r;
	int saved = dup(STDERR_FILENO), out = dup(STDOUT_FILENO), st;

	FUZZ_CHECK(saved >= 0 && out >= 0 && dup2(err, STDERR_FILENO) >= 0 &&
		   dup2(null, STDOUT_FILENO) >= 0, "dup2");
	st = which == 0 ? replay_parse_args(a->c, a->v, &r.replay)
	     : which == 1 ? inspect_parse_args(a->c, a->v, &r.inspect)
			  : bench_alloc_parse_args(a->c, a->v, &r.bench);
	fflush(stdout);
	dup2(saved, STDERR_FILENO);
	dup2(out, STDOUT_FILENO);
	close(saved);
	close(out);
	if (st == -1) {
		if (which == 0)
			check_replay(a, &r.replay);
		else if (which == 1)
			check_inspect(a, &r.inspect);
		else
			check_bench_alloc(a, &r.bench);
	}
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cmds[] = { "replay", "inspect", "alloc" };
	static const char *const prefix[] = { "zbud replay: ", "zbud inspect: ",
					       "zbud bench alloc: " };
	static int err = -1, null = -1;
	static char said[4096];
	struct argv a;
	ssize_t n;
	int which, st;

	if (!size)
		return 0;
	if (err < 0) {
		err = memfd_create("stderr", 0);
		null = open("/dev/null", O_WRONLY);
		FUZZ_CHECK(err >= 0 && null >= 0, "memfd_create, /dev/null");
	}
	which = data[0] % 3;
	split(data + 1, size - 1, cmds[which], &a);
	FUZZ_CHECK(!ftruncate(err, 0) && lseek(err, 0, SEEK_SET) == 0, "rewind");
	st = parse(which, &a, err, null);
	n = pread(err, said, sizeof(said) - 1, 0);
	FUZZ_CHECK(n >= 0 && (size_t)n < sizeof(said) - 1, "said %zd bytes", n);
	said[n] = '\0';
	FUZZ_CHECK(st == -1 || st == 0 || st == 2, "status %d", st);
	if (st == 2)
		FUZZ_CHECK(!strncmp(said, prefix[which], strlen(prefix[which])) &&
			   strchr(said, '\n') == said + strlen(said) - 1,
			   "a refusal is not one line naming the command: '%s'", said);
	else
		FUZZ_CHECK(!said[0], "said '%s' and went on", said);
	free(a.buf);
	return 0;
}
