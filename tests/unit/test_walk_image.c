/*
 * test_walk_image.c — the walker on synthetic glibc 2.36 heaps
 * (heap_image.h), where every byte is known. On valid images (one by hand,
 * hundreds at random) every figure equals what the builder made, exactly:
 * the mallinfo2 totals, tcache/fastbin/bin bytes, each chunk's address, size
 * and class, each page's class. On corrupted ones (list cycles, wild sizes,
 * a heap chain or arena list that comes round, unreadable pages, and
 * thousands of random overwrites) it returns, bounded, with a warning, and
 * what it returns is self-consistent. Under ASan+UBSan this also proves it
 * never reads out of bounds.
 */
#include <stdio.h>
#include <stdlib.h>

#include "heap_image.h"
#include "t.h"

static heap_image_t im, im2;

/* Whole pages inside the free chunks' bodies, resident and not, as the
 * builder knows them. */
static void want_pages(heap_image_t *m, int64_t *held, int64_t *released, int64_t *releasable)
{
	*held = *released = *releasable = 0;
	for (size_t i = 0; i < m->nchunk; i++) {
		const hi_chunk_t *c = &m->chunk[i];
		if (c->cls == HL_CHUNK_IN_USE || c->cls == HL_CHUNK_META)
			continue;
		uint64_t from = c->addr + (c->cls == HL_CHUNK_TOP ? 16 : 48), to = c->addr + c->size;
		int a = c->arena;
		for (uint64_t pg = (from + HI_PAGE - 1) / HI_PAGE * HI_PAGE; pg + HI_PAGE <= to;
		     pg += HI_PAGE) {
			bool out = m->absent[a][(pg - m->base[a]) / HI_PAGE];
			*(out ? released : held) += HI_PAGE;
			bool trim = c->cls == HL_CHUNK_BIN || c->cls == HL_CHUNK_FASTBIN ||
				    (c->cls == HL_CHUNK_TOP && pg >= from + (128 << 10));
			if (!out && trim)
				*releasable += HI_PAGE;
		}
	}
}

