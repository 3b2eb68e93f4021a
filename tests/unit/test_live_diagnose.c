/*
 * test_live_diagnose.c — `heaplab diagnose` on experiments held at known
 * phases: the parts add up to the process's RSS (VmRSS, read apart) within
 * 1%, and each part is what the experiment made: brk_pin's freed blocks are
 * bin-held, tcache_pin's pin is the tcache bytes, arena_bloat's threads each
 * hold their freed bytes in their own arena. --trim's prediction is within 2%
 * of what RSS then lost, also on a program not written for heaplab (perl).
 * --watch tells a growing program (leak) from one that holds freed memory
 * (retention), and a process that exits while watched ends the watch
 * cleanly. mmap_threshold_drift's drifted threshold is recommended back to
 * 128 KiB with the bytes its freed blocks hold. The glibc version is the
 * target's own, read from the libc file it maps (a patched copy proves it).
 * The text output's percentages are the JSON's bytes over RSS. Bad input
 * and permissions: clear messages naming what it takes, nothing written.
 */
#include <cjson/cJSON.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <grp.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
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

/* The first line of s, for a test's description. */
static const char *first_line(const char *s)
{
	static char line[300];
	snprintf(line, sizeof line, "%s", s ? s : "");
	line[strcspn(line, "\n")] = '\0';
	return line;
}

/* The recommendation whose action is action, or NULL. */
static const cJSON *rec(const cJSON *j, const char *action)
{
	const cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(j, "recommendations"))
	{
		const char *a = cJSON_GetStringValue(cJSON_GetObjectItem(r, "action"));
		if (a && !strcmp(a, action))
			return r;
	}
	return NULL;
}

static const char *why(const cJSON *r)
{
	const char *w = cJSON_GetStringValue(cJSON_GetObjectItem(r, "why"));
	return w ? w : "";
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts perl running code (which prints "ready" when it is) with env
 * (NAME=VALUE, or NULL) added and, when uid is not 0, as that user; returns
 * once it is ready. */
static pid_t perl_ready(const char *code, const char *env, uid_t uid)
{
	char line[64];
	char *argv[] = {"perl", "-e", (char *)code, NULL};
	pid_t pid = live_spawnv(argv, env, uid, line, sizeof line, NULL);
	T_OK(!strncmp(line, "ready", 5), "perl started and ready");
	return pid;
}

/* what brk_pin frees by default: 262,144 chunks of 4096 + 16 bytes */
#define BRK_PIN_FREED (262144LL * 4112)

static void brk_pin(void)
{
	/* the default: 262,144 blocks of 4 KiB, 1 GiB freed below the pin */
	const char *args[] = {"--hold_ms=0", NULL};
	pid_t pid = start_at("brk_pin", args, "freed");
	cJSON *j = diagnose(pid, "");
	T_OK(j != NULL, "brk_pin freed: diagnosed");
	if (!j)
		return stop(pid);
	adds_up(j, "brk_pin freed");
	/* 262,144 chunks of 4112 bytes, merged into one free chunk */
	T_OK(near(part(j, "bin_held"), BRK_PIN_FREED, 0.01), "the freed blocks are bin-held (%lld)",
	     (long long)part(j, "bin_held"));
	T_OK(part(j, "live_heap") < 4096, "live heap: the pin and little else (%lld)",
	     (long long)part(j, "live_heap"));
	const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "recommendations"), 0);
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "action")), "malloc_trim(0)",
		 "first recommendation: malloc_trim(0)");
	T_OK(near(num(r, "bytes"), BRK_PIN_FREED, 0.01), "with the freed bytes (%lld)",
	     (long long)num(r, "bytes"));
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "verdict"), "kind")),
		 "unknown", "one snapshot: no verdict");
	/* the threshold never moved: nothing to say about it */
	T_EQ_INT(num(j, "mmap_threshold"), 131072, "brk_pin: mmap threshold at its default");
	T_OK(!rec(j, "M_MMAP_THRESHOLD=131072"), "so no M_MMAP_THRESHOLD recommendation");
	/* another allocator: unknown from a snapshot, with how to measure it */
	r = rec(j, "another allocator");
	T_OK(r && cJSON_IsNull(cJSON_GetObjectItem(r, "bytes")),
	     "another allocator: its bytes unknown (null), not a guess");
	const char *measure = cJSON_GetStringValue(cJSON_GetObjectItem(r, "measure"));
	T_OK(measure && strstr(measure, "heaplab trace --out T -- build/experiments/brk_pin --hold_ms=0;") &&
		     strstr(measure, "heaplab prescribe T"),
	     "and the exact command that measures it, the process's own command line (%s)", measure ? measure : "none");
	/* it comes after every proven figure */
	const cJSON *last = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "recommendations"),
					       cJSON_GetArraySize(cJSON_GetObjectItem(j, "recommendations")) - 1);
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(last, "action")), "another allocator",
		 "the unknown one is ranked last");
	/* the pin: the 2-byte block's 32-byte chunk right below top */
	const cJSON *pin = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "pins"), 0);
	T_OK(pin && num(pin, "arena") == 0 && num(pin, "chunk_bytes") == 32 && num(pin, "chunks") == 1 &&
		     !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(pin, "class")), "in-use") &&
		     near(num(pin, "gives_back_bytes"), BRK_PIN_FREED, 0.01),
	     "pin named: arena 0, one in-use chunk of 32 B at %s; freed, %lld B would go back",
	     pin ? cJSON_GetStringValue(cJSON_GetObjectItem(pin, "address")) : "?",
	     (long long)(pin ? num(pin, "gives_back_bytes") : -1));
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "glibc")), gnu_get_libc_version(),
		 "glibc: the target's version, this machine's");
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
	/* the arenas that would not exist hold three threads' 8 MiB, but that
	 * bounds the saving only: these threads allocate at once, and with
	 * arena_max=2 their blocks and pins interleave in the shared arena */
	const cJSON *r = rec(j, "MALLOC_ARENA_MAX=2");
	const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(r, "measure"));
	T_OK(r && cJSON_IsNull(cJSON_GetObjectItem(r, "bytes")) && strstr(why(r), "at most") &&
		     m && strstr(m, "heaplab prescribe T --only arena_max"),
	     "MALLOC_ARENA_MAX=2: its saving unknown (a bound in the text), measured by "
	     "prescribe");
	int64_t rss0 = num(j, "rss_bytes");
	cJSON_Delete(j);
	stop(pid);
	setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2", 1);
	pid = start_at("arena_bloat", args, "freed");
	unsetenv("GLIBC_TUNABLES");
	j = diagnose(pid, "");
	int64_t rss2 = j ? num(j, "rss_bytes") : -1;
	T_OK(rss2 > 0 && llabs(rss0 - rss2) < rss0 / 10,
	     "and rightly: applied, arena_max=2 leaves RSS within 10%% (%lld vs %lld), not 24 MiB "
	     "lower",
	     (long long)rss2, (long long)rss0);
	T_OK(j && !rec(j, "MALLOC_ARENA_MAX=2"), "with 2 arenas no MALLOC_ARENA_MAX recommendation");
	cJSON_Delete(j);
	stop(pid);
}

