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
		"usage: heaplab trace [--out FILE] [--stack-depth N] [--unwind fp|libunwind]\n"
		"                     [--fork child|none] [--glibc V] -- CMD [ARGS...]\n"
		"       heaplab trace --pid PID [--duration S] [--out FILE] [--stack-depth N]\n"
		"                     [--unwind fp|libunwind]\n"
		"       heaplab trace --import-mtrace LOG --out FILE\n\n"
		"Runs CMD with heaplab's allocation recorder preloaded (libheaplab-trace.so,\n"
		"beside heaplab) and writes every malloc, free, calloc, realloc,\n"
		"reallocarray, memalign, posix_memalign, aligned_alloc, valloc, pvalloc and\n"
		"malloc_trim call, with its thread, time and call stack, to FILE (default\n"
		"results/traces/NAME-DATE-PID.trace; never over an existing file). CMD's exit\n"
		"status is heaplab's. FILE stands for the whole run: each process CMD forks,\n"
		"execs or spawns writes FILE.PID beside it, and heaplab trace ends by listing\n"
		"them. Read it with heaplab leaks FILE.\n\n"
		"With --pid, records a process already running, from now (calls made before\n"
		"are not in the trace; frees of those blocks are counted apart), until\n"
		"--duration S, Ctrl-C or its exit, and leaves it running: heaplab stops its\n"
		"main thread a moment (ptrace) to load the recorder and again to unload it.\n"
		"It needs the right to ptrace PID (its user or root).\n\n"
		"  --out FILE        where the trace goes\n"
		"  --pid PID         attach to a running process instead of running CMD\n"
		"  --duration S      with --pid: stop after S seconds (default: Ctrl-C or exit)\n"
		"  --stack-depth N   return addresses per stack, 0 to 32 (default 8); frame\n"
		"                    pointers: code built without them gives short stacks\n"
		"  --unwind libunwind  stacks from the unwind tables (libunwind8): whole\n"
		"                    stacks through code without frame pointers, slower\n"
		"  --fork child|none a forked child writes FILE.PID (child, the default) or\n"
		"                    nothing (none); an exec'd program writes FILE.PID\n"
		"  --glibc V         run CMD under another glibc of the matrix (2.31, 2.41,\n"
		"                    2.43, or a suite name; see heaplab run --help): CMD\n"
		"                    itself, not the programs it execs\n"
		"  --import-mtrace LOG  convert a glibc mtrace log (MALLOC_TRACE=LOG with\n"
		"                    libc_malloc_debug.so preloaded, mtrace() called) into a trace;\n"
		"                    each call keeps its caller as a one-frame stack\n");
}

static int import_mtrace(const char *log, const char *out);

static int cmp_events(const void *x, const void *y)
{
	const hl_trace_member_t *a = *(const hl_trace_member_t *const *)x,
				*b = *(const hl_trace_member_t *const *)y;
	return a->events != b->events ? (a->events > b->events ? -1 : 1) : 0;
}

