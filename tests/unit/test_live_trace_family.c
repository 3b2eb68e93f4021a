/*
 * test_live_trace_family.c — heaplab trace on real programs' shapes: a
 * wrapper chain (sh runs a command, then execs bash, which execs the
 * program) read by the outer name; a prefork server (tests/helpers/
 * prefork.c) whose parent and three workers each get their exact figures;
 * stacks through code built without frame pointers (the notice, and
 * libunwind's stacks reaching main).
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace.h"
#include "trace_t.h"

static char dir[64];

/* The process of j's "processes" whose command starts with prefix (or has
 * this pid when prefix is NULL). */
static const cJSON *process(const cJSON *j, const char *prefix, int64_t pid)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(j, "processes"))
	{
		const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(p, "command"));
		if (prefix ? c && !strncmp(c, prefix, strlen(prefix)) : num(p, "pid") == pid)
			return p;
	}
	return NULL;
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
	return s ? s : "";
}

static void wrapper(void)
{
	char cmd[1400], path[300];
	hl_buf_t out = {0};
	snprintf(path, sizeof path, "%s/py.trace", dir);
	snprintf(cmd, sizeof cmd,
		 "%s trace --out %s -- sh -c 'ls / >/dev/null; exec bash -c \"exec "
		 "build/tests/helpers/trace_calls calls\"' 2>&1 >/dev/null",
		 heaplab, path);
	T_EQ_INT(live_sh(cmd, &out), 0, "a wrapper chain traced by the outer name: exit 0");
	const char *o = out.data ? out.data : "";
	T_OK(strstr(o, "4 processes"), "trace lists what it recorded: 4 processes (sh, ls, bash, "
				       "the program)");
	T_OK(strstr(o, "trace_calls calls (exit)") && strstr(o, "(exec'd /usr/bin/bash)") &&
		     strstr(o, "ls / (exit)"),
	     "each with its command and how it ended");
	T_OK(strstr(o, "next: heaplab leaks "), "and the line to run next");
	hl_buf_free(&out);
	cJSON *j = leaks_with(path);
	T_OK(j && cJSON_GetArraySize(cJSON_GetObjectItem(j, "processes")) == 4,
	     "leaks on the name: the family's 4 processes");
	const cJSON *prog = process(j, "build/tests/helpers/trace_calls calls", -1);
	T_OK(prog && num(prog, "leaked_bytes") == 400 && num(prog, "leaked_blocks") == 2 &&
		     num(prog, "alloc_calls") == 8,
	     "the program's own figures exact: 400 B in 2 blocks, 8 allocation calls");
	bool ls_named = false, libc_lines = false;
	const cJSON *nd, *g, *fr;
	cJSON_ArrayForEach(nd, cJSON_GetObjectItem(j, "no_debug_info"))
	ls_named |= !strcmp(str(nd, "module"), "/usr/bin/ls") && strlen(str(nd, "build_id")) == 40;
	const cJSON *lsp = process(j, "ls", -1);
	cJSON_ArrayForEach(g, cJSON_GetObjectItem(lsp, "groups"))
	cJSON_ArrayForEach(fr, cJSON_GetObjectItem(g, "frames"))
	libc_lines |= !strcmp(str(fr, "module"), "libc.so.6") && str(fr, "file")[0] && num(fr, "line") > 0;
	T_OK(ls_named, "ls has no debug info here: named, with its build ID");
	T_OK(libc_lines, "libc's frames get file:line from libc6-dbg's debug info, by build ID");
	const cJSON *sh = process(j, "sh -c", -1);
	T_OK(sh && !strncmp(str(sh, "ended"), "exec'd /usr/bin/bash", 20) &&
		     cJSON_IsTrue(cJSON_GetObjectItem(sh, "complete")) && !str(sh, "problem")[0],
	     "the shell exec'd: it says where its trace goes on, not that it was cut short (%s)",
	     sh ? str(sh, "ended") : "?");
	T_OK(sh && strstr(str(sh, "continued_in"), "py.trace."), "continued in %s",
	     sh ? str(sh, "continued_in") : "?");
	cJSON_Delete(j);
	/* one picked: its figures at the top, as a single trace's */
	snprintf(cmd, sizeof cmd, "--command trace_calls %s", path);
	j = leaks_with(cmd);
	T_OK(j && num(j, "leaked_bytes") == 400 &&
		     cJSON_GetArraySize(cJSON_GetObjectItem(j, "processes")) == 1,
	     "--command trace_calls picks the program");
	int64_t pid = j ? num(j, "pid") : -1;
	cJSON_Delete(j);
	snprintf(cmd, sizeof cmd, "--pid %lld %s", (long long)pid, path);
	j = leaks_with(cmd);
	T_EQ_INT(j ? cJSON_GetArraySize(cJSON_GetObjectItem(j, "processes")) : -1, 3,
		 "--pid picks the pid's images: sh, bash, the program");
	cJSON_Delete(j);
	snprintf(cmd, sizeof cmd, "%s leaks --pid 1 %s 2>&1", heaplab, path);
	T_EQ_INT(live_sh(cmd, &out), 2, "--pid of a process not in the trace: exit 2");
	T_OK(out.data && strstr(out.data, "no process with pid 1") && strstr(out.data, "trace_calls"),
	     "and the processes it has are listed");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s leaks %s", heaplab, path);
	live_sh(cmd, &out);
	T_OK(out.data && strstr(out.data, "its trace goes on in py.trace.") &&
		     strstr(out.data, "main tests/helpers/trace_calls.c:56"),
	     "the text names each process, the exec and the program's leak");
	hl_buf_free(&out);
}

