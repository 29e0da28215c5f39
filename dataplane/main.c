/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vireo-dp: command line, start-up, the main thread's event loop, clean shutdown.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "control.h"
#include "daemon.h"
#include "dp.h"
#include "flowtab.h"
#include "ovsdb.h"
#include "ofconn.h"
#include "ovsdb_glue.h"
#include "vlog.h"


extern bool dp_exit_requested;

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: vireo-dp --config FILE [OPTIONS] [--check]\n"
		"       vireo-dp --ovsdb[=REMOTE] [OPTIONS]\n"
		"\n"
		"  -c, --config FILE     YAML configuration (OVSDB's names: other_config, bridges)\n"
		"      --ovsdb[=REMOTE]  take ovs-vswitchd's place under Open vSwitch's ovsdb-server:\n"
		"                        REMOTE is unix:PATH or tcp:IP:PORT (default\n"
		"                        " VOVSDB_DEFAULT_REMOTE ")\n"
		"  -C, --control, --unixctl SOCKET\n"
		"                        control socket (default, as ovs-vswitchd's:\n"
		"                        $OVS_RUNDIR/ovs-vswitchd.PID.ctl, OVS_RUNDIR defaulting\n"
		"                        to /var/run/openvswitch)\n"
		"      --pidfile[=FILE]  write the daemon's pid to FILE (default\n"
		"                        $OVS_RUNDIR/ovs-vswitchd.pid; relative: in OVS_RUNDIR)\n"
		"      --detach          run in the background once ready\n"
		"      --monitor         restart the daemon when it crashes\n"
		"      --no-chdir        with --detach, keep the working directory\n"
		"      --log-file[=FILE] log to FILE (default $OVS_LOGDIR/ovs-vswitchd.log,\n"
		"                        OVS_LOGDIR defaulting to /var/log/openvswitch)\n"
		"  -v, --verbose[=SPEC]  set log levels: MODULE:DESTINATION:LEVEL (vlog/set)\n"
		"      --openflow-rundir DIR\n"
		"                        where BRIDGE.mgmt, the OpenFlow socket of ovs-ofctl, is\n"
		"                        made (default other_config:openflow-rundir, $OVS_RUNDIR,\n"
		"                        /var/run/openvswitch)\n"
		"      --check           validate the configuration and exit (0 good, 2 bad)\n"
		"  -V, --version         print the version\n"
		"  -h, --help            this text\n"
		"\n"
		"Signals: SIGTERM/SIGINT stop cleanly; SIGHUP reopens the log file and reloads FILE,\n"
		"applying the change (with --ovsdb ovsdb-server's changes apply as they come).\n");
}

struct check_ports {
	const struct vconf_bridge *b;
};

static int
check_by_name(void *aux, const char *name, uint32_t *ofport)
{
	const struct vconf_bridge *b = aux;

	for (size_t i = 0; i < b->n_ports; i++) {
		if (strcmp(b->ports[i].name, name) == 0) {
			*ofport = (uint32_t)(i + 1);
			return 0;
		}
	}
	return -ENOENT;
}

static const char *
check_name(void *aux, uint32_t ofport)
{
	const struct vconf_bridge *b = aux;

	return ofport >= 1 && ofport <= b->n_ports ? b->ports[ofport - 1].name : NULL;
}

