/*
 * cmd_sweep.c — `heaplab sweep`: runs one experiment once per combination
 * of allocators, tunable values and parameter values, each as an ordinary
 * `heaplab run` into its own directory inside the sweep's, then writes
 * sweep.json, sweep.tsv, sweep-rss.tsv and the plots (RSS per phase as
 * grouped bars, the timelines overlaid) and prints a comparison table.
 *
 * Each configuration is run by this same executable (`heaplab run ...`), so
 * a sweep's runs are exactly what `run` would have made, and one that fails
 * leaves its incomplete record like any run.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define MAX_DIMS 8
#define MAX_VALUES 16
#define MAX_CONFIGS 64

/* One axis of the sweep: the allocator, a tunable, a parameter or glibc. */
typedef struct dim {
	enum { DIM_ALLOCATOR, DIM_TUNABLE, DIM_PARAM, DIM_GLIBC } kind;
	char name[128]; /* tunable or parameter name */
	char *values[MAX_VALUES];
	int nvalues;
} dim_t;

typedef struct sweep_opts {
	const char *exp;
	const char *out;
	const char *interval;
	dim_t dims[MAX_DIMS];
	int ndims;
	const char *env[32];
	int nenv;
	char **exp_argv;
	int exp_argc;
	char *owned[MAX_DIMS]; /* strdup'd value lists */
	int nowned;
} sweep_opts_t;

static void sweep_usage(FILE *f)
{
	fprintf(f,
		"usage: heaplab sweep EXPERIMENT|PROGRAM [--allocator A,B,...] [--tunable K=V1,V2,...]...\n"
		"                     [--param NAME=V1,V2,...]... [--glibc V1,V2,...]\n"
		"                     [--env NAME=VALUE]...\n"
		"                     [--out DIR] [--interval MS] [-- EXPERIMENT-ARGS]\n\n"
		"Runs the experiment once per combination of the values given (their product),\n"
		"each as `heaplab run` into DIR/NN-.../, then writes sweep.json, sweep.tsv and\n"
		"the plots sweep-rss.png (RSS per phase, one bar per configuration) and\n"
		"sweep-timeline.png (RSS over time, overlaid), and prints a comparison table.\n\n"
		"  --allocator A,B     glibc, jemalloc, tcmalloc, mimalloc (default glibc)\n"
		"  --tunable K=V1,V2   a glibc tunable and its values (repeatable)\n"
		"  --param N=V1,V2     an experiment parameter and its values (repeatable)\n"
		"  --glibc V1,V2       glibc versions of the matrix (2.31,2.36,2.41,2.43): does\n"
		"                      upgrading fix it? (fetch them with `make matrix`)\n"
		"  --env NAME=VALUE    an environment variable for every run (repeatable)\n"
		"  --out DIR           default results/sweeps/EXPERIMENT/DATE-TIME-PID\n"
		"  --interval MS       sampling interval of every run (default 10)\n\n"
		"example: heaplab sweep arena_bloat --tunable glibc.malloc.arena_max=1,2,8\n"
		"         heaplab sweep fastbin_consolidate --glibc 2.31,2.36,2.41,2.43\n");
}

/* "K=V1,V2" into d (name K, values V1 V2). */
static int split_dim(sweep_opts_t *o, dim_t *d, const char *arg, const char *what)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1]) {
		say_error("%s takes NAME=V1,V2,... (got '%s')", what, arg);
		return -1;
	}
	snprintf(d->name, sizeof d->name, "%.*s", (int)(eq - arg), arg);
	char *list = strdup(eq + 1);
	if (!list)
		return -1;
	o->owned[o->nowned++] = list;
	for (char *save, *v = strtok_r(list, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
		if (d->nvalues == MAX_VALUES) {
			say_error("%s: at most %d values", what, MAX_VALUES);
			return -1;
		}
		d->values[d->nvalues++] = v;
	}
	if (!d->nvalues) {
		say_error("%s '%s' has no values", what, arg);
		return -1;
	}
	return 0;
}

