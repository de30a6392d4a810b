/*
 * target.c - where each page of a target is, and reading it
 *
 * A target is a list of where[] words, one a page, found when it is opened:
 *
 *   process   the page's address; read with process_vm_readv(), many
 *             ranges in one call, and /proc/PID/mem for the pages that
 *             call cannot copy (PROT_NONE ones)
 *   core/raw  the page's offset in the file << 12 | (its bytes - 1): the
 *             last page of a file or of a segment may be short, and reads
 *             zero-padded, as memory past a segment's file size is zeros
 *
 * A process's pages come from /proc/PID/smaps, for each mapping its range,
 * permissions, path and Rss (a mapping with nothing in memory is skipped
 * unread: some reserve terabytes), and /proc/PID/pagemap, a 64-bit word a
 * page: bit 63 present, 62 swapped, 61 a file page (or shared memory).
 */
#define _GNU_SOURCE                     /* process_vm_readv(), SEEK_DATA */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "target.h"

#define PAGE TARGET_PAGE
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_FILE (1ULL << 61)
/* pagemap words read at a time: 4 MiB of address space with 4 KiB pages. */
#define PAGEMAP_BATCH 1024
/* A file's page: its offset, and its bytes (1 to 4096) in the low 12 bits. */
#define FILE_SPAN(off, bytes) ((off) << 12 | ((bytes) - 1))
#define SPAN_OFFSET(span) ((span) >> 12)
#define SPAN_BYTES(span) ((size_t)((span) & 0xfff) + 1)

struct target {
	enum target_kind kind;
	struct target_counts counts;
	uint64_t *where;                /* a page's address, or its FILE_SPAN() */
	size_t cap;
	int fd;                         /* the file, or /proc/PID/mem */
	pid_t pid;
	size_t syspage;                 /* the system's page size */
};

struct mapping {
	unsigned long long start, end, rss_kb, swap_kb;
	unsigned long inode;
	char perms[8];
	char *path;                     /* in the line read; "" for none */
	bool valid;
};

static struct target *target_new(enum target_kind kind)
{
	struct target *t = calloc(1, sizeof(*t));

	if (t) {
		t->kind = kind;
		t->fd = -1;
	}
	return t;
}

static int target_add(struct target *t, uint64_t where)
{
	if (t->counts.pages == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		uint64_t *w = realloc(t->where, cap * sizeof(*w));

		if (!w)
			return -ENOMEM;
		t->where = w;
		t->cap = cap;
	}
	t->where[t->counts.pages++] = where;
	return 0;
}

enum target_kind target_kind(const struct target *t)
{
	return t->kind;
}

const struct target_counts *target_counts(const struct target *t)
{
	return &t->counts;
}

void target_close(struct target *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t->where);
	free(t);
}

/* ---- processes ---- */

/* Anonymous by its name: no file, or one of the kernel's anonymous kinds. */
static bool anonymous(const struct mapping *m)
{
	return m->inode == 0 && (!*m->path || !strcmp(m->path, "[heap]") ||
				 !strncmp(m->path, "[stack", 6) || !strncmp(m->path, "[anon:", 6));
}

/* The pages of one mapping whose Rss is not 0, from its pagemap words. */
static int walk_pagemap(struct target *t, const struct mapping *m, int pagemap, bool all,
			bool count_absent)
{
	const size_t per = t->syspage / PAGE;
	uint64_t entry[PAGEMAP_BATCH], before = t->counts.pages;

	for (uint64_t addr = m->start; addr < m->end;) {
		size_t n = (m->end - addr) / t->syspage;
		ssize_t want;

		n = n < PAGEMAP_BATCH ? n : PAGEMAP_BATCH;
		want = (ssize_t)(n * sizeof(entry[0]));
		if (pread(pagemap, entry, (size_t)want, (off_t)(addr / t->syspage * 8)) != want)
			return -EIO;
		for (size_t i = 0; i < n; i++, addr += t->syspage) {
			if (entry[i] & PM_PRESENT) {
				for (size_t k = 0; (all || !(entry[i] & PM_FILE)) && k < per; k++)
					if (target_add(t, addr + k * PAGE))
						return -ENOMEM;
			} else if (entry[i] & PM_SWAP) {
				t->counts.swapped += per;
			} else if (count_absent) {
				t->counts.not_resident += per;
			}
		}
	}
	t->counts.mappings += t->counts.pages > before;
	return 0;
}

