/*
 * status.c — parses /proc/PID/status: the command name, VmSize, VmRSS,
 * RssAnon, RssFile, VmSwap (kB there, bytes here) and Threads. Every line is
 * "Key:<tab>value" (the field form smaps.c parses); keys it does not use are
 * skipped, so a kernel that adds keys still parses. A field that is absent
 * stays HL_UNKNOWN (kernel threads have no Vm* lines at all). Reading the
 * file is procfs.c's business.
 */
#include <string.h>

#include "maps_internal.h"

int hl_status_parse(const char *buf, size_t len, hl_status_t *out, hl_error_t *err)
{
	memset(out, 0, sizeof *out);
	out->vm_size_bytes = out->vm_rss_bytes = out->rss_anon_bytes = HL_UNKNOWN;
	out->rss_file_bytes = out->vm_swap_bytes = out->threads = HL_UNKNOWN;
	static const struct {
		const char *key;
		size_t off;
		const char *unit;
		int64_t mul;
	} fields[] = {
	    {"VmSize", offsetof(hl_status_t, vm_size_bytes), "kB", 1024},
	    {"VmRSS", offsetof(hl_status_t, vm_rss_bytes), "kB", 1024},
	    {"RssAnon", offsetof(hl_status_t, rss_anon_bytes), "kB", 1024},
	    {"RssFile", offsetof(hl_status_t, rss_file_bytes), "kB", 1024},
	    {"VmSwap", offsetof(hl_status_t, vm_swap_bytes), "kB", 1024},
	    {"Threads", offsetof(hl_status_t, threads), "", 1},
	};
	hl_status_t st = *out; /* filled here, copied out only when whole */
	if (len && buf[len - 1] != '\n')
		return hl_error_set(
		    err, HL_EPARSE,
		    "status: cut short: the last line has no newline (a truncated read?)");
	bool named = false;
	const char *p = buf, *end = buf + len;
	size_t lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)); /* found: buf ends in '\n' */
		const char *key, *val;
		size_t keylen, vallen;
		lineno++;
		if (!hl_smaps_field(p, (size_t)(nl - p), &key, &keylen, &val, &vallen))
			return hl_error_set(err, HL_EPARSE,
					    "status: line %zu is not \"Key: value\"", lineno);
		if (hl_smaps_key_is(key, keylen, "Name")) {
			/* at most 15 chars (TASK_COMM_LEN); the kernel escapes '\n' */
			size_t n = vallen < sizeof st.name ? vallen : sizeof st.name - 1;
			memcpy(st.name, val, n);
			st.name[n] = '\0';
			named = true;
		}
		for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
			if (hl_smaps_key_is(key, keylen, fields[i].key) &&
			    !hl_smaps_value(val, vallen, fields[i].unit, fields[i].mul,
					    (int64_t *)((char *)&st + fields[i].off)))
				return hl_error_set(
				    err, HL_EPARSE, "status: line %zu: %s is not \"N%s%s\"", lineno,
				    fields[i].key, fields[i].unit[0] ? " " : "", fields[i].unit);
		p = nl + 1;
	}
	if (!named)
		return hl_error_set(err, HL_EPARSE,
				    "status: no Name: line (not a /proc/PID/status file?)");
	*out = st;
	return 0;
}
