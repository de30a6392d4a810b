/*
 * fuzz_core.c - any bytes as an ELF core file for `zbud estimate --core`
 *
 * Never crashes, never loops on what the file only claims (a segment of
 * 2^56 bytes, a count of 2^32 headers), and for every input:
 *
 *  - target_open_core() returns 0, or -EINVAL with a printable reason
 *    naming the file, or -ENOMEM; never another error for a file it
 *    could open;
 *  - what it accepts holds no more pages than the file does (segments do
 *    not overlap in the file), each page readable, and reads the file's
 *    own bytes: its pages lie inside the file.
 */
#define _GNU_SOURCE                     /* memfd_create() */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_input.h"
#include "target.h"

#define PAGE 4096
#define READ_AT_MOST 4096               /* pages read back per input */

static void check_why(const char *why, const char *path)
{
	FUZZ_CHECK(strstr(why, path), "the reason does not name the file: %s", why);
	for (const char *c = why; *c; c++)
		FUZZ_CHECK(*c >= ' ' && *c < 127, "unprintable reason: %s", why);
}

/* The walk's first pages, to read back. */
struct pages {
	struct target_page p[READ_AT_MOST];
	size_t n;
};

static int collect(void *arg, const struct target_page *p, size_t n)
{
	struct pages *all = arg;

	for (size_t i = 0; i < n && all->n < READ_AT_MOST; i++)
		all->p[all->n++] = p[i];
	return 0;
}

static void read_back(struct target *t, size_t size)
{
	static struct pages all;
	static unsigned char buf[TARGET_READ_MAX * PAGE];
	struct target_counts n;
	bool ok[TARGET_READ_MAX];
	char why[256];

	all.n = 0;
	FUZZ_CHECK(target_walk(t, &n, collect, &all, why, sizeof(why)) == 0, "walk: %s", why);
	/* Pages lie inside the file, whole or the last of a segment cut short. */
	FUZZ_CHECK(n.pages <= size / PAGE + n.mappings, "%llu pages in %zu bytes",
		   (unsigned long long)n.pages, size);
	FUZZ_CHECK(all.n == (n.pages < READ_AT_MOST ? n.pages : READ_AT_MOST), "%zu pages given",
		   all.n);
	for (size_t first = 0; first < all.n; first += TARGET_READ_MAX) {
		const size_t k = all.n - first < TARGET_READ_MAX ? all.n - first : TARGET_READ_MAX;

		FUZZ_CHECK(target_read(t, all.p + first, k, buf, ok) == 0, "target_read failed");
		for (size_t i = 0; i < k; i++)
			FUZZ_CHECK(ok[i], "page %zu of the file cannot be read", first + i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], why[256] = "";
	struct target *t = NULL;
	const struct procmem_select sel = { .all = size && (data[0] & 1) };
	int fd = fuzz_input_file(data, size, path, sizeof(path));
	int err = target_open_core(&t, path, &sel, why, sizeof(why));

	FUZZ_CHECK(err == 0 || err == -EINVAL || err == -ENOMEM, "error %d: %s", err, why);
	if (err == -EINVAL)
		check_why(why, path);
	if (!err)
		read_back(t, size);
	target_close(t);
	close(fd);
	return 0;
}