static int take_mapping(struct target *t, const struct mapping *m, int pagemap,
			const struct target_select *sel)
{
	bool count_absent;

	/* vvar and vsyscall are the kernel's, outside what pagemap reads. */
	if (!m->valid || !strcmp(m->path, "[vsyscall]") || !strncmp(m->path, "[vvar", 5))
		return 0;
	if ((sel->mapping && !strstr(m->path, sel->mapping)) || (!sel->all && m->perms[3] != 'p'))
		return 0;
	/* Absent pages of a private file mapping are file pages unread, not
	 * anonymous ones missing: only anonymous mappings' are skipped ones. */
	count_absent = sel->all || anonymous(m);
	if (m->rss_kb)
		return walk_pagemap(t, m, pagemap, sel->all, count_absent);
	t->counts.swapped += m->swap_kb / (PAGE / 1024);
	if (count_absent)
		t->counts.not_resident += (m->end - m->start - m->swap_kb * 1024) / PAGE;
	return 0;
}

static int read_smaps(struct target *t, FILE *smaps, int pagemap, const struct target_select *sel)
{
	struct mapping m = { .valid = false };
	char *line = NULL, *path = NULL;
	size_t cap = 0;
	int err = 0;

	while (!err && getline(&line, &cap, smaps) >= 0) {
		struct mapping next = { .valid = true };
		int at = 0;

		if (sscanf(line, "%llx-%llx %7s %*x %*x:%*x %lu %n", &next.start, &next.end,
			   next.perms, &next.inode, &at) >= 4 && at) {
			err = take_mapping(t, &m, pagemap, sel);
			free(path);
			path = strdup(line + at);
			if (!path)
				err = -ENOMEM;
			else
				path[strcspn(path, "\n")] = '\0';
			next.path = path;
			m = next;
		} else if (sscanf(line, "Rss: %llu kB", &m.rss_kb) != 1) {
			sscanf(line, "Swap: %llu kB", &m.swap_kb);
		}
	}
	if (!err && ferror(smaps))
		err = -EIO;
	if (!err)
		err = take_mapping(t, &m, pagemap, sel);
	free(path);
	free(line);
	return err;
}

static int process_error(int err, pid_t pid, const char *what, char *why, size_t len)
{
	if (err == -EACCES || err == -EPERM)
		snprintf(why, len, "the kernel's ptrace access rules do not let zbud read process "
			 "%d (%s; see ptrace(2), \"Ptrace access mode checking\")", (int)pid,
			 strerror(-err));
	else if (err == -ENOENT || err == -ESRCH)
		snprintf(why, len, "no process %d", (int)pid);
	else
		snprintf(why, len, "cannot read %s of process %d: %s", what, (int)pid,
			 strerror(-err));
	return err == -ENOENT ? -ESRCH : err;
}

int target_open_process(struct target **tp, pid_t pid, const struct target_select *sel,
			char *why, size_t len)
{
	struct target *t = target_new(TARGET_PROCESS);
	long syspage = sysconf(_SC_PAGESIZE);
	const char *what = "/proc";
	int pagemap = -1, err = 0;
	FILE *smaps = NULL;
	char path[64];

	*tp = NULL;
	if (!t)
		return process_error(-ENOMEM, pid, what, why, len);
	t->pid = pid;
	t->syspage = syspage >= PAGE && syspage % PAGE == 0 ? (size_t)syspage : PAGE;
	/* mem first: it asks for the same access as process_vm_readv(). */
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	t->fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	pagemap = t->fd < 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	smaps = pagemap < 0 ? NULL : fopen(path, "re");
	if (!smaps)
		err = -errno;
	else
		err = read_smaps(t, smaps, pagemap, sel);
	what = "/proc/PID/smaps and pagemap";
	if (!err && t->counts.pages) {
		unsigned char probe;
		struct iovec local = { &probe, 1 };
		struct iovec remote = { (void *)(uintptr_t)t->where[0], 1 };

		if (process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0 &&
		    (errno == EPERM || errno == ESRCH))
			err = -errno;
	}
	if (smaps)
		fclose(smaps);
	if (pagemap >= 0)
		close(pagemap);
	if (err) {
		target_close(t);
		return process_error(err, pid, what, why, len);
	}
	*tp = t;
	return 0;
}

