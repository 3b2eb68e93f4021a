/*
 * svg.c — the pieces the report's charts share (breakdown.c's bars, the
 * diagnosis's RSS over time): a byte axis with round steps and its grid.
 * Coordinates are whole pixels, printed from integers, so a locale that
 * writes "2,5" cannot reach an SVG.
 */
#include "heaplab.h"

void hl_svg_axis(int64_t max, hl_svg_axis_t *a)
{
	static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;
	a->unit = 1;
	if (max < 1)
		max = 1;
	while (u < 4 && max / a->unit >= 4096) {
		a->unit *= 1024;
		u++;
	}
	a->unit_name = names[u];
	/* a step of 1, 2 or 5 times a power of ten that cuts max into at
	 * most 6 ticks */
	int64_t span = max / a->unit + 1, s = 1;
	for (;;) {
		if (span / s <= 6)
			break;
		if (span / (2 * s) <= 6) {
			s *= 2;
			break;
		}
		if (span / (5 * s) <= 6) {
			s *= 5;
			break;
		}
		s *= 10;
	}
	a->step = s;
	a->ticks = (max / a->unit + s) / s; /* the axis ends on a tick above max */
	a->max = a->ticks * s * a->unit;
}

int64_t hl_svg_y(const hl_svg_axis_t *a, int64_t v, int64_t y0, int64_t y1)
{
	if (v <= 0)
		return y1;
	if (v >= a->max)
		return y0;
	return y1 - (int64_t)((double)v / (double)a->max * (double)(y1 - y0));
}

int hl_svg_grid(hl_buf_t *out, const hl_svg_axis_t *a, int64_t x0, int64_t x1, int64_t y0,
		int64_t y1)
{
	int rc = 0;
	for (int64_t t = 0; !rc && t <= a->ticks; t++) {
		int64_t y = y1 - t * (y1 - y0) / (a->ticks ? a->ticks : 1);
		rc = hl_buf_printf(out,
				   "<line x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" y2=\"%lld\" "
				   "stroke=\"#dddddd\"/><text x=\"%lld\" y=\"%lld\" "
				   "text-anchor=\"end\">%lld %s</text>\n",
				   (long long)x0, (long long)y, (long long)x1, (long long)y,
				   (long long)(x0 - 6), (long long)(y + 4), (long long)(t * a->step),
				   a->unit_name);
	}
	return rc ? rc
		  : hl_buf_printf(out,
				  "<line x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" y2=\"%lld\" "
				  "stroke=\"#000000\"/>\n",
				  (long long)x0, (long long)y0, (long long)x0, (long long)y1);
}
