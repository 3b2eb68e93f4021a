/*
 * step.c — teaching mode's plumbing (heapview --experiment EXP --step): the
 * experiment's lesson lines, read from its own --describe with this run's
 * parameters, and the gate to heaplab run (--gate FD) that n writes to, so
 * the experiment goes on from the phase it waits at. What the screen shows
 * of it is the model's (frames) and the layout's (changes, the panel).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heapview.h"

int hv_step_open(const char *exe, char **exp_args, hl_lesson_t **lesson, int *gate_r, int *gate_w)
{
	hl_buf_t b = {0};
	hl_error_t err = {0};
	*lesson = calloc(1, sizeof **lesson);
	int rc = *lesson ? hl_lesson_describe(exe, &b) : -ENOMEM;
	if (rc || hl_lesson_parse(b.data ? b.data : "", b.len, *lesson, &err)) {
		fprintf(stderr, "heapview: %s --describe failed: %s\n", exe,
			rc ? (rc < 0 ? strerror(-rc) : "it exited with an error") : err.msg);
		hl_buf_free(&b);
		return -1;
	}
	hl_buf_free(&b);
	for (char **a = exp_args; a && *a; a++)
		hl_lesson_param_set(*lesson, *a); /* heaplab run checks them all */
	int p[2];
	if (pipe2(p, O_CLOEXEC)) {
		fprintf(stderr, "heapview: cannot make a pipe: %s\n", strerror(errno));
		return -1;
	}
	*gate_r = fcntl(p[0], F_DUPFD, 3); /* without close-on-exec: heaplab run's */
	close(p[0]);
	if (*gate_r < 0) {
		close(p[1]);
		fprintf(stderr, "heapview: cannot make a pipe: %s\n", strerror(errno));
		return -1;
	}
	*gate_w = p[1];
	return 0;
}

void hv_step_next(hv_model_t *m, int gate, const char *pending, double walk_in_s)
{
	if (m->exited) {
		hv_model_message(m, "n: the experiment has ended; p shows its phases, q quits");
		return;
	}
	if (!m->waiting) {
		hv_model_message(m, m->nphases ? "n: on its way to the next phase"
					       : "n: the experiment has not reached its first phase yet");
		return;
	}
	if (pending[0]) {
		/* its frame first: the walk that shows the phase */
		hv_model_message(m, "n: phase '%s' is shown first (next walk in %.1f s)", pending,
				 walk_in_s);
		return;
	}
	if (gate < 0 || write(gate, "n", 1) != 1) {
		hv_model_message(m, "n: heaplab run no longer listens (%s)",
				 gate < 0 ? "gate closed" : strerror(errno));
		return;
	}
	m->waiting = false;
	hv_model_message(m, "going on from phase '%s'", m->phase);
}
