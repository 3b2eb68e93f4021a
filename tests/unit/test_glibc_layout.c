/*
 * test_glibc_layout.c — glibc's malloc layout from libc6-dbg: the builtin
 * 2.36 layout equals what the DWARF says, and the offsets are right: read
 * through them in this very process, main_arena and mp_ hold what glibc's
 * own mallinfo2 reports. The debug info is looked for by build ID in
 * $HEAPLAB_DEBUG_DIR, then under the tree the libc was loaded from (a
 * container's root, a glibc unpacked elsewhere), then /usr/lib/debug.
 */
#include <malloc.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heaplab.h"
#include "t.h"

static uint64_t libc_base(char *path, size_t pathsz)
{
	hl_buf_t b = {0};
	hl_regions_t r = {0};
	uint64_t base = 0;
	if (hl_procfs_read(0, "maps", &b, NULL) == 0 && hl_maps_parse(b.data, b.len, &r, NULL) == 0)
		for (size_t i = 0; i < r.n && !base; i++) {
			const char *slash = strrchr(r.v[i].path, '/');
			if (slash && !strncmp(slash + 1, "libc.so", 7) && r.v[i].offset == 0) {
				base = r.v[i].start;
				snprintf(path, pathsz, "%s", r.v[i].path);
			}
		}
	hl_regions_free(&r);
	hl_buf_free(&b);
	return base;
}

#define AT(base, off, type) (*(type *)((char *)(uintptr_t)(base) + (off)))

/* mkdir -p */
static void mkdirs(const char *path)
{
	char p[512];
	snprintf(p, sizeof p, "%s", path);
	for (char *c = p + 1; *c; c++)
		if (*c == '/') {
			*c = '\0';
			mkdir(p, 0755);
			*c = '/';
		}
	mkdir(p, 0755);
}

/* A tree holding this libc (lib/ or usr/lib/) and its debug file, each a
 * symlink to the host's: the walker must take the tree's debug file. */
static void debug_trees(const char *libc, const char *debug)
{
	const char *id = strstr(debug, ".build-id/");
	T_OK(id != NULL, "the host's debug file is named by build ID (%s)", debug);
	if (!id)
		return;
	char top[] = "/tmp/heaplab-tree-XXXXXX", a[512], b[512];
	T_OK(mkdtemp(top) != NULL, "a temporary tree");
	const char *libdirs[] = {"usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"};
	for (int i = 0; i < 2; i++) {
		snprintf(a, sizeof a, "%s/t%d/%s", top, i, libdirs[i]);
		mkdirs(a);
		snprintf(a, sizeof a, "%s/t%d/%s/libc.so.6", top, i, libdirs[i]);
		T_OK(symlink(libc, a) == 0, "tree %d: libc.so.6 in %s", i, libdirs[i]);
		snprintf(b, sizeof b, "%s/t%d/usr/lib/debug/%.13s", top, i, id);
		mkdirs(b);
		snprintf(b, sizeof b, "%s/t%d/usr/lib/debug/%s", top, i, id);
		T_OK(symlink(debug, b) == 0, "tree %d: its debug file under usr/lib/debug", i);
		hl_glibc_layout_t l;
		hl_error_t err = {0};
		T_EQ_INT(hl_glibc_layout_for_libc(a, &l, &err), 0, "tree %d: debug info found", i);
		char want[600];
		snprintf(want, sizeof want, "dwarf: %s", b);
		T_EQ_STR(l.method, want, "tree %d: the tree's own debug file is used", i);
	}
	/* $HEAPLAB_DEBUG_DIR comes first */
	snprintf(b, sizeof b, "%s/dbg/%.13s", top, id);
	mkdirs(b);
	snprintf(b, sizeof b, "%s/dbg/%s", top, id);
	T_OK(symlink(debug, b) == 0, "a debug dir of its own");
	snprintf(a, sizeof a, "%s/dbg", top);
	setenv("HEAPLAB_DEBUG_DIR", a, 1);
	hl_glibc_layout_t l;
	hl_error_t err = {0};
	snprintf(a, sizeof a, "%s/t0/usr/lib/x86_64-linux-gnu/libc.so.6", top);
	hl_glibc_layout_for_libc(a, &l, &err);
	unsetenv("HEAPLAB_DEBUG_DIR");
	char want[600];
	snprintf(want, sizeof want, "dwarf: %s", b);
	T_EQ_STR(l.method, want, "HEAPLAB_DEBUG_DIR is looked in first");
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	T_EQ_INT(system(cmd), 0, "the tree removed");
}

