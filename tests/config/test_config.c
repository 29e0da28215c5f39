/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config/: the YAML loader, good and bad input.  Each bad input must fail with a message
 * that names the file, the line and the key.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"


static const char good[] =
	"# a comment\n"
	"other_config:\n"
	"  dpdk-lcore-mask: \"0x1\"\n"
	"  pmd-cpu-mask: \"0x2\"\n"
	"  dpdk-socket-mem: \"1024,0\"\n"
	"  dpdk-extra: \"--no-pci\"\n"
	"  vhost-sock-dir: /run/vireo\n"
	"bridges:\n"
	"  br0:\n"
	"    datapath_type: netdev\n"
	"    ports:\n"
	"      dpdk0: {type: dpdk, options: {dpdk-devargs: \"0000:01:00.0\", n_rxq: 2}}\n"
	"      vhu0:\n"
	"        type: dpdkvhostuser\n"
	"        ofport_request: 7\n"
	"      vhc0:\n"
	"        type: dpdkvhostuserclient\n"
	"        options:\n"
	"          vhost-server-path: /run/vm0.sock\n"
	"        mtu_request: 9000\n"
	"    flows:\n"
	"      - \"priority=10,in_port=dpdk0,actions=output:vhu0\"\n"
	"      - in_port=vhu0,actions=output:dpdk0\n"
	"  br1:\n"
	"    ports:\n"
	"      af0: {type: dpdk, options: {dpdk-devargs: \"net_af_packet0,iface=veth0\"}}\n";

static void
test_good(void)
{
	struct vconf c, copy;
	char *err = NULL;
	int rc = vconf_parse_yaml("good.yaml", good, strlen(good), &c, &err);

	CHECK(rc == 0, "good config rejected: %s", err ? err : "?");
	if (rc != 0)
		return;
	CHECK(c.n_bridges == 2, "bridges %zu", c.n_bridges);
	CHECK(strcmp(vconf_map_get(&c.other_config, "pmd-cpu-mask"), "0x2") == 0, "mask");
	CHECK(strcmp(vconf_map_get(&c.other_config, "dpdk-socket-mem"), "1024,0") == 0, "mem");
	struct vconf_bridge *b = vconf_find_bridge(&c, "br0");

	CHECK(b && b->n_ports == 3 && b->n_flows == 2 && b->has_flows, "br0 shape");
	CHECK(b && strcmp(b->datapath_type, "netdev") == 0, "datapath_type");
	struct vconf_port *p = vconf_find_port(&c, "vhu0", NULL);

	CHECK(p && p->ofport_request == 7 && strcmp(p->type, "dpdkvhostuser") == 0, "vhu0");
	p = vconf_find_port(&c, "vhc0", NULL);
	CHECK(p && p->mtu_request == 9000, "mtu_request");
	CHECK(p && strcmp(vconf_map_get(&p->options, "vhost-server-path"), "/run/vm0.sock") == 0,
		"vhost-server-path");
	p = vconf_find_port(&c, "dpdk0", NULL);
	CHECK(p && p->line == 12, "port line %d", p ? p->line : -1);
	CHECK(b && b->flows[1].line == 23 && strcmp(b->flows[1].text,
		"in_port=vhu0,actions=output:dpdk0") == 0, "flow line/text");
	CHECK(vconf_find_bridge(&c, "br1") && !vconf_find_bridge(&c, "br1")->has_flows,
		"br1 has no flows key");
	CHECK(vconf_copy(&copy, &c) == 0, "copy");
	CHECK(copy.n_bridges == 2 && vconf_find_port(&copy, "af0", NULL) != NULL, "copy content");
	CHECK(vconf_map_equal(&copy.other_config, &c.other_config), "copy maps equal");
	vconf_free(&copy);
	vconf_free(&c);
	free(err);
}

struct bad_case {
	const char *text;
	const char *expect[3];	/* substrings the message must contain */
};

