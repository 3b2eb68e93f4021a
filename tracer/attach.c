/*
 * attach.c — the recorder loaded into a running process (heaplab trace
 * --pid, which makes the process call dlopen and then heaplab_trace_attach
 * through ptrace). LD_PRELOAD's interposition is not there to be had: the
 * process's modules are bound to libc's malloc already. So the attach
 * writes the hooks' addresses into every module's GOT slots for malloc,
 * free and the rest (the R_X86_64_JUMP_SLOT and R_X86_64_GLOB_DAT
 * relocations of those symbols, libc's own among them: glibc calls malloc
 * and free through its GOT so that they can be interposed), and the detach
 * writes the old addresses back. The library stays loaded: a second attach
 * finds it and starts a new trace.
 *
 * What it cannot see: calls made before the attach (a free of such a block
 * is one the reader counts apart), calls through a function pointer taken
 * before it, and calls into malloc from ld.so itself.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "recorder.h"

extern __typeof(malloc) hook_malloc;
extern __typeof(free) hook_free;
extern __typeof(calloc) hook_calloc;
extern __typeof(realloc) hook_realloc;
extern __typeof(reallocarray) hook_reallocarray;
extern __typeof(memalign) hook_memalign;
extern __typeof(aligned_alloc) hook_aligned_alloc;
extern __typeof(posix_memalign) hook_posix_memalign;
extern __typeof(valloc) hook_valloc;
extern __typeof(pvalloc) hook_pvalloc;
extern __typeof(malloc_trim) hook_malloc_trim;
extern __typeof(_exit) hook__exit;
extern __typeof(_Exit) hook__Exit;
extern __typeof(execve) hook_execve;
extern __typeof(execvpe) hook_execvpe;
extern __typeof(execv) hook_execv;
extern __typeof(execvp) hook_execvp;
extern __typeof(fexecve) hook_fexecve;
extern __typeof(execveat) hook_execveat;
extern __typeof(execl) hook_execl;
extern __typeof(execlp) hook_execlp;
extern __typeof(execle) hook_execle;

static const struct {
	const char *name;
	void *fn;
} hooks[] = {
	{"malloc", (void *)hook_malloc},
	{"free", (void *)hook_free},
	{"calloc", (void *)hook_calloc},
	{"realloc", (void *)hook_realloc},
	{"reallocarray", (void *)hook_reallocarray},
	{"memalign", (void *)hook_memalign},
	{"aligned_alloc", (void *)hook_aligned_alloc},
	{"posix_memalign", (void *)hook_posix_memalign},
	{"valloc", (void *)hook_valloc},
	{"pvalloc", (void *)hook_pvalloc},
	{"malloc_trim", (void *)hook_malloc_trim},
	{"_exit", (void *)hook__exit},
	{"_Exit", (void *)hook__Exit},
	{"execve", (void *)hook_execve},
	{"execvpe", (void *)hook_execvpe},
	{"execv", (void *)hook_execv},
	{"execvp", (void *)hook_execvp},
	{"fexecve", (void *)hook_fexecve},
	{"execveat", (void *)hook_execveat},
	{"execl", (void *)hook_execl},
	{"execlp", (void *)hook_execlp},
	{"execle", (void *)hook_execle},
};
#define NHOOKS (sizeof hooks / sizeof hooks[0])

/* The GOT slots written, with what they held, to be put back. */
#define MAX_SLOTS 4096
static struct {
	void **slot;
	void *old;
	bool ro; /* in a RELRO segment: mprotect'ed to be written */
} patched[MAX_SLOTS];
static size_t npatched;

static int hook_of(const char *name)
{
	for (size_t i = 0; i < NHOOKS; i++)
		if (!strcmp(hooks[i].name, name))
			return (int)i;
	return -1;
}

static void slot_write(void **slot, void *v, bool ro)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t p = (uintptr_t)slot & ~(uintptr_t)(page - 1);
	if (ro)
		mprotect((void *)p, (size_t)page, PROT_READ | PROT_WRITE);
	__atomic_store_n(slot, v, __ATOMIC_SEQ_CST);
	if (ro)
		mprotect((void *)p, (size_t)page, PROT_READ);
}

/* A d_ptr as ld.so left it: adjusted by the load bias on x86-64, but read
 * whole so an unadjusted one is made absolute. */
static uintptr_t dyn_addr(uintptr_t v, uintptr_t base)
{
	return v < base ? v + base : v;
}

static void patch_relocs(const ElfW(Rela) *r, size_t n, const ElfW(Sym) *syms, const char *strs,
			 uintptr_t base, uintptr_t relro_lo, uintptr_t relro_hi)
{
	for (size_t i = 0; i < n && npatched < MAX_SLOTS; i++) {
		unsigned type = ELF64_R_TYPE(r[i].r_info);
		if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT)
			continue;
		const ElfW(Sym) *s = &syms[ELF64_R_SYM(r[i].r_info)];
		int h = hook_of(strs + s->st_name);
		if (h < 0)
			continue;
		void **slot = (void **)(base + r[i].r_offset);
		bool ro = (uintptr_t)slot >= relro_lo && (uintptr_t)slot < relro_hi;
		patched[npatched].slot = slot;
		patched[npatched].old = *slot;
		patched[npatched].ro = ro;
		npatched++;
		slot_write(slot, hooks[h].fn, ro);
	}
}

