/*
 * walk.c — walks a running process's glibc heap from outside, read-only:
 * finds main_arena and mp_ (glibc_layout.c), follows the arena list and
 * each arena's heaps, and then, with as few syscalls as the figures allow:
 *
 *   pagemap.c      the heaps' pagemap, once, in large pieces (one bit a page)
 *   walk_tcache.c  the threads' tcache_perthread_structs
 *   walk_lists.c   every bin, fastbin and tcache list, in batched rounds
 *   walk_runs.c    the in-use chunks between: sampled, or all (HL_WALK_EXACT)
 *
 * and classes every chunk it knows (in use, tcache, fastbin, bin, top,
 * meta) and every page (held back = resident, released = not).
 *
 * The totals are defined as glibc's int_mallinfo defines them (malloc.c,
 * glibc 2.36), from the same lists, so they can be checked against the
 * target's own mallinfo2: free = top + fastbin chunks + bin chunks, free
 * chunks = bin chunks + 1 for top, in use = system_mem - free (tcache chunks
 * count as in use there). Page classes need only the free chunks' extents
 * and pagemap. Only the count of in-use chunks (and so the split of in-use
 * bytes into live and size fields) needs the chunks in use: estimated unless
 * HL_WALK_EXACT, and said so (chunks_estimated).
 *
 * The target keeps running while we read: every size and pointer is bounds-
 * checked, every list walk is bounded, and a walk that finds something
 * inconsistent stops that part, says so in warning, and returns what it has.
 * It never reads a page that pagemap says is not present (pagemap.c).
 */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "walk_int.h"

/* a heap extent larger than this is taken for garbage read from a changing
 * or corrupted target (1 TiB: the per-page map would be 256 MiB) */
#define HEAP_SPAN_MAX (1ULL << 40)
#define MAX_ARENAS 1024

void walk_warn(walker_t *w, const char *fmt, ...)
{
	w->out->complete = false;
	if (w->out->warning[0])
		return; /* the first one says most */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->out->warning, sizeof w->out->warning, fmt, ap);
	va_end(ap);
}

#define warn walk_warn

