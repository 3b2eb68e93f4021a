/*
 * test_region.c — region classes. On the captured maps (no peek: the class
 * of each of its 30 regions), and on synthetic maps with a fake peek that
 * answers chunk and heap_info headers from a table: mmapped chunks that tile
 * a mapping once, twice, or only its beginning; headers that are not a
 * chunk's; the 64-header bound; arena heaps first and later, shrunk
 * (size < mprotect_size, as glibc leaves them after heap_trim), unreadable,
 * disproven, merged with a neighbour below, or with a guard page above; and
 * smaps figures across a split. Live classes are test_peek.c's.
 */
#include <errno.h>

#include "heaplab.h"
#include "t.h"

#define MiB (1ULL << 20)
#define HEAP (64 * MiB)

/* The fake peek: 16 bytes at an address listed in the table, else -EFAULT
 * (as peek.c refuses a page that is not present). Counts its calls. */
typedef struct fake {
	struct {
		uint64_t addr, w0, w1;
	} h[256];
	int n;
	int calls;
} fake_t;

static void put(fake_t *f, uint64_t addr, uint64_t w0, uint64_t w1)
{
	f->h[f->n].addr = addr;
	f->h[f->n].w0 = w0;
	f->h[f->n].w1 = w1;
	f->n++;
}

/* heap_info {ar_ptr, prev, size, mprotect_size} at a */
static void put_heap_info(fake_t *f, uint64_t a, uint64_t ar, uint64_t prev, uint64_t size,
			  uint64_t mprot)
{
	put(f, a, ar, prev);
	put(f, a + 16, size, mprot);
}

static int fake_peek(void *ctx, uint64_t addr, void *out16)
{
	fake_t *f = ctx;
	f->calls++;
	for (int i = 0; i < f->n; i++)
		if (f->h[i].addr == addr) {
			uint64_t w[2] = {f->h[i].w0, f->h[i].w1};
			memcpy(out16, w, 16);
			return 0;
		}
	return -EFAULT;
}

static hl_regions_t parse(const char *maps)
{
	hl_regions_t r = {0};
	hl_error_t err = {0};
	int rc = hl_maps_parse(maps, strlen(maps), &r, &err);
	if (rc)
		printf("# parse: %s\n", err.msg);
	return r;
}

static const char *cls(const hl_regions_t *r, uint64_t addr)
{
	const hl_region_t *v = hl_regions_find(r, addr);
	return v ? hl_region_class_name(v->cls) : "(none)";
}

static void test_fixture_classes(void)
{
	size_t len;
	char *buf = t_fixture("proc_maps.txt", &len);
	hl_regions_t r = {0};
	T_EQ_INT(hl_maps_parse(buf, len, &r, NULL), 0, "fixture maps parses");
	hl_region_classify(&r, NULL, NULL);
	/* one letter per region, in order: f file, b brk-heap, a arena-heap,
	 * o anon-other, s stack, x other (no peek: no mmap-chunk) */
	const char *want = "fffff"
			   "b"
			   "aa"
			   "oooo"
			   "fffff"
			   "o"
			   "f"
			   "o"
			   "xxx"
			   "fffff"
			   "s"
			   "x";
	char got[64] = "";
	for (size_t i = 0; i < r.n && i < sizeof got - 1; i++) {
		static const char letter[] = "bamosfx";
		got[i] = letter[r.v[i].cls];
	}
	T_EQ_STR(got, want, "the class of each of the fixture's 30 regions");
	T_EQ_STR(cls(&r, 0x7f7630000000ULL), "arena-heap",
		 "the 64 MiB-aligned rw-p part is an arena heap");
	T_OK(hl_regions_find(&r, 0x7f763002e000ULL) &&
		 hl_regions_find(&r, 0x7f763002e000ULL)->end == 0x7f7634000000ULL,
	     "its ---p reserve ends at the next 64 MiB boundary");
	T_EQ_STR(cls(&r, 0x7f763002e000ULL), "arena-heap", "and belongs to the heap");
	T_EQ_STR(cls(&r, 0x7f76380de000ULL), "anon-other",
		 "without peek the mmapped chunk is anon-other");
	T_EQ_STR(cls(&r, 0x7f7638bce000ULL), "file", "a deleted file is still a file");
	T_EQ_STR(cls(&r, 0x5558b70fa000ULL), "brk-heap", "[heap]");
	T_EQ_STR(cls(&r, 0x7ffc6a8fb000ULL), "stack", "[stack]");
	T_EQ_STR(cls(&r, 0x7f7638bd8000ULL), "other", "[vdso]");
	T_EQ_INT(r.n, 30, "classifying without peek splits nothing");
	hl_regions_free(&r);
	free(buf);
}

