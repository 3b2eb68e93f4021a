/*
 * render.c — the only file that includes curses: draws the grid layout.c
 * built, reads keys, and gives the terminal back as it found it. Colour when
 * the terminal has it and NO_COLOR is unset; otherwise bold/dim/reverse
 * only, and the glyphs alone tell the classes apart. A cell marked as
 * changed since the previous phase (step mode) is drawn in reverse video.
 */
#include <curses.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>

#include "heapview.h"

static attr_t attrs[HV_NSTYLES];
static bool active;

static void pair(int st, short fg, short bg, attr_t extra, bool colour)
{
	static short next = 1;
	if (colour) {
		init_pair(next, fg, bg);
		attrs[st] = COLOR_PAIR(next) | extra;
		next++;
	} else {
		attrs[st] = extra;
	}
}

int hv_render_init(bool colour)
{
	setlocale(LC_ALL, "");
	if (!initscr())
		return -1;
	active = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	colour = colour && has_colors();
	if (colour) {
		start_color();
		use_default_colors();
	}
	/* without colour: used plain, held back bold (it is the news), released dim */
	pair(HV_ST_NORMAL, -1, -1, A_NORMAL, colour);
	pair(HV_ST_TITLE, -1, -1, A_BOLD, colour);
	pair(HV_ST_DIM, -1, -1, colour ? A_NORMAL : A_DIM, colour);
	pair(HV_ST_WARN, COLOR_YELLOW, -1, A_BOLD, colour);
	pair(HV_ST_USED, COLOR_BLUE, -1, A_NORMAL, colour);
	pair(HV_ST_FREE_HELD, COLOR_RED, -1, A_BOLD, colour);
	pair(HV_ST_FREE_RELEASED, COLOR_GREEN, -1, colour ? A_NORMAL : A_DIM, colour);
	pair(HV_ST_TOP_HELD, COLOR_MAGENTA, -1, A_BOLD, colour);
	pair(HV_ST_TOP_RELEASED, COLOR_CYAN, -1, colour ? A_NORMAL : A_DIM, colour);
	pair(HV_ST_PIN, COLOR_RED, -1, A_BOLD | A_REVERSE, colour);
	pair(HV_ST_RSS, COLOR_RED, -1, A_NORMAL, colour);
	pair(HV_ST_LIVE, COLOR_BLUE, -1, A_NORMAL, colour);
	static const short region[HL_REGION_NCLASSES] = {COLOR_BLUE,  COLOR_MAGENTA, COLOR_CYAN,
							 COLOR_WHITE, COLOR_YELLOW,  COLOR_GREEN,
							 COLOR_WHITE};
	for (int c = 0; c < HL_REGION_NCLASSES; c++)
		pair(HV_ST_REGION + c, region[c], -1, A_NORMAL, colour);
	return 0;
}

void hv_render(const hv_screen_t *s)
{
	if (!active)
		return;
	for (int r = 0; r < s->rows; r++) {
		move(r, 0);
		for (int c = 0; c < s->cols; c++) {
			const hv_cell_t *x = &s->cell[r * s->cols + c];
			/* the bottom-right cell scrolls some terminals: skip it */
			if (r == s->rows - 1 && c == s->cols - 1)
				break;
			/* a cell that changed since the previous phase: reversed,
			 * which needs no colour */
			addch((chtype)(unsigned char)x->ch | attrs[x->st < HV_NSTYLES ? x->st : 0] |
			      (x->mark ? A_REVERSE : 0));
		}
	}
	refresh();
}

int hv_render_key(int timeout_ms, bool *resized)
{
	*resized = false;
	timeout(timeout_ms);
	int k = getch();
	switch (k) {
	case ERR:
		return -1;
	case KEY_RESIZE:
		*resized = true;
		return -1;
	case KEY_UP:
		return HV_KEY_UP;
	case KEY_DOWN:
		return HV_KEY_DOWN;
	case KEY_PPAGE:
		return HV_KEY_PGUP;
	case KEY_NPAGE:
		return HV_KEY_PGDN;
	case KEY_HOME:
		return HV_KEY_HOME;
	case KEY_END:
		return HV_KEY_END;
	default:
		return k >= 0 && k < 256 ? k : -1;
	}
}

void hv_render_size(int *rows, int *cols)
{
	getmaxyx(stdscr, *rows, *cols);
}

void hv_render_end(void)
{
	if (!active)
		return;
	active = false;
	curs_set(1);
	endwin();
}
