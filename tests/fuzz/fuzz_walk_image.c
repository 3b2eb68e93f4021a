/*
 * fuzz_walk_image.c — libFuzzer target for the walker (make fuzz): the input
 * picks a valid synthetic heap (its first 8 bytes seed heap_image.h's
 * hi_random) and then overwrites it, 10 bytes at a time: a place (which
 * segment, which word) and the 8-byte value to put there. Traps when a walk
 * breaks its contract: it must return, with its page classes adding up to
 * each heap's pages, every kept chunk inside a heap, a warning exactly
 * when it is incomplete, and no page read that the image marks absent. The
 * seed's bits 12..13 pick the walk: exact, default, sampled, or one during
 * which pages are released and words rewritten (a changing heap).
 */
#include "heap_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static heap_image_t im;
static uint64_t tick_state;

/* The target runs between the walker's reads: a page released, a word
 * rewritten. */
static void tick(void *ctx)
{
	(void)ctx;
	uint64_t r = hi_rand(&tick_state);
	int a = (int)(r % 2);
	if (r & 2)
		im.absent[a][(r >> 8) % (im.len[a] / HI_PAGE)] = 1;
	else
		hi_put(&im, im.base[a] + 8 * ((r >> 9) % (im.len[a] / 8)), r >> 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t seed = 0;
	memcpy(&seed, data, size < 8 ? size : 8);
	hi_random(&im, seed % 4096);
	for (size_t i = 8; i + 10 <= size; i += 10) {
		uint16_t where;
		uint64_t v, at;
		memcpy(&where, data + i, 2);
		memcpy(&v, data + i + 2, 8);
		switch (where % 4) {
		case 0: at = HI_LIBC + 8 * (where / 4 % (sizeof im.data / 8)); break;
		case 1: at = im.chunk[where / 4 % im.nchunk].addr + 8 * (v >> 62); break;
		case 2: at = HI_HEAP + 8 * (where / 4 % (HI_HEAP_LEN / 8)); break;
		default: at = HI_HEAP2 + 8 * (where / 4 % (HI_HEAP2_LEN / 8)); break;
		}
		hi_put(&im, at, v);
	}
	hl_walk_t w;
	int mode = (int)(seed >> 12) % 4, rc;
	int flags = HL_WALK_CHUNKS | HL_WALK_PAGES;
	if (mode == 3) {
		tick_state = seed | 1;
		im.segs[0] = (hl_peek_seg_t){HI_LIBC, sizeof im.data, im.data, NULL};
		for (int h = 0; h < 2; h++)
			im.segs[1 + h] = (hl_peek_seg_t){im.base[h], im.len[h], im.heap[h], im.absent[h]};
		rc = hl_walk_image_changing(im.segs, 3, &im.l, HI_LIBC, HI_LIBC + 0x1000,
					    flags | HL_WALK_EXACT, tick, NULL, &w, NULL);
	} else {
		flags |= mode == 0 ? HL_WALK_EXACT : mode == 2 ? HL_WALK_SAMPLED : 0;
		rc = hi_walk(&im, flags, &w, NULL);
	}
	if (rc) {
		if (w.narenas || w.nheaps || w.nchunk)
			__builtin_trap();
		return 0;
	}
	if (w.complete != !w.warning[0] || w.absent_reads)
		__builtin_trap();
	for (size_t i = 0; i < w.nheaps; i++) {
		int64_t n = 0;
		for (int k = 0; k < HL_NPAGE_CLASSES; k++)
			n += w.heaps[i].npages[k];
		if (n != (int64_t)((w.heaps[i].end - w.heaps[i].start) / HI_PAGE))
			__builtin_trap();
	}
	for (size_t i = 0; i < w.nchunk; i++) {
		bool in = false;
		for (size_t k = 0; k < w.nheaps; k++)
			in |= w.chunk[i].addr >= w.heaps[k].start &&
			      w.chunk[i].addr + w.chunk[i].size <= w.heaps[k].end;
		if (!in)
			__builtin_trap();
	}
	hl_walk_free(&w);
	return 0;
}
