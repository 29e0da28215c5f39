/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The day-2 commands an Open vSwitch operator types, with ovs-vswitchd's names: exit,
 * ofproto/trace, dpctl/dump-flows, coverage/show, memory/show, dpif-netdev/pmd-perf-show.
 * All run on the main thread, the only writer of bridges, ports and rules, so what they read
 * cannot change under them; PMD-written counters are read as racy snapshots.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mempool.h>

#include "control.h"
#include "coverage.h"
#include "dp.h"
#include "flowtab.h"

extern bool dp_exit_requested;

static void
cmd_exit(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	(void)aux;
	/*
	 * ovs-vswitchd's --cleanup also deletes kernel datapath ports; vireo-dp has none, and
	 * every exit closes the ports and removes their sockets.
	 */
	if (argc > 1 && strcmp(argv[1], "--cleanup") != 0) {
		control_reply_errorf(conn, "exit: unknown option \"%s\" (usage: exit [--cleanup])",
			argv[1]);
		return;
	}
	dp_exit_requested = true;
	control_reply(conn, "");
}

/* ofproto/trace's view of the packet leaving: what NORMAL would do, the ports it reaches. */
struct trace_ctx {
	struct dp_bridge *br;
	uint32_t ports[PORT_MAX_SLOTS];
	unsigned n_ports;
};

static void
trace_add_port(struct trace_ctx *t, uint32_t ofport)
{
	for (unsigned i = 0; i < t->n_ports; i++)
		if (t->ports[i] == ofport)
			return;
	if (t->n_ports < PORT_MAX_SLOTS)
		t->ports[t->n_ports++] = ofport;
}

/* Every port of the bridge but 'in_port' (all: with it). */
static void
trace_flood(struct trace_ctx *t, uint32_t in_port, bool all)
{
	for (unsigned i = 0; i < t->br->n_ports; i++) {
		const struct dp_port *p = t->br->ports[i];

		if (p->error == NULL && (all || p->ofport != in_port))
			trace_add_port(t, p->ofport);
	}
}

static void
trace_emit(void *aux, enum flowtab_action_kind kind, uint32_t port, uint32_t in_port,
		const uint8_t dl_dst[6], uint16_t vlan_tci, char *note, size_t note_size)
{
	struct trace_ctx *t = aux;
	const struct bridge_snap *s = t->br->snap;
	uint16_t slot;
	const struct dp_port *out;

	switch (kind) {
	case FLOWTAB_A_OUTPUT:
	case FLOWTAB_A_IN_PORT:
		trace_add_port(t, port);
		return;
	case FLOWTAB_A_FLOOD:
	case FLOWTAB_A_ALL:
		trace_flood(t, in_port, kind == FLOWTAB_A_ALL);
		return;
	default:
		break;
	}
	if (!s->forward_bpdu && mac_is_reserved(mac_from_bytes(dl_dst))) {
		snprintf(note, note_size, "packet has reserved destination MAC, dropping");
		return;
	}
	if (!s->vlan_plain) {
		snprintf(note, note_size, "MAC learning with VLAN ports is not traced here: "
			"flooding shown");
		trace_flood(t, in_port, false);
		return;
	}
	if (dl_dst[0] & 1) {
		snprintf(note, note_size, "multicast/broadcast destination, flooding");
		trace_flood(t, in_port, false);
		return;
	}
	slot = mac_lookup(t->br->mac, mac_from_bytes(dl_dst), vlan_tci & 0x0fff, mac_now());
	out = slot == MAC_SLOT_NONE ? NULL : s->by_slot[slot];
	if (out == NULL) {
		snprintf(note, note_size, "no learned MAC for destination, flooding");
		trace_flood(t, in_port, false);
	} else if (out->ofport == in_port) {
		snprintf(note, note_size, "learned port is input port, dropping");
	} else {
		snprintf(note, note_size, "forwarding to learned port");
		trace_add_port(t, out->ofport);
	}
}

