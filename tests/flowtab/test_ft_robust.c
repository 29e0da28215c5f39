/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Malformed and random frames through parsing and every rewrite: nothing crashes (run it
 * under ASan), nothing is written past the end of a frame, no mbuf leaks.
 */

#include <stdlib.h>
#include <string.h>

#include "ft_test_util.h"

#define N_FRAMES 30000
#define CANARY 0xa5

static struct rte_mempool *mp;
static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

/* A frame that starts like a real header stack and then goes wrong anywhere. */
static struct rte_mbuf *
random_frame(void)
{
	static const uint16_t types[] = { 0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x1234, 0x0040 };
	static const uint8_t protos[] = { 6, 17, 1, 58, 132, 0, 43, 44, 60, 47 };
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t len = (uint16_t)rnd(160), i, t;
	uint8_t *d;

	if (!m)
		return NULL;
	d = (uint8_t *)rte_pktmbuf_append(m, len);
	memset(d + len, CANARY, rte_pktmbuf_tailroom(m));
	for (i = 0; i < len; i++)
		d[i] = (uint8_t)rnd(256);
	for (i = 12; i + 1 < len && i < 22; i += 4) {
		t = types[rnd(RTE_DIM(types))];
		d[i] = (uint8_t)(t >> 8);
		d[i + 1] = (uint8_t)t;
		if (t != 0x8100 && t != 0x88a8)
			break;
	}
	/* Plausible IP version/IHL and protocol bytes most of the time. */
	if (len > i + 12 && rnd(4)) {
		d[i + 2] = rnd(2) ? 0x45 : (uint8_t)(0x60 | rnd(16));
		d[i + 2 + 9] = protos[rnd(RTE_DIM(protos))];
		if (len > i + 2 + 6)
			d[i + 2 + 6] = protos[rnd(RTE_DIM(protos))];
	}
	return m;
}

static bool
tail_intact(struct rte_mbuf *m)
{
	const uint8_t *end = rte_pktmbuf_mtod(m, uint8_t *) + rte_pktmbuf_data_len(m);
	uint16_t i, room = rte_pktmbuf_tailroom(m);

	for (i = 0; i < room; i++)
		if (end[i] != CANARY)
			return false;
	return true;
}

int
main(int argc, char **argv)
{
	static const char *const rules[] = {
		"priority=10,ip,actions=mod_nw_ttl:9,dec_ttl,mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8,mod_nw_tos:8,"
			"mod_tp_src:1,mod_tp_dst:2,output:1,resubmit(,1)",
		"priority=10,ipv6,actions=set_field:2001:db8::1->ipv6_src,"
			"set_field:2001:db8::2->ipv6_dst,mod_nw_ttl:9,dec_ttl,mod_tp_dst:7,output:2,"
			"goto_table:1",
		"priority=5,actions=strip_vlan,mod_vlan_vid:9,mod_vlan_pcp:3,push_vlan:0x88a8,"
			"mod_dl_src:00:00:00:00:00:01,output:3,goto_table:2",
		"table=1,actions=strip_vlan,mod_nw_ttl:5,dec_ttl,output:4",
		"table=2,tcp,actions=mod_tp_src:9,output:5",
		"table=2,priority=1,actions=NORMAL",
	};
	struct flowtab *ft;
	struct flowtab_pmd *pmd;
	static struct ft_capture cap;
	struct flowtab_out out;
	struct rte_mbuf *burst[32];
	unsigned long frames = 0, outs = 0;
	unsigned i, n;
	char *err = NULL;

	(void)argc;
	mp = ft_test_eal_init(argv[0], 16384);
	ft = flowtab_create("br0", &ft_test_ports, NULL);
	pmd = flowtab_pmd_create(0, -1);
	if (flowtab_add_flows(ft, rules, NULL, RTE_DIM(rules), "robust", &err)) {
		CHECK(0, "rules: %s", err);
		return check_report("test_ft_robust");
	}
	ft_capture_init(&cap, &out, true);
	while (frames < N_FRAMES && !check_failed()) {
		n = 1 + rnd(32);
		for (i = 0; i < n; i++) {
			burst[i] = random_frame();
			if (!burst[i]) {
				CHECK(0, "mbuf pool empty: leak");
				return check_report("test_ft_robust");
			}
		}
		flowtab_process_burst(pmd, ft, burst, (uint16_t)n, 6, &out);
		/*
		 * Every action list ends in an output and no TTL expires, so each received mbuf
		 * leaves (last) and stays held by the capture: copies never reuse it.  Rewrites
		 * happen on the received mbuf; copies only leave.
		 */
		for (i = 0; i < cap.n; i++) {
			unsigned j;

			for (j = 0; j < n; j++)
				if (cap.rec[i].m == burst[j])
					CHECK(tail_intact(cap.rec[i].m),
							"a rewrite wrote past the end of a frame");
		}
		outs += cap.n;
		ft_capture_reset(&cap);
		frames += n;
	}
	printf("%lu random frames, %lu outputs\n", frames, outs);
	CHECK(outs > frames, "the rules forwarded (and copied) frames");
	CHECK(rte_mempool_in_use_count(mp) == 0, "mbufs leaked: %u", rte_mempool_in_use_count(mp));
	flowtab_pmd_destroy(pmd);
	flowtab_destroy(ft);
	return check_report("test_ft_robust");
}
