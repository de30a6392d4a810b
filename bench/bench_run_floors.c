/*
 * bench_run_floors.c - what a fault-in cannot beat on this machine, measured
 * beside `zbud bench run`'s figures in the same run
 *
 * Each floor is timed over @n faults on pages no one has touched, so that
 * what is measured is the round trip, not the pager: the kernel raising
 * the fault, someone serving it with UFFDIO_COPY of 4 KiB, the faulting
 * instruction running again.  Served by the faulting thread itself
 * (UFFD_FEATURE_SIGBUS), or by a handler thread on the same CPU or on the
 * other; and LZ4 decompressing the workload's pages, a system call trapped
 * by syscall user dispatch, a UFFDIO_MOVE out, and UFFDIO_COPY alone, with
 * no fault: the part of a fault-in that the handler's own time includes
 * besides the load.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <lz4.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "bench_run.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef UFFDIO_MOVE
struct uffdio_move {
	__u64 dst, src, len, mode;
	__s64 move;
};
#define UFFDIO_MOVE _IOWR(UFFDIO, 0x05, struct uffdio_move)
#endif

#define PAGE 4096

static int uffd = -1;
static char copy_src[PAGE] __attribute__((aligned(PAGE)));

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int open_uffd(unsigned long features, int flags)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY | flags);

	if (fd < 0 || ioctl(fd, UFFDIO_API, &api)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static char *registered(size_t pages)
{
	char *m = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct uffdio_register r = { .range = { (uintptr_t)m, pages * PAGE },
				     .mode = UFFDIO_REGISTER_MODE_MISSING };

	if (m == MAP_FAILED)
		return NULL;
	if (ioctl(uffd, UFFDIO_REGISTER, &r)) {
		munmap(m, pages * PAGE);
		return NULL;
	}
	return m;
}

static void copy_page(uintptr_t addr)
{
	struct uffdio_copy c = { .dst = addr & ~(uintptr_t)(PAGE - 1), .src = (uintptr_t)copy_src,
				 .len = PAGE };

	ioctl(uffd, UFFDIO_COPY, &c);
}

static void on_bus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	copy_page((uintptr_t)si->si_addr);
}

/* Touch every page of @m, timing each; the median and 99th percentile in *f. */
static void touch_all(char *m, size_t pages, struct bench_floor *f)
{
	double *t = malloc(pages * sizeof(*t));

	for (size_t i = 0; i < pages; i++) {
		double t0 = now_us();

		((volatile char *)m)[i * PAGE] = 1;
		t[i] = now_us() - t0;
	}
	bench_quantiles(t, pages, &f->median_us, &f->p99_us);
	free(t);
}

static int floor_sigbus(size_t pages, struct bench_floor *f)
{
	struct sigaction sa = { .sa_sigaction = on_bus, .sa_flags = SA_SIGINFO | SA_NODEFER }, old;
	char *m;

	uffd = open_uffd(UFFD_FEATURE_SIGBUS, 0);
	if (uffd < 0 || !(m = registered(pages)))
		return -1;
	sigaction(SIGBUS, &sa, &old);
	touch_all(m, pages, f);
	sigaction(SIGBUS, &old, NULL);
	munmap(m, pages * PAGE);
	close(uffd);
	return 0;
}

static int handler_cpu;

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void *serve(void *arg)
{
	(void)arg;
	pin(handler_cpu);
	for (;;) {
		struct pollfd p = { .fd = uffd, .events = POLLIN };
		struct uffd_msg msg;

		if (poll(&p, 1, -1) < 0 || (p.revents & (POLLHUP | POLLNVAL | POLLERR)))
			return NULL;
		if (read(uffd, &msg, sizeof(msg)) == sizeof(msg) && msg.event == UFFD_EVENT_PAGEFAULT)
			copy_page(msg.arg.pagefault.address);
	}
}

static int floor_thread(size_t pages, int cpu, int fault_cpu, struct bench_floor *f)
{
	cpu_set_t all;
	pthread_t t;
	char *m;

	uffd = open_uffd(0, O_NONBLOCK);
	if (uffd < 0 || !(m = registered(pages)))
		return -1;
	sched_getaffinity(0, sizeof(all), &all);
	pin(fault_cpu);
	handler_cpu = cpu;
	pthread_create(&t, NULL, serve, NULL);
	usleep(10000);
	touch_all(m, pages, f);
	munmap(m, pages * PAGE);
	pthread_cancel(t);      /* in poll(), a cancellation point */
	pthread_join(t, NULL);
	close(uffd);
	sched_setaffinity(0, sizeof(all), &all);
	return 0;
}

static int floor_decompress(const char *pages, size_t n, struct bench_floor *f, double *ratio)
{
	int bound = LZ4_compressBound(PAGE);
	char *c = malloc((size_t)bound * n), out[PAGE];
	int *len = malloc(n * sizeof(*len));
	double *t = malloc(n * sizeof(*t)), total = 0;

	for (size_t i = 0; i < n; i++) {
		len[i] = LZ4_compress_default(pages + i * PAGE, c + (size_t)bound * i, PAGE, bound);
		total += len[i];
	}
	for (size_t i = 0; i < n; i++) {
		double t0 = now_us();

		LZ4_decompress_safe(c + (size_t)bound * i, out, len[i], PAGE);
		t[i] = now_us() - t0;
	}
	bench_quantiles(t, n, &f->median_us, &f->p99_us);
	*ratio = (double)n * PAGE / total;
	free(c);
	free(len);
	free(t);
	return 0;
}

