/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Actions and instructions: OpenFlow 1.0 actions, 1.3 actions and instructions, and the
 * Nicira actions (resubmit, dec_ttl, reg_load) decoded into flowtab's action text, and
 * encoded from flowtab_action_info.  Only what flowtab executes is accepted.
 */

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "of_gm.h"
#include "of_private.h"

#define OF_MAX_ACTIONS 64

/*
 * An output to 'port' (1.0 numbering after the caller's conversion) as action text;
 * 'max_len' is the bytes a CONTROLLER output sends.  TABLE only in a packet_out
 * ('packet_out'), where it submits the packet to table 0.
 */
static enum of_err
output_text(struct of_text *t, uint32_t port, uint16_t max_len, bool packet_out)
{
	switch (port) {
	case OFPP_IN_PORT:
		of_text_item(t, "IN_PORT");
		return OF_OK;
	case OFPP_NORMAL:
		of_text_item(t, "NORMAL");
		return OF_OK;
	case OFPP_FLOOD:
		of_text_item(t, "FLOOD");
		return OF_OK;
	case OFPP_ALL:
		of_text_item(t, "ALL");
		return OF_OK;
	case OFPP_LOCAL:
		of_text_item(t, "output:LOCAL");
		return OF_OK;
	case OFPP_CONTROLLER:
		of_text_item(t, "controller:%u", max_len);
		return OF_OK;
	case OFPP_TABLE:
		if (!packet_out)
			return OFE_BAC_BAD_OUT_PORT;
		of_text_item(t, "resubmit(,0)");
		return OF_OK;
	default:
		/* NONE/ANY and 0 are no port. */
		if (port == 0 || port >= OFPP_MAX)
			return OFE_BAC_BAD_OUT_PORT;
		of_text_item(t, "output:%u", port);
		return OF_OK;
	}
}

/* A 1.3 port number in the 1.0 numbering flowtab uses, or 0 (invalid) for the rest. */
static uint32_t
port13(uint32_t p)
{
	if (p >= 0xfffffff8u)
		return p - 0xffff0000u;
	return p < OFPP_MAX ? p : 0;
}

/* The set_field action for an OXM/NXM field 'h' with value 'v'. */
static enum of_err
set_field_text(struct of_text *t, uint32_t h, const uint8_t *v)
{
	uint16_t cls = (uint16_t)(h >> 16);
	uint8_t f = (uint8_t)(h >> 9 & 0x7f), len = (uint8_t)h;
	char a[INET6_ADDRSTRLEN];
	const char *name = NULL;
	unsigned x;

	if (h >> 8 & 1)
		return OFE_BAC_BAD_SET_ARGUMENT;   /* set_field takes no mask */
	if ((cls == OXM_CLASS_BASIC && (f == 3 || f == 4)) ||
	    (cls == OXM_CLASS_NXM0 && (f == 1 || f == 2))) {
		if (len != 6)
			return OFE_BAC_BAD_SET_LEN;
		of_text_item(t, "set_field:%02x:%02x:%02x:%02x:%02x:%02x->%s", v[0], v[1], v[2],
				v[3], v[4], v[5],
				f == 4 || f == 2 ? "eth_src" : "eth_dst");
		return OF_OK;
	}
	if ((cls == OXM_CLASS_BASIC && (f == 11 || f == 12)) ||
	    (cls == OXM_CLASS_NXM0 && (f == 7 || f == 8))) {
		if (len != 4)
			return OFE_BAC_BAD_SET_LEN;
		inet_ntop(AF_INET, v, a, sizeof(a));
		of_text_item(t, "set_field:%s->%s", a, f == 11 || f == 7 ? "ip_src" : "ip_dst");
		return OF_OK;
	}
	if (cls == OXM_CLASS_NXM1 && (f == 31 || f == 32)) {
		/* NXM_NX_TUN_IPV4_SRC/DST: a tunnel port's outer addresses (local_ip=flow,
		 * remote_ip=flow). */
		if (len != 4)
			return OFE_BAC_BAD_SET_LEN;
		inet_ntop(AF_INET, v, a, sizeof(a));
		of_text_item(t, "set_field:%s->%s", a, f == 31 ? "tun_src" : "tun_dst");
		return OF_OK;
	}
	if (cls == OXM_CLASS_NXM1 && f == NXM_TUN_FLAGS) {
		/* NXM_NX_TUN_FLAGS: OAM (bit 0) is the only flag a rule may write. */
		if (len != 2)
			return OFE_BAC_BAD_SET_LEN;
		if (of_get16(v) > 1)
			return OFE_BAC_BAD_SET_ARGUMENT;
		of_text_item(t, "set_field:%s->tun_flags", of_get16(v) ? "oam" : "0");
		return OF_OK;
	}
	if (cls == OXM_CLASS_NXM1 && (f == 109 || f == 110)) {
		/* NXM_NX_TUN_IPV6_SRC/DST: the same over an IPv6 underlay. */
		if (len != 16)
			return OFE_BAC_BAD_SET_LEN;
		inet_ntop(AF_INET6, v, a, sizeof(a));
		of_text_item(t, "set_field:%s->%s", a, f == 109 ? "tun_ipv6_src" : "tun_ipv6_dst");
		return OF_OK;
	}
	if ((cls == OXM_CLASS_BASIC && (f == 26 || f == 27)) ||
	    (cls == OXM_CLASS_NXM1 && (f == 19 || f == 20))) {
		if (len != 16)
			return OFE_BAC_BAD_SET_LEN;
		inet_ntop(AF_INET6, v, a, sizeof(a));
		of_text_item(t, "set_field:%s->%s", a, f == 26 || f == 19 ? "ipv6_src" : "ipv6_dst");
		return OF_OK;
	}
	if ((cls == OXM_CLASS_BASIC && f >= 13 && f <= 18) ||
	    (cls == OXM_CLASS_NXM0 && f >= 9 && f <= 12)) {
		if (len != 2)
			return OFE_BAC_BAD_SET_LEN;
		of_text_item(t, "set_field:%u->%s", of_get16(v), f % 2 ? "tp_src" : "tp_dst");
		return OF_OK;
	}
	if ((cls == OXM_CLASS_BASIC && f == 38) || (cls == OXM_CLASS_NXM1 && f == 16)) {
		if (len != 8)
			return OFE_BAC_BAD_SET_LEN;
		of_text_item(t, "set_field:%#" PRIx64 "->tun_id", of_get64(v));
		return OF_OK;
	}
	if (cls == OXM_CLASS_NXM1 && (f == 40 || f == 41)) {
		/* A mapped Geneve option (of_match.c): the value's bytes, zero-extended. */
		uint32_t md = 0;

		if (len == 0 || len > 4)
			return OFE_BAC_BAD_SET_LEN;
		for (x = 0; x < len; x++)
			md = md << 8 | v[x];
		of_text_item(t, "set_field:%#x->tun_metadata%u", md, f - 40u);
		return OF_OK;
	}
	if (cls == OXM_CLASS_BASIC && f == 6) {
		if (len != 2)
			return OFE_BAC_BAD_SET_LEN;
		x = of_get16(v);
		if (x > 0x1fff || !(x & 0x1000))
			return OFE_BAC_BAD_SET_ARGUMENT;   /* OFPVID_PRESENT is required */
		of_text_item(t, "set_field:%u->vlan_vid", x & 0xfff);
		return OF_OK;
	}
	if (cls == OXM_CLASS_BASIC && (f == 7 || f == 8))
		name = f == 7 ? "vlan_pcp" : "ip_dscp";
	else if (cls == OXM_CLASS_NXM1 && f == 29)
		name = "nw_ttl";
	else if (cls == OXM_CLASS_NXM0 && f == 5)
		name = "nw_tos";
	if (!name)
		return OFE_BAC_BAD_SET_TYPE;
	if (len != 1)
		return OFE_BAC_BAD_SET_LEN;
	x = v[0];
	if ((f == 7 && cls == OXM_CLASS_BASIC && x > 7) || (f == 8 && x > 63) ||
	    (!strcmp(name, "nw_tos") && (x & 3)))
		return OFE_BAC_BAD_SET_ARGUMENT;
	if (!strcmp(name, "nw_tos"))
		of_text_item(t, "mod_nw_tos:%u", x);
	else
		of_text_item(t, "set_field:%u->%s", x, name);
	return OF_OK;
}

