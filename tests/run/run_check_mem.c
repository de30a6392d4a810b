/*
 * run_check_mem.c - run_check's modes about memory: threads racing with
 * eviction, fork, munmap/mremap, madvise, brk
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_check.h"

#define PAGE 4096
#define THREADS 4
#define TOUCHES 12000           /* per thread: a few seconds on 2 busy CPUs */

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

/* ---- threads: shared read-only pages, and pages each thread rewrites ---- */

struct shared {
	char *ro, *rw;
	size_t ro_pages, rw_pages;
	uint32_t *version;              /* of each rw page; its owner's alone */
	atomic_int errors;
};

struct worker {
	struct shared *s;
	unsigned id;
	uint64_t rng;
};

static uint64_t next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;

	for (int n = 0; n < TOUCHES && !atomic_load(&s->errors); n++) {
		size_t k = next(&w->rng) % s->ro_pages;

		if (rc_check(s->ro + k * PAGE, k, 0, "threads: shared page"))
			atomic_fetch_add(&s->errors, 1);
		/* an own page: [k] with k % THREADS == id */
		k = (next(&w->rng) % (s->rw_pages / THREADS)) * THREADS + w->id;
		if (rc_check(s->rw + k * PAGE, 1000000 + k, s->version[k], "threads: own page"))
			atomic_fetch_add(&s->errors, 1);
		if (next(&w->rng) % 3 == 0)
			rc_fill(s->rw + k * PAGE, 1000000 + k, ++s->version[k]);
	}
	return NULL;
}

int rc_threads(size_t mib)
{
	struct shared s = { 0 };
	struct worker w[THREADS];
	pthread_t t[THREADS];

	s.ro_pages = mib * 256 / 2;
	s.rw_pages = s.ro_pages / THREADS * THREADS;
	s.ro = rc_region(s.ro_pages, 0, 0);
	s.rw = rc_region(s.rw_pages, 1000000, 0);
	s.version = calloc(s.rw_pages, sizeof(*s.version));
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ &s, i, 0x9e3779b97f4a7c15ull * (i + 1) };
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	if (atomic_load(&s.errors))
		return 1;
	for (size_t k = 0; k < s.rw_pages; k++)
		if (rc_check(s.rw + k * PAGE, 1000000 + k, s.version[k], "threads: at the end"))
			return 1;
	return rc_check_region(s.ro, s.ro_pages, 0, 0, "threads: shared at the end");
}

/* ---- fork: a child sees the parent's bytes; neither sees the other's writes ---- */

static int child_of(char *m, size_t pages)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return 2;
	if (pid == 0) {
		if (rc_check_region(m, pages, 0, 0, "fork: child reads"))
			_exit(1);
		for (size_t k = 0; k < pages; k += 2)
			rc_fill(m + k * PAGE, k, 7);
		for (size_t k = 0; k < pages; k++)
			if (rc_check(m + k * PAGE, k, k % 2 ? 0 : 7, "fork: child rereads"))
				_exit(1);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
		fprintf(stderr, "run_check: fork: the child died (status %#x)\n", st);
		return 1;
	}
	return WEXITSTATUS(st);
}

int rc_fork(size_t mib)
{
	size_t pages = mib * 256;
	char *m = rc_region(pages, 0, 0);
	int rc, st;
	pid_t pid;

	/* the early pages are out by now; a second round makes sure */
	rc = rc_check_region(m, pages, 0, 0, "fork: before");
	if (!rc)
		rc = child_of(m, pages);
	if (!rc)
		rc = rc_check_region(m, pages, 0, 0, "fork: parent after the child wrote");
	for (size_t k = 1; !rc && k < pages; k += 2)
		rc_fill(m + k * PAGE, k, 9);
	for (size_t k = 0; !rc && k < pages; k++)
		rc = rc_check(m + k * PAGE, k, k % 2 ? 9 : 0, "fork: parent rewrote");
	/* fork and exec, as a shell does */
	pid = rc ? -1 : fork();
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))) {
		fprintf(stderr, "run_check: fork: exec in the child failed\n");
		rc = 1;
	}
	return rc;
}

/* ---- munmap, mremap: moved pages keep their bytes; new memory reads zeros ---- */

