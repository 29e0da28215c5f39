/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port type "dpdk": any DPDK ethdev, named by options:dpdk-devargs — a PCI address of a
 * device bound to vfio-pci, or a virtual device string ("net_af_packet0,iface=veth0",
 * "net_tap0,iface=tap0").  The device is probed with rte_dev_probe() when the port is
 * added and removed with rte_dev_remove() when it is deleted, so ports come and go at run
 * time as in Open vSwitch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "port-private.h"

#define DEFAULT_RXD 2048
#define DEFAULT_TXD 2048

/* The options of a dpdk port ("dpdk-devargs" is checked by dpdk_open). */
struct dpdk_opts {
	uint16_t n_rxq, n_rxd, n_txd;
};

struct dpdk_priv {
	uint16_t port_id;
	bool probed_by_us;
	char devname[RTE_ETH_NAME_MAX_LEN];
	char *devargs;			/* as opened */
	struct dpdk_opts opts;		/* as opened */
	struct rte_mempool *mp;		/* the rx queues' pool */
	bool tx_multiseg;		/* the device sends chained mbufs (set before publication) */
	void *ext;			/* a type built on this one (bond): its state */
	struct dpdk_priv *next;		/* in open_ports */
};

/* Every open dpdk port, to refuse a second port on the same device (control thread only). */
static struct dpdk_priv *open_ports;

static char *
fmt_err(const char *f, const char *a, int rc)
{
	char *s = NULL;

	if (asprintf(&s, f, a, rte_strerror(-rc)) < 0)
		s = NULL;
	return s;
}

static int
find_port(const char *devargs, char *name, size_t len, uint16_t *port_id)
{
	const char *comma = strchr(devargs, ',');
	size_t n = comma ? (size_t)(comma - devargs) : strlen(devargs);

	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(name, devargs, n);
	name[n] = '\0';
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	/* A PCI address may be written without its domain, or matched by a bus name. */
	uint16_t pid;

	RTE_ETH_FOREACH_DEV(pid) {
		struct rte_eth_dev_info info;

		if (rte_eth_dev_info_get(pid, &info) != 0 || info.device == NULL)
			continue;
		const char *dn = rte_dev_name(info.device);

		if (dn != NULL && (strcmp(dn, name) == 0 ||
				(strlen(dn) > strlen(name) &&
				strcmp(dn + strlen(dn) - strlen(name), name) == 0 &&
				dn[strlen(dn) - strlen(name) - 1] == ':'))) {
			*port_id = pid;
			return 0;
		}
	}
	return -ENODEV;
}

static bool port_in_use(uint16_t port_id);

int
port_dpdk_probe(const char *devargs, uint16_t *port_id, bool *probed, char **err)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	int rc;

	*probed = false;
	if (find_port(devargs, name, sizeof(name), port_id) == 0) {
		if (port_in_use(*port_id)) {
			port_errf(err, "dpdk-devargs '%s' is already in use by another port",
				devargs);
			return -EBUSY;
		}
		return 0;
	}
	rc = rte_dev_probe(devargs);
	if (rc < 0 && rc != -EEXIST) {
		*err = fmt_err("could not probe dpdk-devargs '%s': %s", devargs, rc);
		return rc;
	}
	*probed = true;
	rc = find_port(devargs, name, sizeof(name), port_id);
	if (rc != 0) {
		*err = fmt_err("dpdk-devargs '%s' was probed but gives no ethernet port: %s",
			devargs, rc);
		return rc;
	}
	return 0;
}

static void remove_dev(uint16_t port_id);

void
port_dpdk_remove(uint16_t port_id)
{
	remove_dev(port_id);
}

uint16_t
port_dpdk_id(const struct port *p)
{
	return ((const struct dpdk_priv *)p->priv)->port_id;
}

void **
port_dpdk_ext(struct port *p)
{
	return &((struct dpdk_priv *)p->priv)->ext;
}

static bool
port_in_use(uint16_t port_id)
{
	for (const struct dpdk_priv *d = open_ports; d != NULL; d = d->next)
		if (d->port_id == port_id)
			return true;
	return false;
}

static void
open_ports_remove(struct dpdk_priv *priv)
{
	for (struct dpdk_priv **pp = &open_ports; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == priv) {
			*pp = priv->next;
			return;
		}
	}
}

/* Close the ethdev and detach its device from the bus. */
static void
remove_dev(uint16_t port_id)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(port_id, &info) == 0)
		dev = info.device;
	rte_eth_dev_close(port_id);
	if (dev != NULL)
		rte_dev_remove(dev);
}

