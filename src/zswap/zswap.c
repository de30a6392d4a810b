/*
 * zswap.c - the compressed page store: create, store, load, invalidate
 *
 * The decisions follow Linux's mm/zswap.c (v6.1) where it has them: the
 * same-filled check before compression, the pool limit checked before a
 * store with the accept threshold as hysteresis, -ENOSPC from the pool
 * counted as a poorly compressing page.  Where later kernels fixed v6.1, the
 * fix is taken: a duplicate store drops the old entry first, so a failed
 * store never leaves stale bytes behind.  Writeback is synchronous and picks
 * the least recently stored entry (zswap_writeback.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "zswap_internal.h"

#define DEFAULT_ACCEPT_PERCENT 90       /* the kernel's accept_threshold_percent */
#define MAX_SHARDS 64
#define SHARDS_PER_CPU 4                /* few collisions between threads */
#define ALL_FLAGS (ZSWAP_NO_SAME_FILLED | ZSWAP_NO_NON_SAME_FILLED | \
		   ZSWAP_STORE_INCOMPRESSIBLE | ZSWAP_EXCLUSIVE_LOADS)
#define WORDS (ZSWAP_PAGE_SIZE / sizeof(unsigned long))

static struct shard *shard_of(const struct zswap *zs, uint64_t key)
{
	/* Fibonacci hashing, then a multiply-shift into [0, nshards). */
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;

	return &zs->shards[(unsigned)(((h >> 32) * zs->nshards) >> 32)];
}

bool zswap_page_same_filled(const void *page, unsigned long *value)
{
	const unsigned long *w = page;

	if (!page)
		return false;
	for (size_t i = 1; i < WORDS; i++)
		if (w[i] != w[0])
			return false;
	if (value)
		*value = w[0];
	return true;
}

static void fill_words(void *page, unsigned long value)
{
	unsigned long *w = page;

	for (size_t i = 0; i < WORDS; i++)
		w[i] = value;
}

/* Add @bytes to the level @item, and raise its peak @max to it. */
static void level_add(struct zswap *zs, enum zswap_stat_item item, enum zswap_stat_item max,
		      int64_t bytes)
{
	uint64_t now = atomic_fetch_add(&zs->stat[item], (uint64_t)bytes) + (uint64_t)bytes;
	uint64_t peak = atomic_load(&zs->stat[max]);

	while (now > peak && !atomic_compare_exchange_weak(&zs->stat[max], &peak, now))
		;
}

void zswap_mem_add(struct zswap *zs, int64_t bytes)
{
	level_add(zs, STAT_ZBUD_MEM_USED, STAT_ZBUD_MEM_USED_MAX, bytes);
}

/* Account for a change of a shard's pool (or raw pages) by @bytes. */
static void pool_add(struct zswap *zs, int64_t bytes)
{
	level_add(zs, STAT_POOL_TOTAL_SIZE, STAT_MEM_USED_MAX, bytes);
	zswap_mem_add(zs, bytes);
}

/* Account for how @sh's pool changed since it took @before bytes. */
static void pool_changed(struct zswap *zs, struct shard *sh, uint64_t before)
{
	pool_add(zs, (int64_t)zpool_get_total_size(sh->pool) - (int64_t)before);
}

static void lru_add(struct shard *sh, struct zswap_entry *e)
{
	e->newer = NULL;
	e->older = sh->newest;
	if (sh->newest)
		sh->newest->newer = e;
	else
		sh->oldest = e;
	sh->newest = e;
}

static void lru_del(struct shard *sh, struct zswap_entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		sh->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		sh->oldest = e->newer;
}

static struct zswap_entry *find(struct shard *sh, uint64_t key)
{
	return zswap_index_find(&sh->index, key);
}

