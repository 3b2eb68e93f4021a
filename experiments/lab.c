/*
 * lab.c — the experiment side of the phase protocol, parameters and
 * descriptions (see lab.h). It owns the only state an experiment has besides
 * its own: the descriptors to the harness, two memfds that catch malloc_info
 * and malloc_stats, and a fixed buffer for the message. Nothing here calls
 * malloc after lab_init(): a phase must not move the figures it reports.
 *
 * It does not link libheaplab on purpose: an experiment is a small program a
 * reader should be able to read whole, and the harness owns all parsing.
 */
#include "lab.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include "mallinfo2_compat.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LAB_MAX_OBS 64

/* Parameters every experiment has, besides its own. */
static lab_param_t lab_common[] = {
	{"hold_ms", 500, 0, 600000,
	 "milliseconds to stay at each phase, so the timeline shows the state", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static struct lab_state {
	const lab_experiment_t *exp;
	int to_harness;   /* write end of the phase pipe, -1 when alone */
	int from_harness; /* read end of the acknowledgement pipe */
	int info_fd;      /* memfd that malloc_info writes to */
	FILE *info_file;  /* info_fd as a FILE, with a fixed buffer */
	int stats_fd;     /* memfd that malloc_stats writes to (as fd 2) */
	int saved_stderr; /* fd 2 as it was, restored after malloc_stats */
	int nobs;
	struct {
		char key[64];
		double value;
	} obs[LAB_MAX_OBS];
	char line[8192];        /* one message line, formatted with snprintf */
	char copy[65536];       /* memfd -> pipe copy buffer */
	char info_buf[BUFSIZ];  /* info_file's stdio buffer */
	char stay_at[64];       /* HEAPLAB_STAY_AT: the phase to stay in (alone) */
} lab = {.to_harness = -1, .from_harness = -1, .info_fd = -1, .stats_fd = -1};

static void lab_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void lab_die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", lab.exp ? lab.exp->name : "experiment");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void usage(FILE *f)
{
	const lab_experiment_t *e = lab.exp;
	fprintf(f, "usage: %s [--NAME=VALUE]...\n\n%s\n\nparameters:\n", e->name, e->lesson);
	lab_param_t *tables[] = {e->params, lab_common};
	for (int t = 0; t < 2; t++)
		for (lab_param_t *p = tables[t]; p && p->name; p++)
			fprintf(f, "  --%s=N   %s (default %lld, %lld..%lld)\n", p->name, p->help,
				p->def, p->min, p->max);
	fprintf(f, "\nphases: %s\n\nRun it under the harness: heaplab run %s [-- --NAME=VALUE...]\n",
		e->phases, e->name);
}

static void describe(void)
{
	const lab_experiment_t *e = lab.exp;
	printf("name: %s\nlesson: %s\nphases: %s\nlook: %s\nexpect: %s\n", e->name, e->lesson,
	       e->phases, e->look ? e->look : "", e->expect ? e->expect : "");
	lab_param_t *tables[] = {e->params, lab_common};
	for (int t = 0; t < 2; t++)
		for (lab_param_t *p = tables[t]; p && p->name; p++)
			printf("param: %s %lld %lld %lld %s\n", p->name, p->def, p->min, p->max,
			       p->help);
	for (const char *const *g = e->glibc; g && *g; g++)
		printf("glibc: %s\n", *g);
	for (const char *const *l = e->steps; l && *l; l++)
		printf("step: %s\n", *l);
}

static lab_param_t *find_param(const lab_experiment_t *e, const char *name, size_t len)
{
	lab_param_t *tables[] = {e->params, lab_common};
	for (int t = 0; t < 2; t++)
		for (lab_param_t *p = tables[t]; p && p->name; p++)
			if (strlen(p->name) == len && strncmp(p->name, name, len) == 0)
				return p;
	return NULL;
}

static void parse_args(const lab_experiment_t *e, int argc, char **argv, int *check)
{
	for (lab_param_t *p = e->params; p && p->name; p++)
		p->value = p->def;
	for (lab_param_t *p = lab_common; p->name; p++)
		p->value = p->def;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(a, "--describe")) {
			describe();
			exit(0);
		}
		if (!strcmp(a, "--check")) {
			*check = 1;
			continue;
		}
		const char *eq = strchr(a, '=');
		if (strncmp(a, "--", 2) != 0 || !eq) {
			fprintf(stderr, "%s: unexpected argument '%s': parameters are --NAME=VALUE\n",
				e->name, a);
			usage(stderr);
			exit(2);
		}
		lab_param_t *p = find_param(e, a + 2, (size_t)(eq - a - 2));
		if (!p) {
			fprintf(stderr, "%s: unknown parameter '%.*s'\n", e->name, (int)(eq - a), a);
			usage(stderr);
			exit(2);
		}
		char *end;
		errno = 0;
		long long v = strtoll(eq + 1, &end, 0);
		if (errno || end == eq + 1 || *end || v < p->min || v > p->max)
			lab_die("--%s must be an integer from %lld to %lld, got '%s'", p->name, p->min,
				p->max, eq + 1);
		p->value = v;
	}
}

