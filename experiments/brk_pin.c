/*
 * brk_pin — a small allocation made last pins a whole freed heap below it.
 *
 * Lesson: free() gives memory back to the kernel only from the top of the
 * brk heap. 1 GiB of 4 KiB blocks freed under a 2-byte "pin" allocated after
 * them stays resident: glibc merges the blocks into one free chunk, but the
 * pin sits between that chunk and the top, so the heap cannot shrink.
 * malloc_trim(0) still releases the pages (madvise(MADV_DONTNEED) inside the
 * free chunk), so RSS falls while the address space (VSZ) stays.
 *
 * Look at: RSS against "in use" at 'freed' (RSS stays, in use collapses),
 * then RSS against VSZ at 'trimmed' (RSS falls, VSZ stays).
 *
 * Knobs: --blocks=262144 --size=4096 (bytes each; below the 128 KiB mmap
 * threshold so they come from the brk heap), --pin=1 (0: no pin, and the
 * heap top is trimmed by free itself), --trim=1 (call malloc_trim(0) and
 * mark the 'trimmed' phase).
 *
 * Expected on glibc 2.36 (Debian 12, x86-64), defaults: RSS ~1,056,000 kB at
 * 'allocated' and still ~1,056,000 kB at 'freed' while in use is a few KiB;
 * ~3,700 kB at 'trimmed' with VSZ still ~1,057,000 kB. With --pin=0, RSS and
 * VSZ fall to a few MB at 'freed' without any malloc_trim.
 *
 * On each glibc of the matrix (2.31, 2.36, 2.41, 2.43): the on_glibc lines
 * below, measured; heaplab explain prints them and test_live_glibc_lessons
 * asserts each (holds, differs, does not apply) under that glibc.
 */
#include <stdlib.h>

#include "lab.h"

static lab_param_t params[] = {
	{"blocks", 262144, 1, 1LL << 24, "how many blocks to allocate", 0},
	{"size", 4096, 1, 131072 - 32, "bytes per block (below the mmap threshold)", 0},
	{"pin", 1, 0, 1, "1: allocate a 2-byte pin after the blocks", 0},
	{"trim", 1, 0, 1, "1: call malloc_trim(0) after the free", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const char *const on_glibc[] = {
	"2.31 holds: freed: RSS 1031.7 MiB of 1031.6; trimmed: 3.7 MiB",
	"2.36 holds: freed: RSS 1031.7 MiB of 1031.7; trimmed: 3.7 MiB",
	"2.41 holds: freed: RSS 1031.8 MiB of 1031.8; trimmed: 3.8 MiB",
	"2.43 holds: freed: RSS 1032.0 MiB of 1031.9; trimmed: 4.0 MiB",
	NULL,
};

/* The lesson at each phase (lab.h: steps; the placeholders: lib/lesson.c). */
static const char *const steps[] = {
	"allocated: {p:blocks} blocks of {p:size} B fill the brk heap: live {live}, RSS "
	"{rss}, almost every cell used (#).",
	"allocated [pin=1]: then a 2-byte block was allocated last, right below top: it is "
	"the pin to watch at the next phase.",
	"allocated [pin=0]: no pin was allocated: the blocks end right below top.",
	"freed [pin=1]: {freed} freed; RSS still {rss} ({d_rss}): the {pin_size} chunk at "
	"{pin_addr} (P) sits between the free chunk and top, so the heap cannot shrink.",
	"freed [pin=1]: the freed blocks merged into one free chunk, held back ({held_back}, "
	"o): free() gives memory back only from the top of the heap.",
	"freed [pin=0]: {freed} freed and RSS is {rss} ({d_rss}): with no pin the freed "
	"blocks merged into top and free() trimmed the heap by itself.",
	"trimmed: malloc_trim(0) released the pages inside the free chunk with madvise: RSS "
	"{rss} ({d_rss}), released {released} (.).",
	"trimmed: the address space stays (VSZ {vsz}): the pages are given back, the heap is "
	"not shrunk.",
	NULL,
};
static const lab_experiment_t experiment = {
	.name = "brk_pin",
	.lesson = "a small allocation made last pins a whole freed brk heap below it; "
		  "malloc_trim(0) releases the pages but not the address space",
	.phases = "allocated freed trimmed",
	.look = "RSS vs in use at 'freed' (RSS stays); RSS vs VSZ at 'trimmed' (RSS falls, VSZ "
		"stays)",
	.expect = "RSS ~1,056,000 kB at allocated and at freed, in use a few KiB at freed; "
		  "~3,700 kB at trimmed with VSZ ~1,057,000 kB; --pin=0: a few MB at freed",
	.params = params,
	.glibc = on_glibc,
	.steps = steps,
};

int main(int argc, char **argv)
{
	lab_init(&experiment, argc, argv);
	long long blocks = lab_param(&experiment, "blocks");
	size_t size = (size_t)lab_param(&experiment, "size");
	int pin = (int)lab_param(&experiment, "pin");

	/* (the pointer array comes from mmap, not from the heap we measure) */
	void **block = lab_blocks(blocks, size);
	char *p = NULL;
	if (pin) {
		p = malloc(2);
		if (!p)
			return 1;
		p[0] = 1;
		lab_keep(p);
	}
	lab_observe("blocks", (double)blocks);
	lab_observe("block_size", (double)size);
	lab_observe("pinned", pin);
	lab_phase("allocated");

	lab_free_blocks(block, blocks, 0);
	lab_phase("freed");

	if (lab_param(&experiment, "trim")) {
		lab_trim();
		lab_phase("trimmed");
	}
	free(p);
	return 0;
}
