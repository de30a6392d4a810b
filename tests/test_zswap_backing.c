/*
 * test_zswap_backing.c - the backing file: writeback, what reads back, and
 * what the store leaves on disk (nothing), under hostile conditions
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "zswap.h"
#include "zswap_pages.h"
#include "scratch_dir.h"

#define SKIPPED 77      /* a child's exit status: the test could not run here */

static unsigned char page[PAGE], back[PAGE];
static char dir[64];    /* this test's scratch directory */

static int make_dir(void **state)
{
	(void)state;
	return scratch_dir_make(dir, sizeof(dir), "/tmp/zswap-backing-XXXXXX");
}

static int remove_dir(void **state)
{
	(void)state;
	return scratch_dir_remove(dir);
}

/* @name in the scratch directory; each name has its own buffer, which
 * stays as long as the test runs. */
static const char *in_dir(const char *name)
{
	static char path[16][128];
	static int used;

	for (int i = 0; i < used; i++)
		if (!strcmp(path[i] + strlen(dir) + 1, name))
			return path[i];
	assert_true(used < 16);
	snprintf(path[used], sizeof(path[0]), "%s/%s", dir, name);
	return path[used++];
}

static struct zswap *create(const struct zswap_config *cfg)
{
	struct zswap *zs = zswap_create(cfg);

	if (!zs)
		fail_msg("zswap_create: %s", strerror(errno));
	return zs;
}

static struct zswap_stats stats(struct zswap *zs)
{
	struct zswap_stats st;

	zswap_get_stats(zs, &st);
	return st;
}

static void store_text(struct zswap *zs, uint64_t from, uint64_t to)
{
	for (uint64_t k = from; k < to; k++) {
		text_page(page, k);
		assert_int_equal(zswap_store(zs, k, page), 0);
	}
}

static void assert_text_loads(struct zswap *zs, uint64_t from, uint64_t to)
{
	for (uint64_t k = from; k < to; k++) {
		text_page(page, k);
		assert_int_equal(zswap_load(zs, k, back), 0);
		assert_memory_equal(back, page, PAGE);
	}
}

/*
 * The store's backing file, which has no name: one of our descriptors
 * links to "PATH (deleted)".  Opened again, read-write, through /proc.
 */
static int backing_fd(const char *path)
{
	char want[256], link[256], fdpath[300];
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int fd = -1;

	assert_non_null(d);
	snprintf(want, sizeof(want), "%s (deleted)", path);
	while (fd < 0 && (de = readdir(d))) {
		ssize_t n;

		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%s", de->d_name);
		n = readlink(fdpath, link, sizeof(link) - 1);
		if (n > 0 && (link[n] = '\0', !strcmp(link, want)))
			fd = open(fdpath, O_RDWR);
	}
	closedir(d);
	if (fd < 0)
		fail_msg("no descriptor of ours is '%s'", want);
	return fd;
}

/* A full pool writes back its oldest pages; every page loads back; the
 * file is private, has no name, and its freed slots are reused. */
static void test_writeback(void **state)
{
	const struct zswap_config cfg = {
		.max_pool_bytes = 20 * PAGE, .writeback_path = in_dir("wb"), .shards = 4,
	};
	struct zswap *zs = create(&cfg);
	struct zswap_stats st;
	struct stat sb, after;
	int fd = backing_fd(cfg.writeback_path);

	(void)state;
	assert_int_not_equal(access(cfg.writeback_path, F_OK), 0);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_nlink, 0);
	store_text(zs, 0, 300);
	st = stats(zs);
	assert_true(st.written_back_pages > 100);
	assert_true(st.pool_total_size <= 21 * PAGE);
	assert_int_equal(st.zbud_backing_pages + st.stored_pages, 300);
	assert_int_equal(st.written_back_pages, st.zbud_backing_pages);
	assert_text_loads(zs, 0, 300);
	assert_int_equal(fstat(fd, &sb), 0);
	for (uint64_t k = 0; k < 300; k++)
		zswap_invalidate(zs, k);
	store_text(zs, 1000, 1200);
	assert_int_equal(fstat(fd, &after), 0);
	assert_true(after.st_size <= sb.st_size);
	close(fd);
	zswap_destroy(zs);
}

/* Something at the path (a file, a symlink to nothing) is never touched:
 * EEXIST.  The path is free again once a store made its file there. */
