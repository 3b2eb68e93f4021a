/*
 * trace.c — libheaplab-trace.so, the allocation recorder heaplab trace
 * preloads. It interposes malloc, free, calloc, realloc, reallocarray,
 * memalign, posix_memalign, aligned_alloc, valloc, pvalloc and malloc_trim,
 * calls glibc's own (__libc_malloc and friends: no dlsym at start-up, so no
 * calloc recursion), and records each call in the format of
 * tracer/trace_format.h into HEAPLAB_TRACE_FILE.
 *
 * Nothing here calls malloc or stdio while tracing. Each thread encodes its
 * events into its own buffer (mmap'd at its first event) and writes a full
 * buffer with one write(2) on the O_APPEND descriptor, so blocks of
 * different threads never interleave. A thread-local flag makes any
 * allocation made from inside a hook (pthread_getattr_np, dlsym) go straight
 * to glibc, untraced.
 *
 * Stacks: frame pointers from the hook up, at most HEAPLAB_TRACE_DEPTH
 * (default 8, at most 32) return addresses, each frame checked to lie on the
 * thread's stack above the last; code built without frame pointers gives
 * short stacks, never a fault. With HEAPLAB_TRACE_UNWIND=libunwind,
 * libunwind's unw_backtrace (dlopen'ed, from the unwind tables) instead:
 * whole stacks through any code, at a higher cost per call. Stacks are deduplicated in a global table (a
 * 64-bit hash per stack) and written once, as a STACK record, by the thread
 * that first sees them.
 *
 * Time: the TSC (9 ns to read here against 21 ns for clock_gettime), in
 * units of 16 ticks, as deltas per thread; CLOCK records pair the TSC with
 * CLOCK_MONOTONIC so the reader can convert.
 *
 * Endings: each thread's buffer is written when it fills and when the thread
 * exits (a pthread key destructor); at exit a destructor writes every
 * buffer, the module map (/proc/self/maps, read with raw syscalls) and an END
 * record. SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT (glibc's abort on a
 * double free) write the buffers and an END record that says the trace was
 * cut by a signal, then the signal takes its course. A forked child writes
 * its own trace to FILE.PID (HEAPLAB_TRACE_FORK=child, the default) or none
 * (=none); an exec'd program, which inherits LD_PRELOAD, writes FILE.PID
 * too, and what the old image had not yet written is lost.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "trace_format.h"

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);
extern void *__libc_stack_end;

#define EXPORT __attribute__((visibility("default")))
#define TLS __attribute__((tls_model("initial-exec"))) __thread

#define BUF_SIZE (256u << 10)
#define BUF_ROOM 256 /* the largest event, and more */
#define MAX_THREADS 4096
#define MAX_DEPTH 32
#define TABLE_BITS 20
#define CACHE_SLOTS 256

typedef struct tbuf {
	uint8_t *data;
	size_t len; /* event bytes */
	uint64_t count;
	uint32_t thread;
	/* who has the buffer: BUF_FREE (nobody), BUF_OWNER (its thread, from
	 * an event's start to its end, flush included), BUF_CLOSED (the exit
	 * flusher: the thread records no more), BUF_PARKED (its thread exited;
	 * a new thread may take it) */
	_Atomic int busy;
	uint64_t last_tsc;
	uint64_t last_ptr;
	uint32_t last_stack;
	bool raw; /* this event's pointers are stored whole, not / 16 */
	uintptr_t stack_lo, stack_hi; /* the thread's stack: frames outside are not followed */
	uint64_t cache_hash[CACHE_SLOTS];
	uint32_t cache_id[CACHE_SLOTS];
} tbuf_t;

enum { BUF_FREE, BUF_OWNER, BUF_CLOSED, BUF_PARKED };
#define GONE ((tbuf_t *)1) /* tb of a thread whose buffer was parked */

typedef struct slot {
	_Atomic uint64_t hash;
	uint32_t id;
} slot_t;

