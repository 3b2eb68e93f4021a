/*
 * heapmap.c — the heap map: every page of every heap of a walk (hl_walk_t
 * with HL_WALK_PAGES) as a matrix of page classes, one cell per 2^k pages,
 * HL_HEAPMAP_COLS cells a row, each heap starting a new row and -1 past its
 * end. It owns the matrix's file (heapmap.tsv, heapmap-PHASE.tsv), its
 * reader, the gnuplot script that draws it as a PNG and the SVG the report
 * inlines. heapview's `s`, `heaplab run --walk` and `heapview --record`
 * write it (hl_heapmap_save); `heaplab report` reads it. Running gnuplot is
 * the callers' job.
 *
 * The file starts with comment lines (gnuplot skips them) that say what a
 * cell is: "# cell_pages=N page_bytes=N pages=N heaps=N rows=N".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

#define ZOOM_MAX 30

/* One colour per class and one for "outside"; the script's palette, the
 * SVG and the report's legend all come from here. */
static const char *const class_colour[HL_NPAGE_CLASSES] = {"#4c72b0", "#c44e52", "#55a868",
							   "#dd8452", "#c7c7c7"};
static const char *const class_label[HL_NPAGE_CLASSES] = {
	"used", "free, held back", "free, released", "top, held back", "top, released"};

const char *hl_heapmap_colour(int cls)
{
	return cls >= 0 && cls < HL_NPAGE_CLASSES ? class_colour[cls] : "#ffffff";
}

const char *hl_heapmap_label(int cls)
{
	return cls >= 0 && cls < HL_NPAGE_CLASSES ? class_label[cls] : "outside a heap";
}

int hl_heapmap_cell(const hl_walk_heap_t *h, int zoom, int64_t cell, long page_size)
{
	int64_t npages = (int64_t)(h->end - h->start) / page_size;
	int64_t per = (int64_t)1 << zoom, first = cell * per;
	if (cell < 0 || first >= npages || !h->pages)
		return -1;
	int64_t last = first + per < npages ? first + per : npages;
	int64_t n[HL_NPAGE_CLASSES] = {0};
	for (int64_t i = first; i < last; i++)
		if (h->pages[i] < HL_NPAGE_CLASSES)
			n[h->pages[i]]++;
	/* the class most of the cell's pages have; on a tie the one that
	 * matters most here: held back, then released, then used */
	static const hl_page_class_t order[] = {HL_PAGE_FREE_RESIDENT, HL_PAGE_TOP_RESIDENT,
						HL_PAGE_FREE_RELEASED, HL_PAGE_TOP_RELEASED,
						HL_PAGE_USED};
	int best = order[0];
	for (size_t i = 1; i < sizeof order / sizeof order[0]; i++)
		if (n[order[i]] > n[best])
			best = order[i];
	return best;
}

static int64_t heap_cells(const hl_walk_heap_t *h, int zoom, long page_size)
{
	int64_t n = (int64_t)(h->end - h->start) / page_size;
	return (n + ((int64_t)1 << zoom) - 1) >> zoom;
}

static int64_t rows_at(const hl_walk_t *w, int zoom, long page_size)
{
	int64_t rows = 0;
	for (size_t i = 0; i < w->nheaps; i++)
		rows += (heap_cells(&w->heaps[i], zoom, page_size) + HL_HEAPMAP_COLS - 1) /
			HL_HEAPMAP_COLS;
	return rows;
}

int hl_heapmap_class_at(const hl_walk_t *w, uint64_t addr, int zoom, long page_size)
{
	uint64_t cell_bytes = ((uint64_t)1 << zoom) * (uint64_t)page_size;
	for (size_t i = 0; i < w->nheaps; i++) {
		const hl_walk_heap_t *h = &w->heaps[i];
		if (addr < h->start || addr >= h->end)
			continue;
		if ((addr - h->start) % cell_bytes == 0)
			return hl_heapmap_cell(h, zoom, (int64_t)((addr - h->start) / cell_bytes),
					       page_size);
		/* a heap whose cells start elsewhere: the class of its page there */
		return h->pages ? h->pages[(addr - h->start) / (uint64_t)page_size] : -1;
	}
	return -2;
}

static int zoom_of(const hl_heapmap_t *info)
{
	int z = 0;
	while (z < ZOOM_MAX && ((int64_t)1 << z) < info->cell_pages)
		z++;
	return z;
}

