/*
 * shim_sysargs.c - the memory a system call hands to the kernel
 *
 * Under UFFD_FEATURE_SIGBUS the kernel does not wait for an evicted page:
 * a read(2) into one would fail with EFAULT.  So before a trapped system
 * call runs, the pages it will read or write are brought back and pinned
 * (the pager skips pinned pages) until it returns.  This table says, for
 * each x86-64 system call, which arguments point at memory and how much:
 * a buffer and its length, a fixed-size structure, a string, an iovec
 * array, a msghdr and what it points to, an argv/envp array.  A call not in
 * the table has each argument that points into managed memory treated as
 * a structure of up to a page.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "shim.h"

enum pk {
	PK_NONE, PK_BUF,        /* a[arg], a[len] bytes */
	PK_FIX,                 /* a[arg], size bytes */
	PK_STR, PK_STRV,        /* a string; a NULL-ended array of strings */
	PK_IOV,                 /* struct iovec[a[len]] and the buffers */
	PK_MSG, PK_MMSG,        /* struct msghdr (and a[len] of struct mmsghdr) */
	PK_LENP,                /* a[arg], *(socklen_t *)a[len] bytes */
	PK_ARR,                 /* a[arg], a[len] * size bytes */
	PK_FDSET,               /* a[arg], a[len] bits */
	PK_ANY,                 /* up to a page */
};

struct pspec {
	unsigned char kind, arg, len;
	unsigned short size;
};

struct sdesc {
	struct pspec p[4];
	unsigned char block;    /* may wait for the outside world */
};

#define BUF(a, l) { PK_BUF, a, l, 0 }
#define FIX(a, s) { PK_FIX, a, 0, s }
#define STR(a) { PK_STR, a, 0, 0 }
#define STRV(a) { PK_STRV, a, 0, 0 }
#define IOV(a, l) { PK_IOV, a, l, 0 }
#define MSG(a) { PK_MSG, a, 0, 0 }
#define MMSG(a, l) { PK_MMSG, a, l, 0 }
#define LENP(a, l) { PK_LENP, a, l, 0 }
#define ARR(a, l, s) { PK_ARR, a, l, s }
#define FDS(a, l) { PK_FDSET, a, l, 0 }
#define ANY(a) { PK_ANY, a, 0, 0 }
#define B .block = 1

#define STAT 144                /* struct stat */
#define TS 16                   /* struct timespec, timeval */
#define SIGINFO 128
#define RUSAGE 144

