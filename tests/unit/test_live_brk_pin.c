/*
 * test_live_brk_pin.c — brk_pin under the harness on the running glibc:
 * the lesson in numbers (RSS stays at 'freed' while in use collapses;
 * malloc_trim releases the pages but not the address space; without the pin
 * free trims the heap itself), inside and outside agreeing (heap_bytes is
 * mallinfo2.arena), and the run directory complete: run.json reads back as
 * written, samples.tsv has the time series, plots are PNG and SVG, and
 * `heaplab plot` re-renders them from the files alone.
 */
#include <unistd.h>

#include "live.h"

static bool file_starts(const char *dir, const char *name, const char *magic, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	hl_buf_t b = {0};
	bool ok = hl_file_read(path, &b, NULL) == 0 && b.len >= n && memcmp(b.data, magic, n) == 0;
	hl_buf_free(&b);
	return ok;
}

static bool file_has(const char *dir, const char *name, const char *needle)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	hl_buf_t b = {0};
	bool ok = hl_file_read(path, &b, NULL) == 0 && strstr(b.data, needle);
	hl_buf_free(&b);
	return ok;
}

static void pinned_run(void)
{
	char dir[256], cmd[1200];
	hl_buf_t out = {0};
	hl_run_t run;
	int rc = live_run_full("brk_pin", "", "", &run, &out, dir);
	T_EQ_INT(rc, 0, "heaplab run brk_pin exits 0");
	T_OK(out.data && strstr(out.data, "verdict: retention: in-use fell"),
	     "the verdict line says retention");
	T_OK(out.data && strstr(out.data, "malloc_trim released 1.0 GiB at 'trimmed'"),
	     "the verdict says what malloc_trim released");
	T_OK(out.data && strstr(out.data, "allocated") && strstr(out.data, "heap RSS"),
	     "the phase table is printed");
	hl_error_t err = {0};

	T_OK(run.complete, "run.json loads, complete (%s)", run.status);
	T_EQ_STR(run.experiment, "brk_pin", "experiment recorded");
	T_EQ_STR(run.allocator, "glibc", "allocator recorded");
	T_EQ_STR(run.glibc, hl_sysinfo_glibc(), "glibc version recorded");
	T_OK(run.kernel[0] != '\0', "kernel recorded");
	T_EQ_INT(run.nparams, 5, "five parameters (four + hold_ms) recorded with their defaults");
	T_EQ_INT(run.nphases, 3, "three phases");

	const hl_phase_t *a = live_phase(&run, "allocated");
	const hl_phase_t *f = live_phase(&run, "freed");
	const hl_phase_t *t = live_phase(&run, "trimmed");
	/* 262,144 x 4 KiB blocks: the heap holds at least 1 GiB */
	T_OK(a->rss_bytes >= (1LL << 30), "allocated: RSS >= 1 GiB (%lld)", (long long)a->rss_bytes);
	T_OK(a->mallinfo2.uordblks >= (1LL << 30), "allocated: in use >= 1 GiB");
	T_OK(f->rss_bytes * 10 >= a->rss_bytes * 9, "freed: RSS >= 90%% of allocated (%lld vs %lld)",
	     (long long)f->rss_bytes, (long long)a->rss_bytes);
	T_OK(f->mallinfo2.uordblks * 100 < a->mallinfo2.uordblks,
	     "freed: in use < 1%% of allocated (%lld)", (long long)f->mallinfo2.uordblks);
	T_OK(t->rss_bytes * 10 <= a->rss_bytes, "trimmed: RSS <= 10%% of allocated (%lld)",
	     (long long)t->rss_bytes);
	T_OK(t->vsz_bytes * 10 >= a->vsz_bytes * 9, "trimmed: VSZ stays >= 90%% (%lld vs %lld)",
	     (long long)t->vsz_bytes, (long long)a->vsz_bytes);
	double v;
	T_OK(hl_phase_observation(a, "blocks", &v) && v == 262144, "observation blocks=262144");
	T_OK(hl_phase_observation(t, "malloc_trim", &v) && v == 1,
	     "malloc_trim returned 1 (memory released)");

	/* inside and outside agree: the brk heap is the main arena */
	long page = hl_procfs_page_size();
	for (size_t i = 0; i < run.nphases; i++) {
		const hl_phase_t *p = &run.phases[i];
		int64_t d = p->heap_bytes - p->mallinfo2.arena;
		T_OK(d >= -page && d <= page, "%s: heap_bytes %lld == mallinfo2.arena %lld (+/- a page)",
		     p->name, (long long)p->heap_bytes, (long long)p->mallinfo2.arena);
		T_OK(p->malloc_info_valid && p->malloc_info.narenas == 1,
		     "%s: malloc_info parsed, one arena", p->name);
		T_EQ_INT(p->malloc_info.total.system_current_bytes, p->mallinfo2.arena,
			 "malloc_info system current == mallinfo2.arena");
	}
	/* the freed 1 GiB is one free chunk in malloc_info's view */
	T_OK(f->malloc_info.total.rest_bytes >= (1LL << 30), "freed: malloc_info rest >= 1 GiB");

	/* run.json reads back as written */
	char path[600];
	snprintf(path, sizeof path, "%s/run.json", dir);
	hl_buf_t file = {0}, again = {0};
	hl_file_read(path, &file, NULL);
	hl_run_to_json(&run, &again, NULL);
	T_OK(file.len == again.len && memcmp(file.data, again.data, file.len) == 0,
	     "run.json == to_json(from_json(run.json))");

	/* the time series */
	snprintf(path, sizeof path, "%s/samples.tsv", dir);
	hl_samples_t s = {0};
	hl_buf_t sb = {0};
	T_EQ_INT(hl_file_read(path, &sb, NULL), 0, "samples.tsv exists");
	T_EQ_INT(hl_samples_parse(sb.data, sb.len, &s, &err), 0, "samples.tsv parses");
	T_OK(s.n >= 20, "at 10 ms, a multi-second run has many samples (%zu)", s.n);
	T_EQ_INT(s.n, run.nsamples, "run.json counts the samples in samples.tsv");
	bool mono = true, seen_start = false, seen_trimmed = false;
	int64_t peak = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (i && s.v[i].t_ms < s.v[i - 1].t_ms)
			mono = false;
		seen_start |= !strcmp(s.v[i].phase, "start");
		seen_trimmed |= !strcmp(s.v[i].phase, "trimmed");
		if (s.v[i].rss_bytes > peak)
			peak = s.v[i].rss_bytes;
	}
	T_OK(mono, "sample times never go backwards");
	T_OK(seen_start && seen_trimmed, "samples are labelled with the phase reached");
	T_OK(peak >= (1LL << 30), "the samples see the 1 GiB peak");
	hl_samples_free(&s);

	T_OK(file_starts(dir, "timeline.png", "\x89PNG\r\n\x1a\n", 8), "timeline.png is a PNG");
	T_OK(file_has(dir, "timeline.svg", "<svg"), "timeline.svg is SVG");
	T_OK(file_has(dir, "timeline.gp", "samples.tsv"), "timeline.gp reads samples.tsv");
	T_OK(file_has(dir, "malloc_info-freed.xml", "<malloc version=\"1\">"),
	     "malloc_info-freed.xml kept raw");
	T_OK(file_has(dir, "malloc_stats-trimmed.txt", "system bytes"),
	     "malloc_stats-trimmed.txt kept raw");

	/* heaplab plot re-renders from the files alone */
	snprintf(path, sizeof path, "%s/timeline.png", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/timeline.svg", dir);
	unlink(path);
	snprintf(cmd, sizeof cmd, "%s plot %s >/dev/null 2>&1", live_heaplab(), dir);
	T_EQ_INT(live_sh(cmd, NULL), 0, "heaplab plot exits 0");
	T_OK(file_starts(dir, "timeline.png", "\x89PNG\r\n\x1a\n", 8), "plot re-made timeline.png");
	T_OK(file_has(dir, "timeline.svg", "<svg"), "plot re-made timeline.svg");

	hl_buf_free(&file);
	hl_buf_free(&again);
	hl_buf_free(&sb);
	hl_buf_free(&out);
	hl_run_free(&run);
}

