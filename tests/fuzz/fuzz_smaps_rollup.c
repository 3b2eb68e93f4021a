/*
 * fuzz_smaps_rollup.c — libFuzzer target for hl_smaps_rollup_parse (make
 * fuzz). Seed it with the fixtures: build-fuzz/fuzz_smaps_rollup
 * tests/fixtures. Traps when the contract breaks: an error carries a message
 * and leaves every figure HL_UNKNOWN; a success has Rss, and figures that
 * are whole kB or unknown.
 */
#include "heaplab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_rollup_t ru;
	hl_error_t err = {0};
	int rc = hl_smaps_rollup_parse((const char *)data, size, &ru, &err);
	int64_t f[] = {ru.rss_bytes, ru.pss_bytes, ru.anonymous_bytes, ru.swap_bytes,
		       ru.private_dirty_bytes};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (rc ? f[i] != HL_UNKNOWN : f[i] < HL_UNKNOWN || (f[i] >= 0 && f[i] % 1024))
			__builtin_trap();
	if (rc ? rc != err.code || !err.msg[0] : ru.rss_bytes < 0)
		__builtin_trap();
	return 0;
}