static struct {
	_Atomic int state; /* 0 not yet, 1 tracing, 2 closed */
	int fd;
	int depth;
	bool fork_child;
	char path[4096];
	tbuf_t *threads[MAX_THREADS]; /* every buffer made, live or parked */
	_Atomic uint32_t nthreads;    /* buffers made */
	_Atomic uint32_t next_thread; /* thread numbers given */
	pid_t owner;                  /* the process the trace file is this one's */
	dev_t dev;                    /* the trace file, to know the descriptor is still it */
	ino_t ino;
	slot_t *table;
	atomic_flag table_lock;
	_Atomic uint32_t next_stack;
	_Atomic uint64_t events;
	_Atomic int64_t last_rss_ns;
	pthread_key_t key;
	int (*unwind)(void **, int); /* libunwind's unw_backtrace, when asked */
} g = {.fd = -1, .table_lock = ATOMIC_FLAG_INIT};

static TLS tbuf_t *tb;
static TLS int in_hook;

/* ------------------------------------------------------------ output */

/* Whether g.fd is still the trace file: a program may close descriptors
 * it does not know and open its own in their place. */
static bool fd_ours(void)
{
	struct stat st;
	if (g.fd < 0 || fstat(g.fd, &st) || st.st_dev != g.dev || st.st_ino != g.ino) {
		g.fd = -1;
		return false;
	}
	return true;
}

