/*
 * test_live_trace.c — heaplab trace and heaplab leaks on a program whose
 * calls are known (tests/helpers/trace_calls.c): exactly those events, in
 * order, with their sizes and pointers; leaks names exactly the blocks left,
 * at the marked lines; a double free is recorded before glibc aborts and is
 * reported with both stacks; 4 threads x 1M calls with a fork in the middle
 * and an abort at the end lose nothing; bad traces and commands get clear
 * messages.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "trace.h"
#include "trace_t.h"

static char dir[64];

static int marked(const char *marker)
{
	return marked_in("tests/helpers/trace_calls.c", marker);
}

static int trace(const char *mode, const char *name, char *path, size_t n)
{
	char cmd[1024];
	snprintf(path, n, "%s/%s", dir, name);
	snprintf(cmd, sizeof cmd, "%s trace --out %s -- build/tests/helpers/trace_calls %s 2>/dev/null",
		 heaplab, path, mode);
	return live_sh(cmd, NULL);
}

static cJSON *leaks(const char *path)
{
	return leaks_with(path);
}

static int frame_line(const cJSON *frames)
{
	const cJSON *f = cJSON_GetArrayItem(frames, 0);
	const char *file = cJSON_GetStringValue(cJSON_GetObjectItem(f, "file"));
	return file && strstr(file, "trace_calls.c") ? (int)num(f, "line") : -1;
}

static void calls(void)
{
	char path[256];
	T_EQ_INT(trace("calls", "calls.trace", path, sizeof path), 0, "trace: the program's exit 0");
	hl_trace_t t;
	hl_error_t err = {0};
	T_EQ_INT(hl_trace_load(path, &t, &err), 0, "the trace loads (%s)", err.msg);
	T_OK(t.ended && t.end_kind == HLT_END_EXIT && !t.problem[0], "complete, ended by exit");
	T_EQ_INT(t.end_events, t.nev, "the END record counts every event read");
	static const struct {
		int op;
		uint64_t size, old_or_align;
	} want[] = {{HLT_MALLOC, 100, 0},  {HLT_CALLOC, 200, 0},      {HLT_FREE, 0, 0},
		    {HLT_REALLOC, 50, 0},  {HLT_REALLOC, 5000, 1},    {HLT_REALLOC, 10, 1},
		    {HLT_REALLOC, 0, 1},   {HLT_MEMALIGN, 300, 64},   {HLT_MEMALIGN, 512, 256},
		    {HLT_FREE, 0, 0},      {HLT_MEMALIGN, 1000, 128}, {HLT_FREE, 0, 0},
		    {HLT_TRIM, 0, 0}};
	size_t n = sizeof want / sizeof want[0];
	T_EQ_INT(t.nev, n, "exactly the %zu calls made", n);
	bool same = t.nev == n;
	for (size_t i = 0; same && i < n; i++) {
		const hl_trace_event_t *e = &t.ev[i];
		same = e->op == want[i].op && e->thread == 0 && !e->failed &&
		       (e->op == HLT_FREE || e->size == want[i].size) &&
		       (e->op != HLT_MEMALIGN || e->old == want[i].old_or_align);
		if (!same)
			printf("# event %zu: op %d size %llu\n", i, e->op, (unsigned long long)e->size);
	}
	T_OK(same, "each call's kind and size (and alignment) as made");
	if (t.nev == n) {
		T_OK(t.ev[2].ptr == t.ev[1].ptr, "free names calloc's pointer");
		T_OK(t.ev[3].old == 0 && t.ev[4].old == t.ev[3].ptr && t.ev[5].old == t.ev[4].ptr &&
			     t.ev[6].old == t.ev[5].ptr,
		     "each realloc takes the pointer the last one returned");
		T_OK(t.ev[7].ptr % 64 == 0 && t.ev[8].ptr % 256 == 0 && t.ev[10].ptr % 128 == 0,
		     "the aligned pointers are aligned");
		T_OK(t.ev[9].ptr == t.ev[8].ptr && t.ev[11].ptr == t.ev[10].ptr,
		     "their frees name them");
	}
	hl_trace_free(&t);

	cJSON *j = leaks(path);
	T_OK(j != NULL, "leaks --json");
	T_EQ_INT(num(j, "alloc_calls"), 8, "8 allocation calls (realloc to 0 frees)");
	T_EQ_INT(num(j, "free_calls"), 3, "3 frees (free(NULL) is not a call that counts)");
	T_EQ_INT(num(j, "leaked_bytes"), 400, "400 bytes left");
	T_EQ_INT(num(j, "leaked_blocks"), 2, "in 2 blocks");
	T_EQ_INT(num(j, "peak_live_bytes"), 100 + 5000, "peak live: 100 + the 5000-byte realloc");
	const cJSON *g = cJSON_GetObjectItem(j, "groups");
	T_EQ_INT(cJSON_GetArraySize(g), 2, "2 groups");
	const cJSON *g0 = cJSON_GetArrayItem(g, 0), *g1 = cJSON_GetArrayItem(g, 1);
	T_OK(num(g0, "bytes") == 300 && frame_line(cJSON_GetObjectItem(g0, "frames")) == marked("leak-d"),
	     "the biggest: 300 bytes from posix_memalign at trace_calls.c:%d", marked("leak-d"));
	T_OK(num(g1, "bytes") == 100 && frame_line(cJSON_GetObjectItem(g1, "frames")) == marked("leak-a"),
	     "then 100 bytes from malloc at trace_calls.c:%d", marked("leak-a"));
	T_EQ_STR(cJSON_GetStringValue(
			 cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(g0, "frames"), 0),
					     "function")),
		 "main", "named by function");
	T_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "double_frees")) +
			 cJSON_GetArraySize(cJSON_GetObjectItem(j, "invalid_frees")),
		 0, "no bad frees");
	cJSON_Delete(j);

	/* the text report */
	char cmd[1024];
	hl_buf_t out = {0};
	snprintf(cmd, sizeof cmd, "%s leaks %s", heaplab, path);
	T_EQ_INT(live_sh(cmd, &out), 0, "leaks (text): exit 0");
	T_OK(out.data && strstr(out.data, "never freed: 400 B in 2 blocks") &&
		     strstr(out.data, "trace_calls.c:"),
	     "says what is left and where");
	hl_buf_free(&out);
}

