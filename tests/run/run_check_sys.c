/*
 * run_check_sys.c - run_check's modes about the kernel touching evicted
 * pages: system calls, exec, signal handlers; and one that waits to be
 * interrupted
 *
 * Under the pager a page the kernel reads or writes may be out; each check
 * makes sure it is (pagemap) before the call, and that the call neither
 * fails with EFAULT nor moves wrong bytes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run_check.h"

#define PAGE 4096
#define ARGS 96                 /* exec: strings of ARG_LEN bytes in the heap */
#define ARG_LEN 2000

extern char **environ;

static struct rc_pressure pr;
static char *pages;             /* the pages handed to the kernel */
static size_t npages = 64;

static int fail(const char *what, long r)
{
	fprintf(stderr, "run_check: syscalls: %s returned %ld (%s)\n", what, r, strerror(errno));
	return 2;
}

/* Page @k of the buffer, filled as version @v and then evicted. */
static char *out_page(size_t k, uint64_t v)
{
	char *p = pages + k * PAGE;

	rc_fill(p, k, v);
	if (!rc_evict(p, &pr))
		exit(3);
	return p;
}

static int check_pipe(void)
{
	char copy[PAGE];
	int fds[2];
	ssize_t n;

	if (pipe(fds))
		return fail("pipe", -1);
	/* write(2) from an evicted page, read(2) into one */
	n = write(fds[1], out_page(0, 1), PAGE);
	if (n != PAGE)
		return fail("write from an evicted page", n);
	n = read(fds[0], out_page(1, 5), PAGE);
	if (n != PAGE)
		return fail("read into an evicted page", n);
	memcpy(copy, pages + PAGE, PAGE);
	close(fds[0]);
	close(fds[1]);
	return rc_check(copy, 0, 1, "read(2) into an evicted page");
}

static int check_vectors(void)
{
	struct iovec *iov = (struct iovec *)out_page(2, 0);
	int sv[2];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return fail("socketpair", -1);
	rc_fill(pages + 3 * PAGE, 3, 1);
	rc_fill(pages + 4 * PAGE, 4, 1);
	iov[0] = (struct iovec){ pages + 3 * PAGE, PAGE };
	iov[1] = (struct iovec){ pages + 4 * PAGE, PAGE };
	rc_evict(pages + 3 * PAGE, &pr);
	rc_evict(iov, &pr);
	n = writev(sv[0], iov, 2);
	if (n != 2 * PAGE)
		return fail("writev with evicted iovecs and buffers", n);
	{
		struct msghdr *msg = (struct msghdr *)out_page(5, 0);
		struct iovec *in = (struct iovec *)(pages + 6 * PAGE);

		memset(msg, 0, sizeof(*msg));
		in[0] = (struct iovec){ pages + 7 * PAGE, PAGE };
		in[1] = (struct iovec){ pages + 8 * PAGE, PAGE };
		msg->msg_iov = in;
		msg->msg_iovlen = 2;
		rc_evict(msg, &pr);
		rc_evict(pages + 8 * PAGE, &pr);
		n = recvmsg(sv[1], msg, MSG_WAITALL);
		if (n != 2 * PAGE)
			return fail("recvmsg into evicted msghdr, iovecs and buffers", n);
	}
	close(sv[0]);
	close(sv[1]);
	return rc_check(pages + 7 * PAGE, 3, 1, "recvmsg: first") ||
	       rc_check(pages + 8 * PAGE, 4, 1, "recvmsg: second");
}

static int check_structs(void)
{
	struct timespec *ts = (struct timespec *)out_page(9, 0);
	struct stat *st;
	char *path;
	long r;

	r = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, ts);
	if (r || ts->tv_sec == 0)
		return fail("clock_gettime into an evicted page", r);
	st = (struct stat *)out_page(10, 0);
	r = stat("/", st);
	if (r || !S_ISDIR(st->st_mode))
		return fail("stat into an evicted page", r);
	path = out_page(11, 0);
	strcpy(path, "/proc/self/stat");
	rc_evict(path, &pr);
	r = open(path, O_RDONLY);
	if (r < 0)
		return fail("open with the path in an evicted page", r);
	close((int)r);
	ts = (struct timespec *)out_page(12, 0);
	ts->tv_sec = 0;
	ts->tv_nsec = 1000;
	rc_evict(ts, &pr);
	r = nanosleep(ts, NULL);
	if (r)
		return fail("nanosleep with an evicted timespec", r);
	return 0;
}

static int check_futex_poll(void)
{
	unsigned *word = (unsigned *)out_page(13, 0);
	struct pollfd *pfd;
	int fds[2];
	long r;

	/* FUTEX_WAIT reads the word: with the wrong value it must say EAGAIN */
	r = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, *word + 1, NULL, NULL, 0);
	if (r != -1 || errno != EAGAIN)
		return fail("futex wait on an evicted word", r);
	if (pipe(fds))
		return fail("pipe", -1);
	pfd = (struct pollfd *)out_page(14, 0);
	pfd[0] = (struct pollfd){ .fd = fds[1], .events = POLLOUT };
	rc_evict(pfd, &pr);
	r = poll(pfd, 1, 1000);
	if (r != 1 || !(pfd[0].revents & POLLOUT))
		return fail("poll with an evicted pollfd", r);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

