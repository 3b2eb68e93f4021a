/*
 * snapshot.c — one snapshot of a process for heapview: /proc figures (RSS,
 * VSZ, regions by class) and the heap walk, as text or as JSON. The model
 * the live view will draw from; it reads through libheaplab and prints
 * nothing itself but into the buffer it is given.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "heapview.h"

int hv_snapshot_take(pid_t pid, hv_snapshot_t *s, hl_error_t *err)
{
	hl_glibc_layout_t cache;
	memset(&cache, 0, sizeof cache);
	return hv_snapshot_take_opts(pid, &cache, 0, s, err);
}

int hv_snapshot_take_opts(pid_t pid, hl_glibc_layout_t *cache, int flags, hv_snapshot_t *s,
			  hl_error_t *err)
{
	memset(s, 0, sizeof *s);
	s->pid = pid;
	hl_buf_t b = {0};
	int rc = hl_procfs_read(pid, "status", &b, err);
	if (!rc)
		rc = hl_status_parse(b.data, b.len, &s->status, err);
	if (!rc)
		rc = hl_procfs_read(pid, "smaps", &b, err);
	if (!rc)
		rc = hl_smaps_parse(b.data, b.len, &s->regions, err);
	hl_buf_free(&b);
	if (rc)
		return rc;
	hl_peek_t pk;
	if (hl_peek_open(&pk, pid, NULL) == 0) {
		hl_region_classify(&s->regions, hl_peek_read16, &pk);
		hl_peek_close(&pk);
	} else {
		hl_region_classify(&s->regions, NULL, NULL);
	}
	hl_error_t werr = {0};
	if (hl_walk_process_opts(pid, cache, flags, &s->walk, &werr) == 0) {
		s->walk_valid = true;
		if (flags & HL_WALK_CHUNKS)
			s->npins = hl_heap_pins(&s->walk, NULL, s->pins, 16);
	} else
		snprintf(s->walk_error, sizeof s->walk_error, "%s", werr.msg);
	return 0;
}

void hv_snapshot_free(hv_snapshot_t *s)
{
	hl_walk_free(&s->walk);
	hl_regions_free(&s->regions);
}

static void put(cJSON *o, const char *k, int64_t v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, (double)v);
}

int hv_snapshot_json(const hv_snapshot_t *s, hl_buf_t *out)
{
	cJSON *o = cJSON_CreateObject();
	const hl_walk_t *w = &s->walk;
	put(o, "pid", s->pid);
	cJSON_AddStringToObject(o, "command", s->status.name);
	put(o, "rss_bytes", s->status.vm_rss_bytes);
	put(o, "vsz_bytes", s->status.vm_size_bytes);
	if (s->walk_valid) {
		put(o, "live_bytes", w->live_bytes);
		/* a default walk samples the in-use chunks: their count, and live
		 * to 8 bytes a chunk, are estimates (--exact counts them) */
		cJSON_AddBoolToObject(o, "chunks_estimated", w->chunks_estimated);
		put(o, "chunks", w->chunks);
		put(o, "held_back_bytes", w->held_back_bytes);
		put(o, "released_bytes", w->released_bytes);
		put(o, "releasable_bytes", w->releasable_bytes);
		put(o, "tcache_bytes", w->tcache_bytes);
		put(o, "fastbin_bytes", w->fastbin_bytes);
		put(o, "top_bytes", w->top_bytes);
		put(o, "mmapped_chunks", w->mmapped_chunks);
		put(o, "mmapped_bytes", w->mmapped_bytes);
		cJSON_AddStringToObject(o, "method", w->method);
		put(o, "mmap_threshold", w->mmap_threshold);
		put(o, "trim_threshold", w->trim_threshold);
		cJSON_AddBoolToObject(o, "complete", w->complete);
		cJSON_AddStringToObject(o, "warning", w->warning);
		cJSON *cost = cJSON_AddObjectToObject(o, "walk_cost");
		put(cost, "process_vm_readv_calls", w->reads);
		put(cost, "pieces", w->pieces);
		put(cost, "pagemap_reads", w->pagemap_reads);
		put(cost, "bytes_read", w->bytes_read);
		cJSON *arenas = cJSON_AddArrayToObject(o, "arenas");
		for (size_t i = 0; i < w->narenas; i++) {
			const hl_walk_arena_t *a = &w->arenas[i];
			cJSON *ao = cJSON_CreateObject();
			put(ao, "index", (int64_t)i);
			cJSON_AddBoolToObject(ao, "main", a->main);
			put(ao, "system_bytes", a->system_bytes);
			put(ao, "in_use_bytes", a->in_use_bytes);
			put(ao, "free_bytes", a->free_bytes);
			put(ao, "chunks", a->chunks);
			put(ao, "in_use_chunks", a->in_use_chunks);
			put(ao, "free_chunks", a->free_chunks);
			put(ao, "live_bytes", a->live_bytes);
			put(ao, "tcache_bytes", a->tcache_bytes);
			put(ao, "fastbin_bytes", a->fastbin_bytes);
			put(ao, "top_bytes", a->top_bytes);
			put(ao, "held_back_bytes", a->held_back_bytes);
			put(ao, "released_bytes", a->released_bytes);
			put(ao, "releasable_bytes", a->releasable_bytes);
			put(ao, "heaps", a->nheaps);
			cJSON_AddItemToArray(arenas, ao);
		}
	} else {
		cJSON_AddStringToObject(o, "method", "none");
		cJSON_AddStringToObject(o, "walk_error", s->walk_error);
		cJSON_AddArrayToObject(o, "arenas");
	}
	cJSON *regions = cJSON_AddObjectToObject(o, "regions");
	for (int c = 0; c < HL_REGION_NCLASSES; c++) {
		int64_t n = 0, bytes = 0, rss = 0;
		for (size_t i = 0; i < s->regions.n; i++)
			if ((int)s->regions.v[i].cls == c) {
				n++;
				bytes += (int64_t)(s->regions.v[i].end - s->regions.v[i].start);
				rss += s->regions.v[i].rss_bytes > 0 ? s->regions.v[i].rss_bytes : 0;
			}
		cJSON *ro = cJSON_AddObjectToObject(regions, hl_region_class_name((hl_region_class_t)c));
		put(ro, "count", n);
		put(ro, "bytes", bytes);
		put(ro, "rss_bytes", rss);
	}
	char *text = cJSON_Print(o);
	cJSON_Delete(o);
	if (!text)
		return -12;
	hl_buf_reset(out);
	int rc = hl_buf_printf(out, "%s\n", text);
	cJSON_free(text);
	return rc;
}

