/*
 * markup.c — text made safe for the markup heaplab writes: HTML and SVG
 * (the report, the inline charts) and Markdown tables (the report's twin).
 * Names in a run (a program's path, its parameters, phase names) are the
 * program's to choose, so every one goes through here.
 */
#include <string.h>

#include "heaplab.h"

int hl_markup_html(hl_buf_t *out, const char *s)
{
	int rc = 0;
	for (; *s && !rc; s++) {
		switch (*s) {
		case '&':
			rc = hl_buf_append(out, "&amp;", 5);
			break;
		case '<':
			rc = hl_buf_append(out, "&lt;", 4);
			break;
		case '>':
			rc = hl_buf_append(out, "&gt;", 4);
			break;
		case '"':
			rc = hl_buf_append(out, "&quot;", 6);
			break;
		case '\'':
			rc = hl_buf_append(out, "&#39;", 5);
			break;
		default:
			/* control characters (a newline in a name) as spaces */
			rc = hl_buf_append(out, (unsigned char)*s < 0x20 ? " " : s, 1);
		}
	}
	return rc;
}

int hl_markup_md(hl_buf_t *out, const char *s)
{
	int rc = 0;
	for (; *s && !rc; s++) {
		if (strchr("\\`*_[]<>|#", *s))
			rc = hl_buf_append(out, "\\", 1);
		rc = rc ? rc : hl_buf_append(out, (unsigned char)*s < 0x20 ? " " : s, 1);
	}
	return rc;
}
