/*
 * page_source.c - the arena and the fixed-buffer page sources
 *
 * The arena reserves address space for all its pages and descriptors at
 * once, PROT_NONE so that it costs neither memory nor commit charge, and
 * makes it read-write in steps as the pool grows.  One source is one pool's:
 * page numbers stay small and dense, and a handle can carry them.
 */
#include "page_source.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fault.h"

/* Pages made read-write at a time: 2 MiB, one huge page, so that growing
 * costs one mprotect() per 512 pages. */
#define ARENA_GROW_PAGES 512u

/*
 * New pages are faulted in this many at a time, with MADV_POPULATE_WRITE,
 * when the first of them is handed out: one system call instead of a page
 * fault per page, which costs a store into a growing pool ~1 us a page.
 * At most this many pages are resident before they are used (256 KiB).
 */
#define ARENA_POPULATE_PAGES 64u

/*
 * Free pages the arena keeps resident for reuse: at least ARENA_CACHE_MIN
 * (256 KiB, enough to absorb the churn of a pool in steady state without a
 * system call) and up to 1/ARENA_CACHE_DIV of the pages in use.  Past that
 * limit, the cache is cut to half of it, in sorted batches of at most
 * ARENA_TRIM_BATCH pages so that neighbours go back in one madvise().
 */
#define ARENA_CACHE_MIN 64u
#define ARENA_CACHE_DIV 32u
#define ARENA_TRIM_BATCH 256u

/* A fixed buffer's pages, and the descriptors after them, start on a cache
 * line. */
#define BUFFER_ALIGN 64u

static uint32_t link_of(const struct zbud_source *ps, uint32_t pgno)
{
	uint32_t next;

	memcpy(&next, zbud_source_desc(ps, pgno), sizeof(next));
	return next;
}

static void push(struct zbud_source *ps, uint32_t *head, uint32_t *nr, uint32_t pgno)
{
	memcpy(zbud_source_desc(ps, pgno), head, sizeof(*head));
	*head = pgno;
	++*nr;
}

static uint32_t pop(struct zbud_source *ps, uint32_t *head, uint32_t *nr)
{
	uint32_t pgno = *head;

	*head = link_of(ps, pgno);
	--*nr;
	return pgno;
}

static void reset(struct zbud_source *ps)
{
	ps->next = 0;
	ps->hot = ps->cold = ZBUD_PAGE_NIL;
	ps->hot_nr = ps->cold_nr = 0;
}

/* A handle carries the page number above the offset in the page, and
 * ZBUD_PAGE_NIL is no page. */
static uint64_t clamp_pages(uint64_t pages)
{
	if (pages > (ULONG_MAX >> ZBUD_PAGE_SHIFT))
		pages = ULONG_MAX >> ZBUD_PAGE_SHIFT;
	return pages < ZBUD_PAGE_NIL ? pages : ZBUD_PAGE_NIL - 1;
}

static int init_buffer(struct zbud_source *ps, const struct zbud_source_config *cfg)
{
	uintptr_t start = (uintptr_t)cfg->buffer;
	uintptr_t base = zbud_round_up(start, BUFFER_ALIGN);
	size_t avail = cfg->buffer_size > base - start ? cfg->buffer_size - (base - start) : 0;
	size_t pages = clamp_pages(avail / (ZBUD_PAGE_SIZE + ps->meta_size));

	if (!pages)
		return -EINVAL;
	ps->base = (char *)base;
	ps->meta = (char *)base + (pages << ZBUD_PAGE_SHIFT); /* aligned as base */
	ps->capacity = ps->committed = (uint32_t)pages;
	return 0;
}

