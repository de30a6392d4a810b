/*
 * os.c - the OS's virtual memory calls (see os.h)
 */
#include "os.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

static inline bool __attribute__((unused)) aligned(const void *p, size_t len)
{
	return (uintptr_t)p % ZBUD_OS_PAGE == 0 && len % ZBUD_OS_PAGE == 0;
}

/* @len bytes of PROT_NONE address space, on a huge page frame when @len
 * holds one: reserved with a frame's slack, and the slack given back. */
static char *reserve(size_t len)
{
	size_t slack = len >= ZBUD_OS_HUGE ? ZBUD_OS_HUGE - ZBUD_OS_PAGE : 0, head;
	char *p;

	if (len + slack < len)
		return NULL;
	p = mmap(NULL, len + slack, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	head = (ZBUD_OS_HUGE - (uintptr_t)p % ZBUD_OS_HUGE) % ZBUD_OS_HUGE;
	if (head > slack)
		head = 0;       /* too small to hold a frame: no slack was taken */
	if (head)
		munmap(p, head);
	if (slack - head)
		munmap(p + head + len, slack - head);
	return p + head;
}

int zbud_vm_reserve(struct zbud_vm *vm, size_t len, size_t least)
{
	assert(aligned(NULL, len) && aligned(NULL, least));
	memset(vm, 0, sizeof(*vm));
	for (; len && len >= least; len = len / 2 / ZBUD_OS_PAGE * ZBUD_OS_PAGE) {
		char *p = reserve(len);

		if (p) {
			vm->base = p;
			vm->reserved = len;
			return 0;
		}
		if (!least)
			break;
	}
	return -ENOMEM;
}

void zbud_vm_release(struct zbud_vm *vm)
{
	if (vm->base)
		munmap(vm->base, vm->reserved);
	memset(vm, 0, sizeof(*vm));
}

int zbud_vm_commit(struct zbud_vm *vm, size_t upto, enum zbud_vm_pages pages)
{
	char *from = vm->base + vm->committed;
	size_t len = upto - vm->committed;

	assert(vm->base && upto >= vm->committed && upto <= vm->reserved && aligned(from, len));
	if (!len)
		return 0;
	if (mprotect(from, len, PROT_READ | PROT_WRITE))
		return -ENOMEM;
	if (pages != ZBUD_VM_SMALL)
		madvise(from, len, MADV_HUGEPAGE);
	vm->pages = pages;
	vm->committed = upto;
	return 0;
}

void zbud_os_discard(void *p, size_t len)
{
	assert(aligned(p, len));
	if (len)
		madvise(p, len, MADV_DONTNEED);
}

void zbud_vm_discard(struct zbud_vm *vm, void *p, size_t len)
{
	char *from = p, *to = from + len;

	assert(from >= vm->base && to <= vm->base + vm->committed && aligned(p, len));
	if (!len)
		return;
	madvise(p, len, MADV_DONTNEED);
	if (vm->pages != ZBUD_VM_HUGE_SPLIT)
		return;
	/* Whole frames around it, inside the reservation (base is on one). */
	from = vm->base + (size_t)(from - vm->base) / ZBUD_OS_HUGE * ZBUD_OS_HUGE;
	to = vm->base + zbud_round_up((size_t)(to - vm->base), ZBUD_OS_HUGE);
	if (to > vm->base + vm->reserved)
		to = vm->base + vm->reserved;
	madvise(from, (size_t)(to - from), MADV_NOHUGEPAGE);
	vm->split = true;
}

void zbud_vm_empty(struct zbud_vm *vm, size_t len)
{
	assert(len <= vm->committed && aligned(NULL, len));
	if (len)
		madvise(vm->base, len, MADV_DONTNEED);
	if (vm->split && vm->committed)
		madvise(vm->base, vm->committed, MADV_HUGEPAGE);
	vm->split = false;
}

void zbud_os_populate(void *p, size_t len)
{
	assert(aligned(p, len));
#ifdef MADV_POPULATE_WRITE
	if (len)
		madvise(p, len, MADV_POPULATE_WRITE);
#else
	(void)p, (void)len; /* an older kernel's headers: pages fault in as written */
#endif
}