static const struct sdesc table[460] = {
	[SYS_read] = { .p = { BUF(1, 2) }, B },
	[SYS_write] = { .p = { BUF(1, 2) }, B },
	[SYS_open] = { .p = { STR(0) }, B },
	[SYS_stat] = { .p = { STR(0), FIX(1, STAT) } },
	[SYS_fstat] = { .p = { FIX(1, STAT) } },
	[SYS_lstat] = { .p = { STR(0), FIX(1, STAT) } },
	[SYS_poll] = { .p = { ARR(0, 1, 8) }, B },
	[SYS_pread64] = { .p = { BUF(1, 2) }, B },
	[SYS_pwrite64] = { .p = { BUF(1, 2) }, B },
	[SYS_readv] = { .p = { IOV(1, 2) }, B },
	[SYS_writev] = { .p = { IOV(1, 2) }, B },
	[SYS_access] = { .p = { STR(0) } },
	[SYS_pipe] = { .p = { FIX(0, 8) } },
	[SYS_select] = { .p = { FDS(1, 0), FDS(2, 0), FDS(3, 0), FIX(4, TS) }, B },
	[SYS_mincore] = { .p = { ANY(2) } },
	[SYS_shmctl] = { .p = { FIX(2, 112) } },
	[SYS_pause] = { .p = { { 0 } }, B },
	[SYS_nanosleep] = { .p = { FIX(0, TS), FIX(1, TS) }, B },
	[SYS_getitimer] = { .p = { FIX(1, 32) } },
	[SYS_setitimer] = { .p = { FIX(1, 32), FIX(2, 32) } },
	[SYS_sendfile] = { .p = { FIX(2, 8) }, B },
	[SYS_connect] = { .p = { BUF(1, 2) }, B },
	[SYS_accept] = { .p = { LENP(1, 2), FIX(2, 4) }, B },
	[SYS_sendto] = { .p = { BUF(1, 2), BUF(4, 5) }, B },
	[SYS_recvfrom] = { .p = { BUF(1, 2), LENP(4, 5), FIX(5, 4) }, B },
	[SYS_sendmsg] = { .p = { MSG(1) }, B },
	[SYS_recvmsg] = { .p = { MSG(1) }, B },
	[SYS_bind] = { .p = { BUF(1, 2) } },
	[SYS_getsockname] = { .p = { LENP(1, 2), FIX(2, 4) } },
	[SYS_getpeername] = { .p = { LENP(1, 2), FIX(2, 4) } },
	[SYS_socketpair] = { .p = { FIX(3, 8) } },
	[SYS_setsockopt] = { .p = { BUF(3, 4) } },
	[SYS_getsockopt] = { .p = { LENP(3, 4), FIX(4, 4) } },
	[SYS_execve] = { .p = { STR(0), STRV(1), STRV(2) } },
	[SYS_wait4] = { .p = { FIX(1, 4), FIX(3, RUSAGE) }, B },
	[SYS_uname] = { .p = { FIX(0, 390) } },
	[SYS_semop] = { .p = { ARR(1, 2, 6) }, B },
	[SYS_msgsnd] = { .p = { ANY(1) }, B },
	[SYS_msgrcv] = { .p = { ANY(1) }, B },
	[SYS_msgctl] = { .p = { FIX(2, 120) } },
	[SYS_flock] = { .p = { { 0 } }, B },
	[SYS_truncate] = { .p = { STR(0) } },
	[SYS_getdents] = { .p = { BUF(1, 2) } },
	[SYS_getcwd] = { .p = { BUF(0, 1) } },
	[SYS_chdir] = { .p = { STR(0) } },
	[SYS_rename] = { .p = { STR(0), STR(1) } },
	[SYS_mkdir] = { .p = { STR(0) } },
	[SYS_rmdir] = { .p = { STR(0) } },
	[SYS_creat] = { .p = { STR(0) } },
	[SYS_link] = { .p = { STR(0), STR(1) } },
	[SYS_unlink] = { .p = { STR(0) } },
	[SYS_symlink] = { .p = { STR(0), STR(1) } },
	[SYS_readlink] = { .p = { STR(0), BUF(1, 2) } },
	[SYS_chmod] = { .p = { STR(0) } },
	[SYS_chown] = { .p = { STR(0) } },
	[SYS_lchown] = { .p = { STR(0) } },
	[SYS_gettimeofday] = { .p = { FIX(0, TS), FIX(1, 8) } },
	[SYS_getrlimit] = { .p = { FIX(1, 16) } },
	[SYS_getrusage] = { .p = { FIX(1, RUSAGE) } },
	[SYS_sysinfo] = { .p = { FIX(0, 112) } },
	[SYS_times] = { .p = { FIX(0, 32) } },
	[SYS_getgroups] = { .p = { ARR(1, 0, 4) } },
	[SYS_setgroups] = { .p = { ARR(1, 0, 4) } },
	[SYS_getresuid] = { .p = { FIX(0, 4), FIX(1, 4), FIX(2, 4) } },
	[SYS_getresgid] = { .p = { FIX(0, 4), FIX(1, 4), FIX(2, 4) } },
	[SYS_capget] = { .p = { FIX(0, 8), FIX(1, 24) } },
	[SYS_capset] = { .p = { FIX(0, 8), FIX(1, 24) } },
	[SYS_rt_sigpending] = { .p = { FIX(0, 8) } },
	[SYS_rt_sigtimedwait] = { .p = { FIX(0, 8), FIX(1, SIGINFO), FIX(2, TS) }, B },
	[SYS_rt_sigqueueinfo] = { .p = { FIX(2, SIGINFO) } },
	[SYS_rt_sigsuspend] = { .p = { FIX(0, 8) }, B },
	[SYS_utime] = { .p = { STR(0), FIX(1, 16) } },
	[SYS_mknod] = { .p = { STR(0) } },
	[SYS_statfs] = { .p = { STR(0), FIX(1, 120) } },
	[SYS_fstatfs] = { .p = { FIX(1, 120) } },
	[SYS_sched_setparam] = { .p = { FIX(1, 4) } },
	[SYS_sched_getparam] = { .p = { FIX(1, 4) } },
	[SYS_sched_setscheduler] = { .p = { FIX(2, 4) } },
	[SYS_sched_rr_get_interval] = { .p = { FIX(1, TS) } },
	[SYS_mlock] = { .p = { BUF(0, 1) } },
	[SYS_mlock2] = { .p = { BUF(0, 1) } },
	[SYS_prctl] = { .p = { ANY(1) } },
	[SYS_arch_prctl] = { .p = { ANY(1) } },
	[SYS_setrlimit] = { .p = { FIX(1, 16) } },
	[SYS_chroot] = { .p = { STR(0) } },
	[SYS_settimeofday] = { .p = { FIX(0, TS), FIX(1, 8) } },
	[SYS_mount] = { .p = { STR(0), STR(1), STR(2), ANY(4) } },
	[SYS_umount2] = { .p = { STR(0) } },
	[SYS_sethostname] = { .p = { BUF(0, 1) } },
	[SYS_setdomainname] = { .p = { BUF(0, 1) } },
	[SYS_setxattr] = { .p = { STR(0), STR(1), BUF(2, 3) } },
	[SYS_lsetxattr] = { .p = { STR(0), STR(1), BUF(2, 3) } },
	[SYS_fsetxattr] = { .p = { STR(1), BUF(2, 3) } },
	[SYS_getxattr] = { .p = { STR(0), STR(1), BUF(2, 3) } },
	[SYS_lgetxattr] = { .p = { STR(0), STR(1), BUF(2, 3) } },
	[SYS_fgetxattr] = { .p = { STR(1), BUF(2, 3) } },
	[SYS_listxattr] = { .p = { STR(0), BUF(1, 2) } },
	[SYS_llistxattr] = { .p = { STR(0), BUF(1, 2) } },
	[SYS_flistxattr] = { .p = { BUF(1, 2) } },
	[SYS_removexattr] = { .p = { STR(0), STR(1) } },
	[SYS_lremovexattr] = { .p = { STR(0), STR(1) } },
	[SYS_fremovexattr] = { .p = { STR(1) } },
	[SYS_time] = { .p = { FIX(0, 8) } },
	[SYS_sched_setaffinity] = { .p = { BUF(2, 1) } },
	[SYS_sched_getaffinity] = { .p = { BUF(2, 1) } },
	[SYS_getdents64] = { .p = { BUF(1, 2) } },
	[SYS_timer_create] = { .p = { FIX(1, 64), FIX(2, 4) } },
	[SYS_timer_settime] = { .p = { FIX(2, 32), FIX(3, 32) } },
	[SYS_timer_gettime] = { .p = { FIX(1, 32) } },
	[SYS_clock_settime] = { .p = { FIX(1, TS) } },
	[SYS_clock_gettime] = { .p = { FIX(1, TS) } },
	[SYS_clock_getres] = { .p = { FIX(1, TS) } },
	[SYS_clock_nanosleep] = { .p = { FIX(2, TS), FIX(3, TS) }, B },
	[SYS_epoll_wait] = { .p = { ARR(1, 2, 12) }, B },
	[SYS_epoll_ctl] = { .p = { FIX(3, 12) } },
	[SYS_utimes] = { .p = { STR(0), FIX(1, 32) } },
	[SYS_waitid] = { .p = { FIX(2, SIGINFO), FIX(4, RUSAGE) }, B },
	[SYS_inotify_add_watch] = { .p = { STR(1) } },
	[SYS_openat] = { .p = { STR(1) }, B },
	[SYS_mkdirat] = { .p = { STR(1) } },
	[SYS_mknodat] = { .p = { STR(1) } },
	[SYS_fchownat] = { .p = { STR(1) } },
	[SYS_futimesat] = { .p = { STR(1), FIX(2, 32) } },
	[SYS_newfstatat] = { .p = { STR(1), FIX(2, STAT) } },
	[SYS_unlinkat] = { .p = { STR(1) } },
	[SYS_renameat] = { .p = { STR(1), STR(3) } },
	[SYS_linkat] = { .p = { STR(1), STR(3) } },
	[SYS_symlinkat] = { .p = { STR(0), STR(2) } },
	[SYS_readlinkat] = { .p = { STR(1), BUF(2, 3) } },
	[SYS_fchmodat] = { .p = { STR(1) } },
	[SYS_faccessat] = { .p = { STR(1) } },
	[SYS_pselect6] = { .p = { FDS(1, 0), FDS(2, 0), FDS(3, 0), FIX(4, TS) }, B },
	[SYS_ppoll] = { .p = { ARR(0, 1, 8), FIX(2, TS), FIX(3, 8) }, B },
	[SYS_get_robust_list] = { .p = { FIX(1, 8), FIX(2, 8) } },
	[SYS_splice] = { .p = { FIX(1, 8), FIX(3, 8) }, B },
	[SYS_vmsplice] = { .p = { IOV(1, 2) }, B },
	[SYS_utimensat] = { .p = { STR(1), FIX(2, 32) } },
	[SYS_epoll_pwait] = { .p = { ARR(1, 2, 12), FIX(4, 8) }, B },
	[SYS_signalfd] = { .p = { FIX(1, 8) } },
	[SYS_timerfd_settime] = { .p = { FIX(2, 32), FIX(3, 32) } },
	[SYS_timerfd_gettime] = { .p = { FIX(1, 32) } },
	[SYS_accept4] = { .p = { LENP(1, 2), FIX(2, 4) }, B },
	[SYS_signalfd4] = { .p = { FIX(1, 8) } },
	[SYS_pipe2] = { .p = { FIX(0, 8) } },
	[SYS_preadv] = { .p = { IOV(1, 2) }, B },
	[SYS_pwritev] = { .p = { IOV(1, 2) }, B },
	[SYS_rt_tgsigqueueinfo] = { .p = { FIX(3, SIGINFO) } },
	[SYS_perf_event_open] = { .p = { ANY(0) } },
	[SYS_recvmmsg] = { .p = { MMSG(1, 2), FIX(4, TS) }, B },
	[SYS_prlimit64] = { .p = { FIX(2, 16), FIX(3, 16) } },
	[SYS_name_to_handle_at] = { .p = { STR(1), ANY(2), FIX(3, 4) } },
	[SYS_open_by_handle_at] = { .p = { ANY(1) }, B },
	[SYS_clock_adjtime] = { .p = { FIX(1, 208) } },
	[SYS_sendmmsg] = { .p = { MMSG(1, 2) }, B },
	[SYS_getcpu] = { .p = { FIX(0, 4), FIX(1, 4) } },
	[SYS_process_vm_readv] = { .p = { IOV(1, 2) } },
	[SYS_process_vm_writev] = { .p = { IOV(1, 2) } },
	[SYS_renameat2] = { .p = { STR(1), STR(3) } },
	[SYS_seccomp] = { .p = { ANY(2) } },
	[SYS_getrandom] = { .p = { BUF(0, 1) }, B },
	[SYS_memfd_create] = { .p = { STR(0) } },
	[SYS_bpf] = { .p = { BUF(1, 2) } },
	[SYS_execveat] = { .p = { STR(1), STRV(2), STRV(3) } },
	[SYS_copy_file_range] = { .p = { FIX(1, 8), FIX(3, 8) }, B },
	[SYS_preadv2] = { .p = { IOV(1, 2) }, B },
	[SYS_pwritev2] = { .p = { IOV(1, 2) }, B },
	[SYS_statx] = { .p = { STR(1), FIX(4, 256) } },
	[SYS_rseq] = { .p = { BUF(0, 1) } },
	[SYS_pidfd_send_signal] = { .p = { FIX(2, SIGINFO) } },
	[SYS_clone3] = { .p = { BUF(0, 1) } },
	[SYS_openat2] = { .p = { STR(1), BUF(2, 3) }, B },
	[SYS_faccessat2] = { .p = { STR(1) } },
	[SYS_process_madvise] = { .p = { IOV(1, 2) } },
	[SYS_epoll_pwait2] = { .p = { ARR(1, 2, 12), FIX(3, TS), FIX(4, 8) }, B },
	[449] = { .p = { ARR(0, 1, 24), FIX(3, TS) }, B },   /* futex_waitv (entries: below) */
	[452] = { .p = { STR(1) } },                          /* fchmodat2 */
};