/* A program not written for heaplab: perl frees 40,000 strings of 4000
 * bytes below a small one it keeps. */
static void foreign(void)
{
	pid_t pid = perl_ready("$| = 1; my @a = map { 'x' x 4000 } 1 .. 40000; my $pin = 'y' x 100; "
			       "@a = (); undef @a; print \"ready\\n\"; sleep 60;",
			       NULL, 0);
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
	stop(pid);
}

/* Memory freed during the watch and held: live falls, RSS stays. */
static void falling(void)
{
	pid_t pid = perl_ready("$| = 1; my @a = map { 'x' x 4000 } 1 .. 40000; my $pin = 'y' x 100; "
			       "print \"ready\\n\"; select(undef, undef, undef, 1.5); @a = (); undef @a; "
			       "sleep 60;",
			       NULL, 0);
	cJSON *j = diagnose(pid, "--watch 3");
	const cJSON *v = cJSON_GetObjectItem(j, "verdict");
	const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(v, "text"));
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(v, "kind")), "retention",
		 "live bytes freed during the watch, RSS held: retention (%s)", text ? text : "");
	T_OK(text && strstr(text, "fell") && strstr(text, "(-"), "says live bytes fell, with the sign");
	cJSON_Delete(j);
	stop(pid);
}

/* Mmapped chunks side by side: the kernel merges them into one mapping,
 * which the region classes split; the parts still add up. */
static void merged_mmaps(void)
{
	pid_t pid = perl_ready("$| = 1; my @a = map { 'x' x (1 << 20) } 1 .. 20; print \"ready\\n\"; "
			       "sleep 60;",
			       NULL, 0);
	cJSON *j = diagnose(pid, "");
	T_OK(j != NULL, "20 mmapped chunks of 1 MiB: diagnosed");
	if (j) {
		adds_up(j, "20 mmapped chunks");
		T_OK(part(j, "mmapped_chunks") >= 20 << 20,
		     "the chunks' pages are mmapped_chunks (%lld)", (long long)part(j, "mmapped_chunks"));
	}
	cJSON_Delete(j);
	stop(pid);
}