static void test_path_must_be_new(void **state)
{
	const struct zswap_config link = { .writeback_path = in_dir("link") };
	const struct zswap_config file = { .writeback_path = in_dir("file") };
	const char *target = in_dir("target");
	struct zswap *a, *b;
	int fd;

	(void)state;
	assert_int_equal(symlink(target, link.writeback_path), 0);
	errno = 0;
	assert_null(zswap_create(&link));
	assert_int_equal(errno, EEXIST);
	assert_int_not_equal(access(target, F_OK), 0);
	fd = open(file.writeback_path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "mine", 4), 4);
	close(fd);
	errno = 0;
	assert_null(zswap_create(&file));
	assert_int_equal(errno, EEXIST);
	unlink(file.writeback_path);
	a = create(&file);
	b = create(&file);     /* the name was a's only for an instant */
	zswap_destroy(a);
	zswap_destroy(b);
	assert_int_not_equal(access(file.writeback_path, F_OK), 0);
	unlink(link.writeback_path);
}

/* After a chdir() (a relative path) or with another file now at the path,
 * destroying the store removes nothing: not the other file, and no page of
 * ours is left anywhere under a name. */
static void test_destroy_touches_no_name(void **state)
{
	const struct zswap_config rel = { .max_pool_bytes = 4 * PAGE, .writeback_path = "wb" };
	const struct zswap_config abs = { .max_pool_bytes = 4 * PAGE,
					  .writeback_path = in_dir("abs") };
	char here[4096], other[128];
	struct zswap *zs;
	struct stat sb;
	int fd;

	(void)state;
	assert_non_null(getcwd(here, sizeof(here)));
	snprintf(other, sizeof(other), "%s/other", dir);
	assert_int_equal(mkdir(in_dir("a"), 0700), 0);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(chdir(in_dir("a")), 0);
	zs = create(&rel);
	store_text(zs, 0, 50);
	assert_true(stats(zs).written_back_pages > 0);
	/* Someone else's "wb" where the relative path now points. */
	assert_int_equal(chdir(other), 0);
	fd = open("wb", O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	zswap_destroy(zs);
	assert_int_equal(stat("wb", &sb), 0);
	assert_int_not_equal(access(in_dir("a/wb"), F_OK), 0);
	assert_int_equal(chdir(here), 0);
	/* A file made at the path after the store: left alone too. */
	zs = create(&abs);
	store_text(zs, 0, 50);
	fd = open(abs.writeback_path, O_CREAT | O_EXCL | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	zswap_destroy(zs);
	assert_int_equal(stat(abs.writeback_path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	unlink(abs.writeback_path);
}

/* A process that dies without zswap_destroy() leaves no file behind. */
static void test_death_leaves_nothing(void **state)
{
	const struct zswap_config cfg = { .max_pool_bytes = 4 * PAGE,
					  .writeback_path = in_dir("dies") };
	pid_t pid = fork();
	int status;

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0) {
		struct zswap *zs = zswap_create(&cfg);

		for (uint64_t k = 0; zs && k < 50; k++) {
			text_page(page, k);
			zswap_store(zs, k, page);
		}
		raise(SIGKILL);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_not_equal(access(cfg.writeback_path, F_OK), 0);
}

/* A changed byte, a cut file and a slot forged to keep its CRC-32 (XOR
 * with the generator polynomial, a multiple of it) all load as -EIO. */
static void test_damage_and_forgery(void **state)
{
	const struct zswap_config cfg = { .writeback_path = in_dir("dmg"), .shards = 2 };
	static const unsigned char poly[] = { 0x41, 0x06, 0x71, 0xdb, 0x01 };
	struct zswap *zs = create(&cfg);
	unsigned char slot[PAGE];
	int fd = backing_fd(cfg.writeback_path);

	(void)state;
	store_text(zs, 0, 10);
	assert_int_equal(zswap_shrink(zs, 4), 4);
	assert_int_equal(stats(zs).zbud_backing_pages, 4);
	assert_int_equal(stats(zs).stored_pages, 6);
	assert_int_equal(zswap_shrink(zs, 100), 6);
	assert_int_equal(stats(zs).pool_total_size, 0);
	/* Slot 0: one byte flipped.  Slot 1: the same CRC-32, other bytes. */
	assert_int_equal(pwrite(fd, "X", 1, 100), 1);
	assert_int_equal(pread(fd, slot, PAGE, PAGE), PAGE);
	for (size_t i = 0; i < sizeof(poly); i++)
		slot[200 + i] ^= poly[i];
	assert_int_equal(pwrite(fd, slot, PAGE, PAGE), PAGE);
	/* Slots 8 and 9: cut short. */
	assert_int_equal(ftruncate(fd, 8 * PAGE + 10), 0);
	close(fd);
	for (uint64_t k = 0; k < 10; k++) {
		int err = zswap_load(zs, k, back);

		text_page(page, k);
		if (k < 2 || k >= 8) {
			assert_int_equal(err, -EIO);
			assert_int_equal(zswap_load(zs, k, back), -ENOENT); /* dropped */
		} else {
			assert_int_equal(err, 0);
			assert_memory_equal(back, page, PAGE);
		}
	}
	assert_int_equal(stats(zs).zbud_load_errors, 4);
	assert_int_equal(stats(zs).decompress_fail, 0); /* the file, not the codec */
	zswap_destroy(zs);
}

/*
 * Writeback against a file that cannot grow: stores that need room give
 * -EIO (as zswap_store() promises), zswap_shrink() too, and no page is
 * lost.  Run in a child, which sets it up with @setup (0, or SKIPPED).
 */
static void full_disk(const char *what, int (*setup)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct zswap_config cfg = { .max_pool_bytes = 8 * PAGE,
					    .writeback_path = in_dir("full/wb") };
		uint64_t k = 0, eio = 0, stored = 0;
		struct zswap *zs;
		int rc = setup();

		if (rc)
			_exit(rc);
		zs = zswap_create(&cfg);
		if (!zs)
			_exit(2);
		for (k = 0; k < 200; k++) {
			int err;

			text_page(page, k);
			err = zswap_store(zs, k, page);
			if (err && err != -EIO)
				_exit(3);
			eio += err == -EIO;
			stored = err ? stored : k + 1;
			if (err)
				break;
		}
		if (!eio || zswap_shrink(zs, 1000) != -EIO)
			_exit(4);
		for (uint64_t j = 0; j < stored; j++) {
			text_page(page, j);
			if (zswap_load(zs, j, back) || memcmp(back, page, PAGE))
				_exit(5);
		}
		zswap_destroy(zs);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == SKIPPED) {
		print_message("%s: cannot be set up here, not run\n", what);
		return;
	}
	if (WEXITSTATUS(status))
		fail_msg("%s: step %d failed", what, WEXITSTATUS(status));
}

/* The file may not grow past 4 pages (RLIMIT_FSIZE: EFBIG). */
static int small_fsize(void)
{
	struct rlimit rl = { 4 * PAGE, 4 * PAGE };

	signal(SIGXFSZ, SIG_IGN);
	return mkdir(in_dir("full"), 0700) || setrlimit(RLIMIT_FSIZE, &rl) ? 1 : 0;
}

/* A real full disk: a 16 KiB tmpfs, mounted in a mount namespace of the
 * child's own (as root, or in a user namespace where the kernel allows). */
static int small_tmpfs(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char map[64];
	FILE *f;

	if (mkdir(in_dir("full"), 0700))
		return 1;
	if (unshare(CLONE_NEWNS)) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
			return SKIPPED;
		f = fopen("/proc/self/setgroups", "w");
		if (f)
			fputs("deny", f), fclose(f);
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
		if (!(f = fopen("/proc/self/uid_map", "w")) || fputs(map, f) < 0 || fclose(f))
			return SKIPPED;
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
		if (!(f = fopen("/proc/self/gid_map", "w")) || fputs(map, f) < 0 || fclose(f))
			return SKIPPED;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", in_dir("full"), "tmpfs", 0, "size=16k"))
		return SKIPPED;
	return 0;
}

static void test_full_disk(void **state)
{
	(void)state;
	full_disk("a file size limit", small_fsize);
	rmdir(in_dir("full"));
	full_disk("a full tmpfs", small_tmpfs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writeback),
		cmocka_unit_test(test_path_must_be_new),
		cmocka_unit_test(test_destroy_touches_no_name),
		cmocka_unit_test(test_death_leaves_nothing),
		cmocka_unit_test(test_damage_and_forgery),
		cmocka_unit_test(test_full_disk),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
