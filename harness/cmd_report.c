/*
 * cmd_report.c — `heaplab report DIR`: turns a run directory (heaplab run,
 * heapview --record), a sweep directory or a diagnosis directory into
 * report.html (one self-contained page: SVG inline, no script, nothing
 * fetched) and report.md (its Markdown twin, with PNGs beside it). The text
 * is lib/report.c's; this file finds and reads the directory's files, draws
 * the report's own pictures with gnuplot, and writes the result.
 *
 * It writes only report.html, report.md and files named report-* (their
 * gnuplot scripts, data and PNGs), never anything the run recorded; a
 * directory that already has a report is refused unless --force. Bad input
 * (no such directory, not one heaplab wrote, a damaged record) is said
 * before anything is written.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define MAX_FILES 4096

typedef struct report_ctx {
	const char *dir;
	hl_report_t r;
	hl_run_t run;
	hl_sweep_config_t *configs;
	size_t nconfigs;
	char experiment[64];
	hl_prescription_t rx; /* a prescribe directory's prescribe.json */
	hl_diagfile_t diag;
	bool gnuplot;      /* gnuplot is installed */
	int png_failed;    /* PNGs gnuplot did not draw */
	int write_failed;  /* files that could not be written */
	hl_slide_entry_t *slide_v; /* slides.tsv read back, owned here */
} report_ctx_t;

static void report_usage(FILE *f)
{
	fprintf(f,
		"usage: heaplab report [--force] DIR\n\n"
		"Writes DIR/report.html, one page that needs nothing else (charts inline as\n"
		"SVG, no script, nothing fetched), and DIR/report.md, its Markdown twin with\n"
		"the PNGs beside it. DIR is a run directory (heaplab run, heapview --record),\n"
		"a sweep directory (heaplab sweep) or a diagnosis (heaplab diagnose --out).\n\n"
		"The report holds what ran and on what, the verdict, the phase table, the\n"
		"timeline, what RSS is made of at each phase (stacked bars), a heap map at\n"
		"each phase the run walked (heaplab run --walk), and recommendations with\n"
		"the bytes at stake; whatever the directory lacks is said in the report.\n\n"
		"It writes report.html, report.md and report-* files only, never a file the\n"
		"run recorded.\n\n"
		"  --force   write the report again over an earlier one (replaces only\n"
		"            report.html, report.md and the report-* files)\n");
}

