/*
 * trace_family.c — the files one heaplab trace run writes, read as one
 * trace: FILE (the command) and FILE.PID[.NN] beside it (forked children,
 * programs exec'd or spawned), each a process image with its PROCESS
 * record (family token, parent, how it began, command line). The members
 * are linked: a fork to its parent (its heap is the parent's at the fork),
 * an exec'd image to the one before it (same pid, whose trace ends with an
 * EXEC record), a spawned program to its parent.
 *
 * Whose leak an inherited block is: a forked child's heap starts as its
 * parent's. A block the child inherits and never frees is counted once:
 * with the parent while the parent's own copy is live at its end (the
 * parent allocated it and never freed it), else with the child (the parent
 * freed its copy; the child is the one that never frees it). Inherited
 * blocks the child frees are neither.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "trace.h"
#include "trace_int.h"

/* ------------------------------------------------------------- scan */

typedef struct reader {
	FILE *f;
	uint64_t pos;
} reader_t;

static int rd_byte(reader_t *r)
{
	int c = getc(r->f);
	r->pos += c != EOF;
	return c;
}

static int rd_varint(reader_t *r, uint64_t *v)
{
	uint64_t x = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		int c = rd_byte(r);
		if (c == EOF)
			return -1;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

int hl_trace_scan(const char *path, hl_trace_member_t *m, hl_error_t *err)
{
	memset(m, 0, sizeof *m);
	snprintf(m->path, sizeof m->path, "%s", path);
	const char *slash = strrchr(path, '/');
	snprintf(m->name, sizeof m->name, "%s", slash ? slash + 1 : path);
	m->parent = m->prev_image = m->next_image = -1;
	reader_t r = {fopen(path, "r"), 0};
	if (!r.f)
		return hl_error_set(err, -errno, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(r.f), &st) == 0)
		m->bytes = (uint64_t)st.st_size;
	if (fread(&m->header, sizeof m->header, 1, r.f) != 1 ||
	    memcmp(m->header.magic, HLT_MAGIC, 8)) {
		fclose(r.f);
		return hl_error_set(err, -EINVAL,
				    "%s is not a heaplab trace (it does not start with the trace "
				    "header; heaplab trace -- CMD writes one)",
				    path);
	}
	if (m->header.version < HLT_VERSION_MIN || m->header.version > HLT_VERSION) {
		fclose(r.f);
		return hl_error_set(err, -EPROTO,
				    "%s is a version %u trace; this heaplab reads versions %d to %d",
				    path, m->header.version, HLT_VERSION_MIN, HLT_VERSION);
	}
	m->pid = m->header.pid;
	r.pos = sizeof m->header;
	uint8_t small[8192];
	for (;;) {
		uint64_t at = r.pos, len;
		int kind = rd_byte(&r);
		if (kind == EOF)
			break;
		if (rd_varint(&r, &len) || len > m->bytes - r.pos) {
			snprintf(m->problem, sizeof m->problem, "cut short at byte %llu",
				 (unsigned long long)at);
			break;
		}
		uint64_t next = r.pos + len;
		hl_trace_t *t = &m->trace;
		t->file_bytes = m->bytes;
		if (kind == HLT_REC_EVENTS) { /* counted, not decoded */
			uint64_t thread, count;
			if (rd_varint(&r, &thread) || rd_varint(&r, &count))
				break;
			m->events += count;
			hl_trace_record(t, kind, NULL, NULL);
		} else if (kind != HLT_REC_RSS && kind != HLT_REC_CLOCK && len <= sizeof small) {
			if (fread(small, 1, (size_t)len, r.f) != len)
				break;
			r.pos += len;
			hl_trace_record(t, kind, small, small + len);
		}
		if (fseeko(r.f, (off_t)next, SEEK_SET))
			break;
		r.pos = next;
	}
	fclose(r.f);
	/* what the records said, as the reader decodes them */
	const hl_trace_t *t = &m->trace;
	m->has_process = t->has_process;
	m->family = t->family;
	m->ppid = t->ppid;
	m->how = t->how;
	m->fork_tsc = t->fork_tsc;
	m->stack_depth = t->stack_depth;
	m->unwind = t->unwind;
	m->ended = t->ended;
	m->end_kind = t->end_kind;
	snprintf(m->command, sizeof m->command, "%s", t->command);
	snprintf(m->exec_path, sizeof m->exec_path, "%s", t->exec_path);
	return 0;
}

