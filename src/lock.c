/*
 * lock.c - the contended paths of the pool lock (see lock.h)
 */
#include "lock.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Spins before sleeping: about the length of a zbud critical section, so a
 * waiter usually gets the lock without a system call. */
#define LOCK_SPINS 100

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

void lock_wait(struct lock *l)
{
	int c;

	for (int i = 0; i < LOCK_SPINS; i++) {
		int expected = LOCK_FREE;

		cpu_relax();
		if (atomic_load_explicit(&l->state, memory_order_relaxed) == LOCK_FREE &&
		    atomic_compare_exchange_weak_explicit(&l->state, &expected, LOCK_HELD,
							  memory_order_acquire,
							  memory_order_relaxed))
			return;
	}
	/* Mark the lock contended, so its holder wakes us, and sleep on it. */
	while ((c = atomic_exchange_explicit(&l->state, LOCK_CONTENDED, memory_order_acquire)) !=
	       LOCK_FREE)
		syscall(SYS_futex, &l->state, FUTEX_WAIT_PRIVATE, LOCK_CONTENDED, NULL, NULL, 0);
}

void lock_wake(struct lock *l)
{
	syscall(SYS_futex, &l->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
