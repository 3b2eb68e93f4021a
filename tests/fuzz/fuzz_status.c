/*
 * fuzz_status.c — libFuzzer target for hl_status_parse (make fuzz). Seed it
 * with the fixtures: build-fuzz/fuzz_status tests/fixtures. Traps when the
 * contract breaks: an error carries a message and leaves every figure
 * HL_UNKNOWN and no name; a success has a name and figures >= 0 or unknown.
 */
#include <string.h>

#include "heaplab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_status_t st;
	hl_error_t err = {0};
	int rc = hl_status_parse((const char *)data, size, &st, &err);
	int64_t f[] = {st.vm_size_bytes,  st.vm_rss_bytes,  st.rss_anon_bytes,
		       st.rss_file_bytes, st.vm_swap_bytes, st.threads};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (rc ? f[i] != HL_UNKNOWN : f[i] < HL_UNKNOWN)
			__builtin_trap();
	if (rc && (rc != err.code || !err.msg[0] || st.name[0]))
		__builtin_trap();
	if (!memchr(st.name, 0, sizeof st.name))
		__builtin_trap();
	return 0;
}
