/* fuzz_status.c — libFuzzer target for hl_status_parse, hl_statm_parse and
 * hl_smaps_rollup_parse (make fuzz). */
#include "heaplab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_status_t st;
	hl_statm_t sm;
	hl_rollup_t ru;
	hl_status_parse((const char *)data, size, &st, NULL);
	hl_statm_parse((const char *)data, size, 4096, &sm, NULL);
	hl_smaps_rollup_parse((const char *)data, size, &ru, NULL);
	return 0;
}
