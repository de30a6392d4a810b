/*
 * zswap_stats.c - the store's counters, summed over its shards
 */
#include <string.h>

#include "zswap_internal.h"

void zswap_get_stats(struct zswap *zs, struct zswap_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned int i = 0; i < zs->nshards; i++) {
		struct shard *sh = &zs->shards[i];
		const struct shard_stats *s = &sh->st;

		zbud_lock_take(&sh->lock);
		st->reject_alloc_fail += s->reject_alloc_fail;
		st->reject_kmemcache_fail += s->reject_kmemcache_fail;
		st->reject_compress_fail += s->reject_compress_fail;
		st->reject_compress_poor += s->reject_compress_poor;
		st->duplicate_entry += s->duplicate_entry;
		st->written_back_pages += s->written_back_pages;
		st->stored_pages += s->stored_pages;
		st->same_filled_pages += s->same_filled_pages;
		st->written_back_entries += s->on_disk;
		st->orig_data_size += s->orig_data_size;
		st->compr_data_size += s->compr_data_size;
		st->huge_pages += s->huge_pages;
		st->stores += s->stores;
		st->loads += s->loads;
		st->invalidates += s->invalidates;
		st->load_misses += s->load_misses;
		st->load_errors += s->load_errors;
		zbud_lock_release(&sh->lock);
	}
	st->pool_limit_hit = atomic_load(&zs->pool_limit_hit);
	st->reject_reclaim_fail = atomic_load(&zs->reject_reclaim_fail);
	st->pool_total_size = atomic_load(&zs->pool_bytes);
	st->mem_used_total = atomic_load(&zs->mem_used);
	st->mem_used_max = atomic_load(&zs->mem_used_max);
}
