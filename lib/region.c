/*
 * region.c — gives every mapping its class (DESIGN.md section 3): the brk
 * heap, a non-main arena's heap, an mmapped malloc chunk, other anonymous
 * memory, the stack, files, the rest. Works from maps alone; given a peek
 * function (peek.c's hl_peek_read16, or a fake in tests) it proves a mapping
 * is malloc's by reading heap and chunk headers, which peek reads without
 * faulting anything in. It parses nothing and reads no /proc file itself.
 *
 * Facts from glibc 2.36 (malloc/arena.c, malloc/malloc.c, x86-64) used here:
 * - A non-main arena's heap is reserved as HEAP_MAX_SIZE (64 MiB:
 *   2 * DEFAULT_MMAP_THRESHOLD_MAX) of PROT_NONE at a 64 MiB-aligned
 *   address; the part in use is mprotect'ed rw, so maps shows a rw-p part at
 *   the aligned start and a ---p reserve up to the next boundary. All 64 MiB
 *   are the heap's: nothing else can be mapped inside.
 * - The heap starts with heap_info {ar_ptr, prev, size, mprotect_size,
 *   pagesize}. mprotect_size is the rw part's length; size is what the arena
 *   uses, and is SMALLER once heap_trim has shrunk the heap (it madvises, it
 *   does not mprotect back), so size is no test for the rw part's length.
 *   prev is the arena's previous heap (64 MiB-aligned) or NULL for its first
 *   heap, which holds the arena's malloc_state right after heap_info.
 * - An mmapped chunk starts its mapping with prev_size 0 (the alignment
 *   correction, 0 where MALLOC_ALIGNMENT == CHUNK_HDR_SZ; memalign keeps the
 *   mapping's own header intact in front of the chunk it carves) and a size
 *   field equal to the mapping's length with IS_MMAPPED (0x2) alone set.
 * - The kernel merges neighbouring anonymous mappings of equal protection
 *   into one VMA (measured: eight live 1 MiB chunks showed as one 8.3 MiB
 *   rw-p line). So a VMA that begins with mmapped chunks is split where they
 *   end (the rest is anon-other), and one that holds a heap's start further
 *   in is split there. A split part's smaps figures are kept only where they
 *   are exact (0, or the whole part), otherwise HL_UNKNOWN.
 * Not handled: glibc.malloc.hugetlb=2 heaps (aligned to 4 huge pages, not
 * 64 MiB), and chunks merged after the start of other anonymous memory.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

#define HEAP_MAX_SIZE (64ULL << 20)
#define PAGE 4096ULL /* x86-64; every size checked here is a multiple */
#define IS_MMAPPED 0x2ULL
#define SIZE_FLAGS 0x7ULL  /* PREV_INUSE | IS_MMAPPED | NON_MAIN_ARENA */
#define MAX_TILES 64	   /* chunk headers examined per region */
#define MAX_HEAP_STARTS 16 /* 64 MiB boundaries examined per region (1 GiB) */
#define HEAP_INFO_MIN 32   /* sizeof (heap_info): 32 before 2.35, 48 since */

const char *hl_region_class_name(hl_region_class_t c)
{
	switch (c) {
	case HL_REGION_BRK_HEAP: return "brk-heap";
	case HL_REGION_ARENA_HEAP: return "arena-heap";
	case HL_REGION_MMAP_CHUNK: return "mmap-chunk";
	case HL_REGION_ANON_OTHER: return "anon-other";
	case HL_REGION_STACK: return "stack";
	case HL_REGION_FILE: return "file";
	case HL_REGION_OTHER:
	case HL_REGION_NCLASSES: break;
	}
	return "other";
}

/* Anonymous memory: no path, or a name a process gave it with
 * PR_SET_VMA_ANON_NAME ("[anon:...]"), which is still anonymous memory. */
static bool is_anon(const hl_region_t *r)
{
	return (r->path[0] == '\0' && r->inode == 0) || !strncmp(r->path, "[anon:", 6);
}

static bool is_rw(const hl_region_t *r)
{
	return r->perms[0] == 'r' && r->perms[1] == 'w';
}

static bool is_reserve(const hl_region_t *r)
{
	return !strncmp(r->perms, "---", 3);
}

/* The class a region has by its name alone; anonymous ones come out as
 * anon-other, to be looked at further. */