/* Compares a walk with the image; the first difference into why. */
static bool exact(heap_image_t *m, const hl_walk_t *w, char *why, size_t whysz)
{
#define DIFF(got, want, what)                                                                   \
	do {                                                                                    \
		if ((int64_t)(got) != (int64_t)(want)) {                                        \
			snprintf(why, whysz, "%s: got %lld, want %lld", what, (long long)(got), \
				 (long long)(want));                                            \
			return false;                                                           \
		}                                                                               \
	} while (0)
	DIFF(w->complete, 1, "complete");
	DIFF(w->narenas, 2, "arenas");
	int64_t sys = 0, free_b = 0, ord = 0, sm = 0, tc = 0, tcn = 0, live = 0, fast = 0;
	for (int a = 0; a < 2; a++) {
		const hi_arena_want_t *x = &m->want[a];
		const hl_walk_arena_t *g = &w->arenas[a];
		DIFF(g->system_bytes, x->system, "arena system_bytes");
		DIFF(g->top_bytes, x->top, "arena top_bytes");
		DIFF(g->fastbin_bytes, x->fast, "arena fastbin_bytes");
		DIFF(g->fastbin_chunks, x->fastn, "arena fastbin_chunks");
		DIFF(g->bin_bytes, x->bin, "arena bin_bytes");
		DIFF(g->free_chunks, x->binn + 1, "arena free_chunks");
		DIFF(g->tcache_bytes, x->tcache, "arena tcache_bytes");
		DIFF(g->live_bytes, x->live, "arena live_bytes");
		DIFF(g->free_bytes, x->top + x->fast + x->bin, "arena free_bytes");
		sys += x->system;
		free_b += x->top + x->fast + x->bin;
		ord += x->binn + 1;
		sm += x->fastn;
		tc += x->tcache;
		tcn += x->tcachen;
		live += x->live;
		fast += x->fast;
	}
	DIFF(w->mallinfo2.arena, sys, "mallinfo2.arena");
	DIFF(w->mallinfo2.ordblks, ord, "mallinfo2.ordblks");
	DIFF(w->mallinfo2.smblks, sm, "mallinfo2.smblks");
	DIFF(w->mallinfo2.fordblks, free_b, "mallinfo2.fordblks");
	DIFF(w->mallinfo2.uordblks, sys - free_b, "mallinfo2.uordblks");
	DIFF(w->mallinfo2.keepcost, m->want[0].top, "mallinfo2.keepcost");
	DIFF(w->tcache_bytes, tc, "tcache_bytes");
	DIFF(w->tcache_chunks, tcn, "tcache_chunks");
	DIFF(w->tcache_structs, 2, "tcache_structs");
	DIFF(w->live_bytes, live, "live_bytes");
	DIFF(w->fastbin_bytes, fast, "fastbin_bytes");
	int64_t held, rel, trim;
	want_pages(m, &held, &rel, &trim);
	DIFF(w->held_back_bytes, held, "held_back_bytes");
	DIFF(w->released_bytes, rel, "released_bytes");
	DIFF(w->releasable_bytes, trim, "releasable_bytes");
	DIFF(w->nchunk, m->nchunk, "chunks kept");
	for (size_t i = 0; i < m->nchunk; i++) {
		const hi_chunk_t *c = &m->chunk[i];
		const hl_walk_chunk_t *g = &w->chunk[i];
		if (g->addr != c->addr || g->size != c->size || (int)g->arena != c->arena ||
		    g->cls != c->cls) {
			snprintf(why, whysz, "chunk %zu: got %#llx+%llu %s arena %u, want %#llx+%llu %s",
				 i, (unsigned long long)g->addr, (unsigned long long)g->size,
				 hl_chunk_class_name(g->cls), g->arena, (unsigned long long)c->addr,
				 (unsigned long long)c->size, hl_chunk_class_name(c->cls));
			return false;
		}
	}
	int64_t pages[HL_NPAGE_CLASSES] = {0};
	for (size_t i = 0; i < w->nheaps; i++)
		for (int k = 0; k < HL_NPAGE_CLASSES; k++)
			pages[k] += w->heaps[i].npages[k];
	DIFF((pages[HL_PAGE_FREE_RESIDENT] + pages[HL_PAGE_TOP_RESIDENT]) * HI_PAGE, held,
	     "resident free pages");
	DIFF((pages[HL_PAGE_FREE_RELEASED] + pages[HL_PAGE_TOP_RELEASED]) * HI_PAGE, rel,
	     "released free pages");
	return true;
#undef DIFF
}

/* What any walk must be, however corrupt its input: bounded, and its parts
 * agree with each other. */
static bool sane(const hl_walk_t *w, int rc, char *why, size_t whysz)
{
	if (rc) {
		snprintf(why, whysz, "rc %d", rc);
		return w->narenas == 0 && w->nheaps == 0 && w->nchunk == 0;
	}
	if (w->complete != !w->warning[0]) {
		snprintf(why, whysz, "complete %d but warning '%s'", w->complete, w->warning);
		return false;
	}
	if (w->reads > 100000) {
		snprintf(why, whysz, "%lld reads", (long long)w->reads);
		return false;
	}
	for (size_t i = 0; i < w->nheaps; i++) {
		const hl_walk_heap_t *h = &w->heaps[i];
		int64_t n = 0;
		for (int k = 0; k < HL_NPAGE_CLASSES; k++)
			n += h->npages[k] < 0 ? -1000000000 : h->npages[k];
		if (n != (int64_t)((h->end - h->start) / HI_PAGE)) {
			snprintf(why, whysz, "heap %zu: page classes add up to %lld", i, (long long)n);
			return false;
		}
	}
	for (size_t i = 0; i < w->nchunk; i++) {
		const hl_walk_chunk_t *c = &w->chunk[i];
		bool in = false;
		for (size_t k = 0; k < w->nheaps; k++)
			in |= c->addr >= w->heaps[k].start && c->addr + c->size <= w->heaps[k].end;
		if (!in || c->cls >= HL_NCHUNK_CLASSES) {
			snprintf(why, whysz, "chunk %#llx+%llu outside every heap",
				 (unsigned long long)c->addr, (unsigned long long)c->size);
			return false;
		}
	}
	return true;
}

