/*
 * leak_vs_retention — the same RSS curve from two different causes, and the
 * harness telling them apart.
 *
 * Lesson: RSS that does not fall is not yet a leak. In --leak=1 every round
 * allocates 32 MiB and keeps it: in use grows round after round (a leak).
 * In --leak=0 every round allocates 32 MiB, keeps a 32-byte pin allocated
 * after it, and frees the rest: in use falls after each round while RSS
 * stays (retention: glibc holds the memory, the program does not). The
 * verdict line must say which, from in use (mallinfo2) against RSS.
 *
 * Look at: the verdict; in use (blue points) against RSS in the plot.
 *
 * Knobs: --leak=0 --rounds=4 --round_bytes=33554432 --size=4096.
 *
 * Expected on glibc 2.36: --leak=1: verdict "leak", in use ~32 MiB x round;
 * --leak=0: verdict "retention", in use near 0 after each free, RSS ~32 MiB
 * per round held (later rounds reuse the held memory, so RSS grows slowly).
 *
 * On each glibc of the matrix (2.31, 2.36, 2.41, 2.43): the on_glibc lines
 * below, measured; heaplab explain prints them and test_live_glibc_lessons
 * asserts each (holds, differs, does not apply) under that glibc.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"

static lab_param_t params[] = {
	{"leak", 0, 0, 1, "1: keep every round's blocks (a leak); 0: free them (retention)", 0},
	{"rounds", 4, 1, 64, "rounds", 0},
	{"round_bytes", 32LL << 20, 1 << 20, 1LL << 32, "bytes allocated per round", 0},
	{"size", 4096, 16, 131072 - 32, "bytes per block", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const char *const on_glibc[] = {
	"2.31 holds: retention: RSS 33.9 -> 34.1 MiB over 4 rounds, in use 0 after each",
	"2.36 holds: retention: RSS 33.9 -> 34.1 MiB over 4 rounds, in use 0 after each",
	"2.41 holds: retention: RSS 33.9 -> 34.2 MiB over 4 rounds, in use 0 after each",
	"2.43 holds: retention: RSS 34.0 -> 34.2 MiB over 4 rounds, in use 0 after each",
	NULL,
};

/* The lesson at each phase (lab.h: steps; the placeholders: lib/lesson.c). */
static const char *const steps[] = {
	"roundN_allocated [leak=1]: one more round of {p:round_bytes} B allocated and kept: "
	"live {live} ({d_live}), RSS {rss} ({d_rss}).",
	"roundN_allocated [leak=1]: live grows at every phase: that is a leak.",
	"roundN_allocated [leak=0]: a round of {p:round_bytes} B allocated, with a 32-byte "
	"pin after it: live {live} ({d_live}), RSS {rss} ({d_rss}).",
	"roundN_allocated [leak=0]: this round reuses memory the last one freed, where it "
	"can.",
	"roundN_freed: the round's blocks were freed under its pin: {freed} freed, RSS {rss} "
	"({d_rss}).",
	"roundN_freed: live falls while RSS stays: retention, glibc holds the memory; not a "
	"leak (held back {held_back}).",
	NULL,
};
static const lab_experiment_t experiment = {
	.name = "leak_vs_retention",
	.lesson = "a leak grows in use; retention keeps RSS while in use falls: the verdict "
		  "tells them apart",
	.phases = "roundN_allocated [roundN_freed] for N = 1..rounds",
	.look = "the verdict line; in use against RSS",
	.expect = "--leak=1: verdict leak; --leak=0: verdict retention",
	.params = params,
	.glibc = on_glibc,
	.steps = steps,
};

int main(int argc, char **argv)
{
	lab_init(&experiment, argc, argv);
	int leak = (int)lab_param(&experiment, "leak");
	long long rounds = lab_param(&experiment, "rounds");
	size_t size = (size_t)lab_param(&experiment, "size");
	long long per = lab_param(&experiment, "round_bytes") / (long long)size;
	char name[64];
	for (long long r = 1; r <= rounds; r++) {
		void **block = lab_blocks(per, size);
		lab_keep(malloc(32)); /* a pin above the round (never freed) */
		snprintf(name, sizeof name, "round%lld_allocated", r);
		lab_phase(name);
		if (leak)
			continue;
		lab_free_blocks(block, per, 0);
		snprintf(name, sizeof name, "round%lld_freed", r);
		lab_phase(name);
	}
	return 0;
}
