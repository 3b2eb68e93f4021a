/*
 * cmd_run.c — `heaplab run`: starts an experiment (or any program), samples
 * it from /proc at an interval, answers its phase messages (DESIGN.md
 * section 4), and writes the run directory: run.json, samples.tsv,
 * malloc_info-PHASE.xml, malloc_stats-PHASE.txt, with --walk heapmap-
 * PHASE.tsv, program.log and the plots.
 *
 * What is recorded is never lost: run.json is rewritten (atomically) after
 * every phase, marked incomplete until the program has exited cleanly, so a
 * program that dies mid-run leaves a record that says how far it got.
 *
 * Its options are parsed in run_opts.c; --slides draws in slides.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static int64_t now_ms(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Everything one run needs while it is going. */
typedef struct run_ctx {
	const run_opts_t *o;
	char dir[PATH_MAX];
	FILE *samples;
	hl_run_t run;
	hl_sampler_t sampler;
	struct timespec t0;
	pid_t pid;
	int from_child; /* phase messages */
	int to_child;   /* acknowledgements */
	hl_buf_t in;    /* bytes of a phase message not yet complete */
	char last_phase[64];
	bool glibc_figures; /* mallinfo2/malloc_info describe the real allocator */
	hl_glibc_layout_t layout; /* kept between the walks of this run */
	slides_t *slides;         /* --slides, NULL none */
	int gate;                 /* --gate's descriptor, -1 once closed or none */
	int64_t gate_next;        /* the next sample while held at the gate */
} run_ctx_t;

static void save_record(run_ctx_t *c)
{
	hl_error_t err = {0};
	if (hl_run_save(&c->run, c->dir, &err))
		say_error("cannot save run.json: %s", err.msg);
}

static void write_sample(run_ctx_t *c, hl_sample_t *s)
{
	snprintf(s->phase, sizeof s->phase, "%s", c->last_phase);
	hl_buf_t row = {0};
	if (hl_samples_format_row(s, &row) == 0)
		fwrite(row.data, 1, row.len, c->samples);
	hl_buf_free(&row);
	c->run.nsamples++;
}

static void take_sample(run_ctx_t *c)
{
	hl_sample_t s;
	if (hl_sampler_take(&c->sampler, false, &s, NULL) == 0) {
		s.t_ms = now_ms(&c->t0);
		write_sample(c, &s);
	}
}

static int64_t statm_rss(pid_t pid)
{
	hl_buf_t b = {0};
	hl_statm_t st;
	int64_t rss = HL_UNKNOWN;
	if (hl_procfs_read(pid, "statm", &b, NULL) == 0 &&
	    hl_statm_parse(b.data, b.len, hl_procfs_page_size(), &st, NULL) == 0)
		rss = st.rss_bytes;
	hl_buf_free(&b);
	return rss;
}

/* The child waits at its phase: walk its heap from outside, and record RSS
 * just before and after, which must not differ (the walk is read-only).
 * Every page is classed, for the phase's heap map (heapmap-BASE.tsv). */
