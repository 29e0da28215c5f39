/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch's descriptions and counters: features, OFPST_DESC, table, port and port-desc
 * statistics (1.0) / multiparts (1.3), and the dispatch of statistics requests.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "of_gm.h"
#include "of_stats.h"

#define OF_N_TABLES 255
#define OF_DESC_LEN 1056
#define OF_UNKNOWN UINT64_MAX

/* The statistics header before a Nicira vendor part (1.0's ofp_stats_msg, 1.1+'s ofp11). */
static size_t
mp_base_len(const struct of_mp *mp)
{
	return mp->c->version == OF10 ? 12 : 16;
}

/*
 * The reply header: a Nicira reply adds vendor and subtype, and in 1.0 four bytes of pad
 * (Open vSwitch's nicira10_stats_msg; its nicira11_stats_msg has none).
 */
static size_t
mp_header_len(const struct of_mp *mp)
{
	if (!mp->nx)
		return mp_base_len(mp);
	return mp_base_len(mp) + (mp->c->version == OF10 ? 12 : 8);
}

void
of_mp_begin(struct of_mp *mp)
{
	struct of_conn *c = mp->c;
	size_t hdr = mp_header_len(mp);
	uint8_t *p;

	mp->start = c->out.len;
	p = of_reply_start(c, c->version == OF10 ? OF10_STATS_REPLY : OF13_MULTIPART_REPLY,
			mp->xid, hdr);
	of_set16(p + 8, mp->type);
	if (mp->nx) {
		of_set32(p + mp_base_len(mp), NX_VENDOR_ID);
		of_set32(p + mp_base_len(mp) + 4, mp->nx_subtype);
	}
}

static void
mp_finish(struct of_mp *mp, bool more)
{
	struct of_conn *c = mp->c;

	if (c->out.oom)
		return;
	of_set16(c->out.data + mp->start + 2, (uint16_t)(c->out.len - mp->start));
	of_set16(c->out.data + mp->start + 10, more ? OFPSF_REPLY_MORE : 0);
}

void
of_mp_add(struct of_mp *mp, const void *data, size_t n, bool oom)
{
	struct of_conn *c = mp->c;

	if (oom) {
		c->out.oom = true;
		return;
	}
	if (c->out.len - mp->start + n > OF_MAX_MSG) {
		mp_finish(mp, true);
		of_mp_begin(mp);
	}
	of_buf_put_bytes(&c->out, data, n);
}

void
of_mp_end(struct of_mp *mp)
{
	mp_finish(mp, false);
}

void
of_mp_abort(struct of_mp *mp)
{
	if (!mp->c->out.oom)
		mp->c->out.len = mp->start;
}

/* The switch's ports ('*n' of them), malloc'd; NULL when there are none or no memory. */
static struct of_port_info *
get_ports(struct of_conn *c, unsigned *n)
{
	struct of_port_info *ports;
	unsigned total = c->sw.ports ? c->sw.ports(c->sw.aux, NULL, 0) : 0;

	*n = 0;
	if (!total)
		return NULL;
	ports = calloc(total, sizeof(*ports));
	if (!ports)
		return NULL;
	*n = c->sw.ports(c->sw.aux, ports, total);
	if (*n > total)
		*n = total;
	return ports;
}

void
of_put_port10(uint8_t *p, const struct of_port_info *pi)
{
	of_set16(p, (uint16_t)pi->ofport);
	memcpy(p + 2, pi->hw_addr, 6);
	memcpy(p + 8, pi->name, sizeof(pi->name));
	p[23] = '\0';
	of_set32(p + 24, pi->admin_down ? OFPPC_PORT_DOWN : 0);
	of_set32(p + 28, pi->link_up ? 0 : OFPPS_LINK_DOWN);
	of_set32(p + 32, pi->link_up ? OFPPF_10GB_FD | OFPPF10_COPPER : 0);
}

void
of_put_port13(uint8_t *p, const struct of_port_info *pi)
{
	of_set32(p, OF13_PORT(pi->ofport));
	memcpy(p + 8, pi->hw_addr, 6);
	memcpy(p + 16, pi->name, sizeof(pi->name));
	p[31] = '\0';
	of_set32(p + 32, pi->admin_down ? OFPPC_PORT_DOWN : 0);
	of_set32(p + 36, pi->link_up ? 0 : OFPPS_LINK_DOWN);
	of_set32(p + 40, pi->link_up ? OFPPF_10GB_FD | OFPPF13_COPPER : 0);
	of_set32(p + 56, pi->link_up ? 10000000 : 0);
	of_set32(p + 60, 10000000);
}

