/*
 * walk_runs.c — the in-use chunks: the runs of chunks between the ones the
 * lists, top and the tcache structs account for.
 *
 * Nothing in malloc's state lists the chunks in use; only a walk from a
 * known chunk boundary, header by header, finds them, and reading every
 * header touches every page of a heap of page-sized blocks (as costly as
 * copying it). mallinfo2 never needs them (in use = system_mem - free), so a
 * default walk only samples them: it draws 1024 runs at random in
 * proportion to their length, walks the first 8 KiB of each, and estimates
 * the count of in-use chunks from the mean density (chunks per byte) of the
 * draws, the Hansen-Hurwitz estimator for draws in proportion to size (a
 * run's start stands for all of it: the estimate's weak point, a run whose
 * chunks change size along it). When the runs add up to 4 MiB or less they
 * are all walked and the count is exact. HL_WALK_EXACT walks every run.
 *
 * A run is read in windows of resident pages (never a page pagemap says is
 * absent; the snapshot's word is enough, as malloc never releases the pages
 * of chunks in use), up to 1024 runs side by side in one process_vm_readv; a window
 * grows with the mean chunk size seen, and a chunk that ends past it makes
 * the next window start at the next header, so the pages inside large
 * chunks are skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "walk_int.h"

#define SAMPLE_BYTES (4u << 20) /* runs up to this are all walked */
#define SAMPLE_DRAWS 1024       /* else runs drawn for the estimate */
#define SAMPLE_RUN (8u << 10)   /* and walked from their start, at most */
#define WIN_MIN (16u << 10)
#define WIN_MAX (1u << 20)
#define STEP_BYTES (16u << 20)

typedef struct run {
	uint64_t pos, end;
	uint32_t heap;
} run_t;

typedef struct cursor {
	uint64_t pos, end, stop; /* stop: where a sample ends */
	uint32_t heap;
	int64_t chunks, bytes;
	int fence;
	bool done;
} cursor_t;

/* The runs between the known chunks (sorted by heap and address). */
static run_t *runs_of(walker_t *w, size_t *nruns, uint64_t *total)
{
	const hl_walk_t *o = w->out;
	size_t cap = w->nchunks + o->nheaps + 1, n = 0;
	run_t *r = malloc(cap * sizeof *r);
	*total = 0;
	if (!r)
		return NULL;
	size_t k = 0;
	for (size_t h = 0; h < o->nheaps; h++) {
		uint64_t pos = w->first[h], end = w->heap_end[h];
		for (; k < w->nchunks && w->chunks[k].heap == h; k++) {
			const wchunk_t *c = &w->chunks[k];
			if (c->addr > pos)
				r[n++] = (run_t){pos, c->addr, (uint32_t)h};
			if (c->addr + c->size > pos)
				pos = c->addr + c->size;
		}
		if (pos < end)
			r[n++] = (run_t){pos, end, (uint32_t)h};
	}
	for (size_t i = 0; i < n; i++)
		*total += r[i].end - r[i].pos;
	*nruns = n;
	return r;
}

/* The window of resident pages from c->pos on, at most want bytes. */
static uint64_t window(walker_t *w, const cursor_t *c, uint64_t want)
{
	uint64_t ps = (uint64_t)w->pk.page_size;
	uint64_t stop = c->stop < c->end ? c->stop : c->end;
	uint64_t lim = c->pos + want < stop ? c->pos + want : stop;
	uint64_t pg = c->pos / ps * ps;
	while (pg < lim && hl_pmap_page(&w->pm, pg, w->pk.page_size) == 1)
		pg += ps;
	if (pg <= c->pos)
		return 0;
	return (pg < lim ? pg : lim) - c->pos;
}