static enum of_err
resubmit_text(struct of_text *t, uint16_t in_port, int table)
{
	char port[16] = "", tab[16] = "";

	if (in_port == OFPP_LOCAL)
		snprintf(port, sizeof(port), "LOCAL");
	else if (in_port != OFPP_IN_PORT && (in_port == 0 || in_port >= OFPP_MAX))
		return OFE_BAC_BAD_OUT_PORT;
	else if (in_port != OFPP_IN_PORT)
		snprintf(port, sizeof(port), "%u", in_port);
	if (table >= 0 && table != 255)
		snprintf(tab, sizeof(tab), "%d", table);
	if (!port[0] && !tab[0])
		return OFE_BAC_BAD_ARGUMENT;   /* resubmit to itself: flowtab has no such action */
	if (table < 0)
		of_text_item(t, "resubmit:%s", port);
	else
		of_text_item(t, "resubmit(%s,%s)", port, tab);
	return OF_OK;
}

/*
 * NXAST_REG_LOAD writes 'nbits' bits at bit 'ofs' of a field.  ovs-ofctl sends a set_field
 * this way in OpenFlow 1.0: whole fields in one load, 128-bit IPv6 addresses in two loads
 * of 64 bits.  The loads of one field are gathered here; a field must be written whole, by
 * consecutive loads, to become flowtab's set_field (flowtab has no partial writes).
 */
struct reg_load {
	uint32_t field;               /* NXM header without mask bit and length; 0: none */
	unsigned len;
	uint8_t value[16];
	uint8_t covered[16];
	bool packet_out;              /* the list is a packet_out's: output:TABLE allowed */
	bool of15;                    /* OpenFlow 1.5's: meter is an action */
};

