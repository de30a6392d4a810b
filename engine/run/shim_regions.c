/*
 * shim_regions.c - which address ranges are managed
 *
 * Managed: the program's private, writable, anonymous memory (the brk heap,
 * anonymous mmap()s: malloc's arenas, Python's, a program's own).  Not
 * managed, ever:
 *   - the pager's own memory (shim_alloc.c records every mapping it makes);
 *   - the main stack and every thread's stack, where the kernel writes
 *     signal frames on its own (thread stacks are mmap(MAP_STACK)s, which
 *     the system call interception sees);
 *   - the main thread's TLS and thread control block, which the kernel
 *     writes on its own (rseq, the thread id word) and which every errno
 *     access touches;
 *   - the data and bss of shared libraries (the C library's own state);
 *   - shared mappings, file mappings, read-only and executable memory
 *     (UFFDIO_MOVE moves private writable anonymous pages only).
 *
 * The set is a sorted array of intervals read by signal handlers under a
 * sequence lock (no allocation, no lock taken by a reader) and written by
 * the pager, the event thread and the system call interception under a
 * spin lock.  New memory is registered as soon as a trapped mmap/mprotect/
 * brk/mremap returns it, and a scan of /proc/self/maps at every pager tick
 * catches the rest; memory found already populated when it is registered
 * is read from /proc/self/pagemap and put on the FIFO.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "shim.h"

#define MAX_REGIONS 16384
#define MAX_EXCLUDED 4096
#define MAPS_BUF (256u << 10)
#define PM_PRESENT (1ull << 63)
#define PM_SWAP (1ull << 62)

struct ival {
	uintptr_t start, end;
};

static struct {
	struct shim_spin lock;
	atomic_uint seq;                /* odd while a writer changes the array */
	unsigned n;
	struct ival *r;                 /* [MAX_REGIONS], allocated once */
	unsigned nx;
	struct ival x[MAX_EXCLUDED];    /* never managed */
	atomic_uint_least64_t bytes;
	int pagemap;
	bool early_done;
	char *maps;                     /* MAPS_BUF for the scan */
} G = { .pagemap = -1 };

bool regions_contains(uintptr_t page)
{
	for (;;) {
		unsigned s = atomic_load_explicit(&G.seq, memory_order_acquire);
		unsigned lo = 0, hi = G.n;
		bool in = false;

		if (s & 1) {
			__builtin_ia32_pause();
			continue;
		}
		if (!G.r || hi > MAX_REGIONS)
			return false;
		while (lo < hi) {
			unsigned mid = (lo + hi) / 2;
			struct ival iv = G.r[mid];

			if (page < iv.start) {
				hi = mid;
			} else if (page >= iv.end) {
				lo = mid + 1;
			} else {
				in = true;
				break;
			}
		}
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&G.seq, memory_order_relaxed) == s)
			return in;
	}
}

static void write_begin(void)
{
	spin_take(&G.lock);
	atomic_fetch_add_explicit(&G.seq, 1, memory_order_acq_rel);
}

static void write_end(void)
{
	atomic_fetch_add_explicit(&G.seq, 1, memory_order_release);
	spin_release(&G.lock);
}

/* Remove [s, e) from the set (writer held). */
static void cut(uintptr_t s, uintptr_t e)
{
	for (unsigned i = 0; i < G.n; i++) {
		struct ival *iv = &G.r[i];

		if (e <= iv->start || s >= iv->end)
			continue;
		if (s > iv->start && e < iv->end) {
			if (G.n == MAX_REGIONS) {
				iv->end = s;    /* full: lose the tail (it stays registered) */
				continue;
			}
			memmove(iv + 2, iv + 1, (G.n - i - 1) * sizeof(*iv));
			iv[1] = (struct ival){ e, iv->end };
			iv->end = s;
			G.n++;
			i++;
		} else if (s <= iv->start && e >= iv->end) {
			atomic_fetch_sub(&G.bytes, iv->end - iv->start);
			memmove(iv, iv + 1, (G.n - i - 1) * sizeof(*iv));
			G.n--;
			i--;
			continue;
		} else if (s <= iv->start) {
			atomic_fetch_sub(&G.bytes, e - iv->start);
			iv->start = e;
			continue;
		} else {
			atomic_fetch_sub(&G.bytes, iv->end - s);
			iv->end = s;
			continue;
		}
		atomic_fetch_sub(&G.bytes, e - s);
	}
}

