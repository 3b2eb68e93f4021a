/*
 * walk.c — walks a running process's glibc heap from outside, read-only,
 * through peek.c: finds main_arena and mp_ (glibc_layout.c), follows the
 * arena list, reads every arena's bins, fastbins and top, walks every chunk
 * of its heaps, finds the threads' tcache_perthread_structs, and classes
 * every chunk (in use, tcache, fastbin, bin, top, meta) and the pages of the
 * free ones (held back = resident, released = not).
 *
 * The totals are defined as glibc's int_mallinfo defines them (malloc.c,
 * glibc 2.36), so they can be checked against the target's own mallinfo2:
 * free = top + fastbin chunks + bin chunks, free chunks = bin chunks + 1 for
 * top, in use = system_mem - free (tcache chunks count as in use there).
 * int_mallinfo follows the bin lists; we count the same chunks in the chunk
 * walk (a free chunk's successor has PREV_INUSE clear), which costs no read
 * per free chunk.
 *
 * The target keeps running while we read: every size and pointer is bounds-
 * checked, every list walk is bounded, and a walk that finds something
 * inconsistent stops that part, says so in warning, and returns what it has.
 * It never reads a page that is not present (peek.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

#define HEAP_MAX (64ULL << 20)
/* a heap extent larger than this is taken for garbage read from a changing
 * or corrupted target (1 TiB: the per-page map would be 256 MiB) */
#define HEAP_SPAN_MAX (1ULL << 40)
#define MAX_LIST 10000000
#define MAX_CHUNKS 100000000
#define MAX_ARENAS 1024
#define CHUNK_HDR 16
#define MINSIZE 32

typedef struct chunk {
	uint64_t addr;
	uint64_t size; /* chunksize: flags masked */
	uint32_t heap; /* index into out->heaps */
	uint8_t cls;   /* hl_chunk_class_t */
	bool next_prev_inuse;
} chunk_t;

typedef struct addr_set {
	uint64_t *v;
	size_t n, cap;
} addr_set_t;

typedef struct walker {
	hl_peek_t pk;
	hl_glibc_layout_t l;
	hl_walk_t *out;
	addr_set_t fast, tcache;
	chunk_t *chunks;
	size_t nchunks, capchunks;
	int flags; /* HL_WALK_* */
} walker_t;

static void warn(walker_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(walker_t *w, const char *fmt, ...)
{
	w->out->complete = false;
	if (w->out->warning[0])
		return; /* the first one says most */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->out->warning, sizeof w->out->warning, fmt, ap);
	va_end(ap);
}

static int set_add(addr_set_t *s, uint64_t a)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		uint64_t *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = a;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static bool set_has(const addr_set_t *s, uint64_t a)
{
	return s->n && bsearch(&a, s->v, s->n, sizeof a, cmp_u64);
}

static int rd64(walker_t *w, uint64_t addr, uint64_t *v)
{
	return hl_peek_read(&w->pk, addr, v, 8);
}

/* ------------------------------------------------------ finding libc */

static int find_libc(walker_t *w, const hl_regions_t *r, uint64_t *base, char *path, size_t pathsz,
		     hl_error_t *err)
{
	*base = 0;
	for (size_t i = 0; i < r->n; i++) {
		const char *slash = strrchr(r->v[i].path, '/');
		const char *name = slash ? slash + 1 : r->v[i].path;
		if (strstr(name, "jemalloc") || strstr(name, "tcmalloc") || strstr(name, "mimalloc"))
			warn(w, "%s is loaded: glibc's malloc may be idle in this process", name);
		if (!*base && r->v[i].offset == 0 &&
		    (!strncmp(name, "libc.so", 7) || !strncmp(name, "libc-2.", 7))) {
			*base = r->v[i].start;
			snprintf(path, pathsz, "%s", r->v[i].path);
		}
	}
	if (!*base)
		return hl_error_set(err, -ENOENT,
				    "process %d has no glibc mapped (a static binary, or another C "
				    "library such as musl): only the maps-level view is possible",
				    (int)w->out->pid);
	return 0;
}

