/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vireo-dp's log: modules, levels, destinations, the log file and its rotation (vlog.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "control.h"
#include "coverage.h"
#include "vlog.h"

enum vlog_dest {
	VLD_CONSOLE,
	VLD_SYSLOG,
	VLD_FILE,
	VLD_N_DESTS,
};

static const char *const level_names[VLL_N_LEVELS] = {
	"off", "emer", "err", "warn", "info", "dbg",
};
static const char *const dest_names[VLD_N_DESTS] = { "console", "syslog", "file" };
static const char *const module_names[VLM_N_MODULES] = { "dataplane", "dpdk" };
static const int syslog_prio[VLL_N_LEVELS] = {
	LOG_DEBUG, LOG_ALERT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG,
};

/*
 * Levels are read without the lock by vlog_msg() on any thread (a racy read only decides
 * whether one message is written); they are written by the main thread.  The rest is under
 * 'vlog_mutex'.
 */
static volatile enum vlog_level levels[VLM_N_MODULES][VLD_N_DESTS] = {
	[VLM_DATAPLANE] = { VLL_INFO, VLL_OFF, VLL_INFO },
	[VLM_DPDK] = { VLL_INFO, VLL_OFF, VLL_INFO },
};
static pthread_mutex_t vlog_mutex = PTHREAD_MUTEX_INITIALIZER;
static char *log_path;
static int log_fd = -1;
static bool detached;
static unsigned long seqno;
static bool syslog_open;

static int
word_index(const char *w, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (names[i] != NULL && strcasecmp(w, names[i]) == 0)
			return i;
	return -1;
}

/* Write all of 'len' bytes of 's' to 'fd', ignoring failures (nowhere to report them). */
static void
write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

void
vlog_msg_va(enum vlog_module module, enum vlog_level level, const char *fmt, va_list ap)
{
	enum vlog_level *lv = (enum vlog_level *)levels[module];
	bool to_console = !detached && level <= lv[VLD_CONSOLE];
	bool to_syslog = level <= lv[VLD_SYSLOG];
	bool to_file = log_fd >= 0 && level <= lv[VLD_FILE];
	struct timespec ts;
	struct tm tm;
	char when[32], *text, *line;
	int n;

	if (level == VLL_OFF || !(to_console || to_syslog || to_file))
		return;
	if (vasprintf(&text, fmt, ap) < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	pthread_mutex_lock(&vlog_mutex);
	seqno++;
	if (to_console) {
		n = asprintf(&line, "%s.%03ldZ vireo-dp: %s\n", when, ts.tv_nsec / 1000000, text);
		if (n > 0) {
			write_all(STDERR_FILENO, line, (size_t)n);
			free(line);
		}
	}
	if (to_file && log_fd >= 0) {
		n = asprintf(&line, "%s.%03ldZ|%05lu|%s|%s|%s\n", when, ts.tv_nsec / 1000000, seqno,
			module_names[module], level == VLL_DBG ? "DBG" : level == VLL_INFO ? "INFO" :
			level == VLL_WARN ? "WARN" : level == VLL_ERR ? "ERR" : "EMER", text);
		if (n > 0) {
			write_all(log_fd, line, (size_t)n);
			free(line);
		}
	}
	if (to_syslog) {
		if (!syslog_open) {
			openlog("vireo-dp", LOG_NDELAY, LOG_DAEMON);
			syslog_open = true;
		}
		syslog(syslog_prio[level], "%05lu|%s|%s", seqno, module_names[module], text);
	}
	pthread_mutex_unlock(&vlog_mutex);
	free(text);
}

void
vlog_msg(enum vlog_module module, enum vlog_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_msg_va(module, level, fmt, ap);
	va_end(ap);
}

int
vlog_set_spec(const char *spec, char **err)
{
	int module = -1, dest = -1, level = -1;
	char *copy = strdup(spec), *save = NULL;

	*err = NULL;
	if (copy == NULL)
		return -ENOMEM;
	for (char *w = strtok_r(copy, ": \t", &save); w != NULL; w = strtok_r(NULL, ": \t", &save)) {
		int i;

		if (strcasecmp(w, "any") == 0)
			continue;
		if ((i = word_index(w, dest_names, VLD_N_DESTS)) >= 0 && dest < 0) {
			dest = i;
		} else if ((i = word_index(w, level_names, VLL_N_LEVELS)) >= 0 && level < 0) {
			level = i;
		} else if ((i = word_index(w, module_names, VLM_N_MODULES)) >= 0 && module < 0) {
			module = i;
		} else {
			*err = control_strf("no destination, level, or module \"%s\"", w);
			free(copy);
			return -EINVAL;
		}
	}
	free(copy);
	if (level < 0)
		level = VLL_DBG;
	for (int m = 0; m < VLM_N_MODULES; m++)
		for (int d = 0; d < VLD_N_DESTS; d++)
			if ((module < 0 || m == module) && (dest < 0 || d == dest))
				levels[m][d] = (enum vlog_level)level;
	return 0;
}

static int
open_log(const char *path, char **err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	if (fd < 0) {
		*err = control_strf("could not open log file %s: %s", path, strerror(errno));
		return -errno;
	}
	return fd;
}

/* Swap in 'fd' as the log file (and as stderr when detached). */
static void
install_log_fd(int fd)
{
	pthread_mutex_lock(&vlog_mutex);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	if (detached)
		dup2(fd, STDERR_FILENO);
	pthread_mutex_unlock(&vlog_mutex);
}

int
vlog_set_log_file(const char *path, char **err)
{
	const char *dir = getenv("OVS_LOGDIR");
	char *full;
	int fd;

	*err = NULL;
	if (dir == NULL || dir[0] == '\0')
		dir = "/var/log/openvswitch";
	if (path == NULL || path[0] == '\0')
		full = control_strf("%s/ovs-vswitchd.log", dir);
	else if (path[0] == '/')
		full = strdup(path);
	else
		full = control_strf("%s/%s", dir, path);
	if (full == NULL)
		return -ENOMEM;
	fd = open_log(full, err);
	if (fd < 0) {
		free(full);
		return fd;
	}
	install_log_fd(fd);
	free(log_path);
	log_path = full;
	vlog_msg(VLM_DATAPLANE, VLL_INFO, "opened log file %s", log_path);
	return 0;
}

const char *
vlog_log_file(void)
{
	return log_path;
}

int
vlog_reopen(char **err)
{
	int fd;

	*err = NULL;
	if (log_path == NULL)
		return 0;
	fd = open_log(log_path, err);
	if (fd < 0)
		return fd;
	install_log_fd(fd);
	coverage_inc(COV_VLOG_REOPEN);
	vlog_msg(VLM_DATAPLANE, VLL_INFO, "opened log file %s", log_path);
	return 0;
}

void
vlog_detached(void)
{
	int fd = log_fd >= 0 ? log_fd : open("/dev/null", O_WRONLY | O_CLOEXEC);

	detached = true;
	if (fd >= 0)
		dup2(fd, STDERR_FILENO);
	if (fd >= 0 && fd != log_fd)
		close(fd);
}

/*
 * DPDK's log stream: complete lines go to the "dpdk" module at rte_log's level.  DPDK logs
 * from any thread (PMDs, vhost-user, interrupts): each keeps its own partial line.
 */
static __thread char dpdk_line[1024];
static __thread size_t dpdk_len;

static enum vlog_level
dpdk_level(void)
{
	int l = rte_log_cur_msg_loglevel();

	return l <= (int)RTE_LOG_CRIT ? VLL_EMER : l == RTE_LOG_ERR ? VLL_ERR :
		l == RTE_LOG_WARNING ? VLL_WARN : l == RTE_LOG_DEBUG ? VLL_DBG : VLL_INFO;
}

static ssize_t
dpdk_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	for (size_t i = 0; i < size; i++) {
		bool full = dpdk_len == sizeof(dpdk_line) - 1;

		if (buf[i] != '\n' && !full) {
			dpdk_line[dpdk_len++] = buf[i];
			continue;
		}
		dpdk_line[dpdk_len] = '\0';
		if (dpdk_len > 0)
			vlog_msg(VLM_DPDK, dpdk_level(), "%s", dpdk_line);
		dpdk_len = 0;
		if (full && buf[i] != '\n')
			dpdk_line[dpdk_len++] = buf[i];
	}
	return (ssize_t)size;
}

