/*
 * pagelist.h - lists of pages, linked by page number (internal)
 *
 * zbud and z3fold keep pages on unbuddied lists and an LRU, as the kernel
 * does, but link them by their 32-bit numbers through the descriptors in the
 * page source's array, not by pointers inside the pages.  A list is its head
 * and tail; each page's links sit at a fixed offset of its descriptor; and
 * ZBUD_PAGE_NIL ends a list both ways.
 *
 *   list.head -> [next] -> [next] -> ZBUD_PAGE_NIL       (head: the newest)
 *   ZBUD_PAGE_NIL <- [prev] <- [prev] <- list.tail
 *
 * All inline: with the descriptor type known, an access is one multiply-add.
 */
#ifndef ZBUD_PAGELIST_H
#define ZBUD_PAGELIST_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bits.h"
#include "page_source.h"

_Static_assert(ZBUD_PAGE_NIL == UINT32_MAX, "-(uint32_t)true is ZBUD_PAGE_NIL");

struct zbud_plink {
	uint32_t next;          /* towards the tail */
	uint32_t prev;          /* towards the head */
};

struct zbud_plist {
	uint32_t head, tail;
};

/* Where the links of one kind are: descriptor array, size, link offset. */
struct zbud_plinks {
	char *base;
	size_t stride, offset;
};

#define ZBUD_PLINKS(meta, type, member) \
	((struct zbud_plinks){ (char *)(meta), sizeof(type), offsetof(type, member) })

static inline struct zbud_plink *zbud_plink(struct zbud_plinks in, uint32_t pgno)
{
	return (struct zbud_plink *)(in.base + (size_t)pgno * in.stride + in.offset);
}

static inline void zbud_plist_init(struct zbud_plist *l)
{
	l->head = l->tail = ZBUD_PAGE_NIL;
}

static inline bool zbud_plist_empty(const struct zbud_plist *l)
{
	return l->head == ZBUD_PAGE_NIL;
}

/* zbud_plist_add - @pgno becomes the head */
static inline void zbud_plist_add(struct zbud_plinks in, struct zbud_plist *l, uint32_t pgno)
{
	struct zbud_plink *p = zbud_plink(in, pgno);

	p->prev = ZBUD_PAGE_NIL;
	p->next = l->head;
	if (l->head != ZBUD_PAGE_NIL)
		zbud_plink(in, l->head)->prev = pgno;
	else
		l->tail = pgno;
	l->head = pgno;
}

/* zbud_plist_pop - take the head off a list that is not empty */
static inline uint32_t zbud_plist_pop(struct zbud_plinks in, struct zbud_plist *l)
{
	uint32_t pgno = l->head, next;

	assert(pgno != ZBUD_PAGE_NIL);
	next = zbud_plink(in, pgno)->next;
	l->head = next;
	if (next != ZBUD_PAGE_NIL)
		zbud_plink(in, next)->prev = ZBUD_PAGE_NIL;
	else
		l->tail = ZBUD_PAGE_NIL;
	return pgno;
}

/* zbud_plist_del - take @pgno, which is on @l, off it */
static inline void zbud_plist_del(struct zbud_plinks in, struct zbud_plist *l, uint32_t pgno)
{
	const struct zbud_plink *p = zbud_plink(in, pgno);

	/* On @l: its neighbours, or the list's ends, point at it. */
	assert(p->prev != ZBUD_PAGE_NIL ? zbud_plink(in, p->prev)->next == pgno : l->head == pgno);
	assert(p->next != ZBUD_PAGE_NIL ? zbud_plink(in, p->next)->prev == pgno : l->tail == pgno);
	if (p->prev != ZBUD_PAGE_NIL)
		zbud_plink(in, p->prev)->next = p->next;
	else
		l->head = p->next;
	if (p->next != ZBUD_PAGE_NIL)
		zbud_plink(in, p->next)->prev = p->prev;
	else
		l->tail = p->prev;
}

/* plist_add_tail - @pgno becomes the tail (zblock's list_add_tail()) */
static inline void zbud_plist_add_tail(struct zbud_plinks in, struct zbud_plist *l,
				       uint32_t pgno)
{
	struct zbud_plink *p = zbud_plink(in, pgno);

	p->next = ZBUD_PAGE_NIL;
	p->prev = l->tail;
	if (l->tail != ZBUD_PAGE_NIL)
		zbud_plink(in, l->tail)->next = pgno;
	else
		l->head = pgno;
	l->tail = pgno;
}

/*
 * Branch-free forms, for a list change that a coin toss decides (zblock's:
 * does this allocation fill the block, did this free empty a full one?): a
 * branch on it mispredicts half the time.  Each writes every field the
 * change may touch, its old value back when @cond is false.
 */