/* Walks im2 (a corrupted copy of im) expecting a warning that says what. */
static void corrupt(const char *what, const char *says)
{
	hl_walk_t w;
	char why[200] = "";
	int rc = hi_walk(&im2, HL_WALK_EXACT | HL_WALK_CHUNKS | HL_WALK_PAGES, &w, NULL);
	T_OK(rc == 0 && sane(&w, rc, why, sizeof why), "%s: returns what it has %s", what, why);
	T_OK(!w.complete && strstr(w.warning, says), "%s: warns '%s' (%s)", what, says, w.warning);
	hl_walk_free(&w);
}

static void by_hand(void)
{
	hi_init(&im);
	for (int i = 0; i < 3; i++)
		hi_add(&im, 0, 48, HI_USE);
	hi_add(&im, 0, 32, HI_TCACHE);
	hi_add(&im, 0, 32, HI_TCACHE);
	hi_add(&im, 0, 48, HI_USE);
	for (int i = 0; i < 3; i++)
		hi_add(&im, 0, 64, HI_FAST);
	hi_add(&im, 0, 64, HI_USE);
	uint64_t big = im.base[0] + im.pos[0];
	hi_add(&im, 0, 65536, HI_BIN);
	hi_release(&im, 0, big + 48, big + 65536);
	hi_add(&im, 0, 112, HI_USE);
	hi_add(&im, 0, 1024, HI_BIN);
	hi_add(&im, 0, 32, HI_USE);
	hi_add(&im, 1, 48, HI_USE);
	hi_add(&im, 1, 48, HI_TCACHE);
	hi_add(&im, 1, 32, HI_FAST);
	hi_add(&im, 1, 512, HI_BIN);
	hi_add(&im, 1, 80, HI_USE);
	hi_close(&im);

	hl_walk_t w;
	hl_error_t err = {0};
	char why[300] = "";
	T_EQ_INT(hi_walk(&im, HL_WALK_EXACT | HL_WALK_CHUNKS | HL_WALK_PAGES, &w, &err), 0, "a built heap walks");
	T_OK(exact(&im, &w, why, sizeof why), "every figure is what was built %s", why);
	T_EQ_STR(w.method, "image", "method says image");
	T_EQ_INT(w.tcache_chunks, 3, "3 tcache chunks");
	T_EQ_INT(w.arenas[0].fastbin_chunks, 3, "3 fastbin chunks in main_arena");
	T_EQ_INT(w.arenas[0].bin_bytes, 65536 + 1024, "main_arena's bin bytes");
	/* the 64 KiB chunk's whole interior pages (14 or 15) are released */
	int64_t held, rel, trim;
	want_pages(&im, &held, &rel, &trim);
	T_OK(rel >= 14 * 4096 && rel == w.released_bytes, "its released pages are counted (%lld)",
	     (long long)w.released_bytes);
	T_EQ_INT(w.mmap_threshold, 128 << 10, "mp_.mmap_threshold read");
	T_EQ_INT(w.nheaps, 2, "two heaps");
	T_OK(w.heaps[1].start == HI_HEAP2 && w.heaps[1].end == HI_HEAP2 + HI_HEAP2_LEN &&
		     w.heaps[1].arena == 1,
	     "the non-main heap's extent and arena");
	hl_walk_free(&w);
	T_EQ_INT(hi_walk(&im, 0, &w, &err), 0, "without flags");
	T_OK(w.nchunk == 0 && w.heaps[0].pages == NULL && w.held_back_bytes == held,
	     "the same totals, no chunks or pages kept");
	hl_walk_free(&w);
}