/* Parse every bridge's flows without touching the dataplane (before EAL, for --check). */
static int
check_flows(const struct vconf *cfg, char **err)
{
	for (size_t i = 0; i < cfg->n_bridges; i++) {
		const struct vconf_bridge *b = &cfg->bridges[i];
		struct flowtab_port_ops ops = { check_by_name, check_name, (void *)b };
		struct flowtab *ft;
		const char **texts;
		int *lines, rc;

		if (b->n_flows == 0)
			continue;
		ft = flowtab_create(b->name, &ops, NULL);
		texts = calloc(b->n_flows, sizeof(*texts));
		lines = calloc(b->n_flows, sizeof(*lines));
		if (ft == NULL || texts == NULL || lines == NULL) {
			*err = strdup("out of memory checking flows");
			rc = -ENOMEM;
		} else {
			for (size_t k = 0; k < b->n_flows; k++) {
				texts[k] = b->flows[k].text;
				lines[k] = b->flows[k].line;
			}
			rc = flowtab_add_flows(ft, texts, lines, b->n_flows, cfg->source, err);
		}
		free(texts);
		free(lines);
		if (ft)
			flowtab_destroy(ft);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * The control socket: 'arg' (made absolute, as the daemon may leave its directory), or
 * ovs-vswitchd's default, where ovs-appctl without -t looks (malloc'd; exits when out of
 * memory, before anything started).
 */
static char *
control_path(const char *arg)
{
	char cwd[4096], *s;
	int n;

	if (arg != NULL && arg[0] == '/')
		n = asprintf(&s, "%s", arg);
	else if (arg != NULL)
		n = asprintf(&s, "%s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : ".", arg);
	else
		n = asprintf(&s, "%s/ovs-vswitchd.%d.ctl", daemon_rundir(), (int)getpid());
	if (n < 0) {
		fprintf(stderr, "vireo-dp: out of memory\n");
		exit(1);
	}
	return s;
}

static int
make_parent_dir(const char *path)
{
	char dir[256];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Print "FILE:LINE: warning: ..." for each line of 'text' (consumed). */
static void
print_warnings(const char *file, int line, char *text, bool all_lines)
{
	for (char *save = NULL, *l = text ? strtok_r(text, "\n", &save) : NULL; l != NULL;
			l = strtok_r(NULL, "\n", &save)) {
		if (all_lines)
			printf("%s:%d: warning: %s\n", file, line, l);
		else
			dp_log("%s:%d: warning: %s", file, line, l);
	}
	free(text);
}

/*
 * What a valid YAML file sets that vireo-dp accepts without applying: other_config keys
 * always ('check' false: to the log, where ports and bridges say their own when added);
 * with 'check' (--check) bridges and ports too, on stdout.
 */
static void
yaml_warnings(const struct vconf *c, bool check)
{
	for (size_t i = 0; i < c->other_config.n; i++) {
		char *msg = NULL;

		if (vconf_check_other_config(&c->other_config.kv[i], &msg) == 1)
			print_warnings(c->source, c->other_config.kv[i].line, msg, check);
		else
			free(msg);
	}
	for (size_t b = 0; check && b < c->n_bridges; b++) {
		char *err = NULL, *warn = NULL;

		vconf_check_bridge(&c->bridges[b], &err, &warn);
		free(err);
		print_warnings(c->source, c->bridges[b].line, warn, true);
		for (size_t k = 0; k < c->bridges[b].n_ports; k++)
			print_warnings(c->source, c->bridges[b].ports[k].line,
				vconf_port_warnings(&c->bridges[b].ports[k]), true);
	}
}

static void
reload(struct dp *dp, const char *path)
{
	struct vconf cfg = { 0 };
	char *err = NULL;

	if (vconf_load_yaml(path, &cfg, &err) < 0 || check_flows(&cfg, &err) < 0) {
		dp_log("reload of %s refused, running configuration kept: %s", path, err);
		free(err);
		if (cfg.source)
			vconf_free(&cfg);
		return;
	}
	if (dp_reconfigure(dp, &cfg, &err) < 0) {
		dp_log("reload of %s: %s", path, err ? err : "failed");
		free(err);
	} else {
		dp_log("reloaded %s", path);
	}
	vconf_free(&cfg);
}

static void
reopen_log(void)
{
	char *err = NULL;

	if (vlog_reopen(&err) < 0)
		dp_log("%s", err ? err : "cannot reopen the log file");
	free(err);
}

/* Signals (SIGTERM, SIGINT, SIGHUP) as a signalfd; they are blocked before threads start. */
static int
signals_fd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

/*
 * Act on the signals waiting in 'sfd': SIGHUP reopens the log file and, when 'dp' runs from
 * a YAML file ('config_path' not NULL), reloads it; SIGTERM and SIGINT stop vireo-dp.
 */
static void
read_signals(int sfd, struct dp *dp, const char *config_path)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reopen_log();
			if (dp != NULL && config_path != NULL)
				reload(dp, config_path);
		} else {
			dp_log("signal %u: stopping", si.ssi_signo);
			dp_exit_requested = true;
		}
	}
}

