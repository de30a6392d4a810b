/*
 * check.h - reporting for the invariant checkers (internal)
 */
#ifndef ZBUD_CHECK_H
#define ZBUD_CHECK_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

/* Describe the violation in @msg (if any room) and return -EUCLEAN. */
static inline int __attribute__((format(printf, 3, 4)))
zbud_check_fail(char *msg, size_t len, const char *fmt, ...)
{
	if (len) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(msg, len, fmt, ap);
		va_end(ap);
	}
	return -EUCLEAN;
}

#endif /* ZBUD_CHECK_H */
