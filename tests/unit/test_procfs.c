/*
 * test_procfs.c — the /proc parsers on files captured from a real process on
 * this machine (tests/fixtures/make/capture.c: a brk heap, a second arena's
 * heap, a live 1 MiB mmapped chunk, a thread stack), then on every truncation
 * of them and on garbage: never a crash, and either a clean error or a
 * consistent partial result.
 */
#include "heaplab.h"
#include "t.h"

#define KB 1024LL

static void test_status(void)
{
	size_t len;
	char *buf = t_fixture("proc_status.txt", &len);
	hl_status_t st;
	hl_error_t err = {0};
	T_EQ_INT(hl_status_parse(buf, len, &st, &err), 0, "status parses");
	T_EQ_STR(st.name, "capture", "status Name");
	T_EQ_INT(st.vm_size_bytes, 77380 * KB, "status VmSize in bytes");
	T_EQ_INT(st.vm_rss_bytes, 3116 * KB, "status VmRSS in bytes");
	T_EQ_INT(st.rss_anon_bytes, 1512 * KB, "status RssAnon");
	T_EQ_INT(st.rss_file_bytes, 1604 * KB, "status RssFile");
	T_EQ_INT(st.vm_swap_bytes, 0, "status VmSwap is a known 0");
	T_EQ_INT(st.threads, 1, "status Threads");

	/* a kernel thread's status has no Vm lines: unknown, not 0 */
	const char *kthread = "Name:\tkthreadd\nState:\tS (sleeping)\nThreads:\t1\n";
	T_EQ_INT(hl_status_parse(kthread, strlen(kthread), &st, &err), 0, "kernel thread parses");
	T_EQ_INT(st.vm_rss_bytes, HL_UNKNOWN, "absent VmRSS is unknown, not 0");
	const char *bad = "VmRSS:\t   lots kB\n";
	T_OK(hl_status_parse(bad, strlen(bad), &st, &err) == HL_EPARSE && err.msg[0],
	     "a non-number is an error with a message");
	T_OK(hl_status_parse("", 0, &st, &err) == HL_EPARSE, "empty status is an error");
	free(buf);
}

static void test_statm(void)
{
	size_t len;
	char *buf = t_fixture("proc_statm.txt", &len);
	hl_statm_t st;
	hl_error_t err = {0};
	T_EQ_INT(hl_statm_parse(buf, len, 4096, &st, &err), 0, "statm parses");
	T_EQ_INT(st.vsz_bytes, 19345LL * 4096, "statm size in bytes");
	T_EQ_INT(st.rss_bytes, 779LL * 4096, "statm resident in bytes");
	T_EQ_INT(st.shared_bytes, 401LL * 4096, "statm shared in bytes");
	T_OK(hl_statm_parse("12", 2, 4096, &st, &err) == HL_EPARSE, "statm with one field is an error");
	T_OK(hl_statm_parse("x y z", 5, 4096, &st, &err) == HL_EPARSE, "statm garbage is an error");
	T_OK(hl_statm_parse("99999999999999999999 1 1", 24, 4096, &st, &err) == HL_EPARSE,
	     "statm overflow is an error");
	free(buf);
}

