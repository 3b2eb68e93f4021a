/*
 * test_live_glibc_matrix.c — the walker on every glibc of the matrix:
 * Debian bullseye (2.31), this system's bookworm (2.36), trixie (2.41) and
 * sid (2.43), fetched by scripts/glibc.sh (make test does it first; a
 * suite that could not be fetched fails here, saying so). A program runs
 * under each through that glibc's own loader (2.31: the build of it made
 * against 2.31), and the walker reads it from outside:
 *
 * - a mixed heap in five arenas: with that glibc's own debug info (found
 *   by build ID in the tree the libc was loaded from) and without it (the
 *   builtin layout of its version, main_arena found by the heuristic),
 *   default and exact walks: every total equals the target's own mallinfo2
 *   (2.31: mallinfo, read as unsigned), and every thread's tcache is found;
 * - the tcache split out exactly, in both tcache layouts (counts up to
 *   2.41, num_slots from 2.42): 5 chunks of each of 3 sizes; on 2.43 with
 *   glibc.malloc.tcache_max=65536 also of 5008 and 60016 bytes, in the large
 *   tcache bins;
 * - heapview --once and heaplab diagnose --json on it, as a user runs them;
 * - heaplab trace --pid of tests/helpers/alloc_loop running under each glibc
 *   (the recorder built for 2.31 below 2.36): its leak_here found, the 50
 *   frees of blocks from before the attach apart, the loop running on.
 * - heaplab trace --glibc V of tests/helpers/trace_calls (its own build for
 *   2.31), and heaplab leaks --json on the trace: the 2 blocks (400 B) it
 *   leaves, the first from main at trace_calls.c:56.
 */
#include <cjson/cJSON.h>
#include <signal.h>

#include "live.h"

static const char *const suites[] = {"bullseye", "system", "trixie", "sid"};

static const char *shape_for(const hl_glibc_env_t *e)
{
	return hl_glibc_env_own_build(e) ? "build/glibc-2.31/tests/helpers/heap_shape"
					 : "build/tests/helpers/heap_shape";
}

static bool same_totals(const hl_mallinfo_t *m, const hl_mallinfo_t *g)
{
	return m->arena == g->arena && m->ordblks == g->ordblks && m->smblks == g->smblks &&
	       m->uordblks == g->uordblks && m->fordblks == g->fordblks &&
	       m->keepcost == g->keepcost && m->hblks == g->hblks && m->hblkhd == g->hblkhd;
}

