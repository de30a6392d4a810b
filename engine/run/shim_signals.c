/*
 * shim_signals.c - keeping SIGBUS and SIGSYS the pager's
 *
 * The pager serves faults on SIGBUS and system calls on SIGSYS.  Both must
 * reach it in every thread at every moment: a synchronous signal that is
 * blocked or ignored when the kernel raises it kills the process.  So the
 * signal system calls of the program are emulated (they are trapped like
 * every other): its handlers for SIGBUS and SIGSYS are recorded, not
 * installed, and called for the signals that are not the pager's; no mask
 * it sets, in sigprocmask or in a handler's sa_mask, keeps the two out; and
 * every handler returns through the pager's restorer, since a return
 * through the C library's would be a trapped rt_sigreturn.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "shim.h"

#define SA_RESTORER_FLAG 0x04000000
#define BIT(sig) (1ull << ((sig) - 1))
#define OURS (BIT(SIGBUS) | BIT(SIGSYS))
/* Synchronous signals: never blocked in our handlers, or the kernel kills. */
#define SYNC (OURS | BIT(SIGSEGV) | BIT(SIGILL) | BIT(SIGFPE) | BIT(SIGTRAP) | \
	      BIT(SIGKILL) | BIT(SIGSTOP))

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

extern char shim_restorer[];

static struct ksigaction prog[2];       /* the program's SIGBUS, SIGSYS */
static struct shim_spin prog_lock;

static struct ksigaction *prog_action(int sig)
{
	return sig == SIGBUS ? &prog[0] : sig == SIGSYS ? &prog[1] : NULL;
}

int signals_install(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct ksigaction act = {
		.handler = (void *)fn,
		.flags = SA_SIGINFO | SA_NODEFER | SA_RESTORER_FLAG | SA_RESTART,
		.restorer = shim_restorer,
		.mask = ~SYNC,
	};

	return (int)SYS4(SYS_rt_sigaction, sig, &act, prog_action(sig), 8);
}

void signals_block_async(sigset_t *old)
{
	uint64_t all = ~SYNC;

	SYS4(SYS_rt_sigprocmask, SIG_BLOCK, &all, old, 8);
}

void signals_restore(const sigset_t *old)
{
	SYS4(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, 8);
}

/*
 * Copy @len bytes between the pager and the program's memory @user, failing
 * as the kernel would on a bad pointer (the kernel does the copy).
 */
static bool user_copy(void *mine, void *user, size_t len, bool to_user)
{
	struct iovec local = { mine, len }, remote = { user, len };
	struct pin_set ps = { 0 };
	bool ok;

	pins_add(&ps, (uintptr_t)user, len);
	ok = SYS6(to_user ? SYS_process_vm_writev : SYS_process_vm_readv, shim.pid, &local, 1,
		  &remote, 1, 0) == (long)len;
	pins_release(&ps);
	return ok;
}

static bool put_user(void *dst, const void *src, size_t len)
{
	return user_copy((void *)src, dst, len, true);
}

static bool get_user(void *dst, const void *src, size_t len)
{
	return user_copy(dst, (void *)src, len, false);
}

static long sigaction_call(struct sys_call *c)
{
	int sig = (int)c->a[0];
	struct ksigaction *p = prog_action(sig), act, old;

	if (c->a[3] != 8)
		return -EINVAL;
	if (c->a[1] && !get_user(&act, (void *)c->a[1], sizeof(act)))
		return -EFAULT;
	if (p) {
		spin_take(&prog_lock);
		old = *p;
		if (c->a[1])
			*p = act;
		spin_release(&prog_lock);
		if (c->a[2] && !put_user((void *)c->a[2], &old, sizeof(old)))
			return -EFAULT;
		return 0;
	}
	if (c->a[1]) {
		if (act.handler != SIG_DFL && act.handler != SIG_IGN) {
			act.flags |= SA_RESTORER_FLAG;
			act.restorer = shim_restorer;
		}
		act.mask &= ~OURS;
	}
	{
		struct pin_set ps = { 0 };
		long r;

		pins_add(&ps, (uintptr_t)c->a[2], sizeof(old));
		r = SYS4(SYS_rt_sigaction, sig, c->a[1] ? &act : NULL, c->a[2], 8);
		pins_release(&ps);
		return r;
	}
}

