/*
 * main.c — the `heapview` command. For now it takes one snapshot of a
 * process's heap, read-only, and prints it (--once, text or --json); the
 * live ncurses view is not built yet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapview.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: heapview --once [--json] PID\n"
		   "       heapview --record DIR [--interval MS] [--duration S] PID\n\n"
		   "Reads process PID's glibc heap from outside, read-only (/proc/PID/maps,\n"
		   "smaps, pagemap, process_vm_readv; nothing is stopped, written or faulted in),\n"
		   "and prints one snapshot: RSS, live, held-back, released and releasable\n"
		   "bytes, tcache/fastbin/top, the thresholds, each arena, and the regions by\n"
		   "class. --json prints it as JSON.\n\n"
		   "--record samples the process every MS milliseconds (default 500) for S\n"
		   "seconds (default 10) into a new run directory DIR, with a heap walk at the\n"
		   "start and the end; heaplab plot DIR draws it.\n\n"
		   "The live ncurses view (heapview PID) is not built yet: use --once.\n");
}

int main(int argc, char **argv)
{
	bool once = false, json = false;
	const char *pidarg = NULL, *record = NULL;
	long long interval = 500, duration = 10;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--once")) {
			once = true;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if ((!strcmp(argv[i], "--record") || !strcmp(argv[i], "--interval") ||
			    !strcmp(argv[i], "--duration")) &&
			   i + 1 < argc) {
			const char *opt = argv[i], *val = argv[++i];
			if (!strcmp(opt, "--record")) {
				record = val;
				continue;
			}
			char *e;
			long long v = strtoll(val, &e, 10);
			if (*e || v <= 0 || v > 86400000) {
				fprintf(stderr, "heapview: %s takes a positive whole number, got '%s'\n",
					opt, val);
				return 2;
			}
			if (!strcmp(opt, "--interval"))
				interval = v;
			else
				duration = v;
		} else if (argv[i][0] != '-' && !pidarg) {
			pidarg = argv[i];
		} else {
			fprintf(stderr, "heapview: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!pidarg) {
		usage(stderr);
		return 2;
	}
	char *end;
	long pid = strtol(pidarg, &end, 10);
	if (*end || pid <= 0) {
		fprintf(stderr, "heapview: '%s' is not a process id\n", pidarg);
		return 2;
	}
	if (record) {
		hl_error_t rerr = {0};
		if (hv_record((pid_t)pid, record, interval, duration, &rerr)) {
			fprintf(stderr, "heapview: %s\n", rerr.msg);
			return 1;
		}
		printf("recorded %s; draw it with: heaplab plot %s\n", record, record);
		return 0;
	}
	if (!once) {
		fprintf(stderr, "heapview: the live view is not built yet; use heapview --once %ld\n",
			pid);
		return 2;
	}
	hv_snapshot_t s;
	hl_error_t err = {0};
	if (hv_snapshot_take((pid_t)pid, &s, &err)) {
		fprintf(stderr, "heapview: %s\n", err.msg);
		return 1;
	}
	hl_buf_t out = {0};
	if (json)
		hv_snapshot_json(&s, &out);
	else
		hv_snapshot_text(&s, &out);
	fwrite(out.data, 1, out.len, stdout);
	int ret = s.walk_valid ? 0 : 1;
	if (!s.walk_valid && !json)
		fprintf(stderr, "heapview: %s\n", s.walk_error);
	hl_buf_free(&out);
	hv_snapshot_free(&s);
	return ret;
}
