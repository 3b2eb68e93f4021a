/*
 * pool_vs_malloc — an nginx-style pool against malloc/free of the same
 * objects.
 *
 * Lesson: a pool hands out objects by bumping a pointer through large
 * blocks it mallocs, and frees nothing until it is destroyed. Releasing 90%
 * of the objects changes nothing (in use stays, RSS stays); destroying the
 * pool returns its blocks whole, and the heap shrinks. The same objects
 * allocated with malloc and 90% freed at random: in use falls, but RSS
 * stays, because the 10% left are spread over every page. With the default
 * million objects, even freeing the rest gives nothing back: tens of
 * thousands of the freed chunks are
 * fastbin-sized, fastbin chunks never merge with their neighbours, so no
 * free ever makes a chunk of 64 KiB (the size that consolidates fastbins
 * and trims) and the top never grows; malloc_trim(0) would.
 *
 * Look at: in use and RSS at 'released' and 'destroyed', --pool=1 vs 0.
 *
 * Knobs: --pool=1 --objects=1000000 (sizes 16..256 B, fixed seed)
 * --block=65536 (pool block bytes) --keep_percent=10.
 *
 * Expected on glibc 2.36: pool: 'released' in use and RSS unchanged,
 * 'destroyed' RSS a few MB; malloc: 'released' in use ~10%, RSS unchanged;
 * 'destroyed' in use 0, ~40,000 chunks in fastbins, RSS still unchanged.
 *
 * On each glibc of the matrix (2.31, 2.36, 2.41, 2.43): the on_glibc lines
 * below, measured; heaplab explain prints them and test_live_glibc_lessons
 * asserts each (holds, differs, does not apply) under that glibc.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

static lab_param_t params[] = {
	{"pool", 1, 0, 1, "1: allocate from a pool; 0: malloc each object", 0},
	{"objects", 1000000, 1, 1LL << 26, "objects", 0},
	{"block", 65536, 4096, 1 << 20, "bytes per pool block (below the mmap threshold)", 0},
	{"keep_percent", 10, 0, 100, "percent of objects still live after the release", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const char *const on_glibc[] = {
	"2.31 holds: released: RSS 146.4 MiB of 146.4; destroyed: 9.3 MiB",
	"2.36 holds: released: RSS 146.6 MiB of 146.6; destroyed: 9.5 MiB",
	"2.41 holds: released: RSS 146.7 MiB of 146.6; destroyed: 9.6 MiB",
	"2.43 holds: released: RSS 146.8 MiB of 146.7; destroyed: 9.7 MiB",
	NULL,
};

/* The lesson at each phase (lab.h: steps; the placeholders: lib/lesson.c). */
static const char *const steps[] = {
	"filled [pool=1]: {p:objects} objects of 16..256 B from a pool that bumps a pointer "
	"through {p:block}-byte blocks: live {live}, RSS {rss}.",
	"filled [pool=0]: {p:objects} objects of 16..256 B, each from malloc: live {live}, "
	"RSS {rss}.",
	"filled: at the next phase all but {p:keep_percent}% of the objects are released.",
	"released [pool=1]: the pool freed nothing: live {live} ({d_live}), RSS {rss} "
	"({d_rss}).",
	"released [pool=1]: a pool holds every block until it is destroyed.",
	"released [pool=0]: {freed} freed, but RSS {rss} ({d_rss}): the {p:keep_percent}% "
	"left are spread over every page.",
	"released [pool=0]: held back {held_back}, fastbins {fastbins}: fastbin chunks never "
	"merge with their neighbours.",
	"destroyed [pool=1]: destroying the pool freed its blocks whole: the heap shrank, RSS"
	" {rss} ({d_rss}).",
	"destroyed [pool=0]: the rest was freed: live {live}, but RSS {rss} ({d_rss}): no "
	"free made a chunk big enough to consolidate the fastbins ({fastbins}) and trim.",
	"destroyed: releasable {releasable}: what malloc_trim(0) would give back.",
	NULL,
};
static const lab_experiment_t experiment = {
	.name = "pool_vs_malloc",
	.lesson = "a pool holds everything until it is destroyed, then returns it whole; malloc "
		  "frees objects but keeps the pages their live neighbours sit on",
	.phases = "filled released destroyed",
	.look = "in use and RSS at 'released' and 'destroyed', --pool=1 vs --pool=0",
	.expect = "pool: released unchanged, destroyed a few MB; malloc: released in use ~10%, "
		  "RSS unchanged, and still unchanged at destroyed (fastbins)",
	.params = params,
	.glibc = on_glibc,
	.steps = steps,
};

/* The pool: a chain of malloc'd blocks, bump allocation inside the newest. */
typedef struct pool_block {
	struct pool_block *prev;
	size_t used, size;
	char data[];
} pool_block_t;

static pool_block_t *pool;
static size_t pool_block_bytes;

static void *pool_alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!pool || pool->used + n > pool->size) {
		pool_block_t *b = malloc(pool_block_bytes);
		b->prev = pool;
		b->used = 0;
		b->size = pool_block_bytes - sizeof *b;
		pool = b;
	}
	void *p = pool->data + pool->used;
	pool->used += n;
	return p;
}

static void pool_destroy(void)
{
	while (pool) {
		pool_block_t *prev = pool->prev;
		free(pool);
		pool = prev;
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	lab_init(&experiment, argc, argv);
	int use_pool = (int)lab_param(&experiment, "pool");
	long long n = lab_param(&experiment, "objects");
	long long keep = lab_param(&experiment, "keep_percent");
	pool_block_bytes = (size_t)lab_param(&experiment, "block");
	void **obj = lab_scratch((unsigned long long)n * sizeof *obj);
	for (long long i = 0; i < n; i++) {
		size_t size = 16 + next_random() % 241;
		obj[i] = use_pool ? pool_alloc(size) : malloc(size);
		memset(obj[i], 1, size);
	}
	lab_phase("filled");

	/* the application lets go of (100 - keep)% of the objects */
	long long released = 0;
	for (long long i = 0; i < n; i++)
		if ((long long)(next_random() % 100) >= keep) {
			if (!use_pool)
				free(obj[i]);
			obj[i] = NULL;
			released++;
		}
	lab_observe("released_objects", (double)released);
	lab_phase("released");

	if (use_pool)
		pool_destroy();
	else
		for (long long i = 0; i < n; i++)
			free(obj[i]);
	lab_phase("destroyed");
	return 0;
}
