/*
 * test_report.c — the report's pieces on data made here or read from
 * tests/fixtures: the heap map file written from a walk and read back (at
 * the zoom that fits, the class of each cell, the padding, refusals), its
 * SVG and gnuplot script; the RSS breakdown of a walked phase, of an older
 * record, of mallinfo2 alone and of a diagnosis; diagnosis.json read from
 * the fixture and refused when it is something else; an SVG made fit to
 * inline; and report.html / report.md of a run: sections, escaping,
 * nothing fetched, and recommendations with their bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"
#include "t.h"

#define PS 4096
#define MiB (1024LL * 1024)

/* ------------------------------------------------------------ heap map */

/* Two heaps: 600 pages (used, then 300 free-resident, 100 free-released,
 * top resident then top released) and one of 10 pages with no classes. */
static void make_walk(hl_walk_t *w, uint8_t *pages)
{
	memset(w, 0, sizeof *w);
	for (int i = 0; i < 600; i++)
		pages[i] = i < 100   ? HL_PAGE_USED
			   : i < 400 ? HL_PAGE_FREE_RESIDENT
			   : i < 500 ? HL_PAGE_FREE_RELEASED
			   : i < 550 ? HL_PAGE_TOP_RESIDENT
				     : HL_PAGE_TOP_RELEASED;
	/* a tie in the cell of pages 96..99 at zoom 2: two used, two held back */
	pages[98] = pages[99] = HL_PAGE_FREE_RESIDENT;
	static hl_walk_heap_t heaps[2];
	heaps[0] = (hl_walk_heap_t){0x555555554000, 0x555555554000 + 600 * PS, 0, pages, {0}};
	heaps[1] = (hl_walk_heap_t){0x7f0000000000, 0x7f0000000000 + 10 * PS, 1, NULL, {0}};
	w->heaps = heaps;
	w->nheaps = 2;
}

