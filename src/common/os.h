/*
 * os.h - every call libzbud makes to the OS's virtual memory (internal)
 *
 * The page source's arena and the zsmalloc handle table both reserve a large
 * range of address space and make it usable as they grow, and both give
 * memory back when they empty: they do it here, and nowhere else calls mmap,
 * mprotect or madvise.
 *
 *   reserved:  [base ............................................ base + reserved)
 *   usable:    [base ....... base + committed)   PROT_NONE past it: no memory,
 *                                                no commit charge, a fault if touched
 *
 * Preconditions, for every call: addresses and lengths are multiples of
 * ZBUD_OS_PAGE (the OS page these files are written for); a range lies in
 * one reservation.  They are assert()ed, and a debug build checks them.
 */
#ifndef ZBUD_OS_H
#define ZBUD_OS_H

#include <stdbool.h>
#include <stddef.h>

#include "bits.h"

/* The granule of every call below: 4 KiB, the pool page, which must not be
 * smaller than the OS page. */
#define ZBUD_OS_PAGE 4096u

/* A transparent huge page's frame, where the OS has them: 2 MiB.  A
 * reservation at least this large starts on one. */
#define ZBUD_OS_HUGE (2u << 20)

/*
 * What pages back a reservation's usable part:
 *  SMALL       4 KiB pages: a page first written costs a fault of its own.
 *  HUGE        transparent huge pages, one fault a 2 MiB frame; memory given
 *              back inside a frame may come back when khugepaged collapses it.
 *  HUGE_SPLIT  as HUGE; but a frame that memory is given back from is left
 *              in 4 KiB pages (MADV_NOHUGEPAGE) until the whole reservation
 *              is emptied (zbud_vm_empty()), so that what was given back
 *              stays given back.
 */
enum zbud_vm_pages { ZBUD_VM_SMALL, ZBUD_VM_HUGE, ZBUD_VM_HUGE_SPLIT };

struct zbud_vm {
	char *base;             /* NULL: nothing reserved */
	size_t reserved;        /* bytes of address space held */
	size_t committed;       /* [base, base + committed) is read-write */
	enum zbud_vm_pages pages; /* as the last zbud_vm_commit() asked */
	bool split;             /* HUGE_SPLIT: some frame was split */
};

/* zbud_os_round - @n bytes rounded up to whole OS pages */
static inline size_t zbud_os_round(size_t n)
{
	return zbud_round_up(n, ZBUD_OS_PAGE);
}

/*
 * zbud_vm_reserve - reserve @len bytes of address space, none of it usable
 * yet, starting on a ZBUD_OS_HUGE frame when @len is at least one; where the
 * address space is short, settle for the largest of @len / 2, @len / 4, ...
 * not under @least (0: settle for nothing less).  Returns 0 or -ENOMEM;
 * @vm->reserved says how much.
 */
int zbud_vm_reserve(struct zbud_vm *vm, size_t len, size_t least);

/* zbud_vm_release - give the whole reservation back; @vm is zeroed */
void zbud_vm_release(struct zbud_vm *vm);

/*
 * zbud_vm_commit - make [committed, @upto) usable, @upto at most reserved,
 * backed by @pages (ZBUD_VM_SMALL: no call beyond mprotect()).  Returns 0 or
 * -ENOMEM, and then nothing changed.
 */
int zbud_vm_commit(struct zbud_vm *vm, size_t upto, enum zbud_vm_pages pages);

/* zbud_os_discard - give back the memory under [@p, @p + @len): it stays
 * usable, and reads as zeros until written.  Best effort. */
void zbud_os_discard(void *p, size_t len);

/*
 * zbud_vm_discard - zbud_os_discard() of [@p, @p + @len), inside @vm's
 * usable part; for a HUGE_SPLIT reservation, the frames holding it are left
 * in small pages from now on.
 */
void zbud_vm_discard(struct zbud_vm *vm, void *p, size_t len);

/*
 * zbud_vm_empty - nothing in @vm is in use: give back the memory under
 * [base, base + @len) (nothing past it was written), and let a HUGE_SPLIT
 * reservation's split frames take huge pages again.
 */
void zbud_vm_empty(struct zbud_vm *vm, size_t len);

/* zbud_os_populate - fault [@p, @p + @len) in for writing now, in one call,
 * rather than a page fault at a time later.  Best effort. */
void zbud_os_populate(void *p, size_t len);

#endif /* ZBUD_OS_H */
