/*
 * alloc_loop — a long-running target for heaplab trace --pid: about 1,000
 * iterations a second, each a malloc/free pair of 100..355 B and one 64 B
 * block into a ring of 50 (freeing the one 50 iterations old); every 10th
 * also leaves one 40 B block from leak_here() (the marked line). The
 * iteration count is written to FILE (argv[1]) as it goes, so a test can
 * see that the process still runs; it stops after argv[2] seconds (default
 * 60). With "fork" as argv[3], every 700th iteration forks a child that
 * frees the ring's 50 blocks, leaves 3 blocks of 24 B and exits.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"

__attribute__((noinline)) static void leak_here(void)
{
	lab_keep(malloc(40)); /* attach-leak */
}

static void *ring[50];

__attribute__((noinline)) static void ring_turn(long i)
{
	free(ring[i % 50]);
	ring[i % 50] = malloc(64);
}

int main(int argc, char **argv)
{
	int fd = argc > 1 ? open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
	double limit = argc > 2 ? atof(argv[2]) : 60;
	int forks = argc > 3 && !strcmp(argv[3], "fork");
	struct timespec t0, t1, nap = {0, 1000000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 1;; i++) {
		void *p = malloc(100 + (size_t)(i % 256));
		lab_keep(p);
		free(p);
		ring_turn(i);
		if (i % 10 == 0)
			leak_here();
		if (forks && i % 700 == 0) {
			pid_t c = fork();
			if (c == 0) {
				for (int k = 0; k < 50; k++)
					free(ring[k]);
				for (int k = 0; k < 3; k++)
					lab_keep(malloc(24));
				exit(0);
			}
			if (c > 0)
				waitpid(c, NULL, 0);
		}
		if (fd >= 0) {
			char b[32];
			int n = snprintf(b, sizeof b, "%ld\n", i);
			if (pwrite(fd, b, (size_t)n, 0) < 0)
				break;
		}
		nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((double)(t1.tv_sec - t0.tv_sec) > limit)
			break;
	}
	return 0;
}
