/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port type "internal": a kernel network device named like the port, through which the host
 * itself sends into and receives from the bridge, as Open vSwitch's internal ports (the
 * bridge's LOCAL port among them).  The device is a tap made by DPDK's net_tap; everything
 * but the opening is the dpdk port type's, so the port counts, reconfigures and closes like
 * any ethdev (closing it removes the kernel device).
 *
 * The kernel device is created down, with a random MAC address, as Open vSwitch creates
 * its internal devices: `ip link set NAME up` and `ip addr add` are the user's.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "port-private.h"
#include "tnl.h"

/* By slot: more than one PMD sends, so the tap's one queue is locked (set by the control
 * thread while no PMD sends on the port: at open, and in set_n_pmds). */
static bool tap_shared[PORT_MAX_SLOTS];

/* The devargs of the tap behind port 'name': the vdev is named after the port. */
static int
internal_devargs(const char *name, char *buf, size_t len, char **err)
{
	if (strlen(name) >= IFNAMSIZ) {
		port_errf(err, "an internal port is a kernel device, whose name is at most %d "
			"bytes: '%s' is %zu", IFNAMSIZ - 1, name, strlen(name));
		return -ENAMETOOLONG;
	}
	for (const char *c = name; *c != '\0'; c++) {
		if (*c == '/' || *c == ',' || *c == '=' || *c <= ' ') {
			port_errf(err, "an internal port's name becomes a kernel device's: '%s' "
				"holds '%c'", name, *c);
			return -EINVAL;
		}
	}
	snprintf(buf, len, "net_tap_%s,iface=%s", name, name);
	return 0;
}

static int
internal_open(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err)
{
	char devargs[64];
	int rc;

	if (args->n_options > 0) {
		port_errf(err, "options:%s: an internal port has no options",
			args->options[0].key);
		return -EINVAL;
	}
	rc = internal_devargs(p->name, devargs, sizeof(devargs), err);
	if (rc < 0)
		return rc;
	/*
	 * A device of that name that is not ours (a kernel bridge, another switch's tap) would
	 * make net_tap fail with a bare EINVAL, or worse attach to a multiqueue tap as one more
	 * queue: two switches behind one device.  Ours are gone once closed.
	 */
	unsigned ifindex = if_nametoindex(p->name);
	if (ifindex != 0) {
		port_errf(err, "an internal port is a kernel device named like the port, and the "
			"kernel already has a device '%s' (ifindex %u) that is not this switch's",
			p->name, ifindex);
		return -EEXIST;
	}
	/* net_tap wants as many tx queues as rx queues: one each, shared by the PMDs. */
	rc = port_dpdk_open_devargs(p, devargs, 1, args, env, err);
	if (rc < 0)
		return rc;
	/*
	 * PMDs send with qid = their index (tunnel packets are handed on as that PMD's), and
	 * internal_tx() takes the one tap queue's lock itself, only for what reaches the tap.
	 */
	p->n_txq = PORT_MAX_TXQ;
	p->tx_locked = false;
	tap_shared[p->slot] = env->n_pmds > 1;
	tnl_internal_add(p, env);
	return 0;
}

/* An MTU change is the dpdk type's (in place when it fits the pool); it sees the devargs. */
static int
internal_reconfigure(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err)
{
	char devargs[64];
	struct port_option opt = { "dpdk-devargs", devargs };
	struct port_args a = { .options = &opt, .n_options = 1,
		.mtu_request = args->mtu_request };

	if (args->n_options > 0 || internal_devargs(p->name, devargs, sizeof(devargs), err) < 0)
		return -EOPNOTSUPP;
	return port_dpdk_ops.reconfigure(p, &a, env, err);
}

static void
internal_close(struct port *p)
{
	tnl_internal_del(p);
	port_dpdk_ops.close(p);
}

static uint16_t
internal_rx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	return port_dpdk_ops.rx(p, qid, pkts, n);
}

/* Tunnel packets for this host are popped on the way (tnl.h); the rest goes to the kernel. */
static uint16_t
internal_tx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
	uint64_t *failed_bytes)
{
	uint16_t dropped = 0, left;

	n = tnl_internal_tx(p, qid, pkts, n, &dropped, failed_bytes);
	if (n == 0)
		return dropped;
	if (tap_shared[p->slot]) {
		rte_spinlock_lock(&p->txq_lock[0]);
		left = port_dpdk_ops.tx(p, 0, pkts, n, failed_bytes);
		rte_spinlock_unlock(&p->txq_lock[0]);
	} else {
		left = port_dpdk_ops.tx(p, 0, pkts, n, failed_bytes);
	}
	return dropped + left;
}

static void
internal_dev_stats(struct port *p, struct port_dev_stats *st)
{
	port_dpdk_ops.dev_stats(p, st);
}

static bool
internal_link_up(struct port *p)
{
	return port_dpdk_ops.link_up(p);
}

static void
internal_status(struct port *p, char *buf, size_t len)
{
	port_dpdk_ops.status(p, buf, len);
}

static void
internal_set_n_pmds(struct port *p, unsigned n_pmds)
{
	tap_shared[p->slot] = n_pmds > 1;
}

const struct port_ops port_internal_ops = {
	.type = "internal",
	.open = internal_open,
	.close = internal_close,
	.rx = internal_rx,
	.tx = internal_tx,
	.dev_stats = internal_dev_stats,
	.link_up = internal_link_up,
	.status = internal_status,
	.set_n_pmds = internal_set_n_pmds,
	.reconfigure = internal_reconfigure,
};
