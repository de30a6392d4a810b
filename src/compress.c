/*
 * compress.c - the table of compressors
 *
 * To add one: write comp_NAME.c defining a `const struct compressor`, and
 * add it here.  The order is the one zswap_compressor_name() lists, lz4
 * (the default) first.
 */
#include <string.h>

#include "compress.h"

static const struct compressor *const compressors[] = {
	&compressor_lz4,
	&compressor_lz4hc,
	&compressor_zstd,
	&compressor_lzo,
	&compressor_deflate,
};

#define NCOMPRESSORS (sizeof(compressors) / sizeof(compressors[0]))

const struct compressor *compressor_find(const char *name)
{
	for (size_t i = 0; name && i < NCOMPRESSORS; i++)
		if (!strcmp(compressors[i]->name, name))
			return compressors[i];
	return NULL;
}

const struct compressor *compressor_at(unsigned int i)
{
	return i < NCOMPRESSORS ? compressors[i] : NULL;
}
