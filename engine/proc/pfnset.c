/*
 * pfnset.c - leaves of bits, found by their first frame in a sorted array
 *
 * A machine has few leaves (one per 2 GiB of physical memory it holds
 * pages in), so a binary search over them, after a look at the last leaf
 * used (pages of a mapping lie near each other), is enough.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pfnset.h"

#define LEAF_SHIFT 19                   /* 2^19 frames, 2 GiB: a 64 KiB leaf */
#define LEAF_WORDS ((1u << LEAF_SHIFT) / 64)

struct leaf {
	uint64_t key;                   /* pfn >> LEAF_SHIFT */
	uint64_t *bits;
};

struct pfnset {
	struct leaf *leaf;              /* by key */
	size_t n, cap, last;
};

struct pfnset *pfnset_new(void)
{
	return calloc(1, sizeof(struct pfnset));
}

void pfnset_free(struct pfnset *s)
{
	for (size_t i = 0; s && i < s->n; i++)
		free(s->leaf[i].bits);
	if (s)
		free(s->leaf);
	free(s);
}

void pfnset_clear(struct pfnset *s)
{
	for (size_t i = 0; i < s->n; i++)
		memset(s->leaf[i].bits, 0, LEAF_WORDS * sizeof(uint64_t));
}

/* The index of the first leaf whose key is not below @key. */
static size_t find(const struct pfnset *s, uint64_t key)
{
	size_t lo = 0, hi = s->n;

	if (s->last < s->n && s->leaf[s->last].key == key)
		return s->last;
	while (lo < hi) {
		const size_t mid = lo + (hi - lo) / 2;

		if (s->leaf[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int insert(struct pfnset *s, size_t at, uint64_t key)
{
	uint64_t *bits = calloc(LEAF_WORDS, sizeof(uint64_t));

	if (!bits)
		return -ENOMEM;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct leaf *l = realloc(s->leaf, cap * sizeof(*l));

		if (!l) {
			free(bits);
			return -ENOMEM;
		}
		s->leaf = l;
		s->cap = cap;
	}
	memmove(&s->leaf[at + 1], &s->leaf[at], (s->n - at) * sizeof(s->leaf[0]));
	s->leaf[at] = (struct leaf){ key, bits };
	s->n++;
	return 0;
}

int pfnset_add(struct pfnset *s, uint64_t pfn)
{
	const uint64_t key = pfn >> LEAF_SHIFT, bit = pfn & ((1u << LEAF_SHIFT) - 1);
	size_t at = find(s, key);
	uint64_t *word, mask = 1ULL << (bit % 64);

	if (at == s->n || s->leaf[at].key != key) {
		int err = insert(s, at, key);

		if (err)
			return err;
	}
	s->last = at;
	word = &s->leaf[at].bits[bit / 64];
	if (*word & mask)
		return 1;
	*word |= mask;
	return 0;
}

size_t pfnset_bytes(const struct pfnset *s)
{
	return sizeof(*s) + s->cap * sizeof(s->leaf[0]) + s->n * LEAF_WORDS * sizeof(uint64_t);
}
