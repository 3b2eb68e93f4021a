/*
 * phased_lifetimes — a few long-lived allocations made after a burst of
 * short-lived ones keep the whole burst resident.
 *
 * Lesson: a request (say) allocates 128 MiB of temporary buffers, then
 * creates a few long-lived objects (a cache entry, a session), then frees
 * the temporaries. The long-lived objects came from the top of the heap,
 * above the temporaries, so the freed 128 MiB sits below them and cannot be
 * trimmed. Create the long-lived objects first (--reorder=1) and the same
 * free trims the heap at once.
 *
 * Look at: RSS at 'temps_freed', default vs --reorder=1.
 *
 * Knobs: --temp_bytes=134217728 --size=4096 --long_lived=100 (objects of
 * 64 B) --reorder=0.
 *
 * Expected on glibc 2.36: default: RSS at temps_freed ~= at peak;
 * --reorder=1: a few MB.
 *
 * On each glibc of the matrix (2.31, 2.36, 2.41, 2.43): the on_glibc lines
 * below, measured; heaplab explain prints them and test_live_glibc_lessons
 * asserts each (holds, differs, does not apply) under that glibc.
 */
#include <stdlib.h>

#include "lab.h"

static lab_param_t params[] = {
	{"temp_bytes", 128LL << 20, 1 << 20, 1LL << 32, "bytes of short-lived buffers", 0},
	{"size", 4096, 16, 131072 - 32, "bytes per short-lived buffer", 0},
	{"long_lived", 100, 1, 1 << 20, "long-lived 64-byte objects", 0},
	{"reorder", 0, 0, 1, "1: create the long-lived objects before the burst", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const char *const on_glibc[] = {
	"2.31 holds: temps_freed: RSS 130.4 MiB of 130.4",
	"2.36 holds: temps_freed: RSS 130.4 MiB of 130.3",
	"2.41 holds: temps_freed: RSS 130.6 MiB of 130.6",
	"2.43 holds: temps_freed: RSS 130.7 MiB of 130.7",
	NULL,
};

/* The lesson at each phase (lab.h: steps; the placeholders: lib/lesson.c). */
static const char *const steps[] = {
	"allocated [reorder=0]: {p:temp_bytes} B of short-lived buffers, then {p:long_lived} "
	"long-lived 64-byte objects allocated after them, from the top of the heap: live "
	"{live}, RSS {rss}.",
	"allocated [reorder=1]: {p:long_lived} long-lived 64-byte objects were made first, at"
	" the bottom, then {p:temp_bytes} B of short-lived buffers above them: live {live}, "
	"RSS {rss}.",
	"allocated: the short-lived buffers will be freed at the next phase; the long-lived "
	"objects stay.",
	"temps_freed [reorder=0]: {freed} freed; RSS {rss} ({d_rss}): the long-lived objects "
	"sit between the freed buffers and top, so the heap cannot shrink.",
	"temps_freed [reorder=1]: {freed} freed; RSS {rss} ({d_rss}): the freed buffers "
	"merged into top and free() trimmed the heap.",
	"temps_freed: held back {held_back}: where an object is allocated decides what its "
	"neighbours' free can give back.",
	NULL,
};
static const lab_experiment_t experiment = {
	.name = "phased_lifetimes",
	.lesson = "long-lived objects allocated after short-lived ones pin them; allocating the "
		  "long-lived first lets the heap shrink",
	.phases = "allocated temps_freed",
	.look = "RSS at 'temps_freed', default vs --reorder=1",
	.expect = "default: RSS stays ~128 MiB; --reorder=1: a few MB",
	.params = params,
	.glibc = on_glibc,
	.steps = steps,
};

static void make_long_lived(void **obj, long long n)
{
	for (long long i = 0; i < n; i++) {
		obj[i] = malloc(64);
		lab_touch(obj[i], 64);
	}
}

int main(int argc, char **argv)
{
	lab_init(&experiment, argc, argv);
	size_t size = (size_t)lab_param(&experiment, "size");
	long long n = lab_param(&experiment, "temp_bytes") / (long long)size;
	long long nl = lab_param(&experiment, "long_lived");
	int reorder = (int)lab_param(&experiment, "reorder");
	void **obj = lab_scratch((unsigned long long)nl * sizeof *obj);

	if (reorder)
		make_long_lived(obj, nl);
	void **temp = lab_blocks(n, size);
	if (!reorder)
		make_long_lived(obj, nl);
	lab_phase("allocated");

	lab_free_blocks(temp, n, 0);
	lab_phase("temps_freed");
	return 0;
}
