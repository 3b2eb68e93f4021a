/*
 * main.c — the `heaplab` command: dispatches to the subcommands and owns
 * the top-level help. Each subcommand lives in its own file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

void say_error(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("heaplab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool arg_number(const char *opt, const char *s, long min, long *out)
{
	char *e;
	long v = strtol(s, &e, 10);
	if (!*s || *e || v < min) {
		say_error("%s takes a number%s, got '%s'", opt,
			  min > 0 ? " above 0" : min == 0 ? " (0 or more)" : "", s);
		return false;
	}
	*out = v;
	return true;
}

static const struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *what;
} commands[] = {
	{"run", cmd_run, "run an experiment or a program, sample it, write a run directory"},
	{"list", cmd_list, "list the experiments with their one-line lesson"},
	{"explain", cmd_explain, "the lesson, phases, knobs and expected numbers of one experiment"},
	{"plot", cmd_plot, "re-render a run directory's plots from its files"},
	{"sweep", cmd_sweep, "run an experiment once per allocator, tunable and parameter value"},
	{"trace", cmd_trace, "run a program with every allocation call recorded into a trace"},
	{"replay", cmd_replay, "perform a trace's calls again under any allocator or tunables, or compare them"},
	{"prescribe", cmd_prescribe, "which fix gives a traced program's memory back: each replayed and measured"},
	{"leaks", cmd_leaks, "what a trace never freed, by call stack; double and invalid frees"},
	{"diagnose", cmd_diagnose, "explain a live process's RSS part by part, and what would give it back"},
	{"report", cmd_report, "write report.html and report.md for a run, sweep or diagnosis directory"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: heaplab COMMAND [ARGS]\n\n"
		   "heaplab runs small programs that show how glibc malloc keeps freed memory,\n"
		   "measures them from inside (mallinfo2, malloc_info) and outside (/proc),\n"
		   "and writes run directories with plots.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\n`heaplab COMMAND --help` tells more. Start with: heaplab run brk_pin\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	say_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
