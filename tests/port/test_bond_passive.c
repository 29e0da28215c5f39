/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lacp=passive's packet work (port/bond_passive.c) on hand-made mbufs, no EAL: a partner's
 * active LACPDU opens the window, a passive one closes it, the window ends; LACPDUs sent
 * inside it lose LACP_Activity, outside it they are moved behind the other packets (which
 * keep their order) and counted once however often they are offered.
 */
#include <string.h>

#include <rte_mbuf.h>

#include "bond_passive.h"
#include "check.h"

#define FRAME 128

struct pkt {
	struct rte_mbuf m;
	uint8_t data[FRAME];
};

/* A LACPDU whose Actor State is 'state', or (state < 0) a plain IPv4 frame. */
static struct rte_mbuf *
make(struct pkt *p, int state)
{
	memset(p, 0, sizeof(*p));
	p->m.buf_addr = p->data;
	p->m.data_off = 0;
	p->m.data_len = p->m.pkt_len = 124;
	if (state < 0) {
		p->data[12] = 0x08;
		return &p->m;
	}
	memcpy(p->data, "\x01\x80\xc2\x00\x00\x02", 6);
	p->data[12] = 0x88;
	p->data[13] = 0x09;
	p->data[14] = 1;	/* LACP */
	p->data[15] = 1;	/* version */
	p->data[16] = 1;	/* actor TLV */
	p->data[17] = 20;
	p->data[32] = (uint8_t)state;
	return &p->m;
}

static uint8_t
actor_state(const struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, const uint8_t *)[32];
}

int
main(void)
{
	struct bond_passive bp = { .window = 1000 };
	struct pkt p[5];
	struct rte_mbuf *v[5], *lacp, *d0, *d1, *d2;
	uint16_t n;

	/* Nothing heard: a LACPDU among data goes last and is not sent. */
	d0 = make(&p[0], -1);
	lacp = make(&p[1], 0x3d);
	d1 = make(&p[2], -1);
	d2 = make(&p[3], -1);
	v[0] = d0, v[1] = lacp, v[2] = d1, v[3] = d2;
	n = bond_passive_tx_filter(&bp, v, 4, 10);
	CHECK(n == 3 && v[0] == d0 && v[1] == d1 && v[2] == d2 && v[3] == lacp,
		"silent partner: 3 to send, the LACPDU last (n=%u)", n);
	CHECK(bp.withheld == 1 && bp.sent == 0);
	/* DPDK offers the same one again: counted once. */
	v[0] = lacp;
	n = bond_passive_tx_filter(&bp, v, 1, 20);
	CHECK(n == 0 && v[0] == lacp && bp.withheld == 1, "re-offered: held, counted once");
	CHECK(actor_state(lacp) == 0x3d, "a held LACPDU is not changed");

	/* A passive partner's LACPDU keeps it closed. */
	v[0] = make(&p[4], 0x3c);
	bond_passive_rx_note(&bp, v, 1, 30);
	CHECK(!bond_passive_partner_active(&bp, 31));
	/* An active one opens it for 'window' cycles. */
	v[0] = d0, v[1] = make(&p[4], 0x3f);
	bond_passive_rx_note(&bp, v, 2, 100);
	CHECK(bond_passive_partner_active(&bp, 100) && bond_passive_partner_active(&bp, 1099) &&
		!bond_passive_partner_active(&bp, 1100), "active partner: window 100..1099");
	v[0] = lacp, v[1] = d1;
	n = bond_passive_tx_filter(&bp, v, 2, 500);
	CHECK(n == 2 && v[0] == lacp && v[1] == d1, "active partner: the LACPDU is sent");
	CHECK(actor_state(lacp) == 0x3c, "... with LACP_Activity cleared (state %#x)",
		actor_state(lacp));
	CHECK(bp.sent == 1 && bp.withheld == 1);
	/* The window ends: held again. */
	lacp = make(&p[1], 0x3d);
	v[0] = lacp;
	CHECK(bond_passive_tx_filter(&bp, v, 1, 1100) == 0 && bp.withheld == 2,
		"window over: held");
	/* The partner turns passive: closed at once. */
	v[0] = make(&p[4], 0x3f);
	bond_passive_rx_note(&bp, v, 1, 2000);
	v[0] = make(&p[4], 0x3e);
	bond_passive_rx_note(&bp, v, 1, 2001);
	CHECK(!bond_passive_partner_active(&bp, 2002), "a passive LACPDU closes the window");
	/* A short slow-protocol frame or a marker (subtype 2) is left alone. */
	v[0] = make(&p[4], 0x3d);
	p[4].data[14] = 2;
	CHECK(bond_passive_tx_filter(&bp, v, 1, 2003) == 1 && actor_state(v[0]) == 0x3d,
		"a marker passes untouched");
	v[0] = make(&p[4], 0x3d);
	p[4].m.data_len = 30;
	CHECK(bond_passive_tx_filter(&bp, v, 1, 2004) == 1, "a truncated frame passes");
	return check_report("test_bond_passive");
}
