/*
 * cmd_diagnose.c — `heaplab diagnose PID`: where the process's RSS is and
 * what would give it back (lib/diagnose.c), as text or JSON, optionally
 * watched over time for the leak-or-retention verdict, optionally saved as
 * DIR/diagnosis.json, and with --trim, malloc_trim(0) called inside the
 * process through gdb, the RSS measured before and after and set against
 * the prediction. Everything but --trim is read-only.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "trace.h"

typedef struct opts {
	pid_t pid;
	bool json, trim;
	bool metrics; /* --format openmetrics: --out is then a file */
	const char *trace; /* --trace TRACE: where the pins were allocated */
	long watch_s;
	const char *out;
} opts_t;

typedef struct trim_result {
	bool done;
	int64_t predicted, rss_before, rss_after;
} trim_result_t;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: heaplab diagnose [--json | --format text|json|openmetrics] [--watch S] [--trim]\n"
		"                        [--out DIR|FILE] [--debug-dir DIR] PID\n\n"
		"Explains PID's RSS, read-only: the parts add up to RSS (the remainder is\n"
		"stated): the heap's live bytes, chunk overhead, tcache, fastbins, bins and\n"
		"top (resident bytes, per arena, from a walk of the heap), mmapped chunks,\n"
		"other anonymous memory, files and the stack; then what would give memory\n"
		"back, each with its bytes: malloc_trim(0), MALLOC_ARENA_MAX, a fixed mmap\n"
		"threshold, another allocator.\n\n"
		"  --json      the same as JSON (--format json)\n"
		"  --format openmetrics  the parts of RSS, held back, releasable, per-arena\n"
		"              figures and the pins as gauges in the OpenMetrics text format\n"
		"              (labels pid, comm, arena), for node_exporter's textfile\n"
		"              collector; with --out FILE, written to FILE atomically (a\n"
		"              temporary file beside it, then rename)\n"
		"  --watch S   sample live bytes and RSS every second for S seconds and say\n"
		"              whether live bytes grow (leak) or glibc holds memory\n"
		"              (retention); one snapshot cannot tell them apart\n"
		"  --trim      call malloc_trim(0) inside PID (through gdb, which attaches\n"
		"              for a moment) and measure RSS before and after against the\n"
		"              prediction; the only option that changes the process\n"
		"  --out DIR   also write DIR/diagnosis.json (DIR new or empty), which\n"
		"              heaplab report DIR turns into a document\n"
		"  --trace TRACE  a heaplab trace of the same process (complete or still being\n"
		"              written): each pin with the call stack that allocated it\n"
		"  --debug-dir DIR  look for the libc's debug info (by build ID) here first:\n"
		"              a folder with .build-id/, or one debug file\n");
}

static int parse(int argc, char **argv, opts_t *o)
{
	memset(o, 0, sizeof *o);
	const char *pidarg = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(a, "--json")) {
			o->json = true;
		} else if (!strcmp(a, "--format") && has) {
			const char *f = argv[++i];
			if (!strcmp(f, "json"))
				o->json = true;
			else if (!strcmp(f, "openmetrics"))
				o->metrics = true;
			else if (strcmp(f, "text")) {
				say_error("--format takes text, json or openmetrics, got '%s'", f);
				return -1;
			}
		} else if (!strcmp(a, "--trim")) {
			o->trim = true;
		} else if (!strcmp(a, "--watch") && has) {
			char *e;
			o->watch_s = strtol(argv[++i], &e, 10);
			if (*e || o->watch_s < 1 || o->watch_s > 86400) {
				say_error("--watch takes seconds from 1 to 86400, got '%s'", argv[i]);
				return -1;
			}
		} else if (!strcmp(a, "--out") && has) {
			o->out = argv[++i];
		} else if (!strcmp(a, "--trace") && has) {
			o->trace = argv[++i];
		} else if (!strcmp(a, "--debug-dir") && has) {
			hl_error_t err = {0};
			if (hl_glibc_debug_dir(argv[++i], &err)) {
				say_error("%s", err.msg);
				return -1;
			}
		} else if (a[0] == '-') {
			say_error("unknown option %s (heaplab diagnose --help)", a);
			return -1;
		} else if (!pidarg) {
			pidarg = a;
		} else {
			say_error("one PID only, got '%s' too", a);
			return -1;
		}
	}
	if (!pidarg) {
		say_error("diagnose needs a PID (heaplab diagnose --help)");
		return -1;
	}
	if (o->metrics && o->json) {
		say_error("one format at a time: --json or --format openmetrics");
		return -1;
	}
	char *e;
	long pid = strtol(pidarg, &e, 10);
	if (*e || pid <= 0 || pid > INT_MAX) {
		say_error("'%s' is not a process id", pidarg);
		return -1;
	}
	o->pid = (pid_t)pid;
	return 0;
}

