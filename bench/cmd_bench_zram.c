/*
 * cmd_bench_zram.c - `zbud bench zram`: our pools against the running
 * kernel's own zram, on the same pages
 *
 * The pages are the heap of a Python program started for it (as `zbud bench
 * store`'s heap set).  Each page is made into the object zram would store:
 * none for a same-filled page (zram keeps the word), else its LZ4 length, or
 * 4096 bytes when that length reaches the kernel's huge size (zram then
 * stores the page whole).  Each allocator of the driver table takes those
 * objects in page order, and a zram device made for the run (hot_add, lz4,
 * O_DIRECT writes in page order) takes the pages themselves; mm_stat then
 * gives the kernel's pages (mem_used_total) and, to show both sides stored
 * the same objects, its compressed bytes, same-filled and huge pages.
 *
 * The device is always reset and hot_removed, on errors and on SIGINT,
 * SIGTERM, SIGHUP and SIGQUIT too; no other zram device is touched.  Without
 * root or zram-control, the pools' figures are printed alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define ZPOOL_STATIC_LINKING_ONLY
#define ZSWAP_STATIC_LINKING_ONLY
#include "cli.h"
#include "pageset.h"
#include "builtin.h"
#include "procmem.h"
#include "zpool.h"
#include "zswap.h"

#define PAGE 4096
#define HEAP_TIMEOUT_S 120      /* the built-in heap takes a second or two */
#define ZRAM_CONTROL "/sys/class/zram-control"
#define WRITE_PAGES 64                  /* pages a write() */
/* The goal, as issue 13 states it: ours against the kernel's pages. */
#define GOAL_ALLOCATOR "zsmalloc"
#define GOAL_VS_KERNEL 0.98
/* The mode that makes the kernel's choices: its pages should be the kernel's. */
#define FIDELITY_ALLOCATOR "zsmalloc-kernel"

/* The kernel's zsmalloc geometry, for its huge size (see kernel_huge_size()). */
#define KZS_MIN_SIZE 32
#define KZS_DELTA 16
#define KZS_HANDLE 8
#define KZS_MAX_CHAIN 16

/* What zram would store of the pages. */
struct objects {
	uint32_t *len;                  /* each stored object's bytes, in page order */
	size_t count, pages, same, huge;
	uint64_t bytes;
	unsigned int chain, huge_size;  /* the kernel's chain; lengths >= huge_size
					   are stored whole */
	bool chain_known;               /* read from the kernel's config */
};

/* zram's mm_stat, as far as it is used here. */
struct zram_stat {
	uint64_t orig, compr, mem_used, same, huge;
};

/* ---- the kernel's geometry ---- */

/* calculate_zspage_chain_size(): the chain of 1..@chain pages wasting least,
 * one page for a power of two. */
static unsigned int kernel_chain(unsigned int size, unsigned int chain)
{
	unsigned int best = 1, least = PAGE;

	if (!(size & (size - 1)))
		return 1;
	for (unsigned int i = 1; i <= chain; i++) {
		unsigned int waste = i * PAGE % size;

		if (waste < least) {
			least = waste;
			best = i;
		}
	}
	return best;
}

/* zs_huge_class_size(): the smallest class holding one object in one page,
 * less the handle's bytes but one (zs_malloc() adds them before its lookup). */
static unsigned int kernel_huge_size(unsigned int chain)
{
	for (unsigned int size = KZS_MIN_SIZE; size < PAGE; size += KZS_DELTA)
		if (kernel_chain(size, chain) == 1 && PAGE / size == 1)
			return size - (KZS_HANDLE - 1);
	return PAGE - (KZS_HANDLE - 1);
}

/* CONFIG_ZSMALLOC_CHAIN_SIZE from /boot/config-RELEASE or /proc/config.gz;
 * 0 when neither says. */
