/*
 * model.c — the live view's state, pure of any terminal: the last snapshot
 * (it owns it), the RSS/live history the sparklines draw, the phase, and
 * what the keys change (pause, zoom, scroll, arena, help), and what the
 * walks cost and how often they may come (the rule: heapview.h,
 * HV_WALK_CPU_PERCENT). live.c feeds it, layout.c draws it.
 *
 * In step mode (teaching) it also keeps one frame per phase, the snapshot
 * that first showed it, so that p can show an earlier phase again and the
 * map can mark what changed since the previous one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapview.h"

#define MAX_ZOOM 24 /* 1 << 24 pages per cell: 64 GiB */

void hv_model_init(hv_model_t *m, pid_t pid, const char *command)
{
	memset(m, 0, sizeof *m);
	m->pid = pid;
	snprintf(m->command, sizeof m->command, "%s", command ? command : "");
	snprintf(m->state, sizeof m->state, "running");
	m->auto_zoom = true;
	m->interval_ms = 500; /* heapview's default; the live view sets its own */
	m->view = -1;
}

double hv_walk_every_ms(double interval_ms, double walk_ms)
{
	double duty = walk_ms * 100.0 / HV_WALK_CPU_PERCENT;
	return duty > interval_ms ? duty : interval_ms;
}

void hv_model_walked(hv_model_t *m, double walk_ms, bool layout_read)
{
	m->walk_ms = walk_ms;
	m->walk_layout = layout_read;
	m->walk_every_ms = layout_read ? (double)m->interval_ms
				       : hv_walk_every_ms((double)m->interval_ms, walk_ms);
}

void hv_model_free(hv_model_t *m)
{
	if (m->have && !m->snap_shared)
		hv_snapshot_free(&m->snap);
	for (size_t i = 0; i < m->nframes; i++)
		hv_snapshot_free(&m->frames[i].snap);
	free(m->frames);
	m->frames = NULL;
	m->nframes = 0;
	m->snap_shared = false;
	free(m->hist);
	m->hist = NULL;
	m->have = false;
}

static void push(hv_model_t *m, hv_point_t p)
{
	if (m->nhist == m->caphist) {
		size_t cap = m->caphist ? m->caphist * 2 : 256;
		hv_point_t *v = realloc(m->hist, cap * sizeof *v);
		if (!v)
			return; /* the sparkline stops growing; nothing else depends on it */
		m->hist = v;
		m->caphist = cap;
	}
	m->hist[m->nhist++] = p;
}

void hv_model_update(hv_model_t *m, hv_snapshot_t *s, double t)
{
	if (m->have && !m->snap_shared)
		hv_snapshot_free(&m->snap);
	m->snap_shared = false;
	m->snap = *s;
	memset(s, 0, sizeof *s);
	m->have = true;
	m->walk_t = t;
	m->walk_age_s = 0;
	if (m->arena >= m->snap.walk.narenas)
		m->arena = 0;
	if (!m->command[0])
		snprintf(m->command, sizeof m->command, "%s", m->snap.status.name);
	push(m, (hv_point_t){t, m->snap.status.vm_rss_bytes,
			     m->snap.walk_valid ? m->snap.walk.live_bytes : -1});
}

void hv_model_point(hv_model_t *m, double t, int64_t rss, int64_t vsz)
{
	int64_t live = m->nhist ? m->hist[m->nhist - 1].live : -1;
	push(m, (hv_point_t){t, rss, live});
	if (m->have) {
		m->snap.status.vm_rss_bytes = rss;
		m->snap.status.vm_size_bytes = vsz;
		m->walk_age_s = t > m->walk_t ? t - m->walk_t : 0;
	}
}

void hv_model_message(hv_model_t *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->message, sizeof m->message, fmt, ap);
	va_end(ap);
}

int hv_model_cell(const hv_model_t *m, const hl_walk_heap_t *h, int64_t cell)
{
	return hl_heapmap_cell(h, m->zoom, cell, hl_procfs_page_size());
}

/* n, p and l: the next phase (or the next kept frame), the previous
 * phase's frame, the lesson panel. */