void
of_handle_features(struct of_conn *c, const uint8_t *msg, size_t len)
{
	struct of_port_info *ports = NULL;
	unsigned n = 0, i, room;
	uint8_t *p;

	if (len != OF_HDR) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	if (c->version == OF10)
		ports = get_ports(c, &n);
	/* 1.0 lists the ports in the reply, as many as fit in one message. */
	room = (OF_MAX_MSG - 32) / 48;
	if (n > room)
		n = room;
	p = of_reply_start(c, OFPT_FEATURES_REPLY, of_get32(msg + 4), 32 + 48 * n);
	of_set64(p + 8, c->sw.datapath_id);
	p[20] = OF_N_TABLES;
	of_set32(p + 24, OFPC_STATS);
	if (c->version == OF10)
		of_set32(p + 28, 0x7ff);    /* output, set_vlan_*, strip_vlan, set_dl/nw/tp */
	for (i = 0; i < n && !c->out.oom; i++)
		of_put_port10(p + 32 + 48 * i, &ports[i]);
	free(ports);
}

static void
put_desc_str(uint8_t *p, size_t size, const char *s)
{
	snprintf((char *)p, size, "%s", s);
}

static void
stats_desc(struct of_mp *mp)
{
	uint8_t d[OF_DESC_LEN] = { 0 };

	put_desc_str(d, 256, "vireo");
	put_desc_str(d + 256, 256, "vireo-dp");
	put_desc_str(d + 512, 256, VIREO_VERSION);
	put_desc_str(d + 768, 32, "None");
	put_desc_str(d + 800, 256, mp->c->sw.name ? mp->c->sw.name : "");
	of_mp_begin(mp);
	of_mp_add(mp, d, sizeof(d), false);
	of_mp_end(mp);
}

static void
count_rule(void *aux, const struct flowtab_rule_info *r)
{
	uint32_t *counts = aux;

	counts[r->table_id]++;
}

static void
stats_table(struct of_mp *mp)
{
	struct of_conn *c = mp->c;
	uint32_t counts[256] = { 0 };
	uint8_t e[64];
	char *err = NULL;
	unsigned t;

	if (flowtab_dump_rules(c->sw.flowtab(c->sw.aux), NULL, count_rule, counts, &err)) {
		free(err);
		of_send_error(c, OFE_FMFC_UNKNOWN, mp->req, mp->req_len);
		return;
	}
	of_mp_begin(mp);
	for (t = 0; t < OF_N_TABLES; t++) {
		memset(e, 0, sizeof(e));
		e[0] = (uint8_t)t;
		if (c->version == OF10) {
			snprintf((char *)e + 4, 32, t ? "table%u" : "classifier", t);
			of_set32(e + 36, OFPFW10_ALL);
			of_set32(e + 40, 1000000);
			of_set32(e + 44, counts[t]);
			of_mp_add(mp, e, 64, false);
		} else {
			of_set32(e + 4, counts[t]);
			of_mp_add(mp, e, 24, false);
		}
	}
	of_mp_end(mp);
}

/* Table feature property types (OpenFlow 1.3 7.3.5.5). */
enum {
	TFPT_INSTRUCTIONS = 0,
	TFPT_NEXT_TABLES = 2,
	TFPT_WRITE_ACTIONS = 4,
	TFPT_APPLY_ACTIONS = 6,
	TFPT_MATCH = 8,
	TFPT_WILDCARDS = 10,
	TFPT_WRITE_SETFIELD = 12,
	TFPT_APPLY_SETFIELD = 14,
};

/* Start a property at 'b->len'; of_prop_end() sets its length and pads it. */
static size_t
prop_start(struct of_buf *b, uint16_t type)
{
	size_t start = b->len;

	of_set16(of_buf_put(b, 4), type);
	return start;
}

static void
prop_end(struct of_buf *b, size_t start)
{
	if (!b->oom)
		of_set16(b->data + start + 2, (uint16_t)(b->len - start));
	of_buf_pad8(b, start);
}

static void
prop_ids(struct of_buf *b, uint16_t type, const uint16_t *ids, unsigned n)
{
	size_t start = prop_start(b, type);

	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = of_buf_put(b, 4);

		of_set16(p, ids[i]);
		of_set16(p + 2, 4);
	}
	prop_end(b, start);
}

static void
prop_oxm(struct of_buf *b, uint16_t type, const uint32_t *hdrs, unsigned n)
{
	size_t start = prop_start(b, type);

	for (unsigned i = 0; i < n; i++)
		of_set32(of_buf_put(b, 4), hdrs[i]);
	prop_end(b, start);
}

/* Listed without the mask bit: ovs-ofctl refuses the bit where it knows no mask for a
 * field, and what a rule may mask is checked when a flow_mod comes. */
