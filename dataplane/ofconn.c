/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow sockets: per bridge, the management socket and its connections, the
 * connections of its controllers (ofconn_ctl.c makes and watches those), and the glue
 * between openflow/ and the bridge (its flowtab, its ports, packet_in and packet_out,
 * port_status, republishing after rule changes).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "control.h"
#include "ofconn_private.h"

#define OFC_DEFAULT_RUNDIR "/var/run/openvswitch"
#define OFC_MAX_CONNS 64
#define OFC_READ 65536
#define OFC_READS_PER_EVENT 4
/*
 * While a peer streams a bundle in (ovs-ofctl --bundle add-flows: one small message after
 * another, nothing applied before the commit) and the main thread keeps up with it, every
 * message would wake the main thread on its own: two context switches a message, most of
 * the cost when ovs-ofctl shares the main thread's core.  So after a short read with a
 * bundle open the connection rests this long, its messages gathering in the socket, and
 * is then read in large batches.  Other connections and work are served meanwhile.  A peer
 * that waits for a reply inside its bundle (a barrier) may wait up to this long more.
 */
#define OFC_BUNDLE_REST_MS 1
#define OFC_PORTS_INTERVAL_MS 200
/* Packet_ins waiting in the ring are delivered at least this often. */
#define OFC_PIN_POLL_MS 5
#define OFC_PINS_PER_RUN 1024

uint64_t
ofc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --- the switch as openflow/ sees it --- */

static struct flowtab *
sw_flowtab(void *aux)
{
	struct ofc_bridge *b = aux;

	return b->br->ft;
}

static void
sw_flows_changed(void *aux)
{
	struct ofc_bridge *b = aux;

	dp_bridge_publish(b->o->dp, b->br);
}

/* OpenFlow port names are 16 bytes with their NUL: longer names are cut, as in OVS. */
static void
copy_name(char dst[16], const char *src)
{
	size_t n = strnlen(src, 15);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static unsigned
sw_ports(void *aux, struct of_port_info *out, unsigned max)
{
	struct ofc_bridge *b = aux;
	struct dp_bridge *br = b->br;
	unsigned n = 0;
	bool has_local = false;

	for (unsigned i = 0; i < br->n_ports; i++) {
		struct dp_port *p = br->ports[i];
		struct of_port_info *pi;
		struct port_pmd_stats sw;
		struct port_dev_stats dev = { 0 };

		if (p->error != NULL || p->ofport == UINT32_MAX)
			continue;
		has_local |= p->ofport == DP_OFPORT_LOCAL;
		if (n < max) {
			pi = &out[n];
			memset(pi, 0, sizeof(*pi));
			pi->ofport = p->ofport;
			copy_name(pi->name, p->port.name);
			pi->link_up = port_link_up(&p->port);
			port_sw_stats(&p->port, &sw);
			port_dev_stats(&p->port, &dev);
			pi->rx_packets = sw.rx_packets;
			pi->rx_bytes = sw.rx_bytes;
			pi->tx_packets = sw.tx_packets;
			pi->tx_bytes = sw.tx_bytes;
			pi->rx_dropped = dev.rx_dropped + sw.rx_policed;
			pi->tx_dropped = sw.tx_dropped;
			pi->rx_errors = dev.rx_errors;
			pi->tx_errors = dev.tx_errors;
		}
		n++;
	}
	if (has_local)
		return n;
	/* The bridge's LOCAL port, as ovs-vswitchd shows it, even when its device failed. */
	if (n < max) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].ofport = FLOWTAB_OFPP_LOCAL;
		copy_name(out[n].name, br->name);
		out[n].admin_down = true;
	}
	return n + 1;
}

static int
sw_packet_out(void *aux, uint32_t in_port, const char *actions, const void *data, size_t len,
	char **err)
{
	struct ofc_bridge *b = aux;

	return dp_punt_packet_out(b->o->dp, b->br, in_port, actions, data, len, err);
}

