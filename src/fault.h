/*
 * fault.h - fault injection for tests (internal)
 *
 * In a library built with ZBUD_FAULT_INJECTION (the tests' zbud_fault), each
 * place that can fail for want of a resource asks fault_hit() first, and a
 * test can make the Nth such call from now fail: the way to prove that every
 * failure path leaves the caller's data intact.  In the real library
 * fault_hit() is a constant false and costs nothing.
 */
#ifndef ZBUD_FAULT_H
#define ZBUD_FAULT_H

#include <stdbool.h>
#include <stdint.h>

enum fault_site {
	FAULT_PAGE,         /* a page from a page source */
	FAULT_META,         /* a metadata allocation (malloc) */
	FAULT_COMPRESS,     /* a compression */
	FAULT_WRITE,        /* a write to a backing file */
	FAULT_NR
};

#ifdef ZBUD_FAULT_INJECTION
/* fault_hit - count a call at @site; true if it is the one armed to fail */
bool fault_hit(enum fault_site site);
/* fault_arm - make the @nth call at @site from now fail (1: the next); 0: none */
void fault_arm(enum fault_site site, uint64_t nth);
/* fault_calls - calls counted at @site since the last fault_arm() there */
uint64_t fault_calls(enum fault_site site);
#else
static inline bool fault_hit(enum fault_site site)
{
	(void)site;
	return false;
}
#endif

#endif /* ZBUD_FAULT_H */
