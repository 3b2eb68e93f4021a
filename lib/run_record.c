/*
 * run_record.c — the run record: hl_run_t in memory (parameters, phases,
 * observations) and as run.json (docs/run-json.md), written and read with
 * cJSON, saved atomically and loaded from a run directory. Samples are
 * samples.c's, the plot script is plot.c's, and what the figures mean is
 * figures.c's; this file only keeps and carries them.
 *
 * The file's promises, which tools outside heaplab rely on:
 * - Integers are written as exact decimal text (%lld as cJSON raw numbers),
 *   never with an exponent or decimals. cJSON reads numbers as doubles, so
 *   values up to 2^53 read back exactly; nothing heaplab measures comes near
 *   (x86-64 user space is 2^47 bytes).
 * - HL_UNKNOWN is null and reads back as HL_UNKNOWN; mallinfo2 and
 *   malloc_info that were not measured (another allocator) are null whole,
 *   never numbers.
 * - The text is valid UTF-8 even when a name in memory was cut in the middle
 *   of a character: bad bytes are written as U+FFFD.
 * - Numbers are written so that a program that called setlocale() still
 *   writes '.' decimal points (%lld for integers; doubles under uselocale).
 * - A reader sees the old record or the new one, whole: saves go through a
 *   temporary file in the same directory, fsync and rename(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_internal.h"

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ UTF-8 */

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 when
 * the bytes there are not one (stray continuation, overlong form, surrogate,
 * beyond U+10FFFF, cut short). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

/* Copies src into dst[dstsz], cutting only between characters, so a name
 * too long for its field does not end in half a character. */
static void copy_str(char *dst, size_t dstsz, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = strlen(src), i = 0;
	while (i < n) {
		size_t k = utf8_seq(s + i, n - i);
		if (k == 0)
			k = 1; /* a bad byte is kept as it is: the writer replaces it */
		if (i + k >= dstsz)
			break;
		i += k;
	}
	memcpy(dst, src, i);
	dst[i] = '\0';
}

/* s itself when it is valid UTF-8; otherwise a copy in tmp with every bad
 * byte replaced by U+FFFD (tmp holds at least 3 * strlen(s) + 1 bytes for
 * the strings of hl_run_t; longer ones are cut between characters). */
static const char *utf8_clean(const char *s, char *tmp, size_t tmpsz)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	while (i < n) {
		size_t k = utf8_seq(u + i, n - i);
		if (!k)
			break;
		i += k;
	}
	if (i == n)
		return s;
	size_t o = 0;
	for (i = 0; i < n;) {
		size_t k = utf8_seq(u + i, n - i);
		const char *put = k ? s + i : "\xef\xbf\xbd";
		size_t plen = k ? k : 3;
		if (o + plen >= tmpsz)
			break;
		memcpy(tmp + o, put, plen);
		o += plen;
		i += k ? k : 1;
	}
	tmp[o] = '\0';
	return tmp;
}

/* The longest string field is 512 bytes; every byte of it may need three. */
#define CLEAN_MAX (3 * 512 + 1)

/* ------------------------------------------------------------ in memory */

void hl_run_init(hl_run_t *run)
{
	memset(run, 0, sizeof *run);
	run->schema_version = HL_RUN_SCHEMA_VERSION;
	run->exit_code = -1;
}

void hl_phase_free(hl_phase_t *ph)
{
	hl_malloc_info_free(&ph->malloc_info);
	ph->malloc_info_valid = false;
	free(ph->obs);
	ph->obs = NULL;
	ph->nobs = 0;
}

void hl_run_free(hl_run_t *run)
{
	for (size_t i = 0; i < run->nphases; i++)
		hl_phase_free(&run->phases[i]);
	free(run->phases);
	free(run->params);
	run->phases = NULL;
	run->params = NULL;
	run->nphases = run->nparams = 0;
}

/* A name given again replaces its value: a JSON object cannot hold one key
 * twice (readers keep one of them), and the last setting is the one a
 * program sees. */
int hl_run_add_param(hl_run_t *run, const char *name, const char *value)
{
	char key[sizeof run->params[0].name];
	copy_str(key, sizeof key, name);
	hl_param_t *p = NULL;
	for (size_t i = 0; i < run->nparams && !p; i++)
		if (!strcmp(run->params[i].name, key))
			p = &run->params[i];
	if (!p) {
		hl_param_t *v = realloc(run->params, (run->nparams + 1) * sizeof *v);
		if (!v)
			return -ENOMEM;
		run->params = v;
		p = &v[run->nparams++];
		memcpy(p->name, key, sizeof key);
	}
	copy_str(p->value, sizeof p->value, value);
	return 0;
}