/* Add [s, e), which overlaps nothing in the set (writer held). */
static void insert(uintptr_t s, uintptr_t e)
{
	unsigned i = 0;

	while (i < G.n && G.r[i].end <= s)
		i++;
	if (i > 0 && G.r[i - 1].end == s) {
		G.r[i - 1].end = e;
		if (i < G.n && G.r[i].start == e) {
			G.r[i - 1].end = G.r[i].end;
			memmove(&G.r[i], &G.r[i + 1], (G.n - i - 1) * sizeof(G.r[0]));
			G.n--;
		}
	} else if (i < G.n && G.r[i].start == e) {
		G.r[i].start = s;
	} else if (G.n < MAX_REGIONS) {
		memmove(&G.r[i + 1], &G.r[i], (G.n - i) * sizeof(G.r[0]));
		G.r[i] = (struct ival){ s, e };
		G.n++;
	} else {
		return;
	}
	atomic_fetch_add(&G.bytes, e - s);
}

void regions_forget(uintptr_t start, uintptr_t end)
{
	write_begin();
	cut(start, end);
	write_end();
}

void regions_move(uintptr_t from, uintptr_t to, size_t len)
{
	write_begin();
	cut(from, from + len);
	cut(to, to + len);
	insert(to, to + len);
	write_end();
}

void regions_exclude(uintptr_t start, uintptr_t end)
{
	spin_take(&G.lock);
	if (G.nx < MAX_EXCLUDED)
		G.x[G.nx++] = (struct ival){ PAGE_OF(start), PAGE_OF(end + SHIM_PAGE - 1) };
	spin_release(&G.lock);
}

uint64_t regions_bytes(void)
{
	return atomic_load(&G.bytes);
}

/* The first part of [s, e) to leave alone, if any: [*xs, *xe). */
static bool excluded(uintptr_t s, uintptr_t e, uintptr_t *xs, uintptr_t *xe)
{
	bool hit = own_overlap(s, e, xs, xe);

	spin_take(&G.lock);
	for (unsigned i = 0; i < G.nx; i++) {
		if (e <= G.x[i].start || s >= G.x[i].end || (hit && G.x[i].start >= *xs))
			continue;
		*xs = G.x[i].start;
		*xe = G.x[i].end;
		hit = true;
	}
	for (unsigned i = 0; i < G.n; i++) {
		if (e <= G.r[i].start || s >= G.r[i].end || (hit && G.r[i].start >= *xs))
			continue;
		*xs = G.r[i].start;     /* managed already */
		*xe = G.r[i].end;
		hit = true;
	}
	spin_release(&G.lock);
	return hit;
}

static void found_present(uintptr_t page)
{
	rec_t *r = table_rec(page, true);
	uint64_t v;

	if (!r)
		return;
	v = atomic_load(r);
	if (rec_state(v) != REC_NONE)
		return;
	if (atomic_compare_exchange_strong(r, &v, rec_make(REC_RESIDENT, v | REC_IN_RING, ring_seq()))) {
		if (!(v & REC_IN_RING))
			ring_push(page);
		resident_add(1);
	}
}

/* Pages already in memory when [s, e) was registered go on the FIFO. */
static void discover(uintptr_t s, uintptr_t e)
{
	uint64_t pm[512];

	if (G.pagemap < 0)
		return;
	for (uintptr_t p = s; p < e;) {
		size_t n = (e - p) / SHIM_PAGE;
		long got;

		if (n > 512)
			n = 512;
		got = SYS4(SYS_pread64, G.pagemap, pm, n * 8, (p / SHIM_PAGE) * 8);
		if (got <= 0)
			return;
		for (long i = 0; i < got / 8; i++)
			if (pm[i] & PM_PRESENT)
				found_present(p + (uintptr_t)i * SHIM_PAGE);
		p += (uintptr_t)(got / 8) * SHIM_PAGE;
	}
}

