/*
 * procmem.c - a process's pages, found through /proc and copied out of it
 *
 * Linux's view of a process, all under /proc/PID:
 *
 *   smaps      "start-end perms offset maj:min inode [path]", one mapping a
 *              line, then "Field: value kB" lines about it (Rss: in memory,
 *              Anonymous, Swap) and VmFlags: two letters a flag
 *   pagemap    a 64-bit word per page of the address space, at offset
 *              (address / page size) * 8: bit 63 present, 62 swapped, 61 a
 *              file page or shared memory, 56 mapped here only, 0-54 the
 *              frame number (0 without CAP_SYS_ADMIN)
 *   mountinfo  which devices are tmpfs: their files are shared memory
 *   mem        the memory, read with pread() at the address
 *
 * and process_vm_readv(), which copies many ranges in one call and is the
 * fast way; /proc/PID/mem, which also reads what the process cannot
 * (PROT_NONE pages), is the fallback where that call fails or stops short.
 */
#define _GNU_SOURCE                     /* process_vm_readv() */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define ZSWAP_STATIC_LINKING_ONLY
#include "procmem.h"
#include "zswap.h"

#define PAGE ZSWAP_PAGE_SIZE
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_FILE (1ULL << 61)
#define PM_EXCLUSIVE (1ULL << 56)
#define PM_PFN(e) ((e) & ((1ULL << 55) - 1))
/* pagemap words read at a time: 4 MiB of address space with 4 KiB pages. */
#define BATCH 1024
#define MAX_TMPFS 64                    /* tmpfs mounts remembered */
#define REGIONS 256                     /* PAGEMAP_SCAN regions a call */

/* PAGEMAP_SCAN (Linux 6.7): the ranges of a mapping holding pages, without
 * a word for every page of it.  A few programs reserve terabytes and touch
 * some pages here and there (ASan's shadow): read word by word, their
 * pagemap is gigabytes.  Older headers lack it; older kernels say ENOTTY
 * or EINVAL, and pagemap is then read whole. */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_FILE (1 << 2)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
#define PAGE_IS_PFNZERO (1 << 5)
struct page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif
#define PF_KTHREAD 0x00200000           /* /proc/PID/stat flags: a kernel thread */

struct procmem {
	pid_t pid;
	int mem, pagemap;
	atomic_bool no_vm_readv;        /* refused once: /proc/PID/mem only */
	bool no_scan;                   /* PAGEMAP_SCAN refused: words only */
	bool scan_known;                /* whether it is, asked */
	size_t syspage, per;            /* the system's page, in 4 KiB pages */
	unsigned int tmpfs[MAX_TMPFS];  /* major << 20 | minor */
	size_t ntmpfs;
	unsigned int hugetlbfs[MAX_TMPFS];
	size_t nhugetlbfs;
};

struct mapping {
	unsigned long long start, end, rss_kb, swap_kb, anon_kb;
	unsigned int dev;               /* major << 20 | minor */
	unsigned long inode;
	char perms[8];
	char flags[160];                /* VmFlags, " rd wr ... " */
	bool has_anon;                  /* smaps had Anonymous: (Linux 2.6.26+) */
	bool has_rss;                   /* smaps, not maps: Rss, Swap, VmFlags known */
	char *path;                     /* "" for none */
};

/* What a mapping gives the walk. */
enum take { TAKE_NONE, TAKE_ANON, TAKE_SHMEM, TAKE_ALL };

struct walk {
	struct procmem *pm;
	const struct procmem_select *sel;
	struct pfnset *seen;
	struct procmem_counts *c;
	procmem_fn fn;
	void *arg;
	uint64_t entry[BATCH];
	uint64_t out[BATCH * 16];       /* 4 KiB pages of up to 64 KiB system pages */
	struct page_region region[REGIONS];
};

/* ---- the process ---- */

/* /proc/PID/stat's line into @line; false when the process is gone. */
static bool stat_line(pid_t pid, char line[1024])
{
	char path[64];
	FILE *f;
	bool got;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	got = f && fgets(line, 1024, f);
	if (f)
		fclose(f);
	return got;
}

