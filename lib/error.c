/*
 * error.c — errors as values. Owns hl_error_set; every lib/ function that can
 * fail takes an optional hl_error_t and returns the code it stored. Nothing
 * here prints: the executables decide where messages go.
 */
#include <stdio.h>

#include "heaplab.h"

int hl_error_set(hl_error_t *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}
