/*
 * in_root — runs a program as a container runtime would: in a mount
 * namespace of its own, whose root is another system's tree (a glibc of
 * the matrix, unpacked by scripts/glibc.sh), so that the paths in its
 * /proc/PID/maps name files of that tree which the host has too, with
 * other contents.
 *
 * usage: in_root TREE PROGRAM [ARGS...]   (as root)
 *
 * The new root is a tmpfs (mounted on /tmp inside the namespace, so
 * nothing is left on the host) holding TREE's usr/, lib/ and lib64/ as
 * they are there (folders bound read-only, links copied) and a copy of
 * PROGRAM as /PROGRAM-NAME; after pivot_root the old root is detached
 * and PROGRAM runs there with ARGS, its output where ours goes. TREE is
 * never written. Errors: a message naming the step, exit 126.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "in_root: %s %s: %s\n", what, arg ? arg : "", strerror(errno));
	exit(126);
}

static void copy(int in, const char *to)
{
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0)
		die("cannot create", to);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			die("cannot write", to);
	close(in);
	close(out);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: in_root TREE PROGRAM [ARGS...]\n");
		return 2;
	}
	char tree[PATH_MAX], root[] = "/tmp", p[PATH_MAX + 64], self[PATH_MAX];
	if (!realpath(argv[1], tree))
		die("no tree", argv[1]);
	if (!realpath(argv[2], self))
		die("no program", argv[2]);
	argv[2] = self;
	/* everything from the old root is opened before the tmpfs goes over
	 * /tmp: TREE or PROGRAM may lie under it */
	int prog_fd = open(self, O_RDONLY | O_CLOEXEC);
	if (prog_fd < 0)
		die("cannot open", self);
	if (unshare(CLONE_NEWNS))
		die("unshare(CLONE_NEWNS)", "(root is needed)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		die("cannot make / private", NULL);
	/* (bound from descriptors opened in this namespace, before the tmpfs) */
	const char *top[] = {"usr", "lib", "lib64"};
	int top_fd[3] = {-1, -1, -1};
	char top_link[3][PATH_MAX] = {"", "", ""};
	for (size_t i = 0; i < 3; i++) {
		char from[PATH_MAX + 8];
		struct stat st;
		snprintf(from, sizeof from, "%s/%s", tree, top[i]);
		if (lstat(from, &st))
			continue;
		if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlink(from, top_link[i], sizeof top_link[i] - 1);
			if (n <= 0)
				die("cannot read the link", from);
			top_link[i][n] = '\0';
		} else if ((top_fd[i] = open(from, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
			die("cannot open", from);
		}
	}
	if (mount("tmpfs", root, "tmpfs", 0, "size=64m,mode=0755"))
		die("cannot mount a tmpfs on", root);
	const char *dirs[] = {"old", "proc", "tmp"};
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		snprintf(p, sizeof p, "%s/%s", root, dirs[i]);
		if (mkdir(p, 0755))
			die("cannot make", p);
	}
	/* the tree's usr, lib and lib64 as they are there: folders bound
	 * read-only (through the descriptors opened above), links copied
	 * (bullseye has /lib of its own, sid links it to usr/lib) */
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", root, top[i]);
		if (top_link[i][0]) {
			if (symlink(top_link[i], p))
				die("cannot link", p);
			continue;
		}
		if (top_fd[i] < 0)
			continue;
		char from[64];
		snprintf(from, sizeof from, "/proc/self/fd/%d", top_fd[i]);
		if (mkdir(p, 0755) || mount(from, p, NULL, MS_BIND | MS_REC, NULL) ||
		    mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL))
			die("cannot bind", top[i]);
	}
	const char *name = strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2];
	snprintf(p, sizeof p, "%s/%s", root, name);
	copy(prog_fd, p);
	char old[PATH_MAX + 8];
	snprintf(old, sizeof old, "%s/old", root);
	if (syscall(SYS_pivot_root, root, old))
		die("pivot_root into", root);
	if (chdir("/") || umount2("/old", MNT_DETACH))
		die("cannot detach the old root", NULL);
	rmdir("/old");
	char prog[PATH_MAX];
	snprintf(prog, sizeof prog, "/%s", name);
	argv[2] = prog;
	execv(prog, argv + 2);
	die("cannot run", prog);
	return 126;
}