/* Free an entry's memory: its pool object or raw page (store_memory() undone). */
static void unstore_memory(struct zswap *zs, struct shard *sh, struct zswap_entry *e)
{
	uint64_t before = zpool_get_total_size(sh->pool);

	if (e->kind == IN_POOL) {
		zpool_free(sh->pool, e->handle);
		pool_changed(zs, sh, before);
	} else {
		free(e->raw);
		sh->stat[STAT_STORED_INCOMPRESSIBLE_PAGES]--;
		pool_add(zs, -ZSWAP_PAGE_SIZE);
	}
}

void zswap_entry_release_memory(struct zswap *zs, struct shard *sh, struct zswap_entry *e)
{
	lru_del(sh, e);
	sh->stat[STAT_STORED_PAGES]--;
	sh->stat[STAT_ORIG_DATA_SIZE] -= ZSWAP_PAGE_SIZE;
	sh->stat[STAT_COMPR_DATA_SIZE] -= e->length; /* ZSWAP_PAGE_SIZE for a raw page */
	unstore_memory(zs, sh, e);
}

/* Forget an entry altogether. */
static void drop(struct zswap *zs, struct shard *sh, struct zswap_entry *e)
{
	size_t index_before = zswap_index_bytes(&sh->index);

	zswap_index_del(&sh->index, e);
	if (e->kind == IN_POOL || e->kind == IN_RAW) {
		zswap_entry_release_memory(zs, sh, e);
	} else if (e->kind == SAME_FILLED) {
		sh->stat[STAT_SAME_FILLED_PAGES]--;
		sh->stat[STAT_STORED_PAGES]--;
		sh->stat[STAT_ORIG_DATA_SIZE] -= ZSWAP_PAGE_SIZE;
	} else {
		zswap_backing_release(zs, e->disk.slot);
		sh->stat[STAT_BACKING_PAGES]--;
	}
	zswap_mem_add(zs, (int64_t)zswap_index_bytes(&sh->index) - (int64_t)index_before -
		(int64_t)sizeof(*e));
	free(e);
}

int zswap_entry_read_memory(struct zswap *zs, struct shard *sh, const struct zswap_entry *e,
		      void *page)
{
	struct zswap_ctx *c;
	int err;

	if (e->kind == IN_RAW) {
		memcpy(page, e->raw, ZSWAP_PAGE_SIZE);
		return 0;
	}
	c = zswap_ctx_get(zs);
	if (!c)
		return -ENOMEM;
	err = zs->comp->decompress(c->comp, zpool_map_handle(sh->pool, e->handle, ZPOOL_MM_RO),
				   e->length, page, ZSWAP_PAGE_SIZE);
	zpool_unmap_handle(sh->pool, e->handle);
	zswap_ctx_put(zs, c);
	if (err)
		sh->stat[STAT_DECOMPRESS_FAIL]++;
	return err;
}

struct zswap_ctx *zswap_ctx_get(struct zswap *zs)
{
	struct zswap_ctx *c;

	zbud_lock_take(&zs->ctx_lock);
	c = zs->idle;
	if (c)
		zs->idle = c->next;
	zbud_lock_release(&zs->ctx_lock);
	if (c)
		return c;
	c = zbud_fault_hit(ZBUD_FAULT_META) ? NULL : malloc(sizeof(*c));
	if (c && !(c->comp = zs->comp->ctx_new(zs->level))) {
		free(c);
		c = NULL;
	}
	return c;
}

void zswap_ctx_put(struct zswap *zs, struct zswap_ctx *c)
{
	zbud_lock_take(&zs->ctx_lock);
	c->next = zs->idle;
	zs->idle = c;
	zbud_lock_release(&zs->ctx_lock);
}

/* A page compressed before its shard is locked. */
struct compressed {
	struct zswap_ctx *ctx;          /* the bytes are in ctx->buf; NULL: no context */
	long len;                       /* > 0: bytes; 0: more than a page; < 0: failed */
};

static struct compressed compress_page(struct zswap *zs, const void *page)
{
	struct compressed c = { zswap_ctx_get(zs), 0 };

