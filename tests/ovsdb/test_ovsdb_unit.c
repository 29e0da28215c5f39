/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the OVSDB client's pure parts: remote syntax, message framing, the value
 * encoding and update2 diff rules, the replica and the vconf built from it.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "ovsdb-private.h"

/*
 * The link wraps memmove and json_equal (-Wl,--wrap=...) so that the tests can count the
 * work framing and diffs do: bytes moved, values compared.
 */
static atomic_size_t memmoved;
static atomic_size_t n_equal;

void *__real_memmove(void *dst, const void *src, size_t n);
void *__wrap_memmove(void *dst, const void *src, size_t n);
int __real_json_equal(const json_t *a, const json_t *b);
int __wrap_json_equal(const json_t *a, const json_t *b);

void *
__wrap_memmove(void *dst, const void *src, size_t n)
{
	atomic_fetch_add(&memmoved, n);
	return __real_memmove(dst, src, n);
}

int
__wrap_json_equal(const json_t *a, const json_t *b)
{
	atomic_fetch_add(&n_equal, 1);
	return __real_json_equal(a, b);
}

static json_t *
js(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);

	if (!v) {
		fprintf(stderr, "bad test JSON '%s': %s\n", text, e.text);
		exit(1);
	}
	return v;
}

static bool
json_is(const json_t *v, const char *text)
{
	json_t *w = js(text);
	bool eq = json_equal((json_t *)v, w);

	if (!eq) {
		char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

		fprintf(stderr, "  got %s, want %s\n", s ? s : "NULL", text);
		free(s);
	}
	json_decref(w);
	return eq;
}

static void
test_remote(void)
{
	struct vovsdb_remote r;
	char *err = NULL;

	CHECK(vovsdb_remote_parse("unix:/tmp/x.sock", &r, &err) == 0);
	CHECK(r.family == AF_UNIX && !strcmp(r.path, "/tmp/x.sock"));
	vovsdb_remote_free(&r);
	CHECK(vovsdb_remote_parse("tcp:127.0.0.1:6640", &r, &err) == 0);
	CHECK(r.family == AF_INET && r.port == 6640);
	vovsdb_remote_free(&r);
	CHECK(vovsdb_remote_parse("tcp:[::1]:6641", &r, &err) == 0);
	CHECK(r.family == AF_INET6 && r.port == 6641 && !strcmp(r.host, "::1"));
	vovsdb_remote_free(&r);
	{
		static const char *const bad[] = {
			"ssl:1.2.3.4:6640", "tcp:1.2.3.4", "tcp:1.2.3.4:0", "tcp:1.2.3.4:99999",
			"tcp:host.example:6640", "unix:", "tcp:[::1:6640", "",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			err = NULL;
			CHECK(vovsdb_remote_parse(bad[i], &r, &err) == -EINVAL);
			CHECK(err && strstr(err, bad[i]));
			free(err);
		}
	}
}

static void
test_frame(void)
{
	static const char in[] = " {\"a\":\"}{\\\"\"}\n[1,[2]]{\"b\":";
	struct vovsdb_frame f = { 0 };
	size_t s, e;

	CHECK(vovsdb_frame_next(&f, in, strlen(in), &s, &e) == 1);
	CHECK(s == 1 && !strncmp(in + s, "{\"a\":\"}{\\\"\"}", e - s) && e - s == 12);
	memset(&f, 0, sizeof(f));
	f.pos = e;
	CHECK(vovsdb_frame_next(&f, in, strlen(in), &s, &e) == 1);
	CHECK(!strncmp(in + s, "[1,[2]]", e - s));
	memset(&f, 0, sizeof(f));
	f.pos = e;
	CHECK(vovsdb_frame_next(&f, in, strlen(in), &s, &e) == 0);
	memset(&f, 0, sizeof(f));
	CHECK(vovsdb_frame_next(&f, "garbage", 7, &s, &e) == -1);
	memset(&f, 0, sizeof(f));
	CHECK(vovsdb_frame_next(&f, "  \n", 3, &s, &e) == 0 && f.depth == 0);
}

struct writer {
	int fd;
	const char *buf;
	size_t len;
};

