/*
 * statm.c — parses /proc/PID/statm ("size resident shared text lib data dt",
 * in pages). The cheapest RSS/VSZ there is: the harness reads it at every
 * sample. Pure: bytes in, figures out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

int hl_statm_parse(const char *buf, size_t len, long page_size, hl_statm_t *out,
		   hl_error_t *err)
{
	out->vsz_bytes = out->rss_bytes = out->shared_bytes = HL_UNKNOWN;
	int64_t *dst[] = {&out->vsz_bytes, &out->rss_bytes, &out->shared_bytes};
	size_t pos = 0;
	for (size_t i = 0; i < 3; i++) {
		while (pos < len && buf[pos] == ' ')
			pos++;
		if (pos >= len || buf[pos] < '0' || buf[pos] > '9')
			return hl_error_set(err, HL_EPARSE, "statm: field %zu is not a number", i + 1);
		uint64_t v = 0;
		while (pos < len && buf[pos] >= '0' && buf[pos] <= '9') {
			if (v > (uint64_t)INT64_MAX / 10 / (uint64_t)page_size)
				return hl_error_set(err, HL_EPARSE, "statm: field %zu overflows", i + 1);
			v = v * 10 + (uint64_t)(buf[pos++] - '0');
		}
		*dst[i] = (int64_t)(v * (uint64_t)page_size);
	}
	return 0;
}
