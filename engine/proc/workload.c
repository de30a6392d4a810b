/*
 * workload.c - start a program under ptrace and hold it where it can be read
 *
 * The child waits on a pipe until the parent has seized it, so that no
 * instruction of the command runs untraced; the exec's errno comes back on
 * a second pipe (O_CLOEXEC: a successful exec closes it).  Only the main
 * thread is traced, so the program is read in a group stop, where every
 * thread is stopped:
 *
 *   signal-delivery-stop   any signal, SIGSTOP too, passed on (PTRACE_CONT)
 *   PTRACE_EVENT_STOP      a group stop: by SIGSTOP, held (WORKLOAD_SIGSTOP,
 *                          or WORKLOAD_DELAY when zbud sent it); by SIGTSTP
 *                          and kin, left stopped (PTRACE_LISTEN) until
 *                          SIGCONT, as without zbud
 *   PTRACE_EVENT_EXIT      held at its exit (WORKLOAD_EXIT)
 *
 * Once read, it is detached and sent SIGCONT: a SIGSTOP and a SIGCONT are
 * all it sees of zbud.
 */
#define _GNU_SOURCE                     /* pipe2() */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

/* Polling for the delay: first soon, then no more often than this. */
#define FIRST_NAP_NS 1000000L
#define MAX_NAP_NS 20000000L

const char workload_python_heap[] =
	"import random, signal, os\n"
	"r = random.Random(1)\n"
	"w = ('the of and to in is that for it as with was on be by at this from or an '\n"
	"     'are not have but which they you one all were their there page pool').split()\n"
	"def text(n): return ' '.join([r.choice(w) for _ in range(n)])\n"
	"people = {}\n"
	"for i in range(50000):\n"
	"    people['user%06d' % i] = {'id': i, 'name': text(2).title(),\n"
	"        'age': r.randint(18, 90), 'email': 'user%d@example.org' % i,\n"
	"        'score': r.random() * 100, 'bio': text(r.randint(2, 40)),\n"
	"        'tags': [r.choice(w) for _ in range(r.randint(0, 6))]}\n"
	"series = [[r.randint(0, 1 << 20) for _ in range(64)] for _ in range(3000)]\n"
	"blobs = [r.getrandbits(32000).to_bytes(4000, 'little') if i % 4 == 0\n"
	"         else text(600).encode() if i % 4 == 1\n"
	"         else bytes(4000) if i % 4 == 2 else bytes(range(256)) * 16\n"
	"         for i in range(3000)]\n"
	"os.kill(os.getpid(), signal.SIGSTOP)\n";

static pid_t wait_child(pid_t pid, int *status, int flags)
{
	pid_t got;

	do
		got = waitpid(pid, status, flags);
	while (got < 0 && errno == EINTR);
	return got;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void workload_kill(struct workload *w)
{
	int status;

	if (w->pid <= 0)
		return;
	kill(w->pid, SIGKILL);
	/* A tracee may still report its exit stop: let it go on to die. */
	while (wait_child(w->pid, &status, 0) == w->pid && WIFSTOPPED(status))
		ptrace(PTRACE_CONT, w->pid, 0, 0);
	w->pid = 0;
}

int workload_start(struct workload *w, char *const argv[])
{
	int report[2], go[2], err = 0;
	ssize_t got;

	memset(w, 0, sizeof(*w));
	if (pipe2(report, O_CLOEXEC))
		return -errno;
	if (pipe2(go, O_CLOEXEC)) {
		err = -errno;
		goto close_report;
	}
	w->pid = fork();
	if (w->pid < 0) {
		err = -errno;
		w->pid = 0;
		close(go[0]);
		close(go[1]);
		goto close_report;
	}
	if (w->pid == 0) {
		char c;

		close(report[0]);
		close(go[1]);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		execvp(argv[0], argv);
		err = errno;
		if (write(report[1], &err, sizeof(err)) != sizeof(err))
			_exit(126);
		_exit(127);
	}
	close(go[0]);
	w->traced = !ptrace(PTRACE_SEIZE, w->pid, 0, PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL);
	close(go[1]);                   /* the child may exec now */
	close(report[1]);
	do
		got = read(report[0], &err, sizeof(err));
	while (got < 0 && errno == EINTR);
	close(report[0]);
	if (got == sizeof(err)) {
		workload_kill(w);
		return -err;
	}
	return 0;

close_report:
	close(report[0]);
	close(report[1]);
	return err;
}

static int hold(struct workload *w, enum workload_event at)
{
	w->held = true;
	w->at = at;
	return 0;
}

/* A stop seen by waitpid(): 1 to wait on, else workload_wait()'s result. */
static int on_stop(struct workload *w, int status)
{
	const int sig = WSTOPSIG(status), event = status >> 16;
	long err;

	if (event == PTRACE_EVENT_EXIT)
		return hold(w, WORKLOAD_EXIT);
	if (!w->traced || event == PTRACE_EVENT_STOP) {         /* a group stop */
		if (sig == SIGSTOP)
			return hold(w, w->interrupted ? WORKLOAD_DELAY : WORKLOAD_SIGSTOP);
		if (!w->traced)
			return 1;       /* SIGTSTP and kin: stopped until SIGCONT, as without zbud */
		err = ptrace(sig == SIGTRAP ? PTRACE_CONT : PTRACE_LISTEN, w->pid, 0, 0);
	} else {                /* a signal about to be delivered, SIGSTOP too */
		err = ptrace(PTRACE_CONT, w->pid, 0, sig);
	}
	return err ? -errno : 1;
}

int workload_wait(struct workload *w, unsigned int delay_ms)
{
	const double deadline = now_ms() + delay_ms;
	const int flags = (delay_ms ? WNOHANG : 0) | (w->traced ? 0 : WUNTRACED);
	long nap = FIRST_NAP_NS;
	int rc = 1;

	while (rc > 0) {
		int status;
		pid_t got = wait_child(w->pid, &status, flags);

		if (got < 0) {
			rc = -errno;
			w->pid = 0;
		} else if (got == w->pid && !WIFSTOPPED(status)) {
			w->status = status;
			w->pid = 0;
			rc = -ECHILD;
		} else if (got == w->pid) {
			rc = on_stop(w, status);
		} else if (!w->interrupted && now_ms() >= deadline) {
			if (kill(w->pid, SIGSTOP))
				rc = -errno;
			w->interrupted = true;
		} else {
			nanosleep(&(struct timespec){ 0, nap }, NULL);
			nap = nap * 2 < MAX_NAP_NS ? nap * 2 : MAX_NAP_NS;
		}
	}
	return rc;
}

void workload_resume(struct workload *w)
{
	if (w->pid <= 0 || !w->held)
		return;
	w->held = false;
	if (w->traced)
		ptrace(PTRACE_DETACH, w->pid, 0, 0);
	w->traced = false;
	if (w->at != WORKLOAD_EXIT)
		kill(w->pid, SIGCONT);
}

int workload_finish(struct workload *w)
{
	int status = 0;

	while (w->pid > 0) {
		pid_t got = wait_child(w->pid, &status, 0);

		if (got < 0 || WIFEXITED(status) || WIFSIGNALED(status))
			w->pid = 0;
	}
	w->status = status;
	return status;
}
