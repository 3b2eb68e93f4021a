/*
 * test_live_walk_scale.c — the walker on heaps shaped like real programs'
 * (tests/helpers/heap_shape): a seeded mixed heap of 1 GiB (three in four
 * blocks small, one in four up to 61 KiB, half of them freed at random),
 * the same built by four threads in their own arenas, and 1 GiB of 16 KiB
 * blocks with 7 of every 8 freed.
 *
 * Against the target's own mallinfo2, every field equal, by the default
 * walk and by the exact one (HL_WALK_EXACT). The default walk's held-back,
 * released, releasable, tcache, fastbin and bin figures and its page classes
 * equal the exact walk's; its count of chunks is said to be an estimate,
 * and is within 50% of the exact one (a sample: an honest margin); its
 * reads are batched (fewer process_vm_readv calls than free chunks / 16,
 * pagemap read in large pieces); and no page that was absent before the
 * walks is present after them.
 *
 * Then while the target changes under the walks: one that releases 256 MiB
 * of its free memory 2 MiB at a time (madvise) while it is walked again and
 * again (after it, every released page is still absent and RSS has not
 * grown), and one that allocates and frees all the time (each walk returns,
 * bounded, and says when what it read did not add up).
 */
#include <fcntl.h>
#include <poll.h>

#include "live.h"

static const char *shape_bin = "build/tests/helpers/heap_shape";

/* The pages of the walk's heaps that pagemap says are absent, as one byte
 * per page (heaps in the walk's order). */
static uint8_t *absent_pages(pid_t pid, const hl_walk_t *w, size_t *n)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
	int fd = open(path, O_RDONLY);
	size_t total = 0;
	for (size_t i = 0; i < w->nheaps; i++)
		total += (size_t)((w->heaps[i].end - w->heaps[i].start) / 4096);
	uint8_t *a = calloc(total ? total : 1, 1);
	uint64_t *e = malloc(65536 * sizeof *e);
	size_t k = 0;
	for (size_t i = 0; fd >= 0 && a && e && i < w->nheaps; i++)
		for (uint64_t pg = w->heaps[i].start / 4096; pg < w->heaps[i].end / 4096;) {
			size_t m = w->heaps[i].end / 4096 - pg < 65536 ? w->heaps[i].end / 4096 - pg
								      : 65536;
			if (pread(fd, e, m * 8, (off_t)(pg * 8)) != (ssize_t)(m * 8))
				break;
			for (size_t j = 0; j < m; j++)
				a[k++] = !(e[j] >> 63 & 1);
			pg += m;
		}
	if (fd >= 0)
		close(fd);
	free(e);
	*n = k;
	return a;
}

static bool same_mallinfo(const hl_mallinfo_t *m, const hl_mallinfo_t *w, char *why, size_t sz)
{
	snprintf(why, sz,
		 "arena %lld/%lld ordblks %lld/%lld smblks %lld/%lld hblks %lld/%lld hblkhd "
		 "%lld/%lld uordblks %lld/%lld fordblks %lld/%lld keepcost %lld/%lld",
		 (long long)m->arena, (long long)w->arena, (long long)m->ordblks,
		 (long long)w->ordblks, (long long)m->smblks, (long long)w->smblks,
		 (long long)m->hblks, (long long)w->hblks, (long long)m->hblkhd,
		 (long long)w->hblkhd, (long long)m->uordblks, (long long)w->uordblks,
		 (long long)m->fordblks, (long long)w->fordblks, (long long)m->keepcost,
		 (long long)w->keepcost);
	return m->arena == w->arena && m->ordblks == w->ordblks && m->smblks == w->smblks &&
	       m->hblks == w->hblks && m->hblkhd == w->hblkhd && m->uordblks == w->uordblks &&
	       m->fordblks == w->fordblks && m->keepcost == w->keepcost;
}

static int64_t in_use_chunks(const hl_walk_t *w)
{
	int64_t n = 0;
	for (size_t i = 0; i < w->narenas; i++)
		n += w->arenas[i].in_use_chunks;
	return n;
}

