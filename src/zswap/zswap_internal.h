/*
 * zswap_internal.h - the store's layout (internal)
 *
 *   struct zswap
 *     shards[key hash % n]      each: lock, key index, zpool, compressor
 *       index: key -> entry       context, LRU of its entries
 *     backing file (optional)   slots of 4 KiB, a free-slot stack, a lock
 *     stat[]                    store-wide counters (atomics)
 *
 * An entry is in one of four places: the pool (compressed), a raw page
 * (incompressible, with ZSWAP_STORE_INCOMPRESSIBLE), inline (same-filled:
 * one word), or the backing file.  The first two are on the shard's LRU,
 * newest first; each carries the store's global sequence number, so that
 * writeback can pick the least recently stored entry of all shards.
 *
 * Lock order: a shard's lock, then the backing file's.  Never two shards.
 */
#ifndef ZBUD_ZSWAP_INTERNAL_H
#define ZBUD_ZSWAP_INTERNAL_H

#define ZBUD_STATIC_LINKING_ONLY
#define ZSWAP_STATIC_LINKING_ONLY
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "compress.h"
#include "lock.h"
#include "zpool.h"
#include "zswap.h"

enum entry_kind { IN_POOL, IN_RAW, SAME_FILLED, ON_DISK };

/* 48 bytes: one for every page the store holds, its largest metadata. */
struct zswap_entry {
	uint64_t key;
	struct zswap_entry *newer, *older; /* the shard's LRU (IN_POOL, IN_RAW) */
	uint32_t kind;                  /* enum entry_kind */
	uint32_t length;                /* IN_POOL: compressed bytes */
	union {
		struct {                /* IN_POOL, IN_RAW: on the LRU */
			union {
				unsigned long handle; /* IN_POOL */
				void *raw;            /* IN_RAW: a 4 KiB copy */
			};
			uint64_t seq;   /* when stored: orders the LRU */
		};
		unsigned long value;    /* SAME_FILLED: the repeated word */
		struct {
			uint64_t slot;
			uint64_t tag;   /* zswap_siphash() of the page */
		} disk;                 /* ON_DISK */
	};
};

_Static_assert(sizeof(void *) != 8 || sizeof(struct zswap_entry) == 48, "an entry is 48 bytes");

/* A shard's key -> entry map (zswap_index.c). */
struct zswap_index {
	uintptr_t *slot;                /* an entry's address | a tag; 0: free */
	size_t mask;                    /* slots - 1; a power of two */
	size_t count;
};

/*
 * What the store counts, one way: an array indexed by this enum, as the
 * kernel keeps its vm events (vm_event_item) and zsmalloc its class stats.
 * Items before ZSWAP_NR_SHARD_STATS are kept by each shard under its lock
 * (shard.stat); the others are store-wide atomics (zswap.stat), changed
 * where no shard lock is held.  zswap_get_stats() sums the first, reads the
 * second, and names each in struct zswap_stats (zswap_stats.c).
 */
enum zswap_stat_item {
	/* per shard, under its lock */
	STAT_REJECT_ALLOC_FAIL,
	STAT_REJECT_KMEMCACHE_FAIL,
	STAT_REJECT_COMPRESS_FAIL,
	STAT_REJECT_COMPRESS_POOR,
	STAT_DECOMPRESS_FAIL,
	STAT_WRITTEN_BACK_PAGES,
	STAT_DUPLICATE_ENTRY,
	STAT_STORED_PAGES,              /* IN_POOL, IN_RAW, SAME_FILLED */
	STAT_SAME_FILLED_PAGES,
	STAT_STORED_INCOMPRESSIBLE_PAGES, /* IN_RAW */
	STAT_ZSWPOUT,
	STAT_ZSWPIN,
	STAT_ORIG_DATA_SIZE,
	STAT_COMPR_DATA_SIZE,
	STAT_BACKING_PAGES,             /* ON_DISK */
	STAT_STORES,
	STAT_LOADS,
	STAT_INVALIDATES,
	STAT_LOAD_MISSES,
	STAT_LOAD_ERRORS,
	STAT_PAGES_COMPACTED,
	ZSWAP_NR_SHARD_STATS,
	/* store-wide, atomic */
	STAT_POOL_LIMIT_HIT = ZSWAP_NR_SHARD_STATS,
	STAT_REJECT_RECLAIM_FAIL,
	STAT_POOL_TOTAL_SIZE,           /* the pools and raw pages, in bytes */
	STAT_MEM_USED_TOTAL,            /* never kept: a copy of the one above */
	STAT_MEM_USED_MAX,              /* the most STAT_POOL_TOTAL_SIZE has been */
	STAT_ZBUD_MEM_USED,             /* the above, the entries and the index */
	STAT_ZBUD_MEM_USED_MAX,
	ZSWAP_NR_STATS
};

