/*
 * follow.c - ticks, measurements and the series of an estimate over time
 *
 * The loop waits for the next tick, or, with a command, for what its
 * processes do meanwhile (child_next()): a process that stops itself or
 * is held at its exit is a point worth a look before it goes on.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "follow.h"

#define MIN_PERIOD 1.0                  /* seconds between periodic measurements, at least */
#define MAX_PROCS 4096                  /* a command's processes followed at once */

struct state {
	double t0, tick_cost, measure_cost, last_measure;
	double read_cpu;                /* the readings' CPU seconds, all */
	double target_cpu, last_cpu;    /* the target's, all; at the last tick */
	double spacing;                 /* the interval's multiplier: 2^thinnings */
	uint64_t most_measured;         /* pages of the largest measurement */
	uint64_t last_pages;            /* the last tick's count */
	bool peak_settled;              /* the peak read while the count held, or again */
	size_t ncells;
	pid_t procs[MAX_PROCS];
};

static double clock_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

const char *follow_why_name(enum follow_why why)
{
	static const char *const name[] = { "tick", "grew", "SIGSTOP", "exit", "end" };

	return name[why];
}

/* ---- the series ---- */

static void point_figs(struct est_follow *f, struct state *s, size_t i)
{
	f->point[i].saved = f->figs + i * s->ncells * 2;
	f->point[i].ratio = f->point[i].saved + s->ncells;
}

/* Every second point goes: of each pair, the measured one, else the one
 * with more pages; the ticks are spaced twice as far from now on. */
static void thin(struct est_follow *f, struct state *s)
{
	for (size_t i = 0; i < f->npoints / 2; i++) {
		const struct follow_point *a = &f->point[2 * i], *b = &f->point[2 * i + 1];
		const struct follow_point *keep = a->measured != b->measured ? (a->measured ? a : b)
						  : a->pages >= b->pages ? a : b;
		float *from = keep->saved;

		f->point[i] = *keep;
		point_figs(f, s, i);
		memmove(f->point[i].saved, from, s->ncells * 2 * sizeof(float));
	}
	f->npoints /= 2;
	s->spacing *= 2;
}

static struct follow_point *new_point(struct est_follow *f, struct state *s)
{
	struct follow_point *p;

	if (f->npoints == FOLLOW_MAX_POINTS)
		thin(f, s);
	p = &f->point[f->npoints];
	memset(p, 0, sizeof(*p));
	point_figs(f, s, f->npoints);
	return p;
}

/* ---- a tick ---- */

static bool worth_measuring(const struct est_follow *f, const struct state *s, uint64_t pages,
			    enum follow_why why, double t)
{
	if (!pages)
		return false;
	if (why == FOLLOW_SIGSTOP || !f->measurements)
		return true;
	if (why == FOLLOW_EXIT)
		return (double)pages > FOLLOW_STOP_SLACK * (double)s->most_measured;
	if ((double)pages > FOLLOW_STOP_SLACK * (double)s->most_measured && pages <= s->last_pages)
		/* Growth that stopped is a peak held, or just passed: read it
		 * whatever the budget. */
		return t - s->last_measure >= 2 * s->measure_cost;
	/* A peak read as the target changed (its count growing, or the
	 * reading's two walks finding other pages: a fill that ended as it
	 * was read) is read again once the count holds, once. */
	if (!s->peak_settled && pages <= s->last_pages &&
	    FOLLOW_STOP_SLACK * (double)pages >= (double)s->most_measured)
		return t - s->last_measure >= 2 * s->measure_cost;
	if (s->read_cpu > FOLLOW_SHARE * s->target_cpu)
		return false;
	if ((double)pages >= FOLLOW_GROWTH * (double)s->most_measured)
		return t - s->last_measure >= FOLLOW_GROWTH_COST * s->measure_cost;
	return t - s->last_measure >= fmax(MIN_PERIOD, FOLLOW_PERIOD_COST * s->measure_cost);
}

/* The CPU time the target's processes used since the last tick, added up
 * (a process that ended takes its own with it: what it used is kept). */