static long sigprocmask_call(struct sys_call *c, ucontext_t *uc)
{
	uint64_t *cur = (uint64_t *)&uc->uc_sigmask, old = *cur, set;

	if (c->a[3] != 8)
		return -EINVAL;
	if (c->a[1]) {
		if (!get_user(&set, (void *)c->a[1], sizeof(set)))
			return -EFAULT;
		switch (c->a[0]) {
		case SIG_BLOCK: *cur |= set; break;
		case SIG_UNBLOCK: *cur &= ~set; break;
		case SIG_SETMASK: *cur = set; break;
		default: return -EINVAL;
		}
		*cur &= ~(OURS | BIT(SIGKILL) | BIT(SIGSTOP));
	}
	if (c->a[2] && !put_user((void *)c->a[2], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* A mask the call will wait under: a copy without ours. */
static void sanitize_mask(struct sys_call *c, int arg)
{
	if (!c->a[arg] || !get_user(&c->mask_copy, (void *)c->a[arg], sizeof(c->mask_copy)))
		return;
	c->mask_copy &= ~OURS;
	c->a[arg] = (long)&c->mask_copy;
}

static void altstack_call(struct sys_call *c)
{
	stack_t ss;

	if (c->a[0] && get_user(&ss, (void *)c->a[0], sizeof(ss)) && !(ss.ss_flags & SS_DISABLE))
		regions_unmanage((uintptr_t)ss.ss_sp, (uintptr_t)ss.ss_sp + ss.ss_size);
}

bool signals_emulate(struct sys_call *c, ucontext_t *uc, long *ret)
{
	switch (c->nr) {
	case SYS_rt_sigaction:
		*ret = sigaction_call(c);
		return true;
	case SYS_rt_sigprocmask:
		*ret = sigprocmask_call(c, uc);
		return true;
	case SYS_rt_sigsuspend:
		sanitize_mask(c, 0);
		return false;
	case SYS_ppoll:
		sanitize_mask(c, 3);
		return false;
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		sanitize_mask(c, 4);
		return false;
	case SYS_pselect6:
		if (c->a[5] && get_user(c->psel, (void *)c->a[5], sizeof(c->psel)) && c->psel[0]) {
			struct sys_call inner = { .a = { (long)c->psel[0] } };

			sanitize_mask(&inner, 0);
			c->mask_copy = inner.mask_copy;
			c->psel[0] = (long)&c->mask_copy;
			c->a[5] = (long)c->psel;
		}
		return false;
	case SYS_sigaltstack:
		altstack_call(c);
		return false;
	default:
		return false;
	}
}

/*
 * In a fork child, whose one thread is not inside prog_lock: another
 * thread of the parent may have held it at the fork, and no one would
 * ever release the child's copy.
 */
void signals_reset_after_fork(void)
{
	memset(&prog_lock, 0, sizeof(prog_lock));
}

/*
 * A SIGBUS or SIGSYS that is not the pager's (a truncated file mapping, a
 * signal sent by kill, a seccomp filter of the program's): what the
 * program asked for.
 */
void signals_forward(int sig, siginfo_t *si, void *uc)
{
	struct ksigaction *p = prog_action(sig), a;

	spin_take(&prog_lock);
	a = *p;
	if (a.flags & SA_RESETHAND)
		p->handler = SIG_DFL;
	spin_release(&prog_lock);
	if (a.handler == SIG_IGN && si->si_code <= 0)
		return;
	if (a.handler == SIG_DFL || a.handler == SIG_IGN) {
		struct ksigaction dfl = { .handler = SIG_DFL };

		stats_publish(RUN_PROC_EXITED, NULL);
		SYS4(SYS_rt_sigaction, sig, &dfl, NULL, 8);
		/* A fault comes back when the instruction runs again; a sent signal
		 * is sent again. */
		if (si->si_code <= 0)
			SYS3(SYS_tgkill, shim.pid, SYS0(SYS_gettid), sig);
		return;
	}
	if (a.flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))a.handler)(sig, si, uc);
	else
		((void (*)(int))a.handler)(sig);
}
