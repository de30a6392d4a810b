/*
 * test_zswap_siphash.c - zswap_siphash() is SipHash-2-4: the reference
 * vectors of the paper (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012, appendix A; and vectors.h of the reference code)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "zswap_internal.h"

static void test_reference_vectors(void **state)
{
	const uint64_t key[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	unsigned char msg[15];

	(void)state;
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	/* key 00 01 .. 0f; message empty, and 00 01 .. 0e */
	assert_int_equal(zswap_siphash(key, msg, 0), 0x726fdb47dd0e0e31ULL);
	assert_int_equal(zswap_siphash(key, msg, 15), 0xa129ca6149be45e5ULL);
}

/* Every bit of the key and of the message changes the hash. */
static void test_every_bit_counts(void **state)
{
	uint64_t key[2] = { 1, 2 };
	unsigned char page[4096] = { 0 };
	const uint64_t base = zswap_siphash(key, page, sizeof(page));

	(void)state;
	for (size_t bit = 0; bit < sizeof(page) * 8; bit += 61) {
		page[bit / 8] ^= (unsigned char)(1u << bit % 8);
		assert_int_not_equal(zswap_siphash(key, page, sizeof(page)), base);
		page[bit / 8] ^= (unsigned char)(1u << bit % 8);
	}
	for (int bit = 0; bit < 128; bit++) {
		key[bit / 64] ^= 1ULL << bit % 64;
		assert_int_not_equal(zswap_siphash(key, page, sizeof(page)), base);
		key[bit / 64] ^= 1ULL << bit % 64;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_vectors),
		cmocka_unit_test(test_every_bit_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
