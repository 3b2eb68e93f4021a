/*
 * plot.c — turns a run directory's files into its plots: writes
 * timeline.gp (the script comes from lib/plot.c) and runs gnuplot in the
 * directory. Also the `plot` command, which re-renders from run.json and
 * samples.tsv alone. Missing gnuplot is a message naming the package, never
 * a lost run: the data files are written before any plotting.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

bool plot_have_gnuplot(void)
{
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/bin:/bin";
	char dir[PATH_MAX];
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(dir, sizeof dir, "%.*s/gnuplot", (int)n, path);
		if (access(dir, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

int plot_gnuplot(const char *dir, const char *script, bool quiet)
{
	if (!plot_have_gnuplot())
		return -ENOENT;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (chdir(dir) < 0)
			_exit(126);
		if (quiet) {
			int devnull = open("/dev/null", O_WRONLY);
			if (devnull >= 0) {
				dup2(devnull, 1);
				dup2(devnull, 2);
			}
		}
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

int plot_render(const char *dir, const hl_run_t *run, bool quiet)
{
	hl_buf_t script = {0};
	hl_error_t err = {0};
	int rc = hl_plot_timeline_script(run, &script, &err);
	if (rc) {
		say_error("cannot make the plot script: %s", err.msg);
		hl_buf_free(&script);
		return rc;
	}
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/timeline.gp", dir);
	FILE *f = fopen(path, "w");
	if (!f || fwrite(script.data, 1, script.len, f) != script.len || fclose(f) != 0) {
		rc = -errno;
		say_error("cannot write %s: %s", path, strerror(errno));
		hl_buf_free(&script);
		return rc ? rc : -EIO;
	}
	hl_buf_free(&script);

	if (!plot_have_gnuplot()) {
		say_error("gnuplot is not installed, so no timeline.png/svg was drawn (the data is "
			  "all in %s). Install it with: apt-get install gnuplot-nox, then run: "
			  "heaplab plot %s",
			  dir, dir);
		return -ENOENT;
	}
	rc = plot_gnuplot(dir, "timeline.gp", false);
	if (rc) {
		say_error("gnuplot failed on %s/timeline.gp", dir);
		return rc;
	}
	if (!quiet)
		printf("plots: %s/timeline.png %s/timeline.svg\n", dir, dir);
	return 0;
}

int cmd_plot(int argc, char **argv)
{
	if (argc != 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		FILE *f = argc == 2 ? stdout : stderr;
		fprintf(f, "usage: heaplab plot RUN-DIR\n\nRe-renders timeline.png and timeline.svg "
			   "(and timeline.gp) from run.json and samples.tsv.\n");
		return argc == 2 ? 0 : EXIT_USAGE;
	}
	hl_run_t run;
	hl_run_init(&run);
	hl_error_t err = {0};
	if (hl_run_load(argv[1], &run, &err)) {
		say_error("%s", err.msg);
		hl_run_free(&run);
		return EXIT_USAGE;
	}
	int rc = plot_render(argv[1], &run, false);
	hl_run_free(&run);
	return rc == 0 ? 0 : 1;
}