static bool read_stat(pid_t pid, char *state, unsigned long *flags, char *name, size_t len)
{
	char line[1024], *open, *close;
	const bool got = stat_line(pid, line);

	open = got ? strchr(line, '(') : NULL;
	close = got ? strrchr(line, ')') : NULL;
	if (!open || !close || close < open ||
	    sscanf(close + 1, " %c %*d %*d %*d %*d %*d %lu", state, flags) != 2)
		return false;
	if (name)
		snprintf(name, len, "%.*s", (int)(close - open - 1), open + 1);
	return true;
}

char procmem_state(pid_t pid, char *name, size_t len)
{
	unsigned long flags;
	char state;

	return pid > 0 && read_stat(pid, &state, &flags, name, len) ? state : 0;
}

double procmem_cpu(pid_t pid)
{
	char line[1024], *close;
	unsigned long long utime, stime;
	const long hz = sysconf(_SC_CLK_TCK);

	/* After the name: state, then fields 4 to 13, then utime and stime. */
	close = pid > 0 && stat_line(pid, line) ? strrchr(line, ')') : NULL;
	if (!close || hz <= 0 ||
	    sscanf(close + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
		   &stime) != 2)
		return 0;
	return (double)(utime + stime) / (double)hz;
}

/*
 * The kB figures of /proc/PID/status's lines @name[0 .. n-1] (each "Name:")
 * into @kb; how many of them it had.  A zombie, or a kernel thread, has no
 * memory lines; a process gone has none at all.
 */
static int status_kb(pid_t pid, const char *const *name, unsigned long long *kb, int n)
{
	char path[64], line[128];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	while (f && found < n && fgets(line, sizeof(line), f)) {
		const char *colon = strchr(line, ':');

		for (int i = 0; colon && i < n; i++)
			if ((size_t)(colon - line) == strlen(name[i]) &&
			    !strncmp(line, name[i], (size_t)(colon - line)) &&
			    sscanf(colon + 1, " %llu kB", &kb[i]) == 1)
				found++;
	}
	if (f)
		fclose(f);
	return found;
}

int64_t procmem_resident(pid_t pid)
{
	static const char *const name[] = { "RssAnon", "RssShmem" };
	unsigned long long kb[2];

	return status_kb(pid, name, kb, 2) == 2 ? (int64_t)((kb[0] + kb[1]) / (PAGE / 1024)) : -1;
}

/* The devices of tmpfs and hugetlbfs mounts: "ID PARENT MAJ:MIN ROOT POINT
 * OPTS ... - TYPE ...". */
static void read_tmpfs(struct procmem *pm)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pm->pid);
	f = fopen(path, "re");
	while (f && pm->ntmpfs < MAX_TMPFS && getline(&line, &cap, f) > 0) {
		const char *sep = strstr(line, " - ");
		unsigned int major, minor;

		if (!sep || sscanf(line, "%*u %*u %u:%u", &major, &minor) != 2)
			continue;
		if (!strncmp(sep + 3, "tmpfs ", 6))
			pm->tmpfs[pm->ntmpfs++] = major << 20 | minor;
		else if (!strncmp(sep + 3, "hugetlbfs ", 10) && pm->nhugetlbfs < MAX_TMPFS)
			pm->hugetlbfs[pm->nhugetlbfs++] = major << 20 | minor;
	}
	free(line);
	if (f)
		fclose(f);
}

static int refuse(int err, pid_t pid, char *why, size_t len)
{
	if (err == -EACCES || err == -EPERM)
		snprintf(why, len, "the kernel's ptrace access rules do not let zbud read process "
			 "%d (%s; see ptrace(2), \"Ptrace access mode checking\")", (int)pid,
			 strerror(-err));
	else if (err == -ESRCH || err == -ENOENT)
		snprintf(why, len, "no process %d", (int)pid);
	else
		snprintf(why, len, "cannot read process %d: %s", (int)pid, strerror(-err));
	return err == -ENOENT ? -ESRCH : err;
}

