/*
 * fuzz_decompress.c - no input crashes a decompressor; every page comes back
 *
 *   byte 0    the compressor (mod 5, zswap_compressor_at()) and its level:
 *             (byte 0 / 5) mod 3 picks the default, lowest or highest
 *   the rest  (a) taken as a compressed page and decompressed into 4096
 *                 bytes: 0 or -EIO, and not a byte written past them;
 *             (b) taken as a page, cut or padded with zeros to 4096 bytes,
 *                 compressed and decompressed: the same bytes back.  The
 *                 compressor writes nothing past the room it is given and
 *                 fails exactly when its output does not fit;
 *             (c) that compressed page damaged, as its last 4 bytes say
 *                 (where, which bits, how much to cut off the end), and
 *                 decompressed: 0 or -EIO, as (a).
 *
 * (c) is there because libFuzzer sees only this file's coverage, not that
 * of Debian's uninstrumented libraries: it seldom turns random bytes into
 * a stream a decoder reads far, where a damaged real one gets deep.
 *
 * Each output buffer is followed by a guard zone that must stay as it was.
 * Contexts are made once per compressor and level and kept: zswap reuses
 * them for every page, so a context left broken by one input should show on
 * a later one.
 */
#define ZSWAP_STATIC_LINKING_ONLY
#include <errno.h>
#include <string.h>

#include "zswap.h"
#include "fuzz.h"

#define PAGE 4096
#define BIG_CAP (2 * PAGE)      /* above every compressor's bound for a page */
#define GUARD 64
#define GUARD_BYTE 0xa5
#define NCOMP 5
#define NLEVELS 3

static void *contexts[NCOMP][NLEVELS];

static const unsigned char guard[GUARD] = { [0 ... GUARD - 1] = GUARD_BYTE };

/* @len bytes of room followed by the guard; in static storage, reused. */
static unsigned char *guarded(unsigned char *buf, size_t len)
{
	memcpy(buf + len, guard, GUARD);
	return buf;
}

static void check_guard(const unsigned char *buf, size_t len, const char *what)
{
	FUZZ_CHECK(!memcmp(buf + len, guard, GUARD), "%s wrote past %zu bytes", what, len);
}

static long compress_into(const struct zswap_compressor *c, void *ctx, const unsigned char *page,
			  unsigned char *out, size_t cap)
{
	long n = c->compress(ctx, page, PAGE, guarded(out, cap), cap);

	check_guard(out, cap, "compress");
	FUZZ_CHECK(n >= 0 && (size_t)n <= cap, "%s: compress returned %ld with room for %zu",
		   c->name, n, cap);
	return n;
}

/* Decompress @n bytes of @src into a page: 0 or -EIO, nothing written past it. */
static void decompress_any(const struct zswap_compressor *c, void *ctx, const unsigned char *src,
			   size_t n)
{
	static unsigned char out[PAGE + GUARD];
	int ret = c->decompress(ctx, src, n, guarded(out, PAGE), PAGE);

	check_guard(out, PAGE, "decompress");
	FUZZ_CHECK(ret == 0 || ret == -EIO, "%s: decompress returned %d", c->name, ret);
}

/* (c): @comp, @n bytes of a sound page, damaged as @how's 4 bytes say */
static void damage(const struct zswap_compressor *c, void *ctx, unsigned char *comp, size_t n,
		   const uint8_t *how)
{
	const size_t at = (how[0] | (size_t)how[1] << 8) % n;
	const size_t cut = how[3] % 4 ? 0 : how[3] / 4 % n;

	comp[at] ^= how[2] ? how[2] : 0x80;
	decompress_any(c, ctx, comp, n - cut);
}

static void round_trip(const struct zswap_compressor *c, void *ctx, const uint8_t *data, size_t size)
{
	static unsigned char page[PAGE], big[BIG_CAP + GUARD], out[BIG_CAP + GUARD];
	long n, m;

	memset(page, 0, PAGE);
	memcpy(page, data, size < PAGE ? size : PAGE);

	n = compress_into(c, ctx, page, big, BIG_CAP);
	FUZZ_CHECK(n > 0, "%s: a page did not fit in %d bytes", c->name, BIG_CAP);
	FUZZ_CHECK(c->decompress(ctx, big, (size_t)n, guarded(out, PAGE), PAGE) == 0,
		   "%s: its own output of %ld bytes is damaged", c->name, n);
	check_guard(out, PAGE, "decompress");
	FUZZ_CHECK(!memcmp(out, page, PAGE), "%s: the page came back changed", c->name);

	/* one byte short of the room it needs: does not fit */
	m = compress_into(c, ctx, page, out, (size_t)n - 1);
	FUZZ_CHECK(m == 0, "%s: %ld bytes in room for %ld", c->name, m, n - 1);
	/* a page of room, as zswap gives: fits exactly when it is enough */
	m = compress_into(c, ctx, page, out, PAGE);
	FUZZ_CHECK(m == (n <= PAGE ? n : 0), "%s: %ld bytes, where %ld fit", c->name, m, n);
	FUZZ_CHECK(!m || !memcmp(out, big, (size_t)m), "%s: other bytes with less room", c->name);

	if (size >= 4)
		damage(c, ctx, big, (size_t)n, data + size - 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct zswap_compressor *c;
	unsigned int ci, li;
	int levels[NLEVELS];
	void **ctx;

	if (size < 1)
		return 0;
	ci = data[0] % NCOMP;
	li = data[0] / NCOMP % NLEVELS;
	c = zswap_compressor_at(ci);
	FUZZ_CHECK(c != NULL, "no compressor %u", ci);
	levels[0] = c->default_level;
	levels[1] = c->min_level;
	levels[2] = c->max_level;
	ctx = &contexts[ci][li];
	if (!*ctx)
		*ctx = c->ctx_new(levels[li]);
	FUZZ_CHECK(*ctx != NULL, "%s: no context at level %d", c->name, levels[li]);
	data++;
	size--;

	decompress_any(c, *ctx, data, size);
	round_trip(c, *ctx, data, size);
	return 0;
}
