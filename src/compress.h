/*
 * compress.h - the compressors, behind one small table (internal)
 *
 * Each is a thin layer over Debian's own library (liblz4, libzstd, liblzo2,
 * zlib): nothing here compresses by itself.  A context holds what one
 * thread needs to compress and decompress (state tables, a zstd context, a
 * z_stream), made once and reused; a context is used by one thread at a time.
 */
#ifndef ZBUD_COMPRESS_H
#define ZBUD_COMPRESS_H

#include <stddef.h>

struct compressor {
	const char *name;
	int min_level, max_level, default_level; /* all 0: no levels */
	/* a context at @level (already checked); NULL when out of memory */
	void *(*ctx_new)(int level);
	void (*ctx_free)(void *ctx);
	/*
	 * Compress @src_len bytes into @dst of @dst_cap bytes.  Returns the
	 * compressed length, 0 when it does not fit in @dst_cap, or -EIO when
	 * the library fails.
	 */
	long (*compress)(void *ctx, const void *src, size_t src_len, void *dst, size_t dst_cap);
	/*
	 * Decompress into exactly @dst_len bytes.  Returns 0, or -EIO when the
	 * input is damaged or does not come to @dst_len bytes.
	 */
	int (*decompress)(void *ctx, const void *src, size_t src_len, void *dst, size_t dst_len);
};

/* One file each: comp_lz4.c (both), comp_zstd.c, comp_lzo.c, comp_deflate.c. */
extern const struct compressor compressor_lz4, compressor_lz4hc, compressor_zstd,
	compressor_lzo, compressor_deflate;

/* compressor_find - by name; NULL when unknown */
const struct compressor *compressor_find(const char *name);

/* compressor_at - the @i-th compressor; NULL past the last */
const struct compressor *compressor_at(unsigned int i);

#endif /* ZBUD_COMPRESS_H */
