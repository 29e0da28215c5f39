/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Matches: OXM (OpenFlow 1.3), NXM (Nicira, ovs-ofctl's default) and the OpenFlow 1.0
 * ofp_match, decoded into flowtab's 'struct flowtab_match_info' (the form its dumps take,
 * which flowtab_batch_add_in() and flowtab_match_text() take back) and encoded from it.
 */

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

#include "of_private.h"

enum fkind {
	K_PORT, K_MAC, K_NUM, K_BYTES, K_VID, K_PCP, K_DSCP, K_TOS, K_TCI, K_ARP_OP, K_COOKIE,
	K_TUN_MD,
};

/*
 * Where a field goes in 'struct flowtab_match_info': value and mask, their width, and
 * whether they are kept in host order (else as on the wire).
 */
enum slot {
	S_NONE, S_DL_SRC, S_DL_DST, S_DL_TYPE, S_VLAN_TCI, S_NW_PROTO, S_NW_TOS, S_NW_TTL,
	S_NW_SRC, S_NW_DST, S_TP_SRC, S_TP_DST, S_TCP_FLAGS, S_IPV6_SRC, S_IPV6_DST, S_TUN_ID,
	S_TUN_SRC, S_TUN_DST, S_TUN_IPV6_SRC, S_TUN_IPV6_DST, S_TUN_FLAGS, S_TUN_MD0, S_TUN_MD1,
	S_GTPU_FLAGS, S_GTPU_MSGTYPE,
};

#define MI struct flowtab_match_info
#define SLOT(f, host) { offsetof(MI, f), offsetof(MI, f##_mask), sizeof(((MI *)0)->f), host }
static const struct {
	uint16_t v, m;
	uint8_t len;
	bool host;
} slots[] = {
	[S_DL_SRC] = SLOT(dl_src, false),
	[S_DL_DST] = SLOT(dl_dst, false),
	[S_DL_TYPE] = SLOT(dl_type, true),
	[S_VLAN_TCI] = SLOT(vlan_tci, true),
	[S_NW_PROTO] = SLOT(nw_proto, true),
	[S_NW_TOS] = SLOT(nw_tos, true),
	[S_NW_TTL] = SLOT(nw_ttl, true),
	[S_NW_SRC] = SLOT(nw_src, false),
	[S_NW_DST] = SLOT(nw_dst, false),
	[S_TP_SRC] = SLOT(tp_src, true),
	[S_TP_DST] = SLOT(tp_dst, true),
	[S_TCP_FLAGS] = SLOT(tcp_flags, true),
	[S_IPV6_SRC] = SLOT(ipv6_src, false),
	[S_IPV6_DST] = SLOT(ipv6_dst, false),
	[S_TUN_ID] = SLOT(tun_id, false),
	[S_TUN_SRC] = SLOT(tun_src, false),
	[S_TUN_DST] = SLOT(tun_dst, false),
	[S_TUN_IPV6_SRC] = SLOT(tun_ipv6_src, false),
	[S_TUN_IPV6_DST] = SLOT(tun_ipv6_dst, false),
	[S_TUN_FLAGS] = SLOT(tun_flags, true),
	[S_TUN_MD0] = { offsetof(MI, tun_metadata[0]), offsetof(MI, tun_metadata_mask[0]), 4, false },
	[S_TUN_MD1] = { offsetof(MI, tun_metadata[1]), offsetof(MI, tun_metadata_mask[1]), 4, false },
	[S_GTPU_FLAGS] = SLOT(tun_gtpu_flags, true),
	[S_GTPU_MSGTYPE] = SLOT(tun_gtpu_msgtype, true),
};
#undef SLOT
#undef MI

/* Prerequisite dl_type values beyond real ones. */
#define PRE_IP_ANY 1

struct oxm_field {
	uint16_t cls;
	uint8_t field;
	uint8_t len;
	bool maskable;
	uint8_t kind;
	uint8_t slot;          /* where it goes (K_PORT and K_COOKIE: S_NONE) */
	uint16_t eth;          /* prerequisite dl_type, PRE_IP_ANY, or 0 */
	uint8_t proto;         /* prerequisite nw_proto, or 0 */
};

