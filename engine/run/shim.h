/*
 * shim.h - the pager inside a program run by `zbud run` (internal)
 *
 * libzbud_run.so is preloaded into the program.  It keeps the program's
 * anonymous memory beyond a limit in a zswap store that lives in the same
 * process, and brings a page back when it is touched.  docs/run.md tells
 * why it is built this way; here is what is where.
 *
 *   program threads                      pager's own threads (all signals blocked)
 *   ---------------                      ------------------------------------------
 *   touch an evicted page                pager (shim_pager.c): over the limit, the
 *     -> SIGBUS (UFFD_FEATURE_SIGBUS)      least recently faulted-in pages are moved
 *     -> shim_fault.c: load from the       out with UFFDIO_MOVE to a scratch page,
 *        store, UFFDIO_COPY, return        compressed into the store, EVICTED
 *   make a system call                   events (shim_events.c): reads the
 *     -> SIGSYS (syscall user dispatch)    userfaultfd: munmap, mremap,
 *     -> shim_sud.c: fault in and pin      madvise(DONTNEED/FREE) change records
 *        the pages the kernel will
 *        touch, run the call, unpin
 *
 * Each managed page has one 64-bit record (shim_table.c):
 *
 *   63          24 23         8 7   5 4 3 2   0
 *   +-------------+------------+-----+-+-+-----+
 *   |  store key  |    pins    |heat |P|I|state|
 *   +-------------+------------+-----+-+-+-----+
 *   (a RESIDENT page keeps there when it went on the FIFO: ring_seq())
 *   state: NONE (a hole, or a page we do not know about), RESIDENT,
 *          EVICTING (moved out, being stored), EVICTED (in the store under
 *          key), LOADING (being brought back)
 *   I: on the FIFO of faulted-in pages   P: the store refused it last time
 *   heat: turns the page still gets when the FIFO says it goes (CLOCK); set
 *         when it came back soon after it left (shim_fault.c)
 *   pins: system calls in flight on the page, and pages the kernel writes on
 *         its own (rseq, the thread id word, alternate signal stacks)
 *
 * Every transition is one compare-and-swap on the record, so that a page is
 * never evicted while pinned, nor brought back twice.
 *
 * The event lock (shim_lock.h): an event (munmap, mremap, madvise) is taken
 * off the userfaultfd under the write side, and the caller runs on as soon
 * as it is read, before the records are changed.  Whoever puts a page into
 * place (UFFDIO_COPY, UFFDIO_MOVE back) or looks a record up to do so holds
 * the read side, so that it never puts an old page where the program has
 * just dropped or moved one.
 *
 * Lock order: evict lock (the pager's batch) -> event lock -> a store's
 * own locks -> the allocator's, table's and ring's spin locks.  Signal
 * handlers run with every asynchronous signal blocked, so that a handler of
 * the program's never runs while one of ours holds a lock.
 */
#ifndef ZBUD_SHIM_H
#define ZBUD_SHIM_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "run_proto.h"
#include "shim_lock.h"

#define SHIM_PAGE 4096ul
#define PAGE_OF(a) ((uintptr_t)(a) & ~(SHIM_PAGE - 1))

#define SHIM_HIDDEN __attribute__((visibility("hidden")))

/* ---- page records (shim_table.c) ---- */
enum rec_state { REC_NONE, REC_RESIDENT, REC_EVICTING, REC_EVICTED, REC_LOADING };
#define REC_STATE       0x7ull
#define REC_IN_RING     (1ull << 3)
#define REC_POOR        (1ull << 4)
#define REC_HEAT_SHIFT  5
#define REC_HEAT_ONE    (1ull << REC_HEAT_SHIFT)
#define REC_HEAT        (7ull << REC_HEAT_SHIFT)
#define REC_PIN_SHIFT   8
#define REC_PIN_ONE     (1ull << REC_PIN_SHIFT)
#define REC_PINS        (0xffffull << REC_PIN_SHIFT)
#define REC_KEY_SHIFT   24

typedef _Atomic uint64_t rec_t;

