/*
 * allocator.c — the allocators `heaplab run --allocator` can put in front of
 * glibc's (by LD_PRELOAD of the Debian libraries), and the form of a glibc
 * tunable. It does not run anything.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static const allocator_t allocators[] = {
	{"glibc", NULL, NULL},
	{"jemalloc", "libjemalloc.so.2", "libjemalloc2"},
	{"tcmalloc", "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4"},
	{"mimalloc", "libmimalloc.so.2", "libmimalloc2.0"},
};

const allocator_t *allocator_find(const char *name, char *lib, size_t libsz, hl_error_t *err)
{
	lib[0] = '\0';
	for (size_t i = 0; i < sizeof allocators / sizeof allocators[0]; i++) {
		const allocator_t *a = &allocators[i];
		if (strcmp(a->name, name))
			continue;
		if (!a->soname)
			return a;
		/* HEAPLAB_ALLOCATOR_DIR: where to look instead (tests use it) */
		const char *only = getenv("HEAPLAB_ALLOCATOR_DIR");
		static const char *const dirs[] = {"/usr/lib/x86_64-linux-gnu",
						   "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
						   "/usr/lib"};
		size_t ndirs = only ? 1 : sizeof dirs / sizeof dirs[0];
		for (size_t d = 0; d < ndirs; d++) {
			snprintf(lib, libsz, "%s/%s", only ? only : dirs[d], a->soname);
			if (access(lib, R_OK) == 0)
				return a;
		}
		lib[0] = '\0';
		hl_error_set(err, -ENOENT,
			     "allocator '%s' is not installed (%s not found): apt-get install %s "
			     "(or make deps as root)",
			     a->name, a->soname, a->package);
		return NULL;
	}
	hl_error_set(err, -EINVAL, "unknown allocator '%s': choose glibc, jemalloc, tcmalloc or mimalloc",
		     name);
	return NULL;
}

bool allocator_valid_tunable(const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv || !eq[1] || strncmp(kv, "glibc.", 6) != 0)
		return false;
	for (const char *p = kv; p < eq; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'))
			return false;
	for (const char *p = eq + 1; *p; p++)
		if (*p == ':' || *p == '=' || *p == ' ' || *p == ',')
			return false;
	return true;
}
