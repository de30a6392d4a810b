/*
 * fuzz_sizes.c - a sizes file (zbud inspect --sizes, zbud bench alloc
 * --sizes): any bytes
 *
 * sizes_read() either gives every size the file holds, in order, or
 * refuses the file in exactly one line on stderr ("zbud: NAME:LINE: ..." or
 * "zbud: NAME: ..."), never both and never a crash.  Checked against a
 * model of the format: a line is blanks, a '#' comment, or one plain
 * decimal in [1, 2^20]; lines are at most 4096 bytes.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "fuzz.h"
#include "text.h"

#define MAX_SIZE (1u << 20)

/* The model: the sizes the file holds, or -1 if it must be refused. */
static long model(const uint8_t *data, size_t size, unsigned *out, size_t cap)
{
	const char *p = (const char *)data, *end = p + size;
	size_t n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct text_field f[2];
		uint64_t v;
		char why[128];
		int fields;

		if (eol - p > TEXT_LINE_MAX)
			return -1;
		fields = text_split(p, (size_t)(eol - p), f, 1);
		if (fields && f[0].s[0] != '#') {
			if (fields > 1 || text_number(&f[0], "size", 1, MAX_SIZE, &v, why, sizeof(why)))
				return -1;
			if (n < cap)
				out[n] = (unsigned)v;
			n++;
		}
		p = nl ? nl + 1 : end;
	}
	return n ? (long)n : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int err = -1;
	static char said[512];
	static unsigned want[8192];
	static char empty[1];
	/* "r" mode only reads: the cast away from const is safe.  fmemopen()
	 * wants a byte at least: an empty file is a byte, read at once. */
	FILE *f = size ? fmemopen((void *)data, size, "r") : fmemopen(empty, 1, "r");
	long expect = model(data, size, want, sizeof(want) / sizeof(want[0]));
	size_t count = 0;
	unsigned *got;
	int saved;
	ssize_t n;

	FUZZ_CHECK(f, "fmemopen");
	if (!size)
		fgetc(f);
	if (err < 0)
		FUZZ_CHECK((err = memfd_create("stderr", 0)) >= 0, "memfd_create");
	FUZZ_CHECK(!ftruncate(err, 0) && !lseek(err, 0, SEEK_SET) && (saved = dup(STDERR_FILENO)) >= 0 &&
		   dup2(err, STDERR_FILENO) >= 0, "dup2");
	got = sizes_read(f, "F", &count);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fclose(f);
	n = pread(err, said, sizeof(said) - 1, 0);
	said[n > 0 ? n : 0] = '\0';
	if (expect < 0) {
		FUZZ_CHECK(!got, "accepted %zu sizes of a bad file", count);
		FUZZ_CHECK(!strncmp(said, "zbud: F", 7) && strchr(said, '\n') == said + n - 1,
			   "a refusal is not one line: '%s'", said);
	} else {
		FUZZ_CHECK(got && count == (size_t)expect, "got %zu sizes, want %ld", count,
			   expect);
		FUZZ_CHECK(!said[0], "said '%s' and went on", said);
		for (size_t i = 0; i < count && i < sizeof(want) / sizeof(want[0]); i++)
			FUZZ_CHECK(got[i] == want[i], "size %zu: %u, want %u", i, got[i], want[i]);
	}
	free(got);
	return 0;
}
