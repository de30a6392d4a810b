/*
 * test_procmem.c - which pages of a process zswap would be given
 * (engine/proc/procmem.c), reading them, page sets from files, and frames
 * counted once (pfnset.c)
 *
 * The process read is this test itself, started again with --child: it
 * maps memory of every kind the rule tells apart, each page marked with
 * its kind, and stops itself.  Then the pages read must hold the marks of
 * the kinds zswap would be given, and none of the others.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "pageset.h"
#include "pfnset.h"
#include "procmem.h"
#include "scratch_dir.h"

#define PAGE PAGESET_PAGE
#define N 8                             /* pages of each kind */
#define MAGIC "procmem-test-page"
#define TMPFS_MAGIC 0x01021994

/* The kinds of memory, and whether zswap would be given them. */
enum kind {
	ANON,           /* private anonymous, written: yes */
	ZEROED,         /* the same, written with zeros: yes (same-filled) */
	COW,            /* a private file mapping's written pages: yes */
	FILE_CLEAN,     /* its pages only read: no, page cache */
	READONLY,       /* anonymous, written, then mprotect(PROT_READ): yes */
	NOACCESS,       /* anonymous, written, then PROT_NONE: yes (read through mem) */
	SHARED_ANON,    /* MAP_SHARED|MAP_ANONYMOUS: yes, shared memory */
	SHARED_FILE,    /* MAP_SHARED of a file on disk: no, page cache */
	LOCKED,         /* mlock()ed anonymous: no, never evicted */
	NKINDS
};

static const bool given[NKINDS] = {
	[ANON] = true, [ZEROED] = true, [COW] = true, [READONLY] = true, [NOACCESS] = true,
	[SHARED_ANON] = true,
};

static char dir[64];
static bool shared_file_is_tmpfs;       /* then it is shared memory, and given */

/* Page @i of @kind: the magic, the kind and index, then bytes no other has. */
static void mark(unsigned char *p, int kind, uint64_t i)
{
	uint64_t s = (i + 1) * 0x9e3779b97f4a7c15ULL + (uint64_t)kind;

	for (size_t k = 0; k < PAGE; k++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		p[k] = (unsigned char)s;
	}
	memcpy(p, MAGIC, sizeof(MAGIC));
	p[sizeof(MAGIC)] = (unsigned char)kind;
	memcpy(p + sizeof(MAGIC) + 1, &i, sizeof(i));
}

static unsigned char *map(int prot, int flags, int fd)
{
	unsigned char *m = mmap(NULL, N * PAGE, prot, flags, fd, 0);

	if (m == MAP_FAILED)
		_exit(10);
	madvise(m, N * PAGE, MADV_NOHUGEPAGE);
	return m;
}

/* The pages are written from a mapping unmapped after: a buffer on the
 * stack would leave the last mark of a kind never given in anonymous
 * memory, read as given when the stack puts it at a page's start. */
