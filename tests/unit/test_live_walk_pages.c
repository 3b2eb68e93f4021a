/*
 * test_live_walk_pages.c — the walker's per-chunk and per-page export agrees
 * with its own totals: the free pages are exactly the bytes held_back and
 * released count, the chunks of each class add up to the tcache, fastbin
 * and bin figures, and every chunk lies in the heap it was walked in; the
 * split the report's breakdown uses (overhead, bins, top released) adds up
 * to mallinfo2's in use and free. On a heap where malloc_trim released the
 * inside of a free chunk, those pages are free-released; before the trim,
 * free-resident.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "live.h"

#define BLOCKS 2000

static void check(const hl_walk_t *w, const char *when)
{
	int64_t ps = hl_procfs_page_size();
	int64_t pages[HL_NPAGE_CLASSES] = {0}, bytes[HL_NCHUNK_CLASSES] = {0};
	int64_t counted = 0, npg = 0;
	for (size_t i = 0; i < w->nheaps; i++) {
		const hl_walk_heap_t *h = &w->heaps[i];
		int64_t n = (int64_t)(h->end - h->start) / ps, by[HL_NPAGE_CLASSES] = {0};
		for (int64_t k = 0; k < n; k++)
			by[h->pages[k]]++;
		bool same = true;
		for (int c = 0; c < HL_NPAGE_CLASSES; c++) {
			same &= by[c] == h->npages[c];
			pages[c] += by[c];
		}
		T_OK(same, "%s: heap %zu's npages count its page classes", when, i);
		npg += n;
	}
	T_OK(npg > BLOCKS, "%s: > %d pages classed (%lld)", when, BLOCKS, (long long)npg);
	T_EQ_INT((pages[HL_PAGE_FREE_RESIDENT] + pages[HL_PAGE_TOP_RESIDENT]) * ps,
		 w->held_back_bytes, "%s: free and top resident pages == held_back_bytes", when);
	T_EQ_INT((pages[HL_PAGE_FREE_RELEASED] + pages[HL_PAGE_TOP_RELEASED]) * ps, w->released_bytes,
		 "%s: free and top released pages == released_bytes", when);
	bool inside = true;
	for (size_t i = 0; i < w->nchunk; i++) {
		const hl_walk_chunk_t *c = &w->chunk[i];
		bytes[c->cls] += (int64_t)c->size;
		counted += c->cls == HL_CHUNK_TCACHE;
		bool in = false;
		for (size_t k = 0; k < w->nheaps; k++)
			in |= w->heaps[k].arena == c->arena && c->addr >= w->heaps[k].start &&
			      c->addr + c->size <= w->heaps[k].end;
		inside &= in;
	}
	T_OK(inside, "%s: every chunk lies inside a heap of its arena", when);
	int64_t bin = 0;
	for (size_t i = 0; i < w->narenas; i++)
		bin += w->arenas[i].bin_bytes;
	T_EQ_INT(bytes[HL_CHUNK_TCACHE], w->tcache_bytes, "%s: tcache chunks == tcache_bytes", when);
	T_EQ_INT(counted, w->tcache_chunks, "%s: and their count == tcache_chunks", when);
	T_EQ_INT(bytes[HL_CHUNK_FASTBIN], w->fastbin_bytes, "%s: fastbin chunks == fastbin_bytes",
		 when);
	T_EQ_INT(bytes[HL_CHUNK_BIN], bin, "%s: bin chunks == bin_bytes", when);
	T_EQ_INT(bytes[HL_CHUNK_TOP], w->top_bytes, "%s: top chunks == top_bytes", when);
	T_EQ_INT(bin, w->bin_bytes, "%s: the arenas' bin_bytes add up to the total", when);
	T_EQ_INT(pages[HL_PAGE_TOP_RELEASED] * ps, w->top_released_bytes,
		 "%s: top released pages == top_released_bytes", when);
	/* what the report's breakdown relies on: in use splits into live,
	 * overhead and tcache; free into top, fastbins and bins */
	T_EQ_INT(w->mallinfo2.uordblks - w->live_bytes - w->tcache_bytes, w->overhead_bytes,
		 "%s: in use - live - tcache == overhead_bytes", when);
	T_EQ_INT(w->mallinfo2.fordblks - w->top_bytes - w->fastbin_bytes, w->bin_bytes,
		 "%s: free - top - fastbins == bin_bytes", when);
}

int main(void)
{
	/* a helper built without sanitizers: glibc's malloc is the one used */
	char line[128], arg[16];
	FILE *from = NULL;
	snprintf(arg, sizeof arg, "%d", BLOCKS);
	pid_t pid = live_spawn("build/tests/helpers/hold_freed", arg, NULL, line, sizeof line, &from);
	line[strcspn(line, "\n")] = '\0';
	T_OK(pid > 0 && !strncmp(line, "ready", 5), "the helper built its heap (%s)", line);
	hl_glibc_layout_t cache;
	memset(&cache, 0, sizeof cache);
	hl_walk_t w;
	T_EQ_INT(hl_walk_process_opts(pid, &cache, HL_WALK_PAGES | HL_WALK_CHUNKS, &w, NULL), 0,
		 "walked with pages and chunks");
	T_OK(w.complete, "complete (%s)", w.warning);
	check(&w, "freed");
	int64_t held = 0;
	for (size_t i = 0; i < w.nheaps; i++)
		held += w.heaps[i].npages[HL_PAGE_FREE_RESIDENT];
	T_OK(held >= BLOCKS - 2, "freed: the freed blocks' pages are free-resident (%lld)",
	     (long long)held);
	hl_walk_free(&w);
	T_OK(w.heaps == NULL && w.chunk == NULL && w.nheaps == 0, "hl_walk_free empties it");

	kill(pid, SIGUSR1);
	bool trimmed = from && fgets(line, sizeof line, from) && !strcmp(line, "trimmed 1\n");
	line[strcspn(line, "\n")] = '\0';
	T_OK(trimmed, "the helper trimmed (%s)", line);
	T_EQ_INT(hl_walk_process_opts(pid, &cache, HL_WALK_PAGES | HL_WALK_CHUNKS, &w, NULL), 0,
		 "walked again");
	check(&w, "trimmed");
	int64_t rel = 0, res = 0;
	for (size_t i = 0; i < w.nheaps; i++) {
		rel += w.heaps[i].npages[HL_PAGE_FREE_RELEASED];
		res += w.heaps[i].npages[HL_PAGE_FREE_RESIDENT];
	}
	T_OK(rel >= BLOCKS - 2 && res <= 2, "trimmed: now free-released (%lld), not resident (%lld)",
	     (long long)rel, (long long)res);
	hl_walk_free(&w);

	/* without the flags nothing per page or chunk is kept */
	T_EQ_INT(hl_walk_process_cached(pid, &cache, &w, NULL), 0, "a plain walk");
	T_OK(w.nchunk == 0 && w.chunk == NULL && w.nheaps >= 1 && w.heaps[0].pages == NULL,
	     "keeps the heaps' extents but no pages or chunks");
	hl_walk_free(&w);
	T_EQ_STR(hl_page_class_name(HL_PAGE_TOP_RELEASED), "top-released", "page class names");
	T_EQ_STR(hl_chunk_class_name(HL_CHUNK_FASTBIN), "fastbin", "chunk class names");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return t_done();
}
