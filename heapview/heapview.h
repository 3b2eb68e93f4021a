/*
 * heapview.h — heapview's internal interface, sections by file. The model
 * (snapshots) is pure of any terminal; render code will be the only place
 * that includes curses.
 */
#ifndef HEAPVIEW_H
#define HEAPVIEW_H

#include "heaplab.h"

/* ------------------------------------------------------------- snapshot.c */

typedef struct hv_snapshot {
	pid_t pid;
	hl_status_t status;   /* RSS, VSZ, name */
	hl_regions_t regions; /* smaps, classed */
	bool walk_valid;
	hl_walk_t walk;
	char walk_error[512]; /* why there is no walk (not glibc, permission) */
	hl_heap_pin_t pins[16]; /* what keeps each heap from shrinking (walked with
				 * HL_WALK_CHUNKS), as diagnose names them */
	size_t npins;
} hv_snapshot_t;

/* -ESRCH / -EACCES with err set when the process cannot be read at all; a
 * process whose heap cannot be walked still gives a snapshot (walk_valid
 * false, walk_error says why). */
int hv_snapshot_take(pid_t pid, hv_snapshot_t *s, hl_error_t *err);
/* The same, keeping libc's layout in *cache between snapshots and with
 * hl_walk's HL_WALK_* flags (the live view asks for pages). */
int hv_snapshot_take_opts(pid_t pid, hl_glibc_layout_t *cache, int flags, hv_snapshot_t *s,
			  hl_error_t *err);
void hv_snapshot_free(hv_snapshot_t *s);
int hv_snapshot_json(const hv_snapshot_t *s, hl_buf_t *out);
int hv_snapshot_text(const hv_snapshot_t *s, hl_buf_t *out);

/* --------------------------------------------------------------- record.c */

/* Samples pid for duration_s seconds every interval_ms into the new run
 * directory dir (run.json, samples.tsv), walking the heap at the start and
 * the end. */
int hv_record(pid_t pid, const char *dir, int64_t interval_ms, int64_t duration_s, hl_error_t *err);

/* ---------------------------------------------------------------- model.c */

/* What the live view shows, pure of any terminal: the last snapshot, the
 * history of RSS and live bytes, the phase, and the view's own state. */
typedef struct hv_point {
	double t;      /* seconds since the start */
	int64_t rss;   /* VmRSS */
	int64_t live;  /* the walk's live bytes, -1 unknown */
} hv_point_t;

typedef enum hv_action {
	HV_NONE,
	HV_QUIT,
	HV_SAVE,
	HV_TRIM,
	HV_REDRAW,
	HV_NEXT, /* step mode: let the experiment go on to its next phase */
} hv_action_t;

/* keys the model understands besides plain characters */
enum { HV_KEY_UP = 0x101, HV_KEY_DOWN, HV_KEY_PGUP, HV_KEY_PGDN, HV_KEY_HOME, HV_KEY_END };

/* What heapview may cost, in this one place. heapview as a whole may use at
 * most 5% of one core on average; a heap walk (the snapshot: smaps and the
 * walker) may use HV_WALK_CPU_PERCENT percent, leaving the rest for drawing
 * and statm: after a walk that took T, the next walk starts no sooner than
 * T * 100 / HV_WALK_CPU_PERCENT (T / 0.04 = 25 T) after the start of that
 * walk, and the regular walks come every max(interval, 25 T)
 * (hv_walk_every_ms). Between walks RSS and VSZ
 * come from /proc/PID/statm at every interval (one read: microseconds), so
 * the timeline keeps the user's pace. A new phase or a trim may bring the
 * next walk forward to 25 T after the last one started, never sooner; when
 * it has to wait, the message line says when the next walk is. The first
 * walk also reads libc's layout from its debug info (50-90 ms, once per
 * libc): that is not a walk's cost, and the walk after it comes at the
 * interval and measures the walk alone. */
#define HV_WALK_CPU_PERCENT 4

/* The time from the start of a walk that took walk_ms to the start of the
 * next: max(interval_ms, walk_ms * 100 / HV_WALK_CPU_PERCENT). With an
 * interval of 0, the cost rule alone. */
double hv_walk_every_ms(double interval_ms, double walk_ms);

