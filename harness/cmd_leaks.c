/*
 * cmd_leaks.c — `heaplab leaks TRACE`: what a traced program never freed,
 * grouped by call stack and named with libdw, and the frees that went
 * wrong (twice, or of a pointer never allocated), each with its stacks.
 * TRACE stands for its whole family (lib/trace_family.c): the command and
 * every process it forked, exec'd or spawned, reported one by one.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "trace.h"

int trace_open(const char *path, hl_trace_t *t, const char *doing)
{
	hl_error_t err = {0};
	if (hl_trace_load(path, t, &err)) {
		say_error("%s", err.msg);
		return err.code == -EPROTO || err.code == -EINVAL ? EXIT_USAGE : 1;
	}
	if (t->problem[0])
		fprintf(stderr, "heaplab: %s: %s; %s its %zu events\n", path, t->problem, doing, t->nev);
	return 0;
}

static void leaks_usage(FILE *f)
{
	fprintf(f,
		"usage: heaplab leaks [--json] [--top N] [--pid N | --command NAME]\n"
		"                     [--debug-dir DIR] TRACE\n\n"
		"Reads a trace from heaplab trace and reports the bytes and blocks never\n"
		"freed, grouped by call stack, biggest first, each frame as function and\n"
		"file:line, and every double free and free of a pointer never allocated,\n"
		"with the stack of the free and of the allocation. TRACE names the whole\n"
		"run: the command and each process it forked, exec'd or spawned (the files\n"
		"TRACE.PID beside it), reported one by one. A forked child starts with its\n"
		"parent's heap: what it inherits and frees is no error, and what it never\n"
		"frees is its leak only when its parent freed its own copy. A trace cut\n"
		"short is read up to where it stops, and the report says where.\n\n"
		"  --json            the same as JSON (processes: one object each)\n"
		"  --top N           at most N groups a process (default 20; 0: all)\n"
		"  --pid N           only the process N (each program it exec'd)\n"
		"  --command NAME    only the processes whose program is NAME\n"
		"  --debug-dir DIR   debug info looked for in DIR first (a folder with\n"
		"                    .build-id/), then /usr/lib/debug (libc6-dbg, -dbgsym)\n");
}

/* Modules frames were named in without debug info (function names from
 * the symbol table at best, no file:line). */
typedef struct nodebug {
	char path[512];
	char id[48];
} nodebug_t;

typedef struct ctx {
	hl_trace_family_t *f;
	hl_symbolizer_t **sym; /* one per member, made when first needed */
	nodebug_t nd[32];
	size_t nnd;
	long top;
} ctx_t;

static hl_symbolizer_t *sym_of(ctx_t *c, int member)
{
	if (!c->sym[member])
		c->sym[member] = hl_symbolizer_new(&c->f->m[member].trace);
	return c->sym[member];
}

static void note_module(ctx_t *c, const hl_frame_info_t *fi)
{
	if (fi->has_debug || !fi->module_path[0])
		return;
	for (size_t i = 0; i < c->nnd; i++)
		if (!strcmp(c->nd[i].path, fi->module_path))
			return;
	if (c->nnd < 32) {
		snprintf(c->nd[c->nnd].path, sizeof c->nd[c->nnd].path, "%s", fi->module_path);
		snprintf(c->nd[c->nnd].id, sizeof c->nd[c->nnd].id, "%s", fi->build_id);
		c->nnd++;
	}
}

static cJSON *frames_of(ctx_t *c, int member, uint32_t stack)
{
	cJSON *a = cJSON_CreateArray();
	const hl_trace_t *t = &c->f->m[member].trace;
	if (stack >= t->nstacks)
		return a;
	const hl_trace_stack_t *s = &t->stacks[stack];
	for (uint32_t k = 0; k < s->depth; k++) {
		hl_frame_info_t fi;
		hl_symbolize(sym_of(c, member), s->frames[k], &fi);
		note_module(c, &fi);
		cJSON *fr = cJSON_CreateObject();
		char pc[32];
		snprintf(pc, sizeof pc, "%#llx", (unsigned long long)fi.pc);
		cJSON_AddStringToObject(fr, "address", pc);
		cJSON_AddStringToObject(fr, "function", fi.function);
		cJSON_AddStringToObject(fr, "file", fi.file);
		cJSON_AddNumberToObject(fr, "line", fi.line);
		cJSON_AddStringToObject(fr, "module", fi.module);
		cJSON_AddItemToArray(a, fr);
	}
	return a;
}

