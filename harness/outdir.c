/*
 * outdir.c — where a run (or a sweep) lands, and the promise that none is
 * ever written over another. A directory is claimed by creating its first
 * file (samples.tsv, sweep.tsv) with O_EXCL: two harnesses pointed at one directory cannot both get it, and a
 * directory holding anything at all is refused before anything is written.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int dir_is_empty(const char *dir, bool *has_run)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	int n = 0;
	struct dirent *e;
	*has_run = false;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!strcmp(e->d_name, "run.json") || !strcmp(e->d_name, "samples.tsv") ||
		    !strcmp(e->d_name, "sweep.tsv"))
			*has_run = true;
		n++;
	}
	closedir(d);
	return n == 0;
}

int outdir_claim(const char *dir, const char *claim, hl_error_t *err)
{
	struct stat st;
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return hl_error_set(err, -ENOTDIR,
					    "--out %s exists and is not a directory; choose a new path",
					    dir);
		bool has_run = false;
		int empty = dir_is_empty(dir, &has_run);
		if (empty < 0)
			return hl_error_set(err, empty, "cannot read --out %s: %s", dir,
					    strerror(-empty));
		if (has_run)
			return hl_error_set(err, -EEXIST,
					    "%s already holds a run; nothing was changed. Choose "
					    "another --out (or leave it out for a new directory under "
					    "results/)",
					    dir);
		if (!empty)
			return hl_error_set(err, -EEXIST,
					    "%s is not empty; heaplab writes a run only into a new or "
					    "empty directory, so nothing was changed",
					    dir);
	} else {
		int rc = mkdir_p(dir);
		if (rc)
			return hl_error_set(err, rc, "cannot create --out %s: %s", dir,
					    strerror(-rc));
	}
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, claim);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		if (e == EEXIST)
			return hl_error_set(err, -e, "%s already holds a run; nothing was changed",
					    dir);
		return hl_error_set(err, -e, "cannot write into %s: %s", dir, strerror(e));
	}
	return fd;
}

int outdir_fresh(const char *dir, const char *what, bool create, hl_error_t *err)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		int rc = create ? mkdir_p(dir) : 0;
		return rc ? hl_error_set(err, rc, "cannot create %s %s: %s", what, dir, strerror(-rc))
			  : 0;
	}
	if (!S_ISDIR(st.st_mode))
		return hl_error_set(err, -ENOTDIR, "%s %s exists and is not a directory; choose a "
						   "new path", what, dir);
	bool has_run = false;
	int empty = dir_is_empty(dir, &has_run);
	if (empty < 0)
		return hl_error_set(err, empty, "cannot read %s %s: %s", what, dir, strerror(-empty));
	if (!empty)
		return hl_error_set(err, -EEXIST, "%s %s is not empty; choose a new or empty "
						  "directory (nothing was changed)", what, dir);
	return 0;
}

void outdir_default(const char *exp, char *out, size_t outsz)
{
	const char *root = getenv("HEAPLAB_RESULTS");
	if (!root || !*root)
		root = "results";
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	char stamp[32];
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	snprintf(out, outsz, "%s/%s/%s-%d", root, exp, stamp, (int)getpid());
}