/* The parent's leaks: 5 x 100 B config + 3 x 16 B; worker k: 2k x 32 B of
 * its own and the 48 B block its parent freed but it did not. */
static void prefork(void)
{
	char cmd[1400], path[300];
	snprintf(path, sizeof path, "%s/pre.trace", dir);
	snprintf(cmd, sizeof cmd, "%s trace --out %s -- build/tests/helpers/prefork 2>/dev/null",
		 heaplab, path);
	T_EQ_INT(live_sh(cmd, NULL), 0, "a prefork server traced");
	cJSON *j = leaks_with(path);
	T_EQ_INT(j ? cJSON_GetArraySize(cJSON_GetObjectItem(j, "processes")) : -1, 4,
		 "4 processes: the parent and 3 workers");
	const cJSON *parent = process(j, "build/tests/helpers/prefork", -1), *p;
	T_OK(parent && !strcmp(str(parent, "how"), "root") && num(parent, "leaked_blocks") == 8 &&
		     num(parent, "leaked_bytes") == 548,
	     "the parent: 8 blocks, 548 B (its config and its own 3)");
	int workers = 0, exact = 0, inherit_ok = 0;
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(j, "processes"))
	{
		if (strcmp(str(p, "how"), "fork"))
			continue;
		workers++;
		/* worker k made 100 pairs + 2k leaks: its allocation calls say k */
		int64_t k = (num(p, "alloc_calls") - 100) / 2;
		const cJSON *h = cJSON_GetObjectItem(p, "inherited");
		exact += k >= 1 && k <= 3 && num(p, "leaked_blocks") == 2 * k + 1 &&
			 num(p, "leaked_bytes") == 64 * k + 48 && !cJSON_GetArraySize(cJSON_GetObjectItem(p, "invalid_frees"));
		inherit_ok += num(h, "blocks") == 7 && num(h, "bytes") == 612 &&
			      num(h, "freed_blocks") == 1 && num(h, "leaked_blocks") == 1 &&
			      num(h, "leaked_bytes") == 48 && num(h, "parents_blocks") == 5 &&
			      num(p, "ppid") == num(parent, "pid");
	}
	T_EQ_INT(workers, 3, "three workers, each forked by the parent");
	T_EQ_INT(exact, 3, "each worker's figures exact: 2k + 1 blocks, 64k + 48 B, no invalid free");
	T_EQ_INT(inherit_ok, 3,
		 "each inherited 7 blocks (612 B), freed 1, and 1 is its leak (the parent freed "
		 "its copy), 5 stay the parent's");
	/* a worker replayed: it starts with its inherited heap */
	int64_t wpid = -1, wpeak = -1, wleft = -1;
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(j, "processes"))
	if (num(p, "alloc_calls") == 106) {
		wpid = num(p, "pid");
		wpeak = num(p, "peak_live_bytes");
		wleft = num(p, "leaked_bytes") + 500; /* and the parent's config */
	}
	cJSON_Delete(j);
	char run[300];
	snprintf(run, sizeof run, "%s/worker3", dir);
	snprintf(cmd, sizeof cmd, "%s replay %s --pid %lld --out %s --quiet >/dev/null 2>&1", heaplab,
		 path, (long long)wpid, run);
	T_EQ_INT(live_sh(cmd, NULL), 0, "replay --pid of worker 3 (%lld)", (long long)wpid);
	hl_run_t r;
	hl_run_init(&r);
	int64_t live[2] = {-1, -1};
	if (hl_run_load(run, &r, NULL) == 0)
		for (size_t k = 0; k < r.nphases && k < 2; k++)
			for (size_t o = 0; o < r.phases[k].nobs; o++)
				if (!strcmp(r.phases[k].obs[o].key, "live_bytes"))
					live[k] = (int64_t)r.phases[k].obs[o].value;
	hl_run_free(&r);
	T_OK(live[0] == wpeak && live[1] == wleft,
	     "with the heap it inherited: live %lld at peak, %lld at the end (leaks: %lld, %lld)",
	     (long long)live[0], (long long)live[1], (long long)wpeak, (long long)wleft);
	/* none picked: each process replayed, one run each */
	snprintf(run, sizeof run, "%s/all", dir);
	snprintf(cmd, sizeof cmd, "%s replay %s --out %s 2>/dev/null", heaplab, path, run);
	hl_buf_t out = {0};
	T_EQ_INT(live_sh(cmd, &out), 0, "replay of the family, none picked: exit 0");
	T_OK(out.data && strstr(out.data, "RSS against the trace's live bytes") &&
		     strstr(out.data, "-prefork"),
	     "and the table of its processes");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "ls %s | grep -c -- '-prefork$'", run);
	live_sh(cmd, &out);
	T_EQ_INT(out.data ? atoi(out.data) : -1, 4, "a run for each of the 4 processes");
	hl_buf_free(&out);
}

