/*
 * test_hv_step.c — teaching mode without a terminal: synthetic snapshots of
 * two phases (a heap of used pages, then the same heap freed below a pin)
 * go through the model's frames and the layout. The cells whose class
 * changed are marked and only those; the pin's cell is P; the title says
 * "phase NAME (k/N)" and "waiting: n for next"; the changes row gives RSS,
 * live, held back and released since the previous phase; p shows the
 * earlier frame and n comes back; l toggles the lesson panel, whose lines
 * are the experiment's with this run's figures; every row fits 80x24 and
 * 120x40. And the numbers people read: hl_units_ratio at its extremes, the
 * lesson's placeholders and conditions, and every experiment's own lines.
 */
#include <errno.h>
#include <math.h>

#include "heapview.h"
#include "hv_t.h"
#include "t.h"

#define PS 4096
#define BASE 0x555500000000ULL

/* One heap of 64 pages. allocated: 60 used, 4 top. freed: pages 0-58 free
 * and resident, page 59 used (the pin's), 60-63 top; a pin of 32 bytes at
 * page 59. */
static void snapshot(hv_snapshot_t *s, bool freed)
{
	memset(s, 0, sizeof *s);
	s->pid = 4242;
	snprintf(s->status.name, sizeof s->status.name, "brk_pin");
	s->status.vm_rss_bytes = 80LL << 20;
	s->status.vm_size_bytes = 81LL << 20;
	s->walk_valid = true;
	hl_walk_t *w = &s->walk;
	w->complete = true;
	w->narenas = 1;
	w->arenas = calloc(1, sizeof *w->arenas);
	w->arenas[0].main = true;
	w->arenas[0].system_bytes = 64 * PS;
	w->arenas[0].nheaps = 1;
	w->live_bytes = freed ? 776 : 60 * PS;
	w->held_back_bytes = freed ? 59 * PS : 0;
	w->released_bytes = 92 << 10;
	w->top_bytes = 4 * PS;
	w->nheaps = 1;
	w->heaps = calloc(1, sizeof *w->heaps);
	hl_walk_heap_t *h = &w->heaps[0];
	h->start = BASE;
	h->end = BASE + 64 * PS;
	h->pages = calloc(64, 1);
	for (int p = 0; p < 64; p++)
		h->pages[p] = p >= 60  ? HL_PAGE_TOP_RESIDENT
			      : freed && p < 59 ? HL_PAGE_FREE_RESIDENT
					      : HL_PAGE_USED;
	if (freed) {
		s->npins = 1;
		s->pins[0] = (hl_heap_pin_t){.arena = 0, .addr = BASE + 59 * PS, .size = 32,
					     .first = BASE + 59 * PS, .chunks = 1, .bytes = 32};
	}
	s->regions.n = 1;
	s->regions.v = calloc(1, sizeof *s->regions.v);
	s->regions.v[0] = (hl_region_t){.start = BASE, .end = BASE + 64 * PS,
					.cls = HL_REGION_BRK_HEAP};
}

/* The map's first row (the one led by BASE's address). */
static int map_row(const hv_screen_t *s)
{
	return find(s, "555500000000 ");
}

static int marked(const hv_screen_t *s)
{
	int n = 0;
	for (int i = 0; i < s->rows * s->cols; i++)
		n += s->cell[i].mark;
	return n;
}

/* The figure rows (1 to 5) and the lesson panel's end inside the screen,
 * their last column blank: nothing was cut at the edge (the strip, the
 * sparklines' right-aligned figures and the map fill it on purpose). */
static bool fits(const hv_screen_t *s)
{
	int from = find(s, "lesson at"), to = find(s, "# used");
	for (int r = 1; r < s->rows - 2; r++)
		if ((r <= 5 || (from > 0 && r >= from && r < to)) &&
		    s->cell[r * s->cols + s->cols - 1].ch != ' ')
			return false;
	return true;
}

