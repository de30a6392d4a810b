/*
 * hello.c - the smallest useful libzbud program: store a few compressed-page
 * sized objects, read them back, evict the oldest page.
 *
 *   cc -Iinclude examples/hello.c build/libzbud.a -lpthread     (build tree)
 *   cc examples/hello.c $(pkg-config --cflags --libs zbud)       (installed)
 */
#include <stdio.h>
#include <string.h>

#include <zbud.h>

static int evict(struct zbud_pool *pool, unsigned long handle)
{
	printf("evicting \"%s\"\n", (char *)zbud_map(pool, handle));
	zbud_free(pool, handle); /* a real user writes it elsewhere first */
	return 0;
}

int main(void)
{
	static const struct zbud_ops ops = { .evict = evict };
	static const char *const words[] = { "first", "second", "third", "fourth" };
	struct zbud_pool *pool = zbud_create_pool(&ops);
	unsigned long h[4];

	if (!pool)
		return 1;
	for (int i = 0; i < 4; i++) {
		/* 1900 bytes, 30 chunks: two fit in a page (63 chunks) */
		if (zbud_alloc(pool, 1900, &h[i]))
			return 1;
		strcpy(zbud_map(pool, h[i]), words[i]);
		zbud_unmap(pool, h[i]);
	}
	printf("%d objects in %llu pages\n", 4, (unsigned long long)zbud_get_pool_size(pool));
	if (zbud_reclaim_page(pool, 1))
		return 1;
	printf("%s is still there; %llu page left\n", (char *)zbud_map(pool, h[3]),
	       (unsigned long long)zbud_get_pool_size(pool));
	zbud_destroy_pool(pool);
	return 0;
}
