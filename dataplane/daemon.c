/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --detach, --monitor, --pidfile (daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "vlog.h"

/* Seconds between two starts of the daemon by the monitor, at least. */
#define DAEMON_RESTART_MIN_S 10

static int ready_fd = -1;	/* write end: the waiting parent reads it */
static bool detaching;
static bool no_chdir;
static char *pidfile_path;
static int pidfile_fd = -1;
static volatile pid_t monitored;
static volatile sig_atomic_t monitor_stop;	/* SIGTERM/SIGINT reached the monitor */

const char *
daemon_rundir(void)
{
	const char *d = getenv("OVS_RUNDIR");

	return d != NULL && d[0] != '\0' ? d : "/var/run/openvswitch";
}

/* The parent of --detach: wait for a byte (ready) or for the child's end. */
static void __attribute__((noreturn))
wait_for_daemon(pid_t child, int rfd)
{
	char c;
	ssize_t n;
	int status;

	do
		n = read(rfd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit(0);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1);
	fprintf(stderr, "vireo-dp: daemon died before it was ready: %s\n",
		WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "unknown status");
	_exit(1);
}

static bool
is_crash(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
		sig == SIGABRT || sig == SIGXCPU || sig == SIGXFSZ;
}

static void
monitor_forward(int sig)
{
	monitor_stop = 1;
	if (monitored > 0)
		kill(monitored, sig);
}

/* The monitor: fork the daemon, and again after each crash.  Returns in each daemon. */
static int
monitor_run(void)
{
	struct sigaction sa = { .sa_handler = monitor_forward };
	struct timespec last = { 0, 0 };
	bool first = true;

	sigemptyset(&sa.sa_mask);
	for (;;) {
		struct timespec now;
		int status;
		pid_t pid;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!first && now.tv_sec - last.tv_sec < DAEMON_RESTART_MIN_S) {
			vlog_msg(VLM_DATAPLANE, VLL_INFO, "monitor: sleeping %ld s before restart",
				(long)(DAEMON_RESTART_MIN_S - (now.tv_sec - last.tv_sec)));
			sleep((unsigned)(DAEMON_RESTART_MIN_S - (now.tv_sec - last.tv_sec)));
			clock_gettime(CLOCK_MONOTONIC, &now);
		}
		if (monitor_stop) {
			vlog_msg(VLM_DATAPLANE, VLL_INFO, "monitor: stopped before restart");
			_exit(0);
		}
		last = now;
		pid = fork();
		if (pid < 0)
			return -errno;
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			return 0;
		}
		monitored = pid;
		if (first) {
			/* The daemon tells the waiting parent; the monitor has nothing to say. */
			sigaction(SIGTERM, &sa, NULL);
			sigaction(SIGINT, &sa, NULL);
			signal(SIGHUP, SIG_IGN);
			if (detaching) {
				vlog_detached();
				if (!no_chdir && chdir("/") < 0)
					vlog_msg(VLM_DATAPLANE, VLL_WARN, "monitor: chdir /: %s",
						strerror(errno));
			}
			first = false;
		}
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				_exit(1);
		monitored = 0;
		if (WIFSIGNALED(status) && is_crash(WTERMSIG(status)) && !monitor_stop) {
			vlog_msg(VLM_DATAPLANE, VLL_ERR, "monitor: daemon pid %d died, killed (%s), "
				"restarting", (int)pid, strsignal(WTERMSIG(status)));
			continue;
		}
		if (WIFSIGNALED(status)) {
			vlog_msg(VLM_DATAPLANE, VLL_INFO, "monitor: daemon pid %d killed (%s), exiting",
				(int)pid, strsignal(WTERMSIG(status)));
			_exit(1);
		}
		vlog_msg(VLM_DATAPLANE, VLL_INFO, "monitor: daemon pid %d exited with status %d, "
			"exiting", (int)pid, WEXITSTATUS(status));
		_exit(WEXITSTATUS(status));
	}
}

int
daemon_start(const struct daemon_opts *o)
{
	no_chdir = o->no_chdir;
	detaching = o->detach;
	if (o->detach) {
		int fds[2];
		pid_t pid;

		if (pipe2(fds, O_CLOEXEC) < 0)
			return -errno;
		pid = fork();
		if (pid < 0)
			return -errno;
		if (pid > 0) {
			close(fds[1]);
			wait_for_daemon(pid, fds[0]);
		}
		close(fds[0]);
		ready_fd = fds[1];
		setsid();
	}
	if (o->monitor)
		return monitor_run();
	return 0;
}

static char *
pidfile_name(const char *arg)
{
	char *s;

	if (arg[0] == '/')
		return strdup(arg);
	if (asprintf(&s, "%s/%s", daemon_rundir(), arg[0] != '\0' ? arg : "ovs-vswitchd.pid") < 0)
		return NULL;
	return s;
}

/* Write this process's pid into the locked pidfile 'fd': 0 or -errno. */
static int
pidfile_write(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	ssize_t w;

	if (ftruncate(fd, 0) < 0)
		return -errno;
	w = write(fd, buf, (size_t)n);
	if (w < 0)
		return -errno;
	/* A short write sets no errno: the file system filled up. */
	return w == n ? 0 : -ENOSPC;
}

int
daemon_pidfile_create(const struct daemon_opts *o, char **err)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct stat st;
	int fd, n;

	*err = NULL;
	if (o->pidfile == NULL)
		return 0;
	pidfile_path = pidfile_name(o->pidfile);
	if (pidfile_path == NULL)
		return -ENOMEM;
	mkdir(daemon_rundir(), 0755);
	fd = open(pidfile_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		n = errno;
		if (asprintf(err, "%s: cannot create pidfile: %s", pidfile_path, strerror(n)) < 0)
			*err = NULL;
		return -n;
	}
	if (fcntl(fd, F_SETLK, &lk) < 0) {
		n = errno;
		fcntl(fd, F_GETLK, &lk);
		if (asprintf(err, "%s: pidfile is locked by another vireo-dp (pid %d)",
				pidfile_path, (int)lk.l_pid) < 0)
			*err = NULL;
		close(fd);
		free(pidfile_path);
		pidfile_path = NULL;
		return -n;
	}
	n = pidfile_write(fd);
	if (n < 0) {
		if (asprintf(err, "%s: cannot write pidfile: %s", pidfile_path, strerror(-n)) < 0)
			*err = NULL;
		/* Locked, so ours: a pidfile naming no pid would mislead whoever reads it. */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			unlink(pidfile_path);
		close(fd);
		free(pidfile_path);
		pidfile_path = NULL;
		return n;
	}
	pidfile_fd = fd;
	atexit(daemon_fini);
	return 0;
}

void
daemon_ready(void)
{
	static bool done;
	int fd;

	if (done)
		return;
	done = true;
	if (ready_fd >= 0) {
		ssize_t n = write(ready_fd, "", 1);

		(void)n;
		close(ready_fd);
		ready_fd = -1;
	}
	if (!detaching)
		return;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	vlog_detached();
	if (!no_chdir && chdir("/") < 0)
		vlog_msg(VLM_DATAPLANE, VLL_WARN, "chdir /: %s", strerror(errno));
}

void
daemon_fini(void)
{
	if (pidfile_path != NULL && pidfile_fd >= 0)
		unlink(pidfile_path);
	if (pidfile_fd >= 0)
		close(pidfile_fd);
	pidfile_fd = -1;
	free(pidfile_path);
	pidfile_path = NULL;
}
