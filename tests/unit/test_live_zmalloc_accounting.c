/* test_live_zmalloc_accounting.c — a Redis-style counter falls with
 * deletions, RSS does not; the fragmentation ratio climbs. */
#include "live.h"

int main(void)
{
	hl_run_t run;
	live_run("zmalloc_accounting", "", &run);
	const hl_phase_t *f = live_phase(&run, "filled");
	const hl_phase_t *d = live_phase(&run, "deleted");
	double uf = live_obs(f, "used_memory"), ud = live_obs(d, "used_memory");
	T_OK(ud <= uf * 0.25 && ud >= uf * 0.15, "used_memory falls to ~20%% (%.0f of %.0f)", ud, uf);
	T_OK(d->rss_bytes * 10 >= f->rss_bytes * 9, "RSS stays >= 90%%");
	double rf = live_obs(f, "mem_fragmentation_ratio"), rd = live_obs(d, "mem_fragmentation_ratio");
	T_OK(rf > 0.9 && rf < 1.3, "filled: ratio ~1.1 (%.2f)", rf);
	T_OK(rd >= 4.0, "deleted: ratio >= 4 (%.2f)", rd);
	/* the counter agrees with glibc's own in use: uordblks counts whole
	 * chunks, usable size + the 8-byte size field, for each of the 500,000
	 * keys, plus the lab's few KiB */
	double gap = (double)f->mallinfo2.uordblks - uf;
	T_OK(gap >= 500000.0 * 8 && gap < 500000.0 * 8 + 64 * 1024,
	     "mallinfo2 in use = used_memory + 8 B per key (+ < 64 KiB): %.0f B apart", gap);
	T_OK(live_obs(f, "used_memory_prefix") < uf, "prefix accounting counts less than usable sizes");
	T_EQ_INT(hl_figures_frag_ratio(d->rss_bytes, (int64_t)ud) >= 4.0, 1,
		 "the same ratio from the harness's figures");
	hl_run_free(&run);
	return t_done();
}