static void print_of(ctx_t *c, int member, uint32_t stack, const char *indent)
{
	const hl_trace_t *t = &c->f->m[member].trace;
	if (stack >= t->nstacks || !t->stacks[stack].depth) {
		printf("%s(no stack)\n", indent);
		return;
	}
	const hl_trace_stack_t *s = &t->stacks[stack];
	for (uint32_t k = 0; k < s->depth; k++) {
		hl_frame_info_t fi;
		hl_symbolize(sym_of(c, member), s->frames[k], &fi);
		note_module(c, &fi);
		printf("%s%s", indent, fi.function[0] ? fi.function : "??");
		if (fi.file[0])
			printf(" %s:%d", fi.file, fi.line);
		else
			printf(" (%s+%#llx)", fi.module[0] ? fi.module : "?",
			       (unsigned long long)(fi.module[0] ? fi.offset : fi.pc));
		printf("\n");
	}
}

/* For cmd_diagnose: frames of one trace, without a family. */
cJSON *frames_json(hl_symbolizer_t *sym, const hl_trace_t *t, uint32_t stack)
{
	hl_trace_member_t m = {.trace = *t};
	hl_trace_family_t f = {.m = &m, .n = 1};
	ctx_t c = {.f = &f, .sym = &sym};
	return frames_of(&c, 0, stack);
}

void print_frames(hl_symbolizer_t *sym, const hl_trace_t *t, uint32_t stack, const char *indent)
{
	hl_trace_member_t m = {.trace = *t};
	hl_trace_family_t f = {.m = &m, .n = 1};
	ctx_t c = {.f = &f, .sym = &sym};
	print_of(&c, 0, stack, indent);
}

static int64_t inherited_leaks(const hl_leaks_t *l, int64_t *bytes)
{
	int64_t n = 0;
	*bytes = 0;
	for (size_t g = 0; g < l->ngroups; g++)
		if (l->groups[g].origin >= 0) {
			n += l->groups[g].blocks;
			*bytes += l->groups[g].bytes;
		}
	return n;
}

static bool complete(const hl_trace_member_t *m)
{
	const hl_trace_t *t = &m->trace;
	return t->ended && (t->end_kind == HLT_END_EXIT || t->end_kind == HLT_END_EXEC ||
			    t->end_kind == HLT_END_DETACH);
}