static bool exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static bool is_dir(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists_file(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

/* Whether dir holds any file of a report (report.html, report.md,
 * report-*), the first one's name into name. */
static bool report_files(const char *dir, char *name, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool any = false;
	while (d && !any && (e = readdir(d)))
		if (!strcmp(e->d_name, "report.html") || !strcmp(e->d_name, "report.md") ||
		    !strncmp(e->d_name, "report-", 7)) {
			snprintf(name, n, "%s", e->d_name);
			any = true;
		}
	if (d)
		closedir(d);
	return any;
}

/* dir/name, through a temporary file and rename(2): a reader never sees
 * half a report, and an earlier one (--force) is replaced whole. */
static int put_file(report_ctx_t *c, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", c->dir, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.%d.tmp", c->dir, name, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	int rc = fd < 0 ? -errno : 0;
	const char *p = data;
	while (!rc && len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = w < 0 ? -errno : -EIO;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fd >= 0 && close(fd) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) != 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		say_error("cannot write %s: %s", path, strerror(-rc));
		c->write_failed++;
	}
	return rc;
}

static int put_buf(report_ctx_t *c, const char *name, const hl_buf_t *b)
{
	return put_file(c, name, b->data ? b->data : "", b->len);
}

/* Runs gnuplot on dir/script (written by the caller); true when png came out. */
static bool draw(report_ctx_t *c, const char *dir, const char *script, const char *png)
{
	if (!c->gnuplot)
		return false;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, png);
	/* gnuplot opens its output as it finds it, through a symbolic link too:
	 * the name is emptied (a link is removed, not followed) and made afresh
	 * as our own regular file first */
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	struct stat st;
	if (fd >= 0 && plot_gnuplot(dir, script, true) == 0 && lstat(path, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size > 0)
		return true;
	if (fd >= 0)
		unlink(path); /* an empty or failed picture is not left behind */
	c->png_failed++;
	return false;
}

/* A picture the directory has: svg_name inlined, png_name for the Markdown. */
static void figure(report_ctx_t *c, const char *id, const char *title, const char *svg_name,
		   const char *png_name)
{
	hl_report_figure_t *f = &c->r.figs[c->r.nfigs++];
	snprintf(f->id, sizeof f->id, "%s", id);
	snprintf(f->title, sizeof f->title, "%s", title);
	if (exists(c->dir, png_name))
		snprintf(f->png, sizeof f->png, "%s", png_name);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", c->dir, svg_name);
	hl_buf_t b = {0};
	hl_error_t err = {0};
	if (hl_file_read(path, &b, &err) == 0) {
		char why[160];
		f->svg = hl_report_inline_svg(b.data, b.len, why, sizeof why);
		if (!f->svg) {
			snprintf(f->note, sizeof f->note, "%s is not shown inline: %s", svg_name, why);
			hl_report_note(&c->r, "%s is not shown inline: %s", svg_name, why);
		}
	} else {
		snprintf(f->note, sizeof f->note, "%s is missing", svg_name);
	}
	hl_buf_free(&b);
	if (!f->png[0] && f->svg)
		hl_report_note(&c->r, "%s is missing (report.md has no picture of the %s)", png_name,
			       title);
}

/* A run without timeline.svg whose samples.tsv is there: the timeline drawn
 * by lib/plot.c's script in a scratch directory (the script's file names
 * are fixed), then kept as report-timeline.svg and .png. */
static bool redraw_timeline(report_ctx_t *c, const hl_run_t *run)
{
	const char *tmpdir = getenv("TMPDIR");
	char scratch[PATH_MAX], src[PATH_MAX], path[PATH_MAX];
	snprintf(scratch, sizeof scratch, "%s/heaplab-report-XXXXXX",
		 tmpdir && *tmpdir ? tmpdir : "/tmp");
	snprintf(path, sizeof path, "%s/samples.tsv", c->dir);
	if (!c->gnuplot || !realpath(path, src) || !mkdtemp(scratch))
		return false;
	hl_buf_t b = {0};
	bool ok = false;
	snprintf(path, sizeof path, "%s/samples.tsv", scratch);
	if (symlink(src, path) == 0 && hl_plot_timeline_script(run, &b, NULL) == 0) {
		snprintf(path, sizeof path, "%s/timeline.gp", scratch);
		FILE *f = fopen(path, "w");
		if (f && fwrite(b.data, 1, b.len, f) == b.len && fclose(f) == 0 &&
		    plot_gnuplot(scratch, "timeline.gp", true) == 0) {
			ok = true;
			static const char *const kinds[][2] = {{"timeline.svg", "report-timeline.svg"},
							       {"timeline.png", "report-timeline.png"}};
			for (int k = 0; k < 2; k++) {
				snprintf(path, sizeof path, "%s/%s", scratch, kinds[k][0]);
				hl_buf_reset(&b);
				ok = ok && hl_file_read(path, &b, NULL) == 0 &&
				     put_buf(c, kinds[k][1], &b) == 0;
			}
		} else if (f) {
			fclose(f);
		}
	}
	hl_buf_free(&b);
	static const char *const made[] = {"samples.tsv", "timeline.gp", "timeline.svg",
					   "timeline.png"};
	for (size_t k = 0; k < sizeof made / sizeof made[0]; k++) {
		snprintf(path, sizeof path, "%s/%s", scratch, made[k]);
		unlink(path);
	}
	rmdir(scratch);
	return ok;
}

static void timeline(report_ctx_t *c, const hl_run_t *run)
{
	bool samples = exists(c->dir, "samples.tsv");
	if (!samples)
		hl_report_note(&c->r, "samples.tsv is missing: there is no time series in this "
				      "directory");
	if (exists(c->dir, "timeline.svg")) {
		figure(c, "timeline", "Timeline", "timeline.svg", "timeline.png");
		return;
	}
	if (samples && redraw_timeline(c, run)) {
		figure(c, "timeline", "Timeline", "report-timeline.svg", "report-timeline.png");
		hl_report_figure_t *f = &c->r.figs[c->r.nfigs - 1];
		snprintf(f->note, sizeof f->note,
			 "Drawn for this report from samples.tsv (the directory has no "
			 "timeline.svg; heaplab plot DIR draws the run's own).");
		hl_report_note(&c->r, "timeline.svg and timeline.png are missing: the timeline "
				      "was drawn for this report from samples.tsv "
				      "(report-timeline.svg, report-timeline.png)");
		return;
	}
	hl_report_figure_t *f = &c->r.figs[c->r.nfigs++];
	snprintf(f->id, sizeof f->id, "timeline");
	snprintf(f->title, sizeof f->title, "Timeline");
	snprintf(f->note, sizeof f->note, "No timeline: %s",
		 !samples ? "timeline.svg and samples.tsv are missing"
		 : !c->gnuplot ? "timeline.svg is missing, and gnuplot is not installed to draw "
				 "it (apt-get install gnuplot-nox)"
			       : "timeline.svg is missing, and gnuplot could not draw it from "
				 "samples.tsv");
	hl_report_note(&c->r, "%s", f->note);
}

/* The heap map of each walked phase of run, whose files are in sub ("" for
 * the directory itself; a sweep's configuration directory). */
static void heap_maps(report_ctx_t *c, const hl_run_t *run, const char *sub, const char *who)
{
	size_t walked = 0;
	for (size_t i = 0; i < run->nphases; i++)
		walked += run->phases[i].walk_valid;
	if (!walked)
		return;
	hl_report_map_t *v = realloc(c->r.maps, (c->r.nmaps + walked) * sizeof *v);
	if (!v)
		return;
	c->r.maps = v;
	for (size_t i = 0; i < run->nphases; i++) {
		const hl_phase_t *ph = &run->phases[i];
		if (!ph->walk_valid)
			continue;
		char base[80];
		hl_run_phase_base(run, i, ph->name, base, sizeof base);
		hl_report_map_t *m = &c->r.maps[c->r.nmaps++];
		memset(m, 0, sizeof *m);
		snprintf(m->id, sizeof m->id, "heapmap-%s%s%s", sub, sub[0] ? "-" : "", base);
		snprintf(m->title, sizeof m->title, "%s%sphase '%s'", who, who[0] ? ", " : "",
			 ph->name);
		snprintf(m->tsv, sizeof m->tsv, "%s%sheapmap-%s.tsv", sub, sub[0] ? "/" : "", base);
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", c->dir, m->tsv);
		hl_buf_t b = {0};
		hl_error_t err = {0};
		int rc = hl_file_read(path, &b, &err);
		if (rc == -ENOENT) {
			snprintf(m->note, sizeof m->note,
				 "%s is missing: the phase was walked, but its heap map was not "
				 "recorded (a run made before heaplab run --walk kept heap maps, or the "
				 "file was removed)",
				 m->tsv);
			hl_report_note(&c->r, "%s", m->note);
		} else if (rc || hl_heapmap_parse(b.data, b.len, &m->map, &err)) {
			snprintf(m->note, sizeof m->note, "%s cannot be read: %s", m->tsv, err.msg);
			hl_report_note(&c->r, "%s", m->note);
		} else {
			m->valid = true;
		}
		hl_buf_free(&b);
		if (!m->valid)
			continue;
		/* its PNG, for the Markdown */
		char gp[200], png[200], title[300];
		snprintf(gp, sizeof gp, "report-%s.gp", m->id);
		snprintf(png, sizeof png, "report-%s.png", m->id);
		snprintf(title, sizeof title, "%s%s%s, phase '%s'", run->experiment, who[0] ? " " : "",
			 who, ph->name);
		hl_buf_t s = {0};
		if (hl_heapmap_script(&m->map, title, m->tsv, png, &s) == 0 && put_buf(c, gp, &s) == 0 &&
		    draw(c, c->dir, gp, png))
			snprintf(m->png, sizeof m->png, "%s", png);
		hl_buf_free(&s);
	}
}

/* Every glibc phase wrote its malloc_info-BASE.xml; say which are gone. */
static void phase_files(report_ctx_t *c, const hl_run_t *run)
{
	for (size_t i = 0; i < run->nphases; i++) {
		if (!run->phases[i].mallinfo2.valid || !run->phases[i].malloc_info_valid)
			continue;
		char base[80], name[128];
		hl_run_phase_base(run, i, run->phases[i].name, base, sizeof base);
		snprintf(name, sizeof name, "malloc_info-%s.xml", base);
		if (!exists(c->dir, name))
			hl_report_note(&c->r, "%s is missing (run.json keeps its figures)", name);
	}
}

/* heaplab run --slides listed its slides in slides.tsv: the report links
 * them, and says which are missing. */
static void slides(report_ctx_t *c)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/slides.tsv", c->dir);
	hl_buf_t b = {0};
	hl_error_t err = {0};
	if (hl_file_read(path, &b, NULL) == 0) {
		hl_slide_entry_t *v = NULL;
		size_t n = 0;
		if (hl_slides_parse(b.data, b.len, &v, &n, &err))
			hl_report_note(&c->r, "slides.tsv: %s", err.msg);
		for (size_t i = 0; i < n; i++) {
			const char *png = v[i].png;
			char full[PATH_MAX];
			snprintf(full, sizeof full, "%s%s%s", png[0] == '/' ? "" : c->dir,
				 png[0] == '/' ? "" : "/", png);
			if (access(full, R_OK))
				hl_report_note(&c->r, "the slide of phase '%s' (%s) is missing",
					       v[i].phase, png);
		}
		c->slide_v = v;
		c->r.slides = v;
		c->r.nslides = n;
	}
	hl_buf_free(&b);
}