static void parse(walker_t *w, cursor_t *c, const uint8_t *buf, uint64_t len, uint64_t **shape,
		  size_t *nshape, size_t *capshape)
{
	uint64_t start = c->pos;
	bool exact = w->flags & HL_WALK_EXACT;
	while (!c->done && c->pos + CHUNK_HDR <= start + len) {
		uint64_t hdr[2];
		memcpy(hdr, buf + (c->pos - start), sizeof hdr);
		uint64_t size = hdr[1] & ~7ULL;
		/* fenceposts close a heap that top left (sysmalloc): a non-main
		 * heap ends in a 16-byte chunk and a 0-size header in its last 16
		 * bytes; a non-contiguous brk heap in two 16-byte chunks */
		if (size == 0 && c->pos + CHUNK_HDR == c->end && c->fence == 1) {
			if (exact)
				walk_push(w, c->pos, CHUNK_HDR, c->heap, HL_CHUNK_META);
			c->pos = c->end;
			break;
		}
		if (size == CHUNK_HDR && c->fence < 2) {
			if (exact)
				walk_push(w, c->pos, CHUNK_HDR, c->heap, HL_CHUNK_META);
			c->pos += CHUNK_HDR;
			c->fence++;
			continue;
		}
		c->fence = 0;
		if (size < MINSIZE || size & 15 || size > c->end - c->pos) {
			walk_warn(w, "bad chunk size %#llx at %#llx (heap changing or corrupt)",
				  (unsigned long long)size, (unsigned long long)c->pos);
			c->done = true;
			break;
		}
		if (exact) {
			if (walk_push(w, c->pos, size, c->heap, HL_CHUNK_IN_USE)) {
				walk_warn(w, "out of memory after %zu chunks", w->nchunks);
				c->done = true;
				break;
			}
			if (walk_tcache_chunk(w, size)) {
				if (*nshape == *capshape) {
					size_t cap = *capshape ? *capshape * 2 : 64;
					uint64_t *v = realloc(*shape, cap * sizeof *v);
					if (v) {
						*shape = v;
						*capshape = cap;
					}
				}
				if (*nshape < *capshape)
					(*shape)[(*nshape)++] = c->pos;
			}
		}
		c->chunks++;
		c->bytes += (int64_t)size;
		c->pos += size;
	}
	if (c->pos >= c->end || c->pos >= c->stop)
		c->done = true;
}

/* Walks the cursors to their ends, up to HL_PIECES_MAX at a time. */
static void walk_cursors(walker_t *w, cursor_t *cur, size_t n, uint64_t **shape, size_t *nshape,
			 size_t *capshape)
{
	uint8_t *buf = malloc(STEP_BYTES);
	hl_piece_t *pc = malloc(HL_PIECES_MAX * sizeof *pc);
	size_t *who = malloc(HL_PIECES_MAX * sizeof *who);
	if (!buf || !pc || !who) {
		walk_warn(w, "out of memory");
		goto out;
	}
	size_t next = 0; /* cursors before next have been started */
	size_t *active = malloc(HL_PIECES_MAX * sizeof *active), nact = 0;
	if (!active) {
		walk_warn(w, "out of memory");
		goto out;
	}
	for (long steps = 0; steps < MAX_CHUNKS; steps++) {
		while (nact < HL_PIECES_MAX && next < n)
			active[nact++] = next++;
		if (!nact)
			break;
		size_t k = 0, bytes = 0;
		for (size_t i = 0; i < nact; i++) {
			cursor_t *c = &cur[active[i]];
			uint64_t mean = c->chunks ? (uint64_t)c->bytes / (uint64_t)c->chunks : WIN_MIN;
			uint64_t want = mean * 32 < WIN_MIN ? WIN_MIN : mean * 32 > WIN_MAX ? WIN_MAX
											: mean * 32;
			if (bytes + want > STEP_BYTES)
				break;
			uint64_t len = window(w, c, want);
			if (!len) {
				walk_warn(w, "chunk header at %#llx not readable (not resident?)",
					  (unsigned long long)c->pos);
				c->done = true;
				continue;
			}
			/* in-use chunks only: malloc never releases their pages, so
			 * the snapshot's answer (at most its max age old) stands */
			pc[k] = (hl_piece_t){c->pos, buf + bytes, (uint32_t)len, 0, false};
			who[k++] = active[i];
			bytes += len;
		}
		if (k && hl_peek_pieces(&w->pk, &w->pm, pc, k) == -ESRCH) {
			walk_warn(w, "the process exited during the walk");
			break;
		}
		for (size_t i = 0; i < k; i++) {
			cursor_t *c = &cur[who[i]];
			if (pc[i].ok != 1) {
				walk_warn(w, "chunk header at %#llx not readable (not resident?)",
					  (unsigned long long)c->pos);
				c->done = true;
				continue;
			}
			parse(w, c, pc[i].buf, pc[i].len, shape, nshape, capshape);
		}
		size_t keep = 0;
		for (size_t i = 0; i < nact; i++)
			if (!cur[active[i]].done)
				active[keep++] = active[i];
		nact = keep;
	}
	free(active);
out:
	free(buf);
	free(pc);
	free(who);
}

/* Draws SAMPLE_DRAWS runs at random, in proportion to their length (with
 * replacement): a cursor for each run drawn, stopping after SAMPLE_RUN
 * bytes, and how many times it was drawn. */
