/*
 * cmd_replay.c — `heaplab replay TRACE`: the trace's allocation calls
 * performed again by heaplab-replay (tracer/replay.c) under `heaplab run`,
 * with any allocator and tunables, into an ordinary run directory (phase
 * table, samples, plots); with --compare, once per allocator under `heaplab
 * sweep`, into one comparison (RSS at peak and at end per configuration,
 * timelines overlaid). This is how a production "leak" recorded with
 * heaplab trace is reproduced in the lab, and how one sees which allocator
 * or tunable gives the memory back.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "trace.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: heaplab replay TRACE [--allocator A] [--tunable K=V]... [--out DIR]\n"
		"                      [--interval MS] [--glibc V] [--pid N | --command NAME]\n"
		"                      [--quiet]\n"
		"       heaplab replay TRACE --compare A,B,... [--tunable K=V1,V2]... [--out DIR]\n\n"
		"Performs the trace's allocation calls again (the same sizes, order and\n"
		"threads; each block written once per page) under heaplab run, so the\n"
		"run directory has the phase table, samples and plots of any run. Phases:\n"
		"peak (where the trace's live bytes were highest) and end; each records the\n"
		"trace's live bytes, so RSS can be set against them.\n\n"
		"  --allocator A     glibc (default), jemalloc, tcmalloc, mimalloc\n"
		"  --tunable K=V     a glibc tunable (repeatable)\n"
		"  --compare A,B,... one run per allocator under heaplab sweep, compared\n"
		"                    (with --tunable K=V1,V2 the tunable's values too)\n"
		"  --out DIR         the run (or sweep) directory\n"
		"  --interval MS     sampling interval (default 10)\n"
		"  --glibc V         replay under another glibc of the matrix (2.31, 2.41,\n"
		"                    2.43, or a suite name; see heaplab run --help)\n"
		"  --pid N           of a trace of several processes (heaplab trace lists them),\n"
		"                    only the process N (default: each one that made calls, a\n"
		"                    run each under --out DIR, and a table; --compare takes\n"
		"                    the busiest); a forked one starts with the heap it inherited\n"
		"  --command NAME    only the process running the program NAME\n"
		"  --quiet           print only the verdict and the directory\n");
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* After --compare: each configuration's RSS at peak and at end, against the
 * live bytes the trace had there (the table heaplab sweep prints has RSS
 * only, and no in-use figure for other allocators). */
static void live_table(const char *dir, const char *what)
{
	struct dirent **e = NULL;
	int n = scandir(dir, &e, NULL, by_name);
	bool head = false;
	for (int i = 0; i < n; i++) {
		char sub[PATH_MAX];
		hl_run_t run;
		hl_run_init(&run);
		snprintf(sub, sizeof sub, "%s/%s", dir, e[i]->d_name);
		if (e[i]->d_name[0] != '.' && hl_run_load(sub, &run, NULL) == 0) {
			const hl_phase_t *ph[2] = {NULL, NULL};
			for (size_t k = 0; k < run.nphases; k++) {
				if (!strcmp(run.phases[k].name, "peak"))
					ph[0] = &run.phases[k];
				if (!strcmp(run.phases[k].name, "end"))
					ph[1] = &run.phases[k];
			}
			if (!head) {
				printf("\nRSS against the trace's live bytes:\n%-36s %12s %12s %12s %12s\n",
				       what, "peak RSS", "live", "end RSS", "live");
				head = true;
			}
			const char *label = strchr(e[i]->d_name, '-');
			printf("%-36s", label ? label + 1 : e[i]->d_name);
			for (int k = 0; k < 2; k++) {
				char a[32], b[32];
				double live = -1;
				for (size_t o = 0; ph[k] && o < ph[k]->nobs; o++)
					if (!strcmp(ph[k]->obs[o].key, "live_bytes"))
						live = ph[k]->obs[o].value;
				printf(" %12s %12s", hl_units_bytes(ph[k] ? ph[k]->rss_bytes : HL_UNKNOWN, a, sizeof a),
				       hl_units_bytes(live >= 0 ? (int64_t)live : HL_UNKNOWN, b, sizeof b));
			}
			printf("\n");
		}
		hl_run_free(&run);
		free(e[i]);
	}
	free(e);
}

