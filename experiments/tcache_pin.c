/*
 * tcache_pin — a freed pin that sits in tcache still pins the heap.
 *
 * Lesson: a small chunk freed into tcache is still "in use" to the arena
 * (tcache keeps it without telling the arena), so it blocks the heap top
 * from shrinking exactly like a live allocation: freeing the 256 MiB below
 * it leaves RSS where it was. mallinfo2 counts the tcache chunk as in use,
 * and malloc_trim(0) never releases tcache. With
 * glibc.malloc.tcache_count=0 the pin goes to a fastbin instead; the big
 * free then consolidates the fastbins (a free of 64 KiB or more does), the
 * pin merges into top, and the heap is trimmed by free itself.
 *
 * Look at: RSS at 'freed' with and without --tunable
 * glibc.malloc.tcache_count=0.
 *
 * Knobs: --blocks=65536 --size=4096 (bytes each, too big for tcache),
 * --pin_size=24 (small enough for tcache).
 *
 * Expected on glibc 2.36: RSS at 'freed' stays within a few MB of
 * 'allocated' (~260 MiB); with tcache_count=0 it falls to a few MB.
 *
 * On each glibc of the matrix (2.31, 2.36, 2.41, 2.43): the on_glibc lines
 * below, measured; heaplab explain prints them and test_live_glibc_lessons
 * asserts each (holds, differs, does not apply) under that glibc.
 */
#include <stdlib.h>

#include "lab.h"

static lab_param_t params[] = {
	{"blocks", 65536, 1, 1LL << 24, "blocks below the pin", 0},
	{"size", 4096, 1040, 131072 - 32, "bytes per block (above tcache's 1032 B limit)", 0},
	{"pin_size", 24, 1, 1032, "bytes of the pin (tcache takes up to 1032)", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const char *const on_glibc[] = {
	"2.31 holds: freed: RSS 259.1 MiB of 259.1; tcache_count=0: 2.4 MiB",
	"2.36 holds: freed: RSS 259.1 MiB of 259.0; tcache_count=0: 2.3 MiB",
	"2.41 holds: freed: RSS 259.3 MiB of 259.3; tcache_count=0: 2.4 MiB",
	"2.43 holds: freed: RSS 259.4 MiB of 259.3; tcache_count=0: 2.5 MiB (no fastbins: "
	"the freed pin merges into top)",
	NULL,
};

/* The lesson at each phase (lab.h: steps; the placeholders: lib/lesson.c). */
static const char *const steps[] = {
	"allocated: {p:blocks} blocks of {p:size} B, then a {p:pin_size}-byte pin allocated "
	"last, right below top: live {live}, RSS {rss}.",
	"allocated: the blocks are too big for tcache (over 1032 B); the pin is small enough "
	"for it.",
	"pin_freed: the pin was freed into tcache: to the arena it is still in use, so live "
	"{live} and RSS {rss} ({d_rss}) hardly move.",
	"pin_freed: malloc_trim(0) never releases tcache, and a chunk in tcache never merges "
	"with top.",
	"freed: {freed} freed below the pin; RSS still {rss} ({d_rss}): the tcache chunk "
	"{pin_size} at {pin_addr} (P) keeps top from shrinking.",
	"freed: held back {held_back} (o); with --tunable glibc.malloc.tcache_count=0 the pin"
	" would go to a fastbin, merge into top, and the heap would shrink.",
	NULL,
};
static const lab_experiment_t experiment = {
	.name = "tcache_pin",
	.lesson = "a pin freed into tcache is still in use to the arena: the heap below it is "
		  "not trimmed; tcache_count=0 lets free trim it",
	.phases = "allocated pin_freed freed",
	.look = "RSS at 'freed', default vs --tunable glibc.malloc.tcache_count=0",
	.expect = "default: RSS at freed ~= allocated (~260 MiB); tcache_count=0: a few MB",
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
	char *pin = malloc((size_t)lab_param(&experiment, "pin_size"));
	pin[0] = 1;
	lab_keep(pin);
	lab_observe("blocks_bytes", (double)n * (double)size);
	lab_phase("allocated");

	free(pin); /* into tcache (or a fastbin with tcache_count=0) */
	lab_phase("pin_freed");

	lab_free_blocks(block, n, 0);
	lab_phase("freed");
	return 0;
}