/* mmap_threshold_drift frees one mmapped block of --size bytes, which
 * raises the threshold to that chunk's size; the --blocks blocks of --size
 * after it then come from the brk heap, and a pin after the last keeps them
 * there when they are freed. */
static void mmap_drift(void)
{
	const char *args[] = {"--size=524288", "--blocks=48", "--hold_ms=0", NULL};
	/* drifted: the blocks are still in use, nothing big is free */
	/* Each malloc(524288) is a chunk of the request plus its 8-byte size
	 * field, rounded up to 16: 524,304 bytes, between the default 128 KiB
	 * and the drifted threshold: with the threshold fixed each would have
	 * been mmapped and unmapped by its free. */
	const int64_t held = 48 * (524288 + 16);
	pid_t pid = start_at("mmap_threshold_drift", args, "drifted");
	cJSON *j = diagnose(pid, "");
	T_OK(j != NULL, "mmap_threshold_drift drifted: diagnosed");
	stop(pid);
	int64_t predicted = -1;
	if (j) {
		T_OK(num(j, "mmap_threshold") > 524288,
		     "drifted: mmap_threshold above the 512 KiB blocks (%lld)",
		     (long long)num(j, "mmap_threshold"));
		const cJSON *r = rec(j, "M_MMAP_THRESHOLD=131072");
		predicted = r ? num(r, "bytes") : -1;
		T_OK(r && near(predicted, held, 0.02) && strstr(why(r), "cannot be seen in one snapshot"),
		     "drifted: M_MMAP_THRESHOLD=131072 with the 48 chunks in use between 128 KiB and "
		     "the threshold (%lld vs %lld), saying past frees cannot be seen",
		     (long long)predicted, (long long)held);
		cJSON_Delete(j);
	}
	/* applied: the same program with the threshold fixed, at 'freed', has
	 * given back at least 90% of the prediction against the default */
	int64_t rss_default = -1, rss_fixed = -1;
	for (int fixed = 0; fixed < 2; fixed++) {
		if (fixed)
			setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072", 1);
		pid_t q = start_at("mmap_threshold_drift", args, "freed");
		unsetenv("GLIBC_TUNABLES");
		hl_statm_t sm;
		hl_buf_t sb = {0};
		if (hl_procfs_read(q, "statm", &sb, NULL) == 0 && hl_statm_parse(sb.data, sb.len, sysconf(_SC_PAGESIZE), &sm, NULL) == 0)
			*(fixed ? &rss_fixed : &rss_default) = sm.rss_bytes;
		hl_buf_free(&sb);
		stop(q);
	}
	T_OK(predicted > 0 && rss_default - rss_fixed >= predicted * 9 / 10,
	     "applied (glibc.malloc.mmap_threshold=131072): RSS at 'freed' %lld lower than by "
	     "default, at least 90%% of the %lld predicted",
	     (long long)(rss_default - rss_fixed), (long long)predicted);

	pid = start_at("mmap_threshold_drift", args, "freed");
	j = diagnose(pid, "");
	T_OK(j != NULL, "mmap_threshold_drift freed: diagnosed");
	if (!j)
		return stop(pid);
	adds_up(j, "mmap_threshold_drift freed");
	T_OK(num(j, "mmap_threshold") > 131072, "freed: mmap_threshold drifted above 128 KiB (%lld)",
	     (long long)num(j, "mmap_threshold"));
	/* The 48 chunks lie end to end in the brk heap, each touched on every
	 * page, and freed in order they merge into one free chunk of 48 x
	 * 524,304 = 25,166,592 bytes, all resident: the pin after the last
	 * keeps it out of top. What they were asked as cannot be seen in a free
	 * chunk: no M_MMAP_THRESHOLD figure now, malloc_trim's instead. */
	T_OK(!rec(j, "M_MMAP_THRESHOLD=131072"),
	     "freed: no M_MMAP_THRESHOLD figure from a free chunk's size (past frees are not "
	     "seen)");
	T_OK(near(part(j, "bin_held"), held, 0.02), "and they are bin-held (%lld)",
	     (long long)part(j, "bin_held"));
	cJSON_Delete(j);
	stop(pid);
}

