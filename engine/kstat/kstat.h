/*
 * kstat.h - the running kernel's zswap and zram figures, read from its files
 * (`zbud stat`); reading and parsing only, never printing
 *
 * Where each figure comes from, and what the kernel means by it:
 *
 *   /sys/module/zswap/parameters/NAME   zswap's settings ("Y"/"N", numbers,
 *                                        names); present when CONFIG_ZSWAP=y
 *   /sys/kernel/debug/zswap/NAME        zswap's counters, one number a file
 *                                        (root only: debugfs is 0700; the
 *                                        folder appears when zswap is first
 *                                        enabled, and needs debugfs mounted)
 *   /proc/meminfo  Zswap, Zswapped      pool size and the data it holds, kB
 *                                        (since 5.19)
 *   /proc/vmstat   zswpin, zswpout,     pages loaded from / stored to zswap,
 *                  zswpwb               written back (zswpwb since 6.8)
 *   /sys/block/zramN/...                each zram device (see zram below)
 *
 * The counters are named as the kernel names them, and every size is kept
 * in bytes, every other figure as the count the kernel gives: pages, events.
 * A figure a kernel does not have is "not there" (its bit in `have` clear),
 * never 0, so that "0 rejects" is never said when nobody could count them.
 *
 * Every reader takes @root, a folder standing for "/" ("" for the real
 * one), so that tests read fake trees.  Errors: a file that is there but
 * cannot be read for want of privilege is recorded (`denied`), not fatal; a
 * file whose text is not what the kernel writes is -EINVAL with
 * "PATH[:LINE]: what is wrong" in @why; -ENOMEM.  Nothing is changed.
 */
#ifndef ZBUD_KSTAT_H
#define ZBUD_KSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest file a reader takes in: /proc/vmstat is ~5 KiB on 6.18. */
#define KSTAT_FILE_MAX (256 * 1024)
#define KSTAT_NAME_MAX 64               /* a compressor, a zpool, a device */
#define KSTAT_LIST_MAX 256              /* comp_algorithm's whole list */
#define KSTAT_PATH_MAX 4096

/*
 * zswap's debugfs counters, by the kernel's names.  v6.1 (the zbud era) has
 * pool_limit_hit reject_reclaim_fail reject_alloc_fail reject_kmemcache_fail
 * reject_compress_poor written_back_pages duplicate_entry pool_total_size
 * stored_pages same_filled_pages.  6.18 (read on a 6.18 machine, and in its
 * mm/zswap.c) has lost duplicate_entry and same_filled_pages (zero-filled
 * pages go to the swap layer's zeromap; zswap keeps no same-filled pages)
 * and gained reject_compress_fail (6.8), decompress_fail and
 * stored_incompressible_pages (pages kept as they are, PAGE_SIZE each).
 * What each means: kstat_zswap_counters[] (kstat_names.c).
 */
enum kstat_zswap_counter {
	KSTAT_POOL_TOTAL_SIZE,          /* bytes */
	KSTAT_STORED_PAGES,
	KSTAT_SAME_FILLED_PAGES,
	KSTAT_STORED_INCOMPRESSIBLE_PAGES,
	KSTAT_WRITTEN_BACK_PAGES,
	KSTAT_POOL_LIMIT_HIT,
	KSTAT_REJECT_RECLAIM_FAIL,
	KSTAT_REJECT_ALLOC_FAIL,
	KSTAT_REJECT_KMEMCACHE_FAIL,
	KSTAT_REJECT_COMPRESS_FAIL,
	KSTAT_REJECT_COMPRESS_POOR,
	KSTAT_DECOMPRESS_FAIL,
	KSTAT_DUPLICATE_ENTRY,
	KSTAT_ZSWAP_NCOUNTERS
};

/* zswap's numeric and yes/no parameters (yes/no as 1/0). */
enum kstat_zswap_param {
	KSTAT_ENABLED,
	KSTAT_MAX_POOL_PERCENT,
	KSTAT_ACCEPT_THRESHOLD_PERCENT,
	KSTAT_SHRINKER_ENABLED,         /* not in v6.1; 6.8 on */
	KSTAT_SAME_FILLED_PAGES_ENABLED, /* v6.1; gone in 6.18 */
	KSTAT_NON_SAME_FILLED_PAGES_ENABLED, /* v6.1; gone in 6.18 */
	KSTAT_EXCLUSIVE_LOADS,          /* neither: 6.5 to 6.7 */
	KSTAT_ZSWAP_NPARAMS
};

