/*
 * estimate_files.c - the files `zbud estimate` writes (--plot, --save-sizes)
 *
 * A path the user names may already be a symbolic link, planted or left
 * over: writing through it would overwrite whatever it points to, so it is
 * refused (O_NOFOLLOW).  A FIFO with no reader would block open() forever
 * (O_NONBLOCK: ENXIO instead).  Write errors are kept until the close, and
 * said as the kernel gave them (ENOSPC on a full disk).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "estimate_cli.h"

FILE *est_create(const char *path, char *why, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		      0666);
	FILE *f;

	if (fd < 0) {
		if (errno == ELOOP)
			snprintf(why, len, "'%s' is a symbolic link: zbud does not write through "
				 "one (remove it, or name another file)", path);
		else if (errno == ENXIO)
			snprintf(why, len, "'%s' is a FIFO with no reader", path);
		else
			snprintf(why, len, "cannot create '%s': %s", path, strerror(errno));
		return NULL;
	}
	fcntl(fd, F_SETFL, 0);
	f = fdopen(fd, "w");
	if (!f) {
		snprintf(why, len, "cannot create '%s': %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

int est_close(FILE *f, const char *path, int err, char *why, size_t len)
{
	err = err < 0 ? -err : err;
	if (fflush(f) && !err)
		err = errno;
	if (ferror(f) && !err)
		err = EIO;
	if (fclose(f) && !err)
		err = errno;
	if (err)
		snprintf(why, len, "cannot write '%s': %s", path, strerror(err));
	return err ? -1 : 0;
}