/* The glibc version: read from the file the target maps, so that it is the
 * target's, not ours; "unknown" is tested on a static binary (bad_input). */
static void glibc_version(void)
{
	char dir[] = "/tmp/heaplab-glibc-XXXXXX", path[600], got[32];
	if (!mkdtemp(dir))
		return;
	/* the banner's forms: since 2.26, and before with its ", by ..." */
#define BANNER(text, want) {text, sizeof text, want}
	static const struct {
		const char *text;
		size_t len;
		const char *want;
	} banners[] = {
		BANNER("\x7f" "ELF\0junk\0GNU C Library (Test GLIBC 9.87-1) stable release version "
		       "9.87.\nCopyright (C) 2022",
		       "9.87"),
		BANNER("GNU C Library (Ubuntu EGLIBC 2.19-0ubuntu6) stable release version 2.19, by "
		       "Roland McGrath et al.\n",
		       "2.19"),
		/* two strings, not one banner */
		BANNER("GNU C Library\0 and elsewhere: release version 1.2.\n", NULL),
		BANNER("nothing of the kind", NULL),
	};
#undef BANNER
	for (size_t i = 0; i < sizeof banners / sizeof *banners; i++) {
		snprintf(path, sizeof path, "%s/banner%zu", dir, i);
		FILE *f = fopen(path, "wb");
		if (f) {
			fwrite(banners[i].text, 1, banners[i].len, f);
			fclose(f);
		}
		snprintf(got, sizeof got, "-");
		int rc = hl_glibc_file_version(path, got, sizeof got);
		if (banners[i].want)
			T_OK(rc == 0 && !strcmp(got, banners[i].want), "banner %zu: %s (got %s)", i,
			     banners[i].want, got);
		else
			T_OK(rc < 0 && !strcmp(got, "-"), "banner %zu: no version in it", i);
	}

	/* our own libc, read as a file, says what it says when called */
	Dl_info info;
	hl_buf_t libc = {0};
	const char *ours = dladdr((void *)gnu_get_libc_version, &info) ? info.dli_fname : NULL;
	T_OK(ours && hl_glibc_file_version(ours, got, sizeof got) == 0 &&
		     !strcmp(got, gnu_get_libc_version()),
	     "our libc's banner (%s): %s, as gnu_get_libc_version() says", ours ? ours : "?", got);

	/* a copy whose banner says another version, mapped by perl: the
	 * diagnosis reads the target's file, not ours; and once the file is
	 * deleted (as by an upgrade), it reads the mapping itself */
	char want[32], *v = NULL;
	snprintf(want, sizeof want, "%s", gnu_get_libc_version());
	for (char *c = want; *c; c++)
		*c = *c == '.' ? '.' : '9';
	if (ours && hl_file_read(ours, &libc, NULL) == 0) {
		char needle[64];
		snprintf(needle, sizeof needle, "release version %s.", gnu_get_libc_version());
		v = memmem(libc.data, libc.len, needle, strlen(needle));
	}
	snprintf(path, sizeof path, "%s/libc.so.6", dir);
	int fd = v ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755) : -1;
	if (fd >= 0) {
		memcpy(v + strlen("release version "), want, strlen(want));
		T_OK(write(fd, libc.data, libc.len) == (ssize_t)libc.len, "patched copy of libc written");
		close(fd);
		char env[700];
		snprintf(env, sizeof env, "LD_LIBRARY_PATH=%s", dir);
		pid_t pid = perl_ready("$| = 1; print \"ready\\n\"; sleep 60;", env, 0);
		cJSON *j = diagnose(pid, "");
		T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "glibc")), want,
			 "glibc: the version in the target's libc file, not ours");
		cJSON_Delete(j);
		unlink(path);
		j = diagnose(pid, "");
		if (geteuid() == 0)
			T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "glibc")), want,
				 "its file deleted: read through /proc/PID/map_files");
		else
			printf("# not root: /proc/PID/map_files cannot be read, skipped\n");
		cJSON_Delete(j);
		stop(pid);
	} else {
		T_OK(false, "a copy of libc with its banner patched (%s)", path);
	}
	hl_buf_free(&libc);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

/* Text and JSON from one diagnosis (--out writes the JSON of the snapshot
 * the text shows): each part's line carries the JSON's bytes over
 * rss_bytes, as a percentage rounded to one decimal. */
