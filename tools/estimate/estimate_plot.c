/*
 * estimate_plot.c - `zbud estimate --plot`: two panels in a PNG, drawn by
 * PLplot's pngcairo driver
 *
 *   +-----------------------------------------------+  +--------+
 *   | % of pages by compressed size, a step line    |  | legend |
 *   | a compressor; grey ticks at zbud's 64-byte    |  +--------+
 *   | chunks; lines at 1984, 2016 and 3968 bytes    |
 *   +-----------------------------------------------+
 *   | effective ratio: a group of bars a compressor,|  +--------+
 *   | a bar an allocator, with the 95% interval     |  | legend |
 *   +-----------------------------------------------+  +--------+
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plplot.h>

#include "estimate_cli.h"
#include "zpool.h"

#define WIDTH 1400
#define HEIGHT 1000
#define HEIGHT_OVER_TIME 1500
#define CHAR_MM 3.6
/* The panels, in normalized page coordinates: room for legends on the right. */
#define LEFT 0.07
#define RIGHT 0.87
#define BAR_GROUP 0.8                   /* of a compressor's slot on the x axis */
#define LEGEND_MAX (EST_MAX_CODECS + EST_MAX_ZPOOLS)    /* entries a legend shows */

enum { BACKGROUND, INK, GRID, MARK, HALF, FIRST_SERIES };

/* Tableau's ten: distinct, and readable on white. */
static const unsigned int palette[] = {
	0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
	0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
};

#define NCOLORS (sizeof(palette) / sizeof(palette[0]))

static char plot_error[200];

/* PLplot's recoverable complaints; the first is reported. */
static void note_abort(const char *msg)
{
	if (!plot_error[0])
		snprintf(plot_error, sizeof(plot_error), "PLplot: %s", msg);
}

/* PLplot exits after a fatal error whatever this returns: one line first. */
static int fatal(const char *msg)
{
	fprintf(stderr, "zbud estimate: PLplot: %s\n", msg);
	exit(1);
}

static void rgb(int index, unsigned int c)
{
	plscol0(index, (PLINT)(c >> 16), (PLINT)(c >> 8 & 0xff), (PLINT)(c & 0xff));
}

static bool has_device(const char *want)
{
	const char *menus[128], *names[128], **m = menus, **n = names;
	int count = 128;

	plgDevs(&m, &n, &count);
	while (count-- > 0)
		if (!strcmp(n[count], want))
			return true;
	return false;
}

static double share(const uint64_t *hist, int b)
{
	uint64_t all = 0;

	for (int i = 0; i < EST_HIST; i++)
		all += hist[i];
	return all ? 100.0 * (double)hist[b] / (double)all : 0;
}

static void vline(double x, double top, int color, int style)
{
	plcol0(color);
	pllsty(style);
	pljoin(x, 0, x, top);
	pllsty(1);
}

/* Inside the panel's top right, or outside it on the right. */
static void legend(bool inside, int n, const char *const *text, const PLINT *colors, PLINT kind)
{
	PLINT opt[LEGEND_MAX], ink[LEGEND_MAX], styles[LEGEND_MAX], patterns[LEGEND_MAX];
	PLFLT widths[LEGEND_MAX], scales[LEGEND_MAX];
	PLFLT w, h;

	for (int i = 0; i < n; i++) {
		opt[i] = kind, ink[i] = INK, styles[i] = 1, patterns[i] = 0;
		widths[i] = 3, scales[i] = 0.9;
	}
	pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
		 PL_POSITION_RIGHT | (inside ? PL_POSITION_INSIDE | PL_POSITION_TOP : PL_POSITION_OUTSIDE),
		 0.02, 0.03, 0.03,
		 BACKGROUND, INK, 1, 0, 0, n, opt, 0.6, 1.0, 1.6, 0, ink, text,
		 colors, patterns, scales, widths, colors, styles, widths, NULL, NULL, NULL, NULL);
}

/* A panel's bottom and top, in normalized page coordinates. */
struct band {
	double lo, hi;
};