static int file_of_marks(const char *name, int kind)
{
	char path[128];
	unsigned char *page = map(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	for (uint64_t i = 0; fd >= 0 && i < N; i++) {
		mark(page, kind, i);
		if (write(fd, page, PAGE) != PAGE)
			_exit(11);
	}
	munmap(page, N * PAGE);
	return fd;
}

static void fill(unsigned char *m, int kind)
{
	for (uint64_t i = 0; i < N; i++)
		mark(m + i * PAGE, kind, i);
}

static int child_kinds(void)
{
	const int anon = MAP_PRIVATE | MAP_ANONYMOUS, rw = PROT_READ | PROT_WRITE;
	unsigned char *m, *cow, *clean;
	int fd = file_of_marks("private", FILE_CLEAN), sfd = file_of_marks("shared", SHARED_FILE);
	volatile unsigned char sum = 0;

	if (fd < 0 || sfd < 0)
		return 12;
	fill(map(rw, anon, -1), ANON);
	memset(map(rw, anon, -1), 0, N * PAGE);
	/* Written over, the file's pages are copied: anonymous, marked COW; the
	 * clean mapping's are read, never written: page cache. */
	cow = map(rw, MAP_PRIVATE, fd);
	fill(cow, COW);
	clean = map(PROT_READ, MAP_PRIVATE, fd);
	for (size_t i = 0; i < N; i++)
		sum += clean[i * PAGE];
	m = map(rw, anon, -1);
	fill(m, READONLY);
	mprotect(m, N * PAGE, PROT_READ);
	m = map(rw, anon, -1);
	fill(m, NOACCESS);
	mprotect(m, N * PAGE, PROT_NONE);
	fill(map(rw, MAP_SHARED | MAP_ANONYMOUS, -1), SHARED_ANON);
	m = map(rw, MAP_SHARED, sfd);
	for (size_t i = 0; i < N; i++)
		sum += m[i * PAGE];
	m = map(rw, anon, -1);
	fill(m, LOCKED);
	if (mlock(m, N * PAGE))
		munmap(m, N * PAGE);    /* not allowed here: that part is not tried */
	raise(SIGSTOP);
	return sum == 255;
}

/* ---- the tests ---- */

/* Every child this process started has been reaped. */
static void assert_no_child_left(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void start_stopped(struct child *c, const char *mode)
{
	char *argv[] = { "/proc/self/exe", "--child", (char *)mode, dir, NULL };
	struct child_event ev = { .kind = CHILD_TIMEOUT };
	char why[256];

	assert_int_equal(child_start(c, argv, 0, why, sizeof(why)), 0);
	while (ev.kind == CHILD_TIMEOUT)
		assert_int_equal(child_next(c, 30, &ev), 0);
	assert_int_equal(ev.kind, CHILD_STOPPED);
}

static void test_the_rule(void **state)
{
	struct procmem_counts c = { 0 };
	struct procmem *pm;
	struct pageset ps;
	struct child ch;
	struct statfs fs;
	uint64_t unreadable = 0, seen[NKINDS] = { 0 };
	char why[256], path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s", dir);
	shared_file_is_tmpfs = !statfs(path, &fs) && fs.f_type == TMPFS_MAGIC;
	pageset_init(&ps, "child");
	start_stopped(&ch, "kinds");
	assert_int_equal(procmem_open(&pm, ch.pid, why, sizeof(why)), 0);
	assert_int_equal(pageset_add_process(&ps, pm, &c, &unreadable, why, sizeof(why)), 0);
	procmem_close(pm);
	child_kill(&ch);
	child_end(&ch);
	assert_no_child_left();
	assert_int_equal(unreadable, 0);
	assert_int_equal(c.pages, ps.count);
	for (size_t i = 0; i < ps.count; i++) {
		const unsigned char *p = pageset_page(&ps, i);
		uint64_t index;

		/* ZEROED pages bear no mark: all zeros. */
		seen[ZEROED] += p[0] == 0 && !memcmp(p, p + 1, PAGE - 1);
		if (memcmp(p, MAGIC, sizeof(MAGIC)) || p[sizeof(MAGIC)] >= NKINDS)
			continue;
		memcpy(&index, p + sizeof(MAGIC) + 1, sizeof(index));
		assert_true(index < N);
		seen[p[sizeof(MAGIC)]]++;
	}
	for (int k = 0; k < NKINDS; k++) {
		/* mlock() may do nothing (ASan's does nothing): then the pages
		 * are not locked, and are taken. */
		const bool want = given[k] || (k == SHARED_FILE && shared_file_is_tmpfs) ||
				  (k == LOCKED && !c.unevictable);

		if (k == ZEROED ? seen[k] < N : seen[k] != (want ? N : 0))
			fail_msg("kind %d: %llu pages of %d read", k, (unsigned long long)seen[k],
				 want ? N : 0);
	}
	/* mlock() allowed: its pages are counted as never evicted. */
	assert_true(c.unevictable == 0 || c.unevictable == N);
	pageset_free(&ps);
}

static void test_no_such_process(void **state)
{
	struct procmem *pm = NULL;
	char why[256];
	pid_t pid = fork();
	int status;

	(void)state;
	assert_true(pid >= 0);
	if (!pid)
		_exit(0);
	/* A zombie: ended, not reaped. */
	while (procmem_state(pid, NULL, 0) != 'Z')
		usleep(1000);
	assert_int_equal(procmem_open(&pm, pid, why, sizeof(why)), -ESRCH);
	assert_non_null(strstr(why, "has exited (a zombie"));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(procmem_open(&pm, pid, why, sizeof(why)), -ESRCH);
	assert_non_null(strstr(why, "no process"));
	/* A kernel thread: kthreadd is 2 where the kernel has one. */
	if (procmem_state(2, why, sizeof(why)) && !strcmp(why, "kthreadd")) {
		assert_int_equal(procmem_open(&pm, 2, why, sizeof(why)), -ESRCH);
		assert_non_null(strstr(why, "kernel thread"));
	}
	assert_null(pm);
}

/* The kernel's counters a tick reads: N pages touched are in them, and
 * leave them when unmapped; the CPU a process spent; a zombie has none. */
static void test_counters(void **state)
{
	const size_t n = 4096;
	unsigned char *m = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct timespec ts = { 0, 0 };
	int64_t with, without;
	pid_t pid;
	int status;

	(void)state;
	assert_true(m != MAP_FAILED);
	for (size_t i = 0; i < n; i++)
		m[i * 4096] = (unsigned char)(i | 1);
	with = procmem_resident(getpid());
	assert_true(with >= (int64_t)n);
	assert_int_equal(munmap(m, n * 4096), 0);
	without = procmem_resident(getpid());
	assert_true(without >= 0 && with - without >= (int64_t)n / 2);
	/* 50 ms of CPU: five of the kernel's 100 Hz ticks at least. */
	while (ts.tv_sec == 0 && ts.tv_nsec < 50000000)
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	assert_true(procmem_cpu(getpid()) >= 0.03);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(0);
	while (procmem_state(pid, NULL, 0) != 'Z')
		usleep(1000);
	assert_int_equal(procmem_resident(pid), -1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(procmem_resident(pid), -1);
	assert_true(procmem_cpu(pid) == 0);
}

static void test_pageset_file(void **state)
{
	char path[128], fifo[128];
	unsigned char bytes[2 * PAGE + 100];
	struct pageset ps;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/pageset", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 7 + 1);
	assert_int_equal(write(fd, bytes, sizeof(bytes)), sizeof(bytes));
	close(fd);
	pageset_init(&ps, "a name longer than the set keeps, cut to fit");
	assert_int_equal(strlen(ps.name), sizeof(ps.name) - 1);

	/* The last page zero-padded. */
	assert_int_equal(pageset_add_file(&ps, path, 100), 3);
	assert_memory_equal(pageset_page(&ps, 0), bytes, sizeof(bytes));
	for (size_t i = 100; i < PAGE; i++)
		assert_int_equal(pageset_page(&ps, 2)[i], 0);
	/* Up to the limit, and no further. */
	assert_int_equal(pageset_add_file(&ps, path, 4), 1);
	assert_memory_equal(pageset_page(&ps, 3), bytes, PAGE);
	assert_int_equal(pageset_add_file(&ps, path, 4), 0);
	/* Errors leave the set as it was; a FIFO with no writer is refused, not
	 * waited on. */
	assert_int_equal(pageset_add_file(&ps, "/nonexistent/zbud-test", 100), -ENOENT);
	assert_int_equal(pageset_add_file(&ps, "/", 100), -EISDIR);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(pageset_add_file(&ps, fifo, 100), -EINVAL);
	assert_int_equal(ps.count, 4);
	pageset_free(&ps);
	assert_int_equal(ps.count, 0);
}

static void test_pfnset(void **state)
{
	struct pfnset *s = pfnset_new();
	const uint64_t pfns[] = { 0, 1, 63, 64, (1ULL << 19) - 1, 1ULL << 19, 1ULL << 40,
				  (1ULL << 55) - 1 };

	(void)state;
	assert_non_null(s);
	for (size_t i = 0; i < sizeof(pfns) / sizeof(pfns[0]); i++)
		assert_int_equal(pfnset_add(s, pfns[i]), 0);
	for (size_t i = 0; i < sizeof(pfns) / sizeof(pfns[0]); i++)
		assert_int_equal(pfnset_add(s, pfns[i]), 1);
	assert_int_equal(pfnset_add(s, 2), 0);
	/* A leaf for each 2 GiB of frames touched, however many pages. */
	assert_true(pfnset_bytes(s) < 6 * 65536 + 4096);
	pfnset_clear(s);
	for (size_t i = 0; i < sizeof(pfns) / sizeof(pfns[0]); i++)
		assert_int_equal(pfnset_add(s, pfns[i]), 0);
	pfnset_free(s);
}

static int setup(void **state)
{
	(void)state;
	return scratch_dir_make(dir, sizeof(dir), "zbud-test-procmem-XXXXXX");
}

static int teardown(void **state)
{
	(void)state;
	return scratch_dir_remove(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_rule),
		cmocka_unit_test(test_no_such_process),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_pageset_file),
		cmocka_unit_test(test_pfnset),
	};

	if (argc == 4 && !strcmp(argv[1], "--child") && !strcmp(argv[2], "kinds")) {
		snprintf(dir, sizeof(dir), "%s", argv[3]);
		_exit(child_kinds());   /* no atexit handlers: see test_child.c */
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