/* Calls that take no pointers at all: the common ones, not decoded. */
static bool no_pointers(long nr)
{
	switch (nr) {
	case SYS_close: case SYS_lseek: case SYS_sched_yield: case SYS_msync: case SYS_dup:
	case SYS_alarm: case SYS_getpid: case SYS_socket: case SYS_shutdown: case SYS_listen:
	case SYS_kill: case SYS_fsync: case SYS_fdatasync: case SYS_ftruncate: case SYS_fchdir:
	case SYS_fchmod: case SYS_fchown: case SYS_umask: case SYS_getuid: case SYS_getgid:
	case SYS_geteuid: case SYS_getegid: case SYS_setuid: case SYS_setgid: case SYS_getppid:
	case SYS_getpgrp: case SYS_setsid: case SYS_setpgid: case SYS_getpgid: case SYS_getsid:
	case SYS_gettid: case SYS_tkill: case SYS_tgkill: case SYS_exit: case SYS_dup3:
	case SYS_eventfd: case SYS_eventfd2: case SYS_epoll_create: case SYS_epoll_create1:
	case SYS_timerfd_create: case SYS_inotify_init1: case SYS_fallocate: case SYS_fadvise64:
	case SYS_getpriority: case SYS_setpriority: case SYS_munlock: case SYS_munlockall:
	case SYS_membarrier: case SYS_pidfd_open: case SYS_close_range: case SYS_sync:
	case SYS_syncfs: case SYS_readahead: case SYS_restart_syscall: case SYS_exit_group:
	case SYS_timer_delete: case SYS_timer_getoverrun: case SYS_sched_getscheduler:
	case SYS_personality:
		return true;
	default:
		return false;
	}
}

