/*
 * shim_evict.c - moving pages out of the program into the store
 *
 * A page leaves the program with UFFDIO_MOVE into a scratch page, which
 * takes it out of the page table in one step (any touch from then on
 * faults and waits for the page to be stored); the cost is a TLB flush on
 * every CPU the program runs on.  So the pager moves a cluster at once when
 * it can: the page the FIFO gives, and up to CLUSTER - 1 neighbours that
 * are about as old (faulted in no later than a few FIFO lengths after it),
 * resident, unpinned and movable, one UFFDIO_MOVE and one flush for all.
 *
 * A page with heat (brought back soon after it left, shim_fault.c) is
 * passed over instead, with one turn less, and never goes as a neighbour.
 *
 * A page the store refuses goes back with UFFDIO_MOVE.  If that must wait
 * for an event to be read (EAGAIN), it cannot wait here (the event thread
 * waits for this thread's read side of the event lock): the page is then
 * kept raw in the pager's memory (limbo) and marked evicted, and the next
 * touch brings it back as from the store.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#include "shim.h"
#include <zswap.h>

#define CLUSTER 16              /* pages a move takes at most: one TLB flush for 16 */

struct cluster {
	uintptr_t start;
	unsigned n, victim;             /* pages, and where the FIFO's page is among them */
	rec_t *r[CLUSTER];
	uint64_t v[CLUSTER];            /* each record as it was (RESIDENT) */
};

/* ---- limbo: refused pages that could not go back at once ---- */

static struct {
	struct shim_spin lock;
	void **page;
	uint64_t n, cap, free_head;     /* free slots are chained through page[] */
} L;

static uint64_t limbo_put(const void *src)
{
	void *copy = shim_alloc(SHIM_PAGE);
	uint64_t i;

	if (!copy)
		return 0;
	memcpy(copy, src, SHIM_PAGE);
	spin_take(&L.lock);
	if (L.free_head) {
		i = L.free_head - 1;
		L.free_head = (uint64_t)(uintptr_t)L.page[i];
	} else {
		if (L.n == L.cap) {
			uint64_t cap = L.cap ? 2 * L.cap : 64;
			void **p = shim_alloc(cap * sizeof(*p));

			if (!p) {
				spin_release(&L.lock);
				shim_free(copy);
				return 0;
			}
			if (L.n)
				memcpy(p, L.page, L.n * sizeof(*p));
			shim_free(L.page);
			L.page = p;
			L.cap = cap;
		}
		i = L.n++;
	}
	L.page[i] = copy;
	spin_release(&L.lock);
	return LIMBO_KEY | i;
}

bool limbo_read(uint64_t key, void *dst)
{
	uint64_t i = key & ~LIMBO_KEY;
	bool ok;

	spin_take(&L.lock);
	ok = i < L.n;
	if (ok)
		memcpy(dst, L.page[i], SHIM_PAGE);
	spin_release(&L.lock);
	return ok;
}

void limbo_drop(uint64_t key)
{
	uint64_t i = key & ~LIMBO_KEY;
	void *p = NULL;

	spin_take(&L.lock);
	if (i < L.n) {
		p = L.page[i];
		L.page[i] = (void *)(uintptr_t)L.free_head;
		L.free_head = i + 1;
	}
	spin_release(&L.lock);
	shim_free(p);
}

void limbo_reset(void)
{
	memset(&L, 0, sizeof(L));
}

/* ---- one cluster ---- */

/* Put a page back into the FIFO as resident: it was not evicted after all. */
static void requeue(uintptr_t page, rec_t *r, uint64_t v, uint64_t set)
{
	atomic_store(r, rec_make(REC_RESIDENT, (v & ~REC_STATE) | REC_IN_RING | set, ring_seq()));
	ring_push(page);
}

