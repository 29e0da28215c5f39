/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_DP_OFCONN_PRIVATE_H
#define VIREO_DP_OFCONN_PRIVATE_H

/*
 * The insides of the OpenFlow channel, shared by ofconn.c (bridges, sockets, connections,
 * the switch as openflow/ sees it) and ofconn_ctl.c (controllers: targets, reconnection,
 * inactivity probes, fail mode).  Main thread only, like everything of dp_ofconn.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "dp.h"
#include "ofconn.h"
#include "openflow.h"

enum { OFC_LISTENER, OFC_CONN };

struct ofc_bridge;
struct ofc_target;

/** A listening socket: the bridge's management socket or a ptcp:/punix: controller. */
struct ofc_listener {
	int kind;                       /* OFC_LISTENER: first, as in the connection */
	int fd;                         /* -1: could not listen (logged once) */
	bool primary;                   /* its connections are controllers' */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];  /* unix: unlinked at close */
	struct ofc_bridge *b;
	struct ofc_target *t;           /* the controller it serves, or NULL */
};

/** One OpenFlow connection (accepted, or made to an active controller). */
struct ofc_conn {
	int kind;                       /* OFC_CONN */
	int fd;
	uint32_t events;                /* what epoll watches now */
	bool connecting;                /* a non-blocking connect() not finished yet */
	bool primary;
	bool was_up;                    /* the versions were agreed at least once */
	struct of_conn *of;
	struct ofc_bridge *b;
	struct ofc_target *t;           /* its controller, or NULL (management socket) */
	uint64_t last_rx_ms;
	bool probe_sent;
	uint64_t rest_until_ms;         /* not read before (a bundle streaming in), or 0 */
	struct ofc_conn *next;
};

/** A controller of the bridge, as configured (Open vSwitch's Controller row). */
struct ofc_target {
	struct vconf_controller cfg;    /* copied; 'target' and 'uuid' owned */
	bool passive;
	struct ofc_listener *l;         /* passive: its listener */
	struct ofc_conn *c;             /* active: the connection or attempt, or NULL */
	uint64_t next_try_ms;
	uint64_t backoff_ms;
	char last_error[128];           /* why the last attempt failed, "" when none */
	bool logged_error;
	bool unusable;                  /* a target that does not parse: never tried */
	char reported[160];             /* what was last reported (connected, role, state) */
};

struct ofc_bridge {
	struct dp_ofconn *o;
	struct dp_bridge *br;
	char name[PORT_NAME_MAX];       /* the bridge's, kept: 'br' may be freed and reused */
	struct of_switch sw;
	struct of_election election;    /* the bridge's role generation id (sw.election) */
	struct ofc_listener mgmt;
	struct ofc_conn *conns;
	unsigned n_conns;
	struct ofc_target *targets;
	size_t n_targets;
	uint64_t alone_since_ms;        /* no controller connected since; 0 while one is */
	struct of_port_info *ports;     /* what the last port_status round saw */
	unsigned n_ports;
	uint64_t pins_sent;             /* packet_ins queued to a connection (openflow/show) */
	uint64_t pins_unread;           /* ... not queued: the connection's output was full */
	uint64_t bundle_rests;          /* a bundle's reads deferred to batch them (openflow/show) */
	struct ofc_bridge *next;
};

struct dp_ofconn {
	struct dp *dp;
	int ep;
	char *rundir_arg;               /* --openflow-rundir, or NULL */
	char rundir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ofc_bridge *bridges;
	uint64_t ports_at_ms;           /* next port_status round */
	dp_ofconn_report_fn *report;    /* controller state to OVSDB, or NULL */
	void *report_aux;
};

uint64_t ofc_now_ms(void);
/** Wrap the connected socket 'fd' (non-blocking) into a connection of 'b'. */
struct ofc_conn *ofc_conn_add(struct ofc_bridge *b, int fd, bool primary, bool connecting,
	struct ofc_target *t);
void ofc_conn_close(struct ofc_conn *c);
/** Send what is pending and set what epoll waits for; false when the peer is gone. */
bool ofc_conn_flush_watch(struct ofc_conn *c);
/** Open a listener of 'b' on 'sun' ('len' bytes of address) or TCP; logs failures. */
int ofc_listen(struct ofc_bridge *b, struct ofc_listener *l, const struct sockaddr *sa,
	socklen_t len, const char *what);
void ofc_listener_close(struct ofc_listener *l);

/* ofconn_ctl.c */
/** Make 'b''s controllers follow 'cfg' (NULL: none). */
void ofc_targets_sync(struct ofc_bridge *b, const struct vconf_bridge *cfg);
void ofc_targets_free(struct ofc_bridge *b);
/** A connection of target 't' ended (or its attempt failed with 'why'). */
void ofc_target_down(struct ofc_target *t, const char *why);
/** Timers: reconnect, probes, fail mode.  Returns ms until the next one is due. */
uint64_t ofc_targets_run(struct ofc_bridge *b, uint64_t now);

#endif /* VIREO_DP_OFCONN_PRIVATE_H */