	if (c.ctx)
		c.len = zbud_fault_hit(ZBUD_FAULT_COMPRESS)
			? -EIO
			: zs->comp->compress(c.ctx->comp, page, ZSWAP_PAGE_SIZE, c.ctx->buf,
					     ZSWAP_PAGE_SIZE);
	return c;
}

/*
 * Before a store that needs pool memory: is there room under the limit?
 * At the limit, or above the accept threshold once the limit was hit, room
 * is made by writing back, or the store is refused.
 */
static int make_room(struct zswap *zs)
{
	if (!zs->limit)
		return 0;
	if (atomic_load(&zs->stat[STAT_POOL_TOTAL_SIZE]) > zs->limit) {
		atomic_fetch_add(&zs->stat[STAT_POOL_LIMIT_HIT], 1);
		atomic_store(&zs->reached_full, true);
	} else if (!atomic_load(&zs->reached_full)) {
		return 0;
	}
	while (atomic_load(&zs->stat[STAT_POOL_TOTAL_SIZE]) >= zs->accept_bytes) {
		int err = zs->backing ? zswap_writeback_oldest(zs) : -ENOENT;

		if (err && zs->backing)
			atomic_fetch_add(&zs->stat[STAT_REJECT_RECLAIM_FAIL], 1);
		/* Nothing (more) to write back is the pool limit: -ENOMEM.  A
		 * write that failed (a full disk, say) is the backing file's:
		 * -EIO, as zswap_store() promises. */
		if (err)
			return err == -EIO ? -EIO : -ENOMEM;
	}
	atomic_store(&zs->reached_full, false);
	return 0;
}

/* Keep @page as it is, outside the pool (ZSWAP_STORE_INCOMPRESSIBLE). */
static int store_raw(struct zswap *zs, struct shard *sh, const void *page,
		     struct zswap_entry *e)
{
	e->raw = zbud_fault_hit(ZBUD_FAULT_META) ? NULL : malloc(ZSWAP_PAGE_SIZE);
	if (!e->raw) {
		sh->stat[STAT_REJECT_ALLOC_FAIL]++;
		return -ENOMEM;
	}
	memcpy(e->raw, page, ZSWAP_PAGE_SIZE);
	e->kind = IN_RAW;
	e->length = ZSWAP_PAGE_SIZE;
	sh->stat[STAT_STORED_INCOMPRESSIBLE_PAGES]++;
	pool_add(zs, ZSWAP_PAGE_SIZE);
	return 0;
}

/* Put the compressed page into the shard's pool, or keep it raw; fills @e. */
static int store_memory(struct zswap *zs, struct shard *sh, const void *page,
			const struct compressed *c, struct zswap_entry *e)
{
	uint64_t before = zpool_get_total_size(sh->pool);
	long len = c->len;
	int err;

	if (!c->ctx) {
		sh->stat[STAT_REJECT_KMEMCACHE_FAIL]++;
		return -ENOMEM;
	}
	err = len > 0 ? zpool_malloc(sh->pool, (size_t)len, &e->handle) : len ? -EIO : -ENOSPC;
	if (!err) {
		memcpy(zpool_map_handle(sh->pool, e->handle, ZPOOL_MM_WO), c->ctx->buf, (size_t)len);
		zpool_unmap_handle(sh->pool, e->handle);
		e->kind = IN_POOL;
		e->length = (uint32_t)len;
		pool_changed(zs, sh, before);
		return 0;
	}
	if (err == -ENOMEM) {
		sh->stat[STAT_REJECT_ALLOC_FAIL]++;
		return err;
	}
	/* The compressor failed (-EIO), or the page does not compress into the
	 * pool's largest object (-ENOSPC): kept as it is, as v6.18 does, if
	 * asked. */
	if (zs->flags & ZSWAP_STORE_INCOMPRESSIBLE)
		return store_raw(zs, sh, page, e);
	sh->stat[err == -EIO ? STAT_REJECT_COMPRESS_FAIL : STAT_REJECT_COMPRESS_POOR]++;
	return err;
}

