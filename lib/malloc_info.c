/*
 * malloc_info.c — reads the XML that glibc's malloc_info(0, fp) writes into
 * per-arena figures (hl_malloc_info_t), with expat. Pure: a buffer in,
 * figures or an error out. It does not fetch the XML (lab.c writes it in
 * the measured process, the harness carries it over the phase pipe), print
 * it, store it (run_record.c) or judge what the figures mean (figures.c).
 *
 * What glibc 2.36's __malloc_info (malloc/malloc.c) writes, in this order:
 *
 *   <malloc version="1">
 *   <heap nr="N">                           one per arena; main arena first,
 *   <sizes>                                 then the newest thread arena
 *     <size from= to= total= count=/>       non-empty fastbins, then the
 *     <unsorted from= to= total= count=/>   non-empty small and large bins;
 *   </sizes>                                the unsorted bin last
 *   <total type="fast" count= size=/>
 *   <total type="rest" count= size=/>
 *   <system type="current" size=/>          system_mem
 *   <system type="max" size=/>              max_system_mem
 *   <aspace type="total" size=/>            main arena: system_mem again;
 *   <aspace type="mprotect" size=/>         thread arena: its heaps' sizes
 *   <aspace type="subheaps" size=/>         thread arenas only: heap count
 *   </heap>
 *   <total type="fast"|"rest"|"mmap" count= size=/>   sums over the heaps,
 *   <system type="current"|"max" size=/>              and mmapped chunks
 *   <aspace type="total"|"mprotect" size=/>           (mp_.n_mmaps and
 *   </malloc>                                         mp_.mmapped_mem)
 *
 * Quirks, measured on this machine (glibc 2.36; DESIGN.md section 8):
 * - malloc_info does not report tcache: a chunk held in a thread's tcache
 *   appears nowhere (mallinfo2 counts it as in use).
 * - "rest" includes the top chunk: its count is 1 + the chunks in the bins
 *   and its size adds chunksize(top), so an empty arena shows count="1".
 * - Sizes in the small, large and unsorted bins are read with the
 *   PREV_INUSE bit still set (a 4096 B request's 4112 B chunk shows as
 *   4113), and "total" and the "rest" size add up those odd numbers.
 *   Fastbin lines are masked and show a range instead: from = size - 15,
 *   to = size (48 B chunks: from="33" to="48").
 *
 * Input is checked strictly and unknown things are ignored: the root must
 * be <malloc version="1">, every number a plain decimal that fits int64_t,
 * every known element in its place with its attributes; a document that
 * ends early is refused as cut short. An element or attribute this file does
 * not know (a later glibc may add some), with all it contains, and a known
 * element with an unknown type="...", are skipped. A figure the XML does
 * not give stays HL_UNKNOWN (a main arena has no subheaps figure).
 */
#include <errno.h>
#include <expat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

/* Where the parser is, among the elements it knows. */
typedef enum mi_where {
	MI_OUTSIDE, /* before <malloc> or after </malloc> */
	MI_MALLOC,  /* directly inside <malloc> */
	MI_HEAP,    /* directly inside <heap> */
	MI_SIZES,   /* directly inside <sizes> */
} mi_where_t;

/* An arena and the totals before the XML gives their figures: what it
 * leaves out stays unknown, never 0. */
static const hl_mi_arena_t arena_unknown = {
	.fast_count = HL_UNKNOWN,
	.fast_bytes = HL_UNKNOWN,
	.rest_count = HL_UNKNOWN,
	.rest_bytes = HL_UNKNOWN,
	.system_current_bytes = HL_UNKNOWN,
	.system_max_bytes = HL_UNKNOWN,
	.aspace_total_bytes = HL_UNKNOWN,
	.aspace_mprotect_bytes = HL_UNKNOWN,
	.subheaps = HL_UNKNOWN,
};

static const hl_mi_total_t total_unknown = {
	.fast_count = HL_UNKNOWN,
	.fast_bytes = HL_UNKNOWN,
	.rest_count = HL_UNKNOWN,
	.rest_bytes = HL_UNKNOWN,
	.mmap_count = HL_UNKNOWN,
	.mmap_bytes = HL_UNKNOWN,
	.system_current_bytes = HL_UNKNOWN,
	.system_max_bytes = HL_UNKNOWN,
	.aspace_total_bytes = HL_UNKNOWN,
	.aspace_mprotect_bytes = HL_UNKNOWN,
};

static const char *const where_name[] = {"", "malloc", "heap", "sizes"};

typedef struct mi_parser {
	XML_Parser xp;
	hl_malloc_info_t *out;
	hl_error_t *err;
	int rc; /* the first error; 0 while all is well */
	mi_where_t where;
	size_t depth;	   /* open elements (the root is 1) */
	size_t skip_depth; /* > 0: inside an element opened at this depth
			    * whose content is ignored (unknown, or a leaf) */
	bool seen_root;
	size_t arenas_cap; /* allocated length of out->arenas */
	size_t bins_cap;   /* allocated length of the current arena's bins */
} mi_parser_t;