static enum of_err
reg_load(const uint8_t *a, struct of_text *t, struct reg_load *ld)
{
	uint16_t ofs_nbits = of_get16(a + 10);
	uint32_t h = of_get32(a + 12);
	unsigned flen = h & 0xff, ofs = ofs_nbits >> 6, nbits = (ofs_nbits & 0x3f) + 1u, b;
	uint64_t value = of_get64(a + 16);

	if ((h >> 8 & 1) || flen == 0 || flen > 16 || ofs + nbits > flen * 8)
		return OFE_BAC_BAD_SET_LEN;
	if (nbits < 64 && value >> nbits)
		return OFE_BAC_BAD_ARGUMENT;
	/* NXM_NX_TUN_FLAGS has one bit (OAM), as Open vSwitch's field: a load past it is bad. */
	if ((h & ~0x1ffu) == OXM_HEADER(OXM_CLASS_NXM1, NXM_TUN_FLAGS, 0, 0) && ofs + nbits > 1)
		return OFE_BAC_BAD_SET_ARGUMENT;
	if (ld->field && ld->field != (h & ~0x1ffu))
		return OFE_BAC_BAD_SET_ARGUMENT;    /* the previous field was left half-written */
	if (!ld->field) {
		memset(ld, 0, sizeof(*ld));
		ld->field = h & ~0x1ffu;
		ld->len = flen;
	}
	for (b = 0; b < nbits; b++) {
		unsigned bit = ofs + b, byte = flen - 1 - bit / 8;
		uint8_t m = (uint8_t)(1u << (bit % 8));

		if (ld->covered[byte] & m)
			return OFE_BAC_BAD_SET_ARGUMENT;
		ld->covered[byte] |= m;
		if (value >> b & 1)
			ld->value[byte] |= m;
	}
	/* NXM_NX_TUN_FLAGS has one writable bit: ovs-ofctl loads it alone. */
	if ((h & ~0x1ffu) == OXM_HEADER(OXM_CLASS_NXM1, NXM_TUN_FLAGS, 0, 0) &&
			(ld->covered[1] & 1)) {
		ld->field = 0;
		return set_field_text(t, h & ~0x100u, ld->value);
	}
	for (b = 0; b < flen; b++)
		if (ld->covered[b] != 0xff)
			return OF_OK;             /* more loads of this field to come */
	ld->field = 0;
	return set_field_text(t, h & ~0x100u, ld->value);
}

/* A Nicira action of 'len' bytes at 'a' (type 0xffff, vendor already checked). */
static enum of_err
nx_action(const uint8_t *a, size_t len, struct of_text *t, struct reg_load *ld)
{
	uint16_t subtype;
	uint32_t h;
	uint8_t v[16];
	unsigned flen, i;

	if (len < 16)
		return OFE_BAC_BAD_LEN;
	subtype = of_get16(a + 8);
	if (ld->field && subtype != NXAST_REG_LOAD)
		return OFE_BAC_BAD_SET_ARGUMENT;
	switch (subtype) {
	case NXAST_RESUBMIT:
	case NXAST_RESUBMIT_TABLE:
		if (len != 16)
			return OFE_BAC_BAD_LEN;
		return resubmit_text(t, of_get16(a + 10), subtype == NXAST_RESUBMIT ? -1 : a[12]);
	case NXAST_DEC_TTL:
		if (len != 16)
			return OFE_BAC_BAD_LEN;
		of_text_item(t, "dec_ttl");
		return OF_OK;
	case NXAST_SET_TUNNEL:
		if (len != 16)
			return OFE_BAC_BAD_LEN;
		of_text_item(t, "set_tunnel:%#x", of_get32(a + 12));
		return OF_OK;
	case NXAST_SET_TUNNEL64:
		if (len != 24)
			return OFE_BAC_BAD_LEN;
		of_text_item(t, "set_tunnel64:%#" PRIx64, of_get64(a + 16));
		return OF_OK;
	case NXAST_REG_LOAD:
		if (len != 24)
			return OFE_BAC_BAD_LEN;
		return reg_load(a, t, ld);
	case NXAST_REG_LOAD2:
		/* The OXM entry follows the 10-byte extension header; zeros pad it. */
		h = of_get32(a + 10);
		flen = h & 0xff;
		if (14 + flen > len || flen > 16)
			return OFE_BAC_BAD_SET_LEN;
		for (i = 14 + flen; i < len; i++)
			if (a[i])
				return OFE_BAC_BAD_SET_ARGUMENT;
		memcpy(v, a + 14, flen);
		return set_field_text(t, h, v);
	case NXAST_GROUP:
		if (len != 16)
			return OFE_BAC_BAD_LEN;
		if (of_get32(a + 12) > 0xffffff00u)
			return OFE_BAC_BAD_ARGUMENT;
		of_text_item(t, "group:%u", of_get32(a + 12));
		return OF_OK;
	default:
		return OFE_BAC_BAD_VENDOR_TYPE;
	}
}

/* The length and alignment checks every action list shares; 'alen' gets the action's. */
static enum of_err
next_action(const uint8_t *p, size_t len, size_t off, unsigned *n, size_t *alen)
{
	if (len - off < 8)
		return OFE_BAC_BAD_LEN;
	*alen = of_get16(p + off + 2);
	if (*alen < 8 || *alen % 8 || *alen > len - off)
		return OFE_BAC_BAD_LEN;
	if (++*n > OF_MAX_ACTIONS)
		return OFE_BAC_TOO_MANY;
	return OF_OK;
}