const char *hl_trace_member_end(const hl_trace_member_t *m, char *out, size_t outsz)
{
	if (!m->ended)
		snprintf(out, outsz, "cut short");
	else if (m->end_kind == HLT_END_EXEC)
		snprintf(out, outsz, "exec'd %s", m->exec_path[0] ? m->exec_path : "a program");
	else if (m->end_kind == HLT_END_SIGNAL)
		snprintf(out, outsz, "killed by a signal");
	else if (m->end_kind == HLT_END_DETACH)
		snprintf(out, outsz, "detached");
	else
		snprintf(out, outsz, "exit");
	return out;
}

const char *hl_trace_member_how(const hl_trace_member_t *m)
{
	if (!m->has_process)
		return (m->header.flags & HLT_F_CHILD) ? "fork" : "";
	switch (m->how) {
	case HLT_PROC_ROOT: return "root";
	case HLT_PROC_FORK: return "fork";
	case HLT_PROC_ATTACH: return "attach";
	default: return m->prev_image >= 0 ? "exec" : "spawn";
	}
}

/* ----------------------------------------------------------- the family */

/* NAME.DIGITS or NAME.DIGITS.DIGITS: a member of NAME's family. */
static bool member_name(const char *root, const char *name)
{
	size_t n = strlen(root);
	if (strncmp(name, root, n) || name[n] != '.')
		return false;
	const char *p = name + n + 1;
	int parts = 0;
	while (*p) {
		const char *q = p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == q || (*p && *p != '.') || ++parts > 2)
			return false;
		if (*p)
			p++;
	}
	return parts >= 1;
}

static int cmp_start(const void *x, const void *y)
{
	const hl_trace_member_t *a = x, *b = y;
	if (a->header.start_ns != b->header.start_ns)
		return a->header.start_ns < b->header.start_ns ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* The latest member of pid started before m (not m itself), or -1;
 * exec_only: one whose trace ends with an exec. */
static int before(const hl_trace_family_t *f, size_t m, uint32_t pid, bool exec_only)
{
	int best = -1;
	for (size_t i = 0; i < f->n; i++) {
		const hl_trace_member_t *c = &f->m[i];
		if (i == m || c->pid != pid || c->header.start_ns > f->m[m].header.start_ns)
			continue;
		if (exec_only && !(c->ended && c->end_kind == HLT_END_EXEC))
			continue;
		if (best < 0 || c->header.start_ns >= f->m[best].header.start_ns)
			best = (int)i;
	}
	return best;
}

static void link_members(hl_trace_family_t *f)
{
	for (size_t i = 0; i < f->n; i++) {
		hl_trace_member_t *m = &f->m[i];
		if (!m->has_process) {
			if (m->header.flags & HLT_F_CHILD)
				m->parent = -1; /* version 1: its parent is not known */
			continue;
		}
		if (m->how == HLT_PROC_FORK) {
			m->parent = before(f, i, m->ppid, false);
		} else if (m->how == HLT_PROC_IMAGE) {
			m->prev_image = before(f, i, m->pid, true);
			if (m->prev_image >= 0)
				f->m[m->prev_image].next_image = (int)i;
			else
				m->parent = before(f, i, m->ppid, false);
		}
	}
}

static int add_member(hl_trace_family_t *f, size_t *cap, const char *path, hl_error_t *err)
{
	if (hl_grow((void **)&f->m, cap, f->n + 1, sizeof *f->m))
		return hl_error_set(err, -ENOMEM, "out of memory");
	int rc = hl_trace_scan(path, &f->m[f->n], err);
	if (rc) {
		hl_trace_free(&f->m[f->n].trace);
		return rc;
	}
	f->n++;
	return 0;
}

/* A member's name (FILE.PID[.NN]) gives its root's: FILE. */
static bool root_of(const char *path, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s", path);
	for (int k = 0; k < 2; k++) {
		char *dot = strrchr(out, '.'), *slash = strrchr(out, '/');
		if (!dot || (slash && dot < slash))
			return false;
		struct stat st;
		*dot = '\0';
		const char *nm = slash ? slash + 1 : out;
		const char *pn = path + (nm - out);
		if (*nm && member_name(nm, pn) && stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return true;
	}
	return false;
}

int hl_trace_family_open(const char *path, hl_trace_family_t *f, hl_error_t *err)
{
	memset(f, 0, sizeof *f);
	f->picked = -1;
	size_t cap = 0;
	char root[4096];
	int rc = add_member(f, &cap, path, err);
	if (rc) {
		hl_trace_family_free(f);
		return rc;
	}
	hl_trace_member_t named = f->m[0];
	/* a member named: its family is its root's, if that is one */
	if (named.has_process && named.how != HLT_PROC_ROOT && named.how != HLT_PROC_ATTACH &&
	    root_of(path, root, sizeof root)) {
		hl_trace_member_t r;
		int rr = hl_trace_scan(root, &r, NULL);
		if (rr == 0 && r.has_process && r.family == named.family) {
			hl_trace_free(&f->m[0].trace);
			f->m[0] = r;
			path = f->m[0].path;
		} else {
			if (rr == 0)
				hl_trace_free(&r.trace);
			return 0; /* alone */
		}
	}
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : dir;
	char basecopy[256];
	snprintf(basecopy, sizeof basecopy, "%s", base);
	if (slash)
		*slash = '\0';
	DIR *d = opendir(slash ? (dir[0] ? dir : "/") : ".");
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!member_name(basecopy, de->d_name))
			continue;
		char p[4400];
		snprintf(p, sizeof p, "%s%s%s", slash ? (dir[0] ? dir : "") : "", slash ? "/" : "",
			 de->d_name);
		hl_error_t e2 = {0};
		if (add_member(f, &cap, p, &e2))
			continue; /* not a trace: not ours */
		hl_trace_member_t *m = &f->m[f->n - 1];
		/* a leftover of another run has another token; a version 1
		 * family has none, and its members are taken by name */
		if (m->family != f->m[0].family || m->has_process != f->m[0].has_process) {
			hl_trace_free(&m->trace);
			f->n--;
		}
	}
	closedir(d);
	if (f->n > 2)
		qsort(f->m + 1, f->n - 1, sizeof *f->m, cmp_start);
	link_members(f);
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->m[i].name, named.name) && i)
			f->picked = (int)i;
	return 0;
}

