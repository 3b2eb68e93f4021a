/*
 * catalogue.c — the experiments heaplab knows: where they are, what each
 * says about itself (`EXP --describe`), and the `list` and `explain`
 * commands. The experiment program is the one source of its description;
 * nothing here repeats a lesson.
 */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

const char *catalogue_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("HEAPLAB_EXPERIMENTS");
	if (env && *env)
		return env;
	if (!dir[0]) {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		if (n <= 0) {
			snprintf(dir, sizeof dir, "build/experiments");
			return dir;
		}
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		snprintf(dir, sizeof dir, "%.*s/experiments", (int)(sizeof dir - 13), exe);
	}
	return dir;
}

static bool valid_exp_name(const char *s)
{
	if (!*s || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static void copy_field(char *dst, size_t dstsz, const char *src, size_t n)
{
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int parse_describe(const char *buf, exp_desc_t *d, hl_error_t *err)
{
	const char *p = buf;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *colon = memchr(p, ':', n);
		if (colon && colon[1] == ' ') {
			size_t k = (size_t)(colon - p);
			const char *v = colon + 2;
			size_t vn = n - k - 2;
			if (k == 4 && !strncmp(p, "name", 4))
				copy_field(d->name, sizeof d->name, v, vn);
			else if (k == 6 && !strncmp(p, "lesson", 6))
				copy_field(d->lesson, sizeof d->lesson, v, vn);
			else if (k == 6 && !strncmp(p, "phases", 6))
				copy_field(d->phases, sizeof d->phases, v, vn);
			else if (k == 4 && !strncmp(p, "look", 4))
				copy_field(d->look, sizeof d->look, v, vn);
			else if (k == 6 && !strncmp(p, "expect", 6))
				copy_field(d->expect, sizeof d->expect, v, vn);
			else if (k == 5 && !strncmp(p, "glibc", 5) && d->nglibc < 8)
				copy_field(d->glibc[d->nglibc++], sizeof d->glibc[0], v, vn);
			else if (k == 5 && !strncmp(p, "param", 5) && d->nparams < CATALOGUE_MAX_PARAMS) {
				char line[512];
				copy_field(line, sizeof line, v, vn);
				exp_param_t *pa = &d->params[d->nparams];
				int used = 0;
				if (sscanf(line, "%63s %lld %lld %lld %n", pa->name, &pa->def, &pa->min,
					   &pa->max, &used) == 4) {
					snprintf(pa->help, sizeof pa->help, "%s", line + used);
					d->nparams++;
				}
			}
		}
		p += n + (nl ? 1 : 0);
	}
	if (!d->name[0] || !d->lesson[0])
		return hl_error_set(err, HL_EPARSE, "%s --describe gave no name or lesson", d->path);
	return 0;
}

int catalogue_describe(const char *name, exp_desc_t *out, hl_error_t *err)
{
	memset(out, 0, sizeof *out);
	if (!valid_exp_name(name))
		return hl_error_set(err, -ENOENT, "unknown experiment '%s'", name);
	snprintf(out->path, sizeof out->path, "%s/%s", catalogue_dir(), name);
	struct stat st;
	if (stat(out->path, &st) < 0 || !S_ISREG(st.st_mode) || access(out->path, X_OK) < 0)
		return hl_error_set(err, -ENOENT, "unknown experiment '%s'", name);
	hl_buf_t b = {0};
	int rc = hl_lesson_describe(out->path, &b);
	if (rc != 0) {
		hl_buf_free(&b);
		return hl_error_set(err, -EIO, "%s --describe failed (status %d)", out->path, rc);
	}
	rc = parse_describe(b.data ? b.data : "", out, err);
	hl_buf_free(&b);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const exp_desc_t *)a)->name, ((const exp_desc_t *)b)->name);
}

int catalogue_all(exp_desc_t **out, hl_error_t *err)
{
	*out = NULL;
	DIR *d = opendir(catalogue_dir());
	if (!d)
		return hl_error_set(err, -errno,
				    "no experiments in %s: build them with `make` (or set "
				    "HEAPLAB_EXPERIMENTS)",
				    catalogue_dir());
	exp_desc_t *v = NULL;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!valid_exp_name(e->d_name))
			continue;
		exp_desc_t *nv = realloc(v, (size_t)(n + 1) * sizeof *v);
		if (!nv)
			break;
		v = nv;
		if (catalogue_describe(e->d_name, &v[n], NULL) == 0)
			n++;
	}
	closedir(d);
	if (n)
		qsort(v, (size_t)n, sizeof *v, by_name);
	*out = v;
	return n;
}

