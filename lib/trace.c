/*
 * trace.c — reads a heaplab trace (tracer/trace_format.h) into memory, finds
 * what was never freed and what was freed wrongly, and names stack frames
 * with libdw.
 *
 * Reading is forgiving: a trace cut short (the program was killed, the disk
 * filled) or damaged is read up to its last whole record, and problem says
 * where it stops and why. Events are decoded block by block (the deltas of
 * time, pointer and stack start afresh in each) and then put in time order
 * across threads; on equal times an allocation goes before a free, since a
 * pointer cannot be freed before malloc returned it.
 */
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace.h"
#include "trace_int.h"

/* One EVENTS payload. -1 when it does not decode. */
static int events(hl_trace_t *t, const uint8_t *p, const uint8_t *end)
{
	uint64_t thread, count;
	if (hlt_get(&p, end, &thread) || hlt_get(&p, end, &count) || count > (uint64_t)(end - p))
		return -1;
	if (hl_grow((void **)&t->ev, &t->capev, t->nev + count, sizeof *t->ev))
		return -1;
	uint64_t tsc = 0, ptr = 0, stack = 0;
	for (uint64_t i = 0; i < count; i++) {
		if (p >= end)
			return -1;
		uint8_t tag = *p++;
		hl_trace_event_t *e = &t->ev[t->nev + i];
		memset(e, 0, sizeof *e);
		e->op = tag & 15;
		e->failed = (tag & HLT_TAG_FAILED) != 0;
		e->thread = (uint16_t)thread;
		uint64_t dt, v;
		if (e->op < HLT_MALLOC || e->op > HLT_TRIM || hlt_get(&p, end, &dt))
			return -1;
		tsc += dt;
		e->tsc = tsc;
		if (!(tag & HLT_TAG_SAME_STACK) && hlt_get(&p, end, &stack))
			return -1;
		e->stack = (uint32_t)stack;
#define PTR(dst)                                                                       \
	do {                                                                           \
		if (hlt_get(&p, end, &v))                                              \
			return -1;                                                     \
		ptr += (uint64_t)hlt_unzz(v) * ((tag & HLT_TAG_RAW_PTR) ? 1 : 16);     \
		dst = ptr;                                                             \
	} while (0)
		switch (e->op) {
		case HLT_FREE:
			PTR(e->ptr);
			break;
		case HLT_REALLOC:
			if (hlt_get(&p, end, &e->size))
				return -1;
			PTR(e->old);
			if (!e->failed)
				PTR(e->ptr);
			break;
		case HLT_TRIM:
			if (hlt_get(&p, end, &e->size) || hlt_get(&p, end, &e->old))
				return -1;
			break;
		default: /* malloc, calloc, memalign */
			if (hlt_get(&p, end, &e->size) ||
			    (e->op == HLT_MEMALIGN && hlt_get(&p, end, &e->old)))
				return -1;
			if (!e->failed)
				PTR(e->ptr);
			break;
		}
#undef PTR
	}
	if (p != end)
		return -1;
	t->nev += count;
	if (thread + 1 > t->threads)
		t->threads = (uint32_t)(thread + 1);
	return 0;
}

int hl_trace_stack_rec(hl_trace_t *t, const uint8_t *p, const uint8_t *end)
{
	uint64_t id, depth;
	/* ids count up from 1, one STACK record each: an id beyond the records
	 * the file could hold is damage, not a reason to allocate */
	if (hlt_get(&p, end, &id) || hlt_get(&p, end, &depth) || id > t->file_bytes / 3 ||
	    depth > 64)
		return -1;
	if (id >= t->nstacks) {
		size_t cap = t->nstacks;
		if (hl_grow((void **)&t->stacks, &cap, id + 1, sizeof *t->stacks))
			return -1;
		memset(t->stacks + t->nstacks, 0, (cap - t->nstacks) * sizeof *t->stacks);
		t->nstacks = cap;
	}
	hl_trace_stack_t *s = &t->stacks[id];
	free(s->frames);
	s->frames = calloc(depth ? depth : 1, sizeof *s->frames);
	if (!s->frames)
		return -1;
	s->depth = (uint32_t)depth;
	uint64_t a = 0;
	for (uint64_t k = 0; k < depth; k++) {
		uint64_t v;
		if (hlt_get(&p, end, &v))
			return -1;
		a = k ? a + (uint64_t)hlt_unzz(v) : v;
		s->frames[k] = a;
	}
	return p == end ? 0 : -1;
}