/*
 * Drop what the rx queues hold before the port is published.  net_af_packet opens its
 * socket for every protocol on every interface and binds it to its own only after the
 * rings are set up: frames of other interfaces caught in between would otherwise reach the
 * bridge as if they came in on this port, and MAC learning would move their senders here.
 */
static void
drain_rx(uint16_t port_id, uint16_t n_rxq)
{
	struct rte_mbuf *pkts[PORT_BURST];

	for (uint16_t q = 0; q < n_rxq; q++) {
		uint16_t n;
		unsigned rounds = 0;

		while ((n = rte_eth_rx_burst(port_id, q, pkts, PORT_BURST)) > 0 && rounds++ < 1024)
			rte_pktmbuf_free_bulk(pkts, n);
		if (n > 0)
			rte_pktmbuf_free_bulk(pkts, n);
	}
}

static int
dpdk_opts_parse(const struct port_args *args, struct dpdk_opts *o, char **err)
{
	unsigned long v;

	if (port_args_uint(args, "n_rxq", 1, PORT_MAX_RXQ, 1, &v, err) < 0)
		return -EINVAL;
	o->n_rxq = (uint16_t)v;
	if (port_args_uint(args, "n_rxq_desc", 1, 4096, DEFAULT_RXD, &v, err) < 0)
		return -EINVAL;
	o->n_rxd = (uint16_t)v;
	if (port_args_uint(args, "n_txq_desc", 1, 4096, DEFAULT_TXD, &v, err) < 0)
		return -EINVAL;
	o->n_txd = (uint16_t)v;
	return 0;
}

static int
dpdk_open(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err)
{
	const char *devargs = port_args_get(args, "dpdk-devargs");

	if (devargs == NULL || *devargs == '\0') {
		*err = strdup("options:dpdk-devargs is required for a dpdk port");
		return -EINVAL;
	}
	return port_dpdk_open_devargs(p, devargs, PORT_MAX_TXQ, args, env, err);
}

