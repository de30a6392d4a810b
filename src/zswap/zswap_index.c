/*
 * zswap_index.c - a shard's index: key -> entry
 *
 * Open addressing with linear probing over the entries' addresses, the key
 * kept in the entry alone: 8 bytes a slot, not the 24 of a key, a value and
 * a flag (struct zbud_idmap), for a map that is the store's largest piece
 * of metadata after its entries.  An entry is 8-byte aligned, so a slot's
 * three low bits are free: they carry three bits of the key's hash, and a
 * probe reads an entry only when they match (one time in eight otherwise).
 * The load stays under 3/4, and deletion shifts entries back (no
 * tombstones), as in idmap.c.
 */
#include <errno.h>
#include <stdlib.h>

#include "bits.h"
#include "fault.h"
#include "zswap_internal.h"

#define MIN_SLOTS 64
#define TAG_MASK ((uintptr_t)_Alignof(struct zswap_entry) - 1)

_Static_assert(_Alignof(struct zswap_entry) >= 8, "three tag bits in an entry's address");

static uint64_t hash(uint64_t key)
{
	return zbud_mix64(key);
}

/* The tag rides in the hash's top bits; the slot comes from its low ones. */
static uintptr_t tag_of(uint64_t h)
{
	return (uintptr_t)(h >> 61) & TAG_MASK;
}

static struct zswap_entry *entry_at(uintptr_t slot)
{
	return (struct zswap_entry *)(slot & ~TAG_MASK);
}

struct zswap_entry *zswap_index_find(const struct zswap_index *ix, uint64_t key)
{
	uint64_t h = hash(key);
	uintptr_t tag = tag_of(h);

	if (!ix->slot)
		return NULL;
	for (size_t i = h & ix->mask; ix->slot[i]; i = (i + 1) & ix->mask)
		if ((ix->slot[i] & TAG_MASK) == tag && entry_at(ix->slot[i])->key == key)
			return entry_at(ix->slot[i]);
	return NULL;
}

/* Put @e in its first free slot; there is one, and @e's key is not there. */
static void place(struct zswap_index *ix, struct zswap_entry *e)
{
	uint64_t h = hash(e->key);
	size_t i = h & ix->mask;

	while (ix->slot[i])
		i = (i + 1) & ix->mask;
	ix->slot[i] = (uintptr_t)e | tag_of(h);
}

static int grow(struct zswap_index *ix)
{
	size_t n = ix->slot ? (ix->mask + 1) * 2 : MIN_SLOTS;
	struct zswap_index old = *ix;

	ix->slot = zbud_fault_hit(ZBUD_FAULT_META) ? NULL : calloc(n, sizeof(*ix->slot));
	if (!ix->slot) {
		*ix = old;
		return -ENOMEM;
	}
	ix->mask = n - 1;
	for (size_t i = 0; old.slot && i <= old.mask; i++)
		if (old.slot[i])
			place(ix, entry_at(old.slot[i]));
	free(old.slot);
	return 0;
}

int zswap_index_add(struct zswap_index *ix, struct zswap_entry *e)
{
	if (!ix->slot || (ix->count + 1) * 4 > (ix->mask + 1) * 3) {
		int err = grow(ix);

		if (err)
			return err;
	}
	place(ix, e);
	ix->count++;
	return 0;
}

void zswap_index_del(struct zswap_index *ix, const struct zswap_entry *e)
{
	size_t hole = hash(e->key) & ix->mask;

	while (entry_at(ix->slot[hole]) != e)
		hole = (hole + 1) & ix->mask;
	/* Shift back every entry that probed past the hole. */
	for (size_t i = (hole + 1) & ix->mask; ix->slot[i]; i = (i + 1) & ix->mask) {
		size_t home = hash(entry_at(ix->slot[i])->key) & ix->mask;

		if (((i - home) & ix->mask) >= ((i - hole) & ix->mask)) {
			ix->slot[hole] = ix->slot[i];
			hole = i;
		}
	}
	ix->slot[hole] = 0;
	if (!--ix->count)
		zswap_index_fini(ix); /* an emptied index holds no memory */
}

struct zswap_entry *zswap_index_at(const struct zswap_index *ix, size_t *pos)
{
	for (; ix->slot && *pos <= ix->mask; ++*pos)
		if (ix->slot[*pos])
			return entry_at(ix->slot[(*pos)++]);
	return NULL;
}

size_t zswap_index_bytes(const struct zswap_index *ix)
{
	return ix->slot ? (ix->mask + 1) * sizeof(*ix->slot) : 0;
}

void zswap_index_fini(struct zswap_index *ix)
{
	free(ix->slot);
	ix->slot = NULL;
	ix->mask = ix->count = 0;
}
