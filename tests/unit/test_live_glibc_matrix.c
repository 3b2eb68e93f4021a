/*
 * test_live_glibc_matrix.c — another Debian suite's glibc beside the
 * system's: scripts/glibc.sh fetches trixie's libc6 and libc6-dbg (glibc
 * 2.41) from the archive this machine's apt uses into its cache
 * ($HEAPLAB_GLIBC_CACHE, else ~/.cache/heaplab/glibc), a program runs under
 * it through
 * its own loader, and the walker reads that process with that glibc's own
 * debug info, found by build ID in the tree the libc was loaded from: the
 * totals equal the target's own mallinfo2, in four threads' arenas too. A
 * fetch that fails (the archive out of reach) fails the test, saying so.
 */
#include "live.h"

/* the cache scripts/glibc.sh uses */
static void cache_dir(char *out, size_t sz)
{
	const char *c = getenv("HEAPLAB_GLIBC_CACHE"), *home = getenv("HOME");
	if (c && *c)
		snprintf(out, sz, "%s", c);
	else
		snprintf(out, sz, "%s/.cache/heaplab/glibc", home && *home ? home : "/root");
}

static bool read_line(const char *path, char *out, size_t sz)
{
	FILE *f = fopen(path, "r");
	bool ok = f && fgets(out, (int)sz, f);
	if (f)
		fclose(f);
	out[ok ? strcspn(out, "\n") : 0] = '\0';
	return ok && out[0];
}

int main(void)
{
	char dir[400], path[512];
	cache_dir(dir, sizeof dir);
	int rc = system("sh scripts/glibc.sh fetch trixie >build/glibc-fetch.log 2>&1");
	T_EQ_INT(rc, 0, "trixie's glibc fetched into %s (if not: a download failed, see "
		 "build/glibc-fetch.log)", dir);
	char ver[64], ld[512], libdir[512];
	snprintf(path, sizeof path, "%s/trixie/version", dir);
	bool have = read_line(path, ver, sizeof ver);
	snprintf(path, sizeof path, "%s/trixie/ld", dir);
	have = have && read_line(path, ld, sizeof ld);
	snprintf(path, sizeof path, "%s/trixie/libdir", dir);
	have = have && read_line(path, libdir, sizeof libdir);
	T_OK(have && !strncmp(ver, "2.4", 3), "the cache says glibc %s, its loader and libc folder",
	     have ? ver : "?");
	if (!have)
		return t_done();
	char *argv[] = {ld, "--library-path", libdir, "build/tests/helpers/heap_shape", "mixed",
			"--gib=0.25", "--threads=4", NULL};
	live_shape_t t;
	T_OK(live_shape_start(&t, argv), "heap_shape runs under glibc %s", ver);
	if (!t.pid)
		return t_done();
	hl_glibc_layout_t cache;
	memset(&cache, 0, sizeof cache);
	for (int exact = 0; exact < 2; exact++) {
		hl_walk_t w;
		const char *how = exact ? "an exact walk" : "a default walk";
		T_EQ_INT(hl_walk_process_opts(t.pid, &cache, exact ? HL_WALK_EXACT : 0, &w, NULL), 0,
			 "%s of it", how);
		T_OK(!strncmp(w.method, "dwarf: ", 7) && strstr(w.method, "/trixie/root/usr/lib/debug/"),
		     "%s: with that glibc's debug info, from its own tree (%s)", how, w.method);
		const hl_mallinfo_t *m = &t.mi, *g = &w.mallinfo2;
		T_OK(w.complete && m->arena == g->arena && m->ordblks == g->ordblks &&
			     m->smblks == g->smblks && m->uordblks == g->uordblks &&
			     m->fordblks == g->fordblks && m->keepcost == g->keepcost &&
			     m->hblks == g->hblks && m->hblkhd == g->hblkhd,
		     "%s: the totals are the target's own mallinfo2 (arena %lld/%lld, ordblks "
		     "%lld/%lld, uordblks %lld/%lld) %s",
		     how, (long long)m->arena, (long long)g->arena, (long long)m->ordblks,
		     (long long)g->ordblks, (long long)m->uordblks, (long long)g->uordblks, w.warning);
		T_OK(w.narenas == 5 && w.tcache_structs >= 5, "%s: 5 arenas, a tcache per thread (%lld)",
		     how, (long long)w.tcache_structs);
		hl_walk_free(&w);
	}
	live_shape_stop(&t);
	return t_done();
}