int procmem_open(struct procmem **out, pid_t pid, char *why, size_t len)
{
	const long syspage = sysconf(_SC_PAGESIZE);
	struct procmem *pm;
	unsigned long flags = 0;
	char path[64], state = 0;

	*out = NULL;
	if (pid <= 0 || !read_stat(pid, &state, &flags, NULL, 0))
		return refuse(-ESRCH, pid, why, len);
	if (state == 'Z' || state == 'X') {
		snprintf(why, len, "process %d has exited (a zombie, not yet reaped by its parent): "
			 "its memory is gone", (int)pid);
		return -ESRCH;
	}
	if (flags & PF_KTHREAD) {
		snprintf(why, len, "process %d is a kernel thread: it has no memory of its own",
			 (int)pid);
		return -ESRCH;
	}
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return refuse(-ENOMEM, pid, why, len);
	pm->pid = pid;
	pm->syspage = syspage >= PAGE && syspage % PAGE == 0 && syspage / PAGE <= 16
			      ? (size_t)syspage : PAGE;
	pm->per = pm->syspage / PAGE;
	pm->pagemap = -1;
	/* mem first: it asks for the access process_vm_readv() needs. */
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	pm->mem = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	if (pm->mem >= 0)
		pm->pagemap = open(path, O_RDONLY | O_CLOEXEC);
	if (pm->pagemap < 0) {
		const int err = -errno;

		procmem_close(pm);
		return refuse(err, pid, why, len);
	}
	read_tmpfs(pm);
	*out = pm;
	return 0;
}

void procmem_close(struct procmem *pm)
{
	if (!pm)
		return;
	if (pm->mem >= 0)
		close(pm->mem);
	if (pm->pagemap >= 0)
		close(pm->pagemap);
	free(pm);
}

bool procmem_frames_visible(void)
{
	static int visible = -1;
	volatile unsigned char probe[2 * PAGE];
	uint64_t entry = 0;
	int fd;

	if (visible >= 0)
		return visible;
	/* A page of this stack, surely in memory once written. */
	probe[PAGE] = 1;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && pread(fd, &entry, sizeof(entry),
			     (off_t)((uintptr_t)&probe[PAGE] / (uintptr_t)sysconf(_SC_PAGESIZE) * 8)) !=
		       sizeof(entry))
		entry = 0;
	if (fd >= 0)
		close(fd);
	visible = (entry & PM_PRESENT) && PM_PFN(entry);
	return visible;
}

pid_t procmem_pid(const struct procmem *pm)
{
	return pm->pid;
}

/* ---- the rule ---- */

static bool has_flag(const struct mapping *m, const char *flag)
{
	char want[8];

	snprintf(want, sizeof(want), " %s ", flag);
	return strstr(m->flags, want) != NULL;
}

static bool is_dev(const unsigned int *dev, size_t n, unsigned int want)
{
	for (size_t i = 0; i < n; i++)
		if (dev[i] == want)
			return true;
	return false;
}

/* Shared memory, which the kernel swaps: the names its own mount gives
 * (MAP_SHARED|MAP_ANONYMOUS, System V, memfd), or a file on tmpfs. */
static bool shmem(const struct procmem *pm, const struct mapping *m)
{
	static const char *const names[] = { "/dev/zero", "/SYSV", "/memfd:", "[anon_shmem:" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strncmp(m->path, names[i], strlen(names[i])))
			return true;
	return is_dev(pm->tmpfs, pm->ntmpfs, m->dev);
}

/* Anonymous by its name: no file, or one of the kernel's anonymous kinds. */
static bool anonymous(const struct mapping *m)
{
	return m->inode == 0 && (!*m->path || !strcmp(m->path, "[heap]") ||
				 !strncmp(m->path, "[stack", 6) || !strncmp(m->path, "[anon:", 6));
}