#define OXM_B(f, m, l) OXM_HEADER(OXM_CLASS_BASIC, f, 0, l)
/* What a rule can match and set: flowtab's fields. */
static const uint32_t match_fields[] = {
	OXM_B(0, 0, 4), OXM_B(3, 1, 6), OXM_B(4, 1, 6), OXM_B(5, 0, 2), OXM_B(6, 1, 2),
	OXM_B(7, 0, 1), OXM_B(8, 0, 1), OXM_B(10, 0, 1), OXM_B(11, 1, 4), OXM_B(12, 1, 4),
	OXM_B(13, 1, 2), OXM_B(14, 1, 2), OXM_B(15, 1, 2), OXM_B(16, 1, 2), OXM_B(17, 1, 2),
	OXM_B(18, 1, 2), OXM_B(19, 0, 1), OXM_B(20, 0, 1), OXM_B(21, 0, 2), OXM_B(22, 1, 4),
	OXM_B(23, 1, 4), OXM_B(26, 1, 16), OXM_B(27, 1, 16), OXM_B(29, 0, 1), OXM_B(30, 0, 1),
};
static const uint32_t set_fields[] = {
	OXM_B(3, 0, 6), OXM_B(4, 0, 6), OXM_B(6, 0, 2), OXM_B(7, 0, 1), OXM_B(8, 0, 1),
	OXM_B(11, 0, 4), OXM_B(12, 0, 4), OXM_B(13, 0, 2), OXM_B(14, 0, 2), OXM_B(15, 0, 2),
	OXM_B(16, 0, 2), OXM_B(26, 0, 16), OXM_B(27, 0, 16),
};
#undef OXM_B

static void
table_features_one(struct of_buf *b, unsigned t)
{
	static const uint16_t insts[] = { OFPIT_GOTO_TABLE, OFPIT_APPLY_ACTIONS };
	static const uint16_t acts[] = { OFPAT13_OUTPUT, OFPAT13_PUSH_VLAN, OFPAT13_POP_VLAN,
		OFPAT13_SET_NW_TTL, OFPAT13_DEC_NW_TTL, OFPAT13_SET_FIELD };
	size_t start = b->len, ps;
	uint8_t *p = of_buf_put(b, 64);

	p[2] = (uint8_t)t;
	snprintf((char *)p + 8, 32, t ? "table%u" : "classifier", t);
	of_set32(p + 60, 1000000);
	prop_ids(b, TFPT_INSTRUCTIONS, insts + (t + 1 < OF_N_TABLES ? 0 : 1),
			t + 1 < OF_N_TABLES ? 2 : 1);
	ps = prop_start(b, TFPT_NEXT_TABLES);
	for (unsigned n = t + 1; n < OF_N_TABLES; n++)
		*of_buf_put(b, 1) = (uint8_t)n;
	prop_end(b, ps);
	prop_ids(b, TFPT_WRITE_ACTIONS, NULL, 0);
	prop_ids(b, TFPT_APPLY_ACTIONS, acts, sizeof(acts) / sizeof(acts[0]));
	prop_oxm(b, TFPT_MATCH, match_fields, sizeof(match_fields) / sizeof(match_fields[0]));
	prop_oxm(b, TFPT_WILDCARDS, match_fields, sizeof(match_fields) / sizeof(match_fields[0]));
	prop_oxm(b, TFPT_WRITE_SETFIELD, NULL, 0);
	prop_oxm(b, TFPT_APPLY_SETFIELD, set_fields, sizeof(set_fields) / sizeof(set_fields[0]));
	if (!b->oom)
		of_set16(b->data + start, (uint16_t)(b->len - start));
}

/* OFPMP_TABLE_FEATURES (1.3): every table is flowtab's.  ovs-ofctl asks before a flow_mod. */
static void
stats_table_features(struct of_mp *mp)
{
	struct of_buf b = { 0 };

	of_mp_begin(mp);
	for (unsigned t = 0; t < OF_N_TABLES; t++) {
		b.len = 0;
		table_features_one(&b, t);
		of_mp_add(mp, b.data, b.len, b.oom);
	}
	of_mp_end(mp);
	of_buf_free(&b);
}

