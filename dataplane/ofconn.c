/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow management sockets: listeners per bridge, connections, and the glue between
 * openflow/ and the bridge (its flowtab, its ports, republishing after rule changes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dp.h"
#include "ofconn.h"
#include "openflow.h"

#define OFC_DEFAULT_RUNDIR "/var/run/openvswitch"
#define OFC_MAX_CONNS 64
#define OFC_READ 65536
#define OFC_READS_PER_EVENT 4

enum { OFC_LISTENER, OFC_CONN };

struct ofc_listener;

struct ofc_conn {
	int kind;                       /* OFC_CONN: first, as in the listener */
	int fd;
	uint32_t events;                /* what epoll watches now */
	struct of_conn *of;
	struct ofc_listener *l;
	struct ofc_conn *next;
};

struct ofc_listener {
	int kind;                       /* OFC_LISTENER */
	int fd;                         /* -1: could not listen (logged once, not retried) */
	struct dp_ofconn *o;
	struct dp_bridge *br;
	char name[PORT_NAME_MAX];       /* the bridge's, kept: 'br' may be freed and reused */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct of_switch sw;
	struct ofc_conn *conns;
	unsigned n_conns;
	struct ofc_listener *next;
};

struct dp_ofconn {
	struct dp *dp;
	int ep;
	char *rundir_arg;               /* --openflow-rundir, or NULL */
	char rundir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ofc_listener *listeners;
};

/* --- the switch as openflow/ sees it --- */

static struct flowtab *
sw_flowtab(void *aux)
{
	struct ofc_listener *l = aux;

	return l->br->ft;
}

static void
sw_flows_changed(void *aux)
{
	struct ofc_listener *l = aux;

	dp_bridge_publish(l->o->dp, l->br);
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
	struct ofc_listener *l = aux;
	struct dp_bridge *br = l->br;
	unsigned n = 0;

	for (unsigned i = 0; i < br->n_ports; i++) {
		struct dp_port *p = br->ports[i];
		struct of_port_info *pi;
		struct port_pmd_stats sw;
		struct port_dev_stats dev = { 0 };

		if (p->error != NULL || p->ofport == UINT32_MAX)
			continue;
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
			pi->rx_dropped = dev.rx_dropped;
			pi->tx_dropped = sw.tx_dropped;
			pi->rx_errors = dev.rx_errors;
			pi->tx_errors = dev.tx_errors;
		}
		n++;
	}
	/* The bridge's LOCAL port, as ovs-vswitchd shows it; vireo-dp has no device for it. */
	if (n < max) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].ofport = 0xfffe;
		copy_name(out[n].name, br->name);
		out[n].admin_down = true;
	}
	return n + 1;
}

/* A datapath id from the bridge name (stable across restarts, distinct per bridge). */
static uint64_t
datapath_id(const char *name)
{
	uint64_t h = 1469598103934665603ull;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 1099511628211ull;
	return h & 0xffffffffffffull;
}

/* --- connections --- */

static void
conn_close(struct ofc_conn *c)
{
	struct ofc_listener *l = c->l;
	struct ofc_conn **pp;

	for (pp = &l->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	l->n_conns--;
	epoll_ctl(l->o->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	of_conn_destroy(c->of);
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
	ev.events = (of_conn_want_input(c->of) ? EPOLLIN : 0) | (pending ? EPOLLOUT : 0);
	if (ev.events != c->events) {
		epoll_ctl(c->l->o->ep, EPOLL_CTL_MOD, c->fd, &ev);
		c->events = ev.events;
	}
}

static void
conn_serve(struct ofc_conn *c)
{
	static uint8_t buf[OFC_READ];
	int rc = 0;

	/* Output first: replies held back until it drains let requests resume. */
	if (conn_flush(c) < 0)
		goto close;
	rc = of_conn_receive(c->of, NULL, 0);
	for (int i = 0; rc == 0 && i < OFC_READS_PER_EVENT && of_conn_want_input(c->of); i++) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0)
			goto close;
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			goto close;
		}
		rc = of_conn_receive(c->of, buf, (size_t)n);
		if (conn_flush(c) < 0)
			goto close;
	}
	if (rc < 0) {
		/* A protocol failure: what could be said is said; the connection ends. */
		conn_flush(c);
		goto close;
	}
	conn_watch(c);
	return;
close:
	conn_close(c);
}

