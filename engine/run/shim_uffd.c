/*
 * shim_uffd.c - the process's userfaultfd, and the scratch pages evictions
 * go through
 *
 * Taking one: the userfaultfd(2) system call with UFFD_USER_MODE_ONLY,
 * which every user may make whatever vm.unprivileged_userfaultfd says; or
 * /dev/userfaultfd when the device lets this user open it.  Either way the
 * pager asks for UFFD_FEATURE_SIGBUS, under which the kernel never handles
 * a fault on a missing page itself, in user or kernel mode: so the mode
 * does not matter, and kernel-mode accesses are the system call
 * interception's job (shim_sud.c).
 *
 * Eviction moves a page with UFFDIO_MOVE (Linux 6.8) into a scratch page:
 * the page leaves the program in one atomic step, and the pager compresses
 * it at leisure.  UFFDIO_MOVE wants its destination registered with the
 * same userfaultfd, so the scratch pages are; once all are used they are
 * dropped in one madvise (which the event thread sees and ignores).
 * Few of them: used scratch pages are resident until dropped, and count
 * against the program's memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "shim.h"

#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE (1 << 16)
struct uffdio_move {
	__u64 dst, src, len, mode;
	__s64 move;
};
#define _UFFDIO_MOVE 0x05
#define UFFDIO_MOVE _IOWR(UFFDIO, _UFFDIO_MOVE, struct uffdio_move)
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

#define SCRATCH_PAGES 64        /* resident until dropped: one madvise (and event) per 256 KiB */
#define HIGH_FD 900             /* out of the way of programs that expect low fds */

#define NEEDED (UFFD_FEATURE_SIGBUS | UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE | \
		UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_MOVE)

static struct {
	uintptr_t base;
	unsigned used;
	bool lie;               /* RUN_ENV_TEST_LYING_MOVES */
	unsigned lies;
} S;