static void mixed(const hl_glibc_env_t *e)
{
	char *argv[16];
	char *args[] = {"mixed", "--gib=0.25", "--threads=4"};
	hl_glibc_env_argv(e, shape_for(e), args, 3, argv, 16);
	live_shape_t t;
	T_OK(live_shape_start(&t, argv), "glibc %s: heap_shape mixed runs under it", e->version);
	if (!t.pid)
		return;
	for (int nodebug = 0; nodebug < 2; nodebug++) {
		if (nodebug)
			setenv("HEAPLAB_NO_DEBUGINFO", "1", 1);
		hl_glibc_layout_t cache;
		memset(&cache, 0, sizeof cache);
		for (int exact = 0; exact < 2; exact++) {
			hl_walk_t w;
			hl_error_t err = {0};
			char how[96];
			snprintf(how, sizeof how, "glibc %s, %s, %s walk", e->version,
				 nodebug ? "no debug info" : "its debug info",
				 exact ? "an exact" : "a default");
			int rc = hl_walk_process_opts(t.pid, &cache, exact ? HL_WALK_EXACT : 0, &w, &err);
			T_EQ_INT(rc, 0, "%s: walked %s", how, err.msg);
			if (rc)
				continue;
			char want[96];
			if (nodebug)
				snprintf(want, sizeof want, "builtin glibc %s x86-64 layout", e->version);
			else
				snprintf(want, sizeof want, "dwarf: %s/usr/lib/debug/", e->root);
			T_OK(strstr(w.method, want) != NULL, "%s: method says '%s' (%s)", how, want,
			     w.method);
			const hl_mallinfo_t *m = &t.mi, *g = &w.mallinfo2;
			T_OK(w.complete && same_totals(m, g),
			     "%s: the totals are the target's own mallinfo%s (arena %lld/%lld, "
			     "ordblks %lld/%lld, smblks %lld/%lld, uordblks %lld/%lld) %s",
			     how, cache.mallinfo_int ? " (mallinfo)" : "2",
			     (long long)m->arena, (long long)g->arena, (long long)m->ordblks,
			     (long long)g->ordblks, (long long)m->smblks, (long long)g->smblks,
			     (long long)m->uordblks, (long long)g->uordblks, w.warning);
			/* a thread's tcache is made by its first malloc, from 2.43 by its
			 * first free: the main thread of this shape never frees */
			int64_t tcaches = cache.minor >= 43 ? 4 : 5;
			T_OK(w.narenas == 5 && w.tcache_structs == tcaches,
			     "%s: 5 arenas (%zu), a tcache per thread that made one (%lld, want "
			     "%lld)",
			     how, w.narenas, (long long)w.tcache_structs, (long long)tcaches);
			hl_walk_free(&w);
		}
		unsetenv("HEAPLAB_NO_DEBUGINFO");
	}

	/* as a user runs them */
	char cmd[256], out[4096];
	snprintf(cmd, sizeof cmd, "build/heapview --once %d 2>&1", (int)t.pid);
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
	out[n] = '\0';
	bool seen = strstr(out, "heap: live ") != NULL;
	out[strcspn(out, "\n")] = '\0';
	T_OK(p && pclose(p) == 0 && seen, "glibc %s: heapview --once shows the heap (%s)", e->version,
	     out);
	snprintf(cmd, sizeof cmd, "build/heaplab diagnose --json %d 2>&1", (int)t.pid);
	p = popen(cmd, "r");
	hl_buf_t b = {0};
	char chunk[4096];
	while (p && (n = fread(chunk, 1, sizeof chunk, p)) > 0)
		hl_buf_append(&b, chunk, n);
	int st = p ? pclose(p) : -1;
	cJSON *j = b.len ? cJSON_ParseWithLength(b.data, b.len) : NULL;
	const cJSON *v = cJSON_GetObjectItem(j, "glibc");
	T_OK(st == 0 && cJSON_IsString(v) && !strcmp(v->valuestring, e->version) &&
		     cJSON_IsTrue(cJSON_GetObjectItem(j, "walked")) &&
		     cJSON_IsTrue(cJSON_GetObjectItem(j, "walk_complete")),
	     "glibc %s: heaplab diagnose --json walks it and names glibc %s", e->version,
	     cJSON_IsString(v) ? v->valuestring : "?");
	cJSON_Delete(j);
	hl_buf_free(&b);

	/* --debug-dir with the debug file of another build (the system's libc's):
	 * refused, both build IDs named, nothing walked by it */
	if (!e->host) {
		char host_dbg[700] = "";
		hl_glibc_layout_t hl;
		if (hl_glibc_layout_for_libc("/lib/x86_64-linux-gnu/libc.so.6", &hl, NULL) == 0)
			snprintf(host_dbg, sizeof host_dbg, "%s", hl.method + 7);
		snprintf(cmd, sizeof cmd, "build/heaplab diagnose --debug-dir %s %d 2>&1", host_dbg,
			 (int)t.pid);
		b = (hl_buf_t){0};
		p = popen(cmd, "r");
		while (p && (n = fread(chunk, 1, sizeof chunk, p)) > 0)
			hl_buf_append(&b, chunk, n);
		if (p)
			pclose(p);
		hl_buf_append(&b, "", 1);
		T_OK(host_dbg[0] && strstr(b.data, "refused") && strstr(b.data, hl.build_id),
		     "glibc %s: diagnose --debug-dir with 2.36's debug file: refused, its build ID "
		     "named", e->version);
		hl_buf_free(&b);
	}
	live_shape_stop(&t);
}

static void tcache(const hl_glibc_env_t *e, bool large)
{
	char *argv[16];
	char *args[] = {"tcache"};
	hl_glibc_env_argv(e, shape_for(e), args, 1, argv, 16);
	live_shape_t t;
	bool ok = live_shape_start_env(&t, argv, large ? "GLIBC_TUNABLES=glibc.malloc.tcache_max=65536"
						      : NULL);
	T_OK(ok, "glibc %s: heap_shape tcache runs%s", e->version, large ? " with tcache_max=65536" : "");
	if (!t.pid)
		return;
	int64_t bytes = 5 * (32 + 112 + 1008), chunks = 15;
	if (large) {
		bytes += 5 * (5008 + 60016);
		chunks += 10;
	}
	for (int exact = 0; exact < 2; exact++) {
		hl_walk_t w;
		hl_glibc_layout_t cache;
		memset(&cache, 0, sizeof cache);
		int rc = hl_walk_process_opts(t.pid, &cache, exact ? HL_WALK_EXACT : 0, &w, NULL);
		T_OK(rc == 0 && w.complete && w.tcache_bytes == bytes && w.tcache_chunks == chunks &&
			     same_totals(&t.mi, &w.mallinfo2),
		     "glibc %s%s (%s tcache, %d bins), %s walk: tcache %lld B in %lld chunks (want "
		     "%lld in %lld), totals the target's own %s",
		     e->version, large ? " tcache_max=65536" : "",
		     cache.tcache_slots ? "num_slots" : "counts", cache.tcache_bins,
		     exact ? "an exact" : "a default", (long long)(rc ? -1 : w.tcache_bytes),
		     (long long)(rc ? -1 : w.tcache_chunks), (long long)bytes, (long long)chunks,
		     rc ? "" : w.warning);
		if (!rc)
			hl_walk_free(&w);
	}
	live_shape_stop(&t);
}

