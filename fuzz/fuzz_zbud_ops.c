/*
 * fuzz_zbud_ops.c - any sequence of zbud calls leaves a sound pool
 *
 * The input is a program for one small pool, so that it fills up and
 * -ENOMEM happens:
 *
 *   byte 0    bit 0     0: an arena of N pages; 1: a caller's buffer
 *             bits 1-6  N - 1 (1..64 pages)
 *             bit 7     arena: 4N pages instead, enough for the arena to
 *                       hand free pages back to the OS (it keeps 64 at
 *                       most); buffer: start it off the 64-byte alignment
 *                       the library rounds up to
 *   byte 1    arena: bit 0 is ZBUD_SOURCE_HUGEPAGES; buffer: 8-byte units
 *             cut from its size (a 1-page buffer can become too small)
 *   then operations, an opcode byte (mod NOPS) and its operands:
 *
 *     ALLOC      size (2 bytes)  0, every legal size, past 3968, or huge
 *     FREE       index           a live object
 *     RECLAIM    retries, mode   mode bit 0: the evict callback allocates
 *                                the object again in the pool ("moves" it)
 *     PIN        index           the evict callback refuses it (-EBUSY)
 *     UNPIN      index
 *     WRITE      index           map, check its bytes, write new ones
 *     FREE_BAD   sel [3 bytes]   free a handle that is not live: a handle
 *                                freed lately, or one made up; must be
 *                                ignored, as zbud.h promises
 *
 *   Bytes past the end read as 0.
 *
 * Every object holds a pattern of its own, checked when it is freed, evicted
 * or rewritten, so overlapping objects show.  After every operation (and
 * inside the evict callback) the pool must pass zbud_check_pool() and its
 * statistics must count what this file holds; each call's result is checked
 * against what zbud.h says it may be.  At the end everything is freed and
 * the pool must hold no page.
 */
#define ZBUD_STATIC_LINKING_ONLY
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "zbud.h"

#define MAX_PAGES 256
#define MAX_LIVE (2 * MAX_PAGES)        /* two buddies a page */
#define RECENT 16                       /* freed handles kept for FREE_BAD */
/* A buffer's room per page: the page, and a descriptor whose size is the
 * library's business but fits this. */
#define BUFFER_PAGE (ZBUD_PAGE_SIZE + 64)

enum op { ALLOC, FREE, RECLAIM, PIN, UNPIN, WRITE, FREE_BAD, NOPS };

struct object {
	unsigned long handle;
	size_t size;
	uint32_t seed;          /* what its bytes are made of */
	bool pinned;
};

struct run {
	const uint8_t *in, *end;
	struct zbud_pool *pool;
	void *buffer;                   /* a buffer pool's memory, else NULL */
	char *lo, *hi;                  /* where a buffer pool's objects may be */
	uint64_t capacity;              /* pages the pool can ever hold */
	struct object live[MAX_LIVE];
	size_t nlive;
	unsigned long recent[RECENT];   /* a ring of freed handles */
	size_t nrecent;
	uint32_t next_seed;
	bool move_on_evict;             /* the current reclaim's mode */
	uint64_t pages_added;           /* by the evict callback's allocations */
};

static uint8_t take(struct run *r)
{
	return r->in < r->end ? *r->in++ : 0;
}

/* The live object an operand byte names, or NULL when there is none. */
static struct object *pick(struct run *r)
{
	uint8_t b = take(r);

	return r->nlive ? &r->live[b % r->nlive] : NULL;
}

static struct object *find(struct run *r, unsigned long handle)
{
	for (size_t i = 0; i < r->nlive; i++)
		if (r->live[i].handle == handle)
			return &r->live[i];
	return NULL;
}

/* ---- Object bytes ---- */

static uint8_t pattern(uint32_t seed, size_t i)
{
	return (uint8_t)((seed * 2654435761u) >> 24) ^ (uint8_t)i ^ (uint8_t)(i >> 8);
}

static void fill(struct run *r, const struct object *o)
{
	uint8_t *p = zbud_map(r->pool, o->handle);

	for (size_t i = 0; i < o->size; i++)
		p[i] = pattern(o->seed, i);
	zbud_unmap(r->pool, o->handle);
}