int hv_snapshot_text(const hv_snapshot_t *s, hl_buf_t *out)
{
	char a[32], b[32], c[32], d[32];
	const hl_walk_t *w = &s->walk;
	hl_buf_reset(out);
	hl_buf_printf(out, "%s (pid %d): RSS %s, VSZ %s\n", s->status.name, (int)s->pid,
		      hl_units_bytes(s->status.vm_rss_bytes, a, sizeof a),
		      hl_units_bytes(s->status.vm_size_bytes, b, sizeof b));
	if (!s->walk_valid) {
		hl_buf_printf(out, "heap: not walked: %s\n", s->walk_error);
		return 0;
	}
	const char *est = w->chunks_estimated ? "~" : "";
	hl_buf_printf(out, "heap: live %s%s, held back %s, released %s, releasable by malloc_trim %s\n",
		      est, hl_units_bytes(w->live_bytes, a, sizeof a),
		      hl_units_bytes(w->held_back_bytes, b, sizeof b),
		      hl_units_bytes(w->released_bytes, c, sizeof c),
		      hl_units_bytes(w->releasable_bytes, d, sizeof d));
	hl_buf_printf(out, "      tcache %s, fastbins %s, top %s, mmapped chunks %lld (%s)\n",
		      hl_units_bytes(w->tcache_bytes, a, sizeof a),
		      hl_units_bytes(w->fastbin_bytes, b, sizeof b),
		      hl_units_bytes(w->top_bytes, c, sizeof c), (long long)w->mmapped_chunks,
		      hl_units_bytes(w->mmapped_bytes, d, sizeof d));
	hl_buf_printf(out, "      mmap_threshold %s (default 128.0 KiB), trim_threshold %s\n",
		      hl_units_bytes(w->mmap_threshold, a, sizeof a),
		      hl_units_bytes(w->trim_threshold, b, sizeof b));
	for (size_t i = 0; i < w->narenas; i++) {
		const hl_walk_arena_t *ar = &w->arenas[i];
		hl_buf_printf(out, "arena %zu%s: system %s, in use %s, free %s, %s%lld chunks\n", i,
			      ar->main ? " (main)" : "", hl_units_bytes(ar->system_bytes, a, sizeof a),
			      hl_units_bytes(ar->in_use_bytes, b, sizeof b),
			      hl_units_bytes(ar->free_bytes, c, sizeof c), est, (long long)ar->chunks);
	}
	if (w->chunks_estimated)
		hl_buf_printf(out, "~ estimated: the in-use chunks were sampled, not counted "
				   "(heapview --once --exact counts them, at about the cost of "
				   "copying the heap)\n");
	hl_buf_printf(out, "found by %s%s%s\n", w->method, w->complete ? "" : "; incomplete: ",
		      w->complete ? "" : w->warning);
	return 0;
}
