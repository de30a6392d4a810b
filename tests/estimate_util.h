/*
 * estimate_util.h - what the tests of `zbud estimate` share: pages of known
 * kinds, what zswap would make of them (liblz4 called directly, pools
 * filled through zpool), and running zbud to read its JSON
 *
 * Each test file defines zbud_path and dir (a scratch folder) before
 * including this.
 */
#ifndef ZBUD_ESTIMATE_UTIL_H
#define ZBUD_ESTIMATE_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <lz4.h>

#include "zpool.h"

#define PAGE 4096
#define OVER (PAGE + 1)                 /* did not compress into a page */
#define SAME 0                          /* same-filled: not compressed */
#define PER_KIND 12
#define NPAGES (NKINDS * PER_KIND)

enum kind { ZERO, FILLED, RANDOM, TEXT, REPEAT, HALF, NEARLY, NKINDS };

static const char *const zpools[] = { "zbud", "z3fold", "zsmalloc", "ideal" };
static const char *const figures[] = {
	"scanned_pages", "same_filled_pages", "incompressible_pages", "stored_pages",
	"compressed_bytes", "pool_pages", "effective_ratio", "saved_bytes",
};

#define NZPOOLS (sizeof(zpools) / sizeof(zpools[0]))
#define NFIGURES (sizeof(figures) / sizeof(figures[0]))

/* ---- the pages ---- */

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

static void make_page(size_t i, unsigned char *p)
{
	static const char *const words[] = { "page", "pool", "the", "of", "zbud", "buddy",
		"compressed", "memory", "and", "a", "chunk", "free", "list", "swap" };
	uint64_t s = i * 0x9e3779b97f4a7c15ULL + 12345, word = 0x0101010101010101ULL * (i + 1);

	memset(p, 0, PAGE);
	switch ((enum kind)(i % NKINDS)) {
	case FILLED:
		for (size_t k = 0; k < PAGE; k += sizeof(word))
			memcpy(p + k, &word, sizeof(word));
		break;
	case RANDOM:
	case HALF:
	case NEARLY:
		for (size_t k = 0, n = i % NKINDS == RANDOM ? PAGE : i % NKINDS == HALF ? 2000 : 4000;
		     k < n; k++)
			p[k] = (unsigned char)next(&s);
		break;
	case TEXT:
		for (size_t at = 0; at < PAGE;) {
			const char *w = words[next(&s) % (sizeof(words) / sizeof(words[0]))];
			size_t n = strlen(w) < PAGE - at ? strlen(w) : PAGE - at;

			memcpy(p + at, w, n);
			at += n;
			if (at < PAGE)
				p[at++] = ' ';
		}
		break;
	case REPEAT:
		for (size_t k = 0; k < PAGE; k++)
			p[k] = (unsigned char)(k * 7 + i);
		break;
	default:
		break;
	}
}

/* What zswap would do first: SAME, OVER, or liblz4's own length. */
static unsigned int lz4_len(const unsigned char *p)
{
	char out[PAGE];
	int len;

	for (size_t k = 8; k < PAGE; k += 8)
		if (memcmp(p, p + k, 8))
			goto compress;
	return SAME;
compress:
	len = LZ4_compress_default((const char *)p, out, PAGE, PAGE);
	return len ? (unsigned int)len : OVER;
}

/* ---- running zbud ---- */

/* `zbud estimate ARGS...`'s stdout, and its exit status in *@status; the
 * arguments end with NULL. */
static char *run(int *status, const char *first, ...)
{
	const char *argv[64] = { zbud_path, "estimate", first };
	size_t n = 3, len = 0, cap = 1 << 16;
	char *out = malloc(cap);
	int fd[2];
	ssize_t got;
	va_list ap;
	pid_t pid;

	va_start(ap, first);
	while (n < 63 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	assert_non_null(out);
	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		execv(zbud_path, (char *const *)argv);
		_exit(127);
	}
	close(fd[1]);
	while ((got = read(fd[0], out + len, cap - len - 1)) > 0)
		if ((len += (size_t)got) == cap - 1)
			assert_non_null(out = realloc(out, cap *= 2));
	out[len] = '\0';
	close(fd[0]);
	assert_int_equal(waitpid(pid, status, 0), pid);
	return out;
}

/* `zbud estimate --json -o FILE ARGS...` (arguments end with NULL): the
 * JSON; the run must succeed. */
static json_t *run_json(const char *first, ...)
{
	const char *args[32] = { first };
	char path[128];
	size_t n = 1;
	json_error_t err;
	json_t *root;
	va_list ap;
	int status;
	char *out;

	va_start(ap, first);
	while (n < 31 && (args[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	snprintf(path, sizeof(path), "%s/out.json", dir);
	out = run(&status, "--json", "-o", path, args[0], args[1], args[2], args[3], args[4],
		  args[5], args[6], args[7], args[8], args[9], args[10], args[11], args[12],
		  args[13], args[14], NULL);
	if (status)
		fail_msg("zbud estimate exited %d: %s", status, out);
	free(out);
	root = json_load_file(path, 0, &err);
	if (!root)
		fail_msg("zbud's JSON: %s", err.text);
	return root;
}

static json_t *cell(json_t *root, const char *codec, const char *zpool)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(root, "compressors"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "label")), codec))
			return json_object_get(json_object_get(c, "zpools"), zpool);
	fail_msg("no compressor %s", codec);
	return NULL;
}

