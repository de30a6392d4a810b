/*
 * child.h - run a command to be measured, and hold it (or any process it
 * starts) where it can be read: when it stops itself, at its exit, or
 * when zbud asks
 *
 *	struct child c;
 *	struct child_event ev;
 *	if (!child_start(&c, argv, CHILD_TRACE | CHILD_FOLLOW, why, len)) {
 *		while (!child_next(&c, 0.5, &ev) && ev.kind != CHILD_DONE) {
 *			... read ev.pid (or child_processes()) ...
 *			child_release(&c);
 *		}
 *		child_end(&c);
 *	}
 *
 * The command is run with execvp() (a PATH search, never a shell).  With
 * CHILD_TRACE it is seized with ptrace(PTRACE_SEIZE) before it execs, so
 * that no instruction of it runs untraced, and held at its exit stop,
 * before its memory is torn down; with CHILD_FOLLOW, each process it
 * starts (fork, vfork, clone) is seized too, as it comes.  Signals reach
 * them as they would without zbud: a SIGSTOP a process sends itself is
 * held for the caller and undone by child_release(), as SIGCONT would; a
 * stop sent by anyone else, or by SIGTSTP and kin, lasts until SIGCONT.
 * Where the kernel refuses to trace (Yama's ptrace_scope 3, seccomp), the
 * command runs untraced: it can be held only when it stops itself with
 * SIGSTOP, or at child_interrupt().
 *
 * SIGCHLD is blocked in the calling thread from child_start() until
 * child_end(), so that child_next() waits for it without missing one;
 * threads the caller starts meanwhile inherit that.  Nothing here waits
 * forever: a process that will not end is left to the kernel, and said so.
 */
#ifndef ZBUD_CHILD_H
#define ZBUD_CHILD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CHILD_TRACE 1u                  /* seize it: read it at its exit */
#define CHILD_FOLLOW 2u                 /* and every process it starts */

enum child_kind {
	CHILD_TIMEOUT,                  /* nothing happened in time */
	CHILD_STOPPED,                  /* held: it stopped itself with SIGSTOP (or by_zbud) */
	CHILD_EXITING,                  /* held at its exit, its memory intact */
	CHILD_STARTED,                  /* a new process of the tree (CHILD_FOLLOW) */
	CHILD_ENDED,                    /* a process of the tree ended */
	CHILD_DONE,                     /* the command itself ended: status */
};

struct child_event {
	enum child_kind kind;
	pid_t pid;                      /* the process (thread group) */
	bool by_zbud;                   /* CHILD_STOPPED by child_interrupt() */
	int status;                     /* CHILD_ENDED, CHILD_DONE: waitpid()'s */
};

struct child_task;

struct child {
	pid_t pid;                      /* the command */
	unsigned int flags;
	bool traced;                    /* seized: the kernel allowed it */
	bool done;                      /* the command was reaped: status */
	int status;
	bool interrupted;               /* child_interrupt() sent a SIGSTOP */
	pid_t held_tid, held_pid;       /* a task held for the caller; 0: none */
	enum child_kind held_kind;
	struct child_event pending;     /* one more event found with the last */
	bool has_pending;
	struct child_task *task;        /* traced tasks */
	size_t ntasks, cap;
	sigset_t old_mask;
};

/*
 * child_start - run @argv with @flags
 *
 * Returns 0, or with nothing left running a negative errno and one line in
 * @why: the exec's (-ENOENT: no such command; -EACCES), or pipe()'s,
 * fork()'s.
 */
int child_start(struct child *c, char *const argv[], unsigned int flags, char *why,
		size_t len);

/*
 * child_next - the next event within @timeout seconds
 *
 * Returns 0 with @ev filled (CHILD_TIMEOUT when none came in time; after
 * CHILD_DONE, CHILD_ENDED for the processes left and then -ECHILD);
 * -EINTR when a signal handler ran; -EBUSY while a task is held; another
 * negative errno from waitpid() or ptrace().
 */
int child_next(struct child *c, double timeout, struct child_event *ev);

/* child_release - let the held process run on (SIGCONT after its SIGSTOP) */
void child_release(struct child *c);

/*
 * child_interrupt - stop the command now: child_next() reports it as
 * CHILD_STOPPED with by_zbud set; 0 or the errno of kill() negated
 */
int child_interrupt(struct child *c);

/* child_processes - the live processes of the tree (the command first), at
 * most @max of them; returns how many there are */
size_t child_processes(const struct child *c, pid_t *out, size_t max);

/*
 * child_kill - end the command and every process it started, now (a
 * failure path, Ctrl-C): SIGKILL, and a held or exiting task let go.
 * Returns 0, or -ETIMEDOUT when some were still there after a few seconds
 * (detached, and left to the kernel).
 */
int child_kill(struct child *c);

/*
 * child_end - untrace whatever still runs (the processes that outlived
 * the command are left running, untraced; their count is returned) and
 * give SIGCHLD back; the command must have ended (CHILD_DONE) or been
 * killed
 */
size_t child_end(struct child *c);

/* child_describe_end - "exited with status 2", "was killed by signal 9
 * (Killed)": how a process ended, from waitpid()'s status */
void child_describe_end(int status, char *buf, size_t len);

#endif /* ZBUD_CHILD_H */
