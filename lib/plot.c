/*
 * plot.c — writes the gnuplot scripts that draw a run's timeline and a
 * sweep's comparisons. The timeline: RSS, VSZ and the brk heap's size against
 * time from samples.tsv, "in use" (mallinfo2) as labelled points at each
 * phase, and each phase as a dashed line named on the top axis. Scripts are
 * saved beside the data (timeline.gp), so a plot in a postmortem can be
 * redrawn and restyled by hand. This file writes text only: running gnuplot
 * is the harness's job, and the numbers come from run.json and samples.tsv.
 *
 * No number goes through printf's %f: times are printed from integer
 * milliseconds and sizes as integer bytes that the script divides, so a
 * program that called setlocale() cannot write "2,5" into a script.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "heaplab.h"

int hl_plot_quote(hl_buf_t *b, const char *s)
{
	/* single quotes: gnuplot runs `command` inside double-quoted strings,
	 * and a program's name, a phase name or a path is not ours to trust */
	int rc = hl_buf_append(b, "'", 1);
	for (; *s && !rc; s++) {
		if (*s == '\'')
			rc = hl_buf_append(b, "''", 2);
		else
			rc = (unsigned char)*s < 0x20 ? hl_buf_append(b, " ", 1)
						     : hl_buf_append(b, s, 1);
	}
	return rc ? rc : hl_buf_append(b, "'", 1);
}

/* Milliseconds as seconds with three decimals, without the locale. */
static int put_seconds(hl_buf_t *b, int64_t ms)
{
	return hl_buf_printf(b, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
}

/* Appends s to dst[dstsz]; what does not fit is cut between UTF-8
 * characters and marked with an ellipsis. Returns false once cut. */
static bool cat_cut(char *dst, size_t dstsz, const char *s)
{
	size_t used = strlen(dst), n = strlen(s);
	if (used + n < dstsz) {
		memcpy(dst + used, s, n + 1);
		return true;
	}
	static const char ell[] = "…";
	if (used + sizeof ell > dstsz)
		return false;
	size_t keep = dstsz - used - sizeof ell;
	while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
		keep--; /* s[keep] would start the cut: back to a character's start */
	memcpy(dst + used, s, keep);
	memcpy(dst + used + keep, ell, sizeof ell);
	return false;
}

/* Title and subtitle. They are labels at fixed places rather than gnuplot's
 * title, which moves with the height of the phase names above the plot. */
static int titles(hl_buf_t *b, const hl_run_t *run)
{
	char t[800];
	const char *tun = run->tunables[0] ? run->tunables : "(none)";
	const char *sp = run->glibc[0] ? " " : "";
	if (!run->allocator[0] || !strcmp(run->allocator, "glibc"))
		snprintf(t, sizeof t, "%s — glibc%s%s malloc, GLIBC_TUNABLES=%s", run->experiment,
			 sp, run->glibc, tun);
	else
		snprintf(t, sizeof t, "%s — %s (on glibc%s%s), GLIBC_TUNABLES=%s", run->experiment,
			 run->allocator, sp, run->glibc, tun);
	int rc = 0;
	/* a run that ended before anything was recorded still gets a picture,
	 * which says why it is empty */
	if (run->nphases == 0 && run->nsamples <= 0)
		rc = hl_buf_printf(b, "set label 3 \"no samples and no phases were recorded\" at "
				      "graph 0.5, graph 0.5 center font \",14\" tc rgb \"#777777\"\n");
	rc = rc ? rc : hl_buf_printf(b, "set label 2 ");
	rc = rc ? rc : hl_plot_quote(b, t);
	rc = rc ? rc : hl_buf_printf(b, " at screen 0.5, screen 0.965 center font \",14\"\n");

	/* "INCOMPLETE RUN · parameters · --env · kernel, date": about one line
	 * of the 1200 px image at 10 pt (the rest is in run.json), the
	 * warning first, where it cannot be cut off */
	char params[120] = "";
	for (size_t i = 0; i < run->nparams; i++) {
		char kv[200];
		snprintf(kv, sizeof kv, "%s%s=%s", i ? " " : "", run->params[i].name,
			 run->params[i].value);
		if (!cat_cut(params, sizeof params, kv))
			break;
	}
	char tail[200];
	snprintf(tail, sizeof tail, "%s%s%s%s", run->kernel[0] ? "linux " : "", run->kernel,
		 run->kernel[0] && run->started[0] ? ", " : "", run->started);
	const char *parts[] = {run->complete ? "" : "INCOMPLETE RUN", params, run->env, tail};
	char sub[240] = "";
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (!parts[i][0])
			continue;
		if (sub[0] && !cat_cut(sub, sizeof sub, " · "))
			break;
		if (!cat_cut(sub, sizeof sub, parts[i]))
			break;
	}
	rc = rc ? rc : hl_buf_printf(b, "set label 1 ");
	rc = rc ? rc : hl_plot_quote(b, sub);
	rc = rc ? rc : hl_buf_printf(b, " at screen 0.5, screen 0.925 center font \",10\"\n");
	return rc;
}

