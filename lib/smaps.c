/*
 * smaps.c — parses /proc/PID/smaps (a maps header line per region, then
 * "Key:   N kB" lines) and /proc/PID/smaps_rollup (the same keys, summed).
 * Takes Rss, Private_Dirty, Anonymous and Swap; skips every other key
 * (VmFlags, THPeligible, ProtectionKey, ...). kB there, bytes here.
 */
#include <errno.h>
#include <string.h>

#include "maps_internal.h"

/* "Key:   1234 kB": the key's length (up to ':') and the value in bytes. */
static bool parse_field(const char *p, size_t n, size_t *keylen, int64_t *bytes)
{
	const char *colon = memchr(p, ':', n);
	if (!colon)
		return false;
	*keylen = (size_t)(colon - p);
	const char *v = colon + 1, *end = p + n;
	while (v < end && *v == ' ')
		v++;
	if (v >= end || *v < '0' || *v > '9')
		return false;
	int64_t x = 0;
	while (v < end && *v >= '0' && *v <= '9') {
		if (x > INT64_MAX / 10 / 1024)
			return false;
		x = x * 10 + (*v++ - '0');
	}
	while (v < end && *v == ' ')
		v++;
	if (end - v == 2 && v[0] == 'k' && v[1] == 'B')
		x *= 1024;
	else if (v != end)
		return false;
	*bytes = x;
	return true;
}

static bool key_is(const char *p, size_t keylen, const char *key)
{
	return strlen(key) == keylen && !memcmp(p, key, keylen);
}

int hl_smaps_parse(const char *buf, size_t len, hl_regions_t *out, hl_error_t *err)
{
	out->n = 0;
	const char *p = buf, *end = buf + len;
	size_t lineno = 0;
	hl_region_t *cur = NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);
		lineno++;
		hl_region_t r;
		size_t keylen;
		int64_t bytes;
		if (n == 0) {
			/* blank line: nothing */
		} else if (hl_maps_parse_line(p, n, &r)) {
			if (hl_regions_push(out, &r))
				return hl_error_set(err, -ENOMEM, "smaps: out of memory");
			cur = &out->v[out->n - 1];
		} else if (parse_field(p, n, &keylen, &bytes)) {
			if (!cur)
				return hl_error_set(err, HL_EPARSE,
						    "smaps: line %zu: a field before any mapping", lineno);
			if (key_is(p, keylen, "Rss"))
				cur->rss_bytes = bytes;
			else if (key_is(p, keylen, "Private_Dirty"))
				cur->private_dirty_bytes = bytes;
			else if (key_is(p, keylen, "Anonymous"))
				cur->anonymous_bytes = bytes;
			else if (key_is(p, keylen, "Swap"))
				cur->swap_bytes = bytes;
		} else if (!(cur && memchr(p, ':', n))) {
			/* Non-numeric fields (VmFlags: rd wr ...) are fine after a
			 * mapping; anything else is not smaps. */
			return hl_error_set(err, HL_EPARSE, "smaps: line %zu is not understood",
					    lineno);
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int hl_smaps_rollup_parse(const char *buf, size_t len, hl_rollup_t *out, hl_error_t *err)
{
	out->rss_bytes = out->pss_bytes = out->anonymous_bytes = HL_UNKNOWN;
	out->swap_bytes = out->private_dirty_bytes = HL_UNKNOWN;
	const char *p = buf, *end = buf + len;
	bool header = false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);
		size_t keylen;
		int64_t bytes;
		hl_region_t r;
		if (n && hl_maps_parse_line(p, n, &r)) {
			header = true;
		} else if (n && parse_field(p, n, &keylen, &bytes)) {
			if (key_is(p, keylen, "Rss"))
				out->rss_bytes = bytes;
			else if (key_is(p, keylen, "Pss"))
				out->pss_bytes = bytes;
			else if (key_is(p, keylen, "Anonymous"))
				out->anonymous_bytes = bytes;
			else if (key_is(p, keylen, "Swap"))
				out->swap_bytes = bytes;
			else if (key_is(p, keylen, "Private_Dirty"))
				out->private_dirty_bytes = bytes;
		}
		p = nl ? nl + 1 : end;
	}
	if (!header || out->rss_bytes < 0)
		return hl_error_set(err, HL_EPARSE, "smaps_rollup: no [rollup] header or no Rss");
	return 0;
}