bool hl_heapmap_locate(const hl_walk_t *w, const hl_heapmap_t *info, uint64_t addr, int64_t *row,
		       int64_t *col)
{
	int zoom = zoom_of(info);
	long ps = (long)info->page_bytes;
	int64_t r = 0;
	for (size_t i = 0; i < w->nheaps; i++) {
		const hl_walk_heap_t *h = &w->heaps[i];
		if (addr >= h->start && addr < h->end) {
			int64_t cell = (int64_t)((addr - h->start) / (uint64_t)ps) >> zoom;
			*row = r + cell / HL_HEAPMAP_COLS;
			*col = cell % HL_HEAPMAP_COLS;
			return true;
		}
		r += (heap_cells(h, zoom, ps) + HL_HEAPMAP_COLS - 1) / HL_HEAPMAP_COLS;
	}
	return false;
}

int hl_heapmap_changes_tsv(const hl_walk_t *w, const hl_walk_t *prev, const hl_heapmap_t *info,
			   hl_buf_t *out, int64_t *changed)
{
	int zoom = zoom_of(info);
	long ps = (long)info->page_bytes;
	int rc = 0;
	*changed = 0;
	hl_buf_reset(out);
	rc = hl_buf_printf(out, "# the cells of the heap map beside this file whose class changed "
				"since the previous phase: 1 changed, 0 not, -1 outside a heap\n");
	for (size_t i = 0; !rc && i < w->nheaps; i++) {
		const hl_walk_heap_t *h = &w->heaps[i];
		int64_t cells = heap_cells(h, zoom, ps);
		uint64_t cell_bytes = ((uint64_t)1 << zoom) * (uint64_t)ps;
		for (int64_t c0 = 0; !rc && c0 < cells; c0 += HL_HEAPMAP_COLS) {
			rc = hl_buf_reserve(out, HL_HEAPMAP_COLS * 3);
			for (int64_t c = c0; !rc && c < c0 + HL_HEAPMAP_COLS; c++) {
				const char *v = "-1";
				if (c < cells) {
					int now = hl_heapmap_cell(h, zoom, c, ps);
					int was = hl_heapmap_class_at(prev, h->start + (uint64_t)c * cell_bytes,
								      zoom, ps);
					v = now >= 0 && now != was ? "1" : "0";
					*changed += v[0] == '1';
				}
				rc = hl_buf_printf(out, "%s%c", v,
						   c + 1 < c0 + HL_HEAPMAP_COLS ? '\t' : '\n');
			}
		}
	}
	return rc;
}

int hl_heapmap_tsv(const hl_walk_t *w, long page_size, int64_t max_rows, hl_buf_t *out,
		   hl_heapmap_t *info)
{
	memset(info, 0, sizeof *info);
	int zoom = 0;
	while (rows_at(w, zoom, page_size) > max_rows && zoom < ZOOM_MAX)
		zoom++;
	int64_t pages = 0;
	for (size_t i = 0; i < w->nheaps; i++)
		pages += (int64_t)(w->heaps[i].end - w->heaps[i].start) / page_size;
	info->rows = rows_at(w, zoom, page_size);
	info->cell_pages = (int64_t)1 << zoom;
	info->page_bytes = page_size;
	info->pages = pages;
	info->heaps = (int64_t)w->nheaps;

	hl_buf_reset(out);
	int rc = hl_buf_printf(
		out,
		"# heap map: every heap of every arena in walk order, each from a new row of %d "
		"cells;\n# a cell is cell_pages pages, its class the one most of them have: -1 "
		"outside a heap,\n# 0 used, 1 free held back, 2 free released, 3 top held back, 4 "
		"top released\n# cell_pages=%lld page_bytes=%ld pages=%lld heaps=%zu rows=%lld\n",
		HL_HEAPMAP_COLS, (long long)info->cell_pages, page_size, (long long)pages, w->nheaps,
		(long long)info->rows);
	for (size_t i = 0; !rc && i < w->nheaps; i++) {
		const hl_walk_heap_t *h = &w->heaps[i];
		int64_t cells = heap_cells(h, zoom, page_size);
		for (int64_t c0 = 0; !rc && c0 < cells; c0 += HL_HEAPMAP_COLS) {
			/* "-1\t" at most per cell: reserve the row once */
			rc = hl_buf_reserve(out, HL_HEAPMAP_COLS * 3);
			for (int64_t c = c0; !rc && c < c0 + HL_HEAPMAP_COLS; c++) {
				int v = c < cells ? hl_heapmap_cell(h, zoom, c, page_size) : -1;
				char sep = c + 1 < c0 + HL_HEAPMAP_COLS ? '\t' : '\n';
				if (v < 0) {
					rc = hl_buf_append(out, "-1", 2);
				} else {
					char d = (char)('0' + v);
					rc = hl_buf_append(out, &d, 1);
				}
				rc = rc ? rc : hl_buf_append(out, &sep, 1);
			}
		}
	}
	return rc;
}