static unsigned int kernel_config_chain(void)
{
	static const char key[] = "CONFIG_ZSMALLOC_CHAIN_SIZE=";
	struct utsname u;
	char path[128 + sizeof(u.release)], line[256];
	unsigned int chain = 0;
	gzFile f = NULL;

	if (!uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		f = gzopen(path, "rb");         /* reads plain files too */
	}
	if (!f)
		f = gzopen("/proc/config.gz", "rb");
	if (!f)
		return 0;
	while (!chain && gzgets(f, line, sizeof(line)))
		if (!strncmp(line, key, sizeof(key) - 1))
			chain = (unsigned int)strtoul(line + sizeof(key) - 1, NULL, 10);
	gzclose(f);
	return chain >= 1 && chain <= KZS_MAX_CHAIN ? chain : 0;
}

/* ---- the pages and their objects ---- */

static int heap_pages(char *const *cmd, struct pageset *ps)
{
	char *const *argv = cmd ? cmd : builtin_argv();
	struct procmem_counts st = { 0 };
	uint64_t unreadable = 0;
	char how[256];
	int err = builtin_heap_read(argv, HEAP_TIMEOUT_S, ps, &st, &unreadable, how, sizeof(how));

	if (err)
		fprintf(stderr, "zbud bench zram: the heap program '%s' %s\n", argv[0], how);
	else if (!ps->count)
		fprintf(stderr, "zbud bench zram: the heap program '%s' had no pages\n", argv[0]);
	return err || !ps->count ? -1 : 0;
}

static int make_objects(const struct pageset *ps, struct objects *o)
{
	const struct zswap_compressor *lz4 = zswap_compressor_find("lz4");
	static unsigned char out[2 * PAGE];    /* zram's buffer: 2 pages */
	void *ctx = lz4 ? lz4->ctx_new(lz4->default_level) : NULL;

	o->len = calloc(ps->count ? ps->count : 1, sizeof(*o->len));
	if (!lz4 || !ctx || !o->len) {
		fprintf(stderr, "zbud bench zram: %s\n", !lz4 ? "no lz4 compressor in this build"
			: "out of memory");
		if (ctx)
			lz4->ctx_free(ctx);
		return -1;
	}
	o->pages = ps->count;
	for (size_t i = 0; i < ps->count; i++) {
		unsigned long word;
		long len;

		if (zswap_page_same_filled(pageset_page(ps, i), &word)) {
			o->same++;
			continue;
		}
		len = lz4->compress(ctx, pageset_page(ps, i), PAGE, out, sizeof(out));
		if (len <= 0) {
			fprintf(stderr, "zbud bench zram: lz4 failed on page %zu\n", i);
			lz4->ctx_free(ctx);
			return -1;
		}
		if ((unsigned long)len >= o->huge_size) {
			len = PAGE;
			o->huge++;
		}
		o->len[o->count++] = (uint32_t)len;
		o->bytes += (uint64_t)len;
	}
	lz4->ctx_free(ctx);
	return 0;
}

/* ---- the zram device: made, written, read, and always removed ---- */

static volatile sig_atomic_t zram_id = -1, zram_fd = -1;

/* The decimal of @v at the end of @buf; async-signal-safe. */
static char *utoa(unsigned long v, char *buf, size_t len)
{
	char *p = buf + len - 1;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) && p > buf);
	return p;
}

/* Write @s to the sysfs file @dir/@file; async-signal-safe.  0 or -errno. */
static int sysfs_put(const char *dir, const char *file, const char *s)
{
	char path[96];
	size_t d = strlen(dir), f = strlen(file), n = strlen(s);
	int fd, err = 0;

	if (d + f + 2 > sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, d);
	path[d] = '/';
	memcpy(path + d + 1, file, f + 1);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, s, n) != (ssize_t)n)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

/* /sys/block/zramN into @dir; async-signal-safe. */
static void zram_dir(int id, char *dir, size_t len)
{
	char num[24];
	const char *n = utoa((unsigned long)id, num, sizeof(num));
	static const char base[] = "/sys/block/zram";

	memcpy(dir, base, sizeof(base));
	if (sizeof(base) + strlen(n) <= len)
		memcpy(dir + sizeof(base) - 1, n, strlen(n) + 1);
}

