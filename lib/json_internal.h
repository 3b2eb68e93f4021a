/*
 * json_internal.h — what run_record.c and sweep.c share in writing JSON.
 */
#ifndef HL_JSON_INTERNAL_H
#define HL_JSON_INTERNAL_H

#include <cjson/cJSON.h>

#include "heaplab.h"

/* key: v as an exact integer (%lld, a cJSON raw number), or null when v is
 * HL_UNKNOWN. Defined in run_record.c. */
void hl_json_put_int(cJSON *o, const char *key, int64_t v);

#endif
