/*
 * peek.c — strictly read-only reads of another process's memory. Every read
 * is preceded by a pagemap lookup (bit 63: present in RAM; bit 62: swapped)
 * and refused unless every page it touches is present: process_vm_readv on
 * an absent page would fault it in, and the target's RSS would grow because
 * we looked (measured: a naive walk took a target from 532 MB to 1052 MB).
 * Never ptrace, never a write.
 *
 * hl_peek_read and hl_peek_present look pagemap up afresh at every call: a
 * remembered "present" would be stale once the target releases the page,
 * and the read would fault it back in. Counting resident pages (which reads
 * nothing of the target's memory) reads pagemap 512 entries at a time into
 * a cache kept for the life of the hl_peek_t (one walk), so its counts are
 * of that moment. Parsing /proc files and classing regions live elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "heaplab.h"

#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)

int hl_peek_open(hl_peek_t *p, pid_t pid, hl_error_t *err)
{
	memset(p, 0, sizeof *p);
	p->pid = pid;
	p->page_size = hl_procfs_page_size();
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
	p->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p->pagemap_fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return hl_error_set(err, -ESRCH, "process %d does not exist", (int)pid);
		return hl_error_set(err, -e,
				    "cannot open %s: %s (reading another process needs the same user "
				    "and ptrace permission, see /proc/sys/kernel/yama/ptrace_scope, or "
				    "root)",
				    path, strerror(e));
	}
	return 0;
}

void hl_peek_image(hl_peek_t *p, const hl_peek_seg_t *segs, size_t nsegs)
{
	memset(p, 0, sizeof *p);
	p->pagemap_fd = -1;
	p->page_size = hl_procfs_page_size();
	p->segs = segs;
	p->nsegs = nsegs;
}

/* The image's segment holding [addr, addr + len), or NULL. */
static const hl_peek_seg_t *seg_of(const hl_peek_t *p, uint64_t addr, uint64_t len)
{
	for (size_t i = 0; i < p->nsegs; i++) {
		const hl_peek_seg_t *s = &p->segs[i];
		if (addr >= s->addr && addr - s->addr <= s->len && len <= s->len - (addr - s->addr))
			return s;
	}
	return NULL;
}

/* n pagemap entries from page first on: from the kernel, or made up from the
 * image (present where a segment holds the page and does not mark it absent).
 * Returns the bytes filled, like pread. */
static ssize_t pagemap_read(hl_peek_t *p, uint64_t *e, size_t n, uint64_t first)
{
	if (!p->segs) {
		if (first > (uint64_t)INT64_MAX / 8)
			return 0;
		p->pagemap_reads++;
		return pread(p->pagemap_fd, e, n * 8, (off_t)(first * 8));
	}
	uint64_t ps = (uint64_t)p->page_size;
	for (size_t i = 0; i < n; i++) {
		uint64_t pg = first + i;
		const hl_peek_seg_t *s = pg <= UINT64_MAX / ps ? seg_of(p, pg * ps, ps) : NULL;
		e[i] = s && !(s->absent && s->absent[pg - s->addr / ps]) ? PM_PRESENT : 0;
	}
	return (ssize_t)(n * 8);
}

/* Copies the k remote pieces like process_vm_readv: the bytes copied, up to
 * the first piece that cannot be read. */
static ssize_t mem_read(hl_peek_t *p, const struct iovec *local, const struct iovec *remote,
			size_t k)
{
	if (!p->segs)
		return process_vm_readv(p->pid, local, (unsigned long)k, remote, (unsigned long)k, 0);
	ssize_t n = 0;
	for (size_t i = 0; i < k; i++) {
		uint64_t a = (uint64_t)(uintptr_t)remote[i].iov_base;
		const hl_peek_seg_t *s = seg_of(p, a, remote[i].iov_len);
		if (!s) {
			if (!n) {
				errno = EFAULT;
				return -1;
			}
			break;
		}
		/* what a process would fault in: counted, so tests can prove it
		 * never happens */
		uint64_t ps = (uint64_t)p->page_size, len = remote[i].iov_len;
		for (uint64_t pg = a / ps; s->absent && len && pg <= (a + len - 1) / ps; pg++)
			p->absent_reads += s->absent[pg - s->addr / ps] != 0;
		memcpy(local[i].iov_base, s->bytes + (a - s->addr), remote[i].iov_len);
		n += (ssize_t)remote[i].iov_len;
	}
	return n;
}

