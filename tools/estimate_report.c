/*
 * estimate_report.c - `zbud estimate`'s output: a table for people, JSON for
 * programs (the schema is in docs/estimate.md), and the sizes file for
 * `zbud inspect --sizes`
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "estimate_cli.h"

#define PAGE ZSWAP_PAGE_SIZE
#define MIB 1048576.0
#define JSON_VERSION 1

/*
 * The text histogram's rows, by 64-byte bucket (bucket b: 64(b-1)+1 to 64b
 * bytes), and a line under a row where its upper bound matters to zbud,
 * which puts two objects in a page when their chunks add up to 63 or less.
 */
static const struct hist_row {
	const char *label;
	int first, last;
	const char *line;
} hist_rows[] = {
	{ "same-filled", EST_HIST_SAME, EST_HIST_SAME, NULL },
	{ "1-512", 1, 8, NULL },
	{ "513-1024", 9, 16, NULL },
	{ "1025-1536", 17, 24, NULL },
	{ "1537-1984", 25, 31, "1984 B = 31 chunks: any two pages up to here share a zbud page" },
	{ "1985-2048", 32, 32, "32 chunks, 2016 B (half of 4032) among them: pair only with "
			       "<= 1984 B" },
	{ "2049-2560", 33, 40, NULL },
	{ "2561-3072", 41, 48, NULL },
	{ "3073-3584", 49, 56, NULL },
	{ "3585-3968", 57, 62, "3968 B: zbud's largest object" },
	{ "3969-4096", 63, 64, NULL },
	{ "over 4096", EST_HIST_OVER, EST_HIST_OVER, NULL },
};

#define NROWS (sizeof(hist_rows) / sizeof(hist_rows[0]))

static double figure(const struct est_report *rep, int c, int z, enum est_figure f)
{
	return rep->res->codec[c].fig[z][f].value;
}