static int point(hl_trace_point_t **v, size_t *n, const uint8_t *p, const uint8_t *end)
{
	uint64_t a, b;
	size_t cap = *n;
	if (hlt_get(&p, end, &a) || hlt_get(&p, end, &b) || hl_grow((void **)v, &cap, *n + 1, sizeof **v))
		return -1;
	(*v)[(*n)++] = (hl_trace_point_t){a, (int64_t)b};
	return 0;
}

static int cmp_event(const void *x, const void *y)
{
	const hl_trace_event_t *a = x, *b = y;
	if (a->tsc != b->tsc)
		return a->tsc < b->tsc ? -1 : 1;
	/* across threads a pointer is allocated before it is freed; within a
	 * thread the recorded order stands (the sort is stable) */
	int ra = a->op == HLT_FREE, rb = b->op == HLT_FREE;
	if (a->thread != b->thread && ra != rb)
		return ra - rb;
	return 0;
}

int hl_trace_module_rec(hl_trace_t *t, const uint8_t *q, const uint8_t *qe)
{
	uint64_t a, b, off;
	size_t cap = t->nmodules;
	if (hlt_get(&q, qe, &a) || hlt_get(&q, qe, &b) || hlt_get(&q, qe, &off) ||
	    hl_grow((void **)&t->modules, &cap, t->nmodules + 1, sizeof *t->modules))
		return -1;
	char *path = strndup((const char *)q, (size_t)(qe - q));
	if (!path)
		return -1;
	t->modules[t->nmodules++] = (hl_trace_module_t){a, b, off, path};
	return 0;
}

static int process_rec(hl_trace_t *t, const uint8_t *p, const uint8_t *end)
{
	uint64_t fam, ppid, how, ftsc, depth, unw;
	if (hlt_get(&p, end, &fam) || hlt_get(&p, end, &ppid) || hlt_get(&p, end, &how) ||
	    hlt_get(&p, end, &ftsc) || hlt_get(&p, end, &depth) || hlt_get(&p, end, &unw) || how > HLT_PROC_ATTACH)
		return -1;
	t->has_process = true;
	t->family = fam;
	t->ppid = (uint32_t)ppid;
	t->how = (int)how;
	t->fork_tsc = ftsc;
	t->stack_depth = (int)depth;
	t->unwind = (int)unw;
	size_t n = 0;
	/* arguments joined by spaces; a newline or tab in one (python3 -c
	 * with a script) a space too, so the command stays one line */
	for (; p < end && n < sizeof t->command - 1; p++)
		t->command[n++] = *p >= 0x20 && *p != 0x7f ? (char)*p : ' ';
	while (n && t->command[n - 1] == ' ')
		n--;
	t->command[n] = '\0';
	return 0;
}

int hl_trace_record(hl_trace_t *t, int kind, const uint8_t *q, const uint8_t *qe)
{
	if (t->ended && t->end_kind == HLT_END_EXEC) { /* the exec failed: it goes on */
		t->ended = false;
		t->exec_path[0] = '\0';
		t->exec_failed++;
	}
	switch (kind) {
	case HLT_REC_EVENTS: return q ? events(t, q, qe) : 0;
	case HLT_REC_STACK: return hl_trace_stack_rec(t, q, qe);
	case HLT_REC_MODULE: return hl_trace_module_rec(t, q, qe);
	case HLT_REC_RSS: return point(&t->rss, &t->nrss, q, qe);
	case HLT_REC_CLOCK: return point(&t->clock, &t->nclock, q, qe);
	case HLT_REC_THREAD: return 0;
	case HLT_REC_PROCESS: return process_rec(t, q, qe);
	case HLT_REC_EXEC: {
		uint64_t tsc;
		if (hlt_get(&q, qe, &tsc))
			return -1;
		size_t pl = (size_t)(qe - q) < sizeof t->exec_path - 1 ? (size_t)(qe - q)
								: sizeof t->exec_path - 1;
		memcpy(t->exec_path, q, pl);
		t->exec_path[pl] = '\0';
		return 0;
	}
	case HLT_REC_END: {
		uint64_t ev, how;
		if (hlt_get(&q, qe, &ev) || hlt_get(&q, qe, &how))
			return -1;
		t->ended = true;
		t->end_events = ev;
		t->end_kind = (int)how;
		return 0;
	}
	default: return -1;
	}
}