int
port_dpdk_open_devargs(struct port *p, const char *devargs, uint16_t max_txq,
	const struct port_args *args, const struct port_env *env, char **err)
{
	struct dpdk_opts o;
	struct dpdk_priv *priv;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_mempool *mp;
	uint16_t nrxd, ntxd, n_rxq, n_txq;
	int rc;

	rc = dpdk_opts_parse(args, &o, err);
	if (rc < 0)
		return rc;
	priv = calloc(1, sizeof(*priv));
	if (priv == NULL)
		return -ENOMEM;
	rc = find_port(devargs, priv->devname, sizeof(priv->devname), &priv->port_id);
	if (rc != 0) {
		rc = rte_dev_probe(devargs);
		if (rc < 0 && rc != -EEXIST) {
			*err = fmt_err("could not probe dpdk-devargs '%s': %s", devargs, rc);
			goto err_free;
		}
		priv->probed_by_us = true;
		rc = find_port(devargs, priv->devname, sizeof(priv->devname), &priv->port_id);
		if (rc != 0) {
			*err = fmt_err("dpdk-devargs '%s' was probed but gives no ethernet port: %s",
				devargs, rc);
			goto err_remove;
		}
	} else if (port_in_use(priv->port_id)) {
		if (asprintf(err, "dpdk-devargs '%s' is already in use by another port",
				devargs) < 0)
			*err = NULL;
		rc = -EBUSY;
		goto err_free;
	}
	rc = rte_eth_dev_info_get(priv->port_id, &info);
	if (rc != 0) {
		*err = fmt_err("cannot get device info of '%s': %s", devargs, rc);
		goto err_remove;
	}
	n_rxq = o.n_rxq;
	if (n_rxq > info.max_rx_queues) {
		port_errf(err, "options:n_rxq=%u: the device supports 1..%u rx queues",
			n_rxq, RTE_MIN(info.max_rx_queues, PORT_MAX_RXQ));
		rc = -EINVAL;
		goto err_remove;
	}
	/* One tx queue a PMD and one spare, as the device allows. */
	n_txq = (uint16_t)RTE_MIN(RTE_MIN(env->n_pmds + 1u, (unsigned)info.max_tx_queues),
		(unsigned)max_txq);
	nrxd = o.n_rxd;
	ntxd = o.n_txd;
	memset(&conf, 0, sizeof(conf));
	if (n_rxq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP |
			RTE_ETH_RSS_TCP) & info.flow_type_rss_offloads;
	}
	/*
	 * Chained mbufs (jumbo frames from a guest, copies of lent packets) are sent only by a
	 * device that says it can: a simple transmit path sends the first segment alone and
	 * never frees the rest.  Without it, port_dpdk_tx() drops them.
	 */
	conf.txmode.offloads = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	priv->tx_multiseg = conf.txmode.offloads != 0;
	rc = rte_eth_dev_configure(priv->port_id, n_rxq, n_txq, &conf);
	if (rc < 0) {
		*err = fmt_err("cannot configure '%s': %s", devargs, rc);
		goto err_remove;
	}
	rte_eth_dev_adjust_nb_rx_tx_desc(priv->port_id, &nrxd, &ntxd);
	p->socket = rte_eth_dev_socket_id(priv->port_id);
	if (p->socket < 0)
		p->socket = 0;
	p->mtu = args->mtu_request ? (int)args->mtu_request : 1500;
	mp = env->mempool(p->socket, p->mtu);
	if (mp == NULL) {
		*err = fmt_err("no packet buffers for '%s' (hugepages?): %s", devargs, -rte_errno);
		rc = -ENOMEM;
		goto err_remove;
	}
	if (p->mtu != 1500) {
		rc = rte_eth_dev_set_mtu(priv->port_id, (uint16_t)p->mtu);
		if (rc < 0) {
			char *m = NULL;

			if (asprintf(&m, "mtu_request=%d: rejected by the device: %s", p->mtu,
					rte_strerror(-rc)) < 0)
				m = NULL;
			*err = m;
			goto err_close;
		}
	}
	for (uint16_t q = 0; q < n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(priv->port_id, q, nrxd, p->socket, NULL, mp);
		if (rc < 0) {
			*err = fmt_err("cannot set up rx queues of '%s': %s", devargs, rc);
			goto err_close;
		}
	}
	for (uint16_t q = 0; q < n_txq; q++) {
		rc = rte_eth_tx_queue_setup(priv->port_id, q, ntxd, p->socket, NULL);
		if (rc < 0) {
			*err = fmt_err("cannot set up tx queues of '%s': %s", devargs, rc);
			goto err_close;
		}
	}
	rc = rte_eth_dev_start(priv->port_id);
	if (rc < 0) {
		*err = fmt_err("cannot start '%s': %s", devargs, rc);
		goto err_close;
	}
	rte_eth_promiscuous_enable(priv->port_id);
	drain_rx(priv->port_id, n_rxq);
	priv->devargs = strdup(devargs);
	priv->opts = o;
	priv->mp = mp;
	p->priv = priv;
	p->n_rxq = n_rxq;
	p->n_txq = n_txq;
	p->tx_locked = n_txq < env->n_pmds;
	for (uint16_t q = 0; q < n_rxq; q++)
		p->rxq_enabled[q] = 1;
	priv->next = open_ports;
	open_ports = priv;
	return 0;

err_close:
	if (priv->probed_by_us) {
		remove_dev(priv->port_id);
		goto err_free;
	}
	rte_eth_dev_close(priv->port_id);
	goto err_free;
err_remove:
	if (priv->probed_by_us)
		remove_dev(priv->port_id);
err_free:
	free(priv);
	return rc < 0 ? rc : -EIO;
}

static void
dpdk_close(struct port *p)
{
	struct dpdk_priv *priv = p->priv;

	if (priv == NULL)
		return;
	open_ports_remove(priv);
	rte_eth_dev_stop(priv->port_id);
	remove_dev(priv->port_id);
	free(priv->devargs);
	free(priv);
	p->priv = NULL;
}

static uint16_t
dpdk_rx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(((struct dpdk_priv *)p->priv)->port_id, qid, pkts, n);
}

/*
 * Keep, at the front of 'pkts', the packets the device may send: at most the MTU plus the
 * Ethernet header and 4 bytes (a VLAN tag, as Open vSwitch's netdev_dpdk_filter_packet_len()
 * allows) unless segmentation is asked for, and one segment unless the device takes chains.
 * The others are freed and their bytes added to '*failed_bytes'.  Returns how many are kept.
 */
static inline uint16_t
dpdk_tx_filter(const struct port *p, const struct dpdk_priv *priv, struct rte_mbuf **pkts,
	uint16_t n, uint64_t *failed_bytes)
{
	uint32_t max = (uint32_t)__atomic_load_n(&p->mtu, __ATOMIC_RELAXED) + RTE_ETHER_HDR_LEN +
		RTE_ETHER_CRC_LEN;
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (likely((m->pkt_len <= max || (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)) &&
				(m->nb_segs == 1 || priv->tx_multiseg))) {
			pkts[k++] = m;
			continue;
		}
		*failed_bytes += m->pkt_len;
		rte_pktmbuf_free(m);
	}
	return k;
}

