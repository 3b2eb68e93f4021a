/*
 * breakdown.c — what RSS is made of, as one stacked bar: live bytes, chunk
 * overhead, tcache, fastbins, bins and top held back, mmapped chunks, and
 * the rest of the process, with the heap's released pages beside it (not
 * resident, so outside RSS). It splits a phase of a run (from its walk,
 * else from mallinfo2 and the brk heap's RSS), or a diagnosis's parts, and
 * draws a row of bars as an SVG and as a gnuplot script; the report uses
 * both. It does not read files or run gnuplot.
 *
 * From a walk (docs/report.md says the same):
 *   overhead  = in use (mallinfo2 uordblks as walked) - live - tcache
 *   bin held  = bin chunks - their released pages
 *   top held  = top - its released pages
 *   rest      = RSS - everything above (0 when the heap parts exceed it:
 *               an in-use page that was never touched is counted, not paid)
 * Records written before the walk split released pages between top and
 * the bins count top's whole pages as released first (a top that was never
 * touched), the rest as the bins'.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "heaplab.h"

static const struct seg {
	const char *key;    /* TSV column, diagnosis part name */
	const char *label;  /* legend */
	const char *colour; /* fill */
} segs[HL_BD_NSEGS] = {
	[HL_BD_LIVE] = {"live", "live", "#4c72b0"},
	[HL_BD_OVERHEAD] = {"overhead", "chunk overhead", "#8172b3"},
	[HL_BD_TCACHE] = {"tcache", "tcache", "#937860"},
	[HL_BD_FASTBIN] = {"fastbin", "fastbins", "#da8bc3"},
	[HL_BD_BIN] = {"bin_held", "bins, held back", "#c44e52"},
	[HL_BD_TOP] = {"top_held", "top, held back", "#dd8452"},
	[HL_BD_MMAP] = {"mmapped", "mmapped chunks", "#64b5cd"},
	[HL_BD_IN_USE] = {"in_use", "in use (mallinfo2)", "#4c72b0"},
	[HL_BD_FREE] = {"free_held", "free, held back (mallinfo2)", "#c44e52"},
	[HL_BD_HEAP] = {"heap_unwalked", "heap (not walked)", "#9e9ac8"},
	[HL_BD_ANON] = {"other_anon", "other anonymous", "#ccb974"},
	[HL_BD_FILE] = {"file", "file-backed", "#b0b0b0"},
	[HL_BD_STACK] = {"stacks", "stacks", "#7f7f7f"},
	[HL_BD_REST] = {"rest", "rest of RSS (not heap)", "#d9d9d9"},
	[HL_BD_RELEASED] = {"released", "released (not resident)", "#55a868"},
};

const char *hl_breakdown_key(hl_bd_seg_t s)
{
	return (unsigned)s < HL_BD_NSEGS ? segs[s].key : "?";
}

const char *hl_breakdown_label(hl_bd_seg_t s)
{
	return (unsigned)s < HL_BD_NSEGS ? segs[s].label : "?";
}

const char *hl_breakdown_colour(hl_bd_seg_t s)
{
	return (unsigned)s < HL_BD_NSEGS ? segs[s].colour : "#000000";
}

void hl_breakdown_init(hl_breakdown_t *b, const char *label)
{
	memset(b, 0, sizeof *b);
	snprintf(b->label, sizeof b->label, "%s", label);
	b->rss_bytes = HL_UNKNOWN;
	for (int i = 0; i < HL_BD_NSEGS; i++)
		b->bytes[i] = HL_UNKNOWN;
}

static int64_t known(int64_t v)
{
	return v < 0 ? 0 : v;
}

int64_t hl_breakdown_resident(const hl_breakdown_t *b)
{
	int64_t sum = 0;
	for (int i = 0; i < HL_BD_NSEGS; i++)
		if (i != HL_BD_RELEASED)
			sum += known(b->bytes[i]);
	return sum;
}

