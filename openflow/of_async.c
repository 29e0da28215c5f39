/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a controller connection adds to the management channel: packet_in, packet_out,
 * port_status, role requests and the echo probe.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "of_private.h"

#define NX_ROLE_OTHER 0
#define NX_ROLE_MASTER 1
#define NX_ROLE_SLAVE 2

void
of_conn_set_primary(struct of_conn *c, bool primary)
{
	c->primary = primary;
	c->miss_send_len = primary ? 128 : 0;
}

enum of_role
of_conn_role(const struct of_conn *c)
{
	return (enum of_role)c->role;
}

void
of_conn_set_role(struct of_conn *c, enum of_role role)
{
	c->role = (uint8_t)role;
}

uint8_t
of_conn_packet_in_reason(const struct of_conn *c, uint8_t reason)
{
	if (reason == FLOWTAB_REASON_EXPLICIT_MISS)
		return c->version >= OF13 ? FLOWTAB_REASON_MISS : FLOWTAB_REASON_ACTION;
	return reason;
}

bool
of_conn_packet_in(struct of_conn *c, const void *data, size_t len, uint32_t in_port,
		uint8_t reason, uint16_t max_len, uint8_t table_id, uint64_t cookie)
{
	size_t n, hdr;
	uint8_t *p;

	if (!c->version || c->dead || c->role == OF_ROLE_SLAVE)
		return false;
	if (reason == 0) {
		/* A miss: the connection's miss_send_len says whether, and how much when no
		 * table-miss rule said it ('max_len' 0). */
		if (c->miss_send_len == 0)
			return false;
		if (max_len == 0)
			max_len = c->miss_send_len;
	}
	if (len > UINT16_MAX)
		len = UINT16_MAX;
	n = len < max_len ? len : max_len;
	/* 18 bytes before the data in 1.0; in 1.3 and later buffer_id, total_len, reason,
	 * table, cookie, a match of in_port and 2 bytes of pad.  Header and data share the
	 * 16-bit length: the data is cut to what fits, never the length. */
	hdr = c->version == OF10 ? 18 : 24 + 16 + 2;
	if (n > OF_MAX_MSG - hdr)
		n = OF_MAX_MSG - hdr;
	if (c->version == OF10) {
		p = of_reply_start(c, OFPT_PACKET_IN, 0, hdr + n);
		of_set32(p + 8, OF_NO_BUFFER);
		of_set16(p + 12, (uint16_t)len);
		of_set16(p + 14, (uint16_t)in_port);
		p[16] = reason;
	} else {
		p = of_reply_start(c, OFPT_PACKET_IN, 0, hdr + n);
		of_set32(p + 8, OF_NO_BUFFER);
		of_set16(p + 12, (uint16_t)len);
		p[14] = reason;
		p[15] = table_id;
		of_set64(p + 16, cookie);
		of_set16(p + 24, 1);                      /* OFPMT_OXM */
		of_set16(p + 26, 12);
		of_set32(p + 28, OXM_HEADER(OXM_CLASS_BASIC, 0, 0, 4));
		of_set32(p + 32, OF13_PORT(in_port));
	}
	if (c->out.oom)
		return false;
	memcpy(p + hdr, data, n);
	return true;
}

void
of_conn_port_status(struct of_conn *c, enum of_port_reason reason,
		const struct of_port_info *port)
{
	uint8_t *p;

	if (!c->version || c->dead)
		return;
	p = of_reply_start(c, OFPT_PORT_STATUS, 0, c->version == OF10 ? 64 :
			c->version >= OF14 ? 16 + of_port14_len() : 80);
	p[8] = (uint8_t)reason;
	if (c->out.oom)
		return;
	if (c->version >= OF14)
		of_put_port14(p + 16, port);
	else if (c->version == OF10)
		of_put_port10(p + 16, port);
	else
		of_put_port13(p + 16, port);
}