static void test_names(void)
{
	static const char *const names[] = {"brk-heap", "arena-heap", "mmap-chunk", "anon-other",
					    "stack",	"file",	      "other"};
	int wrong = 0;
	for (int c = 0; c < HL_REGION_NCLASSES; c++)
		wrong += strcmp(hl_region_class_name((hl_region_class_t)c), names[c]) != 0;
	T_EQ_INT(wrong, 0, "class names");
	T_EQ_STR(hl_region_class_name((hl_region_class_t)99), "other",
		 "an out-of-range class is other");
	const char *m = "1000-2000 r--p 00000000 08:01 5 /usr/bin/x\n"
			"2000-3000 rw-p 00000000 00:00 0 [heap]\n"
			"3000-4000 rw-p 00000000 00:00 0 [stack]\n"
			"4000-5000 rw-p 00000000 00:00 0 [stack:1234]\n"
			"5000-6000 r-xp 00000000 00:00 0 [vdso]\n"
			"6000-7000 rw-p 00000000 00:00 0 [anon:my pool]\n"
			"7000-8000 rw-p 00000000 00:0e 9 anon_inode:[io_uring]\n"
			"8000-9000 rw-s 00000000 00:01 4 /dev/zero (deleted)\n"
			"9000-a000 rw-p 00000000 00:00 0 \n";
	hl_regions_t r = parse(m);
	hl_region_classify(&r, NULL, NULL);
	const char *want[] = {"file",	    "brk-heap", "stack", "stack",     "other",
			      "anon-other", "other",	"file",	 "anon-other"};
	wrong = r.n != 9;
	for (size_t i = 0; i < r.n && i < 9; i++)
		if (strcmp(hl_region_class_name(r.v[i].cls), want[i])) {
			printf("# region %zu (%s): %s, want %s\n", i, r.v[i].path,
			       hl_region_class_name(r.v[i].cls), want[i]);
			wrong++;
		}
	T_EQ_INT(wrong, 0,
		 "classes by name: file, [heap], [stack], [vdso], [anon:...], anon_inode, shared");
	hl_regions_free(&r);
}