static void corrupted_by_hand(void)
{
	hl_glibc_layout_t *l = &im.l;
	uint64_t ma = hi_arena_addr(0), a2 = hi_arena_addr(1);

	/* a fastbin list that loops: the last chunk's fd back to the first */
	im2 = im;
	uint64_t head = hi_get(&im2, ma + l->ms_fastbins + 8 * 2); /* 64-byte bin */
	uint64_t p = head, prev = 0;
	while (p) {
		prev = p;
		p = hi_protect(p + 16, hi_get(&im2, p + 16));
	}
	hi_put(&im2, prev + 16, hi_protect(prev + 16, head));
	corrupt("a fastbin list loops", "loops");

	/* a tcache list that loops: two entries, count 7 */
	im2 = im;
	uint64_t tc = im2.tcache[0] + 16, e = hi_get(&im2, tc + l->tcache_entries);
	uint64_t e2 = hi_protect(e, hi_get(&im2, e));
	hi_put(&im2, e2, hi_protect(e2, e));
	uint16_t seven = 7;
	memcpy(hi_at(&im2, tc), &seven, 2);
	corrupt("a tcache list loops", "loops");

	/* the arena list comes round to the second arena, not to main_arena */
	im2 = im;
	hi_put(&im2, a2 + l->ms_next, a2);
	corrupt("the arena list loops", "comes round");

	/* a heap chain that comes round: the heap's prev is itself */
	im2 = im;
	hi_put(&im2, HI_HEAP2 + l->hi_prev, HI_HEAP2);
	corrupt("a heap's prev is itself", "comes round again");

	/* a wild size in the middle of the brk heap */
	im2 = im;
	hi_put(&im2, im.chunk[5].addr + 8, 0x123456789ULL | 1);
	corrupt("a wild chunk size", "bad chunk size");

	/* a size that is not a multiple of 16 */
	im2 = im;
	hi_put(&im2, im.chunk[2].addr + 8, 40 | 1);
	corrupt("a misaligned size", "bad chunk size");

	/* top's size reaching past the heap it ends */
	im2 = im;
	uint64_t top2 = hi_get(&im2, a2 + l->ms_top);
	hi_put(&im2, top2 + 8, (1ULL << 30) | 1);
	corrupt("top runs past its heap", "runs past");

	/* a brk heap far bigger than system_mem: top's size 1 GiB */
	im2 = im;
	hi_put(&im2, hi_get(&im2, ma + l->ms_top) + 8, (1ULL << 30) | 1);
	corrupt("a brk heap far beyond system_mem", "not understood");

	/* a top pointer far outside the heap */
	im2 = im;
	hi_put(&im2, ma + l->ms_top, 0x7fffffff0000ULL);
	corrupt("top outside every mapping", "unreadable");

	/* no brk heap, yet a top: sbrk_base 0 */
	im2 = im;
	hi_put(&im2, HI_LIBC + 0x1000 + l->mp_sbrk_base, 0);
	corrupt("sbrk_base 0 with a top", "no brk heap");

	/* a heap_info bigger than HEAP_MAX */
	im2 = im;
	hi_put(&im2, HI_HEAP2 + l->hi_hsize, 1ULL << 40);
	corrupt("a heap_info size beyond HEAP_MAX", "not understood");

	/* a page in the middle of the in-use chunks not resident */
	im2 = im;
	for (size_t i = 0; i < im2.nchunk; i++)
		if (im2.chunk[i].size == 112)
			im2.absent[0][(im2.chunk[i].addr - HI_HEAP) / HI_PAGE] = 1;
	corrupt("a used page not resident", "readable");

	/* a fastbin pointer that is not 16-aligned */
	im2 = im;
	hi_put(&im2, ma + l->ms_fastbins, HI_HEAP + 8);
	corrupt("a misaligned fastbin pointer", "fastbin 0");

	/* mp_ unreadable: an error, nothing returned */
	hl_walk_t w;
	hl_error_t err = {0};
	hi_walk(&im, 0, &w, NULL);
	hl_walk_free(&w);
	int rc = hl_walk_image(im.segs, 3, &im.l, HI_LIBC, 0x1000, 0, &w, &err);
	T_OK(rc < 0 && strstr(err.msg, "mp_") && w.narenas == 0, "mp_ unreadable: %s", err.msg);

	/* glibc never grew the brk heap: sbrk_base 0, top its initial value */
	im2 = im;
	hi_put(&im2, HI_LIBC + 0x1000 + l->mp_sbrk_base, 0);
	hi_put(&im2, ma + l->ms_top, ma + l->ms_bins - 16);
	rc = hi_walk(&im2, HL_WALK_EXACT | HL_WALK_CHUNKS | HL_WALK_PAGES, &w, &err);
	T_OK(rc == 0 && w.complete && w.nheaps == 1 && w.heaps[0].arena == 1 &&
		     w.arenas[0].top_bytes == 0,
	     "an unused brk heap: complete, only the other arena's heap (%s)", w.warning);
	hl_walk_free(&w);
}