static int store_locked(struct zswap *zs, struct shard *sh, uint64_t key, const void *page,
			bool same, unsigned long value, const struct compressed *c)
{
	struct zswap_entry *e = zbud_fault_hit(ZBUD_FAULT_META) ? NULL : malloc(sizeof(*e));
	size_t index_before = zswap_index_bytes(&sh->index);
	int err;

	if (!e) {
		sh->stat[STAT_REJECT_KMEMCACHE_FAIL]++;
		return -ENOMEM;
	}
	e->key = key;
	if (same) {
		e->kind = SAME_FILLED;
		e->value = value;
	} else {
		err = store_memory(zs, sh, page, c, e);
		if (err) {
			free(e);
			return err;
		}
	}
	if (zswap_index_add(&sh->index, e)) {
		/* as since v6.10, where a failed xarray store counts so */
		if (!same)
			unstore_memory(zs, sh, e);
		free(e);
		sh->stat[STAT_REJECT_ALLOC_FAIL]++;
		return -ENOMEM;
	}
	zswap_mem_add(zs, (int64_t)zswap_index_bytes(&sh->index) - (int64_t)index_before + (int64_t)sizeof(*e));
	sh->stat[STAT_STORED_PAGES]++;
	sh->stat[STAT_ORIG_DATA_SIZE] += ZSWAP_PAGE_SIZE;
	sh->stat[STAT_ZSWPOUT]++;
	if (same) {
		sh->stat[STAT_SAME_FILLED_PAGES]++;
		return 0;
	}
	e->seq = atomic_fetch_add(&zs->seq, 1);
	lru_add(sh, e);
	sh->stat[STAT_COMPR_DATA_SIZE] += e->length;
	return 0;
}

int zswap_store(struct zswap *zs, uint64_t key, const void *page)
{
	struct shard *sh;
	unsigned long value = 0;
	bool same, allowed;
	struct compressed c = { 0 };
	struct zswap_entry *old;
	int err;

	if (!zs || !page)
		return -EINVAL;
	sh = shard_of(zs, key);
	same = !(zs->flags & ZSWAP_NO_SAME_FILLED) && zswap_page_same_filled(page, &value);
	allowed = same || !(zs->flags & ZSWAP_NO_NON_SAME_FILLED);
	/* Room first: making it may lock other shards, never with ours held. */
	err = allowed && !same ? make_room(zs) : 0;
	if (allowed && !same && !err)
		c = compress_page(zs, page); /* the slow part: outside the lock */
	zbud_lock_take(&sh->lock);
	sh->stat[STAT_STORES]++;
	old = find(sh, key);
	if (old) {
		sh->stat[STAT_DUPLICATE_ENTRY]++;
		drop(zs, sh, old);
	}
	if (!allowed)
		err = -EPERM;
	else if (!err)
		err = store_locked(zs, sh, key, page, same, value, &c);
	zbud_lock_release(&sh->lock);
	if (c.ctx)
		zswap_ctx_put(zs, c.ctx);
	return err;
}

/* Under the shard lock: copy an entry in the pool to @c, to decompress later. */
static int copy_compressed(struct shard *sh, const struct zswap_entry *e, struct compressed *c)
{
	if (!c->ctx)
		return -ENOMEM;
	memcpy(c->ctx->buf, zpool_map_handle(sh->pool, e->handle, ZPOOL_MM_RO), e->length);
	zpool_unmap_handle(sh->pool, e->handle);
	c->len = e->length;
	return 0;
}