/*
 * The main thread's loop: control socket, signals, a 1 s timer, the OpenFlow sockets, and
 * with --ovsdb the OVSDB client's descriptor ('o' may be NULL; 'config_path' is NULL with
 * --ovsdb).
 */
static int
event_loop(struct dp *dp, struct control_server *ctl, const char *config_path,
		struct dp_ovsdb *o, int sfd, struct dp_ofconn *ofc)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	int ofd = o != NULL ? dp_ovsdb_fd(o) : -1;
	uint64_t of_wait = 0;

	timerfd_settime(tfd, 0, &its, NULL);

	struct epoll_event ev = { .events = EPOLLIN };

	ev.data.fd = control_server_fd(ctl);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	if (ofd >= 0) {
		ev.data.fd = ofd;
		epoll_ctl(ep, EPOLL_CTL_ADD, ofd, &ev);
	}
	ev.data.fd = dp_ofconn_fd(ofc);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	dp_ofconn_sync(ofc);

	while (!dp_exit_requested) {
		struct epoll_event evs[8];
		int timeout = o != NULL ? dp_ovsdb_timeout_ms(o) : 1000;
		int n;

		if (timeout < 0 || (uint64_t)timeout > of_wait)
			timeout = (int)of_wait;
		n = epoll_wait(ep, evs, 8, timeout);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				read_signals(sfd, dp, config_path);
			} else if (fd == tfd) {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) > 0) {
					dp_run_periodic(dp);
					dp_coverage_run(dp);
					if (o != NULL)
						dp_ovsdb_periodic(o);
				}
			} else if (fd == ofd) {
				continue;
			} else if (fd == dp_ofconn_fd(ofc)) {
				dp_ofconn_run(ofc);
			} else {
				control_server_run(ctl);
			}
		}
		if (o != NULL)
			dp_ovsdb_run(o);
		/* Bridges may have come or gone (reload, OVSDB, add-port): follow them. */
		dp_ofconn_sync(ofc);
		of_wait = dp_ofconn_tick(ofc);
	}
	close(ep);
	close(tfd);
	return 0;
}

enum ovsdb_wait_end {
	OVSDB_WAIT_DPDK,	/* a configuration asks for DPDK */
	OVSDB_WAIT_STOP,	/* a signal or the exit command */
	OVSDB_WAIT_FAILED,	/* the client gave up (message printed) */
};

/*
 * --ovsdb before the dataplane runs: the OVSDB client, the control socket and signals, until
 * a configuration asks for DPDK or vireo-dp must stop.  As ovs-vswitchd, the daemon is
 * ready (--detach returns) once the first configuration is answered, with or without DPDK.
 */
