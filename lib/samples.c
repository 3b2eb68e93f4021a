/*
 * samples.c — samples.tsv, a run's time series: one header row, then one
 * tab-separated row per sample (t_ms, rss_bytes, vsz_bytes, heap_bytes,
 * heap_rss_bytes, phase). It formats and parses rows; taking the samples is
 * sampler.c's job and writing the file is the harness's.
 *
 * Unknown values are written "NA", which gnuplot is told to treat as missing
 * (`set datafile missing "NA"`); numbers are plain decimal integers, so the
 * file reads the same in any locale. A run killed mid-write leaves half a
 * last line (or half the header): the reader drops it rather than refuse the
 * whole series. Any other damage is refused with the line's number.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

const char hl_samples_header[] = "t_ms\trss_bytes\tvsz_bytes\theap_bytes\theap_rss_bytes\tphase\n";

static int put_num(hl_buf_t *out, int64_t v)
{
	/* only HL_UNKNOWN is expected below 0; any negative is "not known" */
	return v < 0 ? hl_buf_append(out, "NA\t", 3) : hl_buf_printf(out, "%lld\t", (long long)v);
}

int hl_samples_format_row(const hl_sample_t *s, hl_buf_t *out)
{
	size_t start = out->len;
	int rc = put_num(out, s->t_ms);
	rc = rc ? rc : put_num(out, s->rss_bytes);
	rc = rc ? rc : put_num(out, s->vsz_bytes);
	rc = rc ? rc : put_num(out, s->heap_bytes);
	rc = rc ? rc : put_num(out, s->heap_rss_bytes);
	/* the phase is the last column: a tab or a line break in its name
	 * would make a new column or a new row, so they become spaces */
	const char *phase = s->phase[0] ? s->phase : "start";
	size_t n = strnlen(phase, sizeof s->phase - 1);
	rc = rc ? rc : hl_buf_reserve(out, n + 1);
	if (rc) {
		out->len = start; /* no half row */
		if (out->data)
			out->data[start] = '\0';
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		char c = phase[i];
		out->data[out->len++] = c == '\t' || c == '\n' || c == '\r' ? ' ' : c;
	}
	out->data[out->len++] = '\n';
	out->data[out->len] = '\0';
	return 0;
}

/* One numeric field and its tab: decimal digits or NA. */
static bool field_num(const char **p, const char *end, int64_t *out)
{
	const char *s = *p;
	if (end - s >= 2 && s[0] == 'N' && s[1] == 'A') {
		*out = HL_UNKNOWN;
		s += 2;
	} else {
		if (s >= end || *s < '0' || *s > '9')
			return false;
		int64_t v = 0;
		while (s < end && *s >= '0' && *s <= '9') {
			int d = *s++ - '0';
			if (v > (INT64_MAX - d) / 10)
				return false;
			v = v * 10 + d;
		}
		*out = v;
	}
	if (s >= end || *s != '\t')
		return false;
	*p = s + 1;
	return true;
}

static bool parse_row(const char *p, const char *nl, hl_sample_t *s)
{
	memset(s, 0, sizeof *s);
	if (!field_num(&p, nl, &s->t_ms) || !field_num(&p, nl, &s->rss_bytes) ||
	    !field_num(&p, nl, &s->vsz_bytes) || !field_num(&p, nl, &s->heap_bytes) ||
	    !field_num(&p, nl, &s->heap_rss_bytes))
		return false;
	size_t n = (size_t)(nl - p);
	/* the writer never puts these in a name (see hl_samples_format_row) */
	if (n == 0 || n >= sizeof s->phase || memchr(p, '\t', n) || memchr(p, '\r', n) ||
	    memchr(p, '\0', n))
		return false;
	memcpy(s->phase, p, n);
	return true;
}

int hl_samples_parse(const char *buf, size_t len, hl_samples_t *out, hl_error_t *err)
{
	out->n = 0;
	if (len == 0)
		return 0; /* created, nothing written yet */
	size_t hlen = sizeof hl_samples_header - 1;
	if (memcmp(buf, hl_samples_header, len < hlen ? len : hlen) != 0)
		return hl_error_set(err, HL_EPARSE,
				    "samples.tsv: the first line is not the header \"t_ms\\trss_bytes"
				    "\\tvsz_bytes\\theap_bytes\\theap_rss_bytes\\tphase\"");
	if (len < hlen)
		return 0; /* the header itself was cut short: no samples yet */
	const char *p = buf + hlen, *end = buf + len;
	for (size_t lineno = 2; p < end; lineno++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break; /* a half-written last line: dropped */
		hl_sample_t s;
		if (!parse_row(p, nl, &s)) {
			out->n = 0;
			return hl_error_set(err, HL_EPARSE,
					    "samples.tsv: line %zu is not a sample (want 5 numbers or "
					    "NA, then a phase name, separated by tabs)",
					    lineno);
		}
		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 256;
			hl_sample_t *v = cap > SIZE_MAX / sizeof *v ? NULL : realloc(out->v, cap * sizeof *v);
			if (!v) {
				out->n = 0;
				return hl_error_set(err, -ENOMEM, "samples.tsv: out of memory at line %zu",
						    lineno);
			}
			out->v = v;
			out->cap = cap;
		}
		out->v[out->n++] = s;
		p = nl + 1;
	}
	return 0;
}

void hl_samples_free(hl_samples_t *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
