/*
 * zsmalloc_model.h - the reference model of test_zsmalloc_model.c: zsmalloc's
 * placement rules, in both geometries, written as plainly as possible
 */
#ifndef ZBUD_ZSMALLOC_MODEL_H
#define ZBUD_ZSMALLOC_MODEL_H

#include "model_util.h"
#include "zsmalloc_internal.h"

#define MAX_OBJECTS 2048
#define MAX_ZSPAGES (MAX_OBJECTS + 64)
#define MAX_SLOTS ZS_MAX_OBJS_PER_ZSPAGE /* 256: the 48-byte class, 3 pages */

/* ---- The model ---- */

struct mclass {
	int size, pages, slots, almost_full;
	int cap[ZS_MAX_PAGES_PER_ZSPAGE + 1];  /* slots present with c pages (ours) */
	int list[2][MAX_ZSPAGES];       /* [0] ZS_ALMOST_EMPTY, [1] ZS_ALMOST_FULL */
	int len[2];
	int full, zspages, objects;
};

struct mzspage {
	int cls, inuse, npages;
	bool isolated;
	uint32_t real;                  /* the pool's first page */
	int obj[MAX_SLOTS];             /* object slot in harness.obj[], or -1 */
};

struct model {
	struct mclass *cls[ZS_SIZE_CLASSES]; /* by class index, NULL if merged away */
	struct index_set zspages;
	struct mzspage zs[MAX_ZSPAGES];
	int pages, limit;
	bool grow;                      /* ours: zspages grow and shrink */
	struct index_map of_real;       /* model zspage of each real first page */
};

enum { EMPTY, ALMOST_EMPTY, ALMOST_FULL, FULL };

static inline int group(const struct mclass *c, int n)
{
	if (n == 0)
		return EMPTY;
	if (n == c->slots)
		return FULL;
	return n < c->almost_full ? ALMOST_EMPTY : ALMOST_FULL;
}

static inline void list_insert(struct mclass *c, int g, int at, int z)
{
	int *l = c->list[g - ALMOST_EMPTY];

	memmove(&l[at + 1], &l[at], (size_t)(c->len[g - ALMOST_EMPTY] - at) * sizeof(int));
	l[at] = z;
	c->len[g - ALMOST_EMPTY]++;
}

static inline void list_remove(struct mclass *c, int g, int z)
{
	int *l = c->list[g - ALMOST_EMPTY], *n = &c->len[g - ALMOST_EMPTY], at = 0;

	while (l[at] != z)
		at++;
	memmove(&l[at], &l[at + 1], (size_t)(*n - at - 1) * sizeof(int));
	(*n)--;
}

static inline void model_insert(struct model *m, int z)
{
	struct mzspage *p = &m->zs[z];
	struct mclass *c = m->cls[p->cls];
	int g = group(c, p->inuse);

	if (g == FULL) {
		c->full++;
		return;
	}
	if (!m->grow && c->len[g - ALMOST_EMPTY] &&
	    p->inuse < m->zs[c->list[g - ALMOST_EMPTY][0]].inuse)
		list_insert(c, g, 1, z);
	else
		list_insert(c, g, 0, z);
}

static inline void model_remove(struct model *m, int z, int g)
{
	struct mclass *c = m->cls[m->zs[z].cls];

	if (g == FULL)
		c->full--;
	else
		list_remove(c, g, z);
}

/* After a zspage's objects went from @was to what they are now. */
static inline void model_regroup(struct model *m, int z, int was)
{
	const struct mclass *c = m->cls[m->zs[z].cls];

	if (group(c, was) != group(c, m->zs[z].inuse)) {
		model_remove(m, z, group(c, was));
		model_insert(m, z);
	}
}

static inline int model_lowest_free(const struct model *m, int z)
{
	int s = 0;

	while (m->zs[z].obj[s] >= 0)
		s++;
	return s;
}

/* Where allocation puts the next object of class @ci: a zspage or -1. */
static inline int model_target(const struct model *m, int ci)
{
	const struct mclass *c = m->cls[ci];

	if (c->len[1])
		return c->list[1][0];
	return c->len[0] ? c->list[0][0] : -1;
}

