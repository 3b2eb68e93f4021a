/* test_live_mmap_threshold_drift.c — after one mmapped block is freed, the
 * same requests land in the brk heap and are retained; a fixed threshold
 * stops the drift. */
#include "live.h"

int main(void)
{
	hl_run_t run;
	char dir[256];
	live_run("mmap_threshold_drift", "", &run);
	const hl_phase_t *s = live_phase(&run, "start");
	const hl_phase_t *first = live_phase(&run, "first");
	const hl_phase_t *d = live_phase(&run, "drifted");
	const hl_phase_t *f = live_phase(&run, "freed");
	T_EQ_INT(live_obs(first, "block_in_brk_heap"), 0, "first 1 MiB block: mmapped");
	T_EQ_INT(first->mallinfo2.hblks, 1, "mallinfo2 counts one mmapped chunk");
	T_EQ_INT(live_obs(d, "block_in_brk_heap"), 1, "after the free: the next block is in the brk heap");
	T_EQ_INT(live_obs(d, "blocks_in_brk_heap"), 64, "all 64 blocks are");
	T_EQ_INT(d->mallinfo2.hblks, 0, "no mmapped chunks");
	T_OK(d->heap_bytes >= 64 * MiB, "the brk heap grew to hold them");
	T_OK(f->rss_bytes >= s->rss_bytes + 63 * MiB,
	     "freed: RSS stays >= 63 MiB above start (%lld vs %lld)", (long long)f->rss_bytes,
	     (long long)s->rss_bytes);
	hl_run_free(&run);

	int rc = live_run_full("mmap_threshold_drift",
			       "--quiet --tunable glibc.malloc.mmap_threshold=131072", "--hold_ms=0",
			       &run, NULL, dir);
	T_EQ_INT(rc, 0, "fixed threshold: exits 0");
	s = live_phase(&run, "start");
	d = live_phase(&run, "drifted");
	f = live_phase(&run, "freed");
	T_EQ_INT(live_obs(d, "blocks_in_brk_heap"), 0, "fixed threshold: no block in the brk heap");
	T_EQ_INT(d->mallinfo2.hblks, 64, "all 64 are mmapped chunks");
	T_OK(f->rss_bytes <= s->rss_bytes + MiB, "freed: RSS back within 1 MiB of start");
	hl_run_free(&run);

	/* MALLOC_MMAP_THRESHOLD_ in the environment does the same */
	rc = live_run_full("mmap_threshold_drift", "--quiet --env MALLOC_MMAP_THRESHOLD_=131072",
			   "--hold_ms=0", &run, NULL, dir);
	d = live_phase(&run, "drifted");
	T_OK(rc == 0 && live_obs(d, "blocks_in_brk_heap") == 0,
	     "MALLOC_MMAP_THRESHOLD_=131072 (--env): no drift either");
	T_EQ_STR(run.env, "MALLOC_MMAP_THRESHOLD_=131072", "run.json records the --env setting");
	hl_run_free(&run);
	return t_done();
}
