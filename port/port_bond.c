/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port type "bond": several DPDK ethdevs bonded by DPDK's own bonding driver (net_bonding,
 * rte_eth_bond), which is what Open vSwitch's bond of dpdk interfaces becomes here:
 *   - bond_mode=active-backup: one member, the active one, sends and receives everything;
 *     this file alone chooses it, as Open vSwitch does (bond_updelay, bond_downdelay,
 *     bond-primary).  The driver's mode 1 sets the members up and receives from the member
 *     it calls primary, which this file keeps equal to its choice; but its link callback
 *     moves that primary itself, at once whatever the delays, and back to the member set
 *     as primary when that one's link returns.  So transmit is this file's (all buckets to
 *     the active member), and the NORMAL action drops what arrives on another member while
 *     the driver's primary differs (bond_admit(), Open vSwitch's
 *     bond_check_admissibility() drops what arrives on backup members);
 *   - bond_mode=balance-tcp with lacp=active or passive: mode 4 (802.3ad), flows hashed over
 *     layers 3 and 4 to the members LACP lets distribute;
 *   - bond_mode=balance-slb: mode 2 (balance) sets the members up and receives from all of
 *     them; transmit is this file's, as Open vSwitch's: each packet's source MAC and VLAN
 *     hash to one of SLB_BUCKETS buckets, each bucket to an enabled member.  DPDK's own
 *     layer-2 policy hashes source and destination MAC, which spreads one source over
 *     several members, and the switch beyond the bond (unaware of it) would then see that
 *     MAC move from port to port.  A member that goes down loses its buckets to the
 *     enabled members with the fewest; one that comes back takes buckets from those with
 *     the most until the counts differ by one at most.  The loop protection needs the
 *     member a packet arrived on: DPDK's mode 2 receive leaves the member's port id in
 *     mbuf->port, and bond_admit() gives the NORMAL action Open vSwitch's verdicts
 *     (bond_check_admissibility(): multicast only from the active member, and a source
 *     MAC learned on another port dropped as a reflection);
 *   - bond_mode=active-backup with lacp=active or passive: mode 4 negotiates LACP and
 *     receives from the members it collects on; transmit is this file's too (all buckets to
 *     one member), on the first member LACP lets distribute, kept while it may (Open
 *     vSwitch's active-backup over LACP).  DPDK's 802.3ad transmit would balance over all
 *     of them.
 * lacp=passive: DPDK 22.11's 802.3ad has no passive actor (it always sets the actor's
 * LACP_Activity bit); callbacks on the members' queues clear the bit in the LACPDUs it sends
 * and hold them back while the partner is not active (bond_passive.h), DPDK's state
 * machines unchanged.
 * The owner refuses every other combination before it opens one (config/check.c).
 *
 * The bonded ethdev is then opened as a dpdk port is (port_dpdk.c: queues, pool, start),
 * so rx, tx and counters are the dpdk type's; this file adds the members, the LACP
 * transmit kick and the member watch.
 *
 * Options (from the owner, as strings): "member:NAME" = the member's dpdk-devargs, in
 * order (active-backup starts on the first member with carrier); "bond_mode"; "lacp";
 * "lacp-time" (fast: a partner is timed out after 3 s instead of 90 s; DPDK 22.11's 802.3ad
 * cannot ask the partner for fast LACPDUs, the partner must be set to send them);
 * "bond_updelay", "bond_downdelay" (ms a member's carrier must hold before it is taken in
 * or out); "bond-primary" (active-backup: the member NAME made active whenever it is
 * enabled; "" none).
 *
 * Threads: the control thread opens and closes; PMDs call bond_rx() (and the dpdk type's
 * tx); the member watch runs on EAL's alarm thread every WATCH_MS, from open until close
 * cancels it, and is the only writer of the members' carrier and enabled state.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_eth_bond.h>
#include <rte_eth_bond_8023ad.h>
#include <rte_ethdev.h>

#include "bond_passive.h"
#include "port-private.h"

#define BOND_MAX_MEMBERS 8
#define WATCH_MS 50
#define LACP_KICK_MS 10		/* DPDK's 802.3ad wants a tx call every 100 ms at least */
#define LACP_FAST_TIMEOUT_MS 3100	/* DPDK wants it above its short timeout, 3 s */

#define SLB_BUCKETS 256
#define SLB_NONE 0xff		/* a bucket with no enabled member: its packets are dropped */

enum bond_kind {
	BOND_ACTIVE_BACKUP,
	BOND_BALANCE_TCP,
	BOND_BALANCE_SLB,
};

static const char *const kind_names[] = {
	[BOND_ACTIVE_BACKUP] = "active-backup",
	[BOND_BALANCE_TCP] = "balance-tcp",
	[BOND_BALANCE_SLB] = "balance-slb",
};

struct bond_member {
	char name[PORT_NAME_MAX];	/* the Interface's name */
	char ifname[32];		/* net_af_packet: the kernel interface it drives */
	uint16_t port_id;
	bool probed;
	/* alarm thread writes; control thread reads (bond/show) */
	volatile bool carrier;
	volatile bool enabled;		/* carrier, after bond_updelay/bond_downdelay */
	uint64_t changed_ms;		/* when 'carrier' last changed */
	struct bond_passive passive;	/* lacp=passive: its callbacks' state */
};