static enum take rule(const struct procmem *pm, const struct mapping *m,
		      const struct procmem_select *sel, struct procmem_counts *c)
{
	enum take take = TAKE_NONE;

	/* vvar and vsyscall are the kernel's, outside what pagemap reads. */
	if (!strcmp(m->path, "[vsyscall]") || !strncmp(m->path, "[vvar", 5))
		return TAKE_NONE;
	if (sel->mapping && !strstr(m->path, sel->mapping))
		return TAKE_NONE;
	if (sel->all)
		return TAKE_ALL;
	/* Read from maps (no VmFlags): a device's mapping, or hugetlbfs's. */
	if (!m->has_rss && ((!strncmp(m->path, "/dev/", 5) && strncmp(m->path, "/dev/zero", 9) &&
			     !shmem(pm, m)) || is_dev(pm->hugetlbfs, pm->nhugetlbfs, m->dev)))
		return TAKE_NONE;
	if (m->perms[3] == 'p')
		take = TAKE_ANON;
	else if (shmem(pm, m))
		take = TAKE_SHMEM;
	if (take != TAKE_NONE && (has_flag(m, "lo") || has_flag(m, "ht") || has_flag(m, "io") ||
				  has_flag(m, "pf"))) {
		c->unevictable += (take == TAKE_ANON && m->has_anon ? m->anon_kb : m->rss_kb) /
				  (PAGE / 1024);
		return TAKE_NONE;
	}
	return take;
}

/* ---- the walk ---- */

/* Whether /proc/PID/maps tells enough: smaps walks every page table of the
 * process to print Rss, costly for a large one (a tenth of a second a
 * GiB), when what it adds is only needed where PAGEMAP_SCAN is not there
 * (to skip mappings with no page) or pages are locked (VmFlags "lo"). */
static bool cheap_map(struct procmem *pm)
{
	struct pm_scan_arg a = { .size = sizeof(a), .start = 0, .end = 0 };
	static const char *const name[] = { "VmLck" };
	unsigned long long locked;

	if (!pm->no_scan && !pm->scan_known) {
		pm->scan_known = true;
		pm->no_scan = ioctl(pm->pagemap, PAGEMAP_SCAN, &a) < 0 &&
			      (errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP);
	}
	if (pm->no_scan)
		return false;
	return status_kb(pm->pid, name, &locked, 1) == 1 && locked == 0;
}

/* One present system page: taken, or a duplicate of a frame taken before. */
static bool take_page(struct walk *w, uint64_t entry)
{
	if (w->seen && PM_PFN(entry)) {
		const int dup = pfnset_add(w->seen, PM_PFN(entry));

		if (dup > 0) {
			w->c->duplicate += w->pm->per;
			return false;
		}
	}
	w->c->pages += w->pm->per;
	w->c->shared += entry & PM_EXCLUSIVE ? 0 : w->pm->per;
	return true;
}

/* One pagemap word: its pages to w->out[*k...], or counted as left out. */
static void one_entry(struct walk *w, uint64_t e, uint64_t addr, enum take take, bool absent,
		      size_t *k)
{
	const size_t per = w->pm->per;

	if ((e & PM_PRESENT) && (take != TAKE_ANON || !(e & PM_FILE))) {
		if (take_page(w, e))
			for (size_t b = 0; b < per; b++)
				w->out[(*k)++] = addr + b * PAGE;
	} else if (e & PM_SWAP) {
		w->c->swapped += per;
	} else if (absent && !(e & PM_PRESENT)) {
		w->c->not_resident += per;
	}
}

/* [start, end) word by word: taken pages to the function, the rest counted. */
static int walk_words(struct walk *w, uint64_t start, uint64_t end, enum take take, bool absent)
{
	const struct procmem *pm = w->pm;

	for (uint64_t addr = start; addr + pm->syspage <= end;) {
		size_t n = (end - addr) / pm->syspage, k = 0;
		ssize_t want, got;
		int err;

		n = n < BATCH ? n : BATCH;
		want = (ssize_t)(n * sizeof(w->entry[0]));
		got = pread(pm->pagemap, w->entry, (size_t)want, (off_t)(addr / pm->syspage * 8));
		if (got != want)
			return got < 0 && errno != ESRCH ? -errno : -ESRCH;
		for (size_t i = 0; i < n; i++, addr += pm->syspage)
			one_entry(w, w->entry[i], addr, take, absent, &k);
		if (k && w->fn && (err = w->fn(w->arg, w->out, k)))
			return err;
	}
	return 0;
}