static hv_action_t step_key(hv_model_t *m, int key)
{
	if (!m->step) {
		hv_model_message(m, "%c: n, p and l are for heapview --experiment EXP --step", key);
		return HV_REDRAW;
	}
	if (key == 'l') {
		m->lesson_on = !m->lesson_on;
		hv_model_message(m, "lesson panel %s", m->lesson_on ? "on" : "off (l shows it)");
		return HV_REDRAW;
	}
	if (key == 'n') {
		if (m->view < 0)
			return HV_NEXT;
		/* forward through the kept frames, then back to the live one */
		m->view = m->view + 1 < (long)m->nframes - 1 ? m->view + 1 : -1;
		hv_model_message(m, m->view < 0 ? "the phase now: n goes on to the next"
						: "an earlier phase: n forward, p back");
		return HV_REDRAW;
	}
	/* p: the live view shows the last frame's phase; before it is the one
	 * before that */
	long at = m->view < 0 ? (long)m->nframes - 1 : m->view;
	if (at <= 0) {
		hv_model_message(m, "p: no earlier phase to show");
		return HV_REDRAW;
	}
	m->view = at - 1;
	m->scroll = 0;
	hv_model_message(m, "phase '%s' as it was: n forward, p back", m->frames[m->view].phase);
	return HV_REDRAW;
}

void hv_model_frame(hv_model_t *m)
{
	if (!m->have || m->snap_shared)
		return;
	hv_frame_t *v = realloc(m->frames, (m->nframes + 1) * sizeof *v);
	if (!v)
		return; /* this phase cannot be shown again; nothing else depends on it */
	m->frames = v;
	hv_frame_t *f = &m->frames[m->nframes++];
	memset(f, 0, sizeof *f);
	snprintf(f->phase, sizeof f->phase, "%s", m->phase);
	f->index = m->nphases;
	f->snap = m->snap; /* the frame owns it; snap shares it until the next walk */
	m->snap_shared = true;
}

const hv_snapshot_t *hv_model_shown(const hv_model_t *m)
{
	if (m->view >= 0 && (size_t)m->view < m->nframes)
		return &m->frames[m->view].snap;
	return &m->snap;
}

/* The frame the shown snapshot belongs to, -1 none. */
static long shown_frame(const hv_model_t *m)
{
	if (m->view >= 0 && (size_t)m->view < m->nframes)
		return m->view;
	if (m->nframes && !strcmp(m->frames[m->nframes - 1].phase, m->phase))
		return (long)m->nframes - 1;
	return -1;
}

const char *hv_model_shown_phase(const hv_model_t *m, int *index)
{
	long f = shown_frame(m);
	if (index)
		*index = f >= 0 ? m->frames[f].index : m->nphases;
	return f >= 0 ? m->frames[f].phase : m->phase;
}

const hv_snapshot_t *hv_model_prev(const hv_model_t *m, const char **phase)
{
	long f = shown_frame(m);
	if (!m->step || f <= 0)
		return NULL;
	if (phase)
		*phase = m->frames[f - 1].phase;
	return &m->frames[f - 1].snap;
}

bool hv_model_changed(const hv_model_t *m, const hl_walk_heap_t *h, int64_t cell)
{
	const hv_snapshot_t *prev = hv_model_prev(m, NULL);
	if (!prev || !prev->walk_valid)
		return false;
	int now = hl_heapmap_cell(h, m->zoom, cell, hl_procfs_page_size());
	if (now < 0)
		return false;
	uint64_t lo = h->start + ((uint64_t)cell << m->zoom) * (uint64_t)hl_procfs_page_size();
	return hl_heapmap_class_at(&prev->walk, lo, m->zoom, hl_procfs_page_size()) != now;
}

static void snap_figs(const hv_snapshot_t *s, hl_lesson_figs_t *f, bool prev)
{
	const hl_walk_t *w = &s->walk;
	int64_t rss = s->status.vm_rss_bytes;
	int64_t live = s->walk_valid ? w->live_bytes : HL_UNKNOWN;
	int64_t held = s->walk_valid ? w->held_back_bytes : HL_UNKNOWN;
	int64_t rel = s->walk_valid ? w->released_bytes : HL_UNKNOWN;
	if (prev) {
		f->prev_rss = rss;
		f->prev_live = live;
		f->prev_held_back = held;
		f->prev_released = rel;
		return;
	}
	f->rss = rss;
	f->vsz = s->status.vm_size_bytes;
	f->live = live;
	f->held_back = held;
	f->released = rel;
	if (!s->walk_valid)
		return;
	f->live_estimated = w->chunks_estimated;
	f->releasable = w->releasable_bytes;
	f->top = w->top_bytes;
	f->tcache = w->tcache_bytes;
	f->fastbins = w->fastbin_bytes;
	f->arenas = (int64_t)w->narenas;
	if (s->npins) {
		f->have_pin = true;
		f->pin_addr = s->pins[0].first;
		f->pin_bytes = s->pins[0].bytes;
	}
}

