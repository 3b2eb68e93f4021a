/*
 * test_hv_layout.c — the live view without a terminal: a synthetic snapshot
 * (two arenas, known page classes) goes through the model and the layout,
 * and the grid must say what the snapshot says: the figures, one glyph per
 * page class in the right cells, the address ruler, the legend, zoom,
 * scroll, arena switching, help, a too-small terminal, and every row inside
 * 80 columns. And the cost rule: the walks' effective interval, and the
 * walk line that shows it, whole at 80 columns even with the widest figures.
 */
#include "heapview.h"
#include "hv_t.h"
#include "t.h"

#define PS 4096

/* Arena 0: one heap of 64 pages: 16 used, 16 free held back, 16 released,
 * 8 top held back, 8 top released. Arena 1: two heaps of 8 pages, used. */
static void snapshot(hv_snapshot_t *s, int64_t rss, int64_t live)
{
	memset(s, 0, sizeof *s);
	s->pid = 4242;
	snprintf(s->status.name, sizeof s->status.name, "demo");
	s->status.vm_rss_bytes = rss;
	s->status.vm_size_bytes = 512LL << 20;
	s->walk_valid = true;
	hl_walk_t *w = &s->walk;
	w->complete = true;
	w->narenas = 2;
	w->arenas = calloc(2, sizeof *w->arenas);
	w->arenas[0].main = true;
	w->arenas[0].system_bytes = 64 * PS;
	w->arenas[0].nheaps = 1;
	w->arenas[1].system_bytes = 16 * PS;
	w->arenas[1].nheaps = 2;
	w->live_bytes = live;
	w->held_back_bytes = 24 * PS;
	w->released_bytes = 24 * PS;
	w->releasable_bytes = 16 * PS;
	w->tcache_bytes = 1536;
	w->mmap_threshold = 128 << 10;
	w->trim_threshold = 256 << 10;
	w->nheaps = 3;
	w->heaps = calloc(3, sizeof *w->heaps);
	uint64_t base[3] = {0x555500000000ULL, 0x7f0000000000ULL, 0x7f0004000000ULL};
	int npages[3] = {64, 8, 8};
	for (int i = 0; i < 3; i++) {
		hl_walk_heap_t *h = &w->heaps[i];
		h->start = base[i];
		h->end = base[i] + (uint64_t)npages[i] * PS;
		h->arena = i ? 1 : 0;
		h->pages = calloc((size_t)npages[i], 1);
	}
	for (int p = 0; p < 64; p++)
		w->heaps[0].pages[p] = p < 16   ? HL_PAGE_USED
				       : p < 32 ? HL_PAGE_FREE_RESIDENT
				       : p < 48 ? HL_PAGE_FREE_RELEASED
				       : p < 56 ? HL_PAGE_TOP_RESIDENT
						: HL_PAGE_TOP_RELEASED;
	s->regions.n = 3;
	s->regions.v = calloc(3, sizeof *s->regions.v);
	s->regions.v[0] = (hl_region_t){.start = base[0], .end = base[0] + 64 * PS,
					.cls = HL_REGION_BRK_HEAP};
	s->regions.v[1] = (hl_region_t){.start = base[1], .end = base[1] + (64 << 20),
					.cls = HL_REGION_ARENA_HEAP};
	s->regions.v[2] = (hl_region_t){.start = 0x7ffd00000000ULL, .end = 0x7ffd00021000ULL,
					.cls = HL_REGION_STACK};
}

static int count(const hv_screen_t *s, int r0, int r1, int from_col, char g)
{
	int n = 0;
	for (int r = r0; r <= r1; r++)
		for (int c = from_col; c < s->cols; c++)
			n += s->cell[r * s->cols + c].ch == g;
	return n;
}