void
of_conn_flow_removed(struct of_conn *c, const struct flowtab_rule_info *info, uint8_t reason)
{
	struct of_buf m = { 0 };
	uint32_t sec = (uint32_t)(info->duration_ms / 1000);
	uint32_t nsec = (uint32_t)(info->duration_ms % 1000) * 1000000;
	uint8_t *p;

	if (!c->version || c->dead || c->role == OF_ROLE_SLAVE)
		return;
	/* A service connection only once it asked for asynchronous messages, as in OVS. */
	if (!c->primary && c->miss_send_len == 0)
		return;
	if (c->version >= OF15) {
		of_flow_removed15(c, info, reason);
		return;
	}
	if (c->version == OF10) {
		p = of_buf_put(&m, 88);
		m.len = 8;
		of_match10_encode(&m, &info->match);
		if (m.oom) {
			of_buf_free(&m);    /* no memory: no message, as below */
			return;
		}
		m.len = 88;
		p = m.data;
		of_set64(p + 48, info->cookie);
		of_set16(p + 56, info->priority);
		p[58] = reason;
		of_set32(p + 60, sec);
		of_set32(p + 64, nsec);
		of_set16(p + 68, info->idle_timeout);
		of_set64(p + 72, info->packets);
		of_set64(p + 80, info->bytes);
	} else {
		p = of_buf_put(&m, 56);
		of_set64(p + 8, info->cookie);
		of_set16(p + 16, info->priority);
		p[18] = reason;
		p[19] = info->table_id;
		of_set32(p + 20, sec);
		of_set32(p + 24, nsec);
		of_set16(p + 28, info->idle_timeout);
		of_set16(p + 30, info->hard_timeout);
		of_set64(p + 32, info->packets);
		of_set64(p + 40, info->bytes);
		of_set16(p + 48, OFPMT_OXM);
		m.len = 52;
		of_oxm_encode(&m, &info->match, false);
		if (!m.oom)
			of_set16(m.data + 50, (uint16_t)(m.len - 48));
		of_buf_pad8(&m, 48);
	}
	if (!m.oom) {
		p = of_reply_start(c, OFPT_FLOW_REMOVED, 0, m.len);
		if (!c->out.oom)
			memcpy(p + OF_HDR, m.data + OF_HDR, m.len - OF_HDR);
	}
	of_buf_free(&m);
}

void
of_conn_send_echo(struct of_conn *c)
{
	if (!c->version || c->dead)
		return;
	of_reply_start(c, OFPT_ECHO_REQUEST, 0x80000000u | c->echo_xid++, OF_HDR);
}

/* A packet_out's in_port in the 1.0 numbering flowtab uses; false when it is no port. */
static bool
packet_out_port(uint8_t version, uint32_t port, uint32_t *out)
{
	if (version != OF10)
		port = port >= 0xffffff00u ? port - 0xffff0000u : port >= OFPP_MAX ? 0 : port;
	if (port == OFPP_CONTROLLER || port == OFPP_NONE) {
		*out = FLOWTAB_PORT_NONE;
		return true;
	}
	if (port == 0 || (port >= OFPP_MAX && port != OFPP_LOCAL))
		return false;
	*out = port;
	return true;
}