static void fail(mi_parser_t *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error, with the line expat is on, and stops expat.
 * Handlers return at once after it: expat may still call one or two. */
static void fail(mi_parser_t *p, int code, const char *fmt, ...)
{
	if (p->rc)
		return;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	p->rc = hl_error_set(p->err, code, "malloc_info line %lu: %s",
			     (unsigned long)XML_GetCurrentLineNumber(p->xp), msg);
	XML_StopParser(p->xp, XML_FALSE);
}

/* A value from the input, made safe to quote in a message: at most 32
 * characters, anything but printable ASCII shown as '?'. */
static const char *quote(const char *v, char *out, size_t outsz)
{
	size_t n = 0;
	for (; v[n] && n < 32 && n + 4 < outsz; n++)
		out[n] = v[n] >= 0x20 && v[n] < 0x7f ? v[n] : '?';
	if (v[n] && n + 4 <= outsz) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

static const char *attr(const XML_Char **atts, const char *name)
{
	for (size_t i = 0; atts[i]; i += 2)
		if (!strcmp(atts[i], name))
			return atts[i + 1];
	return NULL;
}

/* How an element is named in a message: <total type="fast">, <size>. */
static const char *label(const char *el, const XML_Char **atts, char *out, size_t outsz)
{
	const char *type = attr(atts, "type");
	char q[40];
	if (type)
		snprintf(out, outsz, "%s type=\"%s\"", el, quote(type, q, sizeof q));
	else
		snprintf(out, outsz, "%s", el);
	return out;
}

/* The required decimal attribute name of element el into *v. glibc prints
 * size_t with %zu, so a sign, spaces, hex or an empty value mean the input
 * is not malloc_info; a value above INT64_MAX cannot be a real size on a
 * 64-bit machine (address spaces are 2^47 to 2^57 bytes). */
static bool num(mi_parser_t *p, const char *el, const XML_Char **atts, const char *name, int64_t *v)
{
	const char *s = attr(atts, name);
	char l[80], q[40];
	if (!s) {
		fail(p, HL_EPARSE, "<%s> has no %s attribute", label(el, atts, l, sizeof l), name);
		return false;
	}
	int64_t x = 0;
	const char *c = s;
	for (; *c >= '0' && *c <= '9'; c++) {
		int d = *c - '0';
		if (x > (INT64_MAX - d) / 10)
			break;
		x = x * 10 + d;
	}
	if (*c || c == s) {
		bool digits = c != s && strspn(s, "0123456789") == strlen(s);
		fail(p, HL_EPARSE, "<%s %s=\"%s\">: %s", label(el, atts, l, sizeof l), name,
		     quote(s, q, sizeof q),
		     digits ? "too large (above INT64_MAX)" : "not a decimal integer");
		return false;
	}
	*v = x;
	return true;
}

/* v with room for more than n elements: the capacity doubles, so appending
 * is linear however many arenas and bins come. NULL (v kept) if out of
 * memory. */
static void *grow(void *v, size_t *cap, size_t n, size_t elsize)
{
	if (n < *cap)
		return v;
	size_t c = *cap ? *cap : 8;
	while (c <= n) {
		if (c > SIZE_MAX / 2 / elsize)
			return NULL;
		c *= 2;
	}
	void *nv = realloc(v, c * elsize);
	if (nv)
		*cap = c;
	return nv;
}

static void open_heap(mi_parser_t *p, const XML_Char **atts)
{
	int64_t nr;
	if (!num(p, "heap", atts, "nr", &nr))
		return;
	if (nr > INT_MAX) {
		fail(p, HL_EPARSE, "<heap nr=\"%lld\">: too large for an arena number",
		     (long long)nr);
		return;
	}
	hl_malloc_info_t *out = p->out;
	hl_mi_arena_t *arenas = grow(out->arenas, &p->arenas_cap, out->narenas, sizeof *arenas);
	if (!arenas) {
		fail(p, -ENOMEM, "out of memory at arena %zu", out->narenas);
		return;
	}
	out->arenas = arenas;
	out->arenas[out->narenas] = arena_unknown;
	out->arenas[out->narenas++].nr = (int)nr;
	p->bins_cap = 0;
	p->where = MI_HEAP;
}

/* <size> or <unsorted>: one line of the current arena's <sizes>. */
static void add_bin(mi_parser_t *p, const char *el, const XML_Char **atts)
{
	hl_mi_bin_t b = {.unsorted = !strcmp(el, "unsorted")};
	if (!num(p, el, atts, "from", &b.from) || !num(p, el, atts, "to", &b.to) ||
	    !num(p, el, atts, "total", &b.total_bytes) || !num(p, el, atts, "count", &b.count))
		return;
	hl_mi_arena_t *a = &p->out->arenas[p->out->narenas - 1];
	hl_mi_bin_t *bins = grow(a->bins, &p->bins_cap, a->nbins, sizeof *bins);
	if (!bins) {
		fail(p, -ENOMEM, "out of memory at bin %zu of arena %d", a->nbins, a->nr);
		return;
	}
	a->bins = bins;
	a->bins[a->nbins++] = b;
}

/* <total>, <system> or <aspace>: of arena a, or the totals when a is NULL. */
static void add_figure(mi_parser_t *p, const char *el, const XML_Char **atts, hl_mi_arena_t *a)
{
	const char *type = attr(atts, "type");
	if (!type) {
		fail(p, HL_EPARSE, "<%s> has no type attribute", el);
		return;
	}
	hl_mi_total_t *t = &p->out->total;
	int64_t *count = NULL, *size = NULL;
	if (!strcmp(el, "total")) {
		if (!strcmp(type, "fast")) {
			count = a ? &a->fast_count : &t->fast_count;
			size = a ? &a->fast_bytes : &t->fast_bytes;
		} else if (!strcmp(type, "rest")) {
			count = a ? &a->rest_count : &t->rest_count;
			size = a ? &a->rest_bytes : &t->rest_bytes;
		} else if (!strcmp(type, "mmap") && !a) {
			count = &t->mmap_count;
			size = &t->mmap_bytes;
		}
	} else if (!strcmp(el, "system")) {
		if (!strcmp(type, "current"))
			size = a ? &a->system_current_bytes : &t->system_current_bytes;
		else if (!strcmp(type, "max"))
			size = a ? &a->system_max_bytes : &t->system_max_bytes;
	} else {
		if (!strcmp(type, "total"))
			size = a ? &a->aspace_total_bytes : &t->aspace_total_bytes;
		else if (!strcmp(type, "mprotect"))
			size = a ? &a->aspace_mprotect_bytes : &t->aspace_mprotect_bytes;
		else if (!strcmp(type, "subheaps") && a)
			size = &a->subheaps; /* a count of heaps, in a size= attribute */
	}
	if (!size)
		return; /* a type this file does not know: a later glibc's */
	int64_t c = 0, s;
	if ((count && !num(p, el, atts, "count", &c)) || !num(p, el, atts, "size", &s))
		return;
	if (count)
		*count = c;
	*size = s;
}

static bool is(const char *el, const char *name)
{
	return !strcmp(el, name);
}

static void on_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
	mi_parser_t *p = ud;
	if (p->rc)
		return;
	p->depth++;
	if (p->skip_depth)
		return;
	char q[40];
	if (p->where == MI_OUTSIDE) { /* the root: expat allows only one */
		if (!is(el, "malloc")) {
			fail(p, HL_EPARSE,
			     "the root element is <%s>, not <malloc>: this is not malloc_info "
			     "output",
			     quote(el, q, sizeof q));
			return;
		}
		const char *v = attr(atts, "version");
		if (!v) {
			fail(p, HL_EPARSE, "<malloc> has no version attribute");
			return;
		}
		if (strcmp(v, "1")) {
			fail(p, HL_ESCHEMA,
			     "<malloc version=\"%s\">: only version 1 (what glibc 2.36 writes) is "
			     "understood; this glibc's format needs a newer heaplab",
			     quote(v, q, sizeof q));
			return;
		}
		p->seen_root = true;
		p->where = MI_MALLOC;
		return;
	}
	bool figure = is(el, "total") || is(el, "system") || is(el, "aspace");
	bool bin = is(el, "size") || is(el, "unsorted");
	hl_mi_arena_t *a = p->out->narenas ? &p->out->arenas[p->out->narenas - 1] : NULL;
	if (p->where == MI_MALLOC && is(el, "heap")) {
		open_heap(p, atts);
		return;
	}
	if (p->where == MI_HEAP && is(el, "sizes")) {
		p->where = MI_SIZES;
		return;
	}
	/* Leaves: what they contain (glibc writes nothing) is skipped. */
	p->skip_depth = p->depth;
	if (p->where == MI_MALLOC && figure)
		add_figure(p, el, atts, NULL);
	else if (p->where == MI_HEAP && figure)
		add_figure(p, el, atts, a);
	else if (p->where == MI_SIZES && bin)
		add_bin(p, el, atts);
	else if (figure || bin || is(el, "heap") || is(el, "sizes") || is(el, "malloc"))
		fail(p, HL_EPARSE, "<%s> is out of place inside <%s>", el, where_name[p->where]);
	/* else: an element a later glibc added; skipped with its content */
}

static void on_end(void *ud, const XML_Char *el)
{
	mi_parser_t *p = ud;
	(void)el; /* expat checks that tags match */
	if (p->rc)
		return;
	if (p->skip_depth) {
		if (p->depth == p->skip_depth)
			p->skip_depth = 0;
	} else if (p->where == MI_SIZES) {
		p->where = MI_HEAP;
	} else if (p->where == MI_HEAP) {
		p->where = MI_MALLOC;
	} else if (p->where == MI_MALLOC) {
		p->where = MI_OUTSIDE;
	}
	p->depth--;
}

/* malloc_info never has a DTD; refusing one means no entity can expand. */
static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
		       int has_internal_subset)
{
	mi_parser_t *p = ud;
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	fail(p, HL_EPARSE, "a <!DOCTYPE> declaration: malloc_info output has none");
}

