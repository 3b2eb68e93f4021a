/*
 * test_malloc_info.c — the malloc_info parser on XML captured on this
 * machine (tests/fixtures/make/mi_capture.c): two arenas with fastbin, bin
 * and unsorted chunks and a live 1 MiB mmapped chunk; brk_pin's freed GiB;
 * 16 arenas made by 16 threads. Then on every truncation of each, wrong
 * versions, non-numbers, misplaced elements, random and mutated bytes, a
 * later glibc's additions, and 64 arenas with thousands of bins.
 */
#include "heaplab.h"
#include "t.h"

static char *fixture_parse(const char *name, size_t *len, hl_malloc_info_t *mi)
{
	hl_error_t err = {0};
	char *buf = t_fixture(name, len);
	int rc = hl_malloc_info_parse(buf, *len, mi, &err);
	T_OK(rc == 0, "%s parses (%s)", name, rc ? err.msg : "ok");
	return buf;
}

/* What glibc sums into the closing totals must equal the sum of the heaps. */
static void check_sums(const hl_malloc_info_t *mi, const char *name)
{
	int64_t cur = 0, max = 0, fc = 0, fb = 0, rc = 0, rb = 0, at = 0, am = 0;
	for (size_t i = 0; i < mi->narenas; i++) {
		const hl_mi_arena_t *a = &mi->arenas[i];
		cur += a->system_current_bytes;
		max += a->system_max_bytes;
		fc += a->fast_count;
		fb += a->fast_bytes;
		rc += a->rest_count;
		rb += a->rest_bytes;
		at += a->aspace_total_bytes;
		am += a->aspace_mprotect_bytes;
	}
	const hl_mi_total_t *t = &mi->total;
	T_OK(cur == t->system_current_bytes,
	     "%s: the arenas' system current sums to the total (%" PRId64 " vs %" PRId64 ")", name,
	     cur, t->system_current_bytes);
	T_OK(max == t->system_max_bytes && fc == t->fast_count && fb == t->fast_bytes &&
		 rc == t->rest_count && rb == t->rest_bytes && at == t->aspace_total_bytes &&
		 am == t->aspace_mprotect_bytes,
	     "%s: system max, fast, rest and aspace also sum to the totals", name);
}