static cJSON *leaks_json(const char *trace)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "build/heaplab leaks --json %s 2>/dev/null", trace);
	return live_sh_json(cmd, NULL);
}

static void traced(const hl_glibc_env_t *e)
{
	char trace[128], cmd[512];
	snprintf(trace, sizeof trace, "/tmp/heaplab-matrix-%d-%s.trace", (int)getpid(), e->version);
	unlink(trace);
	snprintf(cmd, sizeof cmd,
		 "build/heaplab trace --glibc %s --out %s -- %s calls >/dev/null 2>&1", e->version,
		 trace,
		 hl_glibc_env_own_build(e) ? "build/glibc-2.31/tests/helpers/trace_calls"
					   : "build/tests/helpers/trace_calls");
	T_EQ_INT(system(cmd), 0, "glibc %s: heaplab trace --glibc %s of trace_calls", e->version,
		 e->version);
	cJSON *j = leaks_json(trace);
	const cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "groups"), 0);
	const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(g, "frames"), 0);
	const cJSON *line = cJSON_GetObjectItem(f, "line"), *fn = cJSON_GetObjectItem(f, "function");
	T_OK(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "leaked_bytes")) == 400 &&
		     cJSON_GetNumberValue(cJSON_GetObjectItem(j, "leaked_blocks")) == 2 &&
		     cJSON_IsString(fn) && !strcmp(fn->valuestring, "main") &&
		     cJSON_GetNumberValue(line) == 56,
	     "glibc %s: heaplab leaks: 400 B in 2 blocks, the first from main at trace_calls.c:%d",
	     e->version, (int)cJSON_GetNumberValue(line));
	cJSON_Delete(j);
	unlink(trace);
}

/* heaplab trace --pid on a loop running under this glibc (the recorder
 * built for it: 2.31's before 2.36): the leak's function, the 50 frees of
 * blocks from before the attach counted apart. */
static void attached(const hl_glibc_env_t *e)
{
	char cnt[128], trace[128], cmd[512];
	snprintf(cnt, sizeof cnt, "/tmp/heaplab-matrix-%d-%s.count", (int)getpid(), e->version);
	snprintf(trace, sizeof trace, "/tmp/heaplab-matrix-%d-%s-pid.trace", (int)getpid(), e->version);
	unlink(trace);
	char *argv[16], *args[] = {cnt, "30"};
	hl_glibc_env_argv(e,
			  hl_glibc_env_own_build(e) ? "build/glibc-2.31/tests/helpers/alloc_loop"
						    : "build/tests/helpers/alloc_loop",
			  args, 2, argv, 16);
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	long count = 0;
	for (int i = 0; i < 300 && count < 100; i++) {
		usleep(10000);
		hl_buf_t b = {0};
		count = hl_file_read(cnt, &b, NULL) == 0 && b.data ? atol(b.data) : 0;
		hl_buf_free(&b);
	}
	snprintf(cmd, sizeof cmd, "build/heaplab trace --pid %d --duration 1 --out %s >/dev/null 2>&1",
		 (int)pid, trace);
	T_EQ_INT(system(cmd), 0, "glibc %s: heaplab trace --pid of a running loop", e->version);
	cJSON *j = leaks_json(trace);
	const cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "groups"), 0);
	const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(g, "frames"), 0);
	const char *fn = cJSON_GetStringValue(cJSON_GetObjectItem(f, "function"));
	T_OK(fn && !strcmp(fn, "leak_here") &&
		     cJSON_GetNumberValue(cJSON_GetObjectItem(j, "frees_of_blocks_before_attach")) == 50 &&
		     cJSON_GetArraySize(cJSON_GetObjectItem(j, "invalid_frees")) == 0,
	     "glibc %s: leak_here found, the 50 frees of blocks from before the attach apart",
	     e->version);
	cJSON_Delete(j);
	T_OK(kill(pid, 0) == 0, "glibc %s: and the loop runs on", e->version);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(trace);
	unlink(cnt);
}

int main(void)
{
	for (size_t i = 0; i < sizeof suites / sizeof *suites; i++) {
		hl_glibc_env_t e;
		hl_error_t err = {0};
		const char *want = !strcmp(suites[i], "system") ? "host" : suites[i];
		int rc = hl_glibc_env_find(want, &e, &err);
		T_EQ_INT(rc, 0, "glibc of %s is in the matrix (else: make matrix, see "
			 "build/glibc-fetch.log) %s",
			 suites[i], err.msg);
		if (rc)
			continue;
		if (hl_glibc_env_own_build(&e)) {
			bool built = access(shape_for(&e), X_OK) == 0;
			T_OK(built, "glibc %s: its build of heap_shape is there (make old-glibc)",
			     e.version);
			if (!built)
				continue;
		}
		mixed(&e);
		traced(&e);
		attached(&e);
		tcache(&e, false);
		if (!strcmp(e.version, "2.43"))
			tcache(&e, true);
	}
	return t_done();
}