static void unpinned_run(void)
{
	char dir[256];
	hl_buf_t out = {0};
	hl_run_t run;
	int rc = live_run_full("brk_pin", "--quiet", "--pin=0 --trim=0", &run, &out, dir);
	T_EQ_INT(rc, 0, "heaplab run brk_pin -- --pin=0 --trim=0 exits 0");
	T_OK(out.data && strstr(out.data, "verdict: released:"), "the verdict says released");
	T_EQ_INT(run.nphases, 2, "two phases without --trim");
	const hl_phase_t *a = live_phase(&run, "allocated");
	const hl_phase_t *f = live_phase(&run, "freed");
	T_OK(f->rss_bytes * 10 <= a->rss_bytes, "no pin: RSS at freed <= 10%% of allocated (%lld)",
	     (long long)f->rss_bytes);
	T_OK(f->heap_bytes * 100 <= a->heap_bytes,
	     "no pin: the brk heap itself shrank below 1%% (%lld)", (long long)f->heap_bytes);
	T_OK(f->vsz_bytes * 10 <= a->vsz_bytes, "no pin: VSZ fell too");
	const char *param = NULL;
	for (size_t i = 0; i < run.nparams; i++)
		if (!strcmp(run.params[i].name, "pin"))
			param = run.params[i].value;
	T_EQ_STR(param, "0", "params record pin=0");
	hl_buf_free(&out);
	hl_run_free(&run);
}

int main(void)
{
	pinned_run();
	unpinned_run();
	return t_done();
}
