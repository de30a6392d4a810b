/*
 * fuzz_kstat.c - any bytes as each of the kernel's files `zbud stat` reads
 *
 * The first byte picks the parser (a sysfs number, a Y/N parameter, a name,
 * a line of fields like mm_stat, comp_algorithm's list, /proc/meminfo or
 * /proc/vmstat) and the size of the message buffer; the rest is the file.
 * Never crashes, and for every input:
 *
 *  - the parser returns 0 or -EINVAL, and with -EINVAL a printable,
 *    terminated message that fits its buffer, whatever the buffer's size;
 *  - what it accepts, printed back as the kernel prints it, parses to the
 *    same figures (numbers, names, the selected algorithm, the keys found).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "kstat.h"

#define PATH "/sys/fuzz"
#define MAX_FIELDS 24
#define OUT_MAX 4096

/* Message buffers of these sizes, to catch any overrun or missing NUL. */
static const size_t why_sizes[] = { 1, 2, 7, 40, 512 };

static void check_why(int err, const char *why, size_t len)
{
	FUZZ_CHECK(err == 0 || err == -EINVAL, "returned %d", err);
	if (!err)
		return;
	FUZZ_CHECK(memchr(why, '\0', len), "message not terminated in %zu bytes", len);
	FUZZ_CHECK(len == 1 || strlen(why) > 0, "empty message");
	for (const char *p = why; *p; p++)
		FUZZ_CHECK(*p >= 0x20 && *p < 0x7f, "unprintable byte 0x%02x in the message",
			   (unsigned char)*p);
}

static void u64_file(const char *buf, size_t n, char *why, size_t len)
{
	char again[32];
	uint64_t v, w;
	int err = kstat_parse_u64(PATH, buf, n, &v, why, len);

	check_why(err, why, len);
	if (err)
		return;
	snprintf(again, sizeof(again), "%" PRIu64 "\n", v);
	FUZZ_CHECK(!kstat_parse_u64(PATH, again, strlen(again), &w, why, len) && w == v,
		   "%" PRIu64 " printed back does not parse to itself", v);
}

static void bool_file(const char *buf, size_t n, char *why, size_t len)
{
	uint64_t v;
	int err = kstat_parse_bool(PATH, buf, n, &v, why, len);

	check_why(err, why, len);
	FUZZ_CHECK(err || v <= 1, "bool %" PRIu64, v);
}

static void word_file(const char *buf, size_t n, char *why, size_t len)
{
	char out[KSTAT_NAME_MAX], again[KSTAT_NAME_MAX + 1], back[KSTAT_NAME_MAX];
	int err = kstat_parse_word(PATH, buf, n, out, sizeof(out), why, len);

	check_why(err, why, len);
	if (err)
		return;
	FUZZ_CHECK(strlen(out) && !strpbrk(out, " \t\n"), "word '%s'", out);
	snprintf(again, sizeof(again), "%s\n", out);
	FUZZ_CHECK(!kstat_parse_word(PATH, again, strlen(again), back, sizeof(back), why, len) &&
		   !strcmp(back, out), "'%s' printed back does not parse to itself", out);
}

static void fields_file(const char *buf, size_t n, char *why, size_t len)
{
	uint64_t v[MAX_FIELDS], w[MAX_FIELDS];
	char again[MAX_FIELDS * 22 + 2];
	size_t used = 0;
	int k, k2, err = kstat_parse_fields(PATH, buf, n, v, 3, MAX_FIELDS, &k, why, len);

	check_why(err, why, len);
	if (err)
		return;
	FUZZ_CHECK(k >= 3 && k <= MAX_FIELDS, "%d fields", k);
	for (int i = 0; i < k; i++)
		used += (size_t)snprintf(again + used, sizeof(again) - used, "%8" PRIu64 " ", v[i]);
	again[used - 1] = '\n';
	FUZZ_CHECK(!kstat_parse_fields(PATH, again, used, w, 3, MAX_FIELDS, &k2, why, len) &&
		   k2 == k && !memcmp(v, w, (size_t)k * sizeof(v[0])), "fields printed back differ");
}

static void algorithms_file(const char *buf, size_t n, char *why, size_t len)
{
	char sel[KSTAT_NAME_MAX], list[KSTAT_LIST_MAX], sel2[KSTAT_NAME_MAX], list2[KSTAT_LIST_MAX];
	char again[KSTAT_LIST_MAX + 4], *p, *save;
	size_t used = 0;
	int err;

	again[0] = '\0';
	err = kstat_parse_algorithms(PATH, buf, n, sel, sizeof(sel), list, sizeof(list), why,
					 len);

	check_why(err, why, len);
	if (err)
		return;
	FUZZ_CHECK(*sel, "no selected algorithm");
	snprintf(list2, sizeof(list2), "%s", list);
	for (p = strtok_r(list2, " ", &save); p; p = strtok_r(NULL, " ", &save))
		used += (size_t)snprintf(again + used, sizeof(again) - used,
					 !strcmp(p, sel) && !strchr(again, '[') ? "[%s] " : "%s ", p);
	FUZZ_CHECK(strchr(again, '['), "'%s' is not in the list '%s'", sel, list);
	again[used++] = '\n';
	FUZZ_CHECK(!kstat_parse_algorithms(PATH, again, used, sel2, sizeof(sel2), list2,
					   sizeof(list2), why, len) &&
		   !strcmp(sel, sel2) && !strcmp(list, list2), "list printed back differs");
}

static void keyed_file(const char *buf, size_t n, bool kb, char *why, size_t len)
{
	static const char *const keys[] = { "Zswap", "Zswapped", "zswpin", "a", "a:" };
	const int nkeys = sizeof(keys) / sizeof(keys[0]);
	uint64_t v[5], w[5];
	uint32_t have, have2;
	char again[256];
	size_t used = 0;
	int err = kstat_parse_keyed(PATH, buf, n, kb, keys, nkeys, v, &have, why, len);

	check_why(err, why, len);
	if (err)
		return;
	FUZZ_CHECK(have < 1u << nkeys, "have %#x", have);
	for (int k = 0; k < nkeys; k++)
		if (have & (1u << k)) {
			/* meminfo: in kB when whole kB ("HugePages_Total: 0" has none) */
			const bool in_kb = kb && v[k] % 1024 == 0;

			used += (size_t)snprintf(again + used, sizeof(again) - used,
						 in_kb ? "%s: %" PRIu64 " kB\n" : kb ? "%s: %" PRIu64 "\n"
						 : "%s %" PRIu64 "\n", keys[k], in_kb ? v[k] / 1024 : v[k]);
		}
	FUZZ_CHECK(!kstat_parse_keyed(PATH, again, used, kb, keys, nkeys, w, &have2, why, len) &&
		   have2 == have, "keys printed back differ");
	for (int k = 0; k < nkeys; k++)
		FUZZ_CHECK(!(have & (1u << k)) || v[k] == w[k], "%s printed back differs", keys[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[512];
	const char *buf = (const char *)data + 1;
	size_t len;

	if (!size)
		return 0;
	len = why_sizes[(data[0] >> 4) % (sizeof(why_sizes) / sizeof(why_sizes[0]))];
	size--;
	switch (data[0] % 7) {
	case 0: u64_file(buf, size, why, len); break;
	case 1: bool_file(buf, size, why, len); break;
	case 2: word_file(buf, size, why, len); break;
	case 3: fields_file(buf, size, why, len); break;
	case 4: algorithms_file(buf, size, why, len); break;
	case 5: keyed_file(buf, size, true, why, len); break;
	default: keyed_file(buf, size, false, why, len); break;
	}
	return 0;
}
