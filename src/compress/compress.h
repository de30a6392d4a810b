/*
 * compress.h - the compressors, behind one small table (internal)
 *
 * struct zswap_compressor is in zswap.h, for static linking: the tools
 * measure every compressor page by page.  Each is a thin layer over
 * Debian's own library (liblz4, libzstd, liblzo2, zlib): nothing here
 * compresses by itself.
 */
#ifndef ZBUD_COMPRESS_H
#define ZBUD_COMPRESS_H

#define ZSWAP_STATIC_LINKING_ONLY
#include "zswap.h"

/* One file each: comp_lz4.c (both), comp_zstd.c, comp_lzo.c, comp_deflate.c. */
extern const struct zswap_compressor zswap_compressor_lz4, zswap_compressor_lz4hc, zswap_compressor_zstd,
	zswap_compressor_lzo, zswap_compressor_deflate;

#endif /* ZBUD_COMPRESS_H */
