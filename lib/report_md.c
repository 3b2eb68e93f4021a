/*
 * report_md.c — report.md: the Markdown twin of report.html, with PNGs
 * beside it.
 */
#include "report_int.h"

/* ------------------------------------------------------------ Markdown */

static int md_bytes(hl_buf_t *o, int64_t v)
{
	char b[32];
	return hl_buf_printf(o, " %s |", report_bytes(v, b, sizeof b));
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
		rc = rc ? rc : report_url(o, png);
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
	size_t n = report_rec_rows(r, adv, rows);
	P("\n## Recommendations\n\n| what to do | bytes | why |\n|---|---:|---|\n");
	for (size_t i = 0; i < n; i++) {
		P("| ");
		M(rows[i].action);
		P(" | %s | ", report_bytes(rows[i].bytes, b, sizeof b));
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
	size_t n = report_run_facts(run, f);
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
		rc = rc ? rc : md_bytes(o, report_in_use(p));
		rc = rc ? rc : md_bytes(o, p->mallinfo2.valid ? p->mallinfo2.fordblks : HL_UNKNOWN);
		P("\n");
	}
	if (!run->nphases)
		P("| (no phase was recorded) | | | | | | | |\n");
	return rc;
}

static int md_prescription(hl_buf_t *o, const hl_prescription_t *x)
{
	int rc = 0;
	char a[32], b[32], c[32], intro[1024];
	report_rx_intro(x, intro, sizeof intro);
	P("\n## Which fix gives memory back\n\n");
	M(intro);
	P("\n\n");
	P("| candidate | setting | RSS at peak | RSS at end | saves | wall | cpu |\n"
	  "|---|---|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < x->n; i++) {
		const hl_prescription_row_t *w = &x->rows[i];
		P("| ");
		M(w->name);
		P(" | ");
		M(w->skipped[0] ? w->skipped : w->setting);
		if (w->skipped[0]) {
			P(" | skipped | | | | |\n");
			continue;
		}
		P(" | %s | %s | %s | %.2fx | %.2fx |\n", report_bytes(w->peak, a, sizeof a),
		  report_bytes(w->end, b, sizeof b),
		  w->saving > 0 ? report_bytes(w->saving, c, sizeof c) : "none", w->wall_ratio,
		  w->cpu_ratio);
	}
	return rc;
}

static int md_sweep(hl_buf_t *o, const hl_report_t *r)
{
	int rc = 0;
	if (r->rx)
		rc = rc ? rc : md_prescription(o, r->rx);
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
	size_t n = report_diag_facts(d, f);
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
		P("# heaplab report: %s", r->rx ? "prescription for " : "sweep of ");
		M(r->rx ? r->rx->trace : r->experiment);
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
			P("No heap map: %s\n", report_no_maps(r));
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
	if (r->nslides) {
		P("\n## Slides\n\nOne picture per phase (heaplab run --slides).\n\n");
		for (size_t i = 0; i < r->nslides; i++) {
			P("%zu. **", i + 1);
			M(r->slides[i].phase);
			P("**: [PNG](");
			rc = rc ? rc : report_url(o, r->slides[i].png);
			P(") · [SVG](");
			rc = rc ? rc : report_url(o, r->slides[i].svg);
			P(") — ");
			M(r->slides[i].caption);
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
			rc = rc ? rc : report_url(o, r->files[i]);
			P(")\n");
		}
	}
	return rc;
}

