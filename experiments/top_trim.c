/*
 * top_trim — free trims the heap by itself, from the top, past
 * M_TRIM_THRESHOLD.
 *
 * Lesson: when a free leaves the top chunk larger than M_TRIM_THRESHOLD
 * (128 KiB by default), glibc shrinks the brk heap at once. Freeing 256 MiB
 * from the top down returns it all without malloc_trim. Raise the threshold
 * (--tunable glibc.malloc.trim_threshold=N) above what was freed and the
 * same free keeps everything resident.
 *
 * Look at: RSS and the brk heap size at 'freed', with and without
 * --tunable glibc.malloc.trim_threshold=1073741824.
 *
 * Knobs: --blocks=65536 --size=4096, --reverse=1 (free from the top down; 0
 * frees bottom-up, which ends the same way: the last free merges into top).
 *
 * Expected on glibc 2.36: default: heap and RSS back to a few MB at 'freed';
 * trim_threshold=1 GiB: heap and RSS stay ~256 MiB.
 *
 * On each glibc of the matrix (2.31, 2.36, 2.41, 2.43): the on_glibc lines
 * below, measured; heaplab explain prints them and test_live_glibc_lessons
 * asserts each (holds, differs, does not apply) under that glibc.
 */
#include <stdlib.h>

#include "lab.h"

static lab_param_t params[] = {
	{"blocks", 65536, 1, 1LL << 24, "blocks to allocate", 0},
	{"size", 4096, 1, 131072 - 32, "bytes per block", 0},
	{"reverse", 1, 0, 1, "1: free the last block first", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const char *const on_glibc[] = {
	"2.31 holds: freed: RSS 259.1 -> 2.3 MiB",
	"2.36 holds: freed: RSS 259.2 -> 2.3 MiB",
	"2.41 holds: freed: RSS 259.3 -> 2.5 MiB",
	"2.43 holds: freed: RSS 259.3 -> 2.5 MiB",
	NULL,
};

/* The lesson at each phase (lab.h: steps; the placeholders: lib/lesson.c). */
static const char *const steps[] = {
	"allocated: {p:blocks} blocks of {p:size} B are in use: live {live}, RSS {rss}.",
	"allocated: nothing sits above the last block but top: no pin.",
	"freed: {freed} freed, RSS {rss} ({d_rss}): each free merged into top, and once top "
	"passed M_TRIM_THRESHOLD free() shrank the heap by itself.",
	"freed: held back {held_back}: with trim_threshold raised above what was freed "
	"(--tunable glibc.malloc.trim_threshold=1073741824) it would all stay.",
	NULL,
};
static const lab_experiment_t experiment = {
	.name = "top_trim",
	.lesson = "free shrinks the brk heap by itself once top exceeds M_TRIM_THRESHOLD; a "
		  "higher threshold keeps the memory",
	.phases = "allocated freed",
	.look = "heap size and RSS at 'freed', default vs glibc.malloc.trim_threshold=1073741824",
	.expect = "default: a few MB at freed; trim_threshold=1 GiB: ~256 MiB stays",
	.params = params,
	.glibc = on_glibc,
	.steps = steps,
};

int main(int argc, char **argv)
{
	lab_init(&experiment, argc, argv);
	long long n = lab_param(&experiment, "blocks");
	size_t size = (size_t)lab_param(&experiment, "size");
	void **block = lab_blocks(n, size);
	lab_phase("allocated");
	lab_free_blocks(block, n, (int)lab_param(&experiment, "reverse"));
	lab_phase("freed");
	return 0;
}
