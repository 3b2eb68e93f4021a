/*
 * test_peek.c — reads through pagemap never fault a page in: a page never
 * touched, or released with MADV_DONTNEED, is refused and stays
 * non-resident (mincore says so afterwards); touched pages read back their
 * bytes. And the region classes it makes provable on a live process: a
 * 1 MiB malloc is an mmap-chunk (three of them, merged by the kernel into
 * one mapping, too), a thread's arena is an arena-heap, also after glibc has
 * shrunk it (heap_info.size below mprotect_size), reserve included.
 * The pagemap snapshot (pagemap.c) on an image: ranges kept by address,
 * overlaps refused, resident counts of whole pages, answers refreshed when
 * older than their max age, batched reads refused where a page is absent.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heaplab.h"
#include "t.h"

static bool resident(void *addr)
{
	unsigned char v = 0;
	mincore(addr, 4096, &v);
	return v & 1;
}

static void *arena_maker(void *arg)
{
	/* grow the thread's heap to ~7 MiB, then free all but the first block:
	 * heap_trim shrinks it by madvise, leaving size < mprotect_size */
	void *p[64];
	for (int i = 0; i < 64; i++) {
		p[i] = malloc(120000);
		memset(p[i], 7, 120000);
	}
	for (int i = 63; i >= 1; i--)
		free(p[i]);
	*(void **)arg = p[0];
	return NULL;
}

/* The snapshot over an image of three ranges, one page of the middle one
 * absent, then a second released after the snapshot was taken. */
static void snapshot(void)
{
	enum { PS = 4096, N = 16 };
	static uint8_t mem[3][N * PS], absent[3][N];
	const uint64_t base[3] = {0x700000000000ULL, 0x500000000000ULL, 0x600000000000ULL};
	hl_peek_seg_t segs[3];
	for (int i = 0; i < 3; i++) {
		memset(mem[i], 'a' + i, sizeof mem[i]);
		segs[i] = (hl_peek_seg_t){base[i], sizeof mem[i], mem[i], absent[i]};
	}
	absent[2][3] = 1;
	hl_peek_t pk;
	hl_peek_image(&pk, segs, 3);
	hl_pmap_t m;
	hl_pmap_init(&m);
	int rc = 0;
	for (int i = 0; i < 3; i++)
		rc |= hl_pmap_add(&m, base[i], base[i] + N * PS, PS);
	T_OK(rc == 0 && m.n == 3 && m.v[0].start < m.v[1].start && m.v[1].start < m.v[2].start,
	     "three ranges added out of order, kept by address");
	T_EQ_INT(hl_pmap_add(&m, base[1] + PS, base[1] + 2 * PS, PS), -EEXIST,
		 "an overlapping range is refused");
	T_EQ_INT(hl_pmap_load(&pk, &m), 0, "loaded");
	T_EQ_INT(hl_pmap_page(&m, base[2] + 3 * PS, PS), 0, "the absent page reads absent");
	T_EQ_INT(hl_pmap_page(&m, base[2] + 4 * PS, PS), 1, "its neighbour resident");
	T_EQ_INT(hl_pmap_page(&m, 0x100000, PS), -1, "an address outside every range: -1");
	T_EQ_INT(hl_pmap_resident(&m, base[2] + 100, N * PS - 100, PS), (N - 2) * PS,
		 "resident bytes: whole pages only, the absent one not counted");
	/* a page released after the snapshot: an answer within max age keeps
	 * the old word; at age 0 every check asks again */
	absent[0][5] = 1;
	bool in = false;
	hl_pmap_present(&pk, &m, base[0] + 5 * PS, 16, &in);
	T_OK(in, "within its max age, the snapshot's answer stands (present)");
	m.max_age_ns = 0;
	hl_pmap_present(&pk, &m, base[0] + 5 * PS, 16, &in);
	T_OK(!in, "at max age 0 the window is read again: now absent");
	uint8_t b[4][16];
	hl_piece_t pc[4] = {{base[0] + 4 * PS, b[0], 16, 0, false},
			    {base[0] + 5 * PS, b[1], 16, 0, false},
			    {base[2] + 3 * PS - 8, b[2], 16, 0, false},
			    {base[1], b[3], 16, 0, true}};
	T_EQ_INT(hl_peek_pieces(&pk, &m, pc, 4), 0, "four pieces in one batch");
	T_OK(pc[0].ok == 1 && b[0][0] == 'a' && pc[1].ok == 0 && pc[2].ok == 0 && pc[3].ok == 1 &&
		     b[3][15] == 'b',
	     "read where present, refused where a page is absent (also across a page edge)");
	T_EQ_INT(pk.absent_reads, 0, "and no absent page was read");
	hl_pmap_free(&m);
}

