/*
 * cmd_inspect.c - `zbud inspect`: a pool drawn a page a row, so that the room
 * an allocator leaves unused can be seen (docs/inspect.md)
 *
 * The pool is the one a trace leaves (replay_run()'s at_end), or a fresh one
 * given a sizes file's allocations in order.  zpool_walk() gives each page's
 * regions; a row draws the page's 64 chunks of 64 bytes, a chunk in use by
 * a region's place ('.' when free), the header's chunks apart:
 *
 *   page    header  chunks 1..63 (zbud)                                bytes in no region
 *      0 |h|FF..............LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL|  free  896 B
 */
#define ZPOOL_STATIC_LINKING_ONLY
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "replay.h"
#include "text.h"
#include "zpool.h"

#define PAGE ((unsigned int)ZBUD_PAGE_SIZE)
#define CHUNK 64u
#define COLUMNS (PAGE / CHUNK)

/*
 * How an allocator's pages fall into the free-space histogram (its
 * zpool_info says): a page holding every place of full_places takes no more
 * objects (zbud's buddied list); the others are counted by their free
 * chunks, which for zbud is the unbuddied list they are on.  z3fold indexes
 * its lists by what its free slots can use, not by all free chunks, so its
 * histogram is plain free chunks.
 */
struct inspect {
	const struct zpool_info *info;
	size_t rows;                            /* pages to draw */
	bool worst;                             /* the emptiest, not the first */
	struct zpool_page_info *shown;          /* the pages to draw; for --worst,
						   a heap, the fullest on top */
	size_t nshown, cap;
	uint64_t pages, region_bytes, half_empty, full, headless;
	uint64_t by_free[COLUMNS + 1];          /* open pages by free chunks */
	unsigned int header_chunks;             /* drawn apart from the others */
	int err;                                /* zpool_walk()'s */
};

struct source {
	const char *path, *name;                /* name: for messages */
	uint64_t objects, bytes;                /* live at the end */
	uint64_t refused;                       /* sizes the allocator would not take */
};

/* The bytes a page's regions take. */
static unsigned int used_bytes(const struct zpool_page_info *page)
{
	unsigned int bytes = 0;

	for (unsigned int i = 0; i < page->nregions; i++)
		bytes += (unsigned int)(page->region[i].end - page->region[i].start);
	return bytes;
}

/* The page's chunks into @cells: a region's place in each chunk it touches
 * (the first region's where two share one), '.' where none does.  On a size
 * class's page every object is a region, and they alternate in case (o, O)
 * so that their boundaries show.  Returns the bytes the regions take. */
static unsigned int draw(const struct zpool_page_info *page, char cells[COLUMNS])
{
	memset(cells, '.', COLUMNS);
	for (unsigned int i = 0; i < page->nregions; i++) {
		const struct zpool_region *r = &page->region[i];
		char letter = zpool_place_letter(r->place);

		if (page->slot_size && i % 2)
			letter = (char)toupper((unsigned char)letter);
		for (unsigned int c = r->start / CHUNK; c < COLUMNS && c * CHUNK < r->end; c++)
			if (cells[c] == '.')
				cells[c] = letter;
	}
	return used_bytes(page);
}

static unsigned int count(const char *cells, char c)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < COLUMNS; i++)
		n += cells[i] == c;
	return n;
}