static void open_protocol(void)
{
	const char *stay = getenv("HEAPLAB_STAY_AT");
	if (stay)
		snprintf(lab.stay_at, sizeof lab.stay_at, "%s", stay);
	const char *fds = getenv("HEAPLAB_PHASE_FDS");
	if (!fds)
		return;
	int w, r;
	if (sscanf(fds, "%d,%d", &w, &r) != 2 || fcntl(w, F_GETFD) < 0 || fcntl(r, F_GETFD) < 0)
		lab_die("HEAPLAB_PHASE_FDS='%s' does not name two open descriptors", fds);
	lab.to_harness = w;
	lab.from_harness = r;
	/* The descriptors are ours alone: a program this experiment runs must
	 * not inherit them. */
	fcntl(w, F_SETFD, FD_CLOEXEC);
	fcntl(r, F_SETFD, FD_CLOEXEC);
	unsetenv("HEAPLAB_PHASE_FDS");

	lab.info_fd = memfd_create("heaplab-malloc-info", MFD_CLOEXEC);
	lab.stats_fd = memfd_create("heaplab-malloc-stats", MFD_CLOEXEC);
	lab.saved_stderr = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (lab.info_fd < 0 || lab.stats_fd < 0 || lab.saved_stderr < 0)
		lab_die("cannot create the phase buffers: %s", strerror(errno));
	/* fdopen allocates the FILE now, and setvbuf gives it a fixed buffer,
	 * so malloc_info() at a phase allocates nothing. */
	lab.info_file = fdopen(lab.info_fd, "w+");
	if (!lab.info_file || setvbuf(lab.info_file, lab.info_buf, _IOFBF, sizeof lab.info_buf))
		lab_die("cannot open the malloc_info buffer: %s", strerror(errno));
}

void lab_init(const lab_experiment_t *exp, int argc, char **argv)
{
	lab.exp = exp;
	int check = 0;
	parse_args(exp, argc, argv, &check);
	if (check)
		exit(0);
	open_protocol();
}

long long lab_param(const lab_experiment_t *exp, const char *name)
{
	lab_param_t *p = find_param(exp, name, strlen(name));
	if (!p)
		lab_die("bug: parameter '%s' is not declared", name);
	return p->value;
}

static int valid_name(const char *s, const char *extra)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      strchr(extra, *s)))
			return 0;
	return 1;
}

void lab_observe(const char *key, double value)
{
	if (!valid_name(key, ""))
		lab_die("bug: observation key '%s' is not [a-z0-9_]{1,63}", key);
	for (int i = 0; i < lab.nobs; i++)
		if (!strcmp(lab.obs[i].key, key)) {
			lab.obs[i].value = value;
			return;
		}
	if (lab.nobs == LAB_MAX_OBS)
		lab_die("bug: more than %d observations in one phase", LAB_MAX_OBS);
	snprintf(lab.obs[lab.nobs].key, sizeof lab.obs[0].key, "%s", key);
	lab.obs[lab.nobs++].value = value;
}

/* write(2) all of it; a harness that went away is not our failure: the
 * experiment carries on alone. */
