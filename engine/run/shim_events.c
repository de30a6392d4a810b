/*
 * shim_events.c - the event thread: what the program does to its address
 * space, as the userfaultfd tells it
 *
 *   UFFD_EVENT_REMOVE  madvise(MADV_DONTNEED/FREE/REMOVE): the pages read as
 *                      zeros from now on; evicted copies are dropped
 *   UFFD_EVENT_UNMAP   munmap, mremap shrinking, brk shrinking, mmap over an
 *                      old mapping: the records go, the range is no longer
 *                      managed
 *   UFFD_EVENT_REMAP   mremap moving a mapping: its records move with it
 *
 * The caller of munmap/mremap/madvise waits in the kernel until its event
 * is read (a non-cooperative event blocks the caller), and runs on as soon
 * as it is.  So the event is read under the event lock's write side and
 * applied before the lock is let go: anyone about to put a page into place
 * waits for the lock and then sees the records as the event left them.
 *
 * The pager's own madvise() of its scratch pages comes here too, and is
 * ignored.
 */
#include <errno.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

#define MSGS 32

static void drop_one(uintptr_t page, rec_t *r, void *arg)
{
	(void)arg;
	drop_record(page, r);
}

static void forget_one(uintptr_t page, rec_t *r, void *arg)
{
	(void)arg;
	drop_record(page, r);
	atomic_store(r, 0);
}

struct remap {
	uintptr_t from, to;
};

static void move_one(uintptr_t page, rec_t *r, void *arg)
{
	const struct remap *m = arg;
	uintptr_t dst = page - m->from + m->to;
	uint64_t v = atomic_load(r);
	rec_t *nr;

	if (!v)
		return;
	nr = table_rec(dst, true);
	if (!nr) {
		/* no memory for the record: the page is dropped, never wrong */
		drop_record(page, r);
		atomic_store(r, 0);
		return;
	}
	/* The FIFO holds addresses: a resident page goes on again at its new one. */
	if (rec_state(v) == REC_RESIDENT) {
		atomic_store(nr, rec_make(REC_RESIDENT, v | REC_IN_RING, ring_seq()));
		ring_push(dst);
	} else {
		atomic_store(nr, v & ~REC_IN_RING);
	}
	atomic_store(r, 0);
}

static void apply(const struct uffd_msg *m)
{
	switch (m->event) {
	case UFFD_EVENT_REMOVE:
		if (in_scratch(m->arg.remove.start))
			return;
		table_walk(m->arg.remove.start, m->arg.remove.end, drop_one, NULL);
		break;
	case UFFD_EVENT_UNMAP:
		table_walk(m->arg.remove.start, m->arg.remove.end, forget_one, NULL);
		regions_forget(m->arg.remove.start, m->arg.remove.end);
		break;
	case UFFD_EVENT_REMAP: {
		struct remap rm = { m->arg.remap.from, m->arg.remap.to };
		uintptr_t len = m->arg.remap.len;

		/* Overlapping moves are not possible: mremap moves to a free range. */
		table_walk(rm.from, rm.from + len, move_one, &rm);
		regions_move(rm.from, rm.to, len);
		break;
	}
	default:
		return;
	}
	atomic_fetch_add(&shim_count.events, 1);
}

static void *events_main(void *arg)
{
	struct uffd_msg msg[MSGS];
	sigset_t all;

	(void)arg;
	shim_thread_signals(&all);
	for (;;) {
		struct pollfd p = { .fd = shim.uffd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, -1) < 0 || (p.revents & (POLLERR | POLLHUP | POLLNVAL))) {
			if (p.revents & (POLLHUP | POLLNVAL))
				return NULL;    /* the descriptor is gone: nothing to serve */
			continue;
		}
		rw_write_take(&shim.evlock);
		while ((n = read(shim.uffd, msg, sizeof(msg))) > 0)
			for (ssize_t i = 0; i < n / (ssize_t)sizeof(msg[0]); i++)
				apply(&msg[i]);
		rw_write_release(&shim.evlock);
	}
	return NULL;
}

/*
 * Someone got EAGAIN from the userfaultfd: an event waits to be read.  Let
 * the event thread take it, then wait for it to be applied.
 */
void events_wait_idle(void)
{
	shim_yield();
	rw_read_take(&shim.evlock);
	rw_read_release(&shim.evlock);
}

int events_start(void)
{
	return shim_thread(events_main);
}
