/*
 * zswap_siphash.c - SipHash-2-4 (Aumasson and Bernstein, 2012), the keyed
 * check of the pages written back
 *
 * A checksum (CRC-32) stops accidental damage only: whoever can write the
 * backing file can make a changed page have the CRC of the old one.  With a
 * secret 128-bit key, made at random for each store and kept in memory, a
 * changed slot passes the check with a chance of 2^-64, whoever wrote it.
 * SipHash is the keyed hash made for short inputs that the kernel itself
 * uses (lib/siphash.c); a 4 KiB page costs about as much as its write.
 */
#include <string.h>

#include "zswap_internal.h"

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

struct sip {
	uint64_t v0, v1, v2, v3;
};

static void round_(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ROTL(s->v2, 32);
}

static void absorb(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	round_(s);
	round_(s);
	s->v0 ^= m;
}

/* Little-endian, whatever the machine: the hash is defined so. */
static uint64_t le64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

uint64_t zswap_siphash(const uint64_t key[2], const void *data, size_t len)
{
	const unsigned char *p = data;
	struct sip s = {
		key[0] ^ 0x736f6d6570736575ULL, key[1] ^ 0x646f72616e646f6dULL,
		key[0] ^ 0x6c7967656e657261ULL, key[1] ^ 0x7465646279746573ULL,
	};
	unsigned char last[8] = { 0 };
	size_t whole = len & ~(size_t)7;

	for (size_t i = 0; i < whole; i += 8)
		absorb(&s, le64(p + i));
	memcpy(last, p + whole, len - whole);
	absorb(&s, le64(last) | (uint64_t)(len & 0xff) << 56);
	s.v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		round_(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