static int send_all(const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(lab.to_harness, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int send_line(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(lab.line, sizeof lab.line, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof lab.line)
		return -1;
	return send_all(lab.line, (size_t)n);
}

/* Sends "<tag> <len>\n" and then the memfd's bytes and a newline. */
static int send_memfd(const char *tag, int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -1;
	if (send_line("%s %lld\n", tag, (long long)st.st_size))
		return -1;
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = pread(fd, lab.copy, sizeof lab.copy, off);
		if (n <= 0)
			return -1;
		if (send_all(lab.copy, (size_t)n))
			return -1;
		off += n;
	}
	return send_all("\n", 1);
}

static void capture_malloc_info(void)
{
	rewind(lab.info_file);
	if (ftruncate(lab.info_fd, 0) == 0) {
		malloc_info(0, lab.info_file);
		fflush(lab.info_file);
	}
}

static void capture_malloc_stats(void)
{
	/* malloc_stats() prints to stderr, which is unbuffered: point fd 2 at
	 * the memfd for the duration of the call. */
	if (ftruncate(lab.stats_fd, 0) || lseek(lab.stats_fd, 0, SEEK_SET) < 0)
		return;
	fflush(stderr);
	if (dup2(lab.stats_fd, 2) < 0)
		return;
	malloc_stats();
	dup2(lab.saved_stderr, 2);
}

/* /proc/self/statm: size and resident, in pages; -1 if unreadable. */
static void statm_pages(long long *size, long long *rss)
{
	char buf[256];
	*size = *rss = -1;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	if (n > 0) {
		buf[n] = '\0';
		sscanf(buf, "%lld %lld", size, rss);
	}
	close(fd);
}

long long lab_rss_bytes(void)
{
	long long size, rss;
	statm_pages(&size, &rss);
	return rss < 0 ? -1 : rss * sysconf(_SC_PAGESIZE);
}

static void phase_alone(const char *name)
{
	long long size, rss;
	statm_pages(&size, &rss);
	long page = sysconf(_SC_PAGESIZE);
	struct mallinfo2 mi = mallinfo2();
	int n = snprintf(lab.line, sizeof lab.line,
			 "%s: %-10s rss %8.1f MiB  vsz %8.1f MiB  arena %8.1f MiB  in use %8.1f "
			 "MiB  free %8.1f MiB  mmapped %8.1f MiB\n",
			 lab.exp->name, name, rss * page / 1048576.0, size * page / 1048576.0,
			 mi.arena / 1048576.0, (mi.uordblks + mi.hblkhd) / 1048576.0,
			 mi.fordblks / 1048576.0, mi.hblkhd / 1048576.0);
	if (n > 0 && write(2, lab.line, (size_t)n) < 0) {
		/* nowhere left to say it */
	}
}

/* Stays in the phase's state for --hold_ms, so samples (and the plot) show
 * it, not just an instant. nanosleep allocates nothing. */
static void hold(void)
{
	long long ms = lab_common[0].value;
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void lab_phase(const char *name)
{
	if (!valid_name(name, "-"))
		lab_die("bug: phase name '%s' is not [a-z0-9_-]{1,63}", name);
	if (lab.to_harness < 0) {
		phase_alone(name);
		lab.nobs = 0;
		/* a test holds the process in one phase until it kills it */
		while (!strcmp(name, lab.stay_at))
			pause();
		hold();
		return;
	}
	struct mallinfo2 mi = mallinfo2();
	capture_malloc_info();
	capture_malloc_stats();

	int bad = send_line("phase %s\n", name) ||
		  send_line("mallinfo2 %zu %zu %zu %zu %zu %zu %zu %zu %zu %zu\n", mi.arena,
			    mi.ordblks, mi.smblks, mi.hblks, mi.hblkhd, mi.usmblks, mi.fsmblks,
			    mi.uordblks, mi.fordblks, mi.keepcost);
	if (LAB_MALLINFO_INT && !bad) /* the figures are mallinfo's ints */
		bad = send_line("obs mallinfo_int 1\n");
	for (int i = 0; i < lab.nobs && !bad; i++)
		bad = send_line("obs %s %.17g\n", lab.obs[i].key, lab.obs[i].value);
	lab.nobs = 0;
	bad = bad || send_memfd("malloc_info", lab.info_fd) ||
	      send_memfd("malloc_stats", lab.stats_fd) || send_line("end\n");

	/* Wait for the harness to have sampled us. */
	char ack;
	ssize_t n;
	do
		n = bad ? 0 : read(lab.from_harness, &ack, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		/* The harness is gone: go on alone rather than die mid-experiment. */
		close(lab.to_harness);
		close(lab.from_harness);
		lab.to_harness = lab.from_harness = -1;
		phase_alone(name);
	}
	hold();
}

int lab_trim(void)
{
	int r = malloc_trim(0);
	lab_observe("malloc_trim", r);
	return r;
}

void *lab_scratch(unsigned long long bytes)
{
	void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (p == MAP_FAILED)
		lab_die("cannot map %llu bytes of scratch memory: %s", bytes, strerror(errno));
	return p;
}

void lab_touch(void *p, unsigned long long bytes)
{
	volatile char *c = p;
	long page = sysconf(_SC_PAGESIZE);
	for (unsigned long long i = 0; i < bytes; i += (unsigned long long)page)
		c[i] = 1;
	if (bytes)
		c[bytes - 1] = 1;
}

void **lab_blocks(long long n, unsigned long long size)
{
	void **block = lab_scratch((unsigned long long)n * sizeof *block);
	for (long long i = 0; i < n; i++) {
		block[i] = malloc(size);
		if (!block[i]) {
			fprintf(stderr, "%s: malloc(%llu) failed after %lld blocks\n", lab.exp->name,
				size, i);
			exit(1);
		}
		lab_touch(block[i], size);
	}
	return block;
}

void lab_free_blocks(void **blocks, long long n, int reverse)
{
	for (long long i = 0; i < n; i++)
		free(blocks[reverse ? n - 1 - i : i]);
}

int lab_chunk_is_mmapped(const void *p)
{
	/* the size field sits just below the pointer malloc returned; bit 1 is
	 * IS_MMAPPED (glibc malloc/malloc.c) */
	return (((const size_t *)p)[-1] & 2) != 0;
}

/* Written through a volatile: the compiler must assume it is read. */
static void *volatile lab_sink;

void lab_keep(void *p)
{
	lab_sink = p;
}
