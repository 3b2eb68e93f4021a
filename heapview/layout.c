/*
 * layout.c — the live view as a grid of glyphs and styles, from the model
 * alone (render.c draws the grid and knows nothing else). From the top:
 *
 *   title      heapview, pid, command, phase (k/N in step mode),
 *              running/paused/exited, or waiting for n
 *   figures    RSS, VSZ, live, fragmentation, arenas
 *              held back, released, releasable, tcache, fastbins
 *              top, thresholds
 *              the last walk's cost, the walks' interval when the cost
 *              rule stretches it, the figures' age when older than the
 *              interval
 *   maps       the address space, one glyph per run of regions by class
 *   history    RSS and live since the start, on one scale
 *   changes    (step mode) RSS, live, held back and released since the
 *              previous phase
 *   map        the shown arena's heaps, one cell per 2^zoom pages, each row
 *              led by the address of its first page; in step mode the cells
 *              whose class changed since the previous phase are marked
 *   lesson     (step mode, l) the experiment's lines for the phase shown,
 *              filled with its figures
 *   legend     the glyphs
 *   status     the news, or the keys
 *
 * Glyphs alone tell every class apart (no colour needed); styles add colour
 * where there is some. The screen shows the model's shown snapshot: the
 * live one, or the frame of an earlier phase (p). Every figure has a bounded width (a size at most 6
 * characters, a ratio at most 7, a duration at most 7) so that the figure
 * rows fit 80 columns whatever the numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapview.h"

#define ADDR_W 13 /* "7f12a4c00000 " */

int hv_screen_resize(hv_screen_t *s, int rows, int cols)
{
	if (rows < 1)
		rows = 1;
	if (cols < 1)
		cols = 1;
	hv_cell_t *c = realloc(s->cell, (size_t)rows * (size_t)cols * sizeof *c);
	if (!c)
		return -1;
	s->cell = c;
	s->rows = rows;
	s->cols = cols;
	return 0;
}

void hv_screen_free(hv_screen_t *s)
{
	free(s->cell);
	s->cell = NULL;
	s->rows = s->cols = 0;
}

void hv_screen_row(const hv_screen_t *s, int r, char *buf)
{
	int n = 0;
	if (r >= 0 && r < s->rows)
		for (; n < s->cols; n++)
			buf[n] = s->cell[r * s->cols + n].ch;
	buf[n] = '\0';
}

static void put(hv_screen_t *s, int r, int c, const char *text, int st)
{
	if (r < 0 || r >= s->rows)
		return;
	for (; *text && c < s->cols; text++, c++)
		if (c >= 0) {
			unsigned char ch = (unsigned char)*text;
			s->cell[r * s->cols + c] = (hv_cell_t){ch >= 32 && ch < 127 ? (char)ch : '?',
							       (uint8_t)st, 0};
		}
}

