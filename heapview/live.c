/*
 * live.c — the live view's loop: where the target comes from (a PID, a
 * command heapview starts, or an experiment run under `heaplab run`), when
 * to walk, the keys, the trim agent, and leaving the terminal as it was.
 *
 * Cost (the rule is HV_WALK_CPU_PERCENT's, in heapview.h): RSS and VSZ come
 * from /proc/PID/statm at every interval; the walk (with every page
 * classed) after one that took T starts max(interval, 25 T) after that one
 * started: a 100 ms walk of a 1 GiB heap runs every 2 s, a 10 ms one at
 * every interval of 500 ms. A new phase or a trim walks as soon as 25 T
 * allows, and the message line says when that is if it is not at once.
 * The title names the phase the map shows.
 *
 * Step mode (--step, teaching) gives heaplab run a gate (--gate FD): the
 * experiment stays blocked at each phase, as the phase protocol already
 * holds it while the harness samples, until n writes a byte to the gate.
 * The first walk of each phase is kept as its frame (model.c) for p and
 * for the changes since the previous phase; the lesson lines come from the
 * experiment's own --describe (lib/lesson.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "heapview.h"

#define EXP_HOLD_MS 2000

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct live {
	const hv_live_opts_t *o;
	hv_model_t m;
	hv_screen_t scr;
	hl_glibc_layout_t layout;
	pid_t target;     /* the process watched */
	pid_t child;      /* what heapview started (the target, or heaplab run) */
	int out_fd;       /* heaplab run's output, -1 */
	char outbuf[8192];
	size_t outlen;
	char tmpdir[64];  /* holds the trim socket of what we started */
	char sock[128];   /* the trim agent's socket, "" none */
	char log[128];    /* the started program's output */
	char run_dir[512];
	double t0;
	double next_refresh;    /* the next statm reading: every interval */
	double next_walk;       /* the next walk by the cost rule: max(interval, 25 T) */
	double next_walk_early; /* the soonest a phase or a trim may walk: 25 T */
	bool walk_now;          /* a phase or a trim wants a walk */
	char phase[64];         /* a phase reached that no walk has shown yet, "" none */
	bool trim_pending;      /* a trim's news waits for the walk that shows it */
	bool trim_released;
	int64_t trim_before;    /* RSS before the trim */
	char news[256];         /* the message to show once the walk is done */
	char news_shown[256];   /* what was shown meanwhile */
	int gate;               /* step mode: heaplab run's gate, written by n; -1 */
	hl_lesson_t *lesson;    /* step mode: the experiment's lesson lines */
} live_t;

/* Whether a walk may start now: its regular time, or a phase's or a
 * trim's once the cost rule allows. */
static bool walk_due(const live_t *L, double now)
{
	return now >= L->next_walk || (L->walk_now && now >= L->next_walk_early);
}

/* Seconds until the walk may start, 0 when it may now. */
static double walk_in(const live_t *L, double now)
{
	double at = L->walk_now ? L->next_walk_early : L->next_walk;
	return at > now ? at - now : 0;
}

/* The message now, with when the walk will show its effect when it is not
 * at once: "...; next walk in 3.2 s". After that walk, news replaces it
 * unless something else was said meanwhile. */
static void say_until_walk(live_t *L, const char *news, double now)
{
	double in = walk_in(L, now);
	if (in <= 0) {
		hv_model_message(&L->m, "%s", news);
		return;
	}
	hv_model_message(&L->m, "%s; next walk in %.1f s", news, in);
	snprintf(L->news, sizeof L->news, "%s", news);
	snprintf(L->news_shown, sizeof L->news_shown, "%s", L->m.message);
}

/* Directory of this executable: heaplab, the experiments and the trim agent
 * live beside it. */
static void self_dir(char *out, size_t n)
{
	char exe[4096];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (k <= 0) {
		snprintf(out, n, ".");
		return;
	}
	exe[k] = '\0';
	snprintf(out, n, "%s", dirname(exe));
}

