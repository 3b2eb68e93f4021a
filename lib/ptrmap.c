/*
 * ptrmap.c — an open-addressing map from a pointer to an index, what the
 * trace's bookkeeping (leaks, replay, the family's inherited heaps) keeps
 * its live blocks in. Key 0 is the empty slot: a pointer is never 0.
 */
#include <errno.h>
#include <stdlib.h>

#include "trace_int.h"

static size_t slot(const pmap_t *m, uint64_t k)
{
	size_t i = (size_t)((k >> 4) * 0x9e3779b97f4a7c15ULL) & (m->cap - 1);
	while (m->key[i] && m->key[i] != k)
		i = (i + 1) & (m->cap - 1);
	return i;
}

int hl_pm_put(pmap_t *m, uint64_t k, size_t v)
{
	if ((m->n + 1) * 2 > m->cap) {
		pmap_t n = {0};
		n.cap = m->cap ? m->cap * 2 : 1024;
		n.key = calloc(n.cap, sizeof *n.key);
		n.val = calloc(n.cap, sizeof *n.val);
		if (!n.key || !n.val) {
			free(n.key);
			free(n.val);
			return -ENOMEM;
		}
		for (size_t i = 0; i < m->cap; i++)
			if (m->key[i]) {
				size_t s = slot(&n, m->key[i]);
				n.key[s] = m->key[i];
				n.val[s] = m->val[i];
				n.n++;
			}
		free(m->key);
		free(m->val);
		*m = n;
	}
	size_t s = slot(m, k);
	m->n += !m->key[s];
	m->key[s] = k;
	m->val[s] = v;
	return 0;
}

bool hl_pm_get(const pmap_t *m, uint64_t k, size_t *v)
{
	if (!m->cap)
		return false;
	size_t s = slot(m, k);
	if (!m->key[s])
		return false;
	*v = m->val[s];
	return true;
}

/* Removes k, re-placing the run after it (linear probing). */
void hl_pm_del(pmap_t *m, uint64_t k)
{
	if (!m->cap)
		return;
	size_t s = slot(m, k);
	if (!m->key[s])
		return;
	m->key[s] = 0;
	m->n--;
	for (size_t i = (s + 1) & (m->cap - 1); m->key[i]; i = (i + 1) & (m->cap - 1)) {
		uint64_t kk = m->key[i];
		size_t vv = m->val[i];
		m->key[i] = 0;
		m->n--;
		size_t d = slot(m, kk);
		m->key[d] = kk;
		m->val[d] = vv;
		m->n++;
	}
}

void hl_pm_free(pmap_t *m)
{
	free(m->key);
	free(m->val);
	*m = (pmap_t){0};
}

int hl_grow(void **v, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *n = realloc(*v, c * elem);
	if (!n)
		return -ENOMEM;
	*v = n;
	*cap = c;
	return 0;
}
