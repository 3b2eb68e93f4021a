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
	DIFF(w->absent_reads, 0, "pages read that are not resident");
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
	if (w->absent_reads) {
		snprintf(why, whysz, "%lld pages read that are not resident", (long long)w->absent_reads);
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
	uint64_t ma = hi_arena_addr(&im, 0), a2 = hi_arena_addr(&im, 1);

	/* a fastbin list that loops: the last chunk's fd back to the first */
	im2 = im;
	uint64_t head = hi_get(&im2, ma + l->ms_fastbins + 8 * 2); /* 64-byte bin */
	uint64_t p = head, prev = 0;
	while (p) {
		prev = p;
		p = hi_protect(&im2, p + 16, hi_get(&im2, p + 16));
	}
	hi_put(&im2, prev + 16, hi_protect(&im2, prev + 16, head));
	corrupt("a fastbin list loops", "loops");

	/* a tcache list that loops: two entries, count 7 */
	im2 = im;
	uint64_t tc = im2.tcache[0] + 16, e = hi_get(&im2, tc + l->tcache_entries);
	uint64_t e2 = hi_protect(&im2, e, hi_get(&im2, e));
	hi_put(&im2, e2, hi_protect(&im2, e2, e));
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

/* A default walk (in-use chunks not walked one by one) against an exact
 * one: every figure but the in-use count equal, the known chunks the same;
 * on a heap this small all runs are walked, so the count is exact too. */
static bool fast_matches(heap_image_t *m, char *why, size_t whysz)
{
	hl_walk_t e, f, sm;
	int flags = HL_WALK_CHUNKS | HL_WALK_PAGES;
	if (hi_walk(m, flags | HL_WALK_EXACT, &e, NULL) || hi_walk_fast(m, flags, &f, NULL) ||
	    hi_walk_fast(m, flags | HL_WALK_SAMPLED, &sm, NULL)) {
		snprintf(why, whysz, "a walk failed");
		return false;
	}
	bool ok = false;
#define SAME(x, what)                                                                       \
	do {                                                                                \
		if ((int64_t)(e.x) != (int64_t)(f.x) || (int64_t)(e.x) != (int64_t)(sm.x)) {  \
			snprintf(why, whysz, "%s: exact %lld, default %lld, sampled %lld", what,  \
				 (long long)(e.x), (long long)(f.x), (long long)(sm.x));      \
			goto out;                                                           \
		}                                                                           \
	} while (0)
	SAME(complete, "complete");
	SAME(mallinfo2.arena, "arena");
	SAME(mallinfo2.ordblks, "ordblks");
	SAME(mallinfo2.smblks, "smblks");
	SAME(mallinfo2.fsmblks, "fsmblks");
	SAME(mallinfo2.uordblks, "uordblks");
	SAME(mallinfo2.fordblks, "fordblks");
	SAME(mallinfo2.keepcost, "keepcost");
	SAME(tcache_bytes, "tcache_bytes");
	SAME(tcache_chunks, "tcache_chunks");
	SAME(tcache_structs, "tcache_structs");
	SAME(fastbin_bytes, "fastbin_bytes");
	SAME(bin_bytes, "bin_bytes");
	SAME(held_back_bytes, "held_back_bytes");
	SAME(released_bytes, "released_bytes");
	SAME(releasable_bytes, "releasable_bytes");
	SAME(top_released_bytes, "top_released_bytes");
	SAME(nheaps, "heaps");
	SAME(absent_reads, "absent reads");
	for (size_t h = 0; h < e.nheaps; h++)
		for (int k = 0; k < HL_NPAGE_CLASSES; k++)
			SAME(heaps[h].npages[k], "page class count");
	if (e.chunks_estimated || f.chunks_estimated || !sm.chunks_estimated) {
		snprintf(why, whysz, "estimated: exact %d, default %d, sampled %d", e.chunks_estimated,
			 f.chunks_estimated, sm.chunks_estimated);
		goto out;
	}
	if (f.chunks != e.chunks || f.live_bytes != e.live_bytes) {
		snprintf(why, whysz, "default: chunks %lld live %lld, exact %lld %lld",
			 (long long)f.chunks, (long long)f.live_bytes, (long long)e.chunks,
			 (long long)e.live_bytes);
		goto out;
	}
	/* the sample's estimate: off by 8 bytes of live for each chunk it is off */
	int64_t off = sm.chunks - e.chunks, d = sm.live_bytes - e.live_bytes;
	if (d != -8 * off || sm.overhead_bytes + sm.live_bytes != e.overhead_bytes + e.live_bytes) {
		snprintf(why, whysz, "sampled: %lld chunks off, live %lld off", (long long)off,
			 (long long)d);
		goto out;
	}
	/* the chunks kept: the exact walk's, less those in use */
	size_t k = 0;
	for (size_t i = 0; i < e.nchunk; i++) {
		if (e.chunk[i].cls == HL_CHUNK_IN_USE)
			continue;
		if (k >= f.nchunk || f.chunk[k].addr != e.chunk[i].addr ||
		    f.chunk[k].size != e.chunk[i].size || f.chunk[k].cls != e.chunk[i].cls) {
			snprintf(why, whysz, "chunk %zu of the default walk differs", k);
			goto out;
		}
		k++;
	}
	if (k != f.nchunk) {
		snprintf(why, whysz, "the default walk keeps %zu chunks, want %zu", f.nchunk, k);
		goto out;
	}
	ok = true;
out:
#undef SAME
	hl_walk_free(&e);
	hl_walk_free(&f);
	hl_walk_free(&sm);
	return ok;
}

static void random_valid(void)
{
	int ok = 0, fast = 0, n = 300;
	char why[300] = "", first[400] = "", ffirst[400] = "";
	for (int i = 0; i < n; i++) {
		hi_random(&im, (uint64_t)i + 1);
		hl_walk_t w;
		int rc = hi_walk(&im, HL_WALK_EXACT | HL_WALK_CHUNKS | HL_WALK_PAGES, &w, NULL);
		if (rc == 0 && exact(&im, &w, why, sizeof why))
			ok++;
		else if (!first[0])
			snprintf(first, sizeof first, "seed %d: %s %s", i + 1, why, w.warning);
		hl_walk_free(&w);
		if (fast_matches(&im, why, sizeof why))
			fast++;
		else if (!ffirst[0])
			snprintf(ffirst, sizeof ffirst, "seed %d: %s", i + 1, why);
	}
	T_EQ_INT(ok, n, "%d random valid heaps walk exactly %s", n, first);
	T_EQ_INT(fast, n, "and a default walk of each (lists and pagemap, in-use runs sampled or "
		 "walked) gives the same figures %s", ffirst);
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
		int flags = HL_WALK_CHUNKS | HL_WALK_PAGES | (i % 2 ? HL_WALK_EXACT : HL_WALK_SAMPLED);
		int rc = hi_walk(&im2, flags, &w, NULL);
		if (sane(&w, rc, why, sizeof why))
			ok++;
		else if (!first[0])
			snprintf(first, sizeof first, "case %d: %s", i, why);
		warned += rc == 0 && !w.complete;
		hl_walk_free(&w);
	}
	T_EQ_INT(ok, n, "%d randomly corrupted heaps (exact and sampled walks): each returns, "
		 "bounded and consistent %s", n, first);
	T_OK(warned > n / 10, "and many of them are told to be incomplete (%d)", warned);
}