uint16_t
port_dpdk_tx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
	uint64_t *failed_bytes)
{
	const struct dpdk_priv *priv = p->priv;
	uint16_t k = dpdk_tx_filter(p, priv, pkts, n, failed_bytes);
	uint16_t sent = rte_eth_tx_burst(priv->port_id, qid, pkts, k);

	if (unlikely(sent < k)) {
		*failed_bytes += port_pkts_bytes(pkts + sent, (uint16_t)(k - sent));
		rte_pktmbuf_free_bulk(pkts + sent, k - sent);
	}
	return n - sent;
}

void
port_dpdk_dev_stats(struct port *p, struct port_dev_stats *st)
{
	struct rte_eth_stats s;

	memset(st, 0, sizeof(*st));
	if (p->priv == NULL || rte_eth_stats_get(((struct dpdk_priv *)p->priv)->port_id, &s))
		return;
	st->rx_packets = s.ipackets;
	st->rx_bytes = s.ibytes;
	st->rx_dropped = s.imissed + s.rx_nombuf;
	st->rx_errors = s.ierrors;
	st->tx_packets = s.opackets;
	st->tx_bytes = s.obytes;
	st->tx_errors = s.oerrors;
}

bool
port_dpdk_link_up(struct port *p)
{
	struct rte_eth_link link;

	if (p->priv == NULL)
		return false;
	if (rte_eth_link_get_nowait(((struct dpdk_priv *)p->priv)->port_id, &link) != 0)
		return false;
	return link.link_status == RTE_ETH_LINK_UP;
}

static void
dpdk_status(struct port *p, char *buf, size_t len)
{
	struct dpdk_priv *priv = p->priv;
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;

	if (priv == NULL || rte_eth_dev_info_get(priv->port_id, &info) != 0) {
		snprintf(buf, len, "%s", "");
		return;
	}
	rte_eth_macaddr_get(priv->port_id, &mac);
	snprintf(buf, len, "driver_name=%s\nport_no=%u\nnuma_id=%d\nn_rxq=%u\nn_txq=%u\n"
		"max_rx_queues=%u\nmax_tx_queues=%u\nmac_address=" RTE_ETHER_ADDR_PRT_FMT "\n",
		info.driver_name, priv->port_id, p->socket, p->n_rxq, p->n_txq,
		info.max_rx_queues, info.max_tx_queues, RTE_ETHER_ADDR_BYTES(&mac));
}

/*
 * In place: an MTU whose frames fit the packet pool the rx queues already use (the device
 * takes the new MTU while it runs).  Anything else (another device, queue counts or ring
 * sizes, a jump to jumbo frames) is a new open.
 */
static int
dpdk_reconfigure(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err)
{
	struct dpdk_priv *priv = p->priv;
	const char *devargs = port_args_get(args, "dpdk-devargs");
	int mtu = args->mtu_request ? (int)args->mtu_request : 1500;
	struct dpdk_opts o;
	int rc;

	if (devargs == NULL || priv->devargs == NULL || strcmp(devargs, priv->devargs) != 0)
		return -EOPNOTSUPP;
	rc = dpdk_opts_parse(args, &o, err);
	if (rc < 0)
		return rc;
	if (memcmp(&o, &priv->opts, sizeof(o)) != 0 || env->mempool(p->socket, mtu) != priv->mp)
		return -EOPNOTSUPP;
	if (mtu == p->mtu)
		return 0;
	rc = rte_eth_dev_set_mtu(priv->port_id, (uint16_t)mtu);
	if (rc < 0) {
		port_errf(err, "mtu_request=%d: rejected by the device: %s", mtu,
			rte_strerror(-rc));
		return rc;
	}
	/* PMDs read it while the port stays published (tnl_pmd.c's underlay MTU). */
	__atomic_store_n(&p->mtu, mtu, __ATOMIC_RELAXED);
	return 0;
}

/* The device's tx queue count is fixed at open: more PMDs than queues share them, locked. */
static void
dpdk_set_n_pmds(struct port *p, unsigned n_pmds)
{
	p->tx_locked = p->n_txq < n_pmds;
}

const struct port_ops port_dpdk_ops = {
	.type = "dpdk",
	.open = dpdk_open,
	.close = dpdk_close,
	.rx = dpdk_rx,
	.tx = port_dpdk_tx,
	.dev_stats = port_dpdk_dev_stats,
	.link_up = port_dpdk_link_up,
	.status = dpdk_status,
	.set_n_pmds = dpdk_set_n_pmds,
	.reconfigure = dpdk_reconfigure,
};
