/*
 * pageset.c - growable arrays of 4 KiB pages, and pages from files
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pageset.h"

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
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long err = 0;

	if (fd < 0)
		return -errno;
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
