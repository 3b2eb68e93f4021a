/*
 * run_record.c — the run record in memory (hl_run_t, its phases and
 * observations) and as run.json (docs/run-json.md), read and written with
 * cJSON. Saving goes through a temporary file, fsync and rename(2), so a
 * reader never sees half a record and a crash never leaves one truncated.
 *
 * Integers are written with %lld (as cJSON raw numbers) so byte counts are
 * exact; cJSON reads them back as doubles, which is exact up to 2^53 bytes.
 * HL_UNKNOWN is written as null and read back as HL_UNKNOWN; mallinfo2 and
 * malloc_info that were not measured (another allocator) are null whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_internal.h"

/* ------------------------------------------------------------ in memory */

void hl_run_init(hl_run_t *run)
{
	memset(run, 0, sizeof *run);
	run->schema_version = HL_RUN_SCHEMA_VERSION;
	run->exit_code = -1;
}

void hl_phase_free(hl_phase_t *ph)
{
	hl_malloc_info_free(&ph->malloc_info);
	free(ph->obs);
	ph->obs = NULL;
	ph->nobs = 0;
}

void hl_run_free(hl_run_t *run)
{
	for (size_t i = 0; i < run->nphases; i++)
		hl_phase_free(&run->phases[i]);
	free(run->phases);
	free(run->params);
	run->phases = NULL;
	run->params = NULL;
	run->nphases = run->nparams = 0;
}