void
vlog_take_dpdk_log(void)
{
	static const cookie_io_functions_t io = { .write = dpdk_write };
	FILE *f = fopencookie(NULL, "w", io);

	if (f == NULL)
		return;
	setvbuf(f, NULL, _IONBF, 0);
	rte_openlog_stream(f);
}

static void
cmd_vlog_list(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct control_buf b = { 0 };
	char *s;

	(void)argc;
	(void)argv;
	(void)aux;
	control_buf_printf(&b, "                 console    syslog    file\n"
		"                 -------    ------    ------\n");
	for (int m = 0; m < VLM_N_MODULES; m++) {
		char lv[VLD_N_DESTS][8];

		for (int d = 0; d < VLD_N_DESTS; d++) {
			size_t k;

			for (k = 0; level_names[levels[m][d]][k] != '\0'; k++)
				lv[d][k] = (char)(level_names[levels[m][d]][k] & ~0x20);
			lv[d][k] = '\0';
		}
		control_buf_printf(&b, "%-16s  %4s       %4s       %4s\n", module_names[m], lv[0],
			lv[1], lv[2]);
	}
	s = control_buf_steal(&b);
	control_reply(conn, s);
	free(s);
}

static void
cmd_vlog_set(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	enum vlog_level saved[VLM_N_MODULES][VLD_N_DESTS];
	char *err = NULL;

	(void)aux;
	/* A bad spec changes nothing, even after good ones. */
	memcpy(saved, (void *)levels, sizeof(saved));
	for (int i = 1; i < argc; i++) {
		if (vlog_set_spec(argv[i], &err) < 0) {
			memcpy((void *)levels, saved, sizeof(saved));
			control_reply_error(conn, err ? err : "out of memory");
			free(err);
			return;
		}
	}
	control_reply(conn, "");
}

static void
cmd_vlog_reopen(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	char *err = NULL;

	(void)argc;
	(void)argv;
	(void)aux;
	if (log_path == NULL) {
		control_reply_error(conn, "Logging to file not configured");
		return;
	}
	if (vlog_reopen(&err) < 0)
		control_reply_error(conn, err ? err : "cannot reopen the log file");
	else
		control_reply(conn, "");
	free(err);
}

static void
cmd_vlog_close(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	(void)argc;
	(void)argv;
	(void)aux;
	pthread_mutex_lock(&vlog_mutex);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	pthread_mutex_unlock(&vlog_mutex);
	control_reply(conn, "");
}

void
vlog_commands_register(void)
{
	control_command_register("vlog/list", "", 0, 0, cmd_vlog_list, NULL);
	control_command_register("vlog/set", "{spec | module:destination:level}", 1, 16,
		cmd_vlog_set, NULL);
	control_command_register("vlog/reopen", "", 0, 0, cmd_vlog_reopen, NULL);
	control_command_register("vlog/close", "", 0, 0, cmd_vlog_close, NULL);
}