/* Records may be cut anywhere: read what is whole. */
static void parse(hl_trace_t *t, const uint8_t *buf, size_t len)
{
	const uint8_t *p = buf + sizeof(hlt_header_t), *end = buf + len;
	while (p < end) {
		const uint8_t *rec = p;
		int kind = *p++;
		uint64_t n;
		bool len_ok = hlt_get(&p, end, &n) == 0;
		if (!len_ok || n > (uint64_t)(end - p)) {
			if (len_ok)
				snprintf(t->problem, sizeof t->problem,
					 "cut short at byte %zu: a record of %llu bytes runs past the end",
					 (size_t)(rec - buf), (unsigned long long)n);
			else
				snprintf(t->problem, sizeof t->problem,
					 "cut short at byte %zu, inside a record's header", (size_t)(rec - buf));
			return;
		}
		int bad = hl_trace_record(t, kind, p, p + n);
		if (bad) {
			snprintf(t->problem, sizeof t->problem,
				 "damaged at byte %zu: a record of kind %d does not decode", (size_t)(rec - buf),
				 kind);
			return;
		}
		p += n;
		t->valid_bytes = (uint64_t)(p - buf);
	}
}

int hl_trace_load(const char *path, hl_trace_t *t, hl_error_t *err)
{
	memset(t, 0, sizeof *t);
	hl_buf_t b = {0};
	int rc = hl_file_read(path, &b, err);
	if (rc)
		return rc;
	t->file_bytes = b.len;
	if (b.len < sizeof(hlt_header_t) || memcmp(b.data, HLT_MAGIC, 8)) {
		hl_buf_free(&b);
		return hl_error_set(err, -EINVAL,
				    "%s is not a heaplab trace (it does not start with the trace "
				    "header; heaplab trace -- CMD writes one)",
				    path);
	}
	memcpy(&t->header, b.data, sizeof t->header);
	if (t->header.version < HLT_VERSION_MIN || t->header.version > HLT_VERSION) {
		hl_buf_free(&b);
		return hl_error_set(err, -EPROTO,
				    "%s is a version %u trace; this heaplab reads versions %d to %d",
				    path, t->header.version, HLT_VERSION_MIN, HLT_VERSION);
	}
	t->valid_bytes = sizeof(hlt_header_t);
	parse(t, (const uint8_t *)b.data, b.len);
	hl_buf_free(&b);
	if (!t->problem[0] && !t->ended)
		snprintf(t->problem, sizeof t->problem,
			 "no end record: the program was cut short (killed, or still running)");
	else if (t->ended && t->end_events != t->nev && !t->problem[0])
		snprintf(t->problem, sizeof t->problem,
			 "the recorder wrote %llu events but %zu are here: some were lost",
			 (unsigned long long)t->end_events, t->nev);
	else if (t->ended && t->end_kind == HLT_END_SIGNAL && !t->problem[0])
		snprintf(t->problem, sizeof t->problem,
			 "the program was killed by a signal; the trace holds every event up to it");
	/* stable, so each thread's own order is kept on equal times */
	hl_trace_event_t *tmp = malloc((t->nev ? t->nev : 1) * sizeof *tmp);
	if (!tmp) {
		hl_trace_free(t);
		return hl_error_set(err, -ENOMEM, "out of memory for %zu events", t->nev);
	}
	/* merge sort (qsort is not stable) */
	for (size_t width = 1; width < t->nev; width *= 2) {
		for (size_t lo = 0; lo < t->nev; lo += 2 * width) {
			size_t mid = lo + width < t->nev ? lo + width : t->nev;
			size_t hi = lo + 2 * width < t->nev ? lo + 2 * width : t->nev;
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				tmp[k++] = cmp_event(&t->ev[j], &t->ev[i]) < 0 ? t->ev[j++] : t->ev[i++];
			while (i < mid)
				tmp[k++] = t->ev[i++];
			while (j < hi)
				tmp[k++] = t->ev[j++];
		}
		memcpy(t->ev, tmp, t->nev * sizeof *tmp);
	}
	free(tmp);
	return 0;
}