static int init_arena(struct zbud_source *ps, const struct zbud_source_config *cfg)
{
	uint64_t pages = clamp_pages(cfg->max_pages ? cfg->max_pages : ZBUD_ARENA_DEFAULT_PAGES);

	/* Where the address space is short, settle for less of it; but not when
	 * a size was asked for: don't quietly give less. */
	if (zbud_vm_reserve(&ps->data, (size_t)pages << ZBUD_PAGE_SHIFT,
			    cfg->max_pages ? 0 : ZBUD_PAGE_SIZE))
		return -ENOMEM;
	pages = ps->data.reserved >> ZBUD_PAGE_SHIFT;
	if (zbud_vm_reserve(&ps->descs, zbud_os_round(pages * ps->meta_size), 0)) {
		zbud_vm_release(&ps->data);
		return -ENOMEM;
	}
	ps->base = ps->data.base;
	ps->meta = ps->descs.base;
	ps->arena = true;
	ps->capacity = (uint32_t)pages;
	return 0;
}

int zbud_source_init(struct zbud_source *ps, const struct zbud_source_config *cfg,
		     size_t meta_size)
{
	int err;

	assert(meta_size >= 4 && meta_size % 4 == 0);
	memset(ps, 0, sizeof(*ps));
	ps->meta_size = meta_size;
	ps->flags = cfg->flags;
	err = cfg->buffer ? init_buffer(ps, cfg) : init_arena(ps, cfg);
	reset(ps);
	return err;
}

void zbud_source_fini(struct zbud_source *ps)
{
	if (ps->arena) {
		zbud_vm_release(&ps->data);
		zbud_vm_release(&ps->descs);
	}
	memset(ps, 0, sizeof(*ps));
}

/* What backs the pages: see ZBUD_SOURCE_HUGEPAGES. */
static enum zbud_vm_pages data_pages(const struct zbud_source *ps)
{
	if (ps->flags & ZBUD_SOURCE_SMALLPAGES)
		return ZBUD_VM_SMALL;
	return ps->flags & ZBUD_SOURCE_HUGEPAGES ? ZBUD_VM_HUGE : ZBUD_VM_HUGE_SPLIT;
}

/* Make [committed, committed + step) usable: its pages and descriptors.
 * The descriptors always ask for huge pages: every call reads one at random,
 * so spare the TLB. */
static int grow(struct zbud_source *ps)
{
	uint32_t step = ps->capacity - ps->committed;

	if (!ps->arena || !step)
		return -ENOMEM;
	if (step > ARENA_GROW_PAGES)
		step = ARENA_GROW_PAGES;
	if (zbud_vm_commit(&ps->descs, zbud_os_round((size_t)(ps->committed + step) * ps->meta_size),
			   ZBUD_VM_HUGE) ||
	    zbud_vm_commit(&ps->data, (size_t)(ps->committed + step) << ZBUD_PAGE_SHIFT,
			   data_pages(ps)))
		return -ENOMEM;
	ps->committed += step;
	return 0;
}

/* Fault in the pages from next on, a batch at once; where the kernel cannot,
 * they fault in one by one as they are written. */
static void populate(const struct zbud_source *ps)
{
	uint32_t n = ps->committed - ps->next;

	if (n > ARENA_POPULATE_PAGES)
		n = ARENA_POPULATE_PAGES;
	zbud_os_populate(zbud_source_addr(ps, ps->next), (size_t)n << ZBUD_PAGE_SHIFT);
}

int zbud_source_get(struct zbud_source *ps, uint32_t *pgno)
{
	if (zbud_fault_hit(ZBUD_FAULT_PAGE))
		return -ENOMEM;
	if (ps->hot != ZBUD_PAGE_NIL) {
		*pgno = pop(ps, &ps->hot, &ps->hot_nr);
	} else if (ps->cold != ZBUD_PAGE_NIL) {
		*pgno = pop(ps, &ps->cold, &ps->cold_nr);
	} else {
		if (ps->next == ps->committed && grow(ps))
			return -ENOMEM;
		if (ps->arena && ps->next % ARENA_POPULATE_PAGES == 0)
			populate(ps);
		*pgno = ps->next++;
	}
	ps->in_use++;
	memset(zbud_source_desc(ps, *pgno), 0, ps->meta_size);
	return 0;
}

void zbud_source_discard(struct zbud_source *ps, uint32_t first, uint32_t pages)
{
	assert(ps->arena && first + pages <= ps->next);
	zbud_vm_discard(&ps->data, zbud_source_addr(ps, first), (size_t)pages << ZBUD_PAGE_SHIFT);
}

