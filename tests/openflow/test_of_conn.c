/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * openflow/ under malformed and hostile input, in process: every bad message gets the
 * OpenFlow error its defect calls for, carrying the message's first 64 bytes; the table is
 * unchanged; the connection still answers.  Also version negotiation, framing across reads,
 * and the output bound that stops reading.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "flowtab.h"
#include "flowtab_gm.h"
#include "of_private.h"
#include "openflow.h"

static struct flowtab *ft;

static struct flowtab *
sw_flowtab(void *aux)
{
	(void)aux;
	return ft;
}

/* What the switch's packet_out callback was last given. */
static struct {
	unsigned n;
	uint32_t in_port;
	char actions[256];
	size_t len;
	size_t n_rules;             /* the table's rules when it came */
} po;
static unsigned n_flows_changed;
static struct of_conn *last_master;

static int
sw_packet_out(void *aux, uint32_t in_port, const char *actions, const void *data, size_t len,
		char **err)
{
	(void)aux;
	(void)data;
	(void)err;
	po.n++;
	po.in_port = in_port;
	snprintf(po.actions, sizeof(po.actions), "%s", actions);
	po.len = len;
	po.n_rules = flowtab_n_rules(ft);
	return 0;
}

static void
sw_flows_changed(void *aux)
{
	(void)aux;
	n_flows_changed++;
}

static void
sw_became_master(void *aux, struct of_conn *c)
{
	(void)aux;
	last_master = c;
}

static struct of_election election;
static unsigned frags;

static void
sw_set_frags(void *aux, unsigned f)
{
	(void)aux;
	frags = f;
}

static unsigned
sw_get_frags(void *aux)
{
	(void)aux;
	return frags;
}

static const struct of_switch sw = {
	.datapath_id = 1,
	.name = "br0",
	.flowtab = sw_flowtab,
	.packet_out = sw_packet_out,
	.became_master = sw_became_master,
	.flows_changed = sw_flows_changed,
	.set_frags = sw_set_frags,
	.get_frags = sw_get_frags,
	.election = &election,
};

/* Messages the connection sent since the last call. */
struct replies {
	unsigned n;
	uint8_t msg[64][256];
	size_t len[64];
};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
collect(struct of_conn *c, struct replies *r)
{
	size_t len, off = 0;
	const uint8_t *out = of_conn_output(c, &len);

	r->n = 0;
	while (off + 8 <= len && r->n < 64) {
		size_t m = get16(out + off + 2);

		r->len[r->n] = m;
		memcpy(r->msg[r->n], out + off, m < 256 ? m : 256);
		r->n++;
		off += m;
	}
	of_conn_output_done(c, len);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
header(uint8_t *p, uint8_t version, uint8_t type, size_t len, uint32_t xid)
{
	p[0] = version;
	p[1] = type;
	put16(p + 2, (uint16_t)len);
	put32(p + 4, xid);
}

static struct of_conn *
connect_version(uint8_t version)
{
	struct of_conn *c = of_conn_create(&sw);
	struct replies r;
	uint8_t hello[16];

	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 0, "our hello first");
	header(hello, version, 0, 16, 1);
	put16(hello + 8, 1);
	put16(hello + 10, 8);
	put32(hello + 12, 1u << version);
	CHECK(of_conn_receive(c, hello, sizeof(hello)) == 0, "hello accepted");
	CHECK(of_conn_version(c) == version, "version %u negotiated", version);
	return c;
}

/*
 * Send 'msg'; exactly one reply must come: an error (type, code) quoting its start.  In 1.0,
 * Open vSwitch's own codes (256 and up) come as a vendor error: type NXET_VENDOR (0xb0c2),
 * code 0, Nicira's vendor id, then (type, code).
 */
static void
expect_error(struct of_conn *c, const uint8_t *msg, size_t len, uint16_t type, uint16_t code,
		const char *what)
{
	size_t quoted = len < 64 ? len : 64, hdr = 12;
	struct replies r;

	CHECK(of_conn_receive(c, msg, len) == 0, "%s: connection kept", what);
	collect(c, &r);
	CHECK(r.n == 1, "%s: one reply (%u)", what, r.n);
	if (r.n != 1)
		return;
	CHECK(r.msg[0][1] == 1, "%s: an error (type %u)", what, r.msg[0][1]);
	if (type == 0xffff) {
		CHECK(((uint32_t)get16(r.msg[0] + 12) << 16 | get16(r.msg[0] + 14)) == 0x2320,
				"%s: a Nicira experimenter error", what);
		hdr = 16;
	} else if (r.msg[0][0] == 1 && code >= 256) {
		CHECK(get16(r.msg[0] + 8) == 0xb0c2 && get16(r.msg[0] + 10) == 0 &&
				((uint32_t)get16(r.msg[0] + 12) << 16 | get16(r.msg[0] + 14)) == 0x2320,
				"%s: a Nicira vendor error (%u,%u)", what, get16(r.msg[0] + 8),
				get16(r.msg[0] + 10));
		hdr = 20;
	}
	CHECK(get16(r.msg[0] + (hdr == 20 ? 16 : 8)) == type &&
			get16(r.msg[0] + (hdr == 20 ? 18 : 10)) == code,
			"%s: error (%u,%u), expected (%u,%u)", what,
			get16(r.msg[0] + (hdr == 20 ? 16 : 8)),
			get16(r.msg[0] + (hdr == 20 ? 18 : 10)), type, code);
	CHECK(r.len[0] == hdr + quoted && !memcmp(r.msg[0] + hdr, msg, quoted),
			"%s: the first %zu bytes of the message are quoted", what, quoted);
	CHECK(!memcmp(r.msg[0] + 4, msg + 4, 4), "%s: same xid", what);
}

/* The connection still answers an echo. */
static void
expect_alive(struct of_conn *c, uint8_t version, const char *what)
{
	uint8_t echo[12] = { 0 };
	struct replies r;

	header(echo, version, 2, sizeof(echo), 77);
	memcpy(echo + 8, "ping", 4);
	CHECK(of_conn_receive(c, echo, sizeof(echo)) == 0, "%s: echo accepted", what);
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 3 && r.len[0] == 12 && !memcmp(r.msg[0] + 8, "ping", 4),
			"%s: echo answered", what);
}

/* An OpenFlow 1.3 flow_mod ADD in 'buf': OXM fields 'oxm', then instructions 'ins'. */
static size_t
flow_mod13(uint8_t *buf, uint8_t table, const uint8_t *oxm, size_t oxm_len, const uint8_t *ins,
		size_t ins_len)
{
	size_t mlen = 4 + oxm_len, mpad = (mlen + 7) & ~(size_t)7, len = 48 + mpad + ins_len;

	memset(buf, 0, len);
	header(buf, 4, 14, len, 9);
	buf[24] = table;
	put16(buf + 30, 100);               /* priority */
	put32(buf + 32, 0xffffffff);        /* no buffer */
	put32(buf + 36, 0xffffffff);
	put32(buf + 40, 0xffffffff);
	put16(buf + 48, 1);
	put16(buf + 50, (uint16_t)mlen);
	if (oxm_len)
		memcpy(buf + 52, oxm, oxm_len);
	if (ins_len)
		memcpy(buf + 48 + mpad, ins, ins_len);
	return len;
}

/* apply_actions(output:2) */
static const uint8_t apply_out2[] = {
	0, 4, 0, 24, 0, 0, 0, 0,
	0, 0, 0, 16, 0, 0, 0, 2, 0xff, 0xff, 0, 0, 0, 0, 0, 0,
};
static const uint8_t oxm_ip[] = { 0x80, 0, 10, 2, 0x08, 0x00 };    /* eth_type=0x0800 */

/* Send a bad 1.3 flow_mod: the error, the table unchanged, the connection alive. */
static void
bad13(struct of_conn *c, uint8_t *m, size_t len, uint16_t type, uint16_t code, const char *what)
{
	size_t before = flowtab_n_rules(ft);

	header(m, 4, 14, len, 9);
	expect_error(c, m, len, type, code, what);
	CHECK(flowtab_n_rules(ft) == before, "%s: table unchanged", what);
	expect_alive(c, 4, what);
}

static void
test_of13_flow_mod(void)
{
	static const uint8_t dup[] = { 0x80, 0, 10, 2, 0x08, 0, 0x80, 0, 10, 2, 0x08, 0 };
	static const uint8_t metadata[] = { 0x80, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t no_prereq[] = { 0x80, 0, 22, 4, 10, 0, 0, 1 };   /* ipv4_src */
	static const uint8_t masked_type[] = { 0x80, 0, 11, 4, 0x08, 0, 0xff, 0xff };
	static const uint8_t truncated[] = { 0x80, 0, 22, 16, 10, 0, 0, 1 };  /* says 16 bytes */
	static const uint8_t bad_class[] = { 0x12, 0x34, 0, 2, 0, 0 };
	static const uint8_t bad_in_port[] = { 0x80, 0, 0, 4, 0xff, 0xff, 0xff, 0xfd };
	/* No port in 1.1+: between OFPP_MAX and the reserved 0xffffff00 (0xfffe is 1.0's LOCAL). */
	static const uint32_t no_ports[] = { 0xff00, 0xfffe, 0x10000, 0xfffffeff };
	uint8_t no_port[8] = { 0x80, 0, 0, 4 };
	unsigned i;
	uint8_t m[512], ins[64];
	struct of_conn *c = connect_version(4);
	size_t len;

	len = flow_mod13(m, 0, NULL, 0, apply_out2, sizeof(apply_out2));
	bad13(c, m, 40, 1, 6, "flow_mod shorter than its fixed part");
	len = flow_mod13(m, 0, NULL, 0, NULL, 0);
	put16(m + 50, 200);
	bad13(c, m, len, 4, 1, "match length beyond the message");
	put16(m + 50, 2);
	bad13(c, m, len, 4, 1, "match length under its header");
	put16(m + 48, 0);
	put16(m + 50, 4);
	bad13(c, m, len, 4, 0, "a match that is not OXM");
	len = flow_mod13(m, 0, truncated, sizeof(truncated), NULL, 0);
	bad13(c, m, len, 4, 1, "an OXM field longer than the match");
	len = flow_mod13(m, 0, oxm_ip, 3, NULL, 0);
	bad13(c, m, len, 4, 1, "an OXM header cut short");
	len = flow_mod13(m, 0, metadata, sizeof(metadata), NULL, 0);
	bad13(c, m, len, 4, 6, "metadata (flowtab has none)");
	len = flow_mod13(m, 0, bad_class, sizeof(bad_class), NULL, 0);
	bad13(c, m, len, 4, 6, "an unknown OXM class");
	len = flow_mod13(m, 0, dup, sizeof(dup), NULL, 0);
	bad13(c, m, len, 4, 10, "eth_type twice");
	len = flow_mod13(m, 0, no_prereq, sizeof(no_prereq), NULL, 0);
	bad13(c, m, len, 4, 9, "ipv4_src without eth_type");
	len = flow_mod13(m, 0, masked_type, sizeof(masked_type), NULL, 0);
	bad13(c, m, len, 4, 8, "a mask on eth_type");
	len = flow_mod13(m, 0, bad_in_port, sizeof(bad_in_port), NULL, 0);
	bad13(c, m, len, 4, 7, "in_port CONTROLLER");
	for (i = 0; i < sizeof(no_ports) / sizeof(no_ports[0]); i++) {
		put32(no_port + 4, no_ports[i]);
		len = flow_mod13(m, 0, no_port, sizeof(no_port), NULL, 0);
		bad13(c, m, len, 4, 7, "in_port between OFPP_MAX and the reserved ports");
	}

	/* Instructions and actions. */
	memcpy(ins, apply_out2, sizeof(apply_out2));
	put16(ins + 2, 64);
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), ins, sizeof(apply_out2));
	bad13(c, m, len, 3, 7, "an instruction longer than the message");
	put16(ins + 2, 4);
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), ins, sizeof(apply_out2));
	bad13(c, m, len, 3, 7, "an instruction of 4 bytes");
	memcpy(ins, apply_out2, sizeof(apply_out2));
	put16(ins + 10, 12);
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), ins, sizeof(apply_out2));
	bad13(c, m, len, 2, 1, "an action length not a multiple of 8");
	put16(ins + 10, 0);
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), ins, sizeof(apply_out2));
	bad13(c, m, len, 2, 1, "an action of length 0");
	put16(ins + 10, 16);
	put16(ins + 8, 22);
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), ins, sizeof(apply_out2));
	bad13(c, m, len, 2, 1, "a group action of 16 bytes");
	put16(ins + 8, 0);
	put32(ins + 12, 0xffffffff);
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), ins, sizeof(apply_out2));
	bad13(c, m, len, 2, 4, "output to ANY");
	put32(ins + 12, 0xfffffff9);
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), ins, sizeof(apply_out2));
	bad13(c, m, len, 2, 4, "output to TABLE in a rule");
	memcpy(ins, apply_out2, sizeof(apply_out2));
	put16(ins, 3);
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), ins, sizeof(apply_out2));
	bad13(c, m, len, 3, 1, "write_actions");
	put16(ins, 77);
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), ins, sizeof(apply_out2));
	bad13(c, m, len, 3, 0, "an unknown instruction");
	memset(ins, 0, 8);
	put16(ins, 1);
	put16(ins + 2, 8);
	ins[4] = 2;
	len = flow_mod13(m, 3, oxm_ip, sizeof(oxm_ip), ins, 8);
	bad13(c, m, len, 3, 2, "goto_table to an earlier table");
	len = flow_mod13(m, 255, oxm_ip, sizeof(oxm_ip), apply_out2, sizeof(apply_out2));
	bad13(c, m, len, 5, 2, "add to table 255 (all tables)");
	for (i = 1; i <= 2; i++) {
		len = flow_mod13(m, 255, oxm_ip, sizeof(oxm_ip), apply_out2, sizeof(apply_out2));
		m[25] = (uint8_t)i;
		bad13(c, m, len, 5, 2, i == 1 ? "modify in table 255 (all tables)" :
				"modify_strict in table 255 (all tables)");
	}
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), apply_out2, sizeof(apply_out2));
	m[25] = 9;
	bad13(c, m, len, 5, 6, "an unknown command");

	/* A good one goes in, through the same parser as vireoctl add-flow. */
	CHECK(flowtab_n_rules(ft) == 0, "no rule before");
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), apply_out2, sizeof(apply_out2));
	CHECK(of_conn_receive(c, m, len) == 0, "good flow_mod");
	{
		struct replies r;
		char *out = NULL, *err = NULL;

		collect(c, &r);
		CHECK(r.n == 0, "no reply to a good flow_mod (%u)", r.n);
		CHECK(flowtab_n_rules(ft) == 1, "one rule after");
		flowtab_dump_flows(ft, NULL, &out, &err);
		CHECK(out && strstr(out, "priority=100,ip actions=output:2"), "dump-flows: %s", out);
		free(out);
		free(err);
	}
	of_conn_destroy(c);
}