int hl_heapmap_save(const hl_walk_t *w, const char *path, hl_heapmap_t *info, hl_error_t *err)
{
	hl_buf_t b = {0};
	int rc = hl_heapmap_tsv(w, hl_procfs_page_size(), HL_HEAPMAP_MAX_ROWS, &b, info);
	if (rc) {
		hl_buf_free(&b);
		return hl_error_set(err, rc, "cannot make the heap map for %s: out of memory", path);
	}
	/* "x": a new file, never one that is there */
	FILE *f = fopen(path, "wx");
	if (!f) {
		rc = -errno;
		hl_buf_free(&b);
		return hl_error_set(err, rc, "cannot create %s: %s", path, strerror(-rc));
	}
	size_t n = fwrite(b.data, 1, b.len, f);
	if (fclose(f) != 0 || n != b.len)
		rc = hl_error_set(err, -EIO, "cannot write %s", path);
	hl_buf_free(&b);
	return rc;
}

void hl_heapmap_free(hl_heapmap_t *m)
{
	free(m->cells);
	memset(m, 0, sizeof *m);
}

/* "key=N" anywhere in a comment line. */
static void comment_field(const char *line, size_t len, const char *key, int64_t *out)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i + kl + 1 < len; i++) {
		if ((i == 0 || line[i - 1] == ' ') && !strncmp(line + i, key, kl) &&
		    line[i + kl] == '=') {
			char *end;
			long long v = strtoll(line + i + kl + 1, &end, 10);
			if (end != line + i + kl + 1 && v >= 0)
				*out = v;
			return;
		}
	}
}

int hl_heapmap_parse(const char *buf, size_t len, hl_heapmap_t *out, hl_error_t *err)
{
	memset(out, 0, sizeof *out);
	out->cell_pages = out->page_bytes = out->pages = out->heaps = HL_UNKNOWN;
	size_t cap = 0;
	int64_t line_no = 0;
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		line_no++;
		if (*p == '#') {
			size_t n = (size_t)(eol - p);
			comment_field(p, n, "cell_pages", &out->cell_pages);
			comment_field(p, n, "page_bytes", &out->page_bytes);
			comment_field(p, n, "pages", &out->pages);
			comment_field(p, n, "heaps", &out->heaps);
		} else if (eol > p) {
			if ((size_t)out->rows == cap) {
				size_t nc = cap ? cap * 2 : 64;
				if (nc > (1u << 22)) {
					hl_heapmap_free(out);
					return hl_error_set(err, HL_EPARSE,
							    "heap map: more than %u rows",
							    1u << 22);
				}
				int8_t *v = realloc(out->cells, nc * HL_HEAPMAP_COLS);
				if (!v) {
					hl_heapmap_free(out);
					return hl_error_set(err, -ENOMEM, "heap map: out of memory");
				}
				out->cells = v;
				cap = nc;
			}
			int8_t *row = out->cells + out->rows * HL_HEAPMAP_COLS;
			const char *q = p;
			int col = 0;
			for (; col < HL_HEAPMAP_COLS && q < eol; col++) {
				int v;
				if (*q == '-' && q + 1 < eol && q[1] == '1') {
					v = -1;
					q += 2;
				} else if (*q >= '0' && *q < '0' + HL_NPAGE_CLASSES) {
					v = *q - '0';
					q++;
				} else {
					break;
				}
				row[col] = (int8_t)v;
				if (v >= 0)
					out->ncells[v]++;
				if (q < eol && *q == '\t')
					q++;
				else if (q < eol)
					break;
			}
			if (col != HL_HEAPMAP_COLS || q != eol) {
				hl_heapmap_free(out);
				return hl_error_set(err, HL_EPARSE,
						    "heap map line %lld: not %d cells of -1 to %d "
						    "separated by tabs",
						    (long long)line_no, HL_HEAPMAP_COLS,
						    HL_NPAGE_CLASSES - 1);
			}
			out->rows++;
		}
		p = nl ? nl + 1 : end;
	}
	if (!out->rows) {
		hl_heapmap_free(out);
		out->cell_pages = out->page_bytes = out->pages = out->heaps = HL_UNKNOWN;
		return hl_error_set(err, HL_EPARSE, "heap map: no rows");
	}
	return 0;
}