static void text_matches_json(pid_t pid)
{
	char dir[] = "/tmp/heaplab-diag-XXXXXX", cmd[800], path[600];
	if (!mkdtemp(dir))
		return;
	hl_buf_t out = {0}, b = {0};
	snprintf(cmd, sizeof cmd, "%s diagnose --out %s/d %d", heaplab, dir, (int)pid);
	T_EQ_INT(live_sh(cmd, &out), 0, "text with --out: exit 0");
	snprintf(path, sizeof path, "%s/d/diagnosis.json", dir);
	cJSON *j = hl_file_read(path, &b, NULL) == 0 ? cJSON_Parse(b.data) : NULL;
	const char *text = out.data ? out.data : "";
	const char *parts = strstr(text, "by part:\n");
	double rss = (double)num(j, "rss_bytes");
	int lines = 0, right = 0, listed = 0;
	for (const char *l = parts ? strchr(parts, '\n') + 1 : NULL; l && !strncmp(l, "  ", 2);
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char name[64];
		double pct;
		/* "  bin_held             64.0 MiB   97.7%" */
		const char *e = strchr(l, '\n'), *pc = e ? e - 1 : NULL;
		while (pc && pc > l && pc[-1] != ' ')
			pc--;
		if (!pc || sscanf(l, "%63s", name) != 1 || sscanf(pc, "%lf%%", &pct) != 1)
			break;
		lines++;
		int64_t bytes = !strcmp(name, "remainder") ? num(j, "remainder_bytes")
							    : part(j, name);
		listed += bytes >= 0 && strcmp(name, "remainder");
		double exact = rss > 0 ? 100.0 * (double)bytes / rss : 0;
		if (bytes >= 0 && fabs(pct - exact) <= 0.05 + 1e-9)
			right++;
		else
			printf("# %s: %.1f%% printed, %lld of %.0f is %.3f%%\n", name, pct,
			       (long long)bytes, rss, exact);
	}
	int nparts = cJSON_GetArraySize(cJSON_GetObjectItem(j, "parts"));
	/* heap_not_walked is printed only when the heap could not be walked */
	int shown = nparts - (part(j, "heap_not_walked") == 0);
	T_OK(j && lines > 0 && right == lines,
	     "text: each of the %d percentages is the JSON's bytes over rss_bytes", lines);
	T_OK(j && listed == shown && lines == shown + 1,
	     "text: the JSON's parts by the same names (%d of %d), and the remainder", listed,
	     shown);
	cJSON_Delete(j);
	hl_buf_free(&b);
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

/* A process that exits while watched: the watch ends there, the verdict is
 * judged from the samples taken, exit 0, and it is said. */
static void exits_while_watched(void)
{
	char err[] = "/tmp/heaplab-diag-err-XXXXXX", cmd[800];
	int fd = mkstemp(err);
	if (fd < 0)
		return;
	close(fd);
	/* ready, then 1.7 s more: the sample 1 s after the diagnosis finds it
	 * (the diagnosis takes 0.1 to 0.4 s, under ASan too), the one 2 s after
	 * does not */
	pid_t pid = perl_ready("$| = 1; my @a = map { 'x' x 1000 } 1 .. 1000; print \"ready\\n\"; "
			       "select(undef, undef, undef, 1.7);",
			       NULL, 0);
	hl_buf_t out = {0}, msg = {0};
	snprintf(cmd, sizeof cmd, "%s diagnose --json --watch 3 %d 2>%s", heaplab, (int)pid, err);
	double t0 = now_s();
	int rc = live_sh(cmd, &out);
	double took = now_s() - t0;
	cJSON *j = rc == 0 ? cJSON_Parse(out.data ? out.data : "") : NULL;
	T_EQ_INT(rc, 0, "exits while watched: exit 0");
	/* a watch of 3 s that runs its course takes 3 s after the diagnosis */
	T_OK(took < 3.0, "the watch ended when it exited (%.1f s, not the 3 s asked)", took);
	T_OK(j && cJSON_IsTrue(cJSON_GetObjectItem(j, "exited")), "JSON: \"exited\": true");
	int n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "watch"));
	const cJSON *v = cJSON_GetObjectItem(j, "verdict");
	T_EQ_INT(n, 2, "two samples: at the start and 1 s later");
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(v, "kind")), "steady",
		 "judged from them: steady (%s)", cJSON_GetStringValue(cJSON_GetObjectItem(v, "text")));
	char want[128];
	snprintf(want, sizeof want, "process %d exited", (int)pid);
	hl_file_read(err, &msg, NULL);
	T_OK(msg.data && strstr(msg.data, want) && strstr(msg.data, "from the 2 samples"),
	     "and says so: %s", first_line(msg.data ? strstr(msg.data, "heaplab: process") : ""));
	cJSON_Delete(j);
	hl_buf_free(&out);
	hl_buf_free(&msg);
	unlink(err);

	/* not collected yet (a zombie): nothing to read, and said so */
	snprintf(cmd, sizeof cmd, "%s diagnose %d 2>&1", heaplab, (int)pid);
	T_EQ_INT(live_sh(cmd, &out), 1, "a zombie: exit 1");
	T_OK(out.data && strstr(out.data, "has exited"), "says it has exited (%s)",
	     first_line(out.data));
	hl_buf_free(&out);
	stop(pid);
}

