/*
 * report.c — the text of `heaplab report DIR`: report.html, one page that
 * needs nothing but itself (styles and SVG charts inline, no script, no
 * address outside it), and report.md, its Markdown twin with the PNGs
 * beside it. A run gets what ran and on what, the verdict, the phase
 * table, the timeline, the RSS breakdown per phase, a heap map per walked
 * phase and recommendations with the bytes at stake; a sweep its
 * configurations side by side; a diagnosis its parts, arenas, watch and its
 * own recommendations word for word. Whatever the directory lacks is said
 * in the report, not guessed.
 *
 * The harness (harness/cmd_report.c) reads the files into hl_report_t and
 * draws the PNGs; nothing here touches a file, so every part can be fed a
 * fixture. docs/report.md describes the result.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "heaplab.h"

#define MIB (1024 * 1024)
/* below this a figure is not worth a recommendation */
#define ADVICE_MIN_BYTES MIB
#define DEFAULT_MMAP_THRESHOLD 131072

/* rc-chaining helpers: each does nothing once rc is set */
#define P(...) (rc = rc ? rc : hl_buf_printf(o, __VA_ARGS__))
#define H(s) (rc = rc ? rc : hl_markup_html(o, (s)))
#define M(s) (rc = rc ? rc : hl_markup_md(o, (s)))

void hl_report_note(hl_report_t *r, const char *fmt, ...)
{
	if (r->nnotes >= HL_REPORT_MAX_NOTES)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nnotes++], sizeof r->notes[0], fmt, ap);
	va_end(ap);
}

static const char *bytes_str(int64_t v, char *buf, size_t sz)
{
	return hl_units_bytes(v, buf, sz);
}

static int64_t in_use(const hl_phase_t *p)
{
	return p->mallinfo2.valid ? p->mallinfo2.uordblks + p->mallinfo2.hblkhd : HL_UNKNOWN;
}

/* ------------------------------------------------------------ breakdowns */

static void diag_breakdown(const hl_diagfile_t *d, hl_breakdown_t *b)
{
	hl_breakdown_init(b, "now");
	b->rss_bytes = d->rss_bytes;
	for (size_t i = 0; i < d->nparts; i++)
		hl_breakdown_add_part(b, d->parts[i].name, d->parts[i].bytes);
	if (d->remainder_bytes > 0)
		hl_breakdown_add_part(b, "remainder", d->remainder_bytes);
	snprintf(b->basis, sizeof b->basis, "diagnosis");
}

int hl_report_breakdowns(const hl_report_t *r, hl_breakdown_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	size_t total = 0;
	if (r->kind == HL_REPORT_RUN && r->run)
		total = r->run->nphases;
	else if (r->kind == HL_REPORT_SWEEP)
		for (size_t i = 0; i < r->nconfigs; i++)
			total += r->configs[i].loaded ? r->configs[i].run.nphases : 0;
	else if (r->kind == HL_REPORT_DIAGNOSIS && r->diag)
		total = 1;
	hl_breakdown_t *b = calloc(total ? total : 1, sizeof *b);
	if (!b)
		return -ENOMEM;
	size_t k = 0;
	if (r->kind == HL_REPORT_RUN && r->run) {
		for (size_t i = 0; i < r->run->nphases; i++)
			hl_breakdown_phase(&r->run->phases[i], &b[k++]);
	} else if (r->kind == HL_REPORT_SWEEP) {
		for (size_t i = 0; i < r->nconfigs; i++)
			for (size_t j = 0; r->configs[i].loaded && j < r->configs[i].run.nphases; j++) {
				hl_breakdown_phase(&r->configs[i].run.phases[j], &b[k]);
				snprintf(b[k].label, sizeof b[k].label, "%zu: %s", i + 1,
					 r->configs[i].run.phases[j].name);
				k++;
			}
	} else if (r->kind == HL_REPORT_DIAGNOSIS && r->diag) {
		diag_breakdown(r->diag, &b[k++]);
	}
	*out = b;
	*n = k;
	return 0;
}

/* ------------------------------------------------------------ advice */

typedef struct advice_list {
	hl_advice_t *v;
	size_t n, max;
	const char *prefix; /* "[config] " in a sweep */
} advice_list_t;

static void add(advice_list_t *a, int64_t bytes, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(advice_list_t *a, int64_t bytes, const char *action, const char *fmt, ...)
{
	if (a->n >= a->max)
		return;
	hl_advice_t *x = &a->v[a->n++];
	snprintf(x->action, sizeof x->action, "%s%s", a->prefix ? a->prefix : "", action);
	x->bytes = bytes;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->why, sizeof x->why, fmt, ap);
	va_end(ap);
}

/* The walked phase where f is largest, or NULL. */
static const hl_phase_t *max_walk(const hl_run_t *run, size_t off, int64_t *best)
{
	const hl_phase_t *p = NULL;
	*best = HL_UNKNOWN;
	for (size_t i = 0; i < run->nphases; i++) {
		const hl_phase_t *ph = &run->phases[i];
		if (!ph->walk_valid)
			continue;
		int64_t v = *(const int64_t *)((const char *)&ph->walk + off);
		if (v > *best) {
			*best = v;
			p = ph;
		}
	}
	return p;
}

#define MAX_WALK(run, field, best)                                                          \
	max_walk(run, offsetof(struct hl_walk_summary, field), best)

