/*
 * run_opts.c — the options of `heaplab run`: their --help and their
 * parsing into run_opts_t (harness.h). Everything they mean happens in
 * cmd_run.c (the run), slides.c (--slides).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

void run_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: heaplab run EXPERIMENT|PROGRAM [OPTIONS] [-- ARGS...]\n\n"
		"Runs an experiment (see `heaplab list`) or a program (a path with a '/'),\n"
		"samples it from /proc, records each phase it marks, and writes a run\n"
		"directory with run.json, samples.tsv, malloc_info/malloc_stats per phase and\n"
		"timeline plots. Prints the phase table and a verdict.\n\n"
		"options:\n"
		"  --out DIR          write the run here (a new or empty directory);\n"
		"                     default results/EXPERIMENT/DATE-TIME-PID\n"
		"  --interval MS      sample every MS milliseconds (default 10; 0 = at phases only)\n"
		"  --allocator A      glibc (default), jemalloc, tcmalloc or mimalloc (LD_PRELOAD)\n"
		"  --tunable K=V      a glibc tunable, e.g. glibc.malloc.arena_max=2 (repeatable)\n"
		"  --env NAME=VALUE   an environment variable for the program (repeatable)\n"
		"  --glibc V          run under another glibc of the matrix: a version (2.31,\n"
		"                     2.41, 2.43) or a Debian suite (bullseye, trixie, sid),\n"
		"                     through its own loader; run.json's glibc says which\n"
		"                     (fetch them with `make matrix`)\n"
		"  --walk             also walk the heap from outside at every phase (read-only;\n"
		"                     run.json gets each phase's \"walk\": chunk classes, held-back\n"
		"                     and releasable bytes, mallinfo2 as the walker counts it;\n"
		"                     and heapmap-PHASE.tsv gets the class of every heap page)\n"
		"  --debug-dir DIR    with --walk: look for the libc's debug info (by build ID)\n"
		"                     here first (a folder with .build-id/, or one debug file)\n"
		"  --slides DIR       one slide per phase into DIR (implies --walk): the heap map\n"
		"                     with the pin and the changes since the previous phase\n"
		"                     marked, the timeline up to the phase, the lesson lines\n"
		"                     with this run's figures as a caption; PNG and SVG\n"
		"                     (gnuplot), listed in the run's slides.tsv for heaplab report\n"
		"  --gate FD          hold the program at each phase until a byte can be read\n"
		"                     from descriptor FD (sampling goes on meanwhile); EOF lets\n"
		"                     it go on for good (heapview --step drives it)\n"
		"  --quiet            print only the verdict and the run directory\n\n"
		"ARGS after -- go to the experiment, e.g.: heaplab run brk_pin -- --pin=0\n");
}


int run_opts_parse(int argc, char **argv, run_opts_t *o)
{
	memset(o, 0, sizeof *o);
	o->interval_ms = 10;
	o->gate_fd = -1;
	o->allocator = "glibc";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--")) {
			o->target_argv = argv + i + 1;
			o->target_argc = argc - i - 1;
			break;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			run_opts_usage(stdout);
			exit(0);
		}
		if (!strcmp(a, "--quiet")) {
			o->quiet = true;
			continue;
		}
		if (!strcmp(a, "--walk")) {
			o->walk = true;
			continue;
		}
		if (a[0] == '-' && a[1] == '-' &&
		    (!strcmp(a, "--out") || !strcmp(a, "--interval") || !strcmp(a, "--allocator") ||
		     !strcmp(a, "--tunable") || !strcmp(a, "--env") || !strcmp(a, "--glibc") ||
		     !strcmp(a, "--debug-dir") || !strcmp(a, "--gate") || !strcmp(a, "--slides"))) {
			if (!val) {
				say_error("%s needs a value (see heaplab run --help)", a);
				return -1;
			}
			i++;
			if (!strcmp(a, "--out")) {
				o->out = val;
			} else if (!strcmp(a, "--slides")) {
				o->slides = val;
				o->walk = true;
			} else if (!strcmp(a, "--gate")) {
				char *end;
				long fd = strtol(val, &end, 10);
				if (*end || end == val || fd < 3 || fd > 1 << 20 ||
				    fcntl((int)fd, F_GETFD) < 0) {
					say_error("--gate takes an open descriptor (3 or more), got '%s'",
						  val);
					return -1;
				}
				o->gate_fd = (int)fd;
			} else if (!strcmp(a, "--glibc")) {
				o->glibc = val;
			} else if (!strcmp(a, "--debug-dir")) {
				hl_error_t derr = {0};
				if (hl_glibc_debug_dir(val, &derr)) {
					say_error("%s", derr.msg);
					return -1;
				}
			} else if (!strcmp(a, "--interval")) {
				char *end;
				errno = 0;
				long long v = strtoll(val, &end, 10);
				if (errno || end == val || *end || v < 0 || v > 3600000) {
					say_error("--interval takes milliseconds from 0 to 3600000, got "
						  "'%s'",
						  val);
					return -1;
				}
				o->interval_ms = v;
			} else if (!strcmp(a, "--allocator")) {
				o->allocator = val;
			} else if (!strcmp(a, "--tunable")) {
				if (!allocator_valid_tunable(val)) {
					say_error("--tunable takes glibc.malloc.NAME=VALUE (e.g. "
						  "glibc.malloc.arena_max=2), got '%s'",
						  val);
					return -1;
				}
				if (o->ntunables == MAX_TUNABLES) {
					say_error("at most %d --tunable options", MAX_TUNABLES);
					return -1;
				}
				o->tunables[o->ntunables++] = val;
			} else {
				const char *eq = strchr(val, '=');
				if (!eq || eq == val || o->nenv == MAX_ENV) {
					say_error("--env takes NAME=VALUE, got '%s'", val);
					return -1;
				}
				o->env[o->nenv++] = val;
			}
			continue;
		}
		if (a[0] == '-') {
			say_error("unknown option '%s' (arguments for the experiment go after --)", a);
			return -1;
		}
		if (o->target) {
			say_error("unexpected argument '%s': arguments for %s go after --, e.g. "
				  "heaplab run %s -- %s",
				  a, o->target, o->target, a);
			return -1;
		}
		o->target = a;
	}
	if (!o->target) {
		say_error("run needs an experiment or a program");
		run_opts_usage(stderr);
		return -1;
	}
	hl_error_t err = {0};
	if (hl_glibc_env_find(o->glibc ? o->glibc : "host", &o->genv, &err)) {
		say_error("%s", err.msg);
		return -1;
	}
	return 0;
}