void hl_trace_family_free(hl_trace_family_t *f)
{
	for (size_t i = 0; i < f->n; i++) {
		hl_trace_free(&f->m[i].trace);
		hl_leaks_free(&f->m[i].leaks);
		free(f->m[i].inherit);
	}
	free(f->m);
	memset(f, 0, sizeof *f);
}

/* ------------------------------------------------------------- leaks */

static bool needed(const hl_trace_family_t *f, int only, size_t i)
{
	for (int k = only; k >= 0; k = f->m[k].parent >= 0 ? f->m[k].parent : -1)
		if ((size_t)k == i)
			return true;
	return only < 0;
}

/* m's inherited blocks it never freed: its leaks unless its parent's own
 * copy is live at the parent's end. */
static int place_kept(hl_trace_family_t *f, hl_trace_member_t *m)
{
	if (!m->leaks.nkept)
		return 0;
	const hl_leaks_t *pl = m->parent >= 0 ? &f->m[m->parent].leaks : NULL;
	pmap_t held = {0};
	int rc = 0;
	for (size_t k = 0; pl && k < pl->nlive && !rc; k++)
		rc = hl_pm_put(&held, pl->live[k].ptr, k);
	hl_block_t *mine = calloc(m->leaks.nkept, sizeof *mine);
	size_t n = 0;
	if (!mine)
		rc = -ENOMEM;
	for (size_t k = 0; k < m->leaks.nkept && !rc; k++) {
		const hl_block_t *b = &m->leaks.kept[k];
		size_t at;
		bool parents = pl && hl_pm_get(&held, b->ptr, &at) && pl->live[at].origin == b->origin &&
			       pl->live[at].stack == b->stack && pl->live[at].size == b->size;
		if (!parents)
			mine[n++] = *b;
	}
	if (!rc)
		rc = hl_leaks_add(&m->leaks, mine, n);
	free(mine);
	hl_pm_free(&held);
	return rc;
}

