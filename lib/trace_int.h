/*
 * trace_int.h — what lib/trace*.c share and nothing else needs: the map
 * from pointer to index (ptrmap.c).
 */
#ifndef HL_TRACE_INT_H
#define HL_TRACE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

typedef struct pmap {
	uint64_t *key;
	size_t *val;
	size_t cap, n;
} pmap_t;

/* 0, or -ENOMEM (the map is as it was). */
int hl_pm_put(pmap_t *m, uint64_t k, size_t v);
bool hl_pm_get(const pmap_t *m, uint64_t k, size_t *v);
void hl_pm_del(pmap_t *m, uint64_t k);
void hl_pm_free(pmap_t *m);
/* Makes room for need elements of elem bytes in *v (capacity *cap,
 * doubling): 0, or -ENOMEM (the array is as it was). */
int hl_grow(void **v, size_t *cap, size_t need, size_t elem);

/* One record's payload [q, qe) of kind into t (trace.c): what the reader
 * and the family's scan both decode. EVENTS with q NULL only marks that a
 * record came (after an exec's END: the exec failed). 0, or -1 when it
 * does not decode. */
int hl_trace_record(hl_trace_t *t, int kind, const uint8_t *q, const uint8_t *qe);
/* One STACK or MODULE record's payload into t (trace.c): 0, or -1 when it
 * does not decode. */
int hl_trace_stack_rec(hl_trace_t *t, const uint8_t *p, const uint8_t *end);
int hl_trace_module_rec(hl_trace_t *t, const uint8_t *p, const uint8_t *end);

#endif
