/*
 * debug.c - see debug.h; built only with ZBUD_DEBUG
 */
#include "debug.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef ZBUD_DEBUG
void zbud_debug_op(struct zbud_debug *d, zbud_debug_checker check, void *pool, const char *who)
{
	char msg[256];

	if (atomic_fetch_add_explicit(&d->ops, 1, memory_order_relaxed) % ZBUD_DEBUG_EVERY)
		return;
	if (check(pool, msg, sizeof(msg))) {
		/* A debug build's one voice: the library is broken, stop here. */
		fprintf(stderr, "libzbud (ZBUD_DEBUG): %s pool %p: %s\n", who, pool, msg);
		abort();
	}
}
#endif
