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
		"                    the process N (default: the one with the most calls); a\n"
		"                    forked one starts with the heap it inherited\n"
		"  --command NAME    the process running the program NAME\n"
		"  --quiet           print only the verdict and the directory\n");
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* After --compare: each configuration's RSS at peak and at end, against the
 * live bytes the trace had there (the table heaplab sweep prints has RSS
 * only, and no in-use figure for other allocators). */
static void live_table(const char *dir)
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
				       "configuration", "peak RSS", "live", "end RSS", "live");
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
	int at = hl_trace_family_pick(&f, pick_pid, pick_command);
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
	if (f.n > 1 && pick_pid < 0 && !pick_command)
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

int cmd_replay(int argc, char **argv)
{
	const char *trace = NULL, *out = NULL, *compare = NULL, *allocator = NULL,
		   *interval = NULL, *glibc = NULL;
	const char *tunables[32];
	int ntun = 0;
	bool quiet = false;
	long pick = -1;
	const char *command = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--out") && has) {
			out = argv[++i];
		} else if (!strcmp(a, "--compare") && has) {
			compare = argv[++i];
		} else if (!strcmp(a, "--allocator") && has) {
			allocator = argv[++i];
		} else if (!strcmp(a, "--interval") && has) {
			interval = argv[++i];
		} else if (!strcmp(a, "--glibc") && has) {
			glibc = argv[++i];
		} else if (!strcmp(a, "--tunable") && has && ntun < 32) {
			tunables[ntun++] = argv[++i];
		} else if (!strcmp(a, "--quiet")) {
			quiet = true;
		} else if (!strcmp(a, "--pid") && has) {
			char *e;
			pick = strtol(argv[++i], &e, 10);
			if (*e || pick < 0 || !*argv[i]) {
				say_error("--pid takes a process id, got '%s'", argv[i]);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--command") && has) {
			command = argv[++i];
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
	if (compare && allocator) {
		say_error("--compare names the allocators; --allocator is for one run");
		return EXIT_USAGE;
	}
	replay_prep_t rp;
	int rc = replay_prepare(trace, glibc, "replaying", pick, command, &rp);
	if (rc)
		return rc;
	char *exe = rp.exe, *replayer = rp.replayer, *ops = rp.ops;
	hlr_header_t info = rp.info;
	char env[128];
	if (!quiet) {
		char a[32];
		fprintf(stderr,
			"heaplab: replaying %llu calls on %u thread%s, at most %llu blocks live, peak "
			"live %s\n",
			(unsigned long long)info.ops, info.threads, info.threads == 1 ? "" : "s",
			(unsigned long long)info.slots, hl_units_bytes((int64_t)info.peak_live, a, sizeof a));
	}
	snprintf(env, sizeof env, "HEAPLAB_REPLAY=%s", ops);
	char dflt[PATH_MAX];
	if (compare && !out) { /* where the sweep goes, to read it back */
		outdir_default("sweeps/heaplab-replay", dflt, sizeof dflt);
		out = dflt;
	}
	char *args[96];
	int n = 0;
	args[n++] = exe;
	args[n++] = compare ? "sweep" : "run";
	args[n++] = replayer;
	args[n++] = "--env";
	args[n++] = env;
	if (out) {
		args[n++] = "--out";
		args[n++] = (char *)out;
	}
	if (interval) {
		args[n++] = "--interval";
		args[n++] = (char *)interval;
	}
	if (glibc) {
		args[n++] = "--glibc";
		args[n++] = (char *)glibc;
	}
	if (compare) {
		args[n++] = "--allocator";
		args[n++] = (char *)compare;
	} else if (allocator) {
		args[n++] = "--allocator";
		args[n++] = (char *)allocator;
	}
	for (int i = 0; i < ntun; i++) {
		args[n++] = "--tunable";
		args[n++] = (char *)tunables[i];
	}
	if (quiet && !compare)
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
	if (compare && pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		live_table(out);
	return pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
