/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tiny daemon for tests/control/appctl.sh: serves a few commands on the socket given as
 * its argument until "exit", SIGTERM or SIGINT.
 */
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "test_cmds.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
cmd_pmd_stats_show(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	(void)argc;
	(void)argv;
	(void)aux;
	control_reply(conn, "pmd thread numa_id 0 core_id 1:\n"
		"  packets received: 42\n"
		"  avg processing cycles per packet: 208.22 (8745/42)\n");
}

static void
cmd_exit(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	(void)argc;
	(void)argv;
	(void)aux;
	stop = 1;
	control_reply(conn, NULL);
}

int
main(int argc, char *argv[])
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct control_server *srv;
	char *err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	control_command_register("dpif-netdev/pmd-stats-show", "[-pmd core] [dp]", 0, 3,
		cmd_pmd_stats_show, NULL);
	ctltest_register_common();
	control_command_register("exit", "", 0, 0, cmd_exit, NULL);
	srv = control_server_create(argv[1], &err);
	if (srv == NULL) {
		fprintf(stderr, "control_test_server: %s\n", err);
		free(err);
		return 2;
	}
	while (!stop) {
		struct pollfd pfd = { .fd = control_server_fd(srv), .events = POLLIN };

		if (poll(&pfd, 1, 200) > 0)
			control_server_run(srv);
	}
	control_server_destroy(srv);
	control_commands_clear();
	return 0;
}
