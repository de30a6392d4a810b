/*
 * cmd_bench_store_sets.c - `zbud bench store`'s page sets: files installed
 * here, and the heap of a program started for it and read while it is
 * stopped
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "builtin.h"
#include "child.h"
#include "cmd_bench_store.h"
#include "procmem.h"

#define HEAP_TIMEOUT_S 120      /* the built-in heap takes a second or two */

static const char *why_not(int err)
{
	return err == EINVAL ? "not a regular file" : strerror(err);
}

int bs_files_set(const struct options *o, struct pageset *ps, char *title, size_t len)
{
	glob_t g = { 0 };
	char **paths = o->files;
	size_t n = o->nfiles, read = 0, failed = 0;
	int *errs = NULL, rc = 0;

	if (!paths) {
		if (pageset_default_files(&g)) {
			fprintf(stderr, "zbud bench store: none of the built-in files is here; "
				"name some with --files\n");
			return 1;
		}
		paths = g.gl_pathv, n = g.gl_pathc;
	}
	errs = calloc(n, sizeof(*errs));
	for (size_t i = 0; errs && i < n && ps->count < o->max_pages; i++) {
		long got = pageset_add_file(ps, paths[i], o->max_pages);

		errs[i] = got < 0 ? (int)-got : 0;
		failed += got < 0, read += got >= 0;
	}
	if (!errs || !ps->count) {
		size_t i = 0;

		while (errs && i < n && !errs[i])
			i++;
		if (!errs)
			fprintf(stderr, "zbud bench store: out of memory\n");
		else if (i < n)
			fprintf(stderr, "zbud bench store: cannot read '%s': %s%s\n", paths[i],
				why_not(errs[i]), failed > 1 ? " (nor the other files)" : "");
		else
			fprintf(stderr, "zbud bench store: no pages: the files are empty\n");
		rc = 1;
	}
	for (size_t i = 0; !rc && i < n; i++)
		if (errs[i])
			fprintf(stderr, "zbud bench store: note: cannot read '%s': %s; skipped\n",
				paths[i], why_not(errs[i]));
	snprintf(title, len, "%zu pages (%.1f MiB) of %zu %sfile%s%s", ps->count,
		 (double)ps->count * PAGE / 1048576, read, o->files ? "" : "installed ",
		 read == 1 ? "" : "s",
		 ps->count >= o->max_pages ? ", cut at --mib" : "");
	free(errs);
	globfree(&g);
	return rc;
}

/* The heap of the program started for it; none, with a note, when the
 * built-in one's python3 is not installed. */
int bs_heap_set(const struct options *o, struct pageset *ps, char *title, size_t len)
{
	char *const *argv = o->heap_cmd ? o->heap_cmd : builtin_argv();
	struct procmem_counts st = { 0 };
	uint64_t unreadable = 0;
	char how[256];
	int err = builtin_heap_read(argv, HEAP_TIMEOUT_S, ps, &st, &unreadable, how, sizeof(how));

	if (err == -ENOENT && !o->heap_cmd) {
		fprintf(stderr, "zbud bench store: note: no python3 here, so no heap set\n");
		return 0;
	}
	if (err) {
		fprintf(stderr, "zbud bench store: the heap program '%s' %s\n", argv[0], how);
		return 1;
	}
	snprintf(title, len, "%zu pages (%.1f MiB) of %s's heap, from %llu mappings; skipped: "
		 "%llu not in memory, %llu unreadable", ps->count,
		 (double)ps->count * PAGE / 1048576, o->heap_cmd ? argv[0] : "a Python program",
		 (unsigned long long)st.mappings, (unsigned long long)st.not_resident,
		 (unsigned long long)unreadable);
	return 0;
}
