/*
 * test_live_glibc_lessons.c — each experiment's lesson on each glibc of the
 * matrix, as its on_glibc lines state it. For every experiment and every
 * glibc (2.31, 2.36, 2.41, 2.43) the experiment runs under that glibc
 * (heaplab run --glibc V), and the lesson's test below, on the run's RSS
 * and mallinfo2 per phase, must come out as the line says: "holds" ->
 * the lesson's test passes; "differs" or "does not apply" -> it fails and
 * the test of what the line says instead passes. A line missing for a
 * version of the matrix fails too. Every run walks the heap at every phase
 * (--walk; with the glibc's debug info for every other experiment, with its
 * builtin layout for the rest): the walk's totals must be the target's own
 * mallinfo2 (mallinfo on 2.31), phase by phase.
 *
 * Sizes are smaller than the defaults where the lesson does not depend on
 * them, to keep the suite short; the lines' figures are the defaults'.
 */
#include "live.h"

static double rss(const hl_run_t *r, const char *phase)
{
	const hl_phase_t *p = hl_run_phase(r, phase);
	return p ? (double)p->rss_bytes : -1;
}

static double in_use(const hl_run_t *r, const char *phase)
{
	const hl_phase_t *p = hl_run_phase(r, phase);
	return p ? (double)(p->mallinfo2.uordblks + p->mallinfo2.hblkhd) : -1;
}

static double smblks(const hl_run_t *r, const char *phase)
{
	const hl_phase_t *p = hl_run_phase(r, phase);
	return p ? (double)p->mallinfo2.smblks : -1;
}

/* RSS at phase b still (more than 90% of) what it was at a */
static bool stays(const hl_run_t *r, const char *a, const char *b)
{
	return rss(r, b) > 0.9 * rss(r, a) && rss(r, a) > 0;
}

/* RSS at b under a tenth of a */
static bool falls(const hl_run_t *r, const char *a, const char *b)
{
	return rss(r, b) >= 0 && rss(r, b) < 0.1 * rss(r, a);
}

typedef struct lesson {
	const char *exp;
	const char *args[4];     /* experiment arguments, smaller than the defaults */
	const char *tunable;     /* or NULL */
	bool (*holds)(const hl_run_t *r);
	bool (*instead)(const hl_run_t *r); /* what "differs"/"does not apply" says */
} lesson_t;

static bool arena_bloat(const hl_run_t *r)
{
	return stays(r, "allocated", "joined") && in_use(r, "freed") < 0.01 * in_use(r, "allocated");
}
static bool brk_pin(const hl_run_t *r)
{
	return stays(r, "allocated", "freed") && falls(r, "allocated", "trimmed");
}
static bool cross_thread_free(const hl_run_t *r)
{
	return stays(r, "produced", "producer_exited") && in_use(r, "consumed") < 0.01 * in_use(r, "produced");
}
static bool fastbin_consolidate(const hl_run_t *r)
{
	return smblks(r, "freed") > 100000 && smblks(r, "consolidated") == 0 &&
	       rss(r, "large_freed") < 0.5 * rss(r, "allocated");
}
static bool fastbin_consolidate_243(const hl_run_t *r)
{
	/* no fastbin chunks at all; the heap pinned by the tcache made last */
	return smblks(r, "freed") == 0 && stays(r, "allocated", "large_freed");
}
static bool leak_vs_retention(const hl_run_t *r)
{
	return stays(r, "round1_allocated", "round4_freed") &&
	       rss(r, "round4_freed") < 1.1 * rss(r, "round1_allocated") &&
	       in_use(r, "round4_freed") < 0.01 * in_use(r, "round1_allocated");
}
static bool mmap_threshold_drift(const hl_run_t *r)
{
	return rss(r, "first_freed") < rss(r, "first") && stays(r, "drifted", "freed");
}
static bool phased_lifetimes(const hl_run_t *r)
{
	return stays(r, "allocated", "temps_freed");
}
static bool pool_vs_malloc(const hl_run_t *r)
{
	return stays(r, "filled", "released") && falls(r, "filled", "destroyed");
}
static bool realloc_growth(const hl_run_t *r)
{
	return falls(r, "grown", "freed");
}
static bool swiss_cheese(const hl_run_t *r)
{
	return stays(r, "allocated", "trimmed");
}
static bool tcache_pin(const hl_run_t *r)
{
	return stays(r, "allocated", "freed");
}
static bool tcache_pin_count0(const hl_run_t *r)
{
	return falls(r, "allocated", "freed");
}
static bool top_trim(const hl_run_t *r)
{
	return falls(r, "allocated", "freed");
}
static bool zmalloc_accounting(const hl_run_t *r)
{
	return stays(r, "filled", "deleted") && in_use(r, "deleted") < 0.5 * in_use(r, "filled");
}
static bool first_free_pin(const hl_run_t *r)
{
	return stays(r, "allocated", "freed") && falls(r, "allocated", "trimmed");
}
static bool first_free_pin_before(const hl_run_t *r)
{
	return falls(r, "allocated", "freed");
}