static int read_process(struct target *t, const uint64_t *index, size_t n, unsigned char *buf,
			bool *ok)
{
	struct iovec local = { buf, n * PAGE }, remote[TARGET_READ_MAX];
	size_t runs = 0, done;
	ssize_t got;

	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const uint64_t addr = t->where[index[i]];

		if (runs && addr == (uintptr_t)remote[runs - 1].iov_base + remote[runs - 1].iov_len) {
			remote[runs - 1].iov_len += PAGE;
		} else {
			remote[runs].iov_base = (void *)(uintptr_t)addr;
			remote[runs++].iov_len = PAGE;
		}
	}
	got = process_vm_readv(t->pid, &local, 1, remote, runs, 0);
	if (got < 0 && (errno == ESRCH || errno == EPERM))
		return -errno;
	done = got > 0 ? (size_t)got / PAGE : 0;
	for (size_t i = 0; i < n; i++)
		ok[i] = i < done || pread(t->fd, buf + i * PAGE, PAGE,
					  (off_t)t->where[index[i]]) == PAGE;
	return 0;
}

/* ---- files ---- */

static size_t pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static int open_file(struct target *t, const char *path, uint64_t *size, char *why, size_t len)
{
	struct stat st;

	t->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->fd < 0 || fstat(t->fd, &st)) {
		snprintf(why, len, "cannot open '%s': %s", path, strerror(errno));
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, len, "'%s' is a directory", path);
		return -EISDIR;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

int target_open_raw(struct target **tp, const char *path, char *why, size_t len)
{
	struct target *t = target_new(TARGET_RAW);
	uint64_t size = 0;
	int err = t ? open_file(t, path, &size, why, len) : -ENOMEM;

	for (uint64_t off = 0; !err && off < size; off += PAGE) {
		const uint64_t bytes = size - off < PAGE ? size - off : PAGE;

		err = target_add(t, FILE_SPAN(off, bytes));
	}
	if (!err && !size) {
		snprintf(why, len, "'%s' is empty: no pages to measure", path);
		err = -ENODATA;
	}
	if (err == -ENOMEM)
		snprintf(why, len, "out of memory");
	if (err) {
		target_close(t);
		t = NULL;
	}
	if (t)
		t->counts.mappings = 1;
	*tp = t;
	return err;
}

/* ---- core files ---- */

/* A note segment larger than this is no core's: Linux's are a few KiB a
 * thread, and NT_FILE ~100 bytes a mapping. */
#define MAX_NOTES (64u << 20)
/* A segment larger than a 64-bit address space's user half is damage. */
#define MAX_SEGMENT (1ULL << 57)

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ELFDATA ELFDATA2LSB
#else
#define HOST_ELFDATA ELFDATA2MSB
#endif

struct range {
	uint64_t start, end;
};

/* The mapped files NT_FILE names, by start address. */
struct files {
	struct range *r;
	size_t n;
};

/* The file's data extent at or after the last offset asked about. */
struct extents {
	int fd;
	bool unknown;                   /* no SEEK_DATA here: all is data */
	uint64_t asked, data, hole;
};

static int not_core(char *why, size_t len, const char *path, const char *what)
{
	snprintf(why, len, "'%s' is not a core file: %s", path, what);
	return -EINVAL;
}

