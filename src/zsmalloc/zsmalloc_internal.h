/*
 * zsmalloc_internal.h - the zsmalloc pool's layout, shared by its files
 * (internal): zsmalloc.c (classes, zspages, alloc and free), zsmalloc_map.c,
 * zsmalloc_compact.c, zsmalloc_check.c and zpool_zsmalloc.c
 *
 * Linux's mm/zsmalloc.c with its metadata out of line.  Objects are grouped
 * by size class; each class packs its objects into zspages of 1 to 16
 * pages (its chain), which need not be contiguous, and an object may
 * straddle a page boundary:
 *
 *   zspage of class 1488 (4 pages, 11 slots), pages 7 -> 12 -> 3 -> 9
 *   |  page 7        |  page 12       |  page 3        |  page 9        |
 *   [ 0 ][ 1 ][ 2 ..|..][ 3 ][ 4 ][ 5..|..][ 6 ][ 7 ][..8..|..][ 9 ][ 10 ]..
 *
 * Two geometries (zs_create_pool()'s struct zs_config):
 *
 *  - the kernel's (Linux 6.3 on, for fidelity): classes 16 bytes apart, each
 *    with the chain of up to `chain` pages that wastes least, adjacent
 *    classes with the same chain and slots merged, and every object 8 bytes
 *    larger (the kernel keeps its handle in it).  A zspage has all its pages
 *    from the start.
 *  - ours, dense (the default): the same chains, but every 16-byte class its
 *    own, and a zspage that holds only the pages its slots reach.  It starts
 *    with one page and takes the next when its present slots are all in
 *    use; compaction packs each class's partly used zspages low and gives
 *    back the pages no object reaches any more.  The
 *    class's last zspage then costs at most its last page, not a whole
 *    chain: 1.025x the ideal pages in order on the Python-heap sizes with
 *    chains of 8, against the kernel geometry's 1.044x.
 *
 *   cap[c]: the slots wholly inside c pages (all of them at the full chain)
 *   zspage of class 1488 with 2 of its 4 pages: slots 0..4 present, 5..10 not
 *
 * Each page has a 32-byte descriptor in the page source's dense array
 * (struct zs_page), linked to the next page of its zspage; the first page's
 * also describes the zspage: its objects in use and a bitmap of its free
 * slots.  A bitmap holds 128 slots; the rare zspage with more (the 48-byte
 * class: 256) continues it in its second page's descriptor.  The kernel
 * keeps free slots on a list through the free slots themselves, so that
 * every allocation and every free touches a data page: at 200k objects that
 * is a cache and a TLB miss each, more than all the rest costs.
 *
 * Zspages of a class are in the kernel's fullness groups:
 *
 *   class->list[ZS_ALMOST_EMPTY]  in use <= 3/4 of the slots
 *   class->list[ZS_ALMOST_FULL]   in use >  3/4, not full
 *   ZS_FULL                       all slots in use: on no list
 *
 * A zspage changes lists only when its group changes, and goes to the head
 * of the new list unless it has fewer objects than the head, then right
 * after it; allocation takes the head of ZS_ALMOST_FULL, else of
 * ZS_ALMOST_EMPTY, and in it the lowest free slot.  ZS_EMPTY zspages are
 * freed at once.  Nothing walks the kernel's ZS_FULL list, so a full
 * zspage is on no list: the class's zspages less those listed are full.
 * Nor do the calls keep the kernel's per-class counts: zs_class_stat()
 * counts them from the lists when asked.
 *
 * That is the kernel geometry.  Ours has one list: almost_full is 1, so
 * every zspage in use and not full is on ZS_ALMOST_FULL, always at its head
 * (measured on the Python-heap churn of `zbud bench alloc`: the same pages
 * at 1k, 20k and 200k live, and without the groups' branches 32 -> 24 ns a
 * pair at 1k live).
 *
 * Handles: a handle is 1 + an index into the handle table, a reserved range
 * of address space committed as it grows, whose entry holds the object's
 * current place.  Compaction moves the object and rewrites the entry; the
 * handle never changes.  Where a long has 64 bits, its upper half holds 1 +
 * the zspage the object was first put in: a hint, so that a free (or a map)
 * can fetch that zspage's descriptor while it reads the entry, rather than
 * after; the entry alone says where the object is.  At 200k live objects
 * both are cache misses, and one after the other they cost a free twice
 * zbud's.  A live entry:
 *
 *   63    62      61 .. 56   55 ............ 24   23 .. 16   15 .... 0
 *   LIVE  MOVING  maps       zspage's first page   class      slot
 *
 * A free entry has LIVE clear and the next free index in its low 32 bits.
 * The kernel keeps each object's handle in the object's first 8 bytes, so
 * that compaction can find it; here compaction walks the handle table
 * instead, and objects are stored at their exact class size.
 *
 * Locking: one pool lock, as zbud's, for everything but map and unmap; lock
 * order is pool->lock, then nothing.  A map takes no lock: it adds one to the
 * `maps` field of the entry (a compare-and-swap) and unmap takes it off.
 * Compaction moves an object only by turning an entry with no maps into
 * MOVING, copying, and publishing the new place; it skips objects that are
 * mapped, and a map that finds MOVING waits for that one copy.  So any
 * thread may map any live handle at any time, as zbud; a straddling object
 * is copied to a buffer of the mapping thread's, which has two, so a thread
 * may hold two straddling maps at once (the kernel: one per CPU).
 */
