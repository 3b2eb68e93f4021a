/*
 * small_drift — the shape of a python3 process that made 300,000 objects
 * of 2,000 bytes, kept the last and freed the rest: the mmap threshold
 * drifted (one 1 MiB block mmapped and freed first), the blocks are far
 * below any threshold, and their frees coalesced into one big free chunk
 * under the last. Prints "ready PID" and waits until killed.
 *
 * usage: small_drift [N [SIZE]]   (default 300000 blocks of 2000 bytes)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 300000;
	size_t size = argc > 2 ? (size_t)strtol(argv[2], NULL, 10) : 2000;
	if (n < 2 || size < 1)
		return 2;
	char *big = malloc(1 << 20); /* mmapped: its free raises the threshold */
	if (!big)
		return 1;
	memset(big, 1, 1 << 20);
	free(big);
	char **b = malloc((size_t)n * sizeof *b);
	for (long i = 0; b && i < n; i++) {
		b[i] = malloc(size);
		if (!b[i])
			return 1;
		memset(b[i], 2, size);
	}
	if (!b)
		return 1;
	for (long i = 0; i < n - 1; i++)
		free(b[i]);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
