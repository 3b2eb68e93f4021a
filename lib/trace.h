/*
 * trace.h — reading heaplab traces (tracer/trace_format.h, written by
 * libheaplab-trace.so) and what is computed from them: the leak report.
 */
#ifndef HL_TRACE_H
#define HL_TRACE_H

#include "heaplab.h"
#include "../tracer/replay_format.h"
#include "../tracer/trace_format.h"

/* One call, as recorded. For HLT_MEMALIGN old holds the alignment; for
 * HLT_TRIM size holds the pad and old the result. */
typedef struct hl_trace_event {
	uint64_t tsc; /* TSC ticks >> HLT_TSC_SHIFT */
	uint64_t ptr, old, size;
	uint32_t stack;
	uint16_t thread;
	uint8_t op;
	uint8_t failed;
} hl_trace_event_t;

typedef struct hl_trace_stack {
	uint32_t depth;
	uint64_t *frames; /* return addresses, innermost first */
} hl_trace_stack_t;

typedef struct hl_trace_module {
	uint64_t start, end, offset;
	char *path;
} hl_trace_module_t;

typedef struct hl_trace_point {
	uint64_t tsc; /* full TSC ticks */
	int64_t value;
} hl_trace_point_t;

typedef struct hl_trace {
	hlt_header_t header;
	hl_trace_event_t *ev; /* in time order (each thread's order kept) */
	size_t nev, capev;
	hl_trace_stack_t *stacks; /* by id; id 0 is the empty stack */
	size_t nstacks;
	hl_trace_module_t *modules;
	size_t nmodules;
	hl_trace_point_t *rss, *clock; /* RSS samples; (TSC, CLOCK_MONOTONIC ns) */
	size_t nrss, nclock;
	uint32_t threads;
	bool ended;           /* an END record was found */
	uint64_t end_events;  /* the events the recorder says it wrote */
	int end_kind;         /* HLT_END_EXIT or HLT_END_SIGNAL */
	uint64_t valid_bytes; /* how far the file reads cleanly */
	uint64_t file_bytes;
	char problem[256];    /* where and why reading stopped early, or "" */
} hl_trace_t;

/* Reads a trace. 0 with as much as is valid (problem says where it stops);
 * a negative code with err set when nothing is usable: not a trace, another
 * version, unreadable. */
int hl_trace_load(const char *path, hl_trace_t *t, hl_error_t *err);
void hl_trace_free(hl_trace_t *t);
/* Nanoseconds since the first event, from the CLOCK records. */
double hl_trace_ns(const hl_trace_t *t, uint64_t tsc16);

/* ------------------------------------------------------------- leaks */

typedef struct hl_leak_group {
	uint32_t stack;
	int64_t bytes, blocks;
} hl_leak_group_t;

typedef struct hl_bad_free {
	size_t free_ev;  /* index of the free (or realloc) in t->ev */
	size_t alloc_ev; /* the allocation it names, or SIZE_MAX if never allocated */
	bool twice;      /* a double free (else: never allocated) */
} hl_bad_free_t;

typedef struct hl_leaks {
	int64_t alloc_calls, free_calls, realloc_calls;
	int64_t peak_live_bytes, leaked_bytes, leaked_blocks;
	hl_leak_group_t *groups; /* biggest first */
	size_t ngroups;
	hl_bad_free_t *bad; /* double and invalid frees, in time order */
	size_t nbad;
} hl_leaks_t;

int hl_leaks_compute(const hl_trace_t *t, hl_leaks_t *out, hl_error_t *err);
/* The event that allocated the block at ptr still live at the trace's end
 * (as far as it goes: a trace still being written counts up to there),
 * or -1 when the trace has none. */
long hl_trace_live_block(const hl_trace_t *t, uint64_t ptr);
void hl_leaks_free(hl_leaks_t *l);

/* ------------------------------------------------------------- replay */

/* Writes the operations file heaplab-replay performs (replay_format.h) to
 * path (a new file); info gets its header. Frees the trace shows to be
 * wrong and failed calls are left out. */
int hl_trace_write_replay(const hl_trace_t *t, const char *path, hlr_header_t *info,
			  hl_error_t *err);

/* ------------------------------------------------------------- symbols */

typedef struct hl_frame_info {
	uint64_t pc;
	char function[256]; /* "" unknown */
	char file[512];     /* "" unknown */
	int line;           /* 0 unknown */
	char module[256];
	uint64_t offset;    /* pc less the module's load address */
} hl_frame_info_t;

typedef struct hl_symbolizer hl_symbolizer_t;

/* Symbols for the trace's modules (libdw: the files and their debug info,
 * found by build ID in /usr/lib/debug as well). NULL when libdw fails. */
hl_symbolizer_t *hl_symbolizer_new(const hl_trace_t *t);
/* Function, file and line of a return address (looked up at pc - 1, the
 * call). */
void hl_symbolize(hl_symbolizer_t *s, uint64_t pc, hl_frame_info_t *out);
void hl_symbolizer_free(hl_symbolizer_t *s);

#endif
