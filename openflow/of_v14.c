/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What OpenFlow 1.4 and 1.5 write differently from 1.3: ports and port statistics with
 * properties (1.4), flow and aggregate statistics and flow_removed with their counters as
 * OXS fields (1.5), and the match a 1.5 packet_out carries its in_port in.  Everything else
 * 1.4 and 1.5 share with 1.3 and goes through the same code.
 */

#include <string.h>

#include "of_stats.h"

#define OF14_PORT_LEN 40
#define OF14_PORT_PROP_ETH_LEN 32
#define OF14_PORT_STATS_LEN 80
#define OF14_PORT_STATS_PROP_ETH_LEN 40
#define OXS_CLASS_BASIC 0x8002
#define OXS_DURATION 0
#define OXS_IDLE_TIME 1
#define OXS_FLOW_COUNT 3
#define OXS_PACKET_COUNT 4
#define OXS_BYTE_COUNT 5
#define OF_UNKNOWN UINT64_MAX

size_t
of_port14_len(void)
{
	return OF14_PORT_LEN + OF14_PORT_PROP_ETH_LEN;
}

void
of_put_port14(uint8_t *p, const struct of_port_info *pi)
{
	uint8_t *eth = p + OF14_PORT_LEN;

	of_set32(p, OF13_PORT(pi->ofport));
	of_set16(p + 4, OF14_PORT_LEN + OF14_PORT_PROP_ETH_LEN);
	memcpy(p + 8, pi->hw_addr, 6);
	memcpy(p + 16, pi->name, sizeof(pi->name));
	p[31] = '\0';
	of_set32(p + 32, pi->admin_down ? OFPPC_PORT_DOWN : 0);
	of_set32(p + 36, pi->link_up ? 0 : OFPPS_LINK_DOWN);
	/* The Ethernet property (type 0): curr, advertised, supported, peer, speeds. */
	of_set16(eth, 0);
	of_set16(eth + 2, OF14_PORT_PROP_ETH_LEN);
	of_set32(eth + 8, pi->link_up ? OFPPF_10GB_FD | OFPPF13_COPPER : 0);
	of_set32(eth + 24, pi->link_up ? 10000000 : 0);
	of_set32(eth + 28, 10000000);
}

size_t
of_port_stats14_len(void)
{
	return OF14_PORT_STATS_LEN + OF14_PORT_STATS_PROP_ETH_LEN;
}

void
of_put_port_stats14(uint8_t *e, const struct of_port_info *pi)
{
	uint8_t *eth = e + OF14_PORT_STATS_LEN;

	of_set16(e, OF14_PORT_STATS_LEN + OF14_PORT_STATS_PROP_ETH_LEN);
	of_set32(e + 4, OF13_PORT(pi->ofport));
	of_set32(e + 8, (uint32_t)(pi->duration_ms / 1000));
	of_set32(e + 12, (uint32_t)(pi->duration_ms % 1000) * 1000000);
	of_set64(e + 16, pi->rx_packets);
	of_set64(e + 24, pi->tx_packets);
	of_set64(e + 32, pi->rx_bytes);
	of_set64(e + 40, pi->tx_bytes);
	of_set64(e + 48, pi->rx_dropped);
	of_set64(e + 56, pi->tx_dropped);
	of_set64(e + 64, pi->rx_errors);
	of_set64(e + 72, pi->tx_errors);
	/* The Ethernet property: frame, overrun and CRC errors and collisions, not counted. */
	of_set16(eth, 0);
	of_set16(eth + 2, OF14_PORT_STATS_PROP_ETH_LEN);
	of_set64(eth + 8, OF_UNKNOWN);
	of_set64(eth + 16, OF_UNKNOWN);
	of_set64(eth + 24, OF_UNKNOWN);
	of_set64(eth + 32, OF_UNKNOWN);
}

static void
oxs_put64(struct of_buf *b, unsigned field, uint64_t v)
{
	uint8_t *p = of_buf_put(b, 12);

	of_set32(p, (uint32_t)OXS_CLASS_BASIC << 16 | field << 9 | 8);
	of_set64(p + 4, v);
}

