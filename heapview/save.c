/*
 * save.c — the `s` key: the snapshot as it is on screen, into a new
 * directory under results/ (never an existing one): snapshot.json (what
 * heapview --once --json prints), heapmap.tsv (the heap map of lib/heapmap.c:
 * page classes, every heap of every arena, one cell per 2^k pages, 256 cells
 * a row, -1 past a heap's end), heapmap.gp and heapmap.png drawn from it by
 * gnuplot.
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
	rc = hl_file_write(dir, "snapshot.json", b.data, b.len, true, err);

	/* the page classes at a zoom that fits HL_HEAPMAP_MAX_ROWS rows */
	const hl_walk_t *w = &m->snap.walk;
	hl_heapmap_t info = {0};
	char path[700];
	snprintf(path, sizeof path, "%s/heapmap.tsv", dir);
	if (!rc)
		rc = hl_heapmap_save(w, path, &info, err);
	char title[320];
	snprintf(title, sizeof title, "pid %d (%s)", (int)m->pid, m->command);
	if (!rc && hl_heapmap_script(&info, title, "heapmap.tsv", "heapmap.png", &b))
		rc = hl_error_set(err, -ENOMEM, "cannot make heapmap.gp: out of memory");
	if (!rc)
		rc = hl_file_write(dir, "heapmap.gp", b.data, b.len, true, err);
	hl_buf_free(&b);
	if (rc)
		return rc;
	if (!info.rows)
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
