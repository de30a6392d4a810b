/*
 * estimate_json.c - `zbud estimate --json`: every figure, the target, the
 * command's end, the series over time and the kernel beside, for programs
 * (the JSON Schema is in docs/estimate.md)
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>

#include "estimate_cli.h"
#include "estimate_kernel.h"

#define PAGE ZSWAP_PAGE_SIZE
#define JSON_VERSION 2

/* Whole numbers as integers, so that exact counts read as such. */
static json_t *number(double v)
{
	return v == floor(v) && fabs(v) < 9007199254740992.0 ? json_integer((json_int_t)v)
							   : json_real(v);
}

static json_t *value(const struct est_value *v)
{
	return json_pack("{s:o,s:o,s:o}", "value", number(v->value), "low", number(v->low),
			 "high", number(v->high));
}

static json_t *or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *ints(const void *v, size_t n, bool pids)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, pids ? json_integer(((const pid_t *)v)[i])
					      : json_string(((const char *const *)v)[i]));
	return a;
}

static json_t *target_json(const struct est_report *rep)
{
	const struct target_counts *n = &rep->res->counts;
	const struct est_args *a = rep->args;

	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:b,s:o,s:s,s:o,s:I,s:I,s:I,s:I,s:b,"
			 "s:{s:I,s:I,s:I,s:I,s:o}}",
			 "kind", rep->kind, "name", or_null(rep->name),
			 "pid", rep->pid ? json_integer(rep->pid) : json_null(),
			 "pids", ints(a->pid, a->npids, true), "cgroups", ints(a->cgroup, a->ncgroups, false),
			 "follow", a->follow,
			 "read_at", or_null(rep->at), "pages", a->sel.all ? "all" : "swap-backed",
			 "mapping", or_null(a->sel.mapping),
			 "selected_pages", (json_int_t)n->pages, "mappings", (json_int_t)n->mappings,
			 "processes", (json_int_t)n->processes,
			 "shared_pages", (json_int_t)(n->shared + n->duplicate),
			 "frames_counted_once", rep->frames,
			 "skipped", "not_resident", (json_int_t)n->not_resident,
			 "swapped", (json_int_t)n->swapped, "unevictable", (json_int_t)n->unevictable,
			 "not_in_file", (json_int_t)n->not_in_file,
			 "unreadable", value(&rep->res->unreadable));
}

/* How the command ended; null for no command, or one not ended. */
static json_t *command_json(const struct est_report *rep)
{
	const struct est_follow *f = rep->follow;
	const int st = f ? f->status : 0;

	if (!rep->pid || (strcmp(rep->kind, "command") && strcmp(rep->kind, "built-in")))
		return json_null();
	return json_pack("{s:s,s:b,s:o,s:o}", "name", rep->name, "ended", f && f->ended,
			 "exit_status", f && f->ended && WIFEXITED(st) ? json_integer(WEXITSTATUS(st))
									 : json_null(),
			 "signal", f && f->ended && WIFSIGNALED(st) ? json_integer(WTERMSIG(st))
								  : json_null());
}

static json_t *point_json(const struct est_follow *f, const struct follow_point *p, size_t cells)
{
	json_t *saved = p->measured ? json_array() : json_null();
	json_t *ratio = p->measured ? json_array() : json_null();

	for (size_t i = 0; p->measured && i < cells; i++) {
		json_array_append_new(saved, number(round(p->saved[i])));
		json_array_append_new(ratio, json_real(round(p->ratio[i] * 1000) / 1000));
	}
	(void)f;
	return json_pack("{s:f,s:I,s:i,s:s,s:o,s:o}", "t", p->t, "pages", (json_int_t)p->pages,
			 "processes", (int)p->processes, "why", follow_why_name(p->why),
			 "saved_bytes", saved, "effective_ratio", ratio);
}