static void stacks(void)
{
	char cmd[1400], path[300];
	hl_buf_t out = {0};
	snprintf(path, sizeof path, "%s/nofp.trace", dir);
	snprintf(cmd, sizeof cmd, "%s trace --out %s -- build/tests/helpers/sites_nofp 2>&1", heaplab,
		 path);
	T_EQ_INT(live_sh(cmd, &out), 0, "a program built without frame pointers traced");
	T_OK(out.data && strstr(out.data, "12 of 12 call stacks stop early") &&
		     strstr(out.data, "sites_nofp (12 stacks") && strstr(out.data, "--unwind libunwind"),
	     "the trace says its stacks stop early, where, and what to do");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s leaks %s 2>&1", heaplab, path);
	live_sh(cmd, &out);
	T_OK(out.data && strstr(out.data, "note: 12 of 12 call stacks stop early"), "so does leaks");
	hl_buf_free(&out);
	snprintf(path, sizeof path, "%s/unw.trace", dir);
	snprintf(cmd, sizeof cmd,
		 "%s trace --unwind libunwind --out %s -- build/tests/helpers/sites_nofp 2>&1", heaplab,
		 path);
	live_sh(cmd, &out);
	T_OK(out.data && !strstr(out.data, "stop early"), "with libunwind: no notice");
	hl_buf_free(&out);
	cJSON *j = leaks_with(path);
	int reach = 0, line = marked_in("tests/helpers/sites_nofp.c", "SITE(0)");
	const cJSON *g, *f;
	cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "groups"))
	{
		bool site = false, main_ = false;
		cJSON_ArrayForEach(f, cJSON_GetObjectItem(g, "frames"))
		{
			site |= num(f, "line") == line;
			main_ |= !strcmp(str(f, "function"), "main");
		}
		reach += site && main_;
	}
	T_EQ_INT(reach, 12, "with libunwind all 12 stacks go from the site (line %d) to main", line);
	cJSON_Delete(j);
}