static void unpin_range(uintptr_t start, uintptr_t end)
{
	for (uintptr_t pg = start; pg < end; pg += SHIM_PAGE)
		if (regions_contains(pg))
			unpin_page(pg);
}

/* Each page of [p, p + len) that is managed: pinned and in memory. */
void pins_add(struct pin_set *ps, uintptr_t p, size_t len)
{
	uintptr_t end = p + len, first = 0, last = 0;

	if (!len || end < p)
		return;
	for (uintptr_t pg = PAGE_OF(p); pg < end; pg += SHIM_PAGE) {
		if (!regions_contains(pg))
			continue;
		if (pin_page(pg) == 0) {
			rec_t *r = table_rec(pg, false);

			if (!first)
				first = pg;
			last = pg + SHIM_PAGE;
			if (!r || rec_state(atomic_load(r)) != REC_RESIDENT) {
				fault_in(pg, false);
				atomic_fetch_add(&shim_count.prefaults, 1);
			}
		}
		if (pg + SHIM_PAGE < pg)
			break;
	}
	if (!first)
		return;
	/* Pages a range already holds are pinned twice now: once is enough
	 * (an argv's array page, strings side by side sharing a page). */
	for (unsigned i = 0; i < ps->n; i++)
		if (first >= ps->start[i] && last <= ps->end[i]) {
			unpin_range(first, last);
			return;
		}
	if (ps->n && first >= ps->start[ps->n - 1] && first <= ps->end[ps->n - 1]) {
		unpin_range(first, ps->end[ps->n - 1]);
		ps->end[ps->n - 1] = last;
	} else if (ps->n < PIN_RANGES) {
		ps->start[ps->n] = first;
		ps->end[ps->n++] = last;
	} else {
		/* No room to remember the range, so no way to unpin it later: the
		 * pager stops until the call is done (pins_release()), and the
		 * pages, in memory now, need no pins of their own. */
		if (!ps->overflow)
			pager_pause();
		ps->overflow = true;
		unpin_range(first, last);
	}
}