/* The interesting regions of the captured process, by start address. */
static void check_regions(const hl_regions_t *r, bool smaps)
{
	T_EQ_INT(r->n, 30, "30 regions");
	const hl_region_t *heap = hl_regions_first(r, HL_REGION_BRK_HEAP);
	T_OK(heap != NULL, "a brk heap");
	if (!heap)
		return;
	T_EQ_INT(heap->start, 0x55da26364000ULL, "[heap] start");
	T_EQ_INT(heap->end, 0x55da263a7000ULL, "[heap] end");
	T_EQ_STR(heap->perms, "rw-p", "[heap] perms");
	T_EQ_INT(heap->rss_bytes, smaps ? 180 * KB : HL_UNKNOWN,
		 smaps ? "[heap] Rss from smaps" : "[heap] Rss unknown from maps");
	T_EQ_INT(heap->anonymous_bytes, smaps ? 180 * KB : HL_UNKNOWN, "[heap] Anonymous");

	const hl_region_t *ah = hl_regions_find(r, 0x7fa49c000000ULL);
	T_OK(ah && ah->cls == HL_REGION_ARENA_HEAP, "64 MiB-aligned rw-p is an arena heap");
	const hl_region_t *reserve = hl_regions_find(r, 0x7fa49c02e000ULL);
	T_OK(reserve && reserve->cls == HL_REGION_ARENA_HEAP,
	     "the ---p reserve after it belongs to the heap");
	T_OK(reserve && reserve->end == 0x7fa4a0000000ULL, "the reserve ends at the 64 MiB boundary");
	const hl_region_t *chunk = hl_regions_find(r, 0x7fa4a060d000ULL);
	T_OK(chunk && chunk->cls == HL_REGION_ANON_OTHER,
	     "without peek an mmapped chunk is only anon-other");
	T_OK(chunk && chunk->end - chunk->start == 1052672, "the 1 MiB chunk's mapping is 1 MiB + 4 KiB");
	if (smaps)
		T_EQ_INT(chunk ? chunk->rss_bytes : -2, 1028 * KB, "the chunk is resident");
	const hl_region_t *stack = hl_regions_first(r, HL_REGION_STACK);
	T_OK(stack && stack->start == 0x7fffdf2bf000ULL, "[stack]");
	const hl_region_t *libc = hl_regions_find(r, 0x7fa4a0f38000ULL);
	T_OK(libc && libc->cls == HL_REGION_FILE &&
		     !strcmp(libc->path, "/usr/lib/x86_64-linux-gnu/libc.so.6") &&
		     !strcmp(libc->perms, "r-xp") && libc->offset == 0x26000,
	     "libc text: file, path, perms, offset");
	const hl_region_t *vdso = hl_regions_find(r, 0x7fa4a1107000ULL);
	T_OK(vdso && vdso->cls == HL_REGION_OTHER, "[vdso] is other");
	T_OK(hl_regions_find(r, 0x1000) == NULL, "no region at 0x1000");
	T_EQ_STR(hl_region_class_name(HL_REGION_MMAP_CHUNK), "mmap-chunk", "class names");
}

/* Every prefix of a fixture: the parser must not crash; a cut inside a line
 * is an error or a shorter list, never a region with garbage in it. */
static void truncations(const char *name,
			int (*parse)(const char *, size_t, hl_regions_t *, hl_error_t *))
{
	size_t len;
	char *full = t_fixture(name, &len);
	int errors = 0, bad_results = 0;
	hl_regions_t r = {0};
	for (size_t cut = 0; cut < len; cut += 7) {
		char *copy = malloc(cut + 1); /* exact size: ASan sees any over-read */
		memcpy(copy, full, cut);
		hl_error_t err = {0};
		int rc = parse(copy, cut, &r, &err);
		if (rc)
			errors++;
		else
			for (size_t i = 0; i < r.n; i++)
				if (r.v[i].end < r.v[i].start || r.v[i].end == 0)
					bad_results++;
		if (rc && !err.msg[0])
			bad_results++;
		free(copy);
	}
	T_EQ_INT(bad_results, 0, "every truncation of the fixture: an error with a message or sane regions");
	T_OK(errors > 0, "truncations inside a line are refused (%d of them)", errors);
	hl_regions_free(&r);
	free(full);
}

static int fake_peek(void *ctx, uint64_t addr, void *out16)
{
	/* ctx: a table of {addr, prev_size, size} headers */
	const uint64_t(*h)[3] = ctx;
	for (int i = 0; h[i][0]; i++)
		if (h[i][0] == addr) {
			memcpy(out16, &h[i][1], 16);
			return 0;
		}
	return -14; /* -EFAULT */
}