#ifndef ZBUD_ZSMALLOC_INTERNAL_H
#define ZBUD_ZSMALLOC_INTERNAL_H

#include <assert.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bits.h"
#include "debug.h"
#include "lock.h"
#include "page_source.h"

/* Slots start 16 bytes apart, from 32 bytes (the kernel's ZS_MIN_ALLOC_SIZE
 * and ZS_SIZE_CLASS_DELTA for 4 KiB pages) up to a whole page. */
#define ZS_MIN_ALLOC_SIZE 32
#define ZS_MAX_ALLOC_SIZE ZBUD_PAGE_SIZE
#define ZS_SIZE_CLASS_DELTA 16
#define ZS_SIZE_CLASSES \
	((int)((ZS_MAX_ALLOC_SIZE - ZS_MIN_ALLOC_SIZE) / ZS_SIZE_CLASS_DELTA + 1)) /* 255 */

/* The longest chain: Linux's CONFIG_ZSMALLOC_CHAIN_SIZE goes up to 16, and
 * zs_page.index has 4 bits.  The default is the kernel's default, 8: longer
 * chains waste less at the end of each zspage, but each class's last,
 * partly used zspage grows with them (in the kernel's geometry). */
#define ZS_MAX_PAGES_PER_ZSPAGE 16
#define ZS_CHAIN_DEFAULT 8
/* The most slots of a zspage: no class has more than 256 (the 48-byte one,
 * 3 pages; 80 bytes, 5 pages; ...): a chain stops growing when a page ends
 * on a slot's end, and 16 * 4096 / 256 = 256. */
#define ZS_MAX_OBJS_PER_ZSPAGE 256
/* What the kernel adds to each object for its handle (ZS_HANDLE_SIZE). */
#define ZS_HANDLE_SIZE 8

/* The kernel's fullness_threshold_frac: a zspage at most 3/4 used is
 * ZS_ALMOST_EMPTY. */
#define ZS_FULLNESS_THRESHOLD_FRAC 4

#define ZS_OBJ_NIL UINT16_MAX

/* Per-class counts, as the kernel's class_stat_type: counted from the
 * class's lists when asked (zs_class_stat()), not kept by every call. */
enum zs_stat {
	ZS_EMPTY,               /* zspages by fullness group; ZS_EMPTY is */
	ZS_ALMOST_EMPTY,        /* always 0 between calls (freed at once) */
	ZS_ALMOST_FULL,
	ZS_FULL,
	ZS_OBJ_ALLOCATED,       /* slots in the class's zspages */
	ZS_OBJ_USED,            /* live objects */
	ZS_NR_STATS
};

/* ---- Handle table entries ---- */

#define ZS_LOC_CLASS_SHIFT 16
#define ZS_LOC_FIRST_SHIFT 24
#define ZS_ENTRY_MAPS_SHIFT 56
#define ZS_ENTRY_MAP_ONE (1ULL << ZS_ENTRY_MAPS_SHIFT)
#define ZS_ENTRY_MAPS_MAX 63ULL
#define ZS_ENTRY_MAPS (ZS_ENTRY_MAPS_MAX << ZS_ENTRY_MAPS_SHIFT)
#define ZS_ENTRY_MOVING (1ULL << 62)
#define ZS_ENTRY_LIVE (1ULL << 63)
#define ZS_HANDLE_NIL UINT32_MAX