static void putf(hv_screen_t *s, int r, int c, int st, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void putf(hv_screen_t *s, int r, int c, int st, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	put(s, r, c, buf, st);
}

static void clear(hv_screen_t *s)
{
	for (int i = 0; i < s->rows * s->cols; i++)
		s->cell[i] = (hv_cell_t){' ', HV_ST_NORMAL, 0};
}

char hv_page_glyph(hl_page_class_t c)
{
	static const char g[HL_NPAGE_CLASSES] = {'#', 'o', '.', '=', '_'};
	return (unsigned)c < HL_NPAGE_CLASSES ? g[c] : '?';
}

static const char region_glyph[HL_REGION_NCLASSES] = {'H', 'A', 'M', 'a', 'S', 'f', '*'};

/* "1.5M"-style sizes for the dense lines (binary units), at most 6
 * characters: the next unit from 999.95 on ("999.9M", then "1.0G"). */
static const char *sz(int64_t b, char *out, size_t n)
{
	static const char unit[] = "BKMGTPE";
	if (b < 0) {
		snprintf(out, n, "?");
		return out;
	}
	double v = (double)b;
	int u = 0;
	while (v >= 999.95 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, n, "%lldB", (long long)b);
	else
		snprintf(out, n, "%.1f%c", v, unit[u]);
	return out;
}

/* A duration in at most 7 characters: "0.4 ms", "812 ms" (below 10 s when
 * ms_up_to_10s, else below 1 s), "29.7 s", "200 s". */
static const char *dur(double ms, bool ms_up_to_10s, char *out, size_t n)
{
	if (ms < 0.95)
		snprintf(out, n, "%.1f ms", ms < 0 ? 0 : ms);
	else if (ms < (ms_up_to_10s ? 9999.5 : 999.5))
		snprintf(out, n, "%.0f ms", ms);
	else if (ms < 99950)
		snprintf(out, n, "%.1f s", ms / 1e3);
	else
		snprintf(out, n, "%.0f s", ms / 1e3);
	return out;
}

/* Fields on row r, two spaces apart, or one when two would not fit. */
typedef struct field {
	char text[48];
	int st;
} field_t;

static void fields(hv_screen_t *s, int r, const field_t *f, int n)
{
	int len = 0;
	for (int i = 0; i < n; i++)
		len += (int)strlen(f[i].text);
	int gap = len + 2 * (n - 1) <= s->cols ? 2 : 1;
	for (int i = 0, c = 0; i < n; c += (int)strlen(f[i].text) + gap, i++)
		put(s, r, c, f[i].text, f[i].st);
}

/* A signed change of bytes, at most 7 characters: "+1.0G", "-78.1M", "+0B";
 * "?" when either side is unknown. */
static const char *dsz(int64_t now, int64_t before, char *out, size_t n)
{
	char b[32];
	if (now < 0 || before < 0) {
		snprintf(out, n, "?");
		return out;
	}
	int64_t d = now - before;
	snprintf(out, n, "%s%s", d < 0 ? "-" : "+", sz(d < 0 ? -d : d, b, sizeof b));
	return out;
}

/* Step mode: what changed since the previous phase. */
static int changes(hv_model_t *m, hv_screen_t *s, int r)
{
	const char *pp = NULL;
	const hv_snapshot_t *prev = hv_model_prev(m, &pp), *cur = hv_model_shown(m);
	if (!prev || !cur->walk_valid || !prev->walk_valid) {
		put(s, r, 0, m->nframes ? "changes: none to show (the first phase, or no walk)"
					: "changes: shown from the second phase on",
		    HV_ST_DIM);
		return r + 1;
	}
	const hl_walk_t *a = &cur->walk, *b = &prev->walk;
	char x[32];
	field_t f[5];
	snprintf(f[1].text, sizeof f[1].text, "RSS %s",
		 dsz(cur->status.vm_rss_bytes, prev->status.vm_rss_bytes, x, sizeof x));
	snprintf(f[2].text, sizeof f[2].text, "live %s%s",
		 a->chunks_estimated || b->chunks_estimated ? "~" : "",
		 dsz(a->live_bytes, b->live_bytes, x, sizeof x));
	snprintf(f[3].text, sizeof f[3].text, "held back %s",
		 dsz(a->held_back_bytes, b->held_back_bytes, x, sizeof x));
	snprintf(f[4].text, sizeof f[4].text, "released %s",
		 dsz(a->released_bytes, b->released_bytes, x, sizeof x));
	for (int i = 1; i < 5; i++)
		f[i].st = HV_ST_NORMAL;
	/* the figures whole: a long phase name is cut ("since producer_e..:") */
	int rest = 4;
	for (int i = 1; i < 5; i++)
		rest += (int)strlen(f[i].text);
	int room = s->cols - rest - 8, len = (int)strlen(pp);
	if (room < 3)
		room = 3;
	if (len > room)
		snprintf(f[0].text, sizeof f[0].text, "since %.*s..:", room - 2, pp);
	else
		snprintf(f[0].text, sizeof f[0].text, "since %s:", pp);
	f[0].st = HV_ST_TITLE;
	f[3].st = HV_ST_FREE_HELD;
	f[4].st = HV_ST_FREE_RELEASED;
	fields(s, r, f, 5);
	return r + 1;
}

/* Text in rows of at most width columns, broken between words, from row r
 * (drawn only when s is given); returns the rows it takes, at most max
 * (the last one ends in "..." when the text goes on). */
static int wrap(hv_screen_t *s, int r, int x, int width, int max, const char *text, int st)
{
	int rows = 0;
	const char *p = text;
	while (*p && rows < max) {
		int n = (int)strlen(p);
		if (n > width) {
			n = width;
			/* not between a number and its unit ("1.9 MiB") */
			while (n > 0 && (p[n] != ' ' || (p[n - 1] >= '0' && p[n - 1] <= '9' &&
							 p[n + 1] >= 'A' && p[n + 1] <= 'Z')))
				n--;
			if (n == 0)
				n = width;
		}
		char line[512];
		snprintf(line, sizeof line, "%.*s", n, p);
		p += n;
		while (*p == ' ')
			p++;
		if (*p && rows + 1 == max && n > 3 && n + 3 > width)
			snprintf(line + n - 3, sizeof line - (size_t)n + 3, "...");
		else if (*p && rows + 1 == max)
			snprintf(line + n, sizeof line - (size_t)n, "...");
		if (s)
			put(s, r + rows, x, line, st);
		rows++;
	}
	return rows;
}

#define LESSON_LINES 6

/* The lesson's lines for the shown phase, filled with its figures. */
static size_t lesson_lines(const hv_model_t *m, char (*out)[HL_LESSON_TEXT])
{
	const char *phase = hv_model_shown_phase(m, NULL);
	if (!m->lesson || !phase[0] || !m->have)
		return 0;
	hl_lesson_figs_t f;
	hv_model_lesson_figs(m, &f);
	return hl_lesson_lines(m->lesson, phase, &f, out, LESSON_LINES);
}

/* The cells of the shown arena that changed since the previous phase. */
static int64_t changed_cells(const hv_model_t *m)
{
	const hl_walk_t *wk = &hv_model_shown(m)->walk;
	int64_t n = 0, ps = hl_procfs_page_size();
	if (!hv_model_prev(m, NULL))
		return 0;
	for (size_t i = 0; i < wk->nheaps; i++) {
		const hl_walk_heap_t *h = &wk->heaps[i];
		if (h->arena != m->arena)
			continue;
		int64_t cells = ((int64_t)(h->end - h->start) / ps + ((int64_t)1 << m->zoom) - 1) >>
				m->zoom;
		for (int64_t c = 0; c < cells; c++)
			n += hv_model_changed(m, h, c);
	}
	return n;
}

/* The rows the lesson panel wants: a head line and its wrapped lines. */
static int lesson_rows(const hv_model_t *m, const hv_screen_t *s, int max)
{
	char lines[LESSON_LINES][HL_LESSON_TEXT];
	size_t n = lesson_lines(m, lines);
	int rows = 1;
	for (size_t i = 0; i < n && rows < max; i++)
		rows += wrap(NULL, 0, 2, s->cols - 2, max - rows, lines[i], 0);
	return rows;
}

static void lesson_panel(hv_model_t *m, hv_screen_t *s, int r, int rows)
{
	char lines[LESSON_LINES][HL_LESSON_TEXT];
	size_t n = lesson_lines(m, lines);
	int k;
	const char *phase = hv_model_shown_phase(m, &k);
	const char *pp = NULL;
	if (!phase[0]) {
		putf(s, r, 0, HV_ST_TITLE, "lesson: the experiment has not reached a phase yet");
		return;
	}
	if (hv_model_prev(m, &pp)) {
		char head[256];
		int n0 = snprintf(head, sizeof head, "lesson at %s: %lld cells changed since %s", phase,
				  (long long)changed_cells(m), pp);
		/* the count whole; how they are drawn where it fits */
		if (n0 + 11 < s->cols)
			snprintf(head + n0, sizeof head - (size_t)n0, " (reversed)");
		put(s, r, 0, head, HV_ST_TITLE);
	}
	else
		putf(s, r, 0, HV_ST_TITLE, "lesson at %s%s", phase,
		     n ? "" : ": no lines for this phase (heaplab explain)");
	int y = r + 1;
	for (size_t i = 0; i < n && y < r + rows; i++)
		y += wrap(s, y, 2, s->cols - 2, r + rows - y, lines[i], HV_ST_NORMAL);
}

/* The title's right side: the phase (k/N in step mode) and the state. */
static void title_state(const hv_model_t *m, char *out, size_t n)
{
	int k;
	const char *ph = hv_model_shown_phase(m, &k);
	const char *state = m->paused ? "paused" : m->state;
	if (!m->step || !ph[0]) {
		snprintf(out, n, "%s%s  %s", m->phase[0] ? "phase " : "", m->phase, state);
		return;
	}
	char of[16] = "?";
	if (m->phases_declared)
		snprintf(of, sizeof of, "%d", m->phases_declared);
	if (m->view >= 0)
		state = "earlier phase";
	else if (!m->exited && !m->paused && m->waiting)
		state = "waiting: n for next";
	snprintf(out, n, "phase %s (%d/%s)  %s", ph, k, of, state);
}

/* The walk line: "walk 12 ms", or "walk 1188 ms, every 29.7 s" when the
 * cost rule stretches the walks' interval (or "walk 60 ms (incl. libc's
 * layout, once)" for the walk that read it), then "heap figures 30.0 s old"
 * when the walk is older than the interval. */
static void walk_line(const hv_model_t *m, hv_screen_t *s, int r)
{
	char a[32], b[32], line[96];
	int n = snprintf(line, sizeof line, "walk %s", dur(m->walk_ms, true, a, sizeof a));
	if (m->walk_layout)
		snprintf(line + n, sizeof line - (size_t)n, " (incl. libc's layout, once)");
	else if (m->walk_every_ms > (double)m->interval_ms)
		snprintf(line + n, sizeof line - (size_t)n, ", every %s",
			 dur(m->walk_every_ms, false, b, sizeof b));
	put(s, r, 0, line, HV_ST_NORMAL);
	if (m->walk_age_s * 1e3 > (double)m->interval_ms)
		putf(s, r, (int)strlen(line) + 2, HV_ST_DIM, "heap figures %s old",
		     dur(m->walk_age_s * 1e3, false, a, sizeof a));
}

static int figures(hv_model_t *m, hv_screen_t *s, int r)
{
	const hv_snapshot_t *p = hv_model_shown(m);
	const hl_walk_t *w = &p->walk;
	char a[32], b[32], c[32], d[32];
	if (!p->walk_valid) {
		putf(s, r, 0, HV_ST_NORMAL, "RSS %s  VSZ %s", sz(p->status.vm_rss_bytes, a, sizeof a),
		     sz(p->status.vm_size_bytes, b, sizeof b));
		putf(s, r + 1, 0, HV_ST_WARN, "heap not walked: %s", p->walk_error);
		putf(s, r + 2, 0, HV_ST_DIM, "only the maps-level view below");
		walk_line(m, s, r + 3);
		return r + 4;
	}
	field_t f[5];
	snprintf(f[0].text, sizeof f[0].text, "RSS %s", sz(p->status.vm_rss_bytes, a, sizeof a));
	snprintf(f[1].text, sizeof f[1].text, "VSZ %s", sz(p->status.vm_size_bytes, a, sizeof a));
	/* ~: an estimate to 8 bytes a chunk, the in-use chunks being sampled */
	snprintf(f[2].text, sizeof f[2].text, "live %s%s", w->chunks_estimated ? "~" : "",
		 sz(w->live_bytes, a, sizeof a));
	double fr = hl_figures_frag_ratio(p->status.vm_rss_bytes, w->live_bytes);
	hl_units_ratio(fr, a, sizeof a);
	snprintf(f[3].text, sizeof f[3].text, "RSS/live %s%s",
		 w->chunks_estimated && fr >= 0 && a[0] != '>' ? "~" : "", a);
	snprintf(f[4].text, sizeof f[4].text, "arenas %zu", w->narenas);
	for (int i = 0; i < 5; i++)
		f[i].st = HV_ST_NORMAL;
	fields(s, r, f, 5);
	snprintf(f[0].text, sizeof f[0].text, "held back %s", sz(w->held_back_bytes, a, sizeof a));
	f[0].st = HV_ST_FREE_HELD;
	snprintf(f[1].text, sizeof f[1].text, "released %s", sz(w->released_bytes, a, sizeof a));
	f[1].st = HV_ST_FREE_RELEASED;
	snprintf(f[2].text, sizeof f[2].text, "releasable %s", sz(w->releasable_bytes, a, sizeof a));
	snprintf(f[3].text, sizeof f[3].text, "tcache %s", sz(w->tcache_bytes, a, sizeof a));
	snprintf(f[4].text, sizeof f[4].text, "fastbins %s", sz(w->fastbin_bytes, a, sizeof a));
	fields(s, r + 1, f, 5);
	putf(s, r + 2, 0, w->complete ? HV_ST_DIM : HV_ST_WARN,
	     "top %s  mmap_threshold %s  trim_threshold %s%s%s", sz(w->top_bytes, b, sizeof b),
	     sz(w->mmap_threshold, c, sizeof c), sz(w->trim_threshold, d, sizeof d),
	     w->complete ? "" : "  incomplete: ", w->complete ? "" : w->warning);
	walk_line(m, s, r + 3);
	return r + 4;
}

/* The address space: runs of regions of one class in address order, each
 * one cell plus its share of the mapped bytes in the cells left over. */
static int strip(hv_model_t *m, hv_screen_t *s, int r)
{
	const hl_regions_t *g = &hv_model_shown(m)->regions;
	put(s, r, 0, "maps", HV_ST_TITLE);
	int x0 = 5, width = s->cols - x0;
	uint64_t total = 0;
	for (size_t i = 0; i < g->n; i++)
		total += g->v[i].end - g->v[i].start;
	int runs = 0;
	for (size_t i = 0; i < g->n; i++)
		runs += !i || g->v[i].cls != g->v[i - 1].cls;
	int spare = width > runs ? width - runs : 0;
	int x = x0;
	for (size_t i = 0; i < g->n && x < s->cols;) {
		int cls = (int)g->v[i].cls;
		uint64_t bytes = 0;
		size_t j = i;
		for (; j < g->n && (int)g->v[j].cls == cls; j++)
			bytes += g->v[j].end - g->v[j].start;
		int cells = 1 + (total ? (int)((double)bytes / (double)total * spare) : 0);
		char glyph[2] = {cls >= 0 && cls < HL_REGION_NCLASSES ? region_glyph[cls] : '?', 0};
		for (int k = 0; k < cells && x < s->cols; k++, x++)
			put(s, r, x, glyph, HV_ST_REGION + cls);
		i = j;
	}
	if (x >= s->cols)
		put(s, r, s->cols - 1, ">", HV_ST_DIM);
	put(s, r + 1, x0, "H brk heap  A arena heap  M mmapped chunk  S stack  f file  a anon  * other",
	    HV_ST_DIM);
	return r + 2;
}

static const char ramp[] = " _.-=+*#@"; /* 9 heights */

/* 0 for nothing (or unknown), else 1..8: anything above zero shows */
static int level(int64_t v, int64_t max)
{
	if (v <= 0)
		return 0;
	int64_t l = (v * 8 + max / 2) / max;
	return l < 1 ? 1 : l > 8 ? 8 : (int)l;
}

/* RSS and live since the start: each column the highest of its share of
 * the history; both on RSS's scale, so the gap between them is visible. */
static int sparks(hv_model_t *m, hv_screen_t *s, int r)
{
	int x0 = 6, width = s->cols - x0 - 11;
	if (width < 8)
		return r + 2;
	int64_t max = 1;
	for (size_t i = 0; i < m->nhist; i++) {
		if (m->hist[i].rss > max)
			max = m->hist[i].rss;
		if (m->hist[i].live > max)
			max = m->hist[i].live;
	}
	put(s, r, 0, "RSS", HV_ST_RSS);
	put(s, r + 1, 0, "live", HV_ST_LIVE);
	size_t n = m->nhist;
	int cols = n < (size_t)width ? (int)n : width;
	for (int c = 0; c < cols; c++) {
		size_t from = (size_t)c * n / (size_t)cols, to = (size_t)(c + 1) * n / (size_t)cols;
		int64_t rss = -1, live = -1;
		for (size_t i = from; i < to; i++) {
			if (m->hist[i].rss > rss)
				rss = m->hist[i].rss;
			if (m->hist[i].live > live)
				live = m->hist[i].live;
		}
		char g[2] = {0, 0};
		g[0] = ramp[level(rss, max)];
		put(s, r, x0 + c, g, HV_ST_RSS);
		g[0] = ramp[level(live, max)];
		put(s, r + 1, x0 + c, g, HV_ST_LIVE);
	}
	char a[32];
	if (n) {
		putf(s, r, s->cols - 10, HV_ST_RSS, "%10s", sz(m->hist[n - 1].rss, a, sizeof a));
		putf(s, r + 1, s->cols - 10, HV_ST_LIVE, "%10s", sz(m->hist[n - 1].live, a, sizeof a));
	}
	return r + 2;
}

/* Rows the arena's heaps take at the current zoom, cells per row w. */
static int64_t map_rows(const hv_model_t *m, int w, int zoom)
{
	const hl_walk_t *wk = &hv_model_shown(m)->walk;
	int64_t ps = hl_procfs_page_size(), rows = 0;
	for (size_t i = 0; i < wk->nheaps; i++) {
		if (wk->heaps[i].arena != m->arena)
			continue;
		int64_t pages = (int64_t)(wk->heaps[i].end - wk->heaps[i].start) / ps;
		int64_t cells = (pages + ((int64_t)1 << zoom) - 1) >> zoom;
		rows += (cells + w - 1) / w;
	}
	return rows;
}

static void map(hv_model_t *m, hv_screen_t *s, int r, int rows)
{
	const hl_walk_t *wk = &hv_model_shown(m)->walk;
	int w = s->cols - ADDR_W;
	if (m->auto_zoom) {
		m->zoom = 0;
		while (m->zoom < 24 && map_rows(m, w, m->zoom) > rows)
			m->zoom++;
	}
	int64_t total = map_rows(m, w, m->zoom);
	if (m->scroll > total - rows)
		m->scroll = total - rows > 0 ? total - rows : 0;
	m->map_rows = rows;
	const hl_walk_arena_t *a = m->arena < wk->narenas ? &wk->arenas[m->arena] : NULL;
	char sys[32], per[48];
	int64_t ps = hl_procfs_page_size();
	sz(((int64_t)1 << m->zoom) * ps, per, sizeof per);
	putf(s, r, 0, HV_ST_TITLE, "arena %zu/%zu%s  %s  %d heap%s  cell %lld page%s (%s)  rows %lld-%lld/%lld",
	     m->arena + 1, wk->narenas, a && a->main ? " main" : "",
	     a ? sz(a->system_bytes, sys, sizeof sys) : "", a ? a->nheaps : 0,
	     a && a->nheaps == 1 ? "" : "s", 1LL << m->zoom, m->zoom ? "s" : "", per,
	     (long long)(total ? m->scroll + 1 : 0),
	     (long long)(m->scroll + rows < total ? m->scroll + rows : total), (long long)total);
	int64_t row = 0; /* rows of the map so far */
	for (size_t i = 0; i < wk->nheaps; i++) {
		const hl_walk_heap_t *h = &wk->heaps[i];
		if (h->arena != m->arena)
			continue;
		int64_t pages = (int64_t)(h->end - h->start) / ps;
		int64_t cells = (pages + ((int64_t)1 << m->zoom) - 1) >> m->zoom;
		for (int64_t c0 = 0; c0 < cells; c0 += w, row++) {
			int y = (int)(row - m->scroll) + r + 1;
			if (row < m->scroll)
				continue;
			if (y > r + rows)
				return;
			uint64_t addr = h->start + (uint64_t)(c0 << m->zoom) * (uint64_t)ps;
			putf(s, y, 0, HV_ST_DIM, "%12llx", (unsigned long long)addr);
			for (int64_t c = c0; c < cells && c < c0 + w; c++) {
				int cls = hv_model_cell(m, h, c);
				char g[2] = {cls < 0 ? ' ' : hv_page_glyph((hl_page_class_t)cls), 0};
				uint64_t lo = h->start + (uint64_t)(c << m->zoom) * (uint64_t)ps,
					 hi = lo + ((uint64_t)1 << m->zoom) * (uint64_t)ps;
				if (hv_model_pin_at(m, m->arena, lo, hi)) {
					put(s, y, ADDR_W + (int)(c - c0), "P", HV_ST_PIN);
					continue;
				}
				put(s, y, ADDR_W + (int)(c - c0), g,
				    cls < 0 ? HV_ST_NORMAL : HV_ST_USED + cls);
				if (hv_model_changed(m, h, c))
					s->cell[y * s->cols + ADDR_W + (int)(c - c0)].mark = 1;
			}
		}
	}
}

static void legend(hv_screen_t *s, int r)
{
	static const char *const what[HL_NPAGE_CLASSES] = {"used", "free, held back",
							   "free, released", "top, held back",
							   "top, released"};
	/* two spaces between entries where they fit, one where not (80 columns) */
	int len = 5; /* "P pin" */
	for (int c = 0; c < HL_NPAGE_CLASSES; c++)
		len += 2 + (int)strlen(what[c]) + 2;
	int gap = len <= s->cols ? 2 : 1, x = 0;
	for (int c = 0; c < HL_NPAGE_CLASSES; c++) {
		char g[2] = {hv_page_glyph((hl_page_class_t)c), 0};
		put(s, r, x, g, HV_ST_USED + c);
		putf(s, r, x + 2, HV_ST_NORMAL, "%s", what[c]);
		x += 2 + (int)strlen(what[c]) + gap;
	}
	put(s, r, x, "P", HV_ST_PIN);
	putf(s, r, x + 2, HV_ST_NORMAL, "pin");
}

static void help(hv_screen_t *s, int r0)
{
	static const char *const lines[] = {
		"heapview keys",
		"",
		"q          quit (the target keeps running unless heapview started it)",
		"space      pause / resume the refresh",
		"+ / -      zoom in / out (pages per cell); 0 fits the arena",
		"up/down    scroll the map a row; PgUp/PgDn a screen; Home/End",
		"a / tab    the next arena",
		"s          save the snapshot (JSON + PNG heap map) into results/",
		"t          malloc_trim(0) in the target (needs heapview's trim agent)",
		"n / p / l  --step: next phase, the previous phase's frame, the lesson",
		"?          this help; any key closes it",
		"",
		"held back = free but resident; released = free and given back to the kernel",
	};
	int n = (int)(sizeof lines / sizeof lines[0]), w = 76;
	int x = (s->cols - w) / 2;
	for (int i = -1; i <= n; i++) {
		int y = r0 + i + 1;
		for (int c = 0; c < w; c++)
			put(s, y, x + c, " ", HV_ST_NORMAL);
		if (i == -1 || i == n) {
			for (int c = 0; c < w; c++)
				put(s, y, x + c, "-", HV_ST_DIM);
		} else {
			put(s, y, x, "|", HV_ST_DIM);
			put(s, y, x + w - 1, "|", HV_ST_DIM);
			put(s, y, x + 2, lines[i], i == 0 ? HV_ST_TITLE : HV_ST_NORMAL);
		}
	}
}

void hv_layout(hv_model_t *m, hv_screen_t *s)
{
	clear(s);
	if (s->cols < HV_MIN_COLS || s->rows < HV_MIN_ROWS) {
		char msg[128];
		snprintf(msg, sizeof msg, "terminal too small: %dx%d, heapview needs %dx%d (q quits)",
			 s->cols, s->rows, HV_MIN_COLS, HV_MIN_ROWS);
		int len = (int)strlen(msg);
		put(s, s->rows / 2, len < s->cols ? (s->cols - len) / 2 : 0, msg, HV_ST_WARN);
		return;
	}
	putf(s, 0, 0, HV_ST_TITLE, "heapview  pid %d  %s", (int)m->pid, m->command);
	char right[200];
	title_state(m, right, sizeof right);
	int rl = (int)strlen(right);
	/* the state wins over the command where both do not fit */
	for (int c = s->cols - rl - 1; c >= 0 && c < s->cols; c++)
		put(s, 0, c, " ", HV_ST_TITLE);
	put(s, 0, s->cols - rl > 0 ? s->cols - rl : 0, right,
	    m->exited ? HV_ST_WARN : HV_ST_TITLE);
	if (!m->have) {
		put(s, 2, 0, "waiting for the first snapshot...", HV_ST_DIM);
		put(s, s->rows - 1, 0, m->message, HV_ST_WARN);
		return;
	}
	int r = figures(m, s, 1);
	if (m->step)
		r = changes(m, s, r);
	r = strip(m, s, r);
	r = sparks(m, s, r);
	int rows = s->rows - 2 - r - 1; /* title row of the map, legend, status */
	/* the lesson panel takes what the map can spare above 3 rows */
	int panel = m->step && m->lesson_on && rows > 4 ? lesson_rows(m, s, rows - 3) : 0;
	rows -= panel;
	if (hv_model_shown(m)->walk_valid)
		map(m, s, r, rows);
	if (panel)
		lesson_panel(m, s, s->rows - 2 - panel, panel);
	legend(s, s->rows - 2);
	if (m->message[0])
		put(s, s->rows - 1, 0, m->message, HV_ST_WARN);
	else
		put(s, s->rows - 1, 0,
		    m->step ? "n next  p prev  l lesson  q quit  space pause  +/- zoom  s save  t trim  ? help"
			    : "q quit  space pause  +/- zoom  arrows scroll  a arena  s save  t trim  ? help",
		    HV_ST_DIM);
	if (m->help)
		help(s, 3);
}