int hl_run_add_param(hl_run_t *run, const char *name, const char *value)
{
	hl_param_t *v = realloc(run->params, (run->nparams + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	run->params = v;
	hl_param_t *p = &v[run->nparams++];
	snprintf(p->name, sizeof p->name, "%s", name);
	snprintf(p->value, sizeof p->value, "%s", value);
	return 0;
}

int hl_run_add_phase(hl_run_t *run, hl_phase_t *ph)
{
	hl_phase_t *v = realloc(run->phases, (run->nphases + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	run->phases = v;
	v[run->nphases++] = *ph;
	memset(ph, 0, sizeof *ph);
	return 0;
}

int hl_phase_observe(hl_phase_t *ph, const char *key, double value)
{
	for (size_t i = 0; i < ph->nobs; i++)
		if (!strcmp(ph->obs[i].key, key)) {
			ph->obs[i].value = value;
			return 0;
		}
	hl_observation_t *v = realloc(ph->obs, (ph->nobs + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	ph->obs = v;
	snprintf(v[ph->nobs].key, sizeof v[0].key, "%s", key);
	v[ph->nobs++].value = value;
	return 0;
}

bool hl_phase_observation(const hl_phase_t *ph, const char *key, double *value)
{
	for (size_t i = 0; i < ph->nobs; i++)
		if (!strcmp(ph->obs[i].key, key)) {
			*value = ph->obs[i].value;
			return true;
		}
	return false;
}

const hl_phase_t *hl_run_phase(const hl_run_t *run, const char *name)
{
	for (size_t i = 0; i < run->nphases; i++)
		if (!strcmp(run->phases[i].name, name))
			return &run->phases[i];
	return NULL;
}

/* ------------------------------------------------------------ writing */

void hl_json_put_int(cJSON *o, const char *key, int64_t v)
{
	if (v == HL_UNKNOWN) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	char num[32];
	snprintf(num, sizeof num, "%lld", (long long)v);
	cJSON_AddRawToObject(o, key, num);
}

/* Observations are doubles: integral ones print as integers. */
static void put_double(cJSON *o, const char *key, double v)
{
	char num[40];
	if (!isfinite(v)) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		snprintf(num, sizeof num, "%lld", (long long)v);
	else
		snprintf(num, sizeof num, "%.17g", v);
	cJSON_AddRawToObject(o, key, num);
}

static const struct mi_field {
	const char *key;
	size_t off;
} mallinfo_fields[] = {
#define F(k) {#k, offsetof(hl_mallinfo_t, k)}
	F(arena), F(ordblks), F(smblks),   F(hblks),    F(hblkhd),
	F(usmblks), F(fsmblks), F(uordblks), F(fordblks), F(keepcost),
#undef F
};

static const struct mi_field total_fields[] = {
#define F(k) {#k, offsetof(hl_mi_total_t, k)}
	F(fast_count),           F(fast_bytes),       F(rest_count),
	F(rest_bytes),           F(mmap_count),       F(mmap_bytes),
	F(system_current_bytes), F(system_max_bytes), F(aspace_total_bytes),
	F(aspace_mprotect_bytes),
#undef F
};

static const struct mi_field arena_fields[] = {
#define F(k) {#k, offsetof(hl_mi_arena_t, k)}
	F(fast_count),       F(fast_bytes),         F(rest_count),
	F(rest_bytes),       F(system_current_bytes), F(system_max_bytes),
	F(aspace_total_bytes), F(aspace_mprotect_bytes), F(subheaps),
#undef F
};

static const struct mi_field walk_fields[] = {
#define F(k) {#k, offsetof(struct hl_walk_summary, k)}
	F(arenas),         F(chunks),          F(live_bytes),     F(tcache_bytes),
	F(fastbin_bytes),  F(top_bytes),       F(held_back_bytes), F(released_bytes),
	F(releasable_bytes), F(mmap_threshold), F(trim_threshold), F(rss_before_bytes),
	F(rss_after_bytes), F(reads),          F(duration_us),
#undef F
};

#define FIELD(base, f) (*(int64_t *)((char *)(base) + (f).off))
#define CFIELD(base, f) (*(const int64_t *)((const char *)(base) + (f).off))
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static cJSON *malloc_info_json(const hl_malloc_info_t *mi)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arenas = cJSON_AddArrayToObject(o, "arenas");
	for (size_t i = 0; i < mi->narenas; i++) {
		const hl_mi_arena_t *a = &mi->arenas[i];
		cJSON *ao = cJSON_CreateObject();
		hl_json_put_int(ao, "nr", a->nr);
		for (size_t k = 0; k < NFIELDS(arena_fields); k++)
			hl_json_put_int(ao, arena_fields[k].key, CFIELD(a, arena_fields[k]));
		cJSON *bins = cJSON_AddArrayToObject(ao, "bins");
		for (size_t b = 0; b < a->nbins; b++) {
			cJSON *bo = cJSON_CreateObject();
			hl_json_put_int(bo, "from", a->bins[b].from);
			hl_json_put_int(bo, "to", a->bins[b].to);
			hl_json_put_int(bo, "total_bytes", a->bins[b].total_bytes);
			hl_json_put_int(bo, "count", a->bins[b].count);
			cJSON_AddBoolToObject(bo, "unsorted", a->bins[b].unsorted);
			cJSON_AddItemToArray(bins, bo);
		}
		cJSON_AddItemToArray(arenas, ao);
	}
	cJSON *t = cJSON_AddObjectToObject(o, "total");
	for (size_t k = 0; k < NFIELDS(total_fields); k++)
		hl_json_put_int(t, total_fields[k].key, CFIELD(&mi->total, total_fields[k]));
	return o;
}

static cJSON *phase_json(const hl_phase_t *ph)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", ph->name);
	hl_json_put_int(o, "t_ms", ph->t_ms);
	hl_json_put_int(o, "rss_bytes", ph->rss_bytes);
	hl_json_put_int(o, "vsz_bytes", ph->vsz_bytes);
	hl_json_put_int(o, "heap_bytes", ph->heap_bytes);
	hl_json_put_int(o, "heap_rss_bytes", ph->heap_rss_bytes);
	if (ph->mallinfo2.valid) {
		cJSON *m = cJSON_AddObjectToObject(o, "mallinfo2");
		for (size_t k = 0; k < NFIELDS(mallinfo_fields); k++)
			hl_json_put_int(m, mallinfo_fields[k].key, CFIELD(&ph->mallinfo2, mallinfo_fields[k]));
	} else {
		cJSON_AddNullToObject(o, "mallinfo2");
	}
	if (ph->malloc_info_valid)
		cJSON_AddItemToObject(o, "malloc_info", malloc_info_json(&ph->malloc_info));
	else
		cJSON_AddNullToObject(o, "malloc_info");
	cJSON *obs = cJSON_AddObjectToObject(o, "observations");
	for (size_t i = 0; i < ph->nobs; i++)
		put_double(obs, ph->obs[i].key, ph->obs[i].value);
	if (ph->walk_valid) {
		const struct hl_walk_summary *w = &ph->walk;
		cJSON *wo = cJSON_AddObjectToObject(o, "walk");
		cJSON_AddStringToObject(wo, "method", w->method);
		cJSON_AddBoolToObject(wo, "complete", w->complete);
		cJSON_AddStringToObject(wo, "warning", w->warning);
		cJSON *m = cJSON_AddObjectToObject(wo, "mallinfo2");
		for (size_t k = 0; k < NFIELDS(mallinfo_fields); k++)
			hl_json_put_int(m, mallinfo_fields[k].key, CFIELD(&w->mallinfo2, mallinfo_fields[k]));
		for (size_t k = 0; k < NFIELDS(walk_fields); k++)
			hl_json_put_int(wo, walk_fields[k].key, CFIELD(w, walk_fields[k]));
	}
	return o;
}

int hl_run_to_json(const hl_run_t *run, hl_buf_t *out, hl_error_t *err)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return hl_error_set(err, -ENOMEM, "run.json: out of memory");
	hl_json_put_int(o, "schema_version", run->schema_version);
	cJSON_AddStringToObject(o, "experiment", run->experiment);
	cJSON_AddStringToObject(o, "program", run->program);
	cJSON *params = cJSON_AddObjectToObject(o, "params");
	for (size_t i = 0; i < run->nparams; i++)
		cJSON_AddStringToObject(params, run->params[i].name, run->params[i].value);
	cJSON_AddStringToObject(o, "glibc", run->glibc);
	cJSON_AddStringToObject(o, "kernel", run->kernel);
	cJSON_AddStringToObject(o, "tunables", run->tunables);
	cJSON_AddStringToObject(o, "allocator", run->allocator);
	cJSON_AddStringToObject(o, "env", run->env);
	cJSON_AddStringToObject(o, "started", run->started);
	hl_json_put_int(o, "interval_ms", run->interval_ms);
	cJSON_AddBoolToObject(o, "complete", run->complete);
	cJSON_AddStringToObject(o, "status", run->status);
	char code[16];
	snprintf(code, sizeof code, "%d", run->exit_code);
	cJSON_AddRawToObject(o, "exit_code", code);
	hl_json_put_int(o, "duration_ms", run->duration_ms);
	hl_json_put_int(o, "samples", run->nsamples);
	cJSON *phases = cJSON_AddArrayToObject(o, "phases");
	for (size_t i = 0; i < run->nphases; i++)
		cJSON_AddItemToArray(phases, phase_json(&run->phases[i]));
	char *text = cJSON_Print(o);
	cJSON_Delete(o);
	if (!text)
		return hl_error_set(err, -ENOMEM, "run.json: out of memory");
	hl_buf_reset(out);
	int rc = hl_buf_append(out, text, strlen(text));
	if (!rc)
		rc = hl_buf_append(out, "\n", 1);
	free(text);
	return rc ? hl_error_set(err, rc, "run.json: out of memory") : 0;
}

/* ------------------------------------------------------------ reading */

typedef struct reader {
	hl_error_t *err;
	int rc;
} reader_t;

static int bad(reader_t *r, const char *what, const char *key)
{
	if (!r->rc)
		r->rc = hl_error_set(r->err, HL_EPARSE, "run.json: %s '%s'", what, key);
	return r->rc;
}

static int64_t get_int(reader_t *r, const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v) {
		bad(r, "missing key", key);
		return HL_UNKNOWN;
	}
	if (cJSON_IsNull(v))
		return HL_UNKNOWN;
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    fabs(v->valuedouble) > 9.2e18) {
		bad(r, "not an integer:", key);
		return HL_UNKNOWN;
	}
	return (int64_t)v->valuedouble;
}

static void get_str(reader_t *r, const cJSON *o, const char *key, char *dst, size_t dstsz)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsString(v)) {
		bad(r, v ? "not a string:" : "missing key", key);
		dst[0] = '\0';
		return;
	}
	snprintf(dst, dstsz, "%s", v->valuestring);
}

