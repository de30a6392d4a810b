/*
 * kstat_internal.h - what the readers of kstat share: one file at a time,
 * under a root, into one buffer
 */
#ifndef ZBUD_KSTAT_INTERNAL_H
#define ZBUD_KSTAT_INTERNAL_H

#include "kstat.h"

struct kstat_ctx {
	const char *root;               /* "" for "/" */
	struct kstat_snapshot *s;
	char *buf;                      /* KSTAT_FILE_MAX bytes */
	size_t n;                       /* of the file last loaded */
	char path[KSTAT_PATH_MAX];      /* root + the file last loaded */
	char *why;
	size_t len;
};

/*
 * kstat_load - the file @rel ("/proc/meminfo", under the root) into c->buf
 *
 * Returns 0; -ENOENT when it is not there; -EACCES when it needs privilege
 * (recorded in c->s->denied); else -EINVAL or another -errno with c->why
 * set (not a regular file: a FIFO would hang a reader; too large; I/O).
 */
int kstat_load(struct kstat_ctx *c, const char *rel);

/* kstat_path - c->path = root + @rel; -ENAMETOOLONG with c->why set */
int kstat_path(struct kstat_ctx *c, const char *rel);

/* kstat_denied - note that @rel needs privilege (once) */
void kstat_denied(struct kstat_ctx *c, const char *rel);

int kstat_read_zswap(struct kstat_ctx *c);
int kstat_read_zram(struct kstat_ctx *c);

#endif /* ZBUD_KSTAT_INTERNAL_H */
