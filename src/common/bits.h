/*
 * bits.h - rounding, as every layer does it (internal)
 */
#ifndef ZBUD_BITS_H
#define ZBUD_BITS_H

#include <stddef.h>

/* @n rounded up to a multiple of @to (which is not 0) */
static inline size_t zbud_round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

/* how many @unit-sized pieces hold @n: zbud's and z3fold's chunks */
static inline size_t zbud_div_round_up(size_t n, size_t unit)
{
	return (n + unit - 1) / unit;
}

#endif /* ZBUD_BITS_H */