int walk_push(walker_t *w, uint64_t addr, uint64_t size, uint32_t heap, uint8_t cls)
{
	if (w->nchunks == w->capchunks) {
		size_t cap = w->capchunks ? w->capchunks * 2 : 4096;
		wchunk_t *v = realloc(w->chunks, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		w->chunks = v;
		w->capchunks = cap;
	}
	w->chunks[w->nchunks++] = (wchunk_t){addr, size, heap, cls};
	return 0;
}

long walk_heap_of(const walker_t *w, uint64_t addr, uint64_t len)
{
	for (size_t i = 0; i < w->out->nheaps; i++) {
		const hl_walk_heap_t *h = &w->out->heaps[i];
		if (addr >= h->start && addr < h->end && len <= h->end - addr)
			return (long)i;
	}
	return -1;
}

uint64_t walk_rand(walker_t *w)
{
	/* splitmix64: a walk of the same heap samples the same places */
	uint64_t z = (w->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ------------------------------------------------------ finding libc */

static int find_libc(walker_t *w, const hl_regions_t *r, uint64_t *base, uint64_t *end, char *path,
		     size_t pathsz, hl_error_t *err)
{
	*base = *end = 0;
	for (size_t i = 0; i < r->n; i++) {
		const char *slash = strrchr(r->v[i].path, '/');
		const char *name = slash ? slash + 1 : r->v[i].path;
		if (strstr(name, "jemalloc") || strstr(name, "tcmalloc") || strstr(name, "mimalloc"))
			warn(w, "%s is loaded: glibc's malloc may be idle in this process", name);
		if (!*base && r->v[i].offset == 0 &&
		    (!strncmp(name, "libc.so", 7) || !strncmp(name, "libc-2.", 7))) {
			*base = r->v[i].start;
			*end = r->v[i].end;
			snprintf(path, pathsz, "%s", r->v[i].path);
		}
	}
	if (!*base)
		return hl_error_set(err, -ENOENT,
				    "process %d has no glibc mapped (a static binary, or another C "
				    "library such as musl): only the maps-level view is possible",
				    (int)w->out->pid);
	return 0;
}

/* Whether the arena list from a (read in buf) comes back to a: directly
 * (one arena) or through the other arenas, each in a heap of its own. */
static bool arena_ring(walker_t *w, uint64_t a, uint64_t next)
{
	for (int k = 0; k < MAX_ARENAS && next; k++) {
		if (next == a)
			return true;
		if (next & 7 || hl_peek_read(&w->pk, next + w->l.ms_next, &next, 8))
			return false;
	}
	return false;
}

/* Without debug info: main_arena is the malloc_state in libc's writable data
 * whose top lies in the brk heap and whose next pointer leads back to
 * itself (directly with one arena, through the others with more). mp_ is
 * the malloc_par whose sbrk_base lies in the brk heap's first page. */
static int heuristic(walker_t *w, const hl_regions_t *r, const char *libc, uint64_t *ma,
		     uint64_t *mp, hl_error_t *err)
{
	const hl_region_t *heap = NULL;
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].path, "[heap]"))
			heap = &r->v[i];
	*ma = *mp = 0;
	uint64_t ps = (uint64_t)w->pk.page_size;
	for (size_t i = 0; i < r->n && heap && (!*ma || !*mp); i++) {
		const hl_region_t *g = &r->v[i];
		/* libc's rw data, and the anonymous bss right after it */
		bool ours = (!strcmp(g->path, libc) && g->perms[1] == 'w') ||
			    (i && !g->path[0] && g->perms[1] == 'w' && !strcmp(r->v[i - 1].path, libc));
		uint64_t len = g->end - g->start;
		if (!ours || len > (16u << 20))
			continue;
		uint8_t *buf = calloc(1, len);
		if (!buf)
			break;
		/* one read per page that is present (a page not read stays 0) */
		for (uint64_t off = 0; off < len; off += ps)
			hl_peek_read(&w->pk, g->start + off, buf + off, ps);
		for (uint64_t off = 0; off + w->l.ms_size <= len; off += 8) {
			uint64_t a = g->start + off, v1, v2;
			if (off + w->l.mp_size <= len) {
				memcpy(&v1, buf + off + w->l.mp_sbrk_base, 8);
				memcpy(&v2, buf + off + w->l.mp_mmap_threshold, 8);
				/* the first sbrk need not be page aligned (a program
				 * started through ld.so has its brk after ld.so's) */
				if (!*mp && v1 >= heap->start && v1 < heap->start + ps && v2 >= 4096)
					*mp = a;
			}
			memcpy(&v1, buf + off + w->l.ms_next, 8);
			memcpy(&v2, buf + off + w->l.ms_top, 8);
			if (!*ma && v2 >= heap->start && v2 < heap->end && !(v2 & 15) &&
			    arena_ring(w, a, v1))
				*ma = a;
		}
		free(buf);
	}
	if (!*ma || !*mp)
		return hl_error_set(err, -ENOENT,
				    "no debug info for this libc and the heuristic did not find "
				    "main_arena/mp_ (install libc6-dbg)");
	return 0;
}

/* ------------------------------------------------------ arenas and heaps */

/* Registers the heap [start, end) of arena ai, whose chunks run from first
 * to chunks_end. */