static void advise_run(const hl_run_t *run, advice_list_t *a)
{
	size_t before = a->n;
	char b1[32], b2[32], b3[32];
	hl_verdict_t v;
	hl_figures_verdict(run, &v);
	bool walked = false;
	for (size_t i = 0; i < run->nphases; i++)
		walked |= run->phases[i].walk_valid;

	if (v.kind == HL_VERDICT_LEAK && run->nphases >= 2) {
		const hl_phase_t *f = &run->phases[0], *l = &run->phases[run->nphases - 1];
		int64_t grew = in_use(l) >= 0 && in_use(f) >= 0 ? in_use(l) - in_use(f) : HL_UNKNOWN;
		add(a, grew, "Find what keeps the allocations alive",
		    "in use grew at every phase, by %s from '%s' to '%s': that memory is live, so "
		    "no allocator setting and no malloc_trim can give it back",
		    bytes_str(grew, b1, sizeof b1), f->name, l->name);
	}

	int64_t best;
	const hl_phase_t *p = MAX_WALK(run, releasable_bytes, &best);
	if (p && best >= ADVICE_MIN_BYTES) {
		add(a, best, "Call malloc_trim(0) where the program has freed a lot",
		    "at phase '%s' %s of free memory is resident and malloc_trim(0) would release "
		    "it (whole pages inside free chunks, and top above top_pad); RSS there was %s",
		    p->name, bytes_str(best, b1, sizeof b1), bytes_str(p->rss_bytes, b2, sizeof b2));
	} else if (!walked && v.kind == HL_VERDICT_RETENTION) {
		/* without a walk: the free bytes held where RSS stands furthest
		 * above in use */
		const hl_phase_t *q = NULL;
		int64_t held = 0;
		for (size_t i = 0; i < run->nphases; i++) {
			const hl_phase_t *ph = &run->phases[i];
			if (!ph->mallinfo2.valid || ph->rss_bytes < 0)
				continue;
			int64_t h = ph->rss_bytes - in_use(ph);
			h = h < ph->mallinfo2.fordblks ? h : ph->mallinfo2.fordblks;
			if (h > held) {
				held = h;
				q = ph;
			}
		}
		if (q && held >= ADVICE_MIN_BYTES)
			add(a, held, "Call malloc_trim(0) where the program has freed a lot",
			    "at phase '%s' RSS is %s while only %s is in use: up to %s of free "
			    "memory is held by malloc. Run with --walk to measure exactly what "
			    "malloc_trim would release",
			    q->name, bytes_str(q->rss_bytes, b1, sizeof b1),
			    bytes_str(in_use(q), b2, sizeof b2), bytes_str(held, b3, sizeof b3));
	}

	/* a pin: resident free chunks in the bins, not at the top */
	const hl_phase_t *pin = NULL;
	int64_t pinned = 0;
	for (size_t i = 0; i < run->nphases; i++) {
		hl_breakdown_t b;
		if (!run->phases[i].walk_valid)
			continue;
		hl_breakdown_phase(&run->phases[i], &b);
		if (b.bytes[HL_BD_BIN] > pinned) {
			pinned = b.bytes[HL_BD_BIN];
			pin = &run->phases[i];
		}
	}
	if (pin && pinned >= ADVICE_MIN_BYTES && pinned > pin->walk.trim_threshold)
		add(a, pinned, "Allocate long-lived objects before short-lived bursts, or apart from them",
		    "at phase '%s' %s of free chunks are resident below chunks still in use: free() "
		    "gives memory back only from the top of a heap, so a small live chunk above "
		    "them (a pin) keeps them until malloc_trim(0)",
		    pin->name, bytes_str(pinned, b1, sizeof b1));

	p = MAX_WALK(run, tcache_bytes, &best);
	if (p && best >= ADVICE_MIN_BYTES && !strstr(run->tunables, "tcache_count"))
		add(a, best, "Set glibc.malloc.tcache_count=0 (or lower)",
		    "at phase '%s' the tcache holds %s of freed chunks; glibc counts them as in use, "
		    "and malloc_trim does not release them",
		    p->name, bytes_str(best, b1, sizeof b1));
	p = MAX_WALK(run, fastbin_bytes, &best);
	if (p && best >= ADVICE_MIN_BYTES && !strstr(run->tunables, "mxfast"))
		add(a, best, "Let fastbins be consolidated, or set glibc.malloc.mxfast=0",
		    "at phase '%s' fastbins hold %s of small freed chunks, unmerged until a large "
		    "malloc or malloc_trim consolidates them",
		    p->name, bytes_str(best, b1, sizeof b1));
	p = MAX_WALK(run, mmap_threshold, &best);
	if (p && best > DEFAULT_MMAP_THRESHOLD && !strstr(run->tunables, "mmap_threshold"))
		add(a, best, "Fix the mmap threshold: glibc.malloc.mmap_threshold=131072",
		    "at phase '%s' mmap_threshold has drifted to %s (it starts at 128 KiB): blocks "
		    "below it now come from the heap, where they stay after free() instead of going "
		    "back to the kernel",
		    p->name, bytes_str(best, b1, sizeof b1));

	/* arenas beyond the main one */
	const hl_phase_t *ar = NULL;
	size_t most = 0;
	int64_t other = 0;
	for (size_t i = 0; i < run->nphases; i++) {
		const hl_phase_t *ph = &run->phases[i];
		if (!ph->malloc_info_valid || ph->malloc_info.narenas <= most)
			continue;
		most = ph->malloc_info.narenas;
		ar = ph;
		other = 0;
		for (size_t k = 1; k < ph->malloc_info.narenas; k++)
			other += ph->malloc_info.arenas[k].system_current_bytes > 0
					 ? ph->malloc_info.arenas[k].system_current_bytes
					 : 0;
	}
	if (ar && most > 2 && !strstr(run->tunables, "arena_max"))
		add(a, other, "Cap the arenas: glibc.malloc.arena_max=2",
		    "at phase '%s' there are %zu arenas, and the ones beside the main arena hold "
		    "%s of heap; every thread that mallocs may get an arena of its own, each with a "
		    "64 MiB heap reserved (VSZ %s)",
		    ar->name, most, bytes_str(other, b1, sizeof b1),
		    bytes_str(ar->vsz_bytes, b2, sizeof b2));

	if (a->n == before) {
		if (v.kind == HL_VERDICT_RELEASED)
			add(a, HL_UNKNOWN, "Nothing to change",
			    "RSS followed in-use down: the memory that was freed went back to the "
			    "kernel");
		else
			add(a, HL_UNKNOWN, "Nothing to change",
			    "no phase of this run holds back memory in a quantity worth a setting "
			    "(1 MiB or more)%s",
			    walked ? "" : "; run with --walk for the walk's figures");
	}
}

static void advise_sweep(const hl_report_t *r, advice_list_t *a)
{
	/* the phase where the configurations differ most in RSS, and the one
	 * that keeps least there */
	const hl_sweep_config_t *lo = NULL, *hi = NULL;
	const hl_phase_t *plo = NULL, *phi = NULL;
	int64_t spread = 0;
	for (size_t i = 0; i < r->nconfigs; i++) {
		if (!r->configs[i].loaded)
			continue;
		for (size_t k = 0; k < r->configs[i].run.nphases; k++) {
			const char *name = r->configs[i].run.phases[k].name;
			const hl_sweep_config_t *l = NULL, *h = NULL;
			const hl_phase_t *pl = NULL, *pk = NULL;
			for (size_t j = 0; j < r->nconfigs; j++) {
				const hl_phase_t *p = r->configs[j].loaded
							      ? hl_run_phase(&r->configs[j].run, name)
							      : NULL;
				if (!p || p->rss_bytes < 0)
					continue;
				if (!pl || p->rss_bytes < pl->rss_bytes) {
					l = &r->configs[j];
					pl = p;
				}
				if (!pk || p->rss_bytes > pk->rss_bytes) {
					h = &r->configs[j];
					pk = p;
				}
			}
			if (pl && pk && pk->rss_bytes - pl->rss_bytes > spread) {
				spread = pk->rss_bytes - pl->rss_bytes;
				lo = l;
				hi = h;
				plo = pl;
				phi = pk;
			}
		}
	}
	char b1[32], b2[32], b3[32];
	if (lo && hi && lo != hi && spread >= ADVICE_MIN_BYTES) {
		char action[200];
		snprintf(action, sizeof action, "Prefer '%s'", lo->label);
		add(a, spread, action,
		    "at phase '%s' it keeps RSS at %s, against %s for '%s': %s less (the phase "
		    "where the configurations differ most)",
		    plo->name, bytes_str(plo->rss_bytes, b1, sizeof b1),
		    bytes_str(phi->rss_bytes, b2, sizeof b2), hi->label,
		    bytes_str(spread, b3, sizeof b3));
	}
	for (size_t i = 0; i < r->nconfigs; i++) {
		if (!r->configs[i].loaded)
			continue;
		char prefix[300];
		snprintf(prefix, sizeof prefix, "[%s] ", r->configs[i].label);
		a->prefix = prefix;
		size_t before = a->n;
		advise_run(&r->configs[i].run, a);
		/* "nothing to change" once per configuration is noise */
		if (a->n == before + 1 && a->v[before].bytes < 0)
			a->n = before;
		a->prefix = NULL;
	}
}

size_t hl_report_advise(const hl_report_t *r, hl_advice_t *out, size_t max)
{
	advice_list_t a = {out, 0, max, NULL};
	if (r->kind == HL_REPORT_RUN && r->run)
		advise_run(r->run, &a);
	else if (r->kind == HL_REPORT_SWEEP)
		advise_sweep(r, &a);
	return a.n;
}

/* ------------------------------------------------------------ watch */

int hl_report_watch_tsv(const hl_diagfile_t *d, hl_buf_t *out)
{
	hl_buf_reset(out);
	int rc = hl_buf_printf(out, "t_ms\trss_bytes\tlive_bytes\n");
	for (size_t i = 0; !rc && i < d->nwatch; i++) {
		const hl_diagfile_sample_t *s = &d->watch[i];
		int64_t v[3] = {s->t_ms, s->rss_bytes, s->live_bytes};
		for (int k = 0; !rc && k < 3; k++)
			rc = v[k] < 0 ? hl_buf_printf(out, "%sNA", k ? "\t" : "")
				      : hl_buf_printf(out, "%s%lld", k ? "\t" : "", (long long)v[k]);
		rc = rc ? rc : hl_buf_printf(out, "\n");
	}
	return rc;
}

