/*
 * shim_init.c - starting the pager in a process, and in its fork children
 *
 * The constructor runs before the program's main(), in its one thread.  In
 * this order, so that nothing is ever registered that a fault could not be
 * served for: the settings, the stats slot, the store, the userfaultfd,
 * the SIGBUS handler, the scratch pages, the pager's two threads (started
 * before system call interception, which they must not have), the managed
 * ranges, and last syscall user dispatch for the program's thread.
 *
 * Anything that fails leaves the process unmanaged, as if run without
 * zbud, with the reason in its stats slot for zbud to print.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"
#include <zbud_source.h>
#include <zswap.h>

SHIM_HIDDEN struct shim shim = { .uffd = -1 };

void shim_say(const char *fmt, ...)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "zbud run: %d: ", (int)shim.pid);
	va_list ap;

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	SYS3(SYS_write, 2, line, n);
}

void shim_fatal(const char *what, uintptr_t page, int err)
{
	char note[160];

	snprintf(note, sizeof(note), "page %#lx: %s (%s)", (unsigned long)page, what,
		 strerror(err < 0 ? -err : err));
	shim_say("stopping the program: %s", note);
	/* Without the store's figures: this thread may hold one of its locks. */
	shim.failed = true;
	stats_publish(RUN_PROC_FAILED, note);
	SYS2(SYS_kill, shim.pid, SIGKILL);
	for (;;)
		SYS0(SYS_pause);
}

static bool parse_config(char *why, size_t len)
{
	const char *limit = getenv(RUN_ENV_LIMIT), *pool = getenv(RUN_ENV_POOL_LIMIT);
	const char *flags = getenv(RUN_ENV_FLAGS), *wb = getenv(RUN_ENV_WRITEBACK);

	shim.limit_pages = strtoull(limit, NULL, 10) / SHIM_PAGE;
	shim.pool_limit = pool ? strtoull(pool, NULL, 10) : 0;
	shim.flags = flags ? (unsigned)strtoul(flags, NULL, 10) : 0;
	shim.compressor = getenv(RUN_ENV_COMPRESSOR);
	shim.zpool = getenv(RUN_ENV_ZPOOL);
	shim.writeback[0] = '\0';
	if (wb && *wb)
		snprintf(shim.writeback, sizeof(shim.writeback), "%s.%d", wb, (int)shim.pid);
	if (shim.compressor && (!strcmp(shim.compressor, "zstd") || !strcmp(shim.compressor, "deflate"))) {
		/* Their libraries allocate from the program's heap, which the pager manages. */
		snprintf(why, len, "the %s compressor cannot run inside the program", shim.compressor);
		return false;
	}
	return true;
}

static bool open_store(char *why, size_t len)
{
	struct zswap_config cfg = {
		.compressor = shim.compressor,
		.zpool = shim.zpool,
		.max_pool_bytes = shim.pool_limit,
		.writeback_path = shim.writeback[0] ? shim.writeback : NULL,
		/* One shard: each shard's pool keeps its own partly used pages
		 * per size class (and grows 2 MiB at a time), which cost one
		 * program 8-10% of the pool with a shard per CPU; stores come
		 * from the pager thread alone, so there is little to contend. */
		.shards = 1,
		/* 4 KiB pages: a pool of huge ones holds up to 2 MiB it does
		 * not use yet, and splits a frame at the first page it gives
		 * back; the pool's memory is the program's. */
		.source_flags = ZBUD_SOURCE_SMALLPAGES,
	};

	shim.store = zswap_create(&cfg);
	if (!shim.store) {
		snprintf(why, len, "cannot create the store%s%s: %s", cfg.writeback_path ? " with " : "",
			 cfg.writeback_path ? cfg.writeback_path : "", strerror(errno));
		return false;
	}
	/* The store keeps the file open: unlinked now, nothing is left behind
	 * however the process ends. */
	if (cfg.writeback_path)
		unlink(cfg.writeback_path);
	return true;
}

static void fork_prepare(void)
{
	if (shim.on) {
		pager_pause();
		restore_all();
	}
}

static void fork_parent(void)
{
	if (shim.on)
		pager_resume();
}

static void fork_child(void)
{
	/* Without system call interception the fork was not seen on its way. */
	if (shim.on && !shim.child_pending)
		shim_child_after_fork();
	if (shim.child_pending)
		shim_start();
}

/* Start managing this process; false (and a note in the slot) if it cannot be. */
bool shim_start(void)
{
	char why[160] = "";

	if (!getenv(RUN_ENV_LIMIT))
		return false;   /* not run by zbud */
	shim.pid = (pid_t)SYS0(SYS_getpid);
	shim.child_pending = false;
	stats_attach();
	if (!parse_config(why, sizeof(why)) || !open_store(why, sizeof(why)))
		goto unmanaged;
	shim.uffd = uffd_open(shim.flags, why, sizeof(why));
	if (shim.uffd < 0)
		goto unmanaged;
	shim_fd_add(shim.uffd);
	if (signals_install(SIGBUS, on_sigbus) || scratch_init()) {
		snprintf(why, sizeof(why), "cannot set up fault handling");
		goto unmanaged;
	}
	if (events_start() || pager_start()) {
		snprintf(why, sizeof(why), "cannot start the pager's threads");
		goto unmanaged;
	}
	shim.on = true;
	if (regions_init()) {
		regions_unmanage_all("cannot read its own memory map");
		return false;
	}
	if (!(shim.flags & RUN_FLAG_NO_SUD) && sud_init(why, sizeof(why))) {
		regions_unmanage_all(why);
		return false;
	}
	stats_publish(RUN_PROC_RUNNING, NULL);
	if (shim.flags & RUN_FLAG_VERBOSE)
		shim_say("managing %lu KiB of anonymous memory, limit %lu KiB",
			 (unsigned long)(regions_bytes() >> 10),
			 (unsigned long)(shim.limit_pages * SHIM_PAGE >> 10));
	return true;
unmanaged:
	stats_publish(RUN_PROC_UNMANAGED, why);
	if (shim.flags & RUN_FLAG_VERBOSE)
		shim_say("running unmanaged: %s", why);
	return false;
}

/*
 * In the child of a fork, still inside the SIGSYS handler: the pager's
 * state is a copy of the parent's, its threads did not come along, and its
 * userfaultfd is the parent's.  Drop it all; every page is in memory (the
 * parent brought them all back before forking) and nothing is registered
 * in the child.  A fork through the C library then starts a fresh pager in
 * the child (fork_child); any other leaves the child unmanaged.
 */
void shim_child_after_fork(void)
{
	shim_fd_close_all(-1);
	stats_detach();
	regions_reset();
	alloc_reset_after_fork();
	table_reset();
	ring_reset();
	limbo_reset();
	signals_reset_after_fork();
	memset(&shim_count, 0, sizeof(shim_count));
	memset(&shim.evlock, 0, sizeof(shim.evlock));
	atomic_store(&shim.loading, 0);
	atomic_store(&shim_clone_hold, 0);
	shim.store = NULL;      /* its memory went with the allocator's */
	shim.uffd = -1;
	shim.on = false;
	shim.child_pending = true;
	sud_off();
}

__attribute__((constructor)) static void shim_ctor(void)
{
	if (shim_start())
		pthread_atfork(fork_prepare, fork_parent, fork_child);
}
