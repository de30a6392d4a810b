/*
 * procset.c - finding a target's processes again at each refresh
 *
 * Descendants: the kernel's /proc/PID/task/TID/children exists only with
 * CONFIG_PROC_CHILDREN, so every process's parent is read from
 * /proc/PID/stat instead, once a refresh, and the tree walked from the
 * members given.  Cgroups: cgroup.procs, in each cgroup directory and the
 * ones below it (v2 lists only a cgroup's own processes there; v1 too).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procmem.h"
#include "procset.h"

/* Where a cgroup path not found as given is looked for. */
static const char *const cgroup_roots[] = {
	"/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/memory",
	"/sys/fs/cgroup/pids", "/sys/fs/cgroup/systemd",
};

#define NROOTS (sizeof(cgroup_roots) / sizeof(cgroup_roots[0]))
#define MAX_CGROUP_DEPTH 32             /* below a cgroup given */

struct pids {
	pid_t *p;
	size_t n, cap;
};

struct procset {
	struct pids given, member;
	char **cgroup;
	size_t ncgroups;
	bool follow;
};

/* A process and its parent, from /proc/PID/stat. */
struct link {
	pid_t pid, ppid;
};

static int push(struct pids *v, pid_t pid)
{
	if (v->n == v->cap) {
		const size_t cap = v->cap ? 2 * v->cap : 64;
		pid_t *p = realloc(v->p, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		v->p = p;
		v->cap = cap;
	}
	v->p[v->n++] = pid;
	return 0;
}

struct procset *procset_new(void)
{
	return calloc(1, sizeof(struct procset));
}

void procset_free(struct procset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncgroups; i++)
		free(s->cgroup[i]);
	free(s->cgroup);
	free(s->given.p);
	free(s->member.p);
	free(s);
}

int procset_add_pid(struct procset *s, pid_t pid)
{
	return push(&s->given, pid);
}

void procset_follow(struct procset *s, bool follow)
{
	s->follow = follow;
}

size_t procset_count(const struct procset *s)
{
	return s->member.n;
}

pid_t procset_member(const struct procset *s, size_t i)
{
	return s->member.p[i];
}

const char *procset_cgroup(const struct procset *s, size_t i)
{
	return i < s->ncgroups ? s->cgroup[i] : NULL;
}

static bool is_cgroup(const char *dir)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	return access(path, R_OK) == 0;
}

int procset_add_cgroup(struct procset *s, const char *path, char *why, size_t len)
{
	char dir[PATH_MAX], *real, **more;
	size_t i = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	while (!is_cgroup(dir) && i < NROOTS)
		snprintf(dir, sizeof(dir), "%s/%s", cgroup_roots[i++], path + strspn(path, "/"));
	if (!*path || strlen(path) >= PATH_MAX / 2 || !is_cgroup(dir)) {
		snprintf(why, len, "no cgroup '%s': neither it nor a path below a cgroup root "
			 "(/sys/fs/cgroup, its unified, memory, pids or systemd) has a readable "
			 "cgroup.procs", path);
		return -ENOENT;
	}
	real = realpath(dir, NULL);
	more = real ? realloc(s->cgroup, (s->ncgroups + 1) * sizeof(*more)) : NULL;
	if (!more) {
		free(real);
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	s->cgroup = more;
	s->cgroup[s->ncgroups++] = real;
	return 0;
}

/* ---- refreshing ---- */

static bool alive(pid_t pid)
{
	const char state = procmem_state(pid, NULL, 0);

	return state && state != 'Z' && state != 'X';
}

static int read_links(struct link **out, size_t *n)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t cap = 0;
	int err = d ? 0 : -errno;

	*out = NULL;
	*n = 0;
	while (!err && (e = readdir(d))) {
		char path[300], line[512], *close;
		struct link l = { (pid_t)atoi(e->d_name), 0 };
		FILE *f;

		if (l.pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "re");
		close = f && fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
		if (f)
			fclose(f);
		if (!close || sscanf(close + 1, " %*c %d", &l.ppid) != 1)
			continue;
		if (*n == cap) {
			struct link *more = realloc(*out, (cap = cap ? 2 * cap : 256) * sizeof(*more));

			if (!more) {
				err = -ENOMEM;
				break;
			}
			*out = more;
		}
		(*out)[(*n)++] = l;
	}
	if (d)
		closedir(d);
	return err;
}

/* Every descendant of the members so far, added. */
static int descendants(struct procset *s)
{
	struct link *l;
	size_t n;
	int err = read_links(&l, &n);

	/* member grows as children are found: each is looked at in turn. */
	for (size_t i = 0; !err && i < s->member.n; i++)
		for (size_t k = 0; !err && k < n; k++)
			if (l[k].ppid == s->member.p[i] && l[k].pid != s->member.p[i])
				err = push(&s->member, l[k].pid);
	free(l);
	return err;
}

static int read_cgroup(struct procset *s, const char *dir, int depth)
{
	char path[PATH_MAX + 16];
	struct dirent *e;
	FILE *f;
	DIR *d;
	int pid, err = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return depth ? 0 : -errno;      /* one below may go as we read */
	while (!err && fscanf(f, "%d", &pid) == 1)
		err = pid > 0 ? push(&s->member, pid) : 0;
	fclose(f);
	d = depth < MAX_CGROUP_DEPTH ? opendir(dir) : NULL;
	while (!err && d && (e = readdir(d)))
		if (e->d_type == DT_DIR && e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			err = strlen(path) < PATH_MAX && is_cgroup(path) ? read_cgroup(s, path, depth + 1)
									 : 0;
		}
	if (d)
		closedir(d);
	return err;
}

static int by_pid(const void *a, const void *b)
{
	const pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int procset_refresh(struct procset *s, const pid_t *extra, size_t n, char *why, size_t len)
{
	int err = 0;
	size_t k = 0;

	s->member.n = 0;
	for (size_t i = 0; !err && i < s->given.n; i++)
		err = alive(s->given.p[i]) ? push(&s->member, s->given.p[i]) : 0;
	if (!err && s->follow && s->member.n)
		err = descendants(s);
	for (size_t i = 0; !err && i < s->ncgroups; i++) {
		err = read_cgroup(s, s->cgroup[i], 0);
		if (err && err != -ENOMEM)
			snprintf(why, len, "cannot read cgroup '%s': %s", s->cgroup[i], strerror(-err));
	}
	for (size_t i = 0; !err && i < n; i++)
		err = push(&s->member, extra[i]);
	if (err == -ENOMEM)
		snprintf(why, len, "out of memory");
	if (err)
		return err;
	if (s->member.n)        /* none yet: no array to sort */
		qsort(s->member.p, s->member.n, sizeof(pid_t), by_pid);
	for (size_t i = 0; i < s->member.n; i++)
		if (!k || s->member.p[k - 1] != s->member.p[i])
			s->member.p[k++] = s->member.p[i];
	s->member.n = k;
	return 0;
}
