/*
 * test_live_heapview.c — `heapview --once --json PID` on a live target with
 * four arenas: the per-arena system/in-use/free bytes and chunk counts add
 * up to the target's own mallinfo2 exactly; the walk leaves the target's
 * RSS as it was; bad PIDs, a static binary and missing flags get clear
 * messages. The live view itself, in tmux at 80x24, shows the last walk's
 * cost in its header ("walk N ms"), and with --interval 1 the walks'
 * interval stretched to 20 times that cost ("walk N ms, every M ms"): the
 * two numbers of one screen are compared, never a clock.
 */
#include <cjson/cJSON.h>
#include <signal.h>
#include <unistd.h>

#include "live.h"

static char heapview[512];

static int64_t num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
}

/* tmux on a server of our own: ARGS, output into out (may be NULL) */
static char tmux_server[64];

static int tmux(const char *args, hl_buf_t *out)
{
	char cmd[1400];
	snprintf(cmd, sizeof cmd, "tmux -L %s -f /dev/null %s 2>&1", tmux_server, args);
	return live_sh(cmd, out);
}

/* The header's walk line: "walk N ms" or "walk N ms, every M ms|s" at the
 * start of a line; *every_ms -1 when there is no "every". */
static bool walk_line(const char *screen, double *walk_ms, double *every_ms, char *line,
		      size_t linesz)
{
	for (const char *l = screen; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, "walk ", 5))
			continue;
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		snprintf(line, linesz, "%.*s", (int)(n < linesz ? n : linesz - 1), l);
		char unit[4] = "";
		double e;
		int k = sscanf(line, "walk %lf ms, every %lf %3s", walk_ms, &e, unit);
		if (k < 1 || !strstr(line, " ms"))
			return false;
		*every_ms = k == 3 && !strcmp(unit, "s") ? e * 1e3 : k == 3 && !strcmp(unit, "ms") ? e : -1;
		return k == 1 || *every_ms >= 0;
	}
	return false;
}

/* Runs `heapview ARGS PID` in an 80x24 tmux pane until its screen has a
 * walk line that ok() accepts (10 s at most); true when one did. */
static bool live_view(const char *args, pid_t pid, bool (*ok)(double, double), char *line,
		      size_t linesz, hl_buf_t *screen)
{
	char cmd[1200];
	snprintf(cmd, sizeof cmd,
		 "new-session -d -s hv -x 80 -y 24 '%s %s %d; echo heapview-exit $?; sleep 600'",
		 heapview, args, (int)pid);
	if (tmux(cmd, NULL) != 0)
		return false;
	bool good = false;
	for (int i = 0; i < 100 && !good; i++) {
		usleep(100000);
		hl_buf_reset(screen);
		tmux("capture-pane -p -t hv", screen);
		double w, e;
		good = screen->data && walk_line(screen->data, &w, &e, line, linesz) && ok(w, e);
	}
	tmux("kill-session -t hv", NULL);
	return good;
}

/* the default interval (500 ms) and a walk well under 20 ms: "walk N ms" */
static bool plain_walk(double walk_ms, double every_ms)
{
	return walk_ms >= 0 && (every_ms < 0 || every_ms >= 25 * (walk_ms - 0.5));
}

/* --interval 1: every walk costs more than 4% of 1 ms, so the walks come
 * every 25 times the walk's cost, within the rounding of the two figures */
static bool stretched_walk(double walk_ms, double every_ms)
{
	if (every_ms < 0)
		return false;
	double tol = 25 * (walk_ms < 0.95 ? 0.05 : 0.5) + (every_ms >= 1000 ? 50 : 0.5);
	return every_ms > 1 && every_ms >= 25 * walk_ms - tol && every_ms <= 25 * walk_ms + tol;
}

static int64_t rss_of(pid_t pid)
{
	hl_buf_t b = {0};
	hl_statm_t st = {0};
	hl_procfs_read(pid, "statm", &b, NULL);
	hl_statm_parse(b.data ? b.data : "", b.len, hl_procfs_page_size(), &st, NULL);
	hl_buf_free(&b);
	return st.rss_bytes;
}