static void twice(void)
{
	char path[256];
	int rc = trace("double", "double.trace", path, sizeof path);
	T_OK(rc != 0, "a double free: glibc aborts the program (heaplab: %d)", rc);
	hl_trace_t t;
	T_EQ_INT(hl_trace_load(path, &t, NULL), 0, "its trace loads");
	T_OK(t.ended && t.end_kind == HLT_END_SIGNAL, "ended by a signal, and says so");
	T_EQ_INT(t.nev, 3, "malloc, free, free: all recorded before the abort");
	hl_trace_free(&t);
	cJSON *j = leaks(path);
	const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "double_frees"), 0);
	T_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "double_frees")), 1, "one double free");
	T_EQ_INT(frame_line(cJSON_GetObjectItem(d, "free_frames")), marked("double-free"),
		 "with the stack of the second free");
	T_EQ_INT(frame_line(cJSON_GetObjectItem(d, "alloc_frames")), marked("double-alloc"),
		 "and of the allocation");
	T_OK(cJSON_IsFalse(cJSON_GetObjectItem(j, "complete")), "the report says it was cut short");
	cJSON_Delete(j);
}

static void segv(void)
{
	char path[256];
	int rc = trace("segv", "segv.trace", path, sizeof path);
	T_OK(rc != 0, "a program that dies of SIGSEGV (heaplab: %d)", rc);
	hl_trace_t t;
	T_EQ_INT(hl_trace_load(path, &t, NULL), 0, "its trace loads");
	T_OK(t.ended && t.end_kind == HLT_END_SIGNAL && strstr(t.problem, "signal"),
	     "says it was cut by a signal (%s)", t.problem);
	T_OK(t.nev == 1 && t.ev[0].op == HLT_MALLOC && t.ev[0].size == 77,
	     "and holds the malloc made before it");
	hl_trace_free(&t);
}