static void two_arenas(void)
{
	size_t len;
	hl_malloc_info_t mi;
	char *buf = fixture_parse("mi_two_arenas.xml", &len, &mi);
	T_EQ_INT(mi.narenas, 2, "two arenas: the main one and the thread's");
	if (mi.narenas != 2)
		goto out;
	const hl_mi_arena_t *a0 = &mi.arenas[0], *a1 = &mi.arenas[1];
	T_OK(a0->nr == 0 && a1->nr == 1, "heap nr 0 and 1");

	/* main arena: 20 chunks of 48 B freed, tcache took 7 */
	T_EQ_INT(a0->fast_count, 13, "arena 0: 13 fastbin chunks (20 freed, 7 in tcache)");
	T_EQ_INT(a0->fast_bytes, 13 * 48, "arena 0: 13 x 48 B in fastbins");
	T_EQ_INT(a0->rest_count, 19, "arena 0: rest = 18 bin chunks + top");
	T_EQ_INT(a0->rest_bytes, 110498, "arena 0: rest bytes (top included)");
	T_EQ_INT(a0->system_current_bytes, 135168, "arena 0: system current");
	T_EQ_INT(a0->system_max_bytes, 135168, "arena 0: system max");
	T_EQ_INT(a0->aspace_total_bytes, 135168, "arena 0: aspace total (= system_mem on main)");
	T_EQ_INT(a0->aspace_mprotect_bytes, 135168, "arena 0: aspace mprotect");
	T_EQ_INT(a0->subheaps, HL_UNKNOWN, "arena 0: the main arena has no subheaps figure");
	T_EQ_INT(a0->nbins, 13, "arena 0: 13 lines in <sizes>");
	if (a0->nbins == 13) {
		const hl_mi_bin_t *f = &a0->bins[0], *s = &a0->bins[1], *l = &a0->bins[11],
				  *u = &a0->bins[12];
		T_OK(!f->unsorted && f->from == 33 && f->to == 48 && f->total_bytes == 624 &&
			 f->count == 13,
		     "arena 0 fastbin line: from 33 to 48 (size - 15 .. size), 624 B, 13");
		T_OK(!s->unsorted && s->from == 209 && s->to == 209 && s->total_bytes == 627 &&
			 s->count == 3,
		     "arena 0 small bin: 3 x 208 B chunks shown as 209 (PREV_INUSE)");
		T_OK(!l->unsorted && l->from == 4113 && l->to == 4417 && l->total_bytes == 8530 &&
			 l->count == 2,
		     "arena 0 large bin: 2 chunks from 4113 to 4417, 8530 B");
		T_OK(u->unsorted && u->from == 1521 && u->to == 3521 && u->total_bytes == 7555 &&
			 u->count == 3,
		     "arena 0 unsorted (last line): 3 chunks from 1521 to 3521, 7555 B");
	}

	/* the thread's arena: one 80 B chunk in a fastbin (7 went to tcache) */
	T_EQ_INT(a1->fast_count, 1, "arena 1: one fastbin chunk");
	T_EQ_INT(a1->fast_bytes, 80, "arena 1: 80 B in fastbins");
	T_EQ_INT(a1->rest_count, 11, "arena 1: rest = 10 bin chunks + top");
	T_EQ_INT(a1->rest_bytes, 91258, "arena 1: rest bytes");
	T_EQ_INT(a1->system_current_bytes, 135168, "arena 1: system current");
	T_EQ_INT(a1->subheaps, 1, "arena 1: one subheap (its first 64 MiB heap)");
	T_EQ_INT(a1->nbins, 8, "arena 1: 8 lines in <sizes>");
	if (a1->nbins == 8)
		T_OK(a1->bins[0].from == 65 && a1->bins[0].to == 80 && a1->bins[7].unsorted &&
			 a1->bins[7].from == 3009 && a1->bins[7].to == 3313 &&
			 a1->bins[7].total_bytes == 12660 && a1->bins[7].count == 4,
		     "arena 1: fastbin 65..80 first, 4 unsorted chunks 3009..3313 last");

	T_EQ_INT(mi.total.fast_count, 14, "total fast count");
	T_EQ_INT(mi.total.fast_bytes, 704, "total fast bytes");
	T_EQ_INT(mi.total.rest_count, 30, "total rest count");
	T_EQ_INT(mi.total.rest_bytes, 201756, "total rest bytes");
	T_EQ_INT(mi.total.mmap_count, 1, "one mmapped chunk (the live 1 MiB)");
	T_EQ_INT(mi.total.mmap_bytes, 1052672, "mmapped bytes: 1 MiB + one page");
	T_EQ_INT(mi.total.system_current_bytes, 270336, "total system current");
	check_sums(&mi, "two arenas");
out:
	hl_malloc_info_free(&mi);
	T_OK(mi.arenas == NULL && mi.narenas == 0, "free empties it");
	hl_malloc_info_free(&mi); /* twice is harmless */
	hl_malloc_info_free(NULL);
	free(buf);
}

static void brk_pin_freed(void)
{
	size_t len;
	hl_malloc_info_t mi;
	char *buf = fixture_parse("mi_brk_pin_freed.xml", &len, &mi);
	T_EQ_INT(mi.narenas, 1, "brk_pin: one arena");
	if (mi.narenas == 1) {
		const hl_mi_arena_t *a = &mi.arenas[0];
		T_EQ_INT(a->nbins, 1, "brk_pin: one line in <sizes>");
		/* 262,144 chunks of 4112 B merged into one, PREV_INUSE left in */
		T_OK(a->nbins == 1 && a->bins[0].unsorted &&
			 a->bins[0].from == 262144LL * 4112 + 1 &&
			 a->bins[0].to == 262144LL * 4112 + 1 &&
			 a->bins[0].total_bytes == 1077936129 && a->bins[0].count == 1,
		     "brk_pin: the freed GiB is one unsorted chunk of 262,144 x 4112 B + 1");
		T_EQ_INT(a->rest_count, 2, "brk_pin: rest = that chunk + top");
		T_EQ_INT(a->rest_bytes, 1077984113,
			 "brk_pin: rest bytes (the chunk + 47,984 B top)");
		T_EQ_INT(a->fast_count, 0, "brk_pin: no fastbin chunks");
		T_EQ_INT(a->system_current_bytes, 1077985280,
			 "brk_pin: system current, the whole heap");
	}
	T_OK(mi.total.mmap_count == 0 && mi.total.mmap_bytes == 0,
	     "brk_pin: no mmapped chunk (the block array was not on the heap)");
	check_sums(&mi, "brk_pin");
	hl_malloc_info_free(&mi);
	free(buf);
}