int hl_trace_family_leaks(hl_trace_family_t *f, int only, hl_error_t *err)
{
	for (size_t i = 0; i < f->n; i++) {
		hl_trace_member_t *m = &f->m[i];
		if (!needed(f, only, i) || m->loaded)
			continue;
		hl_trace_free(&m->trace); /* the scan's stacks and modules */
		int rc = hl_trace_load(m->path, &m->trace, err);
		if (rc)
			return rc;
		m->loaded = true;
		/* a fork whose parent is not in the family, or whose parent's
		 * own start was not traced, starts with a heap nobody traced in
		 * full: as after an attach */
		bool unknown_start = m->how == HLT_PROC_ATTACH ||
				     ((m->header.flags & HLT_F_CHILD) && m->parent < 0) ||
				     (m->how == HLT_PROC_FORK && m->parent >= 0 &&
				      f->m[m->parent].unknown_start);
		m->unknown_start = unknown_start;
		hl_leaks_opts_t o = {.inherit = m->inherit,
				     .ninherit = m->ninherit,
				     .attached = unknown_start,
				     .self = (int)i,
				     .want_live = true};
		rc = hl_leaks_compute_opts(&m->trace, &o, &m->leaks, err);
		if (rc)
			return rc;
		/* each forked child's heap: this one's at its fork */
		for (size_t c = i + 1; c < f->n; c++) {
			hl_trace_member_t *ch = &f->m[c];
			if (ch->parent != (int)i || ch->how != HLT_PROC_FORK || !needed(f, only, c))
				continue;
			hl_leaks_t at;
			hl_leaks_opts_t oc = o;
			oc.until = ch->fork_tsc ? ch->fork_tsc : 1;
			rc = hl_leaks_compute_opts(&m->trace, &oc, &at, err);
			if (rc)
				return rc;
			free(ch->inherit);
			ch->inherit = at.live;
			ch->ninherit = at.nlive;
			at.live = NULL;
			hl_leaks_free(&at);
		}
		if ((rc = place_kept(f, m)))
			return hl_error_set(err, rc, "out of memory while placing inherited blocks");
	}
	return 0;
}

/* ------------------------------------------------------------ stacks */

static const hl_trace_module_t *module_at(const hl_trace_t *t, uint64_t pc)
{
	for (size_t i = 0; i < t->nmodules; i++)
		if (pc - 1 >= t->modules[i].start && pc - 1 < t->modules[i].end)
			return &t->modules[i];
	return NULL;
}

static bool in_libc(const hl_trace_module_t *m)
{
	const char *slash = m ? strrchr(m->path, '/') : NULL;
	const char *b = slash ? slash + 1 : m ? m->path : "";
	return !strncmp(b, "libc.so", 7) || !strncmp(b, "libc-", 5);
}

void hl_trace_stack_summary(const hl_trace_t *t, hl_stack_summary_t *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 1; i < t->nstacks; i++)
		if (t->stacks[i].depth > out->max_depth)
			out->max_depth = t->stacks[i].depth;
	uint32_t whole = t->has_process ? (uint32_t)t->stack_depth : out->max_depth;
	/* the modules short stacks stop in, counted */
	const hl_trace_module_t *mods[16] = {0};
	size_t counts[16] = {0}, nm = 0;
	for (size_t i = 1; i < t->nstacks; i++) {
		const hl_trace_stack_t *s = &t->stacks[i];
		if (!s->frames)
			continue;
		out->stacks++;
		const hl_trace_module_t *m = s->depth ? module_at(t, s->frames[s->depth - 1]) : NULL;
		if (s->depth >= whole || in_libc(m))
			continue;
		out->short_stacks++;
		size_t k;
		for (k = 0; k < nm && (!m || !mods[k] || strcmp(mods[k]->path, m->path)); k++)
			;
		if (k == nm && nm < 16)
			mods[nm++] = m;
		if (k < 16)
			counts[k]++;
	}
	size_t best = 0;
	for (size_t k = 1; k < nm; k++)
		if (counts[k] > counts[best])
			best = k;
	if (nm && mods[best])
		snprintf(out->stop_module, sizeof out->stop_module, "%s", mods[best]->path);
	out->notice = out->stacks >= 8 && out->short_stacks * 2 > out->stacks && whole > 1 &&
		      !t->unwind;
}

/* ------------------------------------------------------------- picks */

/* The program's name: the first word of the command line, its folder left off. */
static void program_of(const char *cmd, char *out, size_t outsz)
{
	size_t n = strcspn(cmd, " ");
	const char *b = cmd;
	for (size_t i = 0; i < n; i++)
		if (cmd[i] == '/')
			b = cmd + i + 1;
	snprintf(out, outsz, "%.*s", (int)(n - (size_t)(b - cmd)), b);
}

bool hl_trace_member_is(const hl_trace_member_t *m, long pid, const char *command)
{
	if (pid >= 0 && m->pid != (uint32_t)pid)
		return false;
	char prog[256];
	program_of(m->command, prog, sizeof prog);
	return !command || !strcmp(prog, command);
}

int hl_trace_family_pick(const hl_trace_family_t *f, long pid, const char *command)
{
	int best = -1;
	for (size_t i = 0; i < f->n; i++) {
		bool want = pid >= 0 || command ? hl_trace_member_is(&f->m[i], pid, command)
			    : f->picked >= 0	    ? (int)i == f->picked
						    : true;
		if (want && (best < 0 || f->m[i].events > f->m[best].events))
			best = (int)i;
	}
	return best;
}