static void read_malloc_info(reader_t *r, const cJSON *o, hl_malloc_info_t *mi)
{
	const cJSON *arenas = cJSON_GetObjectItemCaseSensitive(o, "arenas");
	const cJSON *total = cJSON_GetObjectItemCaseSensitive(o, "total");
	if (!cJSON_IsArray(arenas) || !cJSON_IsObject(total)) {
		bad(r, "malloc_info needs", "arenas/total");
		return;
	}
	int n = cJSON_GetArraySize(arenas);
	mi->arenas = calloc((size_t)n + 1, sizeof *mi->arenas);
	if (!mi->arenas) {
		bad(r, "out of memory at", "arenas");
		return;
	}
	const cJSON *ao;
	cJSON_ArrayForEach(ao, arenas)
	{
		hl_mi_arena_t *a = &mi->arenas[mi->narenas++];
		a->nr = (int)get_int(r, ao, "nr");
		for (size_t k = 0; k < NFIELDS(arena_fields); k++)
			FIELD(a, arena_fields[k]) = get_int(r, ao, arena_fields[k].key);
		const cJSON *bins = cJSON_GetObjectItemCaseSensitive(ao, "bins");
		if (!cJSON_IsArray(bins)) {
			bad(r, "not a list:", "bins");
			return;
		}
		int nb = cJSON_GetArraySize(bins);
		a->bins = calloc((size_t)nb + 1, sizeof *a->bins);
		if (!a->bins) {
			bad(r, "out of memory at", "bins");
			return;
		}
		const cJSON *bo;
		cJSON_ArrayForEach(bo, bins)
		{
			hl_mi_bin_t *b = &a->bins[a->nbins++];
			b->from = get_int(r, bo, "from");
			b->to = get_int(r, bo, "to");
			b->total_bytes = get_int(r, bo, "total_bytes");
			b->count = get_int(r, bo, "count");
			b->unsorted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(bo, "unsorted"));
		}
	}
	for (size_t k = 0; k < NFIELDS(total_fields); k++)
		FIELD(&mi->total, total_fields[k]) = get_int(r, total, total_fields[k].key);
}

