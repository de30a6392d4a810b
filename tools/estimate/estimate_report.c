/*
 * estimate_report.c - `zbud estimate`'s output: a table for people, JSON for
 * programs (the schema is in docs/estimate.md), and the sizes file for
 * `zbud inspect --sizes`
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "estimate_cli.h"
#include "estimate_kernel.h"

#define PAGE ZSWAP_PAGE_SIZE
#define MIB 1048576.0

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
		return rep->args->sel.all ? "pages" : "anonymous pages";
	return rep->args->sel.all ? "pages in memory" : "pages zswap would be given";
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* "command 123 (sort)", "processes 1, 2", "cgroup /sys/...", "raw file 'x'" */
static void print_who(FILE *f, const struct est_report *rep)
{
	const struct est_args *a = rep->args;

	if (!strcmp(rep->kind, "built-in"))
		fprintf(f, "the built-in workload (a Python heap), pid %ld", rep->pid);
	else if (!strcmp(rep->kind, "command") || !strcmp(rep->kind, "process"))
		fprintf(f, "%s %ld (%s)", rep->kind, rep->pid, rep->name);
	else if (!strcmp(rep->kind, "processes"))
		for (size_t i = 0; i < a->npids; i++)
			fprintf(f, "%s%d", i ? ", " : "processes ", (int)a->pid[i]);
	else if (!strcmp(rep->kind, "cgroup"))
		for (size_t i = 0; i < a->ncgroups; i++)
			fprintf(f, "%s%s", i ? ", " : "cgroup ", a->cgroup[i]);
	else
		fprintf(f, "%s file '%s'", rep->kind, rep->name);
	if (a->npids && a->ncgroups)
		fprintf(f, " and %zu cgroup%s", a->ncgroups, plural(a->ncgroups));
	if (a->follow)
		fprintf(f, " and what %s starts", a->npids > 1 ? "they" : "it");
}

static void print_when(FILE *f, const struct est_report *rep)
{
	const struct est_follow *fo = rep->follow;

	if (fo) {
		fprintf(f, ", followed for %.1f s", fo->seconds);
		if (rep->ended)
			fprintf(f, ": it %s", rep->ended);
		else if (fo->interrupted)
			fprintf(f, ": stopped following (%s)",
				rep->args->duration > 0 && fo->seconds >= rep->args->duration
				? "--duration" : "a signal");
		else if (fo->lost)
			fprintf(f, ": its processes ended");
		return;
	}
	if (rep->at)
		fprintf(f, !strcmp(rep->at, "running") ? ", read while it ran"
			   : !strcmp(rep->at, "stopped") ? ", read while it was stopped"
			   : !strcmp(rep->at, "delay") ? ", read after the delay" : ", read at its %s",
			rep->at);
	if (rep->ended)
		fprintf(f, "; it %s", rep->ended);
}

/* Over time: where the peak was, and the series. */
static void print_peak(FILE *f, const struct est_report *rep)
{
	const struct est_follow *fo = rep->follow;
	const struct follow_point *p = &fo->peak_point;

	fprintf(f, "peak: %llu pages (%.1f MiB) at %.2f s, %u process%s, read %s\n",
		(unsigned long long)rep->res->population,
		(double)rep->res->population * PAGE / MIB, p->t, p->processes,
		p->processes == 1 ? "" : "es", p->why == FOLLOW_SIGSTOP ? "at its SIGSTOP"
		: p->why == FOLLOW_EXIT ? "at a process's exit" : "as it ran");
	/* The figures are the peak reading's; more pages counted between
	 * readings are said, with what the figures become at its ratios. */
	if ((double)fo->most_pages > 1.01 * (double)rep->res->population)
		fprintf(f, "      (counted at most: %llu pages, %.1f MiB, at %.2f s, at a tick;\n"
			"      the figures below are the peak reading's: at its ratios, the most "
			"counted saves x%.2f)\n", (unsigned long long)fo->most_pages,
			(double)fo->most_pages * PAGE / MIB, fo->most_t,
			(double)fo->most_pages / (double)rep->res->population);
	fprintf(f, "series: %zu points over %.1f s, %u reading%s (--json, --csv, --plot show them)\n",
		fo->npoints, fo->seconds, fo->measurements, plural(fo->measurements));
}