ssize_t hl_peek_pagemap(hl_peek_t *p, uint64_t *e, size_t n, uint64_t first_page)
{
	ssize_t got = pagemap_read(p, e, n, first_page);
	return got < 0 ? -errno : got;
}

ssize_t hl_peek_vm_read(hl_peek_t *p, const struct iovec *local, const struct iovec *remote,
			size_t k)
{
	return mem_read(p, local, remote, k);
}

void hl_peek_close(hl_peek_t *p)
{
	if (p->pagemap_fd >= 0)
		close(p->pagemap_fd);
	p->pagemap_fd = -1;
}

static int entry(hl_peek_t *p, uint64_t page, uint64_t *out)
{
	if (page < p->cache_first || page >= p->cache_first + p->cache_n) {
		uint64_t first = page & ~(uint64_t)511;
		ssize_t n = pagemap_read(p, p->cache, 512, first);
		if (n < 8)
			return n < 0 ? -errno : -EFAULT;
		p->cache_first = first;
		p->cache_n = (size_t)n / 8;
		if (page >= first + p->cache_n)
			return -EFAULT;
	}
	*out = p->cache[page - p->cache_first];
	return 0;
}

/* Whether every page of [addr, addr + len) is present, looked up afresh in
 * pagemap (never from the cache: this is the gate before a read). */
static int pages_present(hl_peek_t *p, uint64_t addr, uint64_t len, bool *present)
{
	*present = true;
	if (!len)
		return 0;
	if (addr + len - 1 < addr)
		return -EFAULT;
	uint64_t ps = (uint64_t)p->page_size;
	uint64_t first = addr / ps, last = (addr + len - 1) / ps;
	uint64_t e[64];
	for (uint64_t pg = first; pg <= last; pg += 64) {
		uint64_t n = last - pg + 1 < 64 ? last - pg + 1 : 64;
		ssize_t got = pagemap_read(p, e, n, pg);
		if (got != (ssize_t)(n * 8))
			return got < 0 ? -errno : -EFAULT;
		for (uint64_t i = 0; i < n; i++)
			if (!(e[i] & PM_PRESENT) || (e[i] & PM_SWAPPED)) {
				*present = false;
				return 0;
			}
	}
	return 0;
}

int hl_peek_present(hl_peek_t *p, uint64_t addr, uint64_t len, bool *present)
{
	return pages_present(p, addr, len, present);
}

int hl_peek_resident(hl_peek_t *p, uint64_t addr, uint64_t len, int64_t *resident_bytes)
{
	*resident_bytes = 0;
	uint64_t ps = (uint64_t)p->page_size;
	uint64_t first = (addr + ps - 1) / ps, end = (addr + len) / ps; /* whole pages */
	for (uint64_t pg = first; pg < end; pg++) {
		uint64_t e = 0;
		int rc = entry(p, pg, &e);
		if (rc)
			return rc;
		if ((e & PM_PRESENT) && !(e & PM_SWAPPED))
			*resident_bytes += (int64_t)ps;
	}
	return 0;
}

int hl_peek_page_resident(hl_peek_t *p, uint64_t addr, bool *resident)
{
	uint64_t e = 0;
	int rc = entry(p, addr / (uint64_t)p->page_size, &e);
	*resident = !rc && (e & PM_PRESENT) && !(e & PM_SWAPPED);
	return rc;
}

int hl_peek_read(hl_peek_t *p, uint64_t addr, void *buf, size_t len)
{
	if (!len)
		return 0;
	if (p->tick)
		p->tick(p->tick_ctx); /* the target ran since the last read */
	bool present;
	int rc = pages_present(p, addr, len, &present);
	if (rc)
		return rc;
	if (!present) {
		p->refused++;
		return -EFAULT;
	}
	/* The target may release the page between the lookup and the read; the
	 * window is a few microseconds and cannot be closed without stopping
	 * the target, which we never do. */
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
	ssize_t n = mem_read(p, &local, &remote, 1);
	p->reads++;
	if (n < 0)
		return errno == ESRCH ? -ESRCH : -errno;
	p->bytes_read += n;
	return (size_t)n == len ? 0 : -EFAULT;
}

int hl_peek_read16(void *ctx, uint64_t addr, void *out16)
{
	return hl_peek_read(ctx, addr, out16, 16);
}
