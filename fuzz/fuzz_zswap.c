/*
 * fuzz_zswap.c - the store against a plain map of pages: nothing is lost
 *
 * Input: byte 0 chooses the store (compressor, allocator, flags, a pool
 * limit, a backing file); then each operation is three bytes, OP KEY ARG:
 *
 *   OP % 5 == 0,1  store a page made from ARG and the next bytes under KEY
 *            2     load KEY: must give the map's page, or -ENOENT if absent
 *            3     invalidate KEY
 *            4     ARG < 128: zswap_shrink(ARG % 8) (with a backing file);
 *                  else zswap_compact()
 *
 * Byte 0's top bit backs the pools with 4 KiB pages (ZBUD_SOURCE_SMALLPAGES).
 * A store that returned 0 must load back byte for byte; a failed store
 * leaves the key absent; with exclusive loads a load drops the key.
 *
 * ZBUD_FUZZ_COMPRESSOR=NAME in the environment keeps every input to that
 * compressor (lz4 runs several times faster than zstd or deflate at their
 * levels), for long runs; byte 0's compressor bits are then ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "zpool.h"
#include "zswap.h"

#define PAGE ZSWAP_PAGE_SIZE
#define KEYS 16

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t next(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static unsigned count(const char *(*name)(unsigned int))
{
	unsigned n = 0;

	while (name(n))
		n++;
	return n;
}

/* Pages of every kind a store meets: same-filled, runs, text, noise. */
static void make_page(uint8_t *page, uint8_t kind, struct input *in)
{
	uint8_t a = next(in), b = next(in);
	uint32_t s = (uint32_t)a << 8 | b | 1;

	switch (kind % 4) {
	case 0:
		memset(page, a, PAGE);
		break;
	case 1:
		for (size_t i = 0; i < PAGE; i++)
			page[i] = (uint8_t)(i / (1 + b % 64) * a);
		break;
	case 2:
		for (size_t i = 0; i < PAGE; i++)
			page[i] = (uint8_t)("zbud page buddy chunk "[(i * a + b) % 22]);
		break;
	default:
		for (size_t i = 0; i < PAGE; i++) {
			s ^= s << 13, s ^= s >> 17, s ^= s << 5;
			page[i] = (uint8_t)s;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t model[KEYS][PAGE], page[PAGE], got[PAGE];
	static const char *only;
	static bool looked;
	struct input in = { data, size };
	uint8_t cfgbyte = next(&in), cfg2 = next(&in);
	bool present[KEYS] = { false };
	char path[64];
	struct zswap_config cfg = {
		.compressor = zswap_compressor_name(cfgbyte % count(zswap_compressor_name)),
		.zpool = zpool_driver_name((cfgbyte >> 3) % count(zpool_driver_name)),
		.flags = cfg2 & 0xf,
		.max_pool_bytes = (cfg2 & 0x10) ? (uint64_t)(1 + (cfgbyte >> 5)) * PAGE : 0,
		.shards = 1 + (cfg2 >> 6),
		/* Room for 16 pages of the largest blocks (zblock's 8 pages):
		 * no store fails for it, and an execution takes about 40% less
		 * CPU than with 64 GiB of address space a pool to map and unmap. */
		.arena_pages = KEYS * 8,
		.source_flags = cfgbyte & 0x80 ? ZBUD_SOURCE_SMALLPAGES : 0,
	};
	bool exclusive = cfg.flags & ZSWAP_EXCLUSIVE_LOADS;
	struct zswap *zs;

	if (!looked) {
		only = getenv("ZBUD_FUZZ_COMPRESSOR");
		looked = true;
	}
	if (only)
		cfg.compressor = only;

	if (cfg2 & 0x20) {
		snprintf(path, sizeof(path), "/tmp/fuzz-zswap-%d", (int)getpid());
		unlink(path);
		cfg.writeback_path = path;
	}
	zs = zswap_create(&cfg);
	FUZZ_CHECK(zs, "zswap_create: %s", strerror(errno));
	while (in.left >= 3) {
		uint8_t op = next(&in), key = next(&in) % KEYS, arg = next(&in);
		int err;

		switch (op % 5) {
		case 0:
		case 1:
			make_page(page, arg, &in);
			err = zswap_store(zs, key, page);
			FUZZ_CHECK(!err || err == -ENOSPC || err == -ENOMEM || err == -EPERM,
				   "store gave %d", err);
			present[key] = !err;
			if (!err)
				memcpy(model[key], page, PAGE);
			break;
		case 2:
			err = zswap_load(zs, key, got);
			FUZZ_CHECK(err == (present[key] ? 0 : -ENOENT), "load of key %u gave %d",
				   key, err);
			FUZZ_CHECK(err || !memcmp(got, model[key], PAGE), "key %u changed", key);
			if (!err && exclusive)
				present[key] = false;
			break;
		case 3:
			zswap_invalidate(zs, key);
			present[key] = false;
			break;
		default:
			if (arg >= 128) {
				err = (int)zswap_compact(zs);
				FUZZ_CHECK(err >= 0, "compact gave %d", err);
				break;
			}
			err = (int)zswap_shrink(zs, arg % 8);
			FUZZ_CHECK(err >= 0 || (err == -EINVAL && !cfg.writeback_path),
				   "shrink gave %d", err);
		}
	}
	for (unsigned k = 0; k < KEYS; k++) {
		int err = zswap_load(zs, k, got);

		FUZZ_CHECK(err == (present[k] ? 0 : -ENOENT), "final load of key %u gave %d", k, err);
		FUZZ_CHECK(err || !memcmp(got, model[k], PAGE), "key %u changed", k);
	}
	zswap_destroy(zs);
	return 0;
}