static void lesson(hl_lesson_t *l)
{
	static const char describe[] =
		"name: brk_pin\nphases: allocated freed trimmed\n"
		"param: blocks 262144 1 16777216 how many\nparam: pin 1 0 1 the pin\n"
		"step: allocated: {p:blocks} blocks: live {live}, RSS {rss}.\n"
		"step: freed [pin=1]: {freed} freed; RSS still {rss} ({d_rss}): the {pin_size} chunk "
		"at {pin_addr} (P) sits between the free chunk and top.\n"
		"step: freed [pin=0]: no pin: the heap shrank.\n"
		"step: freed: held back {held_back}, ratio {ratio}.\n";
	hl_error_t err = {0};
	T_EQ_INT(hl_lesson_parse(describe, sizeof describe - 1, l, &err), 0, "the lesson parses");
	T_EQ_INT(l->nlines, 4, "four step lines");
	T_EQ_INT(l->nphases, 3, "three declared phases");
	T_EQ_INT(hl_lesson_check(l, &err), 0, "its placeholders all exist (%s)", err.msg);
	T_EQ_INT(hl_lesson_param_set(l, "--blocks=20000"), 0, "--blocks=20000 sets a parameter");
	T_EQ_INT(hl_lesson_param_set(l, "--nope=1"), -ENOENT, "an unknown one is said so");
}

static void numbers(void)
{
	char b[32];
	T_EQ_STR(hl_units_ratio(0, b, sizeof b), "0 x", "ratio 0");
	T_EQ_STR(hl_units_ratio(0.001, b, sizeof b), "<0.1 x", "a tiny ratio");
	T_EQ_STR(hl_units_ratio(1, b, sizeof b), "1.0 x", "ratio 1");
	T_EQ_STR(hl_units_ratio(16, b, sizeof b), "16.0 x", "ratio 16");
	T_EQ_STR(hl_units_ratio(250.4, b, sizeof b), "250 x", "ratio 250");
	T_EQ_STR(hl_units_ratio(1024, b, sizeof b), "1.0K x", "ratio 1024");
	T_EQ_STR(hl_units_ratio(108903.2, b, sizeof b), "109K x", "ratio 108903");
	T_EQ_STR(hl_units_ratio(1394001.8, b, sizeof b), "1.4M x", "ratio 1394001.8: 1.4M x");
	T_EQ_STR(hl_units_ratio(1e12, b, sizeof b), "> 10^9", "ratio 1e12: > 10^9");
	T_EQ_STR(hl_units_ratio(-1, b, sizeof b), "n/a", "unknown (negative): n/a");
	T_EQ_STR(hl_units_ratio(NAN, b, sizeof b), "n/a", "unknown (NaN): n/a");
	T_EQ_STR(hl_units_ratio(hl_figures_frag_ratio(HL_UNKNOWN, 100), b, sizeof b), "n/a",
		 "RSS unknown: n/a");
	double worst[] = {0.06, 99.94, 999.4, 99949, 999499, 99.94e6, 999.4e6, 5e300};
	bool narrow = true;
	for (size_t i = 0; i < sizeof worst / sizeof worst[0]; i++)
		narrow = narrow && strlen(hl_units_ratio(worst[i], b, sizeof b)) <= 7;
	T_OK(narrow, "every ratio at most 7 characters");
}

