/*
 * malloc_info.c — parses glibc's malloc_info(0, fp) XML with expat into
 * per-arena figures (hl_malloc_info_t). Pure: a buffer in, figures out.
 *
 * What glibc 2.36's __malloc_info prints (malloc/malloc.c):
 *   <malloc version="1">
 *     <heap nr="N">                      one per arena, main arena first
 *       <sizes>
 *         <size from= to= total= count=/>  fastbins, then non-empty bins
 *         <unsorted from= to= total= count=/>
 *       </sizes>
 *       <total type="fast"|"rest" count= size=/>
 *       <system type="current"|"max" size=/>
 *       <aspace type="total"|"mprotect" size=/>
 *       <aspace type="subheaps" size=/>    non-main arenas only
 *     </heap>
 *     <total type="fast"|"rest"|"mmap" count= size=/>
 *     <system .../> <aspace .../>        the same, summed
 *   </malloc>
 *
 * Quirks (measured on glibc 2.36, DESIGN.md section 8): malloc_info does
 * not see tcache; "rest" includes the top chunk; bin sizes keep the
 * PREV_INUSE bit (a 4096 B request's chunk shows as from="4113").
 * Unknown elements and attributes are ignored (a later glibc may add some).
 */
#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

typedef struct mi_parse {
	XML_Parser xp;
	hl_malloc_info_t *out;
	hl_error_t *err;
	int rc;
	int depth;
	bool seen_root;
	hl_mi_arena_t *arena; /* inside <heap>, else NULL */
	size_t arenas_cap;
} mi_parse_t;

static void fail(mi_parse_t *p, int code, const char *fmt, const char *a, const char *b)
{
	if (p->rc)
		return;
	char msg[256];
	snprintf(msg, sizeof msg, fmt, a, b);
	p->rc = hl_error_set(p->err, code, "malloc_info, line %lu: %s",
			     (unsigned long)XML_GetCurrentLineNumber(p->xp), msg);
	XML_StopParser(p->xp, XML_FALSE);
}

static const char *attr(const XML_Char **atts, const char *name)
{
	for (int i = 0; atts[i]; i += 2)
		if (!strcmp(atts[i], name))
			return atts[i + 1];
	return NULL;
}

/* A required decimal attribute. */
static int64_t num(mi_parse_t *p, const char *el, const XML_Char **atts, const char *name)
{
	const char *v = attr(atts, name);
	if (!v) {
		fail(p, HL_EPARSE, "<%s> has no %s attribute", el, name);
		return 0;
	}
	if (*v < '0' || *v > '9') {
		fail(p, HL_EPARSE, "<%s %s=...> is not a number", el, name);
		return 0;
	}
	int64_t x = 0;
	for (const char *c = v; *c; c++) {
		if (*c < '0' || *c > '9' || x > (INT64_MAX - 9) / 10) {
			fail(p, HL_EPARSE, "<%s %s=...> is not a number", el, name);
			return 0;
		}
		x = x * 10 + (*c - '0');
	}
	return x;
}

