/*
 * lesson.c — the lesson an experiment teaches at each of its phases, as
 * its header (lab_experiment_t.steps, in experiments/EXP.c) states it and
 * `EXP --describe` prints it ("step: PHASE [PARAM=V]: text"): the reader of
 * those lines, the rule of which lines a phase of a run shows, and the
 * filling of their placeholders with that run's figures. heapview --step
 * shows them on screen, heaplab run --slides under each slide, heaplab
 * explain prints them with the placeholders described: one source.
 *
 * It owns the placeholder table (name, what it is); it does not fetch
 * figures (heapview gives its snapshot's, the slides a run's phase) and
 * does not run the experiment (hl_lesson_describe's caller does the I/O of
 * its output; the pipe and exec are here so both executables share them).
 *
 * A figure that is not known prints "unknown", one that is an estimate
 * (live bytes of a sampled walk) carries "~": a caption never shows a
 * number that is not this run's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heaplab.h"

static const struct {
	const char *name;
	const char *what;
} placeholders[] = {
	{"rss", "RSS at this phase"},
	{"vsz", "VSZ (address space) at this phase"},
	{"live", "live bytes (in-use chunks) from the heap walk; ~ when sampled"},
	{"freed", "how far live bytes fell since the previous phase (net of what was "
		  "allocated; 0 B when they grew)"},
	{"d_rss", "the change of RSS since the previous phase, signed (\"no change\")"},
	{"d_live", "the change of live bytes since the previous phase, signed"},
	{"d_held_back", "the change of held-back bytes since the previous phase"},
	{"d_released", "the change of released bytes since the previous phase"},
	{"held_back", "whole pages inside free chunks and top that are still resident (a "
		      "hole smaller than a page holds none)"},
	{"released", "whole pages inside free chunks and top given back to the kernel"},
	{"releasable", "what malloc_trim(0) would give back"},
	{"top", "the top chunks' bytes"},
	{"tcache", "bytes in tcache chunks"},
	{"fastbins", "bytes in fastbin chunks"},
	{"ratio", "RSS / live"},
	{"arenas", "how many arenas the walk found"},
	{"pin", "the pin: its bytes and address, or \"no pin found\""},
	{"pin_size", "the pin's bytes (the chunks between the free chunk and top)"},
	{"pin_addr", "the pin's address (its lowest chunk)"},
	{"prev", "the previous phase's name"},
	{"p:NAME", "the run's value of the experiment's parameter NAME"},
};

size_t hl_lesson_placeholders(size_t i, const char **name, const char **what)
{
	size_t n = sizeof placeholders / sizeof placeholders[0];
	if (i < n) {
		*name = placeholders[i].name;
		*what = placeholders[i].what;
	}
	return n;
}

void hl_lesson_figs_init(hl_lesson_figs_t *f)
{
	memset(f, 0, sizeof *f);
	f->rss = f->vsz = f->live = f->held_back = f->released = f->releasable = HL_UNKNOWN;
	f->top = f->tcache = f->fastbins = f->arenas = HL_UNKNOWN;
	f->prev_rss = f->prev_live = f->prev_held_back = f->prev_released = HL_UNKNOWN;
	f->pin_bytes = HL_UNKNOWN;
}

void hl_lesson_figs_phase(hl_lesson_figs_t *f, const hl_phase_t *ph, const hl_phase_t *prev)
{
	hl_lesson_figs_init(f);
	f->rss = ph->rss_bytes;
	f->vsz = ph->vsz_bytes;
	if (ph->walk_valid) {
		const struct hl_walk_summary *w = &ph->walk;
		f->live = w->live_bytes;
		f->live_estimated = w->chunks_estimated;
		f->held_back = w->held_back_bytes;
		f->released = w->released_bytes;
		f->releasable = w->releasable_bytes;
		f->top = w->top_bytes;
		f->tcache = w->tcache_bytes;
		f->fastbins = w->fastbin_bytes;
		f->arenas = w->arenas;
	}
	if (!prev)
		return;
	snprintf(f->prev_phase, sizeof f->prev_phase, "%s", prev->name);
	f->prev_rss = prev->rss_bytes;
	if (prev->walk_valid) {
		f->prev_live = prev->walk.live_bytes;
		f->prev_held_back = prev->walk.held_back_bytes;
		f->prev_released = prev->walk.released_bytes;
		f->live_estimated = f->live_estimated || prev->walk.chunks_estimated;
	}
}

/* "PHASE [PARAM=V]: text" */
int hl_lesson_step_parse(const char *s, size_t n, hl_lesson_line_t *out, hl_error_t *err)
{
	memset(out, 0, sizeof *out);
	const char *colon = memchr(s, ':', n);
	if (!colon || colon == s || (size_t)(colon - s) + 1 >= n || colon[1] != ' ')
		return hl_error_set(err, HL_EPARSE, "a step line is 'PHASE: text', got '%.*s'",
				    (int)(n > 60 ? 60 : n), s);
	size_t head = (size_t)(colon - s);
	const char *br = memchr(s, '[', head);
	size_t pn = br ? (size_t)(br - s) : head;
	while (pn && s[pn - 1] == ' ')
		pn--;
	if (!pn || pn >= sizeof out->phase)
		return hl_error_set(err, HL_EPARSE, "a step line's phase name is 1 to 63 characters");
	memcpy(out->phase, s, pn);
	if (br) {
		const char *eq = memchr(br, '=', head - (size_t)(br - s));
		const char *close = memchr(br, ']', head - (size_t)(br - s));
		if (!eq || !close || eq > close || eq == br + 1 || close == eq + 1 ||
		    (size_t)(eq - br - 1) >= sizeof out->cond ||
		    (size_t)(close - eq - 1) >= sizeof out->cond_value)
			return hl_error_set(err, HL_EPARSE,
					    "a step line's condition is [PARAM=VALUE], in '%.*s'",
					    (int)head, s);
		memcpy(out->cond, br + 1, (size_t)(eq - br - 1));
		memcpy(out->cond_value, eq + 1, (size_t)(close - eq - 1));
	}
	size_t tn = n - head - 2;
	if (tn >= sizeof out->text)
		tn = sizeof out->text - 1;
	memcpy(out->text, colon + 2, tn);
	return 0;
}

