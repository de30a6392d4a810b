/*
 * test_child.c - running a command to be measured (engine/proc/child.c),
 * and the processes of a target as they come and go (procset.c)
 *
 * The commands are this test itself, started again with --child MODE: each
 * mode exits, stops or starts processes the way one case needs.  Every
 * test ends with no child left behind: none stopped, traced or unreaped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "procmem.h"
#include "procset.h"

#define KIDS 3
#define WAIT_S 30.0

/* Each mode ends with _exit(): no atexit handlers, as LeakSanitizer's
 * cannot run in a traced process. */
static int child(const char *mode)
{
	if (!strcmp(mode, "exit3"))
		return 3;
	if (!strcmp(mode, "sleep"))
		pause();
	if (!strcmp(mode, "tstp"))
		raise(SIGTSTP);
	if (!strcmp(mode, "stop")) {
		raise(SIGSTOP);
		return 4;               /* after SIGCONT */
	}
	if (!strcmp(mode, "stopped-by-other")) {
		/* Another process stops it and continues it: not a read point. */
		pid_t parent = getpid(), pid = fork();

		if (pid == 0) {
			kill(parent, SIGSTOP);
			usleep(300000);
			kill(parent, SIGCONT);
			_exit(0);
		}
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return 5;
	}
	if (!strcmp(mode, "tree") || !strcmp(mode, "tree-sleep")) {
		/* KIDS processes, each of which ends (or sleeps until killed). */
		for (int i = 0; i < KIDS; i++)
			if (fork() == 0) {
				if (mode[4])
					pause();
				usleep(100000);
				_exit(10 + i);
			}
		while (wait(NULL) > 0 || errno == EINTR)
			;
		return 0;
	}
	return 1;
}

static char *const *args(const char *mode)
{
	static char *argv[4];

	argv[0] = "/proc/self/exe";
	argv[1] = "--child";
	argv[2] = (char *)mode;
	argv[3] = NULL;
	return argv;
}

