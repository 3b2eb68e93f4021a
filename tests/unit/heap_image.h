/*
 * heap_image.h — builds memory images of a glibc 2.36 heap, byte for byte as
 * malloc.c lays it out, for the walker to read through hl_walk_image: libc's
 * data (main_arena, mp_), a brk heap and one non-main arena's heap, each
 * opening with its thread's tcache_perthread_struct. Chunks are added one by
 * one in any of the classes (in use, tcache, fastbin, bin) with glibc's
 * PREV_INUSE bits, footers, safe-linked fastbin and tcache lists; closing a
 * heap makes its top. The builder keeps what it made, so a test can compare
 * a walk with it exactly; pages can be marked not resident, as after
 * malloc_trim.
 */
#ifndef HL_HEAP_IMAGE_H
#define HL_HEAP_IMAGE_H

#include <stdint.h>
#include <string.h>

#include "heaplab.h"

#define HI_LIBC 0x7f1234560000ULL /* main_arena here, mp_ at + 0x1000 */
#define HI_HEAP 0x555555559000ULL /* the brk heap (sbrk_base) */
#define HI_HEAP2 0x7f0004000000ULL /* a non-main heap: 64 MiB aligned */
#define HI_HEAP_LEN (256u << 10)
#define HI_HEAP2_LEN (128u << 10)
#define HI_PAGE 4096u
#define HI_MAX_CHUNKS 8192

enum { HI_USE, HI_TCACHE, HI_FAST, HI_BIN };

typedef struct hi_chunk {
	uint64_t addr, size;
	int arena;
	hl_chunk_class_t cls;
} hi_chunk_t;

typedef struct hi_arena_want {
	int64_t system, top, fast, fastn, bin, binn, tcache, tcachen, live;
} hi_arena_want_t;

typedef struct heap_image {
	hl_glibc_layout_t l;
	uint8_t data[0x2000]; /* libc's data: main_arena at 0, mp_ at 0x1000 */
	uint8_t heap[2][HI_HEAP_LEN];
	uint8_t absent[2][HI_HEAP_LEN / HI_PAGE];
	uint64_t base[2], len[2], pos[2];
	int prev_free[2];     /* the last chunk is a bin chunk: next's PREV_INUSE clear */
	uint64_t tcache[2];   /* each heap's tcache_perthread_struct (chunk address) */
	hl_peek_seg_t segs[3];
	hi_chunk_t chunk[HI_MAX_CHUNKS];
	size_t nchunk;
	hi_arena_want_t want[2];
} heap_image_t;

static inline uint64_t hi_arena_addr(const heap_image_t *im, int a)
{
	/* a non-main arena follows its heap_info */
	return a ? HI_HEAP2 + im->l.hi_size : HI_LIBC;
}

static inline uint8_t *hi_at(heap_image_t *im, uint64_t addr)
{
	if (addr >= HI_LIBC && addr < HI_LIBC + sizeof im->data)
		return im->data + (addr - HI_LIBC);
	for (int h = 0; h < 2; h++)
		if (addr >= im->base[h] && addr < im->base[h] + im->len[h])
			return im->heap[h] + (addr - im->base[h]);
	return NULL;
}

static inline void hi_put(heap_image_t *im, uint64_t addr, uint64_t v)
{
	uint8_t *p = hi_at(im, addr);
	if (p)
		memcpy(p, &v, 8);
}

static inline uint64_t hi_get(heap_image_t *im, uint64_t addr)
{
	uint64_t v = 0;
	uint8_t *p = hi_at(im, addr);
	if (p)
		memcpy(&v, p, 8);
	return v;
}

/* glibc's PROTECT_PTR: the pointer stored at pos (from 2.32; the pointer
 * itself before) */
static inline uint64_t hi_protect(const heap_image_t *im, uint64_t pos, uint64_t ptr)
{
	return im->l.safe_linking ? (pos >> 12) ^ ptr : ptr;
}

/* Chunks in tcache bin i of the struct at tc: counts[i], or from 2.42 the
 * slots used of tcache_count (7 here) */
static inline int hi_tcache_n(heap_image_t *im, uint64_t tc, size_t i)
{
	uint16_t n;
	memcpy(&n, hi_at(im, tc + 2 * i), 2);
	return im->l.tcache_slots ? 7 - n : n;
}

static inline void hi_tcache_set(heap_image_t *im, uint64_t tc, size_t i, int chunks)
{
	uint16_t n = (uint16_t)(im->l.tcache_slots ? 7 - chunks : chunks);
	memcpy(hi_at(im, tc + 2 * i), &n, 2);
}

static inline void hi_record(heap_image_t *im, uint64_t addr, uint64_t size, int a,
			     hl_chunk_class_t cls)
{
	if (im->nchunk < HI_MAX_CHUNKS)
		im->chunk[im->nchunk++] = (hi_chunk_t){addr, size, a, cls};
}

/* Writes a chunk header at the heap's cursor and moves it on. */
static inline uint64_t hi_header(heap_image_t *im, int a, uint64_t size)
{
	uint64_t c = im->base[a] + im->pos[a];
	hi_put(im, c + 8, size | (im->prev_free[a] ? 0 : 1) | (a ? 4 : 0));
	im->pos[a] += size;
	im->prev_free[a] = 0;
	return c;
}