static void fill(void)
{
	hl_lesson_t l;
	lesson(&l);
	hl_lesson_figs_t f;
	hl_lesson_figs_init(&f);
	char out[HL_LESSON_TEXT];
	f.params = l.params;
	f.nparams = l.nparams;
	T_EQ_INT(hl_lesson_fill("{freed} freed, {d_rss}, {pin}, {ratio}", &f, out, sizeof out), 0,
		 "all placeholders known");
	T_EQ_STR(out, "unknown freed, change unknown, no pin found, n/a",
		 "unknown figures say unknown, never 0");
	f.rss = 80LL << 20;
	f.prev_rss = 80LL << 20;
	f.live = 776;
	f.prev_live = 60 * PS;
	f.have_pin = true;
	f.pin_addr = 0x55e7b87d6790ULL;
	f.pin_bytes = 32;
	hl_lesson_fill("{freed} freed; RSS {rss} ({d_rss}); {pin}; {p:blocks}; {nope}", &f, out,
		       sizeof out);
	T_EQ_STR(out, "239.2 KiB freed; RSS 80.0 MiB (no change); 32 B at 0x55e7b87d6790; 20000; "
		      "{nope}",
		 "figures filled; a parameter's run value; an unknown placeholder kept as written");
	f.live_estimated = true;
	hl_lesson_fill("{live} {freed} {d_live}", &f, out, sizeof out);
	T_EQ_STR(out, "~776 B ~239.2 KiB ~-239.2 KiB", "estimates carry ~");
	char lines[4][HL_LESSON_TEXT];
	T_EQ_INT(hl_lesson_lines(&l, "freed", &f, lines, 4), 2, "freed with pin=1: two lines");
	hl_lesson_param_set(&l, "--pin=0");
	T_EQ_INT(hl_lesson_lines(&l, "freed", &f, lines, 4), 2, "with pin=0: two lines...");
	T_EQ_STR(lines[0], "no pin: the heap shrank.", "...the pin=0 one first");
	hl_lesson_line_t x;
	hl_error_t err = {0};
	T_OK(hl_lesson_step_parse("roundN_freed: x", 15, &x, &err) == 0 &&
		     hl_lesson_phase_match(x.phase, "round12_freed") &&
		     !hl_lesson_phase_match(x.phase, "round_freed") &&
		     !hl_lesson_phase_match(x.phase, "round1_allocated"),
	     "N in a step's phase stands for a number");
	T_OK(hl_lesson_step_parse("freed [pin=1 x", 14, &x, &err) != 0, "a bad condition is refused");
	T_OK(hl_lesson_step_parse("no colon here", 13, &x, &err) != 0 && strstr(err.msg, "PHASE"),
	     "a line without 'PHASE: ' is refused, and says the form");
}

/* Every experiment's own lines: each declared phase has two or three, on
 * the default parameters, and every placeholder exists. */
static void experiments(void)
{
	static const char *const names[] = {
		"arena_bloat",	     "brk_pin",		 "cross_thread_free", "fastbin_consolidate",
		"first_free_pin",    "leak_vs_retention", "mmap_threshold_drift", "phased_lifetimes",
		"pool_vs_malloc",    "realloc_growth",	 "swiss_cheese",      "tcache_pin",
		"top_trim",	     "zmalloc_accounting"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[256];
		snprintf(path, sizeof path, "build/experiments/%s", names[i]);
		hl_buf_t b = {0};
		hl_lesson_t *l = calloc(1, sizeof *l);
		hl_error_t err = {0};
		int rc = hl_lesson_describe(path, &b);
		T_OK(rc == 0 && hl_lesson_parse(b.data, b.len, l, &err) == 0, "%s --describe parses",
		     names[i]);
		T_OK(hl_lesson_check(l, &err) == 0, "%s: every placeholder and condition exists (%s)",
		     names[i], err.msg);
		/* the phases to check: the declared ones, or a pattern's first round */
		char phases[256];
		snprintf(phases, sizeof phases, "%s",
			 l->nphases ? l->phases : "round1_allocated round1_freed");
		bool ok = true;
		char bad[128] = "";
		for (char *p = strtok(phases, " "); p; p = strtok(NULL, " ")) {
			size_t n = 0;
			for (size_t k = 0; k < l->nlines; k++)
				n += hl_lesson_applies(&l->line[k], p, l->params, l->nparams);
			if (n < 2 || n > 3) {
				ok = false;
				snprintf(bad, sizeof bad, "'%s' has %zu", p, n);
			}
		}
		T_OK(ok, "%s: two or three lines at each phase %s", names[i], bad);
		free(l);
		hl_buf_free(&b);
	}
}

