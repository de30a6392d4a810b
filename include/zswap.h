/*
 * zswap.h - a compressed page store: Linux's zswap, in userspace
 *
 * Give it 4 KiB pages under 64-bit keys; it compresses them into a zpool
 * (zbud by default) and gives them back byte for byte.  As the kernel's
 * zswap it:
 *
 *  - keeps a page whose machine words are all equal ("same-filled", most
 *    often all zeros) as that one word, using no pool memory;
 *  - refuses a page that does not compress to fit the allocator's largest
 *    object (-ENOSPC, counted in reject_compress_poor): the caller keeps it.
 *    As Linux v6.18 can, ZSWAP_STORE_INCOMPRESSIBLE stores such pages as
 *    they are, outside the pool (stored_incompressible_pages);
 *  - replaces the entry of a key stored again (duplicate_entry); the old
 *    bytes are gone even if storing the new ones fails;
 *  - limits the pool, with hysteresis: once the limit is hit, stores are
 *    refused (pool_limit_hit) until the pool falls below
 *    accept_threshold_percent of the limit;
 *  - with a backing file, writes the least recently stored pages to it
 *    instead of refusing (written_back_pages), and on zswap_shrink(); a later
 *    load reads them back and checks them (-EIO, never other bytes, when the
 *    file was changed or cut: see "The backing file" below).
 *
 * Concurrency: every function but zswap_destroy() may be called from many
 * threads at once.  Keys are spread over independently locked shards, each
 * with its own pool and compressor, so that threads working on different
 * keys rarely wait for each other.  Calls on the same key are serialised;
 * which of two racing stores of one key wins is unspecified.
 *
 * Return codes are 0 or a negative errno value; a failed call changes
 * nothing the caller stored (but see duplicate keys above).  A NULL pointer
 * where a function does not say it may take one is refused with -EINVAL
 * (or ignored, by a function that returns nothing); it never crashes.
 *
 * The backing file.  It is made new at writeback_path (O_EXCL: never a file
 * that exists; never through a symbolic link; mode 0600), and its name is
 * removed at once, before zswap_create() returns and before a page is
 * written.  The file lives on without a name, reachable only through the
 * store's descriptor: zswap_destroy() closes it and the kernel frees its
 * blocks, as it does when the process dies, however it dies.  So no page
 * ever outlives the store on disk, the store never removes anything by
 * name later (a chdir(), or another file now at the path, is harmless), and
 * the same path may be given to the next store.  The file takes room on the
 * path's file system (df counts it; ls does not show it; /proc/PID/fd shows
 * it as "PATH (deleted)").  In the instant between making the file and
 * removing its name, a process that can rename files in that directory
 * could put another file under the name: the store then removes nothing
 * and fails with EEXIST.
 *
 * Each page written back is checked when read back with a keyed hash
 * (SipHash-2-4) under a 128-bit key drawn from getrandom() for each store
 * and kept in memory only.  A slot changed or cut short loads as -EIO, by
 * accident or on purpose: whoever can write the file but not read the
 * store's memory cannot make a changed slot pass (a chance of 2^-64 a try).
 * Whoever can read or write the process's memory can, as they could change
 * the pages in memory anyway.
 */
#ifndef ZSWAP_H
#define ZSWAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define ZSWAP_PAGE_SIZE 4096

/* zswap_config.flags */
#define ZSWAP_NO_SAME_FILLED        0x1u /* same_filled_pages_enabled = N */
#define ZSWAP_NO_NON_SAME_FILLED    0x2u /* non_same_filled_pages_enabled = N */
#define ZSWAP_STORE_INCOMPRESSIBLE  0x4u /* keep poorly compressing pages raw */
#define ZSWAP_EXCLUSIVE_LOADS       0x8u /* a load drops the entry */