/* SET_CONFIG's fragment handling: the bridge's, published to the PMDs. */
static void
sw_set_frags(void *aux, unsigned frags)
{
	struct ofc_bridge *b = aux;
	bool drop = frags == OF_FRAG_DROP;

	if (b->br->frag_drop == drop)
		return;
	b->br->frag_drop = drop;
	dp_log("openflow %s: IP fragments %s", b->name, drop ? "dropped" : "forwarded (normal)");
	dp_bridge_publish(b->o->dp, b->br);
}

static unsigned
sw_get_frags(void *aux)
{
	struct ofc_bridge *b = aux;

	return b->br->frag_drop ? OF_FRAG_DROP : OF_FRAG_NORMAL;
}

/*
 * NXT_TLV_TABLE_MOD.  The table is the switch's (port/'s, one for every tunnel port), so a
 * field that a rule of any bridge uses may not lose its mapping, as in Open vSwitch.
 */
static enum of_tlv_result
sw_tlv_mod(void *aux, unsigned cmd, const struct of_tlv_map *maps, unsigned n)
{
	struct ofc_bridge *b = aux;
	struct port_tlv_map pm[64];
	char *err = NULL;
	int rc;

	if (n > 64)
		return OF_TLV_TABLE_FULL;
	for (unsigned i = 0; i < n; i++)
		pm[i] = (struct port_tlv_map){ maps[i].opt_class, maps[i].opt_type, maps[i].len,
			maps[i].index };
	rc = dp_tlv_mod(b->o->dp, (enum port_tlv_cmd)cmd, pm, n, &err);
	if (rc < 0 && rc != -EBUSY)
		dp_log("openflow: bridge %s: TLV table: %s", b->name, err ? err : "out of memory");
	free(err);
	switch (rc) {
	case 0:
		return OF_TLV_OK;
	case -ERANGE:
		return OF_TLV_BAD_FIELD_IDX;
	case -ENOTSUP:
		return OF_TLV_BAD_OPT_LEN;
	case -EEXIST:
		return OF_TLV_ALREADY_MAPPED;
	case -EADDRINUSE:
		return OF_TLV_DUP_ENTRY;
	case -EBUSY:
		return OF_TLV_IN_USE;
	default:
		return OF_TLV_NO_MEMORY;
	}
}

static unsigned
sw_tlv_get(void *aux, struct of_tlv_map *out, unsigned max, uint32_t *max_space,
	uint16_t *max_fields)
{
	struct port_tlv_map pm[64];
	unsigned fields, space, n;

	(void)aux;
	n = port_tnl_tlv_get(pm, 64, &fields, &space);
	for (unsigned i = 0; i < n && i < max && i < 64; i++)
		out[i] = (struct of_tlv_map){ .opt_class = pm[i].opt_class,
			.opt_type = pm[i].opt_type, .len = pm[i].len, .index = pm[i].index };
	*max_space = space;
	*max_fields = (uint16_t)fields;
	return n;
}

/* One master per bridge: the others become slaves (OpenFlow's role rules). */
static void
sw_became_master(void *aux, struct of_conn *of)
{
	struct ofc_bridge *b = aux;

	for (struct ofc_conn *c = b->conns; c != NULL; c = c->next)
		if (c->of != of && of_conn_role(c->of) == OF_ROLE_MASTER)
			of_conn_set_role(c->of, OF_ROLE_SLAVE);
}

/* --- connections --- */

