/*
 * prom.c - see prom.h
 */
#include "prom.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Only in assert()s: every name comes from zbud's own tables. */
static bool __attribute__((unused)) valid_name(const char *s, bool label)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || (*s == ':' && !label)))
			return false;
	return true;
}

/* @s with '\\' and '\n' escaped, and '"' too in label values. */
static void escaped(FILE *f, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' && quote)
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

void prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	assert(valid_name(name, false));
	fprintf(f, "# HELP %s ", name);
	escaped(f, help, false);
	fprintf(f, "\n# TYPE %s %s\n", name, type);
}

static void series(FILE *f, const char *name, const struct prom_label *l, size_t nl)
{
	assert(valid_name(name, false));
	fputs(name, f);
	for (size_t i = 0; i < nl; i++) {
		assert(valid_name(l[i].name, true) && strncmp(l[i].name, "__", 2));
		fprintf(f, "%s%s=\"", i ? "," : "{", l[i].name);
		escaped(f, l[i].value, true);
		fputc('"', f);
	}
	if (nl)
		fputc('}', f);
}

void prom_sample(FILE *f, const char *name, const struct prom_label *l, size_t nl, double v)
{
	series(f, name, l, nl);
	if (isnan(v))
		fputs(" NaN\n", f);
	else if (isinf(v))
		fputs(v > 0 ? " +Inf\n" : " -Inf\n", f);
	else
		fprintf(f, " %.17g\n", v);
}

void prom_sample_u64(FILE *f, const char *name, const struct prom_label *l, size_t nl,
		     uint64_t v)
{
	series(f, name, l, nl);
	fprintf(f, " %" PRIu64 "\n", v);
}
