/*
 * sampler.c — one sample of a process: RSS and VSZ from /proc/PID/statm,
 * the brk heap's size and resident bytes from /proc/PID/smaps. The I/O is
 * procfs.c's and the parsing statm.c's and smaps.c's; this file only puts
 * them together and keeps the buffers alive between samples.
 *
 * Cost: smaps makes the kernel walk the page tables of every mapping (a
 * 1 GiB heap is 262,144 PTEs), holding the target's mmap lock for reading
 * meanwhile. `make bench` measures what that costs the target.
 */
#include <string.h>

#include "heaplab.h"

void hl_sampler_init(hl_sampler_t *s, pid_t pid)
{
	memset(s, 0, sizeof *s);
	s->pid = pid;
	s->page_size = hl_procfs_page_size();
}

int hl_sampler_take(hl_sampler_t *s, hl_sample_t *out, hl_error_t *err)
{
	memset(out, 0, sizeof *out);
	out->rss_bytes = out->vsz_bytes = out->heap_bytes = out->heap_rss_bytes = HL_UNKNOWN;

	int rc = hl_procfs_read(s->pid, "statm", &s->buf, err);
	if (rc)
		return rc;
	hl_statm_t st;
	rc = hl_statm_parse(s->buf.data, s->buf.len, s->page_size, &st, err);
	if (rc)
		return rc;
	out->rss_bytes = st.rss_bytes;
	out->vsz_bytes = st.vsz_bytes;

	rc = hl_procfs_read(s->pid, "smaps", &s->buf, err);
	if (rc)
		return rc;
	hl_regions_free(&s->regions);
	rc = hl_smaps_parse(s->buf.data, s->buf.len, &s->regions, err);
	if (rc)
		return rc;
	/* A process with no brk heap yet has no [heap] line: its heap is 0. */
	out->heap_bytes = 0;
	out->heap_rss_bytes = 0;
	for (size_t i = 0; i < s->regions.n; i++) {
		const hl_region_t *r = &s->regions.v[i];
		if (strcmp(r->path, "[heap]") == 0) {
			out->heap_bytes = (int64_t)(r->end - r->start);
			out->heap_rss_bytes = r->rss_bytes;
			break;
		}
	}
	return 0;
}

void hl_sampler_free(hl_sampler_t *s)
{
	hl_buf_free(&s->buf);
	hl_regions_free(&s->regions);
}
