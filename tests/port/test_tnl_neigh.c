/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnels' neighbour table (port/tnl.c, snooping in tnl_pmd.c) without PMD threads, in
 * a network namespace of its own where a veth device "tp0" (172.31.14.1/24, peer "tp0p")
 * stands for the underlay's internal port, so that a vxlan port to 172.31.14.2 has a real
 * route.  Checked: what is learnt from ARP passing to the internal port (replies and
 * gratuitous ARP, as Open vSwitch; not requests, not a zero, multicast or broadcast
 * sender MAC); a flood of 300 other neighbours does not push the tunnel's next hop out (the
 * least recently seen of the others go) and the tunnel stays up; ageing (an entry no tunnel
 * uses is forgotten TNL_NEIGH_IDLE seconds after it was seen, one in use stays); an old
 * next hop asked for again by an ARP request that leaves "tp0" (read on "tp0p"), once per
 * TNL_NEIGH_ASK_EVERY seconds; a table full of next hops refusing a new entry.  Times are
 * moved back in the table rather than waited for.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "check.h"
#include "port.h"
#include "tnl.h"
#include "tnl_sink.h"

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t host_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

/*
 * Hand the internal port an ARP frame: operation 'op' (1 request, 2 reply) from 'sha' and
 * 'spa' for 'tpa', to Ethernet address 'dst'; the control thread takes it in by the next
 * tnl_run() or tnl_neigh_table().
 */
static void
arp_in(uint8_t op, const char *spa, const char *tpa, const uint8_t sha[6], const uint8_t dst[6])
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t f[60] = { 0 };
	uint16_t dropped = 0;

	memcpy(f, dst, 6);
	memcpy(f + 6, sha, 6);
	f[12] = 0x08, f[13] = 0x06;
	f[15] = 1, f[16] = 0x08, f[18] = 6, f[19] = 4, f[21] = op;
	memcpy(f + 22, sha, 6);
	inet_pton(AF_INET, spa, f + 28);
	if (op == 2)
		memcpy(f + 32, dst, 6);
	inet_pton(AF_INET, tpa, f + 38);
	memcpy(rte_pktmbuf_append(m, sizeof(f)), f, sizeof(f));
	if (tnl_internal_tx(&under, 0, &m, 1, &dropped, NULL) == 1)
		rte_pktmbuf_free(m);
}

/* The table's entry for IPv4 address 'ip' on tp0, NULL if none.  The test moves its times
 * back to age it, hence not const. */
static struct tnl_neigh *
neigh_of(const char *ip)
{
	const struct tnl_neigh *nb;
	struct in6_addr a;
	uint32_t v4 = 0;
	unsigned n;

	inet_pton(AF_INET, ip, &v4);
	tnl_in6_mapped(&a, v4);
	nb = tnl_neigh_table(&n);
	for (unsigned i = 0; i < n; i++)
		if (IN6_ARE_ADDR_EQUAL(&nb[i].ip, &a) && strcmp(nb[i].dev, "tp0") == 0)
			return (struct tnl_neigh *)(uintptr_t)&nb[i];
	return NULL;
}

/* Move the times of 'ip''s entry back: last seen 'seen' s earlier, asked for 'asked' s
 * earlier.  False when there is no such entry. */
static bool
backdate(const char *ip, time_t seen, time_t asked)
{
	struct tnl_neigh *nb = neigh_of(ip);

	if (nb == NULL)
		return false;
	nb->seen -= seen;
	nb->asked -= asked;
	return true;
}

static unsigned
neigh_count(void)
{
	unsigned n;

	tnl_neigh_table(&n);
	return n;
}

/* The address 10.99.I/250.I%250+1 of the flood's neighbour 'i' into 'buf' (16 bytes). */
static const char *
flood_ip(unsigned i, char *buf)
{
	snprintf(buf, 16, "10.99.%u.%u", i / 250, i % 250 + 1);
	return buf;
}

