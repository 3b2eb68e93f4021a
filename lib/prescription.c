/*
 * prescription.c — prescribe.json read back (heaplab prescribe writes it,
 * heaplab report renders it): the baseline and each candidate's measured
 * RSS, saving and cost, in the order prescribe ranked them.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "heaplab.h"

static int64_t num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? (int64_t)v->valuedouble : HL_UNKNOWN;
}

static double real(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : -1;
}

static void str(const cJSON *o, const char *k, char *out, size_t sz)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	snprintf(out, sz, "%s", s ? s : "");
}

int hl_prescription_parse(const char *buf, size_t len, hl_prescription_t *rx, hl_error_t *err)
{
	memset(rx, 0, sizeof *rx);
	cJSON *j = cJSON_ParseWithLength(buf, len);
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(j, "format");
	if (!j || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, "heaplab-prescribe")) {
		cJSON_Delete(j);
		return hl_error_set(err, HL_EPARSE, "not a heaplab prescribe.json");
	}
	str(j, "trace", rx->trace, sizeof rx->trace);
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(j, "baseline");
	rx->base_peak = num(b, "rss_peak_bytes");
	rx->base_end = num(b, "rss_end_bytes");
	rx->base_wall = real(b, "wall_s");
	rx->trace_complete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "trace_complete"));
	const cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(j, "candidates"))
	{
		if (rx->n >= sizeof rx->rows / sizeof *rx->rows)
			break;
		hl_prescription_row_t *r = &rx->rows[rx->n++];
		str(c, "name", r->name, sizeof r->name);
		str(c, "setting", r->setting, sizeof r->setting);
		str(c, "skipped", r->skipped, sizeof r->skipped);
		r->peak = num(c, "rss_peak_bytes");
		r->end = num(c, "rss_end_bytes");
		r->saving = num(c, "saving_bytes");
		r->wall_ratio = real(c, "wall_ratio");
		r->cpu_ratio = real(c, "cpu_ratio");
	}
	cJSON_Delete(j);
	return 0;
}