static int parse_sweep(int argc, char **argv, sweep_opts_t *o)
{
	memset(o, 0, sizeof *o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--")) {
			o->exp_argv = argv + i + 1;
			o->exp_argc = argc - i - 1;
			break;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			sweep_usage(stdout);
			exit(0);
		}
		bool takes = !strcmp(a, "--allocator") || !strcmp(a, "--tunable") ||
			     !strcmp(a, "--param") || !strcmp(a, "--env") || !strcmp(a, "--out") ||
			     !strcmp(a, "--interval") || !strcmp(a, "--glibc");
		if (takes && !val) {
			say_error("%s needs a value (see heaplab sweep --help)", a);
			return -1;
		}
		if (takes && (!strcmp(a, "--allocator") || !strcmp(a, "--tunable") ||
			      !strcmp(a, "--param") || !strcmp(a, "--glibc"))) {
			if (o->ndims == MAX_DIMS) {
				say_error("at most %d swept options", MAX_DIMS);
				return -1;
			}
			dim_t *d = &o->dims[o->ndims++];
			d->kind = !strcmp(a, "--allocator") ? DIM_ALLOCATOR
				  : !strcmp(a, "--tunable") ? DIM_TUNABLE
				  : !strcmp(a, "--glibc")   ? DIM_GLIBC
							    : DIM_PARAM;
			char arg[1024];
			if (d->kind == DIM_ALLOCATOR)
				snprintf(arg, sizeof arg, "allocator=%s", val);
			else if (d->kind == DIM_GLIBC)
				snprintf(arg, sizeof arg, "glibc=%s", val);
			else
				snprintf(arg, sizeof arg, "%s", val);
			if (split_dim(o, d, arg, a))
				return -1;
			i++;
			continue;
		}
		if (takes) {
			if (!strcmp(a, "--env")) {
				if (!strchr(val, '=') || o->nenv == 32) {
					say_error("--env takes NAME=VALUE (got '%s')", val);
					return -1;
				}
				o->env[o->nenv++] = val;
			} else if (!strcmp(a, "--out")) {
				o->out = val;
			} else {
				o->interval = val;
			}
			i++;
			continue;
		}
		if (a[0] == '-') {
			say_error("unknown option '%s' (see heaplab sweep --help)", a);
			return -1;
		}
		if (o->exp) {
			say_error("unexpected argument '%s': arguments for %s go after --", a, o->exp);
			return -1;
		}
		o->exp = a;
	}
	if (!o->exp) {
		say_error("sweep needs an experiment");
		sweep_usage(stderr);
		return -1;
	}
	return 0;
}

/* Checks every value before anything runs. */
static int validate(const sweep_opts_t *o)
{
	hl_error_t err = {0};
	exp_desc_t d;
	memset(&d, 0, sizeof d);
	bool program = strchr(o->exp, '/') != NULL; /* a program, as heaplab run takes one */
	if (program && access(o->exp, X_OK)) {
		say_error("%s: %s (a program to sweep must be executable)", o->exp, strerror(errno));
		return -1;
	}
	if (!program && catalogue_describe(o->exp, &d, &err)) {
		say_error("unknown experiment '%s'", o->exp);
		fprintf(stderr, "experiments:\n");
		catalogue_print_list(stderr);
		return -1;
	}
	for (int k = 0; k < o->ndims; k++) {
		const dim_t *dm = &o->dims[k];
		for (int v = 0; v < dm->nvalues; v++) {
			char lib[PATH_MAX], kv[512];
			if (dm->kind == DIM_ALLOCATOR && !allocator_find(dm->values[v], lib, sizeof lib, &err)) {
				say_error("%s", err.msg);
				return -1;
			}
			hl_glibc_env_t ge;
			if (dm->kind == DIM_GLIBC && hl_glibc_env_find(dm->values[v], &ge, &err)) {
				say_error("%s", err.msg);
				return -1;
			}
			snprintf(kv, sizeof kv, "%s=%s", dm->name, dm->values[v]);
			if (dm->kind == DIM_TUNABLE && !allocator_valid_tunable(kv)) {
				say_error("--tunable takes glibc.malloc.NAME=V1,V2,... (got '%s')", kv);
				return -1;
			}
			if (dm->kind == DIM_PARAM && program) {
				say_error("--param is for experiments; pass a program's arguments after --");
				return -1;
			}
			if (dm->kind == DIM_PARAM) {
				bool known = false;
				for (int p = 0; p < d.nparams; p++)
					known |= !strcmp(d.params[p].name, dm->name);
				if (!known) {
					say_error("%s has no parameter '%s' (see heaplab explain %s)", o->exp,
						  dm->name, o->exp);
					return -1;
				}
			}
		}
	}
	return 0;
}

static void sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.' || *s == '='))
			*s = '_';
}

