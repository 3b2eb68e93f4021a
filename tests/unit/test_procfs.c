/*
 * test_procfs.c — the /proc parsers (status, statm, maps, smaps,
 * smaps_rollup) on files captured from a real process on this machine
 * (tests/fixtures/make/capture.c: a brk heap, a second arena's heap, a live
 * 1 MiB mmapped chunk, a cached thread stack, a deleted file with spaces in
 * its name), with the exact figures read from those files. Then the contract
 * for damaged input, at every cut and on random bytes:
 *   - a buffer cut inside a line (no '\n' at its end) is HL_EPARSE with a
 *     message, and the output holds nothing (no regions, figures unknown);
 *   - a buffer cut at a line end parses as the shorter file it is: the
 *     same regions as the full parse, figures equal or HL_UNKNOWN;
 *   - garbage is HL_EPARSE with a message, never a crash or an over-read
 *     (every buffer is an exact-size copy, so ASan sees one).
 * Region classes are test_region.c's.
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heaplab.h"
#include "t.h"

#define KB 1024LL

/* An exact-size heap copy, so a read past len is an ASan report. */
static char *exact(const char *src, size_t n)
{
	char *p = malloc(n ? n : 1);
	if (n)
		memcpy(p, src, n);
	return p;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* ------------------------------------------------------------------ status */

static void status_all_unknown(const hl_status_t *st, bool *ok)
{
	if (st->vm_size_bytes != HL_UNKNOWN || st->vm_rss_bytes != HL_UNKNOWN ||
	    st->rss_anon_bytes != HL_UNKNOWN || st->rss_file_bytes != HL_UNKNOWN ||
	    st->vm_swap_bytes != HL_UNKNOWN || st->threads != HL_UNKNOWN || st->name[0])
		*ok = false;
}

static void test_status(void)
{
	size_t len;
	char *buf = t_fixture("proc_status.txt", &len);
	hl_status_t st;
	hl_error_t err = {0};
	T_EQ_INT(hl_status_parse(buf, len, &st, &err), 0, "status: the fixture parses");
	T_EQ_STR(st.name, "capture", "status: Name");
	T_EQ_INT(st.vm_size_bytes, 77380 * KB, "status: VmSize 77380 kB in bytes");
	T_EQ_INT(st.vm_rss_bytes, 3112 * KB, "status: VmRSS 3112 kB in bytes");
	T_EQ_INT(st.rss_anon_bytes, 1512 * KB, "status: RssAnon");
	T_EQ_INT(st.rss_file_bytes, 1600 * KB, "status: RssFile");
	T_EQ_INT(st.vm_swap_bytes, 0, "status: VmSwap is a known 0, not unknown");
	T_EQ_INT(st.threads, 1, "status: Threads is a count, not kB");

	/* a kernel thread's status has no Vm lines: unknown, not 0 */
	const char *kthread = "Name:\tkthreadd\nState:\tS (sleeping)\nThreads:\t1\n";
	T_EQ_INT(hl_status_parse(kthread, strlen(kthread), &st, &err), 0,
		 "status: kernel thread parses");
	T_EQ_INT(st.vm_rss_bytes, HL_UNKNOWN, "status: absent VmRSS is unknown, not 0");
	T_EQ_INT(st.vm_size_bytes, HL_UNKNOWN, "status: absent VmSize is unknown");

	static const char *const bad[] = {
	    "Name:\tx\nVmRSS:\t   lots kB\n",
	    "Name:\tx\nVmRSS:\t12 MB\n",
	    "Name:\tx\nVmRSS:\t12\n",
	    "Name:\tx\nThreads:\t3 kB\n",
	    "Name:\tx\nVmRSS:\t99999999999999999 kB\n", /* * 1024 overflows int64 */
	    "Name:\tx\nthis line has no colon\n",
	    "State:\tR (running)\n", /* no Name */
	    "Name:\tcapture",	     /* no newline: cut short */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = '\0';
		int rc = hl_status_parse(bad[i], strlen(bad[i]), &st, &err);
		bool clean = true;
		status_all_unknown(&st, &clean);
		T_OK(rc == HL_EPARSE && err.msg[0] && clean,
		     "status: bad input %zu refused, nothing kept: %s", i, err.msg);
	}
	const char *maxok = "Name:\tx\nVmRSS:\t9007199254740991 kB\n"; /* INT64_MAX / 1024 */
	T_OK(hl_status_parse(maxok, strlen(maxok), &st, &err) == 0 &&
		 st.vm_rss_bytes == 9007199254740991LL * 1024,
	     "status: the largest kB value that fits is taken");
	err.msg[0] = '\0';
	T_OK(hl_status_parse("", 0, &st, &err) == HL_EPARSE && err.msg[0],
	     "status: empty is an error: %s", err.msg);

	/* every cut of the fixture */
	hl_status_t full = {0};
	hl_status_parse(buf, len, &full, NULL);
	int bad_cuts = 0, partial = 0;
	for (size_t cut = 0; cut <= len; cut++) {
		char *c = exact(buf, cut);
		err.msg[0] = '\0';
		int rc = hl_status_parse(c, cut, &st, &err);
		bool at_eol = cut > 0 && buf[cut - 1] == '\n';
		bool ok = true;
		if (!at_eol) {
			status_all_unknown(&st, &ok);
			ok = ok && rc == HL_EPARSE && err.msg[0];
		} else {
			int64_t got[] = {st.vm_size_bytes,  st.vm_rss_bytes,  st.rss_anon_bytes,
					 st.rss_file_bytes, st.vm_swap_bytes, st.threads};
			int64_t want[] = {full.vm_size_bytes,  full.vm_rss_bytes,
					  full.rss_anon_bytes, full.rss_file_bytes,
					  full.vm_swap_bytes,  full.threads};
			ok = rc == 0 && !strcmp(st.name, "capture");
			for (size_t k = 0; k < 6; k++) {
				ok = ok && (got[k] == want[k] || got[k] == HL_UNKNOWN);
				partial += got[k] == HL_UNKNOWN;
			}
		}
		bad_cuts += !ok;
		free(c);
	}
	T_EQ_INT(bad_cuts, 0,
		 "status: every cut: inside a line an error, at a line end the known lines");
	T_OK(partial > 0, "status: cuts at line ends leave later fields unknown (%d)", partial);
	free(buf);
}

/* ------------------------------------------------------------------- statm */

static void test_statm(void)
{
	size_t len;
	char *buf = t_fixture("proc_statm.txt", &len);
	hl_statm_t st;
	hl_error_t err = {0};
	T_EQ_INT(hl_statm_parse(buf, len, 4096, &st, &err), 0, "statm: the fixture parses");
	T_EQ_INT(st.vsz_bytes, 19345LL * 4096, "statm: size 19345 pages in bytes");
	T_EQ_INT(st.rss_bytes, 779LL * 4096, "statm: resident 779 pages in bytes");
	T_EQ_INT(st.shared_bytes, 400LL * 4096, "statm: shared 400 pages in bytes");
	T_OK(hl_statm_parse(buf, len, 16384, &st, &err) == 0 && st.rss_bytes == 779LL * 16384,
	     "statm: pages are converted with the page size given");

	static const char *const bad[] = {
	    "12\n",
	    "12 34\n",
	    "x y z\n",
	    "1 2 3 x\n",
	    "1  2 3\n",
	    " 1 2 3\n",
	    "1 2 3 \n",
	    "99999999999999999999 1 1\n",
	    "2251799813685248 1 1\n", /* * 4096 > INT64_MAX */
	    "19345 779 400",
	    /* cut short */ "",
	    "\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = '\0';
		int rc = hl_statm_parse(bad[i], strlen(bad[i]), 4096, &st, &err);
		T_OK(rc == HL_EPARSE && err.msg[0] && st.vsz_bytes == HL_UNKNOWN &&
			 st.rss_bytes == HL_UNKNOWN && st.shared_bytes == HL_UNKNOWN,
		     "statm: bad input %zu refused, all unknown: %s", i, err.msg);
	}
	T_EQ_INT(hl_statm_parse("1 2 3\n", 6, 4096, &st, &err), 0,
		 "statm: three fields are enough");
	T_EQ_INT(hl_statm_parse("1 2 3\n", 6, 0, &st, &err), -EINVAL,
		 "statm: page size 0 is refused");
	int bad_cuts = 0;
	for (size_t cut = 0; cut < len; cut++) {
		char *c = exact(buf, cut);
		bad_cuts += hl_statm_parse(c, cut, 4096, &st, &err) != HL_EPARSE;
		free(c);
	}
	T_EQ_INT(bad_cuts, 0, "statm: every cut of the one line is an error");
	free(buf);
}

/* -------------------------------------------------------------------- maps */

static bool same_header(const hl_region_t *a, const hl_region_t *b)
{
	return a->start == b->start && a->end == b->end && !strcmp(a->perms, b->perms) &&
	       a->offset == b->offset && a->inode == b->inode && !strcmp(a->path, b->path);
}

/* Sane: sorted, non-empty, no overlap, NUL-terminated strings. */
static bool sane(const hl_regions_t *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const hl_region_t *v = &r->v[i];
		if (v->end <= v->start || (i && v->start < r->v[i - 1].end) ||
		    !memchr(v->perms, 0, sizeof v->perms) || !memchr(v->path, 0, sizeof v->path))
			return false;
	}
	return true;
}