static void
test_of13_other(void)
{
	struct of_conn *c = connect_version(4);
	uint8_t m[128] = { 0 };

	header(m, 4, 99, 100, 5);
	expect_error(c, m, 100, 1, 1, "an unknown message type (quoted: 64 of 100 bytes)");
	header(m, 1, 2, 8, 6);
	expect_error(c, m, 8, 1, 0, "a 1.0 message on a 1.3 connection");
	header(m, 4, 18, 16, 7);
	put16(m + 8, 99);
	expect_error(c, m, 16, 1, 2, "an unknown multipart type");
	put16(m + 8, 1);
	expect_error(c, m, 16, 1, 6, "a flow multipart request without its body");
	header(m, 4, 18, 20, 7);
	put16(m + 8, 0);
	expect_error(c, m, 20, 1, 6, "a desc request with a body");
	header(m, 4, 4, 16, 8);
	put32(m + 8, 0x12345678);
	expect_error(c, m, 16, 1, 3, "an unknown experimenter");
	put32(m + 8, 0x2320);
	put32(m + 12, 999);
	expect_error(c, m, 16, 1, 4, "an unknown Nicira subtype");
	header(m, 4, 4, 12, 8);
	expect_error(c, m, 12, 1, 6, "an experimenter message cut short");
	header(m, 4, 9, 16, 10);
	expect_error(c, m, 16, 1, 6, "set_config of 16 bytes");
	header(m, 4, 5, 12, 11);
	expect_error(c, m, 12, 1, 6, "features_request with a body");
	header(m, 4, 13, 20, 12);
	expect_error(c, m, 20, 1, 6, "packet_out shorter than its fixed part");
	/* group_mod: command, type, group; a bucket: len, weight, watch_port, watch_group. */
	memset(m, 0, 64);
	header(m, 4, 15, 12, 12);
	expect_error(c, m, 12, 1, 6, "group_mod shorter than its fixed part");
	header(m, 4, 15, 16, 12);
	put16(m + 8, 7);
	expect_error(c, m, 16, 6, 11, "group_mod with command 7");
	put16(m + 8, 0);
	m[10] = 9;
	put32(m + 12, 1);
	expect_error(c, m, 16, 6, 10, "group_mod of type 9");
	m[10] = 0;
	header(m, 4, 15, 32, 12);
	put16(m + 16, 24);
	put32(m + 20, 0xffffffff);
	put32(m + 24, 0xffffffff);
	expect_error(c, m, 32, 1, 6, "a bucket longer than the message");
	put16(m + 16, 16);
	put32(m + 24, 5);
	m[10] = 1;                          /* select: a type whose buckets may watch */
	expect_error(c, m, 32, 6, 13, "a bucket watching a group that does not exist");
	put32(m + 24, 0xffffffff);
	header(m, 4, 15, 16, 12);
	m[10] = 2;
	expect_error(c, m, 16, 6, 1, "an indirect group without a bucket");
	/* meter_mod: command, flags, meter; a band: type, len, rate, burst. */
	memset(m, 0, 64);
	header(m, 4, 29, 32, 12);
	put16(m + 10, 1);
	put32(m + 12, 1);
	put16(m + 16, 2);
	put16(m + 18, 16);
	put32(m + 20, 10);
	expect_error(c, m, 32, 12, 8, "a dscp_remark band");
	put16(m + 16, 1);
	put32(m + 20, 0);
	expect_error(c, m, 32, 12, 6, "a band of rate 0");
	put32(m + 20, 10);
	put16(m + 10, 3);
	expect_error(c, m, 32, 12, 5, "kbps and pktps");
	put16(m + 10, 1);
	put16(m + 18, 24);
	expect_error(c, m, 32, 1, 6, "a band longer than the message");
	put16(m + 18, 16);
	header(m, 4, 29, 16, 12);
	expect_error(c, m, 16, 12, 8, "a meter without a band");
	put32(m + 12, 0);
	header(m, 4, 29, 32, 12);
	expect_error(c, m, 32, 12, 2, "meter 0");
	put32(m + 12, 1);
	put16(m + 8, 1);
	expect_error(c, m, 32, 12, 3, "modify of a meter that does not exist");
	expect_alive(c, 4, "after the other bad messages");
	of_conn_destroy(c);
}

static void
test_of10(void)
{
	struct of_conn *c = connect_version(1);
	uint8_t m[256] = { 0 };
	size_t before = flowtab_n_rules(ft);

	/* OFPT_FLOW_MOD 1.0: match all, actions output:NONE. */
	header(m, 1, 14, 80, 20);
	put32(m + 8, (1u << 22) - 1);
	put16(m + 62, 10);
	put32(m + 64, 0xffffffff);
	put16(m + 72, 0);
	put16(m + 74, 8);
	put16(m + 76, 0xffff);
	expect_error(c, m, 80, 2, 4, "1.0: output to NONE");
	put16(m + 74, 12);
	expect_error(c, m, 80, 2, 1, "1.0: an action of 12 bytes in 8");
	put16(m + 72, 11);
	put16(m + 74, 16);
	header(m, 1, 14, 88, 20);
	expect_error(c, m, 88, 2, 0, "1.0: enqueue (no queues)");
	CHECK(flowtab_n_rules(ft) == before, "1.0: table unchanged");

	/* NXT_FLOW_MOD: match_len beyond the message. */
	memset(m, 0, sizeof(m));
	header(m, 1, 4, 56, 21);
	put32(m + 8, 0x2320);
	put32(m + 12, 13);
	put16(m + 40, 64);
	expect_error(c, m, 56, 1, 256, "NXT_FLOW_MOD: match_len beyond the message (NXBRC_NXM_INVALID)");
	/* A REG_LOAD of half an IPv6 address: flowtab has no partial set. */
	put16(m + 40, 0);
	header(m, 1, 4, 72, 21);
	put16(m + 48, 0xffff);
	put16(m + 50, 24);
	put32(m + 52, 0x2320);
	put16(m + 56, 7);
	put16(m + 58, 63);                  /* ofs 0, 64 bits */
	put32(m + 60, 0x00012610);          /* NXM_NX_IPV6_SRC */
	expect_error(c, m, 72, 1, 525, "NXAST_REG_LOAD of half an IPv6 address");
	put32(m + 60, 0x00013a01);          /* NXM_NX_IP_TTL, 8 bits */
	put16(m + 58, 7);
	m[71] = 0xff;
	m[70] = 1;                          /* value 0x1ff: more than 8 bits */
	expect_error(c, m, 72, 2, 5, "NXAST_REG_LOAD of a value wider than its bits");
	CHECK(flowtab_n_rules(ft) == before, "NX: table unchanged");
	/* NXST_FLOW with a match longer than the request. */
	memset(m, 0, sizeof(m));
	header(m, 1, 16, 32, 22);
	put16(m + 8, 0xffff);
	put32(m + 12, 0x2320);
	put32(m + 16, 0);
	put16(m + 24, 0xffff);
	put16(m + 26, 40);
	expect_error(c, m, 32, 1, 256, "NXST_FLOW: match_len beyond the request");
	expect_alive(c, 1, "1.0 after the bad messages");
	of_conn_destroy(c);
}

/* A 1.0 flow_mod (match all, drop) with 'flags' and 'idle' timeout. */
static size_t
flow_mod10(uint8_t *m, uint16_t flags, uint16_t idle)
{
	memset(m, 0, 72);
	header(m, 1, 14, 72, 30);
	put32(m + 8, (1u << 22) - 1);
	put16(m + 58, idle);
	put16(m + 62, 10);
	put32(m + 64, 0xffffffff);
	put16(m + 68, 0xffff);
	put16(m + 70, flags);
	return 72;
}

/*
 * flow_mod flags as Open vSwitch takes them: unknown bits refused (OFPFMFC_BAD_FLAGS), 1.0's
 * EMERG refused, CHECK_OVERLAP refusing an overlapping add of the same priority.
 */
static void
test_flow_mod_flags(void)
{
	static const uint8_t oxm_src[] = {
		0x80, 0, 10, 2, 0x08, 0x00, 0x80, 0, 22, 4, 10, 0, 0, 1,  /* ip,nw_src=10.0.0.1 */
	};
	struct of_conn *c = connect_version(1);
	size_t before = flowtab_n_rules(ft), len;
	uint8_t m[256];
	struct replies r;
	char *err = NULL;

	len = flow_mod10(m, 8, 0);
	expect_error(c, m, len, 3, 258, "1.0: flag 8 (NXFMFC_BAD_FLAGS, 1.0 has no code)");
	len = flow_mod10(m, 4, 0);
	expect_error(c, m, len, 3, 0, "1.0: EMERG (no emergency table: OFPFMFC_TABLE_FULL)");
	len = flow_mod10(m, 4, 10);
	expect_error(c, m, len, 3, 3, "1.0: EMERG with a timeout (OFPFMFC_BAD_EMERG_TIMEOUT)");
	CHECK(flowtab_n_rules(ft) == before, "1.0 flags: table unchanged");
	of_conn_destroy(c);

	c = connect_version(4);
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), apply_out2, sizeof(apply_out2));
	put16(m + 30, 200);
	put16(m + 44, 0x20);
	expect_error(c, m, len, 5, 7, "1.3: flag 0x20 (OFPFMFC_BAD_FLAGS)");
	put16(m + 44, 0x1c);                /* RESET_COUNTS, NO_PKT_COUNTS, NO_BYT_COUNTS */
	CHECK(of_conn_receive(c, m, len) == 0, "1.3: the counter flags");
	collect(c, &r);
	CHECK(r.n == 0 && flowtab_n_rules(ft) == before + 1, "... are taken (%u replies)", r.n);
	len = flow_mod13(m, 0, oxm_src, sizeof(oxm_src), apply_out2, sizeof(apply_out2));
	put16(m + 30, 200);
	put16(m + 44, 2);                   /* CHECK_OVERLAP */
	expect_error(c, m, len, 5, 3, "1.3: CHECK_OVERLAP, 'ip' has the same priority");
	put16(m + 30, 201);
	CHECK(of_conn_receive(c, m, len) == 0, "1.3: CHECK_OVERLAP, another priority");
	collect(c, &r);
	CHECK(r.n == 0 && flowtab_n_rules(ft) == before + 2, "... goes in (%u replies)", r.n);
	CHECK(of_conn_receive(c, m, len) == 0, "1.3: CHECK_OVERLAP, the same match");
	collect(c, &r);
	CHECK(r.n == 0 && flowtab_n_rules(ft) == before + 2, "... replaces it (%u replies)", r.n);
	flowtab_del_flows(ft, "priority=200,ip", true, NULL, &err);
	free(err);
	flowtab_del_flows(ft, "priority=201,ip,nw_src=10.0.0.1", true, NULL, &err);
	free(err);
	CHECK(flowtab_n_rules(ft) == before, "the table as it was");
	of_conn_destroy(c);
}

/* A SET_CONFIG of 'flags' in 'version', miss_send_len 128. */
static size_t
set_config(uint8_t *m, uint8_t version, uint16_t flags)
{
	header(m, version, 9, 12, 40);
	put16(m + 8, flags);
	put16(m + 10, 128);
	return 12;
}

/* GET_CONFIG's flags on 'c'. */
static uint16_t
get_frags(struct of_conn *c, uint8_t version)
{
	uint8_t m[8];
	struct replies r;

	header(m, version, 7, 8, 41);
	CHECK(of_conn_receive(c, m, 8) == 0, "GET_CONFIG");
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 8 && r.len[0] == 12, "GET_CONFIG reply");
	return r.n == 1 ? get16(r.msg[0] + 8) : 0xffff;
}

/*
 * SET_CONFIG's fragment handling is the switch's: drop set on one connection reads back on
 * another; the modes and flags there is no implementation for are refused.
 */
static void
test_set_config(void)
{
	struct of_conn *a = connect_version(4), *b;
	uint8_t m[16];
	struct replies r;

	CHECK(of_conn_receive(a, m, set_config(m, 4, 1)) == 0, "frag drop");
	collect(a, &r);
	CHECK(r.n == 0 && frags == 1, "... taken by the switch (%u replies, frags %u)", r.n,
		frags);
	b = connect_version(1);
	CHECK(get_frags(b, 1) == 1, "another connection reads frag drop back");
	expect_error(a, m, set_config(m, 4, 2), 10, 0, "1.3: frag reassemble (OFPSCFC_BAD_FLAGS)");
	expect_error(a, m, set_config(m, 4, 3), 10, 0, "1.3: frag nx-match (OFPSCFC_BAD_FLAGS)");
	expect_error(a, m, set_config(m, 4, 4), 10, 0, "1.3: flag 4 (OFPSCFC_BAD_FLAGS)");
	expect_error(b, m, set_config(m, 1, 2), 1, 521,
		"1.0: frag reassemble (NXBRC_UNENCODABLE_ERROR, 1.0 has no code)");
	expect_error(b, m, set_config(m, 1, 4), 1, 521,
		"1.0: invalid TTL to controller (no such packet_in here)");
	CHECK(frags == 1 && get_frags(a, 4) == 1, "the refused modes changed nothing");
	CHECK(of_conn_receive(b, m, set_config(m, 1, 0)) == 0, "frag normal");
	collect(b, &r);
	CHECK(r.n == 0 && frags == 0 && get_frags(a, 4) == 0, "... read back as normal");
	of_conn_destroy(a);
	of_conn_destroy(b);
}

