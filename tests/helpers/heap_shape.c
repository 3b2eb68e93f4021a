/*
 * heap_shape — a target for the walker's tests and bench: builds one heap
 * shape, prints "ready PID", then its own mallinfo2 on one line
 * ("mallinfo2 arena ordblks smblks hblks hblkhd uordblks fordblks
 * keepcost", decimal), and waits, untouched, until killed. Lines go out
 * through snprintf and write(2): stdio would malloc its buffer after the
 * heap is built. Bad arguments: usage, exit 2.
 *
 * usage: heap_shape SHAPE [--keep-every=K] [--gib=G] [--seed=S]
 *                   [--threads=T] [--free=F] [--churn | --release]
 *
 * Every block is memset (resident). brk_pin_allocated: 262,144 x
 * malloc(4096), then a 2-byte pin; brk_pin_freed: then the 262,144 freed
 * (one 1 GiB free chunk below the pin); swiss: then block i freed unless
 * i % K == 0 (--keep-every=K, default 2); blocks16k: 65,536 x 16 KiB, a
 * pin, then block i freed unless i % 8 == 0.
 *
 * mixed: --gib=G GiB requested in all (default 1), --seed=S (default 1),
 * --free=F percent of the requested bytes freed (default 50), --threads=T
 * (default 1): T threads build G/T GiB each, in their own arenas, and stay
 * alive. Sizes and lifetimes are separate splitmix64 streams per thread,
 * so a seed gives the same heap every time. Sizes: 3 in 4 small, half of
 * those a popular size (24 32 48 64 96 128 256 B, weights 4 4 3 3 2 2 2),
 * half octave-uniform over 16..528 B (an octave [2^k, 2^k+1) picked
 * uniformly, then a size uniformly in it: log-uniform to a factor 2, no
 * libm); 1 in 4 octave-uniform over 1..61 KiB. Mean 3.9 KiB: 1 GiB is
 * 274,831 blocks at seed 1. Lifetimes: 16 growing rounds, each mallocing
 * 1/16 of 7/8 G, then freeing random live blocks (any age) until F/5 % of
 * the bytes requested so far are freed (the next round reuses the holes);
 * 8 shrinking rounds, each freeing random blocks (in equal steps up to 4/5
 * of F% of G) and then mallocing 1/8 of the last G/8 (splitting holes,
 * sorting the unsorted bin into small and large bins); last, random blocks
 * freed up to F% with no malloc after them, so they stay in the unsorted
 * bin and tcache fills, the fastbin sizes (<= 120 B) among them freed at
 * the very end: a free that coalesces past 64 KiB empties the fastbins.
 * Freed bytes are counted by malloc_usable_size.
 *
 * tcache: 8 blocks each of 24, 100, 1000, 5000 and 60000 bytes (chunks of
 * 32, 112, 1008, 5008 and 60016), then 5 of each freed, smallest size
 * first: the first three sizes go to the tcache on every glibc; the last
 * two only from 2.42 with glibc.malloc.tcache_max raised above them, else
 * to the bins.
 *
 * --churn: after the mallinfo2 line every building thread frees a random
 * live block and mallocs one of the shape's size mix, forever.
 * --release: 256 MiB of 64 KiB blocks and a pin are malloc'd first, at the
 * bottom of the main heap; after the mallinfo2 line they are freed (one
 * free chunk below that pin), "release 0xSTART 0xEND" is printed (the
 * page-aligned interior of that chunk, hex) and that range is madvise
 * (MADV_DONTNEED)d 2 MiB every 20 ms, each piece once (2.6 s in all), then
 * "released" is printed; nothing touches those pages again.
 */
#include <malloc.h>
#include "mallinfo2_compat.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BLOCKS 262144
#define GROW_ROUNDS 16
#define SHRINK_ROUNDS 8
#define CHURN_FLOOR 1024 /* churn frees only once this many blocks are live */
#define FAST_MAX 120	 /* largest request a fastbin takes (global_max_fast 128) */
#define MAX_THREADS 64
#define REGION_BLOCKS 4096 /* --release: 4096 x 64 KiB = 256 MiB */
#define REGION_SIZE 65536

/* The live blocks in p[0, n); a block taken out is swapped to p[n]. */
typedef struct pool {
	void **p;
	size_t n, cap;
	size_t fixed;		     /* what churn mallocs: this size, or 0: the mixed mix */
	uint64_t size_rng, life_rng; /* splitmix64 states */
} pool_t;

static struct {
	const char *shape;
	long keep_every, threads, free_pct;
	double gib;
	uint64_t seed;
	int churn, release;
} opt = {NULL, 2, 1, 50, 1.0, 1, 0, 0};

