/*
 * table.c — the phase table `heaplab run` prints as phases happen: one row
 * per phase in human units. "in use" is mallinfo2's uordblks + hblkhd (as in
 * figures.c), "free" is fordblks; both are n/a when the allocator is not
 * glibc's.
 */
#include "harness.h"

void table_header(FILE *f)
{
	fprintf(f, "%-18s %8s %11s %11s %11s %11s %11s %11s\n", "phase", "t", "RSS", "VSZ",
		"heap", "heap RSS", "in use", "free");
}

void table_row(FILE *f, const hl_phase_t *ph, const hl_phase_t *first)
{
	(void)first;
	char rss[32], vsz[32], heap[32], hrss[32], use[32], fr[32];
	int64_t in_use = ph->mallinfo2.valid ? ph->mallinfo2.uordblks + ph->mallinfo2.hblkhd
					     : HL_UNKNOWN;
	int64_t free_b = ph->mallinfo2.valid ? ph->mallinfo2.fordblks : HL_UNKNOWN;
	fprintf(f, "%-18s %7.2fs %11s %11s %11s %11s %11s %11s\n", ph->name, ph->t_ms / 1000.0,
		hl_units_bytes(ph->rss_bytes, rss, sizeof rss),
		hl_units_bytes(ph->vsz_bytes, vsz, sizeof vsz),
		hl_units_bytes(ph->heap_bytes, heap, sizeof heap),
		hl_units_bytes(ph->heap_rss_bytes, hrss, sizeof hrss),
		hl_units_bytes(in_use, use, sizeof use), hl_units_bytes(free_b, fr, sizeof fr));
}