static void write_all(const void *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(g.fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
}

/* One record: kind, varint length, payload; one write(2). */
static void record(int kind, const uint8_t *payload, size_t len)
{
	uint8_t head[12], *h = head;
	*h++ = (uint8_t)kind;
	h = hlt_put(h, len);
	if (!fd_ours())
		return;
	struct iovec v[2] = {{head, (size_t)(h - head)}, {(void *)payload, len}};
	size_t total = v[0].iov_len + len;
	ssize_t w = writev(g.fd, v, 2);
	if (w >= 0 && (size_t)w < total) { /* a short write: finish it */
		size_t done = (size_t)w;
		if (done < v[0].iov_len) {
			write_all(head + done, v[0].iov_len - done);
			done = v[0].iov_len;
		}
		write_all(payload + (done - v[0].iov_len), total - done);
	}
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void clock_record(void)
{
	uint8_t b[24], *p = b;
	p = hlt_put(p, __rdtsc());
	p = hlt_put(p, (uint64_t)mono_ns());
	record(HLT_REC_CLOCK, b, (size_t)(p - b));
}

/* RSS from /proc/self/statm, read with syscalls only. */
static void rss_record(void)
{
	char s[128];
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, s, sizeof s - 1);
	close(fd);
	if (n <= 0)
		return;
	s[n] = '\0';
	const char *q = s;
	while (*q && *q != ' ')
		q++;
	uint64_t pages = 0;
	for (q++; *q >= '0' && *q <= '9'; q++)
		pages = pages * 10 + (uint64_t)(*q - '0');
	uint8_t b[24], *p = b;
	p = hlt_put(p, __rdtsc());
	p = hlt_put(p, pages * (uint64_t)sysconf(_SC_PAGESIZE));
	record(HLT_REC_RSS, b, (size_t)(p - b));
}

/* Writes t's events as one EVENTS record and empties it. */
static void flush(tbuf_t *t)
{
	if (!t->count || !fd_ours())
		return;
	/* emptied before the write: a fatal signal that interrupts the write
	 * and flushes again finds nothing to write twice */
	size_t n = t->len;
	uint64_t count = t->count;
	t->len = 0;
	t->count = 0;
	atomic_signal_fence(memory_order_seq_cst);
	uint8_t head[32], *h = head;
	h = hlt_put(h, t->thread);
	h = hlt_put(h, count);
	size_t hl = (size_t)(h - head), len = hl + n;
	uint8_t k[12], *kp = k;
	*kp++ = HLT_REC_EVENTS;
	kp = hlt_put(kp, len);
	struct iovec v[3] = {{k, (size_t)(kp - k)}, {head, hl}, {t->data, n}};
	ssize_t w = writev(g.fd, v, 3);
	(void)w; /* a full disk loses this block; the reader says where it stops */
	atomic_fetch_add(&g.events, count);
	/* the base of the deltas starts afresh with each block */
	t->last_tsc = 0;
	t->last_ptr = 0;
	t->last_stack = 0;
	int64_t now = mono_ns(), last = atomic_load(&g.last_rss_ns);
	if (now - last > 100000000 && atomic_compare_exchange_strong(&g.last_rss_ns, &last, now)) {
		rss_record();
		clock_record();
	}
}

/* ------------------------------------------------------------ threads */

/* A thread exits: its events are written, its buffer's pages given back
 * and the buffer parked for the next new thread. */
static void thread_gone(void *arg)
{
	tbuf_t *t = arg;
	int z = BUF_FREE;
	in_hook++;
	if (atomic_compare_exchange_strong(&t->busy, &z, BUF_OWNER)) {
		flush(t);
		madvise(t->data, BUF_SIZE, MADV_DONTNEED);
		tb = GONE; /* what it frees from here on is not traced */
		atomic_store(&t->busy, BUF_PARKED);
	}
	in_hook--;
}

static void thread_number(tbuf_t *t)
{
	t->thread = atomic_fetch_add(&g.next_thread, 1);
	t->len = t->count = 0;
	t->last_tsc = t->last_ptr = t->last_stack = 0;
	memset(t->cache_hash, 0, sizeof t->cache_hash);
	t->stack_lo = t->stack_hi = 0;
	if (getpid() == (pid_t)syscall(SYS_gettid)) {
		struct rlimit rl;
		uintptr_t size = 8u << 20;
		if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < (1u << 30))
			size = rl.rlim_cur;
		t->stack_hi = (uintptr_t)__libc_stack_end + 4096;
		t->stack_lo = t->stack_hi - size;
	} else {
		pthread_attr_t a; /* may allocate: in_hook is set, so untraced */
		void *lo;
		size_t sz;
		if (pthread_getattr_np(pthread_self(), &a) == 0) {
			if (pthread_attr_getstack(&a, &lo, &sz) == 0) {
				t->stack_lo = (uintptr_t)lo;
				t->stack_hi = (uintptr_t)lo + sz;
			}
			pthread_attr_destroy(&a);
		}
	}
	uint8_t b[24], *p = b;
	p = hlt_put(p, t->thread);
	p = hlt_put(p, (uint64_t)syscall(SYS_gettid));
	record(HLT_REC_THREAD, b, (size_t)(p - b));
	pthread_setspecific(g.key, t);
}

