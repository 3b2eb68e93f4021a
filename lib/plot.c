/*
 * plot.c — writes the gnuplot script that draws a run's timeline: RSS, VSZ
 * and the brk heap's size against time from samples.tsv, "in use"
 * (mallinfo2) as labelled points at each phase, and the phases as dashed
 * lines. The script is saved beside the data (timeline.gp), so a plot in a
 * postmortem can be redrawn and restyled by hand. Running gnuplot is the
 * harness's job, not this file's.
 */
#include <stdio.h>
#include <string.h>

#include "heaplab.h"

/* s as a gnuplot double-quoted string. */
static int gp_str(hl_buf_t *b, const char *s)
{
	int rc = hl_buf_append(b, "\"", 1);
	for (; *s && !rc; s++) {
		if (*s == '"' || *s == '\\')
			rc = hl_buf_append(b, "\\", 1);
		if (!rc)
			rc = *s == '\n' ? hl_buf_append(b, " ", 1) : hl_buf_append(b, s, 1);
	}
	return rc ? rc : hl_buf_append(b, "\"", 1);
}

static int title(hl_buf_t *b, const hl_run_t *run)
{
	char t[1024], params[512] = "";
	for (size_t i = 0; i < run->nparams; i++) {
		size_t used = strlen(params);
		snprintf(params + used, sizeof params - used, "%s%s=%s", i ? " " : "",
			 run->params[i].name, run->params[i].value);
	}
	const char *tun = run->tunables[0] ? run->tunables : "(none)";
	if (!run->allocator[0] || !strcmp(run->allocator, "glibc"))
		snprintf(t, sizeof t, "%s — glibc %s malloc, GLIBC_TUNABLES=%s", run->experiment,
			 run->glibc, tun);
	else
		snprintf(t, sizeof t, "%s — %s (on glibc %s), GLIBC_TUNABLES=%s", run->experiment,
			 run->allocator, run->glibc, tun);
	/* title and subtitle as labels at fixed places: gnuplot's own title
	 * moves with the height of the phase names above the plot */
	int rc = hl_buf_printf(b, "set label 2 ");
	rc = rc ? rc : gp_str(b, t);
	rc = rc ? rc : hl_buf_printf(b, " at screen 0.5, screen 0.965 center font \",14\"\n");
	char sub[1024];
	snprintf(sub, sizeof sub, "%s%s%s%slinux %s, %s%s", params, params[0] ? " · " : "",
		 run->env, run->env[0] ? " · " : "", run->kernel, run->started,
		 run->complete ? "" : " · INCOMPLETE RUN");
	rc = rc ? rc : hl_buf_printf(b, "set label 1 ");
	rc = rc ? rc : gp_str(b, sub);
	rc = rc ? rc : hl_buf_printf(b, " at screen 0.5, screen 0.925 center font \",10\"\n");
	return rc;
}