void trace_summary(const char *out, FILE *to)
{
	hl_trace_family_t f;
	hl_error_t err = {0};
	if (hl_trace_family_open(out, &f, &err)) {
		fprintf(to, "heaplab: %s\n", err.msg);
		return;
	}
	uint64_t bytes = 0, events = 0;
	for (size_t i = 0; i < f.n; i++) {
		bytes += f.m[i].bytes;
		events += f.m[i].events;
	}
	char b[32];
	fprintf(to, "heaplab: trace written: %s: %zu process%s, %llu events, %s\n", out, f.n,
		f.n == 1 ? "" : "es", (unsigned long long)events, hl_units_bytes((int64_t)bytes, b, sizeof b));
	const hl_trace_member_t **order = calloc(f.n, sizeof *order);
	for (size_t i = 0; order && i < f.n; i++)
		order[i] = &f.m[i];
	if (order)
		qsort(order, f.n, sizeof *order, cmp_events);
	size_t shown = f.n < 20 ? f.n : 20;
	fprintf(to, "  %-8s %-8s %10s  %-24s %s\n", "pid", "parent", "events", "file", "command (ending)");
	for (size_t k = 0; order && k < shown; k++) {
		const hl_trace_member_t *m = order[k];
		char end[600];
		fprintf(to, "  %-8u %-8u %10llu  %-24s %.60s (%s)\n", m->pid, m->ppid,
			(unsigned long long)m->events, m->name, m->command[0] ? m->command : "?",
			hl_trace_member_end(m, end, sizeof end));
	}
	if (shown < f.n)
		fprintf(to, "  ... %zu more (heaplab leaks --json %s lists them all)\n", f.n - shown, out);
	/* stacks that stop early: said, where (the modules most of them stop
	 * in, across the processes), with what gives whole ones */
	struct {
		char module[256];
		size_t stacks;
		uint32_t pid;
		size_t pids;
	} stop[8];
	size_t nstop = 0, short_all = 0, all = 0;
	for (size_t i = 0; i < f.n; i++) {
		hl_stack_summary_t ss;
		hl_trace_stack_summary(&f.m[i].trace, &ss);
		if (!ss.notice)
			continue;
		short_all += ss.short_stacks;
		all += ss.stacks;
		size_t k;
		for (k = 0; k < nstop && strcmp(stop[k].module, ss.stop_module); k++)
			;
		if (k == nstop && nstop < 8) {
			snprintf(stop[nstop].module, sizeof stop[nstop].module, "%s", ss.stop_module);
			stop[nstop].stacks = stop[nstop].pids = 0;
			stop[nstop++].pid = f.m[i].pid;
		}
		if (k < 8) {
			stop[k].stacks += ss.short_stacks;
			stop[k].pids++;
		}
	}
	if (nstop) {
		fprintf(to, "heaplab: %zu of %zu call stacks stop early (code built without frame "
			    "pointers), in:\n", short_all, all);
		for (size_t k = 0; k < nstop && k < 3; k++) {
			size_t best = k;
			for (size_t q = k + 1; q < nstop; q++)
				if (stop[q].stacks > stop[best].stacks)
					best = q;
			if (best != k) {
				__typeof__(stop[0]) tmp = stop[k];
				stop[k] = stop[best];
				stop[best] = tmp;
			}
			fprintf(to, "  %s (%zu stacks, pid %u%s)\n", stop[k].module[0] ? stop[k].module : "?",
				stop[k].stacks, stop[k].pid, stop[k].pids > 1 ? " and others" : "");
		}
		fprintf(to, "heaplab: for stacks that reach main, trace again with --unwind libunwind\n");
	}
	fprintf(to, "heaplab: next: heaplab leaks %s\n", out);
	free(order);
	hl_trace_family_free(&f);
}

void exe_dir(char *out, size_t n)
{
	char exe[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[k > 0 ? k : 0] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(out, n, "%s", k > 0 ? exe : ".");
}

/* results/traces/NAME-DATE-PID.trace (NAME-PID-DATE-PID for an attach). */
static void default_out(char *path, size_t n, const char *name, long pid)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime_r(&now, &tm));
	const char *res = getenv("HEAPLAB_RESULTS");
	snprintf(path, n, "%s/traces", res ? res : "results");
	mkdir(res ? res : "results", 0755);
	mkdir(path, 0755);
	size_t l = strlen(path);
	if (pid)
		snprintf(path + l, n - l, "/%s%ld-%s-%d.trace", name, pid, stamp, (int)getpid());
	else
		snprintf(path + l, n - l, "/%s-%s-%d.trace", name, stamp, (int)getpid());
}

static const char *absolute(const char *out, char *buf, size_t n)
{
	if (out[0] == '/' || !getcwd(buf, n) || strlen(buf) + strlen(out) + 2 >= n)
		return out;
	strcat(buf, "/");
	strcat(buf, out);
	return buf;
}

