/*
 * run_launch.c - start a program with the pager in it, wait, read its figures
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_launch.h"

int run_find_lib(char *path, size_t len, const char *installed, char *why, size_t wlen)
{
	const char *env = getenv("ZBUD_RUN_LIB");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(path, len, "%s", env);
		if (access(path, R_OK) == 0)
			return 0;
		snprintf(why, wlen, "ZBUD_RUN_LIB=%s: %s", env, strerror(errno));
		return -ENOENT;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, len, "%s/%s", exe, RUN_LIB_NAME);
			if (access(path, R_OK) == 0)
				return 0;
		}
	}
	snprintf(path, len, "%s", installed);
	if (access(path, R_OK) == 0)
		return 0;
	snprintf(why, wlen, "cannot find %s beside zbud or at %s", RUN_LIB_NAME, installed);
	return -ENOENT;
}

/* @cmd as execvp() would find it. */
static bool resolve(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return true;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);

		snprintf(out, len, "%.*s%s%s", (int)n, p, n ? "/" : "", cmd);
		if (access(out, X_OK) == 0)
			return true;
		p += n + (colon != NULL);
	}
	return false;
}

static enum run_kind classify_file(const char *file, int depth)
{
	unsigned char head[512];
	struct stat st;
	ssize_t n;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	enum run_kind kind = RUN_UNKNOWN;

	if (fd < 0)
		return RUN_UNKNOWN;
	n = fstat(fd, &st) ? -1 : pread(fd, head, sizeof(head) - 1, 0);
	if (n >= 2 && head[0] == '#' && head[1] == '!' && depth < 3) {
		char interp[PATH_MAX];

		head[n] = '\0';
		if (sscanf((char *)head + 2, " %4095s", interp) == 1)
			kind = classify_file(interp, depth + 1);
	} else if (n >= (ssize_t)sizeof(Elf64_Ehdr) && !memcmp(head, ELFMAG, SELFMAG) &&
		   head[EI_CLASS] == ELFCLASS64) {
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)head;

		kind = RUN_STATIC;
		for (unsigned i = 0; i < eh->e_phnum && kind == RUN_STATIC; i++) {
			Elf64_Phdr ph;

			if (pread(fd, &ph, sizeof(ph), (off_t)(eh->e_phoff + (uint64_t)i * eh->e_phentsize)) !=
			    (ssize_t)sizeof(ph))
				break;
			if (ph.p_type == PT_INTERP)
				kind = RUN_DYNAMIC;
		}
		if (kind == RUN_DYNAMIC && (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
					    ((st.st_mode & S_ISGID) && st.st_gid != getegid())))
			kind = RUN_SETID;
	}
	close(fd);
	return kind;
}

enum run_kind run_classify(const char *cmd)
{
	char file[PATH_MAX];

	return resolve(cmd, file, sizeof(file)) ? classify_file(file, 0) : RUN_UNKNOWN;
}

static int setenv_u64(const char *name, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return setenv(name, buf, 1);
}

/* In the child: the pager's settings. */
static void child_env(const struct run_config *cfg, int memfd)
{
	const char *old = getenv("LD_PRELOAD");
	char buf[PATH_MAX * 2], stats[64];

	snprintf(buf, sizeof(buf), "%s%s%s", cfg->lib, old && *old ? ":" : "", old ? old : "");
	setenv("LD_PRELOAD", buf, 1);
	setenv_u64(RUN_ENV_LIMIT, cfg->limit_bytes);
	if (cfg->pool_limit_bytes)
		setenv_u64(RUN_ENV_POOL_LIMIT, cfg->pool_limit_bytes);
	if (cfg->compressor)
		setenv(RUN_ENV_COMPRESSOR, cfg->compressor, 1);
	setenv(RUN_ENV_ZPOOL, cfg->zpool ? cfg->zpool : "zsmalloc", 1);
	if (cfg->writeback)
		setenv(RUN_ENV_WRITEBACK, cfg->writeback, 1);
	setenv_u64(RUN_ENV_FLAGS, cfg->flags);
	snprintf(stats, sizeof(stats), "%d:%d", memfd, (int)getppid());
	if (memfd >= 0)
		setenv(RUN_ENV_STATS, stats, 1);
}