static void
test_negotiation_and_framing(void)
{
	struct of_conn *c = of_conn_create(&sw);
	uint8_t m[32] = { 0 };
	struct replies r;
	unsigned i;

	collect(c, &r);
	header(m, 4, 2, 8, 1);
	CHECK(of_conn_receive(c, m, 8) == -EPROTO, "a message before hello closes");
	collect(c, &r);
	CHECK(r.n == 1 && get16(r.msg[0] + 8) == 0, "... with HELLO_FAILED");
	of_conn_destroy(c);

	c = of_conn_create(&sw);
	collect(c, &r);
	header(m, 4, 0, 16, 1);
	put16(m + 8, 1);
	put16(m + 10, 8);
	put32(m + 12, 1u << 2 | 1u << 3);   /* 1.1 and 1.2 only */
	CHECK(of_conn_receive(c, m, 16) == -EPROTO, "no common version closes");
	collect(c, &r);
	CHECK(r.n == 1 && get16(r.msg[0] + 8) == 0 && get16(r.msg[0] + 10) == 0,
			"... with HELLO_FAILED/INCOMPATIBLE");
	of_conn_destroy(c);

	c = of_conn_create(&sw);
	collect(c, &r);
	header(m, 7, 0, 8, 1);              /* 1.6, no bitmap: we answer in 1.5 */
	CHECK(of_conn_receive(c, m, 8) == 0 && of_conn_version(c) == 6, "1.6 hello: 1.5");
	/* An echo fed one byte at a time is one message. */
	header(m, 6, 2, 12, 3);
	for (i = 0; i < 12; i++)
		CHECK(of_conn_receive(c, m + i, 1) == 0, "byte %u", i);
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 3, "echo across 12 reads answered once");
	header(m, 6, 2, 4, 3);
	CHECK(of_conn_receive(c, m, 8) == -EPROTO, "a length under 8 closes");
	collect(c, &r);
	CHECK(r.n == 1 && get16(r.msg[0] + 10) == 6, "... with BAD_LEN");
	of_conn_destroy(c);

	/* Replies not read by the peer stop the reading of requests. */
	c = connect_version(4);
	of_conn_set_out_limit(c, 100);
	{
		uint8_t many[10 * 40] = { 0 };
		size_t len, total = 0;

		for (i = 0; i < 10; i++)
			header(many + 40 * i, 4, 2, 40, 100 + i);
		CHECK(of_conn_receive(c, many, sizeof(many)) == 0, "10 echoes given");
		of_conn_output(c, &len);
		CHECK(len < 10 * 40 && !of_conn_want_input(c),
				"output bounded: %zu bytes queued, reading stopped", len);
		while (total < 10 * 40) {
			of_conn_output(c, &len);
			if (!len)
				break;
			total += len;
			of_conn_output_done(c, len);
			CHECK(of_conn_receive(c, NULL, 0) == 0, "resume");
		}
		CHECK(total == 10 * 40, "all 10 echoes answered once drained (%zu bytes)", total);
	}
	of_conn_destroy(c);
}

/* A 1.3 packet_out of a 60-byte frame with 'acts' ('alen' bytes); returns its length. */
static size_t
packet_out13(uint8_t *m, uint32_t buffer, uint32_t in_port, const uint8_t *acts, size_t alen)
{
	size_t len = 24 + alen + 60;

	memset(m, 0, len);
	header(m, 4, 13, len, 40);
	put32(m + 8, buffer);
	put32(m + 12, in_port);
	put16(m + 16, (uint16_t)alen);
	memcpy(m + 24, acts, alen);
	memset(m + 24 + alen, 0xab, 60);
	return len;
}

static void
test_async13(void)
{
	static const uint8_t out_table[16] = { 0, 0, 0, 16, 0xff, 0xff, 0xff, 0xf9, 0, 0 };
	static const uint8_t out_3[16] = { 0, 0, 0, 16, 0, 0, 0, 3, 0xff, 0xff };
	static const uint8_t set_queue[8] = { 0, 21, 0, 8, 0, 0, 0, 1 };
	struct of_conn *c = connect_version(4), *c2, *c3;
	struct of_port_info pi = { .ofport = 7, .name = "p7", .link_up = true };
	uint8_t m[256], frame[200];
	struct replies r;
	size_t len;

	/* packet_out: the actions as text, the frame, in_port CONTROLLER as no port. */
	len = packet_out13(m, 0xffffffff, 0xfffffffd, out_table, 16);
	CHECK(of_conn_receive(c, m, len) == 0, "packet_out accepted");
	collect(c, &r);
	CHECK(r.n == 0 && po.n == 1 && !strcmp(po.actions, "resubmit(,0)") && po.len == 60 &&
		po.in_port == FLOWTAB_PORT_NONE, "packet_out output:TABLE: %u replies, %u calls, "
		"'%s', %zu bytes", r.n, po.n, po.actions, po.len);
	len = packet_out13(m, 0xffffffff, 2, out_3, 16);
	CHECK(of_conn_receive(c, m, len) == 0, "packet_out 2");
	collect(c, &r);
	CHECK(r.n == 0 && po.n == 2 && !strcmp(po.actions, "output:3") && po.in_port == 2,
		"packet_out in_port 2 output:3: '%s' from %u", po.actions, po.in_port);
	len = packet_out13(m, 5, 2, out_3, 16);
	expect_error(c, m, len, 1, 8, "packet_out of a buffer (none are kept)");
	len = packet_out13(m, 0xffffffff, 0xffffff00, out_3, 16);
	expect_error(c, m, len, 1, 11, "packet_out from a reserved in_port");
	len = packet_out13(m, 0xffffffff, 1, set_queue, 8);
	expect_error(c, m, len, 2, 0, "packet_out with set_queue");
	len = packet_out13(m, 0xffffffff, 1, out_3, 16);
	put16(m + 16, 200);
	expect_error(c, m, len, 1, 6, "packet_out with actions beyond the message");
	CHECK(po.n == 2, "no bad packet_out reached the switch (%u)", po.n);

	/* packet_in: a miss carries miss_send_len (128) bytes, an action its max_len. */
	memset(frame, 0x5a, sizeof(frame));
	CHECK(of_conn_packet_in(c, frame, sizeof(frame), 3, 0, 0, 0, UINT64_MAX),
		"miss queued");
	CHECK(of_conn_packet_in(c, frame, sizeof(frame), 3, 1, 40, 2, 0x99), "action queued");
	collect(c, &r);
	CHECK(r.n == 2 && r.msg[0][1] == 10 && r.len[0] == 42 + 128 &&
		get16(r.msg[0] + 12) == 200 && r.msg[0][14] == 0 &&
		get16(r.msg[0] + 24) == 1 && r.msg[0][35] == 3 && r.msg[0][31] == 4,
		"1.3 miss packet_in: %u msgs, type %u, %zu bytes, total %u, reason %u",
		r.n, r.msg[0][1], r.len[0], get16(r.msg[0] + 12), r.msg[0][14]);
	CHECK(r.n == 2 && r.len[1] == 42 + 40 && r.msg[1][14] == 1 && r.msg[1][15] == 2 &&
		r.msg[1][23] == 0x99 && r.msg[1][42] == 0x5a, "1.3 action packet_in: %zu bytes, "
		"reason %u, table %u", r.len[1], r.msg[1][14], r.msg[1][15]);

	/* port_status, then roles: a slave gets no packet_in and may not change anything. */
	of_conn_port_status(c, OF_PORT_ADD, &pi);
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 12 && r.len[0] == 80 && r.msg[0][8] == 0 &&
		r.msg[0][19] == 7 && !strcmp((char *)r.msg[0] + 32, "p7"),
		"1.3 port_status add of port 7");
	memset(m, 0, 24);
	header(m, 4, 24, 24, 50);
	put32(m + 8, 3);
	m[23] = 9;
	CHECK(of_conn_receive(c, m, 24) == 0, "role request slave");
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 25 && get16(r.msg[0] + 10) == 3 && r.msg[0][23] == 9 &&
		of_conn_role(c) == OF_ROLE_SLAVE, "role reply slave");
	CHECK(!of_conn_packet_in(c, frame, 60, 1, 1, 60, 0, 0), "no packet_in to a slave");
	len = packet_out13(m, 0xffffffff, 2, out_3, 16);
	expect_error(c, m, len, 1, 10, "packet_out from a slave");
	header(m, 4, 24, 24, 51);
	put32(m + 8, 7);
	expect_error(c, m, 24, 11, 2, "role request of an unknown role");
	c2 = connect_version(4);
	memset(m, 0, 24);
	header(m, 4, 24, 24, 52);
	put32(m + 8, 2);
	m[23] = 10;
	CHECK(of_conn_receive(c2, m, 24) == 0 && last_master == c2 &&
		of_conn_role(c2) == OF_ROLE_MASTER, "role request master: the owner is told");
	collect(c2, &r);
	CHECK(r.n == 1 && get16(r.msg[0] + 10) == 2 && r.msg[0][23] == 10,
		"role reply master, generation 10");
	/* Generation ids are the switch's: older ones are stale, equal needs none. */
	m[23] = 9;
	header(m, 4, 24, 24, 53);
	expect_error(c, m, 24, 11, 0, "master with generation 9 after 10: STALE");
	CHECK(of_conn_role(c) == OF_ROLE_SLAVE && of_conn_role(c2) == OF_ROLE_MASTER,
		"... roles unchanged");
	put32(m + 8, 3);
	m[16] = 0xff;               /* 2^64 - 246: before 10 in wrapping order */
	header(m, 4, 24, 24, 54);
	expect_error(c, m, 24, 11, 0, "slave with a wrapped-back generation: STALE");
	put32(m + 8, 1);
	header(m, 4, 24, 24, 55);
	CHECK(of_conn_receive(c, m, 24) == 0, "equal with an old generation");
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 25 && get16(r.msg[0] + 10) == 1 && r.msg[0][23] == 10 &&
		r.msg[0][16] == 0, "equal is granted; the reply carries the switch's generation 10");
	memset(m + 16, 0, 8);
	put32(m + 8, 3);
	m[23] = 11;
	header(m, 4, 24, 24, 56);
	CHECK(of_conn_receive(c, m, 24) == 0 && of_conn_role(c) == OF_ROLE_SLAVE,
		"slave with generation 11");
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][23] == 11, "role reply slave, generation 11");
	/* flow_removed: 1.3 layout (cookie, priority, reason, table, counters, OXM match). */
	{
		struct flowtab_rule_info info = { .table_id = 3, .priority = 9, .cookie = 0x55,
			.duration_ms = 2500, .packets = 7, .bytes = 700, .idle_timeout = 4 };

		info.match.dl_type = 0x0800;
		info.match.dl_type_mask = 0xffff;
		of_conn_set_role(c, OF_ROLE_EQUAL);
		of_conn_flow_removed(c, &info, 1);
		collect(c, &r);
		CHECK(r.n == 1 && r.msg[0][1] == 11 && r.msg[0][15] == 0x55 && r.msg[0][17] == 9 &&
			r.msg[0][18] == 1 && r.msg[0][19] == 3 && r.msg[0][23] == 2 &&
			r.msg[0][39] == 7 && get16(r.msg[0] + 48) == 1 && r.len[0] % 8 == 0 &&
			get16(r.msg[0] + 50) == 4 + 6, "1.3 flow_removed: %u msgs, %zu bytes", r.n,
			r.len[0]);
		/* A service connection (ovs-ofctl's): only once it set a miss_send_len. */
		c3 = connect_version(6);
		of_conn_set_primary(c3, false);
		of_conn_flow_removed(c3, &info, 2);
		collect(c3, &r);
		CHECK(r.n == 0, "service connection: no flow_removed before SET_CONFIG");
		header(m, 6, 9, 12, 53);
		put16(m + 8, 0);
		put16(m + 10, 0xffff);
		CHECK(of_conn_receive(c3, m, 12) == 0, "SET_CONFIG miss_send_len");
		of_conn_flow_removed(c3, &info, 2);
		collect(c3, &r);
		/* 1.5: table, reason, priority, timeouts, cookie; match; OXS statistics. */
		CHECK(r.n == 1 && r.msg[0][0] == 6 && r.msg[0][1] == 11 && r.msg[0][8] == 3 &&
			r.msg[0][9] == 2 && get16(r.msg[0] + 10) == 9 && r.msg[0][23] == 0x55 &&
			get16(r.msg[0] + 24) == 1 && get16(r.msg[0] + 26) == 10 &&
			get16(r.msg[0] + 40 + 2) == 4 + 4 * 12 && get16(r.msg[0] + 44) == 0x8002 &&
			r.len[0] == 40 + 56, "1.5 flow_removed: %u msgs, %zu bytes", r.n, r.len[0]);
		of_conn_destroy(c3);
		of_conn_set_role(c, OF_ROLE_SLAVE);
	}
	expect_alive(c, 4, "after the async messages");
	of_conn_destroy(c2);
	of_conn_destroy(c);
}

