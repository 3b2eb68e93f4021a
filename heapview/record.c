/*
 * record.c — `heapview --record DIR --interval MS --duration S PID`: samples
 * a running process from outside into a run directory (run.json and
 * samples.tsv, as `heaplab run` writes them), so `heaplab plot DIR` draws
 * it. A walk of the heap at the start and at the end becomes the phases
 * 'start' and 'end' (mallinfo2 as the walker counts it, and the walk), each
 * with its heap map (heapmap-start.tsv, heapmap-end.tsv).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "heapview.h"

static int64_t now_ms(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* dir/heapmap-BASE.tsv from a walk with page classes (lib/heapmap.c). */
static void write_heapmap(const char *dir, const hl_run_t *run, const char *name,
			  const hl_walk_t *w)
{
	char base[80], path[600];
	hl_run_phase_base(run, run->nphases, name, base, sizeof base);
	snprintf(path, sizeof path, "%s/heapmap-%s.tsv", dir, base);
	hl_heapmap_t info;
	hl_heapmap_save(w, path, &info, NULL);
}

/* A phase from a walk of the process (its figures from /proc and the walk),
 * and its heap map beside run.json. */
static void walk_phase(pid_t pid, const char *dir, const char *name, int64_t t_ms,
		       hl_sampler_t *sm, hl_glibc_layout_t *layout, hl_run_t *run)
{
	hl_phase_t ph;
	memset(&ph, 0, sizeof ph);
	snprintf(ph.name, sizeof ph.name, "%s", name);
	ph.t_ms = t_ms;
	hl_sample_t s;
	if (hl_sampler_take(sm, true, &s, NULL) == 0) {
		ph.rss_bytes = s.rss_bytes;
		ph.vsz_bytes = s.vsz_bytes;
		ph.heap_bytes = s.heap_bytes;
		ph.heap_rss_bytes = s.heap_rss_bytes;
	} else {
		ph.rss_bytes = ph.vsz_bytes = ph.heap_bytes = ph.heap_rss_bytes = HL_UNKNOWN;
	}
	hl_walk_t w;
	if (hl_walk_process_opts(pid, layout, HL_WALK_PAGES, &w, NULL) == 0) {
		/* the walk's totals are mallinfo2's, so the plot and the verdict
		 * can use them as the process's own */
		ph.mallinfo2 = w.mallinfo2;
		ph.walk_valid = true;
		hl_walk_summarize(&w, &ph.walk);
		ph.walk.rss_before_bytes = ph.walk.rss_after_bytes = HL_UNKNOWN;
		write_heapmap(dir, run, name, &w);
		hl_walk_free(&w);
	}
	hl_run_add_phase(run, &ph);
}

int hv_record(pid_t pid, const char *dir, int64_t interval_ms, int64_t duration_s, hl_error_t *err)
{
	if (mkdir(dir, 0755) < 0) {
		int e = errno;
		if (e == EEXIST)
			return hl_error_set(err, -e,
					    "%s exists; --record writes a new directory, so nothing was "
					    "changed",
					    dir);
		return hl_error_set(err, -e, "cannot create %s: %s", dir, strerror(e));
	}
	hv_snapshot_t probe;
	int rc = hv_snapshot_take(pid, &probe, err);
	if (rc)
		return rc;
	hl_run_t run;
	hl_run_init(&run);
	snprintf(run.experiment, sizeof run.experiment, "%s", probe.status.name);
	/* status's Name is cut at 15 characters; argv[0] is not */
	hl_buf_t cmd = {0};
	if (hl_procfs_read(pid, "cmdline", &cmd, NULL) == 0 && cmd.len) {
		const char *slash = strrchr(cmd.data, '/');
		snprintf(run.experiment, sizeof run.experiment, "%s", slash ? slash + 1 : cmd.data);
	}
	hl_buf_free(&cmd);
	snprintf(run.program, sizeof run.program, "pid %d (recorded by heapview)", (int)pid);
	hv_snapshot_free(&probe);
	snprintf(run.glibc, sizeof run.glibc, "%s", hl_sysinfo_glibc());
	hl_sysinfo_kernel(run.kernel, sizeof run.kernel);
	snprintf(run.allocator, sizeof run.allocator, "glibc");
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(run.started, sizeof run.started, "%Y-%m-%dT%H:%M:%SZ", &tm);
	run.interval_ms = interval_ms;
	snprintf(run.status, sizeof run.status, "recording");

	char path[512];
	snprintf(path, sizeof path, "%s/samples.tsv", dir);
	FILE *f = fopen(path, "wx");
	if (!f)
		return hl_error_set(err, -errno, "cannot write %s: %s", path, strerror(errno));
	fputs(hl_samples_header, f);
	hl_sampler_t sm;
	hl_sampler_init(&sm, pid);
	hl_glibc_layout_t layout;
	memset(&layout, 0, sizeof layout);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	walk_phase(pid, dir, "start", 0, &sm, &layout, &run);
	hl_run_save(&run, dir, NULL);
	hl_buf_t row = {0};
	bool gone = false;
	const char *last = "start";
	for (int64_t t = 0; t <= duration_s * 1000; t = now_ms(&t0)) {
		hl_sample_t s;
		if (hl_sampler_take(&sm, false, &s, NULL) != 0) {
			gone = true;
			break;
		}
		s.t_ms = t;
		snprintf(s.phase, sizeof s.phase, "%s", last);
		hl_buf_reset(&row);
		hl_samples_format_row(&s, &row);
		fwrite(row.data, 1, row.len, f);
		run.nsamples++;
		struct timespec d = {(time_t)(interval_ms / 1000), (long)(interval_ms % 1000) * 1000000};
		nanosleep(&d, NULL);
	}
	fclose(f);
	run.duration_ms = now_ms(&t0);
	if (!gone)
		walk_phase(pid, dir, "end", run.duration_ms, &sm, &layout, &run);
	run.complete = !gone;
	run.exit_code = 0;
	snprintf(run.status, sizeof run.status, "%s",
		 gone ? "the process exited during the recording" : "complete");
	rc = hl_run_save(&run, dir, err);
	hl_buf_free(&row);
	hl_sampler_free(&sm);
	hl_run_free(&run);
	return rc;
}
