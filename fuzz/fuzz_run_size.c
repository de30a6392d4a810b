/*
 * fuzz_run_size.c - any bytes as a size `zbud run` is given (--limit,
 * --pool-limit: "64M", "1.5G", "4096")
 *
 * The first two bytes pick the bounds and the message buffer's size; the
 * rest is the text.  Never crashes, and for every input:
 *
 *  - run_parse_size() returns 0 with a value within the bounds, or -EINVAL
 *    with a printable, terminated message that fits its buffer;
 *  - a value it accepts, printed back in bytes, parses to the same value.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "run_launch.h"

static const size_t why_sizes[] = { 1, 2, 9, 64, 256 };
static const uint64_t bounds[][2] = {
	{ 0, UINT64_MAX }, { 256 << 10, 1ull << 50 }, { 4096, 1ull << 50 }, { 1, 1 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256], why[256], again[32];
	size_t wlen, n;
	uint64_t v = 0, w = 0, lo, hi;
	int err;

	if (size < 2)
		return 0;
	wlen = why_sizes[data[0] % (sizeof(why_sizes) / sizeof(why_sizes[0]))];
	lo = bounds[data[1] % 4][0];
	hi = bounds[data[1] % 4][1];
	n = size - 2 < sizeof(text) - 1 ? size - 2 : sizeof(text) - 1;
	memcpy(text, data + 2, n);
	text[n] = '\0';
	memset(why, 'x', sizeof(why));
	err = run_parse_size(text, "--limit", lo, hi, &v, why, wlen);
	FUZZ_CHECK(err == 0 || err == -EINVAL, "returned %d", err);
	if (err) {
		FUZZ_CHECK(memchr(why, '\0', wlen), "message not terminated in %zu bytes", wlen);
		for (const char *p = why; *p; p++)
			FUZZ_CHECK(*p >= 0x20 && *p < 0x7f, "unprintable byte 0x%02x", (unsigned char)*p);
		return 0;
	}
	FUZZ_CHECK(v >= lo && v <= hi, "%llu outside [%llu, %llu]", (unsigned long long)v,
		   (unsigned long long)lo, (unsigned long long)hi);
	snprintf(again, sizeof(again), "%llu", (unsigned long long)v);
	err = run_parse_size(again, "--limit", lo, hi, &w, why, sizeof(why));
	FUZZ_CHECK(err == 0 && w == v, "%s: %llu parsed back as %llu (%d)", text,
		   (unsigned long long)v, (unsigned long long)w, err);
	return 0;
}
