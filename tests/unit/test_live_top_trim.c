/* test_live_top_trim.c — free trims the top past M_TRIM_THRESHOLD; a
 * higher threshold keeps the same memory resident. */
#include "live.h"

int main(void)
{
	hl_run_t run;
	char dir[256];
	live_run("top_trim", "", &run);
	const hl_phase_t *a = live_phase(&run, "allocated");
	const hl_phase_t *f = live_phase(&run, "freed");
	T_OK(a->heap_bytes >= 256 * MiB, "allocated: a 256 MiB brk heap");
	T_OK(f->heap_bytes < MiB, "default: free shrank the heap itself (%lld)",
	     (long long)f->heap_bytes);
	T_OK(f->rss_bytes * 10 <= a->rss_bytes, "default: RSS <= 10%% at freed");
	hl_run_free(&run);

	int rc = live_run_full("top_trim", "--quiet --tunable glibc.malloc.trim_threshold=1073741824",
			       "--hold_ms=0", &run, NULL, dir);
	T_EQ_INT(rc, 0, "trim_threshold=1 GiB: exits 0");
	a = live_phase(&run, "allocated");
	f = live_phase(&run, "freed");
	T_OK(f->heap_bytes * 10 >= a->heap_bytes * 9, "trim_threshold=1 GiB: the heap stays");
	T_OK(f->rss_bytes * 10 >= a->rss_bytes * 9, "trim_threshold=1 GiB: RSS stays >= 90%%");
	T_OK(f->mallinfo2.keepcost >= 256 * MiB, "keepcost (the releasable top) >= 256 MiB");
	hl_run_free(&run);

	/* bottom-up frees end the same way: the last free merges into top */
	live_run("top_trim", "--reverse=0", &run);
	f = live_phase(&run, "freed");
	T_OK(f->heap_bytes < MiB, "bottom-up free: the heap shrank too");
	hl_run_free(&run);
	return t_done();
}
