/*
 * run_check.c - a program of known content for `zbud run`'s tests
 *
 *   run_check MODE [MIB]
 *
 * Each mode fills memory with pages whose every word says which page and
 * which version it is, drives the pager to evict them (a working set
 * larger than the limit it runs under), does the thing the mode is about
 * while pages are out, and checks every byte it reads.  Exit status 0: all
 * bytes came back; 1: a wrong byte (a line on stderr says where); 2: a
 * system call failed where it must not (EFAULT above all).
 *
 * Pages are checked out of the pager's sight: /proc/self/pagemap says
 * whether a page is in memory, so a mode can wait until the page it is
 * about to hand to the kernel has really been evicted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run_check.h"

#define PAGE 4096
#define WORDS (PAGE / 8)

static int pagemap = -1;

/* Word @j of page @i at version @v: a quarter of the words random-looking,
 * the rest structured, so that LZ4 keeps a page in about half its size. */
uint64_t rc_word(uint64_t i, uint64_t v, unsigned j)
{
	uint64_t x = (i << 24) ^ (v << 12) ^ j;

	if (j % 4)
		return (i << 32) | (v << 16) | j;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

void rc_fill(void *page, uint64_t i, uint64_t v)
{
	uint64_t *w = page;

	for (unsigned j = 0; j < WORDS; j++)
		w[j] = rc_word(i, v, j);
}

int rc_check(const void *page, uint64_t i, uint64_t v, const char *what)
{
	const uint64_t *w = page;

	for (unsigned j = 0; j < WORDS; j++)
		if (w[j] != rc_word(i, v, j)) {
			fprintf(stderr, "run_check: %s: page %llu (%p) word %u is %#llx, not %#llx (v%llu)\n",
				what, (unsigned long long)i, page, j, (unsigned long long)w[j],
				(unsigned long long)rc_word(i, v, j), (unsigned long long)v);
			return 1;
		}
	return 0;
}

int rc_zero(const void *page, const char *what)
{
	const uint64_t *w = page;

	for (unsigned j = 0; j < WORDS; j++)
		if (w[j]) {
			fprintf(stderr, "run_check: %s: %p word %u is %#llx, not 0\n", what, page, j,
				(unsigned long long)w[j]);
			return 1;
		}
	return 0;
}

bool rc_present(const void *p)
{
	uint64_t e = 0;

	if (pagemap < 0)
		pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pread(pagemap, &e, 8, (off_t)((uintptr_t)p / PAGE) * 8) != 8)
		return true;
	return e >> 63;
}

/* Push pages out: touch a region three times the limit until @p is out. */
bool rc_evict(const void *p, struct rc_pressure *pr)
{
	for (int round = 0; round < 200; round++) {
		if (!rc_present(p))
			return true;
		for (size_t k = 0; k < pr->pages; k++)
			((volatile char *)pr->mem)[k * PAGE] = (char)round;
		usleep(2000);
	}
	fprintf(stderr, "run_check: %p was never evicted (is the pager running?)\n", p);
	return false;
}

int rc_pressure_init(struct rc_pressure *pr, size_t mib)
{
	pr->pages = mib * (1u << 20) / PAGE;
	pr->mem = mmap(NULL, pr->pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pr->mem == MAP_FAILED)
		return 2;
	for (size_t k = 0; k < pr->pages; k++)
		rc_fill(pr->mem + k * PAGE, k + 1000000, 0);
	return 0;
}

void *rc_region(size_t pages, uint64_t first, uint64_t v)
{
	char *m = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED) {
		perror("run_check: mmap");
		exit(2);
	}
	for (size_t k = 0; k < pages; k++)
		rc_fill(m + k * PAGE, first + k, v);
	return m;
}

int rc_check_region(const char *m, size_t pages, uint64_t first, uint64_t v, const char *what)
{
	for (size_t k = 0; k < pages; k++)
		if (rc_check(m + k * PAGE, first + k, v, what))
			return 1;
	return 0;
}

static const struct {
	const char *name;
	int (*run)(size_t mib);
} modes[] = {
	{ "threads", rc_threads },
	{ "syscalls", rc_syscalls },
	{ "fork", rc_fork },
	{ "remap", rc_remap },
	{ "madvise", rc_madvise },
	{ "brk", rc_brk },
	{ "exec", rc_exec },
	{ "signals", rc_signals },
	{ "sleep", rc_sleep },
	{ "hot", rc_hot },
};

int main(int argc, char **argv)
{
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 48;

	if (argc > 1 && !strcmp(argv[1], "exec-child"))
		return rc_exec_child(argc, argv);
	for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name))
			return modes[i].run(mib ? mib : 48);
	fprintf(stderr, "usage: run_check MODE [MIB]   (threads, syscalls, fork, remap, madvise, "
		"brk, exec, signals, sleep, hot)\n");
	return 2;
}
