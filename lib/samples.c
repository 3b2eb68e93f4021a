/*
 * samples.c — samples.tsv, the run's time series: one header row, then one
 * tab-separated row per sample. Unknown values are written "NA" (gnuplot is
 * told `set datafile missing "NA"`). A run killed mid-write may leave half a
 * last line: the reader drops it rather than refuse the whole series.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

const char hl_samples_header[] = "t_ms\trss_bytes\tvsz_bytes\theap_bytes\theap_rss_bytes\tphase\n";

static int put_num(hl_buf_t *out, int64_t v)
{
	return v < 0 ? hl_buf_append(out, "NA\t", 3) : hl_buf_printf(out, "%lld\t", (long long)v);
}

int hl_samples_format_row(const hl_sample_t *s, hl_buf_t *out)
{
	int rc = hl_buf_printf(out, "%lld\t", (long long)s->t_ms);
	rc = rc ? rc : put_num(out, s->rss_bytes);
	rc = rc ? rc : put_num(out, s->vsz_bytes);
	rc = rc ? rc : put_num(out, s->heap_bytes);
	rc = rc ? rc : put_num(out, s->heap_rss_bytes);
	rc = rc ? rc : hl_buf_printf(out, "%s\n", s->phase[0] ? s->phase : "start");
	return rc;
}

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
			if (v > INT64_MAX / 10)
				return false;
			v = v * 10 + (*s++ - '0');
		}
		*out = v;
	}
	if (s >= end || *s != '\t')
		return false;
	*p = s + 1;
	return true;
}

int hl_samples_parse(const char *buf, size_t len, hl_samples_t *out, hl_error_t *err)
{
	out->n = 0;
	size_t hl = sizeof hl_samples_header - 1;
	if (len < hl || memcmp(buf, hl_samples_header, hl) != 0)
		return hl_error_set(err, HL_EPARSE,
				    "samples.tsv: the first line is not the header (t_ms\trss_bytes...)");
	const char *p = buf + hl, *end = buf + len;
	size_t lineno = 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		lineno++;
		if (!nl)
			break; /* a half-written last line: dropped */
		hl_sample_t s;
		memset(&s, 0, sizeof s);
		const char *q = p;
		if (!field_num(&q, nl, &s.t_ms) || s.t_ms < 0 || !field_num(&q, nl, &s.rss_bytes) ||
		    !field_num(&q, nl, &s.vsz_bytes) || !field_num(&q, nl, &s.heap_bytes) ||
		    !field_num(&q, nl, &s.heap_rss_bytes) || q == nl ||
		    (size_t)(nl - q) >= sizeof s.phase || memchr(q, '\t', (size_t)(nl - q)))
			return hl_error_set(err, HL_EPARSE, "samples.tsv: line %zu is not a sample",
					    lineno);
		memcpy(s.phase, q, (size_t)(nl - q));
		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 256;
			hl_sample_t *v = realloc(out->v, cap * sizeof *v);
			if (!v)
				return hl_error_set(err, -ENOMEM, "samples.tsv: out of memory");
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