static int cmp_pgno(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Hand the top @n hot pages back to the OS. */
static void trim(struct zbud_source *ps, uint32_t n)
{
	uint32_t batch[ARENA_TRIM_BATCH];

	while (n) {
		uint32_t k = n < ARENA_TRIM_BATCH ? n : ARENA_TRIM_BATCH;

		for (uint32_t i = 0; i < k; i++)
			batch[i] = pop(ps, &ps->hot, &ps->hot_nr);
		qsort(batch, k, sizeof(batch[0]), cmp_pgno);
		for (uint32_t i = 0, j; i < k; i = j) {
			for (j = i + 1; j < k && batch[j] == batch[j - 1] + 1; j++)
				;
			zbud_source_discard(ps, batch[i], j - i);
		}
		for (uint32_t i = 0; i < k; i++)
			push(ps, &ps->cold, &ps->cold_nr, batch[i]);
		n -= k;
	}
}

void zbud_source_put(struct zbud_source *ps, uint32_t pgno)
{
	uint32_t limit;

	assert(pgno < ps->next && ps->in_use);
	ps->in_use--;
	if (!ps->in_use) {
		/* Empty: give back every page and descriptor touched. */
		if (ps->arena) {
			zbud_vm_empty(&ps->data, (size_t)ps->next << ZBUD_PAGE_SHIFT);
			zbud_vm_empty(&ps->descs, zbud_os_round((size_t)ps->next * ps->meta_size));
		}
		reset(ps);
		return;
	}
	push(ps, &ps->hot, &ps->hot_nr, pgno);
	limit = ARENA_CACHE_MIN + ps->in_use / ARENA_CACHE_DIV;
	if (ps->arena && ps->hot_nr > limit)
		trim(ps, ps->hot_nr - limit / 2);
}

uint64_t zbud_source_meta_bytes(const struct zbud_source *ps)
{
	return zbud_round_up((size_t)ps->next * ps->meta_size, ps->arena ? ZBUD_PAGE_SIZE : 1);
}

static int check_stack(const struct zbud_source *ps, uint32_t head, uint32_t nr,
		       const char *name, uint8_t *seen, bool (*page_free)(const void *),
		       char *msg, size_t len)
{
	uint32_t count = 0;

	for (uint32_t p = head; p != ZBUD_PAGE_NIL; p = link_of(ps, p)) {
		if (p >= ps->next)
			return zbud_check_fail(msg, len, "%s free list: page %u was never given", name, p);
		if (seen[p])
			return zbud_check_fail(msg, len, "%s free list: page %u listed twice", name, p);
		if (!page_free(zbud_source_desc(ps, p)))
			return zbud_check_fail(msg, len, "%s free list: page %u is in use", name, p);
		seen[p] = 1;
		if (++count > nr)
			break;
	}
	if (count != nr)
		return zbud_check_fail(msg, len, "%s free list holds %u pages, counted %u", name, count, nr);
	return 0;
}

int zbud_source_check(const struct zbud_source *ps,
		      bool (*page_free)(const void *meta), char *msg, size_t len)
{
	uint8_t *seen;
	int err;

	if (ps->next > ps->committed || ps->committed > ps->capacity)
		return zbud_check_fail(msg, len, "page source: next %u, committed %u, capacity %u",
				  ps->next, ps->committed, ps->capacity);
	if ((uint64_t)ps->in_use + ps->hot_nr + ps->cold_nr != ps->next)
		return zbud_check_fail(msg, len, "page source: %u in use + %u hot + %u cold != %u given",
				  ps->in_use, ps->hot_nr, ps->cold_nr, ps->next);
	seen = calloc(ps->next ? ps->next : 1, 1);
	if (!seen)
		return -ENOMEM;
	err = check_stack(ps, ps->hot, ps->hot_nr, "hot", seen, page_free, msg, len);
	if (!err)
		err = check_stack(ps, ps->cold, ps->cold_nr, "cold", seen, page_free, msg, len);
	free(seen);
	return err;
}
