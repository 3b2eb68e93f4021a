/*
 * pagemap.c — a snapshot of /proc/PID/pagemap over the heaps, and reads
 * gated by it.
 *
 * The walker must never read a page that is not resident (the read would
 * fault it in). Asking pagemap afresh before each read costs a pread per
 * read, as much as the read itself; reading pagemap for a whole heap costs
 * ~0.05 us a page (12 ms per GiB here). So the heaps' pagemap is read once,
 * in large pieces, into one bit per page (present and not swapped), and
 * every read is checked against those bits.
 *
 * How old an answer may be: each window of 64 pages (256 KiB) is stamped
 * with when it was read, and a read that relies on a window older than
 * max_age_ns (HL_PMAP_MAX_AGE_NS, 1 s, unless the caller sets another)
 * reads that window again first. A walk that takes less than that never
 * reads pagemap twice. What can go wrong inside the window is bounded: the
 * pages a walk reads are chunk headers, and glibc never releases the page of
 * a free chunk's header (malloc_trim keeps sizeof(struct malloc_chunk));
 * only a heap that changes under the walk can turn a header page into a
 * released one within that second. Reads that span more than a node (a
 * range, a scanned cluster, a window of an in-use run: other chunks'
 * insides, which malloc_trim may release) ask pagemap afresh instead
 * (hl_peek_present), in the same batch as the read.
 *
 * Addresses outside every range of the snapshot are looked up afresh
 * (hl_peek_present), as before every read of peek.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "heaplab.h"

#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)
#define WIN_PAGES 64    /* pages per stamp */
#define LOAD_PAGES 65536 /* entries per pread when loading */

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void hl_pmap_init(hl_pmap_t *m)
{
	memset(m, 0, sizeof *m);
	m->max_age_ns = HL_PMAP_MAX_AGE_NS;
}

void hl_pmap_free(hl_pmap_t *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].bits);
		free(m->v[i].stamp);
	}
	free(m->v);
	int64_t age = m->max_age_ns;
	memset(m, 0, sizeof *m);
	m->max_age_ns = age;
}

