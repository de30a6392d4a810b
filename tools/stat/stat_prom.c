/*
 * stat_prom.c - `zbud stat --prometheus`: the kernel's figures in the text
 * exposition format, for node_exporter's textfile collector (docs/stat.md)
 *
 * A metric is zbud_ + where it comes from + the kernel's name, then _bytes
 * for sizes and _total for counts that only grow:
 * zbud_zswap_pool_total_size_bytes, zbud_zswap_written_back_pages_total,
 * zbud_vmstat_zswpout_total, zbud_zram_orig_data_size_bytes{device="zram0"}.
 * A figure this kernel does not have is left out, never 0.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "prom.h"
#include "stat_report.h"

#define NAME_MAX_LEN 128

static const char *metric(char buf[NAME_MAX_LEN], const char *prefix, const struct kstat_name *k)
{
	snprintf(buf, NAME_MAX_LEN, "zbud_%s_%s%s%s", prefix, k->name,
		 k->unit == KSTAT_BYTES ? "_bytes" : "", k->gauge ? "" : "_total");
	return buf;
}

static void family(FILE *f, const char *name, const struct kstat_name *k)
{
	prom_family(f, name, k->gauge ? "gauge" : "counter", k->help);
}

/* One family a figure, for the bits set in @have. */
static void figures(FILE *f, const char *prefix, const struct kstat_name *names, int n,
		    const uint64_t *v, uint32_t have)
{
	char name[NAME_MAX_LEN];

	for (int k = 0; k < n; k++) {
		if (!(have & (1u << k)))
			continue;
		family(f, metric(name, prefix, &names[k]), &names[k]);
		prom_sample_u64(f, name, NULL, 0, v[k]);
	}
}

static void zswap(FILE *f, const struct kstat_zswap *z)
{
	const struct prom_label info[] = { { "compressor", z->compressor }, { "zpool", z->zpool } };

	prom_family(f, "zbud_zswap_present", "gauge", "1 when the kernel has zswap");
	prom_sample_u64(f, "zbud_zswap_present", NULL, 0, z->present);
	if (!z->present)
		return;
	figures(f, "zswap", kstat_zswap_params, KSTAT_ZSWAP_NPARAMS, z->param, z->param_have);
	prom_family(f, "zbud_zswap_info", "gauge", "zswap's compressor and zpool, as labels");
	prom_sample_u64(f, "zbud_zswap_info", info, *z->zpool ? 2 : 1, 1);
	prom_family(f, "zbud_zswap_debugfs_readable", "gauge",
		    "1 when /sys/kernel/debug/zswap could be read (root, debugfs mounted)");
	prom_sample_u64(f, "zbud_zswap_debugfs_readable", NULL, 0, z->debugfs == KSTAT_READ);
	figures(f, "zswap", kstat_zswap_counters, KSTAT_ZSWAP_NCOUNTERS, z->counter,
		z->counter_have);
	if (!z->nextra)
		return;
	prom_family(f, "zbud_zswap_debugfs_other", "untyped",
		    "Counters in /sys/kernel/debug/zswap that zbud does not know, by name");
	for (int i = 0; i < z->nextra; i++) {
		const struct prom_label l = { "counter", z->extra[i].name };

		prom_sample_u64(f, "zbud_zswap_debugfs_other", &l, 1, z->extra[i].value);
	}
}

/* Field @k of every device that has it, as one family; @at gives the
 * field's array in a device, or NULL when the device lacks it. */
static void zram_family(FILE *f, const struct kstat_zram *z, const struct kstat_name *k,
			int field, const uint64_t *(*at)(const struct kstat_zram_dev *, int))
{
	char name[NAME_MAX_LEN];
	bool head = false;

	for (int i = 0; i < z->ndev; i++) {
		const struct prom_label l = { "device", z->dev[i].name };
		const uint64_t *v = at(&z->dev[i], field);

		if (!v)
			continue;
		if (!head)
			family(f, metric(name, "zram", k), k), head = true;
		prom_sample_u64(f, name, &l, 1, v[field]);
	}
}

static const uint64_t *mm_at(const struct kstat_zram_dev *d, int k)
{
	return k < d->mm_n ? d->mm : NULL;
}

static const uint64_t *io_at(const struct kstat_zram_dev *d, int k)
{
	(void)k;
	return d->have_io ? d->io : NULL;
}

static const uint64_t *bd_at(const struct kstat_zram_dev *d, int k)
{
	(void)k;
	return d->have_bd ? d->bd : NULL;
}

static const uint64_t *blk_at(const struct kstat_zram_dev *d, int k)
{
	(void)k;
	return d->have_blk ? d->blk : NULL;
}

static const uint64_t *disksize_at(const struct kstat_zram_dev *d, int k)
{
	(void)k;
	return &d->disksize;
}

static void zram(FILE *f, const struct kstat_zram *z)
{
	static const struct kstat_name disksize = { "disksize", KSTAT_BYTES, true,
						    "The device's size" };

	prom_family(f, "zbud_zram_present", "gauge", "1 when the zram module is loaded");
	prom_sample_u64(f, "zbud_zram_present", NULL, 0, z->present);
	if (!z->ndev)
		return;
	prom_family(f, "zbud_zram_info", "gauge",
		    "Each zram device: 1, its compressor and initstate as labels");
	for (int i = 0; i < z->ndev; i++) {
		const struct prom_label l[] = { { "device", z->dev[i].name },
						{ "comp_algorithm", z->dev[i].algorithm },
						{ "initstate", z->dev[i].initialized ? "1" : "0" } };

		prom_sample_u64(f, "zbud_zram_info", l, 3, 1);
	}
	zram_family(f, z, &disksize, 0, disksize_at);
	for (int k = 0; k < KSTAT_MM_STAT_N; k++)
		zram_family(f, z, &kstat_mm_stat_names[k], k, mm_at);
	for (int k = 0; k < KSTAT_IO_STAT_N; k++)
		zram_family(f, z, &kstat_io_stat_names[k], k, io_at);
	for (int k = 0; k < KSTAT_BD_STAT_N; k++)
		zram_family(f, z, &kstat_bd_stat_names[k], k, bd_at);
	for (int k = 0; k < KSTAT_BLK_STAT_N; k++)
		zram_family(f, z, &kstat_blk_stat_names[k], k, blk_at);
}

int stat_print_prometheus(FILE *f, const struct kstat_snapshot *s)
{
	zswap(f, &s->zswap);
	figures(f, "meminfo", kstat_mem_names, KSTAT_MEMINFO_N, s->mem, s->mem_have);
	figures(f, "vmstat", kstat_mem_names + KSTAT_MEMINFO_N, KSTAT_NMEM - KSTAT_MEMINFO_N,
		s->mem + KSTAT_MEMINFO_N, s->mem_have >> KSTAT_MEMINFO_N);
	zram(f, &s->zram);
	return ferror(f) ? -EIO : 0;
}
