/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vireo-dp: command line, start-up, the main thread's event loop, clean shutdown.
 */
#include <errno.h>
#include <getopt.h>
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
#include "dp.h"
#include "flowtab.h"

#define DEFAULT_CTL "/run/vireo/vireo-dp.ctl"

extern bool dp_exit_requested;

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: vireo-dp --config FILE [--control SOCKET] [--check]\n"
		"\n"
		"  -c, --config FILE     YAML configuration (OVSDB's names: other_config, bridges)\n"
		"  -C, --control SOCKET  control socket (default " DEFAULT_CTL ")\n"
		"      --check           validate the configuration and exit (0 good, 2 bad)\n"
		"  -V, --version         print the version\n"
		"  -h, --help            this text\n"
		"\n"
		"Signals: SIGTERM/SIGINT stop cleanly; SIGHUP reloads FILE and applies the change.\n");
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

static void
reload(struct dp *dp, const char *path)
{
	struct vconf cfg;
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

static int
event_loop(struct dp *dp, struct control_server *ctl, const char *config_path)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	sigset_t mask;
	int sfd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	timerfd_settime(tfd, 0, &its, NULL);

	struct epoll_event ev = { .events = EPOLLIN };

	ev.data.fd = control_server_fd(ctl);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);

	while (!dp_exit_requested) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, 1000);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						reload(dp, config_path);
					} else {
						dp_log("signal %u: stopping", si.ssi_signo);
						dp_exit_requested = true;
					}
				}
			} else if (fd == tfd) {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) > 0)
					dp_run_periodic(dp);
			} else {
				control_server_run(ctl);
			}
		}
	}
	close(ep);
	close(tfd);
	close(sfd);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "control", required_argument, NULL, 'C' },
		{ "check", no_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL, *ctl_path = DEFAULT_CTL;
	bool check = false;
	struct vconf cfg;
	struct dp dp;
	struct control_server *ctl;
	char *err = NULL;
	int eal_argc, opt, rc;
	char **eal_argv;
	sigset_t mask;

	while ((opt = getopt_long(argc, argv, "c:C:Vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'C':
			ctl_path = optarg;
			break;
		case 'k':
			check = true;
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
	if (config_path == NULL || optind != argc) {
		fprintf(stderr, "vireo-dp: %s\n", config_path ? "unexpected argument" :
			"--config FILE is required");
		usage(stderr);
		return 2;
	}
	if (vconf_load_yaml(config_path, &cfg, &err) < 0 || check_flows(&cfg, &err) < 0) {
		fprintf(stderr, "vireo-dp: %s\n", err ? err : "invalid configuration");
		return 2;
	}
	if (check) {
		printf("%s: configuration OK (%zu bridges)\n", config_path, cfg.n_bridges);
		vconf_free(&cfg);
		return 0;
	}

	/* Signals are read from a signalfd in the loop; block them before threads start. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);

	make_parent_dir(ctl_path);
	ctl = control_server_create(ctl_path, &err);
	if (ctl == NULL) {
		fprintf(stderr, "vireo-dp: control socket %s: %s\n", ctl_path, err ? err : "failed");
		return 2;
	}
	if (dp_eal_args(&cfg, &eal_argc, &eal_argv, &err) < 0 ||
			rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "vireo-dp: cannot initialise DPDK: %s\n",
			err ? err : rte_strerror(rte_errno));
		control_server_destroy(ctl);
		return 1;
	}
	rc = dp_init(&dp, &cfg, &err);
	if (rc < 0) {
		fprintf(stderr, "vireo-dp: %s\n", err ? err : "cannot start");
		control_server_destroy(ctl);
		rte_eal_cleanup();
		return rc == -EINVAL ? 2 : 1;
	}
	dp_commands_register(&dp);
	rc = dp_reconfigure(&dp, &cfg, &err);
	if (rc < 0) {
		dp_log("configuration not fully applied: %s", err ? err : "failed");
		free(err);
		err = NULL;
	}
	dp_log("running: %u PMD thread(s), control socket %s", dp.n_pmds, ctl_path);
	event_loop(&dp, ctl, config_path);

	dp_fini(&dp);
	control_server_destroy(ctl);
	control_commands_clear();
	vconf_free(&cfg);
	rte_eal_cleanup();
	for (int i = 0; i < eal_argc; i++)
		free(eal_argv[i]);
	free(eal_argv);
	dp_log("stopped");
	return 0;
}