void
ofc_conn_close(struct ofc_conn *c)
{
	struct ofc_bridge *b = c->b;
	struct ofc_conn **pp;

	for (pp = &b->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	b->n_conns--;
	epoll_ctl(b->o->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	of_conn_destroy(c->of);
	if (c->t != NULL && c->t->c == c)
		c->t->c = NULL;
	free(c);
}

/* Write what is pending; returns -1 when the peer is gone. */
static int
conn_flush(struct ofc_conn *c)
{
	const void *data;
	size_t len;
	ssize_t n;

	for (;;) {
		data = of_conn_output(c->of, &len);
		if (len == 0)
			return 0;
		n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		of_conn_output_done(c->of, (size_t)n);
	}
}

static void
conn_watch(struct ofc_conn *c)
{
	struct epoll_event ev = { .data.ptr = c };
	size_t pending;

	of_conn_output(c->of, &pending);
	if (c->rest_until_ms != 0 && ofc_now_ms() >= c->rest_until_ms)
		c->rest_until_ms = 0;
	if (c->connecting)
		ev.events = EPOLLOUT;
	else
		ev.events = (of_conn_want_input(c->of) && c->rest_until_ms == 0 ? EPOLLIN : 0) |
			(pending ? EPOLLOUT : 0);
	if (ev.events != c->events) {
		epoll_ctl(c->b->o->ep, EPOLL_CTL_MOD, c->fd, &ev);
		c->events = ev.events;
	}
}

bool
ofc_conn_flush_watch(struct ofc_conn *c)
{
	if (!c->connecting && conn_flush(c) < 0)
		return false;
	conn_watch(c);
	return true;
}

/* The connection ended: tell its controller (reconnect, status) and close it. */
static void
conn_lost(struct ofc_conn *c, const char *why)
{
	if (c->t != NULL && c->t->c == c)
		ofc_target_down(c->t, why);
	else if (c->primary && c->was_up)
		dp_log("openflow %s: controller connection closed (%s)", c->b->name, why);
	ofc_conn_close(c);
}

/* A non-blocking connect() finished: its result. */
static bool
conn_connected(struct ofc_conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		conn_lost(c, strerror(err));
		return false;
	}
	c->connecting = false;
	c->last_rx_ms = ofc_now_ms();
	return true;
}

static void
conn_serve(struct ofc_conn *c)
{
	static uint8_t buf[OFC_READ];
	int rc = 0;

	if (c->connecting && !conn_connected(c))
		return;
	/* Output first: replies held back until it drains let requests resume. */
	if (conn_flush(c) < 0)
		goto lost;
	rc = of_conn_receive(c->of, NULL, 0);
	for (int i = 0; rc == 0 && i < OFC_READS_PER_EVENT && of_conn_want_input(c->of); i++) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0)
			goto lost;
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			goto lost;
		}
		c->last_rx_ms = ofc_now_ms();
		c->probe_sent = false;
		rc = of_conn_receive(c->of, buf, (size_t)n);
		if (conn_flush(c) < 0)
			goto lost;
		if ((size_t)n < sizeof(buf) && of_conn_bundle_open(c->of)) {
			c->rest_until_ms = c->last_rx_ms + OFC_BUNDLE_REST_MS;
			c->b->bundle_rests++;
			break;
		}
	}
	if (rc < 0) {
		/* A protocol failure: what could be said is said; the connection ends. */
		conn_flush(c);
		conn_lost(c, "OpenFlow protocol error");
		return;
	}
	if (!c->was_up && of_conn_version(c->of) != 0) {
		c->was_up = true;
		if (c->primary)
			dp_log("openflow %s: controller %s connected (OpenFlow 1.%u)", c->b->name,
				c->t != NULL ? c->t->cfg.target : "?",
				of_conn_version(c->of) == 1 ? 0 : 3);
	}
	conn_watch(c);
	return;
lost:
	conn_lost(c, "connection closed by peer");
}

struct ofc_conn *
ofc_conn_add(struct ofc_bridge *b, int fd, bool primary, bool connecting, struct ofc_target *t)
{
	struct ofc_conn *c;
	struct epoll_event ev;

	c = b->n_conns < OFC_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
	if (c != NULL)
		c->of = of_conn_create(&b->sw);
	if (c == NULL || c->of == NULL) {
		if (b->n_conns >= OFC_MAX_CONNS)
			dp_log("openflow %s: more than %d connections: refused", b->name,
				OFC_MAX_CONNS);
		if (c != NULL)
			of_conn_destroy(c->of);
		free(c);
		close(fd);
		return NULL;
	}
	of_conn_set_primary(c->of, primary);
	c->kind = OFC_CONN;
	c->fd = fd;
	c->b = b;
	c->t = t;
	c->primary = primary;
	c->connecting = connecting;
	c->last_rx_ms = ofc_now_ms();
	c->events = connecting ? EPOLLOUT : EPOLLIN | EPOLLOUT;
	ev.events = c->events;
	ev.data.ptr = c;
	if (epoll_ctl(b->o->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		of_conn_destroy(c->of);
		free(c);
		close(fd);
		return NULL;
	}
	c->next = b->conns;
	b->conns = c;
	b->n_conns++;
	return c;
}

static void
listener_accept(struct ofc_listener *l)
{
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ofc_conn *c;

		if (fd < 0)
			return;
		c = ofc_conn_add(l->b, fd, l->primary, false, l->t);
		if (c != NULL)
			conn_serve(c);      /* our hello goes out at once */
	}
}

