/*
 * slides.c — `heaplab run --slides DIR`: a picture per phase, for a
 * lecture. At each phase (the program waits there, walked by --walk) it
 * writes the phase's heap map, the cells changed since the previous phase
 * and where the pins are; after the run, each slide's gnuplot script
 * (lib/slide.c: the map with the changes and the pin marked, the timeline
 * up to the phase, the lesson lines of the experiment filled with this
 * run's figures as the caption), drawn as PNG and SVG, and slides.tsv in
 * the run directory, which heaplab report links.
 *
 * It keeps one walk at a time (the previous phase's) to compare with.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define MAX_POINTS 2000 /* timeline samples per slide, at most */

int slides_open(slides_t *s, const char *dir, const exp_desc_t *d, hl_error_t *err)
{
	memset(s, 0, sizeof *s);
	snprintf(s->dir, sizeof s->dir, "%s", dir);
	int rc = outdir_fresh(dir, "--slides", false, err);
	if (rc)
		return rc;
	if (!d)
		return 0;
	s->lesson = calloc(1, sizeof *s->lesson);
	if (!s->lesson)
		return hl_error_set(err, -ENOMEM, "out of memory");
	return catalogue_lesson(d, s->lesson, err);
}

int slides_start(slides_t *s, hl_error_t *err)
{
	return outdir_fresh(s->dir, "--slides", true, err);
}

void slides_free(slides_t *s)
{
	if (s->have_prev)
		hl_walk_free(&s->prev);
	s->have_prev = false;
	free(s->ph);
	free(s->lesson);
	s->ph = NULL;
	s->lesson = NULL;
	s->nph = 0;
}

void slides_phase(slides_t *s, size_t i, const char *phase, hl_walk_t *w)
{
	slide_phase_t *v = realloc(s->ph, (i + 1) * sizeof *v);
	if (!v) {
		hl_walk_free(w);
		return;
	}
	s->ph = v;
	for (; s->nph <= i; s->nph++)
		memset(&s->ph[s->nph], 0, sizeof s->ph[0]);
	slide_phase_t *p = &s->ph[i];
	snprintf(p->base, sizeof p->base, "%02zu-%s", i + 1, phase);
	hl_buf_t b = {0};
	hl_error_t err = {0};
	char name[160];
	snprintf(name, sizeof name, "%s-map.tsv", p->base);
	if (hl_heapmap_tsv(w, hl_procfs_page_size(), HL_HEAPMAP_MAX_ROWS, &b, &p->info) == 0 &&
	    hl_file_write(s->dir, name, b.data, b.len, false, &err) == 0)
		p->mapped = true;
	else if (err.msg[0])
		say_error("slide of phase '%s': %s", phase, err.msg);
	if (p->mapped && s->have_prev) {
		snprintf(name, sizeof name, "%s-changes.tsv", p->base);
		p->changes = hl_heapmap_changes_tsv(w, &s->prev, &p->info, &b, &p->nchanged) == 0 &&
			     hl_file_write(s->dir, name, b.data, b.len, false, &err) == 0;
	}
	hl_buf_free(&b);
	/* the pins and their cells */
	hl_heap_pin_t pins[16];
	size_t n = hl_heap_pins(w, NULL, pins, 16);
	for (size_t k = 0; k < n && p->npins < 4; k++)
		if (hl_heapmap_locate(w, &p->info, pins[k].first, &p->pin_row[p->npins],
				      &p->pin_col[p->npins]))
			p->pins[p->npins++] = pins[k];
	if (s->have_prev)
		hl_walk_free(&s->prev);
	s->prev = *w;
	s->have_prev = true;
	memset(w, 0, sizeof *w);
}

/* Lines longer than a slide's width, cut between words into two. */
static size_t caption(slides_t *s, const hl_run_t *run, size_t i, char (*out)[HL_LESSON_TEXT])
{
	const hl_phase_t *ph = &run->phases[i];
	const slide_phase_t *p = &s->ph[i];
	hl_lesson_figs_t f;
	hl_lesson_figs_phase(&f, ph, i ? &run->phases[i - 1] : NULL);
	f.params = run->params;
	f.nparams = run->nparams;
	if (p->npins) {
		f.have_pin = true;
		f.pin_addr = p->pins[0].first;
		f.pin_bytes = p->pins[0].bytes;
	}
	char lines[HL_SLIDE_CAPTION][HL_LESSON_TEXT];
	size_t n = 0;
	if (s->lesson)
		n = hl_lesson_lines(s->lesson, ph->name, &f, lines, HL_SLIDE_CAPTION);
	if (!n) {
		char r[32], l[32];
		snprintf(lines[0], sizeof lines[0], "phase '%s': RSS %s, live %s", ph->name,
			 hl_units_bytes(ph->rss_bytes, r, sizeof r),
			 ph->walk_valid ? hl_units_bytes(ph->walk.live_bytes, l, sizeof l) : "unknown");
		n = 1;
	}
	size_t rows = 0;
	for (size_t k = 0; k < n && rows < HL_SLIDE_CAPTION; k++) {
		const char *t = lines[k];
		size_t len = strlen(t), cut = len;
		if (len > 150) {
			cut = 150;
			while (cut > 60 && t[cut] != ' ')
				cut--;
		}
		snprintf(out[rows++], HL_LESSON_TEXT, "%.*s", (int)cut, t);
		if (cut < len && rows < HL_SLIDE_CAPTION)
			snprintf(out[rows++], HL_LESSON_TEXT, "   %s", t + cut + 1);
	}
	return rows;
}