/* A phase as it was first shown (step mode keeps one per phase, so p can
 * show it again: the experiment itself does not go back). */
typedef struct hv_frame {
	char phase[64];
	int index;          /* 1 for the first phase */
	hv_snapshot_t snap; /* owned by the frame */
} hv_frame_t;

typedef struct hv_model {
	pid_t pid;
	char command[256];  /* what is watched: the command line, or the name */
	char phase[64];     /* the experiment's last phase, "" none */
	int nphases;
	char state[96];     /* "running", "exited (status 0)", ... */
	bool exited;
	bool have;          /* snap holds a snapshot */
	hv_snapshot_t snap;
	int64_t interval_ms;  /* the user's refresh interval (--interval) */
	double walk_ms;       /* what the last walk cost */
	bool walk_layout;     /* the last walk read libc's layout too (once) */
	double walk_every_ms; /* the walks' effective interval: hv_walk_every_ms */
	double walk_t;        /* when the last walk started, seconds since the start */
	double walk_age_s;    /* how old the map and the walk's figures are */
	hv_point_t *hist;
	size_t nhist, caphist;
	/* the view */
	bool paused, help;
	bool auto_zoom;     /* pick the zoom that fits the arena */
	int zoom;           /* pages per cell = 1 << zoom */
	size_t arena;       /* index into snap.walk.arenas */
	int64_t scroll;     /* first map row shown */
	int map_rows;       /* rows the last layout had for the map (for PgUp/PgDn) */
	bool can_trim;      /* a trim agent is reachable */
	char message[256];  /* the bottom line's news, "" none */
	/* teaching (--step): the experiment waits at each phase until n */
	bool step;
	bool waiting;       /* it waits at its phase now */
	bool lesson_on;     /* the lesson panel is shown (l toggles it) */
	int phases_declared; /* the N of "k/N", 0 unknown */
	const hl_lesson_t *lesson; /* the experiment's lines and parameters, NULL none */
	hv_frame_t *frames; /* one per phase, in order */
	size_t nframes;
	long view;          /* the frame shown, -1: the live snapshot */
	bool snap_shared;   /* snap's memory is frames[nframes - 1]'s */
} hv_model_t;

void hv_model_init(hv_model_t *m, pid_t pid, const char *command);
void hv_model_free(hv_model_t *m);
/* Takes the snapshot (the model owns it from now on) taken at t seconds. */
void hv_model_update(hv_model_t *m, hv_snapshot_t *s, double t);
/* What the walk of the snapshot about to be given to hv_model_update cost,
 * and whether it read libc's layout too: sets walk_ms, walk_layout and
 * walk_every_ms (hv_walk_every_ms for the model's interval_ms; the interval
 * after a walk that read the layout). */
void hv_model_walked(hv_model_t *m, double walk_ms, bool layout_read);
/* Adds an RSS reading between walks at t seconds (live carried over from
 * the last walk); the walk's figures are then t - walk_t old. */
