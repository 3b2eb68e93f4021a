/*
 * report_int.h — what report.c, report_html.c and report_md.c share: the
 * "what ran" facts, the recommendation rows, and the output macros.
 */
#ifndef REPORT_INT_H
#define REPORT_INT_H

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "heaplab.h"

/* in functions with `int rc` and `hl_buf_t *o`: the first error sticks */
#define P(...) (rc = rc ? rc : hl_buf_printf(o, __VA_ARGS__))
#define H(s) (rc = rc ? rc : hl_markup_html(o, (s)))
#define M(s) (rc = rc ? rc : hl_markup_md(o, (s)))

/* The "what ran" rows, the same on both pages. */
typedef struct fact {
	const char *key;
	char value[1024];
} fact_t;

#define MAX_FACTS 20

void report_fact(fact_t *f, size_t *n, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void report_fact_bytes(fact_t *f, size_t *n, const char *key, int64_t v);
size_t report_run_facts(const hl_run_t *run, fact_t *f);
size_t report_diag_facts(const hl_diagfile_t *d, fact_t *f);

/* The recommendations shown: a diagnosis's own, word for word, or
 * hl_report_advise's (kept in adv). */
typedef struct rec_row {
	const char *action, *why;
	int64_t bytes;
} rec_row_t;

#define MAX_RECS 32

size_t report_rec_rows(const hl_report_t *r, hl_advice_t *adv, rec_row_t *rows);

/* "1.0 GiB", or "n/a" */
const char *report_bytes(int64_t v, char *buf, size_t sz);
/* mallinfo2's in use (uordblks + hblkhd), HL_UNKNOWN without it */
int64_t report_in_use(const hl_phase_t *p);
/* The prescription's first sentence: the trace, the baseline, the order. */
void report_rx_intro(const hl_prescription_t *x, char *out, size_t sz);
/* Why a report has no heap map ("" when it has one). */
const char *report_no_maps(const hl_report_t *r);
/* A file name as a relative URL ([A-Za-z0-9._~/-] kept, the rest %XX). */
int report_url(hl_buf_t *o, const char *s);

#endif