static void test_chunks(void)
{
	const char *m =
	    "7f0000000000-7f0000101000 rw-p 00000000 00:00 0 \n"  /* one chunk */
	    "7f0000200000-7f0000302000 rw-p 00000000 00:00 0 \n"  /* two chunks, merged */
	    "7f0000400000-7f0000401000 rw-p 00000000 00:00 0 \n"  /* a brk-style header */
	    "7f0000500000-7f0000501000 rw-p 00000000 00:00 0 \n"  /* prev_size not 0 */
	    "7f0000600000-7f0000601000 rw-p 00000000 00:00 0 \n"  /* NON_MAIN_ARENA set */
	    "7f0000700000-7f0000701000 rw-p 00000000 00:00 0 \n"  /* longer than the map */
	    "7f0000800000-7f0000801000 rw-p 00000000 00:00 0 \n"  /* unreadable */
	    "7f0000900000-7f0000901000 r--p 00000000 00:00 0 \n"  /* read-only */
	    "7f0009000000-7f0009104000 rw-p 00000000 00:00 0 \n"; /* chunk + stack */
	fake_t f = {0};
	put(&f, 0x7f0000000000ULL, 0, 0x101000 | 2);
	put(&f, 0x7f0000200000ULL, 0, 0x81000 | 2);
	put(&f, 0x7f0000281000ULL, 0, 0x81000 | 2);
	put(&f, 0x7f0000400000ULL, 0, 0x1000 | 1);
	put(&f, 0x7f0000500000ULL, 0x10, 0x1000 | 2);
	put(&f, 0x7f0000600000ULL, 0, 0x1000 | 2 | 4);
	put(&f, 0x7f0000700000ULL, 0, 0x2000 | 2);
	put(&f, 0x7f0000900000ULL, 0, 0x1000 | 2);
	put(&f, 0x7f0009000000ULL, 0, 0x101000 | 2);
	hl_regions_t r = parse(m);
	hl_region_classify(&r, fake_peek, &f);
	T_EQ_STR(cls(&r, 0x7f0000000000ULL), "mmap-chunk", "a mapping that is one mmapped chunk");
	T_EQ_STR(cls(&r, 0x7f0000200000ULL), "mmap-chunk", "a mapping tiled exactly by two chunks");
	T_OK(hl_regions_find(&r, 0x7f0000200000ULL)->end == 0x7f0000302000ULL,
	     "and it stays one region");
	T_EQ_STR(cls(&r, 0x7f0000400000ULL), "anon-other",
		 "a header without IS_MMAPPED is no chunk");
	T_EQ_STR(cls(&r, 0x7f0000500000ULL), "anon-other",
		 "prev_size not 0 at a mapping's start: no chunk");
	T_EQ_STR(cls(&r, 0x7f0000600000ULL), "anon-other", "NON_MAIN_ARENA set: no mmapped chunk");
	T_EQ_STR(cls(&r, 0x7f0000700000ULL), "anon-other",
		 "a size past the mapping's end: no chunk");
	T_EQ_STR(cls(&r, 0x7f0000800000ULL), "anon-other", "a header peek refuses: anon-other");
	T_EQ_STR(cls(&r, 0x7f0000900000ULL), "anon-other", "a read-only mapping is not looked at");
	T_EQ_INT(r.n, 10, "a chunk merged with its neighbour's mapping is split off");
	const hl_region_t *c = hl_regions_find(&r, 0x7f0009000000ULL);
	const hl_region_t *rest = hl_regions_find(&r, 0x7f0009101000ULL);
	T_OK(c && c->cls == HL_REGION_MMAP_CHUNK && c->end == 0x7f0009101000ULL && rest &&
		 rest->cls == HL_REGION_ANON_OTHER && rest->end == 0x7f0009104000ULL,
	     "the chunk's part is mmap-chunk, the rest anon-other");
	hl_regions_free(&r);

	/* the same maps without peek: nothing is proven a chunk */
	r = parse(m);
	hl_region_classify(&r, NULL, NULL);
	T_OK(hl_regions_first(&r, HL_REGION_MMAP_CHUNK) == NULL && r.n == 9,
	     "without peek no region is an mmap-chunk, and none is split");
	hl_regions_free(&r);

	/* 70 chunks of one page in one VMA: 64 headers are read, then stop */
	const char *many = "7f1000000000-7f1000046000 rw-p 00000000 00:00 0 \n";
	fake_t g = {0};
	for (uint64_t k = 0; k < 70; k++)
		put(&g, 0x7f1000000000ULL + k * 0x1000, 0, 0x1000 | 2);
	r = parse(many);
	hl_region_classify(&r, fake_peek, &g);
	T_OK(r.n == 2 && r.v[0].cls == HL_REGION_MMAP_CHUNK && r.v[0].end == 0x7f1000040000ULL &&
		 r.v[1].cls == HL_REGION_ANON_OTHER,
	     "past 64 headers: the 64 proven chunks, the rest anon-other");
	T_OK(g.calls <= 64 + 2, "at most 64 chunk headers read for the region (%d peeks)", g.calls);
	hl_regions_free(&r);
}