/* Over time: the peak, the most counted, and every point. */
static json_t *over_time_json(const struct est_report *rep)
{
	const struct est_follow *f = rep->follow;
	const struct est_config *cfg = rep->cfg;
	const size_t cells = (size_t)cfg->ncodecs * (size_t)cfg->nzpools;
	/* The most counted at the peak reading's ratios: its saved bytes
	 * times the pages counted over the pages it read; not a reading. */
	const double scale = f && rep->res->population ? (double)f->most_pages /
							   (double)rep->res->population : 0;
	json_t *names, *points, *scaled;
	char name[64];

	if (!f)
		return json_null();
	names = json_array();
	points = json_array();
	scaled = json_array();
	for (int c = 0; c < cfg->ncodecs; c++)
		for (int z = 0; z < cfg->nzpools; z++) {
			snprintf(name, sizeof(name), "%s/%s", cfg->codec[c].label, cfg->zpool[z]);
			json_array_append_new(names, json_string(name));
			json_array_append_new(scaled, json_real(
				scale * rep->res->codec[c].fig[z][EST_SAVED_BYTES].value));
		}
	for (size_t i = 0; i < f->npoints; i++)
		json_array_append_new(points, point_json(f, &f->point[i], cells));
	return json_pack("{s:f,s:b,s:b,s:i,s:{s:f,s:I,s:i,s:s},s:{s:f,s:I,s:o},s:o,s:o}",
			 "seconds", f->seconds, "interrupted", f->interrupted, "lost", f->lost,
			 "readings", (int)f->measurements,
			 "peak", "t", f->peak_point.t, "pages", (json_int_t)rep->res->population,
			 "processes", (int)f->peak_point.processes,
			 "why", follow_why_name(f->peak_point.why),
			 "most_counted", "t", f->most_t, "pages", (json_int_t)f->most_pages,
			 "saved_bytes_at_peak_ratio", scaled,
			 "cells", names, "points", points);
}

static json_t *sample_json(const struct est_report *rep)
{
	const struct est_result *r = rep->res;
	const struct est_config *cfg = rep->cfg;

	if (!r->sampled)
		return json_null();
	return json_pack("{s:o,s:o,s:I,s:i,s:I,s:I,s:f,s:s,s:I}",
			 "fraction", cfg->sample_fraction > 0 ? json_real(cfg->sample_fraction)
							      : json_null(),
			 "pages_asked", cfg->sample_pages ? json_integer((json_int_t)cfg->sample_pages)
							  : json_null(),
			 "seed", (json_int_t)cfg->seed, "replicates", EST_REPLICATES,
			 "pages_per_replicate", (json_int_t)r->strata,
			 "pages_measured", (json_int_t)r->measured, "confidence", 0.95,
			 "interval", "delete-a-group jackknife over the replicates, Student t",
			 "pool_objects", (json_int_t)r->pool_objects);
}

static json_t *codec_json(const struct est_report *rep, int c)
{
	const struct est_codec_result *k = &rep->res->codec[c];
	json_t *buckets = json_array(), *zpools = json_object();

	for (int b = 1; b <= EST_NBUCKETS; b++)
		json_array_append_new(buckets, json_integer((json_int_t)k->hist[b]));
	for (int z = 0; z < rep->cfg->nzpools; z++) {
		json_t *cell = json_object();

		for (int f = 0; f < EST_NFIGURES; f++)
			json_object_set_new(cell, est_figure_name[f], value(&k->fig[z][f]));
		json_object_set_new(zpools, rep->cfg->zpool[z], cell);
	}
	return json_pack("{s:s,s:s,s:i,s:f,s:f,s:{s:i,s:I,s:I,s:o},s:o}",
			 "name", rep->cfg->codec[c].comp->name, "label", rep->cfg->codec[c].label,
			 "level", rep->cfg->codec[c].level,
			 "compress_ns_per_page", k->compress_ns,
			 "decompress_ns_per_page", k->decompress_ns,
			 "histogram", "bucket_bytes", EST_BUCKET,
			 "same_filled", (json_int_t)k->hist[EST_HIST_SAME],
			 "over_page", (json_int_t)k->hist[EST_HIST_OVER], "buckets", buckets,
			 "zpools", zpools);
}

int estimate_print_json(FILE *f, const struct est_report *rep)
{
	const struct est_result *r = rep->res;
	json_t *codecs = json_array(), *zpools = json_array(), *root;

	for (int z = 0; z < rep->cfg->nzpools; z++)
		json_array_append_new(zpools, json_pack("{s:s,s:i}", "name", rep->cfg->zpool[z],
							"largest_object", r->max_object[z]));
	for (int c = 0; c < rep->cfg->ncodecs; c++)
		json_array_append_new(codecs, codec_json(rep, c));
	root = json_pack("{s:i,s:i,s:o,s:o,s:o,s:{s:I,s:I,s:i,s:f,s:f,s:I},s:o,s:o,s:o,s:o}",
			 "version", JSON_VERSION, "page_size", PAGE,
			 "target", target_json(rep), "command", command_json(rep),
			 "sample", sample_json(rep),
			 "run", "population", (json_int_t)r->population,
			 "measured", (json_int_t)r->measured, "threads", (int)r->threads,
			 "measure_seconds", r->seconds_measure, "pool_seconds", r->seconds_pools,
			 "windows", (json_int_t)r->windows,
			 "zpools", zpools, "compressors", codecs, "over_time", over_time_json(rep),
			 "kernel", estimate_kernel_json(rep->kernel));
	if (!root)
		return -ENOMEM;
	/* A failed write is the stream's error, said by its closer. */
	json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(root);
	return 0;
}