/* A buffer for this thread: a parked one, or a new one. */
static tbuf_t *thread_buf(void)
{
	uint32_t n = atomic_load(&g.nthreads);
	for (uint32_t i = 0; i < n && i < MAX_THREADS; i++) {
		tbuf_t *t = g.threads[i];
		int parked = BUF_PARKED;
		if (t && atomic_compare_exchange_strong(&t->busy, &parked, BUF_FREE)) {
			thread_number(t);
			return t;
		}
	}
	uint32_t i = atomic_fetch_add(&g.nthreads, 1);
	if (i >= MAX_THREADS) {
		atomic_fetch_sub(&g.nthreads, 1);
		return NULL; /* more than MAX_THREADS at once: untraced */
	}
	tbuf_t *t = mmap(NULL, sizeof *t + BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return NULL;
	t->data = (uint8_t *)(t + 1);
	thread_number(t);
	g.threads[i] = t;
	return t;
}

/* ------------------------------------------------------------ stacks */

/* Not inlined: with libunwind, the frames to skip are this one and the
 * hook's. */
__attribute__((noinline)) static uint32_t stack_id(tbuf_t *t, uintptr_t *fp)
{
	uintptr_t f[MAX_DEPTH + 3];
	int n = 0;
	uintptr_t lo = (uintptr_t)fp;
	if (g.unwind) {
		/* from the unwind tables: code without frame pointers too. The
		 * first two frames are this function and the hook. */
		n = g.unwind((void **)f, g.depth + 2) - 2;
		if (n < 0)
			n = 0;
		memmove(f, f + 2, (size_t)n * sizeof *f);
	}
	/* a hook running on another stack (a coroutine's, a signal stack):
	 * only its own return address is sure to be readable */
	if (!g.unwind && g.depth && (lo < t->stack_lo || lo + 16 > t->stack_hi)) {
		f[n++] = fp[1];
		fp = NULL;
	}
	while (!g.unwind && fp && n < g.depth && t->stack_hi) {
		uintptr_t a = (uintptr_t)fp;
		if (a & 7 || a < lo || a + 16 > t->stack_hi)
			break;
		uintptr_t ret = fp[1];
		if (ret < 4096)
			break;
		f[n++] = ret;
		uintptr_t *next = (uintptr_t *)fp[0];
		if ((uintptr_t)next <= a)
			break;
		fp = next;
	}
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)n;
	for (int i = 0; i < n; i++)
		h = (h ^ f[i]) * 0x100000001b3ULL;
	h |= 1; /* 0 marks an empty slot */
	size_t c = (size_t)(h >> 7) % CACHE_SLOTS;
	if (t->cache_hash[c] == h)
		return t->cache_id[c];
	if (!g.table)
		return 0;
	size_t mask = ((size_t)1 << TABLE_BITS) - 1, i = (size_t)(h >> 20) & mask;
	for (int probes = 0; probes < 64; probes++) {
		uint64_t sh = atomic_load_explicit(&g.table[i].hash, memory_order_acquire);
		if (sh == h) {
			t->cache_hash[c] = h;
			t->cache_id[c] = g.table[i].id;
			return g.table[i].id;
		}
		if (!sh)
			break;
		i = (i + 1) & mask;
	}
	i = (size_t)(h >> 20) & mask; /* the locked search starts over */
	/* a new stack: insert it under the lock, write it once */
	while (atomic_flag_test_and_set_explicit(&g.table_lock, memory_order_acquire))
		;
	uint32_t id = 0;
	for (size_t probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
		uint64_t sh = atomic_load_explicit(&g.table[i].hash, memory_order_relaxed);
		if (sh == h) {
			id = g.table[i].id;
			break;
		}
		if (!sh) {
			/* three quarters full: new stacks go without one, rather than
			 * every probe getting longer */
			if (atomic_load(&g.next_stack) >= (3u << TABLE_BITS) / 4)
				break;
			id = atomic_fetch_add(&g.next_stack, 1) + 1;
			uint8_t b[16 + 10 * MAX_DEPTH], *p = b;
			p = hlt_put(p, id);
			p = hlt_put(p, (uint64_t)n);
			for (int k = 0; k < n; k++)
				p = hlt_put(p, k ? hlt_zz((int64_t)(f[k] - f[k - 1])) : f[0]);
			record(HLT_REC_STACK, b, (size_t)(p - b));
			g.table[i].id = id;
			atomic_store_explicit(&g.table[i].hash, h, memory_order_release);
			break;
		}
	}
	atomic_flag_clear_explicit(&g.table_lock, memory_order_release);
	t->cache_hash[c] = h;
	t->cache_id[c] = id;
	return id;
}

/* ------------------------------------------------------------ events */