static inline uint64_t zs_loc(uint32_t first, unsigned int slot, unsigned int class_idx)
{
	return ZS_ENTRY_LIVE | (uint64_t)first << ZS_LOC_FIRST_SHIFT |
	       (uint64_t)class_idx << ZS_LOC_CLASS_SHIFT | slot;
}

static inline uint32_t zs_loc_first(uint64_t e)
{
	return (uint32_t)(e >> ZS_LOC_FIRST_SHIFT);
}

static inline unsigned int zs_loc_class(uint64_t e)
{
	return (unsigned int)(e >> ZS_LOC_CLASS_SHIFT) & 0xff;
}

static inline unsigned int zs_loc_slot(uint64_t e)
{
	return (unsigned int)e & 0xffff;
}

static inline unsigned int zs_entry_maps(uint64_t e)
{
	return (unsigned int)((e & ZS_ENTRY_MAPS) >> ZS_ENTRY_MAPS_SHIFT);
}

/* The place of a live entry, without its map count and MOVING bit. */
static inline uint64_t zs_entry_place(uint64_t e)
{
	return e & ~(ZS_ENTRY_MAPS | ZS_ENTRY_MOVING);
}

/* ---- Handles ---- */

#define ZS_HINT_SHIFT 32

/* The table index of @handle; a handle of index 0xffffffff is no handle. */
static inline uint32_t zs_handle_index(unsigned long handle)
{
	return (uint32_t)handle - 1;
}

static inline unsigned long zs_handle_make(uint32_t idx, uint32_t first)
{
#if ULONG_MAX > 0xffffffffUL
	return (unsigned long)((uint64_t)(first + 1u) << ZS_HINT_SHIFT | (idx + 1u));
#else
	(void)first;
	return idx + 1u;
#endif
}

/* The zspage @handle was first put in, or ZBUD_PAGE_NIL: a hint only. */
static inline uint32_t zs_handle_hint(unsigned long handle)
{
#if ULONG_MAX > 0xffffffffUL
	return (uint32_t)((uint64_t)handle >> ZS_HINT_SHIFT) - 1u;
#else
	(void)handle;
	return ZBUD_PAGE_NIL;
#endif
}

/* ---- Structures ---- */

/* Slots whose free bits one descriptor holds. */
#define ZS_SLOTS_PER_DESC 128

/* The descriptor of every page; zspage fields are the first page's. */
struct zs_page {
	uint32_t next;          /* next page of the zspage, ZBUD_PAGE_NIL after the
				   last; first, as the page source links free
				   pages through these 4 bytes */
	uint8_t class_idx;
	uint8_t flags : 4;      /* ZS_PAGE_* */
	uint8_t index : 4;      /* which page of its zspage */
	union {
		struct {
			uint16_t inuse : 12; /* first page: objects in the zspage,
						whose fullness group says which
						list it is on */
			uint16_t pages : 4; /* first page: its pages now, less one */
		};
		/* inuse in its low 12 bits (the ABI's order): a free or an
		 * allocation adds or takes one here, a plain increment where the
		 * bit-field's costs a read-modify-write of ten instructions; it
		 * never carries into pages, as inuse stays below 4095. */
		uint16_t inuse_word;
	};
	union {
		struct {
			uint32_t next, prev;
		} list;         /* first page: along its group's list (the
				   head's prev is left as it was) */
		uint32_t first; /* other pages: the zspage's first page */
	};
	uint64_t free[ZS_SLOTS_PER_DESC / 64]; /* bit: slot 128 * index + bit is free */
};

enum {
	ZS_PAGE_USED = 0x1,     /* part of a zspage (else on the source's stacks) */
	ZS_PAGE_ISOLATED = 0x2, /* first page: a compaction source, on no list */
};

