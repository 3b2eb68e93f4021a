/*
 * walk_int.h — what the parts of the walker share (walk.c, walk_lists.c,
 * walk_runs.c, walk_tcache.c): the walker's state and the chunks it knows.
 * Not part of libheaplab's interface.
 */
#ifndef HL_WALK_INT_H
#define HL_WALK_INT_H

#include "heaplab.h"

#define HEAP_MAX (64ULL << 20)
#define CHUNK_HDR 16
#define MINSIZE 32
#define MAX_LIST 10000000
#define MAX_CHUNKS 100000000

/* A chunk the walk knows: every free one (from the lists), top, malloc's
 * own, and with HL_WALK_EXACT the in-use ones too. */
typedef struct wchunk {
	uint64_t addr;
	uint64_t size; /* chunksize: flags masked */
	uint32_t heap; /* index into out->heaps */
	uint8_t cls;   /* hl_chunk_class_t */
} wchunk_t;

/* A tcache_perthread_struct: its chunk address. */
typedef struct wtcache {
	uint64_t chunk;
	uint64_t size; /* its chunk size */
	uint8_t *body; /* its tcache_size bytes from chunk + 16, as read */
	uint8_t how;   /* WT_*: how it was found */
} wtcache_t;

enum { WT_HEAP_START, WT_TLS, WT_SHAPE };

typedef struct walker {
	hl_peek_t pk;
	hl_pmap_t pm;
	hl_glibc_layout_t l;
	hl_walk_t *out;
	int flags; /* HL_WALK_* */
	uint8_t **ms;      /* each arena's malloc_state, as read (out->arenas order) */
	uint64_t *first;   /* each heap's first chunk */
	uint64_t *heap_end; /* and where its chunks end (exactly) */
	wchunk_t *chunks;
	size_t nchunks, capchunks;
	wtcache_t *tc;
	size_t ntc;
	const hl_regions_t *maps; /* the process's mappings; NULL for an image */
	uint64_t rng;             /* the walk's own generator (scans, samples) */
} walker_t;

void walk_warn(walker_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int walk_push(walker_t *w, uint64_t addr, uint64_t size, uint32_t heap, uint8_t cls);
/* The heap holding [addr, addr + len), or -1. */
long walk_heap_of(const walker_t *w, uint64_t addr, uint64_t len);
uint64_t walk_rand(walker_t *w);

/* walk_nodes.c: the nodes the list walker has read, by address. A node
 * keeps the chunk's size with its state in bits 0-1 and "read ahead, not
 * asked for by a list" in bit 2 (bit 3, which a sane size never has, is
 * kept), then fd and bk; an empty slot has addr 0. */
enum { NODE_PENDING = 1, NODE_READ, NODE_BAD };

typedef struct node {
	uint64_t addr;
	uint64_t w[3];
} node_t;

typedef struct nodes {
	node_t *v;
	size_t cap, used;
} nodes_t;

/* Room for more new entries without moving any (pointers stay valid). */
int nodes_reserve(nodes_t *m, size_t more);
/* The entry for addr, made pending if new; NULL out of memory, or for 0
 * (which marks an empty slot, and is never a chunk). */
node_t *nodes_entry(nodes_t *m, uint64_t addr);
const node_t *nodes_lookup(const nodes_t *m, uint64_t addr);
/* Where addr's search starts, for __builtin_prefetch. */
const void *nodes_slot_hint(const nodes_t *m, uint64_t addr);
void nodes_free(nodes_t *m);

static inline int node_state(const node_t *n)
{
	return (int)(n->w[0] & 3);
}

static inline bool node_spec(const node_t *n)
{
	return n->w[0] >> 2 & 1;
}

static inline void node_set(node_t *n, int st, bool sp)
{
	n->w[0] = (n->w[0] & ~7ULL) | (uint64_t)st | (uint64_t)sp << 2;
}

/* v: the node's words as read (prev_size, size, fd, bk, ...). */
static inline void node_keep(node_t *n, const uint64_t *v, bool sp)
{
	n->w[0] = (v[1] & ~7ULL) | NODE_READ | (uint64_t)sp << 2;
	n->w[1] = v[2];
	n->w[2] = v[3];
}

static inline void node_unpack(const node_t *n, uint64_t *v)
{
	v[0] = 0;
	v[1] = n->w[0] & ~7ULL;
	v[2] = n->w[1];
	v[3] = n->w[2];
	v[4] = v[5] = 0;
}

/* walk_chunks.c: the known chunks sorted and settled (twice found, or
 * overlapping), the fenceposts of heaps top has left, and the totals. */
void walk_settle(walker_t *w);
void walk_fenceposts(walker_t *w);
void walk_totals(walker_t *w);

/* walk_lists.c: every bin, fastbin and tcache list, batched; pushes their
 * chunks and counts them into the arenas. */
void walk_lists(walker_t *w, size_t tc_from);

/* walk_tcache.c: the tcache_perthread_structs at heap starts and through
 * the threads' TLS (w->tc). */
void walk_find_tcaches(walker_t *w);
/* Whether the header + struct at chunk looks like a tcache_perthread_struct
 * (buf holds tcache_size bytes from chunk + 16). */
bool walk_is_tcache(const walker_t *w, const uint8_t *buf, uint64_t tcache_count);
/* The chunks tcache bin i of the struct in buf holds, as its uint16_t
 * array says (counts, or from 2.42 the slots left of tcache_count); -1
 * when the array holds more slots than tcache_count allows. */
long walk_tcache_count(const walker_t *w, const uint8_t *buf, int i);
/* Whether size is the chunk size of a tcache_perthread_struct: request2size
 * of the struct (656 bytes up to 2.41; 768 from 2.42, whose last 8 bytes
 * lie in the next chunk's prev_size), or from 2.42 request2size of that
 * too, as tcache_init asks _int_malloc for request2size(bytes) (784). */
static inline bool walk_tcache_chunk(const walker_t *w, uint64_t size)
{
	uint64_t one = (w->l.tcache_size + 8 + 15) & ~15ULL;
	return size == one || (w->l.tcache_slots && size == ((one + 8 + 15) & ~15ULL));
}

/* A fastbin or tcache link stored at pos, as glibc reads it (REVEAL_PTR
 * from 2.32, the pointer itself before). */
static inline uint64_t walk_reveal(const walker_t *w, uint64_t pos, uint64_t stored)
{
	return w->l.safe_linking ? (pos >> 12) ^ stored : stored;
}
/* Reads the n candidate chunks and keeps those of the struct's shape. */
void walk_check_tcaches(walker_t *w, const uint64_t *cand, size_t n, uint8_t how);

/* walk_runs.c: the in-use chunks between the known ones: all of them
 * (HL_WALK_EXACT) or a sample that estimates their count. */
void walk_runs(walker_t *w);

#endif
