/*
 * fuzz_samples.c — libFuzzer target for hl_samples_parse (and, sharing the
 * input, hl_phase_msg_parse) (make fuzz). Seed it with a samples.tsv.
 *
 * Besides crashes and leaks, it traps when the parser breaks its contract:
 * an error carries its code and a message and leaves no rows; what parses
 * formats back into a file that parses to the same rows.
 */
#include <string.h>

#include "heaplab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const hl_sample_t *a, const hl_sample_t *b)
{
	return a->t_ms == b->t_ms && a->rss_bytes == b->rss_bytes && a->vsz_bytes == b->vsz_bytes &&
	       a->heap_bytes == b->heap_bytes && a->heap_rss_bytes == b->heap_rss_bytes &&
	       !strcmp(a->phase, b->phase);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_samples_t s = {0}, again = {0};
	hl_error_t err = {0};
	int rc = hl_samples_parse((const char *)data, size, &s, &err);
	if (rc) {
		if (rc != err.code || !err.msg[0] || s.n != 0)
			__builtin_trap();
	} else {
		hl_buf_t b = {0};
		if (hl_buf_append(&b, hl_samples_header, strlen(hl_samples_header)) != 0)
			__builtin_trap();
		for (size_t i = 0; i < s.n; i++)
			if (hl_samples_format_row(&s.v[i], &b) != 0)
				__builtin_trap();
		if (hl_samples_parse(b.data, b.len, &again, &err) != 0 || again.n != s.n)
			__builtin_trap();
		for (size_t i = 0; i < s.n; i++)
			if (!same(&s.v[i], &again.v[i]))
				__builtin_trap();
		hl_buf_free(&b);
	}
	hl_samples_free(&s);
	hl_samples_free(&again);

	/* the phase protocol's parser has no target of its own */
	hl_phase_msg_t m;
	hl_phase_msg_parse((const char *)data, size, &m, NULL);
	return 0;
}