/* The figures leaks --json has for one process, added to o. */
static void member_fields(ctx_t *c, int i, cJSON *o)
{
	const hl_trace_member_t *m = &c->f->m[i];
	const hl_trace_t *t = &m->trace;
	const hl_leaks_t *l = &m->leaks;
	char end[600];
	cJSON_AddNumberToObject(o, "pid", m->pid);
	cJSON_AddNumberToObject(o, "ppid", m->ppid);
	cJSON_AddStringToObject(o, "command", m->command);
	cJSON_AddStringToObject(o, "file", m->path);
	cJSON_AddStringToObject(o, "how", hl_trace_member_how(m));
	cJSON_AddStringToObject(o, "ended", hl_trace_member_end(m, end, sizeof end));
	if (m->next_image >= 0)
		cJSON_AddStringToObject(o, "continued_in", c->f->m[m->next_image].path);
	cJSON_AddNumberToObject(o, "events", (double)t->nev);
	cJSON_AddBoolToObject(o, "complete", complete(m));
	cJSON_AddStringToObject(o, "problem", t->problem);
	cJSON_AddNumberToObject(o, "alloc_calls", (double)l->alloc_calls);
	cJSON_AddNumberToObject(o, "free_calls", (double)l->free_calls);
	cJSON_AddNumberToObject(o, "realloc_calls", (double)l->realloc_calls);
	cJSON_AddNumberToObject(o, "peak_live_bytes", (double)l->peak_live_bytes);
	cJSON_AddNumberToObject(o, "leaked_bytes", (double)l->leaked_bytes);
	cJSON_AddNumberToObject(o, "leaked_blocks", (double)l->leaked_blocks);
	if (m->how == HLT_PROC_FORK && m->has_process) {
		int64_t ib, in = inherited_leaks(l, &ib);
		cJSON *h = cJSON_AddObjectToObject(o, "inherited");
		cJSON_AddNumberToObject(h, "from_pid", m->ppid);
		cJSON_AddNumberToObject(h, "blocks", (double)l->inherited_blocks);
		cJSON_AddNumberToObject(h, "bytes", (double)l->inherited_bytes);
		cJSON_AddNumberToObject(h, "freed_blocks", (double)l->inherited_freed);
		cJSON_AddNumberToObject(h, "leaked_blocks", (double)in);
		cJSON_AddNumberToObject(h, "leaked_bytes", (double)ib);
		cJSON_AddNumberToObject(h, "parents_blocks", (double)((int64_t)l->nkept - in));
	}
	if (m->unknown_start)
		cJSON_AddNumberToObject(o, "frees_of_blocks_before_attach", (double)l->before_frees);
	cJSON *g = cJSON_AddArrayToObject(o, "groups");
	size_t ng = c->top && (size_t)c->top < l->ngroups ? (size_t)c->top : l->ngroups;
	for (size_t k = 0; k < ng; k++) {
		const hl_leak_group_t *gr = &l->groups[k];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "bytes", (double)gr->bytes);
		cJSON_AddNumberToObject(x, "blocks", (double)gr->blocks);
		if (gr->origin >= 0)
			cJSON_AddNumberToObject(x, "allocated_by_pid", c->f->m[gr->origin].pid);
		cJSON_AddItemToObject(x, "frames", frames_of(c, gr->origin >= 0 ? gr->origin : i, gr->stack));
		cJSON_AddItemToArray(g, x);
	}
	cJSON *d = cJSON_AddArrayToObject(o, "double_frees");
	cJSON *inv = cJSON_AddArrayToObject(o, "invalid_frees");
	for (size_t k = 0; k < l->nbad; k++) {
		const hl_bad_free_t *b = &l->bad[k];
		const hl_trace_event_t *fe = &t->ev[b->free_ev];
		cJSON *x = cJSON_CreateObject();
		char p[32];
		snprintf(p, sizeof p, "%#llx",
			 (unsigned long long)(fe->op == HLT_REALLOC ? fe->old : fe->ptr));
		cJSON_AddStringToObject(x, "pointer", p);
		cJSON_AddNumberToObject(x, "thread", fe->thread);
		cJSON_AddItemToObject(x, "free_frames", frames_of(c, i, fe->stack));
		if (b->twice)
			cJSON_AddItemToObject(x, "alloc_frames", frames_of(c, i, t->ev[b->alloc_ev].stack));
		cJSON_AddItemToArray(b->twice ? d : inv, x);
	}
}