int zswap_load(struct zswap *zs, uint64_t key, void *page)
{
	struct shard *sh;
	struct compressed c = { 0 };
	struct zswap_entry *e;
	int err = 0;

	if (!zs || !page)
		return -EINVAL;
	sh = shard_of(zs, key);
	zbud_lock_take(&sh->lock);
	sh->stat[STAT_LOADS]++;
	e = find(sh, key);
	if (!e) {
		sh->stat[STAT_LOAD_MISSES]++;
		err = -ENOENT;
	} else if (e->kind == SAME_FILLED) {
		fill_words(page, e->value);
	} else if (e->kind == ON_DISK) {
		err = zswap_backing_read(zs, e, page);
		if (err)
			drop(zs, sh, e); /* damaged: never offer it again */
	} else if (e->kind == IN_RAW) {
		memcpy(page, e->raw, ZSWAP_PAGE_SIZE);
	} else {
		/* Only the copy under the lock; the decompression after it. */
		c.ctx = zswap_ctx_get(zs);
		err = copy_compressed(sh, e, &c);
	}
	if (err && err != -ENOENT)
		sh->stat[STAT_LOAD_ERRORS]++;
	/* A decompression yet to come is taken to succeed, and undone below if
	 * not: one lock, not two, on the common path. */
	if (!err && e->kind != ON_DISK)
		sh->stat[STAT_ZSWPIN]++;
	if (!err && (zs->flags & ZSWAP_EXCLUSIVE_LOADS))
		drop(zs, sh, e);
	zbud_lock_release(&sh->lock);
	if (c.len && zs->comp->decompress(c.ctx->comp, c.ctx->buf, (size_t)c.len, page,
					  ZSWAP_PAGE_SIZE)) {
		err = -EIO;
		zbud_lock_take(&sh->lock);
		sh->stat[STAT_ZSWPIN]--;
		sh->stat[STAT_DECOMPRESS_FAIL]++;
		sh->stat[STAT_LOAD_ERRORS]++;
		zbud_lock_release(&sh->lock);
	}
	if (c.ctx)
		zswap_ctx_put(zs, c.ctx);
	return err;
}

void zswap_invalidate(struct zswap *zs, uint64_t key)
{
	struct shard *sh;
	struct zswap_entry *e;

	if (!zs)
		return;
	sh = shard_of(zs, key);
	zbud_lock_take(&sh->lock);
	sh->stat[STAT_INVALIDATES]++;
	e = find(sh, key);
	if (e)
		drop(zs, sh, e);
	zbud_lock_release(&sh->lock);
}

long zswap_compact(struct zswap *zs)
{
	long freed = 0;

	if (!zs)
		return -EINVAL;
	for (unsigned int i = 0; i < zs->nshards; i++) {
		struct shard *sh = &zs->shards[i];
		uint64_t before;
		int64_t n;

		/* Under the shard's lock, so that the pool's change in size is
		 * compaction's alone. */
		zbud_lock_take(&sh->lock);
		before = zpool_get_total_size(sh->pool);
		n = zpool_compact(sh->pool);
		pool_changed(zs, sh, before);
		if (n > 0) {
			sh->stat[STAT_PAGES_COMPACTED] += (uint64_t)n;
			freed += (long)n;
		}
		zbud_lock_release(&sh->lock);
	}
	return freed;
}

/* ---- creation ---- */

/* @percent % of @n, exactly, without overflow; rounded @up or down. */
static uint64_t percent_of(uint64_t n, unsigned int percent, bool up)
{
	uint64_t rest = n % 100 * percent;

	return n / 100 * percent + rest / 100 + (up && rest % 100);
}

