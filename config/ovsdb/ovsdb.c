/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The public face of the OVSDB client: creation, the non-blocking run loop with reconnect
 * and backoff, and the setters through which the dataplane reports its state.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ovsdb-private.h"

#define BACKOFF_MIN_MS 100

int64_t
vovsdb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
vovsdb_log(struct vovsdb *db, int level, const char *fmt, ...)
{
	char body[512], line[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "ovsdb %s: %s", db->remote_str, body);
	db->ops.log(db->aux, level, line);
}

struct vovsdb *
vovsdb_create(const char *remote, const struct vovsdb_ops *ops, void *aux, char **err)
{
	struct vovsdb *db;

	*err = NULL;
	if (!remote)
		remote = VOVSDB_DEFAULT_REMOTE;
	if (!ops || !ops->config || !ops->fatal || !ops->log) {
		*err = strdup("vovsdb_create: config, fatal and log callbacks are required");
		return NULL;
	}
	db = calloc(1, sizeof(*db));
	if (!db)
		goto nomem;
	db->conn.fd = -1;
	db->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (db->epfd < 0) {
		int e = errno;

		vovsdb_destroy(db);
		if (asprintf(err, "vovsdb_create: epoll_create1: %s", strerror(e)) < 0)
			*err = NULL;
		return NULL;
	}
	db->ops = *ops;
	db->aux = aux;
	db->backoff_ms = BACKOFF_MIN_MS;
	db->state = VOVSDB_BACKOFF;
	db->reconnect_at = vovsdb_now_ms();
	db->remote_str = strdup(remote);
	if (!db->remote_str || asprintf(&db->source, "ovsdb:%s", remote) < 0) {
		db->source = NULL;
		goto nomem;
	}
	if (vovsdb_remote_parse(remote, &db->remote, err)) {
		vovsdb_destroy(db);
		if (!*err)
			goto nomem;
		return NULL;
	}
	if (vovsdb_wb_init(&db->wb))
		goto nomem;
	vovsdb_replica_clear(&db->rep);
	return db;
nomem:
	vovsdb_destroy(db);
	*err = strdup("vovsdb_create: out of memory");
	return NULL;
}

void
vovsdb_destroy(struct vovsdb *db)
{
	if (!db)
		return;
	vovsdb_conn_close(&db->conn);
	if (db->epfd >= 0)
		close(db->epfd);
	free(db->conn.in);
	free(db->conn.out);
	vovsdb_replica_free(&db->rep);
	vovsdb_view_free(&db->view);
	vovsdb_wb_free(&db->wb);
	vovsdb_remote_free(&db->remote);
	free(db->remote_str);
	free(db->source);
	free(db);
}

int
vovsdb_fd(const struct vovsdb *db)
{
	return db->epfd;
}

/* Keep the socket's registration in the epoll set in line with what it waits for. */
static void
sync_events(struct vovsdb *db)
{
	struct epoll_event ev = { 0 };
	uint32_t want = 0;

	if (db->state == VOVSDB_CONNECTING)
		want = EPOLLOUT;
	else if (db->state == VOVSDB_SESSION)
		want = EPOLLIN | (db->conn.out_len > db->conn.out_off ? EPOLLOUT : 0);
	if (db->conn.fd < 0) {
		db->ep_events = 0;	/* closing the socket removed it from the set */
		return;
	}
	if (want == db->ep_events)
		return;
	ev.events = want;
	ev.data.fd = db->conn.fd;
	if (epoll_ctl(db->epfd, db->ep_events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, db->conn.fd,
			&ev) < 0 &&
	    epoll_ctl(db->epfd, db->ep_events ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, db->conn.fd,
			&ev) < 0) {
		vovsdb_log(db, LOG_ERR, "epoll_ctl: %s", strerror(errno));
		return;
	}
	db->ep_events = want;
}

bool
vovsdb_is_ready(const struct vovsdb *db)
{
	return db->state == VOVSDB_SESSION && db->locked && db->have_snapshot;
}

static void
try_connect(struct vovsdb *db)
{
	int rc = vovsdb_conn_open(&db->conn, &db->remote);
	char why[128];

	if (rc < 0) {
		snprintf(why, sizeof(why), "connect failed: %s", strerror(-rc));
		vovsdb_session_drop(db, why);
		return;
	}
	if (db->conn.connecting) {
		db->state = VOVSDB_CONNECTING;
		return;
	}
	vovsdb_session_start(db);
}

