/*
 * estimate_run.c - `zbud estimate`'s work: the target opened, then read
 * once (--once, a file) or followed over its life (follow.h)
 *
 * Every way out leaves nothing stopped or traced: a command read once is
 * let go to its end, as it would have run without zbud; one that failed
 * to be read is killed; processes of a followed command still running
 * when it ends are untraced and left to run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "builtin.h"
#include "estimate_cli.h"
#include "estimate_kernel.h"

#define FOREVER_S 3600.0                /* waits for a command, a round at a time */

static int fail(int rc, const char *fmt, const char *arg)
{
	fprintf(stderr, "zbud estimate: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return rc;
}

/* ---- the target ---- */

/*
 * Start the command; with --once, hold it where it is read: its own
 * SIGSTOP, its exit, or the delay, the first of them.  0 (*@at saying
 * which), or the exit status with nothing left running.
 */
static int start_command(const struct est_args *a, struct est_work *w, char *const *argv,
			 const char **at)
{
	const unsigned int flags = CHILD_TRACE | (a->follow ? CHILD_FOLLOW : 0);
	struct child *c = &w->child;
	struct child_event ev = { .kind = CHILD_TIMEOUT };
	char why[256], how[96];
	int err = child_start(c, argv, flags, why, sizeof(why));

	if (err == -ENOENT && !a->cmd)
		return fail(1, "%s", "the built-in workload needs python3, which is not here; "
			    "name a target (--pid, --cgroup, --core, --raw or -- CMD)");
	if (err)
		return fail(1, "%s", why);
	w->started = true;
	while (a->once && !(err = child_next(c, a->delay > 0 && !c->interrupted ? a->delay
								     : FOREVER_S, &ev))) {
		if (ev.kind == CHILD_STOPPED || ev.kind == CHILD_EXITING || ev.kind == CHILD_DONE)
			break;
		if (ev.kind == CHILD_TIMEOUT && a->delay > 0 && !c->interrupted)
			child_interrupt(c);
		child_release(c);
	}
	*at = ev.kind == CHILD_EXITING ? "exit" : ev.by_zbud ? "delay" : "SIGSTOP";
	if (!a->once || (!err && ev.kind != CHILD_DONE))
		return 0;
	if (err)
		return fail(1, "cannot follow the command: %s", strerror(-err));
	child_describe_end(ev.status, how, sizeof(how));
	fprintf(stderr, "zbud estimate: '%s' %s before it could be read%s\n", argv[0], how,
		c->traced || WIFSIGNALED(ev.status) ? "" : " (the kernel refused to trace it: it "
		"can be read only when it stops itself, or after --delay)");
	return 1;
}

static int open_procs(const struct est_args *a, struct est_work *w)
{
	char why[320];
	int err;

	/* Each process given, looked at first: none such, a zombie, a kernel
	 * thread, or the kernel's ptrace refusal, said at once. */
	for (size_t i = 0; i < a->npids; i++) {
		struct procmem *pm;

		if (procmem_open(&pm, a->pid[i], why, sizeof(why)))
			return fail(1, "%s", why);
		procmem_close(pm);
	}
	w->set = procset_new();
	err = w->set ? target_open_processes(&w->t, w->set, &a->sel, true) : -ENOMEM;
	for (size_t i = 0; !err && i < a->npids; i++)
		err = procset_add_pid(w->set, a->pid[i]);
	if (err)
		return fail(1, "%s", "out of memory");
	for (size_t i = 0; i < a->ncgroups; i++) {
		err = procset_add_cgroup(w->set, a->cgroup[i], why, sizeof(why));
		if (err)
			return fail(err == -ENOENT ? 2 : 1, "%s", why);
	}
	procset_follow(w->set, a->follow && a->npids);
	if (procset_refresh(w->set, NULL, 0, why, sizeof(why)))
		return fail(1, "%s", why);
	if (a->npids == 1 && !procmem_state(a->pid[0], w->name, sizeof(w->name)))
		snprintf(w->name, sizeof(w->name), "?");
	if (!a->cmd && !procset_count(w->set) && a->ncgroups)
		return fail(1, "no process in %s to read", a->ncgroups == 1 ? a->cgroup[0]
								  : "the cgroups");
	return 0;
}

static int open_file(const struct est_args *a, struct est_work *w)
{
	char why[256];
	const int err = a->core ? target_open_core(&w->t, a->core, &a->sel, why, sizeof(why))
				: target_open_raw(&w->t, a->raw, why, sizeof(why));

	/* Not a file zbud can read (a directory, a FIFO, a core that is not
	 * one) is bad input; one that cannot be read, a failure. */
	return err ? fail(err == -EINVAL || err == -EISDIR ? 2 : 1, "%s", why) : 0;
}

/* ---- once ---- */

static int run_once(const struct est_args *a, struct est_work *w, struct est_report *rep)
{
	char why[256];
	const pid_t held = w->child.held_pid;
	int err = w->set ? procset_refresh(w->set, &held, held ? 1 : 0, why, sizeof(why)) : 0;

	if (err)
		return fail(1, "%s", why);
	err = estimate_run(w->t, &a->cfg, &w->res, why, sizeof(why));
	if (err == -ENODATA || (!err && !w->res.counts.pages))
		return fail(1, "no pages to measure: none %s", a->raw ? "in the file" : a->core
			    ? "of its segments is in the file" : a->sel.all ? "in memory"
			    : "that zswap would be given (see --all)");
	if (err)
		return fail(1, "%s", why);
	rep->res = &w->res;
	if (w->set && a->npids) {
		const char state = procmem_state(a->pid[0], NULL, 0);

		rep->at = state == 'T' || state == 't' ? "stopped" : "running";
	}
	return 0;
}

/* ---- over time ---- */

static int run_follow(struct est_args *a, struct est_work *w, struct est_report *rep,
		      volatile sig_atomic_t *stop,
		      void (*tick)(void *arg, const struct follow_point *p))
{
	static struct est_config each, final;
	struct est_follow *f = &w->follow;
	char why[320];
	int err;

	/* Each reading a sample, unless told; the peak's intervals at the end. */
	each = a->cfg;
	each.sizes = NULL;
	each.keep_bytes = a->vs_kernel;
	if (!a->sample_given)
		each.sample_pages = FOLLOW_SAMPLE;
	final = each;
	final.sizes = a->cfg.sizes;
	final.sizes_arg = a->cfg.sizes_arg;
	*f = (struct est_follow){
		.cfg = &each, .final = &final, .t = w->t, .set = w->set,
		.child = w->started ? &w->child : NULL, .every = a->every,
		.duration = a->duration, .stop = stop, .tick = tick, .tick_arg = f,
	};
	err = est_follow(f, why, sizeof(why));
	if (f->ended)
		child_describe_end(f->status, w->ended, sizeof(w->ended));
	if (err)
		return fail(1, "%s", why);
	if (!f->has_peak && !f->most_pages)
		return fail(1, "no pages to measure: none %s", a->sel.all ? "in memory"
			    : "that zswap would be given (see --all)");
	if (!f->has_peak)
		return fail(1, "'%s' ended before any page of it could be read", a->cmd ? a->cmd[0]
			    : a->npids || a->ncgroups ? "the target" : "python3");
	rep->res = &f->peak;
	rep->cfg = &final;
	rep->follow = f;
	rep->at = follow_why_name(f->peak_point.why);
	return 0;
}

int est_work_run(struct est_args *a, struct est_work *w, struct est_report *rep,
		 volatile sig_atomic_t *stop, void (*tick)(void *arg, const struct follow_point *p))
{
	const bool files = a->core || a->raw;
	const char *at = NULL;
	int rc;

	memset(w, 0, sizeof(*w));
	*rep = (struct est_report){ .args = a, .cfg = &a->cfg };
	rc = files ? open_file(a, w) : open_procs(a, w);
	if (!rc && !files && !a->npids && !a->ncgroups)
		rc = start_command(a, w, a->cmd ? a->cmd : builtin_argv(), &at);
	/* --vs-kernel writes the bytes of the reading reported: kept. */
	a->cfg.keep = a->cfg.keep_bytes = a->vs_kernel;
	if (!rc)
		rc = files || a->once ? run_once(a, w, rep) : run_follow(a, w, rep, stop, tick);
	rep->kind = a->core ? "core" : a->raw ? "raw" : a->ncgroups ? "cgroup" : a->npids > 1
		    ? "processes" : a->npids ? "process" : a->cmd ? "command" : "built-in";
	rep->name = a->core ? a->core : a->raw ? a->raw : a->ncgroups ? a->cgroup[0]
		    : a->npids ? w->name : a->cmd ? a->cmd[0] : "python3";
	rep->pid = w->started ? w->child.pid : a->npids == 1 ? a->pid[0] : 0;
	rep->at = rep->at ? rep->at : at;
	rep->frames = w->t && target_frames(w->t);
	rep->ended = w->ended[0] ? w->ended : NULL;
	w->kernel = rc ? NULL : calloc(1, sizeof(*w->kernel));
	if (w->kernel) {
		estimate_kernel_read(w->kernel);
		if (a->vs_kernel)
			estimate_vs_kernel(w->kernel, rep, stop);
	}
	rep->kernel = w->kernel;
	return rc;
}

void est_work_end(struct est_work *w, bool failed)
{
	struct child_event ev;

	if (w->started) {
		if (failed)
			child_kill(&w->child);
		/* Read once: it runs on to its end, as it would have without zbud. */
		child_release(&w->child);
		/* Followed and stopped (Ctrl-C): untraced, it goes its own way. */
		while (!w->follow.interrupted && !w->child.done &&
		       !child_next(&w->child, FOREVER_S, &ev))
			child_release(&w->child);
		child_end(&w->child);
	}
	est_follow_free(&w->follow);
	estimate_free(&w->res);
	free(w->kernel);
	target_close(w->t);
	procset_free(w->set);
}
