/*
 * cmd_trace.c — `heaplab trace -- CMD` records every allocation call of CMD
 * with libheaplab-trace.so (tracer/trace.c) into a trace file and passes
 * CMD's exit status through; `heaplab leaks TRACE` reads one and reports
 * what was never freed, grouped by call stack and named with libdw, and the
 * frees that went wrong (twice, or of a pointer never allocated), each with
 * its stacks.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "trace.h"

static void trace_usage(FILE *f)
{
	fprintf(f,
		"usage: heaplab trace [--out FILE] [--stack-depth N] [--fork child|none] -- CMD [ARGS...]\n\n"
		"Runs CMD with heaplab's allocation recorder preloaded (libheaplab-trace.so,\n"
		"beside heaplab) and writes every malloc, free, calloc, realloc,\n"
		"reallocarray, memalign, posix_memalign, aligned_alloc, valloc, pvalloc and\n"
		"malloc_trim call, with its thread, time and call stack, to FILE (default\n"
		"results/traces/NAME-DATE-PID.trace; never over an existing file). CMD's exit\n"
		"status is heaplab's. Read it with heaplab leaks FILE.\n\n"
		"  --out FILE        where the trace goes\n"
		"  --stack-depth N   return addresses per stack, 0 to 32 (default 8); frame\n"
		"                    pointers: code built without them gives short stacks\n"
		"  --fork child|none a forked child writes FILE.PID (child, the default) or\n"
		"                    nothing (none); an exec'd program writes FILE.PID\n");
}

static void exe_dir(char *out, size_t n)
{
	char exe[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[k > 0 ? k : 0] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(out, n, "%s", k > 0 ? exe : ".");
}

int cmd_trace(int argc, char **argv)
{
	const char *out = NULL, *depth = "8", *fork_mode = "child";
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			trace_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "--out") && has) {
			out = argv[++i];
		} else if (!strcmp(a, "--stack-depth") && has) {
			depth = argv[++i];
			char *e;
			long d = strtol(depth, &e, 10);
			if (*e || d < 0 || d > 32) {
				say_error("--stack-depth takes 0 to 32, got '%s'", depth);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--fork") && has) {
			fork_mode = argv[++i];
			if (strcmp(fork_mode, "child") && strcmp(fork_mode, "none")) {
				say_error("--fork takes child or none, got '%s'", fork_mode);
				return EXIT_USAGE;
			}
		} else {
			say_error("unknown option %s (heaplab trace --help)", a);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		say_error("trace needs a command: heaplab trace [OPTIONS] -- CMD [ARGS...]");
		return EXIT_USAGE;
	}
	char lib[PATH_MAX + 32], dir[PATH_MAX], path[PATH_MAX];
	exe_dir(dir, sizeof dir);
	snprintf(lib, sizeof lib, "%s/libheaplab-trace.so", dir);
	if (access(lib, R_OK)) {
		say_error("%s is missing (make builds it beside heaplab)", lib);
		return 1;
	}
	if (!out) {
		const char *base = strrchr(argv[i], '/');
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;
		strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime_r(&now, &tm));
		const char *res = getenv("HEAPLAB_RESULTS");
		snprintf(path, sizeof path, "%s/traces", res ? res : "results");
		mkdir(res ? res : "results", 0755);
		mkdir(path, 0755);
		snprintf(path + strlen(path), sizeof path - strlen(path), "/%s-%s-%d.trace",
			 base ? base + 1 : argv[i], stamp, (int)getpid());
		out = path;
	}
	if (access(out, F_OK) == 0) {
		say_error("%s already exists: a trace is never written over (choose another --out)",
			  out);
		return 1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		say_error("fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		const char *old = getenv("LD_PRELOAD");
		char pre[2 * PATH_MAX + 64];
		snprintf(pre, sizeof pre, "%s%s%s", lib, old && *old ? ":" : "", old ? old : "");
		setenv("LD_PRELOAD", pre, 1);
		setenv("HEAPLAB_TRACE_FILE", out, 1);
		setenv("HEAPLAB_TRACE_DEPTH", depth, 1);
		setenv("HEAPLAB_TRACE_FORK", fork_mode, 1);
		execvp(argv[i], argv + i);
		fprintf(stderr, "heaplab: cannot run %s: %s (is it on PATH?)\n", argv[i],
			strerror(errno));
		_exit(127);
	}
	/* the terminal's ^C goes to CMD; heaplab waits for it */
	signal(SIGINT, SIG_IGN);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	signal(SIGINT, SIG_DFL);
	struct stat sb;
	if (stat(out, &sb) == 0)
		fprintf(stderr, "heaplab: trace written: %s (%lld bytes)\n", out, (long long)sb.st_size);
	else if (!(WIFEXITED(st) && WEXITSTATUS(st) == 127))
		fprintf(stderr, "heaplab: no trace was written to %s (a static binary? LD_PRELOAD "
				"does not reach it)\n",
			out);
	if (WIFSIGNALED(st)) {
		/* die the same way, so a caller sees CMD's ending */
		int sig = WTERMSIG(st);
		signal(sig, SIG_DFL);
		kill(getpid(), sig);
		return 128 + sig;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* ------------------------------------------------------------- leaks */

static void leaks_usage(FILE *f)
{
	fprintf(f, "usage: heaplab leaks [--json] [--top N] TRACE\n\n"
		   "Reads a trace from heaplab trace and reports the bytes and blocks never\n"
		   "freed, grouped by call stack, biggest first, each frame as function and\n"
		   "file:line (libdw; install debug info for libraries you want named), and\n"
		   "every double free and free of a pointer never allocated, with the stack of\n"
		   "the free and of the allocation. A trace cut short is read up to where it\n"
		   "stops, and the report says where.\n\n"
		   "  --json    the same as JSON\n"
		   "  --top N   at most N groups (default 20; 0: all)\n");
}

static cJSON *frames_json(hl_symbolizer_t *sym, const hl_trace_t *t, uint32_t stack)
{
	cJSON *a = cJSON_CreateArray();
	if (stack >= t->nstacks)
		return a;
	const hl_trace_stack_t *s = &t->stacks[stack];
	for (uint32_t k = 0; k < s->depth; k++) {
		hl_frame_info_t fi;
		hl_symbolize(sym, s->frames[k], &fi);
		cJSON *f = cJSON_CreateObject();
		char pc[32];
		snprintf(pc, sizeof pc, "%#llx", (unsigned long long)fi.pc);
		cJSON_AddStringToObject(f, "address", pc);
		cJSON_AddStringToObject(f, "function", fi.function);
		cJSON_AddStringToObject(f, "file", fi.file);
		cJSON_AddNumberToObject(f, "line", fi.line);
		cJSON_AddStringToObject(f, "module", fi.module);
		cJSON_AddItemToArray(a, f);
	}
	return a;
}

static void print_frames(hl_symbolizer_t *sym, const hl_trace_t *t, uint32_t stack,
			 const char *indent)
{
	if (stack >= t->nstacks || !t->stacks[stack].depth) {
		printf("%s(no stack)\n", indent);
		return;
	}
	const hl_trace_stack_t *s = &t->stacks[stack];
	for (uint32_t k = 0; k < s->depth; k++) {
		hl_frame_info_t fi;
		hl_symbolize(sym, s->frames[k], &fi);
		printf("%s%s", indent, fi.function[0] ? fi.function : "??");
		if (fi.file[0])
			printf(" %s:%d", fi.file, fi.line);
		else
			printf(" (%s+%#llx)", fi.module[0] ? fi.module : "?",
			       (unsigned long long)fi.pc);
		printf("\n");
	}
}

int cmd_leaks(int argc, char **argv)
{
	bool json = false;
	long top = 20;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			leaks_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--top") && i + 1 < argc) {
			char *e;
			top = strtol(argv[++i], &e, 10);
			if (*e || top < 0) {
				say_error("--top takes a number, got '%s'", argv[i]);
				return EXIT_USAGE;
			}
		} else if (argv[i][0] == '-') {
			say_error("unknown option %s (heaplab leaks --help)", argv[i]);
			return EXIT_USAGE;
		} else if (!path) {
			path = argv[i];
		} else {
			say_error("one trace at a time, got '%s' too", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!path) {
		say_error("leaks needs a trace file (heaplab leaks --help)");
		return EXIT_USAGE;
	}
	hl_trace_t t;
	hl_error_t err = {0};
	if (hl_trace_load(path, &t, &err)) {
		say_error("%s", err.msg);
		return err.code == -EPROTO || err.code == -EINVAL ? EXIT_USAGE : 1;
	}
	if (t.problem[0])
		fprintf(stderr, "heaplab: %s: %s; read %zu events\n", path, t.problem, t.nev);
	if (!t.nev && t.valid_bytes <= sizeof(hlt_header_t)) {
		say_error("%s holds no events: nothing to report", path);
		hl_trace_free(&t);
		return 1;
	}
	hl_leaks_t l;
	if (hl_leaks_compute(&t, &l, &err)) {
		say_error("%s", err.msg);
		hl_trace_free(&t);
		return 1;
	}
	hl_symbolizer_t *sym = hl_symbolizer_new(&t);
	size_t ng = top && (size_t)top < l.ngroups ? (size_t)top : l.ngroups;
	int64_t doubles = 0, invalid = 0;
	for (size_t i = 0; i < l.nbad; i++)
		*(l.bad[i].twice ? &doubles : &invalid) += 1;
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "trace", path);
		cJSON_AddNumberToObject(o, "events", (double)t.nev);
		cJSON_AddBoolToObject(o, "complete", t.ended && t.end_kind == HLT_END_EXIT);
		cJSON_AddStringToObject(o, "problem", t.problem);
		cJSON_AddNumberToObject(o, "alloc_calls", (double)l.alloc_calls);
		cJSON_AddNumberToObject(o, "free_calls", (double)l.free_calls);
		cJSON_AddNumberToObject(o, "realloc_calls", (double)l.realloc_calls);
		cJSON_AddNumberToObject(o, "peak_live_bytes", (double)l.peak_live_bytes);
		cJSON_AddNumberToObject(o, "leaked_bytes", (double)l.leaked_bytes);
		cJSON_AddNumberToObject(o, "leaked_blocks", (double)l.leaked_blocks);
		cJSON *g = cJSON_AddArrayToObject(o, "groups");
		for (size_t i = 0; i < ng; i++) {
			cJSON *x = cJSON_CreateObject();
			cJSON_AddNumberToObject(x, "bytes", (double)l.groups[i].bytes);
			cJSON_AddNumberToObject(x, "blocks", (double)l.groups[i].blocks);
			cJSON_AddItemToObject(x, "frames", frames_json(sym, &t, l.groups[i].stack));
			cJSON_AddItemToArray(g, x);
		}
		cJSON *d = cJSON_AddArrayToObject(o, "double_frees");
		cJSON *inv = cJSON_AddArrayToObject(o, "invalid_frees");
		for (size_t i = 0; i < l.nbad; i++) {
			const hl_bad_free_t *b = &l.bad[i];
			const hl_trace_event_t *fe = &t.ev[b->free_ev];
			cJSON *x = cJSON_CreateObject();
			char p[32];
			snprintf(p, sizeof p, "%#llx",
				 (unsigned long long)(fe->op == HLT_REALLOC ? fe->old : fe->ptr));
			cJSON_AddStringToObject(x, "pointer", p);
			cJSON_AddNumberToObject(x, "thread", fe->thread);
			cJSON_AddItemToObject(x, "free_frames", frames_json(sym, &t, fe->stack));
			if (b->twice)
				cJSON_AddItemToObject(x, "alloc_frames",
						      frames_json(sym, &t, t.ev[b->alloc_ev].stack));
			cJSON_AddItemToArray(b->twice ? d : inv, x);
		}
		char *s = cJSON_Print(o);
		printf("%s\n", s ? s : "null");
		free(s);
		cJSON_Delete(o);
	} else {
		char a[32], b[32];
		printf("%s: %zu events, %lld allocation calls, %lld frees, peak live %s\n", path,
		       t.nev, (long long)l.alloc_calls, (long long)l.free_calls,
		       hl_units_bytes(l.peak_live_bytes, a, sizeof a));
		printf("never freed: %s in %lld blocks, %zu call stacks\n",
		       hl_units_bytes(l.leaked_bytes, b, sizeof b), (long long)l.leaked_blocks,
		       l.ngroups);
		for (size_t i = 0; i < ng; i++) {
			printf("\n%s in %lld blocks from:\n", hl_units_bytes(l.groups[i].bytes, a, sizeof a),
			       (long long)l.groups[i].blocks);
			print_frames(sym, &t, l.groups[i].stack, "    ");
		}
		if (ng < l.ngroups)
			printf("\n... %zu more stacks (--top 0 shows all)\n", l.ngroups - ng);
		for (size_t i = 0; i < l.nbad; i++) {
			const hl_bad_free_t *bf = &l.bad[i];
			const hl_trace_event_t *fe = &t.ev[bf->free_ev];
			printf("\n%s of %#llx (thread %u), freed at:\n",
			       bf->twice ? "double free" : "free of a pointer never allocated",
			       (unsigned long long)(fe->op == HLT_REALLOC ? fe->old : fe->ptr),
			       fe->thread);
			print_frames(sym, &t, fe->stack, "    ");
			if (bf->twice) {
				printf("  allocated at:\n");
				print_frames(sym, &t, t.ev[bf->alloc_ev].stack, "    ");
			}
		}
		if (l.nbad)
			printf("\n%lld double frees, %lld frees of pointers never allocated\n",
			       (long long)doubles, (long long)invalid);
	}
	hl_symbolizer_free(sym);
	hl_leaks_free(&l);
	hl_trace_free(&t);
	return 0;
}
