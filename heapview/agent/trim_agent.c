/*
 * trim_agent.c — libheaplab-trim.so, preloaded into a process heapview
 * watches, so that heapview's `t` key can make that process call
 * malloc_trim(0) and the map can show its held-back pages being released.
 *
 * With HEAPLAB_TRIM_SOCKET=PATH in the environment, the constructor binds a
 * unix stream socket at PATH (mode 0600: only its user may connect) and
 * starts one thread that waits on it. A connection that sends 't' gets
 * malloc_trim(0) run and one line back: "trimmed 1\n" (something was
 * released) or "trimmed 0\n". Without the variable the agent does nothing.
 *
 * It never allocates on a request: accept, read, malloc_trim and write
 * call no malloc. Starting its thread is the one allocation it causes
 * (glibc callocs the thread's TLS vector), once, before main. The thread
 * never mallocs, so it never gets an arena or a tcache of its own. The
 * variable is removed from the environment, so programs the target
 * executes do not start agents on the same path.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_fd = -1;
static char sock_path[108];
static pid_t owner; /* a forked child has no agent thread and must not unlink */

static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(listen_fd, NULL, NULL);
		if (c < 0)
			continue;
		char req;
		while (read(c, &req, 1) == 1) {
			if (req != 't')
				continue;
			int released = malloc_trim(0);
			const char *reply = released ? "trimmed 1\n" : "trimmed 0\n";
			if (write(c, reply, strlen(reply)) < 0)
				break;
		}
		close(c);
	}
	return NULL;
}

static void cleanup(void)
{
	if (sock_path[0] && getpid() == owner)
		unlink(sock_path);
}

__attribute__((constructor)) static void trim_agent_start(void)
{
	const char *path = getenv("HEAPLAB_TRIM_SOCKET");
	if (!path || !*path || strlen(path) >= sizeof sock_path)
		return;
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, path, strlen(path));
	memcpy(sock_path, path, strlen(path) + 1);
	unsetenv("HEAPLAB_TRIM_SOCKET");
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	mode_t old = umask(077);
	int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
	umask(old);
	if (rc || listen(fd, 4)) {
		close(fd);
		sock_path[0] = '\0';
		return;
	}
	listen_fd = fd;
	owner = getpid();
	atexit(cleanup);
	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 64 * 1024);
	if (pthread_create(&t, &at, serve, NULL)) {
		close(fd);
		listen_fd = -1;
	}
	pthread_attr_destroy(&at);
}
