/*
 * test_run_record.c — run.json: what is written reads back the same, to the
 * byte and field by field (byte counts near 2^40 and exactly 2^53, quotes,
 * newlines, UTF-8); the published keys are all there with their types;
 * unknown is null, never 0; save is atomic and leaves no temporary file;
 * every damaged record (cut short, wrong types, missing keys, another
 * schema) is refused with a message naming the key, without a crash or a
 * leak (the SAN build checks that). samples.tsv is test_samples.c's.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heaplab.h"
#include "t.h"

#define P53 (1LL << 53) /* the largest integer below which doubles are exact */
#define P40 (1LL << 40)

static hl_mi_bin_t bin(int64_t from, int64_t to, int64_t total, int64_t count, bool unsorted)
{
	hl_mi_bin_t b = {from, to, total, count, unsorted};
	return b;
}

/* A run with everything: three phases, the second with nothing from inside
 * (another allocator), the third with the large values. */
static void make_run(hl_run_t *run)
{
	hl_run_init(run);
	snprintf(run->experiment, sizeof run->experiment, "brk_pin");
	snprintf(run->program, sizeof run->program, "/x/build/experiments/brk_pin");
	snprintf(run->glibc, sizeof run->glibc, "2.36");
	snprintf(run->kernel, sizeof run->kernel, "6.1.0-18-amd64");
	snprintf(run->tunables, sizeof run->tunables, "glibc.malloc.arena_max=2");
	snprintf(run->allocator, sizeof run->allocator, "glibc");
	snprintf(run->env, sizeof run->env, "MALLOC_ARENA_MAX=2");
	snprintf(run->started, sizeof run->started, "2026-11-22T12:00:00Z");
	snprintf(run->status, sizeof run->status,
		 "killed by \"signal\" 9\nafter 'x' — é\t\\ ✓ 𝄞");
	run->interval_ms = 10;
	run->complete = false;
	run->exit_code = -1;
	run->duration_ms = 1234;
	run->nsamples = 99;
	hl_run_add_param(run, "blocks", "262144");
	hl_run_add_param(run, "weird", "a\"b\\c\nd");
	hl_run_add_param(run, "größe", "½ MiB");

	hl_phase_t ph;
	memset(&ph, 0, sizeof ph);
	snprintf(ph.name, sizeof ph.name, "allocated");
	ph.t_ms = 10;
	ph.rss_bytes = 1081843712;
	ph.vsz_bytes = 1082576896;
	ph.heap_bytes = 1077985280;
	ph.heap_rss_bytes = 1077977088;
	ph.mallinfo2 = (hl_mallinfo_t){true,   1077985280, 2, 0, 1, 1052672, 0,
				       0,      1077937296, 48000, 47000};
	ph.malloc_info_valid = true;
	ph.malloc_info.narenas = 2;
	ph.malloc_info.arenas = calloc(2, sizeof(hl_mi_arena_t));
	hl_mi_arena_t *a = &ph.malloc_info.arenas[0];
	*a = (hl_mi_arena_t){0, 3, 240, 2, 48000, 1077985280, 1077985280, 1077985280, 1077985280,
			     HL_UNKNOWN, NULL, 0};
	a->nbins = 3;
	a->bins = calloc(3, sizeof(hl_mi_bin_t));
	a->bins[0] = bin(17, 32, 96, 3, false);
	a->bins[1] = bin(4113, 4113, 4113, 1, true);
	a->bins[2] = bin(HL_UNKNOWN, 65536, 0, 0, false);
	a = &ph.malloc_info.arenas[1];
	*a = (hl_mi_arena_t){1, 0, 0, 1, 132000, 135168, 135168, 67108864, 135168, 1, NULL, 0};
	ph.malloc_info.total = (hl_mi_total_t){3,       240,     3,          1078117280, 1,
					       1052672, 1078120448, 1078120448, 1145094144, 1078120448};
	hl_phase_observe(&ph, "blocks", 262144);
	hl_phase_observe(&ph, "ratio", 0.125);
	hl_phase_observe(&ph, "third", 1.0 / 3);
	hl_phase_observe(&ph, "sum", 0.1 + 0.2); /* cJSON's own printer makes it 0.3 */
	ph.walk_valid = true;
	snprintf(ph.walk.method, sizeof ph.walk.method, "dwarf: /usr/lib/debug/x.debug");
	ph.walk.complete = true;
	ph.walk.mallinfo2 = ph.mallinfo2;
	ph.walk.arenas = 2;
	ph.walk.chunks = 262147;
	ph.walk.live_bytes = 1075838976;
	ph.walk.tcache_bytes = 0;
	ph.walk.top_bytes = 47000;
	ph.walk.held_back_bytes = HL_UNKNOWN;
	ph.walk.overhead_bytes = 262147 * 8 + 592;
	ph.walk.bin_bytes = 0;
	ph.walk.top_released_bytes = 40960;
	ph.walk.mmap_threshold = 131072;
	ph.walk.trim_threshold = 131072 * 2;
	ph.walk.rss_before_bytes = ph.walk.rss_after_bytes = 1081843712;
	ph.walk.reads = 265;
	ph.walk.duration_us = 190000;
	T_EQ_INT(hl_run_add_phase(run, &ph), 0, "add phase 1");
	T_OK(ph.obs == NULL && ph.nobs == 0 && ph.malloc_info.arenas == NULL && ph.name[0] == 0,
	     "add_phase takes over the phase's allocations and zeroes the caller's copy");

	memset(&ph, 0, sizeof ph); /* another allocator: nothing from inside */
	snprintf(ph.name, sizeof ph.name, "freed \"quoted\"\nline");
	ph.t_ms = 520;
	ph.rss_bytes = 5;
	ph.vsz_bytes = 0;
	ph.heap_bytes = 0;
	ph.heap_rss_bytes = HL_UNKNOWN;
	hl_run_add_phase(run, &ph);

	memset(&ph, 0, sizeof ph);
	snprintf(ph.name, sizeof ph.name, "trimmed ✂");
	ph.t_ms = P40 + 1;
	ph.rss_bytes = P40;
	ph.vsz_bytes = P53; /* exactly 2^53 */
	ph.heap_bytes = P53 - 1;
	ph.heap_rss_bytes = P40 - 1;
	ph.mallinfo2 = (hl_mallinfo_t){true, P53, P40, 0, 0, 0, 0, 0, P53 - 1, P40 + 3, 1};
	hl_phase_observe(&ph, "negative", -42);
	hl_phase_observe(&ph, "tiny", 1e-300);
	hl_phase_observe(&ph, "huge", 1e20);
	hl_phase_observe(&ph, "exact_2^53", 9007199254740992.0);
	hl_run_add_phase(run, &ph);
}

