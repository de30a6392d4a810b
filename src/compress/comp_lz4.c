/*
 * comp_lz4.c - "lz4" and "lz4hc", over liblz4
 *
 * Both write plain LZ4 blocks, which one decoder reads.  Each context keeps
 * liblz4's state, allocated once:
 *
 *  - lz4: LZ4_compress_fast_extState() clears its 16 KiB table per page,
 *    which costs little, and on an input under 64 KiB uses 16-bit table
 *    entries.  The streaming calls, which skip the clearing, use 32-bit
 *    ones: 40% slower and a worse ratio on 4 KiB pages.
 *  - lz4hc: LZ4_compress_HC_extStateHC() would clear 256 KiB per page; a
 *    stream reset with LZ4_resetStreamHC_fast() drops the previous page's
 *    history without that, for the same output 5-10% faster below the
 *    optimal-parsing levels (10-12).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <lz4.h>
#include <lz4hc.h>

#include "compress.h"

/* The kernel's lz4 runs at LZ4_ACCELERATION_DEFAULT: the best ratio. */
#define LZ4_ACCELERATION 1

struct lz4hc_ctx {
	LZ4_streamHC_t stream;
	int level;
};

/* liblz4 counts in int; a page store never comes near, but say so. */
static int cap_to_int(size_t n)
{
	return n > INT_MAX ? INT_MAX : (int)n;
}

static void *lz4_ctx_new(int level)
{
	(void)level;
	return malloc((size_t)LZ4_sizeofState());
}

static long lz4_compress(void *ctx, const void *src, size_t src_len, void *dst, size_t dst_cap)
{
	if (src_len > LZ4_MAX_INPUT_SIZE)
		return -EIO;
	/* 0 when it does not fit, never more than dst_cap bytes written */
	return LZ4_compress_fast_extState(ctx, src, dst, (int)src_len, cap_to_int(dst_cap),
					  LZ4_ACCELERATION);
}

static void *lz4hc_ctx_new(int level)
{
	struct lz4hc_ctx *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	if (!LZ4_initStreamHC(&c->stream, sizeof(c->stream))) {
		free(c);        /* misaligned: cannot happen with malloc() */
		return NULL;
	}
	c->level = level;
	return c;
}

static long lz4hc_compress(void *ctx, const void *src, size_t src_len, void *dst, size_t dst_cap)
{
	struct lz4hc_ctx *c = ctx;

	if (src_len > LZ4_MAX_INPUT_SIZE)
		return -EIO;
	/* After a page that did not fit, liblz4 clears the tables itself. */
	LZ4_resetStreamHC_fast(&c->stream, c->level);
	return LZ4_compress_HC_continue(&c->stream, src, dst, (int)src_len, cap_to_int(dst_cap));
}

static void lz4_ctx_free(void *ctx)
{
	free(ctx);
}

static int lz4_decompress(void *ctx, const void *src, size_t src_len, void *dst, size_t dst_len)
{
	(void)ctx;
	if (src_len > INT_MAX || dst_len > INT_MAX)
		return -EIO;
	/* negative when damaged; a block that ends early is short */
	if (LZ4_decompress_safe(src, dst, (int)src_len, (int)dst_len) != (int)dst_len)
		return -EIO;
	return 0;
}

const struct zswap_compressor zswap_compressor_lz4 = {
	.name = "lz4",
	.ctx_new = lz4_ctx_new,
	.ctx_free = lz4_ctx_free,
	.compress = lz4_compress,
	.decompress = lz4_decompress,
};

const struct zswap_compressor zswap_compressor_lz4hc = {
	.name = "lz4hc",
	.min_level = LZ4HC_CLEVEL_MIN,
	.max_level = LZ4HC_CLEVEL_MAX,
	.default_level = LZ4HC_CLEVEL_DEFAULT,
	.ctx_new = lz4hc_ctx_new,
	.ctx_free = lz4_ctx_free,
	.compress = lz4hc_compress,
	.decompress = lz4_decompress,
};
