/*
 * store.c - keep pages compressed in memory with the zswap store
 *
 *   cc -Iinclude examples/store.c build/libzbud.a -lpthread -llz4 -lzstd -llzo2 -lz
 *   cc examples/store.c $(pkg-config --cflags --libs zbud)
 */
#include <stdio.h>
#include <string.h>

#include <zswap.h>

static void text(char *page, unsigned long key)
{
	/* a page of text, as much of memory is */
	for (size_t i = 0; i < ZSWAP_PAGE_SIZE; i++)
		page[i] = "the quick brown fox jumps over the lazy dog "[(i + key) % 44];
}

int main(void)
{
	static char page[ZSWAP_PAGE_SIZE], back[ZSWAP_PAGE_SIZE];
	const struct zswap_config cfg = { .compressor = "zstd" };
	struct zswap *zs = zswap_create(&cfg);
	struct zswap_stats st;

	if (!zs)
		return 1;
	for (unsigned long key = 0; key < 100; key++) {
		text(page, key);
		if (zswap_store(zs, key, page))
			return 1;
	}
	text(page, 42);
	if (zswap_load(zs, 42, back) || memcmp(page, back, sizeof(page)))
		return 1;
	zswap_get_stats(zs, &st);
	printf("%llu pages, %llu bytes in the pool\n", (unsigned long long)st.stored_pages,
	       (unsigned long long)st.pool_total_size);
	zswap_destroy(zs);
	return 0;
}