static void read_phase(reader_t *r, const cJSON *o, hl_phase_t *ph)
{
	memset(ph, 0, sizeof *ph);
	if (!cJSON_IsObject(o)) {
		bad(r, "a phase is not an", "object");
		return;
	}
	get_str(r, o, "name", ph->name, sizeof ph->name);
	ph->t_ms = get_int(r, o, "t_ms");
	ph->rss_bytes = get_int(r, o, "rss_bytes");
	ph->vsz_bytes = get_int(r, o, "vsz_bytes");
	ph->heap_bytes = get_int(r, o, "heap_bytes");
	ph->heap_rss_bytes = get_int(r, o, "heap_rss_bytes");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "mallinfo2");
	if (cJSON_IsObject(m)) {
		ph->mallinfo2.valid = true;
		for (size_t k = 0; k < NFIELDS(mallinfo_fields); k++)
			FIELD(&ph->mallinfo2, mallinfo_fields[k]) =
				get_int(r, m, mallinfo_fields[k].key);
	} else if (!cJSON_IsNull(m)) {
		bad(r, m ? "not an object or null:" : "missing key", "mallinfo2");
	}
	const cJSON *mi = cJSON_GetObjectItemCaseSensitive(o, "malloc_info");
	if (cJSON_IsObject(mi)) {
		ph->malloc_info_valid = true;
		read_malloc_info(r, mi, &ph->malloc_info);
	} else if (!cJSON_IsNull(mi)) {
		bad(r, mi ? "not an object or null:" : "missing key", "malloc_info");
	}
	const cJSON *wo = cJSON_GetObjectItemCaseSensitive(o, "walk");
	if (cJSON_IsObject(wo)) {
		struct hl_walk_summary *w = &ph->walk;
		ph->walk_valid = true;
		get_str(r, wo, "method", w->method, sizeof w->method);
		get_str(r, wo, "warning", w->warning, sizeof w->warning);
		w->complete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(wo, "complete"));
		const cJSON *wm = cJSON_GetObjectItemCaseSensitive(wo, "mallinfo2");
		if (!cJSON_IsObject(wm)) {
			bad(r, "not an object:", "walk.mallinfo2");
		} else {
			w->mallinfo2.valid = true;
			for (size_t k = 0; k < NFIELDS(mallinfo_fields); k++)
				FIELD(&w->mallinfo2, mallinfo_fields[k]) =
					get_int(r, wm, mallinfo_fields[k].key);
		}
		for (size_t k = 0; k < NFIELDS(walk_fields); k++)
			FIELD(w, walk_fields[k]) = get_int(r, wo, walk_fields[k].key);
	}
	const cJSON *obs = cJSON_GetObjectItemCaseSensitive(o, "observations");
	if (!cJSON_IsObject(obs)) {
		bad(r, "not an object:", "observations");
		return;
	}
	const cJSON *v;
	cJSON_ArrayForEach(v, obs)
	{
		if (!cJSON_IsNumber(v) || !v->string) {
			bad(r, "observation is not a number:", v->string ? v->string : "?");
			return;
		}
		hl_phase_observe(ph, v->string, v->valuedouble);
	}
}

