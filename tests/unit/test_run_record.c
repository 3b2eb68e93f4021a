/*
 * test_run_record.c — run.json: what is written reads back the same (to the
 * byte, and field by field, byte counts up to 2^53 included); unknown is
 * null, never 0; save is atomic; bad records are refused with a message.
 * Also samples.tsv's round trip and its tolerance of a half-written line.
 */
#include <stdlib.h>
#include <unistd.h>

#include "heaplab.h"
#include "t.h"

static void make_run(hl_run_t *run)
{
	hl_run_init(run);
	snprintf(run->experiment, sizeof run->experiment, "brk_pin");
	snprintf(run->program, sizeof run->program, "/x/build/experiments/brk_pin");
	snprintf(run->glibc, sizeof run->glibc, "2.36");
	snprintf(run->kernel, sizeof run->kernel, "6.1.0");
	snprintf(run->tunables, sizeof run->tunables, "glibc.malloc.arena_max=2");
	snprintf(run->allocator, sizeof run->allocator, "glibc");
	snprintf(run->started, sizeof run->started, "2026-11-22T12:00:00Z");
	snprintf(run->status, sizeof run->status, "killed by \"signal\" 9\nafter 'x' — é");
	run->interval_ms = 10;
	run->exit_code = -1;
	run->duration_ms = 1234;
	run->nsamples = 99;
	hl_run_add_param(run, "blocks", "262144");
	hl_run_add_param(run, "weird", "a\"b\\c");

	hl_phase_t ph;
	memset(&ph, 0, sizeof ph);
	snprintf(ph.name, sizeof ph.name, "allocated");
	ph.t_ms = 10;
	ph.rss_bytes = 1LL << 40;
	ph.vsz_bytes = 1LL << 53; /* the largest exact double */
	ph.heap_bytes = 1077985280;
	ph.heap_rss_bytes = HL_UNKNOWN;
	ph.mallinfo2 = (hl_mallinfo_t){true, 1077985280, 2, 0, 1, 1052672, 0, 0, 1077937296, 48000, 47000};
	ph.malloc_info_valid = true;
	ph.malloc_info.narenas = 1;
	ph.malloc_info.arenas = calloc(1, sizeof(hl_mi_arena_t));
	ph.malloc_info.arenas[0].subheaps = HL_UNKNOWN;
	ph.malloc_info.arenas[0].system_current_bytes = 1077985280;
	ph.malloc_info.arenas[0].nbins = 2;
	ph.malloc_info.arenas[0].bins = calloc(2, sizeof(hl_mi_bin_t));
	ph.malloc_info.arenas[0].bins[1] = (hl_mi_bin_t){4113, 4113, 4113, 1, true};
	ph.malloc_info.total.mmap_bytes = 1052672;
	hl_phase_observe(&ph, "blocks", 262144);
	hl_phase_observe(&ph, "ratio", 0.125);
	hl_run_add_phase(run, &ph);

	memset(&ph, 0, sizeof ph); /* another allocator: nothing from inside */
	snprintf(ph.name, sizeof ph.name, "freed");
	ph.rss_bytes = 5;
	hl_run_add_phase(run, &ph);
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
	T_OK(j1.len == j2.len && !memcmp(j1.data, j2.data, j1.len), "the text round-trips exactly");
	T_EQ_STR(b.status, a.status, "quotes, newline and UTF-8 survive");
	T_EQ_STR(b.params[1].value, "a\"b\\c", "parameter with quote and backslash");
	T_EQ_STR(b.tunables, "glibc.malloc.arena_max=2", "tunables");
	T_EQ_INT(b.exit_code, -1, "exit_code -1");
	T_EQ_INT(b.nphases, 2, "two phases");
	const hl_phase_t *p = &b.phases[0];
	T_EQ_INT(p->rss_bytes, 1LL << 40, "2^40 exact");
	T_EQ_INT(p->vsz_bytes, 1LL << 53, "2^53 exact");
	T_EQ_INT(p->heap_rss_bytes, HL_UNKNOWN, "unknown stays unknown");
	T_OK(strstr(j1.data, "\"heap_rss_bytes\":\tnull") != NULL, "unknown is written null");
	T_OK(p->mallinfo2.valid && p->mallinfo2.uordblks == 1077937296 &&
		     p->mallinfo2.keepcost == 47000 && p->mallinfo2.hblkhd == 1052672,
	     "mallinfo2 fields");
	T_OK(p->malloc_info_valid && p->malloc_info.narenas == 1 &&
		     p->malloc_info.arenas[0].nbins == 2 && p->malloc_info.arenas[0].bins[1].unsorted &&
		     p->malloc_info.arenas[0].bins[1].from == 4113 &&
		     p->malloc_info.arenas[0].subheaps == HL_UNKNOWN &&
		     p->malloc_info.total.mmap_bytes == 1052672,
	     "malloc_info arenas, bins, totals");
	double v;
	T_OK(hl_phase_observation(p, "ratio", &v) && v == 0.125, "fractional observation");
	T_OK(hl_phase_observation(p, "blocks", &v) && v == 262144, "integral observation");
	T_OK(!b.phases[1].mallinfo2.valid && !b.phases[1].malloc_info_valid,
	     "no inside figures: null, not zeros");
	T_OK(strstr(j1.data, "\"mallinfo2\":\tnull") != NULL, "mallinfo2 written as null");
	T_OK(hl_run_phase(&b, "freed") == &b.phases[1] && hl_run_phase(&b, "nope") == NULL,
	     "phase lookup by name");

	/* save / load through a directory; no temporary file left */
	char dir[] = "/tmp/heaplab-rr-XXXXXX";
	T_OK(mkdtemp(dir) != NULL, "temp dir");
	T_EQ_INT(hl_run_save(&a, dir, &err), 0, "save");
	char tmp[128];
	snprintf(tmp, sizeof tmp, "%s/.run.json.tmp", dir);
	T_OK(access(tmp, F_OK) != 0, "no temporary file remains");
	hl_run_t c;
	T_EQ_INT(hl_run_load(dir, &c, &err), 0, "load");
	T_EQ_INT(c.phases[0].vsz_bytes, 1LL << 53, "loaded value");
	hl_run_free(&c);
	char path[128];
	snprintf(path, sizeof path, "%s/run.json", dir);
	unlink(path);
	T_OK(hl_run_load(dir, &c, &err) < 0 && strstr(err.msg, "no run.json"),
	     "a directory without run.json: '%s'", err.msg);
	rmdir(dir);

	hl_run_free(&a);
	hl_run_free(&b);
	hl_buf_free(&j1);
	hl_buf_free(&j2);
}

