/*
 * zswap_writeback.c - the backing file: pages the pool had no room for
 *
 * The file is a row of 4 KiB slots.  A page written back is stored whole
 * (decompressed, as the kernel writes to swap), and a keyed check of it
 * (zswap_siphash(), under a random key of this store's) stays in the entry,
 * in memory: a slot changed or cut short in the file reads back as -EIO,
 * never as other bytes, whoever changed it.  Freed slots are reused before
 * the file grows.
 *
 * The file has no name.  It is made new where the caller said, and its name
 * removed at once, before a page is written: from then on only the store's
 * descriptor reaches it, and the kernel frees it when the store is
 * destroyed or the process dies, however it dies.  So page contents never
 * outlive the store, and the store never removes a file by name later
 * (after a chdir(), or once another file has taken the name).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"
#include "zswap_internal.h"

static uint64_t check_of(const struct backing *b, const void *page)
{
	return zswap_siphash(b->key, page, ZSWAP_PAGE_SIZE);
}

/* The directory of @path, open, and the last part of @path in *@name. */
static int open_dir(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	*name = slash ? slash + 1 : path;
	if (!slash)
		return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	if (!dir)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	return fd;
}

/*
 * Make @path a new file (never through a symlink, never one that exists),
 * and remove the name if it is still that file's.  Returns the descriptor,
 * or a negative errno: -EEXIST also when another file took the name before
 * it could be removed (ours, empty, is then left where that one moved it).
 */
static int create_unnamed(const char *path)
{
	const char *name;
	int dir = open_dir(path, &name), fd = -1, err = 0;
	struct stat mine, there;

	if (dir < 0)
		return -errno;
	if (!*name)
		err = -EISDIR;
	else if ((fd = openat(dir, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			      0600)) < 0)
		err = -errno;
	else if (fstat(fd, &mine) || fstatat(dir, name, &there, AT_SYMLINK_NOFOLLOW))
		err = -errno;
	else if (mine.st_dev != there.st_dev || mine.st_ino != there.st_ino)
		err = -EEXIST;
	else if (unlinkat(dir, name, 0))
		err = -errno;
	if (err && fd >= 0)
		close(fd);
	close(dir);
	return err ? err : fd;
}

int zswap_backing_open(struct zswap *zs, const char *path)
{
	struct backing *b = calloc(1, sizeof(*b));
	ssize_t got;
	int fd;

	if (!b)
		return -ENOMEM;
	got = getrandom(b->key, sizeof(b->key), 0);
	if (got != (ssize_t)sizeof(b->key)) {
		free(b);
		return got < 0 ? -errno : -EIO;
	}
	fd = create_unnamed(path);
	if (fd < 0) {
		free(b);
		return fd;
	}
	b->fd = fd;
	zbud_lock_init(&b->lock);
	zs->backing = b;
	return 0;
}

void zswap_backing_close(struct zswap *zs)
{
	struct backing *b = zs->backing;

	if (!b)
		return;
	close(b->fd); /* the last reference: the kernel frees the file */
	free(b->free_slots);
	free(b);
	zs->backing = NULL;
}

static uint64_t take_slot(struct backing *b)
{
	uint64_t slot;

	zbud_lock_take(&b->lock);
	slot = b->nfree ? b->free_slots[--b->nfree] : b->next_slot++;
	zbud_lock_release(&b->lock);
	return slot;
}

void zswap_backing_release(struct zswap *zs, uint64_t slot)
{
	struct backing *b = zs->backing;

	zbud_lock_take(&b->lock);
	if (b->nfree == b->cap_free) {
		uint64_t cap = b->cap_free ? b->cap_free * 2 : 64;
		uint64_t *p = realloc(b->free_slots, cap * sizeof(*p));

		if (!p) {
			/* Out of memory: the slot is lost, which costs file space only. */
			zbud_lock_release(&b->lock);
			return;
		}
		b->free_slots = p;
		b->cap_free = cap;
	}
	b->free_slots[b->nfree++] = slot;
	zbud_lock_release(&b->lock);
}

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = zbud_fault_hit(ZBUD_FAULT_WRITE) ? -1 : pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		buf = (const char *)buf + n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

int zswap_backing_write(struct zswap *zs, struct shard *sh, struct zswap_entry *e)
{
	unsigned char page[ZSWAP_PAGE_SIZE];
	uint64_t slot;
	int err = zswap_entry_read_memory(zs, sh, e, page);

	if (err)
		return err;
	slot = take_slot(zs->backing);
	err = write_all(zs->backing->fd, page, ZSWAP_PAGE_SIZE, (off_t)(slot * ZSWAP_PAGE_SIZE));
	if (err) {
		zswap_backing_release(zs, slot);
		return err;
	}
	zswap_entry_release_memory(zs, sh, e);
	e->kind = ON_DISK;
	e->disk.slot = slot;
	e->disk.tag = check_of(zs->backing, page);
	sh->stat[STAT_WRITTEN_BACK_PAGES]++;
	sh->stat[STAT_BACKING_PAGES]++;
	return 0;
}

int zswap_backing_read(struct zswap *zs, const struct zswap_entry *e, void *page)
{
	size_t done = 0;
	off_t off = (off_t)(e->disk.slot * ZSWAP_PAGE_SIZE);

	while (done < ZSWAP_PAGE_SIZE) {
		ssize_t n = pread(zs->backing->fd, (char *)page + done, ZSWAP_PAGE_SIZE - done,
				  off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO; /* an error, or the file was cut short */
		done += (size_t)n;
	}
	return check_of(zs->backing, page) == e->disk.tag ? 0 : -EIO;
}

int zswap_writeback_oldest(struct zswap *zs)
{
	for (;;) {
		struct shard *best = NULL;
		uint64_t best_seq = UINT64_MAX;
		int err;

		/* The least recently stored entry of all shards, one at a time. */
		for (unsigned int i = 0; i < zs->nshards; i++) {
			struct shard *sh = &zs->shards[i];

			zbud_lock_take(&sh->lock);
			if (sh->oldest && sh->oldest->seq < best_seq) {
				best_seq = sh->oldest->seq;
				best = sh;
			}
			zbud_lock_release(&sh->lock);
		}
		if (!best)
			return -ENOENT;
		zbud_lock_take(&best->lock);
		err = best->oldest ? zswap_backing_write(zs, best, best->oldest) : -EAGAIN;
		zbud_lock_release(&best->lock);
		if (err != -EAGAIN)
			return err; /* else another thread took it: look again */
	}
}

long zswap_shrink(struct zswap *zs, unsigned long pages)
{
	long done = 0;

	if (!zs || !zs->backing)
		return -EINVAL;
	while ((unsigned long)done < pages) {
		int err = zswap_writeback_oldest(zs);

		if (err == -ENOENT)
			break;
		if (err)
			return done ? done : err;
		done++;
	}
	return done;
}