static void heapmap(void)
{
	static uint8_t pages[600];
	hl_walk_t w;
	make_walk(&w, pages);
	const hl_walk_heap_t *h = &w.heaps[0];
	T_EQ_INT(hl_heapmap_cell(h, 0, 0, PS), HL_PAGE_USED, "cell: page 0 is used");
	T_EQ_INT(hl_heapmap_cell(h, 0, 450, PS), HL_PAGE_FREE_RELEASED, "cell: page 450 released");
	T_EQ_INT(hl_heapmap_cell(h, 2, 24, PS), HL_PAGE_FREE_RESIDENT,
		 "cell of 4 pages, 2 used and 2 held back: held back wins the tie");
	T_EQ_INT(hl_heapmap_cell(h, 0, 600, PS), -1, "cell past the heap: -1");
	T_EQ_INT(hl_heapmap_cell(&w.heaps[1], 0, 0, PS), -1, "a heap without page classes: -1");

	hl_buf_t b = {0};
	hl_heapmap_t info, m;
	hl_error_t err = {0};
	T_EQ_INT(hl_heapmap_tsv(&w, PS, 100, &b, &info), 0, "tsv at most 100 rows");
	T_OK(info.cell_pages == 1 && info.rows == 4 && info.pages == 610 && info.heaps == 2,
	     "zoom 0 fits: 3 rows of 600 pages, 1 of 10 (cell_pages %lld, rows %lld)",
	     (long long)info.cell_pages, (long long)info.rows);
	T_OK(strstr(b.data, "# cell_pages=1 page_bytes=4096 pages=610 heaps=2 rows=4\n") != NULL,
	     "the file says what a cell is");
	T_EQ_INT(hl_heapmap_parse(b.data, b.len, &m, &err), 0, "read back (%s)", err.msg);
	T_OK(m.rows == 4 && m.cell_pages == 1 && m.page_bytes == PS && m.pages == 610 &&
		     m.heaps == 2,
	     "rows and what the comment said");
	bool same = true;
	for (int i = 0; i < 600; i++)
		same &= m.cells[i] == pages[i];
	T_OK(same, "every page's class, in order");
	T_OK(m.cells[600] == -1 && m.cells[3 * 256 - 1] == -1, "the last row of a heap is padded with -1");
	T_OK(m.cells[3 * 256] == -1, "a heap without classes is -1");
	T_EQ_INT(m.ncells[HL_PAGE_FREE_RESIDENT], 302, "cells of each class are counted");
	hl_buf_t svg = {0};
	T_EQ_INT(hl_heapmap_svg(&m, &svg), 0, "svg");
	T_OK(strstr(svg.data, "<svg class=\"heapmap\" viewBox=\"0 0 256 4\"") &&
		     strstr(svg.data, "<path fill=\"#c44e52\" d=\"M98 0h158v1h-158zM0 1h144v1h-144z\"") &&
		     !strstr(svg.data, "://"),
	     "svg: one rectangle per run of a class, nothing outside itself");
	hl_buf_free(&svg);
	hl_heapmap_free(&m);

	T_EQ_INT(hl_heapmap_tsv(&w, PS, 2, &b, &info), 0, "tsv at most 2 rows");
	T_OK(info.cell_pages == 4 && info.rows == 2, "zooms out to 4 pages a cell (%lld)",
	     (long long)info.cell_pages);
	T_EQ_INT(hl_heapmap_parse(b.data, b.len, &m, &err), 0, "read back");
	T_OK(m.rows == 2 && m.cells[24] == HL_PAGE_FREE_RESIDENT && m.cells[149] == HL_PAGE_TOP_RELEASED &&
		     m.cells[150] == -1,
	     "the cells of 4 pages take their pages' class");
	hl_buf_t gp = {0};
	T_EQ_INT(hl_heapmap_script(&m, "brk_pin, phase 'freed'", "heapmap-freed.tsv",
				   "report-heapmap-freed.png", &gp),
		 0, "script");
	T_OK(strstr(gp.data, "set output 'report-heapmap-freed.png'") &&
		     strstr(gp.data, "plot 'heapmap-freed.tsv' matrix with image") &&
		     strstr(gp.data, "brk_pin, phase ''freed'': 610 pages in 2 heap(s), one cell = 16.0 KiB"),
	     "script: draws the file into the PNG, with a title that says the scale");
	hl_buf_free(&gp);
	hl_heapmap_free(&m);

	static const struct {
		const char *text, *says;
	} bad[] = {
		{"", "no rows"},
		{"# only a comment\n", "no rows"},
		{"0\t1\t2\n", "line 1: not 256 cells"},
		{"7", "line 1: not 256 cells"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = '\0';
		int rc = hl_heapmap_parse(bad[i].text, strlen(bad[i].text), &m, &err);
		T_OK(rc == HL_EPARSE && strstr(err.msg, bad[i].says) && !m.cells,
		     "bad heap map %zu refused (%s)", i, err.msg);
	}
	/* one good row with one cell out of range */
	hl_buf_reset(&b);
	for (int i = 0; i < 256; i++)
		hl_buf_printf(&b, "%s%c", i == 17 ? "5" : "0", i < 255 ? '\t' : '\n');
	T_EQ_INT(hl_heapmap_parse(b.data, b.len, &m, &err), HL_EPARSE, "a class out of range is refused");
	hl_buf_free(&b);
}

/* ------------------------------------------------------------ breakdown */

/* brk_pin's 'freed' phase with 20000 blocks, as run.json has it. */
static void freed_phase(hl_phase_t *p)
{
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "freed");
	p->rss_bytes = 84094976;
	p->heap_rss_bytes = 82243584;
	p->heap_bytes = 82333696;
	p->mallinfo2 = (hl_mallinfo_t){true, 82333696, 2, 0, 0, 0, 0, 0, 1168, 82332528, 92528};
	p->walk_valid = true;
	struct hl_walk_summary *w = &p->walk;
	w->mallinfo2 = p->mallinfo2;
	w->live_bytes = 496;
	w->top_bytes = 92528;
	w->held_back_bytes = 82235392;
	w->released_bytes = 90112;
	w->releasable_bytes = 82235392;
	w->overhead_bytes = 672;
	w->bin_bytes = 82240000;
	w->top_released_bytes = 90112;
	w->mmap_threshold = 131072;
	w->trim_threshold = 131072;
}