static int64_t statm_rss(pid_t pid)
{
	hl_buf_t b = {0};
	hl_statm_t st;
	int64_t rss = -1;
	if (hl_procfs_read(pid, "statm", &b, NULL) == 0 &&
	    hl_statm_parse(b.data, b.len, hl_procfs_page_size(), &st, NULL) == 0)
		rss = st.rss_bytes;
	hl_buf_free(&b);
	return rss;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Samples every second for watch_s seconds; progress on stderr. A process
 * that exits ends the watch: *exited is set and the samples taken stand. A
 * walk that fails while the process lives (it was caught mid-change) loses
 * that second's sample only. */
static size_t watch(pid_t pid, hl_glibc_layout_t *cache, long watch_s, hl_diag_sample_t *s,
		    const hl_diagnosis_t *d, bool *exited)
{
	size_t n = 0;
	double t0 = now_s();
	*exited = false;
	s[n++] = (hl_diag_sample_t){0, d->status_rss_bytes, d->walk.live_bytes, d->walk.held_back_bytes};
	for (long k = 1; k <= watch_s; k++) {
		double due = t0 + (double)k;
		while (now_s() < due)
			usleep(20000);
		hl_walk_t w;
		hl_error_t err = {0};
		if (hl_walk_process_cached(pid, cache, &w, &err)) {
			if (hl_diag_exited(pid)) {
				*exited = true;
				break;
			}
			fprintf(stderr, "\nheaplab: no sample at %ld s: %s\n", k, err.msg);
			continue;
		}
		int64_t rss = statm_rss(pid);
		/* a watch walk samples the chunks in use (an exact one costs a copy
		 * of the heap, every second); their bytes are exact, their count
		 * is not, so live is those bytes less 8 for each chunk the first,
		 * exact walk counted: a trend in bytes, free of the sample's noise */
		int64_t live = w.live_bytes;
		if (w.chunks_estimated && !d->walk.chunks_estimated) {
			int64_t run = 0, n0 = 0;
			for (size_t i = 0; i < w.narenas; i++)
				run += w.arenas[i].run_bytes;
			for (size_t i = 0; i < d->walk.narenas; i++)
				n0 += d->walk.arenas[i].in_use_chunks;
			live = run - 8 * n0;
		}
		s[n++] = (hl_diag_sample_t){now_s() - t0, rss, live, w.held_back_bytes};
		hl_walk_free(&w);
		char a[32], b[32];
		fprintf(stderr, "\rheaplab: watching %ld/%ld s: live %s, RSS %s   ", k, watch_s,
			hl_units_bytes(s[n - 1].live_bytes, a, sizeof a),
			hl_units_bytes(s[n - 1].rss_bytes, b, sizeof b));
	}
	fprintf(stderr, "\n");
	if (*exited)
		fprintf(stderr,
			"heaplab: process %d exited %.1f s into the %ld s watch; the verdict is "
			"from the %zu sample%s taken before\n",
			(int)pid, now_s() - t0, watch_s, n, n == 1 ? "" : "s");
	return n;
}

/* gdb attaches, calls malloc_trim(0) in the process and detaches. */
/* The process's state letter from /proc/PID/stat ('?' unknown). */
static char proc_state(pid_t pid)
{
	hl_buf_t b = {0};
	char st = '?';
	if (hl_procfs_read(pid, "stat", &b, NULL) == 0 && b.data) {
		const char *r = strrchr(b.data, ')'); /* the name may hold anything */
		if (r && r[1] == ' ' && r[2])
			st = r[2];
	}
	hl_buf_free(&b);
	return st;
}

/* gdb attaches, calls malloc_trim(0) in the process and detaches; never on
 * a process that is stopped, traced or in uninterruptible sleep (the call
 * could not finish, and gdb would leave it inside malloc_trim), and never
 * for more than 30 s. */
static int gdb_trim(pid_t pid, hl_error_t *err)
{
	if (system("command -v gdb >/dev/null 2>&1") != 0)
		return hl_error_set(err, -ENOENT,
				    "--trim needs gdb to call malloc_trim(0) inside the process "
				    "(apt-get install gdb)");
	char st = proc_state(pid);
	if (st == 'T' || st == 't' || st == 'D' || st == 'Z' || st == 'X')
		return hl_error_set(err, -EBUSY,
				    "process %d is %s (state %c): malloc_trim(0) was not called, the "
				    "process is as it was%s",
				    (int)pid,
				    st == 'D'		     ? "in uninterruptible sleep"
				    : st == 'Z' || st == 'X' ? "gone (a zombie)"
				    : st == 't'		     ? "being traced by a debugger"
							     : "stopped",
				    st, st == 'T' ? " (continue it first: kill -CONT)" : "");
	char cmd[256];
	snprintf(cmd, sizeof cmd,
		 "timeout -k 5 30 gdb -p %d -batch -nx -ex 'set unwindonsignal on' "
		 "-ex 'call (int) malloc_trim(0)' 2>&1 </dev/null",
		 (int)pid);
	FILE *p = popen(cmd, "r");
	char line[512], last[512] = "";
	bool perm = false, sig = false;
	while (p && fgets(line, sizeof line, p)) {
		perm |= strstr(line, "ptrace: Operation not permitted") != NULL;
		sig |= strstr(line, "signaled while in a function called from GDB") != NULL;
		if (strstr(line, "rror") || strstr(line, "signal"))
			snprintf(last, sizeof last, "%s", line);
	}
	int rc = p ? pclose(p) : -1;
	int code = rc >= 0 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	last[strcspn(last, "\n")] = '\0';
	if (code == 124 || code == 137)
		return hl_error_set(err, -ETIMEDOUT,
				    "gdb did not finish calling malloc_trim(0) in %d within 30 s and was "
				    "stopped",
				    (int)pid);
	if (perm)
		return hl_error_set(err, -EPERM,
				    "gdb may not attach to %d: it needs the same user and ptrace "
				    "permission (/proc/sys/kernel/yama/ptrace_scope), or root",
				    (int)pid);
	if (code != 0 || sig)
		return hl_error_set(err, -EIO, "gdb could not call malloc_trim(0) in %d (exit %d)%s%s",
				    (int)pid, code, last[0] ? ": " : "", last);
	return 0;
}

static void print_text(const hl_diagnosis_t *d, const hl_diag_verdict_t *v,
		       const trim_result_t *t)
{
	char a[32], b[32], c[32];
	printf("pid %d (%s): %lld thread%s, %zu arena%s, glibc %s\n", (int)d->pid, d->command,
	       (long long)d->threads, d->threads == 1 ? "" : "s", d->narenas,
	       d->narenas == 1 ? "" : "s", d->glibc);
	printf("RSS %s (smaps; VmRSS %s), by part:\n", hl_units_bytes(d->rss_bytes, a, sizeof a),
	       hl_units_bytes(d->status_rss_bytes, b, sizeof b));
	for (int p = 0; p < HL_NPARTS; p++) {
		if (p == HL_PART_HEAP_UNWALKED && !d->parts[p])
			continue;
		printf("  %-16s %12s  %5.1f%%\n", hl_part_name((hl_part_t)p),
		       hl_units_bytes(d->parts[p], a, sizeof a),
		       d->rss_bytes ? 100.0 * (double)d->parts[p] / (double)d->rss_bytes : 0.0);
	}
	printf("  %-16s %12s  %5.1f%%\n", "remainder", hl_units_bytes(d->remainder_bytes, a, sizeof a),
	       d->rss_bytes ? 100.0 * (double)d->remainder_bytes / (double)d->rss_bytes : 0.0);
	if (!d->walk_valid) {
		printf("heap not walked: %s\n", d->walk_error);
	} else {
		for (size_t i = 0; i < d->narenas; i++) {
			const hl_diag_arena_t *ar = &d->arenas[i];
			char e[32];
			printf("arena %zu%s: system %s, live %s, held back %s, releasable %s, %d heap%s\n",
			       i, ar->main ? " (main)" : "", hl_units_bytes(ar->system_bytes, a, sizeof a),
			       hl_units_bytes(ar->live_bytes, b, sizeof b),
			       hl_units_bytes(ar->held_back_bytes, c, sizeof c),
			       hl_units_bytes(ar->releasable_bytes, e, sizeof e), ar->nheaps,
			       ar->nheaps == 1 ? "" : "s");
		}
		printf("mmap_threshold %s (glibc's default 128 KiB), trim_threshold %s\n",
		       hl_units_bytes(d->walk.mmap_threshold, a, sizeof a),
		       hl_units_bytes(d->walk.trim_threshold, b, sizeof b));
		if (!d->walk.complete)
			printf("walk incomplete: %s\n", d->walk.warning);
		for (size_t i = 0; i < d->npins; i++) {
			const hl_heap_pin_t *p = &d->pins[i];
			char e[32];
			printf("pin: arena %u's heap cannot shrink: %s chunk%s %s at %#llx (%s, %s in "
			       "all) sit%s between %s free at %#llx and top; freed, %s would go back "
			       "by %s\n",
			       p->arena, p->chunks == 1 ? "the" : "", p->chunks == 1 ? "" : "s",
			       hl_units_bytes((int64_t)p->size, a, sizeof a), (unsigned long long)p->addr,
			       hl_chunk_class_name((hl_chunk_class_t)p->cls),
			       hl_units_bytes(p->bytes, b, sizeof b), p->chunks == 1 ? "s" : "",
			       hl_units_bytes(p->free_bytes, c, sizeof c),
			       (unsigned long long)p->free_addr, hl_units_bytes(p->gives_back, e, sizeof e),
			       p->gives_back ? "itself" : "itself (nothing: top would stay under "
							 "trim_threshold)");
		}
	}
	printf("verdict: %s\n", v->text);
	if (d->nrecs)
		printf("what would give memory back (proven bytes, biggest first; unknown last):\n");
	for (int i = 0; i < d->nrecs; i++) {
		printf("  %-24s %10s  %s\n", d->recs[i].action,
		       d->recs[i].bytes == HL_UNKNOWN ? "unknown"
						      : hl_units_bytes(d->recs[i].bytes, a, sizeof a),
		       d->recs[i].why);
		if (d->recs[i].measure[0])
			printf("  %-24s %10s  measure: %s\n", "", "", d->recs[i].measure);
	}
	if (t->done) {
		int64_t got = t->rss_before - t->rss_after;
		char e[32];
		printf("malloc_trim(0) done: predicted %s, RSS fell by %s (%s to %s)",
		       hl_units_bytes(t->predicted, a, sizeof a), hl_units_bytes(got, b, sizeof b),
		       hl_units_bytes(t->rss_before, c, sizeof c),
		       hl_units_bytes(t->rss_after, e, sizeof e));
		if (t->predicted > 0)
			printf(", %.1f%% of the prediction", 100.0 * (double)got / (double)t->predicted);
		printf("\n");
	}
}

static cJSON *to_json(const hl_diagnosis_t *d, const hl_diag_verdict_t *v,
		      const hl_diag_sample_t *s, size_t ns, bool exited, const trim_result_t *t)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "format", "heaplab-diagnosis");
	cJSON_AddNumberToObject(o, "version", 1);
	cJSON_AddNumberToObject(o, "pid", d->pid);
	cJSON_AddStringToObject(o, "command", d->command);
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddStringToObject(o, "glibc", d->glibc);
	struct utsname u;
	if (uname(&u) == 0)
		cJSON_AddStringToObject(o, "kernel", u.release);
	cJSON_AddStringToObject(o, "method", d->walk_valid ? d->walk.method : "");
	cJSON_AddNumberToObject(o, "rss_bytes", (double)d->rss_bytes);
	cJSON_AddNumberToObject(o, "vmrss_bytes", (double)d->status_rss_bytes);
	cJSON *parts = cJSON_AddObjectToObject(o, "parts");
	for (int p = 0; p < HL_NPARTS; p++)
		cJSON_AddNumberToObject(parts, hl_part_name((hl_part_t)p), (double)d->parts[p]);
	cJSON_AddNumberToObject(o, "remainder_bytes", (double)d->remainder_bytes);
	cJSON_AddNumberToObject(o, "threads", (double)d->threads);
	cJSON_AddBoolToObject(o, "walked", d->walk_valid);
	if (!d->walk_valid)
		cJSON_AddStringToObject(o, "walk_error", d->walk_error);
	else
		cJSON_AddBoolToObject(o, "walk_complete", d->walk.complete);
	if (d->walk_valid) {
		cJSON_AddNumberToObject(o, "mmap_threshold", (double)d->walk.mmap_threshold);
		cJSON_AddNumberToObject(o, "trim_threshold", (double)d->walk.trim_threshold);
		cJSON_AddNumberToObject(o, "releasable_bytes", (double)d->walk.releasable_bytes);
	} else { /* not known without a walk: absent, never 0 */
		cJSON_AddNullToObject(o, "mmap_threshold");
		cJSON_AddNullToObject(o, "trim_threshold");
		cJSON_AddNullToObject(o, "releasable_bytes");
	}
	cJSON *arenas = cJSON_AddArrayToObject(o, "arenas");
	for (size_t i = 0; i < d->narenas; i++) {
		const hl_diag_arena_t *ar = &d->arenas[i];
		const hl_walk_arena_t *wa = &d->walk.arenas[i];
		cJSON *a = cJSON_CreateObject();
		cJSON_AddNumberToObject(a, "index", (double)i);
		cJSON_AddBoolToObject(a, "main", ar->main);
		cJSON_AddNumberToObject(a, "system_bytes", (double)ar->system_bytes);
		cJSON_AddNumberToObject(a, "live_bytes", (double)ar->live_bytes);
		cJSON_AddNumberToObject(a, "held_back_bytes", (double)ar->held_back_bytes);
		cJSON_AddNumberToObject(a, "releasable_bytes", (double)ar->releasable_bytes);
		cJSON_AddNumberToObject(a, "tcache_bytes", (double)wa->tcache_bytes);
		cJSON_AddNumberToObject(a, "fastbin_bytes", (double)wa->fastbin_bytes);
		cJSON_AddNumberToObject(a, "bin_bytes", (double)wa->bin_bytes);
		cJSON_AddNumberToObject(a, "top_bytes", (double)wa->top_bytes);
		cJSON_AddNumberToObject(a, "heaps", ar->nheaps);
		cJSON *ap = cJSON_AddObjectToObject(a, "parts");
		for (int p = HL_PART_LIVE; p <= HL_PART_TOP; p++)
			cJSON_AddNumberToObject(ap, hl_part_name((hl_part_t)p), (double)ar->parts[p]);
		cJSON_AddItemToArray(arenas, a);
	}
	cJSON *vo = cJSON_AddObjectToObject(o, "verdict");
	cJSON_AddStringToObject(vo, "kind", v->kind);
	cJSON_AddStringToObject(vo, "text", v->text);
	if (exited)
		cJSON_AddBoolToObject(o, "exited", true);
	if (ns > 1) {
		cJSON *wa = cJSON_AddArrayToObject(o, "watch");
		for (size_t i = 0; i < ns; i++) {
			cJSON *x = cJSON_CreateObject();
			cJSON_AddNumberToObject(x, "t_s", s[i].t_s);
			cJSON_AddNumberToObject(x, "rss_bytes", (double)s[i].rss_bytes);
			cJSON_AddNumberToObject(x, "live_bytes", (double)s[i].live_bytes);
			cJSON_AddItemToArray(wa, x);
		}
	}
	cJSON *recs = cJSON_AddArrayToObject(o, "recommendations");
	for (int i = 0; i < d->nrecs; i++) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "action", d->recs[i].action);
		if (d->recs[i].bytes == HL_UNKNOWN)
			cJSON_AddNullToObject(r, "bytes");
		else
			cJSON_AddNumberToObject(r, "bytes", (double)d->recs[i].bytes);
		cJSON_AddStringToObject(r, "why", d->recs[i].why);
		if (d->recs[i].measure[0])
			cJSON_AddStringToObject(r, "measure", d->recs[i].measure);
		cJSON_AddItemToArray(recs, r);
	}
	cJSON *pins = cJSON_AddArrayToObject(o, "pins");
	for (size_t i = 0; i < d->npins; i++) {
		const hl_heap_pin_t *p = &d->pins[i];
		cJSON *x = cJSON_CreateObject();
		char addr[32];
		cJSON_AddNumberToObject(x, "arena", p->arena);
		snprintf(addr, sizeof addr, "%#llx", (unsigned long long)p->addr);
		cJSON_AddStringToObject(x, "address", addr);
		cJSON_AddNumberToObject(x, "chunk_bytes", (double)p->size);
		cJSON_AddStringToObject(x, "class", hl_chunk_class_name((hl_chunk_class_t)p->cls));
		cJSON_AddNumberToObject(x, "chunks", p->chunks);
		cJSON_AddNumberToObject(x, "bytes", (double)p->bytes);
		snprintf(addr, sizeof addr, "%#llx", (unsigned long long)p->free_addr);
		cJSON_AddStringToObject(x, "free_address", addr);
		cJSON_AddNumberToObject(x, "free_bytes", (double)p->free_bytes);
		cJSON_AddNumberToObject(x, "gives_back_bytes", (double)p->gives_back);
		cJSON_AddItemToArray(pins, x);
	}
	if (t->done) {
		cJSON *to = cJSON_AddObjectToObject(o, "trim");
		cJSON_AddNumberToObject(to, "predicted_bytes", (double)t->predicted);
		cJSON_AddNumberToObject(to, "rss_before", (double)t->rss_before);
		cJSON_AddNumberToObject(to, "rss_after", (double)t->rss_after);
	}
	return o;
}

