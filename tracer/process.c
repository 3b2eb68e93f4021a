/*
 * process.c — the recorder's start and endings: the trace file of each
 * process (the first one's FILE, then FILE.PID), its PROCESS record (how it
 * began, its parent, its command line), fork (the child's own file), exec
 * (the image writes everything, then an EXEC record and an END saying where
 * its trace goes on), exit, _exit and the fatal signals.
 *
 * Endings: each thread's buffer is written when it fills and when the
 * thread exits (a pthread key destructor); at exit a destructor writes every
 * buffer, the module map (/proc/self/maps, read with raw syscalls) and an
 * END record. SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT (glibc's abort on
 * a double free) write the buffers and an END record that says the trace
 * was cut by a signal, then the signal takes its course. A forked child
 * writes its own trace to FILE.PID (HEAPLAB_TRACE_FORK=child, the default)
 * or none (=none), starting from the heap its parent had at the fork. An
 * exec (execve and the rest of the family) writes all of the old image's
 * events before the kernel throws the image away; the new image, which
 * inherits LD_PRELOAD, writes FILE.PID (FILE.PID.NN when that is taken).
 * Every file of one heaplab trace run carries the run's family token
 * (HEAPLAB_TRACE_FAMILY), so a reader knows its own from a leftover.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "recorder.h"

/* ------------------------------------------------------------ endings */

/* Every buffer is taken from its thread (waiting up to ~2 ms for one that
 * is mid-event), written, and closed: its thread records no more, so
 * nothing is written twice or after the END record. A buffer its own
 * thread holds mid-event (a fatal signal inside the recorder) is skipped. */
void flush_all(void)
{
	uint32_t n = atomic_load(&g.nthreads);
	for (uint32_t i = 0; i < n && i < MAX_THREADS; i++) {
		tbuf_t *t = g.threads[i];
		if (!t)
			continue;
		for (int tries = 0; tries < 2000; tries++) {
			int z = BUF_FREE;
			if (atomic_compare_exchange_strong(&t->busy, &z, BUF_CLOSED)) {
				flush(t);
				break;
			}
			if (z != BUF_OWNER || t == tb)
				break; /* parked or closed: nothing held; or ours, mid-event */
			struct timespec ts = {0, 1000};
			nanosleep(&ts, NULL);
		}
	}
}

/* /proc/self/maps, read with syscalls: one MODULE record per mapping of a
 * file that is executable (what the stacks' addresses fall in). */
void modules(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	static char buf[1 << 16];
	static uint8_t rec[4200];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			unsigned long lo, hi, off;
			char perms[8];
			int pos = 0;
			/* sscanf does not allocate for these conversions */
			if (sscanf(line, "%lx-%lx %7s %lx %*s %*s%n", &lo, &hi, perms, &off, &pos) >= 4 &&
			    perms[2] == 'x') {
				const char *path = line + pos;
				while (*path == ' ')
					path++;
				if (*path == '/') {
					uint8_t *p = rec;
					p = hlt_put(p, lo);
					p = hlt_put(p, hi);
					p = hlt_put(p, off);
					size_t pl = strlen(path);
					if (pl > 4096)
						pl = 4096;
					memcpy(p, path, pl);
					record(HLT_REC_MODULE, rec, (size_t)(p - rec) + pl);
				}
			}
			line = nl + 1;
		}
		have = (size_t)(buf + have - line);
		memmove(buf, line, have);
	}
	close(fd);
}

/* The END record (after an EXEC record naming exec_path, for an exec). */
static void finish_with(int how, const char *exec_path)
{
	if (getpid() != g.owner)
		return;
	int one = 1;
	if (!atomic_compare_exchange_strong(&g.state, &one, 2))
		return;
	in_hook++;
	flush_all();
	modules();
	rss_record();
	clock_record();
	uint8_t b[4200], *p = b;
	if (exec_path) {
		p = hlt_put(p, __rdtsc() >> HLT_TSC_SHIFT);
		size_t n = strlen(exec_path);
		n = n > 4096 ? 4096 : n;
		memcpy(p, exec_path, n);
		record(HLT_REC_EXEC, b, (size_t)(p - b) + n);
		p = b;
	}
	p = hlt_put(p, atomic_load(&g.events));
	p = hlt_put(p, (uint64_t)how);
	record(HLT_REC_END, b, (size_t)(p - b));
	in_hook--;
}