static void threads(void)
{
	char path[256];
	trace("threads", "threads.trace", path, sizeof path);
	hl_trace_t t;
	T_EQ_INT(hl_trace_load(path, &t, NULL), 0, "4 threads, a fork, an abort: the trace loads");
	T_OK(t.ended && t.end_kind == HLT_END_SIGNAL, "ended by the abort");
	T_EQ_INT(t.end_events, t.nev, "no event lost: the recorder wrote %zu, we read them all",
		 t.nev);
	int64_t per[8] = {0};
	for (size_t i = 0; i < t.nev; i++)
		if (t.ev[i].thread < 8)
			per[t.ev[i].thread]++;
	int full = 0;
	for (int k = 1; k <= 4; k++)
		full += per[k] == 1000000;
	T_EQ_INT(full, 4, "each thread: exactly its 1,000,000 calls");
	struct stat sb;
	T_OK(stat(path, &sb) == 0 && (double)sb.st_size / (double)t.nev <= 8.0,
	     "at most 8 bytes per event on disk (%.2f)", (double)sb.st_size / (double)(t.nev ? t.nev : 1));
	hl_trace_free(&t);
	/* the child's own trace, FILE.PID */
	char cmd[600];
	hl_buf_t out = {0};
	snprintf(cmd, sizeof cmd, "ls %s/threads.trace.*", dir);
	live_sh(cmd, &out);
	char child[300] = "";
	if (out.data)
		sscanf(out.data, "%299s", child);
	hl_buf_free(&out);
	T_OK(child[0] && hl_trace_load(child, &t, NULL) == 0, "the forked child wrote %s", child);
	T_OK(t.ended && t.nev == 2000 && t.end_events == 2000 && (t.header.flags & HLT_F_CHILD),
	     "with exactly its 1000 malloc/free pairs, complete (%zu)", t.nev);
	hl_trace_free(&t);
}

static void bad(void)
{
	char cmd[1200], path[300];
	hl_buf_t out = {0};
	snprintf(path, sizeof path, "%s/calls.trace", dir);
	snprintf(cmd, sizeof cmd, "%s trace --out %s -- true 2>&1", heaplab, path);
	T_EQ_INT(live_sh(cmd, &out), 1, "--out onto an existing trace: exit 1");
	T_OK(out.data && strstr(out.data, "never written over"), "and it is left as it was");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s trace --out %s/x.trace -- sh -c 'exit 7' 2>&1", heaplab, dir);
	T_EQ_INT(live_sh(cmd, &out), 7, "the program's exit status passes through");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s trace --out %s/y.trace -- /no/such/cmd 2>&1", heaplab, dir);
	T_EQ_INT(live_sh(cmd, &out), 127, "a command that is not there: exit 127");
	T_OK(out.data && strstr(out.data, "cannot run /no/such/cmd"), "says so");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s leaks Makefile 2>&1", heaplab);
	T_EQ_INT(live_sh(cmd, &out), 2, "leaks on a file that is not a trace: exit 2");
	T_OK(out.data && strstr(out.data, "not a heaplab trace"), "says so");
	hl_buf_free(&out);
	/* a cut trace: what is whole is read, and where it stops is said */
	snprintf(cmd, sizeof cmd,
		 "head -c $(($(stat -c %%s %s) - 60)) %s > %s/cut.trace && %s leaks %s/cut.trace 2>&1",
		 path, path, dir, heaplab, dir);
	T_EQ_INT(live_sh(cmd, &out), 0, "a trace cut 60 bytes before its end: exit 0");
	T_OK(out.data && strstr(out.data, "cut short") && strstr(out.data, "events"),
	     "reads the whole records and says where it stops");
	hl_buf_free(&out);
	/* damage in the middle: the whole records before it are read */
	snprintf(cmd, sizeof cmd,
		 "cp %s/threads.trace %s/dmg.trace && dd if=/dev/urandom of=%s/dmg.trace bs=1 "
		 "seek=1000000 count=64 conv=notrunc 2>/dev/null && %s leaks %s/dmg.trace 2>&1",
		 dir, dir, dir, heaplab, dir);
	T_EQ_INT(live_sh(cmd, &out), 0, "a trace damaged at byte 1,000,000: exit 0");
	long long got = -1;
	const char *ev = out.data ? strstr(out.data, "; reading its ") : NULL;
	if (ev)
		got = atoll(ev + 14);
	T_OK(out.data && (strstr(out.data, "damaged at byte") || strstr(out.data, "cut short")) &&
		     got > 100000 && got < 4000004,
	     "reads what comes before it and says where it stops (%lld events)", got);
	hl_buf_free(&out);
	/* another version */
	snprintf(cmd, sizeof cmd,
		 "cp %s %s/v3.trace && printf '\\003' | dd of=%s/v3.trace bs=1 seek=8 conv=notrunc "
		 "2>/dev/null && %s leaks %s/v3.trace 2>&1",
		 path, dir, dir, heaplab, dir);
	T_EQ_INT(live_sh(cmd, &out), 2, "a version 3 trace: exit 2");
	T_OK(out.data && strstr(out.data, "version 3 trace"), "names the version");
	hl_buf_free(&out);
}