/* ---- a system call trapped by syscall user dispatch and made again ---- */

long bench_raw_syscall(long nr, long a, long b, long c, long d, long e, long f);
extern char bench_sud_start[], bench_sud_end[], bench_restorer[];
__asm__(".pushsection bench_sud,\"ax\",@progbits\n"
	".globl bench_sud_start\nbench_sud_start:\n"
	".globl bench_raw_syscall\nbench_raw_syscall:\n"
	" mov %rdi,%rax\n mov %rsi,%rdi\n mov %rdx,%rsi\n mov %rcx,%rdx\n"
	" mov %r8,%r10\n mov %r9,%r8\n mov 8(%rsp),%r9\n syscall\n ret\n"
	".globl bench_restorer\nbench_restorer:\n mov $15,%eax\n syscall\n ud2\n"
	".globl bench_sud_end\nbench_sud_end:\n .popsection\n");

static volatile char selector = SYSCALL_DISPATCH_FILTER_ALLOW;

static void on_sys(int sig, siginfo_t *si, void *ucv)
{
	greg_t *g = ((ucontext_t *)ucv)->uc_mcontext.gregs;

	(void)sig;
	(void)si;
	g[REG_RAX] = bench_raw_syscall(g[REG_RAX], g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10],
				       g[REG_R8], g[REG_R9]);
}

static int floor_sud(size_t n, struct bench_floor *plain, struct bench_floor *trapped)
{
	struct { void *h; unsigned long flags; void *restorer; unsigned long mask; } ka = {
		(void *)on_sys, SA_SIGINFO | SA_NODEFER | 0x04000000, bench_restorer, 0 };
	double *t = malloc(n * sizeof(*t));

	if (syscall(SYS_rt_sigaction, SIGSYS, &ka, NULL, 8) ||
	    prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (unsigned long)bench_sud_start,
		  (unsigned long)(bench_sud_end - bench_sud_start), &selector))
		return free(t), -1;
	for (int trap = 0; trap < 2; trap++) {
		selector = trap ? SYSCALL_DISPATCH_FILTER_BLOCK : SYSCALL_DISPATCH_FILTER_ALLOW;
		for (size_t i = 0; i < n; i++) {
			double t0 = now_us();

			syscall(SYS_getppid);
			t[i] = now_us() - t0;
		}
		selector = SYSCALL_DISPATCH_FILTER_ALLOW;
		bench_quantiles(t, n, trap ? &trapped->median_us : &plain->median_us,
				trap ? &trapped->p99_us : &plain->p99_us);
	}
	prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
	signal(SIGSYS, SIG_DFL);
	free(t);
	return 0;
}

/* UFFDIO_MOVE out of @pages written pages, @batch at a time: µs per page. */
static int floor_move(size_t pages, size_t batch, struct bench_floor *f)
{
	char *src = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *dst;
	double *t = malloc(pages / batch * sizeof(*t));
	size_t k = 0;

	uffd = open_uffd(0, 0);
	if (src == MAP_FAILED || uffd < 0 || !(dst = registered(pages)))
		return free(t), -1;
	for (size_t i = 0; i < pages; i++)
		src[i * PAGE] = 1;
	for (size_t i = 0; i + batch <= pages; i += batch) {
		struct uffdio_move m = { (uintptr_t)dst + i * PAGE, (uintptr_t)src + i * PAGE,
					 batch * PAGE, 0, 0 };
		double t0 = now_us();

		if (ioctl(uffd, UFFDIO_MOVE, &m))
			break;
		t[k++] = (now_us() - t0) / (double)batch;
	}
	if (k)
		bench_quantiles(t, k, &f->median_us, &f->p99_us);
	munmap(src, pages * PAGE);
	munmap(dst, pages * PAGE);
	close(uffd);
	free(t);
	return k ? 0 : -1;
}

/* UFFDIO_COPY into each of @pages missing pages, no fault: µs per page. */
static int floor_copy(size_t pages, struct bench_floor *f)
{
	double *t = malloc(pages * sizeof(*t));
	char *m;

	uffd = open_uffd(0, 0);
	if (!t || uffd < 0 || !(m = registered(pages))) {
		if (uffd >= 0)
			close(uffd);
		return free(t), -1;
	}
	for (size_t i = 0; i < pages; i++) {
		double t0 = now_us();

		copy_page((uintptr_t)m + i * PAGE);
		t[i] = now_us() - t0;
	}
	bench_quantiles(t, pages, &f->median_us, &f->p99_us);
	munmap(m, pages * PAGE);
	close(uffd);
	free(t);
	return 0;
}

int bench_floors(size_t faults, const char *pages, size_t npages, struct bench_floors *fl)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int rc = 0;

	memset(fl, 0, sizeof(*fl));
	memset(copy_src, 'x', sizeof(copy_src));
	rc |= floor_sigbus(faults, &fl->sigbus);
	if (cpus >= 2) {
		rc |= floor_thread(faults / 4, 1, 0, &fl->thread_other);
		rc |= floor_thread(faults / 4, 0, 0, &fl->thread_same);
	}
	rc |= floor_decompress(pages, npages, &fl->decompress, &fl->lz4_ratio);
	rc |= floor_sud(faults, &fl->syscall, &fl->syscall_trapped);
	rc |= floor_move(faults, 1, &fl->move1);
	rc |= floor_move(faults, 16, &fl->move16);
	rc |= floor_copy(faults, &fl->copy);
	return rc ? -1 : 0;
}