static void
test_async10(void)
{
	static const uint8_t out_flood[8] = { 0, 0, 0, 8, 0xff, 0xfb, 0, 0 };
	struct of_conn *c = connect_version(1);
	uint8_t m[256] = { 0 }, frame[100];
	struct replies r;

	header(m, 1, 13, 16 + 8 + 64, 60);
	put32(m + 8, 0xffffffff);
	put16(m + 12, 0xffff);
	put16(m + 14, 8);
	memcpy(m + 16, out_flood, 8);
	po.n = 0;
	CHECK(of_conn_receive(c, m, 88) == 0, "1.0 packet_out");
	collect(c, &r);
	CHECK(r.n == 0 && po.n == 1 && !strcmp(po.actions, "FLOOD") && po.len == 64 &&
		po.in_port == FLOWTAB_PORT_NONE, "1.0 packet_out FLOOD: '%s'", po.actions);
	memset(frame, 1, sizeof(frame));
	CHECK(of_conn_packet_in(c, frame, sizeof(frame), 2, 0, 0, 0, 0), "1.0 miss");
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][0] == 1 && r.msg[0][1] == 10 && r.len[0] == 18 + 100 &&
		get16(r.msg[0] + 12) == 100 && get16(r.msg[0] + 14) == 2 && r.msg[0][16] == 0,
		"1.0 packet_in of a miss, whole (100 < 128)");
	of_conn_set_primary(c, false);
	CHECK(!of_conn_packet_in(c, frame, sizeof(frame), 2, 0, 0, 0, 0),
		"no miss to a service connection without set_config");
	CHECK(of_conn_packet_in(c, frame, sizeof(frame), 2, 1, 10, 0, 0),
		"an action's packet_in to a service connection");
	collect(c, &r);
	/* NXT_ROLE_REQUEST slave, then NXT_SET_PACKET_IN_FORMAT nxt_packet_in (refused). */
	memset(m, 0, 20);
	header(m, 1, 4, 20, 61);
	put32(m + 8, 0x2320);
	put32(m + 12, 10);
	put32(m + 16, 2);
	CHECK(of_conn_receive(c, m, 20) == 0, "NXT_ROLE_REQUEST");
	collect(c, &r);
	CHECK(r.n == 1 && get16(r.msg[0] + 14) == 11 && r.msg[0][19] == 2 &&
		of_conn_role(c) == OF_ROLE_SLAVE, "NXT_ROLE_REPLY slave");
	put32(m + 12, 16);
	put32(m + 16, 1);
	expect_error(c, m, 20, 1, 5, "NXT_SET_PACKET_IN_FORMAT nxt_packet_in");
	of_conn_destroy(c);
}

/*
 * A packet_in of the largest packets: header and data share the message's 16-bit length,
 * so the data is cut to fit and the output is that one message, whole.  Were the length to
 * wrap, the packet's own bytes (here a flow_mod header every 8 bytes) would reach the
 * controller as messages of their own.  A message of any kind too long to frame is not
 * sent at all.
 */
static void
test_packet_in_max(void)
{
	static const uint8_t versions[] = { 1, 4, 6 };
	static uint8_t frame[70000];
	const uint8_t *out;
	struct of_conn *c;
	size_t len, hdr, i, sizes[] = { 65535, sizeof(frame) };
	unsigned v, k;

	for (i = 0; i + 8 <= sizeof(frame); i += 8)
		header(frame + i, 4, 14, 8, 0x666);
	for (v = 0; v < sizeof(versions); v++) {
		hdr = versions[v] == 1 ? 18 : 42;
		for (k = 0; k < 2; k++) {
			c = connect_version(versions[v]);
			CHECK(of_conn_packet_in(c, frame, sizes[k], 2, 1, 0xffff, 0, 0),
				"%u: packet_in of %zu bytes queued", versions[v], sizes[k]);
			out = of_conn_output(c, &len);
			CHECK(len == 65535 && get16(out + 2) == 65535 && out[1] == 10 &&
				get16(out + 12) == 65535 && !memcmp(out + hdr, frame, len - hdr),
				"%u: a packet_in of %zu bytes is one message of %zu bytes, "
				"length %u, total_len %u", versions[v], sizes[k], len,
				get16(out + 2), get16(out + 12));
			of_conn_output_done(c, len);
			expect_alive(c, versions[v], "after a packet_in of 64 KiB");
			of_conn_destroy(c);
		}
	}

	/* Nothing queued, and the connection ends as when out of memory. */
	c = connect_version(4);
	of_reply_start(c, OFPT_ECHO_REPLY, 1, OF_MAX_MSG + 1);
	of_conn_output(c, &len);
	CHECK(len == 0, "a message of 65536 bytes is not queued (%zu bytes)", len);
	CHECK(of_conn_receive(c, NULL, 0) == -ENOMEM, "... and the connection fails");
	of_conn_destroy(c);
}


/* A bundle_control (1.4+, or ONF's 1.3 experimenter form with 'onf') in 'm'. */
static size_t
bundle_ctrl(uint8_t *m, uint8_t version, bool onf, uint32_t xid, uint32_t id, uint16_t type,
		uint16_t flags)
{
	size_t off = onf ? 16 : 8;

	memset(m, 0, off + 8);
	header(m, version, onf ? 4 : 33, off + 8, xid);
	if (onf) {
		put32(m + 8, 0x4f4e4600);
		put32(m + 12, 2300);
	}
	put32(m + off, id);
	put16(m + off + 4, type);
	put16(m + off + 6, flags);
	return off + 8;
}

/* A bundle_add (1.4+) in 'm' carrying the 'ilen' bytes of 'inner', with the outer 'xid'. */
static size_t
bundle_add(uint8_t *m, uint8_t version, uint32_t xid, uint32_t id, uint16_t flags,
		const uint8_t *inner, size_t ilen)
{
	size_t len = 16 + ((ilen + 7) & ~(size_t)7);

	memset(m, 0, len);
	header(m, version, 34, len, xid);
	put32(m + 8, id);
	put16(m + 14, flags);
	memcpy(m + 16, inner, ilen);
	return len;
}

/* A 1.4 flow_mod ADD of priority 'prio' matching ip with 'ins', xid 'xid'. */
static size_t
flow_mod14(uint8_t *buf, uint16_t prio, uint8_t command, const uint8_t *ins, size_t ins_len,
		uint32_t xid)
{
	size_t len = flow_mod13(buf, 0, oxm_ip, sizeof(oxm_ip), ins, ins_len);

	header(buf, 5, 14, len, xid);
	buf[25] = command;
	put16(buf + 30, prio);
	return len;
}

/* Send 'm'; expect one reply: a bundle_control of 'type' (1.4). */
static void
expect_ctrl_reply(struct of_conn *c, const uint8_t *m, size_t len, uint16_t type,
		const char *what)
{
	struct replies r;

	CHECK(of_conn_receive(c, m, len) == 0, "%s: accepted", what);
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 33 && get16(r.msg[0] + 12) == type &&
			!memcmp(r.msg[0] + 4, m + 4, 4), "%s: bundle reply type %u", what, type);
}

/*
 * A bundled flow_mod with CHECK_OVERLAP or RESET_COUNTS is refused (BAD_FLAGS, quoting the
 * flow_mod), not run without them.
 */
static void
bundle_flag_refused(struct of_conn *c, uint8_t command, uint16_t flag, uint32_t xid,
		const char *what)
{
	uint8_t m[512], fm[256];
	size_t flen = flow_mod14(fm, 320, command, apply_out2, sizeof(apply_out2), xid);
	struct replies r;

	put16(fm + 44, flag);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, xid, 50, 1, fm, flen)) == 0, "%s: taken",
		what);
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 1 && get16(r.msg[0] + 8) == 5 &&
			get16(r.msg[0] + 10) == 7 && !memcmp(r.msg[0] + 12, fm, 64),
		"%s: BAD_FLAGS quoting the flow_mod", what);
}

static void
test_bundle_flags(void)
{
	struct of_conn *c = connect_version(5);
	uint8_t m[512];
	size_t before = flowtab_n_rules(ft), len;

	len = bundle_ctrl(m, 5, false, 60, 50, 0, 1);
	expect_ctrl_reply(c, m, len, 1, "open 50");
	bundle_flag_refused(c, 0, 0x2, 61, "a bundled add with check_overlap");
	bundle_flag_refused(c, 1, 0x4, 62, "a bundled modify with reset_counts");
	len = bundle_ctrl(m, 5, false, 63, 50, 4, 1);
	expect_ctrl_reply(c, m, len, 5, "commit 50");
	CHECK(flowtab_n_rules(ft) == before, "the refused flow_mods changed nothing");
	of_conn_destroy(c);
}

static void
test_bundles(void)
{
	/* apply_actions(resubmit(,0)): decodes, and flowtab refuses it in table 0 (a loop). */
	static const uint8_t apply_loop[] = {
		0, 4, 0, 24, 0, 0, 0, 0,
		0xff, 0xff, 0, 16, 0, 0, 0x23, 0x20, 0, 14, 0xff, 0xf8, 0, 0, 0, 0,
	};
	struct of_conn *c = connect_version(5);
	uint8_t m[512], fm[256], m2[512];
	size_t before = flowtab_n_rules(ft), len, flen;
	struct replies r;

	/* A rule flowtab refuses: its error when it is added; discarded, nothing changes. */
	len = bundle_ctrl(m, 5, false, 20, 7, 0, 1);
	expect_ctrl_reply(c, m, len, 1, "open");
	flen = flow_mod14(fm, 300, 0, apply_out2, sizeof(apply_out2), 21);
	len = bundle_add(m, 5, 21, 7, 1, fm, flen);
	CHECK(of_conn_receive(c, m, len) == 0, "add 1");
	collect(c, &r);
	CHECK(r.n == 0, "a good add is not answered (%u)", r.n);
	flen = flow_mod14(fm, 301, 0, apply_loop, sizeof(apply_loop), 22);
	len = bundle_add(m, 5, 22, 7, 1, fm, flen);
	CHECK(of_conn_receive(c, m, len) == 0, "add of a looping rule");
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 1 && get16(r.msg[0] + 8) == 2 &&
			get16(r.msg[0] + 10) == 5 && r.len[0] == 12 + 64 &&
			!memcmp(r.msg[0] + 12, fm, 64), "... BAD_ARGUMENT quoting the flow_mod");
	CHECK(flowtab_n_rules(ft) == before, "nothing applied before the commit");
	len = bundle_ctrl(m, 5, false, 23, 7, 6, 1);
	expect_ctrl_reply(c, m, len, 7, "discard (as ovs-ofctl does after an error)");
	CHECK(flowtab_n_rules(ft) == before, "a discarded bundle changes nothing");
	len = bundle_ctrl(m, 5, false, 24, 7, 4, 1);
	expect_error(c, m, len, 17, 2, "the discarded bundle is gone: commit BAD_ID");

	/* Adds then a strict delete of one of them: one update, the delete sees the add. */
	len = bundle_ctrl(m, 5, false, 30, 8, 0, 3);
	expect_ctrl_reply(c, m, len, 1, "open 8");
	flen = flow_mod14(fm, 310, 0, apply_out2, sizeof(apply_out2), 31);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 31, 8, 3, fm, flen)) == 0, "add 310");
	flen = flow_mod14(fm, 311, 0, apply_out2, sizeof(apply_out2), 32);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 32, 8, 3, fm, flen)) == 0, "add 311");
	flen = flow_mod14(fm, 310, 4, NULL, 0, 33);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 33, 8, 3, fm, flen)) == 0, "del 310");
	len = bundle_ctrl(m, 5, false, 34, 8, 2, 3);
	expect_ctrl_reply(c, m, len, 3, "close");
	flen = flow_mod14(fm, 312, 0, apply_out2, sizeof(apply_out2), 35);
	len = bundle_add(m, 5, 35, 8, 3, fm, flen);
	expect_error(c, m, len, 17, 4, "add to a closed bundle: BUNDLE_CLOSED (and discarded)");
	len = bundle_ctrl(m, 5, false, 36, 8, 4, 3);
	expect_error(c, m, len, 17, 2, "commit of the discarded bundle: BAD_ID");
	CHECK(flowtab_n_rules(ft) == before, "still nothing");
	len = bundle_ctrl(m, 5, false, 40, 9, 0, 1);
	expect_ctrl_reply(c, m, len, 1, "open 9");
	flen = flow_mod14(fm, 310, 0, apply_out2, sizeof(apply_out2), 41);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 41, 9, 1, fm, flen)) == 0, "add 310");
	flen = flow_mod14(fm, 311, 0, apply_out2, sizeof(apply_out2), 42);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 42, 9, 1, fm, flen)) == 0, "add 311");
	flen = flow_mod14(fm, 310, 4, NULL, 0, 43);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 43, 9, 1, fm, flen)) == 0, "del 310");
	len = bundle_ctrl(m, 5, false, 44, 9, 4, 1);
	expect_ctrl_reply(c, m, len, 5, "commit");
	CHECK(flowtab_n_rules(ft) == before + 1, "add, add, delete: one rule more (%zu)",
			flowtab_n_rules(ft) - before);

	/* Refusals, each with the bundle error Open vSwitch uses. */
	len = bundle_ctrl(m, 5, false, 50, 10, 0, 1);
	expect_ctrl_reply(c, m, len, 1, "open 10");
	flen = flow_mod14(fm, 322, 0, apply_out2, sizeof(apply_out2), 47);
	CHECK(of_conn_receive(c, m2, bundle_add(m2, 5, 47, 10, 1, fm, flen)) == 0 &&
			(collect(c, &r), r.n == 0), "add 322 to bundle 10");
	expect_error(c, m, len, 17, 2, "open 10 again: BAD_ID, as Open vSwitch");
	len = bundle_ctrl(m, 5, false, 48, 10, 4, 1);
	expect_error(c, m, len, 17, 2, "... which discarded bundle 10: commit BAD_ID");
	CHECK(flowtab_n_rules(ft) == before + 1, "the discarded add was not applied");
	len = bundle_ctrl(m, 5, false, 49, 10, 0, 1);
	expect_ctrl_reply(c, m, len, 1, "open 10 anew");
	len = bundle_ctrl(m, 5, false, 51, 11, 0, 1);
	expect_error(c, m, len, 17, 5, "a second bundle: OUT_OF_BUNDLES");
	flen = flow_mod14(fm, 320, 0, apply_out2, sizeof(apply_out2), 99);
	len = bundle_add(m, 5, 52, 10, 1, fm, flen);
	expect_error(c, m, len, 17, 9, "inner xid differs: MSG_BAD_XID");
	flen = flow_mod14(fm, 320, 1, apply_out2, sizeof(apply_out2), 53);
	len = bundle_add(m, 5, 53, 10, 1, fm, flen);
	CHECK(of_conn_receive(c, m, len) == 0 && (collect(c, &r), r.n == 0),
			"a modify is bundled without a word");
	flen = flow_mod14(fm, 320, 7, apply_out2, sizeof(apply_out2), 53);
	len = bundle_add(m, 5, 53, 10, 1, fm, flen);
	CHECK(of_conn_receive(c, m, len) == 0, "a flow_mod of command 7");
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 1 && get16(r.msg[0] + 8) == 5 &&
			get16(r.msg[0] + 10) == 6, "... refused with FLOW_MOD_FAILED/BAD_COMMAND "
			"(%u,%u)", r.n ? get16(r.msg[0] + 8) : 0, r.n ? get16(r.msg[0] + 10) : 0);
	header(fm, 5, 2, 8, 54);
	len = bundle_add(m, 5, 54, 10, 1, fm, 8);
	expect_error(c, m, len, 17, 10, "an echo: MSG_UNSUP");
	flen = flow_mod14(fm, 320, 0, apply_out2, sizeof(apply_out2), 55);
	len = bundle_add(m, 5, 55, 10, 1, fm, flen);
	put16(m + 18, (uint16_t)(flen + 64));
	expect_error(c, m, len, 17, 8, "inner length past the message: MSG_BAD_LEN");
	flen = flow_mod14(fm, 320, 0, oxm_ip, sizeof(oxm_ip), 56);   /* not instructions */
	len = bundle_add(m, 5, 56, 10, 1, fm, flen);
	CHECK(of_conn_receive(c, m, len) == 0, "a flow_mod that does not decode");
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 1 && get16(r.msg[0] + 8) == 3, "... its own error "
			"(type %u)", r.n ? get16(r.msg[0] + 8) : 0);
	len = bundle_ctrl(m, 5, false, 57, 10, 4, 2);
	expect_error(c, m, len, 17, 7, "commit with other flags: BAD_FLAGS");
	len = bundle_ctrl(m, 5, false, 58, 10, 9, 1);
	expect_error(c, m, len, 17, 6, "control type 9: BAD_TYPE");
	bundle_ctrl(m, 5, false, 59, 10, 6, 1);
	put16(m + 2, 12);
	expect_error(c, m, 12, 1, 6, "a truncated control: BAD_LEN");
	/* The failed commit discarded bundle 10: an add opens 12 without a word. */
	flen = flow_mod14(fm, 321, 0, apply_out2, sizeof(apply_out2), 60);
	CHECK(of_conn_receive(c, m2, bundle_add(m2, 5, 60, 12, 1, fm, flen)) == 0 &&
			(collect(c, &r), r.n == 0), "an add opens a bundle implicitly");
	len = bundle_ctrl(m, 5, false, 61, 12, 6, 1);
	expect_ctrl_reply(c, m, len, 7, "discard");
	/* Left open with a message in it: freed with the connection (LeakSanitizer). */
	flen = flow_mod14(fm, 321, 0, apply_out2, sizeof(apply_out2), 62);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 62, 13, 1, fm, flen)) == 0 &&
			(collect(c, &r), r.n == 0), "another implicit open");
	expect_alive(c, 5, "bundles");
	CHECK(flowtab_n_rules(ft) == before + 1, "refusals changed nothing");
	of_conn_destroy(c);

	/* ONF's extension in 1.3: replies and errors in experimenter form. */
	c = connect_version(4);
	len = bundle_ctrl(m, 4, true, 70, 1, 0, 1);
	CHECK(of_conn_receive(c, m, len) == 0, "ONF open");
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 4 && get16(r.msg[0] + 14) == 2300 &&
			get16(r.msg[0] + 20) == 1, "ONF open reply");
	len = bundle_ctrl(m, 4, true, 71, 2, 4, 1);
	CHECK(of_conn_receive(c, m, len) == 0, "ONF commit of an unknown id");
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 1 && get16(r.msg[0] + 8) == 0xffff &&
			get16(r.msg[0] + 10) == 2302 && get16(r.msg[0] + 12) == 0x4f4e &&
			r.len[0] == 16 + len, "ONF error BAD_ID (2302) in experimenter form");
	header(m, 4, 33, 16, 72);
	expect_error(c, m, 16, 1, 1, "1.4's bundle_control in 1.3: BAD_TYPE");
	of_conn_destroy(c);
	c = connect_version(1);
	len = bundle_ctrl(m, 1, true, 73, 1, 0, 1);
	expect_error(c, m, len, 1, 3, "ONF bundles in 1.0: BAD_VENDOR");
	of_conn_destroy(c);
}