static void *
write_all(void *arg)
{
	struct writer *w = arg;
	size_t off = 0;

	while (off < w->len) {
		ssize_t n = send(w->fd, w->buf + off, w->len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	return NULL;
}

/*
 * 8 MiB of small messages through vovsdb_conn_read()/vovsdb_conn_next(): all of them, in
 * order, and each input byte moved at most once (not the rest of the buffer per message).
 */
static void
test_conn_linear(void)
{
	enum { TOTAL = 8u << 20 };
	struct vovsdb_conn c = { .fd = -1 };
	char *buf = malloc(TOTAL + 64), why[200];
	size_t len = 0, n_msg = 0, got = 0, moved;
	struct writer w;
	pthread_t th;
	int sv[2], rd = 0, bad = 0;
	json_t *msg;

	while (len < TOTAL) {
		/* Blanks and pretty-printing between messages, as ovsdb-server may send. */
		len += (size_t)sprintf(buf + len, "{\"id\":%zu,\"result\":[\"}{\"]}%s", n_msg,
				n_msg % 7 ? "" : "\n ");
		n_msg++;
	}
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	c.fd = sv[0];
	w = (struct writer){ .fd = sv[1], .buf = buf, .len = len };
	atomic_store(&memmoved, 0);
	pthread_create(&th, NULL, write_all, &w);
	while (got < n_msg && !bad && rd >= 0) {
		struct pollfd pfd = { .fd = c.fd, .events = POLLIN };

		if (poll(&pfd, 1, 5000) <= 0)
			break;
		rd = vovsdb_conn_read(&c);
		while (!bad && vovsdb_conn_next(&c, &msg, why, sizeof(why)) == 1) {
			if (json_integer_value(json_object_get(msg, "id")) != (json_int_t)got) {
				fprintf(stderr, "message %zu out of order\n", got);
				bad = 1;
			}
			json_decref(msg);
			got++;
		}
	}
	pthread_join(th, NULL);
	moved = atomic_load(&memmoved);
	printf("conn: %zu messages, %zu bytes, %zu bytes moved\n", got, len, moved);
	CHECK(got == n_msg && !bad);
	CHECK(moved <= len);
	close(sv[1]);
	vovsdb_conn_close(&c);
	free(c.in);
	free(buf);
}

/*
 * Set and map diffs of 20000 elements against 20000: correct, and the values compared stay
 * linear in the sizes (pairwise search made 10^8 comparisons).
 */
static void
test_diff_large(void)
{
	enum { N = 20000 };
	json_t *old_set = json_array(), *diff_set = json_array(), *want_set = json_array();
	json_t *old_map = json_array(), *diff_map = json_array(), *want_map = json_array();
	json_t *o, *d, *r;
	size_t cmp;
	int i;

	/* Old: 0..N-1.  Diff: the odd ones (leave) and N..N+N/2-1 (join), uuids and strings. */
	for (i = 0; i < N; i++) {
		char u[40], k[16], v[16];

		snprintf(u, sizeof(u), "%08x-0000-4000-8000-%012d", i, i);
		json_array_append_new(old_set, json_pack("[ss]", "uuid", u));
		if (i % 2)
			json_array_append_new(diff_set, json_pack("[ss]", "uuid", u));
		else
			json_array_append_new(want_set, json_pack("[ss]", "uuid", u));
		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		json_array_append_new(old_map, json_pack("[ss]", k, v));
		/* Map diff: same value removes (i % 3 == 0), another value replaces (== 1). */
		if (i % 3 == 0) {
			json_array_append_new(diff_map, json_pack("[ss]", k, v));
		} else if (i % 3 == 1) {
			json_array_append_new(diff_map, json_pack("[ss]", k, "new"));
			json_array_append_new(want_map, json_pack("[ss]", k, "new"));
		} else {
			json_array_append_new(want_map, json_pack("[ss]", k, v));
		}
	}
	for (i = N; i < N + N / 2; i++) {
		char u[40], k[16];

		snprintf(u, sizeof(u), "%08x-0000-4000-8000-%012d", i, i);
		json_array_append_new(diff_set, json_pack("[ss]", "uuid", u));
		json_array_append_new(want_set, json_pack("[ss]", "uuid", u));
		snprintf(k, sizeof(k), "k%d", i);
		json_array_append_new(diff_map, json_pack("[si]", k, i));
		json_array_append_new(want_map, json_pack("[si]", k, i));
	}
	o = json_pack("[so]", "set", old_set);
	d = json_pack("[so]", "set", diff_set);
	atomic_store(&n_equal, 0);
	r = vovsdb_apply_diff(VOVSDB_SET, o, d);
	cmp = atomic_load(&n_equal);
	CHECK(r && json_equal(json_array_get(r, 1), want_set));
	printf("set diff: %d old, %zu diff, %zu comparisons\n", N, json_array_size(diff_set), cmp);
	CHECK(cmp <= 4 * (size_t)N);
	json_decref(o);
	json_decref(d);
	json_decref(r);
	o = json_pack("[so]", "map", old_map);
	d = json_pack("[so]", "map", diff_map);
	atomic_store(&n_equal, 0);
	r = vovsdb_apply_diff(VOVSDB_MAP, o, d);
	cmp = atomic_load(&n_equal);
	CHECK(r && json_equal(json_array_get(r, 1), want_map));
	printf("map diff: %d old, %zu diff, %zu comparisons\n", N, json_array_size(diff_map), cmp);
	CHECK(cmp <= 4 * (size_t)N);
	json_decref(o);
	json_decref(d);
	json_decref(r);
	json_decref(want_set);
	json_decref(want_map);
}

static void
test_kinds(void)
{
	json_t *t;

	t = js("\"integer\"");
	CHECK(vovsdb_kind_of_type(t) == VOVSDB_SCALAR);
	json_decref(t);
	t = js("{\"key\":\"integer\",\"min\":0,\"max\":1}");
	CHECK(vovsdb_kind_of_type(t) == VOVSDB_OPTIONAL);
	json_decref(t);
	t = js("{\"key\":{\"type\":\"uuid\"},\"min\":0,\"max\":\"unlimited\"}");
	CHECK(vovsdb_kind_of_type(t) == VOVSDB_SET);
	json_decref(t);
	t = js("{\"key\":\"string\",\"value\":\"string\",\"min\":0,\"max\":\"unlimited\"}");
	CHECK(vovsdb_kind_of_type(t) == VOVSDB_MAP);
	json_decref(t);
	t = js("{\"key\":{\"type\":\"string\"}}");
	CHECK(vovsdb_kind_of_type(t) == VOVSDB_SCALAR);
	json_decref(t);
	t = js("{\"value\":\"string\"}");
	CHECK(vovsdb_kind_of_type(t) == -1);
	json_decref(t);
	t = js("[]");
	CHECK(vovsdb_kind_of_type(t) == -1);
	json_decref(t);
}

static void
diff_case(int kind, const char *old, const char *diff, const char *want)
{
	json_t *o = old ? js(old) : NULL, *d = js(diff);
	json_t *r = vovsdb_apply_diff(kind, o, d);

	if (want)
		CHECK(r && json_is(r, want));
	else
		CHECK(r == NULL);
	json_decref(o);
	json_decref(d);
	json_decref(r);
}

static void
test_diff(void)
{
	diff_case(VOVSDB_SCALAR, "1", "7", "7");
	diff_case(VOVSDB_SCALAR, NULL, "\"netdev\"", "\"netdev\"");
	diff_case(VOVSDB_SCALAR, "1", "{\"x\":1}", NULL);
	/* An optional atom: the old and the new value are toggled. */
	/* An optional column's modify is its new value (mtu_request 1500 -> 9000, cleared). */
	diff_case(VOVSDB_OPTIONAL, "1500", "9000", "9000");
	diff_case(VOVSDB_OPTIONAL, "\"active\"", "\"off\"", "\"off\"");
	diff_case(VOVSDB_OPTIONAL, "\"off\"", "[\"set\",[]]", "[\"set\",[]]");
	diff_case(VOVSDB_OPTIONAL, "1", "[\"set\",[1,2]]", NULL);
	diff_case(VOVSDB_SET, "1", "[\"set\",[1,2]]", "[\"set\",[2]]");
	diff_case(VOVSDB_SET, "[\"set\",[]]", "5", "[\"set\",[5]]");
	diff_case(VOVSDB_SET, NULL, "5", "[\"set\",[5]]");
	diff_case(VOVSDB_SET, "5", "5", "[\"set\",[]]");
	diff_case(VOVSDB_SET, "[\"set\",[[\"uuid\",\"a\"],[\"uuid\",\"b\"]]]",
			"[\"set\",[[\"uuid\",\"a\"],[\"uuid\",\"c\"]]]",
			"[\"set\",[[\"uuid\",\"b\"],[\"uuid\",\"c\"]]]");
	diff_case(VOVSDB_SET, "[\"set\",[1]]", "[\"set\",[{}]]", NULL);
	diff_case(VOVSDB_SET, "[\"set\",[1]]", "[\"map\",[]]", NULL);
	diff_case(VOVSDB_MAP, "[\"map\",[[\"a\",\"1\"],[\"b\",\"2\"]]]",
			"[\"map\",[[\"a\",\"1\"],[\"b\",\"3\"],[\"c\",\"4\"]]]",
			"[\"map\",[[\"b\",\"3\"],[\"c\",\"4\"]]]");
	diff_case(VOVSDB_MAP, NULL, "[\"map\",[[\"k\",\"v\"]]]", "[\"map\",[[\"k\",\"v\"]]]");
	diff_case(VOVSDB_MAP, "[\"map\",[]]", "[\"map\",[[\"k\"]]]", NULL);
	diff_case(VOVSDB_MAP, "[\"map\",[]]", "\"k\"", NULL);
}

static void
test_enc(void)
{
	static const char *const types[] = { "netdev", "system", NULL };
	struct vovsdb_stat st[] = { { "rx_packets", 5 }, { "tx_bytes", -1 } };
	struct vconf_map m = { 0 };
	json_t *v;

	v = vovsdb_enc_opt_int(true, -1);
	CHECK(json_is(v, "-1"));
	json_decref(v);
	v = vovsdb_enc_opt_int(false, 3);
	CHECK(json_is(v, "[\"set\",[]]"));
	json_decref(v);
	v = vovsdb_enc_opt_str(NULL);
	CHECK(json_is(v, "[\"set\",[]]"));
	json_decref(v);
	v = vovsdb_enc_str_set(types);
	CHECK(json_is(v, "[\"set\",[\"netdev\",\"system\"]]"));
	json_decref(v);
	vconf_map_set(&m, "driver_name", "net_vhost", 0);
	v = vovsdb_enc_str_map(&m);
	CHECK(json_is(v, "[\"map\",[[\"driver_name\",\"net_vhost\"]]]"));
	json_decref(v);
	vconf_map_free(&m);
	v = vovsdb_enc_int_map(st, 2);
	CHECK(json_is(v, "[\"map\",[[\"rx_packets\",5],[\"tx_bytes\",-1]]]"));
	json_decref(v);
}

static const char schema[] =
	"{\"name\":\"Open_vSwitch\",\"tables\":{"
	"\"Open_vSwitch\":{\"columns\":{"
	" \"bridges\":{\"type\":{\"key\":{\"type\":\"uuid\"},\"min\":0,\"max\":\"unlimited\"}},"
	" \"next_cfg\":{\"type\":\"integer\"},\"cur_cfg\":{\"type\":\"integer\"},"
	" \"other_config\":{\"type\":{\"key\":\"string\",\"value\":\"string\",\"min\":0,"
	"   \"max\":\"unlimited\"}}}},"
	"\"Bridge\":{\"columns\":{\"name\":{\"type\":\"string\"},"
	" \"datapath_type\":{\"type\":\"string\"},"
	" \"ports\":{\"type\":{\"key\":{\"type\":\"uuid\"},\"min\":0,\"max\":\"unlimited\"}}}},"
	"\"Port\":{\"columns\":{\"name\":{\"type\":\"string\"},"
	" \"interfaces\":{\"type\":{\"key\":{\"type\":\"uuid\"},\"min\":1,\"max\":\"unlimited\"}}}},"
	"\"Interface\":{\"columns\":{\"name\":{\"type\":\"string\"},\"type\":{\"type\":\"string\"},"
	" \"options\":{\"type\":{\"key\":\"string\",\"value\":\"string\",\"min\":0,"
	"   \"max\":\"unlimited\"}},"
	" \"ofport\":{\"type\":{\"key\":\"integer\",\"min\":0,\"max\":1}},"
	" \"error\":{\"type\":{\"key\":\"string\",\"min\":0,\"max\":1}},"
	" \"ofport_request\":{\"type\":{\"key\":\"integer\",\"min\":0,\"max\":1}}}}}}";

static void
test_replica(void)
{
	struct vovsdb_replica r = { 0 };
	struct vovsdb_view view;
	struct vovsdb_wb wb;
	json_t *s = js(schema), *u, *log = json_array(), *ops;
	bool changed = false;
	size_t n_bad = 0;
	char *err = NULL;

	vovsdb_replica_clear(&r);
	CHECK(vovsdb_replica_schema(&r, s, &err) == 0);
	CHECK(vovsdb_replica_kind(&r, VOVSDB_T_IFACE, "ofport") == VOVSDB_OPTIONAL);
	CHECK(vovsdb_replica_kind(&r, VOVSDB_T_IFACE, "mtu_request") == -1);
	u = vovsdb_replica_monitor_requests(&r);
	CHECK(json_is(json_object_get(u, "Interface"),
			"[{\"columns\":[\"name\",\"type\",\"options\",\"ofport_request\","
			"\"ofport\"]}]"));
	/* A schema without the Controller table: accepted, nothing asked of it. */
	CHECK(json_object_get(u, "Controller") == NULL);
	json_decref(u);

	u = js("{\"Open_vSwitch\":{\"o1\":{\"initial\":{\"next_cfg\":3,"
			"\"bridges\":[\"set\",[[\"uuid\",\"b1\"],[\"uuid\",\"b2\"]]],"
			"\"other_config\":[\"map\",[[\"pmd-cpu-mask\",\"0x2\"]]]}}},"
		"\"Bridge\":{\"b1\":{\"initial\":{\"name\":\"br1\",\"datapath_type\":\"netdev\","
			"\"ports\":[\"uuid\",\"p1\"]}},"
			"\"b2\":{\"initial\":{\"name\":\"br0\",\"ports\":[\"uuid\",\"p2\"]}}},"
		"\"Port\":{\"p1\":{\"initial\":{\"name\":\"vhu0\",\"interfaces\":[\"uuid\",\"i1\"]}},"
			"\"p2\":{\"initial\":{\"name\":\"sys0\",\"interfaces\":[\"uuid\",\"i2\"]}}},"
		"\"Interface\":{\"i1\":{\"initial\":{\"name\":\"vhu0\",\"type\":\"dpdkvhostuser\","
			"\"ofport_request\":7,\"ofport\":3}},"
			"\"i2\":{\"initial\":{\"name\":\"sys0\"}}}}");
	CHECK(vovsdb_replica_apply(&r, u, true, &changed, &n_bad) == 0 && n_bad == 0 && changed);
	json_decref(u);
	CHECK(vovsdb_view_build(&r, "ovsdb:test", &view, log) == 0);
	CHECK(view.next_cfg == 3 && view.ovs_uuid && !strcmp(view.ovs_uuid, "o1"));
	CHECK(view.conf.n_bridges == 1 && !strcmp(view.conf.bridges[0].name, "br1"));
	CHECK(view.conf.bridges[0].n_ports == 1);
	CHECK(!strcmp(view.conf.bridges[0].ports[0].type, "dpdkvhostuser"));
	CHECK(view.conf.bridges[0].ports[0].ofport_request == 7);
	/* The number it had: preferred when it is added, but no setting of its own. */
	CHECK(view.conf.bridges[0].ports[0].ofport_last == 3);
	/* The row that holds the number: the same row reopened gets it back (dataplane/dp.c). */
	CHECK(!strcmp(view.conf.bridges[0].ports[0].row_uuid, "i1"));
	CHECK(view.conf.bridges[0].ports[0].extra.n == 0);
	CHECK(!strcmp(vconf_map_get(&view.conf.other_config, "pmd-cpu-mask"), "0x2"));
	CHECK(json_object_get(view.foreign, "sys0") != NULL);
	CHECK(strstr(json_string_value(json_object_get(view.foreign, "sys0")), "'br0'"));

	/* The ofport written back comes back in an update: the configuration is the same. */
	{
		struct vovsdb_view v2;

		u = js("{\"Interface\":{\"i1\":{\"modify\":{\"ofport\":8}}}}");
		CHECK(vovsdb_replica_apply(&r, u, true, &changed, &n_bad) == 0 && n_bad == 0);
		json_decref(u);
		CHECK(vovsdb_view_build(&r, "ovsdb:test", &v2, log) == 0);
		CHECK(v2.conf.bridges[0].ports[0].ofport_last == 8 &&
			vovsdb_conf_equal(&v2.conf, &view.conf), "a new ofport is no new configuration");
		vovsdb_view_free(&v2);
	}

	/* Write-back: only changed columns; the foreign port gets ofport -1. */
	CHECK(vovsdb_wb_init(&wb) == 0);
	json_object_set_new(wb.want_iface, "vhu0", js("{\"ofport\":7,\"error\":[\"set\",[]],"
				"\"mtu\":1500}"));
	json_object_set_new(wb.want_ovs, "cur_cfg", json_integer(3));
	ops = json_array();
	CHECK(vovsdb_wb_build(&wb, &view, &r, ops) == 3);
	CHECK(json_is(json_array_get(ops, 2), "{\"op\":\"update\",\"table\":\"Open_vSwitch\","
			"\"where\":[[\"_uuid\",\"==\",[\"uuid\",\"o1\"]]],\"row\":{\"cur_cfg\":3}}"));
	json_decref(ops);
	vovsdb_wb_done(&wb, true);
	ops = json_array();
	CHECK(vovsdb_wb_build(&wb, &view, &r, ops) == 0);
	json_object_set_new(json_object_get(wb.want_iface, "vhu0"), "ofport", json_integer(8));
	CHECK(vovsdb_wb_build(&wb, &view, &r, ops) == 1);
	CHECK(json_is(json_object_get(json_array_get(ops, 0), "row"), "{\"ofport\":8}"));
	vovsdb_wb_done(&wb, false);
	json_array_clear(ops);
	CHECK(vovsdb_wb_build(&wb, &view, &r, ops) == 1);
	json_decref(ops);
	vovsdb_view_free(&view);

	/* update2: modify and delete; a malformed row is counted, not applied. */
	/* ofport_request is optional: ovsdb-server sends its new value, 9 (not [7, 9]). */
	u = js("{\"Interface\":{\"i1\":{\"modify\":{\"ofport_request\":9,"
			"\"options\":[\"map\",[[\"n_rxq\",\"2\"]]]}}},"
		"\"Bridge\":{\"b2\":{\"delete\":null}},"
		"\"Port\":{\"p9\":{\"modify\":{\"name\":\"x\"}}},"
		"\"Nope\":{}}");
	changed = false;
	CHECK(vovsdb_replica_apply(&r, u, true, &changed, &n_bad) == 0 && n_bad == 2 && changed);
	json_decref(u);
	CHECK(vovsdb_view_build(&r, "ovsdb:test", &view, log) == 0);
	CHECK(view.conf.bridges[0].ports[0].ofport_request == 9);
	CHECK(!strcmp(vconf_map_get(&view.conf.bridges[0].ports[0].options, "n_rxq"), "2"));
	CHECK(json_object_get(view.foreign, "sys0") == NULL);
	vovsdb_wb_prune(&wb, &view);
	CHECK(json_object_get(wb.want_iface, "vhu0") != NULL);
	vovsdb_view_free(&view);

	/* RFC 7047 updates: "new" replaces, no "new" deletes. */
	u = js("{\"Interface\":{\"i1\":{\"old\":{\"type\":\"dpdkvhostuser\"},"
			"\"new\":{\"name\":\"vhu0\",\"type\":\"dpdk\"}}},"
		"\"Port\":{\"p2\":{\"old\":{}}}}");
	n_bad = 0;
	CHECK(vovsdb_replica_apply(&r, u, false, &changed, &n_bad) == 0 && n_bad == 0);
	json_decref(u);
	CHECK(vovsdb_view_build(&r, "ovsdb:test", &view, log) == 0);
	CHECK(!strcmp(view.conf.bridges[0].ports[0].type, "dpdk"));
	vovsdb_view_free(&view);

	/* Interface gone: its reports are forgotten. */
	u = js("{\"Interface\":{\"i1\":{\"delete\":null}}}");
	CHECK(vovsdb_replica_apply(&r, u, true, &changed, &n_bad) == 0);
	json_decref(u);
	CHECK(vovsdb_view_build(&r, "ovsdb:test", &view, log) == 0);
	CHECK(view.conf.bridges[0].n_ports == 0);
	vovsdb_wb_prune(&wb, &view);
	CHECK(json_object_get(wb.want_iface, "vhu0") == NULL);
	vovsdb_view_free(&view);

	u = js("[1]");
	CHECK(vovsdb_replica_apply(&r, u, true, &changed, &n_bad) == -EPROTO);
	json_decref(u);
	json_decref(s);
	s = js("{\"tables\":{\"Open_vSwitch\":{\"columns\":{}}}}");
	free(err);
	err = NULL;
	CHECK(vovsdb_replica_schema(&r, s, &err) == -EPROTO && err && strstr(err, "bridges"));
	free(err);
	json_decref(s);
	json_decref(log);
	vovsdb_wb_free(&wb);
	vovsdb_replica_free(&r);
}

/* A schema with the Controller table, for what the view refuses instead of dropping. */
static const char schema2[] =
	"{\"name\":\"Open_vSwitch\",\"tables\":{"
	"\"Open_vSwitch\":{\"columns\":{"
	" \"bridges\":{\"type\":{\"key\":{\"type\":\"uuid\"},\"min\":0,\"max\":\"unlimited\"}},"
	" \"next_cfg\":{\"type\":\"integer\"}}},"
	"\"Bridge\":{\"columns\":{\"name\":{\"type\":\"string\"},"
	" \"datapath_type\":{\"type\":\"string\"},"
	" \"controller\":{\"type\":{\"key\":{\"type\":\"uuid\"},\"min\":0,\"max\":\"unlimited\"}},"
	" \"flow_tables\":{\"type\":{\"key\":{\"type\":\"integer\"},\"value\":{\"type\":\"uuid\"},"
	"   \"min\":0,\"max\":\"unlimited\"}},"
	" \"ports\":{\"type\":{\"key\":{\"type\":\"uuid\"},\"min\":0,\"max\":\"unlimited\"}}}},"
	"\"Port\":{\"columns\":{\"name\":{\"type\":\"string\"},"
	" \"interfaces\":{\"type\":{\"key\":{\"type\":\"uuid\"},\"min\":1,\"max\":\"unlimited\"}}}},"
	"\"Interface\":{\"columns\":{\"name\":{\"type\":\"string\"},\"type\":{\"type\":\"string\"},"
	" \"ofport\":{\"type\":{\"key\":\"integer\",\"min\":0,\"max\":1}}}},"
	"\"Controller\":{\"columns\":{\"target\":{\"type\":\"string\"}}}}}";

/* Build the view of 'rows' (an update2 snapshot) over schema2 into '*view'. */
static void
view_of(const char *rows, struct vovsdb_replica *r, struct vovsdb_view *view)
{
	json_t *s = js(schema2), *u = js(rows), *log = json_array();
	bool changed = false;
	size_t n_bad = 0;
	char *err = NULL;

	vovsdb_replica_clear(r);
	CHECK(vovsdb_replica_schema(r, s, &err) == 0, "schema: %s", err ? err : "");
	CHECK(vovsdb_replica_apply(r, u, true, &changed, &n_bad) == 0 && n_bad == 0);
	CHECK(vovsdb_view_build(r, "ovsdb:test", view, log) == 0);
	free(err);
	json_decref(s);
	json_decref(u);
	json_decref(log);
}

/*
 * Rows the view cannot run are refused where the user sees them: a controller target that
 * is not tcp:, unix:, ptcp: or punix: goes to the checks as Controller:target, a Flow_Table
 * of the bridge as Bridge:flow_tables:TABLE.
 */
static void
test_view_refusals(void)
{
	struct vovsdb_replica r = { 0 };
	struct vovsdb_view view;
	const struct vconf_bridge *b;
	char *err = NULL, *warn = NULL;
	json_t *req;

	view_of("{\"Open_vSwitch\":{\"o1\":{\"initial\":{\"bridges\":[\"uuid\",\"b1\"]}}},"
		"\"Bridge\":{\"b1\":{\"initial\":{\"name\":\"br0\",\"datapath_type\":\"netdev\","
			"\"controller\":[\"set\",[[\"uuid\",\"c1\"],[\"uuid\",\"c2\"],"
			"[\"uuid\",\"c3\"]]],"
			"\"flow_tables\":[\"map\",[[0,[\"uuid\",\"f1\"]]]]}}},"
		"\"Controller\":{\"c1\":{\"initial\":{\"target\":\"ssl:192.0.2.1:6653\"}},"
			"\"c2\":{\"initial\":{\"target\":\"tcp:127.0.0.1:6653\"}},"
			"\"c3\":{\"initial\":{\"target\":\"pssl:6653\"}}}}", &r, &view);
	b = view.conf.n_bridges == 1 ? &view.conf.bridges[0] : NULL;
	CHECK(b != NULL && b->n_controllers == 1 &&
		!strcmp(b->controllers[0].target, "tcp:127.0.0.1:6653"), "the tcp controller taken");
	CHECK(b != NULL && vconf_check_bridge(b, &err, &warn) < 0 && err &&
		strstr(err, "key 'Controller:target': 'ssl:192.0.2.1:6653,pssl:6653' refused"),
		"ssl and pssl refused: %s", err ? err : "(not refused)");
	CHECK(err && strstr(err, "key 'Bridge:flow_tables:0': 'f1' refused"),
		"flow_tables refused: %s", err ? err : "(not refused)");
	req = vovsdb_replica_monitor_requests(&r);
	CHECK(json_is(json_object_get(req, "Bridge"), "[{\"columns\":[\"name\",\"ports\","
		"\"datapath_type\",\"controller\",\"flow_tables\"]}]"), "flow_tables monitored");
	json_decref(req);
	free(err);
	free(warn);
	vovsdb_view_free(&view);

	/* A bridge name with '/' would put its OpenFlow socket elsewhere: not run, its
	 * interfaces fail with the reason. */
	view_of("{\"Open_vSwitch\":{\"o1\":{\"initial\":{\"bridges\":[\"uuid\",\"b1\"]}}},"
		"\"Bridge\":{\"b1\":{\"initial\":{\"name\":\"../br0\",\"datapath_type\":\"netdev\","
			"\"ports\":[\"uuid\",\"p1\"]}}},"
		"\"Port\":{\"p1\":{\"initial\":{\"name\":\"vhu0\",\"interfaces\":[\"uuid\",\"i1\"]}}},"
		"\"Interface\":{\"i1\":{\"initial\":{\"name\":\"vhu0\","
			"\"type\":\"dpdkvhostuser\"}}}}", &r, &view);
	CHECK(view.conf.n_bridges == 0, "a bridge named '../br0' is run");
	CHECK(json_object_get(view.foreign, "vhu0") != NULL &&
		strstr(json_string_value(json_object_get(view.foreign, "vhu0")),
		"bridge '../br0': a bridge name is 1 to 255 characters without '/'"),
		"its interface's error");
	vovsdb_view_free(&view);
	vovsdb_replica_free(&r);
}

static void
test_conf_equal(void)
{
	struct vconf a = { 0 }, b = { 0 };

	CHECK(vovsdb_conf_equal(&a, &b));
	vconf_map_set(&a.other_config, "dpdk-init", "true", 0);
	CHECK(!vovsdb_conf_equal(&a, &b));
	vconf_map_set(&b.other_config, "dpdk-init", "true", 0);
	CHECK(vovsdb_conf_equal(&a, &b));
	vconf_free(&a);
	vconf_free(&b);
}

int
main(void)
{
	test_remote();
	test_frame();
	test_kinds();
	test_diff();
	test_diff_large();
	test_conn_linear();
	test_enc();
	test_replica();
	test_view_refusals();
	test_conf_equal();
	return check_report("test_ovsdb_unit");
}
