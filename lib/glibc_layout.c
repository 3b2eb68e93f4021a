/*
 * glibc_layout.c — where glibc keeps its malloc state and how its structs
 * are laid out, for the walker to read them from outside a process.
 *
 * First choice: libc's own debug information (libc6-dbg), found by the
 * build ID of the libc.so.6 the target has mapped: the symbol table gives
 * the offsets of main_arena and mp_ in libc, the DWARF gives every field
 * offset of struct malloc_state, malloc_par, _heap_info and
 * tcache_perthread_struct. Without debug info: the builtin layout of the
 * libc's version, read from its banner (below), and main_arena must then
 * be found by a heuristic (walk.c), which the method string says. A
 * version without a builtin layout and without debug info is not walked.
 *
 * It reads ELF and DWARF files; it does not touch any process.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heaplab.h"

/*
 * The builtin layouts, x86-64, for a libc without debug info. Each is what
 * the DWARF of Debian's libc6-dbg of that version says (test_glibc_layout
 * checks every one against it, fetched by scripts/glibc.sh), and covers
 * the versions whose malloc.c and arena.c declare the same structs (struct
 * malloc_state, malloc_par, tcache_perthread_struct, heap_info and the bin
 * counts compared text for text between the release tags):
 *
 *   2.31-2.34  measured on 2.31 (bullseye)
 *   2.35-2.41  measured on 2.36 (bookworm) and 2.41 (trixie): 2.35 added
 *              thp_pagesize, hp_pagesize and hp_flags to malloc_par
 *   2.42       2.41's malloc_state and malloc_par (tcache_bins renamed
 *              tcache_small_bins, same place), 2.43's tcache struct: not
 *              measured on a 2.42 build, composed from measured parts
 *   2.43       measured on 2.43 (sid): no fastbinsY (nor have_fastchunks),
 *              and malloc_par gained thp_mode
 *
 * heap_info grew a pagesize field in 2.35 (32 bytes before, 48 after).
 */
typedef struct builtin {
	int first, last;      /* 2.first .. 2.last */
	const char *measured; /* the version whose DWARF it is, or how it was made */
	const char *build_id; /* of the Debian libc measured */
	hl_glibc_layout_t l;
} builtin_t;

#define MS_WITH_FASTBINS                                                                   \
	.ms_size = 2200, .ms_fastbins = 16, .ms_top = 96, .ms_last_remainder = 104,          \
	.ms_bins = 112, .ms_binmap = 2144, .ms_next = 2160, .ms_system_mem = 2184,            \
	.ms_max_system_mem = 2192, .nfastbins = 10, .nbins = 128
#define HEAP_INFO .hi_ar_ptr = 0, .hi_prev = 8, .hi_hsize = 16
#define MP_235                                                                             \
	.mp_size = 136, .mp_trim_threshold = 0, .mp_top_pad = 8, .mp_mmap_threshold = 16,    \
	.mp_n_mmaps = 60, .mp_no_dyn_threshold = 72, .mp_mmapped_mem = 80,                    \
	.mp_sbrk_base = 96, .mp_tcache_count = 120
#define TCACHE_64 .tcache_size = 640, .tcache_entries = 128, .tcache_bins = 64
#define TCACHE_76 .tcache_size = 760, .tcache_entries = 152, .tcache_bins = 76, .tcache_slots = true