static void verify(struct run *r, const struct object *o)
{
	const uint8_t *p = zbud_map(r->pool, o->handle);

	for (size_t i = 0; i < o->size; i++)
		FUZZ_CHECK(p[i] == pattern(o->seed, i), "handle %#lx: byte %zu of %zu changed",
			   o->handle, i, o->size);
	zbud_unmap(r->pool, o->handle);
}

/* ---- The pool as a whole ---- */

static void check_pool(struct run *r, const char *where)
{
	struct zbud_stats st;
	char msg[256];

	FUZZ_CHECK(zbud_check_pool(r->pool, msg, sizeof(msg)) == 0, "%s: %s", where, msg);
	zbud_get_stats(r->pool, &st);
	FUZZ_CHECK(st.objects == r->nlive, "%s: the pool counts %llu objects, %zu live", where,
		   (unsigned long long)st.objects, r->nlive);
	FUZZ_CHECK(st.pages == zbud_get_pool_size(r->pool) && st.pages <= r->capacity,
		   "%s: %llu pages of %llu", where, (unsigned long long)st.pages,
		   (unsigned long long)r->capacity);
}

/* Whether a one-buddy page had room for @size bytes. */
static bool room_on_unbuddied(const struct zbud_stats *st, size_t size)
{
	int chunks = (int)((size + ZBUD_CHUNK_SIZE - 1) / ZBUD_CHUNK_SIZE);

	for (int i = chunks; i < ZBUD_NCHUNKS; i++)
		if (st->unbuddied[i])
			return true;
	return false;
}

/* zbud.h: -EINVAL for 0, -ENOSPC past ZBUD_MAX_SIZE, -ENOMEM only when a
 * new page is needed and none is left; a page with room is used first. */
static void check_alloc(struct run *r, size_t size, int err, const struct zbud_stats *before)
{
	uint64_t pages = zbud_get_pool_size(r->pool);

	if (!size || size > ZBUD_MAX_SIZE)
		FUZZ_CHECK(err == (size ? -ENOSPC : -EINVAL), "alloc %zu: %d", size, err);
	else if (err)
		FUZZ_CHECK(err == -ENOMEM && !room_on_unbuddied(before, size) &&
			   before->pages == r->capacity,
			   "alloc %zu: %d with %llu of %llu pages", size, err,
			   (unsigned long long)before->pages, (unsigned long long)r->capacity);
	else
		FUZZ_CHECK(pages == before->pages + !room_on_unbuddied(before, size),
			   "alloc %zu: %llu pages, then %llu", size,
			   (unsigned long long)before->pages, (unsigned long long)pages);
	if (err)
		FUZZ_CHECK(pages == before->pages, "failed alloc %zu changed the pool", size);
}

/* A new object's bytes are its own: inside the buffer, apart from others. */
static void check_place(struct run *r, unsigned long handle, size_t size)
{
	const char *p = zbud_map(r->pool, handle);

	FUZZ_CHECK(!find(r, handle), "alloc gave live handle %#lx again", handle);
	FUZZ_CHECK(!r->buffer || (p >= r->lo && p + size <= r->hi),
		   "handle %#lx: outside the buffer", handle);
	for (size_t i = 0; i < r->nlive; i++) {
		const char *q = zbud_map(r->pool, r->live[i].handle);

		FUZZ_CHECK(p + size <= q || q + r->live[i].size <= p,
			   "handle %#lx (%zu bytes) overlaps %#lx (%zu bytes)", handle, size,
			   r->live[i].handle, r->live[i].size);
	}
}

/* ---- Objects in and out ---- */

static void alloc_object(struct run *r, size_t size)
{
	struct zbud_stats before;
	unsigned long handle;
	struct object *o;
	int err;

	zbud_get_stats(r->pool, &before);
	err = zbud_alloc(r->pool, size, &handle);
	check_alloc(r, size, err, &before);
	if (err)
		return;
	check_place(r, handle, size);
	FUZZ_CHECK(r->nlive < MAX_LIVE, "more than %d objects in %llu pages", MAX_LIVE,
		   (unsigned long long)r->capacity);
	o = &r->live[r->nlive++];
	*o = (struct object){ .handle = handle, .size = size, .seed = r->next_seed++ };
	fill(r, o);
}

