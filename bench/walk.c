/*
 * walk — what a heap walk costs against copying the heap, on every shape of
 * tests/helpers/heap_shape: brk_pin (allocated and freed), swiss (k=2),
 * blocks16k, and the seeded mixed heap at 1, 2, 4 and 8 GiB and at 1 GiB
 * with 4 threads.
 *
 * For each heap a target is started and waits; then, medians of 5:
 *   walk     hl_walk_process_opts with the layout cache kept across walks,
 *            in a forked child (the first walk, which reads libc's DWARF,
 *            is timed apart); the child's VmHWM over its VmRSS before the
 *            first walk is the walker's peak RSS growth;
 *   copy     every heap of the target (the [heap] mapping and the 64 MiB
 *            aligned arena heaps, from /proc/PID/maps) with process_vm_readv
 *            in 64 MiB pieces, of the pages pagemap says present only (read
 *            first, untimed), so the copy faults nothing in either;
 *   pagemap  the pagemap of those heaps, 64 Ki entries a pread.
 * The walk's mallinfo2 is checked against the one the target printed.
 * Then the mixed heaps as a scaling table, and the goals, met or not.
 *
 * Only the walker's public interface is used (heaplab.h): the walker may
 * change under this bench.
 *
 * usage: walk [HEAP...]   the heaps by label (default: all of them)
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "heaplab.h"

#define REPS 5
#define PIECE (64ULL << 20)	 /* the copy's process_vm_readv pieces */
#define PM_BATCH 65536		 /* pagemap entries per pread */
#define ARENA_HEAP (64ULL << 20) /* HEAP_MAX_SIZE: arena heaps are aligned to it */
#define WALK_BUDGET_MS 60000.0	 /* past this, fewer than 5 timed walks */
#define WALK_TIMEOUT_MS 900000.0 /* the first walk and the timed ones, together */
#define BUILD_TIMEOUT_MS 600000
#define MIB (1024.0 * 1024.0)
#define GIB (1024.0 * MIB)

typedef struct shape {
	const char *label;
	const char *args[4]; /* heap_shape's arguments */
	int mixed;	     /* a row of the scaling table */
} shape_t;

static const shape_t shapes[] = {
    {"brk_pin_allocated", {"brk_pin_allocated"}, 0},
    {"brk_pin_freed", {"brk_pin_freed"}, 0},
    {"swiss_k2", {"swiss", "--keep-every=2"}, 0},
    {"blocks16k", {"blocks16k"}, 0},
    {"mixed_1g", {"mixed", "--gib=1", "--seed=1"}, 1},
    {"mixed_2g", {"mixed", "--gib=2", "--seed=1"}, 1},
    {"mixed_4g", {"mixed", "--gib=4", "--seed=1"}, 1},
    {"mixed_8g", {"mixed", "--gib=8", "--seed=1"}, 1},
    {"mixed_1g_t4", {"mixed", "--gib=1", "--seed=1", "--threads=4"}, 1},
    /* the report that started it: 1M blocks, 3 in 4 of 16..528 B, 1 in 4 of
     * 1..61 KiB, half freed at random (~7.5 GiB, 250,000 free chunks) */
    {"halffree", {"halffree"}, 0},
};
#define NSHAPES (sizeof shapes / sizeof *shapes)

/* What the walk child sends back through its pipe. */
typedef struct walk_res {
	int rc;
	char err[512];
	double first_ms, ms[REPS];
	int n;
	int64_t reads, pagemap_reads, bytes_read;
	hl_mallinfo_t mi;
	bool complete;
	char warning[256];
	long rss0_kb, hwm_kb; /* VmRSS before the first walk; VmHWM at the end */
} walk_res_t;

typedef struct range {
	uint64_t start, end;
	uint64_t *present; /* one bit per page */
} range_t;

typedef struct result {
	const shape_t *s;
	bool run, ok;
	char why[600];
	double build_ms, first_ms, walk_ms, copy_ms, pm_ms;
	int nwalks;
	uint64_t heap_bytes, resident_bytes;
	int nheaps;
	hl_mallinfo_t target;
	walk_res_t w;
	long copy_calls, pm_calls;
	bool copy_short; /* a copy got fewer bytes than pagemap said resident */
} result_t;

