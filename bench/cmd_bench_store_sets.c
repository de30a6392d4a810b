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

/* Start @argv and wait, @timeout seconds at most, until it stops itself:
 * 0 with it held, or -1 with @how saying what it did instead. */
static int wait_stop(struct child *c, char *const *argv, char *how, size_t len)
{
	struct child_event ev = { .kind = CHILD_TIMEOUT };
	const double until = bs_now() + HEAP_TIMEOUT_S;
	char why[200];
	int err = child_start(c, argv, 0, why, sizeof(why));

	if (err) {
		snprintf(how, len, "cannot be started: %s", strerror(-err));
		return err;
	}
	while (!(err = child_next(c, until - bs_now(), &ev)) && ev.kind == CHILD_TIMEOUT &&
	       bs_now() < until)
		;
	if (!err && ev.kind == CHILD_STOPPED)
		return 0;
	if (!err && ev.kind == CHILD_DONE) {
		child_describe_end(ev.status, why, sizeof(why));
		snprintf(how, len, "%s before it stopped itself", why);
	} else if (!err) {
		snprintf(how, len, "did not stop itself within %d s", HEAP_TIMEOUT_S);
	} else {
		snprintf(how, len, "cannot be followed: %s", strerror(-err));
	}
	child_kill(c);
	child_end(c);
	return -1;
}

/* The heap of the program started for it; none, with a note, when the
 * built-in one's python3 is not installed. */
int bs_heap_set(const struct options *o, struct pageset *ps, char *title, size_t len)
{
	char *const *argv = o->heap_cmd ? o->heap_cmd : builtin_argv();
	struct procmem_counts st = { 0 };
	struct procmem *pm = NULL;
	struct child c;
	uint64_t unreadable = 0;
	char how[256], why[200];
	int err = wait_stop(&c, argv, how, sizeof(how));

	if (err == -ENOENT && !o->heap_cmd) {
		fprintf(stderr, "zbud bench store: note: no python3 here, so no heap set\n");
		return 0;
	}
	if (!err) {
		err = procmem_open(&pm, c.pid, why, sizeof(why));
		if (!err)
			err = pageset_add_process(ps, pm, &st, &unreadable, why, sizeof(why));
		procmem_close(pm);
		snprintf(how, sizeof(how), "cannot be read: %s", why);
		child_kill(&c);
		child_end(&c);
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
