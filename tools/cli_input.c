/*
 * cli_input.c - opening a file a command reads line by line (a trace, sizes)
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *cli_input_open(const char *path, char *err, size_t errlen)
{
	struct pollfd p = { .events = POLLIN };
	struct stat st;
	FILE *f;

	if (!strcmp(path, "-"))
		return stdin;
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	 * writer forever, before any timeout of ours could start. */
	p.fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (p.fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(p.fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    poll(&p, 1, CLI_INPUT_FIFO_WAIT_S * 1000) == 0) {
		snprintf(err, errlen, "'%s' is a FIFO that nothing wrote to in %d s", path,
			 CLI_INPUT_FIFO_WAIT_S);
		close(p.fd);
		return NULL;
	}
	/* Read as any file from here on: a writer that pauses is waited for. */
	if (fcntl(p.fd, F_SETFL, fcntl(p.fd, F_GETFL) & ~O_NONBLOCK) || !(f = fdopen(p.fd, "r"))) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		close(p.fd);
		return NULL;
	}
	return f;
}

void cli_input_close(FILE *f)
{
	if (f && f != stdin)
		fclose(f);
}

const char *cli_input_name(const char *path)
{
	return path && strcmp(path, "-") ? path : "stdin";
}
