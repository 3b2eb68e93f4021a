/*
 * units.c — bytes for humans and back. Binary units (KiB = 1024), because
 * that is what page and chunk sizes are made of.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "heaplab.h"

const char *hl_units_bytes(int64_t bytes, char *out, size_t outsz)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	if (bytes < 0) {
		snprintf(out, outsz, "n/a");
		return out;
	}
	double v = (double)bytes;
	int u = 0;
	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, outsz, "%lld B", (long long)bytes);
	else
		snprintf(out, outsz, "%.1f %s", v, unit[u]);
	return out;
}

const char *hl_units_ratio(double r, char *out, size_t outsz)
{
	/* NaN fails every comparison: unknown, like a negative ratio */
	if (!(r >= 0) || r == HUGE_VAL)
		snprintf(out, outsz, "n/a");
	else if (r == 0)
		snprintf(out, outsz, "0 x");
	else if (r < 0.05)
		snprintf(out, outsz, "<0.1 x");
	else if (r < 99.95)
		snprintf(out, outsz, "%.1f x", r);
	else if (r < 999.5)
		snprintf(out, outsz, "%.0f x", r);
	else if (r < 99950)
		snprintf(out, outsz, "%.1fK x", r / 1e3);
	else if (r < 999500)
		snprintf(out, outsz, "%.0fK x", r / 1e3);
	else if (r < 99.95e6)
		snprintf(out, outsz, "%.1fM x", r / 1e6);
	else if (r < 999.5e6)
		snprintf(out, outsz, "%.0fM x", r / 1e6);
	else
		snprintf(out, outsz, "> 10^9");
	return out;
}

int hl_units_parse_bytes(const char *s, int64_t *out)
{
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	unsigned long long mul = 1;
	if (*end) {
		char c = (char)tolower((unsigned char)*end);
		const char *rest = end + 1;
		switch (c) {
		case 'k': mul = 1ULL << 10; break;
		case 'm': mul = 1ULL << 20; break;
		case 'g': mul = 1ULL << 30; break;
		case 't': mul = 1ULL << 40; break;
		case 'b': mul = 1; rest = end + 1; break;
		default: return -EINVAL;
		}
		if (c != 'b' && (strcasecmp(rest, "") && strcasecmp(rest, "b") &&
				 strcasecmp(rest, "ib")))
			return -EINVAL;
		if (c == 'b' && *rest)
			return -EINVAL;
	}
	if (v > (unsigned long long)INT64_MAX / mul)
		return -ERANGE;
	*out = (int64_t)(v * mul);
	return 0;
}