int hl_lesson_parse(const char *buf, size_t len, hl_lesson_t *out, hl_error_t *err)
{
	memset(out, 0, sizeof *out);
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		if (n > 7 && !strncmp(p, "phases: ", 8)) {
			snprintf(out->phases, sizeof out->phases, "%.*s", (int)(n - 8), p + 8);
		} else if (n > 6 && !strncmp(p, "step: ", 6) && out->nlines < HL_LESSON_MAX_LINES) {
			int rc = hl_lesson_step_parse(p + 6, n - 6, &out->line[out->nlines], err);
			if (rc)
				return rc;
			out->nlines++;
		} else if (n > 7 && !strncmp(p, "param: ", 7) && out->nparams < HL_LESSON_MAX_PARAMS) {
			hl_param_t *pa = &out->params[out->nparams];
			long long def;
			if (sscanf(p + 7, "%63s %lld", pa->name, &def) == 2) {
				snprintf(pa->value, sizeof pa->value, "%lld", def);
				out->nparams++;
			}
		}
		p = nl ? nl + 1 : end;
	}
	/* declared phases: the words of "phases:", unless they are a pattern */
	out->nphases = 0;
	bool pattern = strchr(out->phases, '[') || strchr(out->phases, 'N');
	for (const char *q = out->phases; !pattern && *q;) {
		while (*q == ' ')
			q++;
		if (!*q)
			break;
		out->nphases++;
		while (*q && *q != ' ')
			q++;
	}
	return 0;
}

int hl_lesson_param_set(hl_lesson_t *l, const char *arg)
{
	if (strncmp(arg, "--", 2))
		return -EINVAL;
	const char *eq = strchr(arg, '=');
	if (!eq)
		return -EINVAL;
	size_t n = (size_t)(eq - arg - 2);
	for (size_t i = 0; i < l->nparams; i++)
		if (strlen(l->params[i].name) == n && !strncmp(l->params[i].name, arg + 2, n)) {
			snprintf(l->params[i].value, sizeof l->params[i].value, "%s", eq + 1);
			return 0;
		}
	return -ENOENT;
}

