/*
 * shim_fault.c - bringing a page back
 *
 * Under UFFD_FEATURE_SIGBUS a touch of a missing page in a registered range
 * raises SIGBUS in the touching thread, and that thread serves itself: it
 * loads the page from the store and puts it into place with UFFDIO_COPY,
 * then returns from the handler and the instruction runs again.  That is
 * the cheapest round trip Linux offers (no other thread to wake).  A
 * missing page that the store does not hold is a first touch, or a page
 * the program dropped: it gets zeros, as it would without zbud.
 *
 * The store keeps a page until it is in place (loads are not exclusive),
 * so that a fault-in that must start over (an event changed the address
 * space under it: UFFDIO_COPY says EAGAIN) has lost nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "shim.h"
#include <zswap.h>

static const unsigned char zeros[SHIM_PAGE] __attribute__((aligned(4096)));
static atomic_int epoch_waiters;

void epoch_bump(void)
{
	atomic_fetch_add(&shim.epoch, 1);
	if (atomic_load(&epoch_waiters))
		futex_wake_all((atomic_int *)&shim.epoch);
}

void epoch_wait(unsigned seen)
{
	atomic_fetch_add(&epoch_waiters, 1);
	if (atomic_load(&shim.epoch) == seen)
		futex_wait((atomic_int *)&shim.epoch, (int)seen);
	atomic_fetch_sub(&epoch_waiters, 1);
}

/* An evicted page's copy is no longer needed. */
static void forget_key(uint64_t key)
{
	if (key & LIMBO_KEY)
		limbo_drop(key);
	else
		zswap_invalidate(shim.store, key);
}

/*
 * Recency without accessed bits (an unprivileged process cannot read
 * them): a page brought back soon after it left was in use when it was
 * evicted, as the kernel's workingset detection reasons about a refault.
 * Keys count evictions, so the refault distance is the number of pages
 * evicted since this one; under a quarter of the limit, the page gets the
 * most turns on the FIFO (heat), and the pager passes it over that many
 * times before it evicts it (shim_evict.c): a CLOCK over faulted-in pages.
 */
static uint64_t heat_after_load(uint64_t key, uint64_t v)
{
	uint64_t distance = atomic_load_explicit(&shim.next_key, memory_order_relaxed) - key;

	if (!(key & LIMBO_KEY) && distance < shim.limit_pages / 4 + 1)
		return REC_HEAT;
	return v & REC_HEAT;
}

/* The page is in place: it is resident and, if not already, the newest on the FIFO. */
static void now_resident(uintptr_t page, rec_t *r, uint64_t v, uint64_t heat)
{
	uint64_t nv;

	do
		nv = rec_make(REC_RESIDENT, (v & ~(REC_POOR | REC_HEAT)) | REC_IN_RING | heat, ring_seq());
	while (!atomic_compare_exchange_weak(r, &v, nv));
	if (!(v & REC_IN_RING))
		ring_push(page);
	resident_add(1);
}

/* Bring back an EVICTED page (@v is its record); under the event lock's read side. */
static int load_page(uintptr_t page, rec_t *r, uint64_t v)
{
	unsigned char buf[SHIM_PAGE] __attribute__((aligned(64)));
	uint64_t key = rec_key(v), loading = (v & ~REC_STATE) | REC_LOADING;
	int err;

	if (!atomic_compare_exchange_strong(r, &v, loading))
		return -EINTR;  /* changed meanwhile: look again */
	atomic_fetch_add(&shim.loading, 1);
	if (key & LIMBO_KEY)
		err = limbo_read(key, buf) ? 0 : -ENOENT;
	else
		err = zswap_load(shim.store, key, buf);
	if (err)
		shim_fatal(err == -EIO ? "the page's copy in the writeback file is damaged"
				       : "the store lost a page", page, err);
	err = uffd_copy(page, buf);
	if (err == 0 || err == -EEXIST) {
		now_resident(page, r, loading, heat_after_load(key, v));
		forget_key(key);
		atomic_fetch_add(&shim_count.faults, 1);
	} else {
		atomic_store(r, v);     /* as it was: EVICTED, still in the store */
	}
	atomic_fetch_sub(&shim.loading, 1);
	epoch_bump();
	return err == -EEXIST ? 0 : err;
}

/*
 * A first touch, or a page the program dropped: zeros.  The record is held
 * in LOADING while the zeros go in, as for a load: a fault that is late
 * (another thread brought the page back meanwhile, and the pager is taking
 * it out again) must not put zeros where the pager is about to leave a
 * hole for its stored copy.  -EINTR: the record changed, look again.
 */
static int fill_hole(uintptr_t page, rec_t *r, bool write)
{
	uint64_t v, filling;
	int err;

	if (!r)
		r = table_rec(page, true);
	if (!r) /* no memory for the record: zeros, resident but uncounted */
		return (err = write ? uffd_copy(page, zeros) : uffd_zeropage(page)) == -EEXIST ? 0 : err;
	v = atomic_load(r);
	if (rec_state(v) != REC_NONE && rec_state(v) != REC_RESIDENT)
		return -EINTR;
	filling = (v & ~REC_STATE) | REC_LOADING;
	if (!atomic_compare_exchange_strong(r, &v, filling))
		return -EINTR;
	err = write ? uffd_copy(page, zeros) : uffd_zeropage(page);
	if (err == 0 && rec_state(v) == REC_NONE) {
		now_resident(page, r, filling, 0);
		atomic_fetch_add(&shim_count.zero_fills, 1);
	} else {
		atomic_store(r, v);     /* present already, or resident and so counted */
	}
	epoch_bump();
	return err == -EEXIST ? 0 : err;
}

