/*
 * comp_deflate.c - "deflate": raw deflate (RFC 1951), over zlib
 *
 * Raw, without zlib's header and Adler-32 trailer, as the kernel's crypto
 * "deflate" writes it: zswap keeps the length, and a checksum would cost
 * 6 bytes a page.  A context keeps one z_stream to deflate and one to
 * inflate, set up once; each page only resets them, which keeps their
 * buffers (deflateInit2() allocates some 256 KiB).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#define ZLIB_CONST      /* next_in points to const */
#include <zlib.h>

#include "compress.h"

/*
 * A 32 KiB window, zlib's largest, where the kernel takes 2 KiB
 * (DEFLATE_DEF_WINBITS 11) to save memory: on 4 KiB pages the larger one
 * finds matches up to a page back, for a 0.7% better ratio.  Passed
 * negated: raw deflate.
 */
#define DEFLATE_WINBITS 15
#define DEFLATE_MEMLEVEL 8      /* zlib's default; the kernel's 9 gained nothing */
#define DEFLATE_DEFAULT_LEVEL 6 /* what Z_DEFAULT_COMPRESSION means */

struct deflate_ctx {
	z_stream def;
	z_stream inf;
};

static void *deflate_ctx_new(int level)
{
	struct deflate_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (deflateInit2(&c->def, level, Z_DEFLATED, -DEFLATE_WINBITS, DEFLATE_MEMLEVEL,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		goto free_ctx;
	/* The largest window reads what any window size wrote. */
	if (inflateInit2(&c->inf, -MAX_WBITS) != Z_OK)
		goto end_deflate;
	return c;

end_deflate:
	deflateEnd(&c->def);
free_ctx:
	free(c);
	return NULL;
}

static void deflate_ctx_free(void *ctx)
{
	struct deflate_ctx *c = ctx;

	if (!c)
		return;
	deflateEnd(&c->def);
	inflateEnd(&c->inf);
	free(c);
}

static long deflate_compress(void *ctx, const void *src, size_t src_len, void *dst, size_t dst_cap)
{
	z_stream *s = &((struct deflate_ctx *)ctx)->def;
	int ret;

	if (src_len > UINT_MAX || deflateReset(s) != Z_OK)
		return -EIO;
	s->next_in = src;
	s->avail_in = (uInt)src_len;
	s->next_out = dst;
	s->avail_out = dst_cap > UINT_MAX ? UINT_MAX : (uInt)dst_cap;
	ret = deflate(s, Z_FINISH);
	if (ret == Z_OK && !s->avail_out) {
		/*
		 * A full buffer: zlib says Z_OK even when the stream ended
		 * exactly at its end.  Ask again with one byte of room, which
		 * a finished stream leaves unused.
		 */
		unsigned char spare;

		s->next_out = &spare;
		s->avail_out = 1;
		ret = deflate(s, Z_FINISH);
		if (!s->avail_out)
			return 0;
	}
	if (ret == Z_STREAM_END)
		return (long)s->total_out;
	/* Z_OK: the output is full and more is to come; Z_BUF_ERROR: no room at all */
	return ret == Z_OK || ret == Z_BUF_ERROR ? 0 : -EIO;
}

static int deflate_decompress(void *ctx, const void *src, size_t src_len, void *dst, size_t dst_len)
{
	z_stream *s = &((struct deflate_ctx *)ctx)->inf;

	if (src_len > UINT_MAX || dst_len > UINT_MAX || inflateReset(s) != Z_OK)
		return -EIO;
	s->next_in = src;
	s->avail_in = (uInt)src_len;
	s->next_out = dst;
	s->avail_out = (uInt)dst_len;
	/* Complete, exactly dst_len bytes, and no bytes left after the end. */
	if (inflate(s, Z_FINISH) != Z_STREAM_END || s->avail_in || s->total_out != dst_len)
		return -EIO;
	return 0;
}

const struct zswap_compressor zswap_compressor_deflate = {
	.name = "deflate",
	.min_level = 1,         /* 0 would store the page as it is */
	.max_level = 9,
	.default_level = DEFLATE_DEFAULT_LEVEL,
	.ctx_new = deflate_ctx_new,
	.ctx_free = deflate_ctx_free,
	.compress = deflate_compress,
	.decompress = deflate_decompress,
};
