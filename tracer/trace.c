/*
 * trace.c — libheaplab-trace.so, the allocation recorder heaplab trace
 * preloads (or, with heaplab trace --pid, loads into a running process:
 * attach.c). It interposes malloc, free, calloc, realloc, reallocarray,
 * memalign, posix_memalign, aligned_alloc, valloc, pvalloc and malloc_trim,
 * calls glibc's own (__libc_malloc and friends: no dlsym at start-up, so no
 * calloc recursion), and records each call in the format of
 * tracer/trace_format.h into HEAPLAB_TRACE_FILE. This file has the buffers,
 * the stacks and the hooks; process.c starts the trace and ends it (exit,
 * signals, fork, exec).
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
 * whole stacks through any code, at a higher cost per call. Stacks are
 * deduplicated in a global table (a 64-bit hash per stack) and written once,
 * as a STACK record, by the thread that first sees them.
 *
 * Time: the TSC (9 ns to read here against 21 ns for clock_gettime), in
 * units of 16 ticks, as deltas per thread; CLOCK records pair the TSC with
 * CLOCK_MONOTONIC so the reader can convert.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

#include "recorder.h"

recorder_t g = {.fd = -1, .table_lock = ATOMIC_FLAG_INIT};
TLS tbuf_t *tb;
TLS int in_hook;

/* ------------------------------------------------------------ output */

/* Whether g.fd is still the trace file: a program may close descriptors
 * it does not know and open its own in their place. */
bool fd_ours(void)
{
	struct stat st;
	if (g.fd < 0 || fstat(g.fd, &st) || st.st_dev != g.dev || st.st_ino != g.ino) {
		g.fd = -1;
		return false;
	}
	return true;
}

void write_all(const void *p, size_t n)
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
void record(int kind, const uint8_t *payload, size_t len)
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

int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void clock_record(void)
{
	uint8_t b[24], *p = b;
	p = hlt_put(p, __rdtsc());
	p = hlt_put(p, (uint64_t)mono_ns());
	record(HLT_REC_CLOCK, b, (size_t)(p - b));
}

/* RSS from /proc/self/statm, read with syscalls only. */
void rss_record(void)
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
void flush(tbuf_t *t)
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

void tbuf_reset(tbuf_t *t)
{
	t->len = t->count = 0;
	t->last_tsc = t->last_ptr = t->last_stack = 0;
	memset(t->cache_hash, 0, sizeof t->cache_hash);
}

/* Fresh zero pages (clearing the old table would make all 16 MiB of it
 * resident), and the lock free: in a forked child another thread may have
 * held it at the fork, and it is gone. */
void table_reset(void)
{
	if (g.table)
		munmap(g.table, sizeof(slot_t) << TABLE_BITS);
	g.table = mmap(NULL, sizeof(slot_t) << TABLE_BITS, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g.table == MAP_FAILED)
		g.table = NULL;
	atomic_store(&g.next_stack, 0);
	atomic_flag_clear(&g.table_lock);
}

/* ------------------------------------------------------------ threads */

/* A thread exits: its events are written, its buffer's pages given back
 * and the buffer parked for the next new thread. */
void thread_gone(void *arg)
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
	tbuf_reset(t);
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
	if (g.have_key)
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

HOOK_ALIAS(malloc);
HOOK_ALIAS(free);
HOOK_ALIAS(calloc);
HOOK_ALIAS(realloc);
HOOK_ALIAS(reallocarray);
HOOK_ALIAS(memalign);
HOOK_ALIAS(aligned_alloc);
HOOK_ALIAS(posix_memalign);
HOOK_ALIAS(valloc);
HOOK_ALIAS(pvalloc);
HOOK_ALIAS(malloc_trim);