/* Every child this process started has been reaped. */
static void assert_no_child_left(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* The next event other than a timeout, within WAIT_S. */
static struct child_event next(struct child *c)
{
	struct child_event ev;

	assert_int_equal(child_next(c, WAIT_S, &ev), 0);
	assert_int_not_equal(ev.kind, CHILD_TIMEOUT);
	return ev;
}

static void test_exits_before_it_stops(void **state)
{
	struct child c;
	struct child_event ev;
	char why[256];

	(void)state;
	for (unsigned int flags = 0; flags <= CHILD_TRACE; flags += CHILD_TRACE) {
		assert_int_equal(child_start(&c, args("exit3"), flags, why, sizeof(why)), 0);
		do
			ev = next(&c);
		while (ev.kind == CHILD_EXITING && (child_release(&c), 1));
		assert_int_equal(ev.kind, CHILD_DONE);
		assert_true(WIFEXITED(ev.status));
		assert_int_equal(WEXITSTATUS(ev.status), 3);
		assert_int_equal(child_next(&c, 0.1, &ev), -ECHILD);
		child_end(&c);
		assert_no_child_left();
	}
}

/* Held at its own SIGSTOP, then let go: it runs on to its end. */
static void test_own_sigstop(void **state)
{
	struct child c;
	struct child_event ev;
	char why[256];

	(void)state;
	for (unsigned int flags = 0; flags <= CHILD_TRACE; flags += CHILD_TRACE) {
		assert_int_equal(child_start(&c, args("stop"), flags, why, sizeof(why)), 0);
		ev = next(&c);
		assert_int_equal(ev.kind, CHILD_STOPPED);
		assert_false(ev.by_zbud);
		assert_int_equal(ev.pid, c.pid);
		assert_int_equal(procmem_state(c.pid, NULL, 0), flags ? 't' : 'T');
		assert_int_equal(child_next(&c, 0.1, &ev), -EBUSY);
		child_release(&c);
		do
			ev = next(&c);
		while (ev.kind == CHILD_EXITING && (child_release(&c), 1));
		assert_int_equal(ev.kind, CHILD_DONE);
		assert_int_equal(WEXITSTATUS(ev.status), 4);
		child_end(&c);
		assert_no_child_left();
	}
}

/* A stop sent by another process is its business: no read point, and it
 * goes on when that process continues it. */
static void test_stopped_by_another(void **state)
{
	struct child c;
	struct child_event ev;
	char why[256];

	(void)state;
	assert_int_equal(child_start(&c, args("stopped-by-other"), CHILD_TRACE | CHILD_FOLLOW, why,
				     sizeof(why)), 0);
	do {
		ev = next(&c);
		assert_int_not_equal(ev.kind, CHILD_STOPPED);
		if (ev.kind == CHILD_EXITING)
			child_release(&c);
	} while (ev.kind != CHILD_DONE);
	assert_int_equal(WEXITSTATUS(ev.status), 5);
	child_end(&c);
	assert_no_child_left();
}

/* The regression of issue 11: killed while held at its exit stop, where
 * SIGKILL alone does not end it, it must end, and promptly. */
static void test_kill_at_exit_stop(void **state)
{
	struct child c;
	struct child_event ev;
	char why[256];
	time_t t0 = time(NULL);

	(void)state;
	assert_int_equal(child_start(&c, args("exit3"), CHILD_TRACE, why, sizeof(why)), 0);
	ev = next(&c);
	if (!c.traced) {
		skip();                 /* the kernel will not trace here */
		return;
	}
	assert_int_equal(ev.kind, CHILD_EXITING);
	assert_int_equal(child_kill(&c), 0);
	child_end(&c);
	assert_no_child_left();
	assert_true(time(NULL) - t0 < 10);
}

static void test_interrupt_and_kill(void **state)
{
	struct child c;
	struct child_event ev;
	char why[256];

	(void)state;
	for (unsigned int flags = 0; flags <= CHILD_TRACE; flags += CHILD_TRACE) {
		assert_int_equal(child_start(&c, args("sleep"), flags, why, sizeof(why)), 0);
		assert_int_equal(child_next(&c, 0.2, &ev), 0);
		assert_int_equal(ev.kind, CHILD_TIMEOUT);
		assert_int_equal(child_interrupt(&c), 0);
		ev = next(&c);
		assert_int_equal(ev.kind, CHILD_STOPPED);
		assert_true(ev.by_zbud);
		assert_int_equal(child_kill(&c), 0);
		child_end(&c);
		assert_no_child_left();
	}
}

/* Stopped by SIGTSTP: left stopped, as without zbud, until killed. */
static void test_tstp(void **state)
{
	struct child c;
	struct child_event ev;
	char why[256];

	(void)state;
	assert_int_equal(child_start(&c, args("tstp"), CHILD_TRACE, why, sizeof(why)), 0);
	assert_int_equal(child_next(&c, 0.5, &ev), 0);
	/* In an orphaned process group SIGTSTP is ignored, and it exits. */
	assert_true(ev.kind == CHILD_TIMEOUT || ev.kind == CHILD_EXITING);
	assert_int_equal(child_kill(&c), 0);
	child_end(&c);
	assert_no_child_left();
}

static void test_no_such_command(void **state)
{
	char *path[] = { "/nonexistent/zbud-test-command", NULL };
	char *name[] = { "zbud-test-no-such-command", NULL };
	char *dir[] = { "/", NULL };
	struct child c;
	char why[256];

	(void)state;
	assert_int_equal(child_start(&c, path, CHILD_TRACE, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "cannot run '/nonexistent/zbud-test-command': "
			    "No such file or directory");
	assert_int_equal(child_start(&c, name, 0, why, sizeof(why)), -ENOENT);
	assert_int_equal(child_start(&c, dir, CHILD_TRACE, why, sizeof(why)), -EACCES);
	assert_no_child_left();
}

/* Each process the command starts is seen as it comes, held at its exit,
 * and seen to end. */
static void test_follow_tree(void **state)
{
	struct child c;
	struct child_event ev;
	int started = 0, exiting = 0, ended = 0;
	pid_t live[8];
	char why[256];

	(void)state;
	assert_int_equal(child_start(&c, args("tree"), CHILD_TRACE | CHILD_FOLLOW, why,
				     sizeof(why)), 0);
	if (!c.traced) {
		child_kill(&c);
		child_end(&c);
		skip();
		return;
	}
	do {
		ev = next(&c);
		started += ev.kind == CHILD_STARTED;
		ended += ev.kind == CHILD_ENDED;
		if (ev.kind == CHILD_EXITING) {
			exiting++;
			assert_true(child_processes(&c, live, 8) >= 1);
			child_release(&c);
		}
	} while (ev.kind != CHILD_DONE);
	assert_int_equal(started, KIDS);
	assert_int_equal(ended, KIDS);
	assert_int_equal(exiting, KIDS + 1);
	assert_int_equal(WEXITSTATUS(ev.status), 0);
	assert_int_equal(child_end(&c), 0);
	assert_no_child_left();
}

/* Killing the command kills what it started, held or not. */
static void test_kill_tree(void **state)
{
	struct child c;
	pid_t live[8];
	char why[256];
	size_t n;

	(void)state;
	assert_int_equal(child_start(&c, args("tree-sleep"), CHILD_TRACE | CHILD_FOLLOW, why,
				     sizeof(why)), 0);
	for (int started = 0; c.traced && started < KIDS;)
		started += next(&c).kind == CHILD_STARTED;
	n = child_processes(&c, live, 8);
	assert_int_equal(n, c.traced ? KIDS + 1 : 1);
	assert_int_equal(live[0], c.pid);
	assert_int_equal(child_kill(&c), 0);
	child_end(&c);
	for (size_t i = 1; i < n; i++)
		assert_true(procmem_state(live[i], NULL, 0) == 0 ||
			    procmem_state(live[i], NULL, 0) == 'Z');
	assert_no_child_left();
}

/* A set given one process, followed: its descendants come and go. */
static void test_procset_follow(void **state)
{
	struct procset *s = procset_new();
	struct child c;
	struct child_event ev;
	char why[256];
	size_t n = 0;

	(void)state;
	assert_non_null(s);
	assert_int_equal(child_start(&c, args("tree-sleep"), 0, why, sizeof(why)), 0);
	assert_int_equal(procset_add_pid(s, c.pid), 0);
	procset_follow(s, true);
	for (int tries = 0; n < KIDS + 1 && tries < 3000; tries++) {
		assert_int_equal(procset_refresh(s, NULL, 0, why, sizeof(why)), 0);
		n = procset_count(s);
		usleep(1000);
	}
	assert_int_equal(n, KIDS + 1);
	assert_int_equal(procset_member(s, 0), c.pid);
	for (size_t i = 0; i < n; i++)
		kill(procset_member(s, i), SIGKILL);
	while (child_next(&c, WAIT_S, &ev) == 0 && ev.kind != CHILD_DONE)
		;
	child_end(&c);
	assert_int_equal(procset_refresh(s, NULL, 0, why, sizeof(why)), 0);
	assert_int_equal(procset_count(s), 0);
	assert_int_equal(procset_add_cgroup(s, "/nonexistent/zbud-test", why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, "no cgroup '/nonexistent/zbud-test'"));
	procset_free(s);
	assert_no_child_left();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exits_before_it_stops),
		cmocka_unit_test(test_own_sigstop),
		cmocka_unit_test(test_stopped_by_another),
		cmocka_unit_test(test_kill_at_exit_stop),
		cmocka_unit_test(test_interrupt_and_kill),
		cmocka_unit_test(test_tstp),
		cmocka_unit_test(test_no_such_command),
		cmocka_unit_test(test_follow_tree),
		cmocka_unit_test(test_kill_tree),
		cmocka_unit_test(test_procset_follow),
	};

	if (argc == 3 && !strcmp(argv[1], "--child"))
		_exit(child(argv[2]));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