static enum of_err
action10(const uint8_t *a, size_t alen, struct of_text *t, struct reg_load *ld)
{
	static const size_t lens[] = { 8, 8, 8, 8, 16, 16, 8, 8, 8, 8, 8 };
	uint16_t type = of_get16(a);
	char ip[INET_ADDRSTRLEN];

	if (type == OFPAT_VENDOR) {
		if (alen < 16 || of_get32(a + 4) != NX_VENDOR_ID)
			return alen < 16 ? OFE_BAC_BAD_LEN : OFE_BAC_BAD_VENDOR;
		return nx_action(a, alen, t, ld);
	}
	if (ld->field)
		return OFE_BAC_BAD_SET_ARGUMENT;
	if (type >= sizeof(lens) / sizeof(lens[0]))
		return OFE_BAC_BAD_TYPE;
	if (alen != lens[type])
		return OFE_BAC_BAD_LEN;
	switch (type) {
	case OFPAT10_OUTPUT:
		return output_text(t, of_get16(a + 4), of_get16(a + 6), ld->packet_out);
	case OFPAT10_SET_VLAN_VID:
		if (of_get16(a + 4) > 0xfff)
			return OFE_BAC_BAD_ARGUMENT;
		of_text_item(t, "mod_vlan_vid:%u", of_get16(a + 4));
		return OF_OK;
	case OFPAT10_SET_VLAN_PCP:
		if (a[4] > 7)
			return OFE_BAC_BAD_ARGUMENT;
		of_text_item(t, "mod_vlan_pcp:%u", a[4]);
		return OF_OK;
	case OFPAT10_STRIP_VLAN:
		of_text_item(t, "strip_vlan");
		return OF_OK;
	case OFPAT10_SET_DL_SRC:
	case OFPAT10_SET_DL_DST:
		of_text_item(t, "%s:%02x:%02x:%02x:%02x:%02x:%02x",
				type == OFPAT10_SET_DL_SRC ? "mod_dl_src" : "mod_dl_dst",
				a[4], a[5], a[6], a[7], a[8], a[9]);
		return OF_OK;
	case OFPAT10_SET_NW_SRC:
	case OFPAT10_SET_NW_DST:
		inet_ntop(AF_INET, a + 4, ip, sizeof(ip));
		of_text_item(t, "%s:%s", type == OFPAT10_SET_NW_SRC ? "mod_nw_src" : "mod_nw_dst",
				ip);
		return OF_OK;
	case OFPAT10_SET_NW_TOS:
		if (a[4] & 3)
			return OFE_BAC_BAD_ARGUMENT;
		of_text_item(t, "mod_nw_tos:%u", a[4]);
		return OF_OK;
	case OFPAT10_SET_TP_SRC:
	case OFPAT10_SET_TP_DST:
		of_text_item(t, "%s:%u", type == OFPAT10_SET_TP_SRC ? "mod_tp_src" : "mod_tp_dst",
				of_get16(a + 4));
		return OF_OK;
	default:
		return OFE_BAC_BAD_TYPE;     /* ENQUEUE: flowtab has no queues */
	}
}

/* Walk an action list, decoding each action with 'one' (OpenFlow 1.0's or 1.3's). */
static enum of_err
actions_decode(const uint8_t *p, size_t len, struct of_text *t, bool packet_out, bool of15,
		enum of_err (*one)(const uint8_t *, size_t, struct of_text *, struct reg_load *))
{
	struct reg_load ld = { .packet_out = packet_out, .of15 = of15 };
	size_t off = 0, alen;
	unsigned n = 0;
	enum of_err e;

	while (off < len) {
		e = next_action(p, len, off, &n, &alen);
		if (!e)
			e = one(p + off, alen, t, &ld);
		if (e)
			return e;
		off += alen;
	}
	if (ld.field)
		return OFE_BAC_BAD_SET_ARGUMENT;
	return t->oom ? OFE_FMFC_UNKNOWN : OF_OK;
}

enum of_err
of_actions10_decode(const uint8_t *p, size_t len, struct of_text *t)
{
	return actions_decode(p, len, t, false, false, action10);
}

static enum of_err
action13(const uint8_t *a, size_t alen, struct of_text *t, struct reg_load *ld)
{
	uint16_t type = of_get16(a);
	uint32_t h;

	if (ld->field && type != OFPAT_VENDOR)
		return OFE_BAC_BAD_SET_ARGUMENT;

	switch (type) {
	case OFPAT13_OUTPUT:
		if (alen != 16)
			return OFE_BAC_BAD_LEN;
		return output_text(t, port13(of_get32(a + 4)), of_get16(a + 8), ld->packet_out);
	case OFPAT13_PUSH_VLAN:
		if (alen != 8)
			return OFE_BAC_BAD_LEN;
		if (of_get16(a + 4) != 0x8100 && of_get16(a + 4) != 0x88a8)
			return OFE_BAC_BAD_ARGUMENT;
		of_text_item(t, "push_vlan:0x%04x", of_get16(a + 4));
		return OF_OK;
	case OFPAT13_POP_VLAN:
	case OFPAT13_DEC_NW_TTL:
		if (alen != 8)
			return OFE_BAC_BAD_LEN;
		of_text_item(t, type == OFPAT13_POP_VLAN ? "pop_vlan" : "dec_ttl");
		return OF_OK;
	case OFPAT13_SET_NW_TTL:
		if (alen != 8)
			return OFE_BAC_BAD_LEN;
		of_text_item(t, "mod_nw_ttl:%u", a[4]);
		return OF_OK;
	case OFPAT13_SET_FIELD:
		h = of_get32(a + 4);
		if (8 + (h & 0xff) > alen)
			return OFE_BAC_BAD_SET_LEN;
		if ((h & 0xff) > 16)
			return OFE_BAC_BAD_SET_LEN;
		return set_field_text(t, h, a + 8);
	case OFPAT_VENDOR:
		if (alen < 16)
			return OFE_BAC_BAD_LEN;
		if (of_get32(a + 4) != NX_VENDOR_ID)
			return OFE_BAC_BAD_VENDOR;
		return nx_action(a, alen, t, ld);
	case OFPAT13_GROUP:
		if (alen != 8)
			return OFE_BAC_BAD_LEN;
		if (of_get32(a + 4) > 0xffffff00u)
			return OFE_BAC_BAD_ARGUMENT;
		of_text_item(t, "group:%u", of_get32(a + 4));
		return OF_OK;
	case OFPAT15_METER:
		/* 1.5 made the meter instruction an action; flowtab checks it comes first. */
		if (!ld->of15)
			return OFE_BAC_BAD_TYPE;
		if (alen != 8)
			return OFE_BAC_BAD_LEN;
		if (of_get32(a + 4) == 0 || of_get32(a + 4) > 0xffff0000u)
			return OFE_MMFC_INVALID_METER;   /* the reserved meters */
		of_text_item(t, "meter:%u", of_get32(a + 4));
		return OF_OK;
	default:
		return OFE_BAC_BAD_TYPE;     /* queues, MPLS, PBB, TTL copies */
	}
}