static void
listener_accept(struct ofc_listener *l)
{
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ofc_conn *c;
		struct epoll_event ev;

		if (fd < 0)
			return;
		c = l->n_conns < OFC_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
		if (c != NULL)
			c->of = of_conn_create(&l->sw);
		if (c == NULL || c->of == NULL) {
			if (l->n_conns >= OFC_MAX_CONNS)
				dp_log("openflow %s: more than %d connections: refused", l->path,
					OFC_MAX_CONNS);
			free(c);
			close(fd);
			continue;
		}
		c->kind = OFC_CONN;
		c->fd = fd;
		c->l = l;
		c->events = EPOLLIN | EPOLLOUT;
		ev.events = c->events;
		ev.data.ptr = c;
		if (epoll_ctl(l->o->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			of_conn_destroy(c->of);
			free(c);
			close(fd);
			continue;
		}
		c->next = l->conns;
		l->conns = c;
		l->n_conns++;
		conn_serve(c);      /* our hello goes out at once */
	}
}

/* --- listeners --- */

static void
listener_close(struct ofc_listener *l)
{
	while (l->conns != NULL)
		conn_close(l->conns);
	if (l->fd >= 0) {
		epoll_ctl(l->o->ep, EPOLL_CTL_DEL, l->fd, NULL);
		close(l->fd);
		unlink(l->path);
	}
	free(l);
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

static struct ofc_listener *
listener_open(struct dp_ofconn *o, struct dp_bridge *br)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct epoll_event ev;
	struct ofc_listener *l;
	int n;

	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->kind = OFC_LISTENER;
	l->fd = -1;
	l->o = o;
	l->br = br;
	snprintf(l->name, sizeof(l->name), "%s", br->name);
	l->sw = (struct of_switch) {
		.datapath_id = datapath_id(br->name),
		.name = l->name,
		.flowtab = sw_flowtab,
		.flows_changed = sw_flows_changed,
		.ports = sw_ports,
		.aux = l,
	};
	/* A bridge whose socket cannot be made keeps a placeholder, so that it is said once. */
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s.mgmt", o->rundir, br->name);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		dp_log("openflow: bridge %s: socket path %s/%s.mgmt is too long", br->name,
			o->rundir, br->name);
		return l;
	}
	snprintf(l->path, sizeof(l->path), "%s", sun.sun_path);
	if (socket_in_use(&sun)) {
		dp_log("openflow: bridge %s: %s is served by another process: not replaced",
			br->name, sun.sun_path);
		return l;
	}
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	mkdir(o->rundir, 0755);
	unlink(l->path);
	if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(l->fd, 16) < 0) {
		dp_log("openflow: bridge %s: cannot listen on %s: %s", br->name, l->path,
			strerror(errno));
		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
		return l;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = l;
	epoll_ctl(o->ep, EPOLL_CTL_ADD, l->fd, &ev);
	return l;
}

static bool
bridge_alive(struct dp *dp, const struct ofc_listener *l)
{
	for (unsigned i = 0; i < dp->n_bridges; i++)
		if (dp->bridges[i] == l->br && strcmp(dp->bridges[i]->name, l->name) == 0)
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
	struct ofc_listener **pp, *l;
	char rundir[sizeof(o->rundir)];

	resolve_rundir(o, rundir, sizeof(rundir));
	if (strcmp(rundir, o->rundir) != 0) {
		while (o->listeners != NULL) {
			l = o->listeners;
			o->listeners = l->next;
			listener_close(l);
		}
		snprintf(o->rundir, sizeof(o->rundir), "%s", rundir);
	}
	/* Bridges that went away take their listener and connections with them. */
	for (pp = &o->listeners; *pp != NULL;) {
		l = *pp;
		if (bridge_alive(o->dp, l)) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		listener_close(l);
	}
	for (unsigned i = 0; i < o->dp->n_bridges; i++) {
		struct dp_bridge *br = o->dp->bridges[i];

		for (l = o->listeners; l != NULL && l->br != br; l = l->next)
			;
		if (l != NULL)
			continue;
		l = listener_open(o, br);
		if (l == NULL)
			continue;
		l->next = o->listeners;
		o->listeners = l;
	}
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
	return o;
}

int
dp_ofconn_fd(const struct dp_ofconn *o)
{
	return o->ep;
}

void
dp_ofconn_destroy(struct dp_ofconn *o)
{
	struct ofc_listener *l;

	if (o == NULL)
		return;
	while (o->listeners != NULL) {
		l = o->listeners;
		o->listeners = l->next;
		listener_close(l);
	}
	close(o->ep);
	free(o->rundir_arg);
	free(o);
}