static const builtin_t builtins[] = {
	{31, 34, "2.31", "f3654f4d10c3f54ac5dabcb8fc67a2b8d1409dc4",
	 {MS_WITH_FASTBINS, HEAP_INFO, .hi_size = 32, TCACHE_64, .mp_size = 112, .mp_trim_threshold = 0,
	  .mp_top_pad = 8, .mp_mmap_threshold = 16, .mp_n_mmaps = 40, .mp_no_dyn_threshold = 52,
	  .mp_mmapped_mem = 56, .mp_sbrk_base = 72, .mp_tcache_count = 96}},
	{35, 41, "2.36 and 2.41", "93ac61ec5a8eb1396f9fbd350e3169a558528a40 93f70d1a8ae34f8e63c223f1500327fbd717f871", {MS_WITH_FASTBINS, HEAP_INFO, .hi_size = 48, MP_235, TCACHE_64}},
	{42, 42, "2.41's arenas with 2.43's tcache", "", {MS_WITH_FASTBINS, HEAP_INFO, .hi_size = 48, MP_235, TCACHE_76}},
	{43, 43, "2.43", "a226e0f150be89099d375c6b865b1dba794648ae",
	 {.ms_size = 2112, .ms_fastbins = 0, .ms_top = 8, .ms_last_remainder = 16, .ms_bins = 24,
	  .ms_binmap = 2056, .ms_next = 2072, .ms_system_mem = 2096, .ms_max_system_mem = 2104,
	  .nfastbins = 0, .nbins = 128, HEAP_INFO, .hi_size = 48, TCACHE_76, .mp_size = 144,
	  .mp_trim_threshold = 0, .mp_top_pad = 8, .mp_mmap_threshold = 16, .mp_n_mmaps = 68,
	  .mp_no_dyn_threshold = 80, .mp_mmapped_mem = 88, .mp_sbrk_base = 104,
	  .mp_tcache_count = 128}},
};

static int minor_of(const char *version)
{
	int major = 0, minor = 0;
	if (!version || sscanf(version, "%d.%d", &major, &minor) != 2 || major != 2)
		return 0;
	return minor;
}

void hl_glibc_layout_set_version(hl_glibc_layout_t *l, const char *version)
{
	snprintf(l->version, sizeof l->version, "%s", version ? version : "");
	l->minor = minor_of(version);
	int m = l->minor ? l->minor : 99;
	l->safe_linking = m >= 32;
	l->mallinfo_int = m < 33;
}

const char *hl_glibc_layout_known(void)
{
	static char s[128];
	if (!s[0]) {
		size_t n = 0;
		for (size_t i = 0; i < sizeof builtins / sizeof *builtins; i++) {
			const builtin_t *b = &builtins[i];
			n += (size_t)snprintf(s + n, sizeof s - n, "%s2.%d", i ? ", " : "", b->first);
			if (b->last != b->first)
				n += (size_t)snprintf(s + n, sizeof s - n, "-2.%d", b->last);
		}
	}
	return s;
}

static const builtin_t *builtin_for(int minor)
{
	for (size_t i = 0; i < sizeof builtins / sizeof *builtins; i++)
		if (minor >= builtins[i].first && minor <= builtins[i].last)
			return &builtins[i];
	return NULL;
}

int hl_glibc_layout_builtin(const char *version, hl_glibc_layout_t *l)
{
	const builtin_t *b = builtin_for(minor_of(version));
	if (!b)
		return -ENOENT;
	*l = b->l;
	hl_glibc_layout_set_version(l, version);
	snprintf(l->method, sizeof l->method, "builtin glibc %s x86-64 layout (measured on %s)",
		 version, b->measured);
	return 0;
}

/* Reads the GNU build ID note of an ELF file as hex. */
int hl_glibc_build_id(const char *path, char *hex, size_t hexsz, hl_error_t *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hl_error_set(err, -errno, "cannot open %s: %s", path, strerror(errno));
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	int rc = -ENOENT;
	Elf_Scn *scn = NULL;
	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;
		while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + name_off, "GNU", 4))
				continue;
			const unsigned char *id = (const unsigned char *)d->d_buf + desc_off;
			if (nh.n_descsz * 2 + 1 > hexsz)
				break;
			for (size_t i = 0; i < nh.n_descsz; i++)
				snprintf(hex + 2 * i, 3, "%02x", id[i]);
			rc = 0;
			break;
		}
		if (rc == 0)
			break;
	}
	if (e)
		elf_end(e);
	close(fd);
	if (rc)
		return hl_error_set(err, rc, "%s has no GNU build ID", path);
	return 0;
}