static void rest_of_rss(hl_breakdown_t *b)
{
	if (b->rss_bytes < 0)
		return;
	int64_t heap = hl_breakdown_resident(b);
	b->bytes[HL_BD_REST] = b->rss_bytes > heap ? b->rss_bytes - heap : 0;
}

static void from_walk(const hl_phase_t *ph, hl_breakdown_t *b)
{
	const struct hl_walk_summary *w = &ph->walk;
	const hl_mallinfo_t *m = &w->mallinfo2;
	int64_t live = known(w->live_bytes), tcache = known(w->tcache_bytes);
	int64_t fast = known(w->fastbin_bytes), top = known(w->top_bytes);
	int64_t over = w->overhead_bytes, bin = w->bin_bytes;
	if (over < 0 && m->valid)
		over = m->uordblks - live - tcache;
	if (bin < 0 && m->valid)
		bin = m->fordblks - top - fast;
	int64_t released = known(w->released_bytes), top_rel = w->top_released_bytes;
	if (top_rel < 0) {
		/* an older record: top's whole pages first (see the top comment) */
		int64_t ps = hl_procfs_page_size();
		int64_t whole = top > 16 ? (top - 16) / ps * ps : 0;
		top_rel = released < whole ? released : whole;
	}
	int64_t bin_rel = released - top_rel;
	b->bytes[HL_BD_LIVE] = live;
	b->bytes[HL_BD_OVERHEAD] = known(over);
	b->bytes[HL_BD_TCACHE] = tcache;
	b->bytes[HL_BD_FASTBIN] = fast;
	b->bytes[HL_BD_BIN] = known(known(bin) - bin_rel);
	b->bytes[HL_BD_TOP] = known(top - top_rel);
	b->bytes[HL_BD_MMAP] = m->valid ? known(m->hblkhd) : 0;
	b->bytes[HL_BD_RELEASED] = released;
	snprintf(b->basis, sizeof b->basis, "walk");
}

/* Without a walk: mallinfo2's in use and free, the free part's residency
 * told by the brk heap's RSS when the main arena is the only one. */
static void from_mallinfo(const hl_phase_t *ph, hl_breakdown_t *b)
{
	const hl_mallinfo_t *m = &ph->mallinfo2;
	int64_t in_use = known(m->uordblks), free_b = known(m->fordblks);
	b->bytes[HL_BD_IN_USE] = in_use;
	b->bytes[HL_BD_MMAP] = known(m->hblkhd);
	bool one_arena = ph->malloc_info_valid ? ph->malloc_info.narenas == 1
					       : ph->heap_bytes >= 0 && m->arena <= ph->heap_bytes;
	if (one_arena && ph->heap_rss_bytes >= 0) {
		int64_t held = ph->heap_rss_bytes - in_use;
		held = held < 0 ? 0 : held > free_b ? free_b : held;
		b->bytes[HL_BD_FREE] = held;
		b->bytes[HL_BD_RELEASED] = free_b - held;
		snprintf(b->basis, sizeof b->basis, "mallinfo2 + heap RSS");
	} else {
		b->bytes[HL_BD_FREE] = free_b; /* residency unknown: counted as held */
		snprintf(b->basis, sizeof b->basis, "mallinfo2");
	}
}

void hl_breakdown_phase(const hl_phase_t *ph, hl_breakdown_t *b)
{
	hl_breakdown_init(b, ph->name);
	b->rss_bytes = ph->rss_bytes;
	if (ph->walk_valid)
		from_walk(ph, b);
	else if (ph->mallinfo2.valid)
		from_mallinfo(ph, b);
	else
		snprintf(b->basis, sizeof b->basis, "RSS only");
	rest_of_rss(b);
}

/* diagnosis.json's part names (heaplab diagnose) to segments */
static const struct {
	const char *part;
	hl_bd_seg_t seg;
} part_map[] = {
	{"live_heap", HL_BD_LIVE},     {"chunk_overhead", HL_BD_OVERHEAD},
	{"tcache_held", HL_BD_TCACHE}, {"fastbin_held", HL_BD_FASTBIN},
	{"bin_held", HL_BD_BIN},       {"top", HL_BD_TOP},
	{"mmapped_chunks", HL_BD_MMAP}, {"other_anon", HL_BD_ANON},
	{"file", HL_BD_FILE},          {"stacks", HL_BD_STACK},
	{"heap_not_walked", HL_BD_HEAP},
};

