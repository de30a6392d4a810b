/*
 * shim_stats.c - the figures a managed process shows zbud
 *
 * Counters are atomics in the process; the pager thread copies them into
 * the process's slot of zbud's shared page every tick, and the exit paths
 * (exit_group, exec, a fatal error) once more.  A slot is written under a
 * sequence number, odd while it changes, so that zbud never reads half of
 * an update.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "shim.h"
#include <zswap.h>

SHIM_HIDDEN struct shim_counters shim_count;
static struct run_proc_stats *slot;
static struct shim_spin publish_lock;
static uint64_t rss_peak;

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void stats_fault_time(uint64_t ns)
{
	unsigned msb = ns ? 63u - (unsigned)__builtin_clzll(ns) : 0;
	unsigned b = msb < 3 ? (unsigned)ns : (msb << 3) | (unsigned)((ns >> (msb - 3)) & 7);

	if (b >= RUN_HIST_BUCKETS)
		b = RUN_HIST_BUCKETS - 1;
	atomic_fetch_add_explicit(&shim_count.hist[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&shim_count.fault_ns, ns, memory_order_relaxed);
}

static struct run_stats_page *map_page(int fd)
{
	void *p = (void *)SYS6(SYS_mmap, 0, sizeof(struct run_stats_page), PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd, 0);

	if ((long)p < 0 && (long)p > -4096)
		return NULL;
	if (((struct run_stats_page *)p)->magic != RUN_STATS_MAGIC) {
		SYS2(SYS_munmap, p, sizeof(struct run_stats_page));
		return NULL;
	}
	return p;
}

/* zbud's memfd: inherited as FD, or (if the program closed it) through /proc/PID/fd/FD. */
void stats_attach(void)
{
	const char *env = getenv(RUN_ENV_STATS);
	struct run_stats_page *page = NULL;
	int fd, zpid;
	char path[64];

	slot = NULL;
	if (!env || sscanf(env, "%d:%d", &fd, &zpid) != 2)
		return;
	page = map_page(fd);
	if (!page) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", zpid, fd);
		fd = (int)SYS3(SYS_openat, AT_FDCWD, path, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			page = map_page(fd);
			SYS1(SYS_close, fd);
		}
	}
	if (!page)
		return;
	for (unsigned i = 0; i < RUN_MAX_PROCS && !slot; i++) {
		int free_slot = 0;

		if (atomic_compare_exchange_strong(&page->procs[i].pid, &free_slot, (int)shim.pid))
			slot = &page->procs[i];
	}
	rss_peak = 0;
}

/* In a fork child: the parent's slot is not ours, nor is the lock, which
 * the parent's pager may have held at the fork (the child then spun on
 * it for ever, in its first publish: the run test's fork step hung). */
void stats_detach(void)
{
	slot = NULL;
	memset(&publish_lock, 0, sizeof(publish_lock));
}

/* The process's anonymous resident bytes: statm's resident minus shared. */
static uint64_t rss_anon(void)
{
	char buf[128];
	unsigned long size, resident, shared;
	long fd = SYS3(SYS_openat, AT_FDCWD, "/proc/self/statm", O_RDONLY | O_CLOEXEC), n;

	if (fd < 0)
		return 0;
	n = SYS3(SYS_read, fd, buf, sizeof(buf) - 1);
	SYS1(SYS_close, fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%lu %lu %lu", &size, &resident, &shared) != 3 || shared > resident)
		return 0;
	return (uint64_t)(resident - shared) * SHIM_PAGE;
}

void stats_publish(int state, const char *note)
{
	struct run_proc_stats *s = slot;
	uint64_t rss = rss_anon();

	if (!s)
		return;
	spin_take(&publish_lock);
	if (rss > rss_peak)
		rss_peak = rss;
	atomic_fetch_add(&s->seq, 1);
	s->limit_bytes = shim.limit_pages * SHIM_PAGE;
	s->managed_bytes = regions_bytes();
	s->resident_pages = atomic_load(&shim_count.resident);
	s->resident_peak = atomic_load(&shim_count.resident_peak);
	s->rss_anon_peak = rss_peak;
	s->own_bytes = own_bytes();
	s->faults = atomic_load(&shim_count.faults);
	s->zero_fills = atomic_load(&shim_count.zero_fills);
	s->evictions = atomic_load(&shim_count.evictions);
	s->kept_resident = atomic_load(&shim_count.kept_resident);
	s->syscalls = atomic_load(&shim_count.syscalls);
	s->prefaults = atomic_load(&shim_count.prefaults);
	s->events = atomic_load(&shim_count.events);
	s->fault_ns = atomic_load(&shim_count.fault_ns);
	s->pager_ns = atomic_load(&shim_count.pager_ns);
	s->throttle_ns = atomic_load(&shim_count.throttle_ns);
	s->moves_recounted = atomic_load(&shim_count.moves_recounted);
	for (unsigned i = 0; i < RUN_HIST_BUCKETS; i++)
		s->hist[i] = atomic_load_explicit(&shim_count.hist[i], memory_order_relaxed);
	if (shim.store && !shim.failed)
		zswap_get_stats(shim.store, &s->store);
	if (note) {
		strncpy(s->note, note, sizeof(s->note) - 1);
		s->note[sizeof(s->note) - 1] = '\0';
	}
	/* A failure or a note stays; exec after exit returns the slot to running. */
	if (atomic_load(&s->state) != RUN_PROC_FAILED && atomic_load(&s->state) != RUN_PROC_UNMANAGED)
		atomic_store(&s->state, state);
	else if (state == RUN_PROC_FAILED)
		atomic_store(&s->state, state);
	atomic_fetch_add(&s->seq, 1);
	spin_release(&publish_lock);
}
