/*
 * test_compress.c - the compressors: the table, round trips, what does not
 * fit, damaged input, and contexts reused
 *
 * Every check runs for every compressor at its lowest, default and highest
 * level.  Output buffers are followed by a guard zone that must come back
 * untouched: a compressor may write dst_cap bytes and a decompressor
 * dst_len, never one more.
 */
#define ZSWAP_STATIC_LINKING_ONLY
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lz4hc.h>
#include <zstd.h>

#include "zswap.h"

#define PAGE 4096
#define BIG_CAP (2 * PAGE)      /* above every compressor's bound for a page */
#define GUARD 64
#define GUARD_BYTE 0xa5
#define REUSE_PAGES 1000
#define THREADS 4
#define THREAD_PAGES 200

static const char *const names[] = { "lz4", "lz4hc", "zstd", "lzo", "deflate" };
#define NNAMES (sizeof(names) / sizeof(names[0]))

/* What failed, for the message: set by for_each_ctx() and the loops. */
static char where[128];

#define check(cond) \
	do { \
		if (!(cond)) \
			fail_msg("%s: %s", where, #cond); \
	} while (0)

/* ---- pages ---- */

enum kind { ZEROS, RANDOM, TEXT, PATTERN, HEAP, MIXED, NKINDS };
static const char *const kind_names[] = { "zeros", "random", "text", "pattern", "heap", "mixed" };

static uint64_t rng(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static void fill_text(unsigned char *p, size_t len, uint64_t *s)
{
	static const char *const words[] = {
		"the", "page", "is", "stored", "compressed", "in", "a", "pool", "of",
		"buddies", "zswap", "evicts", "least", "recently", "used", "memory",
		"kernel", "returns", "-ENOMEM", "when", "full", "and", "writes", "back",
	};
	size_t i = 0;

	while (i < len) {
		const char *w = words[rng(s) % (sizeof(words) / sizeof(words[0]))];

		for (size_t j = 0; w[j] && i < len; j++)
			p[i++] = (unsigned char)w[j];
		if (i < len)
			p[i++] = rng(s) % 9 ? ' ' : '\n';
	}
}

/* An array of records, as a program's data: a counter, flags, a pointer. */
static void fill_pattern(unsigned char *p, size_t len, uint64_t *s)
{
	uint64_t rec[3] = { rng(s), 0x10001, 0x7f0000001000ULL + (rng(s) << 4) };

	for (size_t i = 0; i < len; i++) {
		if (i % sizeof(rec) == 0) {
			rec[0]++;
			rec[2] += 48;
		}
		p[i] = ((const unsigned char *)rec)[i % sizeof(rec)];
	}
}

/* Machine words as a heap holds them: pointers, small integers, zeros. */
static void fill_heap(unsigned char *p, size_t len, uint64_t *s)
{
	const uint64_t base = 0x7f3a12000000ULL + (rng(s) << 12);

	for (size_t i = 0; i < len; i += 8) {
		uint64_t r = rng(s), w;

		switch (r % 4) {
		case 0: w = base + (r >> 8) % 65536 * 16; break;
		case 1: w = r >> 24 & 0xff; break;
		case 2: w = 0; break;
		default: w = 0x0000002000000001ULL; break; /* a refcount and type */
		}
		memcpy(p + i, &w, len - i < 8 ? len - i : 8);
	}
}

static void fill(unsigned char *p, size_t len, enum kind kind, uint64_t seed)
{
	uint64_t s = seed * 2654435761ULL + kind;

	switch (kind) {
	case ZEROS: memset(p, 0, len); break;
	case RANDOM: for (size_t i = 0; i < len; i++) p[i] = (unsigned char)rng(&s); break;
	case TEXT: fill_text(p, len, &s); break;
	case PATTERN: fill_pattern(p, len, &s); break;
	case HEAP: fill_heap(p, len, &s); break;
	default:        /* a quarter each of text, zeros, random and heap */
		fill(p, len / 4, TEXT, seed);
		fill(p + len / 4, len / 4, ZEROS, seed);
		fill(p + len / 2, len / 4, RANDOM, seed);
		fill(p + 3 * len / 4, len - 3 * len / 4, HEAP, seed);
		break;
	}
}

/* ---- guarded buffers ---- */

static unsigned char *guarded(size_t len)
{
	unsigned char *p = malloc(len + GUARD);

	assert_non_null(p);
	memset(p, GUARD_BYTE, len + GUARD);
	return p;
}

static int guard_intact(const unsigned char *p, size_t len)
{
	for (size_t i = len; i < len + GUARD; i++)
		if (p[i] != GUARD_BYTE)
			return 0;
	return 1;
}

/* ---- every compressor at every level worth trying ---- */

typedef void ctx_test(const struct zswap_compressor *c, int level, void *ctx);

static void for_each_ctx(ctx_test *fn)
{
	for (unsigned int i = 0; zswap_compressor_at(i); i++) {
		const struct zswap_compressor *c = zswap_compressor_at(i);
		const int levels[] = { c->min_level, c->default_level, c->max_level };

		for (size_t l = 0; l < 3; l++) {
			void *ctx;

			if (l && levels[l] == levels[l - 1])
				continue;
			snprintf(where, sizeof(where), "%s level %d", c->name, levels[l]);
			ctx = c->ctx_new(levels[l]);
			check(ctx != NULL);
			fn(c, levels[l], ctx);
			c->ctx_free(ctx);
		}
	}
}

static void set_where(const struct zswap_compressor *c, int level, const char *what)
{
	snprintf(where, sizeof(where), "%s level %d, %s", c->name, level, what);
}

/* Decompress @n bytes of @comp and expect @page back, guard intact. */
static void check_back(const struct zswap_compressor *c, void *ctx, const unsigned char *comp,
		       long n, const unsigned char *page, size_t len)
{
	unsigned char *out = guarded(len);

	check(c->decompress(ctx, comp, (size_t)n, out, len) == 0);
	check(memcmp(out, page, len) == 0);
	check(guard_intact(out, len));
	free(out);
}

/* ---- the table ---- */

static void test_table(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < NNAMES; i++) {
		const struct zswap_compressor *c = zswap_compressor_at(i);

		assert_non_null(c);
		assert_string_equal(c->name, names[i]);
		assert_ptr_equal(zswap_compressor_find(names[i]), c);
		assert_true(c->ctx_new && c->ctx_free && c->compress && c->decompress);
		/* levels: none at all, or a range of positive ones (0: "default") */
		if (c->max_level) {
			assert_true(c->min_level >= 1);
			assert_true(c->min_level <= c->default_level);
			assert_true(c->default_level <= c->max_level);
		} else {
			assert_int_equal(c->min_level, 0);
			assert_int_equal(c->default_level, 0);
		}
	}
	assert_null(zswap_compressor_at(NNAMES));
	assert_null(zswap_compressor_at(-1u));
	assert_null(zswap_compressor_find("lz5"));
	assert_null(zswap_compressor_find("LZ4"));
	assert_null(zswap_compressor_find(""));
	assert_null(zswap_compressor_find(NULL));
}

/* The level ranges are the libraries' own. */
static void test_levels(void **state)
{
	const struct zswap_compressor *hc = zswap_compressor_find("lz4hc");
	const struct zswap_compressor *zstd = zswap_compressor_find("zstd");
	const struct zswap_compressor *deflate = zswap_compressor_find("deflate");

	(void)state;
	assert_int_equal(hc->min_level, LZ4HC_CLEVEL_MIN);
	assert_int_equal(hc->default_level, LZ4HC_CLEVEL_DEFAULT);
	assert_int_equal(hc->max_level, LZ4HC_CLEVEL_MAX);
	assert_int_equal(zstd->min_level, 1);
	assert_int_equal(zstd->default_level, ZSTD_CLEVEL_DEFAULT);
	assert_int_equal(zstd->max_level, ZSTD_maxCLevel());
	assert_int_equal(deflate->min_level, 1);
	assert_int_equal(deflate->default_level, 6);
	assert_int_equal(deflate->max_level, 9);
}

/* ---- round trips ---- */

static void round_trips(const struct zswap_compressor *c, int level, void *ctx)
{
	unsigned char page[PAGE];
	unsigned char *comp = guarded(BIG_CAP);

	for (int kind = 0; kind < NKINDS; kind++) {
		for (uint64_t seed = 1; seed <= 3; seed++) {
			long n;

			set_where(c, level, kind_names[kind]);
			fill(page, PAGE, kind, seed);
			n = c->compress(ctx, page, PAGE, comp, BIG_CAP);
			check(n > 0 && n <= BIG_CAP);
			check(guard_intact(comp, BIG_CAP));
			if (kind == ZEROS)
				check(n < 64);
			else if (kind != RANDOM)
				check(n < PAGE);
			check_back(c, ctx, comp, n, page, PAGE);
		}
	}
	free(comp);
}

static void test_round_trip(void **state)
{
	(void)state;
	for_each_ctx(round_trips);
}

/* Inputs of other sizes than a page: lzo's scratch buffer has to grow. */
static void odd_sizes(const struct zswap_compressor *c, int level, void *ctx)
{
	static const size_t sizes[] = { 0, 1, 17, 1000, PAGE - 1, PAGE + 1, 3 * PAGE, 65537 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		const size_t len = sizes[i], cap = len + 64;    /* below lzo's bound */
		unsigned char *page = malloc(len + 1), *comp = guarded(cap);
		long n;

		assert_non_null(page);
		snprintf(where, sizeof(where), "%s level %d, %zu bytes", c->name, level, len);
		fill(page, len, TEXT, len);
		n = c->compress(ctx, page, len, comp, cap);
		check(n > 0 && (size_t)n <= cap);
		check(guard_intact(comp, cap));
		check_back(c, ctx, comp, n, page, len);
		free(comp);
		free(page);
	}
}

static void test_odd_sizes(void **state)
{
	(void)state;
	for_each_ctx(odd_sizes);
}

/* ---- what does not fit ---- */

/* Compress into exactly @cap bytes with a guard after them. */
static long compress_capped(const struct zswap_compressor *c, void *ctx, const unsigned char *page,
			    size_t cap, unsigned char **out)
{
	long n;

	*out = guarded(cap);
	n = c->compress(ctx, page, PAGE, *out, cap);
	check(guard_intact(*out, cap));
	return n;
}

static void fit(const struct zswap_compressor *c, int level, void *ctx)
{
	unsigned char page[PAGE], *big, *out;

	for (int kind = 0; kind < NKINDS; kind++) {
		long n, m;

		set_where(c, level, kind_names[kind]);
		fill(page, PAGE, kind, 7);
		n = compress_capped(c, ctx, page, BIG_CAP, &big);
		check(n > 0);

		/* one byte short: does not fit */
		check(compress_capped(c, ctx, page, (size_t)n - 1, &out) == 0);
		free(out);

		/* exactly enough: the same bytes */
		m = compress_capped(c, ctx, page, (size_t)n, &out);
		check(m == n && memcmp(out, big, (size_t)n) == 0);
		free(out);

		/* a page: what zswap asks for */
		m = compress_capped(c, ctx, page, PAGE, &out);
		check(m == (n <= PAGE ? n : 0));
		if (m)
			check_back(c, ctx, out, m, page, PAGE);
		free(out);
		free(big);
	}

	/* a tiny buffer, or none at all, for text */
	fill(page, PAGE, TEXT, 7);
	for (size_t cap = 0; cap <= 16; cap += 8) {
		set_where(c, level, "text into a tiny buffer");
		check(compress_capped(c, ctx, page, cap, &out) == 0);
		free(out);
	}
}

static void test_fit(void **state)
{
	(void)state;
	for_each_ctx(fit);
}

/* ---- damaged input ---- */

/* Decompress @n bytes into @len with a guard; returns the result. */
static int decompress_guarded(const struct zswap_compressor *c, void *ctx, const unsigned char *comp,
			      size_t n, size_t len)
{
	unsigned char *out = guarded(len);
	int ret = c->decompress(ctx, comp, n, out, len);

	check(guard_intact(out, len));
	free(out);
	return ret;
}

static void damaged(const struct zswap_compressor *c, int level, void *ctx)
{
	unsigned char page[PAGE], comp[BIG_CAP + 1];
	uint64_t s = 99;
	long n;

	set_where(c, level, "damaged");
	fill(page, PAGE, MIXED, 3);
	n = c->compress(ctx, page, PAGE, comp, BIG_CAP);
	check(n > 8);

	/* cut short, or with a byte after the end */
	check(decompress_guarded(c, ctx, comp, 0, PAGE) == -EIO);
	check(decompress_guarded(c, ctx, comp, 1, PAGE) == -EIO);
	check(decompress_guarded(c, ctx, comp, (size_t)n / 2, PAGE) == -EIO);
	check(decompress_guarded(c, ctx, comp, (size_t)n - 1, PAGE) == -EIO);
	comp[n] = 0;
	check(decompress_guarded(c, ctx, comp, (size_t)n + 1, PAGE) == -EIO);

	/* sound data, the wrong size asked for */
	check(decompress_guarded(c, ctx, comp, (size_t)n, PAGE - 1) == -EIO);
	check(decompress_guarded(c, ctx, comp, (size_t)n, PAGE + 1) == -EIO);
	check(decompress_guarded(c, ctx, comp, (size_t)n, PAGE / 2) == -EIO);
	check(decompress_guarded(c, ctx, comp, (size_t)n, 2 * PAGE) == -EIO);
	check(decompress_guarded(c, ctx, comp, (size_t)n, 0) == -EIO);

	/* any bit flipped: damage found, or some page; never a crash */
	for (long i = 0; i < n; i++) {
		int ret;

		comp[i] ^= (unsigned char)(1u << (i % 8));
		ret = decompress_guarded(c, ctx, comp, (size_t)n, PAGE);
		check(ret == 0 || ret == -EIO);
		comp[i] ^= (unsigned char)(1u << (i % 8));
	}

	/* noise */
	for (int i = 0; i < 300; i++) {
		size_t len = rng(&s) % (BIG_CAP + 1);
		int ret;

		for (size_t j = 0; j < len; j++)
			comp[j] = (unsigned char)rng(&s);
		ret = decompress_guarded(c, ctx, comp, len, PAGE);
		check(ret == 0 || ret == -EIO);
	}
}

static void test_damaged(void **state)
{
	(void)state;
	for_each_ctx(damaged);
}

/*
 * zstd reads more than one frame, skippable frames and (as Debian builds it)
 * pre-1.0 formats; what it did not write itself is damage.
 */
static void test_zstd_one_frame(void **state)
{
	static const unsigned char skippable[] = { 0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 'h', 'i' };
	const struct zswap_compressor *c = zswap_compressor_find("zstd");
	unsigned char page[PAGE], comp[BIG_CAP + sizeof(skippable)];
	void *ctx = c->ctx_new(c->default_level);
	long n;

	(void)state;
	snprintf(where, sizeof(where), "zstd, a skippable frame");
	assert_non_null(ctx);
	fill(page, PAGE, TEXT, 5);
	n = c->compress(ctx, page, PAGE, comp + sizeof(skippable), BIG_CAP);
	assert_true(n > 0);
	memcpy(comp, skippable, sizeof(skippable));
	/* before the page's frame, and after it */
	check(decompress_guarded(c, ctx, comp, (size_t)n + sizeof(skippable), PAGE) == -EIO);
	memmove(comp, comp + sizeof(skippable), (size_t)n);
	memcpy(comp + n, skippable, sizeof(skippable));
	check(decompress_guarded(c, ctx, comp, (size_t)n + sizeof(skippable), PAGE) == -EIO);
	/* and alone, it is sound */
	check(decompress_guarded(c, ctx, comp, (size_t)n, PAGE) == 0);
	c->ctx_free(ctx);
}

/* ---- contexts reused ---- */

/*
 * One context through REUSE_PAGES pages, with failures between them (no
 * room, damaged input), must give what a new context gives for each.
 */
static void reuse(const struct zswap_compressor *c, int level, void *ctx)
{
	unsigned char page[PAGE], a[BIG_CAP], b[BIG_CAP], junk[64] = { 0x42 };

	for (int i = 0; i < REUSE_PAGES; i++) {
		const enum kind kind = (enum kind)(i % NKINDS);
		void *fresh = c->ctx_new(level);
		long n, m;

		snprintf(where, sizeof(where), "%s level %d, page %d", c->name, level, i);
		check(fresh != NULL);
		fill(page, PAGE, kind, (uint64_t)i);
		if (i % 7 == 0) {
			check(c->compress(ctx, page, PAGE, a, 16) == 0);
			check(c->decompress(ctx, junk, sizeof(junk), b, PAGE) == -EIO);
		}
		n = c->compress(ctx, page, PAGE, a, BIG_CAP);
		m = c->compress(fresh, page, PAGE, b, BIG_CAP);
		check(n > 0 && n == m && memcmp(a, b, (size_t)n) == 0);
		check(c->decompress(ctx, a, (size_t)n, b, PAGE) == 0);
		check(memcmp(b, page, PAGE) == 0);
		c->ctx_free(fresh);
	}
}

static void test_reuse(void **state)
{
	(void)state;
	for_each_ctx(reuse);
}

/* ---- threads ---- */

/* Each thread its own contexts, made at the same time: lzo's init runs once. */
static void *thread_main(void *arg)
{
	uintptr_t failures = 0;
	unsigned char page[PAGE], comp[BIG_CAP], back[PAGE];

	for (unsigned int ci = 0; zswap_compressor_at(ci); ci++) {
		const struct zswap_compressor *c = zswap_compressor_at(ci);
		void *ctx = c->ctx_new(c->default_level);

		if (!ctx)
			return (void *)(uintptr_t)-1;
		for (int i = 0; i < THREAD_PAGES; i++) {
			long n;

			fill(page, PAGE, (enum kind)(i % NKINDS), (uintptr_t)arg * 1000 + (uint64_t)i);
			n = c->compress(ctx, page, PAGE, comp, BIG_CAP);
			failures += n <= 0 || c->decompress(ctx, comp, (size_t)n, back, PAGE) ||
				    memcmp(back, page, PAGE);
		}
		c->ctx_free(ctx);
	}
	return (void *)failures;
}

static void test_threads(void **state)
{
	pthread_t t[THREADS];

	(void)state;
	for (uintptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_main, (void *)i), 0);
	for (int i = 0; i < THREADS; i++) {
		void *failures;

		assert_int_equal(pthread_join(t[i], &failures), 0);
		assert_ptr_equal(failures, NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_odd_sizes),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_zstd_one_frame),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
