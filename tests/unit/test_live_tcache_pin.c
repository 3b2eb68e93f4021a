/* test_live_tcache_pin.c — a pin freed into tcache still pins the heap;
 * with tcache_count=0 the same free trims it. Numbers from this glibc. */
#include "live.h"

int main(void)
{
	hl_run_t run;
	char dir[256];
	live_run("tcache_pin", "", &run);
	const hl_phase_t *a = live_phase(&run, "allocated");
	const hl_phase_t *pf = live_phase(&run, "pin_freed");
	const hl_phase_t *f = live_phase(&run, "freed");
	T_OK(a->rss_bytes >= 256 * MiB, "allocated: RSS >= 256 MiB");
	T_EQ_INT(pf->mallinfo2.uordblks, a->mallinfo2.uordblks,
		 "pin_freed: the pin in tcache still counts as in use (uordblks unchanged)");
	T_OK(f->mallinfo2.uordblks < MiB, "freed: in use under 1 MiB");
	T_OK(f->rss_bytes * 10 >= a->rss_bytes * 9, "freed: RSS stays >= 90%% (%lld of %lld)",
	     (long long)f->rss_bytes, (long long)a->rss_bytes);
	T_OK(f->heap_bytes * 10 >= a->heap_bytes * 9, "freed: the brk heap did not shrink");
	hl_run_free(&run);

	int rc = live_run_full("tcache_pin", "--quiet --tunable glibc.malloc.tcache_count=0",
			       "--hold_ms=0", &run, NULL, dir);
	T_EQ_INT(rc, 0, "with tcache_count=0: exits 0");
	T_EQ_STR(run.tunables, "glibc.malloc.tcache_count=0", "run.json records the tunable");
	a = live_phase(&run, "allocated");
	f = live_phase(&run, "freed");
	T_OK(f->rss_bytes * 10 <= a->rss_bytes, "tcache_count=0: RSS at freed <= 10%% (%lld)",
	     (long long)f->rss_bytes);
	T_OK(f->heap_bytes < MiB, "tcache_count=0: the brk heap shrank below 1 MiB (%lld)",
	     (long long)f->heap_bytes);
	hl_run_free(&run);
	return t_done();
}
