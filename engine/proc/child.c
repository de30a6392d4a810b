/*
 * child.c - start a command under ptrace, follow what it starts, and hold
 * any of its processes where it can be read
 *
 * The child waits on a pipe until the parent has seized it, so that no
 * instruction of the command runs untraced; the exec's errno comes back on
 * a second pipe (O_CLOEXEC: a successful exec closes it).  Each traced
 * task (every thread, with CHILD_FOLLOW; else the command's main thread)
 * reports its stops to waitpid(), and each stop is answered:
 *
 *   signal-delivery-stop   the signal passed on (PTRACE_CONT with it); a
 *                          SIGSTOP's sender noted (PTRACE_GETSIGINFO)
 *   PTRACE_EVENT_STOP      with SIGTRAP (a new task's first stop, the end of
 *                          a listen): PTRACE_CONT.  A group stop: by a
 *                          SIGSTOP the process sent itself (or zbud's), held
 *                          (CHILD_STOPPED); any other, left stopped
 *                          (PTRACE_LISTEN) until SIGCONT, as without zbud
 *   PTRACE_EVENT_FORK ...  the new task noted (CHILD_STARTED for a process)
 *   PTRACE_EVENT_EXIT      a process's main thread: held (CHILD_EXITING)
 *
 * WHY A HELD EXIT STOP NEEDS PTRACE_CONT.  A process that called
 * exit_group() is marked as exiting as a whole (SIGNAL_GROUP_EXIT); the
 * kernel then treats it as already dying and wakes none of its threads for
 * a new fatal signal: prepare_signal() and complete_signal() skip the part
 * that would kill the group, and a thread held at PTRACE_EVENT_EXIT is not
 * woken.  SIGKILL does not end such a stop (seen on Linux 6.18): only the
 * tracer's PTRACE_CONT or PTRACE_DETACH does.  So ending a tree here lets
 * every held or stopped task go on after the SIGKILL, and waits for them a
 * few seconds at most.
 */
#define _GNU_SOURCE                     /* pipe2(), __WALL */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

/* Ending or untracing a tree waits this long at most. */
#define END_WAIT_S 5.0
#define WAIT_FLAGS (__WALL | WUNTRACED | WNOHANG)
#define AWAIT_POLL_MS 10                /* stops before the exec are answered this often */

enum origin { NONE, SELF, ZBUD, OTHER };

struct child_task {
	pid_t tid, tgid;
	enum origin stop;               /* who sent the SIGSTOP on its way */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep until SIGCHLD or @until: -EINTR when a handler ran, else 0. */
static int nap(double until)
{
	const double left = until - now();
	struct timespec ts;
	sigset_t chld;

	if (left <= 0)
		return 0;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigtimedwait(&chld, NULL, &ts) < 0 && errno == EINTR)
		return -EINTR;
	return 0;
}

/* ---- the tasks ---- */

static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	pid_t tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	while (f && !tgid && fgets(line, sizeof(line), f))
		sscanf(line, "Tgid: %d", &tgid);
	if (f)
		fclose(f);
	return tgid > 0 ? tgid : tid;
}

static struct child_task *find(struct child *c, pid_t tid)
{
	for (size_t i = 0; i < c->ntasks; i++)
		if (c->task[i].tid == tid)
			return &c->task[i];
	return NULL;
}

static bool has_process(const struct child *c, pid_t tgid)
{
	for (size_t i = 0; i < c->ntasks; i++)
		if (c->task[i].tgid == tgid)
			return true;
	return false;
}

/* NULL when out of memory: the task then runs on unseen. */
static struct child_task *add(struct child *c, pid_t tid, pid_t tgid)
{
	if (c->ntasks == c->cap) {
		const size_t cap = c->cap ? 2 * c->cap : 16;
		struct child_task *t = realloc(c->task, cap * sizeof(*t));

		if (!t)
			return NULL;
		c->task = t;
		c->cap = cap;
	}
	c->task[c->ntasks] = (struct child_task){ tid, tgid, NONE };
	return &c->task[c->ntasks++];
}

static void drop(struct child *c, struct child_task *t)
{
	*t = c->task[--c->ntasks];
}

size_t child_processes(const struct child *c, pid_t *out, size_t max)
{
	size_t n = 0;

	if (!c->traced)
		return c->done ? 0 : (max ? (out[0] = c->pid, 1) : 1);
	for (size_t i = 0; i < c->ntasks; i++) {
		const struct child_task *t = &c->task[i];

		if (t->tid != t->tgid)
			continue;
		if (n < max)
			out[n] = t->tgid;
		/* The command first. */
		if (t->tgid == c->pid && n && n < max)
			out[n] = out[0], out[0] = c->pid;
		n++;
	}
	return n;
}