static void sixteen_arenas(void)
{
	/* nr, system current, rest count, rest bytes, the unsorted line; heap 0
	 * also holds the 16th thread's chunks (arena_max 16: it shared) */
	static const struct {
		int nr;
		int64_t system, rest_count, rest_bytes, from, to, total, count;
	} want[16] = {
	    {0, 589824, 4, 133091, 2977, 3009, 8979, 3},
	    {1, 434176, 4, 10947, 2913, 2945, 8787, 3},
	    {2, 405504, 4, 12291, 2849, 2881, 8595, 3},
	    {3, 372736, 4, 9539, 2785, 2817, 8403, 3},
	    {4, 344064, 4, 10883, 2721, 2753, 8211, 3},
	    {5, 311296, 4, 8131, 2657, 2689, 8019, 3},
	    {6, 282624, 4, 9475, 2593, 2625, 7827, 3},
	    {7, 253952, 4, 10819, 2529, 2561, 7635, 3},
	    {8, 221184, 4, 8067, 2465, 2497, 7443, 3},
	    {9, 192512, 4, 9411, 2401, 2433, 7251, 3},
	    {10, 163840, 4, 10755, 2337, 2369, 7059, 3},
	    {11, 135168, 4, 12099, 2273, 2305, 6867, 3},
	    {12, 135168, 4, 42115, 2209, 2241, 6675, 3},
	    {13, 135168, 4, 72131, 2145, 2177, 6483, 3},
	    {14, 135168, 4, 102147, 2081, 2113, 6291, 3},
	    {15, 135168, 4, 132163, 2017, 2049, 6099, 3},
	};
	size_t len;
	hl_malloc_info_t mi;
	char *buf = fixture_parse("mi_16_arenas.xml", &len, &mi);
	T_EQ_INT(mi.narenas, 16, "16 threads, arena_max 16: 16 arenas");
	int bad = 0, subheaps = 0;
	for (size_t i = 0; i < mi.narenas && i < 16; i++) {
		const hl_mi_arena_t *a = &mi.arenas[i];
		bool ok =
		    a->nr == want[i].nr && a->system_current_bytes == want[i].system &&
		    a->system_max_bytes == want[i].system && a->rest_count == want[i].rest_count &&
		    a->rest_bytes == want[i].rest_bytes && a->fast_count == 0 &&
		    a->fast_bytes == 0 && a->nbins == 1 && a->bins[0].unsorted &&
		    a->bins[0].from == want[i].from && a->bins[0].to == want[i].to &&
		    a->bins[0].total_bytes == want[i].total && a->bins[0].count == want[i].count;
		if (!ok) {
			printf("# arena %zu differs from the fixture's numbers\n", i);
			bad++;
		}
		subheaps += a->subheaps == 1;
	}
	T_EQ_INT(bad, 0, "16 arenas: every arena's nr, system, rest and unsorted line");
	T_OK(mi.narenas == 16 && mi.arenas[0].subheaps == HL_UNKNOWN && subheaps == 15,
	     "16 arenas: subheaps unknown on main, 1 on each of the 15 others");
	T_EQ_INT(mi.total.system_current_bytes, 4247552, "16 arenas: total system current");
	T_EQ_INT(mi.total.rest_count, 64, "16 arenas: total rest count (16 x (3 + top))");
	T_EQ_INT(mi.total.rest_bytes, 594064, "16 arenas: total rest bytes");
	T_OK(mi.total.mmap_count == 0 && mi.total.mmap_bytes == 0, "16 arenas: nothing mmapped");
	check_sums(&mi, "16 arenas");
	hl_malloc_info_free(&mi);
	free(buf);
}