/* Runs heaplab with args as real uid ruid and effective (and filesystem)
 * uid euid; its stdout and stderr into out. Its exit code, or -1. */
static int as_user(uid_t ruid, uid_t euid, const char *const *args, hl_buf_t *out)
{
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		if (setgroups(0, NULL) || setgid(euid) || setresuid(ruid, euid, euid))
			_exit(126);
		const char *argv[16] = {heaplab};
		for (int i = 0; args[i] && i < 14; i++)
			argv[i + 1] = args[i];
		execv(heaplab, (char **)argv);
		_exit(127);
	}
	close(fds[1]);
	char chunk[4096];
	ssize_t n;
	while ((n = read(fds[0], chunk, sizeof chunk)) > 0)
		hl_buf_append(out, chunk, (size_t)n);
	close(fds[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* As another user (nobody), when we are root: another user's process is
 * refused with what it takes; one's own is diagnosed, its glibc read
 * through /proc/PID/root (map_files needs privilege); and when /proc lets
 * us in but reading memory is refused (a real uid that is not the
 * target's: what Yama's ptrace_scope 1 does to a process that is not the
 * target's parent), the smaps parts stand and the walk error says why. */
static void other_user(pid_t root_pid)
{
	if (geteuid() != 0) {
		printf("# not root: cannot act as another user, skipped\n");
		return;
	}
	const uid_t nobody = 65534, stranger = 65533;
	char spid[32];
	hl_buf_t out = {0};
	snprintf(spid, sizeof spid, "%d", (int)root_pid);
	const char *refused[] = {"diagnose", spid, NULL};
	T_EQ_INT(as_user(nobody, nobody, refused, &out), 1, "another user's process: exit 1");
	const char *m = out.data ? out.data : "";
	T_OK(strstr(m, "permission denied") && strstr(m, "ptrace_scope") && strstr(m, "root") &&
		     strstr(m, "owner"),
	     "names what it takes: the owner, root, ptrace_scope (%s)", first_line(m));
	hl_buf_free(&out);

	pid_t pid = perl_ready("$| = 1; my @a = map { 'x' x 1000 } 1 .. 1000; print \"ready\\n\"; "
			       "sleep 60;",
			       NULL, nobody);
	snprintf(spid, sizeof spid, "%d", (int)pid);
	const char *own[] = {"diagnose", "--json", spid, NULL};
	T_EQ_INT(as_user(nobody, nobody, own, &out), 0, "as nobody, nobody's own process: exit 0");
	cJSON *j = cJSON_Parse(out.data ? out.data : "");
	T_OK(j && cJSON_IsTrue(cJSON_GetObjectItem(j, "walked")), "diagnosed and walked");
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "glibc")), gnu_get_libc_version(),
		 "its glibc read through /proc/PID/root");
	cJSON_Delete(j);
	hl_buf_free(&out);

#ifdef __SANITIZE_ADDRESS__
	/* a process whose uids differ is not dumpable: LeakSanitizer cannot
	 * stop its threads at exit and fails the run (nor can it read
	 * ASAN_OPTIONS from /proc/self/environ to be told not to) */
	printf("# under ASan: memory refused with /proc allowed is skipped\n");
	(void)stranger;
	stop(pid);
	return;
#endif
	T_EQ_INT(as_user(stranger, nobody, own, &out), 0,
		 "memory refused, /proc allowed: exit 0, a maps-level diagnosis");
	j = cJSON_Parse(out.data ? out.data : "");
	const char *e = cJSON_GetStringValue(cJSON_GetObjectItem(j, "walk_error"));
	T_OK(j && cJSON_IsFalse(cJSON_GetObjectItem(j, "walked")) && e &&
		     strstr(e, "was refused") && strstr(e, "ptrace_scope") &&
		     strstr(e, "same user") && strstr(e, "root"),
	     "not walked, and it names what it takes: %s", e ? e : "");
	if (j)
		adds_up(j, "memory refused");
	T_OK(part(j, "heap_not_walked") > 0, "the heap's RSS is heap_not_walked (%lld)",
	     (long long)part(j, "heap_not_walked"));
	cJSON_Delete(j);
	hl_buf_free(&out);
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
	text_matches_json(pid);
	other_user(pid);

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
		/* the report reads the glibc version from it */
		char rcmd[800], want[64];
		snprintf(rcmd, sizeof rcmd, "%s report %s/d >/dev/null 2>&1", heaplab, dir);
		T_EQ_INT(live_sh(rcmd, NULL), 0, "heaplab report on it: exit 0");
		snprintf(path, sizeof path, "%s/d/report.md", dir);
		snprintf(want, sizeof want, "| glibc | %s |", gnu_get_libc_version());
		T_OK(hl_file_read(path, &b, NULL) == 0 && strstr(b.data, want),
		     "report.md states the target's glibc: %s", want);
		hl_buf_free(&b);
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
	/* a stopped process is not called into (gdb would leave it inside
	 * malloc_trim when it is continued) */
	kill(pid, SIGSTOP);
	usleep(100000);
	snprintf(cmd, sizeof cmd, "%s diagnose --trim %d 2>&1", heaplab, (int)pid);
	T_EQ_INT(live_sh(cmd, &out), 1, "--trim on a stopped process: exit 1");
	T_OK(out.data && strstr(out.data, "stopped (state T)") && strstr(out.data, "kill -CONT"),
	     "says it is stopped and what to do");
	hl_buf_free(&out);
	kill(pid, SIGCONT);
	cJSON *after = diagnose(pid, "");
	T_OK(after && part(after, "bin_held") > 70 << 20,
	     "and the process was not trimmed: still bin-held (%lld)",
	     (long long)(after ? part(after, "bin_held") : -1));
	cJSON_Delete(after);
	/* --out into a directory in use: refused before the process is touched */
	snprintf(cmd, sizeof cmd, "%s diagnose --trim --out tests %d 2>&1", heaplab, (int)pid);
	T_EQ_INT(live_sh(cmd, &out), 1, "--trim --out into a directory in use: exit 1");
	hl_buf_free(&out);
	after = diagnose(pid, "");
	T_OK(after && part(after, "bin_held") > 70 << 20, "before anything was trimmed");
	cJSON_Delete(after);
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
	T_OK(j && cJSON_IsNull(cJSON_GetObjectItem(j, "mmap_threshold")) &&
		     cJSON_IsNull(cJSON_GetObjectItem(j, "releasable_bytes")),
	     "and what only a walk knows is null, not 0");
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "glibc")), "unknown",
		 "a static binary: glibc unknown (no libc.so mapped)");
	if (j)
		adds_up(j, "static binary");
	cJSON_Delete(j);
	stop(pid);
}

