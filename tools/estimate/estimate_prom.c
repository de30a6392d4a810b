/*
 * estimate_prom.c - see estimate_prom.h
 *
 * Every metric is a gauge (an estimate is a reading, not a count that
 * grows): zbud_estimate_ + the JSON figure's name, labelled by compressor
 * ("zstd:3") and zpool; when pages were sampled, the 95% interval's bounds
 * as the same name + _low and _high.  The target is named in
 * zbud_estimate_target_info's labels, so that several estimates (one a
 * .prom file) sit side by side.
 */
#include <errno.h>
#include <stdio.h>

#include "estimate_prom.h"
#include "prom.h"

#define NAME_LEN 96

static const char *const figure_help[EST_NFIGURES] = {
	[EST_SCANNED] = "Pages of the target looked at",
	[EST_SAME_FILLED] = "Pages of one repeated word, which zswap keeps as that word",
	[EST_INCOMPRESSIBLE] = "Pages zswap would refuse: too big compressed for the allocator",
	[EST_STORED] = "Pages the pool would hold",
	[EST_COMPRESSED_BYTES] = "Bytes the stored pages compress to",
	[EST_POOL_PAGES] = "Pages the allocator's pool would take",
	[EST_RATIO] = "Target bytes over the bytes zswap would keep; 0 when it keeps none",
	[EST_SAVED_BYTES] = "Bytes of memory zswap would give back",
};

/* One family of figure @fig for every compressor x zpool: its value, or
 * with @bound < 0 / > 0 its interval's low / high end. */
static void figure(FILE *f, const struct est_report *rep, enum est_figure fig, int bound)
{
	const struct est_config *cfg = rep->cfg;
	char name[NAME_LEN], help[160];

	snprintf(name, sizeof(name), "zbud_estimate_%s%s", est_figure_name[fig],
		 bound < 0 ? "_low" : bound > 0 ? "_high" : "");
	snprintf(help, sizeof(help), "%s%s", figure_help[fig],
		 bound < 0 ? " (95% interval, low end)" : bound > 0 ? " (95% interval, high end)" : "");
	prom_family(f, name, "gauge", help);
	for (int c = 0; c < cfg->ncodecs; c++)
		for (int z = 0; z < cfg->nzpools; z++) {
			const struct est_value *v = &rep->res->codec[c].fig[z][fig];
			const struct prom_label l[] = { { "compressor", cfg->codec[c].label },
							{ "zpool", cfg->zpool[z] } };

			prom_sample(f, name, l, 2, bound < 0 ? v->low : bound > 0 ? v->high : v->value);
		}
}

static void speed(FILE *f, const struct est_report *rep, bool decompress)
{
	const char *name = decompress ? "zbud_estimate_decompress_seconds_per_page"
				      : "zbud_estimate_compress_seconds_per_page";

	prom_family(f, name, "gauge", decompress ? "CPU time to decompress a page"
						 : "CPU time to compress a page");
	for (int c = 0; c < rep->cfg->ncodecs; c++) {
		const struct est_codec_result *k = &rep->res->codec[c];
		const struct prom_label l = { "compressor", rep->cfg->codec[c].label };

		prom_sample(f, name, &l, 1, (decompress ? k->decompress_ns : k->compress_ns) / 1e9);
	}
}

int estimate_print_prometheus(FILE *f, const struct est_report *rep)
{
	char pid[24];
	const struct prom_label target[] = { { "kind", rep->kind },
					     { "name", rep->name ? rep->name : "" },
					     { "pid", pid } };

	snprintf(pid, sizeof(pid), "%ld", rep->pid);
	prom_family(f, "zbud_estimate_target_info", "gauge",
		    "The target measured: its kind, name and pid (0 for files), as labels");
	prom_sample(f, "zbud_estimate_target_info", target, 3, 1);
	prom_family(f, "zbud_estimate_target_pages", "gauge", "Pages of the target");
	prom_sample_u64(f, "zbud_estimate_target_pages", NULL, 0, rep->res->population);
	prom_family(f, "zbud_estimate_sampled", "gauge",
		    "1 when the figures are scaled up from a sample of the pages");
	prom_sample_u64(f, "zbud_estimate_sampled", NULL, 0, rep->res->sampled);
	for (int fig = 0; fig < EST_NFIGURES; fig++) {
		figure(f, rep, fig, 0);
		if (rep->res->sampled) {
			figure(f, rep, fig, -1);
			figure(f, rep, fig, 1);
		}
	}
	speed(f, rep, false);
	speed(f, rep, true);
	return ferror(f) ? -EIO : 0;
}