/* A refused page goes back where it was (the event lock's read side is held). */
static void put_back(uintptr_t page, uintptr_t slot, rec_t *r, uint64_t v)
{
	long moved = uffd_move(page, slot, SHIM_PAGE);

	if (moved == -EAGAIN) {
		uint64_t key = limbo_put((const void *)slot);

		if (!key)
			shim_fatal("no memory to keep a refused page", page, ENOMEM);
		atomic_store(r, rec_make(REC_EVICTED, v, key));
		return;
	}
	if (moved != (long)SHIM_PAGE)
		shim_fatal("a refused page could not be put back", page, (int)-moved);
	requeue(page, r, v, REC_POOR);
	resident_add(1);
	atomic_fetch_add(&shim_count.kept_resident, 1);
}

static bool candidate(uintptr_t q, uint64_t newest, rec_t **rp, uint64_t *vp)
{
	rec_t *r = regions_contains(q) ? table_rec(q, false) : NULL;
	uint64_t v = r ? atomic_load(r) : 0;

	if (rec_state(v) != REC_RESIDENT || (v & (REC_PINS | REC_POOR | REC_HEAT)) || !(v & REC_IN_RING) ||
	    rec_key(v) > newest)
		return false;
	if (!atomic_compare_exchange_strong(r, &v, rec_make(REC_EVICTING, v & ~REC_IN_RING, 0)))
		return false;
	*rp = r;
	*vp = v;
	return true;
}

/* The victim (already EVICTING) and the neighbours that may go with it. */
static void gather(struct cluster *c)
{
	uint64_t newest = rec_key(c->v[0]) + ring_len() / 8 + 64;
	rec_t *r;
	uint64_t v;

	while (c->n < CLUSTER && candidate(c->start + c->n * SHIM_PAGE, newest, &r, &v)) {
		c->r[c->n] = r;
		c->v[c->n++] = v;
	}
	while (c->n < CLUSTER && c->start > SHIM_PAGE &&
	       candidate(c->start - SHIM_PAGE, newest, &r, &v)) {
		memmove(&c->r[1], &c->r[0], c->n * sizeof(c->r[0]));
		memmove(&c->v[1], &c->v[0], c->n * sizeof(c->v[0]));
		c->r[0] = r;
		c->v[0] = v;
		c->start -= SHIM_PAGE;
		c->n++;
		c->victim++;
	}
}

/* Neighbours [from, n) were not moved: as they were, still on the FIFO. */
static void release(struct cluster *c, unsigned from)
{
	for (unsigned i = from; i < c->n; i++)
		if (i == c->victim)
			requeue(c->start + i * SHIM_PAGE, c->r[i], c->v[i], 0);
		else
			atomic_store(c->r[i], c->v[i]);
}

/*
 * Store each moved page; the refused go back.  *@full: the store refused
 * for a reason not the page's (the pool at its limit with nothing written
 * back, the writeback file failing): the rest of the cluster goes back
 * untried, and the pager stops trying until its next tick.
 */
static unsigned store(struct cluster *c, unsigned moved, uintptr_t slot, bool *full)
{
	unsigned done = 0;

	for (unsigned i = 0; i < moved; i++) {
		uintptr_t s = slot + i * SHIM_PAGE, page = c->start + i * SHIM_PAGE;
		int err = 0;

		resident_add(-1);
		if (!*full) {
			uint64_t key = atomic_fetch_add(&shim.next_key, 1);

			err = zswap_store(shim.store, key, (const void *)s);
			if (!err) {
				atomic_store(c->r[i], rec_make(REC_EVICTED, c->v[i] & ~REC_IN_RING, key));
				done++;
				continue;
			}
		}
		*full |= err == -ENOMEM || err == -EIO;
		put_back(page, s, c->r[i], c->v[i]);
	}
	atomic_fetch_add(&shim_count.evictions, done);
	return done;
}

/*
 * Make a page that is shared with a fork child our own, so that it can
 * move: the kernel breaks copy-on-write as for a write, without writing (a
 * store here could undo the program's own store to the same word).
 */