static const lesson_t lessons[] = {
	{"arena_bloat", {NULL}, NULL, arena_bloat, NULL},
	{"brk_pin", {"--blocks=65536"}, NULL, brk_pin, NULL},
	{"cross_thread_free", {NULL}, NULL, cross_thread_free, NULL},
	{"fastbin_consolidate", {"--blocks=300000"}, NULL, fastbin_consolidate, fastbin_consolidate_243},
	{"leak_vs_retention", {NULL}, NULL, leak_vs_retention, NULL},
	{"mmap_threshold_drift", {NULL}, NULL, mmap_threshold_drift, NULL},
	{"phased_lifetimes", {NULL}, NULL, phased_lifetimes, NULL},
	{"pool_vs_malloc", {NULL}, NULL, pool_vs_malloc, NULL},
	{"realloc_growth", {NULL}, NULL, realloc_growth, NULL},
	{"swiss_cheese", {"--blocks=16384"}, NULL, swiss_cheese, NULL},
	{"tcache_pin", {"--blocks=16384"}, NULL, tcache_pin, NULL},
	/* the line's "tcache_count=0" figure: free trims it then, on every glibc */
	{"tcache_pin", {"--blocks=16384"}, "glibc.malloc.tcache_count=0", tcache_pin_count0, NULL},
	{"top_trim", {"--blocks=16384"}, NULL, top_trim, NULL},
	{"zmalloc_accounting", {NULL}, NULL, zmalloc_accounting, NULL},
	{"first_free_pin", {NULL}, NULL, first_free_pin, first_free_pin_before},
};

/* The experiment's on_glibc line for version, from --describe. */
static bool claim(const char *exp, const char *version, char *out, size_t sz)
{
	char cmd[256], line[600];
	snprintf(cmd, sizeof cmd, "build/experiments/%s --describe", exp);
	FILE *p = popen(cmd, "r");
	bool found = false;
	size_t vl = strlen(version);
	while (p && fgets(line, sizeof line, p))
		if (!strncmp(line, "glibc: ", 7) && !strncmp(line + 7, version, vl) && line[7 + vl] == ' ') {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, sz, "%s", line + 8 + vl);
			found = true;
		}
	if (p)
		pclose(p);
	return found;
}

int main(void)
{
	static const char *const versions[] = {"2.31", "2.36", "2.41", "2.43"};
	for (size_t i = 0; i < sizeof lessons / sizeof *lessons; i++) {
		const lesson_t *L = &lessons[i];
		for (size_t v = 0; v < sizeof versions / sizeof *versions; v++) {
			char said[600], dir[400], what[160];
			snprintf(what, sizeof what, "%s%s%s on glibc %s", L->exp, L->tunable ? " " : "",
				 L->tunable ? L->tunable : "", versions[v]);
			bool has = claim(L->exp, versions[v], said, sizeof said);
			T_OK(has, "%s: its on_glibc line says how the lesson fares", what);
			if (!has)
				continue;
			char opts[256], args[256] = "";
			bool nodebug = (i + v) % 2;
			snprintf(opts, sizeof opts, "--glibc %s --quiet --walk%s%s", versions[v],
				 L->tunable ? " --tunable " : "", L->tunable ? L->tunable : "");
			if (nodebug)
				setenv("HEAPLAB_NO_DEBUGINFO", "1", 1);
			for (int a = 0; a < 4 && L->args[a]; a++)
				snprintf(args + strlen(args), sizeof args - strlen(args), "%s%s",
					 a ? " " : "", L->args[a]);
			hl_run_t r;
			int st = live_run_full(L->exp, opts, args, &r, NULL, dir);
			unsetenv("HEAPLAB_NO_DEBUGINFO");
			bool loaded = st == 0 && r.complete && !strcmp(r.glibc, versions[v]);
			T_OK(loaded, "%s: ran under it (status %d, run.json glibc %s)", what, st,
			     loaded ? r.glibc : "?");
			if (loaded) {
				int same = 0;
				char first[200] = "";
				for (size_t k = 0; k < r.nphases; k++) {
					const hl_phase_t *ph = &r.phases[k];
					const hl_mallinfo_t *m = &ph->mallinfo2, *g = &ph->walk.mallinfo2;
					bool eq = ph->walk.complete && m->arena == g->arena &&
						  m->ordblks == g->ordblks && m->smblks == g->smblks &&
						  m->uordblks == g->uordblks && m->fordblks == g->fordblks &&
						  m->hblks == g->hblks && m->hblkhd == g->hblkhd &&
						  m->keepcost == g->keepcost;
					same += eq;
					if (!eq && !first[0])
						snprintf(first, sizeof first,
							 "(%s: uordblks %lld/%lld, fordblks %lld/%lld %s)",
							 ph->name, (long long)m->uordblks,
							 (long long)g->uordblks, (long long)m->fordblks,
							 (long long)g->fordblks, ph->walk.warning);
				}
				T_OK(same == (int)r.nphases,
				     "%s: walked %s at all %zu phases, the totals the target's own %s",
				     what, nodebug ? "by the builtin layout" : "with debug info", r.nphases,
				     first);
				bool holds = L->holds(&r);
				if (L->tunable || !strncmp(said, "holds", 5))
					T_OK(holds, "%s: the lesson holds, as its line says: %s", what,
					     said);
				else
					T_OK(!holds && L->instead && L->instead(&r),
					     "%s: the lesson does not hold, and what the line says "
					     "instead does: %s",
					     what, said);
			}
			hl_run_free(&r);
		}
	}
	return t_done();
}