/* From /proc/meminfo (kB there, bytes here) and /proc/vmstat. */
enum kstat_mem {
	KSTAT_MEMTOTAL,                 /* what max_pool_percent is a percent of */
	KSTAT_ZSWAP,                    /* the pool's memory */
	KSTAT_ZSWAPPED,                 /* the pages it holds, uncompressed */
	KSTAT_SWAPTOTAL,
	KSTAT_SWAPFREE,
	KSTAT_MEMINFO_N,
	KSTAT_ZSWPIN = KSTAT_MEMINFO_N, /* pages */
	KSTAT_ZSWPOUT,
	KSTAT_ZSWPWB,
	KSTAT_PSWPIN,                   /* pages read from swap devices */
	KSTAT_PSWPOUT,
	KSTAT_NMEM
};

/* Whether a file or folder could be read. */
enum kstat_access {
	KSTAT_READ,
	KSTAT_ABSENT,                   /* not there */
	KSTAT_DENIED,                   /* there, but needs privilege */
	KSTAT_UNMOUNTED,                /* debugfs: /sys/kernel/debug is empty */
};

/* A file the kernel has that this reader does not know: kept by name. */
#define KSTAT_EXTRA_MAX 16
struct kstat_extra {
	char name[KSTAT_NAME_MAX];
	uint64_t value;
};

struct kstat_zswap {
	bool present;                   /* /sys/module/zswap/parameters */
	uint64_t param[KSTAT_ZSWAP_NPARAMS];
	uint32_t param_have;            /* bit per enum kstat_zswap_param */
	char compressor[KSTAT_NAME_MAX];        /* "" when not there */
	char zpool[KSTAT_NAME_MAX];             /* "" in 6.18 (zsmalloc only) */
	enum kstat_access debugfs;
	uint64_t counter[KSTAT_ZSWAP_NCOUNTERS];
	uint32_t counter_have;          /* bit per enum kstat_zswap_counter */
	struct kstat_extra extra[KSTAT_EXTRA_MAX];
	int nextra;
};

/*
 * zram: /sys/block/zramN/ for every device (/sys/class/zram-control is the
 * module).  Fields of mm_stat, io_stat, bd_stat and the block layer's stat,
 * in the kernel's order (Documentation/admin-guide/blockdev/zram.rst):
 *   mm_stat: 7 fields until 4.13 (+huge_pages 4.14, +huge_pages_since 5.15)
 *   io_stat: 4 fields; 6.18 prints invalid_io as an unpadded literal 0: the
 *            check that counted it is gone, the column kept for parsers
 *   bd_stat: 3, with CONFIG_ZRAM_WRITEBACK; in 4 KiB units, kept as counts
 *   stat:    11, 15 or 17 (Documentation/block/stat.rst); 4 kept
 */
enum kstat_mm_stat {
	KSTAT_ORIG_DATA_SIZE,           /* bytes */
	KSTAT_COMPR_DATA_SIZE,          /* bytes */
	KSTAT_MEM_USED_TOTAL,           /* bytes, allocator overhead included */
	KSTAT_MEM_LIMIT,                /* bytes, 0: none */
	KSTAT_MEM_USED_MAX,             /* bytes */
	KSTAT_SAME_PAGES,
	KSTAT_PAGES_COMPACTED,
	KSTAT_HUGE_PAGES,
	KSTAT_HUGE_PAGES_SINCE,
	KSTAT_MM_STAT_N
};
#define KSTAT_MM_STAT_MIN 7

enum kstat_io_stat {
	KSTAT_FAILED_READS,
	KSTAT_FAILED_WRITES,
	KSTAT_INVALID_IO,
	KSTAT_NOTIFY_FREE,
	KSTAT_IO_STAT_N
};

enum kstat_bd_stat {
	KSTAT_BD_COUNT,                 /* 4 KiB pages on the backing device */
	KSTAT_BD_READS,
	KSTAT_BD_WRITES,
	KSTAT_BD_STAT_N
};

/* The block layer's /sys/block/X/stat: fields 0, 2, 4 and 6 of it. */
enum kstat_blk_stat {
	KSTAT_READ_IOS,
	KSTAT_READ_SECTORS,             /* 512-byte sectors */
	KSTAT_WRITE_IOS,
	KSTAT_WRITE_SECTORS,
	KSTAT_BLK_STAT_N
};
#define KSTAT_BLK_STAT_MIN 11

struct kstat_zram_dev {
	char name[KSTAT_NAME_MAX];      /* "zram0" */
	bool initialized;               /* initstate: disksize was set */
	uint64_t disksize;              /* bytes */
	char algorithm[KSTAT_NAME_MAX]; /* comp_algorithm's [selected] one */
	char algorithms[KSTAT_LIST_MAX];/* all it lists, space-separated */
	uint64_t mm[KSTAT_MM_STAT_N];
	int mm_n;                       /* fields mm_stat had (7..9), 0: none */
	uint64_t io[KSTAT_IO_STAT_N];
	bool have_io;
	uint64_t bd[KSTAT_BD_STAT_N];
	bool have_bd;                   /* CONFIG_ZRAM_WRITEBACK */
	uint64_t blk[KSTAT_BLK_STAT_N];
	bool have_blk;
	char backing_dev[KSTAT_PATH_MAX / 16];  /* "" or "none": none */
};

