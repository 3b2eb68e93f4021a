/*
 * walk_chunks.c — the chunks a walk knows, and the figures they make: sorted
 * by heap and address (a chunk found two ways keeps its most specific class,
 * one that overlaps another is dropped with a warning), the fenceposts of
 * heaps top has left, and every total: mallinfo2's as int_mallinfo counts
 * them, and beyond it live, tcache, held back, released, releasable and the
 * class of every page (from the chunks' extents and the pagemap snapshot,
 * no read).
 */
#include <stdlib.h>
#include <string.h>

#include "walk_int.h"

#define warn walk_warn

/* ------------------------------------------------------ the chunks known */

static int cls_rank(uint8_t cls)
{
	/* one chunk found two ways keeps its most specific class */
	static const int rank[HL_NCHUNK_CLASSES] = {
		[HL_CHUNK_IN_USE] = 0, [HL_CHUNK_TCACHE] = 2, [HL_CHUNK_FASTBIN] = 3,
		[HL_CHUNK_BIN] = 4,    [HL_CHUNK_TOP] = 5,    [HL_CHUNK_META] = 1};
	return cls < HL_NCHUNK_CLASSES ? rank[cls] : 0;
}

static int cmp_chunk(const void *a, const void *b)
{
	const wchunk_t *x = a, *y = b;
	if (x->heap != y->heap)
		return x->heap < y->heap ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return cls_rank(y->cls) - cls_rank(x->cls);
}

/* Sorts by heap, address and rank: a radix sort on (heap, address) keys,
 * ties by rank after, as the lists give hundreds of thousands of chunks. */
static void sort_chunks(walker_t *w)
{
	size_t n = w->nchunks;
	if (n < 2)
		return;
	wchunk_t *tmp = malloc(n * sizeof *tmp);
	if (!tmp || w->out->nheaps >= (1u << 16)) {
		free(tmp);
		qsort(w->chunks, n, sizeof *w->chunks, cmp_chunk);
		return;
	}
	/* key: heap in the top 16 bits, the address (47 bits on x86-64) below */
	wchunk_t *a = w->chunks, *b = tmp;
	for (int pass = 0; pass < 4; pass++) {
		size_t count[65537] = {0};
		int shift = 16 * pass;
#define KEY(c) (((((uint64_t)(c).heap << 48) | ((c).addr & 0xffffffffffffULL)) >> shift) & 0xffff)
		for (size_t i = 0; i < n; i++)
			count[KEY(a[i]) + 1]++;
		for (size_t k = 1; k <= 65536; k++)
			count[k] += count[k - 1];
		for (size_t i = 0; i < n; i++)
			b[count[KEY(a[i])]++] = a[i];
#undef KEY
		wchunk_t *t = a;
		a = b;
		b = t;
	}
	/* four passes: the sorted chunks are back in w->chunks */
	free(tmp);
	/* equal addresses: most specific class first */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && a[j].heap == a[j - 1].heap && a[j].addr == a[j - 1].addr &&
				   cls_rank(a[j].cls) > cls_rank(a[j - 1].cls);
		     j--) {
			wchunk_t t = a[j];
			a[j] = a[j - 1];
			a[j - 1] = t;
		}
}

/* Sorts the chunks by heap and address; a chunk found twice keeps its most
 * specific class, and one that overlaps the one before it (two lists
 * disagree: a heap changing or corrupt) is dropped with a warning. */
void walk_settle(walker_t *w)
{
	for (size_t t = 0; t < w->ntc; t++) {
		for (size_t i = 0; i < w->nchunks; i++)
			if (w->chunks[i].addr == w->tc[t].chunk && w->chunks[i].cls == HL_CHUNK_IN_USE)
				w->chunks[i].cls = HL_CHUNK_META;
	}
	sort_chunks(w);
	size_t k = 0;
	for (size_t i = 0; i < w->nchunks; i++) {
		const wchunk_t *c = &w->chunks[i];
		if (k && w->chunks[k - 1].heap == c->heap) {
			const wchunk_t *p = &w->chunks[k - 1];
			if (p->addr == c->addr && p->size == c->size)
				continue; /* the same chunk, found twice */
			if (c->addr < p->addr + p->size) {
				warn(w, "chunk %#llx overlaps chunk %#llx (heap changing or corrupt)",
				     (unsigned long long)c->addr, (unsigned long long)p->addr);
				continue;
			}
		}
		w->chunks[k++] = *c;
	}
	w->nchunks = k;
}

