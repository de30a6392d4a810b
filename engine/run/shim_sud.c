/*
 * shim_sud.c - every system call of the program passes through here first
 *
 * Syscall user dispatch (prctl PR_SET_SYSCALL_USER_DISPATCH, Linux 5.11)
 * turns each system call made outside one range of code into a SIGSYS in
 * the calling thread, unprivileged and without seccomp's no_new_privs.
 * The handler pins and faults in the memory the call hands to the kernel
 * (shim_sysargs.c), makes the call itself from the allowed range
 * (shim_asm.S), and lets the pages go when it returns.  Some calls are
 * more than that:
 *
 *   rt_sigreturn       made again from the allowed range, on the program's frame
 *   clone (shared VM), vfork, clone3 (shared VM)
 *                      made by a stub that the handler returns to
 *   fork, clone        every evicted page is brought back first: the child
 *                      has no userfaultfd of ours and must see the parent's
 *                      bytes; the child starts its own pager (shim_init.c)
 *   mmap, mprotect, brk, mremap
 *                      new anonymous memory is managed at once
 *   signal calls       emulated (shim_signals.c)
 *   close, close_range, dup2, dup3
 *                      the pager's descriptors are not the program's to close
 *   io_setup, io_uring_setup, mlockall, userfaultfd
 *                      the kernel would touch pages behind our back: the
 *                      process lets go of all its memory and runs unmanaged
 *
 * Blocking calls run under the program's signal mask, so that its handlers
 * run (nested, on top of this one) while it waits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "shim.h"

#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

/* clone3()'s argument, as far as the pager reads it (linux/sched.h) */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};
#define NSTUBS 16
#define BIT(sig) (1ull << ((sig) - 1))

extern char __start_zbud_sud[], __stop_zbud_sud[], shim_restorer[];
extern char shim_clone_stub0[], shim_clone_stub1[], shim_clone_stub2[], shim_clone_stub3[],
	shim_clone_stub4[], shim_clone_stub5[], shim_clone_stub6[], shim_clone_stub7[],
	shim_clone_stub8[], shim_clone_stub9[], shim_clone_stub10[], shim_clone_stub11[],
	shim_clone_stub12[], shim_clone_stub13[], shim_clone_stub14[], shim_clone_stub15[];

static char *const stubs[NSTUBS] = {
	shim_clone_stub0, shim_clone_stub1, shim_clone_stub2, shim_clone_stub3,
	shim_clone_stub4, shim_clone_stub5, shim_clone_stub6, shim_clone_stub7,
	shim_clone_stub8, shim_clone_stub9, shim_clone_stub10, shim_clone_stub11,
	shim_clone_stub12, shim_clone_stub13, shim_clone_stub14, shim_clone_stub15,
};

/* Read by the stubs (shim_asm.S). */
SHIM_HIDDEN volatile char shim_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
SHIM_HIDDEN uintptr_t shim_sud_start, shim_sud_len, shim_sud_selector;
SHIM_HIDDEN uintptr_t shim_clone_target[NSTUBS];
SHIM_HIDDEN atomic_long shim_clone_hold;
static atomic_int nstubs;

void sud_enable_thread(void)
{
	SYS6(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, shim_sud_start,
	     shim_sud_len, shim_sud_selector, 0);
}

void sud_off(void)
{
	shim_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
}

uintptr_t sud_restorer(void)
{
	return (uintptr_t)shim_restorer;
}

/* The stub that returns to @target, made on first use. */
static char *stub_for(uintptr_t target)
{
	int n = atomic_load(&nstubs);

	for (int i = 0; i < n; i++)
		if (shim_clone_target[i] == target)
			return stubs[i];
	while (n < NSTUBS) {
		/* Publish the target before the count: readers use [0, n). */
		if (atomic_compare_exchange_weak(&nstubs, &n, n + 1)) {
			shim_clone_target[n] = target;
			return stubs[n];
		}
	}
	return NULL;
}

/* A clone sharing our memory: the handler returns into a stub that makes it. */
static void clone_via_stub(struct sys_call *c, greg_t *g)
{
	char *stub = stub_for((uintptr_t)g[REG_RIP]);

	if (!stub) {
		g[REG_RAX] = -EAGAIN;
		return;
	}
	/* A thread whose stack or TLS the program put in managed memory. */
	if (c->nr == SYS_clone3 && c->a[0]) {
		struct clone3_args ca = { 0 };

		memcpy(&ca, (void *)c->a[0], sizeof(ca) < (size_t)c->a[1] ? sizeof(ca) : (size_t)c->a[1]);
		if (ca.stack && regions_contains(PAGE_OF(ca.stack)))
			regions_unmanage(ca.stack, ca.stack + ca.stack_size);
		if (ca.tls && regions_contains(PAGE_OF(ca.tls)))
			regions_unmanage(ca.tls - 2 * SHIM_PAGE, ca.tls + 2 * SHIM_PAGE);
	} else if (c->nr == SYS_clone && c->a[1] && regions_contains(PAGE_OF(c->a[1]))) {
		regions_unmanage(c->a[1] - 64 * SHIM_PAGE, c->a[1]);
	}
	atomic_fetch_add(&shim_clone_hold, 1);
	g[REG_RIP] = (greg_t)stub;
}