void pins_release(struct pin_set *ps)
{
	for (unsigned i = 0; i < ps->n; i++)
		unpin_range(ps->start[i], ps->end[i]);
	ps->n = 0;
	if (ps->overflow)
		pager_resume();
	ps->overflow = false;
}

/* Pages the kernel writes on its own, whenever it likes: never evicted. */
void pins_add_forever(uintptr_t p, size_t len)
{
	struct pin_set ps = { 0 };

	pins_add(&ps, p, len);
}

/* Read a string where the program put it (faulting in its pages), pinning them. */
bool touch_string(const char *s, struct pin_set *ps)
{
	uintptr_t p = (uintptr_t)s;

	if (!s || !regions_contains(PAGE_OF(p)))
		return s != NULL;
	for (;;) {
		uintptr_t page_end = PAGE_OF(p) + SHIM_PAGE;
		const char *nul;

		pins_add(ps, p, 1);
		nul = memchr((const void *)p, 0, page_end - p);
		if (nul)
			return true;
		p = page_end;
		if (!regions_contains(p))
			return true;    /* runs on into memory that is not ours */
	}
}

/*
 * Copy @len bytes of the program's from @src: directly from managed memory
 * (a missing page is faulted in), through the kernel otherwise, so that a
 * bad pointer of the program's fails here as it would in the kernel.
 */