int main(void)
{
	snapshot();
	hl_peek_t pk;
	hl_error_t err = {0};
	T_EQ_INT(hl_peek_open(&pk, getpid(), &err), 0, "open own pagemap");

	long ps = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 4 * (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(m, 0x5a, (size_t)ps); /* page 0 touched, pages 1..3 not */
	char buf[64];
	T_EQ_INT(hl_peek_read(&pk, (uint64_t)(uintptr_t)m, buf, sizeof buf), 0, "a touched page reads");
	T_OK(buf[0] == 0x5a && buf[63] == 0x5a, "with its bytes");
	T_EQ_INT(hl_peek_read(&pk, (uint64_t)(uintptr_t)(m + ps), buf, 16), -EFAULT,
		 "a never-touched page is refused");
	T_OK(!resident(m + ps), "and is still not resident afterwards");
	T_EQ_INT(hl_peek_read(&pk, (uint64_t)(uintptr_t)(m + ps - 8), buf, 16), -EFAULT,
		 "a read straddling into an absent page is refused whole");
	T_OK(!resident(m + ps), "still not resident");
	int64_t res = -1;
	T_EQ_INT(hl_peek_resident(&pk, (uint64_t)(uintptr_t)m, 4 * (uint64_t)ps, &res), 0, "resident count");
	T_EQ_INT(res, ps, "one resident page of four");
	madvise(m, (size_t)ps, MADV_DONTNEED);
	T_EQ_INT(hl_peek_read(&pk, (uint64_t)(uintptr_t)m, buf, 16), -EFAULT,
		 "a page released with MADV_DONTNEED is refused");
	T_OK(!resident(m), "and stays released");
	T_EQ_INT(pk.refused, 3, "three reads refused, counted");

	/* the hl_peek_fn that region.c calls, and the bare pagemap test */
	memset(m + 2 * ps, 0x33, 64); /* page 2 touched now, page 3 never */
	uint64_t w[2] = {1, 1};
	T_EQ_INT(hl_peek_read16(&pk, (uint64_t)(uintptr_t)(m + 2 * ps), w), 0, "read16: a touched page");
	T_OK(w[0] == 0x3333333333333333ULL && w[1] == w[0], "read16: its 16 bytes");
	T_EQ_INT(hl_peek_read16(&pk, (uint64_t)(uintptr_t)(m + 3 * ps), w), -EFAULT,
		 "read16: a never-touched page of a fresh mmap is refused");
	T_OK(!resident(m + 3 * ps), "read16: and it is still not resident (mincore)");
	bool present = false;
	T_OK(hl_peek_present(&pk, (uint64_t)(uintptr_t)(m + 2 * ps), 16, &present) == 0 && present,
	     "present: a touched page");
	T_OK(hl_peek_present(&pk, (uint64_t)(uintptr_t)(m + 3 * ps), 1, &present) == 0 && !present,
	     "present: an untouched page is not");
	T_OK(!resident(m + 3 * ps), "present: looking it up did not fault it in");
	T_OK(hl_peek_present(&pk, (uint64_t)(uintptr_t)(m + 2 * ps), 2 * (uint64_t)ps, &present) == 0 &&
		     !present,
	     "present: a span is present only if all its pages are");
	munmap(m, 4 * (size_t)ps);

	/* classes proven by headers on this live process (glibc's malloc: not
	 * under ASan, which brings its own) */
#ifdef __SANITIZE_ADDRESS__
	printf("# under ASan: the live class checks are skipped\n");
	hl_peek_close(&pk);
	return t_done();
#endif
	char *big = malloc(1 << 20);
	memset(big, 1, 1 << 20);
	char *trio[3];
	for (int i = 0; i < 3; i++) {
		trio[i] = malloc(1 << 20);
		memset(trio[i], 2, 1 << 20);
	}
	pthread_t t;
	void *in_arena = NULL;
	pthread_create(&t, NULL, arena_maker, &in_arena);
	pthread_join(t, NULL);
	hl_buf_t b = {0};
	hl_regions_t r = {0};
	hl_procfs_read(0, "maps", &b, NULL);
	hl_maps_parse(b.data, b.len, &r, NULL);
	hl_region_classify(&r, hl_peek_read16, &pk);
	const hl_region_t *rb = hl_regions_find(&r, (uint64_t)(uintptr_t)big);
	T_OK(rb && rb->cls == HL_REGION_MMAP_CHUNK, "a live 1 MiB malloc is an mmap-chunk (%s)",
	     rb ? hl_region_class_name(rb->cls) : "none");
	int not_chunk = 0;
	for (int i = 0; i < 3; i++) {
		const hl_region_t *ri = hl_regions_find(&r, (uint64_t)(uintptr_t)trio[i]);
		not_chunk += !ri || ri->cls != HL_REGION_MMAP_CHUNK;
	}
	const hl_region_t *r0 = hl_regions_find(&r, (uint64_t)(uintptr_t)trio[0]);
	printf("# three 1 MiB chunks: the first lies in %#llx-%#llx\n",
	       r0 ? (unsigned long long)r0->start : 0ULL, r0 ? (unsigned long long)r0->end : 0ULL);
	T_EQ_INT(not_chunk, 0, "three live 1 MiB mallocs (mappings the kernel may merge) are mmap-chunks");
	const hl_region_t *ra = hl_regions_find(&r, (uint64_t)(uintptr_t)in_arena);
	T_OK(ra && ra->cls == HL_REGION_ARENA_HEAP, "a thread's malloc lies in an arena-heap (%s)",
	     ra ? hl_region_class_name(ra->cls) : "none");
	/* in-process, the heap_info can be read directly: the heap was shrunk */
	const uint64_t *hi = (const uint64_t *)((uintptr_t)in_arena & ~((64UL << 20) - 1));
	T_OK(hi[2] < hi[3], "the thread's heap was shrunk: heap_info.size %#llx < mprotect_size %#llx",
	     (unsigned long long)hi[2], (unsigned long long)hi[3]);
	const hl_region_t *rr = hl_regions_find(&r, (uint64_t)(uintptr_t)hi + hi[3]);
	T_OK(ra && ra->start == (uint64_t)(uintptr_t)hi && ra->end == (uint64_t)(uintptr_t)hi + hi[3],
	     "its rw-p part is mprotect_size long, not size");
	T_OK(rr && rr->cls == HL_REGION_ARENA_HEAP && rr->end == (uint64_t)(uintptr_t)hi + (64ULL << 20),
	     "its ---p reserve up to the 64 MiB boundary is arena-heap too");
	const hl_region_t *rs = hl_regions_find(&r, (uint64_t)(uintptr_t)&t);
	T_OK(rs && rs->cls == HL_REGION_STACK, "a local variable lies in the stack");
	free(big);
	for (int i = 0; i < 3; i++)
		free(trio[i]);
	free(in_arena);
	hl_regions_free(&r);
	hl_buf_free(&b);
	hl_peek_close(&pk);

	T_OK(hl_peek_open(&pk, 999999999, &err) == -ESRCH && strstr(err.msg, "does not exist"),
	     "no such process: %s", err.msg);
	return t_done();
}