static void target_cpu(struct est_follow *f, struct state *s)
{
	double cpu = 0;

	for (size_t i = 0; i < procset_count(f->set); i++)
		cpu += procmem_cpu(procset_member(f->set, i));
	s->target_cpu += cpu > s->last_cpu ? cpu - s->last_cpu : 0;
	s->last_cpu = cpu;
}

/* A measurement of the target now, into @p; the peak when it is one. */
static int measure(struct est_follow *f, struct state *s, struct follow_point *p, char *why,
		   size_t len)
{
	struct est_config cfg = *f->cfg;
	struct est_result r;
	bool steady, held, near;
	const double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	const int nz = cfg.nzpools;
	int err;

	cfg.no_intervals = true;
	cfg.pool_cap = FOLLOW_POOL_CAP;
	/* One thread: on N CPUs, N threads would take CPUs from the workload. */
	cfg.threads = 1;
	/* Not at nice 19: the loop waits for the reading, and on a loaded
	 * machine a starved one let a Python heap's peak (364 MiB) go by
	 * unticked, reported at 6 MiB. */
	cfg.background = false;
	cfg.keep = true;
	cfg.sizes = NULL;
	cfg.progress = NULL;
	err = estimate_run(f->t, &cfg, &r, why, len);
	/* What a reading takes from the workload is the CPU its thread uses:
	 * the wall clock, stretched on a loaded machine, would space the
	 * readings past a peak that lasts a second. */
	s->measure_cost = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	s->read_cpu += s->measure_cost;
	s->last_measure = now() - s->t0;
	if (err == -ESRCH || err == -ENODATA)
		return 0;               /* gone meanwhile: a point without figures */
	if (err)
		return err;
	f->measurements++;
	p->measured = true;
	for (int c = 0; c < cfg.ncodecs; c++)
		for (int z = 0; z < nz; z++) {
			p->saved[c * nz + z] = (float)r.codec[c].fig[z][EST_SAVED_BYTES].value;
			p->ratio[c * nz + z] = (float)r.codec[c].fig[z][EST_RATIO].value;
		}
	/* Held: a process stopped, or the count did not grow since the tick
	 * before and the reading's walks agreed.  A process's own stop is the
	 * moment it says it is ready, and a held reading is the peak over one
	 * made as the target changed (whose walk took pages mid-fill): each
	 * the peak when no other had more pages (FOLLOW_STOP_SLACK). */
	steady = p->pages <= s->last_pages;
	held = p->why == FOLLOW_SIGSTOP || p->why == FOLLOW_EXIT || (steady && !r.changed);
	near = FOLLOW_STOP_SLACK * (double)r.population >= (double)s->most_measured;
	if (r.population > s->most_measured || !f->has_peak ||
	    (near && (p->why == FOLLOW_SIGSTOP || (held && !s->peak_settled)))) {
		s->peak_settled = held;
		s->most_measured = r.population > s->most_measured ? r.population : s->most_measured;
		estimate_free(&f->peak);
		f->peak = r;
		f->has_peak = true;
		f->peak_point = *p;
		f->peak_point.saved = f->peak_point.ratio = NULL;
	} else {
		/* Read on a steady count and not the peak: the peak is not
		 * read again (a target whose walks never agree, or that is
		 * past its peak, would be read at every tick). */
		s->peak_settled |= steady;
		estimate_free(&r);
	}
	return 0;
}

/* Count the target's pages now, and measure them when it is worth it.
 * -ESRCH when no process of it is left. */
static int tick(struct est_follow *f, struct state *s, enum follow_why why, char *why_s,
		size_t len)
{
	const size_t nextra = f->child ? child_processes(f->child, s->procs, MAX_PROCS) : 0;
	struct target_counts c;
	struct follow_point *p;
	double t = now();
	int err = procset_refresh(f->set, s->procs, nextra < MAX_PROCS ? nextra : MAX_PROCS, why_s,
				  len);

	if (err)
		return err;
	err = target_count(f->t, &c, why_s, len);
	target_cpu(f, s);
	s->tick_cost = now() - t;
	if (err)
		return err;
	p = new_point(f, s);
	p->t = t - s->t0;
	p->pages = c.pages;
	p->processes = c.processes;
	p->why = why;
	if (c.pages > f->most_pages) {
		f->most_pages = c.pages;
		f->most_t = p->t;
	}
	err = worth_measuring(f, s, c.pages, why, p->t) ? measure(f, s, p, why_s, len) : 0;
	s->last_pages = c.pages;
	if (err)
		return err;
	f->npoints++;
	if (f->tick)
		f->tick(f->tick_arg, p);
	return 0;
}

