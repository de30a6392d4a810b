/*
 * estimate_csv.c - `zbud estimate --csv FILE`: the series over time, a row
 * a point, for spreadsheets (RFC 4180: a header row, commas, no quoting
 * needed: no field holds a comma or a quote)
 *
 *   t_seconds,processes,pages,reading,saved_MiB lz4/zbud,...,ratio lz4/zbud,...
 *
 * A point between readings has its pages and empty figures.
 */
#include <stdio.h>

#include "estimate_cli.h"

#define MIB 1048576.0

int estimate_print_csv(FILE *f, const struct est_report *rep)
{
	const struct est_follow *fo = rep->follow;
	const struct est_config *cfg = rep->cfg;
	const int cells = cfg->ncodecs * cfg->nzpools;

	fprintf(f, "t_seconds,processes,pages,reading");
	for (int k = 0; k < 2; k++)
		for (int c = 0; c < cfg->ncodecs; c++)
			for (int z = 0; z < cfg->nzpools; z++)
				fprintf(f, ",%s %s/%s", k ? "ratio" : "saved_MiB", cfg->codec[c].label,
					cfg->zpool[z]);
	fputs("\r\n", f);
	for (size_t i = 0; fo && i < fo->npoints; i++) {
		const struct follow_point *p = &fo->point[i];

		fprintf(f, "%.3f,%u,%llu,%s", p->t, p->processes, (unsigned long long)p->pages,
			p->measured ? follow_why_name(p->why) : "");
		for (int k = 0; k < 2 * cells; k++)
			if (!p->measured)
				fputc(',', f);
			else if (k < cells)
				fprintf(f, ",%.2f", p->saved[k] / MIB);
			else
				fprintf(f, ",%.3f", p->ratio[k - cells]);
		fputs("\r\n", f);
	}
	return 0;
}
