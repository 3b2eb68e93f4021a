/*
 * mallinfo2_compat.h — mallinfo2() where glibc has none.
 *
 * glibc 2.33 added mallinfo2, whose fields are size_t. Before it there is
 * only mallinfo, whose fields are int: glibc stores each size_t total into
 * an int, so a figure wraps past 2 GiB. Built against such a glibc (the
 * build/glibc-2.31 programs), mallinfo2() here is mallinfo read as
 * unsigned, true up to 4 GiB, and LAB_MALLINFO_INT says so: the phase
 * protocol then sends `obs mallinfo_int 1`.
 */
#ifndef MALLINFO2_COMPAT_H
#define MALLINFO2_COMPAT_H

#include <malloc.h>
#include <stddef.h>

#if defined(__GLIBC__) && !__GLIBC_PREREQ(2, 33)
#define LAB_MALLINFO_INT 1
struct lab_mallinfo2 {
	size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks,
		keepcost;
};
static inline struct lab_mallinfo2 lab_mallinfo2(void)
{
	struct mallinfo m = mallinfo();
	struct lab_mallinfo2 r = {(unsigned)m.arena,   (unsigned)m.ordblks,  (unsigned)m.smblks,
			      (unsigned)m.hblks,   (unsigned)m.hblkhd,   (unsigned)m.usmblks,
			      (unsigned)m.fsmblks, (unsigned)m.uordblks, (unsigned)m.fordblks,
			      (unsigned)m.keepcost};
	return r;
}
#define mallinfo2 lab_mallinfo2
#else
#define LAB_MALLINFO_INT 0
#endif

#endif
