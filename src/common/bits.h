/*
 * bits.h - rounding, hashing and selecting, as every layer does it (internal)
 */
#ifndef ZBUD_BITS_H
#define ZBUD_BITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* splitmix64's finaliser: every bit of @z moves every bit of the result.
 * For hash tables whose keys (IDs, handles, counters) are far from random. */
static inline uint64_t zbud_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* @cond ? @yes : @no, as arithmetic: for a choice that is a coin toss,
 * which compilers would make a branch that mispredicts half the time */
static inline uint32_t zbud_pick(bool cond, uint32_t yes, uint32_t no)
{
#if defined(__x86_64__) && defined(__GNUC__)
	/* A conditional move, two instructions; neither gcc nor clang can be
	 * made to emit one reliably from C (a ?: told it is even odds still
	 * became a branch). */
	uint32_t c = cond;

	__asm__("test %1, %1\n\tcmovnz %2, %0" : "+r"(no) : "r"(c), "rm"(yes) : "cc");
	return no;
#else
	uint32_t mask = -(uint32_t)cond;

	return (yes & mask) | (no & ~mask);
#endif
}

/* zbud_pick_eq - @a == @b ? @yes : @no, as zbud_pick() but with the
 * comparison in it: a compare and a conditional move, where a bool made
 * first costs a set and a test more */
static inline uint32_t zbud_pick_eq(uint32_t a, uint32_t b, uint32_t yes, uint32_t no)
{
#if defined(__x86_64__) && defined(__GNUC__)
	__asm__("cmp %2, %1\n\tcmove %3, %0" : "+r"(no) : "r"(a), "rm"(b), "rm"(yes) : "cc");
	return no;
#else
	return zbud_pick(a == b, yes, no);
#endif
}

/* zbud_pick_eq_ptr - @a == @b ? @yes : @no, for pointers */
static inline void *zbud_pick_eq_ptr(uint32_t a, uint32_t b, void *yes, void *no)
{
#if defined(__x86_64__) && defined(__GNUC__)
	__asm__("cmp %2, %1\n\tcmove %3, %0" : "+r"(no) : "r"(a), "rm"(b), "rm"(yes) : "cc");
	return no;
#else
	return a == b ? yes : no;
#endif
}

#endif /* ZBUD_BITS_H */
