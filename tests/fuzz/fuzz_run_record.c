/*
 * fuzz_run_record.c — libFuzzer target for hl_run_from_json (make fuzz).
 * Seed it with a real record: build-fuzz/fuzz_run_record results/.../run.json
 * (or any run directory's run.json copied into a corpus directory).
 *
 * Besides crashes and leaks, it traps when the reader breaks its contract:
 * an error must carry its code and a message and leave the run empty; what
 * is read must be written again, and after one trip through the writer the
 * text is a fixed point (to_json(from_json(text)) == text). One trip first,
 * because the writer normalises: names cut to their fields, bad UTF-8 as
 * U+FFFD, numbers beyond 2^53 rounded to doubles, NaN as null.
 */
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void empty_or_trap(const hl_run_t *r)
{
	if (r->phases || r->nphases || r->params || r->nparams || r->experiment[0])
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_run_t r1, r2;
	hl_error_t err = {0};
	int rc = hl_run_from_json((const char *)data, size, &r1, &err);
	if (rc) {
		if (rc != err.code || !err.msg[0] || (rc != HL_EPARSE && rc != HL_ESCHEMA))
			__builtin_trap();
		empty_or_trap(&r1);
		hl_run_free(&r1);
		return 0;
	}
	hl_buf_t t1 = {0}, t2 = {0};
	if (hl_run_to_json(&r1, &t1, NULL) != 0)
		__builtin_trap();
	if (hl_run_from_json(t1.data, t1.len, &r2, &err) != 0)
		__builtin_trap(); /* it wrote what it cannot read */
	if (hl_run_to_json(&r2, &t2, NULL) != 0)
		__builtin_trap();
	hl_run_free(&r2);
	if (hl_run_from_json(t2.data, t2.len, &r2, &err) != 0)
		__builtin_trap();
	hl_buf_t t3 = {0};
	if (hl_run_to_json(&r2, &t3, NULL) != 0 || t3.len != t2.len ||
	    memcmp(t3.data, t2.data, t2.len) != 0)
		__builtin_trap(); /* not a fixed point */
	hl_buf_free(&t1);
	hl_buf_free(&t2);
	hl_buf_free(&t3);
	hl_run_free(&r1);
	hl_run_free(&r2);
	return 0;
}
