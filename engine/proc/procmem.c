/*
 * procmem.c - start a program, wait for it to stop itself, copy its heap
 *
 * Linux's view of a process, all under /proc/PID:
 *
 *   smaps    start-end perms offset dev inode [path], one mapping a line,
 *            then "Field: value" lines about it: Rss, the bytes in memory
 *   pagemap  a 64-bit word per page of the address space, at offset
 *            (address / page size) * 8; bit 63: the page is in memory
 *   mem      the memory itself, read with pread() at the address
 *
 * and process_vm_readv(), which copies many ranges in one call and is the
 * fast way; /proc/PID/mem is the fallback where it is refused (seccomp,
 * older kernels) or stops short.
 */
#define _GNU_SOURCE                     /* pipe2(), process_vm_readv() */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procmem.h"

#define PM_PRESENT (1ULL << 63)
/* System pages per pagemap read and per process_vm_readv(): 4 MiB with 4
 * KiB pages, and never more ranges than the call's limit (UIO_MAXIOV). */
#define BATCH 1024
/* Polling for the stop: first soon, then no more often than this. */
#define FIRST_NAP_NS 1000000L
#define MAX_NAP_NS 50000000L

struct reader {
	pid_t pid;
	int pagemap, mem;               /* mem: -1 until needed, -2 if refused */
	bool no_vm_readv;
	size_t page;                    /* the system's */
	size_t per;                     /* 4 KiB pages in one of its pages */
	struct pageset *ps;
	struct procmem_stats *st;
	uint64_t entry[BATCH], addr[BATCH];
	struct iovec remote[BATCH];
};

static void reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

void procmem_end(struct procmem_child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		reap(c->pid, NULL);
	}
	c->pid = 0;
	c->stopped = false;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int wait_stop(struct procmem_child *c, unsigned int timeout_ms)
{
	const double deadline = now_ms() + timeout_ms;
	long nap = FIRST_NAP_NS;

	for (;;) {
		int status;
		pid_t got = waitpid(c->pid, &status, WUNTRACED | WNOHANG);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			/* Reaped behind our back (SIGCHLD ignored): its number may
			 * be another process's by now, never to be signalled. */
			c->pid = 0;
			return -errno;
		}
		if (got == c->pid && WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP) {
			c->stopped = true;
			return 0;
		}
		if (got == c->pid) {
			c->status = status;
			if (WIFSTOPPED(status))
				procmem_end(c);
			c->pid = 0;
			return -ECHILD;
		}
		if (now_ms() >= deadline) {
			procmem_end(c);
			return -ETIMEDOUT;
		}
		nanosleep(&(struct timespec){ 0, nap }, NULL);
		nap = nap * 2 < MAX_NAP_NS ? nap * 2 : MAX_NAP_NS;
	}
}

int procmem_start(struct procmem_child *c, char *const argv[], unsigned int timeout_ms)
{
	int fd[2], err = 0;
	ssize_t got;

	memset(c, 0, sizeof(*c));
	/* The exec's errno comes back through the pipe; a successful exec
	 * closes it (O_CLOEXEC) and the read sees the end. */
	if (pipe2(fd, O_CLOEXEC))
		return -errno;
	c->pid = fork();
	if (c->pid < 0) {
		err = -errno;
		close(fd[0]);
		close(fd[1]);
		c->pid = 0;
		return err;
	}
	if (c->pid == 0) {
		close(fd[0]);
		execvp(argv[0], argv);
		err = errno;
		if (write(fd[1], &err, sizeof(err)) != sizeof(err))
			_exit(126);
		_exit(127);
	}
	close(fd[1]);
	do
		got = read(fd[0], &err, sizeof(err));
	while (got < 0 && errno == EINTR);
	close(fd[0]);
	if (got == sizeof(err)) {
		reap(c->pid, NULL);
		c->pid = 0;
		return -err;
	}
	return wait_stop(c, timeout_ms);
}

/* One page from /proc/PID/mem into @to: 0 or -1. */
static int mem_read(struct reader *r, uint64_t addr, unsigned char *to)
{
	if (r->mem == -1) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/mem", (int)r->pid);
		r->mem = open(path, O_RDONLY | O_CLOEXEC);
		if (r->mem < 0)
			r->mem = -2;
	}
	return r->mem >= 0 && pread(r->mem, to, r->page, (off_t)addr) == (ssize_t)r->page ? 0 : -1;
}

/* The first pages of r->addr[0..n) copied to @to by process_vm_readv():
 * how many, all the ranges in one call. */
