/*
 * cmd_bench_store.c - `zbud bench store`: the store on real pages, as
 * `zstd -b` measures a compressor
 *
 * Page sets: files installed here, and the heap of a Python program started
 * for the purpose and read while it is stopped (cmd_bench_store_sets.c).
 * For each set, compressor and allocator, the fastest of PASSES passes of:
 *
 *  - the compressor alone (zswap_compressor_at(), no store): each page into a
 *    4 KiB slot, the store's own limit, then back; the figures the store's
 *    are held against;
 *  - the store with one shard, one thread's figures: store every page, load
 *    every page it took and compare each byte, store every page again over
 *    itself, then invalidate them all (untimed).
 *
 * The first stores grow the pool from empty, and pay for its pages coming
 * into memory: the page source gives them back to the OS as the pool
 * shrinks.  Storing again over a full pool reuses them, as a kernel's zswap
 * in steady state does; the goals' lines give both.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_bench_store.h"
#include "text.h"
#include "zpool.h"

#define DEFAULT_MIB 32          /* a set big enough to leave the caches */
#define MAX_MIB 4096

/* ---- options ---- */

static void usage(FILE *f)
{
	char codecs[160], zpools[160];

	fprintf(f,
		"usage: zbud bench store [--files PATH...] [--mib N] [--no-heap]\n"
		"                        [--compressor NAME[:LEVEL][,...]] [--zpool NAME[,...]]\n"
		"                        [--threads N] [--heap-cmd CMD [ARG...]]\n"
		"\n"
		"Measures the store on real pages, for each compressor and allocator, the\n"
		"fastest of %d passes, every page loaded checked byte for byte:\n"
		"  comp, dec MB/s, ratio  the compressor alone, each page into 4 KiB (a page\n"
		"                         that does not fit counts 4096 bytes)\n"
		"  store, load MB/s       the store with one shard\n"
		"  pool pg, ideal pg      its pool's pages; ceil(compressed bytes / 4096)\n"
		"  same, poor             pages kept as one word; refused, compressing poorly\n"
		"  eff                    original bytes / pool bytes of the pages in the pool\n"
		"  store/comp             store time / the compressor's compress time\n"
		"  load/(dec+cpy)         load time / (its decompress + a 4 KiB memcpy) time\n"
		"Then the goals' figures: lz4's rows, same-filled pages, and threads.\n"
		"\n"
		"Page sets: the files (default: libraries, programs, licences and Perl\n"
		"modules installed here) up to --mib MiB (default %d), and the heap of a\n"
		"Python program it starts (python3; --no-heap: none), or of CMD, which must\n"
		"stop itself with SIGSTOP once its heap is built (--heap-cmd comes last).\n"
		"\n"
		"  --compressor  default: each of %s at its default level\n"
		"  --zpool       default: each allocator built in (%s)\n"
		"  --threads N   the threads row: 1 thread against N (default 2)\n"
		"\n"
		"Examples:\n"
		"  zbud bench store --mib 8 --no-heap --compressor lz4,zstd --zpool zbud,zsmalloc\n"
		"  zbud bench store --files /usr/bin/python3 --mib 4 --heap-cmd python3 heap.py\n",
		PASSES, DEFAULT_MIB, est_known(zswap_compressor_name, false, codecs, sizeof(codecs)),
		est_known(zpool_driver_name, false, zpools, sizeof(zpools)));
}

static int bad(const char *what)
{
	fprintf(stderr, "zbud bench store: %s\n", what);
	return 2;
}

static int number(const char *opt, const char *arg, uint64_t max, uint64_t *v)
{
	const struct text_field f = { arg, strlen(arg) };
	char why[128];

	return text_number(&f, opt, 1, max, v, why, sizeof(why)) ? bad(why) : 0;
}

static void default_options(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->ncodecs = est_codecs_default(o->codec, EST_MAX_CODECS);
	o->nzpools = est_zpools_default(o->zpool, EST_MAX_ZPOOLS, false);
	o->max_pages = (size_t)DEFAULT_MIB << 20 >> 12;
	o->heap = true;
	o->threads = 2;
}