int hl_pmap_add(hl_pmap_t *m, uint64_t start, uint64_t end, long page_size)
{
	uint64_t ps = (uint64_t)page_size;
	start = start / ps * ps;
	end = (end + ps - 1) / ps * ps;
	if (end <= start)
		return 0;
	size_t at = 0; /* kept by address, for range_of */
	while (at < m->n && m->v[at].end <= start)
		at++;
	if (at < m->n && m->v[at].start < end)
		return -EEXIST; /* ranges never overlap */
	hl_pmap_range_t *v = realloc(m->v, (m->n + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	m->v = v;
	size_t pages = (size_t)((end - start) / ps);
	hl_pmap_range_t r = {start, end, calloc((pages + 63) / 64, sizeof(uint64_t)),
			     calloc((pages + WIN_PAGES - 1) / WIN_PAGES, sizeof(int64_t))};
	if (!r.bits || !r.stamp) {
		free(r.bits);
		free(r.stamp);
		return -ENOMEM;
	}
	memmove(&v[at + 1], &v[at], (m->n - at) * sizeof *v);
	v[at] = r;
	m->n++;
	return 0;
}

/* Reads pages [first, first + n) of range r (page indexes in r) from
 * pagemap into its bits, and stamps their windows. */
static int load(hl_peek_t *p, hl_pmap_range_t *r, size_t first, size_t n)
{
	static __thread uint64_t e[LOAD_PAGES];
	uint64_t ps = (uint64_t)p->page_size, base = r->start / ps;
	int64_t t = now_ns();
	for (size_t done = 0; done < n;) {
		size_t k = n - done < LOAD_PAGES ? n - done : LOAD_PAGES;
		ssize_t got = hl_peek_pagemap(p, e, k, base + first + done);
		if (got < (ssize_t)(k * 8))
			return got < 0 ? (int)got : -EFAULT;
		for (size_t i = 0; i < k; i++) {
			size_t pg = first + done + i;
			uint64_t bit = 1ULL << (pg % 64);
			if ((e[i] & PM_PRESENT) && !(e[i] & PM_SWAPPED))
				r->bits[pg / 64] |= bit;
			else
				r->bits[pg / 64] &= ~bit;
		}
		done += k;
	}
	for (size_t w = first / WIN_PAGES; w * WIN_PAGES < first + n; w++)
		r->stamp[w] = t;
	return 0;
}

int hl_pmap_load(hl_peek_t *p, hl_pmap_t *m)
{
	uint64_t ps = (uint64_t)p->page_size;
	for (size_t i = 0; i < m->n; i++) {
		int rc = load(p, &m->v[i], 0, (size_t)((m->v[i].end - m->v[i].start) / ps));
		if (rc)
			return rc;
	}
	return 0;
}

int hl_pmap_load_range(hl_peek_t *p, hl_pmap_t *m, uint64_t addr)
{
	uint64_t ps = (uint64_t)p->page_size;
	for (size_t i = 0; i < m->n; i++)
		if (addr >= m->v[i].start && addr < m->v[i].end)
			return load(p, &m->v[i], 0, (size_t)((m->v[i].end - m->v[i].start) / ps));
	return -ENOENT;
}

/* The range holding addr, by binary search (one per heap, and the thread
 * areas: thousands in a process of many threads). */
static hl_pmap_range_t *range_of(const hl_pmap_t *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && addr >= m->v[lo].start ? &m->v[lo] : NULL;
}

int hl_pmap_present(hl_peek_t *p, hl_pmap_t *m, uint64_t addr, uint64_t len, bool *present)
{
	*present = true;
	if (!len)
		return 0;
	if (addr + len - 1 < addr)
		return -EFAULT;
	uint64_t ps = (uint64_t)p->page_size;
	int64_t t = 0;
	for (uint64_t pg = addr / ps * ps; pg < addr + len; pg += ps) {
		hl_pmap_range_t *r = range_of(m, pg);
		if (!r) {
			bool in;
			int rc = hl_peek_present(p, pg, ps, &in);
			if (rc || !in) {
				*present = false;
				return rc;
			}
			continue;
		}
		size_t i = (size_t)((pg - r->start) / ps), w = i / WIN_PAGES;
		if (!t)
			t = m->now ? m->now : now_ns();
		if (t - r->stamp[w] > m->max_age_ns) {
			size_t pages = (size_t)((r->end - r->start) / ps), first = w * WIN_PAGES;
			size_t n = pages - first < WIN_PAGES ? pages - first : WIN_PAGES;
			int rc = load(p, r, first, n);
			if (rc)
				return rc;
		}
		if (!(r->bits[i / 64] >> (i % 64) & 1)) {
			*present = false;
			return 0;
		}
	}
	return 0;
}

int hl_pmap_page(const hl_pmap_t *m, uint64_t page_addr, long page_size)
{
	const hl_pmap_range_t *r = range_of(m, page_addr);
	if (!r)
		return -1;
	size_t i = (size_t)((page_addr - r->start) / (uint64_t)page_size);
	return (int)(r->bits[i / 64] >> (i % 64) & 1);
}

int64_t hl_pmap_resident(const hl_pmap_t *m, uint64_t from, uint64_t len, long page_size)
{
	uint64_t ps = (uint64_t)page_size;
	uint64_t first = (from + ps - 1) / ps * ps, end = (from + len) / ps * ps;
	int64_t n = 0;
	for (uint64_t pg = first; pg < end;) {
		const hl_pmap_range_t *r = range_of(m, pg);
		if (!r)
			return -1;
		uint64_t stop = end < r->end ? end : r->end;
		size_t i = (size_t)((pg - r->start) / ps), k = (size_t)((stop - r->start) / ps);
		/* whole words where they fit */
		for (; i < k && i % 64; i++)
			n += r->bits[i / 64] >> (i % 64) & 1;
		for (; i + 64 <= k; i += 64)
			n += __builtin_popcountll(r->bits[i / 64]);
		for (; i < k; i++)
			n += r->bits[i / 64] >> (i % 64) & 1;
		pg = stop;
	}
	return n * (int64_t)ps;
}

/* ------------------------------------------------------ gated reads */

/* Sorts idx[0..k) by the pieces' addresses (a radix sort: k is up to 1024,
 * every batch). */
static void sort_by_addr(size_t *idx, size_t k, const hl_piece_t *pc)
{
	size_t tmp[HL_PIECES_MAX];
	size_t *a = idx, *b = tmp;
	for (int pass = 0; pass < 6; pass++) { /* 48 bits of address, 8 at a time */
		size_t count[257] = {0};
		int shift = 8 * pass;
		for (size_t i = 0; i < k; i++)
			count[((pc[a[i]].addr >> shift) & 0xff) + 1]++;
		for (int j = 1; j <= 256; j++)
			count[j] += count[j - 1];
		for (size_t i = 0; i < k; i++)
			b[count[(pc[a[i]].addr >> shift) & 0xff]++] = a[i];
		size_t *t = a;
		a = b;
		b = t;
	}
	/* six passes: the sorted indexes are back in idx */
}

int hl_peek_pieces(hl_peek_t *p, hl_pmap_t *m, hl_piece_t *pc, size_t n)
{
	struct iovec local[HL_PIECES_MAX], remote[HL_PIECES_MAX];
	size_t idx[HL_PIECES_MAX];
	if (p->tick)
		p->tick(p->tick_ctx); /* the target ran since the last batch */
	m->now = now_ns(); /* one clock for the batch's checks */
	for (size_t at = 0; at < n;) {
		size_t k = 0, end = at + HL_PIECES_MAX < n ? at + HL_PIECES_MAX : n;
		/* the snapshot's answers first, then the fresh ones, last, so that
		 * the read follows them as closely as it can */
		for (int fresh = 0; fresh < 2; fresh++)
			for (size_t i = at; i < end; i++) {
				hl_piece_t *x = &pc[i];
				bool in = false;
				if (x->fresh != fresh)
					continue;
				x->ok = 0;
				if (!x->len)
					continue;
				int rc = fresh ? hl_peek_present(p, x->addr, x->len, &in)
					       : hl_pmap_present(p, m, x->addr, x->len, &in);
				if (rc == -ESRCH)
					return rc;
				if (rc || !in) {
					p->refused++;
					continue;
				}
				p->pieces++;
				idx[k++] = i;
			}
		at = end;
		/* in address order: the kernel walks the target's page tables for
		 * each piece, and neighbours share their page-table pages */
		sort_by_addr(idx, k, pc);
		for (size_t i = 0; i < k; i++) {
			const hl_piece_t *x = &pc[idx[i]];
			local[i] = (struct iovec){x->buf, x->len};
			remote[i] = (struct iovec){(void *)(uintptr_t)x->addr, x->len};
		}
		/* process_vm_readv stops at the first piece it cannot read: go on
		 * after it */
		for (size_t from = 0; from < k;) {
			ssize_t got = hl_peek_vm_read(p, local + from, remote + from, k - from);
			p->reads++;
			if (got < 0 && errno == ESRCH)
				return -ESRCH;
			size_t whole = 0;
			int64_t left = got < 0 ? 0 : got;
			p->bytes_read += left;
			while (from + whole < k && left >= (int64_t)local[from + whole].iov_len) {
				left -= (int64_t)local[from + whole].iov_len;
				pc[idx[from + whole]].ok = 1;
				whole++;
			}
			if (from + whole < k) /* the piece that failed */
				pc[idx[from + whole]].ok = -1;
			from += whole + 1;
		}
	}
	m->now = 0;
	return 0;
}
