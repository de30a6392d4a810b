/*
 * sizes.c - loading allocation-size files, and finding zbud's shipped data
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "text.h"

/* Larger sizes are surely not compressed pages. */
#define MAX_SIZE (1u << 20)
/* More sizes than any trace of a real heap has (the shipped one: 30 000),
 * and few enough that the array stays under 1 GiB. */
#define MAX_SIZES 67108864
#define STR_(x) #x
#define STR(x) STR_(x)

#ifndef ZBUD_DATA_DIR
#define ZBUD_DATA_DIR "data"
#endif
#ifndef ZBUD_SOURCE_DATA_DIR
#define ZBUD_SOURCE_DATA_DIR "data"
#endif

const char *data_path(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", ZBUD_DATA_DIR, name);
	if (access(path, R_OK))
		snprintf(path, sizeof(path), "%s/%s", ZBUD_SOURCE_DATA_DIR, name);
	return path;
}

unsigned *sizes_load(const char *path, size_t *count)
{
	char err[512];
	FILE *f = cli_input_open(path, err, sizeof(err));
	unsigned *v;

	if (!f) {
		fprintf(stderr, "zbud: %s\n", err);
		return NULL;
	}
	v = sizes_read(f, cli_input_name(path), count);
	cli_input_close(f);
	return v;
}

/* One line's size into @v; 0, or -1 with the message printed. */
static int take_size(struct text_reader *r, size_t len, const char *path, unsigned **v,
		     size_t *n, size_t *cap)
{
	struct text_field field;
	char why[160];
	uint64_t size;
	int fields = text_split(r->line, len, &field, 1);

	if (!fields || field.s[0] == '#')
		return 0;
	if (fields > 1) {
		fprintf(stderr, "zbud: %s:%llu: one size a line, got more\n", path,
			(unsigned long long)r->lineno);
		return -1;
	}
	if (text_number(&field, "size", 1, MAX_SIZE, &size, why, sizeof(why))) {
		fprintf(stderr, "zbud: %s:%llu: %s\n", path, (unsigned long long)r->lineno, why);
		return -1;
	}
	if (*n == *cap) {
		size_t want = *cap ? *cap * 2 : 4096;
		unsigned *p = want <= MAX_SIZES ? realloc(*v, want * sizeof(**v)) : NULL;

		if (!p) {
			fprintf(stderr, "zbud: %s:%llu: %s\n", path, (unsigned long long)r->lineno,
				want <= MAX_SIZES ? "out of memory" : "more than " STR(MAX_SIZES)
				" sizes");
			return -1;
		}
		*v = p;
		*cap = want;
	}
	(*v)[(*n)++] = (unsigned)size;
	return 0;
}

unsigned *sizes_read(FILE *f, const char *path, size_t *count)
{
	struct text_reader r = { .f = f };
	unsigned *v = NULL;
	size_t n = 0, cap = 0;
	long len;

	while ((len = text_read_line(&r)) >= 0)
		if (take_size(&r, (size_t)len, path, &v, &n, &cap))
			goto fail;
	if (len == -EOVERFLOW) {
		fprintf(stderr, "zbud: %s:%llu: line longer than %d bytes\n", path,
			(unsigned long long)r.lineno, TEXT_LINE_MAX);
		goto fail;
	}
	if (len == -EIO || !n) {
		fprintf(stderr, "zbud: %s: %s\n", path,
			len == -EIO ? strerror(errno) : "no sizes in it");
		goto fail;
	}
	*count = n;
	return v;
fail:
	free(v);
	return NULL;
}