/* A phase name against a step's: an N in the step's stands for digits. */
bool hl_lesson_phase_match(const char *step, const char *phase)
{
	while (*step) {
		if (*step == 'N') {
			if (*phase < '0' || *phase > '9')
				return false;
			while (*phase >= '0' && *phase <= '9')
				phase++;
			step++;
			continue;
		}
		if (*step++ != *phase++)
			return false;
	}
	return *phase == '\0';
}

static const char *param_value(const hl_param_t *p, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(p[i].name) == len && !strncmp(p[i].name, name, len))
			return p[i].value;
	return NULL;
}

bool hl_lesson_applies(const hl_lesson_line_t *l, const char *phase, const hl_param_t *params,
		       size_t nparams)
{
	if (!hl_lesson_phase_match(l->phase, phase))
		return false;
	if (!l->cond[0])
		return true;
	const char *v = param_value(params, nparams, l->cond, strlen(l->cond));
	if (!v)
		return false;
	/* "1" and "0x1" are the same parameter value */
	char *e1, *e2;
	long long a = strtoll(v, &e1, 0), b = strtoll(l->cond_value, &e2, 0);
	if (!*e1 && !*e2 && e1 != v && e2 != l->cond_value)
		return a == b;
	return !strcmp(v, l->cond_value);
}

static void size_fig(int64_t v, bool est, char *out, size_t n)
{
	char b[32];
	if (v < 0)
		snprintf(out, n, "unknown");
	else
		snprintf(out, n, "%s%s", est ? "~" : "", hl_units_bytes(v, b, sizeof b));
}

static void delta_fig(int64_t now, int64_t before, bool est, char *out, size_t n)
{
	char b[32];
	if (now < 0 || before < 0) {
		snprintf(out, n, "change unknown");
		return;
	}
	int64_t d = now - before;
	if (d == 0 && !est)
		snprintf(out, n, "no change");
	else
		snprintf(out, n, "%s%s%s", est ? "~" : "", d > 0 ? "+" : d < 0 ? "-" : "",
			 hl_units_bytes(d < 0 ? -d : d, b, sizeof b));
}

/* The value of placeholder name[0..len) into out; false when unknown to us. */
static bool value_of(const char *name, size_t len, const hl_lesson_figs_t *f, char *out, size_t n)
{
#define IS(s) (len == sizeof(s) - 1 && !strncmp(name, s, len))
	bool est = f->live_estimated;
	if (len > 2 && !strncmp(name, "p:", 2)) {
		const char *v = param_value(f->params, f->nparams, name + 2, len - 2);
		snprintf(out, n, "%s", v ? v : "unknown");
	} else if (IS("rss")) {
		size_fig(f->rss, false, out, n);
	} else if (IS("vsz")) {
		size_fig(f->vsz, false, out, n);
	} else if (IS("live")) {
		size_fig(f->live, est, out, n);
	} else if (IS("freed")) {
		if (f->live < 0 || f->prev_live < 0)
			snprintf(out, n, "unknown");
		else
			size_fig(f->prev_live > f->live ? f->prev_live - f->live : 0, est, out, n);
	} else if (IS("d_rss")) {
		delta_fig(f->rss, f->prev_rss, false, out, n);
	} else if (IS("d_live")) {
		delta_fig(f->live, f->prev_live, est, out, n);
	} else if (IS("d_held_back")) {
		delta_fig(f->held_back, f->prev_held_back, false, out, n);
	} else if (IS("d_released")) {
		delta_fig(f->released, f->prev_released, false, out, n);
	} else if (IS("held_back")) {
		size_fig(f->held_back, false, out, n);
	} else if (IS("released")) {
		size_fig(f->released, false, out, n);
	} else if (IS("releasable")) {
		size_fig(f->releasable, false, out, n);
	} else if (IS("top")) {
		size_fig(f->top, false, out, n);
	} else if (IS("tcache")) {
		size_fig(f->tcache, false, out, n);
	} else if (IS("fastbins")) {
		size_fig(f->fastbins, false, out, n);
	} else if (IS("ratio")) {
		char r[32];
		hl_units_ratio(hl_figures_frag_ratio(f->rss, f->live), r, sizeof r);
		snprintf(out, n, "%s%s", est && r[0] != 'n' ? "~" : "", r);
	} else if (IS("arenas")) {
		if (f->arenas < 0)
			snprintf(out, n, "unknown");
		else
			snprintf(out, n, "%" PRId64, f->arenas);
	} else if (IS("pin") || IS("pin_size") || IS("pin_addr")) {
		char b[32];
		if (!f->have_pin)
			snprintf(out, n, IS("pin") ? "no pin found" : "unknown");
		else if (IS("pin_size"))
			snprintf(out, n, "%s", hl_units_bytes(f->pin_bytes, b, sizeof b));
		else if (IS("pin_addr"))
			snprintf(out, n, "0x%" PRIx64, f->pin_addr);
		else
			snprintf(out, n, "%s at 0x%" PRIx64, hl_units_bytes(f->pin_bytes, b, sizeof b),
				 f->pin_addr);
	} else if (IS("prev")) {
		snprintf(out, n, "%s", f->prev_phase[0] ? f->prev_phase : "the start");
	} else {
		return false;
	}
	return true;
#undef IS
}

