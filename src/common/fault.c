/*
 * fault.c - see fault.h; compiled into the tests' library only
 */
#include "fault.h"

#include <stdatomic.h>

static struct {
	atomic_uint_fast64_t calls;
	atomic_uint_fast64_t fail_at;   /* 0: never */
} sites[ZBUD_FAULT_NR];

bool zbud_fault_hit(enum zbud_fault_site site)
{
	uint64_t n = atomic_fetch_add(&sites[site].calls, 1) + 1;

	return n == atomic_load(&sites[site].fail_at);
}

void zbud_fault_arm(enum zbud_fault_site site, uint64_t nth)
{
	atomic_store(&sites[site].fail_at, 0);
	atomic_store(&sites[site].calls, 0);
	atomic_store(&sites[site].fail_at, nth);
}

uint64_t zbud_fault_calls(enum zbud_fault_site site)
{
	return atomic_load(&sites[site].calls);
}
