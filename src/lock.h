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
static inline bool only_thread(void)
{
	return __libc_single_threaded;
}
#else
static inline bool only_thread(void)
{
	return false;
}
#endif

enum { LOCK_FREE, LOCK_HELD, LOCK_CONTENDED };

struct lock {
	atomic_int state;
};

void lock_wait(struct lock *l);  /* slow paths, in lock.c */
void lock_wake(struct lock *l);

static inline void lock_init(struct lock *l)
{
	atomic_init(&l->state, LOCK_FREE);
}

static inline void lock_take(struct lock *l)
{
	int expected = LOCK_FREE;

	if (only_thread())
		atomic_store_explicit(&l->state, LOCK_HELD, memory_order_relaxed);
	else if (!atomic_compare_exchange_strong_explicit(&l->state, &expected, LOCK_HELD,
						     memory_order_acquire, memory_order_relaxed))
		lock_wait(l);
}

static inline void lock_release(struct lock *l)
{
	if (only_thread())
		atomic_store_explicit(&l->state, LOCK_FREE, memory_order_relaxed);
	else if (atomic_exchange_explicit(&l->state, LOCK_FREE, memory_order_release) ==
		 LOCK_CONTENDED)
		lock_wake(l);
}

#endif /* ZBUD_LOCK_H */
