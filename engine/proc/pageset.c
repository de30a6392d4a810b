/*
 * pageset.c - growable arrays of 4 KiB pages, and pages from files
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pageset.h"

struct reading {
	struct pageset *ps;
	struct procmem *pm;
	uint64_t *unreadable;
};

/* Files are read this many pages at a time: few calls, little waste. */
#define READ_PAGES 256

/*
 * Text (licences, Perl modules) and machine code (libraries, programs) in
 * turn, so that a set cut short by --mib still holds both.  perl-base and
 * bash are Essential in Debian; "5.*.*" skips the "5.36" link to "5.36.0".
 */
static const char *const default_globs[] = {
	"/usr/lib/*-linux-gnu/libc.so.6",
	"/usr/share/common-licenses/*",
	"/usr/share/perl/5.*.*/*.pm",
	"/usr/bin/bash",
	"/usr/lib/*-linux-gnu/perl-base/*.pm",
	"/usr/lib/*-linux-gnu/perl-base/*/*.pm",
	"/usr/lib/*-linux-gnu/libstdc++.so.6",
	"/usr/share/perl/5.*.*/*/*.pm",
	"/usr/bin/perl",
	"/usr/bin/cmake",
	"/usr/share/perl/5.*.*/*/*/*.pm",
	"/usr/lib/*-linux-gnu/libcrypto.so.3",
	"/usr/bin/gdb",
	"/usr/bin/git",
	"/usr/lib/*-linux-gnu/libpython3*.so.1.0",
};

#define NDEFAULT_GLOBS (sizeof(default_globs) / sizeof(default_globs[0]))

void pageset_init(struct pageset *ps, const char *name)
{
	memset(ps, 0, sizeof(*ps));
	strncpy(ps->name, name, sizeof(ps->name) - 1);
}

void pageset_free(struct pageset *ps)
{
	free(ps->pages);
	ps->pages = NULL;
	ps->count = ps->cap = 0;
}

unsigned char *pageset_grow(struct pageset *ps, size_t n)
{
	if (n > ps->cap - ps->count) {
		size_t cap = ps->cap ? ps->cap : 64;
		unsigned char *p;

		while (cap - ps->count < n)
			cap *= 2;
		p = realloc(ps->pages, cap * PAGESET_PAGE);
		if (!p)
			return NULL;
		ps->pages = p;
		ps->cap = cap;
	}
	ps->count += n;
	return pageset_page(ps, ps->count - n);
}

void pageset_truncate(struct pageset *ps, size_t count)
{
	if (count < ps->count)
		ps->count = count;
}

/* Fill @buf from @fd up to @len bytes or the end: bytes read, or -errno. */
static long read_full(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (long)got;
}

long pageset_add_file(struct pageset *ps, const char *path, size_t max_pages)
{
	const size_t before = ps->count;
	/* O_NONBLOCK: a FIFO with no writer would block open() forever. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	long err = 0;

	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	fcntl(fd, F_SETFL, 0);
	while (ps->count < max_pages) {
		size_t left = max_pages - ps->count, want = left < READ_PAGES ? left : READ_PAGES;
		size_t start = ps->count;
		unsigned char *p = pageset_grow(ps, want);
		long got;

		if (!p) {
			err = -ENOMEM;
			break;
		}
		got = read_full(fd, p, want * PAGESET_PAGE);
		if (got < 0) {
			err = got;
			break;
		}
		memset(p + got, 0, (PAGESET_PAGE - (size_t)got % PAGESET_PAGE) % PAGESET_PAGE);
		pageset_truncate(ps, start + ((size_t)got + PAGESET_PAGE - 1) / PAGESET_PAGE);
		if ((size_t)got < want * PAGESET_PAGE)
			break;
	}
	close(fd);
	if (err) {
		pageset_truncate(ps, before);
		return err;
	}
	return (long)(ps->count - before);
}

int pageset_default_files(glob_t *g)
{
	int flags = 0;

	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < NDEFAULT_GLOBS; i++)
		if (!glob(default_globs[i], flags, NULL, g))
			flags = GLOB_APPEND;
	return flags ? 0 : -ENOENT;
}

/* Copy a run of pages to the end of the set, closing the gaps left by
 * those that cannot be read. */
static int read_run(void *arg, const uint64_t *addr, size_t n)
{
	struct reading *r = arg;
	bool ok[PROCMEM_READ_MAX];

	for (size_t first = 0; first < n; first += PROCMEM_READ_MAX) {
		const size_t k = n - first < PROCMEM_READ_MAX ? n - first : PROCMEM_READ_MAX;
		const size_t at = r->ps->count;
		unsigned char *to = pageset_grow(r->ps, k);
		size_t kept = 0;
		int err;

		if (!to)
			return -ENOMEM;
		err = procmem_read(r->pm, addr + first, k, to, ok);
		for (size_t i = 0; !err && i < k; i++) {
			if (ok[i] && i != kept)
				memcpy(to + kept * PAGESET_PAGE, to + i * PAGESET_PAGE, PAGESET_PAGE);
			kept += ok[i];
			*r->unreadable += !ok[i];
		}
		pageset_truncate(r->ps, at + kept);
		if (err)
			return err;
	}
	return 0;
}

int pageset_add_process(struct pageset *ps, struct procmem *pm, struct procmem_counts *c,
			uint64_t *unreadable, char *why, size_t len)
{
	const struct procmem_select sel = { 0 };
	struct reading r = { ps, pm, unreadable };

	return procmem_walk(pm, &sel, NULL, c, read_run, &r, why, len);
}