/* The thread's buffer, with busy set, or NULL when this call is not traced. */
static tbuf_t *begin(void)
{
	if (in_hook || atomic_load_explicit(&g.state, memory_order_relaxed) != 1)
		return NULL;
	in_hook++;
	tbuf_t *t = tb;
	if (t == GONE || (!t && !(t = tb = thread_buf()))) {
		in_hook--;
		return NULL;
	}
	if (atomic_load_explicit(&t->busy, memory_order_relaxed) == BUF_CLOSED) {
		in_hook--; /* closed at exit: the rest is not traced */
		return NULL;
	}
	return t;
}

/* The buffer is the thread's only while it encodes an event (start to
 * end), not while glibc runs: an abort inside glibc leaves it free, and the
 * fatal-signal handler writes it. */
static void end(tbuf_t *t, uint8_t *p)
{
	t->len = (size_t)(p - t->data);
	t->count++;
	if (t->len > BUF_SIZE - BUF_ROOM)
		flush(t);
	atomic_store_explicit(&t->busy, BUF_FREE, memory_order_release);
	in_hook--;
}

/* Not recorded after all (the buffer was closed meanwhile). */
static void drop(void)
{
	in_hook--;
}

/* The tag, time and stack every event starts with; NULL when the buffer
 * was closed since begin(). */
static uint8_t *start(tbuf_t *t, int op, uint32_t sid, bool failed, bool raw)
{
	int z = BUF_FREE;
	if (!atomic_compare_exchange_strong_explicit(&t->busy, &z, BUF_OWNER, memory_order_acquire,
						     memory_order_relaxed))
		return NULL;
	uint8_t *p = t->data + t->len;
	uint64_t now = __rdtsc() >> HLT_TSC_SHIFT;
	*p++ = (uint8_t)(op | (sid == t->last_stack ? HLT_TAG_SAME_STACK : 0) |
			 (failed ? HLT_TAG_FAILED : 0) | (raw ? HLT_TAG_RAW_PTR : 0));
	t->raw = raw;
	p = hlt_put(p, now - t->last_tsc);
	t->last_tsc = now;
	if (sid != t->last_stack) {
		p = hlt_put(p, sid);
		t->last_stack = sid;
	}
	return p;
}

static uint8_t *put_ptr(tbuf_t *t, uint8_t *p, const void *ptr)
{
	uint64_t a = (uint64_t)(uintptr_t)ptr;
	/* glibc's pointers are 16-byte aligned: the delta is stored / 16, unless
	 * the event is marked raw (a pointer the program made up) */
	p = hlt_put(p, hlt_zz((int64_t)(a - t->last_ptr) >> (t->raw ? 0 : 4)));
	t->last_ptr = a;
	return p;
}

#define STACK() stack_id(t, (uintptr_t *)__builtin_frame_address(0))

#define RAW(x) (((uintptr_t)(x)&15) != 0)

static void ev_alloc(tbuf_t *t, uint32_t sid, int op, size_t size, size_t align, void *r)
{
	uint8_t *p = start(t, op, sid, !r, RAW(r));
	if (!p)
		return drop();
	p = hlt_put(p, size);
	if (op == HLT_MEMALIGN)
		p = hlt_put(p, align);
	if (r)
		p = put_ptr(t, p, r);
	end(t, p);
}

EXPORT void *malloc(size_t size)
{
	tbuf_t *t = begin();
	if (!t)
		return __libc_malloc(size);
	uint32_t sid = STACK();
	void *r = __libc_malloc(size);
	ev_alloc(t, sid, HLT_MALLOC, size, 0, r);
	return r;
}

EXPORT void free(void *ptr)
{
	tbuf_t *t = ptr ? begin() : NULL;
	if (!t) {
		__libc_free(ptr);
		return;
	}
	/* recorded before glibc sees it: a double free it aborts on is kept */
	uint8_t *p = start(t, HLT_FREE, STACK(), false, RAW(ptr));
	if (p) {
		p = put_ptr(t, p, ptr);
		end(t, p);
	} else {
		drop();
	}
	__libc_free(ptr);
}