void hv_model_lesson_figs(const hv_model_t *m, hl_lesson_figs_t *f)
{
	hl_lesson_figs_init(f);
	const char *pp = NULL;
	const hv_snapshot_t *prev = hv_model_prev(m, &pp);
	if (m->have)
		snap_figs(hv_model_shown(m), f, false);
	if (prev) {
		snap_figs(prev, f, true);
		snprintf(f->prev_phase, sizeof f->prev_phase, "%s", pp);
		/* a sampled walk's live bytes on either side make the change one too */
		f->live_estimated = f->live_estimated || prev->walk.chunks_estimated;
	}
	if (m->lesson) {
		f->params = m->lesson->params;
		f->nparams = m->lesson->nparams;
	}
}

hv_action_t hv_model_key(hv_model_t *m, int key)
{
	int page = m->map_rows > 1 ? m->map_rows - 1 : 1;
	if (m->help && key != '?' && key != 'q' && key != 'Q') {
		m->help = false; /* any key closes the help */
		return HV_REDRAW;
	}
	switch (key) {
	case 'q':
	case 'Q':
		return HV_QUIT;
	case ' ':
		m->paused = !m->paused;
		hv_model_message(m, m->paused ? "paused: space resumes" : "resumed");
		return HV_REDRAW;
	case '+':
	case '=':
		m->auto_zoom = false;
		if (m->zoom > 0)
			m->zoom--;
		m->scroll = 0;
		hv_model_message(m, "zoom: %lld page%s per cell", 1LL << m->zoom,
				 m->zoom ? "s" : "");
		return HV_REDRAW;
	case '-':
	case '_':
		m->auto_zoom = false;
		if (m->zoom < MAX_ZOOM)
			m->zoom++;
		m->scroll = 0;
		hv_model_message(m, "zoom: %lld pages per cell", 1LL << m->zoom);
		return HV_REDRAW;
	case '0':
		m->auto_zoom = true;
		m->scroll = 0;
		hv_model_message(m, "zoom: fit the arena");
		return HV_REDRAW;
	case HV_KEY_UP:
	case 'k':
		m->scroll = m->scroll > 0 ? m->scroll - 1 : 0;
		return HV_REDRAW;
	case HV_KEY_DOWN:
	case 'j':
		m->scroll++; /* the layout clamps it */
		return HV_REDRAW;
	case HV_KEY_PGUP:
		m->scroll = m->scroll > page ? m->scroll - page : 0;
		return HV_REDRAW;
	case HV_KEY_PGDN:
		m->scroll += page;
		return HV_REDRAW;
	case HV_KEY_HOME:
		m->scroll = 0;
		return HV_REDRAW;
	case HV_KEY_END:
		m->scroll = INT32_MAX;
		return HV_REDRAW;
	case 'a':
	case '\t': {
		size_t n = m->have ? m->snap.walk.narenas : 0;
		m->arena = n ? (m->arena + 1) % n : 0;
		m->scroll = 0;
		hv_model_message(m, "arena %zu of %zu", m->arena + 1, n ? n : 1);
		return HV_REDRAW;
	}
	case 'n':
	case 'p':
	case 'l':
		return step_key(m, key);
	case 's':
		return HV_SAVE;
	case 't':
		return HV_TRIM;
	case '?':
	case 'h':
		m->help = !m->help;
		return HV_REDRAW;
	default:
		return HV_NONE;
	}
}

bool hv_model_pin_at(const hv_model_t *m, size_t arena, uint64_t lo, uint64_t hi)
{
	if (!m->have)
		return false;
	const hv_snapshot_t *s = hv_model_shown(m);
	for (size_t i = 0; i < s->npins; i++) {
		const hl_heap_pin_t *p = &s->pins[i];
		uint64_t a = p->first, b = p->first + (uint64_t)p->bytes;
		if (p->arena == arena && a < hi && lo < b)
			return true;
	}
	return false;
}