int fault_in(uintptr_t page, bool write)
{
	int err = fault_in_only(page, write);

	if (!err)
		pager_reclaim_direct();
	return err;
}

int fault_in_only(uintptr_t page, bool write)
{
	for (;;) {
		rec_t *r;
		uint64_t v;
		unsigned seen = atomic_load(&shim.epoch);
		int err;

		rw_read_take(&shim.evlock);
		r = table_rec(page, false);
		v = r ? atomic_load(r) : 0;
		switch (rec_state(v)) {
		case REC_EVICTED:
			err = load_page(page, r, v);
			break;
		case REC_EVICTING:
		case REC_LOADING:
			rw_read_release(&shim.evlock);
			if (shim_evicting)
				shim_fatal("the pager touched a page it was evicting", page, EDEADLK);
			epoch_wait(seen);
			continue;
		default:
			err = fill_hole(page, r, write);
			break;
		}
		rw_read_release(&shim.evlock);
		if (err == -EINTR)
			continue;
		if (err != -EAGAIN)
			return err;
		/* An event is on its way (mmap_changing): let it be read and applied. */
		events_wait_idle();
	}
}

void on_sigbus(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uintptr_t page = PAGE_OF(si->si_addr);
	bool write = uc->uc_mcontext.gregs[REG_ERR] & 2;
	uint64_t t0;
	int saved = errno;

	/* Not gated on regions_contains(): a range grown by mremap() is
	 * registered before the pager knows it; a page that is not ours fails
	 * with -ENOENT below. */
	if (si->si_code != BUS_ADRERR || !shim.on) {
		signals_forward(sig, si, ucv);
		return;
	}
	t0 = now_ns();
	if (fault_in_only(page, write)) {
		/* Not a page of ours after all (unmapped meanwhile): the program's. */
		signals_forward(sig, si, ucv);
		return;
	}
	/* The fault-in's time is the page's; waiting for the pager (over the
	 * limit) is counted apart, as throttling. */
	stats_fault_time(now_ns() - t0);
	pager_reclaim_direct();
	errno = saved;
}

int pin_page(uintptr_t page)
{
	rec_t *r = table_rec(page, true);

	if (!r)
		return -ENOMEM;
	for (;;) {
		unsigned seen = atomic_load(&shim.epoch);
		uint64_t v = atomic_load(r);

		if (rec_state(v) == REC_EVICTING) {
			epoch_wait(seen);
			continue;
		}
		if ((v & REC_PINS) == REC_PINS)
			return 0;       /* saturated: pinned for good */
		if (atomic_compare_exchange_weak(r, &v, v + REC_PIN_ONE))
			return 0;
	}
}

void unpin_page(uintptr_t page)
{
	rec_t *r = table_rec(page, false);
	uint64_t v = r ? atomic_load(r) : 0;

	while ((v & REC_PINS) && (v & REC_PINS) != REC_PINS &&
	       !atomic_compare_exchange_weak(r, &v, v - REC_PIN_ONE))
		;
}

/* The program dropped @page (munmap, madvise); called by the event thread. */
void drop_record(uintptr_t page, rec_t *r)
{
	uint64_t v = atomic_load(r), nv;

	(void)page;
	for (;;) {
		switch (rec_state(v)) {
		case REC_RESIDENT:
			nv = rec_make(REC_NONE, v & (REC_IN_RING | REC_PINS), 0);
			if (!atomic_compare_exchange_weak(r, &v, nv))
				continue;
			resident_add(-1);
			return;
		case REC_EVICTED:
			nv = rec_make(REC_NONE, v & (REC_IN_RING | REC_PINS), 0);
			if (!atomic_compare_exchange_weak(r, &v, nv))
				continue;
			forget_key(rec_key(v));
			return;
		default:
			/* NONE; EVICTING and LOADING hold the event lock's read side */
			return;
		}
	}
}

struct restore_ctx {
	unsigned left;
};

static void restore_one(uintptr_t page, rec_t *r, void *arg)
{
	struct restore_ctx *c = arg;
	uint64_t v = atomic_load(r);

	if (rec_state(v) != REC_EVICTED)
		return;
	if (fault_in(page, false) == -ENOENT) {
		/* unmapped: its event is on the way; the page is no one's now */
		rw_read_take(&shim.evlock);
		drop_record(page, r);
		rw_read_release(&shim.evlock);
	}
	if (rec_state(atomic_load(r)) == REC_EVICTED)
		c->left++;
}

/*
 * Before a fork: a child gets no userfaultfd of ours, so every page must be
 * in place or the child would read zeros where the parent has data.
 */
void restore_all(void)
{
	struct restore_ctx c;

	do {
		c.left = 0;
		table_walk(0, (uintptr_t)1 << 47, restore_one, &c);
		while (atomic_load(&shim.loading))
			shim_yield();
	} while (c.left);
}
