/*
 * status.c — parses /proc/PID/status: the command name, VmSize, VmRSS,
 * RssAnon, RssFile, VmSwap (kB there, bytes here) and Threads. Lines it does
 * not know are skipped; a field that is absent stays HL_UNKNOWN (kernel
 * threads have no Vm* lines at all).
 */
#include <string.h>

#include "heaplab.h"

/* "  1234 kB" -> bytes; false if not a number. */
static bool parse_num(const char *p, const char *end, int64_t mul, int64_t *out)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return false;
	int64_t v = 0;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > INT64_MAX / 10 / mul)
			return false;
		v = v * 10 + (*p++ - '0');
	}
	*out = v * mul;
	return true;
}

int hl_status_parse(const char *buf, size_t len, hl_status_t *out, hl_error_t *err)
{
	memset(out, 0, sizeof *out);
	out->vm_size_bytes = out->vm_rss_bytes = out->rss_anon_bytes = HL_UNKNOWN;
	out->rss_file_bytes = out->vm_swap_bytes = out->threads = HL_UNKNOWN;
	static const struct {
		const char *key;
		size_t off;
		int64_t mul;
	} fields[] = {
		{"VmSize:", offsetof(hl_status_t, vm_size_bytes), 1024},
		{"VmRSS:", offsetof(hl_status_t, vm_rss_bytes), 1024},
		{"RssAnon:", offsetof(hl_status_t, rss_anon_bytes), 1024},
		{"RssFile:", offsetof(hl_status_t, rss_file_bytes), 1024},
		{"VmSwap:", offsetof(hl_status_t, vm_swap_bytes), 1024},
		{"Threads:", offsetof(hl_status_t, threads), 1},
	};
	bool any = false;
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);
		if (n > 5 && !strncmp(p, "Name:", 5)) {
			const char *v = p + 5;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			size_t vn = (size_t)(eol - v);
			if (vn >= sizeof out->name)
				vn = sizeof out->name - 1;
			memcpy(out->name, v, vn);
			out->name[vn] = '\0';
			any = true;
		}
		for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
			size_t kl = strlen(fields[i].key);
			if (n > kl && !strncmp(p, fields[i].key, kl)) {
				int64_t *dst = (int64_t *)((char *)out + fields[i].off);
				if (!parse_num(p + kl, eol, fields[i].mul, dst))
					return hl_error_set(err, HL_EPARSE, "status: bad value for %s",
							    fields[i].key);
				any = true;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (!any)
		return hl_error_set(err, HL_EPARSE, "status: no Name: or Vm* lines (not a "
						    "/proc/PID/status file?)");
	return 0;
}