struct shard {
	struct zbud_lock lock;
	struct zswap_index index;
	struct zpool *pool;
	struct zswap_entry *newest, *oldest;
	uint64_t stat[ZSWAP_NR_SHARD_STATS];
} __attribute__((aligned(64)));

/*
 * What one thread needs to compress or decompress a page: the compressor's
 * context and a page of room.  Taken from the store's stack of idle ones for
 * one call, so that pages are compressed and decompressed outside the shard
 * locks and threads on the same shard wait only for the bookkeeping.
 */
struct zswap_ctx {
	void *comp;
	struct zswap_ctx *next;         /* on the idle stack */
	unsigned char buf[ZSWAP_PAGE_SIZE];
};

/*
 * The backing file, which has no name: it is removed from its directory as
 * soon as it is made (zswap_writeback.c), so only this descriptor reaches it.
 */
struct backing {
	struct zbud_lock lock;
	int fd;
	uint64_t key[2];                /* the keyed check's, random, never written */
	uint64_t *free_slots;           /* a stack */
	uint64_t nfree, cap_free;
	uint64_t next_slot;             /* slots [next_slot, ...) never used */
};

struct zswap {
	const struct zswap_compressor *comp;
	int level;
	struct zbud_lock ctx_lock;
	struct zswap_ctx *idle;         /* contexts not in use */
	unsigned int flags;
	unsigned int nshards;
	uint64_t limit;                 /* pool bytes; 0: none */
	uint64_t accept_bytes;          /* below this, stores are accepted again */
	struct backing *backing;        /* NULL: no writeback */
	atomic_uint_fast64_t seq;
	atomic_bool reached_full;
	/* the store-wide items of enum zswap_stat_item; the others unused */
	atomic_uint_fast64_t stat[ZSWAP_NR_STATS];
	struct shard *shards;
};

/* ---- zswap_index.c ---- */

struct zswap_entry *zswap_index_find(const struct zswap_index *ix, uint64_t key);
/* Add @e, whose key is not in @ix yet; 0 or -ENOMEM (and @ix unchanged). */
int zswap_index_add(struct zswap_index *ix, struct zswap_entry *e);
/* Take out @e, which is in @ix. */
void zswap_index_del(struct zswap_index *ix, const struct zswap_entry *e);
/* The entry at or after slot *@pos, and *@pos past it; NULL after the last. */
struct zswap_entry *zswap_index_at(const struct zswap_index *ix, size_t *pos);
size_t zswap_index_bytes(const struct zswap_index *ix);
void zswap_index_fini(struct zswap_index *ix);

/* ---- zswap_writeback.c ---- */

int zswap_backing_open(struct zswap *zs, const char *path);
void zswap_backing_close(struct zswap *zs);
/* Move @e (IN_POOL or IN_RAW, under its shard's lock) to the file. */
int zswap_backing_write(struct zswap *zs, struct shard *sh, struct zswap_entry *e);
/* Read @e (ON_DISK) into @page, checked; -EIO when damaged. */
int zswap_backing_read(struct zswap *zs, const struct zswap_entry *e, void *page);
void zswap_backing_release(struct zswap *zs, uint64_t slot);
/* Write back the globally oldest entry; 0, -ENOENT (nothing left), -EIO. */
int zswap_writeback_oldest(struct zswap *zs);

/* ---- zswap_siphash.c ---- */

/* SipHash-2-4 of @len bytes under the 128-bit @key. */
uint64_t zswap_siphash(const uint64_t key[2], const void *data, size_t len);

/* ---- zswap.c, for the writeback ---- */

/* Drop @e from its shard's memory (pool, raw copy, LRU); not the index. */
void zswap_entry_release_memory(struct zswap *zs, struct shard *sh, struct zswap_entry *e);
/* Decompress or copy @e (IN_POOL or IN_RAW) into @page. */
int zswap_entry_read_memory(struct zswap *zs, struct shard *sh, const struct zswap_entry *e,
		      void *page);
/* A context for one call, or NULL when out of memory; and give it back. */
struct zswap_ctx *zswap_ctx_get(struct zswap *zs);
void zswap_ctx_put(struct zswap *zs, struct zswap_ctx *c);
void zswap_mem_add(struct zswap *zs, int64_t bytes);

#endif /* ZBUD_ZSWAP_INTERNAL_H */
