/*
 * corpus_replay.c - run a fuzz target over saved inputs, without libFuzzer
 *
 * Linked with one fuzz_*.c, this is a plain program that any compiler
 * builds, so that CI replays the corpus, and every crash ever saved, under
 * ASan with gcc as well as clang:
 *
 *   replay_trace fuzz/corpus/trace crash-0123abcd
 *
 * Each argument is an input file or a directory of them (not recursive:
 * sub-directories and names starting with '.' are skipped).  Directories
 * are read in name order, so a run is the same everywhere.  Each input gets
 * a buffer of exactly its size, so that ASan sees any read past its end, as
 * under libFuzzer.  Every input is named on stderr before it runs: when one
 * aborts, the last name printed is the culprit.
 *
 * Exit status: 0 when every input ran; 1 when an argument cannot be read or
 * there was no input at all (an empty corpus is a broken CI, not a pass).
 */
#define _GNU_SOURCE /* asprintf; scandir and alphasort where glibc is strict */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Read @path whole into a buffer of its exact size; NULL on error. */
static uint8_t *read_input(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf = NULL;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) == 0 && st.st_size >= 0) {
		*size = (size_t)st.st_size;
		buf = malloc(*size ? *size : 1);
		if (buf && fread(buf, 1, *size, f) != *size) {
			free(buf);
			buf = NULL;
			errno = EIO;
		}
	}
	fclose(f);
	return buf;
}

static int run_file(const char *path, size_t *count)
{
	size_t size;
	uint8_t *data = read_input(path, &size);

	if (!data) {
		fprintf(stderr, "corpus_replay: cannot read '%s': %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(stderr, "%s (%zu bytes)\n", path, size);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	++*count;
	return 0;
}

/* Inputs only: not hidden files (.gitkeep), not sub-directories. */
static int is_input(const struct dirent *d)
{
	return d->d_name[0] != '.' && d->d_type != DT_DIR;
}

static int run_dir(const char *dir, size_t *count)
{
	struct dirent **names;
	int n = scandir(dir, &names, is_input, alphasort);
	int err = 0;

	if (n < 0) {
		fprintf(stderr, "corpus_replay: cannot read '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char *path;

		if (!err && asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0) {
			fprintf(stderr, "corpus_replay: out of memory\n");
			err = -1;
		} else if (!err) {
			err = run_file(path, count);
			free(path);
		}
		free(names[i]);
	}
	free(names);
	return err;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int err = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 1;
	}
	for (int i = 1; i < argc && !err; i++) {
		struct stat st;

		if (stat(argv[i], &st)) {
			fprintf(stderr, "corpus_replay: '%s': %s\n", argv[i], strerror(errno));
			err = -1;
		} else {
			err = S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) : run_file(argv[i], &count);
		}
	}
	printf("%zu inputs replayed\n", count);
	if (!err && !count)
		fprintf(stderr, "corpus_replay: no inputs\n");
	return err || !count;
}
