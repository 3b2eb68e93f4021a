/*
 * hold_freed — a target for heapview's live tests: mallocs N (default 4000)
 * blocks of 4 KiB and a small pin above them, frees the blocks (one free
 * chunk below the pin, all of it held back), prints "ready PID", and waits
 * until killed. malloc_trim(0) from heapview's trim agent releases it; so
 * does SIGUSR1, after which it prints "trimmed 1" (or 0: nothing released).
 *
 * usage: hold_freed [N [used|exit]]: with "used", the blocks are kept in use
 * (N chunks for a walker to read, nothing held back); with "exit", after the
 * frees it prints "rss BYTES" (its RSS, the freed blocks held back) and
 * exits instead of waiting.
 */
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 4000;
	if (n <= 0 || n > 1000000) {
		fprintf(stderr, "hold_freed: N from 1 to 1000000\n");
		return 2;
	}
	void **b = calloc((size_t)n, sizeof *b);
	if (!b)
		return 1;
	for (long i = 0; i < n; i++) {
		b[i] = malloc(4096);
		if (!b[i])
			return 1;
		memset(b[i], 1, 4096);
	}
	void *pin = malloc(64);
	memset(pin, 2, 64);
	lab_keep(pin);
	bool used = argc > 2 && !strcmp(argv[2], "used");
	for (long i = 0; i < n && !used; i++)
		free(b[i]);
	if (argc > 2 && !strcmp(argv[2], "exit")) {
		printf("rss %lld\n", lab_rss_bytes());
		return 0;
	}
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;) {
		int sig;
		if (sigwait(&usr1, &sig) == 0) {
			printf("trimmed %d\n", malloc_trim(0));
			fflush(stdout);
		}
	}
}
