/*
 * live.c — the live view's loop: where the target comes from (a PID, a
 * command heapview starts, or an experiment run under `heaplab run`), when
 * to walk, the keys, the trim agent, and leaving the terminal as it was.
 *
 * Cost: RSS comes from /proc/PID/statm at every refresh; the walk (with
 * every page classed) runs at a refresh only when the last one cost at most
 * 4% of the time since: a 100 ms walk of a 1 GiB heap runs every 2.5 s, a
 * 1 ms walk at every refresh. A new phase or a trim walks at once.
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

#define WALK_DUTY 25 /* walk again after 25x what the last walk took: 4% */
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
	double t0, next_refresh, next_walk;
	bool walk_now;
} live_t;

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
		snprintf(L->m.phase, sizeof L->m.phase, "%s", name);
		L->m.nphases++;
		hv_model_message(&L->m, "phase '%s' reached at %.2f s", name, t);
		L->walk_now = true;
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
	if (L->child > 0 && L->child == L->target && waitpid(L->child, &st, WNOHANG) == L->child) {
		L->child = -1;
		if (WIFEXITED(st))
			snprintf(L->m.state, sizeof L->m.state, "exited (status %d)", WEXITSTATUS(st));
		else
			snprintf(L->m.state, sizeof L->m.state, "exited (signal %d)", WTERMSIG(st));
	} else if (gone(L->target)) {
		snprintf(L->m.state, sizeof L->m.state, "exited");
	} else {
		return;
	}
	L->m.exited = true;
	if (!L->m.message[0] || strncmp(L->m.message, "verdict", 7))
		hv_model_message(&L->m, "pid %d exited: the last frame stays; q quits%s%s",
				 (int)L->target, L->log[0] && L->o->argv ? "; its output: " : "",
				 L->log[0] && L->o->argv ? L->log : "");
}

static void refresh_target(live_t *L, double now)
{
	if (L->target <= 0 || L->m.exited)
		return;
	if (L->walk_now || now >= L->next_walk) {
		hv_snapshot_t s;
		hl_error_t err = {0};
		double t = now_s();
		if (hv_snapshot_take_opts(L->target, &L->layout, HL_WALK_PAGES, &s, &err)) {
			if (err.code == -ESRCH)
				check_exit(L);
			else
				hv_model_message(&L->m, "%s", err.msg);
			return;
		}
		double took = now_s() - t;
		L->m.walk_ms = took * 1e3;
		L->m.walk_age_s = 0;
		hv_model_update(&L->m, &s, t - L->t0);
		L->walk_now = false;
		double gap = took * WALK_DUTY;
		L->next_walk = now + (gap > (double)L->o->interval_ms / 1e3 ? gap : 0);
		return;
	}
	hl_buf_t b = {0};
	hl_statm_t st;
	if (hl_procfs_read(L->target, "statm", &b, NULL) == 0 &&
	    hl_statm_parse(b.data, b.len, hl_procfs_page_size(), &st, NULL) == 0)
		hv_model_point(&L->m, now - L->t0, st.rss_bytes, st.vsz_bytes);
	hl_buf_free(&b);
	if (L->m.have)
		L->m.walk_age_s = now - L->t0 - L->m.hist[L->m.nhist - 1].t;
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
	L->walk_now = true;
	refresh_target(L, now_s());
	char b0[32], b1[32];
	int64_t after = L->m.have ? L->m.snap.status.vm_rss_bytes : -1;
	hv_model_message(&L->m, "malloc_trim(0) in pid %d %s: RSS %s -> %s", (int)L->target,
			 !strncmp(reply, "trimmed 1", 9) ? "released memory" : "found nothing to release",
			 hl_units_bytes(before, b0, sizeof b0), hl_units_bytes(after, b1, sizeof b1));
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
	if (o->argv) {
		if (access(agent, R_OK)) {
			fprintf(stderr, "heapview: the trim agent %s is missing (make all builds it)\n",
				agent);
			return -1;
		}
		if (make_tmpdir(L))
			return -1;
		preload_agent(agent, L->sock);
		L->child = start(o->argv, L->log, NULL, &e);
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
		char envp[300], envs[300], hold[64];
		snprintf(envp, sizeof envp, "LD_PRELOAD=%s", agent);
		snprintf(envs, sizeof envs, "HEAPLAB_TRIM_SOCKET=%s", L->sock);
		snprintf(hold, sizeof hold, "--hold_ms=%d", EXP_HOLD_MS);
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
		args[n++] = (char *)"--";
		args[n++] = hold; /* the user's own --hold_ms comes later and wins */
		for (char **a = o->exp_args; a && *a && n < 62; a++)
			args[n++] = *a;
		args[n] = NULL;
		L->child = start(args, NULL, &L->out_fd, &e);
		if (L->child < 0) {
			fprintf(stderr, "heapview: cannot run %s: %s\n", heaplab,
				e ? strerror(e) : "fork failed");
			return -1;
		}
		char cmd[256];
		snprintf(cmd, sizeof cmd, "%s (heaplab run)", o->experiment);
		hv_model_init(&L->m, 0, cmd);
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
	/* a PID: it must be there and readable before the screen is taken */
	L->target = o->pid;
	hv_snapshot_t s;
	hl_error_t err = {0};
	if (hv_snapshot_take(o->pid, &s, &err)) {
		fprintf(stderr, "heapview: %s\n", err.msg);
		return -1;
	}
	hv_model_init(&L->m, o->pid, "");
	if (!s.walk_valid)
		hv_model_message(&L->m, "%s", s.walk_error);
	hv_snapshot_free(&s);
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
	if (setup(&L)) {
		cleanup_tmp(&L);
		return 1;
	}
	if (!isatty(0) || !isatty(1)) {
		fprintf(stderr, "heapview: the live view needs a terminal; without one use "
				"heapview --once PID or --record DIR PID\n");
		end_children(&L);
		cleanup_tmp(&L);
		hv_model_free(&L.m);
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
		return 1;
	}
	L.t0 = now_s();
	L.walk_now = true;
	double interval = (double)o->interval_ms / 1e3;
	bool quit = false;
	while (!quit && !stop_requested) {
		double now = now_s();
		exp_read(&L);
		if (!L.m.paused && now >= L.next_refresh) {
			refresh_target(&L, now);
			check_exit(&L);
			L.next_refresh = now + interval;
		} else if (L.walk_now && !L.m.paused) {
			refresh_target(&L, now);
		}
		draw(&L);
		/* wait for a key, heaplab's output, or the next refresh */
		double wait = L.next_refresh - now_s();
		int ms = wait <= 0 ? 0 : (int)(wait * 1e3) + 1;
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
			switch (hv_model_key(&L.m, k)) {
			case HV_QUIT:
				quit = true;
				break;
			case HV_SAVE:
				save(&L);
				break;
			case HV_TRIM:
				trim(&L);
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
	return 0;
}