int cmd_trace(int argc, char **argv)
{
	const char *out = NULL, *depth = "8", *fork_mode = "child", *import = NULL, *unwind = "fp",
		   *glibc = NULL;
	long attach = 0;
	double duration = 0;
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
		} else if (!strcmp(a, "--unwind") && has) {
			unwind = argv[++i];
			if (strcmp(unwind, "fp") && strcmp(unwind, "libunwind")) {
				say_error("--unwind takes fp or libunwind, got '%s'", unwind);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--glibc") && has) {
			glibc = argv[++i];
		} else if ((!strcmp(a, "--pid") || !strcmp(a, "-p")) && has) {
			if (!arg_number("--pid", argv[++i], 1, &attach))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--duration") && has) {
			char *e;
			duration = strtod(argv[++i], &e);
			if (*e || duration <= 0) {
				say_error("--duration takes seconds (more than 0), got '%s'", argv[i]);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--import-mtrace") && has) {
			import = argv[++i];
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
	if (import) {
		if (i < argc || !out) {
			say_error("--import-mtrace LOG needs --out FILE and no command");
			return EXIT_USAGE;
		}
		return import_mtrace(import, out);
	}
	if (attach) {
		if (i < argc) {
			say_error("--pid PID records a running process: give no command too");
			return EXIT_USAGE;
		}
		if (glibc) {
			say_error("--glibc chooses how a command starts; --pid attaches to one running");
			return EXIT_USAGE;
		}
		char path_p[PATH_MAX];
		if (!out) {
			default_out(path_p, sizeof path_p, "pid", attach);
			out = path_p;
		}
		char absp[PATH_MAX];
		return trace_attach((pid_t)attach, absolute(out, absp, sizeof absp), depth, unwind,
				    duration);
	}
	if (duration) {
		say_error("--duration goes with --pid (a command is traced to its end)");
		return EXIT_USAGE;
	}
	if (i >= argc) {
		say_error("trace needs a command: heaplab trace [OPTIONS] -- CMD [ARGS...], or --pid PID");
		return EXIT_USAGE;
	}
	char lib[PATH_MAX + 32], dir[PATH_MAX], path[PATH_MAX];
	exe_dir(dir, sizeof dir);
	snprintf(lib, sizeof lib, "%s/libheaplab-trace.so", dir);
	if (access(lib, R_OK)) {
		say_error("%s is missing (make builds it beside heaplab)", lib);
		return 1;
	}
	hl_glibc_env_t genv;
	hl_error_t gerr = {0};
	char prog[PATH_MAX];
	if (hl_glibc_env_find(glibc ? glibc : "host", &genv, &gerr) ||
	    hl_glibc_env_file(&genv, lib, lib, sizeof lib, &gerr)) {
		say_error("%s", gerr.msg);
		return EXIT_USAGE;
	}
	if (!genv.host && hl_glibc_env_resolve(argv[i], prog, sizeof prog)) {
		say_error("cannot find %s (on PATH, or as a path)", argv[i]);
		return EXIT_USAGE;
	}
	if (!out) {
		const char *base = strrchr(argv[i], '/');
		default_out(path, sizeof path, base ? base + 1 : argv[i], 0);
		out = path;
	}
	if (access(out, F_OK) == 0) {
		say_error("%s already exists: a trace is never written over (choose another --out)",
			  out);
		return 1;
	}
	/* absolute: a program that changes its folder, then execs, still
	 * writes beside the others */
	char abs[PATH_MAX];
	out = absolute(out, abs, sizeof abs);
	char family[32];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(family, sizeof family, "%llx",
		 (unsigned long long)((uint64_t)now.tv_sec * 1000000007u ^ (uint64_t)now.tv_nsec ^
				      ((uint64_t)getpid() << 40)));
	pid_t pid = fork();
	if (pid < 0) {
		say_error("fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		setenv("HEAPLAB_TRACE_FAMILY", family, 1);
		const char *old = getenv("LD_PRELOAD");
		char pre[2 * PATH_MAX + 64];
		snprintf(pre, sizeof pre, "%s%s%s", lib, old && *old ? ":" : "", old ? old : "");
		setenv("LD_PRELOAD", pre, 1);
		setenv("HEAPLAB_TRACE_FILE", out, 1);
		setenv("HEAPLAB_TRACE_DEPTH", depth, 1);
		setenv("HEAPLAB_TRACE_FORK", fork_mode, 1);
		if (!strcmp(unwind, "libunwind"))
			setenv("HEAPLAB_TRACE_UNWIND", "libunwind", 1);
		if (!genv.host) {
			/* through that glibc's loader: the command's own exec's (a
			 * wrapper's child) run under the system's again */
			int cap = argc - i + 8;
			char **av = calloc((size_t)cap, sizeof *av);
			if (av && hl_glibc_env_argv(&genv, prog, argv + i + 1, argc - i - 1, av, cap) > 0)
				execv(av[0], av);
		} else {
			execvp(argv[i], argv + i);
		}
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
		trace_summary(out, stderr);
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

/* ------------------------------------------------------- mtrace import */

/* A trace being written from outside the recorder: one thread, events
 * encoded as the recorder does, stacks of one frame (the caller mtrace
 * names), each file mtrace names given a made-up load address. */
typedef struct writer {
	FILE *f;
	uint8_t *buf;
	size_t len, count;
	uint64_t tsc, last_ptr, last_stack, events;
	char *files[64];
	size_t nfiles;
	uint64_t *stack_pc;
	size_t nstacks;
} writer_t;

static void w_record(writer_t *w, int kind, const uint8_t *p, size_t n)
{
	uint8_t h[12], *q = h;
	*q++ = (uint8_t)kind;
	q = hlt_put(q, n);
	fwrite(h, 1, (size_t)(q - h), w->f);
	fwrite(p, 1, n, w->f);
}

static void w_flush(writer_t *w)
{
	if (!w->count)
		return;
	uint8_t h[24], *q = h;
	q = hlt_put(q, 0);
	q = hlt_put(q, w->count);
	uint8_t k[12], *kq = k;
	*kq++ = HLT_REC_EVENTS;
	kq = hlt_put(kq, (size_t)(q - h) + w->len);
	fwrite(k, 1, (size_t)(kq - k), w->f);
	fwrite(h, 1, (size_t)(q - h), w->f);
	fwrite(w->buf, 1, w->len, w->f);
	w->events += w->count;
	w->len = w->count = 0;
	w->tsc = w->last_ptr = w->last_stack = 0;
}

/* The stack id of one caller address, written on first sight. */
static uint64_t w_stack(writer_t *w, uint64_t pc)
{
	for (size_t i = 0; i < w->nstacks; i++)
		if (w->stack_pc[i] == pc)
			return i + 1;
	uint64_t *v = realloc(w->stack_pc, (w->nstacks + 1) * sizeof *v);
	if (!v)
		return 0;
	w->stack_pc = v;
	v[w->nstacks++] = pc;
	uint8_t b[32], *q = b;
	q = hlt_put(q, w->nstacks);
	q = hlt_put(q, 1);
	q = hlt_put(q, pc);
	w_record(w, HLT_REC_STACK, b, (size_t)(q - b));
	return w->nstacks;
}

static uint8_t *w_ptr(writer_t *w, uint8_t *p, uint64_t a)
{
	p = hlt_put(p, hlt_zz((int64_t)(a - w->last_ptr) >> 4));
	w->last_ptr = a;
	return p;
}

static void w_event(writer_t *w, int op, uint64_t stack, uint64_t size, uint64_t old, uint64_t ptr)
{
	uint8_t *p = w->buf + w->len;
	*p++ = (uint8_t)(op | (stack == w->last_stack ? HLT_TAG_SAME_STACK : 0));
	p = hlt_put(p, 1); /* mtrace has no time: one unit per call */
	w->tsc++;
	if (stack != w->last_stack)
		p = hlt_put(p, stack);
	w->last_stack = stack;
	if (op != HLT_FREE)
		p = hlt_put(p, size);
	if (op == HLT_REALLOC)
		p = w_ptr(w, p, old);
	p = w_ptr(w, p, op == HLT_FREE ? old : ptr);
	w->len = (size_t)(p - w->buf);
	w->count++;
	if (w->len > (1u << 20) - 64)
		w_flush(w);
}

/* "@ FILE:[0xOFF] ", "@ FILE:(SYM+0xN)[0xOFF] " or "@ [0xADDR] ": the
 * caller as an address in the made-up layout (file k at (k + 1) << 40). */
static uint64_t mtrace_caller(writer_t *w, const char *s)
{
	const char *lb = strrchr(s, '[');
	if (!lb)
		return 0;
	uint64_t a = strtoull(lb + 1, NULL, 16);
	const char *colon = NULL;
	for (const char *q = s; q < lb; q++)
		if (*q == ':' && (q[1] == '[' || q[1] == '('))
			colon = q;
	if (!colon)
		return a; /* absolute: no module known */
	size_t n = (size_t)(colon - s);
	size_t k;
	for (k = 0; k < w->nfiles; k++)
		if (strlen(w->files[k]) == n && !strncmp(w->files[k], s, n))
			break;
	if (k == w->nfiles && k < 64) {
		w->files[k] = strndup(s, n);
		if (!w->files[k])
			return a;
		w->nfiles++;
	}
	return k < 64 ? ((uint64_t)(k + 1) << 40) + a : a;
}

static int import_mtrace(const char *log, const char *out)
{
	FILE *in = fopen(log, "r");
	if (!in) {
		say_error("cannot open %s: %s", log, strerror(errno));
		return 1;
	}
	if (access(out, F_OK) == 0) {
		say_error("%s already exists: a trace is never written over (choose another --out)",
			  out);
		fclose(in);
		return 1;
	}
	writer_t w = {0};
	w.f = fopen(out, "wx");
	w.buf = malloc(1u << 20);
	if (!w.f || !w.buf) {
		say_error("cannot write %s: %s", out, strerror(errno));
		if (w.f)
			fclose(w.f);
		free(w.buf);
		fclose(in);
		return 1;
	}
	hlt_header_t h;
	memset(&h, 0, sizeof h);
	memcpy(h.magic, HLT_MAGIC, 8);
	h.version = HLT_VERSION;
	h.page_size = (uint32_t)sysconf(_SC_PAGESIZE);
	fwrite(&h, sizeof h, 1, w.f);
	char line[4096];
	long n = 0, bad = 0, first_bad = 0;
	uint64_t pend_old = 0, pend_stack = 0;
	bool pending = false, started = false;
	while (fgets(line, sizeof line, in)) {
		n++;
		if (!strncmp(line, "= Start", 7)) {
			started = true;
			continue;
		}
		if (line[0] == '=' || line[0] == '\n')
			continue;
		char *sp = line[0] == '@' ? strchr(line, ']') : NULL;
		char op;
		unsigned long long a, b = 0;
		int got = sp ? sscanf(sp + 1, " %c %llx %llx", &op, &a, &b) : 0;
		if (got < 2 || !strchr("+-<>", op) || ((op == '+' || op == '>') && got < 3)) {
			bad++;
			if (!first_bad)
				first_bad = n;
			continue;
		}
		uint64_t stack = w_stack(&w, mtrace_caller(&w, line + 2));
		if (pending && op != '>') { /* realloc(p, 0): freed, nothing returned */
			w_event(&w, HLT_REALLOC, pend_stack, 0, pend_old, 0);
			pending = false;
		}
		switch (op) {
		case '+': w_event(&w, HLT_MALLOC, stack, b, 0, a); break;
		case '-': w_event(&w, HLT_FREE, stack, 0, a, 0); break;
		case '<':
			pending = true;
			pend_old = a;
			pend_stack = stack;
			break;
		default:
			w_event(&w, HLT_REALLOC, stack, b, pending ? pend_old : 0, a);
			pending = false;
			break;
		}
	}
	if (pending)
		w_event(&w, HLT_REALLOC, pend_stack, 0, pend_old, 0);
	w_flush(&w);
	for (size_t k = 0; k < w.nfiles; k++) {
		uint8_t rec[4200], *q = rec;
		uint64_t base = (uint64_t)(k + 1) << 40;
		q = hlt_put(q, base);
		q = hlt_put(q, base + (1ULL << 40) - 1);
		q = hlt_put(q, 0);
		size_t pl = strlen(w.files[k]) < 4096 ? strlen(w.files[k]) : 4096;
		memcpy(q, w.files[k], pl);
		w_record(&w, HLT_REC_MODULE, rec, (size_t)(q - rec) + pl);
		free(w.files[k]);
	}
	uint8_t e[24], *q = e;
	q = hlt_put(q, w.events);
	q = hlt_put(q, HLT_END_EXIT);
	w_record(&w, HLT_REC_END, e, (size_t)(q - e));
	int rc = ferror(w.f) | fclose(w.f);
	fclose(in);
	free(w.buf);
	free(w.stack_pc);
	if (rc) {
		say_error("writing %s failed (disk full?)", out);
		return 1;
	}
	if (!started && !w.events) {
		say_error("%s is not a glibc mtrace log (no '= Start' line, no events); %s holds "
			  "nothing",
			  log, out);
		unlink(out);
		return 2;
	}
	fprintf(stderr, "heaplab: %llu events from %s into %s", (unsigned long long)w.events, log, out);
	if (bad)
		fprintf(stderr, "; %ld lines not understood (the first: line %ld)", bad, first_bad);
	fprintf(stderr, "\n");
	return 0;
}