/*
 * Which of the @n (at most 64) pages from @start have a page there, in
 * memory or swapped out: a bit each.  From the page map when it is open,
 * else from mincore(), which sees only the pages in memory.
 */
uint64_t pages_in_place(uintptr_t start, unsigned n)
{
	uint64_t pm[64], mask = 0;
	unsigned char in[64];

	if (G.pagemap >= 0 &&
	    SYS4(SYS_pread64, G.pagemap, pm, n * 8, (start / SHIM_PAGE) * 8) == (long)n * 8) {
		for (unsigned i = 0; i < n; i++)
			if (pm[i] & (PM_PRESENT | PM_SWAP))
				mask |= 1ull << i;
		return mask;
	}
	if (SYS3(SYS_mincore, start, (size_t)n * SHIM_PAGE, in))
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (in[i] & 1)
			mask |= 1ull << i;
	return mask;
}

/* Register the parts of [s, e) that are neither excluded nor managed yet. */
static void add_range(uintptr_t s, uintptr_t e, bool fresh)
{
	while (s < e) {
		uintptr_t xs, xe, stop = e;

		if (excluded(s, e, &xs, &xe)) {
			if (xs <= s) {
				s = xe > s ? xe : s + SHIM_PAGE;
				continue;
			}
			stop = xs;
		}
		if (uffd_register(s, stop - s) == 0) {
			write_begin();
			insert(s, stop);
			write_end();
			if (!fresh)
				discover(s, stop);
		}
		s = stop;
	}
}

void regions_add(uintptr_t start, uintptr_t end, bool fresh)
{
	if (G.r && start < end)
		add_range(PAGE_OF(start), PAGE_OF(end + SHIM_PAGE - 1), fresh);
}

/* One line of /proc/self/maps: the range, if it is memory to manage. */
static bool manageable(const char *line, uintptr_t *s, uintptr_t *e)
{
	char perms[8], path[32] = "";
	unsigned long start, end, inode;

	if (sscanf(line, "%lx-%lx %7s %*s %*s %lu %31s", &start, &end, perms, &inode, path) < 4)
		return false;
	if (strcmp(perms, "rw-p") || inode != 0 || (path[0] && strcmp(path, "[heap]")))
		return false;
	*s = start;
	*e = end;
	return true;
}

/* Memory already mapped when the pager starts is the C library's and the
 * dynamic linker's (their lists, TLS, early allocations), not the
 * program's, which has not run yet: only the brk heap is managed. */
static void exclude_early(char *buf)
{
	for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		unsigned long s, e;
		char path[32] = "";

		*nl = '\0';
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %31s", &s, &e, path) >= 2 &&
		    strcmp(path, "[heap]"))
			regions_exclude(s, e);
		*nl = '\n';
	}
}

static int read_maps(char *buf)
{
	long fd, len = 0, n;

	fd = SYS3(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (int)fd;
	shim_fd_add((int)fd);
	while (len < MAPS_BUF - 1 && (n = SYS3(SYS_read, fd, buf + len, MAPS_BUF - 1 - len)) > 0)
		len += n;
	shim_fd_del((int)fd);
	SYS1(SYS_close, fd);
	buf[len] = '\0';
	return 0;
}

int regions_scan(void)
{
	char *buf = G.maps;
	uint64_t mark = 0;
	int err;

	if (!buf && !(buf = G.maps = shim_alloc(MAPS_BUF)))
		return -ENOMEM;
	if (!own_settled(&mark))
		return -EAGAIN;
	err = read_maps(buf);
	if (err)
		return err;
	/* A mapping of the pager's own may be in the maps and not yet known
	 * as its own (shim_alloc.c): the next scan takes what is new. */
	if (!own_settled(&mark))
		return -EAGAIN;
	if (!G.early_done) {
		exclude_early(buf);
		G.early_done = true;
	}
	/* Whole lines only: a cut last line is read at the next scan. */
	for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		uintptr_t s, e;

		*nl = '\0';
		if (manageable(line, &s, &e))
			add_range(s, e, false);
	}
	return 0;
}

