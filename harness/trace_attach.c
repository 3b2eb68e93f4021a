/*
 * trace_attach.c — heaplab trace --pid PID: records a process that is
 * already running, from now, and leaves it running. As a debugger calls a
 * function in its inferior: the process's main thread is stopped with
 * ptrace (PTRACE_SEIZE, PTRACE_INTERRUPT) at a point where it is not inside
 * glibc (or is in a system call there: not holding malloc's locks), its
 * registers saved, and made to call dlopen on libheaplab-trace.so and then
 * heaplab_trace_attach (tracer/attach.c), which writes the recorder's hooks
 * into every module's GOT; its registers are put back and it goes on. At
 * the end (--duration, Ctrl-C) it is made to call heaplab_trace_detach,
 * which puts the GOTs back and writes the END record; if it exits first,
 * the recorder's destructor ends the trace. Only the thread called in is
 * stopped, and only for the calls; the other threads run on.
 *
 * Each call returns to address 0: the SIGSEGV that follows is where ptrace
 * takes the thread back (the signal is not delivered). Signals that come
 * for the thread meanwhile are held and delivered at the detach.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "trace.h"

typedef struct target {
	pid_t pid;
	char name[64];
	uid_t uid;
	gid_t gid;
	uint64_t libc_base, libc_lo, libc_hi; /* its load address; its code */
	char libc_file[PATH_MAX];             /* the mapped file, to read */
	uint64_t rec_lo, rec_hi;              /* the recorder's code, once loaded */
	char lib[PATH_MAX];                   /* the recorder to load */
	struct user_regs_struct regs;         /* as it was stopped */
	uint8_t xstate[16384];
	struct iovec xv;
	int held_sig; /* a signal that came during a call: delivered at the detach */
	bool seized;
} target_t;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	say_error("%s", msg);
	return EXIT_USAGE;
}

/* ----------------------------------------------------------- the process */

/* Whether an ELF file asks for a program interpreter (is dynamic). */
static int is_dynamic(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	size_t n = 0;
	int dyn = e ? 0 : -1;
	if (e && elf_getphdrnum(e, &n) == 0)
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP)
				dyn = 1;
		}
	if (e)
		elf_end(e);
	close(fd);
	return dyn;
}

/* The target's libc from its maps (and the recorder, once loaded). */
static int read_maps(target_t *t, bool *musl, hl_error_t *err)
{
	hl_buf_t b = {0};
	if (hl_procfs_read(t->pid, "maps", &b, err))
		return -1;
	*musl = false;
	t->libc_base = t->libc_lo = t->libc_hi = 0;
	for (char *line = b.data, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		unsigned long long lo, hi, off;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s%n", &lo, &hi, perms, &off, &pos) < 4)
			continue;
		const char *path = line + pos;
		while (*path == ' ')
			path++;
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		if (strstr(path, "musl"))
			*musl = true; /* ld-musl, or the libc.so it links to */
		if (!strcmp(path, t->lib) && perms[2] == 'x') {
			t->rec_lo = lo;
			t->rec_hi = hi;
		}
		if (strncmp(base, "libc.so.6", 9) && strncmp(base, "libc-2.", 7))
			continue;
		if (off == 0 && !t->libc_base) {
			t->libc_base = lo;
			if (hl_proc_mapped_file(t->pid, lo, hi, path, t->libc_file, sizeof t->libc_file))
				snprintf(t->libc_file, sizeof t->libc_file, "/proc/%d/root%s", (int)t->pid,
					 path);
		}
		if (perms[2] == 'x') {
			t->libc_lo = lo;
			t->libc_hi = hi;
		}
	}
	hl_buf_free(&b);
	return 0;
}

/* ---------------------------------------------------------------- ptrace */