static bool safe_read(void *dst, const void *src, size_t len)
{
	struct iovec local = { dst, len }, remote = { (void *)src, len };

	if (regions_contains(PAGE_OF(src)) && regions_contains(PAGE_OF((uintptr_t)src + len - 1))) {
		memcpy(dst, src, len);
		return true;
	}
	return SYS6(SYS_process_vm_readv, shim.pid, &local, 1, &remote, 1, 0) == (long)len;
}

static void strv(const char *const *v, struct pin_set *ps)
{
	for (size_t i = 0; v && i < 1u << 20; i++) {
		const char *str;

		pins_add(ps, (uintptr_t)&v[i], sizeof(v[i]));
		if (!safe_read(&str, &v[i], sizeof(str)) || !str)
			return;
		touch_string(str, ps);
	}
}

static void iov(const struct iovec *v, long n, struct pin_set *ps)
{
	if (!v || n <= 0 || n > 1024)
		return;
	pins_add(ps, (uintptr_t)v, (size_t)n * sizeof(*v));
	for (long i = 0; i < n; i++) {
		struct iovec one;

		if (!safe_read(&one, &v[i], sizeof(one)))
			return;
		pins_add(ps, (uintptr_t)one.iov_base, one.iov_len);
	}
}

static void msg(const struct msghdr *mp, struct pin_set *ps)
{
	struct msghdr m;

	if (!mp)
		return;
	pins_add(ps, (uintptr_t)mp, sizeof(*mp));
	if (!safe_read(&m, mp, sizeof(m)))
		return;
	pins_add(ps, (uintptr_t)m.msg_name, m.msg_namelen);
	pins_add(ps, (uintptr_t)m.msg_control, m.msg_controllen);
	iov(m.msg_iov, (long)m.msg_iovlen, ps);
}

static void one(const struct pspec *s, const long *a, struct pin_set *ps)
{
	uintptr_t p = (uintptr_t)a[s->arg];

	if (!p)
		return;
	switch (s->kind) {
	case PK_BUF: pins_add(ps, p, (size_t)a[s->len]); break;
	case PK_FIX: pins_add(ps, p, s->size); break;
	case PK_STR: touch_string((const char *)p, ps); break;
	case PK_STRV: strv((const char *const *)p, ps); break;
	case PK_IOV: iov((const struct iovec *)p, a[s->len], ps); break;
	case PK_MSG: msg((const struct msghdr *)p, ps); break;
	case PK_MMSG:
		for (long i = 0; i < a[s->len] && i < 1024; i++) {
			const struct mmsghdr *mm = (const struct mmsghdr *)p + i;

			pins_add(ps, (uintptr_t)mm, sizeof(*mm));
			msg(&mm->msg_hdr, ps);
		}
		break;
	case PK_LENP: {
		unsigned len;

		pins_add(ps, (uintptr_t)a[s->len], sizeof(len));
		if (a[s->len] && safe_read(&len, (const void *)a[s->len], sizeof(len)))
			pins_add(ps, p, len);
		break;
	}
	case PK_ARR: pins_add(ps, p, (size_t)a[s->len] * s->size); break;
	case PK_FDSET: pins_add(ps, p, ((size_t)a[s->len] + 7) / 8); break;
	case PK_ANY: pins_add(ps, p, SHIM_PAGE); break;
	default: break;
	}
}