static int read_headers(int fd, const char *path, uint64_t size, Elf64_Phdr **ph,
			uint64_t *phnum, char *why, size_t len)
{
	char what[96];
	Elf64_Ehdr eh;
	Elf64_Shdr sh;
	uint64_t n;

	if (pread_full(fd, &eh, sizeof(eh), 0) < sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG))
		return not_core(why, len, path, "not an ELF file");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return not_core(why, len, path, "a 32-bit ELF file (zbud reads 64-bit cores)");
	if (eh.e_ident[EI_DATA] != HOST_ELFDATA)
		return not_core(why, len, path, "its byte order is not this machine's");
	snprintf(what, sizeof(what), "an ELF file of type %u, not a core (type %u)", eh.e_type,
		 ET_CORE);
	if (eh.e_type != ET_CORE)
		return not_core(why, len, path, what);
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return not_core(why, len, path, "its program headers are not 64-bit ones");
	n = eh.e_phnum;
	/* More than 65534 segments: the count is in section header 0. */
	if (n == PN_XNUM && (eh.e_shoff > size || pread_full(fd, &sh, sizeof(sh), eh.e_shoff) <
			     sizeof(sh)))
		return not_core(why, len, path, "its section header 0 is missing");
	n = n == PN_XNUM ? sh.sh_info : n;
	if (!n)
		return not_core(why, len, path, "it has no program headers");
	if (eh.e_phoff > size || n > (size - eh.e_phoff) / sizeof(Elf64_Phdr))
		return not_core(why, len, path, "its program headers lie past its end");
	*ph = malloc(n * sizeof(**ph));
	if (!*ph)
		return -ENOMEM;
	if (pread_full(fd, *ph, n * sizeof(**ph), eh.e_phoff) < n * sizeof(**ph))
		return not_core(why, len, path, "its program headers cannot be read");
	*phnum = n;
	return 0;
}

/* NT_FILE: a count, the page size, count (start, end, offset) triples, then
 * the paths. */
static int add_files(const unsigned char *desc, size_t len, struct files *f)
{
	uint64_t count;
	struct range *r;

	if (len < 16)
		return 0;
	memcpy(&count, desc, sizeof(count));
	count = count < (len - 16) / 24 ? count : (len - 16) / 24;
	r = realloc(f->r, (f->n + count) * sizeof(*r) + 1);
	if (!r)
		return -ENOMEM;
	f->r = r;
	for (uint64_t i = 0; i < count; i++, f->n++)
		memcpy(&f->r[f->n], desc + 16 + 24 * i, sizeof(f->r[0]));
	return 0;
}

static int read_notes(int fd, const Elf64_Phdr *ph, uint64_t size, struct files *f)
{
	size_t n = (size_t)ph->p_filesz;
	unsigned char *buf;
	int err = 0;

	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset || n > MAX_NOTES)
		return 0;               /* no file names: all of it counts as anonymous */
	buf = malloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	if (pread_full(fd, buf, n, ph->p_offset) < n)
		n = 0;
	for (size_t at = 0; !err && at + sizeof(Elf64_Nhdr) <= n;) {
		Elf64_Nhdr nh;
		size_t desc, next;

		memcpy(&nh, buf + at, sizeof(nh));
		desc = at + sizeof(nh) + ((nh.n_namesz + 3ul) & ~3ul);
		next = desc + ((nh.n_descsz + 3ul) & ~3ul);
		if (next > n)
			break;
		if (nh.n_type == NT_FILE)
			err = add_files(buf + desc, nh.n_descsz, f);
		at = next;
	}
	free(buf);
	return err;
}