static int patch_module(struct dl_phdr_info *info, size_t size, void *self)
{
	(void)size;
	if (info->dlpi_addr == (uintptr_t)self || !info->dlpi_name ||
	    strstr(info->dlpi_name, "linux-vdso"))
		return 0;
	const ElfW(Dyn) *dyn = NULL;
	uintptr_t base = info->dlpi_addr, relro_lo = 0, relro_hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(base + ph->p_vaddr);
		if (ph->p_type == PT_GNU_RELRO) {
			relro_lo = base + ph->p_vaddr;
			relro_hi = relro_lo + ph->p_memsz;
		}
	}
	if (!dyn)
		return 0;
	const ElfW(Sym) *syms = NULL;
	const char *strs = NULL;
	const ElfW(Rela) *jmprel = NULL, *rela = NULL;
	size_t njmp = 0, nrela = 0;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB: syms = (const ElfW(Sym) *)dyn_addr(dyn->d_un.d_ptr, base); break;
		case DT_STRTAB: strs = (const char *)dyn_addr(dyn->d_un.d_ptr, base); break;
		case DT_JMPREL: jmprel = (const ElfW(Rela) *)dyn_addr(dyn->d_un.d_ptr, base); break;
		case DT_PLTRELSZ: njmp = dyn->d_un.d_val / sizeof(ElfW(Rela)); break;
		case DT_RELA: rela = (const ElfW(Rela) *)dyn_addr(dyn->d_un.d_ptr, base); break;
		case DT_RELASZ: nrela = dyn->d_un.d_val / sizeof(ElfW(Rela)); break;
		}
	}
	if (!syms || !strs)
		return 0;
	if (jmprel)
		patch_relocs(jmprel, njmp, syms, strs, base, relro_lo, relro_hi);
	if (rela)
		patch_relocs(rela, nrela, syms, strs, base, relro_lo, relro_hi);
	return 0;
}

static uintptr_t own_base(void)
{
	Dl_info di;
	if (!dladdr((void *)own_base, &di))
		return 0;
	/* dli_fbase is the load address; dlpi_addr the bias: the same for a
	 * shared object whose first segment is at 0 */
	return (uintptr_t)di.dli_fbase;
}

/* "KEY=VALUE\n" lines: file, depth, unwind, family. */
static const char *conf(const char *c, const char *key, char *out, size_t outsz)
{
	size_t k = strlen(key);
	for (const char *p = c; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, key, k) && p[k] == '=') {
			const char *v = p + k + 1, *e = strchr(v, '\n');
			size_t n = e ? (size_t)(e - v) : strlen(v);
			if (n >= outsz)
				return NULL;
			memcpy(out, v, n);
			out[n] = '\0';
			return out;
		}
	}
	return NULL;
}

/* Starts a trace into the (empty) file the config names. 0, or a negative
 * errno: -EBUSY when a trace is being recorded already. */
EXPORT int heaplab_trace_attach(const char *config)
{
	if (atomic_load(&g.state) == 1)
		return -EBUSY;
	char v[4096];
	if (!conf(config, "file", g.path, sizeof g.path))
		return -EINVAL;
	g.depth = conf(config, "depth", v, sizeof v) ? atoi(v) : 8;
	g.depth = g.depth < 0 ? 0 : g.depth > MAX_DEPTH ? MAX_DEPTH : g.depth;
	g.family = conf(config, "family", v, sizeof v) ? strtoull(v, NULL, 16) : 0;
	g.fork_child = true;
	g.attached = true;
	in_hook++;
	if (conf(config, "unwind", v, sizeof v) && !strcmp(v, "libunwind") && !g.unwind)
		unwind_load();
	table_reset();
	/* buffers of an earlier attach: closed at its detach, reused */
	uint32_t n = atomic_load(&g.nthreads);
	for (uint32_t i = 0; i < n && i < MAX_THREADS; i++) {
		tbuf_t *t = g.threads[i];
		if (!t)
			continue;
		tbuf_reset(t);
		int closed = BUF_CLOSED;
		atomic_compare_exchange_strong(&t->busy, &closed, BUF_FREE);
	}
	process_hooks();
	int rc = open_trace(g.path, HLT_PROC_ATTACH) ? -(errno ? errno : EIO) : 0;
	if (!rc) {
		atomic_store(&g.events, 0);
		atomic_store(&g.last_rss_ns, mono_ns());
		atomic_store(&g.state, 1);
		npatched = 0;
		dl_iterate_phdr(patch_module, (void *)own_base());
	}
	in_hook--;
	return rc;
}

/* Puts the GOTs back, writes every buffer and the END record, and closes
 * the trace; the process goes on as it was. The events written. */
EXPORT long heaplab_trace_detach(void)
{
	for (size_t i = npatched; i-- > 0;)
		slot_write(patched[i].slot, patched[i].old, patched[i].ro);
	npatched = 0;
	finish(HLT_END_DETACH);
	long events = (long)atomic_load(&g.events);
	in_hook++;
	if (g.fd >= 0)
		close(g.fd);
	g.fd = -1;
	uint32_t n = atomic_load(&g.nthreads);
	for (uint32_t i = 0; i < n && i < MAX_THREADS; i++)
		if (g.threads[i])
			madvise(g.threads[i]->data, BUF_SIZE, MADV_DONTNEED);
	in_hook--;
	return events;
}

/* How many GOT slots the attach wrote (heaplab reports it). */
EXPORT long heaplab_trace_hooked(void)
{
	return (long)npatched;
}