static void check_maps_fixture(const hl_regions_t *r, bool smaps)
{
	const char *what = smaps ? "smaps" : "maps";
	T_EQ_INT(r->n, 30, smaps ? "smaps: 30 regions" : "maps: 30 regions");
	size_t others = 0;
	for (size_t i = 0; i < r->n; i++)
		others += r->v[i].cls == HL_REGION_OTHER;
	T_EQ_INT(others, r->n,
		 smaps ? "smaps: cls is other until classify runs"
		       : "maps: cls is other until classify runs");
	const hl_region_t *heap = NULL;
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].path, "[heap]"))
			heap = &r->v[i];
	T_OK(heap && heap->start == 0x5558b70fa000ULL && heap->end == 0x5558b713d000ULL &&
		 !strcmp(heap->perms, "rw-p") && heap->inode == 0 && heap->offset == 0,
	     "%s: [heap] is 5558b70fa000-5558b713d000 rw-p", what);
	if (heap) {
		T_EQ_INT(heap->rss_bytes, smaps ? 180 * KB : HL_UNKNOWN,
			 smaps ? "smaps: [heap] Rss 180 kB in bytes" : "maps: [heap] Rss unknown");
		T_EQ_INT(heap->private_dirty_bytes, smaps ? 180 * KB : HL_UNKNOWN,
			 "[heap] Private_Dirty");
		T_EQ_INT(heap->anonymous_bytes, smaps ? 180 * KB : HL_UNKNOWN, "[heap] Anonymous");
		T_EQ_INT(heap->swap_bytes, smaps ? 0 : HL_UNKNOWN, "[heap] Swap");
	}
	const hl_region_t *libc = hl_regions_find(r, 0x7f7638a09000ULL);
	T_OK(libc && !strcmp(libc->path, "/usr/lib/x86_64-linux-gnu/libc.so.6") &&
		 !strcmp(libc->perms, "r-xp") && libc->offset == 0x26000 && libc->inode == 332835,
	     "%s: libc text: path, perms, offset, inode", what);
	const hl_region_t *del = hl_regions_find(r, 0x7f7638bce000ULL);
	T_OK(del && !strcmp(del->path, "/tmp/heaplab fixture (capture) (deleted)") &&
		 !strcmp(del->perms, "r--p") && del->end == 0x7f7638bd0000ULL,
	     "%s: a path with spaces and \" (deleted)\" is kept whole: \"%s\"", what,
	     del ? del->path : "");
	const hl_region_t *anon = hl_regions_find(r, 0x7f76380de000ULL);
	T_OK(anon && anon->path[0] == '\0' && anon->inode == 0 &&
		 anon->end - anon->start == 1052672,
	     "%s: the 1 MiB chunk's mapping: anonymous, 1 MiB + 4 KiB", what);
	if (smaps && anon)
		T_EQ_INT(anon->rss_bytes, 1028 * KB, "smaps: the chunk's Rss");
	const hl_region_t *vs = hl_regions_find(r, 0xffffffffff600000ULL);
	T_OK(vs && !strcmp(vs->path, "[vsyscall]") && !strcmp(vs->perms, "--xp"),
	     "%s: [vsyscall] at the top of the address space", what);
}