int rc_remap(size_t mib)
{
	size_t pages = mib * 256;
	char *m = rc_region(pages, 0, 0), *moved, *fresh;
	size_t half = pages / 2;
	int rc = 0;

	rc |= rc_check_region(m, pages, 0, 0, "remap: before");
	/* grow and move: old bytes at the new place, zeros after them */
	moved = mremap(m, pages * PAGE, 2 * pages * PAGE, MREMAP_MAYMOVE);
	if (moved == MAP_FAILED)
		return perror("run_check: mremap"), 2;
	rc |= rc_check_region(moved, pages, 0, 0, "remap: moved");
	for (size_t k = pages; !rc && k < 2 * pages; k++)
		rc |= rc_zero(moved + k * PAGE, "remap: grown tail");
	/* unmap the middle, map it again: zeros, never the old bytes */
	munmap(moved + half * PAGE, half * PAGE);
	fresh = mmap(moved + half * PAGE, half * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (fresh == MAP_FAILED)
		return perror("run_check: mmap"), 2;
	for (size_t k = 0; !rc && k < half; k++)
		rc |= rc_zero(fresh + k * PAGE, "remap: mapped again");
	rc |= rc_check_region(moved, half, 0, 0, "remap: first half kept");
	/* shrink in place */
	if (mremap(moved, 2 * pages * PAGE, half * PAGE, 0) == MAP_FAILED)
		return perror("run_check: mremap shrink"), 2;
	rc |= rc_check_region(moved, half, 0, 0, "remap: after shrinking");
	return rc;
}

/* ---- madvise: DONTNEED reads zeros, FREE zeros or the old bytes, POPULATE keeps ---- */

int rc_madvise(size_t mib)
{
	size_t pages = mib * 256, q = pages / 4;
	char *m = rc_region(pages, 0, 0);
	int rc = rc_check_region(m, pages, 0, 0, "madvise: before");

	if (madvise(m, q * PAGE, MADV_DONTNEED))
		return perror("run_check: MADV_DONTNEED"), 2;
	for (size_t k = 0; !rc && k < q; k++)
		rc |= rc_zero(m + k * PAGE, "madvise: after DONTNEED");
	for (size_t k = 0; !rc && k < q; k++)
		rc_fill(m + k * PAGE, k, 3);
	if (madvise(m + q * PAGE, q * PAGE, MADV_FREE))
		return perror("run_check: MADV_FREE"), 2;
	for (size_t k = q; !rc && k < 2 * q; k++) {
		const uint64_t *w = (const uint64_t *)(m + k * PAGE);

		if (w[0] || w[1] || w[2])
			rc |= rc_check(w, k, 0, "madvise: after FREE (old bytes)");
		else
			rc |= rc_zero(w, "madvise: after FREE (zeros)");
	}
	if (madvise(m + 2 * q * PAGE, q * PAGE, MADV_POPULATE_READ) ||
	    madvise(m + 3 * q * PAGE, q * PAGE, MADV_POPULATE_WRITE))
		return perror("run_check: MADV_POPULATE"), 2;
	rc |= rc_check_region(m + 2 * q * PAGE, pages - 2 * q, 2 * q, 0, "madvise: populated");
	for (size_t k = 0; !rc && k < q; k++)
		rc |= rc_check(m + k * PAGE, k, 3, "madvise: rewritten after DONTNEED");
	return rc;
}

/* ---- brk: the heap grows and shrinks; what grows again reads zeros ---- */

int rc_brk(size_t mib)
{
	size_t pages = mib * 256, half = pages / 2;
	char *m = sbrk(0);
	int rc;

	m = (char *)(((uintptr_t)m + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
	if (brk(m + pages * PAGE))
		return perror("run_check: brk"), 2;
	for (size_t k = 0; k < pages; k++)
		rc_fill(m + k * PAGE, k, 0);
	rc = rc_check_region(m, pages, 0, 0, "brk: grown");
	if (brk(m + half * PAGE) || brk(m + pages * PAGE))
		return perror("run_check: brk shrink and grow"), 2;
	rc |= rc_check_region(m, half, 0, 0, "brk: kept half");
	for (size_t k = half; !rc && k < pages; k++)
		rc |= rc_zero(m + k * PAGE, "brk: grown again");
	return rc;
}

/*
 * ---- hot: a small set touched often keeps its place ----
 *
 * Every 32nd page of a region four times the limit is hot: one of them is
 * read every step, round robin, while the others are swept in order (each
 * a fault).  With the pager's heat (a page brought back soon after it
 * left is passed over), a hot page is seldom out when its turn comes; with
 * a plain FIFO it would be out about once in eight turns.  Only the last
 * two sweeps count (the first fills the FIFO).  @mib: the limit's four
 * times; every byte read is checked too.
 */
#define HOT_EVERY 32
#define HOT_SWEEPS 3
#define HOT_OUT_MAX_PERMILLE 40

int rc_hot(size_t mib)
{
	size_t pages = mib * (1u << 20) / PAGE, hot = pages / HOT_EVERY, touches = 0, out = 0, h = 0;
	char *m = rc_region(pages, 0, 0);

	for (unsigned sweep = 0; sweep < HOT_SWEEPS; sweep++)
		for (size_t k = 0; k < pages; k++) {
			char *hp = m + (h++ % hot) * HOT_EVERY * PAGE;

			if (k % HOT_EVERY == 0)
				continue;
			if (sweep > 0) {
				touches++;
				out += !rc_present(hp);
			}
			if (rc_check(hp, (size_t)(hp - m) / PAGE, 0, "hot page") ||
			    rc_check(m + k * PAGE, k, 0, "swept page"))
				return 1;
		}
	if (out * 1000 > touches * HOT_OUT_MAX_PERMILLE) {
		fprintf(stderr, "run_check: hot pages were out at %zu of %zu touches (more than %d per mille)\n",
			out, touches, HOT_OUT_MAX_PERMILLE);
		return 1;
	}
	printf("hot pages out at %zu of %zu touches\n", out, touches);
	return 0;
}
