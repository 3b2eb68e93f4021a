/*
 * replay_format.h — the operations file heaplab replay makes from a trace
 * and heaplab-replay (tracer/replay.c) performs: every allocation call in
 * the trace's time order, pointers replaced by slots (a slot is reused once
 * its block is freed, so there are as many slots as blocks were ever live at
 * once), frees that the trace shows to be wrong (double, never allocated)
 * and failed calls left out.
 */
#ifndef HL_REPLAY_FORMAT_H
#define HL_REPLAY_FORMAT_H

#include <stdint.h>

#define HLR_MAGIC "HLREPLAY"
#define HLR_VERSION 1

typedef struct hlr_header {
	char magic[8];
	uint32_t version;
	uint32_t threads;   /* replay threads: the trace's threads, renumbered from 0 */
	uint64_t ops;
	uint64_t slots;
	uint64_t peak_op;   /* the op after which live bytes are highest */
	uint64_t peak_live; /* those bytes */
} hlr_header_t;

enum { HLR_MALLOC = 1, HLR_FREE, HLR_CALLOC, HLR_REALLOC, HLR_MEMALIGN, HLR_TRIM };

/* hlr_op.flags: the traced program was idle (no call for HLR_IDLE_NS) just
 * before this call; an idle point, where heaplab prescribe's
 * "malloc_trim(0) when idle" trims. Files without it read as 0. */
#define HLR_IDLE_BEFORE 1
#define HLR_IDLE_NS (100 * 1000000.0)

typedef struct hlr_op {
	uint64_t size;   /* bytes (trim: pad) */
	uint32_t slot;   /* the block (realloc: old and new) */
	uint32_t align;  /* memalign */
	uint16_t thread;
	uint8_t op;
	uint8_t flags; /* HLR_IDLE_BEFORE */
	uint8_t pad[4];
} hlr_op_t;

#endif
