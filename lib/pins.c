/*
 * pins.c — what keeps a heap from shrinking: the "pin".
 *
 * glibc gives memory back by itself only from the top of a heap: a free
 * whose merged chunk reaches top and makes top larger than trim_threshold
 * (plus top_pad) trims it (systrim for the brk heap, heap_trim for a
 * thread arena's heap; both only after a free of 64 KiB or more, which the
 * merge makes). So a heap holds memory back when, right below top, a few
 * chunks are not free and below them lies a big free chunk: those few
 * chunks are the pin. Freed, they would merge with that free chunk and
 * with top, and the heap would shrink.
 *
 * The rule, per arena, on the heap holding top (chunks by address):
 *
 *   - the run of chunks right below top that are not in a bin: in use,
 *     in a tcache (in use to the arena), in a fastbin (not merged until a
 *     consolidation), or malloc's own (a tcache_perthread_struct, which
 *     from glibc 2.43 is made at the first free, above the data);
 *   - at most PIN_MAX_CHUNKS chunks and PIN_MAX_BYTES bytes: more is the
 *     program's live data at the top, not a pin;
 *   - below that run a free chunk in a bin of at least 64 KiB;
 *   - a walk that did not list the chunks in use (the default, sampled one)
 *     knows every free and tcache chunk: the gap between the free chunk
 *     and top is then the run, its chunks not counted (chunks 0);
 *   - gives_back: what would go back by itself once the run is freed: the
 *     resident bytes of that free chunk and of top above top_pad, when the
 *     merged top would pass trim_threshold + top_pad; else 0 (malloc_trim
 *     would still release the free chunk's pages, which diagnose says).
 */
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

#define PIN_MAX_CHUNKS 16
#define PIN_MAX_BYTES (64 << 10)
#define PIN_FREE_MIN (64 << 10) /* FASTBIN_CONSOLIDATION_THRESHOLD */

typedef struct ix {
	uint64_t addr;
	size_t i;
} ix_t;

static int by_addr(const void *a, const void *b)
{
	uint64_t x = ((const ix_t *)a)->addr, y = ((const ix_t *)b)->addr;
	return (x > y) - (x < y);
}

static int64_t resident(const hl_walk_t *w, const int64_t *res, size_t i)
{
	return res ? res[i] : (int64_t)w->chunk[i].size;
}

size_t hl_heap_pins(const hl_walk_t *w, const int64_t *res, hl_heap_pin_t *out, size_t cap)
{
	size_t n = 0;
	for (size_t a = 0; a < w->narenas && n < cap; a++) {
		/* the arena's top, then the chunks of the heap holding it */
		size_t top = w->nchunk;
		for (size_t i = 0; i < w->nchunk; i++)
			if (w->chunk[i].arena == a && w->chunk[i].cls == HL_CHUNK_TOP)
				top = i;
		if (top == w->nchunk)
			continue;
		const hl_walk_heap_t *h = NULL;
		for (size_t k = 0; k < w->nheaps; k++)
			if (w->heaps[k].arena == a && w->chunk[top].addr >= w->heaps[k].start &&
			    w->chunk[top].addr < w->heaps[k].end)
				h = &w->heaps[k];
		if (!h)
			continue;
		size_t m = 0;
		ix_t *v = malloc(w->nchunk * sizeof *v + 1);
		if (!v)
			return n;
		for (size_t i = 0; i < w->nchunk; i++)
			if (w->chunk[i].arena == a && w->chunk[i].addr >= h->start &&
			    w->chunk[i].addr < w->chunk[top].addr && w->chunk[i].size > 16)
				v[m++] = (ix_t){w->chunk[i].addr, i};
		qsort(v, m, sizeof *v, by_addr);
		/* the run below top, downwards, as far as the chunks are known */
		size_t k = m, chunks = 0;
		uint64_t bytes = 0, next = w->chunk[top].addr; /* where the run reaches up to */
		bool gaps = false;
		while (k > 0 && w->chunk[v[k - 1].i].cls != HL_CHUNK_BIN && chunks <= PIN_MAX_CHUNKS) {
			k--;
			chunks++;
			gaps |= v[k].addr + w->chunk[v[k].i].size != next;
			next = v[k].addr;
			bytes += w->chunk[v[k].i].size;
		}
		const hl_walk_chunk_t *f = k > 0 ? &w->chunk[v[k - 1].i] : NULL;
		uint64_t run_start = f ? f->addr + f->size : 0, run = w->chunk[top].addr - run_start;
		bool known = !gaps && (chunks == 0 || run_start == v[k].addr);
		if (f && run > 0 && run <= PIN_MAX_BYTES && chunks <= PIN_MAX_CHUNKS &&
		    f->size >= PIN_FREE_MIN) {
			const hl_walk_chunk_t *t = &w->chunk[top];
			hl_heap_pin_t *p = &out[n++];
			memset(p, 0, sizeof *p);
			p->arena = (uint32_t)a;
			p->first = run_start;
			p->bytes = (int64_t)run;
			if (known && chunks) {
				/* the run's highest chunk: the one the others sit under */
				p->addr = w->chunk[v[m - 1].i].addr;
				p->size = w->chunk[v[m - 1].i].size;
				p->cls = w->chunk[v[m - 1].i].cls;
				p->chunks = (int)chunks;
			} else {
				/* chunks in use the walk did not list: the gap as a whole */
				p->addr = run_start;
				p->size = run;
				p->cls = HL_CHUNK_IN_USE;
				p->chunks = 0;
			}
			p->free_addr = f->addr;
			p->free_bytes = (int64_t)f->size;
			uint64_t merged = f->size + run + t->size;
			bool trims = merged >= (uint64_t)(w->trim_threshold + w->top_pad);
			int64_t top_res = resident(w, res, top) - w->top_pad;
			p->gives_back = trims ? resident(w, res, v[k - 1].i) + (top_res > 0 ? top_res : 0)
					      : 0;
		}
		free(v);
	}
	return n;
}
