/*
 * diagfile.c — reads diagnosis.json, the file `heaplab diagnose PID --out
 * DIR` writes (format "heaplab-diagnosis", version 1; docs/report.md lists
 * its keys), for the report. It keeps what the report shows: what was
 * diagnosed, the parts of RSS in the file's order, the arenas, the verdict,
 * the watch samples, the recommendations word for word and the trim. Keys
 * it does not know are skipped, and so are the optional ones ("watch",
 * "trim", any figure) when absent: they read as HL_UNKNOWN, never 0.
 * Writing the file is diagnose's job.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

static int64_t num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < -9.2e18 ||
	    v->valuedouble > 9.2e18)
		return HL_UNKNOWN;
	return (int64_t)v->valuedouble;
}

static void str(const cJSON *o, const char *key, char *dst, size_t dstsz)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	snprintf(dst, dstsz, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

/* A string kept whole (recommendations are shown word for word). */
static char *dup_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return strdup(cJSON_IsString(v) ? v->valuestring : "");
}

void hl_diagfile_free(hl_diagfile_t *d)
{
	free(d->command);
	free(d->verdict_text);
	for (size_t i = 0; i < d->nrecs; i++) {
		free(d->recs[i].action);
		free(d->recs[i].why);
	}
	free(d->recs);
	free(d->parts);
	free(d->arenas);
	free(d->watch);
	memset(d, 0, sizeof *d);
}

static int fail(hl_diagfile_t *d, cJSON *o, hl_error_t *err, int code, const char *msg)
{
	cJSON_Delete(o);
	hl_diagfile_free(d);
	return hl_error_set(err, code, "diagnosis.json: %s", msg);
}

