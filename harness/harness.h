/*
 * harness.h — the `heaplab` command's internal interface. Sections are
 * labelled by the file that defines them. Everything that prints lives in
 * harness/; the figures and formats come from libheaplab.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "heaplab.h"
#include "../tracer/replay_format.h"

/* Exit codes: 0 done, 1 the program under test failed, 2 bad usage/input. */
#define EXIT_USAGE 2

/* ------------------------------------------------------------------ main.c */

/* "heaplab: " + message to stderr. */
void say_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An option's whole-number value, at least min: true, or false after
 * saying what it takes. */
bool arg_number(const char *opt, const char *s, long min, long *out);

/* ------------------------------------------------------------- catalogue.c */

#define CATALOGUE_MAX_PARAMS 32

typedef struct exp_param {
	char name[64];
	long long def, min, max;
	char help[160];
} exp_param_t;

typedef struct exp_desc {
	char name[64];
	char path[1024]; /* the executable */
	char lesson[512];
	char phases[256];
	char look[512];
	char expect[1024];
	char glibc[8][400]; /* "2.43 differs: ..." per glibc of the matrix */
	int nglibc;
	exp_param_t params[CATALOGUE_MAX_PARAMS];
	int nparams;
} exp_desc_t;

/* The directory experiments are in: $HEAPLAB_EXPERIMENTS, or "experiments"
 * beside the heaplab executable. */
const char *catalogue_dir(void);
/* Runs `EXP --describe` and parses it. 0, or -ENOENT if there is no such
 * experiment, or another negative code with err set. */
int catalogue_describe(const char *name, exp_desc_t *out, hl_error_t *err);
/* All experiments, sorted by name; returns the count (or negative). */
int catalogue_all(exp_desc_t **out, hl_error_t *err);
/* The lesson at each phase of d, from its --describe (lib/lesson.c). */
int catalogue_lesson(const exp_desc_t *d, hl_lesson_t *out, hl_error_t *err);
/* Prints "  name   lesson" lines, for `list` and for an unknown name. */
void catalogue_print_list(FILE *f);

int cmd_list(int argc, char **argv);
int cmd_explain(int argc, char **argv);

/* ---------------------------------------------------------------- outdir.c */

/* Makes dir a new run directory: creates it (and parents) or accepts an
 * existing empty one, and claims it by creating the file claim (e.g.
 * "samples.tsv") exclusively. Never touches a directory that already holds
 * anything. Returns the open claim file's descriptor, or a negative code
 * with err set. */
int outdir_claim(const char *dir, const char *claim, hl_error_t *err);
/* Accepts dir when it is missing or empty, and makes it (and its parents)
 * when create; what names it in messages ("--slides"). 0, or a negative
 * code with err set. */
int outdir_fresh(const char *dir, const char *what, bool create, hl_error_t *err);
/* results/<exp>/<YYYYmmdd-HHMMSS>-<pid> under $HEAPLAB_RESULTS or ./results */
void outdir_default(const char *exp, char *out, size_t outsz);

/* ------------------------------------------------------------- allocator.c */

typedef struct allocator {
	const char *name;    /* glibc, jemalloc, tcmalloc, mimalloc */
	const char *soname;  /* what LD_PRELOAD loads; NULL for glibc */
	const char *package; /* the Debian package that brings it */
} allocator_t;

/* The allocator called name, with the path of its library in lib (empty for
 * glibc). NULL with err set if unknown or not installed. */
const allocator_t *allocator_find(const char *name, char *lib, size_t libsz, hl_error_t *err);
/* glibc.malloc.NAME=VALUE (any glibc.* tunable), nothing GLIBC_TUNABLES
 * could misread (':', '='). */
bool allocator_valid_tunable(const char *kv);

/* ----------------------------------------------------------------- table.c */

void table_header(FILE *f);
void table_row(FILE *f, const hl_phase_t *ph, const hl_phase_t *first);

/* ------------------------------------------------------------------ plot.c */

/* Writes dir/timeline.gp and runs gnuplot on it. Returns 0, or -ENOENT when
 * gnuplot is not installed (having said so), or another negative code. */
int plot_render(const char *dir, const hl_run_t *run, bool quiet);
/* Whether gnuplot is on PATH. */
bool plot_have_gnuplot(void);
/* Runs gnuplot on script in dir (quiet: its output to /dev/null). 0, or
 * -ENOENT without gnuplot, -EIO when it failed. */
int plot_gnuplot(const char *dir, const char *script, bool quiet);
int cmd_plot(int argc, char **argv);

/* ---------------------------------------------------------------- cmd_run.c */

int cmd_run(int argc, char **argv);

/* -------------------------------------------------------------- cmd_sweep.c */

int cmd_sweep(int argc, char **argv);

/* -------------------------------------------------------------- cmd_trace.c */

int cmd_trace(int argc, char **argv);
/* What a trace run recorded, to `to`: each process (pid, parent, events,
 * file, command and how it ended), biggest first, a notice when its stacks
 * stop early, and the command to run next. */
void trace_summary(const char *out, FILE *to);

/* ---------------------------------------------------------- trace_attach.c */

/* heaplab trace --pid: records pid from now for duration_s seconds (0:
 * until Ctrl-C or its exit) into out, and leaves it running. The exit
 * code. */
int trace_attach(pid_t pid, const char *out, const char *depth, const char *unwind,
		 double duration_s);

/* -------------------------------------------------------------- cmd_leaks.c */

