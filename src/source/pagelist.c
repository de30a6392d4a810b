/*
 * pagelist.c - the list walk the invariant checkers share
 */
#include "pagelist.h"

#include <stdio.h>

#include "check.h"

int zbud_plist_check(struct zbud_plinks in, const struct zbud_plist *l, int list, const char *name,
		uint32_t npages, uint8_t *marks, uint8_t mark, zbud_plist_visit visit, void *arg,
		uint64_t *count, char *msg, size_t len)
{
	uint32_t prev = ZBUD_PAGE_NIL;

	for (uint32_t p = l->head; p != ZBUD_PAGE_NIL; prev = p, p = zbud_plink(in, p)->next) {
		int err;

		if (p >= npages)
			return zbud_check_fail(msg, len, "%s: page %u out of range", name, p);
		if (marks[p] & mark)
			return zbud_check_fail(msg, len, "%s: page %u listed twice", name, p);
		marks[p] |= mark;
		if (zbud_plink(in, p)->prev != prev)
			return zbud_check_fail(msg, len, "%s: page %u points back to %u, not %u", name, p,
					  zbud_plink(in, p)->prev, prev);
		err = visit(p, list, arg);
		if (err)
			return err;
		++*count;
	}
	if (l->tail != prev)
		return zbud_check_fail(msg, len, "%s: tail is %u, last page is %u", name, l->tail, prev);
	return 0;
}

int zbud_plist_check_lists(struct zbud_plinks in, const struct zbud_plist *lists, int n, uint64_t mask,
		      const char *kind, uint32_t npages, uint8_t *marks, uint8_t mark,
		      zbud_plist_visit visit, void *arg, uint64_t *count, char *msg, size_t len)
{
	char name[32];
	int err = 0;

	for (int i = 0; !err && i < n; i++) {
		bool listed = !zbud_plist_empty(&lists[i]);

		if (listed != !!(mask & (1ULL << i)))
			return zbud_check_fail(msg, len, "%s[%d]: mask bit says %s", kind, i,
					  listed ? "empty" : "not empty");
		snprintf(name, sizeof(name), "%s[%d]", kind, i);
		err = zbud_plist_check(in, &lists[i], i, name, npages, marks, mark, visit, arg, count,
				  msg, len);
	}
	return err;
}
