/*
 * fuzz_input.h - a fuzz input as a file, for the readers that take a path
 * (the core and raw readers): written to a memfd, named by /proc/self/fd;
 * the target defines _GNU_SOURCE first, for memfd_create()
 */
#ifndef ZBUD_FUZZ_INPUT_H
#define ZBUD_FUZZ_INPUT_H

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

/* The input in a file; its descriptor, which the caller closes. */
static inline int fuzz_input_file(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
	size_t done = 0;

	FUZZ_CHECK(fd >= 0, "memfd_create() failed");
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		FUZZ_CHECK(n > 0, "writing the input to a memfd failed");
		done += (size_t)n;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

#endif /* ZBUD_FUZZ_INPUT_H */
