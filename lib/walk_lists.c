/*
 * walk_lists.c — every free list of every arena (the unsorted, small and
 * large bins, the fastbins) and of every tcache, read in batches.
 *
 * glibc's int_mallinfo computes mallinfo2 from these lists, not from a walk
 * of the heap, and so do we: a free chunk is one that a list holds. A list
 * is a chain of dependent reads (the next address is in the node), so read
 * one by one a list of N nodes costs N syscalls. Instead every list is
 * followed at once, in rounds, and each round makes one process_vm_readv
 * of up to 1024 pieces (pagemap.c checks each against the snapshot):
 *
 * - needs: the node each unfinished list waits for;
 * - guesses along a stride: a list whose last nodes were equally spaced
 *   (glibc links chunks freed in address order that way) gets the next
 *   nodes read ahead at that spacing, as one contiguous range when they are
 *   close together;
 * - chases: from a node read ahead, the nodes it points to (fd and bk, the
 *   nextsize links, the safe-linked fd), read before any list asks;
 * - scans: a list still unfinished after a few rounds gets whole resident
 *   pages of its arena's heaps read at random, and every 16-byte position
 *   there that looks like a free chunk (a sane size, and links that point
 *   into a heap or at a bin) is kept and chased: a list in random order is
 *   entered at many points at once.
 *
 * Everything read is memory as it was at that address: a cache, never a
 * verdict. What makes a chunk free is only that its list, followed from
 * its head in malloc_state or tcache_perthread_struct node by node, reaches
 * it, with the same checks as before (alignment, a sane size inside a heap
 * of the arena, bk pointing back, bounded length, Brent's cycle finder).
 * Guesses that were wrong cost a piece of a batch, nothing more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "walk_int.h"

enum { L_BIN, L_FAST, L_TCACHE };

#define NODE 48             /* prev_size, size, fd, bk, fd_nextsize, bk_nextsize */
#define NRANGES 64
#define RANGE_MAX (64u << 10)
#define BATCH_BYTES (8u << 20)
#define HEAP_SPAN_GUESS (1ULL << 40) /* no free chunk is larger */
#define SCAN_ROUND 256      /* pages scanned in one round, at most */
#define SCAN_PAGES 8        /* in clusters of consecutive pages */
#define SCAN_SLOW 128       /* nodes a round below which a list is slow */
#define SCAN_AFTER 3        /* rounds a slow list runs before its heaps are scanned */

/* ------------------------------------------------------ the lists */

typedef struct range {
	uint64_t start, len;
	uint8_t *buf;
} range_t;

typedef struct lw {
	uint8_t kind;
	uint32_t arena;
	int bin;
	uint64_t head; /* L_BIN: the bin as a chunk (in malloc_state) */
	uint64_t cur, prev;
	long n, limit;
	uint64_t saved, power, steps; /* Brent */
	int64_t stride;
	int same;
	long rounds; /* rounds it has been unfinished */
	bool done;
	/* its nodes read ahead along its stride: lane[j] at lane_first +
	 * j * stride, kept apart from the cache (no hashing, no growth) */
	uint8_t *lane;
	int8_t *lane_ok;
	uint64_t lane_first;
	int64_t lane_stride;
	uint32_t lane_n;
} lw_t;

typedef struct lists {
	walker_t *w;
	nodes_t nm; /* every node read, by address */
	range_t r[NRANGES];
	size_t nr, rnext, rhit;
	lw_t *lw;
	size_t nlw;
	uint64_t *chase;
	size_t nchase, capchase;
	/* heaps sorted by start, for "is this a chunk address?" */
	size_t *hs;
	uint8_t *scanned; /* one bit per page of each heap, by out->heaps order */
	size_t *scan_base; /* bit offset of each heap in scanned */
	int64_t scan_budget, spec_budget, spec_read, spec_used;

} lists_t;

