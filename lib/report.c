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
#include "report_int.h"

#define MIB (1024 * 1024)
/* below this a figure is not worth a recommendation */
#define ADVICE_MIN_BYTES MIB
#define DEFAULT_MMAP_THRESHOLD 131072

void hl_report_note(hl_report_t *r, const char *fmt, ...)
{
	if (r->nnotes >= HL_REPORT_MAX_NOTES)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nnotes++], sizeof r->notes[0], fmt, ap);
	va_end(ap);
}

const char *report_bytes(int64_t v, char *buf, size_t sz)
{
	return hl_units_bytes(v, buf, sz);
}

int64_t report_in_use(const hl_phase_t *p)
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
		int64_t grew = report_in_use(l) >= 0 && report_in_use(f) >= 0 ? report_in_use(l) - report_in_use(f) : HL_UNKNOWN;
		add(a, grew, "Find what keeps the allocations alive",
		    "in use grew at every phase, by %s from '%s' to '%s': that memory is live, so "
		    "no allocator setting and no malloc_trim can give it back",
		    report_bytes(grew, b1, sizeof b1), f->name, l->name);
	}

	int64_t best;
	const hl_phase_t *p = MAX_WALK(run, releasable_bytes, &best);
	if (p && best >= ADVICE_MIN_BYTES) {
		add(a, best, "Call malloc_trim(0) where the program has freed a lot",
		    "at phase '%s' %s of free memory is resident and malloc_trim(0) would release "
		    "it (whole pages inside free chunks, and top above top_pad); RSS there was %s",
		    p->name, report_bytes(best, b1, sizeof b1), report_bytes(p->rss_bytes, b2, sizeof b2));
	} else if (!walked && v.kind == HL_VERDICT_RETENTION) {
		/* without a walk: the free bytes held where RSS stands furthest
		 * above in use */
		const hl_phase_t *q = NULL;
		int64_t held = 0;
		for (size_t i = 0; i < run->nphases; i++) {
			const hl_phase_t *ph = &run->phases[i];
			if (!ph->mallinfo2.valid || ph->rss_bytes < 0)
				continue;
			int64_t h = ph->rss_bytes - report_in_use(ph);
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
			    q->name, report_bytes(q->rss_bytes, b1, sizeof b1),
			    report_bytes(report_in_use(q), b2, sizeof b2), report_bytes(held, b3, sizeof b3));
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
		    pin->name, report_bytes(pinned, b1, sizeof b1));

	p = MAX_WALK(run, tcache_bytes, &best);
	if (p && best >= ADVICE_MIN_BYTES && !strstr(run->tunables, "tcache_count"))
		add(a, best, "Set glibc.malloc.tcache_count=0 (or lower)",
		    "at phase '%s' the tcache holds %s of freed chunks; glibc counts them as in use, "
		    "and malloc_trim does not release them",
		    p->name, report_bytes(best, b1, sizeof b1));
	p = MAX_WALK(run, fastbin_bytes, &best);
	if (p && best >= ADVICE_MIN_BYTES && !strstr(run->tunables, "mxfast"))
		add(a, best, "Let fastbins be consolidated, or set glibc.malloc.mxfast=0",
		    "at phase '%s' fastbins hold %s of small freed chunks, unmerged until a large "
		    "malloc or malloc_trim consolidates them",
		    p->name, report_bytes(best, b1, sizeof b1));
	p = MAX_WALK(run, mmap_threshold, &best);
	if (p && best > DEFAULT_MMAP_THRESHOLD && !strstr(run->tunables, "mmap_threshold"))
		add(a, best, "Fix the mmap threshold: glibc.malloc.mmap_threshold=131072",
		    "at phase '%s' mmap_threshold has drifted to %s (it starts at 128 KiB): blocks "
		    "below it now come from the heap, where they stay after free() instead of going "
		    "back to the kernel",
		    p->name, report_bytes(best, b1, sizeof b1));

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
		    ar->name, most, report_bytes(other, b1, sizeof b1),
		    report_bytes(ar->vsz_bytes, b2, sizeof b2));

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
		    plo->name, report_bytes(plo->rss_bytes, b1, sizeof b1),
		    report_bytes(phi->rss_bytes, b2, sizeof b2), hi->label,
		    report_bytes(spread, b3, sizeof b3));
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

