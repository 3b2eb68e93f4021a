/*
 * fuzz_maps.c — libFuzzer target for hl_maps_parse, and for
 * hl_region_classify on what it parses (make fuzz). Seed it with the
 * fixtures: build-fuzz/fuzz_maps tests/fixtures. Besides crashes, leaks and
 * over-reads (libFuzzer's buffer is exact-size, not NUL-terminated), it traps
 * when a contract breaks: an error carries a message and leaves no regions;
 * a success is sorted, disjoint and non-empty; classifying (without peek,
 * and with a fake peek that invents chunk and heap headers) only splits
 * regions, never loses, moves or overlaps an address.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "heaplab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Headers from the address alone: refused, an mmapped chunk's, a
 * heap_info's, or noise, so every branch of the classifier is reached. */
static int fake_peek(void *ctx, uint64_t addr, void *out16)
{
	(void)ctx;
	uint64_t h = addr * 0x9e3779b97f4a7c15ULL, w[2];
	uint64_t in_heap = addr & ((64ULL << 20) - 1);
	switch (h >> 62) {
	case 0: return -EFAULT;
	case 1:
		w[0] = 0;
		w[1] = ((h >> 20) & 0xff) * 4096 | 2;
		break;
	case 2:
		w[0] = in_heap == 0 ? addr + 0x30 : 0x21000;
		w[1] = in_heap == 0 ? (h & 1 ? 0 : addr - (64ULL << 20)) : 0x21000 << (h & 3);
		break;
	default: w[0] = h; w[1] = h >> 7;
	}
	memcpy(out16, w, 16);
	return 0;
}

static void check(const hl_regions_t *r)
{
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].end <= r->v[i].start || (i && r->v[i].start < r->v[i - 1].end) ||
		    r->v[i].cls >= HL_REGION_NCLASSES ||
		    !memchr(r->v[i].path, 0, sizeof r->v[i].path))
			__builtin_trap();
	}
}

/* after covers exactly the addresses before covered */
static void same_cover(const hl_regions_t *before, const hl_regions_t *after)
{
	size_t j = 0;
	for (size_t i = 0; i < before->n; i++) {
		uint64_t pos = before->v[i].start;
		while (pos < before->v[i].end) {
			if (j >= after->n || after->v[j].start != pos)
				__builtin_trap();
			pos = after->v[j++].end;
		}
		if (pos != before->v[i].end)
			__builtin_trap();
	}
	if (j != after->n)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_regions_t r = {0};
	hl_error_t err = {0};
	int rc = hl_maps_parse((const char *)data, size, &r, &err);
	if (rc) {
		if (rc != err.code || !err.msg[0] || r.n)
			__builtin_trap();
		hl_regions_free(&r);
		return 0;
	}
	check(&r);
	for (int with_peek = 0; with_peek < 2; with_peek++) {
		hl_regions_t c = {0};
		c.v = malloc((r.n ? r.n : 1) * sizeof *c.v);
		if (!c.v)
			break;
		if (r.n)
			memcpy(c.v, r.v, r.n * sizeof *c.v);
		c.n = c.cap = r.n;
		hl_region_classify(&c, with_peek ? fake_peek : NULL, NULL);
		check(&c);
		same_cover(&r, &c);
		hl_regions_free(&c);
	}
	hl_regions_free(&r);
	return 0;
}
