/*
 * cmd_prescribe.c — `heaplab prescribe TRACE`: which fix works for this
 * program, measured. The trace's calls are replayed (heaplab-replay under
 * heaplab run, as heaplab replay does) once as they are and once under
 * each candidate: malloc_trim(0) at the trace's idle points or
 * periodically, glibc tunables (arena_max 1/2/4, a fixed mmap threshold,
 * a fixed trim threshold, no tcache, no top_pad), and jemalloc, tcmalloc
 * and mimalloc with their defaults and with the settings that return
 * memory. Each run's RSS at the trace's peak and at its end, and the
 * replay's wall and CPU time, are set against the baseline's; candidates
 * are ranked by the RSS they save at the end.
 *
 * DIR gets one run directory per candidate, prescribe.json, and the files
 * of a sweep (sweep.json, the RSS bars and the timelines overlaid), which
 * heaplab report renders.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness.h"
#include "trace.h"

typedef struct cand {
	const char *name;    /* short, for the table and the run directory */
	const char *setting; /* what it is, said whole */
	const char *alloc;   /* glibc, jemalloc, tcmalloc, mimalloc */
	const char *tunable; /* a glibc tunable, or NULL */
	const char *env;     /* an environment variable, or NULL */
} cand_t;

static const cand_t cands[] = {
	{"baseline", "glibc as it is", "glibc", NULL, NULL},
	{"trim-idle", "malloc_trim(0) at the trace's idle points (100 ms without a call) and at the end",
	 "glibc", NULL, "HEAPLAB_REPLAY_TRIM=idle"},
	{"trim-every-10000", "malloc_trim(0) every 10,000 calls and at the end", "glibc", NULL,
	 "HEAPLAB_REPLAY_TRIM=10000"},
	{"arena_max=1", "GLIBC_TUNABLES=glibc.malloc.arena_max=1", "glibc", "glibc.malloc.arena_max=1",
	 NULL},
	{"arena_max=2", "GLIBC_TUNABLES=glibc.malloc.arena_max=2", "glibc", "glibc.malloc.arena_max=2",
	 NULL},
	{"arena_max=4", "GLIBC_TUNABLES=glibc.malloc.arena_max=4", "glibc", "glibc.malloc.arena_max=4",
	 NULL},
	{"mmap_threshold=131072", "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072 (no drift)",
	 "glibc", "glibc.malloc.mmap_threshold=131072", NULL},
	{"trim_threshold=131072", "GLIBC_TUNABLES=glibc.malloc.trim_threshold=131072 (no drift)",
	 "glibc", "glibc.malloc.trim_threshold=131072", NULL},
	{"tcache_count=0", "GLIBC_TUNABLES=glibc.malloc.tcache_count=0 (no tcache)", "glibc",
	 "glibc.malloc.tcache_count=0", NULL},
	{"top_pad=0", "GLIBC_TUNABLES=glibc.malloc.top_pad=0", "glibc", "glibc.malloc.top_pad=0",
	 NULL},
	{"jemalloc", "LD_PRELOAD=libjemalloc.so.2", "jemalloc", NULL, NULL},
	{"jemalloc-decay0", "jemalloc with MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0,"
			    "background_thread:true",
	 "jemalloc", NULL, "MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0,background_thread:true"},
	{"tcmalloc", "LD_PRELOAD=libtcmalloc_minimal.so.4", "tcmalloc", NULL, NULL},
	{"tcmalloc-decommit", "tcmalloc with TCMALLOC_AGGRESSIVE_DECOMMIT=true", "tcmalloc", NULL,
	 "TCMALLOC_AGGRESSIVE_DECOMMIT=true"},
	{"mimalloc", "LD_PRELOAD=libmimalloc.so.2", "mimalloc", NULL, NULL},
	{"mimalloc-reset0", "mimalloc with MIMALLOC_RESET_DELAY=0 (2.0's purge delay)", "mimalloc",
	 NULL, "MIMALLOC_RESET_DELAY=0"},
};
#define NCANDS (sizeof cands / sizeof *cands)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: heaplab prescribe TRACE [--json] [--out DIR] [--only NAME,NAME...]\n\n"
		"Which fix gives this program's memory back? Measured, not guessed: the\n"
		"trace's calls (heaplab trace) are replayed as they are and under each\n"
		"candidate, and each run's RSS at the trace's peak and at its end is set\n"
		"against the baseline's, with its wall and CPU time. Candidates, best first\n"
		"by the RSS saved at the end:\n\n");
	for (size_t i = 1; i < NCANDS; i++)
		fprintf(f, "  %-22s %s\n", cands[i].name, cands[i].setting);
	fprintf(f, "\n"
		   "  --out DIR    the runs (one directory each), prescribe.json, sweep.json and\n"
		   "               the plots (default results/prescribe/DATE-TIME-PID)\n"
		   "  --json       print prescribe.json instead of the table\n"
		   "  --only N,N   these candidates only (the baseline always runs)\n"
		   "An allocator that is not installed is skipped, with the package to install.\n");
}