/* A path for slides.tsv: relative to the run directory when DIR is in it. */
static void manifest_path(const char *run_dir, const char *dir, const char *name, char *out,
			  size_t n)
{
	char a[PATH_MAX], b[PATH_MAX];
	if (realpath(run_dir, a) && realpath(dir, b)) {
		size_t k = strlen(a);
		if (!strncmp(a, b, k) && (b[k] == '/' || b[k] == '\0')) {
			snprintf(out, n, "%s%s%s", b[k] ? b + k + 1 : "", b[k] ? "/" : "", name);
			return;
		}
		snprintf(out, n, "%s/%s", b, name);
		return;
	}
	snprintf(out, n, "%s/%s", dir, name);
}

int slides_finish(slides_t *s, const char *run_dir, const hl_run_t *run, hl_error_t *err)
{
	if (!plot_have_gnuplot())
		return hl_error_set(err, -ENOENT, "gnuplot is not installed, so no slide was drawn "
						  "(apt-get install gnuplot-nox)");
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/samples.tsv", run_dir);
	hl_buf_t b = {0}, man = {0};
	hl_samples_t smp = {0};
	if (hl_file_read(path, &b, NULL) == 0)
		hl_samples_parse(b.data, b.len, &smp, NULL);
	int64_t *t = calloc(MAX_POINTS, sizeof *t), *rss = calloc(MAX_POINTS, sizeof *rss),
		*vsz = calloc(MAX_POINTS, sizeof *vsz);
	int64_t end = run->duration_ms > 0 ? run->duration_ms : 1;
	hl_buf_printf(&man, "%s", hl_slides_header);
	int drawn = 0, rc = 0;
	size_t nph = s->nph < run->nphases ? s->nph : run->nphases;
	for (size_t i = 0; t && rss && vsz && i < nph; i++) {
		const hl_phase_t *ph = &run->phases[i];
		slide_phase_t *p = &s->ph[i];
		if (!p->base[0])
			continue; /* a phase that was not walked */
		/* the samples up to the phase, every k-th to fit MAX_POINTS */
		size_t upto = 0;
		while (upto < smp.n && smp.v[upto].t_ms <= ph->t_ms)
			upto++;
		size_t step = upto / MAX_POINTS + 1, np = 0;
		for (size_t k = 0; k < upto && np < MAX_POINTS; k += step, np++) {
			t[np] = smp.v[k].t_ms;
			rss[np] = smp.v[k].rss_bytes;
			vsz[np] = smp.v[k].vsz_bytes;
		}
		char lines[HL_SLIDE_CAPTION][HL_LESSON_TEXT];
		char map[160], chg[160], png[160], svg[160], gp[160];
		snprintf(map, sizeof map, "%s-map.tsv", p->base);
		snprintf(chg, sizeof chg, "%s-changes.tsv", p->base);
		snprintf(png, sizeof png, "%s.png", p->base);
		snprintf(svg, sizeof svg, "%s.svg", p->base);
		snprintf(gp, sizeof gp, "%s.gp", p->base);
		hl_slide_t sl = {
			.experiment = run->experiment, .phase = ph->name,
			.index = (int)i + 1, .count = (int)run->nphases,
			.map = &p->info, .map_tsv = p->mapped ? map : "",
			.changes_tsv = p->changes ? chg : "",
			.pin_col = p->pin_col, .pin_row = p->pin_row, .npins = p->npins,
			.t_ms = t, .rss = rss, .vsz = vsz, .npoints = np,
			.t_phase_ms = ph->t_ms, .t_end_ms = end,
			.caption = lines, .ncaption = caption(s, run, i, lines),
			.png = png, .svg = svg,
		};
		char pb[32];
		if (p->npins)
			snprintf(sl.pin_text, sizeof sl.pin_text, "pin (P): %s at 0x%llx",
				 hl_units_bytes(p->pins[0].bytes, pb, sizeof pb),
				 (unsigned long long)p->pins[0].first);
		if (p->changes) {
			size_t used = strlen(sl.pin_text);
			snprintf(sl.pin_text + used, sizeof sl.pin_text - used,
				 "%s%lld cells changed since '%s'", used ? "  ·  " : "",
				 (long long)p->nchanged, run->phases[i - 1].name);
		}
		if (hl_slide_script(&sl, &b)) {
			rc = hl_error_set(err, -ENOMEM, "slides: out of memory");
			break;
		}
		if ((rc = hl_file_write(s->dir, gp, b.data, b.len, false, err)))
			break;
		if (plot_gnuplot(s->dir, gp, true)) {
			say_error("gnuplot failed on %s/%s", s->dir, gp);
			continue;
		}
		drawn++;
		hl_slide_entry_t e;
		memset(&e, 0, sizeof e);
		snprintf(e.phase, sizeof e.phase, "%s", ph->name);
		manifest_path(run_dir, s->dir, png, e.png, sizeof e.png);
		manifest_path(run_dir, s->dir, svg, e.svg, sizeof e.svg);
		for (size_t k = 0; k < sl.ncaption; k++) {
			size_t used = strlen(e.caption);
			snprintf(e.caption + used, sizeof e.caption - used, "%s%s", k ? " / " : "",
				 lines[k]);
		}
		hl_slides_row(&man, &e);
	}
	if (!rc && drawn) {
		hl_error_t werr = {0};
		if (hl_file_write(run_dir, "slides.tsv", man.data, man.len, false, &werr))
			say_error("%s", werr.msg);
	}
	free(t);
	free(rss);
	free(vsz);
	hl_samples_free(&smp);
	hl_buf_free(&b);
	hl_buf_free(&man);
	return rc ? rc : drawn;
}