/* A real mtrace log, made here, imported. */
static void mtrace_log(void)
{
	const char *dbg = "/lib/x86_64-linux-gnu/libc_malloc_debug.so.0";
	char cmd[1400], trace[300];
	hl_buf_t out = {0};
	snprintf(cmd, sizeof cmd,
		 "MALLOC_TRACE=%s/m.log LD_PRELOAD=%s build/tests/helpers/mtrace_calls && "
		 "grep -c '^@' %s/m.log",
		 dir, dbg, dir);
	T_EQ_INT(live_sh(cmd, &out), 0, "glibc's mtrace wrote a log");
	T_OK(out.data && atoi(out.data) == 7, "of 7 calls (malloc, malloc, free, calloc, realloc as < "
					      "and >, free): %s",
	     out.data ? out.data : "");
	hl_buf_free(&out);
	snprintf(trace, sizeof trace, "%s/m.trace", dir);
	snprintf(cmd, sizeof cmd, "%s trace --import-mtrace %s/m.log --out %s 2>&1", heaplab, dir,
		 trace);
	T_EQ_INT(live_sh(cmd, &out), 0, "--import-mtrace: exit 0");
	T_OK(out.data && strstr(out.data, "6 events"), "6 events (realloc's two lines are one)");
	hl_buf_free(&out);
	cJSON *j = leaks(trace);
	T_EQ_INT(num(j, "alloc_calls"), 4, "leaks on it: 4 allocation calls");
	T_EQ_INT(num(j, "free_calls"), 2, "2 frees");
	T_EQ_INT(num(j, "leaked_bytes"), 100, "100 bytes left");
	T_EQ_INT(num(j, "peak_live_bytes"), 100 + 4000, "peak live 4100");
	const cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "groups"), 0);
	const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(g, "frames"), 0);
	const char *file = cJSON_GetStringValue(cJSON_GetObjectItem(f, "file"));
	T_OK(file && strstr(file, "mtrace_calls.c") &&
		     num(f, "line") == marked_in("tests/helpers/mtrace_calls.c", "mtrace-leak"),
	     "at mtrace_calls.c:%d, named from mtrace's caller",
	     marked_in("tests/helpers/mtrace_calls.c", "mtrace-leak"));
	cJSON_Delete(j);
	snprintf(cmd, sizeof cmd, "%s trace --import-mtrace Makefile --out %s/no.trace 2>&1; test ! -e %s/no.trace",
		 heaplab, dir, dir);
	T_EQ_INT(live_sh(cmd, &out), 0, "a file that is not an mtrace log: refused, nothing left");
	T_OK(out.data && strstr(out.data, "not a glibc mtrace log"), "says so");
	hl_buf_free(&out);
}

