/*
 * shim_lock.h - the pager's locks (internal)
 *
 * They are taken in signal handlers and in threads that the program does
 * not know about, and glibc's locks make system calls through code that
 * syscall user dispatch would trap; so these are built on the pager's own
 * raw system calls.  Holders never wait for the program.
 *
 * shim_spin: a test-and-test-and-set lock that yields to the other threads
 * after a short spin (critical sections of a few hundred instructions).
 *
 * shim_rwlock: readers count themselves in; one writer (the event thread)
 * raises WRITER, which turns new readers away, and waits for the readers
 * already in to leave.  Readers wait on a futex for WRITER to fall.  A
 * thread that already reads may read again (a fault taken inside the
 * C library while the pager holds the lock) without waiting for a writer
 * that waits for it: the depth is counted per thread.
 */
#ifndef ZBUD_SHIM_LOCK_H
#define ZBUD_SHIM_LOCK_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/syscall.h>

long shim_syscall6(long nr, long a, long b, long c, long d, long e, long f)
	__attribute__((visibility("hidden")));

#define SHIM_SPINS 200          /* ~1 us of spinning before yielding the CPU */

struct shim_spin {
	atomic_int held;
};

static inline void shim_yield(void)
{
	shim_syscall6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
}

static inline void spin_take(struct shim_spin *s)
{
	for (unsigned n = 0;; n++) {
		if (!atomic_load_explicit(&s->held, memory_order_relaxed) &&
		    !atomic_exchange_explicit(&s->held, 1, memory_order_acquire))
			return;
		if (n >= SHIM_SPINS)
			shim_yield();
		else
			__builtin_ia32_pause();
	}
}

static inline void spin_release(struct shim_spin *s)
{
	atomic_store_explicit(&s->held, 0, memory_order_release);
}

#define RW_WRITER 0x40000000

struct shim_rwlock {
	atomic_int state;               /* readers in, plus RW_WRITER */
};

extern __thread int shim_read_depth __attribute__((tls_model("initial-exec"), visibility("hidden")));
extern __thread int shim_write_held __attribute__((tls_model("initial-exec"), visibility("hidden")));

static inline void futex_wait(atomic_int *word, int val)
{
	shim_syscall6(SYS_futex, (long)word, FUTEX_WAIT_PRIVATE, val, 0, 0, 0);
}

static inline void futex_wake_all(atomic_int *word)
{
	shim_syscall6(SYS_futex, (long)word, FUTEX_WAKE_PRIVATE, 0x7fffffff, 0, 0, 0);
}

static inline void rw_read_take(struct shim_rwlock *l)
{
	if (shim_write_held)
		return;         /* the writer faulted in the C library: it has the lock */
	if (shim_read_depth++) {
		atomic_fetch_add_explicit(&l->state, 1, memory_order_acquire);
		return;
	}
	for (;;) {
		int s = atomic_fetch_add_explicit(&l->state, 1, memory_order_acquire);

		if (!(s & RW_WRITER))
			return;
		atomic_fetch_sub_explicit(&l->state, 1, memory_order_relaxed);
		while ((s = atomic_load(&l->state)) & RW_WRITER)
			futex_wait(&l->state, s);
	}
}

static inline void rw_read_release(struct shim_rwlock *l)
{
	if (shim_write_held)
		return;
	shim_read_depth--;
	atomic_fetch_sub_explicit(&l->state, 1, memory_order_release);
}

static inline void rw_write_take(struct shim_rwlock *l)
{
	atomic_fetch_or_explicit(&l->state, RW_WRITER, memory_order_acquire);
	for (unsigned n = 0; atomic_load(&l->state) != RW_WRITER; n++)
		if (n >= SHIM_SPINS)
			shim_yield();
	shim_write_held = 1;
}

static inline void rw_write_release(struct shim_rwlock *l)
{
	shim_write_held = 0;
	atomic_fetch_and_explicit(&l->state, ~RW_WRITER, memory_order_release);
	futex_wake_all(&l->state);
}

#endif /* ZBUD_SHIM_LOCK_H */
