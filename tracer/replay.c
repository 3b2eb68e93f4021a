/*
 * replay.c — heaplab-replay: performs the allocation calls of a trace
 * (the operations file heaplab replay makes, tracer/replay_format.h, named
 * by HEAPLAB_REPLAY) under whatever malloc it runs with, so that `heaplab
 * run` can sample it like any experiment and under any allocator or tunable.
 *
 * The same sizes in the same order, on as many threads as the trace had,
 * each call on the thread that made it (so glibc gives each its arena as
 * before): a driver reads the operations and hands each to its thread, one
 * at a time, in the trace's order. Every block is written to once per page,
 * as the program presumably did, so that RSS counts it.
 *
 * Phases: "peak" right after the operation at which the trace's live bytes
 * were highest, "end" after the last. Each reports live_bytes (what the
 * trace had live then). The file is read 4096 operations at a time and the
 * slots come from mmap: neither is in the heap being measured, though the
 * slots (16 bytes per block the trace ever had live at once), the 96 KiB
 * read buffer and the threads' stacks are in RSS.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "replay_format.h"

static lab_param_t params[] = {
	{"touch", 1, 0, 1, "1: write each block once per page, as programs do; 0: leave it untouched", 0},
	{0, 0, 0, 0, 0, 0},
};

static const lab_experiment_t replay_exp = {
	.name = "heaplab-replay",
	.lesson = "replays a recorded trace: the same sizes, order and threads under any allocator",
	.phases = "peak end",
	.look = "RSS at peak and at end against live_bytes, across allocators and tunables",
	.expect = "under glibc, what the traced program's RSS was",
	.params = params,
};

static void **slots;
static uint64_t *sizes;
static int64_t live;
static int touch;

typedef struct worker {
	pthread_t th;
	_Atomic int state; /* 0 idle, 1 an op to do, 2 stop */
	hlr_op_t op;
} worker_t;

static void touch_block(char *p, uint64_t n)
{
	if (!touch || !p)
		return;
	for (uint64_t o = 0; o < n; o += 4096)
		p[o] = 1;
	if (n)
		p[n - 1] = 1;
}

static void perform(const hlr_op_t *o)
{
	void **s = &slots[o->slot];
	switch (o->op) {
	case HLR_MALLOC:
		*s = malloc(o->size);
		touch_block(*s, o->size);
		break;
	case HLR_CALLOC:
		*s = calloc(1, o->size);
		touch_block(*s, o->size);
		break;
	case HLR_MEMALIGN:
		*s = memalign(o->align ? o->align : 16, o->size);
		touch_block(*s, o->size);
		break;
	case HLR_REALLOC: {
		void *r = realloc(*s, o->size);
		if (r || !o->size)
			*s = r;
		if (r && o->size > sizes[o->slot])
			touch_block((char *)r + sizes[o->slot], o->size - sizes[o->slot]);
		break;
	}
	case HLR_FREE:
		free(*s);
		*s = NULL;
		break;
	case HLR_TRIM:
		malloc_trim(o->size);
		break;
	}
	if (o->op != HLR_TRIM) {
		live -= (int64_t)sizes[o->slot];
		sizes[o->slot] = o->op == HLR_FREE ? 0 : o->size;
		live += (int64_t)sizes[o->slot];
	}
}

static void *work(void *arg)
{
	worker_t *w = arg;
	for (;;) {
		int st, spins = 0;
		/* spin, then yield, then sleep: a thread the trace keeps busy
		 * answers at once, an idle one costs little */
		while ((st = atomic_load_explicit(&w->state, memory_order_acquire)) == 0) {
			if (++spins > 2000) {
				struct timespec ts = {0, 100000};
				nanosleep(&ts, NULL);
			} else if (spins > 200) {
				sched_yield();
			}
		}
		if (st == 2)
			return NULL;
		perform(&w->op);
		atomic_store_explicit(&w->state, 0, memory_order_release);
	}
}

static void phase(const char *name)
{
	lab_observe("live_bytes", (double)live);
	lab_phase(name);
}

static double secs(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	lab_init(&replay_exp, argc, argv);
	touch = (int)lab_param(&replay_exp, "touch");
	/* HEAPLAB_REPLAY_TRIM: "idle" calls malloc_trim(0) at the trace's idle
	 * points, a number N every N calls; both at the end too */
	const char *trim = getenv("HEAPLAB_REPLAY_TRIM");
	bool trim_idle = trim && !strcmp(trim, "idle");
	uint64_t trim_every = trim && !trim_idle ? strtoull(trim, NULL, 10) : 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const char *path = getenv("HEAPLAB_REPLAY");
	if (!path) {
		fprintf(stderr, "heaplab-replay: HEAPLAB_REPLAY names no operations file (heaplab "
				"replay TRACE makes one and runs this)\n");
		return 2;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	hlr_header_t h;
	if (fd < 0 || read(fd, &h, sizeof h) != (ssize_t)sizeof h || memcmp(h.magic, HLR_MAGIC, 8) ||
	    h.version != HLR_VERSION || h.threads > 65536) {
		fprintf(stderr, "heaplab-replay: %s is not a version %d operations file\n", path,
			HLR_VERSION);
		return 2;
	}
	slots = lab_scratch((h.slots + 1) * sizeof *slots);
	sizes = lab_scratch((h.slots + 1) * sizeof *sizes);
	worker_t *workers = lab_scratch((h.threads + 1) * sizeof *workers);
	/* a thread that cannot be made leaves its calls to the driver */
	bool *made = lab_scratch((h.threads + 1) * sizeof *made);
	for (uint32_t k = 1; k < h.threads; k++)
		made[k] = pthread_create(&workers[k].th, NULL, work, &workers[k]) == 0;
	static hlr_op_t buf[4096];
	uint64_t done = 0;
	bool peaked = false;
	while (done < h.ops) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (size_t i = 0; i < (size_t)n / sizeof *buf; i++, done++) {
			const hlr_op_t *o = &buf[i];
			if (o->slot > h.slots)
				continue;
			if ((trim_idle && (o->flags & HLR_IDLE_BEFORE)) ||
			    (trim_every && done && done % trim_every == 0))
				malloc_trim(0);
			if (o->thread == 0 || o->thread >= h.threads || !made[o->thread]) {
				perform(o);
			} else {
				worker_t *w = &workers[o->thread];
				w->op = *o;
				atomic_store_explicit(&w->state, 1, memory_order_release);
				int spins = 0;
				while (atomic_load_explicit(&w->state, memory_order_acquire) != 0)
					if (++spins > 200)
						sched_yield();
			}
			if (done == h.peak_op) {
				phase("peak");
				peaked = true;
			}
		}
	}
	if (!peaked)
		phase("peak");
	if (trim_idle || trim_every)
		malloc_trim(0); /* the end is idle */
	struct timespec t1;
	struct rusage ru;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	lab_observe("replay_wall_s", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	lab_observe("replay_cpu_s", secs(ru.ru_utime) + secs(ru.ru_stime));
	phase("end");
	for (uint32_t k = 1; k < h.threads; k++) {
		if (!made[k])
			continue;
		atomic_store(&workers[k].state, 2);
		pthread_join(workers[k].th, NULL);
	}
	close(fd);
	return done == h.ops ? 0 : 1;
}
