/*
 * test_procmem.c - reading a started program's heap (tools/procmem.c), and
 * page sets from files (tools/pageset.c)
 *
 * The programs read are this test itself, started again with --child MODE:
 * "pages" maps pages of known bytes, zero pages and pages it never touches,
 * then stops itself; the other modes end or stop the wrong way.
 */
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pageset.h"
#include "procmem.h"

#define PAGE PAGESET_PAGE
#define KNOWN 32                        /* pages of known bytes */
#define ZEROED 16                       /* then pages written with zeros */
#define UNTOUCHED 16                    /* then pages never touched */
#define MAGIC "procmem-test-page"
#define TIMEOUT_MS 20000

/* Page @i's bytes: the magic, the index, then bytes no other page has. */
static void known_page(unsigned char *p, uint64_t i)
{
	uint64_t s = i * 0x9e3779b97f4a7c15ULL + 1;

	for (size_t k = 0; k < PAGE; k++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		p[k] = (unsigned char)s;
	}
	memcpy(p, MAGIC, sizeof(MAGIC));
	memcpy(p + sizeof(MAGIC), &i, sizeof(i));
}

static int child_pages(void)
{
	const size_t len = (KNOWN + ZEROED + UNTOUCHED) * PAGE;
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);

	if (m == MAP_FAILED)
		return 1;
	/* A huge page would bring the untouched pages into memory too. */
	madvise(m, len, MADV_NOHUGEPAGE);
	for (uint64_t i = 0; i < KNOWN; i++)
		known_page(m + i * PAGE, i);
	memset(m + KNOWN * PAGE, 0, ZEROED * PAGE);
	raise(SIGSTOP);
	return 0;
}

static int child(const char *mode)
{
	if (!strcmp(mode, "pages"))
		return child_pages();
	if (!strcmp(mode, "exit"))
		return 3;
	if (!strcmp(mode, "sleep"))
		pause();
	if (!strcmp(mode, "tstp"))
		raise(SIGTSTP);
	return 0;
}

static int start(struct procmem_child *c, const char *mode, unsigned int timeout_ms)
{
	char *argv[] = { "/proc/self/exe", "--child", (char *)mode, NULL };

	return procmem_start(c, argv, timeout_ms);
}

/* Every child this process started has been reaped. */
static void assert_no_child_left(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static bool all_zero(const unsigned char *p)
{
	return p[0] == 0 && !memcmp(p, p + 1, PAGE - 1);
}

static void test_reads_known_pages(void **state)
{
	struct procmem_child c;
	struct procmem_stats st;
	struct pageset ps;
	unsigned char want[PAGE];
	size_t at = SIZE_MAX;

	(void)state;
	pageset_init(&ps, "child");
	assert_int_equal(start(&c, "pages", TIMEOUT_MS), 0);
	assert_true(c.stopped);
	assert_int_equal(procmem_read(&c, &ps, &st), 0);
	procmem_end(&c);
	assert_no_child_left();
	assert_int_equal(st.pages_read, ps.count);
	assert_int_equal(st.unreadable, 0);
	assert_true(st.not_resident >= UNTOUCHED);
	assert_true(st.mappings >= 2);  /* ours, and the stack at least */

	/* The known pages in order, then the zeroed ones; the untouched skipped. */
	known_page(want, 0);
	for (size_t i = 0; i < ps.count; i++) {
		if (!memcmp(pageset_page(&ps, i), want, PAGE)) {
			assert_int_equal(at, SIZE_MAX);
			at = i;
		}
	}
	assert_true(at != SIZE_MAX);
	assert_true(at + KNOWN + ZEROED <= ps.count);
	for (uint64_t i = 0; i < KNOWN; i++) {
		known_page(want, i);
		assert_memory_equal(pageset_page(&ps, at + i), want, PAGE);
	}
	for (size_t i = 0; i < ZEROED; i++)
		assert_true(all_zero(pageset_page(&ps, at + KNOWN + i)));
	pageset_free(&ps);
}

static void test_child_that_exits(void **state)
{
	struct procmem_child c;
	struct procmem_stats st;
	struct pageset ps;

	(void)state;
	pageset_init(&ps, "none");
	assert_int_equal(start(&c, "exit", TIMEOUT_MS), -ECHILD);
	assert_true(WIFEXITED(c.status));
	assert_int_equal(WEXITSTATUS(c.status), 3);
	assert_int_equal(c.pid, 0);
	assert_false(c.stopped);
	assert_no_child_left();
	/* Nothing to read, and no process id to read it by. */
	assert_int_equal(procmem_read(&c, &ps, &st), -EINVAL);
	assert_int_equal(ps.count, 0);
}

static void test_stopped_by_another_signal(void **state)
{
	struct procmem_child c;

	(void)state;
	/* SIGTSTP stops it, or, in an orphaned process group, is ignored and
	 * it exits: not ready either way. */
	assert_int_equal(start(&c, "tstp", TIMEOUT_MS), -ECHILD);
	assert_int_equal(c.pid, 0);
	assert_no_child_left();
}

static void test_never_stops(void **state)
{
	struct procmem_child c;

	(void)state;
	assert_int_equal(start(&c, "sleep", 200), -ETIMEDOUT);
	assert_int_equal(c.pid, 0);
	assert_no_child_left();
}

static void test_no_such_command(void **state)
{
	char *path[] = { "/nonexistent/zbud-test-command", NULL };
	char *name[] = { "zbud-test-no-such-command", NULL };
	char *dir[] = { "/", NULL };
	struct procmem_child c;

	(void)state;
	assert_int_equal(procmem_start(&c, path, TIMEOUT_MS), -ENOENT);
	assert_int_equal(c.pid, 0);
	assert_int_equal(procmem_start(&c, name, TIMEOUT_MS), -ENOENT);
	assert_int_equal(procmem_start(&c, dir, TIMEOUT_MS), -EACCES);
	assert_no_child_left();
}

static void test_pageset_file(void **state)
{
	char path[] = "/tmp/zbud-test-pageset-XXXXXX";
	unsigned char bytes[2 * PAGE + 100];
	struct pageset ps;
	int fd = mkstemp(path);

	(void)state;
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
	/* Errors leave the set as it was. */
	assert_int_equal(pageset_add_file(&ps, "/nonexistent/zbud-test", 100), -ENOENT);
	assert_int_equal(pageset_add_file(&ps, "/", 100), -EISDIR);
	assert_int_equal(ps.count, 4);
	unlink(path);
	pageset_free(&ps);
	assert_int_equal(ps.count, 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_known_pages),
		cmocka_unit_test(test_child_that_exits),
		cmocka_unit_test(test_stopped_by_another_signal),
		cmocka_unit_test(test_never_stops),
		cmocka_unit_test(test_no_such_command),
		cmocka_unit_test(test_pageset_file),
	};

	if (argc == 3 && !strcmp(argv[1], "--child"))
		return child(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
