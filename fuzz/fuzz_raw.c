/*
 * fuzz_raw.c - any bytes as the file of `zbud estimate --raw`
 *
 * The file's pages are its bytes, 4 KiB at a time, the last padded with
 * zeros: target_open_raw() finds ceil(size / 4096) of them (an empty file
 * is refused with -ENODATA), and each reads back as the input's bytes,
 * whatever pages are asked for together.
 */
#define _GNU_SOURCE                     /* memfd_create() */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_input.h"
#include "target.h"

#define PAGE 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[TARGET_READ_MAX * PAGE];
	char path[64], why[256] = "";
	struct target *t = NULL;
	int fd = fuzz_input_file(data, size, path, sizeof(path));
	int err = target_open_raw(&t, path, why, sizeof(why));
	const uint64_t pages = (size + PAGE - 1) / PAGE;
	uint64_t index[TARGET_READ_MAX];
	bool ok[TARGET_READ_MAX];
	size_t n = 0;

	FUZZ_CHECK(size ? err == 0 : err == -ENODATA, "error %d for %zu bytes: %s", err, size,
		   why);
	if (!err) {
		FUZZ_CHECK(target_counts(t)->pages == pages, "%llu pages",
			   (unsigned long long)target_counts(t)->pages);
		/* Every other page, backwards: runs and gaps both. */
		for (uint64_t i = pages; i > 0 && n < TARGET_READ_MAX; i = i > 2 ? i - 2 : 0)
			index[n++] = i - 1;
		FUZZ_CHECK(target_read(t, index, n, buf, ok) == 0, "target_read failed");
		for (size_t k = 0; k < n; k++) {
			const size_t at = (size_t)index[k] * PAGE;
			const size_t bytes = size - at < PAGE ? size - at : PAGE;

			FUZZ_CHECK(ok[k], "page %llu unread", (unsigned long long)index[k]);
			FUZZ_CHECK(!memcmp(buf + k * PAGE, data + at, bytes), "page %llu differs",
				   (unsigned long long)index[k]);
			for (size_t b = bytes; b < PAGE; b++)
				FUZZ_CHECK(!buf[k * PAGE + b], "padding is not zeros");
		}
	}
	target_close(t);
	close(fd);
	return 0;
}
