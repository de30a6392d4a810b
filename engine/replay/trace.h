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

/*
 * The most RETRIES an `r` line may ask.  zbud_reclaim_page() tries that many
 * pages when none can be freed (every page holds a pinned object), as the
 * kernel's does, and logs only at the end: 2^32 - 1 retries, which an
 * unsigned int allows, take a silent minute and more.  The kernel's own
 * caller asks 8 (zswap); a million, the most here, take a few tens of ms.
 */
#define TRACE_MAX_RETRIES 1048576

struct trace_op {
	enum trace_kind kind;
	uint64_t id;            /* a, f, p, u: positive */
	uint64_t arg;           /* a: SIZE; r: RETRIES (<= TRACE_MAX_RETRIES) */
};

/*
 * trace_parse - parse one line of @len bytes (no newline; may hold any byte)
 *
 * Returns 0, or -EINVAL with what is wrong described in @why.
 */
int trace_parse(const char *line, size_t len, struct trace_op *op, char *why, size_t whylen);

#endif /* ZBUD_TRACE_H */