/* ------------------------------------------------------------ facts */

void report_fact(fact_t *f, size_t *n, const char *key, const char *fmt, ...)
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

void report_fact_bytes(fact_t *f, size_t *n, const char *key, int64_t v)
{
	char h[32];
	if (v < 0)
		report_fact(f, n, key, "n/a");
	else
		report_fact(f, n, key, "%s (%lld bytes)", report_bytes(v, h, sizeof h), (long long)v);
}

size_t report_run_facts(const hl_run_t *run, fact_t *f)
{
	size_t n = 0;
	char params[1024] = "";
	for (size_t i = 0; i < run->nparams; i++) {
		size_t l = strlen(params);
		snprintf(params + l, sizeof params - l, "%s%s=%s", i ? " " : "", run->params[i].name,
			 run->params[i].value);
	}
	report_fact(f, &n, "experiment", "%s", run->experiment);
	report_fact(f, &n, "program", "%s", run->program);
	report_fact(f, &n, "parameters", "%s", params);
	report_fact(f, &n, "allocator", "%s", run->allocator);
	report_fact(f, &n, "glibc", "%s", run->glibc);
	report_fact(f, &n, "kernel", "%s", run->kernel);
	report_fact(f, &n, "GLIBC_TUNABLES", "%s", run->tunables);
	report_fact(f, &n, "environment", "%s", run->env);
	report_fact(f, &n, "started", "%s", run->started);
	report_fact(f, &n, "sampling interval", "%lld ms%s", (long long)run->interval_ms,
	     run->interval_ms == 0 ? " (at phases only)" : "");
	report_fact(f, &n, "status", "%s%s", run->status, run->complete ? "" : " (incomplete)");
	if (run->exit_code == -1 && !run->complete)
		report_fact(f, &n, "exit code", "n/a");
	else
		report_fact(f, &n, "exit code", "%d", run->exit_code);
	report_fact(f, &n, "duration", "%lld ms, %lld samples", (long long)run->duration_ms,
	     (long long)run->nsamples);
	for (size_t i = 0; i < run->nphases; i++)
		if (run->phases[i].walk_valid) {
			report_fact(f, &n, "heap walk", "%s", run->phases[i].walk.method);
			break;
		}
	return n;
}

size_t report_diag_facts(const hl_diagfile_t *d, fact_t *f)
{
	size_t n = 0;
	report_fact(f, &n, "pid", "%lld", (long long)d->pid);
	report_fact(f, &n, "command", "%s", d->command);
	report_fact(f, &n, "time", "%s", d->time);
	report_fact(f, &n, "glibc", "%s", d->glibc[0] ? d->glibc : "n/a");
	report_fact(f, &n, "kernel", "%s", d->kernel);
	if (d->method[0])
		report_fact(f, &n, "heap walk", "%s", d->method);
	if (d->threads >= 0)
		report_fact(f, &n, "threads", "%lld", (long long)d->threads);
	else
		report_fact(f, &n, "threads", "n/a");
	report_fact_bytes(f, &n, "RSS", d->rss_bytes);
	report_fact_bytes(f, &n, "mmap_threshold", d->mmap_threshold);
	report_fact_bytes(f, &n, "trim_threshold", d->trim_threshold);
	if (d->releasable_bytes >= 0)
		report_fact_bytes(f, &n, "releasable by malloc_trim", d->releasable_bytes);
	return n;
}

size_t report_rec_rows(const hl_report_t *r, hl_advice_t *adv, rec_row_t *rows)
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

const char *report_no_maps(const hl_report_t *r)
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

void report_rx_intro(const hl_prescription_t *x, char *out, size_t sz)
{
	char a[32], b[32];
	snprintf(out, sz,
		 "The trace %s replayed as it is (baseline: RSS %s at its peak, %s at its end, "
		 "%.2f s) and under each candidate, ranked by the RSS saved at the end.%s",
		 x->trace, report_bytes(x->base_peak, a, sizeof a),
		 report_bytes(x->base_end, b, sizeof b), x->base_wall,
		 x->trace_complete ? "" : " The trace was cut short: its valid part was replayed.");
}