static pool_t pools[MAX_THREADS];
static void *volatile pin, *volatile region_pin; /* volatile: GCC keeps the mallocs */
static void *region[REGION_BLOCKS];
static pthread_barrier_t built, go;

static uint64_t rng_below(uint64_t *s, uint64_t n) /* splitmix64, modulo n */
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) % n; /* the bias is far below what matters here */
}

/* Octave-uniform over [lo, hi]: octaves from lo up, sizes past hi drawn
 * again (the top octave is partial). */
static size_t octave_size(uint64_t *r, size_t lo, size_t hi)
{
	int octaves = 0;
	while ((lo << octaves) <= hi)
		octaves++;
	for (;;) {
		size_t base = lo << rng_below(r, (uint64_t)octaves);
		size_t s = base + rng_below(r, base);
		if (s <= hi)
			return s;
	}
}

static size_t mixed_size(uint64_t *r)
{
	static const size_t popular[] = {24, 32, 48, 64, 96, 128, 256};
	static const int weight[] = {4, 4, 3, 3, 2, 2, 2}; /* of 20 */
	uint64_t u = rng_below(r, 8);
	if (u >= 6)
		return octave_size(r, 1024, 61 * 1024);
	if (u >= 3)
		return octave_size(r, 16, 528);
	int w = (int)rng_below(r, 20), i = 0;
	while (w >= weight[i])
		w -= weight[i++];
	return popular[i];
}

static __attribute__((format(printf, 2, 3))) void say(int fd, const char *fmt, ...)
{
	static char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0 || write(fd, line, (size_t)n) != n)
		_exit(1);
}

static void die(const char *what)
{
	say(2, "heap_shape: %s\n", what);
	_exit(1);
}

static void pool_init(pool_t *pl, size_t cap)
{
	pl->p = malloc(cap * sizeof *pl->p); /* in the heap, as a real program's would be */
	if (!pl->p)
		die("out of memory for the block array");
	pl->cap = cap;
	pl->n = 0;
}

static void pool_add(pool_t *pl, size_t size)
{
	void *b = pl->n < pl->cap ? malloc(size) : NULL;
	if (!b)
		die("malloc failed, or the block array is full");
	memset(b, 1, size);
	pl->p[pl->n++] = b;
}

/* Takes a random live block out (it lands at p[n]) and returns it. */
static void *pool_take(pool_t *pl)
{
	size_t j = (size_t)rng_below(&pl->life_rng, pl->n);
	void *b = pl->p[j];
	pl->p[j] = pl->p[--pl->n];
	pl->p[pl->n] = b;
	return b;
}

/* count x size, a pin, then block i freed unless i % keep == 0 (keep 0:
 * all freed, -1: none); the kept ones stay in order. */
static void build_fixed(pool_t *pl, size_t count, size_t size, long keep)
{
	pl->fixed = size;
	pool_init(pl, count);
	for (size_t i = 0; i < count; i++)
		pool_add(pl, size);
	pin = malloc(2);
	size_t kept = 0;
	for (size_t i = 0; i < count && keep >= 0; i++) {
		if (keep && i % (size_t)keep == 0)
			pl->p[kept++] = pl->p[i];
		else
			free(pl->p[i]);
	}
	pl->n = keep >= 0 ? kept : count;
}

/* Frees random live blocks until *freed reaches goal; with defer, the
 * fastbin-sized ones stay at p[n..] (non-NULL) to be freed afterwards. */
static void free_random(pool_t *pl, uint64_t goal, uint64_t *freed, int defer)
{
	while (*freed < goal && pl->n > 0) {
		void *b = pool_take(pl);
		size_t usable = malloc_usable_size(b);
		*freed += usable;
		if (defer && usable <= FAST_MAX)
			continue;
		free(b);
		pl->p[pl->n] = NULL;
	}
}

/* Mallocs blocks of the size stream until *req reaches until. */
static void malloc_until(pool_t *pl, uint64_t until, uint64_t *req)
{
	while (*req < until && pl->n < pl->cap) {
		size_t s = mixed_size(&pl->size_rng);
		pool_add(pl, s);
		*req += s;
	}
}