typedef struct result {
	const cand_t *c;
	bool ran, skipped;
	char why[200];
	int64_t peak, end;
	double wall, cpu;
} result_t;

static bool wanted(const char *only, const char *name)
{
	if (!only)
		return true;
	size_t n = strlen(name);
	for (const char *p = only; *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && !strncmp(p, name, n))
			return true;
		p += k + (p[k] == ',');
	}
	return false;
}

static int run_one(const char *exe, const char *replayer, const char *ops_env, const cand_t *c,
		   const char *dir)
{
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)exe;
	argv[n++] = "run";
	argv[n++] = (char *)replayer;
	argv[n++] = "--quiet";
	argv[n++] = "--interval";
	argv[n++] = "20";
	argv[n++] = "--out";
	argv[n++] = (char *)dir;
	argv[n++] = "--env";
	argv[n++] = (char *)ops_env;
	if (strcmp(c->alloc, "glibc")) {
		argv[n++] = "--allocator";
		argv[n++] = (char *)c->alloc;
	}
	if (c->tunable) {
		argv[n++] = "--tunable";
		argv[n++] = (char *)c->tunable;
	}
	if (c->env) {
		argv[n++] = "--env";
		argv[n++] = (char *)c->env;
	}
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 1);
		execv(exe, argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static double obs(const hl_phase_t *p, const char *key)
{
	double v = -1;
	return p && hl_phase_observation(p, key, &v) ? v : -1;
}

static cJSON *result_json(const result_t *r, const result_t *base)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", r->c->name);
	cJSON_AddStringToObject(o, "setting", r->c->setting);
	if (!r->ran) {
		cJSON_AddStringToObject(o, "skipped", r->why);
		return o;
	}
	cJSON_AddNumberToObject(o, "rss_peak_bytes", (double)r->peak);
	cJSON_AddNumberToObject(o, "rss_end_bytes", (double)r->end);
	cJSON_AddNumberToObject(o, "saving_bytes", (double)(base->end - r->end));
	cJSON_AddNumberToObject(o, "peak_saving_bytes", (double)(base->peak - r->peak));
	cJSON_AddNumberToObject(o, "wall_s", r->wall);
	cJSON_AddNumberToObject(o, "cpu_s", r->cpu);
	cJSON_AddNumberToObject(o, "wall_ratio", base->wall > 0 ? r->wall / base->wall : 0);
	cJSON_AddNumberToObject(o, "cpu_ratio", base->cpu > 0 ? r->cpu / base->cpu : 0);
	return o;
}

