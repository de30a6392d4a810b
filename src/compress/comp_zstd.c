/*
 * comp_zstd.c - "zstd", over libzstd
 *
 * A context holds one compression and one decompression context, made once:
 * zstd keeps its tables and workspace in them between calls.  A page is one
 * plain zstd frame, with its size in the header and no checksum (zswap
 * keeps none).  ZSTD_compressCCtx() is told the page size, so zstd already
 * shrinks its window and tables to fit a 4 KiB input.
 *
 * zstd needs room beyond what it writes (its bit writers store a word at a
 * time): given N bytes, it fails on a page that would come to N or a few
 * bytes less.  So unless dst has room for the worst case, a page is
 * compressed into the context's scratch buffer, which has, and copied if it
 * fits.  Inputs larger than a page go straight to dst and may want those
 * few bytes more.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "compress.h"

/*
 * The regular levels, 1..ZSTD_maxCLevel().  That is a call and the table
 * wants a constant: 22, which test_compress checks.  The negative ("fast")
 * levels are left out: on 4 KiB pages none beats lz4 on both speed and
 * ratio, and all decompress at zstd's pace, a fifth of lz4's.
 */
#define ZSTD_LEVEL_MAX 22

#define ZSTD_SCRATCH_INPUT 4096 /* a page, what zswap compresses */

struct zstd_ctx {
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	int level;
	unsigned char scratch[ZSTD_COMPRESSBOUND(ZSTD_SCRATCH_INPUT)];
};

static void zstd_ctx_free(void *ctx)
{
	struct zstd_ctx *c = ctx;

	if (!c)
		return;
	ZSTD_freeCCtx(c->cctx);
	ZSTD_freeDCtx(c->dctx);
	free(c);
}

static void *zstd_ctx_new(int level)
{
	struct zstd_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cctx = ZSTD_createCCtx();
	c->dctx = ZSTD_createDCtx();
	c->level = level;
	if (!c->cctx || !c->dctx) {
		zstd_ctx_free(c);
		return NULL;
	}
	return c;
}

static long zstd_compress(void *ctx, const void *src, size_t src_len, void *dst, size_t dst_cap)
{
	struct zstd_ctx *c = ctx;
	const bool direct = dst_cap >= sizeof(c->scratch) || src_len > ZSTD_SCRATCH_INPUT;
	size_t n = ZSTD_compressCCtx(c->cctx, direct ? dst : c->scratch,
				     direct ? dst_cap : sizeof(c->scratch), src, src_len, c->level);

	if (ZSTD_isError(n))
		return ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall ? 0 : -EIO;
	if (!direct) {
		if (n > dst_cap)
			return 0;
		memcpy(dst, c->scratch, n);
	}
	return (long)n;
}

/*
 * Exactly one zstd frame: libzstd would also decode skippable frames and,
 * as Debian builds it, frames of the pre-1.0 formats, with decoders of
 * their own.  Nothing here writes either, so neither is let in.
 */
static bool one_zstd_frame(const unsigned char *src, size_t src_len)
{
	uint32_t magic;

	if (src_len < 4)
		return false;
	magic = src[0] | (uint32_t)src[1] << 8 | (uint32_t)src[2] << 16 | (uint32_t)src[3] << 24;
	return magic == ZSTD_MAGICNUMBER && ZSTD_findFrameCompressedSize(src, src_len) == src_len;
}

static int zstd_decompress(void *ctx, const void *src, size_t src_len, void *dst, size_t dst_len)
{
	struct zstd_ctx *c = ctx;
	size_t n;

	if (!one_zstd_frame(src, src_len))
		return -EIO;
	n = ZSTD_decompressDCtx(c->dctx, dst, dst_len, src, src_len);
	return !ZSTD_isError(n) && n == dst_len ? 0 : -EIO;
}

const struct zswap_compressor zswap_compressor_zstd = {
	.name = "zstd",
	.min_level = 1,
	.max_level = ZSTD_LEVEL_MAX,
	.default_level = ZSTD_CLEVEL_DEFAULT,
	.ctx_new = zstd_ctx_new,
	.ctx_free = zstd_ctx_free,
	.compress = zstd_compress,
	.decompress = zstd_decompress,
};