/* Phase boundaries: a dashed line each, and the names as ticks on the top
 * axis (linked to the bottom one), where they cannot hide data. A phase
 * whose time is unknown has no place on the axis and is left out. */
static int phase_marks(hl_buf_t *b, const hl_run_t *run)
{
	int rc = 0;
	bool any = false;
	for (size_t i = 0; i < run->nphases && !rc; i++) {
		const hl_phase_t *p = &run->phases[i];
		if (p->t_ms < 0)
			continue;
		rc = hl_buf_printf(b, "%s", any ? ", " : "set x2tics scale 0 rotate by 35 left font \",10\" (");
		rc = rc ? rc : hl_plot_quote(b, p->name);
		rc = rc ? rc : hl_buf_printf(b, " ");
		rc = rc ? rc : put_seconds(b, p->t_ms);
		any = true;
	}
	/* the top axis is the bottom one, so names sit on their lines */
	rc = rc ? rc : hl_buf_printf(b, any ? ")\nset link x2\n" : "unset x2tics\n");
	for (size_t i = 0; i < run->nphases && !rc; i++) {
		const hl_phase_t *p = &run->phases[i];
		if (p->t_ms < 0)
			continue;
		rc = hl_buf_printf(b, "set arrow %zu from ", i + 10);
		rc = rc ? rc : put_seconds(b, p->t_ms);
		rc = rc ? rc : hl_buf_printf(b, ", graph 0 to ");
		rc = rc ? rc : put_seconds(b, p->t_ms);
		rc = rc ? rc : hl_buf_printf(b, ", graph 1 nohead dt 2 lw 1.5 lc rgb \"#777777\" back\n");
	}
	return rc;
}

/* "In use" at each phase, as inline data: t_ms, bytes, label. In use is
 * mallinfo2's uordblks + hblkhd, as in the phase table and the verdict
 * (figures.c): bytes handed out, mmapped chunks included. Phases without
 * mallinfo2 (another allocator) have no point. */
static int in_use_block(hl_buf_t *b, const hl_run_t *run, bool *any)
{
	int64_t labelled = -1;
	*any = false;
	int rc = hl_buf_printf(b, "# in use at each phase (mallinfo2 uordblks + hblkhd): t_ms, bytes, "
			       "label\n$inuse << EOD\n");
	for (size_t i = 0; i < run->nphases && !rc; i++) {
		const hl_phase_t *p = &run->phases[i];
		const hl_mallinfo_t *m = &p->mallinfo2;
		if (!m->valid || p->t_ms < 0 || m->uordblks < 0 || m->hblkhd < 0 ||
		    m->uordblks > INT64_MAX - m->hblkhd) /* unknown, or not a real figure */
			continue;
		int64_t use = m->uordblks + m->hblkhd;
		/* a label only where in use changed by more than a tenth, so
		 * neighbouring phases at the same level do not overprint */
		char h[48] = "\"\"";
		if (labelled < 0 || use > labelled + labelled / 10 || use < labelled - labelled / 10) {
			char u[32];
			snprintf(h, sizeof h, "\"in use %s\"", hl_units_bytes(use, u, sizeof u));
			labelled = use;
		}
		rc = hl_buf_printf(b, "%lld\t%lld\t%s\n", (long long)p->t_ms, (long long)use, h);
		*any = true;
	}
	return rc ? rc : hl_buf_printf(b, "EOD\n");
}