static int new_fd(unsigned flags)
{
	int dev;
	long fd;

	if (!(flags & RUN_FLAG_DEV_UFFD))
		return (int)SYS1(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	dev = (int)SYS3(SYS_openat, AT_FDCWD, "/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return dev;
	fd = SYS3(SYS_ioctl, dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	SYS1(SYS_close, dev);
	return (int)fd;
}

/* Move @fd above the program's usual range; returns the fd to use. */
static int high(int fd)
{
	int h = (int)SYS3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, HIGH_FD);

	if (h < 0)
		return fd;
	SYS1(SYS_close, fd);
	return h;
}

int uffd_open(unsigned flags, char *why, size_t len)
{
	const char *how = flags & RUN_FLAG_DEV_UFFD ? "/dev/userfaultfd" : "userfaultfd(2)";
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	int fd = new_fd(flags);

	if (fd < 0) {
		snprintf(why, len, "%s: %s", how, strerror(-fd));
		return fd;
	}
	/* Ask what the kernel has first: a refused feature fails the handshake. */
	if (SYS3(SYS_ioctl, fd, UFFDIO_API, &api) < 0 || (api.features & NEEDED) != NEEDED) {
		SYS1(SYS_close, fd);
		snprintf(why, len, "this kernel's userfaultfd lacks %s",
			 !(api.features & UFFD_FEATURE_MOVE) ? "UFFDIO_MOVE (Linux 6.8)"
			 : "SIGBUS mode or the remove, remap and unmap events");
		return -ENOSYS;
	}
	SYS1(SYS_close, fd);
	fd = new_fd(flags);
	api = (struct uffdio_api){ .api = UFFD_API, .features = NEEDED };
	if (fd < 0 || SYS3(SYS_ioctl, fd, UFFDIO_API, &api) < 0) {
		if (fd >= 0)
			SYS1(SYS_close, fd);
		snprintf(why, len, "%s: the handshake failed", how);
		return -EIO;
	}
	return high(fd);
}

int uffd_register(uintptr_t start, size_t len)
{
	struct uffdio_register r = {
		.range = { .start = start, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	long err = SYS3(SYS_ioctl, shim.uffd, UFFDIO_REGISTER, &r);

	if (err)
		return (int)err;
	if (!(r.ioctls & (1ull << _UFFDIO_COPY)) || !(r.ioctls & (1ull << _UFFDIO_ZEROPAGE)))
		return -EINVAL;
	return 0;
}

int uffd_copy(uintptr_t dst, const void *src)
{
	struct uffdio_copy c = { .dst = dst, .src = (uintptr_t)src, .len = SHIM_PAGE };

	return (int)SYS3(SYS_ioctl, shim.uffd, UFFDIO_COPY, &c);
}

int uffd_zeropage(uintptr_t dst)
{
	struct uffdio_zeropage z = { .range = { .start = dst, .len = SHIM_PAGE } };

	return (int)SYS3(SYS_ioctl, shim.uffd, UFFDIO_ZEROPAGE, &z);
}

/*
 * Which pages a move that fell short took: those now at @dst and gone from
 * @src.  The kernel moves in address order, so they are the first few; a
 * page taken out of order could not be accounted for, and stops the
 * program rather than lose it.
 */
static long moved_in_fact(uintptr_t dst, uintptr_t src, unsigned n)
{
	uint64_t there = pages_in_place(dst, n) & ~pages_in_place(src, n);
	unsigned k = 0;

	while (k < n && (there >> k & 1))
		k++;
	if (k < n && (there >> k))
		shim_fatal("UFFDIO_MOVE took pages out of order", dst + k * SHIM_PAGE, EIO);
	return (long)k * SHIM_PAGE;
}

/*
 * A move that stops part way says how far it got, in principle.  Linux
 * 6.18.44 (this machine's) does not always: under load, with the program's
 * threads touching the pages, a move of one page returned -EEXIST having
 * moved it (the destination, empty before, held the page; the source was
 * empty), about once in 16 runs of four run_check threads at once.  The
 * likely path is a step the kernel starts over when a page table entry
 * changed under it.  Trusting that answer loses the page: it sits in a
 * scratch page while its record says resident.  So a move that fell short
 * is checked against the page tables; the destination is always empty
 * before (a scratch page, or a page whose record is EVICTING).  @len is at
 * most 64 pages.
 */
long uffd_move(uintptr_t dst, uintptr_t src, size_t len)
{
	struct uffdio_move m = { .dst = dst, .src = src, .len = len };
	long err = SYS3(SYS_ioctl, shim.uffd, UFFDIO_MOVE, &m), told, moved;

	if (!err && m.move == (long)len && S.lie) {
		/* the kernel's two wrong answers: an error, or one page short */
		bool short_count = len > SHIM_PAGE && (S.lies++ & 1);

		m.move = short_count ? (long)(len - SHIM_PAGE) : -EEXIST;
		err = short_count ? -EAGAIN : -EEXIST;
	}
	if (!err && m.move == (long)len)
		return (long)len;
	told = m.move > 0 ? m.move : 0;
	moved = moved_in_fact(dst, src, (unsigned)(len / SHIM_PAGE));
	if (moved != told)
		atomic_fetch_add(&shim_count.moves_recounted, 1);
	if (moved)
		return moved;
	return err ? err : -EAGAIN;
}

int scratch_init(void)
{
	void *p = shim_map(SCRATCH_PAGES * SHIM_PAGE);

	if (!p)
		return -ENOMEM;
	S.base = (uintptr_t)p;
	S.used = 0;
	S.lie = getenv(RUN_ENV_TEST_LYING_MOVES) != NULL;
	return uffd_register(S.base, SCRATCH_PAGES * SHIM_PAGE);
}

uintptr_t scratch_take(unsigned n)
{
	uintptr_t p;

	if (S.used + n > SCRATCH_PAGES)
		return 0;
	p = S.base + SHIM_PAGE * S.used;
	S.used += n;
	return p;
}

void scratch_recycle(void)
{
	if (S.used)
		SYS3(SYS_madvise, S.base, S.used * SHIM_PAGE, MADV_DONTNEED);
	S.used = 0;
}

bool in_scratch(uintptr_t a)
{
	return S.base && a >= S.base && a < S.base + SCRATCH_PAGES * SHIM_PAGE;
}
