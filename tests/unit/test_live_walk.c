/*
 * test_live_walk.c — the walker against the target's own mallinfo2, at every
 * phase of five experiments: arena, ordblks, smblks, fsmblks, uordblks,
 * fordblks, keepcost, hblks and hblkhd must be equal, exactly. tcache-held
 * bytes equal what the experiment left in tcache. And the walk is
 * read-only: at brk_pin's 'trimmed', with 256 MiB released inside the heap,
 * the target's RSS is the same before and after the walk.
 */
#include "live.h"

static void oracle(const char *exp, const char *args, hl_run_t *run)
{
	char dir[256], all[512];
	snprintf(all, sizeof all, "--hold_ms=0 %s", args);
	int rc = live_run_full(exp, "--quiet --walk", all, run, NULL, dir);
	T_EQ_INT(rc, 0, "heaplab run --walk exits 0");
	for (size_t i = 0; i < run->nphases; i++) {
		const hl_phase_t *p = &run->phases[i];
		const hl_mallinfo_t *m = &p->mallinfo2, *w = &p->walk.mallinfo2;
		T_OK(p->walk_valid && p->walk.complete, "%s/%s: walked (%s)", exp, p->name,
		     p->walk.warning);
		bool same = m->arena == w->arena && m->ordblks == w->ordblks && m->smblks == w->smblks &&
			    m->fsmblks == w->fsmblks && m->uordblks == w->uordblks &&
			    m->fordblks == w->fordblks && m->keepcost == w->keepcost &&
			    m->hblks == w->hblks && m->hblkhd == w->hblkhd;
		T_OK(same, "%s/%s: the walk's totals equal the target's mallinfo2", exp, p->name);
		if (!same)
			printf("#   arena %lld/%lld ordblks %lld/%lld smblks %lld/%lld uord %lld/%lld "
			       "ford %lld/%lld keep %lld/%lld hblks %lld/%lld\n",
			       (long long)m->arena, (long long)w->arena, (long long)m->ordblks,
			       (long long)w->ordblks, (long long)m->smblks, (long long)w->smblks,
			       (long long)m->uordblks, (long long)w->uordblks, (long long)m->fordblks,
			       (long long)w->fordblks, (long long)m->keepcost, (long long)w->keepcost,
			       (long long)m->hblks, (long long)w->hblks);
		T_OK(p->walk.method[0] && !strncmp(p->walk.method, "dwarf:", 6),
		     "%s/%s: main_arena found through debug info", exp, p->name);
	}
}

int main(void)
{
	hl_run_t run;
	oracle("brk_pin", "--blocks=20000", &run);
	const hl_phase_t *a = live_phase(&run, "allocated");
	T_OK(a->walk.live_bytes >= 20000LL * 4104, "brk_pin: live >= 20,000 x 4104 usable bytes");
	hl_run_free(&run);

	oracle("tcache_pin", "--blocks=4096", &run);
	const hl_phase_t *al = live_phase(&run, "allocated"), *pf = live_phase(&run, "pin_freed");
	T_EQ_INT(pf->walk.tcache_bytes - al->walk.tcache_bytes, 32,
		 "tcache_pin: the freed pin is 32 B more in tcache");
	hl_run_free(&run);

	oracle("fastbin_consolidate", "--blocks=20000", &run);
	const hl_phase_t *f0 = live_phase(&run, "allocated"), *f1 = live_phase(&run, "freed");
	T_EQ_INT(f1->walk.tcache_bytes - f0->walk.tcache_bytes, 7 * 48,
		 "fastbin_consolidate: tcache holds 7 x 48 B");
	T_EQ_INT(f1->walk.fastbin_bytes, (20000 - 7) * 48LL, "and the fastbins the rest");
	hl_run_free(&run);

	oracle("arena_bloat", "--threads=4 --bytes=1048576", &run);
	const hl_phase_t *ab = live_phase(&run, "allocated");
	T_EQ_INT(ab->walk.arenas, (int64_t)ab->malloc_info.narenas,
		 "arena_bloat: the walker finds as many arenas as malloc_info");
	hl_run_free(&run);

	oracle("cross_thread_free", "--bytes=8388608", &run);
	hl_run_free(&run);

	/* without debug info: the builtin layout and the heuristic that finds
	 * main_arena (next leads back to itself) and mp_ (sbrk_base) */
	setenv("HEAPLAB_NO_DEBUGINFO", "1", 1);
	char hdir[256];
	int hrc = live_run_full("brk_pin", "--quiet --walk", "--hold_ms=0 --blocks=5000", &run, NULL,
				hdir);
	unsetenv("HEAPLAB_NO_DEBUGINFO");
	T_EQ_INT(hrc, 0, "without debug info: exits 0");
	for (size_t i = 0; i < run.nphases; i++) {
		const hl_phase_t *p = &run.phases[i];
		T_OK(p->walk_valid && !strncmp(p->walk.method, "heuristic:", 10),
		     "%s: the method says heuristic (%s)", p->name, p->walk.method);
		T_OK(p->walk.mallinfo2.uordblks == p->mallinfo2.uordblks &&
			     p->walk.mallinfo2.fordblks == p->mallinfo2.fordblks &&
			     p->walk.mallinfo2.arena == p->mallinfo2.arena,
		     "%s: and the totals still equal mallinfo2", p->name);
	}
	hl_run_free(&run);

	/* read-only: 256 MiB released inside the heap stays released */
	oracle("brk_pin", "--blocks=65536", &run);
	const hl_phase_t *t = live_phase(&run, "trimmed");
	T_OK(t->walk.released_bytes >= 250 * MiB, "trimmed: the walk sees >= 250 MiB released (%lld)",
	     (long long)t->walk.released_bytes);
	T_EQ_INT(t->walk.rss_after_bytes, t->walk.rss_before_bytes,
		 "trimmed: the target's RSS is the same after the walk");
	const hl_phase_t *f = live_phase(&run, "freed");
	T_OK(f->walk.held_back_bytes >= 250 * MiB && f->walk.releasable_bytes >= 250 * MiB,
	     "freed: >= 250 MiB held back, and releasable by malloc_trim");
	int64_t trimmed_away = f->rss_bytes - t->rss_bytes;
	T_OK(trimmed_away >= f->walk.releasable_bytes * 98 / 100 &&
		     trimmed_away <= f->walk.releasable_bytes * 102 / 100,
	     "malloc_trim gave back what the walk said was releasable, within 2%% (%lld vs %lld)",
	     (long long)trimmed_away, (long long)f->walk.releasable_bytes);
	hl_run_free(&run);
	return t_done();
}