static int by_start(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static bool file_backed(const struct files *f, uint64_t addr)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {               /* the first range starting after addr */
		const size_t mid = lo + (hi - lo) / 2;

		if (f->r[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && addr < f->r[lo - 1].end;
}

/* Whether [pos, pos + len) is a hole: a page the dump skipped because it was
 * not in memory (Linux seeks over those where the file system can). */
static bool in_hole(struct extents *x, uint64_t pos, uint64_t len)
{
	if (x->unknown)
		return false;
	if (pos < x->asked || pos >= x->hole) {
		const off_t data = lseek(x->fd, (off_t)pos, SEEK_DATA);
		const off_t hole = data < 0 ? -1 : lseek(x->fd, data, SEEK_HOLE);

		x->unknown = data < 0 && errno != ENXIO;
		x->asked = pos;
		x->data = data < 0 ? UINT64_MAX : (uint64_t)data;
		x->hole = hole < 0 ? UINT64_MAX : (uint64_t)hole;
	}
	return !x->unknown && pos + len <= x->data;
}

static int add_segment(struct target *t, const Elf64_Phdr *ph, uint64_t size, struct extents *x)
{
	const uint64_t before = t->counts.pages;

	for (uint64_t o = 0; o < ph->p_memsz; o += PAGE) {
		const uint64_t at = ph->p_offset + o;
		uint64_t bytes = ph->p_filesz > o ? ph->p_filesz - o : 0;

		bytes = bytes < PAGE ? bytes : PAGE;
		if (ph->p_offset > size || at >= size)
			bytes = 0;
		else if (bytes > size - at)
			bytes = size - at;
		if (!bytes)
			t->counts.not_in_file++;
		else if (in_hole(x, at, bytes))
			t->counts.not_resident++;
		else if (target_add(t, FILE_SPAN(at, bytes)))
			return -ENOMEM;
	}
	t->counts.mappings += t->counts.pages > before;
	return 0;
}

int target_open_core(struct target **tp, const char *path, const struct target_select *sel,
		     char *why, size_t len)
{
	struct target *t = target_new(TARGET_CORE);
	struct files files = { NULL, 0 };
	struct extents x = { .fd = -1 };
	Elf64_Phdr *ph = NULL;
	uint64_t size = 0, phnum = 0;
	int err = t ? open_file(t, path, &size, why, len) : -ENOMEM;

	if (!err)
		err = read_headers(t->fd, path, size, &ph, &phnum, why, len);
	for (uint64_t i = 0; !err && i < phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_memsz > MAX_SEGMENT)
			err = not_core(why, len, path, "a segment is larger than any address space");
		else if (ph[i].p_type == PT_NOTE)
			err = read_notes(t->fd, &ph[i], size, &files);
	}
	if (!err && files.n)
		qsort(files.r, files.n, sizeof(files.r[0]), by_start);
	x.fd = t ? t->fd : -1;
	for (uint64_t i = 0; !err && i < phnum; i++)
		if (ph[i].p_type == PT_LOAD && (sel->all || !file_backed(&files, ph[i].p_vaddr)))
			err = add_segment(t, &ph[i], size, &x);
	if (err == -ENOMEM)
		snprintf(why, len, "out of memory");
	free(files.r);
	free(ph);
	if (err) {
		target_close(t);
		t = NULL;
	}
	*tp = t;
	return err;
}

/* Runs of whole pages that follow each other in the file: one pread() each. */
static int read_file(struct target *t, const uint64_t *index, size_t n, unsigned char *buf,
		     bool *ok)
{
	for (size_t i = 0, j; i < n; i = j) {
		const uint64_t off = SPAN_OFFSET(t->where[index[i]]);
		size_t bytes = SPAN_BYTES(t->where[index[i]]), got;

		for (j = i + 1; j < n && bytes == (j - i) * PAGE &&
		     SPAN_OFFSET(t->where[index[j]]) == off + bytes; j++)
			bytes += SPAN_BYTES(t->where[index[j]]);
		got = pread_full(t->fd, buf + i * PAGE, bytes, off);
		for (size_t k = i; k < j; k++) {
			const size_t at = (k - i) * PAGE, want = SPAN_BYTES(t->where[index[k]]);

			ok[k] = got >= at + want;
			if (ok[k] && want < PAGE)
				memset(buf + k * PAGE + want, 0, PAGE - want);
		}
	}
	return 0;
}

int target_read(struct target *t, const uint64_t *index, size_t n, unsigned char *buf,
		bool *ok)
{
	if (n > TARGET_READ_MAX)
		return -EINVAL;
	return t->kind == TARGET_PROCESS ? read_process(t, index, n, buf, ok)
					 : read_file(t, index, n, buf, ok);
}
