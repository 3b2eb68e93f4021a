/*
 * diagnose.c — where every byte of a process's RSS is, and what would give
 * it back: `heaplab diagnose PID`.
 *
 * RSS is split into parts that add up to it: the heap's resident bytes by
 * what the walker says each chunk is (live, chunk overhead, tcache, fastbin,
 * bin, top), then, from smaps, mmapped chunks, other anonymous memory, files,
 * the stack and the rest ([vdso], [vvar]). The heap parts are counted byte
 * by byte over resident pages (pagemap): a chunk's bytes on a page that is
 * not resident are not RSS. What the parts do not explain (the target moved
 * between the reads, counters the kernel updates lazily) is the remainder,
 * stated, never hidden in a part.
 *
 * The recommendations come from the same walk, each figure what the action
 * would give back, proven from what was read: malloc_trim(0) the
 * releasable bytes (resident whole pages inside bin and fastbin chunks and
 * top above top_pad; tcache is never trimmed); MALLOC_ARENA_MAX what the
 * arenas that would not exist hold back; a fixed mmap threshold, when it
 * drifted, the resident chunks in use between 128 KiB and the threshold
 * (they would have been mmapped, and go back at their free); another
 * allocator is unknown from a snapshot, with the commands that measure it.
 * The pins (pins.c): what keeps each arena's heap from shrinking.
 *
 * The target's glibc version comes from the libc file it maps, read from
 * outside (its banner), never from running anything in the target.
 *
 * Read-only: smaps, status, pagemap, the walker's process_vm_readv, and the
 * target's libc file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

#define MMAP_THRESHOLD_DEFAULT (128 * 1024)

const char *hl_part_name(hl_part_t p)
{
	static const char *const n[HL_NPARTS] = {
		"live_heap", "chunk_overhead", "tcache_held", "fastbin_held",
		"bin_held",  "top",	       "mmapped_chunks", "other_anon",
		"file",	     "stacks",	       "other",	     "heap_not_walked"};
	return (unsigned)p < HL_NPARTS ? n[p] : "?";
}

bool hl_diag_exited(pid_t pid)
{
	hl_buf_t b = {0};
	int rc = hl_procfs_read(pid, "status", &b, NULL);
	/* a zombie still has /proc/PID/status but no memory left to read: its
	 * parent has not collected it yet */
	const char *st = rc == 0 && b.data ? strstr(b.data, "\nState:") : NULL;
	bool gone = rc == -ESRCH || rc == -ENOENT;
	if (st) {
		st += strlen("\nState:");
		st += strspn(st, " \t");
		gone = *st == 'Z' || *st == 'X';
	}
	hl_buf_free(&b);
	return gone;
}

/* The target's glibc version, from the libc file it maps: through
 * /proc/PID/map_files (the very file mapped, even when it was replaced or
 * deleted since, as by an upgrade; needs root), else /proc/PID/root + its
 * path (the target's own file system, as in a container), unless that path
 * was deleted: the file there now may be another version. "unknown" when
 * no libc is mapped (a static binary, musl) or neither can be read. */
static void glibc_version(hl_diagnosis_t *d)
{
	snprintf(d->glibc, sizeof d->glibc, "unknown");
	for (size_t i = 0; i < d->regions.n; i++) {
		const hl_region_t *r = &d->regions.v[i];
		const char *slash = strrchr(r->path, '/');
		const char *name = slash ? slash + 1 : r->path;
		if (r->offset != 0 || r->path[0] != '/' ||
		    (strncmp(name, "libc.so", 7) && strncmp(name, "libc-2.", 7)))
			continue;
		char path[400];
		if (hl_proc_mapped_file(d->pid, r->start, r->end, r->path, path, sizeof path) == 0)
			hl_glibc_file_version(path, d->glibc, sizeof d->glibc);
		return;
	}
}

/* Whether reading the target's memory is refused while its /proc files are
 * not: smaps and pagemap need the same user (the filesystem uid), but
 * process_vm_readv needs ptrace attach permission (the real uid, and
 * Yama's ptrace_scope on top). The first resident page that reads tells. */
static int memory_refused(hl_peek_t *pk, const hl_regions_t *r)
{
	for (size_t i = 0; i < r->n; i++) {
		bool in = false;
		uint64_t v;
		if (r->v[i].rss_bytes <= 0 || r->v[i].perms[0] != 'r' ||
		    hl_peek_page_resident(pk, r->v[i].start, &in) || !in)
			continue;
		int rc = hl_peek_read(pk, r->v[i].start, &v, sizeof v);
		if (rc == 0)
			return 0;
		if (rc == -EPERM || rc == -EACCES)
			return rc;
	}
	return 0;
}

