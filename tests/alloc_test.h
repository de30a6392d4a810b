/*
 * alloc_test.h - what the allocators' white-box tests share (src/ALLOCATOR/test_*.c):
 * random numbers, the bytes an object holds, the Python heap's sizes, and
 * an object's bytes through zpool
 */
#ifndef ZBUD_TEST_ALLOC_TEST_H
#define ZBUD_TEST_ALLOC_TEST_H

#define ZPOOL_STATIC_LINKING_ONLY
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "zpool.h"

/* An object a test keeps: its handle (0: none) and size. */
struct test_obj {
	unsigned long handle;
	size_t size;
};

/* splitmix64: one state word, and good enough to pick operations */
static inline uint64_t test_rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Byte @k of object @id: distinct per object and offset, so that a misplaced
 * or overlapping object shows. */
static inline unsigned char test_pattern(uint64_t id, size_t k)
{
	uint64_t x = (id + 1) * 0x9e3779b97f4a7c15ULL + k * 0xd6e8feb86659fd93ULL;

	return (unsigned char)(x >> 56);
}

static inline void test_fill(unsigned char *p, size_t size, uint64_t id)
{
	for (size_t k = 0; k < size; k++)
		p[k] = test_pattern(id, k);
}

static inline bool test_intact(const unsigned char *p, size_t size, uint64_t id)
{
	for (size_t k = 0; p && k < size; k++)
		if (p[k] != test_pattern(id, k))
			return false;
	return p != NULL;
}

/* The same through zpool: a map in mode @mm, the bytes, an unmap. */
static inline void zp_fill_as(struct zpool *pool, unsigned long handle, size_t size, uint64_t id,
			      enum zpool_mapmode mm)
{
	unsigned char *p = zpool_map_handle(pool, handle, mm);

	if (p)
		test_fill(p, size, id);
	zpool_unmap_handle(pool, handle);
}

static inline void zp_fill(struct zpool *pool, unsigned long handle, size_t size, uint64_t id)
{
	zp_fill_as(pool, handle, size, id, ZPOOL_MM_WO);
}

static inline bool zp_intact(struct zpool *pool, unsigned long handle, size_t size, uint64_t id)
{
	bool ok = test_intact(zpool_map_handle(pool, handle, ZPOOL_MM_RO), size, id);

	zpool_unmap_handle(pool, handle);
	return ok;
}

/* The first 8 pages a walk shows (zpool_walk()), each as its regions:
 * "F64-1088 L3072-4096 " (place letter, start, end). */
struct seen {
	int pages;
	uint64_t page[8];
	char layout[8][1024];   /* up to 64 regions of "o4032-4064 " */
};

static inline int record(const struct zpool_page_info *page, void *arg)
{
	struct seen *s = arg;
	char *out = s->layout[s->pages];

	s->page[s->pages++] = page->page;
	for (unsigned int i = 0; i < page->nregions; i++)
		out += sprintf(out, "%c%u-%u ", zpool_place_letter(page->region[i].place),
			       page->region[i].start, page->region[i].end);
	return s->pages == 8;
}

/* The LZ4 sizes of every page of a real Python heap (data/), in order;
 * the caller frees them. */
static inline unsigned *load_heap_sizes(size_t *n)
{
	const char *path = ZBUD_SOURCE_DIR "/data/python-heap.lz4-sizes.txt";
	unsigned *v = NULL, x;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		fail_msg("cannot open %s", path);
	*n = 0;
	while (fscanf(f, "%u", &x) == 1) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 65536;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[(*n)++] = x;
	}
	fclose(f);
	return v;
}

#endif /* ZBUD_TEST_ALLOC_TEST_H */