static void free_object(struct run *r, struct object *o)
{
	verify(r, o);
	zbud_free(r->pool, o->handle);
	r->recent[r->nrecent++ % RECENT] = o->handle;
	*o = r->live[--r->nlive];
}

/*
 * The evict callback, as zswap's: refuse what is pinned, else "write the
 * object back" (check it) and free it, and in "move" mode store it again in
 * the pool.  The page stays the pool's until reclaim frees it.
 */
static int evict(struct zbud_pool *pool, unsigned long handle)
{
	struct run *r = zbud_get_private(pool);
	struct object *o = find(r, handle);
	uint64_t pages = zbud_get_pool_size(pool);
	size_t size;

	FUZZ_CHECK(o, "evict of handle %#lx, which is not live", handle);
	if (o->pinned)
		return -EBUSY;
	size = o->size;
	free_object(r, o);
	FUZZ_CHECK(zbud_get_pool_size(pool) == pages, "a free under reclaim freed the page");
	check_pool(r, "evict");
	if (r->move_on_evict) {
		alloc_object(r, size);
		r->pages_added += zbud_get_pool_size(pool) - pages;
		check_pool(r, "evict, after a move");
	}
	return 0;
}

/* ---- Operations ---- */

/* Sizes: mostly 0..ZBUD_MAX_SIZE + 191 (0, every legal size, and a few
 * chunks past it), and 1 in 256 near SIZE_MAX. */
static void op_alloc(struct run *r)
{
	unsigned v = take(r);

	v |= (unsigned)take(r) << 8;
	alloc_object(r, v >= 0xff00 ? SIZE_MAX - (v & 0xff) : v % (ZBUD_MAX_SIZE + 192));
}

static void op_free(struct run *r)
{
	struct object *o = pick(r);
	uint64_t pages = zbud_get_pool_size(r->pool);

	if (!o)
		return;
	free_object(r, o);
	FUZZ_CHECK(zbud_get_pool_size(r->pool) <= pages && zbud_get_pool_size(r->pool) + 1 >= pages,
		   "a free took %llu pages to %llu", (unsigned long long)pages,
		   (unsigned long long)zbud_get_pool_size(r->pool));
}

/* zbud.h: -EINVAL when empty or @retries is 0, else 0 when a page was
 * freed, -EAGAIN when none was.  With nothing pinned, nothing refuses, so
 * the first page tried is freed. */
static void op_reclaim(struct run *r)
{
	unsigned retries = take(r);
	uint64_t pages = zbud_get_pool_size(r->pool);
	bool pinned = false;
	int ret;

	r->move_on_evict = take(r) & 1;
	r->pages_added = 0;
	for (size_t i = 0; i < r->nlive; i++)
		pinned |= r->live[i].pinned;
	ret = zbud_reclaim_page(r->pool, retries);
	if (!retries || !pages)
		FUZZ_CHECK(ret == -EINVAL, "reclaim(%u) of %llu pages: %d", retries,
			   (unsigned long long)pages, ret);
	else
		FUZZ_CHECK(ret == 0 || (ret == -EAGAIN && pinned), "reclaim(%u): %d%s", retries,
			   ret, pinned ? "" : " with nothing pinned");
	FUZZ_CHECK(zbud_get_pool_size(r->pool) == pages + r->pages_added - !ret,
		   "reclaim: %d, but %llu pages then %llu (+%llu moved)", ret,
		   (unsigned long long)pages,
		   (unsigned long long)zbud_get_pool_size(r->pool),
		   (unsigned long long)r->pages_added);
}

static void op_pin(struct run *r, bool pin)
{
	struct object *o = pick(r);

	if (o)
		o->pinned = pin;
}

/* Rewrite through one map, read back through another. */
static void op_write(struct run *r)
{
	struct object *o = pick(r);

	if (!o)
		return;
	verify(r, o);
	o->seed = r->next_seed++;
	fill(r, o);
	verify(r, o);
}

/* A handle freed lately (maybe reused since: then it is live, skip it), or
 * one made up from 20 bits (MAX_PAGES pages' worth) and maybe the top bit. */