static void test_classify_with_peek(void)
{
	const char *maps = "7f0000000000-7f0000101000 rw-p 00000000 00:00 0 \n"
			   "7f0000200000-7f0000302000 rw-p 00000000 00:00 0 \n"
			   "7f0000400000-7f0000401000 rw-p 00000000 00:00 0 \n"
			   "7f0004000000-7f0004021000 rw-p 00000000 00:00 0 \n"
			   "7f0004021000-7f0008000000 ---p 00000000 00:00 0 \n"
			   "7f0009000000-7f0009104000 rw-p 00000000 00:00 0 \n";
	static const uint64_t headers[][3] = {
		{0x7f0000000000ULL, 0, 0x101000 | 2},       /* one mmapped chunk */
		{0x7f0000200000ULL, 0, 0x81000 | 2},        /* two chunks merged */
		{0x7f0000281000ULL, 0, 0x81000 | 2},        /* into one mapping */
		{0x7f0000400000ULL, 0, 0x1000 | 1},         /* not mmapped */
		{0x7f0004000000ULL, 0x7f0004000020ULL, 0},  /* heap_info: ar_ptr, prev */
		{0x7f0004000010ULL, 0x21000, 0x21000},      /* size, mprotect_size */
		{0x7f0009000000ULL, 0, 0x101000 | 2},       /* a chunk merged with more */
		{0, 0, 0},
	};
	hl_regions_t r = {0};
	T_EQ_INT(hl_maps_parse(maps, strlen(maps), &r, NULL), 0, "synthetic maps parse");
	hl_region_classify(&r, fake_peek, (void *)headers);
	T_EQ_INT(r.v[0].cls, HL_REGION_MMAP_CHUNK, "a mapping that is one mmapped chunk");
	T_EQ_INT(r.v[1].cls, HL_REGION_MMAP_CHUNK, "a mapping tiled by two mmapped chunks");
	T_EQ_INT(r.v[2].cls, HL_REGION_ANON_OTHER, "a header without IS_MMAPPED is not a chunk");
	T_EQ_INT(r.v[3].cls, HL_REGION_ARENA_HEAP, "heap_info.size matches: an arena heap");
	T_EQ_INT(r.v[4].cls, HL_REGION_ARENA_HEAP, "its reserve too");
	T_EQ_INT(r.n, 7, "a chunk merged with its neighbour's mapping is split off");
	T_OK(r.n == 7 && r.v[5].cls == HL_REGION_MMAP_CHUNK && r.v[5].end == 0x7f0009101000ULL &&
		     r.v[6].cls == HL_REGION_ANON_OTHER && r.v[6].start == 0x7f0009101000ULL &&
		     r.v[6].end == 0x7f0009104000ULL,
	     "the chunk's part is mmap-chunk, the rest anon-other");
	hl_regions_free(&r);
}

int main(void)
{
	test_status();
	test_statm();

	size_t len;
	char *buf = t_fixture("proc_maps.txt", &len);
	hl_regions_t r = {0};
	hl_error_t err = {0};
	T_EQ_INT(hl_maps_parse(buf, len, &r, &err), 0, "maps parses");
	hl_region_classify(&r, NULL, NULL);
	check_regions(&r, false);
	free(buf);

	buf = t_fixture("proc_smaps.txt", &len);
	T_EQ_INT(hl_smaps_parse(buf, len, &r, &err), 0, "smaps parses");
	hl_region_classify(&r, NULL, NULL);
	check_regions(&r, true);
	int64_t rss = 0;
	for (size_t i = 0; i < r.n; i++)
		rss += r.v[i].rss_bytes;
	T_EQ_INT(rss, 3132 * KB, "smaps Rss summed over the 30 regions");
	/* smaps_rollup was read a moment later (copying smaps touched more
	 * stack): equal within 1%, not exactly */
	T_OK(rss * 100 >= 3136 * KB * 99, "summed Rss within 1%% of smaps_rollup's");
	free(buf);
	hl_regions_free(&r);

	buf = t_fixture("proc_smaps_rollup.txt", &len);
	hl_rollup_t ru;
	T_EQ_INT(hl_smaps_rollup_parse(buf, len, &ru, &err), 0, "smaps_rollup parses");
	T_EQ_INT(ru.rss_bytes, 3136 * KB, "rollup Rss");
	T_EQ_INT(ru.pss_bytes, 1795 * KB, "rollup Pss (not Pss_Dirty)");
	T_EQ_INT(ru.anonymous_bytes, 1532 * KB, "rollup Anonymous");
	T_EQ_INT(ru.private_dirty_bytes, 1544 * KB, "rollup Private_Dirty");
	T_EQ_INT(ru.swap_bytes, 0, "rollup Swap (not SwapPss)");
	T_OK(hl_smaps_rollup_parse("Rss: 1 kB\n", 10, &ru, &err) == HL_EPARSE,
	     "rollup without its header is an error");
	free(buf);

	truncations("proc_maps.txt", hl_maps_parse);
	truncations("proc_smaps.txt", hl_smaps_parse);

	const char *garbage[] = {"hello world\n", "0-1 rw-p\n", "zz-10 rw-p 0 00:00 0\n",
				 "10-0 rw-p 00000000 00:00 0\n", "10-20 rwxq 00000000 00:00 0\n"};
	for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
		err.msg[0] = '\0';
		T_OK(hl_maps_parse(garbage[i], strlen(garbage[i]), &r, &err) == HL_EPARSE &&
			     err.msg[0],
		     "maps garbage %zu refused: %s", i, err.msg);
	}
	const char *field_first = "Rss: 4 kB\n";
	T_OK(hl_smaps_parse(field_first, strlen(field_first), &r, &err) == HL_EPARSE,
	     "smaps field before any mapping is an error");
	hl_regions_free(&r);

	test_classify_with_peek();
	return t_done();
}
