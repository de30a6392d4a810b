/*
 * shim_alloc.c - the pager's own memory, which it never manages
 *
 * The store inside the program must not keep its entries in the program's
 * heap: the pager would evict them and then need them to bring a page
 * back.  So the shim is linked with --wrap for malloc, calloc, realloc,
 * free, posix_memalign, aligned_alloc, strdup, mmap and munmap (in the
 * linked-in libzbud and in the shim itself), and they land here: small
 * blocks in size classes carved from one reserved arena, large ones in
 * their own mappings.  Every mapping made here is recorded, so that the
 * region scan (shim_regions.c) leaves it alone.  open and close are
 * wrapped too, so that the program cannot close the store's writeback
 * file under it (shim_sud.c).
 *
 * Callable from signal handlers (every asynchronous signal blocked): the
 * locks are spin locks, the system calls raw.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "shim.h"

#define ARENA_BYTES   (16ull << 30)   /* reserved, never committed whole */
#define CHUNK         (64u << 10)     /* carved from the arena, one size class each */
#define LARGE_MIN     (16u << 10)     /* larger blocks get their own mapping */
#define MAX_OWN       1024            /* mappings made by libzbud and the pager */
#define LARGE_HEAD    64              /* keeps large blocks 64-byte aligned */

static const unsigned class_size[] = {
	16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
	3072, 4096, 6144, 8192, 12288, 16384,
};
#define NCLASSES (sizeof(class_size) / sizeof(class_size[0]))

struct free_block {
	struct free_block *next;
};

struct size_class {
	struct shim_spin lock;
	struct free_block *free;
	char *bump, *end;               /* the unused rest of its current chunk */
};

static struct {
	struct shim_spin lock;          /* the arena's bump and the own table */
	char *arena, *arena_next;
	struct size_class classes[NCLASSES];
	uintptr_t own_start[MAX_OWN], own_end[MAX_OWN];
	bool own_keep[MAX_OWN];         /* thread stacks: kept after fork */
	unsigned nown;
	/* Changes to the pager's own mappings begun and done (own_settled()) */
	atomic_uint_least64_t begun, done;
	atomic_uint_least64_t bytes;
	unsigned char chunk_class[ARENA_BYTES / CHUNK]; /* the size class of each chunk */
} A;

/*
 * A mapping of the pager's own exists a moment before it is recorded as
 * such (mmap, then own_add), and a moment after it is not (own_del, then
 * munmap).  A scan of /proc/self/maps in that moment would take it for
 * the program's and register it with the userfaultfd: the store's memory
 * managed, and its munmap waiting for the event thread with the store's
 * lock held, while the event thread waits for a reader that waits for the
 * lock.  So each change is counted in and out, and a scan that overlapped
 * one registers nothing (regions_scan()).
 */
static void own_change_begin(void)
{
	atomic_fetch_add(&A.begun, 1);
}

static void own_change_end(void)
{
	atomic_fetch_add(&A.done, 1);
}

bool own_settled(uint64_t *mark)
{
	uint64_t done = atomic_load(&A.done), begun = atomic_load(&A.begun);

	if (*mark && begun + 1 != *mark)
		return false;
	*mark = begun + 1;
	return begun == done;
}

