/*
 * trace.c - see trace.h
 */
#include "trace.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_FIELDS 3
/* How much of a bad field an error message quotes. */
#define QUOTE_MAX 24

struct field {
	const char *s;
	size_t len;
};

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Split into fields; returns how many there were (up to MAX_FIELDS + 1). */
static int split(const char *line, size_t len, struct field *f)
{
	int n = 0;
	size_t i = 0;

	while (n <= MAX_FIELDS) {
		while (i < len && blank(line[i]))
			i++;
		if (i == len)
			break;
		f[n].s = line + i;
		while (i < len && !blank(line[i]))
			i++;
		f[n].len = (size_t)(line + i - f[n].s);
		n++;
	}
	return n;
}

/* Quote a field for a message: printable bytes only, cut if long. */
static const char *quote(const struct field *f, char *buf, size_t size)
{
	size_t n = f->len < QUOTE_MAX ? f->len : QUOTE_MAX;
	size_t i;

	for (i = 0; i < n && i + 1 < size; i++)
		buf[i] = (f->s[i] >= 0x20 && f->s[i] < 0x7f) ? f->s[i] : '?';
	if (n < f->len && i + 3 < size) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static int parse_number(const struct field *f, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!f->len)
		return -EINVAL;
	for (size_t i = 0; i < f->len; i++) {
		unsigned d = (unsigned char)f->s[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int number(const struct field *f, const char *what, uint64_t min, uint64_t max,
		  uint64_t *out, char *why, size_t whylen)
{
	char q[QUOTE_MAX + 4];
	int err = parse_number(f, max, out);

	if (err == -ERANGE)
		snprintf(why, whylen, "%s '%s' is too large (at most %llu)", what,
			 quote(f, q, sizeof(q)), (unsigned long long)max);
	else if (err || *out < min)
		snprintf(why, whylen, "%s '%s' is not a %s integer", what, quote(f, q, sizeof(q)),
			 min ? "positive" : "non-negative");
	return err || *out < min ? -EINVAL : 0;
}

int trace_parse(const char *line, size_t len, struct trace_op *op, char *why, size_t whylen)
{
	static const char *const forms[] = {
		['a'] = "a ID SIZE", ['f'] = "f ID", ['r'] = "r RETRIES",
		['p'] = "p ID", ['u'] = "u ID",
	};
	struct field f[MAX_FIELDS + 1];
	char q[QUOTE_MAX + 4];
	int n;

	while (len && line[len - 1] == '\r')
		len--;
	n = split(line, len, f);
	memset(op, 0, sizeof(*op));
	if (!n || f[0].s[0] == '#')
		return 0;
	if (f[0].len != 1 || !strchr("afrpu", f[0].s[0]) || !f[0].s[0]) {
		snprintf(why, whylen, "unknown operation '%s' (expected a, f, r, p, u or #)",
			 quote(&f[0], q, sizeof(q)));
		return -EINVAL;
	}
	op->kind = (enum trace_kind)f[0].s[0];
	if (n != (op->kind == TRACE_ALLOC ? 3 : 2)) {
		snprintf(why, whylen, "expected '%s', got %d field%s", forms[op->kind], n,
			 n == 1 ? "" : n > MAX_FIELDS ? "s or more" : "s");
		return -EINVAL;
	}
	if (op->kind == TRACE_RECLAIM)
		return number(&f[1], "RETRIES", 0, UINT_MAX, &op->arg, why, whylen);
	if (number(&f[1], "ID", 1, UINT64_MAX, &op->id, why, whylen))
		return -EINVAL;
	if (op->kind == TRACE_ALLOC)
		return number(&f[2], "SIZE", 0, SIZE_MAX, &op->arg, why, whylen);
	return 0;
}