#define B OXM_CLASS_BASIC
#define N0 OXM_CLASS_NXM0
#define N1 OXM_CLASS_NXM1
#define X OXM_CLASS_EXPERIMENTER
static const struct oxm_field fields[] = {
	{ B, 0, 4, false, K_PORT, S_NONE, 0, 0 },
	{ B, 3, 6, true, K_MAC, S_DL_DST, 0, 0 },
	{ B, 4, 6, true, K_MAC, S_DL_SRC, 0, 0 },
	{ B, 5, 2, false, K_NUM, S_DL_TYPE, 0, 0 },
	{ B, 6, 2, true, K_VID, S_VLAN_TCI, 0, 0 },
	{ B, 7, 1, false, K_PCP, S_VLAN_TCI, 0, 0 },
	{ B, 8, 1, false, K_DSCP, S_NW_TOS, PRE_IP_ANY, 0 },
	{ B, 10, 1, false, K_NUM, S_NW_PROTO, PRE_IP_ANY, 0 },
	{ B, 11, 4, true, K_BYTES, S_NW_SRC, 0x0800, 0 },
	{ B, 12, 4, true, K_BYTES, S_NW_DST, 0x0800, 0 },
	{ B, 13, 2, true, K_NUM, S_TP_SRC, PRE_IP_ANY, 6 },
	{ B, 14, 2, true, K_NUM, S_TP_DST, PRE_IP_ANY, 6 },
	{ B, 15, 2, true, K_NUM, S_TP_SRC, PRE_IP_ANY, 17 },
	{ B, 16, 2, true, K_NUM, S_TP_DST, PRE_IP_ANY, 17 },
	{ B, 17, 2, true, K_NUM, S_TP_SRC, PRE_IP_ANY, 132 },
	{ B, 18, 2, true, K_NUM, S_TP_DST, PRE_IP_ANY, 132 },
	{ B, 19, 1, false, K_NUM, S_TP_SRC, 0x0800, 1 },
	{ B, 20, 1, false, K_NUM, S_TP_DST, 0x0800, 1 },
	{ B, 21, 2, false, K_ARP_OP, S_NW_PROTO, 0x0806, 0 },
	{ B, 22, 4, true, K_BYTES, S_NW_SRC, 0x0806, 0 },
	{ B, 23, 4, true, K_BYTES, S_NW_DST, 0x0806, 0 },
	{ B, 26, 16, true, K_BYTES, S_IPV6_SRC, 0x86dd, 0 },
	{ B, 27, 16, true, K_BYTES, S_IPV6_DST, 0x86dd, 0 },
	{ B, 29, 1, false, K_NUM, S_TP_SRC, 0x86dd, 58 },
	{ B, 30, 1, false, K_NUM, S_TP_DST, 0x86dd, 58 },
	{ B, 42, 2, true, K_NUM, S_TCP_FLAGS, PRE_IP_ANY, 6 },
	{ B, 38, 8, true, K_BYTES, S_TUN_ID, 0, 0 },
	{ N0, 0, 2, false, K_PORT, S_NONE, 0, 0 },
	{ N0, 1, 6, true, K_MAC, S_DL_DST, 0, 0 },
	{ N0, 2, 6, true, K_MAC, S_DL_SRC, 0, 0 },
	{ N0, 3, 2, false, K_NUM, S_DL_TYPE, 0, 0 },
	{ N0, 4, 2, true, K_TCI, S_VLAN_TCI, 0, 0 },
	{ N0, 5, 1, false, K_TOS, S_NW_TOS, PRE_IP_ANY, 0 },
	{ N0, 6, 1, false, K_NUM, S_NW_PROTO, PRE_IP_ANY, 0 },
	{ N0, 7, 4, true, K_BYTES, S_NW_SRC, 0x0800, 0 },
	{ N0, 8, 4, true, K_BYTES, S_NW_DST, 0x0800, 0 },
	{ N0, 9, 2, true, K_NUM, S_TP_SRC, PRE_IP_ANY, 6 },
	{ N0, 10, 2, true, K_NUM, S_TP_DST, PRE_IP_ANY, 6 },
	{ N0, 11, 2, true, K_NUM, S_TP_SRC, PRE_IP_ANY, 17 },
	{ N0, 12, 2, true, K_NUM, S_TP_DST, PRE_IP_ANY, 17 },
	{ N0, 13, 1, false, K_NUM, S_TP_SRC, 0x0800, 1 },
	{ N0, 14, 1, false, K_NUM, S_TP_DST, 0x0800, 1 },
	{ N0, 15, 2, false, K_ARP_OP, S_NW_PROTO, 0x0806, 0 },
	{ N0, 16, 4, true, K_BYTES, S_NW_SRC, 0x0806, 0 },
	{ N0, 17, 4, true, K_BYTES, S_NW_DST, 0x0806, 0 },
	{ N1, 19, 16, true, K_BYTES, S_IPV6_SRC, 0x86dd, 0 },
	{ N1, 20, 16, true, K_BYTES, S_IPV6_DST, 0x86dd, 0 },
	{ N1, 21, 1, false, K_NUM, S_TP_SRC, 0x86dd, 58 },
	{ N1, 22, 1, false, K_NUM, S_TP_DST, 0x86dd, 58 },
	{ N1, 29, 1, false, K_NUM, S_NW_TTL, PRE_IP_ANY, 0 },
	{ N1, 30, 8, true, K_COOKIE, S_NONE, 0, 0 },
	{ N1, 34, 2, true, K_NUM, S_TCP_FLAGS, PRE_IP_ANY, 6 },
	{ N1, 16, 8, true, K_BYTES, S_TUN_ID, 0, 0 },
	{ N1, 31, 4, true, K_BYTES, S_TUN_SRC, 0, 0 },
	{ N1, 32, 4, true, K_BYTES, S_TUN_DST, 0, 0 },
	{ N1, 109, 16, true, K_BYTES, S_TUN_IPV6_SRC, 0, 0 },
	{ N1, 110, 16, true, K_BYTES, S_TUN_IPV6_DST, 0, 0 },
	{ N1, 104, 2, true, K_NUM, S_TUN_FLAGS, 0, 0 },
	/*
	 * NXM_NX_TUN_METADATA0.. hold a mapped Geneve option (of_tlv.c); their length is the
	 * value's: ovs-ofctl sends the bytes the value needs, ovs-vswitchd the mapped length.
	 * vireo-dp maps options of 4 bytes to tun_metadata0..1: 1 to 4 bytes, zero-extended.
	 */
	{ N1, 40, 4, true, K_TUN_MD, S_TUN_MD0, 0, 0 },
	{ N1, 41, 4, true, K_TUN_MD, S_TUN_MD1, 0, 0 },
	/*
	 * Nicira's experimenter OXMs (experimenter id NX_EXPERIMENTER_ID).  ovs-ofctl 3.1 sends
	 * both with a mask equal to the value (tun_gtpu_flags=0x34 as 0x34/0x34): they are
	 * taken as sent, as ovs-vswitchd takes them.
	 */
	{ X, 15, 1, true, K_NUM, S_GTPU_FLAGS, 0, 0 },
	{ X, 16, 1, true, K_NUM, S_GTPU_MSGTYPE, 0, 0 },
};
#undef B
#undef N0
#undef N1
#undef X

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static const struct oxm_field *
field_find(uint16_t cls, uint8_t field)
{
	size_t i;

	for (i = 0; i < N_FIELDS; i++)
		if (fields[i].cls == cls && fields[i].field == field)
			return &fields[i];
	return NULL;
}