int hl_report_watch_script(const hl_diagfile_t *d, const char *tsv, const char *png, hl_buf_t *out)
{
	char title[400];
	snprintf(title, sizeof title, "pid %lld (%s): RSS and live bytes while watched",
		 (long long)d->pid, d->command ? d->command : "");
	hl_buf_reset(out);
	hl_buf_t *o = out;
	int rc = 0;
	P("# RSS and live bytes over the diagnosis's watch; columns: t_ms, rss_bytes, "
	  "live_bytes\nset encoding utf8\nset datafile separator \"\\t\"\n"
	  "set datafile missing \"NA\"\nMiB = 1048576.0\n"
	  "set terminal pngcairo size 1200,600 font \"DejaVu Sans,11\"\nset output ");
	rc = rc ? rc : hl_plot_quote(o, png);
	P("\nset title ");
	rc = rc ? rc : hl_plot_quote(o, title);
	P(" noenhanced\nset xlabel \"time (s)\"\nset ylabel \"MiB\"\nset yrange [0:*]\n"
	  "set grid lc rgb \"#dddddd\"\nset key outside right top\nplot ");
	rc = rc ? rc : hl_plot_quote(o, tsv);
	P(" skip 1 using ($1/1000.0):($2/MiB) with linespoints lw 3 lc rgb \"#c62828\" title "
	  "\"RSS\", \\\n     '' skip 1 using ($1/1000.0):($3/MiB) with linespoints lw 2 lc rgb "
	  "\"#1565c0\" title \"live\"\nset output\n");
	return rc;
}

int hl_report_watch_svg(const hl_diagfile_t *d, hl_buf_t *o)
{
	int64_t tmax = 1, vmax = 1;
	for (size_t i = 0; i < d->nwatch; i++) {
		const hl_diagfile_sample_t *s = &d->watch[i];
		tmax = s->t_ms > tmax ? s->t_ms : tmax;
		vmax = s->rss_bytes > vmax ? s->rss_bytes : vmax;
		vmax = s->live_bytes > vmax ? s->live_bytes : vmax;
	}
	hl_svg_axis_t ax;
	hl_svg_axis(vmax, &ax);
	const int64_t x0 = 80, x1 = 880, y0 = 20, y1 = 300;
	int rc = 0;
	P("<svg class=\"watch\" viewBox=\"0 0 1000 340\" width=\"1000\" height=\"340\" role=\"img\" "
	  "font-family=\"DejaVu Sans, sans-serif\" font-size=\"12\">\n");
	rc = rc ? rc : hl_svg_grid(o, &ax, x0, x1, y0, y1);
	/* time ticks in whole seconds, at most 8 */
	int64_t secs = (tmax + 999) / 1000, step = 1;
	while (secs / step > 8) {
		int64_t lead = step;
		while (lead >= 10)
			lead /= 10;
		step = lead == 2 ? step / 2 * 5 : step * 2; /* 1, 2, 5, 10, 20, 50 ... */
	}
	for (int64_t t = 0; t <= secs; t += step) {
		int64_t x = x0 + t * 1000 * (x1 - x0) / (secs * 1000 > 0 ? secs * 1000 : 1);
		P("<text x=\"%lld\" y=\"%lld\" text-anchor=\"middle\">%lld s</text>\n", (long long)x,
		  (long long)(y1 + 18), (long long)t);
	}
	int64_t span = secs * 1000 > 0 ? secs * 1000 : 1;
	static const struct {
		const char *name, *colour;
		size_t off;
	} lines[] = {{"RSS", "#c62828", offsetof(hl_diagfile_sample_t, rss_bytes)},
		     {"live", "#1565c0", offsetof(hl_diagfile_sample_t, live_bytes)}};
	for (size_t l = 0; l < 2; l++) {
		P("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" points=\"",
		  lines[l].colour);
		for (size_t i = 0; i < d->nwatch; i++) {
			const hl_diagfile_sample_t *s = &d->watch[i];
			int64_t v = *(const int64_t *)((const char *)s + lines[l].off);
			if (s->t_ms < 0 || v < 0)
				continue;
			P("%lld,%lld ", (long long)(x0 + s->t_ms * (x1 - x0) / span),
			  (long long)hl_svg_y(&ax, v, y0, y1));
		}
		P("\"/>\n<rect x=\"%lld\" y=\"%lld\" width=\"14\" height=\"4\" fill=\"%s\"/>"
		  "<text x=\"%lld\" y=\"%lld\">%s</text>\n",
		  (long long)(x1 + 12), (long long)(y0 + 6 + (int64_t)l * 20), lines[l].colour,
		  (long long)(x1 + 32), (long long)(y0 + 12 + (int64_t)l * 20), lines[l].name);
	}
	P("</svg>\n");
	return rc;
}

/* ------------------------------------------------------------ inline SVG */

/* A name as an HTML id or class: letters, digits, '-' and '_' only. */
static const char *html_name(const char *s, char *out, size_t n)
{
	size_t k = 0;
	for (; *s && k + 1 < n; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '_')
			out[k++] = *s;
	out[k] = '\0';
	return out;
}

static bool has_ci(const char *s, const char *needle)
{
	size_t n = strlen(needle);
	for (; *s; s++)
		if (!strncasecmp(s, needle, n))
			return true;
	return false;
}

/* An event handler attribute (onload=, onclick=, ...). */
static bool has_handler(const char *s)
{
	for (const char *p = s; *p; p++) {
		if (!isspace((unsigned char)p[0]) || tolower((unsigned char)p[1]) != 'o' ||
		    tolower((unsigned char)p[2]) != 'n')
			continue;
		const char *q = p + 3;
		while (isalpha((unsigned char)*q))
			q++;
		if (q > p + 3 && *q == '=')
			return true;
	}
	return false;
}


/* Whether an attribute or style refers to anything but a part of the SVG
 * itself (#id): href, xlink:href, src, url(...). "//host/x" has no scheme,
 * so "://" alone does not find it. */
static bool refers_outside(const char *s)
{
	static const char *const keys[] = {"href=", "src=", "url("};
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		size_t kl = strlen(keys[k]);
		for (const char *p = s; *p; p++) {
			if (strncasecmp(p, keys[k], kl))
				continue;
			const char *v = p + kl;
			while (*v == ' ' || *v == '"' || *v == '\'' || *v == '\t' || *v == '\n')
				v++;
			if (*v != '#' && !(k == 2 && *v == ')'))
				return true;
		}
	}
	return false;
}

/* Removes every ` NAME="..."` (or '...') attribute called name. */
static void drop_attr(char *s, const char *name)
{
	size_t n = strlen(name);
	for (char *p = s; (p = strstr(p, name));) {
		char *q = p + n;
		if (p == s || !isspace((unsigned char)p[-1]) || *q != '=' ||
		    (q[1] != '"' && q[1] != '\'')) {
			p = q;
			continue;
		}
		char *end = strchr(q + 2, q[1]);
		if (!end)
			return;
		memmove(p - 1, end + 1, strlen(end + 1) + 1);
		p = p - 1;
	}
}