struct bond_priv {
	/* control thread, before publication */
	char devname[RTE_ETH_NAME_MAX_LEN];
	uint16_t bond_id;
	enum bond_kind kind;
	bool lacp;			/* 802.3ad: lacp=active or passive */
	bool passive;			/* lacp=passive */
	bool own_tx;			/* transmit by 'bucket' (balance-slb, active-backup) */
	bool lacp_fast;
	unsigned updelay, downdelay;
	char primary_name[PORT_NAME_MAX];	/* bond-primary, as configured */
	int primary;			/* its member index; -1: none */
	int dpdk_primary;		/* alarm thread: member last made the driver's primary */
	unsigned n_members;
	struct bond_member members[BOND_MAX_MEMBERS];
	/* control thread while no PMD polls (set_n_pmds) */
	uint16_t kick_q;		/* the tx queue the LACP kick uses */
	bool kick_locked;		/* kick_q is shared with PMDs: take its lock */
	uint16_t n_txq_dev;		/* tx queues of the bonded ethdev */
	/* PMD polling rx queue 0 */
	uint64_t kick_at;
	uint64_t kick_period;
	/*
	 * own_tx: alarm thread writes (atomic stores), PMDs read (atomic loads; a packet
	 * may go by a bucket's previous member while it moves, never to a freed one: members
	 * live until close).  bucket[h]: the member index sending hash h; active: the member
	 * index whose multicast is received (balance-slb) or that sends and receives
	 * everything (active-backup), -1 when none is enabled.
	 */
	uint8_t bucket[SLB_BUCKETS];
	int active;
};

static unsigned bond_seq;	/* names of bonded ethdevs (control thread) */

static uint64_t
now_ms(void)
{
	return rte_get_timer_cycles() / (rte_get_timer_hz() / 1000);
}

/* The kernel interface of a net_af_packet member ("iface=NAME" in its devargs), or "". */
static void
afpacket_ifname(const char *devargs, char *out, size_t len)
{
	const char *i = strstr(devargs, "iface=");

	out[0] = '\0';
	if (strncmp(devargs, "net_af_packet", 13) != 0 && strncmp(devargs, "eth_af_packet", 13))
		return;
	if (i == NULL)
		return;
	i += 6;
	snprintf(out, len, "%.*s", (int)strcspn(i, ","), i);
}

/*
 * Whether a member has carrier.  DPDK 22.11's net_af_packet reports its link up from start
 * to stop whatever the interface does, so for those the kernel's carrier is read instead
 * (what later DPDK releases do in the driver).
 */
