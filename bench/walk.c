/*
 * walk — what a heap walk costs against copying the heap: a child builds
 * brk_pin's heap (262,144 x 4 KiB + a pin, 262,147 chunks) or a
 * swiss_cheese heap (every 2nd block freed: 131,072 free chunks) and waits;
 * we walk it (hl_walk_process) and, as the reference, copy its whole [heap]
 * with process_vm_readv in 64 MiB pieces. Prints medians of 5, syscalls,
 * bytes read, the ratio, and the walker's own peak RSS growth.
 *
 * usage: walk [brk_pin|swiss_cheese]
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "heaplab.h"

#define BLOCKS 262144

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static pid_t target(int swiss)
{
	int fds[2];
	if (pipe(fds))
		exit(1);
	pid_t pid = fork();
	if (pid == 0) {
		static void *b[BLOCKS];
		for (int i = 0; i < BLOCKS; i++) {
			b[i] = malloc(4096);
			memset(b[i], 1, 4096);
		}
		void *volatile pin = malloc(2);
		(void)pin;
		if (swiss)
			for (int i = 1; i < BLOCKS; i += 2)
				free(b[i]);
		if (write(fds[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char c;
	if (read(fds[0], &c, 1) != 1)
		exit(1);
	return pid;
}

static long maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
	int swiss = argc > 1 && !strcmp(argv[1], "swiss_cheese");
	pid_t pid = target(swiss);
	double tw[5], tc[5];
	hl_walk_t w;
	hl_glibc_layout_t layout;
	memset(&layout, 0, sizeof layout);
	long rss0 = maxrss_kb();
	double first = now_ms();
	if (hl_walk_process_cached(pid, &layout, &w, NULL)) /* loads the layout */
		return 1;
	first = now_ms() - first;
	hl_walk_free(&w);
	for (int i = 0; i < 5; i++) {
		double t0 = now_ms();
		if (hl_walk_process_cached(pid, &layout, &w, NULL))
			return 1;
		tw[i] = now_ms() - t0;
		if (i < 4)
			hl_walk_free(&w);
	}
	long walk_growth = maxrss_kb() - rss0;

	/* the reference: copy the whole [heap] */
	hl_buf_t b = {0};
	hl_regions_t r = {0};
	hl_procfs_read(pid, "maps", &b, NULL);
	hl_maps_parse(b.data, b.len, &r, NULL);
	uint64_t hs = 0, he = 0;
	for (size_t i = 0; i < r.n; i++)
		if (!strcmp(r.v[i].path, "[heap]")) {
			hs = r.v[i].start;
			he = r.v[i].end;
		}
	size_t piece = 64 << 20;
	char *buf = malloc(piece);
	memset(buf, 0, piece);
	long copies = 0;
	for (int i = 0; i < 5; i++) {
		double t0 = now_ms();
		for (uint64_t a = hs; a < he; a += piece) {
			size_t n = he - a < piece ? (size_t)(he - a) : piece;
			struct iovec l = {buf, n}, rm = {(void *)(uintptr_t)a, n};
			process_vm_readv(pid, &l, 1, &rm, 1, 0);
			copies++;
		}
		tc[i] = now_ms() - t0;
	}
	/* the floor for any walk that reads a header on every page: 16 bytes
	 * from each page, 1024 pages per call, nothing else */
	double tf[5];
	static struct iovec lv[1024], rv[1024];
	static char hdr[1024][16];
	for (int i = 0; i < 5; i++) {
		double t0 = now_ms();
		for (uint64_t a = hs; a < he;) {
			size_t k = 0;
			for (; k < 1024 && a < he; k++, a += 4096) {
				lv[k] = (struct iovec){hdr[k], 16};
				rv[k] = (struct iovec){(void *)(uintptr_t)a, 16};
			}
			process_vm_readv(pid, lv, k, rv, k, 0);
		}
		tf[i] = now_ms() - t0;
	}
	qsort(tw, 5, sizeof *tw, cmp);
	qsort(tc, 5, sizeof *tc, cmp);
	qsort(tf, 5, sizeof *tf, cmp);
	printf("%s heap (%llu MiB, %lld chunks walked, %lld free in bins): first walk (loads "
	       "libc's DWARF) %.1f ms; then walk median %.1f ms, "
	       "%lld reads, %lld bytes read; full copy median %.1f ms (%ld reads of 64 MiB); "
	       "walk/copy %.2f; walker peak RSS growth %ld KiB\n",
	       swiss ? "swiss_cheese" : "brk_pin", (unsigned long long)((he - hs) >> 20),
	       (long long)w.chunks, (long long)(w.mallinfo2.ordblks - 1), first, tw[2],
	       (long long)w.reads, (long long)w.bytes_read, tc[2], copies / 5, tw[2] / tc[2],
	       walk_growth);
	printf("%s floor: 16 bytes from every page of the heap (1024 pages a call) median %.1f ms, "
	       "floor/copy %.2f: a walk that must read a header on every page cannot beat this\n",
	       swiss ? "swiss_cheese" : "brk_pin", tf[2], tf[2] / tc[2]);
	hl_walk_free(&w);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}
