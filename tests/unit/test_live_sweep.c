/*
 * test_live_sweep.c — `heaplab sweep` over two allocators and over a
 * parameter: one complete run per configuration, sweep.json/tsv and plots;
 * under jemalloc the inside figures are recorded as unavailable, and
 * jemalloc (default settings) keeps brk_pin's freed memory resident too.
 */
#include <cjson/cJSON.h>

#include <unistd.h>

#include "live.h"

static cJSON *load_json(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	hl_buf_t b = {0};
	cJSON *j = hl_file_read(path, &b, NULL) == 0 ? cJSON_Parse(b.data) : NULL;
	hl_buf_free(&b);
	return j;
}

static bool exists(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return access(path, R_OK) == 0;
}

int main(void)
{
	char dir[512], cmd[1024];
	/* live_run_full makes the temp dir; a small run there first */
	hl_run_t run;
	live_run("brk_pin", "--blocks=64", &run);
	hl_run_free(&run);
	snprintf(dir, sizeof dir, "%s/sweep-alloc", live_tmp);
	snprintf(cmd, sizeof cmd,
		 "%s sweep brk_pin --allocator glibc,jemalloc --out %s -- --hold_ms=0 --blocks=16384 "
		 "2>&1",
		 live_heaplab(), dir);
	hl_buf_t out = {0};
	T_EQ_INT(live_sh(cmd, &out), 0, "sweep over glibc,jemalloc exits 0");
	T_OK(out.data && strstr(out.data, "RSS per phase:") && strstr(out.data, "jemalloc"),
	     "prints the comparison table");
	cJSON *j = load_json(dir, "sweep.json");
	cJSON *configs = cJSON_GetObjectItem(j, "configs");
	T_EQ_INT(cJSON_GetArraySize(configs), 2, "sweep.json has two configurations");
	cJSON *g = cJSON_GetArrayItem(configs, 0), *je = cJSON_GetArrayItem(configs, 1);
	T_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(je, "allocator")), "jemalloc",
		 "the second is jemalloc");
	T_OK(cJSON_IsTrue(cJSON_GetObjectItem(g, "complete")) &&
		     cJSON_IsTrue(cJSON_GetObjectItem(je, "complete")),
	     "both runs complete");
	cJSON *gp = cJSON_GetArrayItem(cJSON_GetObjectItem(g, "phases"), 0);
	cJSON *jp = cJSON_GetArrayItem(cJSON_GetObjectItem(je, "phases"), 0);
	T_OK(cJSON_IsNumber(cJSON_GetObjectItem(gp, "in_use_bytes")), "glibc: in use is a number");
	T_OK(cJSON_IsNull(cJSON_GetObjectItem(jp, "in_use_bytes")),
	     "jemalloc: in use is null (mallinfo2 does not describe jemalloc)");

	/* the jemalloc run's own record */
	hl_run_t jr;
	char rdir[600];
	snprintf(rdir, sizeof rdir, "%s/%s", dir,
		 cJSON_GetStringValue(cJSON_GetObjectItem(je, "dir")));
	T_EQ_INT(hl_run_load(rdir, &jr, NULL), 0, "the jemalloc run directory loads");
	T_EQ_STR(jr.allocator, "jemalloc", "its run.json names the allocator");
	const hl_phase_t *a = live_phase(&jr, "allocated"), *f = live_phase(&jr, "freed");
	T_OK(!a->mallinfo2.valid && !a->malloc_info_valid, "mallinfo2 and malloc_info unavailable");
	T_OK(f->rss_bytes * 10 >= a->rss_bytes * 8,
	     "jemalloc also keeps the freed 64 MiB resident at 'freed' (%lld of %lld)",
	     (long long)f->rss_bytes, (long long)a->rss_bytes);
	hl_run_free(&jr);
	T_OK(exists(dir, "sweep.tsv") && exists(dir, "sweep-rss.tsv") && exists(dir, "sweep.gp"),
	     "sweep.tsv, sweep-rss.tsv, sweep.gp");
	T_OK(exists(dir, "sweep-rss.png") && exists(dir, "sweep-timeline.png") &&
		     exists(dir, "sweep-rss.svg"),
	     "the grouped bars and the overlaid timelines are drawn");
	cJSON_Delete(j);
	hl_buf_free(&out);

	/* the product of a tunable and a parameter: 2 x 2 runs */
	snprintf(dir, sizeof dir, "%s/sweep-product", live_tmp);
	snprintf(cmd, sizeof cmd,
		 "%s sweep top_trim --tunable glibc.malloc.trim_threshold=131072,1073741824 "
		 "--param reverse=0,1 --out %s -- --hold_ms=0 --blocks=8192 >/dev/null 2>&1",
		 live_heaplab(), dir);
	T_EQ_INT(live_sh(cmd, NULL), 0, "sweep over a tunable and a parameter exits 0");
	j = load_json(dir, "sweep.json");
	configs = cJSON_GetObjectItem(j, "configs");
	T_EQ_INT(cJSON_GetArraySize(configs), 4, "2 x 2 = 4 configurations");
	int kept = 0;
	cJSON *co;
	cJSON_ArrayForEach(co, configs)
	{
		cJSON *fr = cJSON_GetArrayItem(cJSON_GetObjectItem(co, "phases"), 1);
		double heap = cJSON_GetNumberValue(cJSON_GetObjectItem(fr, "heap_bytes"));
		const char *tun = cJSON_GetStringValue(cJSON_GetObjectItem(co, "tunables"));
		bool high = strstr(tun, "1073741824") != NULL;
		kept += high ? heap >= 32 * MiB : heap < MiB;
	}
	T_EQ_INT(kept, 4, "the high threshold keeps the heap, the default trims it, either order");
	cJSON_Delete(j);

	/* bad input */
	snprintf(cmd, sizeof cmd, "%s sweep brk_pin --allocator glibc,hoard 2>&1", live_heaplab());
	out = (hl_buf_t){0};
	T_EQ_INT(live_sh(cmd, &out), 2, "unknown allocator: exit 2");
	T_OK(out.data && strstr(out.data, "unknown allocator 'hoard'"), "names it");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd,
		 "HEAPLAB_ALLOCATOR_DIR=/nonexistent %s sweep brk_pin --allocator tcmalloc 2>&1",
		 live_heaplab());
	T_EQ_INT(live_sh(cmd, &out), 2, "allocator not installed: exit 2");
	T_OK(out.data && strstr(out.data, "apt-get install libtcmalloc-minimal4"),
	     "names the package to install");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s sweep brk_pin --param bogus=1,2 2>&1", live_heaplab());
	T_EQ_INT(live_sh(cmd, &out), 2, "unknown parameter: exit 2");
	T_OK(out.data && strstr(out.data, "no parameter 'bogus'"), "names it");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd, "%s sweep brk_pin --tunable glibc.malloc.arena_max 2>&1",
		 live_heaplab());
	T_EQ_INT(live_sh(cmd, &out), 2, "malformed tunable: exit 2");
	T_OK(out.data && strstr(out.data, "NAME=V1,V2"), "says the form");
	hl_buf_free(&out);
	snprintf(cmd, sizeof cmd,
		 "HEAPLAB_ALLOCATOR_DIR=/nonexistent %s run brk_pin --allocator mimalloc 2>&1",
		 live_heaplab());
	T_EQ_INT(live_sh(cmd, &out), 2, "run with an allocator not installed: exit 2");
	T_OK(out.data && strstr(out.data, "apt-get install libmimalloc2.0"), "names the package");
	hl_buf_free(&out);
	return t_done();
}