/* fork, or a clone that copies the address space: see the comment at the top. */
static long fork_call(struct sys_call *c)
{
	long ret;

	pager_pause();
	restore_all();
	ret = shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	if (ret == 0)
		shim_child_after_fork();
	else
		pager_resume();
	return ret;
}

static long plain(const struct sys_call *c)
{
	return shim_syscall6(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}

static bool is_vfork_child(void)
{
	return SYS0(SYS_getpid) != shim.pid;
}

static bool own_fd(long fd)
{
	return fd >= 0 && (fd == shim.uffd || shim_fd_is_own((int)fd));
}

/* close_range() around the pager's descriptors. */
static long close_range_call(struct sys_call *c)
{
	unsigned first = (unsigned)c->a[0], last = (unsigned)c->a[1];
	long ret = 0;

	if (c->a[2] & 4 /* CLOSE_RANGE_CLOEXEC: ours are close-on-exec already */)
		return SYS3(SYS_close_range, first, last, c->a[2]);
	for (unsigned fd = first; fd <= last && ret == 0; fd++) {
		if (!own_fd(fd))
			continue;
		if (fd > first)
			ret = SYS3(SYS_close_range, first, fd - 1, c->a[2]);
		first = fd + 1;
		if (fd == ~0u)
			return ret;
	}
	if (ret == 0 && first <= last)
		ret = SYS3(SYS_close_range, first, last, c->a[2]);
	return ret;
}

/*
 * MADV_POPULATE_READ/WRITE: the kernel would populate managed pages with
 * faults that SIGBUS mode refuses (EFAULT), and a range larger than the
 * limit could not stay populated anyway.  So managed pages are faulted in
 * here (a hint, as with swap: they may go out again) and the kernel is
 * asked only about the rest.
 */
static long populate(const struct sys_call *c)
{
	uintptr_t start = (uintptr_t)c->a[0], end = start + (uintptr_t)c->a[1], run = 0;
	long ret = 0;

	if (start & (SHIM_PAGE - 1) || end < start)
		return plain(c);
	for (uintptr_t p = start; p < end && ret == 0; p += SHIM_PAGE) {
		if (!regions_contains(p)) {
			if (!run)
				run = p;
			continue;
		}
		if (run)
			ret = SYS3(SYS_madvise, run, p - run, c->a[2]);
		run = 0;
		fault_in(p, c->a[2] == MADV_POPULATE_WRITE);
	}
	if (run && ret == 0)
		ret = SYS3(SYS_madvise, run, end - run, c->a[2]);
	return ret;
}

/* Calls to answer before anything is pinned; true when *ret is the answer. */
static bool before(struct sys_call *c, long *ret)
{
	switch (c->nr) {
	case SYS_close:
		if (!own_fd(c->a[0]))
			return false;
		*ret = 0;       /* as if closed: the descriptor is the pager's */
		return true;
	case SYS_close_range:
		*ret = close_range_call(c);
		return true;
	case SYS_dup2:
	case SYS_dup3:
		if (!own_fd(c->a[1]))
			return false;
		*ret = -EBUSY;
		return true;
	case SYS_io_setup:
	case SYS_io_uring_setup:
		regions_unmanage_all("it uses Linux AIO or io_uring, which reach pages behind the pager");
		return false;
	case SYS_mlockall:
		regions_unmanage_all("it locks all its memory (mlockall)");
		return false;
	case SYS_userfaultfd:
		regions_unmanage_all("it uses userfaultfd itself");
		return false;
	case SYS_madvise:
		if (c->a[2] != MADV_POPULATE_READ && c->a[2] != MADV_POPULATE_WRITE)
			return false;
		*ret = populate(c);
		return true;
	default:
		return false;
	}
}

/* New memory from a call that returned @ret: managed from now on. */
static void after(const struct sys_call *c, long ret)
{
	if (ret < 0 && ret > -4096)
		return;
	switch (c->nr) {
	case SYS_mmap:
		if (c->a[3] & (MAP_STACK | MAP_GROWSDOWN))
			regions_exclude(ret, ret + c->a[1]);
		else if ((c->a[3] & (MAP_ANONYMOUS | MAP_SHARED | MAP_PRIVATE)) ==
			 (MAP_ANONYMOUS | MAP_PRIVATE) && c->a[2] == (PROT_READ | PROT_WRITE))
			regions_add(ret, ret + c->a[1], !(c->a[3] & MAP_POPULATE));
		break;
	case SYS_mprotect:
		if (c->a[2] == (PROT_READ | PROT_WRITE))
			regions_add(c->a[0], c->a[0] + c->a[1], false);
		break;
	case SYS_brk:
		if (ret > shim.brk)
			regions_add(shim.brk, ret, true);
		shim.brk = ret;
		break;
	case SYS_mremap:
		/* Its event has been read; wait until it is applied, then take the rest. */
		rw_read_take(&shim.evlock);
		rw_read_release(&shim.evlock);
		regions_add(ret, ret + c->a[2], false);
		break;
	default:
		break;
	}
}

static long generic(struct sys_call *c, ucontext_t *uc)
{
	struct pin_set ps = { 0 };
	bool vfork_child;
	long ret;

	if (signals_emulate(c, uc, &ret) || before(c, &ret))
		return ret;
	if (!shim.on)
		return plain(c);
	sysargs_prepare(c, &ps);
	/* A vfork child that execs would never let its pins go; nothing is
	 * evicted while it runs (shim_clone_hold), so it needs none. */
	vfork_child = atomic_load(&shim_clone_hold) > 0 && is_vfork_child();
	if (vfork_child)
		pins_release(&ps);
	if (sysargs_may_block(c->nr)) {
		sigset_t inside;

		signals_restore(&uc->uc_sigmask);
		ret = plain(c);
		signals_block_async(&inside);
	} else {
		ret = plain(c);
	}
	pins_release(&ps);
	after(c, ret);
	return ret;
}

static long exec_call(struct sys_call *c, ucontext_t *uc)
{
	bool child = is_vfork_child();
	long ret;

	if (!child)
		stats_publish(RUN_PROC_EXITED, NULL);
	ret = generic(c, uc);
	if (!child)
		stats_publish(RUN_PROC_RUNNING, NULL);
	return ret;
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct sys_call c = {
		.nr = g[REG_RAX],
		.a = { g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9] },
	};
	int saved = errno;
	long ret;

	if (si->si_code != SYS_USER_DISPATCH) {
		signals_forward(sig, si, ucv);
		return;
	}
	atomic_fetch_add(&shim_count.syscalls, 1);
	switch (c.nr) {
	case SYS_rt_sigreturn:
		g[REG_RIP] = (greg_t)shim_restorer;
		return;
	case SYS_vfork:
		clone_via_stub(&c, g);
		return;
	case SYS_clone:
	case SYS_clone3: {
		struct clone3_args ca = { .flags = (uint64_t)c.a[0], .stack = (uint64_t)c.a[1] };

		if (c.nr == SYS_clone3 && c.a[0])
			memcpy(&ca, (void *)c.a[0], sizeof(ca) < (size_t)c.a[1] ? sizeof(ca) : (size_t)c.a[1]);
		if (!(ca.flags & CLONE_VM) && ca.stack) {
			/* A new process on a new stack: it cannot start inside this
			 * handler, and a stub cannot give it a pager of its own. */
			regions_unmanage_all("it forks onto a stack of its own (clone with a stack)");
			clone_via_stub(&c, g);
			return;
		}
		if (ca.flags & CLONE_VM) {
			clone_via_stub(&c, g);
			return;
		}
		ret = fork_call(&c);
		break;
	}
	case SYS_fork:
		ret = fork_call(&c);
		break;
	case SYS_exit_group:
		if (!is_vfork_child())
			stats_publish(RUN_PROC_EXITED, NULL);
		if (shim.flags & RUN_FLAG_VERBOSE)
			shim_say("resident %lu peak %lu faults %lu zero %lu evictions %lu kept %lu syscalls %lu prefaults %lu events %lu fault_ms %lu pager_ms %lu managed %lu KiB",
				 (unsigned long)shim_count.resident, (unsigned long)shim_count.resident_peak,
				 (unsigned long)shim_count.faults, (unsigned long)shim_count.zero_fills,
				 (unsigned long)shim_count.evictions, (unsigned long)shim_count.kept_resident,
				 (unsigned long)shim_count.syscalls, (unsigned long)shim_count.prefaults,
				 (unsigned long)shim_count.events, (unsigned long)(shim_count.fault_ns / 1000000),
				 (unsigned long)(shim_count.pager_ns / 1000000), (unsigned long)(regions_bytes() >> 10));
		ret = plain(&c);
		break;
	case SYS_execve:
	case SYS_execveat:
		ret = exec_call(&c, uc);
		break;
	default:
		ret = generic(&c, uc);
		break;
	}
	g[REG_RAX] = ret;
	errno = saved;
}

int sud_init(char *why, size_t len)
{
	long err;

	shim_sud_start = (uintptr_t)__start_zbud_sud;
	shim_sud_len = (uintptr_t)(__stop_zbud_sud - __start_zbud_sud);
	shim_sud_selector = (uintptr_t)&shim_selector;
	shim.brk = SYS1(SYS_brk, 0);
	if (signals_install(SIGSYS, on_sigsys)) {
		snprintf(why, len, "cannot install the SIGSYS handler");
		return -EINVAL;
	}
	err = SYS6(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, shim_sud_start,
		   shim_sud_len, shim_sud_selector, 0);
	if (err) {
		snprintf(why, len, "syscall user dispatch: %s", strerror((int)-err));
		return (int)err;
	}
	shim_selector = SYSCALL_DISPATCH_FILTER_BLOCK;
	return 0;
}