/* On failure ph is left as it was, still the caller's to free. */
int hl_run_add_phase(hl_run_t *run, hl_phase_t *ph)
{
	hl_phase_t *v = realloc(run->phases, (run->nphases + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	run->phases = v;
	v[run->nphases++] = *ph;
	memset(ph, 0, sizeof *ph);
	return 0;
}

/* Keys are compared as stored (cut to the field), so a key too long for it
 * is found again under the same long name. */
int hl_phase_observe(hl_phase_t *ph, const char *key, double value)
{
	char k[sizeof ph->obs[0].key];
	copy_str(k, sizeof k, key);
	for (size_t i = 0; i < ph->nobs; i++)
		if (!strcmp(ph->obs[i].key, k)) {
			ph->obs[i].value = value;
			return 0;
		}
	hl_observation_t *v = realloc(ph->obs, (ph->nobs + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	ph->obs = v;
	memcpy(v[ph->nobs].key, k, sizeof k);
	v[ph->nobs++].value = value;
	return 0;
}

bool hl_phase_observation(const hl_phase_t *ph, const char *key, double *value)
{
	char k[sizeof ph->obs[0].key];
	copy_str(k, sizeof k, key);
	for (size_t i = 0; i < ph->nobs; i++)
		if (!strcmp(ph->obs[i].key, k)) {
			if (value)
				*value = ph->obs[i].value;
			return true;
		}
	return false;
}

void hl_run_phase_base(const hl_run_t *run, size_t upto, const char *name, char *out,
		       size_t outsz)
{
	int seen = 0;
	for (size_t i = 0; i < upto && i < run->nphases; i++)
		seen += !strcmp(run->phases[i].name, name);
	if (seen)
		snprintf(out, outsz, "%s-%d", name, seen + 1);
	else
		snprintf(out, outsz, "%s", name);
}

const hl_phase_t *hl_run_phase(const hl_run_t *run, const char *name)
{
	for (size_t i = 0; i < run->nphases; i++)
		if (!strcmp(run->phases[i].name, name))
			return &run->phases[i];
	return NULL;
}

/* ------------------------------------------------------------ field tables */

/* The int64 fields of each struct, by the JSON key that is their name. */
typedef struct field {
	const char *key;
	size_t off;
} field_t;

static const field_t mallinfo_fields[] = {
#define F(k) {#k, offsetof(hl_mallinfo_t, k)}
	F(arena),   F(ordblks), F(smblks),   F(hblks),    F(hblkhd),
	F(usmblks), F(fsmblks), F(uordblks), F(fordblks), F(keepcost),
#undef F
};

static const field_t arena_fields[] = {
#define F(k) {#k, offsetof(hl_mi_arena_t, k)}
	F(fast_count),         F(fast_bytes),       F(rest_count),
	F(rest_bytes),         F(system_current_bytes), F(system_max_bytes),
	F(aspace_total_bytes), F(aspace_mprotect_bytes), F(subheaps),
#undef F
};

static const field_t bin_fields[] = {
#define F(k) {#k, offsetof(hl_mi_bin_t, k)}
	F(from), F(to), F(total_bytes), F(count),
#undef F
};

static const field_t total_fields[] = {
#define F(k) {#k, offsetof(hl_mi_total_t, k)}
	F(fast_count),           F(fast_bytes),       F(rest_count),
	F(rest_bytes),           F(mmap_count),       F(mmap_bytes),
	F(system_current_bytes), F(system_max_bytes), F(aspace_total_bytes),
	F(aspace_mprotect_bytes),
#undef F
};

static const field_t phase_fields[] = {
#define F(k) {#k, offsetof(hl_phase_t, k)}
	F(t_ms), F(rss_bytes), F(vsz_bytes), F(heap_bytes), F(heap_rss_bytes),
#undef F
};

static const field_t walk_fields[] = {
#define F(k) {#k, offsetof(struct hl_walk_summary, k)}
	F(arenas),           F(chunks),         F(live_bytes),      F(tcache_bytes),
	F(fastbin_bytes),    F(top_bytes),      F(held_back_bytes), F(released_bytes),
	F(releasable_bytes), F(mmap_threshold), F(trim_threshold),  F(rss_before_bytes),
	F(rss_after_bytes),  F(reads),          F(duration_us),
#undef F
};

/* Walk figures added after the first records: written always, read when
 * present (HL_UNKNOWN when a record lacks them). */
static const field_t walk_later_fields[] = {
#define F(k) {#k, offsetof(struct hl_walk_summary, k)}
	F(overhead_bytes), F(bin_bytes), F(top_released_bytes),
#undef F
};

static int64_t *field_at(void *base, const field_t *f)
{
	return (int64_t *)((char *)base + f->off);
}

static int64_t field_get(const void *base, const field_t *f)
{
	return *(const int64_t *)((const char *)base + f->off);
}

/* ------------------------------------------------------------ writing */

/* cJSON's add functions fail only for memory; the writer remembers that
 * one did, so a record is never written with keys silently missing. Every
 * put_* takes a NULL parent (one that could not be made) and does nothing. */
typedef struct writer {
	bool oom;
	locale_t c_locale; /* for doubles, made at the first one */
} writer_t;

static cJSON *attach(writer_t *w, cJSON *parent, const char *key, cJSON *item)
{
	if (!parent) {
		cJSON_Delete(item);
		return NULL;
	}
	if (!item) {
		w->oom = true;
		return NULL;
	}
	bool ok;
	if (cJSON_IsArray(parent)) {
		ok = cJSON_AddItemToArray(parent, item);
	} else {
		char tmp[CLEAN_MAX];
		ok = cJSON_AddItemToObject(parent, utf8_clean(key, tmp, sizeof tmp), item);
	}
	if (!ok) {
		cJSON_Delete(item);
		w->oom = true;
		return NULL;
	}
	return item;
}

static void put_raw_int(writer_t *w, cJSON *o, const char *key, long long v)
{
	char num[24];
	snprintf(num, sizeof num, "%lld", v);
	attach(w, o, key, cJSON_CreateRaw(num));
}

/* An int64 figure: exact decimal, or null for HL_UNKNOWN. */
static void put_int(writer_t *w, cJSON *o, const char *key, int64_t v)
{
	if (v == HL_UNKNOWN)
		attach(w, o, key, cJSON_CreateNull());
	else
		put_raw_int(w, o, key, (long long)v);
}

void hl_json_put_int(cJSON *o, const char *key, int64_t v)
{
	writer_t w = {false, (locale_t)0};
	put_int(&w, o, key, v);
}

static void put_str(writer_t *w, cJSON *o, const char *key, const char *s)
{
	char tmp[CLEAN_MAX];
	attach(w, o, key, cJSON_CreateString(utf8_clean(s, tmp, sizeof tmp)));
}

static void put_bool(writer_t *w, cJSON *o, const char *key, bool b)
{
	attach(w, o, key, cJSON_CreateBool(b));
}

/* Observations are doubles. Integral ones print as integers; others as the
 * shortest of %.15g, %.16g, %.17g that reads back bit for bit. Not cJSON's
 * printer: it keeps %.15g when that is merely within a relative epsilon
 * (0.1 + 0.2 would come back as 0.3, 2^53 as 9.00719925474099e+15). The
 * text is made under the C locale (uselocale is per thread), so the point
 * is '.' whatever the program chose. Not-a-number is null. */
static void put_double(writer_t *w, cJSON *o, const char *key, double v)
{
	if (!o)
		return;
	if (!isfinite(v)) {
		attach(w, o, key, cJSON_CreateNull());
		return;
	}
	if (v == floor(v) && fabs(v) <= 9007199254740992.0) {
		put_raw_int(w, o, key, (long long)v);
		return;
	}
	if (!w->c_locale && !(w->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0))) {
		w->oom = true;
		return;
	}
	locale_t old = uselocale(w->c_locale);
	char num[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(num, sizeof num, "%.*g", prec, v);
		if (strtod(num, NULL) == v)
			break;
	}
	uselocale(old);
	attach(w, o, key, cJSON_CreateRaw(num));
}

static void put_fields(writer_t *w, cJSON *o, const void *base, const field_t *f, size_t n)
{
	for (size_t k = 0; k < n; k++)
		put_int(w, o, f[k].key, field_get(base, &f[k]));
}

static void put_mallinfo(writer_t *w, cJSON *o, const char *key, const hl_mallinfo_t *m)
{
	if (!m->valid) {
		attach(w, o, key, cJSON_CreateNull());
		return;
	}
	cJSON *mo = attach(w, o, key, cJSON_CreateObject());
	put_fields(w, mo, m, mallinfo_fields, NFIELDS(mallinfo_fields));
}

static void put_malloc_info(writer_t *w, cJSON *o, const hl_malloc_info_t *mi)
{
	cJSON *mo = attach(w, o, "malloc_info", cJSON_CreateObject());
	cJSON *arenas = attach(w, mo, "arenas", cJSON_CreateArray());
	for (size_t i = 0; i < mi->narenas && arenas; i++) {
		const hl_mi_arena_t *a = &mi->arenas[i];
		cJSON *ao = attach(w, arenas, NULL, cJSON_CreateObject());
		put_raw_int(w, ao, "nr", a->nr);
		put_fields(w, ao, a, arena_fields, NFIELDS(arena_fields));
		cJSON *bins = attach(w, ao, "bins", cJSON_CreateArray());
		for (size_t b = 0; b < a->nbins && bins; b++) {
			cJSON *bo = attach(w, bins, NULL, cJSON_CreateObject());
			put_fields(w, bo, &a->bins[b], bin_fields, NFIELDS(bin_fields));
			put_bool(w, bo, "unsorted", a->bins[b].unsorted);
		}
	}
	cJSON *t = attach(w, mo, "total", cJSON_CreateObject());
	put_fields(w, t, &mi->total, total_fields, NFIELDS(total_fields));
}

static void put_walk(writer_t *w, cJSON *o, const struct hl_walk_summary *ws)
{
	cJSON *wo = attach(w, o, "walk", cJSON_CreateObject());
	put_str(w, wo, "method", ws->method);
	put_bool(w, wo, "complete", ws->complete);
	put_str(w, wo, "warning", ws->warning);
	put_mallinfo(w, wo, "mallinfo2", &ws->mallinfo2);
	put_fields(w, wo, ws, walk_fields, NFIELDS(walk_fields));
	put_fields(w, wo, ws, walk_later_fields, NFIELDS(walk_later_fields));
	/* chunks and live_bytes are estimates from a sample of the in-use runs */
	put_bool(w, wo, "chunks_estimated", ws->chunks_estimated);
}

static void put_phase(writer_t *w, cJSON *phases, const hl_phase_t *ph)
{
	cJSON *o = attach(w, phases, NULL, cJSON_CreateObject());
	put_str(w, o, "name", ph->name);
	put_fields(w, o, ph, phase_fields, NFIELDS(phase_fields));
	put_mallinfo(w, o, "mallinfo2", &ph->mallinfo2);
	if (ph->malloc_info_valid)
		put_malloc_info(w, o, &ph->malloc_info);
	else
		attach(w, o, "malloc_info", cJSON_CreateNull());
	cJSON *obs = attach(w, o, "observations", cJSON_CreateObject());
	for (size_t i = 0; i < ph->nobs; i++)
		put_double(w, obs, ph->obs[i].key, ph->obs[i].value);
	/* only runs that walked the heap have it (docs/run-json.md) */
	if (ph->walk_valid)
		put_walk(w, o, &ph->walk);
}

int hl_run_to_json(const hl_run_t *run, hl_buf_t *out, hl_error_t *err)
{
	writer_t w = {false, (locale_t)0};
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return hl_error_set(err, -ENOMEM, "run.json: out of memory");
	put_raw_int(&w, o, "schema_version", run->schema_version);
	put_str(&w, o, "experiment", run->experiment);
	put_str(&w, o, "program", run->program);
	cJSON *params = attach(&w, o, "params", cJSON_CreateObject());
	for (size_t i = 0; i < run->nparams; i++)
		put_str(&w, params, run->params[i].name, run->params[i].value);
	put_str(&w, o, "glibc", run->glibc);
	put_str(&w, o, "kernel", run->kernel);
	put_str(&w, o, "tunables", run->tunables);
	put_str(&w, o, "allocator", run->allocator);
	put_str(&w, o, "env", run->env);
	put_str(&w, o, "started", run->started);
	put_int(&w, o, "interval_ms", run->interval_ms);
	put_bool(&w, o, "complete", run->complete);
	put_str(&w, o, "status", run->status);
	/* an exit status, not a figure: -1 (killed) is written as -1 */
	put_raw_int(&w, o, "exit_code", run->exit_code);
	put_int(&w, o, "duration_ms", run->duration_ms);
	put_int(&w, o, "samples", run->nsamples);
	cJSON *phases = attach(&w, o, "phases", cJSON_CreateArray());
	for (size_t i = 0; i < run->nphases; i++)
		put_phase(&w, phases, &run->phases[i]);

	/* indented (tabs): run.json is read by people as much as by tools */
	char *text = w.oom ? NULL : cJSON_Print(o);
	cJSON_Delete(o);
	if (w.c_locale)
		freelocale(w.c_locale);
	if (!text)
		return hl_error_set(err, -ENOMEM, "run.json: out of memory");
	hl_buf_reset(out);
	int rc = hl_buf_printf(out, "%s\n", text);
	cJSON_free(text);
	return rc ? hl_error_set(err, rc, "run.json: out of memory") : 0;
}

/* ------------------------------------------------------------ reading */

/* The reader keeps the first error and the path of the object it is in
 * ("phases[2].malloc_info.arenas[0]"), so a message names the very key. */
typedef struct reader {
	hl_error_t *err;
	int rc;
	char where[192];
} reader_t;

static void fail(reader_t *r, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(reader_t *r, const char *key, const char *fmt, ...)
{
	if (r->rc)
		return;
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	r->rc = hl_error_set(r->err, HL_EPARSE, "run.json: key \"%s%s%s\" %s", r->where,
			     r->where[0] && key[0] ? "." : "", key, what);
}

static size_t enter(reader_t *r, const char *key, long index)
{
	size_t mark = strlen(r->where), room = sizeof r->where - mark;
	if (index >= 0)
		snprintf(r->where + mark, room, "%s%s[%ld]", mark ? "." : "", key, index);
	else
		snprintf(r->where + mark, room, "%s%s", mark ? "." : "", key);
	return mark;
}

static void leave(reader_t *r, size_t mark)
{
	r->where[mark] = '\0';
}

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsArray(v))
		return "a list";
	if (cJSON_IsObject(v))
		return "an object";
	return "not a value";
}

/* The item under key, or NULL after failing "is missing". */
static const cJSON *need(reader_t *r, const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		fail(r, key, "is missing");
	return v;
}

/* An integer in [lo, hi]; null reads as HL_UNKNOWN when nullable. Doubles
 * hold every integer up to 2^53 exactly; beyond that a number reads as the
 * nearest double, still inside int64. */
static int64_t get_int_in(reader_t *r, const cJSON *o, const char *key, bool nullable, double lo,
			  double hi)
{
	const cJSON *v = need(r, o, key);
	if (!v)
		return HL_UNKNOWN;
	if (nullable && cJSON_IsNull(v))
		return HL_UNKNOWN;
	if (!cJSON_IsNumber(v)) {
		fail(r, key, "must be an integer%s, not %s", nullable ? " or null" : "", type_name(v));
		return HL_UNKNOWN;
	}
	double d = v->valuedouble;
	if (d != floor(d)) {
		fail(r, key, "must be an integer, not %.17g", d);
		return HL_UNKNOWN;
	}
	if (d < lo || d > hi) {
		fail(r, key, "is out of range: %.17g (from %.0f to %.0f)", d, lo, hi);
		return HL_UNKNOWN;
	}
	return (int64_t)d;
}

/* The int64 range that survives the trip through a double: 2^63 itself
 * does not fit, the double below it (2^63 - 1024) does. */
#define I64_LO (-9223372036854775808.0)
#define I64_HI (9223372036854774784.0)

static int64_t get_int(reader_t *r, const cJSON *o, const char *key)
{
	return get_int_in(r, o, key, true, I64_LO, I64_HI);
}

static void get_fields(reader_t *r, const cJSON *o, void *base, const field_t *f, size_t n)
{
	for (size_t k = 0; k < n && !r->rc; k++)
		*field_at(base, &f[k]) = get_int(r, o, f[k].key);
}

static void get_str(reader_t *r, const cJSON *o, const char *key, char *dst, size_t dstsz)
{
	dst[0] = '\0';
	const cJSON *v = need(r, o, key);
	if (v && !cJSON_IsString(v))
		fail(r, key, "must be a string, not %s", type_name(v));
	else if (v)
		copy_str(dst, dstsz, v->valuestring);
}

static bool get_bool(reader_t *r, const cJSON *o, const char *key)
{
	const cJSON *v = need(r, o, key);
	if (v && !cJSON_IsBool(v))
		fail(r, key, "must be true or false, not %s", type_name(v));
	return cJSON_IsTrue(v);
}

/* The object or list under key; NULL (and *is_null) for null when nullable. */
static const cJSON *get_kind(reader_t *r, const cJSON *o, const char *key, bool list,
			     bool nullable)
{
	const cJSON *v = need(r, o, key);
	if (!v || (nullable && cJSON_IsNull(v)))
		return NULL;
	if (list ? !cJSON_IsArray(v) : !cJSON_IsObject(v)) {
		fail(r, key, "must be %s%s, not %s", list ? "a list" : "an object",
		     nullable ? " or null" : "", type_name(v));
		return NULL;
	}
	return v;
}

static void get_mallinfo(reader_t *r, const cJSON *o, const char *key, hl_mallinfo_t *m)
{
	memset(m, 0, sizeof *m);
	const cJSON *mo = get_kind(r, o, key, false, true);
	if (!mo)
		return;
	size_t mark = enter(r, key, -1);
	m->valid = true;
	get_fields(r, mo, m, mallinfo_fields, NFIELDS(mallinfo_fields));
	leave(r, mark);
}

/* Arrays sized from the list first, so a failure half-way leaves only
 * whole entries for hl_malloc_info_free. */
static void get_malloc_info(reader_t *r, const cJSON *mo, hl_malloc_info_t *mi)
{
	const cJSON *arenas = get_kind(r, mo, "arenas", true, false);
	const cJSON *total = get_kind(r, mo, "total", false, false);
	if (r->rc)
		return;
	int n = cJSON_GetArraySize(arenas);
	if (n > 0 && !(mi->arenas = calloc((size_t)n, sizeof *mi->arenas))) {
		fail(r, "arenas", "does not fit in memory");
		return;
	}
	const cJSON *ao;
	cJSON_ArrayForEach(ao, arenas)
	{
		size_t mark = enter(r, "arenas", (long)mi->narenas);
		hl_mi_arena_t *a = &mi->arenas[mi->narenas++];
		if (!cJSON_IsObject(ao))
			fail(r, "", "must be an object, not %s", type_name(ao));
		else
			a->nr = (int)get_int_in(r, ao, "nr", false, INT_MIN, INT_MAX);
		if (!r->rc)
			get_fields(r, ao, a, arena_fields, NFIELDS(arena_fields));
		const cJSON *bins = r->rc ? NULL : get_kind(r, ao, "bins", true, false);
		int nb = cJSON_GetArraySize(bins);
		if (!r->rc && nb > 0 && !(a->bins = calloc((size_t)nb, sizeof *a->bins)))
			fail(r, "bins", "does not fit in memory");
		const cJSON *bo;
		for (bo = r->rc || !bins ? NULL : bins->child; bo && !r->rc; bo = bo->next) {
			size_t bmark = enter(r, "bins", (long)a->nbins);
			hl_mi_bin_t *b = &a->bins[a->nbins++];
			if (!cJSON_IsObject(bo))
				fail(r, "", "must be an object, not %s", type_name(bo));
			get_fields(r, bo, b, bin_fields, NFIELDS(bin_fields));
			if (!r->rc)
				b->unsorted = get_bool(r, bo, "unsorted");
			leave(r, bmark);
		}
		leave(r, mark);
		if (r->rc)
			return;
	}
	size_t mark = enter(r, "total", -1);
	get_fields(r, total, &mi->total, total_fields, NFIELDS(total_fields));
	leave(r, mark);
}

static void get_walk(reader_t *r, const cJSON *wo, struct hl_walk_summary *ws)
{
	get_str(r, wo, "method", ws->method, sizeof ws->method);
	ws->complete = get_bool(r, wo, "complete");
	get_str(r, wo, "warning", ws->warning, sizeof ws->warning);
	get_mallinfo(r, wo, "mallinfo2", &ws->mallinfo2);
	get_fields(r, wo, ws, walk_fields, NFIELDS(walk_fields));
	/* added later: absent in older records, whose walks counted every chunk */
	ws->chunks_estimated = cJSON_GetObjectItemCaseSensitive(wo, "chunks_estimated") &&
			       get_bool(r, wo, "chunks_estimated");
	for (size_t k = 0; k < NFIELDS(walk_later_fields) && !r->rc; k++) {
		const field_t *f = &walk_later_fields[k];
		*field_at(ws, f) = cJSON_GetObjectItemCaseSensitive(wo, f->key)
					   ? get_int(r, wo, f->key)
					   : HL_UNKNOWN;
	}
}

/* Fills *ph (zeroed first); on failure what it holds is for hl_phase_free. */
static void get_phase(reader_t *r, const cJSON *o, hl_phase_t *ph)
{
	memset(ph, 0, sizeof *ph);
	if (!cJSON_IsObject(o)) {
		fail(r, "", "must be an object, not %s", type_name(o));
		return;
	}
	get_str(r, o, "name", ph->name, sizeof ph->name);
	get_fields(r, o, ph, phase_fields, NFIELDS(phase_fields));
	get_mallinfo(r, o, "mallinfo2", &ph->mallinfo2);
	const cJSON *mo = get_kind(r, o, "malloc_info", false, true);
	if (mo && !r->rc) {
		ph->malloc_info_valid = true;
		size_t mark = enter(r, "malloc_info", -1);
		get_malloc_info(r, mo, &ph->malloc_info);
		leave(r, mark);
	}
	const cJSON *obs = get_kind(r, o, "observations", false, false);
	const cJSON *v;
	for (v = obs && !r->rc ? obs->child : NULL; v && !r->rc; v = v->next) {
		if (cJSON_IsNull(v)) { /* a value that was not a number (NaN) */
			if (hl_phase_observe(ph, v->string, NAN))
				fail(r, "observations", "do not fit in memory");
		} else if (!cJSON_IsNumber(v)) {
			size_t mark = enter(r, "observations", -1);
			fail(r, v->string, "must be a number or null, not %s", type_name(v));
			leave(r, mark);
		} else if (hl_phase_observe(ph, v->string, v->valuedouble)) {
			fail(r, "observations", "do not fit in memory");
		}
	}
	/* optional: only runs that walked the heap have it */
	const cJSON *wo = cJSON_GetObjectItemCaseSensitive(o, "walk");
	if (wo && !cJSON_IsNull(wo) && !r->rc) {
		if (!cJSON_IsObject(wo)) {
			fail(r, "walk", "must be an object or null, not %s", type_name(wo));
			return;
		}
		ph->walk_valid = true;
		size_t mark = enter(r, "walk", -1);
		get_walk(r, wo, &ph->walk);
		leave(r, mark);
	}
}

static void get_run(reader_t *r, const cJSON *o, hl_run_t *run)
{
	get_str(r, o, "experiment", run->experiment, sizeof run->experiment);
	get_str(r, o, "program", run->program, sizeof run->program);
	const cJSON *params = get_kind(r, o, "params", false, false);
	const cJSON *p;
	for (p = params && !r->rc ? params->child : NULL; p && !r->rc; p = p->next) {
		if (!cJSON_IsString(p)) {
			size_t mark = enter(r, "params", -1);
			fail(r, p->string, "must be a string, not %s", type_name(p));
			leave(r, mark);
		} else if (hl_run_add_param(run, p->string, p->valuestring)) {
			fail(r, "params", "do not fit in memory");
		}
	}
	get_str(r, o, "glibc", run->glibc, sizeof run->glibc);
	get_str(r, o, "kernel", run->kernel, sizeof run->kernel);
	get_str(r, o, "tunables", run->tunables, sizeof run->tunables);
	get_str(r, o, "allocator", run->allocator, sizeof run->allocator);
	/* env came after the first records of this schema: optional */
	if (cJSON_GetObjectItemCaseSensitive(o, "env"))
		get_str(r, o, "env", run->env, sizeof run->env);
	get_str(r, o, "started", run->started, sizeof run->started);
	run->interval_ms = get_int(r, o, "interval_ms");
	run->complete = get_bool(r, o, "complete");
	get_str(r, o, "status", run->status, sizeof run->status);
	/* null is read as -1 (unknown), like the figures */
	run->exit_code = (int)get_int_in(r, o, "exit_code", true, INT_MIN, INT_MAX);
	run->duration_ms = get_int(r, o, "duration_ms");
	run->nsamples = get_int(r, o, "samples");
	const cJSON *phases = get_kind(r, o, "phases", true, false);
	const cJSON *po;
	for (po = phases && !r->rc ? phases->child : NULL; po && !r->rc; po = po->next) {
		size_t mark = enter(r, "phases", (long)run->nphases);
		hl_phase_t ph;
		get_phase(r, po, &ph);
		leave(r, mark);
		if (r->rc || hl_run_add_phase(run, &ph)) {
			hl_phase_free(&ph);
			fail(r, "phases", "do not fit in memory");
		}
	}
}

static bool only_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return false;
	return true;
}

int hl_run_from_json(const char *buf, size_t len, hl_run_t *run, hl_error_t *err)
{
	hl_run_init(run);
	const char *end = NULL;
	cJSON *o = len ? cJSON_ParseWithLengthOpts(buf, len, &end, false) : NULL;
	if (!o)
		return hl_error_set(err, HL_EPARSE, "run.json is not JSON (cut short or damaged)");
	/* cJSON stops after the first value; more text means a damaged file */
	if (!end || !only_space(end, buf + len)) {
		cJSON_Delete(o);
		return hl_error_set(err, HL_EPARSE,
				    "run.json has text after its end (damaged, or two records)");
	}
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return hl_error_set(err, HL_EPARSE, "run.json is not a JSON object");
	}
	reader_t r = {err, 0, ""};
	int64_t version = get_int_in(&r, o, "schema_version", false, INT_MIN, INT_MAX);
	if (r.rc) {
		cJSON_Delete(o);
		return r.rc;
	}
	if (version != HL_RUN_SCHEMA_VERSION) {
		cJSON_Delete(o);
		return hl_error_set(err, HL_ESCHEMA,
				    "run.json has schema_version %lld, and this heaplab reads "
				    "schema_version %d only; use the heaplab that wrote it",
				    (long long)version, HL_RUN_SCHEMA_VERSION);
	}
	run->schema_version = (int)version;
	get_run(&r, o, run);
	cJSON_Delete(o);
	if (r.rc) {
		hl_run_free(run);
		hl_run_init(run);
	}
	return r.rc;
}

