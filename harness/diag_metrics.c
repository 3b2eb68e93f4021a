/*
 * diag_metrics.c — `heaplab diagnose --format openmetrics`: the diagnosis
 * as gauges in the OpenMetrics text format (which Prometheus' text parser
 * and node_exporter's textfile collector read too: UNIT and EOF lines are
 * comments to them), for a fleet's dashboards.
 *
 * Every sample is labelled pid and comm; per-arena ones arena and main.
 * Names end in _bytes for bytes (UNIT bytes), as OpenMetrics asks. Only
 * figures the diagnosis has are written: a heap that was not walked gives
 * heaplab_walked 0 and no heap figures, never zeros that would read as
 * measured.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

/* A label value, escaped as the format says: \\, \" and \n. */
static void label(hl_buf_t *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			hl_buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			hl_buf_printf(b, "\\n");
		else
			hl_buf_printf(b, "%c", *s);
	}
}

static void family(hl_buf_t *b, const char *name, const char *unit, const char *help)
{
	hl_buf_printf(b, "# TYPE %s gauge\n", name);
	if (unit)
		hl_buf_printf(b, "# UNIT %s %s\n", name, unit);
	hl_buf_printf(b, "# HELP %s %s\n", name, help);
}

static void sample(hl_buf_t *b, const hl_diagnosis_t *d, const char *name, const char *extra,
		   int64_t v)
{
	hl_buf_printf(b, "%s{pid=\"%d\",comm=\"", name, (int)d->pid);
	label(b, d->command);
	hl_buf_printf(b, "\"%s} %lld\n", extra ? extra : "", (long long)v);
}

int diag_openmetrics(const hl_diagnosis_t *d, hl_buf_t *b)
{
	hl_buf_reset(b);
	char extra[128];
	family(b, "heaplab_rss_bytes", "bytes", "Resident set size: the sum of smaps Rss.");
	sample(b, d, "heaplab_rss_bytes", NULL, d->rss_bytes);
	family(b, "heaplab_rss_part_bytes", "bytes",
	       "Resident bytes by part (heaplab diagnose's parts; they add up to RSS with the "
	       "remainder).");
	for (int p = 0; p < HL_NPARTS; p++) {
		if (d->walk_valid && p == HL_PART_HEAP_UNWALKED)
			continue;
		snprintf(extra, sizeof extra, ",part=\"%s\"", hl_part_name((hl_part_t)p));
		sample(b, d, "heaplab_rss_part_bytes", extra, d->parts[p]);
	}
	family(b, "heaplab_rss_remainder_bytes", "bytes",
	       "What the parts do not explain (the process moved between the reads).");
	sample(b, d, "heaplab_rss_remainder_bytes", NULL, d->remainder_bytes);
	family(b, "heaplab_walked", NULL, "1 when the glibc heap was walked, else 0.");
	sample(b, d, "heaplab_walked", NULL, d->walk_valid);
	if (!d->walk_valid)
		goto out;
	family(b, "heaplab_held_back_bytes", "bytes",
	       "Resident whole pages inside free chunks and top: freed memory glibc keeps.");
	sample(b, d, "heaplab_held_back_bytes", NULL, d->walk.held_back_bytes);
	family(b, "heaplab_releasable_bytes", "bytes", "What malloc_trim(0) would give back.");
	sample(b, d, "heaplab_releasable_bytes", NULL, d->walk.releasable_bytes);
	family(b, "heaplab_released_bytes", "bytes",
	       "Whole pages inside free chunks and top that are not resident.");
	sample(b, d, "heaplab_released_bytes", NULL, d->walk.released_bytes);
	family(b, "heaplab_live_bytes", "bytes", "Usable bytes of the chunks in use.");
	sample(b, d, "heaplab_live_bytes", NULL, d->walk.live_bytes);
	family(b, "heaplab_mmap_threshold_bytes", "bytes", "glibc's mmap threshold, live (it drifts).");
	sample(b, d, "heaplab_mmap_threshold_bytes", NULL, d->walk.mmap_threshold);
	family(b, "heaplab_trim_threshold_bytes", "bytes", "glibc's trim threshold, live.");
	sample(b, d, "heaplab_trim_threshold_bytes", NULL, d->walk.trim_threshold);
	static const struct {
		const char *name, *help;
	} per[] = {
	    {"heaplab_arena_system_bytes", "Memory the arena has from the system (system_mem)."},
	    {"heaplab_arena_live_bytes", "Usable bytes of the arena's chunks in use."},
	    {"heaplab_arena_held_back_bytes", "Resident whole pages inside the arena's free chunks and top."},
	    {"heaplab_arena_releasable_bytes", "What malloc_trim(0) would give back from the arena."},
	};
	for (size_t k = 0; k < sizeof per / sizeof *per; k++) {
		family(b, per[k].name, "bytes", per[k].help);
		for (size_t i = 0; i < d->narenas; i++) {
			const hl_diag_arena_t *a = &d->arenas[i];
			int64_t v = k == 0 ? a->system_bytes
				    : k == 1 ? a->live_bytes
				    : k == 2 ? a->held_back_bytes
					     : a->releasable_bytes;
			snprintf(extra, sizeof extra, ",arena=\"%zu\",main=\"%d\"", i, a->main);
			sample(b, d, per[k].name, extra, v);
		}
	}
	family(b, "heaplab_pin_gives_back_bytes", "bytes",
	       "What would go back by itself once the chunks pinning the arena's heap are freed.");
	for (size_t i = 0; i < d->npins; i++) {
		snprintf(extra, sizeof extra, ",arena=\"%u\",address=\"%#llx\"", d->pins[i].arena,
			 (unsigned long long)d->pins[i].addr);
		sample(b, d, "heaplab_pin_gives_back_bytes", extra, d->pins[i].gives_back);
	}
out:
	return hl_buf_printf(b, "# EOF\n");
}
