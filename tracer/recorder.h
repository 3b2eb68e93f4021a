/*
 * recorder.h — what the recorder's files (libheaplab-trace.so) share:
 * trace.c (the buffers, stacks and the allocation hooks), process.c (start,
 * fork, exec and the endings) and attach.c (heaplab trace --pid: the hooks
 * put into a running process's GOTs). Nothing here is exported: the
 * library is built with -fvisibility=hidden and exports its hooks only.
 */
#ifndef HL_RECORDER_H
#define HL_RECORDER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "trace_format.h"

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);
extern void *__libc_stack_end;

#include <unistd.h>
#if !__GLIBC_PREREQ(2, 34) /* execveat's declaration came with its wrapper */
int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags);
#endif

#define EXPORT __attribute__((visibility("default")))
#define TLS __attribute__((tls_model("initial-exec"))) __thread

#define BUF_SIZE (256u << 10)
#define BUF_ROOM 256 /* the largest event, and more */
#define MAX_THREADS 4096
#define MAX_DEPTH 32
#define TABLE_BITS 20
#define CACHE_SLOTS 256

typedef struct tbuf {
	uint8_t *data;
	size_t len; /* event bytes */
	uint64_t count;
	uint32_t thread;
	/* who has the buffer: BUF_FREE (nobody), BUF_OWNER (its thread, from
	 * an event's start to its end, flush included), BUF_CLOSED (the exit
	 * flusher: the thread records no more), BUF_PARKED (its thread exited;
	 * a new thread may take it) */
	_Atomic int busy;
	uint64_t last_tsc;
	uint64_t last_ptr;
	uint32_t last_stack;
	bool raw; /* this event's pointers are stored whole, not / 16 */
	uintptr_t stack_lo, stack_hi; /* the thread's stack: frames outside are not followed */
	uint64_t cache_hash[CACHE_SLOTS];
	uint32_t cache_id[CACHE_SLOTS];
} tbuf_t;

enum { BUF_FREE, BUF_OWNER, BUF_CLOSED, BUF_PARKED };
#define GONE ((tbuf_t *)1) /* tb of a thread whose buffer was parked */

typedef struct slot {
	_Atomic uint64_t hash;
	uint32_t id;
} slot_t;

typedef struct recorder {
	_Atomic int state; /* 0 not yet, 1 tracing, 2 closed */
	int fd;
	int depth;
	bool fork_child;
	bool attached;     /* loaded into a running process (attach.c) */
	char path[4096];
	uint64_t family;   /* the token every trace of one heaplab trace run carries */
	uint64_t fork_tsc; /* the TSC (>> HLT_TSC_SHIFT) at the last fork */
	tbuf_t *threads[MAX_THREADS]; /* every buffer made, live or parked */
	_Atomic uint32_t nthreads;    /* buffers made */
	_Atomic uint32_t next_thread; /* thread numbers given */
	pid_t owner;                  /* the process the trace file is this one's */
	dev_t dev;                    /* the trace file, to know the descriptor is still it */
	ino_t ino;
	slot_t *table;
	atomic_flag table_lock;
	_Atomic uint32_t next_stack;
	_Atomic uint64_t events;
	_Atomic int64_t last_rss_ns;
	pthread_key_t key;
	bool have_key;
	int (*unwind)(void **, int); /* libunwind's unw_backtrace, when asked */
} recorder_t;

extern recorder_t g;
extern TLS tbuf_t *tb;
extern TLS int in_hook;

/* trace.c */
bool fd_ours(void);
void write_all(const void *p, size_t n);
void record(int kind, const uint8_t *payload, size_t len);
int64_t mono_ns(void);
void clock_record(void);
void rss_record(void);
void flush(tbuf_t *t);
void thread_gone(void *arg);
/* A fresh stack table (the old one's stacks went to another file). */
void table_reset(void);
/* Resets a buffer's encoding state (a new file starts). */
void tbuf_reset(tbuf_t *t);
/* A hook's local name, hook_NAME: its own address, where NAME in this
 * library would be bound to the first definition loaded (libc's, when the
 * library came in by an attach). attach.c writes these into GOTs. */
#define HOOK_ALIAS(name) \
	extern __typeof(name) hook_##name \
		__attribute__((alias(#name), copy(name), visibility("hidden")))

/* process.c */
void flush_all(void);
void modules(void);
void finish(int how);
/* Opens the trace: base itself (the first process), else base.PID; writes
 * the header and the PROCESS record. how: HLT_PROC_*. */
int open_trace(const char *base, int how);
void unwind_load(void);
void exec_failed(void);
/* The pthread key for thread exits and the fork handlers, once. */
void process_hooks(void);

#endif
