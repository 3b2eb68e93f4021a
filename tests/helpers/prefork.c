/*
 * prefork — a forking server's shape for heaplab trace's tests: the parent
 * allocates its configuration, then forks three workers, as nginx,
 * gunicorn and postgres do; every count below is exact, and no stdio is
 * used before the workers are done.
 *
 *   parent, before the forks: 5 config blocks of 100 B (never freed by
 *     anyone: the parent's leak), a 48 B block "shared" (the parent frees
 *     it after the forks; no worker does: each worker's leak), a 64 B
 *     block "scratch" (the parent and every worker free it: no one's)
 *   worker k (1..3): 100 malloc/free pairs, frees scratch, leaves 2k blocks
 *     of 32 B; worker 3 ends with _exit, the others return from main
 *   parent, after the workers: frees shared and scratch, leaves 3 blocks
 *     of 16 B
 *
 * So: parent 8 blocks, 548 B; worker k 2k + 1 blocks, 64k + 48 B.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"

static void worker(int k, void *scratch)
{
	for (int i = 0; i < 100; i++) {
		void *p = malloc(200 + (size_t)i);
		lab_keep(p);
		free(p);
	}
	free(scratch);
	for (int i = 0; i < 2 * k; i++)
		lab_keep(malloc(32)); /* worker-leak */
	if (k == 3)
		_exit(0);
	exit(0);
}

int main(void)
{
	void *config[5];
	for (int i = 0; i < 5; i++)
		config[i] = malloc(100); /* config */
	lab_keep(config);
	void *shared = malloc(48), *scratch = malloc(64);
	lab_keep(shared);
	lab_keep(scratch);
	pid_t pids[3];
	for (int k = 1; k <= 3; k++) {
		pids[k - 1] = fork();
		if (pids[k - 1] == 0)
			worker(k, scratch);
	}
	for (int k = 0; k < 3; k++)
		waitpid(pids[k], NULL, 0);
	free(shared);
	free(scratch);
	for (int i = 0; i < 3; i++)
		lab_keep(malloc(16)); /* parent-leak */
	return 0;
}
