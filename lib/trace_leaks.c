/*
 * trace_leaks.c — a trace's bookkeeping replayed in time order: the blocks
 * never freed, grouped by call stack, and the frees that went wrong (twice,
 * or of a pointer never allocated). A trace may start with a heap it did
 * not allocate: a forked child's is its parent's at the fork (inherited
 * blocks, freed without complaint, and the ones never freed handed back
 * for the family to place), an attached trace's is unknown (frees of
 * pointers never seen are of blocks from before the attach).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "trace_int.h"

/* pmap values: an event index, or an inherited block's index with this bit */
#define INHERITED ((size_t)1 << (sizeof(size_t) * 8 - 1))

static int cmp_group(const void *x, const void *y)
{
	const hl_leak_group_t *a = x, *b = y;
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	if (a->origin != b->origin)
		return a->origin < b->origin ? -1 : 1;
	return (a->stack > b->stack) - (a->stack < b->stack);
}

static int add_bad(hl_leaks_t *l, size_t *cap, size_t fe, size_t ae, bool twice)
{
	if (hl_grow((void **)&l->bad, cap, l->nbad + 1, sizeof *l->bad))
		return -ENOMEM;
	l->bad[l->nbad++] = (hl_bad_free_t){fe, ae, twice};
	return 0;
}

static bool allocates(const hl_trace_event_t *e)
{
	return (e->op == HLT_MALLOC || e->op == HLT_CALLOC || e->op == HLT_MEMALIGN ||
		e->op == HLT_REALLOC) &&
	       !e->failed && e->ptr;
}

static uint64_t frees(const hl_trace_event_t *e)
{
	return e->op == HLT_FREE ? e->ptr : e->op == HLT_REALLOC && !e->failed ? e->old : 0;
}

long hl_trace_live_block(const hl_trace_t *t, uint64_t ptr)
{
	long at = -1;
	for (size_t i = 0; i < t->nev; i++) {
		const hl_trace_event_t *e = &t->ev[i];
		if (frees(e) == ptr)
			at = -1;
		if (allocates(e) && e->ptr == ptr)
			at = (long)i;
	}
	return at;
}

static int group_add(hl_leaks_t *l, size_t *gcap, int origin, uint32_t stack, int64_t size)
{
	size_t g;
	for (g = 0; g < l->ngroups && (l->groups[g].stack != stack || l->groups[g].origin != origin);
	     g++)
		;
	if (g == l->ngroups) {
		if (hl_grow((void **)&l->groups, gcap, l->ngroups + 1, sizeof *l->groups))
			return -ENOMEM;
		l->groups[l->ngroups++] = (hl_leak_group_t){stack, origin, 0, 0};
	}
	l->groups[g].bytes += size;
	l->groups[g].blocks++;
	l->leaked_bytes += size;
	l->leaked_blocks++;
	return 0;
}

int hl_leaks_add(hl_leaks_t *l, const hl_block_t *b, size_t n)
{
	size_t gcap = l->ngroups;
	for (size_t i = 0; i < n; i++)
		if (group_add(l, &gcap, b[i].origin, b[i].stack, (int64_t)b[i].size))
			return -ENOMEM;
	if (l->ngroups)
		qsort(l->groups, l->ngroups, sizeof *l->groups, cmp_group);
	return 0;
}

static int push_block(hl_block_t **v, size_t *n, size_t *cap, hl_block_t b)
{
	if (hl_grow((void **)v, cap, *n + 1, sizeof **v))
		return -ENOMEM;
	(*v)[(*n)++] = b;
	return 0;
}