static enum ovsdb_wait_end
ovsdb_wait(struct dp_ovsdb *o, struct control_server *ctl, int sfd)
{
	struct pollfd pfd[3] = {
		{ .fd = dp_ovsdb_fd(o), .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
		{ .fd = control_server_fd(ctl), .events = POLLIN },
	};

	while (!dp_exit_requested) {
		dp_ovsdb_run(o);
		if (dp_ovsdb_failed(o))
			return OVSDB_WAIT_FAILED;
		if (dp_ovsdb_wants_dpdk(o))
			return OVSDB_WAIT_DPDK;
		if (dp_ovsdb_configured(o))
			daemon_ready();
		if (poll(pfd, 3, dp_ovsdb_timeout_ms(o)) < 0 && errno != EINTR) {
			fprintf(stderr, "vireo-dp: poll: %s\n", strerror(errno));
			return OVSDB_WAIT_FAILED;
		}
		if (pfd[1].revents & POLLIN)
			read_signals(sfd, NULL, NULL);
		if (pfd[2].revents & POLLIN)
			control_server_run(ctl);
	}
	return OVSDB_WAIT_STOP;
}

/*
 * The control socket, before anything that takes time, with the commands that need no
 * dataplane (exit and the vlog commands); NULL after a message.  '*path' is set
 * (malloc'd) either way.
 */
static struct control_server *
control_start(const char *arg, char **path)
{
	struct control_server *ctl;
	char *err = NULL;

	*path = control_path(arg);
	make_parent_dir(*path);
	ctl = control_server_create(*path, &err);
	if (ctl == NULL) {
		fprintf(stderr, "vireo-dp: control socket %s: %s\n", *path, err ? err : "failed");
		free(err);
		return NULL;
	}
	dp_exit_command_register();
	vlog_commands_register();
	return ctl;
}

/*
 * --ovsdb: connect and wait (before the EAL) for the lock and a configuration with
 * dpdk-init.  Returns 0 with '*out' ready, or the process exit status.
 */
static int
ovsdb_start(const char *remote, struct control_server *ctl, int sfd, struct dp_ovsdb **out)
{
	struct dp_ovsdb *o;
	char *err = NULL;

	o = dp_ovsdb_create(remote, &err);
	if (o == NULL) {
		fprintf(stderr, "vireo-dp: %s\n", err ? err : "cannot create the OVSDB client");
		free(err);
		return 2;
	}
	dp_log("ovsdb: waiting for the lock ovs_vswitchd and the first configuration");
	switch (ovsdb_wait(o, ctl, sfd)) {
	case OVSDB_WAIT_DPDK:
		*out = o;
		return 0;
	case OVSDB_WAIT_STOP:
		dp_log("stopping before DPDK was initialised");
		dp_ovsdb_destroy(o);
		return 0;
	default:
		dp_ovsdb_destroy(o);
		return 2;
	}
}

/* The EAL's arguments: rte_eal_init() permutes 'argv' and reuses its slots, so 'strings'
 * keeps them to free. */
struct eal_args {
	int argc;
	char **argv;
	char **strings;
};

/*
 * rte_eal_init() with the arguments of 'cfg' (dp_eal_args()).  rte_eal_init() pins this
 * thread to the main lcore; like ovs-vswitchd, give the main thread its old affinity back
 * after it, so that control work (OVSDB, vireoctl) is not queued behind whatever else runs
 * on that one core.  Returns 0, or -1 with why in '*err' (malloc'd, may be NULL).
 */
static int
eal_start(const struct vconf *cfg, struct eal_args *eal, char **err)
{
	cpu_set_t cpus;

	sched_getaffinity(0, sizeof(cpus), &cpus);
	if (dp_eal_args(cfg, &eal->argc, &eal->argv, err) < 0)
		return -1;
	eal->strings = calloc((size_t)eal->argc + 1, sizeof(char *));
	if (eal->strings == NULL) {
		*err = strdup("out of memory");
		return -1;
	}
	memcpy(eal->strings, eal->argv, (size_t)eal->argc * sizeof(char *));
	if (rte_eal_init(eal->argc, eal->argv) < 0) {
		*err = strdup(rte_strerror(rte_errno));
		return -1;
	}
	pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	return 0;
}

static void
eal_args_free(struct eal_args *eal)
{
	for (int i = 0; eal->strings != NULL && i < eal->argc; i++)
		free(eal->strings[i]);
	free(eal->strings);
	free(eal->argv);
}

/*
 * The EAL failed ('why'): with --ovsdb and dpdk-init=try, as ovs-vswitchd, go on without
 * DPDK until stopped, answering every configuration; else (dpdk-init=true, YAML) give up.
 * Returns the process exit status.
 */
static int
eal_failed(struct dp_ovsdb *o, struct control_server *ctl, int sfd, const char *why)
{
	if (o == NULL || !dp_ovsdb_dpdk_failed(o, why)) {
		fprintf(stderr, "vireo-dp: cannot initialise DPDK: %s\n", why ? why : "failed");
		return 1;
	}
	switch (ovsdb_wait(o, ctl, sfd)) {
	case OVSDB_WAIT_STOP:
		dp_log("stopped (DPDK never ran)");
		return 0;
	default:
		return 1;
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "ovsdb", optional_argument, NULL, 'o' },
		{ "control", required_argument, NULL, 'C' },
		{ "unixctl", required_argument, NULL, 'C' },
		{ "pidfile", optional_argument, NULL, 'P' },
		{ "detach", no_argument, NULL, 'D' },
		{ "monitor", no_argument, NULL, 'M' },
		{ "no-chdir", no_argument, NULL, 'N' },
		{ "log-file", optional_argument, NULL, 'L' },
		{ "verbose", optional_argument, NULL, 'v' },
		{ "check", no_argument, NULL, 'k' },
		{ "openflow-rundir", required_argument, NULL, 'R' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL, *ctl_arg = NULL, *remote = NULL, *of_rundir = NULL;
	const char *log_file = NULL;
	char *ctl_path = NULL, *abs_config = NULL;
	bool check = false, use_ovsdb = false, want_log = false;
	struct daemon_opts dopt = { 0 };
	struct vconf yaml = { 0 };
	const struct vconf *cfg = &yaml;
	struct dp_ovsdb *o = NULL;
	struct dp dp;
	struct control_server *ctl;
	struct dp_ofconn *ofc;
	char *err = NULL;
	struct eal_args eal = { 0 };
	int opt, rc, sfd;

	while ((opt = getopt_long(argc, argv, "c:C:Vhv::", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'o':
			use_ovsdb = true;
			remote = optarg;
			break;
		case 'C':
			ctl_arg = optarg;
			break;
		case 'P':
			dopt.pidfile = optarg != NULL ? optarg : "";
			break;
		case 'D':
			dopt.detach = true;
			break;
		case 'M':
			dopt.monitor = true;
			break;
		case 'N':
			dopt.no_chdir = true;
			break;
		case 'L':
			want_log = true;
			log_file = optarg;
			break;
		case 'v':
			if (vlog_set_spec(optarg != NULL ? optarg : "dbg", &err) < 0) {
				fprintf(stderr, "vireo-dp: --verbose: %s\n", err ? err : "bad spec");
				return 2;
			}
			break;
		case 'k':
			check = true;
			break;
		case 'R':
			of_rundir = optarg;
			break;
		case 'V':
			printf("vireo-dp %s\n", VIREO_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* "--ovsdb REMOTE" as well as "--ovsdb=REMOTE" */
	if (use_ovsdb && remote == NULL && optind + 1 == argc && argv[optind][0] != '-')
		remote = argv[optind++];
	if (optind != argc || (config_path == NULL) == !use_ovsdb || (check && use_ovsdb)) {
		fprintf(stderr, "vireo-dp: %s\n", optind != argc ? "unexpected argument" :
			check && use_ovsdb ? "--check needs --config FILE" :
			use_ovsdb ? "--config and --ovsdb are mutually exclusive" :
			"--config FILE or --ovsdb[=REMOTE] is required");
		usage(stderr);
		return 2;
	}
	if (want_log && vlog_set_log_file(log_file, &err) < 0) {
		fprintf(stderr, "vireo-dp: --log-file: %s\n", err ? err : "cannot open");
		return 2;
	}
	/* After --detach the daemon runs in '/': keep the file it reloads on SIGHUP. */
	if (config_path != NULL && !check && dopt.detach && !dopt.no_chdir) {
		abs_config = realpath(config_path, NULL);
		if (abs_config != NULL)
			config_path = abs_config;
	}
	/*
	 * SIGPIPE is ignored: a vhost-user frontend may hand a pipe with no reader as a ring's
	 * call fd, and --detach's parent may be gone when a restarted daemon says it is ready.
	 * Fork before anything else starts: DPDK's threads do not survive a fork.
	 */
	signal(SIGPIPE, SIG_IGN);
	if (!check && (dopt.detach || dopt.monitor) && daemon_start(&dopt) < 0) {
		fprintf(stderr, "vireo-dp: cannot start the daemon: %s\n", strerror(errno));
		return 1;
	}
	if (config_path != NULL && (vconf_load_yaml(config_path, &yaml, &err) < 0 ||
			check_flows(&yaml, &err) < 0)) {
		fprintf(stderr, "vireo-dp: %s\n", err ? err : "invalid configuration");
		return 2;
	}
	if (config_path != NULL)
		yaml_warnings(&yaml, check);
	if (check) {
		printf("%s: configuration OK (%zu bridges)\n", config_path, yaml.n_bridges);
		vconf_free(&yaml);
		return 0;
	}

	if (daemon_pidfile_create(&dopt, &err) < 0) {
		fprintf(stderr, "vireo-dp: %s\n", err ? err : "cannot create the pidfile");
		return 2;
	}
	/* Signals are read from a signalfd; block them before threads start. */
	sfd = signals_fd();
	ctl = control_start(ctl_arg, &ctl_path);
	if (ctl == NULL) {
		daemon_fini();
		return 2;
	}
	if (use_ovsdb) {
		rc = ovsdb_start(remote, ctl, sfd, &o);
		cfg = o != NULL ? dp_ovsdb_startup_config(o) : NULL;
		if (cfg == NULL) {
			if (o != NULL) {
				fprintf(stderr, "vireo-dp: out of memory\n");
				rc = 1;
			}
			goto err_control;
		}
	}
	vlog_take_dpdk_log();
	if (eal_start(cfg, &eal, &err) < 0) {
		rc = eal_failed(o, ctl, sfd, err);
		free(err);
		eal_args_free(&eal);
		goto err_control;
	}
	dp_mempool_configure(vconf_map_get(&cfg->other_config, "dpdk-socket-mem"));
	rc = dp_init(&dp, cfg, &err);
	if (rc < 0) {
		fprintf(stderr, "vireo-dp: %s\n", err ? err : "cannot start");
		control_server_destroy(ctl);
		dp_ovsdb_destroy(o);
		rte_eal_cleanup();
		return rc == -EINVAL ? 2 : 1;
	}
	dp_commands_register(&dp);
	if (o != NULL) {
		dp_ovsdb_attach(o, &dp);
	} else if (dp_reconfigure(&dp, cfg, &err) < 0) {
		dp_log("configuration not fully applied: %s", err ? err : "failed");
		free(err);
		err = NULL;
	}
	ofc = dp_ofconn_create(&dp, of_rundir);
	if (ofc == NULL) {
		fprintf(stderr, "vireo-dp: out of memory creating the OpenFlow sockets\n");
		dp_ovsdb_destroy(o);
		dp_fini(&dp);
		control_server_destroy(ctl);
		rte_eal_cleanup();
		return 1;
	}
	if (o != NULL)
		dp_ofconn_set_report(ofc, dp_ovsdb_report_controller, o);
	dp_log("running: %u PMD thread(s), control socket %s", dp.n_pmds, ctl_path);
	daemon_ready();
	event_loop(&dp, ctl, config_path, o, sfd, ofc);
	dp_ofconn_destroy(ofc);

	rc = o != NULL && dp_ovsdb_failed(o) ? 1 : 0;
	dp_ovsdb_destroy(o);
	dp_fini(&dp);
	control_server_destroy(ctl);
	control_commands_clear();
	vconf_free(&yaml);
	rte_eal_cleanup();
	eal_args_free(&eal);
	close(sfd);
	daemon_fini();
	dp_log("stopped");
	free(ctl_path);
	free(abs_config);
	return rc;

	/* Before DPDK runs: the OVSDB connection (if any), the control server, the daemon. */
err_control:
	dp_ovsdb_destroy(o);
	control_server_destroy(ctl);
	control_commands_clear();
	close(sfd);
	daemon_fini();
	free(ctl_path);
	free(abs_config);
	return rc;
}
