/*
 * stress_util.h - what the thread tests share (test_stress.c,
 * test_zsmalloc.c, test_z3fold.c)
 *
 * cmocka's asserts may only run on the main thread, so the other threads
 * count their failures with report(), which keeps the first message, and
 * the main thread calls expect_no_errors() after the joins.
 * ZBUD_STRESS_MS overrides how long a thread test runs.
 */
#ifndef ZBUD_TEST_STRESS_UTIL_H
#define ZBUD_TEST_STRESS_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

struct thread_errors {
	atomic_ulong count;
	char first[160];        /* written by whoever counts the first error */
};

static inline void __attribute__((format(printf, 2, 3)))
report(struct thread_errors *e, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&e->count, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(e->first, sizeof(e->first), fmt, ap);
	va_end(ap);
}

/* On the main thread, once the others are joined. */
static inline void expect_no_errors(struct thread_errors *e)
{
	unsigned long n = atomic_load(&e->count);

	if (n)
		fail_msg("%lu errors, the first: %s", n, e->first);
}

/* How long to run, in milliseconds: ZBUD_STRESS_MS, else @fallback. */
static inline long stress_ms(long fallback)
{
	const char *s = getenv("ZBUD_STRESS_MS");

	return s && *s ? strtol(s, NULL, 10) : fallback;
}

#endif /* ZBUD_TEST_STRESS_UTIL_H */