/* ------------------------------------------------------ a heap that changes */

typedef struct change {
	heap_image_t *m;
	uint64_t s;
	int kind, ticks;
} change_t;

/* Called before every read of the image: the target runs on. */
static void tick(void *ctx)
{
	change_t *c = ctx;
	heap_image_t *m = c->m;
	c->ticks++;
	uint64_t r = hi_rand(&c->s);
	int a = (int)(r % 2);
	switch (c->kind) {
	case 0: /* pages released (madvise), any of them, headers too */
		m->absent[a][(r >> 8) % (m->len[a] / HI_PAGE)] = 1;
		break;
	case 1: /* words rewritten: chunks allocated, freed, split */
		for (int k = 0; k < 8; k++) {
			uint64_t v = hi_rand(&c->s);
			hi_put(m, m->base[a] + 8 * ((v >> 9) % (m->len[a] / 8)),
			       v % 3 ? v : m->base[a] + (v >> 20) % m->len[a]);
		}
		break;
	default: /* a different heap altogether, now and then */
		if (c->ticks % 3 == 0)
			hi_random(m, r);
		break;
	}
}

static void changing(void)
{
	int n = 600, ok = 0;
	char why[300] = "", first[400] = "";
	for (int i = 0; i < n; i++) {
		hi_random(&im2, 5000 + (uint64_t)i);
		change_t c = {&im2, 77 + (uint64_t)i, i % 3, 0};
		int flags = HL_WALK_CHUNKS | HL_WALK_PAGES | (i % 2 ? HL_WALK_EXACT : HL_WALK_SAMPLED);
		im2.segs[0] = (hl_peek_seg_t){HI_LIBC, sizeof im2.data, im2.data, NULL};
		for (int h = 0; h < 2; h++)
			im2.segs[1 + h] = (hl_peek_seg_t){im2.base[h], im2.len[h], im2.heap[h],
							  im2.absent[h]};
		hl_walk_t w;
		int rc = hl_walk_image_changing(im2.segs, 3, &im2.l, HI_LIBC, HI_LIBC + 0x1000, flags,
						tick, &c, &w, NULL);
		if (sane(&w, rc, why, sizeof why))
			ok++;
		else if (!first[0])
			snprintf(first, sizeof first, "case %d (kind %d): %s", i, i % 3, why);
		hl_walk_free(&w);
	}
	T_EQ_INT(ok, n,
		 "%d heaps that change while walked (pages released, words rewritten, a new heap): "
		 "each walk returns, bounded, consistent, and never reads a page once it is "
		 "released %s",
		 n, first);
}

int main(void)
{
	by_hand();
	corrupted_by_hand();
	random_valid();
	random_corrupt();
	changing();
	return t_done();
}
