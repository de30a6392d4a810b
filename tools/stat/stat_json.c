/*
 * stat_json.c - `zbud stat --json`: every figure the kernel gave, named as
 * it names them, sizes in bytes (meminfo's kB times 1024), others as the
 * counts it gives (pages, events).  A figure this kernel does not have is
 * left out, never 0.  The schema is in docs/stat.md.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "stat_report.h"

#define JSON_VERSION 1

static const char *const access_name[] = {
	[KSTAT_READ] = "read",
	[KSTAT_ABSENT] = "absent",
	[KSTAT_DENIED] = "needs root",
	[KSTAT_UNMOUNTED] = "debugfs not mounted",
};

/* A count as a JSON integer; jansson's are signed 64-bit, so one past
 * INT64_MAX (no kernel counts so far) becomes a real, rounded. */
static json_t *count(uint64_t v)
{
	return v > INT64_MAX ? json_real((double)v) : json_integer((json_int_t)v);
}

/* Each figure of @names whose bit is set in @have, by name. */
static json_t *figures(const struct kstat_name *names, int n, const uint64_t *v,
		       uint32_t have)
{
	json_t *o = json_object();

	for (int k = 0; k < n; k++)
		if (have & (1u << k))
			json_object_set_new(o, names[k].name, names[k].unit == KSTAT_BOOL
					    ? json_boolean(v[k]) : count(v[k]));
	return o;
}

static json_t *zswap(const struct kstat_zswap *z)
{
	json_t *o = json_object(), *params, *extra;

	json_object_set_new(o, "present", json_boolean(z->present));
	if (!z->present)
		return o;
	params = figures(kstat_zswap_params, KSTAT_ZSWAP_NPARAMS, z->param, z->param_have);
	if (*z->compressor)
		json_object_set_new(params, "compressor", json_string(z->compressor));
	if (*z->zpool)
		json_object_set_new(params, "zpool", json_string(z->zpool));
	json_object_set_new(o, "parameters", params);
	json_object_set_new(o, "debugfs", json_string(access_name[z->debugfs]));
	if (z->debugfs != KSTAT_READ)
		return o;
	json_object_set_new(o, "counters", figures(kstat_zswap_counters, KSTAT_ZSWAP_NCOUNTERS,
						   z->counter, z->counter_have));
	extra = json_object();
	for (int i = 0; i < z->nextra; i++)
		json_object_set_new(extra, z->extra[i].name,
				    count(z->extra[i].value));
	json_object_set_new(o, "other_counters", extra);
	return o;
}

static json_t *named_fields(const struct kstat_name *names, const uint64_t *v, int n)
{
	return figures(names, n, v, n >= 32 ? UINT32_MAX : (1u << n) - 1);
}

static json_t *zram_device(const struct kstat_zram_dev *d)
{
	json_t *o = json_object(), *list = json_array();
	char algos[KSTAT_LIST_MAX];

	json_object_set_new(o, "name", json_string(d->name));
	json_object_set_new(o, "initstate", json_integer(d->initialized));
	json_object_set_new(o, "disksize", count(d->disksize));
	if (*d->algorithm)
		json_object_set_new(o, "comp_algorithm", json_string(d->algorithm));
	snprintf(algos, sizeof(algos), "%s", d->algorithms);
	for (char *save, *t = strtok_r(algos, " ", &save); t; t = strtok_r(NULL, " ", &save))
		json_array_append_new(list, json_string(t));
	json_object_set_new(o, "comp_algorithms", list);
	if (d->mm_n)
		json_object_set_new(o, "mm_stat", named_fields(kstat_mm_stat_names, d->mm, d->mm_n));
	if (d->have_io)
		json_object_set_new(o, "io_stat",
				    named_fields(kstat_io_stat_names, d->io, KSTAT_IO_STAT_N));
	if (d->have_bd)
		json_object_set_new(o, "bd_stat",
				    named_fields(kstat_bd_stat_names, d->bd, KSTAT_BD_STAT_N));
	if (d->have_blk)
		json_object_set_new(o, "stat",
				    named_fields(kstat_blk_stat_names, d->blk, KSTAT_BLK_STAT_N));
	json_object_set_new(o, "backing_dev",
			    *d->backing_dev ? json_string(d->backing_dev) : json_null());
	return o;
}

int stat_print_json(FILE *f, const struct kstat_snapshot *s)
{
	json_t *root = json_object(), *zram = json_object(), *devs = json_array();
	json_t *denied = json_array();
	int err;

	json_object_set_new(root, "version", json_integer(JSON_VERSION));
	json_object_set_new(root, "zswap", zswap(&s->zswap));
	json_object_set_new(root, "meminfo", figures(kstat_mem_names, KSTAT_MEMINFO_N, s->mem,
						     s->mem_have));
	json_object_set_new(root, "vmstat", figures(kstat_mem_names + KSTAT_MEMINFO_N,
						    KSTAT_NMEM - KSTAT_MEMINFO_N,
						    s->mem + KSTAT_MEMINFO_N,
						    s->mem_have >> KSTAT_MEMINFO_N));
	json_object_set_new(zram, "present", json_boolean(s->zram.present));
	for (int i = 0; i < s->zram.ndev; i++)
		json_array_append_new(devs, zram_device(&s->zram.dev[i]));
	json_object_set_new(zram, "devices", devs);
	json_object_set_new(root, "zram", zram);
	for (int i = 0; i < s->ndenied; i++)
		json_array_append_new(denied, json_string(s->denied[i]));
	json_object_set_new(root, "needs_root", denied);
	err = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (err || fputc('\n', f) == EOF)
		return -EIO;
	return 0;
}
