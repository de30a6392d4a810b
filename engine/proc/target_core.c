/*
 * target_core.c - the pages of an ELF core file: its PT_LOAD segments
 *
 * A core is an ELF header, program headers, PT_NOTE segments (threads'
 * registers; NT_FILE: which address ranges were mapped files), then the
 * PT_LOAD segments: p_filesz bytes of memory at p_offset in the file, which
 * span p_memsz bytes at p_vaddr in the process.  Memory past p_filesz was
 * not written (not dumped, or the core was cut short by its size limit).
 *
 * A core is input like any other and may be damaged or made up, so its
 * segments are checked before a page is counted: no segment holds more
 * in the file than it spans, none ends past the largest address space a
 * process has, and no two overlap, in memory or in the file.  Counting
 * is then arithmetic on sizes, never a loop over what is not in the file.
 */
#define _GNU_SOURCE                     /* SEEK_DATA */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target_internal.h"

/* A note segment larger than this is no core's: Linux's are a few KiB a
 * thread, and NT_FILE ~100 bytes a mapping. */
#define MAX_NOTES (64u << 20)
/* The end of the largest user address space: x86-64's with 5-level
 * paging, whose last page is 2^56 - 4096 (other machines' end lower). */
#define ADDRESS_TOP ((1ULL << 56) - TPAGE)

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

/* A segment's extent in memory or in the file, for the overlap check. */
struct span {
	uint64_t start, len;
	uint64_t index;
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

	if (target_pread(fd, &eh, sizeof(eh), 0) < sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG))
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
	if (n == PN_XNUM && (eh.e_shoff > size || target_pread(fd, &sh, sizeof(sh), eh.e_shoff) <
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
	if (target_pread(fd, *ph, n * sizeof(**ph), eh.e_phoff) < n * sizeof(**ph))
		return not_core(why, len, path, "its program headers cannot be read");
	*phnum = n;
	return 0;
}

/* ---- checking the segments ---- */

static int by_start(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start != y->start ? (x->start < y->start ? -1 : 1)
				    : (x->index > y->index) - (x->index < y->index);
}

/* The first two of @n spans that overlap: 0, or -EINVAL with @why. */
static int overlaps(struct span *s, size_t n, const char *path, const char *where, char *why,
		    size_t len)
{
	char what[200];

	qsort(s, n, sizeof(*s), by_start);
	for (size_t i = 1; i < n; i++) {
		if (s[i].start - s[i - 1].start >= s[i - 1].len)
			continue;
		snprintf(what, sizeof(what), "segments %llu and %llu overlap in %s (at %#llx)",
			 (unsigned long long)(s[i - 1].index < s[i].index ? s[i - 1].index
									   : s[i].index),
			 (unsigned long long)(s[i - 1].index < s[i].index ? s[i].index
									   : s[i - 1].index),
			 where, (unsigned long long)s[i].start);
		return not_core(why, len, path, what);
	}
	return 0;
}

static int check_one(const Elf64_Phdr *p, uint64_t i, const char *path, char *why, size_t len)
{
	char what[200];

	if (p->p_filesz > p->p_memsz)
		snprintf(what, sizeof(what), "segment %llu holds more in the file (%llu bytes) than "
			 "it spans in memory (%llu)", (unsigned long long)i,
			 (unsigned long long)p->p_filesz, (unsigned long long)p->p_memsz);
	else if (p->p_vaddr > ADDRESS_TOP || p->p_memsz > ADDRESS_TOP - p->p_vaddr)
		snprintf(what, sizeof(what), "segment %llu (%#llx bytes at %#llx) ends past the "
			 "largest address space a process has (2^56 - 4096 bytes)", (unsigned long long)i,
			 (unsigned long long)p->p_memsz, (unsigned long long)p->p_vaddr);
	else if (p->p_offset > UINT64_MAX - p->p_filesz)
		snprintf(what, sizeof(what), "segment %llu ends past the end of any file",
			 (unsigned long long)i);
	else
		return 0;
	return not_core(why, len, path, what);
}

static int check_segments(const Elf64_Phdr *ph, uint64_t n, const char *path, char *why,
			  size_t len)
{
	struct span *mem = malloc(n * sizeof(*mem) + 1), *file = malloc(n * sizeof(*file) + 1);
	size_t nmem = 0, nfile = 0;
	int err = mem && file ? 0 : -ENOMEM;

	for (uint64_t i = 0; !err && i < n; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		err = check_one(&ph[i], i, path, why, len);
		if (ph[i].p_memsz)
			mem[nmem++] = (struct span){ ph[i].p_vaddr, ph[i].p_memsz, i };
		if (ph[i].p_filesz)
			file[nfile++] = (struct span){ ph[i].p_offset, ph[i].p_filesz, i };
	}
	if (!err)
		err = overlaps(mem, nmem, path, "memory", why, len);
	if (!err)
		err = overlaps(file, nfile, path, "the file", why, len);
	free(mem);
	free(file);
	return err;
}

/* ---- which segments are files ---- */

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
	if (target_pread(fd, buf, n, ph->p_offset) < n)
		n = 0;
	for (size_t at = 0; !err && at + sizeof(Elf64_Nhdr) <= n;) {
		Elf64_Nhdr nh;
		size_t desc, next;

		memcpy(&nh, buf + at, sizeof(nh));
		desc = at + sizeof(nh) + ((nh.n_namesz + 3ul) & ~3ul);
		next = desc + ((nh.n_descsz + 3ul) & ~3ul);
		if (next > n || next <= at)
			break;
		if (nh.n_type == NT_FILE)
			err = add_files(buf + desc, nh.n_descsz, f);
		at = next;
	}
	free(buf);
	return err;
}

