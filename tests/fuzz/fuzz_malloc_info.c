/*
 * fuzz_malloc_info.c — libFuzzer target for hl_malloc_info_parse (make fuzz).
 * Seed it with the fixtures: build-fuzz/fuzz_malloc_info tests/fixtures.
 * Besides crashes and leaks, it traps when the parser breaks its contract:
 * an error must carry a message and leave the output empty; a success has
 * at least one arena, each with its bins.
 */
#include "heaplab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_malloc_info_t mi;
	hl_error_t err = {0};
	int rc = hl_malloc_info_parse((const char *)data, size, &mi, &err);
	if (rc) {
		if (rc != err.code || !err.msg[0] || mi.arenas || mi.narenas)
			__builtin_trap();
		return 0;
	}
	if (!mi.narenas)
		__builtin_trap();
	for (size_t i = 0; i < mi.narenas; i++)
		if (mi.arenas[i].nbins && !mi.arenas[i].bins)
			__builtin_trap();
	hl_malloc_info_free(&mi);
	return 0;
}