/* Writes the diagnosis into the file claimed at the start (fd); a write
 * that fails removes the file, so DIR is left empty, not half-written. */
static int write_out(int fd, const char *dir, const char *text, hl_error_t *err)
{
	size_t len = strlen(text), off = 0;
	int e = 0;
	while (off < len && !e) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			e = n < 0 ? errno : EIO;
		else
			off += (size_t)n;
	}
	if (!e && (write(fd, "\n", 1) != 1 || fsync(fd) != 0))
		e = errno ? errno : EIO;
	close(fd);
	if (e) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/diagnosis.json", dir);
		unlink(path);
		return hl_error_set(err, -e, "cannot write %s/diagnosis.json: %s", dir, strerror(e));
	}
	return 0;
}

static void unclaim(int fd, const char *dir)
{
	char path[PATH_MAX];
	if (fd < 0)
		return;
	close(fd);
	snprintf(path, sizeof path, "%s/diagnosis.json", dir);
	unlink(path);
}

/* With a trace of the same process: the call stack that allocated each
 * pin (the in-use block at its address, live at the trace's end), into
 * the JSON's pins (allocated_at) and, with text, printed. */
static int pin_origins(const hl_diagnosis_t *d, const char *path, cJSON *j, bool text)
{
	/* of a family (a wrapper that exec'd the process, a forked worker):
	 * the file of this pid's latest image */
	hl_trace_family_t fam;
	char member[4096];
	snprintf(member, sizeof member, "%s", path);
	if (hl_trace_family_open(path, &fam, NULL) == 0) {
		int at = -1;
		for (size_t i = 0; i < fam.n; i++)
			if (fam.m[i].pid == (uint32_t)d->pid &&
			    (at < 0 || fam.m[i].header.start_ns >= fam.m[at].header.start_ns))
				at = (int)i;
		if (at >= 0)
			snprintf(member, sizeof member, "%s", fam.m[at].path);
		hl_trace_family_free(&fam);
	}
	path = member;
	hl_trace_t t;
	if (trace_open(path, &t, "reading"))
		return -1;
	/* a trace still being written has no module records yet (the recorder
	 * writes them at the end): the process's own maps say where its code is */
	if (!t.nmodules && d->regions.n) {
		t.modules = calloc(d->regions.n, sizeof *t.modules);
		for (size_t i = 0; t.modules && i < d->regions.n; i++) {
			const hl_region_t *r = &d->regions.v[i];
			if (r->perms[2] != 'x' || r->path[0] != '/')
				continue;
			char p[700];
			snprintf(p, sizeof p, "/proc/%d/root%s", (int)d->pid, r->path);
			t.modules[t.nmodules++] =
				(hl_trace_module_t){r->start, r->end, r->offset, strdup(p)};
		}
	}
	hl_symbolizer_t *sym = hl_symbolizer_new(&t);
	cJSON *pins = cJSON_GetObjectItem(j, "pins");
	for (size_t i = 0; i < d->npins; i++) {
		const hl_heap_pin_t *p = &d->pins[i];
		long ev = p->cls == HL_CHUNK_IN_USE ? hl_trace_live_block(&t, p->addr + 16) : -1;
		cJSON *pj = cJSON_GetArrayItem(pins, (int)i);
		char a[32], b[32];
		if (ev < 0) {
			if (pj)
				cJSON_AddNullToObject(pj, "allocated_at");
			if (text)
				printf("pin at %#llx: %s\n", (unsigned long long)p->addr,
				       p->cls == HL_CHUNK_IN_USE
					   ? "the trace has no live block there (not written out yet: "
					     "the recorder keeps up to 256 KiB a thread before it writes; "
					     "or traced from later, or another process)"
					   : "not a block the program holds (malloc's own, or freed into a "
					     "tcache or fastbin): no call stack");
			continue;
		}
		const hl_trace_event_t *e = &t.ev[ev];
		if (pj)
			cJSON_AddItemToObject(pj, "allocated_at", frames_json(sym, &t, e->stack));
		if (text) {
			printf("pin at %#llx: the %s block allocated at\n", (unsigned long long)p->addr,
			       hl_units_bytes((int64_t)e->size, a, sizeof a));
			print_frames(sym, &t, e->stack, "    ");
			printf("  keeps %s from going back\n", hl_units_bytes(p->gives_back, b, sizeof b));
		}
	}
	hl_symbolizer_free(sym);
	hl_trace_free(&t);
	return 0;
}

