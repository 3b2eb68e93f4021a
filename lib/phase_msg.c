/*
 * phase_msg.c — parses the phase protocol's messages (docs/phase-protocol.md)
 * that experiments/lab.c writes. Pure: a buffer in, a message out, with
 * pointers into the buffer for the two raw texts. It does not read pipes
 * (the harness does) and does not parse the malloc_info XML (malloc_info.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

#define MAX_LINE 8192
#define MAX_BLOB (64LL << 20) /* malloc_info of a few thousand arenas */

typedef struct cursor {
	const char *buf;
	size_t len, pos;
} cursor_t;

/* The next line without its '\n': 1 found, 0 incomplete, -1 too long. */
static int next_line(cursor_t *c, const char **line, size_t *n)
{
	const char *start = c->buf + c->pos;
	size_t avail = c->len - c->pos;
	const char *nl = memchr(start, '\n', avail < MAX_LINE ? avail : MAX_LINE);
	if (!nl)
		return avail >= MAX_LINE ? -1 : 0;
	*line = start;
	*n = (size_t)(nl - start);
	c->pos += *n + 1;
	return 1;
}

static bool starts(const char *line, size_t n, const char *word)
{
	size_t w = strlen(word);
	return n > w && strncmp(line, word, w) == 0 && line[w] == ' ';
}

static bool is_name(const char *s, size_t n, bool dash)
{
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      (dash && ch == '-')))
			return false;
	}
	return true;
}

static int parse_mallinfo2(const char *s, size_t n, hl_mallinfo_t *mi)
{
	char tmp[512];
	if (n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	int64_t *f[] = {&mi->arena,   &mi->ordblks,  &mi->smblks,   &mi->hblks,    &mi->hblkhd,
			&mi->usmblks, &mi->fsmblks,  &mi->uordblks, &mi->fordblks, &mi->keepcost};
	char *p = tmp;
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		char *end;
		errno = 0;
		while (*p == ' ')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		unsigned long long v = strtoull(p, &end, 10);
		if (errno || end == p || v > INT64_MAX)
			return -1;
		*f[i] = (int64_t)v;
		p = end;
	}
	if (*p)
		return -1;
	mi->valid = true;
	return 0;
}

/* "<tag> <len>\n<len bytes>\n": 1 done, 0 incomplete, -1 bad. */
static int parse_blob(cursor_t *c, const char *tag, const char **blob, size_t *blob_len)
{
	const char *line;
	size_t n;
	int r = next_line(c, &line, &n);
	if (r <= 0)
		return r;
	if (!starts(line, n, tag))
		return -1;
	size_t t = strlen(tag) + 1;
	long long v = 0;
	if (n == t)
		return -1;
	for (size_t i = t; i < n; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -1;
		v = v * 10 + (line[i] - '0');
		if (v > MAX_BLOB)
			return -1;
	}
	if (c->len - c->pos < (size_t)v + 1)
		return 0;
	*blob = c->buf + c->pos;
	*blob_len = (size_t)v;
	c->pos += (size_t)v;
	if (c->buf[c->pos] != '\n')
		return -1;
	c->pos++;
	return 1;
}

int64_t hl_phase_msg_parse(const char *buf, size_t len, hl_phase_msg_t *out, hl_error_t *err)
{
	memset(out, 0, sizeof *out);
	cursor_t c = {buf, len, 0};
	const char *line;
	size_t n;
	int r;

#define NEED(expr, what)                                                                 \
	do {                                                                             \
		r = (expr);                                                              \
		if (r == 0)                                                              \
			return 0;                                                        \
		if (r < 0)                                                               \
			return hl_error_set(err, HL_EPARSE, "phase message: bad %s at byte %zu", \
					    what, c.pos);                                \
	} while (0)

	NEED(next_line(&c, &line, &n), "first line");
	if (!starts(line, n, "phase") || !is_name(line + 6, n - 6, true))
		return hl_error_set(err, HL_EPARSE,
				    "phase message: expected 'phase NAME', got '%.*s'",
				    (int)(n < 60 ? n : 60), line);
	memcpy(out->name, line + 6, n - 6);
	out->name[n - 6] = '\0';

	NEED(next_line(&c, &line, &n), "mallinfo2 line");
	if (!starts(line, n, "mallinfo2") || parse_mallinfo2(line + 10, n - 10, &out->mallinfo2))
		return hl_error_set(err, HL_EPARSE,
				    "phase message '%s': expected 'mallinfo2' and 10 numbers",
				    out->name);

	for (;;) {
		size_t mark = c.pos;
		NEED(next_line(&c, &line, &n), "observation");
		if (!starts(line, n, "obs")) {
			c.pos = mark;
			break;
		}
		const char *key = line + 4;
		const char *sp = memchr(key, ' ', n - 4);
		if (!sp || !is_name(key, (size_t)(sp - key), false) ||
		    out->nobs == HL_PHASE_MSG_MAX_OBS)
			return hl_error_set(err, HL_EPARSE, "phase message '%s': bad observation",
					    out->name);
		char num[64];
		size_t vl = n - (size_t)(sp + 1 - line);
		if (vl == 0 || vl >= sizeof num)
			return hl_error_set(err, HL_EPARSE, "phase message '%s': bad observation",
					    out->name);
		memcpy(num, sp + 1, vl);
		num[vl] = '\0';
		char *end;
		double v = strtod(num, &end);
		if (*end)
			return hl_error_set(err, HL_EPARSE,
					    "phase message '%s': observation value '%s' is not a number",
					    out->name, num);
		hl_observation_t *o = &out->obs[out->nobs++];
		memcpy(o->key, key, (size_t)(sp - key));
		o->key[sp - key] = '\0';
		o->value = v;
	}

	NEED(parse_blob(&c, "malloc_info", &out->malloc_info, &out->malloc_info_len),
	     "malloc_info block");
	NEED(parse_blob(&c, "malloc_stats", &out->malloc_stats, &out->malloc_stats_len),
	     "malloc_stats block");
	NEED(next_line(&c, &line, &n), "end line");
	if (n != 3 || memcmp(line, "end", 3) != 0)
		return hl_error_set(err, HL_EPARSE, "phase message '%s': expected 'end'", out->name);
#undef NEED
	return (int64_t)c.pos;
}