/* The oracle on one shape: see the top of the file. */
static void oracle(const char *name, char *const *argv, int arenas)
{
	live_shape_t t;
	T_OK(live_shape_start(&t, argv), "%s: the target built its heap", name);
	if (!t.pid)
		return;
	hl_glibc_layout_t cache;
	memset(&cache, 0, sizeof cache);
	hl_walk_t f, e;
	char why[600];
	T_EQ_INT(hl_walk_process_opts(t.pid, &cache, HL_WALK_PAGES, &f, NULL), 0,
		 "%s: a default walk", name);
	size_t na = 0, nb = 0;
	uint8_t *before = absent_pages(t.pid, &f, &na);
	hl_walk_free(&f);
	T_EQ_INT(hl_walk_process_opts(t.pid, &cache, HL_WALK_PAGES, &f, NULL), 0,
		 "%s: walked again", name);
	T_EQ_INT(hl_walk_process_opts(t.pid, &cache, HL_WALK_PAGES | HL_WALK_EXACT, &e, NULL), 0,
		 "%s: an exact walk", name);
	T_OK(f.complete && e.complete, "%s: both complete (%s%s)", name, f.warning, e.warning);
	T_OK(same_mallinfo(&t.mi, &f.mallinfo2, why, sizeof why),
	     "%s: the default walk's totals are the target's mallinfo2 (%s)", name, why);
	T_OK(same_mallinfo(&t.mi, &e.mallinfo2, why, sizeof why),
	     "%s: and so are the exact walk's (%s)", name, why);
	T_EQ_INT((int64_t)f.narenas, arenas, "%s: %d arena(s)", name, arenas);
	bool same = f.tcache_bytes == e.tcache_bytes && f.tcache_chunks == e.tcache_chunks &&
		    f.tcache_structs == e.tcache_structs && f.fastbin_bytes == e.fastbin_bytes &&
		    f.bin_bytes == e.bin_bytes && f.held_back_bytes == e.held_back_bytes &&
		    f.released_bytes == e.released_bytes &&
		    f.releasable_bytes == e.releasable_bytes && f.nheaps == e.nheaps;
	for (size_t h = 0; same && h < f.nheaps; h++)
		for (int k = 0; k < HL_NPAGE_CLASSES; k++)
			same &= f.heaps[h].npages[k] == e.heaps[h].npages[k];
	T_OK(same,
	     "%s: tcache (%lld B in %lld), fastbins, bins, held back (%lld), released, "
	     "releasable and every page class: the default walk's equal the exact walk's",
	     name, (long long)e.tcache_bytes, (long long)e.tcache_chunks,
	     (long long)e.held_back_bytes);
	T_OK(f.tcache_structs >= arenas, "%s: a tcache for each building thread (%lld)", name,
	     (long long)f.tcache_structs);
	int64_t fi = in_use_chunks(&f), ei = in_use_chunks(&e);
	T_OK(f.chunks_estimated && !e.chunks_estimated,
	     "%s: the default walk's chunk count is said to be an estimate, the exact one's not",
	     name);
	T_OK(ei > 0 && fi >= ei / 2 && fi <= ei + ei / 2,
	     "%s: the in-use estimate %lld is within 50%% of the count %lld", name, (long long)fi,
	     (long long)ei);
	T_EQ_INT(f.live_bytes - e.live_bytes, -8 * (fi - ei),
		 "%s: live differs only by the 8-byte size field of each chunk the estimate is off",
		 name);
	int64_t free_chunks = f.mallinfo2.ordblks + f.mallinfo2.smblks + f.tcache_chunks;
	T_OK(f.reads * 16 < free_chunks,
	     "%s: batched: %lld process_vm_readv calls for %lld free chunks", name,
	     (long long)f.reads, (long long)free_chunks);
	int64_t pages = 0;
	for (size_t h = 0; h < f.nheaps; h++)
		pages += (int64_t)((f.heaps[h].end - f.heaps[h].start) / 4096);
	T_OK(f.pagemap_reads < pages / 64,
	     "%s: pagemap in large pieces: %lld reads for %lld pages", name,
	     (long long)f.pagemap_reads, (long long)pages);
	uint8_t *after = absent_pages(t.pid, &f, &nb);
	int64_t faulted = 0, absent = 0;
	for (size_t i = 0; before && after && i < na && i < nb; i++) {
		absent += before[i];
		faulted += before[i] && !after[i];
	}
	T_OK(before && after && na == nb && faulted == 0,
	     "%s: of the %lld pages absent before the walks, none is present after them (%lld)",
	     name, (long long)absent, (long long)faulted);
	free(before);
	free(after);
	hl_walk_free(&f);
	hl_walk_free(&e);
	live_shape_stop(&t);
}

static int64_t vm_rss(pid_t pid)
{
	hl_buf_t b = {0};
	hl_status_t st;
	int64_t rss = -1;
	if (hl_procfs_read(pid, "status", &b, NULL) == 0 &&
	    hl_status_parse(b.data, b.len, &st, NULL) == 0)
		rss = st.vm_rss_bytes;
	hl_buf_free(&b);
	return rss;
}

