/* fuzz_maps.c — libFuzzer target for hl_maps_parse (make fuzz). */
#include "heaplab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_regions_t r = {0};
	hl_error_t err;
	if (hl_maps_parse((const char *)data, size, &r, &err) == 0)
		hl_region_classify(&r, NULL, NULL);
	hl_regions_free(&r);
	return 0;
}