static void
cmd_trace(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct dp_bridge *br = dp_find_bridge(dp, argv[1]);
	struct trace_ctx t = { .br = br };
	struct flowtab_trace_out out = {
		.emit = trace_emit,
		.aux = &t,
		/* without rules a bridge learns MACs, or with fail_mode secure drops */
		.no_rules_normal = br != NULL && !br->fail_secure,
	};
	struct control_buf b = { 0 };
	char *text = NULL, *err = NULL, *s;

	(void)argc;
	if (br == NULL) {
		control_reply_errorf(conn, "%s: unknown bridge", argv[1]);
		return;
	}
	if (flowtab_trace(br->ft, argv[2], &out, &text, &err) < 0) {
		control_reply_errorf(conn, "Bad openflow flow syntax: %s: %s", argv[2],
			err ? err : "out of memory");
		free(err);
		return;
	}
	control_buf_printf(&b, "%s", text);
	control_buf_printf(&b, "Datapath actions: ");
	if (t.n_ports == 0)
		control_buf_printf(&b, "drop");
	for (unsigned i = 0; i < t.n_ports; i++)
		control_buf_printf(&b, "%s%u", i ? "," : "", t.ports[i]);
	control_buf_printf(&b, "\n");
	s = control_buf_steal(&b);
	control_reply(conn, s);
	free(s);
	free(text);
}

static void
cmd_dump_dp_flows(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct control_buf b = { 0 };
	char *s;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-m") != 0 && strcmp(argv[i], "--names") != 0 &&
				strcmp(argv[i], "netdev@ovs-netdev") != 0) {
			control_reply_errorf(conn, "dpctl/dump-flows: unsupported argument \"%s\" "
				"(usage: [-m] [--names] [netdev@ovs-netdev])", argv[i]);
			return;
		}
	}
	for (unsigned i = 0; i < dp->n_pmds; i++) {
		const struct dp_pmd_ctx *c = dp->pmds[i]->ctx;

		control_buf_printf(&b, "flow-dump from pmd on cpu core: %u\n", dp->pmds[i]->core);
		for (unsigned k = 0; k < dp->n_bridges; k++) {
			struct dp_bridge *br = dp->bridges[k];
			char *text = NULL;

			if (flowtab_pmd_cache_dump(c->ft, br->ft, &text) < 0) {
				control_buf_free(&b);
				control_reply_error(conn, "out of memory");
				return;
			}
			for (char *save = NULL, *l = strtok_r(text, "\n", &save); l != NULL;
					l = strtok_r(NULL, "\n", &save))
				control_buf_printf(&b, "bridge(%s),%s\n", br->name, l);
			free(text);
		}
	}
	s = control_buf_steal(&b);
	control_reply(conn, s);
	free(s);
}

static void
cmd_coverage_show(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	char *s = coverage_show();

	(void)argc;
	(void)argv;
	(void)aux;
	control_reply(conn, s);
	free(s);
}

struct pool_use {
	unsigned size;
	unsigned in_use;
};

static void
pool_walk(struct rte_mempool *mp, void *arg)
{
	struct pool_use *u = arg;

	u->size += mp->size;
	u->in_use += rte_mempool_in_use_count(mp);
}

static void
cmd_memory_show(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct pool_use pools = { 0, 0 };
	struct rte_malloc_socket_stats ms;
	unsigned ports = 0;
	size_t rules = 0, heap = 0;

	(void)argc;
	(void)argv;
	for (unsigned i = 0; i < dp->n_bridges; i++) {
		ports += dp->bridges[i]->n_ports;
		rules += flowtab_n_rules(dp->bridges[i]->ft);
	}
	rte_mempool_walk(pool_walk, &pools);
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &ms) == 0)
			heap += ms.heap_allocsz_bytes;
	control_replyf(conn, "bridges:%u mbufs:%u mbufs-in-use:%u pmds:%u ports:%u "
		"rte-heap-kB:%zu rules:%zu\n", dp->n_bridges, pools.size, pools.in_use, dp->n_pmds,
		ports, heap / 1024, rules);
}

/* -nh -it N -ms N -pmd N dp */
#define PMD_PERF_SHOW_MAX_ARGS 8

/*
 * dpif-netdev/pmd-perf-show [-nh] [-it iter_len] [-ms ms_len] [-pmd core] [dp], as Open
 * vSwitch takes it.  No histograms are printed, so "-nh" (no histograms) asks for what is
 * printed anyway; no iteration or millisecond history is kept, so "-it" and "-ms", which
 * print one, are refused rather than answered with something else.
 */
