/*
 * sweep.c — the files of a sweep (one experiment run once per allocator,
 * tunable and parameter value): sweep.json, sweep.tsv and the RSS matrix the
 * bar chart reads, and sweep.json read back (for the report). It formats
 * what the runs recorded; running them is the harness's job and the plot
 * script is plot.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_internal.h"

static int64_t in_use(const hl_phase_t *p)
{
	return p->mallinfo2.valid ? p->mallinfo2.uordblks + p->mallinfo2.hblkhd : HL_UNKNOWN;
}

int hl_sweep_to_json(const char *experiment, const hl_sweep_config_t *c, size_t n,
		     hl_buf_t *out, hl_error_t *err)
{
	cJSON *o = cJSON_CreateObject();
	hl_json_put_int(o, "schema_version", 1);
	cJSON_AddStringToObject(o, "experiment", experiment);
	cJSON *configs = cJSON_AddArrayToObject(o, "configs");
	for (size_t i = 0; i < n; i++) {
		cJSON *co = cJSON_CreateObject();
		cJSON_AddStringToObject(co, "label", c[i].label);
		cJSON_AddStringToObject(co, "dir", c[i].dir);
		cJSON_AddStringToObject(co, "allocator", c[i].allocator);
		cJSON_AddStringToObject(co, "tunables", c[i].tunables);
		cJSON_AddStringToObject(co, "params", c[i].params);
		cJSON_AddBoolToObject(co, "complete", c[i].loaded && c[i].run.complete);
		cJSON *phases = cJSON_AddArrayToObject(co, "phases");
		for (size_t k = 0; c[i].loaded && k < c[i].run.nphases; k++) {
			const hl_phase_t *p = &c[i].run.phases[k];
			cJSON *po = cJSON_CreateObject();
			cJSON_AddStringToObject(po, "name", p->name);
			hl_json_put_int(po, "t_ms", p->t_ms);
			hl_json_put_int(po, "rss_bytes", p->rss_bytes);
			hl_json_put_int(po, "vsz_bytes", p->vsz_bytes);
			hl_json_put_int(po, "heap_bytes", p->heap_bytes);
			hl_json_put_int(po, "in_use_bytes", in_use(p));
			cJSON_AddItemToArray(phases, po);
		}
		cJSON_AddItemToArray(configs, co);
	}
	char *text = cJSON_Print(o);
	cJSON_Delete(o);
	if (!text)
		return hl_error_set(err, -12, "sweep.json: out of memory");
	hl_buf_reset(out);
	int rc = hl_buf_printf(out, "%s\n", text);
	cJSON_free(text);
	return rc;
}

static int num(hl_buf_t *out, int64_t v)
{
	return v < 0 ? hl_buf_printf(out, "\tNA") : hl_buf_printf(out, "\t%lld", (long long)v);
}

int hl_sweep_tsv(const hl_sweep_config_t *c, size_t n, hl_buf_t *out)
{
	hl_buf_reset(out);
	int rc = hl_buf_printf(out, "config\tlabel\tallocator\ttunables\tparams\tphase\tt_ms\trss_bytes\t"
				    "vsz_bytes\theap_bytes\tin_use_bytes\n");
	for (size_t i = 0; i < n && !rc; i++)
		for (size_t k = 0; c[i].loaded && k < c[i].run.nphases && !rc; k++) {
			const hl_phase_t *p = &c[i].run.phases[k];
			rc = hl_buf_printf(out, "%zu\t%s\t%s\t%s\t%s\t%s", i + 1, c[i].label,
					   c[i].allocator, c[i].tunables[0] ? c[i].tunables : "-",
					   c[i].params[0] ? c[i].params : "-", p->name);
			rc = rc ? rc : num(out, p->t_ms);
			rc = rc ? rc : num(out, p->rss_bytes);
			rc = rc ? rc : num(out, p->vsz_bytes);
			rc = rc ? rc : num(out, p->heap_bytes);
			rc = rc ? rc : num(out, in_use(p));
			rc = rc ? rc : hl_buf_printf(out, "\n");
		}
	return rc;
}

int hl_sweep_rss_matrix(const hl_sweep_config_t *c, size_t n, hl_buf_t *out)
{
	/* phase names in the order first seen */
	const char *names[256];
	size_t nn = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; c[i].loaded && k < c[i].run.nphases; k++) {
			const char *name = c[i].run.phases[k].name;
			size_t j = 0;
			while (j < nn && strcmp(names[j], name))
				j++;
			if (j == nn && nn < sizeof names / sizeof names[0])
				names[nn++] = name;
		}
	hl_buf_reset(out);
	int rc = hl_buf_printf(out, "phase");
	for (size_t i = 0; i < n && !rc; i++)
		rc = hl_buf_printf(out, "\t%zu", i + 1);
	rc = rc ? rc : hl_buf_printf(out, "\n");
	for (size_t j = 0; j < nn && !rc; j++) {
		rc = hl_buf_printf(out, "%s", names[j]);
		for (size_t i = 0; i < n && !rc; i++) {
			const hl_phase_t *p = c[i].loaded ? hl_run_phase(&c[i].run, names[j]) : NULL;
			rc = p && p->rss_bytes >= 0
				     ? hl_buf_printf(out, "\t%.1f", (double)p->rss_bytes / 1048576.0)
				     : hl_buf_printf(out, "\tNA");
		}
		rc = rc ? rc : hl_buf_printf(out, "\n");
	}
	return rc;
}

static void json_str(const cJSON *o, const char *key, char *dst, size_t dstsz)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	snprintf(dst, dstsz, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

int hl_sweep_from_json(const char *buf, size_t len, char *experiment, size_t expsz,
		       hl_sweep_config_t **out, size_t *n, hl_error_t *err)
{
	*out = NULL;
	*n = 0;
	experiment[0] = '\0';
	cJSON *o = len ? cJSON_ParseWithLength(buf, len) : NULL;
	const cJSON *configs = o ? cJSON_GetObjectItemCaseSensitive(o, "configs") : NULL;
	if (!cJSON_IsObject(o) || !cJSON_IsArray(configs)) {
		cJSON_Delete(o);
		return hl_error_set(err, HL_EPARSE,
				    "sweep.json is not a sweep record (damaged, or cut short)");
	}
	json_str(o, "experiment", experiment, expsz);
	size_t total = (size_t)cJSON_GetArraySize(configs);
	hl_sweep_config_t *c = calloc(total ? total : 1, sizeof *c);
	if (!c) {
		cJSON_Delete(o);
		return hl_error_set(err, -ENOMEM, "sweep.json: out of memory");
	}
	const cJSON *v;
	size_t k = 0;
	cJSON_ArrayForEach(v, configs)
	{
		if (!cJSON_IsObject(v))
			continue;
		hl_sweep_config_t *cf = &c[k++];
		json_str(v, "label", cf->label, sizeof cf->label);
		json_str(v, "dir", cf->dir, sizeof cf->dir);
		json_str(v, "allocator", cf->allocator, sizeof cf->allocator);
		json_str(v, "tunables", cf->tunables, sizeof cf->tunables);
		json_str(v, "params", cf->params, sizeof cf->params);
		hl_run_init(&cf->run);
	}
	cJSON_Delete(o);
	*out = c;
	*n = k;
	return 0;
}

void hl_sweep_free(hl_sweep_config_t *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		hl_run_free(&c[i].run);
	free(c);
}