/*
 * A secondary (slave) controller may not touch bundles: open, add, commit and discard are
 * refused with BAD_REQUEST/IS_SLAVE, an add does not open one, and a bundle opened while
 * master is left as it was.
 */
static void
test_bundles_slave(void)
{
	struct of_conn *c = connect_version(5);
	size_t before = flowtab_n_rules(ft), len, flen;
	uint8_t m[512], fm[256];
	struct replies r;
	int i;

	len = bundle_ctrl(m, 5, false, 80, 20, 0, 1);
	expect_ctrl_reply(c, m, len, 1, "open as master");
	flen = flow_mod14(fm, 330, 0, apply_out2, sizeof(apply_out2), 81);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 81, 20, 1, fm, flen)) == 0 &&
			(collect(c, &r), r.n == 0), "add as master");
	of_conn_set_role(c, OF_ROLE_SLAVE);
	flen = flow_mod14(fm, 331, 0, apply_out2, sizeof(apply_out2), 82);
	len = bundle_add(m, 5, 82, 20, 1, fm, flen);
	expect_error(c, m, len, 1, 10, "add as slave: IS_SLAVE");
	for (i = 0; i < 3; i++) {
		static const uint16_t types[] = { 4, 2, 6 };   /* commit, close, discard */

		len = bundle_ctrl(m, 5, false, 83, 20, types[i], 1);
		expect_error(c, m, len, 1, 10, "control as slave: IS_SLAVE");
	}
	len = bundle_ctrl(m, 5, false, 84, 21, 0, 1);
	expect_error(c, m, len, 1, 10, "open as slave: IS_SLAVE");
	flen = flow_mod14(fm, 332, 0, apply_out2, sizeof(apply_out2), 85);
	len = bundle_add(m, 5, 85, 22, 1, fm, flen);
	expect_error(c, m, len, 1, 10, "implicit open as slave: IS_SLAVE");
	CHECK(flowtab_n_rules(ft) == before, "nothing applied by a slave");
	of_conn_set_role(c, OF_ROLE_MASTER);
	len = bundle_ctrl(m, 5, false, 86, 22, 4, 1);
	expect_error(c, m, len, 17, 2, "the slave's add opened nothing: BAD_ID");
	len = bundle_ctrl(m, 5, false, 87, 20, 4, 1);
	expect_ctrl_reply(c, m, len, 5, "commit as master again");
	CHECK(flowtab_n_rules(ft) == before + 1, "the master's add, not the slave's: %zu",
			flowtab_n_rules(ft) - before);
	flen = flow_mod14(fm, 330, 4, NULL, 0, 88);
	CHECK(of_conn_receive(c, fm, flen) == 0 && (collect(c, &r), r.n == 0), "cleaned up");
	expect_alive(c, 5, "bundles as slave");
	of_conn_destroy(c);
}

/* NXT_TLV_TABLE_MOD/REQUEST: what OpenFlow itself refuses, before the switch's table. */
static void
test_tlv(void)
{
	struct of_conn *c = connect_version(4);
	uint8_t m[64] = { 0 };

	/* A mod (subtype 24) of one mapping: class 0xffff, type 0, len 4, index 0. */
	header(m, 4, 4, 28, 30);
	put32(m + 8, 0x2320);
	put32(m + 12, 24);
	put16(m + 24, 0xffff);
	m[27] = 4;
	expect_error(c, m, 28, 1, 6, "TLV mod: a mapping cut short");
	put16(m + 2, 32);
	put16(m + 16, 3);
	expect_error(c, m, 32, 0xffff, 16, "TLV mod: command 3 (NXTTMFC_BAD_COMMAND)");
	put16(m + 16, 0);
	m[27] = 5;
	expect_error(c, m, 32, 0xffff, 17, "TLV mod: option length 5 (NXTTMFC_BAD_OPT_LEN)");
	m[27] = 128;
	expect_error(c, m, 32, 0xffff, 17, "TLV mod: option length 128 (NXTTMFC_BAD_OPT_LEN)");
	m[27] = 4;
	put16(m + 28, 64);
	expect_error(c, m, 32, 0xffff, 18, "TLV mod: index 64 (NXTTMFC_BAD_FIELD_IDX)");
	put16(m + 28, 0);
	expect_error(c, m, 32, 1, 4, "TLV mod: a switch without a TLV table");
	header(m, 4, 4, 20, 31);
	put32(m + 12, 25);
	expect_error(c, m, 20, 1, 6, "TLV request: 4 bytes too many");
	of_conn_destroy(c);

	c = connect_version(1);
	header(m, 1, 4, 32, 32);
	put32(m + 12, 24);
	put16(m + 16, 3);
	expect_error(c, m, 32, 1, 527, "1.0 TLV mod: command 3 (a vendor error)");
	of_conn_destroy(c);
}

/* A 1.5 group_mod in 'm': 'command', 'type', group 'id', command_bucket_id 'where', then
 * 'blen' bytes of buckets (already in m + 24). */
static size_t
group_mod15(uint8_t *m, uint16_t command, uint8_t type, uint32_t id, uint32_t where,
		size_t blen)
{
	header(m, 6, 15, 24 + blen, 80);
	put16(m + 8, command);
	m[10] = type;
	m[11] = 0;
	put32(m + 12, id);
	put16(m + 16, (uint16_t)blen);
	put16(m + 18, 0);
	put32(m + 20, where);
	return 24 + blen;
}

/* One 1.5 bucket at 'b': id 'id', output to port 1, then 'props' ('plen' bytes). */
static size_t
bucket15(uint8_t *b, uint32_t id, const uint8_t *props, size_t plen)
{
	memset(b, 0, 24);
	put16(b, (uint16_t)(24 + plen));
	put16(b + 2, 16);
	put32(b + 4, id);
	put16(b + 10, 16);         /* output action: type 0, len 16, port 1, max_len */
	put32(b + 12, 1);
	if (plen)
		memcpy(b + 24, props, plen);
	return 24 + plen;
}