static inline unsigned rec_state(uint64_t r) { return (unsigned)(r & REC_STATE); }
static inline uint64_t rec_key(uint64_t r) { return r >> REC_KEY_SHIFT; }
static inline uint64_t rec_make(unsigned state, uint64_t flags, uint64_t key)
{
	return (key << REC_KEY_SHIFT) | (flags & ~REC_STATE & ((1ull << REC_KEY_SHIFT) - 1)) | state;
}

SHIM_HIDDEN rec_t *table_rec(uintptr_t page, bool create);
/* Calls @fn on every record in [start, end) that exists. */
SHIM_HIDDEN void table_walk(uintptr_t start, uintptr_t end, void (*fn)(uintptr_t, rec_t *, void *),
			    void *arg);
SHIM_HIDDEN void table_reset(void);

/* The FIFO of faulted-in pages: the oldest are evicted first. */
SHIM_HIDDEN void ring_push(uintptr_t page);
SHIM_HIDDEN bool ring_pop(uintptr_t *page);
SHIM_HIDDEN size_t ring_len(void);
SHIM_HIDDEN uint64_t ring_seq(void);            /* pages pushed so far: a RESIDENT page's age */
SHIM_HIDDEN void ring_reset(void);

/* ---- the private allocator (shim_alloc.c): the store's memory is never managed ---- */
SHIM_HIDDEN void *shim_alloc(size_t size);
SHIM_HIDDEN void shim_free(void *p);
SHIM_HIDDEN void *shim_map(size_t len);         /* own pages, outside the managed set */
SHIM_HIDDEN void *shim_map_stack(size_t len);
SHIM_HIDDEN void shim_unmap(void *p, size_t len);
/* Whether [start, end) overlaps the pager's own memory; *own_end: where it stops. */
SHIM_HIDDEN bool own_overlap(uintptr_t start, uintptr_t end, uintptr_t *own_start, uintptr_t *own_end);
SHIM_HIDDEN uint64_t own_bytes(void);
/* No change to the pager's own mappings in flight, nor since *mark (0: none
 * yet; it is set): a scan of the maps between two true answers is sound. */
SHIM_HIDDEN bool own_settled(uint64_t *mark);
SHIM_HIDDEN void alloc_reset_after_fork(void);
/* Descriptors the pager opened: the program may not close them. */
SHIM_HIDDEN void shim_fd_add(int fd);
SHIM_HIDDEN void shim_fd_del(int fd);
SHIM_HIDDEN bool shim_fd_is_own(int fd);
SHIM_HIDDEN void shim_fd_close_all(int keep);

