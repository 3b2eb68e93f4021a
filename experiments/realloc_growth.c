/*
 * realloc_growth — a buffer that doubles (like a C++ vector) moves from the
 * brk heap to its own mapping, and what that leaves behind.
 *
 * Lesson: while the buffer is below M_MMAP_THRESHOLD (128 KiB) realloc grows
 * it in the brk heap, copying into a new chunk when the neighbour is taken
 * and freeing the old one. The first size above the threshold is mmapped
 * (copied once more); after that realloc uses mremap, which may move the
 * mapping to a new address (counted in "moves") but never copies the bytes.
 * free() then unmaps it whole: nothing of the
 * 64 MiB stays. The small chunks it left in the heap are what remains.
 *
 * Look at: the observations in_brk_heap, mmapped and moves per phase.
 *
 * Knobs: --start=1024 --max=67108864 (bytes), --neighbour=1 (allocate a
 * small block after each growth so the buffer cannot grow in place).
 *
 * Expected on glibc 2.36: 'small' (64 KiB): in the brk heap; 'crossed'
 * (256 KiB): mmapped; 'grown' (64 MiB): mmapped, hblkhd >= 64 MiB;
 * 'freed': RSS back to within 1 MiB of 'start' plus the neighbours.
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
	{"start", 1024, 16, 1 << 20, "initial size in bytes", 0},
	{"max", 64LL << 20, 1 << 20, 1LL << 32, "final size in bytes", 0},
	{"neighbour", 1, 0, 1, "1: a small allocation after each growth", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const char *const on_glibc[] = {
	"2.31 holds: grown: RSS 65.8 MiB; freed: 1.8 MiB",
	"2.36 holds: grown: RSS 65.8 MiB; freed: 1.8 MiB",
	"2.41 holds: grown: RSS 66.0 MiB; freed: 2.0 MiB",
	"2.43 holds: grown: RSS 66.1 MiB; freed: 2.1 MiB",
	NULL,
};

/* The lesson at each phase (lab.h: steps; the placeholders: lib/lesson.c). */
static const char *const steps[] = {
	"start: a buffer of {p:start} B, in the brk heap: live {live}, RSS {rss}.",
	"start: it will double by realloc, below and then above the 128 KiB mmap threshold.",
	"small: grown to 64 KiB, still below the threshold: realloc copied it into new chunks"
	" in the heap and freed the old ones (held back {held_back}).",
	"small: live {live}, RSS {rss} ({d_rss}).",
	"crossed: at 256 KiB the buffer is above the threshold: it was copied once more, into"
	" a mapping of its own (outside the heap map).",
	"crossed: RSS {rss} ({d_rss}); the small chunks it left behind stay in the heap.",
	"grown: grown to {p:max} B by mremap, which moves a mapping without copying it: RSS "
	"{rss} ({d_rss}).",
	"grown: the heap itself hardly changed: held back {held_back}, top {top}.",
	"freed: free() unmapped the buffer whole: RSS {rss} ({d_rss}).",
	"freed: nothing of it stays; what remains in the heap is the small chunks it left "
	"(held back {held_back}).",
	NULL,
};
static const lab_experiment_t experiment = {
	.name = "realloc_growth",
	.lesson = "a doubling buffer lives in the brk heap until it passes the mmap threshold, "
		  "then in its own mapping grown by mremap; free unmaps it whole",
	.phases = "start small crossed grown freed",
	.look = "in_brk_heap / mmapped / moves per phase; RSS at 'freed'",
	.expect = "small: brk heap; crossed and grown: mmapped; freed: RSS back near start",
	.params = params,
	.glibc = on_glibc,
	.steps = steps,
};

static char *buf;
static size_t cap;
static long long moves;

static void grow_to(size_t want, int neighbour)
{
	while (cap < want) {
		size_t next = cap * 2;
		char *p = realloc(buf, next);
		if (!p)
			exit(1);
		if (p != buf)
			moves++;
		buf = p;
		lab_touch(buf + cap, next - cap);
		cap = next;
		if (neighbour)
			lab_keep(malloc(32));
	}
}

static void observe(void)
{
	int mm = lab_chunk_is_mmapped(buf);
	lab_observe("capacity", (double)cap);
	lab_observe("mmapped", mm);
	lab_observe("in_brk_heap", !mm && (uintptr_t)buf < (uintptr_t)sbrk(0));
	lab_observe("moves", (double)moves);
}

int main(int argc, char **argv)
{
	lab_init(&experiment, argc, argv);
	int neighbour = (int)lab_param(&experiment, "neighbour");
	cap = (size_t)lab_param(&experiment, "start");
	buf = malloc(cap);
	lab_touch(buf, cap);
	observe();
	lab_phase("start");
	grow_to(64 << 10, neighbour);
	observe();
	lab_phase("small");
	grow_to(256 << 10, neighbour);
	observe();
	lab_phase("crossed");
	grow_to((size_t)lab_param(&experiment, "max"), neighbour);
	observe();
	lab_phase("grown");
	free(buf);
	lab_phase("freed");
	return 0;
}