static const struct bad_case bad[] = {
	{ "other_config:\n  pmd-cpu-mask: \"0x2\"\n  no-such-key: 1\n",
		{ "bad.yaml:3:", "other_config:no-such-key", "unknown" } },
	{ "other_config:\n  pmd-cpu-mask: \"zz\"\n",
		{ "bad.yaml:2:", "pmd-cpu-mask", "bad value" } },
	{ "other_config:\n  dpdk-socket-mem: \"1024,x\"\n",
		{ "bad.yaml:2:", "dpdk-socket-mem", NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {options: {dpdk-devargs: x}}\n",
		{ "bad.yaml:4:", "p0", "type" } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkk}\n",
		{ "bad.yaml:4:", "unknown port type 'dpdkk'", NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdk}\n",
		{ "bad.yaml:4:", "dpdk-devargs", "required" } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuserclient}\n",
		{ "bad.yaml:4:", "vhost-server-path", NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p0:\n        type: dpdk\n        options:\n"
		"          dpdk-devargs: x\n          n_rxq: lots\n",
		{ "bad.yaml:8:", "options:n_rxq", "lots" } },
	{ "bridges:\n  br0:\n    ports:\n      p0:\n        type: dpdk\n        colour: red\n",
		{ "bad.yaml:6:", "colour", "p0" } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser}\n"
		"  br1:\n    ports:\n      p0: {type: dpdkvhostuser}\n",
		{ "bad.yaml:7:", "p0", "already exists" } },
	{ "other_config:\n  pmd-cpu-mask: 1\n  pmd-cpu-mask: 2\n",
		{ "bad.yaml:3:", "duplicate", "pmd-cpu-mask" } },
	{ "bridges:\n  br0:\n    ports: [a, b]\n",
		{ "bad.yaml:3:", "ports", "mapping" } },
	{ "bridges:\n  br0:\n    flows: \"in_port=1,actions=drop\"\n",
		{ "bad.yaml:3:", "flows", "list" } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, ofport_request: x}\n",
		{ "bad.yaml:4:", "ofport_request", "integer" } },
	/* OVSDB's range for ofport_request is 1..65279 (0xfeff): 0 is no "unset" in a file. */
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, ofport_request: 0}\n",
		{ "bad.yaml:4:", "port 'p0': key 'ofport_request': 0 is out of range 1..65279",
		"leave the key out" } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, ofport_request: 65280}\n",
		{ "bad.yaml:4:", "port 'p0': key 'ofport_request': 65280 is out of range 1..65279",
		NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, ofport_request: \"-1\"}\n",
		{ "bad.yaml:4:", "port 'p0': key 'ofport_request': -1 is out of range 1..65279",
		NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, mtu_request: 20000}\n",
		{ "bad.yaml:4:", "mtu_request", "range" } },
	/* Below IPv4's minimum MTU (RTE_ETHER_MIN_MTU, 68); an explicit 0 is no "unset". */
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, mtu_request: 67}\n",
		{ "bad.yaml:4:", "key 'mtu_request': 67 is out of range 68..9710", NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, mtu_request: 1}\n",
		{ "bad.yaml:4:", "key 'mtu_request': 1 is out of range 68..9710", NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, mtu_request: 0}\n",
		{ "bad.yaml:4:", "key 'mtu_request': 0 is out of range 68..9710", "leave the key out" } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, mtu_request: \"-1\"}\n",
		{ "bad.yaml:4:", "key 'mtu_request': -1 is out of range 68..9710", NULL } },
	{ "bridges:\n  br0:\n    datapath_type: system\n",
		{ "bad.yaml:3:", "datapath_type", "netdev" } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: [x]}\n",
		{ "bad.yaml:4:", "type", "scalar" } },
	{ "bridgez:\n  br0: {}\n", { "bad.yaml:1:", "bridgez", NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdk\n", { "bad.yaml:", "YAML", NULL } },
	{ "- just\n- a list\n", { "bad.yaml:1:", "mapping", NULL } },
	{ "bridges:\n  br0:\n    ports:\n      LONGNAME: {type: dpdkvhostuser}\n",
		{ "bad.yaml:4:", "pppppppppppppppp", "255" } },
	/* A bridge's name is a file's (RUNDIR/BRIDGE.mgmt), as a port's is. */
	{ "bridges:\n  ../br0:\n    ports: {}\n",
		{ "bad.yaml:2:", "bridge '../br0'", "without '/'" } },
	{ "bridges:\n  br0:\n    ports:\n      a/b: {type: dpdkvhostuser}\n",
		{ "bad.yaml:4:", "port 'a/b'", "without '/'" } },
	{ "", { "bad.yaml", "empty", NULL } },
	/* Duplicate keys in an interface and a controller mapping, as everywhere else. */
	{ "bridges:\n  br0:\n    ports:\n      bond0:\n        interfaces:\n"
		"          p1: {type: dpdk, type: dpdk, options: {dpdk-devargs: net_null1}}\n"
		"          p2: {type: dpdk, options: {dpdk-devargs: net_null2}}\n",
		{ "bad.yaml:6:", "key 'ports:bond0:interfaces:p1:type': duplicate key", NULL } },
	{ "bridges:\n  br0:\n    controller:\n      - {target: \"tcp:127.0.0.1\",\n"
		"         target: \"ptcp:\"}\n",
		{ "bad.yaml:5:", "key 'controller:target': duplicate key (first on line 4)", NULL } },
	/* A second document would be read by nobody; a syntax error in it is still one. */
	{ "bridges:\n  br0: {}\n---\nbridges:\n  br1: {}\n",
		{ "bad.yaml:4:", "a second YAML document", NULL } },
	{ "bridges:\n  br0: {}\n---\n---\nother_config: {pmd-cpu-mask: \"0x2\"}\n",
		{ "bad.yaml:5:", "a second YAML document", NULL } },
	{ "bridges:\n  br0: {}\n---\n[\n", { "bad.yaml:", "YAML syntax error", NULL } },
	/* Numbers are range-checked, never truncated (65537 as a 16-bit count is 1). */
	{ "bridges:\n  br0:\n    ports:\n      p0:\n        type: dpdk\n        options:\n"
		"          dpdk-devargs: x\n          n_rxq: 65537\n",
		{ "bad.yaml:8:", "key 'options:n_rxq': '65537' is out of range 1..16", NULL } },
	/* The port layer's limit (PORT_MAX_RXQ): refused here, not when the port opens. */
	{ "bridges:\n  br0:\n    ports:\n      p0:\n        type: dpdk\n        options:\n"
		"          dpdk-devargs: x\n          n_rxq: 17\n",
		{ "bad.yaml:8:", "key 'options:n_rxq': '17' is out of range 1..16", NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p: {type: dpdkvhostuser, other_config: "
		"{pmd-rxq-affinity: \"0:1,16:3\"}}\n",
		{ "bad.yaml:4:", "pmd-rxq-affinity", "'0:1,16:3'" } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, options: {n_rxq: 0}}\n",
		{ "bad.yaml:4:", "'options:n_rxq': '0' is out of range", NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, options: {n_rxq: \"-1\"}}\n",
		{ "bad.yaml:4:", "'options:n_rxq': '-1' is not a decimal integer", NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, options: {n_rxq: 0x2}}\n",
		{ "bad.yaml:4:", "'0x2' is not a decimal integer", NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p0:\n        type: dpdk\n        options:\n"
		"          dpdk-devargs: x\n          n_rxq_desc: 4294967297\n",
		{ "bad.yaml:8:", "'options:n_rxq_desc': '4294967297' is out of range 1..4096", NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p0:\n        type: dpdk\n        options:\n"
		"          dpdk-devargs: x\n          n_txq_desc: 99999999999999999999999\n",
		{ "bad.yaml:8:", "'99999999999999999999999' is out of range", NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p0:\n        type: dpdkvhostuserclient\n"
		"        options: {vhost-server-path: /x, tx-retries-max: 33}\n",
		{ "bad.yaml:6:", "'options:tx-retries-max': '33' is out of range 0..32", NULL } },
	{ "bridges:\n  br0:\n    ports:\n      p0:\n        type: dpdk\n        options:\n"
		"          dpdk-devargs: x\n          n_rxq: \" 2\"\n",
		{ "bad.yaml:8:", "' 2' is not a decimal integer", NULL } },
	/* The MTU is the Interface column mtu_request, not an option (no option reads it). */
	{ "bridges:\n  br0:\n    ports:\n      p0:\n        type: dpdk\n        options:\n"
		"          dpdk-devargs: x\n          mtu_request: 1500\n",
		{ "bad.yaml:8:", "'options:mtu_request': unknown option for type dpdk", NULL } },
	{ "other_config:\n  dpdk-socket-mem: \"1024,4294967296\"\n",
		{ "bad.yaml:2:", "dpdk-socket-mem", "bad value" } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, ofport_request: \"+7\"}\n",
		{ "bad.yaml:4:", "ofport_request", "integer" } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, ofport_request: 0x10}\n",
		{ "bad.yaml:4:", "ofport_request", "integer" } },
	{ "bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, "
		"ofport_request: 18446744073709551617}\n",
		{ "bad.yaml:4:", "ofport_request", "integer" } },
};

/* 'text' with "LONGNAME" replaced by a name of 'len' characters (malloc'd). */
static char *
with_long_name(const char *text, size_t len)
{
	const char *at = strstr(text, "LONGNAME");
	size_t pre = at ? (size_t)(at - text) : strlen(text);
	char *s = malloc(strlen(text) + len + 1);

	memcpy(s, text, pre);
	if (at == NULL) {
		s[pre] = '\0';
		return s;
	}
	memset(s + pre, 'p', len);
	strcpy(s + pre + len, at + strlen("LONGNAME"));
	return s;
}

/* Documents after the first that hold nothing ('---' or '...' alone) are no configuration. */
static void
test_documents(void)
{
	static const char *const ok[] = {
		"bridges:\n  br0: {}\n---\n",
		"bridges:\n  br0: {}\n...\n",
		"---\nbridges:\n  br0: {}\n---\n---\n",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct vconf c;
		char *err = NULL;
		int rc = vconf_parse_yaml("docs.yaml", ok[i], strlen(ok[i]), &c, &err);

		CHECK(rc == 0 && c.n_bridges == 1, "case %zu refused: %s", i, err ? err : "");
		if (rc == 0)
			vconf_free(&c);
		free(err);
	}
}

/* Names are kept whole up to VCONF_NAME_MAX characters (no silent truncation anywhere). */
static void
test_long_names(void)
{
	char *text = with_long_name("bridges:\n  br0:\n    ports:\n"
		"      LONGNAME: {type: dpdkvhostuser}\n", VCONF_NAME_MAX);
	struct vconf c;
	char *err = NULL;
	int rc = vconf_parse_yaml("long.yaml", text, strlen(text), &c, &err);

	CHECK(rc == 0, "a %d-character port name refused: %s", VCONF_NAME_MAX, err ? err : "");
	if (rc == 0) {
		CHECK(strlen(c.bridges[0].ports[0].name) == VCONF_NAME_MAX,
			"the name was shortened to %zu", strlen(c.bridges[0].ports[0].name));
		vconf_free(&c);
	}
	free(err);
	free(text);
}

static void
test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vconf c;
		char *err = NULL;
		char *text = with_long_name(bad[i].text, VCONF_NAME_MAX + 1);
		int rc = vconf_parse_yaml("bad.yaml", text, strlen(text), &c, &err);

		CHECK(rc < 0, "bad case %zu accepted", i);
		CHECK(err != NULL, "bad case %zu: no message", i);
		if (rc == 0)
			vconf_free(&c);
		for (int k = 0; k < 3 && err; k++)
			CHECK(bad[i].expect[k] == NULL || strstr(err, bad[i].expect[k]) != NULL,
				"bad case %zu: message '%s' lacks '%s'", i, err, bad[i].expect[k]);
		free(err);
		free(text);
	}
}

/* The helper the port layer uses too: exact bounds, exact messages. */
static void
test_parse_uint(void)
{
	static const struct {
		const char *val;
		unsigned long min, max;
		int ok;
		unsigned long want;
		const char *msg;
	} cases[] = {
		{ "1", 1, 1024, 1, 1, NULL },
		{ "1024", 1, 1024, 1, 1024, NULL },
		{ "0", 0, 0, 1, 0, NULL },
		{ "007", 0, 10, 1, 7, NULL },
		{ "18446744073709551615", 0, ULONG_MAX, 1, ULONG_MAX, NULL },
		{ "65537", 1, 1024, 0, 0, "key 'n_rxq': '65537' is out of range 1..1024" },
		{ "0", 1, 1024, 0, 0, "key 'n_rxq': '0' is out of range 1..1024" },
		{ "18446744073709551616", 0, ULONG_MAX, 0, 0,
			"key 'n_rxq': '18446744073709551616' is out of range 0..18446744073709551615" },
		{ "", 0, 10, 0, 0, "key 'n_rxq': '' is not a decimal integer" },
		{ "-1", 0, 10, 0, 0, "key 'n_rxq': '-1' is not a decimal integer" },
		{ "+1", 0, 10, 0, 0, "key 'n_rxq': '+1' is not a decimal integer" },
		{ " 1", 0, 10, 0, 0, "key 'n_rxq': ' 1' is not a decimal integer" },
		{ "1 ", 0, 10, 0, 0, "key 'n_rxq': '1 ' is not a decimal integer" },
		{ "0x1", 0, 10, 0, 0, "key 'n_rxq': '0x1' is not a decimal integer" },
		{ "1e3", 0, 10000, 0, 0, "key 'n_rxq': '1e3' is not a decimal integer" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long v = 12345;
		char *err = NULL;
		int rc = vconf_parse_uint("n_rxq", cases[i].val, cases[i].min, cases[i].max, &v, &err);

		if (cases[i].ok) {
			CHECK(rc == 0 && v == cases[i].want && err == NULL, "'%s' -> %lu (rc %d)",
				cases[i].val, v, rc);
		} else {
			CHECK(rc == -EINVAL && v == 12345, "'%s' refused (rc %d, v %lu)",
				cases[i].val, rc, v);
			CHECK(err && strcmp(err, cases[i].msg) == 0, "'%s': message '%s'",
				cases[i].val, err ? err : "(none)");
		}
		free(err);
	}
}

static void
test_file(void)
{
	struct vconf c;
	char *err = NULL;

	/* What the caller's stack held before: freeing 'c' after a failure must be safe. */
	memset(&c, 0xfe, sizeof(c));
	CHECK(vconf_load_yaml("/nonexistent/vireo.yaml", &c, &err) < 0, "missing file");
	CHECK(err && strstr(err, "/nonexistent/vireo.yaml") && strstr(err, "cannot open"),
		"missing file message: %s", err ? err : "(none)");
	CHECK(c.source == NULL && c.n_bridges == 0 && c.other_config.n == 0,
		"a missing file leaves the configuration empty, not as it was");
	vconf_free(&c);
	free(err);
}

static void
test_map(void)
{
	struct vconf_map a = { 0 }, b = { 0 };

	CHECK(vconf_map_set(&a, "k1", "v1", 1) == 0 && vconf_map_set(&a, "k2", "v2", 2) == 0, "set");
	CHECK(vconf_map_set(&b, "k2", "v2", 0) == 0 && vconf_map_set(&b, "k1", "v1", 0) == 0, "set");
	CHECK(vconf_map_equal(&a, &b), "order does not matter");
	CHECK(vconf_map_set(&b, "k1", "other", 0) == 0 && b.n == 2, "replace keeps size");
	CHECK(!vconf_map_equal(&a, &b), "changed value differs");
	CHECK(vconf_map_get(&a, "k3") == NULL, "absent key");
	vconf_map_free(&a);
	vconf_map_free(&b);
}

/* Parse 'text'; 0 or -1 with '*err'.  The vconf is freed unless 'keep'. */
static int
parse(const char *text, struct vconf *c, char **err)
{
	return vconf_parse_yaml("s.yaml", text, strlen(text), c, err);
}

/*
 * Bridge other_config keys that change what the switch does: datapath-id and forward-bpdu
 * are implemented (and checked), hwaddr is refused, not warned about.
 */
static void
test_bridge_other_config(void)
{
	static const struct {
		const char *key, *value, *expect;	/* expect NULL: taken */
	} cases[] = {
		{ "datapath-id", "0000000000000abc", NULL },
		{ "datapath-id", "0x1", NULL },
		{ "datapath-id", "abc", "datapath-id': bad value 'abc' (16 hex digits" },
		{ "datapath-id", "0000000000000000", "bad value '0000000000000000'" },
		{ "datapath-id", "000000000000000g", "bad value '000000000000000g'" },
		{ "datapath-id", "0x00000000000000001", "bad value" },
		{ "hwaddr", "02:00:00:00:00:01", "other_config:hwaddr': '02:00:00:00:00:01' refused" },
		{ "forward-bpdu", "false", NULL },
		{ "forward-bpdu", "true", NULL },
		/* As smap_get_bool() and dp_bridge_forward_bpdu() read it: any case. */
		{ "forward-bpdu", "TRUE", NULL },
		{ "forward-bpdu", "False", NULL },
		{ "forward-bpdu", "yes", "other_config:forward-bpdu': bad value 'yes'" },
	};
	uint64_t id = 0;
	struct vconf c;
	char *err = NULL, *warn = NULL;
	int rc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vconf_bridge b = { .name = "br0" };
		char key[64];

		snprintf(key, sizeof(key), "Bridge:other_config:%s", cases[i].key);
		vconf_map_set(&b.extra, key, cases[i].value, 0);
		rc = vconf_check_bridge(&b, &err, &warn);
		if (cases[i].expect == NULL)
			CHECK(rc == 0 && warn == NULL, "%s=%s: %s / %s", cases[i].key,
				cases[i].value, err ? err : "", warn ? warn : "");
		else
			CHECK(rc < 0 && err && strstr(err, cases[i].expect), "%s=%s: %s",
				cases[i].key, cases[i].value, err ? err : "(taken)");
		free(err);
		free(warn);
		vconf_map_free(&b.extra);
	}
	CHECK(vconf_dpid_parse("0000000000000abc", &id) == 0 && id == 0xabc, "dpid %lx",
		(unsigned long)id);
	CHECK(vconf_dpid_parse("0xFFFFFFFFFFFFFFFF", &id) == 0 && id == UINT64_MAX, "0x dpid");
	CHECK(vconf_dpid_parse("", &id) < 0 && vconf_dpid_parse("0x", &id) < 0 &&
		vconf_dpid_parse("00000000000000abc", &id) < 0, "malformed dpids refused");

	/* YAML: the bridge's other_config, as the Bridge column. */
	rc = parse("bridges:\n  br0:\n    other_config: {datapath-id: \"00000000000000b0\"}\n",
		&c, &err);
	CHECK(rc == 0 && vconf_bridge_dpid(&c.bridges[0], &id) == 0 && id == 0xb0,
		"YAML datapath-id: %s", err ? err : "");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;
	rc = parse("bridges:\n  br0:\n    other_config:\n      hwaddr: \"02:00:00:00:00:01\"\n",
		&c, &err);
	CHECK(rc < 0 && err && strstr(err, "s.yaml:2:") && strstr(err, "hwaddr") &&
		strstr(err, "refused"), "YAML hwaddr: %s", err ? err : "(taken)");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;

	/*
	 * YAML takes mac-table-size and mac-aging-time as the OVSDB column does: the size
	 * applied (no warning), an aging time other than 300 s accepted with a warning.
	 */
	rc = parse("bridges:\n  br0:\n    other_config: {mac-table-size: 4096, "
		"mac-aging-time: 300}\n", &c, &err);
	CHECK(rc == 0 && strcmp(vconf_map_get(&c.bridges[0].extra,
		"Bridge:other_config:mac-table-size"), "4096") == 0 &&
		vconf_check_bridge(&c.bridges[0], &err, &warn) == 0 && warn == NULL,
		"YAML mac-table-size 4096, mac-aging-time 300: %s / %s", err ? err : "",
		warn ? warn : "");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	free(warn);
	err = warn = NULL;
	rc = parse("bridges:\n  br0:\n    other_config:\n      mac-aging-time: 60\n", &c, &err);
	CHECK(rc == 0 && vconf_check_bridge(&c.bridges[0], &err, &warn) == 0 && warn != NULL &&
		strstr(warn, "other_config:mac-aging-time") && strstr(warn, "not applied"),
		"YAML mac-aging-time 60: accepted with a warning: %s / %s", err ? err : "",
		warn ? warn : "(none)");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	free(warn);
}

/*
 * Settings Open vSwitch users give an NFV host: each one implemented, accepted with a
 * warning, or refused with a message naming it; none ignored without a word.
 */
static void
test_settings(void)
{
	struct vconf c;
	char *err = NULL, *warn;
	int rc;

	/* OVS accepts tx-retries-max on a dpdkvhostuser port: the port must not fail. */
	rc = parse("bridges:\n  br0:\n    ports:\n      vhu0:\n        type: dpdkvhostuser\n"
		"        options: {tx-retries-max: 33}\n", &c, &err);
	CHECK(rc < 0 && err && strstr(err, "tx-retries-max") && strstr(err, "33"),
		"tx-retries-max=33: %s", err ? err : "(accepted)");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;
	rc = parse("bridges:\n  br0:\n    ports:\n      vhu0:\n        type: dpdkvhostuser\n"
		"        options: {tx-retries-max: 4, dq-zero-copy: \"false\"}\n"
		"      dpdk0:\n        type: dpdk\n        options:\n"
		"          dpdk-devargs: net_null0\n          dpdk-lsc-interrupt: \"true\"\n",
		&c, &err);
	CHECK(rc == 0, "tx-retries-max/dpdk-lsc-interrupt refused: %s", err ? err : "");
	if (rc == 0) {
		/* tx-retries-max is applied; dq-zero-copy=false is the default. */
		warn = vconf_port_warnings(vconf_find_port(&c, "vhu0", NULL));
		CHECK(warn == NULL, "vhu0 warnings: %s", warn ? warn : "(none)");
		free(warn);
		warn = vconf_port_warnings(vconf_find_port(&c, "dpdk0", NULL));
		CHECK(warn && strstr(warn, "options:dpdk-lsc-interrupt"), "dpdk0 warnings: %s",
			warn ? warn : "(none)");
		free(warn);
		vconf_free(&c);
	}
	free(err);
	err = NULL;

	/* Ethernet flow control would change the wire: refused, naming the option. */
	rc = parse("bridges:\n  br0:\n    ports:\n      dpdk0:\n        type: dpdk\n"
		"        options: {dpdk-devargs: net_null0, rx-flow-ctrl: \"true\"}\n", &c, &err);
	CHECK(rc < 0 && err && strstr(err, "options:rx-flow-ctrl") && strstr(err, "refused"),
		"rx-flow-ctrl: %s", err ? err : "accepted");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;

	/* other_config: accepted-with-warning keys pass, refused ones fail the file. */
	rc = parse("other_config:\n  tx-flush-interval: \"50\"\n  pmd-auto-lb: \"true\"\n",
		&c, &err);
	CHECK(rc == 0, "tx-flush-interval/pmd-auto-lb refused: %s", err ? err : "");
	if (rc == 0) {
		char *m = NULL;

		CHECK(vconf_check_other_config(&c.other_config.kv[0], &m) == 1 && m &&
			strstr(m, "tx-flush-interval"), "tx-flush-interval warning: %s", m ? m : "");
		free(m);
		vconf_free(&c);
	}
	free(err);
	err = NULL;
	rc = parse("other_config:\n  hw-offload: \"true\"\n", &c, &err);
	CHECK(rc < 0 && err && strstr(err, "s.yaml:2:") && strstr(err, "hw-offload"),
		"hw-offload=true: %s", err ? err : "accepted");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;
	rc = parse("other_config:\n  hw-offload: \"false\"\n", &c, &err);
	CHECK(rc == 0, "hw-offload=false (the default) refused: %s", err ? err : "");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;

	/* pmd-rxq-affinity (Interface other_config, a port's other_config in YAML). */
	rc = parse("bridges:\n  br0:\n    ports:\n      p: {type: dpdkvhostuser, other_config: "
		"{pmd-rxq-affinity: \"0:1,1:3,15:2\"}}\n", &c, &err);
	CHECK(rc == 0, "pmd-rxq-affinity refused: %s", err ? err : "");
	if (rc == 0) {
		int16_t core[16];

		CHECK(vconf_rxq_affinity_parse(vconf_map_get(&c.bridges[0].ports[0].extra,
			"Interface:other_config:pmd-rxq-affinity"), core, 16) == 0 &&
			core[0] == 1 && core[1] == 3 && core[2] == -1 && core[15] == 2,
			"affinity parse");
		vconf_free(&c);
	}
	free(err);
	err = NULL;
	rc = parse("bridges:\n  br0:\n    ports:\n      p: {type: dpdkvhostuser, other_config: "
		"{pmd-rxq-affinity: \"0-1\"}}\n", &c, &err);
	CHECK(rc < 0 && err && strstr(err, "pmd-rxq-affinity") && strstr(err, "'0-1'"),
		"bad pmd-rxq-affinity: %s", err ? err : "accepted");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;

	/* mtu_request: 68 (RTE_ETHER_MIN_MTU) is the smallest taken. */
	rc = parse("bridges:\n  br0:\n    ports:\n      p0: {type: dpdkvhostuser, mtu_request: 68}\n",
		&c, &err);
	CHECK(rc == 0 && c.bridges[0].ports[0].mtu_request == 68, "mtu_request 68: %s",
		err ? err : "");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;

	/* fail_mode: standalone and secure, as Open vSwitch; anything else names the key. */
	rc = parse("bridges:\n  br0:\n    fail_mode: secure\n", &c, &err);
	CHECK(rc == 0 && strcmp(c.bridges[0].fail_mode, "secure") == 0, "fail_mode secure: %s",
		err ? err : "");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;
	rc = parse("bridges:\n  br0:\n    fail_mode: open\n", &c, &err);
	CHECK(rc < 0 && err && strstr(err, "s.yaml:2:") && strstr(err, "fail_mode") &&
		strstr(err, "'open'"), "fail_mode open: %s", err ? err : "accepted");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;

	/* controller: a target, or a list of targets and mappings. */
	rc = parse("bridges:\n  br0:\n    controller: tcp:127.0.0.1:6653\n", &c, &err);
	CHECK(rc == 0 && c.bridges[0].n_controllers == 1 &&
		!strcmp(c.bridges[0].controllers[0].target, "tcp:127.0.0.1:6653") &&
		c.bridges[0].controllers[0].inactivity_probe == -1, "controller: one target: %s",
		err ? err : "");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;
	rc = parse("bridges:\n  br0:\n    controller:\n      - ptcp:6653\n"
		"      - {target: 'unix:/x', inactivity_probe: 1500, max_backoff: 200}\n", &c, &err);
	CHECK(rc == 0 && c.bridges[0].n_controllers == 2 &&
		!strcmp(c.bridges[0].controllers[1].target, "unix:/x") &&
		c.bridges[0].controllers[1].inactivity_probe == 1500 &&
		c.bridges[0].controllers[1].max_backoff == 1000, "controller: a list: %s",
		err ? err : "");
	if (rc == 0) {
		struct vconf d;

		CHECK(vconf_copy(&d, &c) == 0 && d.bridges[0].n_controllers == 2 &&
			vconf_bridge_settings_equal(&d.bridges[0], &c.bridges[0]),
			"controllers copied and compared");
		d.bridges[0].controllers[0].max_backoff = 5000;
		CHECK(!vconf_bridge_settings_equal(&d.bridges[0], &c.bridges[0]),
			"a changed controller is a changed bridge");
		vconf_free(&d);
		vconf_free(&c);
	}
	free(err);
	err = NULL;
	rc = parse("bridges:\n  br0:\n    controller: ssl:1.2.3.4\n", &c, &err);
	CHECK(rc < 0 && err && strstr(err, "s.yaml:3:") && strstr(err, "controller") &&
		strstr(err, "'ssl:1.2.3.4'"), "controller ssl: %s", err ? err : "accepted");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;

	/* OVSDB columns in 'extra': refused, warned or unknown (refused). */
	struct vconf_port p = { .name = "p1", .type = "dpdkvhostuser" };
	int line;

	vconf_map_set(&p.extra, "Port:other_config:net_uuid", "x", 0);
	CHECK(vconf_check_port(&p, &line, &err) == 0, "Neutron's Port other_config refused: %s",
		err ? err : "");
	free(err);
	err = NULL;
	warn = vconf_port_warnings(&p);
	CHECK(warn && strstr(warn, "Port:other_config:net_uuid"), "no warning: %s",
		warn ? warn : "(none)");
	free(warn);
	vconf_map_set(&p.extra, "Interface:ingress_policing_rate", "1000", 0);
	vconf_map_set(&p.extra, "QoS:type", "egress-policer", 0);
	vconf_map_set(&p.extra, "QoS:other_config:cir", "125000", 0);
	CHECK(vconf_check_port(&p, &line, &err) == 0, "policing and egress-policer refused: %s",
		err ? err : "");
	free(err);
	err = NULL;
	{
		struct vconf_policing pol;

		vconf_port_policing(&p, &pol);
		CHECK(pol.in_kbps == 1000 && pol.out_cir == 125000 && pol.out_cbs == 0 &&
			pol.in_kpps == 0, "policing read back: %lu %lu", (unsigned long)pol.in_kbps,
			(unsigned long)pol.out_cir);
	}
	vconf_map_set(&p.extra, "QoS:type", "linux-htb", 0);
	vconf_map_set(&p.extra, "Interface:ingress_policing_rate", "1k", 0);
	CHECK(vconf_check_port(&p, &line, &err) < 0 && err &&
		strstr(err, "Interface:ingress_policing_rate': bad value '1k'"),
		"a bad rate: %s", err ? err : "accepted");
	free(err);
	err = NULL;
	vconf_map_set(&p.extra, "Interface:ingress_policing_rate", "0", 0);
	vconf_map_set(&p.extra, "Port:qos", "5c3f0000-0000-0000-0000-000000000000", 0);
	CHECK(vconf_check_port(&p, &line, &err) < 0 && err &&
		strstr(err, "QoS:type': 'linux-htb' refused") && strstr(err, "Port:qos"),
		"qos linux-htb and an unknown QoS row: %s", err ? err : "accepted");
	free(err);
	err = NULL;
	vconf_map_free(&p.extra);
	vconf_map_set(&p.extra, "Port:no_such_column", "1", 0);
	CHECK(vconf_check_port(&p, &line, &err) < 0 && err && strstr(err, "Port:no_such_column"),
		"an unknown column: %s", err ? err : "accepted");
	free(err);
	err = NULL;
	vconf_map_free(&p.extra);
	vconf_map_set(&p.extra, "Port:lacp", "off", 0);
	CHECK(vconf_check_port(&p, &line, &err) == 0, "lacp=off refused: %s", err ? err : "");
	free(err);
	err = NULL;
	vconf_map_free(&p.extra);

	struct vconf_bridge b = { .name = "br0" };

	vconf_map_set(&b.extra, "Bridge:stp_enable", "true", 0);
	vconf_map_set(&b.extra, "Bridge:other_config:disable-in-band", "true", 0);
	CHECK(vconf_check_bridge(&b, &err, &warn) < 0 && err && strstr(err, "Bridge:stp_enable")
		&& warn && strstr(warn, "Bridge:other_config:disable-in-band"), "bridge: %s / %s",
		err ? err : "accepted", warn ? warn : "(no warning)");
	free(err);
	free(warn);
	vconf_map_free(&b.extra);
	test_bridge_other_config();
}

/* A bond in YAML: its interfaces, its Port settings, and what DPDK's bonding cannot run. */
static void
test_bond(void)
{
	static const char head[] = "bridges:\n  br0:\n    ports:\n      bond0:\n";
	static const char members[] = "        interfaces:\n"
		"          p1: {type: dpdk, options: {dpdk-devargs: net_null1}}\n"
		"          p2: {type: dpdk, options: {dpdk-devargs: net_null2}}\n";
	static const struct {
		const char *settings, *expect;
	} refused[] = {
		{ "        bond_mode: balance-slb\n        lacp: active\n",
			"'active' refused with bond_mode balance-slb" },
		{ "        bond_mode: balance-tcp\n", "'balance-tcp' refused without LACP" },
		{ "        lacp: active\n        bond_downdelay: 100\n", "refused with lacp=active" },
		{ "        bond_mode: balance-tcp\n        lacp: passive\n        bond_downdelay: 9\n",
			"refused with lacp=passive" },
		{ "        bond_mode: balance-tcp\n        lacp: active\n        bond_updelay: 5\n",
			"refused with lacp=active" },
		{ "        bond_mode: round-robin\n", "bad value 'round-robin'" },
		{ "        other_config: {lacp-time: medium}\n", "lacp-time': bad value" },
		{ "        other_config: {lacp-fallback-ab: \"true\"}\n",
			"key 'Port:other_config:lacp-fallback-ab': 'true' refused" },
		{ "        other_config: {bond-detect-mode: miimon}\n",
			"key 'Port:other_config:bond-detect-mode': 'miimon' refused" },
		{ "        other_config: {bond-hash-basis: 7}\n",
			"key 'Port:other_config:bond-hash-basis': '7' refused" },
	};
	struct vconf c;
	char text[1024], *err = NULL, *warn;
	struct vconf_port *p;
	int rc;

	snprintf(text, sizeof(text), "%s        bond_mode: balance-tcp\n        lacp: active\n"
		"        other_config: {lacp-time: fast, bond-rebalance-interval: 0}\n%s", head,
		members);
	rc = parse(text, &c, &err);
	CHECK(rc == 0, "balance-tcp bond refused: %s", err ? err : "");
	p = rc == 0 ? vconf_find_port(&c, "bond0", NULL) : NULL;
	CHECK(p != NULL && p->n_ifaces == 2 && strcmp(p->type, "bond") == 0,
		"bond0: a bond of 2 interfaces");
	if (p != NULL) {
		CHECK(strcmp(p->ifaces[1].name, "p2") == 0 &&
			strcmp(vconf_map_get(&p->ifaces[1].options, "dpdk-devargs"), "net_null2") == 0,
			"member p2 and its devargs");
		CHECK(strcmp(vconf_bond_setting(p, "lacp-time"), "fast") == 0 &&
			strcmp(vconf_bond_setting(p, "bond_mode"), "balance-tcp") == 0 &&
			strcmp(vconf_bond_setting(p, "bond_downdelay"), "0") == 0,
			"bond settings in force");
		warn = vconf_port_warnings(p);
		CHECK(warn == NULL, "no warning for a default rebalance interval: %s", warn);
		free(warn);
		vconf_free(&c);
	}
	free(err);
	err = NULL;
	snprintf(text, sizeof(text), "%s        bond_mode: balance-tcp\n        lacp: passive\n%s",
		head, members);
	rc = parse(text, &c, &err);
	CHECK(rc == 0, "balance-tcp with lacp=passive refused: %s", err ? err : "");
	if (rc == 0) {
		p = vconf_find_port(&c, "bond0", NULL);
		CHECK(strcmp(vconf_bond_setting(p, "lacp"), "passive") == 0, "lacp=passive in force");
		vconf_free(&c);
	}
	free(err);
	err = NULL;
	snprintf(text, sizeof(text), "%s%s        other_config: {bond-rebalance-interval: 500}\n",
		head, members);
	rc = parse(text, &c, &err);
	CHECK(rc == 0, "active-backup bond refused: %s", err ? err : "");
	if (rc == 0) {
		p = vconf_find_port(&c, "bond0", NULL);
		CHECK(strcmp(vconf_bond_setting(p, "bond_mode"), "active-backup") == 0,
			"active-backup is the default bond_mode");
		warn = vconf_port_warnings(p);
		CHECK(warn && strstr(warn, "bond-rebalance-interval") && strstr(warn, "not applied"),
			"rebalance interval warned: %s", warn ? warn : "(none)");
		free(warn);
		vconf_free(&c);
	}
	free(err);
	err = NULL;
	snprintf(text, sizeof(text), "%s        bond_mode: balance-slb\n        bond_updelay: 100\n%s",
		head, members);
	rc = parse(text, &c, &err);
	CHECK(rc == 0, "balance-slb bond (no LACP, updelay) refused: %s", err ? err : "");
	if (rc == 0) {
		p = vconf_find_port(&c, "bond0", NULL);
		CHECK(strcmp(vconf_bond_setting(p, "bond_mode"), "balance-slb") == 0 &&
			strcmp(vconf_bond_setting(p, "lacp"), "off") == 0,
			"balance-slb in force, LACP off");
		vconf_free(&c);
	}
	free(err);
	err = NULL;
	snprintf(text, sizeof(text), "%s        other_config: {lacp-fallback-ab: \"false\", "
		"bond-detect-mode: carrier}\n%s", head, members);
	rc = parse(text, &c, &err);
	CHECK(rc == 0, "lacp-fallback-ab, bond-detect-mode at their defaults refused: %s",
		err ? err : "");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;
	snprintf(text, sizeof(text), "%s        lacp: active\n%s", head, members);
	rc = parse(text, &c, &err);
	CHECK(rc == 0, "active-backup bond with lacp=active refused: %s", err ? err : "");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		err = NULL;
		snprintf(text, sizeof(text), "%s%s%s", head, refused[i].settings, members);
		rc = parse(text, &c, &err);
		CHECK(rc < 0 && err && strstr(err, refused[i].expect), "case %zu: '%s' lacks '%s'",
			i, err ? err : "(accepted)", refused[i].expect);
		if (rc == 0)
			vconf_free(&c);
		free(err);
	}
	/* Interfaces make a bond: with another type they would be dropped unseen. */
	for (size_t i = 0; i < 2; i++) {
		err = NULL;
		snprintf(text, sizeof(text), "%s        type: %s\n%s", head,
			i == 0 ? "dpdk\n        options: {dpdk-devargs: net_null0}" : "internal",
			members);
		rc = parse(text, &c, &err);
		CHECK(rc < 0 && err && strstr(err, "s.yaml:4:") &&
			strstr(err, "key 'interfaces': refused with type"), "case %zu: %s", i,
			err ? err : "(accepted)");
		if (rc == 0)
			vconf_free(&c);
		free(err);
	}
	err = NULL;
	snprintf(text, sizeof(text), "%s        type: bond\n%s", head, members);
	rc = parse(text, &c, &err);
	CHECK(rc == 0, "type bond with interfaces refused: %s", err ? err : "");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;
	snprintf(text, sizeof(text), "%s        interfaces:\n"
		"          p1: {type: dpdk, options: {dpdk-devargs: net_null1}}\n"
		"          p2: {type: dpdkvhostuser}\n", head);
	rc = parse(text, &c, &err);
	CHECK(rc < 0 && err && strstr(err, "interface 'p2': key 'type': 'dpdkvhostuser' refused"),
		"vhost member: %s", err ? err : "(accepted)");
	if (rc == 0)
		vconf_free(&c);
	free(err);
}

/* Ingress policing on a tunnel port refused, as on a patch port: nothing would police it. */
static void
test_policing_tunnels(void)
{
	static const char *const types[] = { "vxlan", "geneve", "gtpu" };
	static const char *const keys[] = { "ingress_policing_rate",
		"ingress_policing_kpkts_rate" };
	char text[512], want[128], *err;
	struct vconf c;
	int rc;

	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			snprintf(text, sizeof(text), "bridges:\n  br0:\n    ports:\n      t0: "
				"{type: %s, options: {remote_ip: 10.0.0.2}, %s: 100}\n", types[t],
				keys[k]);
			snprintf(want, sizeof(want), "key 'Interface:%s': refused on a %s port",
				keys[k], types[t]);
			err = NULL;
			rc = parse(text, &c, &err);
			CHECK(rc < 0 && err && strstr(err, want), "%s %s: %s", types[t], keys[k],
				err ? err : "(accepted)");
			if (rc == 0)
				vconf_free(&c);
			free(err);
		}
	}
}

/* Policing keys in YAML, as OVSDB's columns; a QoS type other than egress-policer refused. */
static void
test_policing(void)
{
	static const char head[] = "bridges:\n  br0:\n    ports:\n      p1:\n"
		"        type: dpdk\n        options: {dpdk-devargs: net_null1}\n";
	struct vconf_policing pol;
	struct vconf c;
	char text[1024], *err = NULL, *warn;
	int rc;

	snprintf(text, sizeof(text), "%s        ingress_policing_rate: 10000\n"
		"        ingress_policing_burst: 1000\n        ingress_policing_kpkts_rate: 5\n"
		"        qos: {type: egress-policer, other_config: {cir: 1250000, cbs: 2048}}\n",
		head);
	rc = parse(text, &c, &err);
	CHECK(rc == 0, "policing refused: %s", err ? err : "");
	if (rc == 0) {
		vconf_port_policing(vconf_find_port(&c, "p1", NULL), &pol);
		CHECK(pol.in_kbps == 10000 && pol.in_burst_kb == 1000 && pol.in_kpps == 5 &&
			pol.in_burst_kpkts == 0 && pol.out_cir == 1250000 && pol.out_cbs == 2048,
			"policing values");
		vconf_free(&c);
	}
	free(err);
	err = NULL;
	snprintf(text, sizeof(text), "%s        ingress_policing_burst: 1000\n", head);
	rc = parse(text, &c, &err);
	CHECK(rc == 0, "a burst alone refused: %s", err ? err : "");
	if (rc == 0) {
		warn = vconf_port_warnings(vconf_find_port(&c, "p1", NULL));
		CHECK(warn && strstr(warn, "ingress_policing_burst': accepted but not applied"),
			"burst without rate: %s", warn ? warn : "(no warning)");
		free(warn);
		vconf_free(&c);
	}
	free(err);
	err = NULL;
	snprintf(text, sizeof(text), "%s        qos: {type: linux-htb}\n", head);
	rc = parse(text, &c, &err);
	CHECK(rc < 0 && err && strstr(err, "QoS:type': 'linux-htb' refused"), "linux-htb: %s",
		err ? err : "(accepted)");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	err = NULL;
	rc = parse("bridges:\n  br0:\n    ports:\n      a: {type: patch, options: {peer: b}, "
		"ingress_policing_rate: 100}\n      b: {type: patch, options: {peer: a}}\n", &c, &err);
	CHECK(rc < 0 && err && strstr(err, "refused on a patch port"), "patch ingress: %s",
		err ? err : "(accepted)");
	if (rc == 0)
		vconf_free(&c);
	free(err);
	test_policing_tunnels();
}

/* Mirrors in YAML: the Mirror columns, copies and comparisons, and what is refused. */
static void
test_mirrors(void)
{
	static const char ports[] = "bridges:\n  br0:\n    ports:\n"
		"      p1: {type: dpdk, options: {dpdk-devargs: net_null1}}\n"
		"      p2: {type: dpdk, options: {dpdk-devargs: net_null2}}\n"
		"      p3: {type: dpdk, options: {dpdk-devargs: net_null3}}\n    mirrors:\n";
	static const struct {
		const char *mirror, *expect;
	} bad[] = {
		{ "      m0: {select_src_port: [p1], output_port: p9}\n",
			"mirror 'm0': key 'output_port': 'p9' is not a port of the bridge" },
		{ "      m0: {select_dst_port: [p1, px], output_port: p3}\n",
			"key 'select_dst_port': 'px' is not a port" },
		{ "      m0: {select_vlan: [4096], output_port: p3}\n",
			"key 'select_vlan': '4096' is not a list of VLANs" },
		{ "      m0: {select_all: yes, output_port: p3}\n",
			"key 'select_all': 'yes' is not true or false" },
		{ "      m0: {output_vlan: 10, select_all: true}\n",
			"key 'Mirror:output_vlan': '10' refused" },
		{ "      m0: {snaplen: 64}\n", "unknown key 'snaplen'" },
	};
	struct vconf c, d;
	char text[1024], *err = NULL, *warn = NULL;
	const struct vconf_mirror *m;
	int rc;

	snprintf(text, sizeof(text), "%s      m1: {select_all: true, output_port: p3}\n"
		"      m0: {select_src_port: [p2, p1], select_dst_port: p1, "
		"select_vlan: [200, 100], output_port: p3}\n", ports);
	rc = parse(text, &c, &err);
	CHECK(rc == 0, "two mirrors refused: %s", err ? err : "");
	if (rc == 0) {
		CHECK(c.bridges[0].n_mirrors == 2, "two mirrors");
		m = &c.bridges[0].mirrors[1];
		CHECK(strcmp(m->name, "m0") == 0 && m->n_src == 2 && strcmp(m->src[0], "p1") == 0 &&
			m->n_dst == 1 && strcmp(m->dst[0], "p1") == 0 && m->n_vlans == 2 &&
			m->vlans[0] == 100 && m->vlans[1] == 200 && !m->select_all &&
			strcmp(m->output_port, "p3") == 0, "m0 as written, lists sorted");
		CHECK(c.bridges[0].mirrors[0].select_all, "m1 selects all");
		CHECK(vconf_copy(&d, &c) == 0 && vconf_bridge_settings_equal(&c.bridges[0],
			&d.bridges[0]), "a copy is equal");
		d.bridges[0].mirrors[1].vlans[1] = 300;
		CHECK(!vconf_bridge_settings_equal(&c.bridges[0], &d.bridges[0]),
			"another select_vlan is a change");
		vconf_free(&d);
		vconf_free(&c);
	}
	free(err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		snprintf(text, sizeof(text), "%s%s", ports, bad[i].mirror);
		rc = parse(text, &c, &err);
		CHECK(rc < 0 && err && strstr(err, bad[i].expect), "mirror case %zu: '%s' lacks '%s'",
			i, err ? err : "(accepted)", bad[i].expect);
		if (rc == 0)
			vconf_free(&c);
		free(err);
	}
	err = NULL;
	snprintf(text, sizeof(text), "%s      m0: {select_all: true}\n", ports);
	rc = parse(text, &c, &err);
	CHECK(rc == 0, "a mirror without output refused: %s", err ? err : "");
	if (rc == 0) {
		vconf_check_bridge(&c.bridges[0], &err, &warn);
		CHECK(warn && strstr(warn, "mirror 'm0': key 'output_port': none"),
			"no output warned: %s", warn ? warn : "(none)");
		vconf_free(&c);
	}
	free(err);
	free(warn);
}

/* pmd-sleep-max's list: a default, per-core values, a core named twice, and what is refused. */
static void
test_sleep_max(void)
{
	static const char *const bad[] = {
		"", ",", "5,", ",5", "1:", ":5", "1:-5", "-1", "+5", "1:2:3", "5 ", "1024:5",
		"99999999999999999999999", "a", "1;5", NULL
	};
	struct vconf_core_sleep per[2];
	unsigned long d = 7;
	unsigned n = 9;

	CHECK(vconf_sleep_max_parse("50", &d, per, 2, &n) == 0 && d == 50 && n == 0,
		"plain value: %lu, %u cores", d, n);
	d = 7;
	CHECK(vconf_sleep_max_parse("3:300", &d, per, 2, &n) == 0 && d == 7 && n == 1 &&
		per[0].core == 3 && per[0].us == 300, "core only: default %lu kept", d);
	CHECK(vconf_sleep_max_parse("50,3:300,5:0,3:20", &d, per, 2, &n) == 0 && d == 50 &&
		n == 2 && per[0].core == 3 && per[0].us == 20 && per[1].core == 5 &&
		per[1].us == 0, "list: %lu, %u cores", d, n);
	CHECK(vconf_sleep_max_parse("1:1,2:2,3:3", &d, per, 2, &n) < 0, "too many cores refused");
	for (int i = 0; bad[i] != NULL; i++)
		CHECK(vconf_sleep_max_parse(bad[i], &d, per, 2, &n) < 0, "'%s' refused", bad[i]);
}

/*
 * Tunnel options refused as Open vSwitch refuses them, each naming the option and value:
 * endpoints that are no one host's address, a tos with ECN bits.
 */
static const struct {
	const char *options, *expect;	/* 'expect' NULL: accepted */
} tnl_cases[] = {
	{ "remote_ip: 0.0.0.0", "key 'options:remote_ip': '0.0.0.0' refused" },
	{ "remote_ip: 255.255.255.255",
		"key 'options:remote_ip': '255.255.255.255' refused" },
	{ "remote_ip: 224.0.0.5", "key 'options:remote_ip': '224.0.0.5' refused" },
	{ "remote_ip: \"ff02::1\"", "key 'options:remote_ip': 'ff02::1' refused" },
	{ "remote_ip: 1.2.3.4, local_ip: 0.0.0.0", "key 'options:local_ip': '0.0.0.0' refused" },
	{ "remote_ip: 1.2.3.4, local_ip: 239.1.1.1",
		"key 'options:local_ip': '239.1.1.1' refused" },
	{ "remote_ip: 1.2.3.4, local_ip: 255.255.255.255",
		"key 'options:local_ip': '255.255.255.255' refused" },
	{ "remote_ip: 1.2.3.4, tos: 1", "key 'options:tos': '1' refused: invalid TOS" },
	{ "remote_ip: 1.2.3.4, tos: 2", "key 'options:tos': '2' refused: invalid TOS" },
	{ "remote_ip: 1.2.3.4, tos: 187", "key 'options:tos': '187' refused: invalid TOS" },
	{ "remote_ip: 1.2.3.4, tos: 256", "key 'options:tos': bad value '256'" },
	{ "remote_ip: 1.2.3.4, tos: 184", NULL },
	{ "remote_ip: 1.2.3.4, tos: inherit", NULL },
	{ "remote_ip: flow", NULL },
	{ "remote_ip: 1.2.3.4, local_ip: 5.6.7.8", NULL },
};

static void
test_tunnels(void)
{
	static const char *const types[] = { "vxlan", "geneve", "gtpu" };
	char text[256];
	struct vconf c;
	char *err;
	int rc;

	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (size_t i = 0; i < sizeof(tnl_cases) / sizeof(tnl_cases[0]); i++) {
			snprintf(text, sizeof(text), "bridges:\n  br0:\n    ports:\n      t0: "
				"{type: %s, options: {%s}}\n", types[t], tnl_cases[i].options);
			err = NULL;
			rc = parse(text, &c, &err);
			if (tnl_cases[i].expect == NULL)
				CHECK(rc == 0, "%s {%s}: %s", types[t], tnl_cases[i].options,
					err ? err : "");
			else
				CHECK(rc < 0 && err && strstr(err, tnl_cases[i].expect),
					"%s {%s}: %s", types[t], tnl_cases[i].options,
					err ? err : "(accepted)");
			if (rc == 0)
				vconf_free(&c);
			free(err);
		}
	}
}