static void print_target(FILE *f, const struct est_report *rep)
{
	const struct target_counts *n = &rep->res->counts;
	const bool procs = strcmp(rep->kind, "core") && strcmp(rep->kind, "raw");

	fprintf(f, "zbud estimate: ");
	print_who(f, rep);
	print_when(f, rep);
	fputc('\n', f);
	if (rep->follow)
		print_peak(f, rep);
	fprintf(f, "pages: %llu %s (%.1f MiB) in %llu %s%s", (unsigned long long)n->pages,
		what_pages(rep), (double)n->pages * PAGE / MIB, (unsigned long long)n->mappings,
		!strcmp(rep->kind, "core") ? "segment" : "mapping", plural(n->mappings));
	if (procs && n->processes > 1)
		fprintf(f, " of %u processes", n->processes);
	if (rep->args->sel.mapping)
		fprintf(f, " named like '%s'", rep->args->sel.mapping);
	fputc('\n', f);
	if (procs && (n->shared || n->duplicate))
		fprintf(f, "shared: %llu of the pages are mapped by another process too%s\n",
			(unsigned long long)(n->shared + n->duplicate), rep->frames
			? "; those of this target counted once (by frame)"
			: n->processes > 1 ? "; those shared within this target are counted each time "
					      "(frames are shown to root only): the sums are an upper bound"
			: "");
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
	int aw = (int)strlen("allocator");

	/* As wide as the longest name ("zsmalloc-kernel"), or its row shifts. */
	for (int z = 0; z < cfg->nzpools; z++)
		aw = (int)strlen(cfg->zpool[z]) > aw ? (int)strlen(cfg->zpool[z]) : aw;
	fprintf(f, "%-10s %-*s %9s %9s %9s %9s %*s %*s %8s %8s\n", "compressor", aw, "allocator",
		"incompr", "stored", "comp MiB", "pool MiB", rw, "ratio", sw, "saved MiB",
		"comp ns", "dec ns");
	for (int c = 0; c < cfg->ncodecs; c++) {
		const struct est_codec_result *k = &rep->res->codec[c];

		for (int z = 0; z < cfg->nzpools; z++) {
			char ratio[48], saved[48], mark[96];

			fprintf(f, "%-10s %-*s %9.0f %9.0f %9.2f %9.2f %*s %*s", z ? "" : cfg->codec[c].label,
				aw, cfg->zpool[z], figure(rep, c, z, EST_INCOMPRESSIBLE),
				figure(rep, c, z, EST_STORED),
				figure(rep, c, z, EST_COMPRESSED_BYTES) / MIB,
				figure(rep, c, z, EST_POOL_PAGES) * PAGE / MIB, rw,
				with_interval(ratio, sizeof(ratio), &k->fig[z][EST_RATIO], 1, 2, s), sw,
				with_interval(saved, sizeof(saved), &k->fig[z][EST_SAVED_BYTES], MIB, 1, s));
			estimate_kernel_mark(rep->kernel, cfg, c, z, mark, sizeof(mark));
			if (!z)
				fprintf(f, " %8.0f %8.0f", k->compress_ns, k->decompress_ns);
			else if (mark[0])
				fprintf(f, " %8s %8s", "", "");
			fprintf(f, "%s%s\n", mark[0] ? "  <- " : "", mark);
		}
	}
	fprintf(f, "\nincompr: pages the allocator would refuse (compressed past its largest "
		"object, or past 4096 B),\nkept whole; ratio: the pages' bytes / (pool + "
		"incompressible pages); saved: their difference;\ncomp, dec ns: CPU time a page; "
		"<- what the running kernel uses.\n");
	if (below_one(rep))
		fprintf(f, "ratio below 1: the pool would take more than the pages; on a target "
			"this small (%llu page%s)\nan allocator's partly filled pages outweigh what "
			"compression saves.\n", (unsigned long long)rep->res->population,
			plural(rep->res->population));
	estimate_kernel_print(f, rep->kernel);
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

int estimate_save_sizes(FILE *f, const uint16_t *size, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fprintf(f, "%u\n", size[i]) < 0)
			return -errno;
	return 0;
}
