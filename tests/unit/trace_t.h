/*
 * trace_t.h — what the trace tests share: the line a marker comment is on
 * in a helper's source, and heaplab leaks --json read back.
 */
#ifndef TRACE_T_H
#define TRACE_T_H

#include <cjson/cJSON.h>

#include "live.h"

static char heaplab[512];

/* The line of the marker comment in a helper's source. */
static int marked_in(const char *src, const char *marker)
{
	hl_buf_t b = {0};
	int line = 0;
	if (hl_file_read(src, &b, NULL) == 0) {
		int n = 1;
		for (const char *p = b.data; *p; p++) {
			if (!strncmp(p, marker, strlen(marker))) {
				line = n;
				break;
			}
			n += *p == '\n';
		}
	}
	hl_buf_free(&b);
	return line;
}

/* heaplab leaks --json ARGS, parsed; NULL when it failed. */
static cJSON *leaks_with(const char *args)
{
	char cmd[1400];
	int rc = -1;
	snprintf(cmd, sizeof cmd, "%s leaks --json %s 2>/dev/null", heaplab, args);
	cJSON *j = live_sh_json(cmd, &rc);
	if (rc) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static int64_t num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
}

static void trace_t_init(void)
{
	const char *build = getenv("HEAPLAB_BUILD");
	snprintf(heaplab, sizeof heaplab, "%s/heaplab", build ? build : "build");
}

#endif