/* One PAGEMAP_SCAN region of pages in memory or in swap. */
static int scanned(struct walk *w, const struct page_region *r, enum take take, uint64_t *seen)
{
	const uint64_t pages = (r->end - r->start) / PAGE;

	*seen += pages;
	if (r->categories & PAGE_IS_SWAPPED) {
		w->c->swapped += pages;
		return 0;
	}
	/* The kernel's zero page (a read of untouched memory) is no memory. */
	if ((r->categories & PAGE_IS_PFNZERO) ||
	    (take == TAKE_ANON && (r->categories & PAGE_IS_FILE)))
		return 0;
	/* Counting only, frames not asked about: the range says enough. */
	if (!w->fn && !w->seen) {
		w->c->pages += pages;
		return 0;
	}
	return walk_words(w, r->start, r->end, take, false);
}

/* The mapping's regions of pages in memory or in swap, through
 * PAGEMAP_SCAN: 0, 1 when the kernel has no such call, or an error. */
static int walk_scan(struct walk *w, const struct mapping *m, enum take take, bool absent)
{
	struct pm_scan_arg a = {
		.size = sizeof(a), .start = m->start, .end = m->end,
		.vec = (uintptr_t)w->region, .vec_len = REGIONS,
		.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_FILE | PAGE_IS_PFNZERO,
	};
	uint64_t seen = 0;
	int err = 0;

	while (!err && a.start < m->end) {
		const long n = ioctl(w->pm->pagemap, PAGEMAP_SCAN, &a);

		if (n < 0 && (errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP) &&
		    a.start == m->start)
			return 1;
		if (n < 0)
			return errno == ESRCH || errno == ENOENT ? -ESRCH : -errno;
		for (long i = 0; !err && i < n; i++)
			err = scanned(w, &w->region[i], take, &seen);
		if (a.walk_end <= a.start)
			break;
		a.start = a.walk_end;
	}
	if (!err && absent)
		w->c->not_resident += (m->end - m->start) / PAGE - seen;
	return err;
}

static int walk_range(struct walk *w, const struct mapping *m, enum take take, bool absent)
{
	const uint64_t before = w->c->pages;
	int err = w->pm->no_scan ? 1 : walk_scan(w, m, take, absent);

	if (err == 1) {
		w->pm->no_scan = true;
		err = walk_words(w, m->start, m->end, take, absent);
	}
	w->c->mappings += w->c->pages > before;
	return err;
}

static int take_mapping(struct walk *w, const struct mapping *m)
{
	const enum take take = rule(w->pm, m, w->sel, w->c);
	/* Absent pages of a private file mapping are file pages unread, not
	 * anonymous ones missing: only anonymous memory's count as skipped. */
	const bool absent = take == TAKE_ALL || take == TAKE_SHMEM ||
			    (take == TAKE_ANON && anonymous(m));
	const uint64_t pages = (m->end - m->start) / PAGE, swapped = m->swap_kb / (PAGE / 1024);

	if (take == TAKE_NONE)
		return 0;
	/* From maps, nothing is known of the mapping's pages: the scan says. */
	if (!m->has_rss || (m->rss_kb && !(take == TAKE_ANON && m->has_anon && !m->anon_kb)))
		return walk_range(w, m, take, absent);
	w->c->swapped += swapped;
	if (absent)
		w->c->not_resident += pages > swapped ? pages - swapped : 0;
	return 0;
}

/* A mapping's header line; false for a field line. */
static bool header(const char *line, struct mapping *m, int *at)
{
	unsigned int major, minor;

	*m = (struct mapping){ .path = "" };
	*at = 0;
	if (sscanf(line, "%llx-%llx %7s %*x %x:%x %lu %n", &m->start, &m->end, m->perms, &major,
		   &minor, &m->inode, at) < 6 || !*at)
		return false;
	m->dev = major << 20 | minor;
	return m->end > m->start && strlen(m->perms) == 4;
}