void catalogue_print_list(FILE *f)
{
	exp_desc_t *v;
	hl_error_t err = {0};
	int n = catalogue_all(&v, &err);
	if (n < 0) {
		fprintf(f, "  (%s)\n", err.msg);
		return;
	}
	for (int i = 0; i < n; i++)
		fprintf(f, "  %-22s %s\n", v[i].name, v[i].lesson);
	if (n == 0)
		fprintf(f, "  (none built in %s: run `make`)\n", catalogue_dir());
	free(v);
}

int cmd_list(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: heaplab list\n\nLists the experiments and the lesson each one proves.\n");
		return 0;
	}
	if (argc > 1) {
		say_error("list takes no arguments (got '%s')", argv[1]);
		return EXIT_USAGE;
	}
	printf("experiments (in %s):\n", catalogue_dir());
	catalogue_print_list(stdout);
	printf("\nheaplab explain NAME tells more; heaplab run NAME runs one.\n");
	return 0;
}

int catalogue_lesson(const exp_desc_t *d, hl_lesson_t *out, hl_error_t *err)
{
	hl_buf_t b = {0};
	int rc = hl_lesson_describe(d->path, &b);
	if (rc)
		rc = hl_error_set(err, -EIO, "%s --describe failed (status %d)", d->path, rc);
	else
		rc = hl_lesson_parse(b.data ? b.data : "", b.len, out, err);
	hl_buf_free(&b);
	return rc;
}

/* The lesson at each phase, as heapview --step and the slides show it,
 * with what the placeholders stand for. */
static void explain_steps(const exp_desc_t *d)
{
	hl_lesson_t *l = malloc(sizeof *l);
	hl_error_t err = {0};
	if (!l || catalogue_lesson(d, l, &err)) {
		if (l)
			say_error("%s", err.msg);
		free(l);
		return;
	}
	if (l->nlines) {
		printf("\nat each phase (heapview --experiment %s --step shows these, and heaplab run "
		       "--slides writes them under each slide, with this run's figures in the "
		       "{placeholders}):\n",
		       d->name);
		for (size_t i = 0; i < l->nlines; i++) {
			const hl_lesson_line_t *x = &l->line[i];
			if (x->cond[0])
				printf("  %s (--%s=%s): %s\n", x->phase, x->cond, x->cond_value, x->text);
			else
				printf("  %s: %s\n", x->phase, x->text);
		}
		printf("placeholders (unknown figures print \"unknown\", estimates \"~\"):\n");
		const char *name, *what;
		size_t n = hl_lesson_placeholders(0, &name, &what);
		for (size_t i = 0; i < n; i++) {
			hl_lesson_placeholders(i, &name, &what);
			printf("  {%s}%*s %s\n", name, (int)(12 - strlen(name)), "", what);
		}
	}
	free(l);
}

int cmd_explain(int argc, char **argv)
{
	if (argc != 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		FILE *f = argc == 2 ? stdout : stderr;
		fprintf(f, "usage: heaplab explain EXPERIMENT\n\n"
			   "Prints the lesson, phases, knobs and expected numbers of one experiment,\n"
			   "and its lesson at each phase (what heapview --step and heaplab run\n"
			   "--slides show, with this run's figures) with the placeholders it uses.\n");
		return argc == 2 ? 0 : EXIT_USAGE;
	}
	exp_desc_t d;
	hl_error_t err = {0};
	if (catalogue_describe(argv[1], &d, &err)) {
		say_error("%s", err.msg);
		fprintf(stderr, "experiments:\n");
		catalogue_print_list(stderr);
		return EXIT_USAGE;
	}
	printf("%s — %s\n\nphases: %s\n", d.name, d.lesson, d.phases);
	if (d.look[0])
		printf("look at: %s\n", d.look);
	printf("\nknobs:\n");
	for (int i = 0; i < d.nparams; i++)
		printf("  --%s=N  %s (default %lld, %lld..%lld)\n", d.params[i].name, d.params[i].help,
		       d.params[i].def, d.params[i].min, d.params[i].max);
	printf("\nexpected on glibc 2.36: %s\n", d.expect);
	if (d.nglibc) {
		printf("\non each glibc (measured; heaplab sweep %s --glibc 2.31,2.36,2.41,2.43):\n",
		       d.name);
		for (int i = 0; i < d.nglibc; i++)
			printf("  %s\n", d.glibc[i]);
	}
	explain_steps(&d);
	printf("\nrun it:  heaplab run %s [-- --NAME=VALUE...]\n", d.name);
	return 0;
}
