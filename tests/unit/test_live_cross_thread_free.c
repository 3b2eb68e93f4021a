/* test_live_cross_thread_free.c — what the main thread frees goes back to
 * the producer's arena and is held there, also after the producer exits. */
#include "live.h"

int main(void)
{
	hl_run_t run;
	live_run("cross_thread_free", "", &run);
	const char *names[] = {"consumed", "producer_exited"};
	const hl_phase_t *p = live_phase(&run, "produced");
	for (int i = 0; i < 2; i++) {
		const hl_phase_t *c = live_phase(&run, names[i]);
		T_OK(c->malloc_info_valid && c->malloc_info.narenas == 2, "%s: two arenas", names[i]);
		if (c->malloc_info.narenas != 2)
			continue;
		const hl_mi_arena_t *a0 = &c->malloc_info.arenas[0], *a1 = &c->malloc_info.arenas[1];
		T_OK(a1->rest_bytes >= 64 * MiB, "%s: arena 1 holds the 64 MiB as free (%lld)",
		     names[i], (long long)a1->rest_bytes);
		T_OK(a0->rest_bytes < MiB, "%s: the main arena's free bytes stay < 1 MiB (%lld)",
		     names[i], (long long)a0->rest_bytes);
		T_OK(c->rss_bytes * 10 >= p->rss_bytes * 9, "%s: RSS stays", names[i]);
	}
	hl_run_free(&run);
	return t_done();
}