/* --- listeners --- */

void
ofc_listener_close(struct ofc_listener *l)
{
	if (l->fd >= 0) {
		epoll_ctl(l->b->o->ep, EPOLL_CTL_DEL, l->fd, NULL);
		close(l->fd);
		if (l->path[0] != '\0')
			unlink(l->path);
	}
	l->fd = -1;
}

/* Does a process answer on 'sun'?  Its socket is not ours to replace (an ovs-vswitchd, or
 * another vireo-dp, with a bridge of the same name in the same directory). */
static bool
socket_in_use(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	bool used;

	if (fd < 0)
		return false;
	used = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 || errno == EAGAIN;
	close(fd);
	return used;
}

int
ofc_listen(struct ofc_bridge *b, struct ofc_listener *l, const struct sockaddr *sa,
	socklen_t len, const char *what)
{
	struct epoll_event ev;
	int one = 1;

	l->kind = OFC_LISTENER;
	l->b = b;
	l->fd = -1;
	if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;

		if (socket_in_use(sun)) {
			dp_log("openflow: bridge %s: %s is served by another process: not replaced",
				b->name, sun->sun_path);
			return -EADDRINUSE;
		}
		snprintf(l->path, sizeof(l->path), "%s", sun->sun_path);
		unlink(l->path);
	}
	l->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd >= 0 && sa->sa_family != AF_UNIX)
		setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->fd < 0 || bind(l->fd, sa, len) < 0 || listen(l->fd, 16) < 0) {
		int e = errno;

		dp_log("openflow: bridge %s: cannot listen on %s: %s", b->name, what, strerror(e));
		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
		l->path[0] = '\0';
		return -e;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = l;
	epoll_ctl(b->o->ep, EPOLL_CTL_ADD, l->fd, &ev);
	return 0;
}

/* --- bridges --- */

static void ports_run(struct ofc_bridge *b);
static bool bridge_alive(struct dp *dp, const struct ofc_bridge *b);

/* A send_flow_rem rule went: every connection of the bridge hears of it. */
static void
flow_removed(void *aux, const struct flowtab_rule_info *info, uint8_t reason)
{
	struct ofc_bridge *b = aux;

	for (struct ofc_conn *c = b->conns; c != NULL; c = c->next)
		if (!c->connecting)
			of_conn_flow_removed(c->of, info, reason);
}

static void
bridge_close(struct ofc_bridge *b)
{
	if (bridge_alive(b->o->dp, b))
		flowtab_set_removed(b->br->ft, NULL, NULL);
	ofc_targets_free(b);
	while (b->conns != NULL)
		ofc_conn_close(b->conns);
	ofc_listener_close(&b->mgmt);
	free(b->ports);
	free(b);
}