static void break_cow(uintptr_t page)
{
	SYS3(SYS_madvise, page, SHIM_PAGE, 23 /* MADV_POPULATE_WRITE */);
}

/* Move the cluster out; fewer pages, or one, when the kernel will not take all. */
static long move_out(struct cluster *c, uintptr_t slot)
{
	long moved = uffd_move(slot, c->start, c->n * SHIM_PAGE);

	if (moved < 0 && c->n > 1 && moved != -EAGAIN) {
		/* a neighbour is not movable (another mapping, shared, locked): alone */
		struct cluster one = { c->start + c->victim * SHIM_PAGE, 1, 0,
				       { c->r[c->victim] }, { c->v[c->victim] } };

		for (unsigned i = 0; i < c->n; i++)
			if (i != c->victim)
				atomic_store(c->r[i], c->v[i]);
		*c = one;
		moved = uffd_move(slot, c->start, SHIM_PAGE);
	}
	if (moved == -EBUSY && c->n == 1) {
		break_cow(c->start);
		moved = uffd_move(slot, c->start, SHIM_PAGE);
	}
	return moved;
}

/*
 * Evict the FIFO's @page and what may go with it; the event lock's read
 * side and the pager's busy lock are held.
 */
enum evict_result evict(uintptr_t page)
{
	struct cluster c = { page, 1, 0, { table_rec(page, false) }, { 0 } };
	uint64_t v = c.r[0] ? atomic_load(c.r[0]) : 0;
	uintptr_t slot;
	long moved;
	bool full = false;

	if (!c.r[0])
		return EV_SKIPPED;
	if (rec_state(v) == REC_LOADING && regions_contains(page)) {
		ring_push(page);        /* a fault is putting it in place: its next turn */
		return EV_SKIPPED;
	}
	if (!regions_contains(page) || rec_state(v) != REC_RESIDENT) {
		/* given up or changed since it was queued */
		atomic_fetch_and(c.r[0], ~REC_IN_RING);
		return EV_SKIPPED;
	}
	if ((v & REC_HEAT) && !(v & REC_PINS)) {
		/* In use lately (shim_fault.c): one turn less, and the FIFO's end
		 * again.  If the record changed meanwhile, its next turn decides. */
		atomic_compare_exchange_strong(c.r[0], &v, rec_make(REC_RESIDENT, v - REC_HEAT_ONE, ring_seq()));
		ring_push(page);
		return EV_AGED;
	}
	if ((v & REC_PINS) ||
	    !atomic_compare_exchange_strong(c.r[0], &v, rec_make(REC_EVICTING, v & ~(REC_IN_RING | REC_POOR), 0))) {
		ring_push(page);        /* in use by a system call: its next turn */
		return EV_SKIPPED;
	}
	c.v[0] = v;
	gather(&c);
	slot = scratch_take(c.n);
	if (!slot) {
		release(&c, 0);
		return EV_NO_SCRATCH;
	}
	moved = move_out(&c, slot);
	if (moved == -ENOENT && c.n == 1) {
		/* no page there: the program dropped it and its event is on the way */
		atomic_store(c.r[0], rec_make(REC_NONE, 0, 0));
		resident_add(-1);
		return EV_SKIPPED;
	}
	if (moved <= 0) {
		/* not movable (read-only, locked, pinned for I/O) or an event pending */
		release(&c, 0);
		if (moved == -EAGAIN)
			return EV_SKIPPED;
		atomic_fetch_or(c.r[c.victim], REC_POOR);
		atomic_fetch_add(&shim_count.kept_resident, 1);
		return EV_REFUSED;
	}
	release(&c, (unsigned)(moved / SHIM_PAGE));
	if (store(&c, (unsigned)(moved / SHIM_PAGE), slot, &full) && !full)
		return EV_DONE;
	return full ? EV_FULL : EV_REFUSED;
}
