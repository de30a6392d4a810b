/*
 * fault.h - fault injection for tests (internal)
 *
 * In a library built with ZBUD_FAULT_INJECTION (the tests' zbud_fault), each
 * place that can fail for want of a resource asks zbud_fault_hit() first, and a
 * test can make the Nth such call from now fail: the way to prove that every
 * failure path leaves the caller's data intact.  In the real library
 * zbud_fault_hit() is a constant false and costs nothing.
 */
#ifndef ZBUD_FAULT_H
#define ZBUD_FAULT_H

#include <stdbool.h>
#include <stdint.h>

enum zbud_fault_site {
	ZBUD_FAULT_PAGE,         /* a page from a page source */
	ZBUD_FAULT_META,         /* a metadata allocation (malloc) */
	ZBUD_FAULT_COMPRESS,     /* a compression */
	ZBUD_FAULT_WRITE,        /* a write to a backing file */
	ZBUD_FAULT_NR
};

#ifdef ZBUD_FAULT_INJECTION
/* zbud_fault_hit - count a call at @site; true if it is the one armed to fail */
bool zbud_fault_hit(enum zbud_fault_site site);
/* zbud_fault_arm - make the @nth call at @site from now fail (1: the next); 0: none */
void zbud_fault_arm(enum zbud_fault_site site, uint64_t nth);
/* zbud_fault_calls - calls counted at @site since the last zbud_fault_arm() there */
uint64_t zbud_fault_calls(enum zbud_fault_site site);
#else
static inline bool zbud_fault_hit(enum zbud_fault_site site)
{
	(void)site;
	return false;
}
#endif

#endif /* ZBUD_FAULT_H */
