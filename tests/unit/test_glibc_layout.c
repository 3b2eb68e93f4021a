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
	if (!strncmp(l.method, "dwarf: ", 7))
		debug_trees(libc, l.method + 7);

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
