/*
 * trace.c - see trace.h
 */
#include "trace.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

#define MAX_FIELDS 3

int trace_parse(const char *line, size_t len, struct trace_op *op, char *why, size_t whylen)
{
	static const char *const forms[] = {
		['a'] = "a ID SIZE", ['f'] = "f ID", ['r'] = "r RETRIES",
		['p'] = "p ID", ['u'] = "u ID",
	};
	struct text_field f[MAX_FIELDS];
	char q[TEXT_QUOTE_SIZE];
	int n = text_split(line, len, f, MAX_FIELDS);

	memset(op, 0, sizeof(*op));
	if (!n || f[0].s[0] == '#')
		return 0;
	if (f[0].len != 1 || !strchr("afrpu", f[0].s[0]) || !f[0].s[0]) {
		snprintf(why, whylen, "unknown operation '%s' (expected a, f, r, p, u or #)",
			 text_quote(&f[0], q));
		return -EINVAL;
	}
	op->kind = (enum trace_kind)f[0].s[0];
	if (n != (op->kind == TRACE_ALLOC ? 3 : 2)) {
		snprintf(why, whylen, "expected '%s', got %d field%s", forms[op->kind], n,
			 n == 1 ? "" : n > MAX_FIELDS ? "s or more" : "s");
		return -EINVAL;
	}
	if (op->kind == TRACE_RECLAIM)
		return text_number(&f[1], "RETRIES", 0, TRACE_MAX_RETRIES, &op->arg, why, whylen);
	if (text_number(&f[1], "ID", 1, UINT64_MAX, &op->id, why, whylen))
		return -EINVAL;
	if (op->kind == TRACE_ALLOC)
		return text_number(&f[2], "SIZE", 0, SIZE_MAX, &op->arg, why, whylen);
	return 0;
}