static void field(const char *line, struct mapping *m)
{
	if (sscanf(line, "Rss: %llu kB", &m->rss_kb) == 1) {
		m->has_rss = true;
		return;
	}
	if (sscanf(line, "Swap: %llu kB", &m->swap_kb) == 1)
		return;
	if (sscanf(line, "Anonymous: %llu kB", &m->anon_kb) == 1)
		m->has_anon = true;
	else if (!strncmp(line, "VmFlags:", 8))
		snprintf(m->flags, sizeof(m->flags), "%.*s ", (int)strcspn(line + 8, "\n"),
			 line + 8);
}

static int read_smaps(struct walk *w, FILE *smaps)
{
	struct mapping m = { .path = "" }, next;
	bool have = false;
	char *line = NULL, *path = NULL;
	size_t cap = 0;
	int err = 0, at;

	while (!err && getline(&line, &cap, smaps) >= 0) {
		if (!header(line, &next, &at)) {
			field(line, &m);
			continue;
		}
		if (have)
			err = take_mapping(w, &m);
		free(path);
		path = strdup(line + at);
		if (!path && !err)
			err = -ENOMEM;
		if (path)
			path[strcspn(path, "\n")] = '\0';
		m = next;
		m.path = path ? path : "";
		have = true;
	}
	if (!err && ferror(smaps))
		err = errno == ESRCH ? -ESRCH : -EIO;
	if (!err && have)
		err = take_mapping(w, &m);
	free(path);
	free(line);
	return err;
}

int procmem_walk(struct procmem *pm, const struct procmem_select *sel, struct pfnset *seen,
		 struct procmem_counts *c, procmem_fn fn, void *arg, char *why, size_t len)
{
	struct walk *w = malloc(sizeof(*w));
	char path[64];
	FILE *smaps;
	int err;

	if (!w) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	*w = (struct walk){ .pm = pm, .sel = sel, .seen = seen, .c = c, .fn = fn, .arg = arg };
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pm->pid, cheap_map(pm) ? "maps" : "smaps");
	smaps = fopen(path, "re");
	err = smaps ? read_smaps(w, smaps) : -errno;
	if (smaps)
		fclose(smaps);
	free(w);
	if (err == -ENOENT || err == -ESRCH)
		snprintf(why, len, "process %d has ended", (int)pm->pid);
	else if (err == -ENOMEM)
		snprintf(why, len, "out of memory");
	else if (err < 0)
		snprintf(why, len, "cannot read the memory map of process %d: %s", (int)pm->pid,
			 strerror(-err));
	return err == -ENOENT ? -ESRCH : err;
}

/* ---- reading ---- */

int procmem_read(struct procmem *pm, const uint64_t *addr, size_t n, unsigned char *buf,
		 bool *ok)
{
	struct iovec local = { buf, n * PAGE }, remote[PROCMEM_READ_MAX];
	size_t runs = 0, done = 0;
	ssize_t got = -1;

	if (n > PROCMEM_READ_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (runs && addr[i] == (uintptr_t)remote[runs - 1].iov_base + remote[runs - 1].iov_len) {
			remote[runs - 1].iov_len += PAGE;
		} else {
			remote[runs].iov_base = (void *)(uintptr_t)addr[i];
			remote[runs++].iov_len = PAGE;
		}
	}
	if (n && !atomic_load_explicit(&pm->no_vm_readv, memory_order_relaxed))
		got = process_vm_readv(pm->pid, &local, 1, remote, runs, 0);
	if (got < 0 && errno == ESRCH)
		return -ESRCH;
	if (got < 0 && (errno == EPERM || errno == ENOSYS))
		atomic_store_explicit(&pm->no_vm_readv, true, memory_order_relaxed);
	done = got > 0 ? (size_t)got / PAGE : 0;
	/* The rest one by one, through mem, which also reads PROT_NONE pages. */
	for (size_t i = 0; i < n; i++)
		ok[i] = i < done || pread(pm->mem, buf + i * PAGE, PAGE, (off_t)addr[i]) == PAGE;
	return 0;
}
