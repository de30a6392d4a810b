/*
 * fuzz_trace.c - any bytes as a `zbud replay` trace
 *
 * Never crashes, and three properties hold for every input:
 *
 *  - trace_parse(), line by line, returns 0 or -EINVAL with a printable
 *    reason, whatever the message buffer's size; and what it accepts,
 *    printed back (canonically and with odd blanks), parses to the same op;
 *  - replay_run() with the checker on ends in REPLAY_OK or REPLAY_BAD_TRACE.
 *    REPLAY_FAILED means the pool broke an invariant or an object's bytes
 *    changed: a bug in the library, so abort;
 *  - the two agree: replay stops at the first line the parser rejects or
 *    earlier, and its summary and log add up.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "replay.h"
#include "text.h"
#include "trace.h"

/*
 * "r RETRIES" with every page refusing (a pinned object on each) loops
 * RETRIES times, by design, as the kernel's zbud_reclaim_page() does: a
 * 30-byte trace can ask for 4 billion rounds.  That is slow, not wrong, so
 * traces that pin and ask for more rounds than this in all are parsed but
 * not replayed, or the fuzzer would spend its time reporting timeouts.
 */
#define RETRY_BUDGET (1u << 16)

/* What the parser made of the whole input. */
struct scan {
	uint64_t lines;         /* as getline() counts them */
	uint64_t first_bad;     /* the first line trace_parse() rejects; 0: none */
	uint64_t retries;       /* all reclaims' RETRIES added up */
	bool pins;
};

/* Reasons end up on a terminal: no raw input bytes, never empty. */
static void check_reason(const char *why, uint64_t lineno)
{
	FUZZ_CHECK(why[0], "line %" PRIu64 ": rejected without a reason", lineno);
	for (const char *p = why; *p; p++)
		FUZZ_CHECK(*p >= 0x20 && *p < 0x7f, "line %" PRIu64 ": byte %#x in reason '%s'",
			   lineno, (unsigned)(unsigned char)*p, why);
}

/* The fields each kind of op may set, in the ranges trace.h promises. */
static void check_op(const struct trace_op *op, uint64_t lineno)
{
	switch (op->kind) {
	case TRACE_NONE:
		FUZZ_CHECK(!op->id && !op->arg, "line %" PRIu64 ": empty op with fields", lineno);
		break;
	case TRACE_RECLAIM:
		FUZZ_CHECK(!op->id && op->arg <= UINT_MAX, "line %" PRIu64 ": r %" PRIu64, lineno,
			   op->arg);
		break;
	case TRACE_ALLOC:
		FUZZ_CHECK(op->id, "line %" PRIu64 ": a with ID 0", lineno);
		break;
	case TRACE_FREE:
	case TRACE_PIN:
	case TRACE_UNPIN:
		FUZZ_CHECK(op->id && !op->arg, "line %" PRIu64 ": %c %" PRIu64 " with arg %" PRIu64,
			   lineno, (char)op->kind, op->id, op->arg);
		break;
	default:
		FUZZ_CHECK(false, "line %" PRIu64 ": kind %d", lineno, (int)op->kind);
	}
}

/* Print @op with @sep between fields and @tail after them, and parse it back. */
static void round_trip(const struct trace_op *op, const char *sep, const char *tail,
		       uint64_t lineno)
{
	char text[96], why[128];
	struct trace_op back;
	int n;

	if (op->kind == TRACE_ALLOC)
		n = snprintf(text, sizeof(text), "%sa%s%" PRIu64 "%s%" PRIu64 "%s", sep, sep, op->id,
			     sep, op->arg, tail);
	else if (op->kind == TRACE_RECLAIM)
		n = snprintf(text, sizeof(text), "%sr%s%" PRIu64 "%s", sep, sep, op->arg, tail);
	else
		n = snprintf(text, sizeof(text), "%s%c%s%" PRIu64 "%s", sep, (char)op->kind, sep,
			     op->id, tail);
	FUZZ_CHECK(trace_parse(text, (size_t)n, &back, why, sizeof(why)) == 0,
		   "line %" PRIu64 ": '%s' does not parse back: %s", lineno, text, why);
	FUZZ_CHECK(back.kind == op->kind && back.id == op->id && back.arg == op->arg,
		   "line %" PRIu64 ": '%s' parses back differently", lineno, text);
}

/* One line (no '\n'): parse it twice, with a roomy and a tiny message
 * buffer, which must not change the outcome. */
