/*
 * zram.c - a scratch zram device: made, written, read, removed
 */
#define _GNU_SOURCE                     /* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kstat.h"
#include "zram.h"

#define CONTROL "/sys/class/zram-control"
#define PAGE 4096
#define BATCH 256                       /* pages a write() */
#define MIN_PAGES 256                   /* a device of less is refused by some kernels */
#define NODE_WAIT_NS 2000000000L        /* for /dev/zramN to appear (devtmpfs, udev) */

static int fail(int err, char *why, size_t len, const char *what, const char *path)
{
	snprintf(why, len, "%s %s: %s", what, path, strerror(-err));
	return err;
}

/* A sysfs file's text, at most @size - 1 bytes: its length, or -errno. */
static ssize_t get(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);
	int err = errno;

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	return n;
}

static int put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));
	int err = errno;

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -(n < 0 ? err : EIO);
}

static int attr(const struct est_zram *z, const char *name, const char *text)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", z->sys, name);
	return put(path, text);
}

int est_zram_usable(char *why, size_t len)
{
	if (geteuid()) {
		snprintf(why, len, "needs root: only root makes zram devices");
		return -EPERM;
	}
	if (access(CONTROL "/hot_add", F_OK)) {
		snprintf(why, len, "needs zram, and this kernel has no zram module "
			 "loaded (modprobe zram)");
		return -ENOENT;
	}
	return 0;
}

bool est_zram_offers(const char *algorithms, const char *algorithm)
{
	const size_t n = strlen(algorithm);

	for (const char *p = algorithms; (p = strstr(p, algorithm)); p += n)
		if ((p == algorithms || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return true;
	return false;
}

int est_zram_new(struct est_zram *z, const char *algorithm, uint64_t pages, char *why,
		 size_t len)
{
	char buf[32];
	ssize_t n = get(CONTROL "/hot_add", buf, sizeof(buf));
	int err;

	z->id = -1;
	if (n < 0)
		return fail((int)n, why, len, "cannot make a zram device:", CONTROL "/hot_add");
	z->id = atoi(buf);
	snprintf(z->sys, sizeof(z->sys), "/sys/block/zram%d", z->id);
	err = attr(z, "comp_algorithm", algorithm);
	if (err) {
		snprintf(why, len, "zram%d does not take %s: %s", z->id, algorithm, strerror(-err));
		est_zram_remove(z);
		return err;
	}
	snprintf(buf, sizeof(buf), "%llu",
		 (unsigned long long)(pages < MIN_PAGES ? MIN_PAGES : pages) * PAGE);
	err = attr(z, "disksize", buf);
	if (err) {
		fail(err, why, len, "cannot size", z->sys);
		est_zram_remove(z);
	}
	return err;
}

int est_zram_algorithms(const struct est_zram *z, char *out, size_t size, char *why, size_t len)
{
	char path[128], buf[KSTAT_LIST_MAX * 2], sel[KSTAT_NAME_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/comp_algorithm", z->sys);
	n = get(path, buf, sizeof(buf));
	if (n < 0)
		return fail((int)n, why, len, "cannot read", path);
	return kstat_parse_algorithms(path, buf, (size_t)n, sel, sizeof(sel), out, size, why, len);
}

/* /dev/zramN, once devtmpfs (or udev) has made it. */
static int open_node(const struct est_zram *z, char *path, size_t size)
{
	struct timespec nap = { 0, 10000000L };
	int fd;

	snprintf(path, size, "/dev/zram%d", z->id);
	for (long waited = 0; (fd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC)) < 0 &&
	     errno == ENOENT && waited < NODE_WAIT_NS; waited += nap.tv_nsec)
		nanosleep(&nap, NULL);
	return fd < 0 ? -errno : fd;
}

int est_zram_write(const struct est_zram *z, const unsigned char *bytes, size_t n, char *why,
		   size_t len)
{
	char path[64];
	unsigned char *buf = NULL;
	int fd = open_node(z, path, sizeof(path)), err = 0;

	if (fd < 0)
		return fail(fd, why, len, "cannot open", path);
	/* O_DIRECT: straight to the device, from an aligned buffer. */
	if (posix_memalign((void **)&buf, PAGE, BATCH * PAGE))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < n; i += BATCH) {
		const size_t k = n - i < BATCH ? n - i : BATCH;

		memcpy(buf, bytes + i * PAGE, k * PAGE);
		if (pwrite(fd, buf, k * PAGE, (off_t)(i * PAGE)) != (ssize_t)(k * PAGE))
			err = -(errno ? errno : EIO);
	}
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	free(buf);
	return err ? fail(err, why, len, "cannot write", path) : 0;
}

int est_zram_stat(const struct est_zram *z, uint64_t *mm, int *n, char *why, size_t len)
{
	char path[128], buf[512];
	ssize_t got;

	snprintf(path, sizeof(path), "%s/mm_stat", z->sys);
	got = get(path, buf, sizeof(buf));
	if (got < 0)
		return fail((int)got, why, len, "cannot read", path);
	return kstat_parse_fields(path, buf, (size_t)got, mm, KSTAT_MM_STAT_MIN, KSTAT_MM_STAT_N, n,
				  why, len);
}

void est_zram_remove(struct est_zram *z)
{
	struct timespec nap = { 0, 20000000L };
	char id[16];

	if (z->id < 0)
		return;
	attr(z, "reset", "1");
	snprintf(id, sizeof(id), "%d", z->id);
	/* EBUSY while the block layer still holds the device: a moment. */
	for (int i = 0; put(CONTROL "/hot_remove", id) == -EBUSY && i < 100; i++)
		nanosleep(&nap, NULL);
	z->id = -1;
}
