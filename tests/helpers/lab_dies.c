/*
 * lab_dies — a program for the harness's fault tests, not a lesson: it
 * allocates, marks the phase 'started', and then dies the way it is told
 * (a signal, or an exit status), so tests can check what a run directory
 * keeps when its program does not finish.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

static lab_param_t params[] = {
	{"signal", 9, 0, 64, "signal to raise after 'started' (0: none)", 0},
	{"exit", 0, 0, 255, "exit status after 'started' when no signal", 0},
	{NULL, 0, 0, 0, NULL, 0},
};

static const lab_experiment_t experiment = {
	.name = "lab_dies",
	.lesson = "test helper: reaches 'started', then dies",
	.phases = "started",
	.params = params,
};

int main(int argc, char **argv)
{
	lab_init(&experiment, argc, argv);
	char *p = malloc(1 << 20);
	if (!p)
		return 1;
	memset(p, 1, 1 << 20);
	lab_observe("allocated_bytes", 1 << 20);
	lab_phase("started");
	int sig = (int)lab_param(&experiment, "signal");
	if (sig)
		raise(sig);
	return (int)lab_param(&experiment, "exit");
}
