/*
 * debug.h - a debug build's checks after every operation (internal)
 *
 * Configured with -DZBUD_DEBUG=ON, each allocator counts its operations and
 * runs its full invariant checker every ZBUD_DEBUG_EVERY of them, after the
 * operation and outside the pool lock, as mimalloc's expensive asserts do;
 * and the preconditions its functions state become assert()s (NDEBUG is
 * undefined).  A violation aborts with the checker's message: a debug build
 * is for finding bugs where users hit them, so it stops at the first.  In
 * other builds zbud_debug_op() is nothing.
 *
 * Why not the full checker after literally every operation: it walks the
 * whole pool, so a 1M-operation model test on a pool of 2000 pages would
 * run for hours under ASan; every 64th operation costs the same as checking
 * each one's pages, and still finds a broken pool within 64 operations.
 */
#ifndef ZBUD_DEBUG_H
#define ZBUD_DEBUG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define ZBUD_DEBUG_EVERY 64

struct zbud_debug {
	atomic_uint_fast64_t ops;
};

typedef int (*zbud_debug_checker)(void *pool, char *msg, size_t len);

#ifdef ZBUD_DEBUG
/* zbud_debug_op - one more operation on @pool; the checker's turn now and
 * then.  @who names the allocator in the message. */
void zbud_debug_op(struct zbud_debug *d, zbud_debug_checker check, void *pool, const char *who);
#else
static inline void zbud_debug_op(struct zbud_debug *d, zbud_debug_checker check, void *pool,
				 const char *who)
{
	(void)d, (void)check, (void)pool, (void)who;
}
#endif

#endif /* ZBUD_DEBUG_H */
