/*
 * arena_turns — threads that take turns: each in turn mallocs 8 MiB of
 * 4 KiB blocks and a 32-byte pin above them, frees the blocks and stays
 * alive (holding its arena), and only then does the next start. By
 * default each thread gets an arena of its own, and each arena holds its
 * 8 MiB freed under its pin; with glibc.malloc.arena_max=2 the threads
 * share one, and each reuses the memory the one before freed: where
 * MALLOC_ARENA_MAX helps. Prints "ready PID" when all have had their turn
 * and waits until killed (a trace of it ends when it is killed; with
 * --exit it exits instead, for heaplab trace).
 *
 * usage: arena_turns [THREADS [--exit]]   (default 4)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BYTES (8 << 20)
#define SIZE 4096

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done;

static void *turn(void *arg)
{
	(void)arg;
	static char *b[BYTES / SIZE];
	for (int i = 0; i < BYTES / SIZE; i++) {
		b[i] = malloc(SIZE);
		if (!b[i])
			exit(1);
		memset(b[i], 1, SIZE);
	}
	char *volatile pin = malloc(32);
	pin[0] = 1;
	for (int i = 0; i < BYTES / SIZE; i++)
		free(b[i]);
	pthread_mutex_lock(&mu);
	done++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (;;)
		pause(); /* it holds its arena */
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	int quit = argc > 2 && !strcmp(argv[2], "--exit");
	if (n < 1 || n > 64)
		return 2;
	for (int t = 0; t < n; t++) {
		pthread_t th;
		if (pthread_create(&th, NULL, turn, NULL))
			return 1;
		pthread_mutex_lock(&mu);
		while (done <= t)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (quit)
		_exit(0);
	for (;;)
		pause();
}