/* A target releasing pages while it is walked, again and again. */
static void releasing(void)
{
	char *argv[] = {(char *)shape_bin, "mixed", "--gib=0.5", "--release", NULL};
	live_shape_t t;
	T_OK(live_shape_start(&t, argv), "release: the target built its heap");
	char line[256] = "";
	unsigned long long from = 0, to = 0;
	bool got = t.out && fgets(line, sizeof line, t.out) &&
		   sscanf(line, "release %llx %llx", &from, &to) == 2 && to > from;
	line[strcspn(line, "\n")] = '\0';
	T_OK(got, "release: it says what it releases (%s)", line);
	if (!got) {
		live_shape_stop(&t);
		return;
	}
	hl_glibc_layout_t cache;
	memset(&cache, 0, sizeof cache);
	int64_t rss0 = vm_rss(t.pid);
	int walks = 0, ok = 0;
	bool done = false;
	for (; walks < 400 && !done; walks++) {
		hl_walk_t w;
		int flags = HL_WALK_PAGES | (walks % 4 == 3 ? HL_WALK_EXACT : 0);
		if (hl_walk_process_opts(t.pid, &cache, flags, &w, NULL) == 0)
			ok++;
		hl_walk_free(&w);
		struct pollfd p = {fileno(t.out), POLLIN, 0};
		done = poll(&p, 1, 0) == 1;
	}
	done = done && fgets(line, sizeof line, t.out) && !strncmp(line, "released", 8);
	line[strcspn(line, "\n")] = '\0';
	T_OK(done && walks >= 10, "release: walked %d times while it released (%s)", walks, line);
	T_EQ_INT(ok, walks, "release: every walk returned");
	/* every page it released is still absent: none was read back in */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/pagemap", (int)t.pid);
	int fd = open(path, O_RDONLY);
	int64_t present = 0, pages = 0;
	for (uint64_t pg = from / 4096; fd >= 0 && pg < to / 4096; pg++, pages++) {
		uint64_t e = 0;
		if (pread(fd, &e, 8, (off_t)(pg * 8)) == 8 && (e >> 63 & 1))
			present++;
	}
	if (fd >= 0)
		close(fd);
	T_OK(pages > 60000 && present == 0,
	     "release: all %lld released pages are still absent after the walks (%lld present)",
	     (long long)pages, (long long)present);
	int64_t rss1 = vm_rss(t.pid);
	T_OK(rss0 > 0 && rss1 > 0 && rss1 <= rss0,
	     "release: its RSS did not grow (%lld kB before, %lld kB after)", (long long)rss0 / 1024,
	     (long long)rss1 / 1024);
	live_shape_stop(&t);
}

/* A target that allocates and frees all the time. */
static void churning(void)
{
	char *argv[] = {(char *)shape_bin, "mixed", "--gib=0.25", "--threads=2", "--churn", NULL};
	live_shape_t t;
	T_OK(live_shape_start(&t, argv), "churn: the target built its heap");
	hl_glibc_layout_t cache;
	memset(&cache, 0, sizeof cache);
	int ok = 0, told = 0, n = 40;
	for (int i = 0; i < n; i++) {
		hl_walk_t w;
		int flags = HL_WALK_PAGES | HL_WALK_CHUNKS | (i % 2 ? HL_WALK_EXACT : 0);
		int rc = hl_walk_process_opts(t.pid, &cache, flags, &w, NULL);
		bool sane = rc == 0 && w.complete == !w.warning[0] && w.narenas >= 1;
		for (size_t h = 0; sane && h < w.nheaps; h++) {
			int64_t pg = 0;
			for (int k = 0; k < HL_NPAGE_CLASSES; k++)
				pg += w.heaps[h].npages[k];
			sane = pg == (int64_t)((w.heaps[h].end - w.heaps[h].start) / 4096);
		}
		ok += sane;
		told += rc == 0 && !w.complete;
		hl_walk_free(&w);
	}
	T_EQ_INT(ok, n, "churn: %d walks of a heap that changes under them return, consistent "
		 "(%d said what did not add up)", n, told);
	live_shape_stop(&t);
}

int main(void)
{
	char *mixed[] = {(char *)shape_bin, "mixed", "--gib=1", "--seed=1", NULL};
	oracle("mixed 1 GiB", mixed, 1);
	char *threads[] = {(char *)shape_bin, "mixed", "--gib=1", "--seed=2", "--threads=4", NULL};
	oracle("mixed 1 GiB, 4 threads", threads, 5);
	char *blocks[] = {(char *)shape_bin, "blocks16k", NULL};
	oracle("16 KiB blocks, 7 of 8 freed", blocks, 1);
	releasing();
	churning();
	return t_done();
}
