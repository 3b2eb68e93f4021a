/*
 * buf.c — a growable, always NUL-terminated byte buffer. Readers fill one
 * from a file, writers format into one, parsers read one. It does not know
 * about files or formats.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

int hl_buf_reserve(hl_buf_t *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	char *p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int hl_buf_append(hl_buf_t *b, const void *p, size_t n)
{
	int rc = hl_buf_reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int hl_buf_printf(hl_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	int rc = hl_buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void hl_buf_reset(hl_buf_t *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void hl_buf_free(hl_buf_t *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
