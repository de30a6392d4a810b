/*
 * lock.h - the pool lock: a futex mutex for short critical sections (internal)
 *
 * glibc's pthread_mutex_lock() and unlock() cost ~50 instructions a pair
 * before they reach their one atomic each: a third of a zbud free+alloc.
 * This is the classic three-state futex mutex (Drepper, "Futexes Are
 * Tricky", mutex 3): taking a free lock is one compare-and-swap, releasing
 * an uncontended one is one exchange, and a waiter sleeps in the kernel
 * after a short spin instead of burning its time slice.
 *
 * And, as glibc's own locks do, no atomic at all while the process has one
 * thread: a thread can only be started outside the critical section, so the
 * lock is free whenever the answer changes.
 */
#ifndef ZBUD_LOCK_H
#define ZBUD_LOCK_H

#include <stdatomic.h>
#include <stdbool.h>

#if defined(__has_include) && __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
static inline bool zbud_only_thread(void)
{
	return __libc_single_threaded;
}
#else
static inline bool zbud_only_thread(void)
{
	return false;
}
#endif

enum { ZBUD_LOCK_FREE, ZBUD_LOCK_HELD, ZBUD_LOCK_CONTENDED };

struct zbud_lock {
	atomic_int state;
};

void zbud_lock_wait(struct zbud_lock *l);  /* slow paths, in lock.c */
void zbud_lock_wake(struct zbud_lock *l);

static inline void zbud_lock_init(struct zbud_lock *l)
{
	atomic_init(&l->state, ZBUD_LOCK_FREE);
}

/* zbud_lock_try - take @l if it is free; false if another thread holds it.
 * No call in it: a caller's fast path stays a leaf, and its values need no
 * saved registers (zbud_lock_wait() takes it after a false). */
static inline bool zbud_lock_try(struct zbud_lock *l)
{
	int expected = ZBUD_LOCK_FREE;

	if (zbud_only_thread()) {
		atomic_store_explicit(&l->state, ZBUD_LOCK_HELD, memory_order_relaxed);
		return true;
	}
	return atomic_compare_exchange_strong_explicit(&l->state, &expected, ZBUD_LOCK_HELD,
						       memory_order_acquire, memory_order_relaxed);
}

static inline void zbud_lock_take(struct zbud_lock *l)
{
	if (!zbud_lock_try(l))
		zbud_lock_wait(l);
}

static inline void zbud_lock_release(struct zbud_lock *l)
{
	if (zbud_only_thread())
		atomic_store_explicit(&l->state, ZBUD_LOCK_FREE, memory_order_relaxed);
	else if (atomic_exchange_explicit(&l->state, ZBUD_LOCK_FREE, memory_order_release) ==
		 ZBUD_LOCK_CONTENDED)
		zbud_lock_wake(l);
}

#endif /* ZBUD_LOCK_H */