static void test_find(const hl_regions_t *r)
{
	int wrong = 0;
	for (size_t i = 0; i < r->n; i++) {
		const hl_region_t *v = &r->v[i];
		wrong += hl_regions_find(r, v->start) != v;
		wrong += hl_regions_find(r, v->end - 1) != v;
		wrong += hl_regions_find(r, v->start + (v->end - v->start) / 2) != v;
		/* the byte after it: the next region, or a gap */
		const hl_region_t *after = hl_regions_find(r, v->end);
		wrong += i + 1 < r->n && r->v[i + 1].start == v->end ? after != &r->v[i + 1]
								     : after != NULL;
	}
	T_EQ_INT(wrong, 0, "find: every region by its first, middle and last byte; gaps are NULL");
	/* against a linear scan on random addresses near the mappings */
	int mismatch = 0;
	for (int k = 0; k < 20000; k++) {
		const hl_region_t *v = &r->v[rnd() % r->n];
		uint64_t a =
		    v->start + (rnd() % (3 * (v->end - v->start) + 1)) - (v->end - v->start);
		const hl_region_t *lin = NULL;
		for (size_t i = 0; i < r->n; i++)
			if (a >= r->v[i].start && a < r->v[i].end)
				lin = &r->v[i];
		mismatch += hl_regions_find(r, a) != lin;
	}
	T_EQ_INT(mismatch, 0, "find: binary search equals a linear scan on 20000 addresses");
	T_OK(hl_regions_find(r, 0) == NULL && hl_regions_find(r, 0x1000) == NULL &&
		 hl_regions_find(r, UINT64_MAX) == NULL,
	     "find: nothing at 0, 0x1000, or the last address");
	hl_regions_t empty = {0};
	T_OK(hl_regions_find(&empty, 0x1000) == NULL &&
		 hl_regions_first(&empty, HL_REGION_FILE) == NULL,
	     "find/first on an empty list");
	T_OK(hl_regions_first(r, HL_REGION_OTHER) == &r->v[0],
	     "first: the lowest region of a class");
	T_OK(hl_regions_first(r, HL_REGION_MMAP_CHUNK) == NULL,
	     "first: NULL when no region has it");
}

