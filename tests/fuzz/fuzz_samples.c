/* fuzz_samples.c — libFuzzer target for hl_samples_parse and
 * hl_phase_msg_parse (make fuzz). */
#include "heaplab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_samples_t s = {0};
	hl_samples_parse((const char *)data, size, &s, NULL);
	hl_samples_free(&s);
	hl_phase_msg_t m;
	hl_phase_msg_parse((const char *)data, size, &m, NULL);
	return 0;
}
