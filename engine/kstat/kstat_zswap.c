/*
 * kstat_zswap.c - zswap's parameters (/sys/module/zswap/parameters) and
 * counters (/sys/kernel/debug/zswap)
 */
#include "kstat_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PARAMS "/sys/module/zswap/parameters"
#define DEBUGFS "/sys/kernel/debug"
#define ZSWAP_DEBUGFS DEBUGFS "/zswap"

/* ENOENT and EACCES are answers here (not there; needs root), not errors. */
static int load(struct kstat_ctx *c, const char *dir, const char *name)
{
	char rel[KSTAT_PATH_MAX / 2];

	snprintf(rel, sizeof(rel), "%s/%s", dir, name);
	return kstat_load(c, rel);
}

static int read_params(struct kstat_ctx *c)
{
	struct kstat_zswap *z = &c->s->zswap;
	struct stat st;
	int err;

	if (kstat_path(c, PARAMS))
		return -ENAMETOOLONG;
	z->present = !stat(c->path, &st) && S_ISDIR(st.st_mode);
	if (!z->present)
		return 0;
	for (int i = 0; i < KSTAT_ZSWAP_NPARAMS; i++) {
		const struct kstat_name *p = &kstat_zswap_params[i];

		err = load(c, PARAMS, p->name);
		if (err == -ENOENT || err == -EACCES)
			continue;
		if (!err)
			err = (p->unit == KSTAT_BOOL ? kstat_parse_bool : kstat_parse_u64)(
				c->path, c->buf, c->n, &z->param[i], c->why, c->len);
		if (err)
			return err;
		z->param_have |= 1u << i;
	}
	err = load(c, PARAMS, "compressor");
	if (!err)
		err = kstat_parse_word(c->path, c->buf, c->n, z->compressor,
				       sizeof(z->compressor), c->why, c->len);
	if (err && err != -ENOENT && err != -EACCES)
		return err;
	err = load(c, PARAMS, "zpool");
	if (!err)
		err = kstat_parse_word(c->path, c->buf, c->n, z->zpool, sizeof(z->zpool), c->why,
				       c->len);
	return err == -ENOENT || err == -EACCES ? 0 : err;
}

/* Why there is no zswap folder in debugfs: not mounted (an empty
 * /sys/kernel/debug), not readable, or zswap never set up since boot. */
static enum kstat_access why_absent(struct kstat_ctx *c)
{
	DIR *d;
	struct dirent *e;
	bool empty = true;

	if (kstat_path(c, DEBUGFS))
		return KSTAT_ABSENT;
	d = opendir(c->path);
	if (!d && (errno == EACCES || errno == EPERM)) {
		kstat_denied(c, DEBUGFS);
		return KSTAT_DENIED;
	}
	if (!d)
		return KSTAT_UNMOUNTED;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty ? KSTAT_UNMOUNTED : KSTAT_ABSENT;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct kstat_extra *)a)->name, ((const struct kstat_extra *)b)->name);
}

/* One file of the zswap folder: a known counter, or kept as an extra when
 * it is a file of one number (a later kernel's counter); anything else a
 * later kernel may put there is skipped. */
static int read_counter(struct kstat_ctx *c, const char *name)
{
	struct kstat_zswap *z = &c->s->zswap;
	uint64_t v;
	int k = 0, err = load(c, ZSWAP_DEBUGFS, name);

	while (k < KSTAT_ZSWAP_NCOUNTERS && strcmp(kstat_zswap_counters[k].name, name))
		k++;
	if (k == KSTAT_ZSWAP_NCOUNTERS) {
		if (err || z->nextra == KSTAT_EXTRA_MAX || strlen(name) >= sizeof(z->extra[0].name) ||
		    kstat_parse_u64(c->path, c->buf, c->n, &v, c->why, c->len))
			return 0;
		snprintf(z->extra[z->nextra].name, sizeof(z->extra[0].name), "%s", name);
		z->extra[z->nextra++].value = v;
		return 0;
	}
	if (err == -ENOENT || err == -EACCES)
		return 0;
	if (!err)
		err = kstat_parse_u64(c->path, c->buf, c->n, &z->counter[k], c->why, c->len);
	z->counter_have |= err ? 0 : 1u << k;
	return err;
}

static int read_counters(struct kstat_ctx *c)
{
	struct kstat_zswap *z = &c->s->zswap;
	struct dirent *e;
	DIR *d;
	int err = 0;

	if (kstat_path(c, ZSWAP_DEBUGFS))
		return -ENAMETOOLONG;
	d = opendir(c->path);
	if (!d && (errno == EACCES || errno == EPERM)) {
		kstat_denied(c, ZSWAP_DEBUGFS);
		z->debugfs = KSTAT_DENIED;
		return 0;
	}
	if (!d) {
		z->debugfs = why_absent(c);
		return 0;
	}
	z->debugfs = KSTAT_READ;
	while (!err && (e = readdir(d)))
		if (e->d_name[0] != '.')
			err = read_counter(c, e->d_name);
	closedir(d);
	qsort(z->extra, (size_t)z->nextra, sizeof(z->extra[0]), by_name);
	return err;
}

int kstat_read_zswap(struct kstat_ctx *c)
{
	int err = read_params(c);

	return err ? err : read_counters(c);
}