char *hl_report_inline_svg(const char *svg, size_t len, char *why, size_t whysz)
{
	why[0] = '\0';
	char *s = malloc(len + 1);
	if (!s) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	memcpy(s, svg, len);
	s[len] = '\0';
	if (strlen(s) != len) {
		snprintf(why, whysz, "it holds a NUL byte (not an SVG file)");
		free(s);
		return NULL;
	}
	char *start = strstr(s, "<svg"), *end = NULL;
	for (char *p = start; p && (p = strstr(p, "</svg>")); p += 6)
		end = p;
	if (!start || !end) {
		snprintf(why, whysz, "it is not an SVG file (no <svg> element)");
		free(s);
		return NULL;
	}
	end[6] = '\0';
	memmove(s, start, strlen(start) + 1);
	/* the namespaces are the only addresses a plain SVG holds: HTML puts
	 * an inline <svg> in its namespace by itself */
	char *tag_end = strchr(s, '>');
	if (tag_end) {
		char save = tag_end[1];
		tag_end[1] = '\0';
		drop_attr(s, "xmlns");
		drop_attr(s, "xmlns:xlink");
		size_t tl = strlen(s);
		s[tl] = save; /* the tag ended at tl - 1 */
		if (save)
			memmove(s + tl + 1, tag_end + 2, strlen(tag_end + 2) + 1);
	}
	if (has_ci(s, "<script") || has_ci(s, "<foreignobject") || has_handler(s)) {
		snprintf(why, whysz, "it holds a script");
		free(s);
		return NULL;
	}
	if (strstr(s, "://") || has_ci(s, "javascript:") || has_ci(s, "@import") ||
	    refers_outside(s)) {
		snprintf(why, whysz, "it refers to something outside itself");
		free(s);
		return NULL;
	}
	return s;
}

/* ------------------------------------------------------------ facts */

/* The "what ran" rows, the same on both pages. */
typedef struct fact {
	const char *key;
	char value[1024];
} fact_t;

#define MAX_FACTS 20

static void fact(fact_t *f, size_t *n, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fact(fact_t *f, size_t *n, const char *key, const char *fmt, ...)
{
	if (*n >= MAX_FACTS)
		return;
	f[*n].key = key;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f[*n].value, sizeof f[*n].value, fmt, ap);
	va_end(ap);
	if (!f[*n].value[0])
		snprintf(f[*n].value, sizeof f[*n].value, "(none)");
	(*n)++;
}

static void fact_bytes(fact_t *f, size_t *n, const char *key, int64_t v)
{
	char h[32];
	if (v < 0)
		fact(f, n, key, "n/a");
	else
		fact(f, n, key, "%s (%lld bytes)", bytes_str(v, h, sizeof h), (long long)v);
}

static size_t run_facts(const hl_run_t *run, fact_t *f)
{
	size_t n = 0;
	char params[1024] = "";
	for (size_t i = 0; i < run->nparams; i++) {
		size_t l = strlen(params);
		snprintf(params + l, sizeof params - l, "%s%s=%s", i ? " " : "", run->params[i].name,
			 run->params[i].value);
	}
	fact(f, &n, "experiment", "%s", run->experiment);
	fact(f, &n, "program", "%s", run->program);
	fact(f, &n, "parameters", "%s", params);
	fact(f, &n, "allocator", "%s", run->allocator);
	fact(f, &n, "glibc", "%s", run->glibc);
	fact(f, &n, "kernel", "%s", run->kernel);
	fact(f, &n, "GLIBC_TUNABLES", "%s", run->tunables);
	fact(f, &n, "environment", "%s", run->env);
	fact(f, &n, "started", "%s", run->started);
	fact(f, &n, "sampling interval", "%lld ms%s", (long long)run->interval_ms,
	     run->interval_ms == 0 ? " (at phases only)" : "");
	fact(f, &n, "status", "%s%s", run->status, run->complete ? "" : " (incomplete)");
	if (run->exit_code == -1 && !run->complete)
		fact(f, &n, "exit code", "n/a");
	else
		fact(f, &n, "exit code", "%d", run->exit_code);
	fact(f, &n, "duration", "%lld ms, %lld samples", (long long)run->duration_ms,
	     (long long)run->nsamples);
	for (size_t i = 0; i < run->nphases; i++)
		if (run->phases[i].walk_valid) {
			fact(f, &n, "heap walk", "%s", run->phases[i].walk.method);
			break;
		}
	return n;
}

static size_t diag_facts(const hl_diagfile_t *d, fact_t *f)
{
	size_t n = 0;
	fact(f, &n, "pid", "%lld", (long long)d->pid);
	fact(f, &n, "command", "%s", d->command);
	fact(f, &n, "time", "%s", d->time);
	fact(f, &n, "glibc", "%s", d->glibc[0] ? d->glibc : "n/a");
	fact(f, &n, "kernel", "%s", d->kernel);
	if (d->method[0])
		fact(f, &n, "heap walk", "%s", d->method);
	if (d->threads >= 0)
		fact(f, &n, "threads", "%lld", (long long)d->threads);
	else
		fact(f, &n, "threads", "n/a");
	fact_bytes(f, &n, "RSS", d->rss_bytes);
	fact_bytes(f, &n, "mmap_threshold", d->mmap_threshold);
	fact_bytes(f, &n, "trim_threshold", d->trim_threshold);
	if (d->releasable_bytes >= 0)
		fact_bytes(f, &n, "releasable by malloc_trim", d->releasable_bytes);
	return n;
}

/* ------------------------------------------------------------ HTML */

static const char style[] =
	"body{font-family:\"DejaVu Sans\",Verdana,sans-serif;max-width:1240px;margin:1.5em auto;"
	"padding:0 1em;color:#222;line-height:1.4}\n"
	"h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;"
	"padding-bottom:.2em;margin-top:1.8em}h3{margin-bottom:.3em}\n"
	".sub{color:#666;margin-top:0}\n"
	"table{border-collapse:collapse;margin:.6em 0}th,td{border:1px solid #ddd;"
	"padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}\n"
	"td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
	".verdict{font-size:1.1em;padding:.6em 1em;border-left:6px solid #777;"
	"background:#f6f6f6}\n"
	".verdict.retention{border-color:#c44e52}.verdict.leak{border-color:#8b1a1a}"
	".verdict.released,.verdict.steady{border-color:#55a868}\n"
	".missing{background:#fff4e5;border-left:6px solid #dd8452;padding:.4em 1em}\n"
	"figure{margin:1em 0}figure svg{max-width:100%;height:auto;display:block}"
	"figcaption{color:#444;margin:.3em 0}\n"
	".legend span{display:inline-block;margin-right:1.2em}.swatch{display:inline-block;"
	"width:.9em;height:.9em;vertical-align:middle;margin-right:.35em;border:1px solid #999}\n"
	".note{color:#555;font-size:.95em}footer{margin-top:3em;color:#777;font-size:.9em}\n"
	".wide{overflow-x:auto}table.breakdown th{white-space:nowrap}\n";

/* A file name as a relative URL: anything but [A-Za-z0-9._~/-] as %XX (a
 * name can hold '#', '?', spaces or parentheses). Still to be escaped for
 * HTML by the caller where it goes into an attribute. */
static int url(hl_buf_t *o, const char *s)
{
	int rc = 0;
	for (; *s && !rc; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("._~/-", c))
			rc = hl_buf_append(o, s, 1);
		else
			rc = hl_buf_printf(o, "%%%02X", c);
	}
	return rc;
}

static int cell_bytes(hl_buf_t *o, int64_t v)
{
	char b[32];
	int rc = 0;
	if (v < 0)
		P("<td class=\"num\">n/a</td>");
	else
		P("<td class=\"num\" title=\"%lld bytes\">%s</td>", (long long)v,
		  bytes_str(v, b, sizeof b));
	return rc;
}

/* part / whole as a percentage with one decimal, rounded (in double: the
 * byte counts may be large), closing the row; n/a when unknown. */
static int cell_share(hl_buf_t *o, int64_t part, int64_t whole)
{
	int rc = 0;
	if (whole > 0 && part >= 0)
		P("<td class=\"num\">%.1f%%</td></tr>\n", 100.0 * (double)part / (double)whole);
	else
		P("<td class=\"num\">n/a</td></tr>\n");
	return rc;
}

static int html_facts(hl_buf_t *o, const fact_t *f, size_t n)
{
	int rc = 0;
	P("<table class=\"kv\">\n");
	for (size_t i = 0; i < n; i++) {
		P("<tr><th>");
		H(f[i].key);
		P("</th><td>");
		H(f[i].value);
		P("</td></tr>\n");
	}
	P("</table>\n");
	return rc;
}

