/*
 * zswap_writeback.c - the backing file: pages the pool had no room for
 *
 * The file is a row of 4 KiB slots.  A page written back is stored whole
 * (decompressed, as the kernel writes to swap), and its CRC-32 stays in the
 * entry, in memory: a slot changed or cut short in the file reads back as
 * -EIO, never as wrong bytes.  Freed slots are reused before the file grows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fault.h"
#include "zswap_internal.h"

static uint32_t checksum(const void *page)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), page, ZSWAP_PAGE_SIZE);
}

int zswap_backing_open(struct zswap *zs, const char *path)
{
	struct backing *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->path = strdup(path);
	if (!b->path) {
		free(b);
		return -ENOMEM;
	}
	/* A new file only: never follow or reuse what is already there. */
	b->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (b->fd < 0) {
		int err = -errno;

		free(b->path);
		free(b);
		return err;
	}
	zbud_lock_init(&b->lock);
	zs->backing = b;
	return 0;
}

void zswap_backing_close(struct zswap *zs)
{
	struct backing *b = zs->backing;

	if (!b)
		return;
	close(b->fd);
	unlink(b->path);
	free(b->path);
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
	e->disk.crc = checksum(page);
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
	return checksum(page) == e->disk.crc ? 0 : -EIO;
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

	if (!zs->backing)
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
