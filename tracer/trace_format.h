/*
 * trace_format.h — the heaplab trace format, version 2 (docs/trace-format.md),
 * shared by the recorder (tracer/trace.c, which may not call malloc) and the
 * reader (lib/trace.c): constants and the varint coding, header-only.
 *
 * A trace is a 32-byte file header, then records: a kind byte, a varint
 * payload length, the payload. Numbers are LEB128 varints; signed ones are
 * zigzag-coded first.
 */
#ifndef HL_TRACE_FORMAT_H
#define HL_TRACE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define HLT_MAGIC "HLTRACE\n" /* 8 bytes */
#define HLT_VERSION 2
/* Version 1 is version 2 without the PROCESS and EXEC records and the END
 * kinds EXEC and DETACH: read as well. */
#define HLT_VERSION_MIN 1

/* the file header: magic, then these little-endian fields */
typedef struct hlt_header {
	char magic[8];
	uint32_t version;
	uint32_t pid;
	uint64_t start_ns;  /* CLOCK_REALTIME at start */
	uint32_t page_size;
	uint32_t flags;     /* HLT_F_* */
} hlt_header_t;

#define HLT_F_CHILD 1    /* written by a forked child */
#define HLT_F_ATTACHED 2 /* recorded from an attach (heaplab trace --pid): calls made
			  * before it are not in the trace */

enum hlt_record {
	HLT_REC_EVENTS = 1, /* varint thread, varint count, then events */
	HLT_REC_STACK = 2,  /* varint id, varint depth, frames (first absolute, then zigzag deltas) */
	HLT_REC_MODULE = 3, /* varint start, varint end, varint file offset, path bytes */
	HLT_REC_RSS = 4,    /* varint tsc, varint rss bytes */
	HLT_REC_CLOCK = 5,  /* varint tsc, varint CLOCK_MONOTONIC ns: tsc -> time */
	HLT_REC_END = 6,    /* varint events written, varint exit kind (HLT_END_*) */
	HLT_REC_THREAD = 7, /* varint thread, varint kernel tid */
	HLT_REC_PROCESS = 8, /* varint family, varint ppid, varint how (HLT_PROC_*), varint
			      * fork tsc (>> HLT_TSC_SHIFT; 0 none), varint stack depth
			      * asked for, varint unwinder (0 frame pointers, 1 libunwind),
			      * the command line (its arguments, each ended by a NUL byte) */
	HLT_REC_EXEC = 9,    /* varint tsc, the path being exec'd: an END (HLT_END_EXEC)
			      * follows; records after it mean the exec failed */
};

/* How the process a trace file records began. */
enum hlt_proc {
	HLT_PROC_ROOT = 0,   /* the command heaplab trace ran */
	HLT_PROC_FORK = 1,   /* forked by ppid: its heap is ppid's at fork tsc */
	HLT_PROC_IMAGE = 2,  /* a program exec'd: by the same pid (its earlier image's
			      * trace ends with an EXEC record) or spawned by ppid */
	HLT_PROC_ATTACH = 3, /* attached to while running */
};

enum hlt_end {
	HLT_END_EXIT = 0,
	HLT_END_SIGNAL = 1,
	HLT_END_EXEC = 2,   /* the image exec'd another program: its trace goes on in
			     * the file of the same pid whose PROCESS is HLT_PROC_IMAGE */
	HLT_END_DETACH = 3, /* heaplab trace --pid detached; the process goes on */
};

/* An event starts with a tag byte: op in the low 4 bits, then flags. */
enum hlt_op {
	HLT_MALLOC = 1,   /* dt, size, ptr */
	HLT_FREE = 2,     /* dt, ptr */
	HLT_CALLOC = 3,   /* dt, size (nmemb * size), ptr */
	HLT_REALLOC = 4,  /* dt, size, old ptr, new ptr */
	HLT_MEMALIGN = 5, /* dt, size, alignment, ptr (posix_memalign, aligned_alloc, valloc, ...) */
	HLT_TRIM = 6,     /* dt, pad, result */
};

#define HLT_TAG_SAME_STACK 0x10 /* the stack id is the thread's previous one: not written */
#define HLT_TAG_FAILED 0x20     /* the call returned NULL (no ptr written; realloc: old kept) */
#define HLT_TAG_RAW_PTR 0x40    /* a pointer is not 16-byte aligned: deltas stored whole, not / 16 */

/* The time unit: TSC ticks >> HLT_TSC_SHIFT, as deltas per thread. */
#define HLT_TSC_SHIFT 4

static inline uint8_t *hlt_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint64_t hlt_zz(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t hlt_unzz(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Reads a varint from [*p, end): 0, or -1 when it is cut or too long. */
static inline int hlt_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		uint8_t b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

#endif
