/*
 * procfs.c — the I/O that fetches /proc files into a buffer. Parsing lives in
 * status.c, statm.c, maps.c, smaps.c; this file only opens and reads, so the
 * parsers can be fed fixtures. A process that is gone is an ordinary answer
 * (-ESRCH), not a failure of ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "heaplab.h"

int hl_file_read(const char *path, hl_buf_t *out, hl_error_t *err)
{
	hl_buf_reset(out);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return hl_error_set(err, -e, "cannot open %s: %s", path, strerror(e));
	}
	for (;;) {
		int rc = hl_buf_reserve(out, 16384);
		if (rc) {
			close(fd);
			return hl_error_set(err, rc, "cannot read %s: out of memory", path);
		}
		ssize_t n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			/* a process that exits while we read: its files read as ESRCH */
			return hl_error_set(err, -e, "cannot read %s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
	}
	out->data[out->len] = '\0';
	close(fd);
	return 0;
}

int hl_procfs_read(pid_t pid, const char *name, hl_buf_t *out, hl_error_t *err)
{
	char path[64];
	if (pid > 0)
		snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	else
		snprintf(path, sizeof path, "/proc/self/%s", name);
	int rc = hl_file_read(path, out, err);
	if (rc == -ENOENT && pid > 0) {
		char dir[32];
		snprintf(dir, sizeof dir, "/proc/%d", (int)pid);
		if (access(dir, F_OK) != 0)
			return hl_error_set(err, -ESRCH, "process %d does not exist (or has exited)",
					    (int)pid);
	}
	if (rc == -EACCES || rc == -EPERM)
		return hl_error_set(err, rc,
				    "permission denied reading %s: run as the process's owner or "
				    "as root (see /proc/sys/kernel/yama/ptrace_scope)",
				    path);
	return rc;
}

long hl_procfs_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	return ps > 0 ? ps : 4096;
}