/* ---- raw system calls from the dispatch-allowed code (shim_asm.S, shim_sud.c) ---- */
long shim_syscall6(long nr, long a, long b, long c, long d, long e, long f) SHIM_HIDDEN;
#define SYS0(nr) shim_syscall6((nr), 0, 0, 0, 0, 0, 0)
#define SYS1(nr, a) shim_syscall6((nr), (long)(a), 0, 0, 0, 0, 0)
#define SYS2(nr, a, b) shim_syscall6((nr), (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(nr, a, b, c) shim_syscall6((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS4(nr, a, b, c, d) shim_syscall6((nr), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define SYS6(nr, a, b, c, d, e, f) \
	shim_syscall6((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* ---- the userfaultfd (shim_uffd.c) ---- */
SHIM_HIDDEN int uffd_open(unsigned flags, char *why, size_t len);
SHIM_HIDDEN int uffd_register(uintptr_t start, size_t len);
SHIM_HIDDEN int uffd_copy(uintptr_t dst, const void *src);      /* 0 or -errno */
SHIM_HIDDEN int uffd_zeropage(uintptr_t dst);
SHIM_HIDDEN long uffd_move(uintptr_t dst, uintptr_t src, size_t len); /* bytes moved, or -errno */
SHIM_HIDDEN uintptr_t scratch_take(unsigned n); /* n free scratch pages in a row; 0: full */
SHIM_HIDDEN void scratch_recycle(void);         /* drop every used scratch page */
SHIM_HIDDEN bool in_scratch(uintptr_t a);
SHIM_HIDDEN int scratch_init(void);

/* ---- the managed address ranges (shim_regions.c) ---- */
SHIM_HIDDEN bool regions_contains(uintptr_t page);
SHIM_HIDDEN int regions_scan(void);             /* register what is new; pager thread */
SHIM_HIDDEN void regions_forget(uintptr_t start, uintptr_t end);
SHIM_HIDDEN void regions_move(uintptr_t from, uintptr_t to, size_t len);
SHIM_HIDDEN void regions_exclude(uintptr_t start, uintptr_t end);  /* never manage */
SHIM_HIDDEN void regions_add(uintptr_t start, uintptr_t end, bool fresh);
SHIM_HIDDEN void regions_unmanage(uintptr_t start, uintptr_t end); /* give back, forget */
SHIM_HIDDEN void regions_unmanage_all(const char *why);
SHIM_HIDDEN int regions_init(void);
SHIM_HIDDEN uint64_t regions_bytes(void);
SHIM_HIDDEN uint64_t pages_in_place(uintptr_t start, unsigned n);   /* n <= 64: a bit each */
SHIM_HIDDEN void regions_reset(void);

/* ---- fault-in (shim_fault.c) ---- */
SHIM_HIDDEN int fault_in(uintptr_t page, bool write);   /* 0, or -errno: page not ours */
/* The same, without waiting for the pager when over the limit (the caller does). */
SHIM_HIDDEN int fault_in_only(uintptr_t page, bool write);
SHIM_HIDDEN void on_sigbus(int sig, siginfo_t *si, void *uc);
SHIM_HIDDEN int pin_page(uintptr_t page);               /* 0, or -ENOENT: not managed */
SHIM_HIDDEN void unpin_page(uintptr_t page);
SHIM_HIDDEN void restore_all(void);                     /* bring back every evicted page */
SHIM_HIDDEN void drop_record(uintptr_t page, rec_t *r); /* the program dropped the page */

/* ---- eviction (shim_evict.c) ---- */
/* EV_FULL: refused, and so would any page be now (the pool, the writeback file) */
enum evict_result { EV_DONE, EV_REFUSED, EV_FULL, EV_SKIPPED, EV_NO_SCRATCH, EV_AGED };
SHIM_HIDDEN enum evict_result evict(uintptr_t page);
/* Keys of refused pages kept raw until their next touch ("limbo"). */
#define LIMBO_KEY (1ull << 39)
SHIM_HIDDEN bool limbo_read(uint64_t key, void *dst);
SHIM_HIDDEN void limbo_drop(uint64_t key);
SHIM_HIDDEN void limbo_reset(void);

/* ---- pager and events (shim_pager.c, shim_events.c) ---- */
SHIM_HIDDEN int pager_start(void);
SHIM_HIDDEN void pager_kick(void);
SHIM_HIDDEN void pager_reclaim_direct(void);
SHIM_HIDDEN void pager_pause(void);             /* no eviction until pager_resume() */
SHIM_HIDDEN void pager_resume(void);
SHIM_HIDDEN int shim_thread(void *(*fn)(void *));
SHIM_HIDDEN void shim_thread_signals(sigset_t *set);
SHIM_HIDDEN int events_start(void);
SHIM_HIDDEN void events_wait_idle(void);

/* ---- system calls (shim_sud.c, shim_sysargs.c, shim_signals.c) ---- */
SHIM_HIDDEN int sud_init(char *why, size_t len);
SHIM_HIDDEN void sud_enable_thread(void);
SHIM_HIDDEN void sud_off(void);
SHIM_HIDDEN uintptr_t sud_restorer(void);
SHIM_HIDDEN extern atomic_long shim_clone_hold;   /* clones in flight: no eviction */

struct sys_call {
	long nr;
	long a[6];
	uint64_t mask_copy;             /* a signal mask the call waits under, cleaned */
	long psel[2];                   /* pselect6's sigset argument, cleaned */
};
/* Pin and fault in the pages @c will hand to the kernel; shim_sysargs.c. */
struct pin_set;
SHIM_HIDDEN void sysargs_prepare(const struct sys_call *c, struct pin_set *ps);
SHIM_HIDDEN bool sysargs_may_block(long nr);

#define PIN_RANGES 64
struct pin_set {
	unsigned n;
	bool overflow;                  /* more ranges than fit: the pager paused */
	uintptr_t start[PIN_RANGES], end[PIN_RANGES];
};
SHIM_HIDDEN void pins_add(struct pin_set *ps, uintptr_t p, size_t len);
SHIM_HIDDEN void pins_release(struct pin_set *ps);
SHIM_HIDDEN void pins_add_forever(uintptr_t p, size_t len);
SHIM_HIDDEN bool touch_string(const char *s, struct pin_set *ps);

/* Signal system calls, emulated so that SIGBUS and SIGSYS stay ours. */
SHIM_HIDDEN bool signals_emulate(struct sys_call *c, ucontext_t *uc, long *ret);
SHIM_HIDDEN void signals_forward(int sig, siginfo_t *si, void *uc);
SHIM_HIDDEN int signals_install(int sig, void (*fn)(int, siginfo_t *, void *));
SHIM_HIDDEN void signals_block_async(sigset_t *old);
SHIM_HIDDEN void signals_restore(const sigset_t *old);
SHIM_HIDDEN void signals_reset_after_fork(void);

/* ---- counters and the stats slot (shim_stats.c) ---- */
struct shim_counters {
	atomic_uint_least64_t resident, resident_peak, faults, zero_fills, evictions,
		kept_resident, syscalls, prefaults, events, fault_ns, pager_ns, throttle_ns,
		moves_recounted;
	atomic_uint_least64_t hist[RUN_HIST_BUCKETS];
};
SHIM_HIDDEN extern struct shim_counters shim_count;
SHIM_HIDDEN void stats_attach(void);
SHIM_HIDDEN void stats_publish(int state, const char *note);
SHIM_HIDDEN void stats_fault_time(uint64_t ns);
SHIM_HIDDEN uint64_t now_ns(void);
SHIM_HIDDEN void resident_add(int64_t n);

/* ---- the process-wide state (shim_init.c) ---- */
struct shim {
	bool on;                        /* managing this process */
	bool failed;                    /* stopped with an error */
	unsigned flags;                 /* RUN_FLAG_* */
	int uffd;
	pid_t pid;
	uint64_t limit_pages;
	uint64_t pool_limit;
	const char *compressor, *zpool;
	char writeback[4096];           /* the file of this process's store, or "" */
	struct zswap *store;
	atomic_uint_least64_t next_key;
	struct shim_rwlock evlock;      /* events vs. putting pages into place */
	atomic_int loading;             /* fault-ins in flight (fork waits for none) */
	atomic_uint epoch;              /* bumped when a page leaves EVICTING/LOADING */
	long brk;                       /* the program break, as last seen */
	bool child_pending;             /* a fork child that must start its own pager */
};
SHIM_HIDDEN extern struct shim shim;

/* Stop the program: a page cannot be given back.  Never returns. */
SHIM_HIDDEN void shim_fatal(const char *what, uintptr_t page, int err) __attribute__((noreturn));
SHIM_HIDDEN void shim_child_after_fork(void);
SHIM_HIDDEN bool shim_start(void);
SHIM_HIDDEN void stats_detach(void);
SHIM_HIDDEN void shim_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
SHIM_HIDDEN void epoch_wait(unsigned seen);     /* until a page changes state */
SHIM_HIDDEN void epoch_bump(void);              /* a page left EVICTING or LOADING */
/* The pager thread is evicting a page: it must not wait for one. */
extern __thread int shim_evicting __attribute__((tls_model("initial-exec"), visibility("hidden")));
/* This thread must not evict on its own (the pager's threads, a reclaim in progress). */
extern __thread int shim_no_reclaim __attribute__((tls_model("initial-exec"), visibility("hidden")));

#endif /* ZBUD_SHIM_H */