/* exec: the new image writes FILE.PID, its calls complete. */
static void exec_image(void)
{
	char cmd[1200], path[300];
	hl_buf_t out = {0};
	snprintf(path, sizeof path, "%s/exec.trace", dir);
	snprintf(cmd, sizeof cmd,
		 "%s trace --out %s -- sh -c 'exec build/tests/helpers/trace_calls calls' 2>/dev/null; "
		 "ls %s.*",
		 heaplab, path, path);
	T_EQ_INT(live_sh(cmd, &out), 0, "a program that execs another: both traced");
	char next[300] = "";
	if (out.data)
		sscanf(out.data, "%299s", next);
	hl_buf_free(&out);
	hl_trace_t t;
	T_OK(next[0] && hl_trace_load(next, &t, NULL) == 0 && t.ended && t.nev == 13,
	     "the exec'd program's calls, all 13, in %s (%zu)", next, next[0] ? t.nev : 0);
	if (next[0])
		hl_trace_free(&t);
	T_OK(hl_trace_load(path, &t, NULL) == 0, "the shell's own trace is readable too");
	hl_trace_free(&t);
}

/* A trace replayed: the retention it recorded comes back. */
static void replay(void)
{
	char cmd[1400], path[300];
	hl_buf_t out = {0};
	snprintf(path, sizeof path, "%s/held.trace", dir);
	snprintf(cmd, sizeof cmd, "%s trace --out %s -- build/tests/helpers/hold_freed 20000 exit 2>/dev/null",
		 heaplab, path);
	T_EQ_INT(live_sh(cmd, &out), 0, "traced: 20,000 x 4 KiB freed below a pin");
	long long rss = -1;
	if (out.data)
		sscanf(out.data, "rss %lld", &rss);
	T_OK(rss > 70 << 20, "the program's RSS after its frees: %lld (held back)", rss);
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s replay %s --out %s/replayed --interval 0 --quiet 2>&1", heaplab,
		 path, dir);
	T_EQ_INT(live_sh(cmd, &out), 0, "heaplab replay: exit 0");
	hl_buf_free(&out);
	hl_run_t run;
	hl_run_init(&run);
	char rj[400];
	snprintf(rj, sizeof rj, "%s/replayed/run.json", dir);
	hl_buf_t b = {0};
	T_OK(hl_file_read(rj, &b, NULL) == 0 && hl_run_from_json(b.data, b.len, &run, NULL) == 0,
	     "the replay is an ordinary run directory");
	hl_buf_free(&b);
	const hl_phase_t *end = live_phase(&run, "end"), *peak = live_phase(&run, "peak");
	T_OK(peak && end, "with phases peak and end");
	if (end && rss > 0)
		T_OK(end->rss_bytes > rss * 95 / 100 && end->rss_bytes < rss * 105 / 100,
		     "RSS at the end of the replay within 5%% of the program's (%lld vs %lld)",
		     (long long)end->rss_bytes, rss);
	if (peak)
		T_OK(live_obs(peak, "live_bytes") >= 20000.0 * 4096,
		     "peak records the trace's live bytes (%.0f)", live_obs(peak, "live_bytes"));
	hl_run_free(&run);

	/* one run per allocator, compared */
	snprintf(cmd, sizeof cmd, "%s replay %s --compare glibc,jemalloc --out %s/cmp --interval 0 2>&1",
		 heaplab, path, dir);
	T_EQ_INT(live_sh(cmd, &out), 0, "--compare glibc,jemalloc: exit 0");
	T_OK(out.data && strstr(out.data, "jemalloc") && strstr(out.data, "glibc"),
	     "the comparison names both");
	const char *tab = out.data ? strstr(out.data, "RSS against the trace's live bytes") : NULL;
	char g_peak[16] = "", g_live[16] = "", j_peak[16] = "";
	const char *gl = tab ? strstr(tab, "\nglibc ") : NULL, *je = tab ? strstr(tab, "\njemalloc ") : NULL;
	T_OK(gl && je && sscanf(gl, " glibc %15s MiB %15s MiB", g_peak, g_live) == 2 &&
		     sscanf(je, " jemalloc %15s", j_peak) == 1 && atof(g_live) > 78.0,
	     "and sets RSS at peak and end against the live bytes (glibc: %s MiB at peak, %s MiB "
	     "live; jemalloc %s MiB)",
	     g_peak, g_live, j_peak);
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "test -s %s/cmp/sweep.json && ls -d %s/cmp/*/ | wc -l", dir, dir);
	T_EQ_INT(live_sh(cmd, &out), 0, "sweep.json written");
	T_OK(out.data && atoi(out.data) == 2, "two run directories");
	hl_buf_free(&out);

	/* threads: the trace's four workers are four replay threads */
	snprintf(cmd, sizeof cmd, "%s replay %s/threads.trace --out %s/thr --interval 0 2>&1", heaplab,
		 dir, dir);
	T_EQ_INT(live_sh(cmd, &out), 0, "the 4-thread trace replays");
	T_OK(out.data && strstr(out.data, "on 5 threads"), "on 5 threads (main and 4 workers)");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s replay Makefile 2>&1", heaplab);
	T_EQ_INT(live_sh(cmd, &out), 2, "replay of a file that is not a trace: exit 2");
	hl_buf_free(&out);
}

