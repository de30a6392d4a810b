/*
 * kstat_parse.c - the kernel's text files, parsed strictly (see kstat.h)
 *
 * Strict because a figure read wrong is worse than none: a value that is
 * not exactly what the kernel prints is an error naming the file, the line
 * and the bytes, never a silent 0.
 */
#include "kstat.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Bytes of a bad value quoted in a message. */
#define QUOTE_MAX 24

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static int fail(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* @s's printable bytes ('?' for others), cut if long. */
static const char *quote(const char *s, size_t n, char buf[QUOTE_MAX + 4])
{
	size_t k = n < QUOTE_MAX ? n : QUOTE_MAX;

	for (size_t i = 0; i < k; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (k < n)
		memcpy(buf + k, "...", 3), k += 3;
	buf[k] = '\0';
	return buf;
}

/* A plain decimal u64: digits only, no sign, no overflow. */
static bool decimal(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

/* The one line of a sysfs/debugfs value file: its bytes less the final
 * newline; false when there is another line or a NUL. */
static bool one_line(const char *buf, size_t *n)
{
	if (*n && buf[*n - 1] == '\n')
		(*n)--;
	return !memchr(buf, '\n', *n) && !memchr(buf, '\0', *n);
}

int kstat_parse_u64(const char *path, const char *buf, size_t n, uint64_t *v,
		    char *why, size_t len)
{
	char q[QUOTE_MAX + 4];

	if (!one_line(buf, &n) || !decimal(buf, n, v))
		return fail(why, len, "%s: '%s' is not a non-negative integer", path,
			    quote(buf, n, q));
	return 0;
}

int kstat_parse_bool(const char *path, const char *buf, size_t n, uint64_t *v,
		     char *why, size_t len)
{
	char q[QUOTE_MAX + 4];

	if (!one_line(buf, &n) || n != 1 || (buf[0] != 'Y' && buf[0] != 'N'))
		return fail(why, len, "%s: '%s' is not Y or N", path, quote(buf, n, q));
	*v = buf[0] == 'Y';
	return 0;
}

static bool printable_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return n > 0;
}

int kstat_parse_word(const char *path, const char *buf, size_t n, char *out, size_t size,
		     char *why, size_t len)
{
	char q[QUOTE_MAX + 4];

	if (!one_line(buf, &n) || !printable_word(buf, n) || n >= size)
		return fail(why, len, "%s: '%s' is not a name of at most %zu characters", path,
			    quote(buf, n, q), size - 1);
	memcpy(out, buf, n);
	out[n] = '\0';
	return 0;
}

/* The next blank-separated word of buf[*i..n): its start and length. */
static size_t next_word(const char *buf, size_t n, size_t *i, const char **w)
{
	while (*i < n && blank(buf[*i]))
		(*i)++;
	*w = buf + *i;
	while (*i < n && !blank(buf[*i]))
		(*i)++;
	return (size_t)(buf + *i - *w);
}

int kstat_parse_fields(const char *path, const char *buf, size_t n, uint64_t *out, int min,
		       int max, int *count, char *why, size_t len)
{
	char q[QUOTE_MAX + 4];
	const char *w;
	size_t i = 0, wl;
	int k = 0;

	if (!one_line(buf, &n))
		return fail(why, len, "%s: more than one line", path);
	while ((wl = next_word(buf, n, &i, &w))) {
		if (k == max)
			return fail(why, len, "%s: more than %d fields", path, max);
		if (!decimal(w, wl, &out[k]))
			return fail(why, len, "%s: field %d '%s' is not a non-negative integer",
				    path, k + 1, quote(w, wl, q));
		k++;
	}
	if (k < min)
		return fail(why, len, "%s: %d fields, expected at least %d", path, k, min);
	*count = k;
	return 0;
}

int kstat_parse_algorithms(const char *path, const char *buf, size_t n, char *sel,
			   size_t selsize, char *list, size_t listsize, char *why, size_t len)
{
	char q[QUOTE_MAX + 4];
	const char *w;
	size_t i = 0, wl, used = 0;

	*sel = '\0';
	*list = '\0';
	if (!one_line(buf, &n))
		return fail(why, len, "%s: more than one line", path);
	while ((wl = next_word(buf, n, &i, &w))) {
		const bool chosen = wl > 2 && w[0] == '[' && w[wl - 1] == ']';
		const char *name = chosen ? w + 1 : w;
		const size_t nl = chosen ? wl - 2 : wl;

		if (!printable_word(name, nl) || memchr(name, '[', nl) || memchr(name, ']', nl))
			return fail(why, len, "%s: '%s' is not an algorithm name", path,
				    quote(w, wl, q));
		if (chosen && *sel)
			return fail(why, len, "%s: two algorithms are [selected]", path);
		if (chosen && nl >= selsize)
			return fail(why, len, "%s: '%s' is too long", path, quote(w, wl, q));
		if (chosen)
			memcpy(sel, name, nl), sel[nl] = '\0';
		if (used + !!used + nl >= listsize)
			return fail(why, len, "%s: the list is longer than %zu characters", path,
				    listsize - 1);
		if (used)
			list[used++] = ' ';
		memcpy(list + used, name, nl);
		used += nl;
		list[used] = '\0';
	}
	if (!*sel)
		return fail(why, len, "%s: no algorithm is [selected]", path);
	return 0;
}

/* One "KEY VALUE" or "KEY: VALUE [kB]" line: 0, 1 when it is not a key of
 * @keys (or not that shape: skipped), or -EINVAL. */
static int keyed_line(const char *path, unsigned long line, const char *s, size_t n,
		      bool colon_kb, const char *const *keys, int nkeys, uint64_t *out,
		      uint32_t *have, char *why, size_t len)
{
	char q[QUOTE_MAX + 4];
	const char *key, *val, *unit, *more;
	size_t i = 0, kl = next_word(s, n, &i, &key), vl = next_word(s, n, &i, &val);
	size_t ul = next_word(s, n, &i, &unit), ml = next_word(s, n, &i, &more);
	int k;

	if (colon_kb) {
		if (!kl || key[kl - 1] != ':')
			return 1;
		kl--;
	}
	for (k = 0; k < nkeys; k++)
		if (strlen(keys[k]) == kl && !memcmp(keys[k], key, kl))
			break;
	if (k == nkeys)
		return 1;
	if (!decimal(val, vl, &out[k]) || ml ||
	    (ul && !(colon_kb && ul == 2 && !memcmp(unit, "kB", 2))))
		return fail(why, len, "%s:%lu: %s: '%s' is not a number%s", path, line, keys[k],
			    quote(val, (size_t)(s + n - val), q), colon_kb ? " [kB]" : "");
	if (ul) {
		if (out[k] > UINT64_MAX / 1024)
			return fail(why, len, "%s:%lu: %s: too large", path, line, keys[k]);
		out[k] *= 1024;
	}
	if (*have & (1u << k))
		return fail(why, len, "%s:%lu: %s a second time", path, line, keys[k]);
	*have |= 1u << k;
	return 0;
}

int kstat_parse_keyed(const char *path, const char *buf, size_t n, bool colon_kb,
		      const char *const *keys, int nkeys, uint64_t *out, uint32_t *have,
		      char *why, size_t len)
{
	unsigned long line = 0;

	*have = 0;
	while (n) {
		const char *nl = memchr(buf, '\n', n);
		const size_t ll = nl ? (size_t)(nl - buf) : n;
		int err;

		line++;
		if (memchr(buf, '\0', ll))
			return fail(why, len, "%s:%lu: a NUL byte", path, line);
		err = keyed_line(path, line, buf, ll, colon_kb, keys, nkeys, out, have, why, len);
		if (err < 0)
			return err;
		buf += ll + !!nl;
		n -= ll + !!nl;
	}
	return 0;
}
