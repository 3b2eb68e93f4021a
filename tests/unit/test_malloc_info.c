/*
 * test_malloc_info.c — the malloc_info parser on real XML from this machine:
 * two arenas with fastbin, bin and unsorted chunks and an mmapped chunk
 * (tests/fixtures/make/capture.c), and brk_pin's 1 GiB free chunk; then on
 * every truncation, a wrong version, non-numbers and garbage.
 */
#include "heaplab.h"
#include "t.h"

static void two_arenas(void)
{
	size_t len;
	char *buf = t_fixture("mi_two_arenas.xml", &len);
	hl_malloc_info_t mi;
	hl_error_t err = {0};
	T_EQ_INT(hl_malloc_info_parse(buf, len, &mi, &err), 0, "two-arena malloc_info parses");
	T_EQ_INT(mi.narenas, 2, "two arenas");
	if (mi.narenas != 2) {
		free(buf);
		return;
	}
	const hl_mi_arena_t *a0 = &mi.arenas[0], *a1 = &mi.arenas[1];
	T_EQ_INT(a0->nr, 0, "arena 0 nr");
	T_EQ_INT(a1->nr, 1, "arena 1 nr");
	T_EQ_INT(a0->fast_count, 13, "arena 0: 13 fastbin chunks (20 freed, 7 went to tcache)");
	T_EQ_INT(a0->fast_bytes, 624, "arena 0: 13 x 48 fastbin bytes");
	T_EQ_INT(a0->rest_count, 19, "arena 0 rest count");
	T_EQ_INT(a0->rest_bytes, 177970, "arena 0 rest bytes (top included)");
	T_EQ_INT(a0->system_current_bytes, 274432, "arena 0 system current");
	T_EQ_INT(a0->system_max_bytes, 274432, "arena 0 system max");
	T_EQ_INT(a0->aspace_total_bytes, 274432, "arena 0 aspace total");
	T_EQ_INT(a0->subheaps, HL_UNKNOWN, "the main arena has no subheaps figure");
	T_EQ_INT(a0->nbins, 17, "arena 0: 17 size lines");
	T_EQ_INT(a0->bins[0].from, 33, "first bin from (fastbin 48)");
	T_EQ_INT(a0->bins[0].to, 48, "first bin to");
	T_EQ_INT(a0->bins[0].total_bytes, 624, "first bin total");
	T_EQ_INT(a0->bins[0].count, 13, "first bin count");
	T_OK(!a0->bins[0].unsorted, "a <size> line is not unsorted");
	T_OK(a0->bins[a0->nbins - 1].unsorted, "the last line of arena 0 is <unsorted>");
	T_EQ_INT(a1->nbins, 1, "arena 1: one line");
	T_OK(a1->bins[0].unsorted && a1->bins[0].from == 401 && a1->bins[0].to == 5777 &&
		     a1->bins[0].total_bytes == 90446 && a1->bins[0].count == 30,
	     "arena 1: 30 chunks from 401 to 5777 in the unsorted bin");
	T_EQ_INT(a1->subheaps, 1, "arena 1: one subheap");
	T_EQ_INT(a1->system_current_bytes, 188416, "arena 1 system current");
	T_EQ_INT(mi.total.fast_count, 13, "total fast count");
	T_EQ_INT(mi.total.rest_bytes, 271520, "total rest bytes");
	T_EQ_INT(mi.total.mmap_count, 1, "one mmapped chunk");
	T_EQ_INT(mi.total.mmap_bytes, 1052672, "its 1 MiB + a page");
	T_EQ_INT(mi.total.system_current_bytes,
		 a0->system_current_bytes + a1->system_current_bytes,
		 "total system current == sum over arenas");
	T_EQ_INT(mi.total.rest_bytes, a0->rest_bytes + a1->rest_bytes, "total rest == sum");
	hl_malloc_info_free(&mi);
	T_OK(mi.arenas == NULL && mi.narenas == 0, "free empties it");

	/* every truncation is an error with a message, never a crash */
	int missed = 0;
	for (size_t cut = 0; cut + 1 < len; cut += 13) {
		char *copy = malloc(cut + 1);
		memcpy(copy, buf, cut);
		err.msg[0] = '\0';
		int rc = hl_malloc_info_parse(copy, cut, &mi, &err);
		if (rc == 0 || !err.msg[0])
			missed++;
		if (rc == 0)
			hl_malloc_info_free(&mi);
		free(copy);
	}
	T_EQ_INT(missed, 0, "every truncation is refused with a message");
	free(buf);
}

