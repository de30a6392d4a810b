/*
 * shim_pager.c - the pager thread: evict the least recently faulted-in
 * pages while the program is over its limit
 *
 * Policy, as zswap's: the oldest page on the FIFO goes first (a page goes
 * on when it is faulted in or first found in memory); the store keeps a
 * same-filled page as one word; a page the store refuses (does not
 * compress, pool full without writeback) goes back into place, stays
 * resident, is counted, and is tried again only when its turn comes round.
 *
 * One page (and the neighbours that go with it, shim_evict.c), step by
 * step, under the event lock's read side (so that no munmap/mremap/madvise
 * is applied to it half way):
 *   RESIDENT -> EVICTING (compare-and-swap: not if pinned)
 *   UFFDIO_MOVE the page out to a scratch page (the program now faults)
 *   zswap_store() the scratch page under a new key
 *   EVICTING -> EVICTED, or on refusal UFFDIO_MOVE it back -> RESIDENT
 *
 * The pager thread wakes at a high-water mark below the limit and evicts
 * down to a low-water mark, ahead of need; a program thread that faults
 * pages in beyond the limit plus a margin waits for it (throttling), so
 * that the limit holds however fast the program allocates.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include <zswap.h>

#define BATCH 64                /* pages between looks at the clock and the maps */
#define TICK_MS 100             /* stats and the region scan at least this often */
#define SCAN_MIN_MS 20          /* ... and at most this often when kicked */
#define NAP_US 1000             /* the pager's wait when no page could be tried */
#define STACK_BYTES (256u << 10)

SHIM_HIDDEN __thread int shim_read_depth, shim_write_held, shim_evicting, shim_no_reclaim;

static struct {
	atomic_int kick;                /* futex: bumped to wake the pager */
	atomic_int sleeping;
	atomic_int paused;              /* pager_pause() callers */
	struct shim_spin busy;          /* held while one page is evicted */
	atomic_int progress;            /* futex: bumped after each batch that evicted */
	atomic_int backoff;             /* nothing would go: wait for the next tick */
	uint64_t last_scan, last_publish;
} P;

static uint64_t high_water(void);

void resident_add(int64_t n)
{
	uint64_t now = atomic_fetch_add(&shim_count.resident, (uint64_t)n) + (uint64_t)n;
	uint64_t peak = atomic_load(&shim_count.resident_peak);

	while (now > peak && (int64_t)now > 0 &&
	       !atomic_compare_exchange_weak(&shim_count.resident_peak, &peak, now))
		;
	if (n > 0 && now > high_water())
		pager_kick();
}

void pager_kick(void)
{
	if (atomic_load(&P.sleeping)) {
		atomic_fetch_add(&P.kick, 1);
		futex_wake_all(&P.kick);
	}
}

void pager_pause(void)
{
	atomic_fetch_add(&P.paused, 1);
	spin_take(&P.busy);             /* the page in flight, if any, is done */
	spin_release(&P.busy);
}

void pager_resume(void)
{
	atomic_fetch_sub(&P.paused, 1);
	pager_kick();
}

/*
 * Watermarks under the limit, as the kernel's: the pager wakes at the high
 * one and evicts down to the low one, so that it works ahead of the
 * program and a fault-in rarely finds it over the limit (and waiting).
 */
static uint64_t slack(void)
{
	uint64_t s = shim.limit_pages / 64;

	return s > 256 ? 256 : s < 8 ? 8 : s;
}

static uint64_t high_water(void)
{
	return shim.limit_pages > slack() ? shim.limit_pages - slack() : 0;
}

static uint64_t low_water(void)
{
	return shim.limit_pages > 2 * slack() ? shim.limit_pages - 2 * slack() : 0;
}

/* What a batch did. */
struct batch {
	unsigned done, refused;
	bool aged;      /* pages passed over for their heat: they go in a later turn */
	bool full;      /* the store takes no page now (EV_FULL) */
};

/* Evict until @target resident pages, up to @max pages, or out of candidates. */
static struct batch evict_batch(uint64_t target, unsigned max)
{
	size_t tries = ring_len();
	struct batch b = { 0 };
	uintptr_t page;

	/* Refusals cost a move out and back: they count against the batch. */
	while (atomic_load(&shim_count.resident) > target && !atomic_load(&P.paused) &&
	       !atomic_load(&shim_clone_hold) && b.done + b.refused < max && !b.full && tries--) {
		enum evict_result res;

		spin_take(&P.busy);
		if (!ring_pop(&page)) {
			spin_release(&P.busy);
			break;
		}
		rw_read_take(&shim.evlock);
		shim_evicting = 1;
		res = atomic_load(&P.paused) ? (ring_push(page), EV_SKIPPED) : evict(page);
		shim_evicting = 0;
		rw_read_release(&shim.evlock);
		/* The scratch pages are shared by whoever evicts: dropped under busy. */
		if (res == EV_NO_SCRATCH)
			scratch_recycle();
		spin_release(&P.busy);
		epoch_bump();   /* wakes whoever waited for the page to leave EVICTING */
		b.done += res == EV_DONE;
		b.refused += res == EV_REFUSED;
		b.aged |= res == EV_AGED;
		b.full |= res == EV_FULL;
	}
	if (b.done) {
		atomic_fetch_add(&P.progress, 1);
		futex_wake_all(&P.progress);
	}
	return b;
}

/*
 * Throttling: a thread that faults pages in faster than the pager evicts
 * them waits for the pager, as a task over its memory cgroup's high limit
 * is made to; so the limit holds however fast the program allocates.  It
 * does not evict for itself: the store may write back to its file, and a
 * program thread must not meet the file's errors (nor its SIGXFSZ).
 */