static void histogram(const struct est_report *rep, struct band at)
{
	const struct est_config *cfg = rep->cfg;
	char labels[EST_MAX_CODECS][80], title[160];
	const char *text[EST_MAX_CODECS];
	PLINT colors[EST_MAX_CODECS];
	PLFLT x[2 * EST_NBUCKETS], y[2 * EST_NBUCKETS];
	double top = 1;

	for (int c = 0; c < cfg->ncodecs; c++)
		for (int b = 1; b <= EST_NBUCKETS; b++)
			top = fmax(top, share(rep->res->codec[c].hist, b));
	top *= 1.15;
	plvpor(LEFT, RIGHT, at.lo, at.hi);
	plwind(0, ZSWAP_PAGE_SIZE, 0, top);
	for (int k = 1; k < EST_NBUCKETS; k++)
		vline(k * EST_BUCKET, top, GRID, 1);
	vline(1984, top, MARK, 2);
	vline(2016, top, HALF, 2);
	vline(3968, top, MARK, 3);
	plcol0(INK);
	plptex(1984 - 20, top * 0.96, 1, 0, 1, "1984 B: 31 chunks");
	plcol0(HALF);
	plptex(2016 + 20, top * 0.96, 1, 0, 0, "2016 B: half of 4032");
	plcol0(INK);
	plptex(3968 - 20, top * 0.45, 1, 0, 1, "3968 B: zbud's largest object");
	plwidth(2);
	for (int c = 0; c < cfg->ncodecs; c++) {
		const uint64_t *h = rep->res->codec[c].hist;

		for (int b = 1; b <= EST_NBUCKETS; b++) {
			x[2 * b - 2] = (b - 1) * EST_BUCKET, x[2 * b - 1] = b * EST_BUCKET;
			y[2 * b - 2] = y[2 * b - 1] = share(h, b);
		}
		colors[c] = FIRST_SERIES + c % (int)NCOLORS;
		plcol0(colors[c]);
		plline(2 * EST_NBUCKETS, x, y);
		snprintf(labels[c], sizeof(labels[c]), "%s: same-filled %.1f%%, over 4096 B %.1f%%",
			 cfg->codec[c].label, share(h, EST_HIST_SAME), share(h, EST_HIST_OVER));
		text[c] = labels[c];
	}
	plwidth(1);
	plcol0(INK);
	plbox("bcnst", 512, 8, "bcnstv", 0, 0);
	snprintf(title, sizeof(title), "Compressed sizes of the %llu pages measured (%s%s%s)",
		 (unsigned long long)rep->res->measured, rep->kind, rep->name ? ": " : "",
		 rep->name ? rep->name : "");
	pllab("compressed size, bytes (grey: zbud's 64-byte chunks)", "% of pages", title);
	legend(true, cfg->ncodecs, text, colors, PL_LEGEND_LINE);
}

/* An allocator's color, the same whichever others are drawn. */
static int zpool_color(const char *name)
{
	unsigned int i = 0;

	while (zpool_driver_name(i) && strcmp(zpool_driver_name(i), name))
		i++;
	return FIRST_SERIES + (int)((i + 5) % NCOLORS);
}

static void bar(double x0, double x1, double y, int color)
{
	PLFLT xs[4] = { x0, x1, x1, x0 }, ys[4] = { 0, 0, y, y };

	plcol0(color);
	plfill(4, xs, ys);
	plcol0(INK);
	plline(4, xs, ys);
}

static void ratios(const struct est_report *rep, struct band at)
{
	const struct est_config *cfg = rep->cfg;
	const double w = BAR_GROUP / cfg->nzpools;
	const char *text[EST_MAX_ZPOOLS];
	PLINT colors[EST_MAX_ZPOOLS];
	double top = 1;

	for (int c = 0; c < cfg->ncodecs; c++)
		for (int z = 0; z < cfg->nzpools; z++)
			top = fmax(top, rep->res->codec[c].fig[z][EST_RATIO].high);
	plvpor(LEFT, RIGHT, at.lo, at.hi);
	plwind(-0.5, cfg->ncodecs - 0.5, 0, top * 1.12);
	for (int c = 0; c < cfg->ncodecs; c++) {
		for (int z = 0; z < cfg->nzpools; z++) {
			const struct est_value *v = &rep->res->codec[c].fig[z][EST_RATIO];
			const double x0 = c - BAR_GROUP / 2 + z * w;
			char label[16];
			PLFLT xm = x0 + w / 2, lo = v->low, hi = v->high;

			colors[z] = zpool_color(cfg->zpool[z]);
			text[z] = cfg->zpool[z];
			bar(x0, x0 + w * 0.92, v->value, colors[z]);
			if (rep->res->sampled)
				plerry(1, &xm, &lo, &hi);
			snprintf(label, sizeof(label), "%.2f", v->value);
			plschr(0, 0.8);
			plptex(xm - w * 0.04, fmax(v->value, hi) + top * 0.025, 1, 0, 0.5, label);
			plschr(0, 1.0);
		}
		plmtex("b", 1.6, (c + 0.5) / cfg->ncodecs, 0.5, cfg->codec[c].label);
	}
	plbox("bc", 0, 0, "bcnstv", 0, 0);
	pllab("", "effective ratio", rep->res->sampled
	      ? "Effective ratio: pages' bytes / (pool + incompressible pages), with 95% intervals"
	      : "Effective ratio: pages' bytes / (pool + incompressible pages)");
	legend(false, cfg->nzpools, text, colors, PL_LEGEND_COLOR_BOX);
}

