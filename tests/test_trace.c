/*
 * test_trace.c - the trace parser and the replay engine, on memory
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay.h"
#include "trace.h"

static int parse(const char *line, struct trace_op *op, char *why)
{
	return trace_parse(line, strlen(line), op, why, 160);
}

static void test_parse_good(void **state)
{
	static const struct {
		const char *line;
		enum trace_kind kind;
		uint64_t id, arg;
	} cases[] = {
		{ "a 1 100", TRACE_ALLOC, 1, 100 },
		{ "  a\t2   3000 \r", TRACE_ALLOC, 2, 3000 },
		{ "a 18446744073709551615 0", TRACE_ALLOC, UINT64_MAX, 0 },
		{ "a 3 99999999999", TRACE_ALLOC, 3, 99999999999ULL },
		{ "f 7", TRACE_FREE, 7, 0 },
		{ "r 0", TRACE_RECLAIM, 0, 0 },
		{ "r 1048576", TRACE_RECLAIM, 0, TRACE_MAX_RETRIES },
		{ "p 5", TRACE_PIN, 5, 0 },
		{ "u 005", TRACE_UNPIN, 5, 0 },
		{ "# a 1 2", TRACE_NONE, 0, 0 },
		{ "#", TRACE_NONE, 0, 0 },
		{ "", TRACE_NONE, 0, 0 },
		{ " \t \r", TRACE_NONE, 0, 0 },
	};
	struct trace_op op;
	char why[160];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].line, &op, why), 0);
		assert_int_equal(op.kind, cases[i].kind);
		assert_int_equal(op.id, cases[i].id);
		assert_int_equal(op.arg, cases[i].arg);
	}
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *line, *why;
	} cases[] = {
		{ "x 1", "unknown operation 'x'" },
		{ "aa 1 2", "unknown operation 'aa'" },
		{ "A 1 2", "unknown operation 'A'" },
		{ "a 1", "expected 'a ID SIZE', got 2 fields" },
		{ "a 1 2 3", "expected 'a ID SIZE', got 4 fields or more" },
		{ "f", "expected 'f ID', got 1 field" },
		{ "r", "expected 'r RETRIES'" },
		{ "f 1 # comment", "expected 'f ID'" },
		{ "a 0 5", "ID '0' is not a positive integer" },
		{ "a -1 5", "ID '-1' is not a positive integer" },
		{ "a +1 5", "ID '+1' is not a positive integer" },
		{ "a 1 -5", "SIZE '-5' is not a non-negative integer" },
		{ "a 1 5x", "SIZE '5x' is not a non-negative integer" },
		{ "a 1 0x10", "SIZE '0x10'" },
		{ "a 1 18446744073709551616", "SIZE '18446744073709551616' is too large" },
		{ "f 999999999999999999999999999999", "ID '999999999999999999999999...' is too large" },
		{ "r -1", "RETRIES '-1' is not a non-negative integer" },
		{ "r 1048577", "RETRIES '1048577' is too large (at most 1048576)" },
		{ "r 4294967295", "RETRIES '4294967295' is too large (at most 1048576)" },
		{ "p x", "ID 'x' is not a positive integer" },
	};
	struct trace_op op;
	char why[160];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		assert_int_equal(parse(cases[i].line, &op, why), -EINVAL);
		if (!strstr(why, cases[i].why))
			fail_msg("'%s': got \"%s\", want \"%s\"", cases[i].line, why, cases[i].why);
	}
	/* A NUL byte is just a bad byte, quoted safely. */
	assert_int_equal(trace_parse("a 1\0 2", 6, &op, why, sizeof(why)), -EINVAL);
	assert_int_equal(trace_parse("f \x01\xff", 4, &op, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "'?" "?'")); /* split: no trigraph */
}

struct run {
	enum replay_status status;
	char log[8192];
	char err[512];
	struct replay_summary sum;
};

static void replay_text(const char *trace, bool check, struct run *r)
{
	FILE *in = fmemopen((void *)trace, strlen(trace), "r");
	FILE *out = fmemopen(r->log, sizeof(r->log), "w");
	const struct replay_opts opts = { .check = check, .log = true };

	assert_non_null(in);
	assert_non_null(out);
	memset(r->log, 0, sizeof(r->log));
	r->err[0] = '\0';
	r->status = replay_run(in, out, &opts, &r->sum, r->err, sizeof(r->err));
	fclose(out);
	fclose(in);
}

