/*
 * cmd_bench_store_rows.c - a page set's table in `zbud bench store`: a row
 * per compressor and allocator, the goals' lines, and same-filled pages
 */
#include <stdio.h>
#include <string.h>

#include "cmd_bench_store.h"

/* The goals, as the project states them. */
#define GOAL_STORE_OVER 1.10    /* store time / lz4 compress time */
#define GOAL_LOAD_OVER 1.15     /* load time / (lz4 decompress + memcpy) */
#define GOAL_SAME_GBPS 5.0      /* same-filled store and load */

const char *bs_verdict(bool met)
{
	return met ? "met" : "MISSED";
}

static void print_header(void)
{
	printf("%-9s %-8s %9s %9s %6s %10s %10s %8s %8s %7s %6s %6s %6s %10s %14s\n",
	       "codec", "zpool", "comp MB/s", "dec MB/s", "ratio", "store MB/s", "load MB/s",
	       "pool pg", "ideal pg", "x ideal", "same", "poor", "eff", "store/comp",
	       "load/(dec+cpy)");
}

static void print_row(const struct work *w, const struct est_codec *k, const char *zpool,
		      const struct raw *raw, const struct row *r, double copy)
{
	const size_t n = w->ps->count;
	const size_t taken = r->st.stored_pages; /* same-filled ones included */
	/* the bytes of the pages the pool holds: same-filled ones take none */
	const double in_pool = (double)(r->st.orig_data_size - r->st.same_filled_pages * PAGE);
	const uint64_t pool = r->st.pool_total_size / PAGE;
	const uint64_t ideal = (r->st.compr_data_size + PAGE - 1) / PAGE;
	const double pool_bytes = (double)r->st.pool_total_size;

	printf("%-9s %-8s %9.1f %9.1f %6.3f %10.1f %10.1f %8llu %8llu %7.3f %6llu %6llu %6.3f "
	       "%10.3f %14.3f\n", k->label, zpool, bs_mbps(n, raw->comp), bs_mbps(raw->fit, raw->decomp),
	       (double)n * PAGE / (double)raw->bytes, bs_mbps(n, r->store), bs_mbps(taken, r->load),
	       (unsigned long long)pool, (unsigned long long)ideal,
	       ideal ? (double)pool / (double)ideal : 0.0,
	       (unsigned long long)r->st.same_filled_pages,
	       (unsigned long long)r->st.reject_compress_poor,
	       pool_bytes ? in_pool / pool_bytes : 0.0,
	       r->store / raw->comp, r->load / (raw->decomp + copy));
}

/* The goals' lines, on lz4's rows: store, store again, load overheads. */
static void print_goals(const struct options *o, double (*over)[3])
{
	printf("goals on lz4: store time <= %.2f x lz4's compress time; load time <= %.2f x "
	       "(lz4's decompress + a 4 KiB memcpy) time\n", GOAL_STORE_OVER, GOAL_LOAD_OVER);
	for (int z = 0; z < o->nzpools; z++)
		printf("  lz4/%-8s store %.3f %s (storing over a full pool: %.3f %s); "
		       "load %.3f %s\n",
		       o->zpool[z], over[z][0], bs_verdict(over[z][0] <= GOAL_STORE_OVER), over[z][1],
		       bs_verdict(over[z][1] <= GOAL_STORE_OVER), over[z][2],
		       bs_verdict(over[z][2] <= GOAL_LOAD_OVER));
}

/*
 * One compressor's rows.  Its passes alone and the stores' take turns, so
 * that whatever else runs on the machine weighs on all of them alike.
 */
static int bench_codec(const struct options *o, struct work *w, const struct est_codec *k,
		       double (*over)[3])
{
	struct zswap *zs[EST_MAX_ZPOOLS] = { 0 };
	struct row row[EST_MAX_ZPOOLS];
	struct raw raw = { 0 };
	double copy = 0;
	void *ctx = k->comp->ctx_new(k->level);
	int err = ctx ? 0 : bs_fail(w, "%s: out of memory", k->label);

	memset(row, 0, sizeof(row));
	for (int z = 0; z < o->nzpools && !err; z++)
		err = (zs[z] = bs_store_new(w, k, o->zpool[z])) ? 0 : -1;
	for (int pass = 0; pass < PASSES && !err; pass++) {
		bs_keep_best(&copy, bs_copy_pass(w), pass);
		err = bs_raw_pass(w, k, ctx, pass, &raw);
		for (int z = 0; z < o->nzpools && !err; z++) {
			char what[48];

			snprintf(what, sizeof(what), "%s/%s", k->label, o->zpool[z]);
			err = bs_store_pass(w, zs[z], what, pass, &row[z]);
		}
	}
	for (int z = 0; z < o->nzpools && !err; z++) {
		print_row(w, k, o->zpool[z], &raw, &row[z], copy);
		over[z][0] = row[z].store / raw.comp;
		over[z][1] = row[z].restore / raw.comp;
		over[z][2] = row[z].load / (raw.decomp + copy);
	}
	for (int z = 0; z < o->nzpools; z++)
		zswap_destroy(zs[z]);
	if (ctx)
		k->comp->ctx_free(ctx);
	return err;
}

int bs_bench_set(const struct options *o, struct work *w)
{
	double over[EST_MAX_ZPOOLS][3], other[EST_MAX_ZPOOLS][3];
	bool lz4 = false;

	print_header();
	for (int c = 0; c < o->ncodecs; c++) {
		bool is_lz4 = !strcmp(o->codec[c].comp->name, "lz4");

		if (bench_codec(o, w, &o->codec[c], is_lz4 ? over : other))
			return -1;
		lz4 |= is_lz4;
		fflush(stdout);
	}
	if (lz4)
		print_goals(o, over);
	return 0;
}

/* Same-filled pages, 3 in 4 of them zeros, as many as the files set. */
int bs_bench_same(struct work *files, size_t count)
{
	const struct est_codec lz4 = { zswap_compressor_find("lz4"), 0, "lz4" };
	struct pageset same;
	struct zswap *zs;
	struct work w;
	struct row r = { 0 };
	int err;

	pageset_init(&same, "same-filled pages");
	memset(&w, 0, sizeof(w));
	if (!pageset_grow(&same, count) || bs_work_init(&w, &same)) {
		bs_fail(files, "same-filled pages: out of memory");
		bs_work_fini(&w);
		pageset_free(&same);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		unsigned long *word = (unsigned long *)(void *)pageset_page(&same, i);

		for (size_t k = 0; k < PAGE / sizeof(*word); k++)
			word[k] = i % 4 ? 0 : i * 0x0101010101010101UL;
	}
	zs = bs_store_new(&w, &lz4, "zbud");
	err = zs ? 0 : -1;
	for (int pass = 0; pass < PASSES && !err; pass++)
		err = bs_store_pass(&w, zs, "same-filled pages, lz4/zbud", pass, &r);
	zswap_destroy(zs);
	if (err)
		memcpy(files->why, w.why, sizeof(w.why));
	else
		printf("same-filled pages (lz4/zbud, one shard): %zu pages, 3 in 4 zeros: "
		       "store %.2f GB/s, load %.2f GB/s; goal >= %.0f GB/s each: %s\n", count,
		       bs_mbps(count, r.store) / 1e3, bs_mbps(count, r.load) / 1e3, GOAL_SAME_GBPS,
		       bs_verdict(bs_mbps(count, r.store) / 1e3 >= GOAL_SAME_GBPS &&
			       bs_mbps(count, r.load) / 1e3 >= GOAL_SAME_GBPS));
	bs_work_fini(&w);
	pageset_free(&same);
	return err;
}