static int add_heap(walker_t *w, uint64_t start, uint64_t end, size_t ai, uint64_t first,
		    uint64_t chunks_end)
{
	hl_walk_t *out = w->out;
	uint64_t ps = (uint64_t)w->pk.page_size;
	if (end < start || end - start > HEAP_SPAN_MAX)
		return -ERANGE;
	hl_walk_heap_t *v = realloc(out->heaps, (out->nheaps + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	out->heaps = v;
	uint64_t *f = realloc(w->first, (out->nheaps + 1) * sizeof *f);
	if (!f)
		return -ENOMEM;
	w->first = f;
	uint64_t *e = realloc(w->heap_end, (out->nheaps + 1) * sizeof *e);
	if (!e)
		return -ENOMEM;
	w->heap_end = e;
	hl_walk_heap_t *h = &v[out->nheaps];
	memset(h, 0, sizeof *h);
	h->start = start / ps * ps;
	h->end = (end + ps - 1) / ps * ps;
	h->arena = (uint32_t)ai;
	if (w->flags & HL_WALK_PAGES) {
		size_t n = (size_t)((h->end - h->start) / ps);
		h->pages = calloc(n ? n : 1, 1); /* HL_PAGE_USED is 0 */
		if (!h->pages)
			return -ENOMEM;
		h->npages[HL_PAGE_USED] = (int64_t)n;
	}
	f[out->nheaps] = first;
	e[out->nheaps] = chunks_end;
	out->nheaps++;
	return 0;
}

/* Top, as a known chunk of the heap just added, if it lies inside it. */
static void add_top(walker_t *w, hl_walk_arena_t *a, uint64_t top)
{
	size_t h = w->out->nheaps - 1;
	uint64_t end = w->heap_end[h];
	uint64_t size = (uint64_t)a->top_bytes;
	if (top < w->first[h] || top >= end)
		return; /* in another heap of the arena */
	if (size > end - top || size & 15) {
		warn(w, "top chunk at %#llx: size %#llx runs past its heap", (unsigned long long)top,
		     (unsigned long long)size);
		return;
	}
	walk_push(w, top, size, (uint32_t)h, HL_CHUNK_TOP);
}

static void arena_heaps(walker_t *w, const uint8_t *ms, hl_walk_arena_t *a, size_t ai,
			uint64_t sbrk_base)
{
	uint64_t top, sys;
	memcpy(&top, ms + w->l.ms_top, 8);
	memcpy(&sys, ms + w->l.ms_system_mem, 8);
	a->system_bytes = (int64_t)sys;
	uint64_t thdr[2] = {0, 0};
	if (top && hl_peek_read(&w->pk, top, thdr, sizeof thdr) == 0)
		a->top_bytes = (int64_t)(thdr[1] & ~7ULL);
	else
		warn(w, "arena %#llx: top %#llx unreadable", (unsigned long long)a->addr,
		     (unsigned long long)top);
	a->free_chunks = 1; /* top */
	if (a->main) {
		uint64_t end = top + (uint64_t)a->top_bytes;
		if (!sbrk_base) {
			/* glibc's malloc never grew the brk heap (a process that
			 * has not allocated, or whose malloc is another's): top is
			 * 0 or glibc's initial top inside the arena itself */
			if (top && (top < a->addr || top >= a->addr + w->l.ms_size))
				warn(w, "main arena: top %#llx but no brk heap",
				     (unsigned long long)top);
			a->top_bytes = 0;
			return;
		}
		/* the brk heap is all of system_mem (foreign sbrk included), less
		 * while it grows under us: more is garbage */
		bool sane = top >= sbrk_base && end >= top && sys <= HEAP_SPAN_MAX &&
			    end - sbrk_base <= sys + HEAP_MAX;
		int rc = sane ? add_heap(w, sbrk_base, end, ai, (sbrk_base + 15) & ~15ULL, end)
			      : -ERANGE;
		if (rc == -ERANGE)
			warn(w, "main arena: heap %#llx..%#llx not understood",
			     (unsigned long long)sbrk_base, (unsigned long long)end);
		else if (rc)
			warn(w, "out of memory");
		if (rc)
			return;
		a->nheaps = 1;
		add_top(w, a, top);
		return;
	}
	/* the heap holding top, then its prev chain */
	uint64_t h = top & ~(HEAP_MAX - 1);
	for (int k = 0; h && k < 4096; k++) {
		uint64_t hi[3]; /* ar_ptr, prev, size */
		if (hl_peek_read(&w->pk, h, hi, sizeof hi) || hi[0] != a->addr || hi[2] > HEAP_MAX) {
			warn(w, "arena %#llx: heap_info at %#llx not understood",
			     (unsigned long long)a->addr, (unsigned long long)h);
			break;
		}
		bool seen = false;
		for (size_t j = 0; j < w->out->nheaps; j++)
			seen |= w->out->heaps[j].start == h;
		if (seen) {
			warn(w, "arena %#llx: heap %#llx comes round again", (unsigned long long)a->addr,
			     (unsigned long long)h);
			break;
		}
		uint64_t first = h + w->l.hi_size;
		if (a->addr == first) /* the arena's first heap holds its malloc_state */
			first += w->l.ms_size;
		first = (first + 15) & ~15ULL;
		int rc = add_heap(w, h, h + hi[2], ai, first, h + hi[2]);
		if (rc == -ERANGE)
			warn(w, "arena %#llx: heap %#llx not understood", (unsigned long long)a->addr,
			     (unsigned long long)h);
		else if (rc)
			warn(w, "out of memory");
		if (rc)
			break;
		add_top(w, a, top);
		a->nheaps++;
		h = hi[1];
	}
}

/* Everything after main_arena and mp_ are found: the arenas, their heaps,
 * the tcaches, the lists, the runs, the classes and the totals. */
static int walk_from(walker_t *w, uint64_t ma, uint64_t mpa, hl_error_t *err)
{
	hl_walk_t *out = w->out;
	int rc = 0;
	uint8_t *mp = malloc(w->l.mp_size);
	hl_pmap_init(&w->pm);
	if (w->pk.segs)
		w->pm.max_age_ns = 0; /* an image's pagemap is free: ask it before every read */
	w->rng = 0x686561706c6162ULL; /* "heaplab" */
	if (!mp) {
		rc = hl_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (hl_peek_read(&w->pk, mpa, mp, w->l.mp_size)) {
		rc = hl_error_set(err, -EFAULT, "cannot read mp_ at %#llx", (unsigned long long)mpa);
		goto out;
	}
	uint64_t v;
	int iv;
	memcpy(&v, mp + w->l.mp_mmap_threshold, 8);
	out->mmap_threshold = (int64_t)v;
	memcpy(&v, mp + w->l.mp_trim_threshold, 8);
	out->trim_threshold = (int64_t)v;
	memcpy(&v, mp + w->l.mp_top_pad, 8);
	out->top_pad = (int64_t)v;
	memcpy(&iv, mp + w->l.mp_n_mmaps, 4);
	out->mmapped_chunks = iv;
	memcpy(&v, mp + w->l.mp_mmapped_mem, 8);
	out->mmapped_bytes = (int64_t)v;
	memcpy(&v, mp + w->l.mp_tcache_count, 8);
	out->tcache_count = (int64_t)v;
	uint64_t sbrk_base;
	memcpy(&sbrk_base, mp + w->l.mp_sbrk_base, 8);

	/* the arenas, main first, in the order of their next pointers */
	uint64_t a = ma;
	do {
		uint8_t *ms = malloc(w->l.ms_size);
		uint8_t **msv = realloc(w->ms, (out->narenas + 1) * sizeof *msv);
		hl_walk_arena_t *na = realloc(out->arenas, (out->narenas + 1) * sizeof *na);
		if (msv)
			w->ms = msv;
		if (na)
			out->arenas = na;
		if (!ms || !msv || !na) {
			free(ms);
			warn(w, "out of memory");
			break;
		}
		if (hl_peek_read(&w->pk, a, ms, w->l.ms_size)) {
			free(ms);
			warn(w, "arena %#llx unreadable", (unsigned long long)a);
			break;
		}
		bool seen = false;
		for (size_t j = 0; j < out->narenas; j++)
			seen |= out->arenas[j].addr == a;
		if (seen) {
			free(ms);
			warn(w, "arena list comes round to %#llx again, not to main_arena",
			     (unsigned long long)a);
			break;
		}
		w->ms[out->narenas] = ms;
		hl_walk_arena_t *ar = &out->arenas[out->narenas++];
		memset(ar, 0, sizeof *ar);
		ar->addr = a;
		ar->main = a == ma;
		arena_heaps(w, ms, ar, out->narenas - 1, sbrk_base);
		memcpy(&a, ms + w->l.ms_next, 8);
	} while (a != ma && a && out->narenas < MAX_ARENAS);

	/* the heaps' pagemap, once; then the free lists and the runs */
	for (size_t i = 0; i < out->nheaps; i++)
		if (hl_pmap_add(&w->pm, out->heaps[i].start, out->heaps[i].end, w->pk.page_size))
			warn(w, "heap %#llx overlaps another", (unsigned long long)out->heaps[i].start);
	rc = hl_pmap_load(&w->pk, &w->pm);
	if (rc == -ESRCH) {
		rc = hl_error_set(err, -ESRCH, "process %d exited during the walk", (int)out->pid);
		goto out;
	}
	if (rc)
		warn(w, "pagemap unreadable: %s", strerror(-rc));
	rc = 0;
	walk_find_tcaches(w);
	for (size_t t = 0; t < w->ntc; t++) {
		long h = walk_heap_of(w, w->tc[t].chunk, CHUNK_HDR + w->l.tcache_size);
		if (h >= 0)
			walk_push(w, w->tc[t].chunk, w->tc[t].size, (uint32_t)h,
				  HL_CHUNK_META);
	}
	walk_lists(w, 0);
	walk_fenceposts(w);
	walk_settle(w);
	size_t known = w->nchunks;
	walk_runs(w);
	if (w->nchunks != known || (w->flags & HL_WALK_EXACT))
		walk_settle(w);
	walk_totals(w);
	out->reads = w->pk.reads;
	out->bytes_read = w->pk.bytes_read;
	out->pagemap_reads = w->pk.pagemap_reads;
	out->absent_reads = w->pk.absent_reads;
	out->pieces = w->pk.pieces;
	if (w->flags & HL_WALK_CHUNKS) {
		out->chunk = malloc((w->nchunks ? w->nchunks : 1) * sizeof *out->chunk);
		if (!out->chunk) {
			warn(w, "out of memory for %zu chunks", w->nchunks);
		} else {
			for (size_t i = 0; i < w->nchunks; i++) {
				const wchunk_t *c = &w->chunks[i];
				out->chunk[i] = (hl_walk_chunk_t){c->addr, c->size, out->heaps[c->heap].arena,
								  c->cls};
			}
			out->nchunk = w->nchunks;
		}
	}
out:
	free(mp);
	for (size_t i = 0; i < out->narenas && w->ms; i++)
		free(w->ms[i]);
	free(w->ms);
	for (size_t i = 0; i < w->ntc; i++)
		free(w->tc[i].body);
	free(w->tc);
	free(w->chunks);
	free(w->first);
	free(w->heap_end);
	hl_pmap_free(&w->pm);
	return rc;
}

int hl_walk_process(pid_t pid, hl_walk_t *out, hl_error_t *err)
{
	hl_glibc_layout_t cache;
	memset(&cache, 0, sizeof cache);
	return hl_walk_process_cached(pid, &cache, out, err);
}

int hl_walk_process_cached(pid_t pid, hl_glibc_layout_t *cache, hl_walk_t *out, hl_error_t *err)
{
	return hl_walk_process_opts(pid, cache, 0, out, err);
}

int hl_walk_process_opts(pid_t pid, hl_glibc_layout_t *cache, int flags, hl_walk_t *out,
			 hl_error_t *err)
{
	memset(out, 0, sizeof *out);
	out->pid = pid;
	out->complete = true;
	walker_t w;
	memset(&w, 0, sizeof w);
	w.out = out;
	w.flags = flags;
	int rc = hl_peek_open(&w.pk, pid, err);
	if (rc)
		return rc;

	hl_buf_t b = {0};
	hl_regions_t r = {0};
	uint64_t base = 0, end = 0, ma = 0, mpa = 0;
	char libc[256];
	rc = hl_procfs_read(pid, "maps", &b, err);
	if (!rc)
		rc = hl_maps_parse(b.data, b.len, &r, err);
	if (!rc)
		rc = find_libc(&w, &r, &base, &end, libc, sizeof libc, err);
	if (rc)
		goto out;
	hl_error_t why = {0};
	char file[300], root[64], id[128];
	/* the very file mapped (map_files), else the target's own file system:
	 * a container's path means another file on the host */
	if (hl_proc_mapped_file(pid, base, end, libc, file, sizeof file) != 0) {
		rc = hl_error_set(err, -EACCES,
				  "cannot open process %d's libc (%s) through /proc/%d/map_files or "
				  "/proc/%d/root: run as its user or as root",
				  (int)pid, libc, (int)pid, (int)pid);
		goto out;
	}
	/* the target's root, unless it is ours (then paths read as they are);
	 * compared as files: readlink says "/" for a root we cannot reach */
	snprintf(root, sizeof root, "/proc/%d/root", (int)pid);
	struct stat theirs, mine;
	if (stat(root, &theirs) == 0 && stat("/", &mine) == 0 && theirs.st_dev == mine.st_dev &&
	    theirs.st_ino == mine.st_ino)
		root[0] = '\0';
	if (cache->method[0] && hl_glibc_build_id(file, id, sizeof id, NULL) == 0 &&
	    !strcmp(id, cache->build_id)) {
		w.l = *cache;
		if (!w.l.from_debug)
			snprintf(why.msg, sizeof why.msg, "no debug info for this libc");
	} else {
		rc = hl_glibc_layout_for_target(file, root, libc, &w.l, &why);
		if (rc < 0) {
			memset(cache, 0, sizeof *cache);
			rc = hl_error_set(err, rc, "%s", why.msg);
			goto out;
		}
		rc = 0;
		*cache = w.l;
	}
	if (w.l.from_debug) {
		ma = base + w.l.main_arena_off;
		mpa = base + w.l.mp_off;
		snprintf(out->method, sizeof out->method, "%s", w.l.method);
	} else {
		rc = heuristic(&w, &r, libc, &ma, &mpa, err);
		if (rc)
			goto out;
		snprintf(out->method, sizeof out->method,
			 "heuristic: the arena whose list comes back to it, %s (%s)", w.l.method,
			 why.msg);
	}

	w.maps = &r;
	rc = walk_from(&w, ma, mpa, err);
out:
	hl_regions_free(&r);
	hl_buf_free(&b);
	hl_peek_close(&w.pk);
	if (rc)
		hl_walk_free(out);
	return rc;
}

int hl_walk_image_changing(const hl_peek_seg_t *segs, size_t nsegs, const hl_glibc_layout_t *l,
			   uint64_t ma, uint64_t mp, int flags, void (*tick)(void *), void *ctx,
			   hl_walk_t *out, hl_error_t *err)
{
	memset(out, 0, sizeof *out);
	out->complete = true;
	snprintf(out->method, sizeof out->method, "image");
	walker_t w;
	memset(&w, 0, sizeof w);
	w.out = out;
	w.flags = flags;
	w.l = *l;
	hl_peek_image(&w.pk, segs, nsegs);
	w.pk.tick = tick;
	w.pk.tick_ctx = ctx;
	int rc = walk_from(&w, ma, mp, err);
	if (rc)
		hl_walk_free(out);
	return rc;
}

int hl_walk_image(const hl_peek_seg_t *segs, size_t nsegs, const hl_glibc_layout_t *l,
		  uint64_t ma, uint64_t mp, int flags, hl_walk_t *out, hl_error_t *err)
{
	return hl_walk_image_changing(segs, nsegs, l, ma, mp, flags, NULL, NULL, out, err);
}

void hl_walk_free(hl_walk_t *w)
{
	free(w->arenas);
	w->arenas = NULL;
	w->narenas = 0;
	for (size_t i = 0; i < w->nheaps; i++)
		free(w->heaps[i].pages);
	free(w->heaps);
	w->heaps = NULL;
	w->nheaps = 0;
	free(w->chunk);
	w->chunk = NULL;
	w->nchunk = 0;
}

const char *hl_page_class_name(hl_page_class_t c)
{
	static const char *const n[HL_NPAGE_CLASSES] = {"used", "free-resident", "free-released",
							"top-resident", "top-released"};
	return (unsigned)c < HL_NPAGE_CLASSES ? n[c] : "?";
}

const char *hl_chunk_class_name(hl_chunk_class_t c)
{
	static const char *const n[HL_NCHUNK_CLASSES] = {"in-use", "tcache", "fastbin",
							 "bin",    "top",    "meta"};
	return (unsigned)c < HL_NCHUNK_CLASSES ? n[c] : "?";
}

void hl_walk_summarize(const hl_walk_t *w, struct hl_walk_summary *s)
{
	snprintf(s->method, sizeof s->method, "%s", w->method);
	s->complete = w->complete;
	s->chunks_estimated = w->chunks_estimated;
	snprintf(s->warning, sizeof s->warning, "%s", w->warning);
	s->mallinfo2 = w->mallinfo2;
	s->arenas = (int64_t)w->narenas;
	s->chunks = w->chunks;
	s->live_bytes = w->live_bytes;
	s->tcache_bytes = w->tcache_bytes;
	s->fastbin_bytes = w->fastbin_bytes;
	s->top_bytes = w->top_bytes;
	s->held_back_bytes = w->held_back_bytes;
	s->released_bytes = w->released_bytes;
	s->releasable_bytes = w->releasable_bytes;
	s->overhead_bytes = w->overhead_bytes;
	s->bin_bytes = w->bin_bytes;
	s->top_released_bytes = w->top_released_bytes;
	s->mmap_threshold = w->mmap_threshold;
	s->trim_threshold = w->trim_threshold;
	s->reads = w->reads;
}
