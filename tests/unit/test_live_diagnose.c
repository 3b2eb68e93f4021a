/*
 * test_live_diagnose.c — `heaplab diagnose` on experiments held at known
 * phases: the parts add up to the process's RSS (VmRSS, read apart) within
 * 1%, and each part is what the experiment made: brk_pin's freed blocks are
 * bin-held, tcache_pin's pin is the tcache bytes, arena_bloat's threads each
 * hold their freed bytes in their own arena. --trim's prediction is within 2%
 * of what RSS then lost, also on a program not written for heaplab (perl).
 * --watch tells a growing program (leak) from one that holds freed memory
 * (retention). Bad input: clear messages, nothing written.
 */
#include <cjson/cJSON.h>
#include <signal.h>
#include <unistd.h>

#include "live.h"

static char heaplab[512];

/* Starts an experiment alone (phase lines on its stderr) with
 * HEAPLAB_STAY_AT=phase, and returns once it has printed that phase: it
 * stays there until killed. */
static pid_t start_at(const char *exp, const char *const *args, const char *phase)
{
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char path[600];
		snprintf(path, sizeof path, "build/experiments/%s", exp);
		const char *argv[16] = {path};
		for (int i = 0; args[i] && i < 14; i++)
			argv[i + 1] = args[i];
		setenv("HEAPLAB_STAY_AT", phase, 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execv(path, (char **)argv);
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	char line[512], want[128];
	snprintf(want, sizeof want, "%s: %s ", exp, phase);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, want, strlen(want)))
			break;
	/* it writes nothing more: it stays in the phase */
	if (f)
		fclose(f);
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int64_t num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
}

/* Runs `heaplab diagnose --json [opts] PID`; the parsed output, or NULL. */
static cJSON *diagnose(pid_t pid, const char *opts)
{
	char cmd[800];
	hl_buf_t out = {0};
	snprintf(cmd, sizeof cmd, "%s diagnose --json %s %d", heaplab, opts, (int)pid);
	int rc = live_sh(cmd, &out);
	cJSON *j = rc == 0 ? cJSON_Parse(out.data ? out.data : "") : NULL;
	if (!j)
		printf("# %s: exit %d\n# %s\n", cmd, rc, out.data ? out.data : "");
	hl_buf_free(&out);
	return j;
}

static int64_t part(const cJSON *j, const char *name)
{
	return num(cJSON_GetObjectItem(j, "parts"), name);
}

/* The parts against VmRSS, read from /proc apart from the diagnosis. */
static void adds_up(const cJSON *j, const char *what)
{
	int64_t sum = 0;
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(j, "parts")) sum += (int64_t)p->valuedouble;
	int64_t vmrss = num(j, "vmrss_bytes"), rem = num(j, "remainder_bytes");
	T_EQ_INT(sum + rem, num(j, "rss_bytes"), "%s: parts + remainder == rss_bytes", what);
	T_OK(vmrss > 0 && (sum > vmrss ? sum - vmrss : vmrss - sum) * 100 <= vmrss,
	     "%s: the parts add up to VmRSS within 1%% (%lld vs %lld)", what, (long long)sum,
	     (long long)vmrss);
}

static bool near(int64_t got, int64_t want, double frac)
{
	double d = (double)got - (double)want;
	return (d < 0 ? -d : d) <= frac * (double)want;
}

static void brk_pin(void)
{
	const char *args[] = {"--blocks=20000", "--hold_ms=0", NULL};
	pid_t pid = start_at("brk_pin", args, "freed");
	cJSON *j = diagnose(pid, "");
	T_OK(j != NULL, "brk_pin freed: diagnosed");
	if (!j)
		return stop(pid);
	adds_up(j, "brk_pin freed");
	/* 20,000 chunks of 4112 bytes, merged into one free chunk */
	T_OK(near(part(j, "bin_held"), 20000 * 4112, 0.01), "the freed blocks are bin-held (%lld)",
	     (long long)part(j, "bin_held"));
	T_OK(part(j, "live_heap") < 4096, "live heap: the pin and little else (%lld)",
	     (long long)part(j, "live_heap"));
	const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "recommendations"), 0);
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "action")), "malloc_trim(0)",
		 "first recommendation: malloc_trim(0)");
	T_OK(near(num(r, "bytes"), 20000 * 4112, 0.01), "with the freed bytes (%lld)",
	     (long long)num(r, "bytes"));
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "verdict"), "kind")),
		 "unknown", "one snapshot: no verdict");
	cJSON_Delete(j);

	/* --trim: the prediction against what RSS lost */
	j = diagnose(pid, "--trim");
	const cJSON *t = cJSON_GetObjectItem(j, "trim");
	int64_t pred = num(t, "predicted_bytes"), got = num(t, "rss_before") - num(t, "rss_after");
	T_OK(t && near(got, pred, 0.02), "--trim: RSS fell by the predicted bytes within 2%% (%lld vs %lld)",
	     (long long)got, (long long)pred);
	cJSON_Delete(j);
	j = diagnose(pid, "");
	T_OK(j && part(j, "bin_held") < 64 * 1024, "after the trim, little is bin-held resident (%lld)",
	     (long long)(j ? part(j, "bin_held") : -1));
	cJSON_Delete(j);
	stop(pid);
}

