/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bridge with no dataplane: openflow/ over a flowtab of its own, on a unix socket, so
 * that ovs-ofctl drives the protocol and the rule engine without DPDK, hugepages or PMD
 * threads.  The same library calls vireo-dp's dataplane/ofconn.c makes.
 *
 * usage: of_server SOCKET [PORT...]   PORT is NUMBER:NAME; stops on SIGTERM/SIGINT.
 * Packet_outs are checked and written to stdout, not sent; flow_removed goes to every
 * connection.
 * With OF_SERVER_RECORD=DIR, what each connection receives is also written to
 * DIR/conn-N.bin (the fuzzer's seeds are such recordings of ovs-ofctl).
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "flowtab.h"
#include "openflow.h"

#define MAX_PORTS 16
#define MAX_CONNS 64

static struct {
	uint32_t no;
	char name[16];
} ports[MAX_PORTS];
static unsigned n_ports;
static volatile sig_atomic_t stop;
static unsigned flows_changed;

static int
by_name(void *aux, const char *name, uint32_t *ofport)
{
	(void)aux;
	for (unsigned i = 0; i < n_ports; i++) {
		if (!strcmp(ports[i].name, name)) {
			*ofport = ports[i].no;
			return 0;
		}
	}
	return -ENOENT;
}

static const char *
name_of(void *aux, uint32_t ofport)
{
	(void)aux;
	for (unsigned i = 0; i < n_ports; i++)
		if (ports[i].no == ofport)
			return ports[i].name;
	return NULL;
}

static struct flowtab *
sw_flowtab(void *aux)
{
	return aux;
}

static void
sw_changed(void *aux)
{
	(void)aux;
	flows_changed++;
}

static unsigned
sw_ports(void *aux, struct of_port_info *out, unsigned max)
{
	(void)aux;
	for (unsigned i = 0; i < n_ports && i < max; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].ofport = ports[i].no;
		memcpy(out[i].name, ports[i].name, sizeof(out[i].name));
		out[i].hw_addr[0] = 0x02;
		out[i].hw_addr[5] = (uint8_t)ports[i].no;
		out[i].link_up = true;
		out[i].rx_packets = 10 * ports[i].no;
		out[i].tx_packets = 20 * ports[i].no;
		out[i].rx_bytes = 1000 * ports[i].no;
		out[i].tx_bytes = 2000 * ports[i].no;
	}
	return n_ports;
}

/* The open connections, for flow_removed (main() owns them). */
static struct of_conn **live_conns;
static int *live_n;

static void
sw_removed(void *aux, const struct flowtab_rule_info *info, uint8_t reason)
{
	(void)aux;
	for (int i = 1; i < *live_n; i++)
		of_conn_flow_removed(live_conns[i], info, reason);
}

/* The switch's fragment handling, one for all connections (no dataplane applies it). */
static unsigned frags;

static void
sw_set_frags(void *aux, unsigned f)
{
	(void)aux;
	frags = f;
}

static unsigned
sw_get_frags(void *aux)
{
	(void)aux;
	return frags;
}

/* No dataplane: a packet_out is checked and written to stdout for the test to read. */
static int
sw_packet_out(void *aux, uint32_t in_port, const char *actions, const void *data, size_t len,
		char **err)
{
	struct flowtab_actions *a = flowtab_actions_parse(aux, actions, err);

	if (!a)
		return -EINVAL;
	flowtab_actions_free(a);
	printf("packet_out in_port=%d actions=%s len=%zu\n",
			in_port == FLOWTAB_PORT_NONE ? -1 : (int)in_port, actions, len);
	fflush(stdout);
	(void)data;
	return 0;
}

/*
 * The Geneve option table, with vireo-dp's limits (port/: tun_metadata0..1, options of 4
 * bytes) so that ovs-ofctl meets the same answers as from vireo-dp.
 */
#define TLV_FIELDS 2
static struct of_tlv_map tlv[TLV_FIELDS];   /* len 0: unmapped */

static enum of_tlv_result
sw_tlv_mod(void *aux, unsigned cmd, const struct of_tlv_map *maps, unsigned n)
{
	struct of_tlv_map t[TLV_FIELDS];
	unsigned gone = 0;

	memcpy(t, tlv, sizeof(t));
	if (cmd == 2)
		memset(t, 0, sizeof(t));
	for (unsigned i = 0; cmd != 2 && i < n; i++) {
		unsigned idx = maps[i].index;

		if (idx >= TLV_FIELDS)
			return OF_TLV_BAD_FIELD_IDX;
		if (cmd == 1) {
			t[idx].len = 0;
			continue;
		}
		if (maps[i].len != 4)
			return OF_TLV_BAD_OPT_LEN;
		if (t[idx].len)
			return OF_TLV_ALREADY_MAPPED;
		for (unsigned j = 0; j < TLV_FIELDS; j++)
			if (t[j].len && t[j].opt_class == maps[i].opt_class &&
			    t[j].opt_type == maps[i].opt_type)
				return OF_TLV_DUP_ENTRY;
		t[idx] = maps[i];
	}
	for (unsigned i = 0; i < TLV_FIELDS; i++)
		if (tlv[i].len && !t[i].len)
			gone |= 1u << i;
	if (gone & flowtab_tun_metadata_used(aux))
		return OF_TLV_IN_USE;
	memcpy(tlv, t, sizeof(t));
	return OF_TLV_OK;
}

