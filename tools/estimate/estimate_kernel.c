/*
 * estimate_kernel.c - the running kernel beside the estimate (see
 * estimate_kernel.h)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "estimate_kernel.h"
#include "zram.h"

#define MIB 1048576.0
#define PAGE ZSWAP_PAGE_SIZE

void estimate_kernel_read(struct est_kernel *k)
{
	struct kstat_snapshot s;
	char why[256];

	memset(k, 0, sizeof(*k));
	k->enabled = -1;
	if (kstat_read("", &s, why, sizeof(why)))
		return;                 /* what the kernel says cannot be read: nothing marked */
	k->zswap = s.zswap.present;
	if (s.zswap.param_have & (1u << KSTAT_ENABLED))
		k->enabled = s.zswap.param[KSTAT_ENABLED] != 0;
	snprintf(k->compressor, sizeof(k->compressor), "%s", s.zswap.compressor);
	snprintf(k->zpool, sizeof(k->zpool), "%s", s.zswap.zpool);
	k->zsmalloc_only = k->zswap && !k->zpool[0];
	for (int i = 0; i < s.zram.ndev && k->nzram < EST_MAX_ZRAM; i++) {
		snprintf(k->zram[k->nzram].name, sizeof(k->zram[0].name), "%s", s.zram.dev[i].name);
		snprintf(k->zram[k->nzram].algorithm, sizeof(k->zram[0].algorithm), "%s",
			 s.zram.dev[i].algorithm);
		k->nzram++;
	}
	kstat_free(&s);
}

const char *estimate_kernel_mark(const struct est_kernel *k, const struct est_config *cfg,
				 int c, int z, char *buf, size_t len)
{
	const char *codec = cfg->codec[c].comp->name, *zpool = cfg->zpool[z];
	const bool zsmalloc = !strcmp(zpool, "zsmalloc");
	size_t at = 0;

	buf[0] = '\0';
	if (!k)
		return buf;
	if (k->zsmalloc_only && !zsmalloc && strcmp(zpool, EST_IDEAL))
		return snprintf(buf, len, "not in this kernel"), buf;
	if (k->zswap && !strcmp(codec, k->compressor) &&
	    (zsmalloc ? k->zsmalloc_only || !strcmp(k->zpool, zpool) : !strcmp(k->zpool, zpool)))
		at += (size_t)snprintf(buf, len, "zswap");
	/* zram stores in zsmalloc, whatever zswap does. */
	for (int i = 0; zsmalloc && i < k->nzram && at < len; i++)
		if (!strcmp(codec, k->zram[i].algorithm))
			at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? ", " : "",
					       k->zram[i].name);
	return buf;
}

/* ---- --vs-kernel ---- */

/* zbud's figures for the same pages, as zram counts them. */
static int ours(struct est_kernel *k, const struct est_report *rep, const unsigned char *bytes,
		size_t n, char *why, size_t len)
{
	struct est_config cfg = *rep->cfg;
	struct est_result r;
	struct target *t;
	int err = target_open_buffer(&t, bytes, n);

	cfg.zpool[0] = "zsmalloc";
	cfg.nzpools = 1;
	cfg.sample_fraction = 0;
	cfg.sample_pages = 0;
	cfg.keep = cfg.keep_bytes = false;
	cfg.sizes = NULL;
	cfg.progress = NULL;
	err = err ? err : estimate_run(t, &cfg, &r, why, len);
	for (int c = 0; !err && c < cfg.ncodecs && c < EST_MAX_CODECS; c++) {
		const struct est_value *f = r.codec[c].fig[0];
		uint64_t *o = k->vs[c].zbud;

		snprintf(k->vs[c].label, sizeof(k->vs[c].label), "%s", cfg.codec[c].label);
		o[EST_MM_ORIG] = (uint64_t)f[EST_SCANNED].value * PAGE;
		o[EST_MM_COMPR] = (uint64_t)(f[EST_COMPRESSED_BYTES].value +
					     f[EST_INCOMPRESSIBLE].value * PAGE);
		o[EST_MM_USED] = (uint64_t)(f[EST_POOL_PAGES].value + f[EST_INCOMPRESSIBLE].value) *
				 PAGE;
		o[EST_MM_SAME] = (uint64_t)f[EST_SAME_FILLED].value;
		o[EST_MM_HUGE] = (uint64_t)f[EST_INCOMPRESSIBLE].value;
		k->nvs = c + 1;
	}
	estimate_free(&r);
	target_close(t);
	return err;
}

