/*
 * codec.c - parsing the compressor and allocator lists of the tools' options
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "text.h"
#include "zpool.h"

/* A name from the command line, quoted safely for a one-line message. */
static const char *quote(const char *s, char buf[TEXT_QUOTE_SIZE])
{
	const struct text_field f = { s, strlen(s) };

	return text_quote(&f, buf);
}

const char *est_known(const char *(*name)(unsigned int), bool ideal, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; name(i) && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "", name(i));
	if (ideal && at < len)
		snprintf(buf + at, len - at, "%s%s", at ? ", " : "", EST_IDEAL);
	return buf;
}

static void set_codec(struct est_codec *k, const struct zswap_compressor *c, int level,
		      bool named)
{
	k->comp = c;
	k->level = c->max_level ? level : 0;
	if (named)
		snprintf(k->label, sizeof(k->label), "%s:%d", c->name, k->level);
	else
		snprintf(k->label, sizeof(k->label), "%s", c->name);
}

int est_codecs_default(struct est_codec *k, int max)
{
	int n = 0;

	for (unsigned int i = 0; zswap_compressor_at(i) && n < max; i++, n++)
		set_codec(&k[n], zswap_compressor_at(i), zswap_compressor_at(i)->default_level,
			  false);
	return n;
}

/* "NAME" or "NAME:LEVEL" into @k: 0, or -1 with @why. */
static int one_codec(char *spec, struct est_codec *k, char *why, size_t len)
{
	char *colon = strchr(spec, ':'), *end = NULL, known[160], q[TEXT_QUOTE_SIZE],
	     lq[TEXT_QUOTE_SIZE];
	const struct zswap_compressor *c;
	long level = 0;

	if (colon)
		*colon = '\0', level = strtol(colon + 1, &end, 10);
	c = zswap_compressor_find(spec);
	if (!c) {
		snprintf(why, len, "unknown compressor '%s' (known: %s)", quote(spec, q),
			 est_known(zswap_compressor_name, false, known, sizeof(known)));
		return -1;
	}
	if (colon && !c->max_level) {
		snprintf(why, len, "%s has no levels, got '%s'", c->name, quote(colon + 1, lq));
		return -1;
	}
	if (colon && (end == colon + 1 || *end || level < c->min_level || level > c->max_level)) {
		snprintf(why, len, "bad level '%s' for %s (%d to %d)", quote(colon + 1, lq), c->name,
			 c->min_level, c->max_level);
		return -1;
	}
	set_codec(k, c, colon ? (int)level : c->default_level, colon != NULL);
	return 0;
}

int est_codecs_parse(char *arg, struct est_codec *k, int max, char *why, size_t len)
{
	char q[TEXT_QUOTE_SIZE];
	int n = 0;

	for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
		/* Counted before it is written: the list has room for @max. */
		if (n == max) {
			snprintf(why, len, "too many compressors at '%s' (%d at most)", quote(tok, q),
				 max);
			return -1;
		}
		if (one_codec(tok, &k[n], why, len))
			return -1;
		for (int i = 0; i < n; i++)
			if (!strcmp(k[i].label, k[n].label)) {
				snprintf(why, len, "compressor '%s' named twice", k[n].label);
				return -1;
			}
		n++;
	}
	if (!n)
		snprintf(why, len, "--compressor names none");
	return n ? n : -1;
}

int est_zpools_default(const char **name, int max, bool ideal)
{
	int n = 0;

	for (unsigned int i = 0; zpool_driver_name(i) && n < max - ideal; i++)
		name[n++] = zpool_driver_name(i);
	if (ideal && n < max)
		name[n++] = EST_IDEAL;
	return n;
}

int est_zpools_parse(char *arg, const char **name, int max, bool ideal, char *why, size_t len)
{
	char known[160], q[TEXT_QUOTE_SIZE];
	int n = 0;

	for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
		if (n == max) {
			snprintf(why, len, "too many zpools at '%s' (%d at most)", quote(tok, q), max);
			return -1;
		}
		if (!zpool_has_pool(tok) && (!ideal || strcmp(tok, EST_IDEAL))) {
			snprintf(why, len, "unknown zpool '%s' (known: %s)", quote(tok, q),
				 est_known(zpool_driver_name, ideal, known, sizeof(known)));
			return -1;
		}
		for (int i = 0; i < n; i++)
			if (!strcmp(name[i], tok)) {
				snprintf(why, len, "zpool '%s' named twice", tok);
				return -1;
			}
		name[n++] = tok;
	}
	if (!n)
		snprintf(why, len, "--zpool names none");
	return n ? n : -1;
}
