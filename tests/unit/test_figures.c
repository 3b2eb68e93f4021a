/* test_figures.c — the verdict and the ratios on hand-made runs whose
 * answer is known: retention (brk_pin's numbers), released (--pin=0), leak,
 * nothing freed, and no allocator figures. */
#include "heaplab.h"
#include "t.h"

static void phase(hl_run_t *run, const char *name, int64_t rss, int64_t uord, int64_t hblkhd,
		  bool trim)
{
	hl_phase_t ph;
	memset(&ph, 0, sizeof ph);
	snprintf(ph.name, sizeof ph.name, "%s", name);
	ph.rss_bytes = rss;
	ph.vsz_bytes = rss;
	ph.mallinfo2.valid = uord >= 0;
	ph.mallinfo2.uordblks = uord;
	ph.mallinfo2.hblkhd = hblkhd;
	if (trim)
		hl_phase_observe(&ph, "malloc_trim", 1);
	hl_run_add_phase(run, &ph);
}

int main(void)
{
	hl_run_t run;
	hl_verdict_t v;

	/* brk_pin as measured: RSS stays at 'freed', malloc_trim releases. */
	hl_run_init(&run);
	phase(&run, "allocated", 1081344000, 1077940000, 0, false);
	phase(&run, "freed", 1081548800, 1100, 0, false);
	phase(&run, "trimmed", 3788800, 1100, 0, true);
	hl_figures_verdict(&run, &v);
	T_EQ_INT(v.kind, HL_VERDICT_RETENTION, "brk_pin is retention");
	T_OK(strstr(v.text, "retention: in-use fell 100.0% but RSS fell 0.0% at 'freed'") != NULL,
	     "retention text: %s", v.text);
	T_OK(strstr(v.text, "malloc_trim released 1.0 GiB at 'trimmed'") != NULL,
	     "names what malloc_trim released");
	hl_run_free(&run);

	/* --pin=0: RSS follows the free. */
	hl_run_init(&run);
	phase(&run, "allocated", 1081344000, 1077940000, 0, false);
	phase(&run, "freed", 3788800, 1100, 0, false);
	hl_figures_verdict(&run, &v);
	T_EQ_INT(v.kind, HL_VERDICT_RELEASED, "no pin is released");
	T_OK(strstr(v.text, "RSS fell 99.6%") != NULL, "released text: %s", v.text);
	hl_run_free(&run);

	/* A leak: in use grows at every phase. */
	hl_run_init(&run);
	phase(&run, "round1", 10 << 20, 8 << 20, 0, false);
	phase(&run, "round2", 20 << 20, 16 << 20, 0, false);
	phase(&run, "round3", 30 << 20, 24 << 20, 1 << 20, false);
	hl_figures_verdict(&run, &v);
	T_EQ_INT(v.kind, HL_VERDICT_LEAK, "growing in-use is a leak");
	T_OK(strstr(v.text, "from 8.0 MiB at 'round1' to 25.0 MiB at 'round3'") != NULL,
	     "leak text counts mmapped chunks: %s", v.text);
	hl_run_free(&run);

	/* Rounds that each add a pin: the verdict speaks of the first round,
	 * and half freed is freed. */
	hl_run_init(&run);
	phase(&run, "r1_allocated", 40 << 20, 32 << 20, 0, false);
	phase(&run, "r1_freed", 40 << 20, 4096, 0, false);
	phase(&run, "r2_allocated", 40 << 20, (32 << 20) + 4096, 0, false);
	phase(&run, "r2_freed", 40 << 20, 8192, 0, false);
	hl_figures_verdict(&run, &v);
	T_OK(v.kind == HL_VERDICT_RETENTION && strstr(v.text, "at 'r1_freed'"),
	     "the peak is the first phase within 1%%: %s", v.text);
	hl_run_free(&run);
	hl_run_init(&run);
	phase(&run, "allocated", 300 << 20, 256 << 20, 0, false);
	phase(&run, "holes", 300 << 20, 128 << 20, 0, false);
	hl_figures_verdict(&run, &v);
	T_OK(v.kind == HL_VERDICT_RETENTION && strstr(v.text, "in-use fell 50.0%"),
	     "half freed, RSS kept: retention: %s", v.text);
	hl_run_free(&run);

	/* Nothing freed. */
	hl_run_init(&run);
	phase(&run, "a", 10 << 20, 8 << 20, 0, false);
	phase(&run, "b", 10 << 20, 7 << 20, 0, false);
	hl_figures_verdict(&run, &v);
	T_EQ_INT(v.kind, HL_VERDICT_NONE, "a small fall is not a free");
	hl_run_free(&run);

	/* No allocator figures (another allocator): unknown, never a number. */
	hl_run_init(&run);
	snprintf(run.allocator, sizeof run.allocator, "jemalloc");
	phase(&run, "a", 10 << 20, -1, 0, false);
	phase(&run, "b", 1 << 20, -1, 0, false);
	hl_figures_verdict(&run, &v);
	T_EQ_INT(v.kind, HL_VERDICT_UNKNOWN, "no mallinfo2 gives unknown");
	T_OK(strstr(v.text, "under jemalloc") != NULL, "says which allocator: %s", v.text);
	hl_run_free(&run);

	T_OK(hl_figures_frag_ratio(1000, 500) == 2.0, "frag ratio rss/live");
	T_OK(hl_figures_frag_ratio(1000, 0) < 0, "frag ratio unknown without live bytes");
	T_OK(hl_figures_frag_ratio(HL_UNKNOWN, 10) < 0, "frag ratio unknown without rss");
	T_OK(hl_figures_drop_pct(200, 50) == 75.0, "drop percentage");

	char b[32];
	T_EQ_STR(hl_units_bytes(1073741824, b, sizeof b), "1.0 GiB", "units GiB");
	T_EQ_STR(hl_units_bytes(512, b, sizeof b), "512 B", "units bytes");
	T_EQ_STR(hl_units_bytes(HL_UNKNOWN, b, sizeof b), "n/a", "unknown prints n/a");
	int64_t x = 0;
	T_OK(hl_units_parse_bytes("4KiB", &x) == 0 && x == 4096, "parse 4KiB");
	T_OK(hl_units_parse_bytes("1G", &x) == 0 && x == 1073741824, "parse 1G");
	T_OK(hl_units_parse_bytes("12xb", &x) < 0, "refuse 12xb");
	return t_done();
}