enum of_err
of_actions13_decode(uint8_t version, const uint8_t *p, size_t len, struct of_text *t)
{
	return actions_decode(p, len, t, false, version >= OF15, action13);
}

enum of_err
of_packet_out_actions_decode(uint8_t version, const uint8_t *p, size_t len, struct of_text *t)
{
	return actions_decode(p, len, t, true, version >= OF15,
			version == OF10 ? action10 : action13);
}

enum of_err
of_instructions13_decode(uint8_t version, const uint8_t *p, size_t len, struct of_fm *fm)
{
	unsigned seen = 0;
	int goto_table = -1;
	int64_t meter = -1;
	size_t off = 0, ilen;
	uint16_t type;
	enum of_err e;

	while (off < len) {
		if (len - off < 8)
			return OFE_BIC_BAD_LEN;
		type = of_get16(p + off);
		ilen = of_get16(p + off + 2);
		if (ilen < 8 || ilen % 8 || ilen > len - off)
			return OFE_BIC_BAD_LEN;
		if (type < 16 && (seen >> type & 1))
			return OFE_BIC_DUP_INST;
		if (type < 16)
			seen |= 1u << type;
		switch (type) {
		case OFPIT_GOTO_TABLE:
			if (ilen != 8)
				return OFE_BIC_BAD_LEN;
			if (p[off + 4] == 255 || (fm->table >= 0 && p[off + 4] <= fm->table))
				return OFE_BIC_BAD_TABLE_ID;
			goto_table = p[off + 4];
			break;
		case OFPIT_APPLY_ACTIONS:
			e = of_actions13_decode(version, p + off + 8, ilen - 8, &fm->actions);
			if (e)
				return e;
			break;
		case OFPIT_METER:
			if (ilen != 8)
				return OFE_BIC_BAD_LEN;
			if (of_get32(p + off + 4) == 0 || of_get32(p + off + 4) > 0xffff0000u)
				return OFE_MMFC_INVALID_METER;   /* the reserved meters */
			meter = of_get32(p + off + 4);
			break;
		case OFPIT_CLEAR_ACTIONS:
			/* flowtab has no action set, so no way to keep this instruction either. */
		case OFPIT_WRITE_ACTIONS:
		case OFPIT_WRITE_METADATA:
		case 0xffff:
			return OFE_BIC_UNSUP_INST;
		default:
			return OFE_BIC_UNKNOWN_INST;
		}
		off += ilen;
	}
	if (goto_table >= 0)
		of_text_item(&fm->actions, "goto_table:%d", goto_table);
	if (meter >= 0) {
		/* flowtab's meter is the first action, as the instruction runs first. */
		struct of_text t = { 0 };

		of_text_item(&t, "meter:%u", (unsigned)meter);
		if (fm->actions.len)
			of_text_item(&t, "%s", fm->actions.s);
		of_text_free(&fm->actions);
		fm->actions = t;
	}
	return fm->actions.oom ? OFE_FMFC_UNKNOWN : OF_OK;
}

/* --- encoders --- */

static void
put_output10(struct of_buf *b, uint16_t port)
{
	uint8_t *p = of_buf_put(b, 8);

	of_set16(p, OFPAT10_OUTPUT);
	of_set16(p + 2, 8);
	of_set16(p + 4, port);
}

static void
put_output13(struct of_buf *b, uint32_t port)
{
	uint8_t *p = of_buf_put(b, 16);

	of_set16(p, OFPAT13_OUTPUT);
	of_set16(p + 2, 16);
	of_set32(p + 4, OF13_PORT(port));
}

static uint8_t *
put_nx(struct of_buf *b, uint16_t subtype, size_t len)
{
	uint8_t *p = of_buf_put(b, len);

	of_set16(p, OFPAT_VENDOR);
	of_set16(p + 2, (uint16_t)len);
	of_set32(p + 4, NX_VENDOR_ID);
	of_set16(p + 8, subtype);
	return p;
}

static void
put_resubmit(struct of_buf *b, const struct flowtab_action_info *a)
{
	uint8_t *p = put_nx(b, NXAST_RESUBMIT_TABLE, 16);

	of_set16(p + 10, a->port == FLOWTAB_PORT_NONE ? OFPP_IN_PORT : (uint16_t)a->port);
	p[12] = a->table;
}