static void build_mixed(pool_t *pl)
{
	uint64_t bytes = (uint64_t)(opt.gib / (double)opt.threads * (double)(1ULL << 30));
	uint64_t count_rng = pl->size_rng; /* the same stream, counted ahead */
	size_t blocks = 0;
	for (uint64_t r = 0; r < bytes; blocks++)
		r += mixed_size(&count_rng);
	pool_init(pl, blocks + CHURN_FLOOR);
	uint64_t req = 0, freed = 0, grow = bytes / 8 * 7, f = (uint64_t)opt.free_pct;
	uint64_t goal = bytes * f / 100;
	for (int r = 1; r <= GROW_ROUNDS; r++) {
		malloc_until(pl, grow / GROW_ROUNDS * (uint64_t)r, &req);
		free_random(pl, req * f / 500, &freed, 0); /* short-lived: F/5 % */
	}
	for (int r = 1; r <= SHRINK_ROUNDS; r++) {
		free_random(pl, goal / 5 + goal * 3 / 5 * (uint64_t)r / SHRINK_ROUNDS, &freed, 0);
		malloc_until(pl, grow + (bytes - grow) / SHRINK_ROUNDS * (uint64_t)r, &req);
	}
	malloc_until(pl, bytes, &req);
	size_t live = pl->n;
	free_random(pl, req * f / 100, &freed, 1);
	for (size_t i = pl->n; i < live; i++)
		free(pl->p[i]); /* the deferred fastbin sizes; free(NULL) for the others */
}

/* halffree: a million blocks, three in four of 16..528 B and one in four of
 * 1..61 KiB (both uniform), then half of them freed in random order with no
 * malloc after: ~7.5 GiB, ~250,000 free chunks, most in the unsorted bin. */
static void build_halffree(pool_t *pl)
{
	const size_t n = 1000000;
	pool_init(pl, n + CHURN_FLOOR);
	for (size_t i = 0; i < n; i++) {
		uint64_t r = rng_below(&pl->size_rng, 4);
		pool_add(pl, r ? 16 + (size_t)rng_below(&pl->size_rng, 513)
			       : 1024 + (size_t)rng_below(&pl->size_rng, 61 * 1024 - 1024 + 1));
	}
	for (size_t i = 0; i < n / 2; i++)
		free(pool_take(pl));
}

static void build_tcache(void)
{
	static const size_t sizes[] = {24, 100, 1000, 5000, 60000};
	static void *volatile b[5][8];
	for (int i = 0; i < 5; i++)
		for (int k = 0; k < 8; k++) {
			b[i][k] = malloc(sizes[i]);
			if (!b[i][k])
				die("malloc failed");
			memset(b[i][k], 0x5a, sizes[i]);
		}
	for (int i = 0; i < 5; i++)
		for (int k = 0; k < 5; k++)
			free(b[i][k]);
}

static void churn(pool_t *pl)
{
	for (;;) {
		if (pl->n >= CHURN_FLOOR || pl->n == pl->cap)
			free(pool_take(pl));
		pool_add(pl, pl->fixed ? pl->fixed : mixed_size(&pl->size_rng));
	}
}

static void idle(void)
{
	for (;;)
		pause();
}

static void build_shape(pool_t *pl)
{
	const char *s = opt.shape;
	if (!strcmp(s, "brk_pin_allocated"))
		build_fixed(pl, BLOCKS, 4096, -1);
	else if (!strcmp(s, "brk_pin_freed"))
		build_fixed(pl, BLOCKS, 4096, 0);
	else if (!strcmp(s, "swiss"))
		build_fixed(pl, BLOCKS, 4096, opt.keep_every);
	else if (!strcmp(s, "blocks16k"))
		build_fixed(pl, 65536, 16384, 8);
	else if (!strcmp(s, "halffree"))
		build_halffree(pl);
	else if (!strcmp(s, "tcache"))
		build_tcache();
	else
		build_mixed(pl);
}

static void *thread_main(void *arg)
{
	build_mixed(arg);
	pthread_barrier_wait(&built);
	pthread_barrier_wait(&go);
	if (opt.churn)
		churn(arg);
	idle();
	return NULL;
}

/* --release: 256 MiB at the bottom of the main heap, contiguous, pinned. */
static void region_alloc(void)
{
	for (int i = 0; i < REGION_BLOCKS; i++) {
		region[i] = malloc(REGION_SIZE);
		if (!region[i])
			die("malloc failed");
		memset(region[i], 3, REGION_SIZE);
		if (i && (char *)region[i] - (char *)region[i - 1] != REGION_SIZE + 16)
			die("the release region is not contiguous");
	}
	region_pin = malloc(2);
}

/* Frees the region into one chunk and releases its interior (past the
 * chunk's 48 bytes of header and list pointers), 2 MiB every 20 ms, each
 * piece once, so that a walker reading it meanwhile would leave any page it
 * faulted back in present; then says "released" and waits. */
