/* test_live_arena_bloat.c — 16 threads on this machine make >= 8 arenas,
 * each reserving a 64 MiB heap; arena_max caps the count exactly. */
#include "live.h"

static void capped(int max, int64_t uncapped_vsz)
{
	hl_run_t run;
	char dir[256], opts[128];
	snprintf(opts, sizeof opts, "--quiet --tunable glibc.malloc.arena_max=%d", max);
	int rc = live_run_full("arena_bloat", opts, "--hold_ms=0", &run, NULL, dir);
	T_EQ_INT(rc, 0, "arena_max run exits 0");
	const hl_phase_t *a = live_phase(&run, "allocated");
	T_OK(a->malloc_info_valid, "malloc_info recorded");
	T_EQ_INT(a->malloc_info.narenas, max, "arena_max=N gives exactly N arenas");
	/* (what stays resident after the free depends on how the threads'
	 * blocks and pins interleave in the shared arenas: not asserted) */
	T_OK(a->vsz_bytes * 2 < uncapped_vsz, "arena_max=%d: VSZ under half the uncapped %lld (%lld)",
	     max, (long long)uncapped_vsz, (long long)a->vsz_bytes);
	hl_run_free(&run);
}

int main(void)
{
	hl_run_t run;
	live_run("arena_bloat", "", &run);
	const hl_phase_t *a = live_phase(&run, "allocated");
	const hl_phase_t *f = live_phase(&run, "freed");
	T_EQ_INT(live_obs(a, "threads"), 16, "16 threads");
	T_OK(a->malloc_info.narenas >= 8, "16 threads make >= 8 arenas (%zu)", a->malloc_info.narenas);
	size_t heaps = 0;
	for (size_t i = 1; i < a->malloc_info.narenas; i++)
		heaps += a->malloc_info.arenas[i].subheaps > 0;
	T_EQ_INT(heaps, a->malloc_info.narenas - 1, "every non-main arena has a heap");
	/* each non-main arena reserves 64 MiB of address space */
	T_OK(a->vsz_bytes >= (int64_t)(a->malloc_info.narenas - 1) * 64 * MiB,
	     "VSZ >= 64 MiB per non-main arena (%lld)", (long long)a->vsz_bytes);
	T_OK(a->mallinfo2.uordblks >= 16 * 8 * MiB, "in use: 16 x 8 MiB");
	T_OK(f->mallinfo2.uordblks < MiB, "freed: in use < 1 MiB");
	T_OK(f->rss_bytes * 10 >= a->rss_bytes * 9, "freed: RSS stays (pinned in every arena)");
	int64_t sys = 0;
	for (size_t i = 0; i < a->malloc_info.narenas; i++)
		sys += a->malloc_info.arenas[i].system_current_bytes;
	T_EQ_INT(sys, a->mallinfo2.arena, "malloc_info's arenas add up to mallinfo2.arena");
	int64_t vsz = a->vsz_bytes;
	hl_run_free(&run);
	capped(1, vsz);
	capped(2, vsz);
	return t_done();
}
