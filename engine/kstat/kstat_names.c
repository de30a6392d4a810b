/*
 * kstat_names.c - every figure's kernel name and what the kernel means by
 * it (mm/zswap.c v6.1 unless said; zram.rst; Documentation/block/stat.rst)
 */
#include "kstat.h"

const struct kstat_name kstat_zswap_counters[KSTAT_ZSWAP_NCOUNTERS] = {
	[KSTAT_POOL_TOTAL_SIZE] = { "pool_total_size", KSTAT_BYTES, true,
		"Memory the compressed pool takes, allocator overhead included" },
	[KSTAT_STORED_PAGES] = { "stored_pages", KSTAT_PAGES, true,
		"Pages stored in zswap, same-filled ones included" },
	[KSTAT_SAME_FILLED_PAGES] = { "same_filled_pages", KSTAT_PAGES, true,
		"Stored pages that are one repeated word, kept without pool memory (v6.1)" },
	[KSTAT_STORED_INCOMPRESSIBLE_PAGES] = { "stored_incompressible_pages", KSTAT_PAGES,
		true, "Stored pages kept uncompressed, a whole page each (6.18)" },
	[KSTAT_WRITTEN_BACK_PAGES] = { "written_back_pages", KSTAT_PAGES, false,
		"Pages written back from the pool to the swap device" },
	[KSTAT_POOL_LIMIT_HIT] = { "pool_limit_hit", KSTAT_EVENTS, false,
		"Stores that found the pool at max_pool_percent" },
	[KSTAT_REJECT_RECLAIM_FAIL] = { "reject_reclaim_fail", KSTAT_EVENTS, false,
		"Stores refused: the pool was full and writeback freed nothing" },
	[KSTAT_REJECT_ALLOC_FAIL] = { "reject_alloc_fail", KSTAT_EVENTS, false,
		"Stores refused: the allocator could not get memory" },
	[KSTAT_REJECT_KMEMCACHE_FAIL] = { "reject_kmemcache_fail", KSTAT_EVENTS, false,
		"Stores refused: no memory for the entry's metadata" },
	[KSTAT_REJECT_COMPRESS_FAIL] = { "reject_compress_fail", KSTAT_EVENTS, false,
		"Stores refused: the compressor failed (6.8)" },
	[KSTAT_REJECT_COMPRESS_POOR] = { "reject_compress_poor", KSTAT_EVENTS, false,
		"Stores refused: compressed too big for the allocator" },
	[KSTAT_DECOMPRESS_FAIL] = { "decompress_fail", KSTAT_EVENTS, false,
		"Loads whose decompression failed (after 6.8)" },
	[KSTAT_DUPLICATE_ENTRY] = { "duplicate_entry", KSTAT_EVENTS, false,
		"Stores that replaced an entry already there (v6.1)" },
};

const struct kstat_name kstat_zswap_params[KSTAT_ZSWAP_NPARAMS] = {
	[KSTAT_ENABLED] = { "enabled", KSTAT_BOOL, true, "Whether zswap takes new pages" },
	[KSTAT_MAX_POOL_PERCENT] = { "max_pool_percent", KSTAT_PERCENT, true,
		"The pool's limit, a percent of all memory" },
	[KSTAT_ACCEPT_THRESHOLD_PERCENT] = { "accept_threshold_percent", KSTAT_PERCENT, true,
		"Once full, stores resume below this percent of the limit" },
	[KSTAT_SHRINKER_ENABLED] = { "shrinker_enabled", KSTAT_BOOL, true,
		"Whether memory pressure writes cold pool pages back (6.8)" },
	[KSTAT_SAME_FILLED_PAGES_ENABLED] = { "same_filled_pages_enabled", KSTAT_BOOL, true,
		"Whether same-filled pages are kept as one word (v6.1)" },
	[KSTAT_NON_SAME_FILLED_PAGES_ENABLED] = { "non_same_filled_pages_enabled", KSTAT_BOOL,
		true, "Whether other pages are stored at all (v6.1)" },
	[KSTAT_EXCLUSIVE_LOADS] = { "exclusive_loads", KSTAT_BOOL, true,
		"Whether a load drops the entry (6.5 to 6.7)" },
};

