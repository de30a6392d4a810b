/*
 * replay.c - see replay.h; the log format is in docs/replay.md
 */
#define ZPOOL_STATIC_LINKING_ONLY
#define ZBUD_STATIC_LINKING_ONLY
#include "replay.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "trace.h"
#include "zbud.h"
#include "zpool.h"

struct object {
	uint64_t id;
	unsigned long handle;
	size_t size;
	bool pinned;
};

struct replay {
	struct zpool *pool;
	const struct replay_opts *opts;
	struct replay_summary *sum;
	struct zbud_idmap by_id;             /* ID -> index in objs */
	struct zbud_idmap by_handle;         /* handle -> ID */
	struct object *objs;
	size_t nobjs, objs_cap;
	uint64_t *evicted;              /* IDs the current reclaim evicted */
	size_t nevicted, evicted_cap;
	char *why;                      /* where a failure inside a callback goes */
	size_t whylen;
	bool failed;
};

static const char *errname(int err)
{
	switch (err) {
	case -EINVAL: return "EINVAL";
	case -ENOSPC: return "ENOSPC";
	case -ENOMEM: return "ENOMEM";
	case -EAGAIN: return "EAGAIN";
	case -ENOENT: return "ENOENT";
	case -EBUSY: return "EBUSY";
	default: return "EUNKNOWN";
	}
}

static void __attribute__((format(printf, 2, 3))) fail(struct replay *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(r->why, r->whylen, fmt, ap);
	va_end(ap);
}

