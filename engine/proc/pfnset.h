/*
 * pfnset.h - a set of page frame numbers: a page that two processes share
 * (after fork(), until one of them writes it; shared memory) is one frame,
 * and counted once
 *
 * A bit a frame, in leaves of LEAF bits made as frames are added: its size
 * follows the physical memory the pages lie in (one bit a 4 KiB frame, 32
 * KiB a GiB at most), never the number of pages added.
 */
#ifndef ZBUD_PFNSET_H
#define ZBUD_PFNSET_H

#include <stddef.h>
#include <stdint.h>

struct pfnset;

/* pfnset_new - an empty set; NULL when out of memory */
struct pfnset *pfnset_new(void);

void pfnset_free(struct pfnset *s);

/* pfnset_clear - empty again (its leaves kept for the next walk) */
void pfnset_clear(struct pfnset *s);

/* pfnset_add - 1 when @pfn was in the set already, 0 when added, -ENOMEM */
int pfnset_add(struct pfnset *s, uint64_t pfn);

/* pfnset_bytes - the memory the set holds */
size_t pfnset_bytes(const struct pfnset *s);

#endif /* ZBUD_PFNSET_H */