/* The gauges on stdout, or into path through a temporary file beside it
 * and rename: a collector reading path sees the old file or the new one,
 * whole. */
static int metrics_out(const hl_diagnosis_t *d, const char *path)
{
	hl_buf_t b = {0};
	int rc = diag_openmetrics(d, &b);
	if (rc) {
		say_error("out of memory");
		hl_buf_free(&b);
		return -1;
	}
	if (!path) {
		fwrite(b.data, 1, b.len, stdout);
		hl_buf_free(&b);
		return 0;
	}
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	bool ok = f && fwrite(b.data, 1, b.len, f) == b.len;
	ok = f && fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		say_error("cannot write %s: %s (%s is as it was)", tmp, strerror(errno), path);
		unlink(tmp);
		hl_buf_free(&b);
		return -1;
	}
	hl_buf_free(&b);
	return 0;
}

int cmd_diagnose(int argc, char **argv)
{
	opts_t o;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc > 0 ? 0 : EXIT_USAGE;
	hl_glibc_layout_t cache;
	memset(&cache, 0, sizeof cache);
	hl_diagnosis_t d;
	hl_error_t err = {0};
	/* DIR is claimed before anything is watched or trimmed: a DIR in use
	 * fails now, not after the process was changed */
	int outfd = -1;
	if (o.out && !o.metrics && (outfd = outdir_claim(o.out, "diagnosis.json", &err)) < 0) {
		say_error("%s (nothing was diagnosed)", err.msg);
		return 1;
	}
	if (hl_diagnose(o.pid, &cache, &d, &err)) {
		say_error("%s", err.msg);
		unclaim(outfd, o.out);
		return 1;
	}
	size_t ns = 1;
	hl_diag_sample_t *s = calloc((size_t)o.watch_s + 1, sizeof *s);
	if (!s) {
		hl_diagnosis_free(&d);
		unclaim(outfd, o.out);
		say_error("out of memory");
		return 1;
	}
	s[0] = (hl_diag_sample_t){0, d.status_rss_bytes, d.walk.live_bytes, d.walk.held_back_bytes};
	bool exited = false;
	if (o.watch_s && !d.walk_valid)
		fprintf(stderr, "heaplab: --watch needs the heap walked, and it was not (%s): no "
				"samples were taken\n",
			d.walk_error);
	if (o.watch_s && d.walk_valid)
		ns = watch(o.pid, &cache, o.watch_s, s, &d, &exited);
	hl_diag_verdict_t v;
	hl_diag_verdict(s, ns, d.walk.held_back_bytes, &v);

	trim_result_t t = {0};
	int status = 0;
	if (o.trim) {
		t.predicted = d.walk.releasable_bytes;
		t.rss_before = statm_rss(o.pid);
		if (gdb_trim(o.pid, &err)) {
			say_error("%s", err.msg);
			status = 1;
		} else {
			t.rss_after = statm_rss(o.pid);
			t.done = true;
		}
	}
	if (o.metrics) {
		status = metrics_out(&d, o.out) ? 1 : status;
		free(s);
		hl_diagnosis_free(&d);
		return status;
	}
	cJSON *j = to_json(&d, &v, s, ns, exited, &t);
	if (!o.json)
		print_text(&d, &v, &t);
	if (o.trace && pin_origins(&d, o.trace, j, !o.json))
		status = 1;
	char *text = j ? cJSON_Print(j) : NULL;
	if (o.json)
		printf("%s\n", text ? text : "null");
	if (o.out) {
		if (!text) {
			unclaim(outfd, o.out);
			say_error("out of memory: %s/diagnosis.json was not written", o.out);
			status = 1;
		} else if (write_out(outfd, o.out, text, &err)) {
			say_error("%s (the directory is left empty)", err.msg);
			status = 1;
		} else if (!o.json) {
			printf("written: %s/diagnosis.json\n", o.out);
		}
	}
	free(text);
	cJSON_Delete(j);
	free(s);
	hl_diagnosis_free(&d);
	return status;
}
