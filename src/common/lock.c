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

void zbud_lock_wait(struct zbud_lock *l)
{
	int c;

	for (int i = 0; i < LOCK_SPINS; i++) {
		int expected = ZBUD_LOCK_FREE;

		cpu_relax();
		if (atomic_load_explicit(&l->state, memory_order_relaxed) == ZBUD_LOCK_FREE &&
		    atomic_compare_exchange_weak_explicit(&l->state, &expected, ZBUD_LOCK_HELD,
							  memory_order_acquire,
							  memory_order_relaxed))
			return;
	}
	/* Mark the lock contended, so its holder wakes us, and sleep on it. */
	while ((c = atomic_exchange_explicit(&l->state, ZBUD_LOCK_CONTENDED, memory_order_acquire)) !=
	       ZBUD_LOCK_FREE)
		syscall(SYS_futex, &l->state, FUTEX_WAIT_PRIVATE, ZBUD_LOCK_CONTENDED, NULL, NULL, 0);
}

void zbud_lock_wake(struct zbud_lock *l)
{
	syscall(SYS_futex, &l->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
