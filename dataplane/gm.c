/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Groups and meters of the bridges: the vireoctl commands (ovs-ofctl's add-group ...
 * meter-stats, same syntax and output) and the port liveness that fast-failover and select
 * groups read, refreshed from the ports' link state by dp_run_periodic().  Main thread.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "dp.h"
#include "flowtab_gm.h"

void
dp_gm_liveness_run(struct dp *dp)
{
	uint32_t live[PORT_MAX_SLOTS];

	for (unsigned i = 0; i < dp->n_bridges; i++) {
		struct dp_bridge *br = dp->bridges[i];
		unsigned n = 0;

		for (unsigned k = 0; k < br->n_ports; k++) {
			struct dp_port *p = br->ports[k];

			if (p->error == NULL && p->ofport != UINT32_MAX && port_link_up(&p->port))
				live[n++] = p->ofport;
		}
		flowtab_set_live_ports(br->ft, live, n);
	}
}

static struct dp_bridge *
bridge_arg(struct control_conn *conn, struct dp *dp, const char *name)
{
	struct dp_bridge *br = dp_find_bridge(dp, name);

	if (br == NULL)
		control_reply_errorf(conn, "%s is not a bridge", name);
	return br;
}

static void
reply_rc(struct control_conn *conn, int rc, char *err)
{
	if (rc < 0)
		control_reply_error(conn, err ? err : strerror(-rc));
	else
		control_reply(conn, "");
	free(err);
}

/*
 * After a change of 'br's groups or meters: deleting one deletes the rules that use it (the
 * bridge may be left without rules, a MAC learning switch again), and a group's buckets
 * decide whether its rules only read packets (the snapshot's 'borrow').  The PMDs' snapshot
 * is made again, as after the same change over OpenFlow.
 */
static void
reply_published(struct control_conn *conn, struct dp *dp, struct dp_bridge *br, int rc,
		char *err)
{
	if (rc == 0)
		dp_bridge_publish(dp, br);
	reply_rc(conn, rc, err);
}

/* "--may-create" among the arguments after the bridge; returns the other one. */
static const char *
text_arg(int argc, const char *argv[], bool *may_create)
{
	const char *text = NULL;

	*may_create = false;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--may-create") == 0)
			*may_create = true;
		else
			text = argv[i];
	}
	return text;
}

/* add-group / mod-group ('aux' of the command: FLOWTAB_GM_ADD or _MODIFY). */
static void
group_mod(struct control_conn *conn, int argc, const char *argv[], struct dp *dp,
		enum flowtab_gm_command cmd)
{
	struct dp_bridge *br = bridge_arg(conn, dp, argv[1]);
	struct flowtab_group_spec *spec;
	enum flowtab_gm_error why;
	char *buf = NULL, *err = NULL;
	const char *text;
	bool may_create;
	int rc;

	if (br == NULL)
		return;
	text = text_arg(argc, argv, &may_create);
	if (text == NULL) {
		control_reply_error(conn, "a group is needed");
		return;
	}
	if (may_create && cmd == FLOWTAB_GM_MODIFY)
		cmd = FLOWTAB_GM_ADD_OR_MODIFY;
	spec = malloc(sizeof(*spec));
	if (spec == NULL) {
		reply_rc(conn, -ENOMEM, NULL);
		return;
	}
	rc = flowtab_group_parse(text, NULL, spec, &buf, &err);
	if (rc == 0)
		rc = flowtab_group_mod(br->ft, cmd, spec, &why, &err);
	free(buf);
	free(spec);
	reply_published(conn, dp, br, rc, err);
}

static void
cmd_add_group(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	group_mod(conn, argc, argv, aux, FLOWTAB_GM_ADD);
}

static void
cmd_mod_group(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	group_mod(conn, argc, argv, aux, FLOWTAB_GM_MODIFY);
}

/* The group id of "group_id=N" (or all when absent or "group_id=all"). */
static int
group_id_arg(const char *text, uint32_t *id, char **err)
{
	struct flowtab_group_spec *spec;
	char *buf = NULL;
	int rc;

	*id = FLOWTAB_GROUP_ALL;
	if (text == NULL)
		return 0;
	spec = malloc(sizeof(*spec));
	if (spec == NULL)
		return -ENOMEM;
	rc = flowtab_group_parse(text, NULL, spec, &buf, err);
	if (rc == 0)
		*id = spec->group_id;
	free(buf);
	free(spec);
	return rc;
}