/* Runs `heaplab run` for one configuration; returns its exit status. */
static int run_config(const sweep_opts_t *o, const int *pick, const char *dir, hl_sweep_config_t *c)
{
	char *argv[128];
	int n = 0;
	static char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len <= 0)
		return -1;
	exe[len] = '\0';
	argv[n++] = exe;
	argv[n++] = "run";
	argv[n++] = (char *)o->exp;
	argv[n++] = "--quiet";
	argv[n++] = "--out";
	argv[n++] = (char *)dir;
	if (o->interval) {
		argv[n++] = "--interval";
		argv[n++] = (char *)o->interval;
	}
	static char kv[MAX_DIMS][512];
	snprintf(c->allocator, sizeof c->allocator, "glibc");
	for (int k = 0; k < o->ndims; k++) {
		const dim_t *dm = &o->dims[k];
		const char *v = dm->values[pick[k]];
		if (dm->kind == DIM_ALLOCATOR) {
			argv[n++] = "--allocator";
			argv[n++] = (char *)v;
			snprintf(c->allocator, sizeof c->allocator, "%s", v);
		} else if (dm->kind == DIM_TUNABLE) {
			snprintf(kv[k], sizeof kv[k], "%s=%s", dm->name, v);
			argv[n++] = "--tunable";
			argv[n++] = kv[k];
		} else if (dm->kind == DIM_GLIBC) {
			argv[n++] = "--glibc";
			argv[n++] = (char *)v;
		}
	}
	for (int e = 0; e < o->nenv; e++) {
		argv[n++] = "--env";
		argv[n++] = (char *)o->env[e];
	}
	argv[n++] = "--";
	for (int i = 0; i < o->exp_argc && n < 100; i++)
		argv[n++] = o->exp_argv[i];
	for (int k = 0; k < o->ndims; k++)
		if (o->dims[k].kind == DIM_PARAM) {
			snprintf(kv[k], sizeof kv[k], "--%s=%s", o->dims[k].name,
				 o->dims[k].values[pick[k]]);
			argv[n++] = kv[k];
		}
	argv[n] = NULL;

	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv(exe, argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int write_text(const char *dir, const char *name, const hl_buf_t *b)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fwrite(b->data, 1, b->len, f) != b->len) {
		if (f)
			fclose(f);
		say_error("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return fclose(f);
}

static void print_table(const hl_sweep_config_t *c, size_t n)
{
	/* phases of the first loaded config as columns */
	const hl_run_t *first = NULL;
	for (size_t i = 0; i < n && !first; i++)
		if (c[i].loaded)
			first = &c[i].run;
	if (!first)
		return;
	printf("\nRSS per phase:\n%-44s", "configuration");
	for (size_t k = 0; k < first->nphases; k++)
		printf(" %13.13s", first->phases[k].name);
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		printf("%-44.44s", c[i].label);
		for (size_t k = 0; k < first->nphases; k++) {
			const hl_phase_t *p = c[i].loaded ? hl_run_phase(&c[i].run, first->phases[k].name)
							  : NULL;
			char b[32];
			printf(" %13s", hl_units_bytes(p ? p->rss_bytes : HL_UNKNOWN, b, sizeof b));
		}
		printf("%s\n", c[i].loaded && c[i].run.complete ? "" : "  (incomplete)");
	}
}

