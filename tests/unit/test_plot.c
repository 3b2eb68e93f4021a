/*
 * test_plot.c — the timeline script, drawn for real: a small run and its
 * samples.tsv are written into a temporary directory, gnuplot runs
 * timeline.gp there, and the test checks that timeline.png is a 1200x700 PNG
 * and timeline.svg an SVG, and that gnuplot said nothing (no warning, no
 * error). Also the awkward runs: names with quotes, backslashes, newlines
 * and UTF-8; another allocator (no mallinfo2); no phases and no samples yet;
 * a decimal-comma locale. gnuplot is a declared dependency (gnuplot-nox):
 * without it this test fails and says so.
 *
 * HEAPLAB_KEEP_PLOTS=1 keeps the directories (their paths are printed).
 */
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heaplab.h"
#include "t.h"

static bool keep;

static void make_run(hl_run_t *run, const char *experiment, const char *allocator)
{
	hl_run_init(run);
	snprintf(run->experiment, sizeof run->experiment, "%s", experiment);
	snprintf(run->program, sizeof run->program, "build/experiments/brk_pin");
	snprintf(run->glibc, sizeof run->glibc, "2.36");
	snprintf(run->kernel, sizeof run->kernel, "6.1.0-18-amd64");
	snprintf(run->allocator, sizeof run->allocator, "%s", allocator);
	snprintf(run->started, sizeof run->started, "2026-11-22T12:00:00Z");
	snprintf(run->status, sizeof run->status, "complete");
	run->complete = true;
	run->exit_code = 0;
	run->interval_ms = 50;
	hl_run_add_param(run, "blocks", "262144");
	hl_run_add_param(run, "size", "4096");
	hl_run_add_param(run, "pin", "1");
	static const struct {
		const char *name;
		int64_t t_ms, rss_mib, in_use_bytes;
	} ph[] = {
		{"allocated", 2728, 1030, 1077937296},
		{"freed", 3246, 1030, 1168},
		{"trimmed", 3812, 4, 1168},
	};
	for (size_t i = 0; i < 3; i++) {
		hl_phase_t p;
		memset(&p, 0, sizeof p);
		snprintf(p.name, sizeof p.name, "%s", ph[i].name);
		p.t_ms = ph[i].t_ms;
		p.rss_bytes = ph[i].rss_mib << 20;
		p.vsz_bytes = 1032LL << 20;
		p.heap_bytes = 1028LL << 20;
		p.heap_rss_bytes = HL_UNKNOWN;
		if (!strcmp(allocator, "glibc")) {
			p.mallinfo2.valid = true;
			p.mallinfo2.uordblks = ph[i].in_use_bytes;
			p.mallinfo2.hblkhd = 0;
			p.mallinfo2.arena = 1028LL << 20;
		}
		hl_run_add_phase(run, &p);
	}
	run->nsamples = 86;
}

/* brk_pin's shape: a ramp to 1 GiB, held, then trimmed. */
static void write_samples(const char *dir, int nrows)
{
	hl_buf_t b = {0};
	hl_buf_append(&b, hl_samples_header, strlen(hl_samples_header));
	for (int i = 0; i < nrows; i++) {
		int64_t t = 50LL * i;
		int64_t rss = t < 2728 ? (4LL << 20) + (1026LL << 20) * t / 2728
			    : t < 3800 ? 1030LL << 20
				       : 4LL << 20;
		int64_t heap = t < 2728 ? (1028LL << 20) * t / 2728 : 1028LL << 20;
		hl_sample_t s;
		memset(&s, 0, sizeof s);
		s.t_ms = t;
		s.rss_bytes = rss;
		s.vsz_bytes = heap + (4LL << 20);
		s.heap_bytes = heap;
		s.heap_rss_bytes = i % 10 ? HL_UNKNOWN : heap; /* smaps now and then: NA */
		snprintf(s.phase, sizeof s.phase, "%s",
			 t < 2728 ? "start" : t < 3246 ? "allocated" : t < 3812 ? "freed" : "trimmed");
		hl_samples_format_row(&s, &b);
	}
	char path[256];
	snprintf(path, sizeof path, "%s/samples.tsv", dir);
	FILE *f = fopen(path, "w");
	fwrite(b.data, 1, b.len, f);
	fclose(f);
	hl_buf_free(&b);
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	hl_buf_t b = {0};
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		hl_buf_append(&b, chunk, n);
	fclose(f);
	if (len)
		*len = b.len;
	return b.data ? b.data : calloc(1, 1);
}