/* Adds a chunk of size bytes (a multiple of 16, at least 32) of class kind
 * to arena a (0 main, 1 the other); 0, or -1 when it does not fit (room is
 * kept for a top of 32 bytes) or the kind's list is full. */
static inline int hi_add(heap_image_t *im, int a, uint64_t size, int kind)
{
	if (size < 32 || size & 15 || im->pos[a] + size + 32 > im->len[a])
		return -1;
	hl_glibc_layout_t *l = &im->l;
	uint64_t ms = hi_arena_addr(im, a);
	uint64_t tc = im->tcache[a] + 16;
	size_t tidx = (size_t)(size - 32) / 16, fidx = (size_t)(size >> 4) - 2;
	if (kind == HI_TCACHE && (tidx >= 64 || hi_tcache_n(im, tc, tidx) >= 7))
		return -1;
	if (kind == HI_FAST && (size > 128 || fidx >= (size_t)l->nfastbins))
		return -1;
	uint64_t c = hi_header(im, a, size);
	hi_arena_want_t *w = &im->want[a];
	switch (kind) {
	case HI_USE:
		memset(hi_at(im, c + 16), 0xa5, (size_t)size - 16);
		w->live += (int64_t)size - 8;
		hi_record(im, c, size, a, HL_CHUNK_IN_USE);
		break;
	case HI_TCACHE: {
		uint64_t e = tc + l->tcache_entries + 8 * tidx;
		hi_put(im, c + 16, hi_protect(im, c + 16, hi_get(im, e))); /* next */
		hi_put(im, c + 24, 0x1234567890abcdefULL);                  /* key */
		hi_put(im, e, c + 16);
		hi_tcache_set(im, tc, tidx, hi_tcache_n(im, tc, tidx) + 1);
		w->tcache += (int64_t)size;
		w->tcachen++;
		hi_record(im, c, size, a, HL_CHUNK_TCACHE);
		break;
	}
	case HI_FAST: {
		uint64_t head = ms + l->ms_fastbins + 8 * fidx;
		hi_put(im, c + 16, hi_protect(im, c + 16, hi_get(im, head)));
		hi_put(im, head, c);
		w->fast += (int64_t)size;
		w->fastn++;
		hi_record(im, c, size, a, HL_CHUNK_FASTBIN);
		break;
	}
	default: { /* a bin chunk: linked at the head of the unsorted bin, a footer */
		uint64_t bin = ms + l->ms_bins - 16, first = hi_get(im, bin + 16);
		hi_put(im, c + 16, first);
		hi_put(im, c + 24, bin);
		hi_put(im, first + 24, c); /* first->bk (the bin's own bk when empty) */
		hi_put(im, bin + 16, c);
		hi_put(im, c + size, size); /* the next chunk's prev_size */
		im->prev_free[a] = 1;
		w->bin += (int64_t)size;
		w->binn++;
		hi_record(im, c, size, a, HL_CHUNK_BIN);
		break;
	}
	}
	return 0;
}

/* Starts an image laid out as glibc `version` lays out its heaps ("2.31":
 * no safe-linking; "2.43": no fastbins, tcache num_slots): both heaps
 * empty but for their tcache structs. */
static inline void hi_init_glibc(heap_image_t *im, const char *version)
{
	memset(im, 0, sizeof *im);
	hl_glibc_layout_builtin(version, &im->l);
	hl_glibc_layout_t *l = &im->l;
	im->base[0] = HI_HEAP;
	im->len[0] = HI_HEAP_LEN;
	im->base[1] = HI_HEAP2;
	im->len[1] = HI_HEAP2_LEN;
	/* the non-main heap: heap_info, then its malloc_state, then chunks */
	im->pos[0] = 0;
	im->pos[1] = (l->hi_size + l->ms_size + 15) & ~15ULL;
	hi_put(im, HI_HEAP2 + l->hi_ar_ptr, hi_arena_addr(im, 1));
	hi_put(im, HI_HEAP2 + l->hi_prev, 0);
	hi_put(im, HI_HEAP2 + l->hi_hsize, HI_HEAP2_LEN);
	uint64_t mp = HI_LIBC + 0x1000;
	hi_put(im, mp + l->mp_trim_threshold, 128 << 10);
	hi_put(im, mp + l->mp_top_pad, 128 << 10);
	hi_put(im, mp + l->mp_mmap_threshold, 128 << 10);
	hi_put(im, mp + l->mp_sbrk_base, HI_HEAP);
	hi_put(im, mp + l->mp_tcache_count, 7);
	for (int a = 0; a < 2; a++) {
		hi_put(im, hi_arena_addr(im, a) + l->ms_next, hi_arena_addr(im, !a));
		/* every bin empty: fd and bk point at the bin (malloc_init_state) */
		for (int i = 1; i < l->nbins; i++) {
			uint64_t bin = hi_arena_addr(im, a) + l->ms_bins + (uint64_t)(i - 1) * 16 - 16;
			hi_put(im, bin + 16, bin);
			hi_put(im, bin + 24, bin);
		}
		uint64_t tsize = (l->tcache_size + 8 + 15) & ~15ULL; /* request2size */
		im->tcache[a] = hi_header(im, a, tsize);
		hi_record(im, im->tcache[a], tsize, a, HL_CHUNK_META);
		for (int i = 0; i < l->tcache_bins; i++)
			hi_tcache_set(im, im->tcache[a] + 16, (size_t)i, 0);
	}
}

