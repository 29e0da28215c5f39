/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Semantic checks shared by every configuration source: which other_config keys, port types
 * and options exist, and what their values may be.  The YAML loader treats a failure as fatal
 * (nothing starts); the dataplane reports a port that fails them as that port's error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "port_limits.h"

/*
 * What vireo-dp does with a setting it reads.  DONE: implemented.  WARN: accepted (Open
 * vSwitch accepts it for this kind of port or host) but it does not apply here; said in the
 * log and by --check.  REFUSE: the setting would change what the switch does and vireo-dp
 * cannot do it; the port fails with an error naming it (OVSDB: the Interface's error column).
 */
enum verdict {
	DONE,
	WARN,
	REFUSE,
};

/*
 * A key, what its value may be ('check' for text, else a decimal in [min, max]), and verdict.
 * A port option's 'check' may return 1 for a well-formed value vireo-dp cannot do: it is
 * refused with 'why'.
 */
struct option_rule {
	const char *key;
	int (*check)(const char *value);
	unsigned long min;
	unsigned long max;
	enum verdict verdict;
	const char *why;	/* WARN, REFUSE: what the user is told */
	const char *fine;	/* WARN, REFUSE: "|"-separated values that are the default */
};

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static int check_u32(const char *v);
static int check_u64(const char *v);
static int check_dpid(const char *v);

/*
 * The decimal of digits only at '*p', '*p' moved past all its digits: 0, -EINVAL without a
 * digit, -ERANGE when it does not fit an unsigned long.
 */
static int
parse_digits(const char **p, unsigned long *out)
{
	unsigned long x = 0;
	bool over = false;
	const char *q = *p;

	for (; *q >= '0' && *q <= '9'; q++) {
		unsigned d = (unsigned)(*q - '0');

		if (x > (ULONG_MAX - d) / 10)
			over = true;
		else
			x = x * 10 + d;
	}
	if (q == *p)
		return -EINVAL;
	*p = q;
	*out = x;
	return over ? -ERANGE : 0;
}

int
vconf_parse_uint(const char *key, const char *val, unsigned long min, unsigned long max,
		unsigned long *out, char **err)
{
	unsigned long x = 0;
	const char *p = val;
	int rc = parse_digits(&p, &x);

	*err = NULL;
	if (rc == -EINVAL || *p != '\0') {
		*err = fmt("key '%s': '%s' is not a decimal integer", key, val);
		return -EINVAL;
	}
	if (rc == -ERANGE || x < min || x > max) {
		*err = fmt("key '%s': '%s' is out of range %lu..%lu", key, val, min, max);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

int
vconf_sleep_max_parse(const char *s, unsigned long *dflt, struct vconf_core_sleep *per,
		unsigned max, unsigned *n)
{
	const char *p = s;
	unsigned long d = *dflt;
	unsigned k = 0;

	if (*p == '\0')
		return -EINVAL;
	for (;;) {
		unsigned long a, b;
		unsigned i;

		if (parse_digits(&p, &a) < 0)
			return -EINVAL;
		if (*p != ':') {
			d = a;
		} else {
			p++;
			if (a > 1023 || parse_digits(&p, &b) < 0)
				return -EINVAL;
			for (i = 0; i < k && per[i].core != a; i++)
				;
			if (i == k && k++ == max)
				return -EINVAL;
			per[i].core = (unsigned)a;
			per[i].us = b;
		}
		if (*p == '\0')
			break;
		if (*p++ != ',')
			return -EINVAL;
	}
	/* 'per' may hold a refused list's items; the counts say what is valid. */
	*dflt = d;
	*n = k;
	return 0;
}

static int
check_mask(const char *v)
{
	const char *p = v;

	if (strncmp(p, "0x", 2) == 0 || strncmp(p, "0X", 2) == 0)
		p += 2;
	if (*p == '\0')
		return -1;
	for (; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
				(*p >= 'A' && *p <= 'F')))
			return -1;
	return 0;
}

/*
 * pmd-cpu-mask: hex digits of any length with an optional "0x", as Open vSwitch reads it.
 * Cores the machine does not have are the dataplane's to ignore (the file may be written
 * elsewhere), but a mask with no core at all is refused: Open vSwitch would then poll
 * nothing, and vireo-dp needs a PMD thread.
 */
static int
check_pmd_mask(const char *v)
{
	if (check_mask(v) < 0)
		return -1;
	for (const char *p = strncmp(v, "0x", 2) == 0 || strncmp(v, "0X", 2) == 0 ? v + 2 : v;
			*p != '\0'; p++)
		if (*p != '0')
			return 0;
	return -1;
}

/* 0 when 'v' is one of the NULL-terminated 'words', else -1. */
static int
one_of(const char *v, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(v, *words) == 0)
			return 0;
	return -1;
}

/* 0 when 'v' is a decimal number in [lo, hi], or 'word' (NULL: none), else -1. */
static int
uint_or(const char *v, unsigned long lo, unsigned long hi, const char *word)
{
	char *why = NULL;
	unsigned long x;
	int rc = vconf_parse_uint("", v, lo, hi, &x, &why);

	free(why);
	return rc == 0 || (word != NULL && strcmp(v, word) == 0) ? 0 : -1;
}

static int
check_socket_mem(const char *v)
{
	char *copy = strdup(v), *save = NULL, *why = NULL;
	unsigned long mb;
	int rc = 0;

	if (copy == NULL || *v == '\0')
		rc = -1;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		if (vconf_parse_uint("", t, 0, UINT32_MAX, &mb, &why) < 0)
			rc = -1;
		free(why);
	}
	free(copy);
	return rc;
}

static int
check_bool(const char *v)
{
	return one_of(v, (const char *const[]){ "true", "false", "try", NULL });
}

/* A tunnel option: "true" or "false", as netdev-vport compares them (case matters). */
static int
check_true_false(const char *v)
{
	return one_of(v, (const char *const[]){ "true", "false", NULL });
}

/*
 * An other_config key Open vSwitch reads with smap_get_bool(): "true" or "false" in any
 * case, as the dataplane reads them; anything else would be the default there, and is
 * refused here rather than ignored.
 */
static int
check_smap_bool(const char *v)
{
	return strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0 ? 0 : -1;
}

/* pmd-rxq-assign: Open vSwitch's three placement algorithms. */
static int
check_rxq_assign(const char *v)
{
	return one_of(v, (const char *const[]){ "cycles", "roundrobin", "group", NULL });
}

static int
check_any(const char *v)
{
	(void)v;
	return 0;
}

/* pmd-rxq-affinity: "QUEUE:CORE[,QUEUE:CORE...]", queues a port may have. */
static int
check_affinity(const char *v)
{
	int16_t core[PORT_MAX_RXQ];

	return vconf_rxq_affinity_parse(v, core, PORT_MAX_RXQ) < 0 ? -1 : 0;
}

/* pmd-sleep-max: "US", "CORE:US" or a comma-separated list of them. */
static int
check_sleep_max(const char *v)
{
	struct vconf_core_sleep per[VCONF_SLEEP_CORES];
	unsigned long dflt = 0;
	unsigned n;

	return vconf_sleep_max_parse(v, &dflt, per, VCONF_SLEEP_CORES, &n) < 0 ? -1 : 0;
}