/* The byte offset of each named member of the struct called name. */
typedef struct want {
	const char *member;
	size_t *out;
	bool optional; /* a member some versions lack (fastbinsY: gone in 2.43) */
	bool found;
} want_t;

static bool member_offsets(Dwarf_Die *st, want_t *w, size_t nw)
{
	size_t found = 0;
	Dwarf_Die m;
	for (size_t i = 0; i < nw; i++)
		w[i].found = false;
	if (dwarf_child(st, &m) != 0)
		return false;
	do {
		if (dwarf_tag(&m) != DW_TAG_member)
			continue;
		const char *name = dwarf_diename(&m);
		Dwarf_Attribute a;
		Dwarf_Word off;
		if (!name || !dwarf_attr(&m, DW_AT_data_member_location, &a) ||
		    dwarf_formudata(&a, &off) != 0)
			continue;
		for (size_t i = 0; i < nw; i++)
			if (!strcmp(name, w[i].member) && !w[i].found) {
				*w[i].out = (size_t)off;
				w[i].found = true;
				found += !w[i].optional;
			}
	} while (dwarf_siblingof(&m, &m) == 0);
	size_t required = 0;
	for (size_t i = 0; i < nw; i++)
		required += !w[i].optional;
	return found == required;
}

/* Finds the complete struct `name` in the CU of malloc.c. */
static bool find_struct(Dwarf *dw, const char *name, size_t *size, want_t *w, size_t nw)
{
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, child;
		if (dwarf_offdie(dw, off + hsize, &cu)) {
			const char *cuname = dwarf_diename(&cu);
			size_t cl = cuname ? strlen(cuname) : 0;
			if (cl >= 8 && !strcmp(cuname + cl - 8, "malloc.c") &&
			    dwarf_child(&cu, &child) == 0) {
				do {
					if (dwarf_tag(&child) != DW_TAG_structure_type ||
					    !dwarf_diename(&child) || strcmp(dwarf_diename(&child), name) ||
					    dwarf_hasattr(&child, DW_AT_declaration))
						continue;
					int bs = dwarf_bytesize(&child);
					if (bs > 0 && member_offsets(&child, w, nw)) {
						*size = (size_t)bs;
						return true;
					}
				} while (dwarf_siblingof(&child, &child) == 0);
			}
		}
		off = next;
	}
	return false;
}

/* A symbol of type stt in e's section of type sht (SHT_SYMTAB, SHT_DYNSYM). */
static bool elf_symbol(Elf *e, unsigned sht, int stt, const char *name, uint64_t *value)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != sht)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; d && i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != stt ||
			    !sym.st_value)
				continue;
			const char *s = elf_strptr(e, sh.sh_link, sym.st_name);
			if (s && !strcmp(s, name)) {
				*value = sym.st_value;
				return true;
			}
		}
	}
	return false;
}

static bool symbol_value(Elf *e, const char *name, uint64_t *value)
{
	return elf_symbol(e, SHT_SYMTAB, STT_OBJECT, name, value);
}

uint64_t hl_elf_dynamic_function(const char *file, const char *name)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	uint64_t v = 0;
	if (e && !elf_symbol(e, SHT_DYNSYM, STT_FUNC, name, &v))
		v = 0;
	if (e)
		elf_end(e);
	close(fd);
	return v;
}

