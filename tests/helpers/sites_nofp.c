/*
 * sites_nofp — built without frame pointers (the Makefile gives helpers
 * named *_nofp -fomit-frame-pointer): main calls through two levels into 12
 * allocation sites, each leaving one block of 24 + k bytes. heaplab trace's
 * frame-pointer stacks stop early in it (and say so); libunwind's reach
 * main.
 */
#include <stdlib.h>

#include "lab.h"

#define SITE(k)                                                        \
	__attribute__((noinline)) static void site##k(void)           \
	{                                                              \
		lab_keep(malloc(24 + k));                              \
	}
SITE(0) SITE(1) SITE(2) SITE(3) SITE(4) SITE(5) SITE(6) SITE(7) SITE(8) SITE(9) SITE(10) SITE(11)

static void (*const sites[])(void) = {site0, site1, site2, site3, site4,  site5,
				      site6, site7, site8, site9, site10, site11};

__attribute__((noinline)) static void inner(int k)
{
	sites[k]();
	lab_keep(&k);
}

__attribute__((noinline)) static void outer(int k)
{
	inner(k);
	lab_keep(&k);
}

int main(void)
{
	for (int k = 0; k < 12; k++)
		outer(k);
	return 0;
}
