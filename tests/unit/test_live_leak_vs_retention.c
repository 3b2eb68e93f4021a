/* test_live_leak_vs_retention.c — the verdict tells a leak from retention
 * by itself, from in use against RSS. */
#include "live.h"

int main(void)
{
	hl_run_t run;
	hl_verdict_t v;
	char dir[256];
	hl_buf_t out = {0};
	int rc = live_run_full("leak_vs_retention", "", "--hold_ms=0 --leak=1", &run, &out, dir);
	T_EQ_INT(rc, 0, "leak run exits 0");
	hl_figures_verdict(&run, &v);
	T_EQ_INT(v.kind, HL_VERDICT_LEAK, "--leak=1: the verdict is leak");
	T_OK(out.data && strstr(out.data, "verdict: leak: in-use grew at every phase"),
	     "and the harness prints it");
	const hl_phase_t *r1 = live_phase(&run, "round1_allocated");
	const hl_phase_t *r4 = live_phase(&run, "round4_allocated");
	T_OK(r4->mallinfo2.uordblks >= 4 * r1->mallinfo2.uordblks - MiB,
	     "in use at round 4 ~ 4x round 1");
	hl_run_free(&run);
	hl_buf_free(&out);

	rc = live_run_full("leak_vs_retention", "", "--hold_ms=0 --leak=0", &run, &out, dir);
	T_EQ_INT(rc, 0, "retention run exits 0");
	hl_figures_verdict(&run, &v);
	T_EQ_INT(v.kind, HL_VERDICT_RETENTION, "--leak=0: the verdict is retention");
	T_OK(out.data && strstr(out.data, "verdict: retention:"), "and the harness prints it");
	const hl_phase_t *f4 = live_phase(&run, "round4_freed");
	r1 = live_phase(&run, "round1_allocated");
	T_OK(f4->mallinfo2.uordblks < MiB, "in use after the last free < 1 MiB");
	T_OK(f4->rss_bytes >= r1->rss_bytes - MiB, "RSS still at least round 1's peak");
	hl_run_free(&run);
	hl_buf_free(&out);
	return t_done();
}