static int
check_path(const char *v)
{
	return (*v == '\0' || strlen(v) >= 108) ? -1 : 0;
}

#define NOT_OVS_KERNEL "applies to Open vSwitch's kernel datapath, not to vireo-dp"
#define NO_SWITCH(what) what " is not implemented by vireo-dp"

static const struct option_rule other_config_rules[] = {
	{ "dpdk-init", check_bool, 0, 0, DONE, NULL, NULL },
	{ "dpdk-lcore-mask", check_mask, 0, 0, DONE, NULL, NULL },
	{ "pmd-cpu-mask", check_pmd_mask, 0, 0, DONE, NULL, NULL },
	{ "dpdk-socket-mem", check_socket_mem, 0, 0, DONE, NULL, NULL },
	{ "dpdk-socket-limit", check_socket_mem, 0, 0, DONE, NULL, NULL },
	{ "dpdk-extra", check_any, 0, 0, DONE, NULL, NULL },
	{ "dpdk-hugepage-dir", check_path, 0, 0, DONE, NULL, NULL },
	{ "vhost-sock-dir", check_path, 0, 0, DONE, NULL, NULL },
	{ "vhost-fast-path", check_bool, 0, 0, DONE, NULL, NULL },
	{ "openflow-rundir", check_path, 0, 0, DONE, NULL, NULL },
	{ "stats-update-interval", NULL, 0, UINT32_MAX, DONE, NULL, NULL },
	{ "pmd-rxq-assign", check_rxq_assign, 0, 0, DONE, NULL, NULL },
	{ "pmd-rxq-isolate", check_smap_bool, 0, 0, DONE, NULL, NULL },
	{ "pmd-auto-lb", check_smap_bool, 0, 0, DONE, NULL, NULL },
	{ "pmd-auto-lb-load-threshold", NULL, 0, 100, DONE, NULL, NULL },
	{ "pmd-auto-lb-improvement-threshold", NULL, 0, 100, DONE, NULL, NULL },
	{ "pmd-auto-lb-rebal-interval", NULL, 0, 20000, DONE, NULL, NULL },
	{ "pmd-perf-metrics", check_any, 0, 0, WARN,
		"vireo-dp keeps only pmd-stats-show's counters",
		"false" },
	{ "pmd-maxsleep", NULL, 0, ULONG_MAX, DONE, NULL, NULL },
	{ "pmd-sleep-max", check_sleep_max, 0, 0, DONE, NULL, NULL },
	{ "tx-flush-interval", check_any, 0, 0, WARN, "vireo-dp sends each batch at the end of its "
		"rx burst", "0" },
	{ "emc-insert-inv-prob", check_any, 0, 0, WARN,
		"vireo-dp's exact-match cache always inserts",
		NULL },
	{ "smc-enable", check_any, 0, 0, WARN, "vireo-dp has no signature-match cache", "false" },
	{ "per-port-memory", check_any, 0, 0, WARN,
		"vireo-dp shares its packet pools per NUMA node",
		"false" },
	{ "dpdk-alloc-mem", check_any, 0, 0, WARN, "use dpdk-socket-mem", NULL },
	{ "dpdk-max-memzones", check_any, 0, 0, WARN, "vireo-dp uses DPDK's default", NULL },
	{ "vlan-limit", check_any, 0, 0, WARN,
		"vireo-dp's MAC learning reads one 802.1Q tag", "1" },
	{ "max-idle", check_any, 0, 0, WARN, NOT_OVS_KERNEL, NULL },
	{ "max-revalidator", check_any, 0, 0, WARN, NOT_OVS_KERNEL, NULL },
	{ "n-handler-threads", check_any, 0, 0, WARN, NOT_OVS_KERNEL, NULL },
	{ "n-revalidator-threads", check_any, 0, 0, WARN, NOT_OVS_KERNEL, NULL },
	{ "flow-restore-wait", check_any, 0, 0, WARN, "vireo-dp keeps no flows across restarts",
		"false" },
	{ "bundle-idle-timeout", check_any, 0, 0, WARN,
		"vireo-dp's management socket does not read it", NULL },
	{ "hw-offload", check_any, 0, 0, REFUSE, NO_SWITCH("hardware offload"), "false" },
	{ "userspace-tso-enable", check_any, 0, 0, REFUSE, NO_SWITCH("TCP segmentation offload"),
		"false" },
	{ "vhost-iommu-support", check_any, 0, 0, REFUSE,
		NO_SWITCH("vhost IOMMU support"), "false" },
	{ "vhost-postcopy-support", check_any, 0, 0, REFUSE, NO_SWITCH("vhost post-copy migration"),
		"false" },
	{ NULL, NULL, 0, 0, DONE, NULL, NULL },
};

/*
 * Numeric options as Open vSwitch bounds them (descriptors up to NIC_PORT_MAX_Q_SIZE, vhost
 * enqueue retries up to VHOST_ENQ_RETRY_MAX), but a DPDK port's receive queues as the port
 * layer can run them (PORT_MAX_RXQ), so that a value --check accepts is never refused later.
 */
#define VHOST_QUEUES "the queues of a vhost-user port are the guest's"

static const struct option_rule dpdk_rules[] = {
	{ "dpdk-devargs", check_any, 0, 0, DONE, NULL, NULL },
	{ "n_rxq", NULL, 1, PORT_MAX_RXQ, DONE, NULL, NULL },
	{ "n_rxq_desc", NULL, 1, 4096, DONE, NULL, NULL },
	{ "n_txq_desc", NULL, 1, 4096, DONE, NULL, NULL },
	{ "dpdk-lsc-interrupt", check_any, 0, 0, WARN, "vireo-dp reads the link state by polling",
		"false" },
	{ "rx-flow-ctrl", check_any, 0, 0, REFUSE, "vireo-dp does not configure Ethernet flow "
		"control", NULL },
	{ "tx-flow-ctrl", check_any, 0, 0, REFUSE, "vireo-dp does not configure Ethernet flow "
		"control", NULL },
	{ "flow-ctrl-autoneg", check_any, 0, 0, REFUSE, "vireo-dp does not configure Ethernet flow "
		"control", NULL },
	{ "dpdk-vf-mac", check_any, 0, 0, REFUSE,
		"vireo-dp does not set a VF's MAC address", NULL },
	{ "rx-steering", check_any, 0, 0, REFUSE, "vireo-dp steers by RSS only", "rss" },
	{ NULL, NULL, 0, 0, DONE, NULL, NULL },
};

static const struct option_rule vhost_rules[] = {
	{ "n_rxq", NULL, 1, 1024, WARN, VHOST_QUEUES, NULL },
	{ "tx-retries-max", NULL, 0, 32, DONE, NULL, NULL },
	{ "dq-zero-copy", check_any, 0, 0, WARN, "dequeue zero-copy is gone from DPDK", "false" },
	{ NULL, NULL, 0, 0, DONE, NULL, NULL },
};