/* A zeroed config is the default: lz4, zbud, no limit, no writeback. */
struct zswap_config {
	const char *compressor;         /* "lz4" (NULL), "lz4hc", "zstd", "lzo", "deflate" */
	int level;                      /* lz4hc, zstd, deflate: 0 for the default */
	const char *zpool;              /* a zpool type; NULL: "zbud" */
	/*
	 * The pool limit, in bytes (pool_total_size > it is "full"); 0: none.
	 * Any size works: under a page, the pool is written back (or stores
	 * are refused) whenever it holds a page.
	 */
	uint64_t max_pool_bytes;
	/* Or, when max_pool_bytes is 0, this percent (1 to 100) of
	 * total_ram_bytes, rounded down as the kernel does; a limit that comes
	 * to no byte at all is refused (EINVAL), not taken for "none". */
	unsigned int max_pool_percent;
	uint64_t total_ram_bytes;
	/* Once full, stores are taken again below this percent (1 to 100) of
	 * the limit, rounded up; 0: the kernel's 90. */
	unsigned int accept_threshold_percent;
	unsigned int flags;             /* ZSWAP_* above */
	/* Where to make the backing file (see above); NULL: no writeback. */
	const char *writeback_path;
	unsigned int shards;            /* 1 to 64; 0: a default for this machine's CPUs */
	/*
	 * Beyond the kernel: each shard's pool holds at most this many 4 KiB
	 * pages, all it may ever take; its arena reserves that much address
	 * space up front (not memory).  A store that needs a page more is
	 * refused with -ENOMEM (reject_alloc_fail), writeback or not: unlike
	 * max_pool_bytes this is the allocator's hard end, not zswap's limit.
	 * 0: the allocators' default, 2^24 pages (64 GiB of address space).
	 * zswap_create() fails with ENOMEM when the address space is short.
	 */
	uint64_t arena_pages;
	/*
	 * Beyond the kernel: what backs each shard's pool, as
	 * zbud_source_config.flags (zbud_source.h).  0: huge pages where the
	 * OS allows, split where pages are handed back; a pool then holds up
	 * to 2 MiB it does not use yet.  ZBUD_SOURCE_SMALLPAGES: 4 KiB pages
	 * only, for a store whose every MiB counts.
	 */
	unsigned int source_flags;
};

/*
 * zswap_get_stats() fills this.  Three kinds of figure, told apart by name:
 *
 *  - zswap's own counters, named as Linux names them (its debugfs files
 *    /sys/kernel/debug/zswap/NAME, and zswpin/zswpout in /proc/vmstat), with
 *    the meaning Linux v6.1 gives them unless a comment says otherwise; where
 *    a later kernel changed or dropped one, the comment says so;
 *  - zram's mm_stat sizes, named and meant as zram (v6.1) has them;
 *  - libzbud's own figures, named zbud_*: no kernel has them.
 *
 * "Events" count since zswap_create(); the others are levels, now.  Where
 * the store works differently from the kernel (writeback is synchronous: a
 * store at the limit writes back and then stores, where v6.1 refuses it and
 * writes back later; a written-back page stays under its key, in the
 * backing file), the counts follow the store and the comment says how.
 */
struct zswap_stats {
	/* ---- zswap's counters (Linux v6.1 unless said) ---- */