/* heaptrack's figure of one cost type, summed over the stacks that pass
 * through main (heaptrack's own library loads libstdc++, whose start-up
 * allocates a 72,704-byte pool from _dl_init: not the program's). */
static long long heaptrack_sum(const char *data, const char *cost)
{
	char cmd[1200];
	hl_buf_t out = {0};
	snprintf(cmd, sizeof cmd,
		 "heaptrack_print -f %s --flamegraph-cost-type %s -F %s/fg.txt >/dev/null 2>&1 && "
		 "awk '/main \\(trace_calls.c\\)/ {s += $NF} END {print s + 0}' %s/fg.txt",
		 data, cost, dir, dir);
	long long v = live_sh(cmd, &out) == 0 && out.data ? atoll(out.data) : -1;
	hl_buf_free(&out);
	return v;
}

/* Programs that make a recorder's life hard. */
static void robustness(void)
{
	char cmd[1400], path[300];
	hl_buf_t out = {0};
	hl_trace_t t;
	/* exit while three threads allocate: no event written twice or lost */
	for (int k = 0; k < 3; k++) {
		snprintf(path, sizeof path, "%s/exitrace%d.trace", dir, k);
		snprintf(cmd, sizeof cmd, "%s trace --out %s -- build/tests/helpers/trace_calls exitrace 2>/dev/null",
			 heaplab, path);
		live_sh(cmd, NULL);
		T_OK(hl_trace_load(path, &t, NULL) == 0 && t.ended && t.end_events == t.nev &&
			     !t.problem[0],
		     "exit while threads allocate (%d): every event written once (%zu)", k, t.nev);
		hl_trace_free(&t);
		cJSON *j = leaks(path);
		T_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "double_frees")), 0,
			 "and no double free appears from a block written twice");
		cJSON_Delete(j);
	}
	/* fork, then exec: the exec'd program is traced, in FILE.PID.01 */
	snprintf(path, sizeof path, "%s/fe.trace", dir);
	snprintf(cmd, sizeof cmd,
		 "%s trace --out %s -- build/tests/helpers/trace_calls forkexec 2>/dev/null; ls %s.*.01",
		 heaplab, path, path);
	T_EQ_INT(live_sh(cmd, &out), 0, "a forked child that execs: its program writes FILE.PID.01");
	char next[300] = "";
	if (out.data)
		sscanf(out.data, "%299s", next);
	hl_buf_free(&out);
	T_OK(next[0] && hl_trace_load(next, &t, NULL) == 0 && t.nev == 13 && t.ended,
	     "with all 13 calls (%s)", next);
	hl_trace_free(&t);
	/* a vfork child's _exit does not end its parent's trace */
	snprintf(path, sizeof path, "%s/vf.trace", dir);
	snprintf(cmd, sizeof cmd, "%s trace --out %s -- build/tests/helpers/trace_calls vfork 2>/dev/null",
		 heaplab, path);
	live_sh(cmd, NULL);
	cJSON *j = leaks(path);
	T_EQ_INT(num(j, "leaked_blocks"), 100, "after a vfork child's _exit, the parent's 100 blocks are traced");
	T_OK(cJSON_IsTrue(cJSON_GetObjectItem(j, "complete")), "and its trace ends at its own exit");
	cJSON_Delete(j);
	/* free of a pointer inside a block: recorded as it was */
	snprintf(path, sizeof path, "%s/mis.trace", dir);
	snprintf(cmd, sizeof cmd, "%s trace --out %s -- build/tests/helpers/trace_calls misfree 2>/dev/null",
		 heaplab, path);
	live_sh(cmd, NULL);
	j = leaks(path);
	const cJSON *inv = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "invalid_frees"), 0);
	T_OK(inv && frame_line(cJSON_GetObjectItem(inv, "free_frames")) == marked("free-inside") &&
		     num(j, "leaked_blocks") == 1,
	     "free(p + 8): an invalid free at trace_calls.c:%d, the block still live", marked("free-inside"));
	cJSON_Delete(j);
	/* a program that closes descriptors it does not know and opens its own */
	snprintf(path, sizeof path, "%s/cf.trace", dir);
	snprintf(cmd, sizeof cmd,
		 "%s trace --out %s -- build/tests/helpers/trace_calls closefds %s/mine 2>/dev/null && "
		 "cat %s/mine",
		 heaplab, path, dir, dir);
	T_EQ_INT(live_sh(cmd, &out), 0, "a program that closes fds 3..63 and opens a file");
	T_OK(out.data && !strcmp(out.data, "mine"), "its file holds only what it wrote (%zu bytes)",
	     out.len);
	hl_buf_free(&out);
	T_OK(hl_trace_load(path, &t, NULL) == 0 && t.nev == 20000 && t.ended,
	     "and the trace all 20,000 calls (%zu)", t.nev);
	hl_trace_free(&t);
	/* 5000 threads one after another: every one traced, buffers reused */
	snprintf(path, sizeof path, "%s/t2.trace", dir);
	long bare = -1, traced = -1;
	snprintf(cmd, sizeof cmd, "build/tests/helpers/trace_calls threads2");
	if (live_sh(cmd, &out) == 0 && out.data)
		sscanf(out.data, "hwm %ld", &bare);
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s trace --out %s -- build/tests/helpers/trace_calls threads2 2>/dev/null",
		 heaplab, path);
	if (live_sh(cmd, &out) == 0 && out.data)
		sscanf(out.data, "hwm %ld", &traced);
	hl_buf_free(&out);
	j = leaks(path);
	T_OK(num(j, "leaked_blocks") >= 5000, "5000 threads: each one's block traced (%lld)",
	     (long long)num(j, "leaked_blocks"));
	T_OK(bare > 0 && traced > 0 && traced - bare < 16 * 1024,
	     "and the recorder adds under 16 MiB to peak RSS (%ld KiB against %ld)", traced, bare);
	cJSON_Delete(j);
	/* a damaged STACK record claims a huge id: refused, not allocated */
	snprintf(cmd, sizeof cmd,
		 "head -c 32 %s/calls.trace > %s/big.trace && printf '\002\006\200\302\327\057\001\001' "
		 ">> %s/big.trace && %s leaks %s/big.trace 2>&1",
		 dir, dir, dir, heaplab, dir);
	live_sh(cmd, &out);
	T_OK(out.data && strstr(out.data, "damaged at byte 32"), "a STACK id of 100,000,000 in a tiny "
								  "file: damaged, not allocated");
	hl_buf_free(&out);
	/* a record that claims more bytes than there are */
	snprintf(cmd, sizeof cmd,
		 "head -c 32 %s/calls.trace > %s/long.trace && printf '\001\350\007\\000' >> %s/long.trace "
		 "&& %s leaks %s/long.trace 2>&1",
		 dir, dir, dir, heaplab, dir);
	live_sh(cmd, &out);
	T_OK(out.data && strstr(out.data, "a record of 1000 bytes runs past the end"),
	     "a record cut short: its claimed size is named");
	hl_buf_free(&out);
}