/* Every cut of a fixture short of its final newline is refused as cut short,
 * with the output left empty; the sanitizer build checks nothing leaks. */
static void truncations(const char *name)
{
	size_t len;
	char *buf = t_fixture(name, &len);
	int missed = 0, cuts = 0;
	for (size_t cut = 1; cut + 1 < len; cut++) {
		char *copy = malloc(cut); /* exactly cut bytes: overreads show */
		memcpy(copy, buf, cut);
		hl_malloc_info_t mi;
		hl_error_t err = {0};
		int rc = hl_malloc_info_parse(copy, cut, &mi, &err);
		if (rc != HL_EPARSE || !strstr(err.msg, "cut short") || mi.narenas || mi.arenas) {
			if (missed++ < 3)
				printf("# cut at %zu: rc %d, \"%s\"\n", cut, rc, err.msg);
			if (rc == 0)
				hl_malloc_info_free(&mi);
		}
		cuts++;
		free(copy);
	}
	T_OK(missed == 0, "%s: all %d truncations refused as cut short, output empty", name, cuts);
	hl_malloc_info_t mi;
	T_EQ_INT(hl_malloc_info_parse(buf, len - 1, &mi, NULL), 0,
		 "without its final newline it is still whole");
	hl_malloc_info_free(&mi);
	free(buf);
}