/* ------------------------------------------------------------ files */

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Creates a temporary file in dir that nobody else writes: created with
 * O_EXCL, named after this process and the first free number, so two
 * writers (threads, processes) never share one. */
static int open_temp(const char *dir, char *tmp, size_t tmpsz)
{
	for (int i = 0; i < 1000; i++) {
		if ((size_t)snprintf(tmp, tmpsz, "%s/.run.json.%d.%d.tmp", dir, (int)getpid(), i) >=
		    tmpsz)
			return -ENAMETOOLONG;
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

int hl_run_save(const hl_run_t *run, const char *dir, hl_error_t *err)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	if ((size_t)snprintf(path, sizeof path, "%s/run.json", dir) >= sizeof path)
		return hl_error_set(err, -ENAMETOOLONG, "cannot save run.json in %s: path too long",
				    dir);
	hl_buf_t text = {0};
	int rc = hl_run_to_json(run, &text, err);
	if (rc) {
		hl_buf_free(&text);
		return rc;
	}
	int fd = open_temp(dir, tmp, sizeof tmp);
	if (fd < 0) {
		hl_buf_free(&text);
		return hl_error_set(err, fd, "cannot save %s: cannot create a temporary file in %s: %s",
				    path, dir, strerror(-fd));
	}
	/* the data reaches the disk before the name points at it, so a crash
	 * leaves the old run.json or the new one, never a truncated one */
	const char *step = "write";
	rc = write_all(fd, text.data, text.len);
	hl_buf_free(&text);
	if (!rc && fsync(fd) != 0) {
		rc = -errno;
		step = "fsync";
	}
	if (close(fd) != 0 && !rc) {
		rc = -errno;
		step = "close";
	}
	if (!rc && rename(tmp, path) != 0) {
		rc = -errno;
		step = "rename";
	}
	if (rc) {
		unlink(tmp);
		return hl_error_set(err, rc, "cannot save %s (%s of %s): %s", path, step, tmp,
				    strerror(-rc));
	}
	/* Makes the rename itself durable. Best effort: the record is whole
	 * either way, and some file systems refuse fsync on a directory. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

int hl_run_load(const char *dir, hl_run_t *run, hl_error_t *err)
{
	hl_run_init(run);
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof path, "%s/run.json", dir) >= sizeof path)
		return hl_error_set(err, -ENAMETOOLONG, "%s: path too long", dir);
	hl_buf_t text = {0};
	int rc = hl_file_read(path, &text, err);
	if (rc == -ENOENT || rc == -ENOTDIR) {
		hl_buf_free(&text);
		struct stat st;
		if (stat(dir, &st) != 0)
			return hl_error_set(err, rc, "%s does not exist (no run.json to read)", dir);
		if (!S_ISDIR(st.st_mode))
			return hl_error_set(err, rc,
					    "%s is not a directory (a run directory holds run.json)",
					    dir);
		return hl_error_set(err, rc, "%s is not a run directory (no run.json)", dir);
	}
	if (rc) {
		hl_buf_free(&text);
		return rc;
	}
	rc = hl_run_from_json(text.data, text.len, run, err);
	hl_buf_free(&text);
	/* from_json says "run.json ...": name the file the user gave */
	if (rc && err && !strncmp(err->msg, "run.json", 8)) {
		char msg[sizeof err->msg];
		memcpy(msg, err->msg, sizeof msg);
		hl_error_set(err, rc, "%s%s", path, msg + 8);
	}
	return rc;
}