/* ------------------------------------------------------------ equality */

static char why[256];

#define DIFF(cond, ...)                                            \
	do {                                                       \
		if (cond) {                                        \
			snprintf(why, sizeof why, __VA_ARGS__);    \
			return false;                              \
		}                                                  \
	} while (0)
#define SAME_I(a, b, f) DIFF((a)->f != (b)->f, "%s: %lld != %lld", #f, (long long)(a)->f, \
			     (long long)(b)->f)
#define SAME_S(a, b, f) DIFF(strcmp((a)->f, (b)->f), "%s: \"%s\" != \"%s\"", #f, (a)->f, (b)->f)

static bool mallinfo_eq(const hl_mallinfo_t *a, const hl_mallinfo_t *b)
{
	SAME_I(a, b, valid);
	if (!a->valid)
		return true;
	SAME_I(a, b, arena);
	SAME_I(a, b, ordblks);
	SAME_I(a, b, smblks);
	SAME_I(a, b, hblks);
	SAME_I(a, b, hblkhd);
	SAME_I(a, b, usmblks);
	SAME_I(a, b, fsmblks);
	SAME_I(a, b, uordblks);
	SAME_I(a, b, fordblks);
	SAME_I(a, b, keepcost);
	return true;
}

static bool malloc_info_eq(const hl_malloc_info_t *a, const hl_malloc_info_t *b)
{
	SAME_I(a, b, narenas);
	for (size_t i = 0; i < a->narenas; i++) {
		const hl_mi_arena_t *x = &a->arenas[i], *y = &b->arenas[i];
		SAME_I(x, y, nr);
		SAME_I(x, y, fast_count);
		SAME_I(x, y, fast_bytes);
		SAME_I(x, y, rest_count);
		SAME_I(x, y, rest_bytes);
		SAME_I(x, y, system_current_bytes);
		SAME_I(x, y, system_max_bytes);
		SAME_I(x, y, aspace_total_bytes);
		SAME_I(x, y, aspace_mprotect_bytes);
		SAME_I(x, y, subheaps);
		SAME_I(x, y, nbins);
		for (size_t k = 0; k < x->nbins; k++) {
			SAME_I(&x->bins[k], &y->bins[k], from);
			SAME_I(&x->bins[k], &y->bins[k], to);
			SAME_I(&x->bins[k], &y->bins[k], total_bytes);
			SAME_I(&x->bins[k], &y->bins[k], count);
			SAME_I(&x->bins[k], &y->bins[k], unsorted);
		}
	}
	const hl_mi_total_t *s = &a->total, *t = &b->total;
	SAME_I(s, t, fast_count);
	SAME_I(s, t, fast_bytes);
	SAME_I(s, t, rest_count);
	SAME_I(s, t, rest_bytes);
	SAME_I(s, t, mmap_count);
	SAME_I(s, t, mmap_bytes);
	SAME_I(s, t, system_current_bytes);
	SAME_I(s, t, system_max_bytes);
	SAME_I(s, t, aspace_total_bytes);
	SAME_I(s, t, aspace_mprotect_bytes);
	return true;
}

static bool phase_eq(const hl_phase_t *a, const hl_phase_t *b)
{
	SAME_S(a, b, name);
	SAME_I(a, b, t_ms);
	SAME_I(a, b, rss_bytes);
	SAME_I(a, b, vsz_bytes);
	SAME_I(a, b, heap_bytes);
	SAME_I(a, b, heap_rss_bytes);
	if (!mallinfo_eq(&a->mallinfo2, &b->mallinfo2))
		return false;
	SAME_I(a, b, malloc_info_valid);
	if (a->malloc_info_valid && !malloc_info_eq(&a->malloc_info, &b->malloc_info))
		return false;
	SAME_I(a, b, nobs);
	for (size_t i = 0; i < a->nobs; i++) {
		SAME_S(&a->obs[i], &b->obs[i], key);
		double x = a->obs[i].value, y = b->obs[i].value;
		DIFF(!(x == y || (isnan(x) && isnan(y))), "observation %s: %.17g != %.17g",
		     a->obs[i].key, x, y);
	}
	SAME_I(a, b, walk_valid);
	if (!a->walk_valid)
		return true;
	const struct hl_walk_summary *w = &a->walk, *v = &b->walk;
	SAME_S(w, v, method);
	SAME_I(w, v, complete);
	SAME_S(w, v, warning);
	if (!mallinfo_eq(&w->mallinfo2, &v->mallinfo2))
		return false;
	SAME_I(w, v, arenas);
	SAME_I(w, v, chunks);
	SAME_I(w, v, live_bytes);
	SAME_I(w, v, tcache_bytes);
	SAME_I(w, v, fastbin_bytes);
	SAME_I(w, v, top_bytes);
	SAME_I(w, v, held_back_bytes);
	SAME_I(w, v, released_bytes);
	SAME_I(w, v, releasable_bytes);
	SAME_I(w, v, overhead_bytes);
	SAME_I(w, v, bin_bytes);
	SAME_I(w, v, top_released_bytes);
	SAME_I(w, v, mmap_threshold);
	SAME_I(w, v, trim_threshold);
	SAME_I(w, v, rss_before_bytes);
	SAME_I(w, v, rss_after_bytes);
	SAME_I(w, v, reads);
	SAME_I(w, v, duration_us);
	return true;
}

