/*
 * maps.c — parses /proc/PID/maps into regions, owns the one parser of a maps
 * header line (smaps.c uses it too, through maps_internal.h), and the region
 * list's own helpers: find by address, first of a class, free. Classing the
 * regions is region.c's business; reading the file is procfs.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maps_internal.h"

static bool hex(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;
	while (s < end) {
		char c = *s;
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			break;
		if (++digits > 16)
			return false;
		v = v << 4 | (uint64_t)d;
		s++;
	}
	if (!digits)
		return false;
	*p = s;
	*out = v;
	return true;
}

bool hl_maps_dec(const char **p, const char *end, uint64_t max, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	if (s >= end || *s < '0' || *s > '9')
		return false;
	while (s < end && *s >= '0' && *s <= '9') {
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
		s++;
	}
	*p = s;
	*out = v;
	return true;
}

static bool skip(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

bool hl_maps_parse_line(const char *line, size_t n, hl_region_t *r)
{
	const char *p = line, *end = line + n;
	memset(r, 0, sizeof *r);
	r->cls = HL_REGION_OTHER; /* until hl_region_classify runs */
	r->rss_bytes = r->private_dirty_bytes = r->anonymous_bytes = r->swap_bytes = HL_UNKNOWN;
	uint64_t major, minor;
	if (!hex(&p, end, &r->start) || !skip(&p, end, '-') || !hex(&p, end, &r->end) ||
	    r->end <= r->start || !skip(&p, end, ' '))
		return false;
	if (end - p < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		static const char allowed[4][3] = {"r-", "w-", "x-", "ps"};
		if (!memchr(allowed[i], p[i], 2))
			return false;
		r->perms[i] = p[i];
	}
	r->perms[4] = '\0';
	p += 4;
	if (!skip(&p, end, ' ') || !hex(&p, end, &r->offset) || !skip(&p, end, ' ') ||
	    !hex(&p, end, &major) || !skip(&p, end, ':') || !hex(&p, end, &minor) ||
	    !skip(&p, end, ' ') || !hl_maps_dec(&p, end, UINT64_MAX, &r->inode))
		return false;
	/* The kernel pads to a column and writes the path as it is: a name can
	 * hold spaces, and an unlinked file ends in " (deleted)". Anonymous
	 * lines end right after the inode (and a space). */
	if (p < end && *p != ' ')
		return false;
	while (p < end && *p == ' ')
		p++;
	size_t pn = (size_t)(end - p);
	if (pn >= sizeof r->path)
		pn = sizeof r->path - 1; /* PATH_MAX paths are cut: the class needs the start */
	memcpy(r->path, p, pn);
	r->path[pn] = '\0';
	return true;
}

int hl_regions_push(hl_regions_t *out, const hl_region_t *r)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 64;
		hl_region_t *v = realloc(out->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		out->v = v;
		out->cap = cap;
	}
	out->v[out->n++] = *r;
	return 0;
}

int hl_maps_parse(const char *buf, size_t len, hl_regions_t *out, hl_error_t *err)
{
	out->n = 0;
	if (len && buf[len - 1] != '\n')
		return hl_error_set(
		    err, HL_EPARSE,
		    "maps: cut short: the last line has no newline (a truncated read?)");
	const char *p = buf, *end = buf + len;
	size_t lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)); /* found: buf ends in '\n' */
		lineno++;
		hl_region_t r;
		int rc = 0;
		if (!hl_maps_parse_line(p, (size_t)(nl - p), &r))
			rc =
			    hl_error_set(err, HL_EPARSE, "maps: line %zu is not a mapping", lineno);
		else if (out->n && r.start < out->v[out->n - 1].end)
			/* hl_regions_find's binary search relies on this order */
			rc = hl_error_set(err, HL_EPARSE,
					  "maps: line %zu overlaps or precedes the line before it",
					  lineno);
		else if (hl_regions_push(out, &r))
			rc = hl_error_set(err, -ENOMEM, "maps: out of memory");
		if (rc) {
			out->n = 0; /* no half list: an error leaves nothing to misuse */
			return rc;
		}
		p = nl + 1;
	}
	return 0;
}

void hl_regions_free(hl_regions_t *r)
{
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

const hl_region_t *hl_regions_find(const hl_regions_t *r, uint64_t addr)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < r->v[mid].start)
			hi = mid;
		else if (addr >= r->v[mid].end)
			lo = mid + 1;
		else
			return &r->v[mid];
	}
	return NULL;
}

const hl_region_t *hl_regions_first(const hl_regions_t *r, hl_region_class_t cls)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].cls == cls)
			return &r->v[i];
	return NULL;
}