struct size_class {
	uint16_t size;          /* slot size */
	uint16_t objs_per_zspage; /* at its full chain */
	uint16_t almost_full;   /* the fewest objects in use of ZS_ALMOST_FULL */
	uint8_t pages_per_zspage; /* its chain */
	uint8_t index;          /* its own index: the largest of those merged */
	uint32_t list[ZS_FULL]; /* ZS_ALMOST_EMPTY, ZS_ALMOST_FULL: heads or ZBUD_PAGE_NIL */
	uint64_t zspages;       /* made, less freed */
	uint64_t present;       /* slots in their pages now (ZS_OBJ_ALLOCATED) */
	uint16_t cap[ZS_MAX_PAGES_PER_ZSPAGE + 1]; /* slots present with c pages */
} __attribute__((aligned(128))); /* a shift indexes the array, not a multiply's three
				    instructions, each call */

struct zs_handles {
	_Atomic uint64_t *table;        /* vm.base: reserved for `capacity` entries */
	struct zbud_vm vm;
	uint32_t capacity;
	_Atomic uint32_t committed;     /* [0, committed) are read-write; read
					   without the lock by map */
	uint32_t next;                  /* [next, capacity) were never given */
	uint32_t free_head;             /* free entries below next, or NIL
					   (zs_get_stats() counts them) */
};

/* A pool's geometry (zsmalloc.c draws both). */
struct zs_config {
	unsigned int chain;     /* the longest chain, 1..16; 0: ZS_CHAIN_DEFAULT */
	bool kernel;            /* the kernel's classes and whole zspages, else ours */
	bool handle;            /* each size 8 bytes larger, as the kernel's */
};

struct zs_pool {
	struct zbud_debug debug;                /* a debug build's operation count */
	bool grow;                      /* zspages grow and shrink (ours) */
	uint8_t handle_bytes;           /* added to each size (the kernel's: 8) */
	struct zbud_lock lock;
	struct zbud_source src;
	struct zs_handles handles;
	_Atomic uint64_t pages_nr;      /* read without the lock */
	uint8_t class_of[ZS_SIZE_CLASSES]; /* size index -> its class (merging) */
	/* (size + handle_bytes + 15) / 16 -> its class: class_of[] of the size's
	 * index, looked up at once */
	uint8_t class_by_size[(ZS_MAX_ALLOC_SIZE + ZS_HANDLE_SIZE) / ZS_SIZE_CLASS_DELTA + 2];
	struct size_class class[ZS_SIZE_CLASSES]; /* those that are their own */
};

static inline struct zs_page *zs_page(const struct zs_pool *pool, uint32_t pgno)
{
	return (struct zs_page *)pool->src.meta + pgno;
}

/* Where a free of @handle looks, before the entry @e has arrived: the
 * handle's hint, which the caller checks against the entry (compaction
 * leaves hints stale), or where a long has no room for one, the entry's. */
static inline uint32_t zs_free_first(unsigned long handle, uint64_t e)
{
#if ULONG_MAX > 0xffffffffUL
	(void)e;
	return zs_handle_hint(handle);
#else
	(void)handle;
	return zs_loc_first(e);
#endif
}

/* Fetch the descriptor @handle's hint names (the descriptor array is fixed
 * at creation: no lock needed); a handle that is not this pool's may name
 * any address, but a prefetch never faults, so there is no bounds check. */
static inline void zs_prefetch_hint(const struct zs_pool *pool, unsigned long handle)
{
	__builtin_prefetch((const void *)((uintptr_t)pool->src.meta +
					  (uintptr_t)zs_handle_hint(handle) * sizeof(struct zs_page)), 1);
}

/* The pages of the zspage at @first, now. */
static inline unsigned int zs_npages(const struct zs_pool *pool, uint32_t first)
{
	return zs_page(pool, first)->pages + 1u;
}

/* Whether the zspage at @first has a free slot among its present ones. */
static inline bool zs_room(const struct zs_pool *pool, const struct size_class *class,
			   uint32_t first)
{
	return zs_page(pool, first)->inuse < class->cap[zs_npages(pool, first)];
}

/* The first page of @pgno's zspage. */
static inline uint32_t zs_first(const struct zs_pool *pool, uint32_t pgno)
{
	const struct zs_page *zp = zs_page(pool, pgno);

	return zp->index ? zp->first : pgno;
}

/* The kernel's get_fullness_group(); almost_full is 3/4 of the slots + 1. */
static inline int zs_fullness(const struct size_class *class, unsigned int inuse)
{
	if (inuse == 0)
		return ZS_EMPTY;
	if (inuse == class->objs_per_zspage)
		return ZS_FULL;
	return inuse < class->almost_full ? ZS_ALMOST_EMPTY : ZS_ALMOST_FULL;
}