/* Without debug info: main_arena is the malloc_state in libc's writable data
 * whose next pointer leads back to itself (one arena: directly) and whose
 * top lies in the brk heap. mp_ is the malloc_par whose sbrk_base is the
 * brk heap's start. */
static int heuristic(walker_t *w, const hl_regions_t *r, const char *libc, uint64_t *ma,
		     uint64_t *mp, hl_error_t *err)
{
	const hl_region_t *heap = NULL;
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].path, "[heap]"))
			heap = &r->v[i];
	*ma = *mp = 0;
	for (size_t i = 0; i < r->n && heap && (!*ma || !*mp); i++) {
		const hl_region_t *g = &r->v[i];
		/* libc's rw data, and the anonymous bss right after it */
		bool ours = (!strcmp(g->path, libc) && g->perms[1] == 'w') ||
			    (i && !g->path[0] && g->perms[1] == 'w' && !strcmp(r->v[i - 1].path, libc));
		if (!ours)
			continue;
		for (uint64_t a = g->start; a + w->l.ms_size <= g->end; a += 8) {
			uint64_t v;
			if (!*mp && rd64(w, a + w->l.mp_sbrk_base, &v) == 0 && v == heap->start &&
			    rd64(w, a + w->l.mp_mmap_threshold, &v) == 0 && v >= 4096)
				*mp = a;
			if (!*ma && rd64(w, a + w->l.ms_next, &v) == 0 && v == a &&
			    rd64(w, a + w->l.ms_top, &v) == 0 && v >= heap->start && v < heap->end)
				*ma = a;
		}
	}
	if (!*ma || !*mp)
		return hl_error_set(err, -ENOENT,
				    "no debug info for this libc and the heuristic did not find "
				    "main_arena/mp_ (install libc6-dbg)");
	return 0;
}

/* ------------------------------------------------------ lists */

/* Brent's cycle finder over a singly linked list: step() with each node;
 * it says true once a node has come round again. No memory per node, and
 * a cycle is seen within twice its length after it is entered. */
typedef struct cycle {
	uint64_t saved;
	uint64_t power, steps;
} cycle_t;

static bool cycle_step(cycle_t *c, uint64_t node)
{
	if (c->power && node == c->saved)
		return true;
	if (++c->steps >= c->power) {
		c->saved = node;
		c->power = c->power ? c->power * 2 : 1;
		c->steps = 0;
	}
	return false;
}

static void walk_fastbins(walker_t *w, const uint8_t *ms, hl_walk_arena_t *a)
{
	for (int i = 0; i < w->l.nfastbins; i++) {
		uint64_t p;
		memcpy(&p, ms + w->l.ms_fastbins + (size_t)i * 8, 8);
		cycle_t cy = {0, 0, 0};
		for (long n = 0; p && n < MAX_LIST; n++) {
			uint64_t hdr[3]; /* prev_size, size, fd */
			if (p & 15 || hl_peek_read(&w->pk, p, hdr, sizeof hdr)) {
				warn(w, "fastbin %d: unreadable chunk %#llx", i, (unsigned long long)p);
				break;
			}
			if (cycle_step(&cy, p)) {
				warn(w, "fastbin %d: its list loops (at %#llx)", i, (unsigned long long)p);
				break;
			}
			a->fastbin_chunks++;
			a->fastbin_bytes += (int64_t)(hdr[1] & ~7ULL);
			set_add(&w->fast, p);
			/* safe-linking (glibc >= 2.32): fd = (&fd >> 12) ^ next */
			p = ((p + 16) >> 12) ^ hdr[2];
		}
	}
}

/* ------------------------------------------------------ chunks */