EXPORT void *calloc(size_t n, size_t size)
{
	tbuf_t *t = begin();
	if (!t)
		return __libc_calloc(n, size);
	uint32_t sid = STACK();
	void *r = __libc_calloc(n, size);
	size_t total;
	if (__builtin_mul_overflow(n, size, &total))
		total = SIZE_MAX;
	ev_alloc(t, sid, HLT_CALLOC, total, 0, r);
	return r;
}

static void *do_realloc(tbuf_t *t, uint32_t sid, void *old, size_t size)
{
	void *r = __libc_realloc(old, size);
	/* realloc(p, 0) frees p and returns NULL: not a failure */
	bool failed = !r && size;
	uint8_t *p = start(t, HLT_REALLOC, sid, failed, RAW(old) || RAW(r));
	if (!p) {
		drop();
		return r;
	}
	p = hlt_put(p, size);
	p = put_ptr(t, p, old);
	if (!failed)
		p = put_ptr(t, p, r);
	end(t, p);
	return r;
}

EXPORT void *realloc(void *old, size_t size)
{
	tbuf_t *t = begin();
	if (!t)
		return __libc_realloc(old, size);
	return do_realloc(t, STACK(), old, size);
}

EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	tbuf_t *t = begin();
	if (!t)
		return __libc_realloc(old, total);
	return do_realloc(t, STACK(), old, total);
}

static void *aligned(size_t align, size_t size, uint32_t sid, tbuf_t *t)
{
	void *r = __libc_memalign(align, size);
	ev_alloc(t, sid, HLT_MEMALIGN, size, align, r);
	return r;
}

EXPORT void *memalign(size_t align, size_t size)
{
	tbuf_t *t = begin();
	if (!t)
		return __libc_memalign(align, size);
	return aligned(align, size, STACK(), t);
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	tbuf_t *t = begin();
	if (!t)
		return __libc_memalign(align, size);
	return aligned(align, size, STACK(), t);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	if (align % sizeof(void *) || (align & (align - 1)) || !align)
		return EINVAL;
	tbuf_t *t = begin();
	void *r = t ? aligned(align, size, STACK(), t) : __libc_memalign(align, size);
	if (!r)
		return ENOMEM;
	*out = r;
	return 0;
}

EXPORT void *valloc(size_t size)
{
	tbuf_t *t = begin();
	if (!t)
		return __libc_valloc(size);
	uint32_t sid = STACK();
	void *r = __libc_valloc(size);
	ev_alloc(t, sid, HLT_MEMALIGN, size, (size_t)sysconf(_SC_PAGESIZE), r);
	return r;
}

EXPORT void *pvalloc(size_t size)
{
	tbuf_t *t = begin();
	if (!t)
		return __libc_pvalloc(size);
	uint32_t sid = STACK();
	void *r = __libc_pvalloc(size);
	ev_alloc(t, sid, HLT_MEMALIGN, size, (size_t)sysconf(_SC_PAGESIZE), r);
	return r;
}

EXPORT int malloc_trim(size_t pad)
{
	static int (*real)(size_t);
	tbuf_t *t = begin();
	if (!real) {
		in_hook++; /* dlsym may allocate */
		real = (int (*)(size_t))dlsym(RTLD_NEXT, "malloc_trim");
		in_hook--;
	}
	int r = real ? real(pad) : 0;
	if (t) {
		uint8_t *p = start(t, HLT_TRIM, STACK(), false, false);
		if (!p)
			return drop(), r;
		p = hlt_put(p, pad);
		p = hlt_put(p, (uint64_t)r);
		end(t, p);
	}
	return r;
}

/* ------------------------------------------------------------ endings */

/* Every thread's buffer that is not mid-event, and the calling thread's. */
/* Every buffer is taken from its thread (waiting up to ~2 ms for one that
 * is mid-event), written, and closed: its thread records no more, so
 * nothing is written twice or after the END record. A buffer its own
 * thread holds mid-event (a fatal signal inside the recorder) is skipped. */