/* ---- Fullness groups: zsmalloc.c and zsmalloc_compact.c ---- */

/* Inline here, not called across files: each runs on every alloc and free. */

/* The kernel's insert_zspage() into group @fg: at the head of its list,
 * unless the head has more objects in use, then right after it. */
static inline void group_add(struct zs_pool *pool, struct size_class *class, uint32_t first,
			     int fg)
{
	struct zs_page *zp = zs_page(pool, first);
	uint32_t head, prev = ZBUD_PAGE_NIL, next;

	if (fg == ZS_FULL)
		return;
	head = next = class->list[fg];
	if (!pool->grow && head != ZBUD_PAGE_NIL && zp->inuse < zs_page(pool, head)->inuse) {
		prev = head;
		next = zs_page(pool, head)->list.next;
	}
	zp->list.prev = prev;
	zp->list.next = next;
	if (next != ZBUD_PAGE_NIL)
		zs_page(pool, next)->list.prev = first;
	if (prev != ZBUD_PAGE_NIL)
		zs_page(pool, prev)->list.next = first;
	else
		class->list[fg] = first;
}

static inline void group_del(struct zs_pool *pool, struct size_class *class, uint32_t first,
			     int fg)
{
	const struct zs_page *zp = zs_page(pool, first);

	if (fg == ZS_FULL)
		return;
	if (class->list[fg] == first)
		class->list[fg] = zp->list.next;
	else
		zs_page(pool, zp->list.prev)->list.next = zp->list.next;
	if (zp->list.next != ZBUD_PAGE_NIL)
		zs_page(pool, zp->list.next)->list.prev = zp->list.prev;
}

static inline void insert_zspage(struct zs_pool *pool, struct size_class *class, uint32_t first)
{
	group_add(pool, class, first, zs_fullness(class, zs_page(pool, first)->inuse));
}

static inline void remove_zspage(struct zs_pool *pool, struct size_class *class, uint32_t first)
{
	group_del(pool, class, first, zs_fullness(class, zs_page(pool, first)->inuse));
}

/*
 * The kernel's fix_fullness_group() after one object more or less, @hi
 * being the more of the two counts: the group changes only across
 * almost_full - 1 | almost_full and slots - 1 | slots (0 | 1, a zspage made
 * or freed, is its caller's).
 */
static inline void fix_fullness_group(struct zs_pool *pool, struct size_class *class,
				      uint32_t first, unsigned int was, unsigned int hi)
{
	if (hi != class->almost_full && hi != class->objs_per_zspage)
		return;
	group_del(pool, class, first, zs_fullness(class, was));
	group_add(pool, class, first, zs_fullness(class, zs_page(pool, first)->inuse));
}

/* The kernel's find_get_zspage(): where the next object goes, or ZBUD_PAGE_NIL. */
static inline uint32_t find_get_zspage(const struct size_class *class)
{
	/* A select: whether a zspage is almost full is a coin toss. */
	return zbud_pick(class->list[ZS_ALMOST_FULL] != ZBUD_PAGE_NIL,
			 class->list[ZS_ALMOST_FULL], class->list[ZS_ALMOST_EMPTY]);
}

/*
 * Ours keeps one list, and allocation takes its head: so an allocation
 * that fills its zspage takes the head off, and a free that opens a full
 * zspage makes it the head.  Both by selects, not branches: with a few
 * objects a class, whether a call fills or opens its zspage is a coin toss.
 * Each writes every field the move may touch, its old value back when
 * there is no move; the select compares the object count itself
 * (zbud_pick_eq()).  As a head's back link means nothing, popping the head
 * leaves the next one's as it was.
 */
static inline void pop_head_if_full(struct zs_pool *pool, struct size_class *class,
				    uint32_t first, unsigned int n)
{
	assert(class->list[ZS_ALMOST_FULL] == first);
	class->list[ZS_ALMOST_FULL] = zbud_pick_eq(n, class->objs_per_zspage,
						   zs_page(pool, first)->list.next, first);
}