static void scan_line(const char *line, size_t len, uint64_t lineno, struct scan *sc)
{
	char why[128], tiny[3] = "";
	struct trace_op op, again;
	int err = trace_parse(line, len, &op, why, sizeof(why));

	FUZZ_CHECK(err == 0 || err == -EINVAL, "line %" PRIu64 ": returned %d", lineno, err);
	FUZZ_CHECK(trace_parse(line, len, &again, tiny, sizeof(tiny)) == err &&
		   strlen(tiny) < sizeof(tiny),
		   "line %" PRIu64 ": the message buffer changed the outcome", lineno);
	if (err) {
		check_reason(why, lineno);
		if (!sc->first_bad)
			sc->first_bad = lineno;
		return;
	}
	check_op(&op, lineno);
	if (op.kind == TRACE_NONE)
		return;
	round_trip(&op, " ", "", lineno);
	round_trip(&op, " \t ", "\t\r\r", lineno);
	if (op.kind == TRACE_RECLAIM)
		sc->retries += op.arg;
	sc->pins |= op.kind == TRACE_PIN;
}

/* Split as text_read_line() does: at each '\n', plus a last line without
 * one; a line longer than TEXT_LINE_MAX is bad, and the last read. */
static void scan(const uint8_t *data, size_t size, struct scan *sc)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if (eol - p > TEXT_LINE_MAX) {
			sc->lines++;
			if (!sc->first_bad)
				sc->first_bad = sc->lines;
			return;
		}
		scan_line(p, (size_t)(eol - p), ++sc->lines, sc);
		p = nl ? nl + 1 : end;
	}
}

static uint64_t count_lines(const char *log, size_t len)
{
	const char *end = log + len;
	uint64_t n = 0;

	for (const char *p = log; p < end && (p = memchr(p, '\n', (size_t)(end - p))); p++)
		n++;
	return n;
}

/* What replay_run() said, against what the parser saw. */
/* Allocations by place ("first", "last", ...), all together. */
static uint64_t placed(const struct replay_summary *s)
{
	uint64_t n = 0;

	for (int i = 0; i < REPLAY_MAX_PLACES && s->places[i].name; i++)
		n += s->places[i].count;
	return n;
}

static void check_replay(enum replay_status st, const char *err, const struct replay_summary *s,
			 const struct scan *sc, uint64_t log_lines)
{
	char prefix[48];

	FUZZ_CHECK(st == REPLAY_OK || st == REPLAY_BAD_TRACE, "status %d: %s", (int)st, err);
	snprintf(prefix, sizeof(prefix), "line %" PRIu64 ": ", s->lines);
	if (st == REPLAY_OK)
		FUZZ_CHECK(!sc->first_bad && s->lines == sc->lines,
			   "replayed %" PRIu64 " of %" PRIu64 " lines; line %" PRIu64 " is bad",
			   s->lines, sc->lines, sc->first_bad);
	else
		/* Stopped at a line the parser rejects, or earlier for an ID error. */
		FUZZ_CHECK(!strncmp(err, prefix, strlen(prefix)) &&
			   (s->lines == sc->first_bad || strstr(err, " allocated")) &&
			   (!sc->first_bad || s->lines <= sc->first_bad),
			   "'%s' (parser: first bad line %" PRIu64 ")", err, sc->first_bad);
	FUZZ_CHECK(s->allocs == placed(s) &&
		   s->live_objects == s->allocs - s->frees - s->evicted &&
		   s->reclaims_ok <= s->reclaims && s->pages <= s->peak_pages &&
		   s->ops <= s->lines,
		   "the summary does not add up");
	/* Each a, f and r logs one line; p and u log none. */
	FUZZ_CHECK(log_lines == s->allocs + s->alloc_errors + s->frees + s->reclaims,
		   "%" PRIu64 " log lines for %" PRIu64 " a, %" PRIu64 " f, %" PRIu64 " r",
		   log_lines, s->allocs + s->alloc_errors, s->frees, s->reclaims);
}

static void replay(const uint8_t *data, size_t size, const struct scan *sc)
{
	const struct replay_opts opts = { .check = true, .log = true };
	struct replay_summary sum;
	enum replay_status st;
	char err[256] = "";
	char *log = NULL;
	size_t log_len = 0;
	/* "r" mode only reads: the cast away from const is safe. */
	FILE *in = fmemopen((void *)data, size, "r");
	FILE *out = open_memstream(&log, &log_len);

	FUZZ_CHECK(in && out, "fmemopen/open_memstream: %s", strerror(errno));
	st = replay_run(in, out, &opts, &sum, err, sizeof(err));
	fclose(in);
	fclose(out); /* sets log and log_len */
	check_replay(st, err, &sum, sc, count_lines(log, log_len));
	free(log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan sc = { 0 };

	scan(data, size, &sc);
	if (!sc.pins || sc.retries <= RETRY_BUDGET)
		replay(data, size, &sc);
	return 0;
}