int hl_run_from_json(const char *buf, size_t len, hl_run_t *run, hl_error_t *err)
{
	hl_run_init(run);
	cJSON *o = cJSON_ParseWithLength(buf, len);
	if (!o)
		return hl_error_set(err, HL_EPARSE, "run.json is not JSON (cut short or damaged)");
	reader_t r = {err, 0};
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return hl_error_set(err, HL_EPARSE, "run.json is not a JSON object");
	}
	int64_t version = get_int(&r, o, "schema_version");
	if (r.rc == 0 && version != HL_RUN_SCHEMA_VERSION) {
		cJSON_Delete(o);
		return hl_error_set(err, HL_ESCHEMA,
				    "run.json has schema_version %lld; this heaplab reads version %d",
				    (long long)version, HL_RUN_SCHEMA_VERSION);
	}
	run->schema_version = (int)version;
	get_str(&r, o, "experiment", run->experiment, sizeof run->experiment);
	get_str(&r, o, "program", run->program, sizeof run->program);
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(o, "params");
	if (!cJSON_IsObject(params)) {
		bad(&r, "not an object:", "params");
	} else {
		const cJSON *p;
		cJSON_ArrayForEach(p, params)
		{
			if (!cJSON_IsString(p) || !p->string) {
				bad(&r, "parameter is not a string:", p->string ? p->string : "?");
				break;
			}
			hl_run_add_param(run, p->string, p->valuestring);
		}
	}
	get_str(&r, o, "glibc", run->glibc, sizeof run->glibc);
	get_str(&r, o, "kernel", run->kernel, sizeof run->kernel);
	get_str(&r, o, "tunables", run->tunables, sizeof run->tunables);
	get_str(&r, o, "allocator", run->allocator, sizeof run->allocator);
	/* env came after the first records of this schema: optional */
	if (cJSON_GetObjectItemCaseSensitive(o, "env"))
		get_str(&r, o, "env", run->env, sizeof run->env);
	get_str(&r, o, "started", run->started, sizeof run->started);
	run->interval_ms = get_int(&r, o, "interval_ms");
	const cJSON *complete = cJSON_GetObjectItemCaseSensitive(o, "complete");
	if (!cJSON_IsBool(complete))
		bad(&r, "not a boolean:", "complete");
	run->complete = cJSON_IsTrue(complete);
	get_str(&r, o, "status", run->status, sizeof run->status);
	run->exit_code = (int)get_int(&r, o, "exit_code");
	run->duration_ms = get_int(&r, o, "duration_ms");
	run->nsamples = get_int(&r, o, "samples");
	const cJSON *phases = cJSON_GetObjectItemCaseSensitive(o, "phases");
	if (!cJSON_IsArray(phases)) {
		bad(&r, "not a list:", "phases");
	} else {
		const cJSON *p;
		cJSON_ArrayForEach(p, phases)
		{
			hl_phase_t ph;
			read_phase(&r, p, &ph);
			if (r.rc) {
				hl_phase_free(&ph);
				break;
			}
			hl_run_add_phase(run, &ph);
		}
	}
	cJSON_Delete(o);
	if (r.rc) {
		hl_run_free(run);
		return r.rc;
	}
	return 0;
}

/* ------------------------------------------------------------ files */

int hl_run_save(const hl_run_t *run, const char *dir, hl_error_t *err)
{
	hl_buf_t text = {0};
	int rc = hl_run_to_json(run, &text, err);
	if (rc) {
		hl_buf_free(&text);
		return rc;
	}
	char tmp[PATH_MAX], path[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s/.run.json.tmp", dir);
	snprintf(path, sizeof path, "%s/run.json", dir);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		hl_buf_free(&text);
		return hl_error_set(err, -e, "cannot write %s: %s", tmp, strerror(e));
	}
	const char *p = text.data;
	size_t left = text.len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			hl_buf_free(&text);
			return hl_error_set(err, -e, "cannot write %s: %s", tmp, strerror(e));
		}
		p += w;
		left -= (size_t)w;
	}
	hl_buf_free(&text);
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return hl_error_set(err, -e, "cannot save %s: %s", path, strerror(e));
	}
	return 0;
}

int hl_run_load(const char *dir, hl_run_t *run, hl_error_t *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/run.json", dir);
	hl_run_init(run);
	hl_buf_t text = {0};
	int rc = hl_file_read(path, &text, err);
	if (rc == -ENOENT || rc == -ENOTDIR) {
		hl_buf_free(&text);
		return hl_error_set(err, rc, "%s is not a run directory (no run.json)", dir);
	}
	if (rc) {
		hl_buf_free(&text);
		return rc;
	}
	rc = hl_run_from_json(text.data, text.len, run, err);
	hl_buf_free(&text);
	return rc;
}