/* An option that takes a value, at argv[*i]; 0 or the exit status. */
static int valued(char **argv, int *i, struct options *o)
{
	const char *opt = argv[*i];
	char *arg = argv[++*i], why[256];
	uint64_t v;
	int rc = 0, n;

	if (!strcmp(opt, "--compressor") || !strcmp(opt, "--zpool")) {
		n = opt[2] == 'c' ? est_codecs_parse(arg, o->codec, EST_MAX_CODECS, why, sizeof(why))
				  : est_zpools_parse(arg, o->zpool, EST_MAX_ZPOOLS, false, why,
						     sizeof(why));
		if (n < 0)
			return bad(why);
		*(opt[2] == 'c' ? &o->ncodecs : &o->nzpools) = n;
	} else if (!strcmp(opt, "--mib") && !(rc = number(opt, arg, MAX_MIB, &v))) {
		o->max_pages = (size_t)v << 20 >> 12;
	} else if (!strcmp(opt, "--threads") && !(rc = number(opt, arg, MAX_THREADS, &v))) {
		o->threads = (unsigned int)v;
	}
	return rc;
}

/* 0 to go on, -1 after --help, else the exit status. */
static int parse(int argc, char **argv, struct options *o)
{
	static const char *const with_value[] = { "--compressor", "--zpool", "--mib", "--threads" };

	default_options(o);
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		bool takes = false;
		int rc;

		for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
			takes |= !strcmp(opt, with_value[k]);
		if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
			usage(stdout);
			return -1;
		} else if (!strcmp(opt, "--files") && i + 1 < argc && strncmp(argv[i + 1], "--", 2)) {
			o->files = &argv[i + 1];
			for (o->nfiles = 0; i + 1 < argc && strncmp(argv[i + 1], "--", 2); i++)
				o->nfiles++;
		} else if (!strcmp(opt, "--heap-cmd") && i + 1 < argc) {
			o->heap_cmd = &argv[i + 1];     /* the rest, NULL-terminated */
			o->heap = true;
			break;
		} else if (!strcmp(opt, "--no-heap")) {
			o->heap = false;
		} else if (takes && i + 1 < argc) {
			if ((rc = valued(argv, &i, o)))
				return rc;
		} else {
			fprintf(stderr, "zbud bench store: unknown or incomplete option '%s' "
				"(try --help)\n", opt);
			return 2;
		}
	}
	return 0;
}

/* The table of @ps under @title, with @w left for the caller to free. */
static int run_set(const struct options *o, const struct pageset *ps, const char *title,
		   struct work *w)
{
	printf("\n== %s: %s\n", ps->name, title);
	if (bs_work_init(w, ps))
		return bs_fail(w, "%s: out of memory", ps->name);
	return bs_bench_set(o, w);
}

int bench_store(int argc, char **argv)
{
	struct pageset files, heap;
	struct work wf, wh;
	struct options o;
	char files_title[256], heap_title[256];
	int rc = parse(argc, argv, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	pageset_init(&files, "files");
	pageset_init(&heap, "heap");
	memset(&wf, 0, sizeof(wf));
	memset(&wh, 0, sizeof(wh));
	/* Both sets first: a heap program that fails says so at once. */
	rc = bs_files_set(&o, &files, files_title, sizeof(files_title));
	if (!rc && o.heap)
		rc = bs_heap_set(&o, &heap, heap_title, sizeof(heap_title));
	if (rc)
		goto out;
	printf("zbud bench store: the fastest of %d passes; MB/s of original bytes (10^6 bytes/s); "
	       "the store with one shard\n", PASSES);
	if (run_set(&o, &files, files_title, &wf) ||
	    (heap.count && run_set(&o, &heap, heap_title, &wh)) ||
	    putchar('\n') == EOF || bs_bench_same(&wf, files.count) ||
	    bs_bench_threads(&wf, o.threads)) {
		fprintf(stderr, "zbud bench store: %s\n", wh.why[0] ? wh.why : wf.why);
		rc = 1;
	}
out:
	bs_work_fini(&wh);
	bs_work_fini(&wf);
	pageset_free(&heap);
	pageset_free(&files);
	return rc;
}
