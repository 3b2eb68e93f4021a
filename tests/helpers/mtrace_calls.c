/*
 * mtrace_calls — makes a real glibc mtrace log for heaplab trace
 * --import-mtrace's test: run with MALLOC_TRACE=LOG and
 * LD_PRELOAD=libc_malloc_debug.so.0 (glibc >= 2.34 keeps mtrace there). The
 * marked line is the one block left.
 */
#include <mcheck.h>
#include <stdlib.h>

#include "lab.h"

int main(void)
{
	mtrace();
	void *a = malloc(100); /* mtrace-leak */
	lab_keep(a);
	void *b = malloc(50);
	lab_keep(b);
	free(b);
	void *c = calloc(4, 8);
	lab_keep(c);
	c = realloc(c, 4000);
	lab_keep(c);
	free(c);
	muntrace();
	return 0;
}