static int exclude_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t *tls = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_TLS)
			*tls += ph->p_memsz + ph->p_align;
		/* the main program (no name) keeps its bss managed */
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W) && info->dlpi_name[0])
			regions_exclude(info->dlpi_addr + ph->p_vaddr,
					info->dlpi_addr + ph->p_vaddr + ph->p_memsz);
	}
	return 0;
}

/* What is never managed; then the first scan. */
int regions_init(void)
{
	uintptr_t fs, tls = 0;

	G.r = shim_alloc(MAX_REGIONS * sizeof(*G.r));
	if (!G.r)
		return -ENOMEM;
	G.pagemap = (int)SYS3(SYS_openat, AT_FDCWD, "/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	shim_fd_add(G.pagemap);
	dl_iterate_phdr(exclude_object, &tls);
	__asm__ volatile("mov %%fs:0, %0" : "=r"(fs));
	regions_exclude(fs - tls - 2 * SHIM_PAGE, fs + 2 * SHIM_PAGE);
	return regions_scan();
}

/* In a fork child: nothing is managed yet; what must never be stays so. */
void regions_reset(void)
{
	if (G.pagemap >= 0)
		SYS1(SYS_close, G.pagemap);
	G.pagemap = -1;
	G.r = NULL;     /* its memory went with the allocator's */
	G.maps = NULL;
	G.n = 0;
	atomic_store(&G.bytes, 0);
	memset(&G.lock, 0, sizeof(G.lock));
	atomic_store(&G.seq, 0);
}

static void unmanage_page(uintptr_t page, rec_t *r, void *arg)
{
	uint64_t v = atomic_load(r);

	(void)arg;
	if (rec_state(v) == REC_EVICTED)
		fault_in(page, false);
	v = atomic_load(r);
	if (rec_state(v) == REC_RESIDENT)
		resident_add(-1);
	/* A stale FIFO entry finds the page no longer managed and lets it be. */
	atomic_store(r, 0);
}

static void unregister(uintptr_t s, uintptr_t e)
{
	struct uffdio_range range;

	for (unsigned i = 0; i < G.n; i++) {
		uintptr_t a = G.r[i].start > s ? G.r[i].start : s;
		uintptr_t b = G.r[i].end < e ? G.r[i].end : e;

		if (a >= b)
			continue;
		range = (struct uffdio_range){ a, b - a };
		SYS3(SYS_ioctl, shim.uffd, UFFDIO_UNREGISTER, &range);
	}
}

/*
 * Memory the kernel will write on its own (an alternate signal stack, a
 * thread's stack and TLS given by the program): brought back and given up.
 */
void regions_unmanage(uintptr_t start, uintptr_t end)
{
	uintptr_t s = PAGE_OF(start), e = PAGE_OF(end + SHIM_PAGE - 1);

	regions_exclude(s, e);
	if (!G.r || e <= s)
		return;
	pager_pause();
	table_walk(s, e, unmanage_page, NULL);
	spin_take(&G.lock);
	unregister(s, e);
	spin_release(&G.lock);
	regions_forget(s, e);
	pager_resume();
}

/* Something the pager cannot follow (Linux AIO, io_uring, mlockall): let go of all. */
void regions_unmanage_all(const char *why)
{
	if (!shim.on)
		return;
	pager_pause();
	restore_all();
	spin_take(&G.lock);
	unregister(0, (uintptr_t)1 << 47);
	spin_release(&G.lock);
	regions_forget(0, (uintptr_t)1 << 47);
	shim.on = false;
	sud_off();
	stats_publish(RUN_PROC_UNMANAGED, why);
}