/* Every offset the walker reads, compared. */
static bool same_layout(const hl_glibc_layout_t *a, const hl_glibc_layout_t *b, char *why, size_t sz)
{
#define F(x)                                                                                     \
	if (a->x != b->x) {                                                                       \
		snprintf(why, sz, #x " %lld != %lld", (long long)a->x, (long long)b->x);            \
		return false;                                                                     \
	}
	F(ms_size) F(ms_fastbins) F(ms_top) F(ms_last_remainder) F(ms_bins) F(ms_binmap) F(ms_next)
	F(ms_system_mem) F(ms_max_system_mem) F(mp_size) F(mp_trim_threshold) F(mp_top_pad)
	F(mp_mmap_threshold) F(mp_n_mmaps) F(mp_no_dyn_threshold) F(mp_mmapped_mem) F(mp_sbrk_base)
	F(mp_tcache_count) F(hi_size) F(hi_ar_ptr) F(hi_prev) F(hi_hsize) F(tcache_size)
	F(tcache_entries) F(nfastbins) F(nbins) F(tcache_bins) F(tcache_slots) F(safe_linking)
	F(mallinfo_int)
#undef F
	return true;
}

/* Each glibc of the matrix: its builtin layout is what its DWARF says, the
 * builtin one is chosen by its banner without debug info, and the rules
 * (safe-linking, tcache slots, int mallinfo) are its version's. */
static void matrix(void)
{
	hl_glibc_env_t v[16];
	size_t n = hl_glibc_envs(v, 16);
	T_OK(n >= 4, "the matrix holds 4 glibcs or more: 2.31, 2.36, 2.41, 2.43 (%zu; else make "
		     "matrix)", n);
	for (size_t i = 0; i < n; i++) {
		char libc[700];
		snprintf(libc, sizeof libc, "%s/libc.so.6", v[i].host ? "/lib/x86_64-linux-gnu" : v[i].libdir);
		hl_glibc_layout_t d, b;
		hl_error_t err = {0};
		int rc = hl_glibc_layout_for_libc(libc, &d, &err);
		T_OK(rc == 0 && d.from_debug, "glibc %s: its DWARF is found (%s) %s", v[i].version,
		     d.method, err.msg);
		T_EQ_STR(d.version, v[i].version, "glibc %s: the banner says it", v[i].version);
		T_EQ_INT(hl_glibc_layout_builtin(v[i].version, &b), 0, "glibc %s has a builtin layout",
			 v[i].version);
		char why[200] = "";
		T_OK(same_layout(&d, &b, why, sizeof why),
		     "glibc %s: the builtin layout is its DWARF's, every offset and rule %s",
		     v[i].version, why);
		int minor = d.minor;
		T_OK(d.safe_linking == (minor >= 32) && d.mallinfo_int == (minor < 33) &&
			     d.tcache_slots == (minor >= 42) && (d.nfastbins == 0) == (minor >= 43),
		     "glibc %s: safe-linking %d, int mallinfo %d, tcache slots %d, fastbins %d",
		     v[i].version, d.safe_linking, d.mallinfo_int, d.tcache_slots, d.nfastbins);
		setenv("HEAPLAB_NO_DEBUGINFO", "1", 1);
		rc = hl_glibc_layout_for_libc(libc, &b, &err);
		unsetenv("HEAPLAB_NO_DEBUGINFO");
		char want[80];
		snprintf(want, sizeof want, "builtin glibc %s x86-64 layout", v[i].version);
		T_OK(rc == 1 && strstr(b.method, want) && strstr(b.method, "this very build"),
		     "glibc %s without debug info: %s", v[i].version, b.method);
	}
}

/* A libc whose banner names a version heaplab has no layout of (2.36's
 * file, its banner patched to 2.99): not walked without debug info, walked
 * with its DWARF (given as one file in $HEAPLAB_DEBUG_DIR); a debug file of
 * another build is refused, naming both build IDs. */
static void unknown(const char *libc, const char *debug)
{
	hl_buf_t b = {0};
	T_EQ_INT(hl_file_read(libc, &b, NULL), 0, "read %s", libc);
	char *at = memmem(b.data, b.len, "release version 2.36", 20);
	T_OK(at != NULL, "the banner is there");
	if (!at) {
		hl_buf_free(&b);
		return;
	}
	memcpy(at, "release version 2.99", 20);
	char path[] = "/tmp/heaplab-libc-XXXXXX";
	int fd = mkstemp(path);
	T_OK(fd >= 0 && write(fd, b.data, b.len) == (ssize_t)b.len, "a copy with banner 2.99");
	close(fd);
	hl_buf_free(&b);
	hl_glibc_layout_t l;
	hl_error_t err = {0};
	setenv("HEAPLAB_NO_DEBUGINFO", "1", 1);
	int rc = hl_glibc_layout_for_libc(path, &l, &err);
	unsetenv("HEAPLAB_NO_DEBUGINFO");
	T_OK(rc < 0 && strstr(err.msg, "glibc 2.99 is not a version") && strstr(err.msg, "2.31-2.34") &&
		     strstr(err.msg, "maps-level"),
	     "2.99 without debug info: refused, the known versions named: %s", err.msg);
	setenv("HEAPLAB_DEBUG_DIR", debug, 1);
	rc = hl_glibc_layout_for_libc(path, &l, &err);
	T_OK(rc == 0 && l.from_debug && !strcmp(l.version, "2.99") && l.safe_linking,
	     "2.99 with its DWARF: walked by it (%s), today's list rules", l.method);
	unlink(path);
	hl_glibc_env_t e;
	if (hl_glibc_env_find("trixie", &e, NULL) == 0) {
		char other[700];
		snprintf(other, sizeof other, "%s/libc.so.6", e.libdir);
		err.msg[0] = '\0';
		rc = hl_glibc_layout_for_libc(other, &l, &err);
		char id[128] = "", id2[128] = "";
		hl_glibc_build_id(other, id, sizeof id, NULL);
		hl_glibc_build_id(debug, id2, sizeof id2, NULL);
		T_OK(rc == HL_EPARSE && strstr(err.msg, id) && strstr(err.msg, id2) &&
			     strstr(err.msg, "refused"),
		     "2.41's libc with 2.36's debug file: refused, both build IDs named: %s", err.msg);
	} else {
		T_OK(false, "trixie is in the matrix (make matrix)");
	}
	unsetenv("HEAPLAB_DEBUG_DIR");
}

int main(void)
{
	char libc[256] = "";
	uint64_t base = libc_base(libc, sizeof libc);
	T_OK(base != 0, "libc is mapped at %#llx (%s)", (unsigned long long)base, libc);
	hl_glibc_layout_t l, b;
	hl_error_t err = {0};
	int rc = hl_glibc_layout_for_libc(libc, &l, &err);
	T_EQ_INT(rc, 0, "libc6-dbg's debug info is used");
	T_OK(!strncmp(l.method, "dwarf: /usr/lib/debug/.build-id/", 32), "method: %s", l.method);
	hl_glibc_layout_builtin("2.36", &b);
	T_EQ_INT(l.ms_size, b.ms_size, "sizeof(struct malloc_state) == builtin");
	T_EQ_INT(l.ms_top, b.ms_top, "malloc_state.top == builtin");
	T_EQ_INT(l.ms_bins, b.ms_bins, "malloc_state.bins == builtin");
	T_EQ_INT(l.ms_next, b.ms_next, "malloc_state.next == builtin");
	T_EQ_INT(l.ms_system_mem, b.ms_system_mem, "malloc_state.system_mem == builtin");
	T_EQ_INT(l.mp_mmap_threshold, b.mp_mmap_threshold, "malloc_par.mmap_threshold == builtin");
	T_EQ_INT(l.mp_n_mmaps, b.mp_n_mmaps, "malloc_par.n_mmaps == builtin");
	T_EQ_INT(l.mp_mmapped_mem, b.mp_mmapped_mem, "malloc_par.mmapped_mem == builtin");
	T_EQ_INT(l.mp_sbrk_base, b.mp_sbrk_base, "malloc_par.sbrk_base == builtin");
	T_EQ_INT(l.mp_tcache_count, b.mp_tcache_count, "malloc_par.tcache_count == builtin");
	T_EQ_INT(l.hi_size, b.hi_size, "sizeof(heap_info) == builtin");
	T_EQ_INT(l.tcache_entries, b.tcache_entries, "tcache_perthread_struct.entries == builtin");
	T_EQ_INT(l.nfastbins, 10, "NFASTBINS 10");
	T_EQ_INT(l.nbins, 128, "NBINS 128");
	if (!strncmp(l.method, "dwarf: ", 7)) {
		debug_trees(libc, l.method + 7);
		unknown(libc, l.method + 7);
	}
	matrix();

#ifdef __SANITIZE_ADDRESS__
	/* ASan replaces malloc: glibc's main_arena is not the allocator here */
	printf("# under ASan: the in-process checks of glibc's malloc are skipped\n");
	return t_done();
#endif
	/* through the offsets, in this process */
	void *keep[100];
	for (int i = 0; i < 100; i++)
		keep[i] = malloc(1000 + (size_t)i);
	/* libdw's freed buffers have already moved the mmap threshold (that is
	 * the drift) and left free chunks in the heap: 24 MiB is above both and
	 * below the 32 MiB cap of the drift */
	char *volatile big = malloc(24 << 20); /* volatile: the compiler must not drop it */
	big[0] = 1;
	struct mallinfo2 mi = mallinfo2();
	uint64_t ma = base + l.main_arena_off, mp = base + l.mp_off;
	T_EQ_INT(AT(ma, l.ms_system_mem, size_t), mi.arena, "main_arena.system_mem == mallinfo2.arena");
	T_EQ_INT(AT(ma, l.ms_next, uint64_t), ma, "main_arena.next == &main_arena (one arena)");
	size_t top = AT(AT(ma, l.ms_top, uint64_t), 8, size_t) & ~(size_t)7;
	T_EQ_INT(top, mi.keepcost, "chunksize(main_arena.top) == mallinfo2.keepcost");
	T_EQ_INT(AT(mp, l.mp_n_mmaps, int), mi.hblks, "mp_.n_mmaps == mallinfo2.hblks");
	T_EQ_INT(AT(mp, l.mp_mmapped_mem, size_t), mi.hblkhd, "mp_.mmapped_mem == mallinfo2.hblkhd");
	T_OK(AT(mp, l.mp_mmap_threshold, size_t) >= 128 * 1024, "mp_.mmap_threshold >= 128 KiB");
	T_EQ_INT(mi.hblks, 1, "the 24 MiB block is mmapped");
	T_EQ_INT(AT(mp, l.mp_tcache_count, size_t), 7, "mp_.tcache_count is 7");
	free((char *)big);
	T_EQ_INT(AT(mp, l.mp_mmap_threshold, size_t), (24 << 20) + 4096,
		 "freeing the 24 MiB chunk moved mp_.mmap_threshold to its size");
	T_EQ_INT(AT(mp, l.mp_trim_threshold, size_t), 2 * ((24 << 20) + 4096),
		 "and mp_.trim_threshold to twice that");
	for (int i = 0; i < 100; i++)
		free(keep[i]);

	T_OK(hl_glibc_layout_from_debug("/nonexistent.debug", &l, &err) < 0 &&
		     strstr(err.msg, "libc6-dbg"),
	     "a missing debug file names libc6-dbg: %s", err.msg);
	T_OK(hl_glibc_layout_from_debug("/bin/sh", &l, &err) < 0, "a file without DWARF is refused");
	return t_done();
}