static void walk_phase(run_ctx_t *c, hl_phase_t *ph, const char *base)
{
	struct hl_walk_summary *s = &ph->walk;
	hl_walk_t w;
	hl_error_t err = {0};
	s->rss_before_bytes = statm_rss(c->pid);
	int64_t t0 = now_ms(&c->t0);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int flags = HL_WALK_PAGES | HL_WALK_EXACT | (c->slides ? HL_WALK_CHUNKS : 0);
	int rc = hl_walk_process_opts(c->pid, &c->layout, flags, &w, &err);
	clock_gettime(CLOCK_MONOTONIC, &b);
	(void)t0;
	s->rss_after_bytes = statm_rss(c->pid);
	if (rc) {
		say_error("phase '%s': heap walk failed: %s", ph->name, err.msg);
		return;
	}
	ph->walk_valid = true;
	hl_walk_summarize(&w, s);
	s->duration_us = (b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000;
	char path[PATH_MAX];
	hl_heapmap_t info;
	snprintf(path, sizeof path, "%s/heapmap-%s.tsv", c->dir, base);
	if (hl_heapmap_save(&w, path, &info, &err))
		say_error("phase '%s': %s", ph->name, err.msg);
	if (c->slides)
		slides_phase(c->slides, c->run.nphases, ph->name, &w); /* it takes w */
	hl_walk_free(&w);
}

/* --gate: the program waits at its phase until a byte comes on the gate
 * (or it closes: then it never waits again); the timeline goes on being
 * sampled meanwhile, so it shows the pause. */
static void gate_wait(run_ctx_t *c)
{
	while (c->gate >= 0 && !interrupted) {
		int64_t t = now_ms(&c->t0);
		int timeout = -1;
		if (c->o->interval_ms) {
			if (t >= c->gate_next) {
				take_sample(c);
				fflush(c->samples);
				c->gate_next = t + c->o->interval_ms;
			}
			timeout = (int)(c->gate_next - t);
		}
		struct pollfd p = {c->gate, POLLIN, 0};
		if (poll(&p, 1, timeout) <= 0)
			continue;
		char b;
		ssize_t n = read(c->gate, &b, 1);
		if (n == 1)
			return;
		if (n < 0 && errno == EINTR)
			continue;
		close(c->gate);
		c->gate = -1;
	}
}

/* A whole phase message is in c->in: record it, then let the child go on. */
static int handle_phase(run_ctx_t *c, const hl_phase_msg_t *m)
{
	hl_phase_t ph;
	memset(&ph, 0, sizeof ph);
	snprintf(ph.name, sizeof ph.name, "%s", m->name);
	ph.t_ms = now_ms(&c->t0);
	hl_sample_t s;
	hl_error_t err = {0};
	if (hl_sampler_take(&c->sampler, true, &s, &err) == 0) {
		ph.rss_bytes = s.rss_bytes;
		ph.vsz_bytes = s.vsz_bytes;
		ph.heap_bytes = s.heap_bytes;
		ph.heap_rss_bytes = s.heap_rss_bytes;
		s.t_ms = ph.t_ms;
		snprintf(c->last_phase, sizeof c->last_phase, "%s", m->name);
		write_sample(c, &s);
	} else {
		ph.rss_bytes = ph.vsz_bytes = ph.heap_bytes = ph.heap_rss_bytes = HL_UNKNOWN;
		snprintf(c->last_phase, sizeof c->last_phase, "%s", m->name);
	}
	fflush(c->samples);

	/* A phase name can repeat; its files must not overwrite each other. */
	char base[80];
	hl_run_phase_base(&c->run, c->run.nphases, m->name, base, sizeof base);
	char fname[128];
	if (c->glibc_figures) {
		ph.mallinfo2 = m->mallinfo2;
		snprintf(fname, sizeof fname, "malloc_info-%s.xml", base);
		hl_file_write(c->dir, fname, m->malloc_info, m->malloc_info_len, true, NULL);
		snprintf(fname, sizeof fname, "malloc_stats-%s.txt", base);
		hl_file_write(c->dir, fname, m->malloc_stats, m->malloc_stats_len, true, NULL);
		if (hl_malloc_info_parse(m->malloc_info, m->malloc_info_len, &ph.malloc_info, &err) ==
		    0)
			ph.malloc_info_valid = true;
		else
			say_error("phase '%s': malloc_info not understood: %s", m->name, err.msg);
	}
	for (size_t i = 0; i < m->nobs; i++)
		hl_phase_observe(&ph, m->obs[i].key, m->obs[i].value);
	if (c->o->walk && c->glibc_figures)
		walk_phase(c, &ph, base);

	hl_run_add_phase(&c->run, &ph);
	const hl_phase_t *rec = &c->run.phases[c->run.nphases - 1];
	snprintf(c->run.status, sizeof c->run.status, "running: reached phase '%s'", rec->name);
	save_record(c);
	if (!c->o->quiet) {
		table_row(stdout, rec, &c->run.phases[0]);
		fflush(stdout);
	}
	gate_wait(c);
	char go = 'g';
	if (write(c->to_child, &go, 1) != 1)
		return -errno;
	return 0;
}

/* Reads what the child sent; handles every whole message. 0 on EOF. */
static int read_child(run_ctx_t *c)
{
	char chunk[65536];
	ssize_t n = read(c->from_child, chunk, sizeof chunk);
	if (n < 0)
		return errno == EINTR ? 1 : -errno;
	if (n == 0)
		return 0;
	if (hl_buf_append(&c->in, chunk, (size_t)n))
		return -ENOMEM;
	for (;;) {
		hl_phase_msg_t m;
		hl_error_t err = {0};
		int64_t used = hl_phase_msg_parse(c->in.data, c->in.len, &m, &err);
		if (used == 0)
			break;
		if (used < 0) {
			say_error("the program sent something that is not a phase message (%s); "
				  "ignoring the rest of its messages",
				  err.msg);
			return -EPROTO;
		}
		int rc = handle_phase(c, &m);
		memmove(c->in.data, c->in.data + used, c->in.len - (size_t)used);
		c->in.len -= (size_t)used;
		if (rc)
			return 0; /* the child is gone; its exit status tells why */
	}
	return 1;
}

static void exec_child(const run_opts_t *o, const char *path, const char *lib, int msg_w,
		       int ack_r, int exec_w, const char *dir, const char *tunables)
{
	/* Our descriptors are O_CLOEXEC; the two the child keeps are dup'ed
	 * without it. */
	int w = dup(msg_w), r = dup(ack_r);
	char fds[32];
	snprintf(fds, sizeof fds, "%d,%d", w, r);
	setenv("HEAPLAB_PHASE_FDS", fds, 1);
	if (tunables[0])
		setenv("GLIBC_TUNABLES", tunables, 1);
	if (lib[0])
		setenv("LD_PRELOAD", lib, 1);
	for (int i = 0; i < o->nenv; i++) {
		char name[256];
		const char *eq = strchr(o->env[i], '=');
		snprintf(name, sizeof name, "%.*s", (int)(eq - o->env[i]), o->env[i]);
		setenv(name, eq + 1, 1);
	}
	char log[PATH_MAX];
	snprintf(log, sizeof log, "%s/program.log", dir);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	signal(SIGPIPE, SIG_DFL);
	int cap = o->target_argc + 8;
	char **argv = calloc((size_t)cap, sizeof *argv);
	if (!argv || hl_glibc_env_argv(&o->genv, path, o->target_argv, o->target_argc, argv, cap) < 0)
		_exit(127);
	execv(argv[0], argv);
	/* exec_w is close-on-exec: the harness sees EOF when exec worked, and
	 * this errno when it did not. */
	int e = errno;
	if (write(exec_w, &e, sizeof e) != (ssize_t)sizeof e)
		_exit(127);
	_exit(127);
}

/* Waits until the child has exec'd (before that, /proc shows a copy of the
 * harness). Returns 0, or the errno of a failed exec. */
static int wait_exec(int exec_r)
{
	int e = 0;
	ssize_t n;
	while ((n = read(exec_r, &e, sizeof e)) < 0 && errno == EINTR)
		;
	close(exec_r);
	return n == (ssize_t)sizeof e ? e : 0;
}

/* Runs `path --check ARGS` so bad parameters are refused before a run
 * directory exists. The experiment's own message goes to our stderr. */
static int check_params(const char *path, const run_opts_t *o)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int cap = o->target_argc + 9;
		char **args = calloc((size_t)cap, sizeof *args), **argv = calloc((size_t)cap, sizeof *argv);
		if (!args || !argv)
			_exit(127);
		args[0] = "--check";
		for (int i = 0; i < o->target_argc; i++)
			args[i + 1] = o->target_argv[i];
		if (hl_glibc_env_argv(&o->genv, path, args, o->target_argc + 1, argv, cap) < 0)
			_exit(127);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void record_params(hl_run_t *run, const exp_desc_t *d, const run_opts_t *o)
{
	if (d) {
		for (int i = 0; i < d->nparams; i++) {
			char v[64];
			snprintf(v, sizeof v, "%lld", d->params[i].def);
			hl_run_add_param(run, d->params[i].name, v);
		}
		for (int i = 0; i < o->target_argc; i++) {
			const char *a = o->target_argv[i];
			const char *eq = strchr(a, '=');
			if (strncmp(a, "--", 2) || !eq)
				continue;
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(eq - a - 2), a + 2);
			for (size_t k = 0; k < run->nparams; k++)
				if (!strcmp(run->params[k].name, name))
					snprintf(run->params[k].value, sizeof run->params[k].value,
						 "%s", eq + 1);
		}
		return;
	}
	for (int i = 0; i < o->target_argc; i++) {
		char name[16];
		snprintf(name, sizeof name, "argv%d", i + 1);
		hl_run_add_param(run, name, o->target_argv[i]);
	}
}