int replay_prepare(const char *trace, const char *glibc, const char *doing, long pick_pid,
		   const char *pick_command, replay_prep_t *p)
{
	return replay_prepare_member(trace, glibc, doing, pick_pid, pick_command, -1, p);
}

int replay_prepare_member(const char *trace, const char *glibc, const char *doing, long pick_pid,
			  const char *pick_command, int member, replay_prep_t *p)
{
	memset(p, 0, sizeof *p);
	char dir[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", p->exe, sizeof p->exe - 1);
	p->exe[k > 0 ? k : 0] = '\0';
	exe_dir(dir, sizeof dir);
	snprintf(p->replayer, sizeof p->replayer, "%s/heaplab-replay", dir);
	if (access(p->replayer, X_OK)) {
		say_error("%s is missing (make builds it beside heaplab)", p->replayer);
		return 1;
	}
	hl_glibc_env_t genv;
	hl_error_t err = {0};
	if (hl_glibc_env_find(glibc ? glibc : "host", &genv, &err) ||
	    hl_glibc_env_file(&genv, p->replayer, p->replayer, sizeof p->replayer, &err)) {
		say_error("%s", err.msg);
		return EXIT_USAGE;
	}
	/* one process of the family: the one asked for, or the busiest */
	hl_trace_family_t f;
	if (hl_trace_family_open(trace, &f, &err)) {
		say_error("%s", err.msg);
		return err.code == -EPROTO || err.code == -EINVAL ? EXIT_USAGE : 1;
	}
	int at = member >= 0 && (size_t)member < f.n ? member
							: hl_trace_family_pick(&f, pick_pid, pick_command);
	if (at < 0) {
		say_error("%s has no such process (heaplab leaks %s lists them)", trace, trace);
		hl_trace_family_free(&f);
		return EXIT_USAGE;
	}
	int rc = hl_trace_family_leaks(&f, at, &err);
	if (rc) {
		say_error("%s", err.msg);
		hl_trace_family_free(&f);
		return rc == -EPROTO || rc == -EINVAL ? EXIT_USAGE : 1;
	}
	const hl_trace_member_t *m = &f.m[at];
	const hl_trace_t *t = &m->trace;
	if (f.n > 1 && pick_pid < 0 && !pick_command && member < 0)
		fprintf(stderr,
			"heaplab: %s holds %zu processes; %s pid %u (%.60s), the one with the most "
			"calls (--pid or --command picks another)\n",
			trace, f.n, doing, m->pid, m->command);
	if (t->problem[0] && !(t->ended && t->end_kind == HLT_END_EXEC))
		fprintf(stderr, "heaplab: %s: %s; %s its %zu events\n", m->path, t->problem, doing,
			t->nev);
	if (m->ninherit)
		fprintf(stderr, "heaplab: pid %u starts with the %zu blocks it inherited at its fork\n",
			m->pid, m->ninherit);
	/* the operations outside any run directory: they can be large */
	snprintf(p->tmp, sizeof p->tmp, "/tmp/heaplab-replay-XXXXXX");
	if (!mkdtemp(p->tmp)) {
		say_error("cannot make a temporary directory: %s", strerror(errno));
		hl_trace_family_free(&f);
		return 1;
	}
	snprintf(p->ops, sizeof p->ops, "%s/ops", p->tmp);
	rc = hl_trace_write_replay_from(t, m->inherit, m->ninherit, p->ops, &p->info, &err);
	p->truncated = t->problem[0] != '\0' && !(t->ended && t->end_kind == HLT_END_EXEC);
	hl_trace_family_free(&f);
	if (rc) {
		say_error("%s", err.msg);
		replay_cleanup(p);
		return 1;
	}
	return 0;
}

void replay_cleanup(replay_prep_t *p)
{
	if (p->ops[0])
		unlink(p->ops);
	if (p->tmp[0])
		rmdir(p->tmp);
	p->ops[0] = p->tmp[0] = '\0';
}

typedef struct replay_opts {
	const char *out, *compare, *allocator, *interval, *glibc;
	const char *tunables[32];
	int ntun;
	bool quiet;     /* the verdict and the directory only */
	bool run_quiet; /* heaplab run's table left out (a family's runs) */
	long pick;
	const char *command;
} replay_opts_t;

/* One replay (or one --compare sweep) of one process of the trace: its
 * exit status. */
static int replay_one(const char *trace, const replay_opts_t *o, int member, const char *out)
{
	replay_prep_t rp;
	int rc = replay_prepare_member(trace, o->glibc, "replaying", o->pick, o->command, member, &rp);
	if (rc)
		return rc;
	char *exe = rp.exe, *replayer = rp.replayer, *ops = rp.ops;
	hlr_header_t info = rp.info;
	char env[128];
	if (!o->quiet) {
		char a[32];
		fprintf(stderr,
			"heaplab: replaying %llu calls on %u thread%s, at most %llu blocks live, peak "
			"live %s\n",
			(unsigned long long)info.ops, info.threads, info.threads == 1 ? "" : "s",
			(unsigned long long)info.slots, hl_units_bytes((int64_t)info.peak_live, a, sizeof a));
	}
	snprintf(env, sizeof env, "HEAPLAB_REPLAY=%s", ops);
	char dflt[PATH_MAX];
	if (o->compare && !out) { /* where the sweep goes, to read it back */
		outdir_default("sweeps/heaplab-replay", dflt, sizeof dflt);
		out = dflt;
	}
	char *args[96];
	int n = 0;
	args[n++] = exe;
	args[n++] = o->compare ? "sweep" : "run";
	args[n++] = replayer;
	args[n++] = "--env";
	args[n++] = env;
	if (out) {
		args[n++] = "--out";
		args[n++] = (char *)out;
	}
	if (o->interval) {
		args[n++] = "--interval";
		args[n++] = (char *)o->interval;
	}
	if (o->glibc) {
		args[n++] = "--glibc";
		args[n++] = (char *)o->glibc;
	}
	if (o->compare) {
		args[n++] = "--allocator";
		args[n++] = (char *)o->compare;
	} else if (o->allocator) {
		args[n++] = "--allocator";
		args[n++] = (char *)o->allocator;
	}
	for (int i = 0; i < o->ntun; i++) {
		args[n++] = "--tunable";
		args[n++] = (char *)o->tunables[i];
	}
	if ((o->quiet || o->run_quiet) && !o->compare)
		args[n++] = "--quiet";
	args[n] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		execv(exe, args);
		_exit(127);
	}
	int st = 0;
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	replay_cleanup(&rp);
	if (o->compare && pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		live_table(out, "configuration");
	return pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* Every process of a family that made calls, one run each, under one
 * directory; then their RSS at peak and at end against their live bytes. */
static int replay_family(const char *trace, const replay_opts_t *o, const hl_trace_family_t *f)
{
	char base[PATH_MAX];
	if (o->out)
		snprintf(base, sizeof base, "%s", o->out);
	else
		outdir_default("replays/heaplab-replay", base, sizeof base);
	hl_error_t err = {0};
	if (outdir_fresh(base, "--out", true, &err)) {
		say_error("%s", err.msg);
		return EXIT_USAGE;
	}
	size_t runs = 0, failed = 0;
	for (size_t i = 0; i < f->n; i++)
		runs += f->m[i].events > 0;
	fprintf(stderr, "heaplab: %s holds %zu processes that made calls: one replay each, into %s "
			"(--pid or --command replays one)\n",
		trace, runs, base);
	size_t k = 0;
	for (size_t i = 0; i < f->n; i++) {
		const hl_trace_member_t *m = &f->m[i];
		if (!m->events)
			continue;
		char prog[64], sub[PATH_MAX + 96];
		size_t w = strcspn(m->command, " ");
		const char *b = m->command;
		for (size_t q = 0; q < w; q++)
			if (m->command[q] == '/')
				b = m->command + q + 1;
		snprintf(prog, sizeof prog, "%.*s", (int)(w - (size_t)(b - m->command)), b);
		for (char *c = prog; *c; c++)
			if (!(*c == '-' || *c == '_' || *c == '.' || (*c >= '0' && *c <= '9') ||
			      (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
				*c = '_';
		snprintf(sub, sizeof sub, "%s/%03zu-%u-%s", base, ++k, m->pid, prog[0] ? prog : "process");
		fprintf(stderr, "\n== %zu/%zu: pid %u, %.70s (%llu events)\n", k, runs, m->pid, m->command,
			(unsigned long long)m->events);
		replay_opts_t one = *o;
		one.run_quiet = true;
		if (replay_one(trace, &one, (int)i, sub))
			failed++;
	}
	live_table(base, "process");
	if (failed)
		fprintf(stderr, "heaplab: %zu of %zu replays failed (above)\n", failed, runs);
	return failed ? 1 : 0;
}

int cmd_replay(int argc, char **argv)
{
	const char *trace = NULL;
	replay_opts_t o = {.pick = -1};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--out") && has) {
			o.out = argv[++i];
		} else if (!strcmp(a, "--compare") && has) {
			o.compare = argv[++i];
		} else if (!strcmp(a, "--allocator") && has) {
			o.allocator = argv[++i];
		} else if (!strcmp(a, "--interval") && has) {
			o.interval = argv[++i];
		} else if (!strcmp(a, "--glibc") && has) {
			o.glibc = argv[++i];
		} else if (!strcmp(a, "--tunable") && has && o.ntun < 32) {
			o.tunables[o.ntun++] = argv[++i];
		} else if (!strcmp(a, "--quiet")) {
			o.quiet = true;
		} else if (!strcmp(a, "--pid") && has) {
			if (!arg_number("--pid", argv[++i], 0, &o.pick))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--command") && has) {
			o.command = argv[++i];
		} else if (a[0] == '-') {
			say_error("unknown option %s (heaplab replay --help)", a);
			return EXIT_USAGE;
		} else if (!trace) {
			trace = a;
		} else {
			say_error("one trace at a time, got '%s' too", a);
			return EXIT_USAGE;
		}
	}
	if (!trace) {
		say_error("replay needs a trace (heaplab replay --help)");
		return EXIT_USAGE;
	}
	if (o.compare && o.allocator) {
		say_error("--compare names the allocators; --allocator is for one run");
		return EXIT_USAGE;
	}
	if (o.glibc) { /* a glibc not in the matrix: said before the trace is read */
		hl_glibc_env_t genv;
		hl_error_t gerr = {0};
		if (hl_glibc_env_find(o.glibc, &genv, &gerr)) {
			say_error("%s", gerr.msg);
			return EXIT_USAGE;
		}
	}
	/* a family of several processes, none picked: each replayed (a
	 * comparison takes the busiest: it says so) */
	if (o.pick < 0 && !o.command && !o.compare) {
		hl_trace_family_t f;
		hl_error_t err = {0};
		if (hl_trace_family_open(trace, &f, &err)) {
			say_error("%s", err.msg);
			return err.code == -EPROTO || err.code == -EINVAL ? EXIT_USAGE : 1;
		}
		size_t busy = 0;
		for (size_t i = 0; i < f.n; i++)
			busy += f.m[i].events > 0;
		int rc = -1;
		if (busy > 1 && f.picked < 0)
			rc = replay_family(trace, &o, &f);
		hl_trace_family_free(&f);
		if (rc >= 0)
			return rc;
	}
	return replay_one(trace, &o, -1, o.out);
}