/* OpenFlow 1.5's group_mod from a peer: lengths, properties, ids and bucket commands. */
static void
test_of15_group_mod(void)
{
	static const uint8_t weight[] = { 0, 0, 0, 6, 0, 5, 0, 0 };
	static const uint8_t short_watch[] = { 0, 1, 0, 6, 0, 1, 0, 0 };
	static const uint8_t long_prop[] = { 0, 2, 0, 16, 0, 0, 0, 1 };
	static const uint8_t odd_prop[] = { 0, 7, 0, 8, 0, 0, 0, 1 };
	struct of_conn *c = connect_version(6);
	struct replies r;
	uint8_t m[256];
	size_t n;

	memset(m, 0, sizeof(m));
	header(m, 6, 15, 20, 80);
	expect_error(c, m, 20, 1, 6, "a 1.5 group_mod shorter than its fixed part");
	n = bucket15(m + 24, 0, NULL, 0);
	expect_error(c, m, group_mod15(m, 0, 0, 1, 0, n), 6, 12,
		"an add with a command_bucket_id: BAD_BUCKET");
	n = bucket15(m + 24, 0, NULL, 0);
	group_mod15(m, 0, 0, 1, 0xffffffff, n);
	put16(m + 16, 200);
	expect_error(c, m, 24 + n, 1, 6, "a bucket array longer than the message");
	put16(m + 24, 4);
	put16(m + 16, (uint16_t)n);
	expect_error(c, m, 24 + n, 6, 12, "a bucket of 4 bytes");
	bucket15(m + 24, 0, NULL, 0);
	put16(m + 26, 40);
	expect_error(c, m, 24 + n, 6, 12, "actions longer than their bucket");
	n = bucket15(m + 24, 0xffffff01, NULL, 0);
	expect_error(c, m, group_mod15(m, 0, 0, 1, 0xffffffff, n), 6, 12,
		"a bucket id above the maximum");
	n = bucket15(m + 24, 0, short_watch, sizeof(short_watch));
	expect_error(c, m, group_mod15(m, 0, 3, 1, 0xffffffff, n), 14, 1,
		"a watch_port property of 6 bytes: BAD_LEN");
	n = bucket15(m + 24, 0, long_prop, sizeof(long_prop));
	expect_error(c, m, group_mod15(m, 0, 3, 1, 0xffffffff, n), 14, 1,
		"a property longer than its bucket: BAD_LEN");
	n = bucket15(m + 24, 0, odd_prop, sizeof(odd_prop));
	expect_error(c, m, group_mod15(m, 0, 3, 1, 0xffffffff, n), 14, 0,
		"an unknown bucket property: BAD_TYPE");
	n = bucket15(m + 24, 0, weight, sizeof(weight));
	expect_error(c, m, group_mod15(m, 0, 0, 1, 0xffffffff, n), 6, 1,
		"a weight in an all group: INVALID_GROUP");
	n = bucket15(m + 24, 0, NULL, 0);
	expect_error(c, m, group_mod15(m, 0, 3, 1, 0xffffffff, n), 6, 1,
		"a fast failover bucket watching nothing: INVALID_GROUP");
	n = bucket15(m + 24, 3, NULL, 0);
	n += bucket15(m + 24 + n, 3, NULL, 0);
	expect_error(c, m, group_mod15(m, 0, 0, 1, 0xffffffff, n), 6, 12,
		"a bucket id twice");
	n = bucket15(m + 24, 3, NULL, 0);
	memcpy(m + 24 + n, odd_prop, sizeof(odd_prop));
	group_mod15(m, 0, 0, 1, 0xffffffff, n);
	header(m, 6, 15, 24 + n + 8, 80);
	expect_error(c, m, 24 + n + 8, 14, 0, "a group property");
	expect_error(c, m, group_mod15(m, 4, 0, 1, 0xffffffff, 0), 6, 11, "command 4");

	/* Add group 1 with buckets 3 and 7, then the bucket commands. */
	n = bucket15(m + 24, 3, NULL, 0);
	n += bucket15(m + 24 + n, 7, NULL, 0);
	CHECK(of_conn_receive(c, m, group_mod15(m, 0, 0, 1, 0xffffffff, n)) == 0 &&
		(collect(c, &r), r.n == 0), "add of group 1 (buckets 3, 7)");
	n = bucket15(m + 24, 7, NULL, 0);
	expect_error(c, m, group_mod15(m, 3, 0, 1, 0xfffffffe, n), 6, 16,
		"insert of bucket 7 again: BUCKET_EXISTS");
	n = bucket15(m + 24, 8, NULL, 0);
	expect_error(c, m, group_mod15(m, 3, 0, 1, 5, n), 6, 15,
		"insert after bucket 5: UNKNOWN_BUCKET");
	expect_error(c, m, group_mod15(m, 3, 0, 1, 0xffffffff, n), 6, 12,
		"insert at all: BAD_BUCKET");
	expect_error(c, m, group_mod15(m, 3, 0, 2, 0xfffffffe, n), 6, 8,
		"insert into group 2: UNKNOWN_GROUP");
	CHECK(of_conn_receive(c, m, group_mod15(m, 3, 0, 1, 3, n)) == 0 &&
		(collect(c, &r), r.n == 0), "insert of bucket 8 after 3");
	expect_error(c, m, group_mod15(m, 5, 0, 1, 0xfffffffd, n), 6, 12,
		"remove with buckets: BAD_BUCKET");
	expect_error(c, m, group_mod15(m, 5, 0, 1, 9, 0), 6, 15,
		"remove of bucket 9: UNKNOWN_BUCKET");
	CHECK(of_conn_receive(c, m, group_mod15(m, 5, 0, 1, 0xffffffff, 0)) == 0 &&
		(collect(c, &r), r.n == 0), "remove of every bucket");
	CHECK(of_conn_receive(c, m, group_mod15(m, 2, 0, 1, 0xffffffff, 0)) == 0 &&
		(collect(c, &r), r.n == 0), "delete of group 1");
	expect_alive(c, 6, "after the 1.5 group_mods");
	of_conn_destroy(c);
}

/*
 * Adds that arrive together are committed together (one table update), each still checked
 * on its own: a bad one in the middle gets its error and the others go in; whatever could
 * see the table (a delete, a packet_out to TABLE or to a group, a barrier, a dump) comes after
 * them.
 */
static void
test_batched_adds(void)
{
	static const uint8_t dup[] = { 0x80, 0, 10, 2, 0x08, 0, 0x80, 0, 10, 2, 0x08, 0 };
	static const uint8_t po_table[] = {     /* output:TABLE */
		0, 0, 0, 16, 0xff, 0xff, 0xff, 0xf9, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	static const uint8_t po_group[] = { 0, 22, 0, 8, 0, 0, 0, 80 };  /* group:80 */
	struct of_conn *c = connect_version(4);
	uint8_t buf[1024], *p = buf, *del;
	size_t bad_off = 0, bad_len = 0, n_deleted;
	struct flowtab_group_spec gspec;
	char *gbuf = NULL, *gerr = NULL;
	enum flowtab_gm_error why;
	struct replies r;
	char *err = NULL;
	unsigned before;

	flowtab_del_flows(ft, "", false, &n_deleted, &err);
	free(err);
	for (unsigned i = 0; i < 4; i++) {
		size_t len = i == 2 ? flow_mod13(p, 0, dup, sizeof(dup), NULL, 0) :
			flow_mod13(p, 0, oxm_ip, sizeof(oxm_ip), apply_out2, sizeof(apply_out2));

		put16(p + 30, (uint16_t)(100 + i));
		put32(p + 4, 20 + i);
		if (i == 2) {
			bad_off = (size_t)(p - buf);
			bad_len = len;
		}
		p += len;
	}
	header(p, 4, 20, 8, 30);            /* barrier request */
	p += 8;
	before = n_flows_changed;
	CHECK(of_conn_receive(c, buf, (size_t)(p - buf)) == 0, "batch: 4 flow_mods and a barrier");
	collect(c, &r);
	CHECK(r.n == 2 && r.msg[0][1] == 1 && get16(r.msg[0] + 8) == 4 &&
			get16(r.msg[0] + 10) == 10 && !memcmp(r.msg[0] + 12, buf + bad_off,
			bad_len < 64 ? bad_len : 64) && r.msg[1][1] == 21,
			"batch: the bad one's error (quoting it), then the barrier reply (%u replies)",
			r.n);
	CHECK(flowtab_n_rules(ft) == 3, "batch: the three good adds are in (%zu)",
			flowtab_n_rules(ft));
	CHECK(n_flows_changed == before + 1, "batch: one table update for them (%u)",
			n_flows_changed - before);

	/* An add, then a packet_out to TABLE in the same read: the packet sees the rule. */
	p = buf;
	p += flow_mod13(p, 0, oxm_ip, sizeof(oxm_ip), apply_out2, sizeof(apply_out2));
	put16(buf + 30, 110);
	memset(p, 0, 24 + sizeof(po_table) + 14);
	header(p, 4, 13, 24 + sizeof(po_table) + 14, 31);
	put32(p + 8, 0xffffffff);
	put32(p + 12, 0xfffffffd);          /* in_port CONTROLLER */
	put16(p + 16, sizeof(po_table));
	memcpy(p + 24, po_table, sizeof(po_table));
	p += 24 + sizeof(po_table) + 14;
	CHECK(of_conn_receive(c, buf, (size_t)(p - buf)) == 0 && po.n_rules == 4,
			"add + packet_out output:TABLE: the packet_out ran with the new rule in "
			"(%zu rules then)", po.n_rules);
	collect(c, &r);

	/* The same through a group, whose buckets may resubmit. */
	CHECK(flowtab_group_parse("group_id=80,type=all,bucket=resubmit(,0)", NULL, &gspec,
	      &gbuf, &gerr) == 0 && flowtab_group_mod(ft, FLOWTAB_GM_ADD, &gspec, &why,
	      &gerr) == 0, "group 80: %s", gerr ? gerr : "");
	free(gbuf);
	free(gerr);
	p = buf;
	p += flow_mod13(p, 0, oxm_ip, sizeof(oxm_ip), apply_out2, sizeof(apply_out2));
	put16(buf + 30, 112);
	memset(p, 0, 24 + sizeof(po_group) + 14);
	header(p, 4, 13, 24 + sizeof(po_group) + 14, 32);
	put32(p + 8, 0xffffffff);
	put32(p + 12, 0xfffffffd);
	put16(p + 16, sizeof(po_group));
	memcpy(p + 24, po_group, sizeof(po_group));
	p += 24 + sizeof(po_group) + 14;
	CHECK(of_conn_receive(c, buf, (size_t)(p - buf)) == 0 && po.n_rules == 5 &&
	      strstr(po.actions, "group:80"), "add + packet_out group:80: the packet_out ran "
	      "with the new rule in (%zu rules then, actions %s)", po.n_rules, po.actions);
	collect(c, &r);

	/* An add, then a delete of everything: the delete removes it too. */
	p = buf;
	p += flow_mod13(p, 0, oxm_ip, sizeof(oxm_ip), apply_out2, sizeof(apply_out2));
	put16(buf + 30, 111);
	del = p;
	p += flow_mod13(del, 0xff, NULL, 0, NULL, 0);
	del[25] = 3;                        /* OFPFC_DELETE */
	CHECK(of_conn_receive(c, buf, (size_t)(p - buf)) == 0 && flowtab_n_rules(ft) == 0,
			"add + delete all in one read: the table is empty (%zu)", flowtab_n_rules(ft));
	collect(c, &r);
	CHECK(r.n == 0, "... and no reply (%u)", r.n);
	CHECK(flowtab_group_del(ft, 80, &why, &gerr) == 0, "group 80 deleted");
	free(gerr);
	memset(&po, 0, sizeof(po));         /* test_async13() counts packet_outs from 0 */
	of_conn_destroy(c);
}

/* A 1.4 group_mod in 'm' (xid 'xid'): 'command' on all-group 'id' with one bucket output:2
 * (none for a delete). */
static size_t
group_mod14(uint8_t *m, uint16_t command, uint32_t id, uint32_t xid)
{
	size_t len = command == 2 ? 16 : 48;

	memset(m, 0, len);
	header(m, 5, 15, len, xid);
	put16(m + 8, command);
	put32(m + 12, id);
	if (command == 2)
		return len;
	put16(m + 16, 32);                  /* bucket: len, weight 0, watch_port/group any */
	put32(m + 20, 0xffffffff);
	put32(m + 24, 0xffffffff);
	put16(m + 32, 0);                   /* output:2 */
	put16(m + 34, 16);
	put32(m + 36, 2);
	put16(m + 40, 0xffff);
	return len;
}

static void
count_group(void *aux, const struct flowtab_group_info *g)
{
	(void)aux;
	(void)g;
}

static unsigned
n_groups(uint32_t id)
{
	return flowtab_dump_groups(ft, id, count_group, NULL);
}

/* group_mods in bundles: in the commit's snapshot with the flow_mods, atomically. */
static void
test_bundle_groups(void)
{
	/* apply_actions(group:60) */
	static const uint8_t apply_group60[] = {
		0, 4, 0, 16, 0, 0, 0, 0,
		0, 22, 0, 8, 0, 0, 0, 60,
	};
	static const uint8_t apply_loop[] = {
		0, 4, 0, 24, 0, 0, 0, 0,
		0xff, 0xff, 0, 16, 0, 0, 0x23, 0x20, 0, 14, 0xff, 0xf8, 0, 0, 0, 0,
	};
	struct of_conn *c = connect_version(5);
	uint8_t m[512], in[256];
	size_t before = flowtab_n_rules(ft), len;
	struct replies r;

	/* A group and a rule that uses it in one bundle: the rule is taken (its group exists
	 * in the bundle), and neither is there before the commit. */
	expect_ctrl_reply(c, m, bundle_ctrl(m, 5, false, 80, 20, 0, 1), 1, "open 20");
	len = group_mod14(in, 0, 60, 81);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 81, 20, 1, in, len)) == 0 &&
			(collect(c, &r), r.n == 0), "a bundled group add, not answered");
	len = flow_mod14(in, 330, 0, apply_group60, sizeof(apply_group60), 82);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 82, 20, 1, in, len)) == 0 &&
			(collect(c, &r), r.n == 0), "a rule to the bundle's new group: taken");
	CHECK(n_groups(60) == 0 && flowtab_n_rules(ft) == before,
			"neither group nor rule before the commit");
	expect_ctrl_reply(c, m, bundle_ctrl(m, 5, false, 83, 20, 4, 1), 5, "commit 20");
	CHECK(n_groups(60) == 1 && flowtab_n_rules(ft) == before + 1,
			"both after the commit (%u groups, %zu rules)", n_groups(60),
			flowtab_n_rules(ft) - before);

	/* A delete in a bundle: the group and the rule that uses it go at the commit. */
	len = group_mod14(in, 2, 60, 84);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 84, 21, 1, in, len)) == 0 &&
			(collect(c, &r), r.n == 0), "a bundled group delete");
	CHECK(n_groups(60) == 1 && flowtab_n_rules(ft) == before + 1, "still there");
	len = flow_mod14(in, 331, 0, apply_group60, sizeof(apply_group60), 85);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 85, 21, 1, in, len)) == 0, "a rule to it");
	collect(c, &r);
	CHECK(r.n == 1 && get16(r.msg[0] + 8) == 2 && get16(r.msg[0] + 10) == 9,
			"... after the bundle deleted it: BAD_ACTION/BAD_OUT_GROUP");
	expect_ctrl_reply(c, m, bundle_ctrl(m, 5, false, 86, 21, 4, 1), 5, "commit 21");
	CHECK(n_groups(60) == 0 && flowtab_n_rules(ft) == before,
			"group and rule gone (%u, %zu)", n_groups(60), flowtab_n_rules(ft) - before);

	/* A commit that fails (a looping modify) leaves the groups as they were. */
	len = group_mod14(in, 0, 61, 87);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 87, 22, 1, in, len)) == 0, "add group 61");
	len = flow_mod14(in, 332, 0, apply_out2, sizeof(apply_out2), 88);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 88, 22, 1, in, len)) == 0, "add rule 332");
	len = flow_mod14(in, 332, 1, apply_loop, sizeof(apply_loop), 89);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 89, 22, 1, in, len)) == 0, "loop it");
	collect(c, &r);
	expect_error(c, m, bundle_ctrl(m, 5, false, 90, 22, 4, 1), 17, 13,
			"commit: MSG_FAILED");
	CHECK(n_groups(61) == 0 && flowtab_n_rules(ft) == before, "nothing of it applied");

	/* A group change outside the bundle after its first: the bundle fails. */
	len = group_mod14(in, 0, 62, 91);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 91, 23, 1, in, len)) == 0, "add group 62");
	len = group_mod14(in, 0, 63, 92);
	CHECK(of_conn_receive(c, in, len) == 0 && (collect(c, &r), r.n == 0),
			"group 63 added outside the bundle");
	len = group_mod14(in, 0, 64, 93);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 93, 23, 1, in, len)) == 0, "add group 64");
	collect(c, &r);
	CHECK(r.n == 1 && get16(r.msg[0] + 8) == 6, "... refused: the table changed (type %u)",
			r.n ? get16(r.msg[0] + 8) : 0);
	expect_error(c, m, bundle_ctrl(m, 5, false, 94, 23, 4, 1), 17, 13,
			"commit: MSG_FAILED");
	CHECK(n_groups(62) == 0 && n_groups(63) == 1 && n_groups(64) == 0,
			"only the group added outside is there");

	/* Errors of a bundled group_mod: its own, quoting it; 1.5's bucket commands refused. */
	len = group_mod14(in, 0, 63, 95);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 95, 24, 1, in, len)) == 0, "add 63 again");
	collect(c, &r);
	CHECK(r.n == 1 && get16(r.msg[0] + 8) == 6 && get16(r.msg[0] + 10) == 0 &&
			!memcmp(r.msg[0] + 12, in, 48), "... GROUP_EXISTS quoting the group_mod");
	expect_ctrl_reply(c, m, bundle_ctrl(m, 5, false, 96, 24, 6, 1), 7, "discard 24");
	len = group_mod14(in, 2, 63, 97);
	CHECK(of_conn_receive(c, in, len) == 0, "delete group 63");
	expect_alive(c, 5, "bundled groups");
	of_conn_destroy(c);

	c = connect_version(6);
	len = group_mod14(in, 3, 63, 98);
	in[0] = 6;
	expect_error(c, m, bundle_add(m, 6, 98, 25, 1, in, len), 17, 10,
			"1.5 insert_bucket in a bundle: MSG_UNSUP");
	of_conn_destroy(c);
}