/* One compressor through a scratch device: 0, -ENOENT when zram has no
 * such algorithm, or another error with @why.  The device never outlives
 * this call. */
static int through_zram(struct est_vs *vs, const char *algorithm, const unsigned char *bytes,
			size_t n, char *why, size_t len)
{
	uint64_t mm[KSTAT_MM_STAT_N] = { 0 };
	struct est_zram z;
	int fields = 0, err = est_zram_new(&z, algorithm, n, why, len);

	if (err == -EINVAL || err == -ENOENT)
		return -ENOENT;
	if (!err)
		err = est_zram_write(&z, bytes, n, why, len);
	if (!err)
		err = est_zram_stat(&z, mm, &fields, why, len);
	est_zram_remove(&z);
	if (err)
		return err;
	vs->offered = true;
	vs->kernel[EST_MM_ORIG] = mm[KSTAT_ORIG_DATA_SIZE];
	vs->kernel[EST_MM_COMPR] = mm[KSTAT_COMPR_DATA_SIZE];
	vs->kernel[EST_MM_USED] = mm[KSTAT_MEM_USED_TOTAL];
	vs->kernel[EST_MM_SAME] = mm[KSTAT_SAME_PAGES];
	vs->kernel[EST_MM_HUGE] = mm[KSTAT_HUGE_PAGES];
	vs->have_huge = fields > KSTAT_HUGE_PAGES;
	return 0;
}

void estimate_vs_kernel(struct est_kernel *k, const struct est_report *rep,
			volatile sig_atomic_t *stop)
{
	const struct est_config *cfg = rep->cfg;
	const unsigned char *bytes = rep->res ? estimate_kept_pages(rep->res, &k->pages) : NULL;
	char why[256];
	int err = 0;

	k->asked = true;
	if (est_zram_usable(k->why_not, sizeof(k->why_not)))
		return;
	if (!bytes) {
		snprintf(k->why_not, sizeof(k->why_not), "the reading reported kept no pages to "
			 "write: it read more than %d of them (ask for fewer with --sample-pages)",
			 EST_KEEP_PAGES);
		return;
	}
	if (ours(k, rep, bytes, k->pages, why, sizeof(why))) {
		snprintf(k->why_not, sizeof(k->why_not), "%s", why);
		return;
	}
	for (int c = 0; !err && c < k->nvs; c++) {
		if (stop && *stop) {
			snprintf(k->why_not, sizeof(k->why_not), "stopped by a signal");
			return;
		}
		err = through_zram(&k->vs[c], cfg->codec[c].comp->name, bytes, k->pages, why,
				   sizeof(why));
		err = err == -ENOENT ? 0 : err;
	}
	if (err)
		snprintf(k->why_not, sizeof(k->why_not), "%s", why);
}

/* ---- output ---- */