static int by_range(const void *a, const void *b)
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

/* ---- the pages ---- */

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

/* Remember a segment to walk: what of it lies in the file. */
static int add_segment(struct target *t, const Elf64_Phdr *ph, uint64_t size)
{
	struct segment *more = realloc(t->seg, (t->nseg + 1) * sizeof(*more));

	if (!more)
		return -ENOMEM;
	t->seg = more;
	t->seg[t->nseg++] = (struct segment){
		.offset = ph->p_offset, .memsz = ph->p_memsz,
		.in_file = ph->p_offset >= size ? 0 : ph->p_filesz < size - ph->p_offset
			   ? ph->p_filesz : size - ph->p_offset,
	};
	return 0;
}

int target_walk_core(struct target *t, struct target_counts *c, target_fn fn, void *arg)
{
	struct extents x = { .fd = t->fd };
	struct target_page p[WALK_BATCH];
	int err = 0;

	for (size_t s = 0; !err && s < t->nseg; s++) {
		const struct segment *g = &t->seg[s];
		const uint64_t before = c->pages;
		size_t n = 0;

		for (uint64_t o = 0; !err && o < g->in_file; o += TPAGE) {
			const uint64_t at = g->offset + o;
			const uint64_t bytes = g->in_file - o < TPAGE ? g->in_file - o : TPAGE;

			if (in_hole(&x, at, bytes)) {
				c->not_resident++;
				continue;
			}
			p[n++] = (struct target_page){ FILE_SPAN(at, bytes), 0 };
			c->pages++;
			if (n == WALK_BATCH) {
				err = fn ? fn(arg, p, n) : 0;
				n = 0;
			}
		}
		if (n && !err)
			err = fn ? fn(arg, p, n) : 0;
		c->not_in_file += (g->memsz + TPAGE - 1) / TPAGE - (g->in_file + TPAGE - 1) / TPAGE;
		c->mappings += c->pages > before;
	}
	return err;
}

int target_open_core(struct target **tp, const char *path, const struct procmem_select *sel,
		     char *why, size_t len)
{
	struct target *t = target_new(TARGET_CORE);
	struct files files = { NULL, 0 };
	Elf64_Phdr *ph = NULL;
	uint64_t size = 0, phnum = 0;
	int err = t ? target_open_file(t, path, &size, why, len) : -ENOMEM;

	if (!err)
		err = read_headers(t->fd, path, size, &ph, &phnum, why, len);
	if (!err)
		err = check_segments(ph, phnum, path, why, len);
	for (uint64_t i = 0; !err && i < phnum; i++)
		if (ph[i].p_type == PT_NOTE)
			err = read_notes(t->fd, &ph[i], size, &files);
	if (!err && files.n)
		qsort(files.r, files.n, sizeof(files.r[0]), by_range);
	for (uint64_t i = 0; !err && i < phnum; i++)
		if (ph[i].p_type == PT_LOAD && (sel->all || !file_backed(&files, ph[i].p_vaddr)))
			err = add_segment(t, &ph[i], size);
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