/*
 * NXM_NX_TUN_FLAGS has one public bit, OAM, as Open vSwitch's field: a 1.0 load of more bits
 * or of another bit and a 1.3 set-field of another value or length are refused; OAM alone
 * goes in, both ways.
 */
static void
test_tun_flags(void)
{
	struct of_conn *c = connect_version(1);
	uint8_t m[256] = { 0 };
	size_t before = flowtab_n_rules(ft), len;
	struct replies r;
	char *out = NULL, *err = NULL;

	header(m, 1, 4, 72, 30);            /* NXT_FLOW_MOD add, no match */
	put32(m + 8, 0x2320);
	put32(m + 12, 13);
	put16(m + 30, 77);                  /* priority */
	put32(m + 32, 0xffffffff);          /* no buffer */
	put16(m + 36, 0xffff);
	put16(m + 48, 0xffff);              /* NXAST_REG_LOAD */
	put16(m + 50, 24);
	put32(m + 52, 0x2320);
	put16(m + 56, 7);
	put32(m + 60, 0x0001d002);          /* NXM_NX_TUN_FLAGS */
	put16(m + 58, 1);                   /* ofs 0, 2 bits */
	m[71] = 2;
	expect_error(c, m, 72, 1, 525, "NXAST_REG_LOAD of 2 bits of NXM_NX_TUN_FLAGS");
	put16(m + 58, 1 << 6);              /* ofs 1, 1 bit */
	m[71] = 1;
	expect_error(c, m, 72, 1, 525, "NXAST_REG_LOAD of NXM_NX_TUN_FLAGS' bit 1");
	CHECK(flowtab_n_rules(ft) == before, "tun_flags: table unchanged");
	put16(m + 58, 0);                   /* ofs 0, 1 bit: OAM */
	CHECK(of_conn_receive(c, m, 72) == 0, "NXAST_REG_LOAD of OAM: accepted");
	collect(c, &r);
	CHECK(r.n == 0 && flowtab_n_rules(ft) == before + 1, "... no reply, one rule more (%u)",
		r.n);
	of_conn_destroy(c);

	/* 1.3: apply_actions(set_field:V->tun_flags) with V = 2, then a 4-byte value. */
	static const uint8_t ins[] = {
		0, 4, 0, 24, 0, 0, 0, 0,
		0, 25, 0, 16, 0x00, 0x01, 0xd0, 0x02, 0, 2, 0, 0, 0, 0, 0, 0,
	};
	uint8_t bad[sizeof(ins)];

	c = connect_version(4);
	memcpy(bad, ins, sizeof(ins));
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), bad, sizeof(bad));
	bad13(c, m, len, 2, 15, "1.3 set_field:2->tun_flags");
	bad[15] = 4;
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), bad, sizeof(bad));
	bad13(c, m, len, 2, 14, "1.3 set_field of a 4-byte NXM_NX_TUN_FLAGS");
	memcpy(bad, ins, sizeof(ins));
	bad[17] = 1;
	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), bad, sizeof(bad));
	CHECK(of_conn_receive(c, m, len) == 0, "1.3 set_field:1->tun_flags: accepted");
	collect(c, &r);
	CHECK(r.n == 0 && flowtab_n_rules(ft) == before + 2, "... no reply, one rule more (%u)",
		r.n);
	flowtab_dump_flows(ft, NULL, &out, &err);
	CHECK(out && strstr(out, "priority=77 actions=set_field:oam->tun_flags") &&
		strstr(out, "priority=100,ip actions=set_field:oam->tun_flags"),
		"dump-flows: both, as set_field:oam: %s", out);
	free(out);
	free(err);
	of_conn_destroy(c);
}

/*
 * An exact OXM/NXM field added over OpenFlow is the rule its text is: the text's add
 * replaces the OpenFlow one (same table, priority and match, masks included) instead of
 * adding a second rule.
 */
static void
same_as_text(struct of_conn *c, const uint8_t *oxm, size_t oxm_len, const char *text)
{
	const char *texts[1];
	uint8_t m[256];
	char rule[256], *err = NULL;
	size_t before = flowtab_n_rules(ft), len, n_deleted;
	struct replies r;

	len = flow_mod13(m, 0, oxm, oxm_len, apply_out2, sizeof(apply_out2));
	CHECK(of_conn_receive(c, m, len) == 0, "%s over OpenFlow", text);
	collect(c, &r);
	CHECK(r.n == 0 && flowtab_n_rules(ft) == before + 1, "%s over OpenFlow: added (%u "
			"replies, %zu rules)", text, r.n, flowtab_n_rules(ft) - before);
	snprintf(rule, sizeof(rule), "priority=100,%s,actions=output:2", text);
	texts[0] = rule;
	CHECK(flowtab_add_flows(ft, texts, NULL, 1, "test", &err) == 0, "%s as text: %s", text,
			err ? err : "");
	free(err);
	err = NULL;
	CHECK(flowtab_n_rules(ft) == before + 1, "%s: the text replaced the OpenFlow rule (%zu "
			"rules more)", text, flowtab_n_rules(ft) - before);
	flowtab_del_flows(ft, "", false, &n_deleted, &err);
	free(err);
}

static void
test_exact_fields(void)
{
	static const struct {
		uint8_t oxm[24];
		size_t len;
		const char *text;
	} cases[] = {
		/* eth_type=0x0800, ip_proto=6, NXM_NX_TCP_FLAGS=0x012 (12 bits) */
		{ { 0x80, 0, 10, 2, 0x08, 0, 0x80, 0, 20, 1, 6, 0, 1, 0x44, 2, 0, 0x12 }, 17,
			"tcp,tcp_flags=0x012" },
		/* NXM_NX_TUN_FLAGS=1 (OAM, the one flag) */
		{ { 0, 1, 0xd0, 2, 0, 1 }, 6, "tun_flags=+oam" },
		/* eth_type=0x0800, ip_dscp=8 */
		{ { 0x80, 0, 10, 2, 0x08, 0, 0x80, 0, 16, 1, 8 }, 11, "ip,ip_dscp=8" },
		/* vlan_vid=0x100a (present, 10) */
		{ { 0x80, 0, 12, 2, 0x10, 0x0a }, 6, "dl_vlan=10" },
		/* eth_type=0x0800, ip_proto=1, icmpv4_type=8 */
		{ { 0x80, 0, 10, 2, 0x08, 0, 0x80, 0, 20, 1, 1, 0x80, 0, 38, 1, 8 }, 16,
			"icmp,icmp_type=8" },
		/* eth_type=0x0806, arp_op=1 */
		{ { 0x80, 0, 10, 2, 0x08, 0x06, 0x80, 0, 42, 2, 0, 1 }, 12, "arp,arp_op=1" },
		/* eth_type=0x0800, NXM_NX_IP_TTL=64 */
		{ { 0x80, 0, 10, 2, 0x08, 0, 0, 1, 0x3a, 1, 64 }, 11, "ip,nw_ttl=64" },
		/* in_port=5, tunnel_id=5 */
		{ { 0x80, 0, 0, 4, 0, 0, 0, 5, 0x80, 0, 0x4c, 8, 0, 0, 0, 0, 0, 0, 0, 5 }, 20,
			"in_port=5,tun_id=0x5" },
		/* the ports' edges in 1.3: the last port proper, and LOCAL (0xfffffffe) */
		{ { 0x80, 0, 0, 4, 0, 0, 0xfe, 0xff }, 8, "in_port=65279" },
		{ { 0x80, 0, 0, 4, 0xff, 0xff, 0xff, 0xfe }, 8, "in_port=LOCAL" },
	};
	struct of_conn *c = connect_version(4);
	size_t n_deleted;
	char *err = NULL;

	flowtab_del_flows(ft, "", false, &n_deleted, &err);
	free(err);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same_as_text(c, cases[i].oxm, cases[i].len, cases[i].text);
	of_conn_destroy(c);
}

/*
 * A group or meter deleted outside a bundle after one of its flow_mods named it: the commit
 * fails (MSG_FAILED) and changes nothing, for an add as for a modify.
 */
static void
test_bundle_stale_refs(void)
{
	static const uint8_t apply_group63[] = {
		0, 4, 0, 16, 0, 0, 0, 0,
		0, 22, 0, 8, 0, 0, 0, 63,
	};
	/* meter:5, apply_actions(output:2) */
	static const uint8_t meter5_out2[] = {
		0, 6, 0, 8, 0, 0, 0, 5,
		0, 4, 0, 24, 0, 0, 0, 0,
		0, 0, 0, 16, 0, 0, 0, 2, 0xff, 0xff, 0, 0, 0, 0, 0, 0,
	};
	struct of_conn *c = connect_version(5);
	size_t before = flowtab_n_rules(ft), len;
	struct flowtab_meter_spec ms;
	enum flowtab_gm_error why;
	uint8_t m[512], in[256];
	char *err = NULL;
	struct replies r;
	int round;

	for (round = 0; round < 2; round++) {
		/* Round 0 adds a rule to group 63, round 1 modifies one to it. */
		CHECK(of_conn_receive(c, in, group_mod14(in, 0, 63, 100)) == 0 &&
				(collect(c, &r), r.n == 0), "group 63 added");
		if (round) {
			len = flow_mod14(in, 340, 0, apply_out2, sizeof(apply_out2), 101);
			CHECK(of_conn_receive(c, in, len) == 0 && (collect(c, &r), r.n == 0),
					"rule 340 added");
		}
		len = flow_mod14(in, 340, round ? 1 : 0, apply_group63, sizeof(apply_group63), 102);
		CHECK(of_conn_receive(c, m, bundle_add(m, 5, 102, 30, 1, in, len)) == 0 &&
				(collect(c, &r), r.n == 0), "round %d: a bundled rule to group 63", round);
		CHECK(of_conn_receive(c, in, group_mod14(in, 2, 63, 103)) == 0 &&
				(collect(c, &r), r.n == 0), "group 63 deleted outside the bundle");
		expect_error(c, m, bundle_ctrl(m, 5, false, 104, 30, 4, 1), 17, 13,
				"commit naming a deleted group: MSG_FAILED");
		CHECK(flowtab_n_rules(ft) == before + (size_t)round, "round %d: no rule to group 63 "
				"(%zu)", round, flowtab_n_rules(ft) - before);
		len = flow_mod14(in, 340, 4, NULL, 0, 105);
		CHECK(of_conn_receive(c, in, len) == 0 && (collect(c, &r), r.n == 0), "clean up");
	}

	CHECK(flowtab_meter_parse("meter=5,kbps,bands=type=drop,rate=1000", &ms, &err) == 0 &&
	      flowtab_meter_mod(ft, FLOWTAB_GM_ADD, &ms, &why, &err) == 0, "meter 5: %s",
	      err ? err : "");
	free(err);
	len = flow_mod14(in, 341, 0, meter5_out2, sizeof(meter5_out2), 106);
	CHECK(of_conn_receive(c, m, bundle_add(m, 5, 106, 31, 1, in, len)) == 0 &&
			(collect(c, &r), r.n == 0), "a bundled rule metered by meter 5");
	CHECK(flowtab_meter_del(ft, 5) == 0, "meter 5 deleted outside the bundle");
	expect_error(c, m, bundle_ctrl(m, 5, false, 107, 31, 4, 1), 17, 13,
			"commit naming a deleted meter: MSG_FAILED");
	CHECK(flowtab_n_rules(ft) == before, "no rule with meter 5");
	expect_alive(c, 5, "stale group and meter");
	of_conn_destroy(c);
}