static void refused(void)
{
	hl_run_t r;
	hl_error_t err = {0};
	const char *v2 = "{\"schema_version\": 2}";
	T_OK(hl_run_from_json(v2, strlen(v2), &r, &err) == HL_ESCHEMA &&
		     strstr(err.msg, "schema_version 2") && strstr(err.msg, "version 1"),
	     "another schema version names both: %s", err.msg);

	hl_run_t a;
	make_run(&a);
	hl_buf_t j = {0};
	hl_run_to_json(&a, &j, NULL);
	hl_run_free(&a);
	int missed = 0;
	for (size_t cut = 0; cut + 2 < j.len; cut += 11) {
		char *copy = malloc(cut + 1);
		memcpy(copy, j.data, cut);
		err.msg[0] = '\0';
		if (hl_run_from_json(copy, cut, &r, &err) == 0 || !err.msg[0])
			missed++;
		free(copy);
	}
	T_EQ_INT(missed, 0, "every truncation of run.json is refused with a message");

	static const struct {
		const char *from, *to, *says;
	} edits[] = {
		{"\"rss_bytes\":\t1099511627776", "\"rss_bytes\":\t\"big\"", "rss_bytes"},
		{"\"experiment\":\t\"brk_pin\",", "", "experiment"},
		{"\"complete\":\tfalse", "\"complete\":\t0", "complete"},
		{"\"phases\":\t[", "\"phases\":\t\"none\", \"old\":\t[", "phases"},
		{"\"ratio\":\t0.125", "\"ratio\":\t\"x\"", "ratio"},
	};
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		char *at = strstr(j.data, edits[i].from);
		T_OK(at != NULL, "edit %zu applies", i);
		if (!at)
			continue;
		hl_buf_t e = {0};
		hl_buf_append(&e, j.data, (size_t)(at - j.data));
		hl_buf_printf(&e, "%s%s", edits[i].to, at + strlen(edits[i].from));
		err.msg[0] = '\0';
		T_OK(hl_run_from_json(e.data, e.len, &r, &err) == HL_EPARSE &&
			     strstr(err.msg, edits[i].says),
		     "wrong type or missing key names '%s': %s", edits[i].says, err.msg);
		hl_buf_free(&e);
	}
	hl_buf_free(&j);
}

static void samples(void)
{
	hl_sample_t s = {1500, 1081843712, 1082576896, 1077985280, HL_UNKNOWN, "freed"};
	hl_buf_t b = {0};
	hl_buf_append(&b, hl_samples_header, strlen(hl_samples_header));
	hl_samples_format_row(&s, &b);
	s.t_ms = 1510;
	s.heap_rss_bytes = 8192;
	hl_samples_format_row(&s, &b);
	T_OK(strstr(b.data, "1500\t1081843712\t1082576896\t1077985280\tNA\tfreed\n") != NULL,
	     "a row: tab-separated, NA for unknown");
	hl_samples_t out = {0};
	hl_error_t err = {0};
	T_EQ_INT(hl_samples_parse(b.data, b.len, &out, &err), 0, "samples parse");
	T_EQ_INT(out.n, 2, "two samples");
	T_OK(out.n == 2 && out.v[0].heap_rss_bytes == HL_UNKNOWN && out.v[1].heap_rss_bytes == 8192 &&
		     !strcmp(out.v[1].phase, "freed") && out.v[1].rss_bytes == 1081843712,
	     "values read back");
	hl_buf_printf(&b, "1520\t10813"); /* killed mid-write */
	T_EQ_INT(hl_samples_parse(b.data, b.len, &out, &err), 0, "a half-written last line is dropped");
	T_EQ_INT(out.n, 2, "the whole rows are kept");
	const char *bad_header = "time\trss\n1\t2\n";
	T_OK(hl_samples_parse(bad_header, strlen(bad_header), &out, &err) == HL_EPARSE,
	     "a wrong header is refused");
	hl_buf_t c = {0};
	hl_buf_append(&c, hl_samples_header, strlen(hl_samples_header));
	hl_buf_printf(&c, "1\tx\t3\t4\t5\tp\n");
	T_OK(hl_samples_parse(c.data, c.len, &out, &err) == HL_EPARSE && strstr(err.msg, "line 2"),
	     "a bad row names its line: %s", err.msg);
	hl_samples_free(&out);
	hl_buf_free(&b);
	hl_buf_free(&c);
}

int main(void)
{
	round_trip();
	refused();
	samples();
	return t_done();
}
