/*
 * save.c — the `s` key: the snapshot as it is on screen, into a new
 * directory under results/ (never an existing one): snapshot.json (what
 * heapview --once --json prints), heapmap.tsv (a matrix of page classes,
 * every heap of every arena, one cell per 2^k pages, 256 cells a row, -1
 * past a heap's end), heapmap.gp and heapmap.png drawn from it by gnuplot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "heapview.h"

#define MAP_COLS 256
#define MAP_MAX_ROWS 1024

static int mkdirs(const char *path)
{
	char p[512];
	snprintf(p, sizeof p, "%s", path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) && errno != EEXIST)
				return -errno;
			*s = '/';
		}
	return mkdir(p, 0755) && errno != EEXIST ? -errno : 0;
}

static int write_file(const char *dir, const char *name, const hl_buf_t *b, hl_error_t *err)
{
	char path[700];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wx");
	if (!f)
		return hl_error_set(err, -errno, "cannot create %s: %s", path, strerror(errno));
	size_t n = fwrite(b->data ? b->data : "", 1, b->len, f);
	if (fclose(f) || n != b->len)
		return hl_error_set(err, -EIO, "cannot write %s", path);
	return 0;
}

int hv_save(const hv_model_t *m, const char *base, char *dir, size_t dirsz, hl_error_t *err)
{
	if (!base)
		base = "results/heapview";
	int rc = mkdirs(base);
	if (rc)
		return hl_error_set(err, rc, "cannot create %s: %s", base, strerror(-rc));
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime_r(&now, &tm));
	/* a new directory, never one that exists */
	for (int k = 1;; k++) {
		if (k == 1)
			snprintf(dir, dirsz, "%s/%d-%s", base, (int)m->pid, stamp);
		else
			snprintf(dir, dirsz, "%s/%d-%s-%d", base, (int)m->pid, stamp, k);
		if (mkdir(dir, 0755) == 0)
			break;
		if (errno != EEXIST || k > 99)
			return hl_error_set(err, -errno, "cannot create %s: %s", dir, strerror(errno));
	}
	hl_buf_t b = {0};
	hv_snapshot_json(&m->snap, &b);
	rc = write_file(dir, "snapshot.json", &b, err);

	/* the page classes at a zoom that fits MAP_MAX_ROWS rows */
	const hl_walk_t *w = &m->snap.walk;
	int64_t ps = hl_procfs_page_size(), pages = 0;
	for (size_t i = 0; i < w->nheaps; i++)
		pages += (int64_t)(w->heaps[i].end - w->heaps[i].start) / ps;
	hv_model_t z = *m;
	z.zoom = 0;
	for (;;) {
		int64_t rows = 0;
		for (size_t i = 0; i < w->nheaps; i++) {
			int64_t n = (int64_t)(w->heaps[i].end - w->heaps[i].start) / ps;
			int64_t cells = (n + ((int64_t)1 << z.zoom) - 1) >> z.zoom;
			rows += (cells + MAP_COLS - 1) / MAP_COLS;
		}
		if (rows <= MAP_MAX_ROWS || z.zoom >= 30)
			break;
		z.zoom++;
	}
	hl_buf_reset(&b);
	int64_t rows = 0;
	for (size_t i = 0; !rc && i < w->nheaps; i++) {
		const hl_walk_heap_t *h = &w->heaps[i];
		int64_t n = (int64_t)(h->end - h->start) / ps;
		int64_t cells = (n + ((int64_t)1 << z.zoom) - 1) >> z.zoom;
		for (int64_t c0 = 0; c0 < cells; c0 += MAP_COLS, rows++)
			for (int64_t c = c0; c < c0 + MAP_COLS; c++)
				hl_buf_printf(&b, "%d%c", c < cells ? hv_model_cell(&z, h, c) : -1,
					      c + 1 < c0 + MAP_COLS ? '\t' : '\n');
	}
	if (!rc)
		rc = write_file(dir, "heapmap.tsv", &b, err);
	hl_buf_reset(&b);
	char per[32];
	hl_units_bytes(((int64_t)1 << z.zoom) * ps, per, sizeof per);
	hl_buf_printf(&b,
		      "# heapview's heap map of pid %d (%s): every heap of every arena, in\n"
		      "# walk order; a cell is %lld page(s) (%s), its class the one most of\n"
		      "# them have. Draw with: gnuplot heapmap.gp\n"
		      "set terminal pngcairo size 1400,%d font \"DejaVu Sans,11\"\n"
		      "set output 'heapmap.png'\n"
		      "set title \"pid %d: %lld pages in %zu heap(s), one cell = %s\" noenhanced\n"
		      "unset key\nunset xtics\nunset ytics\n"
		      "set yrange [*:*] reverse\n"
		      "set rmargin 22\n"
		      "# one flat colour per class: steps at the half-way values\n"
		      "set palette defined (0 'white', 1 'white', 1 '#4c72b0', 2 '#4c72b0', "
		      "2 '#c44e52', 3 '#c44e52', 3 '#55a868', 4 '#55a868', 4 '#dd8452', "
		      "5 '#dd8452', 5 '#c7c7c7', 6 '#c7c7c7')\n"
		      "set cbrange [-1.5:4.5]\n"
		      "set cbtics ('outside' -1, 'used' 0, 'free, held back' 1, 'free, released' 2, "
		      "'top, held back' 3, 'top, released' 4)\n"
		      "plot 'heapmap.tsv' matrix with image\n",
		      (int)m->pid, m->command, 1LL << z.zoom, per,
		      rows > 200 ? 900 : 500, (int)m->pid, (long long)pages, w->nheaps, per);
	if (!rc)
		rc = write_file(dir, "heapmap.gp", &b, err);
	hl_buf_free(&b);
	if (rc)
		return rc;
	if (!rows)
		return 0; /* no heap walked: nothing to draw */
	pid_t pid = fork();
	if (pid == 0) {
		if (chdir(dir))
			_exit(126);
		freopen("/dev/null", "w", stdout);
		freopen("gnuplot.log", "w", stderr);
		execlp("gnuplot", "gnuplot", "heapmap.gp", (char *)NULL);
		_exit(127);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return hl_error_set(err, -EIO, "saved %s, but gnuplot failed to draw heapmap.png (see %s/gnuplot.log)", dir, dir);
	char log[600];
	snprintf(log, sizeof log, "%s/gnuplot.log", dir);
	struct stat sb;
	if (stat(log, &sb) == 0 && sb.st_size == 0)
		unlink(log);
	return 0;
}
