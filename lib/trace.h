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
	/* the PROCESS record (version 2): how this process began */
	bool has_process;
	uint64_t family;      /* the token of the heaplab trace run it belongs to */
	uint32_t ppid;
	int how;              /* HLT_PROC_* */
	uint64_t fork_tsc;    /* HLT_PROC_FORK: the parent's TSC (>> HLT_TSC_SHIFT) at the fork */
	int stack_depth;      /* the frames asked for a stack */
	int unwind;           /* 0 frame pointers, 1 libunwind */
	char command[512];    /* its command line, arguments joined by spaces */
	/* an exec (end_kind HLT_END_EXEC): the program it exec'd */
	char exec_path[512];
	int exec_failed;      /* execs that failed (the trace went on after them) */
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
	uint32_t stack;  /* in the trace of origin */
	int origin;      /* -1: allocated by this process; else the family member
			  * (hl_trace_family_t.m) whose trace allocated it */
	int64_t bytes, blocks;
} hl_leak_group_t;

typedef struct hl_bad_free {
	size_t free_ev;  /* index of the free (or realloc) in t->ev */
	size_t alloc_ev; /* the allocation it names, or SIZE_MAX if never allocated */
	bool twice;      /* a double free (else: never allocated) */
} hl_bad_free_t;

/* A block live in a process that another process allocated: a forked
 * child's heap is its parent's at the fork. */
typedef struct hl_block {
	uint64_t ptr, size;
	int origin;     /* the family member that allocated it */
	uint32_t stack; /* its allocation's stack, in that member's trace */
} hl_block_t;

typedef struct hl_leaks_opts {
	const hl_block_t *inherit; /* live when the trace starts (a fork child's) */
	size_t ninherit;
	bool attached;   /* the trace starts mid-run: frees of pointers never seen
			  * are of blocks from before it, not invalid */
	uint64_t until;  /* count events up to this TSC (>> HLT_TSC_SHIFT) only; 0: all */
	int self;        /* this trace's member index, for the blocks it gives out */
	bool want_live;  /* fill live: every block live at the end (or at until) */
} hl_leaks_opts_t;

typedef struct hl_leaks {
	int64_t alloc_calls, free_calls, realloc_calls;
	int64_t peak_live_bytes, leaked_bytes, leaked_blocks;
	hl_leak_group_t *groups; /* biggest first */
	size_t ngroups;
	hl_bad_free_t *bad; /* double and invalid frees, in time order */
	size_t nbad;
	/* inherited blocks the process never freed: not in leaked_* (the family
	 * decides whose they are: hl_trace_family_leaks) */
	hl_block_t *kept;
	size_t nkept;
	int64_t inherited_blocks, inherited_bytes; /* inherited at the start */
	int64_t inherited_freed;                   /* of them, freed here */
	int64_t before_frees; /* attached: frees of blocks allocated before the attach */
	hl_block_t *live;     /* want_live: what is live at the end */
	size_t nlive;
} hl_leaks_t;

int hl_leaks_compute(const hl_trace_t *t, hl_leaks_t *out, hl_error_t *err);
/* The same with a start (inherited blocks, attached) and a stop (until). */
int hl_leaks_compute_opts(const hl_trace_t *t, const hl_leaks_opts_t *o, hl_leaks_t *out,
			  hl_error_t *err);
/* Adds blocks (n of them, from origin members) to l's leaks and groups, and
 * sorts the groups again. */
int hl_leaks_add(hl_leaks_t *l, const hl_block_t *b, size_t n);
/* The event that allocated the block at ptr still live at the trace's end
 * (as far as it goes: a trace still being written counts up to there),
 * or -1 when the trace has none. */
long hl_trace_live_block(const hl_trace_t *t, uint64_t ptr);
void hl_leaks_free(hl_leaks_t *l);

/* ------------------------------------------------------------ family */

/* One heaplab trace run writes a family of files: FILE for the command,
 * FILE.PID for each forked child and each program exec'd or spawned
 * (FILE.PID.NN when taken), each with the run's family token. A member is
 * one file: one process image. */
typedef struct hl_trace_member {
	char path[4096];
	char name[256];       /* the file's name, without its folder */
	hlt_header_t header;
	bool has_process;     /* a version 2 trace: the fields below are known */
	uint64_t family;
	uint32_t pid, ppid;
	int how;              /* HLT_PROC_* */
	uint64_t fork_tsc;
	int stack_depth, unwind;
	char command[512];
	bool ended;
	int end_kind;
	char exec_path[512];
	uint64_t events;      /* counted in the file (scan) */
	uint64_t bytes;       /* the file's size */
	char problem[256];    /* the scan stopped early: where and why */
	int parent;           /* the member it was forked or spawned from, -1 */
	int prev_image;       /* the same pid's image before its exec, -1 */
	int next_image;       /* the image its exec started, -1 */
	/* filled by hl_trace_family_leaks */
	bool loaded;
	bool unknown_start;   /* its heap at the start is not all in the traces (an
			       * attach, or forked from one): frees of blocks never seen
			       * are not invalid */
	hl_trace_t trace;     /* its stacks and modules (the events are let go) */
	hl_leaks_t leaks;
	hl_block_t *inherit;  /* its heap at the start: its parent's at the fork */
	size_t ninherit;
} hl_trace_member_t;

