/*
 * heaplab.h — the public interface of libheaplab.
 *
 * libheaplab is the data model of heaplab and every reader of it: /proc
 * files, malloc_info XML, run records, samples, plot scripts and the derived
 * figures. It never prints, never exits and never aborts: functions return 0
 * or a negative errno (or a bool) and fill an optional hl_error_t with a
 * message a user can act on.
 *
 * Units are bytes everywhere (smaps says kB, statm says pages: the parsers
 * convert). "Unknown" is never 0: it is HL_UNKNOWN (-1) and prints "n/a".
 *
 * The header reads as a table of contents: each section is labelled by the
 * file that defines it.
 */
#ifndef HEAPLAB_H
#define HEAPLAB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HL_UNKNOWN ((int64_t)-1)

/* ------------------------------------------------------------------ error.c */

typedef struct hl_error {
	int code;      /* 0, or a negative errno / HL_E* value */
	char msg[512]; /* what went wrong and what to do, for a user */
} hl_error_t;

#define HL_EPARSE (-10001)  /* input is not of the expected form */
#define HL_ESCHEMA (-10002) /* a record of another schema version */

/* Sets err (which may be NULL) and returns code, so callers can write
 * `return hl_error_set(err, -EINVAL, "...")`. */
int hl_error_set(hl_error_t *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* -------------------------------------------------------------------- buf.c */

/* A growable byte buffer; data is always NUL-terminated (not counted in len). */
typedef struct hl_buf {
	char *data; /* NULL until the first append */
	size_t len; /* bytes used, without the terminating NUL */
	size_t cap; /* bytes allocated */
} hl_buf_t;

/* Makes room for extra more bytes (plus the NUL) without changing len. */
int hl_buf_reserve(hl_buf_t *b, size_t extra);
int hl_buf_append(hl_buf_t *b, const void *p, size_t n);
int hl_buf_printf(hl_buf_t *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void hl_buf_reset(hl_buf_t *b); /* len = 0, keeps the allocation */
void hl_buf_free(hl_buf_t *b);

/* ------------------------------------------------------------------ units.c */

/* "1.0 GiB", "512 KiB", "12 B", or "n/a" for HL_UNKNOWN. Returns out. */
const char *hl_units_bytes(int64_t bytes, char *out, size_t outsz);
/* A ratio (RSS / live) for people, at most 7 characters: "0 x", "<0.1 x",
 * "16.0 x", "250 x", "20.1K x", "1.4M x", "> 10^9"; "n/a" when unknown
 * (negative or NaN). Returns out. */
const char *hl_units_ratio(double r, char *out, size_t outsz);
/* Parses "4096", "4k", "4KiB", "1M", "1G" into bytes. */
int hl_units_parse_bytes(const char *s, int64_t *out);

/* ----------------------------------------------------------------- procfs.c */

/* The I/O that fetches /proc files (parsers below take the buffer). A
 * process that vanishes is an ordinary result: -ESRCH, with a message. */
int hl_procfs_read(pid_t pid, const char *name, hl_buf_t *out, hl_error_t *err);
/* The file mapped at region r of pid, as a path to open: its
 * /proc/PID/map_files entry (the very file, even if replaced or deleted
 * since; readable by root), else /proc/PID/root + its path (the target's
 * own file system, as in a container) unless that path was deleted. 0, or
 * -ENOENT. */
int hl_proc_mapped_file(pid_t pid, uint64_t start, uint64_t end, const char *path, char *out,
			size_t outsz);
int hl_file_read(const char *path, hl_buf_t *out, hl_error_t *err);
/* Writes len bytes as dir/name, a new file when fresh (never over one),
 * else made or emptied first. 0, or a negative code with err set. */
int hl_file_write(const char *dir, const char *name, const void *data, size_t len, bool fresh,
		  hl_error_t *err);
long hl_procfs_page_size(void);

/* ----------------------------------------------------------------- status.c */

typedef struct hl_status {
	char name[64];          /* Name: (the command, at most 15 chars) */
	int64_t vm_size_bytes;  /* VmSize */
	int64_t vm_rss_bytes;   /* VmRSS */
	int64_t rss_anon_bytes; /* RssAnon */
	int64_t rss_file_bytes; /* RssFile */
	int64_t vm_swap_bytes;  /* VmSwap */
	int64_t threads;        /* Threads */
} hl_status_t;

/* /proc/PID/status. Fields absent from buf stay HL_UNKNOWN. */
int hl_status_parse(const char *buf, size_t len, hl_status_t *out, hl_error_t *err);

/* ------------------------------------------------------------------ statm.c */

typedef struct hl_statm {
	int64_t vsz_bytes;    /* size */
	int64_t rss_bytes;    /* resident */
	int64_t shared_bytes; /* shared (file-backed resident) */
} hl_statm_t;

/* /proc/PID/statm (pages, converted with page_size). Cheap: used to sample. */
int hl_statm_parse(const char *buf, size_t len, long page_size, hl_statm_t *out,
		   hl_error_t *err);

/* ------------------------------------------------------------------- maps.c */

typedef enum hl_region_class {
	HL_REGION_BRK_HEAP,   /* [heap]: the main arena's brk heap */
	HL_REGION_ARENA_HEAP, /* a non-main arena's heap: 64 MiB-aligned anon */
	HL_REGION_MMAP_CHUNK, /* an anonymous mapping that is one malloc chunk */
	HL_REGION_ANON_OTHER, /* any other anonymous mapping */
	HL_REGION_STACK,      /* [stack] */
	HL_REGION_FILE,       /* backed by a file */
	HL_REGION_OTHER,      /* [vdso], [vvar], [vsyscall], ... */
	HL_REGION_NCLASSES
} hl_region_class_t;

typedef struct hl_region {
	uint64_t start, end;         /* [start, end) virtual addresses */
	char perms[5];               /* "rw-p" */
	uint64_t offset;             /* file offset */
	uint64_t inode;              /* 0 for anonymous */
	char path[256];              /* "" anonymous, "[heap]", "/usr/lib/..." */
	hl_region_class_t cls;       /* set by hl_region_classify */
	int64_t rss_bytes;           /* smaps Rss, HL_UNKNOWN from maps alone */
	int64_t private_dirty_bytes; /* smaps Private_Dirty */
	int64_t anonymous_bytes;     /* smaps Anonymous */
	int64_t swap_bytes;          /* smaps Swap */
} hl_region_t;

typedef struct hl_regions {
	hl_region_t *v; /* sorted by start, as the kernel lists them */
	size_t n, cap;
} hl_regions_t;

/* /proc/PID/maps: addresses, perms, path; smaps fields HL_UNKNOWN. */
int hl_maps_parse(const char *buf, size_t len, hl_regions_t *out, hl_error_t *err);
void hl_regions_free(hl_regions_t *r);
/* The region that contains addr, or NULL. */
const hl_region_t *hl_regions_find(const hl_regions_t *r, uint64_t addr);
/* The first region of class cls, or NULL. */
const hl_region_t *hl_regions_first(const hl_regions_t *r, hl_region_class_t cls);

/* ------------------------------------------------------------------ smaps.c */

/* /proc/PID/smaps: as maps, plus Rss, Private_Dirty, Anonymous, Swap. */
int hl_smaps_parse(const char *buf, size_t len, hl_regions_t *out, hl_error_t *err);

typedef struct hl_rollup {
	int64_t rss_bytes, pss_bytes, anonymous_bytes, swap_bytes, private_dirty_bytes;
} hl_rollup_t;

/* /proc/PID/smaps_rollup. */
int hl_smaps_rollup_parse(const char *buf, size_t len, hl_rollup_t *out, hl_error_t *err);

/* ----------------------------------------------------------------- region.c */

/* Reads the 16 bytes at addr in the target (a chunk header) without faulting
 * anything in; returns 0, or a negative errno if they cannot be read. */
typedef int (*hl_peek_fn)(void *ctx, uint64_t addr, void *out16);

/* Sets every region's cls. peek may be NULL: then no anonymous mapping can be
 * proven to be a malloc chunk and none is classed HL_REGION_MMAP_CHUNK. */
void hl_region_classify(hl_regions_t *r, hl_peek_fn peek, void *ctx);
const char *hl_region_class_name(hl_region_class_t c); /* "brk-heap", ... */

/* ------------------------------------------------------------------- peek.c */

/* Reads another process's memory without changing it: every page is looked
 * up in /proc/PID/pagemap first, and a page that is not present in RAM
 * (never touched, released, or swapped out) is never read, because reading
 * it would fault it in and raise the target's RSS. */
/* A piece of a memory image, read by a peek made with hl_peek_image
 * instead of a process (tests and fuzzing of the walker): len bytes at addr;
 * absent, when not NULL, holds one byte per page (pages counted from
 * addr / page size), nonzero for a page that is not resident. */
typedef struct hl_peek_seg {
	uint64_t addr, len;
	const uint8_t *bytes;
	const uint8_t *absent;
} hl_peek_seg_t;

typedef struct hl_peek {
	pid_t pid;
	int pagemap_fd;     /* /proc/PID/pagemap, -1 when closed */
	const hl_peek_seg_t *segs; /* an image instead of a process, or NULL */
	size_t nsegs;
	long page_size;
	uint64_t cache_first; /* first page number held in cache */
	size_t cache_n;       /* pagemap entries held */
	uint64_t cache[512];  /* pagemap entries from cache_first on */
	int64_t reads;        /* process_vm_readv calls made */
	int64_t bytes_read;
	int64_t refused;      /* reads refused: a page was not present */
	int64_t pagemap_reads; /* pread calls on pagemap */
	int64_t pieces;        /* pieces read by hl_peek_pieces (iovecs) */
	int64_t absent_reads;  /* an image's pages read that it marks absent (a
				* process would have them faulted in): must stay 0 */
	/* an image's: called before every read or batch of reads, so a test
	 * can change the image while it is walked (what changes between a
	 * pagemap answer and the read in the same batch is the one race no
	 * reader can close without stopping the target) */
	void (*tick)(void *ctx);
	void *tick_ctx;
} hl_peek_t;

int hl_peek_open(hl_peek_t *p, pid_t pid, hl_error_t *err);
/* A peek on an image: reads, residency and pagemap come from segs (kept by
 * the caller), with the same refusals as on a process. */
void hl_peek_image(hl_peek_t *p, const hl_peek_seg_t *segs, size_t nsegs);
void hl_peek_close(hl_peek_t *p);
/* *present: whether every page of [addr, addr + len) is in RAM. */
int hl_peek_present(hl_peek_t *p, uint64_t addr, uint64_t len, bool *present);
/* Counts the resident bytes of whole pages in [addr, addr + len). */
int hl_peek_resident(hl_peek_t *p, uint64_t addr, uint64_t len, int64_t *resident_bytes);
/* *resident: whether the page holding addr is in RAM, from the same cached
 * pagemap entries as hl_peek_resident (a count of that moment, not a gate
 * for a read). */
int hl_peek_page_resident(hl_peek_t *p, uint64_t addr, bool *resident);
/* Reads len bytes at addr if all their pages are present: 0, or -EFAULT
 * (refused, nothing read) or another negative errno. */
int hl_peek_read(hl_peek_t *p, uint64_t addr, void *buf, size_t len);
/* n raw pagemap entries from page number first_page on (of the image, for
 * an image): the bytes read, or a negative errno. */
ssize_t hl_peek_pagemap(hl_peek_t *p, uint64_t *e, size_t n, uint64_t first_page);
/* process_vm_readv of k pieces (or their copy from the image), unchecked:
 * only for pieces already checked present. */
struct iovec;
ssize_t hl_peek_vm_read(hl_peek_t *p, const struct iovec *local, const struct iovec *remote,
			size_t k);

/* ---------------------------------------------------------------- pagemap.c */

/* A pagemap snapshot of some ranges (the heaps): one bit per page, set when
 * the page is in RAM and not swapped, read in large pieces; each window of
 * 64 pages is stamped with when it was read, and a read that relies on a
 * window older than max_age_ns reads that window again first. */
#define HL_PMAP_MAX_AGE_NS (1000LL * 1000000)
typedef struct hl_pmap_range {
	uint64_t start, end; /* page-aligned */
	uint64_t *bits;
	int64_t *stamp;      /* CLOCK_MONOTONIC ns, per window */
} hl_pmap_range_t;

typedef struct hl_pmap {
	hl_pmap_range_t *v;       /* by address */
	size_t n;
	int64_t max_age_ns;
	int64_t now;              /* the clock for a batch's checks (0: read it) */
} hl_pmap_t;

void hl_pmap_init(hl_pmap_t *m);
void hl_pmap_free(hl_pmap_t *m);
/* Adds [start, end) (rounded out to pages); ranges may not overlap. */
int hl_pmap_add(hl_pmap_t *m, uint64_t start, uint64_t end, long page_size);
/* Reads every range's pagemap now. */
int hl_pmap_load(hl_peek_t *p, hl_pmap_t *m);
/* Reads the pagemap of the range holding addr now (-ENOENT: none does). */
int hl_pmap_load_range(hl_peek_t *p, hl_pmap_t *m, uint64_t addr);
/* *present: every page of [addr, addr + len) in RAM, by answers at most
 * max_age_ns old (pages outside the ranges: asked afresh). */
int hl_pmap_present(hl_peek_t *p, hl_pmap_t *m, uint64_t addr, uint64_t len, bool *present);
/* The page at page_addr as last read: 1 resident, 0 not, -1 outside. */
int hl_pmap_page(const hl_pmap_t *m, uint64_t page_addr, long page_size);
/* Resident bytes of the whole pages in [from, from + len), as last read;
 * -1 when a page lies outside the ranges. */
int64_t hl_pmap_resident(const hl_pmap_t *m, uint64_t from, uint64_t len, long page_size);

/* One piece of a batched read: len bytes at addr into buf; ok says how it
 * went: 1 read, 0 refused (a page not present), -1 the read failed. A
 * fresh piece is checked by hl_peek_present (pagemap read for it now). */
typedef struct hl_piece {
	uint64_t addr;
	void *buf;
	uint32_t len;
	int8_t ok;
	bool fresh; /* ask pagemap afresh for its pages, whatever the snapshot's age */
} hl_piece_t;
#define HL_PIECES_MAX 1024 /* IOV_MAX: pieces per process_vm_readv */

/* Reads n pieces, HL_PIECES_MAX per process_vm_readv, each only when the
 * snapshot (or, for a fresh piece, pagemap read just before) says all its
 * pages are present. 0, or -ESRCH (gone). */
int hl_peek_pieces(hl_peek_t *p, hl_pmap_t *m, hl_piece_t *pc, size_t n);

/* hl_peek_fn for hl_region_classify (ctx is an hl_peek_t). */
int hl_peek_read16(void *ctx, uint64_t addr, void *out16);

/* ------------------------------------------------------------ malloc_info.c */

typedef struct hl_mi_bin {
	int64_t from, to;    /* chunk sizes as malloc_info prints them (see below) */
	int64_t total_bytes; /* total */
	int64_t count;       /* count */
	bool unsorted;       /* <unsorted .../> rather than <size .../> */
} hl_mi_bin_t;

/* One <heap nr="N"> of malloc_info, i.e. one arena (nr is a list position:
 * the newest arena comes right after the main one). Quirks on glibc 2.36:
 * it does not see tcache; "rest" includes top; small/large/unsorted bin
 * sizes keep the PREV_INUSE bit (a 4096 B request shows as from="4113"),
 * while fastbin lines show a range size-15..size. */
typedef struct hl_mi_arena {
	int nr;                       /* heap nr */
	int64_t fast_count, fast_bytes; /* <total type="fast"> */
	int64_t rest_count, rest_bytes; /* <total type="rest"> */
	int64_t system_current_bytes;   /* <system type="current"> */
	int64_t system_max_bytes;       /* <system type="max"> */
	int64_t aspace_total_bytes;     /* <aspace type="total"> */
	int64_t aspace_mprotect_bytes;  /* <aspace type="mprotect"> */
	int64_t subheaps;               /* <aspace type="subheaps">, HL_UNKNOWN on main */
	hl_mi_bin_t *bins;
	size_t nbins;
} hl_mi_arena_t;

typedef struct hl_mi_total {
	int64_t fast_count, fast_bytes;
	int64_t rest_count, rest_bytes;
	int64_t mmap_count, mmap_bytes;
	int64_t system_current_bytes, system_max_bytes;
	int64_t aspace_total_bytes, aspace_mprotect_bytes;
} hl_mi_total_t;

typedef struct hl_malloc_info {
	hl_mi_arena_t *arenas;
	size_t narenas;
	hl_mi_total_t total;
} hl_malloc_info_t;

/* Always initialises *out. Figures absent from the XML are HL_UNKNOWN.
 * Returns 0, HL_EPARSE (malformed or cut short), HL_ESCHEMA (<malloc
 * version> other than "1") or -ENOMEM; on error *out is left empty. */
int hl_malloc_info_parse(const char *buf, size_t len, hl_malloc_info_t *out,
			 hl_error_t *err);
void hl_malloc_info_free(hl_malloc_info_t *mi);

/* ------------------------------------------------------------ run_record.c */

#define HL_RUN_SCHEMA_VERSION 1

typedef struct hl_mallinfo {
	bool valid; /* false: not measured, or not glibc's allocator */
	int64_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks,
		fordblks, keepcost; /* as in struct mallinfo2, bytes or counts */
} hl_mallinfo_t;

typedef struct hl_observation {
	char key[64];
	double value;
} hl_observation_t;

typedef struct hl_phase {
	char name[64];
	int64_t t_ms;           /* since the program started */
	int64_t rss_bytes;      /* whole process, from /proc at the phase */
	int64_t vsz_bytes;
	int64_t heap_bytes;     /* size of [heap] (the brk heap), 0 if none */
	int64_t heap_rss_bytes; /* resident part of [heap] */
	hl_mallinfo_t mallinfo2;
	bool malloc_info_valid;
	hl_malloc_info_t malloc_info;
	hl_observation_t *obs;
	size_t nobs;
	bool walk_valid;          /* the harness walked the heap at this phase */
	struct hl_walk_summary {
		char method[360];           /* how main_arena was found */
		bool complete;              /* false: see warning */
		bool chunks_estimated;      /* chunks and live_bytes are estimates (a sample) */
		char warning[256];
		hl_mallinfo_t mallinfo2;    /* the walk's totals, in mallinfo2's terms */
		int64_t arenas, chunks;
		int64_t live_bytes, tcache_bytes, fastbin_bytes, top_bytes;
		int64_t held_back_bytes, released_bytes, releasable_bytes;
		/* added after the first records: HL_UNKNOWN when a record lacks them */
		int64_t overhead_bytes;     /* in-use chunks' size fields + malloc's own */
		int64_t bin_bytes;          /* free chunks in the bins */
		int64_t top_released_bytes; /* the part of released_bytes inside top */
		int64_t mmap_threshold, trim_threshold;
		int64_t rss_before_bytes, rss_after_bytes; /* statm around the walk */
		int64_t reads, duration_us;
	} walk;
} hl_phase_t;

typedef struct hl_param {
	char name[64];
	char value[128];
} hl_param_t;

typedef struct hl_run {
	int schema_version;
	char experiment[64];   /* experiment name, or program basename */
	char program[512];     /* the path that was executed */
	hl_param_t *params;    /* every parameter with its value (defaults too) */
	size_t nparams;
	char glibc[32];        /* "2.36" */
	char kernel[128];      /* uname -r */
	char tunables[512];    /* GLIBC_TUNABLES as given ("" for none) */
	char allocator[32];    /* "glibc", "jemalloc", ... */
	char env[512];         /* --env settings, "NAME=VALUE NAME=VALUE" ("" for none) */
	char started[32];      /* ISO 8601 UTC */
	int64_t interval_ms;   /* sampling interval, 0 = no sampling */
	bool complete;         /* false while running or if it died */
	char status[256];      /* "complete", "killed by signal 9 after phase 'allocated'" */
	int exit_code;         /* the program's exit status, -1 if killed */
	int64_t duration_ms;
	int64_t nsamples;
	hl_phase_t *phases;
	size_t nphases;
} hl_run_t;

void hl_run_init(hl_run_t *run);
void hl_run_free(hl_run_t *run);
int hl_run_add_param(hl_run_t *run, const char *name, const char *value);
/* Appends a phase (copied; the run takes over ph's allocations). */
int hl_run_add_phase(hl_run_t *run, hl_phase_t *ph);
void hl_phase_free(hl_phase_t *ph);
int hl_phase_observe(hl_phase_t *ph, const char *key, double value);
/* Observation value, or false if the phase has no such key. */
bool hl_phase_observation(const hl_phase_t *ph, const char *key, double *value);
const hl_phase_t *hl_run_phase(const hl_run_t *run, const char *name);
/* The name the files of a phase carry (malloc_info-BASE.xml, heapmap-
 * BASE.tsv): its name, or NAME-K for its K-th occurrence among the first
 * upto phases of run (names can repeat). */
void hl_run_phase_base(const hl_run_t *run, size_t upto, const char *name, char *out,
		       size_t outsz);

int hl_run_to_json(const hl_run_t *run, hl_buf_t *out, hl_error_t *err);
int hl_run_from_json(const char *buf, size_t len, hl_run_t *run, hl_error_t *err);
/* dir/run.json written through a temporary file and rename(2). */
int hl_run_save(const hl_run_t *run, const char *dir, hl_error_t *err);
int hl_run_load(const char *dir, hl_run_t *run, hl_error_t *err);

/* --------------------------------------------------------------- samples.c */

/* samples.tsv: one header row, then one row per sample. */
typedef struct hl_sample {
	int64_t t_ms;
	int64_t rss_bytes, vsz_bytes, heap_bytes, heap_rss_bytes;
	char phase[64]; /* the last phase reached ("start" before any) */
} hl_sample_t;

typedef struct hl_samples {
	hl_sample_t *v;
	size_t n, cap;
} hl_samples_t;

extern const char hl_samples_header[]; /* the header row, with '\n' */
int hl_samples_format_row(const hl_sample_t *s, hl_buf_t *out);
int hl_samples_parse(const char *buf, size_t len, hl_samples_t *out, hl_error_t *err);
void hl_samples_free(hl_samples_t *s);

/* ------------------------------------------------------------- phase_msg.c */

/* One message of the phase protocol (docs/phase-protocol.md), sent by an
 * experiment's lab_phase() to the harness. */
#define HL_PHASE_MSG_MAX_OBS 64

typedef struct hl_phase_msg {
	char name[64];
	hl_mallinfo_t mallinfo2;
	hl_observation_t obs[HL_PHASE_MSG_MAX_OBS];
	size_t nobs;
	const char *malloc_info; /* points into the parsed buffer */
	size_t malloc_info_len;
	const char *malloc_stats; /* points into the parsed buffer */
	size_t malloc_stats_len;
} hl_phase_msg_t;

/* Parses the message at the start of buf. Returns the bytes it used (> 0)
 * when buf holds a whole message, 0 when more bytes are needed, or a
 * negative code (HL_EPARSE) when the bytes are not a message. */
int64_t hl_phase_msg_parse(const char *buf, size_t len, hl_phase_msg_t *out, hl_error_t *err);

/* --------------------------------------------------------------- sampler.c */

/* Takes samples of one process from /proc. A sample reads statm (RSS, VSZ)
 * and maps (the brk heap's size), which cost microseconds and do not walk
 * page tables. The brk heap's resident bytes need smaps, whose page-table
 * walk costs ~2 ms on a 1 GiB heap while holding the target's mmap lock (so
 * its brk() waits): a full sample always reads it, an ordinary sample only
 * when that keeps smaps below 1% of the time since the last read. Buffers
 * are kept between samples, so sampling every 10 ms does not allocate. */
typedef struct hl_sampler {
	pid_t pid;
	long page_size;
	hl_buf_t buf;
	hl_regions_t regions;
	int64_t smaps_cost_us; /* the last smaps read and parse took this long */
	int64_t smaps_at_us;   /* when it was done (CLOCK_MONOTONIC), 0 never */
} hl_sampler_t;

void hl_sampler_init(hl_sampler_t *s, pid_t pid);
/* Fills out (phase left empty); heap_rss_bytes is HL_UNKNOWN when smaps was
 * not read. -ESRCH once the process has gone. */
int hl_sampler_take(hl_sampler_t *s, bool full, hl_sample_t *out, hl_error_t *err);
void hl_sampler_free(hl_sampler_t *s);

/* --------------------------------------------------------------- figures.c */

/* The derived figures of DESIGN.md section 3, defined here once. */

/* fragmentation ratio = rss / live, HL_UNKNOWN-safe (returns -1 if unknown). */
double hl_figures_frag_ratio(int64_t rss_bytes, int64_t live_bytes);
/* Percentage drop from a to b (100 * (a - b) / a), 0 if a <= 0. */
double hl_figures_drop_pct(int64_t a, int64_t b);

typedef enum hl_verdict_kind {
	HL_VERDICT_NONE,      /* nothing was freed: nothing to judge */
	HL_VERDICT_RETENTION, /* in use fell, RSS did not: glibc holds it */
	HL_VERDICT_RELEASED,  /* in use fell and RSS followed */
	HL_VERDICT_LEAK,      /* in use grew phase after phase */
	HL_VERDICT_UNKNOWN    /* not enough data (no phases, no mallinfo2) */
} hl_verdict_kind_t;

typedef struct hl_verdict {
	hl_verdict_kind_t kind;
	char text[256]; /* "retention: in-use fell 99.9% but RSS fell 0.0% at 'freed'; ..." */
} hl_verdict_t;

void hl_figures_verdict(const hl_run_t *run, hl_verdict_t *out);
const char *hl_verdict_kind_name(hl_verdict_kind_t k);

/* ------------------------------------------------------------------ plot.c */

/* Writes the gnuplot script for the timeline of a run directory: it reads
 * samples.tsv beside it and draws png and svg. Phase marks come from run. */
int hl_plot_timeline_script(const hl_run_t *run, hl_buf_t *out, hl_error_t *err);
/* Appends s as a gnuplot single-quoted string (no `command` substitution
 * there, as there is in double quotes): quotes doubled, control characters
 * (a newline in a name) as spaces. */
int hl_plot_quote(hl_buf_t *b, const char *s);

/* ----------------------------------------------------------- glibc_layout.c */

/* Where glibc keeps malloc's state and the byte offsets of its structs
 * (x86-64 pointers and sizes are 8 bytes). Offsets of main_arena and mp_
 * are relative to libc's load base; 0 when unknown (builtin layout). The
 * layout moves with glibc's version: 2.35 added huge-page fields to
 * malloc_par, 2.42 made the tcache 76 bins of free slots, 2.43 removed the
 * fastbins; and the lists' rules with it (safe-linking from 2.32). */
typedef struct hl_glibc_layout {
	char method[300];        /* "dwarf: FILE" or "builtin ..." */
	char build_id[48];       /* of the libc it describes, hex ("" unknown) */
	char version[16];        /* the libc's banner version ("2.36"), "" unknown */
	int minor;               /* 2.MINOR of it, 0 unknown */
	bool from_debug;         /* the offsets came from debug info */
	uint64_t main_arena_off; /* symbol main_arena, from libc's base */
	uint64_t mp_off;         /* symbol mp_ */
	size_t ms_size, ms_fastbins, ms_top, ms_last_remainder, ms_bins, ms_binmap, ms_next,
		ms_system_mem, ms_max_system_mem; /* struct malloc_state */
	size_t mp_size, mp_trim_threshold, mp_top_pad, mp_mmap_threshold, mp_n_mmaps,
		mp_no_dyn_threshold, mp_mmapped_mem, mp_sbrk_base,
		mp_tcache_count;                  /* struct malloc_par */
	size_t hi_size, hi_ar_ptr, hi_prev, hi_hsize; /* struct _heap_info */
	size_t tcache_size, tcache_entries;           /* tcache_perthread_struct */
	int nfastbins;     /* NFASTBINS (0 from 2.43: no fastbins) */
	int nbins;         /* NBINS */
	int tcache_bins;   /* TCACHE_MAX_BINS: 64, 76 from 2.42 */
	bool tcache_slots; /* 2.42+: the uint16_t array is num_slots (room left),
			    * a bin holds tcache_count - num_slots; before: counts */
	bool safe_linking; /* 2.32+: fastbin and tcache links are PROTECT_PTR'd */
	bool mallinfo_int; /* before 2.33: only mallinfo, whose fields are int */
} hl_glibc_layout_t;

/* The layout for this libc file: from the debug info of its build ID
 * (looked for in $HEAPLAB_DEBUG_DIR, the tree the libc was loaded from,
 * /usr/lib/debug), returning 0; else the builtin layout of its version
 * (read from its banner), returning 1 with err saying why there was no
 * debug info; else (a version heaplab has no layout of, and no debug info)
 * a negative code and err says so: never numbers from another layout. */
int hl_glibc_layout_for_libc(const char *libc_path, hl_glibc_layout_t *l, hl_error_t *err);
/* The same for a target's libc: file is what to read (/proc/PID/map_files/
 * ..., the very file mapped), root the target's root (/proc/PID/root, or
 * "") and libc_path the libc's path in maps, inside that root; the debug
 * info is then looked for in $HEAPLAB_DEBUG_DIR, root/usr/lib/debug, the
 * tree libc_path lies in, and /usr/lib/debug. A debug file whose build ID
 * is not the libc's is refused (HL_EPARSE, with both IDs). */
int hl_glibc_layout_for_target(const char *file, const char *root, const char *libc_path,
			       hl_glibc_layout_t *l, hl_error_t *err);
int hl_glibc_layout_from_debug(const char *debug_file, hl_glibc_layout_t *l, hl_error_t *err);
/* The builtin layout of glibc `version` ("2.41"): 0, or -ENOENT for a
 * version heaplab has none of. */
int hl_glibc_layout_builtin(const char *version, hl_glibc_layout_t *l);
/* The versions with a builtin layout, as "2.31-2.34, 2.35-2.41, ...". */
const char *hl_glibc_layout_known(void);
/* Sets version, minor and the version's list rules (safe_linking,
 * tcache_slots, mallinfo_int) in l; an unknown version ("" or NULL) gets
 * today's rules, as a layout read from DWARF is most likely recent. */
void hl_glibc_layout_set_version(hl_glibc_layout_t *l, const char *version);
int hl_glibc_build_id(const char *path, char *hex, size_t hexsz, hl_error_t *err);
/* The value of the function name in an ELF file's dynamic symbols (its
 * offset in a shared object), or 0. */
uint64_t hl_elf_dynamic_function(const char *file, const char *name);
/* --debug-dir DIR: where debug info is looked for first (a folder with
 * .build-id/, or one debug file), as $HEAPLAB_DEBUG_DIR; 0, or err says why
 * DIR will not do. */
int hl_glibc_debug_dir(const char *dir, hl_error_t *err);
/* The glibc version a libc file states in its banner ("GNU C Library (...)
 * stable release version 2.36."), read from the file, nothing run: 0 with
 * "2.36" in out, or a negative code. */
int hl_glibc_file_version(const char *path, char *out, size_t outsz);

/* ----------------------------------------------------------- glibc_matrix.c */

/* A glibc a program can run under: this system's, or another Debian
 * suite's unpacked by scripts/glibc.sh into its cache. */
typedef struct hl_glibc_env {
	char suite[32];     /* "bullseye", or "system" */
	char version[16];   /* "2.31" */
	char root[512];      /* the unpacked tree ("" for the system's) */
	char ld[512];        /* its loader */
	char libdir[512];    /* the folder of its libc.so.6 */
	bool host;          /* the system's own glibc: nothing to do */
} hl_glibc_env_t;

/* The glibcs there are, the system's first, then by version; one per
 * version. Returns how many were put in v. */
size_t hl_glibc_envs(hl_glibc_env_t *v, size_t cap);
/* "2.31 (bullseye), 2.36 (this system's), ..." */
void hl_glibc_envs_text(char *out, size_t sz);
/* The glibc named by version ("2.43") or suite ("sid"): 0, or -ENOENT with
 * err listing the ones there are and how to fetch more. */
int hl_glibc_env_find(const char *want, hl_glibc_env_t *out, hl_error_t *err);
/* Whether programs built here cannot run under it (it is older than the
 * symbols they need): they have builds of their own, build/glibc-VERSION. */
bool hl_glibc_env_own_build(const hl_glibc_env_t *e);
/* argv (cap entries, NULL-terminated) that runs path with args under e:
 * through its loader, or path itself for the system's. Its length, or -1. */
int hl_glibc_env_argv(const hl_glibc_env_t *e, const char *path, char **args, int nargs, char **argv,
		      int cap);
/* The build of host_file (an experiment, the recorder, ...) that runs
 * under e: host_file itself, or its build/glibc-VERSION/ twin; 0, or
 * -ENOENT when that is missing (err says to make matrix). */
int hl_glibc_env_file(const hl_glibc_env_t *e, const char *host_file, char *out, size_t sz,
		      hl_error_t *err);
/* cmd as a path, looked up in PATH when it has no '/' (a loader takes a
 * path): 0, or a negative errno. */
int hl_glibc_env_resolve(const char *cmd, char *out, size_t sz);

/* ------------------------------------------------------------------- walk.c */

typedef enum hl_chunk_class {
	HL_CHUNK_IN_USE,  /* handed out by malloc */
	HL_CHUNK_TCACHE,  /* freed into a thread's tcache (in use to the arena) */
	HL_CHUNK_FASTBIN, /* freed into a fastbin (in use to its neighbours) */
	HL_CHUNK_BIN,     /* free in the unsorted, small or large bins */
	HL_CHUNK_TOP,     /* the arena's top chunk */
	HL_CHUNK_META,    /* malloc's own: tcache_perthread_struct, fenceposts */
	HL_NCHUNK_CLASSES
} hl_chunk_class_t;

/* One arena as the walker saw it. The first six figures are defined as
 * glibc's int_mallinfo defines them, so that summed over arenas they equal
 * the target's own mallinfo2 (arena, uordblks, fordblks, ordblks, smblks,
 * fsmblks). */
typedef struct hl_walk_arena {
	uint64_t addr;            /* its struct malloc_state */
	bool main;                /* main_arena (the brk heap) */
	int64_t system_bytes;     /* system_mem: mallinfo2.arena */
	int64_t in_use_bytes;     /* system - free: uordblks (tcache counts in use) */
	int64_t free_bytes;       /* top + fastbins + bins: fordblks */
	int64_t free_chunks;      /* bin chunks + 1 for top: ordblks */
	int64_t fastbin_chunks;   /* smblks */
	int64_t fastbin_bytes;    /* fsmblks */
	int64_t top_bytes;        /* chunksize(top) (keepcost for the main arena) */
	int64_t bin_bytes;        /* free chunks in the bins */
	int64_t tcache_bytes;     /* chunks in tcache found in its heaps */
	int64_t chunks;           /* chunks in its heaps, top and fenceposts excluded
				   * (an estimate when hl_walk_t.chunks_estimated) */
	int64_t in_use_chunks;    /* of which in use (the same) */
	int64_t run_bytes;        /* bytes of the in-use chunks (exact) */
	int64_t live_bytes;       /* usable bytes of in-use chunks (size - 8; an estimate
				   * to 8 bytes a chunk when the count is) */
	int64_t overhead_bytes;   /* in use - live - tcache: size fields, malloc's own */
	int64_t held_back_bytes;  /* resident whole pages inside free chunks and top */
	int64_t released_bytes;   /* whole pages inside free chunks and top not resident */
	int64_t top_released_bytes; /* the part of released_bytes inside top */
	int64_t releasable_bytes; /* what malloc_trim(0) would give back: resident pages
				   * of bin and fastbin chunks, and of top above top_pad */
	int nheaps;               /* heaps walked (the brk heap counts as one) */
} hl_walk_arena_t;

/* What a page of a heap holds, from the chunks over it. A page is free only
 * when it lies wholly inside a free chunk past the words malloc keeps
 * (header, fd, bk, fd_nextsize, bk_nextsize: 48 bytes; top: its 16-byte
 * header), so that the free pages are exactly the ones held_back_bytes and
 * released_bytes count. Tcache and fastbin chunks count as free here, as
 * held_back does. */
typedef enum hl_page_class {
	HL_PAGE_USED,          /* holds some in-use chunk, header or malloc state */
	HL_PAGE_FREE_RESIDENT, /* inside a free chunk, in RAM: held back */
	HL_PAGE_FREE_RELEASED, /* inside a free chunk, not in RAM */
	HL_PAGE_TOP_RESIDENT,  /* inside top, in RAM: held back */
	HL_PAGE_TOP_RELEASED,  /* inside top, not in RAM */
	HL_NPAGE_CLASSES
} hl_page_class_t;

/* One chunk as walked (kept when HL_WALK_CHUNKS is asked for). */
typedef struct hl_walk_chunk {
	uint64_t addr, size; /* chunk start (its prev_size word) and chunksize */
	uint32_t arena;      /* index into hl_walk_t.arenas */
	uint8_t cls;         /* hl_chunk_class_t */
} hl_walk_chunk_t;

/* One heap: the main arena's brk heap, or a heap_info heap of another
 * arena; pages (when HL_WALK_PAGES is asked for) holds one hl_page_class_t
 * per page of [start, end). */
typedef struct hl_walk_heap {
	uint64_t start, end; /* page-aligned */
	uint32_t arena;
	uint8_t *pages;
	int64_t npages[HL_NPAGE_CLASSES];
} hl_walk_heap_t;

enum {
	HL_WALK_CHUNKS = 1, /* keep the chunks known in hl_walk_t.chunk (in-use ones
			     * only with HL_WALK_EXACT) */
	HL_WALK_PAGES = 2,  /* class every page of every heap */
	HL_WALK_EXACT = 4,  /* walk every in-use chunk too: exact counts, ~ a copy's cost */
	HL_WALK_SAMPLED = 8, /* estimate the in-use count from a sample even when all
			      * runs are small enough to walk (tests) */
};

typedef struct hl_walk {
	pid_t pid;
	char method[360];         /* how main_arena and the layout were found */
	int64_t mmap_threshold;   /* mp_.mmap_threshold, live (it drifts) */
	int64_t trim_threshold;   /* mp_.trim_threshold */
	int64_t top_pad;          /* mp_.top_pad */
	int64_t mmapped_chunks;   /* mp_.n_mmaps: mallinfo2.hblks */
	int64_t mmapped_bytes;    /* mp_.mmapped_mem: mallinfo2.hblkhd */
	int64_t tcache_count;     /* mp_.tcache_count: chunks per tcache bin */
	int64_t tcache_structs;   /* tcache_perthread_structs found (one per thread that mallocs) */
	int64_t tcache_chunks;
	hl_walk_arena_t *arenas;
	size_t narenas;
	hl_mallinfo_t mallinfo2;  /* the totals, as the target's mallinfo2 would say */
	int64_t live_bytes, tcache_bytes, fastbin_bytes, top_bytes, chunks;
	int64_t held_back_bytes, released_bytes, releasable_bytes;
	int64_t overhead_bytes, bin_bytes, top_released_bytes; /* summed over arenas */
	bool complete;            /* false: a part was skipped; warning says why */
	char warning[256];
	int64_t reads, bytes_read; /* what the walk cost: process_vm_readv calls, bytes */
	int64_t pagemap_reads;     /* and pread calls on /proc/PID/pagemap */
	int64_t pieces;            /* the pieces those calls read (iovecs) */
	int64_t absent_reads;      /* pages read that were not resident: an image's
				    * count (tests); 0 for a process, by design */
	bool chunks_estimated;     /* chunks, in-use counts and live_bytes are estimates
				    * from a sample of the in-use runs (not HL_WALK_EXACT) */
	hl_walk_heap_t *heaps;     /* every heap walked, by arena then address */
	size_t nheaps;
	hl_walk_chunk_t *chunk;    /* with HL_WALK_CHUNKS: every chunk, in walk order */
	size_t nchunk;
} hl_walk_t;

/* Walks process pid's glibc heap, read-only. 0 (check complete/warning),
 * or a negative code: no such process, no permission, not glibc. */
int hl_walk_process(pid_t pid, hl_walk_t *out, hl_error_t *err);
/* The same, keeping the layout in *cache (zeroed at first) between walks:
 * reading libc's DWARF costs ~50-90 ms, and it is reused as long as the
 * target's libc has the same build ID. */
int hl_walk_process_cached(pid_t pid, hl_glibc_layout_t *cache, hl_walk_t *out, hl_error_t *err);
/* The same with HL_WALK_* flags: what to keep beyond the totals. */
int hl_walk_process_opts(pid_t pid, hl_glibc_layout_t *cache, int flags, hl_walk_t *out,
			 hl_error_t *err);
/* Walks a memory image instead of a process (tests, fuzzing): segs hold
 * main_arena at ma, mp_ at mp and the heaps, laid out as l says. The same
 * checks and results as a process walk; method says "image". */
int hl_walk_image(const hl_peek_seg_t *segs, size_t nsegs, const hl_glibc_layout_t *l,
		  uint64_t ma, uint64_t mp, int flags, hl_walk_t *out, hl_error_t *err);
/* The same, with tick(ctx) called before every read or batch of reads: a
 * test changes the image under the walk, as a running target would. */
int hl_walk_image_changing(const hl_peek_seg_t *segs, size_t nsegs, const hl_glibc_layout_t *l,
			   uint64_t ma, uint64_t mp, int flags, void (*tick)(void *), void *ctx,
			   hl_walk_t *out, hl_error_t *err);
const char *hl_page_class_name(hl_page_class_t c); /* "used", "free-resident", ... */
const char *hl_chunk_class_name(hl_chunk_class_t c); /* "in-use", "tcache", ... */
void hl_walk_free(hl_walk_t *w);
/* The totals of w as a phase records them (run.json "walk"); the fields a
 * walk does not know (rss around it, its duration) are left as they are. */
void hl_walk_summarize(const hl_walk_t *w, struct hl_walk_summary *s);

/* ------------------------------------------------------------------- pins.c */

/* What keeps an arena's heap from shrinking (pins.c states the rule): the
 * few chunks right below top that are not free, over a big free chunk. */
typedef struct hl_heap_pin {
	uint32_t arena;      /* index into hl_walk_t.arenas */
	uint64_t addr, size; /* the highest of them: chunk address and size */
	uint8_t cls;         /* its hl_chunk_class_t (in use, tcache, fastbin, meta) */
	uint64_t first;      /* the lowest of them */
	int chunks;          /* how many (1 for brk_pin's 32-byte chunk); 0 when the
			      * walk did not list the chunks in use: addr and size
			      * are then the whole run */
	int64_t bytes;       /* their chunk sizes: first to top */
	uint64_t free_addr;  /* the free chunk below them */
	int64_t free_bytes;
	int64_t gives_back;  /* resident bytes that go back by themselves once they
			      * are freed (the merged top passes trim_threshold); 0
			      * when it would not */
} hl_heap_pin_t;

/* The pins of w (a walk with HL_WALK_CHUNKS; with HL_WALK_EXACT the chunks
 * are named), at most one per arena, into out; res, when given, holds each chunk's resident bytes
 * (else sizes stand for them). Returns how many. */
size_t hl_heap_pins(const hl_walk_t *w, const int64_t *res, hl_heap_pin_t *out, size_t cap);

/* ----------------------------------------------------------------- lesson.c */

/* An experiment's lesson at each phase (lab_experiment_t.steps), as
 * `EXP --describe` prints it: "step: PHASE [PARAM=V]: text", the text with
 * {placeholders} for this run's figures. */
#define HL_LESSON_MAX_LINES 64
#define HL_LESSON_MAX_PARAMS 32
#define HL_LESSON_TEXT 512 /* a filled line, at most */

typedef struct hl_lesson_line {
	char phase[64];      /* the phase it is for; an N stands for a number */
	char cond[64];       /* "" or the parameter it is shown for... */
	char cond_value[64]; /* ...when the run's value is this */
	char text[400];      /* with {placeholders} */
} hl_lesson_line_t;

typedef struct hl_lesson {
	char phases[256];    /* the declared phases, as --describe says them */
	int nphases;         /* how many, 0 when they are a pattern ("roundN_...") */
	hl_lesson_line_t line[HL_LESSON_MAX_LINES];
	size_t nlines;
	hl_param_t params[HL_LESSON_MAX_PARAMS]; /* the parameters, at their defaults
						  * until hl_lesson_param_set */
	size_t nparams;
} hl_lesson_t;

/* This run's figures at a phase, and the previous phase's; HL_UNKNOWN what
 * is not known (hl_lesson_figs_init sets all so). */
typedef struct hl_lesson_figs {
	int64_t rss, vsz, live, held_back, released, releasable; /* bytes */
	int64_t top, tcache, fastbins, arenas;
	bool live_estimated;  /* live comes from a sampled walk: printed with ~ */
	int64_t prev_rss, prev_live, prev_held_back, prev_released;
	char prev_phase[64];  /* "" at the first phase */
	bool have_pin;
	uint64_t pin_addr;    /* its lowest chunk */
	int64_t pin_bytes;
	const hl_param_t *params; /* the run's parameter values */
	size_t nparams;
} hl_lesson_figs_t;

void hl_lesson_figs_init(hl_lesson_figs_t *f);
/* The figures of a run's phase (RSS, VSZ, its walk's) and the previous
 * phase's (NULL at the first); the pin and the parameters are the caller's. */
void hl_lesson_figs_phase(hl_lesson_figs_t *f, const hl_phase_t *ph, const hl_phase_t *prev);
/* The "phases:", "param:" and "step:" lines of --describe output. */
int hl_lesson_parse(const char *buf, size_t len, hl_lesson_t *out, hl_error_t *err);
/* One step line "PHASE [PARAM=V]: text" (without "step: "). */
int hl_lesson_step_parse(const char *s, size_t n, hl_lesson_line_t *out, hl_error_t *err);
/* "--NAME=VALUE" sets a parameter's value; -ENOENT if it has none such. */
int hl_lesson_param_set(hl_lesson_t *l, const char *arg);
bool hl_lesson_phase_match(const char *step_phase, const char *phase);
/* Whether line l is shown at phase under these parameter values. */
bool hl_lesson_applies(const hl_lesson_line_t *l, const char *phase, const hl_param_t *params,
		       size_t nparams);
/* text with its placeholders filled from f, into out; returns how many
 * {...} were not placeholders (kept as written). */
int hl_lesson_fill(const char *text, const hl_lesson_figs_t *f, char *out, size_t outsz);
/* The lines shown at phase, filled, into out[0..max); returns how many. */
size_t hl_lesson_lines(const hl_lesson_t *l, const char *phase, const hl_lesson_figs_t *f,
		       char (*out)[HL_LESSON_TEXT], size_t max);
/* Every placeholder and condition of l names one that exists. */
int hl_lesson_check(const hl_lesson_t *l, hl_error_t *err);
/* The placeholder table: entry i's name and meaning; returns the count. */
size_t hl_lesson_placeholders(size_t i, const char **name, const char **what);
/* Runs `path --describe`, its output into out; the exit status or -errno. */
int hl_lesson_describe(const char *path, hl_buf_t *out);

/* --------------------------------------------------------------- diagnose.c */

typedef enum hl_part {
	HL_PART_LIVE,          /* live_heap: usable bytes of in-use chunks */
	HL_PART_OVERHEAD,      /* chunk_overhead: size fields, malloc's own structs */
	HL_PART_TCACHE,        /* tcache_held */
	HL_PART_FASTBIN,       /* fastbin_held */
	HL_PART_BIN,           /* bin_held: free chunks in the bins */
	HL_PART_TOP,           /* top */
	HL_PART_MMAP,          /* mmapped_chunks */
	HL_PART_ANON,          /* other_anon: anonymous memory not malloc's */
	HL_PART_FILE,          /* file */
	HL_PART_STACK,         /* stacks: [stack] */
	HL_PART_OTHER,         /* other: [vdso], [vvar] */
	HL_PART_HEAP_UNWALKED, /* heap_not_walked: heap RSS when no walk was possible */
	HL_NPARTS
} hl_part_t;

const char *hl_part_name(hl_part_t p); /* "live_heap", ... as in --json */

typedef struct hl_diag_arena {
	bool main;
	int64_t system_bytes, live_bytes, held_back_bytes, releasable_bytes;
	int64_t parts[HL_NPARTS]; /* its resident bytes by heap part */
	int nheaps;
} hl_diag_arena_t;

typedef struct hl_diag_rec {
	char action[64];
	int64_t bytes; /* what it would give back, proven from what was read;
			* HL_UNKNOWN when a snapshot cannot tell (measure says how) */
	char why[400];
	char measure[200]; /* the command that measures it, for an unknown one */
} hl_diag_rec_t;

#define HL_DIAG_MAX_RECS 8

typedef struct hl_diagnosis {
	pid_t pid;
	char command[64];
	char glibc[32];           /* the target's glibc ("2.36"), or "unknown" */
	int64_t threads;
	int64_t rss_bytes;        /* the sum of smaps Rss: what the parts split */
	int64_t status_rss_bytes; /* VmRSS, read at the same time */
	int64_t parts[HL_NPARTS];
	int64_t remainder_bytes;  /* rss_bytes - the parts */
	int64_t heap_rss_smaps;   /* smaps Rss of the heap regions */
	int64_t heap_rss_walked;  /* resident bytes of the heaps walked (pagemap) */
	hl_regions_t regions;
	bool walk_valid;
	char walk_error[512];
	hl_walk_t walk;           /* with every chunk */
	int64_t *chunk_resident;  /* per walk.chunk[i]: its resident bytes */
	hl_diag_arena_t *arenas;  /* per walk.arenas[i] */
	size_t narenas;
	hl_diag_rec_t recs[HL_DIAG_MAX_RECS]; /* biggest proven first, unknown last */
	int nrecs;
	hl_heap_pin_t *pins;      /* what keeps each heap from shrinking */
	size_t npins;
} hl_diagnosis_t;

/* Reads pid (read-only) and explains its RSS. 0, or -ESRCH / -EACCES with
 * err set; a process whose heap cannot be walked still gets the smaps parts
 * (walk_valid false, walk_error says why). */
int hl_diagnose(pid_t pid, hl_glibc_layout_t *cache, hl_diagnosis_t *d, hl_error_t *err);
void hl_diagnosis_free(hl_diagnosis_t *d);

/* True when pid is gone or a zombie: nothing left to read. */
bool hl_diag_exited(pid_t pid);

typedef struct hl_diag_sample {
	double t_s;
	int64_t rss_bytes, live_bytes;
	int64_t held_back_bytes; /* from the same walk */
} hl_diag_sample_t;

typedef struct hl_diag_verdict {
	char kind[16]; /* "leak", "retention", "steady", "unknown" */
	char text[400];
} hl_diag_verdict_t;

/* Live bytes over time: growing in most intervals by more than 5% (at
 * least 1 MiB) is a leak; steady or falling while more than a quarter of
 * RSS is held back at the last sample is retention; otherwise steady.
 * Fewer than 2 samples: unknown (held_back is then unused). */
void hl_diag_verdict(const hl_diag_sample_t *s, size_t n, int64_t held_back,
		     hl_diag_verdict_t *v);

/* ------------------------------------------------------------------ sweep.c */

/* One configuration of a sweep (one run), and the sweep's own files. */
typedef struct hl_sweep_config {
	char label[256];    /* "jemalloc glibc.malloc.arena_max=2 --blocks=1024" */
	char dir[128];      /* its run directory, inside the sweep's */
	char allocator[32];
	char tunables[512]; /* as GLIBC_TUNABLES */
	char params[256];   /* the experiment arguments this config adds */
	bool loaded;        /* run holds its run.json */
	hl_run_t run;
} hl_sweep_config_t;

/* sweep.json: the experiment, and per config its label, directory,
 * allocator, tunables, params, completeness and per phase rss_bytes,
 * vsz_bytes, heap_bytes, in_use_bytes (null under another allocator). */
int hl_sweep_to_json(const char *experiment, const hl_sweep_config_t *c, size_t n,
		     hl_buf_t *out, hl_error_t *err);
/* sweep.tsv: one row per config and phase. */
int hl_sweep_tsv(const hl_sweep_config_t *c, size_t n, hl_buf_t *out);
/* sweep-rss.tsv: one row per phase name (first seen first), one column of
 * RSS in MiB per config ("NA" where a config has no such phase). */
int hl_sweep_rss_matrix(const hl_sweep_config_t *c, size_t n, hl_buf_t *out);
/* sweep.json read back: the experiment, and per config its label, dir,
 * allocator, tunables and params (run initialised, not loaded). *out is
 * the caller's, for hl_sweep_free. */
int hl_sweep_from_json(const char *buf, size_t len, char *experiment, size_t expsz,
		       hl_sweep_config_t **out, size_t *n, hl_error_t *err);
void hl_sweep_free(hl_sweep_config_t *c, size_t n); /* the runs, and the array */

/* plot.c: the sweep's gnuplot script: sweep-rss.png/svg (RSS per phase,
 * bars grouped by phase, one per config) and sweep-timeline.png/svg (every
 * config's RSS over time, overlaid). Reads the files above. */
int hl_plot_sweep_script(const char *experiment, const hl_sweep_config_t *c, size_t n,
			 hl_buf_t *out, hl_error_t *err);

/* ----------------------------------------------------------- prescription.c */

typedef struct hl_prescription_row {
	char name[64], setting[200];
	char skipped[240];           /* why it did not run, "" when it did */
	int64_t peak, end, saving;   /* RSS at the trace's peak and end; baseline end - end */
	double wall_ratio, cpu_ratio; /* against the baseline */
} hl_prescription_row_t;

typedef struct hl_prescription {
	char trace[512];
	bool trace_complete;
	int64_t base_peak, base_end;
	double base_wall;
	hl_prescription_row_t rows[32]; /* ranked: biggest saving first */
	size_t n;
} hl_prescription_t;

/* prescribe.json read back: 0, or HL_EPARSE when it is not one. */
int hl_prescription_parse(const char *buf, size_t len, hl_prescription_t *rx, hl_error_t *err);

/* ---------------------------------------------------------------- sysinfo.c */

/* glibc's version ("2.36"), from gnu_get_libc_version(). */
const char *hl_sysinfo_glibc(void);
/* uname -r into out. */
int hl_sysinfo_kernel(char *out, size_t outsz);

/* ----------------------------------------------------------------- markup.c */

/* Appends s escaped for HTML and SVG text and attributes. */
int hl_markup_html(hl_buf_t *out, const char *s);
/* Appends s escaped for a Markdown table cell. */
int hl_markup_md(hl_buf_t *out, const char *s);

/* -------------------------------------------------------------------- svg.c */

/* A byte axis: ticks of step units of unit bytes, from 0 to max. */
typedef struct hl_svg_axis {
	int64_t unit;          /* 1, 1024, ... bytes */
	const char *unit_name; /* "B", "KiB", ... */
	int64_t step;          /* tick step, in units */
	int64_t ticks;         /* ticks above 0 */
	int64_t max;           /* bytes at the top tick */
} hl_svg_axis_t;

/* The axis for values up to max: a step of 1, 2 or 5 times a power of ten,
 * at most 6 ticks. */
void hl_svg_axis(int64_t max, hl_svg_axis_t *a);
/* The pixel row of v on a vertical axis from y1 (0) up to y0 (a->max). */
int64_t hl_svg_y(const hl_svg_axis_t *a, int64_t v, int64_t y0, int64_t y1);
/* Grid lines with their labels, and the axis line at x0. */
int hl_svg_grid(hl_buf_t *out, const hl_svg_axis_t *a, int64_t x0, int64_t x1, int64_t y0,
		int64_t y1);

/* ---------------------------------------------------------------- heapmap.c */

/* The heap map: every page of every heap of a walk made with HL_WALK_PAGES,
 * as a matrix of page classes (hl_page_class_t, -1 outside a heap), one
 * cell per 2^k pages, HL_HEAPMAP_COLS cells a row, each heap from a new
 * row. Its file (heapmap.tsv, heapmap-PHASE.tsv) starts with comment lines
 * that say what a cell is. */
#define HL_HEAPMAP_COLS 256
#define HL_HEAPMAP_MAX_ROWS 1024 /* the zoom is chosen to fit this */

typedef struct hl_heapmap {
	int64_t rows;       /* rows of HL_HEAPMAP_COLS cells */
	int8_t *cells;      /* rows * HL_HEAPMAP_COLS classes; NULL when only described */
	int64_t cell_pages; /* pages per cell (a power of two) */
	int64_t page_bytes;
	int64_t pages;      /* pages of all heaps */
	int64_t heaps;
	int64_t ncells[HL_NPAGE_CLASSES]; /* cells of each class (parsed maps) */
} hl_heapmap_t;

/* The class of cell `cell` of heap h when a cell is 1 << zoom pages: the
 * class most of its pages have (a tie goes to held back, then released,
 * then used); -1 past the heap's end or when h has no page classes. */
int hl_heapmap_cell(const hl_walk_heap_t *h, int zoom, int64_t cell, long page_size);
/* The file for w, at the smallest zoom that fits max_rows rows; info
 * describes it (cells NULL). */
int hl_heapmap_tsv(const hl_walk_t *w, long page_size, int64_t max_rows, hl_buf_t *out,
		   hl_heapmap_t *info);
/* The file for w written to path, which must not exist yet. */
int hl_heapmap_save(const hl_walk_t *w, const char *path, hl_heapmap_t *info, hl_error_t *err);
/* Reads the file (figures its comments do not give are HL_UNKNOWN). */
int hl_heapmap_parse(const char *buf, size_t len, hl_heapmap_t *out, hl_error_t *err);
void hl_heapmap_free(hl_heapmap_t *m);
/* A gnuplot script that draws the file tsv into png (names relative to the
 * directory gnuplot runs in); title names what was mapped. */
int hl_heapmap_script(const hl_heapmap_t *m, const char *title, const char *tsv,
		      const char *png, hl_buf_t *out);
/* The palette of the classes and a "plot 'tsv' matrix with image" (no
 * newline after it, so a caller can add to the plot): what the script
 * above draws, for a caller's own picture (a slide). */
int hl_heapmap_plot(const char *tsv, hl_buf_t *out);
/* The class at addr in w's heaps at 1 << zoom pages per cell (of the cell
 * starting there, or of its page when the heap's cells start elsewhere);
 * -2 when addr is in no heap. */
int hl_heapmap_class_at(const hl_walk_t *w, uint64_t addr, int zoom, long page_size);
/* Where addr is in the map of w that info describes: its row and column. */
bool hl_heapmap_locate(const hl_walk_t *w, const hl_heapmap_t *info, uint64_t addr, int64_t *row,
		       int64_t *col);
/* A matrix like the map of w (info's geometry): 1 where a cell's class is
 * not what the same addresses had in prev (no heap there counts as a class
 * of its own), 0 where it is, -1 outside a heap; *changed counts the 1s. */
int hl_heapmap_changes_tsv(const hl_walk_t *w, const hl_walk_t *prev, const hl_heapmap_t *info,
			   hl_buf_t *out, int64_t *changed);
/* The map as an inline SVG (one path per class; the legend is the caller's). */
int hl_heapmap_svg(const hl_heapmap_t *m, hl_buf_t *out);
const char *hl_heapmap_colour(int cls); /* "#4c72b0"; white for -1 */
const char *hl_heapmap_label(int cls);  /* "free, held back", "outside a heap" */

/* ------------------------------------------------------------------ slide.c */

/* One slide: a phase of a run for a lecture. Names are relative to the
 * directory gnuplot runs the script in. */
#define HL_SLIDE_CAPTION 5 /* caption rows at most */

typedef struct hl_slide {
	const char *experiment, *phase;
	int index, count;           /* phase index of count, from 1 */
	const hl_heapmap_t *map;    /* the map's geometry */
	const char *map_tsv;        /* "" when the phase has no map */
	const char *changes_tsv;    /* hl_heapmap_changes_tsv's matrix, "" none */
	const int64_t *pin_col, *pin_row; /* the pins' cells */
	size_t npins;
	char pin_text[160];         /* "pin: 32 B at 0x...", "" none */
	const int64_t *t_ms, *rss, *vsz; /* the samples up to the phase */
	size_t npoints;
	int64_t t_phase_ms, t_end_ms; /* the phase's time; the run's end (the axis) */
	char (*caption)[HL_LESSON_TEXT]; /* the lesson lines, filled */
	size_t ncaption;
	const char *png, *svg;      /* what the script draws */
} hl_slide_t;

int hl_slide_script(const hl_slide_t *s, hl_buf_t *out);

/* slides.tsv, in the run directory: a header row, then one row per slide:
 * phase, png, svg (relative to the run directory, or absolute), caption
 * (its lines joined by " / "). */
typedef struct hl_slide_entry {
	char phase[64];
	char png[512], svg[512];
	char caption[2048];
} hl_slide_entry_t;

extern const char hl_slides_header[];
int hl_slides_row(hl_buf_t *out, const hl_slide_entry_t *e);
/* *out is the caller's to free. */
int hl_slides_parse(const char *buf, size_t len, hl_slide_entry_t **out, size_t *n,
		    hl_error_t *err);

/* -------------------------------------------------------------- breakdown.c */

/* What RSS is made of, as one stacked bar; segments in stacking order. */
typedef enum hl_bd_seg {
	HL_BD_LIVE,     /* live bytes */
	HL_BD_OVERHEAD, /* chunk headers, malloc's own chunks */
	HL_BD_TCACHE,
	HL_BD_FASTBIN,
	HL_BD_BIN,      /* bin chunks, their resident part */
	HL_BD_TOP,      /* top, its resident part */
	HL_BD_MMAP,     /* mmapped chunks */
	HL_BD_IN_USE,   /* mallinfo2 in use (no walk) */
	HL_BD_FREE,     /* mallinfo2 free, the part held back (no walk) */
	HL_BD_HEAP,     /* heap RSS a diagnosis could not walk */
	HL_BD_ANON,     /* other anonymous memory */
	HL_BD_FILE,
	HL_BD_STACK,
	HL_BD_REST,     /* the rest of RSS */
	HL_BD_RELEASED, /* released heap pages: not resident, drawn above RSS */
	HL_BD_NSEGS
} hl_bd_seg_t;

typedef struct hl_breakdown {
	char label[96];              /* the bar: a phase name, "now" */
	int64_t rss_bytes;           /* HL_UNKNOWN when not known */
	int64_t bytes[HL_BD_NSEGS];  /* HL_UNKNOWN: not split out by the source */
	char basis[32];              /* "walk", "mallinfo2", ... */
} hl_breakdown_t;

void hl_breakdown_init(hl_breakdown_t *b, const char *label);
/* A phase of a run: from its walk, else from mallinfo2 and the brk heap's
 * RSS, else RSS alone (docs/report.md gives the arithmetic). */
void hl_breakdown_phase(const hl_phase_t *ph, hl_breakdown_t *b);
/* Adds a diagnosis part ("live_heap", "bin_held", ...) to its segment;
 * parts this heaplab does not know go to HL_BD_REST. */
hl_bd_seg_t hl_breakdown_add_part(hl_breakdown_t *b, const char *part, int64_t bytes);
int64_t hl_breakdown_resident(const hl_breakdown_t *b); /* all but released */
const char *hl_breakdown_key(hl_bd_seg_t s);    /* "bin_held": a TSV column */
const char *hl_breakdown_label(hl_bd_seg_t s);  /* "bins, held back" */
const char *hl_breakdown_colour(hl_bd_seg_t s); /* "#c44e52" */
/* The bars as TSV (one row each, bytes, NA unknown), the gnuplot script
 * that draws that file as stacked bars into png, and an inline SVG. */
int hl_breakdown_tsv(const hl_breakdown_t *b, size_t n, hl_buf_t *out);
int hl_breakdown_script(const hl_breakdown_t *b, size_t n, const char *title, const char *tsv,
			const char *png, hl_buf_t *out);
int hl_breakdown_svg(const hl_breakdown_t *b, size_t n, hl_buf_t *out);

/* --------------------------------------------------------------- diagfile.c */

/* diagnosis.json (written by `heaplab diagnose --out DIR`), as the report
 * reads it. Figures absent from the file are HL_UNKNOWN. */
typedef struct hl_diagfile_part {
	char name[48]; /* "live_heap", "bin_held", ... as in the file */
	int64_t bytes;
} hl_diagfile_part_t;

typedef struct hl_diagfile_arena {
	int64_t index;
	bool main;
	int64_t system_bytes, live_bytes, held_back_bytes, tcache_bytes, fastbin_bytes,
		bin_bytes, top_bytes, heaps;
} hl_diagfile_arena_t;

typedef struct hl_diagfile_sample {
	int64_t t_ms; /* t_s in the file */
	int64_t rss_bytes, live_bytes;
} hl_diagfile_sample_t;

typedef struct hl_diagfile_rec {
	char *action; /* word for word */
	int64_t bytes;
	char *why;
} hl_diagfile_rec_t;

typedef struct hl_diagfile {
	int64_t version;
	int64_t pid;
	char *command;
	char time[40], glibc[32], kernel[128], method[360];
	int64_t rss_bytes, remainder_bytes, threads;
	int64_t mmap_threshold, trim_threshold, releasable_bytes;
	hl_diagfile_part_t *parts; /* in the file's order */
	size_t nparts;
	hl_diagfile_arena_t *arenas;
	size_t narenas;
	char verdict_kind[16]; /* "leak", "retention", "steady", "unknown" */
	char *verdict_text;
	hl_diagfile_sample_t *watch; /* "watch": may be none */
	size_t nwatch;
	hl_diagfile_rec_t *recs;
	size_t nrecs;
	bool have_trim; /* "trim" is there */
	int64_t trim_predicted_bytes, trim_rss_before, trim_rss_after;
} hl_diagfile_t;

/* HL_EPARSE for another format or a damaged file, HL_ESCHEMA for another
 * version; on error *d is left empty. */
int hl_diagfile_parse(const char *buf, size_t len, hl_diagfile_t *d, hl_error_t *err);
int hl_diagfile_load(const char *dir, hl_diagfile_t *d, hl_error_t *err);
void hl_diagfile_free(hl_diagfile_t *d);

/* ----------------------------------------------------------------- report.c */

/* `heaplab report DIR`: one HTML page and its Markdown twin for a run, a
 * sweep or a diagnosis. The harness gathers the files into hl_report_t
 * (and draws the PNGs); report.c writes the text and never reads a file. */
typedef enum hl_report_kind {
	HL_REPORT_RUN,       /* run.json: heaplab run, heapview --record */
	HL_REPORT_SWEEP,     /* sweep.json: heaplab sweep */
	HL_REPORT_DIAGNOSIS, /* diagnosis.json: heaplab diagnose --out */
} hl_report_kind_t;

/* A picture the report shows: an SVG to inline, a PNG for the Markdown. */
typedef struct hl_report_figure {
	char id[48];        /* the HTML id: "timeline", "sweep-rss" */
	char title[128];
	char *svg;          /* ready to inline (hl_report_inline_svg), or NULL */
	char png[160];      /* a PNG in the directory, "" none */
	char note[320];     /* said under it: where it came from, why it is missing */
} hl_report_figure_t;

/* A heap map of one phase. */
typedef struct hl_report_map {
	char id[96];      /* "heapmap-freed" */
	char title[160];  /* "phase 'freed'" */
	char tsv[256];    /* its file, relative to the directory */
	bool valid;
	hl_heapmap_t map;
	char png[256];    /* its PNG, "" none */
	char note[320];
} hl_report_map_t;

#define HL_REPORT_MAX_FIGS 4
#define HL_REPORT_MAX_NOTES 32

typedef struct hl_report {
	hl_report_kind_t kind;
	char dir[512];       /* as given */
	char generated[32];  /* ISO 8601 UTC */
	const hl_run_t *run; /* HL_REPORT_RUN */
	const char *experiment; /* HL_REPORT_SWEEP */
	const hl_prescription_t *rx; /* a sweep that heaplab prescribe made, or NULL */
	const hl_sweep_config_t *configs;
	size_t nconfigs;
	const hl_diagfile_t *diag; /* HL_REPORT_DIAGNOSIS */
	hl_report_figure_t figs[HL_REPORT_MAX_FIGS];
	size_t nfigs;
	hl_report_map_t *maps;
	size_t nmaps;
	char breakdown_png[64]; /* "" when not drawn */
	char watch_png[64];     /* a diagnosis's RSS over time, "" none */
	char notes[HL_REPORT_MAX_NOTES][320]; /* what is missing, said in the report */
	size_t nnotes;
	char (*files)[256]; /* the directory's files, for the list of links */
	size_t nfiles;
	const hl_slide_entry_t *slides; /* a run's slides.tsv (heaplab run --slides) */
	size_t nslides;
} hl_report_t;

typedef struct hl_advice {
	char action[200];
	int64_t bytes; /* what it is about, HL_UNKNOWN none */
	char why[720];
} hl_advice_t;

void hl_report_note(hl_report_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The bars of the RSS breakdown: one per phase (a run), per configuration
 * and phase (a sweep), or the diagnosis's one. *out is the caller's. */
int hl_report_breakdowns(const hl_report_t *r, hl_breakdown_t **out, size_t *n);
/* What to do, with the bytes at stake, from the figures (a diagnosis's
 * own recommendations are shown as they are, not through this). */
size_t hl_report_advise(const hl_report_t *r, hl_advice_t *out, size_t max);
/* The diagnosis's RSS and live bytes over time (its "watch") as TSV, a
 * gnuplot script drawing it into png, and an inline SVG. */
int hl_report_watch_tsv(const hl_diagfile_t *d, hl_buf_t *out);
int hl_report_watch_script(const hl_diagfile_t *d, const char *tsv, const char *png,
			   hl_buf_t *out);
int hl_report_watch_svg(const hl_diagfile_t *d, hl_buf_t *out);
/* An SVG file's text made fit to inline in HTML: the XML prolog, DOCTYPE
 * and namespace declarations dropped. NULL (why says so) when it holds a
 * script or a reference outside itself. The caller frees it. */
char *hl_report_inline_svg(const char *svg, size_t len, char *why, size_t whysz);
int hl_report_html(const hl_report_t *r, hl_buf_t *out);
int hl_report_markdown(const hl_report_t *r, hl_buf_t *out);

#endif /* HEAPLAB_H */