/* A buffer the program never touched: the kernel is its first writer. */
static int check_fresh(void)
{
	size_t len = 1u << 20;
	char *fresh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open("/proc/self/exe", O_RDONLY);
	ssize_t n;

	if (fresh == MAP_FAILED || fd < 0)
		return fail("mmap or open", -1);
	n = read(fd, fresh, len);
	close(fd);
	if (n <= 0)
		return fail("read into never-touched memory", n);
	if (memcmp(fresh, "\177ELF", 4))
		return fail("read into never-touched memory: not the ELF header", 0);
	return 0;
}

int rc_syscalls(size_t mib)
{
	int rc;

	if ((rc = rc_pressure_init(&pr, mib)))
		return rc;
	pages = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		return 2;
	rc = check_pipe();
	if (!rc)
		rc = check_vectors();
	if (!rc)
		rc = check_structs();
	if (!rc)
		rc = check_futex_poll();
	if (!rc)
		rc = check_fresh();
	return rc;
}

/* ---- exec: argv and environment strings in evicted pages ---- */

static char *arg_string(int i)
{
	char *s = malloc(ARG_LEN + 1);

	for (int k = 0; k < ARG_LEN; k++)
		s[k] = (char)('a' + (i * 7 + k) % 26);
	s[ARG_LEN] = '\0';
	return s;
}

int rc_exec_child(int argc, char **argv)
{
	if (argc != ARGS + 2)
		return fprintf(stderr, "run_check: exec: %d arguments, not %d\n", argc - 2, ARGS), 1;
	for (int i = 0; i < ARGS; i++) {
		char *want = arg_string(i);

		if (strcmp(argv[i + 2], want))
			return fprintf(stderr, "run_check: exec: argument %d differs\n", i), 1;
		free(want);
	}
	return 0;
}

int rc_exec(size_t mib)
{
	char **argv = calloc(ARGS + 3, sizeof(*argv));
	pid_t pid;
	int st, rc;

	if ((rc = rc_pressure_init(&pr, mib)))
		return rc;
	argv[0] = "run_check";
	argv[1] = "exec-child";
	for (int i = 0; i < ARGS; i++)
		argv[i + 2] = arg_string(i);
	if (!rc_evict(argv[2], &pr) || !rc_evict(argv, &pr))
		return 3;
	/* posix_spawn: a vfork child in our memory execs */
	if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ))
		return fail("posix_spawn", -1);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return fprintf(stderr, "run_check: exec: the spawned child failed (%#x)\n", st), 1;
	/* The spawned child's pins on them are gone (more ranges than a pin
	 * set holds: they once stayed for good), so they go out again. */
	if (!rc_evict(argv[ARGS], &pr))
		return 3;
	execv("/proc/self/exe", argv);
	return fail("execv with evicted arguments", -1);
}

/* ---- signals: handlers that touch evicted pages, masks that would block ours ---- */

static char *region;
static size_t region_pages;
static volatile sig_atomic_t handled, bad_in_handler, own_sigbus;

static void on_alarm(int sig)
{
	static size_t k;

	(void)sig;
	k = (k + 97) % region_pages;
	if (rc_check(region + k * PAGE, k, 0, "signals: in a handler"))
		bad_in_handler = 1;
	handled++;
}

static void on_own_sigbus(int sig)
{
	(void)sig;
	own_sigbus = 1;
}

int rc_signals(size_t mib)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART | SA_ONSTACK };
	struct itimerval it = { { 0, 500 }, { 0, 500 } };
	stack_t alt = { .ss_sp = malloc(1 << 16), .ss_size = 1 << 16 };
	sigset_t all;
	int rc = 0;

	region_pages = mib * 256;
	region = rc_region(region_pages, 0, 0);
	/* a mask with everything in it, SIGBUS too: the pager's stays out */
	sigfillset(&sa.sa_mask);
	sigaltstack(&alt, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigfillset(&all);
	sigdelset(&all, SIGALRM);
	sigprocmask(SIG_BLOCK, &all, NULL);
	signal(SIGBUS, on_own_sigbus);
	setitimer(ITIMER_REAL, &it, NULL);
	for (int round = 0; round < 3 && !rc; round++)
		rc = rc_check_region(region, region_pages, 0, 0, "signals: main loop");
	it = (struct itimerval){ 0 };
	setitimer(ITIMER_REAL, &it, NULL);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	raise(SIGBUS);          /* the program's own SIGBUS reaches its handler */
	if (!own_sigbus)
		return fprintf(stderr, "run_check: signals: raise(SIGBUS) missed the handler\n"), 1;
	if (bad_in_handler)
		return 1;
	if (!handled)
		return fprintf(stderr, "run_check: signals: the timer never fired\n"), 2;
	return rc;
}

/* ---- sleep: memory, partly evicted, then wait: SIGUSR1 checks it all and ends ---- */

static volatile sig_atomic_t check_now;

static void on_usr1(int sig)
{
	(void)sig;
	check_now = 1;
}

int rc_sleep(size_t mib)
{
	size_t n = mib * 256;
	char *m = rc_region(n, 0, 0);

	sigset_t usr1, old;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	signal(SIGUSR1, on_usr1);
	if (rc_check_region(m, n, 0, 0, "sleep"))
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (!check_now)
		sigsuspend(&old);
	return rc_check_region(m, n, 0, 0, "sleep: checked on SIGUSR1");
}
