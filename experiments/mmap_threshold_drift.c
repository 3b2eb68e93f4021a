/*
 * mmap_threshold_drift — freeing one big mmapped block moves big blocks
 * into the brk heap, where they are retained.
 *
 * Lesson: glibc serves requests above M_MMAP_THRESHOLD (128 KiB at start)
 * with their own mmap, and munmap gives them back whole on free. But the
 * threshold is dynamic: freeing an mmapped chunk larger than it raises it to
 * that chunk's size (and M_TRIM_THRESHOLD to twice that). After freeing one
 * 1 MiB block, the next 1 MiB blocks come from the brk heap, and freeing
 * them under a live pin keeps them resident. Setting the threshold
 * (--tunable glibc.malloc.mmap_threshold=131072, or MALLOC_MMAP_THRESHOLD_)
 * turns the drift off: the blocks stay mmapped and go back on free.
 *
 * Look at: the observation block_in_brk_heap per phase; RSS at 'freed'
 * against 'start'.
 *
 * Knobs: --size=1048576 (bytes per block) --blocks=64 (the second round).
 *
 * Expected on glibc 2.36: 'first': the block is mmapped; 'drifted': all 64
 * blocks are in the brk heap; 'freed': RSS stays ~64 MiB above 'start'.
 * With mmap_threshold=131072: blocks mmapped, RSS back at 'freed'.
 *
 * On each glibc of the matrix (2.31, 2.36, 2.41, 2.43): the on_glibc lines
 * below, measured; heaplab explain prints them and test_live_glibc_lessons
 * asserts each (holds, differs, does not apply) under that glibc.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "lab.h"

static lab_param_t params[] = {
	{"size", 1048576, 262144, 16 << 20, "bytes per block (above the initial threshold)", 0},
	{"blocks", 64, 1, 4096, "blocks in the second round", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const char *const on_glibc[] = {
	"2.31 holds: first_freed: RSS 2.6 -> 1.6 MiB (unmapped); freed: 65.6 MiB of 65.6 "
	"stays",
	"2.36 holds: first_freed: RSS 2.7 -> 1.7 MiB (unmapped); freed: 65.7 MiB of 65.7 "
	"stays",
	"2.41 holds: first_freed: RSS 2.9 -> 1.9 MiB (unmapped); freed: 65.9 MiB of 65.9 "
	"stays",
	"2.43 holds: first_freed: RSS 3.0 -> 2.0 MiB (unmapped); freed: 66.0 MiB of 66.0 "
	"stays",
	NULL,
};

/* The lesson at each phase (lab.h: steps; the placeholders: lib/lesson.c). */
static const char *const steps[] = {
	"start: nothing allocated yet: RSS {rss}; the mmap threshold starts at 128 KiB.",
	"start: requests above it get a mapping of their own, given back whole by free.",
	"first: one block of {p:size} B, above the threshold: mmapped on its own, outside the"
	" heap (live {live}, RSS {rss}).",
	"first: the heap map does not change: an mmapped chunk is a mapping of its own (M on "
	"the maps strip), not part of a heap.",
	"first_freed: freeing that mmapped block raised the mmap threshold to its size (and "
	"the trim threshold to twice that): RSS {rss} ({d_rss}).",
	"first_freed: the threshold is dynamic: the next blocks of this size will not be "
	"mmapped.",
	"drifted: {p:blocks} more blocks of {p:size} B, now from the brk heap: live {live} "
	"({d_live}), RSS {rss}.",
	"drifted: the map grew by the heap cells they take (highlighted); a small pin sits "
	"above them.",
	"freed: {freed} freed under the pin: RSS {rss} ({d_rss}), held back {held_back}: "
	"freed in the heap, not unmapped.",
	"freed: a fixed threshold (--tunable glibc.malloc.mmap_threshold=131072) keeps them "
	"mmapped and gives them back on free.",
	NULL,
};
static const lab_experiment_t experiment = {
	.name = "mmap_threshold_drift",
	.lesson = "freeing one mmapped block raises the mmap threshold; later big blocks come "
		  "from the brk heap and are retained",
	.phases = "start first first_freed drifted freed",
	.look = "block_in_brk_heap per phase; RSS at 'freed' vs 'start'",
	.expect = "first: mmapped; drifted: all blocks in the brk heap; freed: RSS ~64 MiB above "
		  "start; glibc.malloc.mmap_threshold=131072: no drift, RSS back",
	.params = params,
	.glibc = on_glibc,
	.steps = steps,
};

/* In the brk heap: below the program break and not mmapped on its own. */
static int in_brk_heap(void *p)
{
	return !lab_chunk_is_mmapped(p) && (uintptr_t)p < (uintptr_t)sbrk(0);
}

int main(int argc, char **argv)
{
	lab_init(&experiment, argc, argv);
	size_t size = (size_t)lab_param(&experiment, "size");
	long long n = lab_param(&experiment, "blocks");
	lab_phase("start");

	char *first = malloc(size);
	lab_touch(first, size);
	lab_observe("block_in_brk_heap", in_brk_heap(first));
	lab_phase("first");
	free(first);
	lab_phase("first_freed");

	void **block = lab_blocks(n, size);
	long long in_brk = 0;
	for (long long i = 0; i < n; i++)
		in_brk += in_brk_heap(block[i]);
	char *pin = malloc(32);
	lab_keep(pin);
	lab_observe("block_in_brk_heap", in_brk_heap(block[n - 1]));
	lab_observe("blocks_in_brk_heap", (double)in_brk);
	lab_phase("drifted");

	lab_free_blocks(block, n, 0);
	lab_phase("freed");
	free(pin);
	return 0;
}
