/*
 * smaps_read — what one /proc sample costs on a process with many mappings:
 * a child makes N mappings in all (N/2 touched rw-p pages separated by N/2
 * ---p ones, so the kernel cannot merge them), and we time reading and
 * parsing its /proc/PID/statm and maps (every sample) and smaps (a phase,
 * or when it costs under 1% of the time). Prints medians.
 *
 * usage: smaps_read [MAPPINGS=10000] [REPEATS=50]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "heaplab.h"

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	int nmaps = argc > 1 ? atoi(argv[1]) : 10000;
	int reps = argc > 2 ? atoi(argv[2]) : 50;
	int ready[2];
	if (pipe(ready) < 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		long page = sysconf(_SC_PAGESIZE);
		char *base = mmap(NULL, (size_t)nmaps * 2 * (size_t)page, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (base == MAP_FAILED)
			_exit(1);
		/* every other page readable+writable and touched: nmaps rw-p
		 * mappings separated by ---p ones */
		for (int i = 0; i < nmaps / 2; i++) {
			char *p = base + (size_t)i * 2 * (size_t)page;
			if (mprotect(p, (size_t)page, PROT_READ | PROT_WRITE) < 0)
				_exit(1);
			p[0] = 1;
		}
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char c;
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "smaps_read: the child could not make %d mappings\n", nmaps);
		return 1;
	}
	hl_buf_t buf = {0};
	hl_regions_t regions = {0};
	double *t_smaps = calloc((size_t)reps, sizeof(double));
	double *t_statm = calloc((size_t)reps, sizeof(double));
	double *t_maps = calloc((size_t)reps, sizeof(double));
	size_t nregions = 0, bytes = 0;
	for (int i = 0; i < reps; i++) {
		double t0 = now_us();
		if (hl_procfs_read(pid, "smaps", &buf, NULL) || hl_smaps_parse(buf.data, buf.len, &regions, NULL))
			return 1;
		t_smaps[i] = now_us() - t0;
		nregions = regions.n;
		bytes = buf.len;
		hl_regions_free(&regions);
		t0 = now_us();
		hl_statm_t st;
		if (hl_procfs_read(pid, "statm", &buf, NULL) ||
		    hl_statm_parse(buf.data, buf.len, hl_procfs_page_size(), &st, NULL))
			return 1;
		t_statm[i] = now_us() - t0;
		t0 = now_us();
		if (hl_procfs_read(pid, "maps", &buf, NULL) ||
		    hl_maps_parse(buf.data, buf.len, &regions, NULL))
			return 1;
		t_maps[i] = now_us() - t0;
	}
	printf("smaps: %zu mappings, %zu bytes of smaps: read+parse median %.2f ms (%d reads)\n",
	       nregions, bytes, median(t_smaps, reps) / 1000, reps);
	printf("maps:  read+parse median %.2f ms\n", median(t_maps, reps) / 1000);
	printf("statm: read+parse median %.1f us\n", median(t_statm, reps));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	hl_buf_free(&buf);
	free(t_smaps);
	free(t_statm);
	free(t_maps);
	return 0;
}
