/*
 * model.c — the live view's state, pure of any terminal: the last snapshot
 * (it owns it), the RSS/live history the sparklines draw, the phase, and
 * what the keys change (pause, zoom, scroll, arena, help), and what the
 * walks cost and how often they may come (the rule: heapview.h,
 * HV_WALK_CPU_PERCENT). live.c feeds it, layout.c draws it.
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
	if (m->have)
		hv_snapshot_free(&m->snap);
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
	if (m->have)
		hv_snapshot_free(&m->snap);
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
	for (size_t i = 0; i < m->snap.npins; i++) {
		const hl_heap_pin_t *p = &m->snap.pins[i];
		uint64_t a = p->first, b = p->first + (uint64_t)p->bytes;
		if (p->arena == arena && a < hi && lo < b)
			return true;
	}
	return false;
}
