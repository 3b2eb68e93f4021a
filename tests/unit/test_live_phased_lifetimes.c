/* test_live_phased_lifetimes.c — long-lived objects made after a burst pin
 * it; made before, the burst's free trims the heap. */
#include "live.h"

int main(void)
{
	hl_run_t run;
	live_run("phased_lifetimes", "", &run);
	const hl_phase_t *a = live_phase(&run, "allocated");
	const hl_phase_t *f = live_phase(&run, "temps_freed");
	T_OK(a->heap_bytes >= 128 * MiB, "a 128 MiB burst in the brk heap");
	T_OK(f->rss_bytes * 10 >= a->rss_bytes * 9, "default: RSS stays >= 90%% after the burst is freed");
	T_OK(f->mallinfo2.uordblks < MiB, "default: in use < 1 MiB");
	hl_run_free(&run);
	live_run("phased_lifetimes", "--reorder=1", &run);
	a = live_phase(&run, "allocated");
	f = live_phase(&run, "temps_freed");
	T_OK(f->rss_bytes * 10 <= a->rss_bytes, "--reorder=1: RSS <= 10%% (%lld)", (long long)f->rss_bytes);
	T_OK(f->heap_bytes < MiB, "--reorder=1: the heap shrank");
	hl_run_free(&run);
	return t_done();
}