static int by_saving(const void *a, const void *b)
{
	const result_t *x = *(const result_t *const *)a, *y = *(const result_t *const *)b;
	if (x->ran != y->ran)
		return x->ran ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

/* One of prescribe's files: said when it cannot be written. */
static int out_file(const char *dir, const char *name, const void *data, size_t len, hl_error_t *err)
{
	int rc = hl_file_write(dir, name, data, len, false, err);
	if (rc)
		say_error("%s", err->msg);
	return rc ? -1 : 0;
}

int cmd_prescribe(int argc, char **argv)
{
	const char *trace = NULL, *out = NULL, *only = NULL;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--out") && has) {
			out = argv[++i];
		} else if (!strcmp(a, "--only") && has) {
			only = argv[++i];
		} else if (a[0] == '-') {
			say_error("unknown option %s (heaplab prescribe --help)", a);
			return EXIT_USAGE;
		} else if (!trace) {
			trace = a;
		} else {
			say_error("one trace at a time, got '%s' too", a);
			return EXIT_USAGE;
		}
	}
	if (!trace) {
		say_error("prescribe needs a trace: heaplab trace --out T -- PROGRAM, then heaplab "
			  "prescribe T");
		return EXIT_USAGE;
	}
	for (const char *p = only; p && *p;) {
		size_t k = strcspn(p, ",");
		bool known = false;
		for (size_t i = 0; i < NCANDS; i++)
			known |= strlen(cands[i].name) == k && !strncmp(cands[i].name, p, k);
		if (!known) {
			say_error("--only: no candidate '%.*s' (heaplab prescribe --help lists them)",
				  (int)k, p);
			return EXIT_USAGE;
		}
		p += k + (p[k] == ',');
	}
	replay_prep_t rp;
	int rc = replay_prepare(trace, NULL, "prescribing from", -1, NULL, &rp);
	if (rc)
		return rc;
	char out_dflt[PATH_MAX], ops_env[128];
	if (!out) {
		outdir_default("prescribe", out_dflt, sizeof out_dflt);
		out = out_dflt;
	}
	hl_error_t err = {0};
	int fd = outdir_claim(out, "prescribe.json", &err);
	if (fd < 0) {
		say_error("%s", err.msg);
		replay_cleanup(&rp);
		return EXIT_USAGE;
	}
	close(fd);
	const char *exe = rp.exe, *replayer = rp.replayer;
	const hlr_header_t info = rp.info;
	const bool truncated = rp.truncated;
	snprintf(ops_env, sizeof ops_env, "HEAPLAB_REPLAY=%s", rp.ops);
	result_t res[NCANDS];
	hl_sweep_config_t cfg[NCANDS];
	size_t ncfg = 0, todo = 0, done = 0;
	memset(res, 0, sizeof res);
	for (size_t i = 0; i < NCANDS; i++)
		todo += i == 0 || wanted(only, cands[i].name);
	for (size_t i = 0; i < NCANDS; i++) {
		result_t *r = &res[i];
		r->c = &cands[i];
		if (i && !wanted(only, cands[i].name)) {
			r->skipped = true;
			snprintf(r->why, sizeof r->why, "not asked for (--only)");
			continue;
		}
		char lib[PATH_MAX];
		const allocator_t *al = allocator_find(cands[i].alloc, lib, sizeof lib, &err);
		if (!al) {
			r->skipped = true;
			snprintf(r->why, sizeof r->why, "%s", err.msg);
			fprintf(stderr, "heaplab: skipping %s: %s\n", cands[i].name, err.msg);
			done++;
			continue;
		}
		hl_sweep_config_t *c = &cfg[ncfg];
		memset(c, 0, sizeof *c);
		snprintf(c->label, sizeof c->label, "%s", cands[i].name);
		snprintf(c->dir, sizeof c->dir, "%02zu-%s", ncfg + 1, cands[i].name);
		for (char *s = c->dir; *s; s++)
			if (*s == '=')
				*s = '-';
		snprintf(c->allocator, sizeof c->allocator, "%s", cands[i].alloc);
		snprintf(c->tunables, sizeof c->tunables, "%s", cands[i].tunable ? cands[i].tunable : "");
		char rdir[PATH_MAX];
		snprintf(rdir, sizeof rdir, "%s/%s", out, c->dir);
		fprintf(stderr, "heaplab: [%zu/%zu] %s\n", ++done, todo, cands[i].name);
		int st = run_one(exe, replayer, ops_env, &cands[i], rdir);
		hl_run_init(&c->run);
		c->loaded = hl_run_load(rdir, &c->run, NULL) == 0;
		ncfg++;
		const hl_phase_t *pk = c->loaded ? hl_run_phase(&c->run, "peak") : NULL;
		const hl_phase_t *en = c->loaded ? hl_run_phase(&c->run, "end") : NULL;
		if (st != 0 || !pk || !en) {
			snprintf(r->why, sizeof r->why, "the replay did not complete (status %d; see %s)",
				 st, rdir);
			fprintf(stderr, "heaplab: %s: %s\n", cands[i].name, r->why);
			continue;
		}
		r->ran = true;
		r->peak = pk->rss_bytes;
		r->end = en->rss_bytes;
		r->wall = obs(en, "replay_wall_s");
		r->cpu = obs(en, "replay_cpu_s");
	}
	replay_cleanup(&rp);

	const result_t *base = &res[0];
	if (!base->ran) {
		say_error("the baseline replay did not complete: nothing to compare (%s)", base->why);
		for (size_t i = 0; i < ncfg; i++)
			hl_run_free(&cfg[i].run);
		return 1;
	}
	const result_t *order[NCANDS];
	size_t no = 0;
	for (size_t i = 1; i < NCANDS; i++)
		order[no++] = &res[i];
	qsort(order, no, sizeof *order, by_saving);

	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "format", "heaplab-prescribe");
	cJSON_AddNumberToObject(j, "version", 1);
	cJSON_AddStringToObject(j, "trace", trace);
	cJSON_AddBoolToObject(j, "trace_complete", !truncated);
	cJSON_AddNumberToObject(j, "calls", (double)info.ops);
	cJSON *bj = cJSON_AddObjectToObject(j, "baseline");
	cJSON_AddNumberToObject(bj, "rss_peak_bytes", (double)base->peak);
	cJSON_AddNumberToObject(bj, "rss_end_bytes", (double)base->end);
	cJSON_AddNumberToObject(bj, "wall_s", base->wall);
	cJSON_AddNumberToObject(bj, "cpu_s", base->cpu);
	cJSON *ca = cJSON_AddArrayToObject(j, "candidates");
	for (size_t i = 0; i < no; i++)
		if (!order[i]->skipped || strcmp(order[i]->why, "not asked for (--only)"))
			cJSON_AddItemToArray(ca, result_json(order[i], base));
	char *text = cJSON_Print(j);
	hl_error_t werr = {0};
	int wrc = text ? out_file(out, "prescribe.json", text, strlen(text), &werr) : -1;
	hl_buf_t b = {0};
	if (hl_sweep_to_json("heaplab prescribe", cfg, ncfg, &b, &err) == 0)
		wrc |= out_file(out, "sweep.json", b.data, b.len, &werr);
	if (hl_sweep_tsv(cfg, ncfg, &b) == 0)
		wrc |= out_file(out, "sweep.tsv", b.data, b.len, &werr);
	if (hl_sweep_rss_matrix(cfg, ncfg, &b) == 0)
		wrc |= out_file(out, "sweep-rss.tsv", b.data, b.len, &werr);
	bool plotted = false;
	if (hl_plot_sweep_script("heaplab prescribe", cfg, ncfg, &b, &err) == 0 &&
	    out_file(out, "sweep.gp", b.data, b.len, &werr) == 0)
		plotted = plot_gnuplot(out, "sweep.gp", true) == 0;
	hl_buf_free(&b);
	if (json) {
		printf("%s\n", text ? text : "null");
	} else {
		char a1[32], a2[32], a3[32];
		printf("baseline (glibc as it is): RSS %s at the trace's peak, %s at its end, replay "
		       "%.2f s\n\n",
		       hl_units_bytes(base->peak, a1, sizeof a1), hl_units_bytes(base->end, a2, sizeof a2),
		       base->wall);
		printf("%-22s %12s %12s %12s %7s %7s\n", "candidate", "RSS at peak", "RSS at end",
		       "saves", "wall", "cpu");
		for (size_t i = 0; i < no; i++) {
			const result_t *r = order[i];
			if (!r->ran) {
				if (strcmp(r->why, "not asked for (--only)"))
					printf("%-22s skipped: %s\n", r->c->name, r->why);
				continue;
			}
			int64_t save = base->end - r->end;
			printf("%-22s %12s %12s %12s %6.2fx %6.2fx\n", r->c->name,
			       hl_units_bytes(r->peak, a1, sizeof a1), hl_units_bytes(r->end, a2, sizeof a2),
			       save >= 0 ? hl_units_bytes(save, a3, sizeof a3) : "-",
			       base->wall > 0 ? r->wall / base->wall : 0, base->cpu > 0 ? r->cpu / base->cpu : 0);
		}
		if (truncated)
			printf("\nnote: the trace was cut short; its valid part was replayed\n");
		printf("\n%s%s%sprescribe: %s\n", plotted ? "plot: " : "", plotted ? out : "",
		       plotted ? "/sweep-timeline.png (RSS over each replay)\n" : "", out);
	}
	free(text);
	cJSON_Delete(j);
	for (size_t i = 0; i < ncfg; i++)
		hl_run_free(&cfg[i].run);
	return wrc ? 1 : 0;
}