static void member_text(ctx_t *c, int i, bool family)
{
	const hl_trace_member_t *m = &c->f->m[i];
	const hl_trace_t *t = &m->trace;
	const hl_leaks_t *l = &m->leaks;
	char a[32], b[32], end[600];
	bool exec = t->ended && t->end_kind == HLT_END_EXEC;
	bool attach = m->unknown_start;
	if (family) {
		printf("\n== pid %u", m->pid);
		if (m->how == HLT_PROC_FORK)
			printf(", forked by %u", m->ppid);
		else if (m->prev_image >= 0)
			printf(", exec'd by its earlier image");
		else if (m->how == HLT_PROC_IMAGE)
			printf(", started by %u", m->ppid);
		printf(": %s [%s]: %s\n", m->command[0] ? m->command : "?", m->name,
		       hl_trace_member_end(m, end, sizeof end));
	}
	printf("%s%s%zu events, %lld allocation calls, %lld frees, peak live %s\n",
	       family ? "" : m->path, family ? "" : ": ", t->nev, (long long)l->alloc_calls, (long long)l->free_calls,
	       hl_units_bytes(l->peak_live_bytes, a, sizeof a));
	if (exec) {
		printf("exec'd %s: its trace goes on in %s\n",
		       t->exec_path[0] ? t->exec_path : "a program",
		       m->next_image >= 0 ? c->f->m[m->next_image].name : "(no file: not traced further)");
		printf("live at the exec: %s in %lld blocks (the exec gave them back)\n",
		       hl_units_bytes(l->leaked_bytes, b, sizeof b), (long long)l->leaked_blocks);
	} else {
		printf("%s: %s in %lld blocks, %zu call stacks\n",
		       attach ? "allocated while attached and still live at the detach"
			      : "never freed",
		       hl_units_bytes(l->leaked_bytes, b, sizeof b), (long long)l->leaked_blocks,
		       l->ngroups);
	}
	if (m->how == HLT_PROC_FORK && m->has_process) {
		int64_t ib, in = inherited_leaks(l, &ib);
		printf("inherited from pid %u at the fork: %lld blocks (%s); freed here %lld; never "
		       "freed here: %lld still the parent's, %lld its own leaks (the parent freed its "
		       "copy)\n",
		       m->ppid, (long long)l->inherited_blocks,
		       hl_units_bytes(l->inherited_bytes, a, sizeof a), (long long)l->inherited_freed,
		       (long long)((int64_t)l->nkept - in), (long long)in);
	}
	if (m->unknown_start)
		printf("frees of blocks allocated before the attach (not counted): %lld\n",
		       (long long)l->before_frees);
	size_t ng = c->top && (size_t)c->top < l->ngroups ? (size_t)c->top : l->ngroups;
	if (exec && family)
		ng = 0; /* what an exec gave back is not a leak */
	for (size_t k = 0; k < ng; k++) {
		const hl_leak_group_t *gr = &l->groups[k];
		printf("\n%s in %lld blocks", hl_units_bytes(gr->bytes, a, sizeof a), (long long)gr->blocks);
		if (gr->origin >= 0)
			printf(", inherited from pid %u and allocated there", c->f->m[gr->origin].pid);
		printf(" from:\n");
		print_of(c, gr->origin >= 0 ? gr->origin : i, gr->stack, "    ");
	}
	if (ng < l->ngroups && !(exec && family))
		printf("\n... %zu more stacks (--top 0 shows all)\n", l->ngroups - ng);
	int64_t doubles = 0, invalid = 0;
	for (size_t k = 0; k < l->nbad; k++) {
		const hl_bad_free_t *bf = &l->bad[k];
		const hl_trace_event_t *fe = &t->ev[bf->free_ev];
		*(bf->twice ? &doubles : &invalid) += 1;
		printf("\n%s of %#llx (thread %u), freed at:\n",
		       bf->twice ? "double free" : "free of a pointer never allocated",
		       (unsigned long long)(fe->op == HLT_REALLOC ? fe->old : fe->ptr), fe->thread);
		print_of(c, i, fe->stack, "    ");
		if (bf->twice) {
			printf("  allocated at:\n");
			print_of(c, i, t->ev[bf->alloc_ev].stack, "    ");
		}
	}
	if (l->nbad)
		printf("\n%lld double frees, %lld frees of pointers never allocated\n",
		       (long long)doubles, (long long)invalid);
	hl_stack_summary_t ss;
	hl_trace_stack_summary(t, &ss);
	if (ss.notice)
		printf("\nnote: %zu of %zu call stacks stop early%s%s (code built without frame "
		       "pointers); trace again with --unwind libunwind for whole stacks\n",
		       ss.short_stacks, ss.stacks, ss.stop_module[0] ? ", in " : "", ss.stop_module);
}

static const char *base_of(const char *cmd, char *out, size_t outsz)
{
	size_t n = strcspn(cmd, " ");
	snprintf(out, outsz, "%.*s", (int)n, cmd);
	char *slash = strrchr(out, '/');
	if (slash)
		memmove(out, slash + 1, strlen(slash + 1) + 1);
	return out;
}

