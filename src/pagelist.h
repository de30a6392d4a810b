/*
 * pagelist.h - lists of pages, linked by page number (internal)
 *
 * zbud and z3fold keep pages on unbuddied lists and an LRU, as the kernel
 * does, but link them by their 32-bit numbers through the descriptors in the
 * page source's array, not by pointers inside the pages.  A list is its head
 * and tail; each page's links sit at a fixed offset of its descriptor; and
 * PAGE_NIL ends a list both ways.
 *
 *   list.head -> [next] -> [next] -> PAGE_NIL       (head: the newest)
 *   PAGE_NIL <- [prev] <- [prev] <- list.tail
 *
 * All inline: with the descriptor type known, an access is one multiply-add.
 */
#ifndef ZBUD_PAGELIST_H
#define ZBUD_PAGELIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "page_source.h"

struct plink {
	uint32_t next;          /* towards the tail */
	uint32_t prev;          /* towards the head */
};

struct plist {
	uint32_t head, tail;
};

/* Where the links of one kind are: descriptor array, size, link offset. */
struct plinks {
	char *base;
	size_t stride, offset;
};

#define PLINKS(meta, type, member) \
	((struct plinks){ (char *)(meta), sizeof(type), offsetof(type, member) })

static inline struct plink *plink(struct plinks in, uint32_t pgno)
{
	return (struct plink *)(in.base + (size_t)pgno * in.stride + in.offset);
}

static inline void plist_init(struct plist *l)
{
	l->head = l->tail = PAGE_NIL;
}

static inline bool plist_empty(const struct plist *l)
{
	return l->head == PAGE_NIL;
}

/* plist_add - @pgno becomes the head */
static inline void plist_add(struct plinks in, struct plist *l, uint32_t pgno)
{
	struct plink *p = plink(in, pgno);

	p->prev = PAGE_NIL;
	p->next = l->head;
	if (l->head != PAGE_NIL)
		plink(in, l->head)->prev = pgno;
	else
		l->tail = pgno;
	l->head = pgno;
}

/* plist_pop - take the head off a list that is not empty */
static inline uint32_t plist_pop(struct plinks in, struct plist *l)
{
	uint32_t pgno = l->head, next = plink(in, pgno)->next;

	l->head = next;
	if (next != PAGE_NIL)
		plink(in, next)->prev = PAGE_NIL;
	else
		l->tail = PAGE_NIL;
	return pgno;
}

/* plist_del - take @pgno, which is on @l, off it */
static inline void plist_del(struct plinks in, struct plist *l, uint32_t pgno)
{
	const struct plink *p = plink(in, pgno);

	if (p->prev != PAGE_NIL)
		plink(in, p->prev)->next = p->next;
	else
		l->head = p->next;
	if (p->next != PAGE_NIL)
		plink(in, p->next)->prev = p->prev;
	else
		l->tail = p->prev;
}

/*
 * plist_check - for the invariant checkers: walk @l and check that each page
 * is under @npages, on the list once (@mark in @marks, which the caller
 * zeroes once for all lists of a kind), linked back right, and that the tail
 * is the last page; then @visit(pgno, @list, arg) checks the page itself.
 * Adds the pages walked to *@count.  Returns 0 or -EUCLEAN with @msg (@name
 * in it).
 */
typedef int (*plist_visit)(uint32_t pgno, int list, void *arg);

int plist_check(struct plinks in, const struct plist *l, int list, const char *name,
		uint32_t npages, uint8_t *marks, uint8_t mark, plist_visit visit, void *arg,
		uint64_t *count, char *msg, size_t len);

/* plist_check_lists - plist_check() for each of @n lists named @kind[i], and
 * bit i of @mask set exactly when lists[i] is not empty */
int plist_check_lists(struct plinks in, const struct plist *lists, int n, uint64_t mask,
		      const char *kind, uint32_t npages, uint8_t *marks, uint8_t mark,
		      plist_visit visit, void *arg, uint64_t *count, char *msg, size_t len);

#endif /* ZBUD_PAGELIST_H */
