/*
 * target.c - a target's kinds, its walk and its reading: plain files and
 * buffers here, core files in target_core.c, processes in target_procs.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>                   /* BLKGETSIZE64 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target_internal.h"

struct target *target_new(enum target_kind kind)
{
	struct target *t = calloc(1, sizeof(*t));

	if (t) {
		t->kind = kind;
		t->fd = -1;
	}
	return t;
}

enum target_kind target_kind(const struct target *t)
{
	return t->kind;
}

bool target_frames(const struct target *t)
{
	return t->frames;
}

void target_close(struct target *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	target_close_procs(t);
	free(t->seg);
	free(t);
}

/* ---- files ---- */

size_t target_pread(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static const char *file_type(mode_t mode)
{
	return S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO" : S_ISSOCK(mode)
	       ? "a socket" : S_ISCHR(mode) ? "a character device" : "not a regular file";
}

int target_open_file(struct target *t, const char *path, uint64_t *size, char *why, size_t len)
{
	struct stat st;
	int err;

	/* O_NONBLOCK: a FIFO with no writer would block open() forever. */
	t->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (t->fd < 0 || fstat(t->fd, &st)) {
		err = -errno;
		snprintf(why, len, "cannot open '%s': %s", path, strerror(-err));
		return err;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(why, len, "'%s' is %s: zbud reads regular files and block devices", path,
			 file_type(st.st_mode));
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	fcntl(t->fd, F_SETFL, 0);
	*size = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode) && ioctl(t->fd, BLKGETSIZE64, size)) {
		err = -errno;
		snprintf(why, len, "cannot find the size of '%s': %s", path, strerror(-err));
		return err;
	}
	return 0;
}

int target_open_raw(struct target **tp, const char *path, char *why, size_t len)
{
	struct target *t = target_new(TARGET_RAW);
	int err = t ? target_open_file(t, path, &t->size, why, len) : -ENOMEM;

	if (!err && !t->size) {
		snprintf(why, len, "'%s' is empty: no pages to measure", path);
		err = -ENODATA;
	}
	if (err == -ENOMEM)
		snprintf(why, len, "out of memory");
	if (err) {
		target_close(t);
		t = NULL;
	}
	*tp = t;
	return err;
}

int target_open_buffer(struct target **tp, const unsigned char *pages, size_t n)
{
	struct target *t = target_new(TARGET_RAW);

	if (t) {
		t->pages = pages;
		t->npages = n;
	}
	*tp = t;
	return t ? 0 : -ENOMEM;
}

/* A file's pages, or a buffer's, WALK_BATCH at a time. */
static int walk_raw(struct target *t, struct target_counts *c, target_fn fn, void *arg)
{
	struct target_page p[WALK_BATCH];
	const uint64_t pages = t->pages ? t->npages : (t->size + TPAGE - 1) / TPAGE;
	int err = 0;

	c->mappings = pages > 0;
	for (uint64_t i = 0; !err && i < pages;) {
		size_t n = 0;

		for (; n < WALK_BATCH && i < pages; n++, i++) {
			const uint64_t off = i * TPAGE, left = t->size - off;

			p[n].where = t->pages ? i : FILE_SPAN(off, left < TPAGE ? left : TPAGE);
			p[n].proc = 0;
		}
		c->pages += n;
		err = fn ? fn(arg, p, n) : 0;
	}
	return err;
}

int target_walk(struct target *t, struct target_counts *c, target_fn fn, void *arg, char *why,
		size_t len)
{
	int err;

	memset(c, 0, sizeof(*c));
	if (t->kind == TARGET_PROCESS)
		return target_walk_procs(t, c, fn, arg, why, len);
	err = t->kind == TARGET_CORE ? target_walk_core(t, c, fn, arg) : walk_raw(t, c, fn, arg);
	if (err == -ENOMEM)
		snprintf(why, len, "out of memory");
	return err;
}

/* The kernel's counters of each process: no page table walked (a walk of
 * PAGEMAP_SCAN costs ~20 ms of CPU a GiB, a tick every 0.1 s 20% of a
 * CPU on a 1 GiB target). */
static int count_resident(struct target *t, struct target_counts *c, char *why, size_t len)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < procset_count(t->set); i++) {
		const int64_t pages = procmem_resident(procset_member(t->set, i));

		c->pages += pages > 0 ? (uint64_t)pages : 0;
		c->processes += pages >= 0;
		c->ended += pages < 0;
	}
	if (!c->processes)
		snprintf(why, len, "no process to read");
	return c->processes ? 0 : -ESRCH;
}

int target_count(struct target *t, struct target_counts *c, char *why, size_t len)
{
	struct pfnset *seen = t->seen;
	int err;

	if (t->kind == TARGET_PROCESS && !t->sel.all && !t->sel.mapping)
		return count_resident(t, c, why, len);
	t->seen = NULL;
	err = target_walk(t, c, NULL, NULL, why, len);
	t->seen = seen;
	return err;
}

/* ---- reading ---- */

/* Runs of whole pages that follow each other in the file: one pread() each. */
static void read_file(struct target *t, const struct target_page *p, size_t n,
		      unsigned char *buf, bool *ok)
{
	for (size_t i = 0, j; i < n; i = j) {
		const uint64_t off = SPAN_OFFSET(p[i].where);
		size_t bytes = SPAN_BYTES(p[i].where), got;

		for (j = i + 1; j < n && bytes == (j - i) * TPAGE &&
		     SPAN_OFFSET(p[j].where) == off + bytes; j++)
			bytes += SPAN_BYTES(p[j].where);
		got = target_pread(t->fd, buf + i * TPAGE, bytes, off);
		for (size_t k = i; k < j; k++) {
			const size_t at = (k - i) * TPAGE, want = SPAN_BYTES(p[k].where);

			ok[k] = got >= at + want;
			if (ok[k] && want < TPAGE)
				memset(buf + k * TPAGE + want, 0, TPAGE - want);
		}
	}
}

/* Runs of one process's pages: one procmem_read() each. */
static int read_procs(struct target *t, const struct target_page *p, size_t n,
		      unsigned char *buf, bool *ok)
{
	uint64_t addr[TARGET_READ_MAX];

	for (size_t i = 0, j; i < n; i = j) {
		const uint32_t proc = p[i].proc;

		if (proc >= t->npm)
			return -EINVAL;
		for (j = i; j < n && p[j].proc == proc; j++)
			addr[j - i] = p[j].where;
		/* A process that ended: its pages unread, the others read. */
		if (procmem_read(t->pm[proc], addr, j - i, buf + i * TPAGE, ok + i))
			memset(ok + i, 0, (j - i) * sizeof(*ok));
	}
	return 0;
}

int target_read(struct target *t, const struct target_page *p, size_t n, unsigned char *buf,
		bool *ok)
{
	if (n > TARGET_READ_MAX)
		return -EINVAL;
	if (t->kind == TARGET_PROCESS)
		return read_procs(t, p, n, buf, ok);
	if (!t->pages) {
		read_file(t, p, n, buf, ok);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		ok[i] = p[i].where < t->npages;
		if (ok[i])
			memcpy(buf + i * TPAGE, t->pages + p[i].where * TPAGE, TPAGE);
	}
	return 0;
}