static inline void push_head_if_was_full(struct zs_pool *pool, struct size_class *class,
					 uint32_t first, unsigned int n)
{
	struct zs_page *zp = zs_page(pool, first);
	uint32_t head = class->list[ZS_ALMOST_FULL], was = n + 1, full = class->objs_per_zspage;
	/* the old head's back link, or (none) ours, which as the head's means
	 * nothing */
	struct zs_page *before = zs_page(pool, zbud_pick_eq(head, ZBUD_PAGE_NIL, first, head));

	before->list.prev = zbud_pick_eq(was, full, first, before->list.prev);
	zp->list.next = zbud_pick_eq(was, full, head, zp->list.next);
	class->list[ZS_ALMOST_FULL] = zbud_pick_eq(was, full, first, head);
}

/* fix_fullness_group() after a free left @n objects of a zspage, at least
 * one: the same moves, with the groups known from @n alone. */
static inline void regroup_after_free(struct zs_pool *pool, struct size_class *class,
				      uint32_t first, unsigned int n)
{
	if (pool->grow) {
		push_head_if_was_full(pool, class, first, n);
		return;
	}
	if (n + 1 == class->objs_per_zspage) {
		group_add(pool, class, first,
			  n < class->almost_full ? ZS_ALMOST_EMPTY : ZS_ALMOST_FULL);
	} else if (n + 1 == class->almost_full) {
		group_del(pool, class, first, ZS_ALMOST_FULL);
		group_add(pool, class, first, ZS_ALMOST_EMPTY);
	}
}

/* ---- Slots ---- */

/* The page @n pages along the zspage from @pgno. */
static inline uint32_t page_along(const struct zs_pool *pool, uint32_t pgno, unsigned int n)
{
	while (n--)
		pgno = zs_page(pool, pgno)->next;
	return pgno;
}

/* The descriptor holding the free bit of slot @slot: the first page's, but
 * for slots past 128 (the 48-byte class). */
static inline struct zs_page *bits_of(const struct zs_pool *pool, uint32_t first,
				      unsigned int slot)
{
	if (slot < ZS_SLOTS_PER_DESC)
		return zs_page(pool, first);
	return zs_page(pool, page_along(pool, first, slot / ZS_SLOTS_PER_DESC));
}

/* Whether slot @slot of the zspage at @first is free, by its bitmap. */
static inline bool slot_free(const struct zs_pool *pool, uint32_t first, unsigned int slot)
{
	const struct zs_page *bits = bits_of(pool, first, slot);

	slot %= ZS_SLOTS_PER_DESC;
	return bits->free[slot / 64] & 1ULL << slot % 64;
}

/* Clear the lowest set bit of the descriptor @bits, which has one: its
 * number, 0 to 127. */
static inline unsigned int bits_take(struct zs_page *bits)
{
	unsigned int w = !bits->free[0], bit = w * 64 + (unsigned int)__builtin_ctzll(bits->free[w]);

	bits->free[w] &= bits->free[w] - 1;
	return bit;
}

/* One object more in the zspage whose first page is @zp. */
static inline void obj_count_up(struct zs_page *zp)
{
	zp->inuse_word++;
	assert(zp->inuse && zp->inuse <= ZS_MAX_OBJS_PER_ZSPAGE);
}

/* Take the lowest free slot of the first 128, one of which is free, and
 * count it: obj_malloc()'s common case. */
static inline unsigned int obj_take(struct zs_page *zp)
{
	obj_count_up(zp);
	return bits_take(zp);
}

/* Take the zspage's lowest free slot; its group is the caller's to fix. */
static inline unsigned int obj_malloc(struct zs_pool *pool, uint32_t first)
{
	struct zs_page *zp = zs_page(pool, first), *bits = zp;
	unsigned int base = 0;

	while (!(bits->free[0] | bits->free[1])) {
		bits = zs_page(pool, bits->next);
		base += ZS_SLOTS_PER_DESC;
	}
	obj_count_up(zp);
	return base + bits_take(bits);
}

static inline void obj_free(struct zs_pool *pool, uint32_t first, unsigned int slot)
{
	struct zs_page *bits = bits_of(pool, first, slot);

	slot %= ZS_SLOTS_PER_DESC;
	bits->free[slot / 64] |= 1ULL << slot % 64;
	assert(zs_page(pool, first)->inuse);
	zs_page(pool, first)->inuse_word--;
}