/* ---- starting ---- */

static int exec_child(char *const argv[], const int go[2], const int report[2],
		      const sigset_t *mask)
{
	char byte;
	int err;

	close(go[1]);
	close(report[0]);
	pthread_sigmask(SIG_SETMASK, mask, NULL);
	while (read(go[0], &byte, 1) < 0 && errno == EINTR)
		;
	execvp(argv[0], argv);
	err = errno;
	if (write(report[1], &err, sizeof(err)) != sizeof(err))
		_exit(126);
	_exit(127);
}

static void seize(struct child *c)
{
	long opts = PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL;

	if (c->flags & CHILD_FOLLOW)
		opts |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
			PTRACE_O_TRACEEXEC;
	c->traced = !ptrace(PTRACE_SEIZE, c->pid, 0, opts) && add(c, c->pid, c->pid);
}

static bool on_report(struct child *c, pid_t tid, int status, struct child_event *ev);

/*
 * The exec's result from the report pipe, answering the child's stops
 * meanwhile: a traced child stops at what comes before its exec (a thread
 * a sanitizer's runtime starts after fork(), a signal), and would wait for
 * zbud while zbud waits for it.  An event found is kept for child_next().
 */
static ssize_t await_exec(struct child *c, int fd, int *err)
{
	struct pollfd p = { fd, POLLIN, 0 };

	for (;;) {
		const int ready = poll(&p, 1, AWAIT_POLL_MS);
		struct child_event ev;
		int status;
		pid_t tid;

		if (ready > 0) {
			const ssize_t got = read(fd, err, sizeof(*err));

			if (got >= 0 || errno != EINTR)
				return got;
		} else if (ready < 0 && errno != EINTR) {
			return -1;
		}
		while (c->traced && (tid = waitpid(-1, &status, WAIT_FLAGS)) > 0)
			if (on_report(c, tid, status, &ev) && !c->has_pending) {
				c->pending = ev;
				c->has_pending = true;
			}
	}
}

int child_start(struct child *c, char *const argv[], unsigned int flags, char *why, size_t len)
{
	int report[2] = { -1, -1 }, go[2] = { -1, -1 }, err = 0;
	sigset_t chld;
	ssize_t got;

	memset(c, 0, sizeof(*c));
	c->flags = flags;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	/* Ignored SIGCHLD would reap children behind waitpid()'s back. */
	signal(SIGCHLD, SIG_DFL);
	pthread_sigmask(SIG_BLOCK, &chld, &c->old_mask);
	if (pipe2(report, O_CLOEXEC) || pipe2(go, O_CLOEXEC) || (c->pid = fork()) < 0) {
		err = -errno;
		c->pid = 0;
		snprintf(why, len, "cannot start '%s': %s", argv[0], strerror(-err));
		goto out;
	}
	if (c->pid == 0)
		exec_child(argv, go, report, &c->old_mask);
	if (flags & CHILD_TRACE)
		seize(c);
	close(go[1]);                   /* the child may exec now */
	go[1] = -1;
	close(report[1]);
	report[1] = -1;
	got = await_exec(c, report[0], &err);
	if (got == sizeof(err)) {
		snprintf(why, len, "cannot run '%s': %s", argv[0], strerror(err));
		err = -err;
		child_kill(c);
	} else {
		err = 0;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (report[i] >= 0)
			close(report[i]);
		if (go[i] >= 0)
			close(go[i]);
	}
	if (err) {
		free(c->task);
		c->task = NULL;
		c->ntasks = 0;
		c->pid = 0;
		pthread_sigmask(SIG_SETMASK, &c->old_mask, NULL);
	}
	return err;
}

/* ---- stops ---- */

static bool hold(struct child *c, pid_t tid, pid_t pid, enum child_kind kind, bool by_zbud,
		 struct child_event *ev)
{
	c->held_tid = tid;
	c->held_pid = pid;
	c->held_kind = kind;
	*ev = (struct child_event){ .kind = kind, .pid = pid, .by_zbud = by_zbud };
	return true;
}

/* A SIGSTOP about to be delivered: note who sent it. */
static void note_sigstop(struct child *c, struct child_task *t)
{
	siginfo_t si;

	if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si))
		return;
	if (si.si_code <= 0 && si.si_pid == t->tgid)
		t->stop = SELF;
	else if (si.si_code <= 0 && si.si_pid == getpid() && c->interrupted)
		t->stop = ZBUD;
	else
		t->stop = OTHER;
}

