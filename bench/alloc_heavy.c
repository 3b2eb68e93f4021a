/*
 * alloc_heavy — the allocation-heavy program heaplab trace is measured on
 * (make bench): PAIRS malloc/free pairs in all, split over THREADS threads,
 * each keeping a sliding window of 10,000 live objects of 16..512 bytes
 * (a random slot freed and refilled per pair). Prints the wall time per
 * pair in ns and the process's peak RSS (VmHWM) in KiB, so a tracer's
 * overhead is a ratio and a difference.
 *
 * usage: alloc_heavy THREADS PAIRS
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define WINDOW 10000

static long per_thread;

static void *worker(void *arg)
{
	uint64_t s = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
	void **slot = calloc(WINDOW, sizeof *slot);
	if (!slot)
		return NULL;
	for (long i = 0; i < per_thread; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		size_t k = (size_t)(s % WINDOW);
		free(slot[k]);
		slot[k] = malloc(16 + (size_t)((s >> 20) % 497));
		if (slot[k])
			*(char *)slot[k] = 1;
	}
	for (size_t k = 0; k < WINDOW; k++)
		free(slot[k]);
	free(slot);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 1;
	long pairs = argc > 2 ? atol(argv[2]) : 20000000;
	if (threads < 1 || threads > 64 || pairs < 1) {
		fprintf(stderr, "usage: alloc_heavy THREADS PAIRS\n");
		return 2;
	}
	per_thread = pairs / threads;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pthread_t t[64];
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	long hwm = -1;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld", &hwm) == 1)
			break;
	if (f)
		fclose(f);
	printf("%.1f %ld\n", ns / (double)(per_thread * threads), hwm);
	return 0;
}
