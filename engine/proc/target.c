/*
 * target.c - where each page of a target is, and reading it: processes and
 * plain files here, core files in target_core.c
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

int target_add(struct target *t, uint64_t where)
{
	if (t->counts.pages == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		uint64_t *w = realloc(t->where, cap * sizeof(*w));

		if (!w)
			return -ENOMEM;
		t->where = w;
		t->cap = cap;
	}
	t->where[t->counts.pages++] = where;
	return 0;
}

enum target_kind target_kind(const struct target *t)
{
	return t->kind;
}

const struct target_counts *target_counts(const struct target *t)
{
	return &t->counts;
}

void target_close(struct target *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	procmem_close(t->pm);
	free(t->where);
	free(t);
}

/* ---- processes ---- */

static int add_pages(void *arg, const uint64_t *addr, size_t n)
{
	struct target *t = arg;
	int err = 0;

	for (size_t i = 0; i < n && !err; i++)
		err = target_add(t, addr[i]);
	return err;
}

int target_open_process(struct target **tp, pid_t pid, const struct procmem_select *sel,
			char *why, size_t len)
{
	struct target *t = target_new(TARGET_PROCESS);
	struct procmem_counts c = { 0 };
	int err = t ? procmem_open(&t->pm, pid, why, len) : -ENOMEM;

	*tp = NULL;
	if (!err) {
		err = procmem_walk(t->pm, sel, NULL, &c, add_pages, t, why, len);
		t->counts = (struct target_counts){
			.pages = t->counts.pages, .mappings = c.mappings, .shared = c.shared,
			.not_resident = c.not_resident, .swapped = c.swapped,
			.unevictable = c.unevictable,
		};
	}
	if (err == -ENOMEM)
		snprintf(why, len, "out of memory");
	if (err) {
		target_close(t);
		return err;
	}
	*tp = t;
	return 0;
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
	uint64_t size = 0;
	int err = t ? target_open_file(t, path, &size, why, len) : -ENOMEM;

	for (uint64_t off = 0; !err && off < size; off += TPAGE) {
		const uint64_t bytes = size - off < TPAGE ? size - off : TPAGE;

		err = target_add(t, FILE_SPAN(off, bytes));
	}
	if (!err && !size) {
		snprintf(why, len, "'%s' is empty: no pages to measure", path);
		err = -ENODATA;
	}
	if (err == -ENOMEM)
		snprintf(why, len, "out of memory");
	if (err) {
		target_close(t);
		t = NULL;
	}
	if (t)
		t->counts.mappings = 1;
	*tp = t;
	return err;
}

/* Runs of whole pages that follow each other in the file: one pread() each. */
static int read_file(struct target *t, const uint64_t *index, size_t n, unsigned char *buf,
		     bool *ok)
{
	for (size_t i = 0, j; i < n; i = j) {
		const uint64_t off = SPAN_OFFSET(t->where[index[i]]);
		size_t bytes = SPAN_BYTES(t->where[index[i]]), got;

		for (j = i + 1; j < n && bytes == (j - i) * TPAGE &&
		     SPAN_OFFSET(t->where[index[j]]) == off + bytes; j++)
			bytes += SPAN_BYTES(t->where[index[j]]);
		got = target_pread(t->fd, buf + i * TPAGE, bytes, off);
		for (size_t k = i; k < j; k++) {
			const size_t at = (k - i) * TPAGE, want = SPAN_BYTES(t->where[index[k]]);

			ok[k] = got >= at + want;
			if (ok[k] && want < TPAGE)
				memset(buf + k * TPAGE + want, 0, TPAGE - want);
		}
	}
	return 0;
}

int target_read(struct target *t, const uint64_t *index, size_t n, unsigned char *buf,
		bool *ok)
{
	uint64_t addr[TARGET_READ_MAX];

	if (n > TARGET_READ_MAX)
		return -EINVAL;
	if (t->kind != TARGET_PROCESS)
		return read_file(t, index, n, buf, ok);
	for (size_t i = 0; i < n; i++)
		addr[i] = t->where[index[i]];
	return procmem_read(t->pm, addr, n, buf, ok);
}
