/*
 * swiss_cheese — what malloc_trim can give back from a heap full of holes
 * depends on whole free pages inside the holes.
 *
 * Lesson: malloc_trim(0) releases (madvise MADV_DONTNEED) only whole pages
 * that lie inside free chunks, past each chunk's header. Keep every 2nd
 * 4 KiB block and every hole is one 4112-byte chunk that holds no whole
 * page: nothing is released although half the heap is free. Keep every 16th
 * and the holes are 15 blocks long: almost all of them goes back.
 *
 * Look at: the observations freed_bytes, released_bytes and
 * released_fraction at 'trimmed'; sweep --keep_every and --size.
 *
 * Knobs: --blocks=65536 --size=4096 --keep_every=2.
 *
 * Expected on glibc 2.36 (4 KiB blocks): keep_every=2 releases one page at
 * most; keep_every=4 two thirds of what was freed (a 3-block hole holds 2
 * whole pages); keep_every=16 over 90%.
 *
 * On each glibc of the matrix (2.31, 2.36, 2.41, 2.43): the on_glibc lines
 * below, measured; heaplab explain prints them and test_live_glibc_lessons
 * asserts each (holds, differs, does not apply) under that glibc.
 */
#include <stdlib.h>

#include "lab.h"

static lab_param_t params[] = {
	{"blocks", 65536, 2, 1LL << 24, "blocks to allocate", 0},
	{"size", 4096, 16, 131072 - 32, "bytes per block", 0},
	{"keep_every", 2, 2, 1 << 20, "keep block i when i % keep_every == 0, free the rest", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const char *const on_glibc[] = {
	"2.31 holds: trimmed: RSS 259.1 MiB of 259.1 with half freed",
	"2.36 holds: trimmed: RSS 259.2 MiB of 259.1 with half freed",
	"2.41 holds: trimmed: RSS 259.3 MiB of 259.3 with half freed",
	"2.43 holds: trimmed: RSS 259.4 MiB of 259.4 with half freed",
	NULL,
};

/* The lesson at each phase (lab.h: steps; the placeholders: lib/lesson.c). */
static const char *const steps[] = {
	"allocated: {p:blocks} blocks of {p:size} B fill the heap: live {live}, RSS {rss}.",
	"allocated: at the next phase every block but one in {p:keep_every} is freed.",
	"holes: {freed} freed, but the kept blocks sit between the holes: RSS {rss} "
	"({d_rss}); whole free pages held back: {held_back} (o between #).",
	"holes: no hole reaches top, so free() cannot trim anything.",
	"trimmed: malloc_trim(0) releases only whole pages inside free chunks, past each "
	"chunk's header: RSS {rss} ({d_rss} since '{prev}').",
	"trimmed: holes smaller than a page plus a header hold no whole page: they give "
	"nothing back, and the freed bytes stay resident.",
	NULL,
};
static const lab_experiment_t experiment = {
	.name = "swiss_cheese",
	.lesson = "malloc_trim releases only whole pages inside free chunks: holes smaller than "
		  "a page plus a header give nothing back",
	.phases = "allocated holes trimmed",
	.look = "released_fraction at 'trimmed' against keep_every and size",
	.expect = "4 KiB blocks: keep_every=2 releases 0 B; keep_every=16 over 90% of the freed "
		  "bytes",
	.params = params,
	.glibc = on_glibc,
	.steps = steps,
};

int main(int argc, char **argv)
{
	lab_init(&experiment, argc, argv);
	long long n = lab_param(&experiment, "blocks");
	size_t size = (size_t)lab_param(&experiment, "size");
	long long k = lab_param(&experiment, "keep_every");
	void **block = lab_blocks(n, size);
	lab_phase("allocated");

	long long freed = 0;
	for (long long i = 0; i < n; i++)
		if (i % k) {
			free(block[i]);
			freed += (long long)size;
		}
	lab_observe("freed_bytes", (double)freed);
	lab_phase("holes");

	long long before = lab_rss_bytes();
	lab_trim();
	long long released = before - lab_rss_bytes();
	if (released < 0)
		released = 0;
	lab_observe("freed_bytes", (double)freed);
	lab_observe("released_bytes", (double)released);
	lab_observe("released_fraction", freed ? (double)released / (double)freed : 0.0);
	lab_phase("trimmed");
	return 0;
}