/* Every cut of a fixture, against the full parse. */
static void every_cut(const char *name,
		      int (*parse)(const char *, size_t, hl_regions_t *, hl_error_t *),
		      const hl_regions_t *full, bool smaps)
{
	size_t len;
	char *buf = t_fixture(name, &len);
	hl_regions_t r = {0};
	int bad = 0, refused = 0, shorter = 0;
	for (size_t cut = 0; cut <= len; cut++) {
		char *c = exact(buf, cut);
		hl_error_t err = {0};
		int rc = parse(c, cut, &r, &err);
		if (cut && buf[cut - 1] != '\n') {
			refused++;
			bad += rc != HL_EPARSE || !err.msg[0] || r.n != 0;
		} else {
			bad += rc != 0 || r.n > full->n || !sane(&r);
			for (size_t i = 0; i < r.n && rc == 0; i++) {
				const hl_region_t *a = &r.v[i], *b = &full->v[i];
				bad += !same_header(a, b);
				if (smaps) /* the last region may have lost lines: unknown */
					bad += (a->rss_bytes != b->rss_bytes &&
						a->rss_bytes != HL_UNKNOWN) +
					       (a->swap_bytes != b->swap_bytes &&
						a->swap_bytes != HL_UNKNOWN) +
					       (a->anonymous_bytes != b->anonymous_bytes &&
						a->anonymous_bytes != HL_UNKNOWN) +
					       (a->private_dirty_bytes != b->private_dirty_bytes &&
						a->private_dirty_bytes != HL_UNKNOWN);
			}
			shorter += r.n < full->n;
		}
		free(c);
	}
	T_EQ_INT(bad, 0,
		 smaps ? "smaps: every cut: inside a line an error and no regions, at a line "
			 "end the regions so far"
		       : "maps: every cut: inside a line an error and no regions, at a line "
			 "end the regions so far");
	T_OK(refused > 0 && shorter > 0, "%s: %d cuts refused, %d gave a shorter list", name,
	     refused, shorter);
	hl_regions_free(&r);
	free(buf);
}