/* The bytes of [addr, addr + len) that lie on resident pages. */
static int64_t resident_bytes(hl_peek_t *pk, uint64_t addr, uint64_t len)
{
	uint64_t ps = (uint64_t)pk->page_size, end = addr + len;
	int64_t n = 0;
	for (uint64_t pg = addr / ps * ps; pg < end; pg += ps) {
		bool in = false;
		hl_peek_page_resident(pk, pg, &in);
		if (!in)
			continue;
		uint64_t a = pg > addr ? pg : addr, b = pg + ps < end ? pg + ps : end;
		n += (int64_t)(b - a);
	}
	return n;
}

/* The heap parts of RSS, per arena, chunk by chunk. */
static void heap_parts(hl_diagnosis_t *d, hl_peek_t *pk)
{
	const hl_walk_t *w = &d->walk;
	int64_t covered = 0, heaps = 0;
	for (size_t i = 0; i < w->nchunk; i++) {
		const hl_walk_chunk_t *c = &w->chunk[i];
		int64_t r = d->chunk_resident[i];
		hl_diag_arena_t *a = c->arena < d->narenas ? &d->arenas[c->arena] : NULL;
		int64_t part[HL_NPARTS] = {0};
		switch (c->cls) {
		case HL_CHUNK_IN_USE: /* its size field is malloc's, the rest the program's */
			part[HL_PART_OVERHEAD] = r < 8 ? r : 8;
			part[HL_PART_LIVE] = r - part[HL_PART_OVERHEAD];
			break;
		case HL_CHUNK_TCACHE: part[HL_PART_TCACHE] = r; break;
		case HL_CHUNK_FASTBIN: part[HL_PART_FASTBIN] = r; break;
		case HL_CHUNK_BIN: part[HL_PART_BIN] = r; break;
		case HL_CHUNK_TOP: part[HL_PART_TOP] = r; break;
		default: part[HL_PART_OVERHEAD] = r; break; /* tcache structs, fenceposts */
		}
		for (int p = 0; p < HL_NPARTS; p++) {
			d->parts[p] += part[p];
			if (a)
				a->parts[p] += part[p];
		}
		covered += r;
	}
	/* what no chunk covers: heap_info and malloc_state at the start of a
	 * thread arena's heap, alignment at the brk heap's start */
	for (size_t i = 0; i < w->nheaps; i++)
		heaps += resident_bytes(pk, w->heaps[i].start, w->heaps[i].end - w->heaps[i].start);
	if (heaps > covered)
		d->parts[HL_PART_OVERHEAD] += heaps - covered;
	d->heap_rss_walked = heaps;
}

static hl_diag_rec_t *add_rec(hl_diagnosis_t *d, int64_t bytes, const char *action, const char *fmt,
			      ...) __attribute__((format(printf, 4, 5)));

static hl_diag_rec_t *add_rec(hl_diagnosis_t *d, int64_t bytes, const char *action, const char *fmt,
			      ...)
{
	if (d->nrecs >= HL_DIAG_MAX_RECS)
		return NULL;
	hl_diag_rec_t *r = &d->recs[d->nrecs++];
	memset(r, 0, sizeof *r);
	r->bytes = bytes;
	snprintf(r->action, sizeof r->action, "%s", action);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
	return r;
}

/* proven bytes, biggest first; unknown ones after them */
static int cmp_rec(const void *a, const void *b)
{
	int64_t x = ((const hl_diag_rec_t *)a)->bytes, y = ((const hl_diag_rec_t *)b)->bytes;
	if ((x == HL_UNKNOWN) != (y == HL_UNKNOWN))
		return x == HL_UNKNOWN ? 1 : -1;
	return (x < y) - (x > y);
}

/* Each figure is what that action would give back, proven from what was
 * read (docs/diagnose.md gives each rule and its limits), or unknown with
 * the command that measures it. */
