/*
 * figures.c — the derived figures of DESIGN.md section 3, defined once:
 * fragmentation ratio, drops, and the run's verdict (leak, retention,
 * released). Everything that prints a verdict or a ratio gets it from here.
 * It reads a run record; it does not measure anything.
 *
 * "In use" for the verdict is mallinfo2's uordblks + hblkhd: bytes in chunks
 * handed out from the arenas plus mmapped chunks. glibc counts chunks held in
 * tcache as in use, so a run that frees into tcache only looks like nothing
 * was freed: that is glibc's view, and the verdict says what glibc says.
 */
#include <stdio.h>
#include <string.h>

#include "heaplab.h"

double hl_figures_frag_ratio(int64_t rss_bytes, int64_t live_bytes)
{
	if (rss_bytes < 0 || live_bytes <= 0)
		return -1.0;
	return (double)rss_bytes / (double)live_bytes;
}

double hl_figures_drop_pct(int64_t a, int64_t b)
{
	if (a <= 0 || b < 0)
		return 0.0;
	return 100.0 * (double)(a - b) / (double)a;
}

const char *hl_verdict_kind_name(hl_verdict_kind_t k)
{
	switch (k) {
	case HL_VERDICT_NONE: return "none";
	case HL_VERDICT_RETENTION: return "retention";
	case HL_VERDICT_RELEASED: return "released";
	case HL_VERDICT_LEAK: return "leak";
	case HL_VERDICT_UNKNOWN: break;
	}
	return "unknown";
}

static int64_t in_use(const hl_phase_t *p)
{
	return p->mallinfo2.uordblks + p->mallinfo2.hblkhd;
}

static bool usable(const hl_phase_t *p)
{
	return p->mallinfo2.valid && p->rss_bytes >= 0;
}

/* A later phase where RSS fell by at least a tenth of what in use fell:
 * appended as "; malloc_trim released X at 'P'" or "; RSS then fell ...". */
static void append_later_release(const hl_run_t *run, size_t from, int64_t freed, char *text,
				 size_t textsz)
{
	const hl_phase_t *f = &run->phases[from];
	for (size_t i = from + 1; i < run->nphases; i++) {
		const hl_phase_t *p = &run->phases[i];
		if (p->rss_bytes < 0)
			continue;
		int64_t fell = f->rss_bytes - p->rss_bytes;
		if (fell <= 0 || fell < freed / 10)
			continue;
		char b[32];
		size_t used = strlen(text);
		double trim;
		if (hl_phase_observation(p, "malloc_trim", &trim))
			snprintf(text + used, textsz - used, "; malloc_trim released %s at '%s'",
				 hl_units_bytes(fell, b, sizeof b), p->name);
		else
			snprintf(text + used, textsz - used, "; RSS then fell %s at '%s'",
				 hl_units_bytes(fell, b, sizeof b), p->name);
		return;
	}
}