static void test_maps_lines(void)
{
	hl_regions_t r = {0};
	hl_error_t err = {0};
	T_OK(hl_maps_parse("", 0, &r, &err) == 0 && r.n == 0,
	     "maps: empty is no regions (a zombie's maps is empty)");
	const char *odd = "1000-2000 rw-s 00000000 00:05 77 /memfd:pool (deleted)\n"
			  "3000-4000 rw-p 00000000 00:00 0 \n"
			  "4000-5000 rw-p 00000000 00:00 0    [anon:my arena]\n"
			  "5000-6000 r--p 00000000 00:0e 12 anon_inode:[io_uring]\n"
			  "6000-7000 r--p 00001000 08:01 99 /a path/with  two  spaces \n";
	T_EQ_INT(hl_maps_parse(odd, strlen(odd), &r, &err), 0,
		 "maps: unusual but real lines parse");
	T_OK(r.n == 5 && !strcmp(r.v[0].path, "/memfd:pool (deleted)") &&
		 !strcmp(r.v[0].perms, "rw-s") && r.v[0].inode == 77,
	     "maps: a shared memfd");
	T_OK(r.n == 5 && r.v[1].path[0] == '\0',
	     "maps: an anonymous line ending in a space has no path");
	T_OK(r.n == 5 && !strcmp(r.v[2].path, "[anon:my arena]"),
	     "maps: a named anonymous mapping");
	T_OK(r.n == 5 && !strcmp(r.v[4].path, "/a path/with  two  spaces ") &&
		 r.v[4].offset == 0x1000,
	     "maps: inner and trailing spaces of a path are kept");

	char longline[600];
	int n = snprintf(longline, sizeof longline, "1000-2000 r--p 00000000 08:01 5 /");
	memset(longline + n, 'a', 400);
	longline[n + 400] = '\n';
	T_OK(hl_maps_parse(longline, (size_t)n + 401, &r, &err) == 0 && r.n == 1 &&
		 strlen(r.v[0].path) == sizeof r.v[0].path - 1 && r.v[0].path[0] == '/',
	     "maps: a path longer than the field is cut, not refused");

	static const char *const garbage[] = {
	    "hello world\n",
	    "0-1 rw-p\n",
	    "zz-10 rw-p 0 00:00 0\n",
	    "10-0 rw-p 00000000 00:00 0\n",			    /* end before start */
	    "10-10 rw-p 00000000 00:00 0\n",			    /* empty */
	    "10-20 rwxq 00000000 00:00 0\n",			    /* perms */
	    "10-20 rw-p 00000000 00:00\n",			    /* no inode */
	    "10-20 rw-p 00000000 00:00 0x\n",			    /* inode not decimal */
	    "10-20 rw-p 00000000 00:00 99999999999999999999\n",	    /* inode overflows */
	    "10000000000000000-10000000000000001 rw-p 0 00:00 0\n", /* 17 hex digits */
	    "1000-2000 rw-p 0 00:00 0\n\n",			    /* blank line */
	    "3000-4000 rw-p 0 00:00 0\n1000-2000 rw-p 0 00:00 0\n", /* out of order */
	    "1000-3000 rw-p 0 00:00 0\n2000-4000 rw-p 0 00:00 0\n", /* overlap */
	    "1000-2000 rw-p 0 00:00 0",				    /* cut short */
	    "\n",
	};
	for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
		err.msg[0] = '\0';
		char *c = exact(garbage[i], strlen(garbage[i]));
		int rc = hl_maps_parse(c, strlen(garbage[i]), &r, &err);
		T_OK(rc == HL_EPARSE && err.msg[0] && r.n == 0, "maps: garbage %zu refused: %s", i,
		     err.msg);
		free(c);
	}
	hl_regions_free(&r);
}