static double interval(const struct est_follow *f, const struct state *s, double t)
{
	/* --every is what the user asked for; the default keeps the ticks'
	 * cost under 1/FOLLOW_TICK_COST of the time. */
	if (f->every > 0)
		return f->every * s->spacing;
	return fmax(fmin(FOLLOW_MAX_TICK, fmax(FOLLOW_MIN_TICK, (t - s->t0) / 100)),
		    FOLLOW_TICK_COST * s->tick_cost) * s->spacing;
}

/* ---- the loop ---- */

/* Wait for the next tick, or an event of the command's: the tick's cause,
 * 1 to wait again (an event answered), or an error. */
static int wait_tick(struct est_follow *f, double until, enum follow_why *why)
{
	struct child_event ev;
	double left = until - now();
	int err;

	*why = FOLLOW_TICK;
	if (!f->child) {
		if (left > 0)
			nanosleep(&(struct timespec){ (time_t)left,
						      (long)((left - floor(left)) * 1e9) }, NULL);
		return 0;
	}
	err = child_next(f->child, left > 0 ? left : 0, &ev);
	if (err)
		return err == -EINTR ? 1 : err;
	switch (ev.kind) {
	case CHILD_STOPPED:
		*why = FOLLOW_SIGSTOP;
		return 0;
	case CHILD_EXITING:
		*why = FOLLOW_EXIT;
		return 0;
	case CHILD_DONE:
		f->ended = true;
		f->status = ev.status;
		*why = FOLLOW_END;
		return 0;
	case CHILD_TIMEOUT:
		return 0;
	default:
		return 1;               /* processes come and go: seen at the next tick */
	}
}

static bool stopping(struct est_follow *f, const struct state *s)
{
	if ((f->stop && *f->stop) || (f->duration > 0 && now() - s->t0 >= f->duration))
		f->interrupted = true;
	return f->interrupted;
}

static int follow_loop(struct est_follow *f, struct state *s, char *why, size_t len)
{
	double next = s->t0;
	int err = 0;

	while (!err && !f->ended && !stopping(f, s)) {
		enum follow_why cause;

		err = wait_tick(f, next, &cause);
		if (err == 1 || cause == FOLLOW_END) {
			err = 0;
			continue;
		}
		if (!err)
			err = tick(f, s, cause, why, len);
		if (f->child && f->child->held_tid)
			child_release(f->child);
		/* A command between its last process's exit and its end is still
		 * followed; a set of processes that is empty is over. */
		if (err == -ESRCH && f->child)
			err = 0;
		else if (err == -ESRCH)
			return f->lost = true, 0;
		next = now() + interval(f, s, now());
	}
	return err;
}

int est_follow(struct est_follow *f, char *why, size_t len)
{
	const size_t ncells = (size_t)f->cfg->ncodecs * (size_t)f->cfg->nzpools;
	struct state *s = calloc(1, sizeof(*s));
	int err = 0;

	f->point = calloc(FOLLOW_MAX_POINTS, sizeof(*f->point));
	f->figs = calloc(FOLLOW_MAX_POINTS * ncells * 2, sizeof(float));
	if (!s || !f->point || !f->figs) {
		snprintf(why, len, "out of memory");
		err = -ENOMEM;
	}
	if (!err) {
		s->ncells = ncells;
		s->spacing = 1;
		s->t0 = now();
		err = follow_loop(f, s, why, len);
		f->seconds = now() - s->t0;
	}
	if (!err && f->has_peak && f->peak.kept)
		err = estimate_refigure(&f->peak, f->final, why, len);
	free(s);
	return err;
}

void est_follow_free(struct est_follow *f)
{
	free(f->figs);
	f->figs = NULL;
	free(f->point);
	f->point = NULL;
	f->npoints = 0;
	estimate_free(&f->peak);
	f->has_peak = false;
}
