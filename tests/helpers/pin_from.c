/*
 * pin_from — a heap pinned by a block allocated in a known function: 16,384
 * blocks of 4 KiB, then make_pin() mallocs 40 bytes above them, then the
 * blocks are freed (one free chunk of 64 MiB under the pin), then 100,000
 * malloc(16)/free pairs (carved from that free chunk's start, then from the
 * tcache: the pin stays the chunk right below top), so that a recorder
 * preloaded by heaplab trace has written the pin's malloc out. Prints
 * "ready PID" and waits until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile keep;

__attribute__((noinline)) static void *make_pin(void)
{
	void *p = malloc(40); /* the pin */
	if (p)
		memset(p, 7, 40);
	return p;
}

int main(void)
{
	enum { N = 16384 };
	static char *b[N];
	for (int i = 0; i < N; i++) {
		b[i] = malloc(4096);
		if (!b[i])
			return 1;
		memset(b[i], 1, 4096);
	}
	keep = make_pin();
	for (int i = 0; i < N; i++)
		free(b[i]);
	for (int i = 0; i < 100000; i++) {
		char *volatile p = malloc(16);
		free(p);
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