/*
 * Over time: the pages (MiB) as a black line, and at each reading what each
 * compressor and allocator would have saved, a line a cell through its
 * readings; the peak marked.
 */
static void over_time(const struct est_report *rep, struct band at)
{
	const struct est_follow *f = rep->follow;
	const struct est_config *cfg = rep->cfg;
	const int cells = cfg->ncodecs * cfg->nzpools;
	static PLFLT x[FOLLOW_MAX_POINTS], y[FOLLOW_MAX_POINTS];
	double top = 1, end = f->seconds > 0 ? f->seconds : 1;
	char title[200], names[LEGEND_MAX][48];
	const char *text[LEGEND_MAX] = { "pages" };
	PLINT colors[LEGEND_MAX] = { INK };

	for (int k = 0; k + 1 < LEGEND_MAX && k < cells; k++) {
		snprintf(names[k], sizeof(names[k]), "%s/%s", cfg->codec[k / cfg->nzpools].label,
			 cfg->zpool[k % cfg->nzpools]);
		text[k + 1] = names[k];
		colors[k + 1] = FIRST_SERIES + k % (int)NCOLORS;
	}
	for (size_t i = 0; i < f->npoints; i++)
		top = fmax(top, (double)f->point[i].pages * ZSWAP_PAGE_SIZE / 1048576.0);
	plvpor(LEFT, RIGHT, at.lo, at.hi);
	plwind(0, end, 0, top * 1.1);
	plwidth(2);
	for (int k = -1; k < cells; k++) {
		PLINT n = 0;

		for (size_t i = 0; i < f->npoints; i++) {
			const struct follow_point *p = &f->point[i];

			if (k >= 0 && !p->measured)
				continue;
			x[n] = p->t;
			y[n++] = k < 0 ? (double)p->pages * ZSWAP_PAGE_SIZE / 1048576.0
				       : fmax(0, p->saved[k]) / 1048576.0;
		}
		plcol0(k < 0 ? INK : FIRST_SERIES + k % (int)NCOLORS);
		if (n > 1)
			plline(n, x, y);
		else if (n == 1)
			plpoin(1, x, y, 17);
	}
	plwidth(1);
	vline(f->peak_point.t, top * 1.1, MARK, 2);
	plcol0(INK);
	plbox("bcnst", 0, 0, "bcnstv", 0, 0);
	legend(false, cells + 1 < LEGEND_MAX ? cells + 1 : LEGEND_MAX, text, colors, PL_LEGEND_LINE);
	snprintf(title, sizeof(title), "Over %.1f s: pages zswap would be given (black), and what "
		 "each would save at %u readings", f->seconds, f->measurements);
	pllab("seconds (dashed: the peak)", "MiB", title);
}

/*
 * Drawn into memory: cairo writes the PNG through calls of its own, which
 * lose the errno of a failed write; the caller writes the bytes, and says
 * a full disk as such.
 */
int estimate_plot(const struct est_report *rep, char **bytes, size_t *size, char *why,
		  size_t len)
{
	FILE *png;

	if (!has_device("pngcairo")) {
		snprintf(why, len, "PLplot has no pngcairo driver (plplot-driver-cairo)");
		return -1;
	}
	*bytes = NULL;
	*size = 0;
	png = open_memstream(bytes, size);
	if (!png) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	plot_error[0] = '\0';
	plsexit(fatal);
	plsabort(note_abort);
	plsdev("pngcairo");
	plsfile(png);
	plspage(0, 0, WIDTH, rep->follow ? HEIGHT_OVER_TIME : HEIGHT, 0, 0);
	plscolbg(255, 255, 255);
	plinit();
	rgb(INK, 0x000000);
	rgb(GRID, 0xe4e4e4);
	rgb(MARK, 0x444444);
	rgb(HALF, 0xc00000);
	for (size_t i = 0; i < NCOLORS; i++)
		rgb(FIRST_SERIES + (int)i, palette[i]);
	pladv(0);
	plschr(CHAR_MM, 1.0);
	if (rep->follow) {
		over_time(rep, (struct band){ 0.72, 0.95 });
		histogram(rep, (struct band){ 0.40, 0.63 });
		ratios(rep, (struct band){ 0.06, 0.30 });
	} else {
		histogram(rep, (struct band){ 0.57, 0.93 });
		ratios(rep, (struct band){ 0.08, 0.45 });
	}
	pleop();                        /* pngcairo writes the image here */
	plend();                        /* and closes the stream */
	if (plot_error[0] || !*size) {
		snprintf(why, len, "%s", plot_error[0] ? plot_error : "PLplot drew nothing");
		free(*bytes);
		*bytes = NULL;
		return -1;
	}
	return 0;
}