static void
cmd_pmd_perf_show(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct pmd *sel[PORT_MAX_PMDS];
	const char *rest[PMD_PERF_SHOW_MAX_ARGS + 1];
	int n_rest = 0, n;
	char *s;

	for (int i = 0; i < argc; i++) {
		if (i > 0 && (strcmp(argv[i], "-it") == 0 || strcmp(argv[i], "-ms") == 0)) {
			control_reply_errorf(conn, "%s: no %s history is kept here", argv[i],
				argv[i][1] == 'i' ? "iteration" : "millisecond");
			return;
		}
		if (i == 0 || strcmp(argv[i], "-nh") != 0)
			rest[n_rest++] = argv[i];
	}
	n = dp_pmd_filter(conn, dp, n_rest, rest, sel);
	if (n < 0)
		return;
	s = dp_pmd_perf_show(sel, (unsigned)n);
	control_reply(conn, s);
	free(s);
}

/* dpif-netdev/pmd-sleep-show [dp], as Open vSwitch takes it. */
static void
cmd_pmd_sleep_show(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct pmd *sel[PORT_MAX_PMDS];
	char *s;

	if (dp_pmd_filter(conn, aux, argc, argv, sel) < 0)
		return;
	s = dp_pmd_sleep_show(aux);
	control_reply(conn, s);
	free(s);
}

/*
 * The coverage totals of the PMDs are monotonic: a PMD that stops (pmd-cpu-mask) leaves
 * what it counted in dp->stopped_*, which the running PMDs' counters are added to.  Its own
 * counters are final then (pmd_hooks.stopped runs after its thread exited).
 */
void
dp_coverage_pmd_stopped(const struct pmd *pmd)
{
	struct dp *dp = pmd->aux;
	const struct dp_pmd_ctx *c = pmd->ctx;
	const struct flowtab_pmd_stats *f = flowtab_pmd_stats(c->ft);

	dp->stopped_rx += pmd->stats.packets_rx;
	dp->stopped_drop += pmd->stats.dropped;
	dp->stopped_resub += f->too_many_resubmits;
	dp->stopped_deep += f->recursion_too_deep;
	dp->stopped_out += f->too_many_outputs;
}

void
dp_coverage_run(struct dp *dp)
{
	uint64_t rx = dp->stopped_rx, drop = dp->stopped_drop, resub = dp->stopped_resub;
	uint64_t deep = dp->stopped_deep, out = dp->stopped_out;

	for (unsigned i = 0; i < dp->n_pmds; i++) {
		const struct dp_pmd_ctx *c = dp->pmds[i]->ctx;
		const struct flowtab_pmd_stats *f = flowtab_pmd_stats(c->ft);

		/* Totals since start: the PMD's own counters, not the cleared view. */
		rx += __atomic_load_n(&dp->pmds[i]->stats.packets_rx, __ATOMIC_RELAXED);
		drop += __atomic_load_n(&dp->pmds[i]->stats.dropped, __ATOMIC_RELAXED);
		resub += __atomic_load_n(&f->too_many_resubmits, __ATOMIC_RELAXED);
		deep += __atomic_load_n(&f->recursion_too_deep, __ATOMIC_RELAXED);
		out += __atomic_load_n(&f->too_many_outputs, __ATOMIC_RELAXED);
	}
	coverage_set(COV_DATAPATH_RX, rx);
	coverage_set(COV_DATAPATH_DROP, drop);
	coverage_set(COV_DROP_TOO_MANY_RESUBMITS, resub);
	coverage_set(COV_DROP_RECURSION_TOO_DEEP, deep);
	coverage_set(COV_DROP_TOO_MANY_OUTPUTS, out);
	coverage_run();
}

void
dp_exit_command_register(void)
{
	control_command_register("exit", "[--cleanup]", 0, 1, cmd_exit, NULL);
}

void
dp_appctl_register(struct dp *dp)
{
	control_command_register("ofproto/trace", "BRIDGE FLOW", 2, 2, cmd_trace, dp);
	control_command_register("dpctl/dump-flows", "[-m] [--names] [dp]", 0, 3,
		cmd_dump_dp_flows, dp);
	control_command_register("coverage/show", "", 0, 0, cmd_coverage_show, dp);
	control_command_register("memory/show", "", 0, 0, cmd_memory_show, dp);
	control_command_register("dpif-netdev/pmd-perf-show",
		"[-nh] [-it iter_len] [-ms ms_len] [-pmd core] [dp]", 0, PMD_PERF_SHOW_MAX_ARGS,
		cmd_pmd_perf_show, dp);
	control_command_alias("pmd-perf-show", "dpif-netdev/pmd-perf-show");
	control_command_register("dpif-netdev/pmd-sleep-show", "[dp]", 0, 1, cmd_pmd_sleep_show,
		dp);
	control_command_alias("pmd-sleep-show", "dpif-netdev/pmd-sleep-show");
}
