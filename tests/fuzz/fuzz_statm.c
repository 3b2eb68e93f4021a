/*
 * fuzz_statm.c — libFuzzer target for hl_statm_parse (make fuzz). Seed it
 * with the fixtures: build-fuzz/fuzz_statm tests/fixtures. Traps when the
 * contract breaks: an error carries a message and leaves every figure
 * HL_UNKNOWN; a success gives whole pages in bytes, never negative.
 */
#include "heaplab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_statm_t st;
	hl_error_t err = {0};
	long page_size = size && data[0] & 1 ? 16384 : 4096;
	int rc = hl_statm_parse((const char *)data, size, page_size, &st, &err);
	int64_t f[] = {st.vsz_bytes, st.rss_bytes, st.shared_bytes};
	for (size_t i = 0; i < 3; i++)
		if (rc ? f[i] != HL_UNKNOWN : f[i] < 0 || f[i] % page_size)
			__builtin_trap();
	if (rc && (rc != err.code || !err.msg[0]))
		__builtin_trap();
	return 0;
}