/* Who sent the SIGSTOP that stopped @tgid, forgotten once asked.  Unknown
 * when it was delivered to a thread not traced: as without CHILD_FOLLOW,
 * such a stop is taken for one the process sent itself. */
static enum origin stop_origin(struct child *c, pid_t tgid)
{
	enum origin o = NONE;

	for (size_t i = 0; i < c->ntasks; i++) {
		if (c->task[i].tgid == tgid && c->task[i].stop != NONE) {
			o = c->task[i].stop;
			c->task[i].stop = NONE;
		}
	}
	return o == NONE ? (c->interrupted ? ZBUD : SELF) : o;
}

static bool on_event_stop(struct child *c, struct child_task *t, int sig, struct child_event *ev)
{
	enum origin o;

	if (sig == SIGTRAP) {
		ptrace(PTRACE_CONT, t->tid, 0, 0);
		return false;
	}
	o = sig == SIGSTOP ? stop_origin(c, t->tgid) : OTHER;
	if (o == SELF || o == ZBUD)
		return hold(c, t->tid, t->tgid, CHILD_STOPPED, o == ZBUD, ev);
	ptrace(PTRACE_LISTEN, t->tid, 0, 0);
	return false;
}

static bool on_new_task(struct child *c, struct child_task *t, int event, struct child_event *ev)
{
	unsigned long msg = 0;
	const pid_t parent = t->tid;
	bool started = false;

	ptrace(PTRACE_GETEVENTMSG, parent, 0, &msg);
	if (msg && !find(c, (pid_t)msg)) {
		const pid_t tid = (pid_t)msg;
		const pid_t tgid = event == PTRACE_EVENT_CLONE ? tgid_of(tid) : tid;

		started = tgid == tid && add(c, tid, tgid);
	}
	ptrace(PTRACE_CONT, parent, 0, 0);
	if (started)
		*ev = (struct child_event){ .kind = CHILD_STARTED, .pid = (pid_t)msg };
	return started;
}

static bool on_traced_stop(struct child *c, struct child_task *t, int status,
			   struct child_event *ev)
{
	const int sig = WSTOPSIG(status), event = (int)((unsigned int)status >> 16);
	unsigned long former = 0;
	struct child_task *old;

	switch (event) {
	case PTRACE_EVENT_EXIT:
		if (t->tid == t->tgid)
			return hold(c, t->tid, t->tgid, CHILD_EXITING, false, ev);
		break;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		return on_new_task(c, t, event, ev);
	case PTRACE_EVENT_EXEC:
		/* A thread that execs takes the main thread's number. */
		ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &former);
		old = (pid_t)former != t->tid ? find(c, (pid_t)former) : NULL;
		if (old)
			drop(c, old);
		break;
	case PTRACE_EVENT_STOP:
		return on_event_stop(c, t, sig, ev);
	case 0:
		if (sig == SIGSTOP)
			note_sigstop(c, t);
		ptrace(PTRACE_CONT, t->tid, 0, sig);
		return false;
	default:
		break;
	}
	ptrace(PTRACE_CONT, t->tid, 0, 0);
	return false;
}

/* One waitpid() report; true with @ev filled when it is an event. */
static bool on_report(struct child *c, pid_t tid, int status, struct child_event *ev)
{
	struct child_task *t = find(c, tid);
	pid_t tgid = t ? t->tgid : tid;

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		const bool leader = tid == tgid;

		if (t)
			drop(c, t);
		if (tid == c->pid) {
			c->done = true;
			c->status = status;
			*ev = (struct child_event){ .kind = CHILD_DONE, .pid = tid, .status = status };
			return true;
		}
		*ev = (struct child_event){ .kind = CHILD_ENDED, .pid = tgid, .status = status };
		return leader && !has_process(c, tgid);
	}
	if (!WIFSTOPPED(status))
		return false;
	if (!c->traced)
		return WSTOPSIG(status) == SIGSTOP &&
		       hold(c, tid, tid, CHILD_STOPPED, c->interrupted, ev);
	if (!t) {
		/* A new task stops before its parent's event says so. */
		tgid = tgid_of(tid);
		t = add(c, tid, tgid);
		if (!t) {
			ptrace(PTRACE_DETACH, tid, 0, 0);
			return false;
		}
		if (tid == tgid) {
			c->pending = (struct child_event){ .kind = CHILD_STARTED, .pid = tid };
			c->has_pending = true;
		}
	}
	return on_traced_stop(c, t, status, ev);
}