static void futex_args(const long *a, struct pin_set *ps)
{
	int op = (int)a[1] & FUTEX_CMD_MASK;

	pins_add(ps, (uintptr_t)a[0], 4);
	if ((op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET || op == FUTEX_LOCK_PI ||
	     op == FUTEX_WAIT_REQUEUE_PI || op == 13 /* LOCK_PI2 */) && a[3])
		pins_add(ps, (uintptr_t)a[3], TS);
	if (op == FUTEX_REQUEUE || op == FUTEX_CMP_REQUEUE || op == FUTEX_WAKE_OP ||
	    op == FUTEX_CMP_REQUEUE_PI || op == FUTEX_WAIT_REQUEUE_PI)
		pins_add(ps, (uintptr_t)a[4], 4);
}

static void fcntl_args(const long *a, struct pin_set *ps)
{
	switch (a[1]) {
	case 5: case 6: case 7:         /* F_GETLK, F_SETLK, F_SETLKW */
	case 36: case 37: case 38:      /* the OFD variants */
		pins_add(ps, (uintptr_t)a[2], 32);
		break;
	case 15: case 16:               /* F_SETOWN_EX, F_GETOWN_EX */
		pins_add(ps, (uintptr_t)a[2], 8);
		break;
	default:
		break;
	}
}

static void unknown_args(const long *a, struct pin_set *ps)
{
	for (int i = 0; i < 6; i++) {
		struct pspec s = ANY(0);

		s.arg = (unsigned char)i;
		if (regions_contains(PAGE_OF(a[i])))
			one(&s, a, ps);
	}
}

void sysargs_prepare(const struct sys_call *c, struct pin_set *ps)
{
	const long *a = c->a;

	if (c->nr < 0 || no_pointers(c->nr))
		return;
	switch (c->nr) {
	case SYS_futex:
		futex_args(a, ps);
		return;
	case SYS_fcntl:
		fcntl_args(a, ps);
		return;
	case SYS_ioctl:
		if (_IOC_SIZE(a[1]) && _IOC_DIR(a[1]) != _IOC_NONE)
			pins_add(ps, (uintptr_t)a[2], _IOC_SIZE(a[1]));
		else if (regions_contains(PAGE_OF(a[2])))
			unknown_args(a, ps);
		return;
	case 449:                       /* futex_waitv: each waiter's word */
		for (long i = 0; a[0] && i < a[1] && i < 128; i++) {
			uint64_t uaddr;

			if (safe_read(&uaddr, (const uint64_t *)a[0] + i * 3 + 1, sizeof(uaddr)))
				pins_add(ps, uaddr, 4);
		}
		break;
	default:
		break;
	}
	if ((size_t)c->nr >= sizeof(table) / sizeof(table[0]) ||
	    (!table[c->nr].p[0].kind && !table[c->nr].block)) {
		unknown_args(a, ps);
		return;
	}
	for (int i = 0; i < 4 && table[c->nr].p[i].kind; i++)
		one(&table[c->nr].p[i], a, ps);
}

bool sysargs_may_block(long nr)
{
	if (nr == SYS_futex || nr == SYS_ioctl || nr == SYS_fcntl)
		return true;
	if (nr < 0 || (size_t)nr >= sizeof(table) / sizeof(table[0]))
		return true;
	return table[nr].block || (!table[nr].p[0].kind && !no_pointers(nr));
}