const struct kstat_name kstat_mem_names[KSTAT_NMEM] = {
	[KSTAT_MEMTOTAL] = { "MemTotal", KSTAT_BYTES, true, "Usable memory" },
	[KSTAT_ZSWAP] = { "Zswap", KSTAT_BYTES, true, "Memory the zswap pool takes" },
	[KSTAT_ZSWAPPED] = { "Zswapped", KSTAT_BYTES, true,
		"Data zswap holds, uncompressed" },
	[KSTAT_SWAPTOTAL] = { "SwapTotal", KSTAT_BYTES, true, "Swap space" },
	[KSTAT_SWAPFREE] = { "SwapFree", KSTAT_BYTES, true, "Swap space unused" },
	[KSTAT_ZSWPIN] = { "zswpin", KSTAT_PAGES, false, "Pages loaded from zswap" },
	[KSTAT_ZSWPOUT] = { "zswpout", KSTAT_PAGES, false, "Pages stored into zswap" },
	[KSTAT_ZSWPWB] = { "zswpwb", KSTAT_PAGES, false,
		"Pages written back from zswap to swap (6.8)" },
	[KSTAT_PSWPIN] = { "pswpin", KSTAT_PAGES, false, "Pages read from swap devices" },
	[KSTAT_PSWPOUT] = { "pswpout", KSTAT_PAGES, false, "Pages written to swap devices" },
};

const struct kstat_name kstat_mm_stat_names[KSTAT_MM_STAT_N] = {
	[KSTAT_ORIG_DATA_SIZE] = { "orig_data_size", KSTAT_BYTES, true,
		"Data stored, uncompressed" },
	[KSTAT_COMPR_DATA_SIZE] = { "compr_data_size", KSTAT_BYTES, true,
		"Data stored, compressed" },
	[KSTAT_MEM_USED_TOTAL] = { "mem_used_total", KSTAT_BYTES, true,
		"Memory taken, allocator overhead included" },
	[KSTAT_MEM_LIMIT] = { "mem_limit", KSTAT_BYTES, true,
		"Most memory the device may take; 0: no limit" },
	[KSTAT_MEM_USED_MAX] = { "mem_used_max", KSTAT_BYTES, true,
		"Most memory the device has taken" },
	[KSTAT_SAME_PAGES] = { "same_pages", KSTAT_PAGES, true,
		"Pages of one repeated word, kept without memory" },
	[KSTAT_PAGES_COMPACTED] = { "pages_compacted", KSTAT_PAGES, false,
		"Pages freed by compaction" },
	[KSTAT_HUGE_PAGES] = { "huge_pages", KSTAT_PAGES, true,
		"Incompressible pages stored" },
	[KSTAT_HUGE_PAGES_SINCE] = { "huge_pages_since", KSTAT_PAGES, false,
		"Incompressible pages stored since the device was set up" },
};

const struct kstat_name kstat_io_stat_names[KSTAT_IO_STAT_N] = {
	[KSTAT_FAILED_READS] = { "failed_reads", KSTAT_EVENTS, false, "Reads that failed" },
	[KSTAT_FAILED_WRITES] = { "failed_writes", KSTAT_EVENTS, false, "Writes that failed" },
	[KSTAT_INVALID_IO] = { "invalid_io", KSTAT_EVENTS, false,
		"Requests not aligned to a page (no longer counted: 0 in 6.18)" },
	[KSTAT_NOTIFY_FREE] = { "notify_free", KSTAT_PAGES, false,
		"Pages freed by swap slot frees or discards" },
};

const struct kstat_name kstat_bd_stat_names[KSTAT_BD_STAT_N] = {
	[KSTAT_BD_COUNT] = { "bd_count", KSTAT_PAGES, true,
		"4 KiB pages held on the backing device" },
	[KSTAT_BD_READS] = { "bd_reads", KSTAT_PAGES, false,
		"4 KiB pages read from the backing device" },
	[KSTAT_BD_WRITES] = { "bd_writes", KSTAT_PAGES, false,
		"4 KiB pages written to the backing device" },
};

const struct kstat_name kstat_blk_stat_names[KSTAT_BLK_STAT_N] = {
	[KSTAT_READ_IOS] = { "read_ios", KSTAT_EVENTS, false, "Read requests completed" },
	[KSTAT_READ_SECTORS] = { "read_sectors", KSTAT_EVENTS, false, "512-byte sectors read" },
	[KSTAT_WRITE_IOS] = { "write_ios", KSTAT_EVENTS, false, "Write requests completed" },
	[KSTAT_WRITE_SECTORS] = { "write_sectors", KSTAT_EVENTS, false,
		"512-byte sectors written" },
};