static void breakdown(void)
{
	hl_phase_t p;
	hl_breakdown_t b;
	freed_phase(&p);
	hl_breakdown_phase(&p, &b);
	T_OK(b.bytes[HL_BD_LIVE] == 496 && b.bytes[HL_BD_OVERHEAD] == 672 &&
		     b.bytes[HL_BD_BIN] == 82240000 && b.bytes[HL_BD_TOP] == 92528 - 90112 &&
		     b.bytes[HL_BD_RELEASED] == 90112 && b.bytes[HL_BD_MMAP] == 0,
	     "walk: live, overhead, bins held back, top less its released pages");
	T_EQ_INT(b.bytes[HL_BD_REST], 84094976 - 496 - 672 - 82240000 - 2416,
		 "walk: the rest of RSS is what the heap parts do not cover");
	T_EQ_INT(hl_breakdown_resident(&b), p.rss_bytes, "walk: the resident parts add up to RSS");
	T_OK(b.bytes[HL_BD_IN_USE] == HL_UNKNOWN && !strcmp(b.basis, "walk"),
	     "walk: mallinfo2's in use is not a segment too");

	/* a record from before overhead, bins and top's released pages */
	p.walk.overhead_bytes = p.walk.bin_bytes = p.walk.top_released_bytes = HL_UNKNOWN;
	hl_breakdown_t old;
	hl_breakdown_phase(&p, &old);
	T_OK(old.bytes[HL_BD_OVERHEAD] == 672 && old.bytes[HL_BD_BIN] == 82240000 &&
		     old.bytes[HL_BD_TOP] == 2416,
	     "an older record: overhead and bins from mallinfo2, released counted in top first");
	/* after the trim, released pages are in the bins, not the 2416-byte top */
	p.walk.top_bytes = 2416;
	p.walk.released_bytes = 82235392;
	p.walk.mallinfo2.fordblks = 82242416;
	hl_breakdown_phase(&p, &old);
	T_OK(old.bytes[HL_BD_TOP] == 2416 && old.bytes[HL_BD_BIN] == 82240000 - 82235392,
	     "an older record: a top smaller than a page has no released page");

	/* mallinfo2 alone: the free part held back as far as heap RSS shows */
	freed_phase(&p);
	p.walk_valid = false;
	p.heap_rss_bytes = 8192;
	p.rss_bytes = 1859584;
	hl_breakdown_phase(&p, &b);
	T_OK(b.bytes[HL_BD_IN_USE] == 1168 && b.bytes[HL_BD_FREE] == 8192 - 1168 &&
		     b.bytes[HL_BD_RELEASED] == 82332528 - (8192 - 1168) && b.bytes[HL_BD_LIVE] < 0,
	     "mallinfo2: in use, free held back from heap RSS, the rest released");
	T_EQ_INT(hl_breakdown_resident(&b), 1859584, "mallinfo2: adds up to RSS");
	p.mallinfo2.valid = false;
	hl_breakdown_phase(&p, &b);
	T_OK(b.bytes[HL_BD_REST] == 1859584 && !strcmp(b.basis, "RSS only"),
	     "another allocator: RSS, not split");

	hl_breakdown_t d;
	hl_breakdown_init(&d, "now");
	d.rss_bytes = 1000;
	T_EQ_INT(hl_breakdown_add_part(&d, "bin_held", 600), HL_BD_BIN, "part bin_held: bins");
	T_EQ_INT(hl_breakdown_add_part(&d, "stacks", 100), HL_BD_STACK, "part stacks");
	T_EQ_INT(hl_breakdown_add_part(&d, "other", 50), HL_BD_REST, "part other: rest");
	T_EQ_INT(hl_breakdown_add_part(&d, "something_new", 25), HL_BD_REST, "an unknown part: rest");
	T_EQ_INT(d.bytes[HL_BD_REST], 75, "parts add up in their segment");

	hl_breakdown_t two[2] = {b, d};
	freed_phase(&p);
	hl_breakdown_phase(&p, &two[0]);
	hl_buf_t out = {0};
	T_EQ_INT(hl_breakdown_tsv(two, 2, &out), 0, "tsv");
	T_OK(!strncmp(out.data, "bar\tlive\toverhead\ttcache\t", 25) &&
		     strstr(out.data, "\nfreed\t496\t672\t0\t0\t82240000\t2416\t0\tNA\t") &&
		     strstr(out.data, "\nnow\tNA\tNA\tNA\tNA\t600\t"),
	     "tsv: a row per bar, bytes, NA where not known");
	T_EQ_INT(hl_breakdown_script(two, 2, "t", "report-breakdown.tsv", "report-breakdown.png", &out),
		 0, "script");
	T_OK(strstr(out.data, "rowstacked") && strstr(out.data, "using (column(6)/MiB)") &&
		     strstr(out.data, "fs pattern"),
	     "script: stacked bars, bins from their column, released hatched");
	T_EQ_INT(hl_breakdown_svg(two, 2, &out), 0, "svg");
	T_OK(strstr(out.data, "<svg class=\"breakdown\"") &&
		     strstr(out.data, "<title>freed: bins, held back 78.4 MiB</title>") &&
		     strstr(out.data, "<title>RSS 80.2 MiB</title>") && !strstr(out.data, "://"),
	     "svg: a rectangle per segment, the RSS mark, nothing outside itself");
	hl_buf_free(&out);
}

