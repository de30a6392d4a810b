/*
 * zswap_stats.c - the store's counters, summed over its shards
 *
 * Inside, a counter is an index (enum zswap_stat_item); outside, it is a
 * named field of struct zswap_stats, which is what a C caller wants to read
 * and what the compiler checks.  The table below is the one place that ties
 * the two together.
 */
#include <stddef.h>
#include <string.h>

#include "zswap_internal.h"

#define FIELD(item, name) [item] = offsetof(struct zswap_stats, name)

static const size_t field_of[ZSWAP_NR_STATS] = {
	FIELD(STAT_REJECT_ALLOC_FAIL, reject_alloc_fail),
	FIELD(STAT_REJECT_KMEMCACHE_FAIL, reject_kmemcache_fail),
	FIELD(STAT_REJECT_COMPRESS_FAIL, reject_compress_fail),
	FIELD(STAT_REJECT_COMPRESS_POOR, reject_compress_poor),
	FIELD(STAT_DECOMPRESS_FAIL, decompress_fail),
	FIELD(STAT_WRITTEN_BACK_PAGES, written_back_pages),
	FIELD(STAT_DUPLICATE_ENTRY, duplicate_entry),
	FIELD(STAT_STORED_PAGES, stored_pages),
	FIELD(STAT_SAME_FILLED_PAGES, same_filled_pages),
	FIELD(STAT_STORED_INCOMPRESSIBLE_PAGES, stored_incompressible_pages),
	FIELD(STAT_ZSWPOUT, zswpout),
	FIELD(STAT_ZSWPIN, zswpin),
	FIELD(STAT_ORIG_DATA_SIZE, orig_data_size),
	FIELD(STAT_COMPR_DATA_SIZE, compr_data_size),
	FIELD(STAT_BACKING_PAGES, zbud_backing_pages),
	FIELD(STAT_STORES, zbud_stores),
	FIELD(STAT_LOADS, zbud_loads),
	FIELD(STAT_INVALIDATES, zbud_invalidates),
	FIELD(STAT_LOAD_MISSES, zbud_load_misses),
	FIELD(STAT_LOAD_ERRORS, zbud_load_errors),
	FIELD(STAT_PAGES_COMPACTED, pages_compacted),
	FIELD(STAT_POOL_LIMIT_HIT, pool_limit_hit),
	FIELD(STAT_REJECT_RECLAIM_FAIL, reject_reclaim_fail),
	FIELD(STAT_POOL_TOTAL_SIZE, pool_total_size),
	FIELD(STAT_MEM_USED_TOTAL, mem_used_total),
	FIELD(STAT_MEM_USED_MAX, mem_used_max),
	FIELD(STAT_ZBUD_MEM_USED, zbud_mem_used_total),
	FIELD(STAT_ZBUD_MEM_USED_MAX, zbud_mem_used_max),
};

/* Every field of struct zswap_stats is one item, and no item is left out. */
_Static_assert(sizeof(struct zswap_stats) == ZSWAP_NR_STATS * sizeof(uint64_t),
	       "struct zswap_stats and enum zswap_stat_item disagree");

void zswap_get_stats(struct zswap *zs, struct zswap_stats *st)
{
	uint64_t sum[ZSWAP_NR_STATS] = { 0 };

	if (!st)
		return;
	for (unsigned int i = 0; zs && i < zs->nshards; i++) {
		struct shard *sh = &zs->shards[i];

		zbud_lock_take(&sh->lock);
		for (int item = 0; item < ZSWAP_NR_SHARD_STATS; item++)
			sum[item] += sh->stat[item];
		zbud_lock_release(&sh->lock);
	}
	for (int item = ZSWAP_NR_SHARD_STATS; zs && item < ZSWAP_NR_STATS; item++)
		sum[item] = atomic_load(&zs->stat[item]);
	sum[STAT_MEM_USED_TOTAL] = sum[STAT_POOL_TOTAL_SIZE];
	for (int item = 0; item < ZSWAP_NR_STATS; item++)
		memcpy((char *)st + field_of[item], &sum[item], sizeof(sum[item]));
}