static int load_run(report_ctx_t *c)
{
	hl_error_t err = {0};
	if (hl_run_load(c->dir, &c->run, &err)) {
		say_error("%s", err.msg);
		return -1;
	}
	c->r.run = &c->run;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int load_sweep(report_ctx_t *c)
{
	hl_error_t err = {0};
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/sweep.json", c->dir);
	hl_buf_t b = {0};
	if (hl_file_read(path, &b, &err) == 0) {
		int rc = hl_sweep_from_json(b.data, b.len, c->experiment, sizeof c->experiment,
					    &c->configs, &c->nconfigs, &err);
		hl_buf_free(&b);
		if (rc) {
			say_error("%s: %s", path, err.msg);
			return -1;
		}
	} else {
		hl_buf_free(&b);
		/* a sweep that did not finish: its runs are the directories
		 * that hold a run.json */
		DIR *d = opendir(c->dir);
		char *names[256];
		size_t n = 0;
		struct dirent *e;
		while (d && (e = readdir(d)) && n < sizeof names / sizeof names[0]) {
			char rel[PATH_MAX];
			snprintf(rel, sizeof rel, "%s/run.json", e->d_name);
			if (e->d_name[0] != '.' && is_dir(c->dir, e->d_name) && exists(c->dir, rel))
				names[n++] = strdup(e->d_name);
		}
		if (d)
			closedir(d);
		qsort(names, n, sizeof names[0], by_name);
		c->configs = calloc(n ? n : 1, sizeof *c->configs);
		for (size_t i = 0; i < n; i++) {
			if (c->configs && names[i]) {
				snprintf(c->configs[c->nconfigs].label,
					 sizeof c->configs[c->nconfigs].label, "%s", names[i]);
				snprintf(c->configs[c->nconfigs].dir, sizeof c->configs[c->nconfigs].dir,
					 "%s", names[i]);
				hl_run_init(&c->configs[c->nconfigs].run);
				c->nconfigs++;
			}
			free(names[i]);
		}
		if (!c->configs)
			return -1;
		hl_report_note(&c->r, "sweep.json is missing (the sweep did not finish): the "
				      "configurations are the %zu run directories found in it",
			       c->nconfigs);
	}
	for (size_t i = 0; i < c->nconfigs; i++) {
		hl_sweep_config_t *cf = &c->configs[i];
		snprintf(path, sizeof path, "%s/%s", c->dir, cf->dir);
		cf->loaded = hl_run_load(path, &cf->run, &err) == 0;
		if (!cf->loaded)
			hl_report_note(&c->r, "configuration %zu (%s): %s", i + 1, cf->label, err.msg);
		else if (!cf->run.complete)
			hl_report_note(&c->r, "configuration %zu (%s) is incomplete: %s", i + 1,
				       cf->label, cf->run.status);
		if (!c->experiment[0] && cf->loaded)
			snprintf(c->experiment, sizeof c->experiment, "%s", cf->run.experiment);
	}
	c->r.experiment = c->experiment;
	c->r.configs = c->configs;
	c->r.nconfigs = c->nconfigs;
	/* made by heaplab prescribe: its ranking too */
	snprintf(path, sizeof path, "%s/prescribe.json", c->dir);
	hl_buf_t pb = {0};
	if (hl_file_read(path, &pb, NULL) == 0) {
		if (hl_prescription_parse(pb.data, pb.len, &c->rx, &err) == 0)
			c->r.rx = &c->rx;
		else
			hl_report_note(&c->r, "prescribe.json is not readable (%s): the ranking is "
					      "left out", err.msg);
	}
	hl_buf_free(&pb);
	return 0;
}

/* The directory's files, sorted, for the list of links (the report's own
 * two pages left out). */
static int by_file(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void list_files(report_ctx_t *c)
{
	DIR *d = opendir(c->dir);
	if (!d)
		return;
	c->r.files = calloc(MAX_FILES, sizeof *c->r.files);
	struct dirent *e;
	while (c->r.files && (e = readdir(d)) && c->r.nfiles < MAX_FILES) {
		char path[PATH_MAX];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", c->dir, e->d_name);
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "report.html") ||
		    !strcmp(e->d_name, "report.md") || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		snprintf(c->r.files[c->r.nfiles++], sizeof c->r.files[0], "%s", e->d_name);
	}
	closedir(d);
	if (c->r.files)
		qsort(c->r.files, c->r.nfiles, sizeof c->r.files[0], by_file);
}

static void breakdown(report_ctx_t *c)
{
	hl_breakdown_t *b;
	size_t n;
	if (hl_report_breakdowns(&c->r, &b, &n))
		return;
	char title[300];
	if (c->r.kind == HL_REPORT_RUN)
		snprintf(title, sizeof title, "%s: what RSS is made of at each phase",
			 c->run.experiment);
	else if (c->r.kind == HL_REPORT_SWEEP)
		snprintf(title, sizeof title, "sweep of %s: what RSS is made of, per configuration "
					      "and phase",
			 c->experiment);
	else
		snprintf(title, sizeof title, "pid %lld (%s): what RSS is made of",
			 (long long)c->diag.pid, c->diag.command);
	hl_buf_t s = {0};
	if (hl_breakdown_tsv(b, n, &s) == 0 && put_buf(c, "report-breakdown.tsv", &s) == 0 &&
	    hl_breakdown_script(b, n, title, "report-breakdown.tsv", "report-breakdown.png", &s) == 0 &&
	    put_buf(c, "report-breakdown.gp", &s) == 0 &&
	    draw(c, c->dir, "report-breakdown.gp", "report-breakdown.png"))
		snprintf(c->r.breakdown_png, sizeof c->r.breakdown_png, "report-breakdown.png");
	hl_buf_free(&s);
	free(b);
}

static void watch(report_ctx_t *c)
{
	if (c->diag.nwatch < 2)
		return;
	hl_buf_t s = {0};
	if (hl_report_watch_tsv(&c->diag, &s) == 0 && put_buf(c, "report-watch.tsv", &s) == 0 &&
	    hl_report_watch_script(&c->diag, "report-watch.tsv", "report-watch.png", &s) == 0 &&
	    put_buf(c, "report-watch.gp", &s) == 0 &&
	    draw(c, c->dir, "report-watch.gp", "report-watch.png"))
		snprintf(c->r.watch_png, sizeof c->r.watch_png, "report-watch.png");
	hl_buf_free(&s);
}

int cmd_report(int argc, char **argv)
{
	const char *dir = NULL;
	bool force = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			report_usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--force")) {
			force = true;
		} else if (argv[i][0] == '-') {
			say_error("unknown option '%s' (see heaplab report --help)", argv[i]);
			return EXIT_USAGE;
		} else if (dir) {
			say_error("report takes one directory, got '%s' and '%s'", dir, argv[i]);
			return EXIT_USAGE;
		} else {
			dir = argv[i];
		}
	}
	if (!dir) {
		say_error("report needs a directory");
		report_usage(stderr);
		return EXIT_USAGE;
	}
	static const char expected[] =
		"heaplab report reads a run directory (run.json: heaplab run, heapview --record), a "
		"sweep directory (sweep.json: heaplab sweep) or a diagnosis (diagnosis.json: "
		"heaplab diagnose --out)";
	struct stat st;
	if (stat(dir, &st) != 0) {
		say_error("%s does not exist; %s", dir, expected);
		return EXIT_USAGE;
	}
	if (!S_ISDIR(st.st_mode)) {
		say_error("%s is not a directory; %s", dir, expected);
		return EXIT_USAGE;
	}

	report_ctx_t c;
	memset(&c, 0, sizeof c);
	c.dir = dir;
	hl_run_init(&c.run);
	if (exists(dir, "run.json"))
		c.r.kind = HL_REPORT_RUN;
	else if (exists(dir, "sweep.json") || exists(dir, "sweep.tsv"))
		c.r.kind = HL_REPORT_SWEEP;
	else if (exists(dir, "diagnosis.json"))
		c.r.kind = HL_REPORT_DIAGNOSIS;
	else {
		say_error("%s holds no run.json, sweep.json or diagnosis.json, so there is nothing "
			  "to report; %s. Nothing was written",
			  dir, expected);
		return EXIT_USAGE;
	}
	char earlier[300] = "";
	if (!force && report_files(dir, earlier, sizeof earlier)) {
		say_error("%s already has a report (%s); nothing was changed. To write it again, "
			  "run: heaplab report --force %s (it replaces only report.html, report.md "
			  "and the report-* files)",
			  dir, earlier, dir);
		return EXIT_USAGE;
	}

	/* everything is read before anything is written */
	int ret = EXIT_USAGE;
	hl_error_t err = {0};
	if (c.r.kind == HL_REPORT_RUN && load_run(&c))
		goto out;
	if (c.r.kind == HL_REPORT_SWEEP && load_sweep(&c))
		goto out;
	if (c.r.kind == HL_REPORT_DIAGNOSIS) {
		if (hl_diagfile_load(dir, &c.diag, &err)) {
			say_error("%s", err.msg);
			goto out;
		}
		c.r.diag = &c.diag;
	}
	if (access(dir, W_OK) != 0) {
		say_error("cannot write into %s: %s (the report goes beside the run's files)", dir,
			  strerror(errno));
		ret = 1;
		goto out;
	}

	snprintf(c.r.dir, sizeof c.r.dir, "%s", dir);
	time_t now = time(NULL);
	struct tm tm;
	strftime(c.r.generated, sizeof c.r.generated, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	c.gnuplot = plot_have_gnuplot();

	if (c.r.kind == HL_REPORT_RUN) {
		if (!c.run.complete)
			hl_report_note(&c.r, "the run is incomplete: %s (run.json is marked "
					     "incomplete; the report shows what it reached)",
				       c.run.status);
		timeline(&c, &c.run);
		phase_files(&c, &c.run);
		heap_maps(&c, &c.run, "", "");
		slides(&c);
	} else if (c.r.kind == HL_REPORT_SWEEP) {
		figure(&c, "sweep-rss", "RSS per phase, per configuration", "sweep-rss.svg",
		       "sweep-rss.png");
		figure(&c, "sweep-timeline", "RSS over time, per configuration",
		       "sweep-timeline.svg", "sweep-timeline.png");
		for (size_t i = 0; i < c.r.nfigs; i++)
			if (!c.r.figs[i].svg && !strstr(c.r.figs[i].note, "inline"))
				hl_report_note(&c.r, "%s (the sweep's plots were not drawn)",
					       c.r.figs[i].note);
		for (size_t i = 0; i < c.nconfigs; i++) {
			char who[300];
			snprintf(who, sizeof who, "%zu (%s)", i + 1, c.configs[i].label);
			if (c.configs[i].loaded)
				heap_maps(&c, &c.configs[i].run, c.configs[i].dir, who);
		}
	} else {
		watch(&c);
	}
	breakdown(&c);
	if (!c.gnuplot)
		hl_report_note(&c.r, "gnuplot is not installed, so report.md has no PNG of the "
				     "report's own charts (apt-get install gnuplot-nox); report.html "
				     "has them all");
	else if (c.png_failed)
		hl_report_note(&c.r, "gnuplot could not draw %d of the report's PNGs (report.md "
				     "says which are missing; report.html has them all)",
			       c.png_failed);
	list_files(&c);

	hl_buf_t text = {0}, md = {0};
	int made = hl_report_markdown(&c.r, &md) == 0 && hl_report_html(&c.r, &text) == 0;
	/* report.html first: if it cannot be written, report.md is not written
	 * either, so no half report is left to block the next try */
	if (!made || put_buf(&c, "report.html", &text) != 0 || put_buf(&c, "report.md", &md) != 0) {
		if (!made)
			say_error("cannot make the report: out of memory");
		else if (exists_file(dir, "report.html") && !exists_file(dir, "report.md") && !force) {
			char path[PATH_MAX];
			snprintf(path, sizeof path, "%s/report.html", dir);
			unlink(path);
		}
		ret = 1;
	} else {
		printf("report: %s/report.html\n        %s/report.md\n", dir, dir);
		if (c.r.nnotes)
			printf("the report says what is missing or incomplete (%zu item%s)\n",
			       c.r.nnotes, c.r.nnotes == 1 ? "" : "s");
		ret = c.write_failed ? 1 : 0;
	}
	hl_buf_free(&text);
	hl_buf_free(&md);
out:
	for (size_t i = 0; i < c.r.nfigs; i++)
		free(c.r.figs[i].svg);
	for (size_t i = 0; i < c.r.nmaps; i++)
		hl_heapmap_free(&c.r.maps[i].map);
	free(c.r.maps);
	free(c.r.files);
	free(c.slide_v);
	hl_run_free(&c.run);
	hl_sweep_free(c.configs, c.nconfigs);
	hl_diagfile_free(&c.diag);
	return ret;
}