/* A set-field as an OXM TLV: OpenFlow 1.3 SET_FIELD, or NXAST_REG_LOAD2 ('nx'). */
static void
put_set_field(struct of_buf *b, bool nx, uint16_t cls, uint8_t field, const void *v,
		unsigned len)
{
	size_t hdr = nx ? 10 : 4, total = (hdr + 4 + len + 7) & ~(size_t)7;
	uint8_t *p = nx ? put_nx(b, NXAST_REG_LOAD2, total) : of_buf_put(b, total);

	if (!nx) {
		of_set16(p, OFPAT13_SET_FIELD);
		of_set16(p + 2, (uint16_t)total);
	}
	of_set32(p + hdr, OXM_HEADER(cls, field, 0, len));
	if (!b->oom)
		memcpy(p + hdr + 4, v, len);
}

/* The NXM field number of an IPv6 address a set_field writes (NXM_NX_IPV6_*, NXM_NX_TUN_IPV6_*). */
static uint8_t
nx_ipv6_field(enum flowtab_action_kind kind)
{
	switch (kind) {
	case FLOWTAB_A_SET_IPV6_SRC:
		return 19;
	case FLOWTAB_A_SET_IPV6_DST:
		return 20;
	case FLOWTAB_A_SET_TUN_IPV6_SRC:
		return 109;
	default:
		return 110;
	}
}

/* NXAST_REG_LOAD of 'nbits' bits at 'ofs' of NXM field 'hdr': how ovs-vswitchd encodes a
 * set_field with no 1.0 action, so that ovs-ofctl prints the same for both switches. */
static void
put_reg_load(struct of_buf *b, uint32_t hdr, unsigned ofs, unsigned nbits, uint64_t value)
{
	uint8_t *p = put_nx(b, NXAST_REG_LOAD, 24);

	of_set16(p + 10, (uint16_t)(ofs << 6 | (nbits - 1)));
	of_set32(p + 12, hdr);
	of_set64(p + 16, value);
}

/* tun_id as ovs-vswitchd sends it back: set_field as a load or an OXM, else set_tunnel. */
static void
put_tun_id(struct of_buf *b, const struct flowtab_action_info *a, bool of13)
{
	uint64_t id = of_get64(a->bytes);
	uint8_t *p;

	if (a->set_field && of13) {
		put_set_field(b, false, OXM_CLASS_BASIC, 38, a->bytes, 8);
	} else if (a->set_field) {
		put_reg_load(b, OXM_HEADER(OXM_CLASS_NXM1, 16, 0, 8), 0, 64, id);
	} else if (id <= UINT32_MAX) {
		p = put_nx(b, NXAST_SET_TUNNEL, 16);
		of_set32(p + 12, (uint32_t)id);
	} else {
		p = put_nx(b, NXAST_SET_TUNNEL64, 24);
		of_set64(p + 16, id);
	}
}

static void
put_small(struct of_buf *b, uint16_t type, size_t len, uint32_t arg, unsigned arg_len)
{
	uint8_t *p = of_buf_put(b, len);

	of_set16(p, type);
	of_set16(p + 2, (uint16_t)len);
	if (arg_len == 1)
		p[4] = (uint8_t)arg;
	else if (arg_len == 2)
		of_set16(p + 4, (uint16_t)arg);
	else if (arg_len == 4)
		of_set32(p + 4, arg);
}

static uint16_t
reserved_port(enum flowtab_action_kind k)
{
	return k == FLOWTAB_A_NORMAL ? OFPP_NORMAL : k == FLOWTAB_A_FLOOD ? OFPP_FLOOD :
	       k == FLOWTAB_A_ALL ? OFPP_ALL : OFPP_IN_PORT;
}