int child_next(struct child *c, double timeout, struct child_event *ev)
{
	const double until = now() + timeout;

	if (c->held_tid)
		return -EBUSY;
	for (;;) {
		int status, err;
		pid_t tid;

		if (c->has_pending) {
			*ev = c->pending;
			c->has_pending = false;
			return 0;
		}
		tid = waitpid(-1, &status, WAIT_FLAGS);
		if (tid > 0) {
			if (on_report(c, tid, status, ev))
				return 0;
			continue;
		}
		if (tid < 0 && errno == EINTR)
			continue;
		if (tid < 0 && errno == ECHILD) {
			/* Reaped behind our back, or never ours: nothing to wait for. */
			c->done = true;
			return -ECHILD;
		}
		if (tid < 0 && errno != ECHILD)
			return -errno;
		if (now() >= until) {
			*ev = (struct child_event){ .kind = CHILD_TIMEOUT };
			return 0;
		}
		err = nap(until);
		if (err)
			return err;
	}
}

void child_release(struct child *c)
{
	if (!c->held_tid)
		return;
	if (c->held_kind == CHILD_STOPPED)
		kill(c->held_pid, SIGCONT);
	if (c->traced)
		ptrace(PTRACE_CONT, c->held_tid, 0, 0);
	c->held_tid = c->held_pid = 0;
}

int child_interrupt(struct child *c)
{
	c->interrupted = true;
	return c->done || kill(c->pid, SIGSTOP) ? -ESRCH : 0;
}

/* ---- ending ---- */

/* Wait until the command is reaped and no task is left, answering each
 * stop with @answer (PTRACE_CONT or PTRACE_DETACH); false after the wait. */
static bool drain(struct child *c, enum __ptrace_request answer)
{
	const double until = now() + END_WAIT_S;

	while (!c->done || c->ntasks) {
		int status;
		pid_t tid = waitpid(-1, &status, WAIT_FLAGS);
		struct child_task *t;

		if (tid < 0 && errno == EINTR)
			continue;
		if (tid < 0 && errno == ECHILD)
			return !c->ntasks;      /* the rest are gone, or were never ours */
		if (tid == 0) {
			if (now() >= until)
				return false;
			nap(until);
			continue;
		}
		t = find(c, tid);
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			c->done |= tid == c->pid;
			c->status = tid == c->pid ? status : c->status;
			if (t)
				drop(c, t);
		} else if (WIFSTOPPED(status)) {
			const int sig = status >> 16 ? 0 : WSTOPSIG(status);

			ptrace(answer, tid, 0, answer == PTRACE_DETACH || sig != SIGSTOP ? sig : 0);
			if (answer == PTRACE_DETACH && t)
				drop(c, t);
		}
		if (answer == PTRACE_DETACH && !c->ntasks)
			return true;
	}
	return true;
}

int child_kill(struct child *c)
{
	bool gone;

	if (!c->pid)
		return 0;
	for (size_t i = 0; i < c->ntasks; i++)
		kill(c->task[i].tgid, SIGKILL);
	if (!c->done)
		kill(c->pid, SIGKILL);
	/* Held or exiting tasks go on only when let go: see the top. */
	for (size_t i = 0; i < c->ntasks; i++)
		ptrace(PTRACE_CONT, c->task[i].tid, 0, 0);
	if (!c->traced && c->held_tid)
		kill(c->pid, SIGCONT);
	c->held_tid = c->held_pid = 0;
	gone = drain(c, PTRACE_CONT);
	for (size_t i = 0; !gone && i < c->ntasks; i++)
		ptrace(PTRACE_DETACH, c->task[i].tid, 0, 0);
	if (!gone)
		c->ntasks = 0;
	c->done = true;
	return gone ? 0 : -ETIMEDOUT;
}

size_t child_end(struct child *c)
{
	pid_t live[64];
	size_t left = 0;

	if (!c->pid)
		return 0;
	if (c->pid && !c->done)
		child_kill(c);
	child_release(c);
	left = child_processes(c, live, 0);
	/* A running tracee is detached from a stop: interrupt each first. */
	for (size_t i = 0; i < c->ntasks; i++)
		ptrace(PTRACE_INTERRUPT, c->task[i].tid, 0, 0);
	if (c->ntasks && !drain(c, PTRACE_DETACH))
		c->ntasks = 0;          /* left traced: they die with zbud (EXITKILL) */
	free(c->task);
	c->task = NULL;
	c->ntasks = c->cap = 0;
	c->pid = 0;
	pthread_sigmask(SIG_SETMASK, &c->old_mask, NULL);
	return left;
}

void child_describe_end(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}
