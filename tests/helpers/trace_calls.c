/*
 * trace_calls — a target for heaplab trace's tests: makes exactly the calls
 * below (and no stdio before they are done), so a trace of it can be
 * checked call by call. The marked lines are what leaks must name.
 *
 * usage: trace_calls calls    the known calls; two blocks are left
 *        trace_calls double   malloc, free, free: glibc aborts
 *        trace_calls threads  4 threads x 500,000 malloc/free pairs, a fork in
 *                             the middle (the child makes 1000 pairs and
 *                             exits), then abort()
 *        trace_calls nofp     one block left by main -> nofp_outer ->
 *                             nofp_inner, two functions built without frame
 *                             pointers
 *        trace_calls segv     malloc, then a write through a null pointer
 *        trace_calls exitrace 3 threads allocate without end while main exits
 *        trace_calls forkexec a forked child execs "trace_calls calls"
 *        trace_calls vfork    a vfork child fails to exec and _exits; then 100
 *                             blocks are left
 *        trace_calls misfree  free(p + 8): glibc aborts
 *        trace_calls closefds closes descriptors 3..63, opens FILE (argv[2]) and
 *                             writes "mine" to it, then 10,000 malloc/free
 *        trace_calls threads2 5000 threads one after another, each leaving one
 *                             block; prints its peak RSS (VmHWM, KiB)
 *        trace_calls peer     a fixed mix of the calls heaptrack records the
 *                             same way (malloc, calloc, realloc that grows or
 *                             shrinks, posix_memalign, free), some left
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"

static void calls(void)
{
	void *a = malloc(100); /* leak-a */
	lab_keep(a);
	void *b = calloc(10, 20);
	lab_keep(b); /* or the compiler drops a malloc/free pair */
	free(b);
	void *volatile none = NULL; /* or the compiler makes realloc(NULL, n) a malloc */
	void *c = realloc(none, 50);
	lab_keep(c);
	c = realloc(c, 5000);
	lab_keep(c);
	c = realloc(c, 10);
	lab_keep(c);
	c = realloc(c, 0);
	lab_keep(c);
	void *d = NULL;
	if (posix_memalign(&d, 64, 300) == 0) /* leak-d */
		lab_keep(d);
	void *e = aligned_alloc(256, 512);
	lab_keep(e);
	free(e);
	void *f = memalign(128, 1000);
	lab_keep(f);
	free(f);
	free(NULL);
	malloc_trim(0);
}

static void twice(void)
{
	void *p = malloc(40); /* double-alloc */
	lab_keep(p);
	void *volatile same = p; /* the compiler must not see the second free coming */
	free(p);
	free(same); /* double-free */
}

static void *worker(void *arg)
{
	for (int i = 0; i < 500000; i++) {
		void *p = malloc(16 + (size_t)(i % 32) * 16);
		lab_keep(p);
		free(p);
	}
	return arg;
}

static void threads(void)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	usleep(20000);
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 1000; i++) {
			void *p = malloc(64);
			lab_keep(p);
			free(p);
		}
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	abort();
}

#define NO_FP __attribute__((noinline, optimize("omit-frame-pointer")))

NO_FP static void *nofp_inner(size_t n)
{
	void *p = malloc(n); /* nofp-leak */
	lab_keep(p);
	return p;
}

NO_FP static void *nofp_outer(size_t n)
{
	void *p = nofp_inner(n + 1);
	lab_keep(p);
	return p;
}

static void peer(void)
{
	static void *p[3000];
	for (int i = 0; i < 3000; i++) {
		size_t n = 1 + (size_t)(i * 37 % 997);
		if (i % 7 == 0) {
			p[i] = calloc(n, 3);
		} else if (i % 11 == 0) {
			if (posix_memalign(&p[i], 64, n))
				p[i] = NULL;
		} else {
			p[i] = malloc(n);
		}
		lab_keep(p[i]);
	}
	for (int i = 0; i < 3000; i += 5) { /* grow some, shrink others */
		void *r = realloc(p[i], i % 2 ? 5000 + (size_t)i : 8);
		if (r)
			p[i] = r;
		lab_keep(p[i]);
	}
	for (int i = 0; i < 3000; i++)
		if (i % 3 || i % 13 == 0) /* a third stays, less the 13th ones */
			free(p[i]);
}

static void *spin(void *arg)
{
	for (;;) {
		void *p = malloc(32);
		lab_keep(p);
		free(p);
	}
	return arg;
}

static void *one_block(void *arg)
{
	lab_keep(malloc(48)); /* left */
	return arg;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "calls";
	if (!strcmp(mode, "double"))
		twice();
	else if (!strcmp(mode, "threads"))
		threads();
	else if (!strcmp(mode, "peer"))
		peer();
	else if (!strcmp(mode, "exitrace")) {
		pthread_t t;
		for (int i = 0; i < 3; i++)
			pthread_create(&t, NULL, spin, NULL);
		usleep(50000);
		exit(0);
	} else if (!strcmp(mode, "forkexec")) {
		pid_t pid = fork();
		if (pid == 0) {
			execl(argv[0], argv[0], "calls", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
	} else if (!strcmp(mode, "vfork")) {
		pid_t pid = vfork();
		if (pid == 0) {
			execl("/no/such/program", "x", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
		for (int i = 0; i < 100; i++)
			lab_keep(malloc(16)); /* left */
	} else if (!strcmp(mode, "misfree")) {
		char *p = malloc(64);
		lab_keep(p);
		char *volatile inside = p + 8; /* the compiler must not see where it points */
		free(inside); /* free-inside */
	} else if (!strcmp(mode, "closefds") && argc > 2) {
		for (int fd = 3; fd < 64; fd++)
			close(fd);
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, "mine", 4) != 4)
			return 1;
		for (int i = 0; i < 10000; i++) {
			void *p = malloc(64);
			lab_keep(p);
			free(p);
		}
		close(fd);
	} else if (!strcmp(mode, "threads2")) {
		for (int i = 0; i < 5000; i++) {
			pthread_t t;
			if (pthread_create(&t, NULL, one_block, NULL) == 0)
				pthread_join(t, NULL);
		}
		char line[256];
		long hwm = -1;
		FILE *f = fopen("/proc/self/status", "r");
		while (f && fgets(line, sizeof line, f))
			if (sscanf(line, "VmHWM: %ld", &hwm) == 1)
				break;
		if (f)
			fclose(f);
		printf("hwm %ld\n", hwm);
	} else if (!strcmp(mode, "segv")) {
		void *p = malloc(77);
		lab_keep(p);
		volatile int *volatile null = NULL; /* a store the compiler must make */
		*null = 1;
	} else if (!strcmp(mode, "nofp"))
		lab_keep(nofp_outer(99));
	else
		calls();
	return 0;
}