static int grow_array(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static struct object *find(struct replay *r, uint64_t id)
{
	uint64_t i;

	return zbud_idmap_get(&r->by_id, id, &i) ? &r->objs[i] : NULL;
}

/* The bytes an object holds under --check: its ID's, position by position. */
static unsigned char pattern(uint64_t id, size_t i)
{
	return (unsigned char)((id * 0x9e3779b97f4a7c15ULL) >> 56 ^ i ^ i >> 8);
}

static void fill(struct replay *r, const struct object *o)
{
	unsigned char *p = zpool_map_handle(r->pool, o->handle, ZPOOL_MM_WO);

	for (size_t i = 0; i < o->size; i++)
		p[i] = pattern(o->id, i);
	zpool_unmap_handle(r->pool, o->handle);
}

static void verify(struct replay *r, const struct object *o)
{
	const unsigned char *p = zpool_map_handle(r->pool, o->handle, ZPOOL_MM_RO);

	for (size_t i = 0; i < o->size; i++) {
		if (p[i] != pattern(o->id, i)) {
			fail(r, "ID %llu: byte %zu of %zu changed",
			     (unsigned long long)o->id, i, o->size);
			break;
		}
	}
	zpool_unmap_handle(r->pool, o->handle);
}

static int add_object(struct replay *r, uint64_t id, unsigned long handle, size_t size)
{
	if (grow_array((void **)&r->objs, &r->objs_cap, r->nobjs + 1, sizeof(*r->objs)) ||
	    zbud_idmap_put(&r->by_id, id, r->nobjs) || zbud_idmap_put(&r->by_handle, handle, id))
		return -ENOMEM;
	r->objs[r->nobjs++] = (struct object){ .id = id, .handle = handle, .size = size };
	r->sum->live_objects++;
	r->sum->live_bytes += size;
	return 0;
}

/* Free an object's allocation and forget it. */
static void drop_object(struct replay *r, struct object *o)
{
	struct object *last = &r->objs[r->nobjs - 1];

	if (r->opts->check)
		verify(r, o);
	zpool_free(r->pool, o->handle);
	r->sum->live_objects--;
	r->sum->live_bytes -= o->size;
	zbud_idmap_del(&r->by_handle, o->handle);
	zbud_idmap_del(&r->by_id, o->id);
	if (o != last) {
		*o = *last;
		zbud_idmap_put(&r->by_id, o->id, (uint64_t)(o - r->objs)); /* replaces: no growth */
	}
	r->nobjs--;
}

/* The pool's evict callback: refuse pinned objects, free the rest. */
static int evict(struct zpool *pool, unsigned long handle)
{
	struct replay *r = zpool_get_private(pool);
	struct object *o;
	uint64_t id;

	if (!zbud_idmap_get(&r->by_handle, handle, &id)) {
		fail(r, "the pool evicted handle %#lx, which it never gave", handle);
		return -ENOENT;
	}
	o = find(r, id);
	if (o->pinned)
		return -EBUSY;
	if (grow_array((void **)&r->evicted, &r->evicted_cap, r->nevicted + 1,
		       sizeof(*r->evicted))) {
		fail(r, "out of memory");
		return -ENOMEM;
	}
	r->evicted[r->nevicted++] = id;
	drop_object(r, o);
	return 0;
}

static uint64_t pool_pages(struct replay *r)
{
	return zpool_get_total_size(r->pool) / ZBUD_PAGE_SIZE;
}

static void count_place(struct replay_summary *sum, enum zpool_place place)
{
	for (int i = 0; i < REPLAY_MAX_PLACES; i++) {
		if (!sum->places[i].name) {
			sum->places[i].place = place;
			sum->places[i].name = zpool_place_name(place);
		}
		if (sum->places[i].place == place) {
			sum->places[i].count++;
			return;
		}
	}
}

static void do_alloc(struct replay *r, const struct trace_op *op, FILE *out)
{
	unsigned long handle;
	const char *what;
	int err = zpool_malloc(r->pool, op->arg, &handle);

	if (err) {
		r->sum->alloc_errors++;
		what = errname(err);
	} else {
		const enum zpool_place place = zpool_handle_place(r->pool, handle);

		r->sum->allocs++;
		what = zpool_place_name(place);
		count_place(r->sum, place);
		if (add_object(r, op->id, handle, op->arg))
			fail(r, "out of memory");
		else if (r->opts->check)
			fill(r, &r->objs[r->nobjs - 1]);
	}
	if (r->opts->log)
		fprintf(out, "a %llu %s %llu\n", (unsigned long long)op->id, what,
			(unsigned long long)pool_pages(r));
}

static void do_reclaim(struct replay *r, const struct trace_op *op, FILE *out)
{
	int ret;

	r->nevicted = 0;
	ret = zpool_reclaim_page(r->pool, (unsigned int)op->arg);
	r->sum->reclaims++;
	r->sum->reclaims_ok += !ret;
	r->sum->evicted += r->nevicted;
	if (!r->opts->log)
		return;
	fprintf(out, "r %s %llu", ret ? errname(ret) : "0", (unsigned long long)pool_pages(r));
	for (size_t i = 0; i < r->nevicted; i++)
		fprintf(out, " %llu", (unsigned long long)r->evicted[i]);
	fputc('\n', out);
}

/* One operation; false when the trace is wrong here (r->why says why). */
static bool step(struct replay *r, const struct trace_op *op, FILE *out)
{
	struct object *o = op->kind == TRACE_RECLAIM ? NULL : find(r, op->id);

	if (op->kind == TRACE_ALLOC && o) {
		snprintf(r->why, r->whylen, "ID %llu is already allocated",
			 (unsigned long long)op->id);
		return false;
	}
	if (op->kind != TRACE_ALLOC && op->kind != TRACE_RECLAIM && !o) {
		snprintf(r->why, r->whylen, "ID %llu is not allocated", (unsigned long long)op->id);
		return false;
	}
	r->sum->ops++;
	switch (op->kind) {
	case TRACE_ALLOC:
		do_alloc(r, op, out);
		break;
	case TRACE_FREE:
		drop_object(r, o);
		r->sum->frees++;
		if (r->opts->log)
			fprintf(out, "f %llu %llu\n", (unsigned long long)op->id,
				(unsigned long long)pool_pages(r));
		break;
	case TRACE_RECLAIM:
		do_reclaim(r, op, out);
		break;
	case TRACE_PIN:
	case TRACE_UNPIN:
		o->pinned = op->kind == TRACE_PIN;
		break;
	case TRACE_NONE:
		break;
	}
	r->sum->pages = pool_pages(r);
	if (r->sum->pages > r->sum->peak_pages)
		r->sum->peak_pages = r->sum->pages;
	return true;
}

static void check_pool(struct replay *r)
{
	char msg[256];

	if (zpool_check(r->pool, msg, sizeof(msg)))
		fail(r, "invariant violated: %s", msg);
}

enum replay_status replay_run(FILE *in, FILE *out, const struct replay_opts *opts,
			      struct replay_summary *sum, char *err, size_t errlen)
{
	static const struct zpool_ops ops = { .evict = evict };
	const char *type = opts->allocator ? opts->allocator : zpool_driver_name(0);
	char why[256];
	struct replay r = { .opts = opts, .sum = sum, .why = why, .whylen = sizeof(why) };
	const struct zpool_config cfg = { .private_data = &r };
	enum replay_status status = REPLAY_OK;
	struct text_reader lines = { .f = in };
	long len = 0;

	memset(sum, 0, sizeof(*sum));
	r.pool = zpool_create_pool_config(type, "replay", &ops, &cfg);
	if (!r.pool) {
		snprintf(err, errlen, "cannot create a '%s' pool: %s", type, strerror(errno));
		return REPLAY_FAILED;
	}
	zbud_idmap_init(&r.by_id);
	zbud_idmap_init(&r.by_handle);
	while (status == REPLAY_OK && (len = text_read_line(&lines)) >= 0) {
		struct trace_op op;

		sum->lines++;
		if (trace_parse(lines.line, (size_t)len, &op, why, sizeof(why)) ||
		    (op.kind != TRACE_NONE && !step(&r, &op, out)))
			status = REPLAY_BAD_TRACE;
		else if (op.kind != TRACE_NONE && opts->check && !r.failed)
			check_pool(&r);
		if (r.failed)
			status = REPLAY_FAILED;
		if (status != REPLAY_OK)
			snprintf(err, errlen, "line %llu: %s", (unsigned long long)sum->lines, why);
	}
	if (status == REPLAY_OK && len == -EOVERFLOW) {
		sum->lines++;
		snprintf(err, errlen, "line %llu: longer than %d bytes",
			 (unsigned long long)sum->lines, TEXT_LINE_MAX);
		status = REPLAY_BAD_TRACE;
	} else if (status == REPLAY_OK && len == -EIO) {
		snprintf(err, errlen, "read error: %s", strerror(errno));
		status = REPLAY_FAILED;
	}
	if (status == REPLAY_OK && opts->at_end)
		opts->at_end(r.pool, opts->at_end_arg);
	zpool_destroy_pool(r.pool);
	free(r.objs);
	free(r.evicted);
	zbud_idmap_fini(&r.by_id);
	zbud_idmap_fini(&r.by_handle);
	return status;
}