/* The address of @pgno's link @member, or @nil for ZBUD_PAGE_NIL, by a
 * select (a ?: here became a branch): the address is only made, not used,
 * for ZBUD_PAGE_NIL. */
#define ZBUD_PLINK_OR(in, pgno, member, nil) \
	((uint32_t *)zbud_pick_eq_ptr((pgno), ZBUD_PAGE_NIL, (nil), \
		(void *)((uintptr_t)(in).base + (uintptr_t)(pgno) * (in).stride + (in).offset + \
			 offsetof(struct zbud_plink, member))))

/* zbud_plist_pop_if - take the head off a list that is not empty, if @cond */
static inline void zbud_plist_pop_if(struct zbud_plinks in, struct zbud_plist *l, bool cond)
{
	uint32_t head = l->head, next = zbud_plink(in, head)->next;
	uint32_t *back = ZBUD_PLINK_OR(in, next, prev, &l->tail);

	l->head = zbud_pick(cond, next, head);
	*back |= -(uint32_t)cond; /* ZBUD_PAGE_NIL if @cond */
}

/* zbud_plist_add_tail_if - @pgno, on no list, becomes @l's tail, if @cond */
static inline void zbud_plist_add_tail_if(struct zbud_plinks in, struct zbud_plist *l,
					  uint32_t pgno, bool cond)
{
	struct zbud_plink *p = zbud_plink(in, pgno);
	uint32_t tail = l->tail;
	uint32_t *fwd = tail != ZBUD_PAGE_NIL ? &zbud_plink(in, tail)->next : &l->head;

	p->next |= -(uint32_t)cond; /* ZBUD_PAGE_NIL if @cond */
	p->prev = zbud_pick(cond, tail, p->prev);
	*fwd = zbud_pick(cond, pgno, *fwd);
	l->tail = zbud_pick(cond, pgno, tail);
}

/*
 * Up to 64 lists by index, and a mask of those not empty: zbud's and
 * z3fold's unbuddied lists, by free chunks, where allocation takes the
 * lowest list with enough.
 */
static inline void zbud_plists_add(struct zbud_plinks in, struct zbud_plist *lists, uint64_t *mask,
				   int i, uint32_t pgno)
{
	zbud_plist_add(in, &lists[i], pgno);
	*mask |= 1ULL << i;
}

static inline void zbud_plists_del(struct zbud_plinks in, struct zbud_plist *lists, uint64_t *mask,
				   int i, uint32_t pgno)
{
	zbud_plist_del(in, &lists[i], pgno);
	if (zbud_plist_empty(&lists[i]))
		*mask &= ~(1ULL << i);
}

/* The head of lists[i], which is not empty, taken off it. */
static inline uint32_t zbud_plists_pop(struct zbud_plinks in, struct zbud_plist *lists,
				       uint64_t *mask, int i)
{
	uint32_t pgno = zbud_plist_pop(in, &lists[i]);

	if (zbud_plist_empty(&lists[i]))
		*mask &= ~(1ULL << i);
	return pgno;
}

/* The lowest list from @from up that is not empty, or -1. */
static inline int zbud_plists_first(uint64_t mask, int from)
{
	mask = mask >> from << from;
	return mask ? __builtin_ctzll(mask) : -1;
}

/*
 * zbud_plist_check - for the invariant checkers: walk @l and check that each page
 * is under @npages, on the list once (@mark in @marks, which the caller
 * zeroes once for all lists of a kind), linked back right, and that the tail
 * is the last page; then @visit(pgno, @list, arg) checks the page itself.
 * Adds the pages walked to *@count.  Returns 0 or -EUCLEAN with @msg (@name
 * in it).
 */
typedef int (*zbud_plist_visit)(uint32_t pgno, int list, void *arg);

int zbud_plist_check(struct zbud_plinks in, const struct zbud_plist *l, int list, const char *name,
		uint32_t npages, uint8_t *marks, uint8_t mark, zbud_plist_visit visit, void *arg,
		uint64_t *count, char *msg, size_t len);

/* zbud_plist_check_lists - zbud_plist_check() for each of @n lists named @kind[i], and
 * bit i of @mask set exactly when lists[i] is not empty */
int zbud_plist_check_lists(struct zbud_plinks in, const struct zbud_plist *lists, int n, uint64_t mask,
		      const char *kind, uint32_t npages, uint8_t *marks, uint8_t mark,
		      zbud_plist_visit visit, void *arg, uint64_t *count, char *msg, size_t len);

#endif /* ZBUD_PAGELIST_H */
