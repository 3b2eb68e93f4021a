/* fuzz_malloc_info.c — libFuzzer target for hl_malloc_info_parse (make fuzz). */
#include "heaplab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_malloc_info_t mi;
	if (hl_malloc_info_parse((const char *)data, size, &mi, NULL) == 0)
		hl_malloc_info_free(&mi);
	return 0;
}