static const struct option_rule vhost_client_rules[] = {
	{ "vhost-server-path", check_path, 0, 0, DONE, NULL, NULL },
	{ "n_rxq", NULL, 1, 1024, WARN, VHOST_QUEUES, NULL },
	{ "tx-retries-max", NULL, 0, 32, DONE, NULL, NULL },
	{ "dq-zero-copy", check_any, 0, 0, WARN, "dequeue zero-copy is gone from DPDK", "false" },
	{ NULL, NULL, 0, 0, DONE, NULL, NULL },
};

static const struct option_rule patch_rules[] = {
	{ "peer", check_any, 0, 0, DONE, NULL, NULL },
	{ NULL, NULL, 0, 0, DONE, NULL, NULL },
};

static const struct option_rule internal_rules[] = {
	{ NULL, NULL, 0, 0, DONE, NULL, NULL },
};

/*
 * A tunnel endpoint: an IPv4 or IPv6 address, or 'flow' (the rules' tun_dst, tun_src;
 * port/tnl.h).  An address that names no one host (0.0.0.0, ::, 255.255.255.255, a
 * multicast one) or an IPv4-mapped one is refused (1), as port/port_vxlan.c does.
 */
static int
check_tnl_ip(const char *v)
{
	struct in_addr a;
	struct in6_addr a6;

	if (strcmp(v, "flow") == 0)
		return 0;
	if (inet_pton(AF_INET, v, &a) == 1)
		return a.s_addr == htonl(INADDR_ANY) || a.s_addr == htonl(INADDR_BROADCAST) ||
			IN_MULTICAST(ntohl(a.s_addr)) ? 1 : 0;
	if (inet_pton(AF_INET6, v, &a6) == 1)
		return IN6_IS_ADDR_UNSPECIFIED(&a6) || IN6_IS_ADDR_MULTICAST(&a6) ||
			IN6_IS_ADDR_V4MAPPED(&a6) ? 1 : 0;
	return -1;
}

#define TNL_IP_WHY "a tunnel's endpoint is one host's unicast address (not 0.0.0.0, ::, " \
	"255.255.255.255, multicast or IPv4-mapped) or 'flow'"

/* A VNI (24 bits) or 'flow' (tun_id from the rules, any VNI received). */
static int
check_tnl_key(const char *v)
{
	return uint_or(v, 0, 0xffffff, "flow");
}

/* A TEID (32 bits) or 'flow'. */
static int
check_gtpu_key(const char *v)
{
	return uint_or(v, 0, UINT32_MAX, "flow");
}

/* A gtpu port carries IP packets: legacy_l3 is its only packet_type (as Open vSwitch's). */
static int
check_legacy_l3(const char *v)
{
	return strcmp(v, "legacy_l3") == 0 ? 0 : 1;
}

/*
 * tos 0..255 or 'inherit', its ECN bits 0 (refused, 1): the outer ECN field is the inner
 * packet's (port/tnl_pmd.c), as in Open vSwitch; ttl 1..255 or 'inherit'.
 */
static int
check_tnl_tos(const char *v)
{
	if (uint_or(v, 0, 255, "inherit") < 0)
		return -1;
	return strcmp(v, "inherit") != 0 && (strtoul(v, NULL, 10) & 3) != 0 ? 1 : 0;
}

#define TNL_TOS_WHY "invalid TOS: its two ECN bits must be 0 (the outer ECN field is the " \
	"inner packet's, as in Open vSwitch)"

static int
check_tnl_ttl(const char *v)
{
	return uint_or(v, 1, 255, "inherit");
}

static const struct option_rule vxlan_rules[] = {
	{ "remote_ip", check_tnl_ip, 0, 0, DONE, TNL_IP_WHY, NULL },
	{ "local_ip", check_tnl_ip, 0, 0, DONE, TNL_IP_WHY, NULL },
	{ "key", check_tnl_key, 0, 0, DONE, NULL, NULL },
	{ "dst_port", NULL, 1, 65535, DONE, NULL, NULL },
	{ "tos", check_tnl_tos, 0, 0, DONE, TNL_TOS_WHY, NULL },
	{ "ttl", check_tnl_ttl, 0, 0, DONE, NULL, NULL },
	{ "df_default", check_true_false, 0, 0, DONE, NULL, NULL },
	{ "csum", check_true_false, 0, 0, DONE, NULL, NULL },
	{ NULL, NULL, 0, 0, DONE, NULL, NULL },
};

static const struct option_rule gtpu_rules[] = {
	{ "remote_ip", check_tnl_ip, 0, 0, DONE, TNL_IP_WHY, NULL },
	{ "local_ip", check_tnl_ip, 0, 0, DONE, TNL_IP_WHY, NULL },
	{ "key", check_gtpu_key, 0, 0, DONE, NULL, NULL },
	{ "dst_port", NULL, 1, 65535, DONE, NULL, NULL },
	{ "tos", check_tnl_tos, 0, 0, DONE, TNL_TOS_WHY, NULL },
	{ "ttl", check_tnl_ttl, 0, 0, DONE, NULL, NULL },
	{ "df_default", check_true_false, 0, 0, DONE, NULL, NULL },
	{ "csum", check_true_false, 0, 0, DONE, NULL, NULL },
	{ "packet_type", check_legacy_l3, 0, 0, DONE, "a gtpu port carries IP packets only "
		"(legacy_l3, as in Open vSwitch)", NULL },
	{ NULL, NULL, 0, 0, DONE, NULL, NULL },
};

/*
 * Port, Interface and Bridge settings other than the ones vconf has fields for, keyed as
 * vconf_port.extra is.  "TABLE:COLUMN:*" covers the keys of a map column not listed.  A
 * column not listed is refused: OVSDB gains columns, and a new one must be looked at.
 */
