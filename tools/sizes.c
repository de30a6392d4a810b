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
	FILE *f = fopen(path, "r");
	unsigned *v;

	if (!f) {
		fprintf(stderr, "zbud: cannot open '%s': %s\n", path, strerror(errno));
		return NULL;
	}
	v = sizes_read(f, path, count);
	fclose(f);
	return v;
}

unsigned *sizes_read(FILE *f, const char *path, size_t *count)
{
	unsigned *v = NULL;
	size_t n = 0, cap = 0, lineno = 0, linecap = 0;
	char *line = NULL, why[160];
	ssize_t len;

	while ((len = getline(&line, &linecap, f)) >= 0) {
		struct text_field field;
		uint64_t size;
		int fields;

		lineno++;
		if (len && line[len - 1] == '\n')
			len--;
		fields = text_split(line, (size_t)len, &field, 1);
		if (!fields || field.s[0] == '#')
			continue;
		if (fields > 1) {
			fprintf(stderr, "zbud: %s:%zu: one size a line, got more\n", path, lineno);
			goto fail;
		}
		if (text_number(&field, "size", 1, MAX_SIZE, &size, why, sizeof(why))) {
			fprintf(stderr, "zbud: %s:%zu: %s\n", path, lineno, why);
			goto fail;
		}
		if (n == cap) {
			unsigned *p = realloc(v, (cap = cap ? cap * 2 : 4096) * sizeof(*v));

			if (!p) {
				fprintf(stderr, "zbud: %s: out of memory\n", path);
				goto fail;
			}
			v = p;
		}
		v[n++] = (unsigned)size;
	}
	if (ferror(f) || !n) {
		fprintf(stderr, "zbud: %s: %s\n", path, n ? strerror(errno) : "no sizes in it");
		goto fail;
	}
	free(line);
	*count = n;
	return v;
fail:
	free(line);
	free(v);
	return NULL;
}