static struct ofc_bridge *
bridge_open(struct dp_ofconn *o, struct dp_bridge *br)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ofc_bridge *b;
	int n;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->o = o;
	b->br = br;
	b->mgmt.kind = OFC_LISTENER;
	b->mgmt.fd = -1;
	b->mgmt.b = b;
	b->alone_since_ms = ofc_now_ms();
	snprintf(b->name, sizeof(b->name), "%s", br->name);
	b->sw = (struct of_switch) {
		.datapath_id = dp_bridge_datapath_id(vconf_find_bridge(&o->dp->cfg, br->name),
			br->name),
		.name = b->name,
		.flowtab = sw_flowtab,
		.flows_changed = sw_flows_changed,
		.ports = sw_ports,
		.packet_out = sw_packet_out,
		.set_frags = sw_set_frags,
		.get_frags = sw_get_frags,
		.became_master = sw_became_master,
		.election = &b->election,
		.tlv_mod = sw_tlv_mod,
		.tlv_get = sw_tlv_get,
		.aux = b,
	};
	/* A bridge whose socket cannot be made keeps a placeholder, so that it is said once. */
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s.mgmt", o->rundir, br->name);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		dp_log("openflow: bridge %s: socket path %s/%s.mgmt is too long", br->name,
			o->rundir, br->name);
		return b;
	}
	mkdir(o->rundir, 0755);
	ofc_listen(b, &b->mgmt, (struct sockaddr *)&sun, sizeof(sun), sun.sun_path);
	ports_run(b);       /* the ports as they are: port_status tells changes only */
	flowtab_set_removed(br->ft, flow_removed, b);
	return b;
}

/*
 * Give 'b' the datapath ID its configuration 'vb' asks for now.  No message tells a
 * controller that the ID changed, so the bridge's connections are closed (controllers
 * connect again), as Open vSwitch does.
 */
static void
bridge_set_dpid(struct ofc_bridge *b, const struct vconf_bridge *vb)
{
	uint64_t id = dp_bridge_datapath_id(vb, b->name);
	struct ofc_conn *c, *next;

	if (id == b->sw.datapath_id)
		return;
	dp_log("openflow: bridge %s: datapath ID %016" PRIx64 " (was %016" PRIx64 ")", b->name,
		id, b->sw.datapath_id);
	b->sw.datapath_id = id;
	for (c = b->conns; c != NULL; c = next) {
		next = c->next;
		conn_lost(c, "datapath ID changed");
	}
}

static bool
bridge_alive(struct dp *dp, const struct ofc_bridge *b)
{
	for (unsigned i = 0; i < dp->n_bridges; i++)
		if (dp->bridges[i] == b->br && strcmp(dp->bridges[i]->name, b->name) == 0)
			return true;
	return false;
}

static void
resolve_rundir(struct dp_ofconn *o, char *out, size_t size)
{
	const char *d = o->rundir_arg;

	if (d == NULL)
		d = vconf_map_get(&o->dp->cfg.other_config, "openflow-rundir");
	if (d == NULL)
		d = getenv("OVS_RUNDIR");
	if (d == NULL || *d == '\0')
		d = OFC_DEFAULT_RUNDIR;
	snprintf(out, size, "%s", d);
}

void
dp_ofconn_sync(struct dp_ofconn *o)
{
	struct ofc_bridge **pp, *b;
	char rundir[sizeof(o->rundir)];

	resolve_rundir(o, rundir, sizeof(rundir));
	if (strcmp(rundir, o->rundir) != 0) {
		while (o->bridges != NULL) {
			b = o->bridges;
			o->bridges = b->next;
			bridge_close(b);
		}
		snprintf(o->rundir, sizeof(o->rundir), "%s", rundir);
	}
	/* Bridges that went away take their sockets and connections with them. */
	for (pp = &o->bridges; *pp != NULL;) {
		b = *pp;
		if (bridge_alive(o->dp, b)) {
			pp = &b->next;
			continue;
		}
		*pp = b->next;
		bridge_close(b);
	}
	for (unsigned i = 0; i < o->dp->n_bridges; i++) {
		struct dp_bridge *br = o->dp->bridges[i];
		const struct vconf_bridge *vb = vconf_find_bridge(&o->dp->cfg, br->name);

		for (b = o->bridges; b != NULL && b->br != br; b = b->next)
			;
		if (b == NULL) {
			b = bridge_open(o, br);
			if (b == NULL)
				continue;
			b->next = o->bridges;
			o->bridges = b;
		}
		bridge_set_dpid(b, vb);
		ofc_targets_sync(b, vb);
	}
}

/* --- asynchronous messages --- */

