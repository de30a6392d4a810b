/*
 * kstat_read.c - reading the kernel's files under a root: one file into a
 * buffer, /proc/meminfo and /proc/vmstat, and the whole snapshot
 */
#include "kstat_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int kstat_path(struct kstat_ctx *c, const char *rel)
{
	const int n = snprintf(c->path, sizeof(c->path), "%s%s", c->root, rel);

	if (n < 0 || (size_t)n >= sizeof(c->path)) {
		snprintf(c->why, c->len, "%s...: path too long", c->root);
		return -ENAMETOOLONG;
	}
	return 0;
}

void kstat_denied(struct kstat_ctx *c, const char *rel)
{
	struct kstat_snapshot *s = c->s;

	for (int i = 0; i < s->ndenied; i++)
		if (!strcmp(s->denied[i], rel))
			return;
	if (s->ndenied < KSTAT_DENIED_MAX)
		snprintf(s->denied[s->ndenied++], sizeof(s->denied[0]), "%s", rel);
}

static int io_error(struct kstat_ctx *c, int err, const char *what)
{
	snprintf(c->why, c->len, "%s: %s", c->path, what ? what : strerror(-err));
	return err;
}

/* Read the open @fd whole; O_NONBLOCK is harmless on regular files. */
static int slurp(struct kstat_ctx *c, int fd)
{
	c->n = 0;
	for (;;) {
		ssize_t got = read(fd, c->buf + c->n, KSTAT_FILE_MAX - c->n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return io_error(c, -errno, NULL);
		if (got == 0)
			return 0;
		c->n += (size_t)got;
		if (c->n == KSTAT_FILE_MAX)
			return io_error(c, -EINVAL, "longer than any file the kernel writes there");
	}
}

int kstat_load(struct kstat_ctx *c, const char *rel)
{
	struct stat st;
	int fd, err;

	err = kstat_path(c, rel);
	if (err)
		return err;
	fd = open(c->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return -ENOENT;
	if (fd < 0 && (errno == EACCES || errno == EPERM)) {
		kstat_denied(c, rel);
		return -EACCES;
	}
	if (fd < 0)
		return io_error(c, -errno, NULL);
	if (fstat(fd, &st))
		err = io_error(c, -errno, NULL);
	else if (!S_ISREG(st.st_mode))
		err = io_error(c, -EINVAL, "not a regular file");
	else
		err = slurp(c, fd);
	close(fd);
	return err;
}

/* The keys kstat_mem_names[first..last) in the file @rel. */
static int read_keyed(struct kstat_ctx *c, const char *rel, bool colon_kb, int first,
		      int last)
{
	const char *keys[KSTAT_NMEM];
	uint32_t have = 0;
	int err = kstat_load(c, rel);

	if (err == -ENOENT || err == -EACCES)
		return 0;
	if (err)
		return err;
	for (int k = first; k < last; k++)
		keys[k - first] = kstat_mem_names[k].name;
	err = kstat_parse_keyed(c->path, c->buf, c->n, colon_kb, keys, last - first,
				c->s->mem + first, &have, c->why, c->len);
	c->s->mem_have |= have << first;
	return err;
}

int kstat_read(const char *root, struct kstat_snapshot *s, char *why, size_t len)
{
	struct kstat_ctx c = { .root = root, .s = s, .why = why, .len = len };
	struct timespec ts;
	int err;

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->seconds = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	c.buf = malloc(KSTAT_FILE_MAX);
	if (!c.buf) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	err = read_keyed(&c, "/proc/meminfo", true, 0, KSTAT_MEMINFO_N);
	if (!err)
		err = read_keyed(&c, "/proc/vmstat", false, KSTAT_MEMINFO_N, KSTAT_NMEM);
	if (!err)
		err = kstat_read_zswap(&c);
	if (!err)
		err = kstat_read_zram(&c);
	free(c.buf);
	if (err)
		kstat_free(s);
	return err;
}

void kstat_free(struct kstat_snapshot *s)
{
	free(s->zram.dev);
	s->zram.dev = NULL;
	s->zram.ndev = 0;
}
