/*
 * hv_t.h — what heapview's layout tests share: a screen row as text, and
 * the first row that contains a text.
 */
#ifndef HV_T_H
#define HV_T_H

#include <string.h>

#include "heapview.h"

static char rowbuf[512];

static const char *row(const hv_screen_t *s, int r)
{
	hv_screen_row(s, r, rowbuf);
	return rowbuf;
}

/* The first row that contains text, or -1. */
static int find(const hv_screen_t *s, const char *text)
{
	for (int r = 0; r < s->rows; r++)
		if (strstr(row(s, r), text))
			return r;
	return -1;
}

#endif
