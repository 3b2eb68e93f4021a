/* test_live_swiss_cheese.c — malloc_trim gives back whole pages inside
 * holes only: every 2nd 4 KiB block kept releases < 1%, every 16th > 80%. */
#include "live.h"

static double released(const char *args, double *freed)
{
	hl_run_t run;
	live_run("swiss_cheese", args, &run);
	const hl_phase_t *t = live_phase(&run, "trimmed");
	double frac = live_obs(t, "released_fraction");
	*freed = live_obs(t, "freed_bytes");
	const hl_phase_t *h = live_phase(&run, "holes");
	/* the harness's own RSS figures agree with the experiment's */
	double fell = (double)(h->rss_bytes - t->rss_bytes);
	T_OK(fell >= live_obs(t, "released_bytes") - 64 * 1024 &&
		     fell <= live_obs(t, "released_bytes") + 64 * 1024,
	     "%s: /proc agrees with released_bytes within 64 KiB", args);
	hl_run_free(&run);
	return frac;
}

int main(void)
{
	double freed;
	double k2 = released("--keep_every=2", &freed);
	T_EQ_INT(freed, 32768LL * 4096, "k=2: half the 65,536 blocks freed");
	T_OK(k2 < 0.01, "k=2, 4 KiB: releases < 1%% (%.4f)", k2);
	double k4 = released("--keep_every=4", &freed);
	T_OK(k4 > 0.60 && k4 < 0.70, "k=4: about two thirds (%.3f): 2 whole pages per 3-block hole", k4);
	double k16 = released("--keep_every=16", &freed);
	T_OK(k16 > 0.80, "k=16: releases > 80%% (%.3f)", k16);
	double big = released("--keep_every=2 --size=16384", &freed);
	T_OK(big > 0.70, "k=2 with 16 KiB blocks: holes hold 3 whole pages of 4 (%.3f)", big);
	return t_done();
}
