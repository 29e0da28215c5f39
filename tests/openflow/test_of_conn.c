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
#include "openflow.h"

static struct flowtab *ft;

static struct flowtab *
sw_flowtab(void *aux)
{
	(void)aux;
	return ft;
}

static const struct of_switch sw = { 1, "br0", sw_flowtab, NULL, NULL, NULL };

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

/* Send 'msg'; exactly one reply must come: an error (type, code) quoting its start. */
static void
expect_error(struct of_conn *c, const uint8_t *msg, size_t len, uint16_t type, uint16_t code,
		const char *what)
{
	size_t quoted = len < 64 ? len : 64;
	struct replies r;

	CHECK(of_conn_receive(c, msg, len) == 0, "%s: connection kept", what);
	collect(c, &r);
	CHECK(r.n == 1, "%s: one reply (%u)", what, r.n);
	if (r.n != 1)
		return;
	CHECK(r.msg[0][1] == 1, "%s: an error (type %u)", what, r.msg[0][1]);
	CHECK(get16(r.msg[0] + 8) == type && get16(r.msg[0] + 10) == code,
			"%s: error (%u,%u), expected (%u,%u)", what, get16(r.msg[0] + 8),
			get16(r.msg[0] + 10), type, code);
	CHECK(r.len[0] == 12 + quoted && !memcmp(r.msg[0] + 12, msg, quoted),
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
	bad13(c, m, len, 2, 0, "a group action");
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
	header(m, 4, 13, 24, 12);
	expect_error(c, m, 24, 1, 1, "packet_out (not supported)");
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
	header(m, 6, 0, 8, 1);              /* 1.5, no bitmap: we answer in 1.3 */
	CHECK(of_conn_receive(c, m, 8) == 0 && of_conn_version(c) == 4, "1.5 hello: 1.3");
	/* An echo fed one byte at a time is one message. */
	header(m, 4, 2, 12, 3);
	for (i = 0; i < 12; i++)
		CHECK(of_conn_receive(c, m + i, 1) == 0, "byte %u", i);
	collect(c, &r);
	CHECK(r.n == 1 && r.msg[0][1] == 3, "echo across 12 reads answered once");
	header(m, 4, 2, 4, 3);
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

int
main(void)
{
	ft = flowtab_create("br0", NULL, NULL);
	test_negotiation_and_framing();
	test_of13_other();
	test_of10();
	test_of13_flow_mod();
	flowtab_destroy(ft);
	return check_report("test_of_conn");
}