int hl_plot_timeline_script(const hl_run_t *run, hl_buf_t *out, hl_error_t *err)
{
	hl_buf_reset(out);
	hl_buf_t *b = out;
	int rc = hl_buf_printf(
		b, "# timeline.gp — written by heaplab; redraw with: gnuplot timeline.gp\n"
		   "# (run it in the run directory: it reads samples.tsv beside it)\n"
		   "# samples.tsv columns: 1 t_ms, 2 rss_bytes, 3 vsz_bytes, 4 heap_bytes,\n"
		   "# 5 heap_rss_bytes, 6 phase; NA = not measured\n"
		   "set encoding utf8\n"
		   "set datafile separator \"\\t\"\n"
		   "set datafile missing \"NA\"\n"
		   "MiB = 1048576.0\n"
		   "set xlabel \"time (s)\"\n"
		   "set ylabel \"memory (MiB)\"\n"
		   "set xrange [0:*]\n"
		   "set yrange [0:*]\n"
		   "set offsets 0, graph 0.02, graph 0.12, 0\n"
		   "set grid lc rgb \"#dddddd\"\n"
		   "set key outside right top vertical Left reverse\n"
		   "set tmargin 7\n");
	rc = rc ? rc : titles(b, run);
	rc = rc ? rc : phase_marks(b, run);
	bool any_in_use = false;
	rc = rc ? rc : in_use_block(b, run, &any_in_use);
	/* one invisible point at the origin keeps the ranges valid while
	 * samples.tsv has no rows yet (gnuplot stops on an empty plot) */
	rc = rc ? rc : hl_buf_printf(b, "$origin << EOD\n0\t0\nEOD\n");

	const char *plot =
		"plot $origin using 1:2 with points ps 0 notitle, \\\n"
		"     'samples.tsv' skip 1 using ($1/1000.0):($3/MiB) with lines lw 8 lc rgb "
		"\"#d0d0d0\" title \"VSZ (address space)\", \\\n"
		"     '' skip 1 using ($1/1000.0):($2/MiB) with lines lw 3 lc rgb \"#c62828\" title "
		"\"RSS (resident)\", \\\n"
		"     '' skip 1 using ($1/1000.0):($4/MiB) with lines lw 2 dt (6,4) lc rgb \"#2e7d32\" "
		"title \"brk heap size\"";
	const char *points =
		", \\\n     $inuse using ($1/1000.0):($2/MiB) with points pt 7 ps 1.6 lc rgb "
		"\"#1565c0\" title \"in use (mallinfo2)\", \\\n"
		"     $inuse using ($1/1000.0):($2/MiB):3 with labels left offset 1,0.6 font \",10\" "
		"tc rgb \"#1565c0\" notitle";
	rc = rc ? rc : hl_buf_printf(b,
				     "set terminal pngcairo size 1200,700 font \"DejaVu Sans,11\"\n"
				     "set termoption noenhanced\n"
				     "set output 'timeline.png'\n%s%s\n",
				     plot, any_in_use ? points : "");
	rc = rc ? rc : hl_buf_printf(b,
				     "set terminal svg size 1200,700 dynamic font \"DejaVu Sans,11\"\n"
				     "set termoption noenhanced\nset output 'timeline.svg'\nreplot\n"
				     "set output\n");
	if (rc)
		return hl_error_set(err, rc, "plot script: out of memory");
	return 0;
}