static void release_once(void)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)region[0] - 16 + 48 + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)region_pin - 16) & ~(page - 1);
	for (int i = 0; i < REGION_BLOCKS; i++)
		free(region[i]); /* each coalesces with the one before */
	say(1, "release 0x%lx 0x%lx\n", (unsigned long)start, (unsigned long)end);
	const size_t piece = 2u << 20;
	struct timespec pace = {0, 20000000};
	for (uintptr_t a = start; a < end; a += piece) {
		madvise((void *)a, end - a < piece ? end - a : piece, MADV_DONTNEED);
		nanosleep(&pace, NULL);
	}
	say(1, "released\n");
	for (;;)
		pause();
}

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: heap_shape SHAPE [options]\n"
	    "  SHAPE: brk_pin_allocated | brk_pin_freed | swiss | blocks16k | mixed | halffree |\n"
	    "         tcache\n"
	    "  --keep-every=K  swiss: keep block i when i %% K == 0 (2..1048576, default 2)\n"
	    "  --gib=G         mixed: GiB requested in all (0 < G <= 64, default 1)\n"
	    "  --seed=S        mixed: generator seed (default 1)\n"
	    "  --threads=T     mixed: T threads, G/T GiB each in its own arena (1..64)\n"
	    "  --free=F        mixed: percent of the requested bytes freed (0..100, default 50)\n"
	    "  --churn         after ready, malloc and free random blocks forever\n"
	    "  --release       after ready, free 256 MiB below a pin and madvise it away,\n"
	    "                  2 MiB every 20 ms, once (prints \"release START END\",\n"
	    "                  then \"released\")\n");
	exit(2);
}

static long long num_arg(const char *v, long long lo, long long hi)
{
	char *end;
	long long x = strtoll(v, &end, 10);
	if (end == v || *end || x < lo || x > hi)
		usage();
	return x;
}

static double gib_arg(const char *v)
{
	char *end;
	double g = strtod(v, &end);
	if (end == v || *end || !(g > 0 && g <= 64))
		usage();
	return g;
}

static void parse(int argc, char **argv)
{
	static const char *shapes[] = {"brk_pin_allocated", "brk_pin_freed", "swiss", "blocks16k",
				       "mixed", "halffree", "tcache"};
	int known = 0;
	for (size_t i = 0; argc > 1 && i < sizeof shapes / sizeof *shapes; i++)
		known |= !strcmp(argv[1], shapes[i]);
	if (!known)
		usage();
	opt.shape = argv[1];
	int mixed = !strcmp(opt.shape, "mixed"), swiss = !strcmp(opt.shape, "swiss");
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = strchr(a, '=') ? strchr(a, '=') + 1 : "";
		if (!strncmp(a, "--keep-every=", 13) && swiss)
			opt.keep_every = num_arg(v, 2, 1 << 20);
		else if (!strncmp(a, "--gib=", 6) && mixed)
			opt.gib = gib_arg(v);
		else if (!strncmp(a, "--seed=", 7) && mixed)
			opt.seed = (uint64_t)num_arg(v, 0, INT64_MAX);
		else if (!strncmp(a, "--threads=", 10) && mixed)
			opt.threads = num_arg(v, 1, MAX_THREADS);
		else if (!strncmp(a, "--free=", 7) && mixed)
			opt.free_pct = num_arg(v, 0, 100);
		else if (!strcmp(a, "--churn"))
			opt.churn = 1;
		else if (!strcmp(a, "--release"))
			opt.release = 1;
		else
			usage();
	}
	if (opt.churn && opt.release)
		usage();
}

static void print_ready(void)
{
	struct mallinfo2 m = mallinfo2();
	say(1, "ready %d\n", (int)getpid());
	say(1, "mallinfo2 %zu %zu %zu %zu %zu %zu %zu %zu\n", m.arena, m.ordblks, m.smblks, m.hblks,
	    m.hblkhd, m.uordblks, m.fordblks, m.keepcost);
}

int main(int argc, char **argv)
{
	parse(argc, argv);
	for (long t = 0; t < opt.threads; t++) {
		/* two streams per thread, fixed by the seed and t */
		pools[t].size_rng = opt.seed * 2 + 0x5151ULL * (uint64_t)(t + 1);
		pools[t].life_rng = ~pools[t].size_rng;
	}
	if (opt.release)
		region_alloc(); /* first: a fresh heap hands out contiguous chunks */
	pthread_t th[MAX_THREADS];
	long threads = opt.threads > 1 ? opt.threads : 0;
	pthread_barrier_init(&built, NULL, (unsigned)threads + 1);
	pthread_barrier_init(&go, NULL, (unsigned)threads + 1);
	for (long t = 0; t < threads; t++)
		if (pthread_create(&th[t], NULL, thread_main, &pools[t]))
			die("pthread_create failed");
	if (!threads)
		build_shape(&pools[0]);
	pthread_barrier_wait(&built);
	print_ready();
	pthread_barrier_wait(&go);
	if (opt.release)
		release_once();
	if (opt.churn && !threads)
		churn(&pools[0]);
	idle();
}