static inline void hi_init(heap_image_t *im)
{
	hi_init_glibc(im, "2.36");
}

/* The layouts hi_random draws from: one of each list rule */
static const char *const hi_glibcs[] = {"2.36", "2.31", "2.43"};

/* Ends both heaps with their tops and sets each arena's top and
 * system_mem: the brk heap's top ends at its last byte, the other's too. */
static inline void hi_close(heap_image_t *im)
{
	for (int a = 0; a < 2; a++) {
		uint64_t top = im->base[a] + im->pos[a], size = im->len[a] - im->pos[a];
		hi_header(im, a, size);
		hi_put(im, hi_arena_addr(im, a) + im->l.ms_top, top);
		hi_put(im, hi_arena_addr(im, a) + im->l.ms_system_mem, im->len[a]);
		im->want[a].system = (int64_t)im->len[a];
		im->want[a].top = (int64_t)size;
		hi_record(im, top, size, a, HL_CHUNK_TOP);
	}
	/* by arena, then address: the order the walker keeps */
	for (size_t i = 1; i < im->nchunk; i++)
		for (size_t j = i; j > 0; j--) {
			hi_chunk_t *x = &im->chunk[j - 1], *y = &im->chunk[j];
			if (x->arena < y->arena || (x->arena == y->arena && x->addr < y->addr))
				break;
			hi_chunk_t t = *x;
			*x = *y;
			*y = t;
		}
}

/* Marks the pages wholly inside [from, to) of arena a's heap not resident. */
static inline void hi_release(heap_image_t *im, int a, uint64_t from, uint64_t to)
{
	for (uint64_t pg = (from + HI_PAGE - 1) / HI_PAGE * HI_PAGE; pg + HI_PAGE <= to;
	     pg += HI_PAGE)
		if (pg >= im->base[a] && pg < im->base[a] + im->len[a])
			im->absent[a][(pg - im->base[a]) / HI_PAGE] = 1;
}

/* Walks the image (segs point into im, so a copy of an image walks its
 * own bytes). */
static inline int hi_walk(heap_image_t *im, int flags, hl_walk_t *out, hl_error_t *err)
{
	im->segs[0] = (hl_peek_seg_t){HI_LIBC, sizeof im->data, im->data, NULL};
	for (int h = 0; h < 2; h++)
		im->segs[1 + h] = (hl_peek_seg_t){im->base[h], im->len[h], im->heap[h], im->absent[h]};
	return hl_walk_image(im->segs, 3, &im->l, HI_LIBC, HI_LIBC + 0x1000, flags, out, err);
}

/* The same walk as a default one would make: in-use chunks sampled, not
 * kept. */
static inline int hi_walk_fast(heap_image_t *im, int flags, hl_walk_t *out, hl_error_t *err)
{
	return hi_walk(im, flags & ~HL_WALK_EXACT, out, err);
}

/* A small xorshift generator, so a seed names an image. */
static inline uint64_t hi_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A random valid heap from seed: chunks of every kind and many sizes, in
 * both arenas, some big bin chunks partly released, laid out as one of
 * hi_glibcs (seed % 3). */
static inline void hi_random(heap_image_t *im, uint64_t seed)
{
	uint64_t s = seed * 2654435761u + 1;
	hi_init_glibc(im, hi_glibcs[seed % 3]);
	for (int a = 0; a < 2; a++) {
		int n = (int)(hi_rand(&s) % 200);
		for (int i = 0; i < n; i++) {
			uint64_t r = hi_rand(&s);
			int kind = (int)(r % 4);
			uint64_t size = 32 + 16 * ((r >> 8) % (kind == HI_FAST ? 7 : 60));
			if (kind == HI_BIN && (r >> 20) % 8 == 0)
				size = 16384 + 4096 * ((r >> 24) % 4);
			if (kind == HI_BIN && im->prev_free[a])
				kind = HI_USE; /* glibc coalesces neighbouring free chunks */
			uint64_t c = im->base[a] + im->pos[a];
			if (hi_add(im, a, size, kind) < 0 && hi_add(im, a, size, HI_USE) < 0)
				break;
			if (kind == HI_BIN && size >= 16384 && (r >> 30) % 2)
				hi_release(im, a, c + 48, c + size);
		}
		if (im->prev_free[a])
			hi_add(im, a, 48, HI_USE); /* top never follows a free chunk */
	}
	hi_close(im);
	if (s % 3 == 0 && im->want[0].top >= 16384) /* the top partly released */
		hi_release(im, 0, im->base[0] + im->len[0] - 8192, im->base[0] + im->len[0]);
}

#endif
