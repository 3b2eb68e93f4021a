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
} hv_snapshot_t;

/* -ESRCH / -EACCES with err set when the process cannot be read at all; a
 * process whose heap cannot be walked still gives a snapshot (walk_valid
 * false, walk_error says why). */
int hv_snapshot_take(pid_t pid, hv_snapshot_t *s, hl_error_t *err);
void hv_snapshot_free(hv_snapshot_t *s);
int hv_snapshot_json(const hv_snapshot_t *s, hl_buf_t *out);
int hv_snapshot_text(const hv_snapshot_t *s, hl_buf_t *out);

/* --------------------------------------------------------------- record.c */

/* Samples pid for duration_s seconds every interval_ms into the new run
 * directory dir (run.json, samples.tsv), walking the heap at the start and
 * the end. */
int hv_record(pid_t pid, const char *dir, int64_t interval_ms, int64_t duration_s, hl_error_t *err);

#endif