static uint64_t
get_n(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;

	while (len--)
		v = v << 8 | *p++;
	return v;
}

static void
put_n(uint8_t *p, uint64_t v, unsigned len)
{
	while (len--) {
		p[len] = (uint8_t)v;
		v >>= 8;
	}
}

/* An exact mask of any field's width. */
static const uint8_t exact[16] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

static bool
all_ones(const uint8_t *p, unsigned len)
{
	while (len--)
		if (*p++ != 0xff)
			return false;
	return true;
}

static bool
all_zero(const uint8_t *p, unsigned len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

/* Slot 's' of 'o' as network-order bytes, or from them. */
static void
slot_get(const struct flowtab_match_info *o, enum slot s, uint8_t *v, uint8_t *m)
{
	const uint8_t *b = (const uint8_t *)o;
	unsigned len = slots[s].len;
	uint16_t x;

	if (!slots[s].host || len == 1) {
		memcpy(v, b + slots[s].v, len);
		memcpy(m, b + slots[s].m, len);
		return;
	}
	memcpy(&x, b + slots[s].v, 2);
	put_n(v, x, 2);
	memcpy(&x, b + slots[s].m, 2);
	put_n(m, x, 2);
}

static void
slot_put(struct flowtab_match_info *o, enum slot s, const uint8_t *v, const uint8_t *m)
{
	uint8_t *b = (uint8_t *)o;
	unsigned len = slots[s].len;
	uint16_t x;

	if (!slots[s].host || len == 1) {
		memcpy(b + slots[s].v, v, len);
		memcpy(b + slots[s].m, m, len);
		return;
	}
	x = (uint16_t)get_n(v, 2);
	memcpy(b + slots[s].v, &x, 2);
	x = (uint16_t)get_n(m, 2);
	memcpy(b + slots[s].m, &x, 2);
}

/*
 * Add value 'v' under mask 'm' (network order, the slot's width) to slot 's' of 'fm''s
 * match: two fields that write the same slot (vlan_vid and vlan_pcp, NXM's and OXM's
 * tun_id) merge, and contradict when they disagree on a bit both match.
 */
static enum of_err
slot_set(struct of_fm *fm, enum slot s, const uint8_t *v, const uint8_t *m)
{
	uint8_t cv[16], cm[16];
	unsigned len = slots[s].len, i;

	slot_get(&fm->m, s, cv, cm);
	for (i = 0; i < len; i++)
		if ((cv[i] ^ v[i]) & cm[i] & m[i])
			return OFE_BMC_DUP_FIELD;
	for (i = 0; i < len; i++) {
		cm[i] |= m[i];
		cv[i] = (uint8_t)((cv[i] | (v[i] & m[i])) & cm[i]);
	}
	slot_put(&fm->m, s, cv, cm);
	return OF_OK;
}

/* slot_set() of a number 'x' under mask 'mx', the slot's width. */
static enum of_err
slot_set_num(struct of_fm *fm, enum slot s, uint64_t x, uint64_t mx)
{
	uint8_t v[8], m[8];

	put_n(v, x, slots[s].len);
	put_n(m, mx, slots[s].len);
	return slot_set(fm, s, v, m);
}

static enum of_err
set_in_port(struct of_fm *fm, uint32_t port)
{
	if (fm->m.has_in_port && fm->m.in_port != port)
		return OFE_BMC_DUP_FIELD;
	fm->m.has_in_port = true;
	fm->m.in_port = port;
	return OF_OK;
}

/*
 * The port number of an in_port field of 'len' bytes (NXM's 16 bits or OXM's 32).  Of the
 * reserved ports only LOCAL can be matched.  The 32-bit numbers from OFPP_MAX up to 1.1's
 * reserved range (0xffffff00) are no port at all, as for Open vSwitch: taken as they are,
 * 0xfffe would be vireo's LOCAL.
 */
static uint32_t
in_port_value(uint32_t v, unsigned len, enum of_err *e)
{
	uint32_t local = len == 2 ? OFPP_LOCAL : OF13_PORT(OFPP_LOCAL);

	if (v == local)
		return OFPP_LOCAL;
	if (v == 0 || v >= OFPP_MAX)
		*e = OFE_BMC_BAD_VALUE;
	return v;
}

/* One field's value (and mask, or NULL) into 'fm''s match. */
static enum of_err
field_set(const struct oxm_field *f, uint8_t *v, const uint8_t *m, struct of_fm *fm)
{
	enum slot s = (enum slot)f->slot;
	enum of_err e = OF_OK;
	uint64_t x, mx;
	unsigned i;

	if (m) {
		if (all_zero(m, f->len))
			return OF_OK;   /* a zero mask matches everything */
		for (i = 0; i < f->len; i++)
			v[i] &= m[i];
		if (all_ones(m, f->len))
			m = NULL;
	}
	x = get_n(v, f->len);
	mx = m ? get_n(m, f->len) : 0;
	switch (f->kind) {
	case K_PORT:
		x = in_port_value((uint32_t)x, f->len, &e);
		return e ? e : set_in_port(fm, (uint32_t)x);
	case K_MAC:
	case K_BYTES:
	case K_TUN_MD:
		return slot_set(fm, s, v, m ? m : exact);
	case K_NUM:
		if (s == S_TCP_FLAGS && (x > 0xfff || mx > 0xfff))
			return OFE_BMC_BAD_VALUE;
		if (s == S_TUN_FLAGS && (x > 1 || mx > 1))
			return OFE_BMC_BAD_VALUE;	/* OAM is the only public flag */
		/* Exact is every bit the field has: 12 of tcp_flags, OAM of tun_flags, all
		 * of the rest (ICMP's one-byte type and code fill 16-bit tp_src and tp_dst),
		 * as the rule's text makes it. */
		if (!m)
			mx = s == S_TCP_FLAGS ? 0xfff : s == S_TUN_FLAGS ? 1 : UINT64_MAX;
		return slot_set_num(fm, s, x, mx);
	case K_ARP_OP:
		if (x > 255)
			return OFE_BMC_BAD_VALUE;
		return slot_set_num(fm, s, x, 0xff);
	case K_VID:
		if (x > 0x1fff || (m && mx > 0x1fff))
			return OFE_BMC_BAD_VALUE;
		return slot_set_num(fm, s, x, m ? mx : 0x1fff);
	case K_PCP:
		if (x > 7)
			return OFE_BMC_BAD_VALUE;
		return slot_set_num(fm, s, x << 13 | 0x1000, 0xf000);
	case K_DSCP:
		if (x > 63)
			return OFE_BMC_BAD_VALUE;
		return slot_set_num(fm, s, x << 2, 0xfc);
	case K_TOS:
		if (x & 3)
			return OFE_BMC_BAD_VALUE;
		return slot_set_num(fm, s, x, 0xfc);
	case K_TCI:
		return slot_set_num(fm, s, x, m ? mx : UINT64_MAX);
	case K_COOKIE:
		fm->cookie = m ? x & mx : x;
		fm->cookie_mask = m ? mx : UINT64_MAX;
		return OF_OK;
	}
	return OFE_BMC_BAD_FIELD;
}

static bool
prereq_ok(const struct oxm_field *f, int eth, int proto)
{
	if (f->eth == PRE_IP_ANY && eth != 0x0800 && eth != 0x86dd)
		return false;
	if (f->eth > PRE_IP_ANY && eth != f->eth)
		return false;
	return !f->proto || proto == f->proto;
}

enum of_err
of_oxm_decode(const uint8_t *p, size_t len, struct of_fm *fm)
{
	const struct oxm_field *used[N_FIELDS];
	uint64_t seen = 0;
	uint8_t v[16], m[16];
	int eth = -1, proto = -1;
	size_t off = 0, n_used = 0, i;
	enum of_err e, clash = OF_OK;

	while (off < len) {
		unsigned exp, vlen;
		uint32_t h;
		uint16_t cls;
		uint8_t fno, plen;
		bool hasmask;
		const struct oxm_field *f;

		if (len - off < 4)
			return OFE_BMC_BAD_LEN;
		h = of_get32(p + off);
		cls = (uint16_t)(h >> 16);
		fno = (uint8_t)(h >> 9 & 0x7f);
		hasmask = h >> 8 & 1;
		plen = (uint8_t)h;
		if (len - off - 4 < plen)
			return OFE_BMC_BAD_LEN;
		exp = 0;
		if (cls == OXM_CLASS_EXPERIMENTER) {
			/*
			 * ONF's tcp_flags for 1.3, Nicira's GTP-U fields: the experimenter id
			 * counts in the length.
			 */
			if (plen < 4)
				return OFE_BMC_BAD_LEN;
			if (of_get32(p + off + 4) == ONF_EXPERIMENTER_ID && fno == 42)
				cls = OXM_CLASS_BASIC;
			else if (of_get32(p + off + 4) != NX_EXPERIMENTER_ID)
				return OFE_BMC_BAD_FIELD;
			exp = 4;
		}
		f = field_find(cls, fno);
		if (!f)
			return OFE_BMC_BAD_FIELD;
		vlen = f->len;
		if (f->kind == K_TUN_MD && plen % (hasmask ? 2 : 1) == 0 && plen > 0 &&
		    plen / (hasmask ? 2 : 1) <= f->len)
			vlen = plen / (hasmask ? 2 : 1);
		if (plen != exp + vlen * (hasmask ? 2 : 1))
			return OFE_BMC_BAD_LEN;
		if (hasmask && !f->maskable)
			return OFE_BMC_BAD_MASK;
		if (seen >> (f - fields) & 1)
			return OFE_BMC_DUP_FIELD;
		seen |= 1ull << (f - fields);
		/* A shorter value (tun_metadataN) is zero-extended; an exact one stays exact. */
		memset(v, 0, f->len);
		memset(m, hasmask ? 0 : 0xff, f->len);
		memcpy(v + f->len - vlen, p + off + 4 + exp, vlen);
		if (hasmask)
			memcpy(m + f->len - vlen, p + off + 4 + exp + vlen, vlen);
		if (f->slot == S_DL_TYPE && !hasmask)
			eth = (int)get_n(v, 2);
		if (f->slot == S_NW_PROTO && f->kind == K_NUM && !hasmask)
			proto = v[0];
		/*
		 * Fields of different protocols share a place (tcp_src and icmp_type, ipv4_src
		 * and arp_spa): their clash is a missing prerequisite first, as ovs-vswitchd
		 * reports it, and a contradiction only when the prerequisites hold.
		 */
		e = field_set(f, v, hasmask ? m : NULL, fm);
		if (e == OFE_BMC_DUP_FIELD && !clash)
			clash = e;
		else if (e && e != OFE_BMC_DUP_FIELD)
			return e;
		used[n_used++] = f;
		off += 4 + plen;
	}
	for (i = 0; i < n_used; i++)
		if (!prereq_ok(used[i], eth, proto))
			return OFE_BMC_BAD_PREREQ;
	return clash;
}

enum of_err
of_match13_decode(const uint8_t *p, size_t avail, struct of_fm *fm, size_t *used)
{
	uint16_t type, mlen;

	if (avail < 4)
		return OFE_BMC_BAD_LEN;
	type = of_get16(p);
	mlen = of_get16(p + 2);
	if (type != OFPMT_OXM)
		return OFE_BMC_BAD_TYPE;
	if (mlen < 4 || ((mlen + 7u) & ~7u) > avail)
		return OFE_BMC_BAD_LEN;
	*used = (mlen + 7u) & ~7u;
	return of_oxm_decode(p + 4, mlen - 4u, fm);
}

/* An IPv4 address of 1.0's match with 'wild' low bits wildcarded into slot 's'. */
static void
set_prefix(struct of_fm *fm, enum slot s, const uint8_t *addr, unsigned wild)
{
	uint8_t m[4];

	if (wild >= 32)
		return;
	of_set32(m, wild ? ~0u << wild : ~0u);
	slot_set(fm, s, addr, m);     /* the slot is empty: nothing to contradict */
}

/*
 * OpenFlow 1.0's fixed match.  As ovs-vswitchd does, fields whose prerequisites the match
 * does not meet (nw_src without dl_type=0x0800...) are ignored: 1.0 has no way to refuse them.
 * Each field has its own place, so nothing here can contradict: the sets cannot fail.
 */
enum of_err
of_match10_decode(const uint8_t *p, struct of_fm *fm)
{
	uint32_t w = of_get32(p);
	uint16_t in_port = of_get16(p + 4), vlan = of_get16(p + 18), type = of_get16(p + 22);
	uint8_t pcp = p[20], tos = p[24], proto = p[25];
	bool ip, arp, l4, icmp;

	if (!(w & OFPFW10_IN_PORT)) {
		if (in_port != OFPP_LOCAL && (in_port == 0 || in_port >= OFPP_MAX))
			return OFE_BMC_BAD_VALUE;
		set_in_port(fm, in_port);
	}
	if (!(w & OFPFW10_DL_VLAN)) {
		if (vlan != OF10_VLAN_NONE && vlan > 0xfff)
			return OFE_BMC_BAD_VALUE;
		slot_set_num(fm, S_VLAN_TCI, vlan == OF10_VLAN_NONE ? 0 : vlan | 0x1000u, 0x1fff);
	}
	if (!(w & OFPFW10_DL_VLAN_PCP) && !((w & OFPFW10_DL_VLAN) == 0 && vlan == OF10_VLAN_NONE)) {
		if (pcp > 7)
			return OFE_BMC_BAD_VALUE;
		/* With a VLAN id given it is present: both set the CFI bit, no contradiction. */
		slot_set_num(fm, S_VLAN_TCI, (unsigned)(pcp << 13 | 0x1000), 0xf000);
	}
	if (!(w & OFPFW10_DL_SRC))
		slot_set(fm, S_DL_SRC, p + 6, exact);
	if (!(w & OFPFW10_DL_DST))
		slot_set(fm, S_DL_DST, p + 12, exact);
	if (w & OFPFW10_DL_TYPE)
		return OF_OK;
	slot_set_num(fm, S_DL_TYPE, type, 0xffff);
	ip = type == 0x0800;
	arp = type == 0x0806;
	if (!ip && !arp)
		return OF_OK;
	set_prefix(fm, S_NW_SRC, p + 28, w >> OFPFW10_NW_SRC_SHIFT & 63);
	set_prefix(fm, S_NW_DST, p + 32, w >> OFPFW10_NW_DST_SHIFT & 63);
	if (!(w & OFPFW10_NW_PROTO))
		slot_set_num(fm, S_NW_PROTO, proto, 0xff);
	if (arp)
		return OF_OK;
	if (!(w & OFPFW10_NW_TOS))
		slot_set_num(fm, S_NW_TOS, tos & 0xfcu, 0xfc);
	l4 = !(w & OFPFW10_NW_PROTO) && (proto == 6 || proto == 17 || proto == 132);
	icmp = !(w & OFPFW10_NW_PROTO) && proto == 1;
	if ((l4 || icmp) && !(w & OFPFW10_TP_SRC)) {
		if (icmp && of_get16(p + 36) > 255)
			return OFE_BMC_BAD_VALUE;
		slot_set_num(fm, S_TP_SRC, of_get16(p + 36), 0xffff);
	}
	if ((l4 || icmp) && !(w & OFPFW10_TP_DST)) {
		if (icmp && of_get16(p + 38) > 255)
			return OFE_BMC_BAD_VALUE;
		slot_set_num(fm, S_TP_DST, of_get16(p + 38), 0xffff);
	}
	return OF_OK;
}

/* --- encoders --- */

static void
put_tlv(struct of_buf *b, uint16_t cls, uint8_t field, unsigned len, const void *v,
		const void *m)
{
	uint8_t *p = of_buf_put(b, 4 + len * (m ? 2 : 1));

	of_set32(p, OXM_HEADER(cls, field, m != NULL, len * (m ? 2 : 1)));
	if (b->oom)
		return;
	memcpy(p + 4, v, len);
	if (m)
		memcpy(p + 4 + len, m, len);
}

/* A Nicira experimenter OXM: the experimenter id counts in the length. */
static void
put_nx_exp(struct of_buf *b, uint8_t field, uint8_t v, uint8_t m, uint8_t full)
{
	bool masked = m != full;
	uint8_t *p;

	if (!m)
		return;
	p = of_buf_put(b, 4 + 4 + (masked ? 2 : 1));
	of_set32(p, OXM_HEADER(OXM_CLASS_EXPERIMENTER, field, masked, 4 + (masked ? 2 : 1)));
	if (b->oom)
		return;
	of_set32(p + 4, NX_EXPERIMENTER_ID);
	p[8] = v;
	if (masked)
		p[9] = m;
}

static void
put_num(struct of_buf *b, uint16_t cls, uint8_t field, unsigned len, uint64_t v, uint64_t m,
		uint64_t full)
{
	uint8_t vb[8], mb[8];
	unsigned i;

	if (!m)
		return;
	for (i = 0; i < len; i++) {
		vb[i] = (uint8_t)(v >> (8 * (len - 1 - i)));
		mb[i] = (uint8_t)(m >> (8 * (len - 1 - i)));
	}
	put_tlv(b, cls, field, len, vb, (m & full) == full ? NULL : mb);
}

static void
put_bytes(struct of_buf *b, uint16_t cls, uint8_t field, unsigned len, const uint8_t *v,
		const uint8_t *m)
{
	if (all_zero(m, len))
		return;
	put_tlv(b, cls, field, len, v, all_ones(m, len) ? NULL : m);
}

void
of_oxm_encode(struct of_buf *b, const struct flowtab_match_info *m, bool nxm)
{
	uint16_t C0 = nxm ? OXM_CLASS_NXM0 : OXM_CLASS_BASIC;
	bool ip = m->dl_type_mask == 0xffff && (m->dl_type == 0x0800 || m->dl_type == 0x86dd);
	bool arp = m->dl_type_mask == 0xffff && m->dl_type == 0x0806;
	bool v6 = ip && m->dl_type == 0x86dd;
	uint8_t proto = m->nw_proto_mask == 0xff ? m->nw_proto : 0;

	if (m->has_in_port) {
		if (nxm)
			put_num(b, C0, 0, 2, (uint16_t)m->in_port, 0xffff, 0xffff);
		else
			put_num(b, C0, 0, 4, OF13_PORT(m->in_port), ~0u, ~0u);
	}
	/* Tunnel metadata: Nicira's fields, and OpenFlow 1.3's tunnel id. */
	put_bytes(b, nxm ? OXM_CLASS_NXM1 : OXM_CLASS_BASIC, nxm ? 16 : 38, 8, m->tun_id,
			m->tun_id_mask);
	put_bytes(b, OXM_CLASS_NXM1, 31, 4, (const uint8_t *)&m->tun_src,
			(const uint8_t *)&m->tun_src_mask);
	put_bytes(b, OXM_CLASS_NXM1, 32, 4, (const uint8_t *)&m->tun_dst,
			(const uint8_t *)&m->tun_dst_mask);
	put_bytes(b, OXM_CLASS_NXM1, 109, 16, m->tun_ipv6_src, m->tun_ipv6_src_mask);
	put_bytes(b, OXM_CLASS_NXM1, 110, 16, m->tun_ipv6_dst, m->tun_ipv6_dst_mask);
	put_bytes(b, OXM_CLASS_NXM1, 40, 4, (const uint8_t *)&m->tun_metadata[0],
			(const uint8_t *)&m->tun_metadata_mask[0]);
	put_bytes(b, OXM_CLASS_NXM1, 41, 4, (const uint8_t *)&m->tun_metadata[1],
			(const uint8_t *)&m->tun_metadata_mask[1]);
	put_nx_exp(b, 15, m->tun_gtpu_flags, m->tun_gtpu_flags_mask, 0xff);
	put_nx_exp(b, 16, m->tun_gtpu_msgtype, m->tun_gtpu_msgtype_mask, 0xff);
	put_num(b, OXM_CLASS_NXM1, 104, 2, m->tun_flags, m->tun_flags_mask, 0xffff);
	put_bytes(b, C0, nxm ? 1 : 3, 6, m->dl_dst, m->dl_dst_mask);
	put_bytes(b, C0, nxm ? 2 : 4, 6, m->dl_src, m->dl_src_mask);
	put_num(b, C0, nxm ? 3 : 5, 2, m->dl_type, m->dl_type_mask, 0xffff);
	if (nxm) {
		put_num(b, C0, 4, 2, m->vlan_tci, m->vlan_tci_mask, 0xffff);
	} else {
		put_num(b, C0, 6, 2, m->vlan_tci & 0x1fff, m->vlan_tci_mask & 0x1fff, 0x1fff);
		if ((m->vlan_tci_mask & 0xe000) == 0xe000)
			put_num(b, C0, 7, 1, m->vlan_tci >> 13, 0xff, 0xff);
	}
	if (ip) {
		if (nxm)
			put_num(b, C0, 5, 1, m->nw_tos, m->nw_tos_mask ? 0xff : 0, 0xff);
		else
			put_num(b, C0, 8, 1, m->nw_tos >> 2, m->nw_tos_mask ? 0xff : 0, 0xff);
		put_num(b, C0, nxm ? 6 : 10, 1, m->nw_proto, m->nw_proto_mask, 0xff);
		if (v6) {
			put_bytes(b, nxm ? OXM_CLASS_NXM1 : C0, nxm ? 19 : 26, 16, m->ipv6_src,
					m->ipv6_src_mask);
			put_bytes(b, nxm ? OXM_CLASS_NXM1 : C0, nxm ? 20 : 27, 16, m->ipv6_dst,
					m->ipv6_dst_mask);
		} else {
			put_bytes(b, C0, nxm ? 7 : 11, 4, (const uint8_t *)&m->nw_src,
					(const uint8_t *)&m->nw_src_mask);
			put_bytes(b, C0, nxm ? 8 : 12, 4, (const uint8_t *)&m->nw_dst,
					(const uint8_t *)&m->nw_dst_mask);
		}
		put_num(b, OXM_CLASS_NXM1, 29, 1, m->nw_ttl, m->nw_ttl_mask, 0xff);
		if (proto == 6 || proto == 17 || proto == 132) {
			uint8_t fs = proto == 6 ? (nxm ? 9 : 13) : proto == 17 ? (nxm ? 11 : 15) : 17;
			uint16_t cls = proto == 132 ? OXM_CLASS_BASIC : C0;

			put_num(b, cls, fs, 2, m->tp_src, m->tp_src_mask, 0xffff);
			put_num(b, cls, (uint8_t)(fs + 1), 2, m->tp_dst, m->tp_dst_mask, 0xffff);
		} else if (proto == 1 && !v6) {
			put_num(b, C0, nxm ? 13 : 19, 1, m->tp_src, m->tp_src_mask ? 0xff : 0, 0xff);
			put_num(b, C0, nxm ? 14 : 20, 1, m->tp_dst, m->tp_dst_mask ? 0xff : 0, 0xff);
		} else if (proto == 58 && v6) {
			uint16_t cls = nxm ? OXM_CLASS_NXM1 : C0;

			put_num(b, cls, nxm ? 21 : 29, 1, m->tp_src, m->tp_src_mask ? 0xff : 0, 0xff);
			put_num(b, cls, nxm ? 22 : 30, 1, m->tp_dst, m->tp_dst_mask ? 0xff : 0, 0xff);
		}
		put_num(b, OXM_CLASS_NXM1, 34, 2, m->tcp_flags, m->tcp_flags_mask, 0xffff);
	} else if (arp) {
		put_num(b, C0, nxm ? 15 : 21, 2, m->nw_proto, m->nw_proto_mask ? 0xffff : 0, 0xffff);
		put_bytes(b, C0, nxm ? 16 : 22, 4, (const uint8_t *)&m->nw_src,
				(const uint8_t *)&m->nw_src_mask);
		put_bytes(b, C0, nxm ? 17 : 23, 4, (const uint8_t *)&m->nw_dst,
				(const uint8_t *)&m->nw_dst_mask);
	}
}

static unsigned
wild_bits(uint32_t be_mask)
{
	uint32_t mask = ntohl(be_mask);
	unsigned n = 0;

	while (n < 32 && !(mask & (1u << n)))
		n++;
	return n;
}

/* OpenFlow 1.0 has no masks but IPv4 prefixes: a partly masked field is sent as its masked
 * value, exact, as ovs-vswitchd sends it (the dump loses the mask, not the field). */
void
of_match10_encode(struct of_buf *b, const struct flowtab_match_info *m)
{
	uint8_t *p = of_buf_put(b, OF10_MATCH_LEN);
	uint32_t w = OFPFW10_ALL;

	if (m->has_in_port) {
		w &= ~OFPFW10_IN_PORT;
		of_set16(p + 4, (uint16_t)m->in_port);
	}
	if (!all_zero(m->dl_src_mask, 6)) {
		w &= ~OFPFW10_DL_SRC;
		memcpy(p + 6, m->dl_src, 6);
	}
	if (!all_zero(m->dl_dst_mask, 6)) {
		w &= ~OFPFW10_DL_DST;
		memcpy(p + 12, m->dl_dst, 6);
	}
	if ((m->vlan_tci_mask & 0x1fff) == 0x1fff) {
		w &= ~OFPFW10_DL_VLAN;
		of_set16(p + 18, m->vlan_tci & 0x1000 ? m->vlan_tci & 0xfff : OF10_VLAN_NONE);
	}
	if ((m->vlan_tci_mask & 0xe000) == 0xe000) {
		w &= ~OFPFW10_DL_VLAN_PCP;
		p[20] = (uint8_t)(m->vlan_tci >> 13);
	}
	if (m->dl_type_mask == 0xffff) {
		w &= ~OFPFW10_DL_TYPE;
		of_set16(p + 22, m->dl_type);
	}
	if (m->nw_tos_mask) {
		w &= ~OFPFW10_NW_TOS;
		p[24] = m->nw_tos;
	}
	if (m->nw_proto_mask) {
		w &= ~OFPFW10_NW_PROTO;
		p[25] = m->nw_proto;
	}
	w = (w & ~(63u << OFPFW10_NW_SRC_SHIFT)) | wild_bits(m->nw_src_mask) << OFPFW10_NW_SRC_SHIFT;
	w = (w & ~(63u << OFPFW10_NW_DST_SHIFT)) | wild_bits(m->nw_dst_mask) << OFPFW10_NW_DST_SHIFT;
	memcpy(p + 28, &m->nw_src, 4);
	memcpy(p + 32, &m->nw_dst, 4);
	if (m->tp_src_mask) {
		w &= ~OFPFW10_TP_SRC;
		of_set16(p + 36, m->tp_src);
	}
	if (m->tp_dst_mask) {
		w &= ~OFPFW10_TP_DST;
		of_set16(p + 38, m->tp_dst);
	}
	of_set32(p, w);
}