static void test_smaps_lines(void)
{
	hl_regions_t r = {0};
	hl_error_t err = {0};
	T_OK(hl_smaps_parse("", 0, &r, &err) == 0 && r.n == 0, "smaps: empty is no regions");
	const char *s = "1000-3000 rw-p 00000000 00:00 0 \n"
			"Size:                  8 kB\n"
			"Rss:                   4 kB\n"
			"THPeligible:           0\n"
			"ProtectionKey:         0\n"
			"SomeNewKey:            12 MB\n"
			"VmFlags: rd wr mr mw me ac sd \n"
			"4000-5000 r--p 00000000 08:01 7 /x\n"
			"Rss:                   4 kB\n";
	T_EQ_INT(hl_smaps_parse(s, strlen(s), &r, &err), 0,
		 "smaps: VmFlags, THPeligible and unknown keys are skipped");
	T_OK(r.n == 2 && r.v[0].rss_bytes == 4096 && r.v[0].swap_bytes == HL_UNKNOWN &&
		 r.v[1].rss_bytes == 4096 && r.v[1].private_dirty_bytes == HL_UNKNOWN,
	     "smaps: the figures present are taken, the absent stay unknown");
	static const char *const bad[] = {
	    "Rss: 4 kB\n",			     /* field first */
	    "1000-2000 rw-p 0 00:00 0\nRss: 4 MB\n", /* a figure we use, in MB */
	    "1000-2000 rw-p 0 00:00 0\nRss: lots kB\n",
	    "1000-2000 rw-p 0 00:00 0\nRss: 9007199254740992 kB\n", /* overflows */
	    "1000-2000 rw-p 0 00:00 0\nnot a field\n",
	    "1000-2000 rw-p 0 00:00 0\n1000-2000 rw-p 0 00:00 0\n", /* overlap */
	    "1000-2000 rw-p 0 00:00 0\nRss: 4 kB",		    /* cut short */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = '\0';
		int rc = hl_smaps_parse(bad[i], strlen(bad[i]), &r, &err);
		T_OK(rc == HL_EPARSE && err.msg[0] && r.n == 0, "smaps: bad input %zu refused: %s",
		     i, err.msg);
	}
	hl_regions_free(&r);
}