void
of_actions10_encode(struct of_buf *b, const struct flowtab_rule_info *r)
{
	unsigned i;
	uint8_t *p;

	for (i = 0; i < r->n_actions; i++) {
		const struct flowtab_action_info *a = &r->actions[i];

		switch (a->kind) {
		case FLOWTAB_A_OUTPUT:
			put_output10(b, (uint16_t)a->port);
			break;
		case FLOWTAB_A_NORMAL:
		case FLOWTAB_A_FLOOD:
		case FLOWTAB_A_ALL:
		case FLOWTAB_A_IN_PORT:
			put_output10(b, reserved_port(a->kind));
			break;
		case FLOWTAB_A_CONTROLLER:
			put_output10(b, OFPP_CONTROLLER);
			if (!b->oom)
				of_set16(b->data + b->len - 2, a->u16);
			break;
		case FLOWTAB_A_SET_ETH_SRC:
		case FLOWTAB_A_SET_ETH_DST:
			p = of_buf_put(b, 16);
			of_set16(p, a->kind == FLOWTAB_A_SET_ETH_SRC ? OFPAT10_SET_DL_SRC :
					OFPAT10_SET_DL_DST);
			of_set16(p + 2, 16);
			if (!b->oom)
				memcpy(p + 4, a->bytes, 6);
			break;
		case FLOWTAB_A_SET_IPV4_SRC:
		case FLOWTAB_A_SET_IPV4_DST:
			put_small(b, a->kind == FLOWTAB_A_SET_IPV4_SRC ? OFPAT10_SET_NW_SRC :
					OFPAT10_SET_NW_DST, 8, ntohl(a->ipv4), 4);
			break;
		case FLOWTAB_A_SET_IP_TOS:
			put_small(b, OFPAT10_SET_NW_TOS, 8, a->u8, 1);
			break;
		case FLOWTAB_A_SET_IP_TTL:
			put_reg_load(b, OXM_HEADER(OXM_CLASS_NXM1, 29, 0, 1), 0, 8, a->u8);
			break;
		case FLOWTAB_A_SET_TP_SRC:
		case FLOWTAB_A_SET_TP_DST:
			put_small(b, a->kind == FLOWTAB_A_SET_TP_SRC ? OFPAT10_SET_TP_SRC :
					OFPAT10_SET_TP_DST, 8, a->u16, 2);
			break;
		case FLOWTAB_A_SET_IPV6_SRC:
		case FLOWTAB_A_SET_IPV6_DST:
		case FLOWTAB_A_SET_TUN_IPV6_SRC:
		case FLOWTAB_A_SET_TUN_IPV6_DST: {
			uint32_t h = OXM_HEADER(OXM_CLASS_NXM1, nx_ipv6_field(a->kind), 0, 16);

			put_reg_load(b, h, 0, 64, of_get64(a->bytes + 8));
			put_reg_load(b, h, 64, 64, of_get64(a->bytes));
			break;
		}
		case FLOWTAB_A_SET_VLAN_VID:
			put_small(b, OFPAT10_SET_VLAN_VID, 8, a->u16, 2);
			break;
		case FLOWTAB_A_SET_VLAN_PCP:
			put_small(b, OFPAT10_SET_VLAN_PCP, 8, a->u8, 1);
			break;
		case FLOWTAB_A_SET_TUN_METADATA:
			/* Nicira's NXM_NX_TUN_METADATA0.., 4 bytes as vireo-dp has them; a
			 * variable-length field is a set_field for ovs-vswitchd too. */
			put_set_field(b, true, OXM_CLASS_NXM1, (uint8_t)(40 + (a->u8 & 1)), &a->ipv4,
					4);
			break;
		case FLOWTAB_A_PUSH_VLAN:
			/* 1.0 has no push: its set_vlan_vid pushes a tag when there is none, as
			 * ovs-vswitchd also encodes it. */
			break;
		case FLOWTAB_A_POP_VLAN:
			put_small(b, OFPAT10_STRIP_VLAN, 8, 0, 0);
			break;
		case FLOWTAB_A_DEC_TTL:
			put_nx(b, NXAST_DEC_TTL, 16);
			break;
		case FLOWTAB_A_RESUBMIT:
			put_resubmit(b, a);
			break;
		case FLOWTAB_A_GROUP:
			/* 1.0 has no groups: Open vSwitch's extension action, as ovs-vswitchd. */
			p = put_nx(b, NXAST_GROUP, 16);
			of_set32(p + 12, a->port);
			break;
		case FLOWTAB_A_METER:
			/* 1.0 has no meter instruction: left out, as by ovs-vswitchd. */
			break;
		case FLOWTAB_A_SET_TUN_ID:
			put_tun_id(b, a, false);
			break;
		case FLOWTAB_A_SET_TUN_SRC:
		case FLOWTAB_A_SET_TUN_DST:
			put_reg_load(b, OXM_HEADER(OXM_CLASS_NXM1,
					a->kind == FLOWTAB_A_SET_TUN_SRC ? 31 : 32, 0, 4), 0, 32,
					ntohl(a->ipv4));
			break;
		case FLOWTAB_A_SET_TUN_FLAGS:	/* the field's one public bit */
			put_reg_load(b, OXM_HEADER(OXM_CLASS_NXM1, NXM_TUN_FLAGS, 0, 2), 0, 1,
					a->u16);
			break;
		case FLOWTAB_A_GOTO_TABLE: {
			/* An instruction 1.0 has not: ovs-vswitchd sends it as resubmit(,TABLE)
			 * too, which is what it does as the last action. */
			struct flowtab_action_info rs = { .kind = FLOWTAB_A_RESUBMIT,
				.port = FLOWTAB_PORT_NONE, .table = a->table };

			put_resubmit(b, &rs);
			break;
		}
		}
	}
}