void hl_trace_free(hl_trace_t *t)
{
	free(t->ev);
	for (size_t i = 0; i < t->nstacks; i++)
		free(t->stacks[i].frames);
	free(t->stacks);
	for (size_t i = 0; i < t->nmodules; i++)
		free(t->modules[i].path);
	free(t->modules);
	free(t->rss);
	free(t->clock);
	memset(t, 0, sizeof *t);
}

double hl_trace_ns(const hl_trace_t *t, uint64_t tsc16)
{
	if (t->nclock < 2 || !t->nev)
		return 0;
	const hl_trace_point_t *a = &t->clock[0], *b = &t->clock[t->nclock - 1];
	if (b->tsc == a->tsc)
		return 0;
	double per = (double)(b->value - a->value) / (double)(b->tsc - a->tsc);
	return ((double)(tsc16 << HLT_TSC_SHIFT) - (double)(t->ev[0].tsc << HLT_TSC_SHIFT)) * per;
}

/* ------------------------------------------------------------- leaks */

/* ------------------------------------------------------------- replay */

int hl_trace_write_replay(const hl_trace_t *t, const char *path, hlr_header_t *info,
			  hl_error_t *err)
{
	return hl_trace_write_replay_from(t, NULL, 0, path, info, err);
}

int hl_trace_write_replay_from(const hl_trace_t *t, const hl_block_t *inherit, size_t ninherit,
			       const char *path, hlr_header_t *info, hl_error_t *err)
{
	memset(info, 0, sizeof *info);
	FILE *f = fopen(path, "wx");
	if (!f)
		return hl_error_set(err, -errno, "cannot create %s: %s", path, strerror(errno));
	pmap_t live = {0};
	uint32_t *freeslots = NULL, tmap[65536];
	uint64_t *slot_size = NULL;
	size_t nfree = 0, capfree = 0, capsize = 0;
	uint32_t next = 0, nthreads = 0;
	int64_t cur = 0;
	int rc = 0;
	memset(tmap, 0xff, sizeof tmap);
	memcpy(info->magic, HLR_MAGIC, 8);
	info->version = HLR_VERSION;
	fwrite(info, sizeof *info, 1, f); /* rewritten at the end */
	/* the heap the trace starts with */
	if (ninherit)
		nthreads = 1;
	for (size_t k = 0; k < ninherit && !rc; k++) {
		hlr_op_t op;
		memset(&op, 0, sizeof op);
		op.op = HLR_MALLOC;
		op.slot = next++;
		op.size = inherit[k].size;
		if (hl_grow((void **)&slot_size, &capsize, op.slot + 1, sizeof *slot_size) ||
		    hl_pm_put(&live, inherit[k].ptr, op.slot)) {
			rc = -ENOMEM;
			break;
		}
		slot_size[op.slot] = op.size;
		cur += (int64_t)op.size;
		if (fwrite(&op, sizeof op, 1, f) != 1)
			rc = -EIO;
		info->ops++;
	}
	if (ninherit) /* the trace's first thread goes on as the prologue's */
		tmap[t->nev ? t->ev[0].thread : 0] = 0;
	double last_ns = -1;
	for (size_t i = 0; i < t->nev && !rc; i++) {
		const hl_trace_event_t *e = &t->ev[i];
		if (e->failed)
			continue;
		if (tmap[e->thread] == UINT32_MAX)
			tmap[e->thread] = nthreads++;
		hlr_op_t op;
		memset(&op, 0, sizeof op);
		op.thread = (uint16_t)tmap[e->thread];
		double ns = t->nclock ? hl_trace_ns(t, e->tsc) : -1;
		if (last_ns >= 0 && ns - last_ns >= HLR_IDLE_NS)
			op.flags = HLR_IDLE_BEFORE;
		last_ns = ns;
		size_t s;
		bool have_old = false;
		if ((e->op == HLT_FREE || e->op == HLT_REALLOC) && (e->op == HLT_FREE ? e->ptr : e->old))
			have_old = hl_pm_get(&live, e->op == HLT_FREE ? e->ptr : e->old, &s);
		if (e->op == HLT_FREE) {
			if (!have_old)
				continue; /* a double or invalid free: never replayed */
			hl_pm_del(&live, e->ptr);
			cur -= (int64_t)slot_size[s];
			if (hl_grow((void **)&freeslots, &capfree, nfree + 1, sizeof *freeslots)) {
				rc = -ENOMEM;
				break;
			}
			freeslots[nfree++] = (uint32_t)s;
			op.op = HLR_FREE;
			op.slot = (uint32_t)s;
		} else if (e->op == HLT_TRIM) {
			op.op = HLR_TRIM;
			op.size = e->size;
		} else {
			size_t lost;
			if (e->ptr && hl_pm_get(&live, e->ptr, &lost) && (!have_old || lost != s)) {
				/* handed out again: its free was not traced; the
				 * replay frees it here */
				hlr_op_t fr;
				memset(&fr, 0, sizeof fr);
				fr.op = HLR_FREE;
				fr.slot = (uint32_t)lost;
				fr.thread = op.thread;
				if (fwrite(&fr, sizeof fr, 1, f) != 1)
					rc = -EIO;
				info->ops++;
				hl_pm_del(&live, e->ptr);
				cur -= (int64_t)slot_size[lost];
				slot_size[lost] = 0;
				if (hl_grow((void **)&freeslots, &capfree, nfree + 1, sizeof *freeslots)) {
					rc = -ENOMEM;
					break;
				}
				freeslots[nfree++] = (uint32_t)lost;
			}
			if (e->op == HLT_REALLOC && have_old) {
				hl_pm_del(&live, e->old);
				cur -= (int64_t)slot_size[s];
			} else {
				s = nfree ? freeslots[--nfree] : next++;
			}
			op.op = e->op == HLT_MALLOC	 ? HLR_MALLOC
				: e->op == HLT_CALLOC	 ? HLR_CALLOC
				: e->op == HLT_MEMALIGN ? HLR_MEMALIGN
							 : HLR_REALLOC;
			op.slot = (uint32_t)s;
			op.size = e->size;
			op.align = e->op == HLT_MEMALIGN ? (uint32_t)e->old : 0;
			if (hl_grow((void **)&slot_size, &capsize, s + 1, sizeof *slot_size)) {
				rc = -ENOMEM;
				break;
			}
			if (e->op == HLT_REALLOC && !e->size && have_old) { /* realloc(p, 0): freed */
				slot_size[s] = 0;
				if (hl_grow((void **)&freeslots, &capfree, nfree + 1, sizeof *freeslots)) {
					rc = -ENOMEM;
					break;
				}
				freeslots[nfree++] = (uint32_t)s;
			} else {
				slot_size[s] = e->size;
				cur += (int64_t)e->size;
				if (e->ptr && hl_pm_put(&live, e->ptr, s))
					rc = -ENOMEM;
			}
		}
		if (fwrite(&op, sizeof op, 1, f) != 1)
			rc = -EIO;
		info->ops++;
		if (cur > (int64_t)info->peak_live) {
			info->peak_live = (uint64_t)cur;
			info->peak_op = info->ops - 1;
		}
	}
	info->threads = nthreads;
	info->slots = next;
	if (!rc && (fseek(f, 0, SEEK_SET) || fwrite(info, sizeof *info, 1, f) != 1))
		rc = -EIO;
	if (fclose(f))
		rc = rc ? rc : -EIO;
	free(live.key);
	free(live.val);
	free(freeslots);
	free(slot_size);
	if (rc) {
		unlink(path);
		return hl_error_set(err, rc, "cannot write %s: %s", path,
				    rc == -ENOMEM ? "out of memory" : "write failed (disk full?)");
	}
	return 0;
}