void finish(int how)
{
	finish_with(how, NULL);
}

/* _exit skips the destructors: a forked child that ends with it would lose
 * what it had not yet written. */
EXPORT void _exit(int status)
{
	/* a vfork child shares our memory: ending the trace is its parent's
	 * business */
	if (getpid() == g.owner)
		finish(HLT_END_EXIT);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

EXPORT void _Exit(int status)
{
	_exit(status);
}

static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

static void on_fatal(int sig)
{
	finish(HLT_END_SIGNAL);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* --------------------------------------------------------------- exec */

/* The old image ends its trace before the exec: the kernel keeps nothing of
 * its buffers. Returns whether it did (a vfork child, which shares its
 * parent's memory and file, leaves the trace alone). */
static bool exec_begin(const char *path)
{
	if (getpid() != g.owner || atomic_load(&g.state) != 1)
		return false;
	int e = errno;
	finish_with(HLT_END_EXEC, path ? path : "");
	errno = e;
	return true;
}

/* The exec failed and the image goes on: so does its trace (a reader takes
 * the records after an END of HLT_END_EXEC as a failed exec). */
void exec_failed(void)
{
	int e = errno;
	uint32_t n = atomic_load(&g.nthreads);
	for (uint32_t i = 0; i < n && i < MAX_THREADS; i++) {
		int closed = BUF_CLOSED;
		if (g.threads[i])
			atomic_compare_exchange_strong(&g.threads[i]->busy, &closed, BUF_FREE);
	}
	atomic_store(&g.state, 1);
	errno = e;
}

/* glibc's own exec functions (its PATH search included), from libc itself:
 * RTLD_NEXT would find this library again when it was loaded by an attach. */
static void *libc_fn(const char *name)
{
	in_hook++; /* dlopen, dlsym may allocate */
	void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	void *f = h ? dlsym(h, name) : NULL;
	in_hook--;
	return f;
}

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);

static int run_execve(const char *name, const char *path, char *const argv[], char *const envp[])
{
	execve_fn f = (execve_fn)libc_fn(name);
	bool ended = exec_begin(path);
	int r = f ? f(path, argv, envp) : (errno = ENOSYS, -1);
	if (ended)
		exec_failed();
	return r;
}

static int run_execv(const char *name, const char *path, char *const argv[])
{
	execv_fn f = (execv_fn)libc_fn(name);
	bool ended = exec_begin(path);
	int r = f ? f(path, argv) : (errno = ENOSYS, -1);
	if (ended)
		exec_failed();
	return r;
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return run_execve("execve", path, argv, envp);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return run_execve("execvpe", file, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
	return run_execv("execv", path, argv);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return run_execv("execvp", file, argv);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	int (*f)(int, char *const[], char *const[]) =
		(int (*)(int, char *const[], char *const[]))libc_fn("fexecve");
	bool ended = exec_begin("(fexecve)");
	int r = f ? f(fd, argv, envp) : (errno = ENOSYS, -1);
	if (ended)
		exec_failed();
	return r;
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	int (*f)(int, const char *, char *const[], char *const[], int) =
		(int (*)(int, const char *, char *const[], char *const[], int))libc_fn("execveat");
	bool ended = exec_begin(path);
	int r = f ? f(dirfd, path, argv, envp, flags) : (errno = ENOSYS, -1);
	if (ended)
		exec_failed();
	return r;
}

/* execl, execlp, execle: their arguments gathered into an array on the
 * stack (no malloc), as glibc's own do. */
#define MAX_ARGS 4096
#define GATHER(argv, arg0, ap, n)                                        \
	do {                                                              \
		argv[0] = (char *)(arg0);                                 \
		for (n = 1; argv[n - 1] && n < MAX_ARGS; n++)             \
			argv[n] = va_arg(ap, char *);                     \
		if (argv[n - 1]) {                                        \
			errno = E2BIG;                                    \
			va_end(ap);                                       \
			return -1;                                        \
		}                                                         \
	} while (0)

/* execl and execlp: the arguments gathered, then execv or execvp. */
#define EXEC_L(name, real)                                        \
	EXPORT int name(const char *path, const char *arg, ...)   \
	{                                                         \
		char *argv[MAX_ARGS];                             \
		va_list ap;                                       \
		size_t n;                                         \
		va_start(ap, arg);                                \
		GATHER(argv, arg, ap, n);                         \
		va_end(ap);                                       \
		return run_execv(real, path, argv);               \
	}
EXEC_L(execl, "execv")
EXEC_L(execlp, "execvp")

EXPORT int execle(const char *path, const char *arg, ...)
{
	char *argv[MAX_ARGS];
	va_list ap;
	size_t n;
	va_start(ap, arg);
	GATHER(argv, arg, ap, n);
	char *const *envp = va_arg(ap, char *const *);
	va_end(ap);
	return run_execve("execve", path, argv, envp);
}

/* ------------------------------------------------------------ the file */

/* The PROCESS record: the family, the parent, how it began, the fork's
 * time and the command line (/proc/self/cmdline, read with syscalls). */
static void process_record(int how)
{
	static uint8_t b[4200];
	uint8_t *p = b;
	p = hlt_put(p, g.family);
	p = hlt_put(p, (uint64_t)getppid());
	p = hlt_put(p, (uint64_t)how);
	p = hlt_put(p, how == HLT_PROC_FORK ? g.fork_tsc : 0);
	p = hlt_put(p, (uint64_t)g.depth);
	p = hlt_put(p, g.unwind ? 1 : 0);
	size_t room = sizeof b - (size_t)(p - b), have = 0;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n;
		while (have < room && (n = read(fd, p + have, room - have)) > 0)
			have += (size_t)n;
		close(fd);
	}
	record(HLT_REC_PROCESS, b, (size_t)(p - b) + have);
}

/* base itself for the first process (HLT_PROC_ROOT), else base.PID, or
 * base.PID.K when a forked child already made base.PID before it exec'd;
 * an attach opens base, which heaplab made empty for it. */
int open_trace(const char *base, int how)
{
	char path[4200];
	int fd = -1;
	if (how == HLT_PROC_ATTACH) {
		struct stat st;
		fd = open(base, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0 && (fstat(fd, &st) || st.st_size != 0 || !S_ISREG(st.st_mode))) {
			close(fd);
			return -1;
		}
	} else if (how == HLT_PROC_ROOT) {
		fd = open(base, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			how = HLT_PROC_IMAGE; /* taken: a program exec'd or spawned */
	}
	size_t n = strlen(base);
	if (fd < 0 && how != HLT_PROC_ATTACH && n < 4000) {
		memcpy(path, base, n);
		char num[16];
		int k = 0;
		for (long pid = getpid(); pid; pid /= 10)
			num[k++] = (char)('0' + pid % 10);
		path[n++] = '.';
		while (k)
			path[n++] = num[--k];
		path[n] = '\0';
		for (int again = 0; fd < 0 && again < 100; again++) {
			if (again) {
				path[n] = '.';
				path[n + 1] = (char)('0' + again / 10);
				path[n + 2] = (char)('0' + again % 10);
				path[n + 3] = '\0';
			}
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
			if (fd < 0 && errno != EEXIST)
				break;
		}
	}
	if (fd < 0)
		return -1;
	/* high, out of the way of a program that closes or reuses the low
	 * descriptors; fd_ours() checks it is still this file before a write */
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 900);
	if (high >= 0) {
		close(fd);
		fd = high;
	}
	struct stat st;
	if (fstat(fd, &st)) {
		close(fd);
		return -1;
	}
	g.dev = st.st_dev;
	g.ino = st.st_ino;
	g.owner = getpid();
	g.fd = fd;
	hlt_header_t h;
	memset(&h, 0, sizeof h);
	memcpy(h.magic, HLT_MAGIC, 8);
	h.version = HLT_VERSION;
	h.pid = (uint32_t)getpid();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	h.start_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	h.page_size = (uint32_t)sysconf(_SC_PAGESIZE);
	h.flags = how == HLT_PROC_FORK ? HLT_F_CHILD : how == HLT_PROC_ATTACH ? HLT_F_ATTACHED : 0;
	write_all(&h, sizeof h);
	process_record(how);
	clock_record();
	return 0;
}

/* --------------------------------------------------------------- fork */

static void at_fork_prepare(void)
{
	g.fork_tsc = __rdtsc() >> HLT_TSC_SHIFT;
}

static void at_fork_child(void)
{
	if (atomic_load(&g.state) != 1)
		return; /* not tracing (an attach that has detached): nothing to do */
	/* only this thread lives on; its buffer holds the parent's events */
	tbuf_t *me = tb;
	if (g.fd >= 0)
		close(g.fd);
	g.fd = -1;
	if (!g.fork_child || open_trace(g.path, HLT_PROC_FORK)) {
		atomic_store(&g.state, 2);
		return;
	}
	atomic_store(&g.events, 0);
	for (uint32_t i = 0; i < MAX_THREADS; i++)
		g.threads[i] = NULL;
	atomic_store(&g.nthreads, 0);
	table_reset();
	atomic_store(&g.next_thread, 0);
	if (me && me != GONE) {
		tbuf_reset(me);
		me->thread = atomic_fetch_add(&g.next_thread, 1);
		atomic_store(&me->busy, BUF_FREE);
		g.threads[atomic_fetch_add(&g.nthreads, 1)] = me;
		uint8_t b[24], *p = b;
		p = hlt_put(p, me->thread);
		p = hlt_put(p, (uint64_t)syscall(SYS_gettid));
		record(HLT_REC_THREAD, b, (size_t)(p - b));
	}
}

/* ------------------------------------------------------------- start */

void unwind_load(void)
{
	in_hook++; /* dlopen allocates */
	void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
	if (h)
		g.unwind = (int (*)(void **, int))dlsym(h, "unw_backtrace");
	in_hook--;
	if (!g.unwind) {
		static const char msg[] = "heaplab trace: libunwind.so.8 not found "
					  "(apt-get install libunwind8); no stacks\n";
		if (write(2, msg, sizeof msg - 1) < 0)
			g.depth = 0;
		g.depth = 0;
	}
}

/* Hooks that exist once per process, whichever way the recorder came in. */
void process_hooks(void)
{
	if (!g.have_key && pthread_key_create(&g.key, thread_gone) == 0) {
		g.have_key = true;
		pthread_atfork(at_fork_prepare, NULL, at_fork_child);
	}
}

__attribute__((constructor)) static void init(void)
{
	const char *path = getenv("HEAPLAB_TRACE_FILE");
	if (!path || !*path || strlen(path) >= sizeof g.path)
		return; /* loaded by an attach, or not by heaplab: attach.c */
	memcpy(g.path, path, strlen(path) + 1);
	const char *d = getenv("HEAPLAB_TRACE_DEPTH");
	g.depth = d ? atoi(d) : 8;
	if (g.depth < 0)
		g.depth = 0;
	if (g.depth > MAX_DEPTH)
		g.depth = MAX_DEPTH;
	const char *u = getenv("HEAPLAB_TRACE_UNWIND");
	if (u && !strcmp(u, "libunwind"))
		unwind_load();
	const char *f = getenv("HEAPLAB_TRACE_FORK");
	g.fork_child = !f || strcmp(f, "none") != 0;
	const char *fam = getenv("HEAPLAB_TRACE_FAMILY");
	g.family = fam ? strtoull(fam, NULL, 16) : 0;
	table_reset();
	in_hook++; /* pthread_key_create, pthread_atfork may allocate */
	process_hooks();
	if (open_trace(g.path, HLT_PROC_ROOT) == 0 && g.have_key) {
		for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
			struct sigaction old, sa;
			memset(&sa, 0, sizeof sa);
			sa.sa_handler = on_fatal;
			sa.sa_flags = SA_NODEFER | SA_RESETHAND;
			/* never over the program's own handler */
			if (sigaction(fatal[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
				sigaction(fatal[i], &sa, NULL);
		}
		atomic_store(&g.last_rss_ns, mono_ns());
		atomic_store(&g.state, 1);
	}
	in_hook--;
}

__attribute__((destructor)) static void fini(void)
{
	finish(HLT_END_EXIT);
}

HOOK_ALIAS(_exit);
HOOK_ALIAS(_Exit);
HOOK_ALIAS(execve);
HOOK_ALIAS(execvpe);
HOOK_ALIAS(execv);
HOOK_ALIAS(execvp);
HOOK_ALIAS(fexecve);
HOOK_ALIAS(execveat);
HOOK_ALIAS(execl);
HOOK_ALIAS(execlp);
HOOK_ALIAS(execle);