static bool run_eq(const hl_run_t *a, const hl_run_t *b)
{
	why[0] = '\0';
	SAME_I(a, b, schema_version);
	SAME_S(a, b, experiment);
	SAME_S(a, b, program);
	SAME_I(a, b, nparams);
	for (size_t i = 0; i < a->nparams; i++) {
		SAME_S(&a->params[i], &b->params[i], name);
		SAME_S(&a->params[i], &b->params[i], value);
	}
	SAME_S(a, b, glibc);
	SAME_S(a, b, kernel);
	SAME_S(a, b, tunables);
	SAME_S(a, b, allocator);
	SAME_S(a, b, env);
	SAME_S(a, b, started);
	SAME_I(a, b, interval_ms);
	SAME_I(a, b, complete);
	SAME_S(a, b, status);
	SAME_I(a, b, exit_code);
	SAME_I(a, b, duration_ms);
	SAME_I(a, b, nsamples);
	SAME_I(a, b, nphases);
	for (size_t i = 0; i < a->nphases; i++)
		if (!phase_eq(&a->phases[i], &b->phases[i])) {
			char inner[sizeof why];
			memcpy(inner, why, sizeof why);
			snprintf(why, sizeof why, "phase %zu: %s", i, inner);
			return false;
		}
	return true;
}

static bool run_empty(const hl_run_t *r)
{
	return r->nphases == 0 && r->phases == NULL && r->nparams == 0 && r->params == NULL &&
	       r->experiment[0] == '\0';
}

/* ------------------------------------------------------------ JSON helpers */