static void test_rollup(void)
{
	size_t len;
	char *buf = t_fixture("proc_smaps_rollup.txt", &len);
	hl_rollup_t ru;
	hl_error_t err = {0};
	T_EQ_INT(hl_smaps_rollup_parse(buf, len, &ru, &err), 0, "rollup: the fixture parses");
	T_EQ_INT(ru.rss_bytes, 3136 * KB, "rollup: Rss");
	T_EQ_INT(ru.pss_bytes, 1759 * KB, "rollup: Pss (not Pss_Dirty or Pss_Anon)");
	T_EQ_INT(ru.anonymous_bytes, 1536 * KB, "rollup: Anonymous");
	T_EQ_INT(ru.private_dirty_bytes, 1556 * KB, "rollup: Private_Dirty");
	T_EQ_INT(ru.swap_bytes, 0, "rollup: Swap (not SwapPss)");
	static const char *const bad[] = {
	    "Rss: 1 kB\n", /* no header */
	    "1000-2000 ---p 00000000 00:00 0 [rollup]\n",
	    "1000-2000 ---p 00000000 00:00 0 [rollup]\nRss: 1 MB\n",
	    "1000-2000 ---p 00000000 00:00 0 [rollup]\nRss: 1 kB\n3000-4000 rw-p 0 00:00 0\n",
	    "1000-2000 ---p 00000000 00:00 0 [rollup]\nRss: 1 kB",
	    "",
	    "\x01\x02\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = '\0';
		int rc = hl_smaps_rollup_parse(bad[i], strlen(bad[i]), &ru, &err);
		T_OK(rc == HL_EPARSE && err.msg[0] && ru.rss_bytes == HL_UNKNOWN &&
			 ru.pss_bytes == HL_UNKNOWN,
		     "rollup: bad input %zu refused, all unknown: %s", i, err.msg);
	}
	int bad_cuts = 0;
	for (size_t cut = 0; cut <= len; cut++) {
		char *c = exact(buf, cut);
		int rc = hl_smaps_rollup_parse(c, cut, &ru, &err);
		if (cut && buf[cut - 1] == '\n' && memmem(buf, cut, "\nRss:", 5))
			bad_cuts += rc != 0 || ru.rss_bytes != 3136 * KB;
		else
			bad_cuts += rc != HL_EPARSE || ru.rss_bytes != HL_UNKNOWN;
		free(c);
	}
	T_EQ_INT(bad_cuts, 0, "rollup: every cut: an error, or Rss once its line is whole");
	free(buf);
}

/* Random bytes, and random lines made of maps and smaps pieces (which get
 * much further into the parsers than bytes do). */
static void test_garbage(void)
{
	static const char *const piece[] = {
	    "7f00-7f10", " ",	    "rw-p",	  " 00000000",
	    " 00:00",	 " 0",	    " /lib x.so", "\n",
	    "Rss:",	 "   4 kB", "[heap]",	  "-",
	    ":",	 "kB",	    "\t",	  "99999999999999999999",
	    "Name:",	 "VmRSS:",  " 1 2 3",	  "ffffffffffffffff",
	    "0",
	};
	int broken = 0, parsed = 0;
	for (int k = 0; k < 4000; k++) {
		char tmp[512];
		size_t n = 0;
		if (k % 2) {
			n = rnd() % sizeof tmp;
			for (size_t i = 0; i < n; i++)
				tmp[i] = (char)rnd();
		} else {
			while (n < 400) {
				const char *p = piece[rnd() % (sizeof piece / sizeof piece[0])];
				memcpy(tmp + n, p, strlen(p));
				n += strlen(p);
			}
			if (rnd() % 2)
				tmp[n++] = '\n';
		}
		char *c = exact(tmp, n);
		hl_regions_t r = {0};
		hl_error_t err = {0};
		for (int which = 0; which < 2; which++) {
			err.msg[0] = '\0';
			int rc =
			    which ? hl_smaps_parse(c, n, &r, &err) : hl_maps_parse(c, n, &r, &err);
			if (rc) {
				broken += rc != HL_EPARSE || !err.msg[0] || r.n;
			} else {
				broken += !sane(&r);
				parsed++;
			}
		}
		hl_regions_free(&r);
		hl_status_t st;
		hl_statm_t sm;
		hl_rollup_t ru;
		err.msg[0] = '\0';
		if (hl_status_parse(c, n, &st, &err))
			broken += !err.msg[0];
		err.msg[0] = '\0';
		if (hl_statm_parse(c, n, 4096, &sm, &err))
			broken += !err.msg[0] || sm.rss_bytes != HL_UNKNOWN;
		err.msg[0] = '\0';
		if (hl_smaps_rollup_parse(c, n, &ru, &err))
			broken += !err.msg[0] || ru.rss_bytes != HL_UNKNOWN;
		free(c);
	}
	T_OK(broken == 0,
	     "garbage: 4000 buffers through every parser: a clean error or a sane result "
	     "(%d broken; %d parsed as region lists)",
	     broken, parsed);
}

