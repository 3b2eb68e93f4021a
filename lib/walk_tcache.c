/*
 * walk_tcache.c — finds the threads' tcache_perthread_structs without
 * walking the heap.
 *
 * A thread's tcache is made by its first malloc (tcache_init), from its
 * arena: for the main thread it is the first chunk of the brk heap, for a
 * thread with an arena of its own the first chunk after that arena's
 * malloc_state. A thread that shares an arena (more threads than arena_max
 * allows, or an arena reused after a thread exited) has it anywhere. So two
 * ways, both checked the same way (a chunk of the struct's size whose
 * counts and entries agree):
 *
 * 1. the first chunk of every heap;
 * 2. each thread's TLS. glibc keeps the pointer in the initial-exec TLS
 *    variable `tcache`, at one fixed offset from every thread's thread
 *    pointer. On x86-64 the thread pointer is the address of the thread's
 *    struct pthread, whose tcbhead_t starts with `tcb` and, two words on,
 *    `self`, both pointing to itself; glibc puts it at the top of each
 *    thread's stack mapping, and ld.so puts the main thread's in a small
 *    anonymous mapping. Those pages are read (a few per thread), thread
 *    pointers found by that shape, and the offset learnt from the first
 *    threads: the offset below the thread pointer whose word leads to a
 *    struct of the right shape. A thread whose tcache was shut down holds
 *    NULL there (tcache_thread_shutdown), so a cached stack adds nothing.
 *
 * With HL_WALK_EXACT, walk_runs also takes any in-use chunk of the struct's
 * shape (as the walker always did), so an exact walk finds every one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "walk_int.h"

#define TLS_SPAN 4096      /* how far below the thread pointer `tcache` is looked for */
#define AREA_WHOLE (64u << 10) /* anonymous mappings read whole up to this size */
#define AREA_TOP (8u << 10)    /* of larger ones, the top */
#define AREAS_MAX (16u << 20)
#define AREA_SCAN_MAX (1ULL << 30) /* larger mappings: only their top */
#define AREA_SCAN_TOTAL (4ULL << 30) /* and no more than this scanned in all (8 MiB of
				      * pagemap): past it, tops only */
#define LEARN_FROM 8           /* thread pointers the offset is learnt from */

long walk_tcache_count(const walker_t *w, const uint8_t *buf, int i)
{
	uint16_t c;
	memcpy(&c, buf + 2 * i, 2);
	if (!w->l.tcache_slots)
		return c;
	/* tcache_init fills every bin's num_slots with mp_.tcache_count;
	 * tcache_put takes one, tcache_get gives it back */
	return c <= w->out->tcache_count ? (long)(w->out->tcache_count - c) : -1;
}

bool walk_is_tcache(const walker_t *w, const uint8_t *buf, uint64_t tcache_count)
{
	for (int i = 0; i < w->l.tcache_bins; i++) {
		long c = walk_tcache_count(w, buf, i);
		uint64_t e;
		memcpy(&e, buf + w->l.tcache_entries + 8 * (size_t)i, 8);
		if (c < 0 || (uint64_t)c > tcache_count || (c == 0) != (e == 0) || (e & 15))
			return false;
	}
	return true;
}

static bool known(const walker_t *w, uint64_t chunk)
{
	for (size_t i = 0; i < w->ntc; i++)
		if (w->tc[i].chunk == chunk)
			return true;
	return false;
}