/*
 * pmd-cpu-mask as Open vSwitch reads it: hex of any length (cores beyond 63, or that this
 * machine lacks, are the dataplane's to ignore); a mask naming no core is refused.
 */
static void
test_pmd_mask(void)
{
	static const char *const fine[] = { "0x2", "3", "0X00f0", "0x100000000000000000002" };
	static const char *const refused[] = { "0", "0x0", "0x000000000000000000000", "0x" };

	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		struct vconf_kv kv = { .key = (char *)"pmd-cpu-mask", .value = (char *)fine[i] };
		char *err = NULL;

		CHECK(vconf_check_other_config(&kv, &err) == 0, "pmd-cpu-mask '%s' refused: %s",
			fine[i], err ? err : "");
		free(err);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct vconf_kv kv = { .key = (char *)"pmd-cpu-mask", .value = (char *)refused[i] };
		char *err = NULL;

		CHECK(vconf_check_other_config(&kv, &err) == -EINVAL && err &&
			strstr(err, "pmd-cpu-mask"), "pmd-cpu-mask '%s' accepted", refused[i]);
		free(err);
	}
}

/*
 * The switch's booleans Open vSwitch reads with smap_get_bool() (the dataplane too): "true"
 * and "false" in any case; anything else is refused rather than read as the default.
 */
static void
test_smap_bools(void)
{
	static const char *const keys[] = { "pmd-rxq-isolate", "pmd-auto-lb" };
	static const char *const fine[] = { "true", "false", "True", "FALSE" };
	static const char *const refused[] = { "yes", "1", "", "truee" };

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
			struct vconf_kv kv = { .key = (char *)keys[k], .value = (char *)fine[i] };
			char *err = NULL;

			CHECK(vconf_check_other_config(&kv, &err) == 0, "%s '%s' refused: %s",
				keys[k], fine[i], err ? err : "");
			free(err);
		}
		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
			struct vconf_kv kv = { .key = (char *)keys[k], .value = (char *)refused[i] };
			char *err = NULL;

			CHECK(vconf_check_other_config(&kv, &err) == -EINVAL && err &&
				strstr(err, keys[k]), "%s '%s' accepted", keys[k], refused[i]);
			free(err);
		}
	}
}

int
main(void)
{
	test_tunnels();
	test_pmd_mask();
	test_smap_bools();
	test_sleep_max();
	test_mirrors();
	test_policing();
	test_bond();
	test_settings();
	test_good();
	test_bad();
	test_documents();
	test_long_names();
	test_parse_uint();
	test_file();
	test_map();
	return check_report("test_config");
}