static void tcache_pin(void)
{
	const char *args[] = {"--blocks=4000", "--pin_size=24", "--hold_ms=0", NULL};
	pid_t pid = start_at("tcache_pin", args, "freed");
	cJSON *j = diagnose(pid, "");
	T_OK(j != NULL, "tcache_pin freed: diagnosed");
	if (!j)
		return stop(pid);
	adds_up(j, "tcache_pin freed");
	T_EQ_INT(part(j, "tcache_held"), 32, "the 24-byte pin: one 32-byte chunk in tcache");
	T_OK(near(part(j, "bin_held"), 4000 * 4112, 0.01), "the blocks below it are bin-held (%lld)",
	     (long long)part(j, "bin_held"));
	cJSON_Delete(j);
	stop(pid);
}

static void arena_bloat(void)
{
	const char *args[] = {"--threads=4", "--bytes=8388608", "--hold_ms=0", NULL};
	pid_t pid = start_at("arena_bloat", args, "freed");
	cJSON *j = diagnose(pid, "");
	T_OK(j != NULL, "arena_bloat freed: diagnosed");
	if (!j)
		return stop(pid);
	adds_up(j, "arena_bloat freed");
	const cJSON *arenas = cJSON_GetObjectItem(j, "arenas"), *a;
	T_EQ_INT(cJSON_GetArraySize(arenas), 5, "5 arenas: main and one per thread");
	T_EQ_INT(num(j, "threads"), 5, "5 threads");
	int holding = 0;
	cJSON_ArrayForEach(a, arenas)
	{
		if (cJSON_IsTrue(cJSON_GetObjectItem(a, "main")))
			continue;
		/* 8 MiB freed below the thread's pin, in its own arena */
		holding += near(num(cJSON_GetObjectItem(a, "parts"), "bin_held"), 8 << 20, 0.02);
	}
	T_EQ_INT(holding, 4, "each thread's arena holds its 8 MiB freed, bin-held");
	bool arena_max = false;
	const cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(j, "recommendations"))
		arena_max |= !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "action")),
				     "MALLOC_ARENA_MAX=2") &&
			     near(num(r, "bytes"), 3 * (8 << 20), 0.05);
	T_OK(arena_max, "MALLOC_ARENA_MAX=2 recommended with three of the four threads' held bytes");
	cJSON_Delete(j);
	stop(pid);
}

/* A program not written for heaplab: perl frees 40,000 strings of 4000
 * bytes below a small one it keeps. */