	/* Event: stores that found the pool over its limit.  v6.1 checks every
	 * store, same-filled ones too; the store checks only those that need
	 * pool memory, and keeps a same-filled page at the limit. */
	uint64_t pool_limit_hit;
	/* Event: v6.1 counts a failed attempt of the shrink worker (started by
	 * a store at the limit) to write back a page.  Here: stores refused
	 * because writing back could not bring the pool under the accept
	 * threshold (a write failed, or nothing was left to write).  Without a
	 * backing file nothing is written back and nothing counted. */
	uint64_t reject_reclaim_fail;
	/* Event: stores refused because the allocator had no memory; also, as
	 * since v6.10 (a failed xarray store), because the key index could not
	 * grow; and a raw page (ZSWAP_STORE_INCOMPRESSIBLE) not allocated. */
	uint64_t reject_alloc_fail;
	/* Event: stores refused because an entry could not be allocated; here
	 * also a compression context (the kernel's are made in advance). */
	uint64_t reject_kmemcache_fail;
	/* Event: stores refused because the compressor failed (an error, not
	 * a poor ratio).  Added in Linux v6.7: v6.1 refused such stores without
	 * counting them.  With ZSWAP_STORE_INCOMPRESSIBLE the page is kept raw
	 * instead and not counted, as v6.18 does. */
	uint64_t reject_compress_fail;
	/* Event: stores refused because the page did not compress into the
	 * allocator's largest object (zpool_malloc() -ENOSPC), or not below a
	 * page.  With ZSWAP_STORE_INCOMPRESSIBLE such a page is kept raw
	 * instead and not counted, as v6.18 does. */
	uint64_t reject_compress_poor;
	/* Event: decompressions that failed, on a load (which then gives -EIO)
	 * or a writeback.  Added in Linux v6.15; v6.1 crashed (BUG_ON). */
	uint64_t decompress_fail;
	/* Event: pages written to the backing file, by a store at the limit or
	 * by zswap_shrink() (v6.1: written back to the swap device). */
	uint64_t written_back_pages;
	/* Event: stores of a key already stored; its entry is dropped first.
	 * Counted at the start of every such store, whatever then becomes of
	 * it, as v6.6 to v6.8 count it.  In v6.1 the old entry was dropped
	 * first too, but by frontswap, before zswap saw the store, so zswap
	 * counted only a duplicate frontswap had not dropped itself: almost
	 * never.  Linux v6.9 dropped this counter. */
	uint64_t duplicate_entry;
	/* Bytes the pools take (the allocators' 4 KiB pages) and, here, the
	 * raw pages; same-filled entries and written-back pages take none. */
	uint64_t pool_total_size;
	/* Entries stored in memory: compressed, raw and same-filled ones (v6.1
	 * counts same-filled entries too).  Not written-back pages: they are in
	 * the backing file, as the kernel's are on the swap device.  Since
	 * v6.12 the kernel keeps no same-filled entries, so it counts only
	 * compressed (and, since v6.18, incompressible) pages. */
	uint64_t stored_pages;
	/* Entries kept as one repeated machine word.  From v6.10 the kernel
	 * keeps only zero-filled pages so; since v6.12 none (swap itself keeps
	 * zero pages), and this counter is gone. */
	uint64_t same_filled_pages;
	/* Pages kept as they are, a page each, because they did not compress
	 * (ZSWAP_STORE_INCOMPRESSIBLE).  Added in Linux v6.18, whose zswap
	 * stores such pages; v6.1 refused them.  zram calls them huge_pages. */
	uint64_t stored_incompressible_pages;
	/* Event (/proc/vmstat): stores that succeeded, same-filled ones too. */
	uint64_t zswpout;
	/* Event (/proc/vmstat): loads that succeeded from memory.  A load from
	 * the backing file is not one, as a read from swap is not. */
	uint64_t zswpin;

	/* ---- zram's mm_stat (v6.1) ---- */

	/* Bytes of the pages stored in memory, uncompressed (stored_pages *
	 * 4096: same-filled pages count, written-back pages do not). */
	uint64_t orig_data_size;
	/* Their compressed bytes: a raw page counts 4096, a same-filled 0. */
	uint64_t compr_data_size;
	/* Memory the pool takes: the same figure as pool_total_size. */
	uint64_t mem_used_total;
	/* The most mem_used_total has been. */
	uint64_t mem_used_max;
	/* Event: pool pages freed by zswap_compact(), as zram counts the pages
	 * its compaction frees. */
	uint64_t pages_compacted;

	/* ---- libzbud's own ---- */

	/* Entries whose page is in the backing file now. */
	uint64_t zbud_backing_pages;
	/* All the memory the store takes for pages: the pool, raw pages, the
	 * entries and the key index (not compression contexts); and its peak. */
	uint64_t zbud_mem_used_total;
	uint64_t zbud_mem_used_max;
	/* Events: calls, whatever their outcome. */
	uint64_t zbud_stores, zbud_loads, zbud_invalidates;
	/* Events: loads that gave -ENOENT, and -EIO (a damaged backing file
	 * slot, or a failed decompression). */
	uint64_t zbud_load_misses, zbud_load_errors;
};

/*
 * zswap_create - a new, empty store
 *
 * @cfg NULL is the default.  Returns NULL with errno: EINVAL for an unknown
 * compressor or zpool or a bad value (the known names are
 * zswap_compressor_name() and zpool_driver_name()), EEXIST when something
 * exists at writeback_path, another errno from creating the file there or
 * from getrandom(), or ENOMEM.
 */
struct zswap *zswap_create(const struct zswap_config *cfg);

/* zswap_destroy - free the store and its backing file (see above).  NULL is
 * fine.  No call on the store may run at the same time or after. */
void zswap_destroy(struct zswap *zs);