static long counter(const char *file)
{
	hl_buf_t b = {0};
	long v = hl_file_read(file, &b, NULL) == 0 && b.data ? atol(b.data) : -1;
	hl_buf_free(&b);
	return v;
}

static char proc_state(pid_t pid)
{
	char p[64];
	hl_buf_t b = {0};
	snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
	char st = '?';
	if (hl_file_read(p, &b, NULL) == 0 && b.data) {
		const char *rp = strrchr(b.data, ')');
		if (rp && rp[1] == ' ')
			st = rp[2];
	}
	hl_buf_free(&b);
	return st;
}

/* trace --pid on a running loop: the leak's function and line, frees of
 * blocks from before the attach apart, the process going on, a second
 * attach. */
static void attach(void)
{
	char cmd[1400], path[300], cnt[300];
	hl_buf_t out = {0};
	snprintf(cnt, sizeof cnt, "%s/count", dir);
	pid_t pid = fork();
	if (pid == 0) {
		execl("build/tests/helpers/alloc_loop", "alloc_loop", cnt, "40", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && counter(cnt) < 100; i++)
		usleep(10000); /* the ring of 50 full, before the attach */
	int line = marked_in("tests/helpers/alloc_loop.c", "attach-leak");
	for (int round = 1; round <= 2; round++) {
		snprintf(path, sizeof path, "%s/attach%d.trace", dir, round);
		snprintf(cmd, sizeof cmd, "%s trace --pid %d --duration 2 --out %s 2>&1", heaplab,
			 (int)pid, path);
		T_EQ_INT(live_sh(cmd, &out), 0, "attach %d: trace --pid for 2 s: exit 0", round);
		T_OK(out.data && strstr(out.data, "attached to") && strstr(out.data, "detached from") &&
			     strstr(out.data, "(detached)"),
		     "says it attached, detached, and lists the trace");
		hl_buf_free(&out);
		cJSON *j = leaks_with(path);
		const cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "groups"), 0);
		const cJSON *f0 = cJSON_GetArrayItem(cJSON_GetObjectItem(g, "frames"), 0);
		T_OK(f0 && !strcmp(str(f0, "function"), "leak_here") &&
			     strstr(str(f0, "file"), "alloc_loop.c") && num(f0, "line") == line,
		     "the biggest group: leak_here at alloc_loop.c:%d (%s:%lld)", line,
		     f0 ? str(f0, "function") : "?", (long long)(f0 ? num(f0, "line") : -1));
		/* each iteration: a malloc/free pair, a ring turn; every 10th a leak */
		int64_t leaks_n = num(g, "blocks"), allocs = num(j, "alloc_calls");
		int64_t iters = (allocs - leaks_n) / 2;
		T_OK(iters > 500 && llabs(leaks_n * 10 - iters) <= 10,
		     "a tenth of the iterations leave a block: %lld of %lld", (long long)leaks_n,
		     (long long)iters);
		T_EQ_INT(num(j, "frees_of_blocks_before_attach"), 50,
			 "the ring's 50 blocks from before the attach: freed, counted apart");
		T_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "invalid_frees")), 0,
			 "and never as invalid frees");
		T_OK(cJSON_IsTrue(cJSON_GetObjectItem(j, "complete")) &&
			     !strcmp(str(j, "ended"), "detached") && !strcmp(str(j, "how"), "attach"),
		     "the trace is complete, ended by the detach");
		cJSON_Delete(j);
		long c1 = counter(cnt);
		usleep(300000);
		long c2 = counter(cnt);
		char st = proc_state(pid);
		T_OK(c2 > c1 + 50 && (st == 'S' || st == 'R'),
		     "after the detach it runs on (state %c, %ld -> %ld iterations)", st, c1, c2);
	}
	/* a process that forks while attached: each child's figures, its
	 * frees of blocks from before the attach apart; after the detach a
	 * fork writes nothing */
	pid_t fp = fork();
	if (fp == 0) {
		execl("build/tests/helpers/alloc_loop", "alloc_loop", "/dev/null", "30", "fork",
		      (char *)NULL);
		_exit(127);
	}
	usleep(300000);
	snprintf(path, sizeof path, "%s/forks.trace", dir);
	snprintf(cmd, sizeof cmd, "%s trace --pid %d --duration 2 --out %s 2>/dev/null", heaplab,
		 (int)fp, path);
	T_EQ_INT(live_sh(cmd, NULL), 0, "attached to a process that forks");
	cJSON *jf = leaks_with(path);
	int children = 0, clean = 0;
	const cJSON *pr;
	cJSON_ArrayForEach(pr, cJSON_GetObjectItem(jf, "processes"))
	{
		if (strcmp(str(pr, "how"), "fork"))
			continue;
		children++;
		const cJSON *h = cJSON_GetObjectItem(pr, "inherited");
		clean += num(pr, "frees_of_blocks_before_attach") + num(h, "freed_blocks") == 50 &&
			 cJSON_GetArraySize(cJSON_GetObjectItem(pr, "invalid_frees")) == 0 &&
			 num(pr, "alloc_calls") == 3;
	}
	cJSON_Delete(jf);
	T_OK(children >= 2 && clean == children,
	     "%d children forked while attached: each frees the ring's 50 (inherited or from "
	     "before the attach, never invalid) and makes its 3 calls (%d so)",
	     children, clean);
	snprintf(cmd, sizeof cmd, "sleep 1.5; ls %s.* | wc -l", path);
	live_sh(cmd, &out);
	T_EQ_INT(out.data ? atoi(out.data) : -1, children,
		 "after the detach its forks write no trace");
	hl_buf_free(&out);
	kill(fp, SIGKILL);
	waitpid(fp, NULL, 0);
	/* until it exits; until Ctrl-C */
	pid_t shortp = fork();
	if (shortp == 0) {
		execl("build/tests/helpers/alloc_loop", "alloc_loop", "/dev/null", "1.5", (char *)NULL);
		_exit(127);
	}
	usleep(200000);
	snprintf(path, sizeof path, "%s/exit.trace", dir);
	snprintf(cmd, sizeof cmd, "%s trace --pid %d --out %s 2>/dev/null", heaplab, (int)shortp, path);
	pid_t h = fork();
	if (h == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	usleep(100000);
	waitpid(shortp, NULL, 0); /* reaped here: the exit is ours to see */
	int hst = 0;
	waitpid(h, &hst, 0);
	cJSON *je = leaks_with(path);
	T_OK(WIFEXITED(hst) && WEXITSTATUS(hst) == 0 && je && !strcmp(str(je, "ended"), "exit") &&
		     cJSON_IsTrue(cJSON_GetObjectItem(je, "complete")) && num(je, "alloc_calls") > 100,
	     "no --duration: it stops when the process exits, the trace ended by its exit");
	cJSON_Delete(je);
	snprintf(path, sizeof path, "%s/int.trace", dir);
	char spid[16];
	snprintf(spid, sizeof spid, "%d", (int)pid);
	h = fork();
	if (h == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		execl(heaplab, "heaplab", "trace", "--pid", spid, "--out", path, (char *)NULL);
		_exit(127);
	}
	usleep(800000);
	kill(h, SIGINT);
	waitpid(h, &hst, 0);
	je = leaks_with(path);
	T_OK(WIFEXITED(hst) && WEXITSTATUS(hst) == 0 && je && !strcmp(str(je, "ended"), "detached"),
	     "Ctrl-C: it detaches and the trace is complete (%s)", je ? str(je, "ended") : "?");
	cJSON_Delete(je);
	/* a static binary, a process that is not there */
	snprintf(cmd, sizeof cmd, "%s trace --pid 999999999 --out %s/none.trace 2>&1", heaplab, dir);
	T_EQ_INT(live_sh(cmd, &out), 2, "--pid of a missing process: exit 2");
	T_OK(out.data && strstr(out.data, "no process 999999999"), "says so");
	hl_buf_free(&out);
	int fds[2];
	T_OK(pipe(fds) == 0, "a pipe");
	pid_t st = fork();
	if (st == 0) {
		dup2(fds[1], 1);
		execl("build/tests/helpers/pause_static", "pause_static", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char ready[16] = "";
	T_OK(read(fds[0], ready, sizeof ready - 1) > 0, "a static binary runs");
	close(fds[0]);
	snprintf(cmd, sizeof cmd, "%s trace --pid %d --out %s/static.trace 2>&1; test ! -e %s/static.trace",
		 heaplab, (int)st, dir, dir);
	T_EQ_INT(live_sh(cmd, &out), 0, "--pid of a static binary: refused, no file left");
	T_OK(out.data && strstr(out.data, "static binary") && strstr(out.data, "no dynamic loader"),
	     "says it is static and why that matters");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s trace --pid %d --out %s/static2.trace >/dev/null 2>&1", heaplab,
		 (int)st, dir);
	T_EQ_INT(live_sh(cmd, NULL), 2, "with exit 2");
	kill(st, SIGKILL);
	waitpid(st, NULL, 0);
	/* a stopped process (the calls would set it running), a zombie */
	pid_t sp = fork();
	if (sp == 0) {
		pause();
		_exit(0);
	}
	usleep(50000);
	kill(sp, SIGSTOP);
	usleep(50000);
	snprintf(cmd, sizeof cmd, "%s trace --pid %d --out %s/stopped.trace 2>&1", heaplab, (int)sp, dir);
	T_EQ_INT(live_sh(cmd, &out), 2, "--pid of a stopped process: exit 2");
	T_OK(out.data && strstr(out.data, "is stopped") && strstr(out.data, "kill -CONT") &&
		     proc_state(sp) == 'T',
	     "says so, and it stays stopped");
	hl_buf_free(&out);
	kill(sp, SIGKILL);
	waitpid(sp, NULL, 0);
	pid_t zp = fork();
	if (zp == 0)
		_exit(0);
	usleep(100000);
	snprintf(cmd, sizeof cmd, "%s trace --pid %d --out %s/zombie.trace 2>&1", heaplab, (int)zp, dir);
	T_EQ_INT(live_sh(cmd, &out), 2, "--pid of a zombie: exit 2");
	T_OK(out.data && strstr(out.data, "has exited"), "says it has exited");
	hl_buf_free(&out);
	waitpid(zp, NULL, 0);
	/* a program on musl's libc */
	snprintf(cmd, sizeof cmd,
		 "printf '#include <unistd.h>\\nint main(void) { pause(); return 0; }\\n' > %s/m.c && "
		 "musl-gcc -o %s/musl %s/m.c",
		 dir, dir, dir);
	T_EQ_INT(live_sh(cmd, NULL), 0, "a musl program built (musl-tools)");
	snprintf(cmd, sizeof cmd, "%s/musl", dir);
	pid_t mp = fork();
	if (mp == 0) {
		execl(cmd, "musl", (char *)NULL);
		_exit(127);
	}
	usleep(200000);
	snprintf(cmd, sizeof cmd, "%s trace --pid %d --out %s/musl.trace 2>&1", heaplab, (int)mp, dir);
	T_EQ_INT(live_sh(cmd, &out), 2, "--pid of a musl program: exit 2");
	T_OK(out.data && strstr(out.data, "uses musl, not glibc"), "says it is not glibc: %s",
	     out.data ? out.data : "");
	hl_buf_free(&out);
	kill(mp, SIGKILL);
	waitpid(mp, NULL, 0);
	/* another user's process, as an unprivileged user */
	if (geteuid() == 0) {
		snprintf(cmd, sizeof cmd,
			 "setpriv --reuid=65534 --regid=65534 --clear-groups %s trace --pid %d --out "
			 "/tmp/heaplab-nobody-%d.trace 2>&1",
			 heaplab, (int)pid, (int)getpid());
		T_EQ_INT(live_sh(cmd, &out), 2, "as nobody, --pid of root's process: exit 2");
		T_OK(out.data && strstr(out.data, "uid 0") && strstr(out.data, "root"),
		     "names whose it is and what it takes: %s", out.data ? out.data : "");
		hl_buf_free(&out);
		char left[128];
		snprintf(left, sizeof left, "/tmp/heaplab-nobody-%d.trace", (int)getpid());
		T_OK(access(left, F_OK) != 0, "and leaves no file");
	} else {
		T_OK(false, "the other-user case needs root to act as nobody");
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	trace_t_init();
	snprintf(dir, sizeof dir, "/tmp/heaplab-family-XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	wrapper();
	prefork();
	stacks();
	attach();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return t_done();
}