int hl_lesson_fill(const char *text, const hl_lesson_figs_t *f, char *out, size_t outsz)
{
	size_t o = 0;
	int unknown = 0;
	if (!outsz)
		return 0;
	for (const char *p = text; *p && o + 1 < outsz;) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		char v[128];
		if (close && value_of(p + 1, (size_t)(close - p - 1), f, v, sizeof v)) {
			size_t vn = strlen(v);
			if (vn > outsz - 1 - o)
				vn = outsz - 1 - o;
			memcpy(out + o, v, vn);
			o += vn;
			p = close + 1;
			continue;
		}
		if (close)
			unknown++; /* kept as written: hl_lesson_check finds it */
		out[o++] = *p++;
	}
	out[o] = '\0';
	return unknown;
}

size_t hl_lesson_lines(const hl_lesson_t *l, const char *phase, const hl_lesson_figs_t *f,
		       char (*out)[HL_LESSON_TEXT], size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < l->nlines && n < max; i++)
		if (hl_lesson_applies(&l->line[i], phase, f->params, f->nparams))
			hl_lesson_fill(l->line[i].text, f, out[n++], HL_LESSON_TEXT);
	return n;
}

int hl_lesson_check(const hl_lesson_t *l, hl_error_t *err)
{
	hl_lesson_figs_t f;
	hl_lesson_figs_init(&f);
	for (size_t i = 0; i < l->nlines; i++) {
		for (const char *p = strchr(l->line[i].text, '{'); p; p = strchr(p + 1, '{')) {
			const char *close = strchr(p, '}');
			char v[128];
			if (!close)
				return hl_error_set(err, HL_EPARSE, "step '%s': a '{' without '}'",
						    l->line[i].phase);
			size_t len = (size_t)(close - p - 1);
			if (len > 2 && !strncmp(p + 1, "p:", 2)) {
				if (!param_value(l->params, l->nparams, p + 3, len - 2))
					return hl_error_set(err, HL_EPARSE,
							    "step '%s': {%.*s} names no parameter",
							    l->line[i].phase, (int)len, p + 1);
			} else if (!value_of(p + 1, len, &f, v, sizeof v)) {
				return hl_error_set(err, HL_EPARSE,
						    "step '%s': {%.*s} is not a placeholder",
						    l->line[i].phase, (int)len, p + 1);
			}
		}
		if (l->line[i].cond[0] &&
		    !param_value(l->params, l->nparams, l->line[i].cond, strlen(l->line[i].cond)))
			return hl_error_set(err, HL_EPARSE, "step '%s': [%s=...] names no parameter",
					    l->line[i].phase, l->line[i].cond);
	}
	return 0;
}

int hl_lesson_describe(const char *path, hl_buf_t *out)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		execl(path, path, "--describe", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char chunk[4096];
	ssize_t n;
	while ((n = read(fds[0], chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && hl_buf_append(out, chunk, (size_t)n))
			break;
	close(fds[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