int main(void)
{
	hv_model_t m;
	hv_screen_t scr = {0};
	hv_model_init(&m, 4242, "demo --blocks=64");
	hv_snapshot_t s;
	snapshot(&s, 1LL << 20, 64 << 10);
	hv_model_update(&m, &s, 0.0);
	T_OK(m.have && s.walk.arenas == NULL, "the model owns the snapshot");
	T_EQ_INT(hv_screen_resize(&scr, 24, 80), 0, "an 80x24 screen");
	hv_layout(&m, &scr);

	T_OK(strstr(row(&scr, 0), "pid 4242") && strstr(row(&scr, 0), "demo --blocks=64") &&
		     strstr(row(&scr, 0), "running"),
	     "title: pid, command, state");
	T_OK(find(&scr, "RSS 1.0M") >= 0 && find(&scr, "live 64.0K") >= 0 &&
		     find(&scr, "RSS/live 16.0 x") >= 0 && find(&scr, "arenas 2") >= 0,
	     "figures: RSS, live, fragmentation ratio, arenas");
	T_OK(find(&scr, "held back 96.0K") >= 0 && find(&scr, "released 96.0K") >= 0 &&
		     find(&scr, "releasable 64.0K") >= 0 && find(&scr, "tcache 1.5K") >= 0,
	     "held back, released, releasable, tcache");
	T_OK(find(&scr, "mmap_threshold 128.0K") >= 0 && find(&scr, "trim_threshold 256.0K") >= 0,
	     "the thresholds");
	int legend = find(&scr, "# used");
	T_EQ_INT(legend, 22, "the legend is on the second-last row");
	T_OK(strstr(row(&scr, legend), "o free, held back") && strstr(row(&scr, legend), "P pin") &&
		     strstr(row(&scr, legend), ". free, released") &&
		     strstr(row(&scr, legend), "= top, held back") &&
		     strstr(row(&scr, legend), "_ top, released"),
	     "it names every glyph");
	T_OK(strstr(row(&scr, 23), "q quit") && strstr(row(&scr, 23), "? help"), "keys on the last row");
	int maps = find(&scr, "maps ");
	T_OK(maps >= 0 && strchr(row(&scr, maps), 'H') && strchr(row(&scr, maps), 'A') &&
		     strchr(row(&scr, maps), 'S'),
	     "the address-space strip shows the brk heap, an arena heap and the stack");
	int hdr = find(&scr, "arena 1/2 main");
	T_OK(hdr > 0, "the map names the arena");
	/* 64 pages fit at one page per cell: the first map row holds them all */
	T_EQ_INT(m.zoom, 0, "64 pages fit: one page a cell");
	T_OK(!strncmp(row(&scr, hdr + 1), "555500000000 ", 13), "the row starts with its address");
	const char *want = "################oooooooooooooooo................========________";
	T_OK(!strncmp(row(&scr, hdr + 1) + 13, want, 64), "every page in its cell, by class: %s",
	     row(&scr, hdr + 1) + 13);
	T_EQ_INT(count(&scr, hdr + 1, legend - 1, 13, 'o'), 16, "16 held-back cells");
	bool inside = true;
	for (int r = 0; r < scr.rows; r++)
		inside &= strlen(row(&scr, r)) == 80;
	T_OK(inside, "every row is 80 columns");

	/* zoom out: two pages a cell, the majority class (ties: held back) */
	T_EQ_INT(hv_model_key(&m, '-'), HV_REDRAW, "- zooms out");
	hv_layout(&m, &scr);
	T_EQ_INT(m.zoom, 1, "two pages a cell");
	T_OK(!strncmp(row(&scr, hdr + 1) + 13, "########oooooooo........====____ ", 33),
	     "32 cells, the same classes: %s", row(&scr, hdr + 1) + 13);
	T_EQ_INT(hv_model_key(&m, '+'), HV_REDRAW, "+ zooms in");
	T_EQ_INT(hv_model_key(&m, '+'), HV_REDRAW, "+ again stays at one page");
	T_EQ_INT(m.zoom, 0, "zoom 0 is the floor");
	/* a mixed cell: one used page and one held back: the tie goes to held back */
	m.snap.walk.heaps[0].pages[1] = HL_PAGE_FREE_RESIDENT;
	m.zoom = 1;
	T_EQ_INT(hv_model_cell(&m, &m.snap.walk.heaps[0], 0), HL_PAGE_FREE_RESIDENT,
		 "a tie between used and held back shows held back");
	T_EQ_INT(hv_model_cell(&m, &m.snap.walk.heaps[0], 32), -1, "past the heap: no cell");
	m.zoom = 0;

	/* a pin (pins.c's rule, as diagnose names it): the cells over it show P,
	 * in the legend too; the cells around it keep their class */
	uint64_t h0 = m.snap.walk.heaps[0].start;
	m.snap.pins[0] = (hl_heap_pin_t){.arena = 0, .addr = h0 + 23 * PS + 4064, .size = 32,
					 .first = h0 + 23 * PS + 4064, .bytes = 32,
					 .cls = HL_CHUNK_IN_USE, .chunks = 1};
	m.snap.npins = 1;
	hv_layout(&m, &scr);
	hdr = find(&scr, "arena 1/2");
	T_OK(hdr > 0 && row(&scr, hdr + 1)[13 + 23] == 'P' && row(&scr, hdr + 1)[13 + 22] != 'P' &&
		     row(&scr, hdr + 1)[13 + 24] != 'P',
	     "the pin's cell (page 23) shows P, its neighbours their class: %s", row(&scr, hdr + 1) + 13);
	T_OK(find(&scr, "P pin") > 0, "the legend names P");
	m.snap.pins[0].arena = 1;
	hv_layout(&m, &scr);
	T_OK(!strchr(row(&scr, hdr + 1) + 13, 'P'), "a pin of another arena is not drawn here");
	m.snap.npins = 0;

	/* the next arena: two heaps, one row each */
	T_EQ_INT(hv_model_key(&m, 'a'), HV_REDRAW, "a: the next arena");
	hv_layout(&m, &scr);
	hdr = find(&scr, "arena 2/2");
	T_OK(hdr > 0 && strstr(row(&scr, hdr), "2 heaps"), "arena 2 of 2, two heaps");
	T_OK(!strncmp(row(&scr, hdr + 1), "7f0000000000 ########", 21) &&
		     !strncmp(row(&scr, hdr + 2), "7f0004000000 ########", 21),
	     "each heap on its own row with its address");
	hv_model_key(&m, 'a');
	T_EQ_INT(m.arena, 0, "a wraps around to the main arena");

	/* scroll: a long heap at one page a cell */
	m.snap.walk.heaps[0].end = m.snap.walk.heaps[0].start + 64 * PS;
	hv_model_key(&m, HV_KEY_END);
	hv_layout(&m, &scr);
	T_EQ_INT(m.scroll, 0, "nothing to scroll: End stays at the top");
	hv_model_key(&m, '-');
	hv_model_key(&m, '+'); /* manual zoom: 0 */
	free(m.snap.walk.heaps[0].pages);
	m.snap.walk.heaps[0].pages = calloc(67 * 40, 1);
	m.snap.walk.heaps[0].end = m.snap.walk.heaps[0].start + 67ULL * 40 * PS;
	hv_layout(&m, &scr);
	hdr = find(&scr, "arena 1/2");
	T_OK(strstr(row(&scr, hdr), "rows 1-"), "a 40-row heap: rows shown from 1");
	hv_model_key(&m, HV_KEY_PGDN);
	hv_layout(&m, &scr);
	T_EQ_INT(m.scroll, m.map_rows - 1, "PgDn moves a screen less one row");
	hv_model_key(&m, HV_KEY_END);
	hv_layout(&m, &scr);
	T_EQ_INT(m.scroll, 40 - m.map_rows, "End shows the last row at the bottom");
	hv_model_key(&m, HV_KEY_DOWN);
	hv_layout(&m, &scr);
	T_EQ_INT(m.scroll, 40 - m.map_rows, "and down goes no further");
	hv_model_key(&m, HV_KEY_PGUP);
	hv_model_key(&m, HV_KEY_PGUP);
	hv_model_key(&m, HV_KEY_PGUP);
	hv_model_key(&m, HV_KEY_UP);
	T_EQ_INT(m.scroll, 0, "up and PgUp stop at the top");
	T_EQ_INT(hv_model_key(&m, '0'), HV_REDRAW, "0: fit again");
	hv_layout(&m, &scr);
	T_OK(m.zoom >= 2 && strstr(row(&scr, find(&scr, "arena 1/2")), "rows 1-"),
	     "fitted: %d pages a cell", 1 << m.zoom);

	/* pause, help, the other keys */
	T_EQ_INT(hv_model_key(&m, ' '), HV_REDRAW, "space pauses");
	hv_layout(&m, &scr);
	T_OK(m.paused && strstr(row(&scr, 0), "paused"), "the title says paused");
	hv_model_key(&m, ' ');
	T_OK(!m.paused, "space again resumes");
	T_EQ_INT(hv_model_key(&m, '?'), HV_REDRAW, "? opens the help");
	hv_layout(&m, &scr);
	T_OK(find(&scr, "heapview keys") > 0 && find(&scr, "malloc_trim(0)") > 0,
	     "the help lists the keys");
	T_EQ_INT(hv_model_key(&m, 'x'), HV_REDRAW, "any key closes it");
	T_OK(!m.help, "closed");
	T_EQ_INT(hv_model_key(&m, 's'), HV_SAVE, "s saves");
	T_EQ_INT(hv_model_key(&m, 't'), HV_TRIM, "t trims");
	T_EQ_INT(hv_model_key(&m, 'q'), HV_QUIT, "q quits");
	T_EQ_INT(hv_model_key(&m, 'Z'), HV_NONE, "other keys do nothing");

	/* history: RSS stays, live falls: the sparklines part */
	for (int i = 1; i <= 20; i++) {
		snapshot(&s, 1LL << 20, i < 10 ? 1LL << 20 : 1024);
		hv_model_update(&m, &s, i);
	}
	hv_layout(&m, &scr);
	int rss = find(&scr, "RSS  "), live = find(&scr, "live  ");
	T_OK(rss > 0 && live == rss + 1, "RSS and live sparklines, one above the other");
	T_EQ_INT(count(&scr, rss, rss, 6, '@'), 21, "RSS at the top of its scale throughout");
	T_OK(count(&scr, live, live, 6, '@') == 9 && count(&scr, live, live, 6, '_') == 12,
	     "live: 9 points at the top, 12 at the bottom but visible");
	T_EQ_INT(m.nhist, 21, "21 points of history");
	hv_model_point(&m, 21, 2LL << 20, 3LL << 20);
	T_EQ_INT(m.hist[21].live, 1024, "an RSS-only point carries live over");

	/* exited: the last frame stays */
	m.exited = true;
	snprintf(m.state, sizeof m.state, "exited (status 0)");
	hv_layout(&m, &scr);
	T_OK(strstr(row(&scr, 0), "exited (status 0)") && find(&scr, "# used") > 0,
	     "exited: said in the title, the frame kept");

	/* too small */
	hv_screen_resize(&scr, 20, 60);
	hv_layout(&m, &scr);
	int small = find(&scr, "terminal too small: 60x20, heapview needs 80x24");
	T_EQ_INT(small, 10, "60x20: says the terminal is too small, mid-screen");
	/* larger: the map gets the rows */
	hv_screen_resize(&scr, 50, 132);
	hv_layout(&m, &scr);
	T_OK(find(&scr, "# used") == 48 && m.map_rows > 30, "132x50: the map takes the rows (%d)",
	     m.map_rows);

	/* a snapshot that could not be walked: maps-level view only */
	snapshot(&s, 1LL << 20, 0);
	s.walk_valid = false;
	snprintf(s.walk_error, sizeof s.walk_error, "process 1 has no glibc mapped");
	hv_model_update(&m, &s, 30);
	hv_layout(&m, &scr);
	T_OK(find(&scr, "heap not walked: process 1 has no glibc mapped") > 0 &&
		     find(&scr, "maps-level view") > 0 && find(&scr, "maps ") > 0,
	     "not glibc: says why, shows the maps strip");
	T_EQ_INT(hv_page_glyph(HL_PAGE_FREE_RESIDENT), 'o', "glyph of held back");
	hv_model_free(&m);

	/* the cost rule: the next walk no sooner than max(interval, T / 4%) */
	T_EQ_INT(HV_WALK_CPU_PERCENT, 4, "a walk may use 4%% of one core (heapview in all 5%%)");
	static const double took[] = {10, 25, 100, 1188, 10000};
	static const int64_t every[] = {500, 625, 2500, 29700, 250000};
	for (int i = 0; i < 5; i++)
		T_EQ_INT(hv_walk_every_ms(500, took[i]), every[i],
			 "interval 500 ms, walk %.0f ms: walks every %lld ms", took[i],
			 (long long)every[i]);
	T_EQ_INT(hv_walk_every_ms(0, 100), 2500, "interval 0: the cost rule alone (25 T)");
	T_EQ_INT(hv_walk_every_ms(2000, 10), 2000, "a long interval is kept");

	/* the walk line at 80x24, under the thresholds, a long walk, then a short one */
	hv_screen_resize(&scr, 24, 80);
	hv_model_init(&m, 4242, "demo");
	T_EQ_INT(m.interval_ms, 500, "the model's interval: heapview's default");
	snapshot(&s, 80LL << 20, 4 << 10);
	hv_model_walked(&m, 1188, false);
	hv_model_update(&m, &s, 5.0);
	T_EQ_INT(m.walk_every_ms, 29700, "the model: walks every 29700 ms after a 1188 ms walk");
	hv_layout(&m, &scr);
	int wl = find(&scr, "walk ");
	T_EQ_INT(wl, 4, "the walk line is the fourth figure row");
	T_EQ_STR(row(&scr, wl),
		 "walk 1188 ms, every 29.7 s                                                      ",
		 "a 1188 ms walk at 80 columns: 'walk 1188 ms, every 29.7 s'");
	hv_model_point(&m, 5.4, 81LL << 20, 90LL << 20);
	hv_layout(&m, &scr);
	T_OK(!strstr(row(&scr, wl), "old"), "figures 0.4 s old, under the interval: no age shown");
	T_OK(find(&scr, "RSS 81.0M  VSZ 90.0M") == 1, "RSS and VSZ from the reading in between");
	hv_model_point(&m, 17.3, 81LL << 20, 90LL << 20);
	hv_layout(&m, &scr);
	T_EQ_STR(row(&scr, wl),
		 "walk 1188 ms, every 29.7 s  heap figures 12.3 s old                             ",
		 "12.3 s later: the walk's figures are 12.3 s old");
	snapshot(&s, 80LL << 20, 4 << 10);
	hv_model_walked(&m, 12, false);
	hv_model_update(&m, &s, 18.0);
	hv_layout(&m, &scr);
	T_EQ_STR(row(&scr, wl),
		 "walk 12 ms                                                                      ",
		 "a 12 ms walk: 'walk 12 ms', the interval is the user's");
	T_EQ_INT(m.walk_age_s * 10, 0, "a new walk: its figures are new");
	snapshot(&s, 80LL << 20, 4 << 10);
	hv_model_walked(&m, 20, false);
	hv_model_update(&m, &s, 19.0);
	hv_layout(&m, &scr);
	T_OK(!strncmp(row(&scr, wl), "walk 20 ms  ", 12) && !strstr(row(&scr, wl), "every"),
	     "a 20 ms walk: exactly 4%% of 500 ms, no stretch");
	snapshot(&s, 80LL << 20, 4 << 10);
	hv_model_walked(&m, 0.42, false);
	hv_model_update(&m, &s, 20.0);
	hv_layout(&m, &scr);
	T_OK(!strncmp(row(&scr, wl), "walk 0.4 ms  ", 13), "under a millisecond: 'walk 0.4 ms'");
	snapshot(&s, 80LL << 20, 4 << 10);
	hv_model_walked(&m, 58, true);
	hv_model_update(&m, &s, 21.0);
	hv_layout(&m, &scr);
	T_EQ_INT(m.walk_every_ms, 500, "a walk that read libc's layout: the next at the interval");
	T_EQ_STR(row(&scr, wl),
		 "walk 58 ms (incl. libc's layout, once)                                          ",
		 "and the walk line says why");

	/* the widest figures still fit 80 columns, every field whole */
	snapshot(&s, (int64_t)(999.9 * 1048576), 1);
	s.status.vm_size_bytes = (int64_t)(999.9 * 1073741824.0);
	s.walk.held_back_bytes = s.walk.released_bytes = s.walk.releasable_bytes =
		s.walk.tcache_bytes = s.walk.fastbin_bytes = s.walk.top_bytes =
			s.walk.mmap_threshold = s.walk.trim_threshold = (int64_t)(999.9 * 1048576);
	hv_model_walked(&m, 9999, false);
	hv_model_update(&m, &s, 100.0);
	hv_model_point(&m, 12445.0, (int64_t)(999.9 * 1048576), (int64_t)(999.9 * 1073741824.0));
	hv_layout(&m, &scr);
	T_EQ_STR(row(&scr, 1),
		 "RSS 999.9M  VSZ 999.9G  live 1B  RSS/live > 10^9  arenas 2                      ",
		 "row 1 whole at its widest");
	T_EQ_STR(row(&scr, 2),
		 "held back 999.9M released 999.9M releasable 999.9M tcache 999.9M fastbins 999.9M",
		 "row 2 at its widest: one space apart, every field whole");
	T_OK(!strncmp(row(&scr, 3), "top 999.9M  mmap_threshold 999.9M  trim_threshold 999.9M  ", 58),
	     "row 3 whole at its widest: %s", row(&scr, 3));
	T_EQ_STR(row(&scr, 4),
		 "walk 9999 ms, every 250 s  heap figures 12345 s old                             ",
		 "the walk line at its widest: %s", row(&scr, 4));
	snapshot(&s, 1LL << 30, 1LL << 20);
	s.walk.held_back_bytes = (int64_t)(999.96 * 1048576);
	hv_model_update(&m, &s, 12446.0);
	hv_layout(&m, &scr);
	T_OK(find(&scr, "RSS 1.0G") == 1 && find(&scr, "RSS/live 1.0K x") == 1 &&
		     find(&scr, "held back 1.0G  released") == 2,
	     "from 999.95 on, the next unit; two spaces apart again when they fit");
	/* a default walk samples the chunks in use: live and the ratio say ~ */
	snapshot(&s, 1LL << 30, 1LL << 20);
	s.walk.chunks_estimated = true;
	hv_model_update(&m, &s, 12447.0);
	hv_layout(&m, &scr);
	T_EQ_STR(row(&scr, 1),
		 "RSS 1.0G  VSZ 512.0M  live ~1.0M  RSS/live ~1.0K x  arenas 2                    ",
		 "estimated: '~' before live and the ratio, the row whole at 80 columns");
	hv_model_free(&m);
	hv_screen_free(&scr);
	return t_done();
}
