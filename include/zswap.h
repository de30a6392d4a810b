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
 *    Beyond the kernel, ZSWAP_STORE_INCOMPRESSIBLE stores such pages as
 *    they are, outside the pool (huge_pages);
 *  - replaces the entry of a key stored again (duplicate_entry); the old
 *    bytes are gone even if storing the new ones fails;
 *  - limits the pool, with hysteresis: once the limit is hit, stores are
 *    refused (pool_limit_hit) until the pool falls below
 *    accept_threshold_percent of the limit;
 *  - with a backing file, writes the least recently stored pages to it
 *    instead of refusing (written_back_pages), and on zswap_shrink(); a later
 *    load reads them back, checked against a checksum (-EIO, never wrong
 *    bytes, when the file was changed or cut).
 *
 * Concurrency: every function but zswap_destroy() may be called from many
 * threads at once.  Keys are spread over independently locked shards, each
 * with its own pool and compressor, so that threads working on different
 * keys rarely wait for each other.  Calls on the same key are serialised;
 * which of two racing stores of one key wins is unspecified.
 *
 * Return codes are 0 or a negative errno value; a failed call changes
 * nothing the caller stored (but see duplicate keys above).
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
	uint64_t max_pool_bytes;        /* the pool limit; 0: none... */
	unsigned int max_pool_percent;  /* ...or this percent of total_ram_bytes */
	uint64_t total_ram_bytes;
	unsigned int accept_threshold_percent; /* 0: the kernel's 90 */
	unsigned int flags;             /* ZSWAP_* above */
	const char *writeback_path;     /* a new file (O_EXCL, mode 0600); NULL: none */
	unsigned int shards;            /* 0: a default for this machine's CPUs */
};

/* The kernel's debugfs counters, with their names, and zram's sizes. */
struct zswap_stats {
	uint64_t pool_limit_hit;        /* stores that found the pool at its limit */
	uint64_t reject_reclaim_fail;   /* ... and could not write back enough */
	uint64_t reject_alloc_fail;     /* the pool had no memory */
	uint64_t reject_kmemcache_fail; /* no memory for an entry */
	uint64_t reject_compress_fail;  /* the compressor failed */
	uint64_t reject_compress_poor;  /* the page did not compress enough */
	uint64_t written_back_pages;
	uint64_t duplicate_entry;
	uint64_t pool_total_size;       /* bytes the pool (and raw pages) hold */
	uint64_t stored_pages;          /* entries, same-filled and written back excluded */
	uint64_t same_filled_pages;
	uint64_t written_back_entries;  /* entries now in the backing file */
	/* as zram's mm_stat */
	uint64_t orig_data_size;        /* bytes of the pages stored in memory */
	uint64_t compr_data_size;       /* their compressed bytes */
	uint64_t mem_used_total;        /* pool + raw pages + entries and index */
	uint64_t mem_used_max;
	uint64_t huge_pages;            /* incompressible pages kept raw */
	/* calls */
	uint64_t stores, loads, invalidates;
	uint64_t load_misses;           /* loads of absent keys */
	uint64_t load_errors;           /* loads that failed with -EIO */
};

/*
 * zswap_create - a new, empty store
 *
 * @cfg NULL is the default.  Returns NULL with errno: EINVAL for an unknown
 * compressor or zpool or a bad value (the known names are
 * zswap_compressor_name() and zpool_driver_name()), EEXIST when the
 * writeback file exists, another errno from creating it, or ENOMEM.
 */
struct zswap *zswap_create(const struct zswap_config *cfg);

/* zswap_destroy - free the store; removes the writeback file.  NULL is fine. */
void zswap_destroy(struct zswap *zs);

/*
 * zswap_store - keep the 4096 bytes at @page under @key
 *
 * Returns 0, or: -ENOSPC (does not compress enough), -ENOMEM (pool limit
 * or no memory), -EIO (the compressor or the backing file failed), -EPERM
 * (this kind of page is switched off by the config).  Only on 0 is the
 * page stored; on any error the key is absent.
 */
int zswap_store(struct zswap *zs, uint64_t key, const void *page);

/*
 * zswap_load - copy the page stored under @key into @page (4096 bytes)
 *
 * Returns 0, -ENOENT when absent, -EIO when its copy in the backing file is
 * damaged (the entry is then dropped) or the decompressor fails.
 */
int zswap_load(struct zswap *zs, uint64_t key, void *page);

/* zswap_invalidate - forget @key; absent keys are fine */
void zswap_invalidate(struct zswap *zs, uint64_t key);

/*
 * zswap_shrink - write up to @pages of the least recently stored pages to
 * the backing file and drop them from the pool
 *
 * Returns how many were written, or -EINVAL without a backing file, or -EIO
 * when the first write failed.
 */
long zswap_shrink(struct zswap *zs, unsigned long pages);

/* zswap_get_stats - the counters, summed over shards */
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
 * @page is the same (the kernel's test); stores that word in *@word
 */
bool zswap_page_same_filled(const void *page, unsigned long *word);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* ZSWAP_STATIC_LINKING_ONLY */
