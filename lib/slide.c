/*
 * slide.c — one picture per phase of a run, for a lecture (heaplab run
 * --slides): the gnuplot script of a slide (the heap map of the phase with
 * the cells changed since the previous phase tinted and the pin marked,
 * the timeline up to the phase on the run's axes, the lesson lines with
 * the run's figures as the caption; a PNG and an SVG), and the manifest
 * (slides.tsv in the run directory) that lists the slides for heaplab
 * report.
 *
 * It writes text only: the map's and the changes' matrices come from
 * heapmap.c, the caption from lesson.c, running gnuplot is the harness's.
 * As in plot.c, no number goes through %f: times are integer milliseconds
 * and sizes integer bytes that the script divides.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

static int label(hl_buf_t *b, int n, const char *text, const char *at, const char *style)
{
	int rc = hl_buf_printf(b, "set label %d ", n);
	rc = rc ? rc : hl_plot_quote(b, text);
	return rc ? rc : hl_buf_printf(b, " at %s %s noenhanced\n", at, style);
}

/* The heap map, the changes over it, the pins on it. */
static int map_panel(hl_buf_t *b, const hl_slide_t *s)
{
	int rc = hl_buf_printf(b, "set origin 0, 0.40\nset size 1, 0.48\n"
				  "set lmargin 4\nset rmargin 26\nset tmargin 1\nset bmargin 1\n"
				  "unset xtics\nunset ytics\nunset xlabel\nunset ylabel\n"
				  "set yrange [*:*] reverse\nset xrange [*:*]\n"
				  "set key at screen 0.99, screen 0.37 right bottom noenhanced\n");
	char per[32] = "n/a", t[256];
	if (s->map->cell_pages > 0 && s->map->page_bytes > 0)
		hl_units_bytes(s->map->cell_pages * s->map->page_bytes, per, sizeof per);
	snprintf(t, sizeof t, "heap map at '%s': one cell = %s%s", s->phase, per,
		 s->changes_tsv[0] ? "; darker: changed since the previous phase" : "");
	rc = rc ? rc : hl_buf_printf(b, "set title ");
	rc = rc ? rc : hl_plot_quote(b, t);
	rc = rc ? rc : hl_buf_printf(b, " noenhanced\n");
	rc = rc ? rc : hl_heapmap_plot(s->map_tsv, b);
	if (s->changes_tsv[0]) {
		/* a translucent tint over each changed cell */
		rc = rc ? rc : hl_buf_printf(b, ", \\\n     ");
		rc = rc ? rc : hl_plot_quote(b, s->changes_tsv);
		rc = rc ? rc : hl_buf_printf(b, " matrix using 1:2:(0):(0):(0):($3 > 0 ? 85 : 0) "
						"with rgbalpha title 'darker: changed since the previous phase'");
	}
	if (s->npins)
		rc = rc ? rc : hl_buf_printf(b, ", \\\n     $pin using 1:2 with points pt 9 ps 3 lc "
						"rgb '#000000' title 'pin (P)'");
	return rc ? rc : hl_buf_printf(b, "\nunset label\nunset title\n");
}

/* RSS and VSZ up to the phase, on the whole run's time axis. */
static int timeline_panel(hl_buf_t *b, const hl_slide_t *s)
{
	int rc = hl_buf_printf(b, "set origin 0, 0.13\nset size 1, 0.27\n"
				  "set lmargin 10\nset rmargin 26\nset tmargin 1\nset bmargin 3\n"
				  "set yrange [0:*] noreverse\nset xrange [0:%lld.%03lld]\n"
				  "set xtics\nset ytics\nset xlabel 'time (s)'\nset ylabel 'MiB'\n"
				  "set grid lc rgb '#dddddd'\nset key inside left top\n"
				  "set arrow 1 from %lld.%03lld, graph 0 to %lld.%03lld, graph 1 nohead dt 2 "
				  "lc rgb '#777777'\n",
			   (long long)(s->t_end_ms / 1000), (long long)(s->t_end_ms % 1000),
			   (long long)(s->t_phase_ms / 1000), (long long)(s->t_phase_ms % 1000),
			   (long long)(s->t_phase_ms / 1000), (long long)(s->t_phase_ms % 1000));
	rc = rc ? rc : hl_buf_printf(b, "plot $timeline using ($1/1000.0):($3/1048576.0) with lines "
					"lw 6 lc rgb '#d0d0d0' title 'VSZ', \\\n"
					"     $timeline using ($1/1000.0):($2/1048576.0) with lines lw 3 "
					"lc rgb '#c62828' title 'RSS'\n");
	return rc ? rc : hl_buf_printf(b, "unset arrow 1\nunset grid\n");
}