/* A heap that top has left ends in fenceposts (sysmalloc): a 16-byte chunk
 * and a 0-size header, its last 32 bytes. Known, they are malloc's own and
 * not in-use chunks, whether the runs are walked or sampled. */
void walk_fenceposts(walker_t *w)
{
	const hl_walk_t *o = w->out;
	bool *has_top = calloc(o->nheaps ? o->nheaps : 1, sizeof *has_top);
	uint64_t (*buf)[4] = calloc(o->nheaps ? o->nheaps : 1, sizeof *buf);
	hl_piece_t *pc = calloc(o->nheaps ? o->nheaps : 1, sizeof *pc);
	if (!has_top || !buf || !pc) {
		free(has_top);
		free(buf);
		free(pc);
		return;
	}
	for (size_t i = 0; i < w->nchunks; i++)
		if (w->chunks[i].cls == HL_CHUNK_TOP)
			has_top[w->chunks[i].heap] = true;
	size_t n = 0;
	for (size_t h = 0; h < o->nheaps; h++)
		if (!has_top[h] && !o->arenas[o->heaps[h].arena].main &&
		    w->heap_end[h] >= w->first[h] + 2 * CHUNK_HDR)
			pc[n++] = (hl_piece_t){w->heap_end[h] - 2 * CHUNK_HDR, buf[h], 32, 0, false};
	if (n && hl_peek_pieces(&w->pk, &w->pm, pc, n) == 0)
		for (size_t i = 0; i < n; i++) {
			const uint64_t *v = pc[i].buf;
			long h = walk_heap_of(w, pc[i].addr, 32);
			if (pc[i].ok != 1 || h < 0 || (v[1] & ~7ULL) != CHUNK_HDR || (v[3] & ~7ULL))
				continue;
			walk_push(w, pc[i].addr, CHUNK_HDR, (uint32_t)h, HL_CHUNK_META);
			walk_push(w, pc[i].addr + CHUNK_HDR, CHUNK_HDR, (uint32_t)h, HL_CHUNK_META);
		}
	free(has_top);
	free(buf);
	free(pc);
}

/* ------------------------------------------------------ accounting */

static void account(walker_t *w, hl_walk_arena_t *a, const wchunk_t *c, int64_t top_pad)
{
	long psz = w->pk.page_size;
	uint64_t ps = (uint64_t)psz, from, len;
	switch (c->cls) {
	case HL_CHUNK_IN_USE:
		a->live_bytes += (int64_t)c->size - 8;
		return;
	case HL_CHUNK_META:
		return;
	case HL_CHUNK_TOP:
		from = c->addr + CHUNK_HDR;
		len = c->size - CHUNK_HDR;
		break;
	default:
		/* past the header and the fd/bk/fd_nextsize/bk_nextsize words,
		 * as malloc_trim counts (it keeps sizeof(struct malloc_chunk)) */
		from = c->addr + 48;
		len = c->size > 48 ? c->size - 48 : 0;
		break;
	}
	if (c->cls == HL_CHUNK_TCACHE) {
		a->tcache_bytes += (int64_t)c->size;
		w->out->tcache_chunks++;
	}
	if (c->cls == HL_CHUNK_BIN) {
		a->free_chunks++;
		a->bin_bytes += (int64_t)c->size;
	}
	if (c->cls == HL_CHUNK_FASTBIN) {
		a->fastbin_chunks++;
		a->fastbin_bytes += (int64_t)c->size;
	}
	if (!len)
		return;
	hl_walk_heap_t *h = c->heap < w->out->nheaps ? &w->out->heaps[c->heap] : NULL;
	bool top = c->cls == HL_CHUNK_TOP;
	uint64_t first = (from + ps - 1) / ps * ps, last = (from + len) / ps * ps;
	int64_t whole = last > first ? (int64_t)(last - first) : 0;
	int64_t res = whole ? hl_pmap_resident(&w->pm, from, len, psz) : 0;
	if (res < 0)
		res = 0;
	if (h && h->pages)
		for (uint64_t pg = first; pg < last; pg += ps) {
			if (pg < h->start || pg >= h->end)
				continue;
			bool in = hl_pmap_page(&w->pm, pg, psz) == 1;
			uint8_t pc = top ? (in ? HL_PAGE_TOP_RESIDENT : HL_PAGE_TOP_RELEASED)
					 : (in ? HL_PAGE_FREE_RESIDENT : HL_PAGE_FREE_RELEASED);
			uint8_t *slot = &h->pages[(pg - h->start) / ps];
			h->npages[*slot]--;
			h->npages[pc]++;
			*slot = pc;
		}
	a->held_back_bytes += res;
	a->released_bytes += whole - res;
	if (top)
		a->top_released_bytes += whole - res;
	if (c->cls == HL_CHUNK_BIN || c->cls == HL_CHUNK_FASTBIN)
		a->releasable_bytes += res;
	if (top && (int64_t)len > top_pad) {
		int64_t above = hl_pmap_resident(&w->pm, from + (uint64_t)top_pad,
						 len - (uint64_t)top_pad, psz);
		a->releasable_bytes += above > 0 ? above : 0;
	}
}

