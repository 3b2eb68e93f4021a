/*
 * zmalloc_accounting — Redis-style used_memory against RSS: the counter
 * falls, RSS does not.
 *
 * Lesson: Redis counts used_memory itself, adding malloc_usable_size() (or
 * the requested size plus an 8-byte prefix where the allocator cannot tell
 * sizes) at every allocation and subtracting it at every free, and reports
 * mem_fragmentation_ratio = RSS / used_memory. Fill a keyspace, delete 80%
 * of the keys at random: used_memory falls by ~80%, RSS hardly moves, and the
 * ratio climbs to ~5: the allocator holds what the program gave back.
 *
 * Look at: the observations used_memory, used_memory_prefix and
 * mem_fragmentation_ratio per phase.
 *
 * Knobs: --keys=500000 (values of 16..512 B, fixed seed)
 * --delete_percent=80.
 *
 * Expected on glibc 2.36: 'filled' ratio ~1.1; 'deleted' used_memory ~20%
 * of filled, RSS >= 90% of filled, ratio >= 4.
 *
 * On each glibc of the matrix (2.31, 2.36, 2.41, 2.43): the on_glibc lines
 * below, measured; heaplab explain prints them and test_live_glibc_lessons
 * asserts each (holds, differs, does not apply) under that glibc.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

static lab_param_t params[] = {
	{"keys", 500000, 1, 1LL << 26, "keys to insert", 0},
	{"delete_percent", 80, 0, 100, "percent of keys deleted at random", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const char *const on_glibc[] = {
	"2.31 holds: deleted: in use 137.1 -> 27.5 MiB, RSS 142.5 MiB of 142.5",
	"2.36 holds: deleted: in use 137.1 -> 27.5 MiB, RSS 142.7 MiB of 142.6",
	"2.41 holds: deleted: in use 137.1 -> 27.5 MiB, RSS 142.7 MiB of 142.6",
	"2.43 holds: deleted: in use 137.1 -> 27.6 MiB, RSS 142.8 MiB of 142.8",
	NULL,
};

/* The lesson at each phase (lab.h: steps; the placeholders: lib/lesson.c). */
static const char *const steps[] = {
	"filled: {p:keys} keys of 16..512 B inserted: live {live}, RSS {rss}, RSS/live "
	"{ratio}.",
	"filled: Redis counts used_memory itself and reports RSS / used_memory; here live "
	"plays that part.",
	"deleted: {p:delete_percent}% of the keys deleted at random: {freed} freed, but RSS "
	"{rss} ({d_rss}).",
	"deleted: RSS/live is now {ratio}: the allocator holds what the program gave back, "
	"small chunks between live keys (whole free pages among them: {held_back}).",
	NULL,
};
static const lab_experiment_t experiment = {
	.name = "zmalloc_accounting",
	.lesson = "a Redis-style used_memory counter falls when keys are deleted, RSS does not: "
		  "mem_fragmentation_ratio = RSS / used_memory climbs",
	.phases = "filled deleted",
	.look = "used_memory and mem_fragmentation_ratio at 'deleted'",
	.expect = "deleted: used_memory ~20% of filled, RSS >= 90%, ratio >= 4",
	.params = params,
	.glibc = on_glibc,
	.steps = steps,
};

/* The two ways zmalloc counts: what the allocator says it gave
 * (malloc_usable_size), and the request plus an 8-byte size prefix. */
static long long used_usable, used_prefix;

static void *zmalloc(size_t n)
{
	size_t *p = malloc(n + sizeof(size_t));
	p[0] = n;
	used_usable += (long long)malloc_usable_size(p);
	used_prefix += (long long)(n + sizeof(size_t));
	return p + 1;
}

static void zfree(void *v)
{
	size_t *p = (size_t *)v - 1;
	used_usable -= (long long)malloc_usable_size(p);
	used_prefix -= (long long)(p[0] + sizeof(size_t));
	free(p);
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void observe(void)
{
	long long rss = lab_rss_bytes();
	lab_observe("used_memory", (double)used_usable);
	lab_observe("used_memory_prefix", (double)used_prefix);
	lab_observe("used_memory_rss", (double)rss);
	lab_observe("mem_fragmentation_ratio", used_usable ? (double)rss / (double)used_usable : 0);
}

int main(int argc, char **argv)
{
	lab_init(&experiment, argc, argv);
	long long n = lab_param(&experiment, "keys");
	long long del = lab_param(&experiment, "delete_percent");
	void **val = lab_scratch((unsigned long long)n * sizeof *val);
	for (long long i = 0; i < n; i++) {
		size_t size = 16 + next_random() % 497;
		val[i] = zmalloc(size);
		memset(val[i], 'v', size);
	}
	observe();
	lab_phase("filled");
	for (long long i = 0; i < n; i++)
		if ((long long)(next_random() % 100) < del) {
			zfree(val[i]);
			val[i] = NULL;
		}
	observe();
	lab_phase("deleted");
	return 0;
}