static hl_region_class_t by_name(const hl_region_t *r)
{
	if (!strcmp(r->path, "[heap]"))
		return HL_REGION_BRK_HEAP;
	if (!strcmp(r->path, "[stack]") || !strncmp(r->path, "[stack:", 7)) /* pre-4.5 kernels */
		return HL_REGION_STACK;
	if (r->path[0] == '/') /* also "/x (deleted)", "/memfd:x", "/dev/zero (deleted)" */
		return HL_REGION_FILE;
	if (is_anon(r))
		return HL_REGION_ANON_OTHER;
	return HL_REGION_OTHER; /* [vdso], [vvar], [vsyscall], anon_inode:... */
}

/* Splits region i at addr (start < addr < end): [start, addr) stays at i,
 * [addr, end) becomes i+1. false (and nothing changed) without memory. */
static bool split(hl_regions_t *rs, size_t i, uint64_t addr)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		hl_region_t *v = realloc(rs->v, cap * sizeof *v);
		if (!v)
			return false;
		rs->v = v;
		rs->cap = cap;
	}
	memmove(&rs->v[i + 2], &rs->v[i + 1], (rs->n - i - 1) * sizeof *rs->v);
	rs->n++;
	rs->v[i + 1] = rs->v[i];
	rs->v[i].end = rs->v[i + 1].start = addr;
	/* smaps counts the whole VMA: a figure of 0 is 0 in both parts, one
	 * equal to the whole length is each part's length; anything between
	 * cannot be apportioned without a page walk. */
	static const size_t fig[] = {
	    offsetof(hl_region_t, rss_bytes), offsetof(hl_region_t, private_dirty_bytes),
	    offsetof(hl_region_t, anonymous_bytes), offsetof(hl_region_t, swap_bytes)};
	int64_t whole = (int64_t)(rs->v[i + 1].end - rs->v[i].start);
	for (size_t k = 0; k < sizeof fig / sizeof fig[0]; k++)
		for (size_t part = i; part <= i + 1; part++) {
			int64_t *f = (int64_t *)((char *)&rs->v[part] + fig[k]);
			if (*f == whole)
				*f = (int64_t)(rs->v[part].end - rs->v[part].start);
			else if (*f != 0)
				*f = HL_UNKNOWN;
		}
	return true;
}

/* 1: heap_info at a proves a heap; 0: the bytes there are something else;
 * -1: they cannot be read (peek refused: not resident, or not readable). */
static int heap_info_at(uint64_t a, hl_peek_fn peek, void *ctx)
{
	uint64_t w[4]; /* ar_ptr, prev, size, mprotect_size */
	if (peek(ctx, a, w) != 0 || peek(ctx, a + 16, w + 2) != 0)
		return -1;
	uint64_t ar = w[0], prev = w[1], size = w[2], mprot = w[3];
	uint64_t ar_off = ar & (HEAP_MAX_SIZE - 1);
	/* ar_ptr: a malloc_state right after some heap's heap_info */
	if (ar_off < HEAP_INFO_MIN || ar_off >= PAGE || ar % 8)
		return 0;
	/* the first heap of an arena (prev NULL) holds its arena; later ones
	 * point back to an aligned heap and not to themselves */
	if (prev ? prev % HEAP_MAX_SIZE != 0 || prev == a || ar - ar_off == a : ar - ar_off != a)
		return 0;
	if (!size || size > mprot || mprot > HEAP_MAX_SIZE || size % PAGE || mprot % PAGE)
		return 0;
	return 1;
}

/* A heap's outline in maps, for when nothing can be read: a rw-p part at a
 * 64 MiB-aligned start, either all 64 MiB or followed by an adjacent ---p
 * reserve up to (or, merged with a neighbour's guard page, past) the next
 * boundary. */
static bool heap_outline(const hl_regions_t *rs, size_t i)
{
	const hl_region_t *r = &rs->v[i], *next = i + 1 < rs->n ? &rs->v[i + 1] : NULL;
	uint64_t len = r->end - r->start;
	if (r->start % HEAP_MAX_SIZE || !is_rw(r) || len > HEAP_MAX_SIZE)
		return false;
	return len == HEAP_MAX_SIZE || (next && next->start == r->end && is_anon(next) &&
					is_reserve(next) && next->end - r->start >= HEAP_MAX_SIZE);
}

/* Where a heap starts in anonymous region i, or 0. With peek, the first 64
 * MiB boundaries inside the region are examined for a heap_info; without
 * peek (or when the start cannot be read) the outline decides, and only for
 * a heap at the region's start. */
