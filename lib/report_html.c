/*
 * report_html.c — report.html: one self-contained page (inline SVG charts,
 * no script, nothing fetched) from what report.c gathered.
 */
#include "report_int.h"

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
int report_url(hl_buf_t *o, const char *s)
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
		  report_bytes(v, b, sizeof b));
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
		rc = rc ? rc : cell_bytes(o, report_in_use(p));
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

static int html_maps(hl_buf_t *o, const hl_report_t *r)
{
	int rc = 0;
	P("<section id=\"heapmaps\"><h2>Heap maps</h2>\n");
	if (!r->nmaps) {
		P("<p class=\"missing\">No heap map: %s</p></section>\n", report_no_maps(r));
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


static int html_advice(hl_buf_t *o, const hl_report_t *r)
{
	int rc = 0;
	hl_advice_t adv[MAX_RECS];
	rec_row_t rows[MAX_RECS];
	size_t n = report_rec_rows(r, adv, rows);
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

/* heaplab run --slides: one picture per phase, linked, with its caption. */
static int html_slides(hl_buf_t *o, const hl_report_t *r)
{
	int rc = 0;
	if (!r->nslides)
		return 0;
	P("<section id=\"slides\"><h2>Slides</h2>\n<p>One picture per phase (heaplab run "
	  "--slides): the heap map with the pin and the changes since the previous phase, the "
	  "timeline up to the phase, the lesson as its caption.</p>\n<ol>\n");
	for (size_t i = 0; i < r->nslides; i++) {
		const hl_slide_entry_t *e = &r->slides[i];
		P("<li><b>");
		H(e->phase);
		P("</b>: <a href=\"");
		rc = rc ? rc : report_url(o, e->png);
		P("\">PNG</a> · <a href=\"");
		rc = rc ? rc : report_url(o, e->svg);
		P("\">SVG</a><br>");
		H(e->caption);
		P("</li>\n");
	}
	P("</ol></section>\n");
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
		rc = rc ? rc : report_url(o, r->files[i]);
		P("\">");
		H(r->files[i]);
		P("</a></li>\n");
	}
	P("</ul></section>\n");
	return rc;
}

/* heaplab prescribe's ranking: what each fix saved, measured on replays */
static int html_prescription(hl_buf_t *o, const hl_prescription_t *x)
{
	int rc = 0;
	char intro[1024];
	report_rx_intro(x, intro, sizeof intro);
	P("<section id=\"prescription\"><h2>Which fix gives memory back</h2>\n<p>");
	H(intro);
	P("</p>\n");
	P("<table><tr><th>candidate</th><th>setting</th><th class=\"num\">RSS at peak</th>"
	  "<th class=\"num\">RSS at end</th><th class=\"num\">saves</th>"
	  "<th class=\"num\">wall</th><th class=\"num\">cpu</th></tr>\n");
	for (size_t i = 0; i < x->n; i++) {
		const hl_prescription_row_t *w = &x->rows[i];
		P("<tr><td>");
		H(w->name);
		P("</td><td>");
		H(w->skipped[0] ? w->skipped : w->setting);
		P("</td>");
		if (w->skipped[0]) {
			P("<td colspan=\"5\">skipped</td></tr>\n");
			continue;
		}
		rc = rc ? rc : cell_bytes(o, w->peak);
		rc = rc ? rc : cell_bytes(o, w->end);
		if (w->saving > 0)
			rc = rc ? rc : cell_bytes(o, w->saving);
		else
			P("<td class=\"num\">none</td>");
		P("<td class=\"num\">%.2fx</td><td class=\"num\">%.2fx</td></tr>\n", w->wall_ratio,
		  w->cpu_ratio);
	}
	P("</table>\n</section>\n");
	return rc;
}

static int html_sweep(hl_buf_t *o, const hl_report_t *r)
{
	int rc = 0;
	fact_t f[MAX_FACTS];
	size_t n = 0;
	report_fact(f, &n, "experiment", "%s", r->experiment);
	report_fact(f, &n, "configurations", "%zu", r->nconfigs);
	for (size_t i = 0; i < r->nconfigs; i++)
		if (r->configs[i].loaded) {
			const hl_run_t *run = &r->configs[i].run;
			report_fact(f, &n, "glibc", "%s", run->glibc);
			report_fact(f, &n, "kernel", "%s", run->kernel);
			report_fact(f, &n, "started", "%s", run->started);
			break;
		}
	if (r->rx)
		rc = rc ? rc : html_prescription(o, r->rx);
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
		rc = rc ? rc : report_url(o, c->dir);
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
	size_t n = report_diag_facts(d, f);
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
		  report_bytes(d->trim_predicted_bytes, b1, sizeof b1),
		  report_bytes(d->trim_rss_before, b2, sizeof b2),
		  report_bytes(d->trim_rss_after, b3, sizeof b3), report_bytes(got, b4, sizeof b4));
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
		snprintf(title, sizeof title, "heaplab report: %s%s", r->rx ? "prescription for " : "sweep of ",
			 r->rx ? r->rx->trace : r->experiment);
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
		size_t n = report_run_facts(run, f);
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
	rc = rc ? rc : html_slides(o, r);
	rc = rc ? rc : html_advice(o, r);
	rc = rc ? rc : html_files(o, r);
	P("<footer>Written by heaplab report; every figure comes from the files listed above."
	  "</footer>\n</body>\n</html>\n");
	return rc;
}