static void brk_pin_freed(void)
{
	size_t len;
	char *buf = t_fixture("mi_brk_pin_freed.xml", &len);
	hl_malloc_info_t mi;
	T_EQ_INT(hl_malloc_info_parse(buf, len, &mi, NULL), 0, "brk_pin malloc_info parses");
	T_EQ_INT(mi.narenas, 1, "one arena");
	/* 262,144 chunks of 4112 B merged into one free chunk, with the
	 * PREV_INUSE bit left in malloc_info's size */
	T_OK(mi.narenas == 1 && mi.arenas[0].nbins == 1 && mi.arenas[0].bins[0].unsorted &&
		     mi.arenas[0].bins[0].from == 262144LL * 4112 + 1,
	     "the freed GiB is one unsorted chunk of 262,144 x 4112 B (+ PREV_INUSE)");
	T_EQ_INT(mi.total.rest_bytes, 1077984113, "rest: the free chunk plus top");
	T_EQ_INT(mi.total.system_current_bytes, 1077985280, "system current: the 1 GiB heap");
	hl_malloc_info_free(&mi);
	free(buf);
}

static void bad_input(void)
{
	static const struct {
		const char *xml, *says;
	} cases[] = {
		{"", "no element"},
		{"<malloc version=\"2\"></malloc>", "only version 1"},
		{"<heap nr=\"0\"></heap>", "not <malloc>"},
		{"<malloc version=\"1\"><heap nr=\"x\"></heap></malloc>", "not a number"},
		{"<malloc version=\"1\"><heap nr=\"0\"><sizes><size from=\"1\" to=\"2\" "
		 "total=\"-3\" count=\"1\"/></sizes></heap></malloc>",
		 "not a number"},
		{"<malloc version=\"1\"><heap nr=\"0\"><total type=\"fast\" size=\"1\"/></heap></malloc>",
		 "no count attribute"},
		{"<malloc version=\"1\"><total type=\"rest\" count=\"1\" "
		 "size=\"99999999999999999999999\"/></malloc>",
		 "not a number"},
		{"\x89PNG garbage", "line 1"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		hl_malloc_info_t mi;
		hl_error_t err = {0};
		int rc = hl_malloc_info_parse(cases[i].xml, strlen(cases[i].xml), &mi, &err);
		T_OK(rc < 0 && strstr(err.msg, cases[i].says) && mi.narenas == 0,
		     "bad XML %zu refused, saying '%s' (%s)", i, cases[i].says, err.msg);
	}
	/* a later glibc's extra element and attribute are ignored */
	const char *future = "<malloc version=\"1\"><heap nr=\"0\" extra=\"1\"><sizes/><total "
			     "type=\"fast\" count=\"0\" size=\"0\"/><tcache count=\"7\"/></heap>"
			     "<total type=\"mmap\" count=\"2\" size=\"8192\"/></malloc>";
	hl_malloc_info_t mi;
	T_EQ_INT(hl_malloc_info_parse(future, strlen(future), &mi, NULL), 0,
		 "unknown elements and attributes are ignored");
	T_EQ_INT(mi.total.mmap_count, 2, "and the known ones still read");
	hl_malloc_info_free(&mi);

	/* 64 arenas, 600 bins each: no quadratic blow-up, all kept */
	hl_buf_t b = {0};
	hl_buf_printf(&b, "<malloc version=\"1\">\n");
	for (int a = 0; a < 64; a++) {
		hl_buf_printf(&b, "<heap nr=\"%d\"><sizes>\n", a);
		for (int k = 0; k < 600; k++)
			hl_buf_printf(&b, "<size from=\"%d\" to=\"%d\" total=\"%d\" count=\"1\"/>\n",
				      32 + 16 * k, 32 + 16 * k, 32 + 16 * k);
		hl_buf_printf(&b, "</sizes></heap>\n");
	}
	hl_buf_printf(&b, "</malloc>\n");
	T_EQ_INT(hl_malloc_info_parse(b.data, b.len, &mi, NULL), 0, "64 arenas x 600 bins parse");
	T_OK(mi.narenas == 64 && mi.arenas[63].nbins == 600 && mi.arenas[63].nr == 63,
	     "all arenas and bins kept");
	hl_malloc_info_free(&mi);
	hl_buf_free(&b);
}

int main(void)
{
	two_arenas();
	brk_pin_freed();
	bad_input();
	return t_done();
}
