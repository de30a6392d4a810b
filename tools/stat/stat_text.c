/*
 * stat_text.c - `zbud stat` for people: sizes in KiB/MiB/GiB, ratios, and
 * what could not be read said once; `--watch` lines of rates
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "stat_report.h"

#define SECTOR 512

/* "12.3 MiB": one decimal from KiB up. */
static const char *size(char buf[32], uint64_t bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 6)
		v /= 1024, u++;
	if (u)
		snprintf(buf, 32, "%.1f %s", v, unit[u]);
	else
		snprintf(buf, 32, "%llu B", (unsigned long long)bytes);
	return buf;
}

/* "3.71", or "-" when nothing is held. */
static const char *ratio(char buf[32], uint64_t data, uint64_t mem)
{
	if (mem)
		snprintf(buf, 32, "%.2f", (double)data / (double)mem);
	else
		snprintf(buf, 32, "-");
	return buf;
}

static bool has(uint32_t mask, int bit)
{
	return mask & (1u << bit);
}

static const char *yes_no(const struct kstat_zswap *z, enum kstat_zswap_param p)
{
	return !has(z->param_have, p) ? "?" : z->param[p] ? "on" : "off";
}

static void zswap_settings(FILE *f, const struct kstat_zswap *z)
{
	fprintf(f, "zswap    %s", !has(z->param_have, KSTAT_ENABLED) ? "enabled: unknown"
				  : z->param[KSTAT_ENABLED] ? "enabled" : "disabled");
	if (*z->compressor)
		fprintf(f, ", compressor %s", z->compressor);
	if (*z->zpool)
		fprintf(f, ", zpool %s", z->zpool);
	if (has(z->param_have, KSTAT_MAX_POOL_PERCENT))
		fprintf(f, ", max_pool_percent %llu",
			(unsigned long long)z->param[KSTAT_MAX_POOL_PERCENT]);
	if (has(z->param_have, KSTAT_ACCEPT_THRESHOLD_PERCENT))
		fprintf(f, ", accept_threshold_percent %llu",
			(unsigned long long)z->param[KSTAT_ACCEPT_THRESHOLD_PERCENT]);
	if (has(z->param_have, KSTAT_SHRINKER_ENABLED))
		fprintf(f, ", shrinker %s", yes_no(z, KSTAT_SHRINKER_ENABLED));
	fputc('\n', f);
}

/* The pool, from /proc/meminfo (readable by anyone). */
static void zswap_pool(FILE *f, const struct kstat_snapshot *s)
{
	const struct kstat_zswap *z = &s->zswap;
	char a[32], b[32], r[32], l[32];

	if (has(s->mem_have, KSTAT_ZSWAP) && has(s->mem_have, KSTAT_ZSWAPPED))
		fprintf(f, "  pool     %s holding %s (ratio %s)\n", size(a, s->mem[KSTAT_ZSWAP]),
			size(b, s->mem[KSTAT_ZSWAPPED]),
			ratio(r, s->mem[KSTAT_ZSWAPPED], s->mem[KSTAT_ZSWAP]));
	if (has(s->mem_have, KSTAT_MEMTOTAL) && has(z->param_have, KSTAT_MAX_POOL_PERCENT)) {
		const uint64_t limit = s->mem[KSTAT_MEMTOTAL] / 100 * z->param[KSTAT_MAX_POOL_PERCENT];

		fprintf(f, "  limit    %s (%llu%% of %s)", size(l, limit),
			(unsigned long long)z->param[KSTAT_MAX_POOL_PERCENT],
			size(a, s->mem[KSTAT_MEMTOTAL]));
		if (limit && has(s->mem_have, KSTAT_ZSWAP))
			fprintf(f, ", %.1f%% used", 100.0 * (double)s->mem[KSTAT_ZSWAP] / (double)limit);
		fputc('\n', f);
	}
	if (has(s->mem_have, KSTAT_ZSWPIN) || has(s->mem_have, KSTAT_ZSWPOUT)) {
		fprintf(f, "  vmstat  ");
		for (int k = KSTAT_ZSWPIN; k <= KSTAT_ZSWPWB; k++)
			if (has(s->mem_have, k))
				fprintf(f, " %s %llu", kstat_mem_names[k].name,
					(unsigned long long)s->mem[k]);
		fprintf(f, " (pages)\n");
	}
}

