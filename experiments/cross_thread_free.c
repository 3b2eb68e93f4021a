/*
 * cross_thread_free — memory freed by one thread goes back to the arena of
 * the thread that allocated it.
 *
 * Lesson: a producer thread allocates, a consumer (here the main thread)
 * frees. free() returns each chunk to the arena it came from, the
 * producer's, not the consumer's: the freed bytes show up as free memory in
 * arena 1 while the main arena does not change, and they can be reused only
 * by threads attached to arena 1. With the producer gone the arena stays,
 * holding them (arenas are never destroyed).
 *
 * Look at: malloc_info per arena at 'produced', 'consumed' and
 * 'producer_exited': where the free bytes are.
 *
 * Knobs: --bytes=67108864 --size=4096 (above tcache's limit, so the
 * consumer's tcache does not keep them).
 *
 * Expected on glibc 2.36: at 'consumed' arena 1's free ("rest") bytes hold
 * the 64 MiB, arena 0's stay under 1 MiB; RSS does not fall (a pin sits on
 * top of arena 1's heap); the same after the producer exits.
 *
 * On each glibc of the matrix (2.31, 2.36, 2.41, 2.43): the on_glibc lines
 * below, measured; heaplab explain prints them and test_live_glibc_lessons
 * asserts each (holds, differs, does not apply) under that glibc.
 */
#include <pthread.h>
#include <stdlib.h>

#include "lab.h"

static lab_param_t params[] = {
	{"bytes", 64LL << 20, 1 << 20, 1LL << 30, "bytes the producer allocates", 0},
	{"size", 4096, 1040, 131072 - 32, "bytes per block (above tcache's 1032)", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const char *const on_glibc[] = {
	"2.31 holds: producer_exited: RSS 66.1 MiB of 66.1, nothing in use",
	"2.36 holds: producer_exited: RSS 66.0 MiB of 66.0, nothing in use",
	"2.41 holds: producer_exited: RSS 66.3 MiB of 66.2, nothing in use",
	"2.43 holds: producer_exited: RSS 66.3 MiB of 66.2, nothing in use",
	NULL,
};

/* The lesson at each phase (lab.h: steps; the placeholders: lib/lesson.c). */
static const char *const steps[] = {
	"produced: a producer thread allocated {p:bytes} B in blocks of {p:size} B, in its "
	"own arena (arena 2 here; press a): live {live}, RSS {rss}.",
	"produced: {arenas} arenas; the main thread will free what the producer allocated.",
	"consumed: the main thread freed {freed}: free() returns each chunk to the arena it "
	"came from, the producer's, not the main one.",
	"consumed: held back {held_back}, RSS {rss} ({d_rss}): only threads attached to that "
	"arena can reuse it.",
	"producer_exited: the producer has exited; its arena stays, and with it the freed "
	"memory: RSS {rss} ({d_rss}).",
	"producer_exited: arenas are never destroyed: {arenas} arenas, held back {held_back}.",
	NULL,
};
static const lab_experiment_t experiment = {
	.name = "cross_thread_free",
	.lesson = "memory freed by another thread returns to the allocating thread's arena and "
		  "is held there, even after that thread exits",
	.phases = "produced consumed producer_exited",
	.look = "malloc_info per arena: arena 1's free bytes at 'consumed'",
	.expect = "consumed: arena 1 holds the 64 MiB free, arena 0 under 1 MiB; RSS unchanged",
	.params = params,
	.glibc = on_glibc,
	.steps = steps,
};

static long long count;
static size_t size;
static pthread_barrier_t produced, consumed;

static void **block;

static void *producer(void *arg)
{
	(void)arg;
	block = lab_blocks(count, size);
	lab_keep(malloc(32)); /* pins arena 1's heap top */
	pthread_barrier_wait(&produced);
	pthread_barrier_wait(&consumed); /* stays alive while the main thread frees */
	return NULL;
}

int main(int argc, char **argv)
{
	lab_init(&experiment, argc, argv);
	size = (size_t)lab_param(&experiment, "size");
	count = lab_param(&experiment, "bytes") / (long long)size;
	pthread_barrier_init(&produced, NULL, 2);
	pthread_barrier_init(&consumed, NULL, 2);
	pthread_t t;
	pthread_create(&t, NULL, producer, NULL);
	pthread_barrier_wait(&produced);
	lab_observe("produced_bytes", (double)count * (double)size);
	lab_phase("produced");

	lab_free_blocks(block, count, 0); /* by the main thread */
	lab_phase("consumed");
	pthread_barrier_wait(&consumed);
	pthread_join(t, NULL);
	lab_phase("producer_exited");
	return 0;
}