static void
cmd_del_groups(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp_bridge *br = bridge_arg(conn, aux, argv[1]);
	enum flowtab_gm_error why;
	char *err = NULL;
	uint32_t id;
	int rc;

	if (br == NULL)
		return;
	rc = group_id_arg(argc > 2 ? argv[2] : NULL, &id, &err);
	if (rc == 0)
		rc = flowtab_group_del(br->ft, id, &why, &err);
	reply_published(conn, aux, br, rc, err);
}

static void
meter_mod(struct control_conn *conn, int argc, const char *argv[], struct dp *dp,
		enum flowtab_gm_command cmd)
{
	struct dp_bridge *br = bridge_arg(conn, dp, argv[1]);
	struct flowtab_meter_spec spec;
	enum flowtab_gm_error why;
	char *err = NULL;
	int rc;

	(void)argc;
	if (br == NULL)
		return;
	rc = flowtab_meter_parse(argv[2], &spec, &err);
	if (rc == 0)
		rc = flowtab_meter_mod(br->ft, cmd, &spec, &why, &err);
	reply_published(conn, dp, br, rc, err);
}

static void
cmd_add_meter(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	meter_mod(conn, argc, argv, aux, FLOWTAB_GM_ADD);
}

static void
cmd_mod_meter(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	meter_mod(conn, argc, argv, aux, FLOWTAB_GM_MODIFY);
}

static int
meter_id_arg(const char *text, uint32_t *id, char **err)
{
	struct flowtab_meter_spec spec;
	int rc;

	*id = FLOWTAB_METER_ALL;
	if (text == NULL)
		return 0;
	rc = flowtab_meter_parse(text, &spec, err);
	if (rc == 0)
		*id = spec.meter_id;
	return rc;
}

static void
cmd_del_meters(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp_bridge *br = bridge_arg(conn, aux, argv[1]);
	char *err = NULL;
	uint32_t id;
	int rc;

	if (br == NULL)
		return;
	rc = meter_id_arg(argc > 2 ? argv[2] : NULL, &id, &err);
	if (rc == 0)
		rc = flowtab_meter_del(br->ft, id);
	reply_published(conn, aux, br, rc, err);
}

/* dump-groups, dump-group-stats, dump-meters, meter-stats: BRIDGE [ID]. */
static void
dump_gm(struct control_conn *conn, int argc, const char *argv[], void *aux, bool meters,
		bool stats)
{
	struct dp_bridge *br = bridge_arg(conn, aux, argv[1]);
	const char *id_text = argc > 2 ? argv[2] : NULL;
	char *err = NULL, *out;
	uint32_t id;
	int rc;

	if (br == NULL)
		return;
	rc = meters ? meter_id_arg(id_text, &id, &err) : group_id_arg(id_text, &id, &err);
	if (rc) {
		reply_rc(conn, rc, err);
		return;
	}
	out = meters ? flowtab_dump_meters_text(br->ft, id, stats) :
		flowtab_dump_groups_text(br->ft, id, stats);
	if (out == NULL) {
		reply_rc(conn, -ENOMEM, NULL);
		return;
	}
	control_reply(conn, out);
	free(out);
}

static void
cmd_dump_groups(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	dump_gm(conn, argc, argv, aux, false, false);
}

static void
cmd_dump_group_stats(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	dump_gm(conn, argc, argv, aux, false, true);
}

static void
cmd_dump_meters(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	dump_gm(conn, argc, argv, aux, true, false);
}

static void
cmd_meter_stats(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	dump_gm(conn, argc, argv, aux, true, true);
}

void
dp_gm_commands_register(struct dp *dp)
{
	control_command_register("add-group", "BRIDGE GROUP", 2, 2, cmd_add_group, dp);
	control_command_register("mod-group", "BRIDGE [--may-create] GROUP", 2, 3, cmd_mod_group,
		dp);
	control_command_register("del-groups", "BRIDGE [group_id=N]", 1, 2, cmd_del_groups, dp);
	control_command_register("dump-groups", "BRIDGE [group_id=N]", 1, 2, cmd_dump_groups, dp);
	control_command_register("dump-group-stats", "BRIDGE [group_id=N]", 1, 2,
		cmd_dump_group_stats, dp);
	control_command_register("add-meter", "BRIDGE METER", 2, 2, cmd_add_meter, dp);
	control_command_register("mod-meter", "BRIDGE METER", 2, 2, cmd_mod_meter, dp);
	control_command_register("del-meters", "BRIDGE [meter=N]", 1, 2, cmd_del_meters, dp);
	control_command_register("dump-meters", "BRIDGE [meter=N]", 1, 2, cmd_dump_meters, dp);
	control_command_register("meter-stats", "BRIDGE [meter=N]", 1, 2, cmd_meter_stats, dp);
}