/* debugfs's counters, as the kernel names them, those this kernel has. */
static void zswap_counters(FILE *f, const struct kstat_zswap *z)
{
	static const char *const why[] = {
		[KSTAT_ABSENT] = "no zswap folder: zswap not set up since boot",
		[KSTAT_DENIED] = "needs root",
		[KSTAT_UNMOUNTED] = "debugfs not mounted",
	};
	char b[32];
	int col = 0;

	if (z->debugfs != KSTAT_READ) {
		fprintf(f, "  counters (/sys/kernel/debug/zswap: %s)\n", why[z->debugfs]);
		return;
	}
	if (has(z->counter_have, KSTAT_POOL_TOTAL_SIZE))
		fprintf(f, "  pool_total_size %s\n", size(b, z->counter[KSTAT_POOL_TOTAL_SIZE]));
	for (int k = 0; k < KSTAT_ZSWAP_NCOUNTERS; k++) {
		if (k == KSTAT_POOL_TOTAL_SIZE || !has(z->counter_have, k))
			continue;
		fprintf(f, "%s%-28s %12llu", col ? "  " : "  ", kstat_zswap_counters[k].name,
			(unsigned long long)z->counter[k]);
		col = !col;
		if (!col)
			fputc('\n', f);
	}
	for (int i = 0; i < z->nextra; i++) {
		fprintf(f, "  %-28s %12llu", z->extra[i].name, (unsigned long long)z->extra[i].value);
		col = !col;
		if (!col)
			fputc('\n', f);
	}
	if (col)
		fputc('\n', f);
}

static void zram_device(FILE *f, const struct kstat_zram_dev *d)
{
	const uint64_t *m = d->mm;
	char a[32], b[32], c[32], r[32];

	fprintf(f, "%-8s %s, disksize %s%s\n", d->name, *d->algorithm ? d->algorithm : "?",
		size(a, d->disksize), d->initialized ? "" : " (not initialized)");
	if (!d->initialized)
		return;                 /* all zeros until disksize is set */
	if (d->mm_n) {
		fprintf(f, "  data     %s stored in %s compressed, %s of memory (ratio %s)\n",
			size(a, m[KSTAT_ORIG_DATA_SIZE]), size(b, m[KSTAT_COMPR_DATA_SIZE]),
			size(c, m[KSTAT_MEM_USED_TOTAL]),
			ratio(r, m[KSTAT_ORIG_DATA_SIZE], m[KSTAT_MEM_USED_TOTAL]));
		fprintf(f, "  memory   limit %s, most used %s\n",
			m[KSTAT_MEM_LIMIT] ? size(a, m[KSTAT_MEM_LIMIT]) : "none",
			size(b, m[KSTAT_MEM_USED_MAX]));
		fprintf(f, "  pages    same_pages %llu, huge_pages %llu",
			(unsigned long long)m[KSTAT_SAME_PAGES],
			(unsigned long long)m[KSTAT_HUGE_PAGES]);
		if (d->mm_n > KSTAT_HUGE_PAGES_SINCE)
			fprintf(f, " (%llu since set up)", (unsigned long long)m[KSTAT_HUGE_PAGES_SINCE]);
		fprintf(f, ", pages_compacted %llu\n", (unsigned long long)m[KSTAT_PAGES_COMPACTED]);
	}
	if (d->have_blk)
		fprintf(f, "  io       read %s in %llu requests, written %s in %llu\n",
			size(a, d->blk[KSTAT_READ_SECTORS] * SECTOR),
			(unsigned long long)d->blk[KSTAT_READ_IOS],
			size(b, d->blk[KSTAT_WRITE_SECTORS] * SECTOR),
			(unsigned long long)d->blk[KSTAT_WRITE_IOS]);
	if (d->have_io) {
		fprintf(f, "  io_stat ");
		for (int k = 0; k < KSTAT_IO_STAT_N; k++)
			fprintf(f, " %s %llu", kstat_io_stat_names[k].name,
				(unsigned long long)d->io[k]);
		fputc('\n', f);
	}
	if (d->have_bd)
		fprintf(f, "  backing  %s: %s held, %llu pages read, %llu written\n",
			*d->backing_dev ? d->backing_dev : "none",
			size(a, d->bd[KSTAT_BD_COUNT] * 4096), (unsigned long long)d->bd[KSTAT_BD_READS],
			(unsigned long long)d->bd[KSTAT_BD_WRITES]);
}