static int read_config(const struct zswap_config *cfg, struct zswap *zs)
{
	const char *name = cfg->compressor ? cfg->compressor : "lz4";
	unsigned int accept = cfg->accept_threshold_percent;

	zs->comp = zswap_compressor_find(name);
	if (!zs->comp || !zpool_has_pool(cfg->zpool ? cfg->zpool : "zbud"))
		return -EINVAL;
	zs->level = cfg->level ? cfg->level : zs->comp->default_level;
	if (zs->level < zs->comp->min_level || zs->level > zs->comp->max_level)
		return -EINVAL;
	if (cfg->flags & ~ALL_FLAGS || accept > 100 || cfg->max_pool_percent > 100 ||
	    cfg->shards > MAX_SHARDS || (cfg->writeback_path && !*cfg->writeback_path) ||
	    cfg->source_flags & ~(ZBUD_SOURCE_HUGEPAGES | ZBUD_SOURCE_SMALLPAGES) ||
	    cfg->source_flags == (ZBUD_SOURCE_HUGEPAGES | ZBUD_SOURCE_SMALLPAGES))
		return -EINVAL;
	zs->flags = cfg->flags;
	zs->limit = cfg->max_pool_bytes;
	if (!zs->limit && cfg->max_pool_percent) {
		/* As the kernel, rounded down; but a limit of no byte at all
		 * is refused, not taken for "none". */
		zs->limit = percent_of(cfg->total_ram_bytes, cfg->max_pool_percent, false);
		if (!zs->limit)
			return -EINVAL;
	}
	/* Rounded up: however small the limit, a pool that writeback emptied
	 * is under the threshold and takes stores again. */
	zs->accept_bytes = percent_of(zs->limit, accept ? accept : DEFAULT_ACCEPT_PERCENT, true);
	zs->nshards = cfg->shards;
	if (!zs->nshards) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		zs->nshards = cpus > 0 && cpus * SHARDS_PER_CPU < MAX_SHARDS
			? (unsigned int)cpus * SHARDS_PER_CPU : MAX_SHARDS;
	}
	return 0;
}

static int shard_init(struct shard *sh, const char *type, const struct zswap_config *cfg)
{
	const struct zpool_config pc = {
		.source = { .max_pages = cfg->arena_pages, .flags = cfg->source_flags },
	};

	zbud_lock_init(&sh->lock);
	sh->pool = zpool_create_pool_config(type, "zswap", NULL, &pc);
	return sh->pool ? 0 : -ENOMEM;
}

struct zswap *zswap_create(const struct zswap_config *cfg)
{
	static const struct zswap_config defaults;
	struct zswap *zs;
	struct zswap_ctx *first;
	int err;

	if (!cfg)
		cfg = &defaults;
	zs = calloc(1, sizeof(*zs));
	if (!zs) {
		errno = ENOMEM;
		return NULL;
	}
	zbud_lock_init(&zs->ctx_lock);
	err = read_config(cfg, zs);
	if (!err) {
		zs->shards = aligned_alloc(64, zs->nshards * sizeof(*zs->shards));
		err = zs->shards ? 0 : -ENOMEM;
	}
	if (!err) {
		memset(zs->shards, 0, zs->nshards * sizeof(*zs->shards));
		for (unsigned int i = 0; i < zs->nshards && !err; i++)
			err = shard_init(&zs->shards[i], cfg->zpool ? cfg->zpool : "zbud", cfg);
	}
	/* One context now: a compressor that cannot start fails here. */
	if (!err) {
		first = zswap_ctx_get(zs);
		err = first ? 0 : -ENOMEM;
		if (first)
			zswap_ctx_put(zs, first);
	}
	if (!err && cfg->writeback_path)
		err = zswap_backing_open(zs, cfg->writeback_path);
	if (err) {
		zswap_destroy(zs);
		errno = -err;
		return NULL;
	}
	return zs;
}

void zswap_destroy(struct zswap *zs)
{
	if (!zs)
		return;
	for (unsigned int i = 0; zs->shards && i < zs->nshards; i++) {
		struct shard *sh = &zs->shards[i];
		struct zswap_entry *e;
		size_t pos = 0;

		while ((e = zswap_index_at(&sh->index, &pos))) {
			if (e->kind == IN_RAW)
				free(e->raw);
			free(e);
		}
		zswap_index_fini(&sh->index);
		zpool_destroy_pool(sh->pool);
	}
	while (zs->idle) {
		struct zswap_ctx *c = zs->idle;

		zs->idle = c->next;
		zs->comp->ctx_free(c->comp);
		free(c);
	}
	zswap_backing_close(zs);
	free(zs->shards);
	free(zs);
}

const char *zswap_compressor_name(unsigned int i)
{
	const struct zswap_compressor *c = zswap_compressor_at(i);

	return c ? c->name : NULL;
}
