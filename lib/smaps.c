/*
 * smaps.c — parses /proc/PID/smaps (a maps header line per region, then
 * "Key:   N kB" lines) and /proc/PID/smaps_rollup (one header, the same keys
 * summed), and owns the parser of such a field line (status.c shares it).
 * Takes Rss, Private_Dirty, Anonymous and Swap (and Pss for the rollup);
 * skips every other key, numeric or not (VmFlags, THPeligible,
 * ProtectionKey, ...), so a kernel that adds keys still parses. kB there,
 * bytes here. Classing regions is region.c's; reading the file procfs.c's.
 */
#include <errno.h>
#include <string.h>

#include "maps_internal.h"

bool hl_smaps_field(const char *line, size_t n, const char **key, size_t *keylen, const char **val,
		    size_t *vallen)
{
	const char *colon = memchr(line, ':', n);
	if (!colon || colon == line)
		return false;
	for (const char *k = line; k < colon; k++)
		if (*k == ' ' || *k == '\t' || (unsigned char)*k < 0x20)
			return false;
	const char *v = colon + 1, *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*key = line;
	*keylen = (size_t)(colon - line);
	*val = v;
	*vallen = (size_t)(end - v);
	return true;
}

bool hl_smaps_value(const char *val, size_t vallen, const char *unit, int64_t mul, int64_t *out)
{
	const char *p = val, *end = val + vallen;
	uint64_t v;
	if (!hl_maps_dec(&p, end, (uint64_t)(INT64_MAX / mul), &v))
		return false;
	size_t ul = strlen(unit);
	if (ul) {
		if (p >= end || *p != ' ')
			return false;
		p++;
	}
	if ((size_t)(end - p) != ul || memcmp(p, unit, ul) != 0)
		return false;
	*out = (int64_t)v * mul;
	return true;
}

bool hl_smaps_key_is(const char *key, size_t keylen, const char *name)
{
	return strlen(name) == keylen && !memcmp(key, name, keylen);
}

/* The figures we keep, by key; everything else is skipped. */
static int64_t *region_figure(hl_region_t *r, const char *key, size_t keylen)
{
	if (hl_smaps_key_is(key, keylen, "Rss"))
		return &r->rss_bytes;
	if (hl_smaps_key_is(key, keylen, "Private_Dirty"))
		return &r->private_dirty_bytes;
	if (hl_smaps_key_is(key, keylen, "Anonymous"))
		return &r->anonymous_bytes;
	if (hl_smaps_key_is(key, keylen, "Swap"))
		return &r->swap_bytes;
	return NULL;
}

int hl_smaps_parse(const char *buf, size_t len, hl_regions_t *out, hl_error_t *err)
{
	out->n = 0;
	if (len && buf[len - 1] != '\n')
		return hl_error_set(
		    err, HL_EPARSE,
		    "smaps: cut short: the last line has no newline (a truncated read?)");
	const char *p = buf, *end = buf + len;
	size_t lineno = 0;
	int rc = 0;
	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)); /* found: buf ends in '\n' */
		size_t n = (size_t)(nl - p);
		lineno++;
		hl_region_t r;
		const char *key, *val;
		size_t keylen, vallen;
		/* A header starts with a hex digit and a key never holds '-'
		 * before its ':', so the two forms cannot be confused. */
		if (hl_maps_parse_line(p, n, &r)) {
			if (out->n && r.start < out->v[out->n - 1].end)
				rc = hl_error_set(
				    err, HL_EPARSE,
				    "smaps: line %zu: a mapping that overlaps or precedes "
				    "the one before it",
				    lineno);
			else if (hl_regions_push(out, &r))
				rc = hl_error_set(err, -ENOMEM, "smaps: out of memory");
		} else if (hl_smaps_field(p, n, &key, &keylen, &val, &vallen)) {
			int64_t *dst =
			    out->n ? region_figure(&out->v[out->n - 1], key, keylen) : NULL;
			if (!out->n)
				rc = hl_error_set(err, HL_EPARSE,
						  "smaps: line %zu: a field before any mapping",
						  lineno);
			else if (dst && !hl_smaps_value(val, vallen, "kB", 1024, dst))
				rc = hl_error_set(err, HL_EPARSE,
						  "smaps: line %zu: %.*s is not \"N kB\"", lineno,
						  (int)keylen, key);
		} else {
			rc = hl_error_set(
			    err, HL_EPARSE,
			    "smaps: line %zu is neither a mapping nor a \"Key: value\" "
			    "field",
			    lineno);
		}
		p = nl + 1;
	}
	if (rc)
		out->n = 0; /* no half list: an error leaves nothing to misuse */
	return rc;
}

int hl_smaps_rollup_parse(const char *buf, size_t len, hl_rollup_t *out, hl_error_t *err)
{
	hl_rollup_t r = {HL_UNKNOWN, HL_UNKNOWN, HL_UNKNOWN, HL_UNKNOWN, HL_UNKNOWN};
	*out = r;
	if (len && buf[len - 1] != '\n')
		return hl_error_set(err, HL_EPARSE,
				    "smaps_rollup: cut short: the last line has no newline (a "
				    "truncated read?)");
	const char *p = buf, *end = buf + len;
	size_t lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);
		lineno++;
		hl_region_t hdr;
		const char *key, *val;
		size_t keylen, vallen;
		if (lineno == 1) {
			/* "start-end ---p 00000000 00:00 0   [rollup]": the span of
			 * all mappings, once */
			if (!hl_maps_parse_line(p, n, &hdr))
				return hl_error_set(
				    err, HL_EPARSE,
				    "smaps_rollup: line 1 is not the [rollup] header");
		} else if (hl_smaps_field(p, n, &key, &keylen, &val, &vallen)) {
			int64_t *dst =
			    hl_smaps_key_is(key, keylen, "Rss")		    ? &r.rss_bytes
			    : hl_smaps_key_is(key, keylen, "Pss")	    ? &r.pss_bytes
			    : hl_smaps_key_is(key, keylen, "Anonymous")	    ? &r.anonymous_bytes
			    : hl_smaps_key_is(key, keylen, "Swap")	    ? &r.swap_bytes
			    : hl_smaps_key_is(key, keylen, "Private_Dirty") ? &r.private_dirty_bytes
									    : NULL;
			if (dst && !hl_smaps_value(val, vallen, "kB", 1024, dst))
				return hl_error_set(err, HL_EPARSE,
						    "smaps_rollup: line %zu: %.*s is not \"N kB\"",
						    lineno, (int)keylen, key);
		} else {
			return hl_error_set(
			    err, HL_EPARSE,
			    "smaps_rollup: line %zu is not a \"Key: value\" field (a "
			    "second mapping: is this smaps?)",
			    lineno);
		}
		p = nl + 1;
	}
	if (r.rss_bytes < 0)
		return hl_error_set(err, HL_EPARSE,
				    "smaps_rollup: no [rollup] header or no Rss line");
	*out = r;
	return 0;
}