static void describe_end(run_ctx_t *c, int st)
{
	const char *where = c->run.nphases ? c->last_phase : NULL;
	char after[128];
	if (where)
		snprintf(after, sizeof after, "after phase '%s'", where);
	else
		snprintf(after, sizeof after, "before any phase");
	if (WIFEXITED(st)) {
		c->run.exit_code = WEXITSTATUS(st);
		if (c->run.exit_code == 0 && !interrupted) {
			c->run.complete = true;
			snprintf(c->run.status, sizeof c->run.status, "complete");
		} else if (interrupted) {
			snprintf(c->run.status, sizeof c->run.status,
				 "interrupted by signal %d, program exited with status %d %s",
				 (int)interrupted, c->run.exit_code, after);
		} else {
			snprintf(c->run.status, sizeof c->run.status, "exited with status %d %s",
				 c->run.exit_code, after);
		}
	} else {
		c->run.exit_code = -1;
		snprintf(c->run.status, sizeof c->run.status, "killed by signal %d (%s) %s",
			 WTERMSIG(st), strsignal(WTERMSIG(st)), after);
	}
}

/* Under another glibc, a program built for a newer one does not start: its
 * loader says "version `GLIBC_2.34' not found" in program.log. Say what it
 * means. */
static void too_new(const run_opts_t *o, const char *dir)
{
	char path[PATH_MAX], line[512];
	snprintf(path, sizeof path, "%s/program.log", dir);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f)) {
		const char *v = strstr(line, "version `GLIBC_");
		if (!v || !strstr(v, "not found"))
			continue;
		char need[32] = "";
		sscanf(v + 9, "GLIBC_%31[0-9.]", need);
		say_error("the program needs glibc %s or later and this is %s: a program built on "
			  "this system runs under 2.36 or later; under %s, run one built against it "
			  "(cc $(sh scripts/glibc.sh cflags %s) ...), as the experiments are",
			  need, o->genv.version, o->genv.version, o->genv.version);
		break;
	}
	if (f)
		fclose(f);
}