int cmd_leaks(int argc, char **argv);
/* The directory heaplab's executable is in (the recorder and the replayer
 * are beside it). */
void exe_dir(char *out, size_t n);
/* Loads a trace, saying why not (the exit code: 2 not a trace or another
 * version, 1 unreadable) or where it stops ("reading its N events"). */
struct hl_trace;
int trace_open(const char *path, struct hl_trace *t, const char *doing);
/* A trace stack's frames (function, file:line, module), as JSON or lines. */
struct cJSON;
struct hl_symbolizer;
struct cJSON *frames_json(struct hl_symbolizer *sym, const struct hl_trace *t, uint32_t stack);
void print_frames(struct hl_symbolizer *sym, const struct hl_trace *t, uint32_t stack,
		  const char *indent);

/* ------------------------------------------------------------- cmd_replay.c */

int cmd_replay(int argc, char **argv);

/* What a replay needs, shared by replay and prescribe: heaplab itself, the
 * replayer (its build for glibc when given), and the trace's operations
 * file in a temporary directory (replay_cleanup removes it). */
typedef struct replay_prep {
	char exe[PATH_MAX], replayer[PATH_MAX + 32];
	char tmp[32], ops[64];
	hlr_header_t info;
	bool truncated; /* the trace was cut short: its valid part is in ops */
} replay_prep_t;
/* 0, or the exit status to return (the error said). Of a family (a trace
 * of several processes), the one pick_pid (-1: any) and pick_command (NULL:
 * any) name, the busiest of them. */
int replay_prepare(const char *trace, const char *glibc, const char *doing, long pick_pid,
		   const char *pick_command, replay_prep_t *p);
/* The same for the family's member index member (>= 0), or as above (-1). */
int replay_prepare_member(const char *trace, const char *glibc, const char *doing, long pick_pid,
			  const char *pick_command, int member, replay_prep_t *p);
void replay_cleanup(replay_prep_t *p);

/* ---------------------------------------------------------- cmd_prescribe.c */

int cmd_prescribe(int argc, char **argv);

/* ----------------------------------------------------------- cmd_diagnose.c */

int cmd_diagnose(int argc, char **argv);

/* ----------------------------------------------------------- diag_metrics.c */

/* The diagnosis as OpenMetrics gauges into b (reset first); 0 or -ENOMEM. */
int diag_openmetrics(const hl_diagnosis_t *d, hl_buf_t *b);

/* ------------------------------------------------------------- cmd_report.c */

int cmd_report(int argc, char **argv);

/* -------------------------------------------------------------- run_opts.c */

#define MAX_TUNABLES 32
#define MAX_ENV 32

typedef struct run_opts {
	const char *out;
	int64_t interval_ms;
	const char *allocator;
	const char *tunables[MAX_TUNABLES];
	int ntunables;
	const char *env[MAX_ENV];
	int nenv;
	bool quiet;
	bool walk;           /* walk the heap at every phase */
	int gate_fd;         /* --gate FD: wait for a byte on it at each phase, -1 none */
	const char *slides;  /* --slides DIR: one picture per phase (slides.c) */
	const char *glibc;   /* --glibc V: run under that glibc of the matrix */
	hl_glibc_env_t genv; /* that glibc (the system's without --glibc) */
	const char *target;  /* experiment name or program path */
	char **target_argv;  /* arguments after "--" */
	int target_argc;
} run_opts_t;

/* heaplab run's --help. */
void run_opts_usage(FILE *f);
/* argv into o; -1 after saying what is wrong (exit 2), exits 0 on --help. */
int run_opts_parse(int argc, char **argv, run_opts_t *o);

/* ---------------------------------------------------------------- slides.c */

/* heaplab run --slides DIR: a slide per phase (lib/slide.c draws it). */
typedef struct slide_phase {
	char base[96];      /* its files: NN-PHASE.{gp,png,svg}, -map.tsv, -changes.tsv */
	bool mapped;        /* the phase's walk gave a heap map */
	bool changes;       /* and a previous phase's to compare with */
	hl_heapmap_t info;  /* the map's geometry */
	int64_t nchanged;   /* cells changed since the previous phase */
	hl_heap_pin_t pins[4];
	int64_t pin_col[4], pin_row[4];
	size_t npins;
} slide_phase_t;

typedef struct slides {
	char dir[PATH_MAX];
	hl_lesson_t *lesson; /* the experiment's lines; NULL for a program */
	hl_walk_t prev;      /* the previous phase's walk, to mark changes */
	bool have_prev;
	slide_phase_t *ph;
	size_t nph;
} slides_t;

/* Checks that dir is new or empty (before anything runs) and reads d's
 * lesson (d NULL: a program). */
int slides_open(slides_t *s, const char *dir, const exp_desc_t *d, hl_error_t *err);
/* Makes the directory, once the run's own is claimed (it may be inside). */
int slides_start(slides_t *s, hl_error_t *err);
/* At the run's phase number i (from 0), walked into w (HL_WALK_PAGES |
 * HL_WALK_CHUNKS): writes its map and its changes; takes w. */
void slides_phase(slides_t *s, size_t i, const char *phase, hl_walk_t *w);
/* After the run: each slide's script, PNG and SVG, and run_dir/slides.tsv.
 * Returns how many slides were drawn, or a negative code with err set. */
int slides_finish(slides_t *s, const char *run_dir, const hl_run_t *run, hl_error_t *err);
void slides_free(slides_t *s);

#endif