static double fig(json_t *root, const char *codec, const char *zpool, const char *name)
{
	json_t *v = json_object_get(json_object_get(cell(root, codec, zpool), name), "value");

	assert_non_null(v);
	return json_number_value(v);
}

static uint64_t target_field(json_t *root, const char *name)
{
	json_t *t = json_object_get(root, "target");
	json_t *v = json_object_get(t, name) ? json_object_get(t, name)
					     : json_object_get(json_object_get(t, "skipped"), name);

	assert_non_null(v);
	return (uint64_t)json_integer_value(v);
}

/* Every figure of every compressor and allocator, equal. */
static __attribute__((unused)) void same_figures(json_t *a, json_t *b)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(a, "compressors"), i, c) {
		const char *label = json_string_value(json_object_get(c, "label"));

		for (size_t z = 0; z < NZPOOLS; z++)
			for (size_t f = 0; f < NFIGURES; f++)
				if (fig(a, label, zpools[z], figures[f]) !=
				    fig(b, label, zpools[z], figures[f]))
					fail_msg("%s/%s %s: %.17g, then %.17g", label, zpools[z],
						 figures[f], fig(a, label, zpools[z], figures[f]),
						 fig(b, label, zpools[z], figures[f]));
	}
}

/* ---- what the figures must be ---- */

/* The lz4 figures of pages 0..@n-1 of make_page(), @n a multiple of NKINDS;
 * with @pools false, the figures that do not depend on the pages' order. */
static void expect_lz4_n(json_t *root, size_t n, bool pools)
{
	unsigned int *len = calloc(n, sizeof(*len));
	unsigned char page[PAGE];
	uint64_t hist[PAGE / 64 + 2] = { 0 };
	json_t *h = NULL, *c;
	size_t i;

	assert_non_null(len);
	for (i = 0; i < n; i++) {
		make_page(i, page);
		len[i] = lz4_len(page);
		if (i % NKINDS == NEARLY)       /* the test's own premise */
			assert_true(len[i] > 3968 && len[i] <= PAGE);
		hist[len[i] == SAME ? 0 : len[i] == OVER ? PAGE / 64 + 1 : (len[i] + 63) / 64]++;
	}
	for (size_t z = 0; z < NZPOOLS; z++) {
		const bool ideal = !strcmp(zpools[z], "ideal");
		struct zpool *pool = ideal ? NULL : zpool_create_pool(zpools[z], "test", NULL);
		double same = 0, incomp = 0, stored = 0, bytes = 0, pool_pages, held;
		unsigned long handle;

		for (i = 0; i < n; i++) {
			int err = len[i] == SAME || len[i] == OVER || ideal ? 0
				  : zpool_malloc(pool, len[i], &handle);

			same += len[i] == SAME;
			incomp += len[i] == OVER || err == -ENOSPC;
			stored += len[i] != SAME && len[i] != OVER && !err;
			bytes += len[i] != SAME && len[i] != OVER && !err ? len[i] : 0;
		}
		pool_pages = ideal ? ceil(bytes / PAGE) : (double)zpool_get_total_size(pool) / PAGE;
		zpool_destroy_pool(pool);
		held = PAGE * (pool_pages + incomp);
		assert_true(fig(root, "lz4", zpools[z], "scanned_pages") == n);
		assert_true(fig(root, "lz4", zpools[z], "same_filled_pages") == same);
		assert_true(fig(root, "lz4", zpools[z], "incompressible_pages") == incomp);
		assert_true(fig(root, "lz4", zpools[z], "stored_pages") == stored);
		assert_true(fig(root, "lz4", zpools[z], "compressed_bytes") == bytes);
		if (!pools && !ideal)
			continue;
		assert_true(fig(root, "lz4", zpools[z], "pool_pages") == pool_pages);
		assert_true(fabs(fig(root, "lz4", zpools[z], "effective_ratio") -
				 (double)n * PAGE / held) < 1e-9);
		assert_true(fig(root, "lz4", zpools[z], "saved_bytes") == (double)n * PAGE - held);
	}
	free(len);
	assert_true(fig(root, "lz4", "zbud", "same_filled_pages") == 2 * (n / NKINDS));
	assert_true(fig(root, "lz4", "zbud", "incompressible_pages") == 2 * (n / NKINDS));
	assert_true(fig(root, "lz4", "ideal", "incompressible_pages") == n / NKINDS);
	json_array_foreach(json_object_get(root, "compressors"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "label")), "lz4"))
			h = json_object_get(c, "histogram");
	assert_int_equal(json_integer_value(json_object_get(h, "same_filled")), hist[0]);
	assert_int_equal(json_integer_value(json_object_get(h, "over_page")), hist[PAGE / 64 + 1]);
	for (size_t b = 1; b <= PAGE / 64; b++)
		assert_int_equal(json_integer_value(json_array_get(json_object_get(h, "buckets"),
								   b - 1)), hist[b]);
}

static void expect_lz4(json_t *root)
{
	expect_lz4_n(root, NPAGES, true);
}

#endif /* ZBUD_ESTIMATE_UTIL_H */
