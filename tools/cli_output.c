/*
 * cli_output.c - files the commands write, and standard output's last word
 *
 * A file a command makes (--plot F.png) is written under a temporary name
 * beside F and renamed over F once complete.  A rename replaces the name,
 * never what it points to: a symbolic link at F is replaced, not followed,
 * so nothing but F is ever written; and a write that fails or is cut short
 * leaves F as it was, not half a PNG.  A character device named as itself
 * (/dev/null, a terminal) is written to, as a shell's `>` would: there is
 * no file to replace.  So is a name for a descriptor zbud already holds
 * (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N), whatever it is:
 * renaming over /dev/stdout, a link, would replace the link.  Anything
 * else at F that is not a regular file or a link (a directory, a block
 * device, a FIFO, a socket) is refused: renaming over it would replace a
 * node, not write to it.
 * Interrupted (Ctrl-C, a kill), the command removes the temporary file
 * before it dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* The descriptor @path names (/dev/stdout, /dev/fd/3, ...), or -1. */
static int named_fd(const char *path)
{
	static const char *const dirs[] = { "/dev/fd/", "/proc/self/fd/" };
	char *end;

	if (!strcmp(path, "/dev/stdout"))
		return STDOUT_FILENO;
	if (!strcmp(path, "/dev/stderr"))
		return STDERR_FILENO;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		const size_t n = strlen(dirs[i]);
		long fd;

		if (strncmp(path, dirs[i], n) || path[n] < '0' || path[n] > '9')
			continue;
		errno = 0;
		fd = strtol(path + n, &end, 10);
		if (!*end && !errno && fd <= INT_MAX)
			return (int)fd;
	}
	return -1;
}

/* Written to as it is: a descriptor's name, or a character device named
 * as itself (O_NOFOLLOW, and checked once open: not a link put there
 * meanwhile, nor a file). */
static FILE *open_direct(struct cli_output *o, int fd, char *err, size_t errlen)
{
	struct stat st;
	int copy = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3)
			   : open(o->path, O_WRONLY | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);

	if (copy >= 0 && fd < 0 && (fstat(copy, &st) || !S_ISCHR(st.st_mode))) {
		close(copy);
		snprintf(err, errlen, "'%s' changed while it was opened: not written", o->path);
		return NULL;
	}
	if (copy < 0) {
		snprintf(err, errlen, fd >= 0 && errno == EBADF ? "cannot write '%s': not open"
			 : "cannot write '%s': %s", o->path, strerror(errno));
		return NULL;
	}
	o->f = fdopen(copy, "wb");
	if (!o->f) {
		snprintf(err, errlen, "cannot write '%s': %s", o->path, strerror(errno));
		close(copy);
		return NULL;
	}
	o->direct = true;
	return o->f;
}

FILE *cli_output_open(struct cli_output *o, const char *path, char *err, size_t errlen)
{
	struct stat st;
	size_t len = strlen(path) + 32;
	int fd = named_fd(path);
	bool exists;

	*o = (struct cli_output){ .path = path };
	if (fd >= 0)
		return open_direct(o, fd, err, errlen);
	exists = !lstat(path, &st);
	if (exists && S_ISCHR(st.st_mode))
		return open_direct(o, -1, err, errlen);
	if (exists && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
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

FILE *cli_stream_open(const char *path, char *err, size_t errlen)
{
	int named = named_fd(path), fd;
	FILE *f;

	/* O_NOFOLLOW: a link is refused, not followed to whatever it names;
	 * O_NONBLOCK: a FIFO with no reader fails at once (ENXIO) rather than
	 * blocking the open forever. */
	fd = named >= 0 ? fcntl(named, F_DUPFD_CLOEXEC, 3)
		       : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK |
				      O_NOCTTY | O_CLOEXEC, 0666);
	if (fd < 0) {
		snprintf(err, errlen, errno == ELOOP ? "'%s' is a symbolic link: name the file itself"
				     : errno == ENXIO ? "'%s' is a FIFO that nothing reads"
				     : named >= 0 && errno == EBADF ? "cannot write '%s': not open"
				     : "cannot write '%s': %s", path, strerror(errno));
		return NULL;
	}
	if (named < 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	f = fdopen(fd, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

int cli_output_finish(struct cli_output *o, bool ok, char *err, size_t errlen)
{
	int rc = 0;

	if (o->direct) {
		o->direct = false;
		return ok ? 0 : -1;
	}
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