/* ------------------------------------------------------------ diagnosis.json */

static void diagfile(void)
{
	size_t len;
	char *text = t_fixture("diagnosis/diagnosis.json", &len);
	hl_diagfile_t d;
	hl_error_t err = {0};
	T_EQ_INT(hl_diagfile_parse(text, len, &d, &err), 0, "the fixture reads (%s)", err.msg);
	T_OK(d.pid == 4242 && !strcmp(d.command, "cache-server --port 6379") &&
		     !strcmp(d.glibc, "2.36") && d.rss_bytes == 1107296256 && d.threads == 8,
	     "what was diagnosed");
	T_OK(d.nparts == 12 && !strcmp(d.parts[0].name, "live_heap") &&
		     d.parts[4].bytes == 805306368 && !strcmp(d.parts[11].name, "heap_not_walked"),
	     "parts, in the file's order");
	T_OK(d.narenas == 2 && d.arenas[0].main && !d.arenas[1].main && d.arenas[1].heaps == 2,
	     "arenas");
	T_EQ_STR(d.verdict_kind, "retention", "verdict kind");
	T_OK(d.nwatch == 4 && d.watch[3].t_ms == 3000 && d.watch[3].live_bytes == 209723392,
	     "watch samples, t_s in milliseconds");
	T_OK(d.nrecs == 2 && d.recs[0].bytes == 801112064 &&
		     !strcmp(d.recs[0].why, "764 MiB of free chunks in the bins are resident & "
					    "releasable; malloc_trim gives back whole pages inside "
					    "them <not the address space>"),
	     "recommendations, word for word");
	T_OK(d.have_trim && d.trim_rss_after == 306184192, "trim");
	hl_report_t r;
	memset(&r, 0, sizeof r);
	r.kind = HL_REPORT_DIAGNOSIS;
	r.diag = &d;
	hl_breakdown_t *b;
	size_t n;
	T_EQ_INT(hl_report_breakdowns(&r, &b, &n), 0, "its breakdown");
	T_OK(n == 1 && b[0].bytes[HL_BD_BIN] == 805306368 && b[0].bytes[HL_BD_REST] == 8192 + 516096 &&
		     hl_breakdown_resident(&b[0]) == d.rss_bytes,
	     "one bar: the parts, 'other' and the remainder as the rest; they add up to RSS");
	free(b);
	hl_diagfile_free(&d);
	free(text);

	static const struct {
		const char *text, *says;
		int rc;
	} bad[] = {
		{"{\"format\": \"heaplab-diagnosis\", \"version\": 2}", "reads version 1 only",
		 HL_ESCHEMA},
		{"{\"format\": \"heaplab-diagnosis\", \"version\": 1.9}", "reads version 1 only",
		 HL_ESCHEMA},
		{"{\"format\": \"other\", \"version\": 1}", "is not \"heaplab-diagnosis\"", HL_EPARSE},
		{"{\"format\": \"heaplab-diagnosis\", \"version\": 1, \"verdict\": {}}",
		 "\"parts\" is missing", HL_EPARSE},
		{"{\"format\": \"heaplab-diagnosis\", \"version\": 1, \"parts\": {}}",
		 "\"verdict\" is missing", HL_EPARSE},
		{"{\"format\": \"heaplab-diag", "not JSON", HL_EPARSE},
		{"[]", "not a JSON object", HL_EPARSE},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = '\0';
		int rc = hl_diagfile_parse(bad[i].text, strlen(bad[i].text), &d, &err);
		T_OK(rc == bad[i].rc && strstr(err.msg, bad[i].says) && !d.parts,
		     "refused: %s (%s)", bad[i].text, err.msg);
	}
	const char *least = "{\"format\": \"heaplab-diagnosis\", \"version\": 1, \"parts\": {}, "
			    "\"verdict\": {\"kind\": \"unknown\", \"text\": \"\"}}";
	T_EQ_INT(hl_diagfile_parse(least, strlen(least), &d, &err), 0, "the least a diagnosis has");
	T_OK(d.rss_bytes == HL_UNKNOWN && d.nwatch == 0 && d.nrecs == 0 && !d.have_trim,
	     "what it lacks is unknown, never 0");
	hl_diagfile_free(&d);
}