static void recommend(hl_diagnosis_t *d)
{
	const hl_walk_t *w = &d->walk;
	char a[32], b[32], c[32];
	if (w->releasable_bytes > 0)
		add_rec(d, w->releasable_bytes, "malloc_trim(0)",
			"%s of free chunks and top is resident; malloc_trim(0) returns the whole "
			"pages inside them (the %s in tcache stays)",
			hl_units_bytes(w->held_back_bytes, a, sizeof a),
			hl_units_bytes(w->tcache_bytes, b, sizeof b));
	if (d->narenas > 2) {
		/* the thread arenas' held-back bytes bound what fewer arenas could
		 * give back, but whether the threads would reuse each other's free
		 * memory in a shared arena depends on when they allocate, which one
		 * snapshot cannot show (arena_bloat: 24 MiB bound, RSS unchanged
		 * with arena_max=2): unknown, measured by prescribe */
		int64_t held = 0, most = 0;
		for (size_t i = 0; i < d->narenas; i++) {
			if (d->arenas[i].main)
				continue;
			held += d->arenas[i].held_back_bytes;
			if (d->arenas[i].held_back_bytes > most)
				most = d->arenas[i].held_back_bytes;
		}
		hl_diag_rec_t *r =
		    held - most > 0
			? add_rec(d, HL_UNKNOWN, "MALLOC_ARENA_MAX=2",
				  "%zu arenas for %lld threads, and the %zu thread arenas hold back %s, "
				  "each for its own threads; with 2 (main and one shared) the arenas "
				  "that would not exist hold %s of it: at most that comes back, and only "
				  "if the threads reuse each other's free memory, which depends on when "
				  "they allocate (GLIBC_TUNABLES=glibc.malloc.arena_max=2 before the "
				  "program starts)",
				  d->narenas, (long long)d->threads, d->narenas - 1,
				  hl_units_bytes(held, a, sizeof a), hl_units_bytes(held - most, b, sizeof b))
			: NULL;
		if (r)
			snprintf(r->measure, sizeof r->measure,
				 "heaplab trace --out T -- PROGRAM; heaplab prescribe T --only "
				 "arena_max=1,arena_max=2,arena_max=4");
	}
	if (w->mmap_threshold > MMAP_THRESHOLD_DEFAULT) {
		/* only chunks in use between the default and the drifted threshold
		 * would have been mmapped, and so go back at their free; a free
		 * chunk's size says nothing of the requests it was made of */
		int64_t big = 0, n = 0;
		for (size_t i = 0; i < w->nchunk; i++)
			if (w->chunk[i].cls == HL_CHUNK_IN_USE &&
			    w->chunk[i].size >= MMAP_THRESHOLD_DEFAULT &&
			    (int64_t)w->chunk[i].size < w->mmap_threshold) {
				big += d->chunk_resident ? d->chunk_resident[i] : 0;
				n++;
			}
		if (big > 0)
			add_rec(d, big, "M_MMAP_THRESHOLD=131072",
				"the mmap threshold drifted from 128 KiB to %s (a freed mmapped block "
				"raised it); %lld chunks in use between the two hold %s resident: with "
				"the threshold fixed they would be mmapped, each given back by its "
				"free (GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072); frees "
				"already made cannot be seen in one snapshot",
				hl_units_bytes(w->mmap_threshold, b, sizeof b), (long long)n,
				hl_units_bytes(big, c, sizeof c));
	}
	if (w->held_back_bytes > 0) {
		hl_diag_rec_t *r = add_rec(
		    d, HL_UNKNOWN, "another allocator",
		    "glibc holds back %s in free memory it keeps; what another allocator would "
		    "keep of the same program cannot be read from this one: measure it",
		    hl_units_bytes(w->held_back_bytes, a, sizeof a));
		if (r) {
			/* the process's own command line, shell-quoted, as PROGRAM */
			char cmd[160] = "";
			hl_buf_t cl = {0};
			size_t used = 0;
			bool quote_in = false;
			if (hl_procfs_read(d->pid, "cmdline", &cl, NULL) == 0)
				for (size_t i = 0; i < cl.len && used + 8 < sizeof cmd;) {
					const char *arg = cl.data + i;
					size_t n = strnlen(arg, cl.len - i);
					quote_in |= memchr(arg, '\'', n) != NULL;
					bool plain = n && strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
								    "QRSTUVWXYZ0123456789_-./=,:+@%") == n;
					used += (size_t)snprintf(cmd + used, sizeof cmd - used, "%s%s%.*s%s",
								 used ? " " : "", plain ? "" : "'",
								 (int)n, arg, plain ? "" : "'");
					i += n + 1;
				}
			hl_buf_free(&cl);
			if (used >= sizeof cmd - 8 || quote_in)
				snprintf(cmd, sizeof cmd, "PROGRAM"); /* too long, or a quote inside */
			snprintf(r->measure, sizeof r->measure,
				 "heaplab trace --out T -- %s; heaplab prescribe T (each fix replayed "
				 "and measured)",
				 cmd[0] ? cmd : "PROGRAM");
		}
	}
	qsort(d->recs, (size_t)d->nrecs, sizeof *d->recs, cmp_rec);
}

