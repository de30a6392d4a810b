/*
 * fuzz_codecs.c - any bytes as the lists of `--compressor` and `--zpool`
 * (engine/estimate/codec.c, which `zbud estimate` and `zbud bench store`
 * share)
 *
 * For every input: est_codecs_parse() and est_zpools_parse() return how
 * many, at most the room given, never writing past it, each a known name
 * at a level in its range, none twice; or -1 with a printable reason.
 */
#include <string.h>

#include "codec.h"
#include "fuzz.h"
#include "zpool.h"

#define ROOM 4                          /* small, so that "too many" is reached */

static void check_why(const char *why)
{
	FUZZ_CHECK(*why, "no reason");
	for (const char *c = why; *c; c++)
		FUZZ_CHECK((unsigned char)*c >= ' ', "unprintable reason");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct est_codec k[ROOM + 1];
	const char *name[ROOM + 1];
	char arg[512], why[256] = "";
	int n;

	if (size >= sizeof(arg))
		return 0;
	memcpy(arg, data, size);
	arg[size] = '\0';
	memset(k, 0xa5, sizeof(k));
	n = est_codecs_parse(arg, k, ROOM, why, sizeof(why));
	FUZZ_CHECK(n == -1 || (n >= 1 && n <= ROOM), "%d compressors", n);
	if (n < 0)
		check_why(why);
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(k[i].comp && zswap_compressor_find(k[i].comp->name) == k[i].comp,
			   "compressor %d unknown", i);
		FUZZ_CHECK(!k[i].comp->max_level || (k[i].level >= k[i].comp->min_level &&
						     k[i].level <= k[i].comp->max_level),
			   "level %d out of range", k[i].level);
		for (int j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(k[i].label, k[j].label), "%s twice", k[i].label);
	}
	FUZZ_CHECK(((unsigned char *)&k[ROOM])[0] == 0xa5, "written past the room");
	memcpy(arg, data, size);
	arg[size] = '\0';
	name[ROOM] = NULL;
	n = est_zpools_parse(arg, name, ROOM, size & 1, why, sizeof(why));
	FUZZ_CHECK(n == -1 || (n >= 1 && n <= ROOM), "%d zpools", n);
	if (n < 0)
		check_why(why);
	for (int i = 0; i < n; i++)
		FUZZ_CHECK(zpool_has_pool(name[i]) || !strcmp(name[i], EST_IDEAL), "zpool %s", name[i]);
	FUZZ_CHECK(!name[ROOM], "written past the room");
	return 0;
}