int hl_plot_timeline_script(const hl_run_t *run, hl_buf_t *out, hl_error_t *err)
{
	hl_buf_reset(out);
	hl_buf_t *b = out;
	int rc = hl_buf_printf(
		b, "# timeline.gp — written by heaplab; redraw with: gnuplot timeline.gp\n"
		   "# (run it in the run directory: it reads samples.tsv beside it)\n"
		   "set encoding utf8\n"
		   "set datafile separator \"\\t\"\n"
		   "set datafile missing \"NA\"\n"
		   "MiB = 1048576.0\n"
		   "set xlabel \"time (s)\"\n"
		   "set ylabel \"MiB\"\n"
		   "set yrange [0:*]\n"
		   "set offsets 0, graph 0.02, graph 0.12, 0\n"
		   "set grid lc rgb \"#dddddd\"\n"
		   "set key outside right top vertical Left reverse\n"
		   "set tmargin 7\n");
	rc = rc ? rc : title(b, run);

	/* Phase boundaries: a dashed line each, and the names as ticks on the
	 * top axis (linked to the bottom one), where they cannot hide data. */
	rc = rc ? rc : hl_buf_printf(b, "set link x2\nset x2tics scale 0 rotate by 35 left font \",10\" (");
	for (size_t i = 0; i < run->nphases && !rc; i++) {
		const hl_phase_t *p = &run->phases[i];
		rc = hl_buf_printf(b, "%s", i ? ", " : "");
		rc = rc ? rc : gp_str(b, p->name);
		rc = rc ? rc : hl_buf_printf(b, " %.3f", (double)p->t_ms / 1000.0);
	}
	rc = rc ? rc : hl_buf_printf(b, ")\n");
	for (size_t i = 0; i < run->nphases && !rc; i++) {
		double t = (double)run->phases[i].t_ms / 1000.0;
		rc = hl_buf_printf(b,
				   "set arrow %zu from %.3f, graph 0 to %.3f, graph 1 nohead dt 2 lw 1.5 "
				   "lc rgb \"#777777\" back\n",
				   i + 10, t, t);
	}

	/* In use at each phase (mallinfo2: uordblks + hblkhd), inline data. */
	bool any_in_use = false;
	int64_t labelled = -1;
	rc = rc ? rc : hl_buf_printf(b, "$inuse << EOD\n");
	for (size_t i = 0; i < run->nphases && !rc; i++) {
		const hl_phase_t *p = &run->phases[i];
		if (!p->mallinfo2.valid)
			continue;
		int64_t use = p->mallinfo2.uordblks + p->mallinfo2.hblkhd;
		/* a label only where in use changed by more than a tenth, so
		 * neighbouring phases at the same level do not overprint */
		char h[48] = "\"\"";
		if (labelled < 0 || use > labelled + labelled / 10 || use < labelled - labelled / 10) {
			char u[32];
			snprintf(h, sizeof h, "\"in use %s\"", hl_units_bytes(use, u, sizeof u));
			labelled = use;
		}
		rc = hl_buf_printf(b, "%.3f\t%.3f\t%s\n", (double)p->t_ms / 1000.0,
				   (double)use / 1048576.0, h);
		any_in_use = true;
	}
	rc = rc ? rc : hl_buf_printf(b, "EOD\n");

	const char *plot =
		"plot 'samples.tsv' skip 1 using ($1/1000):($3/MiB) with lines lw 8 lc rgb "
		"\"#d0d0d0\" title \"VSZ (address space)\", \\\n"
		"     '' skip 1 using ($1/1000):($2/MiB) with lines lw 3 lc rgb \"#c62828\" title "
		"\"RSS (resident)\", \\\n"
		"     '' skip 1 using ($1/1000):($4/MiB) with lines lw 2 dt (6,4) lc rgb \"#2e7d32\" "
		"title \"brk heap size\"";
	const char *points =
		", \\\n     $inuse using 1:2 with points pt 7 ps 1.6 lc rgb \"#1565c0\" title "
		"\"in use (mallinfo2)\", \\\n"
		"     $inuse using 1:2:3 with labels left offset 1,0.6 font \",10\" tc rgb "
		"\"#1565c0\" notitle";
	rc = rc ? rc : hl_buf_printf(b,
				     "set terminal pngcairo size 1200,700 enhanced font \"DejaVu "
				     "Sans,11\"\nset termoption noenhanced\n"
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
	rc = rc ? rc : gp_str(b, title);
	rc = rc ? rc : hl_buf_printf(b, " font \",14\" noenhanced\n");
	/* config numbers in sweep-rss.tsv's header map to these titles */
	rc = rc ? rc : hl_buf_printf(b, "array label[%zu]\n", n ? n : 1);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = hl_buf_printf(b, "label[%zu] = ", i + 1);
		rc = rc ? rc : gp_str(b, c[i].label);
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
	rc = rc ? rc : gp_str(b, title);
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
			rc = rc ? rc : gp_str(b, path);
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