static void foreign(void)
{
	int fds[2];
	if (pipe(fds))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execlp("perl", "perl", "-e",
		       "$| = 1; my @a = map { 'x' x 4000 } 1 .. 40000; my $pin = 'y' x 100; "
		       "@a = (); undef @a; print \"ready\\n\"; sleep 60;",
		       (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char line[64] = "";
	FILE *f = fdopen(fds[0], "r");
	if (f && !fgets(line, sizeof line, f))
		line[0] = '\0';
	T_OK(!strncmp(line, "ready", 5), "perl freed its strings");
	cJSON *j = diagnose(pid, "");
	T_OK(j != NULL, "perl: diagnosed");
	if (j) {
		adds_up(j, "perl");
		T_OK(part(j, "bin_held") + part(j, "top") > 100 << 20,
		     "perl holds its freed 150 MiB (bin-held %lld, top %lld)",
		     (long long)part(j, "bin_held"), (long long)part(j, "top"));
		cJSON_Delete(j);
	}
	j = diagnose(pid, "--trim");
	const cJSON *t = cJSON_GetObjectItem(j, "trim");
	int64_t pred = num(t, "predicted_bytes"), got = num(t, "rss_before") - num(t, "rss_after");
	T_OK(t && pred > 100 << 20 && near(got, pred, 0.02),
	     "perl --trim: RSS fell by the predicted bytes within 2%% (%lld vs %lld)", (long long)got,
	     (long long)pred);
	cJSON_Delete(j);
	if (f)
		fclose(f);
	stop(pid);
}

static void watching(void)
{
	/* perl keeping 4 MB more every second: live bytes grow */
	pid_t pid = fork();
	if (pid == 0) {
		execlp("perl", "perl", "-e",
		       "my @a; while (1) { push @a, 'x' x 100000 for 1 .. 4; "
		       "select(undef, undef, undef, 0.1) }",
		       (char *)NULL);
		_exit(127);
	}
	usleep(300000);
	cJSON *j = diagnose(pid, "--watch 4");
	const cJSON *v = cJSON_GetObjectItem(j, "verdict");
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(v, "kind")), "leak",
		 "a growing program: leak (%s)", cJSON_GetStringValue(cJSON_GetObjectItem(v, "text")));
	T_OK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "watch")) == 5, "5 samples in 4 s");
	cJSON_Delete(j);
	stop(pid);

	const char *args[] = {"--blocks=20000", "--hold_ms=0", NULL};
	pid = start_at("brk_pin", args, "freed");
	j = diagnose(pid, "--watch 2");
	v = cJSON_GetObjectItem(j, "verdict");
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(v, "kind")), "retention",
		 "brk_pin freed, watched: retention (%s)",
		 cJSON_GetStringValue(cJSON_GetObjectItem(v, "text")));
	cJSON_Delete(j);

	/* --out writes diagnosis.json, and never into a directory in use */
	char dir[] = "/tmp/heaplab-diag-XXXXXX", cmd[800], path[600];
	hl_buf_t out = {0};
	if (mkdtemp(dir)) {
		snprintf(cmd, sizeof cmd, "%s diagnose --out %s/d %d 2>&1", heaplab, dir, (int)pid);
		T_EQ_INT(live_sh(cmd, &out), 0, "--out DIR: exit 0");
		snprintf(path, sizeof path, "%s/d/diagnosis.json", dir);
		hl_buf_t b = {0};
		cJSON *d = hl_file_read(path, &b, NULL) == 0 ? cJSON_Parse(b.data) : NULL;
		T_OK(d && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(d, "format")),
				  "heaplab-diagnosis"),
		     "diagnosis.json written");
		cJSON_Delete(d);
		hl_buf_free(&b);
		hl_buf_free(&out);
		T_EQ_INT(live_sh(cmd, &out), 1, "--out into the same directory again: exit 1");
		T_OK(out.data && strstr(out.data, "nothing was changed"), "and says nothing changed");
		hl_buf_free(&out);
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	/* gdb missing: --trim names the package, the process is left alone */
	snprintf(cmd, sizeof cmd, "PATH=/nonexistent %s diagnose --trim %d 2>&1", heaplab, (int)pid);
	T_EQ_INT(live_sh(cmd, &out), 1, "--trim without gdb: exit 1");
	T_OK(out.data && strstr(out.data, "apt-get install gdb"), "names the package");
	hl_buf_free(&out);
	stop(pid);
}

static void bad_input(void)
{
	char cmd[700];
	hl_buf_t out = {0};
	snprintf(cmd, sizeof cmd, "%s diagnose 999999999 2>&1", heaplab);
	T_EQ_INT(live_sh(cmd, &out), 1, "no such PID: exit 1");
	T_OK(out.data && strstr(out.data, "does not exist"), "says it does not exist");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s diagnose abc 2>&1", heaplab);
	T_EQ_INT(live_sh(cmd, &out), 2, "not a PID: exit 2");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s diagnose 2>&1", heaplab);
	T_EQ_INT(live_sh(cmd, &out), 2, "no PID: exit 2");
	T_OK(out.data && strstr(out.data, "needs a PID"), "says a PID is needed");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s diagnose --help", heaplab);
	T_EQ_INT(live_sh(cmd, &out), 0, "--help: exit 0");
	T_OK(out.data && strstr(out.data, "usage: heaplab diagnose"), "--help prints usage");
	hl_buf_free(&out);
	/* a static binary: no glibc to walk, the parts still add up */
	char line[128];
	pid_t pid = live_spawn("build/tests/helpers/pause_static", NULL, NULL, line, sizeof line, NULL);
	cJSON *j = diagnose(pid, "");
	T_OK(j && cJSON_IsFalse(cJSON_GetObjectItem(j, "walked")) &&
		     strstr(cJSON_GetStringValue(cJSON_GetObjectItem(j, "walk_error")), "no glibc"),
	     "a static binary: not walked, and why");
	if (j)
		adds_up(j, "static binary");
	cJSON_Delete(j);
	stop(pid);
}

int main(void)
{
	const char *build = getenv("HEAPLAB_BUILD");
	snprintf(heaplab, sizeof heaplab, "%s/heaplab", build ? build : "build");
	brk_pin();
	tcache_pin();
	arena_bloat();
	foreign();
	watching();
	bad_input();
	return t_done();
}