static void test_heaps(void)
{
	const uint64_t A = 0x7f0004000000ULL, B = 0x7f0010000000ULL, C = 0x7f0020000000ULL,
		       D = 0x7f0030000000ULL, E = 0x7f0040000000ULL, F = 0x7f0050000000ULL,
		       G = 0x7f0060000000ULL, H = 0x7f0070000000ULL;
	char m[2048];
	snprintf(m, sizeof m,
		 /* A: an arena's first heap, shrunk: size 0x21000 < mprotect 0x754000 */
		 "%llx-%llx rw-p 00000000 00:00 0 \n"
		 "%llx-%llx ---p 00000000 00:00 0 \n"
		 /* B: the same arena's second heap, grown to all 64 MiB */
		 "%llx-%llx rw-p 00000000 00:00 0 \n"
		 /* C: aligned, heap-shaped, but its first bytes are no heap_info */
		 "%llx-%llx rw-p 00000000 00:00 0 \n"
		 "%llx-%llx ---p 00000000 00:00 0 \n"
		 /* D: heap-shaped, heap_info unreadable (swapped out): the outline */
		 "%llx-%llx rw-p 00000000 00:00 0 \n"
		 "%llx-%llx ---p 00000000 00:00 0 \n"
		 /* E: a 1 MiB chunk merged below a heap's rw part */
		 "%llx-%llx rw-p 00000000 00:00 0 \n"
		 "%llx-%llx ---p 00000000 00:00 0 \n"
		 /* F: the reserve merged with a thread stack's guard page above */
		 "%llx-%llx rw-p 00000000 00:00 0 \n"
		 "%llx-%llx ---p 00000000 00:00 0 \n"
		 "%llx-%llx rw-p 00000000 00:00 0 \n"
		 /* G: aligned rw-p, no reserve, not 64 MiB: not a heap without proof */
		 "%llx-%llx rw-p 00000000 00:00 0 \n"
		 /* H: aligned, proven, but ar_ptr not right after a heap_info */
		 "%llx-%llx rw-p 00000000 00:00 0 \n"
		 "%llx-%llx ---p 00000000 00:00 0 \n",
		 (unsigned long long)A, (unsigned long long)(A + 0x754000),
		 (unsigned long long)(A + 0x754000), (unsigned long long)(A + HEAP),
		 (unsigned long long)B, (unsigned long long)(B + HEAP), (unsigned long long)C,
		 (unsigned long long)(C + 0x21000), (unsigned long long)(C + 0x21000),
		 (unsigned long long)(C + HEAP), (unsigned long long)D,
		 (unsigned long long)(D + 0x21000), (unsigned long long)(D + 0x21000),
		 (unsigned long long)(D + HEAP), (unsigned long long)(E - 0x101000),
		 (unsigned long long)(E + 0x21000), (unsigned long long)(E + 0x21000),
		 (unsigned long long)(E + HEAP), (unsigned long long)F,
		 (unsigned long long)(F + 0x21000), (unsigned long long)(F + 0x21000),
		 (unsigned long long)(F + HEAP + 0x1000), (unsigned long long)(F + HEAP + 0x1000),
		 (unsigned long long)(F + HEAP + 0x801000), (unsigned long long)G,
		 (unsigned long long)(G + 0x21000), (unsigned long long)H,
		 (unsigned long long)(H + 0x21000), (unsigned long long)(H + 0x21000),
		 (unsigned long long)(H + HEAP));
	fake_t f = {0};
	put_heap_info(&f, A, A + 0x30, 0, 0x21000, 0x754000);
	put_heap_info(&f, B, A + 0x30, A, HEAP, HEAP);
	put_heap_info(&f, C, 0x5555deadbeef, 7, 1, 0);
	put(&f, E - 0x101000, 0, 0x101000 | 2);
	put_heap_info(&f, E, E + 0x30, 0, 0x21000, 0x21000);
	put_heap_info(&f, F, F + 0x30, 0, 0x21000, 0x21000);
	put_heap_info(&f, G, 0, 0, 0, 0);
	put_heap_info(&f, H, H + 0x5000, 0, 0x21000, 0x21000);

	hl_regions_t r = parse(m);
	size_t n0 = r.n;
	hl_region_classify(&r, fake_peek, &f);
	T_EQ_STR(cls(&r, A), "arena-heap", "a shrunk heap (size < mprotect_size) is an arena heap");
	T_EQ_STR(cls(&r, A + 0x754000), "arena-heap", "and so is its reserve");
	T_EQ_STR(cls(&r, B), "arena-heap",
		 "a later heap (prev set, arena in the first heap), all 64 MiB");
	T_EQ_STR(cls(&r, C), "anon-other", "heap-shaped but no heap_info: peek disproves it");
	T_EQ_STR(cls(&r, C + 0x21000), "anon-other", "and its ---p neighbour");
	T_EQ_STR(cls(&r, D), "arena-heap", "heap_info unreadable: the outline decides");
	T_EQ_STR(cls(&r, D + 0x21000), "arena-heap", "its reserve too");
	T_EQ_STR(cls(&r, E - 0x101000), "mmap-chunk", "a chunk merged below a heap is split off");
	T_EQ_STR(cls(&r, E), "arena-heap", "and the heap starts at its 64 MiB boundary");
	T_OK(hl_regions_find(&r, E) && hl_regions_find(&r, E)->start == E &&
		 hl_regions_find(&r, E - 1)->end == E,
	     "the split is at the boundary");
	T_EQ_STR(cls(&r, E + 0x21000), "arena-heap", "its reserve");
	T_EQ_STR(cls(&r, F + HEAP - 1), "arena-heap",
		 "a reserve merged with a guard page: the heap's part");
	T_EQ_STR(cls(&r, F + HEAP), "anon-other",
		 "the guard page past the boundary is not the heap's");
	T_OK(hl_regions_find(&r, F + HEAP) && hl_regions_find(&r, F + HEAP)->start == F + HEAP &&
		 hl_regions_find(&r, F + HEAP)->end == F + HEAP + 0x1000,
	     "split at the boundary");
	T_EQ_STR(cls(&r, F + HEAP + 0x1000), "anon-other", "the stack above it");
	T_EQ_STR(cls(&r, G), "anon-other", "aligned rw-p with zeros at its start is no heap");
	T_EQ_STR(cls(&r, H), "anon-other", "ar_ptr must lie right after a heap_info");
	T_EQ_INT(r.n, n0 + 2, "two splits: the chunk under E, the guard page above F");
	bool sorted = true;
	for (size_t i = 0; i < r.n; i++)
		if (r.v[i].end <= r.v[i].start || (i && r.v[i].start < r.v[i - 1].end))
			sorted = false;
	T_OK(sorted, "regions stay sorted and disjoint after splits");
	hl_regions_free(&r);

	/* without peek: the outline alone */
	r = parse(m);
	hl_region_classify(&r, NULL, NULL);
	T_EQ_STR(cls(&r, A), "arena-heap",
		 "no peek: aligned rw-p + reserve to the boundary is a heap");
	T_EQ_STR(cls(&r, B), "arena-heap", "no peek: aligned rw-p of exactly 64 MiB is a heap");
	T_EQ_STR(cls(&r, C), "arena-heap", "no peek: C has the outline, so it is taken for one");
	T_EQ_STR(cls(&r, E - 0x101000), "anon-other", "no peek: a merged heap cannot be found");
	T_EQ_STR(cls(&r, G), "anon-other", "no peek: aligned rw-p without reserve is not a heap");
	T_EQ_INT(r.n, n0 + 1, "no peek: only the guard page above F is split off");
	hl_regions_free(&r);
}

