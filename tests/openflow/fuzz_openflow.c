/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for openflow/: the input is what a peer sends on a connection (the seeds
 * are ovs-ofctl's sessions, recorded by of_server), fed to a connection over a real
 * flowtab.  Any input must be answered without a crash, a leak or a sanitizer report, with
 * well-framed replies; afterwards the rules it left are dumped, on a second connection of
 * the same version, through the encoders (1.3 flow multipart, or 1.0 flow stats and
 * NXST_FLOW) and by flowtab's text dump, whose lines must parse again as rules.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab.h"
#include "openflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct flowtab *ft;

static struct flowtab *
sw_flowtab(void *aux)
{
	(void)aux;
	return ft;
}

static unsigned
sw_ports(void *aux, struct of_port_info *out, unsigned max)
{
	(void)aux;
	if (max >= 1) {
		memset(out, 0, sizeof(*out));
		out->ofport = 1;
		memcpy(out->name, "p1", 3);
	}
	return 1;
}

static const struct of_switch sw = { 1, "br0", sw_flowtab, NULL, sw_ports, NULL };

/* Every reply must be a whole OpenFlow message of the connection's version. */
static void
drain(struct of_conn *c)
{
	size_t len, off = 0;
	const uint8_t *out = of_conn_output(c, &len);

	while (off < len) {
		size_t m;

		if (len - off < 8)
			abort();
		m = (size_t)out[off + 2] << 8 | out[off + 3];
		if (m < 8 || m > len - off)
			abort();
		if (of_conn_version(c) && out[off] != of_conn_version(c) && out[off + 1] != 0 &&
		    out[off + 1] != 1)
			abort();
		off += m;
	}
	of_conn_output_done(c, len);
}

/* Dump requests for 1.3+ (flow multipart, all tables) and 1.0 (flow stats, NXST_FLOW). */
static const uint8_t dump13[] = {
	4, 18, 0, 56, 0, 0, 0, 99, 0, 1, 0, 0, 0, 0, 0, 0,
	0xff, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 1, 0, 4, 0, 0, 0, 0,
};
static const uint8_t dump10[] = {
	1, 16, 0, 56, 0, 0, 0, 98, 0, 1, 0, 0,
	0, 0x3f, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0xff, 0, 0xff, 0xff,
};
static const uint8_t dump_nx[] = {
	1, 16, 0, 32, 0, 0, 0, 97, 0xff, 0xff, 0, 0, 0, 0, 0x23, 0x20,
	0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0, 0, 0,
};

static void
dump(uint8_t version)
{
	static const uint8_t hello10[] = { 1, 0, 0, 8, 0, 0, 0, 1 };
	uint8_t hello13[] = { 4, 0, 0, 8, 0, 0, 0, 1 }, req13[sizeof(dump13)];
	struct of_conn *c = of_conn_create(&sw);

	if (!c)
		return;
	of_conn_set_out_limit(c, 1u << 30);
	/* 1.3, 1.4 and 1.5 ask alike (1.5 answers in its own format). */
	memcpy(req13, dump13, sizeof(req13));
	hello13[0] = req13[0] = version;
	if (version >= 4 && (of_conn_receive(c, hello13, sizeof(hello13)) ||
			     of_conn_receive(c, req13, sizeof(req13))))
		abort();
	if (version == 1 && (of_conn_receive(c, hello10, sizeof(hello10)) ||
			     of_conn_receive(c, dump10, sizeof(dump10)) ||
			     of_conn_receive(c, dump_nx, sizeof(dump_nx))))
		abort();
	drain(c);
	of_conn_destroy(c);
}

static void
check_text_dump(void)
{
	char *out = NULL, *err = NULL, *line, *save = NULL;

	if (flowtab_dump_flows(ft, NULL, &out, &err))
		abort();
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* " cookie=..., table=T, ... idle_age=N, MATCH actions=ACTS": re-add
		 * "table=T,MATCH actions=..." (the table decides what actions may do). */
		char *p = strstr(line, "idle_age="), *tab = strstr(line, " table=");
		struct flowtab *t2;
		const char *text;
		char *e2 = NULL, buf[8192];

		if (!p || !(p = strchr(p, ' ')) || !tab)
			abort();
		snprintf(buf, sizeof(buf), "table=%d,%s", atoi(tab + 7), p + 1);
		text = buf;
		t2 = flowtab_create("check", NULL, NULL);
		if (t2 && flowtab_add_flows(t2, &text, NULL, 1, NULL, &e2)) {
			fprintf(stderr, "dumped rule does not parse again: %s: %s\n", text, e2);
			abort();
		}
		free(e2);
		flowtab_destroy(t2);
	}
	free(out);
	free(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct of_conn *c;
	int rc;

	ft = flowtab_create("br0", NULL, NULL);
	c = ft ? of_conn_create(&sw) : NULL;
	if (!c) {
		flowtab_destroy(ft);
		return 0;
	}
	of_conn_set_out_limit(c, 1u << 30);
	rc = of_conn_receive(c, data, size);
	drain(c);
	if (rc == 0 && of_conn_version(c)) {
		/* The rules left behind, through every encoder, on a fresh connection (the
		 * input may end inside a message). */
		dump(of_conn_version(c));
	}
	check_text_dump();
	of_conn_destroy(c);
	flowtab_destroy(ft);
	return 0;
}