static void
test_snoop(struct port *vx)
{
	static const uint8_t zero[6] = { 0 };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 0x07 };
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x33 };

	arp_in(1, "172.31.14.2", "172.31.14.1", peer_mac, bcast);
	arp_in(1, "172.31.14.9", "172.31.14.77", other, bcast);
	tnl_run();
	CHECK(neigh_of("172.31.14.2") == NULL && neigh_of("172.31.14.9") == NULL &&
		!port_link_up(vx), "ARP requests (for this host and for another) are not learnt "
		"from: the tunnel's next hop stays unresolved, its link down");
	arp_in(2, "172.31.14.2", "172.31.14.1", peer_mac, host_mac);
	tnl_run();
	CHECK(neigh_of("172.31.14.2") != NULL &&
		memcmp(neigh_of("172.31.14.2")->mac, peer_mac, 6) == 0 && port_link_up(vx),
		"an ARP reply is learnt: the tunnel's link comes up");
	arp_in(2, "172.31.14.20", "172.31.14.1", zero, host_mac);
	arp_in(2, "172.31.14.21", "172.31.14.1", mcast, host_mac);
	arp_in(2, "172.31.14.22", "172.31.14.1", bcast, host_mac);
	CHECK(neigh_of("172.31.14.20") == NULL && neigh_of("172.31.14.21") == NULL &&
		neigh_of("172.31.14.22") == NULL,
		"replies with a zero, multicast or broadcast sender MAC are not learnt");
	arp_in(1, "172.31.14.30", "172.31.14.30", other, bcast);
	arp_in(2, "172.31.14.31", "172.31.14.31", other, bcast);
	arp_in(1, "172.31.14.32", "172.31.14.32", other, host_mac);
	CHECK(neigh_of("172.31.14.30") != NULL && neigh_of("172.31.14.31") != NULL &&
		neigh_of("172.31.14.32") == NULL, "gratuitous ARP (request or reply, broadcast, "
		"sender = target) is learnt; a unicast request to itself is not");
}

/* 300 neighbours more than the table holds less what it has: the least recently seen of
 * those no tunnel uses go, never the tunnel's next hop. */
static void
test_flood(struct port *vx)
{
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0x99, 0 };
	unsigned newest = 0;
	char ip[16];

	for (unsigned i = 0; i < 300; i++) {
		mac[5] = (uint8_t)i;
		arp_in(2, flood_ip(i, ip), "172.31.14.1", mac, host_mac);
		if (i % 100 == 99)
			tnl_run();
	}
	for (unsigned i = 300 - (TNL_NEIGH_MAX - 1); i < 300; i++)
		newest += neigh_of(flood_ip(i, ip)) != NULL;
	CHECK(neigh_count() == TNL_NEIGH_MAX && neigh_of("172.31.14.2") != NULL &&
		port_link_up(vx), "300 ARP replies from other hosts: the table is full, the "
		"tunnel's next hop is still in it and its link up");
	CHECK(newest == TNL_NEIGH_MAX - 1 && neigh_of(flood_ip(0, ip)) == NULL &&
		neigh_of("172.31.14.30") == NULL,
		"... the others are the %u most recently seen (%u of them)", TNL_NEIGH_MAX - 1,
		newest);
}

/* An AF_PACKET socket reading ARP on 'dev'. */
static int
arp_listen(const char *dev)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP));

	sll.sll_ifindex = (int)if_nametoindex(dev);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* How many ARP requests for 'tpa' from 172.31.14.1 arrive on 'fd' within 'ms'. */
static unsigned
arp_requests(int fd, const char *tpa, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t f[128], want[4], src[4];
	unsigned n = 0;

	inet_pton(AF_INET, tpa, want);
	inet_pton(AF_INET, "172.31.14.1", src);
	while (poll(&p, 1, ms) == 1) {
		ssize_t len = recv(fd, f, sizeof(f), 0);

		if (len >= 42 && f[21] == 1 && memcmp(f + 28, src, 4) == 0 &&
				memcmp(f + 38, want, 4) == 0 && memcmp(f + 6, host_mac, 6) == 0)
			n++;
	}
	return n;
}