static void
run_session(struct vovsdb *db)
{
	char why[200];
	json_t *msg;
	int rc, rd;

	rd = vovsdb_conn_read(&db->conn);
	if (rd > 0 || rd == -EPIPE)
		db->last_rx = vovsdb_now_ms();
	while (db->state == VOVSDB_SESSION) {
		rc = vovsdb_conn_next(&db->conn, &msg, why, sizeof(why));
		if (rc == 0)
			break;
		if (rc < 0) {
			vovsdb_log(db, LOG_ERR, "protocol error: %s", why);
			vovsdb_session_drop(db, "dropping the connection");
			return;
		}
		db->probe_sent = false;
		vovsdb_session_dispatch(db, msg);
		json_decref(msg);
	}
	if (db->state != VOVSDB_SESSION)
		return;
	if (rd < 0) {
		snprintf(why, sizeof(why), "connection %s",
				rd == -EPIPE ? "closed by the server" : strerror(-rd));
		vovsdb_session_drop(db, why);
		return;
	}
	vovsdb_session_probe(db);
	vovsdb_session_write_back(db);
	if (db->state == VOVSDB_SESSION && (rc = vovsdb_conn_flush(&db->conn)) < 0) {
		snprintf(why, sizeof(why), "send failed: %s", strerror(-rc));
		vovsdb_session_drop(db, why);
	}
}

void
vovsdb_run(struct vovsdb *db)
{
	int rc;

	if (db->state == VOVSDB_BACKOFF && vovsdb_now_ms() >= db->reconnect_at)
		try_connect(db);
	if (db->state == VOVSDB_CONNECTING) {
		rc = vovsdb_conn_finish(&db->conn);
		if (rc < 0) {
			char why[128];

			snprintf(why, sizeof(why), "connect failed: %s", strerror(-rc));
			vovsdb_session_drop(db, why);
		} else if (rc > 0) {
			vovsdb_session_start(db);
		}
	}
	if (db->state == VOVSDB_SESSION)
		run_session(db);
	sync_events(db);
}

int
vovsdb_timeout_ms(const struct vovsdb *db)
{
	int64_t now = vovsdb_now_ms(), t = -1;

	switch (db->state) {
	case VOVSDB_FATAL:
		return -1;
	case VOVSDB_BACKOFF:
		return db->reconnect_at > now ? (int)(db->reconnect_at - now) : 0;
	case VOVSDB_CONNECTING:
		return -1;
	case VOVSDB_SESSION:
		break;
	}
	if (db->locked && db->have_snapshot && !db->id_txn && db->wb.dirty) {
		int64_t w = db->retry_txn_at > now ? db->retry_txn_at - now : 0;

		t = t < 0 || w < t ? w : t;
	}
	if (db->remote.family != AF_UNIX) {
		int64_t due = db->last_rx + (db->probe_sent ? 2 : 1) * VOVSDB_PROBE_MS;
		int64_t p = due > now ? due - now : 0;

		t = t < 0 || p < t ? p : t;
	}
	return (int)t;
}

/* Set 'col' of 'obj' to 'v' (stolen); mark the write-back dirty when it changed. */
static int
put(struct vovsdb *db, json_t *obj, const char *col, json_t *v)
{
	if (!v)
		return -ENOMEM;
	if (json_equal(json_object_get(obj, col), v)) {
		json_decref(v);
		return 0;
	}
	db->wb.dirty = true;
	return json_object_set_new(obj, col, v) ? -ENOMEM : 0;
}

static bool
up_down(const char *s)
{
	return !s || !strcmp(s, "up") || !strcmp(s, "down");
}

