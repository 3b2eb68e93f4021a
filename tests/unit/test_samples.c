/*
 * test_samples.c — samples.tsv: rows written read back the same; unknown is
 * NA both ways; a file cut anywhere (a run killed mid-write) reads as its
 * whole rows; a wrong header or a damaged row is refused, naming the line.
 */
#include "heaplab.h"
#include "t.h"

static hl_sample_t sample(int64_t t, int64_t rss, int64_t vsz, int64_t heap, int64_t heap_rss,
			  const char *phase)
{
	hl_sample_t s;
	memset(&s, 0, sizeof s);
	s.t_ms = t;
	s.rss_bytes = rss;
	s.vsz_bytes = vsz;
	s.heap_bytes = heap;
	s.heap_rss_bytes = heap_rss;
	snprintf(s.phase, sizeof s.phase, "%s", phase);
	return s;
}

static bool same(const hl_sample_t *a, const hl_sample_t *b)
{
	return a->t_ms == b->t_ms && a->rss_bytes == b->rss_bytes && a->vsz_bytes == b->vsz_bytes &&
	       a->heap_bytes == b->heap_bytes && a->heap_rss_bytes == b->heap_rss_bytes &&
	       !strcmp(a->phase, b->phase);
}

static const hl_sample_t *rows(size_t *n)
{
	static hl_sample_t v[6];
	v[0] = sample(0, 192512, 499712, 0, 0, "start");
	v[1] = sample(11, 4153344, 7159808, 2568192, HL_UNKNOWN, "start");
	v[2] = sample(1500, 1081843712, 1082576896, 1077985280, HL_UNKNOWN, "allocated");
	v[3] = sample(1510, HL_UNKNOWN, HL_UNKNOWN, HL_UNKNOWN, HL_UNKNOWN, "freed — ünïcode");
	v[4] = sample(1520, 1LL << 53, (1LL << 62) + 7, INT64_MAX, 8192, "NA");
	v[5] = sample(HL_UNKNOWN, 1, 2, 3, 4, "trimmed");
	*n = 6;
	return v;
}

static void file_of(hl_buf_t *b, const hl_sample_t *v, size_t n)
{
	hl_buf_reset(b);
	hl_buf_append(b, hl_samples_header, strlen(hl_samples_header));
	for (size_t i = 0; i < n; i++)
		hl_samples_format_row(&v[i], b);
}

static void header_and_rows(void)
{
	T_EQ_STR(hl_samples_header, "t_ms\trss_bytes\tvsz_bytes\theap_bytes\theap_rss_bytes\tphase\n",
		 "the header: six tab-separated columns, t_ms first");
	hl_buf_t b = {0};
	hl_sample_t s = sample(1500, 1081843712, 1082576896, 1077985280, HL_UNKNOWN, "freed");
	T_EQ_INT(hl_samples_format_row(&s, &b), 0, "format a row");
	T_EQ_STR(b.data, "1500\t1081843712\t1082576896\t1077985280\tNA\tfreed\n",
		 "a row: tab-separated integers, NA for unknown, the phase last");
	hl_buf_reset(&b);
	s = sample(0, 1, 2, 3, 4, "");
	hl_samples_format_row(&s, &b);
	T_EQ_STR(b.data, "0\t1\t2\t3\t4\tstart\n", "no phase yet is written 'start'");
	hl_buf_reset(&b);
	s = sample(5, 1, 2, 3, 4, "a\tb\nc\rd");
	hl_samples_format_row(&s, &b);
	T_EQ_STR(b.data, "5\t1\t2\t3\t4\ta b c d\n",
		 "a tab or line break in a phase name cannot split the row");
	hl_buf_free(&b);
}

static void round_trip(void)
{
	size_t n;
	const hl_sample_t *v = rows(&n);
	hl_buf_t b = {0};
	file_of(&b, v, n);
	hl_samples_t out = {0};
	hl_error_t err = {0};
	T_EQ_INT(hl_samples_parse(b.data, b.len, &out, &err), 0, "parse");
	T_EQ_INT(out.n, n, "every row read");
	int differ = 0;
	for (size_t i = 0; i < n && i < out.n; i++)
		differ += !same(&v[i], &out.v[i]);
	T_EQ_INT(differ, 0, "every field equal: 2^53, 2^62 + 7, INT64_MAX, NA, UTF-8");
	T_OK(out.n == n && out.v[3].rss_bytes == HL_UNKNOWN && out.v[3].heap_rss_bytes == HL_UNKNOWN,
	     "NA reads back as HL_UNKNOWN");
	T_OK(out.n == n && out.v[5].t_ms == HL_UNKNOWN, "even an unknown time reads back");

	/* parsing again refills the same series */
	T_EQ_INT(hl_samples_parse(b.data, b.len, &out, &err), 0, "parse into a used series");
	T_EQ_INT(out.n, n, "it holds this file's rows only");

	/* a long series grows the array */
	hl_buf_reset(&b);
	hl_buf_append(&b, hl_samples_header, strlen(hl_samples_header));
	for (int i = 0; i < 5000; i++) {
		hl_sample_t s = sample(i * 10, 4096LL * i, 8192LL * i, i, HL_UNKNOWN, "p");
		hl_samples_format_row(&s, &b);
	}
	T_OK(hl_samples_parse(b.data, b.len, &out, &err) == 0 && out.n == 5000 &&
		     out.v[4999].t_ms == 49990 && out.v[4999].vsz_bytes == 8192LL * 4999,
	     "5000 rows");
	hl_samples_free(&out);
	T_OK(out.v == NULL && out.n == 0 && out.cap == 0, "free empties the series");
	hl_buf_free(&b);
}

