/*
 * cli_output.c - files the commands write, and standard output's last word
 *
 * A file a command makes (--plot F.png) is written under a temporary name
 * beside F and renamed over F once complete.  A rename replaces the name,
 * never what it points to: a symbolic link at F is replaced, not followed,
 * so nothing but F is ever written; and a write that fails or is cut short
 * leaves F as it was, not half a PNG.  Something at F that is not a regular
 * file or a link (a directory, a device such as /dev/full, a FIFO) is
 * refused: renaming over it would replace a device node, not write to it.
 * Interrupted (Ctrl-C, a kill), the command removes the temporary file
 * before it dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Temporary names tried before giving up: each is new (O_EXCL). */
#define TMP_TRIES 100

/* The temporary file being written, for the signal handler to remove. */
static const char *volatile pending;

static void remove_pending(int sig)
{
	if (pending)
		unlink(pending); /* async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void watch(const char *tmp)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	static bool set;

	pending = tmp;
	for (size_t i = 0; !set && i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (signal(sigs[i], remove_pending) == SIG_IGN)
			signal(sigs[i], SIG_IGN); /* ignored by whoever started us: keep it so */
	set = true;
}

FILE *cli_output_open(struct cli_output *o, const char *path, char *err, size_t errlen)
{
	struct stat st;
	size_t len = strlen(path) + 32;
	int fd = -1;

	*o = (struct cli_output){ .path = path };
	if (!lstat(path, &st) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "'%s' is not a regular file: not replaced", path);
		return NULL;
	}
	o->tmp = malloc(len);
	for (int i = 0; o->tmp && fd < 0 && i < TMP_TRIES; i++) {
		snprintf(o->tmp, len, "%s.%ld.%d.tmp", path, (long)getpid(), i);
		fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd >= 0 && !(o->f = fdopen(fd, "wb")))
		close(fd), unlink(o->tmp);
	if (!o->f) {
		snprintf(err, errlen, "cannot create '%s': %s", path,
			 o->tmp ? strerror(errno) : "out of memory");
		free(o->tmp);
		o->tmp = NULL;
	} else {
		watch(o->tmp);
	}
	return o->f;
}

int cli_output_finish(struct cli_output *o, bool ok, char *err, size_t errlen)
{
	int rc = 0;

	if (!o->tmp)
		return -1;
	if (ok && rename(o->tmp, o->path)) {
		snprintf(err, errlen, "cannot replace '%s': %s", o->path, strerror(errno));
		rc = -1;
	}
	if (!ok || rc)
		unlink(o->tmp);
	pending = NULL;
	free(o->tmp);
	o->tmp = NULL;
	return ok ? rc : -1;
}

const char *cli_quote(const char *s, char buf[CLI_QUOTE_SIZE])
{
	size_t n = 0;

	for (; s[n] && n < CLI_QUOTE_MAX; n++)
		buf[n] = s[n] >= 0x20 && s[n] < 0x7f ? s[n] : '?';
	if (s[n])
		memcpy(buf + n, "...", 3), n += 3;
	buf[n] = '\0';
	return buf;
}

int cli_close_stdout(const char *cmd, int status)
{
	/* A command that failed has said why; a write error then adds nothing. */
	if ((fflush(stdout) || ferror(stdout)) && !status) {
		fprintf(stderr, "%s: cannot write to standard output: %s\n", cmd,
			errno ? strerror(errno) : "write error");
		return 1;
	}
	return status;
}

bool cli_png_name(const char *path)
{
	const char *base = strrchr(path, '/'), *dot;

	dot = strrchr(base ? base + 1 : path, '.');
	return !dot || dot == (base ? base + 1 : path) || !strcasecmp(dot, ".png");
}