int main(void)
{
	test_status();
	test_statm();

	size_t len;
	char *buf = t_fixture("proc_maps.txt", &len);
	hl_regions_t maps = {0}, smaps = {0};
	hl_error_t err = {0};
	T_EQ_INT(hl_maps_parse(buf, len, &maps, &err), 0, "maps: the fixture parses");
	check_maps_fixture(&maps, false);
	test_find(&maps);
	free(buf);

	buf = t_fixture("proc_smaps.txt", &len);
	T_EQ_INT(hl_smaps_parse(buf, len, &smaps, &err), 0, "smaps: the fixture parses");
	check_maps_fixture(&smaps, true);
	int differ = maps.n != smaps.n;
	for (size_t i = 0; i < maps.n && i < smaps.n; i++)
		differ += !same_header(&maps.v[i], &smaps.v[i]);
	T_EQ_INT(differ, 0, "smaps: its header lines are maps' lines, region by region");
	int64_t rss = 0;
	int unknown = 0;
	for (size_t i = 0; i < smaps.n; i++) {
		rss += smaps.v[i].rss_bytes;
		unknown += smaps.v[i].rss_bytes < 0 || smaps.v[i].swap_bytes < 0 ||
			   smaps.v[i].anonymous_bytes < 0 || smaps.v[i].private_dirty_bytes < 0;
	}
	T_EQ_INT(unknown, 0, "smaps: every region has its four figures");
	T_EQ_INT(rss, 3132 * KB, "smaps: Rss summed over the 30 regions");
	/* smaps_rollup was read a moment later (copying smaps touched more
	 * stack): equal within 1%, not exactly */
	T_OK(rss * 100 >= 3136 * KB * 99 && rss <= 3136 * KB,
	     "smaps: summed Rss within 1%% of the rollup's");
	free(buf);

	every_cut("proc_maps.txt", hl_maps_parse, &maps, false);
	every_cut("proc_smaps.txt", hl_smaps_parse, &smaps, true);
	hl_regions_free(&maps);
	hl_regions_free(&smaps);

	test_maps_lines();
	test_smaps_lines();
	test_rollup();
	test_garbage();
	/* a FIFO or a device where a file should be: refused at once */
	{
		char fifo[64];
		snprintf(fifo, sizeof fifo, "/tmp/heaplab-fifo-%d", (int)getpid());
		unlink(fifo);
		hl_buf_t fb = {0};
		hl_error_t fe = {0};
		T_OK(mkfifo(fifo, 0600) == 0 && hl_file_read(fifo, &fb, &fe) < 0 &&
			     strstr(fe.msg, "not a regular file"),
		     "hl_file_read: a FIFO is refused, not waited on (%s)", fe.msg);
		unlink(fifo);
		memset(&fe, 0, sizeof fe);
		T_OK(hl_file_read("/dev/zero", &fb, &fe) < 0 && strstr(fe.msg, "not a regular file"),
		     "hl_file_read: /dev/zero is refused, not read without end");
		T_OK(hl_file_read("/proc/self/status", &fb, NULL) == 0 && fb.len > 100,
		     "hl_file_read: /proc files still read");
		hl_buf_free(&fb);
	}
	return t_done();
}