int hl_glibc_layout_from_debug(const char *debug_file, hl_glibc_layout_t *l, hl_error_t *err)
{
	memset(l, 0, sizeof *l);
	int fd = open(debug_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hl_error_set(err, -errno, "cannot open %s: %s (install libc6-dbg)", debug_file,
				    strerror(errno));
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	Dwarf *dw = e ? dwarf_begin_elf(e, DWARF_C_READ, NULL) : NULL;
	int rc = 0;
	if (!e || !dw) {
		rc = hl_error_set(err, HL_EPARSE, "%s: no DWARF", debug_file);
		goto out;
	}
	if (!symbol_value(e, "main_arena", &l->main_arena_off) ||
	    !symbol_value(e, "mp_", &l->mp_off)) {
		rc = hl_error_set(err, HL_EPARSE, "%s: no main_arena or mp_ symbol", debug_file);
		goto out;
	}
	want_t ms[] = {{"fastbinsY", &l->ms_fastbins, true, false},
		       {"top", &l->ms_top},
		       {"last_remainder", &l->ms_last_remainder},
		       {"bins", &l->ms_bins},
		       {"next", &l->ms_next},
		       {"system_mem", &l->ms_system_mem},
		       {"max_system_mem", &l->ms_max_system_mem},
		       {"binmap", &l->ms_binmap}};
	want_t mp[] = {{"trim_threshold", &l->mp_trim_threshold},
		       {"top_pad", &l->mp_top_pad},
		       {"mmap_threshold", &l->mp_mmap_threshold},
		       {"n_mmaps", &l->mp_n_mmaps},
		       {"no_dyn_threshold", &l->mp_no_dyn_threshold},
		       {"mmapped_mem", &l->mp_mmapped_mem},
		       {"sbrk_base", &l->mp_sbrk_base},
		       {"tcache_count", &l->mp_tcache_count}};
	want_t hi[] = {{"ar_ptr", &l->hi_ar_ptr}, {"prev", &l->hi_prev}, {"size", &l->hi_hsize}};
	size_t counts = 0, slots = 0;
	/* uint16_t counts[64] up to 2.41; uint16_t num_slots[76] from 2.42 */
	want_t tc[] = {{"entries", &l->tcache_entries},
		       {"counts", &counts, true, false},
		       {"num_slots", &slots, true, false}};
	if (!find_struct(dw, "malloc_state", &l->ms_size, ms, 8) ||
	    !find_struct(dw, "malloc_par", &l->mp_size, mp, 8) ||
	    !find_struct(dw, "_heap_info", &l->hi_size, hi, 3) ||
	    !find_struct(dw, "tcache_perthread_struct", &l->tcache_size, tc, 3) ||
	    tc[1].found == tc[2].found) {
		rc = hl_error_set(err, HL_EPARSE,
				  "%s: malloc.c's structs (malloc_state, malloc_par, _heap_info, "
				  "tcache_perthread_struct) not all found",
				  debug_file);
		goto out;
	}
	/* array lengths follow from the offsets: fastbinsY[NFASTBINS] ends at
	 * top, bins[NBINS * 2 - 2] ends at binmap, the uint16_t array at entries */
	l->nfastbins = ms[0].found ? (int)((l->ms_top - l->ms_fastbins) / 8) : 0;
	if (!ms[0].found)
		l->ms_fastbins = 0;
	l->nbins = (int)((l->ms_binmap - l->ms_bins) / 16 + 1);
	l->tcache_bins = (int)(l->tcache_entries / 2);
	l->tcache_slots = tc[2].found;
	snprintf(l->method, sizeof l->method, "dwarf: %s", debug_file);
out:
	if (dw)
		dwarf_end(dw);
	if (e)
		elf_end(e);
	close(fd);
	return rc;
}

/* The libc's tree: the part of path before its last lib/ or lib64/
 * folder (and a usr/ before that), or "" when it has none. */
static void tree_of(const char *path, char *out, size_t outsz)
{
	const char *cut = NULL;
	for (const char *p = path; (p = strstr(p, "/lib")) != NULL; p++)
		if (p[4] == '/' || !strncmp(p + 4, "64/", 3) || !strncmp(p + 4, "32/", 3))
			cut = p;
	out[0] = '\0';
	if (!cut)
		return;
	size_t len = (size_t)(cut - path);
	if (len >= 4 && !strncmp(cut - 4, "/usr", 4))
		len -= 4;
	snprintf(out, outsz, "%.*s", (int)len, path);
}

/* 0 when the debug file at path carries build ID id; else HL_EPARSE, and
 * err names both IDs. */
static int same_build(const char *path, const char *id, hl_error_t *err)
{
	char got[128] = "";
	if (hl_glibc_build_id(path, got, sizeof got, NULL) == 0 && !strcmp(got, id))
		return 0;
	return hl_error_set(err, HL_EPARSE,
			    "debug file %s has build ID %s, the target's libc %s: refused (it "
			    "describes another build)",
			    path, got[0] ? got : "(none)", id);
}

/* The debug file for build ID id, looked for in: $HEAPLAB_DEBUG_DIR (a
 * folder with .build-id/, or one debug file), the target's root
 * (root/usr/lib/debug), the tree its libc was loaded from (the usr/lib/debug
 * beside the libc's lib/: a glibc unpacked elsewhere, as scripts/glibc.sh
 * does), then the host's /usr/lib/debug. A file found must carry the same
 * build ID: one that does not is refused, with both IDs. 0, -ENOENT when
 * none is there, or HL_EPARSE (a mismatch; err says it). */
static int debug_file(const char *root, const char *path, const char *id, char *out, size_t outsz,
		      char *looked, size_t lookedsz, hl_error_t *err)
{
	char dirs[4][PATH_MAX];
	int n = 0;
	const char *env = getenv("HEAPLAB_DEBUG_DIR");
	struct stat st;
	if (env && *env && stat(env, &st) == 0 && S_ISREG(st.st_mode)) {
		snprintf(out, outsz, "%s", env);
		return same_build(out, id, err);
	}
	if (env && *env)
		snprintf(dirs[n++], sizeof dirs[0], "%s", env);
	if (root && *root)
		snprintf(dirs[n++], sizeof dirs[0], "%s/usr/lib/debug", root);
	char tree[PATH_MAX];
	tree_of(path, tree, sizeof tree);
	if (tree[0] || path[0] == '/')
		snprintf(dirs[n++], sizeof dirs[0], "%s%s/usr/lib/debug", root ? root : "", tree);
	snprintf(dirs[n++], sizeof dirs[0], "/usr/lib/debug");
	size_t used = 0;
	looked[0] = '\0';
	for (int i = 0; i < n; i++) {
		bool dup = false;
		for (int j = 0; j < i; j++)
			dup |= !strcmp(dirs[i], dirs[j]);
		if (dup)
			continue;
		used += (size_t)snprintf(looked + used, used < lookedsz ? lookedsz - used : 0, "%s%s",
					 used ? ", " : "", dirs[i]);
		snprintf(out, outsz, "%s/.build-id/%.2s/%s.debug", dirs[i], id, id + 2);
		if (access(out, R_OK) != 0)
			continue;
		return same_build(out, id, err);
	}
	return -ENOENT;
}

int hl_glibc_file_version(const char *path, char *out, size_t outsz)
{
	static const char lib[] = "GNU C Library ", rel[] = "release version ";
	hl_buf_t b = {0};
	int rc = hl_file_read(path, &b, NULL);
	if (rc) {
		hl_buf_free(&b);
		return rc;
	}
	/* glibc's csu/version.c: "GNU C Library " PKGVERSION RELEASE " release
	 * version " VERSION, then "." (or ", by ..." before 2.26); the package
	 * name in between is the distribution's, a few dozen bytes */
	rc = -ENOENT;
	const char *p = b.data, *end = b.data + b.len;
	while (rc && p && (p = memmem(p, (size_t)(end - p), lib, sizeof lib - 1))) {
		p += sizeof lib - 1;
		size_t span = (size_t)(end - p) < 200 ? (size_t)(end - p) : 200;
		const char *v = memmem(p, span, rel, sizeof rel - 1);
		if (!v || memchr(p, '\0', (size_t)(v - p)))
			continue; /* not the banner: another string mentioning glibc */
		v += sizeof rel - 1;
		size_t n = 0;
		while (v + n < end && ((v[n] >= '0' && v[n] <= '9') || v[n] == '.'))
			n++;
		while (n && v[n - 1] == '.')
			n--;
		if (n >= 3 && memchr(v, '.', n) && n < outsz) {
			memcpy(out, v, n);
			out[n] = '\0';
			rc = 0;
		}
	}
	hl_buf_free(&b);
	return rc;
}

int hl_glibc_layout_for_libc(const char *libc_path, hl_glibc_layout_t *l, hl_error_t *err)
{
	return hl_glibc_layout_for_target(libc_path, "", libc_path, l, err);
}

int hl_glibc_layout_for_target(const char *file, const char *root, const char *libc_path,
			       hl_glibc_layout_t *l, hl_error_t *err)
{
	char id[128] = "", version[16] = "";
	memset(l, 0, sizeof *l);
	int idrc = hl_glibc_build_id(file, id, sizeof id, err);
	if (hl_glibc_file_version(file, version, sizeof version) != 0)
		return hl_error_set(err, -ENOENT,
				    "%s is not glibc (no \"GNU C Library\" banner: musl, or another C "
				    "library): heaplab reads glibc's malloc only; the maps-level view",
				    libc_path);
	/* HEAPLAB_NO_DEBUGINFO=1: behave as on a machine without libc6-dbg
	 * (to see, and test, what the fallback finds) */
	const char *no = getenv("HEAPLAB_NO_DEBUGINFO");
	bool ignore = no && *no && strcmp(no, "0");
	char why[400] = "";
	if (idrc)
		snprintf(why, sizeof why, "%s", err->msg);
	else if (ignore)
		snprintf(why, sizeof why, "debug info ignored (HEAPLAB_NO_DEBUGINFO)");
	else {
		char dbg[PATH_MAX], looked[1024];
		hl_error_t e = {0};
		int drc = debug_file(root, libc_path, id, dbg, sizeof dbg, looked, sizeof looked, &e);
		if (drc == HL_EPARSE)
			return hl_error_set(err, drc, "%s", e.msg);
		if (drc)
			snprintf(why, sizeof why,
				 "no debug info for this libc's build ID %s (looked in %s): "
				 "install its libc6-dbg or give --debug-dir",
				 id, looked);
		else if (hl_glibc_layout_from_debug(dbg, l, &e) == 0) {
			snprintf(l->build_id, sizeof l->build_id, "%s", id);
			hl_glibc_layout_set_version(l, version);
			l->from_debug = true;
			return 0;
		} else
			snprintf(why, sizeof why, "%s", e.msg);
	}
	const builtin_t *b = builtin_for(minor_of(version));
	if (!b) {
		hl_error_set(err, -ENOENT,
			     "glibc %s is not a version heaplab has a layout for (it has %s), "
			     "and %s: only the maps-level view",
			     version[0] ? version : "of unknown version", hl_glibc_layout_known(),
			     why);
		memset(l, 0, sizeof *l);
		snprintf(l->build_id, sizeof l->build_id, "%s", id);
		return -ENOENT;
	}
	hl_glibc_layout_builtin(version, l);
	snprintf(l->build_id, sizeof l->build_id, "%s", id);
	bool same = id[0] && strstr(b->build_id, id);
	size_t n = strlen(l->method);
	snprintf(l->method + n, sizeof l->method - n, ", %s", same ? "this very build" :
		 "chosen by its banner: another build of the version");
	hl_error_set(err, -ENOENT, "%s", why);
	return 1;
}

int hl_glibc_debug_dir(const char *dir, hl_error_t *err)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return hl_error_set(err, -errno, "--debug-dir %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return hl_error_set(err, -EINVAL,
				    "--debug-dir %s: neither a folder (with .build-id/) nor a debug file",
				    dir);
	setenv("HEAPLAB_DEBUG_DIR", dir, 1);
	return 0;
}