static size_t vm_read(struct reader *r, size_t n, unsigned char *to)
{
	struct iovec local = { to, n * r->page };
	size_t runs = 0;
	ssize_t got;

	if (r->no_vm_readv)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (runs && r->addr[i] == (uint64_t)(uintptr_t)r->remote[runs - 1].iov_base +
		    r->remote[runs - 1].iov_len) {
			r->remote[runs - 1].iov_len += r->page;
		} else {
			r->remote[runs].iov_base = (void *)(uintptr_t)r->addr[i];
			r->remote[runs++].iov_len = r->page;
		}
	}
	got = process_vm_readv(r->pid, &local, 1, r->remote, runs, 0);
	if (got < 0 && (errno == ENOSYS || errno == EPERM))
		r->no_vm_readv = true;
	return got > 0 ? (size_t)got / r->page : 0;
}

/* Copy the present pages among @n from @base, whose pagemap words are in
 * r->entry, to the end of the set. */
static int read_present(struct reader *r, uint64_t base, size_t n)
{
	size_t k = 0, done, kept;
	size_t first = r->ps->count;
	unsigned char *to;

	for (size_t i = 0; i < n; i++) {
		if (r->entry[i] & PM_PRESENT)
			r->addr[k++] = base + i * r->page;
		else
			r->st->not_resident += r->per;
	}
	if (!k)
		return 0;
	to = pageset_grow(r->ps, k * r->per);
	if (!to)
		return -ENOMEM;
	done = vm_read(r, k, to);
	/* The rest one by one, closing the gaps left by those that fail. */
	kept = done;
	for (size_t i = done; i < k; i++) {
		if (mem_read(r, r->addr[i], to + kept * r->page))
			r->st->unreadable += r->per;
		else
			kept++;
	}
	pageset_truncate(r->ps, first + kept * r->per);
	r->st->pages_read += kept * r->per;
	return 0;
}

static int read_mapping(struct reader *r, uint64_t start, uint64_t end)
{
	for (uint64_t addr = start; addr < end;) {
		size_t n = (end - addr) / r->page < BATCH ? (end - addr) / r->page : BATCH;
		ssize_t want = (ssize_t)(n * sizeof(r->entry[0]));
		int err;

		errno = 0;
		if (pread(r->pagemap, r->entry, (size_t)want, (off_t)(addr / r->page * 8)) != want)
			return errno ? -errno : -EIO;
		err = read_present(r, addr, n);
		if (err)
			return err;
		addr += n * r->page;
	}
	return 0;
}

/* Private, writable, and no file behind it. */
static bool anonymous_private(const char *perms, unsigned long inode, const char *path)
{
	return perms[0] == 'r' && perms[1] == 'w' && perms[3] == 'p' && inode == 0 &&
	       (!*path || !strcmp(path, "[heap]") || !strncmp(path, "[stack", 6) ||
		!strncmp(path, "[anon:", 6));
}

/*
 * smaps is maps with fields under each mapping, Rss among them: a mapping
 * with none in memory is skipped whole, unread.  That matters for the
 * terabytes some programs reserve and never touch (ASan's shadow).
 */
static int read_smaps(struct reader *r, FILE *smaps)
{
	unsigned long long start = 0, end = 0, rss;
	bool wanted = false;
	char *line = NULL;
	size_t cap = 0;
	int err = 0;

	while (!err && getline(&line, &cap, smaps) >= 0) {
		unsigned long inode;
		char perms[8], *path;
		int at = 0;

		if (sscanf(line, "%llx-%llx %7s %*x %*x:%*x %lu %n", &start, &end, perms, &inode,
			   &at) >= 4 && at) {
			path = line + at;
			path[strcspn(path, "\n")] = '\0';
			wanted = anonymous_private(perms, inode, path);
		} else if (wanted && sscanf(line, "Rss: %llu kB", &rss) == 1) {
			if (rss)
				err = read_mapping(r, start, end);
			else
				r->st->not_resident += (end - start) / PAGESET_PAGE;
			r->st->mappings += !!rss;
			wanted = false;
		}
	}
	if (!err && ferror(smaps))
		err = -EIO;
	free(line);
	return err;
}

int procmem_read(const struct procmem_child *c, struct pageset *ps, struct procmem_stats *st)
{
	long page = sysconf(_SC_PAGESIZE);
	struct reader *r;
	char path[64];
	FILE *smaps;
	int err;

	memset(st, 0, sizeof(*st));
	if (c->pid <= 0 || !c->stopped || page < PAGESET_PAGE || page % PAGESET_PAGE)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->pid = c->pid;
	r->mem = -1;
	r->page = (size_t)page;
	r->per = (size_t)page / PAGESET_PAGE;
	r->ps = ps;
	r->st = st;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)c->pid);
	r->pagemap = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)c->pid);
	smaps = r->pagemap >= 0 ? fopen(path, "re") : NULL;
	if (!smaps)
		err = -errno;
	else
		err = read_smaps(r, smaps);
	if (smaps)
		fclose(smaps);
	if (r->pagemap >= 0)
		close(r->pagemap);
	if (r->mem >= 0)
		close(r->mem);
	free(r);
	return err;
}