static const struct option_rule extra_rules[] = {
	{ "Port:cvlans", check_any, 0, 0, REFUSE, NO_SWITCH("dot1q-tunnel"), NULL },
	{ "Port:bond_mode", check_any, 0, 0, WARN,
		"the port has one interface: it is no bond", NULL },
	{ "Port:lacp", check_any, 0, 0, REFUSE, NO_SWITCH("LACP"), "off" },
	{ "Port:bond_updelay", check_any, 0, 0, WARN, "the port has one interface: it is no bond",
		NULL },
	{ "Port:bond_downdelay", check_any, 0, 0, WARN, "the port has one interface: it is no bond",
		NULL },
	{ "Port:bond_fake_iface", check_any, 0, 0, WARN,
		"the port has one interface: it is no bond",
		NULL },
	{ "Port:mac", check_any, 0, 0, WARN, "Open vSwitch uses it for bonds only", NULL },
	{ "Port:qos", check_any, 0, 0, REFUSE, "the QoS row is not known to vireo-dp", NULL },
	{ "Port:fake_bridge", check_any, 0, 0, REFUSE, NO_SWITCH("fake bridges"), "false" },
	{ "Port:protected", check_any, 0, 0, REFUSE, NO_SWITCH("protected ports"), "false" },
	{ "Port:other_config:priority-tags", check_any, 0, 0, REFUSE,
		"vireo-dp never adds priority "
		"tags", "never|false" },
	{ "Port:other_config:*", check_any, 0, 0, WARN, "not read by vireo-dp", NULL },
	{ "Interface:ingress_policing_rate", check_u32, 0, 0, DONE, NULL, NULL },
	{ "Interface:ingress_policing_burst", check_u32, 0, 0, DONE, NULL, NULL },
	{ "Interface:ingress_policing_kpkts_rate", check_u32, 0, 0, DONE, NULL, NULL },
	{ "Interface:ingress_policing_kpkts_burst", check_u32, 0, 0, DONE, NULL, NULL },
	{ "QoS:type", check_any, 0, 0, REFUSE, "vireo-dp implements QoS type egress-policer only",
		"egress-policer" },
	{ "QoS:other_config:cir", check_u64, 0, 0, DONE, NULL, NULL },
	{ "QoS:other_config:cbs", check_u64, 0, 0, DONE, NULL, NULL },
	{ "QoS:other_config:*", check_any, 0, 0, WARN, "not read by vireo-dp's egress-policer",
		NULL },
	{ "QoS:queues:*", check_any, 0, 0, REFUSE, "an egress-policer has no queues", NULL },
	{ "Interface:bfd:enable", check_any, 0, 0, REFUSE, NO_SWITCH("BFD"), "false" },
	{ "Interface:bfd:*", check_any, 0, 0, WARN, "BFD is not enabled", NULL },
	{ "Interface:lldp:enable", check_any, 0, 0, REFUSE, NO_SWITCH("LLDP"), "false" },
	{ "Interface:lldp:*", check_any, 0, 0, WARN, "LLDP is not enabled", NULL },
	{ "Interface:cfm_mpid", check_any, 0, 0, REFUSE, NO_SWITCH("CFM"), NULL },
	{ "Interface:mac", check_any, 0, 0, WARN, "vireo-dp sets no MAC address (Open vSwitch does "
		"for internal ports only)", NULL },
	{ "Interface:other_config:pmd-rxq-affinity", check_affinity, 0, 0, DONE, NULL, NULL },
	{ "Interface:other_config:tx-steering", check_any, 0, 0, REFUSE,
		"vireo-dp steers transmits "
		"by PMD thread only", "thread" },
	{ "Interface:other_config:emc-enable", check_any, 0, 0, WARN,
		"vireo-dp's exact-match cache "
		"serves every port", "true" },
	{ "Interface:other_config:*", check_any, 0, 0, WARN, "not read by vireo-dp", NULL },
	{ "Controller:target", check_any, 0, 0, REFUSE, "vireo-dp's controller targets are "
		"tcp:IP[:PORT], unix:PATH, ptcp:[PORT][:IP] and punix:PATH (no SSL)", NULL },
	{ "Controller:connection_mode", check_any, 0, 0, REFUSE,
		"vireo-dp connects to controllers out of band only (its own host's routing)",
		"out-of-band" },
	{ "Controller:controller_rate_limit", check_any, 0, 0, REFUSE,
		NO_SWITCH("packet_in rate limiting (a bounded ring drops what the control "
		"thread cannot take, counted in openflow/show)"), NULL },
	{ "Controller:controller_burst_limit", check_any, 0, 0, REFUSE,
		NO_SWITCH("packet_in rate limiting"), NULL },
	{ "Controller:controller_queue_size", check_any, 0, 0, REFUSE,
		NO_SWITCH("a per-controller queue size"), NULL },
	{ "Controller:enable_async_messages", check_any, 0, 0, REFUSE,
		NO_SWITCH("turning asynchronous messages off"), "true" },
	{ "Controller:local_ip", check_any, 0, 0, REFUSE, NO_SWITCH("in-band control"), NULL },
	{ "Controller:local_netmask", check_any, 0, 0, REFUSE, NO_SWITCH("in-band control"),
		NULL },
	{ "Controller:local_gateway", check_any, 0, 0, REFUSE, NO_SWITCH("in-band control"),
		NULL },
	{ "Controller:other_config:*", check_any, 0, 0, WARN, "not read by vireo-dp", NULL },
	{ "Mirror:output_vlan", check_any, 0, 0, REFUSE,
		NO_SWITCH("mirroring to a VLAN (output_vlan; use output_port)"), NULL },
	{ "Mirror:snaplen", check_any, 0, 0, REFUSE,
		NO_SWITCH("truncating mirrored packets (snaplen)"), NULL },
	{ "Mirror:filter", check_any, 0, 0, REFUSE, NO_SWITCH("mirror filters"), NULL },
	{ "Mirror:other_config:*", check_any, 0, 0, WARN, "not read by vireo-dp", NULL },
	{ "Bridge:stp_enable", check_any, 0, 0, REFUSE, NO_SWITCH("STP"), "false" },
	{ "Bridge:rstp_enable", check_any, 0, 0, REFUSE, NO_SWITCH("RSTP"), "false" },
	{ "Bridge:mcast_snooping_enable", check_any, 0, 0, REFUSE, NO_SWITCH("multicast snooping"),
		"false" },
	{ "Bridge:netflow", check_any, 0, 0, REFUSE, NO_SWITCH("NetFlow"), NULL },
	{ "Bridge:sflow", check_any, 0, 0, REFUSE, NO_SWITCH("sFlow"), NULL },
	{ "Bridge:ipfix", check_any, 0, 0, REFUSE, NO_SWITCH("IPFIX"), NULL },
	{ "Bridge:flood_vlans", check_any, 0, 0, REFUSE, NO_SWITCH("flood_vlans"), NULL },
	{ "Bridge:auto_attach", check_any, 0, 0, REFUSE, NO_SWITCH("auto-attach"), NULL },
	{ "Bridge:flow_tables:*", check_any, 0, 0, REFUSE,
		NO_SWITCH("per-table settings (Flow_Table rows: flow_limit, overflow_policy, "
		"groups, prefixes)"), NULL },
	{ "Bridge:protocols", check_any, 0, 0, WARN,
		"vireo-dp's management socket does not read it", NULL },
	{ "Bridge:other_config:datapath-id", check_dpid, 0, 0, DONE,
		"16 hex digits or 0x and up to 16, not all zero", NULL },
	{ "Bridge:other_config:hwaddr", check_any, 0, 0, REFUSE,
		NO_SWITCH("setting the bridge's MAC address (its LOCAL port gets a random one)"),
		NULL },
	{ "Bridge:other_config:forward-bpdu", check_smap_bool, 0, 0, DONE, NULL, NULL },
	{ "Bridge:other_config:mac-aging-time", check_any, 0, 0, WARN, "vireo-dp ages MAC entries "
		"after 300 s", "300" },
	{ "Bridge:other_config:mac-table-size", check_any, 0, 0, DONE, NULL, NULL },
	{ "Bridge:other_config:*", check_any, 0, 0, WARN, "not read by vireo-dp", NULL },
	{ NULL, NULL, 0, 0, DONE, NULL, NULL },
};

static int
check_bond_mode(const char *v)
{
	return one_of(v, (const char *const[]){ "active-backup", "balance-tcp", "balance-slb",
		NULL });
}

static int
check_lacp(const char *v)
{
	return one_of(v, (const char *const[]){ "off", "active", "passive", NULL });
}