/* ------------------------------------------------------------- symbols */

struct hl_symbolizer {
	Dwfl *dwfl;
	Dwfl_Callbacks cb;
	char *debuginfo_path;
};

hl_symbolizer_t *hl_symbolizer_new(const hl_trace_t *t)
{
	hl_symbolizer_t *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	/* libdw's default search (the file's folder, .debug, /usr/lib/debug by
	 * build ID and by path), after the folder the user named */
	const char *dir = getenv("HEAPLAB_DEBUG_DIR");
	struct stat st;
	if (dir && *dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    asprintf(&s->debuginfo_path, "%s:.debug:/usr/lib/debug", dir) < 0)
		s->debuginfo_path = NULL;
	s->cb = (Dwfl_Callbacks){
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.debuginfo_path = s->debuginfo_path ? &s->debuginfo_path : NULL,
	};
	s->dwfl = dwfl_begin(&s->cb);
	if (!s->dwfl) {
		free(s->debuginfo_path);
		free(s);
		return NULL;
	}
	dwfl_report_begin(s->dwfl);
	for (size_t i = 0; i < t->nmodules; i++) {
		const hl_trace_module_t *m = &t->modules[i];
		bool seen = false;
		for (size_t k = 0; k < i; k++)
			seen |= !strcmp(t->modules[k].path, m->path);
		if (seen)
			continue;
		/* the load bias: the executable mapping's address less its offset */
		dwfl_report_elf(s->dwfl, m->path, m->path, -1, m->start - m->offset, false);
	}
	dwfl_report_end(s->dwfl, NULL, NULL);
	return s;
}