/* The same program under heaptrack: the same counts. */
static void peer(void)
{
	char cmd[1200], path[300], data[300];
	hl_buf_t out = {0};
	trace("peer", "peer.trace", path, sizeof path);
	snprintf(cmd, sizeof cmd,
		 "cd %s && heaptrack -o %s/ht %s/build/tests/helpers/trace_calls peer >/dev/null 2>&1 && "
		 "ls %s/ht*",
		 dir, dir, getcwd(data, sizeof data) ? data : ".", dir);
	T_EQ_INT(live_sh(cmd, &out), 0, "heaptrack ran the same program");
	data[0] = '\0';
	if (out.data)
		sscanf(out.data, "%299s", data);
	hl_buf_free(&out);
	cJSON *j = leaks(path);
	long long calls = heaptrack_sum(data, "allocations"), leaked = heaptrack_sum(data, "leaked"),
		  peak = heaptrack_sum(data, "peak");
	T_EQ_INT(num(j, "alloc_calls"), calls, "allocation calls: heaplab %lld, heaptrack %lld",
		 (long long)num(j, "alloc_calls"), calls);
	T_EQ_INT(num(j, "leaked_bytes"), leaked, "leaked bytes: heaplab %lld, heaptrack %lld",
		 (long long)num(j, "leaked_bytes"), leaked);
	T_EQ_INT(num(j, "peak_live_bytes"), peak, "peak live bytes: heaplab %lld, heaptrack %lld",
		 (long long)num(j, "peak_live_bytes"), peak);
	T_OK(calls > 3000 && leaked > 100000, "and they are not trivial (%lld calls, %lld leaked)",
	     calls, leaked);
	cJSON_Delete(j);
}

