/*
 * shim_table.c - a record for every managed page, and the FIFO of
 * faulted-in pages
 *
 * The records are a three-level radix tree over the 47-bit user address
 * space, like a page table: 13 + 13 bits of index, then leaves of 512
 * records (one 4 KiB leaf for each 2 MiB the program uses).  Nodes are
 * created on first use and never freed while the process runs, so that a
 * lookup, from any thread or signal handler, needs no lock.
 *
 * The FIFO holds page addresses in the order they were faulted in (or
 * found in memory); each page is on it at most once (REC_IN_RING), and a
 * page that changed since it was queued is skipped when it comes out.
 */
#include <string.h>

#include "shim.h"

#define L0_BITS 13
#define L1_BITS 13
#define LEAF_BITS 9
#define LEAF_RECS (1u << LEAF_BITS)

struct leaf {
	rec_t rec[LEAF_RECS];
};

struct node {
	_Atomic(struct leaf *) leaf[1u << L1_BITS];
};

static _Atomic(struct node *) root[1u << L0_BITS];
static struct shim_spin grow_lock;

static void *zalloc(size_t size)
{
	void *p = shim_alloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

rec_t *table_rec(uintptr_t page, bool create)
{
	uint64_t pn = page >> 12;
	unsigned i0 = (unsigned)(pn >> (L1_BITS + LEAF_BITS)) & ((1u << L0_BITS) - 1);
	unsigned i1 = (unsigned)(pn >> LEAF_BITS) & ((1u << L1_BITS) - 1);
	struct node *n = atomic_load_explicit(&root[i0], memory_order_acquire);
	struct leaf *l = n ? atomic_load_explicit(&n->leaf[i1], memory_order_acquire) : NULL;

	if (pn >> (L0_BITS + L1_BITS + LEAF_BITS))
		return NULL;
	if (!l && create) {
		spin_take(&grow_lock);
		n = atomic_load(&root[i0]);
		if (!n && (n = zalloc(sizeof(*n))))
			atomic_store_explicit(&root[i0], n, memory_order_release);
		l = n ? atomic_load(&n->leaf[i1]) : NULL;
		if (n && !l && (l = zalloc(sizeof(*l))))
			atomic_store_explicit(&n->leaf[i1], l, memory_order_release);
		spin_release(&grow_lock);
	}
	return l ? &l->rec[pn & (LEAF_RECS - 1)] : NULL;
}

void table_walk(uintptr_t start, uintptr_t end, void (*fn)(uintptr_t, rec_t *, void *), void *arg)
{
	const uintptr_t node_span = (uintptr_t)SHIM_PAGE << (L1_BITS + LEAF_BITS);
	const uintptr_t leaf_span = (uintptr_t)SHIM_PAGE << LEAF_BITS;

	for (uintptr_t p = PAGE_OF(start); p < end && !(p >> 47);) {
		struct node *n = atomic_load_explicit(&root[(p >> 12) >> (L1_BITS + LEAF_BITS)],
						      memory_order_acquire);
		struct leaf *l;

		if (!n) {
			p = (p | (node_span - 1)) + 1;
			continue;
		}
		l = atomic_load_explicit(&n->leaf[((p >> 12) >> LEAF_BITS) & ((1u << L1_BITS) - 1)],
					 memory_order_acquire);
		if (!l) {
			p = (p | (leaf_span - 1)) + 1;
			continue;
		}
		fn(p, &l->rec[(p >> 12) & (LEAF_RECS - 1)], arg);
		p += SHIM_PAGE;
	}
}

void table_reset(void)
{
	/* After fork the nodes' memory is gone with the allocator's. */
	memset(root, 0, sizeof(root));
	memset(&grow_lock, 0, sizeof(grow_lock));
}

/* ---- the FIFO ---- */

#define SEG_SLOTS 1022

struct seg {
	struct seg *next;
	unsigned head, tail;            /* slots [head, tail) are queued */
	uintptr_t page[SEG_SLOTS];
};

static struct {
	struct shim_spin lock;
	struct seg *first, *last;
	size_t len;
	atomic_uint_least64_t seq;
} R;

uint64_t ring_seq(void)
{
	return atomic_load_explicit(&R.seq, memory_order_relaxed);
}

void ring_push(uintptr_t page)
{
	spin_take(&R.lock);
	if (!R.last || R.last->tail == SEG_SLOTS) {
		struct seg *s = shim_alloc(sizeof(*s));

		if (!s) {
			/* No memory: the page stays resident, off the FIFO. */
			spin_release(&R.lock);
			return;
		}
		s->next = NULL;
		s->head = s->tail = 0;
		if (R.last)
			R.last->next = s;
		else
			R.first = s;
		R.last = s;
	}
	R.last->page[R.last->tail++] = page;
	R.len++;
	atomic_fetch_add_explicit(&R.seq, 1, memory_order_relaxed);
	spin_release(&R.lock);
}

bool ring_pop(uintptr_t *page)
{
	struct seg *done = NULL;
	bool got = false;

	spin_take(&R.lock);
	if (R.first && R.first->head < R.first->tail) {
		*page = R.first->page[R.first->head++];
		R.len--;
		got = true;
		if (R.first->head == SEG_SLOTS) {
			done = R.first;
			R.first = done->next;
			if (!R.first)
				R.last = NULL;
		}
	}
	spin_release(&R.lock);
	shim_free(done);
	return got;
}

size_t ring_len(void)
{
	return R.len;
}

void ring_reset(void)
{
	memset(&R, 0, sizeof(R));
}