static int add_bin(hl_mi_arena_t *a, const hl_mi_bin_t *b)
{
	/* grow by doubling: nbins is a power of two when full */
	if ((a->nbins & (a->nbins - 1)) == 0) {
		size_t cap = a->nbins ? a->nbins * 2 : 8;
		hl_mi_bin_t *v = realloc(a->bins, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		a->bins = v;
	}
	a->bins[a->nbins++] = *b;
	return 0;
}

static void on_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
	mi_parse_t *p = ud;
	if (p->rc)
		return;
	p->depth++;
	if (p->depth == 1) {
		if (strcmp(el, "malloc"))
			{
			fail(p, HL_EPARSE, "the root is <%s>, not <malloc>%s", el, "");
			return;
		}
		const char *v = attr(atts, "version");
		if (!v || strcmp(v, "1"))
			{
			fail(p, HL_ESCHEMA,
				    "<malloc version=\"%s\">: only version 1 is understood%s",
				    v ? v : "(none)", "");
			return;
		}
		p->seen_root = true;
		return;
	}
	hl_malloc_info_t *out = p->out;
	if (!strcmp(el, "heap") && p->depth == 2) {
		if (out->narenas == p->arenas_cap) {
			size_t cap = p->arenas_cap ? p->arenas_cap * 2 : 8;
			hl_mi_arena_t *v = realloc(out->arenas, cap * sizeof *v);
			if (!v)
				{
			fail(p, -ENOMEM, "out of memory%s%s", "", "");
			return;
		}
			out->arenas = v;
			p->arenas_cap = cap;
		}
		hl_mi_arena_t *a = &out->arenas[out->narenas++];
		memset(a, 0, sizeof *a);
		a->subheaps = HL_UNKNOWN;
		a->nr = (int)num(p, el, atts, "nr");
		p->arena = a;
		return;
	}
	if ((!strcmp(el, "size") || !strcmp(el, "unsorted")) && p->arena) {
		hl_mi_bin_t b = {
			.from = num(p, el, atts, "from"),
			.to = num(p, el, atts, "to"),
			.total_bytes = num(p, el, atts, "total"),
			.count = num(p, el, atts, "count"),
			.unsorted = !strcmp(el, "unsorted"),
		};
		if (!p->rc && add_bin(p->arena, &b))
			fail(p, -ENOMEM, "out of memory%s%s", "", "");
		return;
	}
	const char *type = attr(atts, "type");
	if (!type || (strcmp(el, "total") && strcmp(el, "system") && strcmp(el, "aspace")))
		return; /* <sizes>, or something a later glibc added */
	hl_mi_arena_t *a = p->arena;
	hl_mi_total_t *t = &out->total;
	if (!strcmp(el, "total")) {
		int64_t count = num(p, el, atts, "count"), size = num(p, el, atts, "size");
		if (!strcmp(type, "fast")) {
			*(a ? &a->fast_count : &t->fast_count) = count;
			*(a ? &a->fast_bytes : &t->fast_bytes) = size;
		} else if (!strcmp(type, "rest")) {
			*(a ? &a->rest_count : &t->rest_count) = count;
			*(a ? &a->rest_bytes : &t->rest_bytes) = size;
		} else if (!strcmp(type, "mmap") && !a) {
			t->mmap_count = count;
			t->mmap_bytes = size;
		}
		return;
	}
	int64_t size = num(p, el, atts, "size");
	if (!strcmp(el, "system")) {
		if (!strcmp(type, "current"))
			*(a ? &a->system_current_bytes : &t->system_current_bytes) = size;
		else if (!strcmp(type, "max"))
			*(a ? &a->system_max_bytes : &t->system_max_bytes) = size;
	} else {
		if (!strcmp(type, "total"))
			*(a ? &a->aspace_total_bytes : &t->aspace_total_bytes) = size;
		else if (!strcmp(type, "mprotect"))
			*(a ? &a->aspace_mprotect_bytes : &t->aspace_mprotect_bytes) = size;
		else if (!strcmp(type, "subheaps") && a)
			a->subheaps = size;
	}
}

static void on_end(void *ud, const XML_Char *el)
{
	mi_parse_t *p = ud;
	if (p->rc)
		return;
	if (!strcmp(el, "heap") && p->depth == 2)
		p->arena = NULL;
	p->depth--;
}

int hl_malloc_info_parse(const char *buf, size_t len, hl_malloc_info_t *out, hl_error_t *err)
{
	memset(out, 0, sizeof *out);
	if (len > INT32_MAX)
		return hl_error_set(err, HL_EPARSE, "malloc_info: %zu bytes is too large", len);
	mi_parse_t p = {.out = out, .err = err};
	p.xp = XML_ParserCreate(NULL);
	if (!p.xp)
		return hl_error_set(err, -ENOMEM, "malloc_info: out of memory");
	XML_SetUserData(p.xp, &p);
	XML_SetElementHandler(p.xp, on_start, on_end);
	enum XML_Status st = XML_Parse(p.xp, buf, (int)len, XML_TRUE);
	if (!p.rc && st != XML_STATUS_OK) {
		enum XML_Error e = XML_GetErrorCode(p.xp);
		p.rc = hl_error_set(err, HL_EPARSE, "malloc_info, line %lu: %s%s",
				    (unsigned long)XML_GetCurrentLineNumber(p.xp), XML_ErrorString(e),
				    e == XML_ERROR_NO_ELEMENTS || e == XML_ERROR_UNCLOSED_TOKEN
					    ? " (cut short?)"
					    : "");
	}
	if (!p.rc && !p.seen_root)
		p.rc = hl_error_set(err, HL_EPARSE, "malloc_info: no <malloc> element");
	XML_ParserFree(p.xp);
	if (p.rc)
		hl_malloc_info_free(out);
	return p.rc;
}

void hl_malloc_info_free(hl_malloc_info_t *mi)
{
	for (size_t i = 0; i < mi->narenas; i++)
		free(mi->arenas[i].bins);
	free(mi->arenas);
	memset(mi, 0, sizeof *mi);
}
