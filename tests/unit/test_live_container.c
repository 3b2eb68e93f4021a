/*
 * test_live_container.c — a process in a container, walked from outside.
 * tests/helpers/in_root starts heap_shape as a container runtime would: in
 * a mount namespace of its own, pivot_root'ed into another Debian suite's
 * tree (sid's glibc 2.43; bullseye's 2.31 with heap_shape's 2.31 build).
 * Its /proc/PID/maps names /usr/lib/x86_64-linux-gnu/libc.so.6 (or
 * /lib/...): a path the host has too, holding the host's 2.36, another
 * build. The walker must read the target's own file (map_files, or the
 * target's root) and its debug info from the target's root: every walk's
 * totals equal the target's own mallinfo2, with debug info and without,
 * and heaplab diagnose names the target's glibc.
 */
#include <cjson/cJSON.h>

#include "live.h"

static void contained(const char *suite, const char *shape)
{
	hl_glibc_env_t e;
	hl_error_t err = {0};
	int rc = hl_glibc_env_find(suite, &e, &err);
	T_EQ_INT(rc, 0, "%s is in the matrix (make matrix) %s", suite, err.msg);
	if (rc)
		return;
	char *argv[] = {"build/tests/helpers/in_root", e.root, (char *)shape, "mixed", "--gib=0.25",
			"--threads=4", NULL};
	live_shape_t t;
	bool up = live_shape_start(&t, argv);
	T_OK(up, "%s: heap_shape runs in a root of its own", suite);
	if (!up) {
		live_shape_stop(&t);
		return;
	}

	/* the trap: the path in maps is a different file on the host */
	hl_buf_t b = {0};
	hl_regions_t r = {0};
	char path[600] = "", inside[300], host_id[128] = "", own_id[128] = "";
	if (hl_procfs_read(t.pid, "maps", &b, NULL) == 0 && hl_maps_parse(b.data, b.len, &r, NULL) == 0)
		for (size_t i = 0; i < r.n && !path[0]; i++)
			if (strstr(r.v[i].path, "/libc") && r.v[i].offset == 0) {
				snprintf(inside, sizeof inside, "%s", r.v[i].path);
				snprintf(path, sizeof path, "/proc/%d/map_files/%llx-%llx", (int)t.pid,
					 (unsigned long long)r.v[i].start, (unsigned long long)r.v[i].end);
			}
	hl_regions_free(&r);
	hl_buf_free(&b);
	hl_glibc_build_id(path, own_id, sizeof own_id, NULL);
	hl_glibc_build_id(inside, host_id, sizeof host_id, NULL);
	T_OK(own_id[0] && strcmp(own_id, host_id),
	     "%s: maps names %s, which on the host is another build or nothing (%s, the target's "
	     "%s)",
	     suite, inside, host_id[0] ? host_id : "none", own_id);

	for (int nodebug = 0; nodebug < 2; nodebug++) {
		if (nodebug)
			setenv("HEAPLAB_NO_DEBUGINFO", "1", 1);
		for (int exact = 0; exact < 2; exact++) {
			hl_glibc_layout_t cache;
			memset(&cache, 0, sizeof cache);
			hl_walk_t w;
			char how[120], want[120];
			snprintf(how, sizeof how, "%s in a container, %s, %s walk", suite,
				 nodebug ? "no debug info" : "debug info", exact ? "an exact" : "a default");
			rc = hl_walk_process_opts(t.pid, &cache, exact ? HL_WALK_EXACT : 0, &w, &err);
			T_EQ_INT(rc, 0, "%s: walked %s", how, err.msg);
			if (rc)
				continue;
			if (nodebug)
				snprintf(want, sizeof want, "builtin glibc %s x86-64 layout", e.version);
			else
				snprintf(want, sizeof want, "dwarf: /proc/%d/root/usr/lib/debug/", (int)t.pid);
			T_OK(strstr(w.method, want) != NULL, "%s: method says '%s' (%s)", how, want, w.method);
			const hl_mallinfo_t *m = &t.mi, *g = &w.mallinfo2;
			T_OK(w.complete && m->arena == g->arena && m->ordblks == g->ordblks &&
				     m->smblks == g->smblks && m->uordblks == g->uordblks &&
				     m->fordblks == g->fordblks && m->keepcost == g->keepcost &&
				     m->hblks == g->hblks && m->hblkhd == g->hblkhd && w.narenas == 5,
			     "%s: 5 arenas, the totals the target's own (uordblks %lld/%lld, fordblks "
			     "%lld/%lld) %s",
			     how, (long long)m->uordblks, (long long)g->uordblks, (long long)m->fordblks,
			     (long long)g->fordblks, w.warning);
			hl_walk_free(&w);
		}
		unsetenv("HEAPLAB_NO_DEBUGINFO");
	}

	char cmd[200];
	snprintf(cmd, sizeof cmd, "build/heaplab diagnose --json %d 2>&1", (int)t.pid);
	int st = -1;
	cJSON *j = live_sh_json(cmd, &st);
	const cJSON *v = cJSON_GetObjectItem(j, "glibc");
	T_OK(st == 0 && cJSON_IsString(v) && !strcmp(v->valuestring, e.version) &&
		     cJSON_IsTrue(cJSON_GetObjectItem(j, "walk_complete")),
	     "%s: heaplab diagnose names the target's glibc %s (%s), not the host's", suite,
	     e.version, cJSON_IsString(v) ? v->valuestring : "?");
	cJSON_Delete(j);
	live_shape_stop(&t);
}

int main(void)
{
	if (geteuid() != 0) {
		T_OK(false, "a container needs root (unshare, pivot_root): run the suite as root");
		return t_done();
	}
	contained("sid", "build/tests/helpers/heap_shape");
	contained("bullseye", "build/glibc-2.31/tests/helpers/heap_shape");
	return t_done();
}
