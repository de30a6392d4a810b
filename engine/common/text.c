/*
 * text.c - see text.h
 */
#include "text.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

long text_read_line(struct text_reader *r)
{
	size_t len = 0;
	int c;

	while ((c = getc_unlocked(r->f)) != EOF && c != '\n') {
		if (len == TEXT_LINE_MAX) {
			r->lineno++;
			return -EOVERFLOW;
		}
		r->line[len++] = (char)c;
	}
	if (c == EOF && ferror(r->f))
		return -EIO;
	if (c == EOF && !len)
		return -1;
	r->line[len] = '\0';
	r->lineno++;
	return (long)len;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

int text_split(const char *line, size_t len, struct text_field *f, int max)
{
	int n = 0;
	size_t i = 0;

	while (len && line[len - 1] == '\r')
		len--;
	while (n <= max) {
		while (i < len && blank(line[i]))
			i++;
		if (i == len)
			break;
		if (n == max)
			return max + 1;
		f[n].s = line + i;
		while (i < len && !blank(line[i]))
			i++;
		f[n].len = (size_t)(line + i - f[n].s);
		n++;
	}
	return n;
}

const char *text_quote(const struct text_field *f, char buf[TEXT_QUOTE_SIZE])
{
	size_t n = f->len < TEXT_QUOTE_MAX ? f->len : TEXT_QUOTE_MAX;

	for (size_t i = 0; i < n; i++)
		buf[i] = (f->s[i] >= 0x20 && f->s[i] < 0x7f) ? f->s[i] : '?';
	if (n < f->len)
		memcpy(buf + n, "...", 3), n += 3;
	buf[n] = '\0';
	return buf;
}

static int parse(const struct text_field *f, uint64_t max, uint64_t *out)
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

int text_number(const struct text_field *f, const char *what, uint64_t min, uint64_t max,
		uint64_t *out, char *why, size_t whylen)
{
	char q[TEXT_QUOTE_SIZE];
	int err = parse(f, max, out);

	if (err == -ERANGE)
		snprintf(why, whylen, "%s '%s' is too large (at most %llu)", what, text_quote(f, q),
			 (unsigned long long)max);
	else if (err || *out < min)
		snprintf(why, whylen, "%s '%s' is not a %s integer", what, text_quote(f, q),
			 min ? "positive" : "non-negative");
	return err || *out < min ? -EINVAL : 0;
}