int
vovsdb_set_iface(struct vovsdb *db, const char *name, const struct vovsdb_iface_state *st)
{
	json_t *obj = json_object_get(db->wb.want_iface, name);
	int rc = 0;

	if (!up_down(st->link_state) || !up_down(st->admin_state))
		return -EINVAL;
	if (!obj) {
		obj = json_object();
		if (!obj || json_object_set_new(db->wb.want_iface, name, obj))
			return -ENOMEM;
	}
	rc |= put(db, obj, "ofport", vovsdb_enc_opt_int(st->ofport != 0, st->ofport));
	rc |= put(db, obj, "error", vovsdb_enc_opt_str(st->error));
	rc |= put(db, obj, "link_state", vovsdb_enc_opt_str(st->link_state));
	rc |= put(db, obj, "admin_state", vovsdb_enc_opt_str(st->admin_state));
	rc |= put(db, obj, "mtu", vovsdb_enc_opt_int(st->mtu != 0, st->mtu));
	if (st->status)
		rc |= put(db, obj, "status", vovsdb_enc_str_map(st->status));
	if (st->stats)
		rc |= put(db, obj, "statistics", vovsdb_enc_int_map(st->stats, st->n_stats));
	return rc ? -ENOMEM : 0;
}

int
vovsdb_set_controller(struct vovsdb *db, const char *uuid, bool connected, const char *role,
		const struct vconf_map *status)
{
	json_t *obj = json_object_get(db->wb.want_ctrl, uuid);
	int rc = 0;

	if (!obj) {
		obj = json_object();
		if (!obj || json_object_set_new(db->wb.want_ctrl, uuid, obj))
			return -ENOMEM;
	}
	rc |= put(db, obj, "is_connected", json_boolean(connected));
	rc |= put(db, obj, "role", vovsdb_enc_opt_str(role));
	rc |= put(db, obj, "status", vovsdb_enc_str_map(status));
	return rc ? -ENOMEM : 0;
}

int
vovsdb_set_bridge(struct vovsdb *db, const char *name, uint64_t datapath_id,
		const char *datapath_version)
{
	json_t *obj = json_object_get(db->wb.want_bridge, name);
	char hex[17];
	int rc = 0;

	if (!obj) {
		obj = json_object();
		if (!obj || json_object_set_new(db->wb.want_bridge, name, obj))
			return -ENOMEM;
	}
	snprintf(hex, sizeof(hex), "%016" PRIx64, datapath_id);
	rc |= put(db, obj, "datapath_id", vovsdb_enc_opt_str(hex));
	rc |= put(db, obj, "datapath_version", vovsdb_enc_opt_str(datapath_version));
	return rc ? -ENOMEM : 0;
}

int
vovsdb_set_mirror_stats(struct vovsdb *db, const char *uuid, const struct vovsdb_stat *stats,
		size_t n_stats)
{
	json_t *obj = json_object_get(db->wb.want_mirror, uuid);

	if (!obj) {
		obj = json_object();
		if (!obj || json_object_set_new(db->wb.want_mirror, uuid, obj))
			return -ENOMEM;
	}
	return put(db, obj, "statistics", vovsdb_enc_int_map(stats, n_stats));
}

int
vovsdb_set_iface_stats(struct vovsdb *db, const char *name, const struct vovsdb_stat *stats,
		size_t n_stats)
{
	json_t *obj = json_object_get(db->wb.want_iface, name);

	if (!obj) {
		obj = json_object();
		if (!obj || json_object_set_new(db->wb.want_iface, name, obj))
			return -ENOMEM;
	}
	return put(db, obj, "statistics", vovsdb_enc_int_map(stats, n_stats));
}

int
vovsdb_set_cur_cfg(struct vovsdb *db, int64_t cur_cfg)
{
	return put(db, db->wb.want_ovs, "cur_cfg", json_integer(cur_cfg));
}

int
vovsdb_set_system(struct vovsdb *db, bool dpdk_initialized, const char *dpdk_version,
		const char *const *datapath_types, const char *const *iface_types)
{
	int rc = 0;

	rc |= put(db, db->wb.want_ovs, "dpdk_initialized", json_boolean(dpdk_initialized));
	rc |= put(db, db->wb.want_ovs, "dpdk_version", vovsdb_enc_opt_str(dpdk_version));
	if (datapath_types)
		rc |= put(db, db->wb.want_ovs, "datapath_types",
				vovsdb_enc_str_set(datapath_types));
	if (iface_types)
		rc |= put(db, db->wb.want_ovs, "iface_types", vovsdb_enc_str_set(iface_types));
	return rc ? -ENOMEM : 0;
}