static int add(walker_t *w, uint64_t chunk, uint64_t size, const uint8_t *body, uint8_t how)
{
	if (known(w, chunk))
		return 0;
	wtcache_t *v = realloc(w->tc, (w->ntc + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	w->tc = v;
	uint8_t *b = malloc(w->l.tcache_size);
	if (!b)
		return -ENOMEM;
	memcpy(b, body, w->l.tcache_size);
	v[w->ntc++] = (wtcache_t){chunk, size, b, how};
	return 0;
}

/* Reads each candidate chunk (header and struct) and keeps those of the
 * struct's shape; *good, when given, says which were. */
static void check(walker_t *w, const uint64_t *cand, size_t n, uint8_t how, bool *good)
{
	size_t len = CHUNK_HDR + w->l.tcache_size;
	uint8_t *buf = malloc(HL_PIECES_MAX * len);
	hl_piece_t *pc = malloc(HL_PIECES_MAX * sizeof *pc);
	if (!buf || !pc) {
		free(buf);
		free(pc);
		walk_warn(w, "out of memory");
		return;
	}
	for (size_t at = 0; at < n; at += HL_PIECES_MAX) {
		size_t k = n - at < HL_PIECES_MAX ? n - at : HL_PIECES_MAX;
		for (size_t i = 0; i < k; i++)
			pc[i] = (hl_piece_t){cand[at + i], buf + i * len, (uint32_t)len, 0};
		if (hl_peek_pieces(&w->pk, &w->pm, pc, k))
			break;
		for (size_t i = 0; i < k; i++) {
			uint64_t size;
			const uint8_t *b = buf + i * len;
			memcpy(&size, b + 8, 8);
			bool ok = pc[i].ok == 1 && walk_tcache_chunk(w, size & ~7ULL) && !(size & 2) &&
				  walk_heap_of(w, cand[at + i], len) >= 0 &&
				  walk_is_tcache(w, b + CHUNK_HDR, (uint64_t)w->out->tcache_count);
			if (good)
				good[at + i] = ok;
			if (ok && add(w, cand[at + i], size & ~7ULL, b + CHUNK_HDR, how))
				walk_warn(w, "out of memory");
		}
	}
	free(buf);
	free(pc);
}

void walk_check_tcaches(walker_t *w, const uint64_t *cand, size_t n, uint8_t how)
{
	check(w, cand, n, how, NULL);
}

/* ------------------------------------------------------ thread pointers */

typedef struct area {
	uint64_t start, len;
	uint8_t *buf; /* NULL: not read */
} area_t;

static bool in_heap(const walker_t *w, uint64_t s, uint64_t e)
{
	for (size_t i = 0; i < w->out->nheaps; i++)
		if (s < w->out->heaps[i].end && w->out->heaps[i].start < e)
			return true;
	return false;
}

static bool push_area(area_t **v, size_t *n, size_t *cap, uint64_t start, uint64_t len)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		area_t *nv = realloc(*v, c * sizeof *nv);
		if (!nv)
			return false;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = (area_t){start, len, NULL};
	return true;
}

/* The anonymous writable mappings' pages where thread pointers live: small
 * mappings whole; of larger ones the top of every resident run, as a
 * thread's struct pthread sits at the top of its stack and glibc's stacks
 * may lie side by side in one mapping (from 2.42, on kernels from 6.13,
 * their guards are MADV_GUARD_INSTALL'd, not mappings of their own, so the
 * kernel merges neighbouring stacks). */
static size_t areas(walker_t *w, area_t **out)
{
	const hl_regions_t *r = w->maps;
	area_t *v = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0, scanned = 0, ps = (uint64_t)w->pk.page_size;
	for (size_t i = 0; i < r->n && total < AREAS_MAX; i++) {
		const hl_region_t *g = &r->v[i];
		if (g->path[0] || g->perms[0] != 'r' || g->perms[1] != 'w' ||
		    in_heap(w, g->start, g->end))
			continue;
		uint64_t len = g->end - g->start;
		if (len <= AREA_WHOLE || len > AREA_SCAN_MAX || scanned + len > AREA_SCAN_TOTAL) {
			uint64_t start = len <= AREA_WHOLE ? g->start : g->end - AREA_TOP;
			if (hl_pmap_add(&w->pm, start, g->end, w->pk.page_size) ||
			    !push_area(&v, &n, &cap, start, g->end - start))
				continue;
			total += g->end - start;
			continue;
		}
		if (hl_pmap_add(&w->pm, g->start, g->end, w->pk.page_size) ||
		    hl_pmap_load_range(&w->pk, &w->pm, g->start))
			continue;
		scanned += len;
		/* resident runs, from the top down */
		for (uint64_t pg = g->end; pg > g->start && total < AREAS_MAX;) {
			pg -= ps;
			if (hl_pmap_page(&w->pm, pg, w->pk.page_size) != 1)
				continue;
			uint64_t top = pg + ps, bottom = pg;
			while (bottom > g->start && top - bottom < AREA_TOP &&
			       hl_pmap_page(&w->pm, bottom - ps, w->pk.page_size) == 1)
				bottom -= ps;
			if (!push_area(&v, &n, &cap, bottom, top - bottom))
				break;
			total += top - bottom;
			/* the rest of the run below: stack in use, not a stack's top */
			while (pg > g->start && hl_pmap_page(&w->pm, pg - ps, w->pk.page_size) == 1)
				pg -= ps;
		}
	}
	*out = v;
	return n;
}

static void read_areas(walker_t *w, area_t *a, size_t n)
{
	uint64_t ps = (uint64_t)w->pk.page_size;
	size_t pages = 0;
	for (size_t i = 0; i < n; i++)
		pages += (size_t)(a[i].len / ps);
	hl_piece_t *pc = malloc((pages ? pages : 1) * sizeof *pc);
	size_t k = 0;
	for (size_t i = 0; pc && i < n; i++) {
		a[i].buf = calloc(1, a[i].len);
		for (uint64_t off = 0; a[i].buf && off < a[i].len; off += ps)
			pc[k++] = (hl_piece_t){a[i].start + off, a[i].buf + off, (uint32_t)ps, 0};
	}
	if (pc)
		hl_peek_pieces(&w->pk, &w->pm, pc, k); /* a page not read stays zero */
	free(pc);
}

/* The word at addr, if an area holds it. */
static bool word_at(const area_t *a, size_t n, uint64_t addr, uint64_t *v)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].buf && addr >= a[i].start && addr + 8 <= a[i].start + a[i].len) {
			memcpy(v, a[i].buf + (addr - a[i].start), 8);
			return true;
		}
	return false;
}

