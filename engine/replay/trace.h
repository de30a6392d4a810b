/*
 * trace.h - the `zbud replay` trace format (../docs/replay.md): parsing
 *
 *   a ID SIZE    allocate        f ID   free
 *   r RETRIES    reclaim a page  p ID   pin       u ID   unpin
 *   # comment, or an empty line
 *
 * Fields are separated by spaces or tabs; a line may end in "\r\n".
 */
#ifndef ZBUD_TRACE_H
#define ZBUD_TRACE_H

#include <stddef.h>
#include <stdint.h>

enum trace_kind {
	TRACE_NONE,             /* empty or comment: nothing to do */
	TRACE_ALLOC = 'a',
	TRACE_FREE = 'f',
	TRACE_RECLAIM = 'r',
	TRACE_PIN = 'p',
	TRACE_UNPIN = 'u',
};

struct trace_op {
	enum trace_kind kind;
	uint64_t id;            /* a, f, p, u: positive */
	uint64_t arg;           /* a: SIZE; r: RETRIES (fits an unsigned int) */
};

/*
 * trace_parse - parse one line of @len bytes (no newline; may hold any byte)
 *
 * Returns 0, or -EINVAL with what is wrong described in @why.
 */
int trace_parse(const char *line, size_t len, struct trace_op *op, char *why, size_t whylen);

#endif /* ZBUD_TRACE_H */