int hl_heapmap_script(const hl_heapmap_t *m, const char *title, const char *tsv,
		      const char *png, hl_buf_t *out)
{
	char per[32] = "n/a";
	if (m->cell_pages > 0 && m->page_bytes > 0)
		hl_units_bytes(m->cell_pages * m->page_bytes, per, sizeof per);
	char full[512];
	snprintf(full, sizeof full, "%s: %lld pages in %lld heap(s), one cell = %s", title,
		 (long long)m->pages, (long long)m->heaps, per);
	hl_buf_reset(out);
	int rc = hl_buf_printf(out,
			       "# the heap map of %s: every heap of every arena, in walk order;\n"
			       "# a cell is %lld page(s) (%s), its class the one most of them have.\n"
			       "# Draw with: gnuplot THIS-FILE (in the directory of %s)\n"
			       "set terminal pngcairo size 1400,%d font \"DejaVu Sans,11\"\n"
			       "set output ",
			       title, (long long)m->cell_pages, per, tsv, m->rows > 200 ? 900 : 500);
	rc = rc ? rc : hl_plot_quote(out, png);
	rc = rc ? rc : hl_buf_printf(out, "\nset title ");
	rc = rc ? rc : hl_plot_quote(out, full);
	rc = rc ? rc : hl_buf_printf(out, " noenhanced\nunset key\nunset xtics\nunset ytics\n"
					  "set yrange [*:*] reverse\nset rmargin 22\n");
	rc = rc ? rc : hl_heapmap_plot(tsv, out);
	rc = rc ? rc : hl_buf_printf(out, "\nset output\n");
	return rc;
}

int hl_heapmap_plot(const char *tsv, hl_buf_t *out)
{
	int rc = hl_buf_printf(out, "# one flat colour per class: steps at the half-way values\n"
				    "set palette defined (0 'white', 1 'white'");
	for (int c = 0; !rc && c < HL_NPAGE_CLASSES; c++)
		rc = hl_buf_printf(out, ", %d '%s', %d '%s'", c + 1, class_colour[c], c + 2,
				   class_colour[c]);
	rc = rc ? rc : hl_buf_printf(out, ")\nset cbrange [-1.5:%d.5]\nset cbtics ('outside' -1",
				     HL_NPAGE_CLASSES - 1);
	for (int c = 0; !rc && c < HL_NPAGE_CLASSES; c++)
		rc = hl_buf_printf(out, ", '%s' %d", class_label[c], c);
	rc = rc ? rc : hl_buf_printf(out, ")\nplot ");
	rc = rc ? rc : hl_plot_quote(out, tsv);
	return rc ? rc : hl_buf_printf(out, " matrix with image notitle");
}

int hl_heapmap_svg(const hl_heapmap_t *m, hl_buf_t *out)
{
	/* cells are 3 px wide; rows as tall as fits 6 px each, at most 640 px
	 * for the whole map (a 1 GiB heap has 1024 rows) */
	int64_t width = HL_HEAPMAP_COLS * 3;
	int64_t height = m->rows * 6;
	if (height > 640)
		height = 640;
	if (height < 12)
		height = 12;
	int rc = hl_buf_printf(out,
			       "<svg class=\"heapmap\" viewBox=\"0 0 %d %lld\" width=\"%lld\" "
			       "height=\"%lld\" preserveAspectRatio=\"none\" "
			       "shape-rendering=\"crispEdges\" role=\"img\">\n"
			       "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%lld\" fill=\"#ffffff\"/>\n",
			       HL_HEAPMAP_COLS, (long long)m->rows, (long long)width, (long long)height,
			       HL_HEAPMAP_COLS, (long long)m->rows);
	/* one path per class, a run of equal cells in a row one rectangle */
	for (int c = 0; !rc && c < HL_NPAGE_CLASSES; c++) {
		if (!m->ncells[c])
			continue;
		rc = hl_buf_printf(out, "<path fill=\"%s\" d=\"", class_colour[c]);
		for (int64_t r = 0; !rc && r < m->rows; r++) {
			const int8_t *row = m->cells + r * HL_HEAPMAP_COLS;
			for (int x = 0; !rc && x < HL_HEAPMAP_COLS;) {
				if (row[x] != c) {
					x++;
					continue;
				}
				int x0 = x;
				while (x < HL_HEAPMAP_COLS && row[x] == c)
					x++;
				rc = hl_buf_printf(out, "M%d %lldh%dv1h-%dz", x0, (long long)r, x - x0,
						   x - x0);
			}
		}
		rc = rc ? rc : hl_buf_printf(out, "\"><title>%s: %lld cells</title></path>\n",
					     class_label[c], (long long)m->ncells[c]);
	}
	return rc ? rc : hl_buf_printf(out, "</svg>\n");
}