void hl_symbolize(hl_symbolizer_t *s, uint64_t pc, hl_frame_info_t *out)
{
	memset(out, 0, sizeof *out);
	out->pc = pc;
	if (!s || pc < 1)
		return;
	Dwfl_Module *m = dwfl_addrmodule(s->dwfl, pc - 1);
	if (!m)
		return;
	Dwarf_Addr start = 0;
	const char *mname = dwfl_module_info(m, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	out->offset = pc - start;
	if (mname) {
		const char *slash = strrchr(mname, '/');
		snprintf(out->module, sizeof out->module, "%s", slash ? slash + 1 : mname);
		snprintf(out->module_path, sizeof out->module_path, "%s", mname);
	}
	Dwarf_Addr bias;
	out->has_debug = dwfl_module_getdwarf(m, &bias) != NULL;
	const unsigned char *id;
	GElf_Addr vaddr;
	int idlen = dwfl_module_build_id(m, &id, &vaddr);
	for (int k = 0; k < idlen && (size_t)(2 * k + 2) < sizeof out->build_id; k++)
		snprintf(out->build_id + 2 * k, 3, "%02x", id[k]);
	const char *fn = dwfl_module_addrname(m, pc - 1);
	if (fn)
		snprintf(out->function, sizeof out->function, "%s", fn);
	Dwfl_Line *ln = dwfl_module_getsrc(m, pc - 1);
	if (ln) {
		int line = 0;
		const char *file = dwfl_lineinfo(ln, NULL, &line, NULL, NULL, NULL);
		if (file)
			snprintf(out->file, sizeof out->file, "%s", file);
		out->line = line;
	}
}

void hl_symbolizer_free(hl_symbolizer_t *s)
{
	if (!s)
		return;
	dwfl_end(s->dwfl);
	free(s->debuginfo_path);
	free(s);
}
