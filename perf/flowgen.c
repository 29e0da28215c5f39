/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowgen: a traffic generator for perf/flows.  Two virtio_user ports (vhost-user sockets of
 * the switch under test); 64-byte UDP packets spread over N distinct flows (source address
 * and source port vary, so every flow has its own 5-tuple) are sent on both ports as fast as
 * the switch takes them, and what comes back is counted.  One lcore.
 *
 * usage: flowgen EAL-ARGS -- --flows N --seconds S [--warmup S]
 * prints: "flows N tx T rx R seconds S mpps M"
 *
 * usage: flowgen --pcap PREFIX --flows N
 * writes the same packets, N per port, to PREFIX-p0.pcap and PREFIX-p1.pcap (libpcap format,
 * no EAL) for a switch to replay with net_pcap's infinite_rx: a "NIC" that costs a copy.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define BURST 32
#define PKT_LEN 60

/* One 60-byte UDP frame of 'flow' as sent on 'port' (0 or 1), into 'p'. */
static void
frame_build(uint8_t *p, uint16_t port, uint32_t flow)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(p, 0, PKT_LEN);
	memcpy(eth->dst_addr.addr_bytes, (uint8_t[]){ 0x02, 0, 0, 0, 0xee, (uint8_t)(port ^ 1) }, 6);
	memcpy(eth->src_addr.addr_bytes, (uint8_t[]){ 0x02, 0, 0, 0, 0xee, (uint8_t)port }, 6);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(PKT_LEN - sizeof(*eth));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0xc6120000u + (port << 20) + (flow >> 12));
	ip->dst_addr = rte_cpu_to_be_32(0xc6130001u);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + (flow & 0xfff)));
	udp->dst_port = rte_cpu_to_be_16(4789);
	udp->dgram_len = rte_cpu_to_be_16(PKT_LEN - sizeof(*eth) - sizeof(*ip));
}

static void
build(struct rte_mbuf *m, uint16_t port, uint32_t flow)
{
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, PKT_LEN);

	if (p != NULL)
		frame_build(p, port, flow);
}

/* --pcap PREFIX: N frames per port in libpcap's file format (microsecond stamps). */
static int
pcap_write(const char *prefix, uint64_t flows)
{
	for (uint16_t port = 0; port < 2; port++) {
		const uint32_t hdr[6] = { 0xa1b2c3d4, 2 | (4u << 16), 0, 0, 65535, 1 };
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s-p%u.pcap", prefix, port);
		f = fopen(path, "wb");
		if (f == NULL) {
			fprintf(stderr, "flowgen: %s: %s\n", path, strerror(errno));
			return 1;
		}
		fwrite(hdr, sizeof(hdr), 1, f);
		for (uint32_t flow = 0; flow < flows; flow++) {
			const uint32_t rec[4] = { flow / 1000000, flow % 1000000, PKT_LEN, PKT_LEN };
			uint8_t frame[PKT_LEN];

			frame_build(frame, port, flow);
			fwrite(rec, sizeof(rec), 1, f);
			fwrite(frame, PKT_LEN, 1, f);
		}
		if (fclose(f) != 0) {
			fprintf(stderr, "flowgen: %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	uint64_t flows = 1, secs = 10, warm = 2, tx = 0, rx = 0, hz, t_end, t_start;
	uint32_t next[2] = { 0, 0 };
	struct rte_mempool *mp;
	int n, opt;

	if (argc == 5 && strcmp(argv[1], "--pcap") == 0 && strcmp(argv[3], "--flows") == 0) {
		flows = strtoull(argv[4], NULL, 0);
		if (flows == 0 || flows > (1u << 24)) {
			fprintf(stderr, "flowgen: --flows %s: need 1..16M\n", argv[4]);
			return 2;
		}
		return pcap_write(argv[2], flows);
	}
	n = rte_eal_init(argc, argv);

	if (n < 0) {
		fprintf(stderr, "flowgen: EAL init failed\n");
		return 1;
	}
	argc -= n;
	argv += n;
	static const struct option opts[] = {
		{ "flows", required_argument, NULL, 'f' },
		{ "seconds", required_argument, NULL, 's' },
		{ "warmup", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	while ((opt = getopt_long(argc, argv, "f:s:w:", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': flows = strtoull(optarg, NULL, 0); break;
		case 's': secs = strtoull(optarg, NULL, 0); break;
		case 'w': warm = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: flowgen EAL -- --flows N --seconds S [--warmup S]\n");
			return 2;
		}
	}
	if (flows == 0 || flows > (1u << 24) || rte_eth_dev_count_avail() != 2) {
		fprintf(stderr, "flowgen: need 1..16M flows and exactly two ports\n");
		return 2;
	}
	mp = rte_pktmbuf_pool_create("flowgen", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		rte_socket_id());
	if (mp == NULL) {
		fprintf(stderr, "flowgen: no mempool\n");
		return 1;
	}
	for (uint16_t p = 0; p < 2; p++) {
		struct rte_eth_conf conf = { 0 };

		if (rte_eth_dev_configure(p, 1, 1, &conf) < 0 ||
				rte_eth_rx_queue_setup(p, 0, 1024, rte_socket_id(), NULL, mp) < 0 ||
				rte_eth_tx_queue_setup(p, 0, 1024, rte_socket_id(), NULL) < 0 ||
				rte_eth_dev_start(p) < 0) {
			fprintf(stderr, "flowgen: port %u setup failed\n", p);
			return 1;
		}
	}
	hz = rte_get_tsc_hz();
	t_start = rte_rdtsc() + warm * hz;
	t_end = t_start + secs * hz;
	for (;;) {
		uint64_t now = rte_rdtsc();

		if (now >= t_end)
			break;
		for (uint16_t p = 0; p < 2; p++) {
			struct rte_mbuf *pkts[BURST];
			uint16_t k, sent, got;

			got = rte_eth_rx_burst(p, 0, pkts, BURST);
			if (got)
				rte_pktmbuf_free_bulk(pkts, got);
			if (now >= t_start)
				rx += got;
			if (rte_pktmbuf_alloc_bulk(mp, pkts, BURST) != 0)
				continue;
			for (k = 0; k < BURST; k++) {
				build(pkts[k], p, next[p]);
				if (++next[p] == flows)
					next[p] = 0;
			}
			sent = rte_eth_tx_burst(p, 0, pkts, BURST);
			if (sent < BURST)
				rte_pktmbuf_free_bulk(pkts + sent, BURST - sent);
			if (now >= t_start)
				tx += sent;
		}
	}
	printf("flows %" PRIu64 " tx %" PRIu64 " rx %" PRIu64 " seconds %" PRIu64 " mpps %.2f\n",
		flows, tx, rx, secs, (double)rx / (double)secs / 1e6);
	for (uint16_t p = 0; p < 2; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	rte_eal_cleanup();
	return 0;
}