hl_bd_seg_t hl_breakdown_add_part(hl_breakdown_t *b, const char *part, int64_t bytes)
{
	hl_bd_seg_t s = HL_BD_REST; /* "other", and any part this heaplab does not know */
	for (size_t i = 0; i < sizeof part_map / sizeof part_map[0]; i++)
		if (!strcmp(part, part_map[i].part))
			s = part_map[i].seg;
	if (bytes > 0)
		b->bytes[s] = known(b->bytes[s]) + bytes;
	else if (b->bytes[s] < 0)
		b->bytes[s] = 0;
	return s;
}

/* ------------------------------------------------------------ drawing */

/* Segments with bytes in some bar, in stacking order. */
static int present(const hl_breakdown_t *b, size_t n, int *out)
{
	int k = 0;
	for (int s = 0; s < HL_BD_NSEGS; s++)
		for (size_t i = 0; i < n; i++)
			if (b[i].bytes[s] > 0) {
				out[k++] = s;
				break;
			}
	return k;
}

int hl_breakdown_tsv(const hl_breakdown_t *b, size_t n, hl_buf_t *out)
{
	hl_buf_reset(out);
	int rc = hl_buf_printf(out, "bar");
	for (int s = 0; !rc && s < HL_BD_NSEGS; s++)
		rc = hl_buf_printf(out, "\t%s", segs[s].key);
	rc = rc ? rc : hl_buf_printf(out, "\trss\n");
	for (size_t i = 0; !rc && i < n; i++) {
		char label[sizeof b[i].label];
		snprintf(label, sizeof label, "%s", b[i].label);
		for (char *p = label; *p; p++)
			if (*p == '\t' || *p == '\n' || *p == '\r')
				*p = ' ';
		rc = hl_buf_printf(out, "%s", label);
		for (int s = 0; !rc && s <= HL_BD_NSEGS; s++) {
			int64_t v = s < HL_BD_NSEGS ? b[i].bytes[s] : b[i].rss_bytes;
			rc = v < 0 ? hl_buf_printf(out, "\tNA")
				   : hl_buf_printf(out, "\t%lld", (long long)v);
		}
		rc = rc ? rc : hl_buf_printf(out, "\n");
	}
	return rc;
}

int hl_breakdown_script(const hl_breakdown_t *b, size_t n, const char *title, const char *tsv,
			const char *png, hl_buf_t *out)
{
	int seg[HL_BD_NSEGS];
	int k = present(b, n, seg);
	hl_buf_reset(out);
	int rc = hl_buf_printf(
		out, "# the RSS breakdown, one stacked bar per row of the data file (bytes);\n"
		     "# released pages are not resident and stand above the RSS mark.\n"
		     "set encoding utf8\nset datafile separator \"\\t\"\nset datafile missing \"NA\"\n"
		     "MiB = 1048576.0\nset terminal pngcairo size 1200,%d font \"DejaVu Sans,11\"\n"
		     "set output ",
		n > 12 ? 800 : 600);
	rc = rc ? rc : hl_plot_quote(out, png);
	rc = rc ? rc : hl_buf_printf(out, "\nset title ");
	rc = rc ? rc : hl_plot_quote(out, title);
	rc = rc ? rc : hl_buf_printf(out,
				     " noenhanced\nset style data histograms\n"
				     "set style histogram rowstacked\nset style fill solid 0.9 border -1\n"
				     "set boxwidth 0.6\nset yrange [0:*]\nset ylabel \"MiB\"\n"
				     "set grid ytics lc rgb \"#dddddd\"\n"
				     "set key outside right top vertical Left reverse noenhanced\n"
				     "set xtics noenhanced rotate by -25\n");
	if (k == 0) {
		rc = rc ? rc : hl_buf_printf(out, "set label 1 \"nothing measured\" at graph 0.5, "
						  "graph 0.5 center\nplot 0 notitle\nset output\n");
		return rc;
	}
	rc = rc ? rc : hl_buf_printf(out, "plot ");
	for (int j = 0; !rc && j < k; j++) {
		int s = seg[j];
		if (j == 0)
			rc = hl_plot_quote(out, tsv);
		else
			rc = hl_buf_printf(out, ", \\\n     ''");
		/* column 1 is the bar's name, then one per segment in enum order */
		rc = rc ? rc : hl_buf_printf(out, " skip 1 using (column(%d)/MiB)%s title ", s + 2,
					     j == 0 ? ":xtic(1)" : "");
		rc = rc ? rc : hl_plot_quote(out, segs[s].label);
		rc = rc ? rc : hl_buf_printf(out, " lc rgb \"%s\"%s", segs[s].colour,
					     s == HL_BD_RELEASED ? " fs pattern 4 border" : "");
	}
	rc = rc ? rc : hl_buf_printf(out, ", \\\n     '' skip 1 using 0:(column(%d)/MiB) with points "
					  "pt 9 ps 2.2 lc rgb \"#000000\" title \"RSS\"\n"
					  "set output\n",
				     HL_BD_NSEGS + 2);
	return rc;
}

