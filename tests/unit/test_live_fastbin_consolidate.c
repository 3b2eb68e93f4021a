/* test_live_fastbin_consolidate.c — fastbins hold small frees unmerged
 * (exact counts from mallinfo2) until a large request consolidates them;
 * the next free trims the heap. */
#include "live.h"

int main(void)
{
	hl_run_t run;
	live_run("fastbin_consolidate", "--blocks=200000", &run);
	const hl_phase_t *a = live_phase(&run, "allocated");
	const hl_phase_t *f = live_phase(&run, "freed");
	const hl_phase_t *c = live_phase(&run, "consolidated");
	const hl_phase_t *l = live_phase(&run, "large_freed");
	/* 40 B requests are 48 B chunks; tcache keeps 7 of one size */
	T_EQ_INT(f->mallinfo2.smblks, 200000 - 7, "freed: blocks - 7 chunks in fastbins");
	T_EQ_INT(f->mallinfo2.fsmblks, (200000 - 7) * 48LL, "freed: fsmblks = that many x 48 B");
	T_OK(f->malloc_info_valid && f->malloc_info.total.fast_count == 200000 - 7,
	     "malloc_info agrees: fast count");
	T_OK(f->rss_bytes + MiB >= a->rss_bytes, "freed: RSS stays (%lld vs %lld)",
	     (long long)f->rss_bytes, (long long)a->rss_bytes);
	T_EQ_INT(c->mallinfo2.smblks, 0, "consolidated: no fastbin chunks left");
	T_OK(c->rss_bytes + MiB >= a->rss_bytes, "consolidated: malloc does not trim, RSS stays");
	T_OK(l->heap_bytes < MiB, "large_freed: the free trimmed the heap (%lld)",
	     (long long)l->heap_bytes);
	T_OK(a->rss_bytes - l->rss_bytes >= 8 * MiB, "large_freed: RSS fell by the ~9 MiB held");
	hl_run_free(&run);
	return t_done();
}
