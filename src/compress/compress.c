/*
 * compress.c - the table of compressors
 *
 * To add one: write comp_NAME.c defining a `const struct zswap_compressor`, and
 * add it here.  The order is the one zswap_compressor_name() lists, lz4
 * (the default) first.
 */
#include <string.h>

#include "compress.h"

static const struct zswap_compressor *const compressors[] = {
	&zswap_compressor_lz4,
	&zswap_compressor_lz4hc,
	&zswap_compressor_zstd,
	&zswap_compressor_lzo,
	&zswap_compressor_deflate,
};

#define NCOMPRESSORS (sizeof(compressors) / sizeof(compressors[0]))

const struct zswap_compressor *zswap_compressor_find(const char *name)
{
	for (size_t i = 0; name && i < NCOMPRESSORS; i++)
		if (!strcmp(compressors[i]->name, name))
			return compressors[i];
	return NULL;
}

const struct zswap_compressor *zswap_compressor_at(unsigned int i)
{
	return i < NCOMPRESSORS ? compressors[i] : NULL;
}