int stat_print_text(FILE *f, const struct kstat_snapshot *s)
{
	if (!s->zswap.present) {
		fprintf(f, "zswap    not in this kernel (no /sys/module/zswap)\n");
	} else {
		zswap_settings(f, &s->zswap);
		zswap_pool(f, s);
		zswap_counters(f, &s->zswap);
	}
	if (!s->zram.ndev)
		fprintf(f, "zram     no devices%s\n", s->zram.present ? "" :
			" (module not loaded: no /sys/class/zram-control)");
	for (int i = 0; i < s->zram.ndev; i++)
		zram_device(f, &s->zram.dev[i]);
	if (s->ndenied) {
		fprintf(f, "not readable without root:");
		for (int i = 0; i < s->ndenied; i++)
			fprintf(f, " %s", s->denied[i]);
		fprintf(f, " (zswap's counters)\n");
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- --watch ---- */

static double rate(uint64_t now, uint64_t then, double secs)
{
	return now >= then && secs > 0 ? (double)(now - then) / secs : 0;
}

int stat_print_watch_head(FILE *f, const struct kstat_snapshot *s)
{
	fprintf(f, "%8s %9s %9s %9s %10s %10s", "zswpin/s", "zswpout/s", "zswpwb/s", "wb/s",
		"pool MiB", "held MiB");
	for (int i = 0; i < s->zram.ndev; i++)
		fprintf(f, " | %6.6s rKiB/s wKiB/s  mem MiB", s->zram.dev[i].name);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

static const struct kstat_zram_dev *same_dev(const struct kstat_snapshot *s, const char *name)
{
	for (int i = 0; i < s->zram.ndev; i++)
		if (!strcmp(s->zram.dev[i].name, name))
			return &s->zram.dev[i];
	return NULL;
}

int stat_print_watch_line(FILE *f, const struct kstat_snapshot *p, const struct kstat_snapshot *s)
{
	const double dt = s->seconds - p->seconds;

	for (int k = KSTAT_ZSWPIN; k <= KSTAT_ZSWPWB; k++)
		if (has(s->mem_have, k))
			fprintf(f, "%*.1f ", k == KSTAT_ZSWPIN ? 8 : 9, rate(s->mem[k], p->mem[k], dt));
		else
			fprintf(f, "%*s ", k == KSTAT_ZSWPIN ? 8 : 9, "-");
	if (has(s->zswap.counter_have, KSTAT_WRITTEN_BACK_PAGES))
		fprintf(f, "%9.1f", rate(s->zswap.counter[KSTAT_WRITTEN_BACK_PAGES],
					 p->zswap.counter[KSTAT_WRITTEN_BACK_PAGES], dt));
	else
		fprintf(f, "%9s", "-");
	fprintf(f, " %10.1f %10.1f", (double)s->mem[KSTAT_ZSWAP] / 1048576.0,
		(double)s->mem[KSTAT_ZSWAPPED] / 1048576.0);
	for (int i = 0; i < s->zram.ndev; i++) {
		const struct kstat_zram_dev *d = &s->zram.dev[i], *o = same_dev(p, d->name);

		if (!o)
			continue;
		fprintf(f, " | %6s %6.0f %6.0f %8.1f", "",
			rate(d->blk[KSTAT_READ_SECTORS], o->blk[KSTAT_READ_SECTORS], dt) / 2,
			rate(d->blk[KSTAT_WRITE_SECTORS], o->blk[KSTAT_WRITE_SECTORS], dt) / 2,
			(double)d->mm[KSTAT_MEM_USED_TOTAL] / 1048576.0);
	}
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}
