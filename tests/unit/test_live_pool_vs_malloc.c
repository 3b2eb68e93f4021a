/* test_live_pool_vs_malloc.c — a pool keeps everything until destroyed, then
 * returns it whole; malloc'd objects freed leave RSS (and fastbins) behind. */
#include "live.h"

int main(void)
{
	hl_run_t run;
	live_run("pool_vs_malloc", "--objects=400000", &run);
	const hl_phase_t *fi = live_phase(&run, "filled");
	const hl_phase_t *re = live_phase(&run, "released");
	const hl_phase_t *de = live_phase(&run, "destroyed");
	T_EQ_INT(re->mallinfo2.uordblks, fi->mallinfo2.uordblks,
		 "pool: releasing objects changes nothing in use");
	T_OK(re->rss_bytes * 10 >= fi->rss_bytes * 9, "pool: RSS stays at released");
	T_OK(de->heap_bytes < MiB, "pool: destroy shrinks the heap (%lld)", (long long)de->heap_bytes);
	T_OK(fi->rss_bytes - de->rss_bytes >= 40 * MiB, "pool: destroy gives the blocks back");
	hl_run_free(&run);

	/* the default million: the fastbin effect at 'destroyed' depends on
	 * the exact sequence, which the fixed seed makes the same every run */
	live_run("pool_vs_malloc", "--pool=0", &run);
	fi = live_phase(&run, "filled");
	re = live_phase(&run, "released");
	de = live_phase(&run, "destroyed");
	T_OK(re->mallinfo2.uordblks * 100 <= fi->mallinfo2.uordblks * 15,
	     "malloc: in use ~10%% at released (%lld of %lld)", (long long)re->mallinfo2.uordblks,
	     (long long)fi->mallinfo2.uordblks);
	T_OK(re->rss_bytes * 10 >= fi->rss_bytes * 9, "malloc: RSS stays >= 90%% at released");
	T_OK(de->mallinfo2.uordblks < MiB, "malloc: everything freed at destroyed");
	T_OK(de->mallinfo2.smblks > 1000, "malloc: thousands of chunks sit in fastbins (%lld)",
	     (long long)de->mallinfo2.smblks);
	T_OK(de->rss_bytes * 10 >= fi->rss_bytes * 9, "malloc: RSS still >= 90%% with nothing in use");
	hl_run_free(&run);
	return t_done();
}