static void *raw_mmap(size_t len)
{
	long p = SYS6(SYS_mmap, 0, len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p < 0 && p > -4096 ? NULL : (void *)p;
}

static void own_add_keep(uintptr_t start, uintptr_t end, bool keep)
{
	spin_take(&A.lock);
	if (A.nown < MAX_OWN) {
		A.own_start[A.nown] = start;
		A.own_end[A.nown] = end;
		A.own_keep[A.nown] = keep;
		A.nown++;
	}
	spin_release(&A.lock);
}

static void own_add(uintptr_t start, uintptr_t end)
{
	own_add_keep(start, end, false);
}

/* Forget [start, end): trims or splits the recorded mappings it covers. */
static void own_del(uintptr_t start, uintptr_t end)
{
	spin_take(&A.lock);
	for (unsigned i = 0; i < A.nown; i++) {
		uintptr_t s = A.own_start[i], e = A.own_end[i];

		if (end <= s || start >= e)
			continue;
		if (start > s && end < e && A.nown < MAX_OWN) {
			A.own_start[A.nown] = end;
			A.own_keep[A.nown] = A.own_keep[i];
			A.own_end[A.nown++] = e;
			A.own_end[i] = start;
		} else if (start <= s && end >= e) {
			A.own_start[i] = A.own_start[--A.nown];
			A.own_keep[i] = A.own_keep[A.nown];
			A.own_end[i--] = A.own_end[A.nown];
		} else if (start <= s) {
			A.own_start[i] = end;
		} else {
			A.own_end[i] = start;
		}
	}
	spin_release(&A.lock);
}

bool own_overlap(uintptr_t start, uintptr_t end, uintptr_t *own_start, uintptr_t *own_end)
{
	bool hit = false;

	spin_take(&A.lock);
	for (unsigned i = 0; i < A.nown; i++) {
		if (end <= A.own_start[i] || start >= A.own_end[i])
			continue;
		if (!hit || A.own_start[i] < *own_start) {
			*own_start = A.own_start[i];
			*own_end = A.own_end[i];
		}
		hit = true;
	}
	spin_release(&A.lock);
	return hit;
}

uint64_t own_bytes(void)
{
	return atomic_load(&A.bytes);
}

void *shim_map(size_t len)
{
	void *p;

	own_change_begin();
	p = raw_mmap(len);
	if (p) {
		own_add((uintptr_t)p, (uintptr_t)p + len);
		atomic_fetch_add(&A.bytes, len);
	}
	own_change_end();
	return p;
}

/*
 * A stack for one of the pager's threads.  Kept in a fork child, where the
 * C library still walks the descriptors of the threads that did not come.
 */
void *shim_map_stack(size_t len)
{
	void *p;

	own_change_begin();
	p = raw_mmap(len);
	if (p)
		own_add_keep((uintptr_t)p, (uintptr_t)p + len, true);
	own_change_end();
	return p;
}

void shim_unmap(void *p, size_t len)
{
	own_change_begin();
	own_del((uintptr_t)p, (uintptr_t)p + len);
	SYS2(SYS_munmap, p, len);
	own_change_end();
	atomic_fetch_sub(&A.bytes, len);
}

static bool arena_init(void)
{
	if (A.arena)
		return true;
	spin_take(&A.lock);
	if (!A.arena) {
		long p = SYS6(SYS_mmap, 0, ARENA_BYTES + CHUNK, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (!(p < 0 && p > -4096)) {
			uintptr_t base = ((uintptr_t)p + CHUNK - 1) & ~(uintptr_t)(CHUNK - 1);

			A.arena_next = (char *)base;
			if (A.nown < MAX_OWN) {
				A.own_start[A.nown] = (uintptr_t)p;
				A.own_end[A.nown++] = (uintptr_t)p + ARENA_BYTES + CHUNK;
			}
			atomic_store_explicit((_Atomic(char *) *)&A.arena, (char *)base,
					      memory_order_release);
		}
	}
	spin_release(&A.lock);
	return A.arena != NULL;
}

static bool in_arena(const void *p)
{
	return A.arena && (const char *)p >= A.arena && (const char *)p < A.arena + ARENA_BYTES;
}

static char *chunk_take(unsigned cls)
{
	char *c = NULL;

	spin_take(&A.lock);
	if (A.arena_next + CHUNK <= A.arena + ARENA_BYTES) {
		c = A.arena_next;
		A.arena_next += CHUNK;
		A.chunk_class[(size_t)(c - A.arena) / CHUNK] = (unsigned char)cls;
	}
	spin_release(&A.lock);
	if (c)
		atomic_fetch_add(&A.bytes, CHUNK);
	return c;
}

static unsigned class_of(size_t size)
{
	unsigned i = 0;

	while (class_size[i] < size)
		i++;
	return i;
}

static void *small_alloc(size_t size)
{
	unsigned cls = class_of(size);
	struct size_class *sc = &A.classes[cls];
	void *p;

	spin_take(&sc->lock);
	if (sc->free) {
		p = sc->free;
		sc->free = sc->free->next;
	} else {
		if (sc->bump + class_size[cls] > sc->end) {
			char *c = chunk_take(cls);

			if (!c) {
				spin_release(&sc->lock);
				return NULL;
			}
			sc->bump = c;
			sc->end = c + CHUNK;
		}
		p = sc->bump;
		sc->bump += class_size[cls];
	}
	spin_release(&sc->lock);
	return p;
}

static void *large_alloc(size_t size)
{
	size_t len = (size + LARGE_HEAD + SHIM_PAGE - 1) & ~(SHIM_PAGE - 1);
	char *p;

	if (len < size)
		return NULL;
	p = shim_map(len);
	if (!p)
		return NULL;
	*(size_t *)p = len;
	return p + LARGE_HEAD;
}

static size_t block_size(const void *p)
{
	if (in_arena(p))
		return class_size[A.chunk_class[(size_t)((const char *)p - A.arena) / CHUNK]];
	return *(const size_t *)((const char *)p - LARGE_HEAD) - LARGE_HEAD;
}

void *shim_alloc(size_t size)
{
	if (!arena_init())
		return NULL;
	if (size == 0)
		size = 1;
	return size < LARGE_MIN ? small_alloc(size) : large_alloc(size);
}

void shim_free(void *p)
{
	if (!p)
		return;
	if (in_arena(p)) {
		struct size_class *sc = &A.classes[A.chunk_class[(size_t)((char *)p - A.arena) / CHUNK]];
		struct free_block *b = p;

		spin_take(&sc->lock);
		b->next = sc->free;
		sc->free = b;
		spin_release(&sc->lock);
	} else {
		char *base = (char *)p - LARGE_HEAD;

		shim_unmap(base, *(size_t *)base);
	}
}

/*
 * In a child after fork: the parent's store, table and threads' stacks are
 * copies that nobody will use; give their memory back and start afresh.
 */
void alloc_reset_after_fork(void)
{
	uintptr_t keep_start[MAX_OWN], keep_end[MAX_OWN];
	unsigned nkeep = 0;

	for (unsigned i = 0; i < A.nown; i++) {
		if (A.own_keep[i]) {
			keep_start[nkeep] = A.own_start[i];
			keep_end[nkeep++] = A.own_end[i];
		} else {
			SYS2(SYS_munmap, A.own_start[i], A.own_end[i] - A.own_start[i]);
		}
	}
	memset(&A, 0, sizeof(A));
	for (unsigned i = 0; i < nkeep; i++)
		own_add_keep(keep_start[i], keep_end[i], true);
}

/* ---- what the linker's --wrap sends here ---- */
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);
int __wrap_posix_memalign(void **out, size_t align, size_t size);
void *__wrap_aligned_alloc(size_t align, size_t size);
char *__wrap_strdup(const char *s);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __wrap_munmap(void *addr, size_t len);

void *__wrap_malloc(size_t size)
{
	void *p = shim_alloc(size);

	if (!p)
		errno = ENOMEM;
	return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	p = __wrap_malloc(total);
	/* Large blocks and fresh chunks are zero already; reused blocks are not. */
	if (p)
		memset(p, 0, total);
	return p;
}

void *__wrap_realloc(void *p, size_t size)
{
	size_t old;
	void *q;

	if (!p)
		return __wrap_malloc(size);
	old = block_size(p);
	if (size <= old && size > old / 2)
		return p;
	q = __wrap_malloc(size);
	if (q) {
		memcpy(q, p, old < size ? old : size);
		shim_free(p);
	}
	return q;
}

void __wrap_free(void *p)
{
	shim_free(p);
}

int __wrap_posix_memalign(void **out, size_t align, size_t size)
{
	/* Size classes from 64 bytes up are 16-aligned, and 64-aligned from 64 on
	 * when the size is a multiple of 64; larger alignments go to a mapping. */
	void *p;

	if (align <= 16 || (align <= 64 && size % 64 == 0 && size >= 64))
		p = shim_alloc(size);
	else if (align <= LARGE_HEAD)
		p = large_alloc(size < LARGE_MIN ? LARGE_MIN : size);
	else
		return ENOMEM;
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *__wrap_aligned_alloc(size_t align, size_t size)
{
	void *p = NULL;

	if (__wrap_posix_memalign(&p, align, size))
		errno = ENOMEM;
	return p;
}

char *__wrap_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = __wrap_malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	long p;

	own_change_begin();
	p = SYS6(SYS_mmap, addr, len, prot, flags, fd, off);
	if (!(p < 0 && p > -4096))
		own_add((uintptr_t)p, (uintptr_t)p + len);
	own_change_end();
	if (p < 0 && p > -4096) {
		errno = (int)-p;
		return MAP_FAILED;
	}
	return (void *)p;
}

int __wrap_munmap(void *addr, size_t len)
{
	long r;

	own_change_begin();
	own_del((uintptr_t)addr, (uintptr_t)addr + len);
	r = SYS2(SYS_munmap, addr, len);
	own_change_end();
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return 0;
}

/* ---- the pager's descriptors ---- */

#define MAX_FDS 16
static atomic_int own_fds[MAX_FDS] = { [0 ... MAX_FDS - 1] = -1 };

void shim_fd_add(int fd)
{
	for (int i = 0; i < MAX_FDS && fd >= 0; i++) {
		int free_slot = -1;

		if (atomic_compare_exchange_strong(&own_fds[i], &free_slot, fd))
			return;
	}
}

void shim_fd_del(int fd)
{
	for (int i = 0; i < MAX_FDS && fd >= 0; i++) {
		int mine = fd;

		if (atomic_compare_exchange_strong(&own_fds[i], &mine, -1))
			return;
	}
}

bool shim_fd_is_own(int fd)
{
	for (int i = 0; i < MAX_FDS; i++)
		if (fd >= 0 && atomic_load(&own_fds[i]) == fd)
			return true;
	return false;
}

/* In a fork child: the parent's files are not this process's to use. */
void shim_fd_close_all(int keep)
{
	for (int i = 0; i < MAX_FDS; i++) {
		int fd = atomic_load(&own_fds[i]);

		if (fd >= 0 && fd != keep) {
			SYS1(SYS_close, fd);
			atomic_store(&own_fds[i], -1);
		}
	}
}

int __wrap_open(const char *path, int flags, ...);
int __wrap_close(int fd);

int __wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	long fd;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	fd = SYS4(SYS_openat, AT_FDCWD, path, flags, mode);
	if (fd < 0) {
		errno = (int)-fd;
		return -1;
	}
	shim_fd_add((int)fd);
	return (int)fd;
}

int __wrap_close(int fd)
{
	long r;

	shim_fd_del(fd);
	r = SYS1(SYS_close, fd);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return 0;
}