static char *json_of(const hl_run_t *run)
{
	hl_buf_t b = {0};
	if (hl_run_to_json(run, &b, NULL) != 0) {
		hl_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* The item at a dotted path ("phases.0.mallinfo2.arena"); *parent is the
 * object or list holding it. */
static cJSON *at_path(cJSON *root, const char *path, cJSON **parent, char *last, size_t lastsz)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	cJSON *cur = root, *up = NULL;
	for (char *tok = strtok(buf, "."); tok; tok = strtok(NULL, ".")) {
		up = cur;
		snprintf(last, lastsz, "%s", tok);
		if (cJSON_IsArray(cur))
			cur = cJSON_GetArrayItem(cur, atoi(tok));
		else
			cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
		if (!cur)
			break;
	}
	*parent = up;
	return cur;
}

/* text with the item at path replaced by the JSON value repl (NULL: the
 * item deleted). Reprinted by cJSON, which rounds numbers above 2^50 or
 * so: good for testing refusals, not for comparing values. */
static char *edited(const char *text, const char *path, const char *repl)
{
	cJSON *root = cJSON_Parse(text), *parent;
	char last[64];
	cJSON *item = at_path(root, path, &parent, last, sizeof last);
	if (!item) {
		cJSON_Delete(root);
		return NULL;
	}
	if (!repl) {
		if (cJSON_IsArray(parent))
			cJSON_DeleteItemFromArray(parent, atoi(last));
		else
			cJSON_DeleteItemFromObjectCaseSensitive(parent, last);
	} else {
		cJSON *v = cJSON_Parse(repl);
		if (cJSON_IsArray(parent))
			cJSON_ReplaceItemInArray(parent, atoi(last), v);
		else
			cJSON_ReplaceItemInObjectCaseSensitive(parent, last, v);
	}
	char *out = cJSON_Print(root);
	cJSON_Delete(root);
	return out;
}

/* Every number in the text that follows key is a plain integer (no '.', no
 * exponent): what other tools read as exact. */
static bool integers_plain(const char *text, const char *key_suffix)
{
	char pat[64];
	snprintf(pat, sizeof pat, "%s\":\t", key_suffix);
	for (const char *p = strstr(text, pat); p; p = strstr(p + 1, pat)) {
		const char *v = p + strlen(pat);
		if (!strncmp(v, "null", 4))
			continue;
		size_t n = strspn(v, "-0123456789");
		if (n == 0 || (v[n] != ',' && v[n] != '\n'))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ tests */

static void in_memory(void)
{
	hl_run_t r;
	hl_run_init(&r);
	T_EQ_INT(r.schema_version, HL_RUN_SCHEMA_VERSION, "init sets the schema version");
	T_EQ_INT(r.exit_code, -1, "init: exit code unknown (-1), not 0");
	hl_run_add_param(&r, "blocks", "1");
	hl_run_add_param(&r, "size", "2");
	hl_run_add_param(&r, "blocks", "3");
	T_OK(r.nparams == 2 && !strcmp(r.params[0].value, "3"),
	     "a parameter given again replaces its value (JSON keys are unique)");
	char longv[300];
	memset(longv, 'x', sizeof longv);
	memcpy(longv + 126, "é", 2); /* é spans bytes 126-127: the field holds 127 */
	longv[sizeof longv - 1] = '\0';
	hl_run_add_param(&r, "long", longv);
	T_EQ_INT(strlen(r.params[2].value), 126, "a value too long is cut between characters");

	hl_phase_t ph;
	memset(&ph, 0, sizeof ph);
	hl_phase_observe(&ph, "a", 1);
	hl_phase_observe(&ph, "b", 2);
	hl_phase_observe(&ph, "a", 5);
	double v = 0;
	T_OK(ph.nobs == 2 && hl_phase_observation(&ph, "a", &v) && v == 5,
	     "observing a key again replaces its value");
	T_OK(!hl_phase_observation(&ph, "c", &v), "a missing observation is false");
	char longk[100];
	memset(longk, 'k', sizeof longk);
	longk[sizeof longk - 1] = '\0';
	hl_phase_observe(&ph, longk, 7);
	T_OK(hl_phase_observation(&ph, longk, &v) && v == 7,
	     "a key too long for the field is found again by its long name");
	snprintf(ph.name, sizeof ph.name, "p");
	hl_run_add_phase(&r, &ph);
	T_OK(hl_run_phase(&r, "p") == &r.phases[0] && hl_run_phase(&r, "q") == NULL,
	     "phase lookup by name");
	hl_phase_free(&r.phases[0]);
	T_OK(r.phases[0].obs == NULL && r.phases[0].nobs == 0 && !r.phases[0].malloc_info_valid,
	     "hl_phase_free empties the phase");
	hl_run_free(&r);
	T_OK(r.phases == NULL && r.params == NULL && r.nphases == 0, "hl_run_free empties the run");
	hl_run_free(&r); /* twice is harmless */
}

static void round_trip(void)
{
	hl_run_t a, b;
	make_run(&a);
	hl_buf_t j1 = {0}, j2 = {0};
	hl_error_t err = {0};
	T_EQ_INT(hl_run_to_json(&a, &j1, &err), 0, "to_json");
	T_EQ_INT(hl_run_from_json(j1.data, j1.len, &b, &err), 0, "from_json");
	T_EQ_INT(hl_run_to_json(&b, &j2, &err), 0, "to_json again");
	T_OK(j1.len == j2.len && !memcmp(j1.data, j2.data, j1.len),
	     "to_json -> from_json -> to_json gives the same text");
	T_OK(run_eq(&a, &b), "field by field equal after the round trip%s%s", why[0] ? ": " : "",
	     why);
	T_EQ_STR(b.status, a.status, "quotes, newline, tab, backslash and UTF-8 survive");
	T_EQ_STR(b.params[2].name, "größe", "a UTF-8 parameter name");
	T_EQ_INT(b.phases[2].vsz_bytes, P53, "2^53 exact");
	T_EQ_INT(b.phases[2].heap_bytes, P53 - 1, "2^53 - 1 exact");
	T_EQ_INT(b.phases[2].rss_bytes, P40, "2^40 exact");
	T_EQ_INT(b.phases[2].t_ms, P40 + 1, "2^40 + 1 exact");
	T_OK(strstr(j1.data, "\"vsz_bytes\":\t9007199254740992,") != NULL,
	     "2^53 is written as a plain integer");
	T_OK(integers_plain(j1.data, "_bytes") && integers_plain(j1.data, "_count") &&
		     integers_plain(j1.data, "t_ms") && integers_plain(j1.data, "keepcost"),
	     "every byte count and count is a plain integer: no exponent, no decimals");
	T_OK(strstr(j1.data, "\"exact_2^53\":\t9007199254740992") != NULL &&
		     strstr(j1.data, "\"negative\":\t-42") != NULL,
	     "integral observations print as integers");
	double v = 0;
	T_OK(hl_phase_observation(&b.phases[0], "third", &v) && v == 1.0 / 3,
	     "a fractional observation reads back bit for bit");
	T_OK(hl_phase_observation(&b.phases[2], "tiny", &v) && v == 1e-300, "1e-300 reads back");
	T_OK(hl_phase_observation(&b.phases[0], "sum", &v) && v == 0.1 + 0.2 &&
		     strstr(j1.data, "\"sum\":\t0.30000000000000004"),
	     "0.1 + 0.2 is not rounded to 0.3 (the shortest text that reads back exactly)");
	T_OK(strstr(j1.data, "\"ratio\":\t0.125,") != NULL, "and 0.125 stays short");
	T_OK(strstr(j1.data, "\"heap_rss_bytes\":\tnull") != NULL &&
		     b.phases[1].heap_rss_bytes == HL_UNKNOWN,
	     "unknown is written null and read back as HL_UNKNOWN");
	T_OK(!b.phases[1].mallinfo2.valid && !b.phases[1].malloc_info_valid,
	     "no inside figures: invalid after reading, not zeros");
	T_OK(b.phases[0].malloc_info.arenas[0].subheaps == HL_UNKNOWN &&
		     b.phases[0].malloc_info.arenas[1].subheaps == 1,
	     "subheaps: null on the main arena, 1 on the other");
	T_OK(strstr(j1.data, "\n\t\"schema_version\":\t1,\n") != NULL,
	     "indented for people (cJSON_Print, not the unformatted form)");
	hl_run_free(&b);

	/* a NaN observation is null, and null reads as NaN */
	hl_phase_observe(&a.phases[2], "nan", NAN);
	hl_buf_reset(&j2);
	hl_run_to_json(&a, &j2, NULL);
	T_OK(strstr(j2.data, "\"nan\":\tnull") != NULL, "a NaN observation is written null");
	T_EQ_INT(hl_run_from_json(j2.data, j2.len, &b, &err), 0, "and read back");
	T_OK(hl_phase_observation(&b.phases[2], "nan", &v) && isnan(v), "as NaN");
	hl_run_free(&b);

	/* a name cut in the middle of a character still gives valid UTF-8 */
	snprintf(a.experiment, sizeof a.experiment, "bad\xc3 \xff\xfe utf8");
	hl_buf_reset(&j2);
	hl_run_to_json(&a, &j2, NULL);
	T_OK(strstr(j2.data, "\"experiment\":\t\"bad\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd utf8\"") !=
		     NULL,
	     "invalid UTF-8 is written as U+FFFD");

	hl_run_free(&a);
	hl_buf_free(&j1);
	hl_buf_free(&j2);
}

/* The keys other tools read (docs/run-json.md), with their JSON types. */
static void contract(void)
{
	hl_run_t a;
	make_run(&a);
	char *text = json_of(&a);
	hl_run_free(&a);
	cJSON *o = cJSON_Parse(text);
	T_OK(cJSON_IsObject(o), "run.json is one JSON object");
	static const struct {
		const char *key;
		cJSON_bool (*is)(const cJSON *);
	} top[] = {
		{"schema_version", cJSON_IsNumber}, {"experiment", cJSON_IsString},
		{"program", cJSON_IsString},        {"params", cJSON_IsObject},
		{"glibc", cJSON_IsString},          {"kernel", cJSON_IsString},
		{"tunables", cJSON_IsString},       {"allocator", cJSON_IsString},
		{"started", cJSON_IsString},        {"interval_ms", cJSON_IsNumber},
		{"complete", cJSON_IsBool},         {"status", cJSON_IsString},
		{"exit_code", cJSON_IsNumber},      {"duration_ms", cJSON_IsNumber},
		{"samples", cJSON_IsNumber},        {"phases", cJSON_IsArray},
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
		if (!top[i].is(cJSON_GetObjectItemCaseSensitive(o, top[i].key))) {
			printf("# top-level key %s missing or of another type\n", top[i].key);
			bad++;
		}
	T_EQ_INT(bad, 0, "every top-level key is there with its type");
	T_EQ_INT(cJSON_GetObjectItem(o, "schema_version")->valueint, HL_RUN_SCHEMA_VERSION,
		 "schema_version is HL_RUN_SCHEMA_VERSION");
	T_EQ_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "params"), "blocks")->valuestring,
		 "262144", "params: name -> value string");

	cJSON *phases = cJSON_GetObjectItem(o, "phases");
	T_EQ_INT(cJSON_GetArraySize(phases), 3, "three phases");
	cJSON *p0 = cJSON_GetArrayItem(phases, 0), *p1 = cJSON_GetArrayItem(phases, 1);
	static const char *const pkeys[] = {"name",       "t_ms",           "rss_bytes",
					    "vsz_bytes",  "heap_bytes",     "heap_rss_bytes",
					    "mallinfo2",  "malloc_info",    "observations"};
	bad = 0;
	for (size_t i = 0; i < sizeof pkeys / sizeof pkeys[0]; i++)
		bad += !cJSON_GetObjectItemCaseSensitive(p0, pkeys[i]) ||
		       !cJSON_GetObjectItemCaseSensitive(p1, pkeys[i]);
	T_EQ_INT(bad, 0, "every phase key is there");
	static const char *const mkeys[] = {"arena",   "ordblks", "smblks",   "hblks",
					    "hblkhd",  "usmblks", "fsmblks",  "uordblks",
					    "fordblks", "keepcost"};
	cJSON *m = cJSON_GetObjectItem(p0, "mallinfo2");
	bad = 0;
	for (size_t i = 0; i < sizeof mkeys / sizeof mkeys[0]; i++)
		bad += !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(m, mkeys[i]));
	T_EQ_INT(bad, 0, "mallinfo2 has its ten numbers");
	T_OK(cJSON_IsNull(cJSON_GetObjectItem(p1, "mallinfo2")) &&
		     cJSON_IsNull(cJSON_GetObjectItem(p1, "malloc_info")),
	     "mallinfo2 and malloc_info not measured: null, not numbers");
	cJSON *mi = cJSON_GetObjectItem(p0, "malloc_info");
	cJSON *a0 = cJSON_GetArrayItem(cJSON_GetObjectItem(mi, "arenas"), 0);
	static const char *const akeys[] = {"nr",
					    "fast_count",
					    "fast_bytes",
					    "rest_count",
					    "rest_bytes",
					    "system_current_bytes",
					    "system_max_bytes",
					    "aspace_total_bytes",
					    "aspace_mprotect_bytes",
					    "subheaps",
					    "bins"};
	bad = 0;
	for (size_t i = 0; i < sizeof akeys / sizeof akeys[0]; i++)
		bad += !cJSON_GetObjectItemCaseSensitive(a0, akeys[i]);
	T_EQ_INT(bad, 0, "malloc_info arenas: every key");
	T_OK(cJSON_IsNull(cJSON_GetObjectItem(a0, "subheaps")), "subheaps unknown is null");
	cJSON *b1 = cJSON_GetArrayItem(cJSON_GetObjectItem(a0, "bins"), 1);
	T_OK(cJSON_IsNumber(cJSON_GetObjectItem(b1, "from")) &&
		     cJSON_IsNumber(cJSON_GetObjectItem(b1, "to")) &&
		     cJSON_IsNumber(cJSON_GetObjectItem(b1, "total_bytes")) &&
		     cJSON_IsNumber(cJSON_GetObjectItem(b1, "count")) &&
		     cJSON_IsTrue(cJSON_GetObjectItem(b1, "unsorted")),
	     "bins: from, to, total_bytes, count, unsorted");
	static const char *const tkeys[] = {"fast_count",         "fast_bytes",
					    "rest_count",         "rest_bytes",
					    "mmap_count",         "mmap_bytes",
					    "system_current_bytes", "system_max_bytes",
					    "aspace_total_bytes", "aspace_mprotect_bytes"};
	cJSON *tot = cJSON_GetObjectItem(mi, "total");
	bad = 0;
	for (size_t i = 0; i < sizeof tkeys / sizeof tkeys[0]; i++)
		bad += !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(tot, tkeys[i]));
	T_EQ_INT(bad, 0, "malloc_info total: every key");
	T_OK(cJSON_GetObjectItem(cJSON_GetObjectItem(p0, "observations"), "ratio")->valuedouble ==
		     0.125,
	     "observations: key -> number");
	cJSON_Delete(o);
	free(text);
}

