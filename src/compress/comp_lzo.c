/*
 * comp_lzo.c - "lzo": LZO1X-1, over liblzo2
 *
 * lzo1x_1_compress() takes no output size: it may write up to
 * LZO_WORST(src_len) bytes, more than a page.  So unless the caller's buffer
 * is that large, a page is compressed into the context's scratch buffer and
 * copied out if it fits, as the kernel's zswap does with its two-page
 * buffer.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lzo/lzo1x.h>

#include "compress.h"

/* liblzo2's bound on LZO1X-1 output (its lzo1x.h and LZO.FAQ) */
#define LZO_WORST(n) ((n) + (n) / 16 + 64 + 3)

/* The scratch buffer starts with room for one page, what zswap compresses. */
#define LZO_SCRATCH_INPUT 4096

struct lzo_ctx {
	void *wrkmem;           /* LZO1X_1_MEM_COMPRESS bytes: the hash table */
	unsigned char *scratch; /* LZO_WORST(scratch_input) bytes */
	size_t scratch_input;
};

static pthread_once_t lzo_once = PTHREAD_ONCE_INIT;
static bool lzo_ready;

/* lzo_init() checks that liblzo2 was built for this ABI; once is enough. */
static void lzo_init_once(void)
{
	lzo_ready = lzo_init() == LZO_E_OK;
}

static void lzo_ctx_free(void *ctx)
{
	struct lzo_ctx *c = ctx;

	if (!c)
		return;
	free(c->wrkmem);
	free(c->scratch);
	free(c);
}

static void *lzo_ctx_new(int level)
{
	struct lzo_ctx *c;

	(void)level;
	pthread_once(&lzo_once, lzo_init_once);
	if (!lzo_ready)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->wrkmem = malloc(LZO1X_1_MEM_COMPRESS);
	c->scratch = malloc(LZO_WORST(LZO_SCRATCH_INPUT));
	c->scratch_input = LZO_SCRATCH_INPUT;
	if (!c->wrkmem || !c->scratch) {
		lzo_ctx_free(c);
		return NULL;
	}
	return c;
}

/* Room in scratch for @src_len of input; false when out of memory. */
static bool grow_scratch(struct lzo_ctx *c, size_t src_len)
{
	unsigned char *p;

	if (src_len <= c->scratch_input)
		return true;
	p = realloc(c->scratch, LZO_WORST(src_len));
	if (!p)
		return false;
	c->scratch = p;
	c->scratch_input = src_len;
	return true;
}

static long lzo_compress(void *ctx, const void *src, size_t src_len, void *dst, size_t dst_cap)
{
	struct lzo_ctx *c = ctx;
	unsigned char *out = dst;
	lzo_uint out_len;

	if (src_len > SIZE_MAX / 2)     /* LZO_WORST() would overflow */
		return -EIO;
	if (dst_cap < LZO_WORST(src_len)) {
		if (!grow_scratch(c, src_len))
			return -EIO;
		out = c->scratch;
	}
	if (lzo1x_1_compress(src, src_len, out, &out_len, c->wrkmem) != LZO_E_OK)
		return -EIO;
	if (out_len > dst_cap)
		return 0;
	if (out != dst)
		memcpy(dst, out, out_len);
	return (long)out_len;
}

static int lzo_decompress(void *ctx, const void *src, size_t src_len, void *dst, size_t dst_len)
{
	lzo_uint out_len = dst_len;     /* in: room; out: bytes written */

	(void)ctx;
	/* LZO_E_INPUT_NOT_CONSUMED (bytes after the end marker) is damage too */
	if (lzo1x_decompress_safe(src, src_len, dst, &out_len, NULL) != LZO_E_OK)
		return -EIO;
	return out_len == dst_len ? 0 : -EIO;
}

const struct zswap_compressor zswap_compressor_lzo = {
	.name = "lzo",
	.ctx_new = lzo_ctx_new,
	.ctx_free = lzo_ctx_free,
	.compress = lzo_compress,
	.decompress = lzo_decompress,
};
