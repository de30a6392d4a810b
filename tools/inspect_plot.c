/*
 * inspect_plot.c - `zbud inspect --plot`: the rows as a PNG, drawn by PLplot's
 * pngcairo driver
 *
 * A page is a bar across its 4096 bytes, page after page down the image as
 * in the text.  Free bytes are grey; each region is filled with its place's
 * color and split from its neighbours by a white line, so that a size
 * class's objects stay countable.  A dashed line marks half a page: a bar
 * mostly grey right of it is a wasted half-page.
 *
 *                             title
 *   page +----------------------:-----------------------+  +--------+
 *      0 |hFFFF.................:.........LLLLLLLLLLLLLL|  | legend |
 *      1 |hFFFFFFFFFFFFFFFFFFFFF:.......................|  +--------+
 *        +----------------------:-----------------------+
 *        0    byte in the page (ticks: 64-byte chunks)  4096
 */
#define ZPOOL_STATIC_LINKING_ONLY
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plplot.h>

#include "cli.h"
#include "zpool.h"

/* Pixels: wide enough for 64 distinct chunks, a row tall enough to read. */
#define WIDTH 1280
#define ROW_HEIGHT 22
#define MIN_HEIGHT 360
#define MAX_HEIGHT 8000
/* Text height and the room around the bars, in PLplot's mm (72 dpi: a mm is
 * 2.83 pixels), fixed so that text keeps its size whatever the rows. */
#define CHAR_MM 4.2
#define MARGIN_LEFT 30
#define MARGIN_RIGHT 70
#define MARGIN_BOTTOM 22
#define MARGIN_TOP 18

/* PLplot's color map 0, as set here. */
enum { BACKGROUND, INK, FREE, FIRST_KIND };