int cmd_run(int argc, char **argv)
{
	run_opts_t o;
	hl_error_t err = {0};
	if (run_opts_parse(argc, argv, &o))
		return EXIT_USAGE;

	char lib[PATH_MAX];
	const allocator_t *alloc = allocator_find(o.allocator, lib, sizeof lib, &err);
	if (!alloc) {
		say_error("%s", err.msg);
		return EXIT_USAGE;
	}
	if (alloc->soname && hl_glibc_env_own_build(&o.genv)) {
		say_error("--allocator %s is the system's build, which needs a newer glibc than %s: "
			  "run it without --glibc, or under 2.36 or later",
			  alloc->name, o.genv.version);
		return EXIT_USAGE;
	}

	/* What to run: an experiment by name, or a program by path. */
	exp_desc_t desc;
	exp_desc_t *d = NULL;
	char path[PATH_MAX];
	if (strchr(o.target, '/')) {
		if (access(o.target, X_OK) != 0) {
			say_error("cannot run '%s': %s", o.target, strerror(errno));
			return EXIT_USAGE;
		}
		snprintf(path, sizeof path, "%s", o.target);
	} else {
		int rc = catalogue_describe(o.target, &desc, &err);
		if (rc == -ENOENT) {
			say_error("unknown experiment '%s'", o.target);
			fprintf(stderr, "experiments:\n");
			catalogue_print_list(stderr);
			return EXIT_USAGE;
		}
		if (rc) {
			say_error("%s", err.msg);
			return EXIT_USAGE;
		}
		d = &desc;
		if (hl_glibc_env_file(&o.genv, desc.path, path, sizeof path, &err)) {
			say_error("%s", err.msg);
			return EXIT_USAGE;
		}
		rc = check_params(path, &o);
		if (rc != 0) {
			say_error("%s refused its parameters (see above); nothing was run", o.target);
			return EXIT_USAGE;
		}
	}
	const char *name = d ? d->name : strrchr(o.target, '/') + 1;
	slides_t slides;
	memset(&slides, 0, sizeof slides);
	if (o.slides && slides_open(&slides, o.slides, d, &err)) {
		say_error("%s", err.msg);
		slides_free(&slides);
		return EXIT_USAGE;
	}

	run_ctx_t c;
	memset(&c, 0, sizeof c);
	c.o = &o;
	c.slides = o.slides ? &slides : NULL;
	c.gate = o.gate_fd;
	if (c.gate >= 0)
		fcntl(c.gate, F_SETFD, FD_CLOEXEC); /* not the program's */
	if (o.out)
		snprintf(c.dir, sizeof c.dir, "%s", o.out);
	else
		outdir_default(name, c.dir, sizeof c.dir);
	int sfd = outdir_claim(c.dir, "samples.tsv", &err);
	if (sfd < 0) {
		say_error("%s", err.msg);
		return EXIT_USAGE;
	}
	if (c.slides && slides_start(c.slides, &err)) {
		say_error("%s", err.msg);
		close(sfd);
		slides_free(c.slides);
		return EXIT_USAGE;
	}
	c.samples = fdopen(sfd, "w");
	if (!c.samples) {
		say_error("cannot write samples.tsv: %s", strerror(errno));
		return 1;
	}
	fputs(hl_samples_header, c.samples);
	snprintf(c.last_phase, sizeof c.last_phase, "start");
	c.glibc_figures = !alloc->soname;

	char tunables[1024] = "";
	for (int i = 0; i < o.ntunables; i++) {
		size_t used = strlen(tunables);
		snprintf(tunables + used, sizeof tunables - used, "%s%s", i ? ":" : "",
			 o.tunables[i]);
	}

	hl_run_init(&c.run);
	c.run.schema_version = HL_RUN_SCHEMA_VERSION;
	snprintf(c.run.experiment, sizeof c.run.experiment, "%s", name);
	snprintf(c.run.program, sizeof c.run.program, "%s", path);
	snprintf(c.run.glibc, sizeof c.run.glibc, "%s", o.genv.version);
	hl_sysinfo_kernel(c.run.kernel, sizeof c.run.kernel);
	snprintf(c.run.tunables, sizeof c.run.tunables, "%s", tunables);
	snprintf(c.run.allocator, sizeof c.run.allocator, "%s", alloc->name);
	for (int i = 0; i < o.nenv; i++) {
		size_t used = strlen(c.run.env);
		snprintf(c.run.env + used, sizeof c.run.env - used, "%s%s", i ? " " : "", o.env[i]);
	}
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(c.run.started, sizeof c.run.started, "%Y-%m-%dT%H:%M:%SZ", &tm);
	c.run.interval_ms = o.interval_ms;
	c.run.exit_code = -1;
	snprintf(c.run.status, sizeof c.run.status, "running");
	record_params(&c.run, d, &o);
	save_record(&c);

	int msg[2], ack[2], ex[2];
	if (pipe2(msg, O_CLOEXEC) < 0 || pipe2(ack, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) {
		say_error("cannot make pipes: %s", strerror(errno));
		return 1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &c.t0);
	c.pid = fork();
	if (c.pid < 0) {
		say_error("cannot fork: %s", strerror(errno));
		return 1;
	}
	if (c.pid == 0)
		exec_child(&o, path, lib, msg[1], ack[0], ex[1], c.dir, tunables);
	close(msg[1]);
	close(ack[0]);
	close(ex[1]);
	int exec_errno = wait_exec(ex[0]);
	if (exec_errno) {
		say_error("cannot execute %s: %s", path, strerror(exec_errno));
		waitpid(c.pid, NULL, 0);
		fclose(c.samples);
		snprintf(c.run.status, sizeof c.run.status, "could not execute: %s",
			 strerror(exec_errno));
		save_record(&c);
		hl_run_free(&c.run);
		return 1;
	}
	c.from_child = msg[0];
	c.to_child = ack[1];
	hl_sampler_init(&c.sampler, c.pid);

	if (!o.quiet) {
		printf("heaplab: running %s (pid %d, %s%s%s), writing %s\n", name, (int)c.pid,
		       alloc->name, tunables[0] ? ", GLIBC_TUNABLES=" : "", tunables, c.dir);
		table_header(stdout);
		fflush(stdout);
	}

	/* The loop: sample at the interval, answer phase messages, until the
	 * child has exited. */
	int st = 0;
	bool pipe_open = true, killed = false;
	int64_t next = o.interval_ms ? 0 : -1;
	for (;;) {
		if (interrupted && !killed) {
			kill(c.pid, SIGTERM);
			killed = true;
		}
		int64_t t = now_ms(&c.t0);
		if (next >= 0 && t >= next) {
			take_sample(&c);
			next = t + o.interval_ms - (t - next) % o.interval_ms;
		}
		if (!pipe_open) {
			pid_t w = waitpid(c.pid, &st, next >= 0 ? WNOHANG : 0);
			if (w == c.pid)
				break;
			if (w < 0 && errno != EINTR) {
				st = 0;
				break;
			}
			if (next >= 0) {
				int64_t wait = next - now_ms(&c.t0);
				if (wait > 0)
					nanosleep(&(struct timespec){wait / 1000, (wait % 1000) * 1000000},
						  NULL);
			}
			continue;
		}
		struct pollfd pfd = {c.from_child, POLLIN, 0};
		int timeout = next >= 0 ? (int)(next > t ? next - t : 0) : -1;
		int r = poll(&pfd, 1, timeout);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && read_child(&c) <= 0) {
			pipe_open = false;
			close(c.from_child);
		}
	}
	c.run.duration_ms = now_ms(&c.t0);
	close(c.to_child);
	if (c.in.len)
		say_error("the program stopped in the middle of a phase message (%zu bytes kept "
			  "out of the record)",
			  c.in.len);
	fclose(c.samples);
	describe_end(&c, st);
	save_record(&c);

	int ret = c.run.complete ? 0 : 1;
	if (!c.run.complete)
		say_error("%s %s; everything recorded so far is in %s (run.json marked incomplete)",
			  name, c.run.status, c.dir);
	if (!c.run.complete && !o.genv.host)
		too_new(&o, c.dir);

	hl_verdict_t v;
	hl_figures_verdict(&c.run, &v);
	plot_render(c.dir, &c.run, true);
	double mi_int = 0;
	if (c.run.nphases && hl_phase_observation(&c.run.phases[0], "mallinfo_int", &mi_int) &&
	    mi_int == 1)
		printf("note: glibc %s has no mallinfo2: in use and free come from mallinfo, whose "
		       "fields are int (they wrap past 4 GiB)\n",
		       c.run.glibc);
	if (c.slides) {
		int n = slides_finish(c.slides, c.dir, &c.run, &err);
		if (n < 0)
			say_error("slides: %s", err.msg);
		else
			printf("slides: %d in %s (listed in %s/slides.tsv)\n", n, o.slides, c.dir);
		slides_free(c.slides);
	}
	printf("verdict: %s\nrun: %s\n", v.text, c.dir);

	hl_sampler_free(&c.sampler);
	hl_buf_free(&c.in);
	hl_run_free(&c.run);
	return ret;
}
