/*
 * procfs.c — the I/O that fetches /proc files into a buffer. Parsing lives in
 * status.c, statm.c, maps.c, smaps.c; this file only opens and reads, so the
 * parsers can be fed fixtures. A process that is gone is an ordinary answer
 * (-ESRCH), not a failure of ours.
 */
#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "heaplab.h"

int hl_file_write(const char *dir, const char *name, const void *data, size_t len, bool fresh,
		  hl_error_t *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (fresh ? O_EXCL : O_TRUNC), 0644);
	if (fd < 0) {
		int e = errno;
		return hl_error_set(err, -e, "cannot create %s: %s", path, strerror(e));
	}
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			return hl_error_set(err, -e, "cannot write %s: %s", path, strerror(e));
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd)) {
		int e = errno;
		return hl_error_set(err, -e, "cannot write %s: %s", path, strerror(e));
	}
	return 0;
}

/* Larger files are refused: heaplab's own records and /proc files are far
 * smaller; a trace of a billion calls is about 7 GB. */
#define FILE_READ_MAX (8LL << 30)

int hl_file_read(const char *path, hl_buf_t *out, hl_error_t *err)
{
	hl_buf_reset(out);
	/* O_NONBLOCK: a FIFO put where a file should be must not hang the open */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		return hl_error_set(err, -e, "cannot open %s: %s", path, strerror(e));
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		return hl_error_set(err, -EINVAL, "cannot read %s: not a regular file", path);
	}
	if (fstat(fd, &st) == 0 && st.st_size > FILE_READ_MAX) {
		close(fd);
		return hl_error_set(err, -EFBIG, "cannot read %s: %lld bytes, more than heaplab reads "
						 "whole (%lld)",
				    path, (long long)st.st_size, FILE_READ_MAX);
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	for (;;) {
		if ((long long)out->len > FILE_READ_MAX) {
			close(fd);
			return hl_error_set(err, -EFBIG, "cannot read %s: more than %lld bytes", path,
					    FILE_READ_MAX);
		}
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

int hl_proc_mapped_file(pid_t pid, uint64_t start, uint64_t end, const char *path, char *out,
			size_t outsz)
{
	snprintf(out, outsz, "/proc/%d/map_files/%llx-%llx", (int)pid, (unsigned long long)start,
		 (unsigned long long)end);
	int fd = open(out, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	size_t len = strlen(path), dl = strlen(" (deleted)");
	if (path[0] != '/' || (len > dl && !strcmp(path + len - dl, " (deleted)")))
		return -ENOENT;
	snprintf(out, outsz, "/proc/%d/root%s", (int)pid, path);
	return access(out, R_OK) == 0 ? 0 : -ENOENT;
}
