/* pause_static — a statically linked target: no libc.so mapped, so heapview
 * must say it cannot walk it and still show what /proc shows. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	printf("ready\n");
	fflush(stdout);
	pause();
	return 0;
}
