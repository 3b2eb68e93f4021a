/*
 * sysinfo.c — what a run record says about the machine: glibc's version and
 * the kernel's release. Nothing about processes.
 */
#include <gnu/libc-version.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <errno.h>

#include "heaplab.h"

const char *hl_sysinfo_glibc(void)
{
	return gnu_get_libc_version();
}

int hl_sysinfo_kernel(char *out, size_t outsz)
{
	struct utsname u;
	if (uname(&u) != 0) {
		snprintf(out, outsz, "unknown");
		return -errno;
	}
	snprintf(out, outsz, "%s", u.release);
	return 0;
}