static int wait_stop(pid_t pid, int *sig)
{
	int st;
	for (;;) {
		if (waitpid(pid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return -ESRCH;
		if (WIFSTOPPED(st)) {
			/* an interrupt or group stop reads as an event stop */
			*sig = (st >> 16) == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(st);
			return 0;
		}
	}
}

static int mem_write(pid_t pid, uint64_t addr, const void *p, size_t n)
{
	struct iovec l = {(void *)p, n}, r = {(void *)(uintptr_t)addr, n};
	return process_vm_writev(pid, &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -1;
}

static int mem_read(pid_t pid, uint64_t addr, void *p, size_t n)
{
	struct iovec l = {p, n}, r = {(void *)(uintptr_t)addr, n};
	return process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -1;
}

/* Stopped where a call is safe: not inside libc's code (its locks) unless
 * in a system call there, not inside the recorder. Lets it run a moment
 * and stops it again until then. */
static int stop_safely(target_t *t)
{
	for (int tries = 0; tries < 400; tries++) {
		int sig = 0;
		if (ptrace(PTRACE_INTERRUPT, t->pid, 0, 0) || wait_stop(t->pid, &sig))
			return -ESRCH;
		if (sig && !t->held_sig && sig != SIGSTOP && sig != SIGTRAP)
			t->held_sig = sig;
		if (ptrace(PTRACE_GETREGS, t->pid, 0, &t->regs))
			return -errno;
		uint64_t ip = t->regs.rip;
		uint8_t insn[2] = {0};
		bool in_libc = ip >= t->libc_lo && ip < t->libc_hi;
		bool in_rec = t->rec_hi && ip >= t->rec_lo && ip < t->rec_hi;
		bool at_syscall = mem_read(t->pid, ip - 2, insn, 2) == 0 && insn[0] == 0x0f && insn[1] == 0x05;
		if (!in_rec && (!in_libc || at_syscall)) {
			t->xv = (struct iovec){t->xstate, sizeof t->xstate};
			if (ptrace(PTRACE_GETREGSET, t->pid, (void *)NT_X86_XSTATE, &t->xv))
				t->xv.iov_len = 0;
			return 0;
		}
		if (ptrace(PTRACE_CONT, t->pid, 0, 0))
			return -errno;
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
	}
	return -EBUSY;
}

/* Puts the registers back as they were stopped. */
static void restore(target_t *t)
{
	ptrace(PTRACE_SETREGS, t->pid, 0, &t->regs);
	if (t->xv.iov_len)
		ptrace(PTRACE_SETREGSET, t->pid, (void *)NT_X86_XSTATE, &t->xv);
}

/* fn(a0, a1) in the stopped thread, strings first copied below its stack:
 * s0 and s1 (when not NULL) are passed instead of a0 and a1. */
static int call(target_t *t, uint64_t fn, const char *s0, uint64_t a0, const char *s1, uint64_t a1,
		uint64_t *ret)
{
	struct user_regs_struct r = t->regs;
	uint64_t top = (t->regs.rsp - 256) & ~(uint64_t)15; /* past the red zone */
	size_t n0 = s0 ? strlen(s0) + 1 : 0, n1 = s1 ? strlen(s1) + 1 : 0;
	uint64_t p0 = (top - n0) & ~(uint64_t)15, p1 = (p0 - n1) & ~(uint64_t)15;
	if ((s0 && mem_write(t->pid, p0, s0, n0)) || (s1 && mem_write(t->pid, p1, s1, n1)))
		return -EFAULT;
	uint64_t sp = ((p1 - 512) & ~(uint64_t)15) - 8, zero = 0;
	if (mem_write(t->pid, sp, &zero, 8))
		return -EFAULT;
	r.rsp = sp;
	r.rip = fn;
	r.rdi = s0 ? p0 : a0;
	r.rsi = s1 ? p1 : a1;
	r.rax = 0;
	r.orig_rax = (unsigned long long)-1; /* no system call to restart */
	if (ptrace(PTRACE_SETREGS, t->pid, 0, &r) || ptrace(PTRACE_CONT, t->pid, 0, 0))
		return -errno;
	for (;;) {
		int sig = 0;
		if (wait_stop(t->pid, &sig))
			return -ESRCH;
		if (sig == SIGSEGV) {
			if (ptrace(PTRACE_GETREGS, t->pid, 0, &r))
				return -errno;
			if (r.rip == 0) {
				*ret = r.rax;
				return 0;
			}
			return -EFAULT; /* the call itself faulted */
		}
		if (sig && sig != SIGSTOP && sig != SIGTRAP && !t->held_sig)
			t->held_sig = sig;
		if (ptrace(PTRACE_CONT, t->pid, 0, 0))
			return -errno;
	}
}

/* Why we may not ptrace pid, for the message. */
static void why_not(const target_t *t, char *out, size_t outsz)
{
	char scope[16] = "";
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
	if (f) {
		if (!fgets(scope, sizeof scope, f))
			scope[0] = '\0';
		fclose(f);
		scope[strcspn(scope, "\n")] = '\0';
	}
	hl_buf_t b = {0};
	int tracer = 0;
	if (hl_procfs_read(t->pid, "status", &b, NULL) == 0 && b.data) {
		const char *tp = strstr(b.data, "TracerPid:");
		tracer = tp ? atoi(tp + 10) : 0;
	}
	hl_buf_free(&b);
	if (tracer)
		snprintf(out, outsz, "it is being traced by process %d already (a debugger?)", tracer);
	else if (t->uid != geteuid() && geteuid() != 0)
		snprintf(out, outsz,
			 "it belongs to uid %u and heaplab runs as uid %u: run heaplab as that user, or "
			 "as root (CAP_SYS_PTRACE)",
			 (unsigned)t->uid, (unsigned)geteuid());
	else if (scope[0] && strcmp(scope, "0"))
		snprintf(out, outsz,
			 "kernel.yama.ptrace_scope is %s: only root (CAP_SYS_PTRACE) may attach to a "
			 "process that is not its child (sysctl kernel.yama.ptrace_scope=0 allows it)",
			 scope);
	else
		snprintf(out, outsz,
			 "ptrace is not allowed here (a container without CAP_SYS_PTRACE, or a "
			 "seccomp policy): run heaplab as root on the host, or with --cap-add=SYS_PTRACE");
}

/* ----------------------------------------------------------------- flow */

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}

/* The recorder build that suits the target's glibc. */
static int pick_recorder(target_t *t, const char *version)
{
	char dir[PATH_MAX];
	exe_dir(dir, sizeof dir);
	int minor = 0, host = 0;
	sscanf(version, "2.%d", &minor);
	sscanf(hl_sysinfo_glibc(), "2.%d", &host);
	if (minor >= host)
		snprintf(t->lib, sizeof t->lib, "%s/libheaplab-trace.so", dir);
	else
		snprintf(t->lib, sizeof t->lib, "%s/glibc-2.31/libheaplab-trace.so", dir);
	char real[PATH_MAX];
	if (!realpath(t->lib, real))
		return fail("the recorder for glibc %s, %s, is missing (%s)", version, t->lib,
			    minor >= host ? "make builds it" : "make matrix builds it");
	snprintf(t->lib, sizeof t->lib, "%s", real);
	if (minor < 31)
		return fail("process %d runs glibc %s; the recorder is built for 2.31 and later",
			    (int)t->pid, version);
	/* the process must see the very file at that path */
	char there[PATH_MAX + 32];
	struct stat a, b;
	snprintf(there, sizeof there, "/proc/%d/root%s", (int)t->pid, t->lib);
	if (stat(t->lib, &a) || stat(there, &b) || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return fail("process %d runs in another file system (a container): it cannot load %s; "
			    "run heaplab inside it",
			    (int)t->pid, t->lib);
	return 0;
}

static int check_target(target_t *t)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d", (int)t->pid);
	if (stat(path, &st) || (kill(t->pid, 0) && errno == ESRCH))
		return fail("no process %d (it is not running)", (int)t->pid);
	t->uid = st.st_uid;
	t->gid = st.st_gid;
	hl_status_t s;
	hl_error_t err = {0};
	hl_buf_t b = {0};
	if (hl_procfs_read(t->pid, "status", &b, &err) == 0 && hl_status_parse(b.data, b.len, &s, &err) == 0)
		snprintf(t->name, sizeof t->name, "%s", s.name);
	hl_buf_free(&b);
	if (t->pid == getpid())
		return fail("heaplab cannot trace itself");
	/* its state: a stopped process would be set running by the calls, a
	 * zombie has nothing left to trace */
	char state = '?';
	if (hl_procfs_read(t->pid, "stat", &b, NULL) == 0 && b.data) {
		const char *rp = strrchr(b.data, ')');
		if (rp && rp[1] == ' ')
			state = rp[2];
	}
	hl_buf_free(&b);
	if (state == 'Z' || state == 'X')
		return fail("process %d (%s) has exited (a zombie): nothing to trace", (int)t->pid,
			    t->name);
	if (state == 'T' || state == 't')
		return fail("process %d (%s) is stopped (%s): heaplab would set it running; continue "
			    "it first (kill -CONT %d) or detach its debugger",
			    (int)t->pid, t->name, state == 'T' ? "by a signal" : "by a tracer",
			    (int)t->pid);
	bool musl = false;
	if (read_maps(t, &musl, &err)) {
		if (t->uid != geteuid())
			return fail("cannot read /proc/%d/maps: it belongs to uid %u and heaplab runs as "
				    "uid %u; attaching takes ptrace: run heaplab as that user, or as root "
				    "(CAP_SYS_PTRACE)",
				    (int)t->pid, (unsigned)t->uid, (unsigned)geteuid());
		return fail("cannot read /proc/%d/maps even as its owner (%s): it is not dumpable "
			    "(prctl PR_SET_DUMPABLE 0) or in another user namespace, and cannot be "
			    "attached to",
			    (int)t->pid, strerror(-err.code));
	}
	if (!t->libc_base) {
		snprintf(path, sizeof path, "/proc/%d/exe", (int)t->pid);
		if (musl)
			return fail("process %d (%s) uses musl, not glibc: the recorder is glibc's",
				    (int)t->pid, t->name);
		if (is_dynamic(path) == 0)
			return fail("process %d (%s) is a static binary: it has no dynamic loader to "
				    "load the recorder into (link it dynamically to trace it)",
				    (int)t->pid, t->name);
		return fail("process %d (%s) has no glibc mapped: not a glibc program", (int)t->pid,
			    t->name);
	}
	char version[32];
	if (hl_glibc_file_version(t->libc_file, version, sizeof version))
		return fail("process %d (%s): its libc (%s) is not glibc", (int)t->pid, t->name,
			    t->libc_file);
	return pick_recorder(t, version);
}

/* dlopen the recorder and start the trace. */
static int attach_calls(target_t *t, const char *config, uint64_t *detach_fn)
{
	uint64_t dl_open = hl_elf_dynamic_function(t->libc_file, "dlopen"), dl_sym = hl_elf_dynamic_function(t->libc_file, "dlsym"),
		 dl_err = hl_elf_dynamic_function(t->libc_file, "dlerror");
	if (!dl_open) /* before 2.34: libdl's, or libc's private one */
		dl_open = hl_elf_dynamic_function(t->libc_file, "__libc_dlopen_mode");
	if (!dl_sym)
		dl_sym = hl_elf_dynamic_function(t->libc_file, "__libc_dlsym");
	if (!dl_open || !dl_sym)
		return fail("process %d: its libc has no dlopen to call", (int)t->pid);
	uint64_t h = 0, fa = 0, rc = 0;
	int e = call(t, t->libc_base + dl_open, t->lib, 0, NULL, 2 /* RTLD_NOW */, &h);
	if (e)
		return fail("process %d: calling dlopen failed (%s)", (int)t->pid, strerror(-e));
	if (!h) {
		char why[512] = "no reason given";
		uint64_t s = 0;
		if (dl_err && call(t, t->libc_base + dl_err, NULL, 0, NULL, 0, &s) == 0 && s) {
			mem_read(t->pid, s, why, sizeof why - 1);
			why[sizeof why - 1] = '\0';
		}
		return fail("process %d could not load %s: %s", (int)t->pid, t->lib, why);
	}
	if ((e = call(t, t->libc_base + dl_sym, NULL, h, "heaplab_trace_attach", 0, &fa)) || !fa ||
	    (e = call(t, t->libc_base + dl_sym, NULL, h, "heaplab_trace_detach", 0, detach_fn)) ||
	    !*detach_fn)
		return fail("process %d: the recorder's entry points were not found (%s)", (int)t->pid,
			    e ? strerror(-e) : "dlsym");
	if ((e = call(t, fa, config, 0, NULL, 0, &rc)))
		return fail("process %d: starting the recorder failed (%s)", (int)t->pid, strerror(-e));
	int r = (int)(int32_t)rc;
	if (r == -EBUSY)
		return fail("process %d is being traced already (another heaplab trace --pid)",
			    (int)t->pid);
	if (r)
		return fail("process %d could not open the trace file (%s)", (int)t->pid, strerror(-r));
	return 0;
}

static void detach(target_t *t)
{
	if (!t->seized)
		return;
	restore(t);
	ptrace(PTRACE_DETACH, t->pid, 0, (void *)(intptr_t)t->held_sig);
	t->seized = false;
	t->held_sig = 0;
}

static int seize(target_t *t)
{
	if (ptrace(PTRACE_SEIZE, t->pid, 0, 0)) {
		char why[400];
		int e = errno;
		why_not(t, why, sizeof why);
		if (e == ESRCH)
			return fail("process %d is gone", (int)t->pid);
		return fail("cannot attach to process %d (%s): %s: %s", (int)t->pid, t->name,
			    strerror(e), why);
	}
	t->seized = true;
	int e = stop_safely(t);
	if (e) {
		detach(t);
		return fail(e == -EBUSY ? "process %d stayed inside glibc for 400 tries: no safe "
					  "point to call the recorder from"
					: "process %d went away while being stopped",
			    (int)t->pid);
	}
	return 0;
}

int trace_attach(pid_t pid, const char *out, const char *depth, const char *unwind,
		 double duration_s)
{
	target_t *t = calloc(1, sizeof *t);
	if (!t)
		return 1;
	t->pid = pid;
	int rc = check_target(t);
	if (rc)
		goto done;
	/* the file, made here, given to the process's user (heaplab may be root) */
	int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = errno == EEXIST ? (say_error("%s already exists: a trace is never written over "
						  "(choose another --out)",
						  out),
					1)
				     : (say_error("cannot create %s: %s", out, strerror(errno)), 1);
		goto done;
	}
	if (geteuid() == 0 && fchown(fd, t->uid, t->gid))
		fprintf(stderr, "heaplab: could not give %s to uid %u\n", out, (unsigned)t->uid);
	close(fd);
	char config[PATH_MAX + 200];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(config, sizeof config, "file=%s\ndepth=%s\nunwind=%s\nfamily=%llx\n", out, depth,
		 unwind, (unsigned long long)((uint64_t)now.tv_nsec ^ ((uint64_t)pid << 32)));
	if ((rc = seize(t))) {
		unlink(out);
		goto done;
	}
	uint64_t detach_fn = 0;
	rc = attach_calls(t, config, &detach_fn);
	detach(t);
	if (rc) {
		unlink(out);
		goto done;
	}
	bool musl;
	hl_error_t merr = {0};
	read_maps(t, &musl, &merr); /* where the recorder's code now is */
	fprintf(stderr, "heaplab: attached to %d (%s): recording into %s", (int)pid, t->name, out);
	if (duration_s > 0)
		fprintf(stderr, " for %g s", duration_s);
	fprintf(stderr, " (Ctrl-C stops; the process goes on)\n");
	/* until the duration, a Ctrl-C, or the process's exit */
	struct sigaction sa = {0}, old_int, old_term;
	sa.sa_handler = on_stop; /* no SA_RESTART: poll returns */
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bool exited = false;
	while (!stop_asked) {
		struct timespec t1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double left = duration_s > 0 ? duration_s - (double)(t1.tv_sec - t0.tv_sec) -
						       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9
					     : 1.0;
		if (duration_s > 0 && left <= 0)
			break;
		int ms = (int)(left * 1000) > 250 ? 250 : (int)(left * 1000) + 1;
		if (pfd >= 0) {
			struct pollfd p = {pfd, POLLIN, 0};
			if (poll(&p, 1, ms) > 0) {
				exited = true;
				break;
			}
		} else {
			struct timespec ts = {0, (long)ms * 1000000};
			nanosleep(&ts, NULL);
			if (kill(pid, 0) && errno == ESRCH) {
				exited = true;
				break;
			}
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (pfd >= 0)
		close(pfd);
	if (exited) {
		fprintf(stderr, "heaplab: %d exited; its trace ends at its exit\n", (int)pid);
	} else if ((rc = seize(t)) == 0) {
		uint64_t events = 0;
		int e = call(t, detach_fn, NULL, 0, NULL, 0, &events);
		detach(t);
		if (e)
			rc = fail("process %d: stopping the recorder failed (%s)", (int)pid, strerror(-e));
		else
			fprintf(stderr, "heaplab: detached from %d after %lld events; it goes on\n",
				(int)pid, (long long)events);
	} else if (kill(pid, 0) && errno == ESRCH) {
		rc = 0;
		fprintf(stderr, "heaplab: %d exited; its trace ends at its exit\n", (int)pid);
	}
	trace_summary(out, stderr);
done:
	free(t);
	return rc;
}