int cmd_leaks(int argc, char **argv)
{
	bool json = false;
	long top = 20, pid = -1;
	const char *path = NULL, *command = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			leaks_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if ((!strcmp(a, "--top") || !strcmp(a, "--pid")) && has) {
			if (!arg_number(a, argv[++i], 0, !strcmp(a, "--top") ? &top : &pid))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--command") && has) {
			command = argv[++i];
		} else if (!strcmp(a, "--debug-dir") && has) {
			hl_error_t e = {0};
			if (hl_glibc_debug_dir(argv[++i], &e)) {
				say_error("%s", e.msg);
				return EXIT_USAGE;
			}
		} else if (a[0] == '-') {
			say_error("unknown option %s (heaplab leaks --help)", a);
			return EXIT_USAGE;
		} else if (!path) {
			path = a;
		} else {
			say_error("one trace at a time, got '%s' too", a);
			return EXIT_USAGE;
		}
	}
	if (!path) {
		say_error("leaks needs a trace file (heaplab leaks --help)");
		return EXIT_USAGE;
	}
	hl_trace_family_t f;
	hl_error_t err = {0};
	if (hl_trace_family_open(path, &f, &err)) {
		say_error("%s", err.msg);
		return err.code == -EPROTO || err.code == -EINVAL ? EXIT_USAGE : 1;
	}
	/* which members: all, one named by its file, or by --pid / --command */
	bool *sel = calloc(f.n, sizeof *sel);
	size_t nsel = 0;
	int one = -1;
	for (size_t i = 0; sel && i < f.n; i++) {
		bool s = pid >= 0 || command ? hl_trace_member_is(&f.m[i], pid, command)
			 : f.picked >= 0    ? (int)i == f.picked
					    : true;
		sel[i] = s;
		if (s) {
			nsel++;
			one = (int)i;
		}
	}
	int rc = 0;
	if (!sel || !nsel) {
		char what[300];
		if (pid >= 0)
			snprintf(what, sizeof what, "with pid %ld", pid);
		else
			snprintf(what, sizeof what, "running %s", command);
		say_error("%s has no process %s; its processes are:", path, what);
		for (size_t i = 0; i < f.n; i++) {
			char b[256];
			fprintf(stderr, "  pid %u  %s\n", f.m[i].pid, base_of(f.m[i].command, b, sizeof b));
		}
		rc = EXIT_USAGE;
		goto out;
	}
	if ((rc = hl_trace_family_leaks(&f, nsel == 1 ? one : -1, &err))) {
		say_error("%s", err.msg);
		rc = rc == -EPROTO || rc == -EINVAL ? EXIT_USAGE : 1;
		goto out;
	}
	for (size_t i = 0; i < f.n; i++)
		if (sel[i] && f.m[i].trace.problem[0] &&
		    !(f.m[i].trace.ended && f.m[i].trace.end_kind == HLT_END_EXEC))
			fprintf(stderr, "heaplab: %s: %s; reading its %zu events\n", f.m[i].path,
				f.m[i].trace.problem, f.m[i].trace.nev);
	if (f.n == 1 && !f.m[0].trace.nev && !f.m[0].trace.ended) {
		say_error("%s holds no events: nothing to report", f.m[one].path);
		rc = 1;
		goto out;
	}
	ctx_t c = {.f = &f, .sym = calloc(f.n, sizeof(hl_symbolizer_t *)), .top = top};
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "trace", path);
		/* one process: its figures at the top too, as before families */
		if (nsel == 1)
			member_fields(&c, one, o);
		cJSON *ps = cJSON_AddArrayToObject(o, "processes");
		for (size_t i = 0; i < f.n; i++) {
			if (!sel[i])
				continue;
			cJSON *p = cJSON_CreateObject();
			member_fields(&c, (int)i, p);
			cJSON_AddItemToArray(ps, p);
		}
		cJSON *nd = cJSON_AddArrayToObject(o, "no_debug_info");
		for (size_t k = 0; k < c.nnd; k++) {
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "module", c.nd[k].path);
			cJSON_AddStringToObject(x, "build_id", c.nd[k].id);
			cJSON_AddItemToArray(nd, x);
		}
		char *s = cJSON_Print(o);
		printf("%s\n", s ? s : "null");
		free(s);
		cJSON_Delete(o);
	} else {
		bool family = f.n > 1;
		if (family)
			printf("%s: %zu processes traced%s\n", path, f.n,
			       nsel < f.n ? " (the ones asked for below)" : "");
		for (size_t i = 0; i < f.n; i++)
			if (sel[i])
				member_text(&c, (int)i, family);
		if (c.nnd) {
			printf("\nno debug info (names from the symbol table at best, no file:line) for:\n");
			for (size_t k = 0; k < c.nnd; k++)
				printf("  %s%s%s%s\n", c.nd[k].path, c.nd[k].id[0] ? " (build ID " : "",
				       c.nd[k].id, c.nd[k].id[0] ? ")" : "");
			printf("install its -dbg or -dbgsym package (it lands in /usr/lib/debug/.build-id/), "
			       "or give --debug-dir DIR\n");
		}
	}
	for (size_t i = 0; i < f.n; i++)
		hl_symbolizer_free(c.sym[i]);
	free(c.sym);
out:
	free(sel);
	hl_trace_family_free(&f);
	return rc;
}
