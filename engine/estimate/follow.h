/*
 * follow.h - an estimate over a workload's whole life: its pages counted
 * as it runs, measured where it matters, and its peak
 *
 *	struct est_follow f = { .cfg = &cfg, .t = target, .set = set, ... };
 *	est_follow(&f, why, len);
 *	... f.peak: the figures at the most memory; f.series: over time ...
 *	est_follow_free(&f);
 *
 * A tick counts the target's pages (target_count(): the kernel's counters,
 * no page read); a measurement reads a sample of them (as the configuration says: the CLI
 * asks FOLLOW_SAMPLE pages) and estimates them, on one thread at the
 * workload's priority, whatever est_config.threads says (the peak's
 * figures at the end take them all).  Ticks come every
 * `every` seconds as asked, or, by default, at an interval that grows with
 * the run (a hundredth of the time followed, 0.1 s to 5 s) and stays at
 * least FOLLOW_TICK_COST times what a tick costs.
 *
 * What a reading costs the workload is the CPU it takes: on a loaded
 * machine (or where the scheduler groups a session's processes, as
 * autogroup does) that CPU comes out of the workload's own share, nice
 * or not.  So readings are held to a budget, FOLLOW_SHARE of the CPU time
 * the target's processes have used so far; a reading is made
 *
 *   - at the first tick with pages;
 *   - when the pages grew past the largest measured by FOLLOW_STOP_SLACK
 *     and then stopped growing (a tick with no more pages than the last:
 *     a peak held, or just passed), whatever the budget (a sleeping target
 *     has none: a fill read mid-way is read again once held), no more
 *     often than once in twice the CPU time the last one took;
 *   - the same way, once, when the peak was read as the target changed
 *     (its count grew since the tick before, or the reading's walks found
 *     other pages: a fill that ended as it was read) and the count now
 *     holds within FOLLOW_STOP_SLACK of it: that reading is the peak;
 *   - within the budget, when the pages grow past the largest measured by
 *     FOLLOW_GROWTH (no more often than FOLLOW_GROWTH_COST times the CPU
 *     time the last one took);
 *   - when a process of the target stops itself with SIGSTOP, and when
 *     one is held at its exit with more pages in the target than any
 *     measurement had, by FOLLOW_STOP_SLACK (a compiler's cc1 peaks just
 *     before it exits);
 *   - within the budget, otherwise every FOLLOW_PERIOD_COST times that
 *     CPU time, so that the series has figures all along.
 *
 * The peak is the measured point with the most pages (a held one before
 * one read as the target changed, within FOLLOW_STOP_SLACK); its figures are
 * made again at the end with their intervals (estimate_refigure()).  A
 * point between measurements has the pages, not the figures.  Memory does
 * not grow with the run: at most FOLLOW_MAX_POINTS points, and when full,
 * every second one goes (the one with fewer pages, a measured one kept
 * before one that is not).
 */
#ifndef ZBUD_FOLLOW_H
#define ZBUD_FOLLOW_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "child.h"
#include "estimate.h"
#include "procset.h"

#define FOLLOW_MAX_POINTS 1024
#define FOLLOW_GROWTH 1.10              /* pages past the largest measured: measure */
#define FOLLOW_TICK_COST 50             /* a tick at most 1/50 of the time */
#define FOLLOW_PERIOD_COST 20           /* a periodic measurement: 1/20 of the time */
#define FOLLOW_GROWTH_COST 4            /* a growing target: 1/4 of the time at most */
#define FOLLOW_SHARE 0.03               /* readings: 3% of the target's CPU time */
/* A reading's pages: a Python heap's ratio within ~4% (2000 pages, within
 * 2%, cost a 1 GiB workload of 4 CPU seconds 10% a reading); a reading's
 * pools, a sample's sizes once or about (the peak's get EST_POOL_CAP). */
#define FOLLOW_SAMPLE 500
#define FOLLOW_POOL_CAP 2048
/* A process's own SIGSTOP reading is the peak unless one had this many
 * times its pages, and a process held at its exit is read when the target
 * has this many times the largest reading's: a heap's few pages come and
 * go, and a reading of 1 GiB costs 0.1 s of CPU. */
#define FOLLOW_STOP_SLACK 1.01
#define FOLLOW_MIN_TICK 0.1
#define FOLLOW_MAX_TICK 5.0

/* What caused a measurement. */
enum follow_why { FOLLOW_TICK, FOLLOW_GREW, FOLLOW_SIGSTOP, FOLLOW_EXIT, FOLLOW_END };

/* A point of the series. */
struct follow_point {
	double t;                       /* seconds since the start */
	uint64_t pages;                 /* the pages zswap would be given then */
	uint32_t processes;
	bool measured;                  /* saved[] and ratio[] are there */
	enum follow_why why;
	float *saved, *ratio;           /* [codec * nzpools + zpool]; bytes */
};

struct est_follow {
	/* in */
	const struct est_config *cfg;   /* each measurement's (its intervals off) */
	const struct est_config *final; /* the peak's, again at the end */
	struct target *t;               /* over set */
	struct procset *set;            /* refreshed at each tick */
	struct child *child;            /* the command, or NULL (--pid, --cgroup) */
	double every;                   /* 0: the interval grows with the run */
	double duration;                /* 0: until the target ends */
	volatile sig_atomic_t *stop;    /* set by a signal handler: stop now */
	void (*tick)(void *arg, const struct follow_point *p);  /* NULL: none */
	void *tick_arg;
	/* out */
	struct follow_point *point;
	size_t npoints;
	float *figs;                    /* the points' saved[] and ratio[] */
	struct est_result peak;         /* has_peak */
	bool has_peak;
	struct follow_point peak_point;
	uint64_t most_pages;            /* the most any tick counted */
	double most_t;
	unsigned int measurements;
	double seconds;                 /* followed */
	bool ended;                     /* the command ended: status */
	int status;
	bool interrupted;               /* *stop, or --duration */
	bool lost;                      /* the processes went before the command did */
};

/*
 * est_follow - follow @f's target until it ends (the command, or every
 * process of the set), @f->duration passes, or *@f->stop
 *
 * Returns 0 with what was seen (even when the target ended before any
 * measurement: has_peak false); -ENOMEM, a compressor's failure, or the
 * ptrace refusal of every process, with @why.
 */
int est_follow(struct est_follow *f, char *why, size_t len);

void est_follow_free(struct est_follow *f);

/* follow_why_name - "tick", "grew", "SIGSTOP", "exit", "end" */
const char *follow_why_name(enum follow_why why);

#endif /* ZBUD_FOLLOW_H */