static int html_notes(hl_buf_t *o, const hl_report_t *r)
{
	int rc = 0;
	if (!r->nnotes)
		return 0;
	P("<section id=\"missing\"><h2>Missing or incomplete</h2><div class=\"missing\"><ul>\n");
	for (size_t i = 0; i < r->nnotes; i++) {
		P("<li>");
		H(r->notes[i]);
		P("</li>\n");
	}
	P("</ul></div></section>\n");
	return rc;
}

static int html_figure(hl_buf_t *o, const hl_report_figure_t *f)
{
	int rc = 0;
	char fid[160];
	P("<section id=\"%s\"><h2>", html_name(f->id, fid, sizeof fid));
	H(f->title);
	P("</h2><figure>\n");
	if (f->svg)
		P("%s", f->svg);
	else
		P("<p class=\"missing\">No picture.</p>\n");
	if (f->note[0]) {
		P("<figcaption class=\"note\">");
		H(f->note);
		P("</figcaption>\n");
	}
	P("</figure></section>\n");
	return rc;
}

static int html_phase_table(hl_buf_t *o, const hl_run_t *run)
{
	int rc = 0;
	bool walked = false;
	for (size_t i = 0; i < run->nphases; i++)
		walked |= run->phases[i].walk_valid;
	if (!run->nphases) {
		P("<p class=\"missing\">No phase was recorded.</p>\n");
		return rc;
	}
	P("<table class=\"phases\"><tr><th>phase</th><th class=\"num\">t</th>"
	  "<th class=\"num\">RSS</th><th class=\"num\">VSZ</th><th class=\"num\">heap</th>"
	  "<th class=\"num\">heap RSS</th><th class=\"num\">in use</th><th class=\"num\">free</th>");
	if (walked)
		P("<th class=\"num\">live</th><th class=\"num\">held back</th>"
		  "<th class=\"num\">released</th><th class=\"num\">releasable</th>");
	P("</tr>\n");
	for (size_t i = 0; !rc && i < run->nphases; i++) {
		const hl_phase_t *p = &run->phases[i];
		P("<tr><td>");
		H(p->name);
		P("</td><td class=\"num\">%lld.%02llds</td>", (long long)(p->t_ms / 1000),
		  (long long)(p->t_ms % 1000 / 10));
		rc = rc ? rc : cell_bytes(o, p->rss_bytes);
		rc = rc ? rc : cell_bytes(o, p->vsz_bytes);
		rc = rc ? rc : cell_bytes(o, p->heap_bytes);
		rc = rc ? rc : cell_bytes(o, p->heap_rss_bytes);
		rc = rc ? rc : cell_bytes(o, in_use(p));
		rc = rc ? rc : cell_bytes(o, p->mallinfo2.valid ? p->mallinfo2.fordblks : HL_UNKNOWN);
		if (walked) {
			const struct hl_walk_summary *w = &p->walk;
			bool v = p->walk_valid;
			rc = rc ? rc : cell_bytes(o, v ? w->live_bytes : HL_UNKNOWN);
			rc = rc ? rc : cell_bytes(o, v ? w->held_back_bytes : HL_UNKNOWN);
			rc = rc ? rc : cell_bytes(o, v ? w->released_bytes : HL_UNKNOWN);
			rc = rc ? rc : cell_bytes(o, v ? w->releasable_bytes : HL_UNKNOWN);
		}
		P("</tr>\n");
	}
	P("</table>\n<p class=\"note\">In use is mallinfo2's uordblks + hblkhd (tcache counts "
	  "as in use), free its fordblks%s.</p>\n",
	  walked ? "; live, held back, released and releasable come from the walk of the heap "
		   "at each phase"
		 : "");
	return rc;
}

static int html_observations(hl_buf_t *o, const hl_run_t *run)
{
	int rc = 0;
	size_t n = 0;
	for (size_t i = 0; i < run->nphases; i++)
		n += run->phases[i].nobs;
	if (!n)
		return 0;
	P("<h3>What the program reported about itself</h3>\n<table><tr><th>phase</th>"
	  "<th>observation</th><th class=\"num\">value</th></tr>\n");
	for (size_t i = 0; i < run->nphases; i++)
		for (size_t k = 0; k < run->phases[i].nobs; k++) {
			P("<tr><td>");
			H(run->phases[i].name);
			P("</td><td>");
			H(run->phases[i].obs[k].key);
			P("</td><td class=\"num\">%.15g</td></tr>\n", run->phases[i].obs[k].value);
		}
	P("</table>\n");
	return rc;
}

static int html_verdict(hl_buf_t *o, const char *kind, const char *text)
{
	int rc = 0;
	char cls[64];
	P("<section id=\"verdict\"><h2>Verdict</h2><p class=\"verdict %s\">",
	  html_name(kind, cls, sizeof cls));
	H(text);
	P("</p></section>\n");
	return rc;
}

static int html_breakdown(hl_buf_t *o, const hl_report_t *r)
{
	hl_breakdown_t *b;
	size_t n;
	int rc = hl_report_breakdowns(r, &b, &n);
	if (rc)
		return rc;
	P("<section id=\"breakdown\"><h2>What RSS is made of</h2>\n<figure>\n");
	rc = rc ? rc : hl_breakdown_svg(b, n, o);
	P("<figcaption>One bar per %s: the heap's parts from the bottom up, the rest of RSS "
	  "above them; the black mark is RSS; released heap pages (hatched) are not resident "
	  "and stand above it.</figcaption></figure>\n",
	  r->kind == HL_REPORT_DIAGNOSIS ? "diagnosis" : "phase");
	/* the same figures as a table */
	bool seg_on[HL_BD_NSEGS] = {false};
	for (size_t i = 0; i < n; i++)
		for (int s = 0; s < HL_BD_NSEGS; s++)
			seg_on[s] |= b[i].bytes[s] >= 0;
	P("<div class=\"wide\"><table class=\"breakdown\"><tr><th></th>");
	for (size_t i = 0; i < n; i++) {
		P("<th class=\"num\">");
		H(b[i].label);
		P("</th>");
	}
	P("</tr>\n");
	for (int s = 0; !rc && s < HL_BD_NSEGS; s++) {
		if (!seg_on[s])
			continue;
		P("<tr><th><span class=\"swatch\" style=\"background:%s\"></span>%s</th>",
		  hl_breakdown_colour((hl_bd_seg_t)s), hl_breakdown_label((hl_bd_seg_t)s));
		for (size_t i = 0; i < n; i++)
			rc = rc ? rc : cell_bytes(o, b[i].bytes[s]);
		P("</tr>\n");
	}
	P("<tr><th>RSS</th>");
	for (size_t i = 0; i < n; i++)
		rc = rc ? rc : cell_bytes(o, b[i].rss_bytes);
	P("</tr>\n<tr><th>from</th>");
	for (size_t i = 0; i < n; i++)
		P("<td class=\"num\">%s</td>", b[i].basis);
	P("</tr></table></div>\n<p class=\"note\">%s</p>\n</section>\n",
	  r->kind == HL_REPORT_DIAGNOSIS
		  ? "The parts as heaplab diagnose measured them (resident bytes); the rest of RSS "
		    "is its \"other\" part and its remainder."
		  : "From a walk: overhead = in use - live - tcache; bins and top count their "
		    "resident part; the rest of RSS is what the heap parts do not cover. Without a "
		    "walk: mallinfo2's in use, and its free bytes held back as far as the brk "
		    "heap's RSS shows them (docs/report.md).");
	free(b);
	return rc;
}

static int html_legend(hl_buf_t *o)
{
	int rc = 0;
	P("<p class=\"legend\">");
	for (int c = -1; c < HL_NPAGE_CLASSES; c++)
		P("<span><span class=\"swatch\" style=\"background:%s\"></span>%s</span>",
		  hl_heapmap_colour(c), hl_heapmap_label(c));
	P("</p>\n");
	return rc;
}