void hl_figures_verdict(const hl_run_t *run, hl_verdict_t *out)
{
	memset(out, 0, sizeof *out);
	size_t n = 0, peak = 0;
	for (size_t i = 0; i < run->nphases; i++) {
		if (!usable(&run->phases[i]))
			continue;
		if (n == 0 || in_use(&run->phases[i]) > in_use(&run->phases[peak]))
			peak = i;
		n++;
	}
	/* The peak is the first phase within 1% of the highest in use: rounds
	 * that each add a few bytes should not move it to the last round. */
	for (size_t i = 0; i < peak; i++)
		if (usable(&run->phases[i]) &&
		    in_use(&run->phases[i]) >= in_use(&run->phases[peak]) -
						   in_use(&run->phases[peak]) / 100) {
			peak = i;
			break;
		}
	if (run->nphases == 0) {
		out->kind = HL_VERDICT_UNKNOWN;
		snprintf(out->text, sizeof out->text,
			 "unknown: the program marked no phases (it does not use lab_phase); "
			 "samples.tsv and the plot show its RSS over time");
		return;
	}
	if (n == 0) {
		/* Another allocator: mallinfo2 would describe glibc's idle malloc,
		 * so there is no "in use" to judge by. Say what RSS did. */
		bool other = run->allocator[0] && strcmp(run->allocator, "glibc");
		out->kind = HL_VERDICT_UNKNOWN;
		int used = snprintf(out->text, sizeof out->text,
				    "unknown%s%s: no in-use figures (mallinfo2 describes glibc's "
				    "malloc only); RSS",
				    other ? " under " : "", other ? run->allocator : "");
		for (size_t i = 0; i < run->nphases && used > 0 && (size_t)used < sizeof out->text;
		     i++) {
			char r[32];
			used += snprintf(out->text + used, sizeof out->text - (size_t)used,
					 "%s %s at '%s'", i ? "," : "",
					 hl_units_bytes(run->phases[i].rss_bytes, r, sizeof r),
					 run->phases[i].name);
		}
		return;
	}
	char a[32], b[32];

	/* Leak: in use grew at every phase, by more than a tenth overall. */
	if (n >= 3) {
		const hl_phase_t *first = NULL, *prev = NULL;
		bool grew = true;
		for (size_t i = 0; i < run->nphases && grew; i++) {
			const hl_phase_t *p = &run->phases[i];
			if (!usable(p))
				continue;
			if (!first)
				first = p;
			else if (in_use(p) <= in_use(prev))
				grew = false;
			prev = p;
		}
		if (grew && in_use(prev) > in_use(first) + in_use(first) / 10) {
			out->kind = HL_VERDICT_LEAK;
			snprintf(out->text, sizeof out->text,
				 "leak: in-use grew at every phase, from %s at '%s' to %s at '%s'",
				 hl_units_bytes(in_use(first), a, sizeof a), first->name,
				 hl_units_bytes(in_use(prev), b, sizeof b), prev->name);
			return;
		}
	}

	const hl_phase_t *pk = &run->phases[peak];
	size_t fi = run->nphases;
	/* "Freed" means in use fell by at least a quarter of its peak. */
	for (size_t i = peak + 1; i < run->nphases; i++)
		if (usable(&run->phases[i]) && in_use(&run->phases[i]) * 4 <= in_use(pk) * 3) {
			fi = i;
			break;
		}
	if (fi == run->nphases) {
		out->kind = HL_VERDICT_NONE;
		snprintf(out->text, sizeof out->text,
			 "nothing freed: in-use never fell by a quarter from its peak (%s at '%s')",
			 hl_units_bytes(in_use(pk), a, sizeof a), pk->name);
		return;
	}
	const hl_phase_t *f = &run->phases[fi];
	int64_t freed = in_use(pk) - in_use(f);
	int64_t rss_fell = pk->rss_bytes - f->rss_bytes;
	double in_drop = hl_figures_drop_pct(in_use(pk), in_use(f));
	double rss_drop = hl_figures_drop_pct(pk->rss_bytes, f->rss_bytes);
	if (rss_drop < 0)
		rss_drop = 0;
	if (rss_fell * 2 < freed) {
		out->kind = HL_VERDICT_RETENTION;
		snprintf(out->text, sizeof out->text,
			 "retention: in-use fell %.1f%% but RSS fell %.1f%% at '%s' (%s freed, %s "
			 "still resident)",
			 in_drop, rss_drop, f->name, hl_units_bytes(freed, a, sizeof a),
			 hl_units_bytes(freed - (rss_fell > 0 ? rss_fell : 0), b, sizeof b));
		append_later_release(run, fi, freed, out->text, sizeof out->text);
	} else {
		out->kind = HL_VERDICT_RELEASED;
		snprintf(out->text, sizeof out->text,
			 "released: in-use fell %.1f%% and RSS fell %.1f%% at '%s' (%s returned to "
			 "the kernel)",
			 in_drop, rss_drop, f->name, hl_units_bytes(rss_fell, a, sizeof a));
	}
}