int hl_diagnose(pid_t pid, hl_glibc_layout_t *cache, hl_diagnosis_t *d, hl_error_t *err)
{
	memset(d, 0, sizeof *d);
	d->pid = pid;
	hl_buf_t b = {0};
	hl_status_t st;
	int rc = hl_procfs_read(pid, "status", &b, err);
	if (!rc)
		rc = hl_status_parse(b.data, b.len, &st, err);
	bool seen = !rc; /* it existed a moment ago */
	if (!rc)
		rc = hl_procfs_read(pid, "smaps", &b, err);
	if (!rc)
		rc = hl_smaps_parse(b.data, b.len, &d->regions, err);
	hl_buf_free(&b);
	/* a zombie's smaps read empty, and one exiting fails the reads: say so,
	 * rather than diagnose nothing or blame permissions */
	if (seen && (rc == 0 || rc == -ESRCH) && hl_diag_exited(pid)) {
		hl_regions_free(&d->regions);
		return hl_error_set(err, -ESRCH,
				    "process %d has exited (or is exiting, or is a zombie its "
				    "parent has not collected): there is no memory left to read",
				    (int)pid);
	}
	if (rc)
		return rc;
	snprintf(d->command, sizeof d->command, "%s", st.name);
	d->threads = st.threads;
	glibc_version(d);
	hl_peek_t pk;
	rc = hl_peek_open(&pk, pid, err);
	if (rc) {
		hl_regions_free(&d->regions);
		if (rc == -ESRCH)
			return hl_error_set(err, -ESRCH, "process %d exited while it was being read",
					    (int)pid);
		return rc;
	}
	hl_region_classify(&d->regions, hl_peek_read16, &pk);

	hl_error_t werr = {0};
	if (hl_walk_process_opts(pid, cache, HL_WALK_CHUNKS | HL_WALK_EXACT, &d->walk, &werr) == 0) {
		d->walk_valid = true;
		d->narenas = d->walk.narenas;
		d->arenas = calloc(d->narenas ? d->narenas : 1, sizeof *d->arenas);
		d->chunk_resident = calloc(d->walk.nchunk ? d->walk.nchunk : 1, sizeof(int64_t));
		if (!d->arenas || !d->chunk_resident) {
			hl_peek_close(&pk);
			hl_diagnosis_free(d);
			return hl_error_set(err, -ENOMEM, "out of memory");
		}
		for (size_t i = 0; i < d->narenas; i++) {
			const hl_walk_arena_t *wa = &d->walk.arenas[i];
			hl_diag_arena_t *a = &d->arenas[i];
			a->main = wa->main;
			a->system_bytes = wa->system_bytes;
			a->live_bytes = wa->live_bytes;
			a->held_back_bytes = wa->held_back_bytes;
			a->releasable_bytes = wa->releasable_bytes;
			a->nheaps = wa->nheaps;
		}
		for (size_t i = 0; i < d->walk.nchunk; i++)
			d->chunk_resident[i] =
				resident_bytes(&pk, d->walk.chunk[i].addr, d->walk.chunk[i].size);
		heap_parts(d, &pk);
	} else if ((rc = memory_refused(&pk, &d->regions)) != 0) {
		/* the walker only saw reads fail: say why, and what it takes */
		snprintf(d->walk_error, sizeof d->walk_error,
			 "reading process %d's memory was refused (process_vm_readv: %s): walking "
			 "its heap needs ptrace permission, the same user (real uid) with "
			 "/proc/sys/kernel/yama/ptrace_scope 0, or root; the parts are smaps' only",
			 (int)pid, strerror(-rc));
		rc = 0;
	} else {
		snprintf(d->walk_error, sizeof d->walk_error, "%s", werr.msg);
	}

	/* the rest, from smaps; RSS itself from the same reading, so that the
	 * remainder is what the heap's own count does not match. A region the
	 * classes split (mmapped chunks the kernel had merged into one mapping)
	 * has no smaps figure of its own: its resident pages are counted in
	 * pagemap. */
	for (size_t i = 0; i < d->regions.n; i++) {
		const hl_region_t *r = &d->regions.v[i];
		int64_t rss = r->rss_bytes > 0 ? r->rss_bytes : 0;
		if (r->rss_bytes < 0 && r->end > r->start)
			hl_peek_resident(&pk, r->start, r->end - r->start, &rss);
		d->rss_bytes += rss;
		switch (r->cls) {
		case HL_REGION_BRK_HEAP:
		case HL_REGION_ARENA_HEAP:
			d->heap_rss_smaps += rss;
			if (!d->walk_valid)
				d->parts[HL_PART_HEAP_UNWALKED] += rss;
			break;
		case HL_REGION_MMAP_CHUNK: d->parts[HL_PART_MMAP] += rss; break;
		case HL_REGION_ANON_OTHER: d->parts[HL_PART_ANON] += rss; break;
		case HL_REGION_STACK: d->parts[HL_PART_STACK] += rss; break;
		case HL_REGION_FILE: d->parts[HL_PART_FILE] += rss; break;
		default: d->parts[HL_PART_OTHER] += rss; break;
		}
	}
	hl_peek_close(&pk);
	d->status_rss_bytes = st.vm_rss_bytes;
	int64_t sum = 0;
	for (int p = 0; p < HL_NPARTS; p++)
		sum += d->parts[p];
	d->remainder_bytes = d->rss_bytes - sum;
	if (d->walk_valid) {
		recommend(d);
		d->pins = calloc(d->walk.narenas ? d->walk.narenas : 1, sizeof *d->pins);
		if (d->pins)
			d->npins = hl_heap_pins(&d->walk, d->chunk_resident, d->pins, d->walk.narenas);
	}
	return 0;
}

