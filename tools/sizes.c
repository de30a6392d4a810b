/*
 * sizes.c - loading allocation-size files, and finding zbud's shipped data
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

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
	unsigned *v = NULL;
	size_t n = 0, cap = 0, lineno = 0;
	char line[64];

	if (!f) {
		fprintf(stderr, "zbud: cannot open '%s': %s\n", path, strerror(errno));
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		char *end;
		unsigned long s;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		errno = 0;
		s = strtoul(line, &end, 10);
		if (end == line || (*end && *end != '\n') || errno || s == 0 || s > 1UL << 20) {
			line[strcspn(line, "\n")] = '\0';
			fprintf(stderr, "zbud: %s:%zu: '%s' is not a size in bytes (1 to 1048576)\n",
				path, lineno, line);
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
		v[n++] = (unsigned)s;
	}
	if (ferror(f) || !n) {
		fprintf(stderr, "zbud: %s: %s\n", path, n ? strerror(errno) : "no sizes in it");
		goto fail;
	}
	fclose(f);
	*count = n;
	return v;
fail:
	fclose(f);
	free(v);
	return NULL;
}