void estimate_kernel_print(FILE *f, const struct est_kernel *k)
{
	if (!k)
		return;
	if (k->zswap)
		fprintf(f, "\nkernel: zswap %s, %s (%s)", k->compressor[0] ? k->compressor : "?",
			k->zsmalloc_only ? "zsmalloc: it has no other allocator (Linux 6.15 on)"
			: k->zpool, k->enabled < 0 ? "enabled?" : k->enabled ? "enabled" : "off");
	else
		fprintf(f, "\nkernel: no zswap");
	for (int i = 0; i < k->nzram; i++)
		fprintf(f, "%s%s %s", i ? ", " : "; zram: ", k->zram[i].name,
			k->zram[i].algorithm[0] ? k->zram[i].algorithm : "(no algorithm)");
	fputc('\n', f);
	if (!k->asked)
		return;
	if (k->why_not[0] && !k->nvs) {
		fprintf(f, "--vs-kernel: %s\n", k->why_not);
		return;
	}
	fprintf(f, "--vs-kernel: the %llu pages read, through a scratch zram device each "
		"(mm_stat), and zbud's zsmalloc on them:\n%-10s %-7s %9s %9s %9s %7s %7s\n",
		(unsigned long long)k->pages, "compressor", "by", "orig MiB", "compr MiB",
		"used MiB", "same", "huge");
	for (int c = 0; c < k->nvs; c++) {
		const struct est_vs *v = &k->vs[c];

		for (int who = 0; who < 2; who++) {
			const uint64_t *m = who ? v->zbud : v->kernel;

			if (!who && !v->offered) {
				fprintf(f, "%-10s (this kernel's zram has no %s)\n", v->label, v->label);
				continue;
			}
			fprintf(f, "%-10s %-7s %9.2f %9.2f %9.2f %7llu %7llu\n", who ? "" : v->label, who ? "zbud" : "kernel", m[EST_MM_ORIG] / MIB,
				m[EST_MM_COMPR] / MIB, m[EST_MM_USED] / MIB,
				(unsigned long long)m[EST_MM_SAME], (unsigned long long)m[EST_MM_HUGE]);
		}
	}
	if (k->why_not[0])
		fprintf(f, "--vs-kernel: %s\n", k->why_not);
}

static json_t *mm_json(const uint64_t *m, bool have_huge)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:o}", "orig_data_size", (json_int_t)m[EST_MM_ORIG],
			 "compr_data_size", (json_int_t)m[EST_MM_COMPR],
			 "mem_used_total", (json_int_t)m[EST_MM_USED],
			 "same_pages", (json_int_t)m[EST_MM_SAME],
			 "huge_pages", have_huge ? json_integer((json_int_t)m[EST_MM_HUGE])
						 : json_null());
}

static json_t *vs_json(const struct est_kernel *k)
{
	json_t *list;

	if (!k->asked)
		return json_null();
	list = json_array();
	for (int c = 0; c < k->nvs; c++)
		json_array_append_new(list, json_pack("{s:s,s:o,s:o}", "label", k->vs[c].label,
			"kernel", k->vs[c].offered ? mm_json(k->vs[c].kernel, k->vs[c].have_huge)
						   : json_null(),
			"zbud", mm_json(k->vs[c].zbud, true)));
	return json_pack("{s:o,s:I,s:o}", "why_not", k->why_not[0] ? json_string(k->why_not)
								 : json_null(),
			 "pages", (json_int_t)k->pages, "compressors", list);
}

json_t *estimate_kernel_json(const struct est_kernel *k)
{
	json_t *zram = json_array(), *zswap;

	if (!k)
		return json_decref(zram), json_null();
	for (int i = 0; i < k->nzram; i++)
		json_array_append_new(zram, json_pack("{s:s,s:o}", "device", k->zram[i].name,
			"algorithm", k->zram[i].algorithm[0] ? json_string(k->zram[i].algorithm)
							      : json_null()));
	zswap = !k->zswap ? json_null() : json_pack("{s:o,s:o,s:o,s:b}",
		"enabled", k->enabled < 0 ? json_null() : json_boolean(k->enabled),
		"compressor", k->compressor[0] ? json_string(k->compressor) : json_null(),
		"zpool", k->zpool[0] ? json_string(k->zpool) : json_null(),
		"zsmalloc_only", k->zsmalloc_only);
	return json_pack("{s:o,s:o,s:o}", "zswap", zswap, "zram", zram, "vs_kernel", vs_json(k));
}
