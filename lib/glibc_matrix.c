/*
 * glibc_matrix.c — the other glibc versions a program can be run under:
 * the Debian suites scripts/glibc.sh has unpacked into its cache
 * ($HEAPLAB_GLIBC_CACHE, else ~/.cache/heaplab/glibc; each CACHE/SUITE has
 * `version`, `ld` and `libdir`), and this system's own glibc.
 *
 * A program runs under one through that glibc's loader:
 *   LD --library-path LIBDIR PROGRAM ARGS
 * which loads the program's libraries from LIBDIR first, the libc
 * included. Programs linked against a newer glibc than the one they run
 * under need symbols it lacks (the 2.34 start files, mallinfo2), so the
 * experiments and helpers have builds of their own for the old ones
 * (build/glibc-VERSION/, made by `make matrix`).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heaplab.h"

static void cache_dir(char *out, size_t sz)
{
	const char *c = getenv("HEAPLAB_GLIBC_CACHE"), *home = getenv("HOME");
	if (c && *c)
		snprintf(out, sz, "%s", c);
	else
		snprintf(out, sz, "%s/.cache/heaplab/glibc", home && *home ? home : "/root");
}

static bool read_line(const char *dir, const char *name, char *out, size_t sz)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	bool ok = f && fgets(out, (int)sz, f);
	if (f)
		fclose(f);
	out[ok ? strcspn(out, "\n") : 0] = '\0';
	return ok && out[0];
}

static int minor_of(const char *v)
{
	int major = 0, minor = 0;
	return sscanf(v, "%d.%d", &major, &minor) == 2 && major == 2 ? minor : 0;
}

static int by_version(const void *a, const void *b)
{
	const hl_glibc_env_t *x = a, *y = b;
	int d = minor_of(x->version) - minor_of(y->version);
	return d ? d : strcmp(x->suite, y->suite);
}

/* Every glibc there is, one per suite (two suites may serve one version). */
static size_t all_envs(hl_glibc_env_t *v, size_t cap)
{
	size_t n = 0;
	if (cap) {
		memset(&v[0], 0, sizeof v[0]);
		snprintf(v[0].suite, sizeof v[0].suite, "system");
		snprintf(v[0].version, sizeof v[0].version, "%s", hl_sysinfo_glibc());
		v[0].host = true;
		n = 1;
	}
	char dir[PATH_MAX];
	cache_dir(dir, sizeof dir);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && n < cap && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		hl_glibc_env_t *g = &v[n];
		memset(g, 0, sizeof *g);
		char sub[PATH_MAX];
		snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
		if (!read_line(sub, "version", g->version, sizeof g->version) ||
		    !read_line(sub, "ld", g->ld, sizeof g->ld) ||
		    !read_line(sub, "libdir", g->libdir, sizeof g->libdir))
			continue;
		snprintf(g->suite, sizeof g->suite, "%s", e->d_name);
		snprintf(g->root, sizeof g->root, "%s/root", sub);
		if (strcmp(g->version, v[0].version))
			n++; /* the system's own version is run as it is */
	}
	if (d)
		closedir(d);
	if (n > 1)
		qsort(v, n, sizeof *v, by_version);
	return n;
}

size_t hl_glibc_envs(hl_glibc_env_t *v, size_t cap)
{
	size_t n = all_envs(v, cap), k = 0;
	for (size_t i = 0; i < n; i++)
		if (!k || strcmp(v[i].version, v[k - 1].version))
			v[k++] = v[i];
	return k;
}

void hl_glibc_envs_text(char *out, size_t sz)
{
	hl_glibc_env_t v[32];
	size_t n = hl_glibc_envs(v, 32), used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, used < sz ? sz - used : 0, "%s%s (%s)",
					 i ? ", " : "", v[i].version,
					 v[i].host ? "this system's" : v[i].suite);
}

int hl_glibc_env_find(const char *want, hl_glibc_env_t *out, hl_error_t *err)
{
	hl_glibc_env_t v[32];
	size_t n = all_envs(v, 32);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].version, want) || !strcmp(v[i].suite, want) ||
		    (v[i].host && !strcmp(want, "host"))) {
			*out = v[i];
			return 0;
		}
	char have[1024], dir[PATH_MAX];
	hl_glibc_envs_text(have, sizeof have);
	cache_dir(dir, sizeof dir);
	return hl_error_set(err, -ENOENT,
			    "glibc '%s' is not in the matrix; there are: %s (fetch more with "
			    "`make matrix`, or `sh scripts/glibc.sh fetch SUITE` into %s)",
			    want, have, dir);
}

bool hl_glibc_env_own_build(const hl_glibc_env_t *e)
{
	/* the system's 2.36 start files need __libc_start_main@GLIBC_2.34, and
	 * the experiments mallinfo2 (2.33) */
	return !e->host && minor_of(e->version) < 34;
}

int hl_glibc_env_argv(const hl_glibc_env_t *e, const char *path, char **args, int nargs, char **argv,
		      int cap)
{
	int n = 0;
	if (!e->host) {
		if (cap < 4)
			return -1;
		argv[n++] = (char *)e->ld;
		argv[n++] = "--library-path";
		argv[n++] = (char *)e->libdir;
	}
	if (n + nargs + 2 > cap)
		return -1;
	argv[n++] = (char *)path;
	for (int i = 0; i < nargs; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return n;
}

int hl_glibc_env_file(const hl_glibc_env_t *e, const char *host_file, char *out, size_t sz,
		      hl_error_t *err)
{
	if (!hl_glibc_env_own_build(e)) {
		if (out != host_file)
			snprintf(out, sz, "%s", host_file);
		return 0;
	}
	/* build/X -> build/glibc-V/X; build/experiments/X -> build/glibc-V/experiments/X */
	char real[PATH_MAX];
	if (!realpath(host_file, real))
		return hl_error_set(err, -errno, "cannot find %s: %s", host_file, strerror(errno));
	char *slash = strrchr(real, '/');
	*slash = '\0';
	const char *name = slash + 1, *sub = "";
	char *up = strrchr(real, '/');
	if (up && !strcmp(up + 1, "experiments")) {
		*up = '\0';
		sub = "experiments/";
	}
	snprintf(out, sz, "%s/glibc-%s/%s%s", real, e->version, sub, name);
	if (access(out, X_OK | R_OK) != 0)
		return hl_error_set(err, -ENOENT,
				    "%s is missing: programs that run under glibc %s are built "
				    "against it (make matrix)",
				    out, e->version);
	return 0;
}

int hl_glibc_env_resolve(const char *cmd, char *out, size_t sz)
{
	if (strchr(cmd, '/')) {
		snprintf(out, sz, "%s", cmd);
		return access(out, X_OK) == 0 ? 0 : -errno;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(out, sz, "%.*s/%s", (int)(n ? n : 1), n ? p : ".", cmd);
		if (access(out, X_OK) == 0)
			return 0;
		p += n + (p[n] == ':');
	}
	return -ENOENT;
}
