/*
 * codec.h - compressors at a level, and allocators, as the tools' options
 * name them: "--compressor lz4,zstd:3 --zpool zbud,zsmalloc"
 *
 * Every list of names, in help texts and in errors, comes from the tables
 * (zswap_compressor_at(), zpool_driver_name()): a compressor or allocator
 * added there is known here with no change.
 */
#ifndef ZBUD_CODEC_H
#define ZBUD_CODEC_H

#define ZSWAP_STATIC_LINKING_ONLY
#include <stdbool.h>
#include <stddef.h>

#include "zswap.h"

#define EST_MAX_CODECS 16
#define EST_MAX_ZPOOLS 8
#define EST_IDEAL "ideal"               /* not a driver: ceil(bytes / 4096) */

struct est_codec {
	const struct zswap_compressor *comp;
	int level;                      /* 0 for those without levels */
	char label[24];                 /* "zstd", or "zstd:3" when a level was named */
};

/* est_codecs_default - each compressor at its default level; how many */
int est_codecs_default(struct est_codec *k, int max);

/*
 * est_codecs_parse - "NAME[:LEVEL],..." (@arg is cut up) into @k[0..@max)
 *
 * Returns how many, or -1 with one line in @why: an unknown name (and the
 * known ones), a level out of range or on a compressor without levels, more
 * than @max, or none.
 */
int est_codecs_parse(char *arg, struct est_codec *k, int max, char *why, size_t len);

/* est_zpools_default - each allocator built in, then EST_IDEAL when
 * @ideal; how many */
int est_zpools_default(const char **name, int max, bool ideal);

/* est_zpools_parse - "NAME,..." into @name[0..@max), as est_codecs_parse();
 * EST_IDEAL is known when @ideal.  @name points into @arg. */
int est_zpools_parse(char *arg, const char **name, int max, bool ideal, char *why, size_t len);

/* est_known - "a, b, c" from a table of names (@name(i), NULL past the
 * last), and EST_IDEAL after them when @ideal, into @buf */
const char *est_known(const char *(*name)(unsigned int), bool ideal, char *buf, size_t len);

#endif /* ZBUD_CODEC_H */