static int
check_lacp_time(const char *v)
{
	return one_of(v, (const char *const[]){ "fast", "slow", NULL });
}

static int
check_dpid(const char *v)
{
	uint64_t id;

	return vconf_dpid_parse(v, &id);
}

static int
check_u32(const char *v)
{
	return uint_or(v, 0, UINT32_MAX, NULL);
}

static int
check_u64(const char *v)
{
	return uint_or(v, 0, ULONG_MAX, NULL);
}

/* Milliseconds, as Open vSwitch's integer columns: 0..2^31-1. */
static int
check_ms(const char *v)
{
	return uint_or(v, 0, INT32_MAX, NULL);
}

/*
 * The settings of a bond (a Port of several Interfaces), looked up before extra_rules.  The
 * combinations DPDK's bonding driver cannot run are refused by check_bond().
 */
static const struct option_rule bond_rules[] = {
	{ "Port:bond_mode", check_bond_mode, 0, 0, DONE, NULL, NULL },
	{ "Port:lacp", check_lacp, 0, 0, DONE, NULL, NULL },
	{ "Port:bond_updelay", check_ms, 0, 0, DONE, NULL, NULL },
	{ "Port:bond_downdelay", check_ms, 0, 0, DONE, NULL, NULL },
	{ "Port:other_config:lacp-time", check_lacp_time, 0, 0, DONE, NULL, NULL },
	{ "Port:other_config:bond-primary", check_any, 0, 0, DONE, NULL, NULL },
	{ "Port:other_config:bond-rebalance-interval", check_ms, 0, 0, WARN,
		"DPDK's bonding driver hashes flows to members statically: there is nothing to "
		"rebalance", "0" },
	{ "Port:bond_fake_iface", check_any, 0, 0, WARN,
		"vireo-dp makes no fake interface for a bond", "false" },
	{ "Port:mac", check_any, 0, 0, WARN, "a bond takes its first member's MAC address", NULL },
	{ "Port:other_config:lacp-fallback-ab", check_any, 0, 0, REFUSE,
		NO_SWITCH("LACP fallback to active-backup"), "false" },
	{ "Port:other_config:bond-detect-mode", check_any, 0, 0, REFUSE,
		"DPDK's bonding driver detects failures by carrier only", "carrier" },
	{ "Port:other_config:bond-hash-basis", check_any, 0, 0, REFUSE,
		"DPDK's bonding driver hashes without a basis", "0" },
	{ "Port:other_config:lacp-system-id", check_any, 0, 0, REFUSE,
		"DPDK's 802.3ad uses the bond's MAC address as its system ID", NULL },
	{ "Port:other_config:lacp-system-priority", check_any, 0, 0, REFUSE,
		NO_SWITCH("setting the LACP system priority"), NULL },
	{ "Port:other_config:all-members-active", check_any, 0, 0, REFUSE,
		NO_SWITCH("all-members-active"), "false" },
	{ NULL, NULL, 0, 0, DONE, NULL, NULL },
};

static const struct {
	const char *type;
	const struct option_rule *rules;
	const char *required;
} port_types[] = {
	{ "dpdk", dpdk_rules, "dpdk-devargs" },
	{ "dpdkvhostuser", vhost_rules, NULL },
	{ "dpdkvhostuserclient", vhost_client_rules, "vhost-server-path" },
	{ "patch", patch_rules, "peer" },
	{ "internal", internal_rules, NULL },
	{ "bond", internal_rules, NULL },	/* made by the loaders for several interfaces */
	{ "vxlan", vxlan_rules, "remote_ip" },
	{ "gtpu", gtpu_rules, "remote_ip" },
	{ "geneve", vxlan_rules, "remote_ip" },
};

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static const struct option_rule *
find_rule(const struct option_rule *rules, const char *key)
{
	for (; rules->key; rules++)
		if (strcmp(rules->key, key) == 0)
			return rules;
	return NULL;
}

