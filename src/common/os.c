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

int zbud_vm_reserve(struct zbud_vm *vm, size_t len, size_t least)
{
	assert(aligned(NULL, len) && aligned(NULL, least));
	memset(vm, 0, sizeof(*vm));
	for (; len && len >= least; len = len / 2 / ZBUD_OS_PAGE * ZBUD_OS_PAGE) {
		void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);

		if (p != MAP_FAILED) {
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

int zbud_vm_commit(struct zbud_vm *vm, size_t upto, bool hugepage)
{
	char *from = vm->base + vm->committed;
	size_t len = upto - vm->committed;

	assert(vm->base && upto >= vm->committed && upto <= vm->reserved && aligned(from, len));
	if (!len)
		return 0;
	if (mprotect(from, len, PROT_READ | PROT_WRITE))
		return -ENOMEM;
	if (hugepage)
		madvise(from, len, MADV_HUGEPAGE);
	vm->committed = upto;
	return 0;
}

void zbud_os_discard(void *p, size_t len)
{
	assert(aligned(p, len));
	if (len)
		madvise(p, len, MADV_DONTNEED);
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