/*
 * zswap_store - keep the 4096 bytes at @page under @key
 *
 * Returns 0, or: -ENOSPC (does not compress enough), -ENOMEM (pool limit
 * and nothing to write back, or no memory), -EIO (the compressor failed, or
 * writing back to make room failed: a full disk, say), -EPERM (this kind of
 * page is switched off by the config), -EINVAL (@zs or @page NULL).  Only on
 * 0 is the page stored; on any error the key is absent.
 */
int zswap_store(struct zswap *zs, uint64_t key, const void *page);

/*
 * zswap_load - copy the page stored under @key into @page (4096 bytes)
 *
 * Returns 0, -ENOENT when absent, -EIO when its copy in the backing file is
 * damaged or cannot be read (the entry is then dropped) or the decompressor
 * fails, -ENOMEM, or -EINVAL (@zs or @page NULL).
 */
int zswap_load(struct zswap *zs, uint64_t key, void *page);

/* zswap_invalidate - forget @key; absent keys are fine */
void zswap_invalidate(struct zswap *zs, uint64_t key);

/*
 * zswap_shrink - write up to @pages of the least recently stored pages to
 * the backing file and drop them from the pool
 *
 * Returns how many were written (fewer when the pool ran out of pages or a
 * write failed after some), or -EINVAL without a backing file (or @zs
 * NULL), or -EIO when the first write failed (a full disk, say), or
 * -ENOMEM.
 */
long zswap_shrink(struct zswap *zs, unsigned long pages);

/*
 * zswap_compact - pack the pools: move compressed pages out of sparsely
 * used pool pages and free those, as the kernel's zsmalloc shrinker does
 * under memory pressure.  Keys and their pages are untouched.
 *
 * Returns the pool pages freed: 0 for a pool that packs nothing (zbud,
 * z3fold) or has nothing to pack; -EINVAL for @zs NULL.
 */
long zswap_compact(struct zswap *zs);

/* zswap_get_stats - the counters, summed over shards; all 0 for @zs NULL */
void zswap_get_stats(struct zswap *zs, struct zswap_stats *stats);

/* zswap_compressor_name - the @i-th compressor's name; NULL past the last */
const char *zswap_compressor_name(unsigned int i);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* ZSWAP_H */

#if defined(ZSWAP_STATIC_LINKING_ONLY) && !defined(ZSWAP_H_STATIC)
#define ZSWAP_H_STATIC
#include <stdbool.h>
#include <stddef.h>
/*
 * ---- For static linking only ----
 *
 * What the zbud tools use beyond the stable API above: the store's own
 * compressors, to measure them page by page, and its same-filled test.
 * These may change between versions; link libzbud statically to use them.
 */
#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/*
 * One compressor, a thin layer over Debian's own library (liblz4, libzstd,
 * liblzo2, zlib).  A context holds what one thread needs to compress and
 * decompress (state tables, a zstd context, a z_stream), made once and
 * reused; a context is used by one thread at a time.
 */
struct zswap_compressor {
	const char *name;
	int min_level, max_level, default_level; /* all 0: no levels */
	/* a context at @level (already checked); NULL when out of memory */
	void *(*ctx_new)(int level);
	void (*ctx_free)(void *ctx);
	/*
	 * Compress @src_len bytes into @dst of @dst_cap bytes.  Returns the
	 * compressed length, 0 when it does not fit in @dst_cap, or -EIO when
	 * the library fails.
	 */
	long (*compress)(void *ctx, const void *src, size_t src_len, void *dst, size_t dst_cap);
	/*
	 * Decompress into exactly @dst_len bytes.  Returns 0, or -EIO when the
	 * input is damaged or does not come to @dst_len bytes.
	 */
	int (*decompress)(void *ctx, const void *src, size_t src_len, void *dst, size_t dst_len);
};

/* zswap_compressor_find - by name; NULL when unknown */
const struct zswap_compressor *zswap_compressor_find(const char *name);

/* zswap_compressor_at - the @i-th compressor, in zswap_compressor_name()'s
 * order; NULL past the last */
const struct zswap_compressor *zswap_compressor_at(unsigned int i);

/*
 * zswap_page_same_filled - whether every machine word of the 4096 bytes at
 * @page is the same (the kernel's test); stores that word in *@word unless
 * @word is NULL.  false for @page NULL.
 */
bool zswap_page_same_filled(const void *page, unsigned long *word);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* ZSWAP_STATIC_LINKING_ONLY */