/* The python3 case: 2,000-byte blocks, a drifted threshold, one big free
 * chunk of coalesced frees under the last block. A fixed mmap threshold
 * would give nothing back: diagnose must not put a figure on it, and
 * applying it changes RSS by under 5%. The pin is the last block. */
static void small_blocks_drifted(void)
{
	int64_t rss[2] = {-1, -1};
	for (int fixed = 0; fixed < 2; fixed++) {
		char line[128];
		FILE *out = NULL;
		char *argv[] = {"build/tests/helpers/small_drift", NULL};
		pid_t pid = live_spawnv(argv, fixed ? "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072"
						    : NULL,
					0, line, sizeof line, &out);
		if (out)
			fclose(out);
		cJSON *j = pid > 0 && !strncmp(line, "ready", 5) ? diagnose(pid, "") : NULL;
		T_OK(j != NULL, "small blocks, drifted threshold%s: diagnosed", fixed ? " (fixed)" : "");
		if (j) {
			rss[fixed] = num(j, "rss_bytes");
			if (!fixed) {
				T_OK(num(j, "mmap_threshold") > 131072,
				     "the threshold drifted (%lld)", (long long)num(j, "mmap_threshold"));
				T_OK(!rec(j, "M_MMAP_THRESHOLD=131072"),
				     "no M_MMAP_THRESHOLD figure: the blocks are 2,000 bytes, the big "
				     "free chunk is their coalesced frees");
				const cJSON *pin = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "pins"), 0);
				T_OK(pin && num(pin, "chunk_bytes") == 2016 && num(pin, "free_bytes") > 500000000,
				     "the pin: the last 2,000-byte block (chunk %lld B) over %lld B free",
				     (long long)(pin ? num(pin, "chunk_bytes") : -1),
				     (long long)(pin ? num(pin, "free_bytes") : -1));
			}
			cJSON_Delete(j);
		}
		stop(pid);
	}
	T_OK(rss[0] > 0 && rss[1] > 0 && llabs(rss[0] - rss[1]) < rss[0] / 20,
	     "and applying the fixed threshold changes RSS by under 5%% (%lld vs %lld)",
	     (long long)rss[0], (long long)rss[1]);
}

