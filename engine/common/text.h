/*
 * text.h - the small pieces every line-oriented input of the tools shares:
 * fields split on blanks, strict decimal numbers, and quoting a bad field
 * safely in a one-line message.
 */
#ifndef ZBUD_TEXT_H
#define ZBUD_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct text_field {
	const char *s;
	size_t len;
};

/* Bytes of a field an error message quotes, and a buffer that holds them. */
#define TEXT_QUOTE_MAX 24
#define TEXT_QUOTE_SIZE (TEXT_QUOTE_MAX + 4)

/*
 * text_split - split @len bytes on spaces and tabs, ignoring trailing
 * carriage returns; fills at most @max fields and returns how many there
 * were, or @max + 1 when there were more.
 */
int text_split(const char *line, size_t len, struct text_field *f, int max);

/* text_quote - the field's printable bytes ('?' for others), cut if long */
const char *text_quote(const struct text_field *f, char buf[TEXT_QUOTE_SIZE]);

/*
 * text_number - a plain decimal number (no sign, no prefix) in [@min, @max]
 *
 * Returns 0, or -EINVAL with a message naming @what and the field in @why.
 */
int text_number(const struct text_field *f, const char *what, uint64_t min, uint64_t max,
		uint64_t *out, char *why, size_t whylen);

#endif /* ZBUD_TEXT_H */
