/*
 * evict_log.h - what the rule tests' evict callback saw (test_zbud_rules.c,
 * test_z3fold.c)
 *
 * Each test file's callback starts with evict_log_refuses(): it notes the
 * handle, in order, and the pool's page count at that moment, and says
 * whether the test asked for a refusal (-EBUSY); if not, the callback frees
 * the object.  A test reads ev.seen[], ev.nseen and ev.pages_during, and
 * names the handles to refuse with refuse().  Set-up clears the log.
 */
#ifndef ZBUD_TEST_EVICT_LOG_H
#define ZBUD_TEST_EVICT_LOG_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define MAX_EVICTS 64

static struct {
	unsigned long seen[MAX_EVICTS];
	int nseen;
	unsigned long refuse[8];
	int nrefuse;
	uint64_t pages_during;  /* the pool's pages inside the callback */
} ev;

static inline void evict_log_clear(void)
{
	memset(&ev, 0, sizeof(ev));
}

/* Note @handle, offered while the pool holds @pages pages; true if the
 * callback must refuse it. */
static inline bool evict_log_refuses(unsigned long handle, uint64_t pages)
{
	assert_true(ev.nseen < MAX_EVICTS);
	ev.seen[ev.nseen++] = handle;
	ev.pages_during = pages;
	for (int i = 0; i < ev.nrefuse; i++)
		if (ev.refuse[i] == handle)
			return true;
	return false;
}

static inline void refuse(unsigned long h)
{
	ev.refuse[ev.nrefuse++] = h;
}

#endif /* ZBUD_TEST_EVICT_LOG_H */