static void flush_all(void)
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
static void modules(void)
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

static void finish(int how)
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
	uint8_t b[24], *p = b;
	p = hlt_put(p, atomic_load(&g.events));
	p = hlt_put(p, (uint64_t)how);
	record(HLT_REC_END, b, (size_t)(p - b));
	in_hook--;
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

static int open_trace(const char *base, bool child)
{
	char path[4200];
	int fd = -1;
	if (!child)
		fd = open(base, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
	/* a child, or an exec'd program: FILE.PID, or FILE.PID.K when a forked
	 * child already made FILE.PID before it exec'd */
	size_t n = strlen(base);
	if (fd < 0 && n < 4000) {
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
	h.flags = child ? HLT_F_CHILD : 0;
	write_all(&h, sizeof h);
	clock_record();
	return 0;
}

static void at_fork_child(void)
{
	/* only this thread lives on; its buffer holds the parent's events */
	tbuf_t *me = tb;
	if (g.fd >= 0)
		close(g.fd);
	g.fd = -1;
	if (!g.fork_child || open_trace(g.path, true)) {
		atomic_store(&g.state, 2);
		return;
	}
	atomic_store(&g.events, 0);
	for (uint32_t i = 0; i < MAX_THREADS; i++)
		g.threads[i] = NULL;
	atomic_store(&g.nthreads, 0);
	/* stacks already written went to the parent's file: start afresh, with
	 * fresh zero pages (clearing the old table would make all 16 MiB of it
	 * resident in the child) */
	if (g.table)
		munmap(g.table, sizeof(slot_t) << TABLE_BITS);
	g.table = mmap(NULL, sizeof(slot_t) << TABLE_BITS, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g.table == MAP_FAILED)
		g.table = NULL;
	atomic_store(&g.next_stack, 0);
	/* another thread may have held the table's lock at the fork: it is
	 * gone, and so is its hold */
	atomic_flag_clear(&g.table_lock);
	atomic_store(&g.next_thread, 0);
	if (me && me != GONE) {
		me->len = me->count = 0;
		me->last_tsc = me->last_ptr = me->last_stack = 0;
		memset(me->cache_hash, 0, sizeof me->cache_hash);
		me->thread = atomic_fetch_add(&g.next_thread, 1);
		atomic_store(&me->busy, BUF_FREE);
		g.threads[atomic_fetch_add(&g.nthreads, 1)] = me;
		uint8_t b[24], *p = b;
		p = hlt_put(p, me->thread);
		p = hlt_put(p, (uint64_t)syscall(SYS_gettid));
		record(HLT_REC_THREAD, b, (size_t)(p - b));
	}
}

__attribute__((constructor)) static void init(void)
{
	const char *path = getenv("HEAPLAB_TRACE_FILE");
	if (!path || !*path || strlen(path) >= sizeof g.path)
		return;
	memcpy(g.path, path, strlen(path) + 1);
	const char *d = getenv("HEAPLAB_TRACE_DEPTH");
	g.depth = d ? atoi(d) : 8;
	if (g.depth < 0)
		g.depth = 0;
	if (g.depth > MAX_DEPTH)
		g.depth = MAX_DEPTH;
	const char *u = getenv("HEAPLAB_TRACE_UNWIND");
	if (u && !strcmp(u, "libunwind")) {
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
	const char *f = getenv("HEAPLAB_TRACE_FORK");
	g.fork_child = !f || strcmp(f, "none") != 0;
	g.table = mmap(NULL, sizeof(slot_t) << TABLE_BITS, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g.table == MAP_FAILED)
		g.table = NULL;
	in_hook++; /* pthread_key_create, pthread_atfork may allocate */
	if (open_trace(g.path, false) == 0 && pthread_key_create(&g.key, thread_gone) == 0) {
		pthread_atfork(NULL, NULL, at_fork_child);
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
