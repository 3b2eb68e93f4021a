/*
 * statm.c — parses /proc/PID/statm ("size resident shared text lib data dt",
 * in pages) into bytes. The cheapest RSS/VSZ there is: the harness reads it
 * at every sample. Pure: bytes in, figures out; reading the file is
 * procfs.c's business.
 */
#include <errno.h>
#include <string.h>

#include "maps_internal.h"

int hl_statm_parse(const char *buf, size_t len, long page_size, hl_statm_t *out, hl_error_t *err)
{
	out->vsz_bytes = out->rss_bytes = out->shared_bytes = HL_UNKNOWN;
	if (page_size <= 0)
		return hl_error_set(err, -EINVAL, "statm: page size %ld is not positive",
				    page_size);
	/* One line; a cut one could hold a shortened number, so the whole line
	 * must be there. */
	if (!len || buf[len - 1] != '\n')
		return hl_error_set(err, HL_EPARSE,
				    "statm: cut short: no newline at the end (a truncated read?)");
	int64_t v[3];
	const char *p = buf, *end = buf + len - 1;
	size_t nfields = 0;
	while (p < end) {
		uint64_t pages;
		if (nfields && *p++ != ' ')
			return hl_error_set(err, HL_EPARSE,
					    "statm: fields are not separated by a space");
		if (!hl_maps_dec(&p, end, (uint64_t)(INT64_MAX / page_size), &pages))
			return hl_error_set(err, HL_EPARSE,
					    "statm: field %zu is not a page count (or overflows)",
					    nfields + 1);
		if (nfields < 3)
			v[nfields] = (int64_t)pages * page_size;
		nfields++;
	}
	/* the kernel has printed 7 fields for decades; only the first 3 are used */
	if (nfields < 3)
		return hl_error_set(err, HL_EPARSE, "statm: %zu fields, want at least 3", nfields);
	out->vsz_bytes = v[0];
	out->rss_bytes = v[1];
	out->shared_bytes = v[2];
	return 0;
}