/* Where the parser was when the input ended, for the "cut short" message. */
static void where_text(const mi_parser_t *p, char *out, size_t outsz)
{
	if (!p->seen_root)
		snprintf(out, outsz, "before <malloc version=\"1\"> was complete");
	else if (p->where == MI_HEAP || p->where == MI_SIZES)
		snprintf(out, outsz, "inside <heap nr=\"%d\">",
			 p->out->arenas[p->out->narenas - 1].nr);
	else if (p->out->narenas)
		snprintf(out, outsz, "after <heap nr=\"%d\">, before </malloc>",
			 p->out->arenas[p->out->narenas - 1].nr);
	else
		snprintf(out, outsz, "before </malloc>");
}

/* Feeds buf to expat in pieces (XML_Parse takes an int length), never as
 * final: a document that is well-formed so far but ends early is then told
 * apart from one that is malformed, by a last, final call with no bytes. */
static int feed(mi_parser_t *p, const char *buf, size_t len)
{
	const size_t piece = (size_t)1 << 30;
	for (size_t off = 0; off < len && !p->rc; off += piece) {
		size_t n = len - off < piece ? len - off : piece;
		if (XML_Parse(p->xp, buf + off, (int)n, XML_FALSE) != XML_STATUS_OK && !p->rc)
			p->rc = hl_error_set(p->err, HL_EPARSE,
					     "malloc_info line %lu, column %lu: not XML: %s",
					     (unsigned long)XML_GetCurrentLineNumber(p->xp),
					     (unsigned long)XML_GetCurrentColumnNumber(p->xp) + 1,
					     XML_ErrorString(XML_GetErrorCode(p->xp)));
	}
	if (p->rc)
		return p->rc;
	if (XML_Parse(p->xp, "", 0, XML_TRUE) != XML_STATUS_OK && !p->rc) {
		char where[80];
		where_text(p, where, sizeof where);
		p->rc = hl_error_set(p->err, HL_EPARSE,
				     "malloc_info was cut short: it ends at line %lu, %s (%s)",
				     (unsigned long)XML_GetCurrentLineNumber(p->xp), where,
				     XML_ErrorString(XML_GetErrorCode(p->xp)));
	}
	return p->rc;
}

