/*
 * fuzz_smaps.c — libFuzzer target for hl_smaps_parse (make fuzz). Seed it
 * with the fixtures: build-fuzz/fuzz_smaps tests/fixtures. Traps when the
 * contract breaks: an error carries a message and leaves no regions; a
 * success is sorted and disjoint, with every figure a byte count >= 0 or
 * HL_UNKNOWN. Classifying what it parsed must not break that either.
 */
#include "heaplab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_regions_t r = {0};
	hl_error_t err = {0};
	int rc = hl_smaps_parse((const char *)data, size, &r, &err);
	if (rc) {
		if (rc != err.code || !err.msg[0] || r.n)
			__builtin_trap();
		hl_regions_free(&r);
		return 0;
	}
	hl_region_classify(&r, NULL, NULL);
	for (size_t i = 0; i < r.n; i++) {
		const hl_region_t *v = &r.v[i];
		if (v->end <= v->start || (i && v->start < r.v[i - 1].end) ||
		    v->rss_bytes < HL_UNKNOWN || v->swap_bytes < HL_UNKNOWN ||
		    v->anonymous_bytes < HL_UNKNOWN || v->private_dirty_bytes < HL_UNKNOWN ||
		    (v->rss_bytes >= 0 && v->rss_bytes % 1024))
			__builtin_trap();
	}
	hl_regions_free(&r);
	return 0;
}
