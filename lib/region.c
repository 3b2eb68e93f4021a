/*
 * region.c — gives every mapping its class (DESIGN.md section 3): the brk
 * heap, a non-main arena's heap, an mmapped malloc chunk, other anonymous
 * memory, the stack, files, the rest. Works from maps alone; with a peek
 * function (peek.c) it can also prove a mapping is malloc's, by reading
 * chunk and heap headers without faulting anything in.
 *
 * Facts from glibc 2.36 (malloc/arena.c, malloc/malloc.c) used here:
 * - a non-main arena's heap is mmapped at a HEAP_MAX_SIZE-aligned address
 *   (64 MiB on 64-bit: 2 * DEFAULT_MMAP_THRESHOLD_MAX); the part in use is
 *   rw-p, the reserve after it up to the next 64 MiB boundary is ---p. Its
 *   first bytes are a heap_info {ar_ptr, prev, size, mprotect_size, ...},
 *   and size is the length of the rw-p part.
 * - an mmapped chunk starts its mapping; its prev_size holds the alignment
 *   offset (0 unless memalign) and its size field is the mapping's length
 *   with IS_MMAPPED (0x2) set. The kernel merges neighbouring anonymous
 *   mappings into one VMA, so a region that begins with such chunks is
 *   split where they end: the chunks are mmap-chunk, the rest anon-other.
 */
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

#define HEAP_MAX_SIZE (64ULL << 20)
#define IS_MMAPPED 0x2ULL
#define NON_MAIN_ARENA 0x4ULL
#define MAX_TILES 64

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

static bool is_anon(const hl_region_t *r)
{
	return r->path[0] == '\0' && r->inode == 0;
}

/* How many bytes from the region's start are tiled by mmapped chunks (0
 * if the region does not begin with one). */
static uint64_t mmapped_prefix(const hl_region_t *r, hl_peek_fn peek, void *ctx)
{
	uint64_t pos = r->start;
	for (int i = 0; i < MAX_TILES && pos < r->end; i++) {
		uint64_t hdr[2];
		if (peek(ctx, pos, hdr) != 0)
			break;
		uint64_t prev = hdr[0], size = hdr[1];
		if (!(size & IS_MMAPPED) || (size & NON_MAIN_ARENA) || prev >= 4096)
			break;
		uint64_t len = (size & ~7ULL) + prev;
		if (len == 0 || len % 4096 || len > r->end - pos)
			break;
		pos += len;
	}
	return pos - r->start;
}

/* Splits region i at addr: [start, addr) stays at i, [addr, end) is i+1. */
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
	/* smaps figures belong to the whole VMA: unknown for the parts */
	for (int k = 0; k < 2; k++) {
		hl_region_t *r = &rs->v[i + (size_t)k];
		r->rss_bytes = r->private_dirty_bytes = r->anonymous_bytes = r->swap_bytes =
			HL_UNKNOWN;
	}
	return true;
}

static bool heap_info_matches(const hl_region_t *r, hl_peek_fn peek, void *ctx)
{
	uint64_t w[4];
	if (peek(ctx, r->start, w) != 0 || peek(ctx, r->start + 16, w + 2) != 0)
		return false;
	/* w[0] = ar_ptr, w[2] = size of the part in use */
	return w[0] != 0 && w[2] == r->end - r->start;
}

void hl_region_classify(hl_regions_t *rs, hl_peek_fn peek, void *ctx)
{
	for (size_t i = 0; i < rs->n; i++) {
		hl_region_t *r = &rs->v[i];
		const hl_region_t *prev = i ? &rs->v[i - 1] : NULL;
		if (!strcmp(r->path, "[heap]"))
			r->cls = HL_REGION_BRK_HEAP;
		else if (!strncmp(r->path, "[stack", 6))
			r->cls = HL_REGION_STACK;
		else if (r->path[0] == '/')
			r->cls = HL_REGION_FILE;
		else if (!is_anon(r))
			r->cls = r->inode ? HL_REGION_FILE : HL_REGION_OTHER;
		else if (r->start % HEAP_MAX_SIZE == 0 && r->perms[0] == 'r' && r->perms[1] == 'w' &&
			 r->end - r->start <= HEAP_MAX_SIZE &&
			 (!peek || heap_info_matches(r, peek, ctx)))
			r->cls = HL_REGION_ARENA_HEAP;
		else if (r->perms[0] == '-' && prev && prev->cls == HL_REGION_ARENA_HEAP &&
			 prev->end == r->start && r->end <= prev->start + HEAP_MAX_SIZE)
			/* the reserved rest of the heap before it */
			r->cls = HL_REGION_ARENA_HEAP;
		else {
			r->cls = HL_REGION_ANON_OTHER;
			uint64_t tiled = peek && r->perms[0] == 'r' && r->perms[1] == 'w'
						 ? mmapped_prefix(r, peek, ctx)
						 : 0;
			/* The kernel merges neighbouring anonymous mappings: a chunk
			 * mapped next to other memory shares its VMA. Split it off. */
			if (tiled && (tiled == r->end - r->start || split(rs, i, r->start + tiled)))
				rs->v[i].cls = HL_REGION_MMAP_CHUNK;
		}
	}
}
