/*
 * fuzz_raw.c - any bytes as the file of `zbud estimate --raw`
 *
 * The file's pages are its bytes, 4 KiB at a time, the last padded with
 * zeros: target_open_raw() refuses an empty file with -ENODATA, a walk
 * finds ceil(size / 4096) of them, and each reads back as the input's
 * bytes, whatever pages are asked for together.  (A page's where word is
 * its offset << 12, target_internal.h says; the test reads it so.)
 */
#define _GNU_SOURCE                     /* memfd_create() */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_input.h"
#include "target.h"

#define PAGE 4096

static struct target_page page[TARGET_READ_MAX];
static size_t npages;

/* Every other page of the walk's first ones, backwards: runs and gaps. */
static int collect(void *arg, const struct target_page *p, size_t n)
{
	(void)arg;
	for (size_t i = 0; i < n && npages < TARGET_READ_MAX; i++)
		if (i % 2 == 0)
			page[npages++] = p[i];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[TARGET_READ_MAX * PAGE];
	char path[64], why[256] = "";
	struct target *t = NULL;
	int fd = fuzz_input_file(data, size, path, sizeof(path));
	int err = target_open_raw(&t, path, why, sizeof(why));
	const uint64_t pages = (size + PAGE - 1) / PAGE;
	struct target_counts c;
	bool ok[TARGET_READ_MAX];

	FUZZ_CHECK(size ? err == 0 : err == -ENODATA, "error %d for %zu bytes: %s", err, size,
		   why);
	npages = 0;
	if (!err) {
		FUZZ_CHECK(target_walk(t, &c, collect, NULL, why, sizeof(why)) == 0, "walk: %s", why);
		FUZZ_CHECK(c.pages == pages, "%llu pages", (unsigned long long)c.pages);
		FUZZ_CHECK(target_read(t, page, npages, buf, ok) == 0, "target_read failed");
		for (size_t k = 0; k < npages; k++) {
			const size_t at = (size_t)(page[k].where >> 12);
			const size_t bytes = size - at < PAGE ? size - at : PAGE;

			FUZZ_CHECK(at % PAGE == 0 && at < size, "page at %zu", at);
			FUZZ_CHECK(ok[k], "page at %zu unread", at);
			FUZZ_CHECK(!memcmp(buf + k * PAGE, data + at, bytes), "page at %zu differs", at);
			for (size_t b = bytes; b < PAGE; b++)
				FUZZ_CHECK(!buf[k * PAGE + b], "padding is not zeros");
		}
	}
	target_close(t);
	close(fd);
	return 0;
}