void hl_diagnosis_free(hl_diagnosis_t *d)
{
	hl_walk_free(&d->walk);
	hl_regions_free(&d->regions);
	free(d->arenas);
	free(d->chunk_resident);
	free(d->pins);
	d->pins = NULL;
	d->npins = 0;
	d->arenas = NULL;
	d->chunk_resident = NULL;
	d->narenas = 0;
}

/* bytes with its sign: "-190.7 MiB", "+2.0 MiB" */
static const char *signed_bytes(int64_t v, char *out, size_t n)
{
	char a[32];
	hl_units_bytes(v < 0 ? -v : v, a, sizeof a);
	snprintf(out, n, "%s%s", v < 0 ? "-" : v > 0 ? "+" : "", a);
	return out;
}

void hl_diag_verdict(const hl_diag_sample_t *s, size_t n, int64_t held_back, hl_diag_verdict_t *v)
{
	char a[32], b[32], c[32];
	memset(v, 0, sizeof *v);
	if (n < 2) {
		snprintf(v->kind, sizeof v->kind, "unknown");
		snprintf(v->text, sizeof v->text,
			 "one snapshot cannot tell a leak from retention: --watch S samples live "
			 "bytes for S seconds");
		return;
	}
	/* what is held back at the end of the watch, not at its start */
	held_back = s[n - 1].held_back_bytes;
	int64_t grow = s[n - 1].live_bytes - s[0].live_bytes;
	size_t up = 0;
	for (size_t i = 1; i < n; i++)
		up += s[i].live_bytes > s[i - 1].live_bytes;
	double secs = s[n - 1].t_s - s[0].t_s;
	int64_t floor = s[0].live_bytes / 20 > (1 << 20) ? s[0].live_bytes / 20 : (1 << 20);
	if (grow > floor && up * 4 >= (n - 1) * 3) {
		snprintf(v->kind, sizeof v->kind, "leak");
		snprintf(v->text, sizeof v->text,
			 "leak-like: live bytes grew by %s in %.0f s (in %zu of %zu intervals), "
			 "from %s to %s",
			 hl_units_bytes(grow, a, sizeof a), secs, up, n - 1,
			 hl_units_bytes(s[0].live_bytes, b, sizeof b),
			 hl_units_bytes(s[n - 1].live_bytes, c, sizeof c));
	} else if (held_back > s[n - 1].rss_bytes / 4) {
		snprintf(v->kind, sizeof v->kind, "retention");
		snprintf(v->text, sizeof v->text,
			 "retention: live bytes %s (%s over %.0f s) while glibc holds back %s of "
			 "the %s resident",
			 grow < -floor ? "fell" : "steady", signed_bytes(grow, a, sizeof a), secs,
			 hl_units_bytes(held_back, b, sizeof b),
			 hl_units_bytes(s[n - 1].rss_bytes, c, sizeof c));
	} else {
		snprintf(v->kind, sizeof v->kind, "steady");
		snprintf(v->text, sizeof v->text,
			 "steady: live bytes changed by %s over %.0f s and glibc holds back "
			 "little (%s)",
			 signed_bytes(grow, a, sizeof a), secs, hl_units_bytes(held_back, b, sizeof b));
	}
}