static void
actions13_encode(struct of_buf *b, const struct flowtab_rule_info *r)
{
	uint8_t proto = r->match.nw_proto_mask == 0xff ? r->match.nw_proto : 6;
	uint8_t tp = proto == 17 ? 15 : proto == 132 ? 17 : 13;
	uint16_t v16;
	unsigned i;

	for (i = 0; i < r->n_actions; i++) {
		const struct flowtab_action_info *a = &r->actions[i];

		switch (a->kind) {
		case FLOWTAB_A_OUTPUT:
			put_output13(b, a->port);
			break;
		case FLOWTAB_A_NORMAL:
		case FLOWTAB_A_FLOOD:
		case FLOWTAB_A_ALL:
		case FLOWTAB_A_IN_PORT:
			put_output13(b, reserved_port(a->kind));
			break;
		case FLOWTAB_A_CONTROLLER:
			put_output13(b, OFPP_CONTROLLER);
			if (!b->oom)
				of_set16(b->data + b->len - 8, a->u16);
			break;
		case FLOWTAB_A_SET_ETH_SRC:
		case FLOWTAB_A_SET_ETH_DST:
			put_set_field(b, false, OXM_CLASS_BASIC,
					a->kind == FLOWTAB_A_SET_ETH_SRC ? 4 : 3, a->bytes, 6);
			break;
		case FLOWTAB_A_SET_IPV4_SRC:
		case FLOWTAB_A_SET_IPV4_DST:
			put_set_field(b, false, OXM_CLASS_BASIC,
					a->kind == FLOWTAB_A_SET_IPV4_SRC ? 11 : 12, &a->ipv4, 4);
			break;
		case FLOWTAB_A_SET_IP_TOS: {
			uint8_t dscp = a->u8 >> 2;

			put_set_field(b, false, OXM_CLASS_BASIC, 8, &dscp, 1);
			break;
		}
		case FLOWTAB_A_SET_IP_TTL:
			if (a->set_field)
				put_set_field(b, false, OXM_CLASS_NXM1, 29, &a->u8, 1);
			else
				put_small(b, OFPAT13_SET_NW_TTL, 8, a->u8, 1);
			break;
		case FLOWTAB_A_SET_TP_SRC:
		case FLOWTAB_A_SET_TP_DST:
			v16 = htons(a->u16);
			put_set_field(b, false, OXM_CLASS_BASIC,
					(uint8_t)(tp + (a->kind == FLOWTAB_A_SET_TP_DST)), &v16, 2);
			break;
		case FLOWTAB_A_SET_IPV6_SRC:
		case FLOWTAB_A_SET_IPV6_DST:
			put_set_field(b, false, OXM_CLASS_BASIC,
					a->kind == FLOWTAB_A_SET_IPV6_SRC ? 26 : 27, a->bytes, 16);
			break;
		case FLOWTAB_A_SET_VLAN_VID:
			v16 = htons((uint16_t)(a->u16 | 0x1000));
			put_set_field(b, false, OXM_CLASS_BASIC, 6, &v16, 2);
			break;
		case FLOWTAB_A_SET_VLAN_PCP:
			put_set_field(b, false, OXM_CLASS_BASIC, 7, &a->u8, 1);
			break;
		case FLOWTAB_A_SET_TUN_METADATA:
			put_set_field(b, false, OXM_CLASS_NXM1, (uint8_t)(40 + (a->u8 & 1)), &a->ipv4, 4);
			break;
		case FLOWTAB_A_PUSH_VLAN:
			put_small(b, OFPAT13_PUSH_VLAN, 8, a->u16, 2);
			break;
		case FLOWTAB_A_POP_VLAN:
			put_small(b, OFPAT13_POP_VLAN, 8, 0, 0);
			break;
		case FLOWTAB_A_DEC_TTL:
			put_small(b, OFPAT13_DEC_NW_TTL, 8, 0, 0);
			break;
		case FLOWTAB_A_RESUBMIT:
			put_resubmit(b, a);
			break;
		case FLOWTAB_A_SET_TUN_ID:
			put_tun_id(b, a, true);
			break;
		case FLOWTAB_A_SET_TUN_SRC:
		case FLOWTAB_A_SET_TUN_DST:
			put_set_field(b, false, OXM_CLASS_NXM1,
					a->kind == FLOWTAB_A_SET_TUN_SRC ? 31 : 32, &a->ipv4, 4);
			break;
		case FLOWTAB_A_SET_TUN_IPV6_SRC:
		case FLOWTAB_A_SET_TUN_IPV6_DST:
			put_set_field(b, false, OXM_CLASS_NXM1, nx_ipv6_field(a->kind), a->bytes, 16);
			break;
		case FLOWTAB_A_SET_TUN_FLAGS: {
			uint8_t v[2] = { 0, (uint8_t)a->u16 };

			put_set_field(b, false, OXM_CLASS_NXM1, NXM_TUN_FLAGS, v, 2);
			break;
		}
		case FLOWTAB_A_GROUP:
			put_small(b, OFPAT13_GROUP, 8, a->port, 4);
			break;
		case FLOWTAB_A_METER:
		case FLOWTAB_A_GOTO_TABLE:
			break;
		}
	}
}

void
of_actions13_encode(struct of_buf *b, unsigned n, const struct flowtab_action_info *actions)
{
	struct flowtab_rule_info r = { .n_actions = n, .actions = actions };

	actions13_encode(b, &r);
}

void
of_instructions13_encode(uint8_t version, struct of_buf *b, const struct flowtab_rule_info *r)
{
	unsigned n = r->n_actions;
	bool has_goto = n && r->actions[n - 1].kind == FLOWTAB_A_GOTO_TABLE;
	bool has_meter = n && r->actions[0].kind == FLOWTAB_A_METER;
	size_t start;
	uint8_t *p;

	if (has_meter && version >= OF15) {
		/* 1.5's meter action, first of the apply_actions, as ovs-vswitchd writes it. */
		start = b->len;
		p = of_buf_put(b, 8);
		of_set16(p, OFPIT_APPLY_ACTIONS);
		p = of_buf_put(b, 8);
		of_set16(p, OFPAT15_METER);
		of_set16(p + 2, 8);
		of_set32(p + 4, r->actions[0].port);
		actions13_encode(b, r);
		if (!b->oom)
			of_set16(b->data + start + 2, (uint16_t)(b->len - start));
	} else if (has_meter) {
		p = of_buf_put(b, 8);
		of_set16(p, OFPIT_METER);
		of_set16(p + 2, 8);
		of_set32(p + 4, r->actions[0].port);
	}
	if (n > (has_goto ? 1u : 0u) + (has_meter ? 1u : 0u) && !(has_meter && version >= OF15)) {
		start = b->len;
		p = of_buf_put(b, 8);
		of_set16(p, OFPIT_APPLY_ACTIONS);
		actions13_encode(b, r);
		if (!b->oom)
			of_set16(b->data + start + 2, (uint16_t)(b->len - start));
	}
	if (has_goto) {
		p = of_buf_put(b, 8);
		of_set16(p, OFPIT_GOTO_TABLE);
		of_set16(p + 2, 8);
		p[4] = r->actions[n - 1].table;
	}
}