/* Why a report has no heap map. */
static const char *no_maps(const hl_report_t *r)
{
	bool walked = false;
	for (size_t i = 0; r->run && i < r->run->nphases; i++)
		walked |= r->run->phases[i].walk_valid;
	for (size_t i = 0; i < r->nconfigs; i++)
		for (size_t k = 0; r->configs[i].loaded && k < r->configs[i].run.nphases; k++)
			walked |= r->configs[i].run.phases[k].walk_valid;
	return walked ? "the phases were walked, but no heapmap-PHASE.tsv was found."
		      : "no phase was walked (heaplab run --walk records a heap map at every "
			"phase).";
}

static int html_maps(hl_buf_t *o, const hl_report_t *r)
{
	int rc = 0;
	P("<section id=\"heapmaps\"><h2>Heap maps</h2>\n");
	if (!r->nmaps) {
		P("<p class=\"missing\">No heap map: %s</p></section>\n", no_maps(r));
		return rc;
	}
	P("<p>Every page of every heap at the phase, in address order, each heap from a new "
	  "row of %d cells.</p>\n",
	  HL_HEAPMAP_COLS);
	rc = rc ? rc : html_legend(o);
	for (size_t i = 0; !rc && i < r->nmaps; i++) {
		const hl_report_map_t *m = &r->maps[i];
		char id[160];
		P("<figure id=\"%s\" class=\"heapmap\"><figcaption><b>", html_name(m->id, id, sizeof id));
		H(m->title);
		P("</b>");
		if (m->valid) {
			char per[32] = "n/a";
			if (m->map.cell_pages > 0 && m->map.page_bytes > 0)
				hl_units_bytes(m->map.cell_pages * m->map.page_bytes, per, sizeof per);
			P(": %lld pages in %lld heap(s), one cell = %lld page(s) (%s)",
			  (long long)m->map.pages, (long long)m->map.heaps,
			  (long long)m->map.cell_pages, per);
		}
		P("</figcaption>\n");
		if (m->valid)
			rc = rc ? rc : hl_heapmap_svg(&m->map, o);
		if (m->note[0]) {
			P("<p class=\"%s\">", m->valid ? "note" : "missing");
			H(m->note);
			P("</p>\n");
		}
		P("</figure>\n");
	}
	P("</section>\n");
	return rc;
}

/* The recommendations shown: a diagnosis's own, word for word, or
 * hl_report_advise's (kept in adv). */
typedef struct rec_row {
	const char *action, *why;
	int64_t bytes;
} rec_row_t;

#define MAX_RECS 32

static size_t rec_rows(const hl_report_t *r, hl_advice_t *adv, rec_row_t *rows)
{
	size_t n = 0;
	if (r->kind == HL_REPORT_DIAGNOSIS) {
		for (size_t i = 0; r->diag && i < r->diag->nrecs && n < MAX_RECS; i++, n++)
			rows[n] = (rec_row_t){r->diag->recs[i].action, r->diag->recs[i].why,
					      r->diag->recs[i].bytes};
		return n;
	}
	n = hl_report_advise(r, adv, MAX_RECS);
	for (size_t i = 0; i < n; i++)
		rows[i] = (rec_row_t){adv[i].action, adv[i].why, adv[i].bytes};
	return n;
}

static int html_advice(hl_buf_t *o, const hl_report_t *r)
{
	int rc = 0;
	hl_advice_t adv[MAX_RECS];
	rec_row_t rows[MAX_RECS];
	size_t n = rec_rows(r, adv, rows);
	P("<section id=\"recommendations\"><h2>Recommendations</h2>\n<table><tr><th>what to do"
	  "</th><th class=\"num\">bytes</th><th>why</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		P("<tr><td>");
		H(rows[i].action);
		P("</td>");
		rc = rc ? rc : cell_bytes(o, rows[i].bytes);
		P("<td>");
		H(rows[i].why);
		P("</td></tr>\n");
	}
	if (!n)
		P("<tr><td colspan=\"3\">The diagnosis made no recommendation.</td></tr>\n");
	P("</table>\n");
	if (r->kind == HL_REPORT_DIAGNOSIS)
		P("<p class=\"note\">As heaplab diagnose wrote them.</p>\n");
	P("</section>\n");
	return rc;
}

static int html_files(hl_buf_t *o, const hl_report_t *r)
{
	int rc = 0;
	if (!r->nfiles)
		return 0;
	P("<section id=\"files\"><h2>Files in this directory</h2><ul>\n");
	for (size_t i = 0; i < r->nfiles; i++) {
		P("<li><a href=\"");
		rc = rc ? rc : url(o, r->files[i]);
		P("\">");
		H(r->files[i]);
		P("</a></li>\n");
	}
	P("</ul></section>\n");
	return rc;
}

static int html_sweep(hl_buf_t *o, const hl_report_t *r)
{
	int rc = 0;
	fact_t f[MAX_FACTS];
	size_t n = 0;
	fact(f, &n, "experiment", "%s", r->experiment);
	fact(f, &n, "configurations", "%zu", r->nconfigs);
	for (size_t i = 0; i < r->nconfigs; i++)
		if (r->configs[i].loaded) {
			const hl_run_t *run = &r->configs[i].run;
			fact(f, &n, "glibc", "%s", run->glibc);
			fact(f, &n, "kernel", "%s", run->kernel);
			fact(f, &n, "started", "%s", run->started);
			break;
		}
	P("<section id=\"summary\"><h2>What ran</h2>\n");
	rc = rc ? rc : html_facts(o, f, n);
	P("<table class=\"configs\"><tr><th>#</th><th>configuration</th>"
	  "<th>allocator</th><th>GLIBC_TUNABLES</th><th>parameters</th><th>directory</th>"
	  "<th>status</th><th>verdict</th></tr>\n");
	for (size_t i = 0; i < r->nconfigs; i++) {
		const hl_sweep_config_t *c = &r->configs[i];
		P("<tr><td>%zu</td><td>", i + 1);
		H(c->label);
		P("</td><td>");
		H(c->allocator[0] ? c->allocator : (c->loaded ? c->run.allocator : ""));
		P("</td><td>");
		H(c->tunables);
		P("</td><td>");
		H(c->params);
		P("</td><td><a href=\"");
		rc = rc ? rc : url(o, c->dir);
		P("/\">");
		H(c->dir);
		P("</a></td><td>");
		if (c->loaded) {
			H(c->run.status);
			hl_verdict_t v;
			hl_figures_verdict(&c->run, &v);
			P("</td><td>");
			H(v.text);
		} else {
			P("no run.json</td><td>n/a");
		}
		P("</td></tr>\n");
	}
	P("</table></section>\n");

	/* RSS at each phase, configurations side by side */
	const char *names[64];
	size_t nn = 0;
	for (size_t i = 0; i < r->nconfigs; i++)
		for (size_t k = 0; r->configs[i].loaded && k < r->configs[i].run.nphases; k++) {
			const char *name = r->configs[i].run.phases[k].name;
			size_t j = 0;
			while (j < nn && strcmp(names[j], name))
				j++;
			if (j == nn && nn < sizeof names / sizeof names[0])
				names[nn++] = name;
		}
	P("<section id=\"phases\"><h2>RSS at each phase</h2><table><tr><th>phase</th>");
	for (size_t i = 0; i < r->nconfigs; i++)
		P("<th class=\"num\">%zu</th>", i + 1);
	P("</tr>\n");
	for (size_t j = 0; j < nn; j++) {
		P("<tr><td>");
		H(names[j]);
		P("</td>");
		for (size_t i = 0; i < r->nconfigs; i++) {
			const hl_phase_t *p = r->configs[i].loaded
						      ? hl_run_phase(&r->configs[i].run, names[j])
						      : NULL;
			rc = rc ? rc : cell_bytes(o, p ? p->rss_bytes : HL_UNKNOWN);
		}
		P("</tr>\n");
	}
	P("</table><p class=\"note\">Columns are the configurations above, by number.</p>"
	  "</section>\n");
	return rc;
}

