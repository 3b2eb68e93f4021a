/*
 * glibc_layout.c — where glibc keeps its malloc state and how its structs
 * are laid out, for the walker to read them from outside a process.
 *
 * First choice: libc's own debug information (libc6-dbg), found by the
 * build ID of the libc.so.6 the target has mapped: the symbol table gives
 * the offsets of main_arena and mp_ in libc, the DWARF gives every field
 * offset of struct malloc_state, malloc_par, _heap_info and
 * tcache_perthread_struct. Without debug info: the layout of glibc 2.36 on
 * x86-64 (measured from that DWARF, and checked against it by a test), and
 * main_arena must then be found by a heuristic (walk.c), which the method
 * string says.
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
#include <unistd.h>

#include "heaplab.h"

/* glibc 2.36, x86-64: what the DWARF of Debian's libc6-dbg 2.36 says. */
static const hl_glibc_layout_t builtin_236 = {
	.ms_size = 2200,
	.ms_fastbins = 16,
	.ms_top = 96,
	.ms_last_remainder = 104,
	.ms_bins = 112,
	.ms_binmap = 2144,
	.ms_next = 2160,
	.ms_system_mem = 2184,
	.ms_max_system_mem = 2192,
	.mp_size = 136,
	.mp_trim_threshold = 0,
	.mp_top_pad = 8,
	.mp_mmap_threshold = 16,
	.mp_n_mmaps = 60,
	.mp_no_dyn_threshold = 72,
	.mp_mmapped_mem = 80,
	.mp_sbrk_base = 96,
	.mp_tcache_count = 120,
	.hi_size = 48,
	.hi_ar_ptr = 0,
	.hi_prev = 8,
	.hi_hsize = 16,
	.tcache_size = 640,
	.tcache_entries = 128,
	.nfastbins = 10,
	.nbins = 128,
};

void hl_glibc_layout_builtin(hl_glibc_layout_t *l)
{
	*l = builtin_236;
	l->main_arena_off = l->mp_off = 0;
	snprintf(l->method, sizeof l->method, "builtin glibc 2.36 x86-64 layout (no debug info)");
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
} want_t;

static bool member_offsets(Dwarf_Die *st, want_t *w, size_t nw)
{
	size_t found = 0;
	Dwarf_Die m;
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
			if (!strcmp(name, w[i].member)) {
				*w[i].out = (size_t)off;
				found++;
			}
	} while (dwarf_siblingof(&m, &m) == 0);
	return found == nw;
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

static bool symbol_value(Elf *e, const char *name, uint64_t *value)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; d && i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_OBJECT)
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
	want_t ms[] = {{"fastbinsY", &l->ms_fastbins},   {"top", &l->ms_top},
		       {"last_remainder", &l->ms_last_remainder}, {"bins", &l->ms_bins},
		       {"next", &l->ms_next},             {"system_mem", &l->ms_system_mem},
		       {"max_system_mem", &l->ms_max_system_mem}, {"binmap", &l->ms_binmap}};
	want_t mp[] = {{"trim_threshold", &l->mp_trim_threshold},
		       {"top_pad", &l->mp_top_pad},
		       {"mmap_threshold", &l->mp_mmap_threshold},
		       {"n_mmaps", &l->mp_n_mmaps},
		       {"no_dyn_threshold", &l->mp_no_dyn_threshold},
		       {"mmapped_mem", &l->mp_mmapped_mem},
		       {"sbrk_base", &l->mp_sbrk_base},
		       {"tcache_count", &l->mp_tcache_count}};
	want_t hi[] = {{"ar_ptr", &l->hi_ar_ptr}, {"prev", &l->hi_prev}, {"size", &l->hi_hsize}};
	size_t dummy;
	want_t tc[] = {{"entries", &l->tcache_entries}, {"counts", &dummy}};
	if (!find_struct(dw, "malloc_state", &l->ms_size, ms, 8) ||
	    !find_struct(dw, "malloc_par", &l->mp_size, mp, 8) ||
	    !find_struct(dw, "_heap_info", &l->hi_size, hi, 3) ||
	    !find_struct(dw, "tcache_perthread_struct", &l->tcache_size, tc, 2)) {
		rc = hl_error_set(err, HL_EPARSE,
				  "%s: malloc.c's structs (malloc_state, malloc_par, _heap_info, "
				  "tcache_perthread_struct) not all found",
				  debug_file);
		goto out;
	}
	/* array lengths follow from the offsets: fastbinsY[NFASTBINS] ends at
	 * top, bins[NBINS * 2 - 2] ends at binmap */
	l->nfastbins = (int)((l->ms_top - l->ms_fastbins) / 8);
	l->nbins = (int)((l->ms_binmap - l->ms_bins) / 16 + 1);
	snprintf(l->method, sizeof l->method, "dwarf: %s", debug_file);