int hl_leaks_compute_opts(const hl_trace_t *t, const hl_leaks_opts_t *o, hl_leaks_t *l,
			  hl_error_t *err)
{
	static const hl_leaks_opts_t none = {.self = -1};
	if (!o)
		o = &none;
	memset(l, 0, sizeof *l);
	pmap_t live = {0}, freed = {0};
	int64_t cur = 0;
	size_t badcap = 0;
	int rc = 0;
	for (size_t k = 0; k < o->ninherit && !rc; k++) {
		rc = hl_pm_put(&live, o->inherit[k].ptr, k | INHERITED);
		cur += (int64_t)o->inherit[k].size;
		l->inherited_bytes += (int64_t)o->inherit[k].size;
	}
	l->inherited_blocks = (int64_t)o->ninherit;
	l->peak_live_bytes = cur;
	for (size_t i = 0; i < t->nev && !rc; i++) {
		const hl_trace_event_t *e = &t->ev[i];
		if (o->until && e->tsc > o->until)
			break;
		size_t a;
		/* the freeing half (free, realloc's old pointer) */
		uint64_t gone = frees(e);
		if (e->op == HLT_FREE)
			l->free_calls++;
		if (gone) {
			if (hl_pm_get(&live, gone, &a)) {
				if (a & INHERITED) {
					cur -= (int64_t)o->inherit[a & ~INHERITED].size;
					l->inherited_freed++;
				} else {
					cur -= (int64_t)t->ev[a].size;
					rc = hl_pm_put(&freed, gone, a);
				}
				hl_pm_del(&live, gone);
			} else if (hl_pm_get(&freed, gone, &a)) {
				rc = add_bad(l, &badcap, i, a, true);
			} else if (o->attached) {
				l->before_frees++;
			} else {
				rc = add_bad(l, &badcap, i, SIZE_MAX, false);
			}
		}
		if (e->op == HLT_REALLOC)
			l->realloc_calls++;
		/* an allocation call is one that hands out a block: realloc(p, 0)
		 * frees; realloc(NULL, 0) returns a (minimal) block */
		if (e->op == HLT_MALLOC || e->op == HLT_CALLOC || e->op == HLT_MEMALIGN ||
		    (e->op == HLT_REALLOC && (e->size || !e->old) && !e->failed))
			l->alloc_calls++;
		/* the allocating half */
		if (allocates(e) && !rc) {
			if (hl_pm_get(&live, e->ptr, &a)) /* its free was not traced */
				cur -= (int64_t)(a & INHERITED ? o->inherit[a & ~INHERITED].size
							       : t->ev[a].size);
			hl_pm_del(&freed, e->ptr);
			rc = hl_pm_put(&live, e->ptr, i);
			cur += (int64_t)e->size;
			if (cur > l->peak_live_bytes)
				l->peak_live_bytes = cur;
		}
	}
	/* what is left: by stack, the inherited apart */
	size_t gcap = 0, kcap = 0, lcap = 0;
	for (size_t s = 0; s < live.cap && !rc; s++) {
		if (!live.key[s])
			continue;
		size_t v = live.val[s];
		hl_block_t b;
		if (v & INHERITED) {
			b = o->inherit[v & ~INHERITED];
			rc = push_block(&l->kept, &l->nkept, &kcap, b);
		} else {
			const hl_trace_event_t *e = &t->ev[v];
			b = (hl_block_t){e->ptr, e->size, o->self, e->stack};
			rc = group_add(l, &gcap, -1, e->stack, (int64_t)e->size);
		}
		if (!rc && o->want_live)
			rc = push_block(&l->live, &l->nlive, &lcap, b);
	}
	if (l->ngroups)
		qsort(l->groups, l->ngroups, sizeof *l->groups, cmp_group);
	hl_pm_free(&live);
	hl_pm_free(&freed);
	if (rc) {
		hl_leaks_free(l);
		return hl_error_set(err, rc, "out of memory while matching frees");
	}
	return 0;
}

int hl_leaks_compute(const hl_trace_t *t, hl_leaks_t *l, hl_error_t *err)
{
	return hl_leaks_compute_opts(t, NULL, l, err);
}

void hl_leaks_free(hl_leaks_t *l)
{
	free(l->groups);
	free(l->bad);
	free(l->kept);
	free(l->live);
	memset(l, 0, sizeof *l);
}