static void refused(void)
{
	hl_run_t r, a;
	hl_error_t err = {0};
	make_run(&a);
	char *text = json_of(&a);
	hl_run_free(&a);
	size_t len = strlen(text);

	/* another schema version, whole record or not */
	char *v2 = edited(text, "schema_version", "2");
	T_OK(hl_run_from_json(v2, strlen(v2), &r, &err) == HL_ESCHEMA &&
		     strstr(err.msg, "schema_version 2") && strstr(err.msg, "schema_version 1"),
	     "another schema version is HL_ESCHEMA and names both: %s", err.msg);
	T_OK(run_empty(&r), "and leaves the run empty");
	free(v2);
	const char *v0 = "{\"schema_version\": 0, \"experiment\": 5}";
	T_EQ_INT(hl_run_from_json(v0, strlen(v0), &r, &err), HL_ESCHEMA,
		 "the version is checked before anything else");

	/* every cut of the text: refused with a message, nothing kept */
	int missed = 0;
	for (size_t cut = 0; cut + 1 < len; cut++) {
		char *copy = malloc(cut + 1);
		memcpy(copy, text, cut);
		err.msg[0] = '\0';
		if (hl_run_from_json(copy, cut, &r, &err) != HL_EPARSE || !err.msg[0] ||
		    !run_empty(&r))
			missed++;
		free(copy);
	}
	T_OK(missed == 0, "every one of %zu truncations of run.json is refused with a message (%d not)",
	     len - 1, missed);
	T_EQ_INT(hl_run_from_json(text, len - 1, &r, &err), 0,
		 "(only the final newline may be missing)");
	hl_run_free(&r);

	/* text after the record */
	hl_buf_t e = {0};
	hl_buf_printf(&e, "%s  \n\n", text);
	T_EQ_INT(hl_run_from_json(e.data, e.len, &r, &err), 0, "trailing white space is fine");
	hl_run_free(&r);
	hl_buf_reset(&e);
	hl_buf_printf(&e, "%s%s", text, text);
	T_OK(hl_run_from_json(e.data, e.len, &r, &err) == HL_EPARSE &&
		     strstr(err.msg, "text after its end"),
	     "two records in one file are refused: %s", err.msg);
	hl_buf_free(&e);
	T_EQ_INT(hl_run_from_json("[1]", 3, &r, &err), HL_EPARSE, "a list is not a record");
	T_EQ_INT(hl_run_from_json(NULL, 0, &r, &err), HL_EPARSE, "nothing is not a record");

	/* missing keys: each required key removed in turn */
	static const char *const required[] = {
		"schema_version",
		"experiment",
		"program",
		"params",
		"glibc",
		"kernel",
		"tunables",
		"allocator",
		"started",
		"interval_ms",
		"complete",
		"status",
		"exit_code",
		"duration_ms",
		"samples",
		"phases",
		"phases.0.name",
		"phases.0.t_ms",
		"phases.0.rss_bytes",
		"phases.0.vsz_bytes",
		"phases.0.heap_bytes",
		"phases.0.heap_rss_bytes",
		"phases.0.mallinfo2",
		"phases.0.malloc_info",
		"phases.0.observations",
		"phases.0.mallinfo2.arena",
		"phases.0.mallinfo2.keepcost",
		"phases.0.malloc_info.arenas",
		"phases.0.malloc_info.total",
		"phases.0.malloc_info.arenas.0.nr",
		"phases.0.malloc_info.arenas.1.subheaps",
		"phases.0.malloc_info.arenas.0.bins",
		"phases.0.malloc_info.arenas.0.bins.1.unsorted",
		"phases.0.malloc_info.arenas.0.bins.2.total_bytes",
		"phases.0.malloc_info.total.mmap_bytes",
		"phases.0.walk.method",
		"phases.0.walk.live_bytes",
		"phases.2.mallinfo2.uordblks",
	};
	int wrong = 0;
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		char *t = edited(text, required[i], NULL);
		if (!t) {
			printf("# cannot remove %s\n", required[i]);
			wrong++;
			continue;
		}
		/* "phases.0.malloc_info.arenas.0.nr" is named "phases[0].malloc_info.arenas[0].nr" */
		char want[128], *w = want;
		for (const char *p = required[i]; *p && w < want + sizeof want - 4; p++) {
			if (*p == '.' && p[1] >= '0' && p[1] <= '9') {
				*w++ = '[';
				while (p[1] >= '0' && p[1] <= '9')
					*w++ = *++p;
				*w++ = ']';
			} else {
				*w++ = *p;
			}
		}
		*w = '\0';
		err.msg[0] = '\0';
		int rc = hl_run_from_json(t, strlen(t), &r, &err);
		if (rc != HL_EPARSE || !strstr(err.msg, want) || !run_empty(&r)) {
			printf("# without %s: rc %d, \"%s\" (want it to name %s)\n", required[i], rc,
			       err.msg, want);
			wrong++;
		}
		hl_run_free(&r);
		free(t);
	}
	T_EQ_INT(wrong, 0, "every missing key is refused (HL_EPARSE) by its name and place");
	err.msg[0] = '\0';
	char *t = edited(text, "phases.0.malloc_info.arenas.0.bins.2.total_bytes", NULL);
	hl_run_from_json(t, strlen(t), &r, &err);
	free(t);
	T_EQ_STR(err.msg,
		 "run.json: key \"phases[0].malloc_info.arenas[0].bins[2].total_bytes\" is missing",
		 "the message of a missing key");

	/* wrong types */
	static const struct {
		const char *path, *value, *says;
	} edits[] = {
		{"experiment", "5", "\"experiment\" must be a string, not a number"},
		{"params", "[]", "\"params\" must be an object"},
		{"params.blocks", "262144", "\"params.blocks\" must be a string"},
		{"complete", "0", "\"complete\" must be true or false"},
		{"interval_ms", "\"10\"", "\"interval_ms\" must be an integer or null, not a string"},
		{"exit_code", "1e12", "\"exit_code\" is out of range"},
		{"phases", "\"none\"", "\"phases\" must be a list"},
		{"phases.1", "7", "\"phases[1]\" must be an object"},
		{"phases.0.rss_bytes", "\"big\"", "\"phases[0].rss_bytes\" must be an integer"},
		{"phases.0.rss_bytes", "1.5", "\"phases[0].rss_bytes\" must be an integer, not 1.5"},
		{"phases.0.rss_bytes", "1e300", "\"phases[0].rss_bytes\" is out of range"},
		{"phases.0.rss_bytes", "true", "\"phases[0].rss_bytes\" must be an integer"},
		{"phases.0.name", "null", "\"phases[0].name\" must be a string, not null"},
		{"phases.0.mallinfo2", "[]", "\"phases[0].mallinfo2\" must be an object or null"},
		{"phases.0.mallinfo2.arena", "{}", "\"phases[0].mallinfo2.arena\" must be an integer"},
		{"phases.0.malloc_info", "5", "\"phases[0].malloc_info\" must be an object or null"},
		{"phases.0.malloc_info.arenas", "{}", "\"phases[0].malloc_info.arenas\" must be a list"},
		{"phases.0.malloc_info.arenas.1", "[]", "\"phases[0].malloc_info.arenas[1]\" must be an object"},
		{"phases.0.malloc_info.arenas.0.nr", "null", "\"phases[0].malloc_info.arenas[0].nr\" must be an integer, not null"},
		{"phases.0.malloc_info.arenas.0.bins.1.unsorted", "1",
		 "\"phases[0].malloc_info.arenas[0].bins[1].unsorted\" must be true or false"},
		{"phases.0.malloc_info.total", "null", "\"phases[0].malloc_info.total\" must be an object"},
		{"phases.0.observations", "[]", "\"phases[0].observations\" must be an object"},
		{"phases.0.observations.ratio", "\"x\"", "\"phases[0].observations.ratio\" must be a number or null"},
		{"phases.0.walk", "3", "\"phases[0].walk\" must be an object or null"},
		{"phases.0.walk.complete", "\"yes\"", "\"phases[0].walk.complete\" must be true or false"},
	};
	wrong = 0;
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		char *et = edited(text, edits[i].path, edits[i].value);
		if (!et) {
			printf("# cannot edit %s\n", edits[i].path);
			wrong++;
			continue;
		}
		err.msg[0] = '\0';
		int rc = hl_run_from_json(et, strlen(et), &r, &err);
		if (rc != HL_EPARSE || !strstr(err.msg, edits[i].says) || !run_empty(&r)) {
			printf("# %s = %s: rc %d, \"%s\" (want \"%s\")\n", edits[i].path,
			       edits[i].value, rc, err.msg, edits[i].says);
			wrong++;
		}
		hl_run_free(&r);
		free(et);
	}
	T_EQ_INT(wrong, 0, "every wrong type is refused (HL_EPARSE) by key, place and type");

	/* what a reader must accept */
	static const struct {
		const char *path, *value, *what;
	} fine[] = {
		{"phases.0.walk", "null", "walk null: not walked"},
		{"env", NULL, "no env (records from before it existed)"},
		{"phases.0.walk", NULL, "no walk"},
		{"interval_ms", "null", "interval unknown"},
		{"exit_code", "null", "exit code null (-1)"},
		{"phases.0.observations.ratio", "null", "an observation null (NaN)"},
	};
	for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
		char *ft = edited(text, fine[i].path, fine[i].value);
		if (!ft)
			continue;
		T_EQ_INT(hl_run_from_json(ft, strlen(ft), &r, &err), 0, fine[i].what);
		hl_run_free(&r);
		free(ft);
	}

	/* the walk's later figures: a record from before them reads them as
	 * unknown, never as 0 */
	char *older = strdup(text);
	static const char *const later[] = {"phases.0.walk.overhead_bytes",
					    "phases.0.walk.bin_bytes",
					    "phases.0.walk.top_released_bytes"};
	for (size_t i = 0; older && i < sizeof later / sizeof later[0]; i++) {
		char *o2 = edited(older, later[i], NULL);
		free(older);
		older = o2;
	}
	T_OK(older && !strstr(older, "top_released_bytes"), "a walk without the later figures");
	T_EQ_INT(older ? hl_run_from_json(older, strlen(older), &r, &err) : -1, 0,
		 "reads (%s)", err.msg);
	T_OK(r.nphases && r.phases[0].walk.overhead_bytes == HL_UNKNOWN &&
		     r.phases[0].walk.bin_bytes == HL_UNKNOWN &&
		     r.phases[0].walk.top_released_bytes == HL_UNKNOWN &&
		     r.phases[0].walk.live_bytes == 1075838976,
	     "and has them as unknown, the rest as written");
	hl_run_free(&r);
	free(older);

	/* unknown keys are ignored, at every level (inserted as text: cJSON's
	 * printer would round the 2^53 values on the way) */
	hl_buf_t u = {0};
	static const struct {
		const char *anchor, *add;
	} extra[] = {
		{"{\n", "\t\"written_by\": \"heaplab 9\",\n"},
		{"\"name\":\t\"allocated\",", "\"future\": {\"a\": [1, {\"b\": null}]},"},
		{"\"mallinfo2\":\t{", "\"arena2\": 5,"},
		{"\"nr\":\t0,", "\"x\": [],"},
		{"\"unsorted\":\ttrue", ", \"why\": \"top\""},
	};
	hl_buf_printf(&u, "%s", text);
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		char *at = strstr(u.data, extra[i].anchor);
		T_OK(at != NULL, "anchor %zu for an unknown key", i);
		if (!at)
			continue;
		size_t pos = (size_t)(at - u.data) + strlen(extra[i].anchor);
		hl_buf_t v = {0};
		hl_buf_append(&v, u.data, pos);
		hl_buf_printf(&v, "%s%s", extra[i].add, u.data + pos);
		hl_buf_free(&u);
		u = v;
	}
	err.msg[0] = '\0';
	T_OK(hl_run_from_json(u.data, u.len, &r, &err) == 0, "unknown keys are ignored: %s", err.msg);
	char *back = json_of(&r);
	T_OK(back && !strcmp(back, text), "and the record reads as without them");
	free(back);
	hl_run_free(&r);
	hl_buf_free(&u);
	free(text);
}

