/*
 * test_kstat.c - the parsers of the kernel's files (engine/kstat), each on
 * the exact text kernels write (v6.1 and 6.18, read on real machines or
 * from their sources), and on text no kernel writes
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kstat.h"

#define P "/sys/x"

static char why[256];

static int u64(const char *text, uint64_t *v)
{
	return kstat_parse_u64(P, text, strlen(text), v, why, sizeof(why));
}

static void test_u64(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(u64("41943040\n", &v), 0);
	assert_int_equal(v, 41943040);
	assert_int_equal(u64("0", &v), 0);     /* a final newline is optional */
	assert_int_equal(v, 0);
	assert_int_equal(u64("18446744073709551615\n", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(u64("18446744073709551616\n", &v), -EINVAL);
	assert_string_equal(why, "/sys/x: '18446744073709551616' is too large (at most "
			    "18446744073709551615)");
	assert_int_equal(u64("-1\n", &v), -EINVAL);
	assert_int_equal(u64(" 1\n", &v), -EINVAL);
	assert_int_equal(u64("1\n\n", &v), -EINVAL);
	assert_int_equal(u64("\n", &v), -EINVAL);
	assert_int_equal(kstat_parse_u64(P, "1\0", 2, &v, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "/sys/x: '1?' is not one line of text");
	assert_int_equal(u64("1\n2\n", &v), -EINVAL);
	assert_string_equal(why, "/sys/x: '1?2?' is not one line of text");
}

static void test_bool(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(kstat_parse_bool(P, "Y\n", 2, &v, why, sizeof(why)), 0);
	assert_int_equal(v, 1);
	assert_int_equal(kstat_parse_bool(P, "N\n", 2, &v, why, sizeof(why)), 0);
	assert_int_equal(v, 0);
	assert_int_equal(kstat_parse_bool(P, "1\n", 2, &v, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "/sys/x: '1' is not Y or N");
	assert_int_equal(kstat_parse_bool(P, "YY\n", 3, &v, why, sizeof(why)), -EINVAL);
}

static void test_word(void **state)
{
	char out[9];

	(void)state;
	assert_int_equal(kstat_parse_word(P, "zsmalloc\n", 9, out, 9, why, sizeof(why)), 0);
	assert_string_equal(out, "zsmalloc");
	assert_int_equal(kstat_parse_word(P, "zsmalloc\n", 9, out, 8, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "/sys/x: 'zsmalloc' is not a name of at most 7 characters");
	assert_int_equal(kstat_parse_word(P, "a b\n", 4, out, sizeof(out), why, sizeof(why)), -EINVAL);
	assert_int_equal(kstat_parse_word(P, "\n", 1, out, sizeof(out), why, sizeof(why)), -EINVAL);
}

static int fields(const char *text, uint64_t *v, int min, int max, int *n)
{
	return kstat_parse_fields(P, text, strlen(text), v, min, max, n, why, sizeof(why));
}

static void test_fields(void **state)
{
	/* 6.18: mm_stat's nine fields, io_stat with its literal 0 */
	static const char mm[] = "  4194304  1048576  1310720        0  1310720      256        0"
				 "       16       16\n";
	uint64_t v[12];
	int n;

	(void)state;
	assert_int_equal(fields(mm, v, 7, 12, &n), 0);
	assert_int_equal(n, 9);
	assert_int_equal(v[0], 4194304);
	assert_int_equal(v[5], 256);
	assert_int_equal(v[8], 16);
	assert_int_equal(fields("       0        0 0        0\n", v, 4, 4, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(fields("1\t2 3\n", v, 3, 3, &n), 0);
	assert_int_equal(fields("1 2\n", v, 3, 4, &n), -EINVAL);
	assert_string_equal(why, "/sys/x: 2 fields, expected at least 3");
	assert_int_equal(fields("1 2 3 4 5\n", v, 3, 4, &n), -EINVAL);
	assert_string_equal(why, "/sys/x: more than 4 fields");
	assert_int_equal(fields("1 2 x3\n", v, 3, 4, &n), -EINVAL);
	assert_string_equal(why, "/sys/x: field 3 'x3' is not a non-negative integer");
	assert_int_equal(fields("1 2 3\n4\n", v, 3, 4, &n), -EINVAL);
}

static int algos(const char *text, char *sel, char *list)
{
	return kstat_parse_algorithms(P, text, strlen(text), sel, KSTAT_NAME_MAX, list,
				      KSTAT_LIST_MAX, why, sizeof(why));
}

static void test_algorithms(void **state)
{
	char sel[KSTAT_NAME_MAX], list[KSTAT_LIST_MAX];

	(void)state;
	assert_int_equal(algos("[lzo-rle] lzo lz4 \n", sel, list), 0);  /* 6.18, as read */
	assert_string_equal(sel, "lzo-rle");
	assert_string_equal(list, "lzo-rle lzo lz4");
	assert_int_equal(algos("lzo [lzo-rle] lz4 lz4hc 842 zstd\n", sel, list), 0);
	assert_string_equal(sel, "lzo-rle");
	assert_string_equal(list, "lzo lzo-rle lz4 lz4hc 842 zstd");
	assert_int_equal(algos("lzo lz4\n", sel, list), -EINVAL);
	assert_int_equal(algos("[lzo] [lz4]\n", sel, list), -EINVAL);
	assert_int_equal(algos("[] lz4\n", sel, list), -EINVAL);
	assert_int_equal(algos("[l[z]o]\n", sel, list), -EINVAL);
}

static void test_keyed(void **state)
{
	static const char meminfo[] = "MemTotal:       16384000 kB\nZswap:             40960 kB\n"
				      "HugePages_Total:       0\nZswapped:         102400 kB\n";
	static const char *const mkeys[] = { "Zswap", "Zswapped", "MemFree" };
	static const char *const vkeys[] = { "zswpin", "zswpwb" };
	uint64_t v[3] = { 0 };
	uint32_t have;

	(void)state;
	assert_int_equal(kstat_parse_keyed(P, meminfo, strlen(meminfo), true, mkeys, 3, v, &have,
					   why, sizeof(why)), 0);
	assert_int_equal(have, 3);              /* MemFree is not there */
	assert_int_equal(v[0], 40960 * 1024);
	assert_int_equal(v[1], 102400 * 1024);
	assert_int_equal(kstat_parse_keyed(P, "nr_free 1\nzswpin 500\nzswpout 3\n", 31, false,
					   vkeys, 2, v, &have, why, sizeof(why)), 0);
	assert_int_equal(have, 1);              /* no zswpwb before 6.8 */
	assert_int_equal(v[0], 500);
	assert_int_equal(kstat_parse_keyed(P, "a 1\nzswpin x\n", 13, false, vkeys, 2, v, &have,
					   why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "/sys/x:2: zswpin: 'x' is not a number");
	assert_int_equal(kstat_parse_keyed(P, "Zswap: 1 MB\n", 12, true, mkeys, 3, v, &have, why,
					   sizeof(why)), -EINVAL);
	assert_int_equal(kstat_parse_keyed(P, "Zswap 1 kB\n", 11, true, mkeys, 3, v, &have, why,
					   sizeof(why)), 0);
	assert_int_equal(have, 0);              /* no colon: not a meminfo key */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_word),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_algorithms),
		cmocka_unit_test(test_keyed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