/* The rule of an extra setting: exact, else "TABLE:COLUMN:*" for a key of a map column. */
static const struct option_rule *
find_extra_rule(const char *key, bool bond)
{
	const struct option_rule *r = bond ? find_rule(bond_rules, key) : NULL;

	if (r == NULL)
		r = find_rule(extra_rules, key);
	const char *c1 = strchr(key, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char wild[128];

	if (r != NULL || c2 == NULL || (size_t)(c2 - key) + 3 > sizeof(wild))
		return r;
	memcpy(wild, key, (size_t)(c2 - key) + 1);
	strcpy(wild + (c2 - key) + 1, "*");
	return find_rule(extra_rules, wild);
}

/* True when 'value' is one of the rule's default spellings (nothing to apply). */
static bool
is_fine(const struct option_rule *r, const char *value)
{
	size_t len = strlen(value);

	for (const char *f = r->fine; f != NULL && *f != '\0';) {
		const char *bar = strchr(f, '|');
		size_t n = bar ? (size_t)(bar - f) : strlen(f);

		if (n == len && strncmp(f, value, n) == 0)
			return true;
		f = bar ? bar + 1 : f + n;
	}
	return false;
}

/* The verdict on 'value' under 'r': a default value of a WARN/REFUSE rule is DONE. */
static enum verdict
verdict_of(const struct option_rule *r, const char *value)
{
	return r->verdict != DONE && is_fine(r, value) ? DONE : r->verdict;
}

int
vconf_check_other_config(const struct vconf_kv *kv, char **err)
{
	const struct option_rule *r = find_rule(other_config_rules, kv->key);

	if (r == NULL) {
		*err = fmt("key 'other_config:%s': unknown key", kv->key);
		return -ENOENT;
	}
	if (r->check == NULL) {
		char key[128], *why = NULL;
		unsigned long v;

		snprintf(key, sizeof(key), "other_config:%s", kv->key);
		if (vconf_parse_uint(key, kv->value, r->min, r->max, &v, &why) < 0) {
			*err = why;
			return -EINVAL;
		}
	} else if (r->check(kv->value) < 0) {
		*err = fmt("key 'other_config:%s': bad value '%s'", kv->key, kv->value);
		return -EINVAL;
	}
	switch (verdict_of(r, kv->value)) {
	case WARN:
		*err = fmt("key 'other_config:%s': '%s' accepted but not applied: %s", kv->key,
			kv->value, r->why);
		return 1;
	case REFUSE:
		*err = fmt("key 'other_config:%s': '%s' refused: %s", kv->key, kv->value, r->why);
		return -EINVAL;
	default:
		return 0;
	}
}

const char *const *
vconf_port_types(void)
{
	static const char *const names[] = {
		"dpdk", "dpdkvhostuser", "dpdkvhostuserclient", "patch", "internal", "vxlan",
		"gtpu", "geneve", NULL
	};
	return names;
}

static size_t
type_index(const char *type)
{
	size_t t;

	for (t = 0; t < sizeof(port_types) / sizeof(port_types[0]); t++)
		if (strcmp(port_types[t].type, type) == 0)
			break;
	return t;
}

/* The extra settings of a port or bridge named 'what' with verdict 'v', as text ("; "-joined
 * when 'sep' is "; ", one a line when "\n"), or NULL when none. */
static char *
extra_with(const struct vconf_map *extra, bool bond, const char *what, enum verdict v,
		const char *sep)
{
	char *out = NULL;

	for (size_t i = 0; i < extra->n; i++) {
		const struct vconf_kv *kv = &extra->kv[i];
		const struct option_rule *r = find_extra_rule(kv->key, bond);
		enum verdict got = r ? verdict_of(r, kv->value) : REFUSE;
		char *line, *joined;

		if (got != v)
			continue;
		line = fmt("%s: key '%s': '%s' %s: %s", what, kv->key, kv->value,
			v == WARN ? "accepted but not applied" : "refused",
			r ? r->why : "vireo-dp does not implement this column");
		if (line == NULL)
			continue;
		joined = out ? fmt("%s%s%s", out, sep, line) : line;
		if (out != NULL) {
			free(out);
			free(line);
		}
		out = joined;
	}
	return out;
}

/* Options of 'p' with verdict 'v' (one a line), or NULL. */
static char *
options_with(const struct vconf_port *p, size_t t, enum verdict v)
{
	char *out = NULL;

	for (size_t i = 0; t < sizeof(port_types) / sizeof(port_types[0]) && i < p->options.n;
			i++) {
		const struct vconf_kv *kv = &p->options.kv[i];
		const struct option_rule *r = find_rule(port_types[t].rules, kv->key);
		char *line, *joined;

		if (r == NULL || verdict_of(r, kv->value) != v)
			continue;
		line = fmt("port '%s': key 'options:%s': '%s' %s: %s", p->name, kv->key,
			kv->value, v == WARN ? "accepted but not applied" : "refused", r->why);
		if (line == NULL)
			continue;
		joined = out ? fmt("%s\n%s", out, line) : line;
		if (out != NULL) {
			free(out);
			free(line);
		}
		out = joined;
	}
	return out;
}

/* The VLAN mode a port runs in (Open vSwitch's default when vlan_mode is empty). */
static const char *
vlan_mode_of(const struct vconf_vlan *v)
{
	return v->mode != NULL ? v->mode : v->has_tag ? "access" : "trunk";
}

/* VLAN settings, as Open vSwitch's MAC learning knows them (ovs-vswitchd.conf.db(5)). */
static int
check_vlan(const struct vconf_port *p, int *line, char **err)
{
	const struct vconf_vlan *v = &p->vlan;
	const char *m = vlan_mode_of(v);

	if (v->line)
		*line = v->line;
	if (strcmp(m, "dot1q-tunnel") == 0) {
		*err = fmt("port '%s': key 'vlan_mode': 'dot1q-tunnel' refused: %s", p->name,
			NO_SWITCH("dot1q-tunnel"));
		return -EINVAL;
	}
	if (strcmp(m, "access") != 0 && strcmp(m, "trunk") != 0 &&
			strcmp(m, "native-tagged") != 0 && strcmp(m, "native-untagged") != 0) {
		*err = fmt("port '%s': key 'vlan_mode': bad value '%s' (access, trunk, "
			"native-tagged or native-untagged)", p->name, m);
		return -EINVAL;
	}
	if (strcmp(m, "trunk") != 0 && !v->has_tag) {
		*err = fmt("port '%s': key 'tag': vlan_mode %s needs a tag (the port's %s VLAN)",
			p->name, m, strcmp(m, "access") == 0 ? "access" : "native");
		return -EINVAL;
	}
	if (v->has_tag && v->tag > 4095) {
		*err = fmt("port '%s': key 'tag': %u is out of range 0..4095", p->name, v->tag);
		return -EINVAL;
	}
	return 0;
}

/* What Open vSwitch ignores of a port's VLAN settings, with a warning as it does. */
static char *
vlan_warnings(const struct vconf_port *p)
{
	const char *m = vlan_mode_of(&p->vlan);

	if (strcmp(m, "access") == 0 && p->vlan.n_trunks > 0)
		return fmt("port '%s': key 'trunks': ignored: an access port carries only its "
			"tag's VLAN", p->name);
	if (strcmp(m, "trunk") == 0 && p->vlan.has_tag)
		return fmt("port '%s': key 'tag': ignored: a trunk port has no VLAN of its own "
			"(vlan_mode native-tagged or native-untagged gives it one)", p->name);
	return NULL;
}

const char *
vconf_bond_setting(const struct vconf_port *p, const char *key)
{
	static const struct {
		const char *key, *column, *def;
	} settings[] = {
		{ "bond_mode", "Port:bond_mode", "active-backup" },
		{ "lacp", "Port:lacp", "off" },
		{ "lacp-time", "Port:other_config:lacp-time", "slow" },
		{ "bond_updelay", "Port:bond_updelay", "0" },
		{ "bond_downdelay", "Port:bond_downdelay", "0" },
		{ "bond-primary", "Port:other_config:bond-primary", "" },
	};

	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		if (strcmp(settings[i].key, key) == 0) {
			const char *v = vconf_map_get(&p->extra, settings[i].column);

			return v != NULL ? v : settings[i].def;
		}
	}
	return NULL;
}

