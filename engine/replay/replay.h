/*
 * replay.h - drive one pool through a trace and log its decisions
 *
 * The engine behind `zbud replay`, apart from the command line so that the
 * fuzz targets and tests can run it on memory.
 */
#ifndef ZBUD_REPLAY_H
#define ZBUD_REPLAY_H

#define ZPOOL_STATIC_LINKING_ONLY
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "zpool.h"

struct replay_opts {
	const char *allocator;  /* a zpool type; NULL: the first built in */
	bool check;             /* run the invariant checker after every operation,
				   and check every object's bytes when it goes */
	bool log;               /* print the decision log */
	/* if set, called with the pool once the whole trace was replayed,
	 * before the pool is destroyed: to look at what is left */
	void (*at_end)(struct zpool *pool, void *arg);
	void *at_end_arg;
};

#define REPLAY_MAX_PLACES ZPOOL_PLACE_NR

struct replay_summary {
	uint64_t lines, ops;
	uint64_t allocs, alloc_errors;
	struct {
		enum zpool_place place; /* where zpool_handle_place() says */
		const char *name;       /* its name: "first", ... */
		uint64_t count;
	} places[REPLAY_MAX_PLACES];    /* in order of first use; name NULL after */
	uint64_t frees, reclaims, reclaims_ok, evicted;
	uint64_t pages, peak_pages;
	uint64_t live_objects, live_bytes;
};

enum replay_status {
	REPLAY_OK = 0,
	REPLAY_FAILED = 1,      /* the pool could not be made, a check or I/O failed */
	REPLAY_BAD_TRACE = 2,
};

/*
 * replay_run - read the trace from @in, write the log to @out
 *
 * On REPLAY_BAD_TRACE or REPLAY_FAILED, @err holds one line saying what went
 * wrong ("line N: ..." where a line is to blame), without a newline.
 */
enum replay_status replay_run(FILE *in, FILE *out, const struct replay_opts *opts,
			      struct replay_summary *sum, char *err, size_t errlen);

#endif /* ZBUD_REPLAY_H */
