/*
 * test_pagelist.c - the page lists' branch-free forms: a change that does
 * not happen leaves every link as it was; one that does is the plain form's
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pagelist.h"

#define PAGES 4

struct desc {
	uint32_t other;         /* links at an offset, as in the allocators */
	struct zbud_plink link;
};

struct lists {
	struct desc d[PAGES];
	struct zbud_plist l;
};

#define LINKS(s) ZBUD_PLINKS((s)->d, struct desc, link)

/* @s with pages [0, n) on its list, 0 the head, and the rest on none. */
static void setup_list(struct lists *s, uint32_t n)
{
	memset(s, 0xa5, sizeof(*s)); /* links of pages on no list: garbage */
	zbud_plist_init(&s->l);
	for (uint32_t p = 0; p < n; p++)
		zbud_plist_add_tail(LINKS(s), &s->l, p);
}

static void test_pick(void **state)
{
	(void)state;
	assert_int_equal(zbud_pick(true, 7, 9), 7);
	assert_int_equal(zbud_pick(false, 7, 9), 9);
	assert_int_equal(zbud_pick(true, UINT32_MAX, 0), UINT32_MAX);
	assert_int_equal(zbud_pick(false, UINT32_MAX, 0), 0);
}

/* The compare-and-move form, its operands from registers and from memory
 * (volatile: the asm's "rm" may take either), against a plain ?:. */
static void test_pick_eq(void **state)
{
	static const uint32_t v[] = { 0, 1, 2, 0x7fffffff, 0x80000000, UINT32_MAX - 1, UINT32_MAX };
	const size_t n = sizeof(v) / sizeof(v[0]);

	(void)state;
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++) {
			volatile uint32_t mb = v[b], myes = 0xabcd0000u + (uint32_t)a, mno = 0x1234u;

			assert_int_equal(zbud_pick_eq(v[a], v[b], 5, 6), v[a] == v[b] ? 5 : 6);
			assert_int_equal(zbud_pick_eq(v[a], mb, myes, mno),
					 v[a] == v[b] ? 0xabcd0000u + (uint32_t)a : 0x1234u);
		}
}

static void test_pop_if(void **state)
{
	struct lists s, before, plain;

	(void)state;
	for (uint32_t n = 1; n <= 3; n++) {
		setup_list(&s, n);
		before = s;
		zbud_plist_pop_if(LINKS(&s), &s.l, false);
		assert_memory_equal(&s, &before, sizeof(s));

		plain = before;
		assert_int_equal(zbud_plist_pop(LINKS(&plain), &plain.l), 0);
		zbud_plist_pop_if(LINKS(&s), &s.l, true);
		assert_memory_equal(&s, &plain, sizeof(s));
		assert_int_equal(s.l.head, n > 1 ? 1 : ZBUD_PAGE_NIL);
		assert_int_equal(s.l.tail, n > 1 ? n - 1 : ZBUD_PAGE_NIL);
	}
}

static void test_add_tail_if(void **state)
{
	struct lists s, before, plain;

	(void)state;
	for (uint32_t n = 0; n <= 2; n++) {
		setup_list(&s, n);
		before = s;
		zbud_plist_add_tail_if(LINKS(&s), &s.l, 3, false);
		assert_memory_equal(&s, &before, sizeof(s));

		plain = before;
		zbud_plist_add_tail(LINKS(&plain), &plain.l, 3);
		zbud_plist_add_tail_if(LINKS(&s), &s.l, 3, true);
		assert_memory_equal(&s, &plain, sizeof(s));
		assert_int_equal(s.l.tail, 3);
		assert_int_equal(s.l.head, n ? 0 : 3);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_pick_eq),
		cmocka_unit_test(test_pop_if),
		cmocka_unit_test(test_add_tail_if),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