int main(void)
{
	numbers();
	fill();
	experiments();

	hl_lesson_t l;
	lesson(&l);
	hv_model_t m;
	hv_screen_t scr = {0};
	hv_model_init(&m, 4242, "brk_pin (step)");
	m.step = m.lesson_on = true;
	m.lesson = &l;
	m.phases_declared = l.nphases;
	T_EQ_INT(hv_screen_resize(&scr, 24, 80), 0, "an 80x24 screen");

	/* phase 1: allocated */
	hv_snapshot_t s;
	snapshot(&s, false);
	hv_model_update(&m, &s, 1.0);
	snprintf(m.phase, sizeof m.phase, "allocated");
	m.nphases = 1;
	m.waiting = true;
	hv_model_frame(&m);
	T_EQ_INT(m.nframes, 1, "the first phase is kept as a frame");
	hv_layout(&m, &scr);
	T_OK(strstr(row(&scr, 0), "phase allocated (1/3)  waiting: n for next") != NULL,
	     "title: phase allocated (1/3), waiting: n for next: %s", row(&scr, 0));
	T_EQ_INT(marked(&scr), 0, "the first phase: nothing marked as changed");
	T_OK(find(&scr, "changes: none to show") == 5, "the changes row says there is nothing yet");
	T_OK(find(&scr, "lesson at allocated") >= 0 &&
		     find(&scr, "20000 blocks: live 240.0 KiB, RSS 80.0 MiB.") >= 0,
	     "the lesson panel: this phase's line with this run's figures");

	/* phase 2: freed below the pin */
	snapshot(&s, true);
	hv_model_update(&m, &s, 2.0);
	T_EQ_INT(m.nframes, 1, "a new walk does not free the kept frame");
	snprintf(m.phase, sizeof m.phase, "freed");
	m.nphases = 2;
	hv_model_frame(&m);
	hv_layout(&m, &scr);
	T_OK(strstr(row(&scr, 0), "phase freed (2/3)  waiting: n for next") != NULL,
	     "title: phase freed (2/3)");
	int mr = map_row(&scr);
	T_OK(mr > 0, "the map is drawn (row %d)", mr);
	/* 64 pages, one a cell at 80 columns: cells 0-58 changed (# -> o) */
	int cells_marked = 0, wrong = 0;
	for (int c = 0; c < 64; c++) {
		const hv_cell_t *x = &scr.cell[mr * scr.cols + 13 + c];
		bool want = c < 59;
		cells_marked += x->mark;
		wrong += x->mark != want;
	}
	T_EQ_INT(cells_marked, 59, "freed: the 59 cells that went from used to held back are marked");
	T_EQ_INT(wrong, 0, "and no other cell (the pin's and top's did not change)");
	T_EQ_INT(marked(&scr), 59, "nothing else on the screen is marked");
	T_OK(scr.cell[mr * scr.cols + 13 + 59].ch == 'P', "the pin's cell is P");
	T_OK(scr.cell[mr * scr.cols + 13 + 58].ch == 'o' && scr.cell[mr * scr.cols + 13 + 60].ch == '=',
	     "held back below the pin, top above it");
	T_EQ_STR(row(&scr, 5),
		 "since allocated:  RSS +0B  live -239.2K  held back +236.0K  released +0B        ",
		 "the changes row: RSS, live, held back, released since the previous phase");
	T_OK(find(&scr, "lesson at freed: 59 cells changed since allocated") >= 0,
	     "the panel counts the changed cells");
	T_OK(find(&scr, "239.2 KiB freed; RSS still 80.0 MiB (no change): the 32 B chunk at") >= 0 &&
		     find(&scr, "0x55550003b000 (P)") >= 0,
	     "the freed line: what was freed, RSS, the pin's size and address");
	T_OK(find(&scr, "held back 236.0 KiB, ratio 108K x.") >= 0,
	     "the unconditional line, with the ratio for people");
	T_OK(fits(&scr), "80x24: every row ends inside the screen");
	if (getenv("T_DUMP"))
		for (int r = 0; r < scr.rows; r++)
			printf("# |%s|\n", row(&scr, r));

	/* p: the earlier frame; n: back */
	T_EQ_INT(hv_model_key(&m, 'p'), HV_REDRAW, "p redraws");
	T_EQ_INT(m.view, 0, "p shows the first frame");
	hv_layout(&m, &scr);
	T_OK(strstr(row(&scr, 0), "phase allocated (1/3)  earlier phase") != NULL,
	     "the title names the earlier phase shown: %s", row(&scr, 0));
	mr = map_row(&scr);
	T_OK(mr > 0 && scr.cell[mr * scr.cols + 13].ch == '#' && marked(&scr) == 0,
	     "its map again: used, nothing marked");
	T_EQ_INT(hv_model_key(&m, 'p'), HV_REDRAW, "p at the first frame...");
	T_OK(strstr(m.message, "no earlier phase"), "...says there is none");
	T_EQ_INT(hv_model_key(&m, 'n'), HV_REDRAW, "n from an earlier frame moves forward");
	T_EQ_INT(m.view, -1, "back at the live phase");
	T_EQ_INT(hv_model_key(&m, 'n'), HV_NEXT, "n at the live phase lets the experiment go on");

	/* l hides the panel: the map gets its rows */
	hv_layout(&m, &scr);
	int with = find(&scr, "# used") - map_row(&scr);
	T_EQ_INT(hv_model_key(&m, 'l'), HV_REDRAW, "l toggles");
	hv_layout(&m, &scr);
	T_OK(find(&scr, "lesson at") < 0, "l: the panel is gone");
	T_OK(find(&scr, "# used") - map_row(&scr) == with, "the map stays where it was");
	hv_model_key(&m, 'l');

	/* 120x40 */
	T_EQ_INT(hv_screen_resize(&scr, 40, 120), 0, "a 120x40 screen");
	hv_layout(&m, &scr);
	T_OK(find(&scr, "since allocated:  RSS +0B") == 5 && find(&scr, "lesson at freed") > 0 &&
		     fits(&scr),
	     "120x40: the changes row, the panel, every row inside");

	/* the widest phase name still leaves the state whole */
	snprintf(m.phase, sizeof m.phase, "producer_exited_and_then_some_more_words");
	snprintf(m.frames[1].phase, sizeof m.frames[1].phase, "%s", m.phase);
	hv_screen_resize(&scr, 24, 80);
	hv_layout(&m, &scr);
	T_OK(strstr(row(&scr, 0), "phase producer_exited_and_then_some_more_words (2/3)  waiting: n for next"),
	     "a long phase name: the title keeps the phase and the state: %s", row(&scr, 0));

	/* the changes row at its widest: every figure whole, the name cut */
	{
		hv_model_t w;
		hv_model_init(&w, 1, "x");
		w.step = true;
		hv_snapshot_t a, b;
		snapshot(&a, false);
		snapshot(&b, true);
		a.status.vm_rss_bytes = b.walk.live_bytes = b.walk.held_back_bytes = 0;
		b.walk.released_bytes = 0;
		b.status.vm_rss_bytes = a.walk.live_bytes = a.walk.held_back_bytes =
			a.walk.released_bytes = (int64_t)(999.9 * 1048576);
		b.walk.chunks_estimated = true;
		hv_model_update(&w, &a, 1);
		snprintf(w.phase, sizeof w.phase, "producer_exited_long");
		w.nphases = 1;
		hv_model_frame(&w);
		hv_model_update(&w, &b, 2);
		snprintf(w.phase, sizeof w.phase, "consumed");
		w.nphases = 2;
		hv_model_frame(&w);
		hv_layout(&w, &scr);
		T_EQ_STR(row(&scr, 5),
			 "since producer_..: RSS +999.9M live ~-999.9M held back -999.9M released -999.9M ",
			 "the widest changes row at 80 columns: the figures whole, the name cut");
		hv_model_free(&w);
	}

	/* outside step mode, n p l say what they are for */
	hv_model_t plain;
	hv_model_init(&plain, 1, "x");
	T_EQ_INT(hv_model_key(&plain, 'n'), HV_REDRAW, "n without --step: no action");
	T_OK(strstr(plain.message, "--step") != NULL, "and the message names --step");
	hv_model_free(&plain);

	hv_model_free(&m);
	hv_screen_free(&scr);
	return t_done();
}