/* A cut says where the input ended. */
static void truncation_messages(void)
{
	size_t len;
	char *buf = t_fixture("mi_two_arenas.xml", &len);
	static const struct {
		const char *after, *says;
	} cases[] = {
	    {"<heap nr=\"1\">\n<sizes>\n  <size from=\"65\" to=", "inside <heap nr=\"1\">"},
	    {"<aspace type=\"subheaps\" size=\"1\"/>\n</heap>\n<total",
	     "after <heap nr=\"1\">, before </malloc>"},
	    {"<malloc vers", "before <malloc version=\"1\"> was complete"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *at = strstr(buf, cases[i].after);
		size_t cut = at ? (size_t)(at - buf) + strlen(cases[i].after) : 0;
		hl_malloc_info_t mi;
		hl_error_t err = {0};
		int rc = at ? hl_malloc_info_parse(buf, cut, &mi, &err) : 0;
		T_OK(rc == HL_EPARSE && strstr(err.msg, "cut short") &&
			 strstr(err.msg, cases[i].says),
		     "a cut says '%s' (%s)", cases[i].says, err.msg);
	}
	free(buf);
}

/* A number spoiled on one line of a real document: the element, the
 * attribute, the value and that line are named. */
static void garbage_line(void)
{
	size_t len;
	char *buf = t_fixture("mi_two_arenas.xml", &len);
	static const struct {
		const char *find, *put, *says;
	} cases[] = {
	    {"total=\"627\"", "total=\"6z7\"",
	     "line 5: <size total=\"6z7\">: not a decimal integer"},
	    {"<total type=\"rest\" count=\"11\"", "<total type=\"rest\" count=\"-1\"",
	     "line 37: <total type=\"rest\" count=\"-1\">: not a decimal integer"},
	    {"<system type=\"current\" size=\"270336\"",
	     "<system type=\"current\" size=\"9223372036854775808\"",
	     "line 47: <system type=\"current\" size=\"9223372036854775808\">: too large"},
	    {"<heap nr=\"1\"", "<heap nr=\"one\"", "line 25: <heap nr=\"one\">: not a decimal"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *at = strstr(buf, cases[i].find);
		hl_buf_t b = {0};
		if (at) {
			hl_buf_append(&b, buf, (size_t)(at - buf));
			hl_buf_printf(&b, "%s", cases[i].put);
			hl_buf_printf(&b, "%s", at + strlen(cases[i].find));
		}
		hl_malloc_info_t mi;
		hl_error_t err = {0};
		int rc = at ? hl_malloc_info_parse(b.data, b.len, &mi, &err) : 0;
		T_OK(rc == HL_EPARSE && strstr(err.msg, cases[i].says) && mi.narenas == 0,
		     "garbage %zu: '%s' (%s)", i, cases[i].says, err.msg);
		hl_buf_free(&b);
	}
	free(buf);
}

#define HEAD "<malloc version=\"1\">\n<heap nr=\"0\">\n"
#define TAIL "</heap>\n</malloc>\n"

static void bad_input(void)
{
	static const struct {
		const char *xml;
		int rc;
		const char *says;
	} cases[] = {
	    {"", HL_EPARSE, "empty"},
	    {" \n\t\n", HL_EPARSE, "empty"},
	    {"<malloc version=\"2\"><heap nr=\"0\"/></malloc>", HL_ESCHEMA,
	     "<malloc version=\"2\">: only version 1"},
	    {"<malloc version=\"1.0\"></malloc>", HL_ESCHEMA, "version=\"1.0\""},
	    {"<malloc><heap nr=\"0\"/></malloc>", HL_EPARSE, "<malloc> has no version"},
	    {"<heap nr=\"0\"></heap>", HL_EPARSE, "root element is <heap>, not <malloc>"},
	    {"<malloc version=\"1\">\n</malloc>\n", HL_EPARSE, "holds no <heap>"},
	    {HEAD "<sizes><size from=\"1\" to=\"2\" total=\"3\" count=\"1e3\"/></sizes>" TAIL,
	     HL_EPARSE, "<size count=\"1e3\">: not a decimal integer"},
	    {HEAD "<total type=\"fast\" count=\"+1\" size=\"0\"/>" TAIL, HL_EPARSE,
	     "count=\"+1\">: not a decimal"},
	    {HEAD "<total type=\"fast\" count=\" 1\" size=\"0\"/>" TAIL, HL_EPARSE,
	     "count=\" 1\">: not a decimal"},
	    {HEAD "<total type=\"fast\" count=\"\" size=\"0\"/>" TAIL, HL_EPARSE,
	     "count=\"\">: not a decimal"},
	    {HEAD "<system type=\"max\" size=\"0x1000\"/>" TAIL, HL_EPARSE,
	     "size=\"0x1000\">: not a decimal"},
	    {HEAD "<total type=\"fast\" size=\"1\"/>" TAIL, HL_EPARSE,
	     "<total type=\"fast\"> has no count attribute"},
	    {HEAD "<system size=\"1\"/>" TAIL, HL_EPARSE, "<system> has no type attribute"},
	    {HEAD "<sizes><size from=\"1\" to=\"2\" count=\"1\"/></sizes>" TAIL, HL_EPARSE,
	     "<size> has no total attribute"},
	    {"<malloc version=\"1\"><heap/></malloc>", HL_EPARSE, "<heap> has no nr attribute"},
	    {"<malloc version=\"1\"><heap nr=\"4294967296\"/></malloc>", HL_EPARSE,
	     "too large for an arena number"},
	    {HEAD "<size from=\"1\" to=\"2\" total=\"3\" count=\"1\"/>" TAIL, HL_EPARSE,
	     "<size> is out of place inside <heap>"},
	    {HEAD "<heap nr=\"1\"></heap>" TAIL, HL_EPARSE, "<heap> is out of place inside <heap>"},
	    {"<malloc version=\"1\"><sizes/></malloc>", HL_EPARSE,
	     "<sizes> is out of place inside <malloc>"},
	    {HEAD "<sizes></heap>" TAIL, HL_EPARSE, "not XML: mismatched tag"},
	    {HEAD TAIL "<malloc version=\"1\"/>", HL_EPARSE, "line 5, column 1: not XML"},
	    {"<!DOCTYPE m [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]>"
	     "<malloc version=\"1\"><heap nr=\"&b;\"/></malloc>",
	     HL_EPARSE, "DOCTYPE"},
	    {"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", HL_EPARSE, "line 1, column 1: not XML"},
	    {"malloc version=1", HL_EPARSE, "not XML: syntax error"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		hl_malloc_info_t mi;
		hl_error_t err = {0};
		/* the PNG case has NUL bytes: its length is its array's */
		size_t n = i == sizeof cases / sizeof cases[0] - 2 ? 16 : strlen(cases[i].xml);
		int rc = hl_malloc_info_parse(cases[i].xml, n, &mi, &err);
		T_OK(rc == cases[i].rc && err.code == rc && strstr(err.msg, cases[i].says) &&
			 mi.narenas == 0 && mi.arenas == NULL,
		     "bad input %zu refused, saying '%s' (%d: %s)", i, cases[i].says, rc, err.msg);
	}
	hl_malloc_info_t mi;
	T_OK(hl_malloc_info_parse(NULL, 0, &mi, NULL) == HL_EPARSE && mi.narenas == 0,
	     "a NULL, empty buffer is refused without an error struct");
	const char *max = HEAD "<system type=\"max\" size=\"9223372036854775807\"/>" TAIL;
	T_OK(hl_malloc_info_parse(max, strlen(max), &mi, NULL) == 0 &&
		 mi.arenas[0].system_max_bytes == INT64_MAX,
	     "INT64_MAX itself reads");
	hl_malloc_info_free(&mi);
}

/* What a later glibc might add is skipped; what is missing stays unknown. */
static void tolerated(void)
{
	const char *future =
	    "<?xml version=\"1.0\"?>\r\n<!-- a later glibc -->\r\n"
	    "<malloc version=\"1\" flavour=\"x\">\r\n"
	    "<heap nr=\"0\" extra=\"1\">\r\n<sizes>\r\n"
	    "  <size from=\"33\" to=\"48\" total=\"96\" count=\"2\" hint=\"q\"/>\r\n"
	    "  <tcache><size from=\"junk\"/><heap/></tcache>\r\n"
	    "</sizes>\r\ntext is ignored too\r\n"
	    "<total type=\"fast\" count=\"2\" size=\"96\"/>\r\n"
	    "<total type=\"tcache\" count=\"not read\" size=\"x\"/>\r\n"
	    "<total type=\"mmap\" count=\"5\" size=\"5\"/>\r\n"
	    "<system type=\"current\" size=\"4096\"><why>nothing</why></system>\r\n"
	    "<arena-lock contended=\"yes\"/>\r\n"
	    "</heap>\r\n"
	    "<total type=\"mmap\" count=\"2\" size=\"8192\"/>\r\n"
	    "</malloc>\r\n";
	hl_malloc_info_t mi;
	hl_error_t err = {0};
	int rc = hl_malloc_info_parse(future, strlen(future), &mi, &err);
	T_OK(rc == 0, "unknown elements, attributes, types and text are skipped (%s)",
	     rc ? err.msg : "ok");
	if (rc)
		return;
	const hl_mi_arena_t *a = &mi.arenas[0];
	T_OK(mi.narenas == 1 && a->nbins == 1 && a->bins[0].count == 2 && a->fast_count == 2 &&
		 a->system_current_bytes == 4096 && mi.total.mmap_count == 2 &&
		 mi.total.mmap_bytes == 8192,
	     "and the known figures around them still read");
	T_OK(a->rest_count == HL_UNKNOWN && a->rest_bytes == HL_UNKNOWN &&
		 a->system_max_bytes == HL_UNKNOWN && a->aspace_total_bytes == HL_UNKNOWN &&
		 a->subheaps == HL_UNKNOWN && mi.total.fast_count == HL_UNKNOWN &&
		 mi.total.system_current_bytes == HL_UNKNOWN,
	     "figures the XML does not give are HL_UNKNOWN, not 0");
	hl_malloc_info_free(&mi);
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Random bytes, and a real document with bytes flipped: never a crash, an
 * error always has a message and leaves nothing behind. */
static void random_input(void)
{
	int odd = 0;
	for (int i = 0; i < 2000; i++) {
		size_t n = rnd() % 300 + 1;
		char *b = malloc(n);
		for (size_t k = 0; k < n; k++)
			b[k] = i < 1000 ? (char)rnd()
					: "<>/=\" amlocversin1heapnrsizetype0"[rnd() % 33];
		hl_malloc_info_t mi;
		hl_error_t err = {0};
		int rc = hl_malloc_info_parse(b, n, &mi, &err);
		if (rc == 0 || !err.msg[0] || mi.narenas)
			odd++;
		if (rc == 0)
			hl_malloc_info_free(&mi);
		free(b);
	}
	T_EQ_INT(odd, 0, "2000 random buffers: each refused with a message");

	size_t len;
	char *buf = t_fixture("mi_two_arenas.xml", &len);
	int parsed = 0, refused = 0;
	odd = 0;
	for (int i = 0; i < 3000; i++) {
		char *b = malloc(len);
		memcpy(b, buf, len);
		for (int k = 0; k < 1 + i % 4; k++)
			b[rnd() % len] = i % 2 ? (char)rnd() : "<>/=\"0123456789x "[rnd() % 17];
		hl_malloc_info_t mi;
		hl_error_t err = {0};
		int rc = hl_malloc_info_parse(b, len, &mi, &err);
		if (rc == 0) {
			parsed++;
			odd += mi.narenas == 0;
			hl_malloc_info_free(&mi);
		} else {
			refused++;
			odd += !err.msg[0] || mi.narenas != 0 || mi.arenas != NULL;
		}
		free(b);
	}
	T_OK(odd == 0 && parsed > 0 && refused > 0,
	     "3000 mutated fixtures: %d parse, %d refused, none odd", parsed, refused);
	free(buf);
}

/* 64 arenas of 2,000 lines each: linear growth, everything kept in order. */
static void many_arenas(void)
{
	hl_buf_t b = {0};
	hl_buf_printf(&b, "<malloc version=\"1\">\n");
	for (int a = 0; a < 64; a++) {
		hl_buf_printf(&b, "<heap nr=\"%d\">\n<sizes>\n", a);
		for (int k = 0; k < 2000; k++)
			hl_buf_printf(&b,
				      "  <size from=\"%d\" to=\"%d\" total=\"%d\" count=\"%d\"/>\n",
				      32 + 16 * k + 1, 32 + 16 * k + 1, (32 + 16 * k + 1) * a, a);
		hl_buf_printf(&b,
			      "</sizes>\n<total type=\"fast\" count=\"0\" size=\"0\"/>\n"
			      "<system type=\"current\" size=\"%d\"/>\n</heap>\n",
			      4096 * (a + 1));
	}
	hl_buf_printf(&b, "<system type=\"current\" size=\"%d\"/>\n</malloc>\n",
		      4096 * 64 * 65 / 2);
	hl_malloc_info_t mi;
	hl_error_t err = {0};
	int rc = hl_malloc_info_parse(b.data, b.len, &mi, &err);
	T_OK(rc == 0, "64 arenas x 2,000 lines (%zu bytes) parse (%s)", b.len, rc ? err.msg : "ok");
	int bad = 0;
	int64_t sys = 0;
	for (size_t a = 0; a < mi.narenas; a++) {
		const hl_mi_arena_t *ar = &mi.arenas[a];
		sys += ar->system_current_bytes;
		bad += ar->nr != (int)a || ar->nbins != 2000 ||
		       ar->bins[1999].from != 32 + 16 * 1999 + 1 ||
		       ar->bins[1999].count != (int64_t)a ||
		       ar->bins[0].total_bytes != 33 * (int64_t)a;
	}
	T_OK(mi.narenas == 64 && bad == 0, "all 64 arenas and 128,000 lines kept, in order");
	T_EQ_INT(sys, mi.total.system_current_bytes, "64 arenas: system current sums to the total");
	hl_malloc_info_free(&mi);
	hl_buf_free(&b);
}

int main(void)
{
	two_arenas();
	brk_pin_freed();
	sixteen_arenas();
	truncations("mi_two_arenas.xml");
	truncations("mi_brk_pin_freed.xml");
	truncations("mi_16_arenas.xml");
	truncation_messages();
	garbage_line();
	bad_input();
	tolerated();
	random_input();
	many_arenas();
	return t_done();
}