/* Reset and hot_remove the device made here, if any; async-signal-safe. */
static void zram_release(void)
{
	int id = zram_id;
	char dir[64], num[24];

	if (zram_fd >= 0) {
		close(zram_fd);         /* an open device refuses reset and hot_remove */
		zram_fd = -1;
	}
	if (id < 0)
		return;
	zram_dir(id, dir, sizeof(dir));
	sysfs_put(dir, "reset", "1");
	sysfs_put(ZRAM_CONTROL, "hot_remove", utoa((unsigned long)id, num, sizeof(num)));
	zram_id = -1;
}

static void on_signal(int sig)
{
	zram_release();
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int caught[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/* hot_add a device, its number in zram_id before any signal can land. */
static int zram_add(void)
{
	sigset_t all, old;
	char buf[24] = { 0 };
	ssize_t n;
	int fd, err = 0;

	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		if (signal(caught[i], on_signal) == SIG_IGN)
			signal(caught[i], SIG_IGN);     /* ignored it stays */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	fd = open(ZRAM_CONTROL "/hot_add", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
	} else {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n <= 0)
			err = n < 0 ? -errno : -EIO;
		else
			zram_id = atoi(buf);
		close(fd);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return err;
}

static int zram_read_stat(const char *dir, struct zram_stat *st)
{
	char path[96];
	unsigned long long v[8];
	FILE *f;
	int got;

	snprintf(path, sizeof(path), "%s/mm_stat", dir);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	got = fscanf(f, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		     &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (got != 8)
		return -EPROTO;
	*st = (struct zram_stat){ v[0], v[1], v[2], v[5], v[7] };
	return 0;
}

/* Open /dev/zramN for O_DIRECT writes; udev may take a moment to make it. */
static int zram_open(int id)
{
	char dev[32];
	int fd = -1;

	snprintf(dev, sizeof(dev), "/dev/zram%d", id);
	for (int tries = 0; fd < 0 && tries < 200; tries++) {
		fd = open(dev, O_WRONLY | O_DIRECT | O_CLOEXEC);
		if (fd < 0 && errno != ENOENT)
			break;
		if (fd < 0)
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	return fd < 0 ? -errno : fd;
}

/*
 * Write the pages in order, one a write(), reading mm_stat after each: so
 * @ko gets the kernel's own object for each page (its compressed length,
 * 4096 bytes when huge, none when same-filled), and @st the last figures.
 */
static int zram_write(int fd, const char *dir, const struct pageset *ps, struct objects *ko,
		      struct zram_stat *st)
{
	struct zram_stat prev = { 0 };
	unsigned char *buf;
	int err = 0;

	if (posix_memalign((void **)&buf, PAGE, PAGE))
		return -ENOMEM;
	for (size_t i = 0; !err && i < ps->count; i++) {
		memcpy(buf, pageset_page(ps, i), PAGE);
		if (pwrite(fd, buf, PAGE, (off_t)(i * PAGE)) != PAGE)
			err = errno ? -errno : -EIO;
		else
			err = zram_read_stat(dir, st);
		if (err)
			break;
		if (st->same > prev.same) {
			ko->same++;
		} else {
			ko->huge += st->huge > prev.huge;
			ko->len[ko->count++] = (uint32_t)(st->compr - prev.compr);
			ko->bytes += st->compr - prev.compr;
		}
		prev = *st;
	}
	free(buf);
	return err;
}

/* Store @ps in a zram device of its own: 0 with @st and the kernel's objects
 * in @ko (its len[] room for every page), or -errno with @what. */
static int zram_run(const struct pageset *ps, struct zram_stat *st, struct objects *ko,
		    const char **what)
{
	char dir[64], size[24];
	int fd, err;

	*what = "hot_add";
	err = zram_add();
	if (err)
		return err;
	zram_dir(zram_id, dir, sizeof(dir));
	*what = "comp_algorithm lz4";
	err = sysfs_put(dir, "comp_algorithm", "lz4");
	if (!err) {
		*what = "disksize";
		err = sysfs_put(dir, "disksize", utoa((unsigned long)(ps->count * PAGE), size,
						      sizeof(size)));
	}
	if (!err) {
		*what = "open";
		fd = zram_open(zram_id);
		err = fd < 0 ? fd : 0;
	}
	if (!err) {
		zram_fd = fd;           /* closed by zram_release() */
		*what = "write";
		ko->pages = ps->count;
		err = zram_write(fd, dir, ps, ko, st);
	}
	zram_release();
	return err;
}

/* ---- the pools ---- */

/* Pages @info's pool takes for the objects; objects larger than it takes
 * are kept whole, a page each, outside it (as zswap would refuse them). */
static int pool_pages(const struct zpool_info *info, const struct objects *o, uint64_t *pages)
{
	struct zpool_config cfg = { .chain_pages = o->chain };
	struct zpool *pool = zpool_create_pool_config(info->type, "bench-zram", NULL, &cfg);
	unsigned long handle;
	uint64_t whole = 0;

	if (!pool)
		return -errno;
	for (size_t i = 0; i < o->count; i++) {
		if (o->len[i] > info->max_size) {
			whole++;
			continue;
		}
		if (zpool_malloc(pool, o->len[i], &handle)) {
			zpool_destroy_pool(pool);
			return -ENOMEM;
		}
	}
	*pages = zpool_get_total_size(pool) / PAGE + whole;
	zpool_destroy_pool(pool);
	return 0;
}

/* ---- the report ---- */

static void print_objects(const char *who, const struct objects *o)
{
	printf("%s: %zu same-filled, %zu stored (%zu whole), %" PRIu64 " bytes, ideal %" PRIu64
	       " pages\n", who, o->same, o->count, o->huge, o->bytes, (o->bytes + PAGE - 1) / PAGE);
}

/* How our lz4's objects compare with the kernel's, page by page. */
static void compare_objects(const struct objects *o, const struct objects *ko)
{
	size_t differ = 0;
	int64_t delta = 0;

	if (o->same != ko->same || o->count != ko->count) {
		printf("ours and the kernel's: not the same pages same-filled\n");
		return;
	}
	for (size_t i = 0; i < o->count; i++) {
		differ += o->len[i] != ko->len[i];
		delta += (int64_t)o->len[i] - ko->len[i];
	}
	printf("ours and the kernel's: %zu of %zu objects differ in length (%+" PRId64
	       " bytes in all); the pools below take the kernel's\n", differ, o->count, delta);
}

static int print_pools(const struct objects *o, const struct zram_stat *k, bool have_k)
{
	const uint64_t ideal = (o->bytes + PAGE - 1) / PAGE, kpages = k->mem_used / PAGE;
	const struct zpool_info *info;
	int rc = 0;

	printf("\n%-16s %9s %9s %9s\n", "allocator", "pages", "x ideal", "x kernel");
	if (have_k)
		printf("%-16s %9" PRIu64 " %9.4f %9.4f\n", "kernel zram", kpages,
		       ideal ? (double)kpages / ideal : 0, 1.0);
	for (unsigned int i = 0; (info = zpool_driver_info(i)); i++) {
		uint64_t pages = 0;
		int err = pool_pages(info, o, &pages);

		if (err) {
			printf("%-16s failed: %s\n", info->type, strerror(-err));
			rc = 1;
			continue;
		}
		printf("%-16s %9" PRIu64 " %9.4f", info->type, pages,
		       ideal ? (double)pages / ideal : 0);
		if (have_k && kpages)
			printf(" %9.4f", (double)pages / kpages);
		if (have_k && kpages && !strcmp(info->type, GOAL_ALLOCATOR))
			printf("  goal <= %.2fx the kernel's: %s", GOAL_VS_KERNEL,
			       (double)pages <= GOAL_VS_KERNEL * kpages ? "met" : "MISSED");
		if (have_k && !strcmp(info->type, FIDELITY_ALLOCATOR))
			printf("  the kernel's choices: %s",
			       pages == kpages ? "the kernel's pages exactly" : "NOT the kernel's pages");
		printf("\n");
	}
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: zbud bench zram [--no-zram] [--heap-cmd CMD [ARG...]]\n"
		"\n"
		"Our pools against the running kernel's zram, on the same pages: the heap\n"
		"of a Python program it starts (or of CMD, which must stop itself with\n"
		"SIGSTOP once its heap is built; --heap-cmd comes last).  Each page becomes\n"
		"the object zram stores (none when same-filled; its lz4 length; 4096 bytes\n"
		"from the kernel's huge size up), each allocator takes them in page order,\n"
		"and a zram device made for the run (root; lz4) takes the pages; it is\n"
		"reset and removed after.  Prints each allocator's pages against the ideal\n"
		"ceil(bytes / 4096) and against the kernel's, with the goal: %s <= %.2fx\n"
		"the kernel's pages.  --no-zram: the pools alone.\n"
		"\n"
		"Examples:\n"
		"  sudo zbud bench zram\n"
		"  zbud bench zram --no-zram --heap-cmd python3 heap.py\n",
		GOAL_ALLOCATOR, GOAL_VS_KERNEL);
}

int bench_zram(int argc, char **argv)
{
	char *const *cmd = NULL;
	struct objects o = { 0 }, ko = { 0 };
	struct zram_stat k = { 0 };
	struct pageset ps;
	const char *what = "";
	bool use_zram = true, have_k = false;
	int rc, err;

	for (int i = 1; i < argc && !cmd; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--no-zram")) {
			use_zram = false;
		} else if (!strcmp(argv[i], "--heap-cmd") && i + 1 < argc) {
			cmd = argv + i + 1;
		} else {
			fprintf(stderr, "zbud bench zram: unknown option '%s' (try --help)\n",
				argv[i]);
			return 2;
		}
	}
	o.chain = kernel_config_chain();
	o.chain_known = o.chain != 0;
	if (!o.chain)
		o.chain = 8;
	o.huge_size = kernel_huge_size(o.chain);
	ko.chain = o.chain;
	ko.chain_known = o.chain_known;
	ko.huge_size = o.huge_size;
	pageset_init(&ps, "heap");
	if (heap_pages(cmd, &ps) || make_objects(&ps, &o) ||
	    !(ko.len = calloc(ps.count, sizeof(*ko.len)))) {
		pageset_free(&ps);
		free(o.len);
		return 1;
	}
	printf("zbud bench zram: %zu pages (%.1f MiB) of %s's heap;\nzsmalloc chains of up to "
	       "%u pages%s, huge (stored whole) from %u bytes\n", ps.count,
	       (double)ps.count * PAGE / 1048576, cmd ? cmd[0] : "a Python program", o.chain,
	       o.chain_known ? " (the kernel's config)" : " (assumed: no kernel config)",
	       o.huge_size);
	if (use_zram && access(ZRAM_CONTROL "/hot_add", W_OK | R_OK))
		printf("no kernel figures: %s/hot_add: %s (zram needs root and zram-control)\n",
		       ZRAM_CONTROL, strerror(errno));
	else if (use_zram && (err = zram_run(&ps, &k, &ko, &what)))
		printf("no kernel figures: zram %s: %s\n", what, strerror(-err));
	else
		have_k = use_zram;
	print_objects("our lz4", &o);
	if (have_k) {
		print_objects("the kernel's zram", &ko);
		compare_objects(&o, &ko);
	}
	rc = print_pools(have_k ? &ko : &o, &k, have_k);
	pageset_free(&ps);
	free(o.len);
	return rc;
}