/* A pin allocated in a known function, named with the call stack from a
 * heaplab trace of the same process, still being written; through a
 * wrapper too (a shell that execs it: the trace's name is the wrapper's,
 * the process's calls are in the file of its own image). */
static void pin_with_trace(bool wrapped)
{
	char trace[] = "/tmp/heaplab-pin-XXXXXX", path[64], cmd[512], line[128] = "";
	int fd = mkstemp(trace);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof path, "%s.trace", trace);
	unlink(trace);
	snprintf(cmd, sizeof cmd, "%s trace --out %s -- %s", heaplab, path,
		 wrapped ? "sh -c 'true; exec build/tests/helpers/pin_from'"
			 : "build/tests/helpers/pin_from");
	FILE *p = popen(cmd, "r");
	int pid = 0; /* the helper's "ready PID" */
	if (p && fgets(line, sizeof line, p))
		sscanf(line, "ready %d", &pid);
	line[strcspn(line, "\n")] = '\0';
	T_OK(pid > 0, "pin_from runs under heaplab trace%s (%s)", wrapped ? ", exec'd by sh" : "",
	     line);
	char opts[128];
	snprintf(opts, sizeof opts, "--trace %s", path);
	cJSON *j = pid > 0 ? diagnose(pid, opts) : NULL;
	const cJSON *pin = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "pins"), 0);
	const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(pin, "allocated_at"), 0);
	const char *fn = cJSON_GetStringValue(cJSON_GetObjectItem(f, "function"));
	const char *file = cJSON_GetStringValue(cJSON_GetObjectItem(f, "file"));
	T_OK(pin && num(pin, "chunk_bytes") == 48 && fn && !strcmp(fn, "make_pin") && file &&
		     strstr(file, "pin_from.c") && num(f, "line") == 19,
	     "the pin (48 B chunk) allocated at %s %s:%lld, from the trace", fn ? fn : "?",
	     file ? file : "?", (long long)(f ? num(f, "line") : -1));
	T_OK(pin && near(num(pin, "gives_back_bytes"), 16384 * 4112, 0.02),
	     "and freed, about 64 MiB would go back (%lld)",
	     (long long)(pin ? num(pin, "gives_back_bytes") : -1));
	cJSON_Delete(j);
	if (pid > 0)
		kill(pid, SIGKILL);
	if (p)
		pclose(p);
	snprintf(cmd, sizeof cmd, "rm -f %s %s.*", path, path);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", path);
}

/* Where malloc_trim would not help (every block in use): no figure for it,
 * and nothing else claimed either. */
static void all_in_use(void)
{
	char line[128];
	FILE *out = NULL;
	char *argv[] = {"build/tests/helpers/hold_freed", "4000", "used", NULL};
	pid_t pid = live_spawnv(argv, NULL, 0, line, sizeof line, &out);
	if (out)
		fclose(out);
	cJSON *j = pid > 0 ? diagnose(pid, "") : NULL;
	T_OK(j && !rec(j, "malloc_trim(0)") && num(j, "releasable_bytes") == 0 &&
		     cJSON_GetArraySize(cJSON_GetObjectItem(j, "recommendations")) == 0,
	     "4,000 blocks all in use: no malloc_trim figure (releasable %lld), no recommendation",
	     (long long)(j ? num(j, "releasable_bytes") : -1));
	cJSON_Delete(j);
	stop(pid);
}

int main(void)
{
	const char *build = getenv("HEAPLAB_BUILD");
	snprintf(heaplab, sizeof heaplab, "%s/heaplab", build ? build : "build");
	small_blocks_drifted();
	all_in_use();
	pin_with_trace(false);
	pin_with_trace(true);
	brk_pin();
	tcache_pin();
	arena_bloat();
	foreign();
	merged_mmaps();
	falling();
	mmap_drift();
	glibc_version();
	watching();
	exits_while_watched();
	bad_input();
	return t_done();
}
