/*
 * target_procs.c - the pages of a set of processes: each member in turn,
 * by procmem's rule, frames counted once where the kernel shows them
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target_internal.h"

/* A walk over one process: its addresses, as target pages, to the caller. */
struct walk {
	target_fn fn;
	void *arg;
	uint32_t proc;
	struct target_page page[WALK_BATCH];
};

int target_open_processes(struct target **tp, struct procset *set,
			  const struct procmem_select *sel, bool frames)
{
	struct target *t = target_new(TARGET_PROCESS);

	*tp = NULL;
	if (!t)
		return -ENOMEM;
	t->set = set;
	t->sel = *sel;
	t->frames = frames && procmem_frames_visible();
	if (t->frames && !(t->seen = pfnset_new())) {
		free(t);
		return -ENOMEM;
	}
	*tp = t;
	return 0;
}

void target_close_procs(struct target *t)
{
	for (size_t i = 0; i < t->npm; i++)
		procmem_close(t->pm[i]);
	free(t->pm);
	t->pm = NULL;
	t->npm = t->cap = 0;
	pfnset_free(t->seen);
	t->seen = NULL;
}

static int each(void *arg, const uint64_t *addr, size_t n)
{
	struct walk *w = arg;
	int err = 0;

	for (size_t i = 0; !err && i < n;) {
		size_t k = 0;

		for (; k < WALK_BATCH && i < n; k++, i++)
			w->page[k] = (struct target_page){ addr[i], w->proc };
		err = w->fn(w->arg, w->page, k);
	}
	return err;
}

static int keep(struct target *t, struct procmem *pm)
{
	if (t->npm == t->cap) {
		const size_t cap = t->cap ? 2 * t->cap : 16;
		struct procmem **more = realloc(t->pm, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		t->pm = more;
		t->cap = cap;
	}
	t->pm[t->npm++] = pm;
	return 0;
}

static void add_counts(struct target_counts *c, const struct procmem_counts *p)
{
	c->pages += p->pages;
	c->mappings += p->mappings;
	c->shared += p->shared;
	c->duplicate += p->duplicate;
	c->not_resident += p->not_resident;
	c->swapped += p->swapped;
	c->unevictable += p->unevictable;
}

/* One member: 0 when walked or passed over (counted), else an error. */
static int walk_one(struct target *t, pid_t pid, struct target_counts *c, struct walk *w,
		    char *why, size_t len, char *refusal, size_t rlen)
{
	struct procmem_counts pc = { 0 };
	struct procmem *pm;
	char msg[256];
	int err = procmem_open(&pm, pid, msg, sizeof(msg));

	if (err == -EACCES || err == -EPERM) {
		if (!c->refused++)
			snprintf(refusal, rlen, "%s", msg);
		return 0;
	}
	if (err == -ESRCH) {
		c->ended++;
		snprintf(why, len, "%s", msg);
		return 0;
	}
	if (!err && (err = keep(t, pm)))
		procmem_close(pm);
	if (err) {
		snprintf(why, len, "%s", err == -ENOMEM ? "out of memory" : msg);
		return err;
	}
	w->proc = (uint32_t)(t->npm - 1);
	/* One process has no frame to share with another: no need to ask. */
	err = procmem_walk(pm, &t->sel, procset_count(t->set) > 1 ? t->seen : NULL, &pc,
			   w->fn ? each : NULL, w, msg, sizeof(msg));
	add_counts(c, &pc);
	if (err == -ESRCH) {
		c->ended++;
		return 0;
	}
	if (err)
		snprintf(why, len, "%s", msg);
	c->processes += !err;
	return err;
}

int target_walk_procs(struct target *t, struct target_counts *c, target_fn fn, void *arg,
		      char *why, size_t len)
{
	struct walk *w = malloc(sizeof(*w));
	char refusal[256] = "";
	int err = 0;

	if (!w) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	w->fn = fn;
	w->arg = arg;
	for (size_t i = 0; i < t->npm; i++)
		procmem_close(t->pm[i]);
	t->npm = 0;
	if (t->seen)
		pfnset_clear(t->seen);
	snprintf(why, len, "no process to read");
	for (size_t i = 0; !err && i < procset_count(t->set); i++)
		err = walk_one(t, procset_member(t->set, i), c, w, why, len, refusal,
			       sizeof(refusal));
	free(w);
	if (err || c->processes)
		return err;
	/* Nothing walked: the refusal says most, else why the last one ended. */
	if (c->refused)
		snprintf(why, len, "%s", refusal);
	return c->refused ? -EACCES : -ESRCH;
}