/* zsmalloc.c: free an empty zspage that is in no group. */
void zs_free_zspage(struct zs_pool *pool, struct size_class *class, uint32_t first);
/* zsmalloc.c, ours: one more page for a zspage that is short of its chain;
 * 0 or -ENOMEM.  And the zspage's trailing pages no object touches, given
 * back (not the first); returns how many. */
int zs_grow_zspage(struct zs_pool *pool, struct size_class *class, uint32_t first);
unsigned int zs_shrink_zspage(struct zs_pool *pool, struct size_class *class, uint32_t first);

/* zsmalloc_map.c: copy an object's slot out of, or into, the pages it may
 * straddle. */
void zs_copy_from_obj(const struct zs_pool *pool, char *buf, uint64_t place);
void zs_copy_to_obj(const struct zs_pool *pool, uint64_t place, const char *buf);

/* ---- The pool's calls; src/zpool/driver_zsmalloc.c makes them a zpool driver ---- */

/* How a map is used, as the kernel's own enum zs_mapmode (not zpool's): a
 * straddling object is copied in unless WO, and back out unless RO. */
enum zs_mapmode {
	ZS_MM_RW,       /* read and write */
	ZS_MM_RO,       /* read only */
	ZS_MM_WO,       /* write only: the old contents need not be read */
};

/* zs_create_pool - a pool of pages from @source, of geometry @cfg (NULL:
 * ours, chains of up to ZS_CHAIN_DEFAULT); NULL with errno ENOMEM, or EINVAL
 * for a chain over 16 or a bad source */
struct zs_pool *zs_create_pool(const struct zbud_source_config *source,
			       const struct zs_config *cfg);
void zs_destroy_pool(struct zs_pool *pool);
/* 0, -EINVAL (size 0), -ENOSPC (over a page), -ENOMEM; a failed call changes
 * nothing. */
int zs_malloc(struct zs_pool *pool, size_t size, unsigned long *handle);
/* A handle that is not live is ignored. */
void zs_free(struct zs_pool *pool, unsigned long handle);
/* NULL for a handle that is not live, or for a straddling object when the
 * thread already holds ZS_MAP_AREAS (2) straddling maps. */
void *zs_map_object(struct zs_pool *pool, unsigned long handle, enum zs_mapmode mm);
void zs_unmap_object(struct zs_pool *pool, unsigned long handle);
uint64_t zs_get_total_pages(struct zs_pool *pool);
/* zs_compact - pages freed, or -ENOMEM (no memory to plan: nothing moved) */
int64_t zs_compact(struct zs_pool *pool);

/* The class that objects of @size go to, or NULL for sizes out of range. */
const struct size_class *zs_size_class(const struct zs_pool *pool, size_t size);

/* ---- zsmalloc_check.c ---- */

struct zs_stats {
	uint64_t pages;
	uint64_t zspages;
	uint64_t objects;
	uint64_t handles_given;         /* the handle table's high-water mark */
	uint64_t handles_free;          /* on its free list */
	uint64_t meta_bytes;            /* descriptors, handle table, pool */
	uint64_t class_stat[ZS_SIZE_CLASSES][ZS_NR_STATS]; /* by class index */
};

/* zs_class_stat - @class's counts, from a walk of its lists: a zspage on
 * none is full (but while compaction holds it isolated) */
void zs_class_stat(const struct zs_pool *pool, const struct size_class *class,
		   uint64_t stat[ZS_NR_STATS]);
/* zs_check_pool - walk everything; 0 or -EUCLEAN with @msg (-ENOMEM) */
int zs_check_pool(struct zs_pool *pool, char *msg, size_t len);
void zs_get_stats(struct zs_pool *pool, struct zs_stats *st);
/* Where a live handle's object is: its zspage's first page and its slot
 * there.  Returns false for a handle that is not live. */
bool zs_handle_slot(struct zs_pool *pool, unsigned long handle, uint32_t *first,
		    unsigned int *slot);
uint64_t zs_meta_bytes(const struct zs_pool *pool);
/* zs_walk_pages - @fn for each page of a zspage, in page order, under the
 * pool lock; stops at @fn's first nonzero return and returns it, else 0 */
int zs_walk_pages(struct zs_pool *pool,
		  int (*fn)(const struct zs_pool *pool, uint32_t pgno, void *arg), void *arg);

#endif /* ZBUD_ZSMALLOC_INTERNAL_H */