static void
stats_ports(struct of_mp *mp, const uint8_t *body, size_t len, bool desc)
{
	struct of_conn *c = mp->c;
	bool v10 = c->version == OF10;
	struct of_port_info *ports;
	uint32_t want = OF13_ANY;
	unsigned n, i;
	uint8_t e[128];

	if (!desc || c->version >= OF15) {
		if (len != 8) {
			of_send_error(c, OFE_BAD_LEN, mp->req, mp->req_len);
			return;
		}
		want = v10 ? of_get16(body) : of_get32(body);
		if (v10 && want == OFPP_NONE)
			want = OF13_ANY;
	}
	ports = get_ports(c, &n);
	of_mp_begin(mp);
	for (i = 0; i < n; i++) {
		const struct of_port_info *p = &ports[i];
		uint32_t no = v10 ? p->ofport : OF13_PORT(p->ofport);
		size_t off = v10 ? 8 : 8;

		if (want != OF13_ANY && want != no)
			continue;
		memset(e, 0, sizeof(e));
		if (desc) {
			if (c->version >= OF14) {
				of_put_port14(e, p);
				of_mp_add(mp, e, of_port14_len(), false);
				continue;
			}
			if (v10)
				of_put_port10(e, p);
			else
				of_put_port13(e, p);
			of_mp_add(mp, e, v10 ? 48 : 64, false);
			continue;
		}
		if (c->version >= OF14) {
			of_put_port_stats14(e, p);
			of_mp_add(mp, e, of_port_stats14_len(), false);
			continue;
		}
		if (v10)
			of_set16(e, (uint16_t)no);
		else
			of_set32(e, no);
		of_set64(e + off, p->rx_packets);
		of_set64(e + off + 8, p->tx_packets);
		of_set64(e + off + 16, p->rx_bytes);
		of_set64(e + off + 24, p->tx_bytes);
		of_set64(e + off + 32, p->rx_dropped);
		of_set64(e + off + 40, p->tx_dropped);
		of_set64(e + off + 48, p->rx_errors);
		of_set64(e + off + 56, p->tx_errors);
		of_set64(e + off + 64, OF_UNKNOWN);
		of_set64(e + off + 72, OF_UNKNOWN);
		of_set64(e + off + 80, OF_UNKNOWN);
		of_set64(e + off + 88, OF_UNKNOWN);
		if (!v10) {
			of_set32(e + 104, (uint32_t)(p->duration_ms / 1000));
			of_set32(e + 108, (uint32_t)(p->duration_ms % 1000) * 1000000);
		}
		of_mp_add(mp, e, v10 ? 104 : 112, false);
	}
	of_mp_end(mp);
	free(ports);
}

static void
stats_vendor(struct of_mp *mp, const uint8_t *body, size_t len)
{
	struct of_conn *c = mp->c;
	size_t skip = c->version == OF10 ? 12 : 8;

	if (len < skip) {
		of_send_error(c, OFE_BAD_LEN, mp->req, mp->req_len);
		return;
	}
	if (of_get32(body) != NX_VENDOR_ID) {
		of_send_error(c, OFE_BAD_VENDOR, mp->req, mp->req_len);
		return;
	}
	mp->nx = true;
	mp->nx_subtype = of_get32(body + 4);
	if (mp->nx_subtype != NXST_FLOW && mp->nx_subtype != NXST_AGGREGATE) {
		of_send_error(c, OFE_BAD_SUBTYPE, mp->req, mp->req_len);
		return;
	}
	of_flow_stats_nx(c, mp, body + skip, len - skip, mp->nx_subtype == NXST_AGGREGATE);
}

void
of_handle_stats(struct of_conn *c, const uint8_t *msg, size_t len)
{
	size_t hdr = c->version == OF10 ? 12 : 16;
	struct of_mp mp = { .c = c, .req = msg, .req_len = len };
	const uint8_t *body = msg + hdr;
	size_t blen = len - hdr;

	if (len < hdr) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	mp.xid = of_get32(msg + 4);
	mp.type = of_get16(msg + 8);
	switch (mp.type) {
	case OFPST_DESC:
	case OFPST_TABLE:
	case OFPST_PORT_DESC:
		/* 1.5's port-desc request names a port, as port stats do. */
		if (mp.type == OFPST_PORT_DESC && c->version >= OF15) {
			stats_ports(&mp, body, blen, true);
			return;
		}
		if (blen != 0) {
			of_send_error(c, OFE_BAD_LEN, msg, len);
			return;
		}
		if (mp.type == OFPST_DESC)
			stats_desc(&mp);
		else if (mp.type == OFPST_TABLE)
			stats_table(&mp);
		else
			stats_ports(&mp, body, blen, true);
		return;
	case OFPST_FLOW:
	case OFPST_AGGREGATE:
		if (c->version == OF10)
			of_flow_stats10(c, &mp, body, blen, mp.type == OFPST_AGGREGATE);
		else
			of_flow_stats13(c, &mp, body, blen, mp.type == OFPST_AGGREGATE);
		return;
	case OFPST_PORT:
		stats_ports(&mp, body, blen, false);
		return;
	case OFPST_TABLE_FEATURES:
		if (c->version < OF13) {
			of_send_error(c, OFE_BAD_STAT, msg, len);
			return;
		}
		if (blen != 0) {
			/* Setting features: the tables are what they are. */
			of_send_error(c, OFE_EPERM, msg, len);
			return;
		}
		stats_table_features(&mp);
		return;
	case OFPST_VENDOR:
		stats_vendor(&mp, body, blen);
		return;
	default:
		if (of_gm_stats(&mp, body, blen))
			return;
		of_send_error(c, OFE_BAD_STAT, msg, len);
		return;
	}
}
