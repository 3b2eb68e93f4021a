/*
 * walk_nodes.c — the list walker's memory of the nodes it has read: an
 * open-addressing hash map from a chunk's address to its size, fd and bk
 * (32 bytes a slot, as the map is big and cold on a heap of a million free
 * chunks: a lookup is a cache miss), grown before it is half full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "walk_int.h"

static uint64_t hash(uint64_t a)
{
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdULL;
	a ^= a >> 33;
	return a;
}

static node_t *slot(const nodes_t *m, uint64_t addr)
{
	size_t mask = m->cap - 1;
	for (size_t i = hash(addr) & mask;; i = (i + 1) & mask)
		if (m->v[i].addr == addr || !m->v[i].addr)
			return &m->v[i];
}

const void *nodes_slot_hint(const nodes_t *m, uint64_t addr)
{
	return m->cap ? &m->v[hash(addr) & (m->cap - 1)] : NULL;
}

int nodes_reserve(nodes_t *m, size_t more)
{
	if ((m->used + more) * 2 < m->cap)
		return 0;
	size_t cap = m->cap ? m->cap * 2 : 4096;
	while ((m->used + more) * 2 >= cap)
		cap *= 2;
	node_t *old = m->v;
	size_t oldcap = m->cap;
	m->v = calloc(cap, sizeof *m->v);
	if (!m->v) {
		m->v = old;
		return -ENOMEM;
	}
	m->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].addr)
			*slot(m, old[i].addr) = old[i];
	free(old);
	return 0;
}

node_t *nodes_entry(nodes_t *m, uint64_t addr)
{
	if (!addr || nodes_reserve(m, 0))
		return NULL;
	node_t *n = slot(m, addr);
	if (!n->addr) {
		memset(n, 0, sizeof *n);
		n->addr = addr;
		node_set(n, NODE_PENDING, false);
		m->used++;
	}
	return n;
}

const node_t *nodes_lookup(const nodes_t *m, uint64_t addr)
{
	if (!m->cap)
		return NULL;
	node_t *n = slot(m, addr);
	return n->addr ? n : NULL;
}

void nodes_free(nodes_t *m)
{
	free(m->v);
	memset(m, 0, sizeof *m);
}