void
of_stats15_put(struct of_buf *b, const struct flowtab_rule_info *r, uint64_t packets,
		uint64_t bytes, int64_t flows)
{
	size_t start = b->len;
	uint8_t *p;

	of_buf_put(b, 4);           /* reserved, length */
	if (r) {
		oxs_put64(b, OXS_DURATION, (r->duration_ms / 1000) << 32 |
				(r->duration_ms % 1000) * 1000000);
		oxs_put64(b, OXS_IDLE_TIME, (r->idle_ms / 1000) << 32 |
				(r->idle_ms % 1000) * 1000000);
	}
	oxs_put64(b, OXS_PACKET_COUNT, packets);
	oxs_put64(b, OXS_BYTE_COUNT, bytes);
	if (flows >= 0) {
		p = of_buf_put(b, 8);
		of_set32(p, (uint32_t)OXS_CLASS_BASIC << 16 | OXS_FLOW_COUNT << 9 | 4);
		of_set32(p + 4, (uint32_t)flows);
	}
	if (!b->oom)
		of_set16(b->data + start + 2, (uint16_t)(b->len - start));
	of_buf_pad8(b, start);
}

/* An OXM ofp_match of 'r''s fields, padded. */
static void
put_match(struct of_buf *b, const struct flowtab_rule_info *r)
{
	size_t start = b->len;
	uint8_t *p = of_buf_put(b, 4);

	of_set16(p, OFPMT_OXM);
	of_oxm_encode(b, &r->match, false);
	if (!b->oom)
		of_set16(b->data + start + 2, (uint16_t)(b->len - start));
	of_buf_pad8(b, start);
}

void
of_flow_desc15_encode(struct of_buf *b, const struct flowtab_rule_info *r)
{
	uint8_t *p = of_buf_put(b, 24);

	p[4] = r->table_id;
	of_set16(p + 6, r->priority);
	of_set16(p + 8, r->idle_timeout);
	of_set16(p + 10, r->hard_timeout);
	of_set16(p + 12, r->send_flow_rem ? OFPFF_SEND_FLOW_REM : 0);
	of_set64(p + 16, r->cookie);
	put_match(b, r);
	of_stats15_put(b, r, r->packets, r->bytes, -1);
	of_instructions13_encode(OF15, b, r);
	if (!b->oom)
		of_set16(b->data, (uint16_t)b->len);
}

void
of_flow_removed15(struct of_conn *c, const struct flowtab_rule_info *info, uint8_t reason)
{
	struct of_buf m = { 0 };
	uint8_t *p = of_buf_put(&m, 24);

	p[8] = info->table_id;
	p[9] = reason;
	of_set16(p + 10, info->priority);
	of_set16(p + 12, info->idle_timeout);
	of_set16(p + 14, info->hard_timeout);
	of_set64(p + 16, info->cookie);
	put_match(&m, info);
	of_stats15_put(&m, info, info->packets, info->bytes, -1);
	if (!m.oom) {
		p = of_reply_start(c, OFPT_FLOW_REMOVED, 0, m.len);
		if (!c->out.oom)
			memcpy(p + OF_HDR, m.data + OF_HDR, m.len - OF_HDR);
	}
	of_buf_free(&m);
}

enum of_err
of_packet_out15_head(const uint8_t *msg, size_t len, size_t *fixed, uint32_t *in_port)
{
	size_t mlen, off;

	if (len < 24)
		return OFE_BAD_LEN;
	if (of_get16(msg + 16) != OFPMT_OXM)
		return OFE_BMC_BAD_TYPE;
	mlen = of_get16(msg + 18);
	if (mlen < 4 || 16 + ((mlen + 7) & ~(size_t)7) > len)
		return OFE_BMC_BAD_LEN;
	*in_port = OF13_ANY;
	/* Only the in_port: a packet_out has no metadata for the other pipeline fields. */
	for (off = 20; off < 16 + mlen; ) {
		uint32_t h;

		if (16 + mlen - off < 4)
			return OFE_BMC_BAD_LEN;
		h = of_get32(msg + off);
		if ((h & 0xff) > 16 + mlen - off - 4)
			return OFE_BMC_BAD_LEN;
		if (h != OXM_HEADER(OXM_CLASS_BASIC, 0, 0, 4))
			return OFE_BMC_BAD_FIELD;
		if (*in_port != OF13_ANY)
			return OFE_BMC_DUP_FIELD;
		*in_port = of_get32(msg + off + 4);
		off += 8;
	}
	if (*in_port == OF13_ANY)
		*in_port = OF13_PORT(OFPP_CONTROLLER);
	*fixed = 16 + ((mlen + 7) & ~(size_t)7);
	return OF_OK;
}