/* ------------------------------------------------------------ inline SVG */

static void inline_svg(void)
{
	const char gp[] = "<?xml version=\"1.0\" encoding=\"utf-8\"  standalone=\"no\"?>\n"
			  "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" "
			  "\"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n"
			  "<svg \n viewBox=\"0 0 1200 700\"\n xmlns=\"http://www.w3.org/2000/svg\"\n"
			  " xmlns:xlink=\"http://www.w3.org/1999/xlink\"\n>\n"
			  "<use xlink:href='#gpPt6' transform='translate(1,2)'/>\n</svg>\n\n";
	char why[160];
	char *s = hl_report_inline_svg(gp, strlen(gp), why, sizeof why);
	T_OK(s && !strncmp(s, "<svg \n viewBox=\"0 0 1200 700\"", 29) && !strstr(s, "xmlns") &&
		     !strstr(s, "://") &&
		     strstr(s, "xlink:href='#gpPt6'") && s[strlen(s) - 1] == '>',
	     "gnuplot's SVG: prolog, DOCTYPE and namespaces gone, its own references kept");
	free(s);
	static const struct {
		const char *svg, *says;
	} bad[] = {
		{"<svg><script>alert(1)</script></svg>", "script"},
		{"<svg onload=\"x()\"><g/></svg>", "script"},
		{"<svg><SCRIPT/></svg>", "script"},
		{"<svg><image href=\"https://example.org/a.png\"/></svg>", "outside itself"},
		{"<svg><style>@import 'a.css';</style></svg>", "outside itself"},
		{"<svg><image href=\"//evil.example/x.png\"/></svg>", "outside itself"},
		{"<svg><rect style=\"fill: url(//evil.example/p)\"/></svg>", "outside itself"},
		{"<svg><use xlink:href='other.svg#a'/></svg>", "outside itself"},
		{"<html>no svg</html>", "not an SVG"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		s = hl_report_inline_svg(bad[i].svg, strlen(bad[i].svg), why, sizeof why);
		T_OK(!s && strstr(why, bad[i].says), "not inlined: %s (%s)", bad[i].svg, why);
		free(s);
	}
	const char *own = "<svg><rect style=\"fill: url(#grad)\"/><use href=\"#p\"/></svg>";
	s = hl_report_inline_svg(own, strlen(own), why, sizeof why);
	T_OK(s != NULL, "its own #references are inlined (%s)", s ? "" : why);
	free(s);
}

/* ------------------------------------------------------------ the report */

static void make_run(hl_run_t *run)
{
	hl_run_init(run);
	snprintf(run->experiment, sizeof run->experiment, "brk_pin");
	snprintf(run->program, sizeof run->program, "/opt/<b>&co|lab</b>/brk_pin");
	snprintf(run->glibc, sizeof run->glibc, "2.36");
	snprintf(run->kernel, sizeof run->kernel, "6.1.0-18-amd64");
	snprintf(run->allocator, sizeof run->allocator, "glibc");
	snprintf(run->status, sizeof run->status, "complete");
	run->complete = true;
	run->exit_code = 0;
	hl_run_add_param(run, "blocks", "20000");
	hl_phase_t p;
	freed_phase(&p);
	snprintf(p.name, sizeof p.name, "allocated");
	p.mallinfo2.uordblks = 82241168;
	p.mallinfo2.fordblks = 92528;
	p.walk.mallinfo2 = p.mallinfo2;
	p.walk.live_bytes = 82080496;
	p.walk.bin_bytes = p.walk.held_back_bytes = p.walk.releasable_bytes = 0;
	p.walk.overhead_bytes = 160672;
	hl_run_add_phase(run, &p);
	freed_phase(&p);
	hl_run_add_phase(run, &p);
}

static void report(void)
{
	hl_run_t run;
	make_run(&run);
	hl_report_t r;
	memset(&r, 0, sizeof r);
	r.kind = HL_REPORT_RUN;
	r.run = &run;
	snprintf(r.dir, sizeof r.dir, "results/brk_pin/x");
	snprintf(r.generated, sizeof r.generated, "2026-11-30T12:00:00Z");
	hl_report_note(&r, "samples.tsv is missing: there is no time series");
	char files[2][256] = {"run.json", "heapmap freed#1.tsv"};
	r.files = files;
	r.nfiles = 2;

	hl_advice_t adv[8];
	size_t n = hl_report_advise(&r, adv, 8);
	T_OK(n >= 2 && strstr(adv[0].action, "malloc_trim(0)") && adv[0].bytes == 82235392 &&
		     strstr(adv[0].why, "at phase 'freed' 78.4 MiB"),
	     "advice: malloc_trim, with the releasable bytes and the phase");
	T_OK(n >= 2 && strstr(adv[1].action, "long-lived") && adv[1].bytes == 82240000,
	     "advice: the pin, with the bytes in the bins");
	run.phases[1].walk.tcache_bytes = 5 * MiB;
	run.phases[1].walk.mmap_threshold = 1052672;
	n = hl_report_advise(&r, adv, 8);
	bool tc = false, mm = false;
	for (size_t i = 0; i < n; i++) {
		tc |= strstr(adv[i].action, "tcache_count=0") && adv[i].bytes == 5 * MiB;
		mm |= strstr(adv[i].action, "mmap_threshold=131072") && adv[i].bytes == 1052672;
	}
	T_OK(tc && mm, "advice: tcache and a drifted mmap threshold, each with its bytes");
	snprintf(run.tunables, sizeof run.tunables, "glibc.malloc.tcache_count=0");
	n = hl_report_advise(&r, adv, 8);
	tc = false;
	for (size_t i = 0; i < n; i++)
		tc |= strstr(adv[i].action, "tcache_count") != NULL;
	T_OK(!tc, "advice: not a tunable the run already set");
	run.tunables[0] = '\0';
	run.phases[1].walk.tcache_bytes = 0;
	run.phases[1].walk.mmap_threshold = 131072;

	hl_buf_t h = {0};
	T_EQ_INT(hl_report_html(&r, &h), 0, "html");
	const char *ids[] = {"summary", "missing", "verdict", "phases", "breakdown", "heapmaps",
			     "recommendations", "files"};
	bool all = true;
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		char want[64];
		snprintf(want, sizeof want, "<section id=\"%s\">", ids[i]);
		all &= strstr(h.data, want) != NULL;
	}
	T_OK(all, "html: every section");
	T_OK(strstr(h.data, "/opt/&lt;b&gt;&amp;co|lab&lt;/b&gt;/brk_pin") && !strstr(h.data, "<b>&co"),
	     "html: names from the run are escaped");
	T_OK(strstr(h.data, "<li>samples.tsv is missing: there is no time series</li>"),
	     "html: says what is missing");
	T_OK(strstr(h.data, "<a href=\"heapmap%20freed%231.tsv\">heapmap freed#1.tsv</a>"),
	     "html: file links are relative and encoded");
	T_OK(strstr(h.data, "No heap map: no phase was walked") == NULL &&
		     strstr(h.data, "<section id=\"heapmaps\"><h2>Heap maps</h2>\n<p class=\"missing\">"),
	     "html: the walked run without maps given says it has none");
	T_OK(!strstr(h.data, "://") && !strstr(h.data, "<script") && !strstr(h.data, "<img"),
	     "html: nothing fetched, no script");
	T_OK(strstr(h.data, "title=\"82235392 bytes\">78.4 MiB</td>") != NULL,
	     "html: recommendation bytes, exact in the title");
	T_EQ_INT(hl_report_markdown(&r, &h), 0, "markdown");
	T_OK(strstr(h.data, "| program | /opt/\\<b\\>&co\\|lab\\</b\\>/brk\\_pin |") &&
		     strstr(h.data, "- [heapmap freed\\#1.tsv](heapmap%20freed%231.tsv)") &&
		     strstr(h.data, "(no PNG of this picture; report.html shows it)"),
	     "markdown: escaped cells, encoded links, a missing PNG said");
	hl_buf_free(&h);
	hl_run_free(&run);
}

int main(void)
{
	heapmap();
	breakdown();
	diagfile();
	inline_svg();
	report();
	hl_buf_t b = {0};
	hl_markup_html(&b, "<a href='x'>&\n");
	T_EQ_STR(b.data, "&lt;a href=&#39;x&#39;&gt;&amp; ", "markup: html");
	hl_buf_free(&b);
	return t_done();
}