static struct ofc_bridge *
bridge_of(struct dp_ofconn *o, const struct dp_bridge *br)
{
	struct ofc_bridge *b;

	for (b = o->bridges; b != NULL && b->br != br; b = b->next)
		;
	return b;
}

/* A packet from the PMDs to every connection of its bridge that wants it. */
static void
deliver_pin(void *aux, const struct dp_pin *pin)
{
	static uint8_t buf[UINT16_MAX];
	struct ofc_bridge *b = bridge_of(aux, pin->br);
	uint32_t len = rte_pktmbuf_pkt_len(pin->m);
	const void *data;

	if (b == NULL)
		return;
	if (len > sizeof(buf))
		len = sizeof(buf);
	data = rte_pktmbuf_read(pin->m, 0, len, buf);
	if (data == NULL)
		return;
	for (struct ofc_conn *c = b->conns; c != NULL; c = c->next) {
		if (c->connecting)
			continue;
		/* A peer that does not read gets no more: its output is bounded. */
		if (!of_conn_want_input(c->of)) {
			b->pins_unread += of_conn_version(c->of) != 0;
			continue;
		}
		b->pins_sent += of_conn_packet_in(c->of, data, len, pin->in_port,
			of_conn_packet_in_reason(c->of, pin->reason), pin->max_len, pin->table,
			pin->cookie);
	}
}

/* Port_status: what changed in the ports since the last round, to every connection. */
static void
ports_run(struct ofc_bridge *b)
{
	struct of_port_info *now;
	unsigned n = sw_ports(b, NULL, 0), i, j;

	now = calloc(n, sizeof(*now));
	if (now == NULL)
		return;
	n = sw_ports(b, now, n);
	for (i = 0; i < n; i++) {
		for (j = 0; j < b->n_ports && b->ports[j].ofport != now[i].ofport; j++)
			;
		if (j == b->n_ports || b->ports[j].link_up != now[i].link_up ||
				strcmp(b->ports[j].name, now[i].name) != 0)
			for (struct ofc_conn *c = b->conns; c != NULL; c = c->next)
				of_conn_port_status(c->of, j == b->n_ports ? OF_PORT_ADD :
					OF_PORT_MODIFY, &now[i]);
	}
	for (j = 0; j < b->n_ports; j++) {
		for (i = 0; i < n && now[i].ofport != b->ports[j].ofport; i++)
			;
		if (i == n)
			for (struct ofc_conn *c = b->conns; c != NULL; c = c->next)
				of_conn_port_status(c->of, OF_PORT_DELETE, &b->ports[j]);
	}
	free(b->ports);
	b->ports = now;
	b->n_ports = n;
}

uint64_t
dp_ofconn_tick(struct dp_ofconn *o)
{
	uint64_t now = ofc_now_ms(), wait = 1000, w;
	bool ports = now >= o->ports_at_ms, any_up = false;
	struct ofc_bridge *b;
	struct ofc_conn *c, *next;

	dp_punt_poll_pins(o->dp, deliver_pin, o, OFC_PINS_PER_RUN);
	if (ports)
		o->ports_at_ms = now + OFC_PORTS_INTERVAL_MS;
	for (b = o->bridges; b != NULL; b = b->next) {
		if (ports)
			ports_run(b);
		w = ofc_targets_run(b, now);
		wait = w < wait ? w : wait;
		for (c = b->conns; c != NULL; c = next) {
			next = c->next;
			any_up |= !c->connecting && of_conn_version(c->of) != 0;
			if (!ofc_conn_flush_watch(c)) {
				conn_lost(c, "connection closed by peer");
				continue;
			}
			if (c->rest_until_ms != 0)
				wait = wait < c->rest_until_ms - now ? wait : c->rest_until_ms - now;
		}
	}
	if (any_up && wait > OFC_PIN_POLL_MS)
		wait = OFC_PIN_POLL_MS;
	return wait;
}

