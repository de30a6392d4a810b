/*
 * idmap.c - see idmap.h
 */
#include "idmap.h"

#include <errno.h>
#include <stdlib.h>

#include "bits.h"
#include "fault.h"

#define IDMAP_MIN_SLOTS 64

static size_t hash(uint64_t key)
{
	return (size_t)zbud_mix64(key);
}

void zbud_idmap_init(struct zbud_idmap *m)
{
	m->slots = NULL;
	m->mask = 0;
	m->count = 0;
}

void zbud_idmap_fini(struct zbud_idmap *m)
{
	free(m->slots);
	zbud_idmap_init(m);
}

static struct zbud_idmap_slot *find(const struct zbud_idmap *m, uint64_t key)
{
	if (!m->slots)
		return NULL;
	for (size_t i = hash(key) & m->mask;; i = (i + 1) & m->mask) {
		if (!m->slots[i].used)
			return &m->slots[i];
		if (m->slots[i].key == key)
			return &m->slots[i];
	}
}

size_t zbud_idmap_bytes(const struct zbud_idmap *m)
{
	return m->slots ? (m->mask + 1) * sizeof(*m->slots) : 0;
}

static int grow(struct zbud_idmap *m)
{
	size_t n = m->slots ? (m->mask + 1) * 2 : IDMAP_MIN_SLOTS;
	struct zbud_idmap old = *m;

	m->slots = zbud_fault_hit(ZBUD_FAULT_META) ? NULL : calloc(n, sizeof(*m->slots));
	if (!m->slots) {
		*m = old;
		return -ENOMEM;
	}
	m->mask = n - 1;
	m->count = 0;
	for (size_t i = 0; old.slots && i <= old.mask; i++)
		if (old.slots[i].used)
			zbud_idmap_put(m, old.slots[i].key, old.slots[i].value);
	free(old.slots);
	return 0;
}

int zbud_idmap_put(struct zbud_idmap *m, uint64_t key, uint64_t value)
{
	struct zbud_idmap_slot *s;

	/* Keep the load under 3/4. */
	if (!m->slots || (m->count + 1) * 4 > (m->mask + 1) * 3) {
		int err = grow(m);

		if (err)
			return err;
	}
	s = find(m, key);
	if (!s->used) {
		s->used = true;
		s->key = key;
		m->count++;
	}
	s->value = value;
	return 0;
}

bool zbud_idmap_get(const struct zbud_idmap *m, uint64_t key, uint64_t *value)
{
	const struct zbud_idmap_slot *s = find(m, key);

	if (!s || !s->used)
		return false;
	*value = s->value;
	return true;
}

bool zbud_idmap_del(struct zbud_idmap *m, uint64_t key)
{
	struct zbud_idmap_slot *s = find(m, key);
	size_t hole, i;

	if (!s || !s->used)
		return false;
	/* Shift back every entry that probed past the hole. */
	hole = (size_t)(s - m->slots);
	for (i = (hole + 1) & m->mask; m->slots[i].used; i = (i + 1) & m->mask) {
		size_t home = hash(m->slots[i].key) & m->mask;

		if (((i - home) & m->mask) >= ((i - hole) & m->mask)) {
			m->slots[hole] = m->slots[i];
			hole = i;
		}
	}
	m->slots[hole].used = false;
	if (!--m->count)
		zbud_idmap_fini(m); /* an emptied map holds no memory */
	return true;
}