static bool have_gnuplot(void)
{
	return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* Writes the script into dir and runs gnuplot there. Returns gnuplot's
 * output (stdout and stderr), or NULL when it failed (reported). */
static char *render(const char *what, const hl_run_t *run, const char *dir)
{
	hl_buf_t script = {0};
	hl_error_t err = {0};
	int rc = hl_plot_timeline_script(run, &script, &err);
	T_EQ_INT(rc, 0, "script for the run");
	char path[256];
	snprintf(path, sizeof path, "%s/timeline.gp", dir);
	FILE *f = fopen(path, "w");
	fwrite(script.data, 1, script.len, f);
	fclose(f);
	hl_buf_free(&script);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot timeline.gp >gnuplot.out 2>&1", dir);
	int st = system(cmd);
	bool ok = st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	char *out = slurp(dir, "gnuplot.out", NULL);
	T_OK(ok, "%s: gnuplot timeline.gp succeeds", what);
	if (!ok)
		printf("#   gnuplot said: %s\n", out ? out : "(nothing)");

	size_t len = 0;
	char *png = slurp(dir, "timeline.png", &len);
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	T_OK(png && len > 24 && !memcmp(png, sig, 8), "%s: timeline.png is a PNG", what);
	if (png && len > 24) {
		const unsigned char *u = (const unsigned char *)png;
		unsigned w = (unsigned)u[16] << 24 | u[17] << 16 | u[18] << 8 | u[19];
		unsigned h = (unsigned)u[20] << 24 | u[21] << 16 | u[22] << 8 | u[23];
		T_OK(w == 1200 && h == 700, "%s: 1200 x 700 (got %u x %u)", what, w, h);
	}
	free(png);
	char *svg = slurp(dir, "timeline.svg", NULL);
	T_OK(svg && strstr(svg, "<svg"), "%s: timeline.svg is an SVG", what);
	free(svg);
	if (keep)
		printf("# %s: kept in %s\n", what, dir);
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

static void cleanup(const char *dir)
{
	if (keep)
		return;
	static const char *const names[] = {"timeline.gp", "timeline.png", "timeline.svg",
					    "samples.tsv", "gnuplot.out"};
	char path[256];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void script_text(void)
{
	hl_run_t run;
	make_run(&run, "brk_pin", "glibc");
	hl_buf_t s = {0};
	T_EQ_INT(hl_plot_timeline_script(&run, &s, NULL), 0, "the script");
	T_OK(strstr(s.data, "set datafile separator \"\\t\"\n") &&
		     strstr(s.data, "set datafile missing \"NA\"\n"),
	     "it reads samples.tsv as tab-separated, with NA missing");
	T_OK(strstr(s.data, "'samples.tsv'") && strstr(s.data, "set output 'timeline.png'") &&
		     strstr(s.data, "set output 'timeline.svg'"),
	     "samples.tsv in, timeline.png and timeline.svg out (relative: run it in the run dir)");
	T_OK(strstr(s.data, "pngcairo size 1200,700") && strstr(s.data, "DejaVu Sans"),
	     "pngcairo, 1200x700, DejaVu Sans");
	T_OK(strstr(s.data, "'brk_pin — glibc 2.36 malloc, GLIBC_TUNABLES=(none)'") != NULL,
	     "the title names experiment, allocator, glibc and tunables");
	T_OK(strstr(s.data, "set yrange [0:*]") && strstr(s.data, "MiB"), "y in MiB from 0");
	T_OK(strstr(s.data, "set arrow 10 from 2.728, graph 0 to 2.728, graph 1 nohead dt 2") &&
		     strstr(s.data, "'freed' 3.246"),
	     "each phase: a dashed line at its time, its name on the top axis");
	T_OK(strstr(s.data, "2728\t1077937296\t\"in use 1.0 GiB\"\n") != NULL,
	     "in use at each phase as inline data (t_ms, bytes, label)");
	hl_run_free(&run);

	make_run(&run, "brk_pin", "jemalloc");
	snprintf(run.tunables, sizeof run.tunables, "glibc.malloc.arena_max=2");
	hl_plot_timeline_script(&run, &s, NULL);
	T_OK(strstr(s.data, "$inuse << EOD\nEOD\n") && !strstr(s.data, "$inuse using"),
	     "another allocator: no mallinfo2, no in-use points");
	T_OK(strstr(s.data, "brk_pin — jemalloc (on glibc 2.36), "
			    "GLIBC_TUNABLES=glibc.malloc.arena_max=2") != NULL,
	     "the title says which allocator");
	hl_run_free(&run);

	/* many parameters: the subtitle stays one line, cut with an ellipsis,
	 * and the warning of an incomplete run comes first */
	make_run(&run, "brk_pin", "glibc");
	run.complete = false;
	for (int i = 0; i < 40; i++) {
		char name[16];
		snprintf(name, sizeof name, "param%d", i);
		hl_run_add_param(&run, name, "ünïcödé-välüé");
	}
	hl_plot_timeline_script(&run, &s, NULL);
	const char *sub = strstr(s.data, "set label 1 '");
	const char *eol = sub ? strchr(sub, '\n') : NULL;
	T_OK(sub && eol && eol - sub < 300 && strstr(sub, "…") < eol &&
		     !strncmp(sub, "set label 1 'INCOMPLETE RUN · blocks=", 36) &&
		     strstr(sub, "linux 6.1.0-18-amd64") < eol,
	     "a long subtitle is cut (with …), INCOMPLETE RUN first, the kernel kept");
	hl_run_free(&run);

	make_run(&run, "say \"hi\" \\ back\nslash", "glibc");
	snprintf(run.phases[1].name, sizeof run.phases[1].name, "fr\"ee\\d\n");
	hl_plot_timeline_script(&run, &s, NULL);
	T_OK(strstr(s.data, "'say \"hi\" \\ back slash — glibc") &&
		     strstr(s.data, "'fr\"ee\\d ' 3.246"),
	     "names single-quoted (backslashes and double quotes as they are), newlines made spaces");
	hl_run_free(&run);
	/* gnuplot runs `...` inside double quotes: a name must never get there */
	make_run(&run, "`touch /tmp/heaplab-pwned` it's", "glibc");
	hl_plot_timeline_script(&run, &s, NULL);
	T_OK(strstr(s.data, "'`touch /tmp/heaplab-pwned` it''s — glibc") &&
		     !strstr(s.data, "\"`touch"),
	     "a name with backquotes and a quote stays in single quotes (quote doubled)");
	run.phases[1].mallinfo2.valid = false;
	run.phases[2].t_ms = HL_UNKNOWN;
	hl_plot_timeline_script(&run, &s, NULL);
	T_OK(!strstr(s.data, "3246\t") && !strstr(s.data, "set arrow 12") &&
		     strstr(s.data, "set arrow 10"),
	     "a phase without mallinfo2 has no point; one without a time has no line");
	hl_run_free(&run);
	hl_buf_free(&s);
}

static char *new_dir(void)
{
	static char dirs[8][32];
	static int n;
	char *d = dirs[n++ % 8];
	snprintf(d, 32, "/tmp/heaplab-plot-XXXXXX");
	if (!mkdtemp(d)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		exit(2);
	}
	return d;
}

static void drawn(void)
{
	if (!have_gnuplot()) {
		T_OK(0, "gnuplot is installed: it draws the plots (apt-get install gnuplot-nox, or "
			"make deps)");
		return;
	}
	hl_run_t run;
	make_run(&run, "brk_pin", "glibc");
	char *dir = new_dir();
	write_samples(dir, 86);
	char *out = render("brk_pin", &run, dir);
	T_OK(out && out[0] == '\0', "brk_pin: gnuplot gave no warning");
	if (out && out[0])
		printf("#   gnuplot said: %s\n", out);
	free(out);
	char *svg = slurp(dir, "timeline.svg", NULL);
	T_OK(svg && strstr(svg, "brk_pin — glibc 2.36 malloc") && strstr(svg, "trimmed") &&
		     strstr(svg, "in use 1.0 GiB") && strstr(svg, "RSS (resident)"),
	     "brk_pin: the SVG shows the title, the phases, in use and the legend");
	free(svg);
	cleanup(dir);
	hl_run_free(&run);

	make_run(&run, "say \"hi\" \\ back\nslash ✓", "jemalloc");
	snprintf(run.phases[1].name, sizeof run.phases[1].name, "fr\"ee\\d\n — ü");
	dir = new_dir();
	write_samples(dir, 86);
	free(render("odd names, another allocator", &run, dir));
	cleanup(dir);
	hl_run_free(&run);

	/* a program may name itself `anything`: gnuplot must not run it */
	char marker[96], name[160];
	snprintf(marker, sizeof marker, "/tmp/heaplab-plot-pwned-%d", (int)getpid());
	snprintf(name, sizeof name, "`touch %s` it's", marker);
	make_run(&run, name, "glibc");
	snprintf(run.phases[1].name, sizeof run.phases[1].name, "`touch %.40s`", marker);
	dir = new_dir();
	write_samples(dir, 86);
	free(render("backquotes in names", &run, dir));
	T_OK(access(marker, F_OK) != 0, "gnuplot ran no command from a name");
	unlink(marker);
	cleanup(dir);
	hl_run_free(&run);

	/* a run that died at once: no phases, only the header in samples.tsv */
	hl_run_init(&run);
	snprintf(run.experiment, sizeof run.experiment, "lab_dies");
	dir = new_dir();
	write_samples(dir, 0);
	free(render("no phases, no samples", &run, dir));
	cleanup(dir);
	hl_run_free(&run);
}

/* gnuplot reads numbers with '.', so the script must have '.' whatever the
 * program's locale (LC_NUMERIC with a decimal comma, made with localedef). */
static void locale_independent(void)
{
	char dir[] = "/tmp/heaplab-loc-XXXXXX";
	if (!mkdtemp(dir)) {
		T_OK(0, "mkdtemp");
		return;
	}
	char cmd[512];
	snprintf(cmd, sizeof cmd,
		 "cd %s && printf 'LC_NUMERIC\\ndecimal_point \",\"\\nthousands_sep \".\"\\n"
		 "grouping 3;3\\nEND LC_NUMERIC\\n' >comma.def && "
		 "localedef -c -i ./comma.def -f ANSI_X3.4-1968 ./comma >/dev/null 2>&1",
		 dir);
	if (system(cmd) == -1)
		printf("# cannot run localedef\n");
	setenv("LOCPATH", dir, 1);
	const char *got = setlocale(LC_NUMERIC, "comma");
	char probe[16] = "";
	if (got)
		snprintf(probe, sizeof probe, "%.1f", 2.5);
	if (!got || strcmp(probe, "2,5")) {
		T_OK(1, "# SKIP cannot make a locale with a decimal comma (localedef)");
	} else {
		hl_run_t run;
		make_run(&run, "brk_pin", "glibc");
		hl_buf_t s = {0};
		hl_plot_timeline_script(&run, &s, NULL);
		T_OK(strstr(s.data, "'freed' 3.246") && !strstr(s.data, "3,246"),
		     "with a decimal-comma locale the script still says 3.246");
		hl_buf_free(&s);
		hl_run_free(&run);
	}
	setlocale(LC_NUMERIC, "C");
	unsetenv("LOCPATH");
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

int main(void)
{
	const char *k = getenv("HEAPLAB_KEEP_PLOTS");
	keep = k && *k && strcmp(k, "0");
	script_text();
	drawn();
	locale_independent();
	return t_done();
}
