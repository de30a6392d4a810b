/*
 * procset.h - the processes a target is made of, which change over time:
 * processes given by number, the processes they start (followed), every
 * process of a cgroup, and those a child runner reports
 *
 *	struct procset *s = procset_new();
 *	procset_add_pid(s, 1234);
 *	procset_follow(s, true);
 *	while (...) {
 *		procset_refresh(s, NULL, 0, why, len);
 *		for (size_t i = 0; i < procset_count(s); i++)
 *			... procset_member(s, i) ...
 *	}
 *
 * Members are found again at each procset_refresh(), from /proc and the
 * cgroups' own lists: a process that ended is gone, one that started is
 * there.  Descendants are found by their parent (/proc/PID/stat), so one
 * that lives shorter than the time between two refreshes may be missed;
 * a command zbud starts itself is followed exactly (child.h) and its
 * processes given as @extra.
 */
#ifndef ZBUD_PROCSET_H
#define ZBUD_PROCSET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct procset;

struct procset *procset_new(void);
void procset_free(struct procset *s);

/* procset_add_pid - a member while it lives; 0 or -ENOMEM */
int procset_add_pid(struct procset *s, pid_t pid);

/*
 * procset_add_cgroup - every process in the cgroup at @path and the cgroups
 * below it: a cgroup directory (v1 or v2), or a path below a mounted
 * hierarchy's root (/sys/fs/cgroup, /sys/fs/cgroup/unified, or a v1
 * controller's, the memory one first)
 *
 * Returns 0, or -ENOENT (no such cgroup), -ENOMEM, another errno, with one
 * line in @why.
 */
int procset_add_cgroup(struct procset *s, const char *path, char *why, size_t len);

/* procset_follow - also every descendant of a member given by number */
void procset_follow(struct procset *s, bool follow);

/*
 * procset_refresh - the members now: those given that still live, their
 * descendants when followed, the cgroups' processes, and @extra[0..n)
 *
 * Returns 0, or -ENOMEM or another errno with @why (a cgroup that was
 * removed: -ENOENT).
 */
int procset_refresh(struct procset *s, const pid_t *extra, size_t n, char *why, size_t len);

size_t procset_count(const struct procset *s);
pid_t procset_member(const struct procset *s, size_t i);

/* procset_cgroup - the i-th cgroup's directory; NULL past the last */
const char *procset_cgroup(const struct procset *s, size_t i);

#endif /* ZBUD_PROCSET_H */