/* A bond's members: type dpdk, dpdk-devargs only, no other setting. */
static int
check_bond_members(const struct vconf_port *p, int *line, char **err)
{
	if (p->n_ifaces < 2 || p->n_ifaces > VCONF_BOND_MAX) {
		*err = fmt("port '%s': a bond has 2 to %d interfaces (this one %zu)", p->name,
			VCONF_BOND_MAX, p->n_ifaces);
		return -EINVAL;
	}
	for (size_t i = 0; i < p->n_ifaces; i++) {
		const struct vconf_iface *f = &p->ifaces[i];

		if (f->line)
			*line = f->line;
		if (f->type == NULL || strcmp(f->type, "dpdk") != 0) {
			*err = fmt("port '%s': interface '%s': key 'type': '%s' refused: a bond's "
				"interfaces are DPDK ethdevs (type dpdk), bonded by DPDK's bonding "
				"driver", p->name, f->name, f->type ? f->type : "");
			return -EINVAL;
		}
		for (size_t k = 0; k < f->options.n; k++) {
			if (strcmp(f->options.kv[k].key, "dpdk-devargs") != 0) {
				*err = fmt("port '%s': interface '%s': key 'options:%s' refused: a "
					"bond member takes only options:dpdk-devargs (its queues are "
					"the bond's)", p->name, f->name, f->options.kv[k].key);
				return -EINVAL;
			}
		}
		if (vconf_map_get(&f->options, "dpdk-devargs") == NULL) {
			*err = fmt("port '%s': interface '%s': key 'options:dpdk-devargs' is "
				"required for type dpdk", p->name, f->name);
			return -EINVAL;
		}
		if (f->extra.n > 0) {
			*err = fmt("port '%s': interface '%s': key '%s': '%s' refused: not "
				"implemented on a bond member", p->name, f->name, f->extra.kv[0].key,
				f->extra.kv[0].value);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * What port/port_bond.c runs: active-backup without LACP (mode 1, the member it chooses
 * sending and made the driver's primary), balance-tcp with LACP (mode 4, 802.3ad, layer 3+4
 * hashing), balance-slb without LACP (mode 2 with source-MAC balancing and loop protection
 * of its own), active-backup with LACP (mode 4 negotiating, one member sending).  LACP
 * active or passive (port/bond_passive.h).
 */
static int
check_bond(const struct vconf_port *p, int *line, char **err)
{
	const char *mode = vconf_bond_setting(p, "bond_mode");
	const char *lacp = vconf_bond_setting(p, "lacp");

	if (check_bond_members(p, line, err) < 0)
		return -EINVAL;
	*line = p->line;
	if (strcmp(mode, "balance-slb") == 0 && strcmp(lacp, "off") != 0) {
		*err = fmt("port '%s': key 'lacp': '%s' refused with bond_mode balance-slb: not "
			"implemented (balance-slb runs without LACP; for LACP use "
			"bond_mode=balance-tcp)", p->name, lacp);
		return -EINVAL;
	}
	if (strcmp(mode, "balance-tcp") == 0 && strcmp(lacp, "off") == 0) {
		*err = fmt("port '%s': key 'bond_mode': 'balance-tcp' refused without LACP: it "
			"needs lacp=active or lacp=passive", p->name);
		return -EINVAL;
	}
	if (strcmp(lacp, "off") != 0 && (strcmp(vconf_bond_setting(p, "bond_updelay"),
			"0") != 0 || strcmp(vconf_bond_setting(p, "bond_downdelay"), "0") != 0)) {
		*err = fmt("port '%s': key 'bond_updelay'/'bond_downdelay' refused with "
			"lacp=%s: DPDK's 802.3ad takes members in and out itself", p->name, lacp);
		return -EINVAL;
	}
	return 0;
}

/* The port's type is known ('*t' its index in port_types) and fits its interfaces. */
static int
check_type(const struct vconf_port *p, size_t *t, char **err)
{
	if (p->type == NULL || *p->type == '\0') {
		*err = fmt("port '%s': key 'type' is missing (one of dpdk, dpdkvhostuser, "
			"dpdkvhostuserclient)", p->name);
		return -EINVAL;
	}
	*t = type_index(p->type);
	if (*t == sizeof(port_types) / sizeof(port_types[0])) {
		*err = fmt("port '%s': key 'type': unknown port type '%s' (one of dpdk, "
			"dpdkvhostuser, dpdkvhostuserclient, patch, internal, vxlan, gtpu, geneve)", p->name,
			p->type);
		return -EINVAL;
	}
	if (p->n_ifaces > 0 && strcmp(p->type, "bond") != 0) {
		*err = fmt("port '%s': key 'interfaces': refused with type '%s': several interfaces "
			"make a bond (type bond, or no type)", p->name, p->type);
		return -EINVAL;
	}
	return 0;
}

/*
 * Option 'kv' of port 'p' (type index 't'): one its type knows, with a well-formed value,
 * not refused.  A refused one is reported with every other refused option of the port.
 */
static int
check_option(const struct vconf_port *p, size_t t, const struct vconf_kv *kv, char **err)
{
	const struct option_rule *r = find_rule(port_types[t].rules, kv->key);
	int rc;

	if (r == NULL) {
		*err = fmt("port '%s': key 'options:%s': unknown option for type %s",
			p->name, kv->key, p->type);
		return -EINVAL;
	}
	if (r->check == NULL) {
		char key[128], *why = NULL;
		unsigned long v;

		snprintf(key, sizeof(key), "options:%s", kv->key);
		if (vconf_parse_uint(key, kv->value, r->min, r->max, &v, &why) < 0) {
			*err = fmt("port '%s': %s", p->name, why ? why : "out of memory");
			free(why);
			return -EINVAL;
		}
	} else if ((rc = r->check(kv->value)) < 0) {
		*err = fmt("port '%s': key 'options:%s': bad value '%s'", p->name,
			kv->key, kv->value);
		return -EINVAL;
	} else if (rc > 0) {
		*err = fmt("port '%s': key 'options:%s': '%s' refused: %s", p->name,
			kv->key, kv->value, r->why);
		return -EINVAL;
	}
	if (verdict_of(r, kv->value) == REFUSE) {
		*err = options_with(p, t, REFUSE);
		return -EINVAL;
	}
	return 0;
}

/* Every option of 'p', '*line' following them (an option without a line keeps the last). */
static int
check_options(const struct vconf_port *p, size_t t, int *line, char **err)
{
	for (size_t i = 0; i < p->options.n; i++) {
		if (p->options.kv[i].line)
			*line = p->options.kv[i].line;
		if (check_option(p, t, &p->options.kv[i], err) < 0)
			return -EINVAL;
	}
	return 0;
}

/* The option the port's type cannot do without, when it has one. */
static int
check_required(const struct vconf_port *p, size_t t, char **err)
{
	if (port_types[t].required && vconf_map_get(&p->options, port_types[t].required) == NULL) {
		*err = fmt("port '%s': key 'options:%s' is required for type %s", p->name,
			port_types[t].required, p->type);
		return -EINVAL;
	}
	return 0;
}

/* mtu_request and ofport_request, each 0 when unset (OVSDB's empty column). */
static int
check_requests(const struct vconf_port *p, char **err)
{
	/* 68 is RTE_ETHER_MIN_MTU, IPv4's minimum. */
	if (p->mtu_request != 0 && (p->mtu_request < 68 || p->mtu_request > 9710)) {
		*err = fmt("port '%s': key 'mtu_request': %" PRId64 " is out of range 68..9710",
			p->name, p->mtu_request);
		return -EINVAL;
	}
	if (p->ofport_request < 0 || p->ofport_request > 65279) {
		*err = fmt("port '%s': key 'ofport_request': %" PRId64 " is out of range 1..65279",
			p->name, p->ofport_request);
		return -EINVAL;
	}
	return 0;
}

/* The values of the port's other columns that vireo-dp applies (verdict DONE). */
static int
check_extra_values(const struct vconf_port *p, char **err)
{
	for (size_t i = 0; i < p->extra.n; i++) {
		const struct option_rule *r = find_extra_rule(p->extra.kv[i].key,
			p->n_ifaces > 0);

		if (r != NULL && r->verdict == DONE && r->check(p->extra.kv[i].value) < 0) {
			*err = fmt("port '%s': key '%s': bad value '%s'", p->name,
				p->extra.kv[i].key, p->extra.kv[i].value);
			return -EINVAL;
		}
	}
	return 0;
}

/* No other column of the port that vireo-dp refuses: all of them in one message. */
static int
check_extra_refused(const struct vconf_port *p, char **err)
{
	char *what = fmt("port '%s'", p->name), *refused;

	refused = what ? extra_with(&p->extra, p->n_ifaces > 0, what, REFUSE, "; ") : NULL;
	free(what);
	if (refused != NULL) {
		*err = refused;
		return -EINVAL;
	}
	return 0;
}

/*
 * Patch and tunnel ports receive through their peer's or carrier's deliver call, not
 * through an rx queue, so no ingress policer would ever see their packets: refused as Open
 * vSwitch's netdev_set_policing() refuses it for vports.
 */
static int
check_ingress_policing(const struct vconf_port *p, char **err)
{
	struct vconf_policing pol;

	if (strcmp(p->type, "patch") != 0 && strcmp(p->type, "vxlan") != 0 &&
			strcmp(p->type, "geneve") != 0 && strcmp(p->type, "gtpu") != 0)
		return 0;
	vconf_port_policing(p, &pol);
	if (pol.in_kbps > 0 || pol.in_kpps > 0) {
		*err = fmt("port '%s': key 'Interface:ingress_policing_%s': refused on a "
			"%s port: %s", p->name, pol.in_kbps > 0 ? "rate" : "kpkts_rate",
			p->type, strcmp(p->type, "patch") == 0 ?
			"it receives what its peer sends (police the peer's egress with "
			"QoS egress-policer)" :
			"it receives what the port carrying the tunnel delivers (police "
			"that port, or the sender's egress with QoS egress-policer)");
		return -EINVAL;
	}
	return 0;
}

/*
 * The checks in the order their errors take precedence.  '*line' starts at the port's;
 * the checks that know a closer one (options, VLAN settings, bond members) set it.
 */
int
vconf_check_port(const struct vconf_port *p, int *line, char **err)
{
	size_t t;

	*line = p->line;
	if (check_type(p, &t, err) < 0 || check_options(p, t, line, err) < 0)
		return -EINVAL;
	*line = p->line;
	if (check_required(p, t, err) < 0 || check_requests(p, err) < 0 ||
	    check_vlan(p, line, err) < 0 || check_extra_values(p, err) < 0)
		return -EINVAL;
	*line = p->line;
	if (check_extra_refused(p, err) < 0 || check_ingress_policing(p, err) < 0)
		return -EINVAL;
	if (strcmp(p->type, "bond") == 0)
		return check_bond(p, line, err);
	return 0;
}

static uint64_t
extra_u64(const struct vconf_port *p, const char *key)
{
	const char *v = vconf_map_get(&p->extra, key);

	return v != NULL ? strtoull(v, NULL, 10) : 0;
}

void
vconf_port_policing(const struct vconf_port *p, struct vconf_policing *out)
{
	const char *qos = vconf_map_get(&p->extra, "QoS:type");

	memset(out, 0, sizeof(*out));
	out->in_kbps = extra_u64(p, "Interface:ingress_policing_rate");
	out->in_burst_kb = extra_u64(p, "Interface:ingress_policing_burst");
	out->in_kpps = extra_u64(p, "Interface:ingress_policing_kpkts_rate");
	out->in_burst_kpkts = extra_u64(p, "Interface:ingress_policing_kpkts_burst");
	if (qos != NULL && strcmp(qos, "egress-policer") == 0) {
		out->out_cir = extra_u64(p, "QoS:other_config:cir");
		out->out_cbs = extra_u64(p, "QoS:other_config:cbs");
	}
}

/* A burst without its rate polices nothing: Open vSwitch says nothing, vireo-dp warns. */
static char *
policing_warnings(const struct vconf_port *p)
{
	struct vconf_policing pol;
	char *out = NULL;

	vconf_port_policing(p, &pol);
	if (pol.in_burst_kb > 0 && pol.in_kbps == 0)
		out = fmt("port '%s': key 'Interface:ingress_policing_burst': accepted but not "
			"applied: no ingress_policing_rate", p->name);
	if (pol.in_burst_kpkts > 0 && pol.in_kpps == 0) {
		char *w = fmt("port '%s': key 'Interface:ingress_policing_kpkts_burst': accepted "
			"but not applied: no ingress_policing_kpkts_rate", p->name);

		if (out != NULL && w != NULL) {
			char *j = fmt("%s\n%s", out, w);

			free(out);
			free(w);
			return j;
		}
		return out ? out : w;
	}
	return out;
}

/* 'a' and 'b' joined by 'sep' (both consumed; either may be NULL). */
static char *
join_with(char *a, char *b, const char *sep)
{
	char *out;

	if (a == NULL || b == NULL)
		return a ? a : b;
	out = fmt("%s%s%s", a, sep, b);
	free(a);
	free(b);
	return out;
}

/* 'a' and 'b' joined by a newline (both consumed; either may be NULL). */
static char *
join_lines(char *a, char *b)
{
	char *out;

	if (a == NULL || b == NULL)
		return a ? a : b;
	out = fmt("%s\n%s", a, b);
	free(a);
	free(b);
	return out;
}

char *
vconf_port_warnings(const struct vconf_port *p)
{
	char *opts = options_with(p, type_index(p->type ? p->type : ""), WARN);
	char *what = fmt("port '%s'", p->name);
	char *extra = what ? extra_with(&p->extra, p->n_ifaces > 0, what, WARN, "\n") : NULL;

	free(what);
	return join_lines(join_lines(join_lines(vlan_warnings(p), opts), extra),
		policing_warnings(p));
}

int
vconf_check_bridge(const struct vconf_bridge *b, char **err, char **warn)
{
	char *what = fmt("bridge '%s'", b->name);

	*err = NULL;
	*warn = NULL;
	if (what == NULL)
		return -ENOMEM;
	if (b->fail_mode != NULL && strcmp(b->fail_mode, "standalone") != 0 &&
			strcmp(b->fail_mode, "secure") != 0) {
		*err = fmt("%s: key 'fail_mode': bad value '%s' (standalone or secure)", what,
			b->fail_mode);
		free(what);
		return -EINVAL;
	}
	*err = extra_with(&b->extra, false, what, REFUSE, "; ");
	*warn = extra_with(&b->extra, false, what, WARN, "\n");
	for (size_t i = 0; i < b->extra.n; i++) {
		const struct vconf_kv *kv = &b->extra.kv[i];
		const struct option_rule *r = find_extra_rule(kv->key, false);

		if (r != NULL && r->verdict == DONE && r->check(kv->value) < 0)
			*err = join_with(*err, fmt("%s: key '%s': bad value '%s'%s%s%s", what,
				kv->key, kv->value, r->why ? " (" : "", r->why ? r->why : "",
				r->why ? ")" : ""), "; ");
	}
	if (b->n_mirrors > VCONF_MIRROR_MAX)
		*err = join_with(*err, fmt("%s: key 'mirrors': %zu mirrors, at most %d", what,
			b->n_mirrors, VCONF_MIRROR_MAX), "; ");
	for (size_t i = 0; i < b->n_mirrors; i++) {
		const struct vconf_mirror *m = &b->mirrors[i];
		char *mw = fmt("%s: mirror '%s'", what, m->name);

		if (mw == NULL)
			continue;
		*err = join_with(*err, extra_with(&m->extra, false, mw, REFUSE, "; "), "; ");
		*warn = join_with(*warn, extra_with(&m->extra, false, mw, WARN, "\n"), "\n");
		if (m->output_port == NULL && vconf_map_get(&m->extra, "Mirror:output_vlan") == NULL)
			*warn = join_with(*warn, fmt("%s: key 'output_port': none: the mirror "
				"sends nothing, as Open vSwitch's", mw), "\n");
		free(mw);
	}
	free(what);
	return *err != NULL ? -EINVAL : 0;
}