/* flow_count of an aggregate request for table 7 with 'out_port' and (1.3) 'out_group'. */
static uint32_t
aggregate7(struct of_conn *c, uint32_t out_port, uint32_t out_group)
{
	uint8_t version = of_conn_version(c), m[56] = { 0 };
	struct replies r;
	size_t off;

	if (version == 1) {
		header(m, 1, 16, 56, 110);
		put16(m + 8, 2);
		put32(m + 12, 0x3fffff);            /* every field wildcarded */
		m[52] = 7;
		put16(m + 54, (uint16_t)out_port);
		off = 12;
	} else {
		header(m, 4, 18, 56, 110);
		put16(m + 8, 2);
		m[16] = 7;
		put32(m + 20, out_port);
		put32(m + 24, out_group);
		put16(m + 48, 1);                   /* OXM match, empty */
		put16(m + 50, 4);
		off = 16;
	}
	if (of_conn_receive(c, m, sizeof(m)) != 0)
		return UINT32_MAX;
	collect(c, &r);
	if (r.n != 1 || r.len[0] < off + 20 || r.msg[0][1] != m[1] + 1)
		return UINT32_MAX;
	return (uint32_t)get16(r.msg[0] + off + 16) << 16 | get16(r.msg[0] + off + 18);
}

/*
 * out_port selects the rules whose actions output there, reserved ports included (the
 * controller action for CONTROLLER), and out_group the rules with that group action: in
 * statistics requests and in deletes, 1.0 and 1.3.
 */
static void
test_out_filters(void)
{
	static const char *const rules[] = {
		"table=7,priority=1,actions=NORMAL",
		"table=7,priority=2,actions=CONTROLLER:65535",
		"table=7,priority=3,actions=group:71",
		"table=7,priority=4,actions=output:2,FLOOD",
		"table=7,priority=5,actions=IN_PORT",
	};
	struct of_conn *c10 = connect_version(1), *c13 = connect_version(4);
	struct flowtab_group_spec spec;
	enum flowtab_gm_error why;
	char *buf = NULL, *err = NULL;
	uint8_t m[72] = { 0 };
	struct replies r;
	size_t i;

	CHECK(flowtab_group_parse("group_id=71,type=all,bucket=output:1", NULL, &spec, &buf,
	      &err) == 0 && flowtab_group_mod(ft, FLOWTAB_GM_ADD, &spec, &why, &err) == 0,
	      "group 71: %s", err ? err : "");
	free(buf);
	free(err);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		err = NULL;
		CHECK(flowtab_add_flows(ft, &rules[i], NULL, 1, NULL, &err) == 0, "%s: %s",
		      rules[i], err ? err : "");
		free(err);
	}
	CHECK(aggregate7(c10, 0xffff, 0) == 5, "1.0: no out_port, every rule");
	CHECK(aggregate7(c10, 0xfffa, 0) == 1, "1.0: out_port NORMAL");
	CHECK(aggregate7(c10, 0xfffd, 0) == 1, "1.0: out_port CONTROLLER");
	CHECK(aggregate7(c10, 0xfffb, 0) == 1, "1.0: out_port FLOOD");
	CHECK(aggregate7(c10, 0xfff8, 0) == 1, "1.0: out_port IN_PORT");
	CHECK(aggregate7(c10, 0xfff9, 0) == 0, "1.0: out_port TABLE, no rule");
	CHECK(aggregate7(c10, 2, 0) == 1, "1.0: out_port 2");
	CHECK(aggregate7(c13, 0xffffffff, 71) == 1, "1.3: out_group 71");
	CHECK(aggregate7(c13, 0xffffffff, 72) == 0, "1.3: out_group 72, no rule");
	CHECK(aggregate7(c13, 0xffffffff, 0xfffffffc) == 0, "1.3: out_group ALL, no rule");
	CHECK(aggregate7(c13, 0xfffffffa, 0xffffffff) == 1, "1.3: out_port NORMAL");
	CHECK(aggregate7(c13, 0xfffffffd, 0xffffffff) == 1, "1.3: out_port CONTROLLER");
	CHECK(aggregate7(c13, 0xfffffffb, 71) == 0, "1.3: out_port FLOOD and out_group 71");

	/* 1.3 delete, table 7, out_group 71; then 1.0 delete out_port CONTROLLER. */
	header(m, 4, 14, 56, 111);
	m[24] = 7;
	m[25] = 3;
	put32(m + 32, 0xffffffff);
	put32(m + 36, 0xffffffff);
	put32(m + 40, 71);
	put16(m + 48, 1);
	put16(m + 50, 4);
	CHECK(of_conn_receive(c13, m, 56) == 0 && (collect(c13, &r), r.n == 0), "delete 1.3");
	CHECK(aggregate7(c13, 0xffffffff, 0xffffffff) == 4, "1.3 delete out_group 71: one rule");
	memset(m, 0, sizeof(m));
	header(m, 1, 14, 72, 112);
	put32(m + 8, 0x3fffff);
	put16(m + 56, 3);
	put32(m + 64, 0xffffffff);
	put16(m + 68, 0xfffd);
	CHECK(of_conn_receive(c10, m, 72) == 0 && (collect(c10, &r), r.n == 0), "delete 1.0");
	CHECK(aggregate7(c13, 0xffffffff, 0xffffffff) == 3, "1.0 delete out_port CONTROLLER");
	err = NULL;
	CHECK(flowtab_del_flows(ft, "table=7", false, NULL, &err) == 0, "clean up");
	free(err);
	CHECK(flowtab_group_del(ft, 71, &why, &err) == 0, "group 71 gone");
	free(err);
	of_conn_destroy(c10);
	of_conn_destroy(c13);
}

/*
 * NXST_AGGREGATE replies: the Nicira header is 24 bytes in 1.0 (with pad) and in 1.3 (no
 * pad), as Open vSwitch's nicira10/nicira11_stats_msg, so the body is where ovs-ofctl reads
 * it: 48 bytes in both.
 */
static void
test_nx_stats_header(void)
{
	static const char *const rule = "table=9,priority=5,actions=output:2";
	uint8_t versions[] = { 1, 4 }, m[64];
	char *err = NULL;
	struct replies r;
	size_t i, hl, skip, len;

	CHECK(flowtab_add_flows(ft, &rule, NULL, 1, NULL, &err) == 0, "rule: %s", err ? err : "");
	free(err);
	for (i = 0; i < sizeof(versions); i++) {
		struct of_conn *c = connect_version(versions[i]);

		hl = versions[i] == 1 ? 12 : 16;
		skip = versions[i] == 1 ? 12 : 8;
		len = hl + skip + 8;
		memset(m, 0, sizeof(m));
		header(m, versions[i], versions[i] == 1 ? 16 : 18, len, 120);
		put16(m + 8, 0xffff);
		put32(m + hl, 0x2320);
		put32(m + hl + 4, 1);               /* NXST_AGGREGATE */
		put16(m + hl + skip, 0xffff);       /* out_port none, match_len 0 */
		m[hl + skip + 4] = 9;
		CHECK(of_conn_receive(c, m, len) == 0, "NXST_AGGREGATE v%u", versions[i]);
		collect(c, &r);
		CHECK(r.n == 1 && r.len[0] == 48 && get16(r.msg[0] + hl) == 0 &&
		      get16(r.msg[0] + hl + 2) == 0x2320 && get16(r.msg[0] + hl + 6) == 1 &&
		      get16(r.msg[0] + 24 + 18) == 1, "v%u: NXST_AGGREGATE reply of 48 bytes, "
		      "flow_count 1 at 40: %zu bytes", versions[i], r.n ? r.len[0] : 0);
		of_conn_destroy(c);
	}
	err = NULL;
	CHECK(flowtab_del_flows(ft, "table=9", false, NULL, &err) == 0, "clean up");
	free(err);
}

/* A 1.3/1.4 group_mod ADD of group 'id' of 'type', one bucket (weight, watch_port) to port 2. */
static size_t
group_mod13(uint8_t *m, uint8_t version, uint8_t type, uint32_t id, uint16_t weight,
		uint32_t watch_port)
{
	memset(m, 0, 48);
	header(m, version, 15, 48, id);
	m[10] = type;
	put32(m + 12, id);
	put16(m + 16, 32);
	put16(m + 18, weight);
	put32(m + 20, watch_port);
	put32(m + 24, 0xffffffff);
	put16(m + 34, 16);                  /* output:2 */
	put32(m + 36, 2);
	put16(m + 40, 0xffff);
	return 48;
}

/*
 * 1.3 and 1.4 group_mods get Open vSwitch's bucket checks against their type, as 1.5's do:
 * a weight outside select, a watch in an all group, a fast failover bucket without one.
 */
static void
test_group_mod_checks(void)
{
	uint8_t versions[] = { 4, 5 }, m[64];
	struct replies r;
	size_t i;

	for (i = 0; i < sizeof(versions); i++) {
		struct of_conn *c = connect_version(versions[i]);
		uint8_t v = versions[i];

		expect_error(c, m, group_mod13(m, v, 0, 90, 5, 0xffffffff), 6, 1,
				"all group with a bucket weight: INVALID_GROUP");
		expect_error(c, m, group_mod13(m, v, 0, 91, 0, 3), 6, 6,
				"all group with a watch_port: WATCH_UNSUPPORTED");
		expect_error(c, m, group_mod13(m, v, 3, 92, 0, 0xffffffff), 6, 1,
				"fast failover bucket without a watch: INVALID_GROUP");
		expect_error(c, m, group_mod13(m, v, 2, 93, 0, 3), 6, 6,
				"indirect group with a watch_port: WATCH_UNSUPPORTED");
		CHECK(n_groups(90) + n_groups(91) + n_groups(92) + n_groups(93) == 0,
				"v%u: none of them added", v);
		CHECK(of_conn_receive(c, m, group_mod13(m, v, 3, 94, 0, 3)) == 0 &&
		      (collect(c, &r), r.n == 0) && n_groups(94) == 1, "v%u: ff with a watch", v);
		CHECK(of_conn_receive(c, m, group_mod13(m, v, 1, 95, 7, 0xffffffff)) == 0 &&
		      (collect(c, &r), r.n == 0) && n_groups(95) == 1, "v%u: select with a weight",
		      v);
		of_conn_destroy(c);
		CHECK(flowtab_group_del(ft, FLOWTAB_GROUP_ALL, &(enum flowtab_gm_error){ 0 },
		      &(char *){ NULL }) == 0, "groups deleted");
	}
}

/*
 * A flow_mod of 'version' with instructions 'ins' gets error (type, code) of experimenter
 * 'exp' (0: a standard error).
 */
static void
expect_inst_error(uint8_t version, const uint8_t *ins, size_t ins_len, uint16_t type,
		uint16_t code, uint32_t exp, const char *what)
{
	struct of_conn *c = connect_version(version);
	size_t before = flowtab_n_rules(ft), len;
	uint8_t m[256];
	struct replies r;

	len = flow_mod13(m, 0, oxm_ip, sizeof(oxm_ip), ins, ins_len);
	header(m, version, 14, len, 130);
	CHECK(of_conn_receive(c, m, len) == 0, "%s: accepted", what);
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 1 && get16(r.msg[0] + 8) == type &&
	      get16(r.msg[0] + 10) == code && (!exp ||
	      ((uint32_t)get16(r.msg[0] + 12) << 16 | get16(r.msg[0] + 14)) == exp) &&
	      r.len[0] == (exp ? 16u : 12u) + 64, "%s: error (%u,%u)", what,
	      r.n ? get16(r.msg[0] + 8) : 0, r.n ? get16(r.msg[0] + 10) : 0);
	CHECK(flowtab_n_rules(ft) == before, "%s: table unchanged", what);
	of_conn_destroy(c);
}

/*
 * An instruction type given twice is OFPBIC_DUP_INST: ONF's experimenter error 2600 in
 * 1.3 (what Open vSwitch sends), (3,9) from 1.4.  A meter instruction (or 1.5's meter
 * action) of meter 0 or past OFPM_MAX is OFPMMFC_INVALID_METER.
 */
static void
test_instruction_errors(void)
{
	uint8_t two_apply[48], meter[32];
	unsigned i;

	memcpy(two_apply, apply_out2, sizeof(apply_out2));
	memcpy(two_apply + 24, apply_out2, sizeof(apply_out2));
	expect_inst_error(4, two_apply, sizeof(two_apply), 0xffff, 2600, 0x4f4e4600,
			"1.3: apply_actions twice");
	expect_inst_error(5, two_apply, sizeof(two_apply), 3, 9, 0, "1.4: apply_actions twice");
	for (i = 0; i < 2; i++) {
		memset(meter, 0, 8);
		put16(meter, 6);
		put16(meter + 2, 8);
		put32(meter + 4, i ? 0xffff0001u : 0);
		memcpy(meter + 8, apply_out2, sizeof(apply_out2));
		expect_inst_error(4, meter, sizeof(meter), 12, 2, 0, i ? "1.3: meter past OFPM_MAX" :
				"1.3: meter 0");
	}
	/* 1.5's meter action: apply_actions(meter:0). */
	memset(meter, 0, 16);
	put16(meter, 4);
	put16(meter + 2, 16);
	put16(meter + 8, 29);
	put16(meter + 10, 8);
	expect_inst_error(6, meter, 16, 12, 2, 0, "1.5: meter action of meter 0");
}

int
main(void)
{
	ft = flowtab_create("br0", NULL, NULL);
	test_negotiation_and_framing();
	test_of13_other();
	test_of10();
	test_of13_flow_mod();
	test_flow_mod_flags();
	test_set_config();
	test_batched_adds();
	test_async13();
	test_async10();
	test_packet_in_max();
	test_bundles();
	test_bundle_flags();
	test_bundles_slave();
	test_bundle_groups();
	test_bundle_stale_refs();
	test_out_filters();
	test_nx_stats_header();
	test_group_mod_checks();
	test_instruction_errors();
	test_tlv();
	test_of15_group_mod();
	test_tun_flags();
	test_exact_fields();
	flowtab_destroy(ft);
	return check_report("test_of_conn");
}