int hl_slide_script(const hl_slide_t *s, hl_buf_t *out)
{
	hl_buf_reset(out);
	hl_buf_t *b = out;
	int rc = hl_buf_printf(b, "# a slide of %s, phase '%s' (%d of %d), written by heaplab run "
				  "--slides;\n# redraw with: gnuplot THIS-FILE (in its directory)\n"
				  "set encoding utf8\nset termoption noenhanced\n",
			       s->experiment, s->phase, s->index, s->count);
	/* the data: the timeline up to the phase, the pins' cells */
	rc = rc ? rc : hl_buf_printf(b, "# samples up to the phase: t_ms, rss_bytes, vsz_bytes\n"
					"$timeline << EOD\n0\t0\t0\n");
	for (size_t i = 0; !rc && i < s->npoints; i++)
		rc = hl_buf_printf(b, "%lld\t%lld\t%lld\n", (long long)s->t_ms[i],
				   (long long)s->rss[i], (long long)s->vsz[i]);
	rc = rc ? rc : hl_buf_printf(b, "EOD\n# the pins' cells: column, row\n$pin << EOD\n");
	for (size_t i = 0; !rc && i < s->npins; i++)
		rc = hl_buf_printf(b, "%lld\t%lld\n", (long long)s->pin_col[i], (long long)s->pin_row[i]);
	rc = rc ? rc : hl_buf_printf(b, "EOD\n");
	const char *term[2][2] = {{"pngcairo size 1600,1000 font 'DejaVu Sans,12'", s->png},
				  {"svg size 1600,1000 dynamic font 'DejaVu Sans,12'", s->svg}};
	for (int t = 0; t < 2 && !rc; t++) {
		rc = hl_buf_printf(b, "set terminal %s\nset termoption noenhanced\nset output ",
				   term[t][0]);
		rc = rc ? rc : hl_plot_quote(b, term[t][1]);
		rc = rc ? rc : hl_buf_printf(b, "\nset multiplot\n");
		char head[256];
		snprintf(head, sizeof head, "%s — phase '%s' (%d of %d)", s->experiment, s->phase,
			 s->index, s->count);
		rc = rc ? rc : label(b, 1, head, "screen 0.5, screen 0.965", "center font ',18'");
		if (s->pin_text[0])
			rc = rc ? rc : label(b, 2, s->pin_text, "screen 0.5, screen 0.925",
					     "center font ',12' tc rgb '#000000'");
		for (size_t i = 0; !rc && i < s->ncaption && i < HL_SLIDE_CAPTION; i++) {
			char at[64];
			snprintf(at, sizeof at, "screen 0.02, screen 0.%03d", (int)(108 - 21 * i));
			rc = label(b, (int)(10 + i), s->caption[i], at, "left font ',12'");
		}
		/* the labels belong to the whole page: drawn with the first panel */
		if (s->map_tsv[0])
			rc = rc ? rc : map_panel(b, s);
		else
			rc = rc ? rc : hl_buf_printf(b, "set label 3 'no heap map at this phase (the walk "
							"did not succeed)' at screen 0.5, screen 0.65 "
							"center\n");
		rc = rc ? rc : timeline_panel(b, s);
		rc = rc ? rc : hl_buf_printf(b, "unset multiplot\nset output\nunset label\n");
	}
	return rc;
}

/* ------------------------------------------------------------ slides.tsv */

static int field(hl_buf_t *b, const char *s, char end)
{
	int rc = 0;
	for (; *s && !rc; s++)
		rc = hl_buf_append(b, (*s == '\t' || *s == '\n' || *s == '\r') ? " " : s, 1);
	return rc ? rc : hl_buf_append(b, &end, 1);
}

int hl_slides_row(hl_buf_t *out, const hl_slide_entry_t *e)
{
	int rc = field(out, e->phase, '\t');
	rc = rc ? rc : field(out, e->png, '\t');
	rc = rc ? rc : field(out, e->svg, '\t');
	return rc ? rc : field(out, e->caption, '\n');
}

const char hl_slides_header[] = "phase\tpng\tsvg\tcaption\n";

int hl_slides_parse(const char *buf, size_t len, hl_slide_entry_t **out, size_t *n,
		    hl_error_t *err)
{
	*out = NULL;
	*n = 0;
	const char *p = buf, *end = buf + len;
	size_t line = 0, cap = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		line++;
		if (line > 1 && eol > p) {
			const char *f[4];
			size_t fl[4];
			int k = 0;
			for (const char *q = p; k < 4;) {
				const char *tab = k < 3 ? memchr(q, '\t', (size_t)(eol - q)) : NULL;
				f[k] = q;
				fl[k] = (size_t)((tab ? tab : eol) - q);
				k++;
				if (!tab)
					break;
				q = tab + 1;
			}
			if (k != 4) {
				free(*out);
				*out = NULL;
				*n = 0;
				return hl_error_set(err, HL_EPARSE,
						    "slides.tsv line %zu: not phase, png, svg and "
						    "caption separated by tabs",
						    line);
			}
			if (*n == cap) {
				cap = cap ? cap * 2 : 8;
				hl_slide_entry_t *v = realloc(*out, cap * sizeof *v);
				if (!v) {
					free(*out);
					*out = NULL;
					*n = 0;
					return hl_error_set(err, -ENOMEM, "slides.tsv: out of memory");
				}
				*out = v;
			}
			hl_slide_entry_t *e = &(*out)[(*n)++];
			snprintf(e->phase, sizeof e->phase, "%.*s", (int)fl[0], f[0]);
			snprintf(e->png, sizeof e->png, "%.*s", (int)fl[1], f[1]);
			snprintf(e->svg, sizeof e->svg, "%.*s", (int)fl[2], f[2]);
			snprintf(e->caption, sizeof e->caption, "%.*s", (int)fl[3], f[3]);
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}
