/*
 * text.h - the small pieces every line-oriented input of the tools shares:
 * lines of a bounded length, fields split on blanks, strict decimal numbers,
 * and quoting a bad field safely in a one-line message.
 */
#ifndef ZBUD_TEXT_H
#define ZBUD_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The longest line any text input may have, its newline not counted.  A
 * trace line or a size is a few dozen bytes; the limit is far above that,
 * and low enough that a file with no newline at all (/dev/zero) is refused
 * after 4 KiB instead of being read into memory until the machine runs out.
 */
#define TEXT_LINE_MAX 4096

struct text_reader {
	FILE *f;
	uint64_t lineno;                /* of the line last read (1 for the first) */
	char line[TEXT_LINE_MAX + 1];   /* that line, NUL-terminated; may hold NULs */
};

/*
 * text_read_line - the next line of @r->f into r->line, without its '\n'
 *
 * Returns its length (a last line without a newline counts), -1 at the end
 * of the input, -EOVERFLOW when the line (r->lineno) is longer than
 * TEXT_LINE_MAX, or -EIO when reading failed (errno says why).  Reads into
 * a fixed buffer: it never allocates, so it cannot fail for memory.
 */
long text_read_line(struct text_reader *r);

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
