/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the OVSDB client: the input is what ovsdb-server sends on one
 * connection (get_schema, lock and monitor_cond replies, update/update2 notifications,
 * transaction replies, echo, garbage).  The session runs over a socketpair exactly as over a
 * real socket: framing, JSON, the replica, diffs, the vconf built from it and the write-back
 * transactions it triggers.  The server then closes; the client must notice and drop the
 * session, whatever came before.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ovsdb-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct harness {
	struct vovsdb *db;
	bool report;		/* a configuration came: report its ports like the dataplane */
	int64_t next_cfg;
	struct vconf conf;
};

static void
on_config(void *aux, const struct vconf *cfg, int64_t next_cfg)
{
	struct harness *h = aux;

	vconf_free(&h->conf);
	if (vconf_copy(&h->conf, cfg))
		abort();
	h->next_cfg = next_cfg;
	h->report = true;
}

static void
on_fatal(void *aux, const char *msg)
{
	(void)aux;
	if (!msg)
		abort();
}

static void
on_log(void *aux, int level, const char *msg)
{
	(void)aux;
	(void)level;
	if (!msg)
		abort();
}

static void
report(struct harness *h)
{
	static const struct vovsdb_stat stats[] = { { "rx_packets", 1 }, { "tx_bytes", 2 } };
	struct vovsdb_iface_state st = { .ofport = 1, .link_state = "up", .admin_state = "up",
		.mtu = 1500, .stats = stats, .n_stats = 2 };

	h->report = false;
	for (size_t b = 0; b < h->conf.n_bridges; b++)
		for (size_t p = 0; p < h->conf.bridges[b].n_ports; p++) {
			const struct vconf_port *port = &h->conf.bridges[b].ports[p];

			st.ofport = port->ofport_request ? port->ofport_request : (int64_t)p + 1;
			st.error = p % 2 ? "fuzz error" : NULL;
			vovsdb_set_iface(h->db, port->name, &st);
		}
	vovsdb_set_cur_cfg(h->db, h->next_cfg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vovsdb_ops ops = { on_config, on_fatal, on_log };
	struct harness h = { 0 };
	char buf[65536], *err = NULL;
	size_t off = 0;
	int sv[2], rounds;

	h.db = vovsdb_create("unix:/nonexistent/fuzz.sock", &ops, &h, &err);
	if (!h.db || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		abort();
	h.db->conn.fd = sv[0];
	vovsdb_session_start(h.db);
	for (rounds = 0; h.db->state == VOVSDB_SESSION; rounds++) {
		ssize_t n;

		if (rounds > 100000)
			abort();	/* the session neither consumed the input nor ended */
		if (off < size) {
			n = send(sv[1], data + off, size - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
		} else if (off == size) {
			shutdown(sv[1], SHUT_WR);
			off++;
		}
		vovsdb_run(h.db);
		if (h.report && h.db->state == VOVSDB_SESSION)
			report(&h);
		while (recv(sv[1], buf, sizeof(buf), 0) > 0)
			;	/* the client's requests */
	}
	if (h.db->conn.fd >= 0)
		abort();	/* a session that ended must have closed its socket */
	close(sv[1]);
	vovsdb_destroy(h.db);
	vconf_free(&h.conf);
	return 0;
}