/* A run killed while writing: the file may end anywhere. */
static void cut_short(void)
{
	size_t n;
	const hl_sample_t *v = rows(&n);
	hl_buf_t b = {0};
	file_of(&b, v, n);
	hl_samples_t out = {0};
	hl_error_t err = {0};
	int wrong = 0;
	for (size_t cut = 0; cut <= b.len; cut++) {
		/* whole rows in the first cut bytes: the newlines after the header */
		size_t want = 0, hlen = strlen(hl_samples_header);
		for (size_t i = hlen; i < cut; i++)
			want += b.data[i] == '\n';
		if (hl_samples_parse(b.data, cut, &out, &err) != 0 || out.n != want) {
			printf("# cut at %zu: %zu rows (want %zu) %s\n", cut, out.n, want, err.msg);
			wrong++;
			continue;
		}
		for (size_t i = 0; i < want; i++)
			wrong += !same(&out.v[i], &v[i]);
	}
	T_EQ_INT(wrong, 0, "cut at any byte: the whole rows are read, the half row is dropped");
	hl_buf_t c = {0};
	file_of(&c, v, 2);
	hl_buf_printf(&c, "1520\t10813");
	T_OK(hl_samples_parse(c.data, c.len, &out, &err) == 0 && out.n == 2,
	     "a half-written last line is dropped");
	T_OK(hl_samples_parse("t_ms\trss", 8, &out, &err) == 0 && out.n == 0,
	     "a header cut short: no samples yet, not an error");
	T_OK(hl_samples_parse("", 0, &out, &err) == 0 && out.n == 0, "an empty file: no samples");
	hl_samples_free(&out);
	hl_buf_free(&b);
	hl_buf_free(&c);
}

static void refused(void)
{
	hl_samples_t out = {0};
	hl_error_t err = {0};
	static const char *const headers[] = {
		"time\trss\n1\t2\n",
		"t_ms,rss_bytes,vsz_bytes,heap_bytes,heap_rss_bytes,phase\n",
		"t_ms\trss_bytes\tvsz_bytes\theap_bytes\theap_rss_bytes\tphase\tmore\n",
		"t_ms\trss_bytes\tvsz_bytes\theap_bytes\theap_rss_bytes\tphase\r\n",
		"1\t2\t3\t4\t5\tp\n",
	};
	int wrong = 0;
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		err.msg[0] = '\0';
		if (hl_samples_parse(headers[i], strlen(headers[i]), &out, &err) != HL_EPARSE ||
		    !strstr(err.msg, "header") || out.n != 0)
			wrong++;
	}
	T_EQ_INT(wrong, 0, "a wrong header is refused (HL_EPARSE), saying so");
	printf("# e.g. %s\n", err.msg);

	static const char *const bad_rows[] = {
		"1\tx\t3\t4\t5\tp\n",       /* not a number */
		"1\t2\t3\t4\t5\n",          /* no phase */
		"1\t2\t3\t4\t5\t\n",        /* empty phase */
		"1\t2\t3\t4\tp\n",          /* a column short */
		"1\t2\t3\t4\t5\tp\tq\n",    /* a column more */
		"-1\t2\t3\t4\t5\tp\n",      /* negative: unknown is NA */
		"1\t2\t3\t4\t99999999999999999999\tp\n", /* beyond int64 */
		"1\t2\t3\t4\t5\tp\r\n",     /* CR LF */
		"\n",                       /* an empty line */
		"1 \t2\t3\t4\t5\tp\n",      /* a space */
		"1\t2\t3\t4\t5\t0123456789012345678901234567890123456789012345678901234567890123\n",
	};
	wrong = 0;
	for (size_t i = 0; i < sizeof bad_rows / sizeof bad_rows[0]; i++) {
		hl_buf_t c = {0};
		hl_buf_append(&c, hl_samples_header, strlen(hl_samples_header));
		hl_buf_printf(&c, "0\t1\t2\t3\t4\tstart\n%s1\t2\t3\t4\t5\tok\n", bad_rows[i]);
		err.msg[0] = '\0';
		int rc = hl_samples_parse(c.data, c.len, &out, &err);
		if (rc != HL_EPARSE || !strstr(err.msg, "line 3") || out.n != 0) {
			printf("# row %zu: rc %d, n %zu, \"%s\"\n", i, rc, out.n, err.msg);
			wrong++;
		}
		hl_buf_free(&c);
	}
	T_EQ_INT(wrong, 0, "a damaged row is refused, naming its line, with no partial series");
	hl_samples_free(&out);
}

int main(void)
{
	header_and_rows();
	round_trip();
	cut_short();
	refused();
	return t_done();
}