out:
	if (dw)
		dwarf_end(dw);
	if (e)
		elf_end(e);
	close(fd);
	return rc;
}

/* The debug file for build ID id: under $HEAPLAB_DEBUG_DIR, under the tree
 * the libc was loaded from (libc_path less its lib/ or usr/lib/ part: the
 * target's root for a libc of its own, as /proc/PID/root makes it, or a
 * glibc unpacked elsewhere, as scripts/glibc.sh does), then the host's
 * /usr/lib/debug. Each is named by the build ID, so any found is this
 * libc's. 0, or -ENOENT. */
static int debug_file(const char *libc_path, const char *id, char *out, size_t outsz)
{
	char dirs[3][PATH_MAX];
	int n = 0;
	const char *env = getenv("HEAPLAB_DEBUG_DIR");
	if (env && *env)
		snprintf(dirs[n++], sizeof dirs[0], "%s", env);
	const char *cut = NULL;
	for (const char *p = libc_path; (p = strstr(p, "/lib")) != NULL; p++)
		if (p[4] == '/' || !strncmp(p + 4, "64/", 3) || !strncmp(p + 4, "32/", 3))
			cut = p; /* the last lib/, lib64/ folder: the libc's own */
	if (cut) {
		size_t len = (size_t)(cut - libc_path);
		if (len >= 4 && !strncmp(cut - 4, "/usr", 4))
			len -= 4;
		snprintf(dirs[n++], sizeof dirs[0], "%.*s/usr/lib/debug", (int)len, libc_path);
	}
	snprintf(dirs[n++], sizeof dirs[0], "/usr/lib/debug");
	for (int i = 0; i < n; i++) {
		snprintf(out, outsz, "%s/.build-id/%.2s/%s.debug", dirs[i], id, id + 2);
		if (access(out, R_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

int hl_glibc_layout_for_libc(const char *libc_path, hl_glibc_layout_t *l, hl_error_t *err)
{
	char id[128];
	int rc = hl_glibc_build_id(libc_path, id, sizeof id, err);
	/* HEAPLAB_NO_DEBUGINFO=1: behave as on a machine without libc6-dbg
	 * (to see, and test, what the fallback finds) */
	const char *no = getenv("HEAPLAB_NO_DEBUGINFO");
	if (rc == 0 && no && *no && strcmp(no, "0")) {
		hl_error_set(err, -ENOENT, "debug info ignored (HEAPLAB_NO_DEBUGINFO)");
		rc = 1;
	}
	if (rc == 0) {
		char dbg[PATH_MAX];
		if (debug_file(libc_path, id, dbg, sizeof dbg) != 0)
			hl_error_set(err, -ENOENT,
				     "no debug info for this libc (build ID %s, looked for in "
				     "$HEAPLAB_DEBUG_DIR, the tree the libc was loaded from and "
				     "/usr/lib/debug): install libc6-dbg",
				     id);
		else if (hl_glibc_layout_from_debug(dbg, l, err) == 0) {
			snprintf(l->build_id, sizeof l->build_id, "%s", id);
			l->from_debug = true;
			return 0;
		}
	}
	hl_glibc_layout_builtin(l);
	if (rc >= 0)
		snprintf(l->build_id, sizeof l->build_id, "%s", id);
	return 1;
}