static void child(const struct run_config *cfg, char *const argv[], bool managed, int memfd,
		  int errpipe)
{
	int err;

	/* Dispositions as zbud got them: `nohup zbud run ...` keeps SIGHUP ignored. */
	if (managed)
		child_env(cfg, memfd);
	execvp(argv[0], argv);
	err = errno;
	if (write(errpipe, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/*
 * The shared page, a memfd: no file anywhere.  A memfd is a file to
 * RLIMIT_FSIZE, though: under a small one (ulimit -f) the program runs
 * without figures (c->page stays NULL) rather than not at all.
 */
static int stats_page(struct run_child *c, char *why, size_t len)
{
	sigset_t xfsz, old;
	int err = 0;

	c->memfd = (int)syscall(SYS_memfd_create, "zbud-run-stats", 0);
	if (c->memfd < 0) {
		snprintf(why, len, "memfd: %s", strerror(errno));
		return -errno;
	}
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	sigprocmask(SIG_BLOCK, &xfsz, &old);
	if (ftruncate(c->memfd, sizeof(struct run_stats_page)))
		err = errno;
	while (sigtimedwait(&xfsz, NULL, &(struct timespec){ 0, 0 }) == SIGXFSZ)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (err) {
		close(c->memfd);
		c->memfd = -1;
		return err == EFBIG ? 0 : -err;
	}
	c->page = mmap(NULL, sizeof(struct run_stats_page), PROT_READ | PROT_WRITE, MAP_SHARED,
		       c->memfd, 0);
	if (c->page == MAP_FAILED) {
		c->page = NULL;
		snprintf(why, len, "mmap: %s", strerror(errno));
		return -errno;
	}
	c->page->magic = RUN_STATS_MAGIC;
	c->page->nprocs = RUN_MAX_PROCS;
	c->page->version = 1;
	return 0;
}

int run_start(struct run_child *c, const struct run_config *cfg, char *const argv[], bool managed,
	      char *why, size_t len)
{
	int pipefd[2], err = 0;
	ssize_t n;

	memset(c, 0, sizeof(*c));
	c->memfd = c->pidfd = -1;
	c->pid = -1;
	if (managed && (strchr(cfg->lib, ':') || strchr(cfg->lib, ' '))) {
		snprintf(why, len, "%s: LD_PRELOAD cannot hold a path with ':' or ' '", cfg->lib);
		return -EINVAL;
	}
	if ((err = stats_page(c, why, len)))
		return err;
	if (pipe2(pipefd, O_CLOEXEC)) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return -errno;
	}
	c->pid = fork();
	if (c->pid < 0) {
		err = -errno;
		snprintf(why, len, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (c->pid == 0) {
		close(pipefd[0]);
		child(cfg, argv, managed, c->memfd, pipefd[1]);
	}
	close(pipefd[1]);
	/* The pipe closes at exec; a number on it is exec's errno. */
	while ((n = read(pipefd[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(pipefd[0]);
	if (n == (ssize_t)sizeof(err)) {
		waitpid(c->pid, NULL, 0);
		c->pid = -1;
		snprintf(why, len, "%s: %s", argv[0], strerror(err));
		return -err;
	}
	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	return 0;
}

int run_wait(struct run_child *c, int timeout_ms, int *status)
{
	struct pollfd p = { .fd = c->pidfd, .events = POLLIN };
	int r;

	if (c->pidfd >= 0) {
		r = poll(&p, 1, timeout_ms);
		if (r < 0)
			return errno == EINTR ? 0 : -errno;
		if (r == 0)
			return 0;
	}
	r = waitpid(c->pid, status, c->pidfd >= 0 ? 0 : (timeout_ms < 0 ? 0 : WNOHANG));
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (r == 0)
		return 0;
	return 1;
}

void run_end(struct run_child *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->page)
		munmap(c->page, sizeof(*c->page));
	if (c->memfd >= 0)
		close(c->memfd);
	c->pidfd = c->memfd = -1;
	c->page = NULL;
}

bool run_read(const struct run_child *c, unsigned i, struct run_proc_stats *out)
{
	const struct run_proc_stats *s;

	if (!c->page || i >= RUN_MAX_PROCS)
		return false;
	s = &c->page->procs[i];
	if (!atomic_load(&s->pid))
		return false;   /* unused: not read, so not made resident */
	/* A writer that died half way leaves seq odd: take what is there. */
	for (int tries = 0; tries < 1000; tries++) {
		uint64_t before = atomic_load(&s->seq);

		memcpy(out, (const void *)s, sizeof(*out));
		if (!(before & 1) && atomic_load(&s->seq) == before)
			break;
	}
	return atomic_load(&out->pid) != 0;
}

static void add_stats(struct zswap_stats *a, const struct zswap_stats *b)
{
	uint64_t *x = (uint64_t *)a;
	const uint64_t *y = (const uint64_t *)b;

	for (size_t i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
		x[i] += y[i];
}

unsigned run_total(const struct run_child *c, struct run_proc_stats *sum)
{
	struct run_proc_stats p;
	unsigned n = 0;

	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < RUN_MAX_PROCS; i++) {
		if (!run_read(c, i, &p))
			continue;
		n++;
		sum->limit_bytes = p.limit_bytes;
		sum->managed_bytes += p.managed_bytes;
		sum->resident_pages += p.resident_pages;
		sum->resident_peak += p.resident_peak;
		sum->rss_anon_peak += p.rss_anon_peak;
		sum->own_bytes += p.own_bytes;
		sum->faults += p.faults;
		sum->zero_fills += p.zero_fills;
		sum->evictions += p.evictions;
		sum->kept_resident += p.kept_resident;
		sum->syscalls += p.syscalls;
		sum->prefaults += p.prefaults;
		sum->events += p.events;
		sum->fault_ns += p.fault_ns;
		sum->pager_ns += p.pager_ns;
		sum->throttle_ns += p.throttle_ns;
		sum->moves_recounted += p.moves_recounted;
		for (unsigned b = 0; b < RUN_HIST_BUCKETS; b++)
			sum->hist[b] += p.hist[b];
		add_stats(&sum->store, &p.store);
	}
	return n;
}

/* The middle of bucket @b (shim_stats.c: eight buckets a doubling). */
static uint64_t bucket_ns(unsigned b)
{
	unsigned msb = b >> 3, mant = b & 7;

	if (b < 24)
		return b;
	if (msb == 3)
		return 8 + mant;
	return (uint64_t)((8 + mant) * 2 + 1) << (msb - 4);
}

uint64_t run_quantile(const uint64_t hist[RUN_HIST_BUCKETS], double q)
{
	uint64_t total = 0, want, seen = 0;

	for (unsigned b = 0; b < RUN_HIST_BUCKETS; b++)
		total += hist[b];
	if (!total)
		return 0;
	want = (uint64_t)ceil(q * (double)total);
	if (want < 1)
		want = 1;
	for (unsigned b = 0; b < RUN_HIST_BUCKETS; b++) {
		seen += hist[b];
		if (seen >= want)
			return bucket_ns(b);
	}
	return bucket_ns(RUN_HIST_BUCKETS - 1);
}

int run_parse_size(const char *s, const char *what, uint64_t min, uint64_t max, uint64_t *out,
		   char *why, size_t len)
{
	static const char units[] = "KMGT";
	const char *p = s, *unit;
	long double v = 0, scale = 1;
	bool digits = false;

	while (isdigit((unsigned char)*p))
		v = v * 10 + (*p++ - '0'), digits = true;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++)
			v += (*p - '0') / (scale *= 10), digits = true;
	}
	scale = 1;
	if (*p && (unit = strchr(units, toupper((unsigned char)*p)))) {
		for (int k = 0; k <= unit - units; k++)
			scale *= 1024;
		p++;
		if (*p == 'i' && p[1] == 'B')
			p += 2;
		else if (*p == 'B')
			p++;
	}
	v *= scale;
	if (!digits || *p || v < (long double)min || v > (long double)max) {
		char shown[41];
		size_t n = 0;

		/* the value as the user can read it back: '?' for what a terminal would not show */
		for (; s[n] && n < sizeof(shown) - 1; n++)
			shown[n] = s[n] >= 0x20 && s[n] < 0x7f ? s[n] : '?';
		shown[n] = '\0';
		snprintf(why, len, "bad %s value '%s' (a size such as 64M or 1.5G, from %llu to %llu bytes)",
			 what, shown, (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = (uint64_t)v;
	return 0;
}