static uint64_t heap_start(const hl_regions_t *rs, size_t i, hl_peek_fn peek, void *ctx)
{
	const hl_region_t *r = &rs->v[i];
	if (!is_rw(r) || r->start > UINT64_MAX - HEAP_MAX_SIZE)
		return 0;
	uint64_t a = (r->start + HEAP_MAX_SIZE - 1) & ~(HEAP_MAX_SIZE - 1);
	bool start_unread = !peek;
	for (int k = 0; peek && k < MAX_HEAP_STARTS && a < r->end; k++) {
		int rc = heap_info_at(a, peek, ctx);
		if (rc == 1)
			return a;
		if (rc < 0 && a == r->start)
			start_unread = true;
		if (a > UINT64_MAX - HEAP_MAX_SIZE)
			break;
		a += HEAP_MAX_SIZE;
	}
	return start_unread && heap_outline(rs, i) ? r->start : 0;
}

/* Bytes from start that consecutive mmapped chunks tile, staying below
 * limit, after examining at most MAX_TILES headers. */
static uint64_t mmapped_tiles(uint64_t start, uint64_t limit, hl_peek_fn peek, void *ctx)
{
	uint64_t pos = start;
	for (int k = 0; k < MAX_TILES && pos < limit; k++) {
		uint64_t h[2]; /* prev_size, size */
		if (peek(ctx, pos, h) != 0 || h[0] != 0 || (h[1] & SIZE_FLAGS) != IS_MMAPPED)
			break;
		uint64_t len = h[1] & ~SIZE_FLAGS;
		if (!len || len % PAGE || len > limit - pos)
			break;
		pos += len;
	}
	return pos - start;
}

/* Region i is anonymous and holds no heap: mmap-chunk if chunks tile it,
 * else anon-other; chunks that tile only its beginning are split off, and
 * *rest_end marks the rest as anon-other without looking again (that bounds
 * the headers read per region). */
static void anon_region(hl_regions_t *rs, size_t i, hl_peek_fn peek, void *ctx, uint64_t *rest_end)
{
	hl_region_t *r = &rs->v[i];
	r->cls = HL_REGION_ANON_OTHER;
	if (!peek || !is_rw(r))
		return;
	uint64_t end = r->end, tiled = mmapped_tiles(r->start, end, peek, ctx);
	if (tiled == end - r->start)
		r->cls = HL_REGION_MMAP_CHUNK;
	else if (tiled && split(rs, i, r->start + tiled)) {
		rs->v[i].cls = HL_REGION_MMAP_CHUNK;
		*rest_end = end;
	}
}

/* Region i lies inside the heap [.., heap_hi): its rw part or its reserve.
 * A neighbour merged in past the boundary is split off, to be looked at on
 * the next turn. */
static void heap_part(hl_regions_t *rs, size_t i, uint64_t heap_hi)
{
	if (rs->v[i].end > heap_hi)
		split(rs, i, heap_hi); /* without memory the whole VMA counts as heap */
	rs->v[i].cls = HL_REGION_ARENA_HEAP;
}

void hl_region_classify(hl_regions_t *rs, hl_peek_fn peek, void *ctx)
{
	uint64_t heap_lo = 0, heap_hi = 0; /* the heap being marked: [lo, hi) */
	uint64_t rest_end = 0;		   /* a split region's rest reaches here */
	for (size_t i = 0; i < rs->n; i++) {
		hl_region_t *r = &rs->v[i];
		if (r->start >= heap_lo && r->start < heap_hi && is_anon(r)) {
			heap_part(rs, i, heap_hi);
			continue;
		}
		if (r->start < rest_end) {
			r->cls = HL_REGION_ANON_OTHER;
			continue;
		}
		r->cls = by_name(r);
		if (r->cls != HL_REGION_ANON_OTHER)
			continue;
		uint64_t a = heap_start(rs, i, peek, ctx);
		if (a && (a == r->start || split(rs, i, a))) {
			heap_lo = a;
			heap_hi = a > UINT64_MAX - HEAP_MAX_SIZE ? UINT64_MAX : a + HEAP_MAX_SIZE;
			if (a == rs->v[i].start) {
				heap_part(rs, i, heap_hi);
				continue;
			}
			/* else region i is what lay before the heap in its VMA, and
			 * the heap's part comes next */
		}
		anon_region(rs, i, peek, ctx, &rest_end);
	}
}