static const struct kind {
	enum zpool_place place;
	const char *name;       /* in the legend */
	unsigned int rgb;
} kinds[] = {
	{ ZPOOL_PLACE_HEADER, "header", 0x555555 },
	{ ZPOOL_PLACE_FIRST, "first", 0x1f77b4 },
	{ ZPOOL_PLACE_MIDDLE, "middle", 0x2ca02c },
	{ ZPOOL_PLACE_LAST, "last", 0xff7f0e },
	{ ZPOOL_PLACE_HEADLESS, "headless", 0x9467bd },
	{ ZPOOL_PLACE_SLOT, "objects", 0x17becf },
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
#define FREE_RGB 0xdddddd

struct rows {
	const struct zpool_page_info *pages;
	size_t n;
};

/* PLplot's warnings (plabort()), the first kept to report. */
static char warning[200];

static void on_abort(const char *msg)
{
	if (!warning[0])
		snprintf(warning, sizeof(warning), "PLplot: %s", msg);
}

/* PLplot ends the process on a fatal error whatever the handler returns:
 * make that one line, as every other failure of the CLI. */
static int on_exit_error(const char *msg)
{
	fprintf(stderr, "zbud inspect: PLplot: %s\n", msg);
	exit(1);
}

static int kind_of(enum zpool_place place)
{
	for (size_t k = 0; k < NKINDS; k++)
		if (kinds[k].place == place)
			return (int)k;
	return -1;
}

static void set_color(int index, unsigned int rgb)
{
	plscol0(index, (PLINT)(rgb >> 16), (PLINT)(rgb >> 8 & 0xff), (PLINT)(rgb & 0xff));
}

static void bar(double x0, double x1, double y, int color)
{
	PLFLT x[4] = { x0, x1, x1, x0 }, yy[4] = { y - 0.4, y - 0.4, y + 0.4, y + 0.4 };

	plcol0(color);
	plfill(4, x, yy);
}

/* The y axis counts rows; its labels are the pages' numbers. */
static void page_label(PLINT axis, PLFLT value, char *label, PLINT length, PLPointer data)
{
	const struct rows *rows = data;
	const double row = round(value);

	label[0] = '\0';
	if (axis == PL_Y_AXIS && row >= 0 && row < (double)rows->n && fabs(value - row) < 1e-6)
		snprintf(label, (size_t)length, "%llu",
			 (unsigned long long)rows->pages[(size_t)row].page);
}

/* Each page's bar, and which kinds of region were drawn. */
static void draw_rows(const struct rows *rows, bool used[NKINDS])
{
	for (size_t i = 0; i < rows->n; i++) {
		const struct zpool_page_info *p = &rows->pages[i];

		bar(0, ZBUD_PAGE_SIZE, (double)i, FREE);
		for (unsigned int r = 0; r < p->nregions; r++) {
			const int k = kind_of(p->region[r].place);

			if (k < 0)
				continue;
			used[k] = true;
			bar(p->region[r].start, p->region[r].end, (double)i, FIRST_KIND + k);
			plcol0(BACKGROUND);
			pljoin(p->region[r].start, (double)i - 0.4, p->region[r].start,
			       (double)i + 0.4);
		}
	}
}

static void legend(const bool used[NKINDS])
{
	PLINT opt[NKINDS + 1], colors[NKINDS + 1], patterns[NKINDS + 1], text_colors[NKINDS + 1];
	PLFLT scales[NKINDS + 1], widths[NKINDS + 1], lw, lh;
	const char *text[NKINDS + 1];
	PLINT n = 0;

	for (size_t k = 0; k <= NKINDS; k++) {
		if (k < NKINDS && !used[k])
			continue;
		opt[n] = PL_LEGEND_COLOR_BOX;
		colors[n] = k < NKINDS ? FIRST_KIND + (PLINT)k : FREE;
		text[n] = k < NKINDS ? kinds[k].name : "free";
		patterns[n] = 0;
		scales[n] = 0.8;
		widths[n] = 1;
		text_colors[n] = INK;
		n++;
	}
	pllegend(&lw, &lh, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
		 PL_POSITION_RIGHT | PL_POSITION_OUTSIDE, 0.025, 0, 0.03, BACKGROUND, INK, 1, 0,
		 0, n, opt, 0.5, 1.0, 1.8, 0, text_colors, text, colors,
		 patterns, scales, widths, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
}

static bool have_pngcairo(void)
{
	const char *menu_space[128], *name_space[128], **menu = menu_space,
		**name = name_space;
	int n = 128;

	plgDevs(&menu, &name, &n);
	for (int i = 0; i < n; i++)
		if (!strcmp(name[i], "pngcairo"))
			return true;
	return false;
}

int inspect_plot(FILE *png, const char *title, const struct zpool_page_info *pages, size_t n,
		 char *err, size_t errlen)
{
	struct rows rows = { pages, n };
	const double nrows = n ? (double)n : 1;
	const size_t height = n * ROW_HEIGHT + 200;
	bool used[NKINDS] = { false };
	PLFLT x0, x1, y0, y1;
	bool failed;

	if (!have_pngcairo()) {
		fclose(png);
		snprintf(err, errlen, "PLplot has no pngcairo driver (plplot-driver-cairo)");
		return -1;
	}
	warning[0] = '\0';
	plsexit(on_exit_error);
	plsabort(on_abort);
	plsdev("pngcairo");
	plsfile(png);
	plspage(0, 0, WIDTH,
		(PLINT)(height < MIN_HEIGHT ? MIN_HEIGHT : height > MAX_HEIGHT ? MAX_HEIGHT : height),
		0, 0);
	plscolbg(255, 255, 255);
	plinit();
	set_color(INK, 0x000000);
	set_color(FREE, FREE_RGB);
	for (size_t k = 0; k < NKINDS; k++)
		set_color(FIRST_KIND + (int)k, kinds[k].rgb);
	pladv(0);
	plschr(CHAR_MM, 1.0);
	plgspa(&x0, &x1, &y0, &y1);
	plsvpa(MARGIN_LEFT, x1 - x0 - MARGIN_RIGHT, MARGIN_BOTTOM, y1 - y0 - MARGIN_TOP);
	plwind(0, ZBUD_PAGE_SIZE, nrows - 0.5, -0.5);     /* page 0 at the top */
	draw_rows(&rows, used);
	plcol0(INK);
	pllsty(2);
	pljoin(ZBUD_PAGE_SIZE / 2, -0.5, ZBUD_PAGE_SIZE / 2, nrows - 0.5);
	pllsty(1);
	plbox("bcinst", 512, 8, "bc", 0, 0);
	/* The pages' numbers without ticks, which would cross them. */
	plslabelfunc(page_label, &rows);
	plsmaj(0, 0);
	plbox("", 0, 0, "notv", ceil(nrows / 40), 0);
	pllab("byte in the page (ticks: 64-byte chunks)", "page", "");
	plmtex("t", 2.5, 0.5, 0.5, title);
	legend(used);
	pleop();                /* pngcairo writes the file here */
	failed = fflush(png) || ferror(png);
	plend();                /* and closes it */
	if (failed)
		snprintf(err, errlen, "write error: %s", strerror(errno));
	else if (warning[0])
		snprintf(err, errlen, "%s", warning);
	return failed || warning[0] ? -1 : 0;
}