int hl_diagfile_parse(const char *buf, size_t len, hl_diagfile_t *d, hl_error_t *err)
{
	memset(d, 0, sizeof *d);
	cJSON *o = len ? cJSON_ParseWithLength(buf, len) : NULL;
	if (!o)
		return hl_error_set(err, HL_EPARSE, "diagnosis.json is not JSON (cut short or damaged)");
	if (!cJSON_IsObject(o))
		return fail(d, o, err, HL_EPARSE, "not a JSON object");
	char format[64];
	str(o, "format", format, sizeof format);
	if (strcmp(format, "heaplab-diagnosis"))
		return fail(d, o, err, HL_EPARSE,
			    "\"format\" is not \"heaplab-diagnosis\" (not a file heaplab diagnose "
			    "wrote)");
	d->version = num(o, "version");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(o, "version");
	if (cJSON_IsNumber(ver) && ver->valuedouble != (double)d->version)
		d->version = HL_UNKNOWN; /* 1.9 is not version 1 */
	if (d->version != 1) {
		char m[160], v[32] = "not a whole number";
		if (d->version != HL_UNKNOWN)
			snprintf(v, sizeof v, "%lld", (long long)d->version);
		snprintf(m, sizeof m,
			 "\"version\" is %s, and this heaplab reads version 1 only; use the "
			 "heaplab that wrote it",
			 v);
		return fail(d, o, err, HL_ESCHEMA, m);
	}
	d->pid = num(o, "pid");
	d->command = dup_str(o, "command");
	str(o, "time", d->time, sizeof d->time);
	str(o, "glibc", d->glibc, sizeof d->glibc);
	str(o, "kernel", d->kernel, sizeof d->kernel);
	str(o, "method", d->method, sizeof d->method);
	d->rss_bytes = num(o, "rss_bytes");
	d->remainder_bytes = num(o, "remainder_bytes");
	d->threads = num(o, "threads");
	d->mmap_threshold = num(o, "mmap_threshold");
	d->trim_threshold = num(o, "trim_threshold");
	d->releasable_bytes = num(o, "releasable_bytes");

	const cJSON *parts = cJSON_GetObjectItemCaseSensitive(o, "parts");
	if (!cJSON_IsObject(parts))
		return fail(d, o, err, HL_EPARSE, "\"parts\" is missing or not an object");
	size_t n = (size_t)cJSON_GetArraySize(parts);
	d->parts = calloc(n ? n : 1, sizeof *d->parts);
	const cJSON *v;
	cJSON_ArrayForEach(v, parts)
	{
		if (!d->parts)
			break;
		hl_diagfile_part_t *p = &d->parts[d->nparts++];
		snprintf(p->name, sizeof p->name, "%s", v->string ? v->string : "");
		p->bytes = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : HL_UNKNOWN;
	}

	const cJSON *arenas = cJSON_GetObjectItemCaseSensitive(o, "arenas");
	if (!cJSON_IsArray(arenas))
		arenas = NULL; /* optional: a diagnosis that could not walk has none */
	n = arenas ? (size_t)cJSON_GetArraySize(arenas) : 0;
	d->arenas = calloc(n ? n : 1, sizeof *d->arenas);
	cJSON_ArrayForEach(v, arenas)
	{
		if (!d->arenas || !cJSON_IsObject(v))
			continue;
		hl_diagfile_arena_t *a = &d->arenas[d->narenas++];
		a->index = num(v, "index");
		a->main = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "main"));
		a->system_bytes = num(v, "system_bytes");
		a->live_bytes = num(v, "live_bytes");
		a->held_back_bytes = num(v, "held_back_bytes");
		a->tcache_bytes = num(v, "tcache_bytes");
		a->fastbin_bytes = num(v, "fastbin_bytes");
		a->bin_bytes = num(v, "bin_bytes");
		a->top_bytes = num(v, "top_bytes");
		a->heaps = num(v, "heaps");
	}

	const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(o, "verdict");
	if (!cJSON_IsObject(verdict))
		return fail(d, o, err, HL_EPARSE, "\"verdict\" is missing or not an object");
	str(verdict, "kind", d->verdict_kind, sizeof d->verdict_kind);
	d->verdict_text = dup_str(verdict, "text");

	const cJSON *watch = cJSON_GetObjectItemCaseSensitive(o, "watch");
	if (!cJSON_IsArray(watch))
		watch = NULL; /* optional */
	n = watch ? (size_t)cJSON_GetArraySize(watch) : 0;
	d->watch = calloc(n ? n : 1, sizeof *d->watch);
	cJSON_ArrayForEach(v, watch)
	{
		if (!d->watch || !cJSON_IsObject(v))
			continue;
		hl_diagfile_sample_t *s = &d->watch[d->nwatch++];
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "t_s");
		s->t_ms = cJSON_IsNumber(t) && isfinite(t->valuedouble) && fabs(t->valuedouble) < 1e12
				  ? (int64_t)llround(t->valuedouble * 1000.0)
				  : HL_UNKNOWN;
		s->rss_bytes = num(v, "rss_bytes");
		s->live_bytes = num(v, "live_bytes");
	}

	const cJSON *recs = cJSON_GetObjectItemCaseSensitive(o, "recommendations");
	if (recs && !cJSON_IsArray(recs))
		return fail(d, o, err, HL_EPARSE, "\"recommendations\" is not a list");
	n = recs ? (size_t)cJSON_GetArraySize(recs) : 0;
	d->recs = calloc(n ? n : 1, sizeof *d->recs);
	cJSON_ArrayForEach(v, recs)
	{
		if (!d->recs || !cJSON_IsObject(v))
			continue;
		hl_diagfile_rec_t *r = &d->recs[d->nrecs++];
		r->action = dup_str(v, "action");
		r->bytes = num(v, "bytes");
		r->why = dup_str(v, "why");
	}

	const cJSON *trim = cJSON_GetObjectItemCaseSensitive(o, "trim");
	if (cJSON_IsObject(trim)) {
		d->have_trim = true;
		d->trim_predicted_bytes = num(trim, "predicted_bytes");
		d->trim_rss_before = num(trim, "rss_before");
		d->trim_rss_after = num(trim, "rss_after");
	}
	cJSON_Delete(o);
	bool oom = !d->command || !d->verdict_text || !d->parts || !d->arenas || !d->watch ||
		   !d->recs;
	for (size_t i = 0; i < d->nrecs; i++)
		oom |= !d->recs[i].action || !d->recs[i].why;
	if (oom) {
		hl_diagfile_free(d);
		return hl_error_set(err, -ENOMEM, "diagnosis.json: out of memory");
	}
	return 0;
}

int hl_diagfile_load(const char *dir, hl_diagfile_t *d, hl_error_t *err)
{
	memset(d, 0, sizeof *d);
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof path, "%s/diagnosis.json", dir) >= sizeof path)
		return hl_error_set(err, -ENAMETOOLONG, "%s: path too long", dir);
	hl_buf_t text = {0};
	int rc = hl_file_read(path, &text, err);
	if (!rc)
		rc = hl_diagfile_parse(text.data, text.len, d, err);
	hl_buf_free(&text);
	/* parse says "diagnosis.json: ...": name the file the user gave */
	if (rc && err && !strncmp(err->msg, "diagnosis.json", 14)) {
		char msg[sizeof err->msg];
		memcpy(msg, err->msg, sizeof msg);
		hl_error_set(err, rc, "%s%s", path, msg + 14);
	}
	return rc;
}