static int make_tmpdir(live_t *L)
{
	snprintf(L->tmpdir, sizeof L->tmpdir, "/tmp/heapview-XXXXXX");
	if (!mkdtemp(L->tmpdir)) {
		fprintf(stderr, "heapview: cannot make a directory in /tmp: %s\n", strerror(errno));
		L->tmpdir[0] = '\0';
		return -1;
	}
	snprintf(L->sock, sizeof L->sock, "%s/trim.sock", L->tmpdir);
	snprintf(L->log, sizeof L->log, "%s/output.log", L->tmpdir);
	return 0;
}

/* The agent joins whatever the program already preloads. */
static void preload_agent(const char *agent, const char *sock)
{
	const char *old = getenv("LD_PRELOAD");
	char v[4096];
	snprintf(v, sizeof v, "%s%s%s", agent, old && *old ? " " : "", old ? old : "");
	setenv("LD_PRELOAD", v, 1);
	setenv("HEAPLAB_TRIM_SOCKET", sock, 1);
}

/* Starts argv with stdin from /dev/null and output into log (or a pipe
 * when out_fd is given); an exec failure comes back through a close-on-exec
 * pipe as its errno, before any screen is drawn. */
static pid_t start(char **argv, const char *log, int *out_fd, int *exec_errno)
{
	int ep[2], op[2] = {-1, -1};
	*exec_errno = 0;
	if (pipe2(ep, O_CLOEXEC) || (out_fd && pipe2(op, O_CLOEXEC)))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = out_fd ? op[1] : open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (in >= 0)
			dup2(in, 0);
		if (out >= 0) {
			dup2(out, 1);
			dup2(out, 2);
		}
		setpgid(0, 0); /* the terminal's Ctrl-C is heapview's to handle */
		execvp(argv[0], argv);
		int e = errno;
		if (write(ep[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	close(ep[1]);
	if (out_fd)
		close(op[1]);
	if (pid < 0) {
		close(ep[0]);
		return -1;
	}
	int e = 0;
	if (read(ep[0], &e, sizeof e) == (ssize_t)sizeof e) {
		*exec_errno = e;
		waitpid(pid, NULL, 0);
		close(ep[0]);
		if (out_fd)
			close(op[0]);
		return -1;
	}
	close(ep[0]);
	if (out_fd) {
		*out_fd = op[0];
		fcntl(op[0], F_SETFL, O_NONBLOCK);
	}
	return pid;
}

/* ------------------------------------------------------ heaplab run's lines */

/* The title's phase is the one the map shows; a phase reached is named
 * with the next walk, or when the target has exited (no walk will come). */
static void phase_shown(live_t *L)
{
	if (!L->phase[0])
		return;
	snprintf(L->m.phase, sizeof L->m.phase, "%s", L->phase);
	L->m.nphases++;
	L->phase[0] = '\0';
}

static void exp_line(live_t *L, char *line)
{
	int pid;
	char name[128];
	if (sscanf(line, "heaplab: running %127s (pid %d", name, &pid) == 2) {
		L->target = pid;
		L->m.pid = pid;
		const char *w = strstr(line, "), writing ");
		if (w)
			snprintf(L->run_dir, sizeof L->run_dir, "%s", w + 11);
		return;
	}
	if (!strncmp(line, "run: ", 5)) {
		snprintf(L->run_dir, sizeof L->run_dir, "%s", line + 5);
		return;
	}
	if (!strncmp(line, "verdict: ", 9)) {
		hv_model_message(&L->m, "%s", line);
		return;
	}
	/* a row of the phase table: NAME  T.TTs  ... */
	double t;
	char unit;
	if (sscanf(line, "%63s %lf%c", name, &t, &unit) == 3 && unit == 's' && strcmp(name, "phase")) {
		/* the title names it with the walk that shows it */
		char news[256];
		snprintf(news, sizeof news, "phase '%s' reached at %.2f s", name, t);
		snprintf(L->phase, sizeof L->phase, "%s", name);
		if (L->m.step) /* heaplab run holds it at the gate until n */
			L->m.waiting = true;
		if (L->m.exited) {
			phase_shown(L);
			hv_model_message(&L->m, "%s", news);
			return;
		}
		L->walk_now = true;
		say_until_walk(L, news, now_s());
	}
}

static void exp_read(live_t *L)
{
	if (L->out_fd < 0)
		return;
	for (;;) {
		ssize_t n = read(L->out_fd, L->outbuf + L->outlen, sizeof L->outbuf - 1 - L->outlen);
		if (n == 0) {
			close(L->out_fd);
			L->out_fd = -1;
			return;
		}
		if (n < 0)
			return;
		L->outlen += (size_t)n;
		char *nl;
		while ((nl = memchr(L->outbuf, '\n', L->outlen))) {
			*nl = '\0';
			exp_line(L, L->outbuf);
			size_t used = (size_t)(nl + 1 - L->outbuf);
			memmove(L->outbuf, nl + 1, L->outlen - used);
			L->outlen -= used;
		}
		if (L->outlen == sizeof L->outbuf - 1)
			L->outlen = 0; /* a line this long is not ours to read */
	}
}

/* ------------------------------------------------------ the target */

/* Whether pid is gone (or a zombie: it has exited, its parent not yet
 * reaped it). */
static bool gone(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return true;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	const char *rp = strrchr(buf, ')');
	return rp && (rp[2] == 'Z' || rp[2] == 'X');
}

static void check_exit(live_t *L)
{
	if (L->m.exited || L->target <= 0)
		return;
	int st;
	bool ours = L->child > 0 && L->child == L->target, reaped = false;
	if (ours)
		reaped = waitpid(L->child, &st, WNOHANG) == L->child;
	/* it may have exited since waitpid looked: a zombie of ours is reaped
	 * at once, so its status is told */
	bool dead = !reaped && gone(L->target);
	for (int i = 0; ours && dead && !reaped && i < 50; i++) {
		reaped = waitpid(L->child, &st, WNOHANG) == L->child;
		if (!reaped)
			usleep(1000);
	}
	if (reaped) {
		L->child = -1;
		if (WIFEXITED(st))
			snprintf(L->m.state, sizeof L->m.state, "exited (status %d)", WEXITSTATUS(st));
		else
			snprintf(L->m.state, sizeof L->m.state, "exited (signal %d)", WTERMSIG(st));
	} else if (dead) {
		snprintf(L->m.state, sizeof L->m.state, "exited");
	} else {
		return;
	}
	L->m.exited = true;
	phase_shown(L);
	if (!L->m.message[0] || strncmp(L->m.message, "verdict", 7))
		hv_model_message(&L->m, "pid %d exited: the last frame stays; q quits%s%s",
				 (int)L->target, L->log[0] && L->o->argv ? "; its output: " : "",
				 L->log[0] && L->o->argv ? L->log : "");
}

/* One snapshot with every page classed, into the model; the next walks are
 * scheduled by the cost rule from this one's start and cost (also when it
 * failed: a failed snapshot cost its time too). */
static int walk(live_t *L, hl_error_t *err)
{
	hv_snapshot_t s;
	char id[sizeof L->layout.build_id];
	bool had_layout = L->layout.method[0] != '\0';
	snprintf(id, sizeof id, "%s", L->layout.build_id);
	double start = now_s();
	/* the chunks too: the pins are found among them */
	int rc = hv_snapshot_take_opts(L->target, &L->layout, HL_WALK_PAGES | HL_WALK_CHUNKS, &s, err);
	double took_ms = (now_s() - start) * 1e3;
	/* the walker reads libc's layout when it has none or libc changed */
	bool layout_read = L->layout.method[0] && (!had_layout || strcmp(id, L->layout.build_id));
	double every_ms = layout_read ? (double)L->o->interval_ms
				      : hv_walk_every_ms((double)L->o->interval_ms, took_ms);
	L->next_walk = start + every_ms / 1e3;
	L->next_walk_early = start + (layout_read ? 0 : hv_walk_every_ms(0, took_ms) / 1e3);
	L->next_refresh = start + (double)L->o->interval_ms / 1e3;
	L->walk_now = false;
	if (rc)
		return rc;
	if (gone(L->target)) {
		/* it exited during the walk: what was read is half a process, and
		 * the last frame stays as it was */
		hv_snapshot_free(&s);
		return hl_error_set(err, -ESRCH, "process %d exited", (int)L->target);
	}
	hv_model_walked(&L->m, took_ms, layout_read);
	hv_model_update(&L->m, &s, start - L->t0);
	return 0;
}

/* What was waiting for this walk: the phase, a trim's outcome, a phase's
 * message. */
static void walked_news(live_t *L)
{
	bool new_phase = L->phase[0] != '\0';
	phase_shown(L);
	/* the experiment waits at that phase: this walk is its frame */
	if (new_phase && L->m.step)
		hv_model_frame(&L->m);
	if (L->trim_pending) {
		char b0[32], b1[32];
		L->trim_pending = false;
		hv_model_message(&L->m, "malloc_trim(0) in pid %d %s: RSS %s -> %s", (int)L->target,
				 L->trim_released ? "released memory" : "released nothing",
				 hl_units_bytes(L->trim_before, b0, sizeof b0),
				 hl_units_bytes(L->m.snap.status.vm_rss_bytes, b1, sizeof b1));
	} else if (L->news[0] && !strcmp(L->m.message, L->news_shown)) {
		hv_model_message(&L->m, "%s", L->news);
	}
	L->news[0] = '\0';
}

/* A walk when one is due, else RSS and VSZ from statm when the interval
 * has passed; true when the target was read. */
static bool refresh_target(live_t *L, double now)
{
	if (L->target <= 0 || L->m.exited)
		return false;
	if (walk_due(L, now)) {
		hl_error_t err = {0};
		if (walk(L, &err)) {
			if (err.code == -ESRCH)
				check_exit(L);
			else
				hv_model_message(&L->m, "%s", err.msg);
		} else {
			walked_news(L);
		}
		return true;
	}
	if (now < L->next_refresh)
		return false;
	L->next_refresh = now + (double)L->o->interval_ms / 1e3;
	hl_buf_t b = {0};
	hl_statm_t st;
	if (hl_procfs_read(L->target, "statm", &b, NULL) == 0 &&
	    hl_statm_parse(b.data, b.len, hl_procfs_page_size(), &st, NULL) == 0 &&
	    (st.vsz_bytes > 0 || !gone(L->target))) /* a zombie's statm is all 0 */
		hv_model_point(&L->m, now - L->t0, st.rss_bytes, st.vsz_bytes);
	hl_buf_free(&b);
	return true;
}

/* When the loop has something to do next: a statm reading or a walk. */
static double next_due(const live_t *L)
{
	double w = L->walk_now ? L->next_walk_early : L->next_walk;
	return w < L->next_refresh ? w : L->next_refresh;
}

/* ------------------------------------------------------ keys */

static void trim(live_t *L)
{
	if (!L->sock[0]) {
		hv_model_message(&L->m, "t: heapview did not start pid %d; a program started with its "
					"trim agent can be trimmed with --trim-socket PATH",
				 (int)L->target);
		return;
	}
	if (L->m.exited) {
		hv_model_message(&L->m, "t: pid %d has exited", (int)L->target);
		return;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%s", L->sock);
	int64_t before = L->m.have ? L->m.snap.status.vm_rss_bytes : -1;
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
		hv_model_message(&L->m, "t: no trim agent answers at %s (%s)", L->sock,
				 strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	char reply[32] = "";
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t n = -1;
	if (write(fd, "t", 1) == 1 && poll(&p, 1, 10000) == 1)
		n = read(fd, reply, sizeof reply - 1);
	close(fd);
	if (n <= 0) {
		hv_model_message(&L->m, "t: the trim agent did not answer within 10 s");
		return;
	}
	reply[n] = '\0';
	/* the outcome is told with the walk that shows it: at once when the
	 * cost rule allows, else the message says when */
	L->trim_pending = true;
	L->trim_released = !strncmp(reply, "trimmed 1", 9);
	L->trim_before = before;
	L->walk_now = true;
	double now = now_s();
	if (walk_due(L, now)) {
		refresh_target(L, now);
		check_exit(L);
	} else {
		hv_model_message(&L->m, "malloc_trim(0) in pid %d %s; next walk in %.1f s",
				 (int)L->target,
				 L->trim_released ? "released memory" : "released nothing",
				 walk_in(L, now));
	}
}

static void save(live_t *L)
{
	char dir[512];
	hl_error_t err = {0};
	if (!L->m.have)
		hv_model_message(&L->m, "s: nothing to save yet");
	else if (hv_save(&L->m, L->o->save_base, dir, sizeof dir, &err))
		hv_model_message(&L->m, "s: %s", err.msg);
	else
		hv_model_message(&L->m, "saved %s", dir);
}

static void draw(live_t *L)
{
	int rows, cols;
	hv_render_size(&rows, &cols);
	if (rows != L->scr.rows || cols != L->scr.cols)
		hv_screen_resize(&L->scr, rows, cols);
	hv_layout(&L->m, &L->scr);
	hv_render(&L->scr);
}

/* Ends what heapview started: the program, or heaplab run and its
 * experiment. */
static void end_children(live_t *L)
{
	if (L->child <= 0)
		return;
	if (L->target > 0 && L->target != L->child && !L->m.exited)
		kill(L->target, SIGTERM);
	kill(L->child, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(L->child, NULL, WNOHANG) == L->child)
			return;
		usleep(20000);
	}
	kill(L->child, SIGKILL);
	waitpid(L->child, NULL, 0);
}

static void cleanup_tmp(live_t *L)
{
	if (!L->tmpdir[0])
		return;
	unlink(L->sock);
	if (rmdir(L->tmpdir) != 0 && L->log[0]) {
		/* keep the program's output; it is named on exit */
		struct stat st;
		if (stat(L->log, &st) == 0 && st.st_size == 0) {
			unlink(L->log);
			rmdir(L->tmpdir);
		}
	}
}

/* ------------------------------------------------------ setup */

static int setup(live_t *L)
{
	const hv_live_opts_t *o = L->o;
	char dir[4096], agent[4200];
	self_dir(dir, sizeof dir);
	snprintf(agent, sizeof agent, "%s/libheaplab-trim.so", dir);
	int e = 0;
	hl_glibc_env_t genv;
	hl_error_t gerr = {0};
	if (hl_glibc_env_find(o->glibc ? o->glibc : "host", &genv, &gerr) ||
	    hl_glibc_env_file(&genv, agent, agent, sizeof agent, &gerr)) {
		fprintf(stderr, "heapview: %s\n", gerr.msg);
		return -1;
	}
	if (o->argv) {
		if (access(agent, R_OK)) {
			fprintf(stderr, "heapview: the trim agent %s is missing (make all builds it)\n",
				agent);
			return -1;
		}
		if (make_tmpdir(L))
			return -1;
		/* under another glibc: through its loader, with its build of the agent */
		char prog[4096], *av[256];
		char **run = o->argv;
		if (!genv.host) {
			int na = 0;
			while (o->argv[na + 1] && na < 240)
				na++;
			if (hl_glibc_env_resolve(o->argv[0], prog, sizeof prog) ||
			    hl_glibc_env_argv(&genv, prog, o->argv + 1, na, av, 256) < 0) {
				fprintf(stderr, "heapview: cannot find '%s' (on PATH, or as a path)\n",
					o->argv[0]);
				return -1;
			}
			run = av;
		}
		preload_agent(agent, L->sock);
		L->child = start(run, L->log, NULL, &e);
		unsetenv("HEAPLAB_TRIM_SOCKET");
		if (L->child < 0) {
			fprintf(stderr, "heapview: cannot run '%s': %s\n", o->argv[0],
				e ? strerror(e) : "fork failed");
			return -1;
		}
		L->target = L->child;
		char cmd[256] = "";
		for (char **a = o->argv; *a; a++)
			snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s%s",
				 a == o->argv ? "" : " ", *a);
		hv_model_init(&L->m, L->target, cmd);
		L->m.interval_ms = o->interval_ms;
		return 0;
	}
	if (o->experiment) {
		char heaplab[4200], exe[4300];
		snprintf(heaplab, sizeof heaplab, "%s/heaplab", dir);
		snprintf(exe, sizeof exe, "%s/experiments/%s", dir, o->experiment);
		if (strchr(o->experiment, '/') || access(exe, X_OK)) {
			fprintf(stderr,
				"heapview: no experiment '%s' (heaplab list names them all)\n",
				o->experiment);
			return -1;
		}
		if (make_tmpdir(L))
			return -1;
		char envp[300], envs[300], hold[64], gate[16];
		snprintf(envp, sizeof envp, "LD_PRELOAD=%s", agent);
		snprintf(envs, sizeof envs, "HEAPLAB_TRIM_SOCKET=%s", L->sock);
		/* step mode: the gate holds each phase, not a time */
		snprintf(hold, sizeof hold, "--hold_ms=%d", o->step ? 0 : EXP_HOLD_MS);
		int gate_r = -1;
		if (o->step && hv_step_open(exe, o->exp_args, &L->lesson, &gate_r, &L->gate))
			return -1;
		snprintf(gate, sizeof gate, "%d", gate_r);
		char *args[64];
		int n = 0;
		args[n++] = heaplab;
		args[n++] = (char *)"run";
		args[n++] = (char *)o->experiment;
		args[n++] = (char *)"--env";
		args[n++] = envp;
		args[n++] = (char *)"--env";
		args[n++] = envs;
		if (o->out) {
			args[n++] = (char *)"--out";
			args[n++] = (char *)o->out;
		}
		if (o->glibc) {
			args[n++] = (char *)"--glibc";
			args[n++] = (char *)o->glibc;
		}
		if (gate_r >= 0) {
			args[n++] = (char *)"--gate";
			args[n++] = gate;
		}
		args[n++] = (char *)"--";
		args[n++] = hold; /* the user's own --hold_ms comes later and wins */
		for (char **a = o->exp_args; a && *a && n < 62; a++)
			args[n++] = *a;
		args[n] = NULL;
		L->child = start(args, NULL, &L->out_fd, &e);
		if (gate_r >= 0)
			close(gate_r); /* heaplab run has its copy */
		if (L->child < 0) {
			fprintf(stderr, "heapview: cannot run %s: %s\n", heaplab,
				e ? strerror(e) : "fork failed");
			return -1;
		}
		char cmd[256];
		snprintf(cmd, sizeof cmd, "%s (%s)", o->experiment, o->step ? "step" : "heaplab run");
		hv_model_init(&L->m, 0, cmd);
		L->m.interval_ms = o->interval_ms;
		if (o->step) {
			L->m.step = true;
			L->m.lesson_on = true;
			L->m.lesson = L->lesson;
			L->m.phases_declared = L->lesson->nphases;
		}
		/* wait for heaplab to say which pid the experiment has */
		for (int i = 0; i < 500 && L->target <= 0; i++) {
			struct pollfd p = {L->out_fd, POLLIN, 0};
			poll(&p, 1, 20);
			exp_read(L);
			if (L->out_fd < 0)
				break;
		}
		if (L->target <= 0) {
			fprintf(stderr, "heapview: heaplab run did not start %s\n", o->experiment);
			end_children(L);
			return -1;
		}
		return 0;
	}
	/* a PID: it must be there and readable before the screen is taken; that
	 * snapshot is the first walk */
	L->target = o->pid;
	hv_model_init(&L->m, o->pid, "");
	L->m.interval_ms = o->interval_ms;
	hl_error_t err = {0};
	if (walk(L, &err)) {
		fprintf(stderr, "heapview: %s\n", err.msg);
		hv_model_free(&L->m);
		return -1;
	}
	if (!L->m.snap.walk_valid)
		hv_model_message(&L->m, "%s", L->m.snap.walk_error);
	if (o->trim_socket)
		snprintf(L->sock, sizeof L->sock, "%s", o->trim_socket);
	return 0;
}

int hv_live(const hv_live_opts_t *o)
{
	live_t L;
	memset(&L, 0, sizeof L);
	L.o = o;
	L.out_fd = -1;
	L.gate = -1;
	L.t0 = now_s();
	if (setup(&L)) {
		cleanup_tmp(&L);
		free(L.lesson);
		return 1;
	}
	if (!isatty(0) || !isatty(1)) {
		fprintf(stderr, "heapview: the live view needs a terminal; without one use "
				"heapview --once PID or --record DIR PID\n");
		end_children(&L);
		cleanup_tmp(&L);
		hv_model_free(&L.m);
		if (L.gate >= 0)
			close(L.gate);
		free(L.lesson);
		return 2;
	}
	L.m.can_trim = L.sock[0] != '\0';
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	bool colour = !o->no_colour && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
	if (hv_render_init(colour)) {
		fprintf(stderr, "heapview: cannot start the terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "");
		end_children(&L);
		cleanup_tmp(&L);
		hv_model_free(&L.m);
		if (L.gate >= 0)
			close(L.gate);
		free(L.lesson);
		return 1;
	}
	L.walk_now = !L.m.have; /* a PID's first walk is done */
	double interval = (double)o->interval_ms / 1e3;
	bool quit = false;
	while (!quit && !stop_requested) {
		double now = now_s();
		exp_read(&L);
		if (!L.m.paused && refresh_target(&L, now))
			check_exit(&L);
		draw(&L);
		/* wait for a key, heaplab's output, or the next reading or walk;
		 * paused or with nothing to read, just for keys and output */
		bool idle = L.m.paused || L.m.exited || L.target <= 0;
		double wait = idle ? interval : next_due(&L) - now_s();
		int ms = wait <= 0 ? 0 : wait > 3600 ? 3600000 : (int)(wait * 1e3) + 1;
		struct pollfd p[2] = {{0, POLLIN, 0}, {L.out_fd, POLLIN, 0}};
		poll(p, L.out_fd >= 0 ? 2 : 1, ms);
		bool resized;
		int k;
		while ((k = hv_render_key(0, &resized)) != -1 || resized) {
			if (resized) {
				draw(&L);
				continue;
			}
			L.m.message[0] = '\0';
			hv_action_t act = hv_model_key(&L.m, k);
			/* resumed: the next walk comes when the cost rule allows */
			if (!strcmp(L.m.message, "resumed") && walk_in(&L, now_s()) > 0)
				hv_model_message(&L.m, "resumed; next walk in %.1f s", walk_in(&L, now_s()));
			switch (act) {
			case HV_QUIT:
				quit = true;
				break;
			case HV_SAVE:
				save(&L);
				break;
			case HV_TRIM:
				trim(&L);
				break;
			case HV_NEXT:
				hv_step_next(&L.m, L.gate, L.phase, walk_in(&L, now_s()));
				break;
			default:
				break;
			}
			if (quit)
				break;
			draw(&L);
		}
	}
	hv_render_end();
	end_children(&L);
	if (L.run_dir[0])
		printf("heapview: the run is in %s\n", L.run_dir);
	if (L.m.exited)
		printf("heapview: pid %d %s\n", (int)L.target, L.m.state);
	cleanup_tmp(&L);
	hv_model_free(&L.m);
	hv_screen_free(&L.scr);
	if (L.gate >= 0)
		close(L.gate);
	free(L.lesson);
	return 0;
}
