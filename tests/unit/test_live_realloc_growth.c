/* test_live_realloc_growth.c — a doubling buffer lives in the brk heap, then
 * in its own mapping past the threshold; free unmaps it whole. */
#include "live.h"

int main(void)
{
	hl_run_t run;
	live_run("realloc_growth", "", &run);
	const hl_phase_t *st = live_phase(&run, "start");
	const hl_phase_t *sm = live_phase(&run, "small");
	const hl_phase_t *cr = live_phase(&run, "crossed");
	const hl_phase_t *gr = live_phase(&run, "grown");
	const hl_phase_t *fr = live_phase(&run, "freed");
	T_EQ_INT(live_obs(sm, "in_brk_heap"), 1, "64 KiB: in the brk heap");
	T_EQ_INT(live_obs(sm, "mmapped"), 0, "64 KiB: not mmapped");
	T_EQ_INT(live_obs(cr, "mmapped"), 1, "256 KiB: mmapped (past the 128 KiB threshold)");
	T_EQ_INT(cr->mallinfo2.hblks, 1, "mallinfo2: one mmapped chunk");
	T_EQ_INT(live_obs(gr, "capacity"), 64 * MiB, "grown to 64 MiB");
	T_OK(gr->mallinfo2.hblkhd >= 64 * MiB, "hblkhd >= 64 MiB");
	T_EQ_INT(fr->mallinfo2.hblks, 0, "freed: no mmapped chunk left");
	T_OK(fr->rss_bytes <= st->rss_bytes + MiB, "freed: RSS within 1 MiB of start (%lld vs %lld)",
	     (long long)fr->rss_bytes, (long long)st->rss_bytes);
	hl_run_free(&run);
	return t_done();
}
