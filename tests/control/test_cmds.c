/* SPDX-License-Identifier: BSD-3-Clause */
/* Commands the control tests' servers share (test_cmds.h). */

#include <limits.h>
#include <stdlib.h>

#include <jansson.h>

#include "control.h"
#include "test_cmds.h"

static void
ctltest_cmd_echo(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct control_buf b = { 0 };
	char *s;

	(void)aux;
	for (int i = 1; i < argc; i++)
		control_buf_printf(&b, "%s%s", i > 1 ? " " : "", argv[i]);
	s = control_buf_steal(&b);
	control_reply(conn, s);
	free(s);
}

static void
ctltest_cmd_stats(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	(void)argc;
	(void)argv;
	(void)aux;
	control_reply_json(conn, json_pack("{s:i, s:s}", "packets", 42, "name", "pmd1"));
}

void
ctltest_register_common(void)
{
	control_command_register("echo", "[ARG...]", 0, INT_MAX, ctltest_cmd_echo, NULL);
	control_command_register("stats", "", 0, 0, ctltest_cmd_stats, NULL);
}