static size_t thread_pointers(const area_t *a, size_t n, uint64_t **out)
{
	size_t cap = 16, k = 0;
	uint64_t *tp = malloc(cap * sizeof *tp);
	for (size_t i = 0; tp && i < n; i++) {
		if (!a[i].buf)
			continue;
		for (uint64_t off = 0; off + 24 <= a[i].len; off += 16) {
			uint64_t tcb, self, at = a[i].start + off;
			memcpy(&tcb, a[i].buf + off, 8);
			memcpy(&self, a[i].buf + off + 16, 8);
			if (tcb != at || self != at)
				continue;
			if (k == cap) {
				uint64_t *v = realloc(tp, (cap *= 2) * sizeof *v);
				if (!v)
					break;
				tp = v;
			}
			tp[k++] = at;
		}
	}
	*out = tp;
	return tp ? k : 0;
}

/* The offset of `tcache` from the thread pointer: the one below the first
 * thread pointers whose words lead to structs of the right shape. */
static bool learn_offset(walker_t *w, const area_t *a, size_t n, const uint64_t *tp, size_t ntp,
			 int64_t *off)
{
	size_t cap = LEARN_FROM * TLS_SPAN / 8, k = 0;
	uint64_t *cand = malloc(cap * sizeof *cand);
	int64_t *at = malloc(cap * sizeof *at);
	bool *good = calloc(cap, sizeof *good);
	bool found = false;
	for (size_t t = 0; cand && at && good && t < ntp && t < LEARN_FROM; t++)
		for (int64_t o = -8; o >= -(int64_t)TLS_SPAN; o -= 8) {
			uint64_t v;
			if (!word_at(a, n, tp[t] + (uint64_t)o, &v) || !v || (v & 15) ||
			    walk_heap_of(w, v - CHUNK_HDR, CHUNK_HDR + w->l.tcache_size) < 0)
				continue;
			cand[k] = v - CHUNK_HDR;
			at[k++] = o;
		}
	if (k) {
		check(w, cand, k, WT_TLS, good);
		for (size_t i = 0; i < k && !found; i++)
			if (good[i]) {
				*off = at[i];
				found = true;
			}
	}
	free(cand);
	free(at);
	free(good);
	return found;
}

void walk_find_tcaches(walker_t *w)
{
	const hl_walk_t *o = w->out;
	check(w, w->first, o->nheaps, WT_HEAP_START, NULL);
	if (!w->maps)
		return; /* an image: no threads */
	area_t *a = NULL;
	size_t n = areas(w, &a);
	if (!a)
		return;
	read_areas(w, a, n);
	uint64_t *tp = NULL;
	size_t ntp = thread_pointers(a, n, &tp);
	int64_t off;
	if (ntp && learn_offset(w, a, n, tp, ntp, &off)) {
		uint64_t *cand = malloc(ntp * sizeof *cand);
		size_t k = 0;
		for (size_t t = 0; cand && t < ntp; t++) {
			uint64_t v;
			if (word_at(a, n, tp[t] + (uint64_t)off, &v) && v && !(v & 15) &&
			    !known(w, v - CHUNK_HDR))
				cand[k++] = v - CHUNK_HDR;
		}
		if (k)
			check(w, cand, k, WT_TLS, NULL);
		free(cand);
	}
	free(tp);
	for (size_t i = 0; i < n; i++)
		free(a[i].buf);
	free(a);
}