int hl_plot_sweep_script(const char *experiment, const hl_sweep_config_t *c, size_t n,
			 hl_buf_t *out, hl_error_t *err)
{
	hl_buf_reset(out);
	hl_buf_t *b = out;
	char title[512];
	snprintf(title, sizeof title, "%s — RSS per phase, %zu configurations", experiment, n);
	int rc = hl_buf_printf(
		b, "# sweep.gp — written by heaplab; redraw with: gnuplot sweep.gp (in this directory)\n"
		   "set encoding utf8\nset datafile separator \"\\t\"\nset datafile missing \"NA\"\n"
		   "MiB = 1048576.0\nset grid ytics lc rgb \"#dddddd\"\nset yrange [0:*]\n"
		   "set ylabel \"RSS (MiB)\"\nset key outside right top vertical Left reverse noenhanced\n"
		   "set title ");
	rc = rc ? rc : hl_plot_quote(b, title);
	rc = rc ? rc : hl_buf_printf(b, " font \",14\" noenhanced\n");
	/* config numbers in sweep-rss.tsv's header map to these titles */
	rc = rc ? rc : hl_buf_printf(b, "array label[%zu]\n", n ? n : 1);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = hl_buf_printf(b, "label[%zu] = ", i + 1);
		rc = rc ? rc : hl_plot_quote(b, c[i].label);
		rc = rc ? rc : hl_buf_printf(b, "\n");
	}
	rc = rc ? rc : hl_buf_printf(
			       b, "set style data histograms\nset style histogram clustered gap 1\n"
				  "set style fill solid 0.85 border -1\nset boxwidth 0.9\n"
				  "set xtics noenhanced\n"
				  "do for [t in \"pngcairo svg\"] {\n"
				  "  if (t eq \"svg\") { set terminal svg size 1200,700 dynamic font \"DejaVu "
				  "Sans,11\"; set output 'sweep-rss.svg' } else { set terminal pngcairo size "
				  "1200,700 font \"DejaVu Sans,11\"; set output 'sweep-rss.png' }\n"
				  "  plot for [i=2:%zu] 'sweep-rss.tsv' skip 1 using i:xtic(1) title label[i-1]\n"
				  "}\n",
			       n + 1);
	/* the timelines overlaid */
	rc = rc ? rc : hl_buf_printf(b, "set style data lines\nset xlabel \"time (s)\"\nunset xtics\n"
				     "set xtics\nset title ");
	snprintf(title, sizeof title, "%s — RSS over time per configuration", experiment);
	rc = rc ? rc : hl_plot_quote(b, title);
	rc = rc ? rc : hl_buf_printf(b, " font \",14\" noenhanced\n");
	for (int t = 0; t < 2 && !rc; t++) {
		rc = hl_buf_printf(b, t == 0 ? "set terminal pngcairo size 1200,700 font \"DejaVu "
					       "Sans,11\"\nset output 'sweep-timeline.png'\n"
					     : "set terminal svg size 1200,700 dynamic font \"DejaVu "
					       "Sans,11\"\nset output 'sweep-timeline.svg'\n");
		rc = rc ? rc : hl_buf_printf(b, "plot ");
		for (size_t i = 0; i < n && !rc; i++) {
			rc = hl_buf_printf(b, "%s", i ? ", \\\n     " : "");
			char path[200];
			snprintf(path, sizeof path, "%s/samples.tsv", c[i].dir);
			rc = rc ? rc : hl_plot_quote(b, path);
			rc = rc ? rc : hl_buf_printf(b, " skip 1 using ($1/1000):($2/MiB) lw 2 title label[%zu]",
						     i + 1);
		}
		rc = rc ? rc : hl_buf_printf(b, "\n");
	}
	rc = rc ? rc : hl_buf_printf(b, "set output\n");
	if (rc)
		return hl_error_set(err, rc, "sweep plot script: out of memory");
	return 0;
}