static void random_valid(void)
{
	int ok = 0, n = 300;
	char why[300] = "", first[400] = "";
	for (int i = 0; i < n; i++) {
		hi_random(&im, (uint64_t)i + 1);
		hl_walk_t w;
		int rc = hi_walk(&im, HL_WALK_EXACT | HL_WALK_CHUNKS | HL_WALK_PAGES, &w, NULL);
		if (rc == 0 && exact(&im, &w, why, sizeof why))
			ok++;
		else if (!first[0])
			snprintf(first, sizeof first, "seed %d: %s %s", i + 1, why, w.warning);
		hl_walk_free(&w);
	}
	T_EQ_INT(ok, n, "%d random valid heaps walk exactly %s", n, first);
}

static void random_corrupt(void)
{
	int n = 3000, ok = 0, warned = 0;
	char why[300] = "", first[400] = "";
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < n; i++) {
		if (i % 50 == 0)
			hi_random(&im, 1000 + (uint64_t)i);
		im2 = im;
		int k = 1 + (int)(hi_rand(&s) % 8);
		for (int j = 0; j < k; j++) {
			uint64_t r = hi_rand(&s), at;
			int where = (int)(r % 3);
			if (where == 0) /* main_arena, the other arena's state, mp_ */
				at = (r >> 8) % 2 ? HI_LIBC + 8 * ((r >> 9) % 300)
						  : HI_LIBC + 0x1000 + 8 * ((r >> 9) % 17);
			else
				at = im2.base[where - 1] + 8 * ((r >> 9) % (im2.len[where - 1] / 8));
			if ((r >> 40) % 4 == 1) /* mostly near where chunks begin */
				at = im2.chunk[(r >> 20) % im2.nchunk].addr + 8 * ((r >> 50) % 4);
			uint64_t v = hi_rand(&s);
			switch ((r >> 44) % 6) {
			case 0: break;                                       /* anything */
			case 1: v %= 4096; break;                            /* small */
			case 2: v = im2.base[v % 2] + (v >> 8) % HI_HEAP_LEN; break; /* into a heap */
			case 3: v = at; break;                               /* itself */
			case 4: v = 0; break;
			default: v = hi_get(&im2, at) ^ (1ULL << (v % 64)); break; /* a bit */
			}
			hi_put(&im2, at, v);
			if ((r >> 56) % 16 == 0)
				im2.absent[(r >> 60) % 2][(r >> 12) % (HI_HEAP2_LEN / HI_PAGE)] = 1;
		}
		hl_walk_t w;
		int rc = hi_walk(&im2, HL_WALK_EXACT | HL_WALK_CHUNKS | HL_WALK_PAGES, &w, NULL);
		if (sane(&w, rc, why, sizeof why))
			ok++;
		else if (!first[0])
			snprintf(first, sizeof first, "case %d: %s", i, why);
		warned += rc == 0 && !w.complete;
		hl_walk_free(&w);
	}
	T_EQ_INT(ok, n, "%d randomly corrupted heaps: each walk returns, bounded and consistent %s",
		 n, first);
	T_OK(warned > n / 10, "and many of them are told to be incomplete (%d)", warned);
}

int main(void)
{
	by_hand();
	corrupted_by_hand();
	random_valid();
	random_corrupt();
	return t_done();
}