static size_t sample(walker_t *w, const run_t *r, size_t n, uint64_t total, cursor_t *cur,
		     uint32_t *draws)
{
	uint64_t *cum = malloc((n + 1) * sizeof *cum);
	uint32_t *slot = malloc((n ? n : 1) * sizeof *slot);
	size_t k = 0;
	if (!cum || !slot) {
		free(cum);
		free(slot);
		return 0;
	}
	memset(slot, 0xff, (n ? n : 1) * sizeof *slot);
	cum[0] = 0;
	for (size_t i = 0; i < n; i++)
		cum[i + 1] = cum[i] + (r[i].end - r[i].pos);
	for (int d = 0; d < SAMPLE_DRAWS; d++) {
		uint64_t x = walk_rand(w) % total;
		size_t lo = 0, hi = n;
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;
			if (cum[mid] <= x)
				lo = mid;
			else
				hi = mid;
		}
		if (slot[lo] != UINT32_MAX) {
			draws[slot[lo]]++;
			continue;
		}
		uint64_t len = r[lo].end - r[lo].pos;
		slot[lo] = (uint32_t)k;
		draws[k] = 1;
		cur[k++] = (cursor_t){r[lo].pos, r[lo].end,
				      r[lo].pos + (len < SAMPLE_RUN ? len : SAMPLE_RUN), r[lo].heap};
	}
	free(cum);
	free(slot);
	return k;
}

void walk_runs(walker_t *w)
{
	hl_walk_t *o = w->out;
	size_t n = 0;
	uint64_t total = 0;
	run_t *r = runs_of(w, &n, &total);
	if (!r) {
		walk_warn(w, "out of memory");
		return;
	}
	bool all = (w->flags & HL_WALK_EXACT) ||
		   (total <= SAMPLE_BYTES && !(w->flags & HL_WALK_SAMPLED));
	cursor_t *cur = calloc(n ? n : 1, sizeof *cur);
	uint32_t *draws = calloc(n ? n : 1, sizeof *draws);
	size_t nc = 0;
	if (!draws) {
		free(cur);
		cur = NULL;
	}
	if (cur && all) {
		for (size_t i = 0; i < n; i++)
			cur[nc++] = (cursor_t){r[i].pos, r[i].end, UINT64_MAX, r[i].heap};
	} else if (cur && total) {
		nc = sample(w, r, n, total, cur, draws);
	}
	uint64_t *shape = NULL;
	size_t nshape = 0, capshape = 0;
	if (cur)
		walk_cursors(w, cur, nc, &shape, &nshape, &capshape);
	/* the count of in-use chunks per arena: walked, or estimated. Runs were
	 * drawn in proportion to their length, so each one's density (chunks
	 * per byte walked) is averaged (Hansen-Hurwitz), per arena where it
	 * drew enough runs, else over all */
	double *dens = calloc(o->narenas + 1, sizeof *dens);
	int64_t *sc = calloc(o->narenas + 1, sizeof *sc), *nd = calloc(o->narenas + 1, sizeof *nd);
	int64_t *rb = calloc(o->narenas + 1, sizeof *rb);
	bool complete = all;
	if (dens && sc && nd && rb && cur) {
		for (size_t i = 0; i < nc; i++) {
			uint32_t a = o->heaps[cur[i].heap].arena;
			sc[a] += cur[i].chunks;
			if (cur[i].bytes <= 0)
				continue;
			double d = (double)cur[i].chunks / (double)cur[i].bytes;
			uint32_t k = all ? 1 : draws[i];
			dens[a] += d * k;
			dens[o->narenas] += d * k;
			nd[a] += k;
			nd[o->narenas] += k;
		}
		for (size_t i = 0; i < n; i++)
			rb[o->heaps[r[i].heap].arena] += (int64_t)(r[i].end - r[i].pos);
		for (size_t a = 0; a < o->narenas; a++) {
			hl_walk_arena_t *ar = &o->arenas[a];
			ar->run_bytes = rb[a];
			if (complete) {
				ar->in_use_chunks = sc[a];
				continue;
			}
			size_t from = nd[a] >= 32 ? a : o->narenas;
			ar->in_use_chunks = nd[from] ? (int64_t)((double)rb[a] * dens[from] /
								 (double)nd[from] + 0.5)
						     : 0;
		}
	}
	o->chunks_estimated = !complete;
	if (nshape) {
		size_t before = w->ntc;
		walk_check_tcaches(w, shape, nshape, WT_SHAPE);
		if (w->ntc > before)
			walk_lists(w, before);
	}
	free(shape);
	free(draws);
	free(dens);
	free(sc);
	free(nd);
	free(rb);
	free(cur);
	free(r);
}
