/*
 * idmap.h - an open-addressing hash map from uint64_t keys to uint64_t values
 *
 * For bookkeeping: zswap's key index, the tools' trace IDs and handles.
 * Linear probing with backward-shift deletion, so there are no tombstones
 * to clean up.
 */
#ifndef ZBUD_IDMAP_H
#define ZBUD_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idmap_slot {
	uint64_t key;
	uint64_t value;
	bool used;
};

struct idmap {
	struct idmap_slot *slots;
	size_t mask;    /* capacity - 1; capacity is a power of two */
	size_t count;
};

void idmap_init(struct idmap *m);
void idmap_fini(struct idmap *m);
/* idmap_put - insert or replace; 0 or -ENOMEM */
int idmap_put(struct idmap *m, uint64_t key, uint64_t value);
/* idmap_get - true and *value when present */
bool idmap_get(const struct idmap *m, uint64_t key, uint64_t *value);
/* idmap_del - true when it was present */
bool idmap_del(struct idmap *m, uint64_t key);
/* idmap_for_each - every used slot @s of @m, in no order; no changes meanwhile */
#define idmap_for_each(m, s) \
	for ((s) = (m)->slots; (m)->slots && (s) <= (m)->slots + (m)->mask; (s)++) \
		if ((s)->used)

/* idmap_bytes - the memory it holds */
size_t idmap_bytes(const struct idmap *m);

#endif /* ZBUD_IDMAP_H */