static void test_split_figures(void)
{
	/* a chunk of 1 MiB + 4 KiB merged with 12 KiB of other memory */
	const char *s = "7f0009000000-7f0009104000 rw-p 00000000 00:00 0 \n"
			"Rss:                1040 kB\n"
			"Private_Dirty:      1040 kB\n"
			"Anonymous:           500 kB\n"
			"Swap:                  0 kB\n";
	fake_t f = {0};
	put(&f, 0x7f0009000000ULL, 0, 0x101000 | 2);
	hl_regions_t r = {0};
	T_EQ_INT(hl_smaps_parse(s, strlen(s), &r, NULL), 0, "smaps with a merged chunk parses");
	hl_region_classify(&r, fake_peek, &f);
	T_OK(r.n == 2 && r.v[0].rss_bytes == 0x101000 && r.v[1].rss_bytes == 0x3000,
	     "split: Rss equal to the whole becomes each part's length");
	T_OK(r.n == 2 && r.v[0].private_dirty_bytes == 0x101000 &&
		 r.v[1].private_dirty_bytes == 0x3000,
	     "split: Private_Dirty likewise");
	T_OK(r.n == 2 && r.v[0].anonymous_bytes == HL_UNKNOWN &&
		 r.v[1].anonymous_bytes == HL_UNKNOWN,
	     "split: a figure between 0 and the whole becomes unknown");
	T_OK(r.n == 2 && r.v[0].swap_bytes == 0 && r.v[1].swap_bytes == 0, "split: 0 stays 0");
	hl_regions_free(&r);
}

int main(void)
{
	test_fixture_classes();
	test_names();
	test_chunks();
	test_heaps();
	test_split_figures();
	return t_done();
}