static void op_free_bad(struct run *r)
{
	struct zbud_stats before, after;
	uint8_t sel = take(r);
	unsigned long handle;

	if (sel & 1) {
		handle = take(r) | (unsigned long)take(r) << 8 | (unsigned long)(take(r) & 15) << 16;
		handle |= sel & 2 ? 1UL << (sizeof(long) * 8 - 1) : 0;
	} else if (r->nrecent) {
		size_t n = r->nrecent < RECENT ? r->nrecent : RECENT;

		handle = r->recent[(sel >> 1) % n];
	} else {
		return;
	}
	if (find(r, handle))
		return;
	zbud_get_stats(r->pool, &before);
	zbud_free(r->pool, handle);
	zbud_get_stats(r->pool, &after);
	FUZZ_CHECK(!memcmp(&before, &after, sizeof(before)),
		   "freeing handle %#lx, not live, changed the pool", handle);
}

static void step(struct run *r)
{
	switch ((enum op)(take(r) % NOPS)) {
	case ALLOC: op_alloc(r); break;
	case FREE: op_free(r); break;
	case RECLAIM: op_reclaim(r); break;
	case PIN: op_pin(r, true); break;
	case UNPIN: op_pin(r, false); break;
	case WRITE: op_write(r); break;
	case FREE_BAD: op_free_bad(r); break;
	case NOPS: break;
	}
	check_pool(r, "after an operation");
}

/* ---- The pool's life ---- */

/* A buffer of @pages pages less @cut bytes, allocated to its exact end so
 * that ASan sees any write past it; @skew bytes off 64-byte alignment. */
static void *make_buffer(struct run *r, struct zbud_source_config *src, uint64_t pages,
			 size_t cut, size_t skew)
{
	void *mem;

	src->buffer_size = pages * BUFFER_PAGE - cut;
	if (posix_memalign(&mem, 64, skew + src->buffer_size))
		return NULL;
	src->buffer = (char *)mem + skew;
	r->lo = src->buffer;
	r->hi = r->lo + src->buffer_size;
	return mem;
}

static bool open_pool(struct run *r)
{
	static const struct zbud_ops ops = { .evict = evict };
	struct zbud_config cfg = { .ops = &ops, .private_data = r };
	const uint8_t b = take(r);
	const bool bit7 = b & 0x80;
	uint64_t pages = 1 + (b >> 1 & 63);
	struct zbud_stats st;

	if (b & 1) {
		size_t cut = (size_t)take(r) * 8;

		r->buffer = make_buffer(r, &cfg.source, pages, cut, bit7 ? 24 : 0);
		FUZZ_CHECK(r->buffer, "out of memory");
	} else {
		pages *= bit7 ? 4 : 1;
		cfg.source.max_pages = pages;
		cfg.source.flags = take(r) & 1 ? ZBUD_SOURCE_HUGEPAGES : 0;
	}
	r->pool = zbud_create_pool_config(&cfg);
	if (!r->pool) {
		/* Allowed only for a buffer too small for a page and its
		 * descriptor, with up to 63 bytes lost to alignment. */
		FUZZ_CHECK(r->buffer && errno == EINVAL && cfg.source.buffer_size < BUFFER_PAGE + 64,
			   "cannot create a pool of %llu pages: %s", (unsigned long long)pages,
			   strerror(errno));
		free(r->buffer);
		return false;
	}
	zbud_get_stats(r->pool, &st);
	r->capacity = st.source_capacity;
	FUZZ_CHECK(r->capacity >= 1 && r->capacity <= pages, "%llu pages asked, capacity %llu",
		   (unsigned long long)pages, (unsigned long long)r->capacity);
	return true;
}

static void close_pool(struct run *r)
{
	while (r->nlive) {
		free_object(r, &r->live[r->nlive - 1]);
		check_pool(r, "emptying");
	}
	FUZZ_CHECK(zbud_get_pool_size(r->pool) == 0, "%llu pages left in an empty pool",
		   (unsigned long long)zbud_get_pool_size(r->pool));
	zbud_destroy_pool(r->pool);
	free(r->buffer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r = { .in = data, .end = data + size };

	if (!open_pool(&r))
		return 0;
	while (r.in < r.end)
		step(&r);
	close_pool(&r);
	return 0;
}