int hl_breakdown_svg(const hl_breakdown_t *b, size_t n, hl_buf_t *out)
{
	int seg[HL_BD_NSEGS];
	int k = present(b, n, seg);
	int64_t max = 1;
	for (size_t i = 0; i < n; i++) {
		int64_t top = hl_breakdown_resident(&b[i]) + known(b[i].bytes[HL_BD_RELEASED]);
		max = top > max ? top : max;
		max = b[i].rss_bytes > max ? b[i].rss_bytes : max;
	}
	hl_svg_axis_t ax;
	hl_svg_axis(max, &ax);
	/* layout in px: plot area x0..x1, y0 (top) .. y1 (bottom) */
	const int64_t bar_w = 56, gap = 44, left = 80, legend_w = 230;
	int64_t x0 = left, plot_w = (int64_t)(n ? n : 1) * (bar_w + gap) + gap;
	/* long names (a sweep's "01-glibc arena_max=1: freed") are turned, and
	 * the picture grows under them */
	size_t longest = 0;
	for (size_t i = 0; i < n; i++)
		longest = strlen(b[i].label) > longest ? strlen(b[i].label) : longest;
	bool turn = longest > 12;
	int64_t x1 = x0 + plot_w, y0 = 20, y1 = 340, width = x1 + legend_w;
	int64_t height = y1 + 40 + (turn ? (int64_t)(longest < 48 ? longest : 48) * 4 : 0);
	int rc = hl_buf_printf(out,
			       "<svg class=\"breakdown\" viewBox=\"0 0 %lld %lld\" width=\"%lld\" "
			       "height=\"%lld\" role=\"img\" font-family=\"DejaVu Sans, sans-serif\" "
			       "font-size=\"12\">\n"
			       "<defs><pattern id=\"hl-released\" width=\"6\" height=\"6\" "
			       "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
			       "<rect width=\"6\" height=\"6\" fill=\"#ffffff\"/>"
			       "<rect width=\"2\" height=\"6\" fill=\"%s\"/></pattern></defs>\n",
			       (long long)width, (long long)height, (long long)width,
			       (long long)height, segs[HL_BD_RELEASED].colour);
	rc = rc ? rc : hl_svg_grid(out, &ax, x0, x1, y0, y1);
	for (size_t i = 0; !rc && i < n; i++) {
		int64_t bx = x0 + gap + (int64_t)i * (bar_w + gap), acc = 0;
		rc = hl_buf_printf(out, "<g class=\"bar\">");
		for (int j = 0; !rc && j < k; j++) {
			int s = seg[j];
			int64_t v = b[i].bytes[s];
			if (v <= 0)
				continue;
			/* pixel edges from the running sum, so bars add up exactly */
			int64_t ya = hl_svg_y(&ax, acc, y0, y1);
			int64_t yb = hl_svg_y(&ax, acc + v, y0, y1);
			acc += v;
			char h[32];
			rc = hl_buf_printf(out,
					   "<rect x=\"%lld\" y=\"%lld\" width=\"%lld\" height=\"%lld\" "
					   "fill=\"%s\"%s><title>",
					   (long long)bx, (long long)yb, (long long)bar_w,
					   (long long)(ya - yb), s == HL_BD_RELEASED ? "url(#hl-released)"
										   : segs[s].colour,
					   s == HL_BD_RELEASED ? " stroke=\"#55a868\"" : "");
			rc = rc ? rc : hl_markup_html(out, b[i].label);
			rc = rc ? rc : hl_buf_printf(out, ": %s %s</title></rect>", segs[s].label,
						     hl_units_bytes(v, h, sizeof h));
		}
		if (!rc && b[i].rss_bytes >= 0) {
			char h[32];
			int64_t y = hl_svg_y(&ax, b[i].rss_bytes, y0, y1);
			rc = hl_buf_printf(out,
					   "<line x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" y2=\"%lld\" "
					   "stroke=\"#000000\" stroke-width=\"3\"><title>RSS %s</title>"
					   "</line>",
					   (long long)(bx - 8), (long long)y, (long long)(bx + bar_w + 8),
					   (long long)y, hl_units_bytes(b[i].rss_bytes, h, sizeof h));
		}
		if (turn)
			rc = rc ? rc : hl_buf_printf(out,
						     "<text x=\"%lld\" y=\"%lld\" text-anchor=\"end\" "
						     "transform=\"rotate(-35 %lld %lld)\">",
						     (long long)(bx + bar_w / 2), (long long)(y1 + 16),
						     (long long)(bx + bar_w / 2), (long long)(y1 + 16));
		else
			rc = rc ? rc : hl_buf_printf(out, "<text x=\"%lld\" y=\"%lld\" "
							  "text-anchor=\"middle\">",
						     (long long)(bx + bar_w / 2), (long long)(y1 + 18));
		rc = rc ? rc : hl_markup_html(out, b[i].label);
		rc = rc ? rc : hl_buf_printf(out, "</text></g>\n");
	}
	/* the legend: RSS mark, then the segments top first, as stacked */
	int64_t ly = y0;
	rc = rc ? rc : hl_buf_printf(out,
				     "<line x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" y2=\"%lld\" "
				     "stroke=\"#000000\" stroke-width=\"3\"/><text x=\"%lld\" "
				     "y=\"%lld\">RSS</text>\n",
				     (long long)(x1 + 10), (long long)(ly + 6), (long long)(x1 + 24),
				     (long long)(ly + 6), (long long)(x1 + 32), (long long)(ly + 10));
	for (int j = k - 1; !rc && j >= 0; j--) {
		int s = seg[j];
		ly += 20;
		rc = hl_buf_printf(out,
				   "<rect x=\"%lld\" y=\"%lld\" width=\"14\" height=\"12\" "
				   "fill=\"%s\"%s/><text x=\"%lld\" y=\"%lld\">%s</text>\n",
				   (long long)(x1 + 10), (long long)ly,
				   s == HL_BD_RELEASED ? "url(#hl-released)" : segs[s].colour,
				   s == HL_BD_RELEASED ? " stroke=\"#55a868\"" : "", (long long)(x1 + 32),
				   (long long)(ly + 10), segs[s].label);
	}
	if (!rc && k == 0)
		rc = hl_buf_printf(out, "<text x=\"%lld\" y=\"%lld\" text-anchor=\"middle\" "
					"fill=\"#777777\">nothing measured</text>\n",
				   (long long)((x0 + x1) / 2), (long long)((y0 + y1) / 2));
	return rc ? rc : hl_buf_printf(out, "</svg>\n");
}