/* Put object @o at the lowest free slot of @z; returns the slot. */
static inline int model_place(struct model *m, int z, int o)
{
	int s = model_lowest_free(m, z), was = m->zs[z].inuse;

	m->zs[z].obj[s] = o;
	m->zs[z].inuse++;
	if (!m->zs[z].isolated && was)
		model_regroup(m, z, was);
	return s;
}

static inline int model_new_zspage(struct model *m, int ci)
{
	struct mclass *c = m->cls[ci];
	int z = set_take(&m->zspages);

	m->zs[z] = (struct mzspage){ .cls = ci, .npages = m->grow ? 1 : c->pages };
	for (int s = 0; s < MAX_SLOTS; s++)
		m->zs[z].obj[s] = -1;
	m->pages += m->zs[z].npages;
	c->zspages++;
	return z;
}

static inline void model_drop_zspage(struct model *m, int z)
{
	struct mclass *c = m->cls[m->zs[z].cls];

	map_set(&m->of_real, m->zs[z].real, -1);
	m->pages -= m->zs[z].npages;
	c->zspages--;
	set_put(&m->zspages, z);
}

/* Ours: whether @z's present slots are all in use, and then a page more
 * for it, if the pool has one; false if it has none. */
static inline bool model_make_room(struct model *m, int z)
{
	struct mzspage *p = &m->zs[z];

	if (p->inuse < m->cls[p->cls]->cap[p->npages])
		return true;
	if (m->pages + 1 > m->limit)
		return false;
	p->npages++;
	m->pages++;
	return true;
}

/* Ours: @z's trailing pages that no object touches, given back. */
static inline void model_shrink(struct model *m, int z)
{
	struct mzspage *p = &m->zs[z];
	const struct mclass *c = m->cls[p->cls];

	while (p->npages > 1) {
		for (int s = c->cap[p->npages - 1]; s < c->cap[p->npages]; s++)
			if (p->obj[s] >= 0)
				return;
		p->npages--;
		m->pages--;
	}
}

/* Take slot @s of @z; returns whether the zspage went. */
static inline bool model_unplace(struct model *m, int z, int s)
{
	struct mzspage *p = &m->zs[z];
	int was = p->inuse;

	p->obj[s] = -1;
	p->inuse--;
	if (p->isolated)
		return false; /* compaction's to free */
	if (p->inuse) {
		model_regroup(m, z, was);
		return false;
	}
	model_remove(m, z, group(m->cls[p->cls], 1));
	model_drop_zspage(m, z);
	return true;
}

/* Pair model zspage @z with the pool's first page @real; false if taken. */
static inline bool model_bind(struct model *m, int z, uint32_t real)
{
	if (!map_bind(&m->of_real, real, z))
		return false;
	m->zs[z].real = real;
	return true;
}

/* ---- Set-up and the tests ---- */

static inline void model_init(struct model *m, const struct zs_pool *pool)
{
	set_init(&m->zspages, MAX_ZSPAGES);
	m->grow = pool->grow;
	for (int ci = 0; ci < ZS_SIZE_CLASSES; ci++) {
		const struct size_class *c = &pool->class[ci];
		struct mclass *mc;

		if (pool->class_of[ci] != ci)
			continue;
		mc = calloc(1, sizeof(*mc));
		assert_non_null(mc);
		mc->size = c->size;
		mc->pages = c->pages_per_zspage;
		mc->slots = c->objs_per_zspage;
		/* the kernel's 3/4; ours: one list, any zspage in use */
		mc->almost_full = m->grow ? 1 : 3 * mc->slots / 4 + 1;
		for (int k = 1; k <= mc->pages; k++)
			mc->cap[k] = k < mc->pages ? k * 4096 / mc->size : mc->slots;
		m->cls[ci] = mc;
	}
	m->limit = (int)(pool->src.capacity < 1000000 ? pool->src.capacity : 1000000);
}


#endif /* ZBUD_ZSMALLOC_MODEL_H */