void
of_handle_packet_out(struct of_conn *c, const uint8_t *msg, size_t len)
{
	size_t fixed = c->version == OF10 ? 16 : 24, alen;
	struct of_text t = { 0 };
	uint32_t in_port, port;
	char *err = NULL;
	enum of_err e;
	int rc;

	if (len < fixed) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	if (c->role == OF_ROLE_SLAVE) {
		of_send_error(c, OFE_IS_SLAVE, msg, len);
		return;
	}
	alen = c->version == OF10 ? of_get16(msg + 14) : of_get16(msg + 16);
	port = c->version == OF10 ? of_get16(msg + 12) : of_get32(msg + 12);
	if (c->version >= OF15) {
		alen = of_get16(msg + 12);
		e = of_packet_out15_head(msg, len, &fixed, &port);
		if (e != OF_OK) {
			of_send_error(c, e, msg, len);
			return;
		}
	}
	if (alen > len - fixed || alen % 8) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	if (of_get32(msg + 8) != OF_NO_BUFFER) {
		/* vireo-dp keeps no buffers: every packet_in said NO_BUFFER. */
		of_send_error(c, OFE_BUFFER_UNKNOWN, msg, len);
		return;
	}
	if (!packet_out_port(c->version, port, &in_port)) {
		of_send_error(c, OFE_BAD_PORT, msg, len);
		return;
	}
	e = of_packet_out_actions_decode(c->version, msg + fixed, alen, &t);
	if (e == OF_OK && len - fixed - alen < 14)
		e = OFE_BAD_LEN;        /* no Ethernet frame to send */
	if (e == OF_OK && c->sw.packet_out == NULL)
		e = OFE_BAD_TYPE;
	if (e != OF_OK) {
		of_send_error(c, e, msg, len);
		of_text_free(&t);
		return;
	}
	/* output:TABLE (a resubmit) runs the table, and so may a group's bucket: the adds
	 * before it must be in. */
	if (t.s && (strstr(t.s, "resubmit") || strstr(t.s, "group:")))
		of_flow_flush(c);
	rc = c->sw.packet_out(c->sw.aux, in_port, t.s ? t.s : "drop", msg + fixed + alen,
			len - fixed - alen, &err);
	if (rc == -EINVAL)
		of_send_error(c, OFE_BAC_BAD_ARGUMENT, msg, len);
	free(err);
	of_text_free(&t);
}

/* A role change asked for by 'c'; the generation id is checked by the caller. */
static void
set_role(struct of_conn *c, enum of_role role)
{
	c->role = (uint8_t)role;
	if (role == OF_ROLE_MASTER && c->sw.became_master != NULL)
		c->sw.became_master(c->sw.aux, c);
}

/*
 * A master or slave request with generation id 'id': false when it is older than the
 * newest the switch has seen (compared as a wrapping difference, as OpenFlow 1.3 6.3.7
 * says); otherwise it becomes the newest.
 */
static bool
election_update(struct of_conn *c, uint64_t id)
{
	struct of_election *e = c->sw.election;

	if (!e)
		return true;
	if (e->defined && (int64_t)(id - e->generation_id) < 0)
		return false;
	e->defined = true;
	e->generation_id = id;
	return true;
}

void
of_handle_role13(struct of_conn *c, const uint8_t *msg, size_t len)
{
	uint32_t role;
	uint8_t *p;

	if (len != 24) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	role = of_get32(msg + 8);
	if (role > OF_ROLE_SLAVE) {
		of_send_error(c, OFE_ROLE_BAD_ROLE, msg, len);
		return;
	}
	if (role != 0) {
		if (role != OF_ROLE_EQUAL && !election_update(c, of_get64(msg + 16))) {
			of_send_error(c, OFE_ROLE_STALE, msg, len);
			return;
		}
		set_role(c, (enum of_role)role);
	}
	p = of_reply_start(c, OF13_ROLE_REPLY, of_get32(msg + 4), 24);
	of_set32(p + 8, c->role);
	/* The switch's generation id; all ones while none was given (as Open vSwitch). */
	of_set64(p + 16, c->sw.election && c->sw.election->defined ?
			c->sw.election->generation_id : UINT64_MAX);
}

void
of_handle_role_nx(struct of_conn *c, const uint8_t *msg, size_t len)
{
	static const uint8_t to_role[] = { OF_ROLE_EQUAL, OF_ROLE_MASTER, OF_ROLE_SLAVE };
	uint32_t role;
	uint8_t *p;

	if (len != 20) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	role = of_get32(msg + 16);
	if (role > NX_ROLE_SLAVE) {
		of_send_error(c, OFE_ROLE_BAD_ROLE, msg, len);
		return;
	}
	set_role(c, (enum of_role)to_role[role]);
	p = of_reply_start(c, OFPT_VENDOR, of_get32(msg + 4), 20);
	of_set32(p + 8, NX_VENDOR_ID);
	of_set32(p + 12, NXT_ROLE_REPLY);
	of_set32(p + 16, role);
}
