/*
 * hold_heap — a target for heapview's tests: makes a heap with every kind of
 * chunk (in use, tcache, fastbin, bin, top, a mmapped chunk) in the main
 * arena and in --threads more arenas, prints its own mallinfo2 as one line
 * ("mallinfo2 arena ordblks smblks hblks hblkhd uordblks fordblks keepcost"),
 * then waits, untouched, until killed.
 *
 * usage: hold_heap [THREADS [MIB]]: with MIB, the first thread keeps MIB
 * MiB in 1000-byte chunks (every 7th freed), so its arena spans several
 * heaps.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"
#include "mallinfo2_compat.h"

static pthread_barrier_t made, done;

static void churn(void)
{
	void *p[300];
	for (int i = 0; i < 300; i++) {
		p[i] = malloc(24 + (size_t)(i % 40) * 48);
		memset(p[i], 1, 24 + (size_t)(i % 40) * 48);
	}
	for (int i = 0; i < 300; i += 3)
		free(p[i]);
	void *f[30];
	for (int i = 0; i < 30; i++) {
		f[i] = malloc(40);
		memset(f[i], 2, 40);
	}
	for (int i = 0; i < 30; i++)
		free(f[i]);
}

static long grow_mib; /* the first thread keeps this many MiB in small chunks */

static void *thread_main(void *arg)
{
	if (arg) {
		/* more than one 64 MiB heap: its arena grows a second heap, and
		 * sysmalloc closes the first with fenceposts */
		size_t n = (size_t)grow_mib * 1024;
		char **keep = malloc(n * sizeof *keep);
		for (size_t i = 0; keep && i < n; i++) {
			keep[i] = malloc(1000);
			if (keep[i])
				memset(keep[i], 4, 1000);
		}
		for (size_t i = 0; keep && i < n; i += 7)
			free(keep[i]);
		lab_keep(keep);
	}
	churn();
	pthread_barrier_wait(&made);
	pthread_barrier_wait(&done); /* alive, so its tcache is live too */
	return arg;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 3;
	pthread_barrier_init(&made, NULL, (unsigned)threads + 1);
	pthread_barrier_init(&done, NULL, (unsigned)threads + 1);
	pthread_t t[64];
	grow_mib = argc > 2 ? atol(argv[2]) : 0;
	for (int i = 0; i < threads && i < 64; i++)
		pthread_create(&t[i], NULL, thread_main, i == 0 && grow_mib > 0 ? &grow_mib : NULL);
	churn();
	char *big = malloc(1 << 20);
	memset(big, 3, 1 << 20);
	lab_keep(big); /* or the compiler drops the allocation */
	pthread_barrier_wait(&made);
	/* a static buffer: stdout's own would malloc (and consolidate) */
	static char line[512];
	setvbuf(stdout, line, _IOLBF, sizeof line);
	struct mallinfo2 m = mallinfo2();
	printf("mallinfo2 %zu %zu %zu %zu %zu %zu %zu %zu\n", m.arena, m.ordblks, m.smblks, m.hblks,
	       m.hblkhd, m.uordblks, m.fordblks, m.keepcost);
	fflush(stdout);
	pause();
	free(big);
	return 0;
}
