/*
 * arena_bloat — many threads, many arenas, each holding its own memory.
 *
 * Lesson: a thread that mallocs while others hold arenas gets an arena of
 * its own, up to 8 per core (16 on this 2-core machine). Each non-main arena
 * reserves a 64 MiB heap (VSZ), and memory freed in one arena is reused only
 * by the threads attached to it: 16 threads that each free 8 MiB under a pin
 * leave 16 x 8 MiB resident in 16 places. glibc.malloc.arena_max caps the
 * count (arena_max=1: everyone shares the main arena).
 *
 * Look at: the arena count (malloc_info arenas) and VSZ at 'allocated';
 * RSS at 'freed'; the same with --tunable glibc.malloc.arena_max=2.
 *
 * Knobs: --threads=16 --bytes=8388608 (per thread) --size=4096 --pin=1.
 *
 * Expected on glibc 2.36 (2 cores): 16 arenas, VSZ ~1.1 GB, RSS at 'freed'
 * still ~threads x bytes (every arena's heap is pinned); with arena_max=2
 * exactly 2 arenas and VSZ ~315 MB (the 16 thread stacks are 128 MiB of it).
 * With shared arenas what stays after the free depends on how the threads'
 * blocks and pins interleave.
 *
 * On each glibc of the matrix (2.31, 2.36, 2.41, 2.43): the on_glibc lines
 * below, measured; heaplab explain prints them and test_live_glibc_lessons
 * asserts each (holds, differs, does not apply) under that glibc.
 */
#include <pthread.h>
#include <stdlib.h>

#include "lab.h"

static lab_param_t params[] = {
	{"threads", 16, 1, 256, "threads, each allocating and freeing", 0},
	{"bytes", 8LL << 20, 4096, 1LL << 30, "bytes each thread allocates", 0},
	{"size", 4096, 16, 131072 - 32, "bytes per block", 0},
	{"pin", 1, 0, 1, "1: each thread keeps a small block above its freed ones", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const char *const on_glibc[] = {
	"2.31 holds: joined: RSS 130.6 MiB of 130.6 with nothing in use",
	"2.36 holds: joined: RSS 130.7 MiB of 130.6 with nothing in use",
	"2.41 holds: joined: RSS 130.7 MiB of 130.7 with nothing in use",
	"2.43 holds: joined: RSS 130.9 MiB of 130.8 with nothing in use",
	NULL,
};

/* The lesson at each phase (lab.h: steps; the placeholders: lib/lesson.c). */
static const char *const steps[] = {
	"allocated: {p:threads} threads each allocated {p:bytes} B: {arenas} arenas, VSZ "
	"{vsz}, RSS {rss}.",
	"allocated: a thread that mallocs while others hold arenas gets its own, up to 8 per "
	"core; each non-main arena reserves a 64 MiB heap (press a to see the next arena).",
	"freed [pin=1]: every thread freed its blocks under its own small pin: {freed} freed,"
	" RSS {rss} ({d_rss}), held back {held_back}.",
	"freed [pin=1]: memory freed in one arena is reused only by the threads attached to "
	"it: it stays resident in {arenas} places.",
	"freed [pin=0]: every thread freed its blocks, with no pin above them: {freed} freed,"
	" RSS {rss} ({d_rss}), held back {held_back}.",
	"joined: the threads have exited and been joined; the arenas stay ({arenas}): glibc "
	"never destroys an arena.",
	"joined: RSS {rss} ({d_rss}), VSZ {vsz}; --tunable glibc.malloc.arena_max=2 caps the "
	"count.",
	NULL,
};
static const lab_experiment_t experiment = {
	.name = "arena_bloat",
	.lesson = "each thread gets its own arena (up to 8 per core), each reserving a 64 MiB "
		  "heap and holding its own freed memory; arena_max caps it",
	.phases = "allocated freed joined",
	.look = "arenas (malloc_info) and VSZ at 'allocated'; RSS at 'freed'",
	.expect = "16 threads on 2 cores: 16 arenas, VSZ ~1.1 GB; arena_max=2: 2 arenas, VSZ "
		  "~200 MB",
	.params = params,
	.glibc = on_glibc,
	.steps = steps,
};

static pthread_barrier_t allocated, measured, freed, measured2;
static long long per_thread;
static size_t block_size;
static int use_pin;

static void *worker(void *arg)
{
	(void)arg;
	void **block = lab_blocks(per_thread, block_size);
	void *pin = use_pin ? malloc(32) : NULL;
	lab_keep(pin);
	pthread_barrier_wait(&allocated);
	pthread_barrier_wait(&measured);
	lab_free_blocks(block, per_thread, 0);
	pthread_barrier_wait(&freed);
	pthread_barrier_wait(&measured2);
	return pin; /* never freed: it keeps pinning after the thread is gone */
}

int main(int argc, char **argv)
{
	lab_init(&experiment, argc, argv);
	int n = (int)lab_param(&experiment, "threads");
	block_size = (size_t)lab_param(&experiment, "size");
	per_thread = lab_param(&experiment, "bytes") / (long long)block_size;
	use_pin = (int)lab_param(&experiment, "pin");
	pthread_barrier_init(&allocated, NULL, (unsigned)n + 1);
	pthread_barrier_init(&measured, NULL, (unsigned)n + 1);
	pthread_barrier_init(&freed, NULL, (unsigned)n + 1);
	pthread_barrier_init(&measured2, NULL, (unsigned)n + 1);
	pthread_t *tid = lab_scratch((unsigned long long)n * sizeof *tid);
	for (int t = 0; t < n; t++)
		pthread_create(&tid[t], NULL, worker, NULL);

	pthread_barrier_wait(&allocated);
	lab_observe("threads", n);
	lab_phase("allocated");
	pthread_barrier_wait(&measured);
	pthread_barrier_wait(&freed);
	lab_phase("freed");
	pthread_barrier_wait(&measured2);
	for (int t = 0; t < n; t++)
		pthread_join(tid[t], NULL);
	lab_phase("joined");
	return 0;
}