static int keep(struct inspect *in, const struct zpool_page_info *page)
{
	if (in->nshown == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 64;
		struct zpool_page_info *p = realloc(in->shown, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		in->shown = p;
		in->cap = cap;
	}
	in->shown[in->nshown++] = *page;
	return 0;
}

/* Whether page @a is fuller than @b, or as full and later: the one --worst
 * would drop first. */
static bool drops_before(const struct zpool_page_info *a, const struct zpool_page_info *b)
{
	unsigned int ua = used_bytes(a), ub = used_bytes(b);

	return ua > ub || (ua == ub && a->page > b->page);
}

/* --worst: the rows emptiest pages so far, in a heap whose top is the one to
 * drop when an emptier page comes. */
static int keep_worst(struct inspect *in, const struct zpool_page_info *page)
{
	struct zpool_page_info *h = in->shown;
	size_t i, n = in->nshown;

	if (!in->rows)
		return 0;
	if (n == in->rows) {
		if (!drops_before(&h[0], page))
			return 0;
		for (i = 0;;) {         /* the new page at the top, sifted down */
			size_t c = 2 * i + 1;

			if (c + 1 < n && drops_before(&h[c + 1], &h[c]))
				c++;
			if (c >= n || !drops_before(&h[c], page))
				break;
			h[i] = h[c];
			i = c;
		}
		h[i] = *page;
		return 0;
	}
	if (keep(in, page))
		return -ENOMEM;
	h = in->shown;
	for (i = n; i && drops_before(page, &h[(i - 1) / 2]); i = (i - 1) / 2)
		h[i] = h[(i - 1) / 2];
	h[i] = *page;
	return 0;
}

static int emptiest_first(const void *a, const void *b)
{
	const struct zpool_page_info *x = a, *y = b;

	return drops_before(x, y) - drops_before(y, x);
}

/* zpool_walk()'s callback, under the pool lock. */
static int take_page(const struct zpool_page_info *page, void *arg)
{
	struct inspect *in = arg;
	char cells[COLUMNS];
	const unsigned int bytes = draw(page, cells);
	const unsigned int header = count(cells, zpool_place_letter(ZPOOL_PLACE_HEADER));
	bool full = in->info->full_places;

	in->pages++;
	in->region_bytes += bytes;
	in->half_empty += PAGE - bytes > PAGE / 2;
	if (header > in->header_chunks)
		in->header_chunks = header;
	for (unsigned int p = 0; p < ZPOOL_PLACE_NR; p++)
		if (in->info->full_places & 1u << p)
			full &= memchr(cells, zpool_place_letter(p), COLUMNS) != NULL;
	if (memchr(cells, zpool_place_letter(ZPOOL_PLACE_HEADLESS), COLUMNS))
		in->headless++;
	else if (full)
		in->full++;
	else
		in->by_free[count(cells, '.')]++;
	if (in->worst)
		return keep_worst(in, page);
	return in->nshown < in->rows ? keep(in, page) : 0;
}

static void at_end(struct zpool *pool, void *arg)
{
	struct inspect *in = arg;

	in->err = zpool_walk(pool, take_page, in);
}

static FILE *open_input(const char *path)
{
	char err[512];
	FILE *f = cli_input_open(path, err, sizeof(err));

	if (!f)
		fprintf(stderr, "zbud inspect: %s\n", err);
	return f;
}

static int from_trace(const char *allocator, struct inspect *in, struct source *src)
{
	struct replay_opts opts = { .allocator = allocator, .at_end = at_end, .at_end_arg = in };
	struct replay_summary sum;
	enum replay_status st;
	char err[512];
	FILE *f = open_input(src->path);

	if (!f)
		return 1;
	st = replay_run(f, stdout, &opts, &sum, err, sizeof(err));
	cli_input_close(f);
	if (st == REPLAY_BAD_TRACE) {
		fprintf(stderr, "zbud inspect: %s\n", err);
		return 2;
	}
	if (st != REPLAY_OK) {
		fprintf(stderr, "zbud inspect: %s: %s\n", src->name, err);
		return 1;
	}
	src->objects = sum.live_objects;
	src->bytes = sum.live_bytes;
	return 0;
}

static int from_sizes(const char *allocator, struct inspect *in, struct source *src)
{
	FILE *f = open_input(src->path);
	struct zpool *pool;
	unsigned *sizes;
	bool unreadable;
	size_t n;
	int err = 0;

	if (!f)
		return 1;
	sizes = sizes_read(f, src->name, &n);   /* it says what is wrong */
	unreadable = !sizes && ferror(f);
	cli_input_close(f);
	if (!sizes)
		return unreadable ? 1 : 2;
	pool = zpool_create_pool(allocator, "inspect", NULL);
	if (!pool)
		err = -errno;
	for (size_t i = 0; pool && i < n && !err; i++) {
		unsigned long handle;
		const int e = zpool_malloc(pool, sizes[i], &handle);

		if (e == -ENOMEM)
			err = e;
		else if (e)
			src->refused++;         /* too large for this allocator */
		else
			src->objects++, src->bytes += sizes[i];
	}
	if (!err)
		in->err = zpool_walk(pool, take_page, in);
	zpool_destroy_pool(pool);
	free(sizes);
	if (err)
		fprintf(stderr, "zbud inspect: %s: %s\n", src->name, strerror(-err));
	return err ? 1 : 0;
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static void print_rows(const struct inspect *in)
{
	const int hc = (int)in->header_chunks;
	uint64_t most = 0;
	int width = 4;


	for (size_t i = 0; i < in->nshown; i++)
		most = in->shown[i].page > most ? in->shown[i].page : most;
	for (; most >= 10000; most /= 10)
		width++;
	for (size_t i = 0; i < in->nshown; i++) {
		const struct zpool_page_info *page = &in->shown[i];
		char cells[COLUMNS];
		const unsigned int bytes = draw(page, cells);

		printf("%*llu |%.*s%s%.*s|  free %4u B", width, (unsigned long long)page->page, hc,
		       cells, hc ? "|" : "", (int)COLUMNS - hc, cells + hc, PAGE - bytes);
		if (page->slot_size)
			printf("  class %u", page->slot_size);
		putchar('\n');
	}
	if (in->pages > in->nshown)
		printf("... %llu more page%s\n", (unsigned long long)(in->pages - in->nshown),
		       plural(in->pages - in->nshown));
}

static double fill(const struct inspect *in, const struct source *src)
{
	return in->pages ? 100.0 * (double)src->bytes / (double)(in->pages * PAGE) : 0;
}

/* Other allocators' free chunks go in buckets this wide: 9 rows, not 65. */
#define BUCKET 8u
#define BAR 30

static void print_bucket(const char *label, uint64_t pages, uint64_t most)
{
	char bar[BAR + 1];
	const size_t n = (size_t)((pages * BAR + most - 1) / most);

	memset(bar, '#', n);
	bar[n] = '\0';
	printf("  %-14s %6llu %s\n", label, (unsigned long long)pages, bar);
}

/* zbud's pages by the unbuddied list they are on, and buddied; others' by
 * free chunks, 1-8, 9-16, ... */
static void print_histogram(const struct inspect *in)
{
	const char *const lists = in->info->lists_name;
	uint64_t count[COLUMNS + 1] = { 0 }, most = in->full > in->headless ? in->full : in->headless;

	for (unsigned int c = 0; c <= COLUMNS; c++) {
		const unsigned int to = lists || !c ? c : (c + BUCKET - 1) / BUCKET * BUCKET;

		count[to] += in->by_free[c];
		if (count[to] > most)
			most = count[to];
	}
	if (lists)
		printf("free chunks    pages on each %s list (its free chunks)\n", lists);
	else
		printf("free chunks    pages by the 64-byte chunks free in them\n");
	for (unsigned int c = 0; c <= COLUMNS; c++) {
		char label[32];

		if (!count[c])
			continue;
		if (lists)
			snprintf(label, sizeof(label), "%s[%u]", lists, c);
		else if (c)
			snprintf(label, sizeof(label), "%u-%u free", c - BUCKET + 1, c);
		else
			snprintf(label, sizeof(label), "0 free");
		print_bucket(label, count[c], most);
	}
	if (in->info->full_name && in->full)
		print_bucket(in->info->full_name, in->full, most);
	if (in->headless)
		print_bucket(zpool_place_name(ZPOOL_PLACE_HEADLESS), in->headless, most);
}

static void print_summary(const struct inspect *in, const struct source *src)
{
	const uint64_t page_bytes = in->pages * PAGE;
	const uint64_t ideal = (src->bytes + PAGE - 1) / PAGE;

	printf("\npages          %llu (%llu B)\n", (unsigned long long)in->pages,
	       (unsigned long long)page_bytes);
	printf("stored         %llu B in %llu object%s: fill %.1f%%\n",
	       (unsigned long long)src->bytes, (unsigned long long)src->objects,
	       plural(src->objects), fill(in, src));
	if (src->refused)
		printf("refused        %llu size%s too large for the allocator\n",
		       (unsigned long long)src->refused, plural(src->refused));
	if (in->region_bytes >= src->bytes)
		printf("overhead       %llu B (headers, sizes rounded up)\n",
		       (unsigned long long)(in->region_bytes - src->bytes));
	printf("free           %llu B\n", (unsigned long long)(page_bytes - in->region_bytes));
	if (in->pages)
		print_histogram(in);
	printf("wasted halves  %llu of %llu page%s more than half empty\n",
	       (unsigned long long)in->half_empty, (unsigned long long)in->pages,
	       in->pages == 1 ? " is" : "s are");
	printf("ideal          %llu page%s for %llu B, against %llu", (unsigned long long)ideal,
	       plural(ideal), (unsigned long long)src->bytes, (unsigned long long)in->pages);
	if (ideal)
		printf(": %.2fx", (double)in->pages / (double)ideal);
	putchar('\n');
}

#ifdef ZBUD_PLPLOT
static int plot(const char *path, const char *allocator, const struct inspect *in,
		const struct source *src)
{
	const char *name = strrchr(src->name, '/') ? strrchr(src->name, '/') + 1 : src->name;
	char title[256], err[256];
	struct cli_output out;
	FILE *png = cli_output_open(&out, path, err, sizeof(err));

	if (!png) {
		fprintf(stderr, "zbud inspect: %s\n", err);
		return 1;
	}
	snprintf(title, sizeof(title), "%s: %llu page%s, fill %.1f%% (%s)", allocator,
		 (unsigned long long)in->pages, plural(in->pages), fill(in, src), name);
	if (inspect_plot(png, title, in->shown, in->nshown, err, sizeof(err))) {
		cli_output_finish(&out, false, NULL, 0); /* the file stays as it was */
		fprintf(stderr, "zbud inspect: %s: %s\n", path, err);
		return 1;
	}
	if (cli_output_finish(&out, true, err, sizeof(err))) {
		fprintf(stderr, "zbud inspect: %s\n", err);
		return 1;
	}
	return 0;
}
#define PLOT_NOTE ""
#else
#define PLOT_NOTE " (not in this build: no PLplot)"
#endif

/* " zbud z3fold ...)" and the end of the line */
static void print_drivers(FILE *f)
{
	for (unsigned int i = 0; zpool_driver_name(i); i++)
		fprintf(f, " %s", zpool_driver_name(i));
	fprintf(f, ")\n");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: zbud inspect [--allocator NAME] [--rows N | --worst N] [--plot FILE.png]\n"
		"                    (--trace FILE | --sizes FILE)\n"
		"\n"
		"Draws a pool a page a row, 64 chunks of 64 bytes each, and sums up how\n"
		"full its pages are (docs/inspect.md).\n"
		"\n"
		"  --trace FILE      the pool left after replaying the trace FILE\n"
		"  --sizes FILE      a fresh pool given FILE's sizes (one a line; -: stdin) in order\n"
		"  --allocator NAME  the zpool driver (default %s; known:", zpool_driver_name(0));
	print_drivers(f);
	fprintf(f,
		"  --rows N          draw the first N pages (default 40; 0: the summary alone)\n"
		"  --worst N         draw the N emptiest pages instead, emptiest first\n"
		"  --plot FILE.png   the same rows as an image too%s\n"
		"\n"
		"FILE '-' is standard input.  Exit status: 0; 1 when a file cannot be read or\n"
		"written; 2 for bad arguments, a bad trace or a bad size.\n"
		"\n"
		"Examples:\n"
		"  zbud inspect --trace trace.txt --rows 20\n"
		"  zbud estimate --raw core.bin --save-sizes sizes.txt && zbud inspect --sizes sizes.txt\n",
		PLOT_NOTE);
}

static bool parse_rows(const char *opt, const char *s, size_t *rows)
{
	const struct text_field f = { s, strlen(s) };
	uint64_t v;
	char why[128];

	if (text_number(&f, opt, 0, INSPECT_MAX_ROWS, &v, why, sizeof(why))) {
		fprintf(stderr, "zbud inspect: %s\n", why);
		return false;
	}
	*rows = (size_t)v;
	return true;
}

int inspect_parse_args(int argc, char **argv, struct inspect_args *a)
{
	char q[CLI_QUOTE_SIZE];
	const char *rows = NULL, *worst = NULL;
	const struct {
		const char *name, *what;
		const char **to;
	} opts[] = {
		{ "--allocator", "a NAME", &a->allocator },
		{ "--trace", "a FILE", &a->trace },
		{ "--sizes", "a FILE", &a->sizes },
		{ "--plot", "a FILE.png", &a->plot },
		{ "--rows", "a number", &rows },
		{ "--worst", "a number", &worst },
	};
	const size_t nopts = sizeof(opts) / sizeof(opts[0]);

	*a = (struct inspect_args){ .allocator = zpool_driver_name(0), .rows = 40 };
	for (int i = 1; i < argc; i++) {
		size_t o = 0;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		while (o < nopts && strcmp(argv[i], opts[o].name))
			o++;
		if (o == nopts) {
			fprintf(stderr, "zbud inspect: unknown %s '%s' (try --help)\n",
				argv[i][0] == '-' ? "option" : "argument", cli_quote(argv[i], q));
			return 2;
		}
		if (++i == argc) {
			fprintf(stderr, "zbud inspect: %s needs %s\n", opts[o].name, opts[o].what);
			return 2;
		}
		*opts[o].to = argv[i];
	}
	if (rows && worst) {
		fprintf(stderr, "zbud inspect: --rows or --worst, not both\n");
		return 2;
	}
	if ((rows && !parse_rows("--rows", rows, &a->rows)) ||
	    (worst && !parse_rows("--worst", worst, &a->rows)))
		return 2;
	a->worst = worst != NULL;
	if (!a->trace == !a->sizes) {
		fprintf(stderr, "zbud inspect: %s\n", a->trace ? "--trace or --sizes, not both"
							       : "what to inspect? --trace FILE or --sizes FILE");
		return 2;
	}
	if (!zpool_has_pool(a->allocator)) {
		fprintf(stderr, "zbud inspect: unknown allocator '%s' (known:",
			cli_quote(a->allocator, q));
		print_drivers(stderr);
		return 2;
	}
	if (a->plot && !cli_png_name(a->plot)) {
		fprintf(stderr, "zbud inspect: --plot writes a PNG, not what '%s' names: name it FILE.png\n",
			cli_quote(a->plot, q));
		return 2;
	}
#ifndef ZBUD_PLPLOT
	if (a->plot) {
		fprintf(stderr, "zbud inspect: --plot needs PLplot, and this zbud was built "
				"without it (install libplplot-dev and rebuild)\n");
		return 2;
	}
#endif
	return -1;
}

int cmd_inspect(int argc, char **argv)
{
	struct inspect_args a;
	struct inspect in = { 0 };
	struct source src = { 0 };
	int st = inspect_parse_args(argc, argv, &a);

	if (st >= 0)
		return st;
	in.info = zpool_info(a.allocator);
	in.rows = a.rows;
	in.worst = a.worst;
	src.path = a.trace ? a.trace : a.sizes;
	src.name = cli_input_name(src.path);
	st = a.trace ? from_trace(a.allocator, &in, &src) : from_sizes(a.allocator, &in, &src);
	if (!st && in.err) {
		fprintf(stderr, "zbud inspect: cannot walk the %s pool: %s\n", a.allocator,
			in.err == -EOPNOTSUPP ? "the driver does not show its pages"
					      : strerror(-in.err));
		st = 1;
	}
	if (!st) {
		printf("%s pool %s %s: %llu page%s\n", a.allocator,
		       a.trace ? "after replaying" : "holding the sizes in", src.name,
		       (unsigned long long)in.pages, plural(in.pages));
		if (in.worst && in.nshown) /* --worst 0: no rows, and qsort() wants an array */
			qsort(in.shown, in.nshown, sizeof(*in.shown), emptiest_first);
		print_rows(&in);
		print_summary(&in, &src);
		if (fflush(stdout)) {
			fprintf(stderr, "zbud inspect: cannot write: %s\n", strerror(errno));
			st = 1;
		}
	}
#ifdef ZBUD_PLPLOT
	if (!st && a.plot)
		st = plot(a.plot, a.allocator, &in, &src);
#endif
	free(in.shown);
	return st;
}