static void
test_age(struct port *vx)
{
	char a[16], b[16];
	int fd = arp_listen("tp0p");

	flood_ip(298, a);
	flood_ip(299, b);
	backdate(a, TNL_NEIGH_IDLE, 0);
	backdate(b, TNL_NEIGH_IDLE - 2, 0);
	tnl_run();
	CHECK(neigh_of(a) == NULL && neigh_of(b) != NULL, "an entry no tunnel uses is forgotten "
		"%u s after it was seen, not before", TNL_NEIGH_IDLE);

	if (!CHECK(fd >= 0, "an AF_PACKET socket on tp0p"))
		return;
	arp_requests(fd, "172.31.14.2", 0);
	backdate("172.31.14.2", TNL_NEIGH_REASK, TNL_NEIGH_REASK);
	tnl_run();
	tnl_run();
	CHECK(arp_requests(fd, "172.31.14.2", 500) == 1 && port_link_up(vx),
		"the tunnel's next hop, %u s old: asked for again by one ARP request from tp0 "
		"(two tnl_run()s), the tunnel still up", TNL_NEIGH_REASK);
	backdate("172.31.14.2", 0, TNL_NEIGH_ASK_EVERY);
	tnl_run();
	CHECK(arp_requests(fd, "172.31.14.2", 500) == 1, "... and again %u s later",
		TNL_NEIGH_ASK_EVERY);
	arp_in(2, "172.31.14.2", "172.31.14.1", peer_mac, host_mac);
	tnl_run();
	CHECK(arp_requests(fd, "172.31.14.2", 200) == 0, "... not once a reply refreshed it");
	backdate("172.31.14.2", TNL_NEIGH_IDLE + 60, TNL_NEIGH_IDLE + 60);
	tnl_run();
	CHECK(neigh_of("172.31.14.2") != NULL && port_link_up(vx),
		"a next hop nothing answers for stays while a tunnel uses it (as Open vSwitch)");
	close(fd);
}

/* A table whose entries are all next hops takes no new one (tnl_neigh_set: -ENOSPC). */
static void
test_full(void)
{
	const struct tnl_neigh *nb;
	struct in6_addr a;
	unsigned n;

	for (uint32_t i = 1; neigh_count() < TNL_NEIGH_MAX && i < 100; i++) {
		tnl_in6_mapped(&a, htonl(0x0a610000 + i));		/* 10.97.0.I */
		tnl_neigh_set("tp0", &a, peer_mac);
	}
	nb = tnl_neigh_table(&n);
	for (unsigned i = 0; i < n; i++)
		((struct tnl_neigh *)(uintptr_t)&nb[i])->in_use = true;
	tnl_in6_mapped(&a, htonl(0x0a620001));			/* 10.98.0.1 */
	CHECK(n == TNL_NEIGH_MAX && tnl_neigh_set("tp0", &a, peer_mac) == -ENOSPC &&
		neigh_of("10.98.0.1") == NULL, "a table full of next hops refuses a new entry");
}

int
main(int argc, char **argv)
{
	static const struct port_option vx_o[] = { { "remote_ip", "172.31.14.2" }, { "key", "42" } };
	struct port_env env = { .n_pmds = 1, .log = logf_quiet, .deliver = deliver };
	struct port vx;
	char *err;

	(void)argc;
	if (unshare(CLONE_NEWNET) != 0 || system("ip link add tp0 type veth peer name tp0p && "
			"ip link set tp0p up && ip link set tp0 address 02:00:00:00:00:01 && "
			"ip addr add 172.31.14.1/24 dev tp0 && ip link set tp0 up") != 0) {
		fprintf(stderr, "test_tnl_neigh: no network namespace of its own (root?): "
			"skipped\n");
		return 77;
	}
	if (tnl_test_start(argv[0], "tnlneigh", &env) < 0)
		return 1;
	CHECK(open_port(&vx, "vx", "vxlan", 1, vx_o, RTE_DIM(vx_o), &env, &err) == 0,
		"a vxlan port to 172.31.14.2 opens: %s", err ? err : "");
	free(err);
	if (vx.priv != NULL) {
		test_snoop(&vx);
		test_flood(&vx);
		test_age(&vx);
		test_full();
		port_close(&vx);
		tnl_run();
		tnl_run();
		CHECK(neigh_of("172.31.14.2") == NULL, "its tunnel gone, the old next hop is "
			"forgotten");
	}
	tnl_internal_del(&under);
	free(env.qsbr);
	return check_report("test_tnl_neigh");
}