static const char *what_pages(const struct est_report *rep)
{
	if (!strcmp(rep->kind, "raw"))
		return "pages";
	if (!strcmp(rep->kind, "core"))
		return rep->all ? "pages" : "anonymous pages";
	return rep->all ? "pages in memory" : "anonymous private pages in memory";
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static void print_target(FILE *f, const struct est_report *rep)
{
	const struct target_counts *n = rep->counts;
	const bool file = rep->pid == 0;

	fprintf(f, "zbud estimate: ");
	if (!strcmp(rep->kind, "built-in"))
		fprintf(f, "the built-in workload (a Python heap), pid %ld", rep->pid);
	else if (!file)
		fprintf(f, "%s %ld (%s)", rep->kind, rep->pid, rep->name ? rep->name : "?");
	else
		fprintf(f, "%s file '%s'", rep->kind, rep->name);
	if (rep->at)
		fprintf(f, !strcmp(rep->at, "running") ? ", read while it ran"
			   : !strcmp(rep->at, "stopped") ? ", read while it was stopped"
			   : !strcmp(rep->at, "delay") ? ", read after the delay" : ", read at its %s",
			rep->at);
	fprintf(f, "\npages: %llu %s (%.1f MiB) in %llu %s%s%s%s%s\n",
		(unsigned long long)n->pages, what_pages(rep), (double)n->pages * PAGE / MIB,
		(unsigned long long)n->mappings, !strcmp(rep->kind, "core") ? "segment" : "mapping",
		plural(n->mappings), rep->mapping ? " named like '" : "",
		rep->mapping ? rep->mapping : "", rep->mapping ? "'" : "");
	fprintf(f, "skipped: %llu not in memory, %llu swapped out, %.0f unreadable",
		(unsigned long long)n->not_resident, (unsigned long long)n->swapped,
		rep->res->unreadable.value);
	if (n->unevictable)
		fprintf(f, ", %llu unevictable (mlock, hugetlbfs)", (unsigned long long)n->unevictable);
	if (n->not_in_file)
		fprintf(f, ", %llu not in the file", (unsigned long long)n->not_in_file);
	fputc('\n', f);
}

static void print_run(FILE *f, const struct est_report *rep)
{
	const struct est_result *r = rep->res;
	const double secs = r->seconds_measure + r->seconds_pools;

	if (r->sampled)
		fprintf(f, "sample: %llu pages (%.2f%%), %d replicates of %llu, seed %llu; figures "
			"for all %llu pages, +- their 95%% interval\n", (unsigned long long)r->measured,
			100.0 * (double)r->measured / (double)r->population, EST_REPLICATES,
			(unsigned long long)r->strata, (unsigned long long)rep->cfg->seed,
			(unsigned long long)r->population);
	fprintf(f, "measured: %s%llu pages with %u thread%s in %.2f s (%.0f MB/s of pages, "
		"each through every compressor; pools %.2f s)\n", r->sampled ? "" : "every page, ",
		(unsigned long long)r->measured, r->threads, r->threads == 1 ? "" : "s", secs,
		(double)r->measured * PAGE / 1e6 / (r->seconds_measure > 0 ? r->seconds_measure : 1),
		r->seconds_pools);
	fprintf(f, "same-filled: %.0f pages (%.1f%%)\n\n", figure(rep, 0, 0, EST_SAME_FILLED),
		100.0 * figure(rep, 0, 0, EST_SAME_FILLED) / (double)r->population);
}

/* Whether a row's ratio is below 1 (0: nothing held, not a ratio). */
static bool below_one(const struct est_report *rep)
{
	for (int c = 0; c < rep->cfg->ncodecs; c++)
		for (int z = 0; z < rep->cfg->nzpools; z++) {
			const double r = figure(rep, c, z, EST_RATIO);

			if (r > 0 && r < 1)
				return true;
		}
	return false;
}

/* "2.14" or "2.14 +-0.03". */
static const char *with_interval(char *buf, size_t len, const struct est_value *v, double unit,
				 int decimals, bool sampled)
{
	if (sampled)
		snprintf(buf, len, "%.*f +-%.*f", decimals, v->value / unit, decimals,
			 (v->high - v->low) / 2 / unit);
	else
		snprintf(buf, len, "%.*f", decimals, v->value / unit);
	return buf;
}

static void print_figures(FILE *f, const struct est_report *rep)
{
	const struct est_config *cfg = rep->cfg;
	const bool s = rep->res->sampled;
	const int rw = s ? 12 : 5, sw = s ? 18 : 9;

	fprintf(f, "%-10s %-9s %9s %9s %9s %9s %*s %*s %8s %8s\n", "compressor", "allocator",
		"incompr", "stored", "comp MiB", "pool MiB", rw, "ratio", sw, "saved MiB",
		"comp ns", "dec ns");
	for (int c = 0; c < cfg->ncodecs; c++) {
		const struct est_codec_result *k = &rep->res->codec[c];

		for (int z = 0; z < cfg->nzpools; z++) {
			char ratio[48], saved[48];

			fprintf(f, "%-10s %-9s %9.0f %9.0f %9.2f %9.2f %*s %*s", z ? "" : cfg->codec[c].label,
				cfg->zpool[z], figure(rep, c, z, EST_INCOMPRESSIBLE),
				figure(rep, c, z, EST_STORED),
				figure(rep, c, z, EST_COMPRESSED_BYTES) / MIB,
				figure(rep, c, z, EST_POOL_PAGES) * PAGE / MIB, rw,
				with_interval(ratio, sizeof(ratio), &k->fig[z][EST_RATIO], 1, 2, s), sw,
				with_interval(saved, sizeof(saved), &k->fig[z][EST_SAVED_BYTES], MIB, 1, s));
			if (z)
				fputc('\n', f);
			else
				fprintf(f, " %8.0f %8.0f\n", k->compress_ns, k->decompress_ns);
		}
	}
	fprintf(f, "\nincompr: pages the allocator would refuse (compressed past its largest "
		"object, or past 4096 B),\nkept whole; ratio: the pages' bytes / (pool + "
		"incompressible pages); saved: their difference;\ncomp, dec ns: CPU time a page.\n");
	if (below_one(rep))
		fprintf(f, "ratio below 1: the pool would take more than the pages; on a target "
			"this small (%llu page%s)\nan allocator's partly filled pages outweigh what "
			"compression saves.\n", (unsigned long long)rep->res->population,
			plural(rep->res->population));
}

static void print_histogram(FILE *f, const struct est_report *rep)
{
	const struct est_config *cfg = rep->cfg;

	fprintf(f, "\n%-16s", "compressed size");
	for (int c = 0; c < cfg->ncodecs; c++)
		fprintf(f, " %8s", cfg->codec[c].label);
	fputc('\n', f);
	for (size_t i = 0; i < NROWS; i++) {
		const struct hist_row *row = &hist_rows[i];

		fprintf(f, "%-16s", row->label);
		for (int c = 0; c < cfg->ncodecs; c++) {
			const uint64_t *h = rep->res->codec[c].hist;
			uint64_t in = 0, all = 0;

			for (int b = 0; b < EST_HIST; b++)
				all += h[b];
			for (int b = row->first; b <= row->last; b++)
				in += h[b];
			fprintf(f, " %7.1f%%", all ? 100.0 * (double)in / (double)all : 0.0);
		}
		fputc('\n', f);
		if (row->line)
			fprintf(f, "  -- %s\n", row->line);
	}
}

int estimate_print_table(FILE *f, const struct est_report *rep)
{
	print_target(f, rep);
	print_run(f, rep);
	print_figures(f, rep);
	print_histogram(f, rep);
	return ferror(f) ? -EIO : 0;
}

/* ---- JSON ---- */

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

static json_t *target_json(const struct est_report *rep)
{
	const struct target_counts *n = rep->counts;

	return json_pack("{s:s,s:o,s:o,s:o,s:s,s:o,s:I,s:I,s:{s:I,s:I,s:I,s:o}}",
			 "kind", rep->kind, "name", or_null(rep->name),
			 "pid", rep->pid ? json_integer(rep->pid) : json_null(),
			 "read_at", or_null(rep->at), "pages", rep->all ? "all" : "anonymous",
			 "mapping", or_null(rep->mapping),
			 "selected_pages", (json_int_t)n->pages, "mappings", (json_int_t)n->mappings,
			 "skipped", "not_resident", (json_int_t)n->not_resident,
			 "swapped", (json_int_t)n->swapped, "not_in_file", (json_int_t)n->not_in_file,
			 "unreadable", value(&rep->res->unreadable));
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
	int err;

	for (int z = 0; z < rep->cfg->nzpools; z++)
		json_array_append_new(zpools, json_pack("{s:s,s:i}", "name", rep->cfg->zpool[z],
							"largest_object", r->max_object[z]));
	for (int c = 0; c < rep->cfg->ncodecs; c++)
		json_array_append_new(codecs, codec_json(rep, c));
	root = json_pack("{s:i,s:i,s:o,s:o,s:{s:I,s:I,s:i,s:f,s:f},s:o,s:o}",
			 "version", JSON_VERSION, "page_size", PAGE,
			 "target", target_json(rep), "sample", sample_json(rep),
			 "run", "population", (json_int_t)r->population,
			 "measured", (json_int_t)r->measured, "threads", (int)r->threads,
			 "measure_seconds", r->seconds_measure, "pool_seconds", r->seconds_pools,
			 "zpools", zpools, "compressors", codecs);
	if (!root)
		return -ENOMEM;
	/* A write that failed says why (> /dev/full: ENOSPC), as the table does. */
	errno = 0;
	err = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || fputc('\n', f) == EOF
		? (errno ? -errno : -EIO) : 0;
	json_decref(root);
	return err;
}

int estimate_save_sizes(FILE *f, const struct est_result *res)
{
	for (size_t i = 0; i < res->nsizes; i++)
		if (fprintf(f, "%u\n", res->sizes[i]) < 0)
			return -errno;
	return 0;
}