/* The names of a leak group's frames, joined. */
static void frame_names(const cJSON *g, char *out, size_t n)
{
	out[0] = '\0';
	const cJSON *f;
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(g, "frames"))
	{
		const char *fn = cJSON_GetStringValue(cJSON_GetObjectItem(f, "function"));
		size_t l = strlen(out);
		snprintf(out + l, n - l, "%s ", fn && *fn ? fn : "??");
	}
}

/* Code without frame pointers: libunwind sees through it. */
static void unwinding(void)
{
	char cmd[1200], path[300], names[2][600];
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof path, "%s/nofp%d.trace", dir, k);
		snprintf(cmd, sizeof cmd,
			 "%s trace %s --out %s -- build/tests/helpers/trace_calls nofp 2>/dev/null",
			 heaplab, k ? "--unwind libunwind" : "", path);
		T_EQ_INT(live_sh(cmd, NULL), 0, "traced with %s", k ? "libunwind" : "frame pointers");
		cJSON *j = leaks(path);
		const cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "groups"), 0);
		frame_names(g, names[k], sizeof names[k]);
		T_OK(num(g, "bytes") == 100 &&
			     frame_line(cJSON_GetObjectItem(g, "frames")) == marked("nofp-leak"),
		     "the block, at trace_calls.c:%d", marked("nofp-leak"));
		cJSON_Delete(j);
	}
	T_OK(!strstr(names[0], "nofp_outer"),
	     "frame pointers skip the functions built without them: %s", names[0]);
	T_OK(strstr(names[1], "nofp_inner nofp_outer main"),
	     "libunwind gives the whole stack: %s", names[1]);
}

int main(void)
{
	trace_t_init();
	snprintf(dir, sizeof dir, "/tmp/heaplab-trace-XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	calls();
	twice();
	segv();
	threads();
	bad();
	mtrace_log();
	exec_image();
	replay();
	peer();
	unwinding();
	robustness();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return t_done();
}