static int push_chunk(walker_t *w, uint64_t addr, uint64_t size)
{
	if (w->nchunks == w->capchunks) {
		size_t cap = w->capchunks ? w->capchunks * 2 : 4096;
		chunk_t *v = realloc(w->chunks, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		w->chunks = v;
		w->capchunks = cap;
	}
	uint32_t heap = w->out->nheaps ? (uint32_t)(w->out->nheaps - 1) : 0;
	w->chunks[w->nchunks++] = (chunk_t){addr, size, heap, HL_CHUNK_IN_USE, true};
	return 0;
}

/* Walks [first, end) chunk by chunk, up to and including top.
 *
 * Reading one 16-byte header per syscall would cost two syscalls per chunk
 * (pagemap, then process_vm_readv). Instead it predicts: after a chunk of
 * size S, the next chunks are guessed to be of size S too, and up to 1024
 * headers at pos + S, pos + 2S, ... are read in one call. Every guessed
 * header is at a true chunk boundary as long as all before it had size S,
 * so the first header that differs is still a real header, and the walk
 * goes on from it. */
#define BATCH 1024

static void walk_range(walker_t *w, hl_walk_arena_t *a, uint64_t first, uint64_t end, uint64_t top)
{
	static __thread uint64_t addr[BATCH], hdrs[BATCH][2];
	size_t nb = 0, at = 0; /* hdrs[at..nb) are read-ahead headers */
	uint64_t pos = first;
	size_t before = w->nchunks;
	int fenceposts = 0; /* in a row */
	for (long n = 0; pos + CHUNK_HDR <= end && n < MAX_CHUNKS; n++) {
		uint64_t hdr[2];
		if (at < nb && addr[at] == pos) {
			hdr[0] = hdrs[at][0];
			hdr[1] = hdrs[at][1];
			at++;
		} else {
			nb = at = 0;
			if (hl_peek_read(&w->pk, pos, hdr, sizeof hdr)) {
				warn(w, "chunk header at %#llx not readable (not resident?)",
				     (unsigned long long)pos);
				break;
			}
		}
		uint64_t size = hdr[1] & ~7ULL;
		if (w->nchunks > before)
			w->chunks[w->nchunks - 1].next_prev_inuse = hdr[1] & 1;
		if (pos == top) {
			if (size > end - pos || size & 15)
				warn(w, "top chunk at %#llx: size %#llx runs past its heap",
				     (unsigned long long)pos, (unsigned long long)size);
			else if (push_chunk(w, pos, size) == 0)
				w->chunks[w->nchunks - 1].cls = HL_CHUNK_TOP;
			return;
		}
		/* Fenceposts close a heap that top left (sysmalloc): a non-main
		 * heap ends in a 16-byte chunk and a 0-size header in its last 16
		 * bytes; a non-contiguous brk heap in two 16-byte chunks. */
		if (size == 0 && pos + CHUNK_HDR == end && fenceposts == 1) {
			if (push_chunk(w, pos, CHUNK_HDR) == 0)
				w->chunks[w->nchunks - 1].cls = HL_CHUNK_META;
			return;
		}
		if (size == CHUNK_HDR && fenceposts < 2) {
			if (push_chunk(w, pos, size)) {
				warn(w, "out of memory after %zu chunks", w->nchunks);
				break;
			}
			w->chunks[w->nchunks - 1].cls = HL_CHUNK_META;
			pos += size;
			fenceposts++;
			continue;
		}
		fenceposts = 0;
		if (size < MINSIZE || size & 15 || size > end - pos) {
			warn(w, "bad chunk size %#llx at %#llx (heap changing or corrupt)",
			     (unsigned long long)size, (unsigned long long)pos);
			break;
		}
		if (push_chunk(w, pos, size)) {
			warn(w, "out of memory after %zu chunks", w->nchunks);
			break;
		}
		a->chunks++;
		pos += size;
		/* out of read-ahead: guess the next ones are the same size */
		if (at >= nb && size >= 64) {
			size_t k = 0;
			for (uint64_t q = pos; k < BATCH && q + CHUNK_HDR <= end && q <= top; q += size)
				addr[k++] = q;
			size_t done = 0;
			if (k > 1 && hl_peek_read_many(&w->pk, addr, k, CHUNK_HDR, hdrs, &done) == 0) {
				nb = done;
				at = 0;
			}
		}
	}
}

/* Registers the heap [start, end) of arena ai; the chunks walked next
 * belong to it. */
static int add_heap(walker_t *w, uint64_t start, uint64_t end, size_t ai)
{
	hl_walk_t *out = w->out;
	uint64_t ps = (uint64_t)w->pk.page_size;
	if (end < start || end - start > HEAP_SPAN_MAX)
		return -ERANGE;
	hl_walk_heap_t *v = realloc(out->heaps, (out->nheaps + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	out->heaps = v;
	hl_walk_heap_t *h = &v[out->nheaps++];
	memset(h, 0, sizeof *h);
	h->start = start / ps * ps;
	h->end = (end + ps - 1) / ps * ps;
	h->arena = (uint32_t)ai;
	if (w->flags & HL_WALK_PAGES) {
		size_t n = (size_t)((h->end - h->start) / ps);
		h->pages = calloc(n ? n : 1, 1); /* HL_PAGE_USED is 0 */
		if (!h->pages)
			return -ENOMEM;
		h->npages[HL_PAGE_USED] = (int64_t)n;
	}
	return 0;
}

/* A tcache_perthread_struct: counts[i] <= tcache_count, entries[i] set
 * exactly where counts[i] is, each first entry of bin i's size. */
static bool is_tcache(walker_t *w, uint64_t chunk, uint64_t tcache_count)
{
	uint8_t buf[1024];
	if (w->l.tcache_size > sizeof buf ||
	    hl_peek_read(&w->pk, chunk + CHUNK_HDR, buf, w->l.tcache_size))
		return false;
	int nonempty = 0;
	for (int i = 0; i < 64; i++) {
		uint16_t c;
		uint64_t e;
		memcpy(&c, buf + 2 * i, 2);
		memcpy(&e, buf + w->l.tcache_entries + 8 * (size_t)i, 8);
		if (c > tcache_count || (c == 0) != (e == 0) || (e & 15))
			return false;
		nonempty += c > 0;
	}
	(void)nonempty;
	return true;
}

static void walk_tcache(walker_t *w, uint64_t chunk, hl_walk_t *out)
{
	uint8_t buf[1024];
	if (hl_peek_read(&w->pk, chunk + CHUNK_HDR, buf, w->l.tcache_size))
		return;
	for (int i = 0; i < 64; i++) {
		uint16_t c;
		uint64_t e;
		memcpy(&c, buf + 2 * i, 2);
		memcpy(&e, buf + w->l.tcache_entries + 8 * (size_t)i, 8);
		cycle_t cy = {0, 0, 0};
		for (int k = 0; k < c && e; k++) {
			uint64_t next;
			if (e & 15 || rd64(w, e, &next)) {
				warn(w, "tcache bin %d: unreadable entry", i);
				break;
			}
			if (cycle_step(&cy, e)) {
				warn(w, "tcache bin %d: its list loops (at %#llx)", i,
				     (unsigned long long)e);
				break;
			}
			set_add(&w->tcache, e - CHUNK_HDR);
			out->tcache_chunks++;
			/* safe-linking: next = (&next >> 12) ^ stored */
			e = (e >> 12) ^ next;
		}
	}
}

/* ------------------------------------------------------ the walk */

static void account(walker_t *w, hl_walk_arena_t *a, const chunk_t *c, int64_t top_pad)
{
	int64_t res = 0, whole;
	uint64_t from, len;
	switch (c->cls) {
	case HL_CHUNK_IN_USE:
		a->live_bytes += (int64_t)c->size - 8;
		a->overhead_bytes += 8;
		return;
	case HL_CHUNK_META:
		a->overhead_bytes += (int64_t)c->size;
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
	if (c->cls == HL_CHUNK_TCACHE)
		a->tcache_bytes += (int64_t)c->size;
	if (c->cls == HL_CHUNK_BIN) {
		a->free_chunks++;
		a->bin_bytes += (int64_t)c->size;
	}
	if (!len)
		return;
	uint64_t ps = (uint64_t)w->pk.page_size;
	hl_walk_heap_t *h = c->heap < w->out->nheaps ? &w->out->heaps[c->heap] : NULL;
	bool top = c->cls == HL_CHUNK_TOP;
	for (uint64_t pg = (from + ps - 1) / ps * ps; pg + ps <= from + len; pg += ps) {
		bool in = false;
		hl_peek_page_resident(&w->pk, pg, &in);
		res += in ? (int64_t)ps : 0;
		if (h && h->pages && pg >= h->start && pg < h->end) {
			uint8_t pc = top ? (in ? HL_PAGE_TOP_RESIDENT : HL_PAGE_TOP_RELEASED)
					 : (in ? HL_PAGE_FREE_RESIDENT : HL_PAGE_FREE_RELEASED);
			uint8_t *slot = &h->pages[(pg - h->start) / ps];
			h->npages[*slot]--;
			h->npages[pc]++;
			*slot = pc;
		}
	}
	whole = (int64_t)(((from + len) / ps - (from + ps - 1) / ps) * ps);
	if (whole < 0)
		whole = 0;
	a->held_back_bytes += res;
	a->released_bytes += whole - res;
	if (c->cls == HL_CHUNK_TOP)
		a->top_released_bytes += whole - res;
	if (c->cls == HL_CHUNK_BIN || c->cls == HL_CHUNK_FASTBIN)
		a->releasable_bytes += res;
	if (c->cls == HL_CHUNK_TOP && (int64_t)len > top_pad) {
		int64_t above = 0;
		hl_peek_resident(&w->pk, from + (uint64_t)top_pad, len - (uint64_t)top_pad, &above);
		a->releasable_bytes += above;
	}
}

static void walk_arena(walker_t *w, const uint8_t *ms, hl_walk_arena_t *a, size_t ai,
		       uint64_t sbrk_base, const uint8_t *mp, hl_walk_t *out)
{
	uint64_t top, sys;
	memcpy(&top, ms + w->l.ms_top, 8);
	memcpy(&sys, ms + w->l.ms_system_mem, 8);
	a->system_bytes = (int64_t)sys;
	uint64_t thdr[2] = {0, 0};
	if (top && hl_peek_read(&w->pk, top, thdr, sizeof thdr) == 0)
		a->top_bytes = (int64_t)(thdr[1] & ~7ULL);
	else
		warn(w, "arena %#llx: top %#llx unreadable", (unsigned long long)a->addr,
		     (unsigned long long)top);
	a->free_chunks = 1; /* top */
	walk_fastbins(w, ms, a);
	/* bin chunks are counted during the chunk walk (account()): every free
	 * chunk that is not top, tcache or fastbin sits in a bin, and the
	 * next chunk's PREV_INUSE says which are free. Following each bin's
	 * list instead would cost one read per free chunk. */

	size_t first_chunk = w->nchunks;
	if (a->main) {
		uint64_t end = top + (uint64_t)a->top_bytes;
		if (!sbrk_base) {
			/* glibc's malloc never grew the brk heap (a process that
			 * has not allocated, or whose malloc is another's): top is
			 * 0 or glibc's initial top inside the arena itself */
			if (top && (top < a->addr || top >= a->addr + w->l.ms_size))
				warn(w, "main arena: top %#llx but no brk heap",
				     (unsigned long long)top);
			a->top_bytes = 0;
			return;
		}
		/* the brk heap is all of system_mem (foreign sbrk included), less
		 * while it grows under us: more is garbage */
		bool sane = top >= sbrk_base && end >= top && sys <= HEAP_SPAN_MAX &&
			    end - sbrk_base <= sys + HEAP_MAX;
		int rc = sane ? add_heap(w, sbrk_base, end, ai) : -ERANGE;
		if (rc == -ERANGE)
			warn(w, "main arena: heap %#llx..%#llx not understood",
			     (unsigned long long)sbrk_base, (unsigned long long)end);
		else if (rc)
			warn(w, "out of memory");
		if (rc)
			return;
		a->nheaps = 1;
		walk_range(w, a, (sbrk_base + 15) & ~15ULL, end, top);
	} else {
		/* the heap holding top, then its prev chain */
		uint64_t h = top & ~(HEAP_MAX - 1);
		for (int k = 0; h && k < 4096; k++) {
			uint64_t hi[3]; /* ar_ptr, prev, size */
			if (hl_peek_read(&w->pk, h, hi, sizeof hi) || hi[0] != a->addr ||
			    hi[2] > HEAP_MAX) {
				warn(w, "arena %#llx: heap_info at %#llx not understood",
				     (unsigned long long)a->addr, (unsigned long long)h);
				break;
			}
			bool seen = false;
			for (size_t j = 0; j < out->nheaps; j++)
				seen |= out->heaps[j].start == h;
			if (seen) {
				warn(w, "arena %#llx: heap %#llx comes round again",
				     (unsigned long long)a->addr, (unsigned long long)h);
				break;
			}
			uint64_t first = h + w->l.hi_size;
			if (a->addr == first) /* the arena's first heap holds its malloc_state */
				first += w->l.ms_size;
			first = (first + 15) & ~15ULL;
			int rc = add_heap(w, h, h + hi[2], ai);
			if (rc == -ERANGE)
				warn(w, "arena %#llx: heap %#llx not understood",
				     (unsigned long long)a->addr, (unsigned long long)h);
			else if (rc)
				warn(w, "out of memory");
			if (rc)
				break;
			walk_range(w, a, first, h + hi[2], top);
			a->nheaps++;
			h = hi[1];
		}
	}
	(void)mp;
	(void)out;
	(void)first_chunk;
}

static void classify(walker_t *w, hl_walk_t *out, int64_t top_pad)
{
	for (size_t i = 0; i < w->nchunks; i++) {
		chunk_t *c = &w->chunks[i];
		if (c->cls == HL_CHUNK_TOP || c->cls == HL_CHUNK_META)
			;
		else if (set_has(&w->fast, c->addr))
			c->cls = HL_CHUNK_FASTBIN;
		else if (set_has(&w->tcache, c->addr))
			c->cls = HL_CHUNK_TCACHE;
		else if (!c->next_prev_inuse)
			c->cls = HL_CHUNK_BIN;
		else
			c->cls = HL_CHUNK_IN_USE;
		account(w, &out->arenas[out->heaps[c->heap].arena], c, top_pad);
	}
}

/* Everything after main_arena and mp_ are found: the arenas, their heaps,
 * the tcaches, the classes and the totals, into w->out. */
static int walk_from(walker_t *w, uint64_t ma, uint64_t mpa, hl_error_t *err)
{
	hl_walk_t *out = w->out;
	int rc = 0;
	uint8_t *ms = malloc(w->l.ms_size), *mp = malloc(w->l.mp_size);
	if (!ms || !mp) {
		rc = hl_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (hl_peek_read(&w->pk, mpa, mp, w->l.mp_size)) {
		rc = hl_error_set(err, -EFAULT, "cannot read mp_ at %#llx", (unsigned long long)mpa);
		goto out;
	}
	uint64_t v;
	int iv;
	memcpy(&v, mp + w->l.mp_mmap_threshold, 8);
	out->mmap_threshold = (int64_t)v;
	memcpy(&v, mp + w->l.mp_trim_threshold, 8);
	out->trim_threshold = (int64_t)v;
	memcpy(&v, mp + w->l.mp_top_pad, 8);
	out->top_pad = (int64_t)v;
	memcpy(&iv, mp + w->l.mp_n_mmaps, 4);
	out->mmapped_chunks = iv;
	memcpy(&v, mp + w->l.mp_mmapped_mem, 8);
	out->mmapped_bytes = (int64_t)v;
	memcpy(&v, mp + w->l.mp_tcache_count, 8);
	out->tcache_count = (int64_t)v;
	uint64_t sbrk_base;
	memcpy(&sbrk_base, mp + w->l.mp_sbrk_base, 8);

	/* the arenas, main first, in the order of their next pointers */
	uint64_t a = ma;
	do {
		if (hl_peek_read(&w->pk, a, ms, w->l.ms_size)) {
			warn(w, "arena %#llx unreadable", (unsigned long long)a);
			break;
		}
		bool seen = false;
		for (size_t j = 0; j < out->narenas; j++)
			seen |= out->arenas[j].addr == a;
		if (seen) {
			warn(w, "arena list comes round to %#llx again, not to main_arena",
			     (unsigned long long)a);
			break;
		}
		hl_walk_arena_t *na = realloc(out->arenas, (out->narenas + 1) * sizeof *na);
		if (!na)
			break;
		out->arenas = na;
		hl_walk_arena_t *ar = &out->arenas[out->narenas++];
		memset(ar, 0, sizeof *ar);
		ar->addr = a;
		ar->main = a == ma;
		walk_arena(w, ms, ar, out->narenas - 1, sbrk_base, mp, out);
		memcpy(&a, ms + w->l.ms_next, 8);
	} while (a != ma && a && out->narenas < MAX_ARENAS);

	/* the threads' tcaches: in-use chunks shaped like a
	 * tcache_perthread_struct, each arena's first chunk usually */
	if (w->fast.n)
		qsort(w->fast.v, w->fast.n, sizeof *w->fast.v, cmp_u64);
	for (size_t i = 0; i < w->nchunks; i++) {
		chunk_t *c = &w->chunks[i];
		if (c->size == w->l.tcache_size + CHUNK_HDR && c->next_prev_inuse && c->cls != HL_CHUNK_TOP &&
		    !set_has(&w->fast, c->addr) && is_tcache(w, c->addr, (uint64_t)out->tcache_count)) {
			c->cls = HL_CHUNK_META;
			out->tcache_structs++;
			walk_tcache(w, c->addr, out);
		}
	}
	if (w->tcache.n)
		qsort(w->tcache.v, w->tcache.n, sizeof *w->tcache.v, cmp_u64);
	classify(w, out, out->top_pad);
	for (size_t i = 0; i < out->narenas; i++) {
		hl_walk_arena_t *ar = &out->arenas[i];
		ar->free_bytes = ar->top_bytes + ar->fastbin_bytes + ar->bin_bytes;
		ar->in_use_bytes = ar->system_bytes - ar->free_bytes;
	}

	/* totals as mallinfo2 defines them */
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
	out->reads = w->pk.reads;
	out->bytes_read = w->pk.bytes_read;
	if (w->flags & HL_WALK_CHUNKS) {
		out->chunk = malloc((w->nchunks ? w->nchunks : 1) * sizeof *out->chunk);
		if (!out->chunk) {
			warn(w, "out of memory for %zu chunks", w->nchunks);
		} else {
			for (size_t i = 0; i < w->nchunks; i++) {
				const chunk_t *c = &w->chunks[i];
				out->chunk[i] = (hl_walk_chunk_t){c->addr, c->size, out->heaps[c->heap].arena, c->cls};
			}
			out->nchunk = w->nchunks;
		}
	}
out:
	free(ms);
	free(mp);
	free(w->chunks);
	free(w->fast.v);
	free(w->tcache.v);
	return rc;
}

int hl_walk_process(pid_t pid, hl_walk_t *out, hl_error_t *err)
{
	hl_glibc_layout_t cache;
	memset(&cache, 0, sizeof cache);
	return hl_walk_process_cached(pid, &cache, out, err);
}

int hl_walk_process_cached(pid_t pid, hl_glibc_layout_t *cache, hl_walk_t *out, hl_error_t *err)
{
	return hl_walk_process_opts(pid, cache, 0, out, err);
}

int hl_walk_process_opts(pid_t pid, hl_glibc_layout_t *cache, int flags, hl_walk_t *out,
			 hl_error_t *err)
{
	memset(out, 0, sizeof *out);
	out->pid = pid;
	out->complete = true;
	walker_t w;
	memset(&w, 0, sizeof w);
	w.out = out;
	w.flags = flags;
	int rc = hl_peek_open(&w.pk, pid, err);
	if (rc)
		return rc;

	hl_buf_t b = {0};
	hl_regions_t r = {0};
	uint64_t base = 0, ma = 0, mpa = 0;
	char libc[256];
	rc = hl_procfs_read(pid, "maps", &b, err);
	if (!rc)
		rc = hl_maps_parse(b.data, b.len, &r, err);
	if (!rc)
		rc = find_libc(&w, &r, &base, libc, sizeof libc, err);
	if (rc)
		goto out;
	hl_error_t why = {0};
	char path[300], id[128];
	snprintf(path, sizeof path, "/proc/%d/root%s", (int)pid, libc);
	if (cache->method[0] && hl_glibc_build_id(path, id, sizeof id, NULL) == 0 &&
	    !strcmp(id, cache->build_id)) {
		w.l = *cache;
		if (!w.l.from_debug)
			snprintf(why.msg, sizeof why.msg, "no debug info for this libc");
	} else {
		hl_glibc_layout_for_libc(path, &w.l, &why);
		*cache = w.l;
	}
	if (w.l.from_debug) {
		ma = base + w.l.main_arena_off;
		mpa = base + w.l.mp_off;
		snprintf(out->method, sizeof out->method, "%s", w.l.method);
	} else {
		rc = heuristic(&w, &r, libc, &ma, &mpa, err);
		if (rc)
			goto out;
		snprintf(out->method, sizeof out->method,
			 "heuristic: the arena whose next leads back to itself (%s)", why.msg);
	}

	rc = walk_from(&w, ma, mpa, err);
out:
	hl_regions_free(&r);
	hl_buf_free(&b);
	hl_peek_close(&w.pk);
	if (rc)
		hl_walk_free(out);
	return rc;
}

int hl_walk_image(const hl_peek_seg_t *segs, size_t nsegs, const hl_glibc_layout_t *l,
		  uint64_t ma, uint64_t mp, int flags, hl_walk_t *out, hl_error_t *err)
{
	memset(out, 0, sizeof *out);
	out->complete = true;
	snprintf(out->method, sizeof out->method, "image");
	walker_t w;
	memset(&w, 0, sizeof w);
	w.out = out;
	w.flags = flags;
	w.l = *l;
	hl_peek_image(&w.pk, segs, nsegs);
	int rc = walk_from(&w, ma, mp, err);
	if (rc)
		hl_walk_free(out);
	return rc;
}

void hl_walk_free(hl_walk_t *w)
{
	free(w->arenas);
	w->arenas = NULL;
	w->narenas = 0;
	for (size_t i = 0; i < w->nheaps; i++)
		free(w->heaps[i].pages);
	free(w->heaps);
	w->heaps = NULL;
	w->nheaps = 0;
	free(w->chunk);
	w->chunk = NULL;
	w->nchunk = 0;
}

const char *hl_page_class_name(hl_page_class_t c)
{
	static const char *const n[HL_NPAGE_CLASSES] = {"used", "free-resident", "free-released",
							"top-resident", "top-released"};
	return (unsigned)c < HL_NPAGE_CLASSES ? n[c] : "?";
}

const char *hl_chunk_class_name(hl_chunk_class_t c)
{
	static const char *const n[HL_NCHUNK_CLASSES] = {"in-use", "tcache", "fastbin",
							 "bin",    "top",    "meta"};
	return (unsigned)c < HL_NCHUNK_CLASSES ? n[c] : "?";
}

void hl_walk_summarize(const hl_walk_t *w, struct hl_walk_summary *s)
{
	snprintf(s->method, sizeof s->method, "%s", w->method);
	s->complete = w->complete;
	snprintf(s->warning, sizeof s->warning, "%s", w->warning);
	s->mallinfo2 = w->mallinfo2;
	s->arenas = (int64_t)w->narenas;
	s->chunks = w->chunks;
	s->live_bytes = w->live_bytes;
	s->tcache_bytes = w->tcache_bytes;
	s->fastbin_bytes = w->fastbin_bytes;
	s->top_bytes = w->top_bytes;
	s->held_back_bytes = w->held_back_bytes;
	s->released_bytes = w->released_bytes;
	s->releasable_bytes = w->releasable_bytes;
	s->overhead_bytes = w->overhead_bytes;
	s->bin_bytes = w->bin_bytes;
	s->top_released_bytes = w->top_released_bytes;
	s->mmap_threshold = w->mmap_threshold;
	s->trim_threshold = w->trim_threshold;
	s->reads = w->reads;
}
