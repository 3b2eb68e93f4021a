/*
 * live.h — for tests that run an experiment under the real harness and read
 * what it recorded: live_run("brk_pin", "--pin=0", &run) runs
 * `heaplab run brk_pin --quiet --out TMP -- --hold_ms=0 --pin=0` and loads
 * TMP/run.json. The harness is $HEAPLAB_BUILD/heaplab (tests/run sets it).
 */
#ifndef HL_LIVE_H
#define HL_LIVE_H

#include <cjson/cJSON.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heaplab.h"
#include "t.h"

static char live_tmp[128] __attribute__((unused));
static int live_count __attribute__((unused));

static inline void live_cleanup(void)
{
	char cmd[200];
	if (!live_tmp[0])
		return;
	snprintf(cmd, sizeof cmd, "rm -rf %s", live_tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", live_tmp);
}

static inline const char *live_heaplab(void)
{
	static char path[512];
	const char *build = getenv("HEAPLAB_BUILD");
	snprintf(path, sizeof path, "%s/heaplab", build ? build : "build");
	return path;
}

/* Runs a shell command; its stdout+stderr into out (may be NULL). */
static inline int live_sh(const char *cmd, hl_buf_t *out)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
		if (out)
			hl_buf_append(out, chunk, n);
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Runs a shell command and parses what it prints as JSON: NULL when it
 * is not JSON; *rc (may be NULL) gets its exit status. */
static inline cJSON *live_sh_json(const char *cmd, int *rc)
{
	hl_buf_t out = {0};
	int r = live_sh(cmd, &out);
	if (rc)
		*rc = r;
	cJSON *j = out.len ? cJSON_ParseWithLength(out.data, out.len) : NULL;
	hl_buf_free(&out);
	return j;
}

/* Starts argv[0] (looked up in PATH) with argv, env (NAME=VALUE, or NULL)
 * added and, when uid is not 0, as that user, its stdout on a pipe, which
 * *out reads (NULL: the pipe is closed after the first line); its first
 * line goes into line. */
static inline pid_t live_spawnv(char *const *argv, const char *env, uid_t uid, char *line,
				size_t linesz, FILE **out)
{
	int fds[2];
	line[0] = '\0';
	if (pipe(fds))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (env)
			putenv((char *)env);
		if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	if (f && !fgets(line, (int)linesz, f))
		line[0] = '\0';
	if (out)
		*out = f;
	else if (f)
		fclose(f);
	return pid;
}

/* live_spawnv of prog [arg [arg2]]. */
static inline pid_t live_spawn(const char *prog, const char *arg, const char *arg2, char *line,
			       size_t linesz, FILE **out)
{
	char *argv[] = {(char *)prog, (char *)arg, (char *)arg2, NULL};
	return live_spawnv(argv, NULL, 0, line, linesz, out);
}

/* Runs EXP with the harness options opts and the experiment's args; loads
 * the record into run and the printed output into out (may be NULL). The
 * run directory is left in dir (at least 256 bytes). Returns the exit code. */
static inline int live_run_full(const char *exp, const char *opts, const char *args, hl_run_t *run,
			 hl_buf_t *out, char *dir)
{
	if (!live_tmp[0]) {
		snprintf(live_tmp, sizeof live_tmp, "/tmp/heaplab-live-XXXXXX");
		if (!mkdtemp(live_tmp)) {
			printf("Bail out! mkdtemp\n");
			exit(1);
		}
		atexit(live_cleanup);
	}
	snprintf(dir, 256, "%s/%s-%d", live_tmp, exp, ++live_count);
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "%s run %s %s --out %s -- %s 2>&1", live_heaplab(), exp,
		 opts ? opts : "", dir, args ? args : "");
	int rc = live_sh(cmd, out);
	hl_error_t err = {0};
	hl_run_init(run);
	if (hl_run_load(dir, run, &err) != 0)
		printf("# %s: %s\n", cmd, err.msg);
	return rc;
}

/* The usual case: quiet, no phase holds, must succeed. */
static inline void live_run(const char *exp, const char *args, hl_run_t *run)
{
	char dir[256], all[1024];
	snprintf(all, sizeof all, "--hold_ms=0 %s", args ? args : "");
	int rc = live_run_full(exp, "--quiet", all, run, NULL, dir);
	T_EQ_INT(rc, 0, "heaplab run exits 0");
	if (rc)
		printf("#   %s -- %s\n", exp, all);
}

/* A phase that must exist: a test cannot go on without it. */
static inline const hl_phase_t *live_phase(const hl_run_t *run, const char *name)
{
	const hl_phase_t *p = hl_run_phase(run, name);
	if (!p) {
		printf("Bail out! %s: no phase '%s' (status: %s)\n", run->experiment, name,
		       run->status);
		exit(1);
	}
	return p;
}

/* An observation that must exist. */
static inline double live_obs(const hl_phase_t *p, const char *key)
{
	double v;
	if (!hl_phase_observation(p, key, &v)) {
		printf("Bail out! phase '%s': no observation '%s'\n", p->name, key);
		exit(1);
	}
	return v;
}

#define MiB (1024LL * 1024)

typedef struct live_shape {
	pid_t pid;
	FILE *out;
	hl_mallinfo_t mi;
} live_shape_t;

/* Starts tests/helpers/heap_shape (argv, as live_spawnv takes it, env
 * NAME=VALUE or NULL); waits for "ready PID" and its mallinfo2 line. */
static inline bool live_shape_start_env(live_shape_t *t, char *const *argv, const char *env)
{
	char line[256];
	memset(t, 0, sizeof *t);
	t->pid = live_spawnv(argv, env, 0, line, sizeof line, &t->out);
	if (t->pid <= 0 || strncmp(line, "ready", 5) || !t->out ||
	    !fgets(line, sizeof line, t->out))
		return false;
	long long v[8];
	if (sscanf(line, "mallinfo2 %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		return false;
	t->mi = (hl_mallinfo_t){.valid = true, .arena = v[0], .ordblks = v[1], .smblks = v[2],
				.hblks = v[3], .hblkhd = v[4], .uordblks = v[5], .fordblks = v[6],
				.keepcost = v[7]};
	return true;
}

static inline bool live_shape_start(live_shape_t *t, char *const *argv)
{
	return live_shape_start_env(t, argv, NULL);
}

static inline void live_shape_stop(live_shape_t *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	if (t->out)
		fclose(t->out);
	t->pid = 0;
	t->out = NULL;
}


#endif