struct kstat_zram {
	bool present;                   /* the module: /sys/class/zram-control */
	struct kstat_zram_dev *dev;     /* by number */
	int ndev;
};

/* What could not be read for want of privilege, by path: said once. */
#define KSTAT_DENIED_MAX 8
struct kstat_snapshot {
	struct kstat_zswap zswap;
	uint64_t mem[KSTAT_NMEM];
	uint32_t mem_have;              /* bit per enum kstat_mem */
	struct kstat_zram zram;
	double seconds;                 /* CLOCK_MONOTONIC when read */
	char denied[KSTAT_DENIED_MAX][KSTAT_PATH_MAX / 16];
	int ndenied;
};

/*
 * kstat_read - read everything into @s (zeroed first)
 *
 * Returns 0 (with what could not be read for want of privilege in
 * s->denied), or -EINVAL / -ENOMEM with one line in @why.
 */
int kstat_read(const char *root, struct kstat_snapshot *s, char *why, size_t len);

/* kstat_free - the zram device list; @s can then be read again */
void kstat_free(struct kstat_snapshot *s);

/* ---- names and meanings (kstat_names.c) ---- */

enum kstat_unit { KSTAT_BYTES, KSTAT_PAGES, KSTAT_EVENTS, KSTAT_PERCENT, KSTAT_BOOL };

struct kstat_name {
	const char *name;               /* the kernel's */
	enum kstat_unit unit;
	bool gauge;                     /* a level; else a count that only grows */
	const char *help;               /* what the kernel means by it, one line */
};

extern const struct kstat_name kstat_zswap_counters[KSTAT_ZSWAP_NCOUNTERS];
extern const struct kstat_name kstat_zswap_params[KSTAT_ZSWAP_NPARAMS];
extern const struct kstat_name kstat_mem_names[KSTAT_NMEM];
extern const struct kstat_name kstat_mm_stat_names[KSTAT_MM_STAT_N];
extern const struct kstat_name kstat_io_stat_names[KSTAT_IO_STAT_N];
extern const struct kstat_name kstat_bd_stat_names[KSTAT_BD_STAT_N];
extern const struct kstat_name kstat_blk_stat_names[KSTAT_BLK_STAT_N];

/* ---- the parsers, one per kind of kernel file (kstat_parse.c) ----
 *
 * Each takes the file's bytes (@buf, @n: not NUL-terminated, any bytes) and
 * returns 0, or -EINVAL with what is wrong in @why (@path names the file).
 */

/* "123\n": one decimal number, as sysfs and debugfs print a u64 or an int */
int kstat_parse_u64(const char *path, const char *buf, size_t n, uint64_t *v,
		    char *why, size_t len);

/* "Y\n" or "N\n": a bool module parameter (param_get_bool) */
int kstat_parse_bool(const char *path, const char *buf, size_t n, uint64_t *v,
		     char *why, size_t len);

/* "lzo\n": one printable word of at most @size - 1 bytes, into @out */
int kstat_parse_word(const char *path, const char *buf, size_t n, char *out, size_t size,
		     char *why, size_t len);

/* "  N  N ...\n": between @min and @max numbers on one line; *@count of them */
int kstat_parse_fields(const char *path, const char *buf, size_t n, uint64_t *out, int min,
		       int max, int *count, char *why, size_t len);

/* "a [b] c\n": the [selected] name into @sel, every name into @list */
int kstat_parse_algorithms(const char *path, const char *buf, size_t n, char *sel,
			   size_t selsize, char *list, size_t listsize, char *why, size_t len);

/*
 * kstat_parse_keyed - the @nkeys numbers named @keys in a "KEY VALUE" file:
 * /proc/vmstat ("zswpin 0"), or with @colon_kb /proc/meminfo ("Zswap:  0 kB",
 * the value times 1024 when it ends in " kB").  Lines of other keys are
 * skipped unread; a wanted key with a bad value is an error naming its line.
 * Sets bit i of *@have for each key found.
 */
int kstat_parse_keyed(const char *path, const char *buf, size_t n, bool colon_kb,
		      const char *const *keys, int nkeys, uint64_t *out, uint32_t *have,
		      char *why, size_t len);

#endif /* ZBUD_KSTAT_H */