void walk_totals(walker_t *w)
{
	hl_walk_t *out = w->out;
	bool exact = w->flags & HL_WALK_EXACT;
	for (size_t i = 0; i < w->nchunks; i++) {
		const wchunk_t *c = &w->chunks[i];
		hl_walk_arena_t *a = &out->arenas[out->heaps[c->heap].arena];
		account(w, a, c, out->top_pad);
		bool fencepost = c->cls == HL_CHUNK_META && c->size == CHUNK_HDR;
		if (c->cls != HL_CHUNK_TOP && !fencepost && c->cls != HL_CHUNK_IN_USE)
			a->chunks++;
		if (c->cls == HL_CHUNK_META && !fencepost)
			out->tcache_structs++;
	}
	for (size_t i = 0; i < out->narenas; i++) {
		hl_walk_arena_t *ar = &out->arenas[i];
		ar->free_bytes = ar->top_bytes + ar->fastbin_bytes + ar->bin_bytes;
		ar->in_use_bytes = ar->system_bytes - ar->free_bytes;
		if (!exact || out->chunks_estimated) /* from the runs: counted or estimated */
			ar->live_bytes = ar->run_bytes - 8 * ar->in_use_chunks;
		else
			ar->in_use_chunks = 0;
		ar->chunks += ar->in_use_chunks;
		ar->overhead_bytes = ar->in_use_bytes - ar->live_bytes - ar->tcache_bytes;
	}
	if (exact && !out->chunks_estimated)
		for (size_t i = 0; i < w->nchunks; i++)
			if (w->chunks[i].cls == HL_CHUNK_IN_USE) {
				hl_walk_arena_t *a = &out->arenas[out->heaps[w->chunks[i].heap].arena];
				a->in_use_chunks++;
				a->chunks++;
			}
	hl_mallinfo_t *m = &out->mallinfo2;
	m->valid = true;
	for (size_t i = 0; i < out->narenas; i++) {
		const hl_walk_arena_t *ar = &out->arenas[i];
		m->arena += ar->system_bytes;
		m->ordblks += ar->free_chunks;
		m->smblks += ar->fastbin_chunks;
		m->fsmblks += ar->fastbin_bytes;
		m->fordblks += ar->free_bytes;
		m->uordblks += ar->in_use_bytes;
		out->live_bytes += ar->live_bytes;
		out->tcache_bytes += ar->tcache_bytes;
		out->fastbin_bytes += ar->fastbin_bytes;
		out->top_bytes += ar->top_bytes;
		out->held_back_bytes += ar->held_back_bytes;
		out->released_bytes += ar->released_bytes;
		out->releasable_bytes += ar->releasable_bytes;
		out->overhead_bytes += ar->overhead_bytes;
		out->bin_bytes += ar->bin_bytes;
		out->top_released_bytes += ar->top_released_bytes;
		out->chunks += ar->chunks;
		if (ar->main)
			m->keepcost = ar->top_bytes;
	}
	m->hblks = out->mmapped_chunks;
	m->hblkhd = out->mmapped_bytes;
}