void pager_reclaim_direct(void)
{
	/* The pager wakes below the limit (high_water()): a small margin over it
	 * is all the program's memory may overshoot. */
	uint64_t margin = shim.limit_pages / 256 > 16 ? shim.limit_pages / 256 : 16, t0 = 0;
	struct timespec ms = { 0, 1000000 };

	if (shim_no_reclaim)
		return;
	for (unsigned idle = 0; atomic_load(&shim_count.resident) > shim.limit_pages + margin &&
				idle < 20 && !atomic_load(&P.paused) && !atomic_load(&P.backoff);) {
		int seen = atomic_load(&P.progress);

		if (!t0)
			t0 = now_ns();
		atomic_fetch_add(&P.kick, 1);
		futex_wake_all(&P.kick);
		shim_syscall6(SYS_futex, (long)&P.progress, FUTEX_WAIT_PRIVATE, seen, (long)&ms, 0, 0);
		idle = atomic_load(&P.progress) == seen ? idle + 1 : 0;
	}
	if (t0)
		atomic_fetch_add_explicit(&shim_count.throttle_ns, now_ns() - t0, memory_order_relaxed);
}

/*
 * Pack the pool once a tick while pages come and go.  Each fault-in frees
 * an object wherever it lies, and the pool's pages fill with holes that new
 * objects of other sizes cannot use: the kernel's zsmalloc is packed by its
 * shrinker under memory pressure, which a program over its limit is.  A
 * tick that finds nothing to move costs a walk over the size classes.
 */
static void compact(void)
{
	static uint64_t last_faults = UINT64_MAX;
	uint64_t faults = atomic_load(&shim_count.faults);

	if (shim.store && faults != last_faults)
		zswap_compact(shim.store);
	last_faults = faults;
}

static void housekeeping(bool kicked)
{
	uint64_t now = now_ns() / 1000000;

	if (now - P.last_scan >= TICK_MS || (kicked && now - P.last_scan >= SCAN_MIN_MS)) {
		regions_scan();
		P.last_scan = now;
	}
	if (now - P.last_publish >= TICK_MS) {
		compact();
		stats_publish(RUN_PROC_RUNNING, NULL);
		P.last_publish = now;
	}
}

/*
 * Until there is work: a kick (the program over the high-water mark) or
 * the tick.  Backing off, kicks do not count: only the tick ends it, or
 * the pager would try again at once what was just refused.
 */
static void pager_sleep(int seen)
{
	struct timespec tick = { 0, TICK_MS * 1000000l };

	if (atomic_load(&P.backoff)) {
		nanosleep(&tick, NULL);
		atomic_store(&P.backoff, 0);
		return;
	}
	atomic_store(&P.sleeping, 1);
	syscall(SYS_futex, &P.kick, FUTEX_WAIT_PRIVATE, seen, &tick, NULL, 0);
	atomic_store(&P.sleeping, 0);
}

static void *pager_main(void *arg)
{
	sigset_t all;

	(void)arg;
	shim_thread_signals(&all);
	for (;;) {
		int seen = atomic_load(&P.kick);
		uint64_t t0;

		if (atomic_load(&P.backoff) || atomic_load(&shim_count.resident) <= high_water() ||
		    atomic_load(&P.paused))
			pager_sleep(seen);
		t0 = now_ns();
		housekeeping(atomic_load(&P.kick) != seen);
		while (atomic_load(&shim_count.resident) > low_water() && !atomic_load(&P.paused)) {
			struct batch b = evict_batch(low_water(), BATCH);
			uint64_t t1 = now_ns();

			/* counted as it goes: a pager that never catches up still shows */
			atomic_fetch_add(&shim_count.pager_ns, t1 - t0);
			t0 = t1;
			housekeeping(false);
			/* The store is full, or it refused all it was given: the
			 * program runs over its limit until the next tick, and its
			 * threads do not wait.  Pages passed over for their heat are
			 * no reason to retry refusals at once (they go in a later
			 * turn). */
			if (b.full || (!b.done && b.refused)) {
				atomic_store(&P.backoff, 1);
				futex_wake_all(&P.progress);
				break;
			}
			/* Nothing tried: every page in use (pinned by system calls,
			 * being faulted in), or a thread or vfork child in the making.
			 * That passes: a moment, and the waiting threads wait on. */
			if (!b.done && !b.aged)
				nanosleep(&(struct timespec){ 0, NAP_US * 1000 }, NULL);
		}
		atomic_fetch_add(&shim_count.pager_ns, now_ns() - t0);
	}
	return NULL;
}

/*
 * The pager's threads take no signal of the program's; but they keep
 * SIGBUS, for the C library touches the program's memory on their behalf
 * too (the dynamic linker's lists, a thread's entry in malloc's arenas).
 */
void shim_thread_signals(sigset_t *set)
{
	shim_no_reclaim = 1;    /* the pager's threads reclaim as the pager, or not at all */
	sigfillset(set);
	sigdelset(set, SIGBUS);
	sigdelset(set, SIGSEGV);
	pthread_sigmask(SIG_SETMASK, set, NULL);
}

/* A thread of the pager's own: its stack is the pager's memory, never managed. */
int shim_thread(void *(*fn)(void *))
{
	pthread_attr_t attr;
	pthread_t t;
	void *stack = shim_map_stack(STACK_BYTES);
	int err;

	if (!stack)
		return -ENOMEM;
	pthread_attr_init(&attr);
	pthread_attr_setstack(&attr, stack, STACK_BYTES);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&t, &attr, fn, NULL);
	pthread_attr_destroy(&attr);
	return -err;
}

int pager_start(void)
{
	memset(&P, 0, sizeof(P));
	return shim_thread(pager_main);
}
