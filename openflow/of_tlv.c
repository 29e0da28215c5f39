/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Open vSwitch's Geneve option table (NXT_TLV_TABLE_MOD, NXT_TLV_TABLE_REQUEST and its
 * reply), which maps an option (class, type, length) to a tun_metadataN match field, as
 * `ovs-ofctl add-tlv-map/del-tlv-map/dump-tlv-map` and ovn-controller use it.  The table
 * itself is the owner's (struct of_switch's tlv_mod and tlv_get); this file decodes,
 * checks what OpenFlow says about a message and encodes the reply.
 */

#include <string.h>

#include "of_private.h"

#define NXT_TLV_TABLE_MOD 24
#define NXT_TLV_TABLE_REQUEST 25
#define NXT_TLV_TABLE_REPLY 26
#define NX_HDR 16               /* OpenFlow header, vendor id, subtype */
#define NX_TLV_MAP 8            /* struct nx_tlv_map */
#define NXTTMC_CLEAR 2
#define TLV_MAX_OPT_LEN 124     /* Geneve: 5 bits of 4-byte words, minus the header */
#define TLV_MAX_MAPS 64         /* Open vSwitch's tun_metadata0..63 */

static enum of_err
tlv_result_error(enum of_tlv_result r)
{
	switch (r) {
	case OF_TLV_OK:
		return OF_OK;
	case OF_TLV_BAD_FIELD_IDX:
		return OFE_TLV_BAD_FIELD_IDX;
	case OF_TLV_BAD_OPT_LEN:
		return OFE_TLV_BAD_OPT_LEN;
	case OF_TLV_ALREADY_MAPPED:
		return OFE_TLV_ALREADY_MAPPED;
	case OF_TLV_DUP_ENTRY:
		return OFE_TLV_DUP_ENTRY;
	case OF_TLV_TABLE_FULL:
		return OFE_TLV_TABLE_FULL;
	case OF_TLV_IN_USE:
		return OFE_TLV_INVALID_DEL;
	case OF_TLV_NO_MEMORY:
		break;
	}
	return OFE_FMFC_UNKNOWN;
}

static void
handle_mod(struct of_conn *c, const uint8_t *msg, size_t len)
{
	struct of_tlv_map maps[TLV_MAX_MAPS];
	enum of_tlv_result r;
	unsigned cmd, n = 0;
	size_t off;

	if (len < NX_HDR + 8 || (len - NX_HDR - 8) % NX_TLV_MAP != 0 ||
	    (len - NX_HDR - 8) / NX_TLV_MAP > TLV_MAX_MAPS) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	if (c->role == OF_ROLE_SLAVE) {
		of_send_error(c, OFE_IS_SLAVE, msg, len);
		return;
	}
	cmd = of_get16(msg + NX_HDR);
	if (cmd > NXTTMC_CLEAR) {
		of_send_error(c, OFE_TLV_BAD_COMMAND, msg, len);
		return;
	}
	/* The checks Open vSwitch makes on every mapping before it looks at its table. */
	for (off = NX_HDR + 8; off < len; off += NX_TLV_MAP) {
		const uint8_t *m = msg + off;

		if (m[3] % 4 != 0 || m[3] > TLV_MAX_OPT_LEN) {
			of_send_error(c, OFE_TLV_BAD_OPT_LEN, msg, len);
			return;
		}
		if (of_get16(m + 4) >= TLV_MAX_MAPS) {
			of_send_error(c, OFE_TLV_BAD_FIELD_IDX, msg, len);
			return;
		}
		maps[n++] = (struct of_tlv_map){ .opt_class = of_get16(m), .opt_type = m[2],
			.len = m[3], .index = of_get16(m + 4) };
	}
	if (!c->sw.tlv_mod) {
		of_send_error(c, OFE_BAD_SUBTYPE, msg, len);
		return;
	}
	if (cmd == NXTTMC_CLEAR)
		n = 0;
	r = c->sw.tlv_mod(c->sw.aux, cmd, maps, n);
	if (r != OF_TLV_OK)
		of_send_error(c, tlv_result_error(r), msg, len);
}

static void
handle_request(struct of_conn *c, const uint8_t *msg, size_t len)
{
	struct of_tlv_map maps[TLV_MAX_MAPS];
	uint32_t max_space = 0;
	uint16_t max_fields = 0;
	unsigned n = 0, i;
	uint8_t *p;

	if (len != NX_HDR) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	if (!c->sw.tlv_get) {
		of_send_error(c, OFE_BAD_SUBTYPE, msg, len);
		return;
	}
	n = c->sw.tlv_get(c->sw.aux, maps, TLV_MAX_MAPS, &max_space, &max_fields);
	if (n > TLV_MAX_MAPS)
		n = TLV_MAX_MAPS;
	p = of_reply_start(c, OFPT_VENDOR, of_get32(msg + 4), NX_HDR + 16 + n * NX_TLV_MAP);
	if (c->out.oom)
		return;
	of_set32(p + 8, NX_VENDOR_ID);
	of_set32(p + 12, NXT_TLV_TABLE_REPLY);
	of_set32(p + NX_HDR, max_space);
	of_set16(p + NX_HDR + 4, max_fields);
	for (i = 0; i < n; i++) {
		uint8_t *m = p + NX_HDR + 16 + i * NX_TLV_MAP;

		of_set16(m, maps[i].opt_class);
		m[2] = maps[i].opt_type;
		m[3] = maps[i].len;
		of_set16(m + 4, maps[i].index);
	}
}

bool
of_handle_tlv(struct of_conn *c, uint32_t subtype, const uint8_t *msg, size_t len)
{
	if (subtype == NXT_TLV_TABLE_MOD)
		handle_mod(c, msg, len);
	else if (subtype == NXT_TLV_TABLE_REQUEST)
		handle_request(c, msg, len);
	else
		return false;
	return true;
}

/* Bit N: 'text' names tun_metadataN (N < 64). */
static uint64_t
tun_md_named(const char *text)
{
	static const char key[] = "tun_metadata";
	uint64_t bits = 0;
	const char *p = text;

	while (p && (p = strstr(p, key)) != NULL) {
		unsigned idx = 0, digits = 0;

		for (p += sizeof(key) - 1; *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
			idx = idx * 10 + (unsigned)(*p - '0');
		if (digits && idx < TLV_MAX_MAPS)
			bits |= 1ull << idx;
	}
	return bits;
}

enum of_err
of_fm_check_tlv(struct of_conn *c, const struct of_fm *fm)
{
	struct of_tlv_map maps[TLV_MAX_MAPS];
	uint64_t used = tun_md_named(fm->actions.s), mapped = 0;
	uint32_t space;
	uint16_t fields;
	unsigned n = 0, i;

	for (i = 0; i < sizeof(fm->m.tun_metadata_mask) / sizeof(fm->m.tun_metadata_mask[0]); i++)
		if (fm->m.tun_metadata_mask[i])
			used |= 1ull << i;
	if (!used)
		return OF_OK;
	if (c->sw.tlv_get)
		n = c->sw.tlv_get(c->sw.aux, maps, TLV_MAX_MAPS, &space, &fields);
	for (i = 0; i < n && i < TLV_MAX_MAPS; i++)
		if (maps[i].index < TLV_MAX_MAPS)
			mapped |= 1ull << maps[i].index;
	return (used & ~mapped) ? OFE_FMFC_INVALID_TLV_FIELD : OF_OK;
}
