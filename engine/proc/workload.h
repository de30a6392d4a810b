/*
 * workload.h - a program started to be measured: the built-in Python heap,
 * or any command, read when it stops itself, when it exits, or after a delay
 *
 *	struct workload w;
 *	if (!workload_start(&w, argv) && !workload_wait(&w, delay_ms)) {
 *		... read /proc/w.pid while it is held ...
 *		workload_resume(&w);
 *		workload_finish(&w);
 *	}
 *
 * The command is run with execvp() (a PATH search, never a shell) and held
 * with ptrace(PTRACE_SEIZE, PTRACE_O_TRACEEXIT): so it can be read at its
 * exit stop, before its memory is torn down.  Where the kernel refuses to
 * trace it (Yama's ptrace_scope 3, a seccomp filter), it runs untraced and
 * can be read only when it stops itself or after the delay.  Its signals
 * reach it as they would without zbud; when the delay is up, zbud stops it
 * with SIGSTOP, so that all its threads are stopped while it is read.
 */
#ifndef ZBUD_WORKLOAD_H
#define ZBUD_WORKLOAD_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * A Python heap of about 64 MiB, as a service's: records of strings,
 * numbers and lists in a dict, series of ints, and byte strings of every
 * kind (random, text, zeros, a pattern).  The same every run.  It stops
 * itself with SIGSTOP once built, and ends when continued.
 */
extern const char workload_python_heap[];

enum workload_event {
	WORKLOAD_SIGSTOP,               /* it stopped itself */
	WORKLOAD_EXIT,                  /* held at its exit, memory intact */
	WORKLOAD_DELAY,                 /* held when the delay was up */
};

struct workload {
	pid_t pid;                      /* 0 once reaped */
	bool traced;                    /* seized: can be read at its exit */
	bool held;                      /* stopped by workload_wait() */
	bool interrupted;               /* zbud sent SIGSTOP: the delay was up */
	enum workload_event at;
	int status;                     /* waitpid()'s, once reaped */
};

/*
 * workload_start - run @argv, seized before it execs
 *
 * Returns 0; or, with nothing left running, the exec's errno negated
 * (-ENOENT: no such command) or another negative errno (pipe, fork).
 */
int workload_start(struct workload *w, char *const argv[]);

/*
 * workload_wait - until it stops itself with SIGSTOP, reaches its exit, or
 * @delay_ms pass (0: no delay), whichever is first; then it is held
 * stopped, its memory readable, and w->at says which
 *
 * Returns 0; -ECHILD when it ended without an exit stop to read it at
 * (untraced, or killed by SIGKILL): w->status says how; another negative
 * errno from waitpid() or ptrace().
 */
int workload_wait(struct workload *w, unsigned int delay_ms);

/* workload_resume - let it run on: untraced, and sent SIGCONT unless it was
 * held at its exit */
void workload_resume(struct workload *w);

/* workload_finish - wait until it exits; returns waitpid()'s status */
int workload_finish(struct workload *w);

/* workload_kill - end it at once (a failure path); nothing if reaped */
void workload_kill(struct workload *w);

#endif /* ZBUD_WORKLOAD_H */