static pid_t kids[2]; /* the target and the walk child, killed on any exit */
static long page_size;
static uint64_t copied; /* bytes the copy's calls returned */

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void kill_kid(int i)
{
	if (kids[i] > 0) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
		kids[i] = 0;
	}
}

static void kill_kids(void)
{
	kill_kid(1);
	kill_kid(0);
}

static void on_signal(int sig)
{
	kill_kids();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A forked child dies with the bench, however the bench ends. */
static void die_with_parent(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

static void helper_path(char *out, size_t sz)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = 0;
	snprintf(out, sz, "%s/../tests/helpers/heap_shape", slash ? self : ".");
}

/* Reads len bytes from fd within the deadline; how many came. */
static size_t read_within(int fd, void *buf, size_t len, double deadline)
{
	size_t got = 0;
	while (got < len) {
		struct pollfd p = {fd, POLLIN, 0};
		int left = (int)(deadline - now_ms());
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* Reads one line from fd within the deadline; 0, or -1 on EOF/timeout. */
static int read_line(int fd, char *line, size_t sz, double deadline)
{
	for (size_t n = 0; n + 1 < sz; n++) {
		if (read_within(fd, line + n, 1, deadline) != 1)
			return -1;
		if (line[n] == '\n') {
			line[n] = 0;
			return 0;
		}
	}
	line[sz - 1] = 0;
	return 0;
}

static int parse_mallinfo(const char *line, hl_mallinfo_t *m)
{
	long long v[8];
	if (sscanf(line, "mallinfo2 %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		return -1;
	*m = (hl_mallinfo_t){true, v[0], v[1], v[2], v[3], v[4], 0, 0, v[5], v[6], v[7]};
	return 0;
}

/* Starts heap_shape and waits for its two lines: its pid, or -1 (why says). */
static pid_t start_target(result_t *r)
{
	char path[PATH_MAX + 32];
	helper_path(path, sizeof path);
	const char *argv[8] = {path};
	for (int i = 0; i < 4 && r->s->args[i]; i++)
		argv[i + 1] = r->s->args[i];
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		die_with_parent(parent);
		dup2(fds[1], 1);
		close(fds[0]);
		execv(path, (char **)argv);
		_exit(127);
	}
	close(fds[1]);
	kids[0] = pid;
	double t0 = now_ms();
	char line[256], mline[512];
	int bad = read_line(fds[0], line, sizeof line, t0 + BUILD_TIMEOUT_MS) ||
		  read_line(fds[0], mline, sizeof mline, t0 + BUILD_TIMEOUT_MS);
	r->build_ms = now_ms() - t0;
	close(fds[0]);
	if (bad || strncmp(line, "ready ", 6) || parse_mallinfo(mline, &r->target)) {
		snprintf(r->why, sizeof r->why, "%s did not get ready", path);
		return -1;
	}
	return pid;
}

static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t k = strlen(key);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, key, k) && line[k] == ':')
			v = strtol(line + k + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* The walk child: a first walk, then up to REPS timed ones. */
static void walk_child(pid_t pid, walk_res_t *res)
{
	hl_glibc_layout_t cache;
	hl_walk_t w;
	hl_error_t err = {0};
	memset(&cache, 0, sizeof cache);
	res->rss0_kb = status_kb("VmRSS");
	double t0 = now_ms();
	res->rc = hl_walk_process_opts(pid, &cache, 0, &w, &err);
	res->first_ms = now_ms() - t0;
	if (res->rc) {
		snprintf(res->err, sizeof res->err, "%s", err.msg);
		return;
	}
	hl_walk_free(&w);
	double spent = 0;
	for (res->n = 0; res->n < REPS && (res->n == 0 || spent < WALK_BUDGET_MS); res->n++) {
		t0 = now_ms();
		res->rc = hl_walk_process_opts(pid, &cache, 0, &w, &err);
		res->ms[res->n] = now_ms() - t0;
		spent += res->ms[res->n];
		if (res->rc) {
			snprintf(res->err, sizeof res->err, "%s", err.msg);
			return;
		}
		res->reads = w.reads;
		res->pagemap_reads = w.pagemap_reads;
		res->bytes_read = w.bytes_read;
		res->mi = w.mallinfo2;
		res->complete = w.complete;
		snprintf(res->warning, sizeof res->warning, "%s", w.warning);
		hl_walk_free(&w);
	}
	res->hwm_kb = status_kb("VmHWM");
}

static int run_walks(pid_t target, result_t *r)
{
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		die_with_parent(parent);
		close(fds[0]);
		walk_res_t res;
		memset(&res, 0, sizeof res);
		walk_child(target, &res);
		ssize_t n = write(fds[1], &res, sizeof res);
		_exit(n == (ssize_t)sizeof res ? 0 : 1);
	}
	close(fds[1]);
	kids[1] = pid;
	size_t got = read_within(fds[0], &r->w, sizeof r->w, now_ms() + WALK_TIMEOUT_MS);
	close(fds[0]);
	kill_kid(1); /* it has exited, or overran its time */
	if (got != sizeof r->w) {
		snprintf(r->why, sizeof r->why, "the walk child died or took over %.0f s",
			 WALK_TIMEOUT_MS / 1e3);
		return -1;
	}
	if (r->w.rc) {
		snprintf(r->why, sizeof r->why, "walk failed: %s", r->w.err);
		return -1;
	}
	r->first_ms = r->w.first_ms;
	r->nwalks = r->w.n;
	r->walk_ms = median(r->w.ms, r->w.n);
	return 0;
}

/* An arena heap: anonymous rw-p, starting on a 64 MiB boundary and ending
 * on one or where its ---p remainder begins (the kernel merges adjacent
 * full heaps into one mapping, so it may span several). */
static bool arena_heap(const char *perms, unsigned long inode, const char *path, uint64_t s,
		       uint64_t e, uint64_t next_s, uint64_t next_e, const char *next_perms)
{
	if (strcmp(perms, "rw-p") || inode || path[0] || s % ARENA_HEAP)
		return false;
	if (e % ARENA_HEAP == 0)
		return true;
	return next_s == e && !strcmp(next_perms, "---p") && next_e % ARENA_HEAP == 0;
}

/* The target's heaps from its maps; their count, or -1. */
static int find_heaps(pid_t pid, range_t *v, int max)
{
	char fn[64], line[4096];
	snprintf(fn, sizeof fn, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(fn, "r");
	if (!f)
		return -1;
	struct {
		uint64_t s, e;
		unsigned long inode;
		char perms[8], path[256];
	} cur = {0}, nxt = {0};
	int n = 0, have = 0;
	for (;;) {
		int more = fgets(line, sizeof line, f) != NULL;
		if (more) {
			int off = 0;
			nxt.path[0] = 0;
			sscanf(line, "%lx-%lx %7s %*x %*x:%*x %lu %n", &nxt.s, &nxt.e, nxt.perms,
			       &nxt.inode, &off);
			sscanf(line + off, "%255s", nxt.path);
		}
		if (have && n < max &&
		    (!strcmp(cur.path, "[heap]") ||
		     arena_heap(cur.perms, cur.inode, cur.path, cur.s, cur.e, more ? nxt.s : 0,
				more ? nxt.e : 1, more ? nxt.perms : "")))
			v[n++] = (range_t){cur.s, cur.e, NULL};
		if (!more)
			break;
		cur = nxt;
		have = 1;
	}
	fclose(f);
	return n;
}

/* One pass over the heaps' pagemap; with keep, the present bits are kept. */
static long pagemap_pass(int fd, range_t *h, int nh, bool keep, uint64_t *resident)
{
	static uint64_t e[PM_BATCH];
	long calls = 0;
	for (int i = 0; i < nh; i++) {
		uint64_t first = h[i].start / (uint64_t)page_size,
			 n = (h[i].end - h[i].start) / (uint64_t)page_size;
		for (uint64_t k = 0; k < n; k += PM_BATCH) {
			size_t want = n - k < PM_BATCH ? (size_t)(n - k) : PM_BATCH;
			ssize_t got = pread(fd, e, want * 8, (off_t)((first + k) * 8));
			calls++;
			for (size_t j = 0; keep && got > 0 && j < (size_t)got / 8; j++)
				if (e[j] >> 63) {
					h[i].present[(k + j) / 64] |= 1ULL << ((k + j) % 64);
					(*resident) += (uint64_t)page_size;
				}
		}
	}
	return calls;
}

static bool present(const range_t *h, uint64_t page)
{
	return h->present[page / 64] >> (page % 64) & 1;
}

static long copy_call(pid_t pid, const struct iovec *lv, const struct iovec *rv, int n)
{
	ssize_t got = process_vm_readv(pid, lv, (unsigned long)n, rv, (unsigned long)n, 0);
	if (got > 0)
		copied += (uint64_t)got;
	return 1;
}

/* Copies the present pages of [a, b) of heap h into buf: runs of present
 * pages, IOV_MAX of them a call. */
static long copy_piece(pid_t pid, const range_t *h, uint64_t a, uint64_t b, char *buf)
{
	static struct iovec lv[IOV_MAX], rv[IOV_MAX];
	long calls = 0;
	int n = 0;
	uint64_t ps = (uint64_t)page_size;
	for (uint64_t p = a; p < b;) {
		uint64_t pg = (p - h->start) / ps;
		if (!present(h, pg)) {
			p += ps;
			continue;
		}
		uint64_t q = p;
		while (q < b && present(h, (q - h->start) / ps))
			q += ps;
		lv[n] = (struct iovec){buf + (p - a), q - p};
		rv[n] = (struct iovec){(void *)(uintptr_t)p, q - p};
		if (++n == IOV_MAX) {
			calls += copy_call(pid, lv, rv, n);
			n = 0;
		}
		p = q;
	}
	if (n)
		calls += copy_call(pid, lv, rv, n);
	return calls;
}

static long copy_all(pid_t pid, const range_t *h, int nh, char *buf)
{
	long calls = 0;
	for (int i = 0; i < nh; i++)
		for (uint64_t a = h[i].start; a < h[i].end; a += PIECE)
			calls += copy_piece(pid, &h[i], a,
					    h[i].end - a < PIECE ? h[i].end : a + PIECE, buf);
	return calls;
}

/* pagemap timed, then read once more for the present bits, then the copy timed. */
static int measure_copy(pid_t pid, result_t *r)
{
	static char *buf;
	if (!buf) {
		buf = malloc(PIECE);
		if (!buf)
			return -1;
		memset(buf, 0, PIECE); /* faulted in now, not during a copy */
	}
	static range_t h[1024];
	int nh = find_heaps(pid, h, 1024);
	char fn[64];
	snprintf(fn, sizeof fn, "/proc/%d/pagemap", (int)pid);
	int fd = open(fn, O_RDONLY);
	if (nh <= 0 || fd < 0) {
		snprintf(r->why, sizeof r->why, "no heaps or no pagemap");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	double t[REPS];
	for (int i = 0; i < nh; i++) {
		r->heap_bytes += h[i].end - h[i].start;
		h[i].present = calloc((h[i].end - h[i].start) / (uint64_t)page_size / 64 + 1, 8);
	}
	r->nheaps = nh;
	for (int i = 0; i < REPS; i++) {
		double t0 = now_ms();
		r->pm_calls = pagemap_pass(fd, h, nh, false, NULL);
		t[i] = now_ms() - t0;
	}
	r->pm_ms = median(t, REPS);
	pagemap_pass(fd, h, nh, true, &r->resident_bytes);
	close(fd);
	for (int i = 0; i < REPS; i++) {
		copied = 0;
		double t0 = now_ms();
		r->copy_calls = copy_all(pid, h, nh, buf);
		t[i] = now_ms() - t0;
		r->copy_short |= copied != r->resident_bytes;
	}
	r->copy_ms = median(t, REPS);
	for (int i = 0; i < nh; i++)
		free(h[i].present);
	return 0;
}

static void run_shape(result_t *r)
{
	r->run = true;
	pid_t pid = start_target(r);
	if (pid > 0 && run_walks(pid, r) == 0 && measure_copy(pid, r) == 0)
		r->ok = true;
	kill_kids();
}

/* "exact", or the walk's figures that differ from the target's, walk - target. */
static void mallinfo_diff(const result_t *r, char *out, size_t sz)
{
	const hl_mallinfo_t *w = &r->w.mi, *t = &r->target;
	const char *name[] = {"arena", "ordblks", "uordblks", "fordblks", "keepcost"};
	int64_t d[] = {w->arena - t->arena, w->ordblks - t->ordblks, w->uordblks - t->uordblks,
		       w->fordblks - t->fordblks, w->keepcost - t->keepcost};
	size_t n = 0;
	out[0] = 0;
	for (int i = 0; i < 5; i++)
		if (d[i] && n < sz)
			n += (size_t)snprintf(out + n, sz - n, "%s%s %+lld", n ? ", " : "", name[i],
					      (long long)d[i]);
	if (!n)
		snprintf(out, sz, "exact");
}

static double ratio(const result_t *r)
{
	return r->walk_ms / r->copy_ms;
}

static long peak_kb(const result_t *r)
{
	return r->w.hwm_kb - r->w.rss0_kb;
}

static void print_times(const result_t *res, size_t n)
{
	printf("%-18s %9s %9s %8s %8s %8s %10s %9s %8s %8s %6s\n", "heap", "heap", "resident",
	       "free", "fastbin", "build", "first walk", "walk", "copy", "pagemap", "walk/");
	printf("%-18s %9s %9s %8s %8s %8s %10s %9s %8s %8s %6s\n", "", "MiB", "MiB", "chunks",
	       "chunks", "s", "ms", "ms", "ms", "ms", "copy");
	for (size_t i = 0; i < n; i++) {
		const result_t *r = &res[i];
		if (!r->run)
			continue;
		if (!r->ok) {
			printf("%-18s failed: %s\n", r->s->label, r->why);
			continue;
		}
		printf("%-18s %9.0f %9.0f %8lld %8lld %8.1f %10.1f %8.1f%c %8.1f %8.2f %6.2f%s\n",
		       r->s->label, (double)r->heap_bytes / MIB, (double)r->resident_bytes / MIB,
		       (long long)r->target.ordblks, (long long)r->target.smblks, r->build_ms / 1e3,
		       r->first_ms, r->walk_ms, r->nwalks < REPS ? '*' : ' ', r->copy_ms, r->pm_ms,
		       ratio(r), r->copy_short ? "  (copy short)" : "");
	}
}

static void print_costs(const result_t *res, size_t n)
{
	printf("%-18s %10s %10s %9s %11s %7s %7s  %s\n", "heap", "walk", "(pagemap)", "walk",
	       "walker peak", "copy", "pagemap", "walk's mallinfo2");
	printf("%-18s %10s %10s %9s %11s %7s %7s  %s\n", "", "syscalls", "", "MiB read", "RSS MiB",
	       "calls", "calls", "against the target's");
	for (size_t i = 0; i < n; i++) {
		const result_t *r = &res[i];
		if (!r->run || !r->ok)
			continue;
		char diff[256];
		mallinfo_diff(r, diff, sizeof diff);
		printf("%-18s %10lld %10lld %9.1f %11.1f %7ld %7ld  %s%s%s\n", r->s->label,
		       (long long)(r->w.reads + r->w.pagemap_reads), (long long)r->w.pagemap_reads,
		       (double)r->w.bytes_read / MIB, (double)peak_kb(r) / 1024, r->copy_calls,
		       r->pm_calls, diff,
		       r->w.complete ? "" : "; incomplete: ", r->w.complete ? "" : r->w.warning);
	}
}

static void print_scaling(const result_t *res, size_t n)
{
	printf("%-18s %9s %8s %9s %8s %6s %12s %14s\n", "mixed heap", "heap GiB", "free", "walk ms",
	       "copy ms", "walk/", "walk ms", "walk us per");
	printf("%-18s %9s %8s %9s %8s %6s %12s %14s\n", "", "", "chunks", "", "", "copy", "per GiB",
	       "1000 free");
	for (size_t i = 0; i < n; i++) {
		const result_t *r = &res[i];
		if (!r->run || !r->ok || !r->s->mixed)
			continue;
		double gib = (double)r->heap_bytes / GIB;
		printf("%-18s %9.2f %8lld %9.1f %8.1f %6.2f %12.1f %14.1f\n", r->s->label, gib,
		       (long long)r->target.ordblks, r->walk_ms, r->copy_ms, ratio(r),
		       r->walk_ms / gib, r->walk_ms * 1e3 / ((double)r->target.ordblks / 1e3));
	}
}

static const result_t *find(const result_t *res, size_t n, const char *label)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(res[i].s->label, label))
			return &res[i];
	return NULL;
}

/* One goal: the worst figure over the heaps whose label starts with prefix. */
static void goal(const result_t *res, size_t n, const char *what, const char *prefix, double max,
		 bool rss)
{
	double worst = -1;
	const char *at = "";
	bool missing = false;
	for (size_t i = 0; i < n; i++) {
		const result_t *r = &res[i];
		if (strncmp(r->s->label, prefix, strlen(prefix)))
			continue;
		if (!r->run || !r->ok) {
			missing = true;
			continue;
		}
		double v = rss ? (double)peak_kb(r) / 1024 : ratio(r);
		if (v > worst) {
			worst = v;
			at = r->s->label;
		}
	}
	char fig[96];
	if (worst < 0)
		snprintf(fig, sizeof fig, "not measured");
	else
		snprintf(fig, sizeof fig, rss ? "%.1f MiB (%s)" : "%.2f (%s)", worst, at);
	printf("  %-46s %-30s %s\n", what, fig,
	       worst < 0 || missing ? "NOT met (not all measured)"
				    : (worst <= max ? "met" : "NOT met"));
}

int main(int argc, char **argv)
{
	page_size = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	atexit(kill_kids);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, on_signal);
	result_t res[NSHAPES];
	memset(res, 0, sizeof res);
	for (size_t i = 0; i < NSHAPES; i++) {
		res[i].s = &shapes[i];
		bool want = argc < 2;
		for (int a = 1; a < argc; a++)
			want |= !strcmp(argv[a], shapes[i].label);
		if (want)
			run_shape(&res[i]);
	}
	for (int a = 1; a < argc; a++)
		if (!find(res, NSHAPES, argv[a]))
			fprintf(stderr, "walk: no heap called %s\n", argv[a]);
	printf("times (medians of %d; * fewer walks: the first ones took over %.0f s)\n", REPS,
	       WALK_BUDGET_MS / 1e3);
	print_times(res, NSHAPES);
	printf("\nwhat a walk costs (syscalls: process_vm_readv + pagemap preads; peak RSS: the\n"
	       "walk child's VmHWM over its VmRSS before the first walk, DWARF load included)\n");
	print_costs(res, NSHAPES);
	printf("\nscaling, mixed heaps (seed 1)\n");
	print_scaling(res, NSHAPES);
	printf("\ngoals (walk/copy)\n");
	goal(res, NSHAPES, "mixed <= 0.50 at every size", "mixed", 0.5, false);
	goal(res, NSHAPES, "brk_pin allocated <= 0.25", "brk_pin_allocated", 0.25, false);
	goal(res, NSHAPES, "brk_pin freed <= 0.05", "brk_pin_freed", 0.05, false);
	goal(res, NSHAPES, "blocks16k <= 0.25", "blocks16k", 0.25, false);
	goal(res, NSHAPES, "swiss k=2 <= 0.75", "swiss_k2", 0.75, false);
	goal(res, NSHAPES, "no heap above 1.00", "", 1.0, false);
	goal(res, NSHAPES, "walker peak RSS <= 128 MiB on the 8 GiB heap", "mixed_8g", 128, true);
	return 0;
}
