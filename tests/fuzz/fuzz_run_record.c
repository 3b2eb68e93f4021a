/* fuzz_run_record.c — libFuzzer target for hl_run_from_json; what parses
 * must also write back (make fuzz). */
#include "heaplab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_run_t run;
	if (hl_run_from_json((const char *)data, size, &run, NULL) == 0) {
		hl_buf_t b = {0};
		hl_run_to_json(&run, &b, NULL);
		hl_buf_free(&b);
		hl_run_free(&run);
	}
	return 0;
}