int main(void)
{
	const char *build = getenv("HEAPLAB_BUILD");
	snprintf(heapview, sizeof heapview, "%s/heapview", build ? build : "build");
	char line[512], cmd[700];
	pid_t pid = live_spawn("build/tests/helpers/hold_heap", "3", NULL, line, sizeof line, NULL);
	unsigned long long arena, ordblks, smblks, hblks, hblkhd, uord, ford, keep;
	T_OK(sscanf(line, "mallinfo2 %llu %llu %llu %llu %llu %llu %llu %llu", &arena, &ordblks,
		    &smblks, &hblks, &hblkhd, &uord, &ford, &keep) == 8,
	     "the target reports its mallinfo2");
	/* let its threads settle into their waits before measuring */
	int64_t rss0 = rss_of(pid);
	for (int i = 0; i < 50; i++) {
		usleep(20000);
		int64_t again = rss_of(pid);
		if (again == rss0)
			break;
		rss0 = again;
	}
	snprintf(cmd, sizeof cmd, "%s --once --json %d", heapview, (int)pid);
	hl_buf_t out = {0};
	T_EQ_INT(live_sh(cmd, &out), 0, "heapview --once --json exits 0");
	int64_t rss1 = rss_of(pid);
	T_EQ_INT(rss1, rss0, "the target's RSS is unchanged by the walk");
	cJSON *j = cJSON_Parse(out.data ? out.data : "");
	T_OK(j != NULL, "the output is JSON");
	T_EQ_INT(num(j, "pid"), pid, "pid");
	T_OK(num(j, "rss_bytes") > 0 && num(j, "vsz_bytes") > num(j, "rss_bytes"), "rss and vsz");
	const char *keys[] = {"live_bytes", "held_back_bytes", "released_bytes", "releasable_bytes",
			      "tcache_bytes", "fastbin_bytes", "top_bytes", "mmap_threshold",
			      "trim_threshold"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		T_OK(num(j, keys[i]) >= 0, "has %s", keys[i]);
	T_OK(!strncmp(cJSON_GetStringValue(cJSON_GetObjectItem(j, "method")), "dwarf:", 6),
	     "method: found through debug info");
	cJSON *arenas = cJSON_GetObjectItem(j, "arenas");
	T_EQ_INT(cJSON_GetArraySize(arenas), 4, "four arenas (main + 3 threads)");
	int64_t sys = 0, use = 0, fr = 0, chunks = 0, freec = 0;
	cJSON *a;
	cJSON_ArrayForEach(a, arenas)
	{
		sys += num(a, "system_bytes");
		use += num(a, "in_use_bytes");
		fr += num(a, "free_bytes");
		chunks += num(a, "chunks");
		freec += num(a, "free_chunks");
	}
	T_EQ_INT(sys, arena, "sum of system_bytes == mallinfo2.arena");
	T_EQ_INT(use, uord, "sum of in_use_bytes == mallinfo2.uordblks");
	T_EQ_INT(fr, ford, "sum of free_bytes == mallinfo2.fordblks");
	T_EQ_INT(freec, ordblks, "sum of free_chunks == mallinfo2.ordblks");
	T_OK(chunks > 1200, "every chunk walked (%lld)", (long long)chunks);
	T_EQ_INT(num(j, "mmapped_chunks"), hblks, "mmapped chunks == hblks");
	T_OK(num(j, "tcache_bytes") > 0 && num(j, "fastbin_bytes") > 0,
	     "tcache and fastbin memory found in every thread's arena");
	cJSON *regions = cJSON_GetObjectItem(j, "regions");
	T_EQ_INT(num(cJSON_GetObjectItem(regions, "arena-heap"), "count") >= 3, 1,
		 "regions: the threads' heaps are arena-heap");
	T_EQ_INT(num(cJSON_GetObjectItem(regions, "mmap-chunk"), "count"), 1,
		 "regions: the 1 MiB block is an mmap-chunk");
	cJSON_Delete(j);
	hl_buf_free(&out);

	snprintf(cmd, sizeof cmd, "%s --once %d", heapview, (int)pid);
	T_EQ_INT(live_sh(cmd, &out), 0, "text output exits 0");
	T_OK(out.data && strstr(out.data, "held back") && strstr(out.data, "arena 3:"),
	     "text names the figures and every arena");
	hl_buf_free(&out);
	/* --record: a run directory heaplab plot can draw */
	char dir[300];
	snprintf(dir, sizeof dir, "/tmp/heaplab-record-%d", (int)getpid());
	snprintf(cmd, sizeof cmd, "%s --record %s --interval 50 --duration 1 %d 2>&1", heapview, dir,
		 (int)pid);
	T_EQ_INT(live_sh(cmd, NULL), 0, "heapview --record exits 0");
	hl_run_t run;
	T_EQ_INT(hl_run_load(dir, &run, NULL), 0, "it wrote a run directory");
	T_EQ_STR(run.experiment, "hold_heap", "named after the program");
	T_OK(run.nsamples >= 10, "1 s at 50 ms: >= 10 samples (%lld)", (long long)run.nsamples);
	T_EQ_INT(run.nphases, 2, "walks at 'start' and 'end'");
	for (size_t i = 0; i < run.nphases; i++)
		T_OK(run.phases[i].walk_valid && run.phases[i].mallinfo2.uordblks == (int64_t)uord &&
			     run.phases[i].mallinfo2.arena == (int64_t)arena,
		     "%s: the walk's in use and arena are the target's own", run.phases[i].name);
	for (size_t i = 0; i < run.nphases; i++) {
		char path[400];
		snprintf(path, sizeof path, "%s/heapmap-%s.tsv", dir, run.phases[i].name);
		hl_buf_t map = {0};
		hl_heapmap_t m = {0};
		T_OK(hl_file_read(path, &map, NULL) == 0 &&
			     hl_heapmap_parse(map.data, map.len, &m, NULL) == 0 && m.rows > 0 &&
			     m.heaps >= 4 && m.pages * m.page_bytes >= (int64_t)arena,
		     "%s: a heap map of every heap (%lld heaps, %lld pages)", run.phases[i].name,
		     (long long)m.heaps, (long long)m.pages);
		hl_heapmap_free(&m);
		hl_buf_free(&map);
	}
	hl_run_free(&run);
	snprintf(cmd, sizeof cmd, "%s plot %s >/dev/null 2>&1", live_heaplab(), dir);
	T_EQ_INT(live_sh(cmd, NULL), 0, "heaplab plot draws the recording");
	snprintf(cmd, sizeof cmd, "%s --record %s --duration 1 %d 2>&1", heapview, dir, (int)pid);
	T_EQ_INT(live_sh(cmd, &out), 1, "--record into an existing directory: exit 1");
	T_OK(out.data && strstr(out.data, "nothing was changed"), "and nothing is overwritten");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);

	/* the live view in a terminal: the walk line of its header */
	snprintf(tmux_server, sizeof tmux_server, "heaplab-hv-test-%d", (int)getpid());
	if (live_sh("command -v tmux >/dev/null", NULL) != 0) {
		T_OK(1, "# SKIP tmux is missing (make deps installs it)");
	} else {
		char wl[128] = "";
		hl_buf_t scr = {0};
		bool seen = live_view("", pid, plain_walk, wl, sizeof wl, &scr);
		T_OK(seen, "heapview PID at 80x24: the header shows 'walk N ms' (%s)", wl);
		if (!seen && scr.data)
			printf("#   | %s\n", scr.data);
		T_OK(scr.data && strstr(scr.data, "\nRSS ") && strstr(scr.data, "\nheld back "),
		     "with the figures above it");
		wl[0] = '\0';
		seen = live_view("--interval 1", pid, stretched_walk, wl, sizeof wl, &scr);
		T_OK(seen, "--interval 1: 'walk N ms, every M' with M = 20 N, the cost rule (%s)", wl);
		if (!seen && scr.data)
			printf("#   | %s\n", scr.data);
		hl_buf_free(&scr);
		tmux("kill-server", NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	/* an arena of three heaps: the old ones closed by fenceposts */
	pid = live_spawn("build/tests/helpers/hold_heap", "1", "150", line, sizeof line, NULL);
	T_EQ_INT(sscanf(line, "mallinfo2 %llu %llu %llu %llu %llu %llu %llu %llu", &arena, &ordblks,
			&smblks, &hblks, &hblkhd, &uord, &ford, &keep),
		 8, "a thread kept 150 MiB in small chunks");
	snprintf(cmd, sizeof cmd, "%s --once --json %d", heapview, (int)pid);
	T_EQ_INT(live_sh(cmd, &out), 0, "heapview --once --json on it");
	j = cJSON_Parse(out.data ? out.data : "");
	arenas = cJSON_GetObjectItem(j, "arenas");
	sys = use = fr = freec = 0;
	int64_t heaps = 0;
	cJSON_ArrayForEach(a, arenas)
	{
		sys += num(a, "system_bytes");
		use += num(a, "in_use_bytes");
		fr += num(a, "free_bytes");
		freec += num(a, "free_chunks");
		heaps += num(a, "heaps");
	}
	T_OK(cJSON_IsTrue(cJSON_GetObjectItem(j, "complete")), "the walk is complete");
	T_EQ_INT(heaps, 4, "4 heaps: the brk heap and the thread arena's 3");
	T_OK(sys == (int64_t)arena && use == (int64_t)uord && fr == (int64_t)ford &&
		     freec == (int64_t)ordblks,
	     "system/in-use/free bytes and free chunks == mallinfo2 (%lld %lld %lld %lld)",
	     (long long)sys, (long long)use, (long long)fr, (long long)freec);
	cJSON_Delete(j);
	hl_buf_free(&out);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	/* bad input */
	snprintf(cmd, sizeof cmd, "%s --once 999999999 2>&1", heapview);
	T_EQ_INT(live_sh(cmd, &out), 1, "no such PID: exit 1");
	T_OK(out.data && strstr(out.data, "does not exist"), "says the process does not exist");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s --once abc 2>&1", heapview);
	T_EQ_INT(live_sh(cmd, &out), 2, "not a PID: exit 2");
	hl_buf_free(&out);
	pid = live_spawn("build/tests/helpers/pause_static", NULL, NULL, line, sizeof line, NULL);
	snprintf(cmd, sizeof cmd, "%s --once %d 2>&1", heapview, (int)pid);
	T_EQ_INT(live_sh(cmd, &out), 1, "a static binary: exit 1");
	T_OK(out.data && strstr(out.data, "no glibc mapped") && strstr(out.data, "RSS"),
	     "says it cannot walk it, and still shows /proc's figures");
	hl_buf_free(&out);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return t_done();
}
