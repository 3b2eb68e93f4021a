/*
 * fastbin_consolidate — small frees sit in fastbins, unmerged, until a
 * large request consolidates them.
 *
 * Lesson: chunks up to 128 B that overflow tcache (7 per size) go to
 * fastbins, which never coalesce and never shrink the heap: 1 million freed
 * 40-byte blocks keep ~46 MiB resident, counted by mallinfo2 as smblks /
 * fsmblks. The next request of 1 KiB or more (a "large" one) runs
 * malloc_consolidate: the fastbin chunks merge with each other and with top.
 * malloc does not trim, so RSS stays until the next free of that large
 * block, which finds a top above M_TRIM_THRESHOLD and shrinks the heap.
 *
 * Look at: mallinfo2 smblks/fsmblks at 'freed' and 'consolidated'; RSS at
 * 'consolidated' and 'large_freed'.
 *
 * Knobs: --blocks=1000000 --size=40 (<= 120 B so the chunk is fastbin
 * sized), --large=4096 (the request that consolidates).
 *
 * Expected on glibc 2.36: at 'freed' smblks = blocks - 7 and fsmblks =
 * (blocks - 7) x 48 B, RSS unchanged; at 'consolidated' smblks = 0, RSS
 * unchanged; at 'large_freed' RSS a few MB.
 *
 * On each glibc of the matrix (2.31, 2.36, 2.41, 2.43): the on_glibc lines
 * below, measured; heaplab explain prints them and test_live_glibc_lessons
 * asserts each (holds, differs, does not apply) under that glibc.
 */
#include <stdlib.h>

#include "lab.h"

static lab_param_t params[] = {
	{"blocks", 1000000, 8, 1LL << 26, "small blocks to allocate and free", 0},
	{"size", 40, 1, 120, "bytes per block (fastbin sized)", 0},
	{"large", 4096, 1024, 1 << 20, "bytes of the large request that consolidates", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const char *const on_glibc[] = {
	"2.31 holds: freed: 999,993 fastbin chunks; consolidated: 0; large_freed: RSS "
	"55.0 -> 9.4 MiB",
	"2.36 holds: freed: 999,993 fastbin chunks; consolidated: 0; large_freed: RSS "
	"55.1 -> 9.4 MiB",
	"2.41 holds: freed: 999,993 fastbin chunks; consolidated: 0; large_freed: RSS "
	"55.2 -> 9.6 MiB",
	"2.43 does not apply: no fastbins (0 chunks at freed); the tcache made by the "
	"first free sits above the blocks and pins them (first_free_pin): large_freed: "
	"RSS 55.3 MiB of 55.3",
	NULL,
};

/* The lesson at each phase (lab.h: steps; the placeholders: lib/lesson.c). */
static const char *const steps[] = {
	"allocated: {p:blocks} blocks of {p:size} B (fastbin-sized chunks): live {live}, RSS "
	"{rss}.",
	"allocated: fastbins never coalesce: watch the fastbins figure at the next phase.",
	"freed: {freed} freed; fastbins now hold {fastbins} (7 per size went to tcache, "
	"{tcache}); RSS {rss} ({d_rss}).",
	"freed: fastbin chunks stay unmerged, so the heap cannot shrink: each is a chunk of "
	"its own, too small to hold a whole page (whole free pages held back: {held_back}).",
	"consolidated: one request of {p:large} B ran malloc_consolidate: fastbins "
	"{fastbins}, the chunks merged with each other and with top ({top}).",
	"consolidated: malloc itself never trims, so RSS stays: {rss} ({d_rss}).",
	"large_freed: the large block was freed: top passed M_TRIM_THRESHOLD and free() "
	"shrank the heap: RSS {rss} ({d_rss}).",
	"large_freed: released {released}, held back {held_back}.",
	NULL,
};
static const lab_experiment_t experiment = {
	.name = "fastbin_consolidate",
	.lesson = "small frees stay in fastbins, unmerged and untrimmed, until a large request "
		  "consolidates them",
	.phases = "allocated freed consolidated large_freed",
	.look = "smblks/fsmblks (fastbin chunks) and RSS per phase",
	.expect = "freed: smblks = blocks - 7 (tcache takes 7), RSS unchanged; consolidated: "
		  "smblks 0, RSS unchanged; large_freed: RSS a few MB",
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
	lab_observe("blocks", (double)n);
	lab_phase("allocated");

	lab_free_blocks(block, n, 0);
	lab_phase("freed");

	char *large = malloc((size_t)lab_param(&experiment, "large"));
	large[0] = 1;
	lab_keep(large);
	lab_phase("consolidated");

	free(large);
	lab_phase("large_freed");
	return 0;
}
