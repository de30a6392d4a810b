/*
 * zswap_pages.h - pages for the store's tests: what real memory holds
 *
 * Text-like pages compress well, random pages do not compress at all,
 * same-filled pages are one repeated word.  Each is a function of a seed, so
 * a test can make the page again to check what it loads.
 */
#ifndef ZBUD_TEST_ZSWAP_PAGES_H
#define ZBUD_TEST_ZSWAP_PAGES_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PAGE 4096

static inline uint64_t page_rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Words and numbers, as a heap of strings and records: compresses ~2-4x. */
static inline void text_page(void *page, uint64_t seed)
{
	static const char *const words[] = {
		"alloc", "page", "zbud", "buddy", "chunk", "free", "first", "last",
		"pool", "swap", "compress", "handle", "\"key\": ", "value", ", ", "\n",
	};
	char *p = page;
	size_t n = 0;
	uint64_t s = seed * 2654435761u + 1;

	while (n < PAGE) {
		uint64_t r = page_rng(&s);
		char num[24];
		const char *w = (r & 3) ? words[r % 16] : num;
		size_t len;

		if (w == num)
			len = (size_t)snprintf(num, sizeof(num), "%u ", (unsigned)(r >> 40) % 100000);
		else
			len = strlen(w);
		if (len > PAGE - n)
			len = PAGE - n;
		memcpy(p + n, w, len);
		n += len;
	}
}

/* Bytes no compressor can shrink. */
static inline void random_page(void *page, uint64_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 7, *w = page;

	for (size_t i = 0; i < PAGE / 8; i++)
		w[i] = page_rng(&s);
}

static inline void same_page(void *page, unsigned long word)
{
	unsigned long *w = page;

	for (size_t i = 0; i < PAGE / sizeof(word); i++)
		w[i] = word;
}

/* One of the three kinds, chosen by the seed (mostly text). */
static inline void mixed_page(void *page, uint64_t seed)
{
	switch (seed % 8) {
	case 0:
		same_page(page, seed % 3 ? 0 : (unsigned long)seed);
		break;
	case 1:
		random_page(page, seed);
		break;
	default:
		text_page(page, seed);
	}
}

#endif /* ZBUD_TEST_ZSWAP_PAGES_H */