void
dp_ofconn_run(struct dp_ofconn *o)
{
	struct epoll_event evs[16];
	int n;

	/* A bridge deleted since the last call must not be served. */
	dp_ofconn_sync(o);
	n = epoll_wait(o->ep, evs, 16, 0);
	for (int i = 0; i < n; i++) {
		int *kind = evs[i].data.ptr;

		if (*kind == OFC_LISTENER)
			listener_accept(evs[i].data.ptr);
		else
			conn_serve(evs[i].data.ptr);
	}
}

/* openflow/show [BRIDGE]: controllers, connections, packets the channel dropped. */
static void
cmd_show(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp_ofconn *o = aux;
	struct control_buf out = { 0 };
	uint64_t pin_dropped = 0;
	char *s;

	for (struct ofc_bridge *b = o->bridges; b != NULL; b = b->next) {
		unsigned n = 0, up = 0;

		if (argc > 1 && strcmp(argv[1], b->name) != 0)
			continue;
		for (struct ofc_conn *c = b->conns; c != NULL; c = c->next) {
			n++;
			up += c->primary && !c->connecting && of_conn_version(c->of) != 0;
		}
		control_buf_printf(&out, "bridge %s: fail_mode %s, %zu controller(s), %u "
			"connected%s; %u connection(s) in all\n", b->name,
			b->br->fail_secure ? "secure" : "standalone", b->n_targets, up,
			b->br->of_fail_open ? ", failed open (MAC learning)" : "", n);
		control_buf_printf(&out, "  packet_in sent: %" PRIu64 ", not sent (a "
			"connection's output full): %" PRIu64 "\n", b->pins_sent, b->pins_unread);
		control_buf_printf(&out, "  bundle reads deferred to batch them: %" PRIu64 "\n",
			b->bundle_rests);
		for (size_t i = 0; i < b->n_targets; i++) {
			const struct ofc_target *t = &b->targets[i];
			bool active = false;

			for (struct ofc_conn *c = b->conns; c != NULL; c = c->next)
				active |= c->t == t && !c->connecting && of_conn_version(c->of) != 0;
			control_buf_printf(&out, "  controller %s: %s%s%s\n", t->cfg.target,
				active ? "connected" : t->passive ? "listening" : "not connected",
				t->last_error[0] ? ", last error: " : "", t->last_error);
		}
	}
	for (unsigned i = 0; i < o->dp->n_pmds; i++)
		pin_dropped += __atomic_load_n(
			&((struct dp_pmd_ctx *)o->dp->pmds[i]->ctx)->pin_dropped, __ATOMIC_RELAXED);
	control_buf_printf(&out, "packet_in dropped (queue full): %" PRIu64 "\n"
		"packet_out dropped (queue full or no buffer): %" PRIu64 "\n", pin_dropped,
		o->dp->pout_dropped);
	s = control_buf_steal(&out);
	control_reply(conn, s != NULL ? s : "");
	free(s);
}

struct dp_ofconn *
dp_ofconn_create(struct dp *dp, const char *rundir)
{
	struct dp_ofconn *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->dp = dp;
	o->ep = epoll_create1(EPOLL_CLOEXEC);
	o->rundir_arg = rundir != NULL ? strdup(rundir) : NULL;
	if (o->ep < 0 || (rundir != NULL && o->rundir_arg == NULL)) {
		if (o->ep >= 0)
			close(o->ep);
		free(o->rundir_arg);
		free(o);
		return NULL;
	}
	control_command_register("openflow/show", "[BRIDGE]", 0, 1, cmd_show, o);
	return o;
}

void
dp_ofconn_set_report(struct dp_ofconn *o, dp_ofconn_report_fn *fn, void *aux)
{
	o->report = fn;
	o->report_aux = aux;
}

int
dp_ofconn_fd(const struct dp_ofconn *o)
{
	return o->ep;
}

void
dp_ofconn_destroy(struct dp_ofconn *o)
{
	struct ofc_bridge *b;

	if (o == NULL)
		return;
	while (o->bridges != NULL) {
		b = o->bridges;
		o->bridges = b->next;
		bridge_close(b);
	}
	close(o->ep);
	free(o->rundir_arg);
	free(o);
}
