/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port type "patch" (Open vSwitch's Interface type=patch, options:peer=NAME): one end of a
 * wire between two bridges of the same switch.  It has no device: a burst sent on it is
 * handed, without a copy, to the switch's process function as if the peer had received it,
 * on the same PMD (port_env.deliver).  Nothing is ever received from a patch port's queues
 * (n_rxq 0), so it costs the PMDs no polling.
 *
 * The two ends find each other by name when the second one opens: each holds an atomic
 * pointer to the other, set only while both are open and name each other.  An end that is
 * alone (its peer absent, or naming another port) has its link down and drops what it is
 * sent, counted as tx_dropped, as Open vSwitch does.
 *
 * Thread-safety: the registry of open ends and the links are the control thread's; PMDs
 * load 'peer' once per burst.  close() clears both pointers and waits for a grace period of
 * the PMDs' RCU (env->qsbr) before the end is freed, so no PMD still hands packets to an end
 * that is gone through its peer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "port-private.h"
#include "rcu.h"

struct patch_priv {
	struct port *port;
	char peer_name[PORT_NAME_MAX];
	struct patch_priv *peer;	/**< atomic: the linked other end, or NULL */
	const struct port_env *env;
};

/* Every open end (control thread only). */
static struct patch_priv *ends[PORT_MAX_SLOTS];

static struct patch_priv *
end_named(const char *name)
{
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++)
		if (ends[i] != NULL && strcmp(ends[i]->port->name, name) == 0)
			return ends[i];
	return NULL;
}

static int
patch_open(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err)
{
	const char *peer = port_args_get(args, "peer");
	struct patch_priv *pp, *other;
	unsigned free_at = PORT_MAX_SLOTS;

	if (peer == NULL || *peer == '\0') {
		port_errf(err, "options:peer is required for a patch port");
		return -EINVAL;
	}
	if (strcmp(peer, p->name) == 0) {
		port_errf(err, "options:peer=%s: a patch port cannot be its own peer", peer);
		return -EINVAL;
	}
	if (strlen(peer) >= PORT_NAME_MAX) {
		port_errf(err, "options:peer: a name is at most %d bytes", PORT_NAME_MAX - 1);
		return -EINVAL;
	}
	if (env->deliver == NULL) {
		port_errf(err, "patch ports need a switch to deliver to");
		return -ENOTSUP;
	}
	for (unsigned i = 0; i < PORT_MAX_SLOTS && free_at == PORT_MAX_SLOTS; i++)
		if (ends[i] == NULL)
			free_at = i;
	pp = calloc(1, sizeof(*pp));
	if (pp == NULL || free_at == PORT_MAX_SLOTS) {
		free(pp);
		port_errf(err, "out of memory");
		return -ENOMEM;
	}
	pp->port = p;
	pp->env = env;
	memcpy(pp->peer_name, peer, strlen(peer) + 1);
	p->priv = pp;
	p->n_rxq = 0;
	p->n_txq = PORT_MAX_TXQ;	/* qid == the sending PMD's index: never a lock */
	p->tx_locked = false;
	p->socket = -1;
	p->mtu = args->mtu_request ? (int)args->mtu_request : 1500;
	ends[free_at] = pp;
	other = end_named(peer);
	if (other != NULL && strcmp(other->peer_name, p->name) == 0) {
		__atomic_store_n(&pp->peer, other, __ATOMIC_RELEASE);
		__atomic_store_n(&other->peer, pp, __ATOMIC_RELEASE);
		env->log("patch %s: linked to %s", p->name, peer);
	}
	return 0;
}

static void
patch_close(struct port *p)
{
	struct patch_priv *pp = p->priv, *other = pp->peer;

	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++)
		if (ends[i] == pp)
			ends[i] = NULL;
	if (other != NULL) {
		__atomic_store_n(&other->peer, NULL, __ATOMIC_RELEASE);
		__atomic_store_n(&pp->peer, NULL, __ATOMIC_RELEASE);
		/* A PMD sending on 'other' may have loaded the pointer to us just before. */
		rcu_synchronize(pp->env->qsbr);
		pp->env->log("patch %s: %s is gone, link down", other->port->name, p->name);
	}
	free(pp);
}

static uint16_t
patch_rx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	(void)p;
	(void)qid;
	(void)pkts;
	(void)n;
	return 0;
}

static uint16_t
patch_tx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
	uint64_t *failed_bytes)
{
	struct patch_priv *pp = p->priv;
	struct patch_priv *other = __atomic_load_n(&pp->peer, __ATOMIC_ACQUIRE);
	struct rte_mbuf *burst[PORT_BURST];
	uint64_t bytes = port_pkts_bytes(pkts, n);
	uint16_t dropped;

	if (unlikely(other == NULL)) {
		*failed_bytes += bytes;
		rte_pktmbuf_free_bulk(pkts, n);
		return n;
	}
	/* 'pkts' is the sender's batch, which the peer bridge may fill again meanwhile. */
	memcpy(burst, pkts, n * sizeof(*pkts));
	dropped = pp->env->deliver(pp->env->deliver_aux, other->port, qid, burst, n);
	if (dropped != 0)
		*failed_bytes += bytes;	/* all of them (port_env.deliver) */
	return dropped;
}

static void
patch_dev_stats(struct port *p, struct port_dev_stats *st)
{
	(void)p;
	(void)st;
}

static bool
patch_link_up(struct port *p)
{
	struct patch_priv *pp = p->priv;

	return __atomic_load_n(&pp->peer, __ATOMIC_ACQUIRE) != NULL;
}

static void
patch_status(struct port *p, char *buf, size_t len)
{
	struct patch_priv *pp = p->priv;

	snprintf(buf, len, "peer=%s\nlinked=%s\n", pp->peer_name,
		pp->peer != NULL ? "true" : "false");
}

const struct port_ops port_patch_ops = {
	.type = "patch",
	.open = patch_open,
	.close = patch_close,
	.rx = patch_rx,
	.tx = patch_tx,
	.dev_stats = patch_dev_stats,
	.link_up = patch_link_up,
	.status = patch_status,
};