/* Names every file in dir but run.json into others; returns their count. */
static int other_files(const char *dir, char *others, size_t sz)
{
	DIR *d = opendir(dir);
	int n = 0;
	others[0] = '\0';
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, "run.json"))
			continue;
		size_t used = strlen(others);
		snprintf(others + used, sz - used, " %s", e->d_name);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void files(void)
{
	hl_run_t a, c;
	hl_error_t err = {0};
	make_run(&a);
	char dir[] = "/tmp/heaplab-rr-XXXXXX";
	if (!mkdtemp(dir)) {
		T_OK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	char path[128], others[256];
	snprintf(path, sizeof path, "%s/run.json", dir);

	T_EQ_INT(hl_run_save(&a, dir, &err), 0, "save");
	T_OK(other_files(dir, others, sizeof others) == 0, "no temporary file remains:%s", others);
	struct stat st;
	T_OK(stat(path, &st) == 0 && (st.st_mode & 0444) == 0444, "run.json is readable by all");
	T_EQ_INT(hl_run_load(dir, &c, &err), 0, "load");
	T_OK(run_eq(&a, &c), "what is loaded equals what was saved%s%s", why[0] ? ": " : "", why);
	hl_run_free(&c);

	/* saving again replaces the record whole */
	a.complete = true;
	snprintf(a.status, sizeof a.status, "complete");
	T_EQ_INT(hl_run_save(&a, dir, &err), 0, "save over an existing run.json");
	T_OK(other_files(dir, others, sizeof others) == 0, "still no temporary file:%s", others);
	T_OK(hl_run_load(dir, &c, &err) == 0 && c.complete && !strcmp(c.status, "complete"),
	     "the new record is loaded");
	hl_run_free(&c);

	/* a reader never sees half a record: another process saves two
	 * different records in turn while this one loads */
	pid_t child = fork();
	if (child == 0) {
		hl_run_t alt;
		make_run(&alt);
		for (int i = 0; i < 300; i++) {
			alt.nsamples = i % 2 ? 1 : 2;
			if (hl_run_save(&alt, dir, NULL) != 0)
				_exit(1);
		}
		hl_run_free(&alt);
		_exit(0);
	}
	int torn = 0, loads = 0;
	for (int ws = 0; waitpid(child, &ws, WNOHANG) == 0; loads++) {
		hl_error_t lerr = {0};
		if (hl_run_load(dir, &c, &lerr) != 0) {
			printf("# load %d: %s\n", loads, lerr.msg);
			torn++;
		}
		hl_run_free(&c);
	}
	T_OK(torn == 0, "%d loads during 300 saves by another process: every one whole", loads);
	T_OK(other_files(dir, others, sizeof others) == 0, "and no temporary file left:%s", others);

	/* damaged: the message names the file */
	FILE *f = fopen(path, "w");
	fputs("{\"schema_version\": 1, \"experiment\": ", f);
	fclose(f);
	T_OK(hl_run_load(dir, &c, &err) == HL_EPARSE && strstr(err.msg, path) &&
		     strstr(err.msg, "not JSON") && run_empty(&c),
	     "a damaged run.json is refused, naming it: %s", err.msg);

	unlink(path);
	T_OK(hl_run_load(dir, &c, &err) == -ENOENT && strstr(err.msg, "no run.json") &&
		     strstr(err.msg, dir),
	     "a directory without run.json: %s", err.msg);
	char missing[160];
	snprintf(missing, sizeof missing, "%s/nope", dir);
	T_OK(hl_run_load(missing, &c, &err) < 0 && strstr(err.msg, "does not exist"),
	     "a directory that does not exist: %s", err.msg);
	T_OK(hl_run_save(&a, missing, &err) < 0 && strstr(err.msg, missing),
	     "saving into a missing directory fails, naming it: %s", err.msg);
	char file[160];
	snprintf(file, sizeof file, "%s/plain", dir);
	f = fopen(file, "w");
	fclose(f);
	T_OK(hl_run_load(file, &c, &err) < 0 && strstr(err.msg, "not a directory"),
	     "a file instead of a directory: %s", err.msg);
	unlink(file);
	T_OK(other_files(dir, others, sizeof others) == 0, "a failed save leaves nothing:%s", others);
	rmdir(dir);
	hl_run_free(&a);
}

/* With a locale whose decimal point is ',' (LC_NUMERIC made here with
 * localedef, so the test does not depend on installed locales), run.json
 * still has '.' and reads back exactly. */
static void locale_independent(void)
{
	char dir[] = "/tmp/heaplab-loc-XXXXXX";
	if (!mkdtemp(dir)) {
		T_OK(0, "mkdtemp");
		return;
	}
	char cmd[512];
	snprintf(cmd, sizeof cmd,
		 "cd %s && printf 'LC_NUMERIC\\ndecimal_point \",\"\\nthousands_sep \".\"\\n"
		 "grouping 3;3\\nEND LC_NUMERIC\\n' >comma.def && "
		 "localedef -c -i ./comma.def -f ANSI_X3.4-1968 ./comma >/dev/null 2>&1",
		 dir);
	/* localedef exits 1 for the categories it lacks; what counts is whether
	 * the locale then works */
	if (system(cmd) == -1)
		printf("# cannot run localedef\n");
	setenv("LOCPATH", dir, 1);
	const char *got = setlocale(LC_NUMERIC, "comma");
	char probe[16] = "";
	if (got)
		snprintf(probe, sizeof probe, "%.1f", 2.5);
	if (!got || strcmp(probe, "2,5")) {
		T_OK(1, "# SKIP cannot make a locale with a decimal comma (localedef)");
	} else {
		hl_run_t a, b;
		make_run(&a);
		char *text = json_of(&a);
		T_OK(text && strstr(text, "\"ratio\":\t0.125") && !strstr(text, "0,125"),
		     "with a decimal-comma locale, run.json still writes 0.125");
		hl_error_t err = {0};
		T_OK(text && hl_run_from_json(text, strlen(text), &b, &err) == 0 && run_eq(&a, &b),
		     "and reads back equal under that locale%s%s", why[0] ? ": " : "", why);
		hl_run_free(&a);
		hl_run_free(&b);
		free(text);
	}
	setlocale(LC_NUMERIC, "C");
	unsetenv("LOCPATH");
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

int main(void)
{
	in_memory();
	round_trip();
	contract();
	refused();
	files();
	locale_independent();
	return t_done();
}