static int html_diag(hl_buf_t *o, const hl_report_t *r)
{
	const hl_diagfile_t *d = r->diag;
	int rc = 0;
	fact_t f[MAX_FACTS];
	size_t n = diag_facts(d, f);
	P("<section id=\"summary\"><h2>What was diagnosed</h2>\n");
	rc = rc ? rc : html_facts(o, f, n);
	P("</section>\n");
	rc = rc ? rc : html_verdict(o, d->verdict_kind, d->verdict_text);

	rc = rc ? rc : html_breakdown(o, r);
	P("<section id=\"parts\"><h2>Parts of RSS</h2><table><tr><th>part</th>"
	  "<th class=\"num\">bytes</th><th class=\"num\">of RSS</th></tr>\n");
	for (size_t i = 0; i < d->nparts; i++) {
		P("<tr><td>");
		H(d->parts[i].name);
		P("</td>");
		rc = rc ? rc : cell_bytes(o, d->parts[i].bytes);
		rc = rc ? rc : cell_share(o, d->parts[i].bytes, d->rss_bytes);
	}
	P("<tr><td>remainder</td>");
	rc = rc ? rc : cell_bytes(o, d->remainder_bytes);
	rc = rc ? rc : cell_share(o, d->remainder_bytes, d->rss_bytes);
	P("</table></section>\n");

	P("<section id=\"arenas\"><h2>Arenas</h2>\n");
	if (!d->narenas) {
		P("<p class=\"missing\">The diagnosis lists no arena (the heap was not walked).</p>\n");
	} else {
		P("<table><tr><th>arena</th><th class=\"num\">system</th><th class=\"num\">live</th>"
		  "<th class=\"num\">held back</th><th class=\"num\">tcache</th>"
		  "<th class=\"num\">fastbins</th><th class=\"num\">bins</th><th class=\"num\">top</th>"
		  "<th class=\"num\">heaps</th></tr>\n");
		for (size_t i = 0; i < d->narenas; i++) {
			const hl_diagfile_arena_t *a = &d->arenas[i];
			P("<tr><td>%lld%s</td>", (long long)a->index, a->main ? " (main)" : "");
			rc = rc ? rc : cell_bytes(o, a->system_bytes);
			rc = rc ? rc : cell_bytes(o, a->live_bytes);
			rc = rc ? rc : cell_bytes(o, a->held_back_bytes);
			rc = rc ? rc : cell_bytes(o, a->tcache_bytes);
			rc = rc ? rc : cell_bytes(o, a->fastbin_bytes);
			rc = rc ? rc : cell_bytes(o, a->bin_bytes);
			rc = rc ? rc : cell_bytes(o, a->top_bytes);
			P("<td class=\"num\">%lld</td></tr>\n", (long long)a->heaps);
		}
		P("</table>\n");
	}
	P("</section>\n<section id=\"watch\"><h2>RSS and live bytes over time</h2>\n");
	if (d->nwatch >= 2) {
		P("<figure>\n");
		rc = rc ? rc : hl_report_watch_svg(d, o);
		P("<figcaption>%zu samples while watched (heaplab diagnose --watch).</figcaption>"
		  "</figure>\n",
		  d->nwatch);
	} else {
		P("<p class=\"note\">The diagnosis was not watched over time (no \"watch\" "
		  "samples; heaplab diagnose --watch S records them).</p>\n");
	}
	P("</section>\n");
	if (d->have_trim) {
		char b1[32], b2[32], b3[32], b4[32];
		int64_t got = d->trim_rss_before >= 0 && d->trim_rss_after >= 0
				      ? d->trim_rss_before - d->trim_rss_after
				      : HL_UNKNOWN;
		P("<section id=\"trim\"><h2>malloc_trim(0)</h2><p>Predicted to release %s; RSS went "
		  "from %s to %s (%s released).</p></section>\n",
		  bytes_str(d->trim_predicted_bytes, b1, sizeof b1),
		  bytes_str(d->trim_rss_before, b2, sizeof b2),
		  bytes_str(d->trim_rss_after, b3, sizeof b3), bytes_str(got, b4, sizeof b4));
	}
	return rc;
}