typedef struct hl_trace_family {
	hl_trace_member_t *m; /* the named file first, then by start time */
	size_t n;
	int picked;           /* the member a member's name picked (FILE.PID), -1 */
} hl_trace_family_t;

/* Reads a trace file's header and records without decoding the events:
 * the process, its ending, its event count. 0, or a negative code with err
 * set when it is not a trace. */
int hl_trace_scan(const char *path, hl_trace_member_t *m, hl_error_t *err);
/* The family the trace file path belongs to: path and every FILE.PID[.NN]
 * beside it with the same family token, linked (parent, images). Naming a
 * member (FILE.PID) opens its family, with picked set. */
int hl_trace_family_open(const char *path, hl_trace_family_t *f, hl_error_t *err);
/* Loads each member and computes its leaks (hl_leaks_t), parents first: a
 * forked child starts with its parent's heap at the fork; an inherited
 * block it never frees is its leak only when its parent freed its own copy
 * (else it stays the parent's, counted once). only >= 0: that member (and
 * what it needs: its forebears). */
int hl_trace_family_leaks(hl_trace_family_t *f, int only, hl_error_t *err);
void hl_trace_family_free(hl_trace_family_t *f);
/* Whether a member is the process pid (-1: any) running the program named
 * command (its command line's first word, without its folder; NULL: any). */
bool hl_trace_member_is(const hl_trace_member_t *m, long pid, const char *command);
/* The member with the most events among those pid and command pick (the
 * named member when the family was opened by one; all when neither), or -1. */
int hl_trace_family_pick(const hl_trace_family_t *f, long pid, const char *command);
/* Whether the call stacks reach the program's start: a stack is whole when
 * it has the frames asked for (the trace's stack_depth; in a version 1
 * trace, the most any stack has) or its outermost frame is in libc
 * (__libc_start_call_main, start_thread: the walk came through main); else
 * it stopped early, in code built without frame pointers. The module most
 * short stacks stop in is named. Only frame-pointer stacks get the notice. */
typedef struct hl_stack_summary {
	size_t stacks, short_stacks;
	uint32_t max_depth;
	char stop_module[256]; /* "" unknown (no module records) */
	bool notice;           /* enough stacks, most of them short */
} hl_stack_summary_t;
void hl_trace_stack_summary(const hl_trace_t *t, hl_stack_summary_t *out);

/* "exit", "killed by a signal", "exec'd PATH", "detached", "cut short". */
const char *hl_trace_member_end(const hl_trace_member_t *m, char *out, size_t outsz);
/* "root", "fork", "exec", "spawn", "attach" (or "" for a version 1 file). */
const char *hl_trace_member_how(const hl_trace_member_t *m);

/* ------------------------------------------------------------- replay */

/* Writes the operations file heaplab-replay performs (replay_format.h) to
 * path (a new file); info gets its header. Frees the trace shows to be
 * wrong and failed calls are left out. */
int hl_trace_write_replay(const hl_trace_t *t, const char *path, hlr_header_t *info,
			  hl_error_t *err);
/* The same for a trace that starts with a heap (a forked child's inherited
 * blocks): they are allocated first, on the first thread, and freed where
 * the trace frees them. */
int hl_trace_write_replay_from(const hl_trace_t *t, const hl_block_t *inherit, size_t ninherit,
			       const char *path, hlr_header_t *info, hl_error_t *err);

/* ------------------------------------------------------------- symbols */

typedef struct hl_frame_info {
	uint64_t pc;
	char function[256]; /* "" unknown */
	char file[512];     /* "" unknown */
	int line;           /* 0 unknown */
	char module[256];
	uint64_t offset;    /* pc less the module's load address */
	bool has_debug;     /* the module's DWARF was found (file:line possible) */
	char module_path[512];
	char build_id[48];  /* hex, "" unknown */
} hl_frame_info_t;

typedef struct hl_symbolizer hl_symbolizer_t;

/* Symbols for the trace's modules (libdw: the files and their debug info,
 * found by build ID in $HEAPLAB_DEBUG_DIR (heaplab's --debug-dir) and
 * /usr/lib/debug, where libc6-dbg and the -dbg / -dbgsym packages put
 * theirs). NULL when libdw fails. */
hl_symbolizer_t *hl_symbolizer_new(const hl_trace_t *t);
/* Function, file and line of a return address (looked up at pc - 1, the
 * call). */
void hl_symbolize(hl_symbolizer_t *s, uint64_t pc, hl_frame_info_t *out);
void hl_symbolizer_free(hl_symbolizer_t *s);

#endif
