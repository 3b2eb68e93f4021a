/*
 * first_free_pin — from glibc 2.43 a thread's tcache is made by its first
 * free, on top of everything it allocated, and pins the heap.
 *
 * Lesson: glibc keeps each thread's tcache in a chunk of its own heap, the
 * tcache_perthread_struct (656 bytes up to 2.41, 768 from 2.42). Up to
 * 2.41 it is made by the thread's first malloc, so it sits at the bottom
 * of the heap, below everything. glibc 2.43 makes it at the first free
 * that tcache could take (tcache_free_init): a program that allocates
 * first and frees later gets malloc's own struct allocated from top, above
 * all its data. Freeing everything then leaves one free chunk below that
 * struct: the heap cannot shrink, and RSS stays, as under an explicit pin
 * (brk_pin). malloc_trim(0) releases the pages.
 *
 * Look at: RSS at 'freed' per glibc (heaplab sweep first_free_pin --glibc
 * 2.41,2.43); heapview on 2.43 at 'freed' shows the 768-byte malloc chunk
 * right below top.
 *
 * Knobs: --blocks=65536 --size=1000 (tcache-sized: 1032 bytes at most, so
 * that the first free goes to tcache and makes it), --trim=1.
 *
 * Expected on glibc 2.36: RSS ~65 MiB at 'allocated', a few MB at 'freed'
 * (the last free merges into top and trims). On 2.43: still ~65 MiB at
 * 'freed'; a few MB at 'trimmed'.
 *
 * On each glibc of the matrix (2.31, 2.36, 2.41, 2.43): the on_glibc lines
 * below, measured; heaplab explain prints them and test_live_glibc_lessons
 * asserts each (holds, differs, does not apply) under that glibc.
 */
#include <stdlib.h>

#include "lab.h"

static lab_param_t params[] = {
	{"blocks", 65536, 1, 1LL << 24, "blocks to allocate before any free", 0},
	{"size", 1000, 1, 1032, "bytes per block (tcache takes up to 1032)", 0},
	{"trim", 1, 0, 1, "1: call malloc_trim(0) after the free", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const char *const on_glibc[] = {
	"2.31 does not apply: the tcache is made by the first malloc, at the heap's start; "
	"freed: RSS 65.2 -> 2.4 MiB",
	"2.36 does not apply: as on 2.31; freed: RSS 65.1 -> 2.2 MiB",
	"2.41 does not apply: as on 2.31; freed: RSS 65.2 -> 2.4 MiB",
	"2.43 holds: the first free makes the tcache above the blocks; freed: RSS 65.4 MiB of "
	"65.4, trimmed: 2.4 MiB",
	NULL,
};

/* The lesson at each phase (lab.h: steps; the placeholders: lib/lesson.c). */
static const char *const steps[] = {
	"allocated: {p:blocks} blocks of {p:size} B (tcache-sized) allocated before any free:"
	" live {live}, RSS {rss}.",
	"allocated: up to glibc 2.41 the thread's tcache was made by its first malloc, at the"
	" bottom of the heap; from 2.43 at its first free, from top.",
	"freed: {freed} freed; RSS {rss} ({d_rss}), held back {held_back}.",
	"freed: on 2.43 malloc's own tcache struct, made at the first free above the data, "
	"pins the heap (pin: {pin}); on 2.36 the last free merged into top and trimmed.",
	"trimmed: malloc_trim(0) released the free chunk's pages: RSS {rss} ({d_rss}), "
	"released {released}.",
	"trimmed: VSZ {vsz}: the address space stays.",
	NULL,
};
static const lab_experiment_t experiment = {
	.name = "first_free_pin",
	.lesson = "from glibc 2.43 the tcache is made by a thread's first free, above what it "
		  "allocated, and pins the heap; before, the first malloc makes it at the bottom",
	.phases = "allocated freed trimmed",
	.look = "RSS at 'freed' per glibc (sweep --glibc 2.41,2.43)",
	.expect = "~65 MiB at allocated, a few MB at freed (on 2.43: ~65 MiB at freed, a few MB "
		  "at trimmed)",
	.params = params,
	.glibc = on_glibc,
	.steps = steps,
};

int main(int argc, char **argv)
{
	lab_init(&experiment, argc, argv);
	long long blocks = lab_param(&experiment, "blocks");
	size_t size = (size_t)lab_param(&experiment, "size");
	void **block = lab_blocks(blocks, size);
	lab_observe("blocks", (double)blocks);
	lab_phase("allocated");
	lab_free_blocks(block, blocks, 0);
	lab_phase("freed");
	if (lab_param(&experiment, "trim")) {
		lab_trim();
		lab_phase("trimmed");
	}
	return 0;
}