static unsigned
sw_tlv_get(void *aux, struct of_tlv_map *out, unsigned max, uint32_t *max_space,
		uint16_t *max_fields)
{
	unsigned n = 0;

	(void)aux;
	for (unsigned i = 0; i < TLV_FIELDS; i++)
		if (tlv[i].len && n < max) {
			out[n] = tlv[i];
			out[n++].index = (uint16_t)i;
		}
	*max_space = TLV_FIELDS * 4;
	*max_fields = TLV_FIELDS;
	return n;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
flush(int fd, struct of_conn *c)
{
	const void *data;
	size_t len;
	ssize_t n;

	while ((data = of_conn_output(c, &len)) != NULL && len) {
		n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n <= 0)
			return;
		of_conn_output_done(c, (size_t)n);
	}
}

int
main(int argc, char **argv)
{
	struct flowtab_port_ops ops = { by_name, name_of, NULL };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct pollfd pfd[MAX_CONNS + 1];
	struct of_conn *conns[MAX_CONNS + 1] = { 0 };
	int rec[MAX_CONNS + 1];
	const char *record = getenv("OF_SERVER_RECORD");
	unsigned n_accepted = 0;
	struct of_switch sw;
	struct flowtab *ft;
	static uint8_t buf[65536];
	int lfd, n = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: of_server SOCKET [NUMBER:NAME...]\n");
		return 2;
	}
	for (int i = 2; i < argc && n_ports < MAX_PORTS; i++) {
		char *colon = strchr(argv[i], ':');

		if (!colon)
			return 2;
		ports[n_ports].no = (uint32_t)strtoul(argv[i], NULL, 0);
		snprintf(ports[n_ports].name, sizeof(ports[n_ports].name), "%s", colon + 1);
		n_ports++;
	}
	ft = flowtab_create("br0", &ops, NULL);
	sw = (struct of_switch) { .datapath_id = 0x1234, .name = "br0", .flowtab = sw_flowtab,
		.flows_changed = sw_changed, .ports = sw_ports, .packet_out = sw_packet_out,
		.set_frags = sw_set_frags, .get_frags = sw_get_frags, .tlv_mod = sw_tlv_mod,
		.tlv_get = sw_tlv_get, .aux = ft };
	live_conns = conns;
	live_n = &n;
	if (ft)
		flowtab_set_removed(ft, sw_removed, NULL);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (!ft || lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(lfd, 16) < 0) {
		perror("of_server");
		return 1;
	}
	pfd[0] = (struct pollfd) { .fd = lfd, .events = POLLIN };
	while (!stop) {
		size_t pending;

		for (int i = 1; i < n; i++) {
			of_conn_output(conns[i], &pending);
			pfd[i].events = (of_conn_want_input(conns[i]) ? POLLIN : 0) |
					(pending ? POLLOUT : 0);
		}
		if (poll(pfd, (nfds_t)n, 200) < 0)
			continue;
		if ((pfd[0].revents & POLLIN) && n <= MAX_CONNS) {
			int fd = accept(lfd, NULL, NULL);

			if (fd >= 0) {
				/* Connections as on the management socket: services. */
				conns[n] = of_conn_create(&sw);
				if (conns[n])
					of_conn_set_primary(conns[n], false);
				pfd[n] = (struct pollfd) { .fd = fd, .events = POLLIN };
				rec[n] = -1;
				if (record) {
					char path[4096];

					snprintf(path, sizeof(path), "%s/conn-%u.bin", record,
							n_accepted);
					rec[n] = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
				}
				n_accepted++;
				flush(fd, conns[n]);
				n++;
			}
		}
		for (int i = 1; i < n; i++) {
			ssize_t r = 0;
			int rc = 0;

			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				r = recv(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
				if (r > 0 && rec[i] >= 0 && write(rec[i], buf, (size_t)r) != r)
					rc = -1;
				if (r > 0)
					rc = of_conn_receive(conns[i], buf, (size_t)r);
			} else if (pfd[i].revents & POLLOUT) {
				rc = of_conn_receive(conns[i], NULL, 0);
			}
			flush(pfd[i].fd, conns[i]);
			if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) && r <= 0 &&
			    !(r < 0 && errno == EAGAIN))
				rc = -1;
			if (rc < 0) {
				close(pfd[i].fd);
				if (rec[i] >= 0)
					close(rec[i]);
				of_conn_destroy(conns[i]);
				pfd[i] = pfd[n - 1];
				conns[i] = conns[n - 1];
				rec[i] = rec[n - 1];
				n--;
				i--;
			}
		}
	}
	for (int i = 1; i < n; i++) {
		close(pfd[i].fd);
		of_conn_destroy(conns[i]);
	}
	close(lfd);
	unlink(argv[1]);
	printf("of_server: %zu rules, %u changes\n", flowtab_n_rules(ft), flows_changed);
	flowtab_destroy(ft);
	return 0;
}