static void test_replay_spec_example(void **state)
{
	struct run *r = malloc(sizeof(*r));

	(void)state;
	replay_text("a 1 100\na 2 3000\na 3 200\nf 1\na 4 5000\na 5 0\nr 3\n", true, r);
	assert_int_equal(r->status, REPLAY_OK);
	assert_string_equal(r->log, "a 1 first 1\na 2 last 1\na 3 first 2\nf 1 2\n"
				    "a 4 ENOSPC 2\na 5 EINVAL 2\nr 0 1 2\n");
	assert_int_equal(r->sum.ops, 7);
	assert_int_equal(r->sum.evicted, 1);
	assert_int_equal(r->sum.peak_pages, 2);
	free(r);
}

/* Pins refuse eviction; a free drops the pin; an evicted ID may come back. */
static void test_replay_pins(void **state)
{
	struct run *r = malloc(sizeof(*r));

	(void)state;
	replay_text("a 1 3000\na 2 3000\np 1\nr 1\nr 1\nf 1\na 1 3000\nr 1\n"
		    "a 2 100\np 2\nu 2\nr 2\nr 1\n", false, r);
	assert_int_equal(r->status, REPLAY_OK);
	assert_string_equal(r->log,
			    "a 1 first 1\na 2 first 2\n"
			    "r EAGAIN 2\n"   /* page of 1 is the tail and pinned */
			    "r 0 1 2\n"      /* 1's page went to the LRU head: 2 goes */
			    "f 1 0\na 1 first 1\n"
			    "r 0 0 1\n"      /* the new 1 is unpinned */
			    "a 2 first 1\nr 0 0 2\n"
			    "r EINVAL 0\n");
	free(r);
}

static void test_replay_bad_trace(void **state)
{
	static const struct {
		const char *trace, *log, *err;
	} cases[] = {
		{ "a 1 10\nf 2\n", "a 1 first 1\n", "line 2: ID 2 is not allocated" },
		{ "a 1 10\na 1 20\n", "a 1 first 1\n", "line 2: ID 1 is already allocated" },
		{ "# hi\n\np 3\n", "", "line 3: ID 3 is not allocated" },
		{ "a 1 10\nu 1\nu 9\n", "a 1 first 1\n", "line 3: ID 9 is not allocated" },
		{ "a 1 10\nr 1\nf 1\n", "a 1 first 1\nr 0 0 1\n", "line 3: ID 1 is not allocated" },
		{ "a 1 10\nbogus\n", "a 1 first 1\n", "line 2: unknown operation 'bogus' (expected a, f, r, p, u or #)" },
		{ "a 1 5000\nf 1\n", "a 1 ENOSPC 0\n", "line 2: ID 1 is not allocated" },
	};
	struct run *r = malloc(sizeof(*r));

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		replay_text(cases[i].trace, true, r);
		assert_int_equal(r->status, REPLAY_BAD_TRACE);
		assert_string_equal(r->log, cases[i].log);
		assert_string_equal(r->err, cases[i].err);
	}
	free(r);
}

/* A last line without a newline, and CRLF line ends, are read as lines. */
static void test_replay_line_ends(void **state)
{
	struct run *r = malloc(sizeof(*r));

	(void)state;
	replay_text("a 1 10\r\na 2 10\r\nf 1", false, r);
	assert_int_equal(r->status, REPLAY_OK);
	assert_string_equal(r->log, "a 1 first 1\na 2 last 1\nf 1 1\n");
	free(r);
}

static void test_replay_unknown_allocator(void **state)
{
	const struct replay_opts opts = { .allocator = "nope", .log = true };
	struct replay_summary sum;
	char err[256];
	FILE *in = fmemopen("a 1 1\n", 6, "r");

	(void)state;
	assert_int_equal(replay_run(in, stdout, &opts, &sum, err, sizeof(err)), REPLAY_FAILED);
	assert_non_null(strstr(err, "cannot create a 'nope' pool"));
	fclose(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_replay_spec_example),
		cmocka_unit_test(test_replay_pins),
		cmocka_unit_test(test_replay_bad_trace),
		cmocka_unit_test(test_replay_line_ends),
		cmocka_unit_test(test_replay_unknown_allocator),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