void hv_model_point(hv_model_t *m, double t, int64_t rss, int64_t vsz);
hv_action_t hv_model_key(hv_model_t *m, int key);
void hv_model_message(hv_model_t *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Step mode: the snapshot just given to hv_model_update is the first of the
 * phase m->phase: kept as its frame (shared with snap, not copied). */
void hv_model_frame(hv_model_t *m);
/* What the screen shows: a kept frame (p) or the live snapshot. */
const hv_snapshot_t *hv_model_shown(const hv_model_t *m);
/* The frame of the phase before the shown one, NULL at the first (or
 * outside step mode); its phase name into *phase when given. */
const hv_snapshot_t *hv_model_prev(const hv_model_t *m, const char **phase);
/* The phase the shown snapshot is of, and its number (0 none). */
const char *hv_model_shown_phase(const hv_model_t *m, int *index);
/* Whether cell `cell` of heap h (of the shown snapshot) has another class
 * than the same addresses had in the previous phase's frame (an address
 * in no heap then counts as a class of its own). */
bool hv_model_changed(const hv_model_t *m, const hl_walk_heap_t *h, int64_t cell);
/* The figures of the shown snapshot and of the previous phase's, for the
 * lesson lines. */
void hv_model_lesson_figs(const hv_model_t *m, hl_lesson_figs_t *f);
/* The heaps of the shown arena, and the class of the cell at index cell
 * (of 1 << zoom pages) of heap h; -1 past its end. */
int hv_model_cell(const hv_model_t *m, const hl_walk_heap_t *h, int64_t cell);

/* --------------------------------------------------------------- layout.c */

/* A terminal-sized grid of glyphs and styles that render.c draws as it is;
 * built from the model alone, so what the screen says is tested without a
 * terminal. */
typedef enum hv_style {
	HV_ST_NORMAL,
	HV_ST_TITLE,
	HV_ST_DIM,
	HV_ST_WARN,
	HV_ST_USED,
	HV_ST_FREE_HELD,
	HV_ST_FREE_RELEASED,
	HV_ST_TOP_HELD,
	HV_ST_TOP_RELEASED,
	HV_ST_PIN,
	HV_ST_RSS,
	HV_ST_LIVE,
	HV_ST_REGION, /* + hl_region_class_t */
	HV_NSTYLES = HV_ST_REGION + HL_REGION_NCLASSES
} hv_style_t;

typedef struct hv_cell {
	char ch;   /* ASCII */
	uint8_t st; /* hv_style_t */
	uint8_t mark; /* 1: changed since the previous phase (drawn reversed) */
} hv_cell_t;

typedef struct hv_screen {
	int rows, cols;
	hv_cell_t *cell; /* rows * cols */
} hv_screen_t;

#define HV_MIN_COLS 80
#define HV_MIN_ROWS 24

int hv_screen_resize(hv_screen_t *s, int rows, int cols);
void hv_screen_free(hv_screen_t *s);
/* Row r as text (no styles), for tests: into buf of at least cols + 1. */
void hv_screen_row(const hv_screen_t *s, int r, char *buf);
void hv_layout(hv_model_t *m, hv_screen_t *s);
/* Whether the cell [lo, hi) of arena's heap holds a pin (snap.pins). */
bool hv_model_pin_at(const hv_model_t *m, size_t arena, uint64_t lo, uint64_t hi);
/* The glyph of a page class (the legend's). */
char hv_page_glyph(hl_page_class_t c);

/* --------------------------------------------------------------- render.c */

/* The only code that includes curses. */
int hv_render_init(bool colour);
void hv_render(const hv_screen_t *s);
/* A key (HV_KEY_* or a character), or -1 when none came within timeout_ms;
 * *resized set when the terminal changed size. */
int hv_render_key(int timeout_ms, bool *resized);
void hv_render_size(int *rows, int *cols);
void hv_render_end(void);

/* ----------------------------------------------------------------- save.c */

/* Saves the model's snapshot into a new directory under base (results/...):
 * snapshot.json, heapmap.tsv, heapmap.gp and heapmap.png (gnuplot). The
 * directory it made is left in dir. */
int hv_save(const hv_model_t *m, const char *base, char *dir, size_t dirsz, hl_error_t *err);

/* ----------------------------------------------------------------- step.c */

/* Teaching mode: the lesson of the experiment at exe (its --describe) with
 * the values of exp_args, and the gate's pipe: *gate_r for heaplab run
 * --gate (open across exec), *gate_w for n. -1 after saying why. */
int hv_step_open(const char *exe, char **exp_args, hl_lesson_t **lesson, int *gate_r, int *gate_w);
/* n: lets the experiment go on from the phase it waits at, once the walk
 * that shows it (pending: a phase no walk has shown yet, "" none) is in. */
void hv_step_next(hv_model_t *m, int gate, const char *pending, double walk_in_s);

/* ----------------------------------------------------------------- live.c */

typedef struct hv_live_opts {
	pid_t pid;              /* watch this process, or */
	char **argv;            /* launch this command, or */
	const char *experiment; /* run this experiment under heaplab run */
	char **exp_args;        /* its arguments */
	const char *out;        /* its run directory (heaplab run --out) */
	int64_t interval_ms;
	const char *trim_socket; /* a foreign PID's trim agent (explicit) */
	const char *save_base;   /* default "results/heapview" */
	bool no_colour;
	const char *glibc;       /* run the command or experiment under this glibc */
	bool step;               /* hold the experiment at each phase until n */
} hv_live_opts_t;

int hv_live(const hv_live_opts_t *o);

#endif
