/*
 * kstat_parse.c - the kernel's text files, parsed strictly (see kstat.h)
 *
 * Strict because a figure read wrong is worse than none: a value that is
 * not exactly what the kernel prints is an error naming the file, the line
 * and the bytes, never a silent 0.
 */
#include "kstat.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

/* The most words a line of a kernel file may have here. */
#define WORDS_MAX 64

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

static const char *quote(const char *s, size_t n, char buf[TEXT_QUOTE_SIZE])
{
	const struct text_field f = { s, n };

	return text_quote(&f, buf);
}

/* A plain decimal u64, or -EINVAL with "WHAT 'VALUE' is not ..." in @why. */
static int number(const struct text_field *f, const char *what, uint64_t *v, char *why,
		  size_t len)
{
	return text_number(f, what, 0, UINT64_MAX, v, why, len);
}

/* "PATH:" for text_number()'s messages. */
static const char *at(char *buf, size_t size, const char *path)
{
	snprintf(buf, size, "%s:", path);
	return buf;
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
	char q[TEXT_QUOTE_SIZE], what[KSTAT_PATH_MAX + 2];
	const struct text_field f = { buf, n };

	if (!one_line(buf, &n))
		return fail(why, len, "%s: '%s' is not one line of text", path, quote(buf, f.len, q));
	return number(&(struct text_field){ buf, n }, at(what, sizeof(what), path), v, why, len);
}

int kstat_parse_bool(const char *path, const char *buf, size_t n, uint64_t *v,
		     char *why, size_t len)
{
	char q[TEXT_QUOTE_SIZE];

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
	char q[TEXT_QUOTE_SIZE];

	if (!one_line(buf, &n) || !printable_word(buf, n) || n >= size)
		return fail(why, len, "%s: '%s' is not a name of at most %zu characters", path,
			    quote(buf, n, q), size - 1);
	memcpy(out, buf, n);
	out[n] = '\0';
	return 0;
}

/* The words of the file's one line into @w; their count, or -EINVAL. */
static int words(const char *path, const char *buf, size_t n, struct text_field *w, int max,
		 char *why, size_t len)
{
	int k;

	if (!one_line(buf, &n))
		return fail(why, len, "%s: more than one line", path);
	k = text_split(buf, n, w, max);
	if (k > max)
		return fail(why, len, "%s: more than %d fields", path, max);
	return k;
}

int kstat_parse_fields(const char *path, const char *buf, size_t n, uint64_t *out, int min,
		       int max, int *count, char *why, size_t len)
{
	struct text_field w[WORDS_MAX];
	char what[KSTAT_PATH_MAX + 16];
	int k;

	assert(max <= WORDS_MAX);
	k = words(path, buf, n, w, max, why, len);
	if (k < 0)
		return k;
	for (int i = 0; i < k; i++) {
		snprintf(what, sizeof(what), "%s: field %d", path, i + 1);
		if (number(&w[i], what, &out[i], why, len))
			return -EINVAL;
	}
	if (k < min)
		return fail(why, len, "%s: %d fields, expected at least %d", path, k, min);
	*count = k;
	return 0;
}

int kstat_parse_algorithms(const char *path, const char *buf, size_t n, char *sel,
			   size_t selsize, char *list, size_t listsize, char *why, size_t len)
{
	struct text_field w[WORDS_MAX];
	char q[TEXT_QUOTE_SIZE];
	size_t used = 0;
	int k = words(path, buf, n, w, WORDS_MAX, why, len);

	*sel = '\0';
	*list = '\0';
	for (int i = 0; i < k; i++) {
		const bool chosen = w[i].len > 2 && w[i].s[0] == '[' && w[i].s[w[i].len - 1] == ']';
		const char *name = chosen ? w[i].s + 1 : w[i].s;
		const size_t nl = chosen ? w[i].len - 2 : w[i].len;

		if (!printable_word(name, nl) || memchr(name, '[', nl) || memchr(name, ']', nl))
			return fail(why, len, "%s: '%s' is not an algorithm name", path,
				    text_quote(&w[i], q));
		if (chosen && *sel)
			return fail(why, len, "%s: two algorithms are [selected]", path);
		if (chosen && nl >= selsize)
			return fail(why, len, "%s: '%s' is too long", path, text_quote(&w[i], q));
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
	if (k < 0)
		return k;
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
	char q[TEXT_QUOTE_SIZE];
	struct text_field w[3];
	const int nw = text_split(s, n, w, 3);
	size_t kl = nw > 0 ? w[0].len : 0;
	const bool kb = nw == 3 && w[2].len == 2 && !memcmp(w[2].s, "kB", 2);
	uint64_t v;
	int k;

	if (nw == 0)
		return 1;
	if (colon_kb) {
		if (!kl || w[0].s[kl - 1] != ':')
			return 1;
		kl--;
	}
	for (k = 0; k < nkeys; k++)
		if (strlen(keys[k]) == kl && !memcmp(keys[k], w[0].s, kl))
			break;
	if (k == nkeys)
		return 1;
	if (nw < 2 || nw > 3 || (nw == 3 && !(colon_kb && kb)) ||
	    number(&w[1], "", &v, why, len))
		return fail(why, len, "%s:%lu: %s: '%s' is not a number%s", path, line, keys[k],
			    quote(w[nw > 1].s, (size_t)(s + n - w[nw > 1].s), q),
			    colon_kb ? " [kB]" : "");
	if (kb && v > UINT64_MAX / 1024)
		return fail(why, len, "%s:%lu: %s: too large", path, line, keys[k]);
	if (*have & (1u << k))
		return fail(why, len, "%s:%lu: %s a second time", path, line, keys[k]);
	out[k] = kb ? v * 1024 : v;
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
