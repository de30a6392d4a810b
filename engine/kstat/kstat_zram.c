/*
 * kstat_zram.c - every zram device's figures (/sys/block/zramN)
 *
 * Only reads: the files written to set a device up (disksize, reset,
 * mem_limit, which is write-only) are never opened for writing.
 */
#include "kstat_internal.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The most fields a known file has (the block layer's stat, since 5.5),
 * and how many more a line may have, for kernels yet to come. */
#define BLK_FIELDS 17
#define MORE_FIELDS 16

/* "zram" and a decimal number, the device's id; -1 otherwise. */
static long device_id(const char *name)
{
	char *end;
	long id;

	if (strncmp(name, "zram", 4) || name[4] < '0' || name[4] > '9')
		return -1;
	id = strtol(name + 4, &end, 10);
	return *end || id < 0 || id > 1 << 20 ? -1 : id;
}

static int by_id(const void *a, const void *b)
{
	const long x = device_id(((const struct kstat_zram_dev *)a)->name);
	const long y = device_id(((const struct kstat_zram_dev *)b)->name);

	return (x > y) - (x < y);
}

static int load(struct kstat_ctx *c, const char *dev, const char *file)
{
	char rel[KSTAT_PATH_MAX / 2];

	snprintf(rel, sizeof(rel), "/sys/block/%s/%s", dev, file);
	return kstat_load(c, rel);
}

/* One "N N N ..." file into @out (the first @max fields kept); *@n fields
 * read, 0 when the file is not there. */
static int fields(struct kstat_ctx *c, const char *dev, const char *file, uint64_t *out,
		  int min, int max, int *n)
{
	uint64_t all[BLK_FIELDS + MORE_FIELDS];
	int err = load(c, dev, file), got = 0;

	*n = 0;
	assert(max <= BLK_FIELDS);
	if (err == -ENOENT || err == -EACCES)
		return 0;
	if (!err)
		err = kstat_parse_fields(c->path, c->buf, c->n, all, min, max + MORE_FIELDS,
					 &got, c->why, c->len);
	if (err)
		return err;
	*n = got < max ? got : max;
	memcpy(out, all, (size_t)*n * sizeof(*out));
	return 0;
}

/* The block layer's stat: fields 0, 2, 4, 6 of 11 to 17. */
static int blk_stat(struct kstat_ctx *c, struct kstat_zram_dev *d)
{
	uint64_t all[BLK_FIELDS];
	int n, err = fields(c, d->name, "stat", all, KSTAT_BLK_STAT_MIN, BLK_FIELDS, &n);

	for (int i = 0; n && i < KSTAT_BLK_STAT_N; i++)
		d->blk[i] = all[2 * i];
	d->have_blk = n > 0;
	return err;
}

static int number(struct kstat_ctx *c, const char *dev, const char *file, uint64_t *v)
{
	int err = load(c, dev, file);

	if (!err)
		return kstat_parse_u64(c->path, c->buf, c->n, v, c->why, c->len);
	return err == -ENOENT || err == -EACCES ? 0 : err;
}

static int read_device(struct kstat_ctx *c, struct kstat_zram_dev *d)
{
	uint64_t init = 0;
	int n = 0, err = number(c, d->name, "initstate", &init);

	d->initialized = init != 0;
	if (!err)
		err = number(c, d->name, "disksize", &d->disksize);
	if (!err && !(err = load(c, d->name, "comp_algorithm")))
		err = kstat_parse_algorithms(c->path, c->buf, c->n, d->algorithm,
					     sizeof(d->algorithm), d->algorithms,
					     sizeof(d->algorithms), c->why, c->len);
	if (err == -ENOENT || err == -EACCES)
		err = 0;
	if (!err)
		err = fields(c, d->name, "mm_stat", d->mm, KSTAT_MM_STAT_MIN, KSTAT_MM_STAT_N,
			     &d->mm_n);
	if (!err)
		err = fields(c, d->name, "io_stat", d->io, KSTAT_IO_STAT_N, KSTAT_IO_STAT_N, &n);
	d->have_io = n > 0;
	if (!err)
		err = fields(c, d->name, "bd_stat", d->bd, KSTAT_BD_STAT_N, KSTAT_BD_STAT_N, &n);
	d->have_bd = n > 0;
	if (!err)
		err = blk_stat(c, d);
	if (!err && !(err = load(c, d->name, "backing_dev")))
		err = kstat_parse_word(c->path, c->buf, c->n, d->backing_dev,
				       sizeof(d->backing_dev), c->why, c->len);
	if (!err && !strcmp(d->backing_dev, "none"))
		d->backing_dev[0] = '\0';
	return err == -ENOENT || err == -EACCES ? 0 : err;
}

/* The names of the zramN entries of /sys/block, into s->zram.dev. */
static int list_devices(struct kstat_ctx *c)
{
	struct kstat_zram *z = &c->s->zram;
	struct dirent *e;
	int cap = 0;
	DIR *d;

	if (kstat_path(c, "/sys/block"))
		return -ENAMETOOLONG;
	d = opendir(c->path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		const size_t nl = strlen(e->d_name);

		if (device_id(e->d_name) < 0 || nl >= sizeof(z->dev[0].name))
			continue;
		if (z->ndev == cap) {
			struct kstat_zram_dev *more;

			cap = cap ? 2 * cap : 4;
			more = realloc(z->dev, (size_t)cap * sizeof(*more));
			if (!more) {
				closedir(d);
				snprintf(c->why, c->len, "out of memory");
				return -ENOMEM;
			}
			z->dev = more;
		}
		memset(&z->dev[z->ndev], 0, sizeof(z->dev[0]));
		memcpy(z->dev[z->ndev++].name, e->d_name, nl + 1);
	}
	closedir(d);
	if (z->ndev)
		qsort(z->dev, (size_t)z->ndev, sizeof(z->dev[0]), by_id);
	return 0;
}

int kstat_read_zram(struct kstat_ctx *c)
{
	struct kstat_zram *z = &c->s->zram;
	struct stat st;
	int err;

	if (kstat_path(c, "/sys/class/zram-control"))
		return -ENAMETOOLONG;
	z->present = !stat(c->path, &st);
	err = list_devices(c);
	for (int i = 0; !err && i < z->ndev; i++)
		err = read_device(c, &z->dev[i]);
	return err;
}