int hl_report_html(const hl_report_t *r, hl_buf_t *o)
{
	hl_buf_reset(o);
	int rc = 0;
	char title[600];
	if (r->kind == HL_REPORT_RUN)
		snprintf(title, sizeof title, "heaplab report: %s", r->run->experiment);
	else if (r->kind == HL_REPORT_SWEEP)
		snprintf(title, sizeof title, "heaplab report: sweep of %s", r->experiment);
	else
		snprintf(title, sizeof title, "heaplab report: diagnosis of pid %lld (%s)",
			 (long long)r->diag->pid, r->diag->command);
	P("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	H(title);
	P("</title>\n<style>\n%s</style>\n</head>\n<body>\n<header><h1>", style);
	H(title);
	P("</h1><p class=\"sub\">");
	H(r->dir);
	P(" · written by heaplab report at ");
	H(r->generated);
	P("</p></header>\n");

	if (r->kind == HL_REPORT_RUN) {
		const hl_run_t *run = r->run;
		fact_t f[MAX_FACTS];
		size_t n = run_facts(run, f);
		P("<section id=\"summary\"><h2>What ran</h2>\n");
		rc = rc ? rc : html_facts(o, f, n);
		P("</section>\n");
		rc = rc ? rc : html_notes(o, r);
		hl_verdict_t v;
		hl_figures_verdict(run, &v);
		rc = rc ? rc : html_verdict(o, hl_verdict_kind_name(v.kind), v.text);
		P("<section id=\"phases\"><h2>Phases</h2>\n");
		rc = rc ? rc : html_phase_table(o, run);
		rc = rc ? rc : html_observations(o, run);
		P("</section>\n");
	} else if (r->kind == HL_REPORT_SWEEP) {
		rc = rc ? rc : html_sweep(o, r);
		rc = rc ? rc : html_notes(o, r);
	} else {
		rc = rc ? rc : html_notes(o, r);
		rc = rc ? rc : html_diag(o, r);
	}
	for (size_t i = 0; i < r->nfigs; i++)
		rc = rc ? rc : html_figure(o, &r->figs[i]);
	if (r->kind != HL_REPORT_DIAGNOSIS) {
		rc = rc ? rc : html_breakdown(o, r);
		rc = rc ? rc : html_maps(o, r);
	}
	rc = rc ? rc : html_advice(o, r);
	rc = rc ? rc : html_files(o, r);
	P("<footer>Written by heaplab report; every figure comes from the files listed above."
	  "</footer>\n</body>\n</html>\n");
	return rc;
}

/* ------------------------------------------------------------ Markdown */

static int md_bytes(hl_buf_t *o, int64_t v)
{
	char b[32];
	return hl_buf_printf(o, " %s |", bytes_str(v, b, sizeof b));
}

static int md_facts(hl_buf_t *o, const fact_t *f, size_t n)
{
	int rc = 0;
	P("| | |\n|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		P("| ");
		M(f[i].key);
		P(" | ");
		M(f[i].value);
		P(" |\n");
	}
	return rc;
}

static int md_notes(hl_buf_t *o, const hl_report_t *r)
{
	int rc = 0;
	if (!r->nnotes)
		return 0;
	P("\n## Missing or incomplete\n\n");
	for (size_t i = 0; i < r->nnotes; i++) {
		P("- ");
		M(r->notes[i]);
		P("\n");
	}
	return rc;
}

static int md_image(hl_buf_t *o, const char *alt, const char *png, const char *note)
{
	int rc = 0;
	if (png && png[0]) {
		P("![");
		M(alt);
		P("](");
		rc = rc ? rc : url(o, png);
		P(")\n");
	} else {
		P("(no PNG of this picture; report.html shows it)\n");
	}
	if (note && note[0]) {
		P("\n*");
		M(note);
		P("*\n");
	}
	return rc;
}

static int md_breakdown(hl_buf_t *o, const hl_report_t *r)
{
	hl_breakdown_t *b;
	size_t n;
	int rc = hl_report_breakdowns(r, &b, &n);
	if (rc)
		return rc;
	P("\n## What RSS is made of\n\n");
	rc = rc ? rc : md_image(o, "RSS breakdown", r->breakdown_png, NULL);
	bool seg_on[HL_BD_NSEGS] = {false};
	for (size_t i = 0; i < n; i++)
		for (int s = 0; s < HL_BD_NSEGS; s++)
			seg_on[s] |= b[i].bytes[s] >= 0;
	P("\n| |");
	for (size_t i = 0; i < n; i++) {
		P(" ");
		M(b[i].label);
		P(" |");
	}
	P("\n|---|");
	for (size_t i = 0; i < n; i++)
		P("---:|");
	P("\n");
	for (int s = 0; !rc && s < HL_BD_NSEGS; s++) {
		if (!seg_on[s])
			continue;
		P("| %s |", hl_breakdown_label((hl_bd_seg_t)s));
		for (size_t i = 0; i < n; i++)
			rc = rc ? rc : md_bytes(o, b[i].bytes[s]);
		P("\n");
	}
	P("| RSS |");
	for (size_t i = 0; i < n; i++)
		rc = rc ? rc : md_bytes(o, b[i].rss_bytes);
	P("\n");
	free(b);
	return rc;
}

static int md_advice(hl_buf_t *o, const hl_report_t *r)
{
	int rc = 0;
	char b[32];
	hl_advice_t adv[MAX_RECS];
	rec_row_t rows[MAX_RECS];
	size_t n = rec_rows(r, adv, rows);
	P("\n## Recommendations\n\n| what to do | bytes | why |\n|---|---:|---|\n");
	for (size_t i = 0; i < n; i++) {
		P("| ");
		M(rows[i].action);
		P(" | %s | ", bytes_str(rows[i].bytes, b, sizeof b));
		M(rows[i].why);
		P(" |\n");
	}
	return rc;
}

static int md_run(hl_buf_t *o, const hl_report_t *r)
{
	const hl_run_t *run = r->run;
	int rc = 0;
	fact_t f[MAX_FACTS];
	size_t n = run_facts(run, f);
	P("\n## What ran\n\n");
	rc = rc ? rc : md_facts(o, f, n);
	rc = rc ? rc : md_notes(o, r);
	hl_verdict_t v;
	hl_figures_verdict(run, &v);
	P("\n## Verdict\n\n");
	M(v.text);
	P("\n\n## Phases\n\n| phase | t | RSS | VSZ | heap | heap RSS | in use | free |\n"
	  "|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < run->nphases; i++) {
		const hl_phase_t *p = &run->phases[i];
		P("| ");
		M(p->name);
		P(" | %lld.%02llds |", (long long)(p->t_ms / 1000), (long long)(p->t_ms % 1000 / 10));
		rc = rc ? rc : md_bytes(o, p->rss_bytes);
		rc = rc ? rc : md_bytes(o, p->vsz_bytes);
		rc = rc ? rc : md_bytes(o, p->heap_bytes);
		rc = rc ? rc : md_bytes(o, p->heap_rss_bytes);
		rc = rc ? rc : md_bytes(o, in_use(p));
		rc = rc ? rc : md_bytes(o, p->mallinfo2.valid ? p->mallinfo2.fordblks : HL_UNKNOWN);
		P("\n");
	}
	if (!run->nphases)
		P("| (no phase was recorded) | | | | | | | |\n");
	return rc;
}

static int md_sweep(hl_buf_t *o, const hl_report_t *r)
{
	int rc = 0;
	P("\n## What ran\n\nA sweep of `");
	M(r->experiment);
	P("` over %zu configurations.\n\n| # | configuration | directory | status | verdict |\n"
	  "|---:|---|---|---|---|\n",
	  r->nconfigs);
	for (size_t i = 0; i < r->nconfigs; i++) {
		const hl_sweep_config_t *c = &r->configs[i];
		hl_verdict_t v = {HL_VERDICT_UNKNOWN, "n/a"};
		if (c->loaded)
			hl_figures_verdict(&c->run, &v);
		P("| %zu | ", i + 1);
		M(c->label);
		P(" | ");
		M(c->dir);
		P(" | ");
		M(c->loaded ? c->run.status : "no run.json");
		P(" | ");
		M(v.text);
		P(" |\n");
	}
	return rc ? rc : md_notes(o, r);
}

static int md_diag(hl_buf_t *o, const hl_report_t *r)
{
	const hl_diagfile_t *d = r->diag;
	int rc = 0;
	fact_t f[MAX_FACTS];
	size_t n = diag_facts(d, f);
	P("\n## What was diagnosed\n\n");
	rc = rc ? rc : md_facts(o, f, n);
	rc = rc ? rc : md_notes(o, r);
	P("\n## Verdict\n\n**");
	M(d->verdict_kind);
	P("**: ");
	M(d->verdict_text);
	P("\n\n## Parts of RSS\n\n| part | bytes |\n|---|---:|\n");
	for (size_t i = 0; i < d->nparts; i++) {
		P("| ");
		M(d->parts[i].name);
		P(" |");
		rc = rc ? rc : md_bytes(o, d->parts[i].bytes);
		P("\n");
	}
	P("| remainder |");
	rc = rc ? rc : md_bytes(o, d->remainder_bytes);
	P("\n");
	if (d->nwatch >= 2) {
		P("\n## RSS and live bytes over time\n\n");
		rc = rc ? rc : md_image(o, "RSS and live bytes over time", r->watch_png, NULL);
	}
	return rc;
}

int hl_report_markdown(const hl_report_t *r, hl_buf_t *o)
{
	hl_buf_reset(o);
	int rc = 0;
	if (r->kind == HL_REPORT_RUN) {
		P("# heaplab report: ");
		M(r->run->experiment);
	} else if (r->kind == HL_REPORT_SWEEP) {
		P("# heaplab report: sweep of ");
		M(r->experiment);
	} else {
		P("# heaplab report: diagnosis of pid %lld (", (long long)r->diag->pid);
		M(r->diag->command);
		P(")");
	}
	P("\n\n`");
	M(r->dir);
	P("`, written by heaplab report at %s. report.html has the same with the pictures "
	  "inline.\n",
	  r->generated);
	if (r->kind == HL_REPORT_RUN)
		rc = rc ? rc : md_run(o, r);
	else if (r->kind == HL_REPORT_SWEEP)
		rc = rc ? rc : md_sweep(o, r);
	else
		rc = rc ? rc : md_diag(o, r);
	for (size_t i = 0; i < r->nfigs; i++) {
		P("\n## ");
		M(r->figs[i].title);
		P("\n\n");
		rc = rc ? rc : md_image(o, r->figs[i].title, r->figs[i].png, r->figs[i].note);
	}
	rc = rc ? rc : md_breakdown(o, r);
	if (r->kind != HL_REPORT_DIAGNOSIS) {
		P("\n## Heap maps\n\n");
		if (!r->nmaps)
			P("No heap map: %s\n", no_maps(r));
		for (size_t i = 0; i < r->nmaps; i++) {
			const hl_report_map_t *m = &r->maps[i];
			P("### ");
			M(m->title);
			P("\n\n");
			if (m->valid)
				rc = rc ? rc : md_image(o, m->title, m->png, m->note);
			else {
				M(m->note);
				P("\n");
			}
			P("\n");
		}
	}
	rc = rc ? rc : md_advice(o, r);
	if (r->nfiles) {
		P("\n## Files in this directory\n\n");
		for (size_t i = 0; i < r->nfiles; i++) {
			P("- [");
			M(r->files[i]);
			P("](");
			rc = rc ? rc : url(o, r->files[i]);
			P(")\n");
		}
	}
	return rc;
}
