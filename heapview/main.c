/*
 * main.c — the `heapview` command: the live view of a process's heap (a
 * PID, a command it starts, or an experiment), one snapshot (--once), or a
 * recording (--record).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapview.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: heapview [OPTIONS] PID\n"
		"       heapview [OPTIONS] -- COMMAND [ARGS...]\n"
		"       heapview [OPTIONS] --experiment EXPERIMENT [--step] [-- ARGS...]\n"
		"       heapview --once [--json] [--exact] PID\n"
		"       heapview --record DIR [--interval MS] [--duration S] PID\n\n"
		"Reads a process's glibc heap from outside, read-only (/proc/PID/maps, smaps,\n"
		"pagemap, process_vm_readv: nothing is stopped, written or faulted in), and\n"
		"draws it live: RSS against live bytes, what glibc holds back and what it has\n"
		"released, and a map of the heap, one cell per page or per 2^k pages:\n"
		"  # used  o free, held back (resident)  . free, released\n"
		"  = top, held back  _ top, released  P pin: what keeps the heap from\n"
		"  shrinking (heaplab diagnose names it)\n\n"
		"  PID                 watch a running process (it keeps running after q)\n"
		"  -- COMMAND ARGS     start COMMAND and watch it (its output goes to a log\n"
		"                      file named on exit; q ends it)\n"
		"  --experiment EXP    run an experiment under `heaplab run` (a run directory\n"
		"                      is written as usual) and watch it, phases named as\n"
		"                      they happen; each phase is held 2 s unless ARGS say\n"
		"                      --hold_ms=N; --out DIR names the run directory\n"
		"  --step              with --experiment, teaching: the experiment stops at\n"
		"                      each phase until n; p shows the previous phase's frame\n"
		"                      again, l toggles the lesson panel (the experiment's own\n"
		"                      lines for the phase, with this run's figures); cells\n"
		"                      changed since the previous phase are reversed, and a\n"
		"                      header row gives RSS, live, held back and released since\n"
		"                      then\n\n"
		"options:\n"
		"  --interval MS       read RSS and VSZ every MS milliseconds (default 500),\n"
		"                      and walk the heap as often while a walk costs at most\n"
		"                      4%% of one core (heapview in all: 5%%): after a walk\n"
		"                      that took T, the next comes max(MS, 25 T) after it\n"
		"                      started\n"
		"  --glibc V           run COMMAND or the experiment under another glibc of the\n"
		"                      matrix (2.31, 2.41, 2.43, or a suite name; make matrix\n"
		"                      fetches them), through its own loader\n"
		"  --debug-dir DIR     look for the libc's debug info (by build ID) here first:\n"
		"                      a folder with .build-id/, or one debug file\n"
		"  --trim-socket PATH  let t trim a process heapview did not start: one run\n"
		"                      with LD_PRELOAD=libheaplab-trim.so and\n"
		"                      HEAPLAB_TRIM_SOCKET=PATH\n"
		"  --save-dir DIR      where s saves snapshots (default results/heapview)\n"
		"  --no-color          glyphs only (so does NO_COLOR=1)\n\n"
		"keys: q quit, space pause, +/- zoom, 0 fit, arrows/PgUp/PgDn scroll,\n"
		"      a next arena, s save snapshot (JSON + PNG), t malloc_trim(0) in the\n"
		"      target (processes heapview started, or --trim-socket), ? help;\n"
		"      with --step: n next phase, p previous phase, l lesson panel\n\n"
		"--once prints one snapshot (--json: as JSON) and exits. The walk reads the\n"
		"free lists, the tcaches and pagemap, and samples the chunks in use: their\n"
		"count, and live bytes to 8 bytes a chunk, are estimates, marked ~\n"
		"(\"chunks_estimated\": true); --exact walks every chunk instead, at about\n"
		"the cost of copying the heap.\n"
		"--record samples the process every MS milliseconds (default 500) for S\n"
		"seconds (default 10) into a new run directory DIR, with a heap walk at the\n"
		"start and the end; heaplab plot DIR draws it.\n");
}

static int number(const char *opt, const char *val, long long *out)
{
	char *e;
	long long v = strtoll(val, &e, 10);
	if (*e || e == val || v <= 0 || v > 86400000) {
		fprintf(stderr, "heapview: %s takes a positive whole number, got '%s'\n", opt, val);
		return -1;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	bool once = false, json = false, exact = false;
	const char *pidarg = NULL, *record = NULL;
	long long interval = 500, duration = 10;
	hv_live_opts_t o;
	memset(&o, 0, sizeof o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--once")) {
			once = true;
		} else if (!strcmp(a, "--step")) {
			o.step = true;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--exact")) {
			exact = true;
		} else if (!strcmp(a, "--no-color") || !strcmp(a, "--no-colour")) {
			o.no_colour = true;
		} else if (!strcmp(a, "--record") && has) {
			record = argv[++i];
		} else if (!strcmp(a, "--trim-socket") && has) {
			o.trim_socket = argv[++i];
		} else if (!strcmp(a, "--out") && has) {
			o.out = argv[++i];
		} else if (!strcmp(a, "--save-dir") && has) {
			o.save_base = argv[++i];
		} else if (!strcmp(a, "--experiment") && has) {
			o.experiment = argv[++i];
		} else if (!strcmp(a, "--glibc") && has) {
			o.glibc = argv[++i];
		} else if (!strcmp(a, "--debug-dir") && has) {
			hl_error_t derr = {0};
			if (hl_glibc_debug_dir(argv[++i], &derr)) {
				fprintf(stderr, "heapview: %s\n", derr.msg);
				return 2;
			}
		} else if ((!strcmp(a, "--interval") || !strcmp(a, "--duration")) && has) {
			if (number(a, argv[i + 1], !strcmp(a, "--interval") ? &interval : &duration))
				return 2;
			i++;
		} else if (!strcmp(a, "--")) {
			if (o.experiment) {
				o.exp_args = argv + i + 1;
			} else {
				if (i + 1 >= argc) {
					fprintf(stderr, "heapview: -- needs a command to run\n");
					return 2;
				}
				o.argv = argv + i + 1;
			}
			break;
		} else if (a[0] != '-' && !pidarg) {
			pidarg = a;
		} else {
			fprintf(stderr, "heapview: unknown argument '%s' (heapview --help lists them)\n",
				a);
			return 2;
		}
	}
	o.interval_ms = interval;
	int sources = !!pidarg + !!o.argv + !!o.experiment;
	if (sources != 1) {
		fprintf(stderr, sources ? "heapview: give one of PID, -- COMMAND or --experiment\n"
					: "heapview: what to watch? a PID, -- COMMAND or --experiment "
					  "EXP (heapview --help)\n");
		return 2;
	}
	if (o.step && !o.experiment) {
		fprintf(stderr, "heapview: --step is for --experiment EXP: only an experiment stops at "
				"its phases (a PID or a -- COMMAND runs on); try heapview --experiment "
				"brk_pin --step\n");
		return 2;
	}
	if (o.step && (once || record)) {
		fprintf(stderr, "heapview: --step is for the live view of --experiment EXP, not --once "
				"or --record\n");
		return 2;
	}
	if (o.glibc && !o.argv && !o.experiment) {
		fprintf(stderr, "heapview: --glibc is for -- COMMAND and --experiment (a running "
				"process has the glibc it has)\n");
		return 2;
	}
	if (o.glibc) {
		hl_glibc_env_t ge;
		hl_error_t gerr = {0};
		if (hl_glibc_env_find(o.glibc, &ge, &gerr)) {
			fprintf(stderr, "heapview: %s\n", gerr.msg);
			return 2;
		}
	}
	if (o.out && !o.experiment) {
		fprintf(stderr, "heapview: --out is for --experiment (the run directory)\n");
		return 2;
	}
	if ((once || record) && !pidarg) {
		fprintf(stderr, "heapview: --once and --record take a PID\n");
		return 2;
	}
	if (pidarg) {
		char *end;
		long pid = strtol(pidarg, &end, 10);
		if (*end || pid <= 0 || pid > INT_MAX) {
			fprintf(stderr, "heapview: '%s' is not a process id\n", pidarg);
			return 2;
		}
		o.pid = (pid_t)pid;
	}
	if (record) {
		hl_error_t rerr = {0};
		if (hv_record(o.pid, record, interval, duration, &rerr)) {
			fprintf(stderr, "heapview: %s\n", rerr.msg);
			return 1;
		}
		printf("recorded %s; draw it with: heaplab plot %s\n", record, record);
		return 0;
	}
	if ((json || exact) && !once) {
		fprintf(stderr, "heapview: --json and --exact are for --once\n");
		return 2;
	}
	if (!once)
		return hv_live(&o);
	hv_snapshot_t s;
	hl_error_t err = {0};
	hl_glibc_layout_t cache;
	memset(&cache, 0, sizeof cache);
	if (hv_snapshot_take_opts(o.pid, &cache, exact ? HL_WALK_EXACT : 0, &s, &err)) {
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