/* The 48 bytes at addr from a range read earlier, if one holds them. */
static bool from_range(lists_t *L, uint64_t addr, uint64_t *out)
{
	for (size_t k = 0; k < L->nr; k++) {
		const range_t *r = &L->r[(L->rhit + k) % L->nr];
		if (addr >= r->start && addr - r->start + NODE <= r->len) {
			memcpy(out, r->buf + (addr - r->start), NODE);
			L->rhit = (L->rhit + k) % L->nr;
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------ addresses */

static int cmp_heap_start(const void *a, const void *b, void *ctx)
{
	const hl_walk_t *o = ctx;
	uint64_t x = o->heaps[*(const size_t *)a].start, y = o->heaps[*(const size_t *)b].start;
	return (x > y) - (x < y);
}

/* The heap that can hold a chunk at addr (one of at least MINSIZE), or -1. */
static long heap_at(const lists_t *L, uint64_t addr)
{
	const hl_walk_t *o = L->w->out;
	size_t lo = 0, hi = o->nheaps;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (o->heaps[L->hs[mid]].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	size_t h = L->hs[lo - 1];
	return addr + MINSIZE <= o->heaps[h].end ? (long)h : -1;
}

static bool chunk_addr(const lists_t *L, uint64_t a)
{
	return a && !(a & 15) && heap_at(L, a) >= 0;
}

/* Inside some arena's malloc_state: a bin head, as fd and bk may be. */
static bool bin_addr(const lists_t *L, uint64_t a)
{
	const walker_t *w = L->w;
	for (size_t i = 0; i < w->out->narenas; i++) {
		uint64_t s = w->out->arenas[i].addr + w->l.ms_bins - 16;
		if (a >= s && a < s + (uint64_t)w->l.nbins * 16)
			return true;
	}
	return false;
}

/* Queues a for reading ahead (want_node drops what is known already: no
 * lookup here, each costs a cache miss on a big map). Every link of every
 * node read ahead is chased, the one it was reached by too: restricting
 * each chain to its own direction was measured slower (nearly three times the
 * rounds on 250,000 unsorted chunks). */
static void chase(lists_t *L, uint64_t a)
{
	if (!chunk_addr(L, a))
		return;
	if (L->nchase == L->capchase) {
		size_t cap = L->capchase ? L->capchase * 2 : 1024;
		uint64_t *v = realloc(L->chase, cap * sizeof *v);
		if (!v)
			return;
		L->chase = v;
		L->capchase = cap;
	}
	L->chase[L->nchase++] = a;
}

/* What a node read ahead points to, by the shapes a free chunk can have. */
static void chase_from(lists_t *L, uint64_t addr, const uint64_t *v)
{
	uint64_t size = v[1] & ~7ULL;
	bool fd_ok = chunk_addr(L, v[2]) || bin_addr(L, v[2]);
	bool bk_ok = chunk_addr(L, v[3]) || bin_addr(L, v[3]);
	if (fd_ok && bk_ok) { /* a bin chunk */
		chase(L, v[2]);
		chase(L, v[3]);
		if (size >= 1024) {
			chase(L, v[4]);
			chase(L, v[5]);
		}
	}
	if (size <= 176) /* a fastbin chunk (the largest max_fast is 160) */
		chase(L, walk_reveal(L->w, addr + 16, v[2]));
}

/* Could a free chunk start at addr, by the 48 bytes v there? */
static bool looks_free(const lists_t *L, uint64_t addr, const uint64_t *v)
{
	/* the cheap tests first: most of a page is not a free chunk */
	uint64_t size = v[1] & ~7ULL;
	if (size < MINSIZE || size & 15 || (v[1] & 2) || size > HEAP_SPAN_GUESS)
		return false;
	bool linked = !(v[2] & 15) && !(v[3] & 15) && v[2] && v[3];
	bool small = size <= 176;
	if (!linked && !small)
		return false;
	long h = heap_at(L, addr);
	if (h < 0 || size > L->w->out->heaps[h].end - addr)
		return false;
	if (linked && (chunk_addr(L, v[2]) || bin_addr(L, v[2])) &&
	    (chunk_addr(L, v[3]) || bin_addr(L, v[3])))
		return true;
	uint64_t next = walk_reveal(L->w, addr + 16, v[2]);
	return small && (next == 0 || chunk_addr(L, next));
}

/* ------------------------------------------------------ the lists */

static bool cycle_step(lw_t *x, uint64_t node)
{
	if (x->power && node == x->saved)
		return true;
	if (++x->steps >= x->power) {
		x->saved = node;
		x->power = x->power ? x->power * 2 : 1;
		x->steps = 0;
	}
	return false;
}

static const char *kind_name(const lw_t *x)
{
	return x->kind == L_BIN ? "bin" : x->kind == L_FAST ? "fastbin" : "tcache bin";
}

static void stop(lists_t *L, lw_t *x, const char *why, uint64_t at)
{
	walk_warn(L->w, "%s %d: %s (at %#llx)", kind_name(x), x->bin, why, (unsigned long long)at);
	x->done = true;
}

/* Marks the whole pages of [from, to) in heap h as not to be scanned: the
 * insides of top and of big free chunks hold no header to find, and are
 * what malloc_trim releases. */
static void no_scan(lists_t *L, size_t h, uint64_t from, uint64_t to)
{
	const hl_walk_heap_t *hp = &L->w->out->heaps[h];
	uint64_t ps = (uint64_t)L->w->pk.page_size;
	if (from < hp->start)
		from = hp->start;
	if (to > hp->end)
		to = hp->end;
	uint64_t a = (from + ps - 1) / ps, b = to / ps, base = hp->start / ps;
	for (uint64_t pg = a; pg < b; pg++) {
		size_t bit = L->scan_base[h] + (size_t)(pg - base);
		if (bit % 8 == 0 && pg + 8 <= b) { /* whole bytes where they fit */
			size_t n = (size_t)(b - pg) / 8;
			memset(L->scanned + bit / 8, 0xff, n);
			pg += 8 * n - 1;
			continue;
		}
		L->scanned[bit / 8] |= (uint8_t)(1u << (bit % 8));
	}
}

/* Takes node v at x->cur: checks it, keeps the chunk, moves on. */
static void take(lists_t *L, lw_t *x, const uint64_t *v)
{
	walker_t *w = L->w;
	uint64_t c = x->cur, size = v[1] & ~7ULL;
	long h = heap_at(L, c);
	if (h < 0 || size < MINSIZE || size & 15 || size > w->out->heaps[h].end - c) {
		stop(L, x, "bad chunk size", c);
		return;
	}
	if (x->kind != L_TCACHE && w->out->heaps[h].arena != x->arena) {
		stop(L, x, "a chunk in another arena's heap", c);
		return;
	}
	if (x->kind == L_BIN && v[3] != x->prev) {
		stop(L, x, "its list is broken (bk does not point back)", c);
		return;
	}
	if (cycle_step(x, c)) {
		stop(L, x, "its list loops", c);
		return;
	}
	uint8_t cls = x->kind == L_BIN ? HL_CHUNK_BIN : x->kind == L_FAST ? HL_CHUNK_FASTBIN
									  : HL_CHUNK_TCACHE;
	if (walk_push(w, c, size, (uint32_t)h, cls)) {
		stop(L, x, "out of memory", c);
		return;
	}
	if (size >= 4 * (uint64_t)w->pk.page_size)
		no_scan(L, (size_t)h, c + NODE, c + size);
	x->n++;
	uint64_t next;
	if (x->kind == L_BIN)
		next = v[2];
	else if (x->kind == L_FAST)
		next = walk_reveal(w, c + 16, v[2]);
	else {
		uint64_t e = walk_reveal(w, c + 16, v[2]);
		next = e ? e - 16 : 0;
		if (e & 15) {
			stop(L, x, "unreadable entry", e);
			return;
		}
	}
	int64_t d = (int64_t)(next - c);
	x->same = d == x->stride ? x->same + 1 : 0;
	x->stride = d;
	x->prev = c;
	x->cur = next;
	if (x->n >= x->limit || (x->kind != L_BIN && !next) || (x->kind == L_BIN && next == x->head))
		x->done = true;
	else if (!next || (next & 15))
		stop(L, x, "unreadable chunk", next);
}

/* Follows x as far as the cache goes. */
/* The node at x->cur from x's lane, if the lane holds it. */
static bool from_lane(lw_t *x, uint64_t *v)
{
	if (!x->lane_n || !x->lane_stride)
		return false;
	int64_t d = (int64_t)(x->cur - x->lane_first);
	if (d % x->lane_stride)
		return false;
	int64_t j = d / x->lane_stride;
	if (j < 0 || j >= (int64_t)x->lane_n || x->lane_ok[j] != 1)
		return false;
	memcpy(v, x->lane + (size_t)j * NODE, NODE);
	return true;
}

static void advance(lists_t *L, lw_t *x)
{
	uint64_t v[6];
	while (!x->done) {
		if (from_lane(x, v)) {
			L->spec_used++;
			take(L, x, v);
			continue;
		}
		const node_t *n = nodes_lookup(&L->nm, x->cur);
		if (n && node_state(n) == NODE_BAD) {
			stop(L, x, x->kind == L_TCACHE ? "unreadable entry" : "unreadable chunk",
			     x->cur);
			return;
		}
		if (n && node_state(n) == NODE_READ) {
			node_unpack(n, v);
			L->spec_used += node_spec(n);
		} else if (!from_range(L, x->cur, v)) {
			return;
		}
		take(L, x, v);
	}
}

static lw_t *add_list(lists_t *L, uint8_t kind, uint32_t arena, int bin, uint64_t first,
		      uint64_t head, long limit)
{
	lw_t *v = realloc(L->lw, (L->nlw + 1) * sizeof *v);
	if (!v)
		return NULL;
	L->lw = v;
	lw_t *x = &v[L->nlw++];
	memset(x, 0, sizeof *x);
	x->kind = kind;
	x->arena = arena;
	x->bin = bin;
	x->cur = first;
	x->head = x->prev = head;
	x->limit = limit;
	x->done = !first || (kind == L_BIN && first == head);
	if (!x->done && (first & 15))
		stop(L, x, kind == L_TCACHE ? "unreadable entry" : "unreadable chunk", first);
	return x;
}

static void add_arena_lists(lists_t *L, size_t ai)
{
	walker_t *w = L->w;
	const uint8_t *ms = w->ms[ai];
	uint64_t base = w->out->arenas[ai].addr;
	for (int i = 0; i < w->l.nfastbins; i++) {
		uint64_t p;
		memcpy(&p, ms + w->l.ms_fastbins + (size_t)i * 8, 8);
		add_list(L, L_FAST, (uint32_t)ai, i, p, 0, MAX_LIST);
	}
	for (int i = 1; i < w->l.nbins; i++) {
		uint64_t fd, bk, head = base + w->l.ms_bins + (uint64_t)(i - 1) * 16 - 16;
		memcpy(&fd, ms + w->l.ms_bins + (size_t)(i - 1) * 16, 8);
		memcpy(&bk, ms + w->l.ms_bins + (size_t)(i - 1) * 16 + 8, 8);
		lw_t *x = add_list(L, L_BIN, (uint32_t)ai, i, fd, head, MAX_LIST);
		if (x && !x->done && bk != head)
			chase(L, bk); /* the list from its tail end too */
	}
}

static void add_tcache_lists(lists_t *L, size_t tc_from)
{
	walker_t *w = L->w;
	for (size_t t = tc_from; t < w->ntc; t++) {
		const uint8_t *b = w->tc[t].body;
		for (int i = 0; i < w->l.tcache_bins; i++) {
			long c = walk_tcache_count(w, b, i);
			uint64_t e;
			memcpy(&e, b + w->l.tcache_entries + 8 * (size_t)i, 8);
			if (c <= 0 || !e)
				continue;
			add_list(L, L_TCACHE, 0, i, e - 16, 0, c);
		}
	}
}

/* ------------------------------------------------------ a round */

typedef struct batch {
	hl_piece_t pc[HL_PIECES_MAX];
	uint8_t what[HL_PIECES_MAX]; /* B_* */
	lw_t *lane[HL_PIECES_MAX];   /* B_STRIDE: whose lane, which slot */
	node_t *node[HL_PIECES_MAX]; /* B_NEED, B_SPEC: its entry */
	uint32_t lane_j[HL_PIECES_MAX];
	size_t n, bytes;
	uint8_t *buf;
} batch_t;

enum { B_NEED, B_SPEC, B_STRIDE, B_RANGE, B_SCAN };

static bool add_piece_to(batch_t *b, uint64_t addr, uint32_t len, uint8_t what, void *buf)
{
	if (b->n == HL_PIECES_MAX || (!buf && b->bytes + len > BATCH_BYTES))
		return false;
	/* more than a node spans other chunks' insides, which a concurrent
	 * malloc_trim may have released since the snapshot: ask afresh */
	b->pc[b->n] = (hl_piece_t){addr, buf ? buf : b->buf + b->bytes, len, 0,
				   what == B_RANGE || what == B_SCAN};
	b->what[b->n++] = what;
	if (!buf)
		b->bytes += len;
	return true;
}

static bool add_piece(batch_t *b, uint64_t addr, uint32_t len, uint8_t what)
{
	return add_piece_to(b, addr, len, what, NULL);
}

/* Guesses x's next k nodes along its stride into its lane. */
static void want_lane(lw_t *x, batch_t *b, int k)
{
	if (!x->lane) {
		x->lane = malloc((size_t)HL_PIECES_MAX * NODE);
		x->lane_ok = malloc(HL_PIECES_MAX);
		if (!x->lane || !x->lane_ok)
			return;
	}
	if (k > HL_PIECES_MAX)
		k = HL_PIECES_MAX;
	x->lane_first = x->cur + (uint64_t)x->stride;
	x->lane_stride = x->stride;
	x->lane_n = 0;
	for (int j = 0; j < k; j++) {
		uint64_t a = x->lane_first + (uint64_t)x->stride * (uint64_t)j;
		x->lane_ok[j] = 0;
		if (!add_piece_to(b, a, NODE, B_STRIDE, x->lane + (size_t)j * NODE))
			break;
		b->lane[b->n - 1] = x;
		b->lane_j[b->n - 1] = (uint32_t)j;
		x->lane_n++;
	}
}

static bool want_node(lists_t *L, batch_t *b, uint64_t addr, uint8_t what)
{
	node_t *n = nodes_entry(&L->nm, addr);
	if (!n || node_state(n) != NODE_PENDING || node_spec(n)) /* read, bad, or already in this batch */
		return n != NULL;
	if (!add_piece(b, addr, NODE, what))
		return false;
	node_set(n, NODE_PENDING, true); /* marks "in the batch" until it is read */
	b->node[b->n - 1] = n; /* stays valid: the map was grown for a batch first */
	return true;
}

/* A contiguous range along x's stride, when its nodes are close. */
static void want_range(lists_t *L, batch_t *b, const lw_t *x)
{
	const hl_walk_t *o = L->w->out;
	long h = heap_at(L, x->cur);
	if (h < 0)
		return;
	uint64_t span = (uint64_t)(x->stride < 0 ? -x->stride : x->stride) * 1024;
	if (span > RANGE_MAX)
		span = RANGE_MAX;
	uint64_t lo, hi;
	if (x->stride < 0) {
		hi = x->cur + NODE;
		lo = hi - o->heaps[h].start > span ? hi - span : o->heaps[h].start;
	} else {
		lo = x->cur;
		hi = lo + span < o->heaps[h].end ? lo + span : o->heaps[h].end;
	}
	if (hi <= lo)
		return;
	add_piece(b, lo, (uint32_t)(hi - lo), B_RANGE);
}

/* Clusters of up to SCAN_PAGES resident pages at random places in the
 * heaps of the arenas whose lists are slow, each page scanned once. */
static void want_scans(lists_t *L, batch_t *b, const bool *arena_waits)
{
	walker_t *w = L->w;
	const hl_walk_t *o = w->out;
	uint64_t ps = (uint64_t)w->pk.page_size;
	int64_t total = 0;
	for (size_t h = 0; h < o->nheaps; h++)
		if (arena_waits[o->heaps[h].arena])
			total += (int64_t)((o->heaps[h].end - o->heaps[h].start) / ps);
	int room = SCAN_ROUND;
	for (int tries = 0; total > 0 && L->scan_budget > 0 && room > 0 && tries < 64; tries++) {
		uint64_t k = walk_rand(w) % (uint64_t)total;
		size_t h = 0;
		for (;; h++) {
			if (!arena_waits[o->heaps[h].arena])
				continue;
			uint64_t n = (o->heaps[h].end - o->heaps[h].start) / ps;
			if (k < n)
				break;
			k -= n;
		}
		uint64_t npages = (o->heaps[h].end - o->heaps[h].start) / ps, start = 0, len = 0;
		for (uint64_t j = k; j < npages && len < SCAN_PAGES * ps; j++) {
			size_t bit = L->scan_base[h] + (size_t)j;
			uint64_t pg = o->heaps[h].start + j * ps;
			bool seen = L->scanned[bit / 8] & (1u << (bit % 8));
			L->scanned[bit / 8] |= (uint8_t)(1u << (bit % 8));
			bool ok = !seen && hl_pmap_page(&w->pm, pg, w->pk.page_size) == 1;
			if (ok && !len)
				start = pg;
			if (ok)
				len += ps;
			else if (len)
				break;
		}
		if (!len)
			continue;
		if (!add_piece(b, start, (uint32_t)len, B_SCAN))
			return;
		L->scan_budget -= (int64_t)(len / ps);
		room -= (int)(len / ps);
	}
}

static void keep_range(lists_t *L, const hl_piece_t *p)
{
	range_t *r = &L->r[L->rnext];
	if (L->nr < NRANGES) {
		r->buf = malloc(RANGE_MAX);
		if (!r->buf)
			return;
		L->nr++;
	}
	memcpy(r->buf, p->buf, p->len);
	r->start = p->addr;
	r->len = p->len;
	L->rnext = (L->rnext + 1) % NRANGES;
}

static void scan_page(lists_t *L, const hl_piece_t *p)
{
	uint64_t v[6];
	for (uint32_t off = 0; off + NODE <= p->len; off += 16) {
		memcpy(v, (uint8_t *)p->buf + off, sizeof v);
		uint64_t a = p->addr + off;
		if (!looks_free(L, a, v))
			continue;
		node_t *n = nodes_entry(&L->nm, a);
		if (!n || node_state(n) != NODE_PENDING || node_spec(n))
			continue;
		node_keep(n, v, true);
		chase_from(L, a, v);
	}
}

/* One batch: what the lists wait for first, then what may spare later
 * rounds. Returns false when no list waits any more. */
static bool round_once(lists_t *L, batch_t *b)
{
	walker_t *w = L->w;
	b->n = b->bytes = 0;
	bool any = false;
	bool *arena_waits = calloc(w->out->narenas ? w->out->narenas : 1, sizeof *arena_waits);
	if (!arena_waits) {
		walk_warn(w, "out of memory");
		return false;
	}
	/* no entry made while the batch fills may move the others */
	if (nodes_reserve(&L->nm, HL_PIECES_MAX + 1)) {
		walk_warn(w, "out of memory");
		free(arena_waits);
		return false;
	}
	for (size_t i = 0; i < L->nlw; i++) {
		lw_t *x = &L->lw[i];
		advance(L, x);
		if (x->done)
			continue;
		any = true;
		if (!want_node(L, b, x->cur, B_NEED)) {
			if (b->n == HL_PIECES_MAX || b->bytes + NODE > BATCH_BYTES)
				break; /* the batch is full: next round */
			stop(L, x, "unreadable chunk", x->cur);
			continue;
		}
		/* a list that takes fewer nodes a round than a batch holds is
		 * read mostly one node a round: enter it elsewhere */
		x->rounds++;
		if (x->kind != L_TCACHE && x->rounds > SCAN_AFTER && x->n / x->rounds < SCAN_SLOW)
			arena_waits[x->arena] = true;
	}
	if (!any) {
		free(arena_waits);
		return false;
	}
	/* read ahead along strides */
	for (size_t i = 0; i < L->nlw; i++) {
		lw_t *x = &L->lw[i];
		if (x->done || x->same < 2)
			continue;
		uint64_t ad = (uint64_t)(x->stride < 0 ? -x->stride : x->stride);
		if (ad <= RANGE_MAX / 64) {
			want_range(L, b, x);
			continue;
		}
		/* a run of equal steps earns a longer guess, up to a whole batch */
		want_lane(x, b, x->same < 7 ? 8 << x->same : HL_PIECES_MAX);
	}
	/* chases, up to their budget (a chain of guesses that leads nowhere
	 * dies at its first node that does not look free) */
	while (L->spec_read < L->spec_budget && L->nchase && b->n < HL_PIECES_MAX) {
		if (L->nchase > 8) /* the map is big and cold: ask for slots early */
			__builtin_prefetch(nodes_slot_hint(&L->nm, L->chase[L->nchase - 8]));
		if (!want_node(L, b, L->chase[--L->nchase], B_SPEC))
			break;
	}
	/* scans only while the chases leave the batch half empty: once they
	 * fill it, more places to start from would not make it larger */
	if (b->n < HL_PIECES_MAX / 2)
		want_scans(L, b, arena_waits);
	free(arena_waits);

	if (hl_peek_pieces(&w->pk, &w->pm, b->pc, b->n) == -ESRCH) {
		walk_warn(w, "the process exited during the walk");
		for (size_t i = 0; i < L->nlw; i++)
			L->lw[i].done = true;
		return false;
	}
	/* the nodes first (their entries are as want_node left them), then the
	 * scanned pages, which make entries of their own */
	for (size_t i = 0; i < b->n; i++) {
		const hl_piece_t *p = &b->pc[i];
		if (b->what[i] == B_RANGE) {
			if (p->ok == 1)
				keep_range(L, p);
			continue;
		}
		if (b->what[i] == B_SCAN)
			continue;
		if (b->what[i] == B_STRIDE) {
			b->lane[i]->lane_ok[b->lane_j[i]] = p->ok;
			L->spec_read += p->ok == 1;
			continue;
		}
		node_t *n = b->node[i];
		bool sp = b->what[i] != B_NEED;
		if (p->ok != 1) {
			/* a guess may miss; a need that fails ends its list */
			node_set(n, NODE_BAD, sp);
			continue;
		}
		node_keep(n, p->buf, sp);
		L->spec_read += sp;
		if (b->what[i] == B_SPEC) /* a guess along a stride needs no chase */
			chase_from(L, p->addr, p->buf);
	}
	for (size_t i = 0; i < b->n; i++)
		if (b->what[i] == B_SCAN && b->pc[i].ok == 1)
			scan_page(L, &b->pc[i]);
	return true;
}

void walk_lists(walker_t *w, size_t tc_from)
{
	lists_t L;
	memset(&L, 0, sizeof L);
	L.w = w;
	hl_walk_t *o = w->out;
	uint64_t ps = (uint64_t)w->pk.page_size;
	L.hs = malloc((o->nheaps ? o->nheaps : 1) * sizeof *L.hs);
	L.scan_base = malloc((o->nheaps ? o->nheaps : 1) * sizeof *L.scan_base);
	batch_t *b = malloc(sizeof *b);
	uint8_t *buf = malloc(BATCH_BYTES);
	size_t bits = 0;
	int64_t pages = 0;
	for (size_t h = 0; L.hs && L.scan_base && h < o->nheaps; h++) {
		L.hs[h] = h;
		L.scan_base[h] = bits;
		bits += (size_t)((o->heaps[h].end - o->heaps[h].start) / ps);
	}
	for (size_t h = 0; h < o->nheaps; h++)
		pages += hl_pmap_resident(&w->pm, o->heaps[h].start, o->heaps[h].end - o->heaps[h].start,
					  w->pk.page_size) / (int64_t)ps;
	L.scanned = calloc(bits / 8 + 1, 1);
	for (size_t i = 0; L.scanned && i < w->nchunks; i++)
		if (w->chunks[i].cls == HL_CHUNK_TOP)
			no_scan(&L, w->chunks[i].heap, w->chunks[i].addr,
				w->chunks[i].addr + w->chunks[i].size);
	if (!L.hs || !L.scan_base || !b || !buf || !L.scanned) {
		walk_warn(w, "out of memory");
		goto out;
	}
	qsort_r(L.hs, o->nheaps, sizeof *L.hs, cmp_heap_start, o);
	/* scans may read up to 1/128 of the resident heap, and at least 256 pages */
	L.scan_budget = pages / 128 > 256 ? pages / 128 : 256;
	/* reads ahead: at most a quarter of the resident pages, and 64 Ki */
	L.spec_budget = pages / 4 > 65536 ? pages / 4 : 65536;

	b->buf = buf;
	if (tc_from == 0)
		for (size_t a = 0; a < o->narenas; a++)
			if (o->arenas[a].nheaps) /* no heap, nothing can be free in it */
				add_arena_lists(&L, a);
	add_tcache_lists(&L, tc_from);
	long rounds = 0;
	while (rounds < MAX_LIST && round_once(&L, b))
		rounds++;
out:
	for (size_t i = 0; i < L.nr; i++)
		free(L.r[i].buf);
	for (size_t i = 0; i < L.nlw; i++) {
		free(L.lw[i].lane);
		free(L.lw[i].lane_ok);
	}
	nodes_free(&L.nm);
	free(L.lw);
	free(L.chase);
	free(L.hs);
	free(L.scan_base);
	free(L.scanned);
	free(b);
	free(buf);
}