static bool
member_carrier(const struct bond_member *m)
{
	struct rte_eth_link link;
	char path[96], c = '0';
	int fd;

	if (m->ifname[0] == '\0')
		return rte_eth_link_get_nowait(m->port_id, &link) == 0 &&
			link.link_status == RTE_ETH_LINK_UP;
	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", m->ifname);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

/* balance-slb: the member of least (most) buckets among the enabled ones, or -1. */
static int
slb_extreme(const struct bond_priv *b, const unsigned *load, bool most)
{
	int best = -1;

	for (unsigned i = 0; i < b->n_members; i++)
		if (b->members[i].enabled && (best < 0 || (most ? load[i] > load[best] :
				load[i] < load[best])))
			best = (int)i;
	return best;
}

static void
slb_set(struct bond_priv *b, unsigned h, unsigned member)
{
	__atomic_store_n(&b->bucket[h], (uint8_t)member, __ATOMIC_RELAXED);
}

/*
 * The active member, as Open vSwitch's bond_choose_member(): bond-primary whenever it is
 * enabled; else the current one while it is enabled; else the first enabled one (or -1).
 */
static void
own_pick_active(struct bond_priv *b)
{
	int act = -1;

	if (b->kind == BOND_ACTIVE_BACKUP && b->primary >= 0 && b->members[b->primary].enabled)
		act = b->primary;
	else if (b->active >= 0 && b->members[b->active].enabled)
		return;
	for (unsigned i = 0; i < b->n_members && act < 0; i++)
		if (b->members[i].enabled)
			act = (int)i;
	if (act != b->active)
		__atomic_store_n(&b->active, act, __ATOMIC_RELAXED);
}

/* active-backup: every bucket to the active member (none when there is none). */
static void
ab_buckets(struct bond_priv *b)
{
	uint8_t to = b->active < 0 ? SLB_NONE : (uint8_t)b->active;

	for (unsigned h = 0; h < SLB_BUCKETS; h++)
		if (b->bucket[h] != to)
			slb_set(b, h, to);
}

/*
 * active-backup without LACP (alarm thread, or open): the active member, chosen again, is
 * the one that sends, and the driver's primary, so that mode 1 receives from it.  The
 * driver's own moves (link callback) are left alone until this choice changes: what it
 * then receives on another member is not admitted (bond_admit).
 */
static void
ab_update(struct bond_priv *b)
{
	own_pick_active(b);
	ab_buckets(b);
	if (b->active >= 0 && b->active != b->dpdk_primary &&
			rte_eth_bond_primary_set(b->bond_id, b->members[b->active].port_id) == 0)
		b->dpdk_primary = b->active;
}

/*
 * balance-slb (alarm thread, or open before publication): buckets of disabled members to
 * the enabled members with the fewest, then buckets from the fullest to the emptiest
 * until they differ by one at most; the active member stays while it is enabled.
 */
static void
slb_rebalance(struct bond_priv *b)
{
	unsigned load[BOND_MAX_MEMBERS] = { 0 };
	int lo, hi;

	own_pick_active(b);
	if (b->active < 0) {
		for (unsigned h = 0; h < SLB_BUCKETS; h++)
			slb_set(b, h, SLB_NONE);
		return;
	}
	for (unsigned h = 0; h < SLB_BUCKETS; h++)
		if (b->bucket[h] != SLB_NONE && b->members[b->bucket[h]].enabled)
			load[b->bucket[h]]++;
	for (unsigned h = 0; h < SLB_BUCKETS; h++) {
		if (b->bucket[h] != SLB_NONE && b->members[b->bucket[h]].enabled)
			continue;
		lo = slb_extreme(b, load, false);
		slb_set(b, h, (unsigned)lo);
		load[lo]++;
	}
	for (;;) {
		lo = slb_extreme(b, load, false);
		hi = slb_extreme(b, load, true);
		if (load[hi] - load[lo] <= 1)
			break;
		for (unsigned h = 0; h < SLB_BUCKETS; h++) {
			if (b->bucket[h] == hi) {
				slb_set(b, h, (unsigned)lo);
				break;
			}
		}
		load[hi]--;
		load[lo]++;
	}
}

static bool
member_distributing(const struct bond_priv *b, const struct bond_member *m)
{
	struct rte_eth_bond_8023ad_slave_info info;

	return rte_eth_bond_8023ad_slave_info(b->bond_id, m->port_id, &info) == 0 &&
		(info.actor_state & STATE_DISTRIBUTING) != 0;
}

/*
 * LACP active-backup (alarm thread, which also runs DPDK's 802.3ad machines, or open): a
 * member is enabled while it has carrier and LACP lets it distribute; everything goes by
 * the active one.
 */
static void
lacp_ab_update(struct bond_priv *b)
{
	for (unsigned i = 0; i < b->n_members; i++)
		b->members[i].enabled = b->members[i].carrier &&
			member_distributing(b, &b->members[i]);
	own_pick_active(b);
	ab_buckets(b);
}

/*
 * With no member enabled, the one whose updelay ends first is enabled at once (Open
 * vSwitch: "skipping remaining updelay, since no member was enabled"): waiting would only
 * keep the bond down longer.  Returns true when it enabled one.
 */
static bool
skip_updelay(struct bond_priv *b)
{
	int best = -1;

	for (unsigned i = 0; i < b->n_members; i++) {
		if (b->members[i].enabled)
			return false;
		if (b->members[i].carrier && (best < 0 ||
				b->members[i].changed_ms < b->members[best].changed_ms))
			best = (int)i;
	}
	if (best < 0)
		return false;
	b->members[best].enabled = true;
	return true;
}

/* EAL alarm thread: members' carrier, the delays, active-backup's choice; re-arms itself. */
static void
bond_watch(void *arg)
{
	struct bond_priv *b = arg;
	uint64_t t = now_ms();
	bool changed = false;

	for (unsigned i = 0; i < b->n_members; i++) {
		struct bond_member *m = &b->members[i];
		bool c = member_carrier(m);

		if (c != m->carrier) {
			m->carrier = c;
			m->changed_ms = t;
		}
		if (m->enabled != c && t - m->changed_ms >= (c ? b->updelay : b->downdelay)) {
			m->enabled = c;
			changed = true;
		}
	}
	if (!b->lacp)
		changed |= skip_updelay(b);
	if (b->kind == BOND_ACTIVE_BACKUP && b->lacp) {
		lacp_ab_update(b);
	} else if (b->kind == BOND_ACTIVE_BACKUP) {
		ab_update(b);
	} else if (b->kind == BOND_BALANCE_SLB && changed) {
		slb_rebalance(b);
	}
	rte_eal_alarm_set(WATCH_MS * 1000, bond_watch, b);
}

static int
parse_settings(struct bond_priv *b, const struct port_args *args, char **err)
{
	const char *mode = port_args_get(args, "bond_mode");
	const char *lacp = port_args_get(args, "lacp");
	const char *ltime = port_args_get(args, "lacp-time");
	unsigned long v;

	if (mode == NULL || strcmp(mode, "active-backup") == 0) {
		b->kind = BOND_ACTIVE_BACKUP;
	} else if (strcmp(mode, "balance-tcp") == 0) {
		b->kind = BOND_BALANCE_TCP;
	} else if (strcmp(mode, "balance-slb") == 0) {
		b->kind = BOND_BALANCE_SLB;
	} else {
		port_errf(err, "bond_mode=%s: not implemented (active-backup, balance-tcp, "
			"balance-slb)", mode);
		return -EINVAL;
	}
	b->passive = lacp != NULL && strcmp(lacp, "passive") == 0;
	b->lacp = b->passive || (lacp != NULL && strcmp(lacp, "active") == 0);
	if ((lacp != NULL && !b->lacp && strcmp(lacp, "off") != 0) ||
			(b->kind == BOND_BALANCE_TCP && !b->lacp) ||
			(b->kind == BOND_BALANCE_SLB && b->lacp)) {
		port_errf(err, "lacp=%s with bond_mode=%s: not implemented (balance-tcp needs "
			"LACP, balance-slb runs without, active-backup with or without)",
			lacp ? lacp : "off",
			mode ? mode : "active-backup");
		return -EINVAL;
	}
	b->own_tx = b->kind == BOND_BALANCE_SLB || b->kind == BOND_ACTIVE_BACKUP;
	snprintf(b->primary_name, sizeof(b->primary_name), "%s",
		port_args_get(args, "bond-primary") ? port_args_get(args, "bond-primary") : "");
	b->lacp_fast = ltime != NULL && strcmp(ltime, "fast") == 0;
	if (port_args_uint(args, "bond_updelay", 0, INT32_MAX, 0, &v, err) < 0)
		return -EINVAL;
	b->updelay = (unsigned)v;
	if (port_args_uint(args, "bond_downdelay", 0, INT32_MAX, 0, &v, err) < 0)
		return -EINVAL;
	b->downdelay = (unsigned)v;
	return 0;
}

/* Probe every "member:NAME" option's devargs. */
static int
probe_members(struct bond_priv *b, const struct port_args *args, char **err)
{
	for (unsigned i = 0; i < args->n_options; i++) {
		const struct port_option *o = &args->options[i];
		struct bond_member *m;
		int rc;

		if (strncmp(o->key, "member:", 7) != 0)
			continue;
		if (b->n_members == BOND_MAX_MEMBERS) {
			port_errf(err, "a bond has at most %d interfaces", BOND_MAX_MEMBERS);
			return -E2BIG;
		}
		m = &b->members[b->n_members];
		snprintf(m->name, sizeof(m->name), "%s", o->key + 7);
		afpacket_ifname(o->value, m->ifname, sizeof(m->ifname));
		rc = port_dpdk_probe(o->value, &m->port_id, &m->probed, err);
		if (rc < 0) {
			char *inner = *err;

			port_errf(err, "interface '%s': %s", m->name,
				inner ? inner : "probe failed");
			free(inner);
			if (m->probed)
				port_dpdk_remove(m->port_id);
			return rc;
		}
		b->n_members++;
	}
	if (b->n_members < 2) {
		port_errf(err, "a bond needs at least 2 interfaces (has %u)", b->n_members);
		return -EINVAL;
	}
	b->primary = -1;
	for (unsigned i = 0; i < b->n_members; i++)
		if (strcmp(b->members[i].name, b->primary_name) == 0)
			b->primary = (int)i;
	return 0;
}

static void
remove_members(struct bond_priv *b)
{
	for (unsigned i = 0; i < b->n_members; i++)
		if (b->members[i].probed)
			port_dpdk_remove(b->members[i].port_id);
		else
			rte_eth_dev_stop(b->members[i].port_id);
	b->n_members = 0;
}

/*
 * balance-slb runs on DPDK's mode 2, which gives every member the bond's MAC address when
 * it starts and fails to start when one cannot take it (net_pcap, for one): say which
 * member, before the bond is built.  Setting a member's own address back changes nothing.
 */
static int
slb_member_check(const struct bond_priv *b, unsigned i, char **err)
{
	struct rte_ether_addr mac;
	int rc;

	if (b->kind != BOND_BALANCE_SLB || b->lacp)
		return 0;
	rc = rte_eth_macaddr_get(b->members[i].port_id, &mac);
	if (rc == 0)
		rc = rte_eth_dev_default_mac_addr_set(b->members[i].port_id, &mac);
	if (rc < 0)
		port_errf(err, "interface '%s': balance-slb needs members whose MAC address "
			"can be set (DPDK's balance mode gives them the bond's), and its driver "
			"cannot: %s", b->members[i].name, rte_strerror(-rc));
	return rc;
}
/* Create the bonded ethdev in its mode, with its members (not started). */
static int
create_bond(struct bond_priv *b, char **err)
{
	static const uint8_t modes[] = {
		[BOND_ACTIVE_BACKUP] = BONDING_MODE_ACTIVE_BACKUP,
		[BOND_BALANCE_TCP] = BONDING_MODE_8023AD,
		[BOND_BALANCE_SLB] = BONDING_MODE_BALANCE,
	};
	int socket = rte_eth_dev_socket_id(b->members[0].port_id);
	int rc;

	snprintf(b->devname, sizeof(b->devname), "net_bonding_vireo%u", bond_seq++);
	rc = rte_eth_bond_create(b->devname, b->lacp ? BONDING_MODE_8023AD : modes[b->kind],
		socket < 0 ? 0 : (uint8_t)socket);
	if (rc < 0) {
		port_errf(err, "DPDK's bonding driver could not create a bond: %s",
			rte_strerror(-rc));
		return rc;
	}
	b->bond_id = (uint16_t)rc;
	if (b->lacp) {
		struct rte_eth_bond_8023ad_conf conf;

		rc = rte_eth_bond_8023ad_conf_get(b->bond_id, &conf);
		if (rc == 0 && b->lacp_fast)
			conf.long_timeout_ms = LACP_FAST_TIMEOUT_MS;
		if (rc == 0)
			rc = rte_eth_bond_8023ad_setup(b->bond_id, &conf);
		if (rc == 0)
			rc = rte_eth_bond_xmit_policy_set(b->bond_id, BALANCE_XMIT_POLICY_LAYER34);
		if (rc < 0) {
			port_errf(err, "cannot set up 802.3ad: %s", rte_strerror(-rc));
			return rc;
		}
	}
	for (unsigned i = 0; i < b->n_members; i++) {
		rc = slb_member_check(b, i, err);
		if (rc < 0)
			return rc;
		rc = rte_eth_bond_slave_add(b->bond_id, b->members[i].port_id);
		if (rc < 0) {
			port_errf(err, "interface '%s': DPDK's bonding driver refused it: %s",
				b->members[i].name, rte_strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* balance-slb: the bucket of 'm's source MAC and VLAN (PMD). */
static inline unsigned
slb_hash(const struct rte_mbuf *m)
{
	const uint8_t *e = rte_pktmbuf_mtod(m, const uint8_t *);
	uint64_t h = 0;

	if (likely(rte_pktmbuf_data_len(m) >= RTE_ETHER_HDR_LEN)) {
		for (unsigned i = 6; i < 12; i++)
			h = h << 8 | e[i];
		if (e[12] == 0x81 && e[13] == 0x00 && rte_pktmbuf_data_len(m) >= 18)
			h |= (uint64_t)(((e[14] << 8) | e[15]) & 0xfff) << 48;
	}
	h *= 0x9e3779b97f4a7c15ULL;
	return (unsigned)(h >> 56);
}

/*
 * balance-slb transmit (PMD owning tx queue 'qid', or under its lock): each packet to its
 * bucket's member, on that member's queue 'qid' (the bonded ethdev gave every member as
 * many queues as itself, and only this path sends on them).  Packets that fail are freed
 * and counted.
 */
static uint16_t
slb_tx(struct bond_priv *b, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
	uint64_t *failed_bytes)
{
	struct rte_mbuf *per[BOND_MAX_MEMBERS][PORT_BURST];
	uint16_t cnt[BOND_MAX_MEMBERS] = { 0 };
	uint16_t failed = 0;

	for (uint16_t i = 0; i < n; i++) {
		uint8_t mi = __atomic_load_n(&b->bucket[slb_hash(pkts[i])], __ATOMIC_RELAXED);

		if (unlikely(mi == SLB_NONE)) {
			*failed_bytes += rte_pktmbuf_pkt_len(pkts[i]);
			rte_pktmbuf_free(pkts[i]);
			failed++;
			continue;
		}
		per[mi][cnt[mi]++] = pkts[i];
	}
	for (unsigned mi = 0; mi < b->n_members; mi++) {
		uint16_t sent;

		if (cnt[mi] == 0)
			continue;
		sent = rte_eth_tx_burst(b->members[mi].port_id, qid, per[mi], cnt[mi]);
		if (unlikely(sent < cnt[mi])) {
			*failed_bytes += port_pkts_bytes(per[mi] + sent, (uint16_t)(cnt[mi] - sent));
			rte_pktmbuf_free_bulk(per[mi] + sent, cnt[mi] - sent);
			failed += cnt[mi] - sent;
		}
	}
	return failed;
}

/*
 * Transmit: the bonded ethdev's, or balance-slb's own.  Returns how many failed (for
 * balance-slb anywhere in the burst) with their bytes in '*failed_bytes'.
 */
static uint16_t
bond_tx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
	uint64_t *failed_bytes)
{
	struct bond_priv *b = *port_dpdk_ext(p);
	uint16_t failed = 0;

	if (!b->own_tx)
		return port_dpdk_tx(p, qid, pkts, n, failed_bytes);
	for (uint16_t off = 0; off < n; off += PORT_BURST)
		failed += slb_tx(b, qid, pkts + off, (uint16_t)RTE_MIN(n - off, PORT_BURST),
			failed_bytes);
	return failed;
}

/*
 * The receive verdict for the NORMAL action (PMD) without LACP, as Open vSwitch's
 * bond_check_admissibility(): active-backup takes only what the active member receives.
 * balance-slb takes broadcast and multicast only from the active member (the switch beyond
 * floods them to every member), anything else unless its source MAC was learned on
 * another port of this bridge (port.h, dataplane/fwd.c).
 */
static enum port_admit
bond_admit(struct port *p, const struct rte_mbuf *m)
{
	const struct bond_priv *b = *port_dpdk_ext(p);
	int act = __atomic_load_n(&b->active, __ATOMIC_RELAXED);

	if (b->kind == BOND_ACTIVE_BACKUP)
		return act >= 0 && b->members[act].port_id == m->port ? PORT_ADMIT : PORT_DROP;
	if (rte_pktmbuf_mtod(m, const uint8_t *)[0] & 1) {
		if (act < 0 || b->members[act].port_id != m->port)
			return PORT_DROP;
	}
	return PORT_DROP_IF_MOVED;
}

/*
 * The LACP kick's queue: a tx queue of its own when the device has one more than the PMDs
 * use; otherwise queue 0, shared, under its lock (then every PMD sends under it too).
 */
static void
bond_set_n_pmds(struct port *p, unsigned n_pmds)
{
	struct bond_priv *b = *port_dpdk_ext(p);

	if (!b->lacp) {
		p->tx_locked = p->n_txq < n_pmds;
		return;
	}
	if (b->n_txq_dev > n_pmds) {
		p->n_txq = (uint16_t)(b->n_txq_dev - 1);
		b->kick_q = p->n_txq;
		b->kick_locked = false;
		p->tx_locked = false;
	} else {
		p->n_txq = b->n_txq_dev;
		b->kick_q = 0;
		b->kick_locked = true;
		p->tx_locked = true;
	}
}

/*
 * lacp=passive (control thread, the bonded ethdev started): the callbacks on its members.
 * A partner's active LACPDU counts as long as DPDK keeps the partner's information: its
 * timeout (current), then its short timeout (expired), as 802.1AX's periodic machine goes
 * by the partner's state until it is defaulted (Open vSwitch's passive actor also sends
 * until then).
 */
static int
attach_passive(struct bond_priv *b, char **err)
{
	struct rte_eth_bond_8023ad_conf conf;
	unsigned window_ms;
	int rc;

	if (!b->passive)
		return 0;
	rc = rte_eth_bond_8023ad_conf_get(b->bond_id, &conf);
	if (rc < 0) {
		port_errf(err, "lacp=passive: cannot read DPDK's 802.3ad timeouts: %s",
			rte_strerror(-rc));
		return rc;
	}
	window_ms = conf.long_timeout_ms + conf.short_timeout_ms;
	for (unsigned i = 0; i < b->n_members; i++) {
		rc = bond_passive_attach(&b->members[i].passive, b->members[i].port_id, window_ms);
		if (rc < 0) {
			port_errf(err, "interface '%s': lacp=passive: cannot install its rx and tx "
				"callbacks: %s", b->members[i].name, rte_strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/*
 * Before the bonded ethdev is closed (nothing polls it any more): closing it releases its
 * members, and DPDK then resets their queue counts to 0, after which their callbacks can no
 * longer be removed and would outlive 'b' on the ethdevs (whose port ids are reused).
 */
static void
detach_passive(struct bond_priv *b)
{
	for (unsigned i = 0; b->passive && i < b->n_members; i++)
		bond_passive_detach(&b->members[i].passive);
}

static int
bond_open(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err)
{
	struct port_option opt = { "dpdk-devargs", NULL };
	struct port_args dargs = { &opt, 1, args->mtu_request };
	struct bond_priv *b;
	int rc;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	rc = parse_settings(b, args, err);
	if (rc < 0)
		goto err_free;
	rc = probe_members(b, args, err);
	if (rc < 0)
		goto err_members;
	rc = create_bond(b, err);
	if (rc < 0)
		goto err_bond;
	opt.value = b->devname;
	rc = port_dpdk_ops.open(p, &dargs, env, err);
	if (rc < 0)
		goto err_bond;
	*port_dpdk_ext(p) = b;
	rc = attach_passive(b, err);
	if (rc < 0)
		goto err_open;
	b->n_txq_dev = p->n_txq;
	b->kick_period = rte_get_timer_hz() / 1000 * LACP_KICK_MS;
	bond_set_n_pmds(p, env->n_pmds);
	for (unsigned i = 0; i < b->n_members; i++) {
		b->members[i].carrier = b->members[i].enabled = member_carrier(&b->members[i]);
		b->members[i].changed_ms = now_ms();
	}
	b->active = -1;
	memset(b->bucket, SLB_NONE, sizeof(b->bucket));
	if (b->kind == BOND_ACTIVE_BACKUP && b->lacp) {
		lacp_ab_update(b);
	} else if (b->kind == BOND_ACTIVE_BACKUP) {
		b->dpdk_primary = -1;
		ab_update(b);
		p->admit = bond_admit;
	} else if (b->kind == BOND_BALANCE_SLB) {
		slb_rebalance(b);
		p->admit = bond_admit;
	}
	rte_eal_alarm_set(WATCH_MS * 1000, bond_watch, b);
	return 0;

err_open:
	detach_passive(b);
	port_dpdk_ops.close(p);		/* removes the bonded ethdev too */
	goto err_members;
err_bond:
	if (b->devname[0] != '\0')
		rte_eth_bond_free(b->devname);
err_members:
	remove_members(b);
err_free:
	free(b);
	return rc;
}

static void
bond_close(struct port *p)
{
	struct bond_priv *b;

	if (p->priv == NULL)
		return;
	b = *port_dpdk_ext(p);
	/* Waits for a running bond_watch() to end. */
	rte_eal_alarm_cancel(bond_watch, b);
	detach_passive(b);
	port_dpdk_ops.close(p);
	remove_members(b);
	free(b);
}

/* rx, and on queue 0 of an 802.3ad bond the tx call that sends LACP's queued LACPDUs. */
static uint16_t
bond_rx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t id = port_dpdk_id(p);
	struct bond_priv *b;
	uint64_t t;

	if (qid != 0)
		return rte_eth_rx_burst(id, qid, pkts, n);
	b = *port_dpdk_ext(p);
	if (b->lacp && (t = rte_get_timer_cycles()) >= b->kick_at) {
		b->kick_at = t + b->kick_period;
		if (!b->kick_locked) {
			rte_eth_tx_burst(id, b->kick_q, NULL, 0);
		} else if (rte_spinlock_trylock(&p->txq_lock[b->kick_q])) {
			rte_eth_tx_burst(id, b->kick_q, NULL, 0);
			rte_spinlock_unlock(&p->txq_lock[b->kick_q]);
		}
	}
	return rte_eth_rx_burst(id, qid, pkts, n);
}

/*
 * Open vSwitch's "negotiated": some member has (or had, until it expires) the partner's
 * information from its LACPDUs, i.e. is not defaulted.
 */
static bool
lacp_negotiated(const struct bond_priv *b)
{
	for (unsigned i = 0; i < b->n_members; i++) {
		struct rte_eth_bond_8023ad_slave_info info;

		if (rte_eth_bond_8023ad_slave_info(b->bond_id, b->members[i].port_id, &info) == 0 &&
				!(info.actor_state & STATE_DEFAULTED))
			return true;
	}
	return false;
}

static bool
member_active(const struct bond_priv *b, const struct bond_member *m)
{
	uint16_t act[BOND_MAX_MEMBERS];
	int n;

	if (b->kind == BOND_ACTIVE_BACKUP)
		return m->enabled && __atomic_load_n(&b->active, __ATOMIC_RELAXED) ==
			m - b->members;
	if (b->kind == BOND_BALANCE_SLB)
		return m->enabled;
	n = rte_eth_bond_active_slaves_get(b->bond_id, act, BOND_MAX_MEMBERS);
	for (int i = 0; i < n; i++) {
		struct rte_eth_bond_8023ad_slave_info info;

		if (act[i] == m->port_id &&
				rte_eth_bond_8023ad_slave_info(b->bond_id, m->port_id, &info) == 0)
			return (info.actor_state & STATE_DISTRIBUTING) != 0;
	}
	return false;
}

/* MAC addresses as Open vSwitch prints them: lower case. */
#define MAC_FMT "%02x:%02x:%02x:%02x:%02x:%02x"

#define APPEND(buf, len, off, ...) do { \
	int w_ = snprintf((buf) + (off), (off) < (len) ? (len) - (off) : 0, __VA_ARGS__); \
	if (w_ > 0) \
		(off) += (size_t)w_; \
} while (0)

static void
show_bond(struct port *p, struct bond_priv *b, char *buf, size_t len, size_t off)
{
	struct rte_ether_addr mac;
	const char *active = NULL;

	rte_eth_macaddr_get(b->bond_id, &mac);
	int act_slb = __atomic_load_n(&b->active, __ATOMIC_RELAXED);

	for (unsigned i = 0; i < b->n_members; i++)
		if ((b->kind == BOND_ACTIVE_BACKUP && member_active(b, &b->members[i])) ||
				(b->kind == BOND_BALANCE_SLB && act_slb == (int)i))
			active = b->members[i].name;
	APPEND(buf, len, off, "---- %s ----\n", p->name);
	APPEND(buf, len, off, "bond_mode: %s\n", kind_names[b->kind]);
	APPEND(buf, len, off, "bond-hash-basis: 0\n");
	APPEND(buf, len, off, "updelay: %u ms\ndowndelay: %u ms\n", b->updelay, b->downdelay);
	APPEND(buf, len, off, "lacp_status: %s\n", !b->lacp ? "off" :
		lacp_negotiated(b) ? "negotiated" : "configured");
	APPEND(buf, len, off, "lacp_fallback_ab: false\n");
	APPEND(buf, len, off, "active-backup primary: %s%s\n",
		b->primary_name[0] != '\0' ? b->primary_name : "<none>",
		b->primary_name[0] != '\0' && b->primary < 0 ? " (no such member)" : "");
	APPEND(buf, len, off, "active member mac: " MAC_FMT "(%s)\n",
		RTE_ETHER_ADDR_BYTES(&mac), active ? active : "none");
	for (unsigned i = 0; i < b->n_members; i++) {
		const struct bond_member *m = &b->members[i];
		bool on = b->kind == BOND_BALANCE_TCP ? member_active(b, m) : m->enabled;

		APPEND(buf, len, off, "\nmember %s: %s\n", m->name, on ? "enabled" : "disabled");
		if (active == m->name)
			APPEND(buf, len, off, "  active member\n");
		if (!b->lacp && m->enabled != m->carrier)
			APPEND(buf, len, off, "  %s expires in %" PRId64 " ms\n",
				m->enabled ? "downdelay" : "updelay", (int64_t)m->changed_ms +
				(m->enabled ? b->downdelay : b->updelay) - (int64_t)now_ms());
		APPEND(buf, len, off, "  may_enable: %s\n", m->carrier ? "true" : "false");
	}
}

/* LACP state bits as Open vSwitch's lacp/show names them. */
static void
state_text(uint8_t s, char *out, size_t len)
{
	static const char *const names[8] = { "activity", "timeout", "aggregation",
		"synchronized", "collecting", "distributing", "defaulted", "expired" };
	size_t off = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < 8; i++)
		if (s & (1u << i))
			APPEND(out, len, off, "%s%s", off ? " " : "", names[i]);
}

static void
show_lacp(struct port *p, struct bond_priv *b, char *buf, size_t len, size_t off)
{
	struct rte_eth_bond_8023ad_slave_info first;
	struct rte_ether_addr mac;
	char st[128];

	rte_eth_macaddr_get(b->bond_id, &mac);
	APPEND(buf, len, off, "---- %s ----\n", p->name);
	APPEND(buf, len, off, "  status: %s%s\n", b->passive ? "passive" : "active",
		lacp_negotiated(b) ? " negotiated" : "");
	APPEND(buf, len, off, "  sys_id: " MAC_FMT "\n", RTE_ETHER_ADDR_BYTES(&mac));
	/* The bond's system priority and key are every member's actor values. */
	if (b->n_members > 0 &&
	    rte_eth_bond_8023ad_slave_info(b->bond_id, b->members[0].port_id, &first) == 0)
		APPEND(buf, len, off, "  sys_priority: %u\n  aggregation key: %u\n",
			rte_be_to_cpu_16(first.actor.system_priority),
			rte_be_to_cpu_16(first.actor.key));
	APPEND(buf, len, off, "  lacp_time: %s\n", b->lacp_fast ? "fast" : "slow");
	for (unsigned i = 0; i < b->n_members; i++) {
		const struct bond_member *m = &b->members[i];
		struct rte_eth_bond_8023ad_slave_info info;

		if (rte_eth_bond_8023ad_slave_info(b->bond_id, m->port_id, &info) != 0) {
			APPEND(buf, len, off, "\nmember: %s: down\n", m->name);
			continue;
		}
		APPEND(buf, len, off, "\nmember: %s: %s %s\n", m->name,
			(info.actor_state & STATE_DEFAULTED) ? "defaulted" : "current",
			info.selected == SELECTED ? "attached" : info.selected == STANDBY ?
			"standby" : "detached");
		/* DPDK keeps the LACPDU fields in network byte order. */
		APPEND(buf, len, off, "  port_id: %u\n  port_priority: %u\n  may_enable: %s\n\n",
			rte_be_to_cpu_16(info.actor.port_number),
			rte_be_to_cpu_16(info.actor.port_priority), m->carrier ? "true" : "false");
		APPEND(buf, len, off, "  actor sys_id: " MAC_FMT "\n",
			RTE_ETHER_ADDR_BYTES(&info.actor.system));
		APPEND(buf, len, off, "  actor sys_priority: %u\n  actor port_id: %u\n"
			"  actor port_priority: %u\n  actor key: %u\n",
			rte_be_to_cpu_16(info.actor.system_priority),
			rte_be_to_cpu_16(info.actor.port_number),
			rte_be_to_cpu_16(info.actor.port_priority),
			rte_be_to_cpu_16(info.actor.key));
		/* What the partner is sent: bond_passive.c clears the bit DPDK keeps set. */
		state_text(b->passive ? info.actor_state & ~STATE_LACP_ACTIVE : info.actor_state,
			st, sizeof(st));
		APPEND(buf, len, off, "  actor state: %s\n\n", st);
		APPEND(buf, len, off, "  partner sys_id: " MAC_FMT "\n",
			RTE_ETHER_ADDR_BYTES(&info.partner.system));
		APPEND(buf, len, off, "  partner sys_priority: %u\n  partner port_id: %u\n"
			"  partner port_priority: %u\n  partner key: %u\n",
			rte_be_to_cpu_16(info.partner.system_priority),
			rte_be_to_cpu_16(info.partner.port_number),
			rte_be_to_cpu_16(info.partner.port_priority),
			rte_be_to_cpu_16(info.partner.key));
		state_text(info.partner_state, st, sizeof(st));
		APPEND(buf, len, off, "  partner state: %s\n", st);
	}
}

static void
bond_show(struct port *p, bool lacp, char *buf, size_t len)
{
	struct bond_priv *b = *port_dpdk_ext(p);

	if (len > 0)
		buf[0] = '\0';
	if (lacp && !b->lacp)
		return;
	if (lacp)
		show_lacp(p, b, buf, len, 0);
	else
		show_bond(p, b, buf, len, 0);
}

static void
bond_status(struct port *p, char *buf, size_t len)
{
	struct bond_priv *b = *port_dpdk_ext(p);
	size_t off;

	port_dpdk_ops.status(p, buf, len);
	off = strlen(buf);
	APPEND(buf, len, off, "bond_mode=%s\n", kind_names[b->kind]);
	for (unsigned i = 0; i < b->n_members; i++)
		APPEND(buf, len, off, "member_%s=%s\n", b->members[i].name,
			member_active(b, &b->members[i]) ? "active" :
			b->members[i].carrier ? "up" : "down");
	for (unsigned i = 0; b->passive && i < b->n_members; i++) {
		const struct bond_passive *bp = &b->members[i].passive;

		APPEND(buf, len, off, "lacp_passive_%s=sent %" PRIu64 ", withheld %" PRIu64 "\n",
			b->members[i].name, __atomic_load_n(&bp->sent, __ATOMIC_RELAXED),
			__atomic_load_n(&bp->withheld, __ATOMIC_RELAXED));
	}
}

const struct port_ops port_bond_ops = {
	.type = "bond",
	.open = bond_open,
	.close = bond_close,
	.rx = bond_rx,
	.tx = bond_tx,
	.dev_stats = port_dpdk_dev_stats,
	.link_up = port_dpdk_link_up,
	.status = bond_status,
	.set_n_pmds = bond_set_n_pmds,
	.bond_show = bond_show,
};