int hl_malloc_info_parse(const char *buf, size_t len, hl_malloc_info_t *out, hl_error_t *err)
{
	*out = (hl_malloc_info_t){.total = total_unknown};
	size_t blank = 0; /* buf need not be NUL-terminated */
	while (blank < len && (buf[blank] == ' ' || buf[blank] == '\t' || buf[blank] == '\r' ||
			       buf[blank] == '\n'))
		blank++;
	if (blank == len)
		return hl_error_set(err, HL_EPARSE,
				    "malloc_info: the input is empty (malloc_info(0, fp) writes "
				    "at least a <malloc> and one <heap>)");
	mi_parser_t p = {.out = out, .err = err};
	/* UTF-8 whatever the input declares: glibc writes ASCII. */
	p.xp = XML_ParserCreate("UTF-8");
	if (!p.xp)
		return hl_error_set(err, -ENOMEM, "malloc_info: out of memory");
	XML_SetUserData(p.xp, &p);
	XML_SetElementHandler(p.xp, on_start, on_end);
	XML_SetStartDoctypeDeclHandler(p.xp, on_doctype);
	int rc = feed(&p, buf, len);
	XML_ParserFree(p.xp);
	if (!rc && !out->narenas)
		rc = hl_error_set(err, HL_EPARSE,
				  "malloc_info: <malloc> holds no <heap>; glibc always lists at "
				  "least the main arena");
	if (rc)
		hl_malloc_info_free(out);
	return rc;
}

void hl_malloc_info_free(hl_malloc_info_t *mi)
{
	if (!mi)
		return;
	for (size_t i = 0; i < mi->narenas; i++)
		free(mi->arenas[i].bins);
	free(mi->arenas);
	memset(mi, 0, sizeof *mi);
}