int cmd_sweep(int argc, char **argv)
{
	sweep_opts_t o;
	int ret = EXIT_USAGE;
	if (parse_sweep(argc, argv, &o) || validate(&o))
		goto out;

	size_t total = 1;
	for (int k = 0; k < o.ndims; k++)
		total *= (size_t)o.dims[k].nvalues;
	if (total > MAX_CONFIGS) {
		say_error("%zu configurations: at most %d per sweep", total, MAX_CONFIGS);
		goto out;
	}
	char dir[PATH_MAX];
	if (o.out) {
		snprintf(dir, sizeof dir, "%s", o.out);
	} else {
		char sub[160];
		const char *base = strrchr(o.exp, '/');
		snprintf(sub, sizeof sub, "sweeps/%s", base ? base + 1 : o.exp);
		outdir_default(sub, dir, sizeof dir);
	}
	hl_error_t err = {0};
	int fd = outdir_claim(dir, "sweep.tsv", &err);
	if (fd < 0) {
		say_error("%s", err.msg);
		goto out;
	}
	close(fd);

	hl_sweep_config_t *c = calloc(total, sizeof *c);
	if (!c) {
		ret = 1;
		goto out;
	}
	printf("heaplab: sweeping %s over %zu configurations, writing %s\n", o.exp, total, dir);
	int pick[MAX_DIMS] = {0};
	int failed = 0;
	for (size_t i = 0; i < total; i++) {
		/* pick = the i-th combination, the last axis fastest */
		size_t rest = i;
		for (int k = o.ndims - 1; k >= 0; k--) {
			pick[k] = (int)(rest % (size_t)o.dims[k].nvalues);
			rest /= (size_t)o.dims[k].nvalues;
		}
		hl_sweep_config_t *cf = &c[i];
		char label[256] = "", tun[512] = "", par[256] = "";
		for (int k = 0; k < o.ndims; k++) {
			const dim_t *dm = &o.dims[k];
			const char *v = dm->values[pick[k]];
			size_t l = strlen(label);
			if (dm->kind == DIM_ALLOCATOR) {
				snprintf(label + l, sizeof label - l, "%s%s", l ? " " : "", v);
			} else if (dm->kind == DIM_TUNABLE) {
				const char *shortname = strrchr(dm->name, '.');
				snprintf(label + l, sizeof label - l, "%s%s=%s", l ? " " : "",
					 shortname ? shortname + 1 : dm->name, v);
				size_t t = strlen(tun);
				snprintf(tun + t, sizeof tun - t, "%s%s=%s", t ? ":" : "", dm->name, v);
			} else if (dm->kind == DIM_GLIBC) {
				snprintf(label + l, sizeof label - l, "%sglibc-%s", l ? " " : "", v);
			} else {
				snprintf(label + l, sizeof label - l, "%s%s=%s", l ? " " : "", dm->name, v);
				size_t p = strlen(par);
				snprintf(par + p, sizeof par - p, "%s--%s=%s", p ? " " : "", dm->name, v);
			}
		}
		if (!label[0])
			snprintf(label, sizeof label, "glibc");
		snprintf(cf->label, sizeof cf->label, "%s", label);
		snprintf(cf->tunables, sizeof cf->tunables, "%s", tun);
		snprintf(cf->params, sizeof cf->params, "%s", par);
		char name[100];
		snprintf(name, sizeof name, "%02zu-%.80s", i + 1, label);
		sanitize(name);
		snprintf(cf->dir, sizeof cf->dir, "%s", name);
		char rdir[PATH_MAX];
		snprintf(rdir, sizeof rdir, "%s/%s", dir, name);
		printf("[%zu/%zu] %s\n", i + 1, total, label);
		fflush(stdout);
		int rc = run_config(&o, pick, rdir, cf);
		hl_run_init(&cf->run);
		cf->loaded = hl_run_load(rdir, &cf->run, &err) == 0;
		if (rc != 0 || !cf->loaded) {
			failed++;
			say_error("configuration '%s' did not complete (status %d); its record is in %s",
				  label, rc, rdir);
		}
	}

	hl_buf_t b = {0};
	int wrc = 0;
	if (hl_sweep_to_json(o.exp, c, total, &b, &err) == 0)
		wrc |= write_text(dir, "sweep.json", &b);
	if (hl_sweep_tsv(c, total, &b) == 0)
		wrc |= write_text(dir, "sweep.tsv", &b);
	if (hl_sweep_rss_matrix(c, total, &b) == 0)
		wrc |= write_text(dir, "sweep-rss.tsv", &b);
	if (hl_plot_sweep_script(o.exp, c, total, &b, &err) == 0)
		wrc |= write_text(dir, "sweep.gp", &b);
	hl_buf_free(&b);
	print_table(c, total);

	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 2);
		if (chdir(dir) == 0)
			execlp("gnuplot", "gnuplot", "sweep.gp", (char *)NULL);
		_exit(127);
	}
	int st = 0;
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		say_error("the sweep plots were not drawn (is gnuplot installed? apt-get install "
			  "gnuplot-nox); the data is in %s",
			  dir);
	else
		printf("\nplots: %s/sweep-rss.png %s/sweep-timeline.png\n", dir, dir);
	printf("sweep: %s\n", dir);
	for (size_t i = 0; i < total; i++)
		hl_run_free(&c[i].run);
	free(c);
	ret = failed || wrc ? 1 : 0;
out:
	for (int i = 0; i < o.nowned; i++)
		free(o.owned[i]);
	return ret;
}
